/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <uv.h>
#include "common/log.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "daemon/http.h"
#include "relays/ctim.h"
#include "relays/msgraph.h"
#include "relays/msgraph_map.h"

/* Token cache entries kept before unused ones are pruned. */
#define TOKEN_TABLE_PRUNE 256

#define UNEXPECTED "Unexpected response from Microsoft Graph Security: "

typedef struct Priv Priv;
typedef struct Token Token;
typedef struct Up Up;
typedef struct Mg Mg;

/* A list of Ups waiting for something (a token, a connection slot). */
typedef struct UpList {
        Up *head, *tail;
} UpList;

/* ---- state -------------------------------------------------------------------------- */

/* The access token of one (tenant, application id, client secret). */
struct Token {
        Priv *priv;                     /* NULL once the relay is gone: freed by the fetch's callback */
        uint8_t key[32];                /* SHA-256 of the three: no credential kept for lookups */
        char *tenant_id;                /* for the token URL and its error message */
        char *access_token;             /* secret */
        uint64_t expires_at;            /* loop time (ms) */
        uint64_t generation;            /* bumped by every new token */
        HttpRequest *http;              /* the fetch in flight */
        char *url;                      /* the fetch's URL */
        char *body;                     /* the fetch's form body: holds the client secret */
        UpList waiters;
        unsigned users;                 /* requests holding this entry */
};

struct Priv {
        Relay *relay;
        Token **tokens;
        size_t n_tokens;
        uint64_t token_fetches;
};

typedef enum UpState {
        UP_IDLE,
        UP_TOKEN_WAIT,
        UP_QUEUED,
        UP_SENT,
} UpState;

/* No call looks the observable up (a value no query can hold). */
#define NO_SLOT SIZE_MAX

/* One observable of the request. */
typedef struct Obs {
        MsgraphObservable type;
        const char *value;              /* in the call's observables */
        size_t slot;                    /* in Mg.items: the lookup that answers it, or NO_SLOT */
        cJSON *sightings;
        size_t skipped;
        MsgraphError error;
        bool failed;
} Obs;

/* One Graph call: a legacy alerts query (one observable), a hunting query
 * (the observables of slots lo .. lo + n - 1, tagged 0 .. n - 1), or the
 * health check (n == 0). */
struct Up {
        RelaySlot slot;                 /* first: the slot is the call (max_connections) */
        Mg *mg;
        size_t lo, n;
        size_t first;                   /* the first observable, in input order, it answers */
        MsgraphCall call;               /* how its answer maps */
        char *url;
        char *body;                     /* POST body, NULL for GET */
        char *auth_header;              /* "Authorization: Bearer ...": secret */
        uint64_t generation;            /* of the token it was sent with */
        HttpRequest *http;
        UpState state;
        bool retried;                   /* after a 401 */
        Up *prev, *next;                /* in a token's waiters */
};

struct Mg {
        RelayCall *call;
        Relay *relay;
        RelayRoute route;
        Token *token;
        MsgraphApi api;
        Obs *obs;
        size_t n_obs;
        MsgraphHuntingItem *items;      /* the distinct lookups (legacy: one per observable) */
        size_t n_items;
        size_t failed_first;            /* the first observable that failed, NO_SLOT: none */
        Up **ups;                       /* not finished */
        size_t n_ups;
        unsigned pending;               /* references: one per Up, one while starting */
        MsgraphError health_error;
        bool health_failed;
        bool cancelled;
};

static Priv *priv_of(Mg *mg)
{
        return relay_priv(mg->relay);
}

static void list_add(UpList *l, Up *up)
{
        up->prev = l->tail;
        up->next = NULL;
        if (l->tail)
                l->tail->next = up;
        else
                l->head = up;
        l->tail = up;
}

static void list_remove(UpList *l, Up *up)
{
        if (up->prev)
                up->prev->next = up->next;
        else
                l->head = up->next;
        if (up->next)
                up->next->prev = up->prev;
        else
                l->tail = up->prev;
        up->prev = up->next = NULL;
}

static void wipe_free(char *s)
{
        if (s)
                OPENSSL_cleanse(s, strlen(s));
        free(s);
}

/* ---- the token cache ----------------------------------------------------------------- */

static void token_free(Token *t)
{
        wipe_free(t->access_token);
        wipe_free(t->body);
        free(t->url);
        free(t->tenant_id);
        free(t);
}

static void token_key(const char *tenant, const char *app, const char *secret, uint8_t ret[32])
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned len = 0;

        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
            !EVP_DigestUpdate(ctx, tenant, strlen(tenant) + 1) ||
            !EVP_DigestUpdate(ctx, app, strlen(app) + 1) ||
            !EVP_DigestUpdate(ctx, secret, strlen(secret)) || !EVP_DigestFinal_ex(ctx, ret, &len))
                abort();
        EVP_MD_CTX_free(ctx);
}

/* The entry of these credentials, made when new; the caller holds a use. */
static Token *token_lookup(Priv *p, const char *tenant, const char *app, const char *secret)
{
        uint64_t now = uv_now(relay_loop(p->relay));
        uint8_t key[32];
        Token *t;

        token_key(tenant, app, secret, key);
        for (size_t i = 0; i < p->n_tokens; i++)
                if (!CRYPTO_memcmp(p->tokens[i]->key, key, sizeof(key))) {
                        p->tokens[i]->users++;
                        return p->tokens[i];
                }
        if (p->n_tokens >= TOKEN_TABLE_PRUNE) {
                size_t k = 0;
                for (size_t i = 0; i < p->n_tokens; i++) {
                        Token *o = p->tokens[i];
                        if (o->users == 0 && !o->http && (!o->access_token || o->expires_at <= now))
                                token_free(o);
                        else
                                p->tokens[k++] = o;
                }
                p->n_tokens = k;
        }
        t = xnew(Token, 1);
        t->priv = p;
        memcpy(t->key, key, sizeof(key));
        t->tenant_id = xstrdup(tenant);
        t->users = 1;
        p->tokens = xreallocarray(p->tokens, p->n_tokens + 1, sizeof(Token *));
        p->tokens[p->n_tokens++] = t;
        return t;
}

static void token_drop(Token *t)
{
        wipe_free(t->access_token);
        t->access_token = NULL;
}

/* ---- one request ---------------------------------------------------------------------- */

static void mg_free(Mg *mg)
{
        for (size_t i = 0; i < mg->n_obs; i++) {
                cJSON_Delete(mg->obs[i].sightings);
                msgraph_error_done(&mg->obs[i].error);
        }
        free(mg->obs);
        free(mg->items);
        msgraph_error_done(&mg->health_error);
        if (mg->token)
                mg->token->users--;
        free(mg->ups);
        free(mg);
}

static void mg_complete(Mg *mg)
{
        RelayCall *c = mg->call;
        const MsgraphError *fatal = NULL;
        cJSON *sightings, *data, *errors = NULL, *body;
        size_t n_sightings = 0, n_skipped = 0;

        if (mg->cancelled) {
                mg_free(mg);
                relay_call_finish(c, cJSON_CreateObject(), false);
                return;
        }
        if (mg->route == RELAY_ROUTE_HEALTH) {
                if (mg->health_failed)
                        relay_call_fail(c, mg->health_error.code, mg->health_error.message);
                else {
                        body = cJSON_CreateObject();
                        cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "data"), "status", "ok");
                        relay_call_finish(c, body, false);
                }
                mg_free(mg);
                return;
        }

        /* as upstream's sequential loop: the first failure in input order ends the answer */
        sightings = cJSON_CreateArray();
        for (size_t i = 0; i < mg->n_obs; i++) {
                Obs *o = &mg->obs[i];
                cJSON *s;

                if (o->failed) {
                        fatal = &o->error;
                        break;
                }
                n_skipped += o->skipped;
                while (o->sightings && (s = cJSON_DetachItemFromArray(o->sightings, 0))) {
                        cJSON_AddItemToArray(sightings, s);
                        n_sightings++;
                }
        }
        data = ctim_observe_data_new(sightings, NULL);
        if (fatal) {
                errors = cJSON_CreateArray();
                cJSON_AddItemToArray(errors, ctim_error_new(CTIM_ERROR_FATAL, fatal->code, fatal->message));
                if (cJSON_GetArraySize(data) == 0) {
                        cJSON_Delete(data);
                        data = NULL;
                }
        }
        body = ctim_response_new(data, errors);
        log_debug("relay %s: observe: %zu observable(s), %zu sighting(s)%s%s%s", relay_name(mg->relay),
                  mg->n_obs, n_sightings, n_skipped ? " (alerts without a time skipped)" : "",
                  fatal ? ", error: " : "", fatal ? fatal->message : "");
        relay_call_finish(c, body, fatal != NULL);
        mg_free(mg);
}

static void mg_unref(Mg *mg)
{
        if (--mg->pending == 0)
                mg_complete(mg);
}

/* ---- Graph calls ---------------------------------------------------------------------------- */

static void up_token_acquire(Up *up);
static void up_slot_acquire(Up *up);

static void up_finish(Up *up)
{
        Mg *mg = up->mg;

        for (size_t i = 0; i < mg->n_ups; i++)
                if (mg->ups[i] == up) {
                        mg->ups[i] = mg->ups[--mg->n_ups];
                        break;
                }
        /* after leaving mg->ups: the slot may start a queued call at once */
        relay_slot_release(mg->relay, &up->slot);
        free(up->url);
        wipe_free(up->body);
        wipe_free(up->auth_header);
        free(up);
        mg_unref(mg);
}

static void set_error(MsgraphError *dst, MsgraphError *src)
{
        msgraph_error_done(dst);
        *dst = *src;
        *src = (MsgraphError) {};
}

/* The observables after index k no longer matter (the answer ends at k's
 * error, as upstream's loop would): the calls that answer only those are
 * dropped before they are sent, or cancelled, so that a 429 is not
 * answered with more calls. */
static void abort_after(Mg *mg, size_t k)
{
        Up **ups;
        size_t n = mg->n_ups;

        ups = xnew(Up *, n ? n : 1);
        memcpy(ups, mg->ups, n * sizeof(Up *));
        for (size_t i = 0; i < n; i++) {
                Up *u = ups[i];

                if (u->n == 0 || u->first <= k)
                        continue;
                switch (u->state) {
                case UP_TOKEN_WAIT:
                        list_remove(&mg->token->waiters, u);
                        up_finish(u);
                        break;
                case UP_QUEUED:
                        up_finish(u);           /* takes it out of the relay's queue */
                        break;
                case UP_SENT:
                        if (u->http)
                                (void) http_request_cancel(u->http);
                        break;
                case UP_IDLE:
                        break;
                }
        }
        free(ups);
}

/* Whether the call looks o up. */
static bool up_answers(const Up *up, const Obs *o)
{
        return o->slot != NO_SLOT && o->slot >= up->lo && o->slot - up->lo < up->n;
}

/* The call failed with err (taken). */
static void up_fail(Up *up, MsgraphError *err)
{
        Mg *mg = up->mg;

        if (up->n > 0) {
                /* every observable of the call fails with its error */
                for (size_t i = 0; i < mg->n_obs; i++) {
                        Obs *o = &mg->obs[i];
                        if (!up_answers(up, o))
                                continue;
                        o->failed = true;
                        msgraph_error_done(&o->error);
                        o->error = (MsgraphError) { .code = err->code, .message = xstrdup(err->message) };
                }
                if (up->first < mg->failed_first)
                        mg->failed_first = up->first;
                abort_after(mg, up->first);
        } else {
                mg->health_failed = true;
                set_error(&mg->health_error, err);
        }
        msgraph_error_done(err);
        up_finish(up);
}

/* An "unknown" error with message (taken). */
static void unexpected(MsgraphError *ret, char *message)
{
        *ret = (MsgraphError) { .code = CTIM_CODE_UNKNOWN, .message = message };
}

/* A transport failure (no HTTP answer) as its TR error. */
static void transport_error(const HttpResponse *resp, const char *url, MsgraphError *ret)
{
        if (resp->r == -EKEYREJECTED) {
                const char *m = resp->error ? resp->error : "";
                const char *p = strstr(m, "SSL certificate problem: ");
                msgraph_error_tls(p ? p + strlen("SSL certificate problem: ") : m, ret);
        } else if (resp->r == -EFBIG)
                unexpected(ret, xstrdup(UNEXPECTED "the body is too large"));
        else
                msgraph_error_connect(url, ret);
}

/* The cache key of an upstream call: its URL and body. */
static char *cache_key(const Up *up)
{
        return xasprintf("%s\n%s", up->url, up->body ? up->body : "");
}

/* The credential a cached answer belongs to: the caller's application. */
static char *cache_cred(const Mg *mg)
{
        const cJSON *claims = relay_call_claims(mg->call);

        return xasprintf("%s\n%s\n%s", ctim_json_get(claims, "tenant_id")->valuestring,
                         ctim_json_get(claims, "application_id")->valuestring,
                         ctim_json_get(claims, "client_secret")->valuestring);
}

/* An HTTP answer (or a cached one) to the call's observables. */
static void up_take(Up *up, const HttpResponse *resp, bool cached)
{
        Mg *mg = up->mg;
        const RelayConf *conf = relay_conf(mg->relay);
        const MsgraphPortal portal = { .url = conf->portal_url, .tenant_id = mg->token->tenant_id };
        MsgraphError err = {};
        cJSON *tree = NULL;
        int64_t limit;
        int r;

        r = msgraph_error_from_response(up->call, resp->status, resp->body, resp->body_len, &err);
        if (r < 0) {
                unexpected(&err, xasprintf(UNEXPECTED "HTTP %ld", resp->status));
                up_fail(up, &err);
                return;
        }
        if (r > 0) {
                up_fail(up, &err);
                return;
        }
        /* 2xx, or the 404 that means "no alerts" / "ok" for the legacy calls */
        if (up->n == 0 || resp->status == 404) {
                up_finish(up);
                return;
        }
        tree = cJSON_ParseWithLength(resp->body, resp->body_len);
        if (!cJSON_IsObject(tree)) {
                cJSON_Delete(tree);
                unexpected(&err, xstrdup(UNEXPECTED "the body is not JSON"));
                up_fail(up, &err);
                return;
        }
        limit = relay_call_limit(mg->call);
        /* each observable maps its own rows, so a repeated one gets sightings of its own */
        for (size_t i = 0; i < mg->n_obs; i++) {
                Obs *o = &mg->obs[i];

                if (!up_answers(up, o))
                        continue;
                if (mg->api == MSGRAPH_API_LEGACY)
                        r = msgraph_legacy_sightings(o->type, o->value, tree, limit, NULL, &o->sightings,
                                                     &o->skipped);
                else
                        r = msgraph_hunting_sightings(o->type, o->value, (int64_t) (o->slot - up->lo), tree, limit,
                                                      &portal, NULL, &o->sightings, &o->skipped);
                /* the tree is an object, the limit >= 1 and the tag >= 0: only a broken invariant fails */
                if (r < 0)
                        abort();
        }
        cJSON_Delete(tree);
        /* only a good 2xx answer is kept, and never twice */
        if (!cached && resp->status >= 200 && resp->status < 300 && relay_cache_enabled(mg->relay)) {
                _cleanup_free_ char *key = cache_key(up), *cred = cache_cred(mg);
                relay_cache_put(mg->relay, cred, key, resp->body, resp->body_len);
                explicit_bzero(cred, strlen(cred));
        }
        up_finish(up);
}

static void on_up_answer(const HttpResponse *resp, void *userdata)
{
        Up *up = userdata;
        Mg *mg = up->mg;
        const RelayConf *conf = relay_conf(mg->relay);
        MsgraphError err = {};

        up->http = NULL;
        up->state = UP_IDLE;
        if (mg->cancelled) {
                up_finish(up);
                return;
        }
        log_debug("relay %s: %s %s: HTTP %ld in %" PRIu64 " ms", relay_name(mg->relay),
                  up->body ? "POST" : "GET", up->url, resp->status, resp->total_ms);
        relay_note_upstream(mg->relay, resp->r < 0 || resp->status < 200 || resp->status >= 300);
        if (resp->r == -ECANCELED || resp->curl_code != 0 || resp->status == 0) {
                transport_error(resp, conf->url, &err);
                up_fail(up, &err);
                return;
        }
        if (resp->status == 401 && !up->retried) {
                /* upstream's one retry with a fresh token; requests that met the same
                 * expired token share the one new fetch */
                Token *t = mg->token;
                relay_slot_release(mg->relay, &up->slot);
                up->retried = true;
                if (t->generation == up->generation)
                        token_drop(t);
                up_token_acquire(up);
                return;
        }
        up_take(up, resp, false);
}

static void up_send(Up *up)
{
        Mg *mg = up->mg;
        const RelayConf *c = relay_conf(mg->relay);
        const char *headers[] = {
                "Accept: application/json",
                up->auth_header,
                "Content-Type: application/json",
                "User-Agent: " MSGRAPH_USER_AGENT,
                NULL,
        };
        RetryPolicy once = { .max_attempts = 1 };
        int r;

        up->state = UP_SENT;
        r = http_request_start(relay_http(mg->relay), &(HttpRequestOptions) {
                        .method = up->body ? "POST" : "GET",
                        .url = up->url,
                        .headers = headers,
                        .body = up->body,
                        .body_len = up->body ? strlen(up->body) : 0,
                        .timeout_ms = (long) c->timeout_ms,
                        .retry = &once,
                        .ca_file = c->ca_file,
                        .cb = on_up_answer,
                        .userdata = up,
                }, &up->http);
        if (r < 0) {
                /* a URL curl refuses: as a failed connection */
                HttpResponse resp = { .r = r, .curl_code = -1, .error = "" };
                up->http = NULL;
                log_debug("relay %s: cannot start %s: %s", relay_name(mg->relay), up->url, strerror(-r));
                on_up_answer(&resp, up);
        }
}

static void up_slot_start(RelaySlot *slot)
{
        up_send((Up *) slot);
}

/* Sends now when the relay has a free connection slot, else queues. */
static void up_slot_acquire(Up *up)
{
        up->state = UP_QUEUED;          /* up_send() makes it UP_SENT */
        relay_slot_acquire(up->mg->relay, &up->slot, up_slot_start);
}

static void up_have_token(Up *up)
{
        Token *t = up->mg->token;

        up->state = UP_IDLE;
        wipe_free(up->auth_header);
        up->auth_header = xasprintf("Authorization: Bearer %s", t->access_token);
        up->generation = t->generation;
        up_slot_acquire(up);
}

static void on_token_answer(const HttpResponse *resp, void *userdata)
{
        Token *t = userdata;
        Priv *p = t->priv;
        MsgraphError err = {};
        bool failed = true;
        int r;

        t->http = NULL;
        wipe_free(t->body);
        t->body = NULL;
        if (!p) {
                /* the relay is gone */
                token_free(t);
                return;
        }
        if (resp->r != -ECANCELED)
                relay_note_upstream(p->relay, resp->r < 0 || resp->status < 200 || resp->status >= 300);
        if (resp->r == -ECANCELED)
                msgraph_error_connect(t->url, &err);
        else if (resp->curl_code != 0 || resp->status == 0)
                transport_error(resp, t->url, &err);
        else if ((r = msgraph_error_from_response(MSGRAPH_CALL_TOKEN, resp->status, resp->body,
                                                  resp->body_len, &err)) != 0) {
                if (r < 0)
                        unexpected(&err, xasprintf(UNEXPECTED "HTTP %ld", resp->status));
        } else {
                char *token = NULL;
                int64_t expires_in = 0;

                if (msgraph_token_parse(resp->body, resp->body_len, &token, &expires_in) < 0)
                        unexpected(&err, xstrdup(UNEXPECTED "the token endpoint sent no access_token"));
                else {
                        uint64_t life = (uint64_t) expires_in * 1000, margin = life / 10;

                        if (margin > MSGRAPH_TOKEN_MARGIN_MS)
                                margin = MSGRAPH_TOKEN_MARGIN_MS;
                        wipe_free(t->access_token);
                        t->access_token = token;
                        t->generation++;
                        t->expires_at = uv_now(relay_loop(p->relay)) + life - margin;
                        failed = false;
                }
        }
        log_debug("relay %s: token for tenant '%s': HTTP %ld in %" PRIu64 " ms%s%s", relay_name(p->relay),
                  t->tenant_id, resp->status, resp->total_ms, failed ? ": " : "", failed ? err.message : "");

        /* every waiter goes on, taken off the list one by one: a failure can
         * drop other waiters of its request from it (abort_after()) */
        while (t->waiters.head) {
                Up *up = t->waiters.head;
                list_remove(&t->waiters, up);
                up->state = UP_IDLE;
                if (failed) {
                        MsgraphError copy = { .code = err.code, .message = xstrdup(err.message) };
                        up_fail(up, &copy);
                } else
                        up_have_token(up);
        }
        msgraph_error_done(&err);
}

static void token_fetch(Token *t, const RelayCall *call)
{
        Priv *p = t->priv;
        const RelayConf *c = relay_conf(p->relay);
        const cJSON *claims = relay_call_claims(call);
        const char *headers[] = {
                "Accept: application/json",
                "Content-Type: application/x-www-form-urlencoded",
                "User-Agent: " MSGRAPH_USER_AGENT,
                NULL,
        };
        RetryPolicy once = { .max_attempts = 1 };
        HttpResponse fail = { .r = -EINVAL, .curl_code = -1, .error = "" };
        int r;

        free(t->url);
        t->url = NULL;
        wipe_free(t->body);
        t->body = NULL;
        r = msgraph_token_request(c->login_url, t->tenant_id,
                                  ctim_json_get(claims, "application_id")->valuestring,
                                  ctim_json_get(claims, "client_secret")->valuestring, c->scope,
                                  &t->url, &t->body);
        if (r < 0) {
                t->url = xasprintf("%s/%s/oauth2/v2.0/token", c->login_url, t->tenant_id);
                on_token_answer(&fail, t);
                return;
        }
        p->token_fetches++;
        r = http_request_start(relay_http(p->relay), &(HttpRequestOptions) {
                        .method = "POST",
                        .url = t->url,
                        .headers = headers,
                        .body = t->body,
                        .body_len = strlen(t->body),
                        .timeout_ms = (long) c->timeout_ms,
                        .retry = &once,
                        .ca_file = c->ca_file,
                        .cb = on_token_answer,
                        .userdata = t,
                }, &t->http);
        if (r < 0) {
                t->http = NULL;
                fail.r = r;
                on_token_answer(&fail, t);
        }
}

/* Goes on with a valid token: the cached one, or after the (shared) fetch. */
static void up_token_acquire(Up *up)
{
        Mg *mg = up->mg;
        Token *t = mg->token;

        if (t->access_token && uv_now(relay_loop(mg->relay)) < t->expires_at) {
                up_have_token(up);
                return;
        }
        token_drop(t);
        up->state = UP_TOKEN_WAIT;
        list_add(&t->waiters, up);
        if (!t->http)
                token_fetch(t, mg->call);
}

/* Starts a call for slots lo .. lo + n - 1 (n == 0: the health check),
 * whose first observable in input order is first. */
static void up_start(Mg *mg, size_t lo, size_t n, size_t first, MsgraphCall call, const char *path, char *body)
{
        Up *up = xnew(Up, 1);

        up->mg = mg;
        up->lo = lo;
        up->n = n;
        up->first = first;
        up->call = call;
        /* the paths of msgraph_map.h begin with '/', the base URL ends with one */
        up->url = xasprintf("%s%s", relay_conf(mg->relay)->url, path[0] == '/' ? path + 1 : path);
        up->body = body;
        mg->pending++;
        mg->ups = xreallocarray(mg->ups, mg->n_ups + 1, sizeof(Up *));
        mg->ups[mg->n_ups++] = up;
        /* a cached answer needs neither a token nor a connection slot */
        if (n > 0 && relay_cache_enabled(mg->relay)) {
                _cleanup_free_ char *key = cache_key(up), *cred = cache_cred(mg);
                const char *cached;
                size_t len;
                bool hit = relay_cache_get(mg->relay, cred, key, &cached, &len);
                explicit_bzero(cred, strlen(cred));
                if (hit) {
                        up_take(up, &(HttpResponse) { .status = 200, .body = cached, .body_len = len, .error = "" },
                                true);
                        return;
                }
        }
        up_token_acquire(up);
}

/* ---- the relay ops ------------------------------------------------------------------------ */

static JwtError check_claims(const cJSON *claims)
{
        /* upstream checks the three keys are there (§4.2 step 6); we need them as text */
        static const char *const keys[] = { "application_id", "tenant_id", "client_secret" };

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (!cJSON_IsString(ctim_json_get(claims, keys[i])))
                        return JWT_ERR_PAYLOAD_STRUCTURE;
        return JWT_OK;
}

static size_t supported(const cJSON *observables)
{
        const cJSON *o;
        size_t n = 0;

        cJSON_ArrayForEach(o, observables)
                if (msgraph_observable_from_string(ctim_json_get(o, "type")->valuestring) >= 0)
                        n++;
        return n;
}

/* The slot of the lookup (type, value): an earlier equal one's in hunting
 * mode (one query leg serves every copy), a new one otherwise. */
static size_t slot_of(Mg *mg, MsgraphObservable t, const char *v)
{
        if (mg->api != MSGRAPH_API_LEGACY)
                for (size_t i = 0; i < mg->n_items; i++)
                        if (mg->items[i].type == t && strcmp(mg->items[i].value, v) == 0)
                                return i;
        mg->items[mg->n_items] = (MsgraphHuntingItem) { .type = t, .value = v };
        return mg->n_items++;
}

/* Whether the legacy filter can hold the value. */
static int legacy_check(MsgraphObservable t, const char *v)
{
        char *f = NULL;
        int r = msgraph_legacy_filter(t, v, &f);

        free(f);
        return r;
}

/* The first observable, in input order, that slot answers. */
static size_t first_of_slot(const Mg *mg, size_t slot)
{
        for (size_t i = 0; i < mg->n_obs; i++)
                if (mg->obs[i].slot == slot)
                        return i;
        return NO_SLOT;
}

static void start_observe(Mg *mg)
{
        const RelayConf *c = relay_conf(mg->relay);
        int64_t limit = relay_call_limit(mg->call);
        size_t n = supported(relay_call_observables(mg->call)), calls = 0;
        const cJSON *o;

        mg->obs = xnew(Obs, n + 1);
        mg->items = xnew(MsgraphHuntingItem, n + 1);
        mg->failed_first = NO_SLOT;
        /* §7.1: exact type names, input order; a repeated observable gets sightings of its own */
        cJSON_ArrayForEach(o, relay_call_observables(mg->call)) {
                MsgraphObservable t = msgraph_observable_from_string(ctim_json_get(o, "type")->valuestring);
                const char *v = ctim_json_get(o, "value")->valuestring;
                int r;

                if (t < 0)
                        continue;
                r = mg->api == MSGRAPH_API_LEGACY ? legacy_check(t, v) : msgraph_hunting_check(t, v);
                mg->obs[mg->n_obs++] = (Obs) { .type = t, .value = v, .slot = r < 0 ? NO_SLOT : slot_of(mg, t, v) };
                /* a value no query can hold (control characters, not UTF-8) matches nothing */
                if (r < 0)
                        log_debug("relay %s: %s observable skipped: %s", relay_name(mg->relay),
                                  msgraph_observable_to_string(t), strerror(-r));
        }

        if (mg->api == MSGRAPH_API_LEGACY) {
                /* one GET per observable, as the original */
                for (size_t s = 0; s < mg->n_items && mg->failed_first == NO_SLOT; s++) {
                        char *path = NULL;

                        if (msgraph_legacy_alerts_path(mg->items[s].type, mg->items[s].value, limit, &path) < 0)
                                continue;       /* checked above */
                        up_start(mg, s, 1, first_of_slot(mg, s), MSGRAPH_CALL_ALERTS, path, NULL);
                        free(path);
                        calls++;
                }
        } else {
                /* as many observables per query as msgraph_hunting_batch() allows: one query for a
                 * usual request */
                for (size_t lo = 0, k; lo < mg->n_items; lo += k) {
                        size_t first = first_of_slot(mg, lo);
                        char *body = NULL;

                        k = msgraph_hunting_batch(mg->items + lo, mg->n_items - lo, limit);
                        /* a call that failed at once ended the answer before these */
                        if (mg->failed_first != NO_SLOT && first > mg->failed_first)
                                break;
                        if (msgraph_hunting_body(mg->items + lo, k, limit, c->timespan, &body) < 0) {
                                /* the values are checked and the timespan by the configuration */
                                log_debug("relay %s: cannot build a hunting query, %zu observable(s) skipped",
                                          relay_name(mg->relay), k);
                                continue;
                        }
                        up_start(mg, lo, k, first, MSGRAPH_CALL_HUNTING, MSGRAPH_HUNTING_PATH, body);
                        calls++;
                }
        }
        log_debug("relay %s: %zu observable(s), %zu lookup(s), %zu Graph call(s)", relay_name(mg->relay), mg->n_obs,
                  mg->n_items, calls);
}

static void start(RelayCall *c, RelayRoute route)
{
        Mg *mg = xnew(Mg, 1);
        const cJSON *claims = relay_call_claims(c);
        Priv *p;

        mg->call = c;
        mg->relay = relay_call_relay(c);
        mg->route = route;
        mg->api = (MsgraphApi) relay_conf(mg->relay)->api;
        p = priv_of(mg);
        p->relay = mg->relay;
        relay_call_set_data(c, mg);
        mg->token = token_lookup(p, ctim_json_get(claims, "tenant_id")->valuestring,
                                 ctim_json_get(claims, "application_id")->valuestring,
                                 ctim_json_get(claims, "client_secret")->valuestring);

        /* one reference held while the calls start, so none completes the request early */
        mg->pending++;
        if (route == RELAY_ROUTE_HEALTH) {
                if (mg->api == MSGRAPH_API_LEGACY)
                        up_start(mg, 0, 0, NO_SLOT, MSGRAPH_CALL_HEALTH, MSGRAPH_LEGACY_HEALTH_PATH, NULL);
                else
                        up_start(mg, 0, 0, NO_SLOT, MSGRAPH_CALL_HUNTING, MSGRAPH_HUNTING_PATH,
                                 xstrdup(MSGRAPH_HUNTING_HEALTH_BODY));
        } else
                start_observe(mg);
        mg_unref(mg);
}

static void cancel(RelayCall *c)
{
        Mg *mg = relay_call_get_data(c);
        Up **ups;
        size_t n;

        if (!mg || mg->cancelled)
                return;
        mg->cancelled = true;
        mg->pending++;
        /* up_finish() edits mg->ups: work on a copy */
        n = mg->n_ups;
        ups = xnew(Up *, n ? n : 1);
        memcpy(ups, mg->ups, n * sizeof(Up *));
        for (size_t i = 0; i < n; i++) {
                Up *up = ups[i];
                switch (up->state) {
                case UP_TOKEN_WAIT:
                        list_remove(&mg->token->waiters, up);
                        up_finish(up);
                        break;
                case UP_QUEUED:
                        up_finish(up);          /* takes it out of the relay's queue */
                        break;
                case UP_SENT:
                        if (up->http)
                                (void) http_request_cancel(up->http);
                        break;
                case UP_IDLE:
                        break;
                }
        }
        free(ups);
        mg_unref(mg);
}

static int init(Relay *r)
{
        Priv *p = relay_priv(r);

        p->relay = r;
        return 0;
}

static void done(Relay *r)
{
        Priv *p = relay_priv(r);

        for (size_t i = 0; i < p->n_tokens; i++) {
                Token *t = p->tokens[i];
                if (t->http) {
                        /* its callback still runs (now or at the HTTP client's shutdown) and frees it */
                        t->priv = NULL;
                        (void) http_request_cancel(t->http);
                } else
                        token_free(t);
        }
        free(p->tokens);
        log_debug("relay %s: %" PRIu64 " token fetch(es)", relay_name(r), p->token_fetches);
}

const RelayOps msgraph_relay_ops = {
        .type = "msgraph",
        .version = MSGRAPH_RELAY_VERSION,
        .strict_slashes = true,
        .auth_when_unsupported = true,
        .payload_error_suffix = NULL,
        .priv_size = sizeof(Priv),
        .init = init,
        .done = done,
        .check_claims = check_claims,
        .supported = supported,
        .start = start,
        .cancel = cancel,
};
