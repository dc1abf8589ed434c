#!/bin/bash
# SPDX-License-Identifier: MIT
# Control socket robustness with raw frames: garbage, oversized, empty and
# truncated frames, bad versions, unknown commands, slow clients, pipelining,
# many clients; SO_PEERCRED refusal of a non-secresp peer; secrespctl's exit
# codes.  After each abuse the daemon must keep serving.
. "$(dirname "$0")/lib.sh"

plan 42

journal_require
notify_start
make_conf "$T/secrespd.conf" 'control: { client_timeout = "1s"; };'
start_ready "$CONF"

# One observation per line: NAME=VALUE
run frame_client "$SOCK" <<'EOF'
def obs(k, v): print("%s=%s" % (k, v), flush=True)
def recv_or_none(s, t=3):
    try:
        return recv_frame(s, t)
    except Exception:
        return None
cases = []
def case(f):
    cases.append(f)
    return f

@case
def status():
    s = conn(); r = req(s, "status", id=7)
    obs("status_ok", r.get("ok")); obs("status_id", r.get("id"))

@case
def garbage():
    s = conn(); send_frame(s, b"this is {not json"); obs("garbage", code(recv_frame(s)))

@case
def array():
    s = conn(); send_frame(s, b"[1,2,3]"); obs("array", code(recv_frame(s)))

@case
def nocmd():
    s = conn(); send_frame(s, {"v": 1, "id": 3}); obs("nocmd", code(recv_frame(s)))

@case
def version():
    s = conn(); r = req(s, "status", id=4, v=99)
    obs("version", code(r)); obs("version_id", r.get("id"))

@case
def unknown():
    s = conn(); r = req(s, "frobnicate", id=5)
    obs("unknown", code(r)); obs("unknown_id", r.get("id"))
    # the connection stays usable after an error reply to a well-formed frame
    r = req(s, "status", id=6); obs("after_unknown", r.get("ok"))

@case
def oversize():
    # a header announcing 1 MiB + 1, then a few bytes
    s = conn(); s.sendall(struct.pack(">I", 1024 * 1024 + 1) + b"{" * 100)
    obs("oversize", code(recv_or_none(s))); obs("oversize_closed", closed(s, 3))

@case
def empty():
    s = conn(); s.sendall(struct.pack(">I", 0)); obs("empty", code(recv_or_none(s)))

@case
def truncated():
    # 100 bytes announced, 10 sent, then our side is shut for writing
    s = conn(); s.sendall(struct.pack(">I", 100) + b'{"v":1,"id'); s.shutdown(socket.SHUT_WR)
    r = recv_or_none(s)
    obs("truncated_reply", code(r) or "none"); obs("truncated_closed", closed(s, 3))

A = json.dumps({"v": 1, "id": 11, "cmd": "status", "args": {}}).encode()
B = json.dumps({"v": 1, "id": 12, "cmd": "status", "args": {}}).encode()

@case
def pipelined():
    s = conn()
    s.sendall(struct.pack(">I", len(A)) + A + struct.pack(">I", len(B)) + B)
    obs("pipelined", "%s,%s" % (recv_frame(s).get("id"), recv_frame(s).get("id")))

@case
def bytewise():
    s = conn(); frame = struct.pack(">I", len(A)) + A
    for i in range(len(frame)):
        s.send(frame[i:i + 1]); time.sleep(0.002)
    obs("bytewise", recv_frame(s).get("ok"))

@case
def slow():
    # half a header, then silence; others are served meanwhile
    slow = conn(); slow.sendall(b"\x00\x00"); t0 = time.monotonic()
    s = conn(); t1 = time.monotonic(); r = req(s, "status", id=21)
    obs("served_meanwhile", bool(r.get("ok")) and time.monotonic() - t1 < 0.5)
    c = closed(slow, 6); dt = time.monotonic() - t0
    obs("slow_closed", c); obs("slow_ms", int(dt * 1000))

@case
def many():
    socks = [conn() for _ in range(50)]
    for i, s in enumerate(socks):
        send_frame(s, {"v": 1, "id": 100 + i, "cmd": "status", "args": {}})
    good = 0
    for i, s in enumerate(socks):
        r = recv_frame(s)
        good += bool(r.get("ok") and r.get("id") == 100 + i)
    obs("many", good)

for f in cases:
    try:
        f()
    except Exception as e:
        obs(f.__name__ + "_exception", "%s: %s" % (type(e).__name__, e))
EOF
diag "frame_client exit $RUN_RC${RUN_ERR:+, stderr: $RUN_ERR}"
like "$RUN_OUT" '^status_ok=' "the raw frame client ran"
unlike "$RUN_OUT" '_exception=' "no raw-frame case raised an exception"
res() { printf '%s\n' "$RUN_OUT" | sed -n "s/^$1=//p" | head -n 1; }

is "$(res status_ok)" True "status over a raw frame: ok"
is "$(res status_id)" 7 "the reply echoes the request id"
is "$(res garbage)" bad-json "garbage JSON: bad-json"
like "$(res array)" '^(bad-request|bad-json)$' "a JSON array instead of an object: bad-request"
is "$(res nocmd)" bad-request "no cmd: bad-request"
is "$(res version)" bad-version "v=99: bad-version"
is "$(res version_id)" 4 "bad-version echoes the id"
is "$(res unknown)" unknown-command "unknown cmd: unknown-command"
is "$(res unknown_id)" 5 "unknown-command echoes the id"
is "$(res after_unknown)" True "the connection still serves after an error reply"
is "$(res oversize)" bad-frame "a frame over 1 MiB: bad-frame"
is "$(res oversize_closed)" True "... then the connection is closed"
is "$(res empty)" bad-frame "an empty frame: bad-frame"
like "$(res truncated_reply)" '^(bad-frame|none)$' "a truncated frame then EOF: bad-frame or nothing"
is "$(res truncated_closed)" True "... and the daemon closes its side"
is "$(res pipelined)" 11,12 "two frames in one write: two replies, in order"
is "$(res bytewise)" True "a frame sent one byte at a time"
is "$(res served_meanwhile)" True "a slow client does not hold up others (< 0.5 s)"
is "$(res slow_closed)" True "a slow client (partial frame, silence) is dropped"
slow_ms=$(res slow_ms)
cmp_num "${slow_ms:-0}" -ge 800 "... not before client_timeout (${slow_ms:-?} ms)"
cmp_num "${slow_ms:-99999}" -le 3500 "... soon after client_timeout = 1s (${slow_ms:-?} ms)"
is "$(res many)" 50 "50 concurrent clients are all answered"

ok "the daemon is still running" daemon_alive
run ctl status
is "$RUN_RC" 0 "after all that, secrespctl status exits 0"

# ---- secrespctl exit codes ------------------------------------------------------------------
run "$SECRESPCTL" -s "$T/no-such.sock" status
is "$RUN_RC" 3 "secrespctl: daemon unreachable exits 3"
run ctl frobnicate
is "$RUN_RC" 2 "secrespctl: unknown verb exits 2"
like "$RUN_ERR" '[Uu]sage|unknown|frobnicate' "... with a helpful message"
run ctl whitelist add planet mars
is "$RUN_RC" 2 "secrespctl: unknown whitelist kind exits 2"
run ctl st
is "$RUN_RC" 0 "secrespctl: an abbreviated verb (st = status) works"
run env SECRESP_SOCKET="$SOCK" "$SECRESPCTL" status
is "$RUN_RC" 0 "secrespctl: \$SECRESP_SOCKET names the socket"

# ---- SO_PEERCRED: a peer that is not root nor in the group ---------------------------------
chmod o+x "$T" "$RUNTIME_DIR"
chmod 0666 "$SOCK"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
nobody_client() {
        run as_nobody "$PY" - "$SOCK" <<'EOF'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5)
s.connect(sys.argv[1])
p = json.dumps({"v": 1, "id": 1, "cmd": "status", "args": {}}).encode()
try:
    s.sendall(struct.pack(">I", len(p)) + p)
except OSError:
    pass
def exact(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c: return None
        b += c
    return b
try:
    h = exact(4)
    r = json.loads(exact(struct.unpack(">I", h)[0])) if h else None
except OSError:
    r = None
print("code=%s" % ((r or {}).get("error", {}).get("code") if r and not r.get("ok") else ("ok" if r else "none")))
if r and not r.get("ok"):
    s.settimeout(3)
    try:
        eof = s.recv(1) == b""
    except socket.timeout:
        eof = False
    except OSError:
        eof = True
    print("closed=%s" % eof)
EOF
}
nobody_client
is "$(printf '%s\n' "$RUN_OUT" | sed -n 's/^code=//p')" permission-denied "uid nobody: permission-denied"
is "$(printf '%s\n' "$RUN_OUT" | sed -n 's/^closed=//p')" True "uid nobody: then the connection is closed"
if journal_wait 3 MESSAGE_ID="$MSGID_CONTROL_REFUSED" _PID="$DAEMON_PID"; then
        pass "journald: CONTROL_REFUSED entry"
else
        fail "journald: CONTROL_REFUSED entry"
fi
if as_nobody test -x "$SECRESPCTL"; then
        # Ten times: the refusal races with the client's write of its
        # request, and a lost race must not turn into "unreachable" (3).
        rcs=
        for i in 1 2 3 4 5 6 7 8 9 10; do
                run as_nobody "$SECRESPCTL" -s "$SOCK" status
                rcs="$rcs $RUN_RC"
                [ "$RUN_RC" = 1 ] || diag "run $i: exit $RUN_RC: $RUN_ERR"
        done
        is "${rcs# }" "1 1 1 1 1 1 1 1 1 1" "secrespctl as nobody: exit 1 (refused), every time"
else
        skip "secrespctl as nobody: exit 1 (refused)" "$SECRESPCTL not executable by nobody"
fi
run ctl status
is "$RUN_RC" 0 "root is still served"

# ---- SIGTERM with clients connected: no handle left behind ----------------------------------------
# One idle client and one in the middle of a frame hold connections open;
# secrespd exits non-zero when uv_loop_close() finds a handle still open.
"$PY" - "$SOCK" "$T/holders.ready" <<'PYEOF' &
import socket, struct, sys, time
a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); a.connect(sys.argv[1])
b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); b.connect(sys.argv[1])
b.sendall(struct.pack(">I", 50) + b'{"v":1')
open(sys.argv[2], "w").close()
time.sleep(30)
PYEOF
holders=$!
track_pid "$holders"
wait_until 5 test -e "$T/holders.ready"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM with two clients connected: exit 0 (no handle left open)"
cmp_num "${STOP_MS:-99999}" -le 2000 "... within 2 s (${STOP_MS:-?} ms)"
kill_wait "$holders" 1

# ---- the configured group may use the socket ------------------------------------------------
make_conf "$T/group.conf" 'control: { client_timeout = "1s"; group = "nogroup"; };'
start_ready "$T/group.conf"
chmod o+x "$RUNTIME_DIR"
is "$(stat -c '%a %G' "$SOCK")" "660 nogroup" "the socket is 0660 and owned by control.group"
nobody_client
is "$(printf '%s\n' "$RUN_OUT" | sed -n 's/^code=//p')" ok "a member of control.group is served"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
