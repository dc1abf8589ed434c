# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Harness for the functional tests: sourced (by bash) from every
# tests/functional/test-*.sh.  See tests/functional/README.md.
#
#   TAP            plan N, ok DESC CMD..., is GOT EXP DESC, isnt, like GOT ERE DESC,
#                  unlike, cmp_num A OP B DESC, pass, fail, skip, diag, bail_out,
#                  skip_all; a summary is printed at exit.
#   run CMD...     runs CMD, sets RUN_OUT, RUN_ERR, RUN_RC (never aborts)
#   journald       journal_start: a real systemd-journald in a private mount
#                  namespace; journal_wait, journal_query, journal_export
#   NOTIFY_SOCKET  notify_start, notify_mark, wait_notify
#   daemon         make_conf, start_daemon, wait_ready, stop_daemon,
#                  wait_daemon_exit, daemon_alive, ctl
#   helpers        wait_until, now_ms, pyj (JSON), frame_client (raw frames)

export LC_ALL=C
set -u
set -o pipefail

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
SECRESPD=${SECRESPD:-$top_builddir/secrespd}
SECRESPCTL=${SECRESPCTL:-$top_builddir/secrespctl}
FUNC_DIR=$top_srcdir/tests/functional

# ----------------------------------------------------------------- TAP

_tap_n=0
_tap_failed=0
_tap_skipped=0
_tap_planned=

plan() {
        _tap_planned=$1
        echo "1..$1"
        local b
        for b in "$SECRESPD" "$SECRESPCTL"; do
                [ -x "$b" ] || bail_out "$b is not built (run make first)"
        done
}

diag() {
        local l
        for l in "$@"; do
                printf '%s\n' "$l" | sed 's/^/# /'
        done
}

_tap_desc() { printf '%s' "$1" | tr '\n#' ' _'; }

pass() {
        _tap_n=$((_tap_n + 1))
        echo "ok $_tap_n - $(_tap_desc "$1")"
}

# fail DESC [DIAG...]
fail() {
        _tap_n=$((_tap_n + 1))
        _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_n - $(_tap_desc "$1")"
        shift
        [ $# -gt 0 ] && diag "$@"
        return 1
}

# skip DESC REASON
skip() {
        _tap_n=$((_tap_n + 1))
        _tap_skipped=$((_tap_skipped + 1))
        echo "ok $_tap_n - $(_tap_desc "$1") # SKIP $(_tap_desc "${2:-}")"
}

# skip_all REASON : before plan, a "1..0 # SKIP" plan; after it, every
# remaining planned test is reported as skipped.
skip_all() {
        if [ -z "$_tap_planned" ]; then
                echo "1..0 # SKIP $(_tap_desc "$1")"
                _tap_planned=0
        else
                while [ "$_tap_n" -lt "$_tap_planned" ]; do
                        skip "not run" "$1"
                done
        fi
        exit 0
}

bail_out() {
        echo "Bail out! $(_tap_desc "$1")"
        _tap_bailed=1
        exit 99
}

# ok DESC CMD... : passes when CMD exits 0
ok() {
        local desc=$1
        shift
        if "$@"; then
                pass "$desc"
        else
                fail "$desc" "command failed (exit $?): $*"
        fi
}

# nok DESC CMD... : passes when CMD exits non-zero
nok() {
        local desc=$1
        shift
        if "$@"; then
                fail "$desc" "command unexpectedly succeeded: $*"
        else
                pass "$desc"
        fi
}

is() {
        if [ "$1" = "$2" ]; then
                pass "$3"
        else
                fail "$3" "     got: '$1'" "expected: '$2'"
        fi
}

isnt() {
        if [ "$1" != "$2" ]; then
                pass "$3"
        else
                fail "$3" "     got: '$1'" "expected anything else"
        fi
}

# like GOT ERE DESC (grep -E, any line).  A here-string, not a pipe: with
# pipefail, grep -q leaving at the first matching line could kill printf
# with SIGPIPE on its next line and turn a match into a failure.
like() {
        if grep -Eq -- "$2" <<<"$1"; then
                pass "$3"
        else
                fail "$3" "expected to match /$2/, got:" "$(printf '%s\n' "$1" | head -n 40)"
        fi
}

unlike() {
        if grep -Eq -- "$2" <<<"$1"; then
                fail "$3" "expected NOT to match /$2/, got:" \
                        "$(printf '%s\n' "$1" | grep -E -- "$2" | head -n 10)"
        else
                pass "$3"
        fi
}

# cmp_num A OP B DESC, OP one of -eq -ne -lt -le -gt -ge
cmp_num() {
        local a=$1 op=$2 b=$3 desc=$4
        if [[ "$a" =~ ^-?[0-9]+$ && "$b" =~ ^-?[0-9]+$ ]] && [ "$a" "$op" "$b" ]; then
                pass "$desc"
        else
                fail "$desc" "expected: '$a' $op '$b'"
        fi
}

_tap_summary() {
        [ -n "${_tap_bailed:-}" ] && return
        [ "${_tap_planned:-}" = 0 ] && return
        diag "$_tap_n tests run, $_tap_failed failed, $_tap_skipped skipped"
        if [ -z "$_tap_planned" ]; then
                echo "1..$_tap_n"
        elif [ "$_tap_planned" != "$_tap_n" ]; then
                diag "planned $_tap_planned tests but ran $_tap_n"
                _tap_failed=$((_tap_failed + 1))
                _tap_plan_wrong=1
        fi
}

# ----------------------------------------------------------------- utils

# Milliseconds since the epoch, without forking.
now_ms() {
        local t=${EPOCHREALTIME//[.,]/}
        echo $((10#$t / 1000))
}

# run CMD... : RUN_OUT, RUN_ERR, RUN_RC
run() {
        local ef
        ef=$T/.run.err
        RUN_OUT=$("$@" 2>"$ef")
        RUN_RC=$?
        RUN_ERR=$(cat "$ef")
        return 0
}

# wait_until TIMEOUT_S CMD... : polls CMD every 50 ms; 0 when it succeeded
wait_until() {
        local timeout=$1
        shift
        local sec=${timeout%%.*} frac=000 deadline
        [[ $timeout == *.* ]] && { frac=${timeout#*.}000; frac=${frac:0:3}; }
        deadline=$(($(now_ms) + 10#${sec:-0} * 1000 + 10#$frac))
        while :; do
                "$@" && return 0
                [ "$(now_ms)" -ge "$deadline" ] && return 1
                sleep 0.05
        done
}

# pyj EXPR < JSON : evaluates EXPR on the parsed document `d`; scalars are
# printed bare, None/bool/lists/dicts as JSON.  Exit 1 on bad JSON or error.
pyj() {
        "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception as e:
    sys.stderr.write("pyj: bad JSON: %s\n" % e); sys.exit(1)
def epoch(v):
    """A timestamp as epoch seconds: numbers (s or ms), digit strings, ISO 8601."""
    import datetime
    if v is None or v == "" or v == 0: return None
    if isinstance(v, (int, float)): return int(v / 1000) if v > 1e11 else int(v)
    if isinstance(v, str) and v.isdigit(): return epoch(int(v))
    s = v.strip().replace(" ", "T")
    if s.endswith("Z"): s = s[:-1] + "+00:00"
    t = datetime.datetime.fromisoformat(s)
    if t.tzinfo is None: t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp())
r = eval(sys.argv[1])
if isinstance(r, str): print(r)
elif isinstance(r, (int, float)) and not isinstance(r, bool): print(r)
else: print(json.dumps(r, sort_keys=True))
' "$1"
}

# ----------------------------------------------------------------- temp dir, cleanup

_tmp_base=${TMPDIR:-/tmp}
# The journald namespace mounts a private tmpfs over /run, so a temp dir
# under /run would be invisible inside it.
case "$(readlink -f "$_tmp_base")/" in
/run/*) _tmp_base=/tmp ;;
esac
T=$(mktemp -d "$_tmp_base/secresp-func.XXXXXX") || bail_out "mktemp failed"
T=$(readlink -f "$T")
_cleanup_pids=()

track_pid() { _cleanup_pids+=("$1"); }

# Is PID alive (a zombie does not count)?
pid_alive() {
        local st
        [ -r "/proc/$1/stat" ] || return 1
        st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
        [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# kill_wait PID TIMEOUT_S : TERM, then KILL after TIMEOUT_S; reaps children.
kill_wait() {
        local pid=$1 timeout=${2:-3}
        pid_alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
        kill -TERM "$pid" 2>/dev/null
        if ! wait_until "$timeout" eval '! pid_alive '"$pid"; then
                kill -KILL "$pid" 2>/dev/null
                wait_until 2 eval '! pid_alive '"$pid"
        fi
        wait "$pid" 2>/dev/null
        return 0
}

_cleanup() {
        local rc=$?
        local i
        trap - EXIT
        if [ -n "${DAEMON_PID:-}" ] && pid_alive "$DAEMON_PID"; then
                kill -KILL "$DAEMON_PID" 2>/dev/null
                wait "$DAEMON_PID" 2>/dev/null
        fi
        if [ "$_tap_failed" -gt 0 ] || [ -n "${_tap_bailed:-}" ]; then
                dump_diagnostics
        fi
        for ((i = ${#_cleanup_pids[@]} - 1; i >= 0; i--)); do
                kill_wait "${_cleanup_pids[i]}" 2
        done
        _tap_summary
        if [ -n "${FUNC_KEEP_TMP:-}" ]; then
                diag "kept $T"
        else
                rm -rf "$T"
        fi
        # Failed checks are reported by TAP ("not ok"); the exit status only
        # reports a test that did not run to its end (bail out, crash), so
        # that automake does not count a failure twice (FAIL + ERROR).
        # Set FUNC_STRICT_EXIT=1 to also exit 1 on failed checks.
        if [ "$rc" -eq 0 ] && [ "$_tap_failed" -gt 0 ] && [ -n "${FUNC_STRICT_EXIT:-}${_tap_plan_wrong:-}" ]; then
                rc=1
        fi
        exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dump_diagnostics() {
        local f
        for f in "$T"/daemon.*.err "$T"/daemon.*.out; do
                [ -s "$f" ] || continue
                diag "---- ${f##*/} (last 30 lines)"
                diag "$(tail -n 30 "$f")"
        done
        if [ -n "${JOURNAL_DIR:-}" ] && [ -d "$JOURNAL_DIR" ]; then
                diag "---- journal (last 40 entries)"
                diag "$(journalctl -D "$JOURNAL_DIR" --no-pager -o short-monotonic 2>&1 | tail -n 40)"
        fi
        if [ -s "${NOTIFY_OUT:-/nonexistent}" ]; then
                diag "---- notify datagrams (last 30 lines)"
                diag "$(tail -n 30 "$NOTIFY_OUT")"
        fi
}

# ----------------------------------------------------------------- journald

JOURNALD_PID=
JOURNAL_DIR=

_find_journald() {
        local p
        for p in /usr/lib/systemd/systemd-journald /lib/systemd/systemd-journald; do
                [ -x "$p" ] && { echo "$p"; return 0; }
        done
        return 1
}

# journal_start : starts a private systemd-journald.
#
# systemd is not PID 1 here and the host's journal must not be touched, so
# journald runs in its own mount namespace (unshare --mount, private
# propagation) where a tmpfs covers /run.  In there, /run/systemd/journal/
# holds journald's sockets (the fixed path libsystemd's sd_journal_send()
# writes to), /run/log/journal is a bind mount of $T/journal (so the files
# can be read from outside with journalctl -D), and /etc/systemd/journald.conf
# is replaced by ours (Storage=volatile, no forwarding, no rate limit, no
# audit change).  The daemon is later started inside the same namespace with
# nsenter (see start_daemon).  Returns 1 when this is impossible (not root,
# no journald, no unshare); the caller decides to skip.
journal_start() {
        local jd
        jd=$(_find_journald) || { JOURNAL_ERROR="systemd-journald not found"; return 1; }
        command -v unshare >/dev/null && command -v nsenter >/dev/null ||
                { JOURNAL_ERROR="unshare/nsenter (util-linux) not found"; return 1; }
        [ "$(id -u)" = 0 ] || { JOURNAL_ERROR="needs root (mount namespace)"; return 1; }

        JOURNAL_DIR=$T/journal
        mkdir -p "$JOURNAL_DIR" "$T/etc-upper" "$T/etc-work"
        cat >"$T/journald.conf" <<'EOF'
# Written by tests/functional/lib.sh for a private test journald.
[Journal]
Storage=volatile
Compress=no
Seal=no
RateLimitIntervalSec=0
RateLimitBurst=0
RuntimeMaxUse=64M
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
ReadKMsg=no
# Empty: leave the kernel's audit switch as it is (the default would turn
# auditing off on the host).
Audit=
EOF
        # Runs inside the new mount namespace, then becomes journald.
        cat >"$T/journald-ns.sh" <<'EOF'
set -e
T=$1 JD=$2
mount -t tmpfs -o mode=0755,size=80m secresp-test-run /run
mkdir -p /run/systemd/journal /run/log/journal
mount --bind "$T/journal" /run/log/journal
if [ ! -s /etc/machine-id ]; then
        # No machine id (some containers): give the namespace one through an
        # overlay on /etc whose upper layer lives in $T.
        mount -t overlay secresp-test-etc \
                -o "lowerdir=/etc,upperdir=$T/etc-upper,workdir=$T/etc-work" /etc
        cat /proc/sys/kernel/random/uuid | tr -d '-' >/etc/machine-id
        mkdir -p /etc/systemd
        cp "$T/journald.conf" /etc/systemd/journald.conf
elif [ -f /etc/systemd/journald.conf ]; then
        mount --bind "$T/journald.conf" /etc/systemd/journald.conf
elif [ -d /etc/systemd ]; then
        mount -t tmpfs -o mode=0755 secresp-test-etc-systemd /etc/systemd
        cp "$T/journald.conf" /etc/systemd/journald.conf
fi
for d in /etc/systemd/journald.conf.d /usr/local/lib/systemd/journald.conf.d \
         /usr/lib/systemd/journald.conf.d /lib/systemd/journald.conf.d; do
        [ -d "$d" ] && mount -t tmpfs -o mode=0755 secresp-test-empty "$d"
done
# Storage=volatile never writes here, but hide the host's persistent journal
# anyway so nothing can reach it.
[ -d /var/log/journal ] && mount -t tmpfs -o mode=0755,size=1m secresp-test-empty /var/log/journal
exec "$JD"
EOF
        env -u NOTIFY_SOCKET -u WATCHDOG_USEC -u WATCHDOG_PID -u LISTEN_FDS -u LISTEN_PID \
                SYSTEMD_LOG_TARGET=console SYSTEMD_LOG_LEVEL=info SYSTEMD_PROC_CMDLINE= \
                unshare --mount --propagation private -- \
                /bin/sh "$T/journald-ns.sh" "$T" "$jd" >"$T/journald.log" 2>&1 </dev/null &
        JOURNALD_PID=$!
        track_pid "$JOURNALD_PID"
        if ! wait_until 10 _journal_ready; then
                JOURNAL_ERROR="journald did not come up: $(tail -n 5 "$T/journald.log" | tr '\n' ' ')"
                return 1
        fi
        return 0
}

_journal_ready() {
        pid_alive "$JOURNALD_PID" || return 1
        [ -S "/proc/$JOURNALD_PID/root/run/systemd/journal/socket" ] || return 1
        compgen -G "$JOURNAL_DIR/*/system.journal" >/dev/null
}

# journal_require : journal_start or bail out (CI runs as root; a developer
# without root gets a clear skip instead).
journal_require() {
        if ! journal_start; then
                if [ "$(id -u)" != 0 ]; then
                        skip_all "${JOURNAL_ERROR:-cannot start journald}"
                fi
                bail_out "${JOURNAL_ERROR:-cannot start journald}"
        fi
}

# in_ns CMD... : runs CMD in journald's mount namespace (plain CMD when no
# journald is running).  Uses exec semantics: nsenter does not fork for a
# mount namespace, so $! of `in_ns ... &` is CMD's pid.
in_ns() {
        if [ -n "$JOURNALD_PID" ]; then
                nsenter --target "$JOURNALD_PID" --mount --wd="$T" -- "$@"
        else
                "$@"
        fi
}

# journal_query [journalctl matches...] : JSON lines of secrespd's entries
journal_query() {
        journalctl -D "$JOURNAL_DIR" --no-pager -q -o json "$@" 2>/dev/null
}

# journal_export [matches...] : everything, export format (all fields)
journal_export() {
        journalctl -D "$JOURNAL_DIR" --no-pager -q -o export "$@" 2>/dev/null
}

# journal_wait TIMEOUT_S MATCH... : waits until at least one entry matches;
# JOURNAL_OUT holds the matching entries (JSON lines).
journal_wait() {
        local timeout=$1
        shift
        JOURNAL_OUT=
        _jw() { JOURNAL_OUT=$(journal_query "$@") && [ -n "$JOURNAL_OUT" ]; }
        wait_until "$timeout" _jw "$@"
}

# jfield FIELD < JSON-LINES : FIELD of the first entry ("" when absent)
jfield() {
        "$PY" -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line: continue
    v = json.loads(line).get(sys.argv[1])
    if v is None: v = ""
    if isinstance(v, list): v = v[0]
    print(v if isinstance(v, str) else json.dumps(v))
    break
' "$1"
}

# ----------------------------------------------------------------- NOTIFY_SOCKET

NOTIFY_SOCK=
NOTIFY_OUT=
NOTIFY_PID=
NOTIFY_MARK=0

notify_start() {
        NOTIFY_SOCK=$T/notify.sock
        NOTIFY_OUT=$T/notify.log
        : >"$NOTIFY_OUT"
        "$PY" "$FUNC_DIR/notify_listener.py" "$NOTIFY_SOCK" "$NOTIFY_OUT" \
                >"$T/notify_listener.log" 2>&1 </dev/null &
        NOTIFY_PID=$!
        track_pid "$NOTIFY_PID"
        wait_until 5 test -S "$NOTIFY_SOCK" || bail_out "notify listener did not start"
}

# notify_mark : later wait_notify calls only look at datagrams after this point
notify_mark() {
        NOTIFY_MARK=$(wc -l <"$NOTIFY_OUT")
}

# _notify_find ERE : finds the first complete datagram after NOTIFY_MARK
# having a line that matches ^ERE$; prints "END_LINE PID" then the datagram.
_notify_find() {
        awk -v mark="$NOTIFY_MARK" -v re="^($1)\$" '
                NR <= mark { next }
                $0 == "" {
                        if (hit) { print NR " " pid; printf "%s", buf; exit 0 }
                        buf = ""; pid = ""; hit = 0; next
                }
                { buf = buf $0 "\n" }
                /^_PID=/ { pid = substr($0, 6); next }
                $0 ~ re { hit = 1 }
                END { if (!hit || NR == 0) exit 1 }
        ' "$NOTIFY_OUT"
}

# wait_notify ERE [TIMEOUT_S] : waits for a datagram (after the mark) with a
# line matching ^ERE$, e.g. wait_notify 'READY=1' 5.  On success the mark
# moves past that datagram (so consecutive calls check ordering), and
# NOTIFY_PID_SEEN / NOTIFY_DGRAM hold its sender pid and content.
wait_notify() {
        local re=$1 timeout=${2:-5} res
        _wn() { res=$(_notify_find "$re") && [ -n "$res" ]; }
        if wait_until "$timeout" _wn; then
                local head=${res%%$'\n'*}
                NOTIFY_MARK=${head%% *}
                NOTIFY_PID_SEEN=${head#* }
                NOTIFY_DGRAM=${res#*$'\n'}
                return 0
        fi
        NOTIFY_PID_SEEN=
        NOTIFY_DGRAM=
        return 1
}

# notify_count ERE : lines matching ^ERE$ after the mark
notify_count() {
        tail -n +$((NOTIFY_MARK + 1)) "$NOTIFY_OUT" | grep -Ec -- "^($1)\$"
}

# ----------------------------------------------------------------- daemon

SOCK=
CONF=
DAEMON_PID=
DAEMON_RC=
_daemon_n=0

# make_conf FILE [LINES...] : a config whose state and runtime directories
# live in $T; extra lines are appended verbatim (libconfig syntax, so a
# group may only appear once: pass whole groups, see the *_group vars).
# Sets SOCK, STATE_DIR, RUNTIME_DIR, DB.
make_conf() {
        local f=$1
        shift
        STATE_DIR=$T/state
        RUNTIME_DIR=$T/run
        SOCK=$RUNTIME_DIR/control.sock
        DB=$STATE_DIR/secresp.db
        mkdir -p "$STATE_DIR" "$RUNTIME_DIR"
        {
                echo "# generated by tests/functional/lib.sh"
                echo "state_directory = \"$STATE_DIR\";"
                echo "runtime_directory = \"$RUNTIME_DIR\";"
                echo "log_target = \"${LOG_TARGET:-journal}\";"
                echo "log_level = \"debug\";"
                local l
                for l in "$@"; do
                        printf '%s\n' "$l"
                done
        } >"$f"
        CONF=$f
}

# start_daemon CONF [ARGS...] : secrespd -f -c CONF ARGS in the journald
# namespace with a real NOTIFY_SOCKET.  Optional env: WATCHDOG_USEC (and
# DAEMON_WATCHDOG_PID=self for the daemon's own pid, or a number),
# DAEMON_ENV (array of VAR=VALUE), DAEMON_STDERR=journal (stderr is a
# journald stream with JOURNAL_STREAM set, as under systemd).  Sets
# DAEMON_PID, DAEMON_ERR, DAEMON_OUT.
start_daemon() {
        local conf=$1
        shift
        [ -x "$SECRESPD" ] || bail_out "$SECRESPD not built"
        [ -n "$NOTIFY_SOCK" ] || notify_start
        _daemon_n=$((_daemon_n + 1))
        DAEMON_OUT=$T/daemon.$_daemon_n.out
        DAEMON_ERR=$T/daemon.$_daemon_n.err
        DAEMON_RC=
        notify_mark
        (
                export NOTIFY_SOCKET=$NOTIFY_SOCK
                unset WATCHDOG_PID
                if [ -n "${WATCHDOG_USEC:-}" ]; then
                        export WATCHDOG_USEC
                        case "${DAEMON_WATCHDOG_PID:-}" in
                        self) export WATCHDOG_PID=$BASHPID ;;
                        '') ;;
                        *) export WATCHDOG_PID=$DAEMON_WATCHDOG_PID ;;
                        esac
                fi
                # through env(1): VAR's variable names ("https://b_Token")
                # are not shell identifiers; env execs, the pid stays
                set -- env ${DAEMON_ENV[@]+"${DAEMON_ENV[@]}"} "$SECRESPD" -f -c "$conf" "$@"
                if [ "${DAEMON_STDERR:-}" = journal ]; then
                        # stderr (and stdout) become a journald stream, as for a
                        # systemd service, and JOURNAL_STREAM names it; all
                        # three programs exec, so the pid stays the daemon's.
                        set -- systemd-cat -t secrespd-stderr /bin/sh -c \
                                'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) && export JOURNAL_STREAM && exec "$@"' \
                                sh "$@"
                fi
                if [ -n "$JOURNALD_PID" ]; then
                        exec nsenter --target "$JOURNALD_PID" --mount --wd="$T" -- "$@"
                else
                        exec "$@"
                fi
        ) >"$DAEMON_OUT" 2>"$DAEMON_ERR" </dev/null &
        DAEMON_PID=$!
}
DAEMON_ENV=()

# wait_ready [TIMEOUT_S] : READY=1 from the daemon's pid
wait_ready() {
        wait_notify 'READY=1' "${1:-10}" && [ "$NOTIFY_PID_SEEN" = "$DAEMON_PID" ]
}

# start_ready CONF [ARGS] : start_daemon + wait_ready, bail out on failure
start_ready() {
        start_daemon "$@"
        if ! wait_ready 10; then
                if pid_alive "$DAEMON_PID"; then
                        bail_out "secrespd (pid $DAEMON_PID) did not send READY=1 within 10 s"
                fi
                wait "$DAEMON_PID"
                bail_out "secrespd exited with status $? before READY=1: $(tail -n 3 "$DAEMON_ERR" | tr '\n' ' ')"
        fi
}

daemon_alive() { [ -n "$DAEMON_PID" ] && pid_alive "$DAEMON_PID"; }

# wait_daemon_exit TIMEOUT_S : waits for the daemon to exit by itself.
# DAEMON_RC is its status (128+N for signal N); returns 1 on timeout.
wait_daemon_exit() {
        local timeout=${1:-5}
        if wait_until "$timeout" eval '! pid_alive "$DAEMON_PID"'; then
                wait "$DAEMON_PID" 2>/dev/null
                DAEMON_RC=$?
                return 0
        fi
        DAEMON_RC=timeout
        return 1
}

# stop_daemon [SIGNAL] [TIMEOUT_S] : sends SIGNAL (TERM), waits up to
# TIMEOUT_S (5).  Sets DAEMON_RC and STOP_MS (signal to exit, ms).  On
# timeout the daemon is killed, DAEMON_RC=timeout and it returns 1.
stop_daemon() {
        local sig=${1:-TERM} timeout=${2:-5} t0
        STOP_MS=
        t0=$(now_ms)
        kill -"$sig" "$DAEMON_PID" 2>/dev/null
        if wait_daemon_exit "$timeout"; then
                STOP_MS=$(($(now_ms) - t0))
                return 0
        fi
        kill -KILL "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
        DAEMON_RC=timeout
        return 1
}

# ctl ARGS... : secrespctl against this test's daemon
ctl() {
        "$SECRESPCTL" -s "$SOCK" "$@"
}

# ----------------------------------------------------------------- raw frames

# frame_client SOCKET <<'EOF' ... python ... EOF
# Runs a python snippet with helpers: conn() -> connected socket,
# send_frame(s, bytes_or_obj), recv_frame(s, timeout) -> dict | None at EOF,
# req(s, cmd, args, id, v) -> reply dict, closed(s, timeout) -> True at EOF.
# The snippet prints results; one "KEY=VALUE" line per observation is handy.
frame_client() {
        local sock=$1
        shift
        local code
        code=$(cat)
        "$PY" - "$sock" "$@" <<EOF
import json, os, socket, struct, sys, time
SOCK = sys.argv[1]
def conn(timeout=5):
    # A blocking connect, as secrespctl does: with a timeout set, Python
    # makes the socket non-blocking and a full listen backlog fails at once
    # with EAGAIN instead of waiting for the daemon to accept.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", timeout, 0))
    s.connect(SOCK)
    s.settimeout(timeout)
    return s
def send_frame(s, payload):
    if not isinstance(payload, (bytes, bytearray)):
        payload = json.dumps(payload).encode()
    s.sendall(struct.pack(">I", len(payload)) + payload)
def _recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b
def recv_frame(s, timeout=5):
    s.settimeout(timeout)
    h = _recv_exact(s, 4)
    if h is None:
        return None
    (n,) = struct.unpack(">I", h)
    body = _recv_exact(s, n)
    if body is None:
        raise EOFError("truncated reply")
    return json.loads(body)
def req(s, cmd, args=None, id=1, v=1):
    send_frame(s, {"v": v, "id": id, "cmd": cmd, "args": args if args is not None else {}})
    return recv_frame(s)
def closed(s, timeout=5):
    """True when the peer closed (EOF or reset) within timeout; skips frames."""
    s.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False
def code(r):
    return (r or {}).get("error", {}).get("code") if isinstance(r, dict) else None
$code
EOF
}

# ----------------------------------------------------------------- MESSAGE_IDs

# MSGID_STARTED=..., MSGID_WL_ADDED=..., from the single source of truth.
eval "$(sed -n 's/^#define \(MSGID_[A-Z_]*\)  *"\([0-9a-f]\{32\}\)".*/\1=\2/p' \
        "$top_srcdir/src/common/msgid.h")"
[ -n "${MSGID_STARTED:-}" ] || bail_out "cannot read MESSAGE_IDs from src/common/msgid.h"
