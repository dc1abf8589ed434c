#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""FortiManager JSON-RPC simulator (responders.md §4.7) for the
fortimanager responder: POST /jsonrpc with exec /sys/login/user and
/sys/logout, get/set/update/delete of ADOM address objects and address
groups, exec /securityconsole/install/package and get /task/task/<id>.

As FortiManager: a session is needed on every call but login (-11 "No
permission for the resource" otherwise, also once it expired or was
logged out), several params per request get one result each, an unknown
object is -3, an invalid one -10, deleting an address still in a group is
refused, group members must exist, an install names an existing package
and managed devices and runs as a task that needs polling (50 % per
poll).  Installs are recorded with their package, scope and the groups'
members at that time.

State (GET /__sim/state, PUT/PATCH /__sim/state):
  {"users": {"admin": "pw"}, "sessions": [], "logouts": 0,
   "adoms": {"root": {"address": {}, "addrgrp": {"Internal-Block": {"name": .., "member": []}}}},
   "packages": ["default"], "devices": {"fgt1": ["root"]},
   "tasks": {}, "installs": [], "install_fail": false,
   "expire_after": null, "calls": {}}   (expire_after N: a session dies after N calls)
"""

import ipaddress
import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError  # noqa: E402
from fwkit import StateSim  # noqa: E402

sim = StateSim("fortimanager", "FortiManager JSON-RPC simulator")
sim.parser.add_argument("--user", default="admin")
sim.parser.add_argument("--password", default="fmg-pass")
sim.parser.add_argument("--groups", default="Internal-Block,External-Block")

OBJ = re.compile(r"^/pm/config/adom/(?P<adom>[^/]+)/obj/firewall/(?P<table>address|addrgrp)(?:/(?P<name>[^/]+))?$")
TASK = re.compile(r"^/task/task/(?P<id>\d+)$")


def st(code, message, url, data=None):
    r = {"status": {"code": code, "message": message}, "url": url}
    if data is not None:
        r["data"] = data
    return r


def valid_addr(o):
    if not isinstance(o, dict) or not o.get("name") or o.get("type", "ipmask") != "ipmask":
        return False
    sub = o.get("subnet")
    parts = sub.split() if isinstance(sub, str) else sub if isinstance(sub, list) else []
    if len(parts) != 2:
        return False
    try:
        ipaddress.IPv4Network("%s/%s" % (parts[0], parts[1]), strict=True)
    except ValueError:
        return False
    return True


def one(req, method, p):
    s = req.state
    url = p.get("url", "")
    data = p.get("data")
    if method == "exec" and url == "/sys/logout":
        return st(0, "OK", url)
    if method == "exec" and url == "/securityconsole/install/package":
        if not isinstance(data, dict) or data.get("pkg") not in s["packages"] or data.get("adom") not in s["adoms"]:
            return st(-3, "Object does not exist", url)
        scope = data.get("scope")
        if not isinstance(scope, list) or not scope:
            return st(-10, "The data is invalid for selected url", url)
        for d in scope:
            if not isinstance(d, dict) or d.get("vdom") not in s["devices"].get(d.get("name"), []):
                return st(-10, "The data is invalid for selected url", url)
        tid = len(s["tasks"]) + 1
        s["tasks"][str(tid)] = {"id": tid, "percent": 0, "num_err": 0, "state": "pending"}
        adom = s["adoms"][data["adom"]]
        s["installs"].append({"task": tid, "adom": data["adom"], "pkg": data["pkg"], "scope": scope,
                              "groups": {g: list(v["member"]) for g, v in adom["addrgrp"].items()}})
        return st(0, "OK", url, {"task": tid})
    m = TASK.match(url)
    if m and method == "get":
        t = s["tasks"].get(m.group("id"))
        if t is None:
            return st(-3, "Object does not exist", url)
        if t["percent"] < 100:
            t["percent"] += 50
            if t["percent"] >= 100:
                t["state"] = "done"
                t["num_err"] = 1 if s.get("install_fail") else 0
        return st(0, "OK", url, dict(t))
    m = OBJ.match(url)
    if not m:
        return st(-6, "Invalid url", url)
    adom = s["adoms"].get(m.group("adom"))
    if adom is None:
        return st(-3, "Object does not exist", url)
    table, name = adom[m.group("table")], m.group("name")
    if method == "get":
        if name is None:
            return st(0, "OK", url, list(table.values()))
        if name not in table:
            return st(-3, "Object does not exist", url)
        return st(0, "OK", url, dict(table[name]))
    if method == "set" and m.group("table") == "address":
        objs = data if isinstance(data, list) else [data]
        if name is not None or not all(valid_addr(o) for o in objs):
            return st(-10, "The data is invalid for selected url", url)
        for o in objs:
            table[o["name"]] = dict(o)
        return st(0, "OK", url)
    if method == "update" and m.group("table") == "addrgrp":
        if name not in table:
            return st(-3, "Object does not exist", url)
        mem = data.get("member") if isinstance(data, dict) else None
        if isinstance(mem, str):
            mem = [mem]
        if not isinstance(mem, list) or any(x not in adom["address"] for x in mem):
            return st(-10, "The data is invalid for selected url", url)
        table[name]["member"] = list(mem)
        return st(0, "OK", url)
    if method == "delete" and name is not None:
        if name not in table:
            return st(-3, "Object does not exist", url)
        if m.group("table") == "address" and any(name in g["member"] for g in adom["addrgrp"].values()):
            return st(-10, "The object is used by addrgrp", url)
        del table[name]
        return st(0, "OK", url)
    return st(-6, "Invalid url", url)


@sim.route("POST", r"/jsonrpc")
def jsonrpc(req):
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("params"), list) or not body.get("method"):
        raise HTTPError(400, "not a JSON-RPC request")
    method, params = body["method"], body["params"]
    out = {"id": body.get("id"), "result": []}
    with req.lock:
        s = req.state
        if method == "exec" and params and params[0].get("url") == "/sys/login/user":
            d = params[0].get("data") or {}
            if s["users"].get(d.get("user")) != d.get("passwd") or not d.get("passwd"):
                out["result"].append(st(-22, "Login fail", "/sys/login/user"))
                return out
            tok = secrets.token_urlsafe(24)
            s["sessions"].append(tok)
            out["result"].append(st(0, "OK", "/sys/login/user"))
            out["session"] = tok
            return out
        sess = body.get("session")
        if sess in s["sessions"] and s.get("expire_after") is not None:
            # a session that lives for so many calls: expiry in the middle of a batch
            n = s["calls"].get(sess, 0) + 1
            s["calls"][sess] = n
            if n > s["expire_after"]:
                s["sessions"].remove(sess)
        if sess not in s["sessions"]:
            out["result"] = [st(-11, "No permission for the resource", p.get("url", "")) for p in params]
            return out
        for p in params:
            out["result"].append(one(req, method, p if isinstance(p, dict) else {}))
        if method == "exec" and params and params[0].get("url") == "/sys/logout":
            s["sessions"].remove(body["session"])
            s["logouts"] += 1
    return out


if __name__ == "__main__":
    a, _ = sim.parser.parse_known_args()
    groups = [g for g in a.groups.split(",") if g]
    sim.state.update({"users": {a.user: a.password}, "sessions": [], "logouts": 0,
                      "adoms": {"root": {"address": {}, "addrgrp": {g: {"name": g, "member": []} for g in groups}}},
                      "packages": ["default"], "devices": {"fgt1": ["root"], "fgt2": ["root", "dmz"]},
                      "tasks": {}, "installs": [], "install_fail": False,
                      "expire_after": None, "calls": {}})
    sys.exit(sim.main())
