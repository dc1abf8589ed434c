/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <string.h>
#include "common/duration.h"
#include "tests/unit/unit.h"

static uint64_t parse_ok(const char *s)
{
        uint64_t v = 12345;
        CU_ASSERT_EQUAL_FATAL(duration_parse(s, &v), 0);
        return v;
}

static void test_units(void)
{
        CU_ASSERT_EQUAL(parse_ok("30s"), 30);
        CU_ASSERT_EQUAL(parse_ok("10m"), 600);
        CU_ASSERT_EQUAL(parse_ok("4h"), 14400);
        CU_ASSERT_EQUAL(parse_ok("30d"), 2592000);
        CU_ASSERT_EQUAL(parse_ok("2w"), 1209600);
        CU_ASSERT_EQUAL(parse_ok("0s"), 0);
        CU_ASSERT_EQUAL(parse_ok("45"), 45);
        CU_ASSERT_EQUAL(parse_ok(" 45 "), 45);
}

static void test_combined(void)
{
        CU_ASSERT_EQUAL(parse_ok("1h30m"), 5400);
        CU_ASSERT_EQUAL(parse_ok("1d 12h"), 129600);
        CU_ASSERT_EQUAL(parse_ok("1w1d1h1m1s"), 694861);
}

static void test_invalid(void)
{
        uint64_t v = 7;
        const char *bad[] = { "", " ", "s", "10x", "1.5h", "-5s", "30m1h", "1h1h", "1h 30", "10 s",
                              "10ss", "1hm", "h1", "0x10", "1e3", "10 20" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                CU_ASSERT_EQUAL(duration_parse(bad[i], &v), -EINVAL);
        }
        CU_ASSERT_EQUAL(v, 7);  /* untouched on failure */
        CU_ASSERT_EQUAL(duration_parse(NULL, &v), -EINVAL);
}

static void test_range(void)
{
        uint64_t v;
        CU_ASSERT_EQUAL(duration_parse("99999999999999999999999s", &v), -ERANGE);
        CU_ASSERT_EQUAL(duration_parse("36501d", &v), -ERANGE);
        CU_ASSERT_EQUAL(duration_parse("36500d", &v), 0);
        CU_ASSERT_EQUAL(duration_parse("5214w", &v), 0);
        CU_ASSERT_EQUAL(duration_parse("5215w", &v), -ERANGE);
}

static void test_format(void)
{
        char b[32];
        duration_format(0, b, sizeof(b));
        CU_ASSERT_STRING_EQUAL(b, "0s");
        duration_format(90061, b, sizeof(b));
        CU_ASSERT_STRING_EQUAL(b, "1d1h1m1s");
        duration_format(2592000, b, sizeof(b));
        CU_ASSERT_STRING_EQUAL(b, "30d");
        duration_format(5400, b, sizeof(b));
        CU_ASSERT_STRING_EQUAL(b, "1h30m");
        duration_format(5400, b, 3);
        CU_ASSERT_EQUAL(strlen(b) < 3, 1);
}

static void test_roundtrip(void)
{
        char b[64];
        for (uint64_t s = 0; s < 200000; s += 997) {
                uint64_t v;
                duration_format(s, b, sizeof(b));
                CU_ASSERT_EQUAL_FATAL(duration_parse(b, &v), 0);
                CU_ASSERT_EQUAL_FATAL(v, s);
        }
}

void duration_suite_add(void)
{
        UNIT_SUITE("duration", UNIT_TEST(test_units), UNIT_TEST(test_combined), UNIT_TEST(test_invalid),
                   UNIT_TEST(test_range), UNIT_TEST(test_format), UNIT_TEST(test_roundtrip));
}
