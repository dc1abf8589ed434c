# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the SNA end-to-end tests (tests/functional/test-sna-*.sh,
# mk/sna.am): the real secrespd against tests/sim/sna_sim.py.  Sourced
# after lib.sh; the database and recorder helpers (dbq, bstate, brow,
# rec_lines, responder_conf, jget) come from the Vectra helpers, sourced
# here.  Helpers assert nothing; tests compare the simulator's state and
# request log, SQLite and the journal.
#
#   sna_start [SIM_ARGS...]             SNA_URL, SNA_PID, SNA_LOG
#   sna_get PATH | sna_put PATH JSON | sna_post PATH JSON
#   sna_events JSON_LIST                 appends security events (ageMinutes, source, target)
#   sna_tag NAME                         the tag NAME of tenant 132 as JSON ("" when none)
#   sna_ranges NAME                      its ranges, sorted, compact JSON
#   sna_ntags NAME                       how many tags are called NAME
#   sna_reqs METHOD PATH_RE              logged API requests since the mark (JSON lines)
#   sna_count METHOD PATH_RE             how many
#   sna_mark                             later counts start here
#   sconf SOURCE_SETTINGS [TOP_LINES...]  config: source "smc1" on the simulator
#   hg_responder [SETTINGS]              a sna_hostgroup responder "hg" block (for sconf's TOP_LINES)
#   srun [run|plan] [TIMEOUT]            one cycle of smc1 now: RUN_JSON

. "$FUNC_DIR/vectra/e2e.sh"

SNA_DIR=$top_srcdir/tests/functional/sna
SNA_LOG=$T/sna.jsonl
SNA_URL=
SNA_PID=
SNA_MARK=0
DAEMON_ENV=("SNA_PASSWORD=C1sco12345")

sna_start() {
        rm -f "$T/sna.port"
        "$PY" "$top_srcdir/tests/sim/sna_sim.py" --port-file "$T/sna.port" --log "$SNA_LOG" "$@" \
                >"$T/sna.out" 2>"$T/sna.err" </dev/null &
        SNA_PID=$!
        track_pid "$SNA_PID"
        if ! wait_until 15 test -s "$T/sna.port"; then
                bail_out "sna_sim.py did not start: $(tail -n 3 "$T/sna.err" | tr '\n' ' ')"
        fi
        SNA_URL=http://127.0.0.1:$(cat "$T/sna.port")
}

_sna() {
        local m=$1 p=$2
        if [ $# -ge 3 ]; then
                curl -sS -f -m 20 -X "$m" -H 'Content-Type: application/json' --data-binary "$3" "$SNA_URL$p"
        else
                curl -sS -f -m 20 -X "$m" "$SNA_URL$p"
        fi
}
sna_get() { _sna GET "$1"; }
sna_put() { _sna PUT "$1" "$2"; }
sna_post() { _sna POST "$1" "$2"; }
sna_events() { sna_post /__sim/events "$1" >/dev/null; }

# sna_tag NAME : the stored tag called NAME (tenant 132), JSON, "" if none
sna_tag() {
        sna_get /__sim/state | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
for t in d["tags"].get("132", []):
    if t["name"] == sys.argv[1]:
        print(json.dumps(t, sort_keys=True))
        break' "$1"
}

sna_ranges() {
        local t
        t=$(sna_tag "$1")
        [ -n "$t" ] || { echo ""; return 0; }
        printf '%s' "$t" | pyj 'sorted(d["ranges"])' | tr -d ' '
}

sna_ntags() {
        sna_get /__sim/state | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(sum(1 for t in d["tags"].get("132", []) if t["name"] == sys.argv[1]))' "$1"
}

sna_mark() {
        SNA_MARK=$(wc -l <"$SNA_LOG" 2>/dev/null || echo 0)
}

# sna_reqs METHOD PATH_RE : the matching requests since the mark, one JSON a line
sna_reqs() {
        tail -n +$((SNA_MARK + 1)) "$SNA_LOG" 2>/dev/null | "$PY" -c '
import json, re, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    e = json.loads(line)
    if (sys.argv[1] in ("*", e["method"])) and re.search(sys.argv[2], e["path"]):
        print(json.dumps(e, sort_keys=True))' "$1" "$2"
}
sna_count() { sna_reqs "$1" "$2" | grep -c . ; }

# hg_responder [SETTINGS] : one sna_hostgroup responder "hg" on the simulator
hg_responder() {
        cat <<EOF
  {
    name = "hg";
    type = "sna_hostgroup";
    url = "$SNA_URL";
    username = "admin";
    password = "env:SNA_PASSWORD";
    tag_name = "High Traffic Hosts";
    ${1:-}
  }
EOF
}

# sconf SOURCE_SETTINGS [RESPONDERS_BLOCK] [TOP_LINES...] : $T/secrespd.conf with
# the responders given (default: the recorder "fw") and one SNA source
# "smc1", interval 1h (the first cycle runs within seconds of the start,
# later ones on `run`).
sconf() {
        local src=${1:-} resp=${2:-}
        shift 2 2>/dev/null || shift $#
        if [ -z "$resp" ]; then
                resp=$(responder_conf "" "")
        else
                resp="responders = ( $resp );"
        fi
        make_conf "$T/secrespd.conf" "$resp" \
                "sna = ( { name = \"smc1\"; url = \"$SNA_URL\"; username = \"admin\"; password = \"env:SNA_PASSWORD\"; interval = \"1h\"; $src } );" \
                "$@"
}

# srun [run|plan] [TIMEOUT_S] : one cycle of smc1 now: RUN_JSON, RUN_ERRCODE
srun() {
        local cmd=${1:-run} timeout=${2:-60}
        RUN_JSON=$(frame_client "$SOCK" "$cmd" "$timeout" <<'EOF'
s = conn(10)
send_frame(s, {"v": 1, "id": 7, "cmd": sys.argv[2], "args": {"source": "smc1"}})
r = recv_frame(s, float(sys.argv[3]))
if r and r.get("ok"):
    print(json.dumps(r.get("data"), sort_keys=True))
else:
    sys.stderr.write("srun: %s\n" % json.dumps(r))
EOF
)
}

# hosts_of_state STATE... : values whose block row (responder ${RESP:-fw}) is in STATE
hosts_in() {
        dbq "SELECT group_concat(value, ',') FROM (SELECT e.value FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE b.responder = '${RESP:-fw}' AND b.state = '$1' ORDER BY e.value)"
}

# pyj_lines : the recorder's block-host lines -> their IP (2nd element)
pyj_lines() {
        "$PY" -c '
import json, sys
for l in sys.stdin:
    l = l.strip()
    if l:
        print(json.loads(l)[1])'
}

# pyj_lines_field has_xsrf : per request line, "yes"/"no" for an X-XSRF-TOKEN header
pyj_lines_field() {
        "$PY" -c '
import json, sys
for l in sys.stdin:
    l = l.strip()
    if l:
        print("yes" if "x-xsrf-token" in json.loads(l)["headers"] else "no")'
}

# brow_hg VALUE COLUMN : one column of VALUE's row for responder hg
brow_hg() {
        dbq "SELECT b.$2 FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = 'hg'"
}

# pyj_status CODE : how many request lines (stdin) got that status
pyj_status() {
        "$PY" -c '
import json, sys
print(sum(1 for l in sys.stdin if l.strip() and json.loads(l)["status"] == int(sys.argv[1])))' "$1"
}

# webex_start [SIM_ARGS...] : WEBEX_URL (API base, .../v1), WEBEX_LOG
WEBEX_LOG=$T/webex.jsonl
webex_start() {
        rm -f "$T/webex.port"
        "$PY" "$top_srcdir/tests/sim/webex_sim.py" --token webex-bot-token --port-file "$T/webex.port" \
                --log "$WEBEX_LOG" "$@" >"$T/webex.out" 2>"$T/webex.err" </dev/null &
        track_pid "$!"
        if ! wait_until 15 test -s "$T/webex.port"; then
                bail_out "webex_sim.py did not start: $(tail -n 3 "$T/webex.err" | tr '\n' ' ')"
        fi
        WEBEX_URL=http://127.0.0.1:$(cat "$T/webex.port")
}
webex_msgs() { curl -sS -f -m 20 "$WEBEX_URL/__sim/state" | pyj '[m["markdown"] for m in d["messages"]]'; }
webex_n() { curl -sS -f -m 20 "$WEBEX_URL/__sim/state" | pyj 'len(d["messages"])'; }
webex_faults() { curl -sS -f -m 20 -X POST -H 'Content-Type: application/json' --data-binary "$1" "$WEBEX_URL/__sim/faults" >/dev/null; }

# side_start NAME SCRIPT [ARGS...] : another simulator; its URL in SIDE_URL
side_start() {
        local name=$1 script=$2
        shift 2
        rm -f "$T/$name.port"
        "$PY" "$top_srcdir/tests/sim/$script" --port-file "$T/$name.port" --log "$T/$name.jsonl" "$@" \
                >"$T/$name.out" 2>"$T/$name.err" </dev/null &
        track_pid "$!"
        if ! wait_until 15 test -s "$T/$name.port"; then
                bail_out "$script did not start: $(tail -n 3 "$T/$name.err" | tr '\n' ' ')"
        fi
        SIDE_URL=http://127.0.0.1:$(cat "$T/$name.port")
}
