/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "common/strv.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "responders/rjob.h"

typedef struct Call {
        RJob *j;
        RJobReq req;                    /* strings owned */
        RJobHttpCb cb;
        char *cred;                     /* the credential sent, to drop it after a refusal */
        bool resent;
} Call;

void rclient_init(RClient *c, Responder *r, const RHttpConf *conf, void *owner)
{
        rhttp_init(&c->http, r, conf);
        c->owner = owner;
}

void rclient_done(RClient *c)
{
        if (c->has_auth)
                rauth_done(&c->auth);
        c->has_auth = false;
}

void rclient_cancel_all(RClient *c)
{
        for (RJob *j = c->jobs, *next; j; j = next) {
                next = j->next;
                j->cancelled = true;
                /* a pause ends now; requests end through rhttp_cancel_all */
                if (j->on_timer && uv_is_active((uv_handle_t *) &j->timer)) {
                        uv_timer_stop(&j->timer);
                        j->on_timer = NULL;
                        j->pending--;
                        rjob_fail(j, -ECANCELED, true, "cancelled");
                        rjob_finish(j);
                }
        }
        rhttp_cancel_all(&c->http);
}

RJob *rjob_new(RClient *c, Responder *r, size_t size, ResponderDone cb, void *userdata)
{
        RJob *j = xcalloc(1, size < sizeof(RJob) ? sizeof(RJob) : size);

        j->client = c;
        j->resp = r;
        j->cb = cb;
        j->userdata = userdata;
        (void) uv_timer_init(r->loop, &j->timer);
        j->timer.data = j;
        j->next = c->jobs;
        if (c->jobs)
                c->jobs->prev = j;
        c->jobs = j;
        return j;
}

static void call_free(Call *x)
{
        free((char *) x->req.method);
        free((char *) x->req.path);
        free((char *) x->req.body);
        free((char *) x->req.content_type);
        free((char *) x->req.accept);
        rjob_wipe_free(x->cred);
        free(x);
}

static char *dup0(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static void send_call(Call *x, const char *cred);

static bool refused(RClient *c, const HttpResponse *resp)
{
        if (c->auth_failed)
                return c->auth_failed(c->owner, resp);
        return resp->status == 401;
}

static void on_response(const HttpResponse *resp, void *userdata)
{
        Call *x = userdata;
        RJob *j = x->j;
        RClient *c = j->client;

        if (c->fetch && !x->req.no_auth && !x->resent && !j->cancelled && refused(c, resp)) {
                /* expired or revoked: one new credential, one more try */
                rauth_invalidate(&c->auth, x->cred);
                x->resent = true;
                rjob_wipe_free(x->cred);
                x->cred = NULL;
                send_call(x, NULL);
                return;
        }
        j->pending--;
        x->cb(j, resp);
        call_free(x);
}

static void on_cred(void *userdata, const char *cred, const char *err, bool transient)
{
        Call *x = userdata;
        RJob *j = x->j;

        if (!cred) {
                j->pending--;
                rjob_fail(j, transient ? -EAGAIN : -EACCES, transient, "%s", err ? err : "no credential");
                call_free(x);
                rjob_finish(j);
                return;
        }
        x->cred = xstrdup(cred);
        send_call(x, cred);
}

static void send_call(Call *x, const char *cred)
{
        RJob *j = x->j;
        RClient *c = j->client;
        char **h, **all = NULL;
        _cleanup_free_ char *accept = NULL;
        int r;

        if (c->fetch && !x->req.no_auth && !cred) {
                if (!c->has_auth) {
                        rauth_init(&c->auth, j->resp->loop, c->fetch, c->owner);
                        c->has_auth = true;
                }
                rauth_get(&c->auth, on_cred, x);
                return;
        }
        if (j->cancelled) {
                j->pending--;
                rjob_fail(j, -ECANCELED, true, "cancelled");
                call_free(x);
                rjob_finish(j);
                return;
        }
        h = c->headers ? c->headers(c->owner, cred, &x->req) : NULL;
        accept = xasprintf("Accept: %s", x->req.accept ? x->req.accept : "application/json");
        all = strv_push(all, accept);
        for (char **p = h; p && *p; p++)
                all = strv_push(all, *p);
        rjob_wipe_strv(h);
        r = rhttp_start(&c->http,
                        &(RHttpRequest) {
                                .method = x->req.method,
                                .path = x->req.path,
                                .headers = (const char *const *) all,
                                .body = x->req.body,
                                .content_type = x->req.content_type,
                                .no_retry = x->req.no_retry,
                        },
                        on_response, x);
        rjob_wipe_strv(all);
        if (r < 0) {
                j->pending--;
                rjob_fail(j, r, r == -ENOTCONN || r == -ESHUTDOWN, "%s %s: cannot start the request: %s",
                          x->req.method ? x->req.method : "GET", x->req.path, strerror(-r));
                call_free(x);
                rjob_finish(j);
        }
}

int rjob_http(RJob *j, const RJobReq *req, RJobHttpCb cb)
{
        Call *x;

        if (j->cancelled) {
                rjob_fail(j, -ECANCELED, true, "cancelled");
                rjob_finish(j);
                return -ECANCELED;
        }
        x = xnew(Call, 1);
        x->j = j;
        x->cb = cb;
        x->req = (RJobReq) {
                .method = dup0(req->method),
                .path = dup0(req->path),
                .body = dup0(req->body),
                .content_type = dup0(req->content_type),
                .accept = dup0(req->accept),
                .no_auth = req->no_auth,
                .no_retry = req->no_retry,
                .tag = req->tag,
        };
        j->pending++;
        send_call(x, NULL);
        return 0;
}

static void on_timer(uv_timer_t *t)
{
        RJob *j = t->data;
        void (*fn)(RJob *) = j->on_timer;

        j->on_timer = NULL;
        j->pending--;
        if (fn)
                fn(j);
}

int rjob_sleep(RJob *j, uint64_t ms, void (*fn)(RJob *j))
{
        if (j->cancelled) {
                rjob_fail(j, -ECANCELED, true, "cancelled");
                rjob_finish(j);
                return -ECANCELED;
        }
        j->on_timer = fn;
        j->pending++;
        (void) uv_timer_start(&j->timer, on_timer, ms, 0);
        return 0;
}

void rjob_detail(RJob *j, const char *fmt, ...)
{
        va_list ap;

        free(j->detail);
        va_start(ap, fmt);
        j->detail = xvasprintf(fmt, ap);
        va_end(ap);
}

void rjob_ok(RJob *j, const char *element)
{
        if (!strv_contains(j->elements, element))
                j->elements = strv_push(j->elements, element);
}

void rjob_fail(RJob *j, int r, bool transient, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (j->r == 0)
                j->r = r < 0 ? r : -EIO;
        j->transient = j->transient || transient;
        if (j->error) {
                /* the first failures say most; keep the text short */
                if (strlen(j->error) < 400) {
                        char *joined = xasprintf("%s; %s", j->error, msg);
                        free(j->error);
                        j->error = joined;
                }
                free(msg);
        } else
                j->error = msg;
}

void rjob_fail_http(RJob *j, const HttpResponse *resp, const char *what)
{
        _cleanup_free_ char *e = rhttp_error(resp, what);
        bool transient = rhttp_transient(resp);
        int r = transient ? (resp->r < 0 ? resp->r : -EAGAIN) :
                resp->status == 401 || resp->status == 403 ? -EACCES :
                resp->r < 0 ? resp->r : -EPROTO;

        rjob_fail(j, r, transient, "%s", e);
}

static void on_closed(uv_handle_t *h)
{
        RJob *j = h->data;
        ResponderResult res = {
                .r = j->r,
                .transient = j->r < 0 && j->transient,
                .elements = j->r == 0 ? j->elements : NULL,
                .n_elements = j->r == 0 ? strv_length(j->elements) : 0,
                .error = j->r < 0 ? (j->error ? j->error : "failed") : j->detail,
        };

        j->cb(j->userdata, &res);
        if (j->cleanup)
                j->cleanup(j);
        strv_free(j->elements);
        free(j->error);
        free(j->detail);
        free(j);
}

void rjob_finish(RJob *j)
{
        RClient *c = j->client;

        if (j->finished)
                return;
        j->finished = true;
        if (j->prev)
                j->prev->next = j->next;
        else
                c->jobs = j->next;
        if (j->next)
                j->next->prev = j->prev;
        /* the close callback runs from the loop, never inside block() */
        uv_close((uv_handle_t *) &j->timer, on_closed);
}

char *rjob_escape(const char *s)
{
        return pct_encode(s, NULL);
}

char *rjob_basic(const char *user, const char *pass)
{
        _cleanup_free_ char *plain = xasprintf("%s:%s", user ? user : "", pass ? pass : "");
        size_t n = strlen(plain);
        char *enc = xmalloc(4 * ((n + 2) / 3) + 1), *hdr;

        (void) EVP_EncodeBlock((unsigned char *) enc, (const unsigned char *) plain, (int) n);
        hdr = xasprintf("Authorization: Basic %s", enc);
        OPENSSL_cleanse(plain, n);
        rjob_wipe_free(enc);
        return hdr;
}

void rjob_wipe_free(char *s)
{
        if (s)
                OPENSSL_cleanse(s, strlen(s));
        free(s);
}

void rjob_wipe_strv(char **v)
{
        for (char **p = v; p && *p; p++)
                OPENSSL_cleanse(*p, strlen(*p));
        strv_free(v);
}
