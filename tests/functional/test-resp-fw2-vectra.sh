#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra -> the four fw2 firewall responders at once (cisco_fmc,
# cisco_asa_http, checkpoint, sophos), each against its simulator: a host
# carrying the block tag is blocked on all four, and Vectra gets one
# "VAR ID:<client name>:<element>" tag per responder with VAR's client
# names; SQLite holds the same elements.  When the tag goes, all four
# unblock and the tags go.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/fw2.sh"

plan 14
e2e_require
fw2_require
sim_start "$E2E_DIR/host-block.json"
vsim_start fmc cisco_fmc_sim.py
vsim_start asa cisco_asa_sim.py
vsim_start cp checkpoint_sim.py --task-polls 0
vsim_start sophos sophos_sim.py
DAEMON_ENV+=("FMC_PASSWORD=fmc-secret" "ASA_PASSWORD=asa-secret" "CP_PASSWORD=cp-secret" "SOPHOS_PASSWORD=sophos-secret")
make_conf "$T/secrespd.conf" \
        "http = { ca_file = \"$PKI/ca.pem\"; };" \
        "responders = (
  { name = \"fmc\"; type = \"cisco_fmc\"; url = \"$VSIM_URL_fmc\"; username = \"secresp\";
    password = \"env:FMC_PASSWORD\"; block_group = \"Vectra-Block\"; deploy = true; },
  { name = \"asa\"; type = \"cisco_asa_http\"; url = \"$VSIM_URL_asa\"; username = \"secresp\";
    password = \"env:ASA_PASSWORD\"; block_group = \"Vectra-Block\"; write_memory = true; },
  { name = \"cp\"; type = \"checkpoint\"; url = \"$VSIM_URL_cp\"; username = \"secresp\";
    password = \"env:CP_PASSWORD\"; block_group = \"Vectra-Internal-Block\"; policy_package = \"Standard\";
    install_targets = [ \"gw-1\" ]; task_poll = \"1s\"; },
  { name = \"sophos\"; type = \"sophos\"; url = \"$VSIM_URL_sophos\"; username = \"secresp\";
    password = \"env:SOPHOS_PASSWORD\"; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\";
                      responders = [ \"fmc\", \"asa\", \"cp\", \"sophos\" ];
                      accounts: { enabled = false; }; detections: { enabled = false; }; } );"
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 30
VSIM=fmc
H=$(vs_state "[h['id'] for h in d['hosts'].values() if h['name'] == '10.0.0.1'][0]")
like "$H" '^00505600-' "FMC: a Host object for 10.0.0.1"
is "$(sim_tags host 1)" \
        "[\"VARHostBlocked\",\"VARID:ASAHTTPClient:10.0.0.1\",\"VARID:CheckPointClient:10.0.0.1\",\"VARID:FMCClient:$H\",\"VARID:SophosClient:10.0.0.1\",\"keepme\",\"vectra_host_block\"]" \
        "Vectra: the marker and one VAR ID tag per responder, with VAR's client names"
elems() {
        dbq "SELECT b.responder || '=' || b.elements FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '10.0.0.1' AND b.state = 'blocked' ORDER BY b.responder" | tr '\n' ' '
}
is "$(elems)" "asa=[\"10.0.0.1\"] cp=[\"10.0.0.1\"] fmc=[\"$H\"] sophos=[\"10.0.0.1\"] " "db: the same elements"
is "$(vs_state "len(d['deployments'])")" 1 "FMC: deployed"
VSIM=asa
is "$(vs_state "'10.0.0.1' in d['saved']['Vectra-Block']")" true "ASA: in the object-group, saved"
VSIM=cp
is "$(vs_state "'10.0.0.1' in d['installs'][-1]['members']")" true "Check Point: published and installed"
VSIM=sophos
is "$(vs_state "'10.0.0.1' in d['iphosts']['Vectra - Sophos Integration']['ips']")" true "Sophos: in the IP list"

# ---- the tag goes: unblocked everywhere
sim_set_tags host 1 "[\"keepme\", \"VAR Host Blocked\", \"VAR ID:FMC Client:$H\", \"VAR ID:ASA HTTP Client:10.0.0.1\",
                      \"VAR ID:CheckPoint Client:10.0.0.1\", \"VAR ID:Sophos Client:10.0.0.1\"]"
vrun run 60
is "$(jget "$RUN_JSON" 'd["unblocked"]')" 4 "unblock cycle: four unblocks"
is "$(sim_tags host 1)" '["keepme"]' "Vectra: VAR tags removed"
VSIM=asa
is "$(vs_state "'10.0.0.1' in d['groups']['Vectra-Block']")" false "ASA: out of the group"
VSIM=sophos
is "$(vs_state "'10.0.0.1' in d['iphosts']['Vectra - Sophos Integration']['ips']")" false "Sophos: out of the list"
VSIM=cp
is "$(vs_state "'10.0.0.1' in d['published']['hosts']")" false "Check Point: object deleted"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
