/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <uv.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/conf.h"
#include "daemon/http.h"
#include "daemon/httpd.h"
#include "daemon/jwks.h"
#include "daemon/jwt.h"
#include "relays/ctim.h"
#include "relays/msgraph.h"
#include "relays/relay.h"
#include "relays/relay_metrics.h"
#include "relays/response_cache.h"
#include "relays/spycloud.h"

#define DEFAULT_LISTEN "127.0.0.1:9090"
/* XDR signs a token once and sends it for minutes: remember a verified
 * signature for at most 10 minutes (exp is checked every time anyway) */
#define RELAY_SIG_CACHE_SLOTS 1024
#define RELAY_SIG_CACHE_TTL_SEC 600

struct Relay {
        RelaySet *set;
        const RelayConf *conf;
        const RelayOps *ops;
        JwksCache *jwks;
        JwtSigCache *sigs;              /* RS256 signatures already verified */
        void *priv;
        size_t *listeners;              /* indexes into the server's listeners */
        size_t n_listeners;
        RelayMetrics metrics;
        ResponseCache *cache;           /* NULL: cache_ttl not set */
        unsigned slots_held;            /* upstream calls in flight (max_connections) */
        RelaySlot *slots_head, *slots_tail;     /* calls waiting for one */
};

struct RelaySet {
        uv_loop_t *loop;
        HttpClient *http;
        Httpd *httpd;
        Relay *relays;
        size_t n_relays;
        unsigned live_calls;
        unsigned caches_open;
        bool httpd_down;
        bool shutting_down;
        void (*cb)(void *userdata);
        void *userdata;
};

typedef enum CallStage {
        STAGE_AUTH,
        STAGE_RELAY,
} CallStage;

struct RelayCall {
        Relay *relay;
        HttpdRequest *req;
        RelayRoute route;
        CallStage stage;
        JwtToken *token;
        JwksLookup *lookup;
        char *audience;
        cJSON *claims;
        cJSON *observables;
        int64_t limit;
        void *data;
        bool gone;
        uint64_t started_ns;            /* uv_hrtime() at arrival */
};

static const RelayOps *ops_of(RelayType t)
{
        switch (t) {
        case RELAY_SPYCLOUD:
                return &spycloud_relay_ops;
        case RELAY_MSGRAPH:
                return &msgraph_relay_ops;
        default:
                return NULL;
        }
}

/* ---- accessors ------------------------------------------------------------------- */

void *relay_priv(Relay *r)
{
        return r->priv;
}

const RelayConf *relay_conf(const Relay *r)
{
        return r->conf;
}

const char *relay_name(const Relay *r)
{
        return r->conf->name;
}

HttpClient *relay_http(const Relay *r)
{
        return r->set->http;
}

uv_loop_t *relay_loop(const Relay *r)
{
        return r->set->loop;
}

Relay *relay_call_relay(RelayCall *c)
{
        return c->relay;
}

const cJSON *relay_call_claims(const RelayCall *c)
{
        return c->claims;
}

int64_t relay_call_limit(const RelayCall *c)
{
        return c->limit;
}

const cJSON *relay_call_observables(const RelayCall *c)
{
        return c->observables;
}

void relay_call_set_data(RelayCall *c, void *data)
{
        c->data = data;
}

void *relay_call_get_data(const RelayCall *c)
{
        return c->data;
}

bool relay_call_is_gone(const RelayCall *c)
{
        return c->gone;
}

/* ---- answers ---------------------------------------------------------------------- */

static void maybe_finish_shutdown(RelaySet *s);

static void respond_json(HttpdRequest *req, unsigned status, const cJSON *body)
{
        char *text = NULL;
        size_t len = 0;

        if (!body || ctim_json_print(body, CTIM_JSON_NEWLINE, &text, &len) < 0) {
                (void) httpd_respond_error(req, 500, NULL);
                return;
        }
        (void) httpd_respond_owned(req, status, "application/json", text, len, NULL);
}

static cJSON *tr_error(const char *code, const char *message)
{
        cJSON *errors = cJSON_CreateArray();

        cJSON_AddItemToArray(errors, ctim_error_new(CTIM_ERROR_FATAL, code, message));
        return ctim_response_new(NULL, errors);
}

static void call_free(RelayCall *c)
{
        RelaySet *s = c->relay->set;

        jwt_token_free(c->token);
        jwt_claims_free(c->claims);
        cJSON_Delete(c->observables);
        free(c->audience);
        free(c);
        s->live_calls--;
        maybe_finish_shutdown(s);
}

void relay_call_finish(RelayCall *c, cJSON *body, bool error)
{
        relay_metrics_note(&c->relay->metrics,
                           c->route == RELAY_ROUTE_OBSERVE ? RM_ROUTE_OBSERVE : RM_ROUTE_HEALTH,
                           c->gone ? RM_OUTCOME_CANCELLED : error || !body ? RM_OUTCOME_TR_ERROR : RM_OUTCOME_OK,
                           (uv_hrtime() - c->started_ns) / 1000);
        respond_json(c->req, 200, body);
        cJSON_Delete(body);
        call_free(c);
}

void relay_call_fail(RelayCall *c, const char *code, const char *message)
{
        relay_call_finish(c, tr_error(code, message), true);
}

void relay_note_upstream(Relay *r, bool failed)
{
        relay_metrics_upstream(&r->metrics, failed);
}

void relay_slot_acquire(Relay *r, RelaySlot *s, void (*start)(RelaySlot *s))
{
        s->start = start;
        if (r->slots_held < (unsigned) r->conf->max_connections) {
                r->slots_held++;
                s->held = true;
                start(s);
                return;
        }
        s->queued = true;
        s->next = NULL;
        s->prev = r->slots_tail;
        if (r->slots_tail)
                r->slots_tail->next = s;
        else
                r->slots_head = s;
        r->slots_tail = s;
}

void relay_slot_release(Relay *r, RelaySlot *s)
{
        if (s->queued) {
                if (s->prev)
                        s->prev->next = s->next;
                else
                        r->slots_head = s->next;
                if (s->next)
                        s->next->prev = s->prev;
                else
                        r->slots_tail = s->prev;
                s->prev = s->next = NULL;
                s->queued = false;
                return;
        }
        if (!s->held)
                return;
        s->held = false;
        r->slots_held--;
        while (r->slots_head && r->slots_held < (unsigned) r->conf->max_connections) {
                RelaySlot *next = r->slots_head;

                relay_slot_release(r, next);    /* out of the queue */
                r->slots_held++;
                next->held = true;
                next->start(next);
        }
}

bool relay_cache_enabled(const Relay *r)
{
        return r->cache != NULL;
}

bool relay_cache_get(Relay *r, const char *cred, const char *key, const char **ret_body, size_t *ret_len)
{
        bool hit;

        if (!r->cache)
                return false;
        hit = response_cache_get(r->cache, cred, key, uv_now(r->set->loop), ret_body, ret_len);
        if (hit)
                r->metrics.cache_hits++;
        else
                r->metrics.cache_misses++;
        return hit;
}

void relay_cache_put(Relay *r, const char *cred, const char *key, const char *body, size_t len)
{
        if (r->cache)
                response_cache_put(r->cache, cred, key, body, len, uv_now(r->set->loop));
}

/* GET /metrics on every relay listener: Prometheus text. */
static void on_metrics(HttpdRequest *req, void *userdata)
{
        RelaySet *s = userdata;
        RelayMetricsView *v = xnew(RelayMetricsView, s->n_relays ? s->n_relays : 1);
        RelayServerView sv = { 0 };
        HttpdStats hs;
        char *text;

        for (size_t i = 0; i < s->n_relays; i++) {
                const Relay *rl = &s->relays[i];
                JwksStats js = { 0 };
                uint64_t sig_hits, sig_misses;

                if (rl->jwks)
                        jwks_cache_get_stats(rl->jwks, &js);
                jwt_sig_cache_stats(rl->sigs, &sig_hits, &sig_misses);
                v[i] = (RelayMetricsView) {
                        .name = rl->conf->name,
                        .type = relay_type_to_string(rl->conf->type),
                        .m = &rl->metrics,
                        .jwks_fetches = js.fetches,
                        .jwks_fetch_failures = js.fetch_failures,
                        .jwks_hits = js.hits,
                        .sig_cache_hits = sig_hits,
                        .sig_verifications = sig_misses,
                };
        }
        httpd_stats(s->httpd, &hs);
        sv = (RelayServerView) {
                .connections = hs.connections, .active_connections = hs.active_connections,
                .active_requests = hs.active_requests, .requests = hs.requests,
                .bytes_in = hs.bytes_in, .bytes_out = hs.bytes_out,
        };
        text = relay_metrics_render(v, s->n_relays, &sv);
        (void) httpd_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text), NULL);
        free(text);
        free(v);
}

/* ---- body validation (§2.6) --------------------------------------------------------- */

/* json.dumps with its default separators, ensure_ascii. */
static void py_dumps_string(FILE *f, const char *s)
{
        cJSON *str = cJSON_CreateString(s);
        _cleanup_free_ char *text = NULL;

        if (str && ctim_json_print(str, 0, &text, NULL) == 0)
                fputs(text, f);
        else
                fputs("\"\"", f);
        cJSON_Delete(str);
}

typedef struct FieldErrors {
        const char *name;
        const char *message;
} FieldErrors;

int relay_observables_validate(const char *body, size_t len, cJSON **ret, char **ret_message)
{
        /* body is NUL-terminated: the NUL must end the document (none inside) */
        cJSON *list = cJSON_ParseWithLengthOpts(body, len + 1, NULL, true);
        _cleanup_free_ char *text = NULL;
        size_t text_len = 0, n_bad = 0;
        FILE *f = NULL;
        int i = 0;
        cJSON *e;

        if (!cJSON_IsArray(list)) {
                cJSON_Delete(list);
                *ret_message = xstrdup("Invalid JSON payload received. {\"_schema\": [\"Invalid input type.\"]}");
                return -EINVAL;
        }
        cJSON_ArrayForEach(e, list) {
                FieldErrors errs[64];
                size_t n = 0;

                if (!cJSON_IsObject(e))
                        errs[n++] = (FieldErrors) { "_schema", "Invalid input type." };
                else {
                        /* marshmallow's order: the declared fields (value, type), then unknown ones */
                        static const char *const fields[] = { "value", "type" };
                        cJSON *m;

                        for (size_t k = 0; k < 2; k++) {
                                const cJSON *v = ctim_json_get(e, fields[k]);
                                if (!v)
                                        errs[n++] = (FieldErrors) { fields[k], "Missing data for required field." };
                                else if (cJSON_IsNull(v))
                                        errs[n++] = (FieldErrors) { fields[k], "Field may not be null." };
                                else if (!cJSON_IsString(v))
                                        errs[n++] = (FieldErrors) { fields[k], "Not a valid string." };
                                else if (!v->valuestring[0])
                                        errs[n++] = (FieldErrors) { fields[k], "Field may not be blank." };
                        }
                        cJSON_ArrayForEach(m, e) {
                                bool seen = false;
                                if (!strcmp(m->string, "type") || !strcmp(m->string, "value"))
                                        continue;
                                for (size_t k = 0; k < n; k++)
                                        seen = seen || !strcmp(errs[k].name, m->string);
                                if (!seen && n < sizeof(errs) / sizeof(errs[0]))
                                        errs[n++] = (FieldErrors) { m->string, "Unknown field." };
                        }
                }
                if (n > 0) {
                        /* the message only when needed: the valid case is the hot one */
                        if (!f) {
                                f = open_memstream(&text, &text_len);
                                if (!f)
                                        abort();
                                fputs("Invalid JSON payload received. {", f);
                        }
                        fprintf(f, "%s\"%d\": {", n_bad ? ", " : "", i);
                        for (size_t k = 0; k < n; k++) {
                                if (k)
                                        fputs(", ", f);
                                py_dumps_string(f, errs[k].name);
                                fprintf(f, ": [\"%s\"]", errs[k].message);
                        }
                        fputc('}', f);
                        n_bad++;
                }
                i++;
        }
        if (f) {
                fputc('}', f);
                fclose(f);
                cJSON_Delete(list);
                *ret_message = text;
                text = NULL;
                return -EINVAL;
        }
        *ret = list;
        return 0;
}

/* ---- auth (§4) -------------------------------------------------------------------------- */

static void call_start_relay(RelayCall *c);

static void auth_fail(RelayCall *c, JwtError e)
{
        JwtAlg mode = c->relay->conf->auth == RELAY_AUTH_HS256 ? JWT_ALG_HS256 : JWT_ALG_RS256;
        const char *m = jwt_error_tr_message(e, mode);

        log_debug("relay %s: authorization failed: %s", c->relay->conf->name, jwt_error_to_string(e));
        relay_call_fail(c, JWT_TR_CODE, m ? m : "Authorization failed: Wrong JWT structure");
}

static void auth_verified(RelayCall *c)
{
        JwtError e;

        c->claims = jwt_token_take_claims(c->token);
        c->token = jwt_token_free(c->token);
        e = c->relay->ops->check_claims(c->claims);
        if (e != JWT_OK) {
                auth_fail(c, e);
                return;
        }
        c->limit = ctim_entities_limit(ctim_json_get(c->claims, "CTR_ENTITIES_LIMIT"));
        call_start_relay(c);
}

static void auth_with_key(RelayCall *c, EVP_PKEY *key)
{
        const char *auds[] = { c->audience, NULL };
        JwtError e = JWT_OK;

        if (jwt_verify(c->token, &(JwtVerifyOptions) {
                        .alg = JWT_ALG_RS256,
                        .key = key,
                        .audiences = auds,
                        .now = time(NULL),
                        .leeway_sec = JWT_DEFAULT_LEEWAY_SEC,
                        .sig_cache = c->relay->sigs,
                }, &e) < 0) {
                auth_fail(c, e);
                return;
        }
        auth_verified(c);
}

static void on_jwks_key(int r, EVP_PKEY *key, JwtError error, void *userdata)
{
        RelayCall *c = userdata;

        c->lookup = NULL;
        if (r == -ECANCELED || c->gone) {
                relay_call_finish(c, tr_error(CTIM_CODE_UNKNOWN, "cancelled"), false);
                return;
        }
        if (r < 0) {
                auth_fail(c, error != JWT_OK ? error : JWT_ERR_JWKS_FETCH_FAILED);
                return;
        }
        auth_with_key(c, key);
}

static void call_auth(RelayCall *c)
{
        const RelayConf *conf = c->relay->conf;
        JwtAlg mode = conf->auth == RELAY_AUTH_HS256 ? JWT_ALG_HS256 : JWT_ALG_RS256;
        JwtError e = JWT_OK;
        EVP_PKEY *key = NULL;
        int r;

        c->stage = STAGE_AUTH;
        if (jwt_prepare_cached(mode == JWT_ALG_RS256 ? c->relay->sigs : NULL,
                               httpd_request_header(c->req, "Authorization"), mode, &c->token, &e) < 0) {
                auth_fail(c, e);
                return;
        }
        if (mode == JWT_ALG_HS256) {
                /* the legacy scheme (§4.4): no aud, no jwks_host */
                if (jwt_verify(c->token, &(JwtVerifyOptions) {
                                .alg = JWT_ALG_HS256,
                                .secret = conf->hs256_secret.value,
                                .secret_len = conf->hs256_secret.value ? strlen(conf->hs256_secret.value) : 0,
                                .now = time(NULL),
                                .leeway_sec = JWT_DEFAULT_LEEWAY_SEC,
                        }, &e) < 0) {
                        auth_fail(c, e);
                        return;
                }
                auth_verified(c);
                return;
        }
        if (conf->public_url)
                c->audience = xstrdup(conf->public_url);
        else {
                const char *host = httpd_request_header(c->req, "Host");
                c->audience = xasprintf("http://%s", host ? host : "");
        }
        r = jwks_get_cached(c->relay->jwks, jwt_token_jwks_host(c->token), jwt_token_kid(c->token), &key, &e);
        if (r == 0) {
                auth_with_key(c, key);
                return;
        }
        if (r != -ENOKEY) {
                auth_fail(c, e != JWT_OK ? e : JWT_ERR_JWKS_FETCH_FAILED);
                return;
        }
        r = jwks_get_key(c->relay->jwks, jwt_token_jwks_host(c->token), jwt_token_kid(c->token), on_jwks_key, c,
                         &c->lookup);
        if (r < 0)
                relay_call_fail(c, CTIM_CODE_UNKNOWN, "Something went wrong.");
}

static void call_start_relay(RelayCall *c)
{
        c->stage = STAGE_RELAY;
        c->relay->ops->start(c, c->route);
}

static void on_cancel(HttpdRequest *req, void *userdata)
{
        RelayCall *c = userdata;

        (void) req;
        c->gone = true;
        if (c->stage == STAGE_AUTH && c->lookup)
                (void) jwks_lookup_cancel(c->lookup);
        else if (c->stage == STAGE_RELAY && c->relay->ops->cancel)
                c->relay->ops->cancel(c);
}

/* ---- routes -------------------------------------------------------------------------- */

static void respond_405(HttpdRequest *req, const char *allow)
{
        _cleanup_free_ char *h = xasprintf("Allow: %s", allow);
        const char *headers[] = { h, NULL };

        (void) httpd_respond_error(req, 405, headers);
}

static void on_request(HttpdRequest *req, void *userdata)
{
        Relay *r = userdata;
        const char *method = httpd_request_method(req);
        _cleanup_free_ char *path = xstrdup(httpd_request_path(req));
        size_t l = strlen(path);
        bool post = !strcmp(method, "POST");
        RelayCall *c;
        RelayRoute route;

        if (!r->ops->strict_slashes && l > 1 && path[l - 1] == '/')
                path[l - 1] = '\0';

        if (!strcmp(path, "/version")) {
                cJSON *v;
                if (!post) {
                        relay_metrics_note(&r->metrics, RM_ROUTE_OTHER, RM_OUTCOME_HTTP_ERROR, 0);
                        respond_405(req, "POST, OPTIONS");
                        return;
                }
                relay_metrics_note(&r->metrics, RM_ROUTE_VERSION, RM_OUTCOME_OK, 0);
                v = cJSON_CreateObject();
                cJSON_AddStringToObject(v, "version", r->ops->version);
                respond_json(req, 200, v);
                cJSON_Delete(v);
                return;
        }
        if (!strcmp(path, "/watchdog")) {
                const char *hc;
                cJSON *v;
                if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
                        relay_metrics_note(&r->metrics, RM_ROUTE_OTHER, RM_OUTCOME_HTTP_ERROR, 0);
                        respond_405(req, "GET, HEAD, OPTIONS");
                        return;
                }
                hc = httpd_request_header(req, "Health-Check");
                if (hc) {
                        v = cJSON_CreateObject();
                        cJSON_AddStringToObject(v, "data", hc);
                } else
                        v = tr_error(CTIM_CODE_HEALTH_CHECK, "Invalid Health Check");
                relay_metrics_note(&r->metrics, RM_ROUTE_WATCHDOG, hc ? RM_OUTCOME_OK : RM_OUTCOME_TR_ERROR, 0);
                respond_json(req, 200, v);
                cJSON_Delete(v);
                return;
        }
        if (!strcmp(path, "/health"))
                route = RELAY_ROUTE_HEALTH;
        else if (!strcmp(path, "/observe/observables"))
                route = RELAY_ROUTE_OBSERVE;
        else {
                relay_metrics_note(&r->metrics, RM_ROUTE_OTHER, RM_OUTCOME_HTTP_ERROR, 0);
                (void) httpd_respond_error(req, 404, NULL);
                return;
        }
        if (!post) {
                relay_metrics_note(&r->metrics, RM_ROUTE_OTHER, RM_OUTCOME_HTTP_ERROR, 0);
                respond_405(req, "POST, OPTIONS");
                return;
        }

        c = xnew(RelayCall, 1);
        c->relay = r;
        c->req = req;
        c->route = route;
        c->limit = CTIM_ENTITIES_LIMIT_DEFAULT;
        c->started_ns = uv_hrtime();
        r->set->live_calls++;
        httpd_request_set_cancel(req, on_cancel, c);

        if (route == RELAY_ROUTE_OBSERVE) {
                _cleanup_free_ char *msg = NULL;
                size_t len;
                const char *body = httpd_request_body(req, &len);

                if (relay_observables_validate(body, len, &c->observables, &msg) < 0) {
                        _cleanup_free_ char *full = xasprintf("%s%s", msg, r->ops->payload_error_suffix ?
                                                              r->ops->payload_error_suffix : "");
                        relay_call_fail(c, CTIM_CODE_INVALID_ARGUMENT, full);
                        return;
                }
                if (!r->ops->auth_when_unsupported && r->ops->supported(c->observables) == 0) {
                        cJSON *v = cJSON_CreateObject();
                        cJSON_AddItemToObject(v, "data", cJSON_CreateObject());
                        relay_call_finish(c, v, false);
                        return;
                }
        }
        call_auth(c);
}

/* ---- the set --------------------------------------------------------------------------- */

static int add_listener(char ***v, const char *addr)
{
        *v = strv_push(*v, addr);
        return (int) strv_length(*v) - 1;
}

int relay_set_start(uv_loop_t *loop, HttpClient *http, const Config *cfg, RelaySet **ret)
{
        char **owned = NULL;
        size_t n_shared = 0;
        bool any_shared = false;
        RelaySet *s;
        int r;

        *ret = NULL;
        if (cfg->n_relays == 0)
                return 0;

        s = xnew(RelaySet, 1);
        s->loop = loop;
        s->http = http;
        s->relays = xnew(Relay, cfg->n_relays);

        for (size_t i = 0; i < cfg->n_relays; i++)
                any_shared = any_shared || !cfg->relays[i].listen;
        if (any_shared) {
                if (cfg->relay_server.listen)
                        for (size_t i = 0; cfg->relay_server.listen[i]; i++)
                                (void) add_listener(&owned, cfg->relay_server.listen[i]);
                else
                        (void) add_listener(&owned, DEFAULT_LISTEN);
                n_shared = strv_length(owned);
        }
        for (size_t i = 0; i < cfg->n_relays; i++) {
                const RelayConf *rc = &cfg->relays[i];
                Relay *rl = &s->relays[i];

                rl->set = s;
                rl->conf = rc;
                rl->ops = ops_of(rc->type);
                if (rc->listen) {
                        for (size_t j = 0; rc->listen[j]; j++) {
                                rl->listeners = xreallocarray(rl->listeners, rl->n_listeners + 1, sizeof(size_t));
                                rl->listeners[rl->n_listeners++] = (size_t) add_listener(&owned, rc->listen[j]);
                        }
                } else {
                        rl->listeners = xnew(size_t, n_shared);
                        for (size_t j = 0; j < n_shared; j++)
                                rl->listeners[rl->n_listeners++] = j;
                }
        }
        s->n_relays = cfg->n_relays;

        r = httpd_new(loop, &(HttpdOptions) {
                        .listen = (const char *const *) owned,
                        .max_body_size = (size_t) cfg->relay_server.max_body,
                        .max_header_bytes = (size_t) cfg->relay_server.max_header_bytes,
                        .max_connections = (unsigned) cfg->relay_server.max_connections,
                        .idle_timeout_s = (unsigned) cfg->relay_server.idle_timeout,
                }, &s->httpd);
        strv_free(owned);
        if (r < 0) {
                log_error_errno(r, "relays: cannot start the HTTP server: %s", strerror(-r));
                goto fail;
        }

        for (size_t i = 0; i < s->n_relays; i++) {
                Relay *rl = &s->relays[i];
                const RelayConf *rc = rl->conf;
                const char *why = NULL;

                if (!rl->ops) {
                        r = -EINVAL;
                        log_error("relay %s: unsupported type", rc->name);
                        goto fail;
                }
                r = jwks_cache_new(loop, http, &(JwksOptions) {
                                .allowed_hosts = (const char *const *) rc->jwks_allowed_hosts,
                                .url_template = rc->jwks_url_template,
                                .ca_file = rc->jwks_ca_file,
                                .timeout_ms = (long) rc->jwks_timeout_ms,
                        }, &rl->jwks, &why);
                if (r < 0) {
                        log_error_errno(r, "relay %s: JWKS cache: %s", rc->name, why ? why : strerror(-r));
                        goto fail;
                }
                s->caches_open++;
                rl->sigs = jwt_sig_cache_new(RELAY_SIG_CACHE_SLOTS, RELAY_SIG_CACHE_TTL_SEC);
                if (rc->cache_ttl_ms)
                        rl->cache = response_cache_new((size_t) rc->cache_max, rc->cache_ttl_ms);
                rl->priv = rl->ops->priv_size ? xcalloc(1, rl->ops->priv_size) : NULL;
                if (rl->ops->init) {
                        r = rl->ops->init(rl);
                        if (r < 0) {
                                log_error_errno(r, "relay %s: cannot start: %s", rc->name, strerror(-r));
                                goto fail;
                        }
                }
                for (size_t j = 0; j < rl->n_listeners; j++) {
                        r = httpd_add_mount(s->httpd, &(HttpdMount) {
                                        .prefix = rc->mount,
                                        .listener = (int) rl->listeners[j],
                                        .cb = on_request,
                                        .userdata = rl,
                                });
                        if (r < 0) {
                                log_error_errno(r, "relay %s: cannot mount \"%s\" on %s: %s", rc->name, rc->mount,
                                                httpd_listener_name(s->httpd, rl->listeners[j]), strerror(-r));
                                goto fail;
                        }
                }
                for (size_t j = 0; j < rl->n_listeners; j++)
                        log_info("relay %s (%s): serving %s on http://%s", rc->name, rl->ops->type, rc->mount,
                                 httpd_listener_name(s->httpd, rl->listeners[j]));
        }
        if (cfg->relay_server.metrics) {
                r = httpd_add_mount(s->httpd, &(HttpdMount) {
                                .prefix = "/metrics",
                                .listener = HTTPD_ALL_LISTENERS,
                                .methods = "GET, HEAD",
                                .cb = on_metrics,
                                .userdata = s,
                        });
                if (r < 0) {
                        log_error_errno(r, "relays: cannot serve /metrics: %s", strerror(-r));
                        goto fail;
                }
        }
        *ret = s;
        return 0;
fail:
        /* the caller stops the daemon, which shuts the set down */
        *ret = s;
        return r;
}

static void free_set(RelaySet *s)
{
        void (*cb)(void *) = s->cb;
        void *userdata = s->userdata;

        for (size_t i = 0; i < s->n_relays; i++) {
                Relay *rl = &s->relays[i];
                if (rl->ops && rl->ops->done && rl->priv)
                        rl->ops->done(rl);
                free(rl->priv);
                free(rl->listeners);
                response_cache_free(rl->cache);
                jwt_sig_cache_free(rl->sigs);
        }
        free(s->relays);
        free(s);
        if (cb)
                cb(userdata);
}

static void on_cache_down(void *userdata)
{
        RelaySet *s = userdata;

        if (--s->caches_open == 0)
                free_set(s);
}

static void maybe_finish_shutdown(RelaySet *s)
{
        if (!s->shutting_down || !s->httpd_down || s->live_calls > 0)
                return;
        if (s->caches_open == 0) {
                free_set(s);
                return;
        }
        s->httpd_down = false;  /* once */
        for (size_t i = 0; i < s->n_relays; i++)
                if (s->relays[i].jwks)
                        (void) jwks_cache_shutdown(s->relays[i].jwks, on_cache_down, s);
}

static void on_httpd_down(void *userdata)
{
        RelaySet *s = userdata;

        s->httpd = NULL;
        s->httpd_down = true;
        maybe_finish_shutdown(s);
}

int relay_set_shutdown(RelaySet *s, void (*cb)(void *userdata), void *userdata)
{
        if (!s || s->shutting_down)
                return -EALREADY;
        s->shutting_down = true;
        s->cb = cb;
        s->userdata = userdata;
        if (!s->httpd || httpd_shutdown(s->httpd, on_httpd_down, s) < 0)
                on_httpd_down(s);
        return 0;
}

void relay_set_status(const RelaySet *s, cJSON *array)
{
        for (size_t i = 0; s && i < s->n_relays; i++) {
                const Relay *rl = &s->relays[i];
                cJSON *o = cJSON_CreateObject(), *l;

                cJSON_AddStringToObject(o, "name", rl->conf->name);
                cJSON_AddStringToObject(o, "type", relay_type_to_string(rl->conf->type));
                cJSON_AddStringToObject(o, "mount", rl->conf->mount);
                l = cJSON_AddArrayToObject(o, "listen");
                for (size_t j = 0; s->httpd && j < rl->n_listeners; j++) {
                        const char *n = httpd_listener_name(s->httpd, rl->listeners[j]);
                        if (n)
                                cJSON_AddItemToArray(l, cJSON_CreateString(n));
                }
                cJSON_AddStringToObject(o, "auth", rl->conf->auth == RELAY_AUTH_HS256 ? "hs256" : "rs256");
                cJSON_AddNumberToObject(o, "requests", (double) relay_metrics_requests(&rl->metrics));
                cJSON_AddNumberToObject(o, "errors", (double) relay_metrics_errors(&rl->metrics));
                cJSON_AddNumberToObject(o, "upstream_calls", (double) rl->metrics.upstream_calls);
                cJSON_AddNumberToObject(o, "upstream_errors", (double) rl->metrics.upstream_errors);
                cJSON_AddNumberToObject(o, "cache_hits", (double) rl->metrics.cache_hits);
                if (rl->jwks) {
                        JwksStats js;
                        jwks_cache_get_stats(rl->jwks, &js);
                        cJSON_AddNumberToObject(o, "jwks_fetches", (double) js.fetches);
                }
                cJSON_AddItemToArray(array, o);
        }
}
