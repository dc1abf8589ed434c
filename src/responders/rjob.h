/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include "responders/rhttp.h"

/* One responder call made of several vendor requests in sequence (look an
 * IP up, then act on each MAC found), as the NAC and endpoint modules do:
 * the elements it gathers, its first failure, delivery of the result from
 * the loop, a timer for the pauses a vendor needs, and cancellation.
 *
 * A module embeds an RClient (its HTTP settings, an optional credential
 * cache and how a credential becomes headers) and starts RJobs on it:
 *
 *   j = rjob_new(&m->client, r, sizeof(IseJob), cb, userdata);
 *   rjob_http(j, &(RJobReq) { .path = "/ers/...", .method = "PUT", .body = b }, on_applied);
 *   ... on_applied(j, resp): rjob_ok(j, mac) or rjob_fail_http(j, resp, "ISE apply"); next step ...
 *   rjob_finish(j);   // exactly once: the result goes to cb from the loop
 *
 * With a credential cache, a call that the vendor refuses as unauthorised
 * (client->auth_failed, default: HTTP 401) drops the credential, fetches a
 * new one and is sent once more; a credential that cannot be had ends the
 * job (its callback is not called). */

typedef struct RJob RJob;
typedef struct RClient RClient;
struct RJobReq;

typedef void (*RJobHttpCb)(RJob *j, const HttpResponse *resp);

struct RClient {
        RHttp http;
        RAuth auth;
        bool has_auth;                  /* rauth_init'ed lazily on the first call (needs the loop) */
        RAuthFetch fetch;               /* NULL: no credential cache */
        void *owner;                    /* the module's private state, for fetch and headers */
        /* The headers of one request: a NULL-terminated list, owned by the
         * caller.  cred is NULL for calls made without the cache; req is
         * the request (NULL for the module's own calls). */
        char **(*headers)(void *owner, const char *cred, const struct RJobReq *req);
        /* NULL: status 401 means the credential is no longer good. */
        bool (*auth_failed)(void *owner, const HttpResponse *resp);
        RJob *jobs;                     /* in flight, for cancel_all */
};

typedef struct RJobReq {
        const char *method;             /* NULL: GET */
        const char *path;
        const char *body;
        const char *content_type;       /* NULL: application/json */
        const char *accept;             /* NULL: application/json */
        bool no_auth;                   /* do not fetch or send the cached credential */
        bool no_retry;                  /* see RHttpRequest */
        int tag;                        /* the module's, e.g. which service */
} RJobReq;

struct RJob {
        RClient *client;
        Responder *resp;
        ResponderDone cb;
        void *userdata;
        char **elements;                /* NULL-terminated */
        int r;                          /* first failure, 0 */
        bool transient;
        char *error;                    /* failures joined with "; " */
        char *detail;                   /* on success, what was done (the test op) */
        bool cancelled, finished;
        uv_timer_t timer;
        void (*on_timer)(RJob *j);
        unsigned pending;               /* requests and waits in flight */
        /* Frees the module's part; runs once, after the result went out,
         * however the job ended (a cancelled request ends it too). */
        void (*cleanup)(RJob *j);
        RJob *prev, *next;
        /* the module's own state follows (size given to rjob_new) */
};

void rclient_init(RClient *c, Responder *r, const RHttpConf *conf, void *owner);
/* Credentials go; call from the module's done(). */
void rclient_done(RClient *c);
/* For ops.cancel_all: every job ends with -ECANCELED (transient). */
void rclient_cancel_all(RClient *c);

/* A job of `size` bytes (at least sizeof(RJob)), zeroed past the header. */
RJob *rjob_new(RClient *c, Responder *r, size_t size, ResponderDone cb, void *userdata);
/* Starts a request; its answer goes to cb.  A request that cannot start,
 * a credential that cannot be had, or cancellation finish the job with
 * that failure, and cb is never called: a step starts its next request as
 * its last action and returns. */
int rjob_http(RJob *j, const RJobReq *req, RJobHttpCb cb);
/* Calls fn(j) after ms milliseconds (a vendor's pause); when cancelled,
 * finishes the job instead. */
int rjob_sleep(RJob *j, uint64_t ms, void (*fn)(RJob *j));

/* On success, res.error describes what was checked (the test op). */
void rjob_detail(RJob *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records an element (copied; duplicates are kept once). */
void rjob_ok(RJob *j, const char *element);
void rjob_fail(RJob *j, int r, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Records a failed vendor answer: transient for 408/429/5xx/network,
 * -EACCES for 401/403, else -EPROTO; the text from rhttp_error(). */
void rjob_fail_http(RJob *j, const HttpResponse *resp, const char *what);
/* Delivers the result from the loop: success with the elements unless a
 * failure was recorded.  The job is freed after cb returns. */
void rjob_finish(RJob *j);

/* URL-encodes s for a query string or a path segment (malloc'ed). */
char *rjob_escape(const char *s);

/* "Authorization: Basic base64(user:pass)" (malloc'ed; wipe it with
 * rjob_wipe_free()).  pass may be NULL ("user:"). */
char *rjob_basic(const char *user, const char *pass);
void rjob_wipe_free(char *s);
/* For RClient.headers: frees a list whose strings may hold credentials. */
void rjob_wipe_strv(char **v);
