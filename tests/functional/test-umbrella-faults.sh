#!/bin/bash
# SPDX-License-Identifier: MIT
# Umbrella end-to-end, failures inside the daemon: a failure mid-cycle
# (Investigate down after the activity was fetched) moves no VPN group; a
# 429 with Retry-After and a 503 are retried and the cycle succeeds; an
# access token that expired early (401) is replaced once and the cycle
# succeeds; a responder that cannot open the FreeRADIUS database retries.
# The users come from the config list here (users_from = "config"), so that
# the FreeRADIUS database can go away under the responder alone.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/umbrella/e2e.sh"

plan 17
u_require
usim_start "$UDIR/groups.json"
radius_init
uconf 'users_from = "config"; users = [ "alice:PC-ALICE", "bob:PC-BOB", "carol:PC-CAROL" ];' '' \
        'reconcile = { retry_base_ms = 300; };'
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 30
groups() { echo "$(radreply alice),$(radreply bob),$(radreply carol)"; }
is "$(groups)" Dangerous,Safe,Problematic "first cycle: alice Dangerous, bob Safe, carol Problematic"

# ---- a failure mid-cycle: alice would go back to Safe and carol to
# Dangerous, but the Investigate call for the new domain fails
usim_put /__sim/activity/101 '[{"domain": "calm.example", "categories": [108]}]' >/dev/null
usim_put /__sim/activity/103 '[{"domain": "worse.example", "categories": [64]}]' >/dev/null
usim_post /__sim/faults '[{"kind": "status", "status": 500, "path": "^/investigate/"}]' >/dev/null
events=$(dbq "SELECT count(*) FROM events")
urun
is "$RUN_RC" 1 "Investigate down: secrespctl run exits 1"
is "$(jget "$RUN_OUT" 'd["last_result"]')" api-failed "Investigate down: the cycle failed (api-failed)"
is "$(groups)" Dangerous,Safe,Problematic "Investigate down: no group moved"
is "$(dbq "SELECT count(*) FROM events")" "$events" "Investigate down: no block or unblock event"
is "$(dbq "SELECT count(*) FROM scores WHERE user = 'alice'")" 1 "Investigate down: no score stored"

# ---- the same cycle once Investigate is back
usim_post /__sim/faults '[]' >/dev/null
urun
is "$(jget "$RUN_OUT" 'd["last_result"]')" ok "Investigate back: ok"
is "$(groups)" Safe,Safe,Dangerous "Investigate back: alice Safe, carol Dangerous"

# ---- 429 with Retry-After, then 503: retried
usim_post /__sim/faults '[{"kind": "rate_limit", "retry_after": "1", "path": "/activity/dns$", "times": 1},
                          {"kind": "status", "status": 503, "path": "/top-identities$", "times": 1}]' >/dev/null
urun
is "$(jget "$RUN_OUT" 'd["last_result"]')" ok "429 and 503 once each: the cycle succeeds"
is "$(usim_get /__sim/faults | pyj '[f["fired"] for f in d]' | tr -d ' ')" '[1,1]' "429 and 503: both answered"
usim_post /__sim/faults '[]' >/dev/null

# ---- the access token expires early
tokens=$(usim_count token)
usim_post /__sim/tokens/expire '{}' >/dev/null
urun
is "$(jget "$RUN_OUT" 'd["last_result"]')" ok "expired token: the cycle succeeds"
is "$(usim_count token)" $((tokens + 1)) "expired token: one new token"

# ---- the FreeRADIUS database is unreadable for the responder: retried
usim_put /__sim/activity/102 '[{"domain": "evil.example", "categories": [65]}]' >/dev/null
mv "$RADIUS_DB" "$RADIUS_DB.away"
urun
like "$(ustate bob)" '^(blocking|failed)$' "database gone: bob's move waits for a retry"
mv "$RADIUS_DB.away" "$RADIUS_DB"
ok "database back: bob moved to Dangerous by the retry" wait_until 30 eval '[ "$(radreply bob)" = Dangerous ]'
is "$(ustate bob)" blocked "database back: bob's row blocked"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
