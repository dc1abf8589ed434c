#!/bin/bash
# SPDX-License-Identifier: MIT
# pan responder end to end: the real secrespd against tests/sim/pan_sim.py
# (PAN-OS XML API, and a second one acting as Panorama).  Keygen once and
# cached, User-ID register/unregister of hosts and destinations (VAR's
# detection and static calls crashed), errors read from the XML (PAN-OS
# answers HTTP 200 with status="error": "already exists" and "does not
# exist" are successes), a key revoked mid-run (403, new key, retry), 429
# and 5xx retried, many blocks in one uid-message, Panorama target and
# vsys, capabilities at config time, `secrespctl responder test`.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw1.sh"

plan 40
command -v sqlite3 >/dev/null || skip_all "sqlite3 (the CLI) is needed"
LOG_TARGET=stderr
fsim_start pano pan_sim.py --panorama --devices 007051000012345
PANO_URL=$FSIM_URL PANO_LOG=$FSIM_LOG
fsim_start pan pan_sim.py
printf 'pan-pass' >"$T/pan.pw"
chmod 600 "$T/pan.pw"
printf 'wrong' >"$T/bad.pw"
chmod 600 "$T/bad.pw"
reg() { fsim_state "d['registered'].get('${2:-local/vsys1}', {}).get('$1')"; }

PAN="{ name = \"pa1\"; type = \"pan\"; url = \"$FSIM_URL\"; username = \"admin\"; password = \"file:$T/pan.pw\"; },
     { name = \"pa-hosts\"; type = \"pan\"; url = \"$FSIM_URL\"; username = \"admin\"; password = \"file:$T/pan.pw\";
       destination_tag = \"\"; },
     { name = \"pa-bad\"; type = \"pan\"; url = \"$FSIM_URL\"; username = \"admin\"; password = \"file:$T/bad.pw\"; },
     { name = \"pano\"; type = \"pan\"; url = \"$PANO_URL\"; username = \"admin\"; password = \"file:$T/pan.pw\";
       target = \"007051000012345\"; vsys = \"vsys2\"; },
     { name = \"pano-bad\"; type = \"pan\"; url = \"$PANO_URL\"; username = \"admin\"; password = \"file:$T/pan.pw\";
       target = \"000000000000000\"; }"

# ---- configuration checks
: >"$T/static.txt"
rconf "$PAN" "vectra = ( { name = \"b1\"; url = \"http://127.0.0.1:9\"; api_version = \"2.5\"; auth = \"token\";
  token = \"env:NOPE\"; responders = [ \"pa-hosts\" ]; static_destinations = \"$T/static.txt\"; } );"
run env NOPE=x "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 78 "a host-only pan responder asked for static destinations: config error"
like "$RUN_ERR" "responder 'pa-hosts' cannot block destinations" "the error names the responder"
rconf "{ name = \"p\"; type = \"pan\"; URLS = \"$FSIM_URL\"; username = \"admin\"; password = \"pan-pass\"; }"
run "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 78 "bad pan settings: config error"
like "$RUN_ERR" "URLS.*url" "VAR's URLS gets a hint"
like "$RUN_ERR" "password" "a literal password is refused (references only)"

rconf "$PAN"
start_ready "$CONF"

# ---- test op and keygen
fsim_mark
run ctl responder test pa1
is "$RUN_RC" 0 "responder test pa1: ok"
like "$RUN_OUT" "PAN-OS 10.2.4, hostname pa-sim" "responder test: version and hostname"
is "$(fsim_params | tr '\n' ';')" "keygen 200;op 200;" "keygen, then show system info"
run ctl responder test pa-bad
isnt "$RUN_RC" 0 "responder test with a wrong password: fails"
like "$RUN_OUT$RUN_ERR" "Invalid Credentials" "the error says why"

# ---- block: host and destination; the key is reused
fsim_mark
run ctl block host 10.0.0.1 --responder pa1
is "$RUN_RC" 0 "block host 10.0.0.1: ok"
is "$(reg 10.0.0.1)" '["Block_Host"]' "10.0.0.1 registered with Block_Host"
is "$(fsim_params | tr '\n' ';')" "user-id 200;" "one user-id call, no new keygen"
is "$(bq 10.0.0.1 pa1 elements)" '["10.0.0.1"]' "db: element is the IP"
run ctl block destination 93.184.216.34 --responder pa1
is "$RUN_RC" 0 "block destination (VAR crashed): ok"
is "$(reg 93.184.216.34)" '["Block_Detection"]' "the destination registered with Block_Detection"
run ctl block destination 2.2.2.0/24 --responder pa1
ok "a network: failed for good, not retried" wait_bstate 2.2.2.0/24 pa1 failed 10
like "$(bq 2.2.2.0/24 pa1 last_error)" "single addresses" "db: the error says why"
run ctl block destination 198.51.100.7 --responder pa-hosts
isnt "$RUN_RC" 0 "a destination on the host-only responder: refused"

# ---- idempotency: PAN-OS says "already exists" / "does not exist" in an error answer
fsim_edit 's["registered"]["local/vsys1"]["10.0.0.9"] = ["Block_Host"]'
run ctl block host 10.0.0.9 --responder pa1
is "$RUN_RC" 0 "block of a host already registered: ok"
is "$(bq 10.0.0.9 pa1 state)" blocked "db: blocked"
fsim_edit 'del s["registered"]["local/vsys1"]["10.0.0.9"]'
fsim_mark
run ctl unblock host 10.0.0.9 --responder pa1
is "$RUN_RC" 0 "unblock of a mapping already gone: ok"
is "$(bq 10.0.0.9 pa1 state)" unblocked "db: unblocked"

# ---- the key is revoked mid-run: 403, keygen, the call again
fsim_patch '{"keys": []}'
fsim_mark
run ctl block host 10.0.0.2 --responder pa1
is "$RUN_RC" 0 "block after the key was revoked: ok"
is "$(fsim_params | tr '\n' ';')" "user-id 403;keygen 200;user-id 200;" "403, a new key, the call again"
is "$(reg 10.0.0.2)" '["Block_Host"]' "10.0.0.2 registered"

# ---- 429 and 5xx
fsim_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "POST", "times": 1},
              {"kind": "status", "status": 502, "method": "POST", "skip": 1, "times": 1}]'
fsim_mark
run ctl block host 10.0.0.3 --responder pa1
is "$RUN_RC" 0 "block through a 429 and a 502: ok"
is "$(fsim_calls | awk '{print $3}' | tr '\n' ' ')" "429 502 200 " "retried until it went through"
fsim_faults '[]'

# ---- many blocks, few uid-messages
fsim_faults '[{"kind": "latency", "delay_ms": 300, "method": "POST"}]'
fsim_mark
pids=()
for i in $(seq 1 20); do
        ctl block host "10.9.0.$i" --responder pa1 >/dev/null 2>&1 &
        pids+=($!)
done
wait "${pids[@]}"
fsim_faults '[]'
is "$(fsim_state 'len([ip for ip in d["registered"]["local/vsys1"] if ip.startswith("10.9.0.")])')" 20 "20 hosts registered"
cmp_num "$(fsim_params | grep -c '^user-id')" -le 6 "20 blocks in at most 6 uid-messages"
cmp_num "$(fsim GET /__sim/requests | pyj 'max(e["body"].count("%3Centry") for e in d)')" -ge 5 \
        "one uid-message carried several entries"
pids=()
for i in $(seq 1 20); do
        ctl unblock host "10.9.0.$i" --responder pa1 >/dev/null 2>&1 &
        pids+=($!)
done
wait "${pids[@]}"
is "$(fsim_state 'len([ip for ip in d["registered"]["local/vsys1"] if ip.startswith("10.9.0.")])')" 0 "all 20 unregistered"

# ---- Panorama: target serial and vsys
run ctl responder test pano
like "$RUN_OUT" "target 007051000012345" "responder test through Panorama names the target"
run ctl block host 10.0.0.5 --responder pano
is "$RUN_RC" 0 "block through Panorama: ok"
is "$(on_sim "$PANO_URL" "$PANO_LOG" fsim_state "d['registered'].get('007051000012345/vsys2')")" \
        '{"10.0.0.5": ["Block_Host"]}' "registered on the target's vsys2"
run ctl block host 10.0.0.6 --responder pano-bad
ok "an unknown target: failed" wait_bstate 10.0.0.6 pano-bad failed 10
like "$(bq 10.0.0.6 pano-bad last_error)" "not connected" "db: Panorama's message"

# ---- secrets
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
nok "the password never appears in the daemon's output" grep -q 'pan-pass' "$DAEMON_ERR" "$DAEMON_OUT"
nok "no API key in the daemon's output" grep -q 'LUFRPT' "$DAEMON_ERR" "$DAEMON_OUT"
