#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sna_sim: a stateful Cisco Secure Network Analytics (SMC) simulator on simkit.

Speaks the SMC shapes of ../shared/specs/sna.md (sections 2 to 6) and
responders.md section 7.5:

  * POST /token/v2/authenticate (form username/password) sets the cookies
    `stealthwatch.jwt` (the session) and, in 7.3.2+ mode (the default),
    `XSRF-TOKEN`; every later call needs the session cookie (401 when it is
    missing, unknown or expired after --session-ttl seconds), and every
    non-GET needs `X-XSRF-TOKEN` equal to the session's token (403), unless
    --no-xsrf (pre-7.3.2); DELETE /token logs out;
  * GET /sw-reporting/v1/tenants/ (and /tenants/{id});
  * GET /sw-reporting/v1/tenants/{t}/security-events/templates;
  * security-event queries: POST .../security-events/queries (IN_PROGRESS),
    GET .../queries/{id} (percentComplete rises over `query_polls` polls,
    then COMPLETED; `query_mode` "never" stays IN_PROGRESS, "fail" ends
    FAILED), GET .../security-events/results/{id};
  * tags (host groups): GET .../tags/, GET/PUT/DELETE .../tags/{id}, POST
    .../tags (a JSON array; a body with `sendToCta` gets 400 as SNA 7.5.1
    does; PUT needs the whole object);
  * GET/PUT .../policy/system/events (the PUT body is a JSON array; each
    element's alarmSettings values must be strings).

State (simkit's --state, GET /__sim/state): tenants, templates, events,
tags (per tenant id, as a string), policy (per tenant id), query_polls,
query_mode.  Events carry `ageMinutes` (how long ago they were last active)
instead of fixed times, so scenario files do not go stale; results are
served with SNA's "...000+0000" time format.

Control endpoints besides simkit's: POST /__sim/sessions/expire (every
session is expired now), GET /__sim/sessions, PUT /__sim/state (replaces
the keys given), POST /__sim/events (appends events).

Python 3 standard library only.
"""

import datetime
import ipaddress
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim, error_response, json_response  # noqa: E402

REPORTING = "/sw-reporting/v1/tenants"
CONFIGURATION = "/smc-configuration/rest/v1/tenants"
TAG_FIELDS = ("name", "location", "description", "ranges", "hostBaselines", "suppressExcludedServices",
              "inverseSuppression", "hostTrap", "parentId")

DEFAULT_STATE = {
    "tenants": [{"id": 132, "displayName": "abc.inc"}],
    "templates": [
        {"id": 16, "name": "High Total Traffic",
         "description": "Total traffic of a host is higher than its baseline."},
        {"id": 30, "name": "High Traffic", "description": "Traffic rate of a host is high."},
        {"id": 310, "name": "Worm Propagation", "description": "A host scans then is scanned."},
    ],
    "events": [],
    "tags": {"132": [
        {"id": 1, "name": "Inside Hosts", "location": "INSIDE", "parentId": 0, "ranges": [],
         "description": "The INSIDE root"},
        {"id": 65534, "name": "Catch All", "location": "INSIDE", "parentId": 1, "ranges": [],
         "description": ""},
    ]},
    "policy": {"132": [
        {"id": 16, "name": "High Total Traffic", "policy": {"id": 1, "name": "Inside Hosts"},
         "eventSettings": {"eventStatus": {"sourceStatus": "DISABLED", "targetStatus": "DISABLED"},
                           "alarmSettings": [{"key": "tolerance", "value": "90"},
                                             {"key": "min", "value": "5000000000"},
                                             {"key": "max", "value": "10000000000"}]}},
        {"id": 30, "name": "High Traffic", "policy": {"id": 1, "name": "Inside Hosts"},
         "eventSettings": {"eventStatus": {"sourceStatus": "DISABLED", "targetStatus": "NOT_APPLICABLE"},
                           "alarmSettings": [{"key": "tolerance", "value": "90"},
                                             {"key": "min", "value": "1000000"},
                                             {"key": "max", "value": "20000000"}]}},
    ]},
    "query_polls": 2,
    "query_mode": "normal",
    "next_tag_id": 50081,
    "next_event_id": 4686,
}


def sna_time(t):
    """SNA's result time format: 2021-02-04T10:44:30.000+0000."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_query_time(s):
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        raise HTTPError(400, "timeRange times must be %Y-%m-%dT%H:%M:%SZ")


class SnaSim(Sim):
    def __init__(self):
        super().__init__("sna", "Cisco Secure Network Analytics (SMC) simulator")
        p = self.parser
        p.add_argument("--username", default="admin")
        p.add_argument("--password", default="C1sco12345")
        p.add_argument("--no-xsrf", action="store_true", help="pre-7.3.2: no XSRF-TOKEN, no header check")
        p.add_argument("--session-ttl", type=float, default=1200.0, help="session lifetime in seconds")
        self.sessions = {}          # jwt -> {"xsrf", "exp", "user"}
        self.queries = {}           # search id -> {"tenant", "polls", "results", "status"}
        self.session_stats = {"logins": 0, "logouts": 0, "rejected": 0}
        self.qlock = threading.Lock()
        self.state.update(json.loads(json.dumps(DEFAULT_STATE)))

    # ---- sessions ---------------------------------------------------------

    @staticmethod
    def cookies(req):
        out = {}
        for part in req.headers.get("Cookie", "").split(";"):
            k, eq, v = part.strip().partition("=")
            if eq:
                out[k] = v
        return out

    def session(self, req):
        """The request's session; 401 or 403 as the SMC answers."""
        jwt = self.cookies(req).get("stealthwatch.jwt")
        now = time.monotonic()
        with self.lock:
            s = self.sessions.get(jwt) if jwt else None
            if s is None or s["exp"] <= now:
                self.session_stats["rejected"] += 1
                raise HTTPError(401, "Unauthorized")
            if req.method != "GET" and not self.args.no_xsrf:
                if req.headers.get("X-XSRF-TOKEN") != s["xsrf"]:
                    self.session_stats["rejected"] += 1
                    raise HTTPError(403, "Invalid CSRF token")
            return s

    def tenant(self, req):
        self.session(req)
        tid = req.params["tenant"]
        with self.lock:
            if not any(str(t["id"]) == tid for t in self.state["tenants"]):
                raise HTTPError(404, "tenant %s not found" % tid)
        return tid

    @staticmethod
    def need_json(req):
        ctype = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise HTTPError(415, "Content-Type must be application/json")
        return req.json()

    # ---- control ----------------------------------------------------------

    def _control(self, method, path, query_all, body):
        what = path[len("/__sim/"):].strip("/")
        try:
            if what == "sessions/expire" and method == "POST":
                with self.lock:
                    n = 0
                    for s in self.sessions.values():
                        if s["exp"] > time.monotonic():
                            s["exp"] = time.monotonic()
                            n += 1
                return json_response({"ok": True, "expired": n})
            if what == "sessions" and method == "GET":
                now = time.monotonic()
                with self.lock:
                    return json_response(dict(self.session_stats,
                                              active=sum(1 for s in self.sessions.values() if s["exp"] > now)))
            if what == "state" and method == "PUT":
                new = json.loads(body or b"{}")
                if not isinstance(new, dict):
                    raise ValueError("the state is a JSON object")
                with self.lock:
                    self.state.update(new)
                return json_response({"ok": True})
            if what == "events" and method == "POST":
                evs = json.loads(body or b"[]")
                if not isinstance(evs, list):
                    raise ValueError("events: a JSON list")
                with self.lock:
                    self.state["events"].extend(evs)
                return json_response({"ok": True, "events": len(self.state["events"])})
        except ValueError as e:
            return error_response(400, str(e))
        return super()._control(method, path, query_all, body)

    def reset(self):
        with self.lock:
            self.sessions.clear()
            self.queries.clear()
            self.session_stats = {"logins": 0, "logouts": 0, "rejected": 0}
        super().reset()


sim = SnaSim()


# ---- authentication (sna.md §2) -------------------------------------------

@sim.route("POST", r"/token/v2/authenticate")
def authenticate(req):
    ctype = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise HTTPError(400, "form body expected")
    form = {k: v[0] for k, v in urllib.parse.parse_qs(req.text, keep_blank_values=True).items()}
    if form.get("username") != sim.args.username or form.get("password") != sim.args.password:
        raise HTTPError(401, "Authentication failed")
    jwt = secrets.token_hex(24)
    xsrf = secrets.token_hex(16)
    with req.lock:
        sim.sessions[jwt] = {"xsrf": xsrf, "exp": time.monotonic() + sim.args.session_ttl,
                             "user": form["username"]}
        sim.session_stats["logins"] += 1
    # Several Set-Cookie headers: simkit's headers are a dict, so the second
    # cookie rides on a differently-cased key (HTTP names are case-blind).
    headers = {"Set-Cookie": "stealthwatch.jwt=%s; Path=/; HttpOnly" % jwt}
    if not sim.args.no_xsrf:
        headers["set-cookie"] = "XSRF-TOKEN=%s; Path=/" % xsrf
    return Response(200, b"", headers, "text/plain")


@sim.route("DELETE", r"/token")
def logout(req):
    sim.session(req)
    jwt = sim.cookies(req).get("stealthwatch.jwt")
    with req.lock:
        sim.sessions.pop(jwt, None)
        sim.session_stats["logouts"] += 1
    return Response(200, b"", {"Set-Cookie": "stealthwatch.jwt=; Max-Age=0; Path=/"}, "text/plain")


# ---- tenants (sna.md §3) ----------------------------------------------------

@sim.route("GET", REPORTING + r"/?")
def tenants(req):
    sim.session(req)
    with req.lock:
        return {"data": [dict(t) for t in req.state["tenants"]]}


@sim.route("GET", REPORTING + r"/(?P<tenant>\d+)")
def tenant_get(req):
    tid = sim.tenant(req)
    with req.lock:
        return {"data": next(dict(t) for t in req.state["tenants"] if str(t["id"]) == tid)}


@sim.route("GET", REPORTING + r"/(?P<tenant>\d+)/internalHosts/tags")
def internal_host_tags(req):
    """The read-only list of inside host groups (sna.md §5.2): a bare list."""
    tid = sim.tenant(req)
    with req.lock:
        return [{"id": t["id"], "displayName": t["name"]} for t in tag_list(req, tid)
                if t.get("location", "INSIDE") == "INSIDE"]


# ---- security events (sna.md §4) -------------------------------------------

@sim.route("GET", REPORTING + r"/(?P<tenant>\d+)/security-events/templates")
def templates(req):
    sim.tenant(req)
    with req.lock:
        return {"data": [dict(t) for t in req.state["templates"]]}


def render_event(e, now):
    out = {k: v for k, v in e.items() if k not in ("ageMinutes", "durationMinutes", "tenant")}
    last = now - float(e.get("ageMinutes", 1)) * 60
    first = last - float(e.get("durationMinutes", 30)) * 60
    out["firstActiveTime"] = sna_time(first)
    out["lastActiveTime"] = sna_time(last)
    out.setdefault("domainId", 132)
    out.setdefault("deviceId", 121)
    out.setdefault("hitCount", 1)
    out.setdefault("details", [{"key": "points", "value": "1000"}])
    for side in ("source", "target"):
        h = out.get(side)
        if isinstance(h, dict):
            h.setdefault("port", 0)
            h.setdefault("protocol", "tcp")
            inside = ipaddress.ip_address(h.get("ipAddress", "0.0.0.0")).is_private
            h.setdefault("tags", [{"name": "Catch All", "id": 65534}] if inside else
                         [{"name": "United States", "id": 61627}])
    return out, first, last


@sim.route("POST", REPORTING + r"/(?P<tenant>\d+)/security-events/queries")
def query_create(req):
    tid = sim.tenant(req)
    body = sim.need_json(req)
    if not isinstance(body, dict) or not isinstance(body.get("timeRange"), dict):
        raise HTTPError(400, "timeRange is mandatory")
    t_from = parse_query_time(body["timeRange"].get("from"))
    t_to = parse_query_time(body["timeRange"].get("to"))
    if t_from > t_to:
        raise HTTPError(400, "timeRange.from is after timeRange.to")
    types = body.get("securityEventTypeIds")
    if types is not None and (not isinstance(types, list) or not all(isinstance(x, int) for x in types)):
        raise HTTPError(400, "securityEventTypeIds must be a list of integers")
    now = time.time()
    results = []
    with req.lock:
        for i, e in enumerate(req.state["events"]):
            if str(e.get("tenant", tid)) != tid:
                continue
            if types and e.get("securityEventType") not in types:
                continue
            ev, first, last = render_event(e, now)
            if last < t_from or first > t_to:
                continue
            ev.setdefault("id", req.state["next_event_id"] + i)
            results.append(ev)
        polls = int(req.state.get("query_polls", 2))
        mode = req.state.get("query_mode", "normal")
    sid = secrets.token_hex(12)
    with req.lock:
        sim.queries[sid] = {"tenant": tid, "polls": 0, "needed": polls, "mode": mode, "results": results,
                            "body": body}
    return {"data": {"searchJob": {"id": sid, "searchJobStatus": "IN_PROGRESS", "percentComplete": 0}}}


def query_of(req):
    tid = sim.tenant(req)
    with req.lock:
        q = sim.queries.get(req.params["sid"])
    if q is None or q["tenant"] != tid:
        raise HTTPError(404, "search job not found")
    return q


@sim.route("GET", REPORTING + r"/(?P<tenant>\d+)/security-events/queries/(?P<sid>[0-9a-f]+)")
def query_status(req):
    q = query_of(req)
    with req.lock:
        q["polls"] += 1
        if q["mode"] == "never":
            pct, status = min(99.0, 10.0 * q["polls"]), "IN_PROGRESS"
        elif q["mode"] == "fail" and q["polls"] >= q["needed"]:
            pct, status = 100.0, "FAILED"
        elif q["polls"] >= q["needed"]:
            pct, status = 100.0, "COMPLETED"
        else:
            pct, status = round(100.0 * q["polls"] / max(q["needed"], 1), 1), "IN_PROGRESS"
        q["status"] = status
    return {"data": {"id": req.params["sid"], "percentComplete": pct, "status": status}}


@sim.route("GET", REPORTING + r"/(?P<tenant>\d+)/security-events/results/(?P<sid>[0-9a-f]+)")
def query_results(req):
    q = query_of(req)
    if q.get("status") != "COMPLETED":
        raise HTTPError(400, "search job is not completed")
    return {"data": {"results": q["results"]}}


# ---- tags (sna.md §5, responders.md §7.5) ----------------------------------

def tag_list(req, tid):
    return req.state["tags"].setdefault(tid, [])


def tag_full(t, tid):
    out = {"id": t["id"], "name": t["name"], "location": t.get("location", "INSIDE"),
           "description": t.get("description", ""), "ranges": list(t.get("ranges", [])),
           "hostBaselines": t.get("hostBaselines", False),
           "suppressExcludedServices": t.get("suppressExcludedServices", False),
           "inverseSuppression": t.get("inverseSuppression", False), "hostTrap": t.get("hostTrap", False),
           "sendToCta": False, "domainId": int(tid), "parentId": t.get("parentId", 0)}
    out["display"] = {"domainId": int(tid), "name": t["name"], "location": out["location"]}
    out["parentDisplay"] = {"id": out["parentId"]}
    return out


def check_tag_body(t, whole):
    if not isinstance(t, dict):
        raise HTTPError(400, "a tag is a JSON object")
    if "sendToCta" in t:
        raise HTTPError(400, "Unrecognized field \"sendToCta\"")
    if not isinstance(t.get("name"), str) or not t["name"]:
        raise HTTPError(400, "name is required")
    if t.get("location", "INSIDE") not in ("INSIDE", "OUTSIDE"):
        raise HTTPError(400, "location must be INSIDE or OUTSIDE")
    r = t.get("ranges", [])
    if not isinstance(r, list) or not all(isinstance(x, str) for x in r):
        raise HTTPError(400, "ranges must be a list of strings")
    if whole:
        missing = [k for k in ("id", "name", "location", "ranges", "parentId") if k not in t]
        if missing:
            raise HTTPError(400, "PUT needs the whole object; missing %s" % ", ".join(missing))


@sim.route("GET", CONFIGURATION + r"/(?P<tenant>\d+)/tags/?")
def tags_get(req):
    tid = sim.tenant(req)
    with req.lock:
        return {"data": [{"id": t["id"], "name": t["name"], "location": t.get("location", "INSIDE"),
                          "parentId": t.get("parentId", 0)} for t in tag_list(req, tid)]}


@sim.route("POST", CONFIGURATION + r"/(?P<tenant>\d+)/tags/?")
def tags_post(req):
    tid = sim.tenant(req)
    body = sim.need_json(req)
    if not isinstance(body, list) or not body:
        raise HTTPError(400, "the body is a JSON array of tags")
    for t in body:
        check_tag_body(t, False)
    out = []
    with req.lock:
        for t in body:
            new = {k: t[k] for k in TAG_FIELDS if k in t}
            new["id"] = req.state["next_tag_id"]
            req.state["next_tag_id"] += 1
            if "parentId" not in new:
                new["parentId"] = 2147483647 if new.get("location") == "OUTSIDE" else 1
            tag_list(req, tid).append(new)
            out.append(tag_full(new, tid))
    return {"data": out}


def find_tag(req, tid):
    for t in tag_list(req, tid):
        if str(t["id"]) == req.params["id"]:
            return t
    raise HTTPError(404, "tag %s not found" % req.params["id"])


@sim.route("GET", CONFIGURATION + r"/(?P<tenant>\d+)/tags/(?P<id>\d+)")
def tag_get(req):
    tid = sim.tenant(req)
    with req.lock:
        return {"data": tag_full(find_tag(req, tid), tid)}


@sim.route("PUT", CONFIGURATION + r"/(?P<tenant>\d+)/tags/(?P<id>\d+)")
def tag_put(req):
    tid = sim.tenant(req)
    body = sim.need_json(req)
    check_tag_body(body, True)
    if str(body["id"]) != req.params["id"]:
        raise HTTPError(400, "id does not match the path")
    with req.lock:
        t = find_tag(req, tid)
        for k in TAG_FIELDS:
            if k in body:
                t[k] = body[k]
        return {"data": tag_full(t, tid)}


@sim.route("DELETE", CONFIGURATION + r"/(?P<tenant>\d+)/tags/(?P<id>\d+)")
def tag_delete(req):
    tid = sim.tenant(req)
    with req.lock:
        t = find_tag(req, tid)
        tag_list(req, tid).remove(t)
    return {"data": None}


# ---- policy (sna.md §6) ------------------------------------------------------

@sim.route("GET", CONFIGURATION + r"/(?P<tenant>\d+)/policy/system/events")
def policy_get(req):
    tid = sim.tenant(req)
    with req.lock:
        return {"data": json.loads(json.dumps(req.state["policy"].get(tid, [])))}


@sim.route("PUT", CONFIGURATION + r"/(?P<tenant>\d+)/policy/system/events")
def policy_put(req):
    tid = sim.tenant(req)
    body = sim.need_json(req)
    if not isinstance(body, list) or not body:
        raise HTTPError(400, "the body is a JSON array of event settings")
    with req.lock:
        events = req.state["policy"].setdefault(tid, [])
        for item in body:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                raise HTTPError(400, "each element needs an integer id")
            if not isinstance(item.get("policyId"), int):
                raise HTTPError(400, "each element needs an integer policyId")
            es = item.get("eventSettings")
            if not isinstance(es, dict):
                raise HTTPError(400, "eventSettings is required")
            for a in es.get("alarmSettings", []):
                if not isinstance(a, dict) or not isinstance(a.get("value"), str):
                    raise HTTPError(400, "alarmSettings values are strings")
            cur = next((e for e in events if e["id"] == item["id"]), None)
            if cur is None:
                raise HTTPError(404, "security event %d not found" % item["id"])
            if cur["policy"]["id"] != item["policyId"]:
                raise HTTPError(400, "policyId %d does not own event %d" % (item["policyId"], item["id"]))
            if "eventStatus" in es:
                cur["eventSettings"]["eventStatus"] = es["eventStatus"]
            if "alarmSettings" in es:
                old = {a["key"]: a for a in cur["eventSettings"]["alarmSettings"]}
                for a in es["alarmSettings"]:
                    old[a["key"]] = {"key": a["key"], "value": a["value"]}
                cur["eventSettings"]["alarmSettings"] = list(old.values())
        return {"data": json.loads(json.dumps(events))}


if __name__ == "__main__":
    sys.exit(sim.main())
