#!/bin/bash
# SPDX-License-Identifier: MIT
# sophos end to end: the real secrespd against tests/sim/sophos_sim.py over
# HTTPS.  Test op, block (one read, one write of the IP list, credentials in
# a POSTed form and never in the URL), already in the list, coalescing (one
# write per batch), IPv6 refused, 429/503 retried, 500s and a malformed
# answer retried by the reconciler, wrong credentials, a host that is not an
# IP list, unblock with the stored address, an address removed before the
# unblock, config errors.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw2.sh"

plan 39
fw2_require
RNAME=sophos
L="Vectra - Sophos Integration"
vsim_start sophos sophos_sim.py
DAEMON_ENV=("SOPHOS_PASSWORD=sophos-secret" "SOPHOS_WRONG=nope")
S_SETTINGS="type = \"sophos\"; url = \"$VSIM_URL_sophos\"; username = \"secresp\"; password = \"env:SOPHOS_PASSWORD\";"
make_conf "$T/secrespd.conf" \
        "http = { ca_file = \"$PKI/ca.pem\"; };" \
        "reconcile = { retry_base_ms = 200; retry_max = \"2s\"; retry_attempts = 6; };" \
        "responders = ( { name = \"sophos\"; $S_SETTINGS },
                        { name = \"sophos2\"; type = \"sophos\"; url = \"$VSIM_URL_sophos\"; username = \"secresp\";
                          password = \"env:SOPHOS_WRONG\"; },
                        { name = \"sophos3\"; $S_SETTINGS block_list = \"Single\"; } );"
start_ready "$CONF"

list() { vs_state "d['iphosts']['$L']['ips']" | tr -d ' '; }
writes() { vs_state "d['writes']"; }

# ---- test
vs_mark
run ctl -j responder test sophos
is "$RUN_RC" 0 "responder test: exit 0"
like "$RUN_OUT" "IP list '$L' holds 1 address" "responder test: the list and its size"
is "$(vs_seq | awk '{print $1, $2}')" "POST /webconsole/APIController" "responder test: one POST"
is "$(vs_reqs | pyj '[e["query"] for e in d]')" '[{}]' "no query string: the credentials are not in the URL"
like "$(vs_reqs | pyj 'd[0]["body"]')" '^reqxml=%3CRequest%3E%3CLogin%3E' "the request is a reqxml form"

# ---- block: read, one write
vs_mark
rblock host 10.1.2.3
is "$RUN_RC" 0 "block 10.1.2.3: exit 0"
is "$(rstate 10.1.2.3)" blocked "db: blocked"
is "$(relements 10.1.2.3)" '["10.1.2.3"]' "db: the element is the IP"
is "$(list)" '["192.0.2.9","10.1.2.3"]' "sim: in the list, the other address kept"
is "$(vs_count POST APIController 200)" 2 "one read, one write"
is "$(writes)" 1 "one write"

# ---- already in the list: one read, no write
vs_mark
rblock host 192.0.2.9
is "$(rstate 192.0.2.9)" blocked "already listed: blocked"
is "$(vs_count POST APIController)$(writes)" 11 "already listed: one read, no write"

# ---- coalescing
vs_faults '[{"kind": "latency", "delay_ms": 600, "times": 1}]'
w0=$(writes)
for i in 1 2 3 4 5 6 7 8; do
        ctl block host "10.1.3.$i" --responder sophos >/dev/null 2>&1 &
        pids[i]=$!
done
for i in 1 2 3 4 5 6 7 8; do wait "${pids[i]}"; done
vs_nofaults
n=0
for i in 1 2 3 4 5 6 7 8; do [ "$(rstate "10.1.3.$i")" = blocked ] && n=$((n + 1)); done
is "$n" 8 "eight hosts blocked"
is "$(vs_state "len([x for x in d['iphosts']['$L']['ips'] if x.startswith('10.1.3.')])")" 8 "sim: all eight listed"
nw=$(($(writes) - w0))
cmp_num "$nw" -le 2 "eight blocks: at most two writes ($nw)"
diag "coalescing: 8 blocks -> $nw list write(s)"

# ---- IPv6: the list is IPv4
rblock host 2001:db8::5
is "$(rstate 2001:db8::5)" failed "IPv6: failed for good"
like "$(dbq "SELECT b.last_error FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '2001:db8::5'")" \
        'not an IPv4 address' "IPv6: the reason is recorded"

# ---- 429 then 503: retried within the call
vs_faults '[{"kind": "rate_limit", "retry_after": "1", "times": 1}, {"kind": "status", "status": 503, "skip": 1, "times": 1}]'
vs_mark
rblock host 10.1.2.60
is "$(rstate 10.1.2.60)" blocked "429 and 503: blocked"
is "$(vs_seq | awk '{print $3}' | tr '\n' ' ')" "429 503 200 200 " "answers: 429, 503, then the read and the write"

# ---- 500 until the client gives up: the reconciler retries
vs_faults '[{"kind": "status", "status": 500, "times": 3}]'
rblock host 10.1.2.61
ok "500 x3: blocked by a later attempt" rwait_state 10.1.2.61 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'HTTP 500' "status: the 500 is reported"

# ---- a malformed answer
vs_faults '[{"kind": "malformed", "body": "<html>oops</html>", "times": 1}]'
rblock host 10.1.2.62
ok "malformed answer: blocked by a later attempt" rwait_state 10.1.2.62 blocked 20
like "$(rstatus 'r["last_call_error"]')" 'no <Login> status' "status: the malformed answer is reported"
vs_nofaults

# ---- wrong credentials: permanent, named
run ctl -j responder test sophos2
isnt "$RUN_RC" 0 "wrong password: the test fails"
like "$RUN_OUT$RUN_ERR" 'login: Authentication Failure' "wrong password: the test says so"
RNAME=sophos2
rblock host 10.1.2.70
is "$(rstate 10.1.2.70)" failed "wrong password: the block failed for good"
# ---- an IP Host that is not a list
run ctl -j responder test sophos3
like "$RUN_OUT$RUN_ERR" "not an IP list: 'Single'" "a single-address IP Host is refused"
RNAME=sophos

# ---- unblock
w0=$(writes)
runblock host 10.1.2.3
is "$(rstate 10.1.2.3)" unblocked "unblock: unblocked"
is "$(vs_state "'10.1.2.3' in d['iphosts']['$L']['ips']")" false "sim: out of the list"
is "$(writes)" $((w0 + 1)) "unblock: one write"

# ---- removed before the unblock: a success, no write
vs_post /_sophos/remove/10.1.2.60 >/dev/null
w0=$(writes)
runblock host 10.1.2.60
is "$(rstate 10.1.2.60)" unblocked "already gone: unblocked"
is "$(writes)" "$w0" "already gone: no write"

# ---- health, secrets
cmp_num "$(rstatus 'r["calls_ok"]')" -ge 14 "status: calls_ok counted"
unlike "$(journal_query; cat "$T"/daemon.*.err)" 'sophos-secret|reqxml' "no password (nor request XML) in the journal"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- config errors
make_conf "$T/bad.conf" "responders = ( { name = \"s\"; $S_SETTINGS max_concurrent = 2; } );"
run env SOPHOS_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
is "$RUN_RC" 78 "max_concurrent = 2: exit 78"
like "$RUN_ERR" "max_concurrent must be 1" "max_concurrent > 1 refused"
make_conf "$T/bad.conf" "responders = ( { name = \"s\"; $S_SETTINGS IS_ENCRYPTED = true; } );"
run env SOPHOS_PASSWORD=x "$SECRESPD" -n -c "$T/bad.conf"
like "$RUN_ERR" "the original's IS_ENCRYPTED is 'password_encrypted' here" "the original's name gets a hint"
