#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""webex_sim: the Webex messages API (responders.md section 7.1) on simkit.

  * POST /v1/messages: Bearer token checked (401), JSON body with roomId or
    toPersonEmail (400 without), text or markdown (400 without), at most
    7439 bytes (400 above, as Webex refuses it); the message is recorded
    and answered with {id, roomId, created, ...};
  * GET /v1/messages?roomId=R: the recorded messages of a room, newest first;
  * GET /v1/people/me, GET /v1/rooms/{id} (404 for an unknown room).

State: {"token": ..., "rooms": [{"id", "title"}], "messages": [...]}.
Faults (429 with Retry-After, 5xx, drops) come from simkit.

Python 3 standard library only.
"""

import datetime
import os
import secrets
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

MAX_BYTES = 7439

sim = Sim("webex", "Webex messages API simulator")
sim.parser.add_argument("--token", default="webex-bot-token")
sim.state.update(rooms=[{"id": "room-soc", "title": "SOC"}], messages=[])


def auth(req):
    if req.bearer() != sim.args.token:
        raise HTTPError(401, "The request requires a valid access token set in the Authorization request header.")


@sim.route("POST", r"/v1/messages")
def post_message(req):
    auth(req)
    body = req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "a JSON object is expected")
    room, to = body.get("roomId"), body.get("toPersonEmail")
    if not room and not to:
        raise HTTPError(400, "roomId or toPersonEmail is required")
    text = body.get("markdown") or body.get("text")
    if not isinstance(text, str) or not text:
        raise HTTPError(400, "text or markdown is required")
    for k in ("markdown", "text"):
        if isinstance(body.get(k), str) and len(body[k].encode()) > MAX_BYTES:
            raise HTTPError(400, "Message too long: %d bytes, maximum %d" % (len(body[k].encode()), MAX_BYTES))
    with req.lock:
        if room and not any(r["id"] == room for r in req.state["rooms"]):
            raise HTTPError(404, "room not found")
        msg = {"id": secrets.token_hex(8), "roomId": room, "toPersonEmail": to, "markdown": body.get("markdown"),
               "text": body.get("text"), "personEmail": "secresp@webex.bot",
               "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
        req.state["messages"].append(msg)
    return msg


@sim.route("GET", r"/v1/messages")
def list_messages(req):
    auth(req)
    room = req.query.get("roomId")
    with req.lock:
        items = [m for m in req.state["messages"] if m["roomId"] == room]
    return {"items": list(reversed(items))}


@sim.route("GET", r"/v1/people/me")
def me(req):
    auth(req)
    return {"id": "bot-1", "displayName": "secresp bot", "emails": ["secresp@webex.bot"]}


@sim.route("GET", r"/v1/rooms/(?P<id>[^/]+)")
def room_get(req):
    auth(req)
    with req.lock:
        for r in req.state["rooms"]:
            if r["id"] == req.params["id"]:
                return dict(r)
    raise HTTPError(404, "room not found")


if __name__ == "__main__":
    sys.exit(sim.main())
