#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cisco ISE simulator (../shared/specs/responders.md §5.1): the ERS ANC
endpoint calls (apply, clear, versioninfo with the CSRF token, ancpolicy by
name) and the MnT ActiveList, with HTTP Basic on both.

ERS and MnT share one port here (a real ISE serves ERS on 9060): tests point
the responder's ers_url at the simulator.

State (JSON, --state FILE merges into it):
  sessions   [{calling_station_id, framed_ip_address, ipAddresses?, user_name?, nas_ip_address?}]
  policies   {name: action} of the ANC policies that exist; a PORT_BOUNCE policy
             bounces the port and leaves no assignment behind
  endpoints  {MAC: policy}: the ANC assignments (MACs upper-case colon form)
  history    [[op, MAC, policy]]: every accepted apply/clear, in order
  csrf       ERS CSRF protection on: PUTs need the token and cookie of versioninfo
  csrf_uses  a CSRF token is refused (403) after this many PUTs (0: never)
  radius_failure_macs  apply stores the policy but answers 500 "Radius Failure"
  reapply    what apply of the policy an endpoint already holds answers:
             "ok" (204) or "error" (500, title "... already applied ...")
  clear_missing  what clear of an endpoint without a policy answers: "ok" (204)
             or "error" (500, title "... is not associated with any ANC policy")
The two "error" texts are this simulator's assumption ([unverified] in the spec).
"""
import base64
import os
import re
import secrets
import sys
import xml.sax.saxutils as su

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError, Response, json_response  # noqa: E402

sim = Sim("cisco_ise", "Cisco ISE ERS/MnT simulator")
sim.parser.add_argument("--user", default="ers-admin")
sim.parser.add_argument("--password", default="ers-secret")
sim.state.update(sessions=[], policies={"Quarantine": "QUARANTINE", "PortBounce": "PORT_BOUNCE"}, endpoints={},
                 history=[],
                 csrf=False, csrf_uses=0, radius_failure_macs=[], reapply="error",
                 clear_missing="error", tokens={})

MAC_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


def ers_error(status, title, op):
    body = {"ERSResponse": {"operation": op, "messages": [
        {"title": title, "type": "ERROR", "code": "Application resource validation exception"}],
        "link": {"rel": "related", "href": "https://ise/ers/config/ancendpoint", "type": "application/xml"}}}
    return json_response(body, status)


def auth(req):
    ba = req.basic_auth()
    if ba != (sim.args.user, sim.args.password):
        raise HTTPError(401, "unauthorized", body=b"<html><body>401 Unauthorized</body></html>")


def ers_common(req):
    auth(req)
    acc = req.headers.get("Accept", "")
    if "application/json" not in acc and "application/xml" not in acc:
        raise HTTPError(406, "ERS needs an Accept header")


@sim.route("GET", r"/ers/config/ancendpoint/versioninfo")
def versioninfo(req):
    ers_common(req)
    headers = {}
    if req.headers.get("X-CSRF-TOKEN", "").lower() == "fetch":
        with req.lock:
            if req.state["csrf"]:
                tok = secrets.token_hex(16)
                sess = secrets.token_hex(12)
                req.state["tokens"][tok] = {"cookie": sess, "uses": 0}
                headers["X-CSRF-Token"] = tok
                headers["Set-Cookie"] = "JSESSIONID=%s; Path=/; Secure; HttpOnly" % sess
    body = {"VersionInfo": {"currentServerVersion": "1.2", "supportedVersions": "1.0,1.1,1.2",
                            "link": {"rel": "self", "href": "https://ise/ers/config/ancendpoint/versioninfo",
                                     "type": "application/json"}}}
    return Response(200, body, headers)


@sim.route("GET", r"/ers/config/ancpolicy/name/(?P<name>[^/]+)")
def ancpolicy(req):
    ers_common(req)
    import urllib.parse
    name = urllib.parse.unquote(req.params["name"])
    with req.lock:
        if name not in req.state["policies"]:
            return ers_error(404, "Resource not found", "GET-getbyname-ancpolicy")
        action = req.state["policies"][name]
    return {"ErsAncPolicy": {"id": "id-" + name, "name": name, "actions": [action]}}


def check_csrf(req):
    """The token and cookie of a versioninfo fetch, each good for csrf_uses PUTs."""
    with req.lock:
        if not req.state["csrf"]:
            return
        tok = req.headers.get("X-CSRF-Token")
        ent = req.state["tokens"].get(tok or "")
        cookie = req.headers.get("Cookie", "")
        limit = req.state["csrf_uses"]
        if not ent or ("JSESSIONID=" + ent["cookie"]) not in cookie:
            raise HTTPError(403, "CSRF", body=b"CSRF check failed")
        if limit and ent["uses"] >= limit:
            del req.state["tokens"][tok]
            raise HTTPError(403, "CSRF", body=b"CSRF token expired")
        ent["uses"] += 1


def anc_body(req):
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        raise HTTPError(415, "Unsupported Media Type")
    d = req.json()
    try:
        items = d["OperationAdditionalData"]["additionalData"]
        kv = {i["name"]: i["value"] for i in items}
    except (KeyError, TypeError):
        raise HTTPError(400, "bad body", body=b'{"ERSResponse":{"messages":[{"title":"Bad request body"}]}}')
    return kv


@sim.route("PUT", r"/ers/config/ancendpoint/apply")
def apply(req):
    ers_common(req)
    check_csrf(req)
    kv = anc_body(req)
    mac, pol = kv.get("macAddress", ""), kv.get("policyName")
    if not MAC_RE.match(mac):
        return ers_error(400, "Invalid MAC address %s" % mac, "PUT-apply-ancendpoint")
    with req.lock:
        st = req.state
        if pol not in st["policies"]:
            return ers_error(500, "Policy %s does not exist" % pol, "PUT-apply-ancendpoint")
        if st["endpoints"].get(mac) == pol and st["reapply"] == "error":
            return ers_error(500, "Policy %s already applied to endpoint %s" % (pol, mac), "PUT-apply-ancendpoint")
        st["history"].append(["apply", mac, pol])
        if st["policies"][pol] != "PORT_BOUNCE":
            st["endpoints"][mac] = pol
        if mac in st["radius_failure_macs"]:
            return ers_error(500, "Radius Failure", "PUT-apply-ancendpoint")
    return None


@sim.route("PUT", r"/ers/config/ancendpoint/clear")
def clear(req):
    ers_common(req)
    check_csrf(req)
    kv = anc_body(req)
    mac, pol = kv.get("macAddress", ""), kv.get("policyName")
    if not MAC_RE.match(mac):
        return ers_error(400, "Invalid MAC address %s" % mac, "PUT-clear-ancendpoint")
    with req.lock:
        st = req.state
        if mac not in st["endpoints"]:
            if st["clear_missing"] == "error":
                return ers_error(500, "Endpoint %s is not associated with any ANC policy" % mac,
                                 "PUT-clear-ancendpoint")
            return None
        del st["endpoints"][mac]
        st["history"].append(["clear", mac, pol])
    return None


@sim.route("GET", r"/admin/API/mnt/Session/ActiveList")
def active_list(req):
    auth(req)
    if "application/xml" not in req.headers.get("Accept", ""):
        raise HTTPError(406, "MnT answers XML only")
    with req.lock:
        sessions = list(req.state["sessions"])
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>']
    if not sessions:
        parts.append('<activeList noOfActiveSession="0"/>')
    else:
        parts.append('<activeList noOfActiveSession="%d">' % len(sessions))
        for s in sessions:
            parts.append("<activeSession>")
            for k in ("user_name", "calling_station_id", "nas_ip_address", "acct_session_id",
                      "audit_session_id", "server", "framed_ip_address", "framed_ipv6_address", "ipAddresses"):
                if k in s:
                    v = s[k]
                    if v in ("", None):
                        parts.append("<%s/>" % k)
                    else:
                        parts.append("<%s>%s</%s>" % (k, su.escape(str(v)), k))
            parts.append("</activeSession>")
        parts.append("</activeList>")
    return Response(200, "".join(parts).encode(), None, "application/xml")


if __name__ == "__main__":
    sys.exit(sim.main())
