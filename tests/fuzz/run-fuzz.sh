#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A bounded fuzzing run (never part of make check; tests/fuzz/README.md):
#
#     tests/fuzz/run-fuzz.sh [SECONDS [TARGET...]]
#
# builds the libFuzzer targets with clang in build/fuzz (configure
# --enable-fuzzing), runs each for SECONDS (default 60) from its corpus and
# dictionary, merges the inputs that found new coverage back into
# tests/fuzz/corpus/<target>/ (-merge=1 keeps only those), and prints
# execs/s and coverage.  A crash or leak is minimised and copied into the
# corpus as crash-*/leak-*, so that `make check` fails until it is fixed;
# timeouts and out-of-memory inputs are left in the work directory.
#
# Environment: CC (clang), FUZZ_BUILDDIR (build/fuzz), FUZZ_MERGE=0 to leave
# the corpora alone, FUZZ_JOBS to run that many targets at once (1),
# FUZZ_CMIN=1 to shrink each corpus afterwards to the inputs that give its
# coverage (hand-written seeds, the files not named by a SHA-1, are kept),
# which keeps make check's replay fast.  SECONDS=0 only builds (and
# shrinks, with FUZZ_CMIN=1).
# Exit status: 0 when no target found anything, 1 otherwise, 2 on usage or
# build errors.

set -eu

top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-fuzz_ctlproto fuzz_config fuzz_values fuzz_ctlparser fuzz_jwt fuzz_spycloud_map fuzz_msgraph_map fuzz_nac}
builddir=${FUZZ_BUILDDIR:-$top_srcdir/build/fuzz}
merge=${FUZZ_MERGE:-1}
jobs=${FUZZ_JOBS:-1}
CC=${CC:-clang}
LC_ALL=C
# Leaks in the libraries, not in secresp, are listed in lsan.supp.
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$top_srcdir/tests/fuzz/lsan.supp:print_suppressions=0"
export LC_ALL LSAN_OPTIONS

die() { printf 'run-fuzz: %s\n' "$*" >&2; exit 2; }

case $secs in
''|*[!0-9]*) die "usage: run-fuzz.sh [SECONDS [TARGET...]]" ;;
esac
command -v "$CC" >/dev/null 2>&1 || die "$CC not found (apt-get install clang libclang-rt-dev)"

# Longest input per target: frames want room, argv and values do not.
max_len() {
        case $1 in
        fuzz_ctlproto) echo 8192 ;;
        fuzz_config) echo 4096 ;;
        fuzz_values) echo 640 ;;
        fuzz_ctlparser) echo 512 ;;
        *) echo 4096 ;;
        esac
}

# fuzz_config runs with leak detection off: libconfig leaks on many syntax
# errors (lsan.supp), and libFuzzer re-runs each such input for a full
# leak check, which makes it ten times slower.  The inputs it keeps are
# checked for leaks afterwards, one by one, and make check's replay checks
# the whole corpus at exit.
leaks_while_fuzzing() {
        case $1 in
        fuzz_config) echo 0 ;;
        *) echo 1 ;;
        esac
}

# Build.  make re-runs automake and configure itself when their inputs change.
if [ ! -f "$builddir/Makefile" ]; then
        if [ ! -x "$top_srcdir/configure" ]; then
                (cd "$top_srcdir" && autoreconf -fi) || die "autoreconf failed"
        fi
        mkdir -p "$builddir"
        (cd "$builddir" && "$top_srcdir/configure" -q CC="$CC" --enable-fuzzing) ||
                die "configure --enable-fuzzing CC=$CC failed (see $builddir/config.log)"
fi
grep -q '^FUZZ_LDFLAGS = -fsanitize=fuzzer' "$builddir/Makefile" ||
        die "$builddir is not configured with --enable-fuzzing"
bins=
for t in $targets; do
        [ -f "$top_srcdir/tests/fuzz/$t.c" ] || die "no such target: $t"
        bins="$bins tests/fuzz/$t"
done
# shellcheck disable=SC2086
make -C "$builddir" -s -j"$(nproc)" $bins >/dev/null || die "build failed"

work=$(mktemp -d "${TMPDIR:-/tmp}/run-fuzz.XXXXXX")
# The targets' scratch files (fuzz_config writes one per input): in memory
# when possible, it doubles fuzz_config's speed.
scratch=$(mktemp -d /dev/shm/run-fuzz.XXXXXX 2>/dev/null) || scratch=$(mktemp -d "$work/scratch.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
echo "run-fuzz: $secs s per target, work directory $work"

stat_of() {     # FILE NAME: the value of "stat::NAME:" in libFuzzer's final stats
        sed -n "s/^stat::$2: *//p" "$1" | tail -n 1
}

is_sha1() {     # NAME: libFuzzer's name for an input it kept
        case $1 in
        *[!0-9a-f]*) return 1 ;;
        esac
        [ ${#1} -eq 40 ]
}

# The corpus less the inputs that add no coverage to the hand-written
# seeds and to the inputs before them (-merge=1 into a fresh directory).
cmin() {
        [ "${FUZZ_CMIN:-0}" = 1 ] || return 0
        mkdir -p "$w/cmin"
        for f in "$corpus"/*; do
                is_sha1 "$(basename "$f")" || cp "$f" "$w/cmin/"
        done
        if TMPDIR="$scratch/$t" "$bin" -merge=1 -max_len="$len" "$w/cmin" "$corpus" > "$w/cmin.log" 2>&1 < /dev/null; then
                for f in "$corpus"/*; do
                        is_sha1 "$(basename "$f")" && rm "$f"
                done
                for f in "$w/cmin"/*; do
                        is_sha1 "$(basename "$f")" && cp "$f" "$corpus/"
                done
        else
                echo "run-fuzz: $t: shrinking the corpus failed, see $w/cmin.log"
        fi
        return 0
}

run_target() {
        t=$1
        bin="$builddir/tests/fuzz/$t"
        corpus="$top_srcdir/tests/fuzz/corpus/$t"
        dict="$top_srcdir/tests/fuzz/dict/$t.dict"
        w="$work/$t"
        len=$(max_len "$t")

        mkdir -p "$w/new" "$w/artifacts" "$scratch/$t" "$corpus"
        before=$(find "$corpus" -type f | wc -l)
        if [ "$secs" -eq 0 ]; then
                cmin
                printf '%-15s %6ss %11s %9s %6s %7s %5s -> %-5s %s\n' "$t" 0 - - - - "$before" \
                        "$(find "$corpus" -type f | wc -l)" " ok" > "$w/summary"
                return 0
        fi
        leaks=$(leaks_while_fuzzing "$t")
        set -- -max_total_time="$secs" -max_len="$len" -timeout=10 -rss_limit_mb=2048 \
                -detect_leaks="$leaks" -print_final_stats=1 -artifact_prefix="$w/artifacts/"
        [ -f "$dict" ] && set -- "$@" -dict="$dict"
        # New inputs go to $w/new; the corpus is only read here.
        rc=0
        TMPDIR="$scratch/$t" "$bin" "$@" "$w/new" "$corpus" > "$w/fuzz.log" 2>&1 < /dev/null || rc=$?
        if [ "$rc" -eq 0 ] && [ "$leaks" = 0 ]; then
                TMPDIR="$scratch/$t" "$bin" -runs=0 -detect_leaks=1 -max_len="$len" \
                        -artifact_prefix="$w/artifacts/" "$w/new" > "$w/leaks.log" 2>&1 < /dev/null || rc=$?
                grep -q '^INFO: a leak has been found' "$w/leaks.log" && cat "$w/leaks.log" >> "$w/fuzz.log"
        fi

        found=
        for a in "$w"/artifacts/crash-* "$w"/artifacts/leak-* "$w"/artifacts/timeout-* "$w"/artifacts/oom-*; do
                [ -f "$a" ] || continue
                kind=$(basename "$a" | cut -d- -f1)
                found="$found $kind"
                case $kind in
                crash|leak)
                        min="$w/artifacts/minimized-$(basename "$a")"
                        TMPDIR="$scratch/$t" "$bin" -minimize_crash=1 -runs=20000 -max_len="$len" \
                                -exact_artifact_path="$min" "$a" > "$w/minimize.log" 2>&1 < /dev/null || true
                        [ -f "$min" ] || min=$a
                        cp "$min" "$corpus/$kind-$(sha1sum "$min" | cut -c1-16)"
                        # minimising keeps any failure, not necessarily this one
                        cmp -s "$min" "$a" || cp "$a" "$corpus/$kind-$(sha1sum "$a" | cut -c1-16)"
                        echo "run-fuzz: $t: $kind: $a (minimised: $min), copied into $corpus"
                        ;;
                *)
                        echo "run-fuzz: $t: $kind: $a (not added to the corpus)"
                        ;;
                esac
        done
        if [ "$rc" -ne 0 ] && [ -z "$found" ]; then
                found=" exit-$rc"
        fi
        if [ -n "$found" ]; then
                echo "run-fuzz: $t: the report, from $w/fuzz.log:"
                grep -E -A40 '^==[0-9]+==ERROR|runtime error|invariant failed|^SUMMARY' "$w/fuzz.log" | head -n 60 |
                        sed 's/^/    /'
        fi

        if [ "$merge" = 1 ] && [ -z "$found" ]; then
                TMPDIR="$scratch/$t" "$bin" -merge=1 -max_len="$len" "$corpus" "$w/new" > "$w/merge.log" 2>&1 < /dev/null ||
                        echo "run-fuzz: $t: merge failed, see $w/merge.log"
        fi
        [ -z "$found" ] && cmin
        after=$(find "$corpus" -type f | wc -l)
        execs=$(stat_of "$w/fuzz.log" number_of_executed_units)
        eps=$(stat_of "$w/fuzz.log" average_exec_per_sec)
        cov=$(grep -E '^#[0-9]+.*cov: ' "$w/fuzz.log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2/p')
        printf '%-15s %6ss %11s %9s %6s %7s %5s -> %-5s %s\n' "$t" "$secs" "${execs:-?}" "${eps:-?}" \
                "${cov% *}" "${cov#* }" "$before" "$after" "${found:- ok}" > "$w/summary"
        [ -z "$found" ]
}

status=0
running=0
for t in $targets; do
        echo "run-fuzz: $t for ${secs}s ..."
        if [ "$jobs" -gt 1 ]; then
                run_target "$t" &
                running=$((running + 1))
                if [ "$running" -ge "$jobs" ]; then
                        wait || status=1
                        running=0
                fi
        else
                run_target "$t" || status=1
        fi
done
wait || status=1

printf '\n%-15s %7s %11s %9s %6s %7s %14s %s\n' target time execs execs/s cov ft corpus result
for t in $targets; do
        if [ -f "$work/$t/summary" ]; then
                cat "$work/$t/summary"
                grep -q ' ok$' "$work/$t/summary" || status=1
        else
                status=1
        fi
done
echo "run-fuzz: logs in $work"
exit $status
