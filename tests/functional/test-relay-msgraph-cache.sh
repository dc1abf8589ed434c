#!/bin/bash
# SPDX-License-Identifier: MIT
# The Graph relay's response cache (cache_ttl): a burst of lookups of the
# same observable by the same application asks Graph (and Azure AD) once,
# which keeps a tenant under its advanced-hunting quota; another
# application is never served the first one's answer; a failed answer is
# not kept; the hits show in /metrics and in status.
. "$(dirname "$0")/lib.sh"

plan 10

SIM_DIR=$top_srcdir/tests/sim
MKTOKEN=$FUNC_DIR/relay/mktoken.py
LOG_TARGET=stderr
T1=11111111-1111-1111-1111-111111111111
T2=22222222-2222-2222-2222-222222222222
SECRET=graph-cache-test-secret

start_sim() { # NAME SCRIPT ARGS...
        local name=$1 script=$2
        shift 2
        "$PY" "$SIM_DIR/$script" --port-file "$T/$name.port" --log "$T/$name.log" "$@" 2>"$T/$name.err" &
        track_pid $!
        wait_until 10 test -s "$T/$name.port" || bail_out "$name simulator did not start: $(cat "$T/$name.err")"
}
start_sim azuread azuread_sim.py --token-key tk-test --app "$T1=app-1:s1" --app "$T2=app-2:s2"
start_sim graph msgraph_sim.py --token-key tk-test
AAD=http://127.0.0.1:$(cat "$T/azuread.port")
GRAPH=http://127.0.0.1:$(cat "$T/graph.port")
DAEMON_ENV=("RELAY_SECRET=$SECRET")

make_conf "$T/secrespd.conf" \
        'relay_server: { listen = [ "127.0.0.1:0" ]; };' \
        "relays = ( { name = \"graph\"; type = \"msgraph\"; auth = \"hs256\"; hs256_secret = \"env:RELAY_SECRET\";
    public_url = \"http://relay.test/\"; url = \"$GRAPH/v1.0\"; login_url = \"$AAD\"; cache_ttl = \"1m\"; } );"
start_ready "$CONF"
RP=$(ctl --json status | pyj 'd["relays"][0]["listen"][0].rsplit(":", 1)[1]')
R=http://127.0.0.1:$RP

token() { # TENANT APP SECRET
        "$PY" "$MKTOKEN" --alg HS256 --secret "$SECRET" --exp-in 300 \
                "{\"tenant_id\":\"$1\",\"application_id\":\"$2\",\"client_secret\":\"$3\",\"aud\":\"http://relay.test\"}"
}
observe() { # TOKEN
        curl -s -X POST "$R/msgraph/observe/observables" -H "Authorization: Bearer $1" \
                -H 'Content-Type: application/json' --data '[{"type":"ip","value":"172.16.33.115"}]'
}
hunts() { grep -c 'runHuntingQuery' "$T/graph.log" || true; }
tokens() { grep -c '/oauth2/v2.0/token' "$T/azuread.log" || true; }
noids() { pyj 'json.dumps([{k: v for k, v in x.items() if k != "id"} for x in d["data"]["sightings"]["docs"]], sort_keys=True)'; }

A=$(token "$T1" app-1 s1)
first=$(observe "$A" | noids)
like "$first" '"severity"' "the first lookup finds sightings"
for _ in 1 2 3 4; do observe "$A" >/dev/null; done
is "$(observe "$A" | noids)" "$first" "a cached answer is the same (transient ids aside)"
is "$(hunts)" 1 "six lookups of one observable: one hunting query"
is "$(tokens)" 1 "and one token request"
B=$(token "$T2" app-2 s2)
observe "$B" >/dev/null
is "$(hunts)" 2 "another application is asked for itself"
W=$(token "$T2" app-2 wrong-secret)
observe "$W" >/dev/null
observe "$W" >/dev/null
is "$(hunts)" 2 "a refused credential never reached Graph"
cmp_num "$(tokens)" -ge 3 "a refused token is not cached: asked each time"
run curl -s "$R/metrics"
like "$RUN_OUT" 'secresp_relay_cache_hits_total\{relay="graph",type="msgraph"\} 5' "metrics: five cache hits"
is "$(ctl --json status | pyj 'd["relays"][0]["cache_hits"]')" 5 "status: five cache hits"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
