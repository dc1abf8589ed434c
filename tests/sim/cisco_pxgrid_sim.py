#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cisco pxGrid 2.0 simulator (../shared/specs/responders.md §5.2), to run
with --tls-cert/--tls-key and --tls-client-ca: every call needs a client
certificate whose CN is the pxGrid node name.

Control (/pxgrid/control/, HTTP Basic node name and password): AccountActivate,
ServiceLookup (com.cisco.ise.config.anc, com.cisco.ise.session; restBaseUrl
on this server), AccessSecret.  Services (HTTP Basic node name and the
secret given for the service's node): ANC applyEndpointByMacAddress,
clearEndpointByMacAddress, getEndpoints; session getSessionByIpAddress
(204 when there is none).

State (--state FILE merges into it):
  node_name, password      the client account ("" password: certificate only)
  pending_activations      AccountActivate answers PENDING this many times first
  disabled                 the account is disabled
  session_service          publish the session service (on another node)
  endpoints                {MAC: policy}
  policies                 ANC policy names
  sessions                 {IP: MAC}
  secrets                  {secret: uses}; secret_uses: refused (401) after that many calls (0: never)
  history                  [[operation, MAC, policy]]
"""
import json
import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError  # noqa: E402

sim = Sim("cisco_pxgrid", "Cisco pxGrid 2.0 simulator")
sim.state.update(node_name="secresp", password="", pending_activations=0, disabled=False, session_service=True,
                 endpoints={}, policies=["Quarantine"], sessions={}, secrets={}, secret_uses=0, history=[],
                 activations=0)

ANC_NODE = "ise-pan-1.example.com"
MNT_NODE = "ise-mnt-1.example.com"
MAC_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


def unauthorized(msg):
    raise HTTPError(401, msg, body=b"", headers={"WWW-Authenticate": 'Basic realm="pxGrid"'})


def check_cert(req):
    with req.lock:
        node = req.state["node_name"]
    if req.peer_cn != node:
        raise HTTPError(403, "certificate", body=json.dumps({"error": "client certificate CN %r is not %r"
                                                             % (req.peer_cn, node)}).encode())


def control_auth(req):
    check_cert(req)
    with req.lock:
        want = (req.state["node_name"], req.state["password"])
    if req.basic_auth() != want:
        unauthorized("bad account")
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        raise HTTPError(415, "JSON only")
    return req.json()


def base(req):
    return "https://%s" % req.headers.get("Host")


@sim.route("POST", r"/pxgrid/control/AccountActivate")
def activate(req):
    control_auth(req)
    with req.lock:
        st = req.state
        st["activations"] += 1
        if st["disabled"]:
            state = "DISABLED"
        elif st["pending_activations"] > 0:
            st["pending_activations"] -= 1
            state = "PENDING"
        else:
            state = "ENABLED"
    return {"accountState": state, "version": "2.0.0.13"}


@sim.route("POST", r"/pxgrid/control/ServiceLookup")
def lookup(req):
    d = control_auth(req)
    name = d.get("name") if isinstance(d, dict) else None
    with req.lock:
        sess = req.state["session_service"]
    if name == "com.cisco.ise.config.anc":
        svcs = [{"name": name, "nodeName": ANC_NODE,
                 "properties": {"restBaseUrl": base(req) + "/pxgrid/ise/config/anc", "statusTopic": "/topic/anc"}}]
    elif name == "com.cisco.ise.session" and sess:
        svcs = [{"name": name, "nodeName": MNT_NODE,
                 "properties": {"restBaseUrl": base(req) + "/pxgrid/mnt/sd", "sessionTopic": "/topic/session"}}]
    else:
        svcs = []
    return {"services": svcs}


@sim.route("POST", r"/pxgrid/control/AccessSecret")
def access_secret(req):
    d = control_auth(req)
    peer = d.get("peerNodeName") if isinstance(d, dict) else None
    if peer not in (ANC_NODE, MNT_NODE):
        raise HTTPError(400, "unknown peer")
    s = secrets.token_urlsafe(12)
    with req.lock:
        req.state["secrets"][s] = {"peer": peer, "uses": 0}
    return {"secret": s}


def service_auth(req, peer):
    check_cert(req)
    ba = req.basic_auth()
    with req.lock:
        st = req.state
        if not ba or ba[0] != st["node_name"] or ba[1] not in st["secrets"]:
            unauthorized("bad secret")
        ent = st["secrets"][ba[1]]
        if ent["peer"] != peer:
            unauthorized("secret of another node")
        if st["secret_uses"] and ent["uses"] >= st["secret_uses"]:
            del st["secrets"][ba[1]]
            unauthorized("secret expired")
        ent["uses"] += 1
    d = req.json()
    if not isinstance(d, dict):
        raise HTTPError(400, "JSON object expected")
    return d


@sim.route("POST", r"/pxgrid/ise/config/anc/applyEndpointByMacAddress")
def apply(req):
    d = service_auth(req, ANC_NODE)
    mac, pol = d.get("macAddress", ""), d.get("policyName")
    with req.lock:
        st = req.state
        if not MAC_RE.match(mac):
            return {"macAddress": mac, "status": "FAILURE", "failureReason": "invalid mac address"}
        if pol not in st["policies"]:
            return {"macAddress": mac, "status": "FAILURE", "failureReason": "policy %s not found" % pol}
        if st["endpoints"].get(mac) == pol:
            return {"operationId": secrets.token_hex(4), "macAddress": mac, "status": "FAILURE",
                    "failureReason": "mac address is already associated with this policy"}
        st["endpoints"][mac] = pol
        st["history"].append(["apply", mac, pol])
    return {"operationId": secrets.token_hex(4), "macAddress": mac, "status": "SUCCESS"}


@sim.route("POST", r"/pxgrid/ise/config/anc/clearEndpointByMacAddress")
def clear(req):
    d = service_auth(req, ANC_NODE)
    mac = d.get("macAddress", "")
    with req.lock:
        st = req.state
        if mac not in st["endpoints"]:
            return {"operationId": secrets.token_hex(4), "macAddress": mac, "status": "FAILURE",
                    "failureReason": "mac address is not associated with any policy"}
        pol = st["endpoints"].pop(mac)
        st["history"].append(["clear", mac, pol])
    return {"operationId": secrets.token_hex(4), "macAddress": mac, "status": "SUCCESS"}


@sim.route("POST", r"/pxgrid/ise/config/anc/getEndpoints")
def endpoints(req):
    service_auth(req, ANC_NODE)
    with req.lock:
        return {"endpoints": [{"macAddress": m, "policyName": p} for m, p in req.state["endpoints"].items()]}


@sim.route("POST", r"/pxgrid/mnt/sd/getSessionByIpAddress")
def session(req):
    d = service_auth(req, MNT_NODE)
    with req.lock:
        mac = req.state["sessions"].get(d.get("ipAddress"))
    if not mac:
        return None
    return {"timestamp": "2026-11-22T10:00:00.000Z", "state": "STARTED", "macAddress": mac,
            "ipAddresses": [d.get("ipAddress")], "nasIpAddress": "10.9.0.1", "userName": "user"}


if __name__ == "__main__":
    sys.exit(sim.main())
