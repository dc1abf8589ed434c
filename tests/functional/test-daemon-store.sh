#!/bin/bash
# SPDX-License-Identifier: MIT
# The SQLite store: schema, WAL, audit rows; a database from a newer version
# and corrupt databases are refused, with a clear error, and left untouched.
. "$(dirname "$0")/lib.sh"

plan 30

journal_require
notify_start
command -v sqlite3 >/dev/null || bail_out "sqlite3 CLI missing (apt-get install sqlite3)"

make_conf "$T/secrespd.conf"
good_conf=$CONF
good_db=$DB
start_ready "$CONF"
run ctl whitelist add user store-test --days 1 --reason "store test"
is "$RUN_RC" 0 "a whitelist entry is added"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "SIGTERM: exit 0"

# ---- schema ----------------------------------------------------------------------------------
uv=$(sqlite3 "$DB" 'pragma user_version' 2>&1)
cmp_num "$uv" -ge 1 "the schema is versioned with PRAGMA user_version ($uv)"
is "$(sqlite3 "$DB" 'pragma journal_mode' 2>&1)" wal "the database is in WAL mode"
is "$(sqlite3 "$DB" 'pragma quick_check' 2>&1)" ok "quick_check: ok"
missing=
for t in entities blocks whitelist scores static_dst events; do
        [ "$(sqlite3 "$DB" "select count(*) from sqlite_master where type = 'table' and name = '$t'")" = 1 ] ||
                missing="$missing $t"
done
is "${missing# }" "" "the tables of ARCHITECTURE.md exist (entities blocks whitelist scores static_dst events)"
like "$(sqlite3 "$DB" '.dump events' 2>&1)" 'store-test' "the whitelist add is audited in events"
like "$(sqlite3 "$DB" '.dump whitelist' 2>&1)" 'store-test' "the entry is in the whitelist table"

# A restart on the same database migrates nothing and keeps the data.
start_ready "$CONF"
ok "restart on an existing database: READY=1" daemon_alive
like "$(ctl whitelist list 2>&1)" 'store-test' "restart: the entry is still listed"
stop_daemon TERM 5
is "$(sqlite3 "$DB" 'pragma user_version' 2>&1)" "$uv" "restart: user_version unchanged"

# refused_db NAME : starts the daemon on $T/NAME/secresp.db (prepared by the
# caller) and checks it is refused, untouched, with a message matching ERE.
refused_db() {
        local name=$1 ere=$2 dir=$T/$1 sum0 sum1 ino0 ino1 msgs
        sum0=$(sha256sum <"$dir/secresp.db")
        ino0=$(stat -c %i "$dir/secresp.db")
        make_conf "$T/$name.conf"
        sed -i "s|^state_directory = .*|state_directory = \"$dir\";|" "$T/$name.conf"
        start_daemon "$T/$name.conf"
        if wait_daemon_exit 10; then
                isnt "$DAEMON_RC" 0 "$name: the daemon refuses to start (exit $DAEMON_RC)"
        else
                fail "$name: the daemon refuses to start" "still running after 10 s"
                stop_daemon KILL 2
        fi
        is "$(notify_count 'READY=1')" 0 "$name: no READY=1"
        sleep 0.2 # let journald store the last entries
        msgs="$(cat "$DAEMON_ERR")
$(journal_query _PID="$DAEMON_PID" | "$PY" -c '
import json, sys
for l in sys.stdin:
    print(json.loads(l).get("MESSAGE"))')"
        like "$msgs" "$ere" "$name: a clear error is logged"
        sum1=$(sha256sum <"$dir/secresp.db")
        ino1=$(stat -c %i "$dir/secresp.db")
        is "$sum1" "$sum0" "$name: the database file is unchanged (sha256)"
        is "$ino1" "$ino0" "$name: the database file was not replaced"
}

# ---- a database from a newer version -----------------------------------------------------------
mkdir -p "$T/newer"
cp "$good_db" "$T/newer/secresp.db"
sqlite3 "$T/newer/secresp.db" "pragma user_version = $((uv + 100))"
is "$(sqlite3 "$T/newer/secresp.db" 'pragma user_version')" $((uv + 100)) "newer: test database prepared"
refused_db newer '[Vv]ersion|newer'

# ---- not a database at all ---------------------------------------------------------------------
mkdir -p "$T/garbage"
head -c 65536 /dev/urandom >"$T/garbage/secresp.db"
refused_db garbage "[Cc]orrupt|[Dd]amaged|not a database|malformed|integrity|quick_check"

# ---- a damaged page (the whitelist table's root page) ---------------------------------------------
mkdir -p "$T/damaged"
cp "$good_db" "$T/damaged/secresp.db"
rp=$(sqlite3 "$T/damaged/secresp.db" "select rootpage from sqlite_master where name = 'whitelist'")
ps=$(sqlite3 "$T/damaged/secresp.db" 'pragma page_size')
"$PY" -c '
import sys
f = open(sys.argv[1], "r+b"); f.seek((int(sys.argv[2]) - 1) * int(sys.argv[3]))
f.write(b"\xff" * int(sys.argv[3]))' "$T/damaged/secresp.db" "$rp" "$ps"
isnt "$(sqlite3 "$T/damaged/secresp.db" 'pragma quick_check' 2>&1)" ok "damaged: quick_check fails on the test database"
refused_db damaged "[Cc]orrupt|[Dd]amaged|malformed|integrity|quick_check"

# The good database still works after all this.
start_ready "$good_conf"
pass "the good database: READY=1"
stop_daemon TERM 5
is "$DAEMON_RC" 0 "... and SIGTERM exits 0"
