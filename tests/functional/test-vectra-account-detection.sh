#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: account blocking (block_account with {account}, the
# "VAR Account Blocked" marker) and detection (destination) blocking (each
# public dst IP of a tagged detection through block_destination, private
# and unparsable ones left out, "VAR Detection Blocked"); then both
# unblocked when their tags go away.
# State: tests/functional/vectra/account-detection.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 27
e2e_require
sim_start "$E2E_DIR/account-detection.json"
vconf ''
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: result ok"
is "$(rec_lines | sort | tr '\n' ';')" \
        '["block-account","O365:alice@corp.example"];["block-destination","185.220.101.1"];["block-destination","45.33.32.156"];["block-destination","93.184.216.34"];' \
        "calls: the account, and the public destinations of the tagged detections"
is "$(sim_tags account 101)" \
        '["VARAccountBlocked","VARID:ExternalCallClient:O365:alice@corp.example","vectra_account_block"]' \
        "account 101: marker and VAR ID (the element keeps its colon)"
is "$(sim_tags account 102)" '[]' "account 102: untouched"
is "$(sim_tags detection 1001)" '["VARDetectionBlocked","VARID:ExternalCallClient:185.220.101.1","block"]' \
        "detection 1001: marker and the public IP only"
is "$(sim_tags detection 1004)" \
        '["VARDetectionBlocked","VARID:ExternalCallClient:45.33.32.156","VARID:ExternalCallClient:93.184.216.34","block","keepme"]' \
        "detection 1004: marker and both IPs, keepme kept"
is "$(sim_tags detection 1008)" '["blocklist_candidate"]' "detection 1008 (substring of 'block'): untouched"
is "$(sim_tags host 1)" '[]' "host 1: untouched"
ok "account 101: a Blocked note" note_recent "$(sim_notes account 101)" Blocked
ok "detection 1001: a Blocked note" note_recent "$(sim_notes detection 1001)" Blocked
is "$(sim_notes detection 1004 | grep -c .)" 1 "detection 1004: one note for two destinations"
is "$(dbq "SELECT group_concat(kind || ':' || value, ' ') FROM (SELECT e.kind, e.value FROM blocks b
            JOIN entities e ON e.id = b.entity_id WHERE b.state = 'blocked' ORDER BY e.kind, e.value)")" \
        "account:O365:alice@corp.example destination:185.220.101.1 destination:45.33.32.156 destination:93.184.216.34" \
        "db: the account and three destinations blocked"
is "$(dbq "SELECT count(*) FROM entities WHERE value IN ('10.9.9.9', 'bogus', '104.16.0.1')")" 0 \
        "db: no private, bogus or untagged destination"
is "$(sim_writes | sort | tr '\n' ';')" \
        "PATCH /api/v2.5/tagging/account/101;PATCH /api/v2.5/tagging/detection/1001;PATCH /api/v2.5/tagging/detection/1004;POST /api/v2.5/accounts/101/notes;POST /api/v2.5/detections/1001/notes;POST /api/v2.5/detections/1004/notes;" \
        "writes: one tag PATCH and one note per object"

# ---- the tags go away: the account and detection 1004 are unblocked
sim_set_tags account 101 '["VAR Account Blocked", "VAR ID:External Call Client:O365:alice@corp.example"]'
sim_set_tags detection 1004 '["keepme", "VAR Detection Blocked", "VAR ID:External Call Client:93.184.216.34", "VAR ID:External Call Client:45.33.32.156"]'
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["to_block"], d["unblocked"]')" '["ok", 0, 3]' "cycle: 3 unblocked"
is "$(rec_lines | tail -n +5 | sort | tr '\n' ';')" \
        '["unblock-account","O365:alice@corp.example"];["unblock-destination","45.33.32.156"];["unblock-destination","93.184.216.34"];' \
        "calls: unblock the account and both destinations"
is "$(rec_count)" 7 "no other call"
is "$(sim_tags account 101)" '[]' "account 101: VAR tags removed"
is "$(sim_tags detection 1004)" '["keepme"]' "detection 1004: VAR tags removed, keepme kept"
is "$(sim_tags detection 1001)" '["VARDetectionBlocked","VARID:ExternalCallClient:185.220.101.1","block"]' \
        "detection 1001: unchanged"
ok "account 101: an Unblocked note" note_recent "$(sim_notes account 101 | tail -n 1)" Unblocked
ok "detection 1004: an Unblocked note" note_recent "$(sim_notes detection 1004 | tail -n 1)" Unblocked
is "$(sim_notes detection 1004 | grep -c .)" 2 "detection 1004: one note per change"
is "$(bstate O365:alice@corp.example),$(bstate 93.184.216.34),$(bstate 45.33.32.156),$(bstate 185.220.101.1)" \
        unblocked,unblocked,unblocked,blocked "db: the states"

sim_mark
vrun run
is "$(rec_count)$(sim_writes | wc -l)" "70" "steady cycle: no call, no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
