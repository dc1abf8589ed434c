#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: `kill -9` of the daemon while a block command is
# running (the recorder sleeps, RECORDER_SLEEP in the responder's env), i.e.
# between the intent (written before the call) and the outcome.  After a
# restart the lost call is issued exactly once more and the block ends
# `blocked`; the block confirmed before the crash is not re-applied; Vectra
# gets its tags and one note per host.  State: tests/functional/vectra/crash.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 21
e2e_require
sim_start "$E2E_DIR/crash.json"
BRAIN='accounts: { enabled = false; }; detections: { enabled = false; };'

# children_of PID : pids of PID's children
children_of() {
        local p
        for p in /proc/[0-9]*/stat; do
                awk -v pp="$1" '{ sub(/^.*\) /, ""); if ($2 == pp) { split(FILENAME, a, "/"); print a[3] } }' "$p" 2>/dev/null
        done
}

# ---- 1: host 1 blocked, clean stop
vconf "$BRAIN"
start_ready "$CONF"
ok "run 1: the first cycle ran" wait_cycles 1 20
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.1","ws-alice","1"];' "run 1: host 1 blocked"
stop_daemon TERM
is "$DAEMON_RC" 0 "run 1: SIGTERM, exit 0"

# ---- 2: host 2 tagged, the responder is slow; kill -9 while its call runs
sim_set_tags host 2 '["vectra_host_block"]'
RESPONDER_ENV='RECORDER_SLEEP = "30";'
vconf "$BRAIN"
start_ready "$CONF"
_called() { [ "$(rec_count 10.0.0.2)" -ge 1 ]; }
ok "run 2: the block command for host 2 is running" wait_until 20 _called
is "$(bstate 10.0.0.2)" blocking "run 2: the intent is in the db (blocking) before the outcome"
kids=$(children_of "$DAEMON_PID")
isnt "$kids" "" "run 2: the command is a child of the daemon"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
for k in $kids; do kill -KILL "$k" 2>/dev/null; done
is "$(bstate 10.0.0.2)" blocking "after kill -9: still blocking"
is "$(bstate 10.0.0.1)" blocked "after kill -9: host 1 blocked"
is "$(dbq 'PRAGMA quick_check')" ok "after kill -9: the database is sound"

# ---- 3: restart with a fast responder
RESPONDER_ENV=
vconf "$BRAIN"
start_ready "$CONF"
_blocked2() { [ "$(bstate 10.0.0.2)" = blocked ]; }
ok "run 3: host 2 ends blocked" wait_until 20 _blocked2
ok "run 3: the first cycle ran" wait_cycles 2 20
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 0, 0]' "run 3: a later cycle does nothing"
is "$(rec_count 10.0.0.2)" 2 "host 2: the lost call issued exactly once more"
is "$(rec_count 10.0.0.1)" 1 "host 1: not re-applied"
is "$(rec_count)" 3 "no other call"
is "$(bstate 10.0.0.1),$(bstate 10.0.0.2)" blocked,blocked "db: both blocked"
is "$(dbq "SELECT count(*) FROM blocks")" 2 "db: one row each"
is "$(sim_tags host 2)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.2","vectra_host_block"]' \
        "host 2: marker and VAR ID on Vectra"
is "$(sim_notes host 2 | grep -c .),$(sim_notes host 1 | grep -c .)" 1,1 "one Blocked note per host"
is "$(sim_writes | wc -l)" 0 "the cycle after: no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
