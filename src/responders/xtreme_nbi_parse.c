/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "daemon/jwt.h"
#include "responders/macaddr.h"
#include "responders/xtreme_nbi_parse.h"

uint64_t nbi_jwt_lifetime(const char *token)
{
        const char *a = token ? strchr(token, '.') : NULL, *b = a ? strchr(a + 1, '.') : NULL;
        uint8_t *raw = NULL;
        size_t n = 0;
        cJSON *j;
        const cJSON *iat, *exp;
        uint64_t r = 0;

        if (!b || jwt_base64url_decode(a + 1, (size_t) (b - a - 1), &raw, &n) < 0)
                return 0;
        j = cJSON_ParseWithLength((const char *) raw, n);
        iat = cJSON_GetObjectItemCaseSensitive(j, "iat");
        exp = cJSON_GetObjectItemCaseSensitive(j, "exp");
        if (cJSON_IsNumber(iat) && cJSON_IsNumber(exp) && exp->valuedouble > iat->valuedouble)
                r = (uint64_t) (exp->valuedouble - iat->valuedouble);
        cJSON_Delete(j);
        free(raw);
        return r;
}

/* A GraphQL string literal's content: quotes, backslashes and control
 * characters escaped (values are addresses, but never trusted). */
static char *gql_escape(const char *s)
{
        size_t n = strlen(s);
        char *out = xmalloc(n * 6 + 1), *o = out;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        *o++ = '\\';
                        *o++ = (char) *p;
                } else if (*p < 0x20)
                        o += sprintf(o, "\\u%04x", *p);
                else
                        *o++ = (char) *p;
        }
        *o = '\0';
        return out;
}

static char *query_body(const char *q)
{
        cJSON *o = cJSON_CreateObject();
        char *s;

        cJSON_AddStringToObject(o, "query", q);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

char *nbi_query_mac_by_ip(const char *ip)
{
        _cleanup_free_ char *e = gql_escape(ip);
        _cleanup_free_ char *q = xasprintf("query { accessControl { endSystemByIp(ipAddress: \"%s\") "
                                           "{ endSystem { ipAddress macAddress } } } }", e);
        return query_body(q);
}

char *nbi_mutation_blacklist(const char *mac, bool add)
{
        _cleanup_free_ char *e = gql_escape(mac);
        _cleanup_free_ char *q = xasprintf("mutation { accessControl { %s(input: { value: \"%s\", "
                                           "reauthenticate: true }) { status errorCode results } } }",
                                           add ? "addMACToBlacklist" : "removeMACFromBlacklist", e);
        return query_body(q);
}

/* GraphQL errors: {"errors":[{"message":...}]} */
static bool gql_error(const cJSON *j, char **err)
{
        const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(errs, 0), "message");

        if (!cJSON_IsArray(errs) || cJSON_GetArraySize(errs) == 0)
                return false;
        if (err)
                *err = xstrdup(cJSON_IsString(m) ? m->valuestring : "GraphQL error");
        return true;
}

int nbi_parse_mac(const char *body, size_t len, char **ret, char **err)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *d, *es, *mac;
        char m[MAC_STR_MAX];
        int r = 0;

        *ret = NULL;
        if (!cJSON_IsObject(j))
                r = -EBADMSG;
        else if (gql_error(j, err))
                r = -EPROTO;
        else {
                d = cJSON_GetObjectItemCaseSensitive(j, "data");
                d = cJSON_GetObjectItemCaseSensitive(d, "accessControl");
                if (!cJSON_IsObject(d))
                        r = -EBADMSG;
                else {
                        d = cJSON_GetObjectItemCaseSensitive(d, "endSystemByIp");
                        es = cJSON_GetObjectItemCaseSensitive(d, "endSystem");
                        mac = cJSON_GetObjectItemCaseSensitive(es, "macAddress");
                        if (cJSON_IsString(mac) && mac_normalize(mac->valuestring, MAC_UPPER_COLON, m) == 0)
                                *ret = xstrdup(m);
                }
        }
        cJSON_Delete(j);
        return r;
}

int nbi_parse_blacklist(const char *body, size_t len, bool add, char **err)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *d, *code, *status, *results;
        const char *text = NULL;
        int r = 0;

        if (!cJSON_IsObject(j))
                r = -EBADMSG;
        else if (gql_error(j, err))
                r = -EPROTO;
        else {
                d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "data"), "accessControl");
                d = cJSON_GetObjectItemCaseSensitive(d, add ? "addMACToBlacklist" : "removeMACFromBlacklist");
                code = cJSON_GetObjectItemCaseSensitive(d, "errorCode");
                status = cJSON_GetObjectItemCaseSensitive(d, "status");
                results = cJSON_GetObjectItemCaseSensitive(d, "results");
                text = cJSON_IsString(results) ? results->valuestring :
                       cJSON_IsString(status) ? status->valuestring : NULL;
                if (!cJSON_IsNumber(code))
                        r = -EBADMSG;
                else if (code->valuedouble != 0 &&
                         !(text && (add ? strcasestr(text, "already") != NULL :
                                          (strcasestr(text, "not found") || strcasestr(text, "not in") ||
                                           strcasestr(text, "does not exist")))))  {
                        r = -EPROTO;
                        if (err)
                                *err = xasprintf("errorCode %.0f%s%s", code->valuedouble, text ? ": " : "",
                                                 text ? text : "");
                }
        }
        cJSON_Delete(j);
        return r;
}
