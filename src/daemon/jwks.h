/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/jwt.h"

/* The JWKS cache of the RS256 relays (relays.md §4.2, §4.5, §9 row 10), on
 * the daemon's libuv loop through the HTTP client (http.h).
 *
 *   - keys are cached by (jwks_host, kid) for a TTL (default 1 h);
 *   - an unknown or expired kid fetches https://<jwks_host>/.well-known/jwks,
 *     at most once per refetch interval and host (default 10 s); lookups
 *     for a host whose fetch is under way wait for that fetch (coalesced);
 *     a successful fetch replaces the host's keys (a key dropped from the
 *     JWKS is forgotten), a failed one keeps them until their TTL;
 *   - jwks_host must be a plain DNS name matching the allow-list, checked
 *     before anything is sent;
 *   - one fetch attempt, with a timeout (default 5 s), no redirects, TLS
 *     verified; the body must be a JWKS (jwk_set_parse()).
 *
 * Everything runs on the loop's thread. */

typedef struct uv_loop_s uv_loop_t;
typedef struct HttpClient HttpClient;
typedef struct JwksCache JwksCache;
typedef struct JwksLookup JwksLookup;

#define JWKS_DEFAULT_TTL_MS (3600 * UINT64_C(1000))
#define JWKS_DEFAULT_REFETCH_INTERVAL_MS (10 * UINT64_C(1000))
#define JWKS_DEFAULT_TIMEOUT_MS 5000L
#define JWKS_DEFAULT_MAX_HOSTS 64u
#define JWKS_DEFAULT_URL_TEMPLATE "https://{host}/.well-known/jwks"
#define JWKS_HOST_MAX 253

/* NULL-terminated: visibility.amp.cisco.com, visibility.eu.amp.cisco.com,
 * visibility.apjc.amp.cisco.com, visibility.*.amp.cisco.com,
 * visibility.*.cisco.com. */
extern const char *const jwks_default_allowed_hosts[];

/* Zero/NULL fields take the defaults above.  Strings are copied. */
typedef struct JwksOptions {
        /* Host patterns: a DNS name, where a label may be "*" (exactly
         * one label, never empty, never a dot).  Case-insensitive.  NULL:
         * jwks_default_allowed_hosts; an empty vector allows no host. */
        const char *const *allowed_hosts;
        /* "https://...{host}...": every "{host}" is replaced by the
         * (checked, lower-cased) jwks_host.  For tests, e.g.
         * "https://127.0.0.1:8443/{host}/.well-known/jwks". */
        const char *url_template;
        const char *ca_file;            /* NULL: the HTTP client's */
        uint64_t ttl_ms;
        uint64_t refetch_interval_ms;   /* minimum time between two fetches for one host */
        long timeout_ms;                /* of a fetch */
        unsigned max_hosts;             /* hosts cached; the least recently used idle one goes */
} JwksOptions;

/* Statistics since the cache was made (for metrics and status). */
typedef struct JwksStats {
        uint64_t lookups;               /* jwks_get_key() and jwks_get_cached() calls */
        uint64_t hits;                  /* answered from the cache */
        uint64_t fetches;               /* JWKS requests started */
        uint64_t fetch_failures;        /* of those, failed or malformed */
        uint64_t coalesced;             /* lookups that joined a fetch under way */
        uint64_t rate_limited;          /* lookups refused without a fetch (refetch interval) */
        uint64_t refused_hosts;         /* jwks_host missing, invalid or not allowed */
        uint64_t unknown_kids;          /* lookups answered JWT_ERR_KID_UNKNOWN */
        unsigned hosts;                 /* currently cached */
        unsigned keys;
        unsigned fetches_in_flight;
} JwksStats;

/* -EINVAL for a bad pattern or template (the reason in *ret_why when not
 * NULL, static), or 0.  `http` is borrowed and must outlive the cache. */
int jwks_cache_new(uv_loop_t *loop, HttpClient *http, const JwksOptions *o, JwksCache **ret,
                   const char **ret_why);

/* The result of a lookup: r == 0 and a key, or r < 0, key NULL and the
 * reason in `error` (JWT_ERR_JWKS_HOST_MISSING, _JWKS_HOST_NOT_ALLOWED,
 * _KID_MISSING, _KID_UNKNOWN, _JWKS_FETCH_FAILED, _JWKS_MALFORMED); r is
 * -ECANCELED after jwks_lookup_cancel() or jwks_cache_shutdown().  The key
 * is borrowed for the duration of the callback (EVP_PKEY_up_ref() to keep
 * it). */
typedef void (*JwksCallback)(int r, EVP_PKEY *key, JwtError error, void *userdata);

/* Looks up the key of (host, kid), fetching the host's JWKS when needed.
 * On success (0) `cb` is called exactly once, always from the loop, never
 * from inside this call, and *ret (if not NULL) can be passed to
 * jwks_lookup_cancel() until `cb` returns.  Returns -EINVAL (no cb) or
 * -ESHUTDOWN, and then `cb` is never called.  host and kid may be NULL
 * (the callback then reports them missing). */
int jwks_get_key(JwksCache *c, const char *host, const char *kid, JwksCallback cb, void *userdata,
                 JwksLookup **ret);

/* Synchronous path for the common case: 0 and the cached, unexpired key in
 * *ret_key (borrowed, valid until control returns to the loop); -ENOKEY
 * (and JWT_ERR_KID_UNKNOWN) when jwks_get_key() must fetch; other errors as
 * the callback's (host missing or not allowed, kid missing, -ESHUTDOWN).
 * Never sends anything. */
int jwks_get_cached(JwksCache *c, const char *host, const char *kid, EVP_PKEY **ret_key, JwtError *reterr);

/* The lookup's callback then runs from the loop with -ECANCELED.  Returns
 * 0, or -EALREADY when its result is already known (callback pending or
 * running).  A fetch under way is not cancelled: it still fills the cache. */
int jwks_lookup_cancel(JwksLookup *l);

/* Refuses new lookups (-ESHUTDOWN), cancels fetches under way and lookups
 * waiting (-ECANCELED), delivers the results already known, closes the
 * handles, then calls `cb` (may be NULL) from the loop and frees the cache.
 * Call it before http_client_shutdown() of the client the cache uses.
 * Returns 0 or -EALREADY (already shutting down; cb is then not called). */
int jwks_cache_shutdown(JwksCache *c, void (*cb)(void *userdata), void *userdata);

void jwks_cache_get_stats(const JwksCache *c, JwksStats *ret);

/* Pure helpers, also for the configuration checks. */

/* A jwks_host claim as a host name: 1-253 bytes, dot-separated labels of
 * 1-63 letters, digits and '-' (not at either end), no trailing dot, no
 * port.  *ret is the lower-cased copy.  -EINVAL. */
int jwks_host_normalize(const char *host, char **ret);
/* An allow-list pattern: a host name whose labels may be "*".  -EINVAL. */
int jwks_pattern_check(const char *pattern);
/* Whether the (normalised) host matches one of the patterns
 * (NULL-terminated vector, NULL = none). */
bool jwks_host_allowed(const char *const *patterns, const char *host);
