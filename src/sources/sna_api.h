/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "common/retry.h"
#include "daemon/http.h"

/* Asynchronous client of the Secure Network Analytics (Stealthwatch) SMC
 * REST API (sna.md §2–§6), shared by the SNA source, the sna_hostgroup
 * responder and `secrespctl sna setup`.
 *
 * Session: a form login (POST /token/v2/authenticate) gives the cookie
 * `stealthwatch.jwt` and, from SMC 7.3.2, `XSRF-TOKEN`.  Every call sends
 * the cookies; every non-GET also sends `X-XSRF-TOKEN` when the SMC gave
 * one (older SMCs give none and want none).  The session is renewed before
 * it is `session_lifetime_ms` old (the SMC's is 20 minutes) and once on a
 * 401 (the call is then repeated once).  sna_api_shutdown() logs out
 * (DELETE /token) when a session is open.  Cookies are kept by this client,
 * not by libcurl's engine: the HTTP client is shared by every vendor, and
 * a per-SMC jar keeps one SMC's session away from other hosts.
 *
 * Tenant: a path may contain "{tenant}", replaced by the configured tenant
 * id, or by the only tenant of GET /sw-reporting/v1/tenants/ (discovered
 * once); several tenants and no configured id fail the call (-ENXIO).
 *
 * An operation returns 0 and later calls its callback exactly once, from
 * the loop (never from inside the call that started it), or returns a
 * negative errno and never calls it.  At most max_in_flight requests run
 * at once; the rest wait in FIFO order.  429 and 5xx are retried by the
 * HTTP client (Retry-After honoured).  The password is copied, never
 * logged, and wiped when the client is freed. */

typedef struct SnaApi SnaApi;
typedef struct uv_loop_s uv_loop_t;

/* The login failed (refused credentials, no session cookie): --once maps
 * it onto exit code 101 like the other sources' token failures. */
#define SNA_ERR_LOGIN (-ENOKEY)

#define SNA_DEFAULT_TIMEOUT_MS 30000L
#define SNA_DEFAULT_MAX_IN_FLIGHT 4u
#define SNA_DEFAULT_SESSION_LIFETIME_MS (19u * 60u * 1000u)     /* the SMC's is 20 min */
#define SNA_RETRY_DEFAULT                                                       \
        ((RetryPolicy) { .max_attempts = 5, .base_ms = 1000, .max_ms = 60000, .jitter = 0.5 })

typedef struct SnaApiOptions {
        /* "https://smc.example" ("https://" added when there is no scheme;
         * a trailing '/' dropped). */
        const char *url;
        const char *username;
        const char *password;
        int64_t tenant_id;              /* 0: discover the only tenant */
        long timeout_ms;                /* per attempt; 0: SNA_DEFAULT_TIMEOUT_MS */
        const char *ca_file;            /* NULL: the HTTP client's */
        bool tls_skip_verify;           /* explicit opt-out (the originals used verify=False) */
        unsigned max_in_flight;         /* 0: SNA_DEFAULT_MAX_IN_FLIGHT */
        uint64_t session_lifetime_ms;   /* 0: SNA_DEFAULT_SESSION_LIFETIME_MS */
        const RetryPolicy *retry;       /* NULL: SNA_RETRY_DEFAULT */
        const char *name;               /* for log lines; NULL: the URL */
        /* With http = NULL in sna_api_new(), the client makes its own
         * HttpClient with these options (NULL: the defaults) and closes it
         * after the logout: a shared client may be closed before the
         * logout of a stopping daemon has gone out. */
        const HttpClientOptions *http_options;
} SnaApiOptions;

/* How a call ended; valid during the callback only. */
typedef struct SnaStatus {
        /* 0; SNA_ERR_LOGIN; -EACCES (401 after a fresh login, 403: a refused
         * XSRF token or missing rights); -ENOENT (404); -ENXIO (no tenant);
         * -EAGAIN/-ETIMEDOUT (429/5xx/timeouts once retries are exhausted);
         * -EPROTO (an answer that is not JSON); -ECANCELED; other negative
         * errno values from the HTTP client. */
        int r;
        long http_status;               /* of the request that failed; 0 when none */
        /* "POST /sw-reporting/v1/tenants/132/...: HTTP 500: <message>";
         * NULL on success; never holds a secret. */
        const char *error;
} SnaStatus;

/* body: the parsed answer (NULL for an empty one); borrowed for the
 * callback's duration. */
typedef void (*SnaJsonCb)(void *userdata, const SnaStatus *st, const cJSON *body);

/* http: the caller's client, or NULL for a private one (see above). */
int sna_api_new(uv_loop_t *loop, HttpClient *http, const SnaApiOptions *opts, SnaApi **ret);

/* METHOD PATH ("{tenant}" replaced) with an optional JSON body. */
int sna_api_call(SnaApi *api, const char *method, const char *path, const char *json_body, SnaJsonCb cb,
                 void *userdata);

/* Flags of sna_api_call_full(). */
enum {
        SNA_CALL_NO_RETRY = 1 << 0,     /* not idempotent (a POST that creates): one attempt */
};
int sna_api_call_full(SnaApi *api, const char *method, const char *path, const char *json_body, unsigned flags,
                      SnaJsonCb cb, void *userdata);

/* The tenant id (configured or discovered); 0 before discovery. */
int64_t sna_api_tenant_id(const SnaApi *api);

/* Every pending call's callback runs with -ECANCELED (from the loop);
 * requests in flight are cancelled.  The client stays usable. */
void sna_api_cancel_all(SnaApi *api);

/* Cancels everything, logs out when a session is open (best effort, a
 * few seconds at most), then frees the client and calls cb from the
 * loop.  Returns 0 or -EALREADY. */
int sna_api_shutdown(SnaApi *api, void (*cb)(void *userdata), void *userdata);

typedef struct SnaApiStats {
        uint64_t requests;              /* API requests started, logins and logouts excluded */
        uint64_t logins;
        uint64_t logouts;
        unsigned running, queued;
} SnaApiStats;

void sna_api_get_stats(const SnaApi *api, SnaApiStats *ret);

