#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of the HTTP client (src/daemon/http.c): starts two
# echo simulators (plain HTTP and HTTPS with a CA made here by mkca.sh) on
# 127.0.0.1 with run-time ports, then runs tests/functional/http_client_test,
# which prints the TAP.  Extra arguments go to the driver (--only NAME).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PY=${PYTHON:-python3}
SIM_DIR=$top_srcdir/tests/sim
DRIVER=$top_builddir/tests/functional/http_client_test

bail() {
        echo "Bail out! $*"
        exit 1
}

command -v "$PY" >/dev/null 2>&1 || bail "python3 not found"
command -v openssl >/dev/null 2>&1 || bail "openssl not found"
[ -x "$DRIVER" ] || bail "$DRIVER not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-http-client.XXXXXX") || bail "mktemp failed"
pids=
cleanup() {
        for p in $pids; do
                kill -TERM "$p" 2>/dev/null
        done
        for p in $pids; do
                wait "$p" 2>/dev/null
        done
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$SIM_DIR/mkca.sh" "$tmp/pki" || bail "mkca.sh failed"

"$PY" "$SIM_DIR/echo_sim.py" --port-file "$tmp/plain.port" --log "$tmp/plain.log" \
        2>"$tmp/plain.err" &
pids="$pids $!"
"$PY" "$SIM_DIR/echo_sim.py" --port-file "$tmp/tls.port" --log "$tmp/tls.log" \
        --tls-cert "$tmp/pki/server.pem" --tls-key "$tmp/pki/server.key" 2>"$tmp/tls.err" &
pids="$pids $!"

# Bounded wait for both port files (written atomically once listening).
i=0
while [ ! -s "$tmp/plain.port" ] || [ ! -s "$tmp/tls.port" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || bail "simulators did not start: $(cat "$tmp"/*.err)"
        sleep 0.1
done

rc=0
"$DRIVER" --base "http://127.0.0.1:$(cat "$tmp/plain.port")" \
        --tls-base "https://127.0.0.1:$(cat "$tmp/tls.port")" \
        --ca "$tmp/pki/ca.pem" --wrong-ca "$tmp/pki/wrong-ca.pem" "$@" || rc=$?
if [ $rc -ne 0 ]; then
        for f in "$tmp"/*.err; do
                [ -s "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
        done
fi
exit $rc
