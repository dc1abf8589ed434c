/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "responders/cisco_asa_cmd.h"
#include "tests/unit/unit.h"

static void test_path(void)
{
        const char *c1[] = { "object-group network Vectra-Block", "network-object host 10.1.2.3" };
        const char *c2[] = { "show version" };
        const char *c3[] = { "no network-object host 2001:db8::1" };
        const char *bad1[] = { "show run/x" };
        const char *bad2[] = { "" };
        const char *bad3[] = { "show\nversion" };
        char *p;

        p = asa_path("config", c1, 2);
        CU_ASSERT_STRING_EQUAL(p, "/admin/config/object-group%20network%20Vectra-Block/network-object%20host%2010.1.2.3");
        free(p);
        p = asa_path("exec", c2, 1);
        CU_ASSERT_STRING_EQUAL(p, "/admin/exec/show%20version");
        free(p);
        p = asa_path("config", c3, 1);
        CU_ASSERT_STRING_EQUAL(p, "/admin/config/no%20network-object%20host%202001%3Adb8%3A%3A1");
        free(p);
        /* a '/' would split the command in two; empty and control characters */
        CU_ASSERT_PTR_NULL(asa_path("exec", bad1, 1));
        CU_ASSERT_PTR_NULL(asa_path("exec", bad2, 1));
        CU_ASSERT_PTR_NULL(asa_path("exec", bad3, 1));
}

static void test_valid_name(void)
{
        CU_ASSERT_TRUE(asa_valid_name("Vectra-Block"));
        CU_ASSERT_TRUE(asa_valid_name("block_1.2"));
        CU_ASSERT_FALSE(asa_valid_name(""));
        CU_ASSERT_FALSE(asa_valid_name(NULL));
        CU_ASSERT_FALSE(asa_valid_name("two words"));
        CU_ASSERT_FALSE(asa_valid_name("a/b"));
        CU_ASSERT_FALSE(asa_valid_name("a?"));
        CU_ASSERT_FALSE(asa_valid_name("a\"b"));
        CU_ASSERT_FALSE(asa_valid_name("0123456789012345678901234567890123456789012345678901234567890123456789"));
}

static void test_classify(void)
{
        const char *line = NULL;
        size_t len = 0;

        CU_ASSERT_EQUAL(asa_classify("", true, NULL, NULL), ASA_DONE);
        CU_ASSERT_EQUAL(asa_classify("\r\n", false, NULL, NULL), ASA_DONE);
        CU_ASSERT_EQUAL(asa_classify("Adding obj (host 10.1.2.3) to grp (B) failed; object already exists\n", true,
                                     NULL, NULL), ASA_ALREADY);
        CU_ASSERT_EQUAL(asa_classify("WARNING: Duplicate object\n", true, NULL, NULL), ASA_ALREADY);
        CU_ASSERT_EQUAL(asa_classify("ERROR: Object does not exist\n", false, NULL, NULL), ASA_ABSENT);
        CU_ASSERT_EQUAL(asa_classify("Removing obj failed; not found\n", false, NULL, NULL), ASA_ABSENT);
        /* "already exists" on an unblock is not "absent": an error */
        CU_ASSERT_EQUAL(asa_classify("ERROR: object already exists\n", false, &line, &len), ASA_ERROR);
        CU_ASSERT_EQUAL(asa_classify("ok\nERROR: % Invalid input detected at '^' marker.\nmore\n", true, &line, &len),
                        ASA_ERROR);
        CU_ASSERT_EQUAL(len, strlen("ERROR: % Invalid input detected at '^' marker."));
        CU_ASSERT_EQUAL(strncmp(line, "ERROR: %", 8), 0);
        CU_ASSERT_EQUAL(asa_classify("Command authorization failed: not authorized\n", true, NULL, NULL), ASA_ERROR);
}

static void test_group_defined(void)
{
        CU_ASSERT_TRUE(asa_group_defined("object-group network Vectra-Block\n network-object host 10.0.0.1\n",
                                         "Vectra-Block"));
        CU_ASSERT_TRUE(asa_group_defined("\r\nobject-group network Vectra-Block\r\n", "Vectra-Block"));
        CU_ASSERT_FALSE(asa_group_defined("object-group network Vectra-Block-2\n", "Vectra-Block"));
        CU_ASSERT_FALSE(asa_group_defined("object-group service Vectra-Block tcp\n", "Vectra-Block"));
        CU_ASSERT_FALSE(asa_group_defined("", "Vectra-Block"));
        CU_ASSERT_FALSE(asa_group_defined("ERROR: % Invalid input\n", "Vectra-Block"));
}

static void test_group_hosts(void)
{
        const char *out = "object-group network Other\n network-object host 9.9.9.9\n"
                          "object-group network Vectra-Block\r\n"
                          " description blocked hosts\r\n"
                          " network-object host 10.0.0.1\r\n"
                          " network-object object web-srv\r\n"
                          "  network-object host 2001:db8::1 \r\n"
                          " network-object host 10.0.0.1\r\n"
                          " network-object 10.1.0.0 255.255.0.0\r\n"
                          "object-group network Vectra-Block-2\n network-object host 8.8.8.8\n";
        char **v = asa_group_hosts(out, "Vectra-Block");

        CU_ASSERT_EQUAL(strv_length(v), 2);
        CU_ASSERT_TRUE(strv_contains(v, "10.0.0.1"));
        CU_ASSERT_TRUE(strv_contains(v, "2001:db8::1"));
        CU_ASSERT_FALSE(strv_contains(v, "9.9.9.9"));
        CU_ASSERT_FALSE(strv_contains(v, "8.8.8.8"));
        strv_free(v);
        v = asa_group_hosts("", "Vectra-Block");
        CU_ASSERT_PTR_NOT_NULL(v);
        CU_ASSERT_EQUAL(strv_length(v), 0);
        strv_free(v);
        v = asa_group_hosts(" network-object host 1.1.1.1\n", "Vectra-Block");  /* no header: not ours */
        CU_ASSERT_EQUAL(strv_length(v), 0);
        strv_free(v);
}

void cisco_asa_cmd_suite_add(void)
{
        UNIT_SUITE("cisco_asa_cmd",
                   UNIT_TEST(test_path),
                   UNIT_TEST(test_valid_name),
                   UNIT_TEST(test_classify),
                   UNIT_TEST(test_group_defined),
                   UNIT_TEST(test_group_hosts));
}
