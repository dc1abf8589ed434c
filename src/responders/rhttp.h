/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "daemon/http.h"
#include "responders/responder.h"
#include "responders/rsettings.h"

/* What the HTTP responders share: the common settings, calls relative to
 * the product's base URL on the daemon's HTTP client, their cancellation,
 * how a vendor answer becomes a ResponderResult, and a credential cache
 * (token, session id, cookie) fetched once for all concurrent calls. */

typedef struct RHttpConf {
        char *url;                      /* base URL, no trailing '/' */
        char *ca_file;                  /* NULL: http.ca_file, else the system store */
        bool tls_verify;                /* false only when written in the config */
        uint64_t timeout_ms;            /* per attempt */
        /* TLS client authentication (pxGrid), set by the module: PEM
         * files, and the key's password (a secret's value, not owned). */
        const char *client_cert;
        const char *client_key;
        const char *client_key_password;
} RHttpConf;

/* The four settings, for a module's RsOpt table; `var` is the original's
 * name of the URL setting (e.g. "FORTI_URL"), or NULL. */
#define RHTTP_OPTS(T, field, var_url)                                                           \
        { "url", RS_URL, offsetof(T, field.url), .required = true, .var = var_url },            \
        { "ca_file", RS_PATH, offsetof(T, field.ca_file) },                                    \
        { "tls_verify", RS_BOOL, offsetof(T, field.tls_verify), .def = "true" },                \
        { "timeout", RS_DURATION, offsetof(T, field.timeout_ms), 1, 600, .def = "30s" }

typedef struct RHttpCall RHttpCall;

/* Embedded in a module's private state. */
typedef struct RHttp {
        Responder *resp;
        const RHttpConf *conf;
        RHttpCall *calls;               /* in flight, for cancel_all */
        unsigned n_calls;
} RHttp;

typedef struct RHttpRequest {
        const char *method;             /* NULL: GET */
        const char *path;               /* appended to conf->url; a full http(s) URL is used as is */
        const char *const *headers;     /* NULL-terminated "Name: value" lines */
        const char *body;
        size_t body_len;                /* 0: strlen(body) */
        const char *content_type;       /* with a body; NULL: application/json */
        /* Non-idempotent calls (POST that creates, commits) are not retried
         * by the HTTP client: the reconciler decides after reading state. */
        bool no_retry;
} RHttpRequest;

typedef void (*RHttpCb)(const HttpResponse *resp, void *userdata);

void rhttp_init(RHttp *h, Responder *resp, const RHttpConf *conf);
/* 0, or a negative errno (then cb is never called). cb runs from the loop;
 * with -ECANCELED when rhttp_cancel_all() or the daemon's shutdown ends
 * the call. */
int rhttp_start(RHttp *h, const RHttpRequest *req, RHttpCb cb, void *userdata);
void rhttp_cancel_all(RHttp *h);

/* 2xx. */
bool rhttp_ok(const HttpResponse *resp);
/* Worth another try later: 408, 429, 5xx but 501/505, network, timeouts,
 * cancellation. */
bool rhttp_transient(const HttpResponse *resp);
/* "<what>: HTTP 404: <start of the body>" or "<what>: <network error>",
 * printable and short, for ResponderResult.error (malloc'ed). */
char *rhttp_error(const HttpResponse *resp, const char *what);
/* The body as JSON, or NULL. */
cJSON *rhttp_json(const HttpResponse *resp);

/* ---- credential cache ---------------------------------------------------- */

typedef struct RAuthWaiter RAuthWaiter;
typedef struct RAuth RAuth;

/* cred is the credential on success; NULL with err (and transient) set on
 * failure. */
typedef void (*RAuthReady)(void *userdata, const char *cred, const char *err, bool transient);
/* Starts fetching; later calls rauth_set() or rauth_fail(), from the loop. */
typedef int (*RAuthFetch)(RAuth *a, void *owner);

struct RAuth {
        char *cred;                     /* wiped when dropped */
        uint64_t expires_ms;            /* uv_now() scale; 0: until invalidated */
        bool fetching;
        RAuthWaiter *waiters;
        RAuthFetch fetch;
        void *owner;
        uv_loop_t *loop;
};

void rauth_init(RAuth *a, uv_loop_t *loop, RAuthFetch fetch, void *owner);
/* Calls cb with a valid credential: at once when one is cached, else after
 * the one fetch that every concurrent caller shares. */
void rauth_get(RAuth *a, RAuthReady cb, void *userdata);
/* ttl_ms 0: no expiry; a margin of 10 % (at most 60 s) is taken off. */
void rauth_set(RAuth *a, const char *cred, uint64_t ttl_ms);
void rauth_fail(RAuth *a, const char *err, bool transient);
/* After a 401 with `cred`: drops it unless a newer one already replaced it. */
void rauth_invalidate(RAuth *a, const char *cred);
/* Waiters get "cancelled"; the credential is wiped. */
void rauth_done(RAuth *a);
