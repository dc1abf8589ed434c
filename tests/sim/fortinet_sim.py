#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""FortiOS REST API simulator (responders.md §4.1) for the fortinet
responder: firewall address objects (IPv4 and IPv6) and address groups per
VDOM under /api/v2/cmdb/firewall/, with an API token.

It checks what FortiOS checks: the Bearer token on every call, a known
`vdom` query, the object shapes (an iprange whose start-ip is a CIDR is
refused, an ipmask needs "address mask"), group members that exist,
duplicates (error -5), deletion of an object still in a group (error
-23), and, with require_member, an emptied group.

State (GET /__sim/state, PUT/PATCH /__sim/state):
  {"token": "...", "require_member": false,
   "vdoms": {"root": {"address": {name: obj}, "address6": {...},
                      "addrgrp": {name: {"name": n, "member": [names]}},
                      "addrgrp6": {...}}}}
"""

import ipaddress
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, json_response  # noqa: E402
from fwkit import StateSim  # noqa: E402

sim = StateSim("fortinet", "FortiOS REST API simulator")
sim.parser.add_argument("--token", default="fgt-token")
sim.parser.add_argument("--vdoms", default="root", help="comma-separated VDOM names")
sim.parser.add_argument("--groups", default="Internal-Block,External-Block",
                        help="address groups present in every VDOM at start")
sim.parser.add_argument("--groups6", default="", help="IPv6 address groups present at start")
sim.parser.add_argument("--require-member", action="store_true",
                        help="refuse to empty a group (older FortiOS)")

BASE = r"/api/v2/cmdb/firewall"


def fail(status, code=None, vdom=None, method="GET"):
    body = {"http_method": method, "status": "error", "http_status": status}
    if code is not None:
        body["error"] = code
    if vdom:
        body["vdom"] = vdom
    raise HTTPError(status, body=body)


def ok(method, vdom, mkey=None, results=None):
    body = {"http_method": method, "vdom": vdom, "path": "firewall", "status": "success",
            "http_status": 200, "serial": "FGVMSIM000000001", "version": "v7.2.8", "build": 1639}
    if mkey is not None:
        body["mkey"] = mkey
    if results is not None:
        body["results"] = results
    return json_response(body)


def check(req):
    """The token and the vdom; returns the vdom's tables."""
    if req.bearer() != req.state["token"]:
        raise HTTPError(401, body={"http_status": 401, "status": "error"})
    vdom = req.query.get("vdom")
    if vdom is None:
        fail(400, -3, None, req.method)
    v = req.state["vdoms"].get(vdom)
    if v is None:
        fail(404, -3, vdom, req.method)
    return vdom, v


def valid_v4(s):
    try:
        ipaddress.IPv4Address(s)
        return True
    except ValueError:
        return False


def validate_addr(table, o):
    """Raises the 500 FortiOS gives for an object it refuses."""
    if not isinstance(o, dict) or not isinstance(o.get("name"), str) or not o["name"]:
        fail(500, -651, method="POST")
    if table == "address6":
        try:
            ipaddress.IPv6Network(o.get("ip6", ""), strict=True)
        except ValueError:
            fail(500, -651, method="POST")
        return
    t = o.get("type", "ipmask")
    if t == "iprange":
        # FortiOS refuses "2.2.2.0/24" as a start-ip (VAR's CIDR defect)
        if not valid_v4(o.get("start-ip", "")) or not valid_v4(o.get("end-ip", "")):
            fail(500, -651, method="POST")
    elif t == "ipmask":
        parts = str(o.get("subnet", "")).split()
        if len(parts) != 2 or not valid_v4(parts[0]):
            fail(500, -651, method="POST")
        try:
            ipaddress.IPv4Network("%s/%s" % (parts[0], parts[1]), strict=True)
        except ValueError:
            fail(500, -651, method="POST")
    else:
        fail(500, -651, method="POST")


def name_of(req):
    return urllib.parse.unquote(req.params["name"])


def grp_table(table):
    return "address6" if table == "addrgrp6" else "address"


@sim.route("GET", BASE + r"/(?P<table>address6?)/(?P<name>[^/]+)")
def get_addr(req):
    with req.lock:
        vdom, v = check(req)
        o = v[req.params["table"]].get(name_of(req))
        if o is None:
            fail(404, None, vdom)
        return ok("GET", vdom, name_of(req), [dict(o, q_origin_key=o["name"])])


@sim.route("POST", BASE + r"/(?P<table>address6?)/?")
def post_addr(req):
    with req.lock:
        vdom, v = check(req)
        o = req.json()
        validate_addr(req.params["table"], o)
        if o["name"] in v[req.params["table"]]:
            fail(500, -5, vdom, "POST")
        v[req.params["table"]][o["name"]] = o
        return ok("POST", vdom, o["name"])


@sim.route("DELETE", BASE + r"/(?P<table>address6?)/(?P<name>[^/]+)")
def delete_addr(req):
    with req.lock:
        vdom, v = check(req)
        name, table = name_of(req), req.params["table"]
        if name not in v[table]:
            fail(404, None, vdom, "DELETE")
        gt = "addrgrp6" if table == "address6" else "addrgrp"
        if any(name in g["member"] for g in v[gt].values()):
            fail(500, -23, vdom, "DELETE")
        del v[table][name]
        return ok("DELETE", vdom, name)


@sim.route("GET", BASE + r"/(?P<table>addrgrp6?)/(?P<name>[^/]+)")
def get_group(req):
    with req.lock:
        vdom, v = check(req)
        g = v[req.params["table"]].get(name_of(req))
        if g is None:
            fail(404, None, vdom)
        return ok("GET", vdom, g["name"], [{"name": g["name"], "q_origin_key": g["name"],
                                            "member": [{"name": m, "q_origin_key": m} for m in g["member"]]}])


@sim.route("PUT", BASE + r"/(?P<table>addrgrp6?)/(?P<name>[^/]+)")
def put_group(req):
    with req.lock:
        vdom, v = check(req)
        g = v[req.params["table"]].get(name_of(req))
        if g is None:
            fail(404, None, vdom, "PUT")
        body = req.json()
        members = body.get("member") if isinstance(body, dict) else None
        if not isinstance(members, list) or not all(isinstance(m, dict) and isinstance(m.get("name"), str)
                                                    for m in members):
            fail(500, -651, vdom, "PUT")
        names = [m["name"] for m in members]
        addrs = v[grp_table(req.params["table"])]
        if any(n not in addrs for n in names):
            fail(500, -3, vdom, "PUT")          # "entry not found"
        if not names and req.state.get("require_member"):
            fail(500, -651, vdom, "PUT")
        g["member"] = names
        return ok("PUT", vdom, g["name"])


def initial_state(args):
    groups = [g for g in args.groups.split(",") if g]
    groups6 = [g for g in args.groups6.split(",") if g]
    vdoms = {}
    for name in args.vdoms.split(","):
        vdoms[name] = {"address": {}, "address6": {},
                       "addrgrp": {g: {"name": g, "member": []} for g in groups},
                       "addrgrp6": {g: {"name": g, "member": []} for g in groups6}}
    return {"token": args.token, "require_member": args.require_member, "vdoms": vdoms}


if __name__ == "__main__":
    # the state depends on the options: parse them first, main() parses again
    a, _ = sim.parser.parse_known_args()
    sim.state.update(initial_state(a))
    sys.exit(sim.main())
