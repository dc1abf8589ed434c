/* SPDX-License-Identifier: MIT */
#pragma once
/* cJSON's allocator: malloc() and free() behind a small cache of freed
 * blocks, per size class, for the thread that installed it.
 *
 * A relay request makes and frees about 500 small cJSON blocks (the
 * upstream answer parsed, the CTIM answer built); glibc keeps only 7 per
 * size in its thread cache, the rest went through its fast bins and were
 * consolidated again at the next larger allocation, about a fifth of the
 * relay's user CPU.  Cached blocks are ordinary malloc() blocks, classed by
 * malloc_usable_size(): any block may be freed with free() or with
 * cJSON_free(), whoever allocated it, so cJSON_Print*()'s callers keep
 * using free().  Other threads go straight to malloc() and free().  Under
 * AddressSanitizer and valgrind, cached blocks are poisoned, so a use after
 * cJSON_Delete() is still reported, and a double free aborts. */
#include <stddef.h>
#include <stdint.h>

#define JSONMEM_MAX_BLOCK 512                   /* larger blocks are not cached */
#define JSONMEM_MAX_PER_CLASS 1024
#define JSONMEM_MAX_BYTES ((size_t) 1 << 20)    /* held at most, all classes */

typedef struct JsonMemStats {
        uint64_t hits;          /* allocations served from the cache */
        uint64_t misses;        /* allocations of a cacheable size passed to malloc() */
        size_t cached_bytes;    /* usable bytes held now */
        size_t cached_blocks;
} JsonMemStats;

/* Installs the cache as cJSON's hooks, for the calling thread. */
void jsonmem_init(void);
/* Frees every cached block and puts cJSON back on malloc() and free(). */
void jsonmem_fini(void);

void *jsonmem_malloc(size_t n);
void jsonmem_free(void *p);
void jsonmem_stats(JsonMemStats *ret);
