/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <string.h>
#include "relays/response_cache.h"
#include "tests/unit/unit.h"

void response_cache_suite_add(void);

static void test_hit_miss_expiry(void)
{
        ResponseCache *c = response_cache_new(10, 1000);
        const char *b;
        size_t l;

        CU_ASSERT_FALSE(response_cache_get(c, "k1", "/a", 0, &b, &l));
        response_cache_put(c, "k1", "/a", "{\"x\":1}", 7, 100);
        CU_ASSERT_TRUE_FATAL(response_cache_get(c, "k1", "/a", 500, &b, &l));
        CU_ASSERT_EQUAL(l, 7);
        CU_ASSERT_STRING_EQUAL(b, "{\"x\":1}");
        /* the credential is part of the key */
        CU_ASSERT_FALSE(response_cache_get(c, "k2", "/a", 500, &b, &l));
        /* no ambiguity between ("k1", "/a") and ("k", "1/a") */
        CU_ASSERT_FALSE(response_cache_get(c, "k", "1/a", 500, &b, &l));
        /* expired at exactly put time + ttl, and dropped */
        CU_ASSERT_FALSE(response_cache_get(c, "k1", "/a", 1100, &b, &l));
        CU_ASSERT_EQUAL(response_cache_size(c), 0);
        response_cache_free(c);
}

static void test_bounds(void)
{
        ResponseCache *c = response_cache_new(2, 1000);
        const char *b;
        size_t l;

        response_cache_put(c, "k", "/1", "1", 1, 0);
        response_cache_put(c, "k", "/2", "2", 1, 0);
        response_cache_put(c, "k", "/1", "one", 3, 0);     /* replaces, becomes the newest */
        CU_ASSERT_EQUAL(response_cache_size(c), 2);
        response_cache_put(c, "k", "/3", "3", 1, 0);       /* evicts the oldest: /2 */
        CU_ASSERT_EQUAL(response_cache_size(c), 2);
        CU_ASSERT_FALSE(response_cache_get(c, "k", "/2", 1, &b, &l));
        CU_ASSERT_TRUE(response_cache_get(c, "k", "/1", 1, &b, &l));
        CU_ASSERT_STRING_EQUAL(b, "one");
        CU_ASSERT_TRUE(response_cache_get(c, "k", "/3", 1, &b, &l));
        /* too large to keep */
        {
                static char big[RESPONSE_CACHE_MAX_BODY + 1];
                response_cache_put(c, "k", "/big", big, sizeof(big), 0);
                CU_ASSERT_FALSE(response_cache_get(c, "k", "/big", 1, &b, &l));
        }
        response_cache_free(c);
        response_cache_free(NULL);
}

void response_cache_suite_add(void)
{
        UNIT_SUITE("response_cache",
                   UNIT_TEST(test_hit_miss_expiry),
                   UNIT_TEST(test_bounds));
}
