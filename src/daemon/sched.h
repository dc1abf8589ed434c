/* SPDX-License-Identifier: MIT */
#pragma once
#include "sources/source.h"

/* Runs each source on its interval: never two cycles of one source at
 * once, jitter so that brains do not poll in step, and backoff after a
 * failed cycle (30 s doubling, capped by the interval). */
typedef void (*SchedHook)(void *userdata, Source *s, const CycleStats *stats);

/* index staggers the first runs; hook runs after every cycle. */
void sched_start(Source *s, unsigned index, SchedHook hook, void *userdata);
/* A cycle now (or right after the running one); cb gets its outcome.
 * With plan, nothing is enforced and cb gets the decisions. */
int sched_run_now(Source *s, bool plan, CycleDone cb, void *userdata);
/* Cancels the running cycle and closes the timer. */
void sched_stop(Source *s);
/* Frees the scheduling state once the loop has closed the timer. */
void sched_free(Source *s);
