#!/usr/bin/env bash
# Coalescing of firewall changes (issue 7): a Vectra cycle with 1,000 hosts
# to block (bench/vectra/sim.py in scale mode, every host tagged) through
# the FortiGate and the PAN-OS simulators (tests/sim/fortinet_sim.py,
# pan_sim.py), then a steady cycle.  Reports the firewall calls of each
# cycle by kind: 1,000 blocks are N address creates and ONE group write per
# batch (FortiGate), or ONE uid-message per batch (PAN-OS), not 1,000.
#
# Usage: bench/responders-coalesce.sh BUILDDIR [OUTDIR]   (never part of make check)
# Environment: HOSTS=N (default 1000), MAX_BATCH=N (default 500),
#              VENDORS="fortinet pan"
set -euo pipefail

usage="usage: bench/responders-coalesce.sh BUILDDIR [OUTDIR]"
build=$(cd "${1:?$usage}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$build/secrespd" ] || { echo "no $build/secrespd"; exit 2; }
command -v sqlite3 >/dev/null || { echo "sqlite3 (the CLI) is needed"; exit 2; }
if [ -n "${2:-}" ]; then
  out=$(mkdir -p "$2" && cd "$2" && pwd); keep=1
else
  out=$(mktemp -d); keep=0
fi
trap '[ $keep = 1 ] || rm -rf "$out"' EXIT
hosts=${HOSTS:-1000}
[ "$hosts" -le 50000 ] || { echo "HOSTS: at most 50000"; exit 2; }

echo "secrespd: $build/secrespd; tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for v in ${VENDORS:-fortinet pan}; do
  timeout 900 python3 "$top/bench/responders/coalesce.py" --build "$build" --tmp "$out/$v" --vendor "$v" \
    --hosts "$hosts" --max-batch "${MAX_BATCH:-500}" >"$out/$v.json" || {
    echo "$v failed; logs in $out/$v" >&2; keep=1; exit 2; }
  python3 - "$out/$v.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("\n%s: %d hosts to block, max_batch %d" % (d["vendor"], d["hosts"], d["max_batch"]))
print("  block cycle: %s in %d ms; %d rows blocked, %d on the firewall" % (
    d["cycle_result"], d["cycle_ms"], d["blocked_rows"], d["blocked_on_firewall"]))
print("  firewall calls in the block cycle: %d" % d["block_cycle_total"])
for k, n in sorted(d["block_cycle_calls"].items()):
    print("    %6d  %s" % (n, k))
if d["entries_per_uid_message"]:
    print("  entries per uid-message: %s" % d["entries_per_uid_message"])
print("  firewall calls in the steady cycle: %d" % d["steady_cycle_calls"])
PY
done
[ $keep = 1 ] && echo "logs and JSON: $out"
exit 0
