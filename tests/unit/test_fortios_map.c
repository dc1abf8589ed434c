/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "common/strv.h"
#include "responders/fortios_map.h"
#include "tests/unit/unit.h"

void fortios_map_suite_add(void);

static bool strv_is(char *const *v, const char *const *want, size_t n)
{
        if (strv_length(v) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(v[i], want[i]))
                        return false;
        return true;
}

/* VAR's defect: a CIDR went out as iprange with start-ip "2.2.2.0/24",
 * which FortiOS refuses; it must be an ipmask with a dotted mask. */
static void test_cidr_is_ipmask(void)
{
        FortiAddr a;

        CU_ASSERT_EQUAL_FATAL(fortios_addr("2.2.2.0/24", &a), 0);
        CU_ASSERT_FALSE(a.v6);
        CU_ASSERT_STRING_EQUAL(a.name, "2.2.2.0/24");
        CU_ASSERT_STRING_EQUAL(a.body,
                               "{\"name\":\"2.2.2.0/24\",\"type\":\"ipmask\",\"subnet\":\"2.2.2.0 255.255.255.0\","
                               "\"comment\":\"secresp\"}");
        CU_ASSERT_PTR_NULL(strstr(a.body, "start-ip"));
        CU_ASSERT_STRING_EQUAL(fortios_addr_expected_type(&a), "ipmask");
        fortios_addr_done(&a);
}

static void test_host_is_iprange(void)
{
        FortiAddr a;

        CU_ASSERT_EQUAL_FATAL(fortios_addr("10.0.0.1", &a), 0);
        CU_ASSERT_STRING_EQUAL(a.name, "10.0.0.1");
        CU_ASSERT_STRING_EQUAL(a.body, "{\"name\":\"10.0.0.1\",\"type\":\"iprange\",\"start-ip\":\"10.0.0.1\","
                                       "\"end-ip\":\"10.0.0.1\",\"comment\":\"secresp\"}");
        fortios_addr_done(&a);
        /* /32 is a host, canonical name without it */
        CU_ASSERT_EQUAL_FATAL(fortios_addr("10.0.0.1/32", &a), 0);
        CU_ASSERT_STRING_EQUAL(a.name, "10.0.0.1");
        CU_ASSERT_STRING_EQUAL(fortios_addr_expected_type(&a), "iprange");
        fortios_addr_done(&a);
}

static void test_ipv6(void)
{
        FortiAddr a;

        CU_ASSERT_EQUAL_FATAL(fortios_addr("2001:DB8::1", &a), 0);
        CU_ASSERT_TRUE(a.v6);
        CU_ASSERT_STRING_EQUAL(a.name, "2001:db8::1");
        CU_ASSERT_STRING_EQUAL(a.body, "{\"name\":\"2001:db8::1\",\"type\":\"ipprefix\",\"ip6\":\"2001:db8::1/128\","
                                       "\"comment\":\"secresp\"}");
        fortios_addr_done(&a);
        CU_ASSERT_EQUAL_FATAL(fortios_addr("2001:db8::/48", &a), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "\"ip6\":\"2001:db8::/48\""));
        fortios_addr_done(&a);
}

static void test_bad_values(void)
{
        FortiAddr a;

        CU_ASSERT_EQUAL(fortios_addr("not-an-ip", &a), -EINVAL);
        CU_ASSERT_PTR_NULL(a.name);
        CU_ASSERT_EQUAL(fortios_addr("2.2.2.1/24", &a), -EINVAL);       /* host bits set */
        CU_ASSERT_EQUAL(fortios_addr(NULL, &a), -EINVAL);
}

static void test_subnet(void)
{
        char buf[64];

        CU_ASSERT_EQUAL(fortios_subnet("10.0.0.0/8", buf, sizeof(buf)), 0);
        CU_ASSERT_STRING_EQUAL(buf, "10.0.0.0 255.0.0.0");
        CU_ASSERT_EQUAL(fortios_subnet("192.168.1.128/25", buf, sizeof(buf)), 0);
        CU_ASSERT_STRING_EQUAL(buf, "192.168.1.128 255.255.255.128");
        CU_ASSERT_EQUAL(fortios_subnet("0.0.0.0/0", buf, sizeof(buf)), 0);
        CU_ASSERT_STRING_EQUAL(buf, "0.0.0.0 0.0.0.0");
        CU_ASSERT_EQUAL(fortios_subnet("1.2.3.4", buf, sizeof(buf)), 0);
        CU_ASSERT_STRING_EQUAL(buf, "1.2.3.4 255.255.255.255");
        CU_ASSERT_EQUAL(fortios_subnet("2001:db8::/32", buf, sizeof(buf)), -EINVAL);
        CU_ASSERT_EQUAL(fortios_subnet("10.0.0.0/8", buf, 8), -ENOBUFS);
}

static void test_escape(void)
{
        char *s = fortios_escape("2.2.2.0/24");
        CU_ASSERT_STRING_EQUAL(s, "2.2.2.0%2F24");
        free(s);
        s = fortios_escape("Internal Block&x");
        CU_ASSERT_STRING_EQUAL(s, "Internal%20Block%26x");
        free(s);
        s = fortios_escape("2001:db8::1");
        CU_ASSERT_STRING_EQUAL(s, "2001:db8::1");
        free(s);
}

static void test_group_members(void)
{
        cJSON *doc = cJSON_Parse("{\"http_method\":\"GET\",\"results\":[{\"name\":\"Internal-Block\","
                                 "\"member\":[{\"name\":\"10.0.0.1\",\"q_origin_key\":\"10.0.0.1\"},"
                                 "{\"name\":\"10.0.0.2\",\"q_origin_key\":\"10.0.0.2\"}]}],\"status\":\"success\"}");
        static const char *const want[] = { "10.0.0.1", "10.0.0.2" };
        char **m = NULL;

        CU_ASSERT_EQUAL(fortios_group_members(doc, &m), 0);
        CU_ASSERT_TRUE(strv_is(m, want, 2));
        strv_free(m);
        cJSON_Delete(doc);

        doc = cJSON_Parse("{\"results\":[{\"name\":\"g\",\"member\":[]}]}");
        CU_ASSERT_EQUAL(fortios_group_members(doc, &m), 0);
        CU_ASSERT_PTR_NOT_NULL(m);
        CU_ASSERT_EQUAL(strv_length(m), 0);
        strv_free(m);
        cJSON_Delete(doc);

        doc = cJSON_Parse("{\"results\":[{\"name\":\"g\"}]}");
        CU_ASSERT_EQUAL(fortios_group_members(doc, &m), -EBADMSG);
        cJSON_Delete(doc);
        CU_ASSERT_EQUAL(fortios_group_members(NULL, &m), -EBADMSG);
        doc = cJSON_Parse("{\"results\":[{\"member\":[{\"q_origin_key\":\"x\"}]}]}");
        CU_ASSERT_EQUAL(fortios_group_members(doc, &m), -EBADMSG);
        cJSON_Delete(doc);
}

static void test_errors(void)
{
        cJSON *dup = cJSON_Parse("{\"status\":\"error\",\"http_status\":500,\"error\":-5}");
        cJSON *used = cJSON_Parse("{\"status\":\"error\",\"http_status\":500,\"error\":-23}");
        cJSON *addr = cJSON_Parse("{\"results\":[{\"name\":\"1.2.3.4\",\"type\":\"ipmask\"}]}");

        CU_ASSERT_TRUE(fortios_is_duplicate(dup));
        CU_ASSERT_FALSE(fortios_is_duplicate(used));
        CU_ASSERT_FALSE(fortios_is_duplicate(NULL));
        CU_ASSERT_TRUE(fortios_is_in_use(500, used));
        CU_ASSERT_TRUE(fortios_is_in_use(424, NULL));
        CU_ASSERT_FALSE(fortios_is_in_use(500, dup));
        CU_ASSERT_STRING_EQUAL(fortios_addr_type(addr), "ipmask");
        CU_ASSERT_PTR_NULL(fortios_addr_type(dup));
        cJSON_Delete(dup);
        cJSON_Delete(used);
        cJSON_Delete(addr);
}

static void test_members_apply(void)
{
        char *cur[] = { "a", "b", "c", NULL };
        char *add[] = { "d", "b", "d", NULL };
        char *rm[] = { "a", "zz", NULL };
        static const char *const want[] = { "b", "c", "d" };
        char **v;
        bool changed;

        v = fortios_members_apply(cur, add, rm, NULL, &changed);
        CU_ASSERT_TRUE(strv_is(v, want, 3));
        CU_ASSERT_TRUE(changed);
        strv_free(v);

        /* already members, nothing to remove: unchanged, no PUT */
        v = fortios_members_apply(cur, (char *[]) { "a", NULL }, (char *[]) { "x", NULL }, NULL, &changed);
        CU_ASSERT_FALSE(changed);
        strv_free(v);

        /* emptied: the placeholder stays alone; without one, empty */
        v = fortios_members_apply((char *[]) { "a", NULL }, NULL, (char *[]) { "a", NULL }, "none", &changed);
        CU_ASSERT_TRUE(strv_is(v, (const char *const[]) { "none" }, 1));
        CU_ASSERT_TRUE(changed);
        strv_free(v);
        v = fortios_members_apply((char *[]) { "a", NULL }, NULL, (char *[]) { "a", NULL }, NULL, &changed);
        CU_ASSERT_EQUAL(strv_length(v), 0);
        CU_ASSERT_TRUE(changed);
        strv_free(v);

        /* a real member again: the placeholder goes */
        v = fortios_members_apply((char *[]) { "none", NULL }, (char *[]) { "1.2.3.4", NULL }, NULL, "none",
                                  &changed);
        CU_ASSERT_TRUE(strv_is(v, (const char *const[]) { "1.2.3.4" }, 1));
        strv_free(v);
        v = fortios_members_apply((char *[]) { "none", NULL }, NULL, NULL, "none", &changed);
        CU_ASSERT_FALSE(changed);
        strv_free(v);
}

static void test_group_body(void)
{
        char *m[] = { "10.0.0.1", "2.2.2.0/24", NULL };
        char *s = fortios_group_body(m);

        CU_ASSERT_STRING_EQUAL(s, "{\"member\":[{\"name\":\"10.0.0.1\"},{\"name\":\"2.2.2.0/24\"}]}");
        free(s);
        s = fortios_group_body(NULL);
        CU_ASSERT_STRING_EQUAL(s, "{\"member\":[]}");
        free(s);
}

void fortios_map_suite_add(void)
{
        UNIT_SUITE("fortios_map",
                   UNIT_TEST(test_cidr_is_ipmask),
                   UNIT_TEST(test_host_is_iprange),
                   UNIT_TEST(test_ipv6),
                   UNIT_TEST(test_bad_values),
                   UNIT_TEST(test_subnet),
                   UNIT_TEST(test_escape),
                   UNIT_TEST(test_group_members),
                   UNIT_TEST(test_errors),
                   UNIT_TEST(test_members_apply),
                   UNIT_TEST(test_group_body));
}
