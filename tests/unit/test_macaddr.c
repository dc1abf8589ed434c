/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <string.h>
#include "common/strv.h"
#include "responders/macaddr.h"
#include "tests/unit/unit.h"

static void test_forms(void)
{
        char m[MAC_STR_MAX];

        CU_ASSERT_EQUAL(mac_normalize("4c:1d:96:22:29:01", MAC_UPPER_COLON, m), 0);
        CU_ASSERT_STRING_EQUAL(m, "4C:1D:96:22:29:01");
        CU_ASSERT_EQUAL(mac_normalize("4C-1D-96-22-29-01", MAC_LOWER_COLON, m), 0);
        CU_ASSERT_STRING_EQUAL(m, "4c:1d:96:22:29:01");
        CU_ASSERT_EQUAL(mac_normalize("4c1d.9622.2901", MAC_UPPER_COLON, m), 0);
        CU_ASSERT_STRING_EQUAL(m, "4C:1D:96:22:29:01");
        CU_ASSERT_EQUAL(mac_normalize(" 4C1D96222901\t", MAC_LOWER_PLAIN, m), 0);
        CU_ASSERT_STRING_EQUAL(m, "4c1d96222901");
}

static void test_bad(void)
{
        char m[MAC_STR_MAX] = "unchanged";
        const char *bad[] = {
                "", "4c:1d:96:22:29", "4c:1d:96:22:29:0g", "4c:1d-96:22:29:01", "4c1d96222901ab",
                "4c1d.9622-2901", "10.0.0.1", "4c:1d:96:22:29:01:02", "4c1d96.222901", NULL,
        };

        for (size_t i = 0; bad[i]; i++)
                CU_ASSERT_EQUAL(mac_normalize(bad[i], MAC_UPPER_COLON, m), -22);
        CU_ASSERT_EQUAL(mac_normalize(NULL, MAC_UPPER_COLON, m), -22);
        CU_ASSERT_STRING_EQUAL(m, "unchanged");
}

static void test_set(void)
{
        char **set = NULL;

        CU_ASSERT_TRUE(mac_set_add(&set, "aa:bb:cc:dd:ee:ff", MAC_UPPER_COLON));
        CU_ASSERT_FALSE(mac_set_add(&set, "AA-BB-CC-DD-EE-FF", MAC_UPPER_COLON));
        CU_ASSERT_FALSE(mac_set_add(&set, "junk", MAC_UPPER_COLON));
        CU_ASSERT_TRUE(mac_set_add(&set, "aabb.ccdd.ee00", MAC_UPPER_COLON));
        CU_ASSERT_EQUAL(strv_length(set), 2);
        CU_ASSERT_STRING_EQUAL(set[1], "AA:BB:CC:DD:EE:00");
        strv_free(set);
}

void macaddr_suite_add(void)
{
        UNIT_SUITE("macaddr", UNIT_TEST(test_forms), UNIT_TEST(test_bad), UNIT_TEST(test_set));
}
