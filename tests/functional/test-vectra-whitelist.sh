#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: a whitelisted host (by address or by a CIDR that
# covers it) is never blocked although it carries the block tag;
# `secrespctl whitelist add host IP` on a blocked host unblocks it at once,
# without waiting for a cycle, and the next cycle writes VAR's tags and note
# back and does not block it again; once removed from the whitelist, the
# tagged host is blocked.  State: tests/functional/vectra/whitelist.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 24
e2e_require
sim_start "$E2E_DIR/whitelist.json"
vconf 'accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.1","ws-alice","1"];' "host 1 blocked"

# ---- whitelisted first, tagged later: never blocked
run ctl whitelist add host 10.0.0.3 --reason "CFO laptop"
is "$RUN_RC" 0 "whitelist add host 10.0.0.3: exit 0"
run ctl whitelist add host 10.0.5.0/24
is "$RUN_RC" 0 "whitelist add host 10.0.5.0/24: exit 0"
sim_set_tags host 3 '["vectra_host_block"]'
sim_set_tags host 7 '["vectra_host_block"]'
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"]')" '["ok", 0]' "whitelisted + tagged: nothing blocked"
is "$(rec_count)" 1 "whitelisted + tagged: no call"
is "$(dbq "SELECT count(*) FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value IN ('10.0.0.3', '10.0.5.7')")" 0 \
        "whitelisted + tagged: no block row"
is "$(sim_tags host 3)$(sim_tags host 7)" '["vectra_host_block"]["vectra_host_block"]' "whitelisted + tagged: tags untouched"
is "$(sim_writes | wc -l)" 0 "whitelisted + tagged: no write to Vectra"
vrun plan
is "$(jget "$RUN_JSON" '[p["value"] for p in d["plan"] if p["verdict"] == "block"]')" '[]' "plan: nothing to block"

# ---- the blocked host is whitelisted: unblocked at once
n_cycles=$(dbq 'SELECT count(*) FROM cycles')
t0=$(now_ms)
run ctl whitelist add host 10.0.0.1 --reason "false positive"
is "$RUN_RC" 0 "whitelist add host 10.0.0.1: exit 0"
_unblocked() { [ "$(bstate 10.0.0.1)" = unblocked ] && [ "$(rec_count unblock-host)" -ge 1 ]; }
ok "10.0.0.1 unblocked within 5 s" wait_until 5 _unblocked
diag "unblocked $(($(now_ms) - t0)) ms after whitelist add"
is "$(rec_argv 2)" '["unblock-host","10.0.0.1"]' "the unblock call"
is "$(dbq 'SELECT count(*) FROM cycles')" "$n_cycles" "no cycle was needed for it"
like "$(dbq "SELECT action || ':' || result FROM events WHERE value = '10.0.0.1' ORDER BY id")" 'unblock:ok' \
        "the audit has the unblock"

# ---- the next cycle writes the tags back and does not block it again
sim_mark
vrun run
is "$(rec_count)" 2 "next cycle: no call"
is "$(sim_tags host 1)" '["vectra_host_block"]' "host 1: marker and VAR ID removed on Vectra"
ok "host 1: an Unblocked note" note_recent "$(sim_notes host 1 | tail -n 1)" Unblocked
is "$(bstate 10.0.0.1)" unblocked "host 1 stays unblocked although tagged"
vrun run
is "$(rec_count)$(sim_writes /host/1 | wc -l)" 21 "and the cycle after: still no call, no second tag write"

# ---- out of the whitelist: blocked
run ctl whitelist remove host 10.0.0.3
is "$RUN_RC" 0 "whitelist remove host 10.0.0.3: exit 0"
vrun run
is "$(rec_lines | tail -n +3 | tr '\n' ';')" '["block-host","10.0.0.3","ws-cfo","3"];' \
        "removed from the whitelist: blocked"
is "$(bstate 10.0.0.3)" blocked "db: 10.0.0.3 blocked"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
