#!/bin/bash
# SPDX-License-Identifier: MIT
# clearpass end to end: the real secrespd against tests/sim/clearpass_sim.py.
# `responder test` (client credentials; the password grant); block by the
# host's active session only (not an old one of another device), the
# endpoint attribute and the disconnect of the active session; the token
# refused mid-run and fetched again; an unknown endpoint (permanent); 429
# and 503 ridden out; 500s retried by the reconciler; unblock, and an
# endpoint deleted from ClearPass; bad client credentials.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 36
nac_require
nsim_start clearpass --state "$FUNC_DIR/responders/clearpass-state.json"
RESP_TYPE=clearpass
# tokens expire after 4 calls (clearpass-state.json): 401s and new tokens
# come and go, and are left out of most checks
NSIM_TOKEN_RE='^/api/oauth$'
DAEMON_ENV=("CPPM_SECRET=cppm-secret" "CPPM_BAD=wrong-cppm-secret" "CPPM_PASS=api-password")
RESP_MORE=", { name = \"cppmbad\"; type = \"clearpass\"; url = \"$NSIM_URL\"; client_id = \"secresp\";
               client_secret = \"env:CPPM_BAD\"; },
             { name = \"cppmpw\"; type = \"clearpass\"; url = \"$NSIM_URL\"; client_id = \"secresp\";
               client_secret = \"env:CPPM_SECRET\"; username = \"apiuser\"; password = \"env:CPPM_PASS\"; }"
nconf "url = \"$NSIM_URL\"; client_id = \"secresp\"; client_secret = \"env:CPPM_SECRET\";"
start_ready "$CONF"

attr() { nsim_state "d['endpoints']['$1']['attributes'].get('isolated')"; }

run ctl -j responder test nac
is "$RUN_RC" 0 "responder test: exit 0"
is "$(nsim_bodies POST '^/api/oauth$' | pyj 'd["grant_type"]')" client_credentials "client credentials grant"
run ctl -j responder test cppmpw
is "$RUN_RC" 0 "responder test with the password grant: exit 0"
is "$(nsim_bodies POST '^/api/oauth$' | tail -n 1 | pyj '[d["grant_type"], d["username"]]' | tr -d ' ')" \
        '["password","apiuser"]' "password grant with the username"

# ---- block by the active session of the IP
nsim_clear
rblock 10.2.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.2.0.1: succeeded"
is "$(relements 10.2.0.1)" '["AA:AA:AA:AA:AA:01"]' "db: the active session's MAC"
is "$(attr aaaaaaaaaa01)" true "ClearPass: aa..01 isolated"
is "$(nsim_state 'd["endpoints"]["aaaaaaaaaa01"]["attributes"]["owner"]')" alice "ClearPass: other attributes kept"
is "$(attr bbbbbbbbbb01)" null "ClearPass: the old session's device untouched"
is "$(nsim_state 'd["disconnects"]' | tr -d ' ')" '["s1"]' "ClearPass: the active session disconnected"
is "$(nsim_api | awk '{print $1, $2}' | tr '\n' ';')" \
        "GET /api/session;PATCH /api/endpoint/mac-address/aa:aa:aa:aa:aa:01;GET /api/session;POST /api/session/s1/disconnect;" \
        "requests: sessions by IP, PATCH, sessions by MAC, disconnect"
is "$(nsim_get /__sim/requests | pyj 'd[0]["query"]["filter"][0]')" \
        '{"framedipaddress":"10.2.0.1","acctstoptime":{"$exists":false}}' "session filter: the IP, active only"
is "$(nsim_bodies POST disconnect | sort -u)" '{"confirm_disconnect":"1"}' "disconnect body"

# ---- the token runs out mid-run: one new token, the call goes through
nsim_clear
rblock 10.2.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.2.0.2: succeeded"
cmp_num "$(nsim_count POST '^/api/oauth$')" -ge 1 "a new token was fetched"
is "$(nsim_get /__sim/requests | pyj '[(a["path"] == c["path"], b["path"], b["status"], c["status"])
        for a, b, c in zip(d, d[1:], d[2:]) if a["status"] == 401][:1]' | tr -d ' ')" '[[true,"/api/oauth",200,200]]' \
        "after a 401: a new token, then the same request again"
is "$(nsim_state 'd["disconnects"][-1]')" s2 "the active session s2 disconnected, not s2old"

# ---- an endpoint ClearPass does not know: permanent
rblock 10.2.0.4
is "$(rstate 10.2.0.4)" failed "block 10.2.0.4 (unknown endpoint): failed at once"
like "$(rcol 10.2.0.4 last_error)" "ClearPass has no endpoint AA:AA:AA:AA:AA:04" "db: says which"

# ---- 429 then 503 on the PATCH: ridden out
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "PATCH", "nth": [1]},
              {"kind": "status", "status": 503, "method": "PATCH", "nth": [2]}]'
rblock 10.2.0.5
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.2.0.5: one call, succeeded"
is "$(nsim_api PATCH . | awk '{print $3}' | tr '\n' ' ')" "429 503 200 " "PATCH: 429, 503, 200"
is "$(attr aaaaaaaaaa05)" true "ClearPass: aa..05 isolated"

# ---- 500s past the client's retries
nsim_faults '[{"kind": "status", "status": 500, "method": "PATCH", "times": 3}]'
rblock 10.2.0.6
is "$(jget "$RUN_OUT" 'd["failed"]')" 1 "block 10.2.0.6: the first call failed"
ok "block 10.2.0.6: blocked by a later attempt" wait_state 10.2.0.6 blocked 15
like "$(rstatus 'r["last_call_error"]')" "HTTP 500" "status: last_call_error says HTTP 500"
nsim_delete /__sim/faults >/dev/null

# ---- unblock
nsim_clear
runblock 10.2.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.2.0.1: succeeded"
is "$(attr aaaaaaaaaa01)" false "ClearPass: aa..01 no longer isolated"
is "$(nsim_api GET '^/api/session$' | grep -c .)" 1 "unblock: the stored MAC, one session lookup (for the disconnect)"
is "$(rstate 10.2.0.1)" unblocked "db: unblocked"

# ---- an endpoint deleted from ClearPass: unblock succeeds
tok=$(curl -sS -H 'Content-Type: application/json' \
        --data '{"grant_type":"client_credentials","client_id":"secresp","client_secret":"cppm-secret"}' \
        "$NSIM_URL/api/oauth" | pyj 'd["access_token"]')
curl -sS -f -X DELETE -H "Authorization: Bearer $tok" "$NSIM_URL/api/endpoint/mac-address/aa-aa-aa-aa-aa-02" >/dev/null
runblock 10.2.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.2.0.2 (endpoint gone): succeeded"
is "$(rstate 10.2.0.2)" unblocked "db: unblocked"

# ---- bad client credentials: permanent, no secret anywhere
run ctl -j responder test cppmbad
is "$RUN_RC" 1 "responder test cppmbad: fails"
like "$RUN_ERR$RUN_OUT" "invalid_client" "responder test cppmbad: ClearPass's reason"
rblock 10.2.0.1 cppmbad
is "$(rstate 10.2.0.1 cppmbad)" failed "block on cppmbad: failed at once"
is "$(journal_query | grep -c -e wrong-cppm-secret -e cppm-secret -e api-password)" 0 "no secret in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
