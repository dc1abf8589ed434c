/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "relays/msgraph_map.h"

#define SIGHTING_SOURCE "Microsoft Graph Security"
#define SIGHTING_SCHEMA_VERSION "1.0.12"
/* Entries of one dynamic column of a hunting row looked at, at most: make_set_if()
 * in the query caps them far lower, this bounds a hostile response. */
#define DYNAMIC_ITEMS_MAX 256
/* Bytes of a dynamic column sent as a string that are parsed, at most. */
#define DYNAMIC_STRING_MAX (1024 * 1024)

/* --- small helpers --------------------------------------------------------- */

/* cJSON returns NULL on OOM; like xalloc, give up. */
static cJSON *json_check(cJSON *j)
{
        if (!j)
                abort();
        return j;
}

static cJSON *json_object(void)
{
        return json_check(cJSON_CreateObject());
}

static cJSON *json_array(void)
{
        return json_check(cJSON_CreateArray());
}

static void json_add(cJSON *parent, const char *key, cJSON *item)
{
        if (!cJSON_AddItemToObject(parent, key, json_check(item)))
                abort();
}

static void json_add_string(cJSON *parent, const char *key, const char *s)
{
        json_add(parent, key, cJSON_CreateString(s));
}

static void json_append(cJSON *array, cJSON *item)
{
        if (!cJSON_AddItemToArray(array, json_check(item)))
                abort();
}

/* The member at key as Python's dict sees it (the last of duplicates);
 * NULL when absent or o is not an object. */
static const cJSON *json_get(const cJSON *o, const char *key)
{
        return ctim_json_get(o, key);
}

/* The string at key, NULL when absent, null or not a string. */
static const char *json_string(const cJSON *o, const char *key)
{
        const cJSON *j = json_get(o, key);

        return cJSON_IsString(j) ? j->valuestring : NULL;
}

/* Same, and NULL for "" too (Python truthiness of a string). */
static const char *json_string_nonempty(const cJSON *o, const char *key)
{
        const char *s = json_string(o, key);

        return s && s[0] ? s : NULL;
}

static cJSON *observable(const char *type, const char *value)
{
        return ctim_observable_new(type, value);
}

static cJSON *relation(const char *origin, const char *rel, const char *src_type, const char *src_value,
                       const char *rel_type, const char *rel_value)
{
        return ctim_relation_new(origin, rel, observable(src_type, src_value), observable(rel_type, rel_value));
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when it is not
 * one: overlong forms, surrogates and code points above U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
        uint32_t cp;
        size_t len;

        if (n == 0)
                return 0;
        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

static bool utf8_valid(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t n = strlen(s), k;

        for (size_t i = 0; i < n; i += k) {
                k = utf8_seq(p + i, n - i);
                if (k == 0)
                        return false;
        }
        return true;
}

static bool ascii_strcaseeq(const char *a, const char *b)
{
        for (; *a && *b; a++, b++) {
                char x = *a, y = *b;
                if (x >= 'A' && x <= 'Z')
                        x = (char) (x - 'A' + 'a');
                if (y >= 'A' && y <= 'Z')
                        y = (char) (y - 'A' + 'a');
                if (x != y)
                        return false;
        }
        return *a == *b;
}

/* The sighting: the fields every sighting of the relay has, and the
 * parts given (taken). */
static cJSON *sighting_build(MsgraphObservable t, const char *value, const CtimRandom *rnd, CtimSighting *parts)
{
        _cleanup_free_ char *id = ctim_transient_id("sighting", rnd);
        cJSON *s;

        parts->id = id;
        parts->schema_version = SIGHTING_SCHEMA_VERSION;
        parts->source = SIGHTING_SOURCE;
        parts->count = 1;
        parts->observables = ctim_observables_one(msgraph_observable_to_string(t), value);
        if (ctim_sighting_new(parts, &s) < 0)
                abort();        /* id and schema_version are set */
        return s;
}

/* --- enums ------------------------------------------------------------------ */

static const char *const observable_names[_MSGRAPH_OBSERVABLE_MAX] = {
        [MSGRAPH_DOMAIN] = "domain",
        [MSGRAPH_FILE_NAME] = "file_name",
        [MSGRAPH_FILE_PATH] = "file_path",
        [MSGRAPH_SHA256] = "sha256",
        [MSGRAPH_IP] = "ip",
        [MSGRAPH_URL] = "url",
        [MSGRAPH_HOSTNAME] = "hostname",
};

const char *msgraph_observable_to_string(MsgraphObservable t)
{
        return t >= 0 && t < _MSGRAPH_OBSERVABLE_MAX ? observable_names[t] : NULL;
}

MsgraphObservable msgraph_observable_from_string(const char *s)
{
        if (!s)
                return _MSGRAPH_OBSERVABLE_INVALID;
        for (MsgraphObservable t = 0; t < _MSGRAPH_OBSERVABLE_MAX; t++)
                if (strcmp(s, observable_names[t]) == 0)
                        return t;
        return _MSGRAPH_OBSERVABLE_INVALID;
}

static bool observable_valid(MsgraphObservable t)
{
        return t >= 0 && t < _MSGRAPH_OBSERVABLE_MAX;
}

/* The observables whose relations are network connections (§7.6). */
static bool observable_is_network(MsgraphObservable t)
{
        return t == MSGRAPH_DOMAIN || t == MSGRAPH_IP || t == MSGRAPH_URL || t == MSGRAPH_HOSTNAME;
}

static const char *const api_names[_MSGRAPH_API_MAX] = {
        [MSGRAPH_API_LEGACY] = "legacy",
        [MSGRAPH_API_HUNTING] = "advanced_hunting",
};

const char *msgraph_api_to_string(MsgraphApi a)
{
        return a >= 0 && a < _MSGRAPH_API_MAX ? api_names[a] : NULL;
}

MsgraphApi msgraph_api_from_string(const char *s)
{
        if (!s)
                return _MSGRAPH_API_INVALID;
        for (MsgraphApi a = 0; a < _MSGRAPH_API_MAX; a++)
                if (strcmp(s, api_names[a]) == 0)
                        return a;
        /* the name docs/MSGRAPH-ALERTS-V2.md first used */
        if (strcmp(s, "hunting") == 0)
                return MSGRAPH_API_HUNTING;
        return _MSGRAPH_API_INVALID;
}

static bool is_py_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The cap applied to a limit, as decimal text. */
static void limit_text(int64_t limit, uint64_t cap, char ret[32])
{
        snprintf(ret, 32, "%" PRIu64, (uint64_t) limit < cap ? (uint64_t) limit : cap);
}

/* --- legacy alerts: query --------------------------------------------------- */

/* {v} stands for the quoted value. */
static const char *const legacy_filters[_MSGRAPH_OBSERVABLE_MAX] = {
        [MSGRAPH_DOMAIN] = "networkConnections/any(x: x/destinationDomain eq {v})",
        [MSGRAPH_FILE_NAME] = "fileStates/any(x: x/name eq {v})",
        [MSGRAPH_FILE_PATH] = "fileStates/any(x: x/path eq {v})",
        [MSGRAPH_SHA256] = "fileStates/any(x: x/fileHash/hashValue eq {v})",
        [MSGRAPH_IP] = "networkConnections/any(x: x/sourceAddress eq {v} or x/destinationAddress eq {v})",
        [MSGRAPH_URL] = "networkConnections/any(x: x/destinationUrl eq {v})",
        [MSGRAPH_HOSTNAME] = "hostStates/any(x: x/netBiosName eq {v})",
};

static int check_value(MsgraphObservable t, const char *value)
{
        if (!observable_valid(t) || !value || !value[0])
                return -EINVAL;
        if (!utf8_valid(value))
                return -EILSEQ;
        return 0;
}

int msgraph_legacy_filter(MsgraphObservable t, const char *value, char **ret)
{
        StrBuf b = { 0 };
        int r;

        r = check_value(t, value);
        if (r < 0)
                return r;
        for (const char *p = legacy_filters[t]; *p;) {
                if (strncmp(p, "{v}", 3) != 0) {
                        strbuf_putc(&b, *p++);
                        continue;
                }
                /* OData string literal: ' doubled */
                strbuf_putc(&b, '\'');
                for (const char *v = value; *v; v++) {
                        if (*v == '\'')
                                strbuf_putc(&b, '\'');
                        strbuf_putc(&b, *v);
                }
                strbuf_putc(&b, '\'');
                p += 3;
        }
        *ret = strbuf_steal(&b, NULL);
        return 0;
}

int msgraph_legacy_alerts_path(MsgraphObservable t, const char *value, int64_t limit, char **ret)
{
        _cleanup_free_ char *filter = NULL;
        char top[32];
        StrBuf b = { 0 };
        int r;

        if (limit < 1)
                return -EINVAL;
        r = msgraph_legacy_filter(t, value, &filter);
        if (r < 0)
                return r;
        limit_text(limit, MSGRAPH_LEGACY_TOP_MAX, top);
        strbuf_puts(&b, "/security/alerts?$filter=");
        strbuf_put_pct(&b, filter, NULL);
        strbuf_puts(&b, "&$top=");
        strbuf_puts(&b, top);
        *ret = strbuf_steal(&b, NULL);
        return 0;
}

/* --- client-credentials token (§7.2) ----------------------------------------- */

int msgraph_token_request(const char *login_url, const char *tenant_id, const char *client_id,
                          const char *client_secret, const char *scope, char **ret_url, char **ret_body)
{
        StrBuf u = { 0 }, b = { 0 };
        size_t l;

        if (!login_url || !tenant_id || !client_id || !client_secret || !scope)
                return -EINVAL;
        /* every value goes into a URL path segment or a form field: text only */
        if (!utf8_valid(tenant_id) || !utf8_valid(client_id) || !utf8_valid(client_secret) || !utf8_valid(scope))
                return -EILSEQ;
        l = strlen(login_url);
        while (l > 0 && login_url[l - 1] == '/')
                l--;
        strbuf_putn(&u, login_url, l);
        strbuf_putc(&u, '/');
        strbuf_put_pct(&u, tenant_id, NULL);
        strbuf_puts(&u, "/oauth2/v2.0/token");

        strbuf_puts(&b, "client_id=");
        strbuf_put_pct(&b, client_id, NULL);
        strbuf_puts(&b, "&client_secret=");
        strbuf_put_pct(&b, client_secret, NULL);
        strbuf_puts(&b, "&grant_type=client_credentials&scope=");
        strbuf_put_pct(&b, scope, NULL);
        *ret_url = strbuf_steal(&u, NULL);
        *ret_body = strbuf_steal(&b, NULL);
        return 0;
}

int msgraph_token_parse(const char *body, size_t len, char **ret_token, int64_t *ret_expires_in)
{
        cJSON *tree;
        const cJSON *t, *e;
        int64_t expires = MSGRAPH_TOKEN_DEFAULT_TTL;
        int r = -EBADMSG;

        if (!body)
                return -EINVAL;
        tree = cJSON_ParseWithLength(body, len);
        t = json_get(tree, "access_token");
        if (!cJSON_IsString(t) || !t->valuestring[0] || strpbrk(t->valuestring, "\r\n") ||
            !utf8_valid(t->valuestring))
                goto out;
        /* expires_in: a number (v2 endpoint) or a numeric string (v1) */
        e = json_get(tree, "expires_in");
        if (cJSON_IsNumber(e) && isfinite(e->valuedouble))
                expires = e->valuedouble < 0 ? 0 : e->valuedouble > 86400 * 7 ? 86400 * 7 : (int64_t) e->valuedouble;
        else if (cJSON_IsString(e)) {
                char *end = NULL;
                long long v;

                errno = 0;
                v = strtoll(e->valuestring, &end, 10);
                if (errno == 0 && end != e->valuestring && *end == '\0')
                        expires = v < 0 ? 0 : v > 86400 * 7 ? 86400 * 7 : v;
        }
        *ret_token = xstrdup(t->valuestring);
        *ret_expires_in = expires;
        r = 0;
out:
        cJSON_Delete(tree);
        return r;
}

/* --- legacy alerts: sighting ------------------------------------------------ */

static const char *legacy_confidence(const cJSON *c)
{
        double d;

        if (!c || cJSON_IsNull(c))
                return "None";
        if (!cJSON_IsNumber(c))
                return "Unknown";       /* upstream: 500 (§9 row 25) */
        d = c->valuedouble;
        if (d <= 33)
                return "Low";
        if (d <= 66)
                return "Medium";
        if (d <= 100)
                return "High";
        return "Unknown";
}

/* Graph's severity names, legacy (unknown ... high) and current alike. */
static const char *severity_from_graph(const char *s, bool ignore_case)
{
        static const struct {
                const char *graph, *ctim;
        } table[] = {
                { "unknown", "Unknown" },
                { "informational", "Info" },
                { "low", "Low" },
                { "medium", "Medium" },
                { "high", "High" },
        };

        if (!s)
                return "Unknown";
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (ignore_case ? ascii_strcaseeq(s, table[i].graph) : strcmp(s, table[i].graph) == 0)
                        return table[i].ctim;
        return "Unknown";       /* upstream: 500 (§9 row 24) */
}

static const char *legacy_sensor(const char *provider, const char *sub_provider)
{
        if (provider && sub_provider && strcmp(provider, "Palo Alto Networks") == 0 &&
            (strcmp(sub_provider, "NGFW") == 0 || strcmp(sub_provider, "NG Firewall") == 0))
                return "network.firewall";
        return "endpoint";
}

static cJSON *legacy_targets(const cJSON *alert, const char *time)
{
        static const struct {
                const char *field, *type;
        } host_fields[] = {
                { "privateIpAddress", "ip" },
                { "publicIpAddress", "ip" },
                { "netBiosName", "hostname" },
                { "fqdn", "domain" },
        };
        const cJSON *hosts = json_get(alert, "hostStates"), *h;
        cJSON *targets = json_array();

        if (!cJSON_IsArray(hosts))
                return targets;
        cJSON_ArrayForEach(h, hosts) {
                cJSON *obs;

                if (!cJSON_IsObject(h))
                        continue;
                obs = json_array();
                for (size_t i = 0; i < sizeof(host_fields) / sizeof(host_fields[0]); i++) {
                        const char *v = json_string_nonempty(h, host_fields[i].field);
                        if (v)
                                json_append(obs, observable(host_fields[i].type, v));
                }
                json_append(targets, ctim_target_new("endpoint", obs, time, time));
        }
        return targets;
}

static cJSON *legacy_relations(MsgraphObservable t, const cJSON *alert, const char *origin)
{
        cJSON *rels = json_array();
        const cJSON *list, *e;

        if (observable_is_network(t)) {
                list = json_get(alert, "networkConnections");
                if (!cJSON_IsArray(list))
                        return rels;
                cJSON_ArrayForEach(e, list) {
                        /* not null: "" passes (§7.6) */
                        const char *src = json_string(e, "sourceAddress"), *dst = json_string(e, "destinationDomain");
                        if (src && dst)
                                json_append(rels, relation(origin, "Connected_To", "ip", src, "domain", dst));
                }
                return rels;
        }

        list = json_get(alert, "fileStates");
        if (!cJSON_IsArray(list))
                return rels;
        /* every File_Name_Of first, then every File_Path_Of */
        for (int pass = 0; pass < 2; pass++)
                cJSON_ArrayForEach(e, list) {
                        const char *hash = json_string(json_get(e, "fileHash"), "hashValue");
                        const char *name = json_string(e, pass == 0 ? "name" : "path");
                        if (hash && name)
                                json_append(rels, relation(origin, pass == 0 ? "File_Name_Of" : "File_Path_Of",
                                                           pass == 0 ? "file_name" : "file_path", name, "sha256",
                                                           hash));
                }
        return rels;
}

int msgraph_legacy_sighting(MsgraphObservable t, const char *value, const cJSON *alert, const CtimRandom *rnd,
                            cJSON **ret)
{
        const cJSON *vendor, *materials, *m;
        const char *time, *provider, *s;
        cJSON *ids, *refs;

        if (!observable_valid(t) || !value || !cJSON_IsObject(alert))
                return -EINVAL;
        time = json_string(alert, "eventDateTime");
        if (!time)
                return -EBADMSG;

        vendor = json_get(alert, "vendorInformation");
        provider = json_string(vendor, "provider");

        ids = json_array();
        s = json_string(alert, "id");
        if (s)
                json_append(ids, cJSON_CreateString(s));

        refs = json_array();
        materials = json_get(alert, "sourceMaterials");
        if (cJSON_IsArray(materials))
                cJSON_ArrayForEach(m, materials)
                        if (cJSON_IsString(m))
                                json_append(refs, ctim_external_reference_new(provider ? provider : SIGHTING_SOURCE,
                                                                              NULL, m->valuestring, NULL));

        *ret = sighting_build(t, value, rnd, &(CtimSighting) {
                .title = json_string(alert, "title"),
                .description = json_string(alert, "description"),
                .external_ids = ids,
                .external_references = refs,
                .observed_start = time,
                .observed_end = time,
                .timestamp = time,
                .confidence = legacy_confidence(json_get(alert, "confidence")),
                .severity = severity_from_graph(json_string(alert, "severity"), false),
                .sensor = legacy_sensor(provider, json_string(vendor, "subProvider")),
                .targets = legacy_targets(alert, time),
                .relations = legacy_relations(t, alert, provider ? provider : SIGHTING_SOURCE),
        });
        return 0;
}

typedef int (*MapOne)(MsgraphObservable t, const char *value, const cJSON *item, const MsgraphPortal *portal,
                      const CtimRandom *rnd, cJSON **ret);

/* The rows of one observable of a hunting query: those whose Obs column
 * (a number, or digits as text) is the tag; tag < 0 takes every row. */
static bool row_is_of(const cJSON *row, int64_t tag)
{
        const cJSON *o;

        if (tag < 0)
                return true;
        o = json_get(row, "Obs");
        if (cJSON_IsNumber(o))
                return isfinite(o->valuedouble) && o->valuedouble == (double) tag;
        if (cJSON_IsString(o)) {
                char *end = NULL;
                long long v;

                if (!o->valuestring[0] || strspn(o->valuestring, "0123456789") != strlen(o->valuestring))
                        return false;
                errno = 0;
                v = strtoll(o->valuestring, &end, 10);
                return errno == 0 && *end == '\0' && v == tag;
        }
        return false;
}

static int map_list(MsgraphObservable t, const char *value, int64_t tag, const cJSON *response, const char *key,
                    int64_t limit, const MsgraphPortal *portal, const CtimRandom *rnd, MapOne map, cJSON **ret,
                    size_t *ret_skipped)
{
        const cJSON *list, *item;
        size_t skipped = 0;
        int64_t n = 0;
        cJSON *out;

        if (!observable_valid(t) || !value || limit < 1 || !cJSON_IsObject(response))
                return -EINVAL;
        out = json_array();
        list = json_get(response, key);
        if (cJSON_IsArray(list))
                cJSON_ArrayForEach(item, list) {
                        cJSON *s;

                        if (n >= limit)
                                break;
                        if (!row_is_of(item, tag))
                                continue;
                        if (map(t, value, item, portal, rnd, &s) < 0) {
                                skipped++;
                                continue;
                        }
                        json_append(out, s);
                        n++;
                }
        *ret = out;
        if (ret_skipped)
                *ret_skipped = skipped;
        return 0;
}

static int legacy_map_one(MsgraphObservable t, const char *value, const cJSON *item, const MsgraphPortal *portal,
                          const CtimRandom *rnd, cJSON **ret)
{
        return msgraph_legacy_sighting(t, value, item, rnd, ret);
}

int msgraph_legacy_sightings(MsgraphObservable t, const char *value, const cJSON *response, int64_t limit,
                             const CtimRandom *rnd, cJSON **ret, size_t *ret_skipped)
{
        return map_list(t, value, -1, response, "value", limit, NULL, rnd, legacy_map_one, ret, ret_skipped);
}

/* --- advanced hunting: query ------------------------------------------------- */

int msgraph_kql_string_literal(const char *value, char **ret)
{
        StrBuf b = { 0 };

        if (!value)
                return -EINVAL;
        if (!utf8_valid(value))
                return -EILSEQ;
        strbuf_putc(&b, '"');
        for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
                switch (*p) {
                case '\\':
                        strbuf_puts(&b, "\\\\");
                        break;
                case '"':
                        strbuf_puts(&b, "\\\"");
                        break;
                case '\t':
                        strbuf_puts(&b, "\\t");
                        break;
                case '\n':
                        strbuf_puts(&b, "\\n");
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f) {
                                strbuf_done(&b);
                                return -EILSEQ;
                        }
                        strbuf_putc(&b, (char) *p);
                }
        }
        strbuf_putc(&b, '"');
        *ret = strbuf_steal(&b, NULL);
        return 0;
}

/* The predicate on AlertEvidence rows, one per type.  {v} is the value,
 * {v.} {v/} {v:} the value followed by that character, each as a string
 * literal. */
static const char *const hunting_predicates[_MSGRAPH_OBSERVABLE_MAX] = {
        [MSGRAPH_DOMAIN] = "RemoteUrl =~ {v} or RemoteUrl startswith {v/} or RemoteUrl startswith {v:}"
                           " or tostring(parse_url(RemoteUrl).Host) =~ {v}",
        [MSGRAPH_FILE_NAME] = "FileName =~ {v}",
        [MSGRAPH_FILE_PATH] = "FolderPath =~ {v} or strcat(FolderPath, \"\\\\\", FileName) =~ {v}"
                              " or strcat(FolderPath, \"/\", FileName) =~ {v}",
        [MSGRAPH_SHA256] = "SHA256 =~ {v}",
        [MSGRAPH_IP] = "RemoteIP =~ {v} or LocalIP =~ {v}",
        [MSGRAPH_URL] = "RemoteUrl =~ {v}",
        [MSGRAPH_HOSTNAME] = "DeviceName =~ {v} or DeviceName startswith {v.}",
};

/* {U} is the hits: one leg per observable, the AlertIds its predicate
 * matches tagged with its index in Obs (a union of the legs when there are
 * several).  {N} is the number of alerts per observable.  The alerts are
 * summarised once for all the hits and joined back to them; kind=inner
 * because the default join (innerunique) would keep one hit per AlertId
 * when two observables match the same alert.  row_number() restarting on
 * each new Obs (over rows ordered by Obs, then newest first) cuts every
 * observable to its own take.  The dynamic columns are bounded by
 * make_set_if()'s third argument. */
static const char hunting_template[] =
        "let hits = materialize({U});\n"
        "let ids = hits | distinct AlertId;\n"
        "hits\n"
        "| join kind=inner (AlertInfo\n"
        "    | where AlertId in (ids)\n"
        "    | summarize arg_max(Timestamp, *) by AlertId\n"
        "    | join kind=leftouter (AlertEvidence\n"
        "        | where AlertId in (ids)\n"
        "        | summarize FirstSeen = min(Timestamp), LastSeen = max(Timestamp),\n"
        "            Devices = make_set_if(bag_pack(\"DeviceName\", DeviceName, \"LocalIP\", LocalIP),"
        " isnotempty(DeviceName), 64),\n"
        "            Files = make_set_if(bag_pack(\"FileName\", FileName, \"FolderPath\", FolderPath,"
        " \"SHA1\", SHA1, \"SHA256\", SHA256), isnotempty(SHA1) or isnotempty(SHA256), 64),\n"
        "            Connections = make_set_if(bag_pack(\"LocalIP\", LocalIP, \"RemoteIP\", RemoteIP,"
        " \"RemoteUrl\", RemoteUrl), isnotempty(RemoteIP) or isnotempty(RemoteUrl), 64)\n"
        "            by AlertId) on AlertId\n"
        "    | project AlertId, Timestamp, FirstSeen, LastSeen, Title, Category, Severity, ServiceSource,"
        " DetectionSource, AttackTechniques, Devices, Files, Connections) on AlertId\n"
        "| project Obs, AlertId, Timestamp, FirstSeen, LastSeen, Title, Category, Severity, ServiceSource,"
        " DetectionSource, AttackTechniques, Devices, Files, Connections\n"
        "| order by Obs asc, Timestamp desc\n"
        "| extend Rank = row_number(1, prev(Obs) != Obs)\n"
        "| where Rank <= {N}\n"
        "| project-away Rank";

static int put_predicate(StrBuf *b, MsgraphObservable t, const char *value)
{
        static const struct {
                const char *token, *suffix;
        } tokens[] = {
                { "{v}", "" }, { "{v.}", "." }, { "{v/}", "/" }, { "{v:}", ":" },
        };
        /* each literal made once: a predicate repeats them (eight for an IP) */
        char *lits[sizeof(tokens) / sizeof(tokens[0])] = {};
        int r = 0;

        for (const char *p = hunting_predicates[t]; *p && r >= 0;) {
                bool matched = false;

                for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
                        size_t n = strlen(tokens[i].token);

                        if (strncmp(p, tokens[i].token, n) != 0)
                                continue;
                        if (!lits[i]) {
                                _cleanup_free_ char *v = xasprintf("%s%s", value, tokens[i].suffix);

                                r = msgraph_kql_string_literal(v, &lits[i]);
                                if (r < 0)
                                        break;
                        }
                        strbuf_puts(b, lits[i]);
                        p += n;
                        matched = true;
                        break;
                }
                if (!matched && r >= 0) {
                        /* the text up to the next token, at once */
                        const char *brace = strchr(p + 1, '{');
                        size_t run = brace ? (size_t) (brace - p) : strlen(p);

                        strbuf_putn(b, p, run);
                        p += run;
                }
        }
        for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
                free(lits[i]);
        return r < 0 ? r : 0;
}

int msgraph_hunting_check(MsgraphObservable t, const char *value)
{
        StrBuf b = { 0 };
        int r;

        if (!observable_valid(t) || !value || !value[0])
                return -EINVAL;
        r = put_predicate(&b, t, value);
        strbuf_done(&b);
        return r;
}

/* One leg of the hits: the observable's matches tagged with index i. */
static int put_leg(StrBuf *b, const MsgraphHuntingItem *item, size_t i)
{
        char n[32];
        int r;

        strbuf_puts(b, "AlertEvidence | where ");
        r = put_predicate(b, item->type, item->value);
        if (r < 0)
                return r;
        snprintf(n, sizeof(n), "%zu", i);
        strbuf_puts(b, " | distinct AlertId | extend Obs = ");
        strbuf_puts(b, n);
        return 0;
}

static int check_items(const MsgraphHuntingItem *items, size_t n, int64_t limit)
{
        if (!items || n == 0 || limit < 1)
                return -EINVAL;
        /* the literals' own errors come from put_leg(), which makes them:
         * building every predicate twice cost a tenth of a lookup */
        for (size_t i = 0; i < n; i++)
                if (!observable_valid(items[i].type) || !items[i].value || !items[i].value[0])
                        return -EINVAL;
        return 0;
}

int msgraph_hunting_query(const MsgraphHuntingItem *items, size_t n, int64_t limit, char **ret)
{
        StrBuf b = { 0 };
        int r;

        r = check_items(items, n, limit);
        if (r < 0)
                return r;
        for (const char *p = hunting_template; *p;) {
                if (strncmp(p, "{U}", 3) == 0) {
                        /* one leg alone needs no union */
                        if (n > 1)
                                strbuf_puts(&b, "union\n    ");
                        for (size_t i = 0; i < n; i++) {
                                if (n > 1)
                                        strbuf_puts(&b, i ? ",\n    (" : "(");
                                r = put_leg(&b, &items[i], i);
                                if (r < 0) {
                                        strbuf_done(&b);
                                        return r;
                                }
                                if (n > 1)
                                        strbuf_putc(&b, ')');
                        }
                        p += 3;
                } else if (strncmp(p, "{N}", 3) == 0) {
                        char num[32];
                        limit_text(limit, MSGRAPH_HUNTING_TAKE_MAX, num);
                        strbuf_puts(&b, num);
                        p += 3;
                } else {
                        /* the template's text up to the next placeholder, at once */
                        const char *brace = strchr(p + 1, '{');
                        size_t run = brace ? (size_t) (brace - p) : strlen(p);

                        strbuf_putn(&b, p, run);
                        p += run;
                }
        }
        *ret = strbuf_steal(&b, NULL);
        return 0;
}

size_t msgraph_hunting_batch(const MsgraphHuntingItem *items, size_t n, int64_t limit)
{
        uint64_t take = limit < 1 ? 1 : (uint64_t) limit < MSGRAPH_HUNTING_TAKE_MAX ? (uint64_t) limit
                                                                                     : MSGRAPH_HUNTING_TAKE_MAX;
        size_t max = MSGRAPH_HUNTING_BATCH_MAX, base, legs = 0, k;
        char num[32];

        if (!items || n == 0)
                return 0;
        /* every observable may fill its take: the rows must fit what one query returns */
        if (MSGRAPH_HUNTING_ROWS_MAX / take < max)
                max = (size_t) (MSGRAPH_HUNTING_ROWS_MAX / take);
        if (max < 1)
                max = 1;
        /* the query's length as msgraph_hunting_query() writes it: the template
         * without {U} and {N}, the take, and the legs (past one: "union\n    ",
         * each in parentheses, ",\n    " between them) */
        limit_text(limit < 1 ? 1 : limit, MSGRAPH_HUNTING_TAKE_MAX, num);
        base = strlen(hunting_template) - 6 + strlen(num);
        for (k = 0; k < n && k < max; k++) {
                StrBuf b = { 0 };
                size_t len;

                if (put_leg(&b, &items[k], k) < 0) {
                        strbuf_done(&b);
                        break;
                }
                legs += b.len;
                strbuf_done(&b);
                len = k == 0 ? base + legs : base + 10 + legs + 2 * (k + 1) + 6 * k;
                if (k > 0 && len > MSGRAPH_HUNTING_QUERY_MAX)
                        break;
        }
        return k ? k : 1;
}

static bool timespan_valid(const char *s)
{
        if (!s[0])
                return false;
        for (; *s; s++)
                if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
                      strchr(":./+-", *s)))
                        return false;
        return true;
}

int msgraph_hunting_body(const MsgraphHuntingItem *items, size_t n, int64_t limit, const char *timespan,
                         char **ret)
{
        _cleanup_free_ char *query = NULL;
        cJSON *body;
        char *text;
        int r;

        if (timespan && !timespan_valid(timespan))
                return -EINVAL;
        r = msgraph_hunting_query(items, n, limit, &query);
        if (r < 0)
                return r;
        body = json_object();
        json_add_string(body, "Query", query);
        if (timespan)
                json_add_string(body, "Timespan", timespan);
        /* our printer: about half of cJSON's cost on the 2 kB query */
        r = ctim_json_print(body, CTIM_JSON_UTF8, &text, NULL);
        cJSON_Delete(body);
        if (r < 0)
                abort();
        *ret = text;
        return 0;
}

/* --- advanced hunting: sighting ---------------------------------------------- */

/* A dynamic column: an array, or a string holding one.  Returns the array
 * and, when it had to be parsed, the tree to free in *owned. */
static const cJSON *dynamic_array(const cJSON *row, const char *key, cJSON **owned)
{
        const cJSON *j = json_get(row, key);

        *owned = NULL;
        if (cJSON_IsArray(j))
                return j;
        if (cJSON_IsString(j)) {
                size_t n = strlen(j->valuestring);
                if (n == 0 || n > DYNAMIC_STRING_MAX)
                        return NULL;
                *owned = cJSON_ParseWithLength(j->valuestring, n);
                if (cJSON_IsArray(*owned))
                        return *owned;
                cJSON_Delete(*owned);
                *owned = NULL;
        }
        return NULL;
}

/* The CTIM sensor of an alert's service source.  Advanced hunting names
 * them "Microsoft Defender for Endpoint", alerts_v2 "microsoftDefenderForEndpoint":
 * compared without blanks and case. */
static const char *hunting_sensor(const char *service_source)
{
        static const struct {
                const char *source, *sensor;
        } table[] = {
                { "microsoftdefenderforoffice365", "process.email-service" },
                { "microsoftdefenderforidentity", "process.directory-service" },
        };
        char key[64];
        size_t n = 0;

        if (!service_source)
                return "endpoint";
        for (const char *p = service_source; *p; p++) {
                char c = *p;
                if (c == ' ')
                        continue;
                if (n + 1 >= sizeof(key))
                        return "endpoint";
                key[n++] = (char) (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        key[n] = '\0';
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcmp(key, table[i].source) == 0)
                        return table[i].sensor;
        return "endpoint";
}

/* AttackTechniques is a string holding a JSON array of strings; anything
 * else is used as it is. */
static void put_techniques(StrBuf *b, const char *s)
{
        cJSON *a = cJSON_Parse(s);
        const cJSON *e;
        bool first = true;

        if (!cJSON_IsArray(a)) {
                strbuf_puts(b, s);
                cJSON_Delete(a);
                return;
        }
        cJSON_ArrayForEach(e, a) {
                if (!cJSON_IsString(e) || !e->valuestring[0])
                        continue;
                if (!first)
                        strbuf_puts(b, ", ");
                strbuf_puts(b, e->valuestring);
                first = false;
        }
        cJSON_Delete(a);
}

/* "Category: X. Service source: Y. Detection source: Z. MITRE ATT&CK: T." with
 * the parts that are present; NULL when none is. */
static char *hunting_description(const cJSON *row)
{
        static const struct {
                const char *column, *label;
        } parts[] = {
                { "Category", "Category" },
                { "ServiceSource", "Service source" },
                { "DetectionSource", "Detection source" },
                { "AttackTechniques", "MITRE ATT&CK" },
        };
        StrBuf b = { 0 };

        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
                const char *v = json_string_nonempty(row, parts[i].column);
                size_t before;

                if (!v || strcmp(v, "[]") == 0)
                        continue;
                before = b.len;
                if (b.len > 0)
                        strbuf_putc(&b, ' ');
                strbuf_puts(&b, parts[i].label);
                strbuf_puts(&b, ": ");
                if (strcmp(parts[i].column, "AttackTechniques") == 0) {
                        size_t at = b.len;
                        put_techniques(&b, v);
                        if (b.len == at) {        /* an array of nothing usable */
                                b.len = before;
                                b.p[b.len] = '\0';
                                continue;
                        }
                } else
                        strbuf_puts(&b, v);
                strbuf_putc(&b, '.');
        }
        if (b.len == 0) {
                strbuf_done(&b);
                return NULL;
        }
        return strbuf_steal(&b, NULL);
}

static bool observables_contain(const cJSON *obs, const char *type, const char *value)
{
        const cJSON *o;

        cJSON_ArrayForEach(o, obs)
                if (strcmp(json_string(o, "type"), type) == 0 && strcmp(json_string(o, "value"), value) == 0)
                        return true;
        return false;
}

/* One target per device (DeviceName compared without case): its IPs,
 * then its host name (up to the first dot), then the FQDN when it has a
 * dot. */
static cJSON *hunting_targets(const cJSON *row, const char *start, const char *end)
{
        cJSON *owned, *targets = json_array();
        const cJSON *devices = dynamic_array(row, "Devices", &owned), *d;
        const char **names = NULL;
        cJSON **obs_of = NULL;
        size_t n = 0, seen = 0;

        if (!devices)
                return targets;
        cJSON_ArrayForEach(d, devices) {
                const char *name = json_string_nonempty(d, "DeviceName"), *ip = json_string_nonempty(d, "LocalIP");
                size_t i;

                if (seen++ >= DYNAMIC_ITEMS_MAX)
                        break;
                if (!name)
                        continue;
                for (i = 0; i < n; i++)
                        if (ascii_strcaseeq(names[i], name))
                                break;
                if (i == n) {
                        names = xreallocarray(names, n + 1, sizeof(*names));
                        obs_of = xreallocarray(obs_of, n + 1, sizeof(*obs_of));
                        names[n] = name;
                        obs_of[n] = json_array();
                        /* the target owns the list; obs_of[n] stays valid while targets lives */
                        json_append(targets, ctim_target_new("endpoint", obs_of[n], start, end));
                        n++;
                }
                if (ip && !observables_contain(obs_of[i], "ip", ip))
                        json_append(obs_of[i], observable("ip", ip));
        }
        /* names after the IPs, as §7.6 orders them */
        for (size_t i = 0; i < n; i++) {
                const char *dot = strchr(names[i], '.');
                _cleanup_free_ char *host = dot ? xstrndup(names[i], (size_t) (dot - names[i])) : xstrdup(names[i]);

                if (host[0])
                        json_append(obs_of[i], observable("hostname", host));
                if (dot)
                        json_append(obs_of[i], observable("domain", names[i]));
        }
        free(names);
        free(obs_of);
        cJSON_Delete(owned);
        return targets;
}

/* FolderPath is the folder; the file's path is folder + name, with the
 * folder's separator, unless the folder already ends with the name. */
static char *file_path_of(const char *folder, const char *name)
{
        size_t fl = strlen(folder), nl = name ? strlen(name) : 0;
        char sep;

        if (!name || nl == 0)
                return xstrdup(folder);
        if (fl >= nl && ascii_strcaseeq(folder + fl - nl, name) &&
            (fl == nl || folder[fl - nl - 1] == '\\' || folder[fl - nl - 1] == '/'))
                return xstrdup(folder);
        if (fl > 0 && (folder[fl - 1] == '\\' || folder[fl - 1] == '/'))
                return xasprintf("%s%s", folder, name);
        sep = strchr(folder, '\\') || (fl >= 2 && folder[1] == ':') ? '\\' : '/';
        return xasprintf("%s%c%s", folder, sep, name);
}

static bool relations_contain(const cJSON *rels, const cJSON *r)
{
        const cJSON *e;

        cJSON_ArrayForEach(e, rels)
                if (cJSON_Compare(e, r, true))
                        return true;
        return false;
}

static void append_relation_unique(cJSON *rels, cJSON *r)
{
        if (relations_contain(rels, r))
                cJSON_Delete(r);
        else
                json_append(rels, r);
}

static cJSON *hunting_relations(MsgraphObservable t, const cJSON *row, const char *origin)
{
        cJSON *owned, *rels = json_array();
        const cJSON *list, *e;
        size_t seen;

        if (observable_is_network(t)) {
                list = dynamic_array(row, "Connections", &owned);
                if (!list)
                        return rels;
                seen = 0;
                cJSON_ArrayForEach(e, list) {
                        const char *local = json_string_nonempty(e, "LocalIP");
                        const char *url = json_string_nonempty(e, "RemoteUrl");
                        const char *ip = json_string_nonempty(e, "RemoteIP");

                        if (seen++ >= DYNAMIC_ITEMS_MAX)
                                break;
                        if (!local)
                                continue;
                        if (url)
                                append_relation_unique(rels, relation(origin, "Connected_To", "ip", local,
                                                                      strstr(url, "://") ? "url" : "domain", url));
                        if (ip)
                                append_relation_unique(rels,
                                                       relation(origin, "Connected_To", "ip", local, "ip", ip));
                }
                cJSON_Delete(owned);
                return rels;
        }

        list = dynamic_array(row, "Files", &owned);
        if (!list)
                return rels;
        for (int pass = 0; pass < 2; pass++) {
                seen = 0;
                cJSON_ArrayForEach(e, list) {
                        const char *sha256 = json_string_nonempty(e, "SHA256");
                        const char *sha1 = json_string_nonempty(e, "SHA1");
                        const char *name = json_string_nonempty(e, "FileName");
                        const char *folder = json_string_nonempty(e, "FolderPath");
                        const char *hash_type = sha256 ? "sha256" : "sha1", *hash = sha256 ? sha256 : sha1;

                        if (seen++ >= DYNAMIC_ITEMS_MAX)
                                break;
                        if (!hash)
                                continue;
                        if (pass == 0 && name)
                                append_relation_unique(rels, relation(origin, "File_Name_Of", "file_name", name,
                                                                      hash_type, hash));
                        if (pass == 1 && folder) {
                                _cleanup_free_ char *path = file_path_of(folder, name);
                                append_relation_unique(rels, relation(origin, "File_Path_Of", "file_path", path,
                                                                      hash_type, hash));
                        }
                }
        }
        cJSON_Delete(owned);
        return rels;
}

static char *portal_alert_url(const MsgraphPortal *portal, const char *alert_id)
{
        size_t n = strlen(portal->url);
        StrBuf b = { 0 };

        strbuf_putn(&b, portal->url, n > 0 && portal->url[n - 1] == '/' ? n - 1 : n);
        strbuf_puts(&b, "/alerts/");
        strbuf_put_pct(&b, alert_id, NULL);
        if (portal->tenant_id && portal->tenant_id[0]) {
                strbuf_puts(&b, "?tid=");
                strbuf_put_pct(&b, portal->tenant_id, NULL);
        }
        return strbuf_steal(&b, NULL);
}

int msgraph_hunting_sighting(MsgraphObservable t, const char *value, const cJSON *row,
                             const MsgraphPortal *portal, const CtimRandom *rnd, cJSON **ret)
{
        const char *ts, *first, *last, *start, *end, *alert_id, *service, *origin;
        _cleanup_free_ char *description = NULL;
        cJSON *ids, *refs;

        if (!observable_valid(t) || !value || !cJSON_IsObject(row))
                return -EINVAL;
        ts = json_string_nonempty(row, "Timestamp");
        first = json_string_nonempty(row, "FirstSeen");
        last = json_string_nonempty(row, "LastSeen");
        start = first ? first : ts ? ts : last;
        if (!start)
                return -EBADMSG;
        end = last ? last : ts ? ts : start;
        if (!ts)
                ts = end;

        alert_id = json_string_nonempty(row, "AlertId");
        service = json_string_nonempty(row, "ServiceSource");
        origin = service ? service : SIGHTING_SOURCE;
        description = hunting_description(row);

        ids = json_array();
        if (alert_id)
                json_append(ids, cJSON_CreateString(alert_id));

        refs = json_array();
        if (alert_id && portal && portal->url && portal->url[0]) {
                _cleanup_free_ char *url = portal_alert_url(portal, alert_id);
                json_append(refs, ctim_external_reference_new(origin, NULL, url, NULL));
        }

        *ret = sighting_build(t, value, rnd, &(CtimSighting) {
                .title = json_string(row, "Title"),
                .description = description,
                .external_ids = ids,
                .external_references = refs,
                .observed_start = start,
                .observed_end = end,
                .timestamp = ts,
                /* neither table has a confidence: as a legacy alert with none (§7.6) */
                .confidence = "None",
                .severity = severity_from_graph(json_string(row, "Severity"), true),
                .sensor = hunting_sensor(service),
                .targets = hunting_targets(row, start, end),
                .relations = hunting_relations(t, row, origin),
        });
        return 0;
}

static int hunting_map_one(MsgraphObservable t, const char *value, const cJSON *item, const MsgraphPortal *portal,
                           const CtimRandom *rnd, cJSON **ret)
{
        return msgraph_hunting_sighting(t, value, item, portal, rnd, ret);
}

int msgraph_hunting_sightings(MsgraphObservable t, const char *value, int64_t obs, const cJSON *response,
                              int64_t limit, const MsgraphPortal *portal, const CtimRandom *rnd, cJSON **ret,
                              size_t *ret_skipped)
{
        if (obs < 0)
                return -EINVAL;
        return map_list(t, value, obs, response, "results", limit, portal, rnd, hunting_map_one, ret, ret_skipped);
}

/* --- errors -------------------------------------------------------------------- */

#define UNEXPECTED "Unexpected response from Microsoft Graph Security: "

void msgraph_error_done(MsgraphError *e)
{
        if (!e)
                return;
        free(e->message);
        *e = (MsgraphError) { 0 };
}

/* Appends s[0..n) as valid UTF-8 (U+FFFD for each bad byte) without going
 * over max bytes in total, never cutting a character. */
static void buf_put_utf8_capped(StrBuf *b, const char *s, size_t n, size_t max)
{
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < n;) {
                size_t k = utf8_seq(p + i, n - i);
                const char *add = k ? s + i : "\xef\xbf\xbd";
                size_t len = k ? k : 3;

                if (k == 1 && p[i] == '\0')
                        add = "\xef\xbf\xbd", len = 3;
                if (b->len + len > max)
                        return;
                strbuf_putn(b, add, len);
                i += k ? k : 1;
        }
}

static char *error_message(const char *prefix, const char *msg, size_t len)
{
        StrBuf b = { 0 };

        buf_put_utf8_capped(&b, prefix, strlen(prefix), MSGRAPH_ERROR_MESSAGE_MAX);
        buf_put_utf8_capped(&b, msg, len, MSGRAPH_ERROR_MESSAGE_MAX);
        return strbuf_steal(&b, NULL);
}

/* What Microsoft said (§9 row 21): error_description, else error.message,
 * else error as a string, else the body, blanks trimmed.  NULL when there
 * is nothing.  *ret_tree holds the parsed body, to free. */
static const char *microsoft_message(const char *body, size_t len, size_t *ret_len, cJSON **ret_tree)
{
        const char *s;
        cJSON *tree;

        *ret_tree = tree = len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
        if (cJSON_IsObject(tree)) {
                const cJSON *err = json_get(tree, "error");
                s = json_string(tree, "error_description");
                if (!s)
                        s = json_string(err, "message");
                if (!s && cJSON_IsString(err))
                        s = err->valuestring;
                if (s) {
                        *ret_len = strlen(s);
                        return s;
                }
        }
        while (len > 0 && is_py_space(body[0]))
                body++, len--;
        while (len > 0 && is_py_space(body[len - 1]))
                len--;
        if (len == 0)
                return NULL;
        *ret_len = len;
        return body;
}

int msgraph_error_from_response(MsgraphCall call, long status, const char *body, size_t len, MsgraphError *ret)
{
        const char *code, *prefix, *msg;
        size_t msg_len = 0;
        char fallback[32];
        cJSON *tree;

        if (call < 0 || call >= _MSGRAPH_CALL_MAX || status < 100 || status > 999 || (!body && len > 0))
                return -EINVAL;
        if (status >= 200 && status < 300)
                return 0;
        if (status == 404) {
                if (call == MSGRAPH_CALL_ALERTS || call == MSGRAPH_CALL_HEALTH)
                        return 0;
                if (call == MSGRAPH_CALL_TOKEN) {
                        *ret = (MsgraphError) {
                                .code = CTIM_CODE_AUTHORIZATION,
                                .message = xstrdup("Authorization failed: Specified Tenant ID was not found"),
                        };
                        return 1;
                }
        }
        if (status == 429) {
                *ret = (MsgraphError) {
                        .code = CTIM_CODE_TOO_MANY_REQUESTS,
                        .message = xstrdup("Too many requests to Microsoft Graph Security have been made. "
                                           "Please try again later."),
                };
                return 1;
        }
        if (status == 503) {
                *ret = (MsgraphError) {
                        .code = CTIM_CODE_UNAVAILABLE,
                        .message = xstrdup("Service temporarily unavailable. Please try again later."),
                };
                return 1;
        }

        switch (status) {
        case 401:
                code = CTIM_CODE_AUTHORIZATION, prefix = "Authorization failed: ";
                break;
        case 400:
                code = CTIM_CODE_INVALID_ARGUMENT, prefix = UNEXPECTED;
                break;
        case 403:
                code = CTIM_CODE_PERMISSION_DENIED, prefix = UNEXPECTED;
                break;
        case 404:
                code = CTIM_CODE_NOT_FOUND, prefix = UNEXPECTED;
                break;
        default:
                code = CTIM_CODE_UNKNOWN, prefix = UNEXPECTED;
        }
        msg = microsoft_message(body, len, &msg_len, &tree);
        if (!msg) {
                snprintf(fallback, sizeof(fallback), "HTTP %ld", status);
                msg = fallback;
                msg_len = strlen(fallback);
        }
        *ret = (MsgraphError) { .code = code, .message = error_message(prefix, msg, msg_len) };
        cJSON_Delete(tree);
        return 1;
}

void msgraph_error_tls(const char *reason, MsgraphError *ret)
{
        _cleanup_free_ char *cap = xstrdup(reason ? reason : "");

        /* Python's str.capitalize(), for ASCII */
        for (char *p = cap; *p; p++) {
                if (p == cap && *p >= 'a' && *p <= 'z')
                        *p = (char) (*p - 'a' + 'A');
                else if (p != cap && *p >= 'A' && *p <= 'Z')
                        *p = (char) (*p - 'A' + 'a');
        }
        *ret = (MsgraphError) {
                .code = CTIM_CODE_UNKNOWN,
                .message = error_message("Unable to verify SSL certificate: ", cap, strlen(cap)),
        };
}

void msgraph_error_connect(const char *url, MsgraphError *ret)
{
        const char *u = url ? url : "";

        *ret = (MsgraphError) {
                .code = CTIM_CODE_CONNECTION,
                .message = error_message("Unable to connect Microsoft Graph Security, validate the configured "
                                         "API URL: ",
                                         u, strlen(u)),
        };
}
