#!/usr/bin/env bash
# The demo: secrespd on etc/demo.conf against the bundled Vectra simulator,
# driven by secrespctl, narrated.  About half a minute.
# Usage: run-demo.sh BUILDDIR   (./quickstart demo calls it)
set -euo pipefail

build=$(cd "${1:?usage: run-demo.sh BUILDDIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
demo="$build/demo-run"
conf="$demo/secrespd.conf"
sock="$demo/run/control.sock"
log="$demo/secrespd.log"
export DEMO_VECTRA_TOKEN=tok123         # the simulator's legacy API token
export DEMO_RELAY_SECRET=demo-relay-secret
export DEMO_SNA_PASSWORD=C1sco12345     # the SMC simulator's admin password
export umb_reporting_key=umb-key umb_reporting_secret=umb-secret   # the Umbrella simulator's API key

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; "$@" || true; }
ctl() { run "$build/secrespctl" -s "$sock" "$@"; }
sim() { python3 - "$vectra_url" "$@" <<'PY'
import json, sys, urllib.request
base, what = sys.argv[1], sys.argv[2]
def get(p):
    return json.load(urllib.request.urlopen(base + p, timeout=10))
if what == "tags":
    for i in sys.argv[3:]:
        h = get("/__sim/objects/host/" + i)
        print("  host %-3s %-12s %-10s tags=%s" % (i, h["name"], h.get("last_source"), h["tags"]))
elif what == "notes":
    for kind, objs in get("/__sim/notes").items():
        for i, notes in objs.items():
            for n in notes:
                print("  %s %s: %s" % (kind, i, n["note"]))
elif what == "untag":
    h = get("/__sim/objects/host/" + sys.argv[3])
    h["tags"] = [t for t in h["tags"] if t != "vectra_host_block"]
    h = {k: v for k, v in h.items() if not k.startswith("_")}
    req = urllib.request.Request(base + "/__sim/objects/host/" + sys.argv[3], method="PUT",
                                 data=json.dumps(h).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10)
    print("  removed the tag vectra_host_block from host %s" % sys.argv[3])
PY
}

rm -rf "$demo"
mkdir -p "$demo"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

step "Start the bundled Vectra Detect simulator (v2.5 API, a few hosts, groups and detections)"
python3 "$top/tests/sim/vectra_sim.py" --api 2.5 --state "$top/tests/sim/vectra/example-state.json" \
        --port-file "$demo/vectra.port" --log "$demo/vectra-requests.jsonl" 2>"$demo/vectra.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/vectra.port" ] && break; sleep 0.1; done
vectra_url="http://127.0.0.1:$(cat "$demo/vectra.port")"
echo "  listening on $vectra_url"
step "Start the bundled SpyCloud simulator (breach records and catalogs)"
python3 "$top/tests/sim/spycloud_sim.py" --api-key demo-spycloud-key \
        --port-file "$demo/spycloud.port" --log "$demo/spycloud-requests.jsonl" 2>"$demo/spycloud.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/spycloud.port" ] && break; sleep 0.1; done
spycloud_url="http://127.0.0.1:$(cat "$demo/spycloud.port")"
echo "  listening on $spycloud_url"
step "Start the bundled Azure AD and Microsoft Graph simulators (alerts and their evidence)"
python3 "$top/tests/sim/azuread_sim.py" --token-key demo-token-key \
        --app "11111111-1111-1111-1111-111111111111=demo-app:demo-graph-secret" \
        --port-file "$demo/azuread.port" --log "$demo/azuread-requests.jsonl" 2>"$demo/azuread.log" &
pids+=($!)
python3 "$top/tests/sim/msgraph_sim.py" --token-key demo-token-key \
        --port-file "$demo/graph.port" --log "$demo/graph-requests.jsonl" 2>"$demo/graph.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/azuread.port" ] && [ -s "$demo/graph.port" ] && break; sleep 0.1; done
aad_url="http://127.0.0.1:$(cat "$demo/azuread.port")"
graph_url="http://127.0.0.1:$(cat "$demo/graph.port")"
echo "  Azure AD on $aad_url, Graph on $graph_url"
step "Start the bundled Secure Network Analytics simulator, with High Total Traffic events"
python3 "$top/tests/sim/sna_sim.py" --port-file "$demo/sna.port" --log "$demo/sna-requests.jsonl" 2>"$demo/sna.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/sna.port" ] && break; sleep 0.1; done
sna_url="http://127.0.0.1:$(cat "$demo/sna.port")"
curl -s -X POST "$sna_url/__sim/events" -H 'Content-Type: application/json' --data '[
 {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}},
 {"securityEventType": 16, "ageMinutes": 9, "source": {"ipAddress": "8.8.4.4"}, "target": {"ipAddress": "192.168.1.20"}}]' >/dev/null
echo "  listening on $sna_url: 10.0.0.5 and 192.168.1.20 (inside) sent High Total Traffic, 8.8.4.4 is outside"
step "Start the bundled Umbrella simulator and a FreeRADIUS database of VPN users (SQLite)"
python3 "$top/tests/sim/umbrella_sim.py" --state "$top/tests/functional/umbrella/groups.json" --redirect \
        --port-file "$demo/umbrella.port" --log "$demo/umbrella-requests.jsonl" 2>"$demo/umbrella.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/umbrella.port" ] && break; sleep 0.1; done
umbrella_url="http://127.0.0.1:$(cat "$demo/umbrella.port")"
sqlite3 "$demo/radius.db" <"$top/tests/functional/umbrella/radius-sqlite.sql"
sqlite3 "$demo/radius.db" "
INSERT INTO radcheck (id, username, attribute, op, value) VALUES
  (1, 'alice', 'Cleartext-Password', ':=', 'x'), (2, 'bob', 'Cleartext-Password', ':=', 'x'),
  (3, 'carol', 'Cleartext-Password', ':=', 'x');
INSERT INTO users_identity (radcheck_id, umbrella_label, whitelisted_from) VALUES
  (1, 'PC-ALICE', NULL), (2, 'PC-BOB', NULL), (3, 'PC-CAROL', NULL);
INSERT INTO radreply (username, attribute, op, value) VALUES
  ('alice', 'ASA-Member-Of', '=', 'Safe'), ('bob', 'ASA-Member-Of', '=', 'Safe'), ('carol', 'ASA-Member-Of', '=', 'Safe');"
echo "  listening on $umbrella_url; alice, bob and carol are in the VPN group Safe"
sed -e "s|@DEMO_DIR@|$demo|g" -e "s|@TOP@|$top|g" -e "s|@VECTRA_URL@|$vectra_url|g" \
        -e "s|@SPYCLOUD_URL@|$spycloud_url|g" -e "s|@SNA_URL@|$sna_url|g" -e "s|@UMBRELLA_URL@|$umbrella_url|g" \
        -e "s|@GRAPH_URL@|$graph_url|g" -e "s|@AAD_URL@|$aad_url|g" \
        "$top/etc/demo.conf" >"$conf"

step "Check the configuration and print it normalised (the token shows as its reference)"
run "$build/secrespd" -n -v -c "$conf"

step "Start secrespd in the foreground (its log: $log)"
"$build/secrespd" -f -c "$conf" 2> >(sed 's/^/    [secrespd] /' | tee "$log" >&2) &
pids+=($!)
daemon=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "secrespd did not start"; exit 1; }

step "Run a Vectra cycle now: tagged hosts, the Block group and scored hosts are blocked; NoBlock wins"
ctl run brain1
ctl blocks
echo "  the demo firewall now holds:"; sed 's/^/    /' "$demo/firewall.list" 2>/dev/null || true

step "What VAR's contract wrote back to Vectra: marker and VAR ID tags, and notes"
sim tags 1 2 3 4
sim notes

step "The condition goes away (the analyst removes the tag): the next cycle unblocks"
sim untag 1
ctl run brain1
sim tags 1

step "Whitelisting a blocked host unblocks it at once, and it is never blocked again"
ctl whitelist add host 10.0.0.4 --days 7 --reason "CFO laptop, handled by IT"
sleep 1
ctl blocks --value 10.0.0.4
ctl plan brain1

step "The whitelist, the original tool's way too"
ctl whitelist --user alice
ctl whitelist add destination Updates.Example.COM. --expires 4s --reason "vendor update"
ctl whitelist list

step "A bad configuration on reload is refused, the running one kept"
cp "$conf" "$conf.good"
printf 'whitelist: { default_expiry = "forever"; };\n' >>"$conf"
ctl reload
cp "$conf.good" "$conf"

step "Cisco XDR asks the SpyCloud relay about an e-mail address (a JWT-authenticated POST)"
relay_port=$("$build/secrespctl" -s "$sock" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["relays"][0]["listen"][0].rsplit(":", 1)[1])')
token=$(python3 "$top/tests/functional/relay/mktoken.py" --alg HS256 --secret "$DEMO_RELAY_SECRET" --exp-in 300 \
        '{"key": "demo-spycloud-key", "aud": "http://relay.demo/"}')
printf '%s$ curl -X POST http://127.0.0.1:%s/spycloud/observe/observables -H "Authorization: Bearer ..." -d ...%s\n' \
        "$bold" "$relay_port" "$plain"
curl -s -X POST "http://127.0.0.1:$relay_port/spycloud/observe/observables" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data '[{"type": "email", "value": "admin@example.org"}]' |
        python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
print("  relay answer: %d sightings, %d indicators" % (d["sightings"]["count"], d["indicators"]["count"]))
for s in d["sightings"]["docs"][:2]:
    print("    sighting: %s, severity %s, observed %s" % (s["description"], s["severity"], s["observed_time"]["start_time"]))'
printf '%s$ curl -X POST http://127.0.0.1:%s/spycloud/health  (with a bad token)%s\n' "$bold" "$relay_port" "$plain"
curl -s -X POST "http://127.0.0.1:$relay_port/spycloud/health" -H "Authorization: Bearer not.a.token"; echo

step "Cisco XDR asks the Microsoft Graph relay about an IP (the relay gets a token from Azure AD, then hunts)"
token=$(python3 "$top/tests/functional/relay/mktoken.py" --alg HS256 --secret "$DEMO_RELAY_SECRET" --exp-in 300 \
        '{"tenant_id": "11111111-1111-1111-1111-111111111111", "application_id": "demo-app",
          "client_secret": "demo-graph-secret", "aud": "http://relay.demo/"}')
printf '%s$ curl -X POST http://127.0.0.1:%s/msgraph/observe/observables -H "Authorization: Bearer ..." -d ...%s\n' \
        "$bold" "$relay_port" "$plain"
curl -s -X POST "http://127.0.0.1:$relay_port/msgraph/observe/observables" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' --data '[{"type": "ip", "value": "172.16.33.115"}]' |
        python3 -c '
import json, sys
d = json.load(sys.stdin)
s = d.get("data", {}).get("sightings", {"count": 0, "docs": []})
print("  Graph relay answer: %d sightings" % s["count"])
for x in s["docs"][:3]:
    print("    sighting: %s, severity %s, confidence %s" % (x.get("title") or x.get("description"), x["severity"], x["confidence"]))
if "errors" in d:
    print("  errors:", d["errors"])'
printf '%s$ curl http://127.0.0.1:%s/metrics | grep observe%s\n' "$bold" "$relay_port" "$plain"
curl -s "http://127.0.0.1:$relay_port/metrics" | grep -E '^secresp_relay_requests_total.*route="observe",outcome="ok"' | sed 's/^/  /'

step "Secure Network Analytics: the inside hosts with High Total Traffic go into a host group"
ctl run smc1
ctl blocks --responder sna-group
python3 - "$sna_url" <<'PY'
import json, sys, urllib.request
state = json.load(urllib.request.urlopen(sys.argv[1] + "/__sim/state", timeout=10))
for t in state["tags"].get("132", []):
    if t.get("name") == "High Traffic Hosts":
        print("  SMC host group %r (%s): %s" % (t["name"], t.get("location"), ", ".join(t.get("ranges", []))))
PY

step "Umbrella: VPN users scored from their Umbrella activity, risky ones moved to a restricted VPN group (alice, whitelisted above, is scored but never moved)"
ctl run umbrella
ctl scores
run sqlite3 "$demo/radius.db" "SELECT username, value FROM radreply WHERE attribute = 'ASA-Member-Of' ORDER BY username"

step "What secrespd is doing, for people and for scripts"
ctl status
ctl history host 10.0.0.1

step "Stop: SIGTERM; blocks stay in place (they live on the firewall and in the database)"
kill -TERM "$daemon"; wait "$daemon" || true
run sqlite3 "$demo/state/secresp.db" "SELECT e.kind, e.value, b.responder, b.state FROM blocks b JOIN entities e ON e.id = b.entity_id ORDER BY e.value"
printf '\nDemo done. Everything is under %s.\n' "$demo"
