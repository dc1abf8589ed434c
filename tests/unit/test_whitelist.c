/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "engine/whitelist.h"
#include "tests/unit/unit.h"

static void norm(WlKind k, const char *in, const char *out)
{
        char *v = NULL;
        const char *why = NULL;
        CU_ASSERT_EQUAL_FATAL(wl_normalize(k, in, &v, &why), 0);
        CU_ASSERT_STRING_EQUAL(v, out);
        free(v);
}

static void bad(WlKind k, const char *in)
{
        char *v = NULL;
        const char *why = NULL;
        CU_ASSERT_EQUAL(wl_normalize(k, in, &v, &why), -EINVAL);
        CU_ASSERT_PTR_NOT_NULL(why);
        CU_ASSERT_PTR_NULL(v);
}

static void test_kinds(void)
{
        CU_ASSERT_EQUAL(wl_kind_from_string("user"), WL_USER);
        CU_ASSERT_EQUAL(wl_kind_from_string("destination"), WL_DESTINATION);
        CU_ASSERT_EQUAL(wl_kind_from_string("Host"), _WL_KIND_INVALID);
        CU_ASSERT_EQUAL(wl_kind_from_string(NULL), _WL_KIND_INVALID);
        CU_ASSERT_STRING_EQUAL(wl_kind_to_string(WL_ACCOUNT), "account");
        CU_ASSERT_PTR_NULL(wl_kind_to_string(_WL_KIND_MAX));
}

static void test_normalize_hosts(void)
{
        norm(WL_HOST, "10.0.0.5/32", "10.0.0.5");
        norm(WL_HOST, " 10.0.0.5 ", "10.0.0.5");
        norm(WL_HOST, "2001:DB8::1", "2001:db8::1");
        norm(WL_HOST, "192.168.0.0/16", "192.168.0.0/16");
        norm(WL_HOST, "Laptop-42.Corp.Example.", "laptop-42.corp.example");
        norm(WL_DESTINATION, "EVIL.example.COM", "evil.example.com");
        norm(WL_DESTINATION, "203.0.113.0/24", "203.0.113.0/24");
        bad(WL_HOST, "10.0.0.5/24");
        bad(WL_HOST, "10.0.0.256");
        bad(WL_HOST, "2001:db8:::1");
        bad(WL_HOST, "");
        bad(WL_HOST, "bad host");
        bad(WL_DESTINATION, "http://evil.example.com/");
}

static void test_normalize_names(void)
{
        norm(WL_USER, "  alice ", "alice");
        norm(WL_USER, "Alice@Corp.Example", "Alice@Corp.Example");
        norm(WL_ACCOUNT, "O365:bob@corp.example", "O365:bob@corp.example");
        bad(WL_USER, "   ");
        bad(WL_USER, "ali\nce");
        bad(WL_ACCOUNT, "");
        char big[WL_VALUE_MAX + 2];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        bad(WL_USER, big);
        bad(_WL_KIND_INVALID, "x");
        bad(WL_USER, NULL);
}

static void test_covers(void)
{
        CU_ASSERT_TRUE(wl_covers(WL_HOST, "10.0.0.0/8", "10.1.2.3"));
        CU_ASSERT_FALSE(wl_covers(WL_HOST, "10.0.0.0/8", "11.1.2.3"));
        CU_ASSERT_FALSE(wl_covers(WL_HOST, "10.0.0.0/8", "laptop"));
        CU_ASSERT_TRUE(wl_covers(WL_HOST, "laptop", "laptop"));
        CU_ASSERT_FALSE(wl_covers(WL_HOST, "corp.example", "laptop.corp.example"));
        CU_ASSERT_TRUE(wl_covers(WL_DESTINATION, "example.com", "cdn.example.com"));
        CU_ASSERT_FALSE(wl_covers(WL_DESTINATION, "example.com", "notexample.com"));
        CU_ASSERT_TRUE(wl_covers(WL_USER, "alice", "alice"));
        CU_ASSERT_FALSE(wl_covers(WL_USER, "alice", "alice2"));
}

void whitelist_suite_add(void)
{
        UNIT_SUITE("whitelist", UNIT_TEST(test_kinds), UNIT_TEST(test_normalize_hosts),
                   UNIT_TEST(test_normalize_names), UNIT_TEST(test_covers));
}
