#!/bin/bash
# SPDX-License-Identifier: MIT
# fortimanager responder driven by a Vectra brain: the real secrespd
# between tests/sim/vectra_sim.py and tests/sim/fortimanager_sim.py.  The
# cycle's hosts and destinations go into their groups and ONE package
# install covers them; Vectra gets the `VAR ID:FMG Client:<ip>` tags.
# State: tests/functional/responders/fw1-vectra.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/fw1.sh"

plan 8
command -v sqlite3 >/dev/null || skip_all "sqlite3 (the CLI) is needed"
LOG_TARGET=stderr
sim_start "$FUNC_DIR/responders/fw1-vectra.json"
fsim_start fmg fortimanager_sim.py
printf 'fmg-pass' >"$T/fmg.pw"
chmod 600 "$T/fmg.pw"
G='d["adoms"]["root"]["addrgrp"]'

make_conf "$T/secrespd.conf" \
        "responders = ( { name = \"fmg1\"; type = \"fortimanager\"; url = \"$FSIM_URL\"; username = \"admin\";
                          password = \"file:$T/fmg.pw\"; host_group = \"Internal-Block\";
                          destination_group = \"External-Block\"; package = \"default\"; scope = [ \"fgt1/root\" ]; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\";
                      accounts: { enabled = false; }; detections: { enabled = true; }; } );"
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(fsim_state "sorted($G['Internal-Block']['member']), sorted($G['External-Block']['member'])")" \
        '[["secresp_10_0_0_1", "secresp_10_0_0_2"], ["secresp_45_33_32_156", "secresp_93_184_216_34"]]' \
        "FortiManager: hosts and destinations in their groups"
is "$(fsim_state 'len(d["installs"])')" 1 "one package install for the whole cycle"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:FMGClient:10.0.0.1","keepme","vectra_host_block"]' \
        "host 1: VAR ID tag with the FMG Client name"
is "$(sim_tags detection 1004)" \
        '["VARDetectionBlocked","VARID:FMGClient:45.33.32.156","VARID:FMGClient:93.184.216.34","block"]' \
        "detection 1004: a VAR ID tag per destination"
is "$(bq 10.0.0.2 fmg1 elements)" '["10.0.0.2"]' "db: element of 10.0.0.2"
ok "no session left open" wait_until 5 test "$(fsim_state 'len(d["sessions"])')" = 0
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
