/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "daemon/curl_dl.h"
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "sources/vectra_api.h"

/* ---- small helpers ------------------------------------------------------ */

/* Appends "&name=value" (or "?name=value" for the first). */
static void buf_param(StrBuf *b, const char *name, const char *value)
{
        strbuf_puts(b, strchr(b->p ? b->p : "", '?') ? "&" : "?");
        strbuf_puts(b, name);
        strbuf_puts(b, "=");
        strbuf_put_pct(b, value, NULL);
}

static void buf_param_int(StrBuf *b, const char *name, long long v)
{
        char num[32];

        snprintf(num, sizeof(num), "%lld", v);
        buf_param(b, name, num);
}

static char *base64(const char *s)
{
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t len = strlen(s), o = 0;
        char *out = xmalloc(4 * ((len + 2) / 3) + 1);
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16;

                if (i + 1 < len)
                        v |= (uint32_t) p[i + 1] << 8;
                if (i + 2 < len)
                        v |= p[i + 2];
                out[o++] = tbl[(v >> 18) & 63];
                out[o++] = tbl[(v >> 12) & 63];
                out[o++] = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
                out[o++] = i + 2 < len ? tbl[v & 63] : '=';
        }
        out[o] = '\0';
        return out;
}

static void free_secret(char *s)
{
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

/* Credentials go into headers and form bodies: no control characters. */
static bool credential_ok(const char *s)
{
        if (!s || !*s || strlen(s) > 16384)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* ---- objects by kind ---------------------------------------------------- */

typedef enum ItemAction {
        ITEM_KEEP,      /* the operation took the object */
        ITEM_DROP,      /* free it, go on */
        ITEM_STOP,      /* free it, request no further page */
} ItemAction;

typedef struct Kind {
        const char *name;
        int (*parse)(const cJSON *j, void **ret, char **err);
        void (*free)(void *o);
        int64_t (*id)(const void *o);
        char **(*tags)(const void *o, size_t *ret_n);
} Kind;

#define KIND_FUNCS(lower, Type)                                                         \
        static int lower##_parse(const cJSON *j, void **ret, char **err)                \
        {                                                                               \
                Type *o = NULL;                                                         \
                int r = vectra_##lower##_from_json(j, &o, err);                         \
                if (r >= 0)                                                             \
                        *ret = o;                                                       \
                return r;                                                               \
        }                                                                               \
        static void lower##_free(void *o)                                               \
        {                                                                               \
                vectra_##lower##_free(o);                                               \
        }                                                                               \
        static int64_t lower##_id(const void *o)                                        \
        {                                                                               \
                return ((const Type *) o)->id;                                          \
        }

KIND_FUNCS(host, VectraHost)
KIND_FUNCS(account, VectraAccount)
KIND_FUNCS(detection, VectraDetection)
KIND_FUNCS(group, VectraGroup)
KIND_FUNCS(entity, VectraEntity)

static char **host_tags(const void *o, size_t *n)
{
        *n = ((const VectraHost *) o)->n_tags;
        return ((const VectraHost *) o)->tags;
}

static char **account_tags(const void *o, size_t *n)
{
        *n = ((const VectraAccount *) o)->n_tags;
        return ((const VectraAccount *) o)->tags;
}

static char **detection_tags(const void *o, size_t *n)
{
        *n = ((const VectraDetection *) o)->n_tags;
        return ((const VectraDetection *) o)->tags;
}

static const Kind kind_host = { "host", host_parse, host_free, host_id, host_tags };
static const Kind kind_account = { "account", account_parse, account_free, account_id, account_tags };
static const Kind kind_detection = { "detection", detection_parse, detection_free, detection_id, detection_tags };
static const Kind kind_group = { "group", group_parse, group_free, group_id, NULL };
static const Kind kind_entity = { "entity", entity_parse, entity_free, entity_id, NULL };

/* Path segments: /hosts/{id}, /tagging/host/{id}. */
static const char *const object_plural[_VECTRA_OBJECT_MAX] = { "hosts", "accounts", "detections" };
static const char *const object_singular[_VECTRA_OBJECT_MAX] = { "host", "account", "detection" };

typedef struct Vec {
        void **v;
        size_t n, cap;
} Vec;

static void vec_add(Vec *v, void *o)
{
        if (v->n == v->cap) {
                v->cap = v->cap ? v->cap * 2 : 8;
                v->v = xreallocarray(v->v, v->cap, sizeof(void *));
        }
        v->v[v->n++] = o;
}

static void vec_clear(Vec *v, const Kind *k)
{
        for (size_t i = 0; i < v->n; i++)
                k->free(v->v[i]);
        free(v->v);
        *v = (Vec) {};
}

/* A set of int64 ids in insertion order, with an open-addressing index. */
typedef struct IdSet {
        int64_t *v;
        size_t n, cap;
        size_t *slot;           /* index+1 into v, 0 = empty */
        size_t n_slots;
} IdSet;

static size_t id_hash(int64_t id, size_t n_slots)
{
        uint64_t x = (uint64_t) id * UINT64_C(0x9E3779B97F4A7C15);
        return (size_t) (x >> 17) & (n_slots - 1);
}

/* Returns the position of id, or SIZE_MAX. */
static size_t idset_find(const IdSet *s, int64_t id)
{
        if (!s->n_slots)
                return SIZE_MAX;
        for (size_t h = id_hash(id, s->n_slots);; h = (h + 1) & (s->n_slots - 1)) {
                if (!s->slot[h])
                        return SIZE_MAX;
                if (s->v[s->slot[h] - 1] == id)
                        return s->slot[h] - 1;
        }
}

static void idset_rehash(IdSet *s, size_t n_slots)
{
        free(s->slot);
        s->slot = xnew(size_t, n_slots);
        s->n_slots = n_slots;
        for (size_t i = 0; i < s->n; i++) {
                size_t h = id_hash(s->v[i], n_slots);

                while (s->slot[h])
                        h = (h + 1) & (n_slots - 1);
                s->slot[h] = i + 1;
        }
}

/* Adds id; returns its position and whether it was new. */
static size_t idset_add(IdSet *s, int64_t id, bool *ret_new)
{
        size_t at = idset_find(s, id), h;

        if (at != SIZE_MAX) {
                if (ret_new)
                        *ret_new = false;
                return at;
        }
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 16;
                s->v = xreallocarray(s->v, s->cap, sizeof(int64_t));
        }
        s->v[s->n++] = id;
        if (s->n * 2 > s->n_slots)
                idset_rehash(s, s->n_slots ? s->n_slots * 2 : 32);
        else {
                h = id_hash(id, s->n_slots);
                while (s->slot[h])
                        h = (h + 1) & (s->n_slots - 1);
                s->slot[h] = s->n;
        }
        if (ret_new)
                *ret_new = true;
        return s->n - 1;
}

static void idset_done(IdSet *s)
{
        free(s->v);
        free(s->slot);
        *s = (IdSet) {};
}

/* ---- client state ------------------------------------------------------- */

typedef struct Op Op;
typedef struct Call Call;

typedef enum CallType {
        CALL_PAGE,              /* one page of a list of op->kind objects */
        CALL_OBJECT,            /* one op->kind object */
        CALL_DETECTION_SET,     /* ?fields=detection_set, then the detections */
        CALL_TAGS,              /* GET /tagging/… */
        CALL_WRITE,             /* PATCH tags, POST note */
} CallType;

struct Call {
        Op *op;
        Call *prev, *next;      /* in the queue or among the running calls */
        CallType type;
        char *method;
        char *url;
        char *body;             /* JSON, or NULL */
        size_t slot;            /* where the objects go in op->slots */
        unsigned page;          /* 1-based page number of a list */
        bool missing_ok;        /* a 404 is "gone", not an error */
        bool auth_retried;      /* a 401 already got a fresh token */
        bool queued, running;
        unsigned token_gen;
        HttpRequest *req;
};

typedef union OpCb {
        VectraHostsCb hosts;
        VectraAccountsCb accounts;
        VectraDetectionsCb detections;
        VectraGroupsCb groups;
        VectraTagsCb tags;
        VectraDoneCb done;
} OpCb;

#define OPCB_HOSTS(f) ((OpCb) { .hosts = (f) })
#define OPCB_ACCOUNTS(f) ((OpCb) { .accounts = (f) })
#define OPCB_DETECTIONS(f) ((OpCb) { .detections = (f) })
#define OPCB_GROUPS(f) ((OpCb) { .groups = (f) })
#define OPCB_TAGS(f) ((OpCb) { .tags = (f) })
#define OPCB_DONE(f) ((OpCb) { .done = (f) })

typedef enum CbType {
        CB_HOSTS,
        CB_ACCOUNTS,
        CB_DETECTIONS,
        CB_GROUPS,
        CB_TAGS,
        CB_DONE,
} CbType;

struct Op {
        VectraApi *api;
        Op *prev, *next;        /* api->ops */
        Op *deliver_next;       /* api->deliver list */
        const char *what;       /* for debug logs */
        CbType cb_type;
        OpCb cb;
        void *userdata;

        const Kind *kind;       /* of the objects the current stage collects */
        Vec *slots;             /* results, merged in slot order (union by id) */
        size_t n_slots;
        ItemAction (*on_item)(Op *op, Call *c, void *obj);
        void (*then)(Op *op);   /* when every call of a stage succeeded */

        unsigned n_calls;       /* queued or running */
        bool failed;
        bool delivering;
        int r;
        long http_status;
        char *error;

        /* Stage parameters. */
        char *filter_tag;       /* exact tag re-check */
        char *name;             /* exact group name */
        char *group_type;
        double min_urgency;
        const char *entity_type;
        VectraObjectKind target; /* what the next stage fetches */
        IdSet ids;              /* ids collected for the next stage */
        char **tags;            /* CALL_TAGS result */
        size_t n_tags;
};

struct VectraApi {
        uv_loop_t *loop;
        HttpClient *http;
        char *name;
        char *origin;           /* "https://brain:443" as given: scheme://host[:port] */
        char *base;             /* origin + path + "/api/v2.5" */
        char *token_url;
        VectraVersion version;
        VectraAuthMode auth;
        unsigned page_size;
        long timeout_ms;
        char *ca_file;
        bool tls_skip_verify;
        unsigned max_in_flight;
        RetryPolicy retry;
        RetryPolicy token_retry;

        /* Secrets. */
        char *basic_header;     /* "Authorization: Basic …" (client credentials) */
        char *auth_header;      /* "Authorization: Token|Bearer …"; NULL: none yet */
        char *refresh_token;
        time_t access_expiry;   /* 0: none known */
        time_t refresh_expiry;
        unsigned token_gen;
        HttpRequest *token_req;
        bool token_refreshing;  /* token_req is a refresh grant */

        Call *queue_head, *queue_tail;
        Call *running;
        unsigned n_queued, n_running, max_running;
        bool pumping;
        uint64_t n_requests, n_token_requests;

        Op *ops;
        unsigned n_ops;
        Op *deliver_head, *deliver_tail;
        uv_timer_t defer;
        bool defer_armed;

        bool shutting_down;
        bool closing;
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;
};

static void pump(VectraApi *api);
static void maybe_finish_shutdown(VectraApi *api);
static void op_call_done(Op *op);

/* ---- calls -------------------------------------------------------------- */

static Call *call_free(Call *c)
{
        if (!c)
                return NULL;
        free(c->method);
        free(c->url);
        free(c->body);
        free(c);
        return NULL;
}

/* The URL as shown in errors: without the origin. */
static const char *call_path(const VectraApi *api, const char *url)
{
        size_t n = strlen(api->origin);

        if (strncmp(url, api->origin, n) == 0 && url[n] == '/')
                return url + n;
        return url;
}

static void queue_unlink(VectraApi *api, Call *c)
{
        if (c->prev)
                c->prev->next = c->next;
        else
                api->queue_head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                api->queue_tail = c->prev;
        c->prev = c->next = NULL;
        c->queued = false;
        api->n_queued--;
}

static void queue_push(VectraApi *api, Call *c, bool front)
{
        c->queued = true;
        api->n_queued++;
        if (front) {
                c->prev = NULL;
                c->next = api->queue_head;
                if (api->queue_head)
                        api->queue_head->prev = c;
                else
                        api->queue_tail = c;
                api->queue_head = c;
        } else {
                c->next = NULL;
                c->prev = api->queue_tail;
                if (api->queue_tail)
                        api->queue_tail->next = c;
                else
                        api->queue_head = c;
                api->queue_tail = c;
        }
}

static void running_unlink(VectraApi *api, Call *c)
{
        if (c->prev)
                c->prev->next = c->next;
        else
                api->running = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = c->next = NULL;
        c->running = false;
        api->n_running--;
}

/* Queues a call for op; the URL is complete. */
static Call *op_call(Op *op, CallType type, const char *method, char *url, char *body, size_t slot, bool front)
{
        Call *c = xnew(Call, 1);

        c->op = op;
        c->type = type;
        c->method = xstrdup(method);
        c->url = url;
        c->body = body;
        c->slot = slot;
        c->page = 1;
        op->n_calls++;
        queue_push(op->api, c, front);
        return c;
}

/* ---- operations --------------------------------------------------------- */

static void op_fail(Op *op, int r, long status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void op_fail(Op *op, int r, long status, const char *fmt, ...)
{
        VectraApi *api = op->api;
        va_list ap;

        if (op->failed)
                return;
        op->failed = true;
        op->r = r < 0 ? r : -EIO;
        op->http_status = status;
        va_start(ap, fmt);
        op->error = xvasprintf(fmt, ap);
        va_end(ap);

        /* Drop what has not started; cancel what runs (its callback comes
         * back from the loop with -ECANCELED and is counted then). */
        for (Call *c = api->queue_head, *next; c; c = next) {
                next = c->next;
                if (c->op != op)
                        continue;
                queue_unlink(api, c);
                call_free(c);
                op->n_calls--;
        }
        for (Call *c = api->running; c; c = c->next)
                if (c->op == op && c->req)
                        (void) http_request_cancel(c->req);
        if (op->n_calls == 0)
                op_call_done(op);
}

static void on_defer(uv_timer_t *t);

static void op_schedule_delivery(Op *op)
{
        VectraApi *api = op->api;

        if (op->delivering)
                return;
        op->delivering = true;
        op->deliver_next = NULL;
        if (api->deliver_tail)
                api->deliver_tail->deliver_next = op;
        else
                api->deliver_head = op;
        api->deliver_tail = op;
        if (!api->defer_armed) {
                api->defer_armed = true;
                (void) uv_timer_start(&api->defer, on_defer, 0, 0);
        }
}

/* Called whenever the op has no call left: next stage or delivery. */
static void op_call_done(Op *op)
{
        if (op->n_calls > 0 || op->delivering)
                return;
        if (!op->failed && op->then) {
                void (*then)(Op *) = op->then;

                op->then = NULL;
                then(op);
                if (op->n_calls > 0)
                        return;
        }
        op_schedule_delivery(op);
}

static void op_clear_slots(Op *op)
{
        for (size_t i = 0; i < op->n_slots; i++)
                vec_clear(&op->slots[i], op->kind);
        free(op->slots);
        op->slots = NULL;
        op->n_slots = 0;
}

static void op_set_slots(Op *op, size_t n)
{
        op_clear_slots(op);
        op->slots = xnew(Vec, n ? n : 1);
        op->n_slots = n ? n : 1;
}

static void op_free(Op *op)
{
        op_clear_slots(op);
        free(op->error);
        free(op->filter_tag);
        free(op->name);
        free(op->group_type);
        idset_done(&op->ids);
        vectra_strv_free(op->tags);
        free(op);
}

static ItemAction item_keep(Op *op, Call *c, void *obj)
{
        vec_add(&op->slots[c->slot < op->n_slots ? c->slot : 0], obj);
        return ITEM_KEEP;
}

static ItemAction item_keep_tagged(Op *op, Call *c, void *obj)
{
        size_t n;
        char **tags = op->kind->tags(obj, &n);

        if (!vectra_tags_contain(tags, n, op->filter_tag))
                return ITEM_DROP;
        return item_keep(op, c, obj);
}

static Op *op_new(VectraApi *api, const char *what, CbType cb_type, OpCb cb, void *userdata, const Kind *kind)
{
        Op *op = xnew(Op, 1);

        op->api = api;
        op->what = what;
        op->cb_type = cb_type;
        op->cb = cb;
        op->userdata = userdata;
        op->kind = kind;
        op->on_item = item_keep;
        op_set_slots(op, 1);
        op->next = api->ops;
        if (api->ops)
                api->ops->prev = op;
        api->ops = op;
        api->n_ops++;
        return op;
}

/* Starts what an op queued; always returns 0 (failures are delivered). */
static int op_start(Op *op)
{
        VectraApi *api = op->api;

        log_debug("Vectra '%s': %s", api->name, op->what);
        if (op->n_calls == 0)
                op_call_done(op);
        pump(api);
        return 0;
}

/* Merges the slots in order, union by id: the first position of an id is
 * kept, a later object for the same id replaces the earlier one. */
static void **op_take_results(Op *op, size_t *ret_n)
{
        IdSet seen = {};
        void **out = NULL;
        size_t n = 0, total = 0;

        for (size_t i = 0; i < op->n_slots; i++)
                total += op->slots[i].n;
        if (total == 0) {
                *ret_n = 0;
                return NULL;
        }
        out = xnew(void *, total);
        for (size_t i = 0; i < op->n_slots; i++) {
                for (size_t j = 0; j < op->slots[i].n; j++) {
                        void *o = op->slots[i].v[j];
                        bool is_new;
                        size_t at = idset_add(&seen, op->kind->id(o), &is_new);

                        if (is_new) {
                                out[n++] = o;
                        } else {
                                op->kind->free(out[at]);
                                out[at] = o;
                        }
                }
                free(op->slots[i].v);
                op->slots[i] = (Vec) {};
        }
        idset_done(&seen);
        *ret_n = n;
        return out;
}

static void op_deliver(Op *op)
{
        VectraApi *api = op->api;
        VectraStatus st = {
                .r = op->failed ? op->r : 0,
                .http_status = op->failed ? op->http_status : 0,
                .error = op->failed ? op->error : NULL,
        };
        void **v = NULL;
        size_t n = 0;
        char **tags = NULL;

        /* Unlink first: the callback may start operations or shut down. */
        if (op->prev)
                op->prev->next = op->next;
        else
                api->ops = op->next;
        if (op->next)
                op->next->prev = op->prev;
        api->n_ops--;

        if (!op->failed) {
                if (op->cb_type == CB_TAGS) {
                        tags = op->tags;
                        n = op->n_tags;
                        op->tags = NULL;
                } else if (op->cb_type != CB_DONE)
                        v = op_take_results(op, &n);
        }
        if (op->failed)
                log_debug("Vectra '%s': %s failed: %s", api->name, op->what, op->error);

        switch (op->cb_type) {
        case CB_HOSTS:
                op->cb.hosts(op->userdata, &st, (VectraHost **) v, n);
                break;
        case CB_ACCOUNTS:
                op->cb.accounts(op->userdata, &st, (VectraAccount **) v, n);
                break;
        case CB_DETECTIONS:
                op->cb.detections(op->userdata, &st, (VectraDetection **) v, n);
                break;
        case CB_GROUPS:
                op->cb.groups(op->userdata, &st, (VectraGroup **) v, n);
                break;
        case CB_TAGS:
                op->cb.tags(op->userdata, &st, tags, n);
                break;
        case CB_DONE:
                op->cb.done(op->userdata, &st);
                break;
        }
        op_free(op);
}

static void on_defer(uv_timer_t *t)
{
        VectraApi *api = t->data;
        Op *list = api->deliver_head;

        /* Only what is due now: callbacks may queue more, which re-arms. */
        api->deliver_head = api->deliver_tail = NULL;
        api->defer_armed = false;
        while (list) {
                Op *op = list;

                list = op->deliver_next;
                op_deliver(op);
        }
        maybe_finish_shutdown(api);
}

/* ---- tokens ------------------------------------------------------------- */

static bool need_token(const VectraApi *api)
{
        if (api->auth != VECTRA_AUTH_OAUTH)
                return false;
        if (!api->auth_header)
                return true;
        return api->access_expiry != 0 && clock_wall() >= api->access_expiry;
}

static void token_forget(VectraApi *api)
{
        free_secret(api->auth_header);
        api->auth_header = NULL;
        api->access_expiry = 0;
}

/* Every call waiting for a token fails with the token endpoint's error. */
static void token_fail(VectraApi *api, int r, long status, const char *error)
{
        log_debug("Vectra '%s': no access token: %s", api->name, error);
        while (api->queue_head)
                op_fail(api->queue_head->op, r, status, "%s", error);
}

/* Lifetime rule: expires_in − 100 s (vectra.md §3.2); for short-lived
 * tokens (200 s and less) half their lifetime, so that they get used. */
static time_t expiry_for(int64_t expires_in, time_t now)
{
        int64_t life;

        if (expires_in < 0)
                return 0;
        life = expires_in > 200 ? expires_in - 100 : expires_in / 2;
        return now + (time_t) (life > 0 ? life : 1);
}

static void token_start(VectraApi *api);

static void on_token(const HttpResponse *resp, void *userdata)
{
        VectraApi *api = userdata;
        bool refreshing = api->token_refreshing;
        _cleanup_free_ char *error = NULL;
        char attempts[48] = "";
        cJSON *j = NULL;
        VectraToken t = {};
        char *perr = NULL;
        time_t now;

        api->token_req = NULL;
        api->token_refreshing = false;

        if (resp->r == -ECANCELED) {
                token_fail(api, -ECANCELED, 0, "access token request cancelled");
                maybe_finish_shutdown(api);
                return;
        }

        if (resp->r == 0 && resp->status >= 200 && resp->status < 300 &&
            vectra_json_parse(resp->body, resp->body_len, &j, &perr) == 0 &&
            vectra_token_from_json(j, &t, &perr) == 0) {
                cJSON_Delete(j);
                now = clock_wall();
                token_forget(api);
                api->auth_header = xasprintf("Authorization: Bearer %s", t.access_token);
                api->access_expiry = expiry_for(t.expires_in, now);
                if (t.refresh_token && api->version == VECTRA_VERSION_3) {
                        free_secret(api->refresh_token);
                        api->refresh_token = t.refresh_token;
                        t.refresh_token = NULL;
                        api->refresh_expiry = expiry_for(t.refresh_expires_in, now);
                }
                api->token_gen++;
                log_debug("Vectra '%s': access token obtained by %s (expires in %" PRId64 " s)", api->name,
                          refreshing ? "refresh" : "client credentials", t.expires_in);
                vectra_token_done(&t);
                pump(api);
                maybe_finish_shutdown(api);
                return;
        }
        cJSON_Delete(j);

        if (resp->attempts > 1)
                snprintf(attempts, sizeof(attempts), " (after %u attempts)", resp->attempts);
        if (resp->r == 0 && resp->status >= 200 && resp->status < 300) {
                error = xasprintf("no access token: POST %s: %s", call_path(api, api->token_url),
                                  perr ? perr : "bad answer");
        } else if (resp->status > 0 && (resp->status < 200 || resp->status > 299)) {
                _cleanup_free_ char *text = vectra_error_text(resp->status, resp->body, resp->body_len);

                error = xasprintf("no access token: POST %s: %s%s", call_path(api, api->token_url), text,
                                  attempts);
        } else
                error = xasprintf("no access token: POST %s: %s%s", call_path(api, api->token_url),
                                  *resp->error ? resp->error : strerror(-resp->r), attempts);
        free(perr);

        if (refreshing) {
                /* The refresh token is spent or refused: client credentials. */
                log_debug("Vectra '%s': token refresh failed (%s), using client credentials", api->name, error);
                free_secret(api->refresh_token);
                api->refresh_token = NULL;
                api->refresh_expiry = 0;
                token_start(api);
                maybe_finish_shutdown(api);
                return;
        }
        token_fail(api, VECTRA_ERR_TOKEN, resp->status, error);
        maybe_finish_shutdown(api);
}

static void token_start(VectraApi *api)
{
        const char *hdrs[4];
        _cleanup_free_ char *body = NULL;
        bool refresh = api->version == VECTRA_VERSION_3 && api->refresh_token &&
                       (api->refresh_expiry == 0 || clock_wall() < api->refresh_expiry);
        StrBuf b = {};
        int r;

        if (refresh) {
                strbuf_puts(&b, "grant_type=refresh_token&refresh_token=");
                strbuf_put_pct(&b, api->refresh_token, NULL);
                body = b.p;
                hdrs[0] = "Content-Type: application/x-www-form-urlencoded";
                hdrs[1] = "Accept: application/json";
                hdrs[2] = NULL;
        } else {
                body = xstrdup("grant_type=client_credentials");
                hdrs[0] = api->basic_header;
                hdrs[1] = "Content-Type: application/x-www-form-urlencoded";
                hdrs[2] = "Accept: application/json";
                hdrs[3] = NULL;
        }

        r = http_request_start(api->http,
                               &(HttpRequestOptions) {
                                       .method = "POST",
                                       .url = api->token_url,
                                       .headers = hdrs,
                                       .body = body,
                                       .body_len = strlen(body),
                                       .timeout_ms = api->timeout_ms,
                                       .retry = &api->token_retry,
                                       .ca_file = api->ca_file,
                                       .tls_skip_verify = api->tls_skip_verify,
                                       .cb = on_token,
                                       .userdata = api,
                               },
                               &api->token_req);
        if (refresh)
                explicit_bzero(body, strlen(body));
        if (r < 0) {
                _cleanup_free_ char *error = xasprintf("no access token: POST %s: %s",
                                                       call_path(api, api->token_url), strerror(-r));
                api->token_req = NULL;
                token_fail(api, r == -ESHUTDOWN ? r : VECTRA_ERR_TOKEN, 0, error);
                return;
        }
        api->token_refreshing = refresh;
        api->n_token_requests++;
        log_debug("Vectra '%s': requesting an access token (%s)", api->name,
                  refresh ? "refresh token" : "client credentials");
}

/* ---- running calls ------------------------------------------------------ */

static void on_call_response(const HttpResponse *resp, void *userdata);

static int call_start(VectraApi *api, Call *c)
{
        const char *hdrs[5];
        size_t h = 0;
        int r;

        if (api->auth_header)
                hdrs[h++] = api->auth_header;
        hdrs[h++] = "Accept: application/json";
        hdrs[h++] = "Cache-Control: no-cache";
        if (c->body)
                hdrs[h++] = "Content-Type: application/json";
        hdrs[h] = NULL;

        c->token_gen = api->token_gen;
        r = http_request_start(api->http,
                               &(HttpRequestOptions) {
                                       .method = c->method,
                                       .url = c->url,
                                       .headers = hdrs,
                                       .body = c->body,
                                       .body_len = c->body ? strlen(c->body) : 0,
                                       .timeout_ms = api->timeout_ms,
                                       .retry = &api->retry,
                                       .ca_file = api->ca_file,
                                       .tls_skip_verify = api->tls_skip_verify,
                                       .cb = on_call_response,
                                       .userdata = c,
                               },
                               &c->req);
        if (r < 0)
                return r;
        c->running = true;
        c->prev = NULL;
        c->next = api->running;
        if (api->running)
                api->running->prev = c;
        api->running = c;
        api->n_running++;
        if (api->n_running > api->max_running)
                api->max_running = api->n_running;
        api->n_requests++;
        return 0;
}

static void pump(VectraApi *api)
{
        if (api->pumping || api->closing)
                return;
        api->pumping = true;
        while (api->queue_head && api->n_running < api->max_in_flight) {
                Call *c;
                int r;

                if (need_token(api)) {
                        if (!api->token_req) {
                                token_forget(api);
                                token_start(api);
                                continue;       /* token_start may have failed the queue */
                        }
                        break;
                }
                c = api->queue_head;
                queue_unlink(api, c);
                r = call_start(api, c);
                if (r < 0) {
                        Op *op = c->op;

                        op->n_calls--;
                        op_fail(op, r, 0, "%s %s: %s", c->method, call_path(api, c->url), strerror(-r));
                        call_free(c);
                        op_call_done(op);
                }
        }
        api->pumping = false;
}

/* ---- answers ------------------------------------------------------------ */

static bool same_origin(const char *url, const char *origin)
{
        size_t n = strlen(origin);

        return strncasecmp(url, origin, n) == 0 && (url[n] == '/' || url[n] == '\0');
}

/* The URL of the next page: `next` verbatim when it is on our origin, else
 * its path and query on our origin (never send the token elsewhere).
 * NULL when it is not a usable http(s) URL. */
static char *next_url(const VectraApi *api, const char *next)
{
        CURLU *u;
        char *path = NULL, *query = NULL, *out = NULL;

        if (same_origin(next, api->origin))
                return xstrdup(next);
        u = curl_url();
        if (!u)
                return NULL;
        if (curl_url_set(u, CURLUPART_URL, next, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path && path[0] == '/') {
                if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
                        query = NULL;
                out = xasprintf("%s%s%s%s", api->origin, path, query ? "?" : "", query ? query : "");
        }
        curl_free(path);
        curl_free(query);
        curl_url_cleanup(u);
        return out;
}

static void handle_page(VectraApi *api, Call *c, const cJSON *j)
{
        Op *op = c->op;
        const cJSON *results, *it;
        const char *next = NULL;
        char *err = NULL;
        size_t i = 0;
        bool stop = false;

        if (vectra_page_from_json(j, &results, &next, &err) < 0)
                goto bad;
        cJSON_ArrayForEach(it, results) {
                void *obj = NULL;

                if (op->kind->parse(it, &obj, &err) < 0) {
                        vectra_error_prefix(&err, "results[%zu]", i);
                        goto bad;
                }
                switch (op->on_item(op, c, obj)) {
                case ITEM_KEEP:
                        break;
                case ITEM_STOP:
                        stop = true;
                        __attribute__((fallthrough));
                case ITEM_DROP:
                        op->kind->free(obj);
                        break;
                }
                if (stop)
                        break;
                i++;
        }
        if (stop || !next)
                return;
        if (c->page >= VECTRA_MAX_PAGES) {
                op_fail(op, -EPROTO, 0, "%s %s: more than %u pages", c->method, call_path(api, c->url),
                        VECTRA_MAX_PAGES);
                return;
        }
        {
                char *url = next_url(api, next);
                Call *n;

                if (!url) {
                        op_fail(op, -EPROTO, 0, "%s %s (page %u): next: '%.128s' is not a URL", c->method,
                                call_path(api, c->url), c->page, next);
                        return;
                }
                if (strcmp(url, c->url) == 0) {
                        op_fail(op, -EPROTO, 0, "%s %s (page %u): next: the same page again", c->method,
                                call_path(api, c->url), c->page);
                        free(url);
                        return;
                }
                n = op_call(op, CALL_PAGE, c->method, url, NULL, c->slot, true);
                n->page = c->page + 1;
        }
        return;
bad:
        op_fail(op, -EPROTO, 0, "%s %s (page %u): %s", c->method, call_path(api, c->url), c->page, err);
        free(err);
}

static void handle_object(VectraApi *api, Call *c, const cJSON *j)
{
        Op *op = c->op;
        void *obj = NULL;
        char *err = NULL;

        if (op->kind->parse(j, &obj, &err) < 0) {
                op_fail(op, -EPROTO, 0, "%s %s: %s", c->method, call_path(api, c->url), err);
                free(err);
                return;
        }
        if (op->on_item(op, c, obj) != ITEM_KEEP)
                op->kind->free(obj);
}

static char *object_url(const VectraApi *api, VectraObjectKind k, int64_t id, const char *suffix)
{
        return xasprintf("%s/%s/%" PRId64 "%s", api->base, object_plural[k], id, suffix ? suffix : "");
}

static void fan_out(Op *op, VectraObjectKind k, const int64_t *ids, size_t n);

static void handle_detection_set(VectraApi *api, Call *c, const cJSON *j)
{
        Op *op = c->op;
        int64_t *ids = NULL;
        size_t n = 0;
        char *err = NULL;

        if (vectra_detection_set_from_json(j, &ids, &n, &err) < 0) {
                op_fail(op, -EPROTO, 0, "%s %s: %s", c->method, call_path(api, c->url), err);
                free(err);
                return;
        }
        fan_out(op, VECTRA_OBJECT_DETECTION, ids, n);
        free(ids);
}

static void handle_tags(VectraApi *api, Call *c, const cJSON *j)
{
        Op *op = c->op;
        char *err = NULL;

        vectra_strv_free(op->tags);
        op->tags = NULL;
        if (vectra_tags_from_json(j, &op->tags, &op->n_tags, &err) < 0) {
                op_fail(op, -EPROTO, 0, "%s %s: %s", c->method, call_path(api, c->url), err);
                free(err);
        }
}

/* A 2xx answer to a write may still say it failed: {"status":"failure"}. */
static void handle_write(VectraApi *api, Call *c, const HttpResponse *resp)
{
        const cJSON *status, *msg;
        cJSON *j = NULL;

        if (resp->body_len == 0 || vectra_json_parse(resp->body, resp->body_len, &j, NULL) < 0)
                return;
        status = cJSON_GetObjectItemCaseSensitive(j, "status");
        if (cJSON_IsString(status) && strcasecmp(status->valuestring, "success") != 0) {
                msg = cJSON_GetObjectItemCaseSensitive(j, "message");
                op_fail(c->op, -EPROTO, resp->status, "%s %s: status '%.64s'%s%.200s", c->method,
                        call_path(api, c->url), status->valuestring, cJSON_IsString(msg) ? ": " : "",
                        cJSON_IsString(msg) ? msg->valuestring : "");
        }
        cJSON_Delete(j);
}

static void call_failed(VectraApi *api, Call *c, const HttpResponse *resp)
{
        _cleanup_free_ char *text = NULL;
        char attempts[48] = "";
        int r = resp->r < 0 ? resp->r : -EPROTO;

        if (resp->attempts > 1)
                snprintf(attempts, sizeof(attempts), " (after %u attempts)", resp->attempts);
        if (resp->status > 0 && (resp->status < 200 || resp->status > 299))
                text = vectra_error_text(resp->status, resp->body, resp->body_len);
        else
                text = xstrdup(*resp->error ? resp->error : strerror(-r));
        op_fail(c->op, r, resp->status, "%s %s: %s%s", c->method, call_path(api, c->url), text, attempts);
}

static void on_call_response(const HttpResponse *resp, void *userdata)
{
        Call *c = userdata;
        Op *op = c->op;
        VectraApi *api = op->api;
        cJSON *j = NULL;
        char *err = NULL;

        c->req = NULL;
        running_unlink(api, c);

        if (op->failed)
                goto done;
        if (resp->r == -ECANCELED) {
                op_fail(op, -ECANCELED, 0, "%s %s: cancelled", c->method, call_path(api, c->url));
                goto done;
        }
        if (resp->status == 401 && api->auth == VECTRA_AUTH_OAUTH && !c->auth_retried && !api->shutting_down) {
                /* Once per call: a fresh token, then the same call again. */
                log_debug("Vectra '%s': %s %s: 401, getting a fresh token", api->name, c->method,
                          call_path(api, c->url));
                c->auth_retried = true;
                if (c->token_gen == api->token_gen && !api->token_req)
                        token_forget(api);
                queue_push(api, c, true);
                pump(api);
                maybe_finish_shutdown(api);
                return;
        }
        if (resp->status == 404 && c->missing_ok)
                goto done;
        if (resp->r < 0 || resp->status < 200 || resp->status > 299) {
                call_failed(api, c, resp);
                goto done;
        }

        if (c->type == CALL_WRITE) {
                handle_write(api, c, resp);
                goto done;
        }
        if (vectra_json_parse(resp->body, resp->body_len, &j, &err) < 0) {
                op_fail(op, -EPROTO, resp->status, "%s %s: %s", c->method, call_path(api, c->url), err);
                free(err);
                goto done;
        }
        switch (c->type) {
        case CALL_PAGE:
                handle_page(api, c, j);
                break;
        case CALL_OBJECT:
                handle_object(api, c, j);
                break;
        case CALL_DETECTION_SET:
                handle_detection_set(api, c, j);
                break;
        case CALL_TAGS:
                handle_tags(api, c, j);
                break;
        case CALL_WRITE:
                break;
        }
        cJSON_Delete(j);
done:
        call_free(c);
        op->n_calls--;
        op_call_done(op);
        pump(api);
        maybe_finish_shutdown(api);
}

/* ---- creation and shutdown ---------------------------------------------- */

static const char *const version_names[_VECTRA_VERSION_MAX] = { "auto", "2.5", "3" };
static const char *const auth_names[_VECTRA_AUTH_MAX] = { "token", "oauth" };
static const char *const score_op_names[_VECTRA_SCORE_OP_MAX] = { "and", "or" };

const char *vectra_version_to_string(VectraVersion v)
{
        return v >= 0 && v < _VECTRA_VERSION_MAX ? version_names[v] : NULL;
}

VectraVersion vectra_version_from_string(const char *s)
{
        if (!s)
                return _VECTRA_VERSION_INVALID;
        for (int i = 0; i < _VECTRA_VERSION_MAX; i++)
                if (strcasecmp(s, version_names[i]) == 0)
                        return (VectraVersion) i;
        if (strcmp(s, "2") == 0 || strcasecmp(s, "v2.5") == 0)
                return VECTRA_VERSION_2_5;
        if (strcasecmp(s, "v3") == 0 || strncmp(s, "3.", 2) == 0)
                return VECTRA_VERSION_3;
        return _VECTRA_VERSION_INVALID;
}

const char *vectra_auth_mode_to_string(VectraAuthMode m)
{
        return m >= 0 && m < _VECTRA_AUTH_MAX ? auth_names[m] : NULL;
}

VectraAuthMode vectra_auth_mode_from_string(const char *s)
{
        if (!s)
                return _VECTRA_AUTH_INVALID;
        for (int i = 0; i < _VECTRA_AUTH_MAX; i++)
                if (strcasecmp(s, auth_names[i]) == 0)
                        return (VectraAuthMode) i;
        return _VECTRA_AUTH_INVALID;
}

const char *vectra_score_op_to_string(VectraScoreOp op)
{
        return op >= 0 && op < _VECTRA_SCORE_OP_MAX ? score_op_names[op] : NULL;
}

VectraScoreOp vectra_score_op_from_string(const char *s)
{
        if (!s)
                return _VECTRA_SCORE_OP_INVALID;
        for (int i = 0; i < _VECTRA_SCORE_OP_MAX; i++)
                if (strcasecmp(s, score_op_names[i]) == 0)
                        return (VectraScoreOp) i;
        return _VECTRA_SCORE_OP_INVALID;
}

/* Splits the configured URL into origin ("scheme://host[:port]") and base
 * path (without a trailing '/' or API suffix). */
static int parse_url(const char *url, char **ret_origin, char **ret_path)
{
        _cleanup_free_ char *full = NULL;
        char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL;
        CURLU *u;
        size_t n;
        int r = -EINVAL;

        if (!url || !*url || strpbrk(url, " \t\r\n"))
                return -EINVAL;
        full = strstr(url, "://") ? xstrdup(url) : xasprintf("https://%s", url);
        u = curl_url();
        if (!u)
                return -ENOMEM;
        if (curl_url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
                goto finish;
        if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
                goto finish;
        /* Credentials or a query in the URL have no place here. */
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user)
                goto finish;
        if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query)
                goto finish;
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
                port = NULL;
        if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
                path = NULL;

        *ret_origin = xasprintf("%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
        {
                char *p = xstrdup(path ? path : "");
                char *api;

                n = strlen(p);
                while (n > 0 && p[n - 1] == '/')
                        p[--n] = '\0';
                api = strstr(p, "/api/v");
                if (api && (strcmp(api, "/api/v2.5") == 0 || strncmp(api, "/api/v3", 7) == 0) &&
                    !strchr(api + 5, '/'))
                        *api = '\0';
                *ret_path = p;
        }
        r = 0;
finish:
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_free(path);
        curl_free(query);
        curl_free(user);
        curl_url_cleanup(u);
        return r;
}

static void api_free(VectraApi *api)
{
        free(api->name);
        free(api->origin);
        free(api->base);
        free(api->token_url);
        free(api->ca_file);
        free_secret(api->basic_header);
        free_secret(api->auth_header);
        free_secret(api->refresh_token);
        free(api);
}

int vectra_api_new(uv_loop_t *loop, HttpClient *http, const VectraApiOptions *opts, VectraApi **ret)
{
        _cleanup_free_ char *origin = NULL, *path = NULL;
        VectraVersion version;
        VectraApi *api;
        int r;

        if (!loop || !http || !opts || !ret)
                return -EINVAL;
        if (opts->auth < 0 || opts->auth >= _VECTRA_AUTH_MAX || opts->version < 0 ||
            opts->version >= _VECTRA_VERSION_MAX || opts->timeout_ms < 0)
                return -EINVAL;
        if (opts->retry && retry_policy_validate(opts->retry) < 0)
                return -EINVAL;
        if (opts->token_retry && retry_policy_validate(opts->token_retry) < 0)
                return -EINVAL;
        r = parse_url(opts->url, &origin, &path);
        if (r < 0)
                return r;
        version = opts->version;
        if (version == VECTRA_VERSION_AUTO)
                version = strcasestr(opts->url, "portal.vectra.ai") ? VECTRA_VERSION_3 : VECTRA_VERSION_2_5;
        if (opts->auth == VECTRA_AUTH_TOKEN) {
                if (!credential_ok(opts->token) || strchr(opts->token, ' ') || version == VECTRA_VERSION_3)
                        return -EINVAL;
        } else if (!credential_ok(opts->client_id) || !credential_ok(opts->secret) || strchr(opts->client_id, ':'))
                return -EINVAL;

        api = xnew(VectraApi, 1);
        api->loop = loop;
        api->http = http;
        api->version = version;
        api->auth = opts->auth;
        api->origin = origin;
        origin = NULL;
        api->base = xasprintf("%s%s%s", api->origin, path, version == VECTRA_VERSION_3 ? "/api/v3.4" : "/api/v2.5");
        api->token_url = version == VECTRA_VERSION_3 ? xasprintf("%s%s/oauth2/token", api->origin, path)
                                                     : xasprintf("%s/oauth2/token", api->base);
        api->name = xstrdup(opts->name ? opts->name : api->origin);
        api->page_size = opts->page_size;
        api->timeout_ms = opts->timeout_ms ?: VECTRA_DEFAULT_TIMEOUT_MS;
        api->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
        api->tls_skip_verify = opts->tls_skip_verify;
        api->max_in_flight = opts->max_in_flight ?: VECTRA_DEFAULT_MAX_IN_FLIGHT;
        api->retry = opts->retry ? *opts->retry : VECTRA_RETRY_DEFAULT;
        api->token_retry = opts->token_retry ? *opts->token_retry : VECTRA_TOKEN_RETRY_DEFAULT;
        if (opts->auth == VECTRA_AUTH_TOKEN)
                api->auth_header = xasprintf("Authorization: Token %s", opts->token);
        else {
                char *pair = xasprintf("%s:%s", opts->client_id, opts->secret);
                char *b64 = base64(pair);

                api->basic_header = xasprintf("Authorization: Basic %s", b64);
                free_secret(pair);
                free_secret(b64);
        }

        r = uv_timer_init(loop, &api->defer);
        if (r < 0) {
                api_free(api);
                return r;
        }
        api->defer.data = api;
        if (api->tls_skip_verify)
                log_warning("Vectra '%s': TLS certificate verification is off", api->name);
        *ret = api;
        return 0;
}

VectraVersion vectra_api_version(const VectraApi *api)
{
        return api ? api->version : _VECTRA_VERSION_INVALID;
}

const char *vectra_api_base(const VectraApi *api)
{
        return api ? api->base : NULL;
}

void vectra_api_get_stats(const VectraApi *api, VectraApiStats *ret)
{
        *ret = (VectraApiStats) {
                .operations = api->n_ops,
                .running = api->n_running,
                .queued = api->n_queued,
                .max_running = api->max_running,
                .requests = api->n_requests,
                .token_requests = api->n_token_requests,
        };
}

void vectra_api_cancel_all(VectraApi *api)
{
        if (!api)
                return;
        for (Op *op = api->ops; op; op = op->next)
                if (!op->failed && !op->delivering)
                        op_fail(op, -ECANCELED, 0, "%s: cancelled", op->what);
        /* Ops failed above may still wait for cancelled requests; a
         * stage that was about to start (then) is skipped by op->failed. */
        if (api->token_req)
                (void) http_request_cancel(api->token_req);
}

static void on_defer_closed(uv_handle_t *h)
{
        VectraApi *api = h->data;
        void (*cb)(void *) = api->shutdown_cb;
        void *userdata = api->shutdown_userdata;

        api_free(api);
        if (cb)
                cb(userdata);
}

static void maybe_finish_shutdown(VectraApi *api)
{
        if (!api->shutting_down || api->closing)
                return;
        if (api->ops || api->n_running || api->n_queued || api->token_req || api->deliver_head)
                return;
        api->closing = true;
        (void) uv_timer_stop(&api->defer);
        uv_close((uv_handle_t *) &api->defer, on_defer_closed);
}

int vectra_api_shutdown(VectraApi *api, void (*cb)(void *userdata), void *userdata)
{
        if (!api)
                return -EINVAL;
        if (api->shutting_down)
                return -EALREADY;
        api->shutting_down = true;
        api->shutdown_cb = cb;
        api->shutdown_userdata = userdata;
        vectra_api_cancel_all(api);
        maybe_finish_shutdown(api);
        return 0;
}

/* ---- operations: building blocks ---------------------------------------- */



static int check_api(const VectraApi *api, OpCb cb)
{
        if (!api || !cb.done)
                return -EINVAL;
        if (api->shutting_down)
                return -ESHUTDOWN;
        return 0;
}

/* Queues the first page of a list: base + path + query (a StrBuf, consumed). */
static void op_list(Op *op, const char *path, StrBuf *query, size_t slot)
{
        VectraApi *api = op->api;
        StrBuf url = {};

        strbuf_puts(&url, api->base);
        strbuf_puts(&url, path);
        if (query->p)
                strbuf_puts(&url, query->p);
        if (api->page_size > 0)
                buf_param_int(&url, "page_size", api->page_size);
        free(query->p);
        *query = (StrBuf) {};
        op_call(op, CALL_PAGE, "GET", url.p, NULL, slot, false);
}

static const Kind *kind_of(VectraObjectKind k)
{
        return k == VECTRA_OBJECT_HOST ? &kind_host : k == VECTRA_OBJECT_ACCOUNT ? &kind_account : &kind_detection;
}

static CbType cb_type_of(VectraObjectKind k)
{
        return k == VECTRA_OBJECT_HOST ? CB_HOSTS : k == VECTRA_OBJECT_ACCOUNT ? CB_ACCOUNTS : CB_DETECTIONS;
}

/* GET /{kind}s/{id} for each distinct id, one slot per id, 404s skipped.
 * The op's kind becomes k (the slots of the previous stage are freed). */
static void fan_out(Op *op, VectraObjectKind k, const int64_t *ids, size_t n)
{
        IdSet distinct = {};

        for (size_t i = 0; i < n; i++)
                idset_add(&distinct, ids[i], NULL);
        op_clear_slots(op);
        op->kind = kind_of(k);
        op->on_item = item_keep;
        op_set_slots(op, distinct.n);
        for (size_t i = 0; i < distinct.n; i++) {
                Call *c = op_call(op, CALL_OBJECT, "GET", object_url(op->api, k, distinct.v[i], NULL), NULL, i,
                                  false);

                c->missing_ok = true;
        }
        idset_done(&distinct);
}

static void then_fetch_ids(Op *op)
{
        IdSet ids = op->ids;

        op->ids = (IdSet) {};
        fan_out(op, op->target, ids.v, ids.n);
        idset_done(&ids);
}

static int start_by_tag(VectraApi *api, VectraObjectKind k, const char *tag, OpCb cb, void *userdata)
{
        StrBuf q = {};
        Op *op;
        int r = check_api(api, cb);

        if (r < 0)
                return r;
        if (!tag || !*tag)
                return -EINVAL;
        op = op_new(api, "list by tag", cb_type_of(k), cb, userdata, kind_of(k));
        op->filter_tag = xstrdup(tag);
        op->on_item = item_keep_tagged;
        buf_param(&q, "tags", tag);
        op_list(op, k == VECTRA_OBJECT_HOST ? "/hosts" : k == VECTRA_OBJECT_ACCOUNT ? "/accounts" : "/detections",
                &q, 0);
        return op_start(op);
}

static int start_by_score(VectraApi *api, VectraObjectKind k, int threat, int certainty, VectraScoreOp sop,
                          OpCb cb, void *userdata)
{
        bool v3_account = k == VECTRA_OBJECT_ACCOUNT && api && api->version == VECTRA_VERSION_3;
        const char *tp = v3_account ? "t_score_gte" : "threat_gte";
        const char *cp = v3_account ? "c_score_gte" : "certainty_gte";
        const char *path = k == VECTRA_OBJECT_HOST ? "/hosts" : "/accounts";
        StrBuf q = {};
        Op *op;
        int r = check_api(api, cb);

        if (r < 0)
                return r;
        if (threat < 0 || threat > VECTRA_SCORE_MAX || certainty < 0 || certainty > VECTRA_SCORE_MAX ||
            (sop != VECTRA_SCORE_AND && sop != VECTRA_SCORE_OR))
                return -EINVAL;
        op = op_new(api, sop == VECTRA_SCORE_AND ? "list by score (and)" : "list by score (or)", cb_type_of(k),
                    cb, userdata, kind_of(k));
        if (sop == VECTRA_SCORE_AND) {
                buf_param_int(&q, tp, threat);
                buf_param_int(&q, cp, certainty);
                op_list(op, path, &q, 0);
        } else {
                /* Two lists side by side; slot order makes the union
                 * deterministic: the certainty list overwrites. */
                op_set_slots(op, 2);
                buf_param_int(&q, tp, threat);
                op_list(op, path, &q, 0);
                buf_param_int(&q, cp, certainty);
                op_list(op, path, &q, 1);
        }
        return op_start(op);
}

static ItemAction item_urgency(Op *op, Call *c, void *obj)
{
        VectraEntity *e = obj;

        if (e->type && strcmp(e->type, op->entity_type) != 0)
                return ITEM_DROP;
        if (e->urgency_score < op->min_urgency)
                return ITEM_STOP;
        idset_add(&op->ids, e->id, NULL);
        return ITEM_DROP;
}

static int start_by_urgency(VectraApi *api, VectraObjectKind k, double min_urgency, OpCb cb, void *userdata)
{
        StrBuf q = {};
        Op *op;
        int r = check_api(api, cb);

        if (r < 0)
                return r;
        if (api->version != VECTRA_VERSION_3)
                return -EOPNOTSUPP;
        if (!(min_urgency >= 0 && min_urgency <= VECTRA_SCORE_MAX))
                return -EINVAL;
        op = op_new(api, "urgency walk", cb_type_of(k), cb, userdata, &kind_entity);
        op->entity_type = object_singular[k];
        op->min_urgency = min_urgency;
        op->on_item = item_urgency;
        op->target = k;
        op->then = then_fetch_ids;
        buf_param(&q, "type", op->entity_type);
        buf_param(&q, "ordering", "-urgency_score");
        op_list(op, "/entities", &q, 0);
        return op_start(op);
}

static int start_get(VectraApi *api, VectraObjectKind k, int64_t id, bool missing_ok, OpCb cb, void *userdata)
{
        Op *op;
        Call *c;
        int r = check_api(api, cb);

        if (r < 0)
                return r;
        if (id < 1 || id > VECTRA_ID_MAX)
                return -EINVAL;
        op = op_new(api, "get by id", cb_type_of(k), cb, userdata, kind_of(k));
        c = op_call(op, CALL_OBJECT, "GET", object_url(api, k, id, NULL), NULL, 0, false);
        c->missing_ok = missing_ok;
        return op_start(op);
}

static int start_get_many(VectraApi *api, VectraObjectKind k, const int64_t *ids, size_t n, OpCb cb,
                          void *userdata)
{
        Op *op;
        int r = check_api(api, cb);

        if (r < 0)
                return r;
        if (n > 0 && !ids)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (ids[i] < 1 || ids[i] > VECTRA_ID_MAX)
                        return -EINVAL;
        op = op_new(api, "get by ids", cb_type_of(k), cb, userdata, kind_of(k));
        fan_out(op, k, ids, n);
        return op_start(op);
}

static ItemAction item_group(Op *op, Call *c, void *obj)
{
        VectraGroup *g = obj;

        /* The API filters by name loosely: keep the exact name only. */
        if (!g->name || strcmp(g->name, op->name) != 0)
                return ITEM_DROP;
        if (g->type && op->group_type && strcmp(g->type, op->group_type) != 0)
                return ITEM_DROP;
        return item_keep(op, c, obj);
}

static Op *op_groups(VectraApi *api, const char *what, const char *name, const char *type, CbType cbt, OpCb cb,
                     void *userdata)
{
        StrBuf q = {};
        Op *op = op_new(api, what, cbt, cb, userdata, &kind_group);

        op->name = xstrdup(name);
        op->group_type = xstrdup(type);
        op->on_item = item_group;
        buf_param(&q, "name", name);
        buf_param(&q, "type", type);
        op_list(op, "/groups", &q, 0);
        return op;
}

static void then_group_hosts(Op *op)
{
        for (size_t s = 0; s < op->n_slots; s++)
                for (size_t i = 0; i < op->slots[s].n; i++) {
                        const VectraGroup *g = op->slots[s].v[i];

                        for (size_t m = 0; m < g->n_member_ids; m++)
                                idset_add(&op->ids, g->member_ids[m], NULL);
                }
        then_fetch_ids(op);
}

static void by_uids(Op *op, char *const *uids, size_t n)
{
        op_clear_slots(op);
        op->kind = &kind_account;
        op->on_item = item_keep;
        op_set_slots(op, n);
        for (size_t i = 0; i < n; i++) {
                StrBuf q = {};

                buf_param(&q, "uid", uids[i]);
                op_list(op, "/accounts", &q, i);
        }
}

static void then_group_accounts(Op *op)
{
        char **uids = NULL;
        size_t n = 0;

        for (size_t s = 0; s < op->n_slots; s++)
                for (size_t i = 0; i < op->slots[s].n; i++) {
                        const VectraGroup *g = op->slots[s].v[i];

                        uids = xreallocarray(uids, n + g->n_member_uids + 1, sizeof(char *));
                        for (size_t m = 0; m < g->n_member_uids; m++) {
                                bool dup = false;

                                for (size_t k = 0; k < n && !dup; k++)
                                        dup = strcmp(uids[k], g->member_uids[m]) == 0;
                                if (!dup)
                                        uids[n++] = xstrdup(g->member_uids[m]);
                        }
                        uids[n] = NULL;
                }
        by_uids(op, uids, n);
        if (uids)
                vectra_strv_free(uids);
}

/* The detections of every type are kept per type (slot), so that the
 * source ids come out in a stable order whatever the order of answers. */
static void then_detection_sources(Op *op)
{
        for (size_t s = 0; s < op->n_slots; s++)
                for (size_t i = 0; i < op->slots[s].n; i++) {
                        const VectraDetection *d = op->slots[s].v[i];
                        int64_t id = op->target == VECTRA_OBJECT_HOST ? d->src_host_id : d->src_account_id;

                        /* VAR crashes on detections without a source of that
                         * kind (defect 13): skip them. */
                        if (id > 0)
                                idset_add(&op->ids, id, NULL);
                }
        then_fetch_ids(op);
}

static int start_by_detection_types(VectraApi *api, VectraObjectKind k, const char *const *types, size_t n,
                                    OpCb cb, void *userdata)
{
        Op *op;
        int r = check_api(api, cb);

        if (r < 0)
                return r;
        if (n > 0 && !types)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!types[i] || !*types[i])
                        return -EINVAL;
        op = op_new(api, "sources of detection types", cb_type_of(k), cb, userdata, &kind_detection);
        op->target = k;
        op->then = then_detection_sources;
        op_set_slots(op, n);
        for (size_t i = 0; i < n; i++) {
                StrBuf q = {};

                buf_param(&q, "detection_type", types[i]);
                buf_param(&q, "state", "active");
                op_list(op, "/detections", &q, i);
        }
        return op_start(op);
}

/* ---- operations: public ------------------------------------------------- */

int vectra_api_hosts_by_tag(VectraApi *api, const char *tag, VectraHostsCb cb, void *userdata)
{
        return start_by_tag(api, VECTRA_OBJECT_HOST, tag, OPCB_HOSTS(cb), userdata);
}

int vectra_api_hosts_by_score(VectraApi *api, int threat, int certainty, VectraScoreOp op, VectraHostsCb cb,
                              void *userdata)
{
        return start_by_score(api, VECTRA_OBJECT_HOST, threat, certainty, op, OPCB_HOSTS(cb), userdata);
}

int vectra_api_hosts_by_urgency(VectraApi *api, double min_urgency, VectraHostsCb cb, void *userdata)
{
        return start_by_urgency(api, VECTRA_OBJECT_HOST, min_urgency, OPCB_HOSTS(cb), userdata);
}

int vectra_api_host_get(VectraApi *api, int64_t id, VectraHostsCb cb, void *userdata)
{
        return start_get(api, VECTRA_OBJECT_HOST, id, false, OPCB_HOSTS(cb), userdata);
}

int vectra_api_hosts_get(VectraApi *api, const int64_t *ids, size_t n, VectraHostsCb cb, void *userdata)
{
        return start_get_many(api, VECTRA_OBJECT_HOST, ids, n, OPCB_HOSTS(cb), userdata);
}

int vectra_api_group_hosts(VectraApi *api, const char *name, VectraHostsCb cb, void *userdata)
{
        Op *op;
        int r = check_api(api, OPCB_HOSTS(cb));

        if (r < 0)
                return r;
        if (!name || !*name)
                return -EINVAL;
        op = op_groups(api, "host group members", name, "host", CB_HOSTS, OPCB_HOSTS(cb), userdata);
        op->target = VECTRA_OBJECT_HOST;
        op->then = then_group_hosts;
        return op_start(op);
}

int vectra_api_hosts_by_detection_types(VectraApi *api, const char *const *types, size_t n_types,
                                        VectraHostsCb cb, void *userdata)
{
        return start_by_detection_types(api, VECTRA_OBJECT_HOST, types, n_types, OPCB_HOSTS(cb), userdata);
}

int vectra_api_accounts_by_tag(VectraApi *api, const char *tag, VectraAccountsCb cb, void *userdata)
{
        return start_by_tag(api, VECTRA_OBJECT_ACCOUNT, tag, OPCB_ACCOUNTS(cb), userdata);
}

int vectra_api_accounts_by_score(VectraApi *api, int threat, int certainty, VectraScoreOp op,
                                 VectraAccountsCb cb, void *userdata)
{
        return start_by_score(api, VECTRA_OBJECT_ACCOUNT, threat, certainty, op, OPCB_ACCOUNTS(cb), userdata);
}

int vectra_api_accounts_by_urgency(VectraApi *api, double min_urgency, VectraAccountsCb cb, void *userdata)
{
        return start_by_urgency(api, VECTRA_OBJECT_ACCOUNT, min_urgency, OPCB_ACCOUNTS(cb), userdata);
}

int vectra_api_account_get(VectraApi *api, int64_t id, VectraAccountsCb cb, void *userdata)
{
        return start_get(api, VECTRA_OBJECT_ACCOUNT, id, false, OPCB_ACCOUNTS(cb), userdata);
}

int vectra_api_accounts_get(VectraApi *api, const int64_t *ids, size_t n, VectraAccountsCb cb, void *userdata)
{
        return start_get_many(api, VECTRA_OBJECT_ACCOUNT, ids, n, OPCB_ACCOUNTS(cb), userdata);
}

int vectra_api_accounts_by_uid(VectraApi *api, const char *const *uids, size_t n, VectraAccountsCb cb,
                               void *userdata)
{
        Op *op;
        int r = check_api(api, OPCB_ACCOUNTS(cb));

        if (r < 0)
                return r;
        if (n > 0 && !uids)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!uids[i] || !*uids[i])
                        return -EINVAL;
        op = op_new(api, "accounts by uid", CB_ACCOUNTS, OPCB_ACCOUNTS(cb), userdata, &kind_account);
        by_uids(op, (char *const *) uids, n);
        return op_start(op);
}

int vectra_api_group_accounts(VectraApi *api, const char *name, VectraAccountsCb cb, void *userdata)
{
        Op *op;
        int r = check_api(api, OPCB_ACCOUNTS(cb));

        if (r < 0)
                return r;
        if (!name || !*name)
                return -EINVAL;
        op = op_groups(api, "account group members", name, "account", CB_ACCOUNTS, OPCB_ACCOUNTS(cb), userdata);
        op->then = then_group_accounts;
        return op_start(op);
}

int vectra_api_accounts_by_detection_types(VectraApi *api, const char *const *types, size_t n_types,
                                           VectraAccountsCb cb, void *userdata)
{
        return start_by_detection_types(api, VECTRA_OBJECT_ACCOUNT, types, n_types, OPCB_ACCOUNTS(cb), userdata);
}

int vectra_api_groups(VectraApi *api, const char *name, const char *type, VectraGroupsCb cb, void *userdata)
{
        int r = check_api(api, OPCB_GROUPS(cb));

        if (r < 0)
                return r;
        if (!name || !*name || !type || !*type)
                return -EINVAL;
        return op_start(op_groups(api, "groups by name", name, type, CB_GROUPS, OPCB_GROUPS(cb), userdata));
}

int vectra_api_detections_by_tag(VectraApi *api, const char *tag, VectraDetectionsCb cb, void *userdata)
{
        return start_by_tag(api, VECTRA_OBJECT_DETECTION, tag, OPCB_DETECTIONS(cb), userdata);
}

int vectra_api_detections_by_type(VectraApi *api, const char *type, VectraDetectionsCb cb, void *userdata)
{
        StrBuf q = {};
        Op *op;
        int r = check_api(api, OPCB_DETECTIONS(cb));

        if (r < 0)
                return r;
        if (!type || !*type)
                return -EINVAL;
        op = op_new(api, "detections by type", CB_DETECTIONS, OPCB_DETECTIONS(cb), userdata, &kind_detection);
        buf_param(&q, "detection_type", type);
        buf_param(&q, "state", "active");
        op_list(op, "/detections", &q, 0);
        return op_start(op);
}

int vectra_api_detection_get(VectraApi *api, int64_t id, VectraDetectionsCb cb, void *userdata)
{
        return start_get(api, VECTRA_OBJECT_DETECTION, id, true, OPCB_DETECTIONS(cb), userdata);
}

int vectra_api_detections_get(VectraApi *api, const int64_t *ids, size_t n, VectraDetectionsCb cb,
                              void *userdata)
{
        return start_get_many(api, VECTRA_OBJECT_DETECTION, ids, n, OPCB_DETECTIONS(cb), userdata);
}

int vectra_api_detection_set(VectraApi *api, VectraObjectKind kind, int64_t id, VectraDetectionsCb cb,
                             void *userdata)
{
        Op *op;
        Call *c;
        int r = check_api(api, OPCB_DETECTIONS(cb));

        if (r < 0)
                return r;
        if ((kind != VECTRA_OBJECT_HOST && kind != VECTRA_OBJECT_ACCOUNT) || id < 1 || id > VECTRA_ID_MAX)
                return -EINVAL;
        op = op_new(api, "detection set", CB_DETECTIONS, OPCB_DETECTIONS(cb), userdata, &kind_detection);
        c = op_call(op, CALL_DETECTION_SET, "GET", object_url(api, kind, id, "?fields=detection_set"), NULL, 0,
                    false);
        c->missing_ok = true;
        return op_start(op);
}

int vectra_api_set_tags(VectraApi *api, VectraObjectKind kind, int64_t id, const char *const *tags, size_t n,
                        VectraDoneCb cb, void *userdata)
{
        cJSON *body, *list;
        char *text;
        Op *op;
        int r = check_api(api, OPCB_DONE(cb));

        if (r < 0)
                return r;
        if (kind < 0 || kind >= _VECTRA_OBJECT_MAX || id < 1 || id > VECTRA_ID_MAX || (n > 0 && !tags))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!tags[i])
                        return -EINVAL;
        body = cJSON_CreateObject();
        list = cJSON_AddArrayToObject(body, "tags");
        if (!body || !list)
                abort();
        for (size_t i = 0; i < n; i++) {
                cJSON *s = cJSON_CreateString(tags[i]);

                if (!s)
                        abort();
                cJSON_AddItemToArray(list, s);
        }
        text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (!text)
                abort();
        op = op_new(api, "set tags", CB_DONE, OPCB_DONE(cb), userdata, kind_of(kind));
        op_call(op, CALL_WRITE, "PATCH",
                xasprintf("%s/tagging/%s/%" PRId64, api->base, object_singular[kind], id), xstrdup(text), 0, false);
        cJSON_free(text);
        return op_start(op);
}

int vectra_api_get_tags(VectraApi *api, VectraObjectKind kind, int64_t id, VectraTagsCb cb, void *userdata)
{
        Op *op;
        int r = check_api(api, OPCB_TAGS(cb));

        if (r < 0)
                return r;
        if (kind < 0 || kind >= _VECTRA_OBJECT_MAX || id < 1 || id > VECTRA_ID_MAX)
                return -EINVAL;
        op = op_new(api, "get tags", CB_TAGS, OPCB_TAGS(cb), userdata, kind_of(kind));
        op_call(op, CALL_TAGS, "GET", xasprintf("%s/tagging/%s/%" PRId64, api->base, object_singular[kind], id),
                NULL, 0, false);
        return op_start(op);
}

int vectra_api_add_note(VectraApi *api, VectraObjectKind kind, int64_t id, const char *note, VectraDoneCb cb,
                        void *userdata)
{
        cJSON *body;
        char *text;
        Op *op;
        int r = check_api(api, OPCB_DONE(cb));

        if (r < 0)
                return r;
        if (kind < 0 || kind >= _VECTRA_OBJECT_MAX || id < 1 || id > VECTRA_ID_MAX || !note)
                return -EINVAL;
        body = cJSON_CreateObject();
        if (!body || !cJSON_AddStringToObject(body, "note", note))
                abort();
        text = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        if (!text)
                abort();
        op = op_new(api, "add note", CB_DONE, OPCB_DONE(cb), userdata, kind_of(kind));
        op_call(op, CALL_WRITE, "POST", object_url(api, kind, id, "/notes"), xstrdup(text), 0, false);
        cJSON_free(text);
        return op_start(op);
}
