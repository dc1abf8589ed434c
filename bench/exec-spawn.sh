#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cost of running external commands through src/daemon/exec.c: N spawns
# of a tiny program at 1 and at 32 in flight, from a process holding a
# ballast of allocated and touched memory (the daemon's size), through the
# posix_spawn + pidfd path and through the uv_spawn (fork) path
# (SECRESP_EXEC_FORK=1), side by side.
#
# Per run: spawns/s (wall), the loop's busy time per spawn (wall time minus
# the time the loop slept in epoll_wait, uv_metrics_idle_time(): what one
# spawn costs the loop, spawning, reaping and reading included) and the
# time one exec_start() call blocks the loop (mean, p50, p99, max).
# The fork figures leave out the write faults the daemon takes afterwards
# on every page fork() write-protected: a lower bound for that path.
#
# Usage: bench/exec-spawn.sh BUILDDIR        (never part of make check)
#   BUILDDIR  a build (without sanitizers, for figures) with libsecresp.a and
#             tests/functional/recorder (make libsecresp.a tests/functional/recorder)
# Environment:
#   N=2000            spawns per run (at most 100000)
#   INFLIGHT="1 32"   jobs in flight, one run each
#   BALLAST_MB=40     memory allocated and touched before the runs (at most 4096)
#   PROG=PATH         program to run (default BUILDDIR/tests/functional/recorder,
#                     which prints one line; /bin/true for the smallest)
#   MODES="fork spawn"  fork: SECRESP_EXEC_FORK=1 (uv_spawn); spawn: posix_spawn + pidfd
#   NICE=N            nice value of the driver and its children (default -10 as
#                     root, so that other work on a shared machine delays the
#                     children's exec, which the loop waits for, less; NICE=0 to run as is)
# Exit status: 0, 1 when a spawn failed, 2 on a usage or build error.
set -euo pipefail

usage="usage: bench/exec-spawn.sh BUILDDIR"
build=$(cd "${1:?$usage}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-2000}
inflight=${INFLIGHT:-"1 32"}
ballast=${BALLAST_MB:-40}
prog=${PROG:-$build/tests/functional/recorder}
modes=${MODES:-"fork spawn"}

[ -f "$build/libsecresp.a" ] || { echo "no $build/libsecresp.a (make -C $build libsecresp.a)"; exit 2; }
[ -x "$prog" ] || { echo "no program $prog (make -C $build tests/functional/recorder, or PROG=/bin/true)"; exit 2; }
case $n in ''|*[!0-9]*) echo "N: a number"; exit 2;; esac
if [ "$n" -lt 1 ] || [ "$n" -gt 100000 ]; then echo "N: from 1 to 100000"; exit 2; fi
case $ballast in ''|*[!0-9]*) echo "BALLAST_MB: a number"; exit 2;; esac
[ "$ballast" -le 4096 ] || { echo "BALLAST_MB: at most 4096"; exit 2; }
for k in $inflight; do
  case $k in ''|*[!0-9]*) echo "INFLIGHT: numbers"; exit 2;; esac
  if [ "$k" -lt 1 ] || [ "$k" -gt 1024 ]; then echo "INFLIGHT: from 1 to 1024"; exit 2; fi
done
if [ -z "${NICE+x}" ]; then
  if [ "$(id -u)" = 0 ]; then NICE=-10; else NICE=0; fi
fi
case $NICE in ''|*[!0-9-]*) echo "NICE: a number"; exit 2;; esac
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$build/Makefile" 2>/dev/null; then
  echo "warning: $build is a sanitizer build; figures will not be representative" >&2
fi

# Read from the Makefile, not through make (which would first remake it
# when the tree changed under it).
mkvar() { sed -n "s/^$1 = //p" "$build/Makefile" | head -1; }
cc=$(mkvar CC)
san=$(mkvar SAN_CFLAGS)
libs="$(mkvar UV_LIBS) $(mkvar LIBS)"      # exec.c and xalloc.c need libuv only

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/drv.c" <<'EOF'
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>
#include "daemon/exec.h"

static const char *prog;
static unsigned n_total, started, done, failed;
static uint64_t *start_ns, start_cpu_ns;
static uv_loop_t loop;

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static void on_done(const ExecResult *res, void *ud);

static uint64_t thread_cpu_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void start_one(void)
{
        const char *argv[] = { prog, "x", NULL };
        uint64_t c0 = thread_cpu_ns(), t0 = uv_hrtime();
        int r = exec_start(&loop, &(ExecOptions) { .argv = argv, .cb = on_done, .timeout_ms = 30000 }, NULL);

        start_ns[started++] = uv_hrtime() - t0;
        start_cpu_ns += thread_cpu_ns() - c0;
        if (r < 0) {
                fprintf(stderr, "exec_start: %s\n", strerror(-r));
                exit(2);
        }
}

static void on_done(const ExecResult *res, void *ud)
{
        (void) ud;
        done++;
        if (res->r != 0 || res->exit_status != 0 || res->term_signal != 0) {
                if (failed++ < 5)
                        fprintf(stderr, "spawn failed: r=%d status=%d signal=%d output=%s\n", res->r,
                                res->exit_status, res->term_signal, res->output);
        }
        if (started < n_total)
                start_one();
}

int main(int argc, char **argv)
{
        unsigned k;
        size_t mb;
        char *ballast;
        uint64_t t0, wall, idle0, busy, sum = 0;
        struct rusage ru;

        if (argc != 5)
                return 2;
        prog = argv[1];
        n_total = (unsigned) strtoul(argv[2], NULL, 10);
        k = (unsigned) strtoul(argv[3], NULL, 10);
        mb = strtoul(argv[4], NULL, 10);
        ballast = malloc(mb << 20 | 1);
        start_ns = calloc(n_total, sizeof(*start_ns));
        if (!ballast || !start_ns)
                return 2;
        memset(ballast, 0x5a, mb << 20 | 1);    /* touched: resident, private */

        uv_loop_init(&loop);
        uv_loop_configure(&loop, UV_METRICS_IDLE_TIME);
        idle0 = uv_metrics_idle_time(&loop);
        t0 = uv_hrtime();
        for (unsigned i = 0; i < k && started < n_total; i++)
                start_one();
        uv_run(&loop, UV_RUN_DEFAULT);
        wall = uv_hrtime() - t0;
        busy = wall - (uv_metrics_idle_time(&loop) - idle0);
        if (uv_loop_close(&loop) != 0) {
                fprintf(stderr, "uv_loop_close: handles left\n");
                return 2;
        }
        for (unsigned i = 0; i < n_total; i++)
                sum += start_ns[i];
        qsort(start_ns, n_total, sizeof(*start_ns), cmp_u64);
        getrusage(RUSAGE_SELF, &ru);
        /* spawns/s  busy-ms/spawn  start-mean-ms start-cpu-ms p50 p99 max  cpu-ms/spawn  failed */
        printf("%.0f %.3f %.3f %.3f %.3f %.3f %.3f %.3f %u\n",
               n_total / (wall / 1e9), busy / 1e6 / n_total, sum / 1e6 / n_total, start_cpu_ns / 1e6 / n_total,
               start_ns[n_total / 2] / 1e6, start_ns[(size_t) (n_total * 0.99)] / 1e6,
               start_ns[n_total - 1] / 1e6,
               ((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3) / n_total,
               failed);
        free(ballast);
        free(start_ns);
        return failed ? 1 : 0;
}
EOF
# shellcheck disable=SC2086
$cc -std=gnu11 -O2 -g $san -I"$top/src" -I"$build" -o "$tmp/drv" "$tmp/drv.c" "$build/libsecresp.a" $libs \
  || { echo "cannot build the driver"; exit 2; }

echo "exec.c: $build/libsecresp.a (built $(date -r "$build/libsecresp.a" '+%F %T')); tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "program: $prog; $n spawns per run; ballast ${ballast} MB touched; nice $NICE"
echo
printf '%-6s %8s %10s %13s %14s %9s %9s %9s %9s %13s\n' path inflight spawns/s 'loop-busy ms' 'exec_start ms' '(cpu)' p50 p99 max 'cpu ms/spawn'
rc=0
for k in $inflight; do
  for m in $modes; do
    case $m in
      fork) fork=1;;
      spawn) fork=;;
      *) echo "MODES: fork and/or spawn"; exit 2;;
    esac
    if ! out=$(SECRESP_EXEC_FORK=$fork nice -n "$NICE" "$tmp/drv" "$prog" "$n" "$k" "$ballast"); then
      rc=1
    fi
    [ -n "$out" ] || { echo "the driver failed"; exit 2; }
    read -r sps busy smean scpu p50 p99 max cpu failed <<<"$out"
    printf '%-6s %8s %10s %13s %14s %9s %9s %9s %9s %13s' "$m" "$k" "$sps" "$busy" "$smean" "$scpu" "$p50" "$p99" "$max" "$cpu"
    [ "$failed" = 0 ] && echo || echo "  ($failed failed)"
  done
done
echo
echo "loop-busy ms: the loop's busy time per spawn (spawn, reap, output); exec_start ms: the time one"
echo "exec_start() call blocks the loop (mean; (cpu): the loop thread's own CPU in it, the rest is waiting"
echo "for the child to get a CPU and exec; then p50, p99, max); cpu ms/spawn: the process's own CPU per spawn."
echo "On a busy machine the waits for a CPU dominate the mean and the tail: compare p50 and (cpu)."
exit $rc
