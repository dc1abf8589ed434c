#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: switching from VAR.  VAR's marker and "VAR ID:External
# Call Client:<element>" tags already on the brain (hosts, an account, a
# detection) are adopted as `blocked` rows with VAR's elements, without any
# responder call and without rewriting Vectra; another client's VAR ID tag
# is kept; a later unblock of an adopted block calls the responder with the
# element VAR recorded.  State: tests/functional/vectra/adopt.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 22
e2e_require
sim_start "$E2E_DIR/adopt.json"
initial_tags=$(for i in 1 2 3; do sim_tags host $i; done; sim_tags account 101; sim_tags detection 1001)
vconf ''
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: result ok"
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.4","ws-dora","4"];' \
        "the only call: host 4, which VAR had not blocked"
is "$(dbq "SELECT group_concat(x, ' ') FROM (SELECT e.kind || '=' || e.value || ':' || b.state || ':' || b.elements AS x
            FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value != '10.0.0.4' ORDER BY e.kind, e.value)")" \
        'account=O365:alice@corp.example:blocked:["O365:alice@corp.example"] destination=185.220.101.1:blocked:["185.220.101.1"] host=10.0.0.1:blocked:["10.0.0.1"] host=10.0.0.2:blocked:["10.0.0.2"] host=10.0.0.3:blocked:["10.9.9.9"]' \
        "db: five adopted rows, blocked, with VAR's elements"
is "$(dbq "SELECT count(*) FROM blocks WHERE responder = 'fw' AND reason LIKE '%adopt%'")" 5 "db: the reason says adopted"
is "$(dbq "SELECT count(*) FROM events WHERE action = 'adopt'")" 5 "audit: five adopt events"
is "$(dbq "SELECT count(*) FROM events WHERE action = 'block'")" 1 "audit: one block event (host 4)"
is "$(frame_client "$SOCK" <<'PY'
s = conn()
send_frame(s, {"v": 1, "id": 3, "cmd": "blocks.list", "args": {"state": "blocked"}})
n = 0
while True:
    r = recv_frame(s)
    if r is None or r.get("end") or not r.get("ok", True):
        break
    if "item" in r:
        n += 1
print(n)
PY
)" 6 "blocks.list --state blocked: six rows"
is "$(for i in 1 2 3; do sim_tags host $i; done; sim_tags account 101; sim_tags detection 1001)" "$initial_tags" \
        "Vectra: the adopted objects' tags as they were"
is "$(sim_writes | sort | tr '\n' ';')" "PATCH /api/v2.5/tagging/host/4;POST /api/v2.5/hosts/4/notes;" \
        "Vectra: no write but host 4's"
is "$(sim_notes host 1)$(sim_notes host 2)$(sim_notes account 101)$(sim_notes detection 1001)" "" \
        "Vectra: no note on adopted objects"

# ---- a later cycle: still nothing to do
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 0, 0]' "next cycle: nothing to do"
is "$(rec_count)$(sim_writes | wc -l)" 10 "next cycle: no call, no write"

# ---- host 3 loses its tag, host 2 leaves Block: unblocked with VAR's elements
sim_set_tags host 3 '["VAR Host Blocked", "VAR ID:External Call Client:10.9.9.9"]'
sim_put /__sim/objects/group/1 '{"id": 1, "name": "Block", "type": "host", "members": []}' >/dev/null
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["unblocked"]')" '["ok", 2]' "unblock cycle: two unblocked"
is "$(rec_lines | tail -n +2 | sort | tr '\n' ';')" '["unblock-host","10.0.0.2"];["unblock-host","10.9.9.9"];' \
        "unblock calls carry VAR's elements"
is "$(sim_tags host 3)" '[]' "host 3: VAR tags removed"
is "$(sim_tags host 2)" '["VARHostBlocked","VARID:TestClient:6f1c2a7e-1b8c-4b2f-9a51-3f0e6b1d2c40","keepme"]' \
        "host 2: our VAR ID gone, Test Client's kept with the marker"
ok "host 3: an Unblocked note" note_recent "$(sim_notes host 3)" Unblocked
is "$(bstate 10.0.0.2),$(bstate 10.0.0.3)" unblocked,unblocked "db: both unblocked"

# ---- another client's marker left on host 2: nothing of ours to undo
sim_mark
vrun run
is "$(rec_count)" 3 "next cycle: no call for the other client's block"
is "$(sim_writes | wc -l)" 0 "next cycle: no write"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
