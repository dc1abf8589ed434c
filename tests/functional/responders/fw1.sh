# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the firewall responder tests of fw1 (test-resp-fortinet*.sh,
# test-resp-pan*.sh, test-resp-fortimanager*.sh): the real secrespd against
# the vendor simulators in tests/sim/.  Sourced after lib.sh.
#
#   fsim_start NAME SCRIPT [ARGS...]    starts tests/sim/SCRIPT; FSIM_URL, FSIM_PID, FSIM_LOG
#   fsim METHOD PATH [JSON]             a control or API call on the simulator (body on stdout)
#   fsim_state EXPR                     pyj EXPR on the simulator's state
#   fsim_patch JSON                     PATCH /__sim/state (top-level keys)
#   fsim_edit PYTHON                    PUT the state after PYTHON changed `s`
#   fsim_faults JSON                    replaces the fault rules
#   fsim_mark / fsim_calls [RE]         "METHOD PATH STATUS" of the API requests since the mark
#   fsim_count METHOD RE                how many such requests since the mark
#   rconf RESPONDERS [LINES...]         $T/secrespd.conf with fast reconciler retries
#   bq VALUE RESPONDER COLUMN           one column of the block row
#   wait_bstate VALUE RESPONDER STATE [TIMEOUT]
#   dbq SQL

FSIM_URL=
FSIM_PID=
FSIM_LOG=
FSIM_MARK=0

fsim_start() {
        local name=$1 script=$2
        shift 2
        FSIM_LOG=$T/$name.jsonl
        rm -f "$T/$name.port"
        "$PY" "$top_srcdir/tests/sim/$script" --port-file "$T/$name.port" --log "$FSIM_LOG" "$@" \
                >"$T/$name.out" 2>"$T/$name.err" </dev/null &
        FSIM_PID=$!
        track_pid "$FSIM_PID"
        if ! wait_until 15 test -s "$T/$name.port"; then
                bail_out "$script did not start: $(tail -n 3 "$T/$name.err" | tr '\n' ' ')"
        fi
        FSIM_URL=http://127.0.0.1:$(cat "$T/$name.port")
}

fsim() {
        local m=$1 p=$2
        if [ $# -ge 3 ]; then
                curl -sS -f -m 20 -X "$m" -H 'Content-Type: application/json' --data-binary "$3" "$FSIM_URL$p"
        else
                curl -sS -f -m 20 -X "$m" "$FSIM_URL$p"
        fi
}

fsim_state() { fsim GET /__sim/state | pyj "$1"; }
fsim_patch() { fsim PATCH /__sim/state "$1" >/dev/null; }
fsim_faults() { fsim PUT /__sim/faults "$1" >/dev/null; }

fsim_edit() {
        local s
        s=$(fsim GET /__sim/state | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
exec(sys.argv[1])
print(json.dumps(s))' "$1") || return 1
        fsim PUT /__sim/state "$s" >/dev/null
}

fsim_mark() { FSIM_MARK=$(wc -l <"$FSIM_LOG" 2>/dev/null || echo 0); }

# fsim_calls [PATH_RE] : "METHOD PATH STATUS" (query left out) since the mark
fsim_calls() {
        tail -n +$((FSIM_MARK + 1)) "$FSIM_LOG" 2>/dev/null | "$PY" -c '
import json, re, sys
rx = re.compile(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
for line in sys.stdin:
    if not line.strip():
        continue
    e = json.loads(line)
    if rx and not rx.search(e["path"]):
        continue
    print(e["method"], e["path"], e["status"])' "${1:-}"
}

fsim_count() {
        fsim_calls | awk -v m="$1" -v re="$2" '$1 == m && $2 ~ re { n++ } END { print n + 0 }'
}

# rconf RESPONDERS_LIST_BODY [LINES...] : a config with the given responders
# and quick retries, so a failure path is seen within seconds
rconf() {
        local resp=$1
        shift
        make_conf "$T/secrespd.conf" \
                "reconcile = { retry_base_ms = 200; retry_max = \"2s\"; retry_attempts = 4; };" \
                "responders = ( $resp );" "$@"
}

dbq() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }

bq() {
        dbq "SELECT b.$3 FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = '$2'"
}

_bstate_is() { [ "$(bq "$1" "$2" state)" = "$3" ]; }
wait_bstate() { wait_until "${4:-20}" _bstate_is "$1" "$2" "$3"; }

# status_resp NAME EXPR : pyj EXPR on the responder's entry of `status --json`
status_resp() {
        ctl --json status | pyj "[r for r in d['responders'] if r['name'] == '$1'][0]$2"
}

# fsim_params [PATH_RE] : for form-encoded calls (PAN-OS), "type status" of
# each request since the mark (the `type` parameter of the query or body)
fsim_params() {
        tail -n +$((FSIM_MARK + 1)) "$FSIM_LOG" 2>/dev/null | "$PY" -c '
import json, sys, urllib.parse
for line in sys.stdin:
    if not line.strip():
        continue
    e = json.loads(line)
    p = {k: v[0] for k, v in e["query"].items()}
    p.update({k: v[0] for k, v in urllib.parse.parse_qs(e["body"]).items()})
    print(p.get("type", "-"), e["status"])'
}

# on_sim URL CMD... : runs CMD with FSIM_URL (and FSIM_LOG) of another simulator
on_sim() {
        local u=$FSIM_URL l=$FSIM_LOG m=$FSIM_MARK
        FSIM_URL=$1
        FSIM_LOG=$2
        shift 2
        "$@"
        local rc=$?
        FSIM_URL=$u FSIM_LOG=$l FSIM_MARK=$m
        return $rc
}
