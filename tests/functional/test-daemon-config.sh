#!/bin/bash
# SPDX-License-Identifier: MIT
# Configuration: secrespd -n (exit 0 / 78, file:line: setting: message,
# did-you-mean), -n -v, secret references, and reloads (SIGHUP and
# secrespctl reload) that keep the old config when the new one is bad.
. "$(dirname "$0")/lib.sh"

plan 45

journal_require
notify_start

good() { # FILE DEFAULT_EXPIRY
        make_conf "$1" \
                'control: { client_timeout = "2s"; };' \
                "whitelist: { default_expiry = \"$2\"; sweep_interval = \"1s\"; };"
}
good "$T/good.conf" 30d
run "$SECRESPD" -n -c "$T/good.conf"
is "$RUN_RC" 0 "-n: a valid file exits 0"

# check_bad NAME LINE SETTING_RE MESSAGE_RE : the file $T/NAME.conf
check_bad() {
        local f=$T/$1.conf
        run "$SECRESPD" -n -c "$f"
        is "$RUN_RC" 78 "-n: $1 exits 78"
        like "$RUN_ERR" "^$f:$2: ($3): .*($4)" "-n: $1 reported as $1.conf:$2: setting: message"
}

printf '%s\n' '# line 1' \
        "state_directory = \"$T/state\";" \
        'whitelist: {' \
        '  sweep_intervall = "1s";' \
        '};' >"$T/unknown.conf"
check_bad unknown 4 'whitelist\.sweep_intervall|sweep_intervall' 'unknown'
like "$RUN_ERR" "did you mean.*sweep_interval([^l]|\$)" "-n: unknown setting gets a did-you-mean hint"

printf '%s\n' '# line 1' 'log_level = 7;' >"$T/type.conf"
check_bad type 2 'log_level' 'string|expected'

printf '%s\n' 'control: {' '  socket = "/tmp/x.sock";' '  client_timeout = "10 parsecs";' '};' >"$T/duration.conf"
check_bad duration 3 'control\.client_timeout|client_timeout' 'duration'

printf '%s\n' '' '' 'whitelist: { default_expiry = "1s"; };' >"$T/range.conf"
check_bad range 3 'whitelist\.default_expiry|default_expiry' 'range'

printf '%s\n' '# fine' 'log_level = "debug";' 'this is not libconfig' >"$T/syntax.conf"
run "$SECRESPD" -n -c "$T/syntax.conf"
is "$RUN_RC" 78 "-n: a syntax error exits 78"
like "$RUN_ERR" "^$T/syntax.conf:3: " "-n: a syntax error names file:line"

printf '%s\n' 'log_level = "loud";' 'whitelist: { sweep_interval = "forever"; };' >"$T/two.conf"
run "$SECRESPD" -n -c "$T/two.conf"
is "$RUN_RC" 78 "-n: two errors exit 78"
is "$(printf '%s\n' "$RUN_ERR" | grep -Ec "^$T/two.conf:[12]: ")" 2 "-n: every error is reported, not just the first"

run "$SECRESPD" -n -c "$T/does-not-exist.conf"
is "$RUN_RC" 78 "-n: a missing file exits 78"
like "$RUN_ERR" "does-not-exist\.conf" "-n: ... and names the file"

# ---- secret references ------------------------------------------------------------
printf 'hunter2-%s\n' "$RANDOM" >"$T/proxy.pw"
chmod 0644 "$T/proxy.pw"
make_conf "$T/secret.conf" \
        "http: { proxy = \"http://127.0.0.1:9\"; proxy_user = \"u\"; proxy_password = \"file:$T/proxy.pw\"; };"
run "$SECRESPD" -n -c "$T/secret.conf"
is "$RUN_RC" 78 "file: secret readable by others is refused (78)"
like "$RUN_ERR" "^$T/secret.conf:[0-9]+: [a-z_.]*proxy_password: " "... with file:line: http.proxy_password"
chmod 0600 "$T/proxy.pw"
run "$SECRESPD" -n -v -c "$T/secret.conf"
is "$RUN_RC" 0 "file: secret with mode 0600 is accepted"
unlike "$RUN_OUT$RUN_ERR" "$(cat "$T/proxy.pw")" "-n -v does not print the secret"

# ---- -n -v ---------------------------------------------------------------------------
run "$SECRESPD" -n -v -c "$T/good.conf"
is "$RUN_RC" 0 "-n -v: exit 0"
like "$RUN_OUT" 'default_expiry' "-n -v prints the normalised settings"
like "$RUN_OUT" 'client_timeout' "-n -v prints defaults and set values"
printf '%s\n' "$RUN_OUT" >"$T/normalised.conf"
run "$SECRESPD" -n -c "$T/normalised.conf"
is "$RUN_RC" 0 "the -n -v output is itself a valid config"

# ---- start with a bad config ------------------------------------------------------------
start_daemon "$T/type.conf"
if wait_daemon_exit 5; then
        is "$DAEMON_RC" 78 "starting with a bad config exits 78"
else
        fail "starting with a bad config exits 78" "still running after 5 s"
fi
is "$(notify_count 'READY=1')" 0 "... without READY=1"

# ---- reload with a bad config: refused, old one kept ------------------------------------------
cp "$T/good.conf" "$T/live.conf"
start_ready "$T/live.conf"
cp "$T/unknown.conf" "$T/live.conf"
notify_mark
kill -HUP "$DAEMON_PID"
if wait_notify 'RELOADING=1' 5; then
        pass "SIGHUP: RELOADING=1"
        mono=$(printf '%s\n' "$NOTIFY_DGRAM" | sed -n 's/^MONOTONIC_USEC=//p')
        now_mono=$("$PY" -c 'import time; print(int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6))')
        if [[ "$mono" =~ ^[0-9]+$ ]] && ((now_mono - mono >= 0 && now_mono - mono < 5000000)); then
                pass "RELOADING=1 comes with MONOTONIC_USEC=<now> in the same datagram"
        else
                fail "RELOADING=1 comes with MONOTONIC_USEC=<now> in the same datagram" \
                        "MONOTONIC_USEC='$mono', CLOCK_MONOTONIC now $now_mono"
        fi
else
        fail "SIGHUP: RELOADING=1"
        fail "RELOADING=1 comes with MONOTONIC_USEC=<now> in the same datagram"
fi
ok "a refused reload still ends with READY=1" wait_notify 'READY=1' 5
if journal_wait 5 MESSAGE_ID="$MSGID_CONFIG_REJECTED" _PID="$DAEMON_PID"; then
        pass "journald: CONFIG_REJECTED entry"
        like "$(printf '%s\n' "$JOURNAL_OUT" | jfield MESSAGE)" "live\.conf:4" \
                "CONFIG_REJECTED names file:line"
else
        fail "journald: CONFIG_REJECTED entry"
        fail "CONFIG_REJECTED names file:line"
fi
ok "the daemon survives a bad reload" daemon_alive
run ctl status
is "$RUN_RC" 0 "after a refused reload, secrespctl status exits 0"
run ctl --json whitelist add user old-config
now=$(date +%s)
exp=$(ctl --json whitelist list | pyj '[epoch(e["expires_at"]) for e in d if e["value"] == "old-config"][0]')
cmp_num $((${exp:-0} - now)) -ge $((30 * 86400 - 120)) "the old config is kept (default_expiry still 30d)"

# ---- reload with a good new config ------------------------------------------------------------
good "$T/live.conf" 2d
notify_mark
kill -HUP "$DAEMON_PID"
ok "good reload: RELOADING=1" wait_notify 'RELOADING=1' 5
ok "good reload: then READY=1" wait_notify 'READY=1' 5
if journal_wait 5 MESSAGE_ID="$MSGID_RELOADED" _PID="$DAEMON_PID"; then
        pass "journald: RELOADED entry"
else
        fail "journald: RELOADED entry"
fi
run ctl whitelist add user new-config
now=$(date +%s)
exp=$(ctl --json whitelist list | pyj '[epoch(e["expires_at"]) for e in d if e["value"] == "new-config"][0]')
d=$((${exp:-0} - now))
if ((d > 2 * 86400 - 120 && d < 2 * 86400 + 120)); then
        pass "the new config applies (default_expiry 2d)"
else
        fail "the new config applies (default_expiry 2d)" "expires in ${d}s"
fi

# ---- secrespctl reload --------------------------------------------------------------------
good "$T/live.conf" 5d
notify_mark
run ctl reload
is "$RUN_RC" 0 "secrespctl reload: exit 0"
ok "secrespctl reload: RELOADING=1" wait_notify 'RELOADING=1' 5
ok "secrespctl reload: then READY=1" wait_notify 'READY=1' 5
run ctl whitelist add user ctl-reload
exp=$(ctl --json whitelist list | pyj '[epoch(e["expires_at"]) for e in d if e["value"] == "ctl-reload"][0]')
d=$((${exp:-0} - $(date +%s)))
if ((d > 5 * 86400 - 120 && d < 5 * 86400 + 120)); then
        pass "secrespctl reload applies the new config (default_expiry 5d)"
else
        fail "secrespctl reload applies the new config (default_expiry 5d)" "expires in ${d}s"
fi
cp "$T/syntax.conf" "$T/live.conf"
run ctl reload
is "$RUN_RC" 1 "secrespctl reload of a bad config: exit 1 (refused)"
like "$RUN_OUT$RUN_ERR" 'live\.conf:3' "... and shows the error with file:line"

stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM after the reloads: exit 0"
