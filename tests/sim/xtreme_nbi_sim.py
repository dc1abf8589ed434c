#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Extreme Networks ExtremeControl (XIQ-SE / XMC) Northbound Interface
simulator (../shared/specs/responders.md §5.5): the OAuth client
credentials token (a JWT with iat/exp) and POST /nbi/graphql with the three
access-control operations the responder uses (endSystemByIp,
addMACToBlacklist, removeMACFromBlacklist) and `{ __typename }`.  GraphQL
errors come back as HTTP 200 {"errors": [...]}, as GraphQL servers do.

State (--state FILE merges into it):
  end_systems  {IP: MAC}
  blacklist    [MAC] (upper-case colon form)
  history      [[operation, MAC, reauthenticate]]
  tokens       {token: uses}
  token_uses   a token is refused (401) after this many calls (0: never)
  token_ttl    the lifetime written in the JWT (s)
Adding a MAC already listed, or removing one not listed, answers errorCode
0 (this simulator's reading; [unverified] in the spec).
"""
import base64
import json
import os
import re
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError, json_response  # noqa: E402

sim = Sim("xtreme_nbi", "Extreme Networks NBI GraphQL simulator")
sim.parser.add_argument("--client-id", default="secresp")
sim.parser.add_argument("--client-secret", default="nbi-secret")
sim.state.update(end_systems={}, blacklist=[], history=[], tokens={}, token_uses=0, token_ttl=3600)

MAC_RE = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


def b64(d):
    return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()


@sim.route("POST", r"/oauth/token/access-token")
def token(req):
    if req.basic_auth() != (sim.args.client_id, sim.args.client_secret):
        raise HTTPError(401, "unauthorized", body=b'{"error":"invalid_client"}',
                        headers={"Content-Type": "application/json"})
    form = dict(x.split("=", 1) for x in req.text.split("&") if "=" in x) if req.body else {}
    if req.query.get("grant_type", form.get("grant_type")) != "client_credentials":
        raise HTTPError(400, "bad grant", body=b'{"error":"unsupported_grant_type"}')
    now = int(time.time())
    with req.lock:
        ttl = req.state["token_ttl"]
        tok = "%s.%s.%s" % (b64({"alg": "HS256", "typ": "JWT"}),
                            b64({"sub": sim.args.client_id, "iat": now, "exp": now + ttl,
                                 "jti": secrets.token_hex(8)}), secrets.token_hex(16))
        req.state["tokens"][tok] = 0
    return {"access_token": tok}


def auth(req):
    tok = req.bearer()
    with req.lock:
        st = req.state
        if tok not in st["tokens"]:
            raise HTTPError(401, "unauthorized", body=b'{"error":"invalid_token"}')
        if st["token_uses"] and st["tokens"][tok] >= st["token_uses"]:
            del st["tokens"][tok]
            raise HTTPError(401, "unauthorized", body=b'{"error":"invalid_token","error_description":"expired"}')
        st["tokens"][tok] += 1


def gql_error(msg):
    return json_response({"errors": [{"message": msg, "locations": [{"line": 1, "column": 1}]}], "data": None})


@sim.route("POST", r"/nbi/graphql")
def graphql(req):
    auth(req)
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        raise HTTPError(415, "JSON only")
    d = req.json()
    q = d.get("query") if isinstance(d, dict) else None
    if not isinstance(q, str):
        return gql_error("Missing query")
    q = " ".join(q.split())
    if q in ("{ __typename }", "query { __typename }"):
        return {"data": {"__typename": "Query"}}
    m = re.fullmatch(r'query \{ accessControl \{ endSystemByIp\(ipAddress: "([^"\\]*)"\) '
                     r'\{ endSystem \{ ipAddress macAddress \} \} \} \}', q)
    if m:
        with req.lock:
            mac = req.state["end_systems"].get(m.group(1))
        es = {"ipAddress": m.group(1), "macAddress": mac} if mac else None
        return {"data": {"accessControl": {"endSystemByIp": {"endSystem": es}}}}
    m = re.fullmatch(r'mutation \{ accessControl \{ (addMACToBlacklist|removeMACFromBlacklist)\(input: '
                     r'\{ value: "([^"\\]*)", reauthenticate: (true|false) \}\) '
                     r'\{ status errorCode results \} \} \}', q)
    if m:
        op, mac, reauth = m.group(1), m.group(2), m.group(3)
        if not MAC_RE.match(mac):
            out = {"status": "ERROR", "errorCode": 3, "results": "Invalid MAC address %s" % mac}
        else:
            with req.lock:
                bl = req.state["blacklist"]
                if op == "addMACToBlacklist" and mac not in bl:
                    bl.append(mac)
                elif op == "removeMACFromBlacklist" and mac in bl:
                    bl.remove(mac)
                req.state["history"].append([op, mac, reauth == "true"])
            out = {"status": "SUCCESS", "errorCode": 0, "results": None}
        return {"data": {"accessControl": {op: out}}}
    return gql_error("Syntax error or unknown field in: %s" % q[:80])


if __name__ == "__main__":
    sys.exit(sim.main())
