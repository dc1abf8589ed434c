/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "responders/fmg_rpc.h"
#include "tests/unit/unit.h"

void fmg_rpc_suite_add(void);

static void test_request(void)
{
        cJSON *params = cJSON_CreateArray(), *p = cJSON_CreateObject();
        char *s;

        cJSON_AddStringToObject(p, "url", "/sys/logout");
        cJSON_AddItemToArray(params, p);
        s = fmg_request(7, "exec", params, "S1");
        CU_ASSERT_STRING_EQUAL(s, "{\"id\":7,\"method\":\"exec\",\"params\":[{\"url\":\"/sys/logout\"}],\"session\":\"S1\"}");
        free(s);
        s = fmg_request(1, "get", NULL, NULL);
        CU_ASSERT_STRING_EQUAL(s, "{\"id\":1,\"method\":\"get\",\"params\":[]}");
        free(s);
}

static void test_codes(void)
{
        cJSON *doc = cJSON_Parse("{\"id\":1,\"result\":[{\"status\":{\"code\":0,\"message\":\"OK\"}},"
                                 "{\"status\":{\"code\":-3,\"message\":\"Object does not exist\"}}],\"session\":\"abc\"}");
        const char *msg = NULL;

        CU_ASSERT_EQUAL(fmg_code(doc, 0, NULL), 0);
        CU_ASSERT_EQUAL(fmg_code(doc, 1, &msg), FMG_NOT_FOUND);
        CU_ASSERT_STRING_EQUAL(msg, "Object does not exist");
        CU_ASSERT_EQUAL(fmg_code(doc, 2, NULL), FMG_BAD_ANSWER);
        CU_ASSERT_STRING_EQUAL(fmg_session(doc), "abc");
        cJSON_Delete(doc);
        /* some builds answer one result as an object */
        doc = cJSON_Parse("{\"result\":{\"status\":{\"code\":-11,\"message\":\"No permission for the resource\"}}}");
        CU_ASSERT_EQUAL(fmg_code(doc, 0, NULL), FMG_NO_PERMISSION);
        CU_ASSERT_PTR_NULL(fmg_session(doc));
        cJSON_Delete(doc);
        CU_ASSERT_EQUAL(fmg_code(NULL, 0, NULL), FMG_BAD_ANSWER);
}

static void test_addr(void)
{
        char *n = fmg_addr_name("secresp", "10.0.0.1");
        cJSON *d;
        char *s;

        CU_ASSERT_STRING_EQUAL(n, "secresp_10_0_0_1");
        free(n);
        n = fmg_addr_name("x", "2.2.2.0/24");
        CU_ASSERT_STRING_EQUAL(n, "x_2_2_2_0_24");
        free(n);
        CU_ASSERT_PTR_NULL(fmg_addr_name("x", "2001:db8::1"));
        CU_ASSERT_PTR_NULL(fmg_addr_name("x", "nope"));
        d = fmg_addr_data("x_2_2_2_0_24", "2.2.2.0/24");
        s = cJSON_PrintUnformatted(d);
        CU_ASSERT_STRING_EQUAL(s, "{\"name\":\"x_2_2_2_0_24\",\"type\":\"ipmask\",\"subnet\":\"2.2.2.0 255.255.255.0\","
                                  "\"comment\":\"secresp\"}");
        free(s);
        cJSON_Delete(d);
        d = fmg_addr_data("h", "10.0.0.1");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "subnet")->valuestring, "10.0.0.1 255.255.255.255");
        cJSON_Delete(d);
}

static void test_members(void)
{
        cJSON *doc = cJSON_Parse("{\"result\":[{\"status\":{\"code\":0},\"data\":{\"name\":\"g\",\"member\":[\"a\",\"b\",\"a\"]}},"
                                 "{\"status\":{\"code\":0},\"data\":{\"name\":\"h\",\"member\":\"only\"}},"
                                 "{\"status\":{\"code\":0},\"data\":{\"name\":\"e\"}},"
                                 "{\"status\":{\"code\":0},\"data\":{\"member\":[1]}}]}");
        char **m;

        CU_ASSERT_EQUAL(fmg_group_members(doc, 0, &m), 0);
        CU_ASSERT_EQUAL(strv_length(m), 2);
        strv_free(m);
        CU_ASSERT_EQUAL(fmg_group_members(doc, 1, &m), 0);
        CU_ASSERT_STRING_EQUAL(m[0], "only");
        strv_free(m);
        CU_ASSERT_EQUAL(fmg_group_members(doc, 2, &m), 0);
        CU_ASSERT_EQUAL(strv_length(m), 0);
        strv_free(m);
        CU_ASSERT_EQUAL(fmg_group_members(doc, 3, &m), -EBADMSG);
        CU_ASSERT_EQUAL(fmg_group_members(doc, 4, &m), -EBADMSG);
        cJSON_Delete(doc);
}

/* VAR's scope was a literal placeholder; ours comes from the config. */
static void test_scope(void)
{
        char *scope[] = { "fgt1/root", "fgt2", "fgt3/dmz", NULL };
        cJSON *s = fmg_scope(scope);
        char *t = cJSON_PrintUnformatted(s);

        CU_ASSERT_STRING_EQUAL(t, "[{\"name\":\"fgt1\",\"vdom\":\"root\"},{\"name\":\"fgt2\",\"vdom\":\"root\"},"
                                  "{\"name\":\"fgt3\",\"vdom\":\"dmz\"}]");
        free(t);
        cJSON_Delete(s);
}

static void test_task(void)
{
        cJSON *doc = cJSON_Parse("{\"result\":[{\"status\":{\"code\":0},\"data\":{\"task\":42}}]}");
        int p = 0, e = 0;

        CU_ASSERT_EQUAL(fmg_install_task(doc), 42);
        CU_ASSERT_EQUAL(fmg_task(doc, &p, &e), -EBADMSG);
        cJSON_Delete(doc);
        doc = cJSON_Parse("{\"result\":[{\"status\":{\"code\":0},\"data\":{\"id\":42,\"percent\":100,\"num_err\":1}}]}");
        CU_ASSERT_EQUAL(fmg_task(doc, &p, &e), 0);
        CU_ASSERT_EQUAL(p, 100);
        CU_ASSERT_EQUAL(e, 1);
        CU_ASSERT_EQUAL(fmg_install_task(doc), -1);
        cJSON_Delete(doc);
}

void fmg_rpc_suite_add(void)
{
        UNIT_SUITE("fmg_rpc",
                   UNIT_TEST(test_request),
                   UNIT_TEST(test_codes),
                   UNIT_TEST(test_addr),
                   UNIT_TEST(test_members),
                   UNIT_TEST(test_scope),
                   UNIT_TEST(test_task));
}
