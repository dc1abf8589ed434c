#!/bin/bash
# SPDX-License-Identifier: MIT
# fortinet responder driven by a Vectra brain: the real secrespd between
# tests/sim/vectra_sim.py and tests/sim/fortinet_sim.py.  Tagged hosts and
# the destinations of a tagged detection end up in the FortiGate's groups
# in one batch (one PUT per group), Vectra gets the `VAR ID:Fortinet
# Client:<element>` tags, SQLite the elements; when the tag goes away the
# host leaves the group and its object is deleted.
# State: tests/functional/responders/fw1-vectra.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/fw1.sh"

plan 14
command -v sqlite3 >/dev/null || skip_all "sqlite3 (the CLI) is needed"
LOG_TARGET=stderr
sim_start "$FUNC_DIR/responders/fw1-vectra.json"
fsim_start fgt fortinet_sim.py
printf 'fgt-token' >"$T/fgt.token"
chmod 600 "$T/fgt.token"

make_conf "$T/secrespd.conf" \
        "responders = ( { name = \"fgt1\"; type = \"fortinet\"; url = \"$FSIM_URL\"; token = \"file:$T/fgt.token\";
                          host_group = \"Internal-Block\"; destination_group = \"External-Block\"; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\";
                      accounts: { enabled = false; }; detections: { enabled = true; }; } );"
fsim_mark
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: result ok"
is "$(fsim_state 'sorted(d["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"])')" '["10.0.0.1", "10.0.0.2"]' \
        "FortiGate: both tagged hosts in Internal-Block"
is "$(fsim_state 'sorted(d["vdoms"]["root"]["addrgrp"]["External-Block"]["member"])')" '["45.33.32.156", "93.184.216.34"]' \
        "FortiGate: the detection's destinations in External-Block"
is "$(fsim_count PUT 'addrgrp/Internal-Block')$(fsim_count PUT 'addrgrp/External-Block')" 11 \
        "coalesced: one PUT per group for the whole cycle"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:FortinetClient:10.0.0.1","keepme","vectra_host_block"]' \
        "host 1: VAR ID tag with the Fortinet Client name"
is "$(sim_tags host 2)" '["VARHostBlocked","VARID:FortinetClient:10.0.0.2","vectra_host_block"]' "host 2: VAR ID tag"
is "$(sim_tags detection 1004)" \
        '["VARDetectionBlocked","VARID:FortinetClient:45.33.32.156","VARID:FortinetClient:93.184.216.34","block"]' \
        "detection 1004: a VAR ID tag per destination"
is "$(sim_tags host 3)" '[]' "host 3: untouched"
is "$(bq 10.0.0.1 fgt1 elements)" '["10.0.0.1"]' "db: element of 10.0.0.1"
is "$(bq 93.184.216.34 fgt1 elements)" '["93.184.216.34"]' "db: element of a destination"

# ---- the tag goes: unblocked on the FortiGate, tags removed
sim_set_tags host 1 '["keepme", "VAR Host Blocked", "VAR ID:Fortinet Client:10.0.0.1"]'
vrun run
is "$(fsim_state '[d["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"], "10.0.0.1" in d["vdoms"]["root"]["address"]]')" \
        '[["10.0.0.2"], false]' "10.0.0.1 out of the group, its object deleted"
is "$(sim_tags host 1)" '["keepme"]' "host 1: VAR tags removed"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
