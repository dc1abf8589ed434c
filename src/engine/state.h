/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include "common/retry.h"

/* The block state machine of one (entity x responder) pair.  Pure: no I/O,
 * no logging, no clock and no randomness of its own; the caller passes
 * `now_ms` (wall clock, Unix epoch milliseconds) and a uniformly drawn
 * `random`.
 *
 *   BLOCKING    a block is wanted and not confirmed yet (call in flight, or
 *               waiting for a retry after a transient failure)
 *   BLOCKED     the responder confirmed the block
 *   UNBLOCKING  an unblock is wanted and not confirmed yet
 *   UNBLOCKED   the responder confirmed the unblock (tombstone, kept as
 *               history); also what "no row" means
 *   FAILED      the fast retries of `intent` are exhausted, or the
 *               responder refused for good: retried slowly, every
 *               `failed_interval_ms`.  FAILED keeps `intent`, so a failed
 *               unblock is never forgotten.
 *
 * At most one call per row is outstanding (`in_flight`).  A change of mind
 * while a call is outstanding (want-unblock while the block call runs)
 * switches the state and the intent at once, and the call for the new
 * intent is issued as soon as the outstanding one reports, whatever its
 * outcome: issuing the unblock concurrently could let a late block land
 * after it.  A superseded block that may have succeeded is therefore always
 * undone.
 *
 * The reconciler stores the returned row BEFORE it performs the action, so
 * that a crash between the two is repaired by BLOCK_EV_RESUME, which
 * re-issues the same (idempotent) call. */

typedef enum BlockState {
        BLOCK_BLOCKING,
        BLOCK_BLOCKED,
        BLOCK_UNBLOCKING,
        BLOCK_UNBLOCKED,
        BLOCK_FAILED,
        _BLOCK_STATE_MAX,
        _BLOCK_STATE_INVALID = -EINVAL,
} BlockState;

/* What the pending or failed call is trying to do. */
typedef enum BlockIntent {
        BLOCK_INTENT_BLOCK,
        BLOCK_INTENT_UNBLOCK,
        _BLOCK_INTENT_MAX,
        _BLOCK_INTENT_INVALID = -EINVAL,
} BlockIntent;

/* The call outstanding on the row.  Volatile: it means nothing after a
 * restart, so the store need not keep it; a row loaded from disk has
 * BLOCK_CALL_NONE and gets BLOCK_EV_RESUME. */
typedef enum BlockCall {
        BLOCK_CALL_NONE,
        BLOCK_CALL_BLOCK,
        BLOCK_CALL_UNBLOCK,
        _BLOCK_CALL_MAX,
        _BLOCK_CALL_INVALID = -EINVAL,
} BlockCall;

typedef enum BlockEvent {
        BLOCK_EV_WANT_BLOCK,            /* the policy (or an operator) wants it blocked */
        BLOCK_EV_WANT_UNBLOCK,          /* ... wants it unblocked */
        BLOCK_EV_CALL_SUCCEEDED,        /* the outstanding call reported success */
        BLOCK_EV_CALL_FAILED_TRANSIENT, /* ... a failure worth retrying soon */
        BLOCK_EV_CALL_FAILED_PERMANENT, /* ... a failure not worth retrying soon */
        BLOCK_EV_RETRY_DUE,             /* timer: next_attempt_at may have come */
        BLOCK_EV_RESUME,                /* crash recovery / start-up: the row was loaded from disk */
        _BLOCK_EVENT_MAX,
        _BLOCK_EVENT_INVALID = -EINVAL,
} BlockEvent;

typedef enum BlockAction {
        BLOCK_ACTION_NONE,              /* settled (blocked, unblocked, no row): nothing to do */
        BLOCK_ACTION_CALL_BLOCK,        /* call the responder's block now */
        BLOCK_ACTION_CALL_UNBLOCK,      /* call the responder's unblock now */
        BLOCK_ACTION_WAIT,              /* unsettled, nothing to call now: wait for the
                                         * outstanding call (next_attempt_at == 0) or for
                                         * next_attempt_at, then send BLOCK_EV_RETRY_DUE */
        _BLOCK_ACTION_MAX,
        _BLOCK_ACTION_INVALID = -EINVAL,
} BlockAction;

typedef struct BlockRow {
        BlockState state;
        BlockIntent intent;             /* BLOCKING/BLOCKED: block; UNBLOCKING/UNBLOCKED: unblock;
                                         * FAILED: the direction that failed */
        unsigned attempts;              /* calls made for the current intent, the current one included */
        uint64_t next_attempt_at;       /* Unix epoch ms of the next retry; 0 = none scheduled
                                         * (settled, or a call is/was outstanding) */
        BlockCall in_flight;
} BlockRow;

/* Fast retries: retry.max_attempts calls in all (the first included), with
 * retry_backoff_ms() between them; then FAILED, retried every
 * failed_interval_ms (reduced by up to retry.jitter, so that rows failed
 * together spread out).  Permanent failures go to FAILED at once. */
typedef struct BlockPolicy {
        RetryPolicy retry;
        uint64_t failed_interval_ms;
} BlockPolicy;

/* 6 calls 2 s apart doubling (2, 4, 8, 16, 32 s; -30 % jitter at most, 5 min
 * cap), then one attempt an hour. */
#define BLOCK_POLICY_DEFAULT                                                            \
        ((BlockPolicy) {                                                                \
                .retry = { .max_attempts = 6, .base_ms = 2000, .max_ms = 300000, .jitter = 0.3 }, \
                .failed_interval_ms = 3600000,                                          \
        })

/* 0, or -EINVAL when the retry policy is invalid or failed_interval_ms is 0. */
int block_policy_validate(const BlockPolicy *p);

/* The row that "no row" stands for: UNBLOCKED, nothing scheduled. */
#define BLOCK_ROW_NONE ((BlockRow) { .state = BLOCK_UNBLOCKED, .intent = BLOCK_INTENT_UNBLOCK })

/* Applies `ev` to `cur` (NULL = no row yet, same as BLOCK_ROW_NONE) and
 * gives the next row and what to do now.  The next row of a CALL_* action
 * has in_flight set to that call and next_attempt_at 0.
 *
 * Returns 0; -EINVAL for an invalid row, event, policy or output pointer;
 * -ESTALE for a call outcome while no call is outstanding (a duplicate or
 * late report: ignore it).  The outputs are set only on success.
 *
 * Summary (X = the intent, "call" = issue the call for X now):
 *   want-block    none/unblocked: BLOCKING + call.  blocked: none.
 *                 blocking, failed(block): wait.  unblocking, failed(unblock):
 *                 BLOCKING, call (or wait for the outstanding unblock first).
 *   want-unblock  symmetric; none/unblocked: none (nothing to undo).
 *   succeeded     of the call for X: BLOCKED / UNBLOCKED.  Of a superseded
 *                 call: call for X.
 *   transient     attempts < max: same state, retry at now + backoff.
 *                 Else FAILED, retry at now + failed interval.
 *   permanent     FAILED, retry at now + failed interval.
 *   retry-due     unsettled, nothing outstanding, next_attempt_at <= now:
 *                 attempts + 1, call.  Otherwise unchanged.
 *   resume        unsettled: forget the outstanding call; call at once
 *                 unless a retry is scheduled later (wait for it).  The
 *                 re-issued call counts as an attempt.  Settled: none. */
int block_transition(const BlockRow *cur, BlockEvent ev, const BlockPolicy *p, uint64_t now_ms,
                     uint32_t random, BlockRow *ret_next, BlockAction *ret_action);

/* Whether the row is BLOCKED or UNBLOCKED (nothing left to do). */
bool block_row_settled(const BlockRow *row);
bool block_row_equal(const BlockRow *a, const BlockRow *b);

/* "blocking", "blocked", "unblocking", "unblocked", "failed": the names the
 * SQLite CHECK constraint of `blocks.state` uses. */
const char *block_state_to_string(BlockState s);
BlockState block_state_from_string(const char *s);
/* "block", "unblock" */
const char *block_intent_to_string(BlockIntent i);
BlockIntent block_intent_from_string(const char *s);
/* "none", "block", "unblock" */
const char *block_call_to_string(BlockCall c);
/* "want-block", "want-unblock", "call-succeeded", "call-failed-transient",
 * "call-failed-permanent", "retry-due", "resume" */
const char *block_event_to_string(BlockEvent e);
/* "none", "call-block", "call-unblock", "wait" */
const char *block_action_to_string(BlockAction a);
