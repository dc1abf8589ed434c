/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A short-TTL cache of upstream answers for the relays, keyed by the
 * credential and the request (so one tenant never sees another's data),
 * bounded in entries.  Keys are kept only as SHA-256 digests: the cache
 * holds no credential.  Pure: the caller passes the time. */

typedef struct ResponseCache ResponseCache;

/* max entries (>= 1); ttl_ms > 0. */
ResponseCache *response_cache_new(size_t max, uint64_t ttl_ms);
void response_cache_free(ResponseCache *c);

/* true and the body (valid until the next put or free) when a fresh entry
 * exists; an expired one is dropped. */
bool response_cache_get(ResponseCache *c, const char *cred, const char *key, uint64_t now_ms,
                        const char **ret_body, size_t *ret_len);
/* Stores a copy; replaces the entry of the same key; the oldest entry
 * goes when the cache is full.  Bodies above RESPONSE_CACHE_MAX_BODY are
 * not kept. */
#define RESPONSE_CACHE_MAX_BODY ((size_t) 1 << 20)
void response_cache_put(ResponseCache *c, const char *cred, const char *key, const char *body, size_t len,
                        uint64_t now_ms);
size_t response_cache_size(const ResponseCache *c);
