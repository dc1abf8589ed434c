#!/bin/bash
# SNA end-to-end: the session is renewed before it expires.  The SMC
# (sna_sim.py --session-ttl 12) drops sessions after 12 s; with
# session_lifetime = 10s the daemon logs in again before its next call
# once the session is 10 s old, so no call ever meets a 401.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 6
e2e_require
sna_start --session-ttl 12
sna_events '[{"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}}]'
sconf 'session_lifetime = "10s";'
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
is "$(sna_get /__sim/sessions | pyj 'd["logins"]')" 1 "one login"
srun run
is "$(sna_get /__sim/sessions | pyj 'd["logins"]')" 1 "a cycle within the lifetime reuses the session"
sleep 10.5
sna_mark
srun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "a cycle 10 s later: ok"
is "$(sna_get /__sim/sessions | pyj 'd["logins"]')" 2 "logged in again before the first call"
is "$(sna_reqs '*' '.' | pyj_status 401)" 0 "no call met a 401"
stop_daemon TERM
