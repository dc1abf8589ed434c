#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: the static destination list (static_destinations).
# Valid entries (IPs, networks, IPv6, with comments) are blocked through
# block_destination, invalid lines are reported with their line number and
# left out; after the file changes, the next cycle blocks what was added and
# unblocks what was removed; a steady cycle calls nothing; nothing is ever
# written to Vectra.  State: tests/functional/vectra/static.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 16
e2e_require
sim_start "$E2E_DIR/static.json"
LIST=$T/static.txt
cat >"$LIST" <<'LIST'
# blocked for everyone
198.51.100.7
10.0.0.0/8   # lab
bad-entry
10.0.0.1/8
  2001:DB8::/32  
LIST
vconf "static_destinations = \"$LIST\"; accounts: { enabled = false; }; detections: { enabled = false; };"
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | sort | tr '\n' ';')" \
        '["block-destination","10.0.0.0/8"];["block-destination","198.51.100.7"];["block-destination","2001:db8::/32"];' \
        "the valid entries blocked (IPv6 in canonical form)"
is "$(dbq "SELECT group_concat(v, ' ') FROM (SELECT e.value AS v FROM blocks b JOIN entities e ON e.id = b.entity_id
            WHERE e.kind = 'destination' AND b.state = 'blocked' ORDER BY e.value)")" \
        "10.0.0.0/8 198.51.100.7 2001:db8::/32" "db: three destinations blocked"
msgs=$(journal_query _PID="$DAEMON_PID" | "$PY" -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        print(json.loads(l).get("MESSAGE", ""))')
like "$msgs" "static\\.txt:4: .*bad-entry" "journal: the bad line 4 is reported with its number"
like "$msgs" "static\\.txt:5: .*10\\.0\\.0\\.1/8" "journal: the network with host bits (line 5) too"
unlike "$msgs" "static\\.txt:(1|2|3|6|7):" "journal: no other line reported"
is "$(sim_writes | wc -l)" 0 "nothing written to Vectra"

# ---- a steady cycle
vrun run
is "$(rec_count)" 3 "steady cycle: no call"

# ---- the list changes: 10.0.0.0/8 removed, 192.0.2.1 added
printf '198.51.100.7\n2001:db8::/32\n192.0.2.1\n' >"$LIST"
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 1, 1]' "changed list: one block, one unblock"
is "$(rec_lines | tail -n +4 | sort | tr '\n' ';')" \
        '["block-destination","192.0.2.1"];["unblock-destination","10.0.0.0/8"];' "changed list: the calls"
is "$(bstate 10.0.0.0/8),$(bstate 192.0.2.1),$(bstate 198.51.100.7)" unblocked,blocked,blocked "db: the states"

# ---- an unreadable list unblocks nothing
mv "$LIST" "$LIST.away"
vrun run
is "$(rec_count)" 5 "list gone: no call"
is "$(bstate 192.0.2.1),$(bstate 198.51.100.7),$(bstate 2001:db8::/32)" blocked,blocked,blocked "list gone: all still blocked"
mv "$LIST.away" "$LIST"
vrun run
is "$(rec_count)" 5 "list back: no call"
is "$(sim_writes | wc -l)" 0 "still nothing written to Vectra"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
