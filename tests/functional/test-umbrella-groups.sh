#!/bin/bash
# SPDX-License-Identifier: MIT
# Umbrella end-to-end: VPN users from a FreeRADIUS SQLite database scored
# from the simulator's DNS activity (paged, behind a regional 302) and
# Investigate scores, then moved between VPN groups by the radius_group
# responder through the block state machine: a dangerous user moves to
# Dangerous, a clean one stays Safe, a problematic one moves to Problematic
# and later to Dangerous, a user who cleans up moves back to Safe, users
# whitelisted (in users_identity, or with secrespctl whitelist --user) are
# scored and never moved, a user without a radreply row is reported.  The
# Investigate cache asks each domain once across users and cycles.
# State: tests/functional/umbrella/groups.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/umbrella/e2e.sh"

plan 53
u_require
usim_start "$UDIR/groups.json"
radius_init
uconf 'page_limit = 2;'
start_ready "$CONF"

# ---- first cycle (scheduled at the start)
ok "the first cycle ran" wait_cycles 1 30
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: result ok"
is "$(radreply alice)" Dangerous "alice (a domain at 80): Dangerous in radreply"
is "$(radreply bob)" Safe "bob (clean): still Safe"
is "$(radreply carol)" Problematic "carol (mean 27.5): Problematic"
is "$(radreply dave)" Safe "dave (whitelisted in users_identity): left Safe"
is "$(radreply erin)" "" "erin: still no radreply row (none inserted)"
is "$(sqlite3 "$RADIUS_DB" "SELECT value FROM radreply WHERE username = 'bob' AND attribute = 'Framed-IP-Address'")" \
        10.8.0.2 "bob's other reply attribute untouched"
is "$(ustate alice)" blocked "db: alice blocked on vpn"
is "$(ustate bob)" "" "db: no row for bob (Safe, nothing to undo)"
is "$(ustate erin)" failed "db: erin's move failed"
run ctl -j blocks --value erin
like "$(jget "$RUN_OUT" 'd[0]["last_error"]')" "user 'erin' has no 'ASA-Member-Of' row in radreply" \
        "erin: the error names the missing row"
is "$(dbq "SELECT result FROM events WHERE value = 'erin' AND action = 'block' LIMIT 1")" failed \
        "erin: audited as a failed block"
ok "erin: journaled as a failed block" journal_wait 10 "MESSAGE_ID=935fb4bba27f4ae686f88dcd27c8927c" "SECRESP_ENTITY=erin"

# scores and their inputs
run ctl -j scores
is "$RUN_RC" 0 "secrespctl scores: exit 0"
is "$(jget "$RUN_OUT" '[(s["user"], s["score"], s["group"], s["whitelisted"]) for s in d]' | tr -d ' ')" \
        '[["alice",80,"Dangerous",false],["dave",80,"Dangerous",true],["erin",80,"Dangerous",false],["gina",80,"Dangerous",false],["carol",27.5,"Problematic",false],["bob",5,"Safe",false]]' \
        "scores: riskiest first, dave visible and marked whitelisted, frank (roaming) not a VPN user"
is "$(radreply gina)" Dangerous "gina: one group for her two devices, from the riskier"
is "$(dbq "SELECT count(*) || ':' || group_concat(inputs) FROM scores WHERE user = 'gina'" | sed 's/^\([0-9]*\):.*"domains":\({[^}]*}\).*/\1 \2/')" \
        '1 {"calm.example":5,"evil.example":80}' "gina: one score over both devices' domains"
run ctl -j scores --user alice
is "$(jget "$RUN_OUT" 'd[0]["inputs"]["domains"], d[0]["inputs"]["categories"], d[0]["inputs"]["rule"]' | tr -d ' ')" \
        '[{"cdn.example":10,"evil.example":80},[65,66,108],"max"]' \
        "scores --user alice: the domains and scores, the categories hit, the max rule"
is "$(dbq "SELECT inputs FROM scores WHERE user = 'carol'" | pyj 'd["rule"]')" mean "carol: the mean rule"

# requests: paging, the regional redirect with the token, the category filter, one token
is "$(usim_count token)" 1 "one token call"
cmp_num "$(usim_count redirects)" -ge 6 "reports were redirected to the regional host"
is "$(usim_get '/__sim/requests?path=/reports/v2/activity/dns' | pyj '
sorted({(r["query"]["identityids"][0], r["query"]["offset"][0]) for r in d if r["headers"].get("host","").startswith("localhost")})' | tr -d ' ')" \
        '[["101","0"],["101","2"],["102","0"],["103","0"],["103","2"],["104","0"],["105","0"],["107","0"],["108","0"]]' \
        "activity: every user paged at the regional host (alice and carol have a second page)"
is "$(usim_get '/__sim/requests?path=/reports/v2/activity/dns' | pyj '
sorted({r["status"] for r in d})' | tr -d ' ')" '[200,302]' "activity: only 302s and 200s (the token followed the redirect)"
is "$(usim_get '/__sim/requests?path=/reports/v2/activity/dns' | pyj 'd[0]["query"]["categories"][0]')" \
        65,62,110,60,106,108,109,150,61,64,66,68,67,63 "activity: the original's fourteen categories"
is "$(usim_risk_asks evil.example)" 1 "Investigate: evil.example asked once for three users"
is "$(usim_count risk)" 5 "Investigate: five distinct domains, five calls"

# ---- second cycle: nothing changes, the cache answers
urun
is "$RUN_RC" 0 "second cycle: exit 0"
is "$(jget "$RUN_OUT" 'd["last_result"], d["blocked"], d["unblocked"]' | tr -d ' ')" '["ok",0,0]' \
        "second cycle: ok, no group moved"
is "$(usim_count risk)" 5 "second cycle: no Investigate call (cache)"
is "$(usim_count token)" 1 "second cycle: the token reused"
is "$(dbq "SELECT count(*) FROM scores WHERE user = 'alice'")" 2 "alice: a second score row"

# ---- alice cleans up, carol gets worse: first the plan, then the cycle
usim_put /__sim/activity/101 '[{"domain": "calm.example", "categories": [108]}]' >/dev/null
usim_put /__sim/activity/103 '[{"domain": "worse.example", "categories": [64]}]' >/dev/null
run ctl -j plan umbrella
is "$(jget "$RUN_OUT" 'sorted((p["value"], p["verdict"], p["group"]) for p in d["plan"] if p["value"] in ("alice", "carol", "dave"))' | tr -d ' ')" \
        '[["alice","unblock","Safe"],["carol","block","Dangerous"],["dave","whitelisted","Dangerous"]]' \
        "plan: alice back to Safe, carol to Dangerous, dave whitelisted"
is "$(radreply alice),$(radreply carol),$(dbq "SELECT count(*) FROM scores WHERE user = 'alice'")" Dangerous,Problematic,2 \
        "plan: nothing moved, no score stored"
urun
is "$(jget "$RUN_OUT" 'd["last_result"]')" ok "third cycle: ok"
is "$(radreply alice)" Safe "alice cleaned up: back to Safe"
is "$(ustate alice)" unblocked "db: alice unblocked"
is "$(radreply carol)" Dangerous "carol: from Problematic to Dangerous"
is "$(dbq "SELECT b.elements FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = 'carol'")" \
        '["Dangerous"]' "db: carol's block now holds Dangerous"
is "$(usim_risk_asks worse.example)" 1 "worse.example asked once"
run ctl -j scores
is "$(jget "$RUN_OUT" '[s["trend"] for s in d if s["user"] == "alice"][0]' | tr -d ' ')" '[80,80]' \
        "scores: alice's trend (80, 80 before the 5 now)"

# ---- whitelisting carol: back to Safe at once, then scored but never moved
run ctl whitelist --user carol
is "$RUN_RC" 0 "secrespctl whitelist --user carol: exit 0"
ok "carol back to Safe at once" wait_until 10 eval '[ "$(radreply carol)" = Safe ]'
urun
is "$(radreply carol)" Safe "carol whitelisted: still Safe after a cycle"
is "$(dbq "SELECT whitelisted || ':' || band FROM scores WHERE user = 'carol' ORDER BY id DESC LIMIT 1")" \
        1:Dangerous "carol: scored Dangerous, marked whitelisted"
is "$(radreply dave)" Safe "dave: never moved"
is "$(dbq "SELECT count(*) FROM events WHERE value = 'dave'")" 0 "dave: no event at all"

# ---- secrespctl responder test: the FreeRADIUS database answers, nothing written
run ctl -j responder test vpn
is "$RUN_RC:$(jget "$RUN_OUT" 'd["detail"]' | sed 's/radreply of .*radius.db/radreply of DB/')" \
        "0:radreply of DB: 5 row(s) of ASA-Member-Of" "responder test vpn: the rows of the attribute counted"

# ---- the categories helper (the original get_categories.py)
run ctl umbrella categories
is "$RUN_RC" 0 "secrespctl umbrella categories: exit 0"
is "$(printf '%s\n' "$RUN_OUT" | grep -c ' - ')" 14 "categories: the fourteen security ones, no content category"
ok "categories: \"<id> - <label>\" lines" eval 'printf "%s\n" "$RUN_OUT" | grep -qx "65 - Command and Control"'
run ctl -j umbrella categories
is "$(jget "$RUN_OUT" '[c["id"] for c in d["categories"]][:3]' | tr -d ' ')" '[60,61,62]' "categories --json"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
