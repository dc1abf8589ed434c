#!/bin/bash
# SPDX-License-Identifier: MIT
# cisco_amp end to end: the real secrespd against tests/sim/cisco_amp_sim.py.
# `responder test`; block by internal IP (PUT isolation with the comment and
# unlock code); already isolated (no PUT); a 409 from a concurrent change;
# isolation not available (permanent); several computers on one IP and no
# host name (permanent); 429 and 503 ridden out; 500s past the client's
# retries retried by the reconciler; a malformed answer; unblock (DELETE),
# a computer already gone from Secure Endpoint (404); a wrong API key.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

G1=11111111-aaaa-4000-8000-000000000001
G4=44444444-aaaa-4000-8000-000000000004
G6=66666666-aaaa-4000-8000-000000000006
G7=77777777-aaaa-4000-8000-000000000007
G8=88888888-aaaa-4000-8000-000000000008

plan 41
nac_require
nsim_start cisco_amp --state "$FUNC_DIR/responders/amp-state.json"
RESP_TYPE=cisco_amp
DAEMON_ENV=("AMP_KEY=amp-key" "AMP_BAD=wrong-amp-key")
RESP_MORE=", { name = \"ampbad\"; type = \"cisco_amp\"; url = \"$NSIM_URL\"; client_id = \"amp-client\";
               api_key = \"env:AMP_BAD\"; }"
nconf "url = \"$NSIM_URL\"; client_id = \"amp-client\"; api_key = \"env:AMP_KEY\"; unlock_code = \"4711\";"
start_ready "$CONF"

iso() { nsim_state "[c['isolation']['status'] for c in d['computers'] if c['connector_guid'] == '$1'][0]"; }

run ctl -j responder test nac
is "$RUN_RC" 0 "responder test: exit 0"
like "$RUN_OUT" "API v1.2.0 answers" "responder test: the API version"

# ---- block by internal IP
nsim_clear
rblock 10.1.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.1.0.1: succeeded"
is "$(relements 10.1.0.1)" "[\"$G1\"]" "db: the element is the connector guid"
is "$(nsim_reqs | awk '{print $1, $2}' | tr '\n' ';')" \
        "GET /v1/computers;GET /v1/computers/$G1/isolation;PUT /v1/computers/$G1/isolation;" \
        "requests: lookup, state, start"
is "$(nsim_get /__sim/requests | pyj '[r["query"] for r in d if r["path"] == "/v1/computers"][0]' | tr -d ' ')" \
        '{"internal_ip":["10.1.0.1"]}' "lookup by internal_ip"
is "$(nsim_state 'd["history"][0][2]' | tr -d ' ')" '{"comment":"Isolatedbysecresp","unlock_code":"4711"}' \
        "PUT body: comment and unlock code"
is "$(iso $G1)" pending_start "Secure Endpoint: pending_start"

# ---- already isolated: no PUT
nsim_clear
rblock 10.1.0.4
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.1.0.4 (isolated already): succeeded"
is "$(relements 10.1.0.4)" "[\"$G4\"]" "db: its guid"
is "$(nsim_count PUT .)" 0 "no PUT"

# ---- a concurrent change answers 409: success
nsim_clear
rblock 10.1.0.6
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.1.0.6 (409 on PUT): succeeded"
is "$(nsim_reqs PUT . | awk '{print $3}')" 409 "the PUT got 409"
is "$(relements 10.1.0.6)" "[\"$G6\"]" "db: its guid"

# ---- isolation not available: permanent
rblock 10.1.0.5
is "$(rstate 10.1.0.5)" failed "block 10.1.0.5 (isolation unavailable): failed at once"
like "$(rcol 10.1.0.5 last_error)" "isolation is not available" "db: says why"

# ---- two computers on one IP, no host name known: permanent, nothing changed
nsim_clear
rblock 10.1.0.2
is "$(rstate 10.1.0.2)" failed "block 10.1.0.2 (two computers): failed"
like "$(rcol 10.1.0.2 last_error)" "2 computers with address 10.1.0.2" "db: says two computers"
is "$(nsim_count PUT .)" 0 "no PUT"

# ---- no computer at all
rblock 10.1.0.99
like "$(rcol 10.1.0.99 last_error)" "no computer with address 10.1.0.99" "block 10.1.0.99: no computer"

# ---- 429 then 503: ridden out inside one call
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "path": "/isolation$", "nth": [1]},
              {"kind": "status", "status": 503, "path": "/isolation$", "nth": [2]}]'
rblock 10.1.0.7
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.1.0.7: one call, succeeded"
is "$(nsim_reqs "" isolation | awk '{print $1, $3}' | tr '\n' ';')" "GET 429;GET 503;GET 200;PUT 200;" \
        "GET 429, GET 503, GET, PUT"
is "$(iso $G7)" pending_start "Secure Endpoint: isolating"

# ---- 500s past the client's retries: the reconciler retries
nsim_faults '[{"kind": "status", "status": 500, "path": "/isolation$", "times": 3}]'
rblock 10.1.0.8
is "$(jget "$RUN_OUT" 'd["failed"]')" 1 "block 10.1.0.8: the first call failed"
ok "block 10.1.0.8: blocked by a later attempt" wait_state 10.1.0.8 blocked 15
like "$(rstatus 'r["last_call_error"]')" "HTTP 500" "status: last_call_error says HTTP 500"
nsim_delete /__sim/faults >/dev/null

# ---- a malformed answer: transient, retried
nsim_faults '[{"kind": "malformed", "path": "^/v1/computers$", "times": 1}]'
rblock 10.1.0.3
like "$(rcol 10.1.0.3 last_error)" "unreadable answer" "malformed lookup: the error says so"
nsim_delete /__sim/faults >/dev/null

# ---- unblock
nsim_clear
runblock 10.1.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.1.0.1: succeeded"
is "$(rstate 10.1.0.1)" unblocked "db: unblocked"
is "$(nsim_reqs | awk '{print $1, $2}' | tr '\n' ';')" \
        "GET /v1/computers/$G1/isolation;DELETE /v1/computers/$G1/isolation;" \
        "unblock: the stored guid, no lookup; state, then DELETE"
is "$(iso $G1)" pending_stop "Secure Endpoint: pending_stop"

# ---- the computer was removed from Secure Endpoint: unblock succeeds
curl -sS -f -u amp-client:amp-key -X DELETE "$NSIM_URL/v1/computers/$G4" >/dev/null
nsim_clear
runblock 10.1.0.4
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.1.0.4 (computer gone): succeeded"
# (10.1.0.3's retry after the malformed answer may land meanwhile: count G4's only)
is "$(nsim_reqs '' "$G4" | awk '{print $1, $3}' | tr '\n' ';')" "GET 404;" "one GET, 404"
is "$(rstate 10.1.0.4)" unblocked "db: unblocked"

# ---- not isolated any more (stopped in the console): no DELETE
nsim_clear
runblock 10.1.0.6
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.1.0.6: succeeded"
is "$(nsim_reqs DELETE . | awk '{print $3}')" 200 "DELETE once"

# ---- wrong API key
run ctl -j responder test ampbad
is "$RUN_RC" 1 "responder test ampbad: fails"
like "$RUN_ERR$RUN_OUT" "HTTP 401" "responder test ampbad: 401"
rblock 10.1.0.1 ampbad
is "$(rstate 10.1.0.1 ampbad)" failed "block on ampbad: failed at once"
is "$(journal_query | grep -c -e wrong-amp-key -e amp-key)" 0 "no API key in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
