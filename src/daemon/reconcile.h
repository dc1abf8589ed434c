/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>
#include "daemon/store.h"
#include "engine/entity.h"
#include "engine/state.h"
#include "responders/responder.h"

/* The reconciler applies the block state machine: for each (entity x
 * responder) it stores the intent BEFORE calling the responder and the
 * outcome after, retries with backoff, and resumes unsettled rows after a
 * restart.  Sources tell it what they want; only it calls responders. */
typedef struct Reconciler Reconciler;

typedef struct ReconcileRequest {
        Entity entity;
        bool block;                     /* false: unblock */
        const char *reason;             /* why, for the audit trail */
        const char *source;             /* who wants it: "vectra:brain1", "operator:alice" */
        char *const *responders;        /* eligible responder names; NULL = every capable one */
        int64_t expires_at;             /* unix s; 0 = none */
} ReconcileRequest;

typedef struct ReconcileOutcome {
        unsigned calls;                 /* responder calls made for the request */
        unsigned succeeded;
        unsigned failed;                /* left in retry or FAILED */
        unsigned unchanged;             /* nothing to do (already in the wanted state) */
} ReconcileOutcome;

typedef void (*ReconcileDone)(void *userdata, const ReconcileOutcome *o);

int reconciler_new(uv_loop_t *loop, Store *store, const BlockPolicy *policy, Reconciler **ret);
/* The responders may change on reload; rows of responders that disappear
 * are left as they are. */
void reconciler_set_responders(Reconciler *r, Responder *const *rs, size_t n);
/* Starts what the request needs; cb (may be NULL) runs once every call it
 * started has reported its first outcome (retries continue afterwards).
 * cb is never called from inside this function. */
int reconciler_want(Reconciler *r, const ReconcileRequest *req, ReconcileDone cb, void *userdata);
/* After start: re-issues the calls of rows left unsettled by a crash and
 * unblocks blocks whose duration expired. */
int reconciler_resume(Reconciler *r);
/* VAR's grooming: asks every responder that can groom whether each of its
 * confirmed blocks of an entity `source` has seen is still in the right
 * place, and records the elements it reports (moved blocks get new ones).
 * Rows with a call under way are left alone.  cb (may be NULL) gets the
 * counts: succeeded = moved, unchanged, failed. */
int reconciler_groom(Reconciler *r, const char *source, ReconcileDone cb, void *userdata);
/* Unblocks, on every responder, what a new whitelist entry covers. */
int reconciler_unblock_covered(Reconciler *r, const char *wl_kind, const char *wl_value, const char *actor);
unsigned reconciler_in_flight(const Reconciler *r);
/* Brackets many reconciler_want() calls: their intents are written in one
 * transaction and the calls start at the end. */
void reconciler_batch_begin(Reconciler *r);
void reconciler_batch_end(Reconciler *r);
/* Rows queued or with a call outstanding (they reference responders). */
unsigned reconciler_rows_in_memory(const Reconciler *r);
/* Asks every responder to cancel its calls (shutdown deadline passed). */
void reconciler_cancel(Reconciler *r);
/* Stops starting calls; cb runs when no call is outstanding (calls still
 * running are waited for: they are short, bounded by their timeouts). */
void reconciler_shutdown(Reconciler *r, void (*cb)(void *userdata), void *userdata);
Reconciler *reconciler_free(Reconciler *r);
