#!/bin/bash
# SPDX-License-Identifier: MIT
# cisco_asa_http end to end: the real secrespd against tests/sim/cisco_asa_sim.py
# over HTTPS.  Test op, block (exact command path, Basic credentials and
# User-Agent, write memory), "already a member", coalescing of queued calls
# (one write memory per batch), 429/503 retried in the call, 500s retried by
# the reconciler, a 401, unblock with the stored address, an address an
# administrator removed before the unblock, a misspelt object-group that is
# never created, and config errors.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw2.sh"

plan 51
fw2_require
RNAME=asa
vsim_start asa cisco_asa_sim.py
DAEMON_ENV=("ASA_PASSWORD=asa-secret")
ASA_SETTINGS="type = \"cisco_asa_http\"; url = \"$VSIM_URL_asa\"; username = \"secresp\";
  password = \"env:ASA_PASSWORD\"; block_group = \"Vectra-Block\"; write_memory = true;"
make_conf "$T/secrespd.conf" \
        "http = { ca_file = \"$PKI/ca.pem\"; };" \
        "reconcile = { retry_base_ms = 200; retry_max = \"2s\"; retry_attempts = 6; };" \
        "responders = ( { name = \"asa\"; $ASA_SETTINGS },
                        { name = \"asa2\"; type = \"cisco_asa_http\"; url = \"$VSIM_URL_asa\"; username = \"secresp\";
                          password = \"env:ASA_PASSWORD\"; block_group = \"Vectra-Blokc\"; } );"
start_ready "$CONF"

members() { vs_state "d['groups']['Vectra-Block']" | tr -d ' '; }

# ---- test: show version and the object-group, nothing written
vs_mark
run ctl -j responder test asa
is "$RUN_RC" 0 "responder test: exit 0"
like "$RUN_OUT" "Version 9\\.16.*object-group 'Vectra-Block' exists" "responder test: version and group"
is "$(vs_seq | awk '{print $1, substr($2, 1, 12)}' | sort -u | tr '\n' ';')" "GET /admin/exec/;" \
        "responder test: exec commands only"

# ---- block
vs_mark
rblock host 10.1.2.3
is "$RUN_RC" 0 "block host 10.1.2.3: exit 0"
is "$(rstate 10.1.2.3)" blocked "db: blocked"
is "$(relements 10.1.2.3)" '["10.1.2.3"]' "db: the element is the IP"
is "$(members)" '["192.0.2.254","10.1.2.3"]' "sim: in the object-group, the other member kept"
SHOWRUN=/admin/exec/show%20running-config%20object-group%20id%20Vectra-Block
is "$(vs_seq | awk '{print $2}' | tr '\n' ' ')" \
        "$SHOWRUN /admin/config/object-group%20network%20Vectra-Block/network-object%20host%2010.1.2.3 $SHOWRUN /admin/exec/write%20memory " \
        "calls: group read, the command (only the command percent-encoded), group read again, write memory"
is "$(vs_reqs | pyj 'sorted(set(e["headers"].get("user-agent") for e in d))' | tr -d ' ')" '["secresp"]' \
        "User-Agent is the basic-auth-client name"
is "$(vs_reqs | pyj 'all(e["headers"].get("authorization", "").startswith("Basic ") for e in d)')" true \
        "Basic credentials on every call"
is "$(vs_state "d['saved']['Vectra-Block']" | tr -d ' ')" '["192.0.2.254","10.1.2.3"]' "sim: saved by write memory"

# ---- already a member
w0=$(vs_state "d['writes']")
vs_mark
rblock host 192.0.2.254
is "$(rstate 192.0.2.254)" blocked "already a member: blocked"
is "$(relements 192.0.2.254)" '["192.0.2.254"]' "already a member: the element is the IP"
is "$(vs_state "d['writes']")" "$w0" "already a member: nothing to save"
is "$(vs_seq | awk '{print $2}')" "$SHOWRUN" "already a member: the group read, no command"

# ---- coalescing: one write memory per batch
vs_faults '[{"kind": "latency", "delay_ms": 600, "path": "^/admin/exec/show", "times": 1}]'
w0=$(vs_state "d['writes']")
vs_mark
for i in 1 2 3 4 5 6 7 8; do
        ctl block host "10.1.3.$i" --responder asa >/dev/null 2>&1 &
        pids[i]=$!
done
for i in 1 2 3 4 5 6 7 8; do wait "${pids[i]}"; done
vs_nofaults
n=0
for i in 1 2 3 4 5 6 7 8; do [ "$(rstate "10.1.3.$i")" = blocked ] && n=$((n + 1)); done
is "$n" 8 "eight hosts blocked"
is "$(vs_state "len([m for m in d['groups']['Vectra-Block'] if m.startswith('10.1.3.')])")" 8 "sim: all eight in the group"
writes=$(($(vs_state "d['writes']") - w0))
cmp_num "$writes" -le 2 "eight blocks: at most two write memory ($writes)"
cfg=$(vs_count GET '^/admin/config/')
cmp_num "$cfg" -le 2 "eight blocks: at most two configuration requests ($cfg)"
like "$(vs_seq '^/admin/config/' | tail -n 1)" '(network-object%20host%2010\.1\.3\.[0-9]/.*){2}' \
        "several network-object commands in one request"
diag "coalescing: 8 blocks -> $cfg configuration request(s), $writes write memory"

# ---- 429 then 503 on the command: retried within the call
vs_faults '[{"kind": "rate_limit", "retry_after": "1", "path": "^/admin/config/", "times": 1},
            {"kind": "status", "status": 503, "path": "^/admin/config/", "skip": 1, "times": 1}]'
vs_mark
rblock host 10.1.2.60
is "$(rstate 10.1.2.60)" blocked "429 and 503: blocked"
is "$(vs_seq '^/admin/config/' | awk '{print $3}' | tr '\n' ' ')" "429 503 200 " "the command answered 429, 503, 200"

# ---- 500 until the client gives up: the reconciler retries
vs_faults '[{"kind": "status", "status": 500, "path": "^/admin/config/", "times": 3}]'
rblock host 10.1.2.61
ok "500 x3: blocked by a later attempt" rwait_state 10.1.2.61 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'HTTP 500' "status: last_call_error names the HTTP 500"

# ---- an answer that is not the CLI's (a portal page) and nothing applied: the group read catches it
vs_faults '[{"kind": "malformed", "body": "<html>Please log in</html>", "path": "^/admin/config/", "times": 1}]'
rblock host 10.1.2.63
ok "not applied despite a 200: blocked by a later attempt" rwait_state 10.1.2.63 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'is not in object-group .Vectra-Block. after the command' \
        "status: the unapplied command is reported"

# ---- write memory fails: the retry finds the address in place and only saves
vs_faults '[{"kind": "malformed", "body": "Building configuration...\nError writing flash", "path": "write%20memory", "times": 1}]'
vs_mark
rblock host 10.1.2.64
ok "write memory failed: blocked by a later attempt" rwait_state 10.1.2.64 blocked 20
is "$(vs_state "'10.1.2.64' in d['saved']['Vectra-Block']")" true "write memory failed: saved by the retry"
is "$(vs_count GET '^/admin/config/')" 1 "write memory failed: the command was sent once"
vs_nofaults

# ---- a 401 (credentials refused): a permanent failure, retried later on request
vs_faults '[{"kind": "status", "status": 401, "path": "^/admin/", "times": 1}]'
vs_mark
rblock host 10.1.2.62
is "$(rstate 10.1.2.62)" failed "401: failed (not retried at once)"
like "$(rstatus 'r["last_call_error"]')" 'HTTP 401' "status: the 401 is reported"
is "$(vs_count GET '^/admin/')" 1 "401: one request, no other command tried"
vs_nofaults

# ---- unblock: the stored address leaves the group, then saved
vs_mark
runblock host 10.1.2.3
is "$(rstate 10.1.2.3)" unblocked "unblock: unblocked"
is "$(vs_state "'10.1.2.3' in d['groups']['Vectra-Block']")" false "sim: out of the group"
is "$(vs_state "'10.1.2.3' in d['saved']['Vectra-Block']")" false "sim: saved without it"
is "$(vs_seq '^/admin/config/' | awk '{print $2}')" \
        "/admin/config/object-group%20network%20Vectra-Block/no%20network-object%20host%2010.1.2.3" "unblock: the 'no' command"

# ---- removed by an administrator before the unblock: a success, nothing saved
vs_post /_asa/remove/Vectra-Block/10.1.2.60 >/dev/null
w0=$(vs_state "d['writes']")
vs_mark
runblock host 10.1.2.60
is "$(vs_count GET '^/admin/config/')" 0 "already gone: no command"
is "$(rstate 10.1.2.60)" unblocked "already gone: unblocked"
is "$(vs_state "d['writes']")" "$w0" "already gone: nothing to save"

# ---- a misspelt object-group: refused, and never created on the ASA
run ctl -j responder test asa2
isnt "$RUN_RC" 0 "responder test asa2: fails"
like "$RUN_OUT$RUN_ERR" "no network object-group named 'Vectra-Blokc'" "responder test asa2: names the group"
RNAME=asa2
rblock host 10.1.2.70
is "$(rstate 10.1.2.70)" failed "asa2: block failed for good"
is "$(vs_state "'Vectra-Blokc' in d['groups']")" false "sim: no group was created"
RNAME=asa

# ---- health, secrets
cmp_num "$(rstatus 'r["calls_ok"]')" -ge 14 "status: calls_ok counted"
unlike "$(journal_query; cat "$T"/daemon.*.err)" 'asa-secret' "no password in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- config errors
badconf() {
        make_conf "$T/bad.conf" "responders = ( { name = \"asa\"; $ASA_SETTINGS $1 } );"
        run env ASA_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
}
badconf 'max_concurrent = 3;'
is "$RUN_RC" 78 "max_concurrent = 3: exit 78"
like "$RUN_ERR" "max_concurrent must be 1" "max_concurrent > 1 refused"
badconf 'USER_AGENT = "x";'
like "$RUN_ERR" "the original's USER_AGENT is 'user_agent' here" "the original's name gets a hint"
make_conf "$T/bad.conf" "responders = ( { name = \"asa\"; type = \"cisco_asa_http\"; url = \"$VSIM_URL_asa\";
  username = \"secresp\"; password = \"env:ASA_PASSWORD\"; block_group = \"Vectra Block\"; } );"
run env ASA_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
like "$RUN_ERR" "block_group: expected an object-group name" "a group name with a blank is refused"
make_conf "$T/bad.conf" "responders = ( { name = \"asa\"; type = \"cisco_asa_http\"; url = \"$VSIM_URL_asa\";
  username = \"secresp\"; block_group = \"B\"; } );"
run "$SECRESPD" -n -c "$T/bad.conf"
like "$RUN_ERR" "a cisco_asa_http responder needs password" "a missing password is named"
