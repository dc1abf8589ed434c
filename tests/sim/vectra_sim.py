#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vectra_sim: a stateful Vectra Detect REST API simulator on simkit.

Speaks the API shapes of ../shared/specs/vectra.md section 3 (what VAR 3.3.3
and secrespd's Vectra source call), in one of two modes chosen at start:

  --api 2.5   base /api/v2.5; "Authorization: Token <t>" (legacy) or OAuth
              client credentials at POST /api/v2.5/oauth2/token (no refresh
              token);
  --api 3     base /api/v3.4; OAuth at POST /oauth2/token with refresh
              tokens (grant_type=refresh_token, no Basic auth); /entities.

Resources (hosts, accounts, detections, groups; entities derived from hosts
and accounts) live in the simkit state, loaded from --state FILE and
replaceable at run time (PUT /__sim/state).  Lists paginate like Django REST
framework (count/next/previous/results, absolute `next`).  Scale mode
(--scale-hosts) generates many hosts for benchmarks.

Additions to simkit (see tests/sim/README.md, "Vectra simulator"):
  * fault rules may also select on the query string ("query", "query_re");
  * the Authorization header is redacted in the request log;
  * control endpoints /__sim/tokens, /__sim/tokens/expire, /__sim/counts,
    /__sim/objects/<kind>/<id>, /__sim/notes, PUT /__sim/state.

Python 3 standard library only.
"""

import copy
import datetime
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Response, Sim, error_response, json_response  # noqa: E402

KINDS = ("host", "account", "detection", "group")
PLURAL = {"host": "hosts", "account": "accounts", "detection": "detections", "group": "groups"}
STATE_KEYS = ("hosts", "accounts", "detections", "groups", "notes", "next_note_id")

# Stand-in for "scheme://host:port/api/vX" in cached JSON: the real base
# depends on the request's Host header, so it is spliced in per answer.
BASE_MARK = "@@VECTRA_SIM_BASE@@"
BASE_MARK_B = BASE_MARK.encode()

# Keys of a stored host/account that are simulator inputs, not API fields
# (they feed /entities and the derived detection_set).
SIM_ONLY = ("urgency_score", "importance", "is_prioritized", "detection_set")

HOST_DEFAULTS = {
    "name": None, "last_source": None, "ip": None, "threat": 0, "certainty": 0,
    "state": "active", "key_asset": False, "targets_key_asset": False,
    "probable_owner": None, "ldap": None, "host_artifact_set": [], "tags": [], "note": None,
    "note_modified_by": None, "note_modified_timestamp": None, "last_seen": None,
    "urgency_score": 0, "importance": "medium", "is_prioritized": False,
}
ACCOUNT_DEFAULTS = {
    "name": None, "display_name": None, "account_type": ["kerberos"], "threat": 0,
    "certainty": 0, "severity": "Low", "privilege_level": 1, "privilege_category": "Low",
    "probable_home": None, "state": "active", "tags": [], "note": None,
    "note_modified_by": None, "note_modified_timestamp": None, "ldap": None,
    "last_detection_timestamp": None,
    "urgency_score": 0, "importance": "medium", "is_prioritized": False,
}
DETECTION_DEFAULTS = {
    "category": "COMMAND & CONTROL", "detection_type": "External Remote Access",
    "detection": None, "state": "active", "src_ip": None, "src_host": None,
    "src_account": None, "summary": {"dst_ips": [], "target_domains": []},
    "t_score": 50, "c_score": 50, "targets_key_asset": False, "triage_rule_id": None,
    "is_triaged": None, "tags": [], "note": None, "note_modified_by": None,
    "note_modified_timestamp": None, "first_timestamp": None, "last_timestamp": None,
}
GROUP_DEFAULTS = {"name": None, "type": "host", "description": "", "members": [],
                  "last_modified": None, "last_modified_by": None}

# Query parameters each list endpoint knows (the rest are ignored, or 400
# with --strict-params).  From vat's client-side whitelists, spec 3.3.
COMMON_PARAMS = {"page", "page_size", "ordering", "fields"}
HOST_PARAMS = COMMON_PARAMS | {"tags", "threat_gte", "certainty_gte", "state", "all", "name",
                               "last_source", "mac_address", "key_asset"}
ACCOUNT_PARAMS = COMMON_PARAMS | {"tags", "state", "name", "uid", "all"}
ACCOUNT_PARAMS_V2 = ACCOUNT_PARAMS | {"threat_gte", "certainty_gte"}
ACCOUNT_PARAMS_V3 = ACCOUNT_PARAMS | {"t_score_gte", "c_score_gte"}
DETECTION_PARAMS = COMMON_PARAMS | {"tags", "detection_type", "state", "category", "src_ip",
                                    "host_id", "src_account", "is_triaged", "t_score_gte",
                                    "c_score_gte"}
GROUP_PARAMS = COMMON_PARAMS | {"name", "type", "include_members", "is_regex", "description"}
ENTITY_PARAMS = COMMON_PARAMS | {"type", "name", "tags", "is_prioritized", "state",
                                 "urgency_score_gte"}


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _err(status, detail, headers=None):
    """An HTTPError whose body is the Django REST framework shape {"detail": ...}."""
    return HTTPError(status, detail, headers, body={"detail": detail})


def _oauth_err(status, error, description, headers=None):
    return HTTPError(status, description, headers,
                     body={"error": error, "error_description": description, "detail": description})


def _int_param(q, name):
    try:
        return int(q[name])
    except ValueError:
        raise _err(400, "%s: A valid integer is required." % name)


def _bool_param(q, name):
    v = q[name].strip().lower()
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off"):
        return False
    raise _err(400, "%s: Must be a valid boolean." % name)


def _sort_key(v):
    if v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, int(v))
    if isinstance(v, (int, float)):
        return (1, v)
    if isinstance(v, str):
        return (2, v)
    return (3, json.dumps(v, sort_keys=True))


def _as_id(v, what):
    if isinstance(v, bool):
        raise ValueError("%s: id must be an integer" % what)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and v.isdigit():
        return int(v)
    raise ValueError("%s: id must be an integer, got %r" % (what, v))


def _fill(obj, defaults):
    for k, v in defaults.items():
        if k not in obj:
            obj[k] = copy.deepcopy(v)


def _str_list(v, what):
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        raise ValueError("%s must be a list of strings" % what)
    return v


# ---------------------------------------------------------------- state

def normalise_state(state):
    """Checks a state document and fills in defaults, in place.  Raises
    ValueError with a readable message on a bad document."""
    if not isinstance(state, dict):
        raise ValueError("the state must be a JSON object")
    for k in list(state):
        if k not in STATE_KEYS and not k.startswith("_"):
            raise ValueError("unknown state key %r (known: %s; keys starting with _ are ignored)"
                             % (k, ", ".join(STATE_KEYS)))
    for kind in KINDS:
        key = PLURAL[kind]
        objs = state.setdefault(key, [])
        if not isinstance(objs, list):
            raise ValueError("%s must be a list" % key)
        seen = set()
        for o in objs:
            if not isinstance(o, dict):
                raise ValueError("%s: each entry must be an object" % key)
            if "id" not in o:
                raise ValueError("%s: an entry has no id" % key)
            o["id"] = _as_id(o["id"], key)
            if o["id"] in seen:
                raise ValueError("%s: duplicate id %d" % (key, o["id"]))
            seen.add(o["id"])
            _normalise_obj(kind, o)
    notes = state.setdefault("notes", {})
    if not isinstance(notes, dict):
        raise ValueError("notes must be an object")
    for kind in ("host", "account", "detection"):
        per = notes.setdefault(kind, {})
        if not isinstance(per, dict) or not all(isinstance(v, list) for v in per.values()):
            raise ValueError("notes.%s must map ids to lists of notes" % kind)
    top = 0
    for per in notes.values():
        for lst in per.values():
            for n in lst:
                if isinstance(n, dict) and isinstance(n.get("id"), int):
                    top = max(top, n["id"])
    state["next_note_id"] = max(int(state.get("next_note_id") or 1), top + 1)
    return state


def _normalise_obj(kind, o):
    i = o["id"]
    if kind == "host":
        _fill(o, HOST_DEFAULTS)
        if o["name"] is None:
            o["name"] = "host-%d" % i
        if o["last_source"] is None:
            o["last_source"] = o["ip"]
        if o["ip"] is None:
            o["ip"] = o["last_source"]
        _str_list(o["tags"], "host %d: tags" % i)
        if not isinstance(o["host_artifact_set"], list):
            raise ValueError("host %d: host_artifact_set must be a list" % i)
        for a in o["host_artifact_set"]:
            if not isinstance(a, dict) or "type" not in a or "value" not in a:
                raise ValueError("host %d: artifacts are {\"type\":..,\"value\":..}" % i)
            a.setdefault("source", None)
            a.setdefault("siem", False)
        if "detection_set" in o and not isinstance(o["detection_set"], list):
            raise ValueError("host %d: detection_set must be a list" % i)
    elif kind == "account":
        _fill(o, ACCOUNT_DEFAULTS)
        if o["name"] is None:
            o["name"] = "account-%d" % i
        if o["display_name"] is None:
            o["display_name"] = o["name"]
        o.setdefault("uid", o["name"])
        _str_list(o["tags"], "account %d: tags" % i)
        if "detection_set" in o and not isinstance(o["detection_set"], list):
            raise ValueError("account %d: detection_set must be a list" % i)
    elif kind == "detection":
        _fill(o, DETECTION_DEFAULTS)
        for side in ("src_host", "src_account"):
            v = o[side]
            if v is None:
                continue
            if isinstance(v, dict):
                if "id" not in v:
                    raise ValueError("detection %d: %s needs an id" % (i, side))
                v["id"] = _as_id(v["id"], "detection %d: %s" % (i, side))
            else:
                o[side] = {"id": _as_id(v, "detection %d: %s" % (i, side))}
        if not isinstance(o["summary"], dict):
            raise ValueError("detection %d: summary must be an object" % i)
        o["summary"].setdefault("dst_ips", [])
        o["summary"].setdefault("target_domains", [])
        if o["detection"] is None:
            o["detection"] = o["detection_type"]
        if o["is_triaged"] is None:
            o["is_triaged"] = o["triage_rule_id"] is not None
        _str_list(o["tags"], "detection %d: tags" % i)
    elif kind == "group":
        _fill(o, GROUP_DEFAULTS)
        if not isinstance(o["name"], str):
            raise ValueError("group %d: name is required" % i)
        if o["type"] not in ("host", "account", "ip", "domain"):
            raise ValueError("group %d: type must be host, account, ip or domain" % i)
        members = []
        for m in o["members"]:
            if o["type"] == "host":
                members.append(_as_id(m.get("id") if isinstance(m, dict) else m, "group %d member" % i))
            elif o["type"] == "account":
                uid = m.get("uid") if isinstance(m, dict) else m
                if not isinstance(uid, str):
                    raise ValueError("group %d: account members are uids (strings)" % i)
                members.append(uid)
            else:
                members.append(m if isinstance(m, str) else json.dumps(m))
        o["members"] = members


def scale_hosts(n, tagged, tag, first_id):
    """n generated hosts, `tagged` of them (evenly spread) carrying `tag`."""
    hosts = []
    for k in range(n):
        i = first_id + k
        a, rest = divmod(k, 256 * 254)
        b, c = divmod(rest, 254)
        ip = "10.%d.%d.%d" % (a % 256, b, c + 1)
        has_tag = tagged > 0 and ((k + 1) * tagged) // n > (k * tagged) // n
        hosts.append({
            "id": i, "name": "scale-host-%06d" % k, "last_source": ip, "ip": ip,
            "threat": (k * 37) % 100, "certainty": (k * 61) % 100, "state": "active",
            "key_asset": False, "targets_key_asset": False, "probable_owner": None, "ldap": None,
            "host_artifact_set": [
                {"type": "mac", "value": "02:00:%02x:%02x:%02x:%02x" % (
                    (k >> 24) & 255, (k >> 16) & 255, (k >> 8) & 255, k & 255),
                 "source": None, "siem": False},
                {"type": "dns", "value": "scale-host-%06d.corp.example" % k,
                 "source": None, "siem": False}],
            "tags": [tag] if has_tag else [], "note": None, "note_modified_by": None,
            "note_modified_timestamp": None, "last_seen": "2026-01-10T08:00:00Z",
            "urgency_score": (k * 53) % 101, "importance": "medium", "is_prioritized": False,
        })
    return hosts


# ---------------------------------------------------------------- simulator

class VectraSim(Sim):
    def __init__(self):
        super().__init__("vectra", "Vectra Detect REST API simulator (v2.5 / v3.4)")
        g = self.parser.add_argument_group("vectra")
        g.add_argument("--api", default="2.5", choices=("2.5", "3", "3.3", "3.4"),
                       help="API flavour: 2.5 (on-prem) or 3 (= 3.4, SaaS); default 2.5")
        g.add_argument("--auth", default="any", choices=("any", "token", "oauth"),
                       help="v2.5: accept the legacy token, OAuth bearer tokens, or both (default)")
        g.add_argument("--token", default="tok123", help="v2.5 legacy API token (default tok123)")
        g.add_argument("--client-id", default="secresp-client", help="OAuth client id")
        g.add_argument("--secret", default="secresp-secret", help="OAuth client secret")
        g.add_argument("--token-ttl", type=float, default=21600,
                       help="access token lifetime in seconds (default 21600)")
        g.add_argument("--refresh-ttl", type=float, default=86400,
                       help="v3 refresh token lifetime in seconds (default 86400)")
        g.add_argument("--api-user", default="vadmin",
                       help="created_by of notes made with the legacy token")
        g.add_argument("--default-page-size", type=int, default=50)
        g.add_argument("--max-page-size", type=int, default=5000)
        g.add_argument("--tag-match", default="icontains", choices=("icontains", "contains", "exact"),
                       help="how tags= matches (default icontains: case-insensitive substring)")
        g.add_argument("--hide-inactive", action="store_true",
                       help="/hosts and /accounts omit inactive objects unless all=true or state=")
        g.add_argument("--lower-categories", action="store_true",
                       help="serve detection categories in lower case (v3 [unverified])")
        g.add_argument("--groups-need-include-members", action="store_true",
                       help="/groups omits members unless include_members=true")
        g.add_argument("--strict-params", action="store_true",
                       help="unknown query parameters on list endpoints -> 400")
        g.add_argument("--public-url",
                       help="scheme://host:port for absolute URLs (default: from the Host header)")
        g.add_argument("--latency-ms", type=float, default=0,
                       help="added to every API request (not a fault rule: survives DELETE /__sim/faults)")
        g.add_argument("--scale-hosts", type=int, default=0, metavar="N",
                       help="generate N hosts (after those of --state)")
        g.add_argument("--scale-tagged", type=int, default=0, metavar="M",
                       help="how many generated hosts carry --tag")
        g.add_argument("--tag", default="vectra_host_block", help="tag of --scale-tagged hosts")
        self.api = None
        self.base = None
        self.tokens = {}            # access token -> {"exp", "grant", "principal"}
        self.refresh_tokens = {}    # refresh token -> {"exp", "principal"}
        self.token_stats = {"client_credentials": 0, "refresh_token": 0, "refused": 0}
        self._tls = threading.local()
        self._cache = {}            # (kind, id) -> JSON bytes with BASE_MARK
        self._lists = {}            # list selection cache, cleared on any change
        self.idx = {}
        self.on_reset(lambda sim: sim.rebuild())

    # ---- state and indexes --------------------------------------------

    def rebuild(self):
        """Normalises self.state in place and rebuilds every index."""
        with self.lock:
            normalise_state(self.state)
            self.idx = {k: {o["id"]: o for o in self.state[PLURAL[k]]} for k in KINDS}
            self.tag_idx = {k: {} for k in ("host", "account", "detection")}
            for k in self.tag_idx:
                for o in self.state[PLURAL[k]]:
                    self._index_tags(k, o["id"], o["tags"])
            self.det_by = {"host": {}, "account": {}}
            for d in self.state["detections"]:
                for side, k in (("src_host", "host"), ("src_account", "account")):
                    if d[side] is not None:
                        self.det_by[k].setdefault(d[side]["id"], []).append(d["id"])
            for lst in self.det_by["host"].values():
                lst.sort()
            for lst in self.det_by["account"].values():
                lst.sort()
            self._cache.clear()
            self._lists.clear()

    def _index_tags(self, kind, oid, tags, remove=False):
        ti = self.tag_idx[kind]
        for t in set(tags):
            if remove:
                s = ti.get(t)
                if s is not None:
                    s.discard(oid)
                    if not s:
                        del ti[t]
            else:
                ti.setdefault(t, set()).add(oid)

    def changed(self, kind, oid):
        """One object changed (tags, note): drop what depends on it."""
        self._cache.pop((kind, oid), None)
        self._lists.clear()

    def replace_state(self, new, initial=False):
        normalise_state(new)
        with self.lock:
            self.state.clear()
            self.state.update(new)
            self.rebuild()
            if initial:
                self._initial_state = json.dumps(self.state)

    # ---- auth ---------------------------------------------------------

    def authenticate(self, req):
        """The principal (for created_by) or a 401."""
        v = req.headers.get("Authorization", "")
        scheme, _, cred = v.strip().partition(" ")
        scheme = scheme.lower()
        cred = cred.strip()
        www = {"WWW-Authenticate": 'Bearer realm="api"'}
        if not v:
            raise _err(401, "Authentication credentials were not provided.", www)
        if scheme == "token":
            if self.api != "2.5" or self.args.auth == "oauth":
                raise _err(401, "Token authentication is not enabled on this server.", www)
            if not secrets.compare_digest(cred, self.args.token):
                raise _err(401, "Invalid token.", {"WWW-Authenticate": "Token"})
            return self.args.api_user
        if scheme == "bearer":
            if self.api == "2.5" and self.args.auth == "token":
                raise _err(401, "OAuth is not enabled on this server.", www)
            with self.lock:
                t = self.tokens.get(cred)
            if t is None:
                raise _err(401, "Invalid token.", www)
            if time.monotonic() >= t["exp"]:
                raise _err(401, "Token has expired.", www)
            return t["principal"]
        raise _err(401, "Unsupported authorization scheme.", www)

    def _issue(self, principal, grant):
        ttl = self.args.token_ttl
        access = secrets.token_hex(20)
        out = {"access_token": access, "expires_in": int(ttl) if ttl == int(ttl) else ttl,
               "token_type": "Bearer"}
        now = time.monotonic()
        with self.lock:
            self.tokens[access] = {"exp": now + ttl, "grant": grant, "principal": principal,
                                   "issued": time.time()}
            if self.api != "2.5":
                rt = secrets.token_hex(20)
                rttl = self.args.refresh_ttl
                self.refresh_tokens[rt] = {"exp": now + rttl, "principal": principal}
                out["refresh_token"] = rt
                out["refresh_expires_in"] = int(rttl) if rttl == int(rttl) else rttl
            self.token_stats[grant] += 1
        return out

    def token_endpoint(self, req):
        def refuse(status, error, desc, headers=None):
            with self.lock:
                self.token_stats["refused"] += 1
            return _oauth_err(status, error, desc, headers)

        if self.api == "2.5" and self.args.auth == "token":
            raise refuse(404, "not_found", "OAuth is not enabled on this server.")
        ctype = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise refuse(400, "invalid_request",
                         "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = urllib.parse.parse_qs(req.body.decode("utf-8"), keep_blank_values=True,
                                         strict_parsing=bool(req.body))
        except (ValueError, UnicodeDecodeError):
            raise refuse(400, "invalid_request", "malformed form body")
        form = {k: v[0] for k, v in form.items()}
        grant = form.get("grant_type")
        hdr = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if grant == "client_credentials":
            basic = req.basic_auth()
            if basic is None:
                raise refuse(401, "invalid_client", "HTTP Basic client authentication required",
                             {"WWW-Authenticate": 'Basic realm="oauth2"'})
            cid, sec = basic
            if not (secrets.compare_digest(cid, self.args.client_id)
                    and secrets.compare_digest(sec, self.args.secret)):
                raise refuse(401, "invalid_client", "Invalid client credentials",
                             {"WWW-Authenticate": 'Basic realm="oauth2"'})
            return json_response(self._issue(cid, "client_credentials"), 200, hdr)
        if grant == "refresh_token":
            if self.api == "2.5":
                raise refuse(400, "unsupported_grant_type", "refresh_token is not supported")
            rt = form.get("refresh_token", "")
            with self.lock:
                info = self.refresh_tokens.get(rt)
                if info is not None and time.monotonic() < info["exp"]:
                    del self.refresh_tokens[rt]     # rotated: one use each
                else:
                    info = None
            if info is None:
                raise refuse(401, "invalid_grant", "Invalid or expired refresh token")
            return json_response(self._issue(info["principal"], "refresh_token"), 200, hdr)
        raise refuse(400, "unsupported_grant_type", "grant_type must be client_credentials"
                     + ("" if self.api == "2.5" else " or refresh_token"))

    # ---- URLs -----------------------------------------------------------

    def origin(self, req):
        if self.args.public_url:
            return self.args.public_url.rstrip("/")
        scheme = "https" if self.args.tls_cert else "http"
        host = req.headers.get("Host") or "127.0.0.1:%d" % self.port
        return "%s://%s" % (scheme, host)

    def api_base(self, req):
        return self.origin(req) + self.base

    # ---- rendering ------------------------------------------------------

    def _url(self, kind, oid):
        return "%s/%s/%d" % (BASE_MARK, PLURAL[kind], oid)

    def _det_set(self, kind, o):
        if "detection_set" in o:
            out = []
            for d in o["detection_set"]:
                if isinstance(d, int) and not isinstance(d, bool):
                    out.append(self._url("detection", d))
                else:
                    out.append(str(d).replace("{base}", BASE_MARK))
            return out
        return [self._url("detection", d) for d in self.det_by[kind].get(o["id"], [])]

    def render(self, kind, o):
        """The API object (with BASE_MARK in its URLs)."""
        if kind in ("host", "account"):
            r = {k: v for k, v in o.items() if k not in SIM_ONLY}
            r["url"] = self._url(kind, o["id"])
            r["detection_set"] = self._det_set(kind, o)
            if kind == "host":
                r["is_key_asset"] = o["key_asset"]
            return r
        if kind == "detection":
            r = dict(o)
            r["url"] = self._url("detection", o["id"])
            if self.args.lower_categories and isinstance(r["category"], str):
                r["category"] = r["category"].lower()
            if o["src_host"] is not None:
                sh = dict(o["src_host"])
                h = self.idx["host"].get(sh["id"])
                if h is not None:
                    for k, v in (("name", h["name"]), ("ip", h["ip"]), ("is_key_asset", h["key_asset"]),
                                 ("threat", h["threat"]), ("certainty", h["certainty"])):
                        sh.setdefault(k, v)
                sh.setdefault("url", self._url("host", sh["id"]))
                r["src_host"] = sh
                if r["src_ip"] is None and h is not None:
                    r["src_ip"] = h["ip"]
            if o["src_account"] is not None:
                sa = dict(o["src_account"])
                a = self.idx["account"].get(sa["id"])
                if a is not None:
                    for k, v in (("name", a["name"]), ("threat", a["threat"]),
                                 ("certainty", a["certainty"]),
                                 ("privilege_level", a["privilege_level"])):
                        sa.setdefault(k, v)
                sa.setdefault("url", self._url("account", sa["id"]))
                r["src_account"] = sa
            return r
        if kind == "group":
            r = {k: v for k, v in o.items() if k != "members"}
            if o["type"] == "host":
                members = []
                for mid in o["members"]:
                    h = self.idx["host"].get(mid)
                    members.append({"id": mid, "name": h["name"] if h else None,
                                    "url": self._url("host", mid),
                                    "is_key_asset": h["key_asset"] if h else False})
            elif o["type"] == "account":
                members = [{"uid": uid} for uid in o["members"]]
            else:
                members = list(o["members"])
            r["members"] = members
            return r
        raise KeyError(kind)

    def render_entity(self, etype, o):
        return {
            "id": o["id"], "name": o["name"], "type": etype,
            "urgency_score": o["urgency_score"], "importance": o["importance"],
            "is_prioritized": o["is_prioritized"], "state": o["state"],
            "tags": list(o["tags"]), "breadth_contrib": 0, "velocity_contrib": 0,
            "attack_rating": o["urgency_score"],
            "last_detection_timestamp": o.get("last_seen") or o.get("last_detection_timestamp"),
            "last_modified_timestamp": o.get("note_modified_timestamp"),
            "url": "%s/entities/%d?type=%s" % (BASE_MARK, o["id"], etype),
        }

    def encoded(self, kind, oid):
        """Cached JSON bytes of one object (hosts, accounts, detections)."""
        key = (kind, oid)
        b = self._cache.get(key)
        if b is None:
            b = json.dumps(self.render(kind, self.idx[kind][oid]), separators=(",", ":")).encode()
            self._cache[key] = b
        return b

    def warm(self):
        with self.lock:
            for kind in ("host", "account", "detection"):
                for oid in self.idx[kind]:
                    self.encoded(kind, oid)

    @staticmethod
    def fields_of(obj, fields):
        return {k: obj[k] for k in fields if k in obj}

    def object_answer(self, req, kind, oid, etype=None):
        """One object, honouring fields=."""
        fields = [f for f in req.query.get("fields", "").split(",") if f.strip()]
        base = self.api_base(req).encode()
        with self.lock:
            if kind == "entity":
                o = self.idx[etype].get(oid)
                if o is None:
                    raise _err(404, "Not found.")
                body = json.dumps(self.render_entity(etype, o)).encode()
                if fields:
                    body = json.dumps(self.fields_of(json.loads(body), fields)).encode()
            else:
                if oid not in self.idx[kind]:
                    raise _err(404, "Not found.")
                if kind == "group":
                    body = json.dumps(self.render("group", self.idx["group"][oid])).encode()
                else:
                    body = self.encoded(kind, oid)
                if fields:
                    body = json.dumps(self.fields_of(json.loads(body), [f.strip() for f in fields])).encode()
        return Response(200, body.replace(BASE_MARK_B, base), None, "application/json")

    # ---- selection --------------------------------------------------------

    def _tag_ids(self, kind, want):
        ti = self.tag_idx[kind]
        mode = self.args.tag_match
        if mode == "exact":
            return set(ti.get(want, ()))
        out = set()
        if mode == "icontains":
            w = want.lower()
            for t, ids in ti.items():
                if w in t.lower():
                    out |= ids
        else:
            for t, ids in ti.items():
                if want in t:
                    out |= ids
        return out

    def _check_params(self, q, known, what):
        if self.args.strict_params:
            unknown = sorted(set(q) - known)
            if unknown:
                raise _err(400, "Unknown query parameter(s) for %s: %s" % (what, ", ".join(unknown)))

    def select(self, kind, q):
        """Sorted list of ids matching the filters in q (cached until the next change).
        For entities the ids are (type, id) pairs."""
        key = (kind, tuple(sorted((k, v) for k, v in q.items() if k not in ("page", "page_size", "fields"))))
        hit = self._lists.get(key)
        if hit is not None:
            return hit
        preds = []
        if kind in ("host", "account"):
            objs = self.idx[kind]
            if "tags" in q:
                ids = self._tag_ids(kind, q["tags"])
            else:
                ids = objs.keys()
            if kind == "host" or self.api == "2.5":
                score = (("threat_gte", "threat"), ("certainty_gte", "certainty"))
            else:
                score = (("t_score_gte", "threat"), ("c_score_gte", "certainty"))
            for p, field in score:
                if p in q:
                    n = _int_param(q, p)
                    preds.append(lambda o, n=n, f=field: (o[f] or 0) >= n)
            if "state" in q:
                preds.append(lambda o, s=q["state"]: o["state"] == s)
            elif self.args.hide_inactive and q.get("all", "").lower() not in ("true", "1"):
                preds.append(lambda o: o["state"] == "active")
            if "name" in q:
                preds.append(lambda o, s=q["name"].lower(): s in (o["name"] or "").lower())
            if kind == "host":
                if "last_source" in q:
                    preds.append(lambda o, s=q["last_source"]: o["last_source"] == s)
                if "mac_address" in q:
                    m = q["mac_address"].lower()
                    preds.append(lambda o, m=m: any(a["type"] == "mac" and str(a["value"]).lower() == m
                                                    for a in o["host_artifact_set"]))
                if "key_asset" in q:
                    b = _bool_param(q, "key_asset")
                    preds.append(lambda o, b=b: bool(o["key_asset"]) == b)
            else:
                if "uid" in q:
                    preds.append(lambda o, u=q["uid"]: o["uid"] == u)
            sel = [i for i in ids if all(p(objs[i]) for p in preds)]
            get = objs.__getitem__
        elif kind == "detection":
            objs = self.idx["detection"]
            ids = self._tag_ids("detection", q["tags"]) if "tags" in q else objs.keys()
            for p, field in (("detection_type", "detection_type"), ("state", "state"),
                             ("src_ip", "src_ip")):
                if p in q:
                    preds.append(lambda o, v=q[p], f=field: o[f] == v)
            if "category" in q:
                preds.append(lambda o, v=q["category"].lower(): str(o["category"]).lower() == v)
            for p, side in (("host_id", "src_host"), ("src_account", "src_account")):
                if p in q:
                    n = _int_param(q, p)
                    preds.append(lambda o, n=n, s=side: o[s] is not None and o[s]["id"] == n)
            if "is_triaged" in q:
                b = _bool_param(q, "is_triaged")
                preds.append(lambda o, b=b: bool(o["is_triaged"]) == b)
            for p, field in (("t_score_gte", "t_score"), ("c_score_gte", "c_score")):
                if p in q:
                    n = _int_param(q, p)
                    preds.append(lambda o, n=n, f=field: (o[f] or 0) >= n)
            sel = [i for i in ids if all(p(objs[i]) for p in preds)]
            get = objs.__getitem__
        elif kind == "group":
            objs = self.idx["group"]
            if "type" in q:
                preds.append(lambda o, t=q["type"]: o["type"] == t)
            if "name" in q:
                if q.get("is_regex", "").lower() in ("true", "1"):
                    try:
                        rx = re.compile(q["name"])
                    except re.error as e:
                        raise _err(400, "name: invalid regular expression: %s" % e)
                    preds.append(lambda o, rx=rx: rx.search(o["name"]) is not None)
                else:
                    # Not exact on purpose: clients must re-check the name.
                    preds.append(lambda o, s=q["name"].lower(): s in o["name"].lower())
            if "description" in q:
                preds.append(lambda o, s=q["description"].lower(): s in str(o["description"]).lower())
            sel = [i for i in objs if all(p(objs[i]) for p in preds)]
            get = objs.__getitem__
        elif kind == "entity":
            types = ("host", "account")
            if "type" in q:
                if q["type"] not in types:
                    raise _err(422, "type: must be host or account")
                types = (q["type"],)
            cands = []
            for t in types:
                ids = self._tag_ids(t, q["tags"]) if "tags" in q else self.idx[t].keys()
                cands.extend((t, i) for i in ids)
            if "name" in q:
                preds.append(lambda o, s=q["name"].lower(): s in (o["name"] or "").lower())
            if "state" in q:
                preds.append(lambda o, s=q["state"]: o["state"] == s)
            if "is_prioritized" in q:
                b = _bool_param(q, "is_prioritized")
                preds.append(lambda o, b=b: bool(o["is_prioritized"]) == b)
            if "urgency_score_gte" in q:
                n = _int_param(q, "urgency_score_gte")
                preds.append(lambda o, n=n: (o["urgency_score"] or 0) >= n)
            sel = [c for c in cands if all(p(self.idx[c[0]][c[1]]) for p in preds)]

            def get(c):
                o = self.idx[c[0]][c[1]]
                return dict(o, type=c[0])
        else:
            raise KeyError(kind)
        sel.sort()
        ordering = q.get("ordering", "")
        for f in reversed([f.strip() for f in ordering.split(",") if f.strip()]):
            desc = f.startswith("-")
            name = f.lstrip("-+")
            sel.sort(key=lambda i, n=name: _sort_key(get(i).get(n)), reverse=desc)
        if len(self._lists) > 512:
            self._lists.clear()
        self._lists[key] = sel
        return sel

    def list_answer(self, req, kind, known):
        q = req.query
        self._check_params(q, known, "/" + ("entities" if kind == "entity" else PLURAL[kind]))
        try:
            page_size = int(q.get("page_size", ""))
            if page_size < 1:
                raise ValueError
        except ValueError:
            page_size = self.args.default_page_size
        page_size = min(page_size, self.args.max_page_size)
        fields = [f.strip() for f in q.get("fields", "").split(",") if f.strip()]
        base = self.api_base(req).encode()
        with self.lock:
            sel = self.select(kind, q)
            count = len(sel)
            pages = max(1, -(-count // page_size))
            pv = q.get("page", "1")
            if pv == "last":
                page = pages
            else:
                try:
                    page = int(pv)
                except ValueError:
                    raise _err(404, "Invalid page.")
            if page < 1 or page > pages:
                raise _err(404, "Invalid page.")
            chunk = sel[(page - 1) * page_size:page * page_size]
            if kind == "entity":
                items = [json.dumps(self.render_entity(t, self.idx[t][i]), separators=(",", ":")).encode()
                         for t, i in chunk]
            elif kind == "group":
                items = [json.dumps(self.render("group", self.idx["group"][i]),
                                    separators=(",", ":")).encode() for i in chunk]
                if (self.args.groups_need_include_members
                        and q.get("include_members", "").lower() not in ("true", "1")):
                    items = [json.dumps({k: v for k, v in json.loads(b).items() if k != "members"},
                                        separators=(",", ":")).encode() for b in items]
            else:
                items = [self.encoded(kind, i) for i in chunk]
        if fields:
            items = [json.dumps(self.fields_of(json.loads(b), fields), separators=(",", ":")).encode()
                     for b in items]
        nxt = self.page_url(req, page + 1) if page < pages else None
        prev = self.page_url(req, page - 1) if page > 1 else None
        body = b"".join([
            b'{"count":', str(count).encode(),
            b',"next":', json.dumps(nxt).encode(),
            b',"previous":', json.dumps(prev).encode(),
            b',"results":[', b",".join(items).replace(BASE_MARK_B, base), b"]}",
        ])
        return Response(200, body, None, "application/json")

    def page_url(self, req, page):
        """Like DRF's replace_query_param/remove_query_param: all the original
        parameters, sorted, '+' for spaces; page 1 has no page parameter."""
        qd = {k: list(v) for k, v in req.query_all.items()}
        if page <= 1:
            qd.pop("page", None)
        else:
            qd["page"] = [str(page)]
        qs = urllib.parse.urlencode(sorted(qd.items()), doseq=True)
        return self.origin(req) + req.path + ("?" + qs if qs else "")

    # ---- writes -----------------------------------------------------------

    def set_tags(self, kind, oid, tags):
        with self.lock:
            o = self.idx[kind].get(oid)
            if o is None:
                raise _err(404, "Not found.")
            self._index_tags(kind, oid, o["tags"], remove=True)
            o["tags"] = list(tags)
            self._index_tags(kind, oid, o["tags"])
            self.changed(kind, oid)
            return list(o["tags"])

    def add_note(self, kind, oid, text, principal):
        with self.lock:
            o = self.idx[kind].get(oid)
            if o is None:
                raise _err(404, "Not found.")
            nid = self.state["next_note_id"]
            self.state["next_note_id"] = nid + 1
            note = {"id": nid, "date_created": _now_iso(), "date_modified": None,
                    "created_by": principal, "modified_by": None, "note": text}
            self.state["notes"][kind].setdefault(str(oid), []).append(note)
            o["note"] = text
            o["note_modified_by"] = principal
            o["note_modified_timestamp"] = note["date_created"]
            self.changed(kind, oid)
            return note

    # ---- additions to simkit ----------------------------------------------

    def _handle(self, h):
        # Remember the query string for the fault selection below.
        target = h.path
        if target.startswith(("http://", "https://")):
            target = urllib.parse.urlunsplit(("", "") + urllib.parse.urlsplit(target)[2:4] + ("",))
        raw = urllib.parse.urlsplit(target).query
        self._tls.query_raw = raw
        self._tls.query = urllib.parse.parse_qs(raw, keep_blank_values=True)
        return super()._handle(h)

    @staticmethod
    def _query_ok(spec, raw, q):
        want = spec.get("query")
        if want is not None:
            if not isinstance(want, dict):
                return False
            for k, v in want.items():
                have = q.get(k)
                if v is None:
                    if have is not None:
                        return False
                elif have is None:
                    return False
                elif isinstance(v, list):
                    if have[0] not in [str(x) for x in v]:
                        return False
                elif have[0] != str(v):
                    return False
        rx = spec.get("query_re")
        if rx is not None:
            try:
                if not re.search(rx, urllib.parse.unquote_plus(raw)):
                    return False
            except (re.error, TypeError):
                return False
        return True

    def _pick_faults(self, method, path):
        raw = getattr(self._tls, "query_raw", "")
        q = getattr(self._tls, "query", {})
        latency, chosen = float(self.args.latency_ms or 0), None
        with self.lock:
            for f in self._faults:
                if not f.matches(method, path) or not self._query_ok(f.spec, raw, q) or not f.select():
                    continue
                if f.kind == "latency":
                    latency += f.delay_ms
                elif chosen is None:
                    chosen = f
        return latency, chosen

    @staticmethod
    def _check_fault_specs(faults):
        for f in faults:
            want = f.spec.get("query")
            if want is not None and not isinstance(want, dict):
                raise ValueError("fault \"query\" must be an object: {name: value|[values]|null}")
            if f.spec.get("query_re") is not None:
                re.compile(f.spec["query_re"])

    def set_faults(self, faults):
        self._check_fault_specs(faults)
        super().set_faults(faults)

    def add_faults(self, faults):
        self._check_fault_specs(faults)
        super().add_faults(faults)

    @staticmethod
    def redact(value):
        scheme, _, cred = value.strip().partition(" ")
        cred = cred.strip()
        if not cred:
            return scheme[:4] + "..." if scheme else ""
        return "%s %s..." % (scheme, cred[:4])

    def _log(self, entry):
        hdrs = entry.get("headers") or {}
        for k in ("authorization", "proxy-authorization"):
            if k in hdrs:
                hdrs[k] = self.redact(hdrs[k])
        super()._log(entry)

    def endpoint_of(self, path):
        """'/api/v2.5/hosts/12/notes' -> '/hosts/{id}/notes' (token paths kept whole)."""
        if path.startswith(self.base + "/") and "/oauth2/" not in path:
            path = path[len(self.base):]
        return re.sub(r"/\d+(?=/|$)", "/{id}", path)

    def _control(self, method, path, query_all, body):
        what = path[len("/__sim/"):].strip("/")
        q = {k: v[0] for k, v in query_all.items()}
        try:
            r = self._vectra_control(method, what, q, body)
        except (ValueError, KeyError) as e:
            return error_response(400, str(e))
        if r is not None:
            return r
        return super()._control(method, path, query_all, body)

    def _vectra_control(self, method, what, q, body):
        parts = what.split("/")
        if what == "state" and method == "PUT":
            self.replace_state(json.loads(body or b"null"),
                               initial=q.get("initial", "") in ("1", "true"))
            with self.lock:
                return json_response({"ok": True, **{k: len(self.state[PLURAL[k]]) for k in KINDS}})
        if what == "tokens" and method == "GET":
            now = time.monotonic()
            with self.lock:
                return json_response({
                    "api": self.api, "issued": dict(self.token_stats),
                    "active": sum(1 for t in self.tokens.values() if t["exp"] > now),
                    "expired": sum(1 for t in self.tokens.values() if t["exp"] <= now),
                    "refresh_active": sum(1 for t in self.refresh_tokens.values() if t["exp"] > now),
                    "tokens": [{"token": tok[:4] + "...", "grant": t["grant"],
                                "expires_in": round(t["exp"] - now, 3)}
                               for tok, t in self.tokens.items()],
                })
        if what == "tokens/expire" and method == "POST":
            now = time.monotonic()
            with self.lock:
                n = 0
                for t in self.tokens.values():
                    if t["exp"] > now:
                        t["exp"] = now
                        n += 1
                m = 0
                if q.get("refresh", "") in ("1", "true"):
                    for t in self.refresh_tokens.values():
                        if t["exp"] > now:
                            t["exp"] = now
                            m += 1
            return json_response({"ok": True, "expired": n, "refresh_expired": m})
        if what == "counts" and method == "GET":
            counts = {}
            statuses = {}
            for r in self.requests():
                key = "%s %s" % (r["method"], r["path"] if q.get("by") == "path" else self.endpoint_of(r["path"]))
                counts[key] = counts.get(key, 0) + 1
                st = statuses.setdefault(key, {})
                st[str(r["status"])] = st.get(str(r["status"]), 0) + 1
            return json_response({"total": sum(counts.values()), "endpoints": counts, "status": statuses})
        if what == "notes" and method == "GET":
            with self.lock:
                notes = self.state["notes"]
                if "type" in q:
                    notes = {q["type"]: notes.get(q["type"], {})}
                    if "id" in q:
                        notes = notes[q["type"]].get(q["id"], [])
                return json_response(notes)
        if parts[0] == "objects" and len(parts) in (2, 3):
            kind = parts[1]
            if kind not in KINDS:
                raise ValueError("kind must be one of %s" % ", ".join(KINDS))
            if len(parts) == 2 and method == "GET":
                with self.lock:
                    return json_response(self.state[PLURAL[kind]])
            if len(parts) == 3:
                oid = _as_id(parts[2], "object")
                with self.lock:
                    if method == "GET":
                        o = self.idx[kind].get(oid)
                        if o is None:
                            return error_response(404, "no %s %d" % (kind, oid))
                        out = dict(o)
                        if kind != "group":
                            out["_notes"] = self.state["notes"][kind].get(str(oid), [])
                        return json_response(out)
                    if method == "PUT":
                        o = json.loads(body or b"null")
                        if not isinstance(o, dict):
                            raise ValueError("the body must be an object")
                        # "_notes" (from GET) and other "_" keys are not object fields.
                        o = {k: v for k, v in o.items() if not k.startswith("_")}
                        o["id"] = oid
                        new = json.loads(json.dumps(self.state))
                        lst = new[PLURAL[kind]]
                        lst[:] = [x for x in lst if x["id"] != oid] + [o]
                        lst.sort(key=lambda x: x["id"])
                        self.replace_state(new)
                        return json_response(self.idx[kind][oid])
                    if method == "DELETE":
                        if oid not in self.idx[kind]:
                            return error_response(404, "no %s %d" % (kind, oid))
                        lst = self.state[PLURAL[kind]]
                        lst[:] = [x for x in lst if x["id"] != oid]
                        self.rebuild()
                        return json_response({"ok": True})
        return None

    # ---- routes -------------------------------------------------------------

    def install_routes(self):
        b = re.escape(self.base)
        v3 = self.api != "2.5"
        route = self.route
        token_path = r"/oauth2/token/?" if v3 else b + r"/oauth2/token/?"
        route("POST", token_path)(self.token_endpoint)

        def lister(kind, known):
            def fn(req):
                self.authenticate(req)
                return self.list_answer(req, kind, known)
            return fn

        def getter(kind):
            def fn(req):
                self.authenticate(req)
                return self.object_answer(req, kind, int(req.params["id"]))
            return fn

        acct_known = ACCOUNT_PARAMS_V3 if v3 else ACCOUNT_PARAMS_V2

        def list_accounts(req):
            self.authenticate(req)
            bad = [p for p in (("threat_gte", "certainty_gte") if v3 else ("t_score_gte", "c_score_gte"))
                   if p in req.query]
            if bad:
                good = "t_score_gte/c_score_gte" if v3 else "threat_gte/certainty_gte"
                raise _err(422, "Invalid query parameter(s) for /accounts on v%s: %s (use %s)"
                           % (self.api, ", ".join(bad), good))
            return self.list_answer(req, "account", acct_known)

        route("GET", b + r"/hosts/?")(lister("host", HOST_PARAMS))
        route("GET", b + r"/accounts/?")(list_accounts)
        route("GET", b + r"/detections/?")(lister("detection", DETECTION_PARAMS))
        route("GET", b + r"/groups/?")(lister("group", GROUP_PARAMS))
        for kind in KINDS:
            route("GET", b + r"/%s/(?P<id>\d+)/?" % PLURAL[kind])(getter(kind))

        def notes(kind):
            def fn(req):
                principal = self.authenticate(req)
                oid = int(req.params["id"])
                if req.method == "GET":
                    with self.lock:
                        if oid not in self.idx[kind]:
                            raise _err(404, "Not found.")
                        return json_response(self.state["notes"][kind].get(str(oid), []))
                self._need_json(req)
                body = req.json()
                if not isinstance(body, dict) or not isinstance(body.get("note"), str) \
                        or not body["note"].strip():
                    raise _err(400, "note: This field is required and must be a non-empty string.")
                return json_response(self.add_note(kind, oid, body["note"], principal), 201)
            return fn

        for kind in ("host", "account", "detection"):
            route("*", b + r"/%s/(?P<id>\d+)/notes/?" % PLURAL[kind])(self._only(("GET", "POST"), notes(kind)))

        def tagging(req):
            self.authenticate(req)
            kind = req.params["kind"]
            oid = int(req.params["id"])
            if kind == "entity":
                if not v3:
                    raise _err(404, "Not found.")
                kind = req.query.get("type")
                if kind not in ("host", "account"):
                    raise _err(400, "type: must be host or account")
            if req.method == "GET":
                with self.lock:
                    o = self.idx[kind].get(oid)
                    if o is None:
                        raise _err(404, "Not found.")
                    return {"status": "success", "tag_id": oid, "tags": list(o["tags"])}
            self._need_json(req)
            body = req.json()
            tags = body.get("tags") if isinstance(body, dict) else None
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise _err(400, "tags: Expected a list of strings.")
            return {"status": "success", "tag_id": oid, "tags": self.set_tags(kind, oid, tags)}

        route("*", b + r"/tagging/(?P<kind>host|account|detection|entity)/(?P<id>\d+)/?")(
            self._only(("GET", "PATCH"), tagging))

        if v3:
            def entity_get(req):
                self.authenticate(req)
                t = req.query.get("type")
                if t not in ("host", "account"):
                    raise _err(422, "type: must be host or account")
                return self.object_answer(req, "entity", int(req.params["id"]), t)
            route("GET", b + r"/entities/?")(lister("entity", ENTITY_PARAMS))
            route("GET", b + r"/entities/(?P<id>\d+)/?")(entity_get)

    @staticmethod
    def _only(methods, fn):
        def wrapped(req):
            if req.method not in methods:
                raise HTTPError(405, "method not allowed", {"Allow": ", ".join(methods)},
                                body={"detail": 'Method "%s" not allowed.' % req.method})
            return fn(req)
        return wrapped

    @staticmethod
    def _need_json(req):
        ctype = req.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise _err(415, 'Unsupported media type "%s" in request.' % ctype)

    # ---- start --------------------------------------------------------------

    def main(self, argv=None):
        ns = self.parser.parse_args(argv)
        if ns.default_page_size < 1 or ns.max_page_size < 1:
            self.parser.error("page sizes must be positive")
        if ns.scale_hosts < 0 or not 0 <= ns.scale_tagged <= ns.scale_hosts:
            self.parser.error("need 0 <= --scale-tagged <= --scale-hosts")
        if ns.token_ttl <= 0 or ns.refresh_ttl <= 0:
            self.parser.error("token lifetimes must be positive")
        self.api = "2.5" if ns.api == "2.5" else ("3.4" if ns.api == "3" else ns.api)
        self.base = "/api/v" + self.api
        self.args = ns
        state = {}
        if ns.state:
            try:
                with open(ns.state) as fp:
                    state = json.load(fp)
            except (OSError, ValueError) as e:
                self.parser.error("--state %s: %s" % (ns.state, e))
        try:
            normalise_state(state)
        except ValueError as e:
            self.parser.error("--state %s: %s" % (ns.state, e))
        if ns.scale_hosts:
            first = max([h["id"] for h in state["hosts"]] + [0]) + 1
            state["hosts"].extend(scale_hosts(ns.scale_hosts, ns.scale_tagged, ns.tag, first))
        self.state.clear()
        self.state.update(state)
        self.rebuild()
        if ns.scale_hosts:
            self.warm()
        self.install_routes()
        # The state (file + generated hosts) is in place: simkit must not
        # merge --state again, so it gets this namespace without it.
        self.state_file = ns.state
        ns.state = None
        self.parser.parse_args = lambda args=None, namespace=None: ns
        return super().main(argv)


sim = VectraSim()

if __name__ == "__main__":
    sys.exit(sim.main())
