#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cisco Meraki Dashboard API v1 simulator (../shared/specs/responders.md
§5.6), under /api/v1: organizations, their networks (and DELETE of a
network), clients filtered by mac / ip with t0 (at most 31 days back),
client policies (GET/PUT, group policies checked), switch port statuses
and port updates.  Bearer (or X-Cisco-Meraki-API-Key) auth; errors as
Meraki's {"errors": [...]}.

State (--state FILE merges into it):
  organizations  [{id, name}]
  networks       {orgId: [{id, name}]}
  clients        {netId: [{id, mac, ip, ssid?, switchport?, recentDeviceSerial?,
                           recentDeviceConnection?, lastSeenDaysAgo?}]}
  policies       {"netId/clientId": {devicePolicy, groupPolicyId?}} (default Normal)
  group_policies {netId: [groupPolicyId]}
  ports          {serial: {portId: {enabled, isUplink, clientCount}}}
  history        [[method, path, body]] of the accepted changes

Test hook: PUT /_meraki/clients replaces the clients (a host that roamed).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError  # noqa: E402

sim = Sim("meraki", "Cisco Meraki Dashboard API v1 simulator")
sim.parser.add_argument("--api-key", default="meraki-key")
sim.state.update(organizations=[], networks={}, clients={}, policies={}, group_policies={}, ports={}, history=[])

BASE = r"/api/v1"
POLICIES = ("Normal", "Blocked", "Allowed", "Group policy")


def err(status, *msgs):
    raise HTTPError(status, msgs[0], body=json.dumps({"errors": list(msgs)}).encode(),
                    headers={"Content-Type": "application/json"})


def auth(req):
    key = req.bearer() or req.headers.get("X-Cisco-Meraki-API-Key")
    if key != sim.args.api_key:
        err(401, "Invalid API key")


def net_exists(st, net):
    return any(n["id"] == net for nets in st["networks"].values() for n in nets)


def client_view(c):
    v = {k: c.get(k) for k in ("id", "mac", "ip", "description", "ssid", "switchport", "recentDeviceSerial",
                               "recentDeviceConnection", "vlan")}
    v["status"] = "Online"
    v["lastSeen"] = int(time.time() - 86400 * c.get("lastSeenDaysAgo", 0))
    return v


@sim.route("GET", BASE + r"/organizations")
def orgs(req):
    auth(req)
    with req.lock:
        return list(req.state["organizations"])


@sim.route("GET", BASE + r"/organizations/(?P<org>[^/]+)/networks")
def networks(req):
    auth(req)
    with req.lock:
        if req.params["org"] not in [o["id"] for o in req.state["organizations"]]:
            err(404, "Organization not found")
        return list(req.state["networks"].get(req.params["org"], []))


@sim.route("DELETE", BASE + r"/networks/(?P<net>[^/]+)")
def delete_network(req):
    auth(req)
    with req.lock:
        st = req.state
        for org, nets in st["networks"].items():
            st["networks"][org] = [n for n in nets if n["id"] != req.params["net"]]
        st["clients"].pop(req.params["net"], None)
    return None


@sim.route("GET", BASE + r"/networks/(?P<net>[^/]+)/clients")
def clients(req):
    auth(req)
    q = req.query
    now = time.time()
    t0 = now - 30 * 86400
    if "t0" in q:
        try:
            t0 = float(q["t0"])
        except ValueError:
            err(400, "'t0' must be a number")
        if t0 < now - 31 * 86400 - 60:
            err(400, "'t0' must be within 31 days of now")
    with req.lock:
        st = req.state
        if not net_exists(st, req.params["net"]):
            err(404, "Network not found")
        out = []
        for c in st["clients"].get(req.params["net"], []):
            v = client_view(c)
            if "mac" in q and (v["mac"] or "").lower() != q["mac"].lower():
                continue
            if "ip" in q and v["ip"] != q["ip"]:
                continue
            if v["lastSeen"] < t0:
                continue
            out.append(v)
    return out


def find_client(st, net, cid):
    if not net_exists(st, net):
        err(404, "Network not found")
    for c in st["clients"].get(net, []):
        if c["id"] == cid:
            return c
    err(404, "Client not found")


@sim.route("GET", BASE + r"/networks/(?P<net>[^/]+)/clients/(?P<cid>[^/]+)/policy")
def get_policy(req):
    auth(req)
    with req.lock:
        st = req.state
        c = find_client(st, req.params["net"], req.params["cid"])
        p = dict(st["policies"].get("%s/%s" % (req.params["net"], c["id"]), {"devicePolicy": "Normal"}))
    p["mac"] = c["mac"]
    return p


@sim.route("PUT", BASE + r"/networks/(?P<net>[^/]+)/clients/(?P<cid>[^/]+)/policy")
def put_policy(req):
    auth(req)
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        err(400, "Content-Type must be application/json")
    d = req.json()
    pol = d.get("devicePolicy") if isinstance(d, dict) else None
    if pol not in POLICIES:
        err(400, "'devicePolicy' must be one of: 'Normal', 'Blocked', 'Allowed' or 'Group policy'")
    with req.lock:
        st = req.state
        c = find_client(st, req.params["net"], req.params["cid"])
        new = {"devicePolicy": pol}
        if pol == "Group policy":
            gp = d.get("groupPolicyId")
            if gp not in st["group_policies"].get(req.params["net"], []):
                err(400, "'groupPolicyId' must be an existing group policy of the network")
            new["groupPolicyId"] = gp
        st["policies"]["%s/%s" % (req.params["net"], c["id"])] = new
        st["history"].append(["PUT", req.path, d])
    out = dict(new)
    out["mac"] = c["mac"]
    return out


@sim.route("GET", BASE + r"/devices/(?P<serial>[^/]+)/switch/ports/statuses")
def port_statuses(req):
    auth(req)
    with req.lock:
        ports = req.state["ports"].get(req.params["serial"])
        if ports is None:
            err(404, "Device not found")
        return [{"portId": pid, "enabled": p.get("enabled", True),
                 "status": "Connected" if p.get("enabled", True) else "Disabled",
                 "isUplink": p.get("isUplink", False), "clientCount": p.get("clientCount", 0),
                 "speed": "1 Gbps", "duplex": "full"} for pid, p in ports.items()]


@sim.route("PUT", BASE + r"/devices/(?P<serial>[^/]+)/switch/ports/(?P<port>[^/]+)")
def put_port(req):
    auth(req)
    d = req.json()
    if not isinstance(d, dict) or ("enabled" in d and not isinstance(d["enabled"], bool)):
        err(400, "'enabled' must be a boolean")
    with req.lock:
        st = req.state
        ports = st["ports"].get(req.params["serial"])
        if ports is None:
            err(404, "Device not found")
        p = ports.get(req.params["port"])
        if p is None:
            err(404, "Port not found")
        if "enabled" in d:
            p["enabled"] = d["enabled"]
        st["history"].append(["PUT", req.path, d])
        return {"portId": req.params["port"], "name": None, "enabled": p.get("enabled", True), "type": "access"}


# Test hook (no auth, logged like the API calls): the clients the
# Dashboard sees now, {netId: [client, ...]} replacing them all, as when a
# host roams to another network or switch port.
@sim.route("PUT", r"/_meraki/clients")
def put_clients(req):
    body = req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "clients: an object {netId: [client]}")
    with req.lock:
        req.state["clients"] = body
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
