#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end, explicit_unblock = true: a blocked host whose block tag
# goes away stays blocked; it is unblocked when it gets the unblock tag
# (vectra_host_unblock, dropped from the tags by the write-back); a host
# that carries the unblock tag but was never blocked gets no call.
# State: tests/functional/vectra/explicit-unblock.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 22
e2e_require
sim_start "$E2E_DIR/explicit-unblock.json"
vconf 'explicit_unblock = true; accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.1","ws-alice","1"];' "host 1 blocked"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' \
        "host 1: marker and VAR ID tags"
is "$(bstate 10.0.0.1)" blocked "db: 10.0.0.1 blocked"

# ---- the block tag goes away: explicit mode waits for the unblock tag
sim_set_tags host 1 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.0.1"]'
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["to_unblock"], d["unblocked"]')" '["ok", 0, 0]' \
        "no block tag: nothing to unblock"
is "$(rec_count)" 1 "no block tag: no call"
is "$(bstate 10.0.0.1)" blocked "no block tag: still blocked in the db"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1"]' "no block tag: VAR tags kept"
is "$(sim_writes | wc -l)" 0 "no block tag: no write to Vectra"

# ---- the unblock tag on a host we never blocked: nothing to undo
sim_set_tags host 2 '["vectra_host_unblock"]'
sim_mark
vrun run
is "$(rec_count)" 1 "unblock tag on a host never blocked: no call"
is "$(dbq "SELECT count(*) FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.2'")" 0 \
        "unblock tag on a host never blocked: no block row"
is "$(sim_writes /hosts/2 | wc -l)$(sim_writes /host/2 | wc -l)" 00 "unblock tag on a host never blocked: no write"

# ---- the unblock tag on the blocked host
sim_set_tags host 1 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.0.1", "vectra_host_unblock"]'
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["to_unblock"], d["unblocked"]')" '["ok", 1, 1]' \
        "unblock tag: one unblock"
is "$(rec_count)" 2 "unblock tag: one call"
is "$(rec_argv 2)" '["unblock-host","10.0.0.1"]' "unblock tag: argv"
is "$(bstate 10.0.0.1)" unblocked "unblock tag: unblocked in the db"
is "$(sim_tags host 1)" '[]' "unblock tag: VAR tags and the default unblock tag are gone"
notes=$(sim_notes host 1)
is "$(printf '%s\n' "$notes" | grep -c .)" 2 "two notes on host 1"
ok "the last note says Unblocked, now" note_recent "$(printf '%s\n' "$notes" | tail -n 1)" Unblocked

# ---- nothing more happens
sim_mark
vrun run
is "$(rec_count)" 2 "next cycle: no call"
is "$(sim_writes | wc -l)" 0 "next cycle: no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
