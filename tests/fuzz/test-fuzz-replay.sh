#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Replays every fuzzing corpus (tests/fuzz/corpus/<target>/) through its
# target: each input that ever crashed, leaked or broke an invariant stays
# in the corpus, so that this test catches the bug coming back.  The
# targets are linked with replay.c, or are libFuzzer programs in a
# --enable-fuzzing build; both run the files named on their command line.
# Output is TAP.  top_srcdir and top_builddir are set by make check.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LC_ALL=C
export LC_ALL

TARGETS="fuzz_ctlproto fuzz_config fuzz_values fuzz_ctlparser fuzz_jwt fuzz_spycloud_map fuzz_msgraph_map fuzz_sna fuzz_nac"
TARGETS="$TARGETS fuzz_fw2_answers"

# Leaks are findings; abort on the first report so the exit status says so.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=1"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
# Leaks in the libraries, not in secresp, are listed in lsan.supp.
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$top_srcdir/tests/fuzz/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

n=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
diag()   { sed 's/^/# /'; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-fuzz-replay.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
# fuzz_config makes its scratch directory there
TMPDIR=$tmp
export TMPDIR

set -- $TARGETS
echo "1..$#"
for t in $TARGETS; do
        bin="$top_builddir/tests/fuzz/$t"
        corpus="$top_srcdir/tests/fuzz/corpus/$t"
        files=$(find "$corpus" -type f ! -name '.*' 2>/dev/null | sort)
        count=$(printf '%s' "$files" | grep -c .)
        if [ ! -x "$bin" ]; then
                not_ok "$t: $bin is not built"
                continue
        fi
        if [ "$count" -eq 0 ]; then
                not_ok "$t: corpus $corpus is empty"
                continue
        fi
        # shellcheck disable=SC2086 # corpus file names have no blanks
        if "$bin" $files > "$tmp/$t.log" 2>&1 < /dev/null; then
                ok "$t: $count corpus inputs replayed"
        else
                tail -n 40 "$tmp/$t.log" | diag
                not_ok "$t: $count corpus inputs replayed"
        fi
done
