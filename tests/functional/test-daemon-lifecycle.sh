#!/bin/bash
# SPDX-License-Identifier: MIT
# secrespd lifecycle against a real NOTIFY_SOCKET and a real journald:
# READY/STATUS/STOPPING, SIGTERM and SIGINT, the watchdog, an empty config
# with $STATE_DIRECTORY/$RUNTIME_DIRECTORY, --once.
. "$(dirname "$0")/lib.sh"

plan 37

journal_require
notify_start

make_conf "$T/secrespd.conf" \
        'control: { client_timeout = "2s"; };' \
        'whitelist: { sweep_interval = "1s"; };'

run "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 0 "secrespd -n accepts the test configuration"

: >"$T/empty.conf"
run "$SECRESPD" -n -c "$T/empty.conf"
is "$RUN_RC" 0 "secrespd -n accepts an empty configuration file"

# ---- start, READY, STATUS ------------------------------------------------
start_daemon "$CONF"
mark0=$NOTIFY_MARK
if wait_notify 'READY=1' 10; then
        pass "READY=1 arrives on NOTIFY_SOCKET"
else
        daemon_alive || wait_daemon_exit 1
        bail_out "no READY=1 (daemon exit status: ${DAEMON_RC:-still running})"
fi
is "$NOTIFY_PID_SEEN" "$DAEMON_PID" "READY=1 is sent by the daemon's own pid"
ok "the control socket listens once READY=1 is sent" test -S "$SOCK"
ok "the database exists once READY=1 is sent" test -s "$DB"
is "$(stat -c %a "$SOCK" 2>&1)" 660 "the control socket has mode 0660"

NOTIFY_MARK=$mark0
if wait_notify 'STATUS=.+' 5; then
        pass "a STATUS= line arrives"
        like "$NOTIFY_DGRAM" '^STATUS=[^[:cntrl:]]{3,}$' "STATUS= is one readable line"
else
        fail "a STATUS= line arrives"
        fail "STATUS= is one readable line"
fi

run ctl status
is "$RUN_RC" 0 "secrespctl status exits 0"
like "$RUN_OUT" "(^|[^0-9])$DAEMON_PID([^0-9]|\$)" "secrespctl status shows the daemon's pid"
like "$RUN_OUT" "$DB" "secrespctl status shows the database path"

run ctl --json status
is "$RUN_RC" 0 "secrespctl --json status exits 0"
is "$(printf '%s' "$RUN_OUT" | pyj '
next((v for k, v in d.items() if k == "pid"), None) if isinstance(d, dict) else None' 2>&1)" \
        "$DAEMON_PID" "--json status has \"pid\": the daemon's pid"

if journal_wait 5 MESSAGE_ID="$MSGID_STARTED" _PID="$DAEMON_PID"; then
        pass "journald has a STARTED entry from the daemon"
else
        fail "journald has a STARTED entry from the daemon"
fi
is "$(notify_count 'WATCHDOG=1')" 0 "no WATCHDOG=1 without WATCHDOG_USEC"

# ---- SIGTERM --------------------------------------------------------------
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM: exit status 0"
cmp_num "${STOP_MS:-99999}" -le 2000 "SIGTERM: exits within 2 s (${STOP_MS:-?} ms)"
ok "SIGTERM: STOPPING=1 was sent" wait_notify 'STOPPING=1' 1
is "$NOTIFY_PID_SEEN" "$DAEMON_PID" "STOPPING=1 is sent by the daemon's pid"
if journal_wait 3 MESSAGE_ID="$MSGID_STOPPED" _PID="$DAEMON_PID"; then
        pass "journald has a STOPPED entry"
else
        fail "journald has a STOPPED entry"
fi
unlike "$(cat "$DAEMON_ERR")" 'AddressSanitizer|LeakSanitizer|runtime error:|uv_loop_close|leak' \
        "SIGTERM: no leak or sanitizer report on stderr"

# ---- SIGINT ---------------------------------------------------------------
start_ready "$CONF"
pass "restarted: READY=1 again"
stop_daemon INT 5
is "$DAEMON_RC" 0 "SIGINT: exit status 0"
cmp_num "${STOP_MS:-99999}" -le 2000 "SIGINT: exits within 2 s (${STOP_MS:-?} ms)"
ok "SIGINT: STOPPING=1 was sent" wait_notify 'STOPPING=1' 1

# ---- watchdog ---------------------------------------------------------------
# 200 ms: WATCHDOG=1 is due every 100 ms.
WATCHDOG_USEC=200000 DAEMON_WATCHDOG_PID=self start_ready "$CONF"
t0=$(now_ms)
if wait_until 3 eval '[ "$(notify_count "WATCHDOG=1")" -ge 5 ]'; then
        pass "WATCHDOG_USEC=200000: at least 5 WATCHDOG=1 arrive"
        cmp_num $(($(now_ms) - t0)) -le 1500 "... within 1.5 s (every WATCHDOG_USEC/2)"
else
        fail "WATCHDOG_USEC=200000: at least 5 WATCHDOG=1 arrive" "got $(notify_count 'WATCHDOG=1')"
        fail "... within 1.5 s (every WATCHDOG_USEC/2)"
fi
stop_daemon TERM 5
is "$DAEMON_RC" 0 "with the watchdog on: SIGTERM exits 0"

# WATCHDOG_PID names another process: the watchdog is not ours.
WATCHDOG_USEC=200000 DAEMON_WATCHDOG_PID=1 start_ready "$CONF"
sleep 0.6
is "$(notify_count 'WATCHDOG=1')" 0 "WATCHDOG_PID of another process: no WATCHDOG=1"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "... and SIGTERM exits 0"

# ---- empty config: $STATE_DIRECTORY and $RUNTIME_DIRECTORY -------------------
mkdir -p "$T/sd" "$T/rd"
DAEMON_ENV=("STATE_DIRECTORY=$T/sd" "RUNTIME_DIRECTORY=$T/rd")
start_ready "$T/empty.conf"
pass "an empty configuration file: READY=1"
ok "empty config: the database is \$STATE_DIRECTORY/secresp.db" test -s "$T/sd/secresp.db"
ok "empty config: the socket is \$RUNTIME_DIRECTORY/control.sock" test -S "$T/rd/control.sock"
run "$SECRESPCTL" -s "$T/rd/control.sock" status
is "$RUN_RC" 0 "empty config: secrespctl status exits 0"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "empty config: SIGTERM exits 0"
DAEMON_ENV=()

# ---- --once ----------------------------------------------------------------------
start_daemon "$CONF" --once
if wait_daemon_exit 10; then
        is "$DAEMON_RC" 0 "--once with no source enabled exits 0"
else
        fail "--once with no source enabled exits 0" "still running after 10 s"
fi
