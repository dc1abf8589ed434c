#!/usr/bin/env bash
# The Vectra response cycle at scale (issue 3, "Benchmark"): the Vectra
# simulator in scale mode with 50,000 hosts of which 5,000 carry the block
# tag, secrespd blocking them through external_call (bench/vectra/recorder.c),
# then a steady cycle (nothing to do: no write allowed) and an unblock cycle
# (the tag removed from all 5,000 at once).  Each at 0 ms and at 20 ms of
# simulated latency per request, plus a 1,000-host / 100-block run at 20 ms
# (VAR 3.3.3: 13.4 s).  Prints wall time, CPU time, peak RSS and Vectra
# requests of every cycle, the concurrency limit and the ratios to the
# targets.  Loopback only; bounded in time and count.
#
# Usage: bench/vectra-cycle.sh BUILDDIR [OUTDIR]   (never part of make check)
#   BUILDDIR  a build without sanitizers, with secrespd (make secrespd)
#   OUTDIR    keep the logs and JSON there (default: a temporary directory, removed)
# Environment:
#   NICE=N        nice value of the simulator and secrespd (default -10 as root,
#                 so that other work on a shared machine perturbs the wall
#                 times less; NICE=0 to run as is)
#   CONNS=N       http.max_host_connections (default 8, secrespd's default)
#   SCENARIOS="HOSTS:TAGGED:LATENCY_MS ..."  (default "50000:5000:0 50000:5000:20 1000:100:20")
#   SCENARIO_TIMEOUT=S   bound of one scenario (default 1800)
#   RECORDER=PATH the responder command (default bench/vectra/recorder.c,
#                 compiled here, static when possible)
#   SIM=c|py      the Vectra simulator: bench/vectra/scale_sim.c (default,
#                 compiled here) or tests/sim/vectra_sim.py
# Exit status: 0 when every target is met, 1 when one is missed, 2 on error.
set -euo pipefail

usage="usage: bench/vectra-cycle.sh BUILDDIR [OUTDIR]"
build=$(cd "${1:?$usage}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
here=$top/bench/vectra
[ -x "$build/secrespd" ] || { echo "no $build/secrespd"; exit 2; }
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$build/Makefile" 2>/dev/null; then
  echo "warning: $build is a sanitizer build; figures will not be representative" >&2
fi

if [ -n "${2:-}" ]; then
  out=$(mkdir -p "$2" && cd "$2" && pwd); keep=1
else
  out=$(mktemp -d); keep=0
fi
trap '[ $keep = 1 ] || rm -rf "$out"' EXIT

if [ -z "${NICE+x}" ]; then
  if [ "$(id -u)" = 0 ]; then NICE=-10; else NICE=0; fi
fi
conns=${CONNS:-8}
scenarios=${SCENARIOS:-"50000:5000:0 50000:5000:20 1000:100:20"}
limit=${SCENARIO_TIMEOUT:-1800}
[ "$limit" -le 3600 ] || { echo "SCENARIO_TIMEOUT: at most 3600 s"; exit 2; }
n=0
for _ in $scenarios; do n=$((n + 1)); done
[ "$n" -le 8 ] || { echo "SCENARIOS: at most 8"; exit 2; }

sim=${SIM:-c}
case "$sim" in
c)
  # the simulator in C, so that its CPU is not what the cycle measures
  cc -O2 -o "$out/scale_sim" "$here/scale_sim.c" -lmicrohttpd -lcjson -lpthread
  simargs=(--sim c --sim-bin "$out/scale_sim") ;;
py) simargs=(--sim py) ;;
*) echo "SIM: c or py"; exit 2 ;;
esac

# the responder command: bench/vectra/recorder.c, static when the toolchain
# can; RECORDER=PATH runs another (the test suite's, to compare)
if [ -n "${RECORDER:-}" ]; then
  recorder=$RECORDER
else
  recorder=$out/recorder
  cc -O2 -static -o "$recorder" "$here/recorder.c" 2>/dev/null || cc -O2 -o "$recorder" "$here/recorder.c"
fi

echo "secrespd: $build/secrespd ($("$build/secrespd" --version 2>/dev/null | head -1), built $(date -r "$build/secrespd" '+%F %T')); tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg); nice $NICE; simulator $sim"
files=()
for s in $scenarios; do
  IFS=: read -r hosts tagged lat <<<"$s"
  name="h${hosts}-t${tagged}-l${lat}"
  echo "running $hosts hosts / $tagged tagged / ${lat} ms latency ..." >&2
  if ! timeout "$limit" python3 "$here/cycle.py" --build "$build" --tmp "$out/$name" --hosts "$hosts" \
      --tagged "$tagged" --latency-ms "$lat" --host-connections "$conns" --nice "$NICE" \
      --max-seconds "$limit" --recorder "$recorder" "${simargs[@]}" >"$out/$name.json"; then
    echo "scenario $s failed; logs in $out/$name (kept)" >&2
    keep=1
    exit 2
  fi
  files+=("$out/$name.json")
done
echo
rc=0
python3 "$here/report.py" "${files[@]}" || rc=$?
[ $keep = 1 ] && echo "logs and JSON: $out"
exit $rc
