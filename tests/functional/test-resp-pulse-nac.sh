#!/bin/bash
# SPDX-License-Identifier: MIT
# pulse_nac end to end: the real secrespd against tests/sim/pulse_nac_sim.py.
# `responder test`; quarantine by IP and the session's MACs as elements;
# the API key refused mid-run and fetched again; an IP without a session
# (permanent); 429 and 503 ridden out; 500s retried by the reconciler;
# unblock by the stored MACs, and an endpoint the appliance forgot (400);
# a wrong password.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 27
nac_require
nsim_start pulse_nac --state "$FUNC_DIR/responders/pulse-state.json"
RESP_TYPE=pulse_nac
NSIM_TOKEN_RE='^/api/v1/auth$'
DAEMON_ENV=("PPS_PASS=pps-secret" "PPS_BAD=not-the-pps-secret")
RESP_MORE=", { name = \"ppsbad\"; type = \"pulse_nac\"; url = \"$NSIM_URL\"; username = \"api-admin\";
               password = \"env:PPS_BAD\"; }"
nconf "url = \"$NSIM_URL\"; username = \"api-admin\"; password = \"env:PPS_PASS\";"
start_ready "$CONF"

q() { nsim_state 'sorted(d["quarantined"])' | tr -d ' '; }

run ctl -j responder test nac
is "$RUN_RC" 0 "responder test: exit 0"
is "$(nsim_get /__sim/requests | pyj '[r["path"] for r in d]' | tr -d ' ')" \
        '["/api/v1/auth","/api/v1/system/system-information"]' "responder test: a key, then system-information"

nsim_clear
rblock 10.4.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.4.0.1: succeeded"
is "$(relements 10.4.0.1)" '["00:50:56:AA:00:01"]' "db: the session's MAC"
is "$(q)" '["00:50:56:AA:00:01"]' "Pulse: quarantined"
is "$(nsim_bodies PUT sessions)" '{"event-name":"quarantine-endpoint","srcip":"10.4.0.1"}' "quarantine body"
is "$(nsim_get /__sim/requests | pyj 'sorted(set(r["headers"]["authorization"][:6] for r in d))' | tr -d ' ')" \
        '["Basic"]' "Basic auth (the API key) on every call"

# ---- the key runs out mid-run (after 3 calls): fetched again, call resent
nsim_clear
rblock 10.4.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.4.0.2: succeeded"
is "$(relements 10.4.0.2)" '["00:50:56:AA:00:2A","00:50:56:AA:00:2B"]' "db: both MACs"
is "$(nsim_get /__sim/requests | pyj '[(a["path"] == c["path"], b["path"], b["status"], c["status"])
        for a, b, c in zip(d, d[1:], d[2:]) if a["status"] == 401][:1]' | tr -d ' ')" '[[true,"/api/v1/auth",200,204]]' \
        "after a 401: a new key, the same request again"

# ---- no session for the IP: permanent
rblock 10.4.0.3
is "$(rstate 10.4.0.3)" failed "block 10.4.0.3 (no session): failed at once"
like "$(rcol 10.4.0.3 last_error)" "HTTP 404" "db: the appliance's 404"

# ---- 429 then 503: ridden out
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "PUT", "nth": [1]},
              {"kind": "status", "status": 503, "method": "PUT", "nth": [2]}]'
rblock 10.4.0.5
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.4.0.5: one call, succeeded"
is "$(nsim_api PUT . | awk '{print $3}' | tr '\n' ' ')" "429 503 204 " "PUT: 429, 503, 204"

# ---- 500s past the client's retries
nsim_faults '[{"kind": "status", "status": 500, "method": "PUT", "times": 3}]'
rblock 10.4.0.6
is "$(jget "$RUN_OUT" 'd["failed"]')" 1 "block 10.4.0.6: the first call failed"
ok "block 10.4.0.6: blocked by a later attempt" wait_state 10.4.0.6 blocked 15
like "$(rstatus 'r["last_call_error"]')" "HTTP 500" "status: last_call_error says HTTP 500"
nsim_delete /__sim/faults >/dev/null

# ---- unblock by the stored MACs
nsim_clear
runblock 10.4.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.4.0.2: succeeded"
is "$(q)" '["00:50:56:AA:00:01","00:50:56:AA:00:05","00:50:56:AA:00:06"]' "Pulse: 2A and 2B released"
is "$(nsim_api GET . | grep -c .)" 0 "unblock: no lookup, the stored MACs"
is "$(nsim_get /__sim/requests | pyj 'sorted(set(json.loads(r["body"])["event-name"] for r in d if r["method"] == "PUT"))' | tr -d ' ')" \
        '["clear-quarantined-endpoint"]' "clear events only"

# ---- the appliance forgot the endpoint: 400, counts as done
nsim_post /__sim/reset '{}' >/dev/null
runblock 10.4.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.4.0.1 (appliance reset): succeeded"
is "$(rstate 10.4.0.1)" unblocked "db: unblocked"

# ---- wrong password
run ctl -j responder test ppsbad
is "$RUN_RC" 1 "responder test ppsbad: fails"
like "$RUN_ERR$RUN_OUT" "HTTP 401" "responder test ppsbad: 401"
is "$(journal_query | grep -c -e pps-secret -e not-the-pps-secret)" 0 "no password in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
