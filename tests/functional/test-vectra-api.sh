#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of the Vectra API client (src/sources/vectra_api.c):
# starts three Vectra simulators (tests/sim/vectra_sim.py) on 127.0.0.1
# with run-time ports -- v2.5 over HTTP, v3.4 over HTTP, v2.5 over HTTPS
# with a CA made here by mkca.sh -- all with the example state, then runs
# tests/functional/vectra_api_test, which prints the TAP.  Extra arguments
# go to the driver (--only NAME).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PY=${PYTHON:-python3}
SIM_DIR=$top_srcdir/tests/sim
STATE=$SIM_DIR/vectra/example-state.json
DRIVER=$top_builddir/tests/functional/vectra_api_test

bail() {
        echo "Bail out! $*"
        exit 1
}

command -v "$PY" >/dev/null 2>&1 || bail "python3 not found"
command -v openssl >/dev/null 2>&1 || bail "openssl not found"
[ -x "$DRIVER" ] || bail "$DRIVER not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-vectra-api.XXXXXX") || bail "mktemp failed"
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

# start NAME ARGS...: one simulator, its port in $tmp/NAME.port
start() {
        name=$1
        shift
        "$PY" "$SIM_DIR/vectra_sim.py" --state "$STATE" --port-file "$tmp/$name.port" \
                --log "$tmp/$name.log" "$@" 2>"$tmp/$name.err" &
        pids="$pids $!"
}
start v25 --api 2.5
start v3 --api 3
start tls --api 2.5 --tls-cert "$tmp/pki/server.pem" --tls-key "$tmp/pki/server.key"

# Bounded wait for the port files (written atomically once listening).
i=0
while [ ! -s "$tmp/v25.port" ] || [ ! -s "$tmp/v3.port" ] || [ ! -s "$tmp/tls.port" ]; do
        i=$((i + 1))
        [ $i -le 150 ] || bail "simulators did not start: $(cat "$tmp"/*.err)"
        sleep 0.1
done

rc=0
"$DRIVER" --v25 "http://127.0.0.1:$(cat "$tmp/v25.port")" \
        --v3 "http://127.0.0.1:$(cat "$tmp/v3.port")" \
        --tls "https://127.0.0.1:$(cat "$tmp/tls.port")" \
        --ca "$tmp/pki/ca.pem" --wrong-ca "$tmp/pki/wrong-ca.pem" --example "$STATE" "$@" || rc=$?
if [ $rc -ne 0 ]; then
        for f in "$tmp"/*.err; do
                [ -s "$f" ] && sed "s|^|# $(basename "$f"): |" "$f"
        done
fi
exit $rc
