#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of the JWKS cache (src/daemon/jwks.c) and the JWT
# verification of a relay request (src/daemon/jwt.c): makes a test CA
# (mkca.sh) and two RSA key pairs (openssl genpkey), starts
# tests/sim/jwks_sim.py over HTTPS on 127.0.0.1 serving
#   visibility.amp.cisco.com     kid-1 -> k1, kid-2 -> k2
#   visibility.eu.amp.cisco.com  eu-1  -> k2
# then runs tests/functional/jwks_test, which prints the TAP.  Extra
# arguments go to the driver (--only NAME).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PY=${PYTHON:-python3}
SIM_DIR=$top_srcdir/tests/sim
DRIVER=$top_builddir/tests/functional/jwks_test

bail() {
        echo "Bail out! $*"
        exit 1
}

command -v "$PY" >/dev/null 2>&1 || bail "python3 not found"
command -v openssl >/dev/null 2>&1 || bail "openssl not found"
[ -x "$DRIVER" ] || bail "$DRIVER not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-jwks.XXXXXX") || bail "mktemp failed"
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
mkdir -p "$tmp/keys"
for k in k1 k2; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/keys/$k.pem" 2>/dev/null ||
                bail "openssl genpkey failed"
done

"$PY" "$SIM_DIR/jwks_sim.py" --port-file "$tmp/sim.port" --log "$tmp/sim.log" \
        --tls-cert "$tmp/pki/server.pem" --tls-key "$tmp/pki/server.key" \
        --key "k1=$tmp/keys/k1.pem" --key "k2=$tmp/keys/k2.pem" \
        --host-keys "visibility.amp.cisco.com=k1:kid-1,k2:kid-2" \
        --host-keys "visibility.eu.amp.cisco.com=k2:eu-1" 2>"$tmp/sim.err" &
pids="$pids $!"

# A port nobody listens on, for the connection-refused case.
closed=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
        bail "no free port"

i=0
while [ ! -s "$tmp/sim.port" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || bail "simulator did not start: $(cat "$tmp/sim.err")"
        sleep 0.1
done

rc=0
"$DRIVER" --base "https://127.0.0.1:$(cat "$tmp/sim.port")" --ca "$tmp/pki/ca.pem" \
        --wrong-ca "$tmp/pki/wrong-ca.pem" --keys "$tmp/keys" --closed-port "$closed" "$@" || rc=$?
if [ $rc -ne 0 ] && [ -s "$tmp/sim.err" ]; then
        sed 's|^|# sim.err: |' "$tmp/sim.err"
fi
exit $rc
