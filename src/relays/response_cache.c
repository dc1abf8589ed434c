/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "common/xalloc.h"
#include "relays/response_cache.h"

#define BUCKETS 1024

typedef struct Entry {
        unsigned char id[32];           /* SHA-256(cred NUL key) */
        char *body;
        size_t len;
        uint64_t expires_ms;
        struct Entry *next_hash;
        struct Entry *older, *newer;    /* insertion order, for eviction */
} Entry;

struct ResponseCache {
        Entry *hash[BUCKETS];
        Entry *oldest, *newest;
        size_t n, max;
        uint64_t ttl_ms;
};

ResponseCache *response_cache_new(size_t max, uint64_t ttl_ms)
{
        ResponseCache *c = xnew(ResponseCache, 1);

        c->max = max ? max : 1;
        c->ttl_ms = ttl_ms;
        return c;
}

static void digest(const char *cred, const char *key, unsigned char out[32])
{
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned len = 32;

        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(ctx, cred ? cred : "", (cred ? strlen(cred) : 0) + 1) != 1 ||
            EVP_DigestUpdate(ctx, key, strlen(key)) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
                abort();
        EVP_MD_CTX_free(ctx);
}

static unsigned bucket(const unsigned char id[32])
{
        return ((unsigned) id[0] << 8 | id[1]) % BUCKETS;
}

static Entry *find(ResponseCache *c, const unsigned char id[32], Entry ***ret_pp)
{
        Entry **pp = &c->hash[bucket(id)];

        for (; *pp; pp = &(*pp)->next_hash)
                if (!memcmp((*pp)->id, id, 32))
                        break;
        if (ret_pp)
                *ret_pp = pp;
        return *pp;
}

static void unlink_order(ResponseCache *c, Entry *e)
{
        if (e->older)
                e->older->newer = e->newer;
        else
                c->oldest = e->newer;
        if (e->newer)
                e->newer->older = e->older;
        else
                c->newest = e->older;
        e->older = e->newer = NULL;
}

static void drop(ResponseCache *c, Entry *e)
{
        Entry **pp;

        (void) find(c, e->id, &pp);
        if (*pp == e)
                *pp = e->next_hash;
        unlink_order(c, e);
        free(e->body);
        free(e);
        c->n--;
}

void response_cache_free(ResponseCache *c)
{
        if (!c)
                return;
        while (c->oldest)
                drop(c, c->oldest);
        free(c);
}

bool response_cache_get(ResponseCache *c, const char *cred, const char *key, uint64_t now_ms,
                        const char **ret_body, size_t *ret_len)
{
        unsigned char id[32];
        Entry *e;

        if (!c || !key)
                return false;
        digest(cred, key, id);
        e = find(c, id, NULL);
        if (!e)
                return false;
        if (now_ms >= e->expires_ms) {
                drop(c, e);
                return false;
        }
        *ret_body = e->body;
        *ret_len = e->len;
        return true;
}

void response_cache_put(ResponseCache *c, const char *cred, const char *key, const char *body, size_t len,
                        uint64_t now_ms)
{
        unsigned char id[32];
        Entry *e;

        if (!c || !key || !body || len > RESPONSE_CACHE_MAX_BODY)
                return;
        digest(cred, key, id);
        e = find(c, id, NULL);
        if (e)
                drop(c, e);
        while (c->n >= c->max && c->oldest)
                drop(c, c->oldest);
        e = xnew(Entry, 1);
        memcpy(e->id, id, 32);
        e->body = xmalloc(len + 1);
        memcpy(e->body, body, len);
        e->body[len] = '\0';
        e->len = len;
        e->expires_ms = now_ms + c->ttl_ms;
        e->next_hash = c->hash[bucket(id)];
        c->hash[bucket(id)] = e;
        e->older = c->newest;
        if (c->newest)
                c->newest->newer = e;
        else
                c->oldest = e;
        c->newest = e;
        c->n++;
}

size_t response_cache_size(const ResponseCache *c)
{
        return c ? c->n : 0;
}
