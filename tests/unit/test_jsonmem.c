/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <malloc.h>
#include <pthread.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/jsonmem.h"
#include "tests/unit/unit.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define HAVE_ASAN 1
#endif

static JsonMemStats stats(void)
{
        JsonMemStats s;

        jsonmem_stats(&s);
        return s;
}

static void test_reuse(void)
{
        cJSON *a, *b;

        jsonmem_init();
        a = cJSON_CreateObject();
        CU_ASSERT_PTR_NOT_NULL_FATAL(a);
        cJSON_Delete(a);
        CU_ASSERT_EQUAL(stats().cached_blocks, 1);
        b = cJSON_CreateArray();
        /* the freed node is handed out again, from the cache */
        CU_ASSERT_PTR_EQUAL(b, a);
        CU_ASSERT_EQUAL(stats().hits, 1);
        CU_ASSERT_EQUAL(stats().cached_blocks, 0);
        CU_ASSERT(cJSON_IsArray(b));
        CU_ASSERT_PTR_NULL(b->child);   /* cJSON zeroes its nodes: no stale link */
        cJSON_Delete(b);
        jsonmem_fini();
        CU_ASSERT_EQUAL(stats().cached_blocks, 0);
        CU_ASSERT_EQUAL(stats().cached_bytes, 0);
}

static void test_sizes(void)
{
        void *p[JSONMEM_MAX_BLOCK + 100];

        jsonmem_init();
        /* free one block of every size, then ask again: each answer holds
         * what was asked, wherever it comes from */
        for (size_t n = 1; n < JSONMEM_MAX_BLOCK + 100; n++)
                jsonmem_free(malloc(n));
        CU_ASSERT(stats().cached_blocks > 0);
        for (size_t n = 1; n < JSONMEM_MAX_BLOCK + 100; n++) {
                p[n] = jsonmem_malloc(n);
                CU_ASSERT_PTR_NOT_NULL_FATAL(p[n]);
                CU_ASSERT_FATAL(malloc_usable_size(p[n]) >= n);
                memset(p[n], 0xa5, n);
        }
        CU_ASSERT(stats().hits > 0);
        for (size_t n = 1; n < JSONMEM_MAX_BLOCK + 100; n++)
                free(p[n]);     /* plain free() of cache blocks: they are malloc()'s */
        jsonmem_fini();
}

static void test_mixed_with_free(void)
{
        cJSON *o;
        char *s;

        jsonmem_init();
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", "a value long enough to take its own block");
        cJSON_AddNumberToObject(o, "n", 42);
        s = cJSON_PrintUnformatted(o);
        CU_ASSERT_STRING_EQUAL(s, "{\"key\":\"a value long enough to take its own block\",\"n\":42}");
        free(s);        /* what every cJSON_Print*() caller does */
        cJSON_Delete(o);
        /* a string from strdup() given to cJSON, freed by cJSON_Delete() */
        o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "x", cJSON_CreateNull());
        free(o->child->string);
        o->child->string = strdup("replaced by hand");
        cJSON_Delete(o);
        o = cJSON_Parse("{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\"}");
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(o, "d")->valuestring, "e");
        cJSON_Delete(o);
        jsonmem_fini();
}

static void test_bounds(void)
{
        enum { N = JSONMEM_MAX_PER_CLASS + 500 };
        void **p = calloc(N, sizeof(*p));
        size_t before;

        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        jsonmem_init();
        for (size_t i = 0; i < N; i++)
                p[i] = jsonmem_malloc(64);
        for (size_t i = 0; i < N; i++)
                jsonmem_free(p[i]);
        /* malloc() may give a few a larger size, in the next class */
        CU_ASSERT(stats().cached_blocks >= JSONMEM_MAX_PER_CLASS);
        CU_ASSERT(stats().cached_blocks < JSONMEM_MAX_PER_CLASS + 100);
        /* the byte cap across classes: five classes could hold 2 MB */
        for (size_t size = 256; size <= JSONMEM_MAX_BLOCK; size += 64) {
                for (size_t i = 0; i < N; i++)
                        p[i] = malloc(size);
                for (size_t i = 0; i < N; i++)
                        jsonmem_free(p[i]);
        }
        CU_ASSERT(stats().cached_bytes <= JSONMEM_MAX_BYTES);
        CU_ASSERT(stats().cached_bytes > JSONMEM_MAX_BYTES - 2 * JSONMEM_MAX_BLOCK);
        /* too large to cache */
        before = stats().cached_blocks;
        jsonmem_free(malloc(4 * JSONMEM_MAX_BLOCK));
        CU_ASSERT_EQUAL(stats().cached_blocks, before);
        jsonmem_fini();
        free(p);
}

static void *other_thread(void *arg)
{
        JsonMemStats *ret = arg;
        cJSON *o = cJSON_CreateObject();

        cJSON_Delete(o);
        o = cJSON_CreateObject();
        cJSON_Delete(o);
        jsonmem_stats(ret);
        return NULL;
}

static void test_other_thread(void)
{
        pthread_t t;
        JsonMemStats there = { .hits = 99, .cached_blocks = 99 };

        jsonmem_init();
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, other_thread, &there), 0);
        pthread_join(t, NULL);
        /* cJSON's hooks are global; the cache is this thread's only */
        CU_ASSERT_EQUAL(there.hits, 0);
        CU_ASSERT_EQUAL(there.cached_blocks, 0);
        CU_ASSERT_EQUAL(stats().cached_blocks, 0);
        jsonmem_fini();
}

static void test_poisoned(void)
{
#ifdef HAVE_ASAN
        cJSON *o;

        jsonmem_init();
        o = cJSON_CreateObject();
        cJSON_Delete(o);
        /* a use after cJSON_Delete() is still caught */
        CU_ASSERT(__asan_address_is_poisoned(o));
        o = cJSON_CreateObject();
        CU_ASSERT(!__asan_address_is_poisoned(o));
        cJSON_Delete(o);
        jsonmem_fini();
#endif
}

void jsonmem_suite_add(void)
{
        UNIT_SUITE("jsonmem", UNIT_TEST(test_reuse), UNIT_TEST(test_sizes), UNIT_TEST(test_mixed_with_free),
                   UNIT_TEST(test_bounds), UNIT_TEST(test_other_thread), UNIT_TEST(test_poisoned));
}
