/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_ise_parse.h"
#include "responders/macaddr.h"

/* A minimal reader for ISE's flat XML: finds <name ...>text</name> or
 * <name/> between p and end.  Returns the text bounds, or false. */
static bool xml_elem(const char *p, const char *end, const char *name, const char **ret_b, const char **ret_e,
                     const char **ret_after)
{
        size_t n = strlen(name);

        for (; p < end; p++) {
                const char *q, *gt, *close;

                if (*p != '<' || (size_t) (end - p) < n + 2 || memcmp(p + 1, name, n))
                        continue;
                q = p + 1 + n;
                if (*q != '>' && *q != ' ' && *q != '/' && *q != '\t' && *q != '\n' && *q != '\r')
                        continue;
                gt = memchr(q, '>', (size_t) (end - q));
                if (!gt)
                        return false;
                if (gt[-1] == '/') {
                        *ret_b = *ret_e = gt + 1;
                        *ret_after = gt + 1;
                        return true;
                }
                /* the matching close tag; ISE does not nest an element in itself */
                for (close = gt + 1; close < end; close++)
                        if (close[0] == '<' && close + 2 + n < end && close[1] == '/' &&
                            !memcmp(close + 2, name, n) && close[2 + n] == '>')
                                break;
                if (close >= end)
                        return false;
                *ret_b = gt + 1;
                *ret_e = close;
                *ret_after = close + 3 + n;
                return true;
        }
        return false;
}

static char *trimmed(const char *b, const char *e)
{
        while (b < e && strchr(" \t\r\n", *b))
                b++;
        while (e > b && strchr(" \t\r\n", e[-1]))
                e--;
        return xstrndup(b, (size_t) (e - b));
}

/* ipAddresses may list several addresses, separated by commas or blanks,
 * or as child elements. */
static bool is_sep(char c)
{
        return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == '>';
}

static bool list_has(const char *b, const char *e, const char *ip)
{
        size_t n = strlen(ip);

        while (b < e) {
                const char *s;
                while (b < e && is_sep(*b))
                        b++;
                s = b;
                while (b < e && !is_sep(*b))
                        b++;
                if ((size_t) (b - s) == n && !memcmp(s, ip, n))
                        return true;
        }
        return false;
}

int ise_active_list_macs(const char *xml, size_t len, const char *ip, char ***macs)
{
        const char *end = xml + len, *lb, *le, *after, *p;
        int n = 0;

        if (!xml || !xml_elem(xml, end, "activeList", &lb, &le, &after))
                return -EBADMSG;
        for (p = lb; p < le;) {
                const char *sb, *se, *safter, *vb, *ve, *va;
                bool match = false;

                if (!xml_elem(p, le, "activeSession", &sb, &se, &safter))
                        break;
                n++;
                if (xml_elem(sb, se, "framed_ip_address", &vb, &ve, &va)) {
                        _cleanup_free_ char *v = trimmed(vb, ve);
                        match = !strcmp(v, ip);
                }
                if (!match && xml_elem(sb, se, "ipAddresses", &vb, &ve, &va))
                        match = list_has(vb, ve, ip);
                if (match && xml_elem(sb, se, "calling_station_id", &vb, &ve, &va)) {
                        _cleanup_free_ char *v = trimmed(vb, ve);
                        (void) mac_set_add(macs, v, MAC_UPPER_COLON);
                }
                p = safter;
        }
        return n;
}

char *ise_anc_body(const char *mac, const char *policy)
{
        cJSON *o = cJSON_CreateObject(), *op, *arr, *e;
        char *s;

        op = cJSON_AddObjectToObject(o, "OperationAdditionalData");
        arr = cJSON_AddArrayToObject(op, "additionalData");
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", "macAddress");
        cJSON_AddStringToObject(e, "value", mac);
        cJSON_AddItemToArray(arr, e);
        e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", "policyName");
        cJSON_AddStringToObject(e, "value", policy);
        cJSON_AddItemToArray(arr, e);
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

char *ise_ers_url(const char *url)
{
        const char *host, *end, *colon, *bracket;

        if (!url)
                return NULL;
        if (!strncmp(url, "https://", 8))
                host = url + 8;
        else if (!strncmp(url, "http://", 7))
                host = url + 7;
        else
                return NULL;
        end = host + strcspn(host, "/?#");
        if (end == host)
                return NULL;
        /* [v6]:port, [v6], host:port, host */
        bracket = host[0] == '[' ? memchr(host, ']', (size_t) (end - host)) : NULL;
        if (host[0] == '[' && !bracket)
                return NULL;
        colon = memchr(bracket ? bracket : host, ':', (size_t) (end - (bracket ? bracket : host)));
        if (colon)
                end = colon;
        return xasprintf("%.*s%.*s:9060", (int) (host - url), url, (int) (end - host), host);
}

static bool has_word(const char *s, const char *w)
{
        return s && strcasestr(s, w);
}

IseOutcome ise_ers_outcome(long status, const char *body, size_t len, bool clear, char **title)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "ERSResponse"),
                                                            "messages");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "title");
        const char *tt = cJSON_IsString(t) ? t->valuestring : NULL;
        IseOutcome o;

        if (title)
                *title = tt ? xstrdup(tt) : NULL;
        if (status >= 200 && status < 300)
                o = ISE_APPLIED;
        else if (tt && !strcmp(tt, "Radius Failure"))
                o = ISE_RADIUS_FAILURE;
        else if (!clear && (has_word(tt, "already")))
                o = ISE_ALREADY;
        else if (clear && (status == 404 || has_word(tt, "not found") || has_word(tt, "does not exist") ||
                           has_word(tt, "not associated") || has_word(tt, "no policy")))
                o = ISE_NOT_FOUND;
        else
                o = ISE_ERROR;
        cJSON_Delete(j);
        return o;
}
