/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "sources/umbrella_api.h"

#define DEFAULT_CAP 20u
#define DEFAULT_TIMEOUT_MS 30000L
#define MAX_REDIRECTS 5u
#define MAX_OFFSET_GUARD 1000000u

enum { K_REPORTS, K_INVESTIGATE, K_MAX };

typedef struct Call Call;
typedef void (*CallCb)(Call *c);

/* One API request, through its redirects and its one 401 retry. */
struct Call {
        UmbrellaApi *api;
        int kind;
        char *url;
        char *what;                     /* "GET /reports/v2/activity/dns" (no query: no data in errors) */
        unsigned redirects;
        bool auth_retried;
        bool running, queued;
        HttpRequest *req;
        char *token_used;
        CallCb cb;
        void *op;
        /* outcome */
        int r;
        long status;
        char *error;
        char *body;
        Call *next_q;
        Call *prev, *next;              /* api->calls */
        Call *next_done;
};

struct UmbrellaApi {
        uv_loop_t *loop;
        HttpClient *http;
        char *token_url, *reports_base, *investigate_base;
        char *basic_header;             /* secret: wiped */
        char *static_inv_header;        /* secret: wiped */
        char **redirect_domains;
        unsigned cap;
        long timeout_ms;
        char *ca_file;
        bool tls_skip_verify;

        char *token;                    /* secret: wiped */
        uint64_t token_expiry_us;       /* monotonic */
        HttpRequest *token_req;
        char *token_error;
        Call *qhead[K_MAX], *qtail[K_MAX];
        unsigned running[K_MAX];
        Call *calls;
        Call *done_head, *done_tail;
        uv_timer_t deliver;
        UmbrellaApiStats stats;
        bool shutting_down;
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;
};

static void pump(UmbrellaApi *api);
static void call_start(Call *c);

static void wipe(char *s)
{
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

static char *b64(const char *s)
{
        size_t n = strlen(s);
        char *out = xmalloc(4 * ((n + 2) / 3) + 1);

        EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) s, (int) n);
        return out;
}

/* Path of a URL, without scheme, host or query: for error texts. */
static char *url_path(const char *url)
{
        const char *p = strstr(url, "://");
        p = p ? strchr(p + 3, '/') : NULL;
        if (!p)
                p = "/";
        return xstrndup(p, strcspn(p, "?#"));
}

static void escape_into(char **s, const char *v)
{
        StrBuf b = {};

        strbuf_puts(&b, *s);
        strbuf_put_pct(&b, v, ",");
        free(*s);
        *s = strbuf_steal(&b, NULL);
}

static void add_param(char **url, const char *name, const char *value)
{
        char *n = xasprintf("%s%s%s=", *url, strchr(*url, '?') ? "&" : "?", name);
        free(*url);
        *url = n;
        escape_into(url, value);
}

/* ---- delivery --------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
        free(h->data);
}

static void on_deliver(uv_timer_t *t)
{
        UmbrellaApi *api = t->data;

        while (api->done_head) {
                Call *c = api->done_head;
                api->done_head = c->next_done;
                if (!api->done_head)
                        api->done_tail = NULL;
                /* unlink before the callback: it may start new calls */
                if (c->prev)
                        c->prev->next = c->next;
                else
                        api->calls = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                c->cb(c);
                free(c->url);
                free(c->what);
                free(c->error);
                free(c->body);
                wipe(c->token_used);
                free(c);
        }
        if (api->shutting_down && !api->calls && !api->token_req) {
                void (*cb)(void *) = api->shutdown_cb;
                void *ud = api->shutdown_userdata;
                api->shutdown_cb = NULL;
                if (cb) {
                        /* once: the close callback frees the client */
                        uv_close((uv_handle_t *) &api->deliver, on_closed);
                        cb(ud);
                }
        }
}

static void call_finish(Call *c, int r, long status, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void call_finish(Call *c, int r, long status, const char *fmt, ...)
{
        UmbrellaApi *api = c->api;

        c->r = r;
        c->status = status;
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                free(c->error);
                c->error = xvasprintf(fmt, ap);
                va_end(ap);
        }
        c->next_done = NULL;
        if (api->done_tail)
                api->done_tail->next_done = c;
        else
                api->done_head = c;
        api->done_tail = c;
        uv_timer_start(&api->deliver, on_deliver, 0, 0);
}

/* ---- token ------------------------------------------------------------ */

static bool token_valid(UmbrellaApi *api)
{
        return api->token && clock_mono_usec() < api->token_expiry_us;
}

/* A short text of an error answer: OAuth's error/error_description or
 * Umbrella's message, never the raw body (it could echo a credential). */
static char *answer_text(const HttpResponse *resp)
{
        cJSON *root = cJSON_Parse(resp->body);
        const char *keys[] = { "error_description", "error", "message", "errorMessage" };
        char *out = NULL;

        for (size_t i = 0; i < 4 && !out; i++) {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, keys[i]);
                if (cJSON_IsString(v) && v->valuestring[0])
                        out = xstrndup(v->valuestring, 200);
        }
        cJSON_Delete(root);
        if (!out)
                out = xstrdup(resp->status ? "no error text" : (resp->error && resp->error[0] ? resp->error :
                                                                "no answer"));
        return out;
}

static void fail_waiting(UmbrellaApi *api, int r, const char *why)
{
        for (int k = 0; k < K_MAX; k++)
                while (api->qhead[k]) {
                        Call *c = api->qhead[k];
                        api->qhead[k] = c->next_q;
                        c->queued = false;
                        call_finish(c, r, 0, "%s", why);
                }
        for (int k = 0; k < K_MAX; k++)
                api->qtail[k] = NULL;
}

static void on_token(const HttpResponse *resp, void *userdata)
{
        UmbrellaApi *api = userdata;
        _cleanup_free_ char *path = url_path(api->token_url);
        const char *why = NULL;
        char *tok = NULL;
        int64_t exp = 0;

        api->token_req = NULL;
        if (api->shutting_down) {
                fail_waiting(api, -ECANCELED, "cancelled");
                uv_timer_start(&api->deliver, on_deliver, 0, 0);
                return;
        }
        if (resp->r == -ECANCELED) {
                fail_waiting(api, -ECANCELED, "cancelled");
                return;
        }
        if (resp->status < 200 || resp->status > 299) {
                _cleanup_free_ char *t = answer_text(resp);
                _cleanup_free_ char *msg = resp->status ? xasprintf("POST %s: HTTP %ld: %s", path, resp->status, t) :
                                                          xasprintf("POST %s: %s", path, t);
                fail_waiting(api, UMBRELLA_ERR_TOKEN, msg);
                return;
        }
        if (umb_parse_token(resp->body, &tok, &exp, &why) < 0) {
                _cleanup_free_ char *msg = xasprintf("POST %s: %s", path, why);
                fail_waiting(api, UMBRELLA_ERR_TOKEN, msg);
                return;
        }
        wipe(api->token);
        api->token = tok;
        /* "do not refresh until nearly expired": a minute before the end */
        api->token_expiry_us = clock_mono_usec() + (uint64_t) (exp > 120 ? exp - 60 : exp / 2 + 1) * 1000000u;
        pump(api);
}

static void token_fetch(UmbrellaApi *api)
{
        static const char body[] = "grant_type=client_credentials";
        const char *headers[] = {
                api->basic_header,
                "Accept: application/json",
                "Content-Type: application/x-www-form-urlencoded",
                NULL,
        };
        HttpRequestOptions o = {
                .method = "POST",
                .url = api->token_url,
                .headers = headers,
                .body = body,
                .body_len = sizeof(body) - 1,
                .timeout_ms = api->timeout_ms,
                .ca_file = api->ca_file,
                .tls_skip_verify = api->tls_skip_verify,
                .cb = on_token,
                .userdata = api,
        };
        int r;

        if (api->token_req)
                return;
        api->stats.token_requests++;
        r = http_request_start(api->http, &o, &api->token_req);
        if (r < 0) {
                _cleanup_free_ char *path = url_path(api->token_url);
                _cleanup_free_ char *msg = xasprintf("POST %s: %s", path, strerror(-r));
                api->token_req = NULL;
                fail_waiting(api, UMBRELLA_ERR_TOKEN, msg);
        }
}

/* ---- calls ------------------------------------------------------------ */

static bool needs_token(const Call *c)
{
        return !(c->kind == K_INVESTIGATE && c->api->static_inv_header);
}

static void enqueue(Call *c, bool front)
{
        UmbrellaApi *api = c->api;

        c->queued = true;
        if (front) {
                c->next_q = api->qhead[c->kind];
                api->qhead[c->kind] = c;
                if (!api->qtail[c->kind])
                        api->qtail[c->kind] = c;
                return;
        }
        c->next_q = NULL;
        if (api->qtail[c->kind])
                api->qtail[c->kind]->next_q = c;
        else
                api->qhead[c->kind] = c;
        api->qtail[c->kind] = c;
}

static void pump(UmbrellaApi *api)
{
        for (int k = 0; k < K_MAX; k++)
                while (api->qhead[k] && api->running[k] < api->cap) {
                        Call *c = api->qhead[k];
                        if (needs_token(c) && !token_valid(api)) {
                                token_fetch(api);
                                break;
                        }
                        api->qhead[k] = c->next_q;
                        if (!api->qhead[k])
                                api->qtail[k] = NULL;
                        c->queued = false;
                        c->running = true;
                        api->running[k]++;
                        if (api->running[k] > api->stats.max_running[k])
                                api->stats.max_running[k] = api->running[k];
                        call_start(c);
                }
}

static void call_release_slot(Call *c)
{
        if (c->running) {
                c->running = false;
                c->api->running[c->kind]--;
        }
}

static void on_call(const HttpResponse *resp, void *userdata)
{
        Call *c = userdata;
        UmbrellaApi *api = c->api;
        const char *loc;

        c->req = NULL;
        /* after shutdown began, an answer that was already in is dropped
         * too: the client's settings are gone */
        if (resp->r == -ECANCELED || api->shutting_down) {
                call_release_slot(c);
                call_finish(c, -ECANCELED, 0, "%s: cancelled", c->what);
                pump(api);
                return;
        }
        if (resp->status >= 300 && resp->status <= 399 && (loc = http_response_header(resp, "Location"))) {
                _cleanup_free_ char *next = NULL;
                if (loc[0] == '/') {
                        /* same origin */
                        const char *h = strstr(c->url, "://");
                        size_t origin = h ? (size_t) (h + 3 - c->url) + strcspn(h + 3, "/?#") : 0;
                        next = xasprintf("%.*s%s", (int) origin, c->url, loc);
                } else
                        next = xstrdup(loc);
                if (c->redirects >= MAX_REDIRECTS) {
                        call_release_slot(c);
                        call_finish(c, -EPROTO, resp->status, "%s: more than %u redirects", c->what, MAX_REDIRECTS);
                } else if (!umb_redirect_allowed(next, (const char *const *) api->redirect_domains)) {
                        /* the bearer token must not follow it there */
                        call_release_slot(c);
                        call_finish(c, -EPROTO, resp->status,
                                    "%s: HTTP %ld redirects to a host outside redirect_domains, not followed",
                                    c->what, resp->status);
                } else {
                        c->redirects++;
                        api->stats.redirects++;
                        free(c->url);
                        c->url = next;
                        next = NULL;
                        call_start(c);
                        return;
                }
                pump(api);
                return;
        }
        if (resp->status == 401 && needs_token(c) && !c->auth_retried) {
                /* expired or revoked early: one fresh token, one more try */
                c->auth_retried = true;
                if (api->token && c->token_used && !strcmp(api->token, c->token_used)) {
                        wipe(api->token);
                        api->token = NULL;
                }
                call_release_slot(c);
                enqueue(c, true);
                pump(api);
                return;
        }
        call_release_slot(c);
        if (resp->status >= 200 && resp->status <= 299) {
                c->body = xstrdup(resp->body);
                call_finish(c, 0, resp->status, NULL);
        } else if (resp->status > 0) {
                _cleanup_free_ char *t = answer_text(resp);
                call_finish(c, resp->status == 401 || resp->status == 403 ? -EACCES : -EIO, resp->status,
                            "%s: HTTP %ld: %s", c->what, resp->status, t);
        } else
                call_finish(c, resp->r < 0 ? resp->r : -EIO, 0, "%s: %s", c->what,
                            resp->error && resp->error[0] ? resp->error : strerror(resp->r < 0 ? -resp->r : EIO));
        pump(api);
}

static void call_start(Call *c)
{
        UmbrellaApi *api = c->api;
        _cleanup_free_ char *auth = NULL;
        const char *headers[3];
        HttpRequestOptions o;
        int r;

        if (needs_token(c)) {
                auth = xasprintf("Authorization: Bearer %s", api->token);
                wipe(c->token_used);
                c->token_used = xstrdup(api->token);
        }
        headers[0] = auth ? auth : api->static_inv_header;
        headers[1] = "Accept: application/json";
        headers[2] = NULL;
        o = (HttpRequestOptions) {
                .url = c->url,
                .headers = headers,
                .timeout_ms = api->timeout_ms,
                .ca_file = api->ca_file,
                .tls_skip_verify = api->tls_skip_verify,
                .cb = on_call,
                .userdata = c,
        };
        api->stats.requests++;
        if (c->kind == K_INVESTIGATE)
                api->stats.investigate_requests++;
        r = http_request_start(api->http, &o, &c->req);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        if (r < 0) {
                c->req = NULL;
                call_release_slot(c);
                call_finish(c, r, 0, "%s: %s", c->what, strerror(-r));
        }
}

static int call_new(UmbrellaApi *api, int kind, char *url, CallCb cb, void *op)
{
        Call *c;
        _cleanup_free_ char *path = NULL;

        if (api->shutting_down) {
                free(url);
                return -ESHUTDOWN;
        }
        path = url_path(url);
        c = xnew(Call, 1);
        c->api = api;
        c->kind = kind;
        c->url = url;
        c->what = xasprintf("GET %s", path);
        c->cb = cb;
        c->op = op;
        c->next = api->calls;
        if (api->calls)
                api->calls->prev = c;
        api->calls = c;
        enqueue(c, false);
        pump(api);
        return 0;
}

/* ---- operations ------------------------------------------------------- */

typedef enum OpType { OP_IDENTITIES, OP_ACTIVITY, OP_RISK, OP_CATEGORIES } OpType;

typedef struct Op {
        UmbrellaApi *api;
        OpType type;
        char *base_url;                 /* without offset */
        unsigned limit, offset, pages;
        UmbIdentity *ids;
        size_t n_ids;
        UmbActivity acc;
        int64_t *filter;
        size_t n_filter;
        char *domain;
        void *cb;
        void *userdata;
} Op;

static void op_free(Op *op)
{
        free(op->base_url);
        umb_identities_free(op->ids, op->n_ids);
        umb_activity_done(&op->acc);
        free(op->filter);
        free(op->domain);
        free(op);
}

static void op_deliver(Op *op, const UmbrellaStatus *st)
{
        switch (op->type) {
        case OP_IDENTITIES: {
                UmbIdentity *v = st->r == 0 ? op->ids : NULL;
                size_t n = st->r == 0 ? op->n_ids : 0;
                if (st->r == 0) {
                        op->ids = NULL;
                        op->n_ids = 0;
                }
                ((UmbrellaIdentitiesCb) op->cb)(op->userdata, st, v, n);
                break;
        }
        case OP_ACTIVITY:
                if (st->r == 0)
                        umb_activity_finish(&op->acc);
                ((UmbrellaActivityCb) op->cb)(op->userdata, st, st->r == 0 ? &op->acc : NULL);
                break;
        default:
                break;
        }
        op_free(op);
}

static void page_request(Op *op);

static void on_page(Call *c)
{
        Op *op = c->op;
        UmbrellaStatus st = { .r = c->r, .http_status = c->status, .error = c->error };
        const char *why = NULL;
        size_t rows = 0;
        int r;

        /* "treat a 400 on a large offset as the end" (umbrella.md §3.3) */
        if (c->r == -EIO && c->status == 400 && op->offset > 0) {
                st = (UmbrellaStatus) { 0 };
                op_deliver(op, &st);
                return;
        }
        if (c->r < 0) {
                op_deliver(op, &st);
                return;
        }
        if (op->type == OP_IDENTITIES)
                r = umb_parse_identities(c->body, &op->ids, &op->n_ids, &rows, &why);
        else
                r = umb_parse_activity(c->body, op->filter, op->n_filter, &op->acc, &rows, &why);
        if (r < 0) {
                _cleanup_free_ char *msg = xasprintf("%s: %s", c->what, why);
                st = (UmbrellaStatus) { .r = -EPROTO, .http_status = c->status, .error = msg };
                op_deliver(op, &st);
                return;
        }
        if (rows < op->limit || ++op->pages >= UMBRELLA_MAX_PAGES || op->offset + op->limit >= MAX_OFFSET_GUARD) {
                st = (UmbrellaStatus) { 0 };
                op_deliver(op, &st);
                return;
        }
        op->offset += op->limit;
        page_request(op);
}

static void page_request(Op *op)
{
        char *url = xstrdup(op->base_url);
        char num[32];
        int r;

        snprintf(num, sizeof(num), "%u", op->offset);
        add_param(&url, "offset", num);
        r = call_new(op->api, K_REPORTS, url, on_page, op);
        if (r < 0) {
                /* only at shutdown: report it from the loop like any failure */
                UmbrellaStatus st = { .r = r, .error = "the Umbrella client is shutting down" };
                op_deliver(op, &st);
        }
}

static char *list_url(UmbrellaApi *api, const char *what, const UmbrellaQuery *q)
{
        char *url = xasprintf("%s/%s", api->reports_base, what);
        char num[32];

        add_param(&url, "from", q->from ? q->from : "-30days");
        add_param(&url, "to", q->to ? q->to : "now");
        snprintf(num, sizeof(num), "%u", q->limit ? q->limit : 5000);
        add_param(&url, "limit", num);
        return url;
}

static Op *op_new(UmbrellaApi *api, OpType type, void *cb, void *userdata)
{
        Op *op = xnew(Op, 1);
        op->api = api;
        op->type = type;
        op->cb = cb;
        op->userdata = userdata;
        return op;
}

int umbrella_api_top_identities(UmbrellaApi *api, const UmbrellaQuery *q, UmbrellaIdentitiesCb cb, void *userdata)
{
        Op *op;

        if (api->shutting_down)
                return -ESHUTDOWN;
        op = op_new(api, OP_IDENTITIES, (void *) cb, userdata);
        op->base_url = list_url(api, "top-identities", q);
        if (q->identity_type && q->identity_type[0])
                add_param(&op->base_url, "identitytypes", q->identity_type);
        op->limit = q->limit ? q->limit : 5000;
        page_request(op);
        return 0;
}

int umbrella_api_activity(UmbrellaApi *api, const UmbrellaQuery *q, int64_t identity_id, UmbrellaActivityCb cb,
                          void *userdata)
{
        _cleanup_free_ char *cats = xstrdup(""), *idv = xasprintf("%lld", (long long) identity_id);
        Op *op;

        if (api->shutting_down)
                return -ESHUTDOWN;
        op = op_new(api, OP_ACTIVITY, (void *) cb, userdata);
        op->base_url = list_url(api, "activity/dns", q);
        for (size_t i = 0; i < q->n_categories; i++) {
                char *n = xasprintf("%s%s%lld", cats, i ? "," : "", (long long) q->categories[i]);
                free(cats);
                cats = n;
        }
        if (q->n_categories) {
                add_param(&op->base_url, "categories", cats);
                op->filter = xnew(int64_t, q->n_categories);
                memcpy(op->filter, q->categories, q->n_categories * sizeof(int64_t));
                op->n_filter = q->n_categories;
        }
        add_param(&op->base_url, "identityids", idv);
        op->limit = q->limit ? q->limit : 5000;
        page_request(op);
        return 0;
}

static void on_risk(Call *c)
{
        Op *op = c->op;
        UmbrellaStatus st = { .r = c->r, .http_status = c->status, .error = c->error };
        _cleanup_free_ char *msg = NULL;
        const char *why;
        int score = 0;

        if (c->r == 0 && umb_parse_risk(c->body, &score, &why) < 0) {
                msg = xasprintf("%s: %s", c->what, why);
                st = (UmbrellaStatus) { .r = -EPROTO, .http_status = c->status, .error = msg };
        }
        ((UmbrellaRiskCb) op->cb)(op->userdata, &st, op->domain, score);
        op_free(op);
}

int umbrella_api_risk_score(UmbrellaApi *api, const char *domain, UmbrellaRiskCb cb, void *userdata)
{
        Op *op;
        int r;

        if (!umb_domain_valid(domain))
                return -EINVAL;
        if (api->shutting_down)
                return -ESHUTDOWN;
        op = op_new(api, OP_RISK, (void *) cb, userdata);
        op->domain = xstrdup(domain);
        r = call_new(api, K_INVESTIGATE, xasprintf("%s%s", api->investigate_base, domain), on_risk, op);
        if (r < 0)
                op_free(op);
        return r;
}

static void on_categories(Call *c)
{
        Op *op = c->op;
        UmbrellaStatus st = { .r = c->r, .http_status = c->status, .error = c->error };
        _cleanup_free_ char *msg = NULL;
        UmbCategory *v = NULL;
        size_t n = 0;
        const char *why;

        if (c->r == 0 && umb_parse_categories(c->body, &v, &n, &why) < 0) {
                msg = xasprintf("%s: %s", c->what, why);
                st = (UmbrellaStatus) { .r = -EPROTO, .http_status = c->status, .error = msg };
        }
        ((UmbrellaCategoriesCb) op->cb)(op->userdata, &st, v, n);
        op_free(op);
}

int umbrella_api_categories(UmbrellaApi *api, UmbrellaCategoriesCb cb, void *userdata)
{
        Op *op;
        int r;

        if (api->shutting_down)
                return -ESHUTDOWN;
        op = op_new(api, OP_CATEGORIES, (void *) cb, userdata);
        r = call_new(api, K_REPORTS, xasprintf("%s/categories", api->reports_base), on_categories, op);
        if (r < 0)
                op_free(op);
        return r;
}

/* ---- lifecycle -------------------------------------------------------- */

int umbrella_api_new(uv_loop_t *loop, HttpClient *http, const UmbrellaApiOptions *o, UmbrellaApi **ret)
{
        UmbrellaApi *api;
        _cleanup_free_ char *pair = NULL, *enc = NULL;

        if (!o->token_url || !o->reports_url || !o->investigate_url || !o->key || !o->secret)
                return -EINVAL;
        /* a credential with a control character would split a header */
        for (const char *p = o->key; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == ':')
                        return -EINVAL;
        for (const char *p = o->secret; *p; p++)
                if ((unsigned char) *p < 0x20)
                        return -EINVAL;
        for (const char *p = o->investigate_token ? o->investigate_token : ""; *p; p++)
                if ((unsigned char) *p < 0x20)
                        return -EINVAL;
        api = xnew(UmbrellaApi, 1);
        api->loop = loop;
        api->http = http;
        api->token_url = xstrdup(o->token_url);
        {
                char *b = umb_expand_org(o->reports_url, o->org_id);
                size_t n = strlen(b);
                while (n > 0 && b[n - 1] == '/')
                        b[--n] = '\0';
                api->reports_base = b;
        }
        api->investigate_base = umb_expand_org(o->investigate_url, o->org_id);
        pair = xasprintf("%s:%s", o->key, o->secret);
        enc = b64(pair);
        explicit_bzero(pair, strlen(pair));
        api->basic_header = xasprintf("Authorization: Basic %s", enc);
        explicit_bzero(enc, strlen(enc));
        if (o->investigate_token && o->investigate_token[0])
                api->static_inv_header = xasprintf("Authorization: Bearer %s", o->investigate_token);
        for (size_t i = 0; o->redirect_domains && o->redirect_domains[i]; i++)
                api->redirect_domains = strv_push(api->redirect_domains, o->redirect_domains[i]);
        api->cap = o->max_in_flight ? o->max_in_flight : DEFAULT_CAP;
        api->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
        api->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
        api->tls_skip_verify = o->tls_skip_verify;
        uv_timer_init(loop, &api->deliver);
        api->deliver.data = api;
        *ret = api;
        return 0;
}

void umbrella_api_cancel_all(UmbrellaApi *api)
{
        if (api->token_req)
                (void) http_request_cancel(api->token_req);
        fail_waiting(api, -ECANCELED, "cancelled");
        for (Call *c = api->calls; c; c = c->next)
                if (c->req)
                        (void) http_request_cancel(c->req);
}

static void api_free_fields(UmbrellaApi *api)
{
        free(api->token_url);
        free(api->reports_base);
        free(api->investigate_base);
        wipe(api->basic_header);
        wipe(api->static_inv_header);
        wipe(api->token);
        strv_free(api->redirect_domains);
        free(api->ca_file);
        free(api->token_error);
}

static void on_shutdown_done(void *userdata)
{
        (void) userdata;
}

int umbrella_api_shutdown(UmbrellaApi *api, void (*cb)(void *userdata), void *userdata)
{
        if (api->shutting_down)
                return -EALREADY;
        api->shutting_down = true;
        umbrella_api_cancel_all(api);
        api_free_fields(api);
        api->token_url = api->reports_base = api->investigate_base = NULL;
        api->basic_header = api->static_inv_header = api->token = NULL;
        api->redirect_domains = NULL;
        api->ca_file = api->token_error = NULL;
        api->shutdown_cb = cb ? cb : on_shutdown_done;
        api->shutdown_userdata = userdata;
        /* delivers what is done, then closes once nothing is left */
        uv_timer_start(&api->deliver, on_deliver, 0, 0);
        return 0;
}

void umbrella_api_get_stats(const UmbrellaApi *api, UmbrellaApiStats *ret)
{
        *ret = api->stats;
}
