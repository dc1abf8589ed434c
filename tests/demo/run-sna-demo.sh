#!/usr/bin/env bash
# The SNA demo (issue 6): secrespd watches a simulated Secure Network
# Analytics SMC for High Total Traffic, puts the inside hosts into an SMC
# host group and quarantines them in Secure Workload, and posts an
# enriched report to a Webex room; then `secrespctl sna setup`.  About 20 s.
# Usage: run-sna-demo.sh BUILDDIR
set -euo pipefail

build=$(cd "${1:?usage: run-sna-demo.sh BUILDDIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
demo="$build/demo-sna-run"
conf="$demo/secrespd.conf"
sock="$demo/run/control.sock"
export DEMO_SNA_PASSWORD=C1sco12345 DEMO_WEBEX_TOKEN=webex-bot-token DEMO_INV_TOKEN=inv-token \
        DEMO_AMP_KEY=amp-key DEMO_CSW_SECRET=csw-secret

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; "$@" || true; }
ctl() { run "$build/secrespctl" -s "$sock" "$@"; }
get() { python3 -c 'import json, sys, urllib.request
print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1], timeout=10))))' "$1"; }

rm -rf "$demo"
mkdir -p "$demo"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start() { # NAME SCRIPT ARGS... : the URL in $url
        local name=$1 script=$2
        shift 2
        python3 "$top/tests/sim/$script" --port-file "$demo/$name.port" --log "$demo/$name.jsonl" "$@" \
                >"$demo/$name.out" 2>"$demo/$name.log" </dev/null &
        pids+=($!)
        for _ in $(seq 100); do [ -s "$demo/$name.port" ] && break; sleep 0.1; done
        [ -s "$demo/$name.port" ] || { echo "$script did not start"; exit 1; }
        url="http://127.0.0.1:$(cat "$demo/$name.port")"
}

step "Start the simulators: the SMC, Webex, Umbrella Investigate, Secure Endpoint, Secure Workload"
start sna sna_sim.py --state "$top/tests/demo/sna-events.json"
sna_url=$url
start webex webex_sim.py --token webex-bot-token
webex_url=$url
echo '{"ips": {"203.0.113.9": ["bad.example"]}, "domains": {"bad.example": {"status": -1, "security_categories": ["Malware"]}}}' \
        >"$demo/inv-state.json"
start investigate investigate_sim.py --token inv-token --state "$demo/inv-state.json"
inv_url=$url
echo '{"computers": [{"connector_guid": "aaaa-1111", "hostname": "ws-alice.corp", "network_addresses": [{"ip": "10.0.0.5"}]}],
  "trajectories": {"aaaa-1111": [{"network_info": {"remote_ip": "203.0.113.9", "parent": {"file_name": "rclone.exe"}}}]}}' \
        >"$demo/amp-state.json"
start amp secure_endpoint_sim.py --state "$demo/amp-state.json"
amp_url=$url
start csw secure_workload_sim.py --api-key csw-key --api-secret csw-secret
csw_url=$url
echo "  SMC on $sna_url"
sed -e "s|@DEMO_DIR@|$demo|g" -e "s|@SNA_URL@|$sna_url|g" -e "s|@WEBEX_URL@|$webex_url|g" \
        -e "s|@INV_URL@|$inv_url|g" -e "s|@AMP_URL@|$amp_url|g" -e "s|@CSW_URL@|$csw_url|g" \
        "$top/etc/demo-sna.conf" >"$conf"

step "Start secrespd"
"$build/secrespd" -f -c "$conf" 2> >(sed 's/^/    [secrespd] /' >"$demo/secrespd.log") &
pids+=($!)
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "secrespd did not start"; exit 1; }

step "A cycle: High Total Traffic events of the last hour; inside hosts only, from both sides"
ctl run smc1
ctl blocks

step "The SMC's host group, created INSIDE under Inside Hosts (no sendToCta)"
get "$sna_url/__sim/state" | python3 -c 'import json, sys
for t in json.load(sys.stdin)["tags"]["132"]:
    if t["name"] == "High Traffic Hosts":
        print("  tag %d %r %s parent %s ranges %s" % (t["id"], t["name"], t["location"], t["parentId"], t["ranges"]))'

step "Secure Workload: the same hosts annotated quarantine=yes (every request HMAC-signed)"
get "$csw_url/__sim/state" | python3 -c 'import json, sys
d = json.load(sys.stdin)
for ip, a in sorted(d["tags"].get("Default", {}).items()):
    print("  %s %s" % (ip, a))
print("  signatures refused: %d" % d["rejected"])'

step "The Webex report, enriched by Secure Endpoint and Umbrella Investigate"
for _ in $(seq 100); do
        [ "$(get "$webex_url/__sim/state" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["messages"]))')" -ge 1 ] && break
        sleep 0.1
done
get "$webex_url/__sim/state" | python3 -c 'import json, sys
for m in json.load(sys.stdin)["messages"]:
    print("  " + m["markdown"].replace("\n", "\n  "))'

step "Lab setup: enable High Total Traffic with low thresholds (dry run, then for real)"
ctl sna setup 16 --dry-run
ctl sna setup 16

step "Status"
ctl status
