/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>
#include "common/addr.h"
#include "common/xalloc.h"
#include "sources/vectra_model.h"

/* ---- errors ------------------------------------------------------------- */

static int fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char **err, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                free(*err);
                va_start(ap, fmt);
                *err = xvasprintf(fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* Errors are built from the innermost field outwards: a leaf message
 * ("expected a string, got a number") becomes "value: expected …", then
 * "host_artifact_set[2].value: expected …".  A path starts with a field
 * name or an index followed by '.', ':' or '['; leaf messages never do. */
static bool is_path(const char *s)
{
        const char *p = s;

        if (*p == '[')
                return true;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_')
                p++;
        return p > s && (*p == ':' || *p == '.' || *p == '[');
}

static void prefix(char **err, const char *what)
{
        char *s;

        if (!err || !*err)
                return;
        if (!is_path(*err))
                s = xasprintf("%s: %s", what, *err);
        else if ((*err)[0] == '[')
                s = xasprintf("%s%s", what, *err);
        else
                s = xasprintf("%s.%s", what, *err);
        free(*err);
        *err = s;
}

void vectra_error_prefix(char **err, const char *fmt, ...)
{
        va_list ap;
        char *what;

        if (!err || !*err)
                return;
        va_start(ap, fmt);
        what = xvasprintf(fmt, ap);
        va_end(ap);
        prefix(err, what);
        free(what);
}

static int prefix_key(char **err, const char *key, int r)
{
        if (r < 0)
                prefix(err, key);
        return r;
}

static int prefix_index(char **err, size_t i, int r)
{
        char buf[32];

        if (r < 0) {
                snprintf(buf, sizeof(buf), "[%zu]", i);
                prefix(err, buf);
        }
        return r;
}

static const char *type_name(const cJSON *v)
{
        if (!v)
                return "nothing";
        if (cJSON_IsNull(v))
                return "null";
        if (cJSON_IsBool(v))
                return "a boolean";
        if (cJSON_IsNumber(v))
                return "a number";
        if (cJSON_IsString(v))
                return "a string";
        if (cJSON_IsArray(v))
                return "a list";
        if (cJSON_IsObject(v))
                return "an object";
        return "an invalid value";
}

static bool absent(const cJSON *v)
{
        return !v || cJSON_IsNull(v);
}

static const cJSON *field(const cJSON *o, const char *key)
{
        return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* ---- scalar fields ------------------------------------------------------ */

/* An integral JSON number within [min, max].  A value given as a string of
 * digits is not accepted: the API sends numbers. */
static int number_int(const cJSON *v, int64_t min, int64_t max, int64_t *ret, char **err)
{
        double d;

        if (!cJSON_IsNumber(v))
                return fail(err, "expected an integer, got %s", type_name(v));
        d = v->valuedouble;
        if (!isfinite(d) || d < (double) min || d > (double) max)
                return fail(err, "value %g is out of range [%" PRId64 ", %" PRId64 "]", d, min, max);
        if (d != floor(d))
                return fail(err, "expected an integer, got %g", d);
        *ret = (int64_t) d;
        return 0;
}

static int get_int(const cJSON *o, const char *key, bool required, int64_t min, int64_t max,
                   int64_t def, int64_t *ret, char **err)
{
        const cJSON *v = field(o, key);

        if (absent(v)) {
                if (required)
                        return fail(err, "%s: missing", key);
                *ret = def;
                return 0;
        }
        return prefix_key(err, key, number_int(v, min, max, ret, err));
}

static int get_score(const cJSON *o, const char *key, int *ret, char **err)
{
        int64_t v;
        int r = get_int(o, key, false, 0, VECTRA_SCORE_MAX, 0, &v, err);

        if (r < 0)
                return r;
        *ret = (int) v;
        return 0;
}

static int get_bool(const cJSON *o, const char *key, bool *ret, char **err)
{
        const cJSON *v = field(o, key);

        if (absent(v)) {
                *ret = false;
                return 0;
        }
        if (!cJSON_IsBool(v))
                return fail(err, "%s: expected a boolean, got %s", key, type_name(v));
        *ret = cJSON_IsTrue(v);
        return 0;
}

static int string_value(const cJSON *v, size_t max, char **ret, char **err)
{
        size_t len;

        if (!cJSON_IsString(v) || !v->valuestring)
                return fail(err, "expected a string, got %s", type_name(v));
        len = strlen(v->valuestring);
        if (max && len > max)
                return fail(err, "string too long (%zu bytes, at most %zu)", len, max);
        *ret = xstrdup(v->valuestring);
        return 0;
}

/* A string or null; *ret is NULL for null or absent. */
static int get_string(const cJSON *o, const char *key, size_t max, char **ret, char **err)
{
        const cJSON *v = field(o, key);

        *ret = NULL;
        if (absent(v))
                return 0;
        return prefix_key(err, key, string_value(v, max, ret, err));
}

/* ---- lists -------------------------------------------------------------- */

typedef struct Strv {
        char **v;
        size_t n, cap;
} Strv;

static void strv_add(Strv *s, char *item)
{
        if (s->n + 2 > s->cap) {
                s->cap = s->cap ? s->cap * 2 : 8;
                s->v = xreallocarray(s->v, s->cap, sizeof(char *));
        }
        s->v[s->n++] = item;
        s->v[s->n] = NULL;
}

static bool strv_has(const Strv *s, const char *item)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], item) == 0)
                        return true;
        return false;
}

/* Always a list, possibly empty, never NULL. */
static char **strv_take(Strv *s, size_t *ret_n)
{
        char **v = s->v ? s->v : xnew(char *, 1);

        *ret_n = s->n;
        *s = (Strv) {};
        return v;
}

char **vectra_strv_free(char **v)
{
        if (!v)
                return NULL;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
        return NULL;
}

static void strv_done(Strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (Strv) {};
}

static int list_of(const cJSON *o, const char *key, const cJSON **ret, char **err)
{
        const cJSON *v = field(o, key);

        *ret = NULL;
        if (absent(v))
                return 0;
        if (!cJSON_IsArray(v))
                return fail(err, "%s: expected a list, got %s", key, type_name(v));
        *ret = v;
        return 0;
}

/* A list of strings; null or absent gives an empty list. */
static int get_strv(const cJSON *o, const char *key, char ***ret, size_t *ret_n, char **err)
{
        const cJSON *l, *it;
        Strv s = {};
        size_t i = 0;
        int r;

        r = list_of(o, key, &l, err);
        if (r < 0)
                return r;
        cJSON_ArrayForEach(it, l) {
                char *str;

                r = string_value(it, VECTRA_STRING_MAX, &str, err);
                if (r < 0) {
                        strv_done(&s);
                        return prefix_key(err, key, prefix_index(err, i, r));
                }
                strv_add(&s, str);
                i++;
        }
        *ret = strv_take(&s, ret_n);
        return 0;
}

typedef struct Idv {
        int64_t *v;
        size_t n, cap;
} Idv;

static void idv_add(Idv *s, int64_t id)
{
        if (s->n + 1 > s->cap) {
                s->cap = s->cap ? s->cap * 2 : 8;
                s->v = xreallocarray(s->v, s->cap, sizeof(int64_t));
        }
        s->v[s->n++] = id;
}

int vectra_id_from_url(const char *url, int64_t *ret)
{
        const char *end, *start;
        int64_t v = 0;

        if (!url)
                return -EINVAL;
        end = url + strcspn(url, "?#");
        if (end > url && end[-1] == '/')
                end--;
        start = end;
        while (start > url && start[-1] != '/')
                start--;
        if (start == end || end - start > 16)
                return -EINVAL;
        for (const char *p = start; p < end; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (*p - '0');
        }
        if (v < 1 || v > VECTRA_ID_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* detection_set: a list of detection URLs (or, leniently, of ids). */
static int get_detection_set(const cJSON *o, int64_t **ret, size_t *ret_n, char **err)
{
        const cJSON *l, *it;
        Idv ids = {};
        size_t i = 0;
        int r;

        r = list_of(o, "detection_set", &l, err);
        if (r < 0)
                return r;
        cJSON_ArrayForEach(it, l) {
                int64_t id;

                if (cJSON_IsNumber(it))
                        r = number_int(it, 1, VECTRA_ID_MAX, &id, err);
                else if (!cJSON_IsString(it))
                        r = fail(err, "expected a detection URL, got %s", type_name(it));
                else if (vectra_id_from_url(it->valuestring, &id) < 0)
                        r = fail(err, "'%.64s' is not a detection URL", it->valuestring);
                if (r < 0) {
                        free(ids.v);
                        return prefix_key(err, "detection_set", prefix_index(err, i, r));
                }
                idv_add(&ids, id);
                i++;
        }
        *ret = ids.v;
        *ret_n = ids.n;
        return 0;
}

static int expect_object(const cJSON *j, char **err)
{
        if (!cJSON_IsObject(j))
                return fail(err, "expected an object, got %s", type_name(j));
        return 0;
}

/* ---- time --------------------------------------------------------------- */

static bool digits(const char *p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return false;
                v = v * 10 + (p[i] - '0');
        }
        *ret = v;
        return true;
}

/* "2023-12-14T02:41:22Z", with optional fraction and Z or ±HH:MM. */
static int parse_timestamp(const char *s, time_t *ret)
{
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        struct tm tm = {};
        int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
        const char *p = s;
        time_t t;

        if (strlen(s) < 19 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
            !digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != ' ') || !digits(p + 11, 2, &h) ||
            p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' || !digits(p + 17, 2, &sec))
                return -EINVAL;
        if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
                return -EINVAL;
        p += 19;
        if (*p == '.') {
                p++;
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                sign = *p == '+' ? 1 : -1;
                if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
                        return -EINVAL;
                p += 6;
        }
        if (*p)
                return -EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        t = timegm(&tm);
        if (t == (time_t) -1)
                return -EINVAL;
        *ret = t - sign * (oh * 3600 + om * 60);
        return 0;
}

/* ---- addresses ---------------------------------------------------------- */

/* Not a destination worth blocking: Python's ipaddress is_private (3.13)
 * plus shared address space, multicast and site-local. */
static const char *const non_public[] = {
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "2002::/16", "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
};
static const char *const non_public_exceptions[] = {
        "192.0.0.9/32", "192.0.0.10/32",
        "2001:1::1/128", "2001:1::2/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28",
};

static bool in_table(const char *const *table, size_t n, const AddrNet *a)
{
        for (size_t i = 0; i < n; i++) {
                AddrNet net;

                if (addr_parse(table[i], &net) == 0 && net.family == a->family && addr_contains(&net, a))
                        return true;
        }
        return false;
}

/* Canonical text of a public single address, or -EINVAL. */
static int public_ip(const char *s, char *buf, size_t len)
{
        AddrNet a;

        if (!s || strchr(s, '/') || addr_parse(s, &a) < 0 || !addr_is_host(&a))
                return -EINVAL;
        if (in_table(non_public, sizeof(non_public) / sizeof(non_public[0]), &a) &&
            !in_table(non_public_exceptions, sizeof(non_public_exceptions) / sizeof(non_public_exceptions[0]), &a))
                return -EINVAL;
        addr_format(&a, buf, len);
        return 0;
}

bool vectra_ip_is_public(const char *ip)
{
        char buf[ADDR_STR_MAX];

        return public_ip(ip, buf, sizeof(buf)) == 0;
}

/* ---- hosts -------------------------------------------------------------- */

VectraHost *vectra_host_free(VectraHost *h)
{
        if (!h)
                return NULL;
        free(h->name);
        free(h->ip);
        free(h->probable_owner);
        vectra_strv_free(h->tags);
        free(h->note);
        vectra_strv_free(h->mac_addresses);
        free(h->vmware_vm_uuid);
        free(h->vmware_vm_name);
        free(h->aws_vm_uuid);
        free(h->full_name);
        free(h->detection_ids);
        free(h);
        return NULL;
}

typedef struct Artifacts {
        const char *windows_defender_name, *dns, *rdns;
} Artifacts;

static int parse_artifacts(const cJSON *o, VectraHost *h, Artifacts *best, char **err)
{
        const cJSON *l, *it;
        Strv macs = {};
        size_t i = 0;
        int r;

        r = list_of(o, "host_artifact_set", &l, err);
        if (r < 0)
                return r;
        cJSON_ArrayForEach(it, l) {
                const cJSON *type, *value;
                const char *t, *v;

                r = expect_object(it, err);
                if (r < 0)
                        goto fail;
                type = field(it, "type");
                value = field(it, "value");
                if (!cJSON_IsString(type)) {
                        r = fail(err, "type: expected a string, got %s", type_name(type));
                        goto fail;
                }
                if (absent(value)) {
                        i++;
                        continue;
                }
                if (!cJSON_IsString(value)) {
                        r = fail(err, "value: expected a string, got %s", type_name(value));
                        goto fail;
                }
                if (strlen(value->valuestring) > VECTRA_STRING_MAX) {
                        r = fail(err, "value: string too long (%zu bytes, at most %d)",
                                 strlen(value->valuestring), VECTRA_STRING_MAX);
                        goto fail;
                }
                t = type->valuestring;
                v = value->valuestring;
                if (!*v) {
                        i++;
                        continue;
                }
                if (strcmp(t, "mac") == 0) {
                        if (!strv_has(&macs, v))
                                strv_add(&macs, xstrdup(v));
                } else if (strcmp(t, "vm_uuid") == 0) {
                        if (!h->vmware_vm_uuid)
                                h->vmware_vm_uuid = xstrdup(v);
                } else if (strcmp(t, "vmachine_info") == 0) {
                        if (!h->vmware_vm_name)
                                h->vmware_vm_name = xstrdup(v);
                } else if (strcmp(t, "aws_vm_uuid") == 0) {
                        if (!h->aws_vm_uuid)
                                h->aws_vm_uuid = xstrdup(v);
                } else if (strcmp(t, "windows_defender_name") == 0) {
                        if (!best->windows_defender_name)
                                best->windows_defender_name = v;
                } else if (strcmp(t, "dns") == 0) {
                        if (!best->dns)
                                best->dns = v;
                } else if (strcmp(t, "rdns") == 0) {
                        if (!best->rdns)
                                best->rdns = v;
                }
                i++;
        }
        h->mac_addresses = strv_take(&macs, &h->n_mac_addresses);
        return 0;
fail:
        strv_done(&macs);
        return prefix_key(err, "host_artifact_set", prefix_index(err, i, r));
}

/* The first string of an LDAP attribute: a string or a list of strings. */
static int ldap_first(const cJSON *ldap, const char *key, const char **ret, char **err)
{
        const cJSON *v = field(ldap, key);

        *ret = NULL;
        if (absent(v))
                return 0;
        if (cJSON_IsArray(v)) {
                const cJSON *first = cJSON_GetArrayItem(v, 0);

                if (!first || cJSON_IsNull(first))
                        return 0;
                if (!cJSON_IsString(first))
                        return fail(err, "%s[0]: expected a string, got %s", key, type_name(first));
                v = first;
        } else if (!cJSON_IsString(v))
                return fail(err, "%s: expected a string or a list, got %s", key, type_name(v));
        if (strlen(v->valuestring) > VECTRA_STRING_MAX)
                return fail(err, "%s: string too long", key);
        *ret = v->valuestring;
        return 0;
}

int vectra_host_from_json(const cJSON *j, VectraHost **ret, char **ret_error)
{
        VectraHost *h;
        Artifacts best = {};
        const cJSON *ldap, *last_seen;
        const char *ldap_name = NULL;
        int64_t id;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        r = get_int(j, "id", true, 1, VECTRA_ID_MAX, 0, &id, ret_error);
        if (r < 0)
                return r;
        h = xnew(VectraHost, 1);
        h->id = id;
        if ((r = get_string(j, "name", VECTRA_STRING_MAX, &h->name, ret_error)) < 0 ||
            (r = get_string(j, "last_source", VECTRA_STRING_MAX, &h->ip, ret_error)) < 0 ||
            (r = get_score(j, "threat", &h->threat, ret_error)) < 0 ||
            (r = get_score(j, "certainty", &h->certainty, ret_error)) < 0 ||
            (r = get_bool(j, "key_asset", &h->key_asset, ret_error)) < 0 ||
            (r = get_bool(j, "targets_key_asset", &h->targets_key_asset, ret_error)) < 0 ||
            (r = get_string(j, "probable_owner", VECTRA_STRING_MAX, &h->probable_owner, ret_error)) < 0 ||
            (r = get_strv(j, "tags", &h->tags, &h->n_tags, ret_error)) < 0 ||
            (r = get_string(j, "note", 0, &h->note, ret_error)) < 0 ||
            (r = parse_artifacts(j, h, &best, ret_error)) < 0 ||
            (r = get_detection_set(j, &h->detection_ids, &h->n_detection_ids, ret_error)) < 0)
                goto fail;

        ldap = field(j, "ldap");
        if (!absent(ldap)) {
                if (!cJSON_IsObject(ldap)) {
                        r = fail(ret_error, "ldap: expected an object, got %s", type_name(ldap));
                        goto fail;
                }
                r = ldap_first(ldap, "dns_hostname", &ldap_name, ret_error);
                if (r < 0) {
                        prefix_key(ret_error, "ldap", r);
                        goto fail;
                }
        }

        last_seen = field(j, "last_seen");
        if (!absent(last_seen)) {
                if (!cJSON_IsString(last_seen)) {
                        r = fail(ret_error, "last_seen: expected a string, got %s", type_name(last_seen));
                        goto fail;
                }
                if (parse_timestamp(last_seen->valuestring, &h->last_seen) < 0) {
                        r = fail(ret_error, "last_seen: '%.64s' is not a timestamp", last_seen->valuestring);
                        goto fail;
                }
        }

        if (best.windows_defender_name)
                h->full_name = xstrdup(best.windows_defender_name);
        else if (best.dns)
                h->full_name = xstrdup(best.dns);
        else if (best.rdns)
                h->full_name = xstrdup(best.rdns);
        else if (ldap_name && *ldap_name)
                h->full_name = xstrdup(ldap_name);
        else if (h->name)
                h->full_name = xstrdup(h->name);

        *ret = h;
        return 0;
fail:
        vectra_host_free(h);
        return r;
}

/* ---- accounts ----------------------------------------------------------- */

static void ldap_done(VectraLdap *l)
{
        free(l->description);
        free(l->location);
        free(l->sam_account_name);
        free(l->title);
        free(l->upn);
        free(l->common_name);
        free(l->email);
}

VectraAccount *vectra_account_free(VectraAccount *a)
{
        if (!a)
                return NULL;
        free(a->name);
        free(a->display_name);
        vectra_strv_free(a->account_type);
        free(a->severity);
        free(a->privilege_category);
        free(a->probable_home);
        vectra_strv_free(a->tags);
        free(a->note);
        free(a->normalized_name);
        free(a->fake_sam);
        free(a->context);
        ldap_done(&a->ldap);
        free(a->detection_ids);
        free(a);
        return NULL;
}

static int parse_ldap(const cJSON *ldap, VectraLdap *l, char **err)
{
        static const struct {
                const char *key;
                size_t offset;
        } fields[] = {
                { "description", offsetof(VectraLdap, description) },
                { "location", offsetof(VectraLdap, location) },
                { "sAMAccountName", offsetof(VectraLdap, sam_account_name) },
                { "title", offsetof(VectraLdap, title) },
                { "user_principal_name", offsetof(VectraLdap, upn) },
                { "common_name", offsetof(VectraLdap, common_name) },
                { "email", offsetof(VectraLdap, email) },
        };

        if (!cJSON_IsObject(ldap))
                return fail(err, "ldap: expected an object, got %s", type_name(ldap));
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                const char *v;
                int r = ldap_first(ldap, fields[i].key, &v, err);

                if (r < 0)
                        return prefix_key(err, "ldap", r);
                if (v)
                        *(char **) ((char *) l + fields[i].offset) = xstrdup(v);
        }
        return 0;
}

int vectra_account_from_json(const cJSON *j, VectraAccount **ret, char **ret_error)
{
        VectraAccount *a;
        const cJSON *v;
        int64_t id, level;
        const char *dn;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        r = get_int(j, "id", true, 1, VECTRA_ID_MAX, 0, &id, ret_error);
        if (r < 0)
                return r;
        a = xnew(VectraAccount, 1);
        a->id = id;
        if ((r = get_string(j, "name", VECTRA_STRING_MAX, &a->name, ret_error)) < 0 ||
            (r = get_string(j, "display_name", VECTRA_STRING_MAX, &a->display_name, ret_error)) < 0 ||
            (r = get_score(j, "threat", &a->threat, ret_error)) < 0 ||
            (r = get_score(j, "certainty", &a->certainty, ret_error)) < 0 ||
            (r = get_string(j, "severity", VECTRA_STRING_MAX, &a->severity, ret_error)) < 0 ||
            (r = get_int(j, "privilege_level", false, 0, VECTRA_SCORE_MAX, -1, &level, ret_error)) < 0 ||
            (r = get_string(j, "privilege_category", VECTRA_STRING_MAX, &a->privilege_category, ret_error)) < 0 ||
            (r = get_strv(j, "tags", &a->tags, &a->n_tags, ret_error)) < 0 ||
            (r = get_string(j, "note", 0, &a->note, ret_error)) < 0 ||
            (r = get_detection_set(j, &a->detection_ids, &a->n_detection_ids, ret_error)) < 0)
                goto fail;
        a->privilege_level = (int) level;

        /* account_type: a list of strings (a single string is accepted). */
        v = field(j, "account_type");
        if (cJSON_IsString(v)) {
                Strv s = {};
                char *str;

                r = string_value(v, VECTRA_STRING_MAX, &str, ret_error);
                if (r < 0) {
                        prefix_key(ret_error, "account_type", r);
                        goto fail;
                }
                strv_add(&s, str);
                a->account_type = strv_take(&s, &a->n_account_type);
        } else if ((r = get_strv(j, "account_type", &a->account_type, &a->n_account_type, ret_error)) < 0)
                goto fail;

        /* probable_home: kept only when the API gives a plain string. */
        v = field(j, "probable_home");
        if (cJSON_IsString(v) && strlen(v->valuestring) <= VECTRA_STRING_MAX)
                a->probable_home = xstrdup(v->valuestring);

        v = field(j, "ldap");
        if (!absent(v)) {
                r = parse_ldap(v, &a->ldap, ret_error);
                if (r < 0)
                        goto fail;
                a->has_ldap = true;
        }

        if (!a->display_name || !*a->display_name) {
                free(a->display_name);
                a->display_name = a->name ? xstrdup(a->name) : NULL;
        }
        dn = a->display_name;
        if (dn) {
                const char *colon = strchr(dn, ':');

                if (colon)
                        a->normalized_name = xstrndup(colon + 1, strcspn(colon + 1, ":"));
                else
                        a->normalized_name = xstrdup(dn);
                a->fake_sam = xstrndup(a->normalized_name, strcspn(a->normalized_name, "@"));
        }
        for (size_t i = 0; i < a->n_tags; i++)
                if (strncmp(a->tags[i], "Context:", 8) == 0) {
                        free(a->context);
                        a->context = xstrndup(a->tags[i] + 8, strcspn(a->tags[i] + 8, ":"));
                }

        *ret = a;
        return 0;
fail:
        vectra_account_free(a);
        return r;
}

/* ---- detections --------------------------------------------------------- */

VectraDetection *vectra_detection_free(VectraDetection *d)
{
        if (!d)
                return NULL;
        free(d->category);
        free(d->detection_type);
        free(d->state);
        free(d->src_ip);
        vectra_strv_free(d->dst_ips);
        vectra_strv_free(d->dst_domains);
        vectra_strv_free(d->tags);
        free(d);
        return NULL;
}

/* src_host / src_account: null or an object with an id. */
static int get_ref_id(const cJSON *o, const char *key, int64_t *ret, char **err)
{
        const cJSON *v = field(o, key);

        *ret = 0;
        if (absent(v))
                return 0;
        if (!cJSON_IsObject(v))
                return fail(err, "%s: expected an object, got %s", key, type_name(v));
        return prefix_key(err, key, get_int(v, "id", true, 1, VECTRA_ID_MAX, 0, ret, err));
}

static int parse_summary(const cJSON *o, VectraDetection *d, char **err)
{
        const cJSON *summary = field(o, "summary"), *l, *it;
        Strv ips = {}, domains = {};
        size_t i;
        int r;

        if (absent(summary)) {
                d->dst_ips = strv_take(&ips, &d->n_dst_ips);
                d->dst_domains = strv_take(&domains, &d->n_dst_domains);
                return 0;
        }
        if (!cJSON_IsObject(summary))
                return fail(err, "summary: expected an object, got %s", type_name(summary));

        r = list_of(summary, "dst_ips", &l, err);
        if (r < 0)
                return prefix_key(err, "summary", r);
        i = 0;
        cJSON_ArrayForEach(it, l) {
                char buf[ADDR_STR_MAX];

                /* Unparsable entries are dropped, as VAR does, but a
                 * non-string is a broken answer. */
                if (!cJSON_IsString(it)) {
                        r = fail(err, "summary.dst_ips[%zu]: expected a string, got %s", i, type_name(it));
                        goto fail;
                }
                if (public_ip(it->valuestring, buf, sizeof(buf)) == 0 && !strv_has(&ips, buf))
                        strv_add(&ips, xstrdup(buf));
                i++;
        }

        r = list_of(summary, "target_domains", &l, err);
        if (r < 0) {
                prefix_key(err, "summary", r);
                goto fail;
        }
        i = 0;
        cJSON_ArrayForEach(it, l) {
                char *s;

                r = string_value(it, VECTRA_STRING_MAX, &s, err);
                if (r < 0) {
                        prefix_key(err, "summary.target_domains", prefix_index(err, i, r));
                        goto fail;
                }
                if (*s && !strv_has(&domains, s))
                        strv_add(&domains, s);
                else
                        free(s);
                i++;
        }
        d->dst_ips = strv_take(&ips, &d->n_dst_ips);
        d->dst_domains = strv_take(&domains, &d->n_dst_domains);
        return 0;
fail:
        strv_done(&ips);
        strv_done(&domains);
        return r;
}

int vectra_detection_from_json(const cJSON *j, VectraDetection **ret, char **ret_error)
{
        VectraDetection *d;
        int64_t id;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        r = get_int(j, "id", true, 1, VECTRA_ID_MAX, 0, &id, ret_error);
        if (r < 0)
                return r;
        d = xnew(VectraDetection, 1);
        d->id = id;
        if ((r = get_string(j, "category", VECTRA_STRING_MAX, &d->category, ret_error)) < 0 ||
            (r = get_string(j, "detection_type", VECTRA_STRING_MAX, &d->detection_type, ret_error)) < 0 ||
            (r = get_string(j, "state", VECTRA_STRING_MAX, &d->state, ret_error)) < 0 ||
            (r = get_string(j, "src_ip", VECTRA_STRING_MAX, &d->src_ip, ret_error)) < 0 ||
            (r = get_ref_id(j, "src_host", &d->src_host_id, ret_error)) < 0 ||
            (r = get_ref_id(j, "src_account", &d->src_account_id, ret_error)) < 0 ||
            (r = parse_summary(j, d, ret_error)) < 0 ||
            (r = get_score(j, "c_score", &d->c_score, ret_error)) < 0 ||
            (r = get_score(j, "t_score", &d->t_score, ret_error)) < 0 ||
            (r = get_bool(j, "targets_key_asset", &d->targets_key_asset, ret_error)) < 0 ||
            (r = get_int(j, "triage_rule_id", false, 1, VECTRA_ID_MAX, 0, &d->triage_rule_id, ret_error)) < 0 ||
            (r = get_bool(j, "is_triaged", &d->is_triaged, ret_error)) < 0 ||
            (r = get_strv(j, "tags", &d->tags, &d->n_tags, ret_error)) < 0)
                goto fail;
        *ret = d;
        return 0;
fail:
        vectra_detection_free(d);
        return r;
}

bool vectra_detection_is_info(const VectraDetection *d)
{
        return d && d->category && strcasecmp(d->category, "INFO") == 0;
}

/* ---- groups ------------------------------------------------------------- */

VectraGroup *vectra_group_free(VectraGroup *g)
{
        if (!g)
                return NULL;
        free(g->name);
        free(g->type);
        free(g->member_ids);
        vectra_strv_free(g->member_uids);
        free(g);
        return NULL;
}

static int parse_members(const cJSON *o, VectraGroup *g, char **err)
{
        const cJSON *l, *it;
        bool host = !g->type || strcmp(g->type, "host") == 0;
        bool account = !g->type || strcmp(g->type, "account") == 0;
        Idv ids = {};
        Strv uids = {};
        size_t i = 0;
        int r;

        r = list_of(o, "members", &l, err);
        if (r < 0)
                return r;
        cJSON_ArrayForEach(it, l) {
                const cJSON *id, *uid;

                /* IP and domain groups list plain strings. */
                if (!host && !account) {
                        i++;
                        continue;
                }
                r = expect_object(it, err);
                if (r < 0)
                        goto fail;
                id = field(it, "id");
                uid = field(it, "uid");
                if (host && !absent(id)) {
                        int64_t v;

                        r = number_int(id, 1, VECTRA_ID_MAX, &v, err);
                        if (r < 0) {
                                prefix_key(err, "id", r);
                                goto fail;
                        }
                        idv_add(&ids, v);
                }
                if (account && !absent(uid)) {
                        char *s;

                        r = string_value(uid, VECTRA_STRING_MAX, &s, err);
                        if (r < 0) {
                                prefix_key(err, "uid", r);
                                goto fail;
                        }
                        strv_add(&uids, s);
                }
                if (g->type && host && absent(id)) {
                        r = fail(err, "id: missing");
                        goto fail;
                }
                if (g->type && account && absent(uid)) {
                        r = fail(err, "uid: missing");
                        goto fail;
                }
                i++;
        }
        g->member_ids = ids.v;
        g->n_member_ids = ids.n;
        g->member_uids = strv_take(&uids, &g->n_member_uids);
        return 0;
fail:
        free(ids.v);
        strv_done(&uids);
        return prefix_key(err, "members", prefix_index(err, i, r));
}

int vectra_group_from_json(const cJSON *j, VectraGroup **ret, char **ret_error)
{
        VectraGroup *g;
        int64_t id;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        r = get_int(j, "id", true, 1, VECTRA_ID_MAX, 0, &id, ret_error);
        if (r < 0)
                return r;
        g = xnew(VectraGroup, 1);
        g->id = id;
        if ((r = get_string(j, "name", VECTRA_STRING_MAX, &g->name, ret_error)) < 0 ||
            (r = get_string(j, "type", VECTRA_STRING_MAX, &g->type, ret_error)) < 0 ||
            (r = parse_members(j, g, ret_error)) < 0) {
                vectra_group_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

/* ---- entities ----------------------------------------------------------- */

VectraEntity *vectra_entity_free(VectraEntity *e)
{
        if (!e)
                return NULL;
        free(e->type);
        free(e->name);
        free(e);
        return NULL;
}

int vectra_entity_from_json(const cJSON *j, VectraEntity **ret, char **ret_error)
{
        VectraEntity *e;
        const cJSON *u;
        int64_t id;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        r = get_int(j, "id", true, 1, VECTRA_ID_MAX, 0, &id, ret_error);
        if (r < 0)
                return r;
        e = xnew(VectraEntity, 1);
        e->id = id;
        if ((r = get_string(j, "type", VECTRA_STRING_MAX, &e->type, ret_error)) < 0 ||
            (r = get_string(j, "name", VECTRA_STRING_MAX, &e->name, ret_error)) < 0)
                goto fail;
        u = field(j, "urgency_score");
        if (!absent(u)) {
                if (!cJSON_IsNumber(u)) {
                        r = fail(ret_error, "urgency_score: expected a number, got %s", type_name(u));
                        goto fail;
                }
                if (!isfinite(u->valuedouble) || u->valuedouble < 0 || u->valuedouble > VECTRA_SCORE_MAX) {
                        r = fail(ret_error, "urgency_score: value %g is out of range [0, %d]", u->valuedouble,
                                 VECTRA_SCORE_MAX);
                        goto fail;
                }
                e->urgency_score = u->valuedouble;
        }
        *ret = e;
        return 0;
fail:
        vectra_entity_free(e);
        return r;
}

/* ---- tokens ------------------------------------------------------------- */

static void free_secret(char *s)
{
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

void vectra_token_done(VectraToken *t)
{
        if (!t)
                return;
        free_secret(t->access_token);
        free_secret(t->refresh_token);
        *t = (VectraToken) { .expires_in = -1, .refresh_expires_in = -1 };
}

/* A token goes into a header: printable ASCII without blanks. */
static int token_string(const cJSON *o, const char *key, bool required, char **ret, char **err)
{
        const cJSON *v = field(o, key);
        size_t len;

        *ret = NULL;
        if (absent(v)) {
                if (required)
                        return fail(err, "%s: missing", key);
                return 0;
        }
        if (!cJSON_IsString(v))
                return fail(err, "%s: expected a string, got %s", key, type_name(v));
        len = strlen(v->valuestring);
        if (len == 0 || len > 16384)
                return fail(err, "%s: %zu bytes long", key, len);
        for (const char *p = v->valuestring; *p; p++)
                if (*p <= ' ' || *p > '~')
                        return fail(err, "%s: not a printable token", key);
        *ret = xstrdup(v->valuestring);
        return 0;
}

/* Seconds: a number, or (leniently) a string of digits. */
static int get_seconds(const cJSON *o, const char *key, int64_t *ret, char **err)
{
        static const int64_t max = INT64_C(10) * 366 * 86400;
        const cJSON *v = field(o, key);

        *ret = -1;
        if (absent(v))
                return 0;
        if (cJSON_IsString(v)) {
                int64_t s = 0;
                const char *p = v->valuestring;

                if (!*p)
                        return fail(err, "%s: empty", key);
                for (; *p; p++) {
                        if (*p < '0' || *p > '9' || s > max)
                                return fail(err, "%s: '%.32s' is not a number of seconds", key, v->valuestring);
                        s = s * 10 + (*p - '0');
                }
                if (s > max)
                        return fail(err, "%s: value %" PRId64 " is out of range [0, %" PRId64 "]", key, s, max);
                *ret = s;
                return 0;
        }
        return prefix_key(err, key, number_int(v, 0, max, ret, err));
}

int vectra_token_from_json(const cJSON *j, VectraToken *ret, char **ret_error)
{
        VectraToken t = { .expires_in = -1, .refresh_expires_in = -1 };
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        if ((r = token_string(j, "access_token", true, &t.access_token, ret_error)) < 0 ||
            (r = get_seconds(j, "expires_in", &t.expires_in, ret_error)) < 0 ||
            (r = token_string(j, "refresh_token", false, &t.refresh_token, ret_error)) < 0 ||
            (r = get_seconds(j, "refresh_expires_in", &t.refresh_expires_in, ret_error)) < 0) {
                vectra_token_done(&t);
                return r;
        }
        *ret = t;
        return 0;
}

/* ---- pages, tags, detection sets ---------------------------------------- */

int vectra_page_from_json(const cJSON *j, const cJSON **ret_results, const char **ret_next, char **ret_error)
{
        const cJSON *results, *next;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        results = field(j, "results");
        if (!results)
                return fail(ret_error, "results: missing");
        if (!cJSON_IsArray(results))
                return fail(ret_error, "results: expected a list, got %s", type_name(results));
        next = field(j, "next");
        if (!absent(next) && !cJSON_IsString(next))
                return fail(ret_error, "next: expected a URL or null, got %s", type_name(next));
        if (!absent(next) && strlen(next->valuestring) > 8192)
                return fail(ret_error, "next: URL too long");
        *ret_results = results;
        *ret_next = !absent(next) && *next->valuestring ? next->valuestring : NULL;
        return 0;
}

int vectra_detection_set_from_json(const cJSON *j, int64_t **ret_ids, size_t *ret_n, char **ret_error)
{
        int64_t *ids = NULL;
        size_t n = 0;
        int r;

        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        r = get_detection_set(j, &ids, &n, ret_error);
        if (r < 0)
                return r;
        *ret_ids = ids;
        *ret_n = n;
        return 0;
}

int vectra_tags_from_json(const cJSON *j, char ***ret, size_t *ret_n, char **ret_error)
{
        const cJSON *l;
        cJSON *wrap;
        int r;

        if (cJSON_IsArray(j)) {
                /* A bare list: parse it as {"tags": list} without copying. */
                wrap = cJSON_CreateObject();
                if (!wrap)
                        abort();
                cJSON_AddItemReferenceToObject(wrap, "tags", (cJSON *) j);
                r = get_strv(wrap, "tags", ret, ret_n, ret_error);
                cJSON_Delete(wrap);
                return r;
        }
        r = expect_object(j, ret_error);
        if (r < 0)
                return r;
        l = field(j, "tags");
        if (!l)
                return fail(ret_error, "tags: missing");
        return get_strv(j, "tags", ret, ret_n, ret_error);
}

bool vectra_tags_contain(char *const *tags, size_t n, const char *tag)
{
        if (!tags || !tag)
                return false;
        for (size_t i = 0; i < n; i++)
                if (tags[i] && strcmp(tags[i], tag) == 0)
                        return true;
        return false;
}

/* ---- text --------------------------------------------------------------- */

int vectra_json_parse(const char *text, size_t len, cJSON **ret, char **ret_error)
{
        const char *end = NULL;
        cJSON *j;

        if (!text)
                return fail(ret_error, "no JSON");
        j = cJSON_ParseWithLengthOpts(text, len, &end, false);
        if (!j) {
                const char *where = cJSON_GetErrorPtr();
                size_t at = where && where >= text && where <= text + len ? (size_t) (where - text) : len;

                if (len == 0)
                        return fail(ret_error, "invalid JSON: empty body");
                return fail(ret_error, "invalid JSON near byte %zu", at);
        }
        /* Trailing garbage (blanks and NULs aside) makes it invalid too. */
        if (end) {
                for (const char *p = end; p < text + len; p++)
                        if (!isspace((unsigned char) *p) && *p != '\0') {
                                cJSON_Delete(j);
                                return fail(ret_error, "invalid JSON near byte %zu", (size_t) (p - text));
                        }
        }
        *ret = j;
        return 0;
}

#define DEFINE_PARSE(name, type)                                                              \
        int vectra_##name##_parse(const char *text, size_t len, type **ret, char **ret_error)  \
        {                                                                                     \
                cJSON *j = NULL;                                                              \
                int r = vectra_json_parse(text, len, &j, ret_error);                          \
                if (r < 0)                                                                    \
                        return r;                                                             \
                r = vectra_##name##_from_json(j, ret, ret_error);                              \
                cJSON_Delete(j);                                                              \
                return r;                                                                     \
        }

DEFINE_PARSE(host, VectraHost)
DEFINE_PARSE(account, VectraAccount)
DEFINE_PARSE(detection, VectraDetection)
DEFINE_PARSE(group, VectraGroup)

#define ERROR_TEXT_MAX 200

static char *printable(const char *s, size_t len)
{
        size_t n = len > ERROR_TEXT_MAX ? ERROR_TEXT_MAX : len;
        char *out = xmalloc(n + 4);
        size_t o = 0;

        /* Cut at a character boundary, never inside a UTF-8 sequence. */
        if (n < len)
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];

                out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char) c;
        }
        /* Trailing blanks say nothing. */
        while (o > 0 && out[o - 1] == ' ')
                o--;
        if (n < len) {
                memcpy(out + o, "...", 3);
                o += 3;
        }
        out[o] = '\0';
        return out;
}

static const char *error_field(const cJSON *j)
{
        const cJSON *v;

        if (!cJSON_IsObject(j))
                return NULL;
        v = field(j, "detail");
        if (cJSON_IsString(v) && *v->valuestring)
                return v->valuestring;
        v = cJSON_GetArrayItem(field(j, "errors"), 0);
        v = cJSON_IsObject(v) ? field(v, "title") : NULL;
        if (cJSON_IsString(v) && *v->valuestring)
                return v->valuestring;
        v = field(j, "_meta");
        v = cJSON_IsObject(v) ? field(v, "message") : NULL;
        if (cJSON_IsString(v) && *v->valuestring)
                return v->valuestring;
        return NULL;
}

char *vectra_error_text(long status, const char *body, size_t len)
{
        cJSON *j = NULL;
        const char *msg = NULL;
        char *text, *out;

        if (!body)
                len = 0;
        /* Bodies beyond a megabyte are not worth parsing for a message. */
        if (len > 0 && len < (1 << 20) && vectra_json_parse(body, len, &j, NULL) == 0)
                msg = error_field(j);
        if (msg)
                text = printable(msg, strlen(msg));
        else
                text = printable(body ? body : "", len);
        cJSON_Delete(j);
        if (!*text) {
                free(text);
                return xasprintf("HTTP %ld", status);
        }
        out = xasprintf("HTTP %ld: %s", status, text);
        free(text);
        return out;
}

/* ---- arrays ------------------------------------------------------------- */

#define DEFINE_ARRAY_FREE(name, type, one)                      \
        type **vectra_##name##_free(type **v, size_t n)         \
        {                                                       \
                if (!v)                                         \
                        return NULL;                            \
                for (size_t i = 0; i < n; i++)                  \
                        one(v[i]);                              \
                free(v);                                        \
                return NULL;                                    \
        }

DEFINE_ARRAY_FREE(hosts, VectraHost, vectra_host_free)
DEFINE_ARRAY_FREE(accounts, VectraAccount, vectra_account_free)
DEFINE_ARRAY_FREE(detections, VectraDetection, vectra_detection_free)
DEFINE_ARRAY_FREE(groups, VectraGroup, vectra_group_free)
DEFINE_ARRAY_FREE(entities, VectraEntity, vectra_entity_free)
