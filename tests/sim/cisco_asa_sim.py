#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cisco_asa_sim: the Cisco ASA HTTP interface (responders.md §4.6).

  GET /admin/exec/<cmd>[/<cmd>...]     exec-mode commands; the CLI's text as the answer
  GET /admin/config/<cmd>[/<cmd>...]   configuration commands, one after the other
                                       (a '/' separates them; each is percent-decoded)

Every request needs HTTP Basic credentials (--username/--password) and the
User-Agent allowed by "http server basic-auth-client" (--user-agent); the
ASA answers 401 with WWW-Authenticate otherwise.  HTTP 200 otherwise, even
when the CLI refused the command: the text says so.

Commands understood:
  show version
  show running-config object-group id NAME    the group's lines, nothing when it does not exist
  write memory                                "Building configuration..." ... "[OK]"; saves
  object-group network NAME                   enters the group (the CLI creates a missing one)
   network-object host IP                     adds; "... failed; object already exists" when present
   no network-object host IP                  removes; "ERROR: ... does not exist" when absent
Anything else, or a network-object outside an object-group, answers
"ERROR: % Invalid input detected at '^' marker.".  The exact texts of the
duplicate and missing answers are [unverified] (responders.md §4.6).

State: {"groups": {NAME: [IP, ...]}, "saved": {...} (after write memory),
"writes": N}.  Initial: "Vectra-Block" holding 192.0.2.254, "Other" empty.
Test hook: POST /_asa/remove/<group>/<ip> (an administrator removed it).
"""
import ipaddress
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim  # noqa: E402

sim = Sim("cisco_asa", "Cisco ASA HTTP interface simulator")
sim.parser.add_argument("--username", default="secresp")
sim.parser.add_argument("--password", default="asa-secret")
sim.parser.add_argument("--user-agent", default="secresp")
sim.state.update({"groups": {"Vectra-Block": ["192.0.2.254"], "Other": []}, "saved": {}, "writes": 0})

INVALID = "ERROR: % Invalid input detected at '^' marker."


def auth(req):
    if req.basic_auth() != (sim.args.username, sim.args.password) or \
            req.headers.get("User-Agent") != sim.args.user_agent:
        raise HTTPError(401, "unauthorized", {"WWW-Authenticate": 'Basic realm="Authentication"'},
                        body="<HTML><BODY><H1>401 Unauthorized</H1></BODY></HTML>")


def commands(req, prefix):
    raw = req.path[len(prefix):]
    return [urllib.parse.unquote(c) for c in raw.split("/") if c != ""]


def text(lines):
    return Response(200, "\n".join(lines) + ("\n" if lines else ""), None, "text/plain")


def valid_ip(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


@sim.route("GET", r"/admin/exec/.+")
def exec_mode(req):
    auth(req)
    out = []
    with req.lock:
        st = req.state
        for c in commands(req, "/admin/exec/"):
            w = c.split()
            if w == ["show", "version"]:
                out += ["Cisco Adaptive Security Appliance Software Version 9.16(4)",
                        "asa-sim up 12 days 3 hours"]
            elif w[:4] == ["show", "running-config", "object-group", "id"] and len(w) == 5:
                g = st["groups"].get(w[4])
                if g is not None:
                    out.append("object-group network %s" % w[4])
                    out += [" network-object host %s" % ip for ip in g]
            elif w == ["write", "memory"]:
                st["saved"] = {k: list(v) for k, v in st["groups"].items()}
                st["writes"] += 1
                out += ["Building configuration...", "Cryptochecksum: 3a1f 9c2e 77b0 1d44", "[OK]"]
            else:
                out.append(INVALID)
    return text(out)


@sim.route("GET", r"/admin/config/.+")
def config_mode(req):
    auth(req)
    out = []
    with req.lock:
        st = req.state
        group = None
        for c in commands(req, "/admin/config/"):
            w = c.split()
            if len(w) == 3 and w[:2] == ["object-group", "network"]:
                group = w[2]
                st["groups"].setdefault(group, [])
            elif group is not None and len(w) == 3 and w[:2] == ["network-object", "host"] and valid_ip(w[2]):
                members = st["groups"][group]
                if w[2] in members:
                    out.append("Adding obj (host %s) to grp (%s) failed; object already exists" % (w[2], group))
                else:
                    members.append(w[2])
            elif group is not None and len(w) == 4 and w[:3] == ["no", "network-object", "host"] and \
                    valid_ip(w[3]):
                members = st["groups"][group]
                if w[3] in members:
                    members.remove(w[3])
                else:
                    out.append("ERROR: network-object host %s does not exist in object-group %s" % (w[3], group))
            else:
                out.append(INVALID)
    return text(out)


@sim.route("POST", r"/_asa/remove/(?P<g>[^/]+)/(?P<ip>[^/]+)")
def remove(req):
    with req.lock:
        m = req.state["groups"].get(req.params["g"], [])
        if req.params["ip"] in m:
            m.remove(req.params["ip"])
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
