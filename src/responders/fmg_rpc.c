/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "common/addr.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/fmg_rpc.h"
#include "responders/fortios_map.h"

static char *print(cJSON *o)
{
        char *s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s)
                abort();
        return s;
}

char *fmg_request(int id, const char *method, cJSON *params, const char *session)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddStringToObject(o, "method", method);
        cJSON_AddItemToObject(o, "params", params ? params : cJSON_CreateArray());
        if (session)
                cJSON_AddStringToObject(o, "session", session);
        return print(o);
}

static const cJSON *result(const cJSON *doc, int i)
{
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "result");

        if (cJSON_IsArray(res))
                return cJSON_GetArrayItem(res, i);
        return i == 0 && cJSON_IsObject(res) ? res : NULL;
}

int fmg_code(const cJSON *doc, int i, const char **msg)
{
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(result(doc, i), "status");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(st, "code");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");

        if (msg)
                *msg = cJSON_IsString(m) ? m->valuestring : "";
        return cJSON_IsNumber(c) ? c->valueint : FMG_BAD_ANSWER;
}

const char *fmg_session(const cJSON *doc)
{
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "session");
        return cJSON_IsString(s) && s->valuestring[0] ? s->valuestring : NULL;
}

char *fmg_addr_name(const char *prefix, const char *value)
{
        char canon[ADDR_STR_MAX];
        AddrNet a;
        char *s;

        if (!value || addr_parse(value, &a) < 0 || a.family != AF_INET)
                return NULL;
        addr_format(&a, canon, sizeof(canon));
        s = xasprintf("%s_%s", prefix, canon);
        for (char *p = s + strlen(prefix); *p; p++)
                if (*p == '.' || *p == '/')
                        *p = '_';
        return s;
}

cJSON *fmg_addr_data(const char *name, const char *value)
{
        char subnet[64];
        cJSON *o;

        if (fortios_subnet(value, subnet, sizeof(subnet)) < 0)
                return NULL;
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddStringToObject(o, "type", "ipmask");
        cJSON_AddStringToObject(o, "subnet", subnet);
        cJSON_AddStringToObject(o, "comment", "secresp");
        return o;
}

int fmg_group_members(const cJSON *doc, int i, char ***ret)
{
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(result(doc, i), "data");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(data, "member"), *e;
        char **v = NULL;

        *ret = NULL;
        if (!cJSON_IsObject(data))
                return -EBADMSG;
        if (cJSON_IsString(m))
                v = strv_push(v, m->valuestring);
        else if (cJSON_IsArray(m))
                cJSON_ArrayForEach(e, m) {
                        if (!cJSON_IsString(e)) {
                                strv_free(v);
                                return -EBADMSG;
                        }
                        if (!strv_contains(v, e->valuestring))
                                v = strv_push(v, e->valuestring);
                }
        else if (m && !cJSON_IsNull(m))
                return -EBADMSG;
        *ret = v ? v : xnew(char *, 1);
        return 0;
}

cJSON *fmg_scope(char *const *scope)
{
        cJSON *arr = cJSON_CreateArray();

        for (size_t i = 0; scope && scope[i]; i++) {
                const char *slash = strchr(scope[i], '/');
                cJSON *o = cJSON_CreateObject();
                char *dev = xstrndup(scope[i], slash ? (size_t) (slash - scope[i]) : strlen(scope[i]));
                cJSON_AddStringToObject(o, "name", dev);
                cJSON_AddStringToObject(o, "vdom", slash && slash[1] ? slash + 1 : "root");
                cJSON_AddItemToArray(arr, o);
                free(dev);
        }
        return arr;
}

int fmg_task(const cJSON *doc, int *percent, int *num_err)
{
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(result(doc, 0), "data");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(data, "percent");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(data, "num_err");

        if (!cJSON_IsNumber(p))
                return -EBADMSG;
        *percent = p->valueint;
        *num_err = cJSON_IsNumber(e) ? e->valueint : 0;
        return 0;
}

long fmg_install_task(const cJSON *doc)
{
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(result(doc, 0), "data");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(data, "task");

        return cJSON_IsNumber(t) ? (long) t->valuedouble : -1;
}
