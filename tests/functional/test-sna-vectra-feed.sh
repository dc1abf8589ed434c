#!/bin/bash
# The sna_hostgroup responder is an ordinary responder: a Vectra brain
# (vectra_sim.py) feeds it.  The host Vectra blocks goes into the SMC tag,
# VAR's tags on Vectra name the responder's client and element, and when
# the block tag goes the host leaves the SMC tag.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 6
e2e_require
sna_start
sim_start "$E2E_DIR/host-block.json"
DAEMON_ENV+=("VECTRA_TOKEN=$VECTRA_TOKEN")
make_conf "$T/secrespd.conf" "responders = ( $(hg_responder) );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\"; responders = [ \"hg\" ];
                      accounts: { enabled = false; }; detections: { enabled = false; }; } );"
start_ready "$CONF"
ok "the Vectra cycle ran" wait_cycles 1 20
_in() { [ "$(sna_ranges 'High Traffic Hosts')" = '["10.0.0.1"]' ]; }
ok "the host Vectra blocked is in the SMC tag" wait_until 10 _in
vrun run
like "$(sim_tags host 1)" 'VARID:SNAHostGroupClient:10\.0\.0\.1' "Vectra: VAR ID tag of the SNA host group client"

sim_set_tags host 1 '["keepme"]'
vrun run
_out() { [ "$(sna_ranges 'High Traffic Hosts')" = '[]' ]; }
ok "the block tag removed: the host left the SMC tag" wait_until 10 _out
is "$(bstate 10.0.0.1 hg)" unblocked "db: unblocked on hg"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
