#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""echo_sim: a generic simulator for testing the HTTP client itself.

Routes (any method unless noted):
  /echo                  200, JSON: method, path, query, headers, body
  GET /status/<code>     that status; ?retry_after=N adds Retry-After
  GET /slow?ms=N         answers after N ms (at most 10 s)
  GET /big?bytes=N       N bytes of body; &chunked=1 sends it without
                         Content-Length (the connection close ends it)
  GET /headers?K=V...    200 with each query pair as a response header
  GET /redirect?to=PATH  302 to PATH
  /count                 200, JSON {"count": n}: n-th call since reset
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim, json_response  # noqa: E402

sim = Sim("echo", "generic echo simulator for HTTP client tests")
sim.state["count"] = 0


@sim.route("*", r"/echo(/.*)?")
def echo(req):
    return json_response({
        "method": req.method,
        "path": req.path,
        "query": req.query_all,
        "headers": {k.lower(): v for k, v in req.headers.items()},
        "body": req.text,
        "body_len": len(req.body),
    })


@sim.route("GET", r"/status/(?P<code>[1-5][0-9][0-9])")
def status(req):
    code = int(req.params["code"])
    headers = {}
    if "retry_after" in req.query:
        headers["Retry-After"] = req.query["retry_after"]
    return json_response({"status": code}, code, headers)


@sim.route("GET", r"/slow")
def slow(req):
    ms = min(float(req.query.get("ms", "500")), 10000.0)
    time.sleep(ms / 1000.0)
    return json_response({"slept_ms": ms})


@sim.route("GET", r"/big")
def big(req):
    try:
        n = int(req.query.get("bytes", "1024"))
    except ValueError:
        raise HTTPError(400, "bytes must be an integer")
    if n < 0 or n > (256 << 20):
        raise HTTPError(400, "bytes out of range")
    unsized = req.query.get("chunked") == "1"
    return Response(200, b"x" * n, None, "application/octet-stream", unsized=unsized)


@sim.route("GET", r"/headers")
def headers(req):
    return json_response({"ok": True}, 200, dict(req.query))


@sim.route("GET", r"/redirect")
def redirect(req):
    return Response(302, b"", {"Location": req.query.get("to", "/echo")})


@sim.route("*", r"/count")
def count(req):
    with req.lock:
        req.state["count"] += 1
        return {"count": req.state["count"]}


if __name__ == "__main__":
    sys.exit(sim.main())
