#!/bin/bash
# SPDX-License-Identifier: MIT
# journald output: MESSAGE_ID and SECRESP_* fields on the events, the
# JOURNAL_STREAM detection, and no secret in any log line.
. "$(dirname "$0")/lib.sh"

plan 33

journal_require
notify_start

SECRET="pw-$RANDOM$RANDOM-do-not-log-$$"
export TEST_PROXY_PASS=$SECRET
DAEMON_ENV=("TEST_PROXY_PASS=$SECRET")

make_conf "$T/secrespd.conf" \
        'whitelist: { sweep_interval = "1s"; };' \
        'http: { proxy = "http://127.0.0.1:9"; proxy_user = "u"; proxy_password = "env:TEST_PROXY_PASS"; };'

# -n -v: the normalised config, secret masked
run "$SECRESPD" -n -v -c "$CONF"
is "$RUN_RC" 0 "-n -v: exit 0"
like "$RUN_OUT" 'proxy_password' "-n -v prints http.proxy_password"
like "$RUN_OUT" '127\.0\.0\.1:9' "-n -v prints the http group"
unlike "$RUN_OUT$RUN_ERR" "$SECRET" "-n -v never prints the secret's value"

start_ready "$CONF"

# ---- STARTED ------------------------------------------------------------------
if journal_wait 5 MESSAGE_ID="$MSGID_STARTED" _PID="$DAEMON_PID"; then
        pass "STARTED entry with its MESSAGE_ID from the daemon's pid"
        like "$(printf '%s\n' "$JOURNAL_OUT" | jfield PRIORITY)" '^[0-7]$' "STARTED has a PRIORITY"
        like "$(printf '%s\n' "$JOURNAL_OUT" | jfield SYSLOG_IDENTIFIER)" '^secresp' "STARTED has SYSLOG_IDENTIFIER secresp*"
        is "$(printf '%s\n' "$JOURNAL_OUT" | jfield _TRANSPORT)" journal "STARTED came through sd_journal_send (native protocol)"
else
        fail "STARTED entry with its MESSAGE_ID from the daemon's pid"
        fail "STARTED has a PRIORITY"
        fail "STARTED has SYSLOG_IDENTIFIER secresp*"
        fail "STARTED came through sd_journal_send (native protocol)"
fi

# ---- WL_ADDED -----------------------------------------------------------------
run ctl whitelist add user carol --days 2 --reason "journald check"
is "$RUN_RC" 0 "whitelist add user carol: exit 0"
if journal_wait 5 MESSAGE_ID="$MSGID_WL_ADDED" _PID="$DAEMON_PID"; then
        pass "WL_ADDED entry with its MESSAGE_ID"
else
        fail "WL_ADDED entry with its MESSAGE_ID"
fi
is "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_KIND)" user "WL_ADDED: SECRESP_KIND=user"
like "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_ENTITY)" '(^|:)carol$' "WL_ADDED: SECRESP_ENTITY names carol"
like "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_ACTION)" '^[a-z][a-z_-]+$' "WL_ADDED: SECRESP_ACTION is set"
is "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_USER)" root "WL_ADDED: SECRESP_USER is the peer (root)"
like "$(printf '%s\n' "$JOURNAL_OUT" | jfield MESSAGE)" 'carol' "WL_ADDED: MESSAGE is readable text naming carol"
# Field matches work for operators: journalctl SECRESP_KIND=user ...
ok "journalctl MESSAGE_ID=... SECRESP_USER=root finds it" \
        test -n "$(journal_query MESSAGE_ID="$MSGID_WL_ADDED" SECRESP_USER=root)"

# ---- WL_REMOVED ---------------------------------------------------------------------
run ctl whitelist remove user carol
is "$RUN_RC" 0 "whitelist remove user carol: exit 0"
if journal_wait 5 MESSAGE_ID="$MSGID_WL_REMOVED" _PID="$DAEMON_PID"; then
        pass "WL_REMOVED entry with its MESSAGE_ID"
else
        fail "WL_REMOVED entry with its MESSAGE_ID"
fi
like "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_ENTITY)" '(^|:)carol$' "WL_REMOVED: SECRESP_ENTITY names carol"
is "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_KIND)" user "WL_REMOVED: SECRESP_KIND=user"
is "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_USER)" root "WL_REMOVED: SECRESP_USER=root"

# ---- RELOADED, STOPPED ----------------------------------------------------------------
notify_mark
kill -HUP "$DAEMON_PID"
ok "SIGHUP: READY=1 after the reload" wait_notify 'READY=1' 5
if journal_wait 5 MESSAGE_ID="$MSGID_RELOADED" _PID="$DAEMON_PID"; then
        pass "RELOADED entry with its MESSAGE_ID"
else
        fail "RELOADED entry with its MESSAGE_ID"
fi
pid1=$DAEMON_PID
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
if journal_wait 3 MESSAGE_ID="$MSGID_STOPPED" _PID="$pid1"; then
        pass "STOPPED entry with its MESSAGE_ID"
else
        fail "STOPPED entry with its MESSAGE_ID"
fi

# ---- JOURNAL_STREAM: log_target auto with stderr connected to journald ------------------
make_conf "$T/auto.conf" 'whitelist: { sweep_interval = "1s"; };'
sed -i 's/^log_target = .*/log_target = "auto";/' "$T/auto.conf"
DAEMON_STDERR=journal start_ready "$T/auto.conf"
if journal_wait 5 MESSAGE_ID="$MSGID_STARTED" _PID="$DAEMON_PID"; then
        pass "log_target auto + JOURNAL_STREAM: structured STARTED entry"
        is "$(printf '%s\n' "$JOURNAL_OUT" | jfield _TRANSPORT)" journal \
                "... sent with sd_journal_send, not as stderr text"
else
        fail "log_target auto + JOURNAL_STREAM: structured STARTED entry"
        fail "... sent with sd_journal_send, not as stderr text"
fi
stop_daemon TERM 5
is "$DAEMON_RC" 0 "... and SIGTERM exits 0"

# log_target auto without JOURNAL_STREAM: plain text on stderr
sed -i 's/^log_level = .*/log_level = "info";/' "$T/auto.conf"
start_ready "$T/auto.conf"
stop_daemon TERM 5
is "$(journal_query MESSAGE_ID="$MSGID_STARTED" _PID="$DAEMON_PID" | wc -l)" 0 \
        "log_target auto, stderr not the journal: nothing sent to journald"
like "$(cat "$DAEMON_ERR")" '[[:alpha:]]{4}' "... text on stderr instead"

# ---- the secret never reaches the journal --------------------------------------------------
export_all=$(journal_export)
like "$export_all" "MESSAGE_ID=$MSGID_WL_ADDED" "journalctl -o export holds the daemon's entries"
unlike "$export_all" "$SECRET" "the proxy password is in no journal field (journalctl -o export)"
unlike "$(cat "$T"/daemon.*.err "$T"/daemon.*.out 2>/dev/null)" "$SECRET" \
        "the proxy password is in no stdout/stderr output"
