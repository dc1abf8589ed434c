/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <uv.h>
#include "common/xalloc.h"
#include "responders/rhttp.h"

struct RHttpCall {
        RHttp *h;
        HttpRequest *req;
        RHttpCb cb;
        void *userdata;
        RHttpCall *prev, *next;
};

/* A failed vendor call is retried by the reconciler with its own backoff;
 * the client only rides out a blip (a 503 during a failover, a 429 burst). */
static const RetryPolicy retry_idempotent = { .max_attempts = 3, .base_ms = 500, .max_ms = 10000, .jitter = 0.5 };
static const RetryPolicy retry_none = { .max_attempts = 1, .base_ms = 1, .max_ms = 1, .jitter = 0 };

void rhttp_init(RHttp *h, Responder *resp, const RHttpConf *conf)
{
        *h = (RHttp) { .resp = resp, .conf = conf };
}

static void on_done(const HttpResponse *resp, void *userdata)
{
        RHttpCall *c = userdata;
        RHttp *h = c->h;

        if (c->prev)
                c->prev->next = c->next;
        else
                h->calls = c->next;
        if (c->next)
                c->next->prev = c->prev;
        h->n_calls--;
        c->cb(resp, c->userdata);
        free(c);
}

int rhttp_start(RHttp *h, const RHttpRequest *req, RHttpCb cb, void *userdata)
{
        _cleanup_free_ char *url = NULL, *ctype = NULL;
        const char **headers = NULL;
        size_t n = 0;
        bool has_ctype = false;
        RHttpCall *c;
        int r;

        if (!h->resp->http)
                return -ENOTCONN;
        if (!req->path)
                return -EINVAL;
        if (!strncmp(req->path, "https://", 8) || !strncmp(req->path, "http://", 7))
                url = xstrdup(req->path);
        else
                url = xasprintf("%s%s%s", h->conf->url, req->path[0] == '/' ? "" : "/", req->path);

        for (size_t i = 0; req->headers && req->headers[i]; i++) {
                has_ctype = has_ctype || !strncasecmp(req->headers[i], "Content-Type:", 13);
                n++;
        }
        headers = xnew(const char *, n + 2);
        for (size_t i = 0; i < n; i++)
                headers[i] = req->headers[i];
        if (req->body && !has_ctype) {
                ctype = xasprintf("Content-Type: %s", req->content_type ? req->content_type : "application/json");
                headers[n++] = ctype;
        }

        c = xnew(RHttpCall, 1);
        c->h = h;
        c->cb = cb;
        c->userdata = userdata;
        r = http_request_start(h->resp->http,
                               &(HttpRequestOptions) {
                                       .method = req->method,
                                       .url = url,
                                       .headers = headers,
                                       .body = req->body,
                                       .body_len = req->body ? (req->body_len ? req->body_len : strlen(req->body)) : 0,
                                       .timeout_ms = (long) h->conf->timeout_ms,
                                       .retry = req->no_retry ? &retry_none : &retry_idempotent,
                                       .ca_file = h->conf->ca_file,
                                       .tls_skip_verify = !h->conf->tls_verify,
                                       .client_cert = h->conf->client_cert,
                                       .client_key = h->conf->client_key,
                                       .client_key_password = h->conf->client_key_password,
                                       .cb = on_done,
                                       .userdata = c,
                               },
                               &c->req);
        free(headers);
        if (r < 0) {
                free(c);
                return r;
        }
        c->next = h->calls;
        if (h->calls)
                h->calls->prev = c;
        h->calls = c;
        h->n_calls++;
        return 0;
}

void rhttp_cancel_all(RHttp *h)
{
        for (RHttpCall *c = h->calls; c; c = c->next)
                (void) http_request_cancel(c->req);
}

bool rhttp_ok(const HttpResponse *resp)
{
        return resp->r == 0 && resp->status >= 200 && resp->status < 300;
}

bool rhttp_transient(const HttpResponse *resp)
{
        if (resp->r == -ECANCELED)
                return true;
        if (resp->status >= 200 && resp->status < 300)
                return false;
        return resp->err_class == HTTP_ERR_TRANSIENT;
}

char *rhttp_error(const HttpResponse *resp, const char *what)
{
        char excerpt[161];
        size_t n = 0;

        if (resp->r == -ECANCELED)
                return xasprintf("%s: cancelled", what);
        if (resp->status == 0 || resp->curl_code != 0)
                return xasprintf("%s: %s", what, resp->error && resp->error[0] ? resp->error : strerror(-resp->r));
        /* the start of the body, printable: vendors put the reason there */
        for (const char *p = resp->body; *p && n < sizeof(excerpt) - 1; p++)
                excerpt[n++] = isprint((unsigned char) *p) ? *p : ' ';
        while (n > 0 && excerpt[n - 1] == ' ')
                n--;
        excerpt[n] = 0;
        return n ? xasprintf("%s: HTTP %ld: %s", what, resp->status, excerpt)
                 : xasprintf("%s: HTTP %ld", what, resp->status);
}

cJSON *rhttp_json(const HttpResponse *resp)
{
        return resp->body_len ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
}

/* ---- credential cache ---------------------------------------------------- */

struct RAuthWaiter {
        RAuthReady cb;
        void *userdata;
        RAuthWaiter *next;
};

void rauth_init(RAuth *a, uv_loop_t *loop, RAuthFetch fetch, void *owner)
{
        *a = (RAuth) { .loop = loop, .fetch = fetch, .owner = owner };
}

static void drop_cred(RAuth *a)
{
        if (a->cred) {
                OPENSSL_cleanse(a->cred, strlen(a->cred));
                free(a->cred);
        }
        a->cred = NULL;
        a->expires_ms = 0;
}

static void wake(RAuth *a, const char *cred, const char *err, bool transient)
{
        RAuthWaiter *w = a->waiters, *rev = NULL;

        a->waiters = NULL;
        /* first come, first served */
        while (w) {
                RAuthWaiter *n = w->next;
                w->next = rev;
                rev = w;
                w = n;
        }
        while (rev) {
                RAuthWaiter *n = rev->next;
                rev->cb(rev->userdata, cred, err, transient);
                free(rev);
                rev = n;
        }
}

void rauth_get(RAuth *a, RAuthReady cb, void *userdata)
{
        RAuthWaiter *w;
        int r;

        if (a->cred && (a->expires_ms == 0 || uv_now(a->loop) < a->expires_ms)) {
                cb(userdata, a->cred, NULL, false);
                return;
        }
        drop_cred(a);
        w = xnew(RAuthWaiter, 1);
        w->cb = cb;
        w->userdata = userdata;
        w->next = a->waiters;
        a->waiters = w;
        if (a->fetching)
                return;
        a->fetching = true;
        r = a->fetch(a, a->owner);
        if (r < 0) {
                a->fetching = false;
                wake(a, NULL, strerror(-r), false);
        }
}

void rauth_set(RAuth *a, const char *cred, uint64_t ttl_ms)
{
        uint64_t margin = ttl_ms / 10 < 60000 ? ttl_ms / 10 : 60000;

        drop_cred(a);
        a->fetching = false;
        a->cred = xstrdup(cred);
        a->expires_ms = ttl_ms ? uv_now(a->loop) + ttl_ms - margin : 0;
        wake(a, a->cred, NULL, false);
}

void rauth_fail(RAuth *a, const char *err, bool transient)
{
        a->fetching = false;
        wake(a, NULL, err, transient);
}

void rauth_invalidate(RAuth *a, const char *cred)
{
        if (a->cred && cred && !strcmp(a->cred, cred))
                drop_cred(a);
}

void rauth_done(RAuth *a)
{
        drop_cred(a);
        a->fetching = false;
        wake(a, NULL, "cancelled", true);
}
