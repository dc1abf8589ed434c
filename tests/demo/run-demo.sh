#!/usr/bin/env bash
# The demo: secrespd on etc/demo.conf, driven by secrespctl, narrated.
# Usage: run-demo.sh BUILDDIR   (./quickstart demo calls it)
set -euo pipefail

build=$(cd "${1:?usage: run-demo.sh BUILDDIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
demo="$build/demo-run"
conf="$demo/secrespd.conf"
sock="$demo/run/control.sock"
log="$demo/secrespd.log"

bold=$(tput bold 2>/dev/null || true); plain=$(tput sgr0 2>/dev/null || true)
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '%s$ %s%s\n' "$bold" "$*" "$plain"; "$@" || true; }
ctl() { run "$build/secrespctl" -s "$sock" "$@"; }

rm -rf "$demo"
mkdir -p "$demo"
sed "s|@DEMO_DIR@|$demo|g" "$top/etc/demo.conf" > "$conf"

pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; true; }
trap cleanup EXIT

step "Check the configuration and print it normalised (secrets would be masked)"
run "$build/secrespd" -n -v -c "$conf"

step "Start secrespd in the foreground (its log: $log)"
"$build/secrespd" -f -c "$conf" 2> >(sed 's/^/    [secrespd] /' | tee "$log" >&2) &
pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "secrespd did not start"; exit 1; }

step "What is it doing?"
ctl status

step "Whitelist a subnet for a pentest, a user the original way, and a domain for 4 seconds"
ctl whitelist add host 10.20.0.0/24 --days 7 --reason "pentest window"
ctl whitelist --user alice
ctl whitelist add destination Updates.Example.COM. --expires 4s --reason "vendor update"
ctl whitelist add host 10.20.0.7/24
ctl wh l

step "Wait for the short entry to expire (the sweep removes it and logs WL_EXPIRED)"
sleep 5
ctl whitelist list
ctl --json whitelist list user

step "A bad configuration on reload is refused, the running one kept"
cp "$conf" "$conf.good"
printf 'whitelist: { default_expiry = "forever"; };\n' >> "$conf"
ctl reload
cp "$conf.good" "$conf"
ctl reload

step "Status again, for scripts"
ctl --json status

step "Stop: SIGTERM, blocks and the whitelist stay in the database"
kill -TERM "$pid"; wait "$pid" || true; pid=
run sqlite3 "$demo/state/secresp.db" "SELECT at, actor, action, kind, value, result FROM events ORDER BY id"
printf '\nDemo done. The database is %s.\n' "$demo/state/secresp.db"
