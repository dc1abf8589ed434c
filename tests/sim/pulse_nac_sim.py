#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pulse Secure / Ivanti Policy Secure REST API simulator
(../shared/specs/responders.md §5.4): GET /api/v1/auth (HTTP Basic
user:password) gives an API key; every other call needs Basic "<key>:".
The integration sessions API quarantines by source IP and clears by MAC;
/api/v1/system/system-information checks a key.

State (--state FILE merges into it):
  sessions     {IP: [MAC, ...]}: the endpoints the appliance knows
  quarantined  [MAC]: the quarantined endpoints (upper-case colon form)
  history      [[event, value]] of the accepted events
  keys         {key: uses}
  key_uses     an API key is refused (401) after this many calls (0: never)
An unknown srcip answers 404 and an unknown macaddr 400: this simulator's
reading of the spec ("400 = the endpoint is unknown").
"""
import json
import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError  # noqa: E402

sim = Sim("pulse_nac", "Pulse/Ivanti Policy Secure REST simulator")
sim.parser.add_argument("--user", default="api-admin")
sim.parser.add_argument("--password", default="pps-secret")
sim.state.update(sessions={}, quarantined=[], history=[], keys={}, key_uses=0)


def fail(status, msg):
    raise HTTPError(status, msg, body=json.dumps({"status": "error", "message": msg}).encode(),
                    headers={"Content-Type": "application/json"})


def norm(mac):
    m = re.sub(r"[^0-9a-fA-F]", "", mac or "").upper()
    return ":".join(m[i:i + 2] for i in range(0, 12, 2)) if len(m) == 12 else None


def key_auth(req):
    ba = req.basic_auth()
    with req.lock:
        st = req.state
        if not ba or ba[1] != "" or ba[0] not in st["keys"]:
            fail(401, "Invalid API key")
        if st["key_uses"] and st["keys"][ba[0]] >= st["key_uses"]:
            del st["keys"][ba[0]]
            fail(401, "API key expired")
        st["keys"][ba[0]] += 1


@sim.route("GET", r"/api/v1/auth")
def auth(req):
    if req.basic_auth() != (sim.args.user, sim.args.password):
        fail(401, "Invalid username or password")
    k = secrets.token_urlsafe(24)
    with req.lock:
        req.state["keys"][k] = 0
    return {"api_key": k}


@sim.route("GET", r"/api/v1/system/system-information")
def sysinfo(req):
    key_auth(req)
    return {"hardware-model-name": "PSA-V", "software-inventory": {"software": {"version": "9.1R18"}}}


@sim.route("PUT", r"/api/v1/integration/sessions")
def event(req):
    key_auth(req)
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        fail(415, "JSON only")
    d = req.json()
    ev = d.get("event-name") if isinstance(d, dict) else None
    with req.lock:
        st = req.state
        if ev == "quarantine-endpoint":
            ip = d.get("srcip")
            if ip not in st["sessions"]:
                fail(404, "No active session for %s" % ip)
            for m in st["sessions"][ip]:
                if norm(m) not in st["quarantined"]:
                    st["quarantined"].append(norm(m))
            st["history"].append([ev, ip])
            return None
        if ev == "clear-quarantined-endpoint":
            mac = norm(d.get("macaddr"))
            known = {norm(m) for ms in st["sessions"].values() for m in ms}
            if mac is None or (mac not in known and mac not in st["quarantined"]):
                fail(400, "Unknown endpoint %s" % d.get("macaddr"))
            if mac in st["quarantined"]:
                st["quarantined"].remove(mac)
            st["history"].append([ev, mac])
            return None
    fail(400, "Unknown event-name")


@sim.route("GET", r"/api/v1/integration/sessions/(?P<ip>[^/]+)")
def session(req):
    key_auth(req)
    with req.lock:
        macs = req.state["sessions"].get(req.params["ip"])
        if macs is None:
            fail(404, "No active session for %s" % req.params["ip"])
        return {"data": [{"macaddr": m, "srcip": req.params["ip"], "username": "user"} for m in macs]}


if __name__ == "__main__":
    sys.exit(sim.main())
