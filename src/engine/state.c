/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "engine/state.h"

static const char *const state_names[_BLOCK_STATE_MAX] = {
        [BLOCK_BLOCKING] = "blocking",
        [BLOCK_BLOCKED] = "blocked",
        [BLOCK_UNBLOCKING] = "unblocking",
        [BLOCK_UNBLOCKED] = "unblocked",
        [BLOCK_FAILED] = "failed",
};

static const char *const intent_names[_BLOCK_INTENT_MAX] = {
        [BLOCK_INTENT_BLOCK] = "block",
        [BLOCK_INTENT_UNBLOCK] = "unblock",
};

static const char *const call_names[_BLOCK_CALL_MAX] = {
        [BLOCK_CALL_NONE] = "none",
        [BLOCK_CALL_BLOCK] = "block",
        [BLOCK_CALL_UNBLOCK] = "unblock",
};

static const char *const event_names[_BLOCK_EVENT_MAX] = {
        [BLOCK_EV_WANT_BLOCK] = "want-block",
        [BLOCK_EV_WANT_UNBLOCK] = "want-unblock",
        [BLOCK_EV_CALL_SUCCEEDED] = "call-succeeded",
        [BLOCK_EV_CALL_FAILED_TRANSIENT] = "call-failed-transient",
        [BLOCK_EV_CALL_FAILED_PERMANENT] = "call-failed-permanent",
        [BLOCK_EV_RETRY_DUE] = "retry-due",
        [BLOCK_EV_RESUME] = "resume",
};

static const char *const action_names[_BLOCK_ACTION_MAX] = {
        [BLOCK_ACTION_NONE] = "none",
        [BLOCK_ACTION_CALL_BLOCK] = "call-block",
        [BLOCK_ACTION_CALL_UNBLOCK] = "call-unblock",
        [BLOCK_ACTION_WAIT] = "wait",
};

#define NAME_LOOKUP(table, max, v) ((int) (v) >= 0 && (int) (v) < (max) ? (table)[(v)] : NULL)

static int name_index(const char *const *table, int max, const char *s)
{
        for (int i = 0; s && i < max; i++)
                if (strcmp(s, table[i]) == 0)
                        return i;
        return -EINVAL;
}

const char *block_state_to_string(BlockState s)
{
        return NAME_LOOKUP(state_names, _BLOCK_STATE_MAX, s);
}

BlockState block_state_from_string(const char *s)
{
        return (BlockState) name_index(state_names, _BLOCK_STATE_MAX, s);
}

const char *block_intent_to_string(BlockIntent i)
{
        return NAME_LOOKUP(intent_names, _BLOCK_INTENT_MAX, i);
}

BlockIntent block_intent_from_string(const char *s)
{
        return (BlockIntent) name_index(intent_names, _BLOCK_INTENT_MAX, s);
}

const char *block_call_to_string(BlockCall c)
{
        return NAME_LOOKUP(call_names, _BLOCK_CALL_MAX, c);
}

const char *block_event_to_string(BlockEvent e)
{
        return NAME_LOOKUP(event_names, _BLOCK_EVENT_MAX, e);
}

const char *block_action_to_string(BlockAction a)
{
        return NAME_LOOKUP(action_names, _BLOCK_ACTION_MAX, a);
}

int block_policy_validate(const BlockPolicy *p)
{
        if (!p || retry_policy_validate(&p->retry) < 0 || p->failed_interval_ms == 0)
                return -EINVAL;
        return 0;
}

bool block_row_settled(const BlockRow *row)
{
        return row && (row->state == BLOCK_BLOCKED || row->state == BLOCK_UNBLOCKED);
}

bool block_row_equal(const BlockRow *a, const BlockRow *b)
{
        return a->state == b->state && a->intent == b->intent && a->attempts == b->attempts &&
               a->next_attempt_at == b->next_attempt_at && a->in_flight == b->in_flight;
}

static BlockCall call_for(BlockIntent i)
{
        return i == BLOCK_INTENT_BLOCK ? BLOCK_CALL_BLOCK : BLOCK_CALL_UNBLOCK;
}

static BlockAction action_for(BlockIntent i)
{
        return i == BLOCK_INTENT_BLOCK ? BLOCK_ACTION_CALL_BLOCK : BLOCK_ACTION_CALL_UNBLOCK;
}

static BlockState pending_state(BlockIntent i)
{
        return i == BLOCK_INTENT_BLOCK ? BLOCK_BLOCKING : BLOCK_UNBLOCKING;
}

static BlockState done_state(BlockIntent i)
{
        return i == BLOCK_INTENT_BLOCK ? BLOCK_BLOCKED : BLOCK_UNBLOCKED;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
        uint64_t r = a + b;

        if (r < a)
                r = UINT64_MAX;
        /* 0 means "nothing scheduled": a retry at the epoch is a retry now. */
        return r ? r : 1;
}

/* Checks the row and brings it into canonical form: the intent of every
 * state but FAILED follows from the state; settled rows have nothing
 * outstanding and nothing scheduled. */
static int normalize(const BlockRow *cur, BlockRow *ret)
{
        BlockRow r = cur ? *cur : BLOCK_ROW_NONE;

        if ((int) r.state < 0 || r.state >= _BLOCK_STATE_MAX)
                return -EINVAL;
        if ((int) r.in_flight < 0 || r.in_flight >= _BLOCK_CALL_MAX)
                return -EINVAL;
        switch (r.state) {
        case BLOCK_BLOCKING:
                r.intent = BLOCK_INTENT_BLOCK;
                break;
        case BLOCK_UNBLOCKING:
                r.intent = BLOCK_INTENT_UNBLOCK;
                break;
        case BLOCK_BLOCKED:
        case BLOCK_UNBLOCKED:
                r.intent = r.state == BLOCK_BLOCKED ? BLOCK_INTENT_BLOCK : BLOCK_INTENT_UNBLOCK;
                r.in_flight = BLOCK_CALL_NONE;
                r.attempts = 0;
                r.next_attempt_at = 0;
                break;
        case BLOCK_FAILED:
                if ((int) r.intent < 0 || r.intent >= _BLOCK_INTENT_MAX)
                        return -EINVAL;
                /* A failed row is never superseded: a change of mind leaves FAILED. */
                if (r.in_flight != BLOCK_CALL_NONE && r.in_flight != call_for(r.intent))
                        return -EINVAL;
                break;
        default:
                return -EINVAL;
        }
        if (r.in_flight != BLOCK_CALL_NONE)
                r.next_attempt_at = 0;
        *ret = r;
        return 0;
}

/* Issue the call for the row's intent now. */
static BlockAction issue(BlockRow *r)
{
        r->attempts++;
        r->in_flight = call_for(r->intent);
        r->next_attempt_at = 0;
        return action_for(r->intent);
}

/* The operator or the policy wants `want`. */
static BlockAction on_want(BlockRow *r, BlockIntent want)
{
        BlockCall outstanding = r->in_flight;

        if (block_row_settled(r)) {
                if (r->intent == want)
                        return BLOCK_ACTION_NONE;       /* idempotent: nothing re-applied */
                r->state = pending_state(want);
                r->intent = want;
                r->attempts = 0;
                return issue(r);
        }

        if (r->intent == want)
                return BLOCK_ACTION_WAIT;               /* already on it, keep the schedule */

        /* A change of mind: whatever the earlier call did must be undone by
         * the call for the new intent (responders are idempotent). */
        r->state = pending_state(want);
        r->intent = want;
        r->attempts = 0;
        r->next_attempt_at = 0;
        if (outstanding == BLOCK_CALL_NONE)
                return issue(r);
        if (outstanding == call_for(want)) {
                /* Flipped back while the call for `want` is still out: it serves. */
                r->attempts = 1;
                return BLOCK_ACTION_WAIT;
        }
        /* The superseded call is still out: issue ours when it reports. */
        return BLOCK_ACTION_WAIT;
}

static BlockAction schedule_failed(BlockRow *r, const BlockPolicy *p, uint64_t now_ms, uint32_t random)
{
        RetryPolicy slow = {
                .max_attempts = 1,
                .base_ms = p->failed_interval_ms,
                .max_ms = p->failed_interval_ms,
                .jitter = p->retry.jitter,
        };

        r->state = BLOCK_FAILED;
        r->in_flight = BLOCK_CALL_NONE;
        r->next_attempt_at = add_sat(now_ms, retry_backoff_ms(&slow, 1, random));
        return BLOCK_ACTION_WAIT;
}

static int on_outcome(BlockRow *r, BlockEvent ev, const BlockPolicy *p, uint64_t now_ms, uint32_t random,
                      BlockAction *ret_action)
{
        if (r->in_flight == BLOCK_CALL_NONE)
                return -ESTALE;

        if (r->in_flight != call_for(r->intent)) {
                /* The report of a superseded call: whatever it did, now issue
                 * the call for the current intent. */
                r->attempts = 0;
                *ret_action = issue(r);
                return 0;
        }

        switch (ev) {
        case BLOCK_EV_CALL_SUCCEEDED:
                r->state = done_state(r->intent);
                r->attempts = 0;
                r->in_flight = BLOCK_CALL_NONE;
                r->next_attempt_at = 0;
                *ret_action = BLOCK_ACTION_NONE;
                return 0;
        case BLOCK_EV_CALL_FAILED_TRANSIENT:
                if (r->state != BLOCK_FAILED && r->attempts < p->retry.max_attempts) {
                        r->in_flight = BLOCK_CALL_NONE;
                        r->next_attempt_at = add_sat(now_ms, retry_backoff_ms(&p->retry, r->attempts, random));
                        *ret_action = BLOCK_ACTION_WAIT;
                        return 0;
                }
                *ret_action = schedule_failed(r, p, now_ms, random);
                return 0;
        case BLOCK_EV_CALL_FAILED_PERMANENT:
                *ret_action = schedule_failed(r, p, now_ms, random);
                return 0;
        default:
                return -EINVAL;
        }
}

int block_transition(const BlockRow *cur, BlockEvent ev, const BlockPolicy *p, uint64_t now_ms,
                     uint32_t random, BlockRow *ret_next, BlockAction *ret_action)
{
        BlockAction action = BLOCK_ACTION_NONE;
        BlockRow r;
        int k;

        if (!ret_next || !ret_action || block_policy_validate(p) < 0)
                return -EINVAL;
        if ((int) ev < 0 || ev >= _BLOCK_EVENT_MAX)
                return -EINVAL;
        k = normalize(cur, &r);
        if (k < 0)
                return k;

        switch (ev) {
        case BLOCK_EV_WANT_BLOCK:
                action = on_want(&r, BLOCK_INTENT_BLOCK);
                break;
        case BLOCK_EV_WANT_UNBLOCK:
                action = on_want(&r, BLOCK_INTENT_UNBLOCK);
                break;
        case BLOCK_EV_CALL_SUCCEEDED:
        case BLOCK_EV_CALL_FAILED_TRANSIENT:
        case BLOCK_EV_CALL_FAILED_PERMANENT:
                k = on_outcome(&r, ev, p, now_ms, random, &action);
                if (k < 0)
                        return k;
                break;
        case BLOCK_EV_RETRY_DUE:
                if (block_row_settled(&r))
                        action = BLOCK_ACTION_NONE;
                else if (r.in_flight != BLOCK_CALL_NONE || r.next_attempt_at > now_ms)
                        action = BLOCK_ACTION_WAIT;
                else
                        action = issue(&r);
                break;
        case BLOCK_EV_RESUME:
                if (block_row_settled(&r)) {
                        action = BLOCK_ACTION_NONE;
                        break;
                }
                /* Nothing survives a restart: the call that was out may or
                 * may not have reached the responder.  Say it again. */
                r.in_flight = BLOCK_CALL_NONE;
                if (r.next_attempt_at > now_ms)
                        action = BLOCK_ACTION_WAIT;
                else
                        action = issue(&r);
                break;
        default:
                return -EINVAL;
        }

        *ret_next = r;
        *ret_action = action;
        return 0;
}
