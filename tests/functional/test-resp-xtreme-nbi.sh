#!/bin/bash
# SPDX-License-Identifier: MIT
# xtreme_networks_nbi end to end: the real secrespd against
# tests/sim/xtreme_nbi_sim.py.  `responder test`; block by the end-system
# of the IP (one MAC, as one string); a MAC already listed; the token
# refused mid-run and fetched again; no end-system (permanent); a GraphQL
# error; 429 and 503 ridden out; 500s retried by the reconciler; unblock,
# and a MAC already removed; bad client credentials.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 25
nac_require
nsim_start xtreme_nbi --state "$FUNC_DIR/responders/nbi-state.json"
RESP_TYPE=xtreme_networks_nbi
NSIM_TOKEN_RE='^/oauth/'
DAEMON_ENV=("NBI_SECRET=nbi-secret" "NBI_BAD=not-the-nbi-secret")
RESP_MORE=", { name = \"nbibad\"; type = \"xtreme_networks_nbi\"; url = \"$NSIM_URL\"; client_id = \"secresp\";
               client_secret = \"env:NBI_BAD\"; }"
nconf "url = \"$NSIM_URL\"; client_id = \"secresp\"; client_secret = \"env:NBI_SECRET\";"
start_ready "$CONF"

bl() { nsim_state 'sorted(d["blacklist"])' | tr -d ' '; }
ops() { nsim_get /__sim/requests | pyj '[json.loads(r["body"])["query"].split("{")[2].split("(")[0].strip() for r in d if r["path"] == "/nbi/graphql" and r["status"] == 200]' | tr -d ' '; }

run ctl -j responder test nac
is "$RUN_RC" 0 "responder test: exit 0"
is "$(nsim_get /__sim/requests | pyj '[(r["path"], r["query"].get("grant_type"), r["headers"]["authorization"][:6]) for r in d][0]' | tr -d ' ')" \
        '["/oauth/token/access-token",["client_credentials"],"Basic"]' "token: client credentials with Basic"

nsim_clear
rblock 10.5.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.5.0.1: succeeded"
is "$(relements 10.5.0.1)" '["00:11:22:33:44:01"]' "db: the end-system's MAC, whole"
is "$(bl)" '["00:11:22:33:44:01","00:11:22:33:44:02"]' "ExtremeControl: blacklisted"
is "$(ops)" '["endSystemByIp","addMACToBlacklist"]' "GraphQL: endSystemByIp, then addMACToBlacklist"
is "$(nsim_state 'd["history"][-1][2]')" true "reauthenticate: true"

# ---- already listed; the token runs out on the way
nsim_clear
rblock 10.5.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.5.0.2 (already listed): succeeded"
is "$(relements 10.5.0.2)" '["00:11:22:33:44:02"]' "db: its MAC"
is "$(nsim_get /__sim/requests | pyj '[(a["body"] == c["body"], b["path"], b["status"], c["status"])
        for a, b, c in zip(d, d[1:], d[2:]) if a["status"] == 401][:1]' | tr -d ' ')" \
        '[[true,"/oauth/token/access-token",200,200]]' "after a 401: a new token, the same request again"

# ---- no end-system: permanent
rblock 10.5.0.3
is "$(rstate 10.5.0.3)" failed "block 10.5.0.3 (unknown): failed at once"
like "$(rcol 10.5.0.3 last_error)" "knows no end-system" "db: says why"

# ---- a GraphQL error
nsim_faults '[{"kind": "status", "status": 200, "path": "graphql", "nth": [1],
               "body": {"errors": [{"message": "Validation error of type FieldUndefined"}], "data": null}}]'
rblock 10.5.0.4
like "$(rcol 10.5.0.4 last_error)" "FieldUndefined" "a GraphQL error: recorded"
nsim_delete /__sim/faults >/dev/null

# ---- 429 then 503
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "path": "graphql", "nth": [1]},
              {"kind": "status", "status": 503, "path": "graphql", "nth": [2]}]'
rblock 10.5.0.5
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.5.0.5: one call, succeeded"
is "$(nsim_api POST graphql | awk '{print $3}' | tr '\n' ' ')" "429 503 200 200 " "GraphQL: 429, 503, then the two calls"

# ---- 500s past the client's retries
nsim_faults '[{"kind": "status", "status": 500, "path": "graphql", "times": 3}]'
runblock 10.5.0.5
rblock 10.5.0.5
ok "block 10.5.0.5 again: blocked after a retry" wait_state 10.5.0.5 blocked 15
cmp_num "$(rstatus 'r["calls_failed"]')" -ge 1 "status: a failed call counted"
nsim_delete /__sim/faults >/dev/null

# ---- unblock; a MAC removed by someone else
nsim_clear
runblock 10.5.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.5.0.1: succeeded"
is "$(ops)" '["removeMACFromBlacklist"]' "unblock: the stored MAC, no lookup"
is "$(bl)" '["00:11:22:33:44:02","00:11:22:33:44:05"]' "ExtremeControl: 01 removed"
runblock 10.5.0.1
nsim_post /__sim/reset '{}' >/dev/null
runblock 10.5.0.5
is "$(rstate 10.5.0.5)" unblocked "unblock 10.5.0.5 (already off the list): unblocked"

run ctl -j responder test nbibad
is "$RUN_RC" 1 "responder test nbibad: fails"
like "$RUN_ERR$RUN_OUT" "HTTP 401" "responder test nbibad: 401"
is "$(journal_query | grep -c -e nbi-secret)" 0 "no secret in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
