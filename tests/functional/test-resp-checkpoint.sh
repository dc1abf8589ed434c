#!/bin/bash
# SPDX-License-Identifier: MIT
# checkpoint end to end: the real secrespd against tests/sim/checkpoint_sim.py
# over HTTPS.  Test op, block (login, add-host into the group, publish,
# install-policy, tasks polled, logout), existing objects, coalescing (one
# publish and one install per batch), a session lost mid-batch, 429/503
# retried, a failed publish (discard, logout, retried), a failed task, a
# malformed answer, unblock, an object deleted before the unblock, config
# errors.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw2.sh"

plan 57
fw2_require
RNAME=cp
G=Vectra-Internal-Block
cat >"$T/cp-state.json" <<EOF
{"published": {"hosts": {"keep-me": {"ip-address": "192.0.2.7", "groups": ["$G"]},
                         "10.9.9.8": {"ip-address": "10.9.9.8", "groups": ["$G"]},
                         "10.9.9.9": {"ip-address": "10.9.9.9", "groups": []}},
               "groups": {"$G": {"members": ["keep-me", "10.9.9.8"]}}}}
EOF
vsim_start cp checkpoint_sim.py --state "$T/cp-state.json" --task-polls 1
DAEMON_ENV=("CP_PASSWORD=cp-secret")
CP_SETTINGS="type = \"checkpoint\"; url = \"$VSIM_URL_cp\"; username = \"secresp\"; password = \"env:CP_PASSWORD\";
  block_group = \"$G\"; policy_package = \"Standard\"; install_targets = [ \"gw-1\", \"gw-2\" ]; task_poll = \"1s\";"
rconf "$CP_SETTINGS },
  { name = \"cp2\"; type = \"checkpoint\"; url = \"$VSIM_URL_cp\"; username = \"secresp\";
    password = \"env:CP_PASSWORD\"; block_group = \"Vectra-New\"; task_poll = \"1s\";"
start_ready "$CONF"

pub() { vs_state "sorted(d['published']['groups']['$G']['members'])" | tr -d ' '; }
cmds() { vs_seq | awk '{sub("^/web_api/", "", $2); print $2}' | tr '\n' ' '; }

# ---- test
vs_mark
run ctl -j responder test cp
is "$RUN_RC" 0 "responder test: exit 0"
is "$(cmds)" "login show-group logout " "responder test: login, show-group, logout"
is "$(vs_state "len(d['sessions'])")" 0 "responder test: no session left open"

# ---- block: add-host, publish, install, logout
vs_mark
rblock host 10.1.2.3
is "$RUN_RC" 0 "block 10.1.2.3: exit 0"
is "$(rstate 10.1.2.3)" blocked "db: blocked"
is "$(relements 10.1.2.3)" '["10.1.2.3"]' "db: the element is the IP"
is "$(pub)" '["10.1.2.3","10.9.9.8","keep-me"]' "published: the host is in the group, the others kept"
is "$(cmds)" "login show-group add-host publish show-task show-task install-policy show-task show-task logout " \
        "calls: login, group, add-host, publish + task, install + task, logout"
is "$(vs_reqs | pyj '[e["path"] for e in d if e["path"] != "/web_api/login" and not e["headers"].get("x-chkp-sid")]')" \
        '[]' "X-chkp-sid on every call after login"
is "$(vs_state "d['installs'][-1]['targets']" | tr -d ' ')" '["gw-1","gw-2"]' "installed on both gateways"
is "$(vs_state "'10.1.2.3' in d['installs'][-1]['members']")" true "the installed policy has the host"
is "$(vs_state "len(d['sessions'])")" 0 "logged out"

# ---- objects that exist already: one in the group, one outside it
vs_mark
rblock host 10.9.9.8
rblock host 10.9.9.9
is "$(rstate 10.9.9.8)$(rstate 10.9.9.9)" blockedblocked "existing objects: blocked"
is "$(pub)" '["10.1.2.3","10.9.9.8","10.9.9.9","keep-me"]' "published: the existing object joined the group"
is "$(vs_count POST set-group 200)" 2 "existing objects: set-group add after 'More than one object named'"

# ---- coalescing
p0=$(vs_state "d['publishes']")
i0=$(vs_state "len(d['installs'])")
vs_faults '[{"kind": "latency", "delay_ms": 800, "path": "show-group", "times": 1}]'
for i in 1 2 3 4 5 6 7 8; do
        ctl block host "10.1.3.$i" --responder cp >/dev/null 2>&1 &
        pids[i]=$!
done
for i in 1 2 3 4 5 6 7 8; do wait "${pids[i]}"; done
vs_nofaults
n=0
for i in 1 2 3 4 5 6 7 8; do [ "$(rstate "10.1.3.$i")" = blocked ] && n=$((n + 1)); done
is "$n" 8 "eight hosts blocked"
is "$(vs_state "len([m for m in d['published']['groups']['$G']['members'] if m.startswith('10.1.3.')])")" 8 \
        "published: all eight"
pubs=$(($(vs_state "d['publishes']") - p0))
insts=$(($(vs_state "len(d['installs'])") - i0))
cmp_num "$pubs" -le 2 "eight blocks: at most two publishes ($pubs)"
cmp_num "$insts" -le 2 "eight blocks: at most two policy installs ($insts)"
diag "coalescing: 8 blocks -> $pubs publish(es), $insts install(s)"

# ---- the session is lost mid-batch: a new login, the batch again
vs_faults '[{"kind": "status", "status": 401, "path": "add-host", "times": 1,
             "body": {"code": "generic_err_wrong_session_id", "message": "Wrong session id. Session may be expired."}}]'
vs_mark
rblock host 10.1.2.50
is "$(rstate 10.1.2.50)" blocked "session lost mid-batch: blocked"
is "$(vs_count POST login 200)" 2 "a second login"
is "$(vs_count POST add-host 200)" 1 "add-host made once in the new session"
is "$(vs_count POST logout 200)" 1 "the new session was logged out"

# ---- 429 then 503 on add-host: retried within the call
vs_faults '[{"kind": "rate_limit", "retry_after": "1", "path": "add-host", "times": 1},
            {"kind": "status", "status": 503, "path": "add-host", "skip": 1, "times": 1}]'
vs_mark
rblock host 10.1.2.60
is "$(rstate 10.1.2.60)" blocked "429 and 503: blocked"
is "$(vs_seq add-host | awk '{print $3}' | tr '\n' ' ')" "429 503 200 " "add-host answered 429, 503, 200"

# ---- publish answers 500: not repeated at once, discard, logout, retried later
vs_faults '[{"kind": "status", "status": 500, "path": "publish", "times": 1}]'
vs_mark
rblock host 10.1.2.61
ok "publish 500: blocked by a later attempt" rwait_state 10.1.2.61 blocked 20
is "$(vs_count POST publish 500)" 1 "publish: one 500, not repeated by the client"
cmp_num "$(vs_count POST discard 200)" -ge 1 "the failed session was discarded"
is "$(vs_seq 'discard|logout' | awk '{sub("^/web_api/", "", $2); print $2}' | head -n 2 | tr '\n' ' ')" "discard logout " \
        "discard, then logout"
like "$(rstatus 'r["last_call_error"]')" 'publish: HTTP 500' "status: the failed publish is reported"

# ---- the publish task fails
vs_post /_cp/fail-next-task >/dev/null
vs_nofaults
vs_mark
rblock host 10.1.2.62
ok "failed publish task: blocked by a later attempt" rwait_state 10.1.2.62 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'publish task .*: failed' "status: the failed task is reported"

# ---- a malformed publish answer
vs_faults '[{"kind": "malformed", "path": "publish", "times": 1}]'
rblock host 10.1.2.63
ok "malformed publish answer: blocked by a later attempt" rwait_state 10.1.2.63 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'no task-id' "status: the malformed answer is reported"
vs_nofaults

# ---- unblock: out of the group, object deleted, published, installed
vs_mark
runblock host 10.1.2.3
is "$(rstate 10.1.2.3)" unblocked "unblock: unblocked"
is "$(vs_state "'10.1.2.3' in d['published']['groups']['$G']['members']")" false "published: out of the group"
is "$(vs_state "'10.1.2.3' in d['published']['hosts']")" false "published: the host object deleted"
is "$(vs_state "'10.1.2.3' in d['installs'][-1]['members']")" false "installed without it"
is "$(cmds | tr ' ' '\n' | grep -c -x -e set-group -e delete-host)" 2 "unblock: set-group remove, delete-host"

# ---- deleted on the management server before the unblock: a success, nothing published
vs_post /_cp/delete-host/10.1.2.50 >/dev/null
p0=$(vs_state "d['publishes']")
vs_mark
runblock host 10.1.2.50
is "$(rstate 10.1.2.50)" unblocked "object gone: unblocked"
is "$(vs_state "d['publishes']")" "$p0" "object gone: nothing published"
is "$(vs_count POST delete-host 404)" 1 "object gone: delete-host answered 404"

# ---- a group that does not exist is created (as VAR did), with a warning
RNAME=cp2
rblock host 10.1.2.90
is "$(rstate 10.1.2.90)" blocked "cp2: blocked"
is "$(vs_state "d['published']['groups']['Vectra-New']['members']")" '["10.1.2.90"]' "cp2: the group was created with the host"
journal_wait 5 PRIORITY=4 >/dev/null
like "$(journal_query PRIORITY=4)" "group 'Vectra-New' did not exist and was created" "cp2: a warning says so"
RNAME=cp

# ---- health, secrets
cmp_num "$(rstatus 'r["calls_ok"]')" -ge 18 "status: calls_ok counted"
unlike "$(journal_query; cat "$T"/daemon.*.err)" 'cp-secret|sid-0' "no password or session id in the journal"

# ---- SIGTERM while a task is polled: a prompt clean exit, the block resumed at the next start
vs_mark
ctl block host 10.1.2.80 --responder cp >/dev/null 2>&1 &
bg=$!
_polled() { [ "$(vs_count POST show-task)" -ge 1 ]; }
ok "a task is being polled" wait_until 20 _polled
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM mid-batch: exit 0"
cmp_num "$STOP_MS" -lt 3000 "SIGTERM mid-batch: out within 3 s ($STOP_MS ms)"
wait "$bg"
isnt "$(rstate 10.1.2.80)" blocked "not recorded as blocked"
start_ready "$CONF"
ok "resumed at the next start: blocked" rwait_state 10.1.2.80 blocked 30
is "$(vs_state "'10.1.2.80' in d['installs'][-1]['members']")" true "resumed: published and installed"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- config errors
make_conf "$T/bad.conf" "responders = ( { name = \"cp\"; type = \"checkpoint\"; url = \"$VSIM_URL_cp\";
  username = \"u\"; password = \"env:CP_PASSWORD\"; block_group = \"G\"; policy_package = \"Standard\"; } );"
run env CP_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
is "$RUN_RC" 78 "policy_package without targets: exit 78"
like "$RUN_ERR" "install-policy needs install_targets" "policy_package without targets refused"
make_conf "$T/bad.conf" "responders = ( { name = \"cp\"; $CP_SETTINGS max_concurrent = 2; INTERNAL_ADDRESS_GROUP = \"x\"; } );"
run env CP_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
like "$RUN_ERR" "the original's INTERNAL_ADDRESS_GROUP is 'block_group' here" "the original's name gets a hint"
