#!/bin/bash
# SPDX-License-Identifier: MIT
# The SpyCloud relay end to end (relays.md §1–§6, §8): secrespd serving
# three relays (RS256 at /spycloud and a paced one at /paced on a shared
# listener, HS256 alone at / on its own listener, all on port 0), the JWKS
# host simulator (tests/sim/jwks_sim.py) and the SpyCloud simulator
# (tests/sim/spycloud_sim.py), both over HTTPS with a CA made here; tokens
# signed here (tests/functional/relay/mktoken.py).  Asserts on the HTTP
# answers and on what the simulators logged.
. "$(dirname "$0")/lib.sh"

plan 115

command -v curl >/dev/null || skip_all "curl not found"
command -v openssl >/dev/null || skip_all "openssl not found"

SIM_DIR=$top_srcdir/tests/sim
MKTOKEN=$FUNC_DIR/relay/mktoken.py
LOG_TARGET=stderr

"$SIM_DIR/mkca.sh" "$T/pki" >/dev/null 2>&1 || bail_out "mkca.sh failed"
mkdir -p "$T/keys"
for k in k1 k2; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/$k.pem" 2>/dev/null ||
                bail_out "openssl genpkey failed"
done

start_sim() { # NAME SCRIPT ARGS...
        local name=$1 script=$2
        shift 2
        "$PY" "$SIM_DIR/$script" --port-file "$T/$name.port" --log "$T/$name.log" \
                --tls-cert "$T/pki/server.pem" --tls-key "$T/pki/server.key" "$@" 2>"$T/$name.err" &
        track_pid $!
        wait_until 10 test -s "$T/$name.port" || bail_out "$name simulator did not start: $(cat "$T/$name.err")"
}
start_sim jwks jwks_sim.py --key "k1=$T/keys/k1.pem" --key "k2=$T/keys/k2.pem" \
        --host-keys "visibility.amp.cisco.com=k1:kid-1" --host-keys "evil.example.com=k1:kid-1"
start_sim spycloud spycloud_sim.py --api-key spycloud-test-key
JP=$(cat "$T/jwks.port")
SP=$(cat "$T/spycloud.port")
SIM=https://127.0.0.1:$SP
SECRET=relay-hs256-test-secret

make_conf "$T/secrespd.conf" \
        "http: { ca_file = \"$T/pki/ca.pem\"; max_host_connections = 16; };" \
        'relay_server: { listen = [ "127.0.0.1:0" ]; max_body = 4096; idle_timeout = "5s"; };' \
        "relays = (
  { name = \"spycloud\"; type = \"spycloud\"; public_url = \"http://relay.test/\";
    jwks_url_template = \"https://127.0.0.1:$JP/{host}/.well-known/jwks\";
    url = \"$SIM/enterprise-v2\"; timeout = \"2s\"; rate_limit = 1000; rate_burst = 100; },
  { name = \"paced\"; type = \"spycloud\"; mount = \"/paced\";
    jwks_url_template = \"https://127.0.0.1:$JP/{host}/.well-known/jwks\";
    url = \"$SIM/enterprise-v2/\"; rate_limit = 2; rate_burst = 1; },
  { name = \"legacy\"; type = \"spycloud\"; mount = \"/\"; listen = [ \"127.0.0.1:0\" ];
    auth = \"hs256\"; hs256_secret = \"env:RELAY_SECRET\"; url = \"$SIM/enterprise-v2/\"; },
  { name = \"cached\"; type = \"spycloud\"; mount = \"/cached\"; public_url = \"http://relay.test/\";
    jwks_url_template = \"https://127.0.0.1:$JP/{host}/.well-known/jwks\";
    url = \"$SIM/enterprise-v2/\"; cache_ttl = \"1m\"; cache_max = 100; max_connections = 2; }
);"
DAEMON_ENV=(RELAY_SECRET=$SECRET)

RELAY_SECRET=$SECRET run "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 0 "secrespd -n accepts the relay settings" "$RUN_ERR"

start_ready "$CONF"
ctl status --json >"$T/status.json" 2>&1
RP=$(pyj 'd["relays"][0]["listen"][0].rsplit(":", 1)[1]' <"$T/status.json" 2>/dev/null)
LP=$(pyj 'd["relays"][2]["listen"][0].rsplit(":", 1)[1]' <"$T/status.json" 2>/dev/null)
like "$RP" '^[0-9]+$' "status --json: relays[].listen gives the port chosen for port 0"
isnt "$LP" "$RP" "the HS256 relay has its own listener"
is "$(pyj 'repr([r["name"] + ":" + r["type"] + ":" + r["mount"] for r in d["relays"]])' <"$T/status.json")" \
        "['spycloud:spycloud:/spycloud', 'paced:spycloud:/paced', 'legacy:spycloud:/', 'cached:spycloud:/cached']" "status lists the relays"
R=http://127.0.0.1:$RP
L=http://127.0.0.1:$LP

# ---- helpers ----------------------------------------------------------------------
# req METHOD URL [curl args]: HTTP_STATUS and BODY (BODY_NL=1 when it ends with a newline)
req() {
        local m=$1 u=$2
        shift 2
        HTTP_STATUS=$(curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$u")
        BODY=$(cat "$T/body")
        BODY_NL=0
        [ -s "$T/body" ] && [ "$(tail -c 1 "$T/body" | od -An -c | tr -d ' ')" = '\n' ] && BODY_NL=1
}
CLAIMS='{"key":"spycloud-test-key","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"}'
token() { # [CLAIMS] [mktoken args]
        local c=${1:-$CLAIMS}
        shift || true
        "$PY" "$MKTOKEN" --key "$T/keys/k1.pem" --kid kid-1 --exp-in 300 "$@" "$c"
}
GOOD=$(token)
observe() { # URL BODY [TOKEN]
        req POST "$1/observe/observables" -H "Authorization: Bearer ${3:-$GOOD}" \
                -H 'Content-Type: application/json' --data-binary "$2"
}
sim() { curl -s --cacert "$T/pki/ca.pem" "$@"; }
sim_reset() { sim -X POST "$SIM/__sim/reset" >/dev/null; }
sim_fault() { sim -X POST "$SIM/__sim/faults" --data-binary "$1" >/dev/null; }
sim_requests() { sim "$SIM/__sim/requests"; }
# the TR error of BODY: "code|message|type"
tr_err() { printf '%s' "$BODY" | pyj '"|".join([d["errors"][0]["code"], d["errors"][0]["message"], d["errors"][0]["type"]])'; }
# BODY as jsonify prints it: sorted keys, compact, newline
canonical() { printf '%s' "$BODY" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",", ":")))'; }

# ---- /version, /watchdog, 404, 405 ---------------------------------------------------------
req POST "$R/spycloud/version"
is "$HTTP_STATUS $BODY" '200 {"version":"2.0.5"}' "POST /version: the original's version, no auth"
is "$BODY_NL" 1 "answers end with a newline, as jsonify"
req GET "$R/spycloud/watchdog" -H 'Health-Check: ping-42'
is "$HTTP_STATUS $BODY" '200 {"data":"ping-42"}' "GET /watchdog echoes Health-Check"
req GET "$R/spycloud/watchdog"
is "$HTTP_STATUS $BODY" '200 {"errors":[{"code":"health check failed","message":"Invalid Health Check","type":"fatal"}]}' \
        "GET /watchdog without Health-Check: the TR error, HTTP 200"
req GET "$R/spycloud/health"
is "$HTTP_STATUS" 405 "GET /health: 405"
like "$BODY" 'werkzeug.exceptions.MethodNotAllowed' "405 body is werkzeug's"
req POST "$R/spycloud/respond/observables" -H "Authorization: Bearer $GOOD"
is "$HTTP_STATUS" 404 "a removed endpoint: 404"
like "$BODY" 'werkzeug.exceptions.NotFound' "404 body is werkzeug's"

# ---- /health ---------------------------------------------------------------------------------
sim_reset
req POST "$R/spycloud/health" -H "Authorization: Bearer $GOOD"
is "$HTTP_STATUS $BODY" '200 {"data":{"status":"ok"}}' "POST /health with a good token: ok"
sim_requests >"$T/reqs.json"
is "$(pyj 'repr([r["path"] for r in d])' <"$T/reqs.json")" "['/enterprise-v2/watchlist/example.org']" \
        "/health calls GET watchlist/example.org"
is "$(pyj 'repr([d[0]["headers"].get(h) for h in ("x-api-key", "accept", "user-agent")])' <"$T/reqs.json")" \
        "['spycloud-test-key', 'application/json', 'SecureX Threat Response Integrations <tr-integrations-support@cisco.com>']" \
        "upstream calls carry the JWT's key, Accept and the originals' User-Agent"
req POST "$R/spycloud/health/" -H "Authorization: Bearer $GOOD"
is "$BODY" '{"data":{"status":"ok"}}' "SpyCloud's trailing slash rule: /health/ works"
sim_fault '[{"kind":"status","status":500,"path":"watchlist"}]'
req POST "$R/spycloud/health" -H "Authorization: Bearer $GOOD"
is "$(tr_err)" "internal error|The Spycloud internal error.|fatal" "/health: upstream 500 -> internal error"

# ---- observe: the upstream tests' data -------------------------------------------------------------
sim_reset
observe "$R/spycloud" '[{"type":"email","value":"admin@example.org"}]'
is "$HTTP_STATUS" 200 "observe admin@example.org: HTTP 200"
is "$(printf '%s' "$BODY" | pyj 'repr([d["data"]["sightings"]["count"], d["data"]["indicators"]["count"], "errors" in d])')" \
        "[2, 2, False]" "2 sightings and 2 indicators, no errors"
is "$(printf '%s' "$BODY" | pyj 'repr([s["description"] for s in d["data"]["sightings"]["docs"]])')" \
        "['Present in Vidar Stealer', 'Present in Russian Password Stealer']" "sightings newest first, with their catalogs"
is "$(printf '%s' "$BODY" | pyj 'repr([i["id"] for i in d["data"]["indicators"]["docs"]])')" \
        "['transient:indicator-5dc84da0-3f5f-5d29-a58f-4c735c6fe393', 'transient:indicator-16df0084-14f8-5b10-98db-79797ad8cc1d']" \
        "indicator ids are the originals' uuid5"
is "$(printf '%s' "$BODY" | pyj 'd["data"]["sightings"]["docs"][0]["observed_time"]["start_time"]')" \
        "2020-04-16T00:00:00.000000Z" "observed time with microseconds"
is "$BODY" "$(canonical)" "the body is sorted, compact JSON"
sim_requests >"$T/reqs.json"
is "$(pyj 'repr(sorted(r["path"] for r in d))' <"$T/reqs.json")" \
        "['/enterprise-v2/breach/catalog/17494', '/enterprise-v2/breach/catalog/17551', '/enterprise-v2/breach/data/emails/admin@example.org']" \
        "one breach call, then one call per catalog"

# a catalog shared by records and an empty one: fetched once each, one warning
sim_reset
observe "$R/spycloud" '[{"type":"EMAIL","value":"someone@example.org"},{"type":"email","value":"someone@example.org"}]'
is "$(printf '%s' "$BODY" | pyj 'repr([d["data"]["sightings"]["count"], d["data"]["indicators"]["count"], d["errors"]])')" \
        "[3, 1, [{'code': 'not found', 'message': 'SpyCloud did not return results for 99999', 'type': 'warning'}]]" \
        "type lower-cased, duplicates dropped; one warning for the empty catalog"
is "$(sim_requests | pyj 'repr(sorted(r["path"] for r in d))')" \
        "['/enterprise-v2/breach/catalog/17551', '/enterprise-v2/breach/catalog/99999', '/enterprise-v2/breach/data/emails/someone@example.org']" \
        "each distinct catalog fetched once"

sim_reset
observe "$R/spycloud" '[{"type":"email","value":"admin@example.org"},{"type":"email","value":"someone@example.org"}]'
is "$(printf '%s' "$BODY" | pyj 'repr([d["data"]["sightings"]["count"], d["data"]["indicators"]["count"]])')" "[5, 2]" \
        "two e-mails: 5 sightings, indicators deduplicated over the response"
is "$(sim_requests | pyj 'len([r for r in d if r["path"].endswith("/catalog/17551")])')" 1 \
        "a catalog shared by two e-mails is fetched once per request"

sim_reset
observe "$R/spycloud" '[{"type":"email","value":"nobody@example.org"}]'
is "$BODY" '{"data":{}}' "an e-mail without records: {\"data\":{}}"

# ---- filtering and body validation (§2.6, §8.1) ---------------------------------------------------------
sim_reset
req POST "$R/spycloud/observe/observables" --data-binary '[{"type":"ip","value":"1.1.1.1"}]'
is "$BODY" '{"data":{}}' "nothing supported: {\"data\":{}} without auth"
is "$(sim_requests | pyj 'len(d)')" 0 "... and no upstream call"
observe "$R/spycloud" 'not json'
is "$(tr_err)" 'invalid argument|Invalid JSON payload received. {"_schema": ["Invalid input type."]}.|fatal' \
        "a body that is not JSON: invalid argument (SpyCloud's trailing dot)"
observe "$R/spycloud" '[{"type":"email"}]'
is "$(tr_err)" 'invalid argument|Invalid JSON payload received. {"0": {"value": ["Missing data for required field."]}}.|fatal' \
        "a missing value"
observe "$R/spycloud" '[{"type":"email","value":"a@b.c","x":1}]'
is "$(tr_err)" 'invalid argument|Invalid JSON payload received. {"0": {"x": ["Unknown field."]}}.|fatal' \
        "an unknown field"
observe "$R/spycloud" '[{"type":"","value":""}]'
is "$(tr_err)" 'invalid argument|Invalid JSON payload received. {"0": {"value": ["Field may not be blank."], "type": ["Field may not be blank."]}}.|fatal' \
        "blank fields"

# ---- JWT failures: each its TR error, HTTP 200 (§4, §9) ---------------------------------------------------
EMAIL='[{"type":"email","value":"admin@example.org"}]'
PFX='authorization error|Authorization failed: '
DECODE='Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region.'
WRONGHOST='Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure'
auth_case() { # DESC EXPECTED-MESSAGE curl-args...
        local desc=$1 want=$2
        shift 2
        req POST "$R/spycloud/observe/observables" --data-binary "$EMAIL" "$@"
        is "$HTTP_STATUS|$(tr_err)" "200|$PFX$want|fatal" "JWT: $desc"
}
sim_reset
auth_case "missing header" "Authorization header is missing"
auth_case "wrong type" "Wrong authorization type" -H 'Authorization: Basic abc'
auth_case "three parts" "Wrong authorization type" -H 'Authorization: Bearer a b'
auth_case "malformed" "Wrong JWT structure" -H 'Authorization: Bearer abc.def'
auth_case "unknown kid" "kid from JWT header not found in API response" \
        -H "Authorization: Bearer $("$PY" "$MKTOKEN" --key "$T/keys/k1.pem" --kid kid-9 --exp-in 300 "$CLAIMS")"
auth_case "bad signature" "$DECODE" -H "Authorization: Bearer $(token "$CLAIMS" --bad-sig)"
auth_case "signed by another key" "$DECODE" \
        -H "Authorization: Bearer $("$PY" "$MKTOKEN" --key "$T/keys/k2.pem" --kid kid-1 --exp-in 300 "$CLAIMS")"
auth_case "wrong aud" "Wrong configuration-token-audience" \
        -H "Authorization: Bearer $(token '{"key":"spycloud-test-key","jwks_host":"visibility.amp.cisco.com","aud":"http://other"}')"
auth_case "no aud" "Wrong configuration-token-audience" \
        -H "Authorization: Bearer $(token '{"key":"spycloud-test-key","jwks_host":"visibility.amp.cisco.com"}')"
auth_case "expired" "JWT has expired" -H "Authorization: Bearer $(token "$CLAIMS" --exp-in -3600)"
auth_case "alg none" "$DECODE" -H "Authorization: Bearer $("$PY" "$MKTOKEN" --alg none --kid kid-1 "$CLAIMS")"
auth_case "HS256 against an RS256 relay" "$DECODE" \
        -H "Authorization: Bearer $("$PY" "$MKTOKEN" --alg HS256 --secret "$SECRET" --kid kid-1 "$CLAIMS")"
auth_case "jwks_host off the allow-list" "$WRONGHOST" \
        -H "Authorization: Bearer $(token '{"key":"spycloud-test-key","jwks_host":"evil.example.com","aud":"http://relay.test"}')"
auth_case "no jwks_host" "jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type" \
        -H "Authorization: Bearer $(token '{"key":"spycloud-test-key","aud":"http://relay.test"}')"
auth_case "no key claim" "Wrong JWT payload structure" \
        -H "Authorization: Bearer $(token '{"jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"}')"
is "$(sim_requests | pyj 'len(d)')" 0 "no upstream call for a refused token"
is "$(curl -s --cacert "$T/pki/ca.pem" "https://127.0.0.1:$JP/__sim/requests?path=/evil.example.com/.well-known/jwks" | pyj 'len(d)')" \
        0 "a jwks_host off the allow-list is never fetched"
req POST "$R/spycloud/health"
is "$HTTP_STATUS|$(tr_err)" "200|${PFX}Authorization header is missing|fatal" "/health checks the JWT first"

# ---- upstream status mapping (§8.3) ------------------------------------------------------------------------
status_case() { # STATUS BODY-JSON EXPECTED
        sim_reset
        sim_fault "[{\"kind\":\"status\",\"status\":$1,\"body\":$2,\"path\":\"/breach/\"}]"
        observe "$R/spycloud" "$EMAIL"
        is "$HTTP_STATUS|$(tr_err)" "200|$3" "upstream $1 -> ${3%%|*}"
}
status_case 401 '{"message":"Unauthorized"}' "authorization error|Authorization failed: Unauthorized|fatal"
status_case 403 '{"message":"Forbidden"}' "authorization error|Authorization failed: Forbidden|fatal"
status_case 404 '{"message":"nope"}' "not found|The Spycloud not found.|fatal"
status_case 429 '{"message":"slow down"}' "too many requests|Too many requests have been made to Spycloud. Please, try again later.|fatal"
status_case 500 '{"message":"boom"}' "internal error|The Spycloud internal error.|fatal"
status_case 502 '{"message":"Bad gateway"}' "unknown|{'message': 'Bad gateway'}|fatal"
sim_reset
observe "$R/spycloud" "$EMAIL" "$(token '{"key":"wrong-key","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"}')"
is "$(tr_err)" "authorization error|Authorization failed: Forbidden|fatal" "a key SpyCloud refuses -> its 403 message"
sim_reset
sim_fault '[{"kind":"malformed","path":"/breach/"}]'
observe "$R/spycloud" "$EMAIL"
is "$(tr_err)" "unknown|Unexpected response from Spycloud: the body is not JSON|fatal" "a malformed body -> unknown"
sim_reset
sim_fault '[{"kind":"status","status":500,"path":"/catalog/17494"}]'
observe "$R/spycloud" "$EMAIL"
is "$(tr_err)" "internal error|The Spycloud internal error.|fatal" "a catalog call failing -> its error"
sim_reset
sim_fault '[{"kind":"status","status":403,"body":{"message":"Forbidden"},"path":"someone"}]'
observe "$R/spycloud" '[{"type":"email","value":"admin@example.org"},{"type":"email","value":"someone@example.org"}]'
is "$(printf '%s' "$BODY" | pyj 'repr([d["data"]["sightings"]["count"], d["errors"][0]["message"], len(d["errors"])])')" \
        "[2, 'Authorization failed: Forbidden', 1]" "the second e-mail fails: the first one's data is kept next to the error"
sim_reset
sim_fault '[{"kind":"silent","delay_ms":6000,"path":"/breach/"}]'
t0=$(now_ms)
observe "$R/spycloud" "$EMAIL"
t1=$(now_ms)
is "$(tr_err)" "connection error|Unable to connect to Spycloud: $SIM/enterprise-v2/breach/data/emails/admin@example.org|fatal" \
        "an upstream timeout -> connection error"
cmp_num $((t1 - t0)) -lt 4500 "... after the relay's 2 s timeout"

# ---- CTR_ENTITIES_LIMIT (§5) --------------------------------------------------------------------------------------
limit_case() { # CLAIM-JSON EXPECTED-SIGHTINGS DESC
        sim_reset
        observe "$R/spycloud" "$EMAIL" \
                "$(token "{\"key\":\"spycloud-test-key\",\"jwks_host\":\"visibility.amp.cisco.com\",\"aud\":\"http://relay.test\",\"CTR_ENTITIES_LIMIT\":$1}")"
        is "$(printf '%s' "$BODY" | pyj 'd["data"]["sightings"]["count"]')" "$2" "CTR_ENTITIES_LIMIT $1: $3"
}
limit_case 1 1 "one sighting"
limit_case '" 1 "' 1 "a string with blanks, as int()"
limit_case 1.7 1 "a float truncated"
limit_case null 2 "null: the default"
limit_case 0 2 "0: the default"
limit_case '"x"' 2 "not a number: the default"
sim_reset
observe "$R/spycloud" "$EMAIL" \
        "$(token '{"key":"spycloud-test-key","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test","CTR_ENTITIES_LIMIT":1}')"
is "$(printf '%s' "$BODY" | pyj 'repr([d["data"]["indicators"]["count"], d["data"]["sightings"]["docs"][0]["description"]])')" \
        "[1, 'Present in Vidar Stealer']" "the limit keeps the newest record, and only its catalog"
is "$(sim_requests | pyj 'len([r for r in d if "/catalog/" in r["path"]])')" 1 "catalogs of dropped records are not fetched"

# ---- concurrency --------------------------------------------------------------------------------------------------
sim_reset
sim_fault '[{"kind":"latency","delay_ms":400,"path":"/breach/"}]'
t0=$(now_ms)
observe "$R/spycloud" '[{"type":"email","value":"e1@example.org"},{"type":"email","value":"e2@example.org"},{"type":"email","value":"e3@example.org"},{"type":"email","value":"e4@example.org"},{"type":"email","value":"e5@example.org"}]'
t1=$(now_ms)
is "$BODY" '{"data":{}}' "five e-mails without records"
cmp_num "$(sim_requests | pyj 'max(r["concurrent"] for r in d)')" -ge 3 "the simulator saw the e-mails' calls overlap"
cmp_num $((t1 - t0)) -lt 1600 "five 400 ms lookups take well under 5 x 400 ms"

# the cap on calls in flight (the cached relay: max_connections = 2)
sim_reset
sim_fault '[{"kind":"latency","delay_ms":400,"path":"/breach/"}]'
t0=$(now_ms)
observe "$R/cached" '[{"type":"email","value":"c1@example.org"},{"type":"email","value":"c2@example.org"},{"type":"email","value":"c3@example.org"},{"type":"email","value":"c4@example.org"},{"type":"email","value":"c5@example.org"}]'
t1=$(now_ms)
is "$BODY" '{"data":{}}' "max_connections = 2: five e-mails answered"
is "$(sim_requests | pyj 'len(d)') $(sim_requests | pyj 'max(r["concurrent"] for r in d)')" "5 2" \
        "max_connections = 2: five calls, never more than two at once"
cmp_num $((t1 - t0)) -ge 1150 "max_connections = 2: five 400 ms calls take three rounds"

# two clients at once
sim_reset
sim_fault '[{"kind":"latency","delay_ms":300,"path":"/breach/"}]'
# (the background client writes its own file: req() uses $T/body)
curl -s -o "$T/bg.body" -X POST -H "Authorization: Bearer $GOOD" -H 'Content-Type: application/json' \
        --data-binary "$EMAIL" "$R/spycloud/observe/observables" &
bgpid=$!
observe "$R/spycloud" "$EMAIL"
wait $bgpid
is "$(printf '%s' "$BODY" | pyj 'd["data"]["sightings"]["count"]') $(pyj 'd["data"]["sightings"]["count"]' <"$T/bg.body")" \
        "2 2" "concurrent requests are answered"

# ---- the per-key rate limit ---------------------------------------------------------------------------------------
sim_reset
t0=$(now_ms)
observe "$R/paced" "$EMAIL" "$(token '{"key":"spycloud-test-key","jwks_host":"visibility.amp.cisco.com","aud":"http://127.0.0.1:'"$RP"'"}')"
t1=$(now_ms)
is "$(printf '%s' "$BODY" | pyj 'd["data"]["sightings"]["count"]')" 2 "paced relay (aud from the Host header): answered"
is "$(sim_requests | pyj 'repr(len(d) == 3 and all(b["time"] - a["time"] >= 0.45 for a, b in zip(d, d[1:])))')" \
        True "rate_limit = 2/s, burst 1: upstream calls 0.5 s apart"
cmp_num $((t1 - t0)) -ge 900 "... so three calls take about 1 s"

# ---- HS256 relay alone at / on its own listener ------------------------------------------------------------------
sim_reset
HS=$("$PY" "$MKTOKEN" --alg HS256 --secret "$SECRET" '{"key":"spycloud-test-key"}')
req POST "$L/health" -H "Authorization: Bearer $HS"
is "$BODY" '{"data":{"status":"ok"}}' "HS256 relay at /: a good legacy token"
req POST "$L/health" -H "Authorization: Bearer $GOOD"
is "$(tr_err)" "authorization error|Authorization failed: Failed to decode JWT with provided key|fatal" \
        "HS256 relay: an RS256 token gets the legacy message"
req POST "$L/health" -H "Authorization: Bearer $("$PY" "$MKTOKEN" --alg HS256 --secret wrong '{"key":"k"}')"
is "$(tr_err)" "authorization error|Authorization failed: Failed to decode JWT with provided key|fatal" \
        "HS256 relay: a token signed with another secret"
req POST "$R/health" -H "Authorization: Bearer $HS"
is "$HTTP_STATUS" 404 "the HS256 relay is not on the shared listener"
req POST "$L/spycloud/health" -H "Authorization: Bearer $GOOD"
is "$HTTP_STATUS" 404 "the RS256 relay is not on the HS256 relay's listener"

# ---- limits and clients going away -----------------------------------------------------------------------------------
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
req POST "$R/spycloud/observe/observables" -H "Authorization: Bearer $GOOD" --data-binary "[\"$big\"]"
is "$HTTP_STATUS" 413 "a body over relay_server.max_body: 413"
req POST "$R/spycloud/version"
is "$HTTP_STATUS" 200 "the server still answers afterwards"

sim_reset
sim_fault '[{"kind":"silent","delay_ms":3000,"path":"/breach/"}]'
curl -s -m 0.5 -o /dev/null -X POST -H "Authorization: Bearer $GOOD" --data-binary "$EMAIL" \
        "$R/spycloud/observe/observables"
sim -X DELETE "$SIM/__sim/faults" >/dev/null
req POST "$R/spycloud/health" -H "Authorization: Bearer $GOOD"
is "$BODY" '{"data":{"status":"ok"}}' "a client that went away mid-request does not disturb the next one"

ctl status --json >"$T/status.json"
cmp_num "$(pyj 'd["relays"][0]["requests"]' <"$T/status.json")" -ge 50 "status: relays[].requests counted"
cmp_num "$(pyj 'd["relays"][0]["errors"]' <"$T/status.json")" -ge 20 "status: relays[].errors counted"
cmp_num "$(pyj 'd["relays"][0]["upstream_calls"]' <"$T/status.json")" -ge 10 "status: relays[].upstream_calls counted"
cmp_num "$(pyj 'd["relays"][0]["upstream_errors"]' <"$T/status.json")" -ge 5 "status: relays[].upstream_errors counted"

# ---- the response cache (cache_ttl): per credential and URL, good answers only ------------------------------------------
sim_reset
breaches() { sim_requests | pyj 'len([r for r in d if "/breach/data/" in r["path"]])'; }
# sightings get fresh transient ids each time: compare without them
noids() { printf '%s' "$1" | pyj 'json.dumps([{k: v for k, v in x.items() if k != "id"} for x in d["data"]["sightings"]["docs"]] + d["data"]["indicators"]["docs"], sort_keys=True)'; }
observe "$R/cached" "$EMAIL"
first=$(noids "$BODY")
observe "$R/cached" "$EMAIL"
is "$(noids "$BODY")" "$first" "cache: the second answer is the first one (transient ids aside)"
is "$(breaches)" 1 "cache: one upstream breach lookup for two requests"
observe "$R/cached" "$EMAIL" "$(token '{"key":"another-key","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"}')"
is "$(breaches)" 2 "cache: another credential is not served the first one's answer"
observe "$R/cached" "$EMAIL" "$(token '{"key":"another-key","jwks_host":"visibility.amp.cisco.com","aud":"http://relay.test"}')"
is "$(breaches)" 3 "cache: a failed answer is not kept"
ctl status --json >"$T/status.json"
is "$(pyj '[r["cache_hits"] for r in d["relays"] if r["name"] == "cached"][0]' <"$T/status.json")" 3 \
        "cache: status counts the hits (the breach and its two catalogs)"

# ---- GET /metrics (Prometheus text) on every relay listener -------------------------------------------------------------
curl -s -D "$T/metrics.h" -o "$T/metrics" "$R/metrics"
like "$(cat "$T/metrics.h")" '^HTTP/1\.1 200' "GET /metrics: 200"
like "$(cat "$T/metrics.h")" 'Content-Type: text/plain; version=0\.0\.4' "GET /metrics: the exposition content type"
m_obs_ok() { grep -E "^secresp_relay_requests_total\{relay=\"spycloud\",type=\"spycloud\",route=\"observe\",outcome=\"ok\"\} " "$1" | awk '{print $2}'; }
before=$(m_obs_ok "$T/metrics")
cmp_num "${before:-0}" -ge 1 "metrics: observe/ok requests counted"
req POST "$R/spycloud/observe/observables" -H "Authorization: Bearer $GOOD" --data-binary "$EMAIL"
curl -s -o "$T/metrics2" "$R/metrics"
is "$(m_obs_ok "$T/metrics2")" "$((before + 1))" "metrics: one more observe/ok after one lookup"
like "$(grep -c '^secresp_relay_request_duration_seconds_bucket{relay="spycloud",type="spycloud",route="observe",le=' "$T/metrics2")" '^15$' \
        "metrics: the observe latency histogram has 15 buckets"
is "$(grep '^secresp_relay_request_duration_seconds_bucket{relay="spycloud",type="spycloud",route="observe",le="+Inf"}' "$T/metrics2" | awk '{print $2}')" \
        "$(grep '^secresp_relay_request_duration_seconds_count{relay="spycloud",type="spycloud",route="observe"}' "$T/metrics2" | awk '{print $2}')" \
        "metrics: +Inf bucket equals the count"
cmp_num "$(grep '^secresp_relay_upstream_requests_total{relay="spycloud"' "$T/metrics2" | awk '{print $2}')" -ge 10 "metrics: upstream calls"
cmp_num "$(grep '^secresp_relay_jwks_fetches_total{relay="spycloud",type="spycloud",result="ok"}' "$T/metrics2" | awk '{print $2}')" -ge 1 \
        "metrics: JWKS fetches"
unlike "$(cat "$T/metrics2")" "$GOOD|Bearer" "metrics: no token in the exposition"
req POST "$R/metrics"
is "$HTTP_STATUS" 405 "POST /metrics: 405"
req GET "$L/metrics"
like "$HTTP_STATUS $BODY" '^200 # HELP secresp_relay_requests_total' "GET /metrics on the listener of the relay mounted at /: served too"

# ---- SIGTERM with a request in flight ------------------------------------------------------------------------------
sim_reset
sim_fault '[{"kind":"silent","delay_ms":10000,"path":"/breach/"}]'
curl -s -m 5 -o "$T/inflight.body" -w '%{http_code}' -X POST -H "Authorization: Bearer $GOOD" \
        --data-binary "$EMAIL" "$R/spycloud/observe/observables" >"$T/inflight.status" &
bgpid=$!
wait_until 5 eval 'sim_requests | grep -q breach'
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM with a relay request in flight: exit 0"
cmp_num "${STOP_MS:-99999}" -lt 2500 "... within 2.5 s"
wait $bgpid
is "$(cat "$T/inflight.status")" 503 "the request in flight gets 503"
unlike "$(cat "$DAEMON_ERR")" 'LeakSanitizer|runtime error|AddressSanitizer|uv_loop_close' \
        "no leak, sanitizer report or open handle at exit"
