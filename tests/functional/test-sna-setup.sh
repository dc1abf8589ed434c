#!/bin/bash
# SNA end-to-end: `secrespctl sna setup EVENT_ID` (the original setup.py)
# through the daemon against sna_sim.py: --dry-run writes nothing; the
# real run saves the old alarm settings in SQLite, then PUTs a one-element
# array (policyId from the GET, string values, X-XSRF-TOKEN) that enables
# the event with the configured thresholds; a second run changes nothing;
# an event without a target side keeps NOT_APPLICABLE; usage and unknown
# events are refused.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 22
e2e_require
sna_start
sconf 'setup: { tolerance = "70"; min = "100000"; max = "500000"; };'
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20

pol() { sna_get /__sim/state | pyj "[e for e in d['policy']['132'] if e['id'] == $1][0]['eventSettings']"; }
alarm() { pol "$1" | pyj "{a['key']: a['value'] for a in d['alarmSettings']}[\"$2\"]"; }

sna_mark
run ctl --json sna setup 16 --dry-run
is "$RUN_RC" 0 "dry run: exit 0"
is "$(jget "$RUN_OUT" 'd["applied"]')" false "dry run: not applied"
is "$(jget "$RUN_OUT" '[c["key"] for c in d["changes"]]')" '["sourceStatus", "targetStatus", "tolerance", "min", "max"]' \
        "dry run: the changes it would make"
is "$(sna_count PUT 'policy/system/events')" 0 "dry run: no PUT"
is "$(dbq 'SELECT count(*) FROM sna_policy_saved')" 0 "dry run: nothing saved"

run ctl sna setup 16
is "$RUN_RC" 0 "setup 16: exit 0"
like "$RUN_OUT" '^security event 16 \(High Total Traffic\), policy 1, tenant 132, on sna:smc1' "table: the event"
like "$RUN_OUT" 'tolerance +90 -> 70' "table: tolerance 90 -> 70"
like "$RUN_OUT" '^applied' "table: applied"
put=$(sna_reqs PUT 'policy/system/events$' | tail -n 1)
is "$(jget "$put" 'len(json.loads(d["body"]))')" 1 "PUT: a one-element array"
is "$(jget "$put" 'json.loads(d["body"])[0]["policyId"]')" 1 "PUT: policyId from the GET"
like "$(jget "$put" 'd["headers"].get("x-xsrf-token", "")')" '^[0-9a-f]{32}$' "PUT: X-XSRF-TOKEN"
is "$(pol 16 | pyj 'd["eventStatus"]["sourceStatus"] + "/" + d["eventStatus"]["targetStatus"]')" ENABLED/ENABLED \
        "SMC: source and target enabled"
is "$(alarm 16 tolerance)/$(alarm 16 min)/$(alarm 16 max)" 70/100000/500000 "SMC: the lab thresholds"
is "$(dbq "SELECT settings FROM sna_policy_saved WHERE event_id = 16" | pyj '{a["key"]: a["value"] for a in d}["tolerance"]')" \
        90 "db: the old tolerance was saved"

sna_mark
run ctl sna setup 16
like "$RUN_OUT" 'already set: nothing changed' "second run: nothing to change"
is "$(sna_count PUT 'policy/system/events')" 0 "second run: no PUT"

run ctl sna setup 30
is "$(pol 30 | pyj 'd["eventStatus"]["targetStatus"]')" NOT_APPLICABLE "event 30: targetStatus NOT_APPLICABLE kept"

run ctl sna setup 99
is "$RUN_RC" 1 "an event not in the policy: exit 1"
run ctl sna setup sixteen
is "$RUN_RC" 2 "a non-numeric EVENT_ID: usage error"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
