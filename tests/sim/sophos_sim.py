#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sophos_sim: the Sophos Firewall XML API (responders.md §4.5).

  GET  /webconsole/APIController?reqxml=<XML>
  POST /webconsole/APIController  (form field reqxml, application/x-www-form-urlencoded)

The request is <Request><Login><Username>u</Username><Password
passwordform="plain|encrypted">p</Password></Login>...</Request>; every
request is checked (no session).  Answers are HTTP 200 and XML:

  bad credentials   <Response><Login><status>Authentication Failure</status></Login></Response>
  good ones         <Login><status>Authentication Successful</status></Login> and then, for
    <Get><IPHost><Filter><key name="Name" criteria="=">N</key></Filter></IPHost></Get>
                    every IPHost named N (<Name>, <IPFamily>, <HostType>, <ListOfIPAddresses>)
    <Set operation="update"><IPHost><Name>N</Name>...<ListOfIPAddresses>csv</ListOfIPAddresses></IPHost></Set>
                    <IPHost><Status code="200">Configuration applied successfully.</Status></IPHost>;
                    500 "Operation could not be performed on Entity." for an unknown host, an
                    address that is not IPv4, or (--refuse-empty) an empty list
  not parseable     <Response><Status code="529">Input request file is Invalid</Status></Response>

--password is the plain password, --encrypted-password its "encrypted"
form.  State: {"iphosts": {NAME: {"type": "IPList"|"IP", "ips": [...]}},
"writes": N}.  Initial: "Vectra - Sophos Integration" (IP list with
192.0.2.9) and "Single" (type IP).  Test hook: POST /_sophos/remove/<ip>.
"""
import ipaddress
import os
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim  # noqa: E402

sim = Sim("sophos", "Sophos Firewall XML API simulator")
sim.parser.add_argument("--username", default="secresp")
sim.parser.add_argument("--password", default="sophos-secret")
sim.parser.add_argument("--encrypted-password", default="8a5f03c24e1b7d")
sim.parser.add_argument("--refuse-empty", action="store_true")
LIST = "Vectra - Sophos Integration"
sim.state.update({"iphosts": {LIST: {"type": "IPList", "ips": ["192.0.2.9"]},
                              "Single": {"type": "IP", "ips": ["192.0.2.10"]}},
                  "writes": 0})

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<Response APIVersion="1905.1" IPS_CAT_VER="1">'


def xml_response(inner):
    return Response(200, HEAD + inner + "</Response>", None, "text/xml")


def login_ok(req, root):
    login = root.find("Login")
    if login is None:
        return False
    user = (login.findtext("Username") or "").strip()
    pw = login.find("Password")
    if pw is None:
        return False
    form = pw.get("passwordform", "plain")
    want = sim.args.encrypted_password if form == "encrypted" else sim.args.password
    return user == sim.args.username and (pw.text or "") == want and form in ("plain", "encrypted")


def valid_v4(s):
    try:
        return isinstance(ipaddress.ip_address(s), ipaddress.IPv4Address)
    except ValueError:
        return False


@sim.route("*", r"/webconsole/APIController")
def api(req):
    if req.method == "GET":
        reqxml = req.query.get("reqxml")
    elif req.method == "POST":
        ctype = req.headers.get("Content-Type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            raise HTTPError(415, "form expected")
        reqxml = urllib.parse.parse_qs(req.text, keep_blank_values=True).get("reqxml", [None])[0]
    else:
        raise HTTPError(405, "method not allowed")
    try:
        root = ET.fromstring(reqxml or "")
    except ET.ParseError:
        return xml_response('<Status code="529">Input request file is Invalid</Status>')
    if root.tag != "Request":
        return xml_response('<Status code="529">Input request file is Invalid</Status>')
    if not login_ok(req, root):
        return xml_response("<Login><status>Authentication Failure</status></Login>")
    out = ["<Login><status>Authentication Successful</status></Login>"]
    with req.lock:
        hosts = req.state["iphosts"]
        for op in root:
            if op.tag == "Get":
                for q in op.findall("IPHost"):
                    key = q.find("Filter/key")
                    name = (key.text or "") if key is not None and key.get("criteria") == "=" else None
                    for n, h in hosts.items():
                        if name is not None and n != name:
                            continue
                        body = "<Name>%s</Name><IPFamily>IPv4</IPFamily><HostType>%s</HostType>" % (
                            escape(n), h["type"])
                        if h["type"] == "IPList":
                            body += "<ListOfIPAddresses>%s</ListOfIPAddresses>" % ",".join(h["ips"])
                        else:
                            body += "<IPAddress>%s</IPAddress>" % h["ips"][0]
                        out.append('<IPHost transactionid="">%s</IPHost>' % body)
            elif op.tag == "Set":
                for q in op.findall("IPHost"):
                    name = q.findtext("Name") or ""
                    ips = [x.strip() for x in (q.findtext("ListOfIPAddresses") or "").split(",") if x.strip()]
                    h = hosts.get(name)
                    ok = (op.get("operation") == "update" and h is not None and h["type"] == "IPList" and
                          q.findtext("HostType") == "IPList" and all(valid_v4(x) for x in ips) and
                          (ips or not sim.args.refuse_empty))
                    if ok:
                        h["ips"] = ips
                        req.state["writes"] += 1
                        out.append('<IPHost transactionid=""><Status code="200">Configuration applied '
                                   'successfully.</Status></IPHost>')
                    else:
                        out.append('<IPHost transactionid=""><Status code="500">Operation could not be performed '
                                   'on Entity.</Status></IPHost>')
            elif op.tag != "Login":
                out.append('<Status code="529">Input request file is Invalid</Status>')
    return xml_response("".join(out))


@sim.route("POST", r"/_sophos/remove/(?P<ip>[^/]+)")
def remove(req):
    with req.lock:
        h = req.state["iphosts"][LIST]
        h["ips"] = [x for x in h["ips"] if x != req.params["ip"]]
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
