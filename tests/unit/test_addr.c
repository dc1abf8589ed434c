/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "tests/unit/unit.h"

static void canon(const char *in, const char *out)
{
        AddrNet a;
        char b[ADDR_STR_MAX];
        CU_ASSERT_EQUAL_FATAL(addr_parse(in, &a), 0);
        addr_format(&a, b, sizeof(b));
        CU_ASSERT_STRING_EQUAL(b, out);
}

static void test_parse_canonical(void)
{
        canon("10.0.0.5", "10.0.0.5");
        canon("10.0.0.5/32", "10.0.0.5");
        canon("10.0.0.0/8", "10.0.0.0/8");
        canon("0.0.0.0/0", "0.0.0.0/0");
        canon("2001:DB8::1", "2001:db8::1");
        canon("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
        canon("2001:db8::/32", "2001:db8::/32");
        canon("::1/128", "::1");
        canon("::ffff:10.0.0.5", "10.0.0.5");
        canon("::ffff:10.0.0.0/104", "10.0.0.0/8");
}

static void test_parse_invalid(void)
{
        AddrNet a;
        const char *bad[] = { "", "10.0.0", "10.0.0.256", "10.0.0.5/33", "10.0.0.5/", "10.0.0.5/-1",
                              "10.0.0.5/08", "2001:db8::/129", "2001:db8:::1", "x.y.z.w", "10.0.0.5 ",
                              "010.0.0.5", "/8" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CU_ASSERT_EQUAL(addr_parse(bad[i], &a), -EINVAL);
        CU_ASSERT_EQUAL(addr_parse("10.0.0.5/8", &a), -EDOM);
        CU_ASSERT_EQUAL(addr_parse("2001:db8::1/64", &a), -EDOM);
        CU_ASSERT_EQUAL(addr_parse(NULL, &a), -EINVAL);
}

static void test_contains(void)
{
        AddrNet n, a;
        CU_ASSERT_EQUAL(addr_parse("10.0.0.0/8", &n), 0);
        CU_ASSERT_EQUAL(addr_parse("10.200.3.4", &a), 0);
        CU_ASSERT_TRUE(addr_contains(&n, &a));
        CU_ASSERT_EQUAL(addr_parse("11.0.0.1", &a), 0);
        CU_ASSERT_FALSE(addr_contains(&n, &a));
        CU_ASSERT_EQUAL(addr_parse("10.1.0.0/16", &a), 0);
        CU_ASSERT_TRUE(addr_contains(&n, &a));
        CU_ASSERT_FALSE(addr_contains(&a, &n));
        CU_ASSERT_EQUAL(addr_parse("::ffff:10.1.2.3", &a), 0);
        CU_ASSERT_TRUE(addr_contains(&n, &a));
        CU_ASSERT_EQUAL(addr_parse("2001:db8::/32", &n), 0);
        CU_ASSERT_EQUAL(addr_parse("2001:db8:ffff::1", &a), 0);
        CU_ASSERT_TRUE(addr_contains(&n, &a));
        CU_ASSERT_EQUAL(addr_parse("10.0.0.1", &a), 0);
        CU_ASSERT_FALSE(addr_contains(&n, &a));
        CU_ASSERT_EQUAL(addr_parse("10.0.0.5/31", &n), -EDOM);
        CU_ASSERT_EQUAL(addr_parse("10.0.0.4/31", &n), 0);
        CU_ASSERT_EQUAL(addr_parse("10.0.0.5", &a), 0);
        CU_ASSERT_TRUE(addr_contains(&n, &a));
        CU_ASSERT_TRUE(addr_is_host(&a));
        CU_ASSERT_FALSE(addr_is_host(&n));
}

static void test_hostname(void)
{
        char *h = NULL;
        CU_ASSERT_EQUAL(hostname_normalize("WWW.Example.COM.", &h), 0);
        CU_ASSERT_STRING_EQUAL(h, "www.example.com");
        free(h);
        CU_ASSERT_EQUAL(hostname_normalize("host_1-a", &h), 0);
        CU_ASSERT_STRING_EQUAL(h, "host_1-a");
        free(h);
        const char *bad[] = { "", ".", "a..b", "-a.com", "a-.com", "a.-b", "exa mple.com", "a/b", "1.2.3.4",
                              "1.2.3.999", "é.com" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CU_ASSERT_EQUAL(hostname_normalize(bad[i], &h), -EINVAL);
        char label[80];
        memset(label, 'a', 64);
        label[64] = '\0';
        CU_ASSERT_EQUAL(hostname_normalize(label, &h), -EINVAL);
        label[63] = '\0';
        CU_ASSERT_EQUAL(hostname_normalize(label, &h), 0);
        free(h);
}

static void test_domain_matches(void)
{
        CU_ASSERT_TRUE(domain_matches("example.com", "example.com"));
        CU_ASSERT_TRUE(domain_matches("example.com", "a.b.example.com"));
        CU_ASSERT_FALSE(domain_matches("example.com", "badexample.com"));
        CU_ASSERT_FALSE(domain_matches("example.com", "com"));
        CU_ASSERT_FALSE(domain_matches("a.example.com", "example.com"));
}

void addr_suite_add(void)
{
        UNIT_SUITE("addr", UNIT_TEST(test_parse_canonical), UNIT_TEST(test_parse_invalid), UNIT_TEST(test_contains),
                   UNIT_TEST(test_hostname), UNIT_TEST(test_domain_matches));
}
