/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include "common/xalloc.h"
#include "responders/macaddr.h"
#include "responders/pulse_nac_parse.h"

char *pulse_event_body(const char *event, const char *key, const char *value)
{
        cJSON *o = cJSON_CreateObject();
        char *s;

        cJSON_AddStringToObject(o, "event-name", event);
        cJSON_AddStringToObject(o, key, value);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

int pulse_session_macs(const char *body, size_t len, char ***macs)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "data"), *e;
        int n = 0;

        if (!cJSON_IsArray(d)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        cJSON_ArrayForEach(e, d) {
                const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "macaddr");
                n++;
                if (cJSON_IsString(m))
                        (void) mac_set_add(macs, m->valuestring, MAC_UPPER_COLON);
        }
        cJSON_Delete(j);
        return n;
}

char *pulse_api_key(const char *body, size_t len)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "api_key");
        char *r = NULL;

        if (cJSON_IsString(k) && k->valuestring[0]) {
                r = xstrdup(k->valuestring);
                OPENSSL_cleanse(k->valuestring, strlen(k->valuestring));
        }
        cJSON_Delete(j);
        return r;
}
