#!/bin/bash
# SPDX-License-Identifier: MIT
# Two brains that see the same host (10.0.0.1, host 1 on brain1, host 7 on
# brain2) make one entity with one block per responder: one responder
# call for both, both brains' hosts written back with VAR's tags, the
# block kept while either brain still wants it, lifted when neither does.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 12
e2e_require

cat >"$T/b1.json" <<'JSON'
{"hosts": [{"id": 1, "name": "ws-alice", "last_source": "10.0.0.1", "threat": 60, "certainty": 70,
            "tags": ["vectra_host_block"]}]}
JSON
cat >"$T/b2.json" <<'JSON'
{"hosts": [{"id": 7, "name": "ws-alice", "last_source": "10.0.0.1", "threat": 50, "certainty": 50,
            "tags": ["vectra_host_block"]}]}
JSON
# brain2's simulator, then brain1's (sim_start sets SIM_URL: the helpers
# talk to brain1's unless SIM_URL is switched)
"$PY" "$top_srcdir/tests/sim/vectra_sim.py" --state "$T/b2.json" --port-file "$T/sim2.port" \
        --log "$T/sim2.jsonl" >"$T/sim2.out" 2>"$T/sim2.err" </dev/null &
track_pid $!
wait_until 15 test -s "$T/sim2.port" || bail_out "second vectra_sim.py did not start"
SIM2_URL=http://127.0.0.1:$(cat "$T/sim2.port")
sim_start "$T/b1.json"
SIM1_URL=$SIM_URL
on2() { local s=$SIM_URL; SIM_URL=$SIM2_URL; "$@"; local r=$?; SIM_URL=$s; return $r; }

make_conf "$T/secrespd.conf" "$(responder_conf)" \
        "vectra = (
  { name = \"brain1\"; url = \"$SIM1_URL\"; $BRAIN_AUTH interval = \"1h\";
    accounts: { enabled = false; }; detections: { enabled = false; }; },
  { name = \"brain2\"; url = \"$SIM2_URL\"; $BRAIN_AUTH interval = \"1h\";
    accounts: { enabled = false; }; detections: { enabled = false; }; }
);"
start_ready "$CONF"
ok "both first cycles ran" wait_cycles 2 30

is "$(rec_lines | grep -c block-host)" 1 "one responder call for the host both brains flag"
is "$(dbq "SELECT count(*) FROM entities WHERE value = '10.0.0.1'")" 1 "one entity"
is "$(bstate 10.0.0.1)" blocked "one block row, blocked"
is "$(dbq "SELECT count(DISTINCT source) FROM sightings s JOIN entities e ON e.id = s.entity_id WHERE e.value = '10.0.0.1'")" 2 \
        "both brains' sightings recorded"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' "brain1's host written back"
is "$(on2 sim_tags host 7)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' "brain2's host written back too"

# brain1 lets go; brain2 still wants the block
sim_set_tags host 1 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.0.1"]'
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "brain1 cycle without its tag: ok"
is "$(rec_lines | grep -c unblock-host)" 0 "the block stays while brain2 still wants it"
is "$(bstate 10.0.0.1)" blocked "still blocked"

# brain2 lets go too
on2 sim_set_tags host 7 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.0.1"]'
run ctl run brain2
is "$(rec_lines | grep -c unblock-host)" 1 "lifted once neither brain wants it"
is "$(bstate 10.0.0.1)" unblocked "unblocked"
