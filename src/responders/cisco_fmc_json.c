/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"
#include "responders/cisco_fmc_json.h"

static const char *str_of(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *fmc_next_path(const cJSON *page)
{
        const cJSON *paging = cJSON_GetObjectItemCaseSensitive(page, "paging");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(paging, "next");
        const char *u, *p;

        if (cJSON_IsArray(next))
                next = cJSON_GetArrayItem(next, 0);
        if (!cJSON_IsString(next))
                return NULL;
        u = next->valuestring;
        p = strstr(u, "/api/");
        if (!p)
                return NULL;
        for (const char *q = p; *q; q++)
                if ((unsigned char) *q <= 0x20 || *q == 0x7f)
                        return NULL;
        return xstrdup(p);
}

const char *fmc_find_id(const cJSON *page, const char *name)
{
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items"), *it;

        cJSON_ArrayForEach(it, items) {
                const char *n = str_of(it, "name"), *id = str_of(it, "id");
                if (n && id && name && !strcmp(n, name))
                        return id;
        }
        return NULL;
}

char *fmc_host_body(const char *ip, const char *description)
{
        cJSON *o = cJSON_CreateObject();
        char *s;

        cJSON_AddStringToObject(o, "type", "Host");
        cJSON_AddStringToObject(o, "name", ip);
        cJSON_AddStringToObject(o, "value", ip);
        cJSON_AddStringToObject(o, "description", description ? description : "");
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

char *fmc_hosts_bulk_body(const char *const *ips, size_t n, const char *description)
{
        cJSON *a = cJSON_CreateArray();
        char *s;

        for (size_t i = 0; i < n; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "type", "Host");
                cJSON_AddStringToObject(o, "name", ips[i]);
                cJSON_AddStringToObject(o, "value", ips[i]);
                cJSON_AddStringToObject(o, "description", description ? description : "");
                cJSON_AddItemToArray(a, o);
        }
        s = cJSON_PrintUnformatted(a);
        cJSON_Delete(a);
        return s;
}

bool fmc_group_has(const cJSON *group, const char *id)
{
        const cJSON *objs = cJSON_GetObjectItemCaseSensitive(group, "objects"), *it;

        cJSON_ArrayForEach(it, objs) {
                const char *oid = str_of(it, "id");
                if (oid && id && !strcmp(oid, id))
                        return true;
        }
        return false;
}

bool fmc_group_add(cJSON *group, const char *id, const char *name)
{
        cJSON *objs = cJSON_GetObjectItemCaseSensitive(group, "objects"), *m;

        if (!id || fmc_group_has(group, id))
                return false;
        if (!cJSON_IsArray(objs)) {
                cJSON_DeleteItemFromObjectCaseSensitive(group, "objects");
                objs = cJSON_AddArrayToObject(group, "objects");
        }
        m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "type", "Host");
        cJSON_AddStringToObject(m, "id", id);
        if (name)
                cJSON_AddStringToObject(m, "name", name);
        cJSON_AddItemToArray(objs, m);
        return true;
}

bool fmc_group_remove(cJSON *group, const char *id)
{
        cJSON *objs = cJSON_GetObjectItemCaseSensitive(group, "objects");
        bool changed = false;
        int i = 0;

        if (!cJSON_IsArray(objs) || !id)
                return false;
        while (i < cJSON_GetArraySize(objs)) {
                const char *oid = str_of(cJSON_GetArrayItem(objs, i), "id");
                if (oid && !strcmp(oid, id)) {
                        cJSON_DeleteItemFromArray(objs, i);
                        changed = true;
                } else
                        i++;
        }
        return changed;
}

char *fmc_group_put_body(const cJSON *group)
{
        cJSON *c = cJSON_Duplicate(group, true);
        char *s;

        cJSON_DeleteItemFromObjectCaseSensitive(c, "links");
        cJSON_DeleteItemFromObjectCaseSensitive(c, "metadata");
        s = cJSON_PrintUnformatted(c);
        cJSON_Delete(c);
        return s;
}

/* Versions are decimal strings (epoch milliseconds): compare as numbers. */
static bool version_greater(const char *a, const char *b)
{
        size_t la, lb;

        while (*a == '0' && a[1])
                a++;
        while (*b == '0' && b[1])
                b++;
        la = strlen(a);
        lb = strlen(b);
        return la != lb ? la > lb : strcmp(a, b) > 0;
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

char *fmc_deploy_body(const cJSON *deployable, const char *const *only, size_t *ret_n)
{
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(deployable, "items"), *it;
        const char *version = NULL;
        cJSON *body, *list;
        size_t n = 0;
        char *s;

        *ret_n = 0;
        body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "type", "DeploymentRequest");
        list = cJSON_CreateArray();
        cJSON_ArrayForEach(it, items) {
                const cJSON *dev = cJSON_GetObjectItemCaseSensitive(it, "device");
                const cJSON *can = cJSON_GetObjectItemCaseSensitive(it, "canBeDeployed");
                const char *id = str_of(dev, "id"), *name = str_of(dev, "name"), *v = str_of(it, "version");
                bool wanted = !only;

                if (!id || (can && cJSON_IsFalse(can)))
                        continue;
                for (size_t k = 0; only && only[k]; k++)
                        wanted = wanted || (name && !strcmp(only[k], name));
                if (!wanted)
                        continue;
                cJSON_AddItemToArray(list, cJSON_CreateString(id));
                n++;
                if (v && all_digits(v) && (!version || version_greater(v, version)))
                        version = v;
        }
        if (n == 0) {
                cJSON_Delete(list);
                cJSON_Delete(body);
                return NULL;
        }
        if (version)
                cJSON_AddStringToObject(body, "version", version);
        cJSON_AddBoolToObject(body, "forceDeploy", false);
        cJSON_AddBoolToObject(body, "ignoreWarning", true);
        cJSON_AddItemToObject(body, "deviceList", list);
        s = cJSON_PrintUnformatted(body);
        cJSON_Delete(body);
        *ret_n = n;
        return s;
}
