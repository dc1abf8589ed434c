#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: the responder fails (exit 75, transient) three times,
# then works (tests/functional/flaky.sh in front of the recorder).  The
# reconciler retries with backoff (reconcile.retry_base_ms = 200) without
# waiting for another cycle; the row ends `blocked` with 4 attempts, the
# audit has three retries and one success, the journal three warnings, and
# the next cycle writes VAR's tags and note.
# State: tests/functional/vectra/retry.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 17
e2e_require
[ -x "$FLAKY" ] || bail_out "$FLAKY is not executable"
COUNT=$T/flaky.count
RESPONDER_PROG="\"$FLAKY\""
RESPONDER_ENV="FLAKY_COUNT_FILE = \"$COUNT\"; FLAKY_FAILS = \"3\"; FLAKY_EXEC = \"$RECORDER\";"
sim_start "$E2E_DIR/retry.json"
vconf 'accounts: { enabled = false; }; detections: { enabled = false; };' \
        'reconcile: { retry_base_ms = 200; };'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(dbq 'SELECT failed FROM cycles ORDER BY id LIMIT 1')" 1 "first cycle: the call failed"
t0=$(now_ms)
_blocked() { [ "$(bstate 10.0.0.1)" = blocked ]; }
ok "10.0.0.1 ends blocked, without another cycle" wait_until 20 _blocked
diag "blocked $(($(now_ms) - t0)) ms after the first cycle was recorded"
is "$(dbq 'SELECT count(*) FROM cycles')" 1 "no other cycle ran"
is "$(wc -l <"$COUNT" 2>/dev/null)" 4 "the program ran 4 times"
is "$(rec_lines | tr '\n' ';')" '["block-host","10.0.0.1","ws-alice","1"];' "the 4th call reached the recorder"
is "$(brow 10.0.0.1 attempts)" 4 "db: attempts = 4"
is "$(brow 10.0.0.1 elements)" '["10.0.0.1"]' "db: elements"
is "$(dbq "SELECT coalesce(b.last_error, 'NULL') FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value = '10.0.0.1'")" \
        NULL "db: no last_error left"
is "$(dbq "SELECT group_concat(result, ',') FROM (SELECT result FROM events WHERE value = '10.0.0.1' AND action = 'block' ORDER BY id)")" \
        retry,retry,retry,ok "audit: three retries, then ok"
journal_wait 5 _PID="$DAEMON_PID" MESSAGE_ID="$MSGID_BLOCK_FAILED"
is "$(printf '%s\n' "$JOURNAL_OUT" | grep -c .)" 3 "journal: three BLOCK_FAILED entries"
is "$(printf '%s\n' "$JOURNAL_OUT" | jfield SECRESP_RESULT)" retry "journal: marked retry"
like "$(printf '%s\n' "$JOURNAL_OUT" | jfield MESSAGE)" 'fails on purpose|75' "journal: the program's status or output"

# ---- the next cycle writes VAR's tags and the note, and calls nothing
vrun run
is "$(wc -l <"$COUNT")" 4 "next cycle: no call"
is "$(sim_tags host 1)" '["VARHostBlocked","VARID:ExternalCallClient:10.0.0.1","vectra_host_block"]' \
        "next cycle: marker and VAR ID on Vectra"
ok "next cycle: a Blocked note" note_recent "$(sim_notes host 1 | tail -n 1)" Blocked

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
