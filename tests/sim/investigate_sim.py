#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""investigate_sim: Umbrella Investigate (responders.md section 7.2) on simkit.

  * Bearer token checked (401 "Unauthorized");
  * GET /ips/{ip}/latest_domains -> [{"id", "name"}] ([] for an unknown IP);
  * GET /domains/categorization/{domain}?showLabels and the bulk
    POST /domains/categorization?showLabels (a JSON array of at most 1000
    domains) -> {domain: {status, security_categories, content_categories}};
    unknown domains get status 0;
  * GET /domains/risk-score/{domain} -> {risk_score, indicators}.

State: {"ips": {"203.0.113.9": ["bad.example", ...]},
        "domains": {"bad.example": {"status": -1, "security_categories": ["Malware"], "risk_score": 90}}}.

Python 3 standard library only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

sim = Sim("investigate", "Umbrella Investigate simulator")
sim.parser.add_argument("--token", default="investigate-token")
sim.state.update(ips={}, domains={})


def auth(req):
    if req.bearer() != sim.args.token:
        raise HTTPError(401, "Unauthorized")


def categ(d):
    info = sim.state["domains"].get(d, {})
    return {"status": info.get("status", 0), "security_categories": info.get("security_categories", []),
            "content_categories": info.get("content_categories", [])}


@sim.route("GET", r"/ips/(?P<ip>[0-9a-fA-F.:]+)/latest_domains")
def latest(req):
    auth(req)
    with req.lock:
        names = req.state["ips"].get(req.params["ip"], [])
        return [{"id": 1000 + i, "name": n} for i, n in enumerate(names)]


@sim.route("GET", r"/domains/categorization/(?P<d>[^/]+)")
def categorization_one(req):
    auth(req)
    with req.lock:
        return {req.params["d"]: categ(req.params["d"])}


@sim.route("POST", r"/domains/categorization/?")
def categorization_bulk(req):
    auth(req)
    body = req.json()
    if not isinstance(body, list) or not all(isinstance(x, str) for x in body):
        raise HTTPError(400, "a JSON array of domain names is expected")
    if len(body) > 1000 or len(req.body) > 100 * 1024:
        raise HTTPError(400, "at most 1000 domains and 100 KB")
    with req.lock:
        return {d: categ(d) for d in body}


@sim.route("GET", r"/domains/risk-score/(?P<d>[^/]+)")
def risk(req):
    auth(req)
    with req.lock:
        info = req.state["domains"].get(req.params["d"])
    if info is None:
        raise HTTPError(404, "Not found")
    return {"risk_score": info.get("risk_score", 0), "indicators": []}


if __name__ == "__main__":
    sys.exit(sim.main())
