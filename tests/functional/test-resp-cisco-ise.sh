#!/bin/bash
# SPDX-License-Identifier: MIT
# cisco_ise end to end: the real secrespd against tests/sim/cisco_ise_sim.py
# with ERS CSRF protection on.  `responder test`; block by MnT session
# (exact IP match, one and two sessions); the bounce then the quarantine
# policy; a MAC already quarantined; the CSRF token refused mid-block and
# fetched again; unblock, and an endpoint already cleared in ISE; 429 and
# 503 ridden out by the HTTP client; 500s past its retries retried by the
# reconciler; no MAC at all; a malformed MnT answer; a wrong password
# (permanent, the secret nowhere).
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 49
nac_require
nsim_start cisco_ise --state "$FUNC_DIR/responders/ise-state.json"
RESP_TYPE=cisco_ise
DAEMON_ENV=("ISE_PASS=ers-secret" "ISE_BAD=not-the-password")
# a second responder with a wrong password, for the permanent failure
RESP_MORE=", { name = \"isebad\"; type = \"cisco_ise\"; url = \"$NSIM_URL\"; ers_url = \"$NSIM_URL\";
               username = \"ers-admin\"; password = \"env:ISE_BAD\"; },
             { name = \"isesim\"; type = \"cisco_ise\"; simulation = true; url = \"$NSIM_URL\";
               ers_url = \"$NSIM_URL\"; username = \"ers-admin\"; password = \"env:ISE_PASS\"; }"
nconf "url = \"$NSIM_URL\"; ers_url = \"$NSIM_URL\"; username = \"ers-admin\"; password = \"env:ISE_PASS\";
       csrf = true; bounce_pause = \"0s\";"
start_ready "$CONF"

# ---- test: credentials, reachability, the policy; nothing changed
run ctl -j responder test nac
is "$RUN_RC" 0 "responder test: exit 0"
like "$RUN_OUT" "ANC policy 'Quarantine' exists" "responder test: says what it checked"
is "$(nsim_count PUT .)" 0 "responder test: no PUT"

# ---- block by MnT session, exact match (10.0.0.15 is not 10.0.0.1)
nsim_clear
rblock 10.0.0.1
is "$RUN_RC" 0 "block 10.0.0.1: exit 0"
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.0.0.1: succeeded"
is "$(rstate 10.0.0.1)" blocked "db: blocked"
is "$(relements 10.0.0.1)" '["AA:AA:AA:AA:AA:01"]' "db: the element is the session's MAC"
is "$(nsim_state 'd["endpoints"].get("AA:AA:AA:AA:AA:01")')" Quarantine "ISE: the MAC holds Quarantine"
is "$(nsim_state 'd["endpoints"].get("AA:AA:AA:AA:AA:15")')" null "ISE: 10.0.0.15's MAC untouched"
is "$(nsim_state '[h for h in d["history"] if h[1] == "AA:AA:AA:AA:AA:01"]' | tr -d ' ')" \
        '[["apply","AA:AA:AA:AA:AA:01","PortBounce"],["apply","AA:AA:AA:AA:AA:01","Quarantine"]]' \
        "ISE: PortBounce, then Quarantine"
is "$(nsim_reqs | awk '{print $1, $2}' | tr '\n' ';')" \
        "GET /admin/API/mnt/Session/ActiveList;GET /ers/config/ancendpoint/versioninfo;PUT /ers/config/ancendpoint/apply;PUT /ers/config/ancendpoint/apply;" \
        "requests: MnT, one CSRF fetch, two PUTs"
is "$(nsim_get /__sim/requests | pyj '[r["headers"].get("x-csrf-token") is not None and "JSESSIONID=" in r["headers"].get("cookie", "") for r in d if r["method"] == "PUT"]' | tr -d ' ')" \
        "[true,true]" "PUTs carry the CSRF token and its cookie"

# ---- two sessions; one MAC already quarantined in ISE; the token expires mid-block
nsim_clear
rblock 10.0.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.0.0.2: succeeded"
is "$(relements 10.0.0.2)" '["AA:AA:AA:AA:AA:2A","AA:AA:AA:AA:AA:2B"]' "db: both session MACs, normalised"
is "$(nsim_reqs PUT apply | awk '{print $3}' | tr '\n' ' ')" "204 204 204 403 500 500 500 " \
        "PUTs: one refused with a stale token (403), resent: 'already applied' (500) for the held MAC"
is "$(nsim_count GET versioninfo)" 1 "one new CSRF fetch after the 403"
is "$(nsim_state 'sorted(d["endpoints"])' | tr -d ' ')" \
        '["AA:AA:AA:AA:AA:01","AA:AA:AA:AA:AA:2A","AA:AA:AA:AA:AA:2B"]' "ISE: three MACs quarantined"

# ---- 429 then 503 on the quarantine: ridden out inside one call
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "PUT", "path": "apply$", "nth": [2]},
              {"kind": "status", "status": 503, "method": "PUT", "path": "apply$", "nth": [3]}]'
rblock 10.0.0.4
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.0.0.4: one call, succeeded"
is "$(nsim_reqs PUT apply | awk '{print $3}' | tr '\n' ' ')" "204 429 503 204 " "PUTs: 429, 503, then 204"
t429=$(nsim_get /__sim/requests | pyj '[r["time"] for r in d if r["method"] == "PUT"]')
cmp_num "$(printf '%s' "$t429" | pyj 'int((d[2] - d[1]) * 1000)')" -ge 900 "Retry-After: 1 honoured"

# ---- 500s past the client's retries: the reconciler retries
nsim_clear
nsim_faults '[{"kind": "status", "status": 500, "method": "PUT", "path": "apply$", "times": 6}]'
rblock 10.0.0.5
is "$(jget "$RUN_OUT" 'd["failed"]')" 1 "block 10.0.0.5: the first call failed"
ok "block 10.0.0.5: blocked by a later attempt" wait_state 10.0.0.5 blocked 15
cmp_num "$(rcol 10.0.0.5 attempts)" -ge 2 "db: two attempts or more"
like "$(rstatus 'r["last_call_error"]')" "HTTP 500" "status: last_call_error says HTTP 500"
cmp_num "$(rstatus 'r["calls_failed"]')" -ge 1 "status: calls_failed counted"
nsim_delete /__sim/faults >/dev/null

# ---- unblock
nsim_clear
runblock 10.0.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.0.0.1: succeeded"
is "$(rstate 10.0.0.1)" unblocked "db: unblocked"
is "$(nsim_state 'd["endpoints"].get("AA:AA:AA:AA:AA:01")')" null "ISE: policy cleared"
is "$(nsim_bodies PUT clear | pyj 'd["OperationAdditionalData"]["additionalData"]' | tr -d ' ')" \
        '[{"name":"macAddress","value":"AA:AA:AA:AA:AA:01"},{"name":"policyName","value":"Quarantine"}]' \
        "clear body: the stored MAC and the policy"
is "$(nsim_count GET ActiveList)" 0 "unblock uses the stored MAC, no MnT lookup"

# ---- an endpoint cleared in ISE behind our back: unblock still succeeds
hdr=$T/csrf.hdr
curl -sS -u ers-admin:ers-secret -H 'X-CSRF-TOKEN: fetch' -H 'Accept: application/json' -D "$hdr" -o /dev/null \
        "$NSIM_URL/ers/config/ancendpoint/versioninfo"
tok=$(sed -n 's/^X-CSRF-Token: *//Ip' "$hdr" | tr -d '\r')
cookie=$(sed -n 's/^Set-Cookie: *\([^;]*\).*/\1/Ip' "$hdr" | tr -d '\r')
curl -sS -f -u ers-admin:ers-secret -X PUT -H "X-CSRF-Token: $tok" -H "Cookie: $cookie" \
        -H 'Accept: application/json' -H 'Content-Type: application/json' \
        --data '{"OperationAdditionalData":{"additionalData":[{"name":"macAddress","value":"AA:AA:AA:AA:AA:2A"},{"name":"policyName","value":"Quarantine"}]}}' \
        "$NSIM_URL/ers/config/ancendpoint/clear" >/dev/null
is "$(nsim_state 'd["endpoints"].get("AA:AA:AA:AA:AA:2A")')" null "ISE: 2A cleared by someone else"
nsim_clear
runblock 10.0.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.0.0.2: succeeded"
is "$(rstate 10.0.0.2)" unblocked "db: unblocked"
# ISE answers its semantic errors with 500, which the HTTP client tries
# three times; the stale token (403) on the way is fetched again
is "$(nsim_reqs PUT clear | awk '{print $3}' | tr '\n' ' ')" "500 500 403 500 500 500 204 " \
        "clear: 'not associated' (500) for the gone MAC counts as done"
is "$(nsim_state 'sorted(d["endpoints"])' | tr -d ' ')" '["AA:AA:AA:AA:AA:04","AA:AA:AA:AA:AA:05"]' \
        "ISE: only the other hosts' MACs remain"

# ---- no MAC anywhere: a permanent failure that says why
rblock 10.0.0.3
is "$(jget "$RUN_OUT" 'd["failed"]')" 1 "block 10.0.0.3 (no session): failed"
is "$(rstate 10.0.0.3)" failed "db: failed at once (permanent)"
like "$(rcol 10.0.0.3 last_error)" "no MAC address for 10.0.0.3" "db: the error says why"

# ---- a malformed MnT answer
nsim_faults '[{"kind": "malformed", "path": "ActiveList"}]'
rblock 10.0.0.6
is "$(rstate 10.0.0.6)" failed "block 10.0.0.6 with a malformed MnT answer: failed"
like "$(rcol 10.0.0.6 last_error)" "not an activeList" "db: the error names the bad answer"
nsim_delete /__sim/faults >/dev/null

# ---- wrong password: permanent, and the secret is nowhere
run ctl -j responder test isebad
is "$RUN_RC" 1 "responder test isebad: fails"
like "$RUN_ERR$RUN_OUT" "HTTP 401" "responder test isebad: says 401"
rblock 10.0.0.4 isebad
is "$(rstate 10.0.0.4 isebad)" failed "block on isebad: failed"
like "$(rcol 10.0.0.4 last_error isebad)" "HTTP 401" "db: 401 recorded"
is "$(journal_query | grep -c -e not-the-password -e ers-secret)" 0 "no password in the journal"
is "$(ctl -j status | grep -c -e not-the-password -e ers-secret)" 0 "no password in status"

# ---- simulation: recorded as blocked, nothing sent
nsim_clear
rblock 10.0.0.1 isesim
is "$(rstate 10.0.0.1 isesim)" blocked "simulation: blocked in the db"
is "$(nsim_reqs | grep -c .)" 0 "simulation: no request to ISE"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
