#!/bin/bash
# SNA end-to-end: host_ttl.  A host that stops showing up in the events is
# taken out of the host group once its time to live has passed since it
# was last seen (the reconciler's block expiry, woken at the exact time),
# while a host seen again keeps its place; against an SMC before 7.3.2
# (no XSRF token given, none sent), with the tag existing beforehand
# (merged, never duplicated, its other ranges kept).
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 13
e2e_require
sna_start --no-xsrf
sna_put /__sim/state '{"tags": {"132": [{"id": 1, "name": "Inside Hosts", "location": "INSIDE", "parentId": 0, "ranges": []},
  {"id": 900, "name": "High Traffic Hosts", "location": "INSIDE", "parentId": 1, "ranges": ["10.9.0.0/16"]}]}}' >/dev/null
sna_events '[{"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}},
             {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.6"}, "target": {"ipAddress": "8.8.8.8"}}]'
RESP=hg
sconf 'responders = [ "hg" ]; host_ttl = "6s";' "$(hg_responder)"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
_in() { [ "$(sna_ranges 'High Traffic Hosts')" = '["10.0.0.5","10.0.0.6","10.9.0.0/16"]' ]; }
ok "both hosts merged into the existing tag, its range kept" wait_until 10 _in
is "$(sna_ntags 'High Traffic Hosts')" 1 "no second tag"
is "$(sna_count POST '/tags')" 0 "no POST: the tag existed"
is "$(sna_reqs '*' '.' | "$PY" -c '
import json, sys
print(sum(1 for l in sys.stdin if "x-xsrf-token" in json.loads(l)["headers"]))')" 0 "pre-7.3.2 SMC: no X-XSRF-TOKEN sent"
exp1=$(dbq "SELECT b.expires_at FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.6'")
ok "db: an expiry is set" test -n "$exp1"

# 10.0.0.5 stops; 10.0.0.6 is seen again 3 s later, which renews its TTL
sna_put /__sim/state '{"events": [{"securityEventType": 16, "ageMinutes": 1, "source": {"ipAddress": "10.0.0.6"}, "target": {"ipAddress": "8.8.8.8"}}]}' >/dev/null
sleep 3
srun run
is "$(jget "$RUN_JSON" 'd["found"]')" 1 "second cycle: only 10.0.0.6"
exp2=$(dbq "SELECT b.expires_at FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.6'")
cmp_num "$exp2" -gt "$exp1" "db: seeing 10.0.0.6 again moved its expiry"
_gone() { [ "$(sna_ranges 'High Traffic Hosts')" = '["10.0.0.6","10.9.0.0/16"]' ]; }
t0=$(now_ms)
ok "10.0.0.5 left the tag after its TTL" wait_until 12 _gone
diag "removed $(($(now_ms) - t0)) ms after the second cycle"
is "$(bstate 10.0.0.5 hg)" unblocked "db: 10.0.0.5 unblocked"
is "$(dbq "SELECT reason FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.5'")" \
        "block duration expired" "db: because the block duration expired"
is "$(bstate 10.0.0.6 hg)" blocked "db: 10.0.0.6 still blocked"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
