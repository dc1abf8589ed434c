/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/clearpass_parse.h"
#include "responders/macaddr.h"

char *cppm_session_filter(const char *value, bool by_mac)
{
        cJSON *o = cJSON_CreateObject(), *ex;
        char *s;

        cJSON_AddStringToObject(o, by_mac ? "mac_address" : "framedipaddress", value);
        /* active sessions only: an old one may be another device's */
        ex = cJSON_AddObjectToObject(o, "acctstoptime");
        cJSON_AddFalseToObject(ex, "$exists");
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

int cppm_sessions(const char *body, size_t len, char ***macs, char **ret_id)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "_embedded"),
                                                              "items"), *it;
        int n = 0;

        if (!cJSON_IsObject(j)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        if (!items) {
                /* ClearPass leaves _embedded out when nothing matched */
                cJSON_Delete(j);
                return 0;
        }
        if (!cJSON_IsArray(items)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        cJSON_ArrayForEach(it, items) {
                const cJSON *mac = cJSON_GetObjectItemCaseSensitive(it, "mac_address");
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
                const cJSON *stop = cJSON_GetObjectItemCaseSensitive(it, "acctstoptime");

                n++;
                if (macs && cJSON_IsString(mac))
                        (void) mac_set_add(macs, mac->valuestring, MAC_UPPER_COLON);
                if (ret_id && !*ret_id && (!stop || cJSON_IsNull(stop))) {
                        if (cJSON_IsString(id) && id->valuestring[0])
                                *ret_id = xstrdup(id->valuestring);
                        else if (cJSON_IsNumber(id))
                                *ret_id = xasprintf("%.0f", id->valuedouble);
                }
        }
        cJSON_Delete(j);
        return n;
}

char *cppm_endpoint_patch(const char *mac, const char *attribute, bool value)
{
        cJSON *o = cJSON_CreateObject(), *a;
        char *s;

        cJSON_AddStringToObject(o, "mac_address", mac);
        a = cJSON_AddObjectToObject(o, "attributes");
        cJSON_AddBoolToObject(a, attribute, value);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

char *cppm_oauth_body(const char *client_id, const char *client_secret, const char *username, const char *password)
{
        cJSON *o = cJSON_CreateObject();
        char *s;

        cJSON_AddStringToObject(o, "grant_type", username ? "password" : "client_credentials");
        cJSON_AddStringToObject(o, "client_id", client_id);
        if (client_secret)
                cJSON_AddStringToObject(o, "client_secret", client_secret);
        if (username) {
                cJSON_AddStringToObject(o, "username", username);
                cJSON_AddStringToObject(o, "password", password ? password : "");
        }
        s = cJSON_PrintUnformatted(o);
        /* the tree holds copies of the secrets: wipe them before freeing */
        for (cJSON *c = o->child; c; c = c->next)
                if (cJSON_IsString(c))
                        OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
        cJSON_Delete(o);
        return s;
}

int cppm_oauth_token(const char *body, size_t len, char **ret_token, long *ret_expires_in)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
        int r = -EBADMSG;

        if (cJSON_IsString(t) && t->valuestring[0]) {
                *ret_token = xstrdup(t->valuestring);
                *ret_expires_in = cJSON_IsNumber(e) && e->valuedouble > 0 ? (long) e->valuedouble : 0;
                r = 0;
        }
        if (cJSON_IsString(t))
                OPENSSL_cleanse(t->valuestring, strlen(t->valuestring));
        cJSON_Delete(j);
        return r;
}
