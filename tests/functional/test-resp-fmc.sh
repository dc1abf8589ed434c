#!/bin/bash
# SPDX-License-Identifier: MIT
# cisco_fmc end to end: the real secrespd against tests/sim/cisco_fmc_sim.py
# over HTTPS.  Test op, block (Host object made, group PUT, deployment),
# "already a member", coalescing of queued calls into one group update and
# one deployment, token expiry (refresh, then a new token), 429 and 5xx
# retried, a malformed answer, unblock (object kept, deployment), a Host
# object deleted on the FMC before the unblock, status health, and config
# errors (max_concurrent, capabilities, the original's names).
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw2.sh"

plan 63
fw2_require
RNAME=fmc
GID=00505600-0000-0ed3-0000-000000000100
PRE=00505600-0000-0ed3-0000-000000000900
cat >"$T/fmc-state.json" <<EOF
{"hosts": {"$PRE": {"id": "$PRE", "name": "10.9.9.9", "type": "Host", "value": "10.9.9.9",
                    "description": "made by hand", "overridable": false}},
 "groups": {"00505600-0000-0ed3-0000-00000000000a": {"id": "00505600-0000-0ed3-0000-00000000000a", "name": "Servers", "type": "NetworkGroup", "objects": []},
            "00505600-0000-0ed3-0000-00000000000b": {"id": "00505600-0000-0ed3-0000-00000000000b", "name": "Vectra-Block-Old", "type": "NetworkGroup",
                    "objects": []},
            "$GID": {"id": "$GID", "name": "Vectra-Block", "type": "NetworkGroup", "overridable": false,
                     "objects": [{"type": "Host", "id": "$PRE", "name": "10.9.9.9"}],
                     "literals": [{"type": "Host", "value": "192.0.2.254"}]}}}
EOF
vsim_start fmc cisco_fmc_sim.py --state "$T/fmc-state.json" --default-limit 2 --max-limit 2
DAEMON_ENV=("FMC_PASSWORD=fmc-secret")
FMC_SETTINGS="type = \"cisco_fmc\"; url = \"$VSIM_URL_fmc/\"; username = \"secresp\";
  password = \"env:FMC_PASSWORD\"; block_group = \"Vectra-Block\"; deploy = true;"
rconf "$FMC_SETTINGS"
start_ready "$CONF"

hid() { vs_state "[h['id'] for h in d['hosts'].values() if h['name'] == '$1'][0]"; }
members() { vs_state "sorted(o['name'] for o in d['groups']['$GID'].get('objects', []))" | tr -d ' '; }

# ---- test: credentials and the group, nothing written
vs_mark
run ctl -j responder test fmc
is "$RUN_RC" 0 "responder test: exit 0"
like "$RUN_OUT" "network group 'Vectra-Block' is $GID" "responder test: names the group and its id"
is "$(vs_seq | awk '{print $1}' | sort -u | tr '\n' ' ')" "GET POST " "responder test: a token POST and GETs only"
is "$(vs_count POST generatetoken 204)" 1 "responder test: one token"
# pages of 2 and three groups, ours last: the paging.next link is followed
is "$(vs_seq 'object/networkgroups$' | wc -l)" 2 "responder test: two pages of network groups"
like "$(vs_reqs | pyj '[e["query"].get("offset") for e in d if e["path"].endswith("networkgroups")]')" '"2"' \
        "responder test: the second page asked at offset 2"

# ---- block: Host object, group PUT, deployment
vs_mark
rblock host 10.1.2.3
is "$RUN_RC" 0 "block host 10.1.2.3: exit 0"
is "$(rstate 10.1.2.3)" blocked "db: 10.1.2.3 blocked"
H3=$(hid 10.1.2.3)
like "$H3" '^00505600-' "sim: a Host object named 10.1.2.3 was made"
is "$(relements 10.1.2.3)" "[\"$H3\"]" "db: the element is the Host object id"
is "$(members)" '["10.1.2.3","10.9.9.9"]' "sim: the group has it, and kept its other member"
is "$(vs_state "d['groups']['$GID']['literals']" | tr -d ' ')" '[{"type":"Host","value":"192.0.2.254"}]' \
        "sim: the group's literals survived the PUT"
is "$(vs_count PUT "object/networkgroups/$GID" 200)" 1 "one group PUT"
is "$(vs_count POST 'deployment/deploymentrequests' 202)" 1 "one deployment request"
is "$(vs_state "d['deployments'][-1]['devices']" | tr -d ' ')" '["dev-0001","dev-0002"]' "deployed to both devices"
is "$(vs_state "d['pending']")" '[]' "sim: nothing left to deploy"
is "$(vs_count POST generatetoken)" 0 "the cached token was used"

# ---- already a member on the FMC: success with the existing id, nothing written
vs_mark
rblock host 10.9.9.9
is "$(rstate 10.9.9.9)" blocked "block 10.9.9.9 (already a member): blocked"
is "$(relements 10.9.9.9)" "[\"$PRE\"]" "db: the element is the existing object's id"
is "$(vs_count '*' 'object/hosts$' )$(vs_count PUT networkgroups)$(vs_count POST deploymentrequests)" "100" \
        "already a member: one host listing, no create, no PUT, no deployment"

# ---- coalescing: ten blocks queued behind a slow call become one group update
vs_faults '[{"kind": "latency", "delay_ms": 600, "method": "GET", "path": "object/networkgroups/", "times": 1}]'
vs_mark
for i in 1 2 3 4 5 6 7 8 9 10; do
        ctl block host "10.1.3.$i" --responder fmc >/dev/null 2>&1 &
        pids[i]=$!
done
for i in 1 2 3 4 5 6 7 8 9 10; do wait "${pids[i]}"; done
vs_nofaults
n=0
for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(rstate "10.1.3.$i")" = blocked ] && n=$((n + 1)); done
is "$n" 10 "ten hosts blocked"
is "$(vs_state "len([o for o in d['groups']['$GID']['objects'] if o['name'].startswith('10.1.3.')])")" 10 \
        "sim: all ten in the group"
puts=$(vs_count PUT networkgroups 200)
deps=$(vs_count POST deploymentrequests 202)
cmp_num "$puts" -le 2 "ten blocks: at most two group PUTs ($puts)"
cmp_num "$deps" -le 2 "ten blocks: at most two deployments ($deps)"
diag "coalescing: 10 blocks -> $puts group PUT(s), $deps deployment(s), $(vs_count '*' .) requests"
bulk() { vs_reqs | pyj '[(e["query"].get("bulk", [""])[0], e["status"]) for e in d if e["method"] == "POST" and e["path"].endswith("object/hosts")]' | tr -d ' '; }
is "$(bulk)" '[["",201],["true",201]]' "Host objects: the first batch's one alone, the nine others in one bulk request"
like "$(vs_reqs | pyj '[e["query"].get("offset") for e in d if e["path"].endswith("object/hosts") and e["method"] == "GET"]')" \
        '"2"' "host objects listed page by page (pages of 2)"

# ---- a bulk request refused (older FMC, a name made meanwhile): one by one
vs_faults '[{"kind": "latency", "delay_ms": 600, "method": "GET", "path": "object/networkgroups/", "times": 1},
            {"kind": "status", "status": 400, "method": "POST", "path": "object/hosts$", "skip": 1, "times": 1}]'
vs_mark
for i in 1 2 3; do
        ctl block host "10.1.4.$i" --responder fmc >/dev/null 2>&1 &
        pids[i]=$!
done
for i in 1 2 3; do wait "${pids[i]}"; done
vs_nofaults
is "$(rstate 10.1.4.1)$(rstate 10.1.4.2)$(rstate 10.1.4.3)" blockedblockedblocked "bulk refused: all three blocked"
is "$(bulk)" '[["",201],["true",400],["",201],["",201]]' "bulk refused: then one by one"

# ---- the token expires mid-run: 401, refresh, the call once more
vs_post /_fmc/expire-tokens >/dev/null
vs_mark
rblock host 10.1.2.50
is "$(rstate 10.1.2.50)" blocked "after token expiry: blocked"
cmp_num "$(vs_count '*' 'fmc_config' 401)" -ge 1 "the old token got a 401"
is "$(vs_count POST refreshtoken 204)" 1 "the token was refreshed"
is "$(vs_count POST generatetoken)" 0 "no new token needed"
is "$(vs_seq refreshtoken | head -n 1 | awk '{print $1}')" POST "refresh: a POST"
refresh_hdrs=$(vs_reqs | pyj '[sorted(k for k in e["headers"] if k.startswith("x-auth")) for e in d if "refreshtoken" in e["path"]][0]' | tr -d ' ')
is "$refresh_hdrs" '["x-auth-access-token","x-auth-refresh-token"]' "refresh: both tokens sent"

# ... and when the refresh token is gone too: a new token from the credentials
vs_post '/_fmc/expire-tokens?refresh=1' >/dev/null
vs_mark
rblock host 10.1.2.51
is "$(rstate 10.1.2.51)" blocked "after token and refresh expiry: blocked"
is "$(vs_count POST refreshtoken 401)" 1 "the refresh was refused"
is "$(vs_count POST generatetoken 204)" 1 "a new token was generated"

# ---- 429 then 503 on the PUT: the HTTP client retries within the call
vs_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "PUT", "times": 1},
            {"kind": "status", "status": 503, "method": "PUT", "skip": 1, "times": 1}]'
vs_mark
rblock host 10.1.2.60
is "$(rstate 10.1.2.60)" blocked "429 and 503 on the PUT: blocked"
is "$(vs_seq networkgroups/ | awk '$1 == "PUT" {print $3}' | tr '\n' ' ')" "429 503 200 " \
        "PUT answered 429, 503, then 200"

# ---- 500 until the client gives up: the reconciler retries the call
vs_faults '[{"kind": "status", "status": 500, "method": "PUT", "times": 3}]'
vs_mark
rblock host 10.1.2.61
ok "500 x3: blocked by a later attempt" rwait_state 10.1.2.61 blocked 20
is "$(vs_count PUT networkgroups 500)" 3 "three 500s"
like "$(rstatus 'r["last_call_error"]')" 'HTTP 500' "status: last_call_error names the HTTP 500"

# ---- a malformed answer: retried, then fine
vs_faults '[{"kind": "malformed", "method": "GET", "path": "object/networkgroups/", "times": 1}]'
rblock host 10.1.2.62
ok "malformed group answer: blocked by a later attempt" rwait_state 10.1.2.62 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'not a JSON object' "status: the malformed answer is reported"
vs_nofaults

# ---- unblock: out of the group, object kept, deployed
deps0=$(vs_state "len(d['deployments'])")
vs_mark
runblock host 10.1.2.3
is "$(rstate 10.1.2.3)" unblocked "unblock 10.1.2.3: unblocked"
is "$(vs_state "'10.1.2.3' in [o['name'] for o in d['groups']['$GID']['objects']]")" false "sim: out of the group"
is "$(vs_state "'$H3' in d['hosts']")" true "sim: the Host object is kept"
is "$(vs_state "len(d['deployments'])")" $((deps0 + 1)) "unblock: one deployment"
is "$(vs_state "'10.1.2.3' in d['deployments'][-1]['members']['Vectra-Block']")" false \
        "the deployment no longer has 10.1.2.3"
is "$(vs_count GET 'object/hosts$')" 0 "unblock used the stored id (no host listing)"
is "$(vs_count PUT networkgroups)" 1 "unblock: one PUT (the original PUT twice)"

# ---- the Host object was deleted on the FMC: unblock is a success, nothing written
vs_post /_fmc/delete-host/10.1.2.50 >/dev/null
vs_mark
runblock host 10.1.2.50
is "$(rstate 10.1.2.50)" unblocked "object gone on the FMC: unblocked"
is "$(vs_count PUT networkgroups)" 0 "object gone: no PUT"

# ---- health
cmp_num "$(rstatus 'r["calls_ok"]')" -ge 18 "status: calls_ok counted"
isnt "$(rstatus 'r["last_success"]')" null "status: last_success set"

# ---- the group disappears: the test says so
vs_post /_fmc/delete-group/Vectra-Block >/dev/null
run ctl -j responder test fmc
isnt "$RUN_RC" 0 "responder test without the group: fails"
like "$RUN_OUT$RUN_ERR" "no network group named 'Vectra-Block'" "responder test: names the missing group"

# ---- secrets stay out of the logs
unlike "$(journal_query; cat "$T"/daemon.*.err)" 'fmc-secret|access-00' "no password or token in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- config errors, each alone (a module's first error hides its later checks)
badconf() {
        make_conf "$T/bad.conf" "responders = ( { name = \"fmc\"; $FMC_SETTINGS $1 } );" "${@:2}"
        run env FMC_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
}
badconf 'max_concurrent = 2;'
is "$RUN_RC" 78 "max_concurrent = 2: exit 78"
like "$RUN_ERR" "max_concurrent must be 1" "max_concurrent > 1 refused"
badconf 'BLOCK_GROUP = "x";'
like "$RUN_ERR" "the original's BLOCK_GROUP is 'block_group' here" "the original's name gets a hint"
badconf '' 'vectra = ( { name = "b"; url = "https://brain.example"; api_version = "2.5"; auth = "token";
                      token = "env:FMC_PASSWORD"; responders = [ "fmc" ]; static_destinations = "/etc/hostname"; } );'
like "$RUN_ERR" "responder 'fmc' cannot block destinations" "capabilities checked at config time"
