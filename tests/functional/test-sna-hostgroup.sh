#!/bin/bash
# SNA end-to-end: the source feeding the sna_hostgroup responder, both
# against sna_sim.py.  The first cycle creates the tag (INSIDE, under
# parent 1, no sendToCta) with the inside hosts only; a later cycle merges
# a new host into the same tag with a read-modify-write of the whole
# object (never a second tag); an operator's unblock takes an IP out; the
# responder sends X-XSRF-TOKEN on every write and logs out when idle;
# `secrespctl responder test` logs in and reads the tag list only.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 24
e2e_require
sna_start
sna_events '[
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}},
 {"securityEventType": 16, "ageMinutes": 9, "source": {"ipAddress": "8.8.4.4"}, "target": {"ipAddress": "192.168.1.20"}},
 {"securityEventType": 16, "ageMinutes": 12, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "1.1.1.1"}}
]'
RESP=hg
sconf 'responders = [ "hg" ];' "$(hg_responder)"
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
_two() { [ "$(hosts_in blocked)" = "10.0.0.5,192.168.1.20" ]; }
ok "db: both inside hosts blocked on hg" wait_until 10 _two
is "$(sna_ntags 'High Traffic Hosts')" 1 "the tag was created"
tag=$(sna_tag 'High Traffic Hosts')
is "$(jget "$tag" 'd["location"]')" INSIDE "tag: INSIDE"
is "$(jget "$tag" 'd["parentId"]')" 1 "tag: under parent 1 (Inside Hosts)"
is "$(sna_ranges 'High Traffic Hosts')" '["10.0.0.5","192.168.1.20"]' "tag: the inside hosts, no outside address"
post=$(sna_reqs POST '/tags$' | head -n 1)
is "$(jget "$post" '"sendToCta" in d["body"]')" false "POST body: no sendToCta"
is "$(jget "$post" 'type(json.loads(d["body"])).__name__')" list "POST body: a JSON array"
is "$(brow_hg 10.0.0.5 elements)" '["10.0.0.5"]' "db: the element is the IP"

# ---- a later cycle: one more host, merged into the same tag
sna_mark
sna_events '[{"securityEventType": 16, "ageMinutes": 2, "source": {"ipAddress": "10.0.0.7"}, "target": {"ipAddress": "9.9.9.9"}}]'
srun run
is "$(jget "$RUN_JSON" 'd["found"]')" 3 "second cycle: 3 inside hosts"
_three() { [ "$(sna_ranges 'High Traffic Hosts')" = '["10.0.0.5","10.0.0.7","192.168.1.20"]' ]; }
ok "tag: 10.0.0.7 merged in" wait_until 10 _three
is "$(sna_ntags 'High Traffic Hosts')" 1 "still one tag of that name"
is "$(sna_count POST '/tags$')" 0 "no second POST"
put=$(sna_reqs PUT '/tags/[0-9]+$' | tail -n 1)
is "$(jget "$put" 'sorted(k for k in json.loads(d["body"]) if k in ("id","name","location","parentId","ranges","display"))')" \
        '["display", "id", "location", "name", "parentId", "ranges"]' "PUT: the whole object"
is "$(sna_reqs '*' '/(tags|token)' | "$PY" -c '
import json, sys
bad = 0
for l in sys.stdin:
    e = json.loads(l)
    if e["method"] not in ("GET",) and e["path"] != "/token/v2/authenticate" and "x-xsrf-token" not in e["headers"]:
        bad += 1
print(bad)')" 0 "every write carries X-XSRF-TOKEN"

# ---- an operator's unblock takes the IP out
run ctl unblock host 10.0.0.7
is "$RUN_RC" 0 "secrespctl unblock host 10.0.0.7"
_gone() { [ "$(sna_ranges 'High Traffic Hosts')" = '["10.0.0.5","192.168.1.20"]' ]; }
ok "tag: 10.0.0.7 removed" wait_until 10 _gone
_unb() { [ "$(bstate 10.0.0.7 hg)" = unblocked ]; }
ok "db: 10.0.0.7 unblocked" wait_until 10 _unb

# ---- sessions: the responder logs out once idle
_out() { [ "$(sna_get /__sim/sessions | pyj 'd["active"]')" -le 1 ]; }
ok "idle responder sessions are logged out" wait_until 10 _out
cmp_num "$(sna_count DELETE '^/token$')" -ge 1 "DELETE /token seen"

# ---- responder test: reads, writes nothing
sna_mark
run ctl responder test hg
is "$RUN_RC" 0 "responder test hg: ok"
like "$RUN_OUT" "tag 'High Traffic Hosts' \(INSIDE\) exists" "responder test: the tag is found"
is "$(sna_reqs '*' '/tags' | "$PY" -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["method"] != "GET"))')" 0 "responder test: no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
