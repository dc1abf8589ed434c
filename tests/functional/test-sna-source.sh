#!/bin/bash
# SPDX-License-Identifier: MIT
# SNA end-to-end: the source against sna_sim.py with the recorder as the
# responder.  Events of the configured type within the time window give
# their inside hosts (source and target sides), deduplicated; outside
# addresses, other event types and old events are left out.  The SMC sees
# a form login, the session cookie on every call and X-XSRF-TOKEN on every
# non-GET, the query with the right types and window, progress polls, the
# results; at SIGTERM the session is logged out.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 23
e2e_require
sna_start
sna_events '[
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}, "hitCount": 40},
 {"securityEventType": 16, "ageMinutes": 9, "source": {"ipAddress": "8.8.4.4"}, "target": {"ipAddress": "192.168.1.20"}},
 {"securityEventType": 16, "ageMinutes": 12, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "1.1.1.1"}},
 {"securityEventType": 30, "ageMinutes": 3, "source": {"ipAddress": "10.9.9.9"}, "target": {"ipAddress": "9.9.9.9"}},
 {"securityEventType": 16, "ageMinutes": 150, "durationMinutes": 10, "source": {"ipAddress": "10.7.7.7"}, "target": {"ipAddress": "9.9.9.9"}}
]'
sconf ''
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "cycle: ok"
is "$(dbq 'SELECT found FROM cycles ORDER BY id LIMIT 1')" 2 "cycle: 2 inside hosts found"
_two() { [ "$(rec_count block-host)" -ge 2 ]; }
ok "two block calls" wait_until 10 _two
is "$(rec_lines | pyj_lines | sort | tr '\n' ' ')" "10.0.0.5 192.168.1.20 " \
        "blocked: the inside source and the inside target, once each" 2>/dev/null
is "$(hosts_in blocked)" "10.0.0.5,192.168.1.20" "db: both rows blocked"
is "$(dbq "SELECT reason FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.5'")" \
        "SNA High Total Traffic: 2 events" "db: the reason names the event and the count"
is "$(dbq "SELECT count(*) FROM sightings WHERE source = 'sna:smc1'")" 2 "db: two sightings by sna:smc1"

# ---- what the SMC saw
is "$(sna_count POST '^/token/v2/authenticate$')" 1 "one login"
login=$(sna_reqs POST '^/token/v2/authenticate$' | head -n 1)
is "$(jget "$login" 'd["body"]')" "username=admin&password=C1sco12345" "form login body"
is "$(jget "$login" 'd["headers"]["content-type"]')" "application/x-www-form-urlencoded" "form content type"
q=$(sna_reqs POST '/security-events/queries$' | head -n 1)
ok "query created on tenant 132 (discovered)" test -n "$q"
like "$(jget "$q" 'd["headers"].get("cookie", "")')" 'stealthwatch\.jwt=[0-9a-f]+' "the query carries the session cookie"
like "$(jget "$q" 'd["headers"].get("x-xsrf-token", "")')" '^[0-9a-f]{32}$' "the query carries X-XSRF-TOKEN"
is "$(jget "$q" 'json.loads(d["body"])["securityEventTypeIds"]')" "[16]" "query: type 16 (the default)"
win=$(jget "$q" 'epoch(json.loads(d["body"])["timeRange"]["to"]) - epoch(json.loads(d["body"])["timeRange"]["from"])')
is "$win" 3600 "query: the last 60 minutes"
cmp_num "$(sna_count GET '/security-events/queries/[0-9a-f]+$')" -ge 2 "progress polled until COMPLETED"
is "$(sna_count GET '/security-events/results/[0-9a-f]+$')" 1 "results fetched once"
is "$(sna_reqs GET '.' | pyj_lines_field has_xsrf | sort -u | tr '\n' ' ')" "no " "GETs carry no X-XSRF-TOKEN"

n0=$(rec_count block-host)
srun plan
is "$(jget "$RUN_JSON" 'sorted(e["value"] + ":" + e["verdict"] for e in d["plan"])')" \
        '["10.0.0.5:block", "192.168.1.20:block"]' "plan: both hosts, verdict block"
is "$(rec_count block-host)" "$n0" "plan: nothing enforced"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
is "$(sna_count DELETE '^/token$')" 1 "logged out at shutdown (DELETE /token)"
