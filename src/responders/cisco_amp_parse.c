/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "responders/cisco_amp_parse.h"

/* "ws-1" is "WS-1" and "ws-1.corp.example", not "ws-10" */
static bool same_host(const cJSON *h, const char *name)
{
        size_t n = strlen(name);

        if (!cJSON_IsString(h))
                return false;
        return !strncasecmp(h->valuestring, name, n) && (h->valuestring[n] == '\0' ||
                                                         (h->valuestring[n] == '.' && !strchr(name, '.')));
}

int amp_pick_computer(const char *body, size_t len, const char *hostname, char **ret_guid, size_t *ret_n)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data"), *c;
        const char *guid = NULL;
        size_t n = 0;
        int r;

        if (!cJSON_IsArray(data)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        cJSON_ArrayForEach(c, data) {
                const cJSON *g = cJSON_GetObjectItemCaseSensitive(c, "connector_guid");
                const cJSON *h = cJSON_GetObjectItemCaseSensitive(c, "hostname");
                if (!cJSON_IsString(g) || !g->valuestring[0])
                        continue;
                if (hostname && !same_host(h, hostname))
                        continue;
                if (!guid) {
                        guid = g->valuestring;
                        n = 1;
                } else if (strcmp(guid, g->valuestring))
                        n++;
        }
        if (ret_n)
                *ret_n = n;
        if (!guid)
                r = -ENOENT;
        else if (n > 1)
                r = -ENOTUNIQ;
        else {
                *ret_guid = xstrdup(guid);
                r = 0;
        }
        cJSON_Delete(j);
        return r;
}

int amp_isolation_state(const char *body, size_t len, AmpIsolation *ret)
{
        static const struct {
                const char *s;
                AmpIsolation v;
        } map[] = {
                { "not_isolated", AMP_NOT_ISOLATED },
                { "pending_start", AMP_PENDING_START },
                { "isolated", AMP_ISOLATED },
                { "pending_stop", AMP_PENDING_STOP },
        };
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data");
        const cJSON *av = cJSON_GetObjectItemCaseSensitive(d, "available");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(d, "status");
        int r = 0;

        if (!cJSON_IsObject(d) || (!cJSON_IsBool(av) && !cJSON_IsString(st)))
                r = -EBADMSG;
        else if (cJSON_IsFalse(av))
                *ret = AMP_UNAVAILABLE;
        else if (!cJSON_IsString(st))
                r = -EBADMSG;
        else {
                *ret = AMP_ISOLATION_UNKNOWN;
                for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                        if (!strcmp(st->valuestring, map[i].s))
                                *ret = map[i].v;
        }
        cJSON_Delete(j);
        return r;
}

char *amp_isolation_body(const char *unlock_code, const char *comment)
{
        cJSON *o;
        char *s;

        if ((!unlock_code || !unlock_code[0]) && (!comment || !comment[0]))
                return NULL;
        o = cJSON_CreateObject();
        if (unlock_code && unlock_code[0])
                cJSON_AddStringToObject(o, "unlock_code", unlock_code);
        if (comment && comment[0])
                cJSON_AddStringToObject(o, "comment", comment);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}
