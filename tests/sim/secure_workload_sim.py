#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""secure_workload_sim: Cisco Secure Workload (Tetration) OpenAPI user
annotations (responders.md section 7.4) on simkit.

Every request must carry the tetpyclient signature: Id (the API key),
Timestamp ("YYYY-MM-DDTHH:MM:SS+0000", within --skew seconds of now),
X-Tetration-Cksum (hex SHA-256 of the body, when there is one) and
Authorization = base64(HMAC-SHA256(secret, METHOD\\nPATH_WITH_QUERY\\nCKSUM\\n
CONTENT_TYPE\\nTIMESTAMP\\n)); anything else gets 401 (and is counted in
the state's "rejected").

  * POST /openapi/v1/inventory/tags/{tenant} {"ip", "attributes"}: merges the
    attributes of that IP;
  * DELETE /openapi/v1/inventory/tags/{tenant} {"ip"}: removes them (absent: 200);
  * GET /openapi/v1/inventory/tags/{tenant}?ip=: the attributes ({} if none).

State: {"tags": {tenant: {ip: {attr: value}}}, "rejected": N}.

Python 3 standard library only.
"""

import base64
import datetime
import hashlib
import hmac
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

sim = Sim("secure_workload", "Cisco Secure Workload OpenAPI simulator")
sim.parser.add_argument("--api-key", default="csw-key")
sim.parser.add_argument("--api-secret", default="csw-secret")
sim.parser.add_argument("--skew", type=float, default=300.0)
sim.state.update(tags={}, rejected=0)


def reject(req, why):
    with req.lock:
        req.state["rejected"] += 1
    raise HTTPError(401, why)


def verify(req):
    h = req.headers
    if h.get("Id") != sim.args.api_key:
        reject(req, "unknown API key")
    ts = h.get("Timestamp", "")
    try:
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S+0000").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        reject(req, "bad Timestamp")
    if abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) > sim.args.skew:
        reject(req, "Timestamp outside the allowed skew")
    cksum = ""
    if req.body:
        cksum = hashlib.sha256(req.body).hexdigest()
        if h.get("X-Tetration-Cksum") != cksum:
            reject(req, "bad X-Tetration-Cksum")
    path = req.path
    if req.query_all:
        path += "?" + "&".join("%s=%s" % (urllib.parse.quote(k), urllib.parse.quote(v))
                               for k, vs in req.query_all.items() for v in vs)
    ctype = h.get("Content-Type", "")
    msg = "%s\n%s\n%s\n%s\n%s\n" % (req.method, path, cksum, ctype, ts)
    want = base64.b64encode(hmac.new(sim.args.api_secret.encode(), msg.encode(), hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(h.get("Authorization", ""), want):
        reject(req, "bad signature")


@sim.route("*", r"/openapi/v1/inventory/tags/(?P<tenant>[^/]+)")
def tags(req):
    verify(req)
    tenant = urllib.parse.unquote(req.params["tenant"])
    if req.method == "GET":
        ip = req.query.get("ip")
        with req.lock:
            return dict(req.state["tags"].get(tenant, {}).get(ip, {}))
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get("ip"), str):
        raise HTTPError(400, "ip is required")
    with req.lock:
        t = req.state["tags"].setdefault(tenant, {})
        if req.method == "POST":
            attrs = body.get("attributes")
            if not isinstance(attrs, dict) or not attrs:
                raise HTTPError(400, "attributes are required")
            t.setdefault(body["ip"], {}).update({k: str(v) for k, v in attrs.items()})
            return {"ip": body["ip"], "attributes": t[body["ip"]]}
        if req.method == "DELETE":
            t.pop(body["ip"], None)
            return {}
    raise HTTPError(405, "method not allowed")


if __name__ == "__main__":
    sys.exit(sim.main())
