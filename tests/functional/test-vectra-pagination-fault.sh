#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: Vectra answers 500 to page 2 of the block-tag listing
# (page_size = 2, three pages), every time.  The cycle fails (after the
# API's retries) and changes nothing: no responder call (in particular no
# unblock of the hosts it could not see), no write to Vectra, the block rows
# and every tag as they were, although one host lost its tag and another
# gained it meanwhile.  Once the fault is gone, the next cycle does both.
# State: tests/functional/vectra/pagination.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 19
e2e_require
sim_start "$E2E_DIR/pagination.json"
vconf 'page_size = 2; accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

all_tags() { local i; for i in 1 2 3 4 5 6; do echo "$i $(sim_tags host $i)"; done; }

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_count '"block-host"')" 5 "5 hosts blocked"
like "$(sim_count GET '^/api/v2\.5/hosts$')" '^[1-9]' "the lists were read"
is "$("$PY" -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    q = json.loads(line)["query"]
    if q.get("tags") == ["vectra_host_block"] and q.get("page") == ["3"] and q.get("page_size") == ["2"]:
        n += 1
print(n >= 1)' "$SIM_LOG")" True "the tag listing was read in pages of 2, up to page 3"

# ---- host 1 loses the tag, host 6 gains it; page 2 of the tag listing fails
sim_set_tags host 1 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.4.1"]'
sim_set_tags host 6 '["vectra_host_block"]'
sim_post '/__sim/faults' '[{"kind": "status", "status": 500, "path": "/hosts$",
        "query": {"tags": "vectra_host_block", "page": "2"}}]' >/dev/null || bail_out "cannot set the fault"
before_tags=$(all_tags)
before_db=$(blocks_dump)
sim_mark
t0=$(now_ms)
vrun run 90
diag "the failed cycle took $(($(now_ms) - t0)) ms"
is "$(jget "$RUN_JSON" 'd["last_result"]')" api-failed "the cycle failed (api-failed)"
is "$(jget "$RUN_JSON" 'd["blocked"], d["unblocked"]')" '[0, 0]' "nothing blocked or unblocked"
like "$(sim_get /__sim/faults | pyj 'd[0]["fired"] if isinstance(d, list) else d["faults"][0]["fired"]')" '^[1-9]' \
        "the fault fired"
is "$(rec_count)" 5 "no responder call (no unblock)"
is "$(sim_writes | wc -l)" 0 "no write to Vectra"
is "$(all_tags)" "$before_tags" "every tag as it was"
is "$(blocks_dump)" "$before_db" "every block row as it was"
is "$(dbq "SELECT result FROM cycles ORDER BY id DESC LIMIT 1")" api-failed "cycles: recorded as api-failed"
journal_wait 5 _PID="$DAEMON_PID" MESSAGE_ID="$MSGID_CYCLE_FAILED"
is "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_SOURCE)" vectra:brain1 "journal: CYCLE_FAILED for brain1"

# ---- the fault is gone
sim_delete /__sim/faults >/dev/null
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 1, 1]' "fault gone: one block, one unblock"
is "$(rec_lines | tail -n +6 | sort | tr '\n' ';')" \
        '["block-host","10.0.4.6","p6","6"];["unblock-host","10.0.4.1"];' "fault gone: host 6 blocked, host 1 unblocked"
is "$(for i in 2 3 4 5; do bstate 10.0.4.$i; done | sort -u)" blocked "hosts 2 to 5 still blocked"
is "$(sim_tags host 1)" '[]' "host 1: VAR tags removed"
is "$(sim_tags host 6)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.4.6","vectra_host_block"]' "host 6: tagged"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
