#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Aruba ClearPass REST API simulator (../shared/specs/responders.md §5.3):
OAuth (client_credentials and password grants), /api/oauth/me, endpoints
by MAC (GET, PATCH merging attributes), sessions filtered by the JSON
`filter` parameter (framedipaddress, mac_address, acctstoptime $exists) and
their disconnect.  Errors are RFC 7807 problem documents, as ClearPass's.

State (--state FILE merges into it):
  endpoints    {MAC: {"id", "status", "attributes"}}; MACs are stored as
               ClearPass shows them, lower-case hex without separators,
               and any notation is accepted in paths and bodies
  sessions     [{"id", "mac_address", "framedipaddress", "acctstoptime"}]
  disconnects  [session id]: the sessions disconnected, in order
  tokens       {token: uses}: issued tokens
  token_uses   a token is refused (401) after this many API calls (0: never)
  expires_in   what the token answer says (seconds)
"""
import json
import os
import re
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError, json_response  # noqa: E402

sim = Sim("clearpass", "Aruba ClearPass REST API simulator")
sim.parser.add_argument("--client-id", default="secresp")
sim.parser.add_argument("--client-secret", default="cppm-secret")
sim.parser.add_argument("--username", default="apiuser")
sim.parser.add_argument("--password", default="api-password")
sim.state.update(endpoints={}, sessions=[], disconnects=[], tokens={}, token_uses=0, expires_in=28800)


def problem(status, title, detail):
    body = {"type": "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html", "title": title,
            "status": status, "detail": detail}
    raise HTTPError(status, title, body=json.dumps(body).encode(),
                    headers={"Content-Type": "application/problem+json"})


def norm(mac):
    m = re.sub(r"[^0-9a-fA-F]", "", mac or "").lower()
    return m if len(m) == 12 else None


def auth(req):
    tok = req.bearer()
    with req.lock:
        st = req.state
        if tok is None or tok not in st["tokens"]:
            problem(401, "Unauthorized", "The access token provided is invalid.")
        if st["token_uses"] and st["tokens"][tok] >= st["token_uses"]:
            del st["tokens"][tok]
            problem(401, "Unauthorized", "The access token provided has expired.")
        st["tokens"][tok] += 1


@sim.route("POST", r"/api/oauth")
def oauth(req):
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        problem(415, "Unsupported Media Type", "application/json only")
    d = req.json()
    g = d.get("grant_type")
    if g not in ("client_credentials", "password"):
        problem(400, "Bad Request", "The grant type is unsupported")
    if d.get("client_id") != sim.args.client_id or d.get("client_secret") != sim.args.client_secret:
        problem(400, "invalid_client", "The client credentials are invalid")
    if g == "password" and (d.get("username"), d.get("password")) != (sim.args.username, sim.args.password):
        problem(400, "invalid_grant", "Invalid username and password combination")
    tok = secrets.token_hex(20)
    with req.lock:
        req.state["tokens"][tok] = 0
        exp = req.state["expires_in"]
    return {"access_token": tok, "expires_in": exp, "token_type": "Bearer", "scope": None}


@sim.route("GET", r"/api/oauth/me")
def me(req):
    auth(req)
    return {"info": "API client " + sim.args.client_id, "name": sim.args.client_id}


def endpoint_view(mac, e):
    return {"id": e.get("id", 3000), "mac_address": mac, "status": e.get("status", "Known"),
            "attributes": e.get("attributes", {})}


@sim.route("GET", r"/api/endpoint/mac-address/(?P<mac>[^/]+)")
def get_endpoint(req):
    auth(req)
    mac = norm(req.params["mac"])
    with req.lock:
        e = req.state["endpoints"].get(mac or "")
        if e is None:
            problem(404, "Not Found", "Endpoint with MAC address %s not found" % req.params["mac"])
        return endpoint_view(mac, e)


@sim.route("PATCH", r"/api/endpoint/mac-address/(?P<mac>[^/]+)")
def patch_endpoint(req):
    auth(req)
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        problem(415, "Unsupported Media Type", "application/json only")
    mac = norm(req.params["mac"])
    d = req.json()
    if not isinstance(d, dict) or not isinstance(d.get("attributes", {}), dict):
        problem(422, "Unprocessable Entity", "attributes must be an object")
    if "mac_address" in d and norm(d["mac_address"]) != mac:
        problem(422, "Unprocessable Entity", "mac_address does not match the path")
    with req.lock:
        e = req.state["endpoints"].get(mac or "")
        if e is None:
            problem(404, "Not Found", "Endpoint with MAC address %s not found" % req.params["mac"])
        e.setdefault("attributes", {}).update(d.get("attributes", {}))
        return endpoint_view(mac, e)


@sim.route("DELETE", r"/api/endpoint/mac-address/(?P<mac>[^/]+)")
def delete_endpoint(req):
    auth(req)
    mac = norm(req.params["mac"])
    with req.lock:
        if req.state["endpoints"].pop(mac or "", None) is None:
            problem(404, "Not Found", "Endpoint with MAC address %s not found" % req.params["mac"])
    return None


def session_matches(s, f):
    for k, v in f.items():
        if k == "acctstoptime" and isinstance(v, dict) and "$exists" in v:
            if bool(s.get("acctstoptime")) != bool(v["$exists"]):
                return False
        elif k == "mac_address":
            if norm(s.get("mac_address")) != norm(v):
                return False
        elif isinstance(v, dict):
            problem(400, "Bad Request", "unsupported filter operator on %s" % k)
        elif s.get(k) != v:
            return False
    return True


@sim.route("GET", r"/api/session")
def sessions(req):
    auth(req)
    try:
        f = json.loads(req.query.get("filter", "{}"))
    except ValueError:
        problem(400, "Bad Request", "filter is not valid JSON")
    if not isinstance(f, dict):
        problem(400, "Bad Request", "filter must be an object")
    with req.lock:
        items = [dict(s) for s in req.state["sessions"] if session_matches(s, f)]
    out = {"_links": {"self": {"href": "https://cppm/api/session"}}, "_embedded": {"items": items}}
    if not items:
        out.pop("_embedded")
    if req.query.get("calculate_count") == "true":
        out["count"] = len(items)
    return out


@sim.route("POST", r"/api/session/(?P<id>[^/]+)/disconnect")
def disconnect(req):
    auth(req)
    d = req.json()
    if not isinstance(d, dict) or d.get("confirm_disconnect") != "1":
        problem(400, "Bad Request", "confirm_disconnect must be \"1\"")
    with req.lock:
        if not any(str(s["id"]) == req.params["id"] for s in req.state["sessions"]):
            problem(404, "Not Found", "Session %s not found" % req.params["id"])
        req.state["disconnects"].append(req.params["id"])
    return json_response({"error": 0, "message": "Session disconnect request sent"})


if __name__ == "__main__":
    sys.exit(sim.main())
