#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cisco_fmc_sim: Cisco Secure Firewall Management Center REST API
(responders.md §4.3) as the cisco_fmc responder uses it.

  POST /api/fmc_platform/v1/auth/generatetoken   HTTP Basic; 204 with X-auth-access-token,
                                                 X-auth-refresh-token, DOMAIN_UUID, DOMAINS
  POST /api/fmc_platform/v1/auth/refreshtoken    both tokens as headers; 204 with new ones,
                                                 three refreshes per generated token
  under /api/fmc_config/v1/domain/<DOMAIN_UUID>/  (X-auth-access-token on every call)
    GET  object/networkgroups[?offset&limit]     paged (default 25, max 1000: --default-limit,
                                                 --max-limit), paging.next
    GET  object/networkgroups/<id>               the whole group, links and metadata included
    PUT  object/networkgroups/<id>               the whole group (id, name, type, objects):
                                                 objects must be existing Host objects
    GET  object/hosts[?offset&limit]             paged
    POST object/hosts                            {"type":"Host","name","value"}; 201, or 400 for
                                                 a duplicate name or a bad value
    POST object/hosts?bulk=true                  a list of them, all or nothing; 201 {"items"}
                                                 (--no-bulk: 400, as an FMC without bulk support)
    GET  object/hosts/<id>
    GET  deployment/deployabledevices?expanded=true   devices with undeployed changes
    POST deployment/deploymentrequests           {"type":"DeploymentRequest","version",
                                                 "deviceList"}; 202 with a task id

Errors have FMC's shape {"error":{"category":"FRAMEWORK","messages":[{"description":...}],
"severity":"ERROR"}}: 401 "Access token invalid." for a missing, unknown or
expired token, 404 for an unknown domain or object.

Test hooks (logged like API calls, under /_fmc/): POST expire-tokens (every
access token expires now; ?refresh=1: refresh tokens are forgotten too),
POST delete-group/<name>, POST delete-host/<name> (the object and its
group memberships go, as an administrator would do).

State: {"groups": {id: group}, "hosts": {id: host}, "devices": {id: name},
"pending": [device ids], "version": N, "deployments": [{"version", "devices",
"members"}], "tokens": {...}}.  Initial: group "Vectra-Block" (id
"00505600-0000-0ed3-0000-000000000100") with one literal, group "Other",
devices ftd-1 and ftd-2, no hosts.
"""
import ipaddress
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim, json_response  # noqa: E402

sim = Sim("cisco_fmc", "Cisco FMC REST API simulator")
sim.parser.add_argument("--username", default="secresp")
sim.parser.add_argument("--password", default="fmc-secret")
sim.parser.add_argument("--domain-uuid", default="e276abec-e0f2-11e3-8169-6d9ed49b625f")
sim.parser.add_argument("--token-ttl", type=float, default=1800.0, help="access token lifetime, seconds")
sim.parser.add_argument("--default-limit", type=int, default=25)
sim.parser.add_argument("--max-limit", type=int, default=1000, help="larger limit= values are capped (FMC: 1000)")
sim.parser.add_argument("--no-bulk", action="store_true", help="refuse POST object/hosts?bulk=true (older FMC)")

GROUP_ID = "00505600-0000-0ed3-0000-000000000100"
sim.state.update({
    "groups": {
        GROUP_ID: {"id": GROUP_ID, "name": "Vectra-Block", "type": "NetworkGroup", "overridable": False,
                   "description": "blocked by the integration",
                   "literals": [{"type": "Host", "value": "192.0.2.254"}]},
        "00505600-0000-0ed3-0000-000000000101": {"id": "00505600-0000-0ed3-0000-000000000101",
                                                 "name": "Other", "type": "NetworkGroup",
                                                 "overridable": False, "objects": []},
    },
    "hosts": {},
    "devices": {"dev-0001": "ftd-1", "dev-0002": "ftd-2"},
    "pending": [],
    "version": 1700000000000,
    "deployments": [],
    "next_id": 1000,
    "tokens": {},            # access token -> {"expires": t, "refresh": r}
    "refresh": {},           # refresh token -> {"access": a, "uses": n}
    "token_seq": 0,
})


def fmc_error(status, text):
    return HTTPError(status, text, body={"error": {"category": "FRAMEWORK", "severity": "ERROR",
                                                  "messages": [{"description": text}]}})


def new_token(st, kind):
    st["token_seq"] += 1
    return "%s-%04d" % (kind, st["token_seq"])


def issue(st, refresh=None, uses=0):
    access = new_token(st, "access")
    refresh = refresh or new_token(st, "refresh")
    st["tokens"][access] = {"expires": time.time() + sim.args.token_ttl, "refresh": refresh}
    st["refresh"][refresh] = {"access": access, "uses": uses}
    return access, refresh


def token_headers(access, refresh):
    d = sim.args.domain_uuid
    return {"X-auth-access-token": access, "X-auth-refresh-token": refresh, "DOMAIN_UUID": d,
            "DOMAINS": '[{"name":"Global","uuid":"%s"}]' % d}


@sim.route("POST", r"/api/fmc_platform/v1/auth/generatetoken")
def generatetoken(req):
    cred = req.basic_auth()
    if cred != (sim.args.username, sim.args.password):
        raise fmc_error(401, "Authentication failed: invalid user name or password.")
    with req.lock:
        access, refresh = issue(req.state)
    return Response(204, b"", token_headers(access, refresh))


@sim.route("POST", r"/api/fmc_platform/v1/auth/refreshtoken")
def refreshtoken(req):
    access = req.headers.get("X-auth-access-token", "")
    refresh = req.headers.get("X-auth-refresh-token", "")
    with req.lock:
        st = req.state
        r = st["refresh"].get(refresh)
        if not r or r["access"] != access:
            raise fmc_error(401, "Invalid refresh token.")
        if r["uses"] >= 3:
            raise fmc_error(401, "Refresh token used too many times.")
        del st["refresh"][refresh]
        st["tokens"].pop(access, None)
        access, refresh = issue(st, uses=r["uses"] + 1)
    return Response(204, b"", token_headers(access, refresh))


def auth(req, domain):
    tok = req.headers.get("X-auth-access-token")
    with req.lock:
        t = req.state["tokens"].get(tok or "")
        if not t or t["expires"] <= time.time():
            raise fmc_error(401, "Access token invalid.")
    if domain != sim.args.domain_uuid:
        raise fmc_error(404, "Domain %s not found." % domain)


D = r"/api/fmc_config/v1/domain/(?P<d>[^/]+)/"


def base_url(req):
    scheme = "https" if sim.args.tls_cert else "http"
    return "%s://%s" % (scheme, req.headers.get("Host", "127.0.0.1"))


def page(req, items, path):
    try:
        offset = int(req.query.get("offset", "0"))
        limit = int(req.query.get("limit", str(sim.args.default_limit)))
    except ValueError:
        raise fmc_error(400, "Invalid paging parameters.")
    if offset < 0 or limit < 1:
        raise fmc_error(400, "Invalid paging parameters.")
    limit = min(limit, sim.args.max_limit)
    chunk = items[offset:offset + limit]
    out = {"links": {"self": base_url(req) + path},
           "paging": {"offset": offset, "limit": limit, "count": len(items),
                      "pages": (len(items) + limit - 1) // limit}}
    if chunk:
        out["items"] = chunk
    if offset + limit < len(items):
        q = {k: v for k, v in req.query.items() if k not in ("offset", "limit")}
        q.update(offset=offset + limit, limit=limit)
        out["paging"]["next"] = [base_url(req) + path + "?" + urllib.parse.urlencode(q)]
    return out


def summary(o):
    return {"id": o["id"], "name": o["name"], "type": o["type"],
            "links": {"self": "/api/fmc_config/v1/domain/%s/object/%s/%s" % (
                sim.args.domain_uuid, "hosts" if o["type"] == "Host" else "networkgroups", o["id"])}}


def full_group(g):
    o = dict(g)
    o["links"] = {"self": "/api/fmc_config/v1/domain/%s/object/networkgroups/%s" % (sim.args.domain_uuid, g["id"])}
    o["metadata"] = {"readOnly": {"state": False}, "timestamp": 1700000000000,
                     "domain": {"name": "Global", "id": sim.args.domain_uuid, "type": "Domain"}}
    return o


@sim.route("GET", D + r"object/networkgroups")
def list_groups(req):
    auth(req, req.params["d"])
    with req.lock:
        items = [summary(g) for g in req.state["groups"].values()]
    return page(req, items, req.path)


@sim.route("*", D + r"object/networkgroups/(?P<id>[^/]+)")
def one_group(req):
    auth(req, req.params["d"])
    gid = req.params["id"]
    with req.lock:
        st = req.state
        g = st["groups"].get(gid)
        if g is None:
            raise fmc_error(404, "Object %s not found." % gid)
        if req.method == "GET":
            return full_group(g)
        if req.method != "PUT":
            raise fmc_error(405, "Method not allowed.")
        body = req.json()
        if not isinstance(body, dict):
            raise fmc_error(400, "Invalid request body.")
        # FMC replaces the object: anything partial would lose members.
        for k in ("id", "name", "type"):
            if k not in body:
                raise fmc_error(400, "The request body must be the complete object: '%s' is missing." % k)
        if body["id"] != gid or body["type"] != "NetworkGroup":
            raise fmc_error(400, "The id or type does not match the object.")
        if body["name"] != g["name"]:
            raise fmc_error(400, "Renaming is not what this integration does.")
        if "objects" not in body and "literals" not in body:
            raise fmc_error(400, "A network group needs objects or literals.")
        objs = []
        for o in body.get("objects") or []:
            if not isinstance(o, dict) or "id" not in o:
                raise fmc_error(400, "Invalid object reference.")
            h = st["hosts"].get(o["id"]) or st["groups"].get(o["id"])
            if h is None:
                raise fmc_error(400, "Object %s not found." % o["id"])
            objs.append({"type": h["type"], "id": h["id"], "name": h["name"]})
        new = dict(g)
        new["objects"] = objs
        if "literals" in body:
            new["literals"] = body["literals"]
        if "description" in body:
            new["description"] = body["description"]
        st["groups"][gid] = new
        mark_pending(st)
        return full_group(new)


def mark_pending(st):
    st["version"] += 1
    st["pending"] = sorted(st["devices"].keys())


@sim.route("GET", D + r"object/hosts")
def list_hosts(req):
    auth(req, req.params["d"])
    with req.lock:
        items = [summary(h) for h in req.state["hosts"].values()]
    return page(req, items, req.path)


def check_host(st, body, names):
    if not isinstance(body, dict) or body.get("type") != "Host" or not body.get("name"):
        raise fmc_error(400, "Invalid Host object.")
    try:
        ipaddress.ip_address(body.get("value", ""))
    except ValueError:
        raise fmc_error(400, "Invalid IP address %r." % body.get("value"))
    if body["name"] in names or any(h["name"] == body["name"] for h in st["hosts"].values()) or \
            any(g["name"] == body["name"] for g in st["groups"].values()):
        raise fmc_error(400, "The object name %s already exists. Enter a new name." % body["name"])
    names.add(body["name"])


def make_host(st, body):
    st["next_id"] += 1
    hid = "00505600-0000-0ed3-0000-%012d" % st["next_id"]
    h = {"id": hid, "name": body["name"], "type": "Host", "value": body["value"],
         "description": body.get("description", ""), "overridable": False}
    st["hosts"][hid] = h
    out = dict(h)
    out["links"] = summary(h)["links"]
    return out


@sim.route("POST", D + r"object/hosts")
def create_host(req):
    auth(req, req.params["d"])
    body = req.json()
    bulk = req.query.get("bulk") == "true"
    with req.lock:
        st = req.state
        if not bulk:
            check_host(st, body, set())
            return json_response(make_host(st, body), 201)
        if sim.args.no_bulk:
            raise fmc_error(400, "Bulk operations are not supported for this object type.")
        # all or nothing, at most 1000
        if not isinstance(body, list) or not body or len(body) > 1000:
            raise fmc_error(400, "A bulk request is a list of 1 to 1000 objects.")
        names = set()
        for b in body:
            check_host(st, b, names)
        items = [make_host(st, b) for b in body]
    return json_response({"links": {"self": base_url(req) + req.path + "?bulk=true"}, "items": items,
                          "paging": {"offset": 0, "limit": len(items), "count": len(items), "pages": 1}}, 201)


@sim.route("GET", D + r"object/hosts/(?P<id>[^/]+)")
def one_host(req):
    auth(req, req.params["d"])
    with req.lock:
        h = req.state["hosts"].get(req.params["id"])
        if h is None:
            raise fmc_error(404, "Object %s not found." % req.params["id"])
        return dict(h)


@sim.route("GET", D + r"deployment/deployabledevices")
def deployable(req):
    auth(req, req.params["d"])
    with req.lock:
        st = req.state
        items = []
        for did in st["pending"]:
            items.append({"version": str(st["version"]), "name": st["devices"][did], "type": "DeployableDevice",
                          "canBeDeployed": True, "upToDate": False,
                          "device": {"id": did, "type": "Device", "name": st["devices"][did]}})
    return page(req, items, req.path)


@sim.route("POST", D + r"deployment/deploymentrequests")
def deploy(req):
    auth(req, req.params["d"])
    body = req.json()
    if not isinstance(body, dict) or body.get("type") != "DeploymentRequest":
        raise fmc_error(400, "Invalid deployment request.")
    devs = body.get("deviceList")
    if not isinstance(devs, list) or not devs:
        raise fmc_error(400, "deviceList is required.")
    with req.lock:
        st = req.state
        try:
            v = int(body.get("version", ""))
        except (TypeError, ValueError):
            raise fmc_error(400, "version is required.")
        if v > st["version"]:
            raise fmc_error(400, "Invalid version.")
        for d in devs:
            if d not in st["devices"]:
                raise fmc_error(400, "Device %s not found." % d)
        st["pending"] = [d for d in st["pending"] if d not in devs]
        members = {g["name"]: sorted(o["name"] for o in g.get("objects") or [])
                   for g in st["groups"].values()}
        st["deployments"].append({"version": str(v), "devices": sorted(devs), "members": members})
        task = "task-%d" % len(st["deployments"])
    return json_response({"type": "DeploymentRequest", "version": str(v), "deviceList": devs,
                          "metadata": {"task": {"id": task, "taskType": "DEVICE_DEPLOYMENT"}}}, 202)


@sim.route("POST", r"/_fmc/expire-tokens")
def expire_tokens(req):
    with req.lock:
        for t in req.state["tokens"].values():
            t["expires"] = 0
        if req.query.get("refresh") == "1":
            req.state["refresh"].clear()
    return {"ok": True}


@sim.route("POST", r"/_fmc/delete-host/(?P<name>[^/]+)")
def delete_host(req):
    with req.lock:
        st = req.state
        for hid, h in list(st["hosts"].items()):
            if h["name"] == req.params["name"]:
                del st["hosts"][hid]
                for g in st["groups"].values():
                    g["objects"] = [o for o in g.get("objects") or [] if o["id"] != hid]
    return {"ok": True}


@sim.route("POST", r"/_fmc/delete-group/(?P<name>[^/]+)")
def delete_group(req):
    with req.lock:
        st = req.state
        for gid, g in list(st["groups"].items()):
            if g["name"] == req.params["name"]:
                del st["groups"][gid]
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
