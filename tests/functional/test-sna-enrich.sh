#!/bin/bash
# SNA end-to-end: enrichment of the Webex report.  For each new host,
# Secure Endpoint (secure_endpoint_sim.py: the computer by internal IP,
# then its trajectory filtered on each peer: the processes) and Umbrella
# Investigate (investigate_sim.py: the domains last seen on each peer and
# their status, in one bulk categorization call) go into the message; a
# host unknown to Secure Endpoint and a peer without domains say so;
# answers are cached across cycles; a failing lookup becomes a line and
# the message still goes out.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 14
e2e_require
sna_start
webex_start
side_start investigate investigate_sim.py --token inv-token \
        --state <(echo '{"ips": {"203.0.113.9": ["bad.example", "ok.example"]},
                         "domains": {"bad.example": {"status": -1, "security_categories": ["Malware"]},
                                     "ok.example": {"status": 1}}}')
INV_URL=$SIDE_URL
side_start amp secure_endpoint_sim.py --client-id amp-client --api-key amp-key \
        --state <(echo '{"computers": [{"connector_guid": "aaaa-1111", "hostname": "ws-alice.corp",
                                        "network_addresses": [{"ip": "10.0.0.5", "mac": "02:00:00:00:00:05"}]}],
                         "trajectories": {"aaaa-1111": [
                            {"event_type": "NFM", "network_info": {"remote_ip": "203.0.113.9", "remote_port": 443,
                             "parent": {"process_id": 4242, "file_name": "evil.exe"}}},
                            {"event_type": "NFM", "network_info": {"remote_ip": "8.8.8.8", "remote_port": 53,
                             "parent": {"process_id": 88, "file_name": "chrome.exe"}}}]}}')
AMP_URL=$SIDE_URL
sna_events '[
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "203.0.113.9"}},
 {"securityEventType": 16, "ageMinutes": 6, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}},
 {"securityEventType": 16, "ageMinutes": 7, "source": {"ipAddress": "10.0.0.6"}, "target": {"ipAddress": "8.8.8.8"}}
]'
DAEMON_ENV+=("WEBEX_TOKEN=webex-bot-token" "INV_TOKEN=inv-token" "AMP_KEY=amp-key")
sconf "notify: { webex_url = \"$WEBEX_URL/v1\"; webex_token = \"env:WEBEX_TOKEN\"; webex_room_id = \"room-soc\"; };
       enrich: { umbrella_url = \"$INV_URL\"; umbrella_token = \"env:INV_TOKEN\";
                 amp_url = \"$AMP_URL\"; amp_client_id = \"amp-client\"; amp_api_key = \"env:AMP_KEY\"; };"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
_one() { [ "$(webex_n)" -ge 1 ]; }
ok "the enriched message arrived" wait_until 20 _one
msg=$(webex_msgs | pyj 'd[0]')
like "$msg" '^  - Secure Endpoint: ws-alice\.corp: evil\.exe -> 203\.0\.113\.9; chrome\.exe -> 8\.8\.8\.8$' \
        "10.0.0.5: the processes behind the traffic"
like "$msg" '^  - Umbrella: 203\.0\.113\.9: 2 domains, 1 malicious \(bad\.example malicious: Malware, ok\.example\); 8\.8\.8\.8: no domain known$' \
        "10.0.0.5: its peers' domains"
like "$msg" '^  - Secure Endpoint: not a Secure Endpoint computer$' "10.0.0.6: not a computer"
inv=$T/investigate.jsonl
is "$(grep -c '"path": "/domains/categorization"' "$inv")" 1 "one bulk categorization call"
like "$(grep -m1 '"/ips/' "$inv" | pyj 'd["headers"]["authorization"]')" '^Bearer ' "Investigate: Bearer token"
like "$(grep -m1 '"/v1/computers"' "$T/amp.jsonl" | pyj 'd["headers"]["authorization"]')" '^Basic ' "Secure Endpoint: Basic auth"
is "$(grep -c '"/ips/8.8.8.8/latest_domains"' "$inv")" 1 "8.8.8.8 looked up once for both hosts"

# ---- a later cycle: cached answers, and a failing lookup
curl -sS -f -X POST -H 'Content-Type: application/json' --data-binary \
        '[{"kind": "status", "status": 500, "path": "^/ips/9\\.9\\.9\\.9/"}]' "$INV_URL/__sim/faults" >/dev/null
sna_events '[{"securityEventType": 16, "ageMinutes": 2, "source": {"ipAddress": "10.0.0.7"}, "target": {"ipAddress": "8.8.8.8"}},
             {"securityEventType": 16, "ageMinutes": 2, "source": {"ipAddress": "10.0.0.7"}, "target": {"ipAddress": "9.9.9.9"}}]'
srun run
_two() { [ "$(webex_n)" -ge 2 ]; }
ok "the second message arrived" wait_until 30 _two
msg=$(webex_msgs | pyj 'd[1]')
like "$msg" '^  - Umbrella: 8\.8\.8\.8: no domain known; 9\.9\.9\.9: lookup failed \(HTTP 500\)$' \
        "a failed lookup is a line, the message still goes out"
is "$(grep -c '"/ips/8.8.8.8/latest_domains"' "$inv")" 1 "8.8.8.8 came from the cache"
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "the cycle did not wait for the enrichment"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
