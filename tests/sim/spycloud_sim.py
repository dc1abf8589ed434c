#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""spycloud_sim: the SpyCloud Employee ATO API (relays.md §8.2, §8.3).

Serves, under /enterprise-v2/ (the relay's base URL is
https://127.0.0.1:PORT/enterprise-v2/):

  GET watchlist/<domain>              the health call: {"cursor","hits","results"}
  GET breach/data/emails/<email>      {"cursor": "", "hits": N, "results": [records]}
                                      (the e-mail percent-decoded; unknown ones: hits 0)
  GET breach/catalog/<id>             {"cursor": "", "hits": 1, "results": [catalog]},
                                      or hits 0 and [] for a catalog set to null or unknown

Every call needs X-API-Key: a missing key gets 401 {"message": "Unauthorized"},
another key than --api-key 403 {"message": "Forbidden"} (API Gateway's
answers).  Faults (status, latency, malformed, silent, ...) are simkit's.

The initial state is the upstream unit tests' data (mock_for_tests.py at
tag v2.0.5, relays.md §10.4) for admin@example.org: records R1 (catalog
17551) and R2 (catalog 17494); plus:
  someone@example.org   three records: catalogs 17551, 99999 (empty) and 17551
  nobody@example.org    no records
State: {"emails": {EMAIL: [records]}, "catalogs": {ID: catalog | null}};
PUT /_spycloud/emails/<email> (a list of records) and
PUT /_spycloud/catalogs/<id> (an object or null) change it.
"""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

BASE = r"/enterprise-v2"

sim = Sim("spycloud", "SpyCloud Employee ATO API simulator")
sim.parser.add_argument("--api-key", default="spycloud-test-key", help="the API key accepted")

R1 = {
    "city": "()", "domain": "example.org",
    "infected_path": "C:/Users/Usama/AppData/Local/Temp/6210230526.exe",
    "infected_time": "2020-03-26 16:56:49", "country": "()", "isp": "()", "email_username": "admin",
    "email": "admin@example.org", "spycloud_publish_date": "2020-04-16T00:00:00Z", "password": "test123",
    "target_url": "http://localhost:3000/en/session", "sighting": 1, "email_domain": "example.org",
    "source_id": 17551, "infected_machine_id": "0bb046a5-2ef2-4ec3-abbe-ba76f5b78e6c",
    "password_plaintext": "test123", "password_type": "plaintext",
    "document_id": "90f9c47d-c86d-400f-9a57-38fed22b5fad", "severity": 25,
}
R2 = {
    "domain": "example.org", "target_url": "13.127.174.82",
    "infected_machine_id": "2fc6eba4-738d-11ea-807f-0a7889d429db", "user_browser": "Google Chrome New",
    "country": "India", "ip_addresses": ["210.56.127.202"], "email_username": "admin",
    "email": "admin@example.org", "spycloud_publish_date": "2020-04-02T00:00:00Z", "password": "Admin@1234",
    "sighting": 6, "email_domain": "example.org", "source_id": 17494, "password_plaintext": "Admin@1234",
    "password_type": "plaintext", "document_id": "d27e8c1e-dd07-4237-bf51-40bcb5744fcc", "severity": 25,
}
CATALOG_17551 = {
    "confidence": 3, "description": "test description for 17551", "title": "Vidar Stealer",
    "type": "PRIVATE", "acquisition_date": "2020-04-15T00:00:00Z", "site": "n/a",
    "spycloud_publish_date": "2020-04-16T00:00:00Z", "site_description": "test site description for 17551",
    "uuid": "3a7fc3d4-2f57-4076-951c-287332a4d1f8", "num_records": 1107872, "id": 17551,
    "assets": {"username": 540183, "city": 1107503, "target_url": 1107872, "infected_time": 1107503,
               "user_browser": 93, "country": 1107503, "ip_addresses": 1097638, "isp": 1107503,
               "infected_path": 1107503, "postal_code": 791450, "password": 1107872, "email": 567689,
               "infected_machine_id": 1107503},
}
CATALOG_17494 = {
    "confidence": 3, "description": "test description for 17494", "title": "Russian Password Stealer",
    "type": "PRIVATE", "acquisition_date": "2020-04-01T00:00:00Z", "site": "n/a",
    "spycloud_publish_date": "2020-04-02T00:00:00Z", "site_description": "test site description for 17494",
    "uuid": "1293a093-5b3b-42c5-aa90-d5784ea8374f", "num_records": 3142306, "id": 17494,
    "assets": {"username": 1563727, "city": 330, "target_url": 3142306, "infected_machine_id": 3142306,
               "user_browser": 3142279, "country": 3142289, "ip_addresses": 3049094, "infected_path": 3856,
               "password": 3142306, "email": 1578579},
}


def someone(source_id, date, severity, doc):
    return {"email": "someone@example.org", "email_domain": "example.org", "password": "hunter2",
            "spycloud_publish_date": date, "sighting": 1, "source_id": source_id, "severity": severity,
            "document_id": doc, "domain": "example.org", "email_username": "someone"}


sim.state.update({
    "emails": {
        "admin@example.org": [R1, R2],
        "someone@example.org": [
            someone(17551, "2021-01-01T00:00:00Z", 2, "doc-s1"),
            someone(99999, "2021-02-01T00:00:00Z", 5, "doc-s2"),
            someone(17551, "2020-12-01T00:00:00Z", 20, "doc-s3"),
        ],
        "nobody@example.org": [],
    },
    "catalogs": {"17551": CATALOG_17551, "17494": CATALOG_17494, "99999": None},
})


def auth(req):
    key = req.headers.get("X-API-Key")
    if key is None:
        raise HTTPError(401, "", body={"message": "Unauthorized"})
    if key != sim.args.api_key:
        raise HTTPError(403, "", body={"message": "Forbidden"})


def page(results):
    return {"cursor": "", "hits": len(results), "results": results}


@sim.route("GET", BASE + r"/watchlist/(?P<domain>[^/]+)")
def watchlist(req):
    auth(req)
    return page([])


@sim.route("GET", BASE + r"/breach/data/emails/(?P<email>.+)")
def breach(req):
    auth(req)
    email = urllib.parse.unquote(req.params["email"])
    with req.lock:
        records = list(req.state["emails"].get(email, []))
    return page(records)


@sim.route("GET", BASE + r"/breach/catalog/(?P<id>-?\d+)")
def catalog(req):
    auth(req)
    with req.lock:
        c = req.state["catalogs"].get(req.params["id"])
    return page([c] if c else [])


@sim.route("PUT", r"/_spycloud/emails/(?P<email>.+)")
def put_email(req):
    body = req.json()
    if not isinstance(body, list):
        raise HTTPError(400, "a list of records")
    with req.lock:
        req.state["emails"][urllib.parse.unquote(req.params["email"])] = body
    return {"ok": True}


@sim.route("PUT", r"/_spycloud/catalogs/(?P<id>-?\d+)")
def put_catalog(req):
    body = req.json()
    with req.lock:
        req.state["catalogs"][req.params["id"]] = body
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
