#!/bin/bash
# SPDX-License-Identifier: MIT
# VAR's summaries (vectra.md §5.2, §5.3) end to end: a Vectra cycle that
# blocks a host sends one e-mail (SMTP AUTH, every section, VAR's subject)
# and one syslog message per section (CEF over TCP with VAR's trailing NUL,
# or the standard format over UDP); a cycle with nothing to say sends
# nothing; `secrespctl summary test` is VAR's --test_smtp and
# --test_syslog; a refused password or a missing STARTTLS is reported by
# `secrespctl summary test` (exit 1, naming the e-mail), and the
# password appears nowhere.  State: tests/functional/vectra/once.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 23
e2e_require
sim_start "$E2E_DIR/once.json"
BRAIN='accounts: { enabled = false; }; detections: { enabled = false; };'

MAILS=$T/mails.jsonl
FRAMES=$T/syslog.jsonl
"$PY" "$top_srcdir/tests/sim/smtp_sim.py" --port-file "$T/smtp.ports" --mail-log "$MAILS" \
        --user var-mailer --password mail-s3cret --syslog-log "$FRAMES" 2>"$T/smtp.err" &
track_pid $!
wait_until 10 test -s "$T/smtp.ports" || bail_out "smtp_sim.py did not start: $(cat "$T/smtp.err")"
port_of() { awk -v n="$1" '$1 == n { print $2 }' "$T/smtp.ports"; }
SMTP_PORT=$(port_of smtp)
TCP_PORT=$(port_of syslog-tcp)
UDP_PORT=$(port_of syslog-udp)
DAEMON_ENV+=("MAIL_PASSWORD=mail-s3cret")

summary_conf() { # EMAIL-EXTRA SYSLOG-PORT PROTO FORMAT
        printf 'summary: { email: { server = "127.0.0.1"; port = %s; from = "var@example.com";
  to = [ "soc@example.com", "noc@example.com" ]; user = "var-mailer"; password = "env:MAIL_PASSWORD"; %s };
  syslog: { server = "127.0.0.1"; port = %s; protocol = "%s"; format = "%s"; }; };' \
                "$SMTP_PORT" "$1" "$2" "$3" "$4"
}
mails() { [ -s "$MAILS" ] && wc -l <"$MAILS" || echo 0; }
frames() { [ -s "$FRAMES" ] && wc -l <"$FRAMES" || echo 0; }
lastmail() { tail -n 1 "$MAILS" | pyj "$1"; }
has_mails() { [ "$(mails)" -ge "$1" ]; }
has_frames() { [ "$(frames)" -ge "$1" ]; }

# ---- a blocking cycle: one e-mail, one syslog frame (only Info has lines)
vconf "$BRAIN" "$(summary_conf '' "$TCP_PORT" tcp cef)"
start_ready "$CONF"
ok "first cycle ran" wait_cycles 1 20
ok "an e-mail arrived" wait_until 10 has_mails 1
is "$(lastmail '[d["from"], d["to"], d["auth"]]')" '["var@example.com", ["soc@example.com", "noc@example.com"], "var-mailer"]' \
        "e-mail: envelope and SMTP AUTH as configured"
like "$(lastmail 'd["data"]')" 'Subject: Vectra Automated Response' "e-mail: VAR's subject"
like "$(lastmail 'd["data"]')" $'Info\r?\nBlocked host 10\\.0\\.0\\.1 with client fw' "e-mail: the Info section names the block"
ok "a syslog frame arrived" wait_until 10 has_frames 1
is "$(tail -n 1 "$FRAMES" | pyj '[d["proto"], d["nul"]]')" '["tcp", true]' "syslog: TCP, each frame ended by a NUL (VAR's SysLogHandler)"
like "$(tail -n 1 "$FRAMES" | pyj 'd["frame"]')" \
        '^<14>CEF:0\|Vectra Networks\|X Series\|var\|Vectra Automated Response\|2\|Info: Blocked host 10\.0\.0\.1 with client fw; $' \
        "syslog: CEF, user.info, severity 2, the section's lines joined by '; '"

# ---- nothing to say: nothing sent
n_mails=$(mails); n_frames=$(frames)
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "second cycle: ok (nothing new)"
sleep 1
is "$(mails):$(frames)" "$n_mails:$n_frames" "second cycle: nothing to report, nothing sent"

# ---- secrespctl summary test: VAR's --test_smtp and --test_syslog
run ctl summary test
is "$RUN_RC" 0 "summary test: exit 0" "$RUN_ERR"
like "$RUN_OUT" 'summary: ok' "summary test: says it went out"
like "$(lastmail 'd["data"]')" 'Subject: TEST - Vectra Automated Response - TEST' "summary test: VAR's test subject"
like "$(tail -n 1 "$FRAMES" | pyj 'd["frame"]')" '^<14>CEF:.*\|2\|INFO: TEST TEST TEST$' "summary test: VAR's test syslog message"
unlike "$(journal_query _PID="$DAEMON_PID" | grep -c 'mail-s3cret')" '^[1-9]' "the SMTP password is never logged"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- a refused password and STARTTLS required without the server offering it
DAEMON_ENV=("VECTRA_TOKEN=$VECTRA_TOKEN" "MAIL_PASSWORD=wrong")
vconf "$BRAIN" "$(summary_conf '' "$UDP_PORT" udp standard)"
start_ready "$CONF"
run ctl summary test
is "$RUN_RC" 1 "refused SMTP password: summary test exits 1"
like "$RUN_ERR" 'e-mail through smtp://127\.0\.0\.1:[0-9]+: .*(denied|auth|Login)' "... naming the e-mail and the refusal"
unlike "$RUN_ERR" 'wrong' "... without the password"
is "$(tail -n 1 "$FRAMES" | pyj '[d["proto"], d["nul"], d["frame"]]')" '["udp", true, "<14>INFO: TEST TEST TEST"]' \
        "syslog over UDP in the standard format still went out"
stop_daemon TERM

DAEMON_ENV=("VECTRA_TOKEN=$VECTRA_TOKEN" "MAIL_PASSWORD=mail-s3cret")
vconf "$BRAIN" "$(summary_conf 'tls = "starttls";' "$TCP_PORT" tcp cef)"
start_ready "$CONF"
run ctl summary test
is "$RUN_RC" 1 "tls = starttls against a server without STARTTLS: the test fails"
like "$RUN_ERR" 'e-mail through smtp://' "... and says it was the e-mail"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
