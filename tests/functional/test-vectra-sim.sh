#!/bin/sh
# SPDX-License-Identifier: MIT
# Self-test of the Vectra Detect simulator (tests/sim/vectra_sim.py): makes
# a throw-away PKI with mkca.sh, then runs tests/sim/test_vectra_sim.py,
# which starts the simulators itself (v2.5 plain HTTP, v3 and scale mode
# over HTTPS) and prints the TAP.  Needs no secrespd build.  Extra
# arguments go to the driver (--only v25 v3 strict scale, --scale-hosts N).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
PY=${PYTHON:-python3}
SIM_DIR=$top_srcdir/tests/sim

bail() {
        echo "Bail out! $*"
        exit 1
}

command -v "$PY" >/dev/null 2>&1 || bail "python3 not found"
command -v openssl >/dev/null 2>&1 || bail "openssl not found"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-vectra-sim.XXXXXX") || bail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

"$SIM_DIR/mkca.sh" "$tmp/pki" || bail "mkca.sh failed"
"$PY" "$SIM_DIR/test_vectra_sim.py" --pki "$tmp/pki" --python "$PY" "$@"
