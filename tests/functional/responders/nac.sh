# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the NAC and endpoint responder tests
# (tests/functional/test-resp-*.sh, mk/responders-nac.am): the real
# secrespd with one vendor responder against its simulator in tests/sim/.
# Sourced after lib.sh.  The helpers assert nothing; tests compare what the
# simulator recorded and holds, the SQLite rows and secrespctl's output.
#
#   nsim_start NAME [SIM_ARGS...]   tests/sim/NAME_sim.py: NSIM_URL, NSIM_PID
#   nsim_get PATH | nsim_post PATH JSON | nsim_delete PATH
#   nsim_state EXPR                 pyj EXPR on the simulator's state
#   nsim_faults JSON                replaces the fault rules
#   nsim_reqs [METHOD] [PATH_RE]    "METHOD PATH" of each vendor request, one a line
#   nsim_count METHOD PATH_RE       how many such requests
#   nsim_api [METHOD] [PATH_RE]     nsim_reqs without 401s and token requests (NSIM_TOKEN_RE)
#   nsim_clear                      forgets the recorded requests
#   nconf GROUP_SETTINGS [TOP...]   $T/secrespd.conf: one responder, fast retries
#   rblock|runblock IP [RESPONDER]  secrespctl --json block/unblock host IP: RUN_OUT, RUN_RC
#   rstate IP [RESPONDER]           the block row's state
#   relements IP [RESPONDER]        its elements (JSON)
#   rstatus EXPR [RESPONDER]        pyj EXPR on the responder's entry of status (`r`)

NSIM_URL=
NSIM_PID=
NSIM_LOG=$T/nsim.jsonl
RESP_NAME=${RESP_NAME:-nac}

nac_require() {
        command -v sqlite3 >/dev/null || bail_out "sqlite3 (the CLI) is needed"
        command -v curl >/dev/null || bail_out "curl is needed"
        journal_require
}

nsim_start() {
        local name=$1
        shift
        rm -f "$T/nsim.port"
        "$PY" "$top_srcdir/tests/sim/${name}_sim.py" --port-file "$T/nsim.port" --log "$NSIM_LOG" "$@" \
                >"$T/nsim.out" 2>"$T/nsim.err" </dev/null &
        NSIM_PID=$!
        track_pid "$NSIM_PID"
        wait_until 15 test -s "$T/nsim.port" ||
                bail_out "${name}_sim.py did not start: $(tail -n 3 "$T/nsim.err" | tr '\n' ' ')"
        NSIM_URL=${NSIM_SCHEME:-http}://127.0.0.1:$(cat "$T/nsim.port")
}

# NSIM_CURL: extra curl options for the control requests (a client
# certificate, a CA) when the simulator speaks TLS
NSIM_CURL=()
_nsim() {
        local m=$1 p=$2
        if [ $# -ge 3 ]; then
                curl -sS -f -m 20 "${NSIM_CURL[@]}" -X "$m" -H 'Content-Type: application/json' --data-binary "$3" \
                        "$NSIM_URL$p"
        else
                curl -sS -f -m 20 "${NSIM_CURL[@]}" -X "$m" "$NSIM_URL$p"
        fi
}
nsim_get() { _nsim GET "$1"; }
nsim_post() { _nsim POST "$1" "$2"; }
nsim_delete() { _nsim DELETE "$1"; }
nsim_state() { nsim_get /__sim/state | pyj "$1"; }
nsim_faults() { nsim_post /__sim/faults "$1" >/dev/null; }
nsim_clear() { nsim_delete /__sim/requests >/dev/null; }

# nsim_reqs [METHOD] [PATH_RE] : "METHOD PATH status" of each recorded request
nsim_reqs() {
        nsim_get /__sim/requests | "$PY" -c '
import json, re, sys
m = sys.argv[1] if len(sys.argv) > 1 else ""
rx = re.compile(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None
for e in json.load(sys.stdin):
    if (m and e["method"] != m) or (rx and not rx.search(e["path"])):
        continue
    print(e["method"], e["path"], e["status"])' "${1:-}" "${2:-}"
}

nsim_count() { nsim_reqs "$1" "$2" | grep -c .; }

# nsim_api [METHOD] [PATH_RE] : nsim_reqs without the credential traffic:
# requests refused with 401 (then resent) and those to NSIM_TOKEN_RE
NSIM_TOKEN_RE=
nsim_api() {
        nsim_reqs "${1:-}" "${2:-}" | awk -v t="$NSIM_TOKEN_RE" '$3 != 401 && (t == "" || $2 !~ t)'
}

# nsim_bodies METHOD PATH_RE : the JSON body of each such request, one a line
nsim_bodies() {
        nsim_get /__sim/requests | "$PY" -c '
import json, re, sys
rx = re.compile(sys.argv[2])
for e in json.load(sys.stdin):
    if e["method"] == sys.argv[1] and rx.search(e["path"]):
        print(e["body"])' "$1" "$2"
}

# nconf GROUP_SETTINGS [TOP_LINES...] : responder $RESP_NAME of $RESP_TYPE
# with GROUP_SETTINGS (and the groups in RESP_MORE, ", { ... }"), and
# quick retries (so 429/5xx tests stay short)
RESP_MORE=
nconf() {
        local settings=$1
        shift
        make_conf "$T/secrespd.conf" \
                "responders = ( { name = \"$RESP_NAME\"; type = \"$RESP_TYPE\"; $settings } $RESP_MORE );" \
                "reconcile = { retry_attempts = ${RETRY_ATTEMPTS:-3}; retry_base_ms = 200; retry_max = \"1s\"; };" \
                "$@"
}

# jget JSON EXPR : pyj on a string
jget() { printf '%s' "$1" | pyj "$2" 2>/dev/null; }

rblock() { run ctl -j block host "$1" --responder "${2:-$RESP_NAME}"; }
runblock() { run ctl -j unblock host "$1" --responder "${2:-$RESP_NAME}"; }

rdb() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }

rstate() {
        rdb "SELECT b.state FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = '${2:-$RESP_NAME}'"
}

relements() {
        rdb "SELECT b.elements FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = '${2:-$RESP_NAME}'"
}

rcol() {
        rdb "SELECT b.$2 FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = '${3:-$RESP_NAME}'"
}

rstatus() {
        ctl -j status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["responders"] if x["name"] == sys.argv[2]][0]
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "${2:-$RESP_NAME}"
}

# wait_state IP STATE [TIMEOUT] : until the block row reaches STATE
_state_is() { [ "$(rstate "$1")" = "$2" ]; }
wait_state() { wait_until "${3:-15}" _state_is "$1" "$2"; }
