#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end on the v3 Platform API with OAuth (client credentials):
# the urgency rule blocks the hosts and accounts at or above the gate and
# no other (threat/certainty do not count on this path, NoBlock still wins),
# every API request carries the bearer token, and the write-back (marker,
# VAR ID tags, note) lands on the v3 objects.
# State: tests/functional/vectra/urgency.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 17
e2e_require
sim_start "$E2E_DIR/urgency.json" --api 3
BRAIN_AUTH='api_version = "3"; auth = "oauth"; client_id = "secresp-client"; secret_key = "env:VECTRA_SECRET";'
vconf 'detections: { enabled = false; };
        hosts: { block_group = ""; urgency = 70; };
        accounts: { block_group = ""; urgency = 80; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: result ok"
is "$(rec_lines | sort | tr '\n' ';')" \
        '["block-account","O365:alice@corp.example"];["block-host","10.0.2.1","u-90","1"];["block-host","10.0.2.2","u-70","2"];' \
        "blocked: hosts at urgency 90 and 70, the account at 85; nothing else"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.2.1"]' "host 1: marker and VAR ID"
is "$(sim_tags host 2)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.2.2"]' "host 2: marker and VAR ID"
is "$(sim_tags host 3)$(sim_tags host 4)$(sim_tags host 5)" '[][][]' "hosts 3, 4, 5: no tags"
is "$(sim_tags account 101)" \
        '["VARAccountBlocked","VARID:ExternalCallClient:O365:alice@corp.example"]' "account 101: marker and VAR ID"
is "$(sim_tags account 102)" '[]' "account 102: no tags"
ok "host 1: a Blocked note" note_recent "$(sim_notes host 1)" Blocked
ok "account 101: a Blocked note" note_recent "$(sim_notes account 101)" Blocked
is "$(dbq "SELECT count(*) FROM blocks WHERE state = 'blocked'")" 3 "db: three blocked rows"

# ---- the protocol: OAuth client credentials, bearer tokens, v3 paths
is "$(sim_get /__sim/tokens | pyj 'd["issued"].get("client_credentials", 0) >= 1 and any(t["grant"] == "client_credentials" for t in d["tokens"])')" \
        true "a client_credentials grant was issued"
is "$("$PY" -c '
import json, sys
bad = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["path"].startswith("/api/") and not e["headers"].get("authorization", "").startswith("Bearer "):
        bad += 1
print(bad)' "$SIM_LOG")" 0 "every API request carries a bearer token"
is "$(grep -c '"/api/v2' "$SIM_LOG")" 0 "no v2.5 path used"
like "$(sim_count GET '^/api/v3(\.4)?/entities$')" '^[1-9]' "the urgency rule listed /entities"

# ---- a steady cycle changes nothing
sim_mark
vrun run
is "$(rec_count)$(sim_writes | wc -l)" "30" "steady cycle: no call, no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
