#!/usr/bin/env bash
# The README's first command must keep working: run the demo script on this
# build and check that it shows what it promises (blocks, write-back,
# unblocks, whitelist, relay answers, SNA host group, Umbrella scores and
# VPN groups, status).  TAP.
set -u
top=${top_srcdir:?}
build=${top_builddir:?}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "1..15"
n=0
check() {
        n=$((n + 1))
        if grep -qE -- "$1" "$out"; then echo "ok $n - $2"; else echo "not ok $n - $2"; echo "# no line matches /$1/"; fi
}
if timeout 120 "$top/tests/demo/run-demo.sh" "$build" >"$out" 2>&1; then
        n=$((n + 1)); echo "ok $n - the demo exits 0"
else
        n=$((n + 1)); echo "not ok $n - the demo exits 0"; tail -n 20 "$out" | sed 's/^/# /'
fi
check '^run brain1: ok .* [1-9][0-9]* blocked' "a Vectra cycle blocks hosts"
check "VAR ID:External Call Client:10\.0\.0\.1" "VAR's tags are written back"
check "VAR: Blocked on " "VAR's notes are written"
check "^run brain1: ok .* [1-9][0-9]* unblocked" "the next cycle unblocks the untagged host"
check "host +10\.0\.0\.4 +demo-fw +unblocked +.*whitelisted by" "whitelisting unblocks at once"
check "^  vectra:brain1 +vectra +idle" "status explains the source"
check "relay answer: [1-9][0-9]* sightings, [1-9][0-9]* indicators" "the SpyCloud relay answers with sightings and indicators"
check '"code":"authorization error"' "a bad token gets the relay's authorization error"
check "Graph relay answer: [1-9][0-9]* sightings" "the Microsoft Graph relay answers with sightings"
check 'secresp_relay_requests_total\{relay="msgraph",type="msgraph",route="observe",outcome="ok"\} [1-9]' "/metrics counts the relay's answers"
check "SMC host group 'High Traffic Hosts' \(INSIDE\): 10\.0\.0\.5, 192\.168\.1\.20$" "SNA: the inside hosts land in the host group"
check "^carol +27\.50 +Problematic" "Umbrella: a user is scored into a band"
check "^carol\|Problematic$" "Umbrella: the risky user's VPN group is changed in FreeRADIUS"
check "^alice +80\.00 +Dangerous .* yes " "Umbrella: a whitelisted user is scored and marked"
