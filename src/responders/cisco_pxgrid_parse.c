/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include "common/xalloc.h"
#include "responders/cisco_pxgrid_parse.h"
#include "responders/macaddr.h"

static const char *jstr(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

int px_account_state(const char *body, size_t len, PxAccount *ret)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const char *s = jstr(j, "accountState");
        int r = 0;

        if (!s)
                r = -EBADMSG;
        else if (!strcmp(s, "ENABLED"))
                *ret = PX_ENABLED;
        else if (!strcmp(s, "PENDING"))
                *ret = PX_PENDING;
        else if (!strcmp(s, "DISABLED"))
                *ret = PX_DISABLED;
        else
                *ret = PX_UNKNOWN;
        cJSON_Delete(j);
        return r;
}

int px_service(const char *body, size_t len, char **ret_url, char **ret_node)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(j, "services"), *s;
        int r = -ENOENT;

        if (!cJSON_IsArray(svcs)) {
                cJSON_Delete(j);
                return -EBADMSG;
        }
        cJSON_ArrayForEach(s, svcs) {
                const char *url = jstr(cJSON_GetObjectItemCaseSensitive(s, "properties"), "restBaseUrl");
                const char *node = jstr(s, "nodeName");
                if (!url || !node || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
                        continue;
                *ret_url = xstrdup(url);
                *ret_node = xstrdup(node);
                r = 0;
                break;
        }
        cJSON_Delete(j);
        return r;
}

char *px_secret(const char *body, size_t len)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "secret");
        char *r = NULL;

        if (cJSON_IsString(v) && v->valuestring[0]) {
                r = xstrdup(v->valuestring);
                OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
        }
        cJSON_Delete(j);
        return r;
}

PxOutcome px_anc_outcome(const char *body, size_t len, bool clear, char **reason)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const char *st = jstr(j, "status"), *why = jstr(j, "failureReason");
        PxOutcome o;

        if (reason)
                *reason = why ? xstrdup(why) : NULL;
        if (st && (!strcmp(st, "SUCCESS") || !strcmp(st, "RUNNING")))
                o = PX_DONE;
        else if (why && !clear && strcasestr(why, "already associated"))
                o = PX_ALREADY;
        else if (why && clear && (strcasestr(why, "not associated") || strcasestr(why, "not found")))
                o = PX_ALREADY;
        else
                o = PX_FAILED;
        cJSON_Delete(j);
        return o;
}

char *px_session_mac(const char *body, size_t len)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const char *m = jstr(j, "macAddress");
        char out[MAC_STR_MAX], *r = NULL;

        if (m && mac_normalize(m, MAC_UPPER_COLON, out) == 0)
                r = xstrdup(out);
        cJSON_Delete(j);
        return r;
}

char *px_cred_part(const char *cred, unsigned i)
{
        const char *p = cred ? cred : "";

        for (unsigned k = 0; k < i && p; k++) {
                p = strchr(p, '\t');
                if (p)
                        p++;
        }
        if (!p)
                return xstrdup("");
        return xstrndup(p, strcspn(p, "\t"));
}
