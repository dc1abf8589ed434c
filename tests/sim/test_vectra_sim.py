#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-test of tests/sim/vectra_sim.py, printing TAP.

Starts simulators (v2.5 and v3, HTTPS when --pki DIR from mkca.sh is given)
and drives them over HTTP(S) with urllib: every auth mode with expiry and
refresh, pagination, filters, tagging, notes, groups, entities, faults in
the middle of a pagination, the request log, the control endpoints and a
timed listing in scale mode.

  test_vectra_sim.py [--pki DIR] [--scale-hosts N] [--scale-page-size N]
                     [--only NAME ...] [--python PY]

Python 3 standard library only.
"""

import argparse
import base64
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "vectra_sim.py")
EXAMPLE = os.path.join(HERE, "vectra", "example-state.json")

# ------------------------------------------------------------------ TAP

_n = 0
_failed = 0


def ok(cond, desc, *diag):
    global _n, _failed
    _n += 1
    desc = desc.replace("#", "_").replace("\n", " ")
    if cond:
        print("ok %d - %s" % (_n, desc))
    else:
        _failed += 1
        print("not ok %d - %s" % (_n, desc))
        for d in diag:
            for line in str(d).splitlines() or [""]:
                print("#   " + line)
    sys.stdout.flush()
    return bool(cond)


def is_(got, want, desc):
    return ok(got == want, desc, "got:  %r" % (got,), "want: %r" % (want,))


def diag(msg):
    for line in str(msg).splitlines():
        print("# " + line)
    sys.stdout.flush()


# ------------------------------------------------------------------ HTTP

class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%s %s>" % (self.status, self.raw[:300])


class Sim:
    """One vectra_sim.py process."""

    def __init__(self, tmp, name, args, pki=None, python=sys.executable, wait_s=60):
        self.name = name
        self.pf = os.path.join(tmp, name + ".port")
        self.logf = os.path.join(tmp, name + ".log")
        self.errf = os.path.join(tmp, name + ".err")
        cmd = [python, SIM, "--port-file", self.pf, "--log", self.logf] + list(args)
        self.ctx = None
        scheme = "http"
        if pki:
            cmd += ["--tls-cert", os.path.join(pki, "server.pem"), "--tls-key", os.path.join(pki, "server.key")]
            self.ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.pem"))
            scheme = "https"
        self.err = open(self.errf, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.err, stderr=self.err)
        deadline = time.monotonic() + wait_s
        while not (os.path.exists(self.pf) and os.path.getsize(self.pf)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("%s did not start: %s" % (name, open(self.errf).read()))
            time.sleep(0.05)
        self.port = int(open(self.pf).read())
        self.origin = "%s://127.0.0.1:%d" % (scheme, self.port)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode

    def req(self, method, url, body=None, headers=None, form=None, timeout=30):
        if not url.startswith(("http://", "https://")):
            url = self.origin + url
        hdrs = dict(headers or {})
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        r = urllib.request.Request(url, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(r, timeout=timeout, context=self.ctx) as resp:
                return Answer(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as e:
            return Answer(e.code, dict(e.headers), e.read())

    def ctl(self, method, what, body=None, **q):
        url = "/__sim/" + what
        if q:
            url += "?" + urllib.parse.urlencode(q)
        return self.req(method, url, body=body).json

    def faults(self, rules):
        return self.ctl("POST", "faults", rules)


def basic(user, pw):
    return "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()


TOK = {"Authorization": "Token tok123"}
V25 = "/api/v2.5"
V3 = "/api/v3.4"


def walk(sim, url, auth=TOK, limit=1000):
    """Follows next; returns (items, answers)."""
    items, answers = [], []
    while url and len(answers) < limit:
        a = sim.req("GET", url, headers=auth)
        answers.append(a)
        if a.status != 200 or not isinstance(a.json, dict):
            break
        items += a.json["results"]
        url = a.json["next"]
    return items, answers


def ids(items):
    return [o["id"] for o in items]


# ------------------------------------------------------------------ tests

def t_v25_token(s):
    a = s.req("GET", V25 + "/hosts", headers=TOK)
    is_(a.status, 200, "v2.5 legacy token: GET /hosts 200")
    is_(sorted(a.json), ["count", "next", "previous", "results"], "list shape count/next/previous/results")
    a = s.req("GET", V25 + "/hosts")
    ok(a.status == 401 and "detail" in a.json, "no Authorization: 401 with detail", a)
    a = s.req("GET", V25 + "/hosts", headers={"Authorization": "Token nope"})
    ok(a.status == 401 and a.json.get("detail") == "Invalid token.", "wrong token: 401 Invalid token.", a)
    a = s.req("GET", V25 + "/hosts", headers={"Authorization": "Bearer nope"})
    is_(a.status, 401, "unknown bearer: 401")
    a = s.req("GET", V3 + "/hosts", headers=TOK)
    is_(a.status, 404, "v3 base on a v2.5 simulator: 404")
    a = s.req("GET", V25 + "/entities", headers=TOK)
    is_(a.status, 404, "/entities does not exist on v2.5")


def t_v25_oauth(s):
    tp = V25 + "/oauth2/token"
    a = s.req("POST", tp, form={"grant_type": "client_credentials"},
              headers={"Authorization": basic("secresp-client", "secresp-secret")})
    ok(a.status == 200 and a.json.get("access_token") and a.json.get("expires_in") == 21600
       and a.json.get("token_type") == "Bearer", "v2.5 client_credentials: access_token, expires_in", a)
    ok("refresh_token" not in (a.json or {}), "v2.5 issues no refresh token")
    bearer = {"Authorization": "Bearer " + a.json["access_token"]}
    is_(s.req("GET", V25 + "/hosts/1", headers=bearer).status, 200, "bearer token accepted")
    a2 = s.req("POST", tp, form={"grant_type": "client_credentials"},
               headers={"Authorization": basic("secresp-client", "wrong")})
    ok(a2.status == 401 and a2.json.get("error") == "invalid_client", "wrong secret: 401 invalid_client", a2)
    a2 = s.req("POST", tp, form={"grant_type": "client_credentials"})
    is_(a2.status, 401, "no Basic auth: 401")
    a2 = s.req("POST", tp, form={"grant_type": "refresh_token", "refresh_token": "x"})
    ok(a2.status == 400 and a2.json.get("error") == "unsupported_grant_type", "v2.5 refresh grant: 400", a2)
    a2 = s.req("POST", tp, body={"grant_type": "client_credentials"},
               headers={"Authorization": basic("secresp-client", "secresp-secret")})
    is_(a2.status, 400, "token request as JSON instead of a form: 400")
    is_(s.req("POST", "/oauth2/token", form={"grant_type": "client_credentials"},
              headers={"Authorization": basic("secresp-client", "secresp-secret")}).status,
        404, "v3 token path on v2.5: 404")
    e = s.ctl("POST", "tokens/expire")
    ok(e["expired"] >= 1, "POST /__sim/tokens/expire", e)
    a = s.req("GET", V25 + "/hosts/1", headers=bearer)
    ok(a.status == 401 and a.json.get("detail") == "Token has expired.", "expired token: 401 Token has expired.", a)
    is_(s.req("GET", V25 + "/hosts/1", headers=TOK).status, 200, "legacy token unaffected by expiry")
    t = s.ctl("GET", "tokens")
    ok(t["issued"]["client_credentials"] == 1 and t["expired"] == 1 and t["issued"]["refused"] >= 3,
       "GET /__sim/tokens counts grants, refusals, expired tokens", t)


def t_v25_ttl(s):
    tp = V25 + "/oauth2/token"
    a = s.req("POST", tp, form={"grant_type": "client_credentials"},
              headers={"Authorization": basic("cid", "sec")})
    ok(a.status == 200 and a.json["expires_in"] == 1, "--client-id/--secret/--token-ttl 1", a)
    bearer = {"Authorization": "Bearer " + a.json["access_token"]}
    is_(s.req("GET", V25 + "/hosts", headers=bearer).status, 200, "fresh token works")
    time.sleep(1.2)
    a = s.req("GET", V25 + "/hosts", headers=bearer)
    is_(a.status, 401, "token older than --token-ttl: 401")
    is_(s.req("GET", V25 + "/hosts", headers={"Authorization": "Token tok123"}).status, 401,
        "--auth oauth refuses the legacy token")
    is_(s.req("GET", V25 + "/hosts", headers={"Authorization": "Token other"}).status, 401,
        "--auth oauth: any Token refused")


def t_v3_oauth(s):
    cc = {"Authorization": basic("secresp-client", "secresp-secret")}
    a = s.req("POST", "/oauth2/token", form={"grant_type": "client_credentials"}, headers=cc)
    j = a.json or {}
    ok(a.status == 200 and j.get("access_token") and j.get("refresh_token")
       and j.get("expires_in") == 21600 and j.get("refresh_expires_in") == 86400,
       "v3 client_credentials: access_token, expires_in, refresh_token, refresh_expires_in", a)
    bearer = {"Authorization": "Bearer " + j["access_token"]}
    is_(s.req("GET", V3 + "/hosts", headers=bearer).status, 200, "v3 bearer accepted on /api/v3.4")
    is_(s.req("GET", V3 + "/hosts", headers=TOK).status, 401, "v3 refuses the legacy Token scheme")
    is_(s.req("POST", V25 + "/oauth2/token", form={"grant_type": "client_credentials"}, headers=cc).status,
        404, "v2.5 token path on v3: 404")
    s.ctl("POST", "tokens/expire")
    is_(s.req("GET", V3 + "/hosts", headers=bearer).status, 401, "after expire: 401")
    r = s.req("POST", "/oauth2/token", form={"grant_type": "refresh_token", "refresh_token": j["refresh_token"]})
    rj = r.json or {}
    ok(r.status == 200 and rj.get("access_token") and rj.get("refresh_token"),
       "refresh (form, no Basic auth): new access and refresh tokens", r)
    is_(s.req("GET", V3 + "/hosts", headers={"Authorization": "Bearer " + rj["access_token"]}).status,
        200, "refreshed token works")
    r2 = s.req("POST", "/oauth2/token", form={"grant_type": "refresh_token", "refresh_token": j["refresh_token"]})
    ok(r2.status == 401 and r2.json.get("error") == "invalid_grant", "a used refresh token is refused (rotation)", r2)
    s.ctl("POST", "tokens/expire", refresh="1")
    r3 = s.req("POST", "/oauth2/token", form={"grant_type": "refresh_token", "refresh_token": rj["refresh_token"]})
    is_(r3.status, 401, "expire?refresh=1 also expires refresh tokens")
    a = s.req("POST", "/oauth2/token", form={"grant_type": "client_credentials"}, headers=cc)
    is_(a.status, 200, "client_credentials again after refresh failed")
    reqs = s.ctl("GET", "requests", path="/oauth2/token")
    ok(all(r["headers"].get("authorization", "").endswith("...") for r in reqs
           if "authorization" in r["headers"]), "token requests: Authorization redacted in the log")
    return {"Authorization": "Bearer " + a.json["access_token"]}


def t_pagination(s):
    # default page size 3 (--default-page-size 3); 6 active + 1 inactive host
    a = s.req("GET", V25 + "/hosts", headers=TOK)
    ok(a.status == 200 and a.json["count"] == 7 and len(a.json["results"]) == 3,
       "--default-page-size 3: count 7, 3 results", a)
    nxt = a.json["next"]
    ok(nxt and nxt.startswith(s.origin + V25 + "/hosts?") and "page=2" in nxt,
       "next is an absolute URL with page=2", nxt)
    is_(a.json["previous"], None, "previous of page 1 is null")
    items, answers = walk(s, V25 + "/hosts?state=active&ordering=-threat", TOK)
    is_(len(answers), 2, "6 active hosts: 2 pages")
    is_(ids(items), [4, 3, 1, 7, 5, 2], "ordering=-threat across pages")
    nxt = answers[0].json["next"]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
    is_(q, {"state": ["active"], "ordering": ["-threat"], "page": ["2"]}, "next keeps every filter")
    prev = answers[1].json["previous"]
    ok(prev and "page=" not in prev and "state=active" in prev, "previous of page 2 drops page=", prev)
    is_(answers[1].json["next"], None, "next of the last page is null")
    items, answers = walk(s, V25 + "/hosts?tags=VAR Host Blocked&page_size=1".replace(" ", "%20"), TOK)
    ok(len(answers) == 1 and ids(items) == [2], "tags with spaces", answers)
    items, answers = walk(s, V25 + "/hosts?page_size=2&tags=vectra_host_block", TOK)
    ok([a.json["next"] for a in answers][0].count("tags=vectra_host_block") == 1, "next has the tags filter once")
    is_(ids(items), [1, 3, 5], "tags filter followed through next")
    a = s.req("GET", V25 + "/hosts?page=9", headers=TOK)
    ok(a.status == 404 and a.json == {"detail": "Invalid page."}, "page past the end: 404 Invalid page.", a)
    a = s.req("GET", V25 + "/hosts?page=last&page_size=2", headers=TOK)
    ok(a.status == 200 and ids(a.json["results"]) == [7], "page=last", a)
    a = s.req("GET", V25 + "/hosts?page_size=999999", headers=TOK)
    ok(a.status == 200 and len(a.json["results"]) == 7 and a.json["next"] is None,
       "huge page_size is clamped to --max-page-size (5000)", a)
    a = s.req("GET", V25 + "/hosts?page_size=bogus", headers=TOK)
    ok(a.status == 200 and len(a.json["results"]) == 3, "invalid page_size: default", a)
    a = s.req("GET", V25 + "/hosts?tags=nothing-has-this", headers=TOK)
    ok(a.status == 200 and a.json["count"] == 0 and a.json["results"] == [], "empty result: count 0", a)


def t_filters(s):
    def hosts(q):
        items, answers = walk(s, V25 + "/hosts?" + q, TOK)
        return ids(items) if answers[-1].status == 200 else answers[-1]

    is_(hosts("tags=vectra_host_block"), [1, 3, 5], "hosts tags=: substring match (host 5 has not_vectra_host_block)")
    is_(hosts("tags=VECTRA_HOST_BLOCK"), [1, 3, 5], "hosts tags=: case-insensitive")
    is_(hosts("threat_gte=100&certainty_gte=100"), [4], "threat_gte and certainty_gte together")
    is_(hosts("threat_gte=90"), [3, 4], "threat_gte alone (>=)")
    is_(hosts("certainty_gte=70"), [1, 3, 4], "certainty_gte alone")
    is_(hosts("state=inactive"), [6], "state=inactive")
    is_(hosts("name=ws-"), [1, 2, 4, 5, 6, 7], "name= substring")
    is_(hosts("mac_address=4C:1D:96:22:29:04"), [4], "mac_address=")
    is_(hosts("key_asset=true"), [3], "key_asset=true")
    is_(hosts("last_source=10.0.0.7"), [7], "last_source=")
    is_(hosts("ordering=name")[:2], [3, 1], "ordering=name")
    a = s.req("GET", V25 + "/hosts?threat_gte=high", headers=TOK)
    is_(a.status, 400, "threat_gte not an integer: 400")
    a = s.req("GET", V25 + "/hosts?fields=id,name,tags&page_size=1", headers=TOK)
    is_(a.json["results"], [{"id": 1, "name": "ws-alice", "tags": ["vectra_host_block"]}], "fields= on a list")
    a = s.req("GET", V25 + "/hosts?bogus_param=1", headers=TOK)
    ok(a.status == 200 and a.json["count"] == 7, "unknown query parameters are ignored", a)

    h = s.req("GET", V25 + "/hosts/1", headers=TOK).json
    for f in ("id", "name", "last_source", "ip", "threat", "certainty", "key_asset", "tags", "note",
              "host_artifact_set", "detection_set", "last_seen", "url"):
        if f not in h:
            ok(False, "host object has %s" % f, h)
            break
    else:
        ok(True, "host object has every field of spec 3.6")
    ok("urgency_score" not in h, "simulator-only urgency_score is not in the host object")
    is_(h["host_artifact_set"][0], {"type": "mac", "value": "4c:1d:96:22:29:01", "source": None, "siem": False},
        "artifact shape")
    a = s.req("GET", V25 + "/hosts/3?fields=detection_set", headers=TOK)
    is_(a.json, {"detection_set": [s.origin + V25 + "/detections/1002", s.origin + V25 + "/detections/1003"]},
        "GET /hosts/{id}?fields=detection_set: absolute detection URLs")
    d = s.req("GET", a.json["detection_set"][0], headers=TOK)
    ok(d.status == 200 and d.json["id"] == 1002 and d.json["src_host"]["id"] == 3,
       "detection URL from detection_set is fetchable", d)
    is_(s.req("GET", V25 + "/hosts/999", headers=TOK).json, {"detail": "Not found."}, "unknown host: 404 detail")

    def accts(q, v=V25, auth=TOK):
        items, answers = walk(s, v + "/accounts?" + q, auth)
        return ids(items) if answers[-1].status == 200 else answers[-1].status

    is_(accts("tags=vectra_account_block"), [101], "accounts tags=")
    is_(accts("threat_gte=100&certainty_gte=100"), [103], "v2.5 accounts threat_gte/certainty_gte")
    is_(accts("t_score_gte=50"), 422, "v2.5 accounts t_score_gte: 422 (not silently ignored)")
    is_(accts("uid=" + urllib.parse.quote("O365:svc-backup@corp.example")), [103], "accounts uid=")
    a = s.req("GET", V25 + "/accounts/101", headers=TOK).json
    ok(a["name"] == "O365:alice@corp.example" and a["detection_set"] == [s.origin + V25 + "/detections/1007"]
       and a["display_name"] == "O365:alice@corp.example", "GET /accounts/{id}", a)

    def dets(q):
        items, answers = walk(s, V25 + "/detections?" + q, TOK)
        return ids(items) if answers[-1].status == 200 else answers[-1].status

    is_(dets("tags=block"), [1001, 1006, 1008], "detections tags=block: substring, case-insensitive")
    is_(dets("detection_type=Hidden%20HTTPS%20Tunnel&state=active"), [1004], "detection_type + state")
    is_(dets("is_triaged=true"), [1005], "is_triaged=true")
    is_(dets("host_id=4"), [1004, 1005], "host_id=")
    is_(dets("src_account=101"), [1007], "src_account=")
    is_(dets("category=info"), [1003], "category= (case-insensitive)")
    d = s.req("GET", V25 + "/detections/1001", headers=TOK).json
    ok(d["summary"]["dst_ips"] == ["185.220.101.1", "10.9.9.9", "bogus"] and d["src_ip"] == "10.0.0.1"
       and d["src_host"]["name"] == "ws-alice" and d["is_triaged"] is False and d["triage_rule_id"] is None
       and d["category"] == "COMMAND & CONTROL", "detection object shape", d)
    d = s.req("GET", V25 + "/detections/1007", headers=TOK).json
    ok(d["src_host"] is None and d["src_account"]["id"] == 101, "account detection: src_account, no src_host", d)
    is_(s.req("GET", V25 + "/detections/4242", headers=TOK).status, 404, "unknown detection: 404")


def t_groups(s):
    items, _ = walk(s, V25 + "/groups?name=NoBlock&type=host", TOK)
    is_(sorted(g["name"] for g in items), ["NoBlock", "NoBlock-legacy"],
        "groups name= is a substring match (clients must re-check)")
    g = [g for g in items if g["name"] == "NoBlock"][0]
    ok(g["type"] == "host" and g["members"] == [{"id": 3, "name": "srv-backup",
                                                 "url": s.origin + V25 + "/hosts/3", "is_key_asset": True}],
       "host group members {id,name,url}", g)
    items, _ = walk(s, V25 + "/groups?name=Block&type=host", TOK)
    is_(sorted(g["name"] for g in items), ["Block", "NoBlock", "NoBlock-legacy"], "name=Block also finds NoBlock")
    items, _ = walk(s, V25 + "/groups?name=NoBlock&type=account", TOK)
    ok(len(items) == 1 and items[0]["members"] == [{"uid": "O365:svc-backup@corp.example"}],
       "account group members {uid}", items)
    items, _ = walk(s, V25 + "/groups?name=%5ENoBlock%24&is_regex=true", TOK)
    is_(sorted(g["id"] for g in items), [1, 3], "is_regex=true")


def t_tagging_notes(s):
    p = V25 + "/tagging/host/2"
    a = s.req("GET", p, headers=TOK)
    ok(a.status == 200 and a.json["tags"][0] == "keepme" and a.json["status"] == "success",
       "GET /tagging/host/{id}", a)
    a = s.req("PATCH", p, body={"tags": ["keepme"]}, headers=TOK)
    is_(a.json, {"status": "success", "tag_id": 2, "tags": ["keepme"]}, "PATCH answer status/tag_id/tags")
    is_(s.req("GET", V25 + "/hosts/2", headers=TOK).json["tags"], ["keepme"], "PATCH replaces the whole list")
    items, _ = walk(s, V25 + "/hosts?tags=VAR%20Host%20Blocked", TOK)
    is_(ids(items), [], "the tag index follows the PATCH")
    tags = ["vectra_host_block", "VAR Host Blocked", "VAR ID:ISE Client:aa:bb:cc:dd:ee:ff"]
    s.req("PATCH", V25 + "/tagging/host/1", body={"tags": tags}, headers=TOK)
    is_(s.req("GET", V25 + "/hosts/1", headers=TOK).json["tags"], tags, "tags with colons kept verbatim, in order")
    items, _ = walk(s, V25 + "/hosts?tags=VAR%20Host%20Blocked", TOK)
    is_(ids(items), [1], "newly tagged host listed by tag")
    for kind, oid in (("account", 102), ("detection", 1006)):
        a = s.req("PATCH", V25 + "/tagging/%s/%d" % (kind, oid), body={"tags": []}, headers=TOK)
        ok(a.status == 200 and a.json["tags"] == [], "PATCH /tagging/%s/{id}" % kind, a)
    is_(s.req("PATCH", V25 + "/tagging/host/999", body={"tags": []}, headers=TOK).status, 404,
        "PATCH unknown host: 404")
    is_(s.req("PATCH", p, body={"tags": "x"}, headers=TOK).status, 400, "tags not a list: 400")
    is_(s.req("PATCH", p, body=b"not json", headers=TOK).status, 400, "invalid JSON: 400")
    is_(s.req("PATCH", p, body=b'{"tags":[]}', headers=dict(TOK, **{"Content-Type": "text/plain"})).status,
        415, "PATCH without Content-Type application/json: 415")
    is_(s.req("POST", p, body={"tags": []}, headers=TOK).status, 405, "POST /tagging/host/{id}: 405")

    n = s.req("POST", V25 + "/hosts/1/notes", body={"note": "VAR: Blocked on 16 Oct 2025 at 10:21:22"}, headers=TOK)
    ok(n.status == 201 and sorted(n.json) == ["created_by", "date_created", "date_modified", "id",
                                               "modified_by", "note"]
       and n.json["note"] == "VAR: Blocked on 16 Oct 2025 at 10:21:22" and n.json["created_by"] == "vadmin",
       "POST /hosts/{id}/notes: 201 {id,date_created,created_by,note}", n)
    n2 = s.req("POST", V25 + "/hosts/1/notes", body={"note": "VAR: Unblocked on 16 Oct 2025 at 10:22:00"},
               headers=TOK)
    is_(n2.json["id"], n.json["id"] + 1, "note ids increase")
    is_(s.req("GET", V25 + "/hosts/1", headers=TOK).json["note"], "VAR: Unblocked on 16 Oct 2025 at 10:22:00",
        "host.note is the latest note")
    is_([x["note"] for x in s.req("GET", V25 + "/hosts/1/notes", headers=TOK).json],
        ["VAR: Blocked on 16 Oct 2025 at 10:21:22", "VAR: Unblocked on 16 Oct 2025 at 10:22:00"],
        "GET /hosts/{id}/notes lists them")
    for kind, oid in (("accounts", 101), ("detections", 1001)):
        a = s.req("POST", V25 + "/%s/%d/notes" % (kind, oid), body={"note": "x"}, headers=TOK)
        is_(a.status, 201, "POST /%s/{id}/notes" % kind)
    is_(s.req("POST", V25 + "/hosts/999/notes", body={"note": "x"}, headers=TOK).status, 404, "note on unknown host")
    is_(s.req("POST", V25 + "/hosts/1/notes", body={"text": "x"}, headers=TOK).status, 400, "note missing: 400")
    notes = s.ctl("GET", "notes", type="host", id="1")
    is_(len(notes), 2, "GET /__sim/notes?type=host&id=1")
    st = s.ctl("GET", "state")
    ok(len(st["notes"]["host"]["1"]) == 2 and len(st["notes"]["account"]["101"]) == 1,
       "notes are in GET /__sim/state", st["notes"])
    o = s.ctl("GET", "objects/host/1")
    ok(len(o["_notes"]) == 2 and o["tags"] == tags, "GET /__sim/objects/host/1 with _notes", o)


def t_faults(s):
    s.ctl("DELETE", "faults")
    s.ctl("DELETE", "requests")
    url = V25 + "/hosts?tags=vectra_host_block&page_size=1"
    s.faults([{"kind": "status", "status": 500, "path": "/hosts$",
               "query": {"tags": "vectra_host_block", "page": "2"}, "times": 1}])
    items, answers = walk(s, url, TOK)
    is_([a.status for a in answers], [200, 500], "500 on page 2 of /hosts?tags=...: page 1 ok, page 2 fails")
    a = s.req("GET", answers[0].json["next"], headers=TOK)
    is_(a.status, 200, "the same page 2 again (times 1): 200")
    f = s.ctl("GET", "faults")
    ok(f[0]["fired"] == 1 and f[0]["seen"] == 2, "fault counters: seen 2 (only page-2 requests), fired 1", f)

    s.faults([{"kind": "status", "status": 503, "path": "/hosts$", "query": {"tags": "vectra_host_block"},
               "nth": [2]}])
    items, answers = walk(s, V25 + "/hosts?threat_gte=0&page_size=2", TOK)
    ok(all(a.status == 200 for a in answers), "query selector: other /hosts lists unaffected", answers)
    items, answers = walk(s, url, TOK)
    is_([a.status for a in answers], [200, 503], "nth [2] of the matching requests = page 2")

    s.faults([{"kind": "rate_limit", "retry_after": "2", "path": "/hosts$", "query_re": "tags=VAR Host Blocked",
               "nth": [1]}])
    a = s.req("GET", V25 + "/hosts?tags=VAR+Host+Blocked", headers=TOK)
    ok(a.status == 429 and a.headers.get("Retry-After") == "2", "429 + Retry-After via query_re (decoded)", a)
    is_(s.req("GET", V25 + "/hosts?tags=VAR+Host+Blocked", headers=TOK).status, 200, "second request passes")

    s.faults([{"kind": "malformed", "path": "/hosts$", "query": {"page": "2"}},
              {"kind": "drop", "path": "/detections$", "query": {"page": None}, "times": 1}])
    items, answers = walk(s, url, TOK)
    ok(answers[-1].status == 200 and answers[-1].json is None, "malformed JSON on page 2", answers)
    try:
        s.req("GET", V25 + "/detections", headers=TOK)
        ok(False, "drop: connection closed without answer")
    except (urllib.error.URLError, http.client.HTTPException, ConnectionError):
        ok(True, "drop: connection closed without answer (query page absent)")
    is_(s.req("GET", V25 + "/detections", headers=TOK).status, 200, "after the drop: 200")
    bad = s.req("POST", "/__sim/faults", body=[{"kind": "status", "query": "page=2"}])
    is_(bad.status, 400, "fault with a non-object query: 400")
    s.ctl("DELETE", "faults")

    t0 = time.monotonic()
    s.faults([{"kind": "latency", "delay_ms": 300, "path": "/groups$"}])
    s.req("GET", V25 + "/groups", headers=TOK)
    ok(time.monotonic() - t0 >= 0.3, "latency fault")
    s.ctl("DELETE", "faults")


def t_log_counts(s):
    s.ctl("DELETE", "requests")
    s.req("GET", V25 + "/hosts?tags=vectra_host_block", headers=TOK)
    s.req("GET", V25 + "/hosts/1", headers=TOK)
    s.req("GET", V25 + "/hosts/3", headers=TOK)
    s.req("PATCH", V25 + "/tagging/host/1", body={"tags": ["a"]}, headers=TOK)
    s.req("POST", V25 + "/hosts/1/notes", body={"note": "n"}, headers=TOK)
    c = s.ctl("GET", "counts")
    is_(c["endpoints"], {"GET /hosts": 1, "GET /hosts/{id}": 2, "PATCH /tagging/host/{id}": 1,
                         "POST /hosts/{id}/notes": 1}, "GET /__sim/counts per endpoint")
    is_(c["status"]["POST /hosts/{id}/notes"], {"201": 1}, "counts by status")
    c = s.ctl("GET", "counts", by="path")
    is_(c["endpoints"].get("GET /api/v2.5/hosts/3"), 1, "counts?by=path")
    reqs = s.ctl("GET", "requests", path=V25 + "/tagging/host/1")
    ok(len(reqs) == 1 and json.loads(reqs[0]["body"]) == {"tags": ["a"]}
       and reqs[0]["headers"]["authorization"] == "Token tok1...",
       "log: body kept, Authorization redacted to scheme + 4 chars", reqs)
    reqs = s.ctl("GET", "requests", path=V25 + "/hosts")
    is_(reqs[0]["query"], {"tags": ["vectra_host_block"]}, "log: query")
    with open(s.logf) as fp:
        text = fp.read()
    ok("tok123" not in text and "secresp-secret" not in text, "no credential in the --log file")


def t_state(s):
    small = {"hosts": [{"id": 10, "name": "only", "tags": ["x"]}],
             "detections": [{"id": 20, "src_host": 10, "tags": []}]}
    r = s.req("PUT", "/__sim/state", body=small)
    ok(r.status == 200 and r.json["host"] == 1, "PUT /__sim/state", r)
    a = s.req("GET", V25 + "/hosts", headers=TOK)
    ok(a.json["count"] == 1 and a.json["results"][0]["detection_set"] == [s.origin + V25 + "/detections/20"],
       "the API serves the new state (detection_set derived)", a)
    r = s.req("PUT", "/__sim/state", body={"hostz": []})
    is_(r.status, 400, "unknown state key: 400")
    r = s.req("PUT", "/__sim/state", body={"hosts": [{"id": 1}, {"id": 1}]})
    is_(r.status, 400, "duplicate id: 400")
    is_(s.req("GET", V25 + "/hosts", headers=TOK).json["count"], 1, "a refused state changes nothing")
    s.ctl("POST", "reset")
    is_(s.req("GET", V25 + "/hosts", headers=TOK).json["count"], 7, "POST /__sim/reset: example state back")
    is_(s.req("GET", V25 + "/hosts/2", headers=TOK).json["tags"][0:2], ["keepme", "VAR Host Blocked"],
        "reset restores tags")

    # A detection deleted between the host listing and its retrieval (spec defect 19).
    r = s.req("DELETE", "/__sim/objects/detection/1003")
    is_(r.status, 200, "DELETE /__sim/objects/detection/1003")
    a = s.req("GET", V25 + "/hosts/3?fields=detection_set", headers=TOK)
    is_(a.json["detection_set"], [s.origin + V25 + "/detections/1002"], "derived detection_set follows")
    r = s.req("PUT", "/__sim/objects/host/3", body=dict(s.ctl("GET", "objects/host/3"), detection_set=[1002, 1003]))
    is_(r.status, 200, "PUT /__sim/objects/host/3 with an explicit detection_set")
    a = s.req("GET", V25 + "/hosts/3?fields=detection_set", headers=TOK)
    is_(s.req("GET", a.json["detection_set"][1], headers=TOK).status, 404, "a dangling detection URL: 404")
    ok("_notes" not in s.req("GET", V25 + "/hosts/3", headers=TOK).json, "PUT of a GET /__sim/objects answer: _notes dropped")
    r = s.req("PUT", "/__sim/objects/host/50", body={"name": "new", "tags": ["vectra_host_block"]})
    items, _ = walk(s, V25 + "/hosts?tags=vectra_host_block", TOK)
    is_(ids(items), [1, 3, 5, 50], "PUT /__sim/objects creates an object")
    s.ctl("POST", "reset")


def t_v3_api(s, bearer):
    is_(s.req("GET", V3 + "/hosts?tags=vectra_host_block", headers=bearer).json["count"], 3, "v3 /hosts tags=")
    items, _ = walk(s, V3 + "/entities?type=host&ordering=-urgency_score", bearer)
    is_([(e["id"], e["urgency_score"]) for e in items][:4], [(3, 99), (4, 95), (1, 80), (7, 60)],
        "v3 /entities?type=host&ordering=-urgency_score")
    ok(all(e["type"] == "host" for e in items) and len(items) == 7, "entities of type host only", items)
    e = items[0]
    ok(all(k in e for k in ("id", "type", "urgency_score", "name", "tags")), "entity shape", e)
    items, _ = walk(s, V3 + "/entities?type=account&ordering=-urgency_score", bearer)
    is_(ids(items), [103, 101, 104, 102], "account entities by urgency")
    is_(s.req("GET", V3 + "/entities?type=ip", headers=bearer).status, 422, "entities type=ip: 422")
    a = s.req("GET", V3 + "/entities/4?type=host", headers=bearer)
    ok(a.status == 200 and a.json["urgency_score"] == 95, "GET /entities/{id}?type=host", a)
    a = s.req("GET", V3 + "/accounts?threat_gte=50", headers=bearer)
    ok(a.status == 422 and "threat_gte" in a.json["detail"], "v3 accounts threat_gte: 422", a)
    a = s.req("GET", V3 + "/accounts?certainty_gte=50", headers=bearer)
    is_(a.status, 422, "v3 accounts certainty_gte: 422")
    items, _ = walk(s, V3 + "/accounts?t_score_gte=100&c_score_gte=100", bearer)
    is_(ids(items), [103], "v3 accounts t_score_gte/c_score_gte")
    a = s.req("GET", V3 + "/hosts?threat_gte=100&certainty_gte=100", headers=bearer)
    is_(ids(a.json["results"]), [4], "v3 hosts threat_gte/certainty_gte")
    a = s.req("GET", V3 + "/hosts/1?fields=detection_set", headers=bearer)
    is_(a.json["detection_set"], [s.origin + V3 + "/detections/1001"], "v3 detection URLs use /api/v3.4")
    a = s.req("PATCH", V3 + "/tagging/host/4", body={"tags": ["t1"]}, headers=bearer)
    is_(a.json, {"status": "success", "tag_id": 4, "tags": ["t1"]}, "v3 PATCH /tagging/host")
    a = s.req("GET", V3 + "/tagging/entity/4?type=host", headers=bearer)
    is_(a.json["tags"], ["t1"], "v3 GET /tagging/entity/{id}?type=host")
    n = s.req("POST", V3 + "/hosts/4/notes", body={"note": "x"}, headers=bearer)
    ok(n.status == 201 and n.json["created_by"] == "secresp-client", "v3 note created_by = client id", n)
    d = s.req("GET", V3 + "/detections/1002", headers=bearer).json
    is_(d["category"], "exfiltration", "--lower-categories")
    items, _ = walk(s, V3 + "/groups?name=Block&type=host", bearer)
    ok(all("members" not in g for g in items), "--groups-need-include-members: no members by default", items)
    items, _ = walk(s, V3 + "/groups?name=Block&type=host&include_members=true", bearer)
    ok(all("members" in g for g in items), "include_members=true: members", items)


def t_strict(s):
    a = s.req("GET", V25 + "/hosts?bogus=1", headers=TOK)
    ok(a.status == 400 and "bogus" in a.json["detail"], "--strict-params: unknown parameter 400", a)
    is_(s.req("GET", V25 + "/hosts?tags=x&page_size=10", headers=TOK).status, 200, "--strict-params: known ok")
    items, _ = walk(s, V25 + "/hosts", TOK)
    is_(ids(items), [1, 2, 3, 4, 5, 7], "--hide-inactive: inactive host 6 hidden")
    items, _ = walk(s, V25 + "/hosts?all=true", TOK)
    is_(len(items), 7, "--hide-inactive: all=true shows it")
    is_(s.req("GET", V25 + "/hosts?tags=vectra_host_block", headers=TOK).json["count"], 2,
        "--tag-match exact: no substring match")
    a = s.req("GET", V25 + "/oauth2/token", headers=TOK)
    is_(a.status, 405, "GET on the token endpoint: 405")


def t_scale(s, n, tagged, page_size):
    auth = TOK
    t0 = time.monotonic()
    items, answers = walk(s, V25 + "/hosts?page_size=%d" % page_size, auth, limit=100000)
    dt = time.monotonic() - t0
    ok(all(a.status == 200 for a in answers) and len(items) == n,
       "scale: %d hosts listed with page_size %d in %d requests" % (len(items), page_size, len(answers)))
    diag("scale: %d hosts, page_size %d, %d pages: %.2f s (%.0f hosts/s)"
         % (n, page_size, len(answers), dt, n / dt if dt else 0))
    ips = {h["ip"] for h in items}
    macs = {h["host_artifact_set"][0]["value"] for h in items}
    names = {h["name"] for h in items}
    ok(len(ips) == n and len(macs) == n and len(names) == n, "scale: distinct IPs, MACs and names")
    ok(all(ip.startswith("10.") for ip in ips), "scale: private IPs")
    t0 = time.monotonic()
    items, answers = walk(s, V25 + "/hosts?tags=vectra_host_block&page_size=%d" % page_size, auth, limit=100000)
    dt2 = time.monotonic() - t0
    ok(len(items) == tagged and all("vectra_host_block" in h["tags"] for h in items),
       "scale: %d tagged hosts by tags=" % tagged, len(items))
    diag("scale: %d tagged hosts listed in %.2f s" % (len(items), dt2))
    ok(dt < 60, "scale: full listing in under 60 s (%.2f s)" % dt)
    tags = ["vectra_host_block", "VAR Host Blocked", "VAR ID:Test Client:x"]
    hid = items[0]["id"]
    t0 = time.monotonic()
    s.req("PATCH", V25 + "/tagging/host/%d" % hid, body={"tags": tags}, headers=auth)
    a = s.req("GET", V25 + "/hosts?tags=VAR%20Host%20Blocked", headers=auth)
    ok(a.json["count"] == 1 and a.json["results"][0]["id"] == hid,
       "scale: PATCH then list by the new tag (%.0f ms)" % ((time.monotonic() - t0) * 1000))
    return dt


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pki", help="directory made by mkca.sh: run the v3 simulator over HTTPS")
    ap.add_argument("--scale-hosts", type=int, default=50000)
    ap.add_argument("--scale-tagged", type=int, default=5000)
    ap.add_argument("--scale-page-size", type=int, default=5000)
    ap.add_argument("--only", nargs="*", help="groups to run: v25 v3 strict scale")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()
    only = set(args.only or ["v25", "v3", "strict", "scale"])
    tmp = tempfile.mkdtemp(prefix="test-vectra-sim.")
    sims = []
    crashed = False

    def start(name, extra, pki=None, wait_s=60):
        s = Sim(tmp, name, extra, pki=pki, python=args.python, wait_s=wait_s)
        sims.append(s)
        return s

    try:
        if "v25" in only:
            s = start("v25", ["--api", "2.5", "--state", EXAMPLE, "--default-page-size", "3"])
            for fn in (t_v25_token, t_v25_oauth, t_pagination, t_filters, t_groups, t_tagging_notes,
                       t_log_counts, t_faults, t_state):
                s.ctl("POST", "reset")
                fn(s)
            s2 = start("v25ttl", ["--api", "2.5", "--auth", "oauth", "--client-id", "cid", "--secret", "sec",
                                  "--token-ttl", "1"])
            t_v25_ttl(s2)
        if "v3" in only:
            s = start("v3", ["--api", "3", "--state", EXAMPLE, "--lower-categories",
                             "--groups-need-include-members"], pki=args.pki)
            if args.pki:
                ok(s.origin.startswith("https://"), "v3 simulator over HTTPS with the test CA")
            bearer = t_v3_oauth(s)
            t_v3_api(s, bearer)
        if "strict" in only:
            s = start("strict", ["--state", EXAMPLE, "--strict-params", "--hide-inactive", "--tag-match", "exact"])
            t_strict(s)
        if "scale" in only and args.scale_hosts > 0:
            t0 = time.monotonic()
            s = start("scale", ["--scale-hosts", str(args.scale_hosts), "--scale-tagged", str(args.scale_tagged)],
                      pki=args.pki, wait_s=120)
            diag("scale: simulator with %d hosts ready in %.2f s%s"
                 % (args.scale_hosts, time.monotonic() - t0, " (HTTPS)" if args.pki else ""))
            t_scale(s, args.scale_hosts, args.scale_tagged, args.scale_page_size)
    except Exception:
        crashed = True
        ok(False, "test driver raised", traceback.format_exc())
    finally:
        for s in sims:
            rc = s.stop()
            ok(rc == 0, "%s simulator exits 0 on SIGTERM" % s.name, open(s.errf).read()[-2000:])
            err = open(s.errf).read()
            ok("Traceback" not in err, "%s simulator: no traceback on stderr" % s.name, err[-3000:])
        if not os.environ.get("KEEP_TMP"):
            for f in os.listdir(tmp):
                os.unlink(os.path.join(tmp, f))
            os.rmdir(tmp)
        else:
            diag("kept " + tmp)
    print("1..%d" % _n)
    diag("%d tests, %d failed" % (_n, _failed))
    # As tests/functional/lib.sh: failed checks are reported by TAP; the exit
    # status reports a run that did not reach its end (so automake does not
    # count a failure twice).  FUNC_STRICT_EXIT=1 also exits 1 on failed checks.
    if crashed:
        return 2
    return 1 if _failed and os.environ.get("FUNC_STRICT_EXIT") else 0


if __name__ == "__main__":
    sys.exit(main())
