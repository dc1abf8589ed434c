/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "common/addr.h"
#include "common/strv.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "responders/fortios_map.h"

int fortios_subnet(const char *cidr, char *buf, size_t len)
{
        AddrNet a;
        uint32_t mask;

        if (!cidr || addr_parse(cidr, &a) < 0 || a.family != AF_INET)
                return -EINVAL;
        mask = a.prefix == 0 ? 0 : 0xffffffffu << (32 - a.prefix);
        if ((size_t) snprintf(buf, len, "%u.%u.%u.%u %u.%u.%u.%u", a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3],
                              mask >> 24, (mask >> 16) & 0xff, (mask >> 8) & 0xff, mask & 0xff) >= len)
                return -ENOBUFS;
        return 0;
}

int fortios_addr(const char *value, FortiAddr *ret)
{
        char canon[ADDR_STR_MAX], subnet[64], pfx[ADDR_STR_MAX + 8];
        cJSON *o;
        AddrNet a;

        *ret = (FortiAddr) { 0 };
        if (!value || addr_parse(value, &a) < 0)
                return -EINVAL;
        addr_format(&a, canon, sizeof(canon));
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", canon);
        if (a.family == AF_INET6) {
                snprintf(pfx, sizeof(pfx), "%s%s", canon, addr_is_host(&a) ? "/128" : "");
                cJSON_AddStringToObject(o, "type", "ipprefix");
                cJSON_AddStringToObject(o, "ip6", pfx);
                ret->v6 = true;
        } else if (addr_is_host(&a)) {
                cJSON_AddStringToObject(o, "type", "iprange");
                cJSON_AddStringToObject(o, "start-ip", canon);
                cJSON_AddStringToObject(o, "end-ip", canon);
        } else {
                if (fortios_subnet(canon, subnet, sizeof(subnet)) < 0) {
                        cJSON_Delete(o);
                        return -EINVAL;
                }
                cJSON_AddStringToObject(o, "type", "ipmask");
                cJSON_AddStringToObject(o, "subnet", subnet);
        }
        cJSON_AddStringToObject(o, "comment", "secresp");
        ret->name = xstrdup(canon);
        ret->body = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!ret->body)
                abort();
        return 0;
}

void fortios_addr_done(FortiAddr *a)
{
        free(a->name);
        free(a->body);
        *a = (FortiAddr) { 0 };
}

const char *fortios_addr_expected_type(const FortiAddr *a)
{
        if (a->v6)
                return "ipprefix";
        return strchr(a->name, '/') ? "ipmask" : "iprange";
}

char *fortios_escape(const char *s)
{
        return pct_encode(s, ":");
}

static const cJSON *first_result(const cJSON *doc)
{
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "results");

        /* FortiOS answers a GET by name with a list of one; some builds
         * answer an object */
        if (cJSON_IsArray(res))
                return cJSON_GetArrayItem(res, 0);
        return cJSON_IsObject(res) ? res : NULL;
}

int fortios_group_members(const cJSON *doc, char ***ret)
{
        const cJSON *g = first_result(doc), *m, *e;
        char **v = NULL;

        *ret = NULL;
        if (!cJSON_IsObject(g))
                return -EBADMSG;
        m = cJSON_GetObjectItemCaseSensitive(g, "member");
        if (!cJSON_IsArray(m))
                return -EBADMSG;
        cJSON_ArrayForEach(e, m) {
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
                if (!cJSON_IsString(n) || !n->valuestring[0]) {
                        strv_free(v);
                        return -EBADMSG;
                }
                if (!strv_contains(v, n->valuestring))
                        v = strv_push(v, n->valuestring);
        }
        *ret = v ? v : xnew(char *, 1);
        return 0;
}

const char *fortios_addr_type(const cJSON *doc)
{
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(first_result(doc), "type");
        return cJSON_IsString(t) ? t->valuestring : NULL;
}

static int error_code(const cJSON *doc)
{
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
        return cJSON_IsNumber(e) ? e->valueint : 0;
}

bool fortios_is_duplicate(const cJSON *doc)
{
        return error_code(doc) == -5;
}

bool fortios_is_in_use(long status, const cJSON *doc)
{
        return status == 424 || error_code(doc) == -23;
}

char **fortios_members_apply(char *const *cur, char *const *add, char *const *remove, const char *placeholder,
                             bool *changed)
{
        char **v = NULL;
        size_t n_cur = strv_length(cur), n;
        bool real = false;

        for (size_t i = 0; i < n_cur; i++)
                if (!strv_contains(remove, cur[i]) && !strv_contains(v, cur[i]))
                        v = strv_push(v, cur[i]);
        for (size_t i = 0; add && add[i]; i++)
                if (!strv_contains(v, add[i]))
                        v = strv_push(v, add[i]);
        for (size_t i = 0; v && v[i]; i++)
                real = real || !placeholder || strcmp(v[i], placeholder);
        if (placeholder && placeholder[0]) {
                if (!real && !v)
                        v = strv_push(v, placeholder);
                else if (real && strv_contains(v, placeholder)) {
                        /* drop it: the group holds a real member again */
                        size_t j = 0;
                        for (size_t i = 0; v[i]; i++)
                                if (strcmp(v[i], placeholder))
                                        v[j++] = v[i];
                                else
                                        free(v[i]);
                        v[j] = NULL;
                }
        }
        if (!v)
                v = xnew(char *, 1);
        n = strv_length(v);
        *changed = n != n_cur;
        for (size_t i = 0; !*changed && i < n; i++)
                *changed = strcmp(v[i], cur[i]) != 0;
        return v;
}

char *fortios_group_body(char *const *members)
{
        cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "member");
        char *s;

        for (size_t i = 0; members && members[i]; i++) {
                cJSON *m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "name", members[i]);
                cJSON_AddItemToArray(arr, m);
        }
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s)
                abort();
        return s;
}
