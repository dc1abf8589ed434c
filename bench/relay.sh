#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Microsoft Graph relay under load (issue 4, Benchmark): the Graph
# simulator alone first (is it a bottleneck?), then secrespd's relay in
# front of it, POST /observe/observables with one observable and with ten,
# and POST /health, at 1, 10 and 50 connections; requests/s, p50/p99, and
# secrespd's RSS under load.  Everything over HTTPS on loopback with a CA
# made here; the load generator is bench/loadgen.c (closed loop, one
# keep-alive connection per thread), every run bounded in count and time.
# Usage: bench/relay.sh BUILDDIR [OUTDIR]      (never part of make check)
#   N=3000 (requests per run), SECS=15 (time cap per run), CONNS="1 10 50"
set -euo pipefail

build=$(cd "${1:?usage: bench/relay.sh BUILDDIR [OUTDIR]}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-}
N=${N:-3000}
SECS=${SECS:-15}
CONNS=${CONNS:-"1 10 50"}
[ "$N" -le 200000 ] && [ "${SECS%.*}" -le 120 ] || { echo "N <= 200000 and SECS <= 120"; exit 2; }
tmp=$(mktemp -d)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/loadgen" "$src/bench/loadgen.c" -lssl -lcrypto -lpthread
"$src/tests/sim/mkca.sh" "$tmp/pki" >/dev/null 2>&1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/k1.pem" 2>/dev/null
CA=$tmp/pki/ca.pem
TENANT=11111111-1111-1111-1111-111111111111

wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "no $1"; exit 1; }
start_sim() { # NAME SCRIPT ARGS...
        local name=$1 script=$2
        shift 2
        python3 "$script" --port-file "$tmp/$name.port" \
                --tls-cert "$tmp/pki/server.pem" --tls-key "$tmp/pki/server.key" "$@" 2>"$tmp/$name.err" &
        pids+=($!)
        wait_file "$tmp/$name.port"
}
start_sim jwks "$src/tests/sim/jwks_sim.py" --key "k1=$tmp/k1.pem" --host-keys "visibility.amp.cisco.com=k1:kid-1"
start_sim azuread "$src/tests/sim/azuread_sim.py" --token-key bench --app "$TENANT=app-1:bench-secret"
# TCP_NODELAY (bench/relay/graph_sim.py); NAGLE=1 for the simulator as it is
start_sim graph "$src/bench/relay/graph_sim.py" --token-key bench ${NAGLE:+--nagle}
GP=$(cat "$tmp/graph.port")
sim() { curl -s --cacert "$CA" "$@"; }

cat >"$tmp/c.conf" <<CONF
state_directory = "$tmp/state";
runtime_directory = "$tmp/run";
log_target = "stderr";
log_level = "info";
http: { ca_file = "$CA"; max_host_connections = 64; max_total_connections = 128; };
relay_server: { listen = [ "127.0.0.1:0" ]; max_connections = 512; };
relays = (
  { name = "graph"; type = "msgraph"; public_url = "http://relay.bench";
    jwks_url_template = "https://127.0.0.1:$(cat "$tmp/jwks.port")/{host}/.well-known/jwks";
    url = "https://127.0.0.1:$GP/v1.0/"; login_url = "https://127.0.0.1:$(cat "$tmp/azuread.port")";
    max_connections = 64; timeout = "10s"; }
);
CONF
"$build/secrespd" -f -c "$tmp/c.conf" 2>"$tmp/secrespd.err" &
spid=$!
pids+=($spid)
for _ in $(seq 100); do [ -S "$tmp/run/control.sock" ] && break; sleep 0.1; done
RP=$("$build/secrespctl" -s "$tmp/run/control.sock" status --json | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["relays"][0]["listen"][0].rsplit(":", 1)[1])')
JWT=$(python3 "$src/tests/functional/relay/mktoken.py" --key "$tmp/k1.pem" --kid kid-1 --exp-in 3600 \
        "{\"tenant_id\":\"$TENANT\",\"application_id\":\"app-1\",\"client_secret\":\"bench-secret\",\"jwks_host\":\"visibility.amp.cisco.com\",\"aud\":\"http://relay.bench\"}")

printf '[{"type":"ip","value":"172.16.33.115"}]' >"$tmp/one.json"
python3 - "$tmp/ten.json" <<'EOF'
import json, sys
obs = [("domain", "www.febrikam.com"), ("file_name", "file.bin"), ("file_path", "C:\\Windows\\SYSTEM32\\ntdll.dll"),
       ("hostname", "lap-pattif"), ("ip", "172.16.33.115"),
       ("sha256", "091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18b19"),
       ("url", "http://willaimsclarke.com/lee/fre.php"), ("ip", "10.8.122.32"), ("domain", "willaimsclarke.com"),
       ("hostname", "dt-aldom")]
json.dump([{"type": t, "value": v} for t, v in obs], open(sys.argv[1], "w"))
EOF

# one relay request, so that the simulator has the relay's exact query and a token
curl -s -X POST -H "Authorization: Bearer $JWT" --data-binary @"$tmp/one.json" \
        "http://127.0.0.1:$RP/msgraph/observe/observables" >"$tmp/first.json"
grep -q '"sightings"' "$tmp/first.json" || { echo "relay did not answer: $(cat "$tmp/first.json")"; exit 1; }
sim "https://127.0.0.1:$GP/__sim/requests" | python3 -c '
import json, sys
print(json.load(sys.stdin)[-1]["body"], end="")' >"$tmp/query.json"
GTOKEN=$(sim -d "client_id=app-1&client_secret=bench-secret&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
        "https://127.0.0.1:$(cat "$tmp/azuread.port")/$TENANT/oauth2/v2.0/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

results=$tmp/results.jsonl
rss_peak=0
gpid=${pids[2]}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
run() { # NAME CONNS loadgen-args...
        local name=$1 c=$2 j s0 g0 s1 g1 rss
        shift 2
        sim -X POST "https://127.0.0.1:$GP/__sim/reset" >/dev/null
        s0=$(cpu_ticks "$spid")
        g0=$(cpu_ticks "$gpid")
        j=$("$tmp/loadgen" -c "$c" -n "$N" -t "$SECS" -w $((c * 5)) "$@")
        s1=$(cpu_ticks "$spid")
        g1=$(cpu_ticks "$gpid")
        rss=$(awk '/^VmRSS:/ {print $2}' /proc/$spid/status)
        # CPU seconds of secrespd and of the Graph simulator over the run (warm-up included)
        printf '{"name": "%s", "conns": %d, "rss_kb": %d, "secrespd_cpu_s": %s, "sim_cpu_s": %s, "result": %s}\n' \
                "$name" "$c" "$rss" "$(awk "BEGIN { printf \"%.2f\", ($s1 - $s0) / $hz }")" \
                "$(awk "BEGIN { printf \"%.2f\", ($g1 - $g0) / $hz }")" "$j" >>"$results"
        tail -n 1 "$results" | python3 -c '
import json, sys
r = json.load(sys.stdin); x = r["result"]; n = x["requests"] + r["conns"] * 5
print("%-18s %3d conns %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d  secrespd %5.0f us CPU/req  sim %5.0f us CPU/req  RSS %5.1f MB"
      % (r["name"], r["conns"], x["rps"], x["p50_ms"], x["p99_ms"], x["errors"], 1e6 * r["secrespd_cpu_s"] / n,
         1e6 * r["sim_cpu_s"] / n, r["rss_kb"] / 1024))'
}
for c in $CONNS; do
        run "graph-sim-alone" "$c" -s -k "$CA" -p "$GP" -m POST -u /v1.0/security/runHuntingQuery \
                -H "Authorization: Bearer $GTOKEN" -H "Content-Type: application/json" -b "$tmp/query.json" -e '"results"'
done
for c in $CONNS; do
        run "relay-observe-1" "$c" -p "$RP" -m POST -u /msgraph/observe/observables \
                -H "Authorization: Bearer $JWT" -H "Content-Type: application/json" -b "$tmp/one.json" -e '"sightings"'
done
for c in $CONNS; do
        run "relay-observe-10" "$c" -p "$RP" -m POST -u /msgraph/observe/observables \
                -H "Authorization: Bearer $JWT" -H "Content-Type: application/json" -b "$tmp/ten.json" -e '"sightings"'
done
for c in $CONNS; do
        run "relay-health" "$c" -p "$RP" -m POST -u /msgraph/health -H "Authorization: Bearer $JWT" -e '"ok"'
done
for c in $CONNS; do
        run "relay-version" "$c" -p "$RP" -m POST -u /msgraph/version -e '"version"'
done
echo "secrespd: VmHWM $(awk '/^VmHWM:/ {print $2, $3}' /proc/$spid/status), VmRSS $(awk '/^VmRSS:/ {print $2, $3}' /proc/$spid/status)"
echo "token fetches: $(sim "https://127.0.0.1:$(cat "$tmp/azuread.port")/_azuread/tokens" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["issued"]))') (one by the relay, one for the simulator-alone runs)"
if [ -n "$out" ]; then
        mkdir -p "$out"
        cp "$results" "$out/relay.jsonl"
fi
