/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "relays/ctim.h"

#define JSON_DEPTH_MAX CTIM_JSON_DEPTH_MAX

/* ---- cJSON constructors that abort on OOM ------------------------------------ */

static cJSON *j(cJSON *v)
{
        if (!v)
                abort();
        return v;
}

/* Every key given here is a string literal: cJSON keeps the pointer
 * instead of a copy (one allocation less per member on the relays' hot
 * path).  The builders below add members in key order where they can, so
 * that ctim_json_print() finds them sorted and need not sort. */
static void add(cJSON *o, const char *key, cJSON *v)
{
        if (!cJSON_AddItemToObjectCS(o, key, j(v)))
                abort();
}

static void add_str(cJSON *o, const char *key, const char *s)
{
        if (s)
                add(o, key, cJSON_CreateString(s));
}

static void add_opt(cJSON *o, const char *key, cJSON *v)
{
        if (v)
                add(o, key, v);
}

static void append(cJSON *a, cJSON *v)
{
        if (!cJSON_AddItemToArray(a, j(v)))
                abort();
}

/* ---- UUIDs --------------------------------------------------------------------- */

#define NS(last) { { 0x6b, 0xa7, 0xb8, (last), 0x9d, 0xad, 0x11, 0xd1, \
                     0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 } }
const CtimUuid CTIM_UUID_NAMESPACE_DNS = NS(0x10);
const CtimUuid CTIM_UUID_NAMESPACE_URL = NS(0x11);
const CtimUuid CTIM_UUID_NAMESPACE_OID = NS(0x12);
const CtimUuid CTIM_UUID_NAMESPACE_X500 = NS(0x14);
#undef NS

static void uuid_set_version(CtimUuid *u, unsigned version)
{
        u->bytes[6] = (uint8_t) ((u->bytes[6] & 0x0f) | (version << 4));
        u->bytes[8] = (uint8_t) ((u->bytes[8] & 0x3f) | 0x80);        /* RFC 4122 variant */
}

void ctim_uuid4_from_bytes(const uint8_t random[16], CtimUuid *ret)
{
        CtimUuid u;

        memcpy(u.bytes, random, 16);
        uuid_set_version(&u, 4);
        *ret = u;
}

int ctim_uuid5(const CtimUuid *ns, const void *name, size_t name_len, CtimUuid *ret)
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned md_len = 0;
        EVP_MD_CTX *ctx;
        CtimUuid u;
        int ok;

        ctx = EVP_MD_CTX_new();
        if (!ctx)
                abort();
        ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
             EVP_DigestUpdate(ctx, ns->bytes, sizeof(ns->bytes)) == 1 &&
             (name_len == 0 || EVP_DigestUpdate(ctx, name, name_len) == 1) &&
             EVP_DigestFinal_ex(ctx, md, &md_len) == 1 && md_len >= 16;
        EVP_MD_CTX_free(ctx);
        if (!ok)
                return -EIO;
        memcpy(u.bytes, md, 16);
        uuid_set_version(&u, 5);
        *ret = u;
        return 0;
}

void ctim_uuid_format(const CtimUuid *u, char ret[CTIM_UUID_STRING_SIZE])
{
        static const char hex[] = "0123456789abcdef";
        size_t k = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        ret[k++] = '-';
                ret[k++] = hex[u->bytes[i] >> 4];
                ret[k++] = hex[u->bytes[i] & 0x0f];
        }
        ret[k] = '\0';
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int ctim_uuid_parse(const char *s, CtimUuid *ret)
{
        CtimUuid u;
        size_t k = 0;

        if (!s || strlen(s) != 36)
                return -EINVAL;
        for (size_t i = 0; i < 16; i++) {
                int hi, lo;

                if (i == 4 || i == 6 || i == 8 || i == 10) {
                        if (s[k] != '-')
                                return -EINVAL;
                        k++;
                }
                hi = hexval(s[k]);
                lo = hexval(s[k + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                u.bytes[i] = (uint8_t) (hi << 4 | lo);
                k += 2;
        }
        *ret = u;
        return 0;
}

/* ---- randomness ----------------------------------------------------------------- */

/* Random ids are drawn 16 bytes at a time, one per sighting or
 * indicator: asking RAND_bytes() for each costs more than the id's JSON.
 * The pool is per thread and refilled whole from the same generator. */
#define RANDOM_POOL_SIZE 512

static void random_system_fill(void *userdata, void *buf, size_t n)
{
        static _Thread_local uint8_t pool[RANDOM_POOL_SIZE];
        static _Thread_local size_t left;

        (void) userdata;
        while (n > 0) {
                size_t k;

                if (left == 0) {
                        if (RAND_bytes(pool, sizeof(pool)) != 1)
                                abort();
                        left = sizeof(pool);
                }
                k = n < left ? n : left;
                memcpy(buf, pool + sizeof(pool) - left, k);
                /* bytes handed out are not kept */
                OPENSSL_cleanse(pool + sizeof(pool) - left, k);
                left -= k;
                buf = (uint8_t *) buf + k;
                n -= k;
        }
}

const CtimRandom ctim_random_system = { .fill = random_system_fill };

void ctim_uuid4(const CtimRandom *rnd, CtimUuid *ret)
{
        uint8_t b[16];

        if (!rnd)
                rnd = &ctim_random_system;
        rnd->fill(rnd->userdata, b, sizeof(b));
        ctim_uuid4_from_bytes(b, ret);
}

/* ---- ids ------------------------------------------------------------------------- */

static char *transient_id(const char *type, const CtimUuid *u)
{
        static const char prefix[] = "transient:";
        size_t lt = strlen(type), lp = sizeof(prefix) - 1;
        char *id = xmalloc(lp + lt + 1 + CTIM_UUID_STRING_SIZE);

        /* "transient:<type>-<uuid>", without printf on the relays' hot path */
        memcpy(id, prefix, lp);
        memcpy(id + lp, type, lt);
        id[lp + lt] = '-';
        ctim_uuid_format(u, id + lp + lt + 1);
        return id;
}

char *ctim_transient_id(const char *type, const CtimRandom *rnd)
{
        CtimUuid u;

        ctim_uuid4(rnd, &u);
        return transient_id(type, &u);
}

int ctim_transient_id5(const char *type, const CtimUuid *ns, const char *name, char **ret)
{
        CtimUuid u;
        int r;

        r = ctim_uuid5(ns, name, strlen(name), &u);
        if (r < 0)
                return r;
        *ret = transient_id(type, &u);
        return 0;
}

/* ---- time stamps ------------------------------------------------------------------ */

#define USEC_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era, doe;
        unsigned yoe, doy;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = (unsigned) (y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = (int64_t) yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, unsigned *ret_m, unsigned *ret_d)
{
        int64_t era, y;
        unsigned doe, yoe, doy, mp, d, m;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = (unsigned) (z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = (int64_t) yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        d = doy - (153 * mp + 2) / 5 + 1;
        m = mp < 10 ? mp + 3 : mp - 9;
        *ret_y = y + (m <= 2);
        *ret_m = m;
        *ret_d = d;
}

static bool is_leap(int64_t y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
        static const unsigned dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

int ctim_time_format(int64_t usec, CtimTimeForm form, char ret[CTIM_TIME_STRING_SIZE])
{
        int64_t secs, frac, days, sod, y;
        unsigned m, d;
        char buf[64];

        if (form < 0 || form >= _CTIM_TIME_FORM_MAX)
                return -EINVAL;
        if (usec < CTIM_TIME_MIN_USEC || usec > CTIM_TIME_MAX_USEC)
                return -ERANGE;
        secs = usec / USEC_PER_SEC;
        frac = usec % USEC_PER_SEC;
        if (frac < 0) {
                frac += USEC_PER_SEC;
                secs--;
        }
        days = secs / SEC_PER_DAY;
        sod = secs % SEC_PER_DAY;
        if (sod < 0) {
                sod += SEC_PER_DAY;
                days--;
        }
        civil_from_days(days, &y, &m, &d);
        switch (form) {
        case CTIM_TIME_MICROSECONDS:
                snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%06" PRId64 "Z", y, m, d,
                         (unsigned) (sod / 3600), (unsigned) (sod / 60 % 60), (unsigned) (sod % 60), frac);
                break;
        case CTIM_TIME_MILLISECONDS:
                snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03" PRId64 "Z", y, m, d,
                         (unsigned) (sod / 3600), (unsigned) (sod / 60 % 60), (unsigned) (sod % 60),
                         frac / 1000);
                break;
        default:
                snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ", y, m, d,
                         (unsigned) (sod / 3600), (unsigned) (sod / 60 % 60), (unsigned) (sod % 60));
                break;
        }
        memcpy(ret, buf, strlen(buf) + 1);
        return 0;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Exactly n digits. */
static bool digits_n(const char **p, unsigned n, unsigned *ret)
{
        unsigned v = 0;

        for (unsigned i = 0; i < n; i++) {
                if (!is_digit((*p)[i]))
                        return false;
                v = v * 10 + (unsigned) ((*p)[i] - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

/* One or two digits, as Python's strptime accepts for %m %d %H %M %S. */
static bool digits_12(const char **p, unsigned *ret)
{
        if (!is_digit((*p)[0]))
                return false;
        if (is_digit((*p)[1]))
                return digits_n(p, 2, ret);
        return digits_n(p, 1, ret);
}

int ctim_time_parse(const char *s, int64_t *ret_usec)
{
        unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
        int64_t frac = 0, t;
        const char *p = s;
        int sign = 0;

        if (!s)
                return -EINVAL;
        if (!digits_n(&p, 4, &y) || *p++ != '-' || !digits_12(&p, &mo) || *p++ != '-' || !digits_12(&p, &d))
                return -EINVAL;
        if (*p != 'T' && *p != 't' && *p != ' ')
                return -EINVAL;
        p++;
        if (!digits_12(&p, &h) || *p++ != ':' || !digits_12(&p, &mi) || *p++ != ':' || !digits_12(&p, &sec))
                return -EINVAL;
        if (*p == '.') {
                unsigned n = 0;

                p++;
                if (!is_digit(*p))
                        return -EINVAL;
                for (; is_digit(*p); p++, n++)
                        if (n < 6)
                                frac = frac * 10 + (*p - '0');
                for (; n < 6; n++)
                        frac *= 10;
        }
        if (*p == 'Z' || *p == 'z')
                p++;
        else if (*p == '+' || *p == '-') {
                sign = *p == '+' ? 1 : -1;
                p++;
                if (!digits_n(&p, 2, &oh) || *p++ != ':' || !digits_n(&p, 2, &om) || oh > 23 || om > 59)
                        return -EINVAL;
        } else
                return -EINVAL;
        if (*p != '\0')
                return -EINVAL;
        if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
                return -EINVAL;
        t = (days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + sec -
             sign * (int64_t) (oh * 3600 + om * 60)) * USEC_PER_SEC + frac;
        if (t < CTIM_TIME_MIN_USEC || t > CTIM_TIME_MAX_USEC)
                return -ERANGE;
        *ret_usec = t;
        return 0;
}

int ctim_time_normalize(const char *s, CtimTimeForm form, char ret[CTIM_TIME_STRING_SIZE])
{
        int64_t t;
        int r;

        r = ctim_time_parse(s, &t);
        if (r < 0)
                return r;
        return ctim_time_format(t, form, ret);
}

/* ---- CTR_ENTITIES_LIMIT ----------------------------------------------------------- */

/* Python's str.isspace() for the code point at *p (UTF-8); returns its
 * length in bytes, 0 when not a space. */
static size_t py_space(const char *p)
{
        const unsigned char *u = (const unsigned char *) p;

        if (*u == ' ' || (*u >= '\t' && *u <= '\r') || (*u >= 0x1c && *u <= 0x1f))
                return 1;
        if (u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
                return 2;
        if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)                       /* U+1680 */
                return 3;
        if (u[0] == 0xe2 && u[1] == 0x80 && ((u[2] >= 0x80 && u[2] <= 0x8a) ||  /* U+2000–200A */
                                             u[2] == 0xa8 || u[2] == 0xa9 ||      /* U+2028, 2029 */
                                             u[2] == 0xaf))                       /* U+202F */
                return 3;
        if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)                       /* U+205F */
                return 3;
        if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)                       /* U+3000 */
                return 3;
        return 0;
}

/* Python int(str) in base 10, ASCII digits only: 1 positive (clamped),
 * 0 zero or negative, -EINVAL not an integer. */
static int py_int_string(const char *s, int64_t *ret)
{
        const char *p = s, *end;
        bool neg = false, any = false, overflow = false;
        uint64_t v = 0;
        size_t n;

        while ((n = py_space(p)) > 0)
                p += n;
        end = p + strlen(p);
        for (;;) {
                const char *q = end;
                /* strip trailing spaces: walk back over the last code point */
                while (q > p && ((unsigned char) q[-1] & 0xc0) == 0x80)
                        q--;
                if (q > p)
                        q--;
                while (q > p && ((unsigned char) *q & 0xc0) == 0x80)
                        q--;
                if (q >= p && q < end && (n = py_space(q)) > 0 && q + n == end)
                        end = q;
                else
                        break;
        }
        if (p < end && (*p == '+' || *p == '-')) {
                neg = *p == '-';
                p++;
        }
        for (; p < end; p++) {
                if (*p == '_') {
                        if (!any || p + 1 >= end || !is_digit(p[1]))
                                return -EINVAL;
                        continue;
                }
                if (!is_digit(*p))
                        return -EINVAL;
                any = true;
                if (v > (UINT64_MAX - 9) / 10)
                        overflow = true;
                else
                        v = v * 10 + (uint64_t) (*p - '0');
        }
        if (!any)
                return -EINVAL;
        if (neg || (v == 0 && !overflow))
                return 0;
        *ret = overflow || v > INT64_MAX ? INT64_MAX : (int64_t) v;
        return 1;
}

int64_t ctim_entities_limit(const cJSON *claim)
{
        int64_t v;

        if (!claim)
                return CTIM_ENTITIES_LIMIT_DEFAULT;
        if (cJSON_IsTrue(claim))
                return 1;
        if (cJSON_IsNumber(claim)) {
                double d = trunc(claim->valuedouble);

                if (!isfinite(d) || d < 1)
                        return CTIM_ENTITIES_LIMIT_DEFAULT;
                if (d >= 9223372036854775807.0)
                        return INT64_MAX;
                return (int64_t) d;
        }
        if (cJSON_IsString(claim) && claim->valuestring && py_int_string(claim->valuestring, &v) == 1)
                return v;
        return CTIM_ENTITIES_LIMIT_DEFAULT;
}

/* ---- CTIM building blocks ------------------------------------------------------------ */

cJSON *ctim_observable_new(const char *type, const char *value)
{
        cJSON *o = j(cJSON_CreateObject());

        add(o, "type", cJSON_CreateString(type ? type : ""));
        add(o, "value", cJSON_CreateString(value ? value : ""));
        return o;
}

cJSON *ctim_observables_one(const char *type, const char *value)
{
        cJSON *a = j(cJSON_CreateArray());

        append(a, ctim_observable_new(type, value));
        return a;
}

cJSON *ctim_string_array(const char *const *v, size_t n)
{
        cJSON *a = j(cJSON_CreateArray());

        for (size_t i = 0; i < n; i++)
                append(a, cJSON_CreateString(v[i] ? v[i] : ""));
        return a;
}

cJSON *ctim_time_range_new(const char *start_time, const char *end_time)
{
        cJSON *o = j(cJSON_CreateObject());

        add_str(o, "end_time", end_time);
        add_str(o, "start_time", start_time);
        return o;
}

cJSON *ctim_target_new(const char *type, cJSON *observables, const char *start_time, const char *end_time)
{
        cJSON *o = j(cJSON_CreateObject());

        add(o, "observables", observables ? observables : cJSON_CreateArray());
        add(o, "observed_time", ctim_time_range_new(start_time, end_time));
        add_str(o, "type", type);
        return o;
}

cJSON *ctim_relation_new(const char *origin, const char *relation, cJSON *source, cJSON *related)
{
        cJSON *o = j(cJSON_CreateObject());

        add_str(o, "origin", origin);
        add_opt(o, "related", related);
        add_str(o, "relation", relation);
        add_opt(o, "source", source);
        return o;
}

cJSON *ctim_external_reference_new(const char *source_name, const char *description, const char *url,
                                   const char *external_id)
{
        cJSON *o = j(cJSON_CreateObject());

        add_str(o, "description", description);
        add_str(o, "external_id", external_id);
        add_str(o, "source_name", source_name);
        add_str(o, "url", url);
        return o;
}

cJSON *ctim_table_new(void)
{
        cJSON *o = j(cJSON_CreateObject());

        add(o, "columns", cJSON_CreateArray());
        add(o, "rows", cJSON_CreateArray());
        return o;
}

void ctim_table_add_column(cJSON *table, const char *name, const char *type)
{
        cJSON *c = j(cJSON_CreateObject());

        add(c, "name", cJSON_CreateString(name ? name : ""));
        add(c, "type", cJSON_CreateString(type ? type : "string"));
        append(cJSON_GetObjectItemCaseSensitive(table, "columns"), c);
}

void ctim_table_add_row(cJSON *table, cJSON *row)
{
        append(cJSON_GetObjectItemCaseSensitive(table, "rows"), row);
}

/* ---- entities --------------------------------------------------------------------------- */

static void add_bool(cJSON *o, const char *key, CtimBool b)
{
        if (b != CTIM_BOOL_UNSET)
                add(o, key, cJSON_CreateBool(b == CTIM_TRUE));
}

static cJSON *entity_new(const char *type, const char *id, const char *schema_version)
{
        cJSON *o = j(cJSON_CreateObject());

        add_str(o, "id", id);
        add_str(o, "type", type);
        add_str(o, "schema_version", schema_version);
        return o;
}

int ctim_sighting_new(const CtimSighting *s, cJSON **ret)
{
        cJSON *o;

        if (!s->id || !s->schema_version) {
                cJSON_Delete(s->observables);
                cJSON_Delete(s->targets);
                cJSON_Delete(s->relations);
                cJSON_Delete(s->external_ids);
                cJSON_Delete(s->external_references);
                cJSON_Delete(s->data);
                return -EINVAL;
        }
        /* in key order (see add()) */
        o = j(cJSON_CreateObject());
        add_str(o, "confidence", s->confidence);
        add(o, "count", cJSON_CreateNumber((double) s->count));
        add_opt(o, "data", s->data);
        add_str(o, "description", s->description);
        add_opt(o, "external_ids", s->external_ids);
        add_opt(o, "external_references", s->external_references);
        add_str(o, "id", s->id);
        add_bool(o, "internal", s->internal);
        add_opt(o, "observables", s->observables);
        add(o, "observed_time", ctim_time_range_new(s->observed_start, s->observed_end));
        add_opt(o, "relations", s->relations);
        add_str(o, "schema_version", s->schema_version);
        add_str(o, "sensor", s->sensor);
        add_str(o, "severity", s->severity);
        add_str(o, "short_description", s->short_description);
        add_str(o, "source", s->source);
        add_str(o, "source_uri", s->source_uri);
        add_opt(o, "targets", s->targets);
        add_str(o, "timestamp", s->timestamp);
        add_str(o, "title", s->title);
        add_str(o, "type", "sighting");
        *ret = o;
        return 0;
}

int ctim_indicator_new(const CtimIndicator *ind, cJSON **ret)
{
        cJSON *o;

        if (!ind->id || !ind->schema_version || !ind->producer) {
                cJSON_Delete(ind->external_ids);
                cJSON_Delete(ind->external_references);
                cJSON_Delete(ind->tags);
                return -EINVAL;
        }
        o = entity_new("indicator", ind->id, ind->schema_version);
        add_str(o, "producer", ind->producer);
        add(o, "valid_time", ctim_time_range_new(ind->valid_start, ind->valid_end));
        add_str(o, "title", ind->title);
        add_str(o, "short_description", ind->short_description);
        add_str(o, "description", ind->description);
        add_str(o, "confidence", ind->confidence);
        add_str(o, "severity", ind->severity);
        add_str(o, "source", ind->source);
        add_str(o, "source_uri", ind->source_uri);
        add_str(o, "tlp", ind->tlp);
        add_opt(o, "external_ids", ind->external_ids);
        add_opt(o, "external_references", ind->external_references);
        add_opt(o, "tags", ind->tags);
        *ret = o;
        return 0;
}

int ctim_relationship_new(const CtimRelationship *rel, cJSON **ret)
{
        cJSON *o;

        if (!rel->id || !rel->schema_version || !rel->relationship_type || !rel->source_ref ||
            !rel->target_ref) {
                cJSON_Delete(rel->external_ids);
                cJSON_Delete(rel->external_references);
                return -EINVAL;
        }
        o = entity_new("relationship", rel->id, rel->schema_version);
        add_str(o, "relationship_type", rel->relationship_type);
        add_str(o, "source_ref", rel->source_ref);
        add_str(o, "target_ref", rel->target_ref);
        add_str(o, "source", rel->source);
        add_str(o, "source_uri", rel->source_uri);
        add_str(o, "short_description", rel->short_description);
        add_str(o, "description", rel->description);
        add_opt(o, "external_ids", rel->external_ids);
        add_opt(o, "external_references", rel->external_references);
        *ret = o;
        return 0;
}

/* ---- TR envelopes ------------------------------------------------------------------------- */

cJSON *ctim_error_new(const char *type, const char *code, const char *message)
{
        cJSON *o = j(cJSON_CreateObject());

        add(o, "type", cJSON_CreateString(type && *type ? type : CTIM_ERROR_FATAL));
        add(o, "code", cJSON_CreateString(code && *code ? code : CTIM_CODE_UNKNOWN));
        add(o, "message", cJSON_CreateString(message && *message ? message : "Something went wrong."));
        return o;
}

cJSON *ctim_docs_new(cJSON *docs)
{
        cJSON *o = j(cJSON_CreateObject());

        if (!docs)
                docs = j(cJSON_CreateArray());
        add(o, "count", cJSON_CreateNumber(cJSON_GetArraySize(docs)));
        add(o, "docs", docs);
        return o;
}

cJSON *ctim_observe_data_new(cJSON *sightings, cJSON *indicators)
{
        cJSON *o = j(cJSON_CreateObject());

        if (sightings && cJSON_GetArraySize(sightings) > 0)
                add(o, "sightings", ctim_docs_new(sightings));
        else
                cJSON_Delete(sightings);
        if (indicators && cJSON_GetArraySize(indicators) > 0)
                add(o, "indicators", ctim_docs_new(indicators));
        else
                cJSON_Delete(indicators);
        return o;
}

cJSON *ctim_response_new(cJSON *data, cJSON *errors)
{
        cJSON *o = j(cJSON_CreateObject());

        add_opt(o, "data", data);
        if (errors && cJSON_GetArraySize(errors) > 0)
                add(o, "errors", errors);
        else
                cJSON_Delete(errors);
        return o;
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */

bool ctim_json_truthy(const cJSON *v)
{
        if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
                return false;
        if (cJSON_IsTrue(v))
                return true;
        if (cJSON_IsNumber(v))
                return v->valuedouble != 0;
        if (cJSON_IsString(v))
                return v->valuestring && v->valuestring[0];
        if (cJSON_IsArray(v) || cJSON_IsObject(v))
                return v->child != NULL;
        return false;
}

cJSON *ctim_json_get(const cJSON *o, const char *key)
{
        cJSON *found = NULL;

        if (!cJSON_IsObject(o))
                return NULL;
        /* every member, the last duplicate wins; the first byte first:
         * hunting rows have twenty columns and are read a dozen times */
        for (cJSON *c = o->child; c; c = c->next)
                if (c->string && c->string[0] == key[0] && strcmp(c->string, key) == 0)
                        found = c;
        return found;
}

typedef struct Member {
        cJSON *item;
        size_t index;
} Member;

static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* Keys compare by code point, as Python sorts str, with each invalid UTF-8
 * byte taken as the U+FFFD it is printed as: keys that print the same
 * compare equal (so the printer keeps one of them). */
static int key_cmp(const char *a, const char *b)
{
        const unsigned char *x = (const unsigned char *) (a ? a : "");
        const unsigned char *y = (const unsigned char *) (b ? b : "");
        size_t lx, ly;

        /* ASCII prefix: bytes are code points (the usual case, all keys) */
        while (*x && *x == *y && *x < 0x80) {
                x++;
                y++;
        }
        if (*x < 0x80 && *y < 0x80)
                return *x < *y ? -1 : *x > *y;
        lx = strlen((const char *) x);
        ly = strlen((const char *) y);
        while (lx > 0 && ly > 0) {
                uint32_t cx, cy;
                size_t nx = utf8_decode(x, lx, &cx), ny = utf8_decode(y, ly, &cy);

                if (cx != cy)
                        return cx < cy ? -1 : 1;
                x += nx;
                lx -= nx;
                y += ny;
                ly -= ny;
        }
        return lx > 0 ? 1 : ly > 0 ? -1 : 0;
}

static int member_cmp(const void *a, const void *b)
{
        const Member *x = a, *y = b;
        int r = key_cmp(x->item->string, y->item->string);

        if (r != 0)
                return r;
        return x->index < y->index ? -1 : x->index > y->index;
}

/* The members of o sorted by key, then by position (a stable sort).
 * Objects built by the mappers mostly come sorted already, so a linear
 * check spares qsort.  small (n_small entries) is used when it is big
 * enough, sparing the allocation; free *ret only when it is not small. */
static size_t members_sorted_in(const cJSON *o, Member *small, size_t n_small, Member **ret)
{
        Member *m;
        size_t n = 0, i = 0;
        bool sorted = true;

        for (cJSON *c = o->child; c; c = c->next) {
                if (sorted && c != o->child && key_cmp(c->prev->string, c->string) > 0)
                        sorted = false;
                n++;
        }
        m = n <= n_small ? small : xnew(Member, n);
        for (cJSON *c = o->child; c; c = c->next, i++)
                m[i] = (Member) { .item = c, .index = i };
        if (!sorted)
                qsort(m, n, sizeof(Member), member_cmp);
        *ret = m;
        return n;
}

static size_t members_sorted(const cJSON *o, Member **ret)
{
        return members_sorted_in(o, NULL, 0, ret);
}

static bool same_key(const Member *a, const Member *b)
{
        return key_cmp(a->item->string, b->item->string) == 0;
}

size_t ctim_json_members(const cJSON *o, cJSON ***ret)
{
        cJSON **by_pos, **out;
        Member *m;
        size_t n, k = 0, total = 0;

        if (!cJSON_IsObject(o)) {
                *ret = xnew(cJSON *, 1);
                return 0;
        }
        n = members_sorted(o, &m);
        for (cJSON *c = o->child; c; c = c->next)
                total++;
        /* by_pos[first position of a key] = its last occurrence */
        by_pos = xnew(cJSON *, total ? total : 1);
        for (size_t i = 0; i < n;) {
                size_t e = i;

                while (e + 1 < n && same_key(&m[i], &m[e + 1]))
                        e++;
                by_pos[m[i].index] = m[e].item;
                i = e + 1;
        }
        out = xnew(cJSON *, total ? total : 1);
        for (size_t i = 0; i < total; i++)
                if (by_pos[i])
                        out[k++] = by_pos[i];
        free(by_pos);
        free(m);
        *ret = out;
        return k;
}

/* Python's repr() of a float (the shortest text that reads back the same),
 * or the integer for an integral value below 1e16. */
static int print_number(StrBuf *b, double d)
{
        char tmp[40], digits[24], *e, *p;
        int exp10, decpt, nd = 0;

        if (!isfinite(d)) {
                /* cJSON reads 1e999 as infinity; Python would print the
                 * invalid "Infinity": null keeps the output JSON */
                strbuf_puts(b, "null");
                return 0;
        }
        if (d == floor(d) && fabs(d) < 1e16) {
                strbuf_printf(b, "%.0f", d == 0 ? 0.0 : d);
                return 0;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
                if (strtod(tmp, NULL) == d)
                        break;
        }
        /* tmp = [-]d[.ddd]e[+-]XX */
        p = tmp;
        if (*p == '-') {
                strbuf_putc(b, '-');
                p++;
        }
        e = strchr(p, 'e');
        if (!e)
                return -EINVAL;
        exp10 = atoi(e + 1);
        for (; p < e; p++)
                if (*p != '.' && nd < (int) sizeof(digits) - 1)
                        digits[nd++] = *p;
        while (nd > 1 && digits[nd - 1] == '0')
                nd--;
        digits[nd] = '\0';
        decpt = exp10 + 1;
        if (decpt > -4 && decpt <= 16) {
                if (decpt <= 0) {
                        strbuf_puts(b, "0.");
                        for (int i = 0; i < -decpt; i++)
                                strbuf_putc(b, '0');
                        strbuf_puts(b, digits);
                } else if (decpt >= nd) {
                        strbuf_puts(b, digits);
                        for (int i = nd; i < decpt; i++)
                                strbuf_putc(b, '0');
                        strbuf_puts(b, ".0");
                } else {
                        strbuf_putn(b, digits, (size_t) decpt);
                        strbuf_putc(b, '.');
                        strbuf_puts(b, digits + decpt);
                }
        } else {
                strbuf_putc(b, digits[0]);
                if (nd > 1) {
                        strbuf_putc(b, '.');
                        strbuf_puts(b, digits + 1);
                }
                strbuf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
        }
        return 0;
}

/* Decodes one UTF-8 code point at s (len bytes left); returns its length,
 * with *cp = U+FFFD and length 1 for an invalid byte. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
        uint32_t c;
        size_t n;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2;
                c = s[0] & 0x1f;
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3;
                c = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4;
                c = s[0] & 0x07;
        } else
                goto invalid;
        if (len < n)
                goto invalid;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        goto invalid;
                c = c << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff))
                goto invalid;
        *cp = c;
        return n;
invalid:
        *cp = 0xfffd;
        return 1;
}

static void put_utf8(StrBuf *b, uint32_t c)
{
        char u[4];

        if (c < 0x80) {
                strbuf_putc(b, (char) c);
        } else if (c < 0x800) {
                u[0] = (char) (0xc0 | c >> 6);
                u[1] = (char) (0x80 | (c & 0x3f));
                strbuf_putn(b, u, 2);
        } else if (c < 0x10000) {
                u[0] = (char) (0xe0 | c >> 12);
                u[1] = (char) (0x80 | (c >> 6 & 0x3f));
                u[2] = (char) (0x80 | (c & 0x3f));
                strbuf_putn(b, u, 3);
        } else {
                u[0] = (char) (0xf0 | c >> 18);
                u[1] = (char) (0x80 | (c >> 12 & 0x3f));
                u[2] = (char) (0x80 | (c >> 6 & 0x3f));
                u[3] = (char) (0x80 | (c & 0x3f));
                strbuf_putn(b, u, 4);
        }
}

/* Bytes that a JSON string holds as they are: printable ASCII but the
 * quote and the backslash. */
static const bool json_plain[256] = {
        [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7e] = true,  /* all but the quote and the backslash */
};

/* The end of the run of plain bytes from i: eight at a time while none of
 * them is below 0x20, above 0x7e, a quote or a backslash (the classic
 * "has a byte less than / more than / equal to" word tests, exact for
 * whether any byte matches), then byte by byte. */
static size_t plain_run(const unsigned char *u, size_t i, size_t len)
{
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

        while (i + 8 <= len) {
                uint64_t w, q, bs;

                memcpy(&w, u + i, 8);
                q = w ^ (ones * '"');
                bs = w ^ (ones * '\\');
                if ((((w - ones * 0x20) & ~w) |         /* a byte < 0x20 */
                     ((w + ones) | w) |                 /* a byte > 0x7e */
                     ((q - ones) & ~q) |                /* a quote */
                     ((bs - ones) & ~bs)) & highs)      /* a backslash */
                        break;
                i += 8;
        }
        while (i < len && json_plain[u[i]])
                i++;
        return i;
}

/* A JSON string as Python's json.dumps writes it. */
static void print_string(StrBuf *b, const char *s, bool utf8)
{
        const unsigned char *u = (const unsigned char *) (s ? s : "");
        size_t len = strlen((const char *) u);

        strbuf_reserve(b, len + 2);
        b->p[b->len++] = '"';
        for (size_t i = 0; i < len;) {
                uint32_t c;
                size_t n, run;

                /* plain bytes need no escape: copy them in one go */
                run = plain_run(u, i, len);
                if (run > i) {
                        strbuf_putn(b, (const char *) u + i, run - i);
                        i = run;
                        continue;
                }
                n = utf8_decode(u + i, len - i, &c);
                i += n;
                switch (c) {
                case '"':  strbuf_puts(b, "\\\""); continue;
                case '\\': strbuf_puts(b, "\\\\"); continue;
                case '\n': strbuf_puts(b, "\\n"); continue;
                case '\r': strbuf_puts(b, "\\r"); continue;
                case '\t': strbuf_puts(b, "\\t"); continue;
                case '\b': strbuf_puts(b, "\\b"); continue;
                case '\f': strbuf_puts(b, "\\f"); continue;
                default: break;
                }
                if (c < 0x20 || (!utf8 && c >= 0x7f)) {
                        if (c >= 0x10000) {
                                uint32_t v = c - 0x10000;
                                strbuf_printf(b, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
                        } else
                                strbuf_printf(b, "\\u%04x", c);
                } else
                        put_utf8(b, c);
        }
        strbuf_putc(b, '"');
}

static int print_value(StrBuf *b, const cJSON *v, bool utf8, unsigned depth)
{
        int r;

        if (depth > JSON_DEPTH_MAX)
                return -ELOOP;
        /* the type tests inline (cJSON_IsNull() and co. are calls into the
         * library, seven per value on the relays' hot path) */
        switch (v->type & 0xff) {
        case cJSON_NULL:
                strbuf_puts(b, "null");
                return 0;
        case cJSON_True:
                strbuf_puts(b, "true");
                return 0;
        case cJSON_False:
                strbuf_puts(b, "false");
                return 0;
        case cJSON_Number:
                return print_number(b, v->valuedouble);
        case cJSON_String:
                print_string(b, v->valuestring, utf8);
                return 0;
        default:
                break;
        }
        if (cJSON_IsArray(v)) {
                strbuf_putc(b, '[');
                for (const cJSON *c = v->child; c; c = c->next) {
                        if (c != v->child)
                                strbuf_putc(b, ',');
                        r = print_value(b, c, utf8, depth + 1);
                        if (r < 0)
                                return r;
                }
                strbuf_putc(b, ']');
        } else if (cJSON_IsObject(v)) {
                Member small[32], *m;
                size_t n = members_sorted_in(v, small, 32, &m);
                bool first = true;

                strbuf_putc(b, '{');
                for (size_t i = 0; i < n; i++) {
                        /* of duplicate keys, the last one */
                        if (i + 1 < n && same_key(&m[i], &m[i + 1]))
                                continue;
                        if (!first)
                                strbuf_putc(b, ',');
                        first = false;
                        print_string(b, m[i].item->string, utf8);
                        strbuf_putc(b, ':');
                        r = print_value(b, m[i].item, utf8, depth + 1);
                        if (r < 0) {
                                if (m != small)
                                        free(m);
                                return r;
                        }
                }
                if (m != small)
                        free(m);
                strbuf_putc(b, '}');
        } else
                return -EINVAL;
        return 0;
}

int ctim_json_print(const cJSON *v, CtimJsonFlags flags, char **ret, size_t *ret_len)
{
        StrBuf b = {};
        int r;

        if (!v)
                return -EINVAL;
        strbuf_reserve(&b, 4096);          /* most answers fit: no regrowth */
        r = print_value(&b, v, flags & CTIM_JSON_UTF8, 0);
        if (r < 0) {
                strbuf_done(&b);
                return r;
        }
        if (flags & CTIM_JSON_NEWLINE)
                strbuf_putc(&b, '\n');
        *ret = strbuf_steal(&b, ret_len);
        return 0;
}

static void sort_value(cJSON *v, unsigned depth)
{
        if (depth > JSON_DEPTH_MAX || !(cJSON_IsArray(v) || cJSON_IsObject(v)))
                return;
        if (cJSON_IsObject(v) && v->child) {
                Member *m;
                size_t n = members_sorted(v, &m);

                /* relink in sorted order; cJSON keeps prev of the head
                 * pointing at the tail */
                for (size_t i = 0; i < n; i++) {
                        m[i].item->prev = i > 0 ? m[i - 1].item : m[n - 1].item;
                        m[i].item->next = i + 1 < n ? m[i + 1].item : NULL;
                }
                v->child = m[0].item;
                free(m);
        }
        for (cJSON *c = v->child; c; c = c->next)
                sort_value(c, depth + 1);
}

void ctim_json_sort(cJSON *v)
{
        if (v)
                sort_value(v, 0);
}

/* ---- Python str() / repr() --------------------------------------------------------------------- */

/* Characters Python's repr() escapes although they are not ASCII: C1
 * controls, and (an approximation of str.isprintable() without the Unicode
 * tables) the separators and format characters most likely met. */
static bool py_unprintable(uint32_t c)
{
        return (c >= 0x80 && c <= 0xa0) || c == 0xad || c == 0x61c || c == 0x1680 || c == 0x180e ||
               (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
               (c >= 0x205f && c <= 0x2064) ||
               (c >= 0x2066 && c <= 0x206f) || c == 0x3000 || (c >= 0xd800 && c <= 0xdfff) ||
               (c >= 0xe000 && c <= 0xf8ff) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) ||
               c == 0xfffe || c == 0xffff || c >= 0xf0000;
}

static void pyrepr_string(StrBuf *b, const char *s)
{
        const unsigned char *u = (const unsigned char *) (s ? s : "");
        size_t len = strlen((const char *) u);
        char q = '\'';

        if (strchr((const char *) u, '\'') && !strchr((const char *) u, '"'))
                q = '"';
        strbuf_putc(b, q);
        for (size_t i = 0; i < len;) {
                uint32_t c;

                i += utf8_decode(u + i, len - i, &c);
                if (c == (uint32_t) q || c == '\\') {
                        strbuf_putc(b, '\\');
                        strbuf_putc(b, (char) c);
                } else if (c == '\t')
                        strbuf_puts(b, "\\t");
                else if (c == '\n')
                        strbuf_puts(b, "\\n");
                else if (c == '\r')
                        strbuf_puts(b, "\\r");
                else if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xff && py_unprintable(c)))
                        strbuf_printf(b, "\\x%02x", c);
                else if (c > 0xff && c <= 0xffff && py_unprintable(c))
                        strbuf_printf(b, "\\u%04x", c);
                else if (c > 0xffff && py_unprintable(c))
                        strbuf_printf(b, "\\U%08x", c);
                else
                        put_utf8(b, c);
        }
        strbuf_putc(b, q);
}

static int pyrepr_value(StrBuf *b, const cJSON *v, unsigned depth)
{
        int r;

        if (depth > JSON_DEPTH_MAX)
                return -ELOOP;
        if (cJSON_IsNull(v))
                strbuf_puts(b, "None");
        else if (cJSON_IsTrue(v))
                strbuf_puts(b, "True");
        else if (cJSON_IsFalse(v))
                strbuf_puts(b, "False");
        else if (cJSON_IsNumber(v)) {
                if (!isfinite(v->valuedouble))
                        strbuf_puts(b, v->valuedouble > 0 ? "inf" : v->valuedouble < 0 ? "-inf" : "nan");
                else
                        return print_number(b, v->valuedouble);
        } else if (cJSON_IsString(v))
                pyrepr_string(b, v->valuestring);
        else if (cJSON_IsArray(v)) {
                strbuf_putc(b, '[');
                for (const cJSON *c = v->child; c; c = c->next) {
                        if (c != v->child)
                                strbuf_puts(b, ", ");
                        r = pyrepr_value(b, c, depth + 1);
                        if (r < 0)
                                return r;
                }
                strbuf_putc(b, ']');
        } else if (cJSON_IsObject(v)) {
                cJSON **m;
                size_t n = ctim_json_members(v, &m);

                strbuf_putc(b, '{');
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                strbuf_puts(b, ", ");
                        pyrepr_string(b, m[i]->string);
                        strbuf_puts(b, ": ");
                        r = pyrepr_value(b, m[i], depth + 1);
                        if (r < 0) {
                                free(m);
                                return r;
                        }
                }
                free(m);
                strbuf_putc(b, '}');
        } else
                strbuf_puts(b, "None");
        return 0;
}

char *ctim_json_pystr(const cJSON *v)
{
        StrBuf b = {};

        if (cJSON_IsString(v))
                return xstrdup(v->valuestring ? v->valuestring : "");
        if (!v) {
                strbuf_puts(&b, "None");
                return strbuf_steal(&b, NULL);
        }
        if (pyrepr_value(&b, v, 0) < 0) {
                strbuf_done(&b);
                return NULL;
        }
        return strbuf_steal(&b, NULL);
}
