#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""umbrella_sim: Cisco Umbrella token, Reporting v2 and Investigate (umbrella.md §3).

Serves both platforms from one port:

  token     POST /auth/v2/token                 (api.umbrella.com: Basic key:secret and
                                                 the form body grant_type=client_credentials)
            POST|GET /auth/v2/oauth2/token      (legacy management.api.umbrella.com:
                                                 Basic key:secret, a body is optional)
            -> {"token_type":"bearer","access_token":T,"expires_in":TTL}
  reports   GET /reports/v2/{top-identities,activity/dns,categories}            (new)
            GET /v2/organizations/<org>/{top-identities,activity/dns,categories} (legacy)
  investigate
            GET /investigate/v2/domains/risk-score/<domain>    (new, OAuth token)
            GET /domains/risk-score/<domain>                   (legacy: --investigate-token,
                                                                an OAuth token works too)

Reports need "Authorization: Bearer <token>" (401 otherwise, also for an
expired token), `limit` (400 without, or above 5000), and `from`/`to`
(400 without).  `offset` + `limit` page: a short page is the last one;
an offset at or beyond --max-offset answers 400.  activity/dns filters on
`categories` (comma-separated ids: any of the record's) and `identityids`.

Regional redirect (--redirect): a reports request whose Host is not
--region-host gets 302 with Location on http://<region-host>:<port> and the
same path and query, as Umbrella sends to its regional warehouses; the
client must send its bearer token again there (a request without it gets
401 and is recorded).

State (JSON, --state FILE or PUT /__sim/state):
  {"org": "7966517",
   "identities": [{"id": 1, "label": "VM_WIN11", "type": "anyconnect", "requests": 10}],
   "activity": {"<identity id>": [{"domain": "evil.example", "categories": [65],
                                   "verdict": "allowed", "timestamp": <ms, optional>}]},
   "risk": {"evil.example": 80},                 unknown domains score --default-risk
   "categories": [{"id": 65, "label": "Command and Control", "type": "security"}]}

Control endpoints (besides simkit's): PUT /__sim/state[?initial=1],
PUT /__sim/activity/<identity id> (a list of records), PUT /__sim/risk
(an object merged into "risk"), POST /__sim/tokens/expire, GET /__sim/tokens,
GET /__sim/counts ({"token": n, "top-identities": n, "activity": n,
"risk": n, "risk_domains": {domain: n}, "categories": n, "redirects": n}).

Scale mode for the benchmark: --scale-users N --scale-domains M [--scale-pool P]
adds N anyconnect identities (labels vpn-host-NNNNNN) with M domains each,
drawn from a pool of P domains (one in 97 scores 80, the others 0..29).
"""
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim, error_response, json_response  # noqa: E402

# The original's fourteen security categories (umbrella.md §3.6).
SECURITY_CATEGORIES = [
    (60, "Drive-by Downloads/Exploits"), (61, "Dynamic DNS"), (62, "Mobile Threats"),
    (63, "High Risk Sites and Locations"), (64, "Command and Control"), (65, "Command and Control"),
    (66, "Malware"), (67, "Malware"), (68, "Phishing"), (106, "Unauthorized IP Tunnel Access"),
    (108, "Newly Seen Domains"), (109, "Potentially Harmful"), (110, "DNS Tunneling VPN"),
    (150, "Cryptomining"),
]
CONTENT_CATEGORIES = [(190, "Search Engines and Portals"), (23, "Business Services")]
MAX_LIMIT = 5000


class UmbrellaSim(Sim):
    def __init__(self):
        super().__init__("umbrella", "Cisco Umbrella API simulator")
        p = self.parser
        p.add_argument("--key", default="umb-key", help="API key (Basic user of the token call)")
        p.add_argument("--secret", default="umb-secret", help="API secret (Basic password)")
        p.add_argument("--investigate-token", default="inv-token", help="legacy Investigate static token")
        p.add_argument("--token-ttl", type=int, default=3600, help="expires_in of issued tokens")
        p.add_argument("--default-risk", type=int, default=0, help="risk score of domains not in the state")
        p.add_argument("--max-offset", type=int, default=10000, help="offsets at or above answer 400")
        p.add_argument("--redirect", action="store_true", help="302 reports to the regional host")
        p.add_argument("--region-host", default="localhost", help="host name of the regional warehouse")
        p.add_argument("--latency-ms", type=int, default=0, help="added to every API request")
        p.add_argument("--scale-users", type=int, default=0)
        p.add_argument("--scale-domains", type=int, default=50)
        p.add_argument("--scale-pool", type=int, default=20000)
        self.tokens = {}            # token -> expiry (epoch s)
        self.grants = []            # token calls: {"endpoint", "ok", "reason"}
        self.counts = {}
        self.risk_domains = {}
        self.next_token = 0
        self.tok_lock = threading.Lock()
        self.on_reset(lambda s: s._clear_counts())

    def _clear_counts(self):
        with self.tok_lock:
            self.counts = {}
            self.risk_domains = {}

    def count(self, what, domain=None):
        with self.tok_lock:
            self.counts[what] = self.counts.get(what, 0) + 1
            if domain is not None:
                self.risk_domains[domain] = self.risk_domains.get(domain, 0) + 1

    def issue(self, endpoint):
        with self.tok_lock:
            self.next_token += 1
            tok = "umb-%d-%x" % (self.next_token, int(time.time() * 1000) & 0xffffff)
            self.tokens[tok] = time.time() + self.args.token_ttl
            self.grants.append({"endpoint": endpoint, "ok": True})
        return tok

    def token_ok(self, tok):
        with self.tok_lock:
            exp = self.tokens.get(tok)
        return exp is not None and exp > time.time()

    def _control(self, method, path, query_all, body):
        what = path[len("/__sim/"):].strip("/")
        try:
            if what == "state" and method == "PUT":
                st = json.loads(body or b"{}")
                if not isinstance(st, dict):
                    raise ValueError("state must be an object")
                with self.lock:
                    self.state.clear()
                    self.state.update(default_state())
                    self.state.update(st)
                    if query_all.get("initial", ["0"])[0] in ("1", "true"):
                        self._initial_state = json.dumps(self.state)
                return json_response({"ok": True})
            if what.startswith("activity/") and method == "PUT":
                recs = json.loads(body or b"[]")
                if not isinstance(recs, list):
                    raise ValueError("a list of records")
                with self.lock:
                    self.state.setdefault("activity", {})[what[len("activity/"):]] = recs
                return json_response({"ok": True})
            if what == "risk" and method == "PUT":
                upd = json.loads(body or b"{}")
                if not isinstance(upd, dict):
                    raise ValueError("an object domain -> score")
                with self.lock:
                    self.state.setdefault("risk", {}).update(upd)
                return json_response({"ok": True})
            if what == "tokens/expire" and method == "POST":
                with self.tok_lock:
                    for t in self.tokens:
                        self.tokens[t] = 0
                return json_response({"ok": True})
            if what == "tokens" and method == "GET":
                with self.tok_lock:
                    now = time.time()
                    return json_response({
                        "grants": list(self.grants),
                        "active": sum(1 for e in self.tokens.values() if e > now),
                        "expired": sum(1 for e in self.tokens.values() if e <= now)})
            if what == "counts" and method == "GET":
                with self.tok_lock:
                    out = dict(self.counts)
                    out["risk_domains"] = dict(self.risk_domains)
                return json_response(out)
        except ValueError as e:
            return error_response(400, str(e))
        return super()._control(method, path, query_all, body)


sim = UmbrellaSim()


def default_state():
    return {
        "org": "7966517",
        "identities": [],
        "activity": {},
        "risk": {},
        "categories": [{"id": i, "label": lab, "type": "security", "integration": False, "deprecated": False}
                       for i, lab in SECURITY_CATEGORIES] +
                      [{"id": i, "label": lab, "type": "content", "integration": False, "deprecated": False}
                       for i, lab in CONTENT_CATEGORIES],
    }


sim.state.update(default_state())


def delay():
    if sim.args.latency_ms > 0:
        time.sleep(sim.args.latency_ms / 1000.0)


# ---- token ------------------------------------------------------------------

def check_basic(req, endpoint):
    cred = req.basic_auth()
    if cred is None:
        sim.grants.append({"endpoint": endpoint, "ok": False, "reason": "no basic auth"})
        raise HTTPError(401, "", body={"error": "invalid_client",
                                       "error_description": "client authentication required"})
    if cred != (sim.args.key, sim.args.secret):
        sim.grants.append({"endpoint": endpoint, "ok": False, "reason": "bad credentials"})
        raise HTTPError(401, "", body={"error": "invalid_client",
                                       "error_description": "invalid client credentials"})


def token_answer(tok):
    return {"token_type": "bearer", "access_token": tok, "expires_in": sim.args.token_ttl}


@sim.route("POST", r"/auth/v2/token")
def token_new(req):
    sim.count("token")
    check_basic(req, "new")
    ctype = req.headers.get("Content-Type", "")
    form = urllib.parse.parse_qs(req.text) if "x-www-form-urlencoded" in ctype else {}
    if form.get("grant_type") != ["client_credentials"]:
        sim.grants.append({"endpoint": "new", "ok": False, "reason": "grant_type"})
        raise HTTPError(400, "", body={"error": "unsupported_grant_type",
                                       "error_description": "grant_type=client_credentials is required"})
    return token_answer(sim.issue("new"))


@sim.route("*", r"/auth/v2/oauth2/token")
def token_legacy(req):
    sim.count("token")
    if req.method not in ("POST", "GET"):
        raise HTTPError(405, "method not allowed")
    check_basic(req, "legacy")
    return token_answer(sim.issue("legacy"))


# ---- reports ----------------------------------------------------------------

def bearer_ok(req, allow_static=False):
    tok = req.bearer()
    if tok is None:
        raise HTTPError(401, "", body={"message": "Authorization header is missing"})
    if allow_static and tok == sim.args.investigate_token:
        return
    if not sim.token_ok(tok):
        raise HTTPError(401, "", body={"message": "Invalid or expired token"})


def maybe_redirect(req):
    """302 to the regional host, keeping the path and the query."""
    if not sim.args.redirect:
        return None
    host = req.headers.get("Host", "")
    if host.rsplit(":", 1)[0].strip("[]") == sim.args.region_host:
        return None
    sim.count("redirects")
    q = urllib.parse.urlencode([(k, v) for k, vs in req.query_all.items() for v in vs])
    loc = "http://%s:%d%s%s" % (sim.args.region_host, sim.port, req.path, "?" + q if q else "")
    return Response(302, {"message": "report is in another region"}, {"Location": loc})


def window(req):
    for p in ("from", "to"):
        if p not in req.query:
            raise HTTPError(400, "", body={"message": "'%s' is required" % p})
    try:
        limit = int(req.query["limit"])
    except (KeyError, ValueError):
        raise HTTPError(400, "", body={"message": "'limit' is required"})
    if limit < 1 or limit > MAX_LIMIT:
        raise HTTPError(400, "", body={"message": "limit must be 1..%d" % MAX_LIMIT})
    try:
        offset = int(req.query.get("offset", "0"))
    except ValueError:
        raise HTTPError(400, "", body={"message": "bad offset"})
    if offset < 0 or offset >= sim.args.max_offset:
        raise HTTPError(400, "", body={"message": "offset out of range"})
    return limit, offset


def time_of(v, now_ms):
    """A from/to value in epoch ms: "now", "-30days", "-2hours", or ms."""
    if v == "now":
        return now_ms
    units = {"days": 86400000, "hours": 3600000, "minutes": 60000}
    for u, ms in units.items():
        if v.startswith("-") and v.endswith(u):
            return now_ms - int(v[1:-len(u)]) * ms
    return int(v)


def org_check(req):
    if "org" in req.params and req.params["org"] != sim.state.get("org"):
        raise HTTPError(403, "", body={"message": "organization mismatch"})


def identity_obj(i):
    t = i.get("type", "anyconnect")
    return {"id": i["id"], "label": i["label"], "deleted": False,
            "type": {"id": 34 if t == "anyconnect" else 9, "type": t,
                     "label": "Anyconnect Roaming Client" if t == "anyconnect" else "Roaming Computers"}}


def top_identities(req):
    sim.count("top-identities")
    delay()
    bearer_ok(req)
    org_check(req)
    r = maybe_redirect(req)
    if r:
        return r
    limit, offset = window(req)
    types = req.query.get("identitytypes")
    with req.lock:
        ids = list(req.state["identities"])
    if types:
        want = types.split(",")
        ids = [i for i in ids if i.get("type", "anyconnect") in want]
    ids.sort(key=lambda i: -i.get("requests", 1))
    data = []
    for rank, i in enumerate(ids[offset:offset + limit], start=offset + 1):
        n = i.get("requests", 1)
        data.append({"requests": n, "bandwidth": n * 75, "rank": rank, "identity": identity_obj(i),
                     "counts": {"requests": n, "allowedrequests": n, "blockedrequests": 0}})
    return {"meta": {}, "data": data}


_index = {"key": None, "map": {}}


def identity_index(state):
    """id -> identity, rebuilt when the identities list changes (the
    benchmark's 5,000 identities made every activity call rebuild it)."""
    ids = state["identities"]
    key = (id(ids), len(ids))
    if _index["key"] != key:
        _index["map"] = {str(i["id"]): i for i in ids}
        _index["key"] = key
    return _index["map"]


def category_obj(cid, labels):
    return {"id": cid, "type": "security" if cid in labels["sec"] else "content",
            "label": labels["all"].get(cid, "Category %d" % cid), "integration": False, "deprecated": False}


def activity(req):
    sim.count("activity")
    delay()
    bearer_ok(req)
    org_check(req)
    r = maybe_redirect(req)
    if r:
        return r
    limit, offset = window(req)
    now_ms = int(time.time() * 1000)
    try:
        t_from = time_of(req.query["from"], now_ms)
        t_to = time_of(req.query["to"], now_ms)
    except ValueError:
        raise HTTPError(400, "", body={"message": "bad from/to"})
    cats = req.query.get("categories")
    cat_set = {int(c) for c in cats.split(",") if c} if cats else None
    idq = req.query.get("identityids")
    with req.lock:
        idents = identity_index(req.state)
        keys = idq.split(",") if idq else list(req.state["activity"].keys())
        recs = []
        for k in keys:
            for rec in req.state["activity"].get(k, []):
                recs.append((k, rec))
        cl = {c["id"]: c["label"] for c in req.state["categories"]}
        sec = {c["id"] for c in req.state["categories"] if c.get("type") == "security"}
    labels = {"all": cl, "sec": sec}
    out = []
    for k, rec in recs:
        ts = rec.get("timestamp", now_ms - 3600000)
        if ts < t_from or ts > t_to:
            continue
        rc = rec.get("categories", [])
        if cat_set is not None and not cat_set.intersection(rc):
            continue
        out.append((ts, k, rec))
    out.sort(key=lambda x: -x[0])
    data = []
    for ts, k, rec in out[offset:offset + limit]:
        ident = idents.get(k, {"id": int(k) if k.isdigit() else k, "label": k})
        data.append({
            "domain": rec["domain"], "timestamp": ts,
            "date": time.strftime("%Y-%m-%d", time.gmtime(ts / 1000)),
            "time": time.strftime("%H:%M:%S", time.gmtime(ts / 1000)),
            "type": "dns", "verdict": rec.get("verdict", "allowed"), "querytype": "A", "returncode": 0,
            "internalip": "10.10.10.162", "externalip": "198.51.100.7",
            "categories": [category_obj(c, labels) for c in rec.get("categories", [])],
            "policycategories": [], "identities": [identity_obj(ident)],
            "threats": [], "allapplications": [], "allowedapplications": [], "blockedapplications": [],
        })
    return {"meta": {}, "data": data}


def categories(req):
    sim.count("categories")
    delay()
    bearer_ok(req)
    org_check(req)
    with req.lock:
        return {"meta": {}, "data": list(req.state["categories"])}


NEW = r"/reports/v2"
LEGACY = r"/v2/organizations/(?P<org>[^/]+)"
for base in (NEW, LEGACY):
    sim.route("GET", base + r"/top-identities")(top_identities)
    sim.route("GET", base + r"/activity/dns")(activity)
    sim.route("GET", base + r"/categories")(categories)


# ---- investigate ------------------------------------------------------------

def risk_score(req):
    domain = urllib.parse.unquote(req.params["domain"])
    sim.count("risk", domain)
    delay()
    bearer_ok(req, allow_static=True)
    with req.lock:
        score = req.state["risk"].get(domain, sim.args.default_risk)
    if score is None:
        raise HTTPError(404, "", body={"errorMessage": "Not found"})
    return {"risk_score": score, "indicators": [
        {"indicator": "Geo Popularity Score", "normalized_score": score, "score": score / 100.0}]}


sim.route("GET", r"/investigate/v2/domains/risk-score/(?P<domain>[^/]+)")(risk_score)
sim.route("GET", r"/domains/risk-score/(?P<domain>[^/]+)")(risk_score)


def scale(args):
    """Generated identities and activity for the benchmark."""
    pool = max(1, args.scale_pool)
    ids, act, risk = [], {}, {}
    # about one domain in 97 is dangerous (80), the rest 0..29: users end
    # up in all three groups
    for d in range(pool):
        risk["d%06d.example" % d] = 80 if d % 97 == 0 else (d * 7) % 30
    for u in range(args.scale_users):
        iid = 1000000 + u
        ids.append({"id": iid, "label": "vpn-host-%06d" % u, "type": "anyconnect", "requests": 1000})
        act[str(iid)] = [{"domain": "d%06d.example" % ((u * 7919 + k * 104729) % pool), "categories": [65]}
                         for k in range(args.scale_domains)]
    sim.state["identities"].extend(ids)
    sim.state["activity"].update(act)
    sim.state["risk"].update(risk)


if __name__ == "__main__":
    argv = sys.argv[1:]
    a = sim.parser.parse_args(argv)
    if a.scale_users:
        scale(a)
    sys.exit(sim.main(argv))
