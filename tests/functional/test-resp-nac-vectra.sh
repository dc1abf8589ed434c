#!/bin/bash
# SPDX-License-Identifier: MIT
# NAC and endpoint responders driven by a Vectra brain: hosts tagged for
# blocking are quarantined in ISE (MAC from Vectra's artifact, or from the
# host's ISE session) and isolated in Secure Endpoint (computer by IP, or by
# host name when the IP is unknown there); Vectra gets VAR's
# "VAR ID:ISE Client:<MAC>" and "VAR ID:AMP Client:<guid>" tags; removing
# the block tag undoes both and removes the tags.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"
. "$FUNC_DIR/responders/nac.sh"

G1=11111111-aaaa-4000-8000-000000000001
G3=33333333-aaaa-4000-8000-000000000003

plan 16
nac_require
sim_start "$FUNC_DIR/responders/nac-vectra.json"
nsim_start cisco_amp --state "$FUNC_DIR/responders/nac-vectra-amp.json"
AMP_URL=$NSIM_URL
rm -f "$T/ise.port"
"$PY" "$top_srcdir/tests/sim/cisco_ise_sim.py" --state "$FUNC_DIR/responders/nac-vectra-ise.json" \
        --port-file "$T/ise.port" >"$T/ise.out" 2>"$T/ise.err" </dev/null &
track_pid $!
wait_until 15 test -s "$T/ise.port" || bail_out "cisco_ise_sim.py did not start"
ISE_URL=http://127.0.0.1:$(cat "$T/ise.port")

DAEMON_ENV+=("ISE_PASS=ers-secret" "AMP_KEY=amp-key")
make_conf "$T/secrespd.conf" \
        "responders = (
           { name = \"ise\"; type = \"cisco_ise\"; url = \"$ISE_URL\"; ers_url = \"$ISE_URL\";
             username = \"ers-admin\"; password = \"env:ISE_PASS\"; bounce_pause = \"0s\"; },
           { name = \"amp\"; type = \"cisco_amp\"; url = \"$AMP_URL\"; client_id = \"amp-client\";
             api_key = \"env:AMP_KEY\"; } );" \
        "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\";
                      responders = [ \"ise\", \"amp\" ];
                      accounts: { enabled = false; }; detections: { enabled = false; }; } );"
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 30
is "$(bstate 10.0.0.1 ise)" blocked "db: 10.0.0.1 blocked on ise"
is "$(bstate 10.0.0.1 amp)" blocked "db: 10.0.0.1 blocked on amp"
is "$(bstate 10.0.0.3 amp)" blocked "db: 10.0.0.3 blocked on amp (found by name)"
is "$(sim_tags host 1)" \
        "[\"VARHostBlocked\",\"VARID:AMPClient:$G1\",\"VARID:ISEClient:4C:1D:96:22:29:01\",\"vectra_host_block\"]" \
        "host 1: VAR ID tags of both clients"
is "$(sim_tags host 3)" \
        "[\"VARHostBlocked\",\"VARID:AMPClient:$G3\",\"VARID:ISEClient:AA:AA:AA:AA:AA:03\",\"vectra_host_block\"]" \
        "host 3: the session's MAC and the guid found by name"
is "$(sim_get /__sim/objects/host/1 | pyj '[t for t in d["tags"] if t.startswith("VAR ID:ISE")]' | tr -d ' ')" \
        '["VARID:ISEClient:4C:1D:96:22:29:01"]' "ISE tag exactly 'VAR ID:ISE Client:<MAC>'"
is "$(sim_tags host 2)" '[]' "host 2: untouched"
is "$(curl -sS "$ISE_URL/__sim/state" | pyj 'sorted(d["endpoints"].items())' | tr -d ' ')" \
        '[["4C:1D:96:22:29:01","Quarantine"],["AA:AA:AA:AA:AA:03","Quarantine"]]' "ISE: both MACs quarantined"
is "$(nsim_state 'sorted(c["connector_guid"] for c in d["computers"] if c["isolation"]["status"] != "not_isolated")' | tr -d ' ')" \
        "[\"$G1\",\"$G3\"]" "Secure Endpoint: both computers isolating, ws-30 not"

# ---- the block tag goes: unblock everywhere, tags removed
sim_set_tags host 1 "[\"VAR Host Blocked\", \"VAR ID:ISE Client:4C:1D:96:22:29:01\", \"VAR ID:AMP Client:$G1\"]"
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "unblock cycle: ok"
is "$(bstate 10.0.0.1 ise),$(bstate 10.0.0.1 amp)" "unblocked,unblocked" "db: 10.0.0.1 unblocked on both"
is "$(sim_tags host 1)" '[]' "host 1: VAR tags removed"
is "$(curl -sS "$ISE_URL/__sim/state" | pyj 'sorted(d["endpoints"])' | tr -d ' ')" '["AA:AA:AA:AA:AA:03"]' \
        "ISE: 4C:1D:96:22:29:01 cleared"
is "$(nsim_state "[c['isolation']['status'] for c in d['computers'] if c['connector_guid'] == '$G1'][0]")" \
        pending_stop "Secure Endpoint: ws-alice released"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
