#!/usr/bin/env bash
# Idle footprint of secrespd: RSS, PSS, CPU time and wake-ups over a quiet
# window, side by side with the floor of the Python tools it replaces (a
# bare python3 that imported what they all import, sleeping).
# Usage: bench/idle.sh BUILDDIR [SECONDS]   (never part of make check)
set -euo pipefail

build=$(cd "${1:?usage: bench/idle.sh BUILDDIR [SECONDS]}" && pwd)
secs=${2:-30}
[ "$secs" -le 600 ] || { echo "at most 600 s"; exit 2; }
tmp=$(mktemp -d)
trap 'kill $spid $ppid 2>/dev/null || true; rm -rf "$tmp"' EXIT

cat > "$tmp/c.conf" <<CONF
state_directory = "$tmp/state";
runtime_directory = "$tmp/run";
log_target = "stderr";
CONF
"$build/secrespd" -f -c "$tmp/c.conf" 2>"$tmp/log" &
spid=$!
python3 -c 'import json, sqlite3, ssl, urllib.request, time; time.sleep(3600)' &
ppid=$!
for _ in $(seq 50); do [ -S "$tmp/run/control.sock" ] && break; sleep 0.1; done
sleep 1

sample() {  # pid -> "rss_kb pss_kb cpu_ticks ctxsw"
  local pid=$1
  local rss pss cpu sw
  rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)
  pss=$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup)
  cpu=$(awk '{print $14 + $15}' /proc/$pid/stat)
  sw=$(awk '/^voluntary_ctxt_switches:/ {v=$2} /^nonvoluntary_ctxt_switches:/ {n=$2} END {print v + n}' /proc/$pid/status)
  echo "$rss $pss $cpu $sw"
}
read -r s_rss0 s_pss0 s_cpu0 s_sw0 < <(sample $spid)
read -r p_rss0 p_pss0 p_cpu0 p_sw0 < <(sample $ppid)
sleep "$secs"
read -r s_rss s_pss s_cpu s_sw < <(sample $spid)
read -r p_rss p_pss p_cpu p_sw < <(sample $ppid)

hz=$(getconf CLK_TCK)
printf 'idle window: %ss\n' "$secs"
printf '%-22s %10s %10s %12s %10s\n' process RSS_kB PSS_kB CPU_ms wakeups
printf '%-22s %10s %10s %12s %10s\n' secrespd "$s_rss" "$s_pss" $(( (s_cpu - s_cpu0) * 1000 / hz )) $((s_sw - s_sw0))
printf '%-22s %10s %10s %12s %10s\n' "python3 floor" "$p_rss" "$p_pss" $(( (p_cpu - p_cpu0) * 1000 / hz )) $((p_sw - p_sw0))
awk -v a="$s_rss" -v b="$p_rss" 'BEGIN { printf "RSS ratio secrespd / python3 floor: %.2f\n", a / b }'
