#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""checkpoint_sim: the Check Point management web API (responders.md §4.4).

Every call is POST /web_api/<command> with a JSON body; all but login need
the session id in X-chkp-sid.  Each session works on its own copy of the
database: its changes become visible to others (and in the published
state) only once published; discard drops them, and so do logout and the
session's expiry (a simplification: the real server keeps a disconnected
session's changes).

  login {"user","password"[,"domain"]}      {"sid","uid","session-timeout","api-server-version"}
  logout, discard, keepalive                {"message":"OK"}
  show-group / add-group {"name"}
  set-group {"name","members":{"add"|"remove": name}}
  show-host / delete-host {"name"}
  add-host {"name","ip-address","groups":[...]}
  publish                                    {"task-id"}; changes become published when the task ends
  install-policy {"policy-package","targets":[...]}   {"task-id"}; records what was installed
  show-task {"task-id"}                      {"tasks":[{"task-id","status","progress-percentage"}]}:
                                             "in progress" for --task-polls answers, then "succeeded"

Errors are {"code","message"[,"errors":[{"message"}]]}: 400 err_login_failed,
401 generic_err_missing_session_id / generic_err_wrong_session_id, 404
generic_err_object_not_found, 400 err_validation_failed ("More than one
object named 'X' exists." for a duplicate name; "... is not a member of
group ..." [unverified text] for a remove of a non-member).

State: {"published": {"hosts": {name: {"ip-address","groups"}}, "groups": {name: {"members": []}}},
"publishes": N, "installs": [{"package","targets","members"}], "sessions": {...}, "tasks": {...}}.
Initial: group "Vectra-Internal-Block" with member "keep-me" (a host 192.0.2.7),
gateways "gw-1", "gw-2", package "Standard".
Test hooks: POST /_cp/expire-sessions, POST /_cp/delete-host/<name>
(removed from the published database and its groups), POST /_cp/fail-next-task.
"""
import copy
import ipaddress
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

sim = Sim("checkpoint", "Check Point management web API simulator")
sim.parser.add_argument("--username", default="secresp")
sim.parser.add_argument("--password", default="cp-secret")
sim.parser.add_argument("--session-timeout", type=int, default=600)
sim.parser.add_argument("--task-polls", type=int, default=1, help="'in progress' answers before 'succeeded'")

sim.state.update({
    "published": {"hosts": {"keep-me": {"ip-address": "192.0.2.7", "groups": ["Vectra-Internal-Block"]}},
                  "groups": {"Vectra-Internal-Block": {"members": ["keep-me"]}}},
    "gateways": ["gw-1", "gw-2"],
    "packages": ["Standard"],
    "publishes": 0,
    "installs": [],
    "sessions": {},
    "tasks": {},
    "seq": 0,
    "fail_next_task": False,
})


def cp_error(status, code, message, errors=None):
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = [{"message": m} for m in errors]
    return HTTPError(status, message, body=body)


def next_id(st, kind):
    st["seq"] += 1
    return "%s-%05d" % (kind, st["seq"])


def session(req):
    sid = req.headers.get("X-chkp-sid")
    if not sid:
        raise cp_error(401, "generic_err_missing_session_id", "Missing header: [X-chkp-sid]")
    s = req.state["sessions"].get(sid)
    if not s or s["expires"] <= time.time():
        raise cp_error(401, "generic_err_wrong_session_id",
                       "Wrong session id [%s]. Session may be expired. Please check session id and resend the "
                       "request" % sid[:8])
    s["expires"] = time.time() + sim.args.session_timeout
    return sid, s


def not_found(name):
    return cp_error(404, "generic_err_object_not_found", "Requested object [%s] not found" % name)


def body_name(b):
    n = b.get("name") if isinstance(b, dict) else None
    if not isinstance(n, str) or not n:
        raise cp_error(400, "generic_err_invalid_parameter", "Missing parameter: [name]")
    return n


def new_task(st, kind, payload):
    tid = next_id(st, "task")
    fail = st["fail_next_task"]
    st["fail_next_task"] = False
    st["tasks"][tid] = {"kind": kind, "polls": 0, "payload": payload, "done": False, "fail": fail}
    return tid


def finish_task(st, t):
    if t["done"] or t["fail"]:
        return
    t["done"] = True
    if t["kind"] == "publish":
        st["published"] = t["payload"]
        st["publishes"] += 1
    else:
        t["payload"]["members"] = sorted(st["published"]["groups"].get("Vectra-Internal-Block", {})
                                         .get("members", []))
        st["installs"].append(t["payload"])


@sim.route("POST", r"/web_api/(?P<cmd>[a-z-]+)")
def web_api(req):
    cmd = req.params["cmd"]
    b = req.json()
    if b is None:
        b = {}
    if not isinstance(b, dict):
        raise cp_error(400, "generic_err_invalid_syntax", "Request body must be a JSON object")
    with req.lock:
        st = req.state
        if cmd == "login":
            if (b.get("user"), b.get("password")) != (sim.args.username, sim.args.password):
                raise cp_error(400, "err_login_failed", "Authentication to server failed.")
            sid = next_id(st, "sid") + "-%d" % int(time.time() * 1000)
            st["sessions"][sid] = {"expires": time.time() + sim.args.session_timeout,
                                   "db": copy.deepcopy(st["published"]), "dirty": False}
            return {"sid": sid, "uid": next_id(st, "uid"), "session-timeout": sim.args.session_timeout,
                    "api-server-version": "1.8", "url": "https://127.0.0.1/web_api"}
        sid, s = session(req)
        db = s["db"]
        if cmd in ("logout", "discard"):
            s["db"] = copy.deepcopy(st["published"])
            s["dirty"] = False
            if cmd == "logout":
                del st["sessions"][sid]
            return {"message": "OK"}
        if cmd == "keepalive":
            return {"message": "OK"}
        if cmd == "show-group":
            n = body_name(b)
            if n not in db["groups"]:
                raise not_found(n)
            return {"name": n, "type": "group", "members": [{"name": m, "type": "host"}
                                                          for m in db["groups"][n]["members"]]}
        if cmd == "add-group":
            n = body_name(b)
            if n in db["groups"] or n in db["hosts"]:
                raise cp_error(400, "err_validation_failed", "Validation failed with 1 error",
                               ["More than one object named '%s' exists." % n])
            db["groups"][n] = {"members": []}
            s["dirty"] = True
            return {"name": n, "type": "group", "uid": next_id(st, "uid")}
        if cmd == "set-group":
            n = body_name(b)
            g = db["groups"].get(n)
            if g is None:
                raise not_found(n)
            m = b.get("members")
            if not isinstance(m, dict) or not (set(m) & {"add", "remove"}):
                raise cp_error(400, "generic_err_invalid_parameter", "members must have add or remove")
            for op in ("add", "remove"):
                names = m.get(op, [])
                names = [names] if isinstance(names, str) else names
                for h in names:
                    if h not in db["hosts"]:
                        raise not_found(h)
                    if op == "add" and h not in g["members"]:
                        g["members"].append(h)
                        db["hosts"][h]["groups"].append(n)
                    elif op == "remove":
                        if h not in g["members"]:
                            raise cp_error(400, "err_validation_failed", "Validation failed with 1 error",
                                           ["Object '%s' is not a member of group '%s'." % (h, n)])
                        g["members"].remove(h)
                        db["hosts"][h]["groups"].remove(n)
            s["dirty"] = True
            return {"name": n, "type": "group", "members": [{"name": x} for x in g["members"]]}
        if cmd == "show-host":
            n = body_name(b)
            if n not in db["hosts"]:
                raise not_found(n)
            h = db["hosts"][n]
            return {"name": n, "type": "host", "ipv4-address": h["ip-address"], "groups": h["groups"]}
        if cmd == "add-host":
            n = body_name(b)
            try:
                ipaddress.ip_address(b.get("ip-address", ""))
            except ValueError:
                raise cp_error(400, "generic_err_invalid_parameter", "Invalid parameter: [ip-address]")
            if n in db["hosts"] or n in db["groups"]:
                raise cp_error(400, "err_validation_failed", "Validation failed with 1 error",
                               ["More than one object named '%s' exists." % n])
            groups = b.get("groups") or []
            groups = [groups] if isinstance(groups, str) else groups
            for gname in groups:
                if gname not in db["groups"]:
                    raise not_found(gname)
            db["hosts"][n] = {"ip-address": b["ip-address"], "groups": list(groups)}
            for gname in groups:
                db["groups"][gname]["members"].append(n)
            s["dirty"] = True
            return {"name": n, "type": "host", "ipv4-address": b["ip-address"], "uid": next_id(st, "uid")}
        if cmd == "delete-host":
            n = body_name(b)
            if n not in db["hosts"]:
                raise not_found(n)
            if db["hosts"][n]["groups"]:
                raise cp_error(400, "err_validation_failed", "Validation failed with 1 error",
                               ["Object '%s' is used by %s" % (n, ", ".join(db["hosts"][n]["groups"]))])
            del db["hosts"][n]
            s["dirty"] = True
            return {"message": "OK"}
        if cmd == "publish":
            tid = new_task(st, "publish", copy.deepcopy(db))
            s["dirty"] = False
            return {"task-id": tid}
        if cmd == "install-policy":
            pkg, targets = b.get("policy-package"), b.get("targets")
            if pkg not in st["packages"]:
                raise not_found(pkg)
            if isinstance(targets, str):
                targets = [targets]
            if not targets or any(t not in st["gateways"] for t in targets):
                raise cp_error(400, "generic_err_invalid_parameter", "Invalid parameter: [targets]")
            if any(x["dirty"] for x in st["sessions"].values() if x is s):
                raise cp_error(400, "err_validation_failed", "Publish the session before installing")
            tid = new_task(st, "install", {"package": pkg, "targets": sorted(targets)})
            return {"task-id": tid}
        if cmd == "show-task":
            tid = b.get("task-id")
            t = st["tasks"].get(tid)
            if t is None:
                raise not_found(tid)
            t["polls"] += 1
            if t["fail"]:
                status, pct = "failed", 100
            elif t["polls"] > sim.args.task_polls:
                finish_task(st, t)
                status, pct = "succeeded", 100
            else:
                status, pct = "in progress", 50
            return {"tasks": [{"task-id": tid, "task-name": t["kind"], "status": status,
                               "progress-percentage": pct}]}
        raise cp_error(404, "generic_err_command_not_found", "Unknown command %s" % cmd)


@sim.route("POST", r"/_cp/expire-sessions")
def expire_sessions(req):
    with req.lock:
        for s in req.state["sessions"].values():
            s["expires"] = 0
    return {"ok": True}


@sim.route("POST", r"/_cp/fail-next-task")
def fail_next_task(req):
    with req.lock:
        req.state["fail_next_task"] = True
    return {"ok": True}


@sim.route("POST", r"/_cp/delete-host/(?P<name>[^/]+)")
def delete_host(req):
    with req.lock:
        db = req.state["published"]
        n = req.params["name"]
        if n in db["hosts"]:
            for g in db["hosts"][n]["groups"]:
                db["groups"][g]["members"].remove(n)
            del db["hosts"][n]
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
