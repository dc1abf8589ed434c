#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra -> cisco_fmc end to end: a host carrying the block tag is blocked on
# the FMC simulator (Host object in the network group, one deployment), and
# Vectra gets VAR's marker and the "VAR ID:FMC Client:<Host object id>" tag;
# when the tag goes, the host leaves the group and its VAR tags go too.
# (The original logged "already blocked" and returned nothing, so the host
# was never tagged; the deployment it never made is checked as well.)
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/fw2.sh"

plan 10
e2e_require
fw2_require
sim_start "$E2E_DIR/host-block.json"
vsim_start fmc cisco_fmc_sim.py
GID=00505600-0000-0ed3-0000-000000000100
DAEMON_ENV+=("FMC_PASSWORD=fmc-secret")
make_conf "$T/secrespd.conf" \
        "http = { ca_file = \"$PKI/ca.pem\"; };" \
        "responders = ( { name = \"fmc\"; type = \"cisco_fmc\"; url = \"$VSIM_URL_fmc\"; username = \"secresp\";
                          password = \"env:FMC_PASSWORD\"; block_group = \"Vectra-Block\"; deploy = true; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\"; responders = [ \"fmc\" ];
                      accounts: { enabled = false; }; detections: { enabled = false; }; } );"
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
H=$(vs_state "[h['id'] for h in d['hosts'].values() if h['name'] == '10.0.0.1'][0]")
like "$H" '^00505600-' "FMC: a Host object for 10.0.0.1"
is "$(vs_state "[o['name'] for o in d['groups']['$GID']['objects']]" | tr -d ' ')" '["10.0.0.1"]' "FMC: in the group"
is "$(vs_state "len(d['deployments'])")" 1 "FMC: one deployment"
is "$(sim_tags host 1)" "[\"VARHostBlocked\",\"VARID:FMCClient:$H\",\"keepme\",\"vectra_host_block\"]" \
        "Vectra: marker and VAR ID:FMC Client:<Host object id>"
is "$(dbq "SELECT b.elements FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.1'")" \
        "[\"$H\"]" "db: the element is the Host object id"

sim_set_tags host 1 "[\"keepme\", \"VAR Host Blocked\", \"VAR ID:FMC Client:$H\"]"
vrun run
is "$(jget "$RUN_JSON" 'd["unblocked"]')" 1 "unblock cycle: one host unblocked"
is "$(vs_state "[o['name'] for o in d['groups']['$GID'].get('objects', [])]")" '[]' "FMC: out of the group"
is "$(sim_tags host 1)" '["keepme"]' "Vectra: VAR tags removed"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
