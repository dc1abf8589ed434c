#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of the external-command runner (src/daemon/exec.c) and
# the external_call responder: runs tests/functional/exec_test, which
# prints the TAP, with tests/functional/recorder as the external program
# and a private temporary directory.  Extra arguments go to the driver
# (--only NAME).
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DRIVER=$top_builddir/tests/functional/exec_test
RECORDER=$top_builddir/tests/functional/recorder

bail() {
        echo "Bail out! $*"
        exit 1
}

[ -x "$DRIVER" ] || bail "$DRIVER not built"
[ -x "$RECORDER" ] || bail "$RECORDER not built"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-exec.XXXXXX") || bail "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

rc=0
"$DRIVER" --recorder "$RECORDER" --tmp "$tmp" "$@" || rc=$?
exit $rc
