#!/bin/bash
# SPDX-License-Identifier: MIT
# meraki end to end: the real secrespd against tests/sim/meraki_sim.py.
# `responder test`; a wireless client blocked by policy and put back; a
# wired client's switch port shut and enabled again; a shared port and
# several clients on one IP refused (permanent); a client already Blocked
# (unblock leaves it so); a group policy kept as the original and put back;
# blocking with a group policy; a client outside the lookback; the network
# list fetched once; 429 with Retry-After ridden out; 500s retried by the
# reconciler; a client whose network is gone by the unblock; a wrong key.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 41
nac_require
nsim_start meraki --state "$FUNC_DIR/responders/meraki-state.json"
RESP_TYPE=meraki
DAEMON_ENV=("MERAKI_KEY=meraki-key" "MERAKI_BAD=not-the-meraki-key")
RESP_MORE=", { name = \"merakigp\"; type = \"meraki\"; url = \"$NSIM_URL/api/v1\"; api_key = \"env:MERAKI_KEY\";
               network_ids = [ \"N_1\" ]; group_policy_id = \"102\"; },
             { name = \"merakibad\"; type = \"meraki\"; url = \"$NSIM_URL/api/v1\"; api_key = \"env:MERAKI_BAD\"; }"
nconf "url = \"$NSIM_URL/api/v1\"; api_key = \"env:MERAKI_KEY\";"
start_ready "$CONF"

pol() { nsim_state "d['policies'].get('$1', {}).get('devicePolicy', 'Normal') + ':' + str(d['policies'].get('$1', {}).get('groupPolicyId'))"; }
port() { nsim_state "d['ports']['Q2SW-0001-AAAA']['$1']['enabled']"; }

run ctl -j responder test nac
is "$RUN_RC" 0 "responder test: exit 0"
like "$RUN_OUT" "sees 3 Meraki network" "responder test: three networks"

# ---- wireless: policy Normal -> Blocked
nsim_clear
rblock 10.3.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.3.0.1: succeeded"
is "$(relements 10.3.0.1)" '["WLAN:k1:N_1:Normal"]' "db: WLAN element with the original policy"
is "$(pol N_1/k1)" "Blocked:None" "Meraki: k1 Blocked"
is "$(nsim_count GET '/organizations$')" 0 "the network list of the test is reused"
is "$(nsim_get /__sim/requests | pyj '[sorted(r["query"]) for r in d if r["path"].endswith("/clients")][0]' | tr -d ' ')" \
        '["ip","perPage","t0"]' "clients by ip with t0 (no MAC known)"
t0=$(nsim_get /__sim/requests | pyj '[int(r["query"]["t0"][0]) for r in d if r["path"].endswith("/clients")][0]')
cmp_num "$(( $(date +%s) - t0 ))" -ge $((7 * 86400 - 60)) "t0: seven days back"

# ---- wired: the switch port is shut
nsim_clear
rblock 10.3.0.2
is "$(relements 10.3.0.2)" '["LAN:k2:Q2SW-0001-AAAA:7"]' "db: LAN element"
is "$(port 7)" false "Meraki: port 7 disabled"
is "$(nsim_bodies PUT 'ports/7$')" '{"enabled":false}' "PUT body enabled false"

# ---- a port other clients share: refused
rblock 10.3.0.3
is "$(rstate 10.3.0.3)" failed "block 10.3.0.3 (shared port): failed at once"
like "$(rcol 10.3.0.3 last_error)" "other clients share it" "db: says why"
is "$(port 8)" true "Meraki: port 8 untouched"

# ---- two clients with one IP: refused
rblock 10.3.0.4
is "$(rstate 10.3.0.4)" failed "block 10.3.0.4 (two clients): failed"
like "$(rcol 10.3.0.4 last_error)" "2 clients with address 10.3.0.4" "db: says two clients"

# ---- already Blocked by someone else: success, and the unblock leaves it Blocked
nsim_clear
rblock 10.3.0.5
is "$(relements 10.3.0.5)" '["WLAN:k5:N_1:Blocked"]' "db: the original policy is Blocked"
is "$(nsim_count PUT .)" 0 "no PUT for a Blocked client"
runblock 10.3.0.5
is "$(pol N_1/k5)" "Blocked:None" "unblock: k5 stays Blocked"

# ---- a group policy as the original: put back with its id
rblock 10.3.0.6
is "$(relements 10.3.0.6)" '["WLAN:k6:N_2:Group policy:101"]' "db: group policy 101 recorded"
is "$(pol N_2/k6)" "Blocked:None" "Meraki: k6 Blocked"
runblock 10.3.0.6
is "$(pol N_2/k6)" "Group policy:101" "unblock: group policy 101 back"

# ---- blocking with a group policy (merakigp)
rblock 10.3.0.10 merakigp
is "$(pol N_1/k10)" "Group policy:102" "merakigp: k10 gets group policy 102"
is "$(relements 10.3.0.10 merakigp)" '["WLAN:k10:N_1:Normal"]' "merakigp: element"

# ---- a client last seen before the lookback
rblock 10.3.0.8
like "$(rcol 10.3.0.8 last_error)" "no client with address 10.3.0.8" "block 10.3.0.8 (seen 20 days ago): not found"

is "$(nsim_count GET '/organizations$')" 0 "still no new network listing: the cached list serves every call"

# ---- 429 with Retry-After: waited for
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "PUT", "nth": [1]}]'
rblock 10.3.0.7
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.3.0.7: one call, succeeded"
is "$(nsim_reqs PUT . | awk '{print $3}' | tr '\n' ' ')" "429 200 " "PUT: 429, then 200"
gap=$(nsim_get /__sim/requests | pyj '[r["time"] for r in d if r["method"] == "PUT"]' | pyj 'int((d[1] - d[0]) * 1000)')
cmp_num "$gap" -ge 900 "Retry-After: 1 honoured"

# ---- 500s past the client's retries
nsim_faults '[{"kind": "status", "status": 500, "path": "/clients$", "times": 3}]'
runblock 10.3.0.7
rblock 10.3.0.7
is "$(jget "$RUN_OUT" 'd["failed"]')" 1 "block 10.3.0.7 again: the first call failed"
ok "block 10.3.0.7: blocked by a later attempt" wait_state 10.3.0.7 blocked 20
nsim_delete /__sim/faults >/dev/null

# ---- unblock
nsim_clear
runblock 10.3.0.1
is "$(pol N_1/k1)" "Normal:None" "unblock 10.3.0.1: k1 Normal again"
is "$(nsim_reqs | awk '{print $1}' | tr '\n' ' ')" "PUT " "unblock: one PUT, no lookup"
runblock 10.3.0.2
is "$(port 7)" true "unblock 10.3.0.2: port 7 enabled"

# ---- the network is gone by the unblock
rblock 10.3.0.9
is "$(relements 10.3.0.9)" '["WLAN:k9:N_3:Normal"]' "block 10.3.0.9 in N_3"
curl -sS -f -X DELETE -H 'Authorization: Bearer meraki-key' "$NSIM_URL/api/v1/networks/N_3" >/dev/null
runblock 10.3.0.9
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.3.0.9 (network deleted): succeeded"
is "$(rstate 10.3.0.9)" unblocked "db: unblocked"

# ---- wrong key
run ctl -j responder test merakibad
is "$RUN_RC" 1 "responder test merakibad: fails"
like "$RUN_ERR$RUN_OUT" "HTTP 401" "responder test merakibad: 401"
is "$(journal_query | grep -c -e meraki-key -e not-the-meraki-key)" 0 "no API key in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
