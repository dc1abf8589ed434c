/* SPDX-License-Identifier: MIT */
#include "jsonmem.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#if defined(__SANITIZE_ADDRESS__)
#define JSONMEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSONMEM_ASAN 1
#endif
#endif

#ifdef JSONMEM_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define UNPOISON_HEADER(p) ASAN_UNPOISON_MEMORY_REGION((p), sizeof(Block))
#define IS_POISONED(p) __asan_address_is_poisoned(p)
#elif defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define POISON(p, n) ((void) VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define UNPOISON(p, n) ((void) VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define UNPOISON_HEADER(p) ((void) VALGRIND_MAKE_MEM_DEFINED((p), sizeof(Block)))
#endif
#endif
#ifndef POISON
#define POISON(p, n) ((void) 0)
#define UNPOISON(p, n) ((void) 0)
#define UNPOISON_HEADER(p) ((void) 0)
#endif
#ifndef IS_POISONED
#define IS_POISONED(p) 0
#endif

/* Class k holds blocks of k * 16 to k * 16 + 15 usable bytes: any of them
 * fits a request of up to k * 16. */
#define CLASS_SIZE 16
#define N_CLASSES (JSONMEM_MAX_BLOCK / CLASS_SIZE + 1)

/* Written into a cached block (16 usable bytes at least): its size saves a
 * malloc_usable_size() when it leaves, a look at two cold chunk headers. */
typedef struct Block {
        struct Block *next;
        size_t size;
} Block;

typedef struct Cache {
        bool on;
        Block *head[N_CLASSES];
        unsigned n[N_CLASSES];
        size_t bytes, blocks;
        uint64_t hits, misses;
} Cache;

_Static_assert(sizeof(Block) <= CLASS_SIZE, "class 1 must hold a Block");

static _Thread_local Cache cache;

void *jsonmem_malloc(size_t n)
{
        size_t k, m;
        Block *b;

        if (!cache.on || n == 0 || n > JSONMEM_MAX_BLOCK)
                return malloc(n);
        k = (n + CLASS_SIZE - 1) / CLASS_SIZE;
        b = cache.head[k];
        if (!b) {
                cache.misses++;
                return malloc(n);
        }
        UNPOISON_HEADER(b);
        m = b->size;
        cache.head[k] = b->next;
        UNPOISON(b, m);         /* after the reads: valgrind marks it all undefined */
        cache.n[k]--;
        cache.blocks--;
        cache.bytes -= m;
        cache.hits++;
        return b;
}

void jsonmem_free(void *p)
{
        size_t m, k;
        Block *b = p;

        if (!p)
                return;
        if (!cache.on) {
                free(p);
                return;
        }
        if (IS_POISONED(p)) {
                /* in the cache already: freed twice */
                fprintf(stderr, "jsonmem: double free of %p\n", p);
                abort();
        }
        m = malloc_usable_size(p);
        k = m / CLASS_SIZE;
        if (k == 0 || k >= N_CLASSES || cache.n[k] >= JSONMEM_MAX_PER_CLASS ||
            cache.bytes + m > JSONMEM_MAX_BYTES) {
                free(p);
                return;
        }
        b->next = cache.head[k];
        b->size = m;
        cache.head[k] = b;
        cache.n[k]++;
        cache.blocks++;
        cache.bytes += m;
        POISON(b, m);
}

void jsonmem_init(void)
{
        cache.on = true;
        cJSON_InitHooks(&(cJSON_Hooks) { .malloc_fn = jsonmem_malloc, .free_fn = jsonmem_free });
}

void jsonmem_fini(void)
{
        cJSON_InitHooks(NULL);
        for (size_t k = 0; k < N_CLASSES; k++)
                while (cache.head[k]) {
                        Block *b = cache.head[k];

                        UNPOISON_HEADER(b);
                        cache.head[k] = b->next;
                        free(b);
                }
        cache = (Cache) {};
}

void jsonmem_stats(JsonMemStats *ret)
{
        *ret = (JsonMemStats) {
                .hits = cache.hits,
                .misses = cache.misses,
                .cached_bytes = cache.bytes,
                .cached_blocks = cache.blocks,
        };
}
