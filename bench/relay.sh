#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Microsoft Graph and SpyCloud relays under load (issue 4, Benchmark):
# the upstream alone first (is it a bottleneck?), then secrespd's relays in
# front of it, POST /observe/observables with one observable and with ten,
# and POST /health and /version, at 1, 10 and 50 connections; requests/s,
# p50/p99, CPU per request of secrespd and of the upstream, and secrespd's
# RSS under load.  Everything over HTTPS on loopback with a CA made here; the
# load generator is bench/loadgen.c (closed loop, one keep-alive connection
# per thread), every run bounded in count and time.
#
# The upstream is bench/relay/upstream_stub.c (C, canned answers) unless
# SIM=py, which keeps the Python simulators (Azure AD, Graph, SpyCloud) for
# a side-by-side.  Either way the Python simulators answer first: secrespd
# is started once against them, sends each request of the bench once, and
# every upstream call it made (each hunting query, each SpyCloud path) is
# asked again of the simulator; those answers are the stub's, so the stub
# answers exactly what the simulators would, whatever queries the relay
# sends.
# Usage: bench/relay.sh BUILDDIR [OUTDIR]      (never part of make check)
#   N=3000 (requests per run), SECS=15 (time cap per run), CONNS="1 10 50", SIM=stub|py
#   RUNS="relay-observe-1 relay-health" (only these runs; default all)
#   GRAPH_TOKEN_BYTES=2000: Graph access tokens of about that length (the simulator's are
#   about 200 bytes, Azure AD's 1,500-2,500; libcurl formats request headers a byte at a time)
#   PERF=NAME:CONNS (e.g. relay-observe-1:10) records secrespd with perf record -g during
#   that run, into OUTDIR/perf.data (or ./perf.data); PERF_CG=dwarf for call chains through
#   libraries built without frame pointers
set -euo pipefail

build=$(cd "${1:?usage: bench/relay.sh BUILDDIR [OUTDIR]}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-}
N=${N:-3000}
SECS=${SECS:-15}
CONNS=${CONNS:-"1 10 50"}
SIM=${SIM:-stub}
[ "$N" -le 200000 ] && [ "${SECS%.*}" -le 120 ] || { echo "N <= 200000 and SECS <= 120"; exit 2; }
case $SIM in stub | py) ;; *) echo "SIM=stub or SIM=py"; exit 2 ;; esac
tmp=$(mktemp -d)
pids=()
cleanup() {
        for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
        wait 2>/dev/null || true
        rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/loadgen" "$src/bench/loadgen.c" -lssl -lcrypto -lpthread
cc -O2 -Wall -Wextra -Werror -o "$tmp/upstream_stub" "$src/bench/relay/upstream_stub.c" -lssl -lcrypto -lpthread
"$src/tests/sim/mkca.sh" "$tmp/pki" >/dev/null 2>&1
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/k1.pem" 2>/dev/null
CA=$tmp/pki/ca.pem
TENANT=11111111-1111-1111-1111-111111111111
SPYKEY=bench-spycloud-key

wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "no $1"; exit 1; }
start_sim() { # NAME SCRIPT ARGS...
        local name=$1 script=$2
        shift 2
        python3 "$script" --port-file "$tmp/$name.port" \
                --tls-cert "$tmp/pki/server.pem" --tls-key "$tmp/pki/server.key" "$@" 2>"$tmp/$name.err" &
        pids+=($!)
        eval "${name}_pid=$!"
        wait_file "$tmp/$name.port"
}
start_sim jwks "$src/tests/sim/jwks_sim.py" --key "k1=$tmp/k1.pem" --host-keys "visibility.amp.cisco.com=k1:kid-1"
start_sim azuread "$src/tests/sim/azuread_sim.py" --token-key bench --app "$TENANT=app-1:bench-secret" \
        --token-bytes "${GRAPH_TOKEN_BYTES:-0}"
# TCP_NODELAY (bench/relay/graph_sim.py); NAGLE=1 for the simulator as it is
start_sim graph "$src/bench/relay/graph_sim.py" --token-key bench ${NAGLE:+--nagle}
start_sim spycloud "$src/tests/sim/spycloud_sim.py" --api-key "$SPYKEY"
JP=$(cat "$tmp/jwks.port")
AP=$(cat "$tmp/azuread.port")
GP=$(cat "$tmp/graph.port")
SP=$(cat "$tmp/spycloud.port")
sim() { curl -s --cacert "$CA" "$@"; }

# seven more SpyCloud users with two breach records each, so that ten e-mails all have some
python3 - "$tmp/users" <<'EOF'
import json, os, sys
os.makedirs(sys.argv[1])
for i in range(1, 8):
    e = "user%d@example.org" % i
    recs = [{"email": e, "email_domain": "example.org", "email_username": "user%d" % i, "domain": "example.org",
             "password": "pw%d" % i, "password_plaintext": "pw%d" % i, "password_type": "plaintext",
             "spycloud_publish_date": "2020-04-%02dT00:00:00Z" % (i + 1), "sighting": i, "source_id": src,
             "severity": 25, "document_id": "doc-%d-%d" % (i, src), "target_url": "https://login.example.org/"}
            for src in (17551, 17494)]
    json.dump(recs, open(os.path.join(sys.argv[1], e), "w"))
EOF
for f in "$tmp"/users/*; do
        sim -X PUT --data-binary @"$f" "https://127.0.0.1:$SP/_spycloud/emails/$(basename "$f")" >/dev/null
done

printf '[{"type":"ip","value":"172.16.33.115"}]' >"$tmp/one.json"
printf '[{"type":"email","value":"admin@example.org"}]' >"$tmp/spy-one.json"
python3 - "$tmp/ten.json" "$tmp/spy-ten.json" <<'EOF'
import json, sys
obs = [("domain", "www.febrikam.com"), ("file_name", "file.bin"), ("file_path", "C:\\Windows\\SYSTEM32\\ntdll.dll"),
       ("hostname", "lap-pattif"), ("ip", "172.16.33.115"),
       ("sha256", "091835b16192e526ee1b8a04d0fcef534544cad306672066f2ad6973a4b18b19"),
       ("url", "http://willaimsclarke.com/lee/fre.php"), ("ip", "10.8.122.32"), ("domain", "willaimsclarke.com"),
       ("hostname", "dt-aldom")]
json.dump([{"type": t, "value": v} for t, v in obs], open(sys.argv[1], "w"))
emails = ["admin@example.org", "someone@example.org", "nobody@example.org"] + \
         ["user%d@example.org" % i for i in range(1, 8)]
json.dump([{"type": "email", "value": e} for e in emails], open(sys.argv[2], "w"))
EOF

write_conf() { # FILE DIR GRAPH_URL LOGIN_URL SPYCLOUD_URL
        cat >"$1" <<CONF
state_directory = "$2/state";
runtime_directory = "$2/run";
log_target = "stderr";
log_level = "info";
http: { ca_file = "$CA"; max_host_connections = 64; max_total_connections = 128; };
relay_server: { listen = [ "127.0.0.1:0" ]; max_connections = 512; };
relays = (
  { name = "graph"; type = "msgraph"; public_url = "http://relay.bench";
    jwks_url_template = "https://127.0.0.1:$JP/{host}/.well-known/jwks";
    url = "$3"; login_url = "$4";
    max_connections = 64; timeout = "10s"; },
  { name = "spycloud"; type = "spycloud"; public_url = "http://relay.bench";
    jwks_url_template = "https://127.0.0.1:$JP/{host}/.well-known/jwks";
    url = "$5"; rate_limit = 0; timeout = "10s"; }
);
CONF
}
start_secrespd() { # NAME GRAPH_URL LOGIN_URL SPYCLOUD_URL; sets spid and RP
        mkdir -p "$tmp/$1"
        write_conf "$tmp/$1/c.conf" "$tmp/$1" "$2" "$3" "$4"
        "$build/secrespd" -f -c "$tmp/$1/c.conf" 2>"$tmp/$1/secrespd.err" &
        spid=$!
        pids+=($spid)
        for _ in $(seq 100); do [ -S "$tmp/$1/run/control.sock" ] && break; sleep 0.1; done
        RP=$("$build/secrespctl" -s "$tmp/$1/run/control.sock" status --json | python3 -c \
                'import json,sys; print(json.load(sys.stdin)["relays"][0]["listen"][0].rsplit(":", 1)[1])')
}
JWT=$(python3 "$src/tests/functional/relay/mktoken.py" --key "$tmp/k1.pem" --kid kid-1 --exp-in 3600 \
        "{\"tenant_id\":\"$TENANT\",\"application_id\":\"app-1\",\"client_secret\":\"bench-secret\",\"jwks_host\":\"visibility.amp.cisco.com\",\"aud\":\"http://relay.bench\"}")
SJWT=$(python3 "$src/tests/functional/relay/mktoken.py" --key "$tmp/k1.pem" --kid kid-1 --exp-in 3600 \
        "{\"key\":\"$SPYKEY\",\"jwks_host\":\"visibility.amp.cisco.com\",\"aud\":\"http://relay.bench\"}")
relay_once() { # MOUNT/ROUTE TOKEN EXPECT [BODYFILE]
        local a=()
        [ -n "${4:-}" ] && a=(--data-binary @"$4")
        curl -s -X POST -H "Authorization: Bearer $2" "${a[@]}" "http://127.0.0.1:$RP/$1" >"$tmp/answer.json"
        grep -q "$3" "$tmp/answer.json" || { echo "relay did not answer $1: $(cat "$tmp/answer.json")"; exit 1; }
}

# ---- every upstream call of the bench, asked of the Python simulators once ----------------
start_secrespd capture "https://127.0.0.1:$GP/v1.0/" "https://127.0.0.1:$AP" "https://127.0.0.1:$SP/enterprise-v2/"
relay_once msgraph/observe/observables "$JWT" '"sightings"' "$tmp/one.json"
sim "https://127.0.0.1:$GP/__sim/requests" | python3 -c '
import json, sys
print([r for r in json.load(sys.stdin) if r["path"].endswith("/runHuntingQuery")][0]["body"], end="")' \
        >"$tmp/query.json"
relay_once msgraph/observe/observables "$JWT" '"sightings"' "$tmp/ten.json"
relay_once msgraph/health "$JWT" '"ok"'
relay_once spycloud/observe/observables "$SJWT" '"sightings"' "$tmp/spy-one.json"
relay_once spycloud/observe/observables "$SJWT" '"sightings"' "$tmp/spy-ten.json"
relay_once spycloud/health "$SJWT" '"ok"'
kill "$spid"
wait "$spid" 2>/dev/null || true
GTOKEN=$(sim -d "client_id=app-1&client_secret=bench-secret&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
        "https://127.0.0.1:$AP/$TENANT/oauth2/v2.0/token" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
mkdir -p "$tmp/canned"
sim "https://127.0.0.1:$GP/__sim/requests" >"$tmp/graph-log.json"
sim "https://127.0.0.1:$SP/__sim/requests" >"$tmp/spycloud-log.json"
python3 - "$tmp" "$CA" "$GP" "$SP" "$GTOKEN" "$SPYKEY" >"$tmp/stub-args" <<'EOF'
import json, ssl, sys, urllib.parse, urllib.request
tmp, ca, gp, sp, gtoken, key = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
args = []
def ask(url, headers, data=None):
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        return r.read()
bodies = []
for r in json.load(open(tmp + "/graph-log.json")):
    if r["path"] == "/v1.0/security/runHuntingQuery" and r["body"] not in bodies:
        bodies.append(r["body"])
for i, b in enumerate(bodies):
    q, a = "%s/canned/hunt-%d.json" % (tmp, i), "%s/canned/hunt-%d.answer" % (tmp, i)
    open(q, "w").write(b)
    open(a, "wb").write(ask("https://127.0.0.1:%s/v1.0/security/runHuntingQuery" % gp,
                            {"Authorization": "Bearer " + gtoken, "Content-Type": "application/json"}, b.encode()))
    args.append("--hunting-for=%s=%s" % (q, a))
paths = []
for r in json.load(open(tmp + "/spycloud-log.json")):
    p = r["path"] + ("?" + urllib.parse.urlencode(r["query"], doseq=True) if r["query"] else "")
    if r["method"] == "GET" and p not in paths:
        paths.append(p)
for i, p in enumerate(paths):
    f = "%s/canned/spycloud-%d.answer" % (tmp, i)
    open(f, "wb").write(ask("https://127.0.0.1:%s%s" % (sp, p), {"X-API-Key": key}))
    args.append("--get=%s=%s" % (p, f))
print("\n".join(args))
EOF
sim -X DELETE "https://127.0.0.1:$GP/__sim/requests" >/dev/null
sim -X DELETE "https://127.0.0.1:$SP/__sim/requests" >/dev/null

# ---- the upstream of the runs ---------------------------------------------------------------
if [ "$SIM" = stub ]; then
        mapfile -t stub_args <"$tmp/stub-args"
        "$tmp/upstream_stub" --cert "$tmp/pki/server.pem" --key "$tmp/pki/server.key" --port-file "$tmp/stub.port" \
                --api-key "$SPYKEY" "${stub_args[@]}" 2>"$tmp/stub.err" &
        pids+=($!)
        graph_up=$! spy_up=$!
        wait_file "$tmp/stub.port"
        GP=$(cat "$tmp/stub.port") AP=$GP SP=$GP
        HTOKEN=stub-token
else
        graph_up=$graph_pid spy_up=$spycloud_pid
        HTOKEN=$GTOKEN
fi
start_secrespd bench "https://127.0.0.1:$GP/v1.0/" "https://127.0.0.1:$AP" "https://127.0.0.1:$SP/enterprise-v2/"

results=$tmp/results.jsonl
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
calls() { # "CALLS CONNECTIONS": upstream calls answered and connections accepted so far (the stub's counts)
        if [ "$SIM" = stub ]; then
                sim "https://127.0.0.1:$GP/__stub/counts" | python3 -c '
import json, sys
d = json.load(sys.stdin); k = d.pop("connections"); print(sum(d.values()), k)'
        else
                echo 0 0
        fi
}
hz=$(getconf CLK_TCK)
run() { # NAME CONNS UPSTREAM_PID loadgen-args...
        local name=$1 c=$2 up=$3 j s0 g0 s1 g1 k0 k1 n0 n1 rss
        shift 3
        case " ${RUNS:-all} " in
        *" all "* | *" $name "*) ;;
        *) return 0 ;;
        esac
        if [ "$SIM" = py ]; then # the simulator's request log, not its state
                sim -X DELETE "https://127.0.0.1:$GP/__sim/requests" >/dev/null
                sim -X DELETE "https://127.0.0.1:$SP/__sim/requests" >/dev/null
        fi
        read -r k0 n0 < <(calls)
        s0=$(cpu_ticks "$spid")
        g0=$(cpu_ticks "$up")
        if [ "${PERF:-}" = "$name:$c" ]; then
                perf record -q --call-graph "${PERF_CG:-fp}" -o "${out:-.}/perf.data" -p "$spid" 2>"$tmp/perf.err" &
                ppid=$!
                sleep 0.5
        fi
        j=$("$tmp/loadgen" -c "$c" -n "$N" -t "$SECS" -w $((c * 5)) "$@")
        if [ "${PERF:-}" = "$name:$c" ]; then
                kill -INT "$ppid"
                wait "$ppid" || true
        fi
        s1=$(cpu_ticks "$spid")
        g1=$(cpu_ticks "$up")
        read -r k1 n1 < <(calls)
        rss=$(awk '/^VmRSS:/ {print $2}' /proc/$spid/status)
        # CPU seconds of secrespd and of the upstream over the run (warm-up included)
        printf '{"name": "%s", "conns": %d, "sim": "%s", "rss_kb": %d, "secrespd_cpu_s": %s, "sim_cpu_s": %s, "upstream_calls": %d, "upstream_connections": %d, "result": %s}\n' \
                "$name" "$c" "$SIM" "$rss" "$(awk "BEGIN { printf \"%.2f\", ($s1 - $s0) / $hz }")" \
                "$(awk "BEGIN { printf \"%.2f\", ($g1 - $g0) / $hz }")" "$((k1 - k0))" "$((n1 - n0))" "$j" >>"$results"
        tail -n 1 "$results" | python3 -c '
import json, sys
r = json.load(sys.stdin); x = r["result"]; n = x["requests"] + r["conns"] * 5
calls = " %4.1f calls/req, %d new upstream connections" % (r["upstream_calls"] / n, r["upstream_connections"]) \
    if r["sim"] == "stub" and not r["name"].endswith("-alone") else ""
print("%-19s %3d conns %8.1f req/s  p50 %6.2f ms  p99 %6.2f ms  errors %d  secrespd %5.0f us CPU/req  upstream %5.0f us CPU/req  RSS %5.1f MB%s"
      % (r["name"], r["conns"], x["rps"], x["p50_ms"], x["p99_ms"], x["errors"], 1e6 * r["secrespd_cpu_s"] / n,
         1e6 * r["sim_cpu_s"] / n, r["rss_kb"] / 1024, calls))'
}
echo "upstream: $SIM"
for c in $CONNS; do
        run "graph-alone" "$c" "$graph_up" -s -k "$CA" -p "$GP" -m POST -u /v1.0/security/runHuntingQuery \
                -H "Authorization: Bearer $HTOKEN" -H "Content-Type: application/json" -b "$tmp/query.json" -e '"results"'
done
for c in $CONNS; do
        run "relay-observe-1" "$c" "$graph_up" -p "$RP" -m POST -u /msgraph/observe/observables \
                -H "Authorization: Bearer $JWT" -H "Content-Type: application/json" -b "$tmp/one.json" -e '"sightings"'
done
for c in $CONNS; do
        run "relay-observe-10" "$c" "$graph_up" -p "$RP" -m POST -u /msgraph/observe/observables \
                -H "Authorization: Bearer $JWT" -H "Content-Type: application/json" -b "$tmp/ten.json" -e '"sightings"'
done
for c in $CONNS; do
        run "relay-health" "$c" "$graph_up" -p "$RP" -m POST -u /msgraph/health -H "Authorization: Bearer $JWT" -e '"ok"'
done
for c in $CONNS; do
        run "relay-version" "$c" "$graph_up" -p "$RP" -m POST -u /msgraph/version -e '"version"'
done
for c in $CONNS; do
        run "spycloud-alone" "$c" "$spy_up" -s -k "$CA" -p "$SP" -m GET -u /enterprise-v2/breach/data/emails/admin@example.org \
                -H "X-API-Key: $SPYKEY" -e '"results"'
done
for c in $CONNS; do
        run "spycloud-observe-1" "$c" "$spy_up" -p "$RP" -m POST -u /spycloud/observe/observables \
                -H "Authorization: Bearer $SJWT" -H "Content-Type: application/json" -b "$tmp/spy-one.json" -e '"sightings"'
done
for c in $CONNS; do
        run "spycloud-observe-10" "$c" "$spy_up" -p "$RP" -m POST -u /spycloud/observe/observables \
                -H "Authorization: Bearer $SJWT" -H "Content-Type: application/json" -b "$tmp/spy-ten.json" -e '"sightings"'
done
echo "secrespd: VmHWM $(awk '/^VmHWM:/ {print $2, $3}' /proc/$spid/status), VmRSS $(awk '/^VmRSS:/ {print $2, $3}' /proc/$spid/status)"
echo "captured: $(grep -c -- --hunting-for "$tmp/stub-args") hunting queries, $(grep -c -- --get "$tmp/stub-args") SpyCloud paths"
if [ -n "$out" ]; then
        mkdir -p "$out"
        cp "$results" "$out/relay.jsonl"
fi
