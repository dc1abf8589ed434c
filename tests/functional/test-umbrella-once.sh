#!/bin/bash
# SPDX-License-Identifier: MIT
# Umbrella end-to-end: `secrespd --once --source umbrella` runs one cycle
# and exits with the original scorer's codes: 0 after a good cycle, 101
# when the token call fails, 102 on a non-2xx answer (a persistent 500, a
# redirect to a host the token must not follow), 100 for anything else (a
# malformed answer, no FreeRADIUS database); 78 for an unknown --source.
# No VPN group moves when the cycle fails.  The legacy platform (management
# token endpoint, organization paths, static Investigate token) works too.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/umbrella/e2e.sh"

plan 27
u_require
usim_start "$UDIR/groups.json"
UMB=

# once NAME [FAULTS] [ARGS...] : one `secrespd --once --source umbrella` from
# scratch against a reset simulator and a fresh FreeRADIUS database
once() {
        local name=$1 faults=${2:-}
        shift 2 2>/dev/null || shift $#
        usim_post /__sim/reset '{}' >/dev/null || bail_out "cannot reset the simulator"
        [ -n "$faults" ] && { usim_post /__sim/faults "$faults" >/dev/null || bail_out "cannot set faults"; }
        rm -rf "$T/state" "$T/run"
        radius_init
        uconf "$UMB"
        start_daemon "$CONF" --once --source "${ONCE_SOURCE:-umbrella}" "$@"
        wait_daemon_exit 60 || { kill -KILL "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_RC=timeout; }
        diag "$name: exit $DAEMON_RC"
}

groups() { echo "$(radreply alice),$(radreply bob),$(radreply carol),$(radreply dave)"; }

# ---- a good cycle
once ok
is "$DAEMON_RC" 0 "good cycle: exit 0"
is "$(groups)" Dangerous,Safe,Problematic,Safe "good cycle: the groups written before the exit"
is "$(dbq "SELECT result FROM cycles")" ok "good cycle: recorded ok"

# ---- the token call is refused
DAEMON_ENV=("umb_reporting_key=umb-key" "umb_reporting_secret=not-the-secret")
once token
is "$DAEMON_RC" 101 "wrong secret: exit 101"
is "$(groups)" Safe,Safe,Safe,Safe "wrong secret: no group moved"
is "$(dbq "SELECT result FROM cycles")" auth-failed "wrong secret: recorded as auth-failed"
is "$(usim_get /__sim/tokens | pyj '[g["reason"] for g in d["grants"] if not g["ok"]][-1]')" "bad credentials" \
        "wrong secret: the simulator saw Basic auth with the wrong secret"
unlike "$(cat "$DAEMON_ERR" "$DAEMON_OUT"; journal_query | tr -d '\n')" "not-the-secret" "wrong secret: never logged"
DAEMON_ENV=("umb_reporting_key=umb-key" "umb_reporting_secret=umb-secret")

# ---- the token endpoint answers without an access_token (the original's 101)
once notoken '[{"kind": "malformed", "path": "^/auth/", "body": "{\"token_type\": \"bearer\"}"}]'
is "$DAEMON_RC" 101 "no access_token: exit 101"

# ---- DNS activity keeps answering 500
once 500 '[{"kind": "status", "status": 500, "path": "/activity/dns$"}]'
is "$DAEMON_RC" 102 "persistent 500: exit 102"
cmp_num "$(usim_get '/__sim/requests?path=/reports/v2/activity/dns' | pyj 'len(d)')" -ge 4 \
        "persistent 500: retried before giving up"
is "$(groups)" Safe,Safe,Safe,Safe "persistent 500: no group moved"
is "$(dbq "SELECT result FROM cycles")" api-failed "persistent 500: recorded as api-failed"

# ---- a malformed answer
once malformed '[{"kind": "malformed", "path": "/top-identities$"}]'
is "$DAEMON_RC" 100 "malformed top-identities: exit 100"
is "$(groups)" Safe,Safe,Safe,Safe "malformed: no group moved"

# ---- a redirect to a host outside redirect_domains: the token stays home
UMB='redirect_domains = [ "umbrella.com" ];'
once redirect
is "$DAEMON_RC" 102 "redirect to another host: exit 102"
is "$(usim_get /__sim/requests | pyj 'len([r for r in d if r["headers"].get("host","").startswith("localhost")])')" 0 \
        "redirect to another host: not followed"
like "$(dbq "SELECT error FROM cycles")" "outside redirect_domains" "redirect to another host: the error says why"
UMB=

# ---- no FreeRADIUS database
UMB="radius_database = \"$T/nonexistent.db\";"
once nodb
is "$DAEMON_RC" 100 "no FreeRADIUS database: exit 100"
like "$(dbq "SELECT error FROM cycles")" "cannot open the FreeRADIUS database" "no database: the error names it"
UMB=

# ---- the legacy platform
UMB="api = \"legacy\"; org_id = \"7966517\"; token_url = \"$USIM_URL/auth/v2/oauth2/token\";
  reports_url = \"$USIM_URL/v2/organizations/{organization_id}\";
  investigate_url = \"$USIM_URL/domains/risk-score/\"; investigate_token = \"env:umb_investigate_token\";"
DAEMON_ENV=("umb_reporting_key=umb-key" "umb_reporting_secret=umb-secret" "umb_investigate_token=inv-token")
once legacy
is "$DAEMON_RC" 0 "legacy platform: exit 0"
is "$(groups)" Dangerous,Safe,Problematic,Safe "legacy platform: the same groups"
is "$(usim_get /__sim/requests | pyj 'sorted({r["path"] for r in d if not r["path"].startswith("/domains/")})' | tr -d ' ')" \
        '["/auth/v2/oauth2/token","/v2/organizations/7966517/activity/dns","/v2/organizations/7966517/top-identities"]' \
        "legacy platform: management token endpoint, organization paths"
is "$(usim_get '/__sim/requests?path_re=^/domains/risk-score/' | pyj 'sorted({r["headers"]["authorization"] for r in d})')" \
        '["Bearer inv-token"]' "legacy platform: Investigate with the static token"
UMB=
DAEMON_ENV=("umb_reporting_key=umb-key" "umb_reporting_secret=umb-secret")

# ---- an unknown source
ONCE_SOURCE=nosuch once nosuch
is "$DAEMON_RC" 78 "--source nosuch: exit 78"
like "$(journal_query | tr -d '\n')" "--source nosuch: no such source is enabled" "--source nosuch: says so"

# ---- --source without --once is a usage error
run "$SECRESPD" -c "$CONF" --source umbrella
isnt "$RUN_RC" 0 "--source without --once: refused"
