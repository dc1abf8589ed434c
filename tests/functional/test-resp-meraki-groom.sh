#!/bin/bash
# SPDX-License-Identifier: MIT
# VAR's grooming (`groom = true` on a brain) through the Meraki responder:
# a host blocked on one SSID that roams to another network is found there
# at the next cycle; the old client's policy is put back, the new client
# is blocked, and the stored elements follow.  A host that stayed costs a
# lookup and no change (VAR compared strings with dicts and always "moved").
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 13
nac_require
cat >"$T/vectra.json" <<'JSON'
{"hosts": [{"id": 1, "name": "ws-alice", "last_source": "10.0.0.1", "threat": 60, "certainty": 70,
            "tags": ["vectra_host_block"], "host_artifact_set": [{"type": "mac", "value": "4c:1d:96:22:29:01"}]}]}
JSON
cat >"$T/meraki.json" <<'JSON'
{"organizations": [{"id": "549236", "name": "Corp"}],
 "networks": {"549236": [{"id": "N_1", "name": "HQ"}, {"id": "N_2", "name": "Branch"}]},
 "clients": {"N_1": [{"id": "k1", "mac": "4c:1d:96:22:29:01", "ip": "10.0.0.1", "ssid": "Corp",
                      "recentDeviceConnection": "Wireless"}]}}
JSON
sim_start "$T/vectra.json"
nsim_start meraki --state "$T/meraki.json"
DAEMON_ENV+=("MERAKI_KEY=meraki-key")
make_conf "$T/secrespd.conf" \
        "responders = ( { name = \"meraki\"; type = \"meraki\"; url = \"$NSIM_URL/api/v1\"; api_key = \"env:MERAKI_KEY\"; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\"; groom = true;
                      accounts: { enabled = false; }; detections: { enabled = false; }; } );"
start_ready "$CONF"
pol() { nsim_state "d['policies'].get('$1', {}).get('devicePolicy', 'Normal')"; }
elements() { dbq "SELECT b.elements FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '$1' AND b.responder = 'meraki'"; }

ok "the first cycle ran" wait_cycles 1 30
is "$(elements 10.0.0.1)" '["WLAN:k1:N_1:Normal"]' "blocked: the client on HQ"
is "$(pol N_1/k1)" Blocked "Meraki: k1 Blocked"

# ---- the host stayed: one lookup, nothing changed
nsim_clear
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "second cycle: ok"
is "$(nsim_count PUT .)" 0 "grooming a host that stayed: no change on Meraki"
is "$(elements 10.0.0.1)" '["WLAN:k1:N_1:Normal"]' "elements unchanged"

# ---- the host roams to the branch network, as client k7 (k1 stays in
# HQ's history, last seen before the lookback)
_nsim PUT /_meraki/clients '{"N_1": [{"id": "k1", "mac": "4c:1d:96:22:29:01", "ip": "10.0.0.1", "ssid": "Corp",
  "recentDeviceConnection": "Wireless", "lastSeenDaysAgo": 10}],
 "N_2": [{"id": "k7", "mac": "4c:1d:96:22:29:01", "ip": "10.0.0.1", "ssid": "Guest",
  "recentDeviceConnection": "Wireless"}]}' >/dev/null
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "third cycle: ok"
is "$(pol N_1/k1)" Normal "groomed: k1's policy put back"
is "$(pol N_2/k7)" Blocked "groomed: k7 on the branch network Blocked"
is "$(elements 10.0.0.1)" '["WLAN:k7:N_2:Normal"]' "db: the elements moved with the host"
is "$(dbq "SELECT count(*) FROM events WHERE action = 'groom' AND value = '10.0.0.1' AND result = 'ok'")" 1 \
        "audited as a groom"
ok "journaled" journal_wait 10 "SECRESP_ACTION=groom" "SECRESP_RESULT=moved"
vrun run
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:MerakiClient:WLAN:k7:N_2:Normal","vectra_host_block"]' \
        "the VAR ID tag follows at the next cycle"
