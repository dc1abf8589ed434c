#!/bin/sh
# SPDX-License-Identifier: MIT
# Functional test of the HTTP server (src/daemon/httpd.c): runs
# tests/functional/httpd_test, which starts the server on 127.0.0.1 (and
# [::1] when available) with ports chosen by the kernel, drives it with
# libcurl and raw sockets, and prints the TAP. Extra arguments go to the
# driver (--only NAME, --list). HTTPD_BENCH=SECONDS also prints a rough
# throughput figure of a trivial handler (10 keep-alive connections) as a
# TAP comment; it is never a failure.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
DRIVER=$top_builddir/tests/functional/httpd_test

if [ ! -x "$DRIVER" ]; then
        echo "Bail out! $DRIVER not built"
        exit 1
fi

# Bounded: the driver bounds every wait itself; this catches a hang.
to=
command -v timeout >/dev/null 2>&1 && to="timeout -k 5 180"

rc=0
$to "$DRIVER" "$@" || rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        echo "Bail out! httpd_test timed out"
        exit 1
fi
if [ -n "${HTTPD_BENCH:-}" ]; then
        $to "$DRIVER" --bench "$HTTPD_BENCH" --conns 10 2>&1 | sed 's/^/# /'
fi
exit $rc
