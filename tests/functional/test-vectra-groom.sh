#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end, grooming: a blocked host whose IP changes (10.0.0.1 ->
# 10.0.0.99) has its old address unblocked and its new one blocked, and
# Vectra's VAR ID tags follow (the old element gone, the new one there, the
# marker kept); another blocked host is left alone; the next cycle does
# nothing.  State: tests/functional/vectra/groom.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 13
e2e_require
sim_start "$E2E_DIR/groom.json"
vconf 'accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | sort | tr '\n' ';')" \
        '["block-host","10.0.0.1","ws-alice","1"];["block-host","10.0.0.2","ws-bob","2"];' "hosts 1 and 2 blocked"

# ---- host 1 moves to 10.0.0.99
sim_edit host 1 'o["last_source"] = o["ip"] = "10.0.0.99"'
is "$(sim_get /__sim/objects/host/1 | pyj 'd["last_source"]')" 10.0.0.99 "sim: host 1 is now 10.0.0.99"
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 1, 1]' "cycle: one block, one unblock"
is "$(rec_lines | tail -n +3 | sort | tr '\n' ';')" \
        '["block-host","10.0.0.99","ws-alice","1"];["unblock-host","10.0.0.1"];' "the old address unblocked, the new one blocked"
is "$(bstate 10.0.0.1),$(bstate 10.0.0.99),$(bstate 10.0.0.2)" unblocked,blocked,blocked "db: the states"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.99","vectra_host_block"]' \
        "host 1: the VAR ID follows the address"
is "$(sim_tags host 2)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.2","vectra_host_block"]' "host 2: unchanged"
is "$(sim_writes /host/2 | wc -l)" 0 "host 2: not written"
like "$(sim_notes host 1 | tail -n 1)" '^VAR: (Blocked|Unblocked|Unblocked due to grooming) on ' "host 1: a note for the change"

n_calls=$(rec_count)
sim_mark
vrun run
is "$(rec_count)" "$n_calls" "next cycle: no call"
is "$(sim_writes | wc -l)" 0 "next cycle: no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
