#!/usr/bin/env bash
# The SNA demo (tests/demo/run-sna-demo.sh) keeps working and shows what it
# promises.  TAP.
set -u
top=${top_srcdir:?}
build=${top_builddir:?}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "1..7"
n=0
check() {
        n=$((n + 1))
        if grep -qE -- "$1" "$out"; then echo "ok $n - $2"; else echo "not ok $n - $2"; echo "# no line matches /$1/"; fi
}
if timeout 120 "$top/tests/demo/run-sna-demo.sh" "$build" >"$out" 2>&1; then
        n=$((n + 1)); echo "ok $n - the demo exits 0"
else
        n=$((n + 1)); echo "not ok $n - the demo exits 0"; tail -n 20 "$out" | sed 's/^/# /'
fi
check "^run smc1: ok .* 2 found" "a cycle finds the two inside hosts"
check "tag [0-9]+ 'High Traffic Hosts' INSIDE parent 1 ranges \['10\.0\.0\.5', '192\.168\.1\.20'\]" "the SMC tag holds them"
check "^  10\.0\.0\.5 \{'quarantine': 'yes'" "Secure Workload quarantines them"
check "Secure Endpoint: ws-alice\.corp: rclone\.exe -> 203\.0\.113\.9" "the report is enriched"
check "^applied; the previous settings are saved" "sna setup applies"
check "^  sna:smc1 +sna +idle" "status shows the source"
