#!/usr/bin/env bash
# The Umbrella behaviour-security cycle at scale (issue 5, "Benchmark"):
# 5,000 VPN users in a FreeRADIUS SQLite database, 50 domains each in the
# simulator (drawn from a pool, so users share domains), 20 ms of simulated
# latency on every Umbrella request, a per-API cap of 20 requests in
# flight.  Two `secrespd --once --source umbrella` runs on one state
# database: cold (empty Investigate cache) and warm (every score cached).
# For each: wall time, the bound the concurrency limit sets
# (requests x latency / cap, per API), Investigate calls, peak RSS, and the
# groups written to radreply.  Loopback only; bounded in time.
#
# Usage: bench/umbrella-cycle.sh BUILDDIR [OUTDIR]   (never part of make check)
#   BUILDDIR  a build without sanitizers, with secrespd
#   OUTDIR    keep the logs there (default: a temporary directory, removed)
# Environment:
#   USERS=N (5000)  DOMAINS=N (50)  POOL=N (20000)  LATENCY_MS=N (20)  CAP=N (20)
#   RUN_TIMEOUT=S (600): bound of one run
# Exit status: 0 when both runs succeeded, 1 otherwise, 2 on a usage error.
set -euo pipefail

usage="usage: bench/umbrella-cycle.sh BUILDDIR [OUTDIR]"
build=$(cd "${1:?$usage}" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$build/secrespd" ] || { echo "no $build/secrespd"; exit 2; }
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$build/Makefile" 2>/dev/null; then
  echo "warning: $build is a sanitizer build; figures will not be representative" >&2
fi
command -v sqlite3 >/dev/null || { echo "sqlite3 (the CLI) is needed"; exit 2; }
if [ -n "${2:-}" ]; then
  out=$(mkdir -p "$2" && cd "$2" && pwd); keep=1
else
  out=$(mktemp -d); keep=0
fi
users=${USERS:-5000} domains=${DOMAINS:-50} pool=${POOL:-20000} lat=${LATENCY_MS:-20} cap=${CAP:-20}
limit=${RUN_TIMEOUT:-600}
[ "$users" -le 100000 ] && [ "$domains" -le 1000 ] && [ "$limit" -le 3600 ] || { echo "too large"; exit 2; }

sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  [ $keep = 1 ] || rm -rf "$out"
}
trap cleanup EXIT

echo "secrespd: $build/secrespd ($("$build/secrespd" --version | head -1)); tree: $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scenario: $users users x $domains domains (pool of $pool), $lat ms per request, cap $cap per API"

# ---- the simulator in scale mode
rm -f "$out/sim.port"
t0=$(date +%s.%N)
python3 "$top/tests/sim/umbrella_sim.py" --scale-users "$users" --scale-domains "$domains" \
  --scale-pool "$pool" --latency-ms "$lat" --port-file "$out/sim.port" >"$out/sim.out" 2>"$out/sim.err" &
sim_pid=$!
for _ in $(seq 600); do [ -s "$out/sim.port" ] && break; sleep 0.1; done
[ -s "$out/sim.port" ] || { echo "the simulator did not start"; exit 1; }
port=$(cat "$out/sim.port")
url=http://127.0.0.1:$port
printf 'simulator ready in %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

# ---- the FreeRADIUS database: every simulated identity is a VPN user with a reply row
rm -rf "$out/radius.db" "$out/state" "$out/run" "$out/sim.port"
sqlite3 "$out/radius.db" <"$top/tests/functional/umbrella/radius-sqlite.sql"
sqlite3 "$out/radius.db" "
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $users)
INSERT INTO radcheck (id, username, attribute, op, value)
  SELECT i + 1, printf('user%06d', i), 'Cleartext-Password', ':=', 'x' FROM n;
INSERT INTO users_identity (radcheck_id, umbrella_label) SELECT id, printf('vpn-host-%06d', id - 1) FROM radcheck;
INSERT INTO radreply (username, attribute, op, value) SELECT username, 'ASA-Member-Of', '=', 'Safe' FROM radcheck;"

mkdir -p "$out/state" "$out/run"
cat >"$out/secrespd.conf" <<EOF
state_directory = "$out/state";
runtime_directory = "$out/run";
log_target = "stderr";
http = { max_host_connections = $((2 * cap + 8)); max_total_connections = $((2 * cap + 16)); };
responders = ( { name = "vpn"; type = "radius_group"; database = "$out/radius.db"; } );
umbrella = {
  enabled = true;
  token_url = "$url/auth/v2/token";
  reports_url = "$url/reports/v2";
  investigate_url = "$url/investigate/v2/domains/risk-score/";
  radius_database = "$out/radius.db";
  max_in_flight = $cap;
  identities_limit = 5000;
};
EOF

# once NAME : one --once run; prints its figures
once() {
  local name=$1 t1 t2 rc wall inv act ms rss
  curl -s -X POST "$url/__sim/reset" >/dev/null   # counts back to 0 (the state is the same)
  t1=$(date +%s.%N)
  set +e
  umb_reporting_key=umb-key umb_reporting_secret=umb-secret timeout "$limit" \
    /usr/bin/time -f '%M %U %S' -o "$out/$name.rss" \
    "$build/secrespd" -f -c "$out/secrespd.conf" --once --source umbrella 2>"$out/$name.log"
  rc=$?
  set -e
  t2=$(date +%s.%N)
  wall=$(echo "$t2 - $t1" | bc)
  inv=$(curl -s "$url/__sim/counts" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("risk", 0))')
  act=$(curl -s "$url/__sim/counts" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("activity", 0))')
  ms=$(sed -n 's/.*umbrella: cycle [a-z-]* in \([0-9]*\) ms.*/\1/p' "$out/$name.log" | tail -1)
  read -r rss cpu_u cpu_s < <(tail -1 "$out/$name.rss")
  bound=$(echo "scale=1; (($act + $cap - 1) / $cap + ($inv + $cap - 1) / $cap) * $lat / 1000" | bc)
  printf '%-5s exit %s  wall %.1f s (cycle %s ms)  activity calls %s  Investigate calls %s  bound by the cap %s s  ratio %.2f  peak RSS %.1f MB  secrespd CPU %.1f s\n' \
    "$name" "$rc" "$wall" "${ms:-?}" "$act" "$inv" "$bound" "$(echo "scale=3; ${ms:-0} / 1000 / ($bound + 0.001)" | bc)" \
    "$(echo "scale=1; $rss / 1024" | bc)" "$(echo "$cpu_u + $cpu_s" | bc)"
  grep -E "umbrella: [0-9]+ users" "$out/$name.log" | sed 's/^/      /' || true
  [ "$name" = cold ] && cold_inv=$inv
  [ "$name" = cold ] && cold_act=$act
  [ "$rc" = 0 ]
}

# floor KIND N : seconds the simulator itself needs for N requests of
# KIND at the cap (curl --parallel, a C client, as many in flight)
floor() {
  local kind=$1 n=$2 tok t1 t2
  tok=$(curl -s -u umb-key:umb-secret -d grant_type=client_credentials "$url/auth/v2/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  for i in $(seq 0 $((n - 1))); do
    if [ "$kind" = activity ]; then
      printf 'url = "%s/reports/v2/activity/dns?from=-30days&to=now&limit=5000&offset=0&identityids=%d&categories=65,62,110,60,106,108,109,150,61,64,66,68,67,63"\noutput = "/dev/null"\n' "$url" $((1000000 + i))
    else
      printf 'url = "%s/investigate/v2/domains/risk-score/d%06d.example"\noutput = "/dev/null"\n' "$url" "$i"
    fi
  done >"$out/urls.$kind"
  t1=$(date +%s.%N)
  curl -s --parallel --parallel-max "$cap" -H "Authorization: Bearer $tok" -K "$out/urls.$kind" 2>/dev/null
  t2=$(date +%s.%N)
  echo "scale=3; ($t2 - $t1) / $n" | bc
}

status=0
cold_inv=0 cold_act=0
once cold || status=1
once warm || status=1
# the simulator's own pace (Python: its CPU is the bottleneck, not the latency)
per_act=$(floor activity $((users < 1000 ? users : 1000)))
per_inv=$(floor risk $((pool < 2000 ? pool : 2000)))
printf 'simulator floor at cap %s (curl --parallel): %.1f ms per activity call, %.1f ms per Investigate call\n' \
  "$cap" "$(echo "$per_act * 1000" | bc)" "$(echo "$per_inv * 1000" | bc)"
printf '  cold cycle floor %.1f s, warm cycle floor %.1f s\n' \
  "$(echo "$cold_act * $per_act + $cold_inv * $per_inv" | bc)" "$(echo "$cold_act * $per_act" | bc)"
echo "groups: $(sqlite3 "$out/radius.db" "SELECT value || ' ' || count(*) FROM radreply WHERE attribute = 'ASA-Member-Of' GROUP BY value" | tr '\n' ',' | sed 's/,$//')"
echo "cached domain scores: $(sqlite3 "$out/state/secresp.db" 'SELECT count(*) FROM umbrella_domain_scores'), score rows: $(sqlite3 "$out/state/secresp.db" 'SELECT count(*) FROM scores')"
exit $status
