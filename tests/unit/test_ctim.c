/* SPDX-License-Identifier: MIT */
/* CTIM builders and relay JSON helpers (src/relays/ctim.c): UUIDs, ids,
 * time stamps, CTR_ENTITIES_LIMIT (relays.md §5), entities, envelopes
 * (§2.1–§2.3), the jsonify-compatible printer (§2.5) and Python's str(). */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "tests/unit/unit.h"

void ctim_suite_add(void);

/* Parses text with ' standing for " (test inputs stay readable). */
static cJSON *pj(const char *text)
{
        char *s = xstrdup(text);
        cJSON *v;

        for (char *p = s; *p; p++)
                if (*p == '\'')
                        *p = '"';
        v = cJSON_Parse(s);
        if (!v)
                fprintf(stderr, "# bad test JSON: %s\n", s);
        free(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        return v;
}

/* ctim_json_print() of v, owned. */
static char *dump(const cJSON *v)
{
        char *s = NULL;

        CU_ASSERT_EQUAL_FATAL(ctim_json_print(v, 0, &s, NULL), 0);
        return s;
}

#define ASSERT_JSON(v, want)                                                    \
        do {                                                                    \
                char *s_ = dump(v);                                             \
                if (strcmp(s_, (want)) != 0)                                    \
                        printf("# json: got  %s\n#       want %s\n", s_, (want)); \
                CU_ASSERT_STRING_EQUAL(s_, (want));                             \
                free(s_);                                                       \
        } while (0)

/* A RNG that counts: byte i of call k is k * 16 + i. */
typedef struct Counter {
        unsigned calls;
} Counter;

static void counter_fill(void *userdata, void *buf, size_t n)
{
        Counter *c = userdata;
        uint8_t *b = buf;

        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t) (c->calls * 16 + i);
        c->calls++;
}

/* ---- UUIDs and ids ------------------------------------------------------------- */

static void check_uuid5(const CtimUuid *ns, const char *name, const char *want)
{
        char s[CTIM_UUID_STRING_SIZE];
        CtimUuid u;

        CU_ASSERT_EQUAL_FATAL(ctim_uuid5(ns, name, strlen(name), &u), 0);
        ctim_uuid_format(&u, s);
        if (strcmp(s, want) != 0)
                printf("# uuid5(%s): got %s, want %s\n", name, s, want);
        CU_ASSERT_STRING_EQUAL(s, want);
}

static void test_uuid5(void)
{
        char *id = NULL;

        /* relays.md §8.6 test vectors, and Python's uuid5(NAMESPACE_DNS, 'python.org') */
        check_uuid5(&CTIM_UUID_NAMESPACE_X500, "17551", "5dc84da0-3f5f-5d29-a58f-4c735c6fe393");
        check_uuid5(&CTIM_UUID_NAMESPACE_X500, "17494", "16df0084-14f8-5b10-98db-79797ad8cc1d");
        check_uuid5(&CTIM_UUID_NAMESPACE_X500, "16579", "fc31c7f0-a5f9-5f33-82ba-a84875505d76");
        check_uuid5(&CTIM_UUID_NAMESPACE_DNS, "python.org", "886313e1-3b8a-5372-9b90-0c9aee199e5d");
        /* the empty name is a valid name */
        check_uuid5(&CTIM_UUID_NAMESPACE_X500, "", "b4bdf874-8c03-5bd8-8fd7-5e409dfd82c0");

        CU_ASSERT_EQUAL(ctim_transient_id5("indicator", &CTIM_UUID_NAMESPACE_X500, "17551", &id), 0);
        CU_ASSERT_STRING_EQUAL(id, "transient:indicator-5dc84da0-3f5f-5d29-a58f-4c735c6fe393");
        free(id);
}

static void test_uuid4(void)
{
        static const uint8_t zero[16], ones[16] = {
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        };
        char s[CTIM_UUID_STRING_SIZE], t[CTIM_UUID_STRING_SIZE];
        Counter counter = {};
        CtimRandom rnd = { .fill = counter_fill, .userdata = &counter };
        CtimUuid u, v;
        char *id;

        ctim_uuid4_from_bytes(zero, &u);
        ctim_uuid_format(&u, s);
        CU_ASSERT_STRING_EQUAL(s, "00000000-0000-4000-8000-000000000000");
        ctim_uuid4_from_bytes(ones, &u);
        ctim_uuid_format(&u, s);
        CU_ASSERT_STRING_EQUAL(s, "ffffffff-ffff-4fff-bfff-ffffffffffff");

        /* injected randomness: deterministic ids */
        id = ctim_transient_id("sighting", &rnd);
        CU_ASSERT_STRING_EQUAL(id, "transient:sighting-00010203-0405-4607-8809-0a0b0c0d0e0f");
        free(id);
        id = ctim_transient_id("relationship", &rnd);
        CU_ASSERT_STRING_EQUAL(id, "transient:relationship-10111213-1415-4617-9819-1a1b1c1d1e1f");
        free(id);
        CU_ASSERT_EQUAL(counter.calls, 2u);

        /* the system CSPRNG: version 4, variant 10xx, two draws differ */
        ctim_uuid4(NULL, &u);
        ctim_uuid4(&ctim_random_system, &v);
        ctim_uuid_format(&u, s);
        ctim_uuid_format(&v, t);
        CU_ASSERT_EQUAL(s[14], '4');
        CU_ASSERT_PTR_NOT_NULL(strchr("89ab", s[19]));
        CU_ASSERT_STRING_NOT_EQUAL(s, t);
        id = ctim_transient_id("sighting", NULL);
        CU_ASSERT_EQUAL(strlen(id), strlen("transient:sighting-") + 36);
        CU_ASSERT_EQUAL(strncmp(id, "transient:sighting-", 19), 0);
        CU_ASSERT_EQUAL(ctim_uuid_parse(id + 19, &u), 0);
        free(id);
}

static void test_uuid_parse(void)
{
        char s[CTIM_UUID_STRING_SIZE];
        CtimUuid u;

        CU_ASSERT_EQUAL(ctim_uuid_parse("6BA7B814-9DAD-11D1-80B4-00C04FD430C8", &u), 0);
        CU_ASSERT_EQUAL(memcmp(&u, &CTIM_UUID_NAMESPACE_X500, sizeof(u)), 0);
        ctim_uuid_format(&u, s);
        CU_ASSERT_STRING_EQUAL(s, "6ba7b814-9dad-11d1-80b4-00c04fd430c8");
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8", &u), 0);
        CU_ASSERT_EQUAL(memcmp(&u, &CTIM_UUID_NAMESPACE_DNS, sizeof(u)), 0);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b811-9dad-11d1-80b4-00c04fd430c8", &u), 0);
        CU_ASSERT_EQUAL(memcmp(&u, &CTIM_UUID_NAMESPACE_URL, sizeof(u)), 0);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b812-9dad-11d1-80b4-00c04fd430c8", &u), 0);
        CU_ASSERT_EQUAL(memcmp(&u, &CTIM_UUID_NAMESPACE_OID, sizeof(u)), 0);

        CU_ASSERT_EQUAL(ctim_uuid_parse(NULL, &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("", &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b8149dad11d180b400c04fd430c8", &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b814-9dad-11d1-80b4-00c04fd430c", &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b814-9dad-11d1-80b4-00c04fd430c8-", &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b814+9dad-11d1-80b4-00c04fd430c8", &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("6ba7b814-9dad-11d1-80b4-00c04fd430cg", &u), -EINVAL);
        CU_ASSERT_EQUAL(ctim_uuid_parse("{ba7b814-9dad-11d1-80b4-00c04fd430c8}", &u), -EINVAL);
}

/* ---- time stamps --------------------------------------------------------------- */

static void check_norm(const char *in, CtimTimeForm form, int want_r, const char *want)
{
        char out[CTIM_TIME_STRING_SIZE] = "";
        int r = ctim_time_normalize(in, form, out);

        if (r != want_r || (r == 0 && strcmp(out, want) != 0))
                printf("# time '%s': got %d '%s', want %d '%s'\n", in, r, out, want_r, want ? want : "");
        CU_ASSERT_EQUAL(r, want_r);
        if (r == 0 && want)
                CU_ASSERT_STRING_EQUAL(out, want);
}

#define US CTIM_TIME_MICROSECONDS

static void test_time_parse(void)
{
        int64_t t;

        /* SpyCloud's form → the relay's */
        check_norm("2020-04-16T00:00:00Z", US, 0, "2020-04-16T00:00:00.000000Z");
        check_norm("2020-04-02T00:00:00Z", US, 0, "2020-04-02T00:00:00.000000Z");
        /* RFC 3339 variants */
        check_norm("2020-04-16t12:34:56z", US, 0, "2020-04-16T12:34:56.000000Z");
        check_norm("2020-04-16 12:34:56Z", US, 0, "2020-04-16T12:34:56.000000Z");
        check_norm("2020-04-16T12:34:56.5Z", US, 0, "2020-04-16T12:34:56.500000Z");
        check_norm("2020-04-16T12:34:56.123456Z", US, 0, "2020-04-16T12:34:56.123456Z");
        check_norm("2019-11-18T19:50:39.3772751Z", US, 0, "2019-11-18T19:50:39.377275Z");
        check_norm("2020-04-16T12:34:56+00:00", US, 0, "2020-04-16T12:34:56.000000Z");
        check_norm("2020-04-16T12:34:56-00:00", US, 0, "2020-04-16T12:34:56.000000Z");
        check_norm("2020-03-01T01:00:00+02:00", US, 0, "2020-02-29T23:00:00.000000Z");
        check_norm("2020-12-31T23:30:00-01:00", US, 0, "2021-01-01T00:30:00.000000Z");
        check_norm("2020-04-16T00:00:00.999999+05:30", US, 0, "2020-04-15T18:30:00.999999Z");
        /* what Python's strptime also takes: one-digit fields */
        check_norm("2020-4-6T1:2:3Z", US, 0, "2020-04-06T01:02:03.000000Z");
        /* calendar */
        check_norm("2000-02-29T00:00:00Z", US, 0, "2000-02-29T00:00:00.000000Z");
        check_norm("2024-02-29T00:00:00Z", US, 0, "2024-02-29T00:00:00.000000Z");
        check_norm("1900-02-29T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2019-02-29T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-04-31T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-13-01T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-00-01T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-01-00T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-01-01T24:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-01-01T23:60:00Z", US, -EINVAL, NULL);
        check_norm("2016-12-31T23:59:60Z", US, -EINVAL, NULL);      /* leap second, as Python */
        /* range: years 0001-9999, after the offset */
        check_norm("0001-01-01T00:00:00Z", US, 0, "0001-01-01T00:00:00.000000Z");
        check_norm("9999-12-31T23:59:59.9999999Z", US, 0, "9999-12-31T23:59:59.999999Z");
        check_norm("0000-12-31T23:59:59Z", US, -EINVAL, NULL);
        check_norm("0001-01-01T00:30:00+01:00", US, -ERANGE, NULL);
        check_norm("9999-12-31T23:30:00-01:00", US, -ERANGE, NULL);
        /* not date-times */
        check_norm(NULL, US, -EINVAL, NULL);
        check_norm("", US, -EINVAL, NULL);
        check_norm("2020-04-16", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00Z", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00.Z", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00ZZ", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00Z ", US, -EINVAL, NULL);
        check_norm(" 2020-04-16T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00+0200", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00+24:00", US, -EINVAL, NULL);
        check_norm("2020-04-16T00:00:00+01:60", US, -EINVAL, NULL);
        check_norm("20-04-16T00:00:00Z", US, -EINVAL, NULL);
        check_norm("20200-04-16T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020-004-16T00:00:00Z", US, -EINVAL, NULL);
        check_norm("2020/04/16T00:00:00Z", US, -EINVAL, NULL);
        check_norm("1587000000", US, -EINVAL, NULL);

        CU_ASSERT_EQUAL(ctim_time_parse("1970-01-01T00:00:00Z", &t), 0);
        CU_ASSERT_EQUAL(t, 0);
        CU_ASSERT_EQUAL(ctim_time_parse("1969-12-31T23:59:59.5Z", &t), 0);
        CU_ASSERT_EQUAL(t, -500000);
        CU_ASSERT_EQUAL(ctim_time_parse("0001-01-01T00:00:00Z", &t), 0);
        CU_ASSERT_EQUAL(t, CTIM_TIME_MIN_USEC);
        CU_ASSERT_EQUAL(ctim_time_parse("9999-12-31T23:59:59.999999Z", &t), 0);
        CU_ASSERT_EQUAL(t, CTIM_TIME_MAX_USEC);
        CU_ASSERT_EQUAL(ctim_time_parse("2020-04-16T00:00:00Z", &t), 0);
        CU_ASSERT_EQUAL(t, INT64_C(1586995200000000));
}

static void test_time_format(void)
{
        char s[CTIM_TIME_STRING_SIZE];

        CU_ASSERT_EQUAL(ctim_time_format(INT64_C(1586995200000000), CTIM_TIME_MICROSECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "2020-04-16T00:00:00.000000Z");
        CU_ASSERT_EQUAL(ctim_time_format(INT64_C(1586995200123456), CTIM_TIME_MILLISECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "2020-04-16T00:00:00.123Z");
        CU_ASSERT_EQUAL(ctim_time_format(INT64_C(1586995200999999), CTIM_TIME_SECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "2020-04-16T00:00:00Z");
        /* before 1970: sub-units count forwards from the earlier second */
        CU_ASSERT_EQUAL(ctim_time_format(-1, CTIM_TIME_MICROSECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "1969-12-31T23:59:59.999999Z");
        CU_ASSERT_EQUAL(ctim_time_format(-1, CTIM_TIME_SECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "1969-12-31T23:59:59Z");
        CU_ASSERT_EQUAL(ctim_time_format(CTIM_TIME_MIN_USEC, CTIM_TIME_MICROSECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "0001-01-01T00:00:00.000000Z");
        CU_ASSERT_EQUAL(ctim_time_format(CTIM_TIME_MAX_USEC, CTIM_TIME_MICROSECONDS, s), 0);
        CU_ASSERT_STRING_EQUAL(s, "9999-12-31T23:59:59.999999Z");
        CU_ASSERT_EQUAL(ctim_time_format(CTIM_TIME_MIN_USEC - 1, CTIM_TIME_MICROSECONDS, s), -ERANGE);
        CU_ASSERT_EQUAL(ctim_time_format(CTIM_TIME_MAX_USEC + 1, CTIM_TIME_MICROSECONDS, s), -ERANGE);
        CU_ASSERT_EQUAL(ctim_time_format(INT64_MIN, CTIM_TIME_MICROSECONDS, s), -ERANGE);
        CU_ASSERT_EQUAL(ctim_time_format(0, _CTIM_TIME_FORM_MAX, s), -EINVAL);
        CU_ASSERT_EQUAL(ctim_time_format(0, (CtimTimeForm) -1, s), -EINVAL);

        /* every day of a leap and a common year survives format → parse */
        for (int64_t d = 0; d < 2 * 366; d++) {
                int64_t t = INT64_C(946684800000000) + d * INT64_C(86400000000) + 3723000001, back;

                CU_ASSERT_EQUAL_FATAL(ctim_time_format(t, CTIM_TIME_MICROSECONDS, s), 0);
                CU_ASSERT_EQUAL_FATAL(ctim_time_parse(s, &back), 0);
                CU_ASSERT_EQUAL_FATAL(back, t);
        }
}

/* ---- CTR_ENTITIES_LIMIT ---------------------------------------------------------- */

static void check_limit(const char *claim_json, int64_t want)
{
        cJSON *v = claim_json ? pj(claim_json) : NULL;
        int64_t got = ctim_entities_limit(v);

        if (got != want)
                printf("# limit %s: got %lld, want %lld\n", claim_json ? claim_json : "(absent)",
                       (long long) got, (long long) want);
        CU_ASSERT_EQUAL(got, want);
        cJSON_Delete(v);
}

static void test_entities_limit(void)
{
        cJSON *v;

        check_limit(NULL, 100);
        check_limit("null", 100);               /* upstream: a misleading auth error; §9 #6 */
        check_limit("7", 7);
        check_limit("1", 1);
        check_limit("0", 100);
        check_limit("-5", 100);
        check_limit("20.7", 20);
        check_limit("0.5", 100);
        check_limit("-0.5", 100);
        check_limit("1e2", 100);
        check_limit("250", 250);
        check_limit("1e300", INT64_MAX);        /* Python: a huge int, no cap */
        check_limit("9223372036854775807", INT64_MAX);
        check_limit("true", 1);
        check_limit("false", 100);
        check_limit("'7'", 7);
        check_limit("' 7 '", 7);
        check_limit("'\\t7\\n'", 7);
        check_limit("'+7'", 7);
        check_limit("'07'", 7);
        check_limit("'1_000'", 1000);
        check_limit("'-7'", 100);
        check_limit("'0'", 100);
        check_limit("'20.7'", 100);
        check_limit("'0x10'", 100);
        check_limit("''", 100);
        check_limit("' '", 100);
        check_limit("'_1'", 100);
        check_limit("'1_'", 100);
        check_limit("'1__0'", 100);
        check_limit("'+'", 100);
        check_limit("'7 7'", 100);
        check_limit("'99999999999999999999999999'", INT64_MAX);
        check_limit("'\\u00a0 12\\u3000'", 12);  /* str.strip() spaces */
        check_limit("'\\u00a0'", 100);
        check_limit("[]", 100);
        check_limit("[5]", 100);
        check_limit("{}", 100);

        v = cJSON_CreateNumber(NAN);
        CU_ASSERT_EQUAL(ctim_entities_limit(v), 100);
        cJSON_Delete(v);
        v = cJSON_CreateNumber(INFINITY);
        CU_ASSERT_EQUAL(ctim_entities_limit(v), 100);
        cJSON_Delete(v);
}

/* ---- entities ------------------------------------------------------------------- */

/* The Graph fixture unit-data/file_name.json "output", built with the
 * builders: the shape the Graph relay emits (relays.md §7.6). */
static void test_sighting_graph_shape(void)
{
        cJSON *s = NULL, *obs = cJSON_CreateArray(), *targets = cJSON_CreateArray();

        cJSON_AddItemToArray(obs, ctim_observable_new("ip", "10.8.122.32"));
        cJSON_AddItemToArray(obs, ctim_observable_new("domain", "linux-client131"));
        cJSON_AddItemToArray(targets, ctim_target_new("endpoint", obs, "2019-11-23T15:58:31Z",
                                                      "2019-11-23T15:58:31Z"));
        CU_ASSERT_EQUAL_FATAL(ctim_sighting_new(&(CtimSighting) {
                        .id = "transient:sighting-x",
                        .schema_version = "1.0.12",
                        .source = "Microsoft Graph Security",
                        .title = "Traps: Malware Blocked",
                        .description = "Traps: Malware Blocked",
                        .confidence = "None",
                        .severity = "High",
                        .sensor = "endpoint",
                        .timestamp = "2019-11-23T15:58:31Z",
                        .observed_start = "2019-11-23T15:58:31Z",
                        .observed_end = "2019-11-23T15:58:31Z",
                        .count = 1,
                        .observables = ctim_observables_one("file_name", "file.bin"),
                        .targets = targets,
                        .relations = cJSON_CreateArray(),
                        .external_ids = ctim_string_array((const char *[]) {
                                "5AE9CC76-B587-4401-95C7-A8C878B7FFA5" }, 1),
                        .external_references = cJSON_CreateArray(),
                }, &s), 0);
        ASSERT_JSON(s, "{\"confidence\":\"None\",\"count\":1,\"description\":\"Traps: Malware Blocked\","
                    "\"external_ids\":[\"5AE9CC76-B587-4401-95C7-A8C878B7FFA5\"],\"external_references\":[],"
                    "\"id\":\"transient:sighting-x\","
                    "\"observables\":[{\"type\":\"file_name\",\"value\":\"file.bin\"}],"
                    "\"observed_time\":{\"end_time\":\"2019-11-23T15:58:31Z\",\"start_time\":\"2019-11-23T15:58:31Z\"},"
                    "\"relations\":[],\"schema_version\":\"1.0.12\",\"sensor\":\"endpoint\",\"severity\":\"High\","
                    "\"source\":\"Microsoft Graph Security\","
                    "\"targets\":[{\"observables\":[{\"type\":\"ip\",\"value\":\"10.8.122.32\"},"
                    "{\"type\":\"domain\",\"value\":\"linux-client131\"}],"
                    "\"observed_time\":{\"end_time\":\"2019-11-23T15:58:31Z\",\"start_time\":\"2019-11-23T15:58:31Z\"},"
                    "\"type\":\"endpoint\"}],"
                    "\"timestamp\":\"2019-11-23T15:58:31Z\",\"title\":\"Traps: Malware Blocked\",\"type\":\"sighting\"}");
        cJSON_Delete(s);
}

static void test_sighting_spycloud_shape(void)
{
        cJSON *s = NULL, *table = ctim_table_new(), *row = cJSON_CreateArray(), *rel = cJSON_CreateArray();

        ctim_table_add_column(table, "password", "string");
        ctim_table_add_column(table, "ip_addresses", NULL);
        cJSON_AddItemToArray(row, cJSON_CreateString("x"));
        cJSON_AddItemToArray(row, pj("['210.56.127.202']"));
        ctim_table_add_row(table, row);
        cJSON_AddItemToArray(rel, ctim_relation_new("Spycloud Breach Module", "Leaked_From",
                                                    ctim_observable_new("email", "a@b"),
                                                    ctim_observable_new("domain", "b.example")));
        CU_ASSERT_EQUAL_FATAL(ctim_sighting_new(&(CtimSighting) {
                        .id = "transient:sighting-y",
                        .schema_version = "1.0.17",
                        .source = "Spycloud",
                        .source_uri = "https://portal.spycloud.com/breach/catalog/u",
                        .title = "Reported to Spycloud",
                        .description = "Present in T",
                        .confidence = "High",
                        .severity = "Low",
                        .observed_start = "2020-04-16T00:00:00.000000Z",
                        .observed_end = "2020-04-16T00:00:00.000000Z",
                        .count = 6,
                        .internal = CTIM_FALSE,
                        .observables = ctim_observables_one("email", "a@b"),
                        .relations = rel,
                        .external_ids = cJSON_CreateArray(),
                        .data = table,
                }, &s), 0);
        ASSERT_JSON(s, "{\"confidence\":\"High\",\"count\":6,"
                    "\"data\":{\"columns\":[{\"name\":\"password\",\"type\":\"string\"},"
                    "{\"name\":\"ip_addresses\",\"type\":\"string\"}],\"rows\":[[\"x\",[\"210.56.127.202\"]]]},"
                    "\"description\":\"Present in T\",\"external_ids\":[],\"id\":\"transient:sighting-y\","
                    "\"internal\":false,\"observables\":[{\"type\":\"email\",\"value\":\"a@b\"}],"
                    "\"observed_time\":{\"end_time\":\"2020-04-16T00:00:00.000000Z\","
                    "\"start_time\":\"2020-04-16T00:00:00.000000Z\"},"
                    "\"relations\":[{\"origin\":\"Spycloud Breach Module\","
                    "\"related\":{\"type\":\"domain\",\"value\":\"b.example\"},\"relation\":\"Leaked_From\","
                    "\"source\":{\"type\":\"email\",\"value\":\"a@b\"}}],"
                    "\"schema_version\":\"1.0.17\",\"severity\":\"Low\",\"source\":\"Spycloud\","
                    "\"source_uri\":\"https://portal.spycloud.com/breach/catalog/u\","
                    "\"title\":\"Reported to Spycloud\",\"type\":\"sighting\"}");
        cJSON_Delete(s);

        /* the minimum: no optional field, internal true, no end time */
        CU_ASSERT_EQUAL_FATAL(ctim_sighting_new(&(CtimSighting) {
                        .id = "i", .schema_version = "1", .observed_start = "t", .internal = CTIM_TRUE,
                }, &s), 0);
        ASSERT_JSON(s, "{\"count\":0,\"id\":\"i\",\"internal\":true,\"observed_time\":{\"start_time\":\"t\"},"
                    "\"schema_version\":\"1\",\"type\":\"sighting\"}");
        cJSON_Delete(s);

        /* required fields missing: the parts are freed (no leak), nothing built */
        s = NULL;
        CU_ASSERT_EQUAL(ctim_sighting_new(&(CtimSighting) {
                        .schema_version = "1", .observables = ctim_observables_one("email", "x"),
                        .data = ctim_table_new(), .relations = cJSON_CreateArray(),
                        .targets = cJSON_CreateArray(), .external_ids = cJSON_CreateArray(),
                        .external_references = cJSON_CreateArray(),
                }, &s), -EINVAL);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_EQUAL(ctim_sighting_new(&(CtimSighting) { .id = "i" }, &s), -EINVAL);
        CU_ASSERT_PTR_NULL(s);
}

static void test_indicator_relationship(void)
{
        cJSON *o = NULL, *refs = cJSON_CreateArray();

        cJSON_AddItemToArray(refs, ctim_external_reference_new("Spycloud", "d", "n/a", NULL));
        cJSON_AddItemToArray(refs, ctim_external_reference_new("Spycloud", "e", "https://x/u", "u"));
        CU_ASSERT_EQUAL_FATAL(ctim_indicator_new(&(CtimIndicator) {
                        .id = "transient:indicator-1",
                        .schema_version = "1.0.17",
                        .producer = "Spycloud",
                        .valid_start = "2020-04-16T00:00:00.000000Z",
                        .title = "T",
                        .short_description = "T",
                        .description = "D",
                        .confidence = "Low",
                        .external_ids = ctim_string_array((const char *[]) { "17551", "u" }, 2),
                        .external_references = refs,
                        .tags = ctim_string_array((const char *[]) { "username", "city" }, 2),
                }, &o), 0);
        ASSERT_JSON(o, "{\"confidence\":\"Low\",\"description\":\"D\",\"external_ids\":[\"17551\",\"u\"],"
                    "\"external_references\":[{\"description\":\"d\",\"source_name\":\"Spycloud\",\"url\":\"n/a\"},"
                    "{\"description\":\"e\",\"external_id\":\"u\",\"source_name\":\"Spycloud\",\"url\":\"https://x/u\"}],"
                    "\"id\":\"transient:indicator-1\",\"producer\":\"Spycloud\",\"schema_version\":\"1.0.17\","
                    "\"short_description\":\"T\",\"tags\":[\"username\",\"city\"],\"title\":\"T\","
                    "\"type\":\"indicator\",\"valid_time\":{\"start_time\":\"2020-04-16T00:00:00.000000Z\"}}");
        cJSON_Delete(o);

        /* valid_time is required: an empty object without times */
        CU_ASSERT_EQUAL_FATAL(ctim_indicator_new(&(CtimIndicator) {
                        .id = "i", .schema_version = "1", .producer = "p", .tlp = "amber", .severity = "High",
                        .source = "s", .source_uri = "u", .valid_end = "e",
                }, &o), 0);
        ASSERT_JSON(o, "{\"id\":\"i\",\"producer\":\"p\",\"schema_version\":\"1\",\"severity\":\"High\","
                    "\"source\":\"s\",\"source_uri\":\"u\",\"tlp\":\"amber\",\"type\":\"indicator\","
                    "\"valid_time\":{\"end_time\":\"e\"}}");
        cJSON_Delete(o);
        CU_ASSERT_EQUAL(ctim_indicator_new(&(CtimIndicator) {
                        .id = "i", .schema_version = "1", .tags = cJSON_CreateArray(),
                        .external_ids = cJSON_CreateArray(), .external_references = cJSON_CreateArray(),
                }, &o), -EINVAL);

        CU_ASSERT_EQUAL_FATAL(ctim_relationship_new(&(CtimRelationship) {
                        .id = "transient:relationship-1",
                        .schema_version = "1.0.17",
                        .relationship_type = "sighting-of",
                        .source_ref = "transient:sighting-1",
                        .target_ref = "transient:indicator-1",
                        .source = "Spycloud",
                        .external_ids = ctim_string_array((const char *[]) { "x" }, 1),
                }, &o), 0);
        ASSERT_JSON(o, "{\"external_ids\":[\"x\"],\"id\":\"transient:relationship-1\","
                    "\"relationship_type\":\"sighting-of\",\"schema_version\":\"1.0.17\",\"source\":\"Spycloud\","
                    "\"source_ref\":\"transient:sighting-1\",\"target_ref\":\"transient:indicator-1\","
                    "\"type\":\"relationship\"}");
        cJSON_Delete(o);
        CU_ASSERT_EQUAL(ctim_relationship_new(&(CtimRelationship) {
                        .id = "i", .schema_version = "1", .relationship_type = "member-of", .source_ref = "a",
                        .external_references = cJSON_CreateArray(),
                }, &o), -EINVAL);
}

static void test_envelopes(void)
{
        cJSON *o, *s;

        o = ctim_error_new(CTIM_ERROR_FATAL, CTIM_CODE_NOT_FOUND, "The Spycloud not found.");
        ASSERT_JSON(o, "{\"code\":\"not found\",\"message\":\"The Spycloud not found.\",\"type\":\"fatal\"}");
        cJSON_Delete(o);
        /* TRError: code or message missing */
        o = ctim_error_new(NULL, "", NULL);
        ASSERT_JSON(o, "{\"code\":\"unknown\",\"message\":\"Something went wrong.\",\"type\":\"fatal\"}");
        cJSON_Delete(o);
        o = ctim_error_new(CTIM_ERROR_WARNING, CTIM_CODE_NOT_FOUND, "");
        ASSERT_JSON(o, "{\"code\":\"not found\",\"message\":\"Something went wrong.\",\"type\":\"warning\"}");
        cJSON_Delete(o);

        o = ctim_docs_new(NULL);
        ASSERT_JSON(o, "{\"count\":0,\"docs\":[]}");
        cJSON_Delete(o);

        /* data: empty lists are left out; with nothing, {} */
        o = ctim_observe_data_new(NULL, cJSON_CreateArray());
        ASSERT_JSON(o, "{}");
        cJSON_Delete(o);
        s = cJSON_CreateArray();
        cJSON_AddItemToArray(s, pj("{'id':'a'}"));
        cJSON_AddItemToArray(s, pj("{'id':'b'}"));
        o = ctim_observe_data_new(s, NULL);
        ASSERT_JSON(o, "{\"sightings\":{\"count\":2,\"docs\":[{\"id\":\"a\"},{\"id\":\"b\"}]}}");

        /* response: success with warnings; fatal with data; fatal alone */
        s = cJSON_CreateArray();
        cJSON_AddItemToArray(s, ctim_error_new(CTIM_ERROR_WARNING, CTIM_CODE_NOT_FOUND, "w"));
        o = ctim_response_new(o, s);
        ASSERT_JSON(o, "{\"data\":{\"sightings\":{\"count\":2,\"docs\":[{\"id\":\"a\"},{\"id\":\"b\"}]}},"
                    "\"errors\":[{\"code\":\"not found\",\"message\":\"w\",\"type\":\"warning\"}]}");
        cJSON_Delete(o);
        o = ctim_response_new(cJSON_CreateObject(), cJSON_CreateArray());
        ASSERT_JSON(o, "{\"data\":{}}");
        cJSON_Delete(o);
        s = cJSON_CreateArray();
        cJSON_AddItemToArray(s, ctim_error_new(CTIM_ERROR_FATAL, CTIM_CODE_AUTHORIZATION,
                                               "Authorization failed: Unauthorized"));
        o = ctim_response_new(NULL, s);
        ASSERT_JSON(o, "{\"errors\":[{\"code\":\"authorization error\","
                    "\"message\":\"Authorization failed: Unauthorized\",\"type\":\"fatal\"}]}");
        cJSON_Delete(o);
        o = ctim_response_new(NULL, NULL);
        ASSERT_JSON(o, "{}");
        cJSON_Delete(o);
}

/* ---- JSON helpers -------------------------------------------------------------------- */

static void test_truthy_get(void)
{
        static const struct {
                const char *json;
                bool truthy;
        } cases[] = {
                { "null", false }, { "false", false }, { "true", true }, { "0", false }, { "-0", false },
                { "0.0", false }, { "1", true }, { "-1", true }, { "0.5", true }, { "''", false },
                { "' '", true }, { "'0'", true }, { "[]", false }, { "[0]", true }, { "{}", false },
                { "{'a':null}", true },
        };
        cJSON *o, **m;
        size_t n;

        CU_ASSERT_FALSE(ctim_json_truthy(NULL));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cJSON *v = pj(cases[i].json);

                if (ctim_json_truthy(v) != cases[i].truthy)
                        printf("# truthy(%s) wrong\n", cases[i].json);
                CU_ASSERT_EQUAL(ctim_json_truthy(v), cases[i].truthy);
                cJSON_Delete(v);
        }

        o = pj("{'a':1,'b':2,'a':3,'c':{'a':4},'B':5}");
        CU_ASSERT_EQUAL(ctim_json_get(o, "a")->valueint, 3);        /* the last one, as Python */
        CU_ASSERT_EQUAL(ctim_json_get(o, "b")->valueint, 2);
        CU_ASSERT_EQUAL(ctim_json_get(o, "B")->valueint, 5);
        CU_ASSERT_PTR_NULL(ctim_json_get(o, "d"));
        CU_ASSERT_PTR_NULL(ctim_json_get(NULL, "a"));
        CU_ASSERT_PTR_NULL(ctim_json_get(ctim_json_get(o, "a"), "a"));

        /* dict order: first position, last value */
        n = ctim_json_members(o, &m);
        CU_ASSERT_EQUAL_FATAL(n, 4u);
        CU_ASSERT_STRING_EQUAL(m[0]->string, "a");
        CU_ASSERT_EQUAL(m[0]->valueint, 3);
        CU_ASSERT_STRING_EQUAL(m[1]->string, "b");
        CU_ASSERT_STRING_EQUAL(m[2]->string, "c");
        CU_ASSERT_STRING_EQUAL(m[3]->string, "B");
        free(m);
        n = ctim_json_members(ctim_json_get(o, "b"), &m);
        CU_ASSERT_EQUAL(n, 0u);
        free(m);
        cJSON_Delete(o);
        o = pj("{}");
        CU_ASSERT_EQUAL(ctim_json_members(o, &m), 0u);
        free(m);
        cJSON_Delete(o);
}

static void test_print(void)
{
        cJSON *v;
        char *s;
        size_t len;

        /* sorted at every level, by code point */
        v = pj("{'b':1,'a':{'d':[3,{'z':null,'y':true}],'c':false},'\\u00e9':'x','A':'y'}");
        ASSERT_JSON(v, "{\"A\":\"y\",\"a\":{\"c\":false,\"d\":[3,{\"y\":true,\"z\":null}]},\"b\":1,\"\\u00e9\":\"x\"}");
        /* with the newline jsonify adds, and the length */
        CU_ASSERT_EQUAL_FATAL(ctim_json_print(v, CTIM_JSON_NEWLINE, &s, &len), 0);
        CU_ASSERT_EQUAL(len, strlen(s));
        CU_ASSERT_EQUAL(s[len - 1], '\n');
        free(s);
        cJSON_Delete(v);

        /* escapes exactly as json.dumps (ensure_ascii) */
        v = pj("['\\u0000x\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\\u007f\\u0080\\u00e9\\u20ac\\ud83d\\ude00']");
        /* cJSON stops a string at \u0000: what follows is lost (a cJSON limit) */
        ASSERT_JSON(v, "[\"\"]");
        cJSON_Delete(v);
        v = pj("['\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\\u007f\\u0080\\u00e9\\u20ac\\ud83d\\ude00']");
        ASSERT_JSON(v, "[\"\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\\u007f\\u0080\\u00e9\\u20ac\\ud83d\\ude00\"]");
        CU_ASSERT_EQUAL_FATAL(ctim_json_print(v, CTIM_JSON_UTF8, &s, NULL), 0);
        CU_ASSERT_STRING_EQUAL(s, "[\"\\u001f\\\"\\\\/\\b\\f\\n\\r\\t\x7f\xc2\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]");
        free(s);
        cJSON_Delete(v);

        /* invalid UTF-8 (cJSON does not check) becomes U+FFFD */
        v = cJSON_CreateString("a\xff" "b\xc3(\xed\xa0\x80" "c\xe2\x82");
        ASSERT_JSON(v, "\"a\\ufffdb\\ufffd(\\ufffd\\ufffd\\ufffdc\\ufffd\\ufffd\"");
        cJSON_Delete(v);

        /* numbers: Python's repr for floats; integral values below 1e16 as
         * integers (cJSON has no int/float distinction: 3.0 and 1e15 print
         * as integers where Python would print 3.0, 1000000000000000.0) */
        v = pj("[0,-0,1,-1,17551,20.7,0.1,1e-05,0.0001,1.5e-7,1e16,1e15,123456789.125,-2.5e-300,"
               "1.7976931348623157e308,9007199254740993,3.0,-1234.5,1e22,5e-324]");
        ASSERT_JSON(v, "[0,0,1,-1,17551,20.7,0.1,1e-05,0.0001,1.5e-07,1e+16,1000000000000000,123456789.125,"
                    "-2.5e-300,1.7976931348623157e+308,9007199254740992,3,-1234.5,1e+22,5e-324]");
        cJSON_Delete(v);

        /* duplicate keys: the last value, at the key's sorted place */
        v = pj("{'k':1,'k':2,'j':[{'x':1,'x':{'y':2}}]}");
        ASSERT_JSON(v, "{\"j\":[{\"x\":{\"y\":2}}],\"k\":2}");
        cJSON_Delete(v);

        /* empty containers, scalars at the top */
        v = pj("[{},[],'',true,false,null]");
        ASSERT_JSON(v, "[{},[],\"\",true,false,null]");
        cJSON_Delete(v);
        v = pj("'top'");
        ASSERT_JSON(v, "\"top\"");
        cJSON_Delete(v);

        /* failures */
        s = NULL;
        CU_ASSERT_EQUAL(ctim_json_print(NULL, 0, &s, NULL), -EINVAL);
        v = cJSON_CreateArray();
        cJSON_AddItemToArray(v, cJSON_CreateNumber(NAN));
        cJSON_AddItemToArray(v, cJSON_CreateNumber(-INFINITY));
        ASSERT_JSON(v, "[null,null]");
        cJSON_Delete(v);
        v = pj("[1e999]");
        ASSERT_JSON(v, "[null]");
        cJSON_Delete(v);
        v = cJSON_CreateRaw("1");
        CU_ASSERT_EQUAL(ctim_json_print(v, 0, &s, NULL), -EINVAL);
        cJSON_Delete(v);
}

/* json.dumps (ensure_ascii) of one byte below 0x80, for the check below */
static void ref_escape(char *out, unsigned char c)
{
        switch (c) {
        case '"': strcpy(out, "\\\""); break;
        case '\\': strcpy(out, "\\\\"); break;
        case '\n': strcpy(out, "\\n"); break;
        case '\r': strcpy(out, "\\r"); break;
        case '\t': strcpy(out, "\\t"); break;
        case '\b': strcpy(out, "\\b"); break;
        case '\f': strcpy(out, "\\f"); break;
        default:
                if (c < 0x20 || c == 0x7f)
                        sprintf(out, "\\u%04x", c);
                else
                        sprintf(out, "%c", c);
        }
}

/* The printer scans plain bytes eight at a time: every byte that needs an
 * escape, at every offset of a word and near the end, is still escaped;
 * and a two-byte UTF-8 character across words. */
static void test_print_scan(void)
{
        for (unsigned c = 1; c < 0x80; c++)
                for (size_t pos = 0; pos < 19; pos++) {
                        char in[20], want[64], esc[8], *got = NULL;
                        cJSON *v;

                        memset(in, 'a', sizeof(in) - 1);
                        in[sizeof(in) - 1] = '\0';
                        in[pos] = (char) c;
                        ref_escape(esc, (unsigned char) c);
                        snprintf(want, sizeof(want), "\"%.*s%s%s\"", (int) pos, in, esc, in + pos + 1);
                        v = cJSON_CreateString(in);
                        CU_ASSERT_EQUAL_FATAL(ctim_json_print(v, 0, &got, NULL), 0);
                        if (strcmp(got, want) != 0) {
                                CU_FAIL("byte escaped wrongly");
                                fprintf(stderr, "byte 0x%02x at %zu: %s, want %s\n", c, pos, got, want);
                        }
                        free(got);
                        cJSON_Delete(v);
                }
        for (size_t pos = 0; pos < 17; pos++) {
                char in[20], want[64], *got = NULL;
                cJSON *v;

                memset(in, 'b', 18);
                in[18] = '\0';
                memcpy(in + pos, "\xc3\xa9", 2);
                snprintf(want, sizeof(want), "\"%.*s\\u00e9%s\"", (int) pos, in, in + pos + 2);
                v = cJSON_CreateString(in);
                CU_ASSERT_EQUAL_FATAL(ctim_json_print(v, 0, &got, NULL), 0);
                CU_ASSERT_STRING_EQUAL(got, want);
                free(got);
                cJSON_Delete(v);
        }
}

static cJSON *nest(unsigned depth)
{
        cJSON *v = cJSON_CreateArray(), *top = v;

        for (unsigned i = 0; i < depth; i++) {
                cJSON *c = i % 2 ? cJSON_CreateArray() : cJSON_CreateObject();

                if (cJSON_IsObject(v))
                        cJSON_AddItemToObject(v, "k", c);
                else
                        cJSON_AddItemToArray(v, c);
                v = c;
        }
        return top;
}

static void test_depth(void)
{
        cJSON *v;
        char *s = NULL;

        v = nest(CTIM_JSON_DEPTH_MAX);
        CU_ASSERT_EQUAL(ctim_json_print(v, 0, &s, NULL), 0);
        free(s);
        s = ctim_json_pystr(v);
        CU_ASSERT_PTR_NOT_NULL(s);
        free(s);
        ctim_json_sort(v);
        cJSON_Delete(v);

        v = nest(CTIM_JSON_DEPTH_MAX + 1);
        s = NULL;
        CU_ASSERT_EQUAL(ctim_json_print(v, 0, &s, NULL), -ELOOP);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_PTR_NULL(ctim_json_pystr(v));
        ctim_json_sort(v);      /* sorts what it can, never recurses deeper */
        cJSON_Delete(v);
}

static void test_sort(void)
{
        cJSON *v = pj("{'b':{'y':1,'x':[{'d':1,'c':2}]},'a':2,'c':{},'a':1}");
        char *s;

        ctim_json_sort(v);
        s = cJSON_PrintUnformatted(v);
        CU_ASSERT_STRING_EQUAL(s, "{\"a\":2,\"a\":1,\"b\":{\"x\":[{\"c\":2,\"d\":1}],\"y\":1},\"c\":{}}");
        free(s);
        /* the list is still well linked: walk back from the tail */
        CU_ASSERT_STRING_EQUAL(v->child->prev->string, "c");
        CU_ASSERT_PTR_NULL(v->child->prev->next);
        cJSON_AddItemToObject(v, "d", cJSON_CreateNull());
        CU_ASSERT_STRING_EQUAL(v->child->prev->string, "d");
        CU_ASSERT_EQUAL(cJSON_GetArraySize(v), 5);
        cJSON_Delete(v);
        ctim_json_sort(NULL);
}

static void check_pystr(const char *json, const char *want)
{
        cJSON *v = pj(json);
        char *s = ctim_json_pystr(v);

        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        if (strcmp(s, want) != 0)
                printf("# pystr(%s): got %s, want %s\n", json, s, want);
        CU_ASSERT_STRING_EQUAL(s, want);
        free(s);
        cJSON_Delete(v);
}

static void test_pystr(void)
{
        char *s;

        check_pystr("{'message':'Bad gateway'}", "{'message': 'Bad gateway'}");
        check_pystr("'Bad gateway'", "Bad gateway");    /* str() of a str is itself */
        check_pystr("''", "");
        check_pystr("null", "None");
        check_pystr("true", "True");
        check_pystr("false", "False");
        check_pystr("17551", "17551");
        check_pystr("20.7", "20.7");
        check_pystr("[]", "[]");
        check_pystr("{}", "{}");
        check_pystr("[1,2.5,null,true,false,{'a':'x'},[]]", "[1, 2.5, None, True, False, {'a': 'x'}, []]");
        /* key order kept; duplicates: first place, last value */
        check_pystr("{'b':1,'a':2,'b':3}", "{'b': 3, 'a': 2}");
        /* repr quoting */
        s = ctim_json_pystr(NULL);
        CU_ASSERT_STRING_EQUAL(s, "None");
        free(s);
        {
                cJSON *v = cJSON_CreateArray();

                cJSON_AddItemToArray(v, cJSON_CreateString("it's"));
                cJSON_AddItemToArray(v, cJSON_CreateString("say \"hi\""));
                cJSON_AddItemToArray(v, cJSON_CreateString("both '\""));
                cJSON_AddItemToArray(v, cJSON_CreateString("tab\tnl\n\r\x01\x7f\xc2\xa0\xc3\xa9\xe2\x80\xa8"
                                                           "\xf0\x9f\x98\x80\\"));
                s = ctim_json_pystr(v);
                CU_ASSERT_STRING_EQUAL(s, "[\"it's\", 'say \"hi\"', 'both \\'\"', "
                                          "'tab\\tnl\\n\\r\\x01\\x7f\\xa0\xc3\xa9\\u2028\xf0\x9f\x98\x80\\\\']");
                free(s);
                cJSON_Delete(v);
        }
}

void ctim_suite_add(void)
{
        UNIT_SUITE("ctim",
                   UNIT_TEST(test_uuid5),
                   UNIT_TEST(test_uuid4),
                   UNIT_TEST(test_uuid_parse),
                   UNIT_TEST(test_time_parse),
                   UNIT_TEST(test_time_format),
                   UNIT_TEST(test_entities_limit),
                   UNIT_TEST(test_sighting_graph_shape),
                   UNIT_TEST(test_sighting_spycloud_shape),
                   UNIT_TEST(test_indicator_relationship),
                   UNIT_TEST(test_envelopes),
                   UNIT_TEST(test_truthy_get),
                   UNIT_TEST(test_print), UNIT_TEST(test_print_scan),
                   UNIT_TEST(test_depth),
                   UNIT_TEST(test_sort),
                   UNIT_TEST(test_pystr));
}
