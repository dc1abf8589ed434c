#!/bin/bash
# SPDX-License-Identifier: MIT
# pan responder driven by a Vectra brain: the real secrespd between
# tests/sim/vectra_sim.py and tests/sim/pan_sim.py.  The tagged hosts and
# the destinations of a tagged detection are registered in ONE uid-message,
# Vectra gets the `VAR ID:PAN Client:<ip>` tags; when a tag goes away the
# host is unregistered.  State: tests/functional/responders/fw1-vectra.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/fw1.sh"

plan 10
command -v sqlite3 >/dev/null || skip_all "sqlite3 (the CLI) is needed"
LOG_TARGET=stderr
sim_start "$FUNC_DIR/responders/fw1-vectra.json"
fsim_start pan pan_sim.py
printf 'pan-pass' >"$T/pan.pw"
chmod 600 "$T/pan.pw"
reg() { fsim_state "d['registered'].get('local/vsys1', {}).get('$1')"; }

make_conf "$T/secrespd.conf" \
        "responders = ( { name = \"pa1\"; type = \"pan\"; url = \"$FSIM_URL\"; username = \"admin\";
                          password = \"file:$T/pan.pw\"; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\";
                      accounts: { enabled = false; }; detections: { enabled = true; }; } );"
fsim_mark
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(fsim_state 'sorted(d["registered"]["local/vsys1"].items())')" \
        '[["10.0.0.1", ["Block_Host"]], ["10.0.0.2", ["Block_Host"]], ["45.33.32.156", ["Block_Detection"]], ["93.184.216.34", ["Block_Detection"]]]' \
        "PAN-OS: hosts with Block_Host, destinations with Block_Detection"
is "$(fsim_params | tr '\n' ';')" "keygen 200;user-id 200;" "one keygen, one uid-message for the whole cycle"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:PANClient:10.0.0.1","keepme","vectra_host_block"]' \
        "host 1: VAR ID tag with the PAN Client name"
is "$(sim_tags detection 1004)" \
        '["VARDetectionBlocked","VARID:PANClient:45.33.32.156","VARID:PANClient:93.184.216.34","block"]' \
        "detection 1004: a VAR ID tag per destination"
is "$(bq 10.0.0.2 pa1 elements)" '["10.0.0.2"]' "db: element of 10.0.0.2"

sim_set_tags host 1 '["keepme", "VAR Host Blocked", "VAR ID:PAN Client:10.0.0.1"]'
fsim_mark
vrun run
is "$(reg 10.0.0.1)" "null" "10.0.0.1 unregistered"
is "$(fsim_params | tr '\n' ';')" "user-id 200;" "with the cached key"
is "$(sim_tags host 1)" '["keepme"]' "host 1: VAR tags removed"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
