/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "daemon/http.h"
#include "relays/ctim.h"
#include "relays/spycloud.h"
#include "relays/spycloud_map.h"

#define RATE_TABLE_PRUNE 1024

/* ---- per-key rate limit (GCRA) ------------------------------------------------------ */

typedef struct RateEntry {
        uint8_t key[32];                /* SHA-256 of the API key: no credential kept */
        double tat_ms;                  /* theoretical arrival time */
} RateEntry;

typedef struct Priv {
        RateEntry *rates;
        size_t n_rates;
} Priv;

static uint64_t now_ms(Relay *r)
{
        return uv_now(relay_loop(r));
}

/* How long the next call with this key waits, reserving its slot. */
static uint64_t rate_delay(Relay *r, const char *key)
{
        const RelayConf *c = relay_conf(r);
        Priv *p = relay_priv(r);
        double now = (double) now_ms(r), interval, tau, allow;
        uint8_t h[32];
        unsigned hl = 0;
        RateEntry *e = NULL;

        if (c->rate_limit <= 0)
                return 0;
        interval = 1000.0 / c->rate_limit;
        tau = interval * (double) (c->rate_burst > 0 ? c->rate_burst - 1 : 0);
        if (!EVP_Digest(key, strlen(key), h, &hl, EVP_sha256(), NULL))
                return 0;
        if (p->n_rates >= RATE_TABLE_PRUNE) {
                size_t k = 0;
                for (size_t i = 0; i < p->n_rates; i++)
                        if (p->rates[i].tat_ms > now)
                                p->rates[k++] = p->rates[i];
                p->n_rates = k;
        }
        for (size_t i = 0; i < p->n_rates && !e; i++)
                if (!memcmp(p->rates[i].key, h, sizeof(h)))
                        e = &p->rates[i];
        if (!e) {
                p->rates = xreallocarray(p->rates, p->n_rates + 1, sizeof(RateEntry));
                e = &p->rates[p->n_rates++];
                memcpy(e->key, h, sizeof(h));
                e->tat_ms = now;
        }
        if (e->tat_ms < now)
                e->tat_ms = now;
        allow = e->tat_ms - tau;
        e->tat_ms += interval;
        return allow > now ? (uint64_t) ceil(allow - now) : 0;
}

/* ---- one request's state ---------------------------------------------------------------- */

typedef enum UpKind {
        UP_HEALTH,
        UP_BREACH,
        UP_CATALOG,
} UpKind;

typedef struct Email {
        char *value;
        SpycloudBreach *breach;
        SpycloudError error;
        bool failed;
} Email;

typedef struct Catalog {
        int64_t id;
        SpycloudError error;
        bool failed;
} Catalog;

typedef struct Sc Sc;

typedef struct Up {
        RelaySlot slot;                 /* first: the slot is the call (max_connections) */
        Sc *sc;
        UpKind kind;
        size_t index;                   /* e-mail or catalog */
        char *url;
        HttpRequest *http;
        uv_timer_t timer;
        bool waiting;                   /* on the rate limit */
        bool from_cache;
} Up;

struct Sc {
        RelayCall *call;
        Relay *relay;
        RelayRoute route;
        char *key;                      /* header value, Latin-1 */
        char *key_header;
        Email *emails;
        size_t n_emails;
        Catalog *catalogs;
        size_t n_catalogs;
        SpycloudCatalogs *answers;
        Up **ups;                       /* in flight */
        size_t n_ups;
        unsigned pending;               /* Up structs not yet freed */
        SpycloudError health_error;
        bool health_failed;
        bool cancelled;
};

static void sc_free(Sc *sc)
{
        for (size_t i = 0; i < sc->n_emails; i++) {
                free(sc->emails[i].value);
                spycloud_breach_free(sc->emails[i].breach);
                spycloud_error_done(&sc->emails[i].error);
        }
        free(sc->emails);
        for (size_t i = 0; i < sc->n_catalogs; i++)
                spycloud_error_done(&sc->catalogs[i].error);
        free(sc->catalogs);
        spycloud_catalogs_free(sc->answers);
        spycloud_error_done(&sc->health_error);
        if (sc->key)
                OPENSSL_cleanse(sc->key, strlen(sc->key));
        if (sc->key_header)
                OPENSSL_cleanse(sc->key_header, strlen(sc->key_header));
        free(sc->key);
        free(sc->key_header);
        free(sc->ups);
        free(sc);
}

static void sc_complete(Sc *sc)
{
        RelayCall *c = sc->call;
        SpycloudResult *res;
        const SpycloudError *fatal = NULL;
        const char *const *notes;
        size_t n_notes;
        cJSON *body;

        if (sc->cancelled) {
                sc_free(sc);
                relay_call_finish(c, cJSON_CreateObject(), false);
                return;
        }
        if (sc->route == RELAY_ROUTE_HEALTH) {
                if (sc->health_failed) {
                        relay_call_fail(c, sc->health_error.code, sc->health_error.message);
                } else {
                        body = cJSON_CreateObject();
                        cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "data"), "status", "ok");
                        relay_call_finish(c, body, false);
                }
                sc_free(sc);
                return;
        }

        res = spycloud_result_new();
        for (size_t i = 0; i < sc->n_emails && !fatal; i++) {
                Email *e = &sc->emails[i];
                const int64_t *ids;
                size_t n;

                if (e->failed) {
                        fatal = &e->error;
                        break;
                }
                n = e->breach ? spycloud_breach_catalog_ids(e->breach, &ids) : 0;
                for (size_t j = 0; j < n && !fatal; j++)
                        for (size_t k = 0; k < sc->n_catalogs; k++)
                                if (sc->catalogs[k].id == ids[j] && sc->catalogs[k].failed)
                                        fatal = &sc->catalogs[k].error;
                if (fatal)
                        break;
                if (e->breach && spycloud_result_add(res, e->value, e->breach, sc->answers, NULL) < 0) {
                        spycloud_result_free(res);
                        relay_call_fail(c, CTIM_CODE_UNKNOWN, "Something went wrong.");
                        sc_free(sc);
                        return;
                }
        }
        n_notes = spycloud_result_notes(res, &notes);
        for (size_t i = 0; i < n_notes; i++)
                log_debug("relay %s: %s", relay_name(sc->relay), notes[i]);
        body = spycloud_result_response(res, fatal);
        log_debug("relay %s: observe: %zu e-mail(s), %zu sighting(s), %zu indicator(s)%s%s",
                  relay_name(sc->relay), sc->n_emails, spycloud_result_sightings(res),
                  spycloud_result_indicators(res), fatal ? ", error: " : "", fatal ? fatal->message : "");
        spycloud_result_free(res);
        relay_call_finish(c, body, fatal != NULL);
        sc_free(sc);
}

/* ---- upstream calls -------------------------------------------------------------------- */

static void up_start_now(Up *up);
static void on_up_answer(const HttpResponse *resp, void *userdata);

static void on_up_closed(uv_handle_t *h)
{
        Up *up = h->data;
        Sc *sc = up->sc;

        free(up->url);
        free(up);
        if (--sc->pending == 0)
                sc_complete(sc);
}

static void up_done(Up *up)
{
        Sc *sc = up->sc;

        for (size_t i = 0; i < sc->n_ups; i++)
                if (sc->ups[i] == up) {
                        sc->ups[i] = sc->ups[--sc->n_ups];
                        break;
                }
        uv_close((uv_handle_t *) &up->timer, on_up_closed);
}

static void on_up_timer(uv_timer_t *t)
{
        Up *up = t->data;

        up->waiting = false;
        up_start_now(up);
}

static void up_start(Sc *sc, UpKind kind, size_t index, char *path)
{
        Up *up = xnew(Up, 1);
        uint64_t delay;

        up->sc = sc;
        up->kind = kind;
        up->index = index;
        up->url = xasprintf("%s%s", relay_conf(sc->relay)->url, path);
        free(path);
        uv_timer_init(relay_loop(sc->relay), &up->timer);
        up->timer.data = up;
        sc->pending++;
        sc->ups = xreallocarray(sc->ups, sc->n_ups + 1, sizeof(Up *));
        sc->ups[sc->n_ups++] = up;

        /* a cached answer costs no rate-limit token and no upstream call */
        if (kind != UP_HEALTH) {
                const char *body;
                size_t len;
                if (relay_cache_get(sc->relay, sc->key, up->url, &body, &len)) {
                        HttpResponse resp = { .status = 200, .body = body, .body_len = len, .error = "" };
                        up->from_cache = true;
                        on_up_answer(&resp, up);
                        return;
                }
        }
        delay = rate_delay(sc->relay, sc->key);
        if (delay > 0) {
                up->waiting = true;
                uv_timer_start(&up->timer, on_up_timer, delay, 0);
                return;
        }
        up_start_now(up);
}

static void set_error(SpycloudError *dst, SpycloudError *src)
{
        spycloud_error_done(dst);
        *dst = *src;
        *src = (SpycloudError) {};
}

/* The answer as JSON (*ret_body, NULL after a 400), or -errno and the TR error. */
static int up_answer(const Up *up, const HttpResponse *resp, cJSON **ret_body, SpycloudError *ret_error)
{
        if (resp->curl_code != 0 || resp->status == 0) {
                if (resp->r == -EKEYREJECTED) {
                        const char *m = resp->error;
                        const char *p = strstr(m, "SSL certificate problem: ");
                        spycloud_error_tls(p ? p + strlen("SSL certificate problem: ") : m, ret_error);
                } else if (resp->r == -EFBIG) {
                        ret_error->code = CTIM_CODE_UNKNOWN;
                        ret_error->message = xstrdup("Unexpected response from Spycloud: the body is too large");
                } else
                        spycloud_error_connect(up->url, ret_error);
                return resp->r < 0 ? resp->r : -EIO;
        }
        return spycloud_answer_parse(resp->status, resp->body, resp->body_len, ret_body, ret_error);
}

static void on_catalog_needed(Sc *sc, int64_t id)
{
        for (size_t i = 0; i < sc->n_catalogs; i++)
                if (sc->catalogs[i].id == id)
                        return;
        sc->catalogs = xreallocarray(sc->catalogs, sc->n_catalogs + 1, sizeof(Catalog));
        sc->catalogs[sc->n_catalogs] = (Catalog) { .id = id };
        up_start(sc, UP_CATALOG, sc->n_catalogs++, spycloud_path_catalog(id));
}

static void on_up_answer(const HttpResponse *resp, void *userdata)
{
        Up *up = userdata;
        Sc *sc = up->sc;
        SpycloudError err = {};
        cJSON *body = NULL;
        int r;

        up->http = NULL;
        relay_slot_release(sc->relay, &up->slot);
        if (resp->r == -ECANCELED || sc->cancelled) {
                up_done(up);
                return;
        }
        r = up_answer(up, resp, &body, &err);
        if (!up->from_cache) {
                relay_note_upstream(sc->relay, r < 0);
                /* only good answers are kept: an error is asked again next time */
                if (r == 0 && up->kind != UP_HEALTH && resp->status == 200)
                        relay_cache_put(sc->relay, sc->key, up->url, resp->body, resp->body_len);
        }
        log_debug("relay %s: GET %s: HTTP %ld in %" PRIu64 " ms%s%s", relay_name(sc->relay), up->url,
                  resp->status, resp->total_ms, r < 0 ? ": " : "", r < 0 && err.message ? err.message : "");
        switch (up->kind) {
        case UP_HEALTH:
                /* the health check ignores the content (§8.2): a 2xx that is not JSON is ok */
                if (r < 0 && !(r == -EBADMSG && resp->curl_code == 0 && resp->status < 300)) {
                        sc->health_failed = true;
                        set_error(&sc->health_error, &err);
                }
                break;
        case UP_BREACH: {
                Email *e = &sc->emails[up->index];
                if (r < 0) {
                        e->failed = true;
                        set_error(&e->error, &err);
                        break;
                }
                r = spycloud_breach_new(body, relay_call_limit(sc->call), &e->breach, &err);
                if (r < 0) {
                        e->failed = true;
                        set_error(&e->error, &err);
                        break;
                }
                {
                        const int64_t *ids;
                        size_t n = spycloud_breach_catalog_ids(e->breach, &ids);
                        for (size_t i = 0; i < n; i++)
                                on_catalog_needed(sc, ids[i]);
                }
                break;
        }
        case UP_CATALOG: {
                Catalog *cat = &sc->catalogs[up->index];
                if (r < 0) {
                        cat->failed = true;
                        set_error(&cat->error, &err);
                        break;
                }
                spycloud_catalogs_put(sc->answers, cat->id, body);
                break;
        }
        }
        cJSON_Delete(body);
        spycloud_error_done(&err);
        up_done(up);
}

static void up_send(RelaySlot *slot);

static void up_start_now(Up *up)
{
        relay_slot_acquire(up->sc->relay, &up->slot, up_send);
}

static void up_send(RelaySlot *slot)
{
        Up *up = (Up *) slot;
        Sc *sc = up->sc;
        const RelayConf *c = relay_conf(sc->relay);
        const char *headers[] = {
                "Accept: application/json",
                "User-Agent: " SPYCLOUD_USER_AGENT,
                sc->key_header,
                NULL,
        };
        RetryPolicy once = { .max_attempts = 1 };
        int r;

        r = http_request_start(relay_http(sc->relay), &(HttpRequestOptions) {
                        .url = up->url,
                        .headers = headers,
                        .timeout_ms = (long) c->timeout_ms,
                        .retry = &once,
                        .ca_file = c->ca_file,
                        .cb = on_up_answer,
                        .userdata = up,
                }, &up->http);
        if (r < 0) {
                /* a URL or header curl refuses: as a failed connection */
                HttpResponse resp = { .r = r, .curl_code = -1, .error = "" };
                up->http = NULL;
                log_debug("relay %s: cannot start GET %s: %s", relay_name(sc->relay), up->url, strerror(-r));
                on_up_answer(&resp, up);
        }
}

/* ---- the relay ops ------------------------------------------------------------------------ */

static JwtError check_claims(const cJSON *claims)
{
        /* upstream returns payload["key"] (§4.2 step 6) */
        return cJSON_IsString(ctim_json_get(claims, "key")) ? JWT_OK : JWT_ERR_PAYLOAD_STRUCTURE;
}

static size_t supported(const cJSON *observables)
{
        char **v = NULL;
        size_t n = spycloud_observables_emails(observables, &v);

        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return n;
}

static void start(RelayCall *c, RelayRoute route)
{
        Sc *sc = xnew(Sc, 1);
        const char *key = ctim_json_get(relay_call_claims(c), "key")->valuestring;
        char **emails = NULL;

        sc->call = c;
        sc->relay = relay_call_relay(c);
        sc->route = route;
        sc->answers = spycloud_catalogs_new();
        relay_call_set_data(c, sc);
        if (spycloud_api_key_header(key, &sc->key) < 0) {
                SpycloudError e = {};
                spycloud_error_unauthorized(&e);
                relay_call_fail(c, e.code, e.message);
                spycloud_error_done(&e);
                sc_free(sc);
                return;
        }
        sc->key_header = xasprintf("X-API-Key: %s", sc->key);

        /* one reference held while the calls start, so none completes the request early */
        sc->pending++;
        if (route == RELAY_ROUTE_HEALTH)
                up_start(sc, UP_HEALTH, 0, xstrdup(SPYCLOUD_HEALTH_PATH));
        else {
                sc->n_emails = spycloud_observables_emails(relay_call_observables(c), &emails);
                sc->emails = xnew(Email, sc->n_emails ? sc->n_emails : 1);
                for (size_t i = 0; i < sc->n_emails; i++)
                        sc->emails[i].value = emails[i];
                free(emails);
                for (size_t i = 0; i < sc->n_emails; i++)
                        up_start(sc, UP_BREACH, i, spycloud_path_breach(sc->emails[i].value));
        }
        if (--sc->pending == 0)
                sc_complete(sc);
}

static void cancel(RelayCall *c)
{
        Sc *sc = relay_call_get_data(c);
        Up **ups;
        size_t n;

        if (!sc || sc->cancelled)
                return;
        sc->cancelled = true;
        /* up_done() edits sc->ups: work on a copy */
        n = sc->n_ups;
        ups = xnew(Up *, n ? n : 1);
        memcpy(ups, sc->ups, n * sizeof(Up *));
        for (size_t i = 0; i < n; i++) {
                if (ups[i]->waiting) {
                        uv_timer_stop(&ups[i]->timer);
                        ups[i]->waiting = false;
                        up_done(ups[i]);
                } else if (ups[i]->slot.queued) {
                        relay_slot_release(sc->relay, &ups[i]->slot);
                        up_done(ups[i]);
                } else if (ups[i]->http)
                        (void) http_request_cancel(ups[i]->http);
        }
        free(ups);
}

static void done(Relay *r)
{
        Priv *p = relay_priv(r);

        free(p->rates);
}

const RelayOps spycloud_relay_ops = {
        .type = "spycloud",
        .version = SPYCLOUD_RELAY_VERSION,
        .strict_slashes = false,
        .auth_when_unsupported = false,
        .payload_error_suffix = ".",
        .priv_size = sizeof(Priv),
        .done = done,
        .check_claims = check_claims,
        .supported = supported,
        .start = start,
        .cancel = cancel,
};
