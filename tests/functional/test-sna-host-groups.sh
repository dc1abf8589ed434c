#!/bin/bash
# SNA end-to-end: inside_from = "host_groups".  Inside hosts are those the
# SMC tags with one of its inside host groups (GET internalHosts/tags, read
# every cycle), whatever their address: a carrier-grade NAT address tagged
# Catch All is inside, an RFC 1918 address tagged with a country is not.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 5
e2e_require
sna_start
sna_events '[
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "100.64.1.1", "tags": [{"name": "Catch All", "id": 65534}]},
  "target": {"ipAddress": "8.8.8.8", "tags": [{"name": "United States", "id": 61627}]}},
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5", "tags": [{"name": "United States", "id": 61627}]},
  "target": {"ipAddress": "1.1.1.1", "tags": [{"name": "United States", "id": 61627}]}}
]'
sconf 'inside_from = "host_groups";'
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT found FROM cycles ORDER BY id LIMIT 1')" 1 "one inside host"
_one() { [ "$(rec_count block-host)" -ge 1 ]; }
ok "a block call" wait_until 10 _one
is "$(rec_lines | pyj_lines | tr '\n' ' ')" "100.64.1.1 " "the host in the SMC's inside groups, not the RFC 1918 one tagged outside"
is "$(sna_count GET '/internalHosts/tags$')" 1 "the inside host groups were read"
