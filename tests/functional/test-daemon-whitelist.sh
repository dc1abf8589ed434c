#!/bin/bash
# SPDX-License-Identifier: MIT
# Whitelist through secrespctl: expiry, listing, restart, sweeping (by the
# timer and at start-up), duplicates, normalisation and refusals.
. "$(dirname "$0")/lib.sh"

plan 47

journal_require
notify_start

make_conf "$T/fast.conf" 'whitelist: { sweep_interval = "1s"; };'
fast=$CONF
make_conf "$T/slow.conf" 'whitelist: { sweep_interval = "1h"; };'
slow=$CONF

# wl_json : the whole list as JSON in WL (secrespctl --json whitelist list)
wl_json() {
        WL=$(ctl --json whitelist list 2>"$T/wl.err") || {
                WL='[]'
                return 1
        }
}
# wl_get KIND VALUE EXPR : EXPR on the entry `e` (None when absent)
wl_get() {
        printf '%s' "$WL" | pyj '
(lambda m: (lambda e: '"$3"')(m[0]) if m else None)(
    [e for e in d if e.get("kind") == "'"$1"'" and e.get("value") == "'"$2"'"])'
}
wl_has() { wl_json && [ "$(wl_get "$1" "$2" 'True')" = true ]; }
# wl_absent KIND VALUE : the list could be read and has no such entry
wl_absent() { wl_json && [ "$(wl_get "$1" "$2" 'True')" = null ]; }
wl_count() { sqlite3 "$DB" 'select count(*) from whitelist' 2>&1; }
# expiry_in KIND VALUE : seconds from now to the entry's expires_at
expiry_in() { wl_get "$1" "$2" 'epoch(e.get("expires_at")) - '"$(date +%s)"; }
# near A B TOL DESC : |A - B| <= TOL
near() {
        if [[ "$1" =~ ^-?[0-9]+$ ]] && (($1 - $2 <= $3 && $2 - $1 <= $3)); then
                pass "$4"
        else
                fail "$4" "got '$1', expected $2 +- $3"
        fi
}

start_ready "$fast"

# ---- add, list --------------------------------------------------------------------
run ctl whitelist add user alice --days 3 --reason "on holiday"
is "$RUN_RC" 0 "add user alice --days 3 --reason: exit 0"
ok "--json whitelist list exits 0" wl_json
is "$(printf '%s' "$WL" | pyj 'type(d).__name__')" list "--json whitelist list is a JSON array"
is "$(printf '%s' "$WL" | pyj 'bool(d) and all(k in d[0] for k in
        ("kind", "value", "created_at", "expires_at", "reason", "created_by"))')" true \
        "entries have kind, value, created_at, expires_at, reason, created_by"
near "$(expiry_in user alice)" $((3 * 86400)) 120 "alice expires in 3 days"
is "$(wl_get user alice 'e["reason"]')" "on holiday" "the reason is kept"
is "$(wl_get user alice 'e["created_by"]')" root "created_by is the peer's user name"
near "$(wl_get user alice 'epoch(e["created_at"])')" "$(date +%s)" 120 "created_at is now"

run ctl whitelist list
is "$RUN_RC" 0 "whitelist list (table) exits 0"
like "$RUN_OUT" 'alice' "the table lists alice"

run ctl whitelist --user bob
is "$RUN_RC" 0 "the original tool's 'whitelist --user bob': exit 0"
wl_json
near "$(expiry_in user bob)" $((30 * 86400)) 120 "whitelist --user: 30 days by default"

run ctl whitelist add account svc-backup --permanent
is "$RUN_RC" 0 "add account --permanent: exit 0"
wl_json
is "$(wl_get account svc-backup 'epoch(e.get("expires_at")) is None')" true "--permanent: listed with no expires_at"

# ---- normalisation and refusals -----------------------------------------------------
ctl whitelist add host 10.0.0.5/32 >/dev/null 2>&1
ctl whitelist add destination 2001:DB8::1 >/dev/null 2>&1
ctl whitelist add destination Example.COM >/dev/null 2>&1
ctl whitelist add host 192.168.10.0/24 >/dev/null 2>&1
wl_json
is "$(wl_get host 10.0.0.5 'e["value"]')" 10.0.0.5 "host 10.0.0.5/32 is stored as 10.0.0.5"
is "$(wl_get destination 2001:db8::1 'e["value"]')" 2001:db8::1 "destination 2001:DB8::1 is stored as 2001:db8::1"
is "$(wl_get destination example.com 'e["value"]')" example.com "destination Example.COM is stored lower-case"
is "$(wl_get host 192.168.10.0/24 'e["value"]')" 192.168.10.0/24 "a CIDR stays a CIDR"

run ctl whitelist list user
like "$RUN_OUT" alice "whitelist list user shows users"
unlike "$RUN_OUT" '10\.0\.0\.5|example\.com' "whitelist list user hides other kinds"

n0=$(wl_count)
run ctl whitelist add host 10.0.0.0/33
is "$RUN_RC" 1 "host 10.0.0.0/33 is refused with exit 1"
run ctl whitelist add destination 'exa mple!.com'
is "$RUN_RC" 1 "destination 'exa mple!.com' is refused with exit 1"
is "$(wl_count)" "$n0" "refused values add no row"

# ---- duplicates ----------------------------------------------------------------------
run ctl whitelist add user alice --days 10
is "$RUN_RC" 0 "adding alice again: exit 0"
is "$(wl_count)" "$n0" "a duplicate adds no row (sqlite3 count(*))"
wl_json
near "$(expiry_in user alice)" $((10 * 86400)) 120 "a duplicate updates the expiry to 10 days"
run ctl whitelist add host 10.0.0.5 --days 1
is "$(wl_count)" "$n0" "10.0.0.5 and 10.0.0.5/32 are the same entry"

# ---- remove -------------------------------------------------------------------------------
run ctl whitelist remove user bob
is "$RUN_RC" 0 "remove user bob: exit 0"
ok "bob is no longer listed" wl_absent user bob
is "$(wl_count)" $((n0 - 1)) "remove deletes the row"

# ---- survives a restart ------------------------------------------------------------------
alice_exp=$(wl_get user alice 'epoch(e["expires_at"])')
stop_daemon TERM 5
is "$DAEMON_RC" 0 "stop: exit 0"
start_ready "$fast"
ok "after a restart: list exits 0" wl_json
is "$(wl_get user alice 'epoch(e["expires_at"])')" "$alice_exp" "after a restart: alice is listed with the same expiry"
is "$(wl_get destination example.com 'e["value"]')" example.com "after a restart: example.com is listed"

# ---- short expiry, swept by the timer ----------------------------------------------------------
run ctl whitelist add host 10.9.9.9 --expires 2s --reason "short"
is "$RUN_RC" 0 "add host 10.9.9.9 --expires 2s: exit 0"
t0=$(now_ms)
ok "10.9.9.9 is listed right after the add" wl_has host 10.9.9.9
if wait_until 8 wl_absent host 10.9.9.9; then
        pass "10.9.9.9 is swept after it expires"
        cmp_num $(($(now_ms) - t0)) -le 5000 "... within 5 s of the add (2 s expiry + 1 s sweep interval)"
else
        fail "10.9.9.9 is swept after it expires"
        fail "... within 5 s of the add (2 s expiry + 1 s sweep interval)"
fi
if journal_wait 3 MESSAGE_ID="$MSGID_WL_EXPIRED" _PID="$DAEMON_PID"; then
        like "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_ENTITY)" '10\.9\.9\.9' \
                "journald: WL_EXPIRED entry with SECRESP_ENTITY 10.9.9.9"
else
        fail "journald: WL_EXPIRED entry with SECRESP_ENTITY 10.9.9.9" "no WL_EXPIRED entry"
fi
like "$(sqlite3 "$DB" '.dump events' 2>&1)" '10\.9\.9\.9' "the expiry is audited in the events table"
ok "alice (not expired) survives the sweep" wl_has user alice

# ---- expired while the daemon was down ------------------------------------------------------
stop_daemon TERM 5
start_ready "$slow"
run ctl whitelist add host 10.8.8.8 --expires 2s
t0=$(now_ms)
ok "slow sweep: 10.8.8.8 added and listed" wl_has host 10.8.8.8
stop_daemon TERM 5
is "$DAEMON_RC" 0 "stopped before 10.8.8.8 expires"
# Wait (daemon down) until the entry is expired.
while [ $(($(now_ms) - t0)) -lt 3100 ]; do sleep 0.1; done
start_ready "$slow"
# The sweep timer is 1 h away: only the start-up sweep can remove it.
ok "an entry that expired while the daemon was down is gone at start" wl_absent host 10.8.8.8
if journal_wait 3 MESSAGE_ID="$MSGID_WL_EXPIRED" _PID="$DAEMON_PID"; then
        like "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_ENTITY)" '10\.8\.8\.8' \
                "journald: WL_EXPIRED for 10.8.8.8 at start-up"
else
        fail "journald: WL_EXPIRED for 10.8.8.8 at start-up" "no WL_EXPIRED entry from pid $DAEMON_PID"
fi
is "$(wl_get user alice 'e["value"]')" alice "the start-up sweep keeps live entries"

stop_daemon TERM 5
is "$DAEMON_RC" 0 "final stop: exit 0"
