#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cisco Secure Endpoint (AMP for Endpoints) API v1 simulator
(../shared/specs/responders.md §6.1, §7.3): /v1/version, computers filtered
by internal_ip, external_ip and hostname[] (a case-insensitive prefix
match, as loose as the real filter), host isolation GET/PUT/DELETE with its
state machine, and DELETE of a computer.  HTTP Basic client_id:api_key.

State (--state FILE merges into it):
  computers  [{connector_guid, hostname, internal_ips, external_ip?,
               network_addresses?, isolation: {available, status}, race?}]
             status: not_isolated -> (PUT) pending_start -> isolated;
             isolated -> (DELETE) pending_stop -> not_isolated.  A pending
             state turns final after one GET of the isolation.  race: true
             makes the next PUT/DELETE answer 409 as if another console had
             just made the same change (the change is applied).
  history    [[method, guid, body]] of the accepted isolation changes
"""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import Sim, HTTPError, json_response  # noqa: E402

sim = Sim("cisco_amp", "Cisco Secure Endpoint API v1 simulator")
sim.parser.add_argument("--client-id", default="amp-client")
sim.parser.add_argument("--api-key", default="amp-key")
sim.state.update(computers=[], history=[])

VERSION = "v1.2.0"


def envelope(data, status=200):
    meta = {"links": {"self": "https://api.amp.cisco.com/v1/computers"}}
    if isinstance(data, list):
        meta["results"] = {"total": len(data), "current_item_count": len(data), "index": 0,
                           "items_per_page": 500}
    return json_response({"version": VERSION, "metadata": meta, "data": data}, status)


def error(status, desc, details):
    body = {"version": VERSION, "metadata": {"links": {"self": "https://api.amp.cisco.com/v1"}},
            "errors": [{"error_code": status, "description": desc, "details": details}], "data": {}}
    raise HTTPError(status, desc, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


def auth(req):
    if req.basic_auth() != (sim.args.client_id, sim.args.api_key):
        error(401, "Unauthorized", ["Unknown API key or Client ID"])


def public(c):
    return {k: v for k, v in c.items() if k not in ("isolation", "race")}


def find(req, guid):
    for c in req.state["computers"]:
        if c["connector_guid"] == guid:
            return c
    error(404, "Not Found", ["connector_guid %s not found" % guid])


@sim.route("GET", r"/v1/version")
def version(req):
    auth(req)
    return envelope({})


@sim.route("GET", r"/v1/computers")
def computers(req):
    auth(req)
    q = req.query_all
    names = q.get("hostname[]", []) + q.get("hostname", [])
    with req.lock:
        out = []
        for c in req.state["computers"]:
            if "internal_ip" in q and q["internal_ip"][0] not in c.get("internal_ips", []):
                continue
            if "external_ip" in q and q["external_ip"][0] != c.get("external_ip"):
                continue
            if names and not any(c.get("hostname", "").lower().startswith(n.lower()) for n in names):
                continue
            out.append(public(c))
    return envelope(out)


@sim.route("DELETE", r"/v1/computers/(?P<guid>[^/]+)")
def delete_computer(req):
    auth(req)
    with req.lock:
        c = find(req, req.params["guid"])
        req.state["computers"].remove(c)
    return envelope({"deleted": True})


def iso_view(c):
    i = c["isolation"]
    d = {"available": i.get("available", True), "status": i.get("status", "not_isolated")}
    for k in ("unlock_code", "comment"):
        if k in i:
            d[k] = i[k]
    return d


@sim.route("GET", r"/v1/computers/(?P<guid>[^/]+)/isolation")
def get_isolation(req):
    auth(req)
    with req.lock:
        c = find(req, req.params["guid"])
        view = iso_view(c)
        st = c["isolation"]
        # the endpoint acts on the order once it has been read
        if st.get("status") == "pending_start":
            st["status"] = "isolated"
        elif st.get("status") == "pending_stop":
            st["status"] = "not_isolated"
    return envelope(view)


@sim.route("PUT", r"/v1/computers/(?P<guid>[^/]+)/isolation")
def start_isolation(req):
    auth(req)
    body = {}
    if req.body:
        if not req.headers.get("Content-Type", "").startswith("application/json"):
            error(415, "Unsupported Media Type", ["JSON bodies only"])
        body = req.json()
        if len(body.get("unlock_code", "")) > 24:
            error(400, "Bad Request", ["unlock_code is longer than 24 characters"])
    with req.lock:
        c = find(req, req.params["guid"])
        st = c["isolation"]
        if not st.get("available", True):
            error(409, "Conflict", ["Isolation is not available for this computer"])
        if c.get("race"):
            c["race"] = False
            st["status"] = "pending_start"
            error(409, "Conflict", ["Isolation is already in progress"])
        if st.get("status") in ("isolated", "pending_start"):
            error(409, "Conflict", ["Computer is already isolated"])
        st["status"] = "pending_start"
        for k in ("unlock_code", "comment"):
            if k in body:
                st[k] = body[k]
        req.state["history"].append(["PUT", c["connector_guid"], body])
        return envelope(iso_view(c))


@sim.route("DELETE", r"/v1/computers/(?P<guid>[^/]+)/isolation")
def stop_isolation(req):
    auth(req)
    with req.lock:
        c = find(req, req.params["guid"])
        st = c["isolation"]
        if c.get("race"):
            c["race"] = False
            st["status"] = "pending_stop"
            error(409, "Conflict", ["Isolation stop is already in progress"])
        if st.get("status") in ("not_isolated", "pending_stop"):
            error(409, "Conflict", ["Computer is not isolated"])
        st["status"] = "pending_stop"
        req.state["history"].append(["DELETE", c["connector_guid"], None])
        return envelope(iso_view(c))


if __name__ == "__main__":
    sys.exit(sim.main())
