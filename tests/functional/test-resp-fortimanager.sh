#!/bin/bash
# SPDX-License-Identifier: MIT
# fortimanager responder end to end: the real secrespd against
# tests/sim/fortimanager_sim.py (JSON-RPC).  Login, address objects and
# group membership in an ADOM, ONE policy package install per batch with
# the configured scope (VAR's was a placeholder), followed to its end;
# idempotency (already a member: no install; already gone), a session
# expiring in the middle of a batch, 429 and 5xx retried, a failed install
# retried until it works, coalescing, logout, config checks, test op.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw1.sh"

plan 39
command -v sqlite3 >/dev/null || skip_all "sqlite3 (the CLI) is needed"
LOG_TARGET=stderr
fsim_start fmg fortimanager_sim.py
printf 'fmg-pass' >"$T/fmg.pw"
chmod 600 "$T/fmg.pw"
G='d["adoms"]["root"]["addrgrp"]'
A='d["adoms"]["root"]["address"]'

FMG="{ name = \"fmg1\"; type = \"fortimanager\"; url = \"$FSIM_URL\"; username = \"admin\"; password = \"file:$T/fmg.pw\";
       host_group = \"Internal-Block\"; destination_group = \"External-Block\"; package = \"default\";
       scope = [ \"fgt1/root\", \"fgt2/dmz\" ]; },
     { name = \"fmg-hosts\"; type = \"fortimanager\"; url = \"$FSIM_URL\"; username = \"admin\"; password = \"file:$T/fmg.pw\";
       host_group = \"Internal-Block\"; install = false; }"

# ---- configuration checks
: >"$T/static.txt"
rconf "$FMG" "vectra = ( { name = \"b1\"; url = \"http://127.0.0.1:9\"; api_version = \"2.5\"; auth = \"token\";
  token = \"env:NOPE\"; responders = [ \"fmg-hosts\" ]; static_destinations = \"$T/static.txt\"; } );"
run env NOPE=x "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 78 "a host-only fortimanager responder asked for static destinations: config error"
like "$RUN_ERR" "responder 'fmg-hosts' cannot block destinations" "the error names the responder"
rconf "{ name = \"f\"; type = \"fortimanager\"; url = \"$FSIM_URL\"; username = \"admin\"; password = \"file:$T/fmg.pw\";
         host_group = \"g\"; package = \"default\"; max_concurrent = 2; }"
run "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 78 "install without a scope, max_concurrent 2: config error"
like "$RUN_ERR" "needs scope" "the install needs a real scope"
like "$RUN_ERR" "max_concurrent = 1" "one batch at a time"

rconf "$FMG"
start_ready "$CONF"

# ---- test op
run ctl responder test fmg1
is "$RUN_RC" 0 "responder test fmg1: ok"
like "$RUN_OUT" "ADOM 'root' has group\\(s\\) 'Internal-Block' 'External-Block'" "responder test names the groups"
ok "and logs out afterwards" wait_until 5 test "$(fsim_state 'len(d["sessions"])')" = 0

# ---- block: object, membership, one install with the scope
fsim_mark
run ctl block host 10.0.0.1 --responder fmg1
is "$RUN_RC" 0 "block host 10.0.0.1: ok"
is "$(fsim_state "$A['secresp_10_0_0_1']['subnet']")" "10.0.0.1 255.255.255.255" "address object secresp_10_0_0_1"
is "$(fsim_state "$G['Internal-Block']['member']")" '["secresp_10_0_0_1"]' "member of Internal-Block"
is "$(fsim_state 'len(d["installs"])')" 1 "one package install"
is "$(fsim_state 'd["installs"][0]["pkg"], d["installs"][0]["scope"]')" \
        '["default", [{"name": "fgt1", "vdom": "root"}, {"name": "fgt2", "vdom": "dmz"}]]' "package and the configured scope"
is "$(fsim_state 'd["installs"][0]["groups"]["Internal-Block"]')" '["secresp_10_0_0_1"]' "installed after the group change"
is "$(bq 10.0.0.1 fmg1 elements)" '["10.0.0.1"]' "db: element is the IP"
ok "session logged out after the batch" wait_until 5 test "$(fsim_state 'len(d["sessions"])')" = 0
run ctl block destination 2.2.2.0/24 --responder fmg1
is "$RUN_RC" 0 "block destination 2.2.2.0/24: ok"
is "$(fsim_state "$A['secresp_2_2_2_0_24']['subnet'], $G['External-Block']['member']")" \
        '["2.2.2.0 255.255.255.0", ["secresp_2_2_2_0_24"]]' "a network as an ipmask object in External-Block"

# ---- idempotency
fsim_edit 'a = s["adoms"]["root"]; a["address"]["secresp_10_0_0_9"] = {"name": "secresp_10_0_0_9", "type": "ipmask", "subnet": "10.0.0.9 255.255.255.255"}; a["addrgrp"]["Internal-Block"]["member"].append("secresp_10_0_0_9")'
n=$(fsim_state 'len(d["installs"])')
run ctl block host 10.0.0.9 --responder fmg1
is "$RUN_RC" 0 "block of a host already in the group: ok"
is "$(fsim_state 'len(d["installs"])')" "$n" "nothing changed: no install"
fsim_edit 'a = s["adoms"]["root"]; a["addrgrp"]["Internal-Block"]["member"].remove("secresp_10_0_0_9"); del a["address"]["secresp_10_0_0_9"]'
run ctl unblock host 10.0.0.9 --responder fmg1
is "$RUN_RC" 0 "unblock of a host already gone: ok"
is "$(bq 10.0.0.9 fmg1 state)" unblocked "db: unblocked"

# ---- the session expires in the middle of a batch
fsim_patch '{"expire_after": 2}'
fsim_mark
run ctl block host 10.0.0.2 --responder fmg1
is "$RUN_RC" 0 "block with a session dying after two calls: ok"
cmp_num "$(fsim_calls | grep -c .)" -ge 8 "logged in again and went on"
is "$(fsim_state "'secresp_10_0_0_2' in $G['Internal-Block']['member']")" true "10.0.0.2 in the group"
fsim_patch '{"expire_after": null}'

# ---- 429 and 5xx
fsim_faults '[{"kind": "rate_limit", "retry_after": "1", "times": 1, "skip": 1},
              {"kind": "status", "status": 500, "times": 1, "skip": 3}]'
fsim_mark
run ctl block host 10.0.0.3 --responder fmg1
is "$RUN_RC" 0 "block through a 429 and a 500: ok"
is "$(fsim_calls | awk '$3 != 200' | awk '{print $3}' | tr '\n' ' ')" "429 500 " "both seen, both retried"
fsim_faults '[]'

# ---- a failed install: the block is retried, and installs even without a change
fsim_patch '{"install_fail": true}'
n=$(fsim_state 'len(d["installs"])')
run ctl block host 10.0.0.4 --responder fmg1
ok "install failed: the block waits for a retry" wait_until 10 test "$(bq 10.0.0.4 fmg1 last_error | grep -c 'install')" = 1
fsim_patch '{"install_fail": false}'
ok "then blocked after a successful install" wait_bstate 10.0.0.4 fmg1 blocked 20
cmp_num "$(fsim_state 'len(d["installs"])')" -ge $((n + 2)) "installed again although the group no longer changed"

# ---- coalescing: 20 blocks, few installs
fsim_faults '[{"kind": "latency", "delay_ms": 200}]'
n=$(fsim_state 'len(d["installs"])')
pids=()
for i in $(seq 1 20); do
        ctl block host "10.9.0.$i" --responder fmg1 >/dev/null 2>&1 &
        pids+=($!)
done
wait "${pids[@]}"
fsim_faults '[]'
is "$(fsim_state "len([m for m in $G['Internal-Block']['member'] if m.startswith('secresp_10_9_0_')])")" 20 "20 hosts in the group"
cmp_num "$(( $(fsim_state 'len(d["installs"])') - n ))" -le 4 "20 blocks: at most 4 installs"

# ---- unblock: out of the group, object deleted, installed
n=$(fsim_state 'len(d["installs"])')
run ctl unblock host 10.0.0.1 --responder fmg1
is "$RUN_RC" 0 "unblock host 10.0.0.1: ok"
is "$(fsim_state "'secresp_10_0_0_1' in $G['Internal-Block']['member'], 'secresp_10_0_0_1' in $A")" '[false, false]' \
        "out of the group and deleted"
is "$(fsim_state 'len(d["installs"])')" $((n + 1)) "and installed"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
is "$(fsim_state 'len(d["sessions"])')" 0 "no session left open on FortiManager"
cmp_num "$(fsim_state 'd["logouts"]')" -ge 5 "sessions were logged out"
nok "the password never appears in the daemon's output" grep -q 'fmg-pass' "$DAEMON_ERR" "$DAEMON_OUT"
