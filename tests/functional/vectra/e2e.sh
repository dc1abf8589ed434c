# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the Vectra end-to-end tests (tests/functional/test-vectra-*.sh,
# mk/vectra-e2e.am): the real secrespd against tests/sim/vectra_sim.py, with
# an external_call responder running tests/functional/recorder.  Sourced
# after lib.sh.  Every helper asserts nothing by itself; the tests compare
# what the recorder, the simulator (objects, notes, request log) and the
# SQLite database hold.
#
#   sim_start STATE.json [SIM_ARGS...]   SIM_URL, SIM_PID, SIM_LOG
#   sim_get PATH | sim_put PATH JSON | sim_post PATH JSON | sim_delete PATH
#   sim_tags KIND ID                     tags, sorted, as a JSON list
#   sim_set_tags KIND ID JSON_LIST       replaces an object's tags (PUT /__sim/objects)
#   sim_edit KIND ID PYTHON              PUT the object after PYTHON changed `o`
#   sim_notes KIND ID                    note texts, oldest first, one a line
#   sim_mark / sim_writes                API writes (PATCH/POST/PUT/DELETE on /api, token calls
#                                        excepted) in the request log since the mark
#   sim_count METHOD PATH_RE             such requests since the mark
#   note_recent TEXT WORD                TEXT is "VAR: WORD on <VAR's date>", now
#   vconf [BRAIN_SETTINGS] [TOP_LINES...] config: responder "fw" + brain "brain1"
#   rec_lines / rec_count / rec_argv N   the recorder's lines (argv without argv[0])
#   vrun [run|plan] [TIMEOUT]            one cycle through the control socket: RUN_JSON
#   wait_cycles N [TIMEOUT]              N rows in `cycles`
#   dbq SQL                              sqlite3 on $DB
#   bstate VALUE [RESPONDER]             state of VALUE's block row ("" when none)

E2E_DIR=$top_srcdir/tests/functional/vectra
RECORDER=${RECORDER:-$top_builddir/tests/functional/recorder}
FLAKY=$top_srcdir/tests/functional/flaky.sh
REC=$T/recorder.jsonl
SIM_LOG=$T/sim.jsonl
SIM_URL=
SIM_PID=
SIM_MARK=0
VECTRA_TOKEN=tok123
DAEMON_ENV=("VECTRA_TOKEN=$VECTRA_TOKEN" "VECTRA_SECRET=secresp-secret")

e2e_require() {
        [ -x "$RECORDER" ] || bail_out "$RECORDER is not built (make check, or make tests/functional/recorder)"
        command -v sqlite3 >/dev/null || bail_out "sqlite3 (the CLI) is needed"
        journal_require
}

# ----------------------------------------------------------------- simulator

sim_start() {
        local state=$1
        shift
        rm -f "$T/sim.port"
        "$PY" "$top_srcdir/tests/sim/vectra_sim.py" --state "$state" --port-file "$T/sim.port" \
                --log "$SIM_LOG" "$@" >"$T/sim.out" 2>"$T/sim.err" </dev/null &
        SIM_PID=$!
        track_pid "$SIM_PID"
        if ! wait_until 15 test -s "$T/sim.port"; then
                bail_out "vectra_sim.py did not start: $(tail -n 3 "$T/sim.err" | tr '\n' ' ')"
        fi
        SIM_URL=http://127.0.0.1:$(cat "$T/sim.port")
}

# _sim METHOD PATH [JSON] : the body of the answer on stdout; 1 on a non-2xx
_sim() {
        local m=$1 p=$2
        if [ $# -ge 3 ]; then
                curl -sS -f -m 20 -X "$m" -H 'Content-Type: application/json' --data-binary "$3" "$SIM_URL$p"
        else
                curl -sS -f -m 20 -X "$m" "$SIM_URL$p"
        fi
}
sim_get() { _sim GET "$1"; }
sim_put() { _sim PUT "$1" "$2"; }
sim_post() { _sim POST "$1" "$2"; }
sim_delete() { _sim DELETE "$1"; }

# sim_tags KIND ID : the object's tags, sorted, as compact JSON
sim_tags() {
        sim_get "/__sim/objects/$1/$2" | pyj 'sorted(d["tags"])' | tr -d ' '
}

# sim_set_tags KIND ID JSON_LIST : replace the object's tags, nothing else
sim_set_tags() {
        local obj
        obj=$(sim_get "/__sim/objects/$1/$2") || return 1
        obj=$(printf '%s' "$obj" | "$PY" -c '
import json, sys
o = json.load(sys.stdin)
o = {k: v for k, v in o.items() if not k.startswith("_")}
o["tags"] = json.loads(sys.argv[1])
print(json.dumps(o))' "$3") || return 1
        sim_put "/__sim/objects/$1/$2" "$obj" >/dev/null
}

# sim_edit KIND ID PYTHON : PUT the object after running PYTHON on `o`
sim_edit() {
        local obj
        obj=$(sim_get "/__sim/objects/$1/$2") || return 1
        obj=$(printf '%s' "$obj" | "$PY" -c '
import json, sys
o = json.load(sys.stdin)
o = {k: v for k, v in o.items() if not k.startswith("_")}
exec(sys.argv[1])
print(json.dumps(o))' "$3") || return 1
        sim_put "/__sim/objects/$1/$2" "$obj" >/dev/null
}

# sim_notes KIND ID : the note texts of one object, oldest first
sim_notes() {
        sim_get "/__sim/notes?type=$1&id=$2" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
def walk(x):
    if isinstance(x, dict):
        if "note" in x and ("id" in x or "date_created" in x):
            yield x
        else:
            for v in x.values():
                yield from walk(v)
    elif isinstance(x, list):
        for v in x:
            yield from walk(v)
for n in sorted(walk(d), key=lambda n: n.get("id", 0)):
    print(n["note"])'
}

# note_recent TEXT KIND_WORD : TEXT is "VAR: <KIND_WORD> on DD Mon YYYY at HH:MM:SS"
# (VAR's strftime, local time) and within two minutes of now
note_recent() {
        "$PY" -c '
import sys, time, datetime
text, word = sys.argv[1], sys.argv[2]
prefix = "VAR: %s on " % word
if not text.startswith(prefix):
    sys.exit(1)
t = datetime.datetime.strptime(text[len(prefix):], "%d %b %Y at %H:%M:%S")
sys.exit(0 if abs(time.mktime(t.timetuple()) - time.time()) < 120 else 1)' "$1" "$2"
}

# sim_mark : later sim_writes calls count from here
sim_mark() {
        SIM_MARK=$(wc -l <"$SIM_LOG" 2>/dev/null || echo 0)
}

# sim_writes [PATH_RE] : "METHOD PATH" of each API write since the mark
# (token requests are not writes to Vectra's objects)
sim_writes() {
        tail -n +$((SIM_MARK + 1)) "$SIM_LOG" 2>/dev/null | "$PY" -c '
import json, re, sys
rx = re.compile(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    e = json.loads(line)
    if e["method"] in ("GET", "HEAD") or "oauth2/token" in e["path"]:
        continue
    if rx and not rx.search(e["path"]):
        continue
    print(e["method"], e["path"])' "${1:-}"
}

# sim_count METHOD PATH_RE : how many such requests since the mark
sim_count() {
        tail -n +$((SIM_MARK + 1)) "$SIM_LOG" 2>/dev/null | "$PY" -c '
import json, re, sys
n = 0
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    e = json.loads(line)
    if e["method"] == sys.argv[1] and re.search(sys.argv[2], e["path"]):
        n += 1
print(n)' "$1" "$2"
}

# ----------------------------------------------------------------- daemon

# responder_conf [EXTRA_ENV] [EXTRA_SETTINGS] [PROGRAM...]: one external_call
# responder "fw" recording every call in $REC.  The block templates put the
# kind first so the recorder's lines say what was asked.
responder_conf() {
        local env=${1:-} extra=${2:-}
        local prog=${3:-\"$RECORDER\"}
        cat <<EOF
responders = (
  {
    name = "fw";
    type = "external_call";
    block_host = [ $prog, "block-host", "{ip}", "{name}", "{id}" ];
    unblock_host = [ $prog, "unblock-host", "{element}" ];
    block_account = [ $prog, "block-account", "{account}" ];
    unblock_account = [ $prog, "unblock-account", "{element}" ];
    block_destination = [ $prog, "block-destination", "{destination}" ];
    unblock_destination = [ $prog, "unblock-destination", "{element}" ];
    env = { RECORDER_FILE = "$REC"; $env };
    timeout = "30s";
    $extra
  }
);
EOF
}

# vconf BRAIN_SETTINGS [TOP_LINES...] : $T/secrespd.conf with responder "fw"
# (RESPONDER_ENV, RESPONDER_EXTRA, RESPONDER_PROG) and one v2.5 brain
# "brain1" on the simulator with a legacy token, interval 1h (the first
# cycle runs within seconds of the start, later ones on `run`).
RESPONDER_ENV=
RESPONDER_EXTRA=
RESPONDER_PROG=
BRAIN_AUTH='api_version = "2.5"; auth = "token"; token = "env:VECTRA_TOKEN";'
vconf() {
        local brain=${1:-}
        shift
        make_conf "$T/secrespd.conf" \
                "$(responder_conf "$RESPONDER_ENV" "$RESPONDER_EXTRA" ${RESPONDER_PROG:+"$RESPONDER_PROG"})" \
                "vectra = ( { name = \"brain1\"; url = \"$SIM_URL\"; $BRAIN_AUTH interval = \"1h\"; $brain } );" \
                "$@"
}

# vrun [run|plan] [TIMEOUT_S] : one cycle of brain1 now; the reply's data as
# JSON in RUN_JSON ("" when there was no good reply), the error code in RUN_ERRCODE
vrun() {
        local cmd=${1:-run} timeout=${2:-60}
        RUN_JSON=$(frame_client "$SOCK" "$cmd" "$timeout" <<'EOF'
s = conn(10)
send_frame(s, {"v": 1, "id": 7, "cmd": sys.argv[2], "args": {"source": "brain1"}})
r = recv_frame(s, float(sys.argv[3]))
if r and r.get("ok"):
    print(json.dumps(r.get("data"), sort_keys=True))
else:
    sys.stderr.write("vrun: %s\n" % json.dumps(r))
EOF
)
}

# jget JSON EXPR : pyj on a string
jget() { printf '%s' "$1" | pyj "$2" 2>/dev/null; }

# wait_cycles N [TIMEOUT_S] : until `cycles` holds N rows
_cycles_ge() { [ "$(dbq 'SELECT count(*) FROM cycles' 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_cycles() { wait_until "${2:-20}" _cycles_ge "$1"; }

dbq() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }

# bstate VALUE [RESPONDER] : "state" of the block row(s) of VALUE, comma-separated
bstate() {
        dbq "SELECT group_concat(b.state) FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = '${2:-fw}'"
}

# brow VALUE COLUMN : one column of VALUE's row for responder fw
brow() {
        dbq "SELECT b.$2 FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.value = '$1' AND b.responder = 'fw'"
}

blocks_dump() {
        dbq "SELECT e.kind, e.value, b.responder, b.state, b.intent, b.elements, b.attempts
             FROM blocks b JOIN entities e ON e.id = b.entity_id ORDER BY e.kind, e.value, b.responder"
}

# ----------------------------------------------------------------- recorder

# rec_lines : argv[1..] of every recorded call, one compact JSON list a line
rec_lines() {
        [ -f "$REC" ] || return 0
        "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    if line.strip():
        print(json.dumps(json.loads(line)[1:], separators=(",", ":")))' "$REC"
}
rec_count() { rec_lines | grep -c -- "${1:-.}"; }
rec_argv() { rec_lines | sed -n "${1}p"; }
