#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""secure_endpoint_sim: Cisco Secure Endpoint API v1 (responders.md section
7.3) on simkit, the parts used to explain a host:

  * HTTP Basic client_id:api_key checked (401);
  * GET /v1/computers?internal_ip=|external_ip=|hostname[]= ->
    {"metadata": {...}, "data": [computer, ...]};
  * GET /v1/computers/{guid}/trajectory?q=&limit= -> {"data": {"computer": ...,
    "events": [...]}}, events filtered by q (remote_ip, or file name) and
    cut to limit; 404 for an unknown guid;
  * GET/PUT/DELETE /v1/computers/{guid}/isolation (state kept).

State: {"computers": [{"connector_guid", "hostname", "network_addresses":
[{"ip", "mac"}], "external_ip"}], "trajectories": {guid: [event, ...]}}.

Python 3 standard library only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

sim = Sim("secure_endpoint", "Cisco Secure Endpoint v1 simulator")
sim.parser.add_argument("--client-id", default="amp-client")
sim.parser.add_argument("--api-key", default="amp-key")
sim.state.update(computers=[], trajectories={}, isolation={})


def auth(req):
    if req.basic_auth() != (sim.args.client_id, sim.args.api_key):
        raise HTTPError(401, "Unauthorized", body={"version": "v1.2.0", "errors": [
            {"error_code": 401, "description": "Unauthorized", "details": ["Unknown API key or Client ID"]}]})


def computer(req, guid):
    for c in req.state["computers"]:
        if c["connector_guid"] == guid:
            return c
    raise HTTPError(404, "Not found")


@sim.route("GET", r"/v1/computers")
def computers(req):
    auth(req)
    q = req.query
    with req.lock:
        out = []
        for c in req.state["computers"]:
            if "internal_ip" in q and q["internal_ip"] not in [a.get("ip") for a in c.get("network_addresses", [])]:
                continue
            if "external_ip" in q and q["external_ip"] != c.get("external_ip"):
                continue
            names = req.query_all.get("hostname[]")
            if names and c.get("hostname") not in names:
                continue
            out.append(dict(c))
    return {"version": "v1.2.0", "metadata": {"results": {"total": len(out), "current_item_count": len(out)}},
            "data": out}


@sim.route("GET", r"/v1/computers/(?P<guid>[0-9a-fA-F-]+)/trajectory")
def trajectory(req):
    auth(req)
    q = req.query.get("q")
    try:
        limit = int(req.query.get("limit", "500"))
    except ValueError:
        raise HTTPError(400, "limit must be a number")
    with req.lock:
        c = computer(req, req.params["guid"])
        events = req.state["trajectories"].get(req.params["guid"], [])
        if q:
            def hit(e):
                ni = e.get("network_info", {})
                return ni.get("remote_ip") == q or ni.get("parent", {}).get("file_name") == q
            events = [e for e in events if hit(e)]
        return {"version": "v1.2.0", "data": {"computer": dict(c), "events": events[:limit]}}


@sim.route("*", r"/v1/computers/(?P<guid>[0-9a-fA-F-]+)/isolation")
def isolation(req):
    auth(req)
    with req.lock:
        computer(req, req.params["guid"])
        iso = req.state["isolation"]
        g = req.params["guid"]
        if req.method == "PUT":
            iso[g] = "isolated"
        elif req.method == "DELETE":
            iso[g] = "not_isolated"
        return {"data": {"status": iso.get(g, "not_isolated"), "available": True}}


if __name__ == "__main__":
    sys.exit(sim.main())
