/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "common/strv.h"
#include "responders/rbatchres.h"
#include "tests/unit/unit.h"

typedef struct Seen {
        unsigned done_calls, cleanups;
        bool cleanup_after_done;
        ResponderResult res[4];
        char el0[64];
} Seen;

static void on_done(ResponderBatch *b)
{
        Seen *s = b->userdata;

        s->done_calls++;
        for (size_t i = 0; i < b->n; i++)
                s->res[i] = b->items[i].res;
        /* the strings are valid while done runs */
        if (b->items[0].res.n_elements == 1)
                snprintf(s->el0, sizeof(s->el0), "%s", b->items[0].res.elements[0]);
        CU_ASSERT_STRING_EQUAL(b->items[1].res.error, "item 1: HTTP 503");
}

static void cleanup(void *data)
{
        Seen *s = data;

        s->cleanups++;
        s->cleanup_after_done = s->done_calls == 1;
}

/* Items fanned out into units: a permanent failure wins over a transient
 * one, elements are distinct, an empty unblock has nothing to undo and an
 * empty block did nothing. */
static void test_from_units(void)
{
        ResponderItem items[5] = {
                { .block = true }, { .block = true }, { .block = true }, { .block = false }, { .block = true },
        };
        ResponderBatch b = { .items = items, .n = 5 };
        RBatchUnit units[] = {
                { .item = 0, .element = "10.0.0.1" },
                { .item = 0, .element = "10.0.0.1" },                   /* the same address in a second group */
                { .item = 1, .failed = true, .transient = true, .error = "group A: HTTP 503" },
                { .item = 1, .failed = true, .transient = false, .error = "group B: HTTP 400" },
                { .item = 1, .element = "10.0.0.2" },
                { .item = 2, .failed = true, .transient = true, .error = "HTTP 429" },
        };
        char **elements[5] = { NULL };

        rbatch_results_from_units(&b, units, sizeof(units) / sizeof(units[0]), elements);
        CU_ASSERT_EQUAL(items[0].res.r, 0);
        CU_ASSERT_EQUAL(items[0].res.n_elements, 1);
        CU_ASSERT_STRING_EQUAL(items[0].res.elements[0], "10.0.0.1");
        CU_ASSERT_EQUAL(items[1].res.r, -EIO);
        CU_ASSERT_FALSE(items[1].res.transient);
        CU_ASSERT_STRING_EQUAL(items[1].res.error, "group B: HTTP 400");
        CU_ASSERT_TRUE(items[2].res.transient);
        CU_ASSERT_EQUAL(items[3].res.r, 0);
        CU_ASSERT_EQUAL(items[3].res.n_elements, 0);
        CU_ASSERT_EQUAL(items[4].res.r, -EINVAL);
        CU_ASSERT_STRING_EQUAL(items[4].res.error, "nothing to block");
        for (size_t i = 0; i < 5; i++)
                strv_free(elements[i]);
}

static void test_results(void)
{
        uv_loop_t loop;
        Seen s = { 0 };
        ResponderItem items[4] = { 0 };
        ResponderBatch b = { .items = items, .n = 4, .done = on_done, .userdata = &s };
        const char *els[] = { "e1", NULL, "e2" };
        char elem[] = "10.0.0.1";
        RBatchRes *rr;

        CU_ASSERT_EQUAL_FATAL(uv_loop_init(&loop), 0);
        for (size_t i = 0; i < 4; i++)
                items[i].res = (ResponderResult) { .r = -EIO, .transient = true, .error = "no result" };
        rr = rbatchres_new(&loop, &b);
        rbatchres_ok1(rr, 0, elem);
        elem[0] = 'X';                          /* copied, not borrowed */
        rbatchres_fail(rr, 1, -EAGAIN, true, "item %d: HTTP %d", 1, 503);
        rbatchres_ok(rr, 2, els, 3);            /* NULL entries skipped */
        CU_ASSERT_TRUE(rbatchres_resolved(rr, 0));
        CU_ASSERT_FALSE(rbatchres_resolved(rr, 3));
        CU_ASSERT_FALSE(rbatchres_resolved(rr, 9));
        /* the first verdict wins */
        rbatchres_fail(rr, 0, -EIO, false, "late");
        rbatchres_ok1(rr, 1, "late");
        rbatchres_fail_rest(rr, 0, false, "rest: %s", "gave up");   /* r >= 0 becomes -EIO */
        rbatchres_finish(rr, cleanup, &s);
        CU_ASSERT_EQUAL(s.done_calls, 0);       /* never from inside the module's call */
        CU_ASSERT_EQUAL(uv_run(&loop, UV_RUN_DEFAULT), 0);
        CU_ASSERT_EQUAL(s.done_calls, 1);
        CU_ASSERT_EQUAL(s.cleanups, 1);
        CU_ASSERT_TRUE(s.cleanup_after_done);
        CU_ASSERT_EQUAL(s.res[0].r, 0);
        CU_ASSERT_STRING_EQUAL(s.el0, "10.0.0.1");
        CU_ASSERT_EQUAL(s.res[1].r, -EAGAIN);
        CU_ASSERT_TRUE(s.res[1].transient);
        CU_ASSERT_EQUAL(s.res[2].r, 0);
        CU_ASSERT_EQUAL(s.res[2].n_elements, 2);
        CU_ASSERT_EQUAL(s.res[3].r, -EIO);
        CU_ASSERT_FALSE(s.res[3].transient);
        CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

void rbatchres_suite_add(void)
{
        UNIT_SUITE("rbatchres", UNIT_TEST(test_results), UNIT_TEST(test_from_units));
}
