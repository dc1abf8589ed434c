/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "responders/cisco_fmc_json.h"
#include "tests/unit/unit.h"

static cJSON *J(const char *s)
{
        cJSON *j = cJSON_Parse(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        return j;
}

static void test_next_path(void)
{
        cJSON *j = J("{\"paging\":{\"offset\":0,\"limit\":2,\"count\":5,\"pages\":3,\"next\":"
                     "[\"https://fmc.example.com/api/fmc_config/v1/domain/D/object/hosts?offset=2&limit=2\"]}}");
        char *p = fmc_next_path(j);

        CU_ASSERT_STRING_EQUAL(p, "/api/fmc_config/v1/domain/D/object/hosts?offset=2&limit=2");
        free(p);
        cJSON_Delete(j);
        /* last page, no paging, a foreign URL without /api/, control characters */
        j = J("{\"paging\":{\"offset\":4,\"count\":5}}");
        CU_ASSERT_PTR_NULL(fmc_next_path(j));
        cJSON_Delete(j);
        j = J("{\"items\":[]}");
        CU_ASSERT_PTR_NULL(fmc_next_path(j));
        cJSON_Delete(j);
        j = J("{\"paging\":{\"next\":[\"https://evil.example.com/x\"]}}");
        CU_ASSERT_PTR_NULL(fmc_next_path(j));
        cJSON_Delete(j);
        j = J("{\"paging\":{\"next\":[\"https://f/api/x\\r\\nX-Evil: 1\"]}}");
        CU_ASSERT_PTR_NULL(fmc_next_path(j));
        cJSON_Delete(j);
        j = J("{\"paging\":{\"next\":[17]}}");
        CU_ASSERT_PTR_NULL(fmc_next_path(j));
        cJSON_Delete(j);
        CU_ASSERT_PTR_NULL(fmc_next_path(NULL));
}

static void test_find_id(void)
{
        cJSON *j = J("{\"items\":[{\"name\":\"Other\",\"id\":\"1\"},{\"name\":\"Block\"},"
                     "{\"name\":\"Block\",\"id\":\"2\"},{\"name\":\"Block\",\"id\":\"3\"}]}");

        CU_ASSERT_STRING_EQUAL(fmc_find_id(j, "Block"), "2");
        CU_ASSERT_PTR_NULL(fmc_find_id(j, "block"));            /* exact names */
        CU_ASSERT_PTR_NULL(fmc_find_id(j, "Blo"));
        cJSON_Delete(j);
        j = J("{\"items\":{}}");
        CU_ASSERT_PTR_NULL(fmc_find_id(j, "Block"));
        cJSON_Delete(j);
}

static void test_host_body(void)
{
        char *s = fmc_host_body("10.1.2.3", "made by \"us\"");
        cJSON *j = J(s);

        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "type")->valuestring, "Host");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "name")->valuestring, "10.1.2.3");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "value")->valuestring, "10.1.2.3");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "description")->valuestring, "made by \"us\"");
        cJSON_Delete(j);
        free(s);
}

static void test_bulk_body(void)
{
        const char *ips[] = { "10.0.0.1", "10.0.0.2" };
        char *s = fmc_hosts_bulk_body(ips, 2, "d");
        cJSON *j = J(s);

        CU_ASSERT_TRUE(cJSON_IsArray(j));
        CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 2);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "name")->valuestring, "10.0.0.2");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "value")->valuestring, "10.0.0.2");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "type")->valuestring, "Host");
        cJSON_Delete(j);
        free(s);
}

static void test_group_edit(void)
{
        cJSON *g = J("{\"id\":\"G\",\"name\":\"Block\",\"type\":\"NetworkGroup\",\"links\":{\"self\":\"x\"},"
                     "\"metadata\":{\"readOnly\":{\"state\":false}},"
                     "\"objects\":[{\"type\":\"Host\",\"id\":\"h1\",\"name\":\"10.0.0.1\"}],"
                     "\"literals\":[{\"type\":\"Host\",\"value\":\"192.0.2.1\"}]}");
        char *s;
        cJSON *p;

        CU_ASSERT_TRUE(fmc_group_has(g, "h1"));
        CU_ASSERT_FALSE(fmc_group_has(g, "h2"));
        CU_ASSERT_FALSE(fmc_group_add(g, "h1", "10.0.0.1"));   /* already a member: no change */
        CU_ASSERT_TRUE(fmc_group_add(g, "h2", "10.0.0.2"));
        CU_ASSERT_TRUE(fmc_group_has(g, "h2"));
        CU_ASSERT_FALSE(fmc_group_remove(g, "h9"));           /* not a member: no change */
        CU_ASSERT_TRUE(fmc_group_remove(g, "h1"));
        CU_ASSERT_FALSE(fmc_group_has(g, "h1"));
        s = fmc_group_put_body(g);
        p = J(s);
        /* the whole object but the read-only parts; literals kept */
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(p, "links"));
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(p, "metadata"));
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(p, "id")->valuestring, "G");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(p, "name")->valuestring, "Block");
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(p, "literals")), 1);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(p, "objects")), 1);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "objects"), 0),
                                                   "type")->valuestring, "Host");
        cJSON_Delete(p);
        free(s);
        cJSON_Delete(g);

        /* a group with literals only has no objects[] yet */
        g = J("{\"id\":\"G\",\"name\":\"B\",\"type\":\"NetworkGroup\",\"literals\":[]}");
        CU_ASSERT_FALSE(fmc_group_remove(g, "h1"));
        CU_ASSERT_TRUE(fmc_group_add(g, "h1", NULL));
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(g, "objects")), 1);
        cJSON_Delete(g);
}

static void test_deploy_body(void)
{
        const char *only[] = { "ftd-2", NULL };
        cJSON *d = J("{\"items\":[{\"version\":\"1700000000100\",\"device\":{\"id\":\"d1\",\"name\":\"ftd-1\"},"
                     "\"canBeDeployed\":true},"
                     "{\"version\":\"1700000000200\",\"device\":{\"id\":\"d2\",\"name\":\"ftd-2\"}},"
                     "{\"version\":\"999\",\"device\":{\"id\":\"d3\",\"name\":\"ftd-3\"},\"canBeDeployed\":false},"
                     "{\"version\":\"1\"}]}");
        size_t n = 9;
        char *s = fmc_deploy_body(d, NULL, &n);
        cJSON *b = J(s);

        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(b, "type")->valuestring, "DeploymentRequest");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(b, "version")->valuestring, "1700000000200");
        CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(b, "forceDeploy")));
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(b, "deviceList")), 2);
        CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "deviceList"), 0)->valuestring, "d1");
        cJSON_Delete(b);
        free(s);

        s = fmc_deploy_body(d, only, &n);
        b = J(s);
        CU_ASSERT_EQUAL(n, 1);
        CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "deviceList"), 0)->valuestring, "d2");
        cJSON_Delete(b);
        free(s);
        cJSON_Delete(d);

        d = J("{\"items\":[]}");
        CU_ASSERT_PTR_NULL(fmc_deploy_body(d, NULL, &n));
        CU_ASSERT_EQUAL(n, 0);
        cJSON_Delete(d);
        d = J("{\"paging\":{}}");
        CU_ASSERT_PTR_NULL(fmc_deploy_body(d, NULL, &n));
        cJSON_Delete(d);
}

void cisco_fmc_json_suite_add(void)
{
        UNIT_SUITE("cisco_fmc_json",
                   UNIT_TEST(test_next_path),
                   UNIT_TEST(test_find_id),
                   UNIT_TEST(test_host_body),
                   UNIT_TEST(test_bulk_body),
                   UNIT_TEST(test_group_edit),
                   UNIT_TEST(test_deploy_body));
}
