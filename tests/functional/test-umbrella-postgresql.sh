#!/bin/bash
# SPDX-License-Identifier: MIT
# Umbrella end-to-end on a FreeRADIUS database in a real PostgreSQL server
# (the original's engine), started by this test as a throw-away cluster
# owned by an unprivileged user, reached over a Unix socket with a
# password (scram-sha-256) given as env:db_pass: the users and their
# whitelist come from PostgreSQL (users_identity with SQL.md's
# whitelist_from column), and radius_group writes the groups there.
# Skipped, visibly, when secrespd was built without --with-postgresql.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/umbrella/e2e.sh"

if ! grep -q '^#define HAVE_POSTGRESQL 1' "$top_builddir/config.h" 2>/dev/null; then
        skip_all "secrespd was built without PostgreSQL (configure --with-postgresql)"
fi
plan 14
u_require
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || bail_out "no PostgreSQL server (Debian package postgresql) in /usr/lib/postgresql"
command -v psql >/dev/null || bail_out "psql is needed (Debian package postgresql-client)"
PGUSER_OS=nobody
id "$PGUSER_OS" >/dev/null 2>&1 || bail_out "no user '$PGUSER_OS' to run PostgreSQL as"

# ---- a cluster of our own: $T/pg, owned by nobody, no TCP, a socket in $T/pg
chmod 711 "$T"
PG=$T/pg
mkdir -p "$PG"
chown "$PGUSER_OS" "$PG"
as_pg() {
        if [ "$(id -u)" -eq 0 ]; then
                setpriv --reuid="$PGUSER_OS" --regid="$(id -g "$PGUSER_OS")" --clear-groups -- "$@"
        else
                "$@"
        fi
}
as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres --auth=trust -E UTF8 >"$T/initdb.out" 2>&1 ||
        bail_out "initdb failed: $(tail -n 3 "$T/initdb.out" | tr '\n' ' ')"
printf 'local all postgres trust\nlocal all all scram-sha-256\n' >"$PG/data/pg_hba.conf"
as_pg "$PGBIN/postgres" -D "$PG/data" -k "$PG" -c listen_addresses= -c port=5432 -c fsync=off \
        >"$T/postgres.out" 2>&1 </dev/null &
track_pid $!
wait_until 30 test -S "$PG/.s.PGSQL.5432" || bail_out "postgres did not start: $(tail -n 3 "$T/postgres.out" | tr '\n' ' ')"
psqlx() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG" -p 5432 -U postgres "$@"; }
wait_until 30 psqlx -d postgres -c 'SELECT 1' >/dev/null 2>&1 || bail_out "postgres does not answer"
psqlx -d postgres -c "CREATE ROLE radius LOGIN PASSWORD 'radpass'" >/dev/null &&
        psqlx -d postgres -c "CREATE DATABASE radius" >/dev/null &&
        psqlx -d radius -f "$UDIR/radius-postgresql.sql" >/dev/null || bail_out "cannot create the radius database"
pass "a PostgreSQL cluster of our own, as $PGUSER_OS"

pgreply() {
        psqlx -d radius -At -c "SELECT value FROM radreply WHERE username = '$1' AND attribute = 'ASA-Member-Of'"
}

usim_start "$UDIR/groups.json"
CONNINFO="host=$PG port=5432 dbname=radius user=radius"
uconf "radius_backend = \"postgresql\"; radius_conninfo = \"$CONNINFO\"; radius_password = \"env:db_pass\"; radius_database = \"/nonexistent\";" \
        "backend = \"postgresql\"; conninfo = \"$CONNINFO\"; password = \"env:db_pass\";"
DAEMON_ENV=("umb_reporting_key=umb-key" "umb_reporting_secret=umb-secret" "db_pass=radpass")
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 30
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: ok"
is "$(pgreply alice)" Dangerous "postgresql: alice Dangerous"
is "$(pgreply bob)" Safe "postgresql: bob Safe"
is "$(pgreply carol)" Problematic "postgresql: carol Problematic"
is "$(pgreply dave)" Safe "postgresql: dave, whitelisted two days ago (whitelist_from), not moved"
is "$(dbq "SELECT whitelisted FROM scores WHERE user = 'dave'")" 1 "dave scored and marked whitelisted"
is "$(dbq "SELECT whitelisted FROM scores WHERE user = 'erin'")" 0 "erin's 40-day-old whitelisting has expired (30 days)"
is "$(ustate erin)" failed "erin (no radreply row): reported"
run ctl -j blocks --value erin
like "$(jget "$RUN_OUT" 'd[0]["last_error"]')" "user 'erin' has no 'ASA-Member-Of' row in radreply" \
        "erin: the error names the missing row"

usim_put /__sim/activity/101 '[{"domain": "calm.example", "categories": [108]}]' >/dev/null
urun
is "$(pgreply alice)" Safe "alice cleaned up: back to Safe in PostgreSQL"
unlike "$(journal_query | tr -d '\n')" "radpass" "the database password is never logged"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
