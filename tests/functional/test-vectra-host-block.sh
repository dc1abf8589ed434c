#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: a host carrying the block tag is blocked through
# external_call (the recorded argv), Vectra gets VAR's marker and VAR ID tags
# and a note; a steady cycle writes nothing; when the tag goes away (the
# default, implicit unblock) the host is unblocked, its VAR tags removed and
# an "Unblocked" note added.  State: tests/functional/vectra/host-block.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 32
e2e_require
sim_start "$E2E_DIR/host-block.json"
vconf 'accounts: { enabled = false; }; detections: { enabled = false; };'
start_ready "$CONF"

# ---- first cycle (scheduled within seconds of the start)
ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "first cycle: result ok"
is "$(rec_count)" 1 "one responder call"
is "$(rec_argv 1)" '["block-host","10.0.0.1","ws-alice","1"]' "argv: block-host {ip} {name} {id}"
is "$(sim_tags host 1)" \
        '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","keepme","vectra_host_block"]' \
        "host 1: external tags kept, marker and VAR ID tag added"
is "$(sim_get /__sim/objects/host/1 | pyj 'd["tags"].count("VAR Host Blocked")')" 1 "host 1: the marker once"
notes=$(sim_notes host 1)
is "$(printf '%s\n' "$notes" | grep -c .)" 1 "host 1: one note"
ok "host 1: note 'VAR: Blocked on DD Mon YYYY at HH:MM:SS', now" note_recent "$notes" Blocked
is "$(sim_tags host 2)" '["keepme"]' "host 2 (no block tag): tags untouched"
is "$(sim_tags host 5)" '["not_vectra_host_block"]' "host 5 (substring of the tag): tags untouched"
is "$(sim_notes host 5)" "" "host 5: no note"
is "$(bstate 10.0.0.1)" blocked "db: 10.0.0.1 blocked on fw"
is "$(brow 10.0.0.1 elements)" '["10.0.0.1"]' "db: elements are the IP"
is "$(dbq "SELECT action || ':' || result || ':' || detail FROM events WHERE value = '10.0.0.1'")" \
        "block:ok:fw" "db: the audit has the block, ok, on fw"
is "$(dbq "SELECT count(*) FROM blocks")" 1 "db: no other block row"
is "$(dbq "SELECT kind FROM entities WHERE value = '10.0.0.1'")" host "db: the entity is a host"
is "$(sim_writes | sort | tr '\n' ';')" \
        "PATCH /api/v2.5/tagging/host/1;POST /api/v2.5/hosts/1/notes;" \
        "Vectra writes: one tag PATCH and one note, host 1 only"

# ---- steady cycle: nothing to do, nothing written
sim_mark
run ctl -j run brain1
is "$RUN_RC" 0 "secrespctl run brain1: exit 0"
is "$(jget "$RUN_OUT" 'd["last_result"], d["blocked"], d["unblocked"]')" '["ok", 0, 0]' "steady cycle: ok, nothing blocked or unblocked"
is "$(rec_count)" 1 "steady cycle: no responder call"
is "$(sim_writes | wc -l)" 0 "steady cycle: no write to Vectra"

run ctl -j blocks --state blocked
is "$(jget "$RUN_OUT" '[(b["kind"], b["value"], b["responder"], b["elements"], b["source"]) for b in d]' | tr -d ' ')" \
        '[["host","10.0.0.1","fw",["10.0.0.1"],"vectra:brain1"]]' "secrespctl blocks --state blocked: host 10.0.0.1 on fw"

# ---- the block tag is removed: the next cycle unblocks
sim_set_tags host 1 '["keepme", "VAR Host Blocked", "VAR ID:External Call Client:10.0.0.1"]'
sim_mark
vrun run
is "$(jget "$RUN_JSON" 'd["last_result"], d["to_unblock"], d["unblocked"]')" '["ok", 1, 1]' "unblock cycle: stats"
is "$(rec_count)" 2 "unblock cycle: one more call"
is "$(rec_argv 2)" '["unblock-host","10.0.0.1"]' "argv: unblock-host {element}"
is "$(sim_tags host 1)" '["keepme"]' "host 1: marker and VAR ID tags removed, keepme kept"
notes=$(sim_notes host 1)
is "$(printf '%s\n' "$notes" | grep -c .)" 2 "host 1: a second note"
ok "host 1: note 'VAR: Unblocked on ...', now" note_recent "$(printf '%s\n' "$notes" | tail -n 1)" Unblocked
is "$(bstate 10.0.0.1)" unblocked "db: 10.0.0.1 unblocked"

# ---- and it stays so
sim_mark
vrun run
is "$(rec_count)$(sim_writes | wc -l)" "20" "next cycle: no call, no write"

run ctl -j history host 10.0.0.1
is "$(jget "$RUN_OUT" '[(e["action"], e["result"]) for e in d]' | tr -d ' ')" '[["block","ok"],["unblock","ok"]]' \
        "secrespctl history host 10.0.0.1: block, then unblock"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
