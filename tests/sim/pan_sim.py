#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""PAN-OS / Panorama XML API simulator (responders.md §4.2) for the pan
responder: type=keygen, type=user-id (register/unregister of IP-tag
mappings), type=op `show system info`.

It answers as PAN-OS does: XML with status="success"/"error", HTTP 200
for API-level errors, 403 with code 403 "Invalid Credential" for a bad or
revoked key, per-entry messages in the uid-response ("already exists" on
register, "does not exist" on unregister, when dup_errors is on).
Parameters come from the query string and the form body.  As Panorama
(state "panorama": true) a `target` serial must name a managed device;
mappings are kept per "<target or local>/<vsys or vsys1>".

State (GET /__sim/state, PUT/PATCH /__sim/state):
  {"users": {"admin": "pw"}, "keys": ["..."], "panorama": false,
   "devices": ["007051000012345"], "dup_errors": true,
   "registered": {"local/vsys1": {"10.0.0.1": ["Block_Host"]}},
   "hostname": "pa-sim", "sw_version": "10.2.4"}
"""

import os
import secrets
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr, escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response  # noqa: E402
from fwkit import StateSim  # noqa: E402

sim = StateSim("pan", "PAN-OS XML API simulator")
sim.parser.add_argument("--user", default="admin")
sim.parser.add_argument("--password", default="pan-pass")
sim.parser.add_argument("--panorama", action="store_true", help="act as Panorama (target= required)")
sim.parser.add_argument("--devices", default="007051000012345", help="managed device serials (Panorama)")


def xml(body, status=200):
    return Response(status, body.encode(), None, "application/xml; charset=UTF-8")


def error(msg, code=None, status=200):
    c = " code = '%s'" % code if code else ""
    return xml("<response status = 'error'%s><result><msg>%s</msg></result></response>" % (c, escape(msg)), status)


def params(req):
    p = {k: v for k, v in req.query.items()}
    ct = req.headers.get("Content-Type", "")
    if req.body and "application/x-www-form-urlencoded" in ct:
        for k, v in urllib.parse.parse_qs(req.text, keep_blank_values=True).items():
            p[k] = v[0]
    return p


def scope_of(req, p):
    target = p.get("target")
    if req.state.get("panorama"):
        if not target:
            return None, error("target is required on Panorama for this request", 17)
        if target not in req.state["devices"]:
            return None, error("Device %s is not connected" % target, 17)
    elif target:
        return None, error("target is only valid on Panorama", 17)
    return "%s/%s" % (target or "local", p.get("vsys") or "vsys1"), None


def uid(req, p):
    try:
        root = ET.fromstring(p.get("cmd", ""))
    except ET.ParseError as e:
        return error("uid-message: malformed XML: %s" % e, 17)
    if root.tag != "uid-message" or root.findtext("type") != "update" or root.find("payload") is None:
        return error("uid-message: not an update", 17)
    scope, err = scope_of(req, p)
    if err:
        return err
    reg = req.state["registered"].setdefault(scope, {})
    problems = {"register": [], "unregister": []}
    for section in ("register", "unregister"):
        for sec in root.find("payload").findall(section):
            for entry in sec.findall("entry"):
                ip = entry.get("ip")
                tags = [m.text for m in entry.findall("tag/member")]
                if not ip or not tags or any(not t for t in tags):
                    problems[section].append((ip or "", "invalid entry"))
                    continue
                have = reg.setdefault(ip, [])
                for t in tags:
                    if section == "register":
                        if t in have:
                            if req.state.get("dup_errors"):
                                problems[section].append((ip, "tag %s already exists" % t))
                        else:
                            have.append(t)
                    else:
                        if t in have:
                            have.remove(t)
                        elif req.state.get("dup_errors"):
                            problems[section].append((ip, "ip-tag mapping for tag %s does not exist" % t))
                if not have:
                    del reg[ip]
    if not problems["register"] and not problems["unregister"]:
        return xml("<response status=\"success\"><result><uid-response><version>2.0</version><payload>"
                   "<register/></payload></uid-response></result></response>")
    parts = []
    for section in ("register", "unregister"):
        if problems[section]:
            parts.append("<%s>%s</%s>" % (section, "".join(
                "<entry ip=%s message=%s/>" % (quoteattr(ip), quoteattr(m)) for ip, m in problems[section]),
                section))
    return xml("<response status=\"error\"><msg><line><uid-response><version>2.0</version><payload>%s"
               "</payload></uid-response></line></msg></response>" % "".join(parts))


@sim.route("*", r"/api/?")
def api(req):
    if req.method not in ("GET", "POST"):
        raise HTTPError(405, "method not allowed")
    p = params(req)
    t = p.get("type")
    with req.lock:
        if t == "keygen":
            if req.state["users"].get(p.get("user")) != p.get("password") or not p.get("password"):
                return error("Invalid Credentials.", 403, 403)
            key = "LUFRPT" + secrets.token_urlsafe(24)
            req.state["keys"].append(key)
            return xml("<response status = 'success'><result><key>%s</key></result></response>" % key)
        key = p.get("key") or req.headers.get("X-PAN-KEY")
        if not key or key not in req.state["keys"]:
            return error("Invalid Credential", 403, 403)
        if t == "user-id":
            return uid(req, p)
        if t == "op":
            scope, err = scope_of(req, p)
            if err:
                return err
            cmd = p.get("cmd", "").replace(" ", "")
            if cmd != "<show><system><info></info></system></show>":
                return error("Invalid syntax.", 17)
            return xml("<response status=\"success\"><result><system><hostname>%s</hostname>"
                       "<serial>%s</serial><sw-version>%s</sw-version></system></result></response>"
                       % (escape(req.state["hostname"]), escape(scope.split("/")[0]),
                          escape(req.state["sw_version"])))
        return error("Invalid type", 17, 400)


if __name__ == "__main__":
    a, _ = sim.parser.parse_known_args()
    sim.state.update({"users": {a.user: a.password}, "keys": [], "panorama": a.panorama,
                      "devices": [d for d in a.devices.split(",") if d], "dup_errors": True,
                      "registered": {}, "hostname": "pa-sim", "sw_version": "10.2.4"})
    sys.exit(sim.main())
