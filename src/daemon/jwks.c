/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <openssl/evp.h>
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/http.h"
#include "daemon/jwks.h"
#include "daemon/jwt.h"

const char *const jwks_default_allowed_hosts[] = {
        "visibility.amp.cisco.com",
        "visibility.eu.amp.cisco.com",
        "visibility.apjc.amp.cisco.com",
        "visibility.*.amp.cisco.com",
        "visibility.*.cisco.com",
        NULL,
};

typedef struct KeyEntry {
        char *kid;
        EVP_PKEY *key;
        uint64_t fetched_ms;
} KeyEntry;

typedef struct HostEntry HostEntry;

typedef enum LookupState {
        LOOKUP_WAITING,         /* on its host's fetch */
        LOOKUP_READY,           /* result known, in the ready queue */
        LOOKUP_DELIVERING,      /* callback running */
} LookupState;

struct JwksLookup {
        JwksCache *cache;
        JwksLookup *prev, *next;        /* host waiters, or the ready queue */
        HostEntry *host;                /* while waiting */
        LookupState state;
        char *kid;
        JwksCallback cb;
        void *userdata;
        int r;
        JwtError error;
        EVP_PKEY *key;                  /* a reference of our own */
};

struct HostEntry {
        JwksCache *cache;
        HostEntry *prev, *next;         /* most recently used first */
        char *host;
        KeyEntry *keys;
        size_t n_keys;
        bool fetched;                   /* a fetch was started at least once */
        uint64_t last_fetch_ms;         /* when the last one started */
        JwtError last_error;            /* of the last completed fetch, JWT_OK if it worked */
        int last_r;
        HttpRequest *fetch;             /* under way */
        JwksLookup *waiters, *waiters_tail;
};

struct JwksCache {
        uv_loop_t *loop;
        HttpClient *http;
        uv_idle_t idle;                 /* delivers the ready queue */
        char **allowed;
        char *url_template;
        char *ca_file;
        uint64_t ttl_ms;
        uint64_t refetch_interval_ms;
        long timeout_ms;
        unsigned max_hosts;

        HostEntry *hosts;
        unsigned n_hosts;
        JwksLookup *ready, *ready_tail;
        unsigned fetches_in_flight;
        bool delivering;

        bool shutting_down;
        bool closing;
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;

        JwksStats stats;
};

static uint64_t now_ms(void)
{
        return clock_mono_usec() / 1000;
}

/* ---- host names and patterns -------------------------------------------- */

static bool is_label_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Checks a host name (star: labels "*" allowed too). */
static int check_name(const char *s, bool star)
{
        size_t len, label = 0;
        const char *start = s;

        if (!s)
                return -EINVAL;
        len = strlen(s);
        if (len == 0 || len > JWKS_HOST_MAX)
                return -EINVAL;
        for (const char *p = s;; p++) {
                if (*p == '.' || *p == '\0') {
                        label = (size_t) (p - start);
                        if (label == 0 || label > 63)
                                return -EINVAL;
                        if (!(star && label == 1 && start[0] == '*')) {
                                for (const char *q = start; q < p; q++)
                                        if (!is_label_char(*q))
                                                return -EINVAL;
                                if (start[0] == '-' || p[-1] == '-')
                                        return -EINVAL;
                        }
                        if (*p == '\0')
                                return 0;
                        start = p + 1;
                }
        }
}

int jwks_host_normalize(const char *host, char **ret)
{
        char *h;

        if (check_name(host, false) < 0)
                return -EINVAL;
        h = xstrdup(host);
        for (char *p = h; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        *ret = h;
        return 0;
}

int jwks_pattern_check(const char *pattern)
{
        return check_name(pattern, true);
}

static bool label_eq(const char *a, size_t alen, const char *b, size_t blen)
{
        if (alen != blen)
                return false;
        for (size_t i = 0; i < alen; i++) {
                char x = a[i], y = b[i];
                if (x >= 'A' && x <= 'Z')
                        x = (char) (x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                        y = (char) (y - 'A' + 'a');
                if (x != y)
                        return false;
        }
        return true;
}

static bool pattern_matches(const char *pattern, const char *host)
{
        const char *p = pattern, *h = host;

        if (jwks_pattern_check(pattern) < 0 || check_name(host, false) < 0)
                return false;
        for (;;) {
                size_t plen = strcspn(p, "."), hlen = strcspn(h, ".");

                if (!(plen == 1 && p[0] == '*') && !label_eq(p, plen, h, hlen))
                        return false;
                p += plen;
                h += hlen;
                if (*p == '\0' || *h == '\0')
                        return *p == '\0' && *h == '\0';
                p++;
                h++;
        }
}

bool jwks_host_allowed(const char *const *patterns, const char *host)
{
        if (!patterns || !host)
                return false;
        for (const char *const *p = patterns; *p; p++)
                if (pattern_matches(*p, host))
                        return true;
        return false;
}

static int template_check(const char *t)
{
        if (!t || strncmp(t, "https://", 8) != 0 || !strstr(t, "{host}"))
                return -EINVAL;
        for (const char *p = t; *p; p++)
                if ((unsigned char) *p <= ' ' || (unsigned char) *p >= 0x7f)
                        return -EINVAL;
        return 0;
}

static char *template_expand(const char *t, const char *host)
{
        size_t n = 0, hl = strlen(host), len;
        char *out, *o;

        for (const char *p = strstr(t, "{host}"); p; p = strstr(p + 6, "{host}"))
                n++;
        len = strlen(t) + n * hl + 1;
        o = out = xmalloc(len);
        for (const char *p = t; *p;) {
                if (strncmp(p, "{host}", 6) == 0) {
                        memcpy(o, host, hl);
                        o += hl;
                        p += 6;
                } else
                        *o++ = *p++;
        }
        *o = '\0';
        return out;
}

/* ---- cache -------------------------------------------------------------- */

int jwks_cache_new(uv_loop_t *loop, HttpClient *http, const JwksOptions *o, JwksCache **ret,
                   const char **ret_why)
{
        const JwksOptions none = {};
        const char *const *allowed;
        const char *tmpl;
        JwksCache *c;

        if (!o)
                o = &none;
        if (!loop || !http || !ret) {
                if (ret_why)
                        *ret_why = "no loop or HTTP client";
                return -EINVAL;
        }
        allowed = o->allowed_hosts ? o->allowed_hosts : jwks_default_allowed_hosts;
        for (const char *const *p = allowed; *p; p++)
                if (jwks_pattern_check(*p) < 0) {
                        if (ret_why)
                                *ret_why = "an allowed host is not a host name or pattern";
                        return -EINVAL;
                }
        tmpl = o->url_template ? o->url_template : JWKS_DEFAULT_URL_TEMPLATE;
        if (template_check(tmpl) < 0) {
                if (ret_why)
                        *ret_why = "the URL template is not an https:// URL with {host}";
                return -EINVAL;
        }
        if (o->timeout_ms < 0) {
                if (ret_why)
                        *ret_why = "negative timeout";
                return -EINVAL;
        }

        c = xnew(JwksCache, 1);
        c->loop = loop;
        c->http = http;
        c->allowed = xnew(char *, 1);
        for (const char *const *p = allowed; *p; p++)
                c->allowed = strv_push(c->allowed, *p);
        c->url_template = xstrdup(tmpl);
        c->ca_file = o->ca_file ? xstrdup(o->ca_file) : NULL;
        c->ttl_ms = o->ttl_ms ? o->ttl_ms : JWKS_DEFAULT_TTL_MS;
        c->refetch_interval_ms = o->refetch_interval_ms ? o->refetch_interval_ms : JWKS_DEFAULT_REFETCH_INTERVAL_MS;
        c->timeout_ms = o->timeout_ms ? o->timeout_ms : JWKS_DEFAULT_TIMEOUT_MS;
        c->max_hosts = o->max_hosts ? o->max_hosts : JWKS_DEFAULT_MAX_HOSTS;
        uv_idle_init(loop, &c->idle);
        c->idle.data = c;
        *ret = c;
        return 0;
}

static void host_clear_keys(HostEntry *h)
{
        for (size_t i = 0; i < h->n_keys; i++) {
                free(h->keys[i].kid);
                EVP_PKEY_free(h->keys[i].key);
        }
        free(h->keys);
        h->keys = NULL;
        h->n_keys = 0;
}

static void host_unlink(JwksCache *c, HostEntry *h)
{
        if (h->prev)
                h->prev->next = h->next;
        else
                c->hosts = h->next;
        if (h->next)
                h->next->prev = h->prev;
        h->prev = h->next = NULL;
}

static void host_push_front(JwksCache *c, HostEntry *h)
{
        h->prev = NULL;
        h->next = c->hosts;
        if (c->hosts)
                c->hosts->prev = h;
        c->hosts = h;
}

static void host_free(JwksCache *c, HostEntry *h)
{
        host_unlink(c, h);
        c->n_hosts--;
        host_clear_keys(h);
        free(h->host);
        free(h);
}

static HostEntry *host_find(JwksCache *c, const char *host)
{
        for (HostEntry *h = c->hosts; h; h = h->next)
                if (strcmp(h->host, host) == 0)
                        return h;
        return NULL;
}

/* The entry for `host` (taking ownership of it), most recently used from
 * now; NULL when the cache is full of hosts with fetches under way. */
static HostEntry *host_get(JwksCache *c, char *host)
{
        HostEntry *h = host_find(c, host);

        if (h) {
                free(host);
                host_unlink(c, h);
                host_push_front(c, h);
                return h;
        }
        if (c->n_hosts >= c->max_hosts) {
                HostEntry *victim = NULL;

                for (HostEntry *e = c->hosts; e; e = e->next)
                        if (!e->fetch)
                                victim = e;     /* the last idle one: least recently used */
                if (!victim) {
                        free(host);
                        return NULL;
                }
                host_free(c, victim);
        }
        h = xnew(HostEntry, 1);
        h->cache = c;
        h->host = host;
        host_push_front(c, h);
        c->n_hosts++;
        return h;
}

static KeyEntry *host_key(HostEntry *h, const char *kid)
{
        for (size_t i = 0; i < h->n_keys; i++)
                if (strcmp(h->keys[i].kid, kid) == 0)
                        return &h->keys[i];
        return NULL;
}

static bool key_fresh(const JwksCache *c, const KeyEntry *k, uint64_t now)
{
        return k && now - k->fetched_ms < c->ttl_ms;
}

/* ---- delivery ----------------------------------------------------------- */

static void maybe_finish_shutdown(JwksCache *c);

static void waiter_unlink(JwksLookup *l)
{
        HostEntry *h = l->host;

        if (l->prev)
                l->prev->next = l->next;
        else
                h->waiters = l->next;
        if (l->next)
                l->next->prev = l->prev;
        else
                h->waiters_tail = l->prev;
        l->prev = l->next = NULL;
        l->host = NULL;
}

static void on_idle(uv_idle_t *idle);

/* Sets the result and queues the callback. */
static void lookup_finish(JwksLookup *l, int r, JwtError error, EVP_PKEY *key)
{
        JwksCache *c = l->cache;

        if (l->state == LOOKUP_WAITING && l->host)
                waiter_unlink(l);
        l->r = r;
        l->error = r < 0 ? error : JWT_OK;
        if (r >= 0 && key) {
                EVP_PKEY_up_ref(key);
                l->key = key;
        }
        if (r < 0 && error == JWT_ERR_KID_UNKNOWN)
                c->stats.unknown_kids++;
        l->state = LOOKUP_READY;
        l->prev = c->ready_tail;
        l->next = NULL;
        if (c->ready_tail)
                c->ready_tail->next = l;
        else
                c->ready = l;
        c->ready_tail = l;
        if (!uv_is_active((uv_handle_t *) &c->idle) && !c->closing)
                uv_idle_start(&c->idle, on_idle);
}

static void lookup_free(JwksLookup *l)
{
        EVP_PKEY_free(l->key);
        free(l->kid);
        free(l);
}

static void on_idle(uv_idle_t *idle)
{
        JwksCache *c = idle->data;

        /* A callback may start lookups (queued behind) or shut the cache
         * down (which only queues more results): drain until empty. */
        c->delivering = true;
        while (c->ready) {
                JwksLookup *l = c->ready;

                c->ready = l->next;
                if (c->ready)
                        c->ready->prev = NULL;
                else
                        c->ready_tail = NULL;
                l->next = l->prev = NULL;
                l->state = LOOKUP_DELIVERING;
                l->cb(l->r, l->r < 0 ? NULL : l->key, l->error, l->userdata);
                lookup_free(l);
        }
        c->delivering = false;
        uv_idle_stop(&c->idle);
        maybe_finish_shutdown(c);
}

/* ---- fetching ----------------------------------------------------------- */

static void fail_waiters(HostEntry *h, int r, JwtError error)
{
        while (h->waiters)
                lookup_finish(h->waiters, r, error, NULL);
}

static void on_fetch_done(const HttpResponse *resp, void *userdata)
{
        HostEntry *h = userdata;
        JwksCache *c = h->cache;
        JwkSet *set = NULL;
        JwtError error = JWT_OK;
        uint64_t fetched = now_ms();
        int r = 0;

        h->fetch = NULL;
        c->fetches_in_flight--;

        if (resp->r == -ECANCELED || c->shutting_down) {
                h->last_error = JWT_ERR_JWKS_FETCH_FAILED;
                h->last_r = -ECANCELED;
                fail_waiters(h, -ECANCELED, JWT_ERR_JWKS_FETCH_FAILED);
                maybe_finish_shutdown(c);
                return;
        }

        if (resp->r < 0 || resp->status < 200 || resp->status > 299) {
                r = resp->r < 0 ? resp->r : -EPROTO;
                error = JWT_ERR_JWKS_FETCH_FAILED;
                if (resp->status > 0)
                        log_warning("Failed to fetch the JWKS of '%s': HTTP %ld", h->host, resp->status);
                else
                        log_warning("Failed to fetch the JWKS of '%s': %s", h->host,
                                    resp->error[0] ? resp->error : strerror(-r));
        } else {
                r = jwk_set_parse(resp->body, resp->body_len, &set, &error);
                if (r < 0)
                        log_warning("The JWKS of '%s' is malformed (%zu bytes)", h->host, resp->body_len);
        }

        if (r < 0) {
                c->stats.fetch_failures++;
                h->last_error = error;
                h->last_r = r;
                fail_waiters(h, r, error);
                return;
        }

        log_debug("Fetched the JWKS of '%s': %zu keys, %zu entries skipped", h->host, jwk_set_size(set),
                  jwk_set_skipped(set));
        host_clear_keys(h);
        h->n_keys = jwk_set_size(set);
        h->keys = xnew(KeyEntry, h->n_keys ? h->n_keys : 1);
        for (size_t i = 0; i < h->n_keys; i++) {
                EVP_PKEY *key = jwk_set_key(set, i);

                EVP_PKEY_up_ref(key);
                h->keys[i] = (KeyEntry) { .kid = xstrdup(jwk_set_kid(set, i)), .key = key, .fetched_ms = fetched };
        }
        jwk_set_free(set);
        h->last_error = JWT_OK;
        h->last_r = 0;

        while (h->waiters) {
                JwksLookup *l = h->waiters;
                KeyEntry *k = host_key(h, l->kid);

                if (k)
                        lookup_finish(l, 0, JWT_OK, k->key);
                else
                        lookup_finish(l, -ENOKEY, JWT_ERR_KID_UNKNOWN, NULL);
        }
}

static int fetch_start(JwksCache *c, HostEntry *h)
{
        static const char *const headers[] = { "Accept: application/json", NULL };
        const RetryPolicy once = { .max_attempts = 1 };
        _cleanup_free_ char *url = template_expand(c->url_template, h->host);
        HttpRequestOptions o = {
                .method = "GET",
                .url = url,
                .headers = headers,
                .timeout_ms = c->timeout_ms,
                .retry = &once,
                .ca_file = c->ca_file,
                .cb = on_fetch_done,
                .userdata = h,
        };
        int r;

        h->fetched = true;
        h->last_fetch_ms = now_ms();
        c->stats.fetches++;
        r = http_request_start(c->http, &o, &h->fetch);
        if (r < 0) {
                h->fetch = NULL;
                c->stats.fetch_failures++;
                h->last_error = JWT_ERR_JWKS_FETCH_FAILED;
                h->last_r = r;
                log_warning("Failed to fetch the JWKS of '%s': %s", h->host, strerror(-r));
                return r;
        }
        c->fetches_in_flight++;
        return 0;
}

/* ---- lookups ------------------------------------------------------------ */

/* The common checks of both lookups: the host entry to use (in *ret_host),
 * or an error. */
static int lookup_prepare(JwksCache *c, const char *host, const char *kid, char **ret_host, JwtError *reterr)
{
        char *norm = NULL;

        c->stats.lookups++;
        if (!host || !host[0]) {
                c->stats.refused_hosts++;
                *reterr = JWT_ERR_JWKS_HOST_MISSING;
                return jwt_error_to_errno(*reterr);
        }
        if (jwks_host_normalize(host, &norm) < 0 || !jwks_host_allowed((const char *const *) c->allowed, norm)) {
                free(norm);
                c->stats.refused_hosts++;
                *reterr = JWT_ERR_JWKS_HOST_NOT_ALLOWED;
                return jwt_error_to_errno(*reterr);
        }
        if (!kid || !kid[0]) {
                free(norm);
                *reterr = JWT_ERR_KID_MISSING;
                return jwt_error_to_errno(*reterr);
        }
        *ret_host = norm;
        return 0;
}

int jwks_get_cached(JwksCache *c, const char *host, const char *kid, EVP_PKEY **ret_key, JwtError *reterr)
{
        JwtError error = JWT_OK;
        char *norm = NULL;
        HostEntry *h;
        KeyEntry *k;
        int r;

        if (!c || !ret_key)
                return -EINVAL;
        if (c->shutting_down)
                return -ESHUTDOWN;
        r = lookup_prepare(c, host, kid, &norm, &error);
        if (r < 0) {
                if (reterr)
                        *reterr = error;
                return r;
        }
        h = host_find(c, norm);
        free(norm);
        k = h ? host_key(h, kid) : NULL;
        if (!key_fresh(c, k, now_ms())) {
                if (reterr)
                        *reterr = JWT_ERR_KID_UNKNOWN;
                return -ENOKEY;
        }
        c->stats.hits++;
        host_unlink(c, h);
        host_push_front(c, h);
        *ret_key = k->key;
        if (reterr)
                *reterr = JWT_OK;
        return 0;
}

int jwks_get_key(JwksCache *c, const char *host, const char *kid, JwksCallback cb, void *userdata,
                 JwksLookup **ret)
{
        JwtError error = JWT_OK;
        JwksLookup *l;
        char *norm = NULL;
        HostEntry *h;
        KeyEntry *k;
        uint64_t now;
        int r;

        if (!c || !cb)
                return -EINVAL;
        if (c->shutting_down)
                return -ESHUTDOWN;

        l = xnew(JwksLookup, 1);
        l->cache = c;
        l->cb = cb;
        l->userdata = userdata;
        l->kid = kid ? xstrdup(kid) : NULL;
        l->state = LOOKUP_WAITING;
        if (ret)
                *ret = l;

        r = lookup_prepare(c, host, kid, &norm, &error);
        if (r < 0) {
                lookup_finish(l, r, error, NULL);
                return 0;
        }
        h = host_get(c, norm);
        if (!h) {
                lookup_finish(l, -EBUSY, JWT_ERR_JWKS_FETCH_FAILED, NULL);
                return 0;
        }
        now = now_ms();
        k = host_key(h, kid);
        if (key_fresh(c, k, now)) {
                c->stats.hits++;
                lookup_finish(l, 0, JWT_OK, k->key);
                return 0;
        }
        if (h->fetch)
                c->stats.coalesced++;
        else if (h->fetched && now - h->last_fetch_ms < c->refetch_interval_ms) {
                c->stats.rate_limited++;
                if (h->last_error != JWT_OK)
                        lookup_finish(l, h->last_r < 0 ? h->last_r : -EPROTO, h->last_error, NULL);
                else
                        lookup_finish(l, -ENOKEY, JWT_ERR_KID_UNKNOWN, NULL);
                return 0;
        } else {
                r = fetch_start(c, h);
                if (r < 0) {
                        lookup_finish(l, r, JWT_ERR_JWKS_FETCH_FAILED, NULL);
                        return 0;
                }
        }
        l->host = h;
        l->prev = h->waiters_tail;
        if (h->waiters_tail)
                h->waiters_tail->next = l;
        else
                h->waiters = l;
        h->waiters_tail = l;
        return 0;
}

int jwks_lookup_cancel(JwksLookup *l)
{
        if (!l)
                return -EINVAL;
        if (l->state != LOOKUP_WAITING)
                return -EALREADY;
        lookup_finish(l, -ECANCELED, JWT_ERR_JWKS_FETCH_FAILED, NULL);
        return 0;
}

/* ---- shutdown ----------------------------------------------------------- */

static void on_idle_closed(uv_handle_t *handle)
{
        JwksCache *c = handle->data;
        void (*cb)(void *) = c->shutdown_cb;
        void *ud = c->shutdown_userdata;

        while (c->hosts)
                host_free(c, c->hosts);
        strv_free(c->allowed);
        free(c->url_template);
        free(c->ca_file);
        free(c);
        if (cb)
                cb(ud);
}

static void maybe_finish_shutdown(JwksCache *c)
{
        if (!c->shutting_down || c->closing || c->delivering || c->ready || c->fetches_in_flight > 0)
                return;
        c->closing = true;
        uv_idle_stop(&c->idle);
        uv_close((uv_handle_t *) &c->idle, on_idle_closed);
}

int jwks_cache_shutdown(JwksCache *c, void (*cb)(void *userdata), void *userdata)
{
        if (!c)
                return -EINVAL;
        if (c->shutting_down)
                return -EALREADY;
        c->shutting_down = true;
        c->shutdown_cb = cb;
        c->shutdown_userdata = userdata;
        for (HostEntry *h = c->hosts; h; h = h->next) {
                fail_waiters(h, -ECANCELED, JWT_ERR_JWKS_FETCH_FAILED);
                if (h->fetch)
                        (void) http_request_cancel(h->fetch);    /* -EALREADY: its callback is coming */
        }
        /* Results are delivered from the loop, the close follows them. */
        if (c->ready) {
                if (!uv_is_active((uv_handle_t *) &c->idle))
                        uv_idle_start(&c->idle, on_idle);
        } else
                maybe_finish_shutdown(c);
        return 0;
}

void jwks_cache_get_stats(const JwksCache *c, JwksStats *ret)
{
        if (!c || !ret)
                return;
        *ret = c->stats;
        ret->hosts = c->n_hosts;
        ret->keys = 0;
        for (const HostEntry *h = c->hosts; h; h = h->next)
                ret->keys += (unsigned) h->n_keys;
        ret->fetches_in_flight = c->fetches_in_flight;
}
