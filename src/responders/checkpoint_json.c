/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/xalloc.h"
#include "responders/checkpoint_json.h"

static char *print_free(cJSON *o)
{
        char *s = cJSON_PrintUnformatted(o);

        cJSON_Delete(o);
        return s;
}

char *cp_login_body(const char *user, const char *password, const char *domain)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "user", user);
        cJSON_AddStringToObject(o, "password", password);
        if (domain && domain[0])
                cJSON_AddStringToObject(o, "domain", domain);
        return print_free(o);
}

char *cp_add_host_body(const char *ip, const char *group)
{
        cJSON *o = cJSON_CreateObject(), *g;

        cJSON_AddStringToObject(o, "name", ip);
        cJSON_AddStringToObject(o, "ip-address", ip);
        g = cJSON_AddArrayToObject(o, "groups");
        cJSON_AddItemToArray(g, cJSON_CreateString(group));
        cJSON_AddStringToObject(o, "comments", "blocked by secresp");
        return print_free(o);
}

char *cp_group_member_body(const char *group, const char *name, bool add)
{
        cJSON *o = cJSON_CreateObject(), *m;

        cJSON_AddStringToObject(o, "name", group);
        m = cJSON_AddObjectToObject(o, "members");
        cJSON_AddStringToObject(m, add ? "add" : "remove", name);
        return print_free(o);
}

char *cp_name_body(const char *name)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "name", name);
        return print_free(o);
}

char *cp_install_body(const char *package, const char *const *targets)
{
        cJSON *o = cJSON_CreateObject(), *t;

        cJSON_AddStringToObject(o, "policy-package", package);
        t = cJSON_AddArrayToObject(o, "targets");
        for (size_t i = 0; targets && targets[i]; i++)
                cJSON_AddItemToArray(t, cJSON_CreateString(targets[i]));
        cJSON_AddBoolToObject(o, "access", true);
        cJSON_AddBoolToObject(o, "threat-prevention", false);
        return print_free(o);
}

char *cp_task_body(const char *task_id)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "task-id", task_id);
        return print_free(o);
}

static const char *str_of(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool contains(const char *s, const char *needle)
{
        size_t k = strlen(needle);

        for (; s && *s; s++)
                if (!strncasecmp(s, needle, k))
                        return true;
        return false;
}

CpErr cp_error(const cJSON *answer, char **ret_text)
{
        const char *code = str_of(answer, "code"), *msg = str_of(answer, "message"), *first = NULL;
        const cJSON *errs = cJSON_GetObjectItemCaseSensitive(answer, "errors"), *e;
        CpErr k = CP_ERR_OTHER;
        char *t;

        cJSON_ArrayForEach(e, errs) {
                if ((first = str_of(e, "message")))
                        break;
        }
        if (!code && !msg && !first)
                k = CP_ERR_OTHER;
        else if (code && (!strcmp(code, "generic_err_wrong_session_id") ||
                          !strcmp(code, "generic_err_missing_session_id") ||
                          !strcmp(code, "generic_err_session_expired")))
                k = CP_ERR_SESSION;
        else if ((code && !strcmp(code, "generic_err_object_not_found")) || contains(first, "not a member") ||
                 contains(msg, "not a member") || contains(first, "not found"))
                k = CP_ERR_NOT_FOUND;
        else if (contains(first, "more than one object named") || contains(first, "already exists") ||
                 contains(msg, "already exists"))
                k = CP_ERR_EXISTS;
        if (ret_text) {
                t = xasprintf("%.40s%s%.160s%s%.100s", code ? code : "error", msg ? ": " : "", msg ? msg : "",
                              first ? ": " : "", first ? first : "");
                for (char *p = t; *p; p++)
                        if (!isprint((unsigned char) *p))
                                *p = ' ';
                *ret_text = t;
        }
        return k;
}

CpTask cp_task_state(const cJSON *answer, const char **ret_status)
{
        const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(answer, "tasks");
        const cJSON *t = cJSON_GetArrayItem(tasks, 0);
        const char *st = str_of(t, "status");

        if (!st)
                return CP_TASK_UNKNOWN;
        if (ret_status)
                *ret_status = st;
        if (!strcmp(st, "in progress") || !strcmp(st, "pending"))
                return CP_TASK_RUNNING;
        if (!strncmp(st, "succeeded", 9))      /* "succeeded with warnings" too */
                return CP_TASK_SUCCEEDED;
        return CP_TASK_FAILED;
}
