/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/retry.h"
#include "daemon/http.h"
#include "sources/vectra_model.h"

/* Asynchronous client of the Vectra Detect REST API, v2.5 (on-prem brains)
 * and v3.4 (SaaS), as VAR calls it (vectra.md §2.4, §2.7, §3).
 *
 * Everything runs on the caller's libuv loop through its HttpClient.  An
 * operation returns 0 and later calls its callback exactly once, always from
 * the loop (never from inside the call that started it), or returns a
 * negative errno and never calls it.
 *
 * Authentication: static token ("Authorization: Token …") or OAuth client
 * credentials ("Authorization: Bearer …").  The access token is obtained
 * before the first call and reused until expires_in − 100 s (half the
 * lifetime for lifetimes of 200 s and less); v3 renews it with the refresh
 * token and falls back to client credentials when that fails; v2.5 re-runs
 * client credentials (it issues no refresh token).  A 401 on an API call
 * gets a fresh token once and the call is retried once.  Secrets are
 * copied, never logged, and wiped when the client is freed.
 *
 * Lists follow `next` verbatim until it is null and deliver all pages or
 * fail as a whole: no partial result is ever delivered as a success.  A
 * `next` link on another origin is not followed there (the token would go
 * with it): its path and query are requested from the configured origin.
 * Every `tags=` query is re-checked exactly on the client side, since the
 * API matches substrings.
 *
 * At most max_in_flight requests of one client run at once; the rest wait
 * in a FIFO queue, so a fan-out of thousands of GET /hosts/{id} is paced.
 * 429 and 5xx are retried by the HTTP client's policy (Retry-After
 * honoured).
 *
 * Results: arrays of model objects (vectra_model.h).  The callback owns
 * them and frees them with vectra_hosts_free() and friends (which accept
 * NULL); the array is NULL when n = 0, and always on failure. */

typedef struct VectraApi VectraApi;
typedef struct uv_loop_s uv_loop_t;

typedef enum VectraVersion {
        VECTRA_VERSION_AUTO,            /* 3 iff the URL contains "portal.vectra.ai" */
        VECTRA_VERSION_2_5,
        VECTRA_VERSION_3,
        _VECTRA_VERSION_MAX,
        _VECTRA_VERSION_INVALID = -EINVAL,
} VectraVersion;

typedef enum VectraAuthMode {
        VECTRA_AUTH_TOKEN,              /* v2.5 legacy API token */
        VECTRA_AUTH_OAUTH,              /* API client: client id and secret */
        _VECTRA_AUTH_MAX,
        _VECTRA_AUTH_INVALID = -EINVAL,
} VectraAuthMode;

typedef enum VectraScoreOp {
        VECTRA_SCORE_AND,               /* threat >= T and certainty >= C: one query */
        VECTRA_SCORE_OR,                /* two queries, union by id */
        _VECTRA_SCORE_OP_MAX,
        _VECTRA_SCORE_OP_INVALID = -EINVAL,
} VectraScoreOp;

typedef enum VectraObjectKind {
        VECTRA_OBJECT_HOST,
        VECTRA_OBJECT_ACCOUNT,
        VECTRA_OBJECT_DETECTION,
        _VECTRA_OBJECT_MAX,
        _VECTRA_OBJECT_INVALID = -EINVAL,
} VectraObjectKind;

/* The token endpoint failed (no access token could be obtained): the
 * daemon's --once mode exits 101 on it. */
#define VECTRA_ERR_TOKEN (-ENOKEY)

#define VECTRA_DEFAULT_TIMEOUT_MS 30000L
#define VECTRA_DEFAULT_MAX_IN_FLIGHT 16u
#define VECTRA_MAX_PAGES 10000u
/* API calls: 5 attempts, 1 s doubling, at most 60 s apart (Retry-After too). */
#define VECTRA_RETRY_DEFAULT                                                    \
        ((RetryPolicy) { .max_attempts = 5, .base_ms = 1000, .max_ms = 60000, .jitter = 0.5 })
/* Token calls (vectra.md §3.2): 5 tries within about a minute. */
#define VECTRA_TOKEN_RETRY_DEFAULT                                              \
        ((RetryPolicy) { .max_attempts = 5, .base_ms = 1000, .max_ms = 30000, .jitter = 0.5 })

typedef struct VectraApiOptions {
        /* "https://brain.example", "http://127.0.0.1:8080" (the scheme is
         * kept; https:// is added when there is none); trailing '/' and a
         * trailing "/api/v2.5" or "/api/v3[.x]" are dropped. */
        const char *url;
        VectraVersion version;
        VectraAuthMode auth;
        const char *token;              /* VECTRA_AUTH_TOKEN (v2.5 only) */
        const char *client_id;          /* VECTRA_AUTH_OAUTH */
        const char *secret;             /* VECTRA_AUTH_OAUTH */
        unsigned page_size;             /* sent as page_size; 0: the server's default */
        long timeout_ms;                /* per attempt; 0: VECTRA_DEFAULT_TIMEOUT_MS */
        const char *ca_file;            /* NULL: the HTTP client's */
        bool tls_skip_verify;           /* explicit opt-in; VAR never verified */
        unsigned max_in_flight;         /* 0: VECTRA_DEFAULT_MAX_IN_FLIGHT */
        const RetryPolicy *retry;       /* NULL: VECTRA_RETRY_DEFAULT */
        const RetryPolicy *token_retry; /* NULL: VECTRA_TOKEN_RETRY_DEFAULT */
        const char *name;               /* for log lines, e.g. the brain's name; NULL: the URL */
} VectraApiOptions;

/* How an operation ended; valid during the callback only. */
typedef struct VectraStatus {
        /* 0; VECTRA_ERR_TOKEN; -EACCES (401/403 after the token retry, or a
         * rejected static token); -ENOENT (404); -EAGAIN/-ETIMEDOUT
         * (429/5xx/timeouts once retries are exhausted); -EPROTO (an answer
         * that is not what the API sends: bad JSON, wrong field types, …);
         * -ECANCELED (vectra_api_cancel_all() or shutdown); other negative
         * errno values from the HTTP client (-ECONNREFUSED, …). */
        int r;
        long http_status;               /* of the call that failed; 0 when none */
        /* "GET /api/v2.5/hosts?page=2: HTTP 500: <detail>": the call and
         * VAR's error text (vectra_error_text()), or the field at fault.
         * NULL on success.  Never contains a secret. */
        const char *error;
} VectraStatus;

typedef void (*VectraHostsCb)(void *userdata, const VectraStatus *st, VectraHost **hosts, size_t n);
typedef void (*VectraAccountsCb)(void *userdata, const VectraStatus *st, VectraAccount **accounts, size_t n);
typedef void (*VectraDetectionsCb)(void *userdata, const VectraStatus *st, VectraDetection **detections,
                                   size_t n);
typedef void (*VectraGroupsCb)(void *userdata, const VectraStatus *st, VectraGroup **groups, size_t n);
/* tags: NULL-terminated, owned by the callback (vectra_strv_free()). */
typedef void (*VectraTagsCb)(void *userdata, const VectraStatus *st, char **tags, size_t n);
typedef void (*VectraDoneCb)(void *userdata, const VectraStatus *st);

/* Returns 0, or -EINVAL for unusable options (no or bad URL, missing
 * credentials, token auth on v3, control characters in a credential). */
int vectra_api_new(uv_loop_t *loop, HttpClient *http, const VectraApiOptions *opts, VectraApi **ret);

/* Every pending operation's callback runs with -ECANCELED (from the loop);
 * requests in flight are cancelled.  The client stays usable. */
void vectra_api_cancel_all(VectraApi *api);

/* Cancels everything, refuses new operations (-ESHUTDOWN), and once every
 * callback has run and every request is gone, frees the client and calls
 * cb from the loop.  The HttpClient is not touched (it is the caller's).
 * Returns 0, or -EALREADY. */
int vectra_api_shutdown(VectraApi *api, void (*cb)(void *userdata), void *userdata);

/* The version in use (never AUTO) and the API base ("https://b/api/v2.5"). */
VectraVersion vectra_api_version(const VectraApi *api);
const char *vectra_api_base(const VectraApi *api);

typedef struct VectraApiStats {
        unsigned operations;            /* started, callback not yet run */
        unsigned running;               /* API requests in the HTTP client */
        unsigned queued;                /* API requests waiting for a slot or a token */
        unsigned max_running;           /* highest `running` seen */
        uint64_t requests;              /* API requests started (401 retries included) */
        uint64_t token_requests;        /* token endpoint requests started */
} VectraApiStats;

void vectra_api_get_stats(const VectraApi *api, VectraApiStats *ret);

/* ---- hosts (vectra.md §2.4) --------------------------------------------- */

/* GET /hosts?tags=<tag>: the hosts whose tags contain <tag> exactly. */
int vectra_api_hosts_by_tag(VectraApi *api, const char *tag, VectraHostsCb cb, void *userdata);
/* GET /hosts?threat_gte=T&certainty_gte=C ("and"), or the union by id of
 * ?threat_gte=T and ?certainty_gte=C ("or"). */
int vectra_api_hosts_by_score(VectraApi *api, int threat, int certainty, VectraScoreOp op,
                              VectraHostsCb cb, void *userdata);
/* v3 only (-EOPNOTSUPP on v2.5): GET /entities?type=host&ordering=-urgency_score,
 * walked in the server's order up to the first entity below min_urgency
 * (no further page is requested), then GET /hosts/{id} for each kept one
 * (404s left out). */
int vectra_api_hosts_by_urgency(VectraApi *api, double min_urgency, VectraHostsCb cb, void *userdata);
/* GET /hosts/{id}: n = 1; a 404 fails with -ENOENT. */
int vectra_api_host_get(VectraApi *api, int64_t id, VectraHostsCb cb, void *userdata);
/* GET /hosts/{id} for each distinct id (n may be 0), paced by
 * max_in_flight; in the order of ids; ids that answer 404 are left out. */
int vectra_api_hosts_get(VectraApi *api, const int64_t *ids, size_t n, VectraHostsCb cb, void *userdata);
/* The members of every host group named exactly <name> (GET
 * /groups?name=<name>&type=host, then GET /hosts/{id} per member, 404s left
 * out).  An empty name is refused (-EINVAL): "no group" is the caller's. */
int vectra_api_group_hosts(VectraApi *api, const char *name, VectraHostsCb cb, void *userdata);
/* The source hosts of the active detections of these types (GET
 * /detections?detection_type=X&state=active per type, then GET /hosts/{id}
 * per distinct src_host.id).  Score gating (strict >) is the caller's. */
int vectra_api_hosts_by_detection_types(VectraApi *api, const char *const *types, size_t n_types,
                                        VectraHostsCb cb, void *userdata);

/* ---- accounts (vectra.md §2.7) ------------------------------------------ */

int vectra_api_accounts_by_tag(VectraApi *api, const char *tag, VectraAccountsCb cb, void *userdata);
/* v2.5: threat_gte/certainty_gte; v3: t_score_gte/c_score_gte. */
int vectra_api_accounts_by_score(VectraApi *api, int threat, int certainty, VectraScoreOp op,
                                 VectraAccountsCb cb, void *userdata);
/* v3 only: GET /entities?type=account&ordering=-urgency_score, then
 * GET /accounts/{id}. */
int vectra_api_accounts_by_urgency(VectraApi *api, double min_urgency, VectraAccountsCb cb, void *userdata);
int vectra_api_account_get(VectraApi *api, int64_t id, VectraAccountsCb cb, void *userdata);
int vectra_api_accounts_get(VectraApi *api, const int64_t *ids, size_t n, VectraAccountsCb cb, void *userdata);
/* GET /accounts?uid=<uid> for each uid (every page), union by id. */
int vectra_api_accounts_by_uid(VectraApi *api, const char *const *uids, size_t n, VectraAccountsCb cb,
                               void *userdata);
/* Account groups named exactly <name>: GET /groups?name=<name>&type=account,
 * then the members by uid. */
int vectra_api_group_accounts(VectraApi *api, const char *name, VectraAccountsCb cb, void *userdata);
/* Source accounts (src_account.id) of the active detections of these
 * types; detections without a source account are skipped. */
int vectra_api_accounts_by_detection_types(VectraApi *api, const char *const *types, size_t n_types,
                                           VectraAccountsCb cb, void *userdata);

/* ---- groups ------------------------------------------------------------- */

/* GET /groups?name=<name>&type=<type> ("host" or "account"), keeping only
 * the groups whose name is exactly <name>. */
int vectra_api_groups(VectraApi *api, const char *name, const char *type, VectraGroupsCb cb, void *userdata);

/* ---- detections (vectra.md §2.7) ---------------------------------------- */

/* GET /detections?tags=<tag>, re-checked exactly. */
int vectra_api_detections_by_tag(VectraApi *api, const char *tag, VectraDetectionsCb cb, void *userdata);
/* GET /detections?detection_type=<type>&state=active. */
int vectra_api_detections_by_type(VectraApi *api, const char *type, VectraDetectionsCb cb, void *userdata);
/* GET /detections/{id}: n = 1, or n = 0 with success when it is gone (404). */
int vectra_api_detection_get(VectraApi *api, int64_t id, VectraDetectionsCb cb, void *userdata);
/* GET /detections/{id} for each distinct id, 404s left out. */
int vectra_api_detections_get(VectraApi *api, const int64_t *ids, size_t n, VectraDetectionsCb cb,
                              void *userdata);
/* The detections of a host or an account: GET /hosts/{id}?fields=detection_set
 * (or /accounts/…), the last path segment of each URL, then GET
 * /detections/{id} for each (404s left out).  A host or account that is
 * gone (404) has no detections. */
int vectra_api_detection_set(VectraApi *api, VectraObjectKind kind, int64_t id, VectraDetectionsCb cb,
                             void *userdata);

/* ---- write-back (vectra.md §2.2, §3.3) ---------------------------------- */

/* PATCH /tagging/{host|account|detection}/{id} {"tags":[…]}: replaces the
 * whole tag list.  An answer with "status" other than "success" fails
 * (-EPROTO). */
int vectra_api_set_tags(VectraApi *api, VectraObjectKind kind, int64_t id, const char *const *tags, size_t n,
                        VectraDoneCb cb, void *userdata);
/* GET /tagging/{host|account|detection}/{id}. */
int vectra_api_get_tags(VectraApi *api, VectraObjectKind kind, int64_t id, VectraTagsCb cb, void *userdata);
/* POST /{hosts|accounts|detections}/{id}/notes {"note":"…"}. */
int vectra_api_add_note(VectraApi *api, VectraObjectKind kind, int64_t id, const char *note, VectraDoneCb cb,
                        void *userdata);

const char *vectra_version_to_string(VectraVersion v);
VectraVersion vectra_version_from_string(const char *s);        /* "2.5", "3", "auto" */
const char *vectra_auth_mode_to_string(VectraAuthMode m);
VectraAuthMode vectra_auth_mode_from_string(const char *s);     /* "token", "oauth" */
const char *vectra_score_op_to_string(VectraScoreOp op);
VectraScoreOp vectra_score_op_from_string(const char *s);       /* "and", "or" */
