#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: `secrespd --once` with a brain runs one cycle and
# exits with the original tools' codes: 0 after a good cycle (the block
# done and written back), 101 when the token is refused (legacy token, and
# OAuth with a wrong secret), 102 when Vectra keeps answering 500.  Nothing
# is blocked or written when the cycle fails.  State: tests/functional/vectra/once.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 22
e2e_require
sim_start "$E2E_DIR/once.json"
BRAIN='accounts: { enabled = false; }; detections: { enabled = false; };'

# once NAME [FAULTS] : one `secrespd --once` from scratch against a reset
# simulator (with these fault rules)
once() {
        sim_post /__sim/reset '{}' >/dev/null || bail_out "cannot reset the simulator"
        [ -n "${2:-}" ] && { sim_post /__sim/faults "$2" >/dev/null || bail_out "cannot set faults"; }
        rm -rf "$T/state" "$T/run"
        REC=$T/rec.$1.jsonl
        vconf "$BRAIN"
        sim_mark
        local t0
        t0=$(now_ms)
        start_daemon "$CONF" --once
        wait_daemon_exit 60 || { kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_RC=timeout; }
        ONCE_MS=$(($(now_ms) - t0))
}

# ---- a good cycle
once ok
is "$DAEMON_RC" 0 "good cycle: exit 0"
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.1","ws-alice","1"];' "good cycle: host 1 blocked"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' \
        "good cycle: written back before the exit"
ok "good cycle: the note too" note_recent "$(sim_notes host 1)" Blocked
is "$(dbq "SELECT count(*) || ':' || group_concat(result) FROM cycles")" 1:ok "good cycle: one cycle recorded, ok"
is "$(bstate 10.0.0.1)" blocked "good cycle: db blocked"

# ---- the legacy token is refused
DAEMON_ENV=("VECTRA_TOKEN=not-the-token")
once token
is "$DAEMON_RC" 101 "wrong token: exit 101"
ok "wrong token: no responder call" test ! -e "$REC"
is "$(sim_writes | wc -l)" 0 "wrong token: no write"
like "$(sim_count GET '^/api/v2\.5/')" '^[1-9]' "wrong token: it did ask"
is "$(dbq "SELECT result FROM cycles")" auth-failed "wrong token: cycle recorded as auth-failed"

# ---- OAuth with a wrong secret
DAEMON_ENV=("VECTRA_SECRET=not-the-secret")
BRAIN_AUTH='api_version = "2.5"; auth = "oauth"; client_id = "secresp-client"; secret_key = "env:VECTRA_SECRET";'
once oauth
is "$DAEMON_RC" 101 "wrong OAuth secret: exit 101"
ok "wrong OAuth secret: no responder call" test ! -e "$REC"
is "$(sim_get /__sim/tokens | pyj 'd["active"]')" 0 "wrong OAuth secret: no token issued"

# ---- OAuth credentials from VAR's variables named after the brain URL
DAEMON_ENV=("${SIM_URL}_Client_ID=secresp-client" "${SIM_URL}_Secret_Key=secresp-secret")
BRAIN_AUTH='api_version = "2.5"; auth = "oauth";'
once varenv
is "$DAEMON_RC" 0 "VAR's <url>_Client_ID and <url>_Secret_Key variables: exit 0"
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.1","ws-alice","1"];' "VAR's variables: host 1 blocked"
unlike "$(journal_query _PID="$DAEMON_PID" | grep -c secresp-secret)" '^[1-9]' "VAR's variables: the secret is not logged"
BRAIN_AUTH='api_version = "2.5"; auth = "token"; token = "env:VECTRA_TOKEN";'

# ---- Vectra answers 500, every time
DAEMON_ENV=("VECTRA_TOKEN=$VECTRA_TOKEN")
BRAIN_AUTH='api_version = "2.5"; auth = "token"; token = "env:VECTRA_TOKEN";'
once 500 '[{"kind": "status", "status": 500, "path": "^/api/"}]'
diag "--once against a failing Vectra took $ONCE_MS ms"
is "$DAEMON_RC" 102 "persistent 500: exit 102"
like "$(sim_count GET '^/api/v2\.5/hosts$')" '^([5-9]|[1-9][0-9]+)$' "persistent 500: retried before giving up"
ok "persistent 500: no responder call" test ! -e "$REC"
is "$(sim_writes | wc -l)" 0 "persistent 500: no write"
is "$(dbq "SELECT result FROM cycles")" api-failed "persistent 500: cycle recorded as api-failed"
