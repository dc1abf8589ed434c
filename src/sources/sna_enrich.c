/* SPDX-License-Identifier: MIT */
/* Umbrella Investigate and Secure Endpoint lookups for new SNA hosts. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "sources/sna_enrich.h"
#include "sources/sna_enrich_model.h"

#define DOMAINS_MAX 3
#define PROCS_MAX 3
#define CACHE_MAX 4096

typedef struct CacheEntry {
        char *key;
        char *value;
        uint64_t expires_ms;
} CacheEntry;

typedef struct Req Req;

struct Enricher {
        HttpClient *http;
        char *name;
        char *inv_url, *inv_auth;       /* NULL: Investigate off */
        char *amp_url, *amp_auth;       /* NULL: Secure Endpoint off */
        size_t max_peers;
        uint64_t cache_ttl_ms;
        long timeout_ms;
        char *ca_file;
        bool tls_skip_verify;
        CacheEntry *cache;
        size_t n_cache;
        Req *reqs;                      /* in flight */
        unsigned jobs;
        bool closing;
};

typedef struct HostCtx {
        char *ip;
        char **peers;
        size_t n_peers;
        char *amp_host;                 /* NULL: not a computer (or not looked up) */
        char ***procs;                  /* per peer */
        char *amp;                      /* the final Secure Endpoint line */
} HostCtx;

typedef struct Job {
        Enricher *e;
        HostCtx *hosts;
        size_t n;
        /* Investigate works on the distinct peers of all the hosts */
        char **peers;
        char **inv;                     /* per distinct peer, its line */
        unsigned pending;
        bool cancelled;
        EnrichDone cb;
        void *userdata;
} Job;

typedef enum ReqKind { R_LATEST, R_CATEG, R_COMPUTER, R_TRAJ } ReqKind;

struct Req {
        Job *j;
        size_t host, peer;
        ReqKind kind;
        char **domains;
        size_t n_domains;
        HttpRequest *hr;
        Req *prev, *next;
};

static void wipe_free(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

/* ---- cache -------------------------------------------------------------- */

static const char *cache_get(Enricher *e, const char *key)
{
        uint64_t now = clock_mono_usec() / 1000;

        for (size_t i = 0; i < e->n_cache; i++)
                if (!strcmp(e->cache[i].key, key))
                        return e->cache[i].expires_ms > now ? e->cache[i].value : NULL;
        return NULL;
}

static void cache_put(Enricher *e, const char *key, const char *value)
{
        uint64_t now = clock_mono_usec() / 1000;
        CacheEntry *slot = NULL;

        if (!e->cache_ttl_ms)
                return;
        for (size_t i = 0; i < e->n_cache && !slot; i++)
                if (!strcmp(e->cache[i].key, key) || e->cache[i].expires_ms <= now)
                        slot = &e->cache[i];
        if (!slot) {
                if (e->n_cache >= CACHE_MAX)
                        return;
                e->cache = xreallocarray(e->cache, e->n_cache + 1, sizeof(CacheEntry));
                slot = &e->cache[e->n_cache++];
                *slot = (CacheEntry) { 0 };
        }
        free(slot->key);
        free(slot->value);
        slot->key = xstrdup(key);
        slot->value = xstrdup(value);
        slot->expires_ms = now + e->cache_ttl_ms;
}

/* ---- jobs --------------------------------------------------------------- */

static void enricher_free(Enricher *e)
{
        for (size_t i = 0; i < e->n_cache; i++) {
                free(e->cache[i].key);
                free(e->cache[i].value);
        }
        free(e->cache);
        free(e->name);
        free(e->inv_url);
        wipe_free(e->inv_auth);
        free(e->amp_url);
        wipe_free(e->amp_auth);
        free(e->ca_file);
        free(e);
}

static const char *inv_of(const Job *j, const char *ip)
{
        for (size_t i = 0; j->peers && j->peers[i]; i++)
                if (!strcmp(j->peers[i], ip))
                        return j->inv[i];
        return NULL;
}

static char *host_lines(const Job *j, const HostCtx *h)
{
        const Enricher *e = j->e;
        char *m = NULL, *x;

        if (e->amp_auth && h->amp) {
                m = xasprintf("  - Secure Endpoint: %s\n", h->amp);
        }
        if (e->inv_auth && h->n_peers) {
                x = xasprintf("%s  - Umbrella:", m ? m : "");
                free(m);
                m = x;
                for (size_t p = 0; p < h->n_peers; p++) {
                        const char *line = inv_of(j, h->peers[p]);
                        x = xasprintf("%s%s %s", m, p ? ";" : "", line ? line : "no answer");
                        free(m);
                        m = x;
                }
                x = xasprintf("%s\n", m);
                free(m);
                m = x;
        }
        return m;
}

static void job_finish(Job *j)
{
        Enricher *e = j->e;
        char **lines = xnew(char *, j->n ? j->n : 1);

        for (size_t i = 0; i < j->n; i++) {
                HostCtx *h = &j->hosts[i];
                if (!j->cancelled && e->amp_auth && !h->amp) {
                        h->amp = h->amp_host ? amp_line(h->amp_host, h->peers, (char *const *const *) h->procs,
                                                        h->n_peers) : xstrdup("not a Secure Endpoint computer");
                        if (h->amp_host) {
                                _cleanup_free_ char *key = xasprintf("amp:%s", h->ip);
                                cache_put(e, key, h->amp);
                        }
                }
                lines[i] = j->cancelled ? NULL : host_lines(j, h);
        }
        j->cb(j->userdata, lines, j->cancelled);
        for (size_t i = 0; i < j->n; i++) {
                HostCtx *h = &j->hosts[i];
                free(lines[i]);
                free(h->ip);
                strv_free(h->peers);
                for (size_t p = 0; p < h->n_peers; p++)
                        strv_free(h->procs[p]);
                free(h->procs);
                free(h->amp_host);
                free(h->amp);
        }
        free(lines);
        for (size_t p = 0; j->peers && j->peers[p]; p++)
                free(j->inv[p]);
        free(j->inv);
        strv_free(j->peers);
        free(j->hosts);
        free(j);
        if (--e->jobs == 0 && e->closing)
                enricher_free(e);
}

static void job_release(Job *j)
{
        if (--j->pending == 0)
                job_finish(j);
}

/* ---- requests ----------------------------------------------------------- */

static void on_response(const HttpResponse *resp, void *userdata);

static void req_start(Job *j, ReqKind kind, size_t host, size_t peer, const char *method, const char *url,
                      const char *auth, const char *body, char **domains, size_t n_domains)
{
        Enricher *e = j->e;
        const char *hdrs[] = { auth, "Accept: application/json", body ? "Content-Type: application/json" : NULL,
                               NULL };
        Req *r = xnew(Req, 1);
        int k;

        r->j = j;
        r->kind = kind;
        r->host = host;
        r->peer = peer;
        r->domains = domains;
        r->n_domains = n_domains;
        k = http_request_start(e->http,
                               &(HttpRequestOptions) {
                                       .method = method,
                                       .url = url,
                                       .headers = hdrs,
                                       .body = body,
                                       .body_len = body ? strlen(body) : 0,
                                       .timeout_ms = e->timeout_ms,
                                       .ca_file = e->ca_file,
                                       .tls_skip_verify = e->tls_skip_verify,
                                       .cb = on_response,
                                       .userdata = r,
                               },
                               &r->hr);
        if (k < 0) {
                log_debug("%s: enrichment request not started: %s", e->name, strerror(-k));
                strv_free(domains);
                free(r);
                return;
        }
        j->pending++;
        r->next = e->reqs;
        if (e->reqs)
                e->reqs->prev = r;
        e->reqs = r;
}

static char *failed_text(const HttpResponse *resp)
{
        return resp->status ? xasprintf("lookup failed (HTTP %ld)", resp->status) :
               xasprintf("lookup failed (%s)", resp->r == -ECANCELED ? "cancelled" :
                         *resp->error ? resp->error : strerror(-resp->r));
}

static void on_latest(Req *r, const HttpResponse *resp, const cJSON *body)
{
        Job *j = r->j;
        Enricher *e = j->e;
        const char *ip = j->peers[r->peer];
        char **inv = &j->inv[r->peer];
        char **domains = NULL;
        size_t n = 0;

        if (!body || investigate_latest_domains(body, DOMAINS_MAX, &domains, &n) < 0) {
                _cleanup_free_ char *why = body ? xstrdup("unexpected answer") : failed_text(resp);
                *inv = xasprintf("%s: %s", ip, why);
                return;
        }
        if (n == 0) {
                _cleanup_free_ char *key = xasprintf("inv:%s", ip);
                *inv = investigate_line(ip, NULL, NULL, NULL, 0);
                cache_put(e, key, *inv);
                return;
        }
        {
                cJSON *arr = cJSON_CreateArray();
                _cleanup_free_ char *json = NULL, *url = xasprintf("%s/domains/categorization?showLabels", e->inv_url);
                for (size_t i = 0; i < n; i++)
                        cJSON_AddItemToArray(arr, cJSON_CreateString(domains[i]));
                json = cJSON_PrintUnformatted(arr);
                cJSON_Delete(arr);
                req_start(j, R_CATEG, r->host, r->peer, "POST", url, e->inv_auth, json, domains, n);
        }
}

static void on_categ(Req *r, const HttpResponse *resp, const cJSON *body)
{
        Job *j = r->j;
        const char *ip = j->peers[r->peer];
        char **inv = &j->inv[r->peer];
        int *status = xnew(int, r->n_domains);
        char **cats = xnew(char *, r->n_domains + 1);
        _cleanup_free_ char *key = xasprintf("inv:%s", ip);

        for (size_t i = 0; i < r->n_domains; i++)
                if (!body || investigate_status(body, r->domains[i], &status[i], &cats[i]) < 0) {
                        status[i] = 0;
                        cats[i] = NULL;
                }
        *inv = investigate_line(ip, r->domains, status, cats, r->n_domains);
        if (body)
                cache_put(j->e, key, *inv);
        (void) resp;
        for (size_t i = 0; i < r->n_domains; i++)
                free(cats[i]);
        free(cats);
        free(status);
}

static void on_computer(Req *r, const HttpResponse *resp, const cJSON *body)
{
        Job *j = r->j;
        Enricher *e = j->e;
        HostCtx *h = &j->hosts[r->host];
        _cleanup_free_ char *guid = NULL;

        if (!body || amp_computer(body, &guid, &h->amp_host) < 0) {
                _cleanup_free_ char *why = body ? xstrdup("unexpected answer") : failed_text(resp);
                h->amp = xasprintf("computer %s", why);
                return;
        }
        if (!guid)
                return;         /* not a computer: job_finish says so */
        for (size_t p = 0; p < h->n_peers; p++) {
                _cleanup_free_ char *url = xasprintf("%s/v1/computers/%s/trajectory?q=%s&limit=50", e->amp_url, guid,
                                                     h->peers[p]);
                req_start(j, R_TRAJ, r->host, p, "GET", url, e->amp_auth, NULL, NULL, 0);
        }
}

static void on_traj(Req *r, const cJSON *body)
{
        HostCtx *h = &r->j->hosts[r->host];
        size_t n = 0;

        if (body)
                (void) amp_processes(body, h->peers[r->peer], PROCS_MAX, &h->procs[r->peer], &n);
}

static void on_response(const HttpResponse *resp, void *userdata)
{
        Req *r = userdata;
        Job *j = r->j;
        Enricher *e = j->e;
        cJSON *body = NULL;

        if (r->prev)
                r->prev->next = r->next;
        else
                e->reqs = r->next;
        if (r->next)
                r->next->prev = r->prev;
        if (resp->r == -ECANCELED)
                j->cancelled = true;
        if (resp->r == 0 && resp->status >= 200 && resp->status < 300)
                body = cJSON_ParseWithLength(resp->body, resp->body_len);
        if (!j->cancelled)
                switch (r->kind) {
                case R_LATEST:
                        on_latest(r, resp, body);
                        break;
                case R_CATEG:
                        on_categ(r, resp, body);
                        break;
                case R_COMPUTER:
                        on_computer(r, resp, body);
                        break;
                case R_TRAJ:
                        on_traj(r, body);
                        break;
                }
        cJSON_Delete(body);
        strv_free(r->domains);
        free(r);
        job_release(j);
}

static char *url_ip(const char *ip)
{
        /* canonical addresses: digits, '.', ':' and hex only; nothing to escape */
        return xstrdup(ip);
}

int enricher_run(Enricher *e, const SnaHost *const *hosts, size_t n, EnrichDone cb, void *userdata)
{
        Job *j;

        if (!e || e->closing)
                return -ESHUTDOWN;
        j = xnew(Job, 1);
        j->e = e;
        j->cb = cb;
        j->userdata = userdata;
        j->n = n;
        j->hosts = xnew(HostCtx, n ? n : 1);
        j->pending = 1;         /* held while the lookups start */
        e->jobs++;
        for (size_t i = 0; i < n; i++) {
                HostCtx *h = &j->hosts[i];
                h->ip = xstrdup(hosts[i]->ip);
                for (size_t p = 0; hosts[i]->peers && hosts[i]->peers[p] && p < e->max_peers; p++)
                        h->peers = strv_push(h->peers, hosts[i]->peers[p]);
                h->n_peers = strv_length(h->peers);
                h->procs = xnew(char **, h->n_peers + 1);
                for (size_t p = 0; p < h->n_peers; p++)
                        if (!strv_contains(j->peers, h->peers[p]))
                                j->peers = strv_push(j->peers, h->peers[p]);
                if (e->amp_auth) {
                        _cleanup_free_ char *key = xasprintf("amp:%s", h->ip), *ip = url_ip(h->ip),
                                            *url = xasprintf("%s/v1/computers?internal_ip=%s", e->amp_url, ip);
                        const char *hit = cache_get(e, key);
                        if (hit)
                                h->amp = xstrdup(hit);
                        else
                                req_start(j, R_COMPUTER, i, 0, "GET", url, e->amp_auth, NULL, NULL, 0);
                }
        }
        j->inv = xnew(char *, strv_length(j->peers) + 1);
        for (size_t p = 0; e->inv_auth && j->peers && j->peers[p]; p++) {
                _cleanup_free_ char *key = xasprintf("inv:%s", j->peers[p]),
                                    *url = xasprintf("%s/ips/%s/latest_domains", e->inv_url, j->peers[p]);
                const char *hit = cache_get(e, key);
                if (hit)
                        j->inv[p] = xstrdup(hit);
                else
                        req_start(j, R_LATEST, 0, p, "GET", url, e->inv_auth, NULL, NULL, 0);
        }
        job_release(j);
        return 0;
}

void enricher_shutdown(Enricher *e)
{
        if (!e || e->closing)
                return;
        e->closing = true;
        for (Req *r = e->reqs; r; r = r->next)
                (void) http_request_cancel(r->hr);
        if (e->jobs == 0)
                enricher_free(e);
}

static char *basic(const char *user, const char *pass)
{
        _cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
        size_t len = strlen(plain);
        unsigned char *out = xmalloc(4 * ((len + 2) / 3) + 1);
        char *h;

        EVP_EncodeBlock(out, (const unsigned char *) plain, (int) len);
        explicit_bzero(plain, len);
        h = xasprintf("Authorization: Basic %s", out);
        explicit_bzero(out, strlen((char *) out));
        free(out);
        return h;
}

static char *trim_url(const char *u)
{
        size_t n = strlen(u);

        while (n > 0 && u[n - 1] == '/')
                n--;
        return xstrndup(u, n);
}

int enricher_new(HttpClient *http, const EnrichConf *conf, const char *name, Enricher **ret)
{
        Enricher *e;

        *ret = NULL;
        if (!conf->umbrella_token.value && !conf->amp_api_key.value)
                return 0;
        if (!http)
                return -EINVAL;
        e = xnew(Enricher, 1);
        e->http = http;
        e->name = xstrdup(name);
        if (conf->umbrella_token.value) {
                e->inv_url = trim_url(conf->umbrella_url);
                e->inv_auth = xasprintf("Authorization: Bearer %s", conf->umbrella_token.value);
        }
        if (conf->amp_api_key.value && conf->amp_client_id) {
                e->amp_url = trim_url(conf->amp_url);
                e->amp_auth = basic(conf->amp_client_id, conf->amp_api_key.value);
        }
        e->max_peers = (size_t) conf->max_peers;
        e->cache_ttl_ms = conf->cache_ttl * 1000;
        e->timeout_ms = (long) conf->timeout * 1000;
        e->ca_file = conf->ca_file ? xstrdup(conf->ca_file) : NULL;
        e->tls_skip_verify = !conf->tls_verify;
        *ret = e;
        return 0;
}
