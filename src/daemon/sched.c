/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/sched.h"

#define STAGGER_MS       2000
#define BACKOFF_BASE_MS  30000

typedef struct SchedCtx {
        SchedHook hook;
        void *userdata;
        /* an operator's `run` or `plan` waiting for this source */
        CycleDone run_cb;
        void *run_userdata;
        bool run_plan;
        bool stopped;
} SchedCtx;

static SchedCtx *ctx_of(Source *s)
{
        return s->timer.data;
}

static uint64_t jitter(uint64_t ms)
{
        uint32_t v = 0;
        (void) RAND_bytes((unsigned char *) &v, sizeof(v));
        /* up to a tenth of the interval, so that brains drift apart */
        return ms / 10 ? v % (ms / 10) : 0;
}

static void arm(Source *s, uint64_t delay_ms);

static void on_cycle_done(void *userdata, const CycleStats *st, cJSON *plan)
{
        Source *s = userdata;
        SchedCtx *c = ctx_of(s);
        CycleDone cb = c->run_cb;
        void *cb_data = c->run_userdata;
        bool was_plan = c->run_plan;

        s->running = false;
        free(s->last.error);
        s->last = *st;
        s->last.error = st->error ? xstrdup(st->error) : NULL;
        c->run_cb = NULL;
        c->run_plan = false;
        if (!was_plan) {
                if (st->result == SOURCE_OK || st->result == SOURCE_SKIPPED)
                        s->failures = 0;
                else if (st->result != SOURCE_CANCELLED)
                        s->failures++;
                if (c->hook)
                        c->hook(c->userdata, s, st);
        }
        if (cb)
                cb(cb_data, st, plan);
        else
                cJSON_Delete(plan);
        if (c->stopped)
                return;
        if (s->rerun) {
                s->rerun = false;
                arm(s, 0);
                return;
        }
        if (s->failures > 0) {
                uint64_t b = BACKOFF_BASE_MS << (s->failures - 1 < 10 ? s->failures - 1 : 10);
                arm(s, b < s->interval_ms ? b : s->interval_ms);
        } else
                arm(s, s->interval_ms + jitter(s->interval_ms));
}

static void start_cycle(Source *s, bool plan)
{
        CycleStats st = { .result = SOURCE_FAILED };
        int r;

        s->running = true;
        r = s->ops->start(s, plan, on_cycle_done, s);
        if (r < 0) {
                st.error = xasprintf("cannot start a cycle: %s", strerror(-r));
                on_cycle_done(s, &st, NULL);
                free(st.error);
        }
}

static void on_due(uv_timer_t *t)
{
        Source *s = (Source *) ((char *) t - offsetof(Source, timer));
        if (!s->running)
                start_cycle(s, false);
}

static void arm(Source *s, uint64_t delay_ms)
{
        s->next_run_ms = (uint64_t) uv_now(s->env.loop) + delay_ms;
        uv_timer_start(&s->timer, on_due, delay_ms, 0);
}

void sched_start(Source *s, unsigned index, SchedHook hook, void *userdata)
{
        SchedCtx *c = xnew(SchedCtx, 1);

        c->hook = hook;
        c->userdata = userdata;
        uv_timer_init(s->env.loop, &s->timer);
        s->timer.data = c;
        arm(s, (uint64_t) index * STAGGER_MS + jitter(STAGGER_MS * 10));
}

int sched_run_now(Source *s, bool plan, CycleDone cb, void *userdata)
{
        SchedCtx *c = ctx_of(s);

        if (c->stopped)
                return -ECANCELED;
        if (c->run_cb)
                return -EBUSY;
        c->run_cb = cb;
        c->run_userdata = userdata;
        c->run_plan = plan;
        if (s->running) {
                if (plan)
                        return -EBUSY;
                s->rerun = true;
                /* this cycle's outcome goes to cb */
                return 0;
        }
        uv_timer_stop(&s->timer);
        start_cycle(s, plan);
        return 0;
}

void sched_free(Source *s)
{
        /* after the loop ran the timer's close: a cancelled cycle may still
         * have reported through the context until then */
        free(s->timer.data);
        s->timer.data = NULL;
        free(s->last.error);
        s->last.error = NULL;
}

void sched_stop(Source *s)
{
        SchedCtx *c = ctx_of(s);

        if (!c || c->stopped)
                return;
        c->stopped = true;
        if (s->running && s->ops->cancel)
                s->ops->cancel(s);
        uv_close((uv_handle_t *) &s->timer, NULL);
}
