#!/bin/bash
# SPDX-License-Identifier: MIT
# The Microsoft Graph Security relay end to end (relays.md §1-§7,
# docs/MSGRAPH-ALERTS-V2.md): secrespd serving two Graph relays on a shared
# listener (advanced hunting at /msgraph, the legacy alerts API at
# /legacy), against the JWKS host (tests/sim/jwks_sim.py), Azure AD's token
# endpoint (tests/sim/azuread_sim.py) and Microsoft Graph
# (tests/sim/msgraph_sim.py, seeded with the unit-data fixtures), all over
# HTTPS with a CA made here.  Asserts on the HTTP answers, on what the
# simulators logged, and that no secret reaches the daemon's log.
. "$(dirname "$0")/lib.sh"

plan 118

command -v curl >/dev/null || skip_all "curl not found"
command -v openssl >/dev/null || skip_all "openssl not found"

SIM_DIR=$top_srcdir/tests/sim
MKTOKEN=$FUNC_DIR/relay/mktoken.py
GOLDEN=$FUNC_DIR/relay/msgraph-golden.json
LOG_TARGET=stderr

"$SIM_DIR/mkca.sh" "$T/pki" >/dev/null 2>&1 || bail_out "mkca.sh failed"
mkdir -p "$T/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/k1.pem" 2>/dev/null ||
        bail_out "openssl genpkey failed"

T1=11111111-1111-1111-1111-111111111111
T2=22222222-2222-2222-2222-222222222222
T3=contoso.example.com
T4=44444444-4444-4444-4444-444444444444
S1=graph-secret-1-Zx9
start_sim() { # NAME SCRIPT ARGS...
        local name=$1 script=$2
        shift 2
        "$PY" "$SIM_DIR/$script" --port-file "$T/$name.port" --log "$T/$name.log" \
                --tls-cert "$T/pki/server.pem" --tls-key "$T/pki/server.key" "$@" 2>"$T/$name.err" &
        track_pid $!
        wait_until 10 test -s "$T/$name.port" || bail_out "$name simulator did not start: $(cat "$T/$name.err")"
}
start_sim jwks jwks_sim.py --key "k1=$T/keys/k1.pem" --host-keys "visibility.amp.cisco.com=k1:kid-1"
start_sim azuread azuread_sim.py --token-key tk-test --app "$T1=app-1:$S1" --app "$T2=app-2:secret-2:2" \
        --app "$T3=app-3:secret-3" --app "$T4=app-4:secret-4"
start_sim graph msgraph_sim.py --token-key tk-test
start_sim graph2 msgraph_sim.py --token-key tk-test --dynamic-as-string
JP=$(cat "$T/jwks.port")
AAD=https://127.0.0.1:$(cat "$T/azuread.port")
GRAPH=https://127.0.0.1:$(cat "$T/graph.port")
GRAPH2=https://127.0.0.1:$(cat "$T/graph2.port")

common="public_url = \"http://relay.test/\";
    jwks_url_template = \"https://127.0.0.1:$JP/{host}/.well-known/jwks\";
    url = \"$GRAPH/v1.0\"; login_url = \"$AAD/\"; timeout = \"2s\"; max_connections = 4;"
make_conf "$T/secrespd.conf" \
        "http: { ca_file = \"$T/pki/ca.pem\"; max_host_connections = 16; };" \
        'relay_server: { listen = [ "127.0.0.1:0" ]; idle_timeout = "5s"; };' \
        "relays = (
  { name = \"graph\"; type = \"msgraph\"; $common timespan = \"P30D\"; },
  { name = \"graph-legacy\"; type = \"msgraph\"; mount = \"/legacy\"; api = \"legacy\"; $common }
);"

run "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 0 "secrespd -n accepts the msgraph relay settings" "$RUN_ERR"
make_conf "$T/bad.conf" "relays = ( { name = \"g\"; type = \"msgraph\"; api = \"alerts_v3\"; rate_limit = 2;
    login_url = \"ftp://x\"; max_connections = 0; } );"
run "$SECRESPD" -n -c "$T/bad.conf"
like "$RUN_ERR" 'relays\[0\]: api: unknown value "alerts_v3"; expected "advanced_hunting" or "legacy"' \
        "config: a bad api is named with its file:line"
like "$RUN_ERR" 'rate_limit: only for type "spycloud"' "config: spycloud-only settings refused on msgraph"
like "$RUN_ERR" 'login_url: expected' "config: login_url must be http(s)"
like "$RUN_ERR" 'max_connections: 0 is out of range' "config: max_connections range"
make_conf "$T/secrespd.conf" \
        "http: { ca_file = \"$T/pki/ca.pem\"; max_host_connections = 16; };" \
        'relay_server: { listen = [ "127.0.0.1:0" ]; idle_timeout = "5s"; };' \
        "relays = (
  { name = \"graph\"; type = \"msgraph\"; $common timespan = \"P30D\"; },
  { name = \"graph-legacy\"; type = \"msgraph\"; mount = \"/legacy\"; api = \"legacy\"; $common },
  { name = \"graph-str\"; type = \"msgraph\"; mount = \"/str\"; api = \"hunting\"; ${common/$GRAPH/$GRAPH2}
    portal_url = \"\"; },
  { name = \"graph-tls\"; type = \"msgraph\"; mount = \"/tls\"; $common ca_file = \"$T/pki/wrong-ca.pem\"; }
);"

start_ready "$CONF"
ctl status --json >"$T/status.json" 2>&1
RP=$(pyj 'd["relays"][0]["listen"][0].rsplit(":", 1)[1]' <"$T/status.json" 2>/dev/null)
is "$(pyj 'repr([r["name"] + ":" + r["type"] + ":" + r["mount"] for r in d["relays"]])' <"$T/status.json")" \
        "['graph:msgraph:/msgraph', 'graph-legacy:msgraph:/legacy', 'graph-str:msgraph:/str', 'graph-tls:msgraph:/tls']" \
        "status lists the Graph relays"
R=http://127.0.0.1:$RP

# ---- helpers ----------------------------------------------------------------------
req() {
        local m=$1 u=$2
        shift 2
        HTTP_STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$u")
        BODY=$(cat "$T/body")
}
claims() { # TENANT APP SECRET [EXTRA-JSON-MEMBERS]
        printf '{"tenant_id":"%s","application_id":"%s","client_secret":"%s","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"%s}' \
                "$1" "$2" "$3" "${4:+,$4}"
}
token() { "$PY" "$MKTOKEN" --key "$T/keys/k1.pem" --kid kid-1 --exp-in 300 "$@"; }
GOOD=$(token "$(claims "$T1" app-1 "$S1")")
observe() { # MOUNT BODY [TOKEN]
        req POST "$R$1/observe/observables" -H "Authorization: Bearer ${3:-$GOOD}" \
                -H 'Content-Type: application/json' --data-binary "$2"
}
sim() { curl -s --cacert "$T/pki/ca.pem" "$@"; }
reset_all() {
        sim -X POST "$GRAPH/__sim/reset" >/dev/null
        sim -X POST "$AAD/__sim/reset" >/dev/null
}
graph_reqs() { sim "$GRAPH/__sim/requests?path_re=^/v1.0/"; }
token_reqs() { sim "$AAD/__sim/requests?method=POST"; }
n_token_calls() { token_reqs | pyj 'len(d)'; }
tr_err() { printf '%s' "$BODY" | pyj '"|".join([d["errors"][0]["code"], d["errors"][0]["message"], d["errors"][0]["type"]])'; }
bodyj() { printf '%s' "$BODY" | pyj "$1"; }
ids() { bodyj 'repr([s["external_ids"][0][-4:] for s in d.get("data", {}).get("sightings", {}).get("docs", [])])'; }

O_DOMAIN='{"type":"domain","value":"www.febrikam.com"}'
O_FNAME='{"type":"file_name","value":"file.bin"}'
O_FPATH='{"type":"file_path","value":"C:\\Windows\\SYSTEM32\\ntdll.dll"}'
O_HOST='{"type":"hostname","value":"lap-pattif"}'
O_IP='{"type":"ip","value":"172.16.33.115"}'
O_SHA='{"type":"sha256","value":"091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18b19"}'
O_URL='{"type":"url","value":"http://willaimsclarke.com/lee/fre.php"}'
ALL7="[$O_DOMAIN,$O_FNAME,$O_FPATH,$O_HOST,$O_IP,$O_SHA,$O_URL]"
# N observables "ip 10.77.<i>.1" that match nothing, i from FROM (default 1)
fillers() { # N [FROM]
        local i out=
        for ((i = ${2:-1}; i < ${2:-1} + $1; i++)); do out+=",{\"type\":\"ip\",\"value\":\"10.77.$i.1\"}"; done
        printf '%s' "${out#,}"
}
# the legs of each hunting query the simulator got: [[Obs tags of query 1], ...]
legs() { graph_reqs | pyj 'repr([[int(m) for m in __import__("re").findall(r"\| extend Obs = ([0-9]+)", __import__("json").loads(r["body"])["Query"])] for r in d if r["path"].endswith("runHuntingQuery")])'; }
# the queries of one request run at once, so the simulator may log them in
# either order: (legs, status) of each, the longest query first
legs_by_size() { graph_reqs | pyj 'repr(sorted([[[int(m) for m in __import__("re").findall(r"\| extend Obs = ([0-9]+)", __import__("json").loads(r["body"])["Query"])], r["status"]] for r in d if r["path"].endswith("runHuntingQuery")], key=lambda p: -len(p[0])))'; }

# ---- /version, /watchdog, 404, 405 ---------------------------------------------------------
req POST "$R/msgraph/version"
is "$HTTP_STATUS $BODY" '200 {"version":"2.0.3"}' "POST /version: the Graph relay's version"
req GET "$R/msgraph/watchdog" -H 'Health-Check: hc-7'
is "$BODY" '{"data":"hc-7"}' "GET /watchdog echoes Health-Check"
req GET "$R/msgraph/watchdog"
is "$BODY" '{"errors":[{"code":"health check failed","message":"Invalid Health Check","type":"fatal"}]}' \
        "GET /watchdog without the header: the TR error"
req GET "$R/msgraph/health"
is "$HTTP_STATUS" 405 "GET /health: 405"
req POST "$R/msgraph/health/" -H "Authorization: Bearer $GOOD"
is "$HTTP_STATUS" 404 "Graph's strict slashes: /health/ is 404"
req POST "$R/msgraph/deliberate/observables" -H "Authorization: Bearer $GOOD"
is "$HTTP_STATUS" 404 "a removed endpoint: 404"

# ---- /health, both APIs --------------------------------------------------------------------
reset_all
req POST "$R/msgraph/health" -H "Authorization: Bearer $GOOD"
is "$HTTP_STATUS $BODY" '200 {"data":{"status":"ok"}}' "advanced hunting /health: ok"
token_reqs >"$T/tok.json"
is "$(pyj 'repr([(r["method"], r["path"]) for r in d])' <"$T/tok.json")" \
        "[('POST', '/$T1/oauth2/v2.0/token')]" "one POST to the tenant's token endpoint"
is "$(pyj '(lambda f: repr([f["client_id"], f["client_secret"], f["grant_type"], f["scope"]]))(__import__("urllib.parse", fromlist=["x"]).parse_qs(d[0]["body"]))' <"$T/tok.json")" \
        "[['app-1'], ['$S1'], ['client_credentials'], ['https://graph.microsoft.com/.default']]" \
        "the token request: the JWT's client credentials, grant and scope, as a form"
graph_reqs >"$T/g.json"
is "$(pyj 'repr([(r["method"], r["path"], __import__("json").loads(r["body"])["Query"]) for r in d])' <"$T/g.json")" \
        "[('POST', '/v1.0/security/runHuntingQuery', 'AlertEvidence | take 0 | union (AlertInfo | take 0)')]" \
        "the hunting health check runs the empty query"
is "$(pyj 'repr([d[0]["headers"].get(h) for h in ("user-agent", "content-type", "accept")])' <"$T/g.json")" \
        "['Cisco-SecureXThreatResponseMicrosoftGraphSecurity/1.0.0', 'application/json', 'application/json']" \
        "Graph calls carry the originals' User-Agent and JSON headers"
req POST "$R/legacy/health" -H "Authorization: Bearer $GOOD"
is "$BODY" '{"data":{"status":"ok"}}' "legacy /health: ok"
is "$(graph_reqs | pyj 'repr([(r["path"], r["query"]) for r in d][-1])')" \
        "('/v1.0/security/alerts', {'\$top': ['0']})" "the legacy health check: GET security/alerts?\$top=0"
is "$(n_token_calls)" 2 "each relay keeps its own token cache: two token calls so far"

# ---- observe, advanced hunting: each type ----------------------------------------------------------
reset_all
observe /msgraph "$ALL7"
is "$HTTP_STATUS" 200 "hunting: seven observables, HTTP 200"
is "$(ids)" "['8A15', 'FFA5', '5C01', '94D1', '0003', '1DFD', '0002', '79BB', '0071']" \
        "hunting: each type finds its alert; the ip's three newest first; input order kept"
is "$(bodyj 'repr([sorted(set(s["source"] + " " + s["schema_version"] for s in d["data"]["sightings"]["docs"])), [s["observables"][0]["type"] for s in d["data"]["sightings"]["docs"]]])')" \
        "[['Microsoft Graph Security 1.0.12'], ['domain', 'file_name', 'file_path', 'hostname', 'ip', 'ip', 'ip', 'sha256', 'url']]" \
        "sightings carry the requested observable and the source"
is "$(bodyj 'd["data"]["sightings"]["docs"][4]["external_references"][0]["url"]')" \
        "https://security.microsoft.com/alerts/F42BFF8C-519A-4DE9-A655-1DA0EA510003?tid=$T1" \
        "hunting sighting: a portal link with the tenant"
is "$(bodyj 'repr([d["data"]["sightings"]["docs"][4][k] for k in ("severity", "title")])')" \
        "['High', 'Anomalous outbound traffic']" "hunting sighting: severity and title from AlertInfo"
is "$(bodyj 'repr(d["data"]["sightings"]["docs"][3]["targets"][0]["observables"])')" \
        "[{'type': 'hostname', 'value': 'lap-pattif'}, {'type': 'domain', 'value': 'lap-pattif.M365x594651.onmicrosoft.com'}]" \
        "hunting sighting: targets from the device evidence"
graph_reqs >"$T/g.json"
is "$(pyj 'len([r for r in d if r["path"] == "/v1.0/security/runHuntingQuery"])' <"$T/g.json")" 1 \
        "seven observables: one runHuntingQuery"
is "$(legs)" "[[0, 1, 2, 3, 4, 5, 6]]" "... a union of seven legs, tagged in input order"
is "$(pyj 'repr(sorted(set(__import__("json").loads(r["body"]).get("Timespan") for r in d)))' <"$T/g.json")" \
        "['P30D']" "the configured Timespan is sent"
like "$(pyj '[l for l in __import__("json").loads(d[0]["body"])["Query"].split("\n") if "172.16" in l][0]' <"$T/g.json")" \
        '^    \(AlertEvidence \| where RemoteIP =~ "172\.16\.33\.115" or LocalIP =~ "172\.16\.33\.115" \| distinct AlertId \| extend Obs = 4\),$' \
        "the ip predicate over AlertEvidence, tagged with the observable's place"
is "$(n_token_calls)" 0 "the cached token serves the next request: no token call"

reset_all
observe /msgraph '[{"type":"ip","value":"10.8.168.41"},{"type":"IP","value":"172.16.33.115"},{"type":"email","value":"a@b.c"}]'
is "$BODY" '{"data":{}}' "no match, a type in the wrong case and an unsupported type: {\"data\":{}}"
is "$(graph_reqs | pyj 'len(d)')" 1 "... only the supported observable is looked up"
sim -X DELETE "$GRAPH/__sim/requests" >/dev/null
observe /msgraph "[$O_IP,$O_IP]"
is "$(bodyj 'repr([d["data"]["sightings"]["count"], len(set(s["id"] for s in d["data"]["sightings"]["docs"]))])')" "[6, 6]" \
        "a repeated observable gets its sightings again, with ids of their own (no deduplication)"
is "$(legs)" "[[0]]" "... from one leg of one query"

# ten observables, one call; each observable its own take
reset_all
observe /msgraph "[$O_DOMAIN,$O_FNAME,$O_FPATH,$O_HOST,$O_IP,$O_SHA,$O_URL,$(fillers 3)]"
is "$(ids)" "['8A15', 'FFA5', '5C01', '94D1', '0003', '1DFD', '0002', '79BB', '0071']" \
        "ten observables: the same sightings"
is "$(legs)" "[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]" "... from ONE hunting call of ten legs"
L1=$(token "$(claims "$T1" app-1 "$S1" '"CTR_ENTITIES_LIMIT":1')")
observe /msgraph "[$O_IP,$O_DOMAIN,$O_SHA]" "$L1"
is "$(ids)" "['0003', '8A15', '79BB']" "CTR_ENTITIES_LIMIT 1 holds per observable: the newest alert of each"
L2=$(token "$(claims "$T1" app-1 "$S1" '"CTR_ENTITIES_LIMIT":2')")
observe /msgraph "[$O_SHA,$O_IP,$O_HOST]" "$L2"
is "$(ids)" "['79BB', '0003', '1DFD', '94D1']" "... and 2: two of the ip's three, in input order"
is "$(graph_reqs | pyj 'repr([r["status"] for r in d][-2:])')" "[200, 200]" "... each a single query"

# past the rows one answer may hold: ten observables a query at the 10,000 cap
reset_all
LMAX=$(token "$(claims "$T1" app-1 "$S1" '"CTR_ENTITIES_LIMIT":10000')")
observe /msgraph "[$O_DOMAIN,$(fillers 10),$O_HOST,$O_DOMAIN]" "$LMAX"
is "$(ids)" "['8A15', '94D1', '8A15']" "CTR_ENTITIES_LIMIT 10000, thirteen observables: all answered"
is "$(legs_by_size | pyj 'repr([p[0] for p in d])')" "[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1]]" \
        "... in two queries (10 x 10,000 rows is what one answer holds); the repeated domain rides on its first leg"
observe /msgraph '[{"type":"domain","value":"a\u0001b"},{"type":"hostname","value":"x\" or DeviceName startswith \""}]'
is "$BODY" '{"data":{}}' "a value with a control character, and one trying to leave its literal: nothing"
is "$(graph_reqs | pyj 'repr([r["status"] for r in d][-1:])')" "[200]" "... the simulator parsed the hostile query (no 400)"

observe /str "[$O_HOST,$O_SHA]"
is "$(ids)" "['94D1', '79BB']" "hunting, dynamic columns sent as JSON text: the same alerts"
is "$(bodyj 'repr([d["data"]["sightings"]["docs"][0]["targets"][0]["observables"][0], d["data"]["sightings"]["docs"][1]["relations"][0]["relation"], d["data"]["sightings"]["docs"][0]["external_references"]])')" \
        "[{'type': 'hostname', 'value': 'lap-pattif'}, 'File_Name_Of', []]" \
        "... targets and relations read from the text; no portal link with portal_url = \"\""

# ---- observe, legacy alerts ----------------------------------------------------------------------------
reset_all
observe /legacy "$ALL7"
is "$(ids)" "['8A15', 'FFA5', '5C01', '94D1', '1DFD', '0002', '0003', '79BB', '0071']" \
        "legacy: each type finds its alert, in Graph's order"
printf '%s' "$BODY" >"$T/legacy.json"
golden=$("$PY" - "$GOLDEN" "$T/legacy.json" <<'EOF'
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["data"]["sightings"]["docs"]
bad = []
for t in ("domain", "file_name", "file_path", "hostname", "ip", "sha256", "url"):
    s = [x for x in got if x["external_ids"] == [want[t]["alert_id"]]][0]
    if not s.pop("id").startswith("transient:sighting-") or s != want[t]["output"]:
        bad.append(t)
print("ok" if not bad else "differ: " + ",".join(bad))
EOF
)
is "$golden" ok "legacy through the daemon: every sighting equals its golden output (ids aside)"
graph_reqs >"$T/g.json"
is "$(pyj 'repr([r["query"]["$filter"][0] for r in d if "netBiosName" in r["query"]["$filter"][0]])' <"$T/g.json")" \
        "[\"hostStates/any(x: x/netBiosName eq 'lap-pattif')\"]" "legacy: the originals' OData filter"
is "$(pyj 'repr(sorted(set(r["query"]["$top"][0] for r in d)))' <"$T/g.json")" "['100']" "legacy: \$top is the default limit"
observe /legacy '[{"type":"hostname","value":"O'"'"'Brien & co #1+2"}]'
is "$(graph_reqs | pyj 'd[-1]["query"]["$filter"][0]')" "hostStates/any(x: x/netBiosName eq 'O''Brien & co #1+2')" \
        "legacy: quotes doubled, & # + encoded (the simulator decodes the exact value)"
is "$BODY" '{"data":{}}' "... and finds nothing"
sim -X PUT "$GRAPH/_graph/fail" --data-binary '[{"match":"file.bin","status":404}]' >/dev/null
observe /legacy "[$O_FNAME]"
is "$BODY" '{"data":{}}' "legacy: a 404 from the alerts call means no alerts"

# ---- CTR_ENTITIES_LIMIT ---------------------------------------------------------------------------------
limit_case() { # MOUNT CLAIM-JSON EXPECTED DESC
        observe "$1" "[$O_IP]" "$(token "$(claims "$T1" app-1 "$S1" "\"CTR_ENTITIES_LIMIT\":$2")")"
        is "$(ids)" "$3" "CTR_ENTITIES_LIMIT $2 ($1): $4"
}
reset_all
limit_case /msgraph 1 "['0003']" "the newest alert only"
is "$(graph_reqs | pyj '__import__("json").loads(d[-1]["body"])["Query"].split("\n")[-2]')" "| where Rank <= 1" \
        "... asked of Microsoft as one per observable"
limit_case /msgraph '" 2 "' "['0003', '1DFD']" "a string with blanks, as int()"
limit_case /msgraph null "['0003', '1DFD', '0002']" "null: the default"
limit_case /msgraph 0 "['0003', '1DFD', '0002']" "0: the default"
limit_case /legacy 2.9 "['1DFD', '0002']" "a float truncated"
is "$(graph_reqs | pyj 'd[-1]["query"]["$top"][0]')" 2 "... sent as \$top=2"
limit_case /legacy 5000 "['1DFD', '0002', '0003']" "above the legacy cap"
is "$(graph_reqs | pyj 'd[-1]["query"]["$top"][0]')" 1000 "... \$top capped at 1000"

# ---- the token: cached, shared, refetched --------------------------------------------------------------
reset_all
G3=$(token "$(claims "$T3" app-3 secret-3)")
for i in 1 2 3 4 5; do observe /msgraph "[$O_DOMAIN]" "$G3"; done
is "$(bodyj 'd["data"]["sightings"]["count"]')" 1 "tenant 3: answered"
is "$(n_token_calls)" 1 "five requests, one token call (cached until expiry)"
is "$(sim "$GRAPH/_graph/bearers" | pyj 'repr(sorted(d.values()))')" "[5]" "... all five Graph calls used that one token"

reset_all
sim -X POST "$AAD/__sim/faults" --data-binary '[{"kind":"latency","delay_ms":400,"path":"/oauth2/"}]' >/dev/null
G4=$(token "$(claims "$T4" app-4 secret-4)")
pids=()
for i in 1 2 3 4; do
        curl -s -o "$T/par.$i" -X POST -H "Authorization: Bearer $G4" --data-binary "[$O_DOMAIN,$O_HOST]" \
                "$R/msgraph/observe/observables" &
        pids+=($!)
done
wait "${pids[@]}"
is "$(for i in 1 2 3 4; do pyj 'd["data"]["sightings"]["count"]' <"$T/par.$i"; done | tr '\n' ' ')" "2 2 2 2 " \
        "four concurrent requests of a new tenant: all answered"
is "$(n_token_calls)" 1 "... and they shared one token fetch"

reset_all
G2=$(token "$(claims "$T2" app-2 secret-2)")
observe /msgraph "[$O_DOMAIN]" "$G2"
sleep 2
observe /msgraph "[$O_DOMAIN]" "$G2"
is "$(bodyj 'd["data"]["sightings"]["count"]')" 1 "a 2 s token: answered after it expired"
is "$(n_token_calls)" 2 "... with a new token fetched before use (expires_in honoured)"

reset_all
observe /msgraph "[$O_DOMAIN]"
sim -X POST "$GRAPH/_graph/tokens/revoke" >/dev/null
sim -X DELETE "$GRAPH/__sim/requests" >/dev/null
observe /msgraph "[$O_DOMAIN,$O_FNAME,$(fillers 20),$O_HOST]" "$LMAX"
is "$(ids)" "['8A15', 'FFA5', '94D1']" "Graph refuses the cached token: answered after one refetch"
is "$(n_token_calls)" 1 "... the three queries' 401s shared one new token"
is "$(graph_reqs | pyj 'repr(sorted(r["status"] for r in d))')" "[200, 200, 200, 401, 401, 401]" \
        "... each query retried once"

reset_all
sim -X PUT "$GRAPH/_graph/fail" --data-binary '[{"match":"www.febrikam.com","status":401,"body":{"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}}}]' >/dev/null
observe /msgraph "[$O_DOMAIN]"
is "$(tr_err)" "authorization error|Authorization failed: Access token has expired or is not yet valid.|fatal" \
        "401 after the refetch: authorization error with Graph's message"
is "$(n_token_calls)|$(graph_reqs | pyj 'len(d)')" "1|2" "... one refetch, one retry, no more"

# ---- token endpoint errors ---------------------------------------------------------------------------------
reset_all
observe /msgraph "[$O_DOMAIN]" "$(token "$(claims "$T1" app-1 wrong-secret)")"
like "$(tr_err)" '^authorization error\|Authorization failed: AADSTS7000215: Invalid client secret is provided\.' \
        "a wrong client secret: Azure AD's message"
observe /msgraph "[$O_DOMAIN]" "$(token "$(claims 99999999-9999-9999-9999-999999999999 app-1 "$S1")")"
like "$(tr_err)" "^invalid argument\|Unexpected response from Microsoft Graph Security: AADSTS90002: Tenant '99999999" \
        "an unknown tenant (Azure AD's 400)"
sim -X POST "$AAD/__sim/faults" --data-binary '[{"kind":"status","status":404,"path":"/oauth2/"}]' >/dev/null
req POST "$R/msgraph/health" -H "Authorization: Bearer $(token "$(claims 88888888-8888-8888-8888-888888888888 app-1 "$S1")")"
is "$(tr_err)" "authorization error|Authorization failed: Specified Tenant ID was not found|fatal" \
        "token endpoint 404: tenant not found"
sim -X POST "$AAD/__sim/faults" --data-binary '[{"kind":"silent","delay_ms":5000,"path":"/oauth2/"}]' >/dev/null
T7=77777777-7777-7777-7777-777777777777
t0=$(now_ms)
observe /msgraph "[$O_DOMAIN]" "$(token "$(claims "$T7" app-1 "$S1")")"
t1=$(now_ms)
is "$(tr_err)" "connection error|Unable to connect Microsoft Graph Security, validate the configured API URL: $AAD/$T7/oauth2/v2.0/token|fatal" \
        "token endpoint timeout: connection error naming the real token URL"
cmp_num $((t1 - t0)) -lt 4000 "... after the relay's 2 s timeout"
sim -X DELETE "$AAD/__sim/faults" >/dev/null
sim -X POST "$AAD/__sim/faults" --data-binary '[{"kind":"malformed","path":"/oauth2/"}]' >/dev/null
observe /msgraph "[$O_DOMAIN]" "$(token "$(claims 66666666-6666-6666-6666-666666666666 app-1 "$S1")")"
is "$(tr_err)" "unknown|Unexpected response from Microsoft Graph Security: the token endpoint sent no access_token|fatal" \
        "a token answer that is not JSON: unknown"
sim -X DELETE "$AAD/__sim/faults" >/dev/null

observe /tls "[$O_DOMAIN]"
is "$(tr_err)" "unknown|Unable to verify SSL certificate: Unable to get local issuer certificate|fatal" \
        "a certificate the relay's ca_file does not trust: unknown, the reason capitalize()d as upstream"

# ---- Graph errors, partial data ----------------------------------------------------------------------------
graph_case() { # MOUNT STATUS BODY-JSON EXPECTED
        reset_all
        sim -X PUT "$GRAPH/_graph/fail" --data-binary "[{\"match\":\"www.febrikam.com\",\"status\":$2,\"body\":$3}]" >/dev/null
        observe "$1" "[$O_DOMAIN]"
        is "$HTTP_STATUS|$(tr_err)" "200|$4" "$1: Graph $2 -> ${4%%|*}"
}
EM='{"error":{"code":"X","message":"the reason"}}'
graph_case /msgraph 400 "$EM" "invalid argument|Unexpected response from Microsoft Graph Security: the reason|fatal"
graph_case /msgraph 403 "$EM" "permission denied|Unexpected response from Microsoft Graph Security: the reason|fatal"
graph_case /msgraph 404 "$EM" "not found|Unexpected response from Microsoft Graph Security: the reason|fatal"
graph_case /msgraph 429 "$EM" "too many requests|Too many requests to Microsoft Graph Security have been made. Please try again later.|fatal"
graph_case /msgraph 500 '"oops"' "unknown|Unexpected response from Microsoft Graph Security: oops|fatal"
graph_case /msgraph 503 '""' "service unavailable|Service temporarily unavailable. Please try again later.|fatal"
graph_case /legacy 403 "$EM" "permission denied|Unexpected response from Microsoft Graph Security: the reason|fatal"
graph_case /legacy 503 '""' "service unavailable|Service temporarily unavailable. Please try again later.|fatal"

reset_all
sim -X POST "$GRAPH/__sim/faults" --data-binary '[{"kind":"malformed","path":"/security/"}]' >/dev/null
observe /msgraph "[$O_DOMAIN]"
is "$(tr_err)" "unknown|Unexpected response from Microsoft Graph Security: the body is not JSON|fatal" \
        "a malformed Graph body: unknown"
reset_all
sim -X POST "$GRAPH/__sim/faults" --data-binary '[{"kind":"silent","delay_ms":5000,"path":"/security/"}]' >/dev/null
observe /legacy "[$O_DOMAIN]"
is "$(tr_err)" "connection error|Unable to connect Microsoft Graph Security, validate the configured API URL: $GRAPH/v1.0/|fatal" \
        "a Graph timeout: connection error naming the API URL"
reset_all
req POST "$R/legacy/health" -H "Authorization: Bearer $GOOD"
sim -X POST "$GRAPH/__sim/faults" --data-binary '[{"kind":"status","status":404,"path":"/security/"}]' >/dev/null
req POST "$R/legacy/health" -H "Authorization: Bearer $GOOD"
is "$BODY" '{"data":{"status":"ok"}}' "legacy /health: a 404 is ok, as upstream"
req POST "$R/msgraph/health" -H "Authorization: Bearer $GOOD"
like "$(tr_err)" "^not found\|Unexpected response from Microsoft Graph Security: " \
        "hunting /health: a 404 is an error (a wrong URL)"

reset_all
sim -X PUT "$GRAPH/_graph/fail" --data-binary '[{"match":"file.bin","status":503,"body":""}]' >/dev/null
observe /msgraph "[$O_DOMAIN,$O_HOST,$O_FNAME,$O_IP]"
is "$(bodyj 'repr(["data" in d, d["errors"][0]["code"]])')" "[False, 'service unavailable']" \
        "one query for four observables fails: it fails all four, no data"
reset_all
sim -X PUT "$GRAPH/_graph/fail" --data-binary '[{"match":"file.bin","status":503,"body":""}]' >/dev/null
observe /msgraph "[$O_DOMAIN,$O_HOST,$(fillers 8),$O_FNAME,$O_IP]" "$LMAX"
is "$HTTP_STATUS" 200 "partial data: HTTP 200"
is "$(bodyj 'repr([[s["external_ids"][0][-4:] for s in d["data"]["sightings"]["docs"]], d["errors"]])')" \
        "[['8A15', '94D1'], [{'code': 'service unavailable', 'message': 'Service temporarily unavailable. Please try again later.', 'type': 'fatal'}]]" \
        "two queries, the second fails: the first one's sightings are kept next to its error"
is "$(legs_by_size)" "[[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 200], [[0, 1], 503]]" \
        "... the second query covered the failed observable and the one after it"
reset_all
sim -X PUT "$GRAPH/_graph/fail" --data-binary '[{"match":"www.febrikam.com","status":429,"body":{}}]' >/dev/null
observe /legacy "[$O_DOMAIN,$O_HOST]"
is "$(bodyj 'repr(["data" in d, d["errors"][0]["code"]])')" "[False, 'too many requests']" \
        "the first observable failing: no data, only the error"

# the first query answered 429 while the others are slow: the later queries
# are dropped (queued) or cancelled (in flight); six queries of ten
reset_all
sim -X PUT "$GRAPH/_graph/fail" --data-binary '[{"match":"www.febrikam.com","status":429,"body":{}},{"match":"*","delay_ms":1500}]' >/dev/null
t0=$(now_ms)
observe /msgraph "[$O_DOMAIN,$(fillers 59)]" "$LMAX"
t1=$(now_ms)
is "$(tr_err)" "too many requests|Too many requests to Microsoft Graph Security have been made. Please try again later.|fatal" \
        "429 on the first of six queries: its error"
cmp_num $((t1 - t0)) -lt 1200 "... the three in flight are not waited for"
req POST "$R/msgraph/version"
is "$BODY" '{"version":"2.0.3"}' "... and the relay goes on serving"
wait_until 5 eval '[ "$(sim "$GRAPH/__sim/stats" | pyj "d[\"in_flight\"]")" = 0 ]'
is "$(graph_reqs | pyj 'repr([len(d) <= 4, [r["path"] for r in d if any(("10.77.%d.1\\\"" % i) in r["body"] for i in range(40, 60))]])')" \
        "[True, []]" "... the queued queries (observables 41 to 60, max_connections = 4) are never sent"

# ---- concurrency and the connection cap ------------------------------------------------------------------
reset_all
observe /msgraph "[$O_DOMAIN]"
sim -X DELETE "$GRAPH/__sim/requests" >/dev/null
sim -X POST "$GRAPH/__sim/faults" --data-binary '[{"kind":"latency","delay_ms":400,"path":"/security/"}]' >/dev/null
t0=$(now_ms)
observe /msgraph "[$O_DOMAIN,$O_FNAME,$O_FPATH,$O_HOST,$O_SHA,$O_URL,$O_IP,$O_DOMAIN]"
t1=$(now_ms)
is "$(bodyj 'd["data"]["sightings"]["count"]')|$(graph_reqs | pyj 'len(d)')" "10|1" \
        "eight observables: all answered by one 400 ms query"
cmp_num $((t1 - t0)) -lt 1000 "... in one round"
sim -X DELETE "$GRAPH/__sim/requests" >/dev/null
t0=$(now_ms)
observe /msgraph "[$O_DOMAIN,$O_FNAME,$O_FPATH,$O_HOST,$O_SHA,$O_URL,$O_IP,$(fillers 53)]" "$LMAX"
t1=$(now_ms)
is "$(bodyj 'd["data"]["sightings"]["count"]')|$(graph_reqs | pyj 'len(d)')" "9|6" \
        "sixty observables at the 10,000 take: six queries, all answered"
is "$(graph_reqs | pyj 'max(r["concurrent"] for r in d)')" 4 "the simulator saw the queries overlap, up to max_connections = 4"
cmp_num $((t1 - t0)) -lt 1600 "six 400 ms queries in about two rounds, not six"

# ---- JWT (the full matrix is in test-relay-spycloud.sh) ------------------------------------------------
PFX='authorization error|Authorization failed: '
reset_all
req POST "$R/msgraph/observe/observables" --data-binary '[{"type":"email","value":"a@b.c"}]'
is "$(tr_err)" "${PFX}Authorization header is missing|fatal" "Graph checks the JWT even for unsupported-only input"
observe /msgraph "[$O_DOMAIN]" "$(token '{"tenant_id":"t","application_id":"a","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"}')"
is "$(tr_err)" "${PFX}Wrong JWT payload structure|fatal" "a token without client_secret"
observe /msgraph "[$O_DOMAIN]" "$(token "$(claims "$T1" app-1 "$S1")" --exp-in -3600)"
is "$(tr_err)" "${PFX}JWT has expired|fatal" "an expired token"
is "$(graph_reqs | pyj 'len(d)')|$(n_token_calls)" "0|0" "no Microsoft call for a refused token"
observe /msgraph 'not json'
is "$(tr_err)" 'invalid argument|Invalid JSON payload received. {"_schema": ["Invalid input type."]}|fatal' \
        "a body that is not JSON: Graph's message, no trailing dot"

# ---- secrets, shutdown -----------------------------------------------------------------------------------
like "$(cat "$T/azuread.log")" "client_secret=$S1" "the client secret did reach the token endpoint"
unlike "$(cat "$DAEMON_ERR")" "$S1|secret-[234]|wrong-secret|sim\\.ey" "no client secret or access token in the daemon's log"
like "$(cat "$DAEMON_ERR")" "relay graph: token for tenant" "the log names the tenant of a token fetch"

reset_all
sim -X POST "$GRAPH/__sim/faults" --data-binary '[{"kind":"silent","delay_ms":10000,"path":"/security/"}]' >/dev/null
curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $GOOD" \
        --data-binary "[$O_DOMAIN]" "$R/msgraph/observe/observables" >"$T/inflight.status" &
bgpid=$!
wait_until 5 eval 'graph_reqs | grep -q runHunting'
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM with a Graph call in flight: exit 0"
wait $bgpid
is "$(cat "$T/inflight.status")" 503 "the request in flight gets 503"
unlike "$(cat "$DAEMON_ERR")" 'LeakSanitizer|runtime error|AddressSanitizer|uv_loop_close' \
        "no leak, sanitizer report or open handle at exit"
