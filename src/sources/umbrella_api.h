/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/http.h"
#include "sources/umbrella_model.h"

/* Asynchronous client of Umbrella's token, Reporting v2 and Investigate
 * APIs (umbrella.md §3), on the caller's loop through its HttpClient.
 *
 * An operation returns 0 and later calls its callback exactly once, from
 * the loop (never from inside the call that started it), or returns a
 * negative errno and never calls it.
 *
 * Authentication: OAuth client credentials (HTTP Basic key:secret, form
 * body grant_type=client_credentials) on the configured token URL, the new
 * api.umbrella.com one or the legacy management one.  The token is reused
 * until expires_in − 60 s; a 401 on a call drops it and the call is made
 * once more with a fresh one.  Investigate uses the same token, or a
 * static legacy token when one is given.
 *
 * Redirects are followed here, not by libcurl (which drops the
 * Authorization header on another host): at most 5, and only to hosts in
 * redirect_domains (or their subdomains), with the same bearer token.
 *
 * Pacing: at most max_in_flight requests per API (reports, Investigate)
 * at once; the rest wait in a FIFO queue.  429 and 5xx are retried by the
 * HTTP client (Retry-After honoured).  Lists page with offset + limit
 * until a short page, and fail as a whole. */

typedef struct UmbrellaApi UmbrellaApi;
typedef struct uv_loop_s uv_loop_t;

/* The token endpoint gave no token: the original's exit 101. */
#define UMBRELLA_ERR_TOKEN (-ENOKEY)
#define UMBRELLA_MAX_PAGES 1000u

typedef struct UmbrellaApiOptions {
        const char *token_url;
        const char *reports_url;        /* base; "{organization_id}" is replaced by org_id */
        const char *investigate_url;    /* the domain is appended */
        const char *org_id;
        const char *key, *secret;       /* copied, wiped on free, never logged */
        const char *investigate_token;  /* NULL: the OAuth token */
        const char *const *redirect_domains;
        unsigned max_in_flight;         /* per API; 0: 20 */
        long timeout_ms;                /* 0: 30 s */
        const char *ca_file;
        bool tls_skip_verify;
} UmbrellaApiOptions;

/* How an operation ended; valid during the callback only. */
typedef struct UmbrellaStatus {
        /* 0; UMBRELLA_ERR_TOKEN; -EACCES (401/403 after a fresh token);
         * -EIO (another non-2xx answer, http_status says which); -EPROTO
         * (an answer that is not what the API sends, a redirect refused);
         * -ECANCELED; other negative errno values from the HTTP client. */
        int r;
        long http_status;               /* of the call that failed; 0 when none */
        const char *error;              /* "GET /reports/v2/activity/dns: HTTP 500: ...", no secret */
} UmbrellaStatus;

typedef struct UmbrellaQuery {
        const char *from, *to;          /* "-30days", "now" */
        unsigned limit;                 /* page size */
        const char *identity_type;      /* top identities: "anyconnect"; NULL or "": any */
        const int64_t *categories;      /* activity filter */
        size_t n_categories;
} UmbrellaQuery;

typedef void (*UmbrellaIdentitiesCb)(void *userdata, const UmbrellaStatus *st, UmbIdentity *v, size_t n);
/* acc is the callback's to keep (umb_activity_done()); finished (unique). */
typedef void (*UmbrellaActivityCb)(void *userdata, const UmbrellaStatus *st, UmbActivity *acc);
typedef void (*UmbrellaRiskCb)(void *userdata, const UmbrellaStatus *st, const char *domain, int score);
typedef void (*UmbrellaCategoriesCb)(void *userdata, const UmbrellaStatus *st, UmbCategory *v, size_t n);

int umbrella_api_new(uv_loop_t *loop, HttpClient *http, const UmbrellaApiOptions *o, UmbrellaApi **ret);
void umbrella_api_cancel_all(UmbrellaApi *api);
/* Cancels everything, refuses new operations, and once every callback has
 * run frees the client and calls cb from the loop. */
int umbrella_api_shutdown(UmbrellaApi *api, void (*cb)(void *userdata), void *userdata);

typedef struct UmbrellaApiStats {
        uint64_t requests;              /* API requests started (redirects and 401 retries included) */
        uint64_t token_requests;
        uint64_t investigate_requests;
        uint64_t redirects;
        unsigned max_running[2];        /* reports, Investigate */
} UmbrellaApiStats;
void umbrella_api_get_stats(const UmbrellaApi *api, UmbrellaApiStats *ret);

/* GET <reports>/top-identities, every page; the callback owns v. */
int umbrella_api_top_identities(UmbrellaApi *api, const UmbrellaQuery *q, UmbrellaIdentitiesCb cb, void *userdata);
/* GET <reports>/activity/dns?identityids=<id>&categories=..., every page. */
int umbrella_api_activity(UmbrellaApi *api, const UmbrellaQuery *q, int64_t identity_id, UmbrellaActivityCb cb,
                          void *userdata);
/* GET <investigate><domain>.  -EINVAL for a domain unfit for a URL. */
int umbrella_api_risk_score(UmbrellaApi *api, const char *domain, UmbrellaRiskCb cb, void *userdata);
/* GET <reports>/categories; the callback owns v. */
int umbrella_api_categories(UmbrellaApi *api, UmbrellaCategoriesCb cb, void *userdata);
