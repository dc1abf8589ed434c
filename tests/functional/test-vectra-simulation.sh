#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: simulation = true on the brain decides (the cycle's
# stats count what it would do) and changes nothing anywhere: no responder
# call, no write to Vectra (no PATCH, no POST), no block row.  Then, on an
# enforcing brain, `plan` reports what the next cycle would do and changes
# nothing either; the `run` after it does exactly that.
# State: tests/functional/vectra/simulation.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 25
e2e_require
sim_start "$E2E_DIR/simulation.json"

# snapshot : every object's tags and notes on the simulator
snapshot() {
        { sim_get /__sim/objects/host; sim_get /__sim/objects/account; sim_get /__sim/objects/detection
          sim_get /__sim/notes; } | "$PY" -c '
import json, sys
dec = json.JSONDecoder()
s = sys.stdin.read()
i = 0
while i < len(s):
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    o, i = dec.raw_decode(s, i)
    if isinstance(o, list):
        for x in o:
            print(x["id"], json.dumps(x["tags"]), x.get("note"))
    else:
        print(json.dumps(o, sort_keys=True))'
}
initial=$(snapshot)
jfield_all() { "$PY" -c '
import json, sys
for l in sys.stdin:
    if l.strip():
        print(json.loads(l).get(sys.argv[1], ""))' "$1"; }

# ---- simulation = true
vconf 'simulation = true;'
start_ready "$CONF"
ok "simulation: the first cycle ran" wait_cycles 1 20
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["to_block"], d["blocked"]')" '["ok", 3, 0]' \
        "simulation: 3 to block (host, account, detection), none blocked"
ok "simulation: the recorder was never run" test ! -e "$REC"
is "$(grep -c '"method": "\(PATCH\|POST\|PUT\|DELETE\)"' "$SIM_LOG")" 0 "simulation: no PATCH/POST/PUT/DELETE in the simulator's log"
is "$(dbq 'SELECT count(*) FROM blocks')" 0 "simulation: no block row"
is "$(dbq "SELECT count(*) FROM events WHERE action IN ('block', 'unblock', 'adopt')")" 0 "simulation: no block event"
is "$(snapshot)" "$initial" "simulation: the simulator's objects and notes are as they were"
like "$(journal_query _PID="$DAEMON_PID" | jfield_all MESSAGE)" 'simulation.*would block host 10\.0\.0\.1' \
        "simulation: the journal says what it would have done"
stop_daemon TERM
is "$DAEMON_RC" 0 "simulation: SIGTERM, exit 0"

# ---- an enforcing brain: the first cycle blocks, then plan, then run
rm -rf "$T/state" "$T/run"
vconf ''
start_ready "$CONF"
ok "enforcing: the first cycle ran" wait_cycles 1 20
is "$(rec_count)" 3 "enforcing: 3 calls (host 1, the account, the destination)"
is "$(bstate 10.0.0.1)" blocked "enforcing: 10.0.0.1 blocked"

# host 1 loses its tag, host 4 gets it
sim_set_tags host 1 '["VAR Host Blocked", "VAR ID:External Call Client:10.0.0.1"]'
sim_set_tags host 4 '["vectra_host_block"]'
before_sim=$(snapshot)
before_db=$(blocks_dump)
before_events=$(dbq 'SELECT count(*) FROM events')
sim_mark
vrun plan
is "$(jget "$RUN_JSON" 'd["last_result"]')" ok "plan: ok"
is "$(jget "$RUN_JSON" 'sorted((p["kind"], p["value"], p["verdict"]) for p in d["plan"] if p["verdict"] in ("block", "unblock"))' | tr -d ' ')" \
        '[["host","10.0.0.1","unblock"],["host","10.0.0.4","block"]]' "plan: unblock 10.0.0.1, block 10.0.0.4, nothing else"
is "$(rec_count)" 3 "plan: no responder call"
is "$(sim_writes | wc -l)" 0 "plan: no write to Vectra"
is "$(snapshot)" "$before_sim" "plan: the simulator's objects and notes unchanged"
is "$(blocks_dump)" "$before_db" "plan: block rows unchanged"
is "$(dbq 'SELECT count(*) FROM events')" "$before_events" "plan: no event recorded"
is "$(dbq 'SELECT count(*) FROM cycles')" 1 "plan: not recorded as a cycle"

# the run does what the plan said
vrun run
is "$(rec_lines | tail -n +4 | sort | tr '\n' ';')" \
        '["block-host","10.0.0.4","ws-carol","4"];["unblock-host","10.0.0.1"];' "run: what the plan said"
is "$(bstate 10.0.0.1),$(bstate 10.0.0.4)" unblocked,blocked "run: the db agrees"
is "$(sim_tags host 4)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.4","vectra_host_block"]' \
        "run: host 4 tagged"
is "$(sim_tags host 1)" '[]' "run: host 1 untagged"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
