#!/bin/bash
# SNA end-to-end, failure paths, the real secrespd against sna_sim.py:
# a session expiring in the middle of a cycle is renewed (401, login,
# the same call again) and the cycle ends ok; a refused password fails the
# cycle as auth-failed without a retry storm; 429 and 503 are retried; a
# query that never completes hits poll_timeout and changes nothing, as
# does a FAILED query and a malformed results body; the simulator refuses
# a write without X-XSRF-TOKEN (so the daemon's successful writes prove
# it sends it).
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 27
e2e_require
sna_start
sna_events '[{"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}}]'
RESP=hg
sconf 'responders = [ "hg" ]; poll_timeout = "4s";' "$(hg_responder)"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
_blk() { [ "$(bstate 10.0.0.5 hg)" = blocked ]; }
ok "10.0.0.5 blocked" wait_until 10 _blk

# ---- the simulator enforces XSRF: a write without the header is refused
jar=$T/jar
curl -sS -c "$jar" -o /dev/null -d 'username=admin&password=C1sco12345' "$SNA_URL/token/v2/authenticate"
code=$(curl -sS -b "$jar" -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d '[{"name":"x","location":"INSIDE","ranges":[]}]' "$SNA_URL/smc-configuration/rest/v1/tenants/132/tags")
is "$code" 403 "simulator: a POST without X-XSRF-TOKEN gets 403"
is "$(sna_reqs POST '/tags$' | pyj_status 200)" 1 "the daemon's own POST went through"

# ---- the session expires while the query is being polled
sna_mark
sna_put /__sim/state '{"query_polls": 4}' >/dev/null
logins0=$(sna_get /__sim/sessions | pyj 'd["logins"]')
( srun run 60; printf '%s' "$RUN_JSON" >"$T/run1.json" ) &
bg=$!
_created() { [ "$(sna_count POST '/security-events/queries$')" -ge 1 ]; }
ok "query created" wait_until 10 _created
sna_post /__sim/sessions/expire '' >/dev/null
wait "$bg"
RUN_JSON=$(cat "$T/run1.json")
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "cycle with a mid-cycle expiry: ok"
cmp_num "$(sna_reqs GET '/security-events/(queries|results)/' | pyj_status 401)" -ge 1 "a call got 401"
cmp_num "$(sna_get /__sim/sessions | pyj 'd["logins"]')" -gt "$logins0" "logged in again"
is "$(sna_count GET '/security-events/results/')" 1 "the results were still fetched"

# ---- 429 with Retry-After and 503: retried, the cycle succeeds
sna_mark
sna_put /__sim/state '{"query_polls": 1}' >/dev/null
sna_post /__sim/faults '[{"kind": "rate_limit", "retry_after": "1", "method": "POST", "path": "/security-events/queries$", "times": 1},
                        {"kind": "status", "status": 503, "method": "GET", "path": "/security-events/results/", "times": 2}]' >/dev/null
srun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "429 then 503 twice: the cycle is ok"
is "$(sna_count POST '/security-events/queries$')" 2 "the query POST was repeated after the 429"
is "$(sna_count GET '/security-events/results/')" 3 "results: two 503, then 200"
sna_post /__sim/faults '[]' >/dev/null

# ---- a query that never completes: the deadline fails the cycle, nothing changes
sna_events '[{"securityEventType": 16, "ageMinutes": 1, "source": {"ipAddress": "10.0.0.66"}, "target": {"ipAddress": "8.8.8.8"}}]'
sna_put /__sim/state '{"query_mode": "never"}' >/dev/null
sna_mark
t0=$(now_ms)
srun run
dt=$(($(now_ms) - t0))
is "$(jget "$RUN_JSON" 'd["last_result"]')" failed "never-completing query: cycle failed"
like "$(jget "$RUN_JSON" 'd["last_error"]')" 'not complete after 4 s' "the error names the deadline"
cmp_num "$dt" -lt 9000 "ended by the deadline (${dt} ms)"
cmp_num "$(sna_count GET '/security-events/queries/')" -ge 3 "polled with backoff until then"
is "$(sna_count '*' '/tags')" 0 "no tag call"
is "$(bstate 10.0.0.66 hg)" "" "db: no row for the new host"

# ---- a FAILED query, and a malformed results body
sna_put /__sim/state '{"query_mode": "fail"}' >/dev/null
srun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" api-failed "FAILED query: api-failed"
like "$(jget "$RUN_JSON" 'd["last_error"]')" "status 'FAILED'" "the error names the status"
sna_put /__sim/state '{"query_mode": "normal"}' >/dev/null
sna_post /__sim/faults '[{"kind": "malformed", "method": "GET", "path": "/security-events/results/"}]' >/dev/null
srun run
is "$(jget "$RUN_JSON" 'd["last_result"]')" api-failed "malformed results: api-failed"
like "$(jget "$RUN_JSON" 'd["last_error"]')" 'not JSON' "the error says the answer is not JSON"
is "$(bstate 10.0.0.66 hg)" "" "db: still no row for the new host"
sna_post /__sim/faults '[]' >/dev/null

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- a refused password: auth-failed, one login attempt
sconf 'responders = [ "hg" ];' "$(hg_responder)"
DAEMON_ENV=("SNA_PASSWORD=wrong")
sna_mark
start_ready "$CONF"
ok "a cycle ran" wait_cycles 7 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id DESC LIMIT 1')" auth-failed "wrong password: auth-failed"
is "$(sna_count POST '^/token/v2/authenticate$')" 1 "one login attempt (a 401 is not retried)"
