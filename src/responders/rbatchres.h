/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include "responders/responder.h"

/* Results of one ResponderBatch, for modules that implement apply_batch:
 * the strings put into items[i].res stay owned here until the reconciler's
 * done() has returned, each item is resolved at most once (the first
 * verdict wins), and completion is always delivered from the loop, never
 * from inside apply_batch.
 *
 *   RBatchRes *rr = rbatchres_new(r->loop, b);
 *   rbatchres_ok(rr, i, element);               // or rbatchres_fail(...)
 *   rbatchres_fail_rest(rr, -EIO, true, "...");  // what is still open
 *   rbatchres_finish(rr, free_my_state, my_state);
 */

typedef struct RBatchRes RBatchRes;

RBatchRes *rbatchres_new(uv_loop_t *loop, ResponderBatch *b);
bool rbatchres_resolved(const RBatchRes *rr, size_t i);
/* Success with zero or more elements (copied). */
void rbatchres_ok(RBatchRes *rr, size_t i, const char *const *elements, size_t n);
void rbatchres_ok1(RBatchRes *rr, size_t i, const char *element);
void rbatchres_fail(RBatchRes *rr, size_t i, int r, bool transient, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/* Fails every item not resolved yet. */
void rbatchres_fail_rest(RBatchRes *rr, int r, bool transient, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Calls b->done from the loop, then cleanup(data) (may be NULL), then
 * frees rr.  Items never resolved keep the reconciler's "no result". */
void rbatchres_finish(RBatchRes *rr, void (*cleanup)(void *data), void *data);

/* For modules whose batch items fan out into vendor-side units (an
 * address in each group, an entry of a uid-message): one unit's outcome. */
typedef struct RBatchUnit {
        size_t item;                    /* index into the batch */
        const char *element;            /* what the unit stands for, when it succeeded */
        bool failed, transient;
        const char *error;              /* owned by the module until done() returns */
} RBatchUnit;

/* Sets every item's result from its units: the worst failure (a permanent
 * one before a transient one) when any failed, else success with the
 * units' distinct elements, gathered in elements[item] (the module frees
 * them after done()).  An unblock with no unit has nothing left to undo
 * (success); a block with no unit did nothing (a failure). */
void rbatch_results_from_units(ResponderBatch *b, const RBatchUnit *units, size_t n, char ***elements);
