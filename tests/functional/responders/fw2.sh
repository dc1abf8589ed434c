# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the end-to-end tests of the fw2 firewall responders
# (tests/functional/test-resp-*.sh: cisco_fmc, cisco_asa_http, checkpoint,
# sophos): the real secrespd with one vendor responder against its
# simulator in tests/sim/, driven by secrespctl.  Sourced after lib.sh.
# Nothing here asserts; the tests compare the simulator's state and request
# log, SQLite rows and secrespctl --json output.
#
#   vsim_start NAME SCRIPT [ARGS...]     starts tests/sim/SCRIPT over HTTPS (test CA in $PKI);
#                                        sets VSIM_URL_<NAME>, VSIM_LOG_<NAME>; VSIM=NAME is the default
#   vs_get PATH | vs_post PATH [BODY]    control or API calls to the current simulator
#   vs_state PYEXPR                      pyj PYEXPR on GET /__sim/state
#   vs_faults JSON                       replaces the fault rules
#   vs_reqs                              the request log (JSON list) since the last vs_mark
#   vs_mark                              later vs_reqs/vs_count start here
#   vs_count METHOD PATH_RE [STATUS]     requests since the mark (control hooks under /_ excluded)
#   rconf SETTINGS [TOP_LINES...]        $T/secrespd.conf with responder "$RNAME" of SETTINGS
#   rblock KIND VALUE / runblock ...     secrespctl -j block|unblock ... --responder $RNAME (RUN_*)
#   rstate VALUE / relements VALUE       state / elements (JSON) of VALUE's row on $RNAME
#   rstatus PYEXPR                       pyj on this responder's entry of `secrespctl -j status`
#   dbq SQL                              sqlite3 on $DB

PKI=$T/pki
VSIM=
RNAME=${RNAME:-fw}

fw2_require() {
        command -v sqlite3 >/dev/null || bail_out "sqlite3 (the CLI) is needed"
        command -v curl >/dev/null || bail_out "curl (the CLI) is needed"
        [ -s "$PKI/ca.pem" ] || sh "$top_srcdir/tests/sim/mkca.sh" "$PKI" >/dev/null 2>&1 ||
                bail_out "tests/sim/mkca.sh failed"
        journal_require
}

# vsim_start NAME SCRIPT [ARGS...]
vsim_start() {
        local name=$1 script=$2 pid
        shift 2
        rm -f "$T/$name.port"
        "$PY" "$top_srcdir/tests/sim/$script" --port-file "$T/$name.port" --log "$T/$name.jsonl" \
                --tls-cert "$PKI/server.pem" --tls-key "$PKI/server.key" "$@" \
                >"$T/$name.out" 2>"$T/$name.err" </dev/null &
        pid=$!
        track_pid "$pid"
        wait_until 15 test -s "$T/$name.port" ||
                bail_out "$script did not start: $(tail -n 3 "$T/$name.err" | tr '\n' ' ')"
        printf -v "VSIM_URL_$name" '%s' "https://127.0.0.1:$(cat "$T/$name.port")"
        printf -v "VSIM_LOG_$name" '%s' "$T/$name.jsonl"
        printf -v "VSIM_MARK_$name" '%s' 0
        VSIM=$name
}

_vs_url() { local v="VSIM_URL_$VSIM"; printf '%s' "${!v}"; }
_vs_log() { local v="VSIM_LOG_$VSIM"; printf '%s' "${!v}"; }

vs_get() { curl -sS -f -m 20 --cacert "$PKI/ca.pem" "$(_vs_url)$1"; }
vs_post() {
        curl -sS -f -m 20 --cacert "$PKI/ca.pem" -X POST -H 'Content-Type: application/json' \
                --data-binary "${2:-{\}}" "$(_vs_url)$1"
}
vs_state() { vs_get /__sim/state | pyj "$1"; }
vs_faults() { vs_post /__sim/faults "$1" >/dev/null; }
vs_nofaults() { curl -sS -f -m 20 --cacert "$PKI/ca.pem" -X DELETE "$(_vs_url)/__sim/faults" >/dev/null; }

vs_mark() {
        printf -v "VSIM_MARK_$VSIM" '%s' "$(wc -l <"$(_vs_log)" 2>/dev/null || echo 0)"
}

# vs_reqs : JSON list of the API requests since the mark (test hooks under /_ excluded)
vs_reqs() {
        local m="VSIM_MARK_$VSIM"
        tail -n +$((${!m} + 1)) "$(_vs_log)" 2>/dev/null | "$PY" -c '
import json, sys
out = []
for line in sys.stdin:
    line = line.strip()
    if line:
        e = json.loads(line)
        if not e["path"].startswith("/_"):
            out.append(e)
print(json.dumps(out))'
}

# vs_count METHOD PATH_RE [STATUS]
vs_count() {
        vs_reqs | "$PY" -c '
import json, re, sys
m, rx = sys.argv[1], re.compile(sys.argv[2])
st = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None
print(sum(1 for e in json.load(sys.stdin)
          if (m == "*" or e["method"] == m) and rx.search(e["path"]) and (st is None or e["status"] == st)))' "$@"
}

# vs_seq [PATH_RE] : "METHOD PATH STATUS" of each request since the mark, one a line
vs_seq() {
        vs_reqs | "$PY" -c '
import json, re, sys
rx = re.compile(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
for e in json.load(sys.stdin):
    if rx is None or rx.search(e["path"]):
        print(e["method"], e["path"], e["status"])' "${1:-}"
}

# rconf SETTINGS [TOP_LINES...] : responder $RNAME with SETTINGS (libconfig
# lines inside its group); quick reconciler retries for the tests.
rconf() {
        local settings=$1
        shift
        make_conf "$T/secrespd.conf" \
                "http = { ca_file = \"$PKI/ca.pem\"; };" \
                "reconcile = { retry_base_ms = 200; retry_max = \"2s\"; retry_attempts = 6; };" \
                "responders = ( { name = \"$RNAME\"; $settings } );" \
                "$@"
}

rblock() { run ctl -j block "$1" "$2" --responder "$RNAME" "${@:3}"; }
runblock() { run ctl -j unblock "$1" "$2" --responder "$RNAME" "${@:3}"; }

_rrow() {
        dbq "SELECT b.$2 FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = '$RNAME'"
}
rstate() { _rrow "$1" state; }
relements() { _rrow "$1" elements; }

# rwait_state VALUE STATE [TIMEOUT_S]
_rws() { [ "$(rstate "$1")" = "$2" ]; }
rwait_state() { wait_until "${3:-20}" _rws "$1" "$2"; }

rstatus() {
        ctl -j status | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
r = [x for x in d["responders"] if x["name"] == sys.argv[1]][0]
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))' "$RNAME" "$1"
}

dbq() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }
