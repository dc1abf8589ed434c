# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the Umbrella end-to-end tests (tests/functional/test-umbrella-*.sh,
# mk/umbrella.am): the real secrespd against tests/sim/umbrella_sim.py, with
# a radius_group responder on a FreeRADIUS SQLite database.  Sourced after
# lib.sh; the helpers assert nothing.
#
#   usim_start STATE.json [SIM_ARGS...]  USIM_URL, USIM_PORT (reports 302 to http://localhost:PORT)
#   usim_get PATH | usim_put PATH JSON | usim_post PATH JSON
#   usim_count KEY                       /__sim/counts[KEY] (0 when absent)
#   usim_risk_asks DOMAIN                Investigate calls for DOMAIN since the last reset
#   radius_init                          $RADIUS_DB: schema + alice, bob, carol, dave, erin
#   radreply USER                        the user's ASA-Member-Of value ("" when no row)
#   uconf [UMBRELLA_SETTINGS] [RESPONDER_SETTINGS] [TOP_LINES...]
#   urun                                 secrespctl -j run umbrella: RUN_RC, RUN_OUT
#   dbq SQL | ustate USER | wait_cycles N

UDIR=$top_srcdir/tests/functional/umbrella
RADIUS_DB=$T/radius.db
USIM_URL=
USIM_PORT=
DAEMON_ENV=("umb_reporting_key=umb-key" "umb_reporting_secret=umb-secret")

u_require() {
        command -v sqlite3 >/dev/null || bail_out "sqlite3 (the CLI) is needed"
        command -v curl >/dev/null || bail_out "curl is needed"
        journal_require
}

usim_start() {
        local state=$1
        shift
        rm -f "$T/usim.port"
        "$PY" "$top_srcdir/tests/sim/umbrella_sim.py" --state "$state" --port-file "$T/usim.port" \
                --log "$T/usim.jsonl" --redirect "$@" >"$T/usim.out" 2>"$T/usim.err" </dev/null &
        track_pid $!
        if ! wait_until 15 test -s "$T/usim.port"; then
                bail_out "umbrella_sim.py did not start: $(tail -n 3 "$T/usim.err" | tr '\n' ' ')"
        fi
        USIM_PORT=$(cat "$T/usim.port")
        USIM_URL=http://127.0.0.1:$USIM_PORT
}

_usim() {
        local m=$1 p=$2
        if [ $# -ge 3 ]; then
                curl -sS -f -m 20 -X "$m" -H 'Content-Type: application/json' --data-binary "$3" "$USIM_URL$p"
        else
                curl -sS -f -m 20 -X "$m" "$USIM_URL$p"
        fi
}
usim_get() { _usim GET "$1"; }
usim_put() { _usim PUT "$1" "$2"; }
usim_post() { _usim POST "$1" "$2"; }
usim_count() { usim_get /__sim/counts | pyj "d.get('$1', 0)"; }
usim_risk_asks() { usim_get /__sim/counts | pyj "d['risk_domains'].get('$1', 0)"; }

# The users of the scenarios: radcheck rows, their Umbrella labels (gina
# has two devices), and an ASA-Member-Of reply for all but erin.
radius_init() {
        rm -f "$RADIUS_DB"
        sqlite3 "$RADIUS_DB" <"$UDIR/radius-sqlite.sql" || bail_out "cannot create $RADIUS_DB"
        sqlite3 "$RADIUS_DB" "
INSERT INTO radcheck (id, username, attribute, op, value) VALUES
  (1, 'alice', 'Cleartext-Password', ':=', 'x'), (2, 'bob', 'Cleartext-Password', ':=', 'x'),
  (3, 'carol', 'Cleartext-Password', ':=', 'x'), (4, 'dave', 'Cleartext-Password', ':=', 'x'),
  (5, 'erin', 'Cleartext-Password', ':=', 'x'), (6, 'gina', 'Cleartext-Password', ':=', 'x');
INSERT INTO users_identity (radcheck_id, umbrella_label, whitelisted_from) VALUES
  (1, 'PC-ALICE', NULL), (2, 'PC-BOB', NULL), (3, 'PC-CAROL', NULL),
  (4, 'PC-DAVE', date('now', '-2 days')), (5, 'PC-ERIN', NULL), (6, 'PC-GINA1', NULL), (6, 'PC-GINA2', NULL);
INSERT INTO radreply (username, attribute, op, value) VALUES
  ('alice', 'ASA-Member-Of', '=', 'Safe'), ('bob', 'ASA-Member-Of', '=', 'Safe'),
  ('carol', 'ASA-Member-Of', '=', 'Safe'), ('dave', 'ASA-Member-Of', '=', 'Safe'),
  ('gina', 'ASA-Member-Of', '=', 'Safe'),
  ('bob', 'Framed-IP-Address', '=', '10.8.0.2');" || bail_out "cannot fill $RADIUS_DB"
}

radreply() {
        sqlite3 -batch -noheader -cmd '.timeout 5000' "$RADIUS_DB" \
                "SELECT value FROM radreply WHERE username = '$1' AND attribute = 'ASA-Member-Of'"
}

# uconf [UMBRELLA_SETTINGS] [RESPONDER_SETTINGS] [TOP_LINES...]: the
# defaults below, each left out when UMBRELLA_SETTINGS sets it
uconf() {
        local u=${1:-} r=${2:-} d='' k v
        shift 2 2>/dev/null || shift $#
        for k in token_url reports_url investigate_url radius_database redirect_domains interval; do
                case "$u" in *"$k ="*) continue ;; esac
                case $k in
                token_url) v="\"$USIM_URL/auth/v2/token\"" ;;
                reports_url) v="\"$USIM_URL/reports/v2\"" ;;
                investigate_url) v="\"$USIM_URL/investigate/v2/domains/risk-score/\"" ;;
                radius_database) v="\"$RADIUS_DB\"" ;;
                redirect_domains) v='[ "localhost" ]' ;;
                interval) v='"1h"' ;;
                esac
                d="$d  $k = $v;
"
        done
        make_conf "$T/secrespd.conf" \
                "responders = ( { name = \"vpn\"; type = \"radius_group\"; database = \"$RADIUS_DB\"; $r } );" \
                "umbrella = {
  enabled = true;
$d  $u
};" "$@"
}

urun() { run ctl -j run umbrella; }

dbq() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$DB" "$1"; }

# ustate USER : the state of the user's block row on "vpn" ("" when none)
ustate() {
        dbq "SELECT b.state FROM blocks b JOIN entities e ON e.id = b.entity_id
             WHERE e.kind = 'user' AND e.value = '$1' AND b.responder = 'vpn'"
}

_cycles_ge() { [ "$(dbq 'SELECT count(*) FROM cycles' 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_cycles() { wait_until "${2:-20}" _cycles_ge "$1"; }
jget() { printf '%s' "$1" | pyj "$2" 2>/dev/null; }
