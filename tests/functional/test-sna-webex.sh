#!/bin/bash
# SNA end-to-end: the Webex notification (webex_sim.py).  A cycle that
# finds new hosts posts one markdown message to the room (Bearer token,
# roomId) naming each host, its event count and its peers; a cycle with
# nothing new posts nothing; a report over Webex's 7439-byte limit is
# split into numbered parts, each under it; a 429 is retried after
# Retry-After; a Webex outage is logged and does not fail the cycle nor
# stop the blocks.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 20
e2e_require
sna_start
webex_start
sna_events '[
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}},
 {"securityEventType": 16, "ageMinutes": 6, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "1.1.1.1"}},
 {"securityEventType": 16, "ageMinutes": 9, "source": {"ipAddress": "8.8.4.4"}, "target": {"ipAddress": "192.168.1.20"}}
]'
DAEMON_ENV+=("WEBEX_TOKEN=webex-bot-token")
sconf "notify: { webex_url = \"$WEBEX_URL/v1\"; webex_token = \"env:WEBEX_TOKEN\"; webex_room_id = \"room-soc\"; };"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
_one() { [ "$(webex_n)" -ge 1 ]; }
ok "a Webex message arrived" wait_until 10 _one
msg=$(webex_msgs | pyj 'd[0]')
like "$msg" '^\*\*SNA: 2 new hosts with High Total Traffic\*\* \(sna:smc1: 3 events in the last 60 min\)' "message: the headline"
like "$msg" '^- `10\.0\.0\.5`: 2 events; talked to 8\.8\.8\.8, 1\.1\.1\.1$' "message: a host, its events and peers"
like "$msg" '^- `192\.168\.1\.20`: 1 event; talked to 8\.8\.4\.4$' "message: the inside target too"
req=$(tail -n 1 "$WEBEX_LOG")
like "$(jget "$req" 'd["headers"]["authorization"]')" '^Bearer ' "Bearer token sent"
is "$(jget "$req" 'json.loads(d["body"])["roomId"]')" room-soc "roomId sent"

# ---- nothing new: no message; one new host: a message about it alone
srun run
is "$(webex_n)" 1 "a cycle with no new host sends nothing"
sna_events '[{"securityEventType": 16, "ageMinutes": 2, "source": {"ipAddress": "10.0.0.7"}, "target": {"ipAddress": "9.9.9.9"}}]'
srun run
_two() { [ "$(webex_n)" -ge 2 ]; }
ok "a message for the new host" wait_until 10 _two
msg=$(webex_msgs | pyj 'd[1]')
like "$msg" '^\*\*SNA: 1 new host with' "message: 1 new host"
unlike "$msg" '10\.0\.0\.5' "message: not the hosts already blocked"

# ---- a long report is split under the limit
evs=$("$PY" -c '
import json
print(json.dumps([{"securityEventType": 16, "ageMinutes": 3, "source": {"ipAddress": "10.1.%d.%d" % (i // 200, i % 200 + 1)},
                   "target": {"ipAddress": "203.0.113.%d" % (i % 250 + 1)}} for i in range(400)]))')
sna_events "$evs"
webex_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "POST", "path": "^/v1/messages$", "times": 1}]'
srun run
_split() { [ "$(webex_n)" -ge 4 ]; }
ok "the long report arrived in parts" wait_until 20 _split
parts=$(webex_msgs | pyj '[m for m in d[2:]]')
like "$(jget "$parts" 'd[0][:6]')" '^\(1/[2-9]\) ' "parts are numbered"
is "$(jget "$parts" 'max(len(m.encode()) for m in d) <= 7439')" true "each part is at most 7439 bytes"
is "$(jget "$parts" 'sum(m.count("\n- `10.1.") for m in d) + sum(1 for m in d if m.split(") ", 1)[1].startswith("- `10.1."))')" 400 \
        "all 400 new hosts are in the parts"
cmp_num "$(grep -c '"status": 429' "$WEBEX_LOG")" -ge 1 "a 429 was answered, and retried"

# ---- a Webex outage: logged, the cycle is ok, the host is blocked
webex_faults '[{"kind": "status", "status": 503, "method": "POST", "path": "^/v1/messages$"}]'
sna_events '[{"securityEventType": 16, "ageMinutes": 2, "source": {"ipAddress": "10.0.0.99"}, "target": {"ipAddress": "9.9.9.9"}}]'
srun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "Webex down: the cycle is ok"
_b() { [ "$(bstate 10.0.0.99)" = blocked ]; }
ok "Webex down: the new host is blocked" wait_until 10 _b
_wx() { journal_query _PID="$DAEMON_PID" PRIORITY=4 | grep -q 'Webex message not sent: POST /messages: HTTP 503'; }
ok "journal: the failed message is reported (after its retries)" wait_until 30 _wx

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
