#!/usr/bin/env bash
# The Vectra simulators alone (no secrespd): is the simulator a bottleneck
# of bench/vectra-cycle.sh?  The C one (bench/vectra/scale_sim.c) and the
# Python one (bench/vectra/sim.py) side by side, each in scale mode
# (HOSTS / TAGGED), driven by bench/loadgen.c with CONNS keep-alive
# connections (secrespd's 8 by default) on what a block cycle asks:
#   page    GET /hosts?page_size=5000&tags=vectra_host_block (the TAGGED hosts)
#   full    GET /hosts?page_size=5000&page=2 (5,000 untagged hosts)
#   tag     PATCH /tagging/host/ID (three tags, replace)
#   note    POST /hosts/ID/notes
# Per simulator and request: requests/s, latency p50/p99 and the
# simulator's CPU (utime + stime of its process) per request.
# Loadgen and simulator share the machine's CPUs.  Loopback only; bounded.
#
# Usage: bench/vectra/sim-alone.sh [OUTDIR]      (never part of make check)
# Environment: HOSTS (50000), TAGGED (5000), CONNS (8), PAGES (40 page
# requests), WRITES (5000 requests of each write), SIMS ("c py")
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/bench/vectra
hosts=${HOSTS:-50000}
tagged=${TAGGED:-5000}
conns=${CONNS:-8}
pages=${PAGES:-40}
writes=${WRITES:-5000}
sims=${SIMS:-"c py"}
[ "$pages" -le 1000 ] && [ "$writes" -le 100000 ] && [ "$hosts" -le 200000 ] || {
  echo "PAGES <= 1000, WRITES <= 100000, HOSTS <= 200000"; exit 2; }
if [ -n "${1:-}" ]; then
  out=$(mkdir -p "$1" && cd "$1" && pwd); keep=1
else
  out=$(mktemp -d); keep=0
fi
simpid=
cleanup() {
  [ -n "$simpid" ] && kill "$simpid" 2>/dev/null && wait "$simpid" 2>/dev/null
  [ $keep = 1 ] || rm -rf "$out"
}
trap cleanup EXIT

cc -O2 -o "$out/scale_sim" "$here/scale_sim.c" -lmicrohttpd -lcjson -lpthread
cc -O2 -o "$out/loadgen" "$top/bench/loadgen.c" -lssl -lcrypto -lpthread
printf '{"tags":["vectra_host_block","VAR Host Blocked","VAR ID:External Call Client:10.0.1.46"]}' >"$out/tag.json"
printf '{"note":"VAR: Blocked on 22 Nov 2026 at 19:03:03"}' >"$out/note.json"

cpu_of() { # PID -> utime + stime in seconds
  python3 -c 'import os,sys; f=open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")",1)[1].split(); print((int(f[11])+int(f[12]))/os.sysconf("SC_CLK_TCK"))' "$1"
}

echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); tree $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
: >"$out/results.jsonl"
for sim in $sims; do
  rm -f "$out/port"
  case "$sim" in
  c) cmd=("$out/scale_sim") ;;
  py) cmd=(python3 "$here/sim.py") ;;
  *) echo "SIMS: c and/or py"; exit 2 ;;
  esac
  "${cmd[@]}" --api 2.5 --scale-hosts "$hosts" --scale-tagged "$tagged" --port-file "$out/port" \
    2>"$out/sim-$sim.log" &
  simpid=$!
  for _ in $(seq 600); do [ -s "$out/port" ] && break; sleep 0.1; done
  [ -s "$out/port" ] || { echo "the $sim simulator did not start"; exit 2; }
  port=$(cat "$out/port")
  start_cpu=$(cpu_of $simpid)
  run() { # NAME STATUS N loadgen-args...
    local name=$1 status=$2 n=$3; shift 3
    local c0 c1 j
    c0=$(cpu_of $simpid)
    j=$("$out/loadgen" -p "$port" -c "$conns" -n "$n" -t 300 -S "$status" \
          -H 'Authorization: Token tok123' -H 'Accept: application/json' "$@")
    c1=$(cpu_of $simpid)
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d.update(sim=sys.argv[2], request=sys.argv[3], cpu_s=float(sys.argv[5])-float(sys.argv[4])); print(json.dumps(d))' \
      "$j" "$sim" "$name" "$c0" "$c1" >>"$out/results.jsonl"
  }
  run page 200 "$pages" -u "/api/v2.5/hosts?page_size=5000&tags=vectra_host_block"
  run full 200 "$pages" -u "/api/v2.5/hosts?page_size=5000&page=2"
  run tag 200 "$writes" -m PATCH -u /api/v2.5/tagging/host/2 -b "$out/tag.json" -H 'Content-Type: application/json'
  run note 201 "$writes" -m POST -u /api/v2.5/hosts/2/notes -b "$out/note.json" -H 'Content-Type: application/json'
  echo "$sim: start-up CPU $start_cpu s" >&2
  kill "$simpid"; wait "$simpid" 2>/dev/null || true; simpid=
done
python3 - "$out/results.jsonl" "$conns" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("%-4s %-5s %8s %6s %9s %8s %8s %8s %12s" % ("sim", "req", "requests", "errors", "req/s", "p50_ms", "p99_ms",
                                                   "cpu_s", "cpu_ms/req"))
for r in rows:
    print("%-4s %-5s %8d %6d %9.1f %8.2f %8.2f %8.2f %12.3f" % (r["sim"], r["request"], r["requests"], r["errors"],
          r["rps"], r["p50_ms"], r["p99_ms"], r["cpu_s"], 1000 * r["cpu_s"] / max(1, r["requests"])))
by = {(r["sim"], r["request"]): r for r in rows}
for sim in ("c", "py"):
    if (sim, "tag") in by and (sim, "note") in by and (sim, "page") in by:
        per = {k: by[(sim, k)]["cpu_s"] / max(1, by[(sim, k)]["requests"]) for k in ("page", "full", "tag", "note")}
        print("%s: a block cycle's 5,000 tag + 5,000 note writes and 10 pages: %.2f s of simulator CPU" % (
            sim, 5000 * per["tag"] + 5000 * per["note"] + 10 * max(per["page"], per["full"])))
print("(%s connections; CPU = the simulator process's utime + stime during the run)" % sys.argv[2])
EOF
