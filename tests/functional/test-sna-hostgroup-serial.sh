#!/bin/bash
# sna_hostgroup keeps one read-modify-write of the tag at a time even when
# the operator allows concurrent calls (max_concurrent = 4, max_batch = 1):
# eight hosts blocked at once all end up in the tag, none lost to an
# overlapping PUT; the SMC saw the writes one after the other.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 5
e2e_require
sna_start
evs=$("$PY" -c '
import json
print(json.dumps([{"securityEventType": 16, "ageMinutes": 3, "source": {"ipAddress": "10.2.0.%d" % i},
                   "target": {"ipAddress": "8.8.8.8"}} for i in range(1, 9)]))')
sna_events "$evs"
RESP=hg
sconf 'responders = [ "hg" ];' "$(hg_responder 'max_concurrent = 4; max_batch = 1;')"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
_all() { [ "$(hosts_in blocked | tr ',' '\n' | grep -c .)" -eq 8 ]; }
ok "db: eight hosts blocked" wait_until 20 _all
is "$(sna_ranges 'High Traffic Hosts' | pyj 'len(d)')" 8 "all eight are in the tag"
is "$(sna_ntags 'High Traffic Hosts')" 1 "one tag"
is "$(sna_reqs '*' '/tags' | "$PY" -c '
import json, sys
w = [json.loads(l) for l in sys.stdin if json.loads(l)["method"] in ("POST", "PUT")]
print(max([e["concurrent"] for e in w] or [0]))')" 1 "tag writes never overlapped"
