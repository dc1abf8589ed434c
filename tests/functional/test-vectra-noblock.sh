#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: the no-block group wins over the block tag (a member
# is never blocked), only the group of that exact name counts, and a blocked
# host that joins the group is unblocked at the next cycle and stays so
# although it still carries the block tag.  State:
# tests/functional/vectra/noblock.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 20
e2e_require
sim_start "$E2E_DIR/noblock.json"
vconf 'accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | sort | tr '\n' ';')" \
        '["block-host","10.0.0.1","ws-alice","1"];["block-host","10.0.0.4","ws-carol","4"];' \
        "hosts 1 and 4 blocked (4 is in NoBlock-legacy only), host 3 not"
is "$(sim_tags host 3)" '["vectra_host_block"]' "host 3 (NoBlock): tags untouched"
is "$(sim_notes host 3)" "" "host 3: no note"
is "$(dbq "SELECT count(*) FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.3'")" 0 \
        "host 3: no block row"
is "$(bstate 10.0.0.1),$(bstate 10.0.0.4)" blocked,blocked "db: 10.0.0.1 and 10.0.0.4 blocked"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' \
        "host 1: marker and VAR ID tags"

# ---- host 1 joins NoBlock
sim_put /__sim/objects/group/1 '{"id": 1, "name": "NoBlock", "type": "host", "members": [3, 1]}' >/dev/null
is "$(sim_get /__sim/objects/group/1 | pyj 'sorted(d["members"])' | tr -d ' ')" '[1,3]' "sim: host 1 is in NoBlock"
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["to_block"], d["to_unblock"], d["unblocked"]')" '["ok", 0, 1, 1]' \
        "cycle: one unblock, no block"
is "$(rec_count)" 3 "one more call"
is "$(rec_argv 3)" '["unblock-host","10.0.0.1"]' "host 1 unblocked"
is "$(bstate 10.0.0.1)" unblocked "db: 10.0.0.1 unblocked"
is "$(bstate 10.0.0.4)" blocked "db: 10.0.0.4 still blocked"
is "$(sim_tags host 1)" '["vectra_host_block"]' "host 1: VAR tags removed, the block tag stays"
ok "host 1: an Unblocked note" note_recent "$(sim_notes host 1 | tail -n 1)" Unblocked
is "$(sim_writes | sort | tr '\n' ';')" "PATCH /api/v2.5/tagging/host/1;POST /api/v2.5/hosts/1/notes;" \
        "writes: host 1 only"

# ---- the block tag is still there, NoBlock still wins
sim_mark
vrun run
is "$(rec_count)" 3 "next cycle: no call"
is "$(bstate 10.0.0.1)" unblocked "next cycle: 10.0.0.1 stays unblocked"
is "$(sim_writes | wc -l)" 0 "next cycle: no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
