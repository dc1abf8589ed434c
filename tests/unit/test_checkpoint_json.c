/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "responders/checkpoint_json.h"
#include "tests/unit/unit.h"

static cJSON *J(const char *s)
{
        cJSON *j = cJSON_Parse(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        return j;
}

/* Parses s (freed) and checks that key holds the string v. */
static void check_str(char *s, const char *path1, const char *path2, const char *v)
{
        cJSON *j = J(s);
        const cJSON *x = cJSON_GetObjectItem(j, path1);

        if (path2)
                x = cJSON_GetObjectItem(x, path2);
        CU_ASSERT_TRUE(cJSON_IsString(x) && !strcmp(x->valuestring, v));
        cJSON_Delete(j);
        free(s);
}

static void test_bodies(void)
{
        const char *targets[] = { "gw-1", "gw-2", NULL };
        char *s;
        cJSON *j;

        check_str(cp_login_body("u", "p\"w", NULL), "password", NULL, "p\"w");
        s = cp_login_body("u", "p", "");
        CU_ASSERT_PTR_NULL(strstr(s, "domain"));
        free(s);
        check_str(cp_login_body("u", "p", "SMC User"), "domain", NULL, "SMC User");
        check_str(cp_add_host_body("10.1.2.3", "G"), "ip-address", NULL, "10.1.2.3");
        s = cp_add_host_body("10.1.2.3", "G");
        j = J(s);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "name")->valuestring, "10.1.2.3");
        CU_ASSERT_STRING_EQUAL(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "groups"), 0)->valuestring, "G");
        cJSON_Delete(j);
        free(s);
        check_str(cp_group_member_body("G", "10.1.2.3", true), "members", "add", "10.1.2.3");
        check_str(cp_group_member_body("G", "10.1.2.3", false), "members", "remove", "10.1.2.3");
        check_str(cp_name_body("G"), "name", NULL, "G");
        check_str(cp_task_body("01234567-89ab"), "task-id", NULL, "01234567-89ab");
        s = cp_install_body("Standard", targets);
        j = J(s);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(j, "policy-package")->valuestring, "Standard");
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "targets")), 2);
        CU_ASSERT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(j, "access")));
        cJSON_Delete(j);
        free(s);
}

static void test_errors(void)
{
        static const struct {
                const char *json;
                CpErr kind;
                const char *text;
        } cases[] = {
                { "{\"code\":\"generic_err_object_not_found\",\"message\":\"Requested object [x] not found\"}",
                  CP_ERR_NOT_FOUND, "generic_err_object_not_found: Requested object [x] not found" },
                { "{\"code\":\"err_validation_failed\",\"message\":\"Validation failed with 1 error\","
                  "\"errors\":[{\"message\":\"More than one object named '10.1.2.3' exists.\"}]}",
                  CP_ERR_EXISTS, NULL },
                { "{\"code\":\"err_validation_failed\",\"message\":\"Validation failed\","
                  "\"errors\":[{\"message\":\"Object 'x' is not a member of group 'G'.\"}]}", CP_ERR_NOT_FOUND, NULL },
                { "{\"code\":\"generic_err_wrong_session_id\",\"message\":\"Wrong session id\"}", CP_ERR_SESSION, NULL },
                { "{\"code\":\"generic_err_missing_session_id\",\"message\":\"Missing header\"}", CP_ERR_SESSION, NULL },
                { "{\"code\":\"err_validation_failed\",\"message\":\"Validation failed\","
                  "\"errors\":[{\"message\":\"Object 'x' is used by G2\"}]}", CP_ERR_OTHER,
                  "err_validation_failed: Validation failed: Object 'x' is used by G2" },
                { "{}", CP_ERR_OTHER, "error" },
                { "{\"message\":\"line\\nbreak\"}", CP_ERR_OTHER, "error: line break" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cJSON *j = J(cases[i].json);
                char *t = NULL;
                CU_ASSERT_EQUAL(cp_error(j, &t), cases[i].kind);
                CU_ASSERT_PTR_NOT_NULL(t);
                if (cases[i].text && t)
                        CU_ASSERT_STRING_EQUAL(t, cases[i].text);
                free(t);
                cJSON_Delete(j);
        }
        CU_ASSERT_EQUAL(cp_error(NULL, NULL), CP_ERR_OTHER);
}

static void test_task(void)
{
        static const struct {
                const char *json;
                CpTask st;
        } cases[] = {
                { "{\"tasks\":[{\"task-id\":\"t\",\"status\":\"in progress\",\"progress-percentage\":10}]}",
                  CP_TASK_RUNNING },
                { "{\"tasks\":[{\"status\":\"succeeded\"}]}", CP_TASK_SUCCEEDED },
                { "{\"tasks\":[{\"status\":\"succeeded with warnings\"}]}", CP_TASK_SUCCEEDED },
                { "{\"tasks\":[{\"status\":\"failed\"}]}", CP_TASK_FAILED },
                { "{\"tasks\":[{\"status\":\"partially succeeded\"}]}", CP_TASK_FAILED },
                { "{\"tasks\":[]}", CP_TASK_UNKNOWN },
                { "{\"tasks\":[{\"status\":7}]}", CP_TASK_UNKNOWN },
                { "[]", CP_TASK_UNKNOWN },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cJSON *j = J(cases[i].json);
                const char *st = NULL;
                CU_ASSERT_EQUAL(cp_task_state(j, &st), cases[i].st);
                if (cases[i].st != CP_TASK_UNKNOWN)
                        CU_ASSERT_PTR_NOT_NULL(st);
                cJSON_Delete(j);
        }
}

void checkpoint_json_suite_add(void)
{
        UNIT_SUITE("checkpoint_json",
                   UNIT_TEST(test_bodies),
                   UNIT_TEST(test_errors),
                   UNIT_TEST(test_task));
}
