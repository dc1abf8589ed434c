#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: SIGTERM while a slow block command is in flight (the
# recorder sleeps 30 s) exits 0 within 2 s, does not leave the command
# running, and keeps the pending block in the database; the next start
# issues it again and it ends `blocked`.  State: tests/functional/vectra/crash.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 13
e2e_require
sim_start "$E2E_DIR/crash.json"
BRAIN='accounts: { enabled = false; }; detections: { enabled = false; };'

children_of() {
        local p
        for p in /proc/[0-9]*/stat; do
                awk -v pp="$1" '{ sub(/^.*\) /, ""); if ($2 == pp) { split(FILENAME, a, "/"); print a[3] } }' "$p" 2>/dev/null
        done
}

RESPONDER_ENV='RECORDER_SLEEP = "30";'
vconf "$BRAIN"
start_ready "$CONF"
_called() { [ "$(rec_count 10.0.0.1)" -ge 1 ]; }
ok "the slow block command is running" wait_until 20 _called
kids=$(children_of "$DAEMON_PID")
isnt "$kids" "" "it is a child of the daemon"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
cmp_num "${STOP_MS:-99999}" -lt 2000 "SIGTERM: exited within 2 s (${STOP_MS:-?} ms)"
_kids_gone() { local k; for k in $kids; do pid_alive "$k" && return 1; done; return 0; }
ok "the command did not outlive the daemon (2 s)" wait_until 2 _kids_gone
for k in $kids; do kill -KILL "$k" 2>/dev/null; done
is "$(bstate 10.0.0.1)" blocking "db: the block is still pending (blocking)"
is "$(sim_tags host 1)" '["vectra_host_block"]' "Vectra: no tag written for an unfinished block"

# ---- the next start finishes it
RESPONDER_ENV=
vconf "$BRAIN"
start_ready "$CONF"
_blocked() { [ "$(bstate 10.0.0.1)" = blocked ]; }
ok "restart: host 1 ends blocked" wait_until 20 _blocked
ok "restart: the first cycle ran" wait_cycles 1 20
vrun run
is "$(rec_count 10.0.0.1)" 2 "the interrupted call issued once more"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' \
        "Vectra: marker and VAR ID"
is "$(sim_notes host 1 | grep -c .)" 1 "Vectra: one note"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
