/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "daemon/store.h"
#include "engine/state.h"
#include "tests/unit/unit.h"

void state_suite_add(void);

/* Deterministic policy: 3 calls, 100 ms doubling, no jitter, failed rows
 * every minute. */
static const BlockPolicy P = {
        .retry = { .max_attempts = 3, .base_ms = 100, .max_ms = 1000, .jitter = 0.0 },
        .failed_interval_ms = 60000,
};
#define NOW 1000u

enum {
        F_NONE,                 /* cur == NULL */
        F_UNBLOCKED,
        F_BLOCKED,
        F_BLOCKING_CALL,        /* block call outstanding */
        F_BLOCKING_WAIT,        /* waiting for the retry at 5000 */
        F_BLOCKING_SUPER,       /* wants block, the superseded unblock call is out */
        F_UNBLOCKING_CALL,
        F_UNBLOCKING_WAIT,
        F_UNBLOCKING_SUPER,
        F_FAILED_B_IDLE,        /* failed block, slow retry at 5000 */
        F_FAILED_B_CALL,        /* failed block, slow retry outstanding */
        F_FAILED_U_IDLE,
        F_FAILED_U_CALL,
        _F_MAX,
};

static const BlockRow fixtures[_F_MAX] = {
        [F_NONE] = { BLOCK_UNBLOCKED, BLOCK_INTENT_UNBLOCK, 0, 0, BLOCK_CALL_NONE },
        [F_UNBLOCKED] = { BLOCK_UNBLOCKED, BLOCK_INTENT_UNBLOCK, 0, 0, BLOCK_CALL_NONE },
        [F_BLOCKED] = { BLOCK_BLOCKED, BLOCK_INTENT_BLOCK, 0, 0, BLOCK_CALL_NONE },
        [F_BLOCKING_CALL] = { BLOCK_BLOCKING, BLOCK_INTENT_BLOCK, 1, 0, BLOCK_CALL_BLOCK },
        [F_BLOCKING_WAIT] = { BLOCK_BLOCKING, BLOCK_INTENT_BLOCK, 2, 5000, BLOCK_CALL_NONE },
        [F_BLOCKING_SUPER] = { BLOCK_BLOCKING, BLOCK_INTENT_BLOCK, 0, 0, BLOCK_CALL_UNBLOCK },
        [F_UNBLOCKING_CALL] = { BLOCK_UNBLOCKING, BLOCK_INTENT_UNBLOCK, 1, 0, BLOCK_CALL_UNBLOCK },
        [F_UNBLOCKING_WAIT] = { BLOCK_UNBLOCKING, BLOCK_INTENT_UNBLOCK, 2, 5000, BLOCK_CALL_NONE },
        [F_UNBLOCKING_SUPER] = { BLOCK_UNBLOCKING, BLOCK_INTENT_UNBLOCK, 0, 0, BLOCK_CALL_BLOCK },
        [F_FAILED_B_IDLE] = { BLOCK_FAILED, BLOCK_INTENT_BLOCK, 3, 5000, BLOCK_CALL_NONE },
        [F_FAILED_B_CALL] = { BLOCK_FAILED, BLOCK_INTENT_BLOCK, 4, 0, BLOCK_CALL_BLOCK },
        [F_FAILED_U_IDLE] = { BLOCK_FAILED, BLOCK_INTENT_UNBLOCK, 3, 5000, BLOCK_CALL_NONE },
        [F_FAILED_U_CALL] = { BLOCK_FAILED, BLOCK_INTENT_UNBLOCK, 4, 0, BLOCK_CALL_UNBLOCK },
};

static const char *const fixture_names[_F_MAX] = {
        "none", "unblocked", "blocked", "blocking/call", "blocking/wait", "blocking/superseded",
        "unblocking/call", "unblocking/wait", "unblocking/superseded", "failed-block/idle",
        "failed-block/call", "failed-unblock/idle", "failed-unblock/call",
};

/* Shorthands for the table. */
#define S_BING BLOCK_BLOCKING
#define S_BED BLOCK_BLOCKED
#define S_UING BLOCK_UNBLOCKING
#define S_UED BLOCK_UNBLOCKED
#define S_FAIL BLOCK_FAILED
#define I_B BLOCK_INTENT_BLOCK
#define I_U BLOCK_INTENT_UNBLOCK
#define C_0 BLOCK_CALL_NONE
#define C_B BLOCK_CALL_BLOCK
#define C_U BLOCK_CALL_UNBLOCK
#define A_NONE BLOCK_ACTION_NONE
#define A_CB BLOCK_ACTION_CALL_BLOCK
#define A_CU BLOCK_ACTION_CALL_UNBLOCK
#define A_WAIT BLOCK_ACTION_WAIT
#define E_WB BLOCK_EV_WANT_BLOCK
#define E_WU BLOCK_EV_WANT_UNBLOCK
#define E_OK BLOCK_EV_CALL_SUCCEEDED
#define E_TR BLOCK_EV_CALL_FAILED_TRANSIENT
#define E_PE BLOCK_EV_CALL_FAILED_PERMANENT
#define E_DUE BLOCK_EV_RETRY_DUE
#define E_RES BLOCK_EV_RESUME

typedef struct Case {
        int fixture;
        BlockEvent ev;
        int rc;
        BlockRow next;
        BlockAction action;
} Case;

#define ROW(s, i, a, t, c) { s, i, a, t, c }
#define OK_(f, e, s, i, a, t, c, act) { f, e, 0, ROW(s, i, a, t, c), act }
#define STALE(f, e) { f, e, -ESTALE, ROW(0, 0, 0, 0, 0), A_NONE }

/* Every (fixture, event): 13 x 7 = 91 rows.  now = 1000; waiting
 * fixtures are due at 5000, so retry-due and resume find them not due
 * (the due cases have their own test). */
static const Case table[] = {
        /* no row */
        OK_(F_NONE, E_WB, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_NONE, E_WU, S_UED, I_U, 0, 0, C_0, A_NONE),       /* nothing to undo */
        STALE(F_NONE, E_OK),
        STALE(F_NONE, E_TR),
        STALE(F_NONE, E_PE),
        OK_(F_NONE, E_DUE, S_UED, I_U, 0, 0, C_0, A_NONE),
        OK_(F_NONE, E_RES, S_UED, I_U, 0, 0, C_0, A_NONE),
        /* unblocked (tombstone) */
        OK_(F_UNBLOCKED, E_WB, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_UNBLOCKED, E_WU, S_UED, I_U, 0, 0, C_0, A_NONE),
        STALE(F_UNBLOCKED, E_OK),
        STALE(F_UNBLOCKED, E_TR),
        STALE(F_UNBLOCKED, E_PE),
        OK_(F_UNBLOCKED, E_DUE, S_UED, I_U, 0, 0, C_0, A_NONE),
        OK_(F_UNBLOCKED, E_RES, S_UED, I_U, 0, 0, C_0, A_NONE),
        /* blocked */
        OK_(F_BLOCKED, E_WB, S_BED, I_B, 0, 0, C_0, A_NONE),    /* idempotent */
        OK_(F_BLOCKED, E_WU, S_UING, I_U, 1, 0, C_U, A_CU),
        STALE(F_BLOCKED, E_OK),
        STALE(F_BLOCKED, E_TR),
        STALE(F_BLOCKED, E_PE),
        OK_(F_BLOCKED, E_DUE, S_BED, I_B, 0, 0, C_0, A_NONE),
        OK_(F_BLOCKED, E_RES, S_BED, I_B, 0, 0, C_0, A_NONE),   /* nothing re-applied */
        /* blocking, block call out */
        OK_(F_BLOCKING_CALL, E_WB, S_BING, I_B, 1, 0, C_B, A_WAIT),
        OK_(F_BLOCKING_CALL, E_WU, S_UING, I_U, 0, 0, C_B, A_WAIT),     /* unblock when the block reports */
        OK_(F_BLOCKING_CALL, E_OK, S_BED, I_B, 0, 0, C_0, A_NONE),
        OK_(F_BLOCKING_CALL, E_TR, S_BING, I_B, 1, NOW + 100, C_0, A_WAIT),
        OK_(F_BLOCKING_CALL, E_PE, S_FAIL, I_B, 1, NOW + 60000, C_0, A_WAIT),
        OK_(F_BLOCKING_CALL, E_DUE, S_BING, I_B, 1, 0, C_B, A_WAIT),
        OK_(F_BLOCKING_CALL, E_RES, S_BING, I_B, 2, 0, C_B, A_CB),      /* re-issue */
        /* blocking, waiting for the retry */
        OK_(F_BLOCKING_WAIT, E_WB, S_BING, I_B, 2, 5000, C_0, A_WAIT),
        OK_(F_BLOCKING_WAIT, E_WU, S_UING, I_U, 1, 0, C_U, A_CU),       /* the block may have landed */
        STALE(F_BLOCKING_WAIT, E_OK),
        STALE(F_BLOCKING_WAIT, E_TR),
        STALE(F_BLOCKING_WAIT, E_PE),
        OK_(F_BLOCKING_WAIT, E_DUE, S_BING, I_B, 2, 5000, C_0, A_WAIT),
        OK_(F_BLOCKING_WAIT, E_RES, S_BING, I_B, 2, 5000, C_0, A_WAIT),
        /* blocking, the superseded unblock call is out */
        OK_(F_BLOCKING_SUPER, E_WB, S_BING, I_B, 0, 0, C_U, A_WAIT),
        OK_(F_BLOCKING_SUPER, E_WU, S_UING, I_U, 1, 0, C_U, A_WAIT),    /* flipped back: that call serves */
        OK_(F_BLOCKING_SUPER, E_OK, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_BLOCKING_SUPER, E_TR, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_BLOCKING_SUPER, E_PE, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_BLOCKING_SUPER, E_DUE, S_BING, I_B, 0, 0, C_U, A_WAIT),
        OK_(F_BLOCKING_SUPER, E_RES, S_BING, I_B, 1, 0, C_B, A_CB),
        /* unblocking, unblock call out */
        OK_(F_UNBLOCKING_CALL, E_WB, S_BING, I_B, 0, 0, C_U, A_WAIT),
        OK_(F_UNBLOCKING_CALL, E_WU, S_UING, I_U, 1, 0, C_U, A_WAIT),
        OK_(F_UNBLOCKING_CALL, E_OK, S_UED, I_U, 0, 0, C_0, A_NONE),
        OK_(F_UNBLOCKING_CALL, E_TR, S_UING, I_U, 1, NOW + 100, C_0, A_WAIT),
        OK_(F_UNBLOCKING_CALL, E_PE, S_FAIL, I_U, 1, NOW + 60000, C_0, A_WAIT),
        OK_(F_UNBLOCKING_CALL, E_DUE, S_UING, I_U, 1, 0, C_U, A_WAIT),
        OK_(F_UNBLOCKING_CALL, E_RES, S_UING, I_U, 2, 0, C_U, A_CU),    /* never lose an unblock */
        /* unblocking, waiting for the retry */
        OK_(F_UNBLOCKING_WAIT, E_WB, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_UNBLOCKING_WAIT, E_WU, S_UING, I_U, 2, 5000, C_0, A_WAIT),
        STALE(F_UNBLOCKING_WAIT, E_OK),
        STALE(F_UNBLOCKING_WAIT, E_TR),
        STALE(F_UNBLOCKING_WAIT, E_PE),
        OK_(F_UNBLOCKING_WAIT, E_DUE, S_UING, I_U, 2, 5000, C_0, A_WAIT),
        OK_(F_UNBLOCKING_WAIT, E_RES, S_UING, I_U, 2, 5000, C_0, A_WAIT),
        /* unblocking, the superseded block call is out */
        OK_(F_UNBLOCKING_SUPER, E_WB, S_BING, I_B, 1, 0, C_B, A_WAIT),
        OK_(F_UNBLOCKING_SUPER, E_WU, S_UING, I_U, 0, 0, C_B, A_WAIT),
        OK_(F_UNBLOCKING_SUPER, E_OK, S_UING, I_U, 1, 0, C_U, A_CU),    /* the block landed: undo it */
        OK_(F_UNBLOCKING_SUPER, E_TR, S_UING, I_U, 1, 0, C_U, A_CU),
        OK_(F_UNBLOCKING_SUPER, E_PE, S_UING, I_U, 1, 0, C_U, A_CU),
        OK_(F_UNBLOCKING_SUPER, E_DUE, S_UING, I_U, 0, 0, C_B, A_WAIT),
        OK_(F_UNBLOCKING_SUPER, E_RES, S_UING, I_U, 1, 0, C_U, A_CU),
        /* failed block, idle */
        OK_(F_FAILED_B_IDLE, E_WB, S_FAIL, I_B, 3, 5000, C_0, A_WAIT), /* keeps the slow schedule */
        OK_(F_FAILED_B_IDLE, E_WU, S_UING, I_U, 1, 0, C_U, A_CU),
        STALE(F_FAILED_B_IDLE, E_OK),
        STALE(F_FAILED_B_IDLE, E_TR),
        STALE(F_FAILED_B_IDLE, E_PE),
        OK_(F_FAILED_B_IDLE, E_DUE, S_FAIL, I_B, 3, 5000, C_0, A_WAIT),
        OK_(F_FAILED_B_IDLE, E_RES, S_FAIL, I_B, 3, 5000, C_0, A_WAIT),
        /* failed block, slow retry out */
        OK_(F_FAILED_B_CALL, E_WB, S_FAIL, I_B, 4, 0, C_B, A_WAIT),
        OK_(F_FAILED_B_CALL, E_WU, S_UING, I_U, 0, 0, C_B, A_WAIT),
        OK_(F_FAILED_B_CALL, E_OK, S_BED, I_B, 0, 0, C_0, A_NONE),
        OK_(F_FAILED_B_CALL, E_TR, S_FAIL, I_B, 4, NOW + 60000, C_0, A_WAIT),
        OK_(F_FAILED_B_CALL, E_PE, S_FAIL, I_B, 4, NOW + 60000, C_0, A_WAIT),
        OK_(F_FAILED_B_CALL, E_DUE, S_FAIL, I_B, 4, 0, C_B, A_WAIT),
        OK_(F_FAILED_B_CALL, E_RES, S_FAIL, I_B, 5, 0, C_B, A_CB),
        /* failed unblock, idle: still remembers the direction */
        OK_(F_FAILED_U_IDLE, E_WB, S_BING, I_B, 1, 0, C_B, A_CB),
        OK_(F_FAILED_U_IDLE, E_WU, S_FAIL, I_U, 3, 5000, C_0, A_WAIT),
        STALE(F_FAILED_U_IDLE, E_OK),
        STALE(F_FAILED_U_IDLE, E_TR),
        STALE(F_FAILED_U_IDLE, E_PE),
        OK_(F_FAILED_U_IDLE, E_DUE, S_FAIL, I_U, 3, 5000, C_0, A_WAIT),
        OK_(F_FAILED_U_IDLE, E_RES, S_FAIL, I_U, 3, 5000, C_0, A_WAIT),
        /* failed unblock, slow retry out */
        OK_(F_FAILED_U_CALL, E_WB, S_BING, I_B, 0, 0, C_U, A_WAIT),
        OK_(F_FAILED_U_CALL, E_WU, S_FAIL, I_U, 4, 0, C_U, A_WAIT),
        OK_(F_FAILED_U_CALL, E_OK, S_UED, I_U, 0, 0, C_0, A_NONE),
        OK_(F_FAILED_U_CALL, E_TR, S_FAIL, I_U, 4, NOW + 60000, C_0, A_WAIT),
        OK_(F_FAILED_U_CALL, E_PE, S_FAIL, I_U, 4, NOW + 60000, C_0, A_WAIT),
        OK_(F_FAILED_U_CALL, E_DUE, S_FAIL, I_U, 4, 0, C_U, A_WAIT),
        OK_(F_FAILED_U_CALL, E_RES, S_FAIL, I_U, 5, 0, C_U, A_CU),
};

static void row_str(const BlockRow *r, char *buf, size_t n)
{
        snprintf(buf, n, "%s/%s att=%u next=%llu inflight=%s", block_state_to_string(r->state),
                 block_intent_to_string(r->intent), r->attempts, (unsigned long long) r->next_attempt_at,
                 block_call_to_string(r->in_flight));
}

static void test_table_complete(void)
{
        bool seen[_F_MAX][_BLOCK_EVENT_MAX] = { { false } };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                CU_ASSERT_FALSE(seen[table[i].fixture][table[i].ev]);
                seen[table[i].fixture][table[i].ev] = true;
        }
        for (int f = 0; f < _F_MAX; f++)
                for (int e = 0; e < _BLOCK_EVENT_MAX; e++)
                        CU_ASSERT_TRUE(seen[f][e]);
}

static void test_table(void)
{
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                const Case *c = &table[i];
                const BlockRow *cur = c->fixture == F_NONE ? NULL : &fixtures[c->fixture];
                BlockRow sentinel = { BLOCK_FAILED, BLOCK_INTENT_UNBLOCK, 77, 77, BLOCK_CALL_UNBLOCK };
                BlockRow next = sentinel;
                BlockAction action = (BlockAction) 99;
                char want[128], got[128];
                int r;

                r = block_transition(cur, c->ev, &P, NOW, 0, &next, &action);
                if (r != c->rc) {
                        printf("# %s + %s: rc %d, expected %d\n", fixture_names[c->fixture],
                               block_event_to_string(c->ev), r, c->rc);
                        CU_FAIL("return code");
                        continue;
                }
                if (r < 0) {
                        /* Outputs untouched on failure. */
                        CU_ASSERT_TRUE(block_row_equal(&next, &sentinel));
                        CU_ASSERT_EQUAL(action, (BlockAction) 99);
                        continue;
                }
                row_str(&c->next, want, sizeof(want));
                row_str(&next, got, sizeof(got));
                if (!block_row_equal(&next, &c->next) || action != c->action) {
                        printf("# %s + %s: got %s %s, expected %s %s\n", fixture_names[c->fixture],
                               block_event_to_string(c->ev), got, block_action_to_string(action), want,
                               block_action_to_string(c->action));
                        CU_FAIL("transition");
                }
        }
}

/* Invariants over every fixture x event x a few clocks and random values. */
static void test_invariants(void)
{
        static const uint64_t clocks[] = { 0, 1, NOW, 4999, 5000, 5001, UINT64_MAX - 10, UINT64_MAX };
        static const uint32_t randoms[] = { 0, 1, UINT32_MAX / 2, UINT32_MAX };

        for (int f = 0; f < _F_MAX; f++)
                for (int e = 0; e < _BLOCK_EVENT_MAX; e++)
                        for (size_t k = 0; k < sizeof(clocks) / sizeof(clocks[0]); k++)
                                for (size_t j = 0; j < sizeof(randoms) / sizeof(randoms[0]); j++) {
                                        const BlockRow *cur = f == F_NONE ? NULL : &fixtures[f];
                                        BlockRow n;
                                        BlockAction a;
                                        int r = block_transition(cur, (BlockEvent) e, &P, clocks[k], randoms[j],
                                                                 &n, &a);
                                        if (r == -ESTALE)
                                                continue;
                                        CU_ASSERT_EQUAL_FATAL(r, 0);
                                        /* A call action means that call is now outstanding. */
                                        if (a == BLOCK_ACTION_CALL_BLOCK)
                                                CU_ASSERT_TRUE(n.in_flight == BLOCK_CALL_BLOCK &&
                                                               n.intent == BLOCK_INTENT_BLOCK);
                                        if (a == BLOCK_ACTION_CALL_UNBLOCK)
                                                CU_ASSERT_TRUE(n.in_flight == BLOCK_CALL_UNBLOCK &&
                                                               n.intent == BLOCK_INTENT_UNBLOCK);
                                        /* NONE exactly when settled. */
                                        CU_ASSERT_EQUAL(a == BLOCK_ACTION_NONE, block_row_settled(&n));
                                        /* Settled rows carry nothing. */
                                        if (block_row_settled(&n))
                                                CU_ASSERT_TRUE(n.in_flight == BLOCK_CALL_NONE && n.attempts == 0 &&
                                                               n.next_attempt_at == 0);
                                        /* State and intent agree. */
                                        if (n.state == BLOCK_BLOCKING || n.state == BLOCK_BLOCKED)
                                                CU_ASSERT_EQUAL(n.intent, BLOCK_INTENT_BLOCK);
                                        if (n.state == BLOCK_UNBLOCKING || n.state == BLOCK_UNBLOCKED)
                                                CU_ASSERT_EQUAL(n.intent, BLOCK_INTENT_UNBLOCK);
                                        /* An unsettled row without an outstanding call has a retry
                                         * scheduled (or is due at once after a restart). */
                                        if (a == BLOCK_ACTION_WAIT && n.in_flight == BLOCK_CALL_NONE)
                                                CU_ASSERT_TRUE(n.next_attempt_at > 0);
                                        if (n.in_flight != BLOCK_CALL_NONE)
                                                CU_ASSERT_EQUAL(n.next_attempt_at, 0);
                                        /* A want-unblock never leaves a block intent behind. */
                                        if (e == BLOCK_EV_WANT_UNBLOCK)
                                                CU_ASSERT_EQUAL(n.intent, BLOCK_INTENT_UNBLOCK);
                                        if (e == BLOCK_EV_WANT_BLOCK)
                                                CU_ASSERT_EQUAL(n.intent, BLOCK_INTENT_BLOCK);
                                        /* No event but a want changes the direction. */
                                        if (e != BLOCK_EV_WANT_BLOCK && e != BLOCK_EV_WANT_UNBLOCK && cur)
                                                CU_ASSERT_EQUAL(n.intent, cur->intent);
                                }
}

static void test_retry_due(void)
{
        static const int waiting[] = { F_BLOCKING_WAIT, F_UNBLOCKING_WAIT, F_FAILED_B_IDLE, F_FAILED_U_IDLE };
        BlockRow n;
        BlockAction a;

        for (size_t i = 0; i < sizeof(waiting) / sizeof(waiting[0]); i++) {
                const BlockRow *cur = &fixtures[waiting[i]];
                BlockAction want = cur->intent == BLOCK_INTENT_BLOCK ? BLOCK_ACTION_CALL_BLOCK
                                                                     : BLOCK_ACTION_CALL_UNBLOCK;

                /* One ms early: wait; on the dot and later: call. */
                CU_ASSERT_EQUAL(block_transition(cur, BLOCK_EV_RETRY_DUE, &P, 4999, 0, &n, &a), 0);
                CU_ASSERT_EQUAL(a, BLOCK_ACTION_WAIT);
                CU_ASSERT_TRUE(block_row_equal(&n, cur));
                for (uint64_t now = 5000; now <= 5001; now++) {
                        CU_ASSERT_EQUAL(block_transition(cur, BLOCK_EV_RETRY_DUE, &P, now, 0, &n, &a), 0);
                        CU_ASSERT_EQUAL(a, want);
                        CU_ASSERT_EQUAL(n.state, cur->state);   /* failed rows stay failed while retrying */
                        CU_ASSERT_EQUAL(n.attempts, cur->attempts + 1);
                        CU_ASSERT_EQUAL(n.next_attempt_at, 0);
                        /* Resume after a crash while due: call at once too. */
                        CU_ASSERT_EQUAL(block_transition(cur, BLOCK_EV_RESUME, &P, now, 0, &n, &a), 0);
                        CU_ASSERT_EQUAL(a, want);
                }
        }
}

static void test_backoff_then_failed(void)
{
        BlockRow r, n;
        BlockAction a;
        uint64_t now = NOW;

        /* want-block, then every call fails transiently. */
        CU_ASSERT_EQUAL_FATAL(block_transition(NULL, BLOCK_EV_WANT_BLOCK, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_BLOCK);
        CU_ASSERT_EQUAL(r.attempts, 1);

        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_CALL_FAILED_TRANSIENT, &P, now, 0, &n, &a), 0);
        CU_ASSERT_EQUAL(n.state, BLOCK_BLOCKING);
        CU_ASSERT_EQUAL(n.next_attempt_at, now + 100);
        r = n;
        now = r.next_attempt_at;
        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_RETRY_DUE, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_BLOCK);
        CU_ASSERT_EQUAL(r.attempts, 2);

        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_CALL_FAILED_TRANSIENT, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(r.state, BLOCK_BLOCKING);
        CU_ASSERT_EQUAL(r.next_attempt_at, now + 200);          /* doubled */
        now = r.next_attempt_at;
        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_RETRY_DUE, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(r.attempts, 3);

        /* Third call (max_attempts) fails: FAILED, slow retry, still a block. */
        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_CALL_FAILED_TRANSIENT, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(r.state, BLOCK_FAILED);
        CU_ASSERT_EQUAL(r.intent, BLOCK_INTENT_BLOCK);
        CU_ASSERT_EQUAL(r.next_attempt_at, now + 60000);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_WAIT);
        CU_ASSERT_STRING_EQUAL(block_state_to_string(r.state), "failed");

        /* The slow retry succeeds. */
        now = r.next_attempt_at;
        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_RETRY_DUE, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_BLOCK);
        CU_ASSERT_EQUAL(r.attempts, 4);
        CU_ASSERT_EQUAL_FATAL(block_transition(&r, BLOCK_EV_CALL_SUCCEEDED, &P, now, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(r.state, BLOCK_BLOCKED);
        CU_ASSERT_EQUAL(r.attempts, 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_NONE);
}

static void test_jitter(void)
{
        BlockPolicy pj = P;
        BlockRow n;
        BlockAction a;

        pj.retry.jitter = 0.5;
        /* random 0: the low end, d/2; UINT32_MAX: the full delay. */
        CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_TRANSIENT, &pj, NOW, 0,
                                         &n, &a), 0);
        CU_ASSERT_EQUAL(n.next_attempt_at, NOW + 50);
        CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_TRANSIENT, &pj, NOW,
                                         UINT32_MAX, &n, &a), 0);
        CU_ASSERT_EQUAL(n.next_attempt_at, NOW + 100);
        /* The slow interval spreads too. */
        CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_PERMANENT, &pj, NOW, 0,
                                         &n, &a), 0);
        CU_ASSERT_EQUAL(n.next_attempt_at, NOW + 30000);
        CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_PERMANENT, &pj, NOW,
                                         UINT32_MAX, &n, &a), 0);
        CU_ASSERT_EQUAL(n.next_attempt_at, NOW + 60000);
}

static void test_clock_edges(void)
{
        BlockRow n;
        BlockAction a;

        /* No overflow near the end of time. */
        CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_PERMANENT, &P,
                                         UINT64_MAX - 5, 0, &n, &a), 0);
        CU_ASSERT_EQUAL(n.next_attempt_at, UINT64_MAX);
        /* A retry "at the epoch" is still a scheduled retry, never 0. */
        CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_TRANSIENT, &P, 0, 0,
                                         &n, &a), 0);
        CU_ASSERT_EQUAL(n.next_attempt_at, 100);
        {
                BlockPolicy z = P;
                z.retry.base_ms = 0;
                CU_ASSERT_EQUAL(block_transition(&fixtures[F_BLOCKING_CALL], BLOCK_EV_CALL_FAILED_TRANSIENT, &z,
                                                 0, 0, &n, &a), 0);
                CU_ASSERT_EQUAL(n.next_attempt_at, 1);
                CU_ASSERT_EQUAL(a, BLOCK_ACTION_WAIT);
        }
}

static void test_invalid(void)
{
        BlockRow n = fixtures[F_BLOCKED], bad;
        BlockAction a = BLOCK_ACTION_WAIT;
        BlockPolicy bp = P;

        CU_ASSERT_EQUAL(block_transition(NULL, (BlockEvent) _BLOCK_EVENT_MAX, &P, NOW, 0, &n, &a), -EINVAL);
        CU_ASSERT_EQUAL(block_transition(NULL, (BlockEvent) -1, &P, NOW, 0, &n, &a), -EINVAL);
        CU_ASSERT_EQUAL(block_transition(NULL, BLOCK_EV_WANT_BLOCK, NULL, NOW, 0, &n, &a), -EINVAL);
        CU_ASSERT_EQUAL(block_transition(NULL, BLOCK_EV_WANT_BLOCK, &P, NOW, 0, NULL, &a), -EINVAL);
        CU_ASSERT_EQUAL(block_transition(NULL, BLOCK_EV_WANT_BLOCK, &P, NOW, 0, &n, NULL), -EINVAL);
        bp.failed_interval_ms = 0;
        CU_ASSERT_EQUAL(block_transition(NULL, BLOCK_EV_WANT_BLOCK, &bp, NOW, 0, &n, &a), -EINVAL);
        bp = P;
        bp.retry.max_attempts = 0;
        CU_ASSERT_EQUAL(block_transition(NULL, BLOCK_EV_WANT_BLOCK, &bp, NOW, 0, &n, &a), -EINVAL);

        bad = fixtures[F_BLOCKED];
        bad.state = (BlockState) _BLOCK_STATE_MAX;
        CU_ASSERT_EQUAL(block_transition(&bad, BLOCK_EV_WANT_BLOCK, &P, NOW, 0, &n, &a), -EINVAL);
        bad.state = (BlockState) -3;
        CU_ASSERT_EQUAL(block_transition(&bad, BLOCK_EV_WANT_BLOCK, &P, NOW, 0, &n, &a), -EINVAL);
        bad = fixtures[F_FAILED_B_IDLE];
        bad.intent = (BlockIntent) 7;
        CU_ASSERT_EQUAL(block_transition(&bad, BLOCK_EV_WANT_BLOCK, &P, NOW, 0, &n, &a), -EINVAL);
        /* A failed block with an unblock call out cannot happen. */
        bad = fixtures[F_FAILED_B_CALL];
        bad.in_flight = BLOCK_CALL_UNBLOCK;
        CU_ASSERT_EQUAL(block_transition(&bad, BLOCK_EV_RETRY_DUE, &P, NOW, 0, &n, &a), -EINVAL);
        bad = fixtures[F_BLOCKING_CALL];
        bad.in_flight = (BlockCall) 9;
        CU_ASSERT_EQUAL(block_transition(&bad, BLOCK_EV_RETRY_DUE, &P, NOW, 0, &n, &a), -EINVAL);

        /* Outputs untouched by all of the above. */
        CU_ASSERT_TRUE(block_row_equal(&n, &fixtures[F_BLOCKED]));
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_WAIT);

        CU_ASSERT_EQUAL(block_policy_validate(&P), 0);
        CU_ASSERT_EQUAL(block_policy_validate(&BLOCK_POLICY_DEFAULT), 0);
        CU_ASSERT_EQUAL(block_policy_validate(NULL), -EINVAL);
}

static void test_normalize(void)
{
        BlockRow cur, n;
        BlockAction a;

        /* The store need not keep the intent but for failed rows: the state
         * implies it, and settled rows shed stale counters. */
        cur = (BlockRow) { BLOCK_BLOCKING, BLOCK_INTENT_UNBLOCK, 1, 0, BLOCK_CALL_NONE };
        CU_ASSERT_EQUAL(block_transition(&cur, BLOCK_EV_RESUME, &P, NOW, 0, &n, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_BLOCK);
        CU_ASSERT_EQUAL(n.intent, BLOCK_INTENT_BLOCK);
        cur = (BlockRow) { BLOCK_BLOCKED, BLOCK_INTENT_UNBLOCK, 5, 99, BLOCK_CALL_BLOCK };
        CU_ASSERT_EQUAL(block_transition(&cur, BLOCK_EV_RESUME, &P, NOW, 0, &n, &a), 0);
        CU_ASSERT_TRUE(block_row_equal(&n, &fixtures[F_BLOCKED]));
        CU_ASSERT_EQUAL(block_transition(&cur, BLOCK_EV_CALL_SUCCEEDED, &P, NOW, 0, &n, &a), -ESTALE);
        /* BLOCK_ROW_NONE is what NULL means. */
        cur = BLOCK_ROW_NONE;
        CU_ASSERT_EQUAL(block_transition(&cur, BLOCK_EV_WANT_BLOCK, &P, NOW, 0, &n, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_BLOCK);
}

/* Crash between "intent stored" and "call made": the row read back from
 * the store (in_flight is not stored) resumes with the same call. */
static void test_crash_recovery(void)
{
        BlockRow r, stored, n;
        BlockAction a;

        CU_ASSERT_EQUAL_FATAL(block_transition(&fixtures[F_BLOCKED], BLOCK_EV_WANT_UNBLOCK, &P, NOW, 0, &r, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_UNBLOCK);
        stored = r;
        stored.in_flight = BLOCK_CALL_NONE;     /* what a load gives back */
        CU_ASSERT_EQUAL_FATAL(block_transition(&stored, BLOCK_EV_RESUME, &P, NOW + 1, 0, &n, &a), 0);
        CU_ASSERT_EQUAL(a, BLOCK_ACTION_CALL_UNBLOCK);
        CU_ASSERT_EQUAL(n.state, BLOCK_UNBLOCKING);
        CU_ASSERT_EQUAL(n.attempts, 2);
        /* A report of the call that was out before the crash would be
         * taken for the new one: both are the same idempotent unblock. */
        CU_ASSERT_EQUAL_FATAL(block_transition(&n, BLOCK_EV_CALL_SUCCEEDED, &P, NOW + 2, 0, &n, &a), 0);
        CU_ASSERT_EQUAL(n.state, BLOCK_UNBLOCKED);
        /* ... and the second report is stale. */
        CU_ASSERT_EQUAL(block_transition(&n, BLOCK_EV_CALL_SUCCEEDED, &P, NOW + 3, 0, &r, &a), -ESTALE);
}

/* Random walks against a model of the vendor: whatever the interleaving
 * of wants, outcomes, retries and restarts, once the wants stop and the
 * responder works again, the row settles on the last want and the vendor
 * agrees with it (no lost unblock, no block left behind a superseded
 * call). */
static uint32_t lcg(uint32_t *s)
{
        *s = *s * 1664525u + 1013904223u;
        return *s >> 8;
}

static void test_random_walks(void)
{
        uint32_t seed = 12345;

        for (int walk = 0; walk < 3000; walk++) {
                BlockRow r = BLOCK_ROW_NONE, n;
                BlockAction a;
                int desired = -1;               /* -1 none, else BlockIntent */
                bool vendor_blocked = false;
                BlockCall out = BLOCK_CALL_NONE;        /* the call the vendor is processing */
                uint64_t now = 1000;
                int steps = 1 + (int) (lcg(&seed) % 40);

                for (int s = 0; s < steps; s++) {
                        BlockEvent ev = (BlockEvent) (lcg(&seed) % _BLOCK_EVENT_MAX);
                        int rc;

                        now += lcg(&seed) % 200;
                        rc = block_transition(&r, ev, &P, now, lcg(&seed), &n, &a);
                        if (rc == -ESTALE) {
                                CU_ASSERT_TRUE(ev == BLOCK_EV_CALL_SUCCEEDED || ev == BLOCK_EV_CALL_FAILED_TRANSIENT ||
                                               ev == BLOCK_EV_CALL_FAILED_PERMANENT);
                                CU_ASSERT_EQUAL(r.in_flight, BLOCK_CALL_NONE);
                                continue;
                        }
                        CU_ASSERT_EQUAL_FATAL(rc, 0);
                        if (ev == BLOCK_EV_WANT_BLOCK)
                                desired = BLOCK_INTENT_BLOCK;
                        if (ev == BLOCK_EV_WANT_UNBLOCK && (desired >= 0 || r.state != BLOCK_UNBLOCKED))
                                desired = BLOCK_INTENT_UNBLOCK;
                        /* The vendor sees the outcome of the call it was processing. */
                        if (ev == BLOCK_EV_CALL_SUCCEEDED ||
                            (ev == BLOCK_EV_CALL_FAILED_TRANSIENT && (lcg(&seed) & 1)))
                                vendor_blocked = out == BLOCK_CALL_BLOCK ? true
                                               : out == BLOCK_CALL_UNBLOCK ? false : vendor_blocked;
                        if (ev == BLOCK_EV_CALL_SUCCEEDED || ev == BLOCK_EV_CALL_FAILED_TRANSIENT ||
                            ev == BLOCK_EV_CALL_FAILED_PERMANENT)
                                out = BLOCK_CALL_NONE;
                        if (ev == BLOCK_EV_RESUME) {
                                /* A restart: the call that was out may still land. */
                                if (out != BLOCK_CALL_NONE && (lcg(&seed) & 1))
                                        vendor_blocked = out == BLOCK_CALL_BLOCK;
                                out = BLOCK_CALL_NONE;
                        }
                        if (a == BLOCK_ACTION_CALL_BLOCK)
                                out = BLOCK_CALL_BLOCK;
                        if (a == BLOCK_ACTION_CALL_UNBLOCK)
                                out = BLOCK_CALL_UNBLOCK;
                        /* Only one call at a time. */
                        CU_ASSERT_EQUAL(n.in_flight, out);
                        if (desired >= 0 && !block_row_settled(&n))
                                CU_ASSERT_EQUAL(n.intent, (BlockIntent) desired);
                        r = n;
                }

                /* The responder recovers: drive to completion. */
                for (int guard = 0; guard < 100 && !block_row_settled(&r); guard++) {
                        BlockEvent ev;
                        if (r.in_flight != BLOCK_CALL_NONE)
                                ev = BLOCK_EV_CALL_SUCCEEDED;
                        else {
                                ev = BLOCK_EV_RETRY_DUE;
                                if (r.next_attempt_at > now)
                                        now = r.next_attempt_at;
                        }
                        CU_ASSERT_EQUAL_FATAL(block_transition(&r, ev, &P, now, 0, &n, &a), 0);
                        if (ev == BLOCK_EV_CALL_SUCCEEDED)
                                vendor_blocked = r.in_flight == BLOCK_CALL_BLOCK;
                        r = n;
                }
                CU_ASSERT_TRUE_FATAL(block_row_settled(&r));
                if (desired < 0) {
                        CU_ASSERT_EQUAL(r.state, BLOCK_UNBLOCKED);
                        CU_ASSERT_FALSE(vendor_blocked);
                } else {
                        CU_ASSERT_EQUAL(r.state, desired == BLOCK_INTENT_BLOCK ? BLOCK_BLOCKED : BLOCK_UNBLOCKED);
                        CU_ASSERT_EQUAL(vendor_blocked, desired == BLOCK_INTENT_BLOCK);
                }
        }
}

static void test_strings(void)
{
        for (int i = 0; i < _BLOCK_STATE_MAX; i++) {
                CU_ASSERT_PTR_NOT_NULL_FATAL(block_state_to_string((BlockState) i));
                CU_ASSERT_EQUAL(block_state_from_string(block_state_to_string((BlockState) i)), i);
        }
        /* The names are the ones the SQLite CHECK constraint accepts. */
        CU_ASSERT_EQUAL(_BLOCK_STATE_MAX, STORE_BLOCK_STATES);
        for (int i = 0; i < _BLOCK_STATE_MAX && i < STORE_BLOCK_STATES; i++)
                CU_ASSERT_STRING_EQUAL(block_state_to_string((BlockState) i), store_block_state_names[i]);
        CU_ASSERT_STRING_EQUAL(block_state_to_string(BLOCK_UNBLOCKING), "unblocking");
        CU_ASSERT_STRING_EQUAL(block_state_to_string(BLOCK_FAILED), "failed");
        CU_ASSERT_EQUAL(block_state_from_string("Blocked"), _BLOCK_STATE_INVALID);
        CU_ASSERT_EQUAL(block_state_from_string(NULL), _BLOCK_STATE_INVALID);
        CU_ASSERT_PTR_NULL(block_state_to_string(_BLOCK_STATE_MAX));
        CU_ASSERT_PTR_NULL(block_state_to_string(_BLOCK_STATE_INVALID));

        CU_ASSERT_STRING_EQUAL(block_intent_to_string(BLOCK_INTENT_BLOCK), "block");
        CU_ASSERT_STRING_EQUAL(block_intent_to_string(BLOCK_INTENT_UNBLOCK), "unblock");
        CU_ASSERT_EQUAL(block_intent_from_string("unblock"), BLOCK_INTENT_UNBLOCK);
        CU_ASSERT_EQUAL(block_intent_from_string("x"), _BLOCK_INTENT_INVALID);
        CU_ASSERT_STRING_EQUAL(block_call_to_string(BLOCK_CALL_NONE), "none");

        for (int i = 0; i < _BLOCK_EVENT_MAX; i++)
                CU_ASSERT_PTR_NOT_NULL(block_event_to_string((BlockEvent) i));
        CU_ASSERT_STRING_EQUAL(block_event_to_string(BLOCK_EV_CALL_FAILED_TRANSIENT), "call-failed-transient");
        CU_ASSERT_STRING_EQUAL(block_event_to_string(BLOCK_EV_RESUME), "resume");
        CU_ASSERT_PTR_NULL(block_event_to_string(_BLOCK_EVENT_MAX));
        CU_ASSERT_STRING_EQUAL(block_action_to_string(BLOCK_ACTION_CALL_UNBLOCK), "call-unblock");
        CU_ASSERT_STRING_EQUAL(block_action_to_string(BLOCK_ACTION_WAIT), "wait");
        CU_ASSERT_PTR_NULL(block_action_to_string((BlockAction) -1));
}

void state_suite_add(void)
{
        UNIT_SUITE("state",
                   UNIT_TEST(test_table_complete),
                   UNIT_TEST(test_table),
                   UNIT_TEST(test_invariants),
                   UNIT_TEST(test_retry_due),
                   UNIT_TEST(test_backoff_then_failed),
                   UNIT_TEST(test_jitter),
                   UNIT_TEST(test_clock_edges),
                   UNIT_TEST(test_invalid),
                   UNIT_TEST(test_normalize),
                   UNIT_TEST(test_crash_recovery),
                   UNIT_TEST(test_random_walks),
                   UNIT_TEST(test_strings));
}
