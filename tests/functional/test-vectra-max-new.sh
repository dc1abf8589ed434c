#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: max_new_blocks_per_cycle = 2.  Two new blocks are
# within the limit; three at once are over it, so none of them is blocked
# that cycle (no call, no row, no tag) and an alert says why, while an
# unblock in the same cycle still happens; with two left, both are blocked.
# State: tests/functional/vectra/max-new.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 20
e2e_require
sim_start "$E2E_DIR/max-new.json"
vconf 'max_new_blocks_per_cycle = 2; accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | sort | tr '\n' ';')" \
        '["block-host","10.0.3.1","h1","1"];["block-host","10.0.3.2","h2","2"];' "2 new blocks (the limit): both done"

# ---- three new at once, and host 1 loses its tag
sim_set_tags host 1 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.3.1"]'
for i in 3 4 5; do sim_set_tags host $i '["vectra_host_block"]'; done
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 0, 1]' \
        "3 new: nothing blocked, the unblock done"
is "$(rec_count '"block-host"')" 2 "3 new: no block call"
is "$(rec_lines | tail -n +3 | tr '\n' ';')" '["unblock-host","10.0.3.1"];' "3 new: the unblock of host 1 proceeds"
is "$(dbq "SELECT count(*) FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value IN ('10.0.3.3','10.0.3.4','10.0.3.5')")" 0 \
        "3 new: no block row for them"
is "$(sim_tags host 3)$(sim_tags host 4)$(sim_tags host 5)" \
        '["vectra_host_block"]["vectra_host_block"]["vectra_host_block"]' "3 new: their tags untouched"
is "$(sim_writes /host/[345] | wc -l)$(sim_writes /hosts/[345]/ | wc -l)" 00 "3 new: no write for them"
is "$(sim_tags host 1)" '[]' "host 1: VAR tags removed"
is "$(bstate 10.0.3.1),$(bstate 10.0.3.2)" unblocked,blocked "db: host 1 unblocked, host 2 still blocked"
# why, in the journal: an alert naming the setting
journal_wait 5 _PID="$DAEMON_PID" SECRESP_ACTION=safety-valve
alert=$JOURNAL_OUT
like "$(printf '%s\n' "$alert" | jfield MESSAGE)" 'max_new_blocks_per_cycle' "the journal says why (max_new_blocks_per_cycle)"
is "$(printf '%s\n' "$alert" | jfield PRIORITY)" 1 "at alert priority"
is "$(printf '%s\n' "$alert" | jfield SECRESP_SOURCE)" vectra:brain1 "with SECRESP_SOURCE"
like "$(printf '%s\n' "$alert" | jfield MESSAGE)" '(^|[^0-9])3 new blocks' "the alert counts the 3 new blocks"

# ---- still three: still held
vrun run
is "$(rec_count '"block-host"')" 2 "still 3 new: still no block call"

# ---- two left: within the limit
sim_set_tags host 5 '[]'
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"]')" '["ok", 2]' "2 new: both blocked"
is "$(rec_lines | grep '"block-host"' | tail -n +3 | sort | tr '\n' ';')" \
        '["block-host","10.0.3.3","h3","3"];["block-host","10.0.3.4","h4","4"];' "2 new: hosts 3 and 4"
is "$(sim_tags host 3)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.3.3","vectra_host_block"]' "host 3 tagged"
is "$(bstate 10.0.3.5)" "" "host 5: no row"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
