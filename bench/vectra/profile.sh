#!/usr/bin/env bash
# Where secrespd's time goes in one Vectra block cycle (the first cycle of
# bench/vectra/cycle.py): perf (on-CPU samples with DWARF call graphs,
# secrespd only, not its children) or callgrind (instructions; slow: use a
# smaller TAGGED).  Prints the shares by activity and the top functions.
# Usage: bench/vectra/profile.sh BUILDDIR OUTDIR [perf|callgrind] [HOSTS TAGGED LATENCY_MS]
#        (defaults: perf 50000 1000 0)
set -euo pipefail

usage="usage: bench/vectra/profile.sh BUILDDIR OUTDIR [perf|callgrind] [HOSTS TAGGED LATENCY_MS]"
build=$(cd "${1:?$usage}" && pwd)
out=$(mkdir -p "${2:?$usage}" && cd "$2" && pwd)
tool=${3:-perf}
hosts=${4:-50000}
tagged=${5:-1000}
lat=${6:-0}
here=$(cd "$(dirname "$0")" && pwd)
[ "$tagged" -le 5000 ] || { echo "TAGGED: at most 5000"; exit 2; }
nice=0
[ "$(id -u)" = 0 ] && nice=-10

case "$tool" in
perf)
  command -v perf >/dev/null || { echo "no perf here; try callgrind"; exit 2; }
  timeout 1800 python3 "$here/cycle.py" --build "$build" --tmp "$out/run" --hosts "$hosts" --tagged "$tagged" \
    --latency-ms "$lat" --nice "$nice" --only-block \
    --attach "perf record -F 499 --no-inherit --call-graph dwarf,16384 -o $out/perf.data -p {pid}" >"$out/run.json"
  perf script -i "$out/perf.data" -F comm,ip,sym 2>/dev/null >"$out/perf.script"
  nm "$build/secrespd" | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$out/own-symbols"
  python3 "$here/perf_shares.py" "$out/perf.script" "$out/own-symbols"
  ;;
callgrind)
  command -v valgrind >/dev/null || { echo "no valgrind"; exit 2; }
  timeout 3600 python3 "$here/cycle.py" --build "$build" --tmp "$out/run" --hosts "$hosts" --tagged "$tagged" \
    --latency-ms "$lat" --nice "$nice" --only-block --max-seconds 3000 \
    --wrap "valgrind --tool=callgrind --callgrind-out-file=$out/callgrind.out" >"$out/run.json"
  # the daemon was stopped by SIGTERM: the profile is written on exit
  for _ in $(seq 100); do [ -s "$out/callgrind.out" ] && break; sleep 0.2; done
  callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null | head -60
  ;;
*) echo "$usage"; exit 2 ;;
esac
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["cycles"]["block"]
print("cycle: wall %.2f s, secrespd CPU %.2f s, children CPU %.2f s, run-queue wait %.2f s, requests %d" % (
    d["wall_s"], d["cpu_s"], d["children_cpu_s"], d["runqueue_wait_s"], d["requests"]))' "$out/run.json"
