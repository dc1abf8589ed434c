#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""msgraph_sim: Microsoft Graph Security for the Graph relay (relays.md §7,
docs/MSGRAPH-ALERTS-V2.md), under /v1.0/ (the relay's url is
https://127.0.0.1:PORT/v1.0/).

  GET  /v1.0/security/alerts?$filter=F&$top=N
       the legacy alert resource: {"@odata.context", "value": [alerts]}.
       F is evaluated for the seven filter shapes of relays.md §7.3:
         networkConnections/any(x: x/destinationDomain eq '...')
         networkConnections/any(x: x/sourceAddress eq '...' or x/destinationAddress eq '...')
         networkConnections/any(x: x/destinationUrl eq '...')
         hostStates/any(x: x/netBiosName eq '...')
         fileStates/any(x: x/name eq '...'), x/path, x/fileHash/hashValue
       any number of "x/<property> eq '<literal>'" joined by "or" inside
       one any(), OData literals with '' for a quote.  String comparison
       ignores case ([unverified] for the real service).  Other filters,
       a bad literal or $top outside 0..1000: 400 BadRequest.
  POST /v1.0/security/runHuntingQuery  {"Query": KQL[, "Timespan": ISO 8601]}
       advanced hunting: {"schema": [{"name", "type"}], "results": [rows]}.
       Two query shapes are understood: the relay's health query, and its
       alert query (the template of src/relays/msgraph_map.c, kept here
       verbatim) over one or more observables: the hits are one leg
       "AlertEvidence | where PRED | distinct AlertId | extend Obs = 0",
       or "union" of such legs in parentheses, tagged 0, 1, ... in order.
       Each PRED is evaluated: "or" of COL =~ "lit", COL startswith "lit",
       tostring(parse_url(COL).Host) =~ "lit", strcat(ARG, ...) =~ "lit";
       KQL string literals with \\ \" \t \n.  Every leg gets its own
       take (newest first), the rows come ordered by Obs, each with its Obs.
       Anything else: 400 BadRequest (as a query the service cannot run).
       Timespan is checked for its syntax but not applied (the seed alerts
       are from 2019).

Both need "Authorization: Bearer <token>" with a token of azuread_sim.py
(same --token-key): missing, forged, expired, or issued before the last
POST /_graph/tokens/revoke -> 401 InvalidAuthenticationToken.  Graph errors
are {"error": {"code", "message", "innerError": {...}}}.

Data: the legacy alerts of tests/sim/msgraph/alerts.json (the seven
unit-data fixtures of relays.md §10.1 and two more for the ip one);
--state FILE ({"alerts": [...]}) replaces them.  The advanced-hunting
tables are derived from them: one AlertInfo row per alert (ServiceSource
from the provider: "Windows Defender ATP" is Microsoft Defender for
Endpoint, ...; non-Microsoft providers keep their name, a simplification
so that every fixture stays findable), and AlertEvidence rows for its
hostStates (DeviceName = fqdn, LocalIP), networkConnections (LocalIP =
sourceAddress, RemoteIP = destinationAddress, RemoteUrl = destinationUrl
or destinationDomain) and fileStates (FileName, FolderPath = the path's
folder, SHA256/SHA1 from fileHash).  --dynamic-as-string sends the
Devices/Files/Connections columns as JSON text instead of arrays.

Control: POST /_graph/tokens/revoke, GET /_graph/bearers (requests per
token serial), PUT /_graph/alerts (a list), PUT /_graph/fail (a list of
{"match": TEXT, "status": N[, "body": JSON][, "delay_ms": MS]}: a Graph
call whose decoded query string or body contains TEXT ("*": any) waits
delay_ms, then gets that answer; without status only the delay applies
and the next rules are looked at; all after the token check; simkit's
faults cannot tell one observable's call from another's).
Faults and the request log are simkit's.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simkit import HTTPError, Sim  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

sim = Sim("msgraph", "Microsoft Graph Security API simulator")
sim.parser.add_argument("--token-key", default="graph-sim-key", help="HMAC key shared with azuread_sim.py")
sim.parser.add_argument("--dynamic-as-string", action="store_true",
                        help="hunting: dynamic columns as JSON text")
with open(os.path.join(HERE, "msgraph", "alerts.json")) as fp:
    sim.state.update({"alerts": json.load(fp)["alerts"], "not_before": 0, "bearers": {}, "fail": []})

HEALTH_QUERY = "AlertEvidence | take 0 | union (AlertInfo | take 0)"
# The relay's query (msgraph_map.c, hunting_template); {U} the hits, {N} the take per observable.
TEMPLATE = (
    "let hits = materialize({U});\n"
    "let ids = hits | distinct AlertId;\n"
    "hits\n"
    "| join kind=inner (AlertInfo\n"
    "    | where AlertId in (ids)\n"
    "    | summarize arg_max(Timestamp, *) by AlertId\n"
    "    | join kind=leftouter (AlertEvidence\n"
    "        | where AlertId in (ids)\n"
    "        | summarize FirstSeen = min(Timestamp), LastSeen = max(Timestamp),\n"
    "            Devices = make_set_if(bag_pack(\"DeviceName\", DeviceName, \"LocalIP\", LocalIP),"
    " isnotempty(DeviceName), 64),\n"
    "            Files = make_set_if(bag_pack(\"FileName\", FileName, \"FolderPath\", FolderPath,"
    " \"SHA1\", SHA1, \"SHA256\", SHA256), isnotempty(SHA1) or isnotempty(SHA256), 64),\n"
    "            Connections = make_set_if(bag_pack(\"LocalIP\", LocalIP, \"RemoteIP\", RemoteIP,"
    " \"RemoteUrl\", RemoteUrl), isnotempty(RemoteIP) or isnotempty(RemoteUrl), 64)\n"
    "            by AlertId) on AlertId\n"
    "    | project AlertId, Timestamp, FirstSeen, LastSeen, Title, Category, Severity, ServiceSource,"
    " DetectionSource, AttackTechniques, Devices, Files, Connections) on AlertId\n"
    "| project Obs, AlertId, Timestamp, FirstSeen, LastSeen, Title, Category, Severity, ServiceSource,"
    " DetectionSource, AttackTechniques, Devices, Files, Connections\n"
    "| order by Obs asc, Timestamp desc\n"
    "| extend Rank = row_number(1, prev(Obs) != Obs)\n"
    "| where Rank <= {N}\n"
    "| project-away Rank")
QUERY_RE = re.compile(re.escape(TEMPLATE).replace(re.escape("{U}"), "(?P<hits>.+?)")
                      .replace(re.escape("{N}"), "(?P<n>[0-9]+)"), re.S)
COLUMNS = [("Obs", "Int32"), ("AlertId", "String"), ("Timestamp", "DateTime"), ("FirstSeen", "DateTime"), ("LastSeen", "DateTime"),
           ("Title", "String"), ("Category", "String"), ("Severity", "String"), ("ServiceSource", "String"),
           ("DetectionSource", "String"), ("AttackTechniques", "String"), ("Devices", "Object"),
           ("Files", "Object"), ("Connections", "Object")]
EVIDENCE_COLUMNS = ("RemoteIP", "LocalIP", "RemoteUrl", "DeviceName", "FileName", "FolderPath", "SHA256", "SHA1")
SERVICE = {
    "Windows Defender ATP": "Microsoft Defender for Endpoint",
    "Azure Security Center": "Microsoft Defender for Cloud",
    "Office 365 Security and Compliance": "Microsoft Defender for Office 365",
    "Azure Advanced Threat Protection": "Microsoft Defender for Identity",
    "MCAS": "Microsoft Defender for Cloud Apps",
}
LEGACY_PROPS = {
    "networkConnections": ("destinationDomain", "sourceAddress", "destinationAddress", "destinationUrl"),
    "fileStates": ("name", "path", "fileHash/hashValue"),
    "hostStates": ("netBiosName",),
}


def graph_error(status, code, message):
    raise HTTPError(status, "", body={"error": {"code": code, "message": message, "innerError": {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}})


def b64decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def check_token(req):
    tok = req.bearer()
    if not tok:
        graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
    parts = tok.split(".")
    try:
        if len(parts) != 3 or parts[0] != "sim":
            raise ValueError
        mac = hmac.new(sim.args.token_key.encode(), ("sim." + parts[1]).encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(mac, b64decode(parts[2])):
            raise ValueError
        payload = json.loads(b64decode(parts[1]))
    except ValueError:
        graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
    with req.lock:
        not_before = req.state["not_before"]
        serial = str(payload.get("n"))
        req.state["bearers"][serial] = req.state["bearers"].get(serial, 0) + 1
    if payload.get("exp", 0) <= time.time() or payload.get("iat", 0) < not_before:
        graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")


def check_fail(req):
    """The answer PUT /_graph/fail set for this observable, if any."""
    text = urllib.parse.unquote(req.path + "?" + "&".join("%s=%s" % (k, v) for k, vs in req.query_all.items()
                                                          for v in vs)) + req.text
    with req.lock:
        rules = list(req.state["fail"])
    for r in rules:
        if not r.get("match") or (r["match"] != "*" and r["match"] not in text):
            continue
        if r.get("delay_ms"):
            time.sleep(min(float(r["delay_ms"]), 10000) / 1000)
        if r.get("status") is not None:
            body = r.get("body")
            if body is None:
                body = {"error": {"code": "SimulatedFailure", "message": "Simulated failure %d" % r["status"]}}
            raise HTTPError(int(r["status"]), "", body=body)


# ---- legacy alerts --------------------------------------------------------------

def parse_filter(text):
    """[(collection, [(property, literal), ...])] of one any() with or-ed equalities."""
    m = re.fullmatch(r"(?P<coll>\w+)/any\((?P<var>\w+):\s*(?P<body>.*)\)", text, re.S)
    if not m or m.group("coll") not in LEGACY_PROPS:
        raise ValueError("unsupported filter")
    var, body, pos, conds = m.group("var"), m.group("body"), 0, []
    while True:
        cm = re.compile(re.escape(var) + r"/(?P<prop>\w+(?:/\w+)*)\s+eq\s+'").match(body, pos)
        if not cm or cm.group("prop") not in LEGACY_PROPS[m.group("coll")]:
            raise ValueError("unsupported condition")
        pos, lit = cm.end(), []
        while True:
            if pos >= len(body):
                raise ValueError("unterminated string literal")
            if body[pos] == "'":
                if body[pos + 1:pos + 2] == "'":
                    lit.append("'")
                    pos += 2
                    continue
                pos += 1
                break
            lit.append(body[pos])
            pos += 1
        conds.append((cm.group("prop"), "".join(lit)))
        om = re.compile(r"\s+or\s+").match(body, pos)
        if om:
            pos = om.end()
            continue
        if pos != len(body):
            raise ValueError("syntax error at %d" % pos)
        return m.group("coll"), conds


def prop(obj, path):
    for p in path.split("/"):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def legacy_match(alert, coll, conds):
    for item in alert.get(coll) or []:
        for p, lit in conds:
            v = prop(item, p)
            if isinstance(v, str) and v.casefold() == lit.casefold():
                return True
    return False


@sim.route("GET", r"/v1\.0/security/alerts")
def alerts(req):
    check_token(req)
    check_fail(req)
    top = req.query.get("$top")
    if top is not None:
        if not re.fullmatch(r"[0-9]+", top) or int(top) > 1000:
            graph_error(400, "BadRequest", "Invalid $top value: %s" % top)
        top = int(top)
    flt = req.query.get("$filter")
    with req.lock:
        items = list(req.state["alerts"])
    if flt is not None:
        try:
            coll, conds = parse_filter(flt)
        except ValueError as e:
            graph_error(400, "BadRequest", "Invalid filter clause: %s" % e)
        items = [a for a in items if legacy_match(a, coll, conds)]
    if top is not None:
        items = items[:top]
    return {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Security/alerts", "value": items}


# ---- advanced hunting -------------------------------------------------------------

def evidence_rows(alert):
    base = {c: "" for c in EVIDENCE_COLUMNS}
    ts = alert.get("eventDateTime") or ""
    rows = []

    def add(**kw):
        r = dict(base, Timestamp=ts, AlertId=alert.get("id"))
        r.update({k: v or "" for k, v in kw.items()})
        rows.append(r)

    for h in alert.get("hostStates") or []:
        name = h.get("fqdn") or h.get("netBiosName")
        if name:
            add(DeviceName=name, LocalIP=h.get("privateIpAddress"))
    for n in alert.get("networkConnections") or []:
        if n.get("destinationAddress") or n.get("sourceAddress"):
            add(RemoteIP=n.get("destinationAddress"), LocalIP=n.get("sourceAddress"))
        if n.get("destinationUrl") or n.get("destinationDomain"):
            add(RemoteUrl=n.get("destinationUrl") or n.get("destinationDomain"), LocalIP=n.get("sourceAddress"))
    for f in alert.get("fileStates") or []:
        name, path = f.get("name") or "", f.get("path") or ""
        folder = path
        if name and path.endswith(name):
            folder = path[:-len(name)].rstrip("\\/") or path[:-len(name)]
        h = f.get("fileHash") or {}
        kind = (h.get("hashType") or "").lower()
        add(FileName=name, FolderPath=folder, SHA256=h.get("hashValue") if kind == "sha256" else "",
            SHA1=h.get("hashValue") if kind == "sha1" else "")
    return rows


def alert_info(alert):
    v = alert.get("vendorInformation") or {}
    sev = alert.get("severity") or "unknown"
    return {
        "AlertId": alert.get("id"), "Timestamp": alert.get("eventDateTime"), "Title": alert.get("title") or "",
        "Category": alert.get("category") or "", "Severity": sev[:1].upper() + sev[1:],
        "ServiceSource": SERVICE.get(v.get("provider"), v.get("provider") or ""),
        "DetectionSource": v.get("subProvider") or "",
        "AttackTechniques": "",
    }


class KqlError(ValueError):
    pass


def kql_tokens(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c in " \t\n":
            i += 1
        elif c == '"':
            i += 1
            s = []
            while True:
                if i >= len(text):
                    raise KqlError("unterminated string")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    e = text[i + 1:i + 2]
                    if e not in ('"', "\\", "t", "n"):
                        raise KqlError("bad escape")
                    s.append({"t": "\t", "n": "\n"}.get(e, e))
                    i += 2
                    continue
                if c in "\r\n":
                    raise KqlError("newline in string")
                s.append(c)
                i += 1
            out.append(("str", "".join(s)))
        elif text.startswith("=~", i):
            out.append(("op", "=~"))
            i += 2
        elif c in "(),.|=":
            out.append(("p", c))
            i += 1
        elif c.isdigit():
            m = re.compile(r"[0-9]+").match(text, i)
            out.append(("num", int(m.group())))
            i = m.end()
        else:
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
            if not m:
                raise KqlError("unexpected %r" % c)
            out.append(("id", m.group()))
            i = m.end()
    return out


def kql_hits(text):
    """The legs of the hits, in Obs order: a predicate (a function of an evidence row) each."""
    toks, pos = kql_tokens(text), [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else (None, None)

    def take(kind, val=None):
        t = peek()
        if t[0] != kind or (val is not None and t[1] != val):
            raise KqlError("expected %s %s at token %d" % (kind, val if val is not None else "", pos[0]))
        pos[0] += 1
        return t[1]

    def column():
        name = take("id")
        if name not in EVIDENCE_COLUMNS:
            raise KqlError("unknown column %s" % name)
        return lambda row: row.get(name) or ""

    def value():
        t = peek()
        if t == ("id", "tostring"):
            take("id")
            take("p", "(")
            take("id", "parse_url")
            take("p", "(")
            col = column()
            take("p", ")")
            take("p", ".")
            take("id", "Host")
            take("p", ")")

            def host(row):
                u = col(row)
                if "://" not in u:
                    return ""
                try:
                    return urllib.parse.urlsplit(u).hostname or ""
                except ValueError:
                    return ""
            return host
        if t == ("id", "strcat"):
            take("id")
            take("p", "(")
            parts = []
            while True:
                if peek()[0] == "str":
                    lit = take("str")
                    parts.append(lambda row, lit=lit: lit)
                else:
                    parts.append(column())
                if peek() == ("p", ","):
                    take("p")
                    continue
                take("p", ")")
                break
            return lambda row: "".join(p(row) for p in parts)
        return column()

    def term():
        v = value()
        t = peek()
        if t == ("op", "=~"):
            take("op")
            lit = take("str").casefold()
            return lambda row: v(row).casefold() == lit
        if t == ("id", "startswith"):
            take("id")
            lit = take("str").casefold()
            return lambda row: v(row).casefold().startswith(lit)
        raise KqlError("expected =~ or startswith")

    def predicate():
        terms = [term()]
        while peek() == ("id", "or"):
            take("id")
            terms.append(term())
        return lambda row: any(t(row) for t in terms)

    def leg(index):
        take("id", "AlertEvidence")
        take("p", "|")
        take("id", "where")
        pred = predicate()
        for word in ("|", "distinct", "AlertId", "|", "extend", "Obs", "="):
            take("p" if word in "|=" else "id", word)
        if take("num") != index:
            raise KqlError("leg %d tagged otherwise" % index)
        return pred

    legs = []
    if peek() == ("id", "union"):
        take("id")
        while True:
            take("p", "(")
            legs.append(leg(len(legs)))
            take("p", ")")
            if peek() != ("p", ","):
                break
            take("p", ",")
    else:
        legs.append(leg(0))
    if pos[0] != len(toks):
        raise KqlError("trailing tokens")
    return legs


def distinct(items, limit=64):
    out, seen = [], set()
    for i in items:
        k = json.dumps(i, sort_keys=True)
        if k not in seen and len(out) < limit:
            seen.add(k)
            out.append(i)
    return out


def hunting_rows(legs, take):
    """Every leg's alerts, newest first, at most take each, in Obs order."""
    out = []
    for obs, pred in enumerate(legs):
        for r in leg_rows(pred)[:take]:
            r["Obs"] = obs
            out.append({name: r.get(name) for name, _ in COLUMNS})
    return out


def leg_rows(pred):
    with sim.lock:
        alerts_ = list(sim.state["alerts"])
    rows = []
    for a in alerts_:
        ev = evidence_rows(a)
        if not any(pred(r) for r in ev):
            continue
        row = alert_info(a)
        times = sorted(r["Timestamp"] for r in ev if r["Timestamp"])
        row["FirstSeen"] = times[0] if times else None
        row["LastSeen"] = times[-1] if times else None
        row["Devices"] = distinct({"DeviceName": r["DeviceName"], "LocalIP": r["LocalIP"]}
                                  for r in ev if r["DeviceName"])
        row["Files"] = distinct({"FileName": r["FileName"], "FolderPath": r["FolderPath"], "SHA1": r["SHA1"],
                                 "SHA256": r["SHA256"]} for r in ev if r["SHA1"] or r["SHA256"])
        row["Connections"] = distinct({"LocalIP": r["LocalIP"], "RemoteIP": r["RemoteIP"],
                                       "RemoteUrl": r["RemoteUrl"]} for r in ev if r["RemoteIP"] or r["RemoteUrl"])
        if sim.args.dynamic_as_string:
            for k in ("Devices", "Files", "Connections"):
                row[k] = json.dumps(row[k], separators=(",", ":"))
        rows.append(row)
    rows.sort(key=lambda r: r["Timestamp"] or "", reverse=True)
    return rows


@sim.route("POST", r"/v1\.0/security/runHuntingQuery")
def run_hunting_query(req):
    check_token(req)
    check_fail(req)
    if req.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
        graph_error(415, "UnsupportedMediaType", "Content-Type must be application/json.")
    try:
        body = json.loads(req.body or b"null")
    except ValueError:
        graph_error(400, "BadRequest", "Invalid request body.")
    if not isinstance(body, dict) or not isinstance(body.get("Query"), str) or not body["Query"]:
        graph_error(400, "BadRequest", "Query is required.")
    ts = body.get("Timespan")
    if ts is not None and (not isinstance(ts, str) or not re.fullmatch(r"[A-Za-z0-9:./+-]+", ts)):
        graph_error(400, "BadRequest", "Invalid Timespan.")
    schema = [{"name": n, "type": t} for n, t in COLUMNS]
    q = body["Query"]
    if q == HEALTH_QUERY:
        return {"schema": [], "results": []}
    m = QUERY_RE.fullmatch(q)
    if not m:
        graph_error(400, "BadRequest", "Query could not be parsed: not a query shape this simulator knows.")
    try:
        legs = kql_hits(m.group("hits"))
    except KqlError as e:
        graph_error(400, "BadRequest", "Query could not be parsed: %s" % e)
    return {"schema": schema, "results": hunting_rows(legs, int(m.group("n")))}


# ---- control ------------------------------------------------------------------------

@sim.route("POST", r"/_graph/tokens/revoke")
def revoke(req):
    with req.lock:
        req.state["not_before"] = time.time()
    return {"ok": True}


@sim.route("GET", r"/_graph/bearers")
def bearers(req):
    with req.lock:
        return dict(req.state["bearers"])


@sim.route("PUT", r"/_graph/fail")
def put_fail(req):
    body = req.json()
    if not isinstance(body, list) or not all(isinstance(r, dict) and ("status" in r or "delay_ms" in r)
                                             for r in body):
        raise HTTPError(400, "a list of {match, status[, body] | delay_ms}")
    with req.lock:
        req.state["fail"] = body
    return {"ok": True}


@sim.route("PUT", r"/_graph/alerts")
def put_alerts(req):
    body = req.json()
    if not isinstance(body, list):
        raise HTTPError(400, "a list of alerts")
    with req.lock:
        req.state["alerts"] = body
    return {"ok": True}


if __name__ == "__main__":
    sys.exit(sim.main())
