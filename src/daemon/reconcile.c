/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/rand.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/reconcile.h"
#include "daemon/store_blocks.h"
#include "engine/whitelist.h"

#define HASH_BUCKETS      4096
#define MAX_RUNNING       1024          /* rows in calls at once, all responders together */
#define EXPIRY_CHECK_MS   60000         /* block_duration expiries are checked this often */

typedef struct Pending {
        ReconcileDone cb;
        void *userdata;
        ReconcileOutcome o;
        unsigned outstanding;
        bool submitted;
        struct Pending *next_done;
} Pending;

typedef struct Waiter {
        Pending *p;
        bool block;
} Waiter;

/* An entity as responders see it, owning its strings. */
typedef struct OwnedEntity {
        Entity e;
        char *value, *name, *hostname, *vm_uuid, *aws_vm_uuid, *ext_kind, *ext_id, *source, *group;
        char **macs;
} OwnedEntity;

/* A row with a call queued or outstanding: while it lives, memory (not the
 * database) holds the truth about the call in flight. */
typedef struct Row {
        Reconciler *rec;
        int64_t entity_id;
        Responder *resp;
        BlockRow row;
        BlockRecord db;
        OwnedEntity ent;
        Waiter *waiters;
        size_t n_waiters;
        struct Row *next_hash;
        struct Row *next_queue;
        bool queued, running;
} Row;

/* Per responder: its queue, and a token bucket for its rate limit.  The
 * counters of queued and running calls live in resp->health. */
typedef struct RespQ {
        Responder *resp;
        Row *head, *tail;
        double tokens;
        uint64_t refilled_ms;
        struct RespQ *next;             /* all of them, for freeing */
} RespQ;

/* A batch in flight: the rows whose items it carries. */
typedef struct Batch {
        ResponderBatch b;
        Row **rows;
        Reconciler *rec;
        RespQ *q;
} Batch;

struct Reconciler {
        uv_loop_t *loop;
        Store *store;
        BlockPolicy policy;
        Responder **responders;
        size_t n_responders;
        Row *hash[HASH_BUCKETS];
        RespQ *queues;
        unsigned queued;
        unsigned running;               /* rows in a call */
        bool pumping, repump;
        uv_timer_t rate_timer;
        unsigned rows;
        uv_timer_t retry_timer;
        uint64_t retry_due_ms;          /* wall ms the retry timer fires at */
        uv_idle_t defer;
        Pending *done_head;
        bool shutting_down;
        unsigned batch;                 /* > 0: intents pile up in one transaction, calls wait */
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;
        int handles_open;
        bool free_when_closed;
};

static void pump(Reconciler *r);
static void arm_retry_timer(Reconciler *r);

static uint32_t rnd(void)
{
        uint32_t v = 0;
        (void) RAND_bytes((unsigned char *) &v, sizeof(v));
        return v;
}

static uint64_t now_ms(void)
{
        return (uint64_t) clock_wall() * 1000u;
}

static unsigned hash_of(int64_t entity_id, const char *responder)
{
        uint64_t h = (uint64_t) entity_id * 0x9E3779B97F4A7C15ull;
        for (const char *p = responder; *p; p++)
                h = (h ^ (unsigned char) *p) * 0x100000001B3ull;
        return (unsigned) (h % HASH_BUCKETS);
}

static Row *row_find(Reconciler *r, int64_t entity_id, const char *responder)
{
        for (Row *w = r->hash[hash_of(entity_id, responder)]; w; w = w->next_hash)
                if (w->entity_id == entity_id && !strcmp(w->resp->name, responder))
                        return w;
        return NULL;
}

static void owned_entity_done(OwnedEntity *o)
{
        free(o->value);
        free(o->name);
        free(o->hostname);
        free(o->vm_uuid);
        free(o->aws_vm_uuid);
        free(o->ext_kind);
        free(o->ext_id);
        free(o->source);
        free(o->group);
        strv_free(o->macs);
        *o = (OwnedEntity) { 0 };
}

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static void owned_entity_set(OwnedEntity *o, const Entity *e)
{
        owned_entity_done(o);
        o->value = xstrdup(e->value);
        o->name = dup_or_null(e->attrs.name);
        o->hostname = dup_or_null(e->attrs.hostname);
        o->vm_uuid = dup_or_null(e->attrs.vm_uuid);
        o->aws_vm_uuid = dup_or_null(e->attrs.aws_vm_uuid);
        o->ext_kind = dup_or_null(e->attrs.ext_kind);
        o->ext_id = dup_or_null(e->attrs.ext_id);
        o->source = dup_or_null(e->attrs.source);
        o->group = dup_or_null(e->attrs.group);
        for (size_t i = 0; e->attrs.macs && e->attrs.macs[i]; i++)
                o->macs = strv_push(o->macs, e->attrs.macs[i]);
        o->e = (Entity) {
                .kind = e->kind,
                .value = o->value,
                .attrs = {
                        .name = o->name, .hostname = o->hostname, .macs = (const char *const *) o->macs,
                        .vm_uuid = o->vm_uuid, .aws_vm_uuid = o->aws_vm_uuid, .ext_kind = o->ext_kind,
                        .ext_id = o->ext_id, .source = o->source, .group = o->group,
                },
        };
}

static char *attrs_to_json(const EntityAttrs *a)
{
        cJSON *o = cJSON_CreateObject(), *m;
        char *s;

        if (a->name)
                cJSON_AddStringToObject(o, "name", a->name);
        if (a->hostname)
                cJSON_AddStringToObject(o, "hostname", a->hostname);
        if (a->vm_uuid)
                cJSON_AddStringToObject(o, "vm_uuid", a->vm_uuid);
        if (a->aws_vm_uuid)
                cJSON_AddStringToObject(o, "aws_vm_uuid", a->aws_vm_uuid);
        if (a->group)
                cJSON_AddStringToObject(o, "group", a->group);
        if (a->macs) {
                m = cJSON_AddArrayToObject(o, "macs");
                for (size_t i = 0; a->macs[i]; i++)
                        cJSON_AddItemToArray(m, cJSON_CreateString(a->macs[i]));
        }
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

static const char *json_str(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Rebuilds what responders need from the latest sighting (retries and
 * resumes happen outside any source cycle). */
static void load_entity(Reconciler *r, int64_t entity_id, const char *kind, const char *value, OwnedEntity *ret)
{
        sqlite3_stmt *st = NULL;
        Entity e = { .kind = entity_kind_from_string(kind), .value = value };
        cJSON *attrs = NULL, *m;
        const char **macs = NULL;
        size_t n = 0;

        if (store_prepare(r->store,
                               "SELECT attrs, source, ext_kind, ext_id FROM sightings WHERE entity_id = ? "
                               "ORDER BY last_seen DESC LIMIT 1", &st) == SQLITE_OK) {
                sqlite3_bind_int64(st, 1, entity_id);
                if (sqlite3_step(st) == SQLITE_ROW) {
                        attrs = cJSON_Parse((const char *) sqlite3_column_text(st, 0));
                        e.attrs.source = (const char *) sqlite3_column_text(st, 1);
                        e.attrs.ext_kind = (const char *) sqlite3_column_text(st, 2);
                        e.attrs.ext_id = (const char *) sqlite3_column_text(st, 3);
                }
        }
        e.attrs.name = json_str(attrs, "name");
        e.attrs.hostname = json_str(attrs, "hostname");
        e.attrs.vm_uuid = json_str(attrs, "vm_uuid");
        e.attrs.aws_vm_uuid = json_str(attrs, "aws_vm_uuid");
        e.attrs.group = json_str(attrs, "group");
        m = cJSON_GetObjectItemCaseSensitive(attrs, "macs");
        if (cJSON_IsArray(m)) {
                const cJSON *x;
                macs = xnew(const char *, (size_t) cJSON_GetArraySize(m) + 1);
                cJSON_ArrayForEach(x, m)
                        if (cJSON_IsString(x))
                                macs[n++] = x->valuestring;
                e.attrs.macs = macs;
        }
        owned_entity_set(ret, &e);
        free(macs);
        cJSON_Delete(attrs);
        store_release(st);
}

static void record_to_row(const BlockRecord *rec, BlockRow *ret)
{
        BlockState s = block_state_from_string(rec->state);
        BlockIntent i = block_intent_from_string(rec->intent);

        *ret = (BlockRow) {
                .state = s < 0 ? BLOCK_FAILED : s,
                .intent = i < 0 ? BLOCK_INTENT_BLOCK : i,
                .attempts = (unsigned) rec->attempts,
                .next_attempt_at = (uint64_t) rec->next_attempt_at,
                .in_flight = BLOCK_CALL_NONE,
        };
}

static int persist(Reconciler *r, Row *w)
{
        int k;

        free(w->db.state);
        free(w->db.intent);
        w->db.state = xstrdup(block_state_to_string(w->row.state));
        w->db.intent = xstrdup(block_intent_to_string(w->row.intent));
        /* a settled row keeps, for the operator, how many calls it took */
        if (!block_row_settled(&w->row))
                w->db.attempts = w->row.attempts;
        w->db.next_attempt_at = (int64_t) w->row.next_attempt_at;
        w->db.updated_at = clock_wall();
        k = store_block_put(r->store, &w->db);
        if (k < 0)
                log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "reconcile: cannot record %s %s on '%s': %s",
                          w->db.kind, w->db.value, w->resp->name, store_errmsg(r->store));
        return k;
}

static void on_defer(uv_idle_t *h)
{
        Reconciler *r = h->data;
        Pending *list = r->done_head;

        r->done_head = NULL;
        uv_idle_stop(h);
        while (list) {
                Pending *p = list;
                list = p->next_done;
                if (p->cb)
                        p->cb(p->userdata, &p->o);
                free(p);
        }
}

static void pending_release(Reconciler *r, Pending *p)
{
        if (--p->outstanding > 0 || !p->submitted)
                return;
        p->next_done = r->done_head;
        r->done_head = p;
        uv_idle_start(&r->defer, on_defer);
}

static void row_add_waiter(Row *w, Pending *p, bool block)
{
        w->waiters = xreallocarray(w->waiters, w->n_waiters + 1, sizeof(Waiter));
        w->waiters[w->n_waiters++] = (Waiter) { .p = p, .block = block };
        p->outstanding++;
}

/* Releases waiters whose direction just got its first outcome, or all of
 * them when the row leaves memory. */
typedef enum Outcome { OUTCOME_OK, OUTCOME_FAILED, OUTCOME_UNCHANGED } Outcome;

static void release_waiters(Reconciler *r, Row *w, bool all, bool block, Outcome out)
{
        size_t keep = 0;

        for (size_t i = 0; i < w->n_waiters; i++) {
                Waiter x = w->waiters[i];
                if (all || x.block == block) {
                        if (out == OUTCOME_UNCHANGED)
                                x.p->o.unchanged++;
                        else {
                                x.p->o.calls++;
                                if (out == OUTCOME_OK)
                                        x.p->o.succeeded++;
                                else
                                        x.p->o.failed++;
                        }
                        pending_release(r, x.p);
                } else
                        w->waiters[keep++] = x;
        }
        w->n_waiters = keep;
}

static void row_free(Reconciler *r, Row *w)
{
        Row **pp = &r->hash[hash_of(w->entity_id, w->resp->name)];

        while (*pp && *pp != w)
                pp = &(*pp)->next_hash;
        if (*pp)
                *pp = w->next_hash;
        r->rows--;
        block_record_done(&w->db);
        owned_entity_done(&w->ent);
        free(w->waiters);
        free(w);
}

static RespQ *resp_queue(Reconciler *r, Responder *resp)
{
        RespQ *q = resp->rq;

        if (q)
                return q;
        q = xnew(RespQ, 1);
        q->resp = resp;
        q->tokens = resp->rate_burst ? resp->rate_burst : 1;
        q->refilled_ms = uv_now(r->loop);
        q->next = r->queues;
        r->queues = q;
        resp->rq = q;
        return q;
}

static void enqueue(Reconciler *r, Row *w)
{
        RespQ *q;

        if (w->queued || w->running)
                return;
        q = resp_queue(r, w->resp);
        w->queued = true;
        w->next_queue = NULL;
        if (q->tail)
                q->tail->next_queue = w;
        else
                q->head = w;
        q->tail = w;
        w->resp->health.queued++;
        r->queued++;
}

static Row *dequeue(Reconciler *r, RespQ *q)
{
        Row *w = q->head;

        if (!w)
                return NULL;
        q->head = w->next_queue;
        if (!q->head)
                q->tail = NULL;
        w->queued = false;
        w->next_queue = NULL;
        w->resp->health.queued--;
        r->queued--;
        return w;
}

/* Applies one event to a row in memory, stores the result, then acts. */
static void apply(Reconciler *r, Row *w, BlockEvent ev)
{
        BlockRow next;
        BlockAction action;
        int k;

        unsigned calls = w->row.attempts;

        k = block_transition(&w->row, ev, &r->policy, now_ms(), rnd(), &next, &action);
        if (k == -ESTALE)
                return;
        if (k < 0) {
                log_error("reconcile: %s %s on '%s': invalid transition (%s), ignoring", w->db.kind, w->db.value,
                          w->resp->name, block_event_to_string(ev));
                return;
        }
        if (next.state == BLOCK_FAILED && w->row.state != BLOCK_FAILED) {
                bool block = next.intent == BLOCK_INTENT_BLOCK;
                LogFields f = { .source = w->db.source, .responder = w->resp->name, .entity = w->db.value,
                                .kind = w->db.kind, .action = block ? "block" : "unblock", .result = "failed" };
                /* an operator must look: the entity is not in the state we want */
                log_event(LOG_ALERT, block ? MSGID_BLOCK_FAILED : MSGID_UNBLOCK_FAILED, &f,
                          "giving up fast retries to %s %s %s on '%s' after %u attempt(s): %s; retrying every %llus",
                          block ? "block" : "unblock", w->db.kind, w->db.value, w->resp->name, calls,
                          w->db.last_error ? w->db.last_error : "failed",
                          (unsigned long long) (r->policy.failed_interval_ms / 1000));
        }
        w->row = next;
        if (ev == BLOCK_EV_CALL_SUCCEEDED && block_row_settled(&next))
                w->db.attempts = calls;
        (void) persist(r, w);
        /* a block that expires before the timer fires: wake up for it (a
         * short host_ttl must not wait for the next periodic check) */
        if (next.state == BLOCK_BLOCKED && w->db.expires_at > 0 &&
            (uint64_t) w->db.expires_at * 1000u < r->retry_due_ms)
                arm_retry_timer(r);
        switch (action) {
        case BLOCK_ACTION_CALL_BLOCK:
        case BLOCK_ACTION_CALL_UNBLOCK:
                enqueue(r, w);
                return;
        case BLOCK_ACTION_WAIT:
                if (w->row.next_attempt_at == 0)
                        return;         /* the outstanding call will report */
                release_waiters(r, w, true, false, OUTCOME_FAILED);
                row_free(r, w);
                arm_retry_timer(r);
                return;
        default:
                release_waiters(r, w, true, false, OUTCOME_UNCHANGED);
                row_free(r, w);
                return;
        }
}

static void log_outcome(Row *w, bool block, const ResponderResult *res)
{
        LogFields f = {
                .source = w->db.source,
                .responder = w->resp->name,
                .entity = w->db.value,
                .kind = w->db.kind,
                .action = block ? "block" : "unblock",
                .result = res->r == 0 ? "ok" : res->transient ? "retry" : "failed",
        };
        if (res->r == 0)
                log_event(LOG_NOTICE, block ? MSGID_BLOCK_APPLIED : MSGID_UNBLOCK_APPLIED, &f,
                          "%s %s %s on '%s'%s (%s)", block ? "blocked" : "unblocked", w->db.kind, w->db.value,
                          w->resp->name, w->resp->simulation ? " [simulation]" : "",
                          w->db.reason ? w->db.reason : "-");
        else
                log_event(res->transient ? LOG_WARNING : LOG_ERR, block ? MSGID_BLOCK_FAILED : MSGID_UNBLOCK_FAILED,
                          &f, "cannot %s %s %s on '%s' (attempt %u): %s", block ? "block" : "unblock", w->db.kind,
                          w->db.value, w->resp->name, w->row.attempts, res->error ? res->error : "failed");
}

static void note_health(Responder *resp, const ResponderResult *res)
{
        ResponderHealth *h = &resp->health;

        if (res->r == 0) {
                h->last_ok = clock_wall();
                h->calls_ok++;
                return;
        }
        h->last_error_at = clock_wall();
        h->calls_failed++;
        free(h->last_error);
        h->last_error = xstrdup(res->error ? res->error : strerror(-res->r));
}

/* One row's outcome: store it, tell the waiters, act on the new state. */
static void row_finished(Reconciler *r, Row *w, const ResponderResult *res)
{
        bool block = w->row.in_flight == BLOCK_CALL_BLOCK;
        BlockEvent ev;

        w->running = false;
        r->running--;
        note_health(w->resp, res);
        log_outcome(w, block, res);
        if (res->r == 0) {
                char **v = NULL;
                if (block)
                        for (size_t i = 0; i < res->n_elements; i++)
                                v = strv_push(v, res->elements[i]);
                strv_free(w->db.elements);
                w->db.elements = v;
                free(w->db.last_error);
                w->db.last_error = NULL;
                ev = BLOCK_EV_CALL_SUCCEEDED;
        } else {
                free(w->db.last_error);
                w->db.last_error = xstrdup(res->error ? res->error : "failed");
                ev = res->transient ? BLOCK_EV_CALL_FAILED_TRANSIENT : BLOCK_EV_CALL_FAILED_PERMANENT;
        }
        (void) store_event(r->store, clock_wall(), w->db.source ? w->db.source : "secrespd",
                           block ? "block" : "unblock", w->db.kind, w->db.value, w->db.reason,
                           res->r == 0 ? "ok" : res->transient ? "retry" : "failed",
                           res->r == 0 ? w->resp->name : w->db.last_error);
        release_waiters(r, w, false, block, res->r == 0 ? OUTCOME_OK : OUTCOME_FAILED);
        apply(r, w, ev);
}

static void after_calls(Reconciler *r)
{
        pump(r);
        if (r->shutting_down && r->running == 0 && r->shutdown_cb) {
                void (*cb)(void *) = r->shutdown_cb;
                r->shutdown_cb = NULL;
                cb(r->shutdown_userdata);
        }
}

static void on_call_done(void *userdata, const ResponderResult *res)
{
        Row *w = userdata;
        Reconciler *r = w->rec;

        w->resp->health.running--;
        row_finished(r, w, res);
        after_calls(r);
}

static void on_batch_done(ResponderBatch *b)
{
        Batch *x = b->userdata;
        Reconciler *r = x->rec;

        x->q->resp->health.running--;
        for (size_t i = 0; i < b->n; i++) {
                ResponderItem *it = &b->items[i];
                if (it->res.r == 0 && it->res.error)
                        it->res.error = NULL;
                row_finished(r, x->rows[i], &it->res);
        }
        free(b->items);
        free(x->rows);
        free(x);
        after_calls(r);
}

static void start_batch(Reconciler *r, RespQ *q)
{
        Batch *x = xnew(Batch, 1);
        size_t max = q->resp->max_batch ? q->resp->max_batch : 1;
        int k;

        x->rec = r;
        x->q = q;
        x->rows = xnew(Row *, max);
        x->b.items = xnew(ResponderItem, max);
        x->b.done = on_batch_done;
        x->b.userdata = x;
        while (x->b.n < max && q->head) {
                Row *w = dequeue(r, q);
                ResponderItem *it = &x->b.items[x->b.n];
                w->running = true;
                r->running++;
                it->entity = &w->ent.e;
                it->block = w->row.in_flight == BLOCK_CALL_BLOCK;
                it->elements = it->block ? NULL : (const char *const *) w->db.elements;
                it->n_elements = it->block ? 0 : strv_length(w->db.elements);
                /* a module that forgets an item fails it, rather than succeeding it */
                it->res = (ResponderResult) { .r = -EIO, .transient = true, .error = "no result from the responder" };
                x->rows[x->b.n++] = w;
        }
        q->resp->health.running++;
        k = q->resp->ops->apply_batch(q->resp, &x->b);
        if (k < 0) {
                for (size_t i = 0; i < x->b.n; i++)
                        x->b.items[i].res = (ResponderResult) { .r = k, .transient = false, .error = strerror(-k) };
                on_batch_done(&x->b);
        }
}

static void start_call(Reconciler *r, Row *w)
{
        bool block = w->row.in_flight == BLOCK_CALL_BLOCK;
        int k;

        w->running = true;
        r->running++;
        w->resp->health.running++;
        if (block)
                k = w->resp->ops->block(w->resp, &w->ent.e, on_call_done, w);
        else
                k = w->resp->ops->unblock(w->resp, &w->ent.e, (const char *const *) w->db.elements,
                                          strv_length(w->db.elements), on_call_done, w);
        if (k < 0) {
                ResponderResult res = { .r = k, .transient = false, .error = strerror(-k) };
                on_call_done(w, &res);
        }
}

static void on_rate_timer(uv_timer_t *t)
{
        pump(t->data);
}

/* Takes a token from the responder's bucket; false (and *wait_ms set) when
 * its rate limit says to wait. */
static bool take_token(Reconciler *r, RespQ *q, uint64_t *wait_ms)
{
        double rate = q->resp->rate_limit, burst = q->resp->rate_burst ? q->resp->rate_burst : 1;
        uint64_t now = uv_now(r->loop);

        if (rate <= 0)
                return true;
        q->tokens += (double) (now - q->refilled_ms) * rate / 1000.0;
        if (q->tokens > burst)
                q->tokens = burst;
        q->refilled_ms = now;
        if (q->tokens >= 1) {
                q->tokens -= 1;
                return true;
        }
        *wait_ms = (uint64_t) ((1 - q->tokens) * 1000.0 / rate) + 1;
        return false;
}

/* Starts what the queues, the per-responder caps and rate limits allow,
 * round robin over responders so that a slow one does not starve the
 * others.  Calls that fail at once re-enter through on_call_done; the
 * flag turns that recursion into another turn of this loop. */
static void pump(Reconciler *r)
{
        uint64_t wait = 0;
        bool progress;

        if (r->pumping) {
                r->repump = true;
                return;
        }
        r->pumping = true;
        do {
                r->repump = false;
                progress = false;
                for (RespQ *q = r->queues; q; q = q->next) {
                        uint64_t w = 0;
                        unsigned cap = q->resp->max_concurrent ? q->resp->max_concurrent : 1;
                        if (r->shutting_down || r->batch || r->running >= MAX_RUNNING || !q->head ||
                            q->resp->health.running >= cap)
                                continue;
                        if (!take_token(r, q, &w)) {
                                if (!wait || w < wait)
                                        wait = w;
                                continue;
                        }
                        if (q->resp->ops->apply_batch)
                                start_batch(r, q);
                        else
                                start_call(r, dequeue(r, q));
                        progress = true;
                }
        } while (progress || r->repump);
        r->pumping = false;
        if (wait && !r->shutting_down)
                uv_timer_start(&r->rate_timer, on_rate_timer, wait, 0);
}

static Responder *find_responder(Reconciler *r, const char *name)
{
        for (size_t i = 0; i < r->n_responders; i++)
                if (!strcmp(r->responders[i]->name, name))
                        return r->responders[i];
        return NULL;
}

/* Loads (or creates in memory) the row of an entity on a responder. */
static Row *row_get(Reconciler *r, int64_t entity_id, const char *kind, const char *value, Responder *resp)
{
        Row *w = row_find(r, entity_id, resp->name);
        BlockRecord rec;
        unsigned h;

        if (w)
                return w;
        w = xnew(Row, 1);
        w->rec = r;
        w->entity_id = entity_id;
        w->resp = resp;
        if (store_block_get(r->store, entity_id, resp->name, &rec) == 0) {
                record_to_row(&rec, &w->row);
                w->db = rec;
        } else {
                w->row = BLOCK_ROW_NONE;
                w->db = (BlockRecord) {
                        .entity_id = entity_id,
                        .kind = xstrdup(kind),
                        .value = xstrdup(value),
                        .responder = xstrdup(resp->name),
                        .created_at = clock_wall(),
                };
        }
        h = hash_of(entity_id, resp->name);
        w->next_hash = r->hash[h];
        r->hash[h] = w;
        r->rows++;
        return w;
}

static unsigned kind_cap(EntityKind k)
{
        switch (k) {
        case ENTITY_HOST: return RESPONDER_CAP_HOST;
        case ENTITY_ACCOUNT: return RESPONDER_CAP_ACCOUNT;
        case ENTITY_DESTINATION: return RESPONDER_CAP_DESTINATION;
        case ENTITY_USER: return RESPONDER_CAP_USER;
        default: return 0;
        }
}

static void set_str(char **p, const char *v)
{
        free(*p);
        *p = dup_or_null(v);
}

int reconciler_want(Reconciler *r, const ReconcileRequest *req, ReconcileDone cb, void *userdata)
{
        const char *kind = entity_kind_to_string(req->entity.kind);
        int64_t entity_id, now = clock_wall();
        Pending *p;
        int k;

        if (!kind || !req->entity.value)
                return -EINVAL;
        if (r->shutting_down)
                return -ECANCELED;
        k = store_entity_upsert(r->store, kind, req->entity.value, now, &entity_id);
        if (k < 0)
                return k;
        if (req->entity.attrs.source && req->entity.attrs.ext_id) {
                _cleanup_free_ char *attrs = attrs_to_json(&req->entity.attrs);
                (void) store_sighting_put(r->store, entity_id, req->entity.attrs.source,
                                          req->entity.attrs.ext_kind ? req->entity.attrs.ext_kind : kind,
                                          req->entity.attrs.ext_id, attrs, now);
        }

        p = xnew(Pending, 1);
        p->cb = cb;
        p->userdata = userdata;
        /* A block is shared by every source that wants it.  An operator's
         * unblock lifts it for all; a source's own unblock only withdraws
         * its want, and the block stays while another source holds one. */
        if (req->block)
                (void) store_want_add(r->store, entity_id, req->source ? req->source : "secrespd", now);
        else if (!req->source || !strncmp(req->source, "operator:", 9))
                (void) store_want_drop(r->store, entity_id, NULL);
        else {
                _cleanup_free_ char *other = NULL;
                (void) store_want_drop(r->store, entity_id, req->source);
                if (store_wants_others(r->store, entity_id, req->source, &other) > 0) {
                        LogFields f = { .source = req->source, .entity = req->entity.value, .kind = kind,
                                        .action = "unblock", .result = "kept" };
                        log_event(LOG_INFO, NULL, &f, "%s %s stays blocked: %s no longer wants it, %s still does",
                                  kind, req->entity.value, req->source, other);
                        p->submitted = true;
                        p->outstanding++;
                        pending_release(r, p);
                        return 0;
                }
        }
        for (size_t i = 0; i < r->n_responders; i++) {
                Responder *resp = r->responders[i];
                BlockRecord rec;
                Row *w;

                if (req->responders && !strv_contains(req->responders, resp->name))
                        continue;
                if (!(resp->caps & kind_cap(req->entity.kind)))
                        continue;
                /* nothing to undo where nothing was ever blocked: no row, no I/O */
                if (!req->block && !row_find(r, entity_id, resp->name)) {
                        int g = store_block_get(r->store, entity_id, resp->name, &rec);
                        if (g == 0)
                                block_record_done(&rec);
                        else if (g == -ENOENT)
                                continue;
                }
                w = row_get(r, entity_id, kind, req->entity.value, resp);
                /* an operator's request names only the value: what responders
                 * need (MAC, host name, ids) comes from the last sighting */
                if (req->entity.attrs.source)
                        owned_entity_set(&w->ent, &req->entity);
                else
                        load_entity(r, entity_id, kind, req->entity.value, &w->ent);
                free(w->db.reason);
                w->db.reason = dup_or_null(req->reason);
                if (req->block) {
                        set_str(&w->db.source, req->source);
                        w->db.expires_at = req->expires_at;
                }
                /* a blocked user moved to another group (Umbrella: Problematic
                 * to Dangerous) needs the block call again, with the new group */
                if (req->block && req->entity.attrs.group && w->row.state == BLOCK_BLOCKED &&
                    w->row.in_flight == BLOCK_CALL_NONE && !strv_contains(w->db.elements, req->entity.attrs.group))
                        w->row = BLOCK_ROW_NONE;
                row_add_waiter(w, p, req->block);
                apply(r, w, req->block ? BLOCK_EV_WANT_BLOCK : BLOCK_EV_WANT_UNBLOCK);
        }
        p->submitted = true;
        /* whatever finished synchronously (nothing to do) completes later */
        p->outstanding++;
        pending_release(r, p);
        pump(r);
        return 0;
}

typedef struct Collected {
        BlockRecord *v;
        size_t n;
} Collected;

static int collect(const BlockRecord *rec, void *userdata)
{
        Collected *c = userdata;
        BlockRecord *d;

        c->v = xreallocarray(c->v, c->n + 1, sizeof(BlockRecord));
        d = &c->v[c->n++];
        *d = (BlockRecord) {
                .id = rec->id, .entity_id = rec->entity_id, .kind = xstrdup(rec->kind),
                .value = xstrdup(rec->value), .responder = xstrdup(rec->responder),
        };
        return 0;
}

/* Feeds an event to stored rows that no call holds in memory. */
static void feed_rows(Reconciler *r, const BlockFilter *f, BlockEvent ev)
{
        Collected c = { 0 };

        if (store_block_list(r->store, f, collect, &c) < 0)
                log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "reconcile: cannot list blocks: %s",
                          store_errmsg(r->store));
        for (size_t i = 0; i < c.n; i++) {
                Responder *resp = find_responder(r, c.v[i].responder);
                Row *w;
                if (resp && !row_find(r, c.v[i].entity_id, resp->name)) {
                        w = row_get(r, c.v[i].entity_id, c.v[i].kind, c.v[i].value, resp);
                        load_entity(r, c.v[i].entity_id, c.v[i].kind, c.v[i].value, &w->ent);
                        apply(r, w, ev);
                }
                block_record_done(&c.v[i]);
        }
        free(c.v);
        pump(r);
}

static void check_expired(Reconciler *r)
{
        BlockFilter f = { .expired_only = true, .now_ms = (int64_t) now_ms() };
        Collected c = { 0 };

        if (store_block_list(r->store, &f, collect, &c) < 0)
                return;
        for (size_t i = 0; i < c.n; i++) {
                Responder *resp = find_responder(r, c.v[i].responder);
                (void) store_want_drop(r->store, c.v[i].entity_id, NULL);
                if (resp && !row_find(r, c.v[i].entity_id, resp->name)) {
                        Row *w = row_get(r, c.v[i].entity_id, c.v[i].kind, c.v[i].value, resp);
                        load_entity(r, c.v[i].entity_id, c.v[i].kind, c.v[i].value, &w->ent);
                        set_str(&w->db.reason, "block duration expired");
                        apply(r, w, BLOCK_EV_WANT_UNBLOCK);
                }
                block_record_done(&c.v[i]);
        }
        free(c.v);
        pump(r);
}

static void on_retry_timer(uv_timer_t *t)
{
        Reconciler *r = t->data;
        BlockFilter f = { .due_only = true, .now_ms = (int64_t) now_ms() };

        feed_rows(r, &f, BLOCK_EV_RETRY_DUE);
        check_expired(r);
        arm_retry_timer(r);
}

static void arm_retry_timer(Reconciler *r)
{
        int64_t due = 0;
        uint64_t delay = EXPIRY_CHECK_MS, now = now_ms();

        if (r->shutting_down)
                return;
        if (store_block_next_due(r->store, &due) == 0 && due > 0) {
                uint64_t d = (uint64_t) due > now ? (uint64_t) due - now : 0;
                if (d < delay)
                        delay = d;
        }
        if (store_block_next_expiry(r->store, (int64_t) (now / 1000), &due) == 0 && due > 0) {
                uint64_t d = (uint64_t) due * 1000u > now ? (uint64_t) due * 1000u - now : 0;
                if (d < delay)
                        delay = d;
        }
        r->retry_due_ms = now + delay;
        uv_timer_start(&r->retry_timer, on_retry_timer, delay, 0);
}

int reconciler_resume(Reconciler *r)
{
        static const char *const unsettled[] = { "blocking", "unblocking", "failed" };

        /* Calls that were in flight when we stopped are issued again: the
         * responders are idempotent, and an unblock is never lost. */
        for (size_t i = 0; i < 3; i++) {
                BlockFilter f = { .state = unsettled[i] };
                feed_rows(r, &f, BLOCK_EV_RESUME);
        }
        check_expired(r);
        arm_retry_timer(r);
        return 0;
}

typedef struct GroomCall {
        Reconciler *rec;
        Row *row;
        Pending *p;
} GroomCall;

static bool strv_equal(char *const *a, char *const *b)
{
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strv_contains(b, a[i]))
                        return false;
        return true;
}

static void on_groom_done(void *userdata, const ResponderResult *res)
{
        GroomCall *g = userdata;
        Reconciler *r = g->rec;
        Row *w = g->row;
        LogFields f = { .source = w->db.source, .responder = w->resp->name, .entity = w->db.value,
                        .kind = w->db.kind, .action = "groom" };

        w->running = false;
        r->running--;
        w->resp->health.running--;
        note_health(w->resp, res);
        g->p->o.calls++;
        if (res->r == 0) {
                char **v = NULL;
                for (size_t i = 0; i < res->n_elements; i++)
                        v = strv_push(v, res->elements[i]);
                if (!strv_equal(v, w->db.elements)) {
                        _cleanup_free_ char *detail = xasprintf("moved, %zu element(s) now", strv_length(v));
                        strv_free(w->db.elements);
                        w->db.elements = v;
                        v = NULL;
                        (void) persist(r, w);
                        f.result = "moved";
                        log_event(LOG_NOTICE, NULL, &f, "groomed %s %s on '%s': the block moved with it",
                                  w->db.kind, w->db.value, w->resp->name);
                        (void) store_event(r->store, clock_wall(), w->db.source ? w->db.source : "secrespd", "groom",
                                           w->db.kind, w->db.value, "the block moved with the host", "ok", detail);
                        g->p->o.succeeded++;
                } else
                        g->p->o.unchanged++;
                strv_free(v);
        } else {
                f.result = "failed";
                log_event(LOG_WARNING, NULL, &f, "cannot groom %s %s on '%s': %s", w->db.kind, w->db.value,
                          w->resp->name, res->error ? res->error : "failed");
                g->p->o.failed++;
        }
        pending_release(r, g->p);
        if (!w->queued && !w->running && w->n_waiters == 0)
                row_free(r, w);
        free(g);
        after_calls(r);
}

int reconciler_groom(Reconciler *r, const char *source, ReconcileDone cb, void *userdata)
{
        Pending *p;

        if (r->shutting_down)
                return -ECANCELED;
        p = xnew(Pending, 1);
        p->cb = cb;
        p->userdata = userdata;
        for (size_t i = 0; i < r->n_responders; i++) {
                Responder *resp = r->responders[i];
                sqlite3_stmt *st = NULL;
                Collected c = { 0 };

                if (!resp->ops->groom || !(resp->caps & RESPONDER_CAP_GROOM) || resp->simulation)
                        continue;
                if (store_prepare(r->store,
                                  "SELECT b.entity_id, e.kind, e.value FROM blocks b JOIN entities e ON e.id = b.entity_id "
                                  "WHERE b.responder = ?1 AND b.state = 'blocked' AND EXISTS (SELECT 1 FROM sightings s "
                                  "WHERE s.entity_id = b.entity_id AND s.source = ?2)", &st) != SQLITE_OK)
                        continue;
                sqlite3_bind_text(st, 1, resp->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC);
                while (sqlite3_step(st) == SQLITE_ROW) {
                        BlockRecord rec = {
                                .entity_id = sqlite3_column_int64(st, 0),
                                .kind = (char *) sqlite3_column_text(st, 1),
                                .value = (char *) sqlite3_column_text(st, 2),
                                .responder = resp->name,
                        };
                        (void) collect(&rec, &c);
                }
                store_release(st);
                for (size_t j = 0; j < c.n; j++) {
                        GroomCall *g;
                        Row *w;
                        int k;

                        /* a row with a call queued or under way is not touched */
                        if (!row_find(r, c.v[j].entity_id, resp->name)) {
                                w = row_get(r, c.v[j].entity_id, c.v[j].kind, c.v[j].value, resp);
                                load_entity(r, c.v[j].entity_id, c.v[j].kind, c.v[j].value, &w->ent);
                                g = xnew(GroomCall, 1);
                                g->rec = r;
                                g->row = w;
                                g->p = p;
                                p->outstanding++;
                                w->running = true;
                                r->running++;
                                resp->health.running++;
                                k = resp->ops->groom(resp, &w->ent.e, (const char *const *) w->db.elements,
                                                     strv_length(w->db.elements), on_groom_done, g);
                                if (k < 0)
                                        on_groom_done(g, &(ResponderResult) { .r = k, .error = strerror(-k) });
                        }
                        block_record_done(&c.v[j]);
                }
                free(c.v);
        }
        p->submitted = true;
        p->outstanding++;
        pending_release(r, p);
        return 0;
}

typedef struct CoverCtx {
        WlKind kind;
        const char *value;
        Collected c;
} CoverCtx;

static int collect_covered(const BlockRecord *rec, void *userdata)
{
        CoverCtx *x = userdata;
        if (strcmp(rec->state, "unblocked") && wl_covers(x->kind, x->value, rec->value))
                return collect(rec, &x->c);
        return 0;
}

int reconciler_unblock_covered(Reconciler *r, const char *wl_kind, const char *wl_value, const char *actor)
{
        CoverCtx x = { .kind = wl_kind_from_string(wl_kind), .value = wl_value };
        /* the whitelist's kinds map onto entity kinds one to one */
        BlockFilter f = { .kind = wl_kind };
        _cleanup_free_ char *reason = xasprintf("whitelisted by %s", actor);
        int k;

        if (x.kind < 0)
                return -EINVAL;
        k = store_block_list(r->store, &f, collect_covered, &x);
        if (k < 0)
                return k;
        for (size_t i = 0; i < x.c.n; i++) {
                Responder *resp = find_responder(r, x.c.v[i].responder);
                (void) store_want_drop(r->store, x.c.v[i].entity_id, NULL);
                if (resp) {
                        Row *w = row_get(r, x.c.v[i].entity_id, x.c.v[i].kind, x.c.v[i].value, resp);
                        if (!w->ent.value)
                                load_entity(r, x.c.v[i].entity_id, x.c.v[i].kind, x.c.v[i].value, &w->ent);
                        set_str(&w->db.reason, reason);
                        apply(r, w, BLOCK_EV_WANT_UNBLOCK);
                }
                block_record_done(&x.c.v[i]);
        }
        free(x.c.v);
        pump(r);
        return (int) x.c.n;
}

int reconciler_new(uv_loop_t *loop, Store *store, const BlockPolicy *policy, Reconciler **ret)
{
        Reconciler *r;

        if (block_policy_validate(policy) < 0)
                return -EINVAL;
        r = xnew(Reconciler, 1);
        r->loop = loop;
        r->store = store;
        r->policy = *policy;
        uv_timer_init(loop, &r->retry_timer);
        uv_timer_init(loop, &r->rate_timer);
        uv_idle_init(loop, &r->defer);
        r->retry_timer.data = r->rate_timer.data = r->defer.data = r;
        r->handles_open = 3;
        *ret = r;
        return 0;
}

void reconciler_set_responders(Reconciler *r, Responder *const *rs, size_t n)
{
        free(r->responders);
        r->responders = n ? xnew(Responder *, n) : NULL;
        if (n)
                memcpy(r->responders, rs, n * sizeof(Responder *));
        r->n_responders = n;
        for (size_t i = 0; i < n; i++)
                (void) resp_queue(r, rs[i]);
}

unsigned reconciler_in_flight(const Reconciler *r)
{
        return r->running;
}

/* One transaction for the intents of a whole cycle: thousands of rows are
 * written at the cost of one commit, and no call starts before the commit,
 * so an intent is still on disk before its call. */
void reconciler_batch_begin(Reconciler *r)
{
        if (r->batch++ == 0 && store_begin(r->store) < 0)
                log_warning("reconcile: cannot open a transaction: %s; writing row by row",
                            store_errmsg(r->store));
}

void reconciler_batch_end(Reconciler *r)
{
        if (r->batch == 0 || --r->batch > 0)
                return;
        if (sqlite3_get_autocommit(store_db(r->store)) == 0 && store_commit(r->store) < 0) {
                log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "reconcile: cannot commit the intents: %s",
                          store_errmsg(r->store));
                store_rollback(r->store);
        }
        pump(r);
}

unsigned reconciler_rows_in_memory(const Reconciler *r)
{
        return r->rows;
}

void reconciler_cancel(Reconciler *r)
{
        for (size_t i = 0; i < r->n_responders; i++)
                if (r->responders[i]->ops->cancel_all)
                        r->responders[i]->ops->cancel_all(r->responders[i]);
}

void reconciler_shutdown(Reconciler *r, void (*cb)(void *userdata), void *userdata)
{
        r->shutting_down = true;
        uv_timer_stop(&r->retry_timer);
        uv_timer_stop(&r->rate_timer);
        /* queued calls are not started; their rows stay as stored (the
         * intent is on disk) and resume at the next start */
        for (RespQ *q = r->queues; q; q = q->next)
                while (dequeue(r, q))
                        ;
        if (r->running == 0) {
                if (cb)
                        cb(userdata);
                return;
        }
        r->shutdown_cb = cb;
        r->shutdown_userdata = userdata;
}

static void on_handle_closed(uv_handle_t *h)
{
        Reconciler *r = h->data;
        if (--r->handles_open == 0 && r->free_when_closed)
                free(r);
}

Reconciler *reconciler_free(Reconciler *r)
{
        if (!r)
                return NULL;
        for (size_t b = 0; b < HASH_BUCKETS; b++)
                while (r->hash[b]) {
                        release_waiters(r, r->hash[b], true, false, OUTCOME_FAILED);
                        row_free(r, r->hash[b]);
                }
        /* callers still waiting hear the outcome so far, so that they can
         * release what they hold (a control client's deferred reply) */
        while (r->done_head) {
                Pending *p = r->done_head;
                r->done_head = p->next_done;
                if (p->cb)
                        p->cb(p->userdata, &p->o);
                free(p);
        }
        free(r->responders);
        while (r->queues) {
                RespQ *q = r->queues;
                r->queues = q->next;
                q->resp->rq = NULL;
                free(q);
        }
        r->free_when_closed = true;
        uv_close((uv_handle_t *) &r->rate_timer, on_handle_closed);
        uv_close((uv_handle_t *) &r->retry_timer, on_handle_closed);
        uv_close((uv_handle_t *) &r->defer, on_handle_closed);
        return NULL;
}
