/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/rbatchres.h"

struct RBatchRes {
        ResponderBatch *b;
        uv_timer_t defer;
        bool *resolved;
        char ***elements;               /* per item, owned */
        char **errors;                  /* per item, owned */
        void (*cleanup)(void *data);
        void *data;
};

RBatchRes *rbatchres_new(uv_loop_t *loop, ResponderBatch *b)
{
        RBatchRes *rr = xnew(RBatchRes, 1);
        size_t n = b->n ? b->n : 1;

        rr->b = b;
        rr->resolved = xnew(bool, n);
        rr->elements = xnew(char **, n);
        rr->errors = xnew(char *, n);
        (void) uv_timer_init(loop, &rr->defer);
        rr->defer.data = rr;
        return rr;
}

bool rbatchres_resolved(const RBatchRes *rr, size_t i)
{
        return i < rr->b->n && rr->resolved[i];
}

void rbatchres_ok(RBatchRes *rr, size_t i, const char *const *elements, size_t n)
{
        if (i >= rr->b->n || rr->resolved[i])
                return;
        rr->resolved[i] = true;
        for (size_t k = 0; k < n; k++)
                if (elements[k])
                        rr->elements[i] = strv_push(rr->elements[i], elements[k]);
        rr->b->items[i].res = (ResponderResult) {
                .r = 0,
                .elements = rr->elements[i],
                .n_elements = strv_length(rr->elements[i]),
        };
}

void rbatchres_ok1(RBatchRes *rr, size_t i, const char *element)
{
        rbatchres_ok(rr, i, &element, element ? 1 : 0);
}

static void fail_v(RBatchRes *rr, size_t i, int r, bool transient, const char *fmt, va_list ap)
{
        if (i >= rr->b->n || rr->resolved[i])
                return;
        rr->resolved[i] = true;
        rr->errors[i] = xvasprintf(fmt, ap);
        rr->b->items[i].res = (ResponderResult) {
                .r = r < 0 ? r : -EIO,
                .transient = transient,
                .error = rr->errors[i],
        };
}

void rbatchres_fail(RBatchRes *rr, size_t i, int r, bool transient, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fail_v(rr, i, r, transient, fmt, ap);
        va_end(ap);
}

void rbatchres_fail_rest(RBatchRes *rr, int r, bool transient, const char *fmt, ...)
{
        for (size_t i = 0; i < rr->b->n; i++) {
                va_list ap;
                if (rr->resolved[i])
                        continue;
                va_start(ap, fmt);
                fail_v(rr, i, r, transient, fmt, ap);
                va_end(ap);
        }
}

static void on_closed(uv_handle_t *h)
{
        RBatchRes *rr = h->data;
        ResponderBatch *b = rr->b;
        size_t n = b->n;

        b->done(b);             /* b is gone after this */
        if (rr->cleanup)
                rr->cleanup(rr->data);
        for (size_t i = 0; i < n; i++) {
                strv_free(rr->elements[i]);
                free(rr->errors[i]);
        }
        free(rr->elements);
        free(rr->errors);
        free(rr->resolved);
        free(rr);
}

static void on_defer(uv_timer_t *t)
{
        uv_close((uv_handle_t *) t, on_closed);
}

void rbatchres_finish(RBatchRes *rr, void (*cleanup)(void *data), void *data)
{
        rr->cleanup = cleanup;
        rr->data = data;
        (void) uv_timer_start(&rr->defer, on_defer, 0, 0);
}

void rbatch_results_from_units(ResponderBatch *b, const RBatchUnit *units, size_t n, char ***elements)
{
        for (size_t i = 0; i < b->n; i++) {
                ResponderItem *it = &b->items[i];
                const RBatchUnit *bad = NULL;
                bool any = false;

                for (size_t k = 0; k < n; k++) {
                        const RBatchUnit *u = &units[k];
                        if (u->item != i)
                                continue;
                        any = true;
                        if (u->failed && (!bad || (bad->transient && !u->transient)))
                                bad = u;
                        else if (!u->failed && u->element && !strv_contains(elements[i], u->element))
                                elements[i] = strv_push(elements[i], u->element);
                }
                if (bad)
                        it->res = (ResponderResult) { .r = -EIO, .transient = bad->transient, .error = bad->error };
                else if (!any && !it->block)
                        it->res = (ResponderResult) { .r = 0 };
                else if (!any)
                        it->res = (ResponderResult) { .r = -EINVAL, .error = "nothing to block" };
                else
                        it->res = (ResponderResult) { .r = 0, .elements = elements[i],
                                                      .n_elements = strv_length(elements[i]) };
        }
}
