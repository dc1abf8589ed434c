/* SPDX-License-Identifier: MIT */
/* The SpyCloud relay's pure half (src/relays/spycloud_map.c; relays.md §8,
 * §9): the upstream unit-test data of v2.0.5 (§10.4), the snapshots of
 * v1.1.2 (§10.2) run backwards and forwards, and one case per rule: limit,
 * sort, dedupe, warnings, severity and confidence bands, statuses, hostile
 * input. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "relays/spycloud_map.h"
#include "tests/unit/unit.h"

void spycloud_map_suite_add(void);

#define ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- upstream data: code/tests/unit/mock_for_tests.py at tag v2.0.5,
 * as JSON (dict order kept) ---------------------------------------------------- */

static const char breach_email_mock[] =
        "{\"cursor\":\"\",\"hits\":2,\"results\":[{\"city\":\"()\",\"domain\":\"example.org\",\"infected_"
        "path\":\"C:/Users/Usama/AppData/Local/Temp/6210230526.exe\",\"infected_time\":\"2020-03-26 16:56"
        ":49\",\"country\":\"()\",\"isp\":\"()\",\"email_username\":\"admin\",\"email\":\"admin@example.o"
        "rg\",\"spycloud_publish_date\":\"2020-04-16T00:00:00Z\",\"password\":\"test123\",\"target_url\":"
        "\"http://localhost:3000/en/session\",\"sighting\":1,\"email_domain\":\"example.org\",\"source_id"
        "\":17551,\"infected_machine_id\":\"0bb046a5-2ef2-4ec3-abbe-ba76f5b78e6c\",\"password_plaintext\""
        ":\"test123\",\"password_type\":\"plaintext\",\"document_id\":\"90f9c47d-c86d-400f-9a57-38fed22b5"
        "fad\",\"severity\":25},{\"domain\":\"example.org\",\"target_url\":\"13.127.174.82\",\"infected_m"
        "achine_id\":\"2fc6eba4-738d-11ea-807f-0a7889d429db\",\"user_browser\":\"Google Chrome New\",\"co"
        "untry\":\"India\",\"ip_addresses\":[\"210.56.127.202\"],\"email_username\":\"admin\",\"email\":"
        "\"admin@example.org\",\"spycloud_publish_date\":\"2020-04-02T00:00:00Z\",\"password\":\"Admin@12"
        "34\",\"sighting\":6,\"email_domain\":\"example.org\",\"source_id\":17494,\"password_plaintext\":"
        "\"Admin@1234\",\"password_type\":\"plaintext\",\"document_id\":\"d27e8c1e-dd07-4237-bf51-40bcb57"
        "44fcc\",\"severity\":25}]}";

static const char catalog_17551[] =
        "{\"cursor\":\"\",\"hits\":1,\"results\":[{\"confidence\":3,\"description\":\"test description fo"
        "r 17551\",\"title\":\"Vidar Stealer\",\"type\":\"PRIVATE\",\"acquisition_date\":\"2020-04-15T00:"
        "00:00Z\",\"site\":\"n/a\",\"spycloud_publish_date\":\"2020-04-16T00:00:00Z\",\"site_description"
        "\":\"test site description for 17551\",\"uuid\":\"3a7fc3d4-2f57-4076-951c-287332a4d1f8\",\"num_r"
        "ecords\":1107872,\"id\":17551,\"assets\":{\"username\":540183,\"city\":1107503,\"target_url\":11"
        "07872,\"infected_time\":1107503,\"user_browser\":93,\"country\":1107503,\"ip_addresses\":1097638"
        ",\"isp\":1107503,\"infected_path\":1107503,\"postal_code\":791450,\"password\":1107872,\"email\""
        ":567689,\"infected_machine_id\":1107503}}]}";

static const char catalog_17494[] =
        "{\"cursor\":\"\",\"hits\":1,\"results\":[{\"confidence\":3,\"description\":\"test description fo"
        "r 17494\",\"title\":\"Russian Password Stealer\",\"type\":\"PRIVATE\",\"acquisition_date\":\"202"
        "0-04-01T00:00:00Z\",\"site\":\"n/a\",\"spycloud_publish_date\":\"2020-04-02T00:00:00Z\",\"site_d"
        "escription\":\"test site description for 17494\",\"uuid\":\"1293a093-5b3b-42c5-aa90-d5784ea8374f"
        "\",\"num_records\":3142306,\"id\":17494,\"assets\":{\"username\":1563727,\"city\":330,\"target_u"
        "rl\":3142306,\"infected_machine_id\":3142306,\"user_browser\":3142279,\"country\":3142289,\"ip_a"
        "ddresses\":3049094,\"infected_path\":3856,\"password\":3142306,\"email\":1578579}}]}";

static const char catalog_pass[] =
        "{\"cursor\":\"\",\"hits\":0,\"results\":[]}";

static const char expected_success_response[] =
        "{\"data\":{\"indicators\":{\"count\":2,\"docs\":[{\"confidence\":\"Low\",\"description\":\"test "
        "description for 17551\",\"external_ids\":[\"17551\",\"3a7fc3d4-2f57-4076-951c-287332a4d1f8\"],\""
        "external_references\":[{\"description\":\"test site description for 17551\",\"source_name\":\"Sp"
        "ycloud\",\"url\":\"n/a\"},{\"description\":\"test description for 17551\",\"external_id\":\"3a7f"
        "c3d4-2f57-4076-951c-287332a4d1f8\",\"source_name\":\"Spycloud\",\"url\":\"https://portal.spyclou"
        "d.com/breach/catalog/3a7fc3d4-2f57-4076-951c-287332a4d1f8\"}],\"producer\":\"Spycloud\",\"schema"
        "_version\":\"1.0.17\",\"short_description\":\"Vidar Stealer\",\"tags\":[\"username\",\"city\",\""
        "target_url\",\"infected_time\",\"user_browser\",\"country\",\"ip_addresses\",\"isp\",\"infected_"
        "path\",\"postal_code\",\"password\",\"email\",\"infected_machine_id\"],\"title\":\"Vidar Stealer"
        "\",\"type\":\"indicator\",\"valid_time\":{\"start_time\":\"2020-04-16T00:00:00.000000Z\"}},{\"co"
        "nfidence\":\"Low\",\"description\":\"test description for 17494\",\"external_ids\":[\"17494\",\""
        "1293a093-5b3b-42c5-aa90-d5784ea8374f\"],\"external_references\":[{\"description\":\"test site de"
        "scription for 17494\",\"source_name\":\"Spycloud\",\"url\":\"n/a\"},{\"description\":\"test desc"
        "ription for 17494\",\"external_id\":\"1293a093-5b3b-42c5-aa90-d5784ea8374f\",\"source_name\":\"S"
        "pycloud\",\"url\":\"https://portal.spycloud.com/breach/catalog/1293a093-5b3b-42c5-aa90-d5784ea83"
        "74f\"}],\"producer\":\"Spycloud\",\"schema_version\":\"1.0.17\",\"short_description\":\"Russian "
        "Password Stealer\",\"tags\":[\"username\",\"city\",\"target_url\",\"infected_machine_id\",\"user"
        "_browser\",\"country\",\"ip_addresses\",\"infected_path\",\"password\",\"email\"],\"title\":\"Ru"
        "ssian Password Stealer\",\"type\":\"indicator\",\"valid_time\":{\"start_time\":\"2020-04-02T00:0"
        "0:00.000000Z\"}}]},\"sightings\":{\"count\":2,\"docs\":[{\"confidence\":\"High\",\"count\":1,\"d"
        "ata\":{\"columns\":[{\"name\":\"city\",\"type\":\"string\"},{\"name\":\"infected_path\",\"type\""
        ":\"string\"},{\"name\":\"infected_time\",\"type\":\"string\"},{\"name\":\"country\",\"type\":\"s"
        "tring\"},{\"name\":\"isp\",\"type\":\"string\"},{\"name\":\"email\",\"type\":\"string\"},{\"name"
        "\":\"password\",\"type\":\"string\"},{\"name\":\"target_url\",\"type\":\"string\"},{\"name\":\"p"
        "assword_plaintext\",\"type\":\"string\"},{\"name\":\"password_type\",\"type\":\"string\"}],\"row"
        "s\":[[\"()\",\"C:/Users/Usama/AppData/Local/Temp/6210230526.exe\",\"2020-03-26 16:56:49\",\"()\""
        ",\"()\",\"admin@example.org\",\"test123\",\"http://localhost:3000/en/session\",\"test123\",\"pla"
        "intext\"]]},\"description\":\"Present in Vidar Stealer\",\"external_ids\":[\"90f9c47d-c86d-400f-"
        "9a57-38fed22b5fad\",\"17551\",\"0bb046a5-2ef2-4ec3-abbe-ba76f5b78e6c\"],\"internal\":false,\"obs"
        "ervables\":[{\"type\":\"email\",\"value\":\"admin@example.org\"}],\"observed_time\":{\"start_tim"
        "e\":\"2020-04-16T00:00:00.000000Z\",\"end_time\":\"2020-04-16T00:00:00.000000Z\"},\"relations\":"
        "[],\"schema_version\":\"1.0.17\",\"severity\":\"High\",\"source\":\"Spycloud\",\"source_uri\":\""
        "https://portal.spycloud.com/breach/catalog/3a7fc3d4-2f57-4076-951c-287332a4d1f8\",\"targets\":[{"
        "\"observables\":[{\"type\":\"email\",\"value\":\"admin@example.org\"}],\"observed_time\":{\"star"
        "t_time\":\"2020-04-16T00:00:00.000000Z\",\"end_time\":\"2020-04-16T00:00:00.000000Z\"},\"type\":"
        "\"email\"}],\"title\":\"Reported to Spycloud\",\"type\":\"sighting\"},{\"confidence\":\"High\","
        "\"count\":6,\"data\":{\"columns\":[{\"name\":\"target_url\",\"type\":\"string\"},{\"name\":\"use"
        "r_browser\",\"type\":\"string\"},{\"name\":\"country\",\"type\":\"string\"},{\"name\":\"ip_addre"
        "sses\",\"type\":\"string\"},{\"name\":\"email\",\"type\":\"string\"},{\"name\":\"password\",\"ty"
        "pe\":\"string\"},{\"name\":\"password_plaintext\",\"type\":\"string\"},{\"name\":\"password_type"
        "\",\"type\":\"string\"}],\"rows\":[[\"13.127.174.82\",\"Google Chrome New\",\"India\",[\"210.56."
        "127.202\"],\"admin@example.org\",\"Admin@1234\",\"Admin@1234\",\"plaintext\"]]},\"description\":"
        "\"Present in Russian Password Stealer\",\"external_ids\":[\"d27e8c1e-dd07-4237-bf51-40bcb5744fcc"
        "\",\"17494\",\"2fc6eba4-738d-11ea-807f-0a7889d429db\"],\"internal\":false,\"observables\":[{\"ty"
        "pe\":\"email\",\"value\":\"admin@example.org\"}],\"observed_time\":{\"start_time\":\"2020-04-02T"
        "00:00:00.000000Z\",\"end_time\":\"2020-04-02T00:00:00.000000Z\"},\"relations\":[],\"schema_versi"
        "on\":\"1.0.17\",\"severity\":\"High\",\"source\":\"Spycloud\",\"source_uri\":\"https://portal.sp"
        "ycloud.com/breach/catalog/1293a093-5b3b-42c5-aa90-d5784ea8374f\",\"targets\":[{\"observables\":["
        "{\"type\":\"email\",\"value\":\"admin@example.org\"}],\"observed_time\":{\"start_time\":\"2020-0"
        "4-02T00:00:00.000000Z\",\"end_time\":\"2020-04-02T00:00:00.000000Z\"},\"type\":\"email\"}],\"tit"
        "le\":\"Reported to Spycloud\",\"type\":\"sighting\"}]}}}";

static const char expected_success_response_without_1_catalog[] =
        "{\"data\":{\"indicators\":{\"count\":1,\"docs\":[{\"confidence\":\"Low\",\"description\":\"test "
        "description for 17551\",\"external_ids\":[\"17551\",\"3a7fc3d4-2f57-4076-951c-287332a4d1f8\"],\""
        "external_references\":[{\"description\":\"test site description for 17551\",\"source_name\":\"Sp"
        "ycloud\",\"url\":\"n/a\"},{\"description\":\"test description for 17551\",\"external_id\":\"3a7f"
        "c3d4-2f57-4076-951c-287332a4d1f8\",\"source_name\":\"Spycloud\",\"url\":\"https://portal.spyclou"
        "d.com/breach/catalog/3a7fc3d4-2f57-4076-951c-287332a4d1f8\"}],\"producer\":\"Spycloud\",\"schema"
        "_version\":\"1.0.17\",\"short_description\":\"Vidar Stealer\",\"tags\":[\"username\",\"city\",\""
        "target_url\",\"infected_time\",\"user_browser\",\"country\",\"ip_addresses\",\"isp\",\"infected_"
        "path\",\"postal_code\",\"password\",\"email\",\"infected_machine_id\"],\"title\":\"Vidar Stealer"
        "\",\"type\":\"indicator\",\"valid_time\":{\"start_time\":\"2020-04-16T00:00:00.000000Z\"}}]},\"s"
        "ightings\":{\"count\":2,\"docs\":[{\"confidence\":\"High\",\"count\":1,\"data\":{\"columns\":[{"
        "\"name\":\"city\",\"type\":\"string\"},{\"name\":\"infected_path\",\"type\":\"string\"},{\"name"
        "\":\"infected_time\",\"type\":\"string\"},{\"name\":\"country\",\"type\":\"string\"},{\"name\":"
        "\"isp\",\"type\":\"string\"},{\"name\":\"email\",\"type\":\"string\"},{\"name\":\"password\",\"t"
        "ype\":\"string\"},{\"name\":\"target_url\",\"type\":\"string\"},{\"name\":\"password_plaintext\""
        ",\"type\":\"string\"},{\"name\":\"password_type\",\"type\":\"string\"}],\"rows\":[[\"()\",\"C:/U"
        "sers/Usama/AppData/Local/Temp/6210230526.exe\",\"2020-03-26 16:56:49\",\"()\",\"()\",\"admin@exa"
        "mple.org\",\"test123\",\"http://localhost:3000/en/session\",\"test123\",\"plaintext\"]]},\"descr"
        "iption\":\"Present in Vidar Stealer\",\"external_ids\":[\"90f9c47d-c86d-400f-9a57-38fed22b5fad\""
        ",\"17551\",\"0bb046a5-2ef2-4ec3-abbe-ba76f5b78e6c\"],\"internal\":false,\"observables\":[{\"type"
        "\":\"email\",\"value\":\"admin@example.org\"}],\"observed_time\":{\"start_time\":\"2020-04-16T00"
        ":00:00.000000Z\",\"end_time\":\"2020-04-16T00:00:00.000000Z\"},\"relations\":[],\"schema_version"
        "\":\"1.0.17\",\"severity\":\"High\",\"source\":\"Spycloud\",\"source_uri\":\"https://portal.spyc"
        "loud.com/breach/catalog/3a7fc3d4-2f57-4076-951c-287332a4d1f8\",\"targets\":[{\"observables\":[{"
        "\"type\":\"email\",\"value\":\"admin@example.org\"}],\"observed_time\":{\"start_time\":\"2020-04"
        "-16T00:00:00.000000Z\",\"end_time\":\"2020-04-16T00:00:00.000000Z\"},\"type\":\"email\"}],\"titl"
        "e\":\"Reported to Spycloud\",\"type\":\"sighting\"},{\"confidence\":\"High\",\"count\":6,\"data"
        "\":{\"columns\":[{\"name\":\"target_url\",\"type\":\"string\"},{\"name\":\"user_browser\",\"type"
        "\":\"string\"},{\"name\":\"country\",\"type\":\"string\"},{\"name\":\"ip_addresses\",\"type\":\""
        "string\"},{\"name\":\"email\",\"type\":\"string\"},{\"name\":\"password\",\"type\":\"string\"},{"
        "\"name\":\"password_plaintext\",\"type\":\"string\"},{\"name\":\"password_type\",\"type\":\"stri"
        "ng\"}],\"rows\":[[\"13.127.174.82\",\"Google Chrome New\",\"India\",[\"210.56.127.202\"],\"admin"
        "@example.org\",\"Admin@1234\",\"Admin@1234\",\"plaintext\"]]},\"description\":\"Present in breac"
        "h\",\"external_ids\":[\"d27e8c1e-dd07-4237-bf51-40bcb5744fcc\",\"17494\",\"2fc6eba4-738d-11ea-80"
        "7f-0a7889d429db\"],\"internal\":false,\"observables\":[{\"type\":\"email\",\"value\":\"admin@exa"
        "mple.org\"}],\"observed_time\":{\"start_time\":\"2020-04-02T00:00:00.000000Z\",\"end_time\":\"20"
        "20-04-02T00:00:00.000000Z\"},\"relations\":[],\"schema_version\":\"1.0.17\",\"severity\":\"High"
        "\",\"source\":\"Spycloud\",\"targets\":[{\"observables\":[{\"type\":\"email\",\"value\":\"admin@"
        "example.org\"}],\"observed_time\":{\"start_time\":\"2020-04-02T00:00:00.000000Z\",\"end_time\":"
        "\"2020-04-02T00:00:00.000000Z\"},\"type\":\"email\"}],\"title\":\"Reported to Spycloud\",\"type"
        "\":\"sighting\"}]}},\"errors\":[{\"code\":\"not found\",\"message\":\"SpyCloud did not return re"
        "sults for 17494\",\"type\":\"warning\"}]}";

/* ---- helpers ------------------------------------------------------------------------ */

/* Parses text with ' standing for " (hand-made inputs stay readable). */
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

static char *dump(const cJSON *v)
{
        char *s = NULL;

        CU_ASSERT_EQUAL_FATAL(ctim_json_print(v, 0, &s, NULL), 0);
        return s;
}

static void json_equal(const char *what, const cJSON *got, const cJSON *want)
{
        char *a = dump(got), *b = dump(want);

        if (strcmp(a, b) != 0)
                printf("# %s:\n#   got  %s\n#   want %s\n", what, a, b);
        CU_ASSERT_STRING_EQUAL(a, b);
        free(a);
        free(b);
}

/* A RNG that counts, for reproducible sighting ids. */
typedef struct Counter {
        unsigned calls;
} Counter;

static void counter_fill(void *userdata, void *buf, size_t n)
{
        Counter *c = userdata;

        memset(buf, (int) (c->calls & 0xff), n);
        c->calls++;
}

/* One catalog answer: id and body (NULL: a 400). */
typedef struct Cat {
        int64_t id;
        const char *json;
} Cat;

/* The breach answer of each e-mail (NULL: a 400) with the catalogs, mapped
 * with limit as the caller of spycloud_map.h does (catalogs fetched for the
 * ids the breach asks for, from cats; an id not in cats is never put). */
static SpycloudResult *run(const char *const *emails, const char *const *breaches, size_t n,
                           const Cat *cats, size_t n_cats, int64_t limit)
{
        SpycloudCatalogs *c = spycloud_catalogs_new();
        SpycloudResult *r = spycloud_result_new();
        Counter counter = {};
        CtimRandom rnd = { .fill = counter_fill, .userdata = &counter };

        for (size_t i = 0; i < n; i++) {
                cJSON *body = breaches[i] ? pj(breaches[i]) : NULL;
                SpycloudBreach *b = NULL;
                SpycloudError e = {};
                const int64_t *ids;
                size_t n_ids;

                CU_ASSERT_EQUAL_FATAL(spycloud_breach_new(body, limit, &b, &e), 0);
                cJSON_Delete(body);
                n_ids = spycloud_breach_catalog_ids(b, &ids);
                for (size_t k = 0; k < n_ids; k++) {
                        if (spycloud_catalogs_has(c, ids[k]))
                                continue;
                        for (size_t m = 0; m < n_cats; m++)
                                if (cats[m].id == ids[k]) {
                                        cJSON *cb = cats[m].json ? pj(cats[m].json) : NULL;

                                        spycloud_catalogs_put(c, ids[k], cb);
                                        cJSON_Delete(cb);
                                        CU_ASSERT_TRUE(spycloud_catalogs_has(c, ids[k]));
                                }
                }
                CU_ASSERT_EQUAL_FATAL(spycloud_result_add(r, emails[i], b, c, &rnd), 0);
                spycloud_breach_free(b);
        }
        spycloud_catalogs_free(c);
        return r;
}

static SpycloudResult *run1(const char *email, const char *breach, const Cat *cats, size_t n_cats, int64_t limit)
{
        return run(&email, &breach, 1, cats, n_cats, limit);
}

static const cJSON *docs(const cJSON *response, const char *kind)
{
        return cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(response, "data"), kind), "docs");
}

/* Checks that every sighting id is transient:sighting-<uuid4> and removes
 * them; checks the indicator ids against uuid5(X500, external_ids[0]) and
 * removes them. */
static void strip_ids(cJSON *response)
{
        cJSON *d;

        cJSON_ArrayForEach(d, docs(response, "sightings")) {
                const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "id"));
                CtimUuid u;

                CU_ASSERT_PTR_NOT_NULL_FATAL(id);
                CU_ASSERT_EQUAL(strncmp(id, "transient:sighting-", 19), 0);
                CU_ASSERT_EQUAL(strlen(id), 19u + 36u);
                CU_ASSERT_EQUAL(ctim_uuid_parse(id + 19, &u), 0);
                CU_ASSERT_EQUAL(id[19 + 14], '4');
                cJSON_DeleteItemFromObject(d, "id");
        }
        cJSON_ArrayForEach(d, docs(response, "indicators")) {
                const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "id"));
                const char *ext = cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "external_ids"), 0));
                char *want = NULL;

                CU_ASSERT_PTR_NOT_NULL_FATAL(id);
                CU_ASSERT_PTR_NOT_NULL_FATAL(ext);
                CU_ASSERT_EQUAL_FATAL(ctim_transient_id5("indicator", &CTIM_UUID_NAMESPACE_X500, ext, &want), 0);
                CU_ASSERT_STRING_EQUAL(id, want);
                free(want);
                cJSON_DeleteItemFromObject(d, "id");
        }
}

static cJSON *response_of(const SpycloudResult *r, const SpycloudError *fatal)
{
        cJSON *v = spycloud_result_response(r, fatal);

        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        return v;
}

static const char *sighting_str(const cJSON *response, size_t i, const char *key)
{
        return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(docs(response, "sightings"), (int) i), key));
}

static const char *indicator_str(const cJSON *response, size_t i, const char *key)
{
        return cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(docs(response, "indicators"), (int) i), key));
}

static bool notes_contain(const SpycloudResult *r, const char *needle)
{
        const char *const *notes;
        size_t n = spycloud_result_notes(r, &notes);

        for (size_t i = 0; i < n; i++)
                if (strstr(notes[i], needle))
                        return true;
        printf("# no note contains '%s'; notes:\n", needle);
        for (size_t i = 0; i < n; i++)
                printf("#   %s\n", notes[i]);
        return false;
}

/* A record with the fields that matter; extra is spliced in as JSON members. */
static char *record(int64_t source_id, const char *date, const char *extra)
{
        return xasprintf("{'source_id':%" PRId64 ",'spycloud_publish_date':'%s','severity':25%s%s}",
                         source_id, date, extra && *extra ? "," : "", extra ? extra : "");
}

static char *catalog(int64_t id, const char *extra)
{
        return xasprintf("{'cursor':'','hits':1,'results':[{'id':%" PRId64 ",'uuid':'u-%" PRId64 "','title':'T%" PRId64 "',"
                         "'description':'D','site':'n/a','site_description':'SD','confidence':3,"
                         "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{'email':1}%s%s}]}",
                         id, id, id, extra && *extra ? "," : "", extra ? extra : "");
}

/* ---- the upstream unit tests (§10.4) ---------------------------------------------------- */

static void test_upstream_success(void)
{
        const Cat cats[] = { { 17551, catalog_17551 }, { 17494, catalog_17494 } };
        SpycloudResult *r = run1("admin@example.org", breach_email_mock, cats, ELEMENTS(cats), 100);
        cJSON *got = response_of(r, NULL), *want = pj(expected_success_response);
        char *text = NULL;

        CU_ASSERT_EQUAL(spycloud_result_sightings(r), 2u);
        CU_ASSERT_EQUAL(spycloud_result_indicators(r), 2u);
        CU_ASSERT_EQUAL(spycloud_result_warnings(r), 0u);
        /* the indicator ids, exactly (§8.6) */
        CU_ASSERT_STRING_EQUAL(indicator_str(got, 0, "id"), "transient:indicator-5dc84da0-3f5f-5d29-a58f-4c735c6fe393");
        CU_ASSERT_STRING_EQUAL(indicator_str(got, 1, "id"), "transient:indicator-16df0084-14f8-5b10-98db-79797ad8cc1d");
        /* the injected randomness makes the sighting ids */
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 0, "id"), "transient:sighting-00000000-0000-4000-8000-000000000000");
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 1, "id"), "transient:sighting-01010101-0101-4101-8101-010101010101");
        strip_ids(got);
        json_equal("EXPECTED_SUCCESS_RESPONSE", got, want);
        /* byte level: what jsonify prints */
        CU_ASSERT_EQUAL(ctim_json_print(got, CTIM_JSON_NEWLINE, &text, NULL), 0);
        CU_ASSERT_EQUAL(strncmp(text, "{\"data\":{\"indicators\":{\"count\":2,\"docs\":[{\"confidence\":\"Low\","
                                      "\"description\":\"test description for 17551\",", 95), 0);
        CU_ASSERT_EQUAL(text[strlen(text) - 1], '\n');
        free(text);
        cJSON_Delete(got);
        cJSON_Delete(want);
        spycloud_result_free(r);
}

static void test_upstream_without_1_catalog(void)
{
        /* catalog 17494 answers {"results": []}, or a 400 */
        const Cat empty[] = { { 17551, catalog_17551 }, { 17494, catalog_pass } };
        const Cat bad_request[] = { { 17551, catalog_17551 }, { 17494, NULL } };
        const Cat *variants[] = { empty, bad_request };

        for (size_t v = 0; v < ELEMENTS(variants); v++) {
                SpycloudResult *r = run1("admin@example.org", breach_email_mock, variants[v], 2, 100);
                cJSON *got = response_of(r, NULL), *want = pj(expected_success_response_without_1_catalog);
                const char *const *w;

                CU_ASSERT_EQUAL(spycloud_result_warning_messages(r, &w), 1u);
                CU_ASSERT_STRING_EQUAL(w[0], "SpyCloud did not return results for 17494");
                strip_ids(got);
                json_equal("EXPECTED_SUCCESS_RESPONSE_WITHOUT_1_CATALOG", got, want);
                cJSON_Delete(got);
                cJSON_Delete(want);
                spycloud_result_free(r);
        }
}

/* Two e-mails, the second gets a 403: the first one's data and the fatal
 * error only (upstream test_enrich_call_with_extended_error_handling). */
static void test_upstream_partial_with_fatal(void)
{
        const Cat cats[] = { { 17551, catalog_17551 }, { 17494, catalog_17494 } };
        SpycloudResult *r = run1("admin@example.org", breach_email_mock, cats, ELEMENTS(cats), 100);
        SpycloudError e = {};
        cJSON *body = NULL, *got, *want;

        CU_ASSERT_EQUAL(spycloud_answer_parse(403, "{\"message\":\"Forbidden\"}", 23, &body, &e), -EACCES);
        CU_ASSERT_PTR_NULL(body);
        got = response_of(r, &e);
        want = pj(expected_success_response);
        cJSON_AddItemToObject(want, "errors", pj("[{'code':'authorization error','message':"
                                                 "'Authorization failed: Forbidden','type':'fatal'}]"));
        strip_ids(got);
        json_equal("partial + 403", got, want);
        cJSON_Delete(got);
        cJSON_Delete(want);
        spycloud_error_done(&e);
        CU_ASSERT_PTR_NULL(e.message);
        spycloud_result_free(r);
}

/* ---- the v1.1.2 snapshots (§10.2): rebuild SpyCloud's answers from the
 * relay's output, map them, and compare (ids and order aside) ------------------------------- */

static char *read_text(const char *path)
{
        FILE *f = fopen(path, "re");
        char *text;
        long len;
        size_t n;

        if (!f)
                return NULL;
        if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0) {
                fclose(f);
                return NULL;
        }
        rewind(f);
        text = xmalloc((size_t) len + 1);
        n = fread(text, 1, (size_t) len, f);
        fclose(f);
        text[n] = '\0';
        return text;
}

/* SecureX rewrote the times as ".000Z": back to the relay's form */
static void normalize_times(cJSON *v)
{
        cJSON *c;

        cJSON_ArrayForEach(c, v) {
                if (cJSON_IsString(c) && c->string &&
                    (strcmp(c->string, "start_time") == 0 || strcmp(c->string, "end_time") == 0)) {
                        char t[CTIM_TIME_STRING_SIZE];

                        CU_ASSERT_EQUAL_FATAL(ctim_time_normalize(c->valuestring, CTIM_TIME_MICROSECONDS, t), 0);
                        cJSON_SetValuestring(c, t);
                } else
                        normalize_times(c);
        }
}

static char *seconds(const char *t)
{
        char s[CTIM_TIME_STRING_SIZE];

        CU_ASSERT_EQUAL_FATAL(ctim_time_normalize(t, CTIM_TIME_SECONDS, s), 0);
        return xstrdup(s);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The docs printed, sorted: the comparison ignores their order. */
static char **sorted_docs(const cJSON *list, size_t *ret_n)
{
        size_t n = (size_t) cJSON_GetArraySize(list), i = 0;
        char **v = xnew(char *, n + 1);
        const cJSON *d;

        cJSON_ArrayForEach(d, list)
                v[i++] = dump(d);
        qsort(v, n, sizeof(char *), cmp_str);
        *ret_n = n;
        return v;
}

static void compare_docs(const char *what, const cJSON *got, const cJSON *want)
{
        size_t ng, nw;
        char **g = sorted_docs(got, &ng), **w = sorted_docs(want, &nw);

        CU_ASSERT_EQUAL(ng, nw);
        for (size_t i = 0; i < ng && i < nw; i++) {
                if (strcmp(g[i], w[i]) != 0)
                        printf("# %s doc %zu:\n#   got  %s\n#   want %s\n", what, i, g[i], w[i]);
                CU_ASSERT_STRING_EQUAL(g[i], w[i]);
        }
        for (size_t i = 0; i < ng; i++)
                free(g[i]);
        for (size_t i = 0; i < nw; i++)
                free(w[i]);
        free(g);
        free(w);
}

static void snapshot_roundtrip(const char *name, size_t want_sightings, size_t want_indicators)
{
        const char *top = getenv("top_srcdir");
        _cleanup_free_ char *path = xasprintf(
                "%s/../shared/fixtures/relays/spycloud-employee-ato-prevention/snapshots-v1.1.2/%s.module-data.json",
                top ? top : TOP_SRCDIR, name);
        _cleanup_free_ char *text = read_text(path);
        cJSON *snap, *data, *sightings, *indicators, *records, *d, *got;
        SpycloudCatalogs *c;
        SpycloudResult *r;
        SpycloudBreach *b = NULL;
        SpycloudError e = {};
        const char *email;
        cJSON *breach;
        const int64_t *ids;
        size_t n_ids;

        if (!text) {
                printf("# %s: not found, skipped\n", path);
                return;
        }
        snap = cJSON_Parse(text);
        CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
        data = cJSON_GetObjectItem(cJSON_GetArrayItem(snap, 0), "data");
        email = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
                cJSON_GetObjectItem(cJSON_GetArrayItem(snap, 0), "observables_requested"), 0), "value"));
        CU_ASSERT_PTR_NOT_NULL_FATAL(email);
        sightings = cJSON_GetObjectItem(cJSON_GetObjectItem(data, "sightings"), "docs");
        indicators = cJSON_GetObjectItem(cJSON_GetObjectItem(data, "indicators"), "docs");
        CU_ASSERT_EQUAL_FATAL((size_t) cJSON_GetArraySize(sightings), want_sightings);
        CU_ASSERT_EQUAL_FATAL((size_t) cJSON_GetArraySize(indicators), want_indicators);

        /* the catalogs, from the indicators */
        c = spycloud_catalogs_new();
        cJSON_ArrayForEach(d, indicators) {
                cJSON *ext = cJSON_GetObjectItem(d, "external_ids"), *cat = cJSON_CreateObject(), *assets, *ref, *t;
                const char *conf = cJSON_GetStringValue(cJSON_GetObjectItem(d, "confidence"));
                int64_t id = strtoll(cJSON_GetStringValue(cJSON_GetArrayItem(ext, 0)), NULL, 10);
                _cleanup_free_ char *date = seconds(cJSON_GetStringValue(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(d, "valid_time"), "start_time")));
                cJSON *body = cJSON_CreateObject(), *results = cJSON_AddArrayToObject(body, "results");

                cJSON_AddNumberToObject(cat, "id", (double) id);
                cJSON_AddStringToObject(cat, "uuid", cJSON_GetStringValue(cJSON_GetArrayItem(ext, 1)));
                cJSON_AddStringToObject(cat, "title", cJSON_GetStringValue(cJSON_GetObjectItem(d, "title")));
                cJSON_AddStringToObject(cat, "description", cJSON_GetStringValue(cJSON_GetObjectItem(d, "description")));
                cJSON_AddNumberToObject(cat, "confidence", strcmp(conf, "High") == 0 ? 1 : strcmp(conf, "Medium") == 0 ? 2 : 3);
                cJSON_AddStringToObject(cat, "spycloud_publish_date", date);
                cJSON_AddStringToObject(cat, "type", "PUBLIC");
                cJSON_ArrayForEach(ref, cJSON_GetObjectItem(d, "external_references"))
                        if (!cJSON_GetObjectItem(ref, "external_id")) {
                                cJSON_AddStringToObject(cat, "site", cJSON_GetStringValue(cJSON_GetObjectItem(ref, "url")));
                                cJSON_AddStringToObject(cat, "site_description",
                                                        cJSON_GetStringValue(cJSON_GetObjectItem(ref, "description")));
                        }
                assets = cJSON_AddObjectToObject(cat, "assets");
                cJSON_ArrayForEach(t, cJSON_GetObjectItem(d, "tags"))
                        cJSON_AddNumberToObject(assets, t->valuestring, 1);
                cJSON_AddItemToArray(results, cat);
                spycloud_catalogs_put(c, id, body);
                cJSON_Delete(body);
        }

        /* the breach records, from the sightings */
        breach = cJSON_CreateObject();
        cJSON_AddStringToObject(breach, "cursor", "");
        cJSON_AddNumberToObject(breach, "hits", cJSON_GetArraySize(sightings));
        records = cJSON_AddArrayToObject(breach, "results");
        cJSON_ArrayForEach(d, sightings) {
                cJSON *rec = cJSON_CreateObject(), *cols, *row, *col, *ext = cJSON_GetObjectItem(d, "external_ids");
                const char *uri = cJSON_GetStringValue(cJSON_GetObjectItem(d, "source_uri"));
                const char *sev = cJSON_GetStringValue(cJSON_GetObjectItem(d, "severity"));
                const char *sid = NULL;
                _cleanup_free_ char *date = seconds(cJSON_GetStringValue(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(d, "observed_time"), "start_time")));
                cJSON *ind;
                int k = 0;

                /* the catalog is the indicator whose uuid ends source_uri */
                cJSON_ArrayForEach(ind, indicators) {
                        cJSON *iext = cJSON_GetObjectItem(ind, "external_ids");
                        const char *u = cJSON_GetStringValue(cJSON_GetArrayItem(iext, 1));

                        if (strlen(uri) > strlen(u) && strcmp(uri + strlen(uri) - strlen(u), u) == 0)
                                sid = cJSON_GetStringValue(cJSON_GetArrayItem(iext, 0));
                }
                CU_ASSERT_PTR_NOT_NULL_FATAL(sid);
                /* identity fields, interleaved as SpyCloud sends them */
                cJSON_AddStringToObject(rec, "domain", "example.org");
                cols = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "data"), "columns");
                row = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "data"), "rows"), 0);
                cJSON_ArrayForEach(col, cols) {
                        cJSON_AddItemToObject(rec, cJSON_GetStringValue(cJSON_GetObjectItem(col, "name")),
                                              cJSON_Duplicate(cJSON_GetArrayItem(row, k++), true));
                        if (k == 1)
                                cJSON_AddStringToObject(rec, "email_username", "x");
                }
                cJSON_AddStringToObject(rec, "spycloud_publish_date", date);
                cJSON_AddNumberToObject(rec, "sighting", cJSON_GetObjectItem(d, "count")->valuedouble);
                cJSON_AddNumberToObject(rec, "source_id", (double) strtoll(sid, NULL, 10));
                for (int i = 0; i < cJSON_GetArraySize(ext); i++) {
                        const char *x = cJSON_GetStringValue(cJSON_GetArrayItem(ext, i));

                        if (strcmp(x, sid) == 0)
                                continue;
                        cJSON_AddStringToObject(rec, i == 0 ? "document_id" : "infected_machine_id", x);
                }
                cJSON_AddNumberToObject(rec, "severity", strcmp(sev, "Low") == 0 ? 2 : strcmp(sev, "Medium") == 0 ? 5 : 25);
                cJSON_AddItemToArray(records, rec);
        }

        CU_ASSERT_EQUAL_FATAL(spycloud_breach_new(breach, 100, &b, &e), 0);
        CU_ASSERT_EQUAL(spycloud_breach_count(b), want_sightings);
        n_ids = spycloud_breach_catalog_ids(b, &ids);
        CU_ASSERT_EQUAL(n_ids, want_indicators);
        for (size_t i = 0; i < n_ids; i++)
                CU_ASSERT_TRUE(spycloud_catalogs_has(c, ids[i]));
        r = spycloud_result_new();
        CU_ASSERT_EQUAL_FATAL(spycloud_result_add(r, email, b, c, NULL), 0);
        got = response_of(r, NULL);
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(got, "errors"));
        {
                const char *const *notes;
                CU_ASSERT_EQUAL(spycloud_result_notes(r, &notes), 0u);
        }

        /* newest first */
        for (size_t i = 1; i < want_sightings; i++) {
                const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
                        cJSON_GetArrayItem(docs(got, "sightings"), (int) i - 1), "observed_time"), "start_time"));
                const char *z = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
                        cJSON_GetArrayItem(docs(got, "sightings"), (int) i), "observed_time"), "start_time"));
                CU_ASSERT_TRUE(strcmp(a, z) >= 0);
        }

        strip_ids(got);
        normalize_times(data);
        cJSON_ArrayForEach(d, sightings)
                cJSON_DeleteItemFromObject(d, "id");
        cJSON_ArrayForEach(d, indicators)
                cJSON_DeleteItemFromObject(d, "id");        /* random in v1.0.2: no uuid5 yet */
        compare_docs("sightings", docs(got, "sightings"), sightings);
        compare_docs("indicators", docs(got, "indicators"), indicators);

        cJSON_Delete(got);
        spycloud_result_free(r);
        spycloud_breach_free(b);
        cJSON_Delete(breach);
        spycloud_catalogs_free(c);
        cJSON_Delete(snap);
}

static void test_snapshots(void)
{
        snapshot_roundtrip("Snapshot-with-email-observable-admin-example.org", 34, 23);
        snapshot_roundtrip("Snapshot-with-email-observable-someone-example.org", 36, 25);
}

/* ---- limit, sort, dedupe ----------------------------------------------------------------------------- */

/* Five records: source ids 1..5 published on days 1..5 of January. */
static char *five_records(void)
{
        _cleanup_free_ char *r1 = record(1, "2020-01-01T00:00:00Z", NULL), *r2 = record(2, "2020-01-02T00:00:00Z", NULL),
                            *r3 = record(3, "2020-01-03T00:00:00Z", NULL), *r4 = record(4, "2020-01-04T00:00:00Z", NULL),
                            *r5 = record(5, "2020-01-05T00:00:00Z", NULL);

        return xasprintf("{'results':[%s,%s,%s,%s,%s]}", r3, r1, r5, r2, r4);
}

static void test_limit(void)
{
        static const struct {
                const char *claim;      /* NULL: absent */
                size_t want;
        } cases[] = {
                { NULL, 5 }, { "null", 5 }, { "0", 5 }, { "-3", 5 }, { "1", 1 }, { "2", 2 }, { "4.9", 4 },
                { "5", 5 }, { "6", 5 }, { "1e300", 5 }, { "'3'", 3 }, { "' 2 '", 2 }, { "'2.5'", 5 },
                { "true", 1 }, { "false", 5 }, { "[1]", 5 },
        };
        _cleanup_free_ char *breach = five_records();

        for (size_t i = 0; i < ELEMENTS(cases); i++) {
                cJSON *claim = cases[i].claim ? pj(cases[i].claim) : NULL;
                int64_t limit = ctim_entities_limit(claim);
                _cleanup_free_ char *c1 = catalog(1, NULL), *c2 = catalog(2, NULL), *c3 = catalog(3, NULL),
                                    *c4 = catalog(4, NULL), *c5 = catalog(5, NULL);
                const Cat cats[] = { { 1, c1 }, { 2, c2 }, { 3, c3 }, { 4, c4 }, { 5, c5 } };
                SpycloudResult *r = run1("a@b.c", breach, cats, ELEMENTS(cats), limit);
                cJSON *got = response_of(r, NULL);

                if (spycloud_result_sightings(r) != cases[i].want)
                        printf("# limit %s: %zu sightings\n", cases[i].claim ? cases[i].claim : "absent",
                               spycloud_result_sightings(r));
                CU_ASSERT_EQUAL(spycloud_result_sightings(r), cases[i].want);
                CU_ASSERT_EQUAL(spycloud_result_indicators(r), cases[i].want);
                /* newest first, so the limit keeps the newest */
                CU_ASSERT_STRING_EQUAL(sighting_str(got, 0, "description"), "Present in T5");
                if (cases[i].want > 1)
                        CU_ASSERT_STRING_EQUAL(sighting_str(got, 1, "description"), "Present in T4");
                cJSON_Delete(got);
                spycloud_result_free(r);
                cJSON_Delete(claim);
        }

        /* the mapper's own reading of out-of-range limits */
        {
                static const int64_t limits[] = { 0, -1, INT64_MIN, INT64_MAX, 3 };
                static const size_t want[] = { 5, 5, 5, 5, 3 };

                for (size_t i = 0; i < ELEMENTS(limits); i++) {
                        cJSON *body = pj(breach);
                        SpycloudBreach *b = NULL;
                        SpycloudError e = {};
                        const int64_t *ids;

                        CU_ASSERT_EQUAL_FATAL(spycloud_breach_new(body, limits[i], &b, &e), 0);
                        CU_ASSERT_EQUAL(spycloud_breach_count(b), want[i]);
                        /* only the kept records' catalogs are asked for */
                        CU_ASSERT_EQUAL(spycloud_breach_catalog_ids(b, &ids), want[i]);
                        CU_ASSERT_EQUAL(ids[0], 5);
                        spycloud_breach_free(b);
                        cJSON_Delete(body);
                }
        }
        /* 150 records, no claim: 100 */
        {
                char *list = xstrdup("");
                SpycloudBreach *b = NULL;
                SpycloudError e = {};
                cJSON *body;

                for (int i = 0; i < 150; i++) {
                        _cleanup_free_ char *rec = record(i % 7, "2020-01-01T00:00:00Z", NULL);
                        char *t = xasprintf("%s%s%s", list, i ? "," : "", rec);

                        free(list);
                        list = t;
                }
                {
                        char *t = xasprintf("{'results':[%s]}", list);
                        free(list);
                        body = pj(t);
                        free(t);
                }
                CU_ASSERT_EQUAL_FATAL(spycloud_breach_new(body, ctim_entities_limit(NULL), &b, &e), 0);
                CU_ASSERT_EQUAL(spycloud_breach_count(b), 100u);
                spycloud_breach_free(b);
                cJSON_Delete(body);
        }
}

static void test_sort(void)
{
        /* equal dates keep API order (stable); other forms of the same
         * instant sort by the instant; unusable dates are dropped */
        const char *breach =
                "{'results':["
                "{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z','n':'a'},"
                "{'source_id':1,'spycloud_publish_date':'2020-01-02T00:00:00Z','n':'b'},"
                "{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z','n':'c'},"
                "{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00.5Z','n':'d'},"
                "{'source_id':1,'spycloud_publish_date':'2020-01-02T01:00:00+02:00','n':'e'},"
                "{'source_id':1,'spycloud_publish_date':'2020-01-02','n':'x'},"
                "{'source_id':1,'spycloud_publish_date':20200101,'n':'y'},"
                "{'source_id':1,'n':'z'},"
                "{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z','n':'f'}]}";
        static const char *const order = "bedacf";
        _cleanup_free_ char *c1 = catalog(1, NULL);
        const Cat cats[] = { { 1, c1 } };
        SpycloudResult *r = run1("a@b.c", breach, cats, 1, 100);
        cJSON *got = response_of(r, NULL), *d;
        size_t i = 0;

        CU_ASSERT_EQUAL(spycloud_result_sightings(r), 6u);
        cJSON_ArrayForEach(d, docs(got, "sightings")) {
                const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "data"), "rows"), 0);
                const char *n = cJSON_GetStringValue(cJSON_GetArrayItem(row, 0));

                CU_ASSERT_PTR_NOT_NULL_FATAL(n);
                CU_ASSERT_EQUAL(n[0], order[i]);
                i++;
        }
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
                cJSON_GetArrayItem(docs(got, "sightings"), 1), "observed_time"), "start_time")),
                "2020-01-01T23:00:00.000000Z");
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(
                cJSON_GetArrayItem(docs(got, "sightings"), 2), "observed_time"), "start_time")),
                "2020-01-01T00:00:00.500000Z");
        CU_ASSERT_TRUE(notes_contain(r, "'a@b.c': results[5]: spycloud_publish_date: '2020-01-02' is not an "
                                        "RFC 3339 date-time, record skipped"));
        CU_ASSERT_TRUE(notes_contain(r, "results[6]: spycloud_publish_date: expected a string, got 20200101, record skipped"));
        CU_ASSERT_TRUE(notes_contain(r, "results[7]: spycloud_publish_date: missing, record skipped"));
        CU_ASSERT_EQUAL(spycloud_result_indicators(r), 1u);
        cJSON_Delete(got);
        spycloud_result_free(r);
}

static void test_dedupe(void)
{
        _cleanup_free_ char *a1 = record(7, "2020-01-03T00:00:00Z", NULL), *a2 = record(8, "2020-01-02T00:00:00Z", NULL),
                            *a3 = record(7, "2020-01-01T00:00:00Z", NULL), *b1 = record(8, "2020-02-01T00:00:00Z", NULL),
                            *b2 = record(9, "2020-01-01T00:00:00Z", NULL);
        _cleanup_free_ char *ba = xasprintf("{'results':[%s,%s,%s]}", a1, a2, a3);
        _cleanup_free_ char *bb = xasprintf("{'results':[%s,%s]}", b1, b2);
        _cleanup_free_ char *c7 = catalog(7, NULL), *c8 = catalog(8, NULL), *c9 = catalog(9, NULL);
        const Cat cats[] = { { 7, c7 }, { 8, c8 }, { 9, c9 } };
        const char *emails[] = { "a@x", "b@x", "a@x" };
        const char *breaches[] = { ba, bb, ba };
        SpycloudResult *r = run(emails, breaches, 3, cats, ELEMENTS(cats), 100);
        cJSON *got = response_of(r, NULL);

        /* sightings never deduplicated (the repeated e-mail too: upstream
         * drops exact duplicates before, spycloud_observables_emails()) */
        CU_ASSERT_EQUAL(spycloud_result_sightings(r), 8u);
        /* indicators: once per id in the whole response (§9 #36), in the
         * order first met */
        CU_ASSERT_EQUAL_FATAL(spycloud_result_indicators(r), 3u);
        CU_ASSERT_STRING_EQUAL(indicator_str(got, 0, "title"), "T7");
        CU_ASSERT_STRING_EQUAL(indicator_str(got, 1, "title"), "T8");
        CU_ASSERT_STRING_EQUAL(indicator_str(got, 2, "title"), "T9");
        CU_ASSERT_EQUAL(spycloud_result_warnings(r), 0u);
        cJSON_Delete(got);
        spycloud_result_free(r);
}

static void test_missing_catalog_warnings(void)
{
        _cleanup_free_ char *r1 = record(17494, "2020-01-03T00:00:00Z", NULL), *r2 = record(17494, "2020-01-02T00:00:00Z", NULL),
                            *r3 = record(17494, "2020-01-01T00:00:00Z", NULL), *r4 = record(42, "2020-01-01T00:00:00Z", NULL);
        _cleanup_free_ char *breach = xasprintf("{'results':[%s,%s,%s,%s]}", r1, r2, r3, r4);
        const Cat cats[] = { { 17494, catalog_pass } };     /* 42 is never fetched */
        const char *emails[] = { "a@x", "b@x" };
        const char *breaches[] = { breach, breach };
        SpycloudResult *r = run(emails, breaches, 2, cats, ELEMENTS(cats), 100);
        cJSON *got = response_of(r, NULL), *want;
        const char *const *w;

        CU_ASSERT_EQUAL(spycloud_result_sightings(r), 8u);
        CU_ASSERT_EQUAL(spycloud_result_indicators(r), 0u);
        /* once per source_id per e-mail (§9 #34) */
        CU_ASSERT_EQUAL_FATAL(spycloud_result_warning_messages(r, &w), 4u);
        CU_ASSERT_STRING_EQUAL(w[0], "SpyCloud did not return results for 17494");
        CU_ASSERT_STRING_EQUAL(w[1], "SpyCloud did not return results for 42");
        CU_ASSERT_STRING_EQUAL(w[2], "SpyCloud did not return results for 17494");
        CU_ASSERT_STRING_EQUAL(w[3], "SpyCloud did not return results for 42");
        CU_ASSERT_PTR_NULL(w[4]);
        CU_ASSERT_TRUE(notes_contain(r, "'a@x': catalog 42 was not fetched, taken as empty"));
        want = pj("[{'code':'not found','message':'SpyCloud did not return results for 17494','type':'warning'},"
                  "{'code':'not found','message':'SpyCloud did not return results for 42','type':'warning'},"
                  "{'code':'not found','message':'SpyCloud did not return results for 17494','type':'warning'},"
                  "{'code':'not found','message':'SpyCloud did not return results for 42','type':'warning'}]");
        json_equal("warnings", cJSON_GetObjectItem(got, "errors"), want);
        /* the sightings of an empty catalog */
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 0, "description"), "Present in breach");
        CU_ASSERT_PTR_NULL(sighting_str(got, 0, "source_uri"));
        cJSON_Delete(want);
        cJSON_Delete(got);

        /* a fatal error drops the warnings (§9 #35) */
        {
                SpycloudError e = {};
                cJSON *body = NULL;

                CU_ASSERT_EQUAL(spycloud_answer_parse(500, "", 0, &body, &e), -EIO);
                got = response_of(r, &e);
                want = pj("[{'code':'internal error','message':'The Spycloud internal error.','type':'fatal'}]");
                json_equal("fatal", cJSON_GetObjectItem(got, "errors"), want);
                CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(got, "data"), "sightings"),
                                                    "count")->valueint, 8);
                cJSON_Delete(want);
                cJSON_Delete(got);
                spycloud_error_done(&e);
        }
        spycloud_result_free(r);
}

/* ---- the sighting and indicator fields ------------------------------------------------------------------ */

static const char *severity_for(const char *record_extra, const char *catalog_extra)
{
        static char out[32];
        _cleanup_free_ char *rec = xasprintf("{'results':[{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z'%s%s}]}",
                                             *record_extra ? "," : "", record_extra);
        _cleanup_free_ char *c1 = catalog(1, catalog_extra);
        const Cat cats[] = { { 1, c1 } };
        SpycloudResult *r = run1("a@b", rec, cats, 1, 100);
        cJSON *got = response_of(r, NULL);

        snprintf(out, sizeof(out), "%s", sighting_str(got, 0, "severity") ? sighting_str(got, 0, "severity") : "(none)");
        cJSON_Delete(got);
        spycloud_result_free(r);
        return out;
}

static void test_severity(void)
{
        static const struct {
                const char *record, *catalog, *want;
        } cases[] = {
                { "'severity':0", NULL, "Low" },
                { "'severity':2", NULL, "Low" },
                { "'severity':2.5", NULL, "Unknown" },
                { "'severity':3", NULL, "Medium" },
                { "'severity':5", NULL, "Medium" },
                { "'severity':5.5", NULL, "Unknown" },
                { "'severity':6", NULL, "High" },
                { "'severity':6.5", NULL, "High" },
                { "'severity':20", NULL, "High" },
                { "'severity':25", NULL, "High" },
                { "'severity':25.5", NULL, "Unknown" },
                { "'severity':26", NULL, "Unknown" },
                { "'severity':30", NULL, "Unknown" },
                { "'severity':-1", NULL, "Unknown" },
                { "'severity':-0.5", NULL, "Unknown" },
                { "", NULL, "Unknown" },                        /* upstream: HTTP 500 */
                { "'severity':null", NULL, "Unknown" },
                { "'severity':'5'", NULL, "Unknown" },
                { "'severity':[5]", NULL, "Unknown" },
                { "'severity':true", NULL, "Low" },             /* Python: True == 1 */
                { "'severity':25", "'combo_list_flag':true", "Medium" },
                { "'severity':2", "'combo_list_flag':1", "Medium" },
                { "", "'combo_list_flag':'yes'", "Medium" },
                { "'severity':25", "'combo_list_flag':false", "High" },
                { "'severity':25", "'combo_list_flag':0", "High" },
                { "'severity':25", "'combo_list_flag':''", "High" },
        };

        for (size_t i = 0; i < ELEMENTS(cases); i++) {
                const char *got = severity_for(cases[i].record, cases[i].catalog);

                if (strcmp(got, cases[i].want) != 0)
                        printf("# severity {%s} {%s}: got %s, want %s\n", cases[i].record,
                               cases[i].catalog ? cases[i].catalog : "", got, cases[i].want);
                CU_ASSERT_STRING_EQUAL(got, cases[i].want);
        }
        /* an empty catalog: no combo flag, the record decides */
        {
                const Cat cats[] = { { 1, NULL } };
                SpycloudResult *r = run1("a@b", "{'results':[{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z',"
                                         "'severity':4}]}", cats, 1, 100);
                cJSON *got = response_of(r, NULL);

                CU_ASSERT_STRING_EQUAL(sighting_str(got, 0, "severity"), "Medium");
                cJSON_Delete(got);
                spycloud_result_free(r);
        }
}

static const char *confidence_for(const char *conf)
{
        static char out[32];
        _cleanup_free_ char *c = xasprintf("{'results':[{'id':1,'uuid':'u','title':'T','description':'D',"
                                           "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{}%s%s}]}",
                                           conf ? ",'confidence':" : "", conf ? conf : "");
        const Cat cats[] = { { 1, c } };
        SpycloudResult *r = run1("a@b", "{'results':[{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z'}]}",
                                 cats, 1, 100);
        cJSON *got = response_of(r, NULL);

        snprintf(out, sizeof(out), "%s", indicator_str(got, 0, "confidence") ? indicator_str(got, 0, "confidence") : "(none)");
        cJSON_Delete(got);
        spycloud_result_free(r);
        return out;
}

static void test_confidence(void)
{
        static const struct {
                const char *conf, *want;
        } cases[] = {
                { "1", "High" }, { "2", "Medium" }, { "3", "Low" }, { "1.0", "High" }, { "0", "Low" },
                { "null", "Low" }, { "false", "Low" }, { "''", "Low" }, { "true", "High" },
                { "4", "Unknown" }, { "-1", "Unknown" }, { "1.5", "Unknown" }, { "'1'", "Unknown" },
                { "[1]", "Unknown" }, { NULL, "Unknown" },
        };

        for (size_t i = 0; i < ELEMENTS(cases); i++) {
                const char *got = confidence_for(cases[i].conf);

                if (strcmp(got, cases[i].want) != 0)
                        printf("# confidence %s: got %s, want %s\n", cases[i].conf ? cases[i].conf : "(absent)", got,
                               cases[i].want);
                CU_ASSERT_STRING_EQUAL(got, cases[i].want);
        }
}

static void test_sighting_fields(void)
{
        const char *breach =
                "{'results':["
                /* data: record key order, ignored keys dropped, raw values,
                 * duplicate keys as a Python dict (first place, last value) */
                "{'z':1,'source_id':5,'domain':'d','a':[1,'x'],'spycloud_publish_date':'2020-01-05T00:00:00Z',"
                "'b':{'k':null},'email_username':'u','z':'last','document_id':'doc','sighting':7,"
                "'infected_machine_id':'m','email_domain':'e','severity':2,'n':2.5,'nil':null,'t':true},"
                /* source_id 0 is falsy: not in external_ids; empty or non-string ids left out */
                "{'source_id':0,'spycloud_publish_date':'2020-01-04T00:00:00Z','document_id':'',"
                "'infected_machine_id':17,'sighting':0},"
                /* count: only a positive integer */
                "{'source_id':6,'spycloud_publish_date':'2020-01-03T00:00:00Z','sighting':-3},"
                "{'source_id':6,'spycloud_publish_date':'2020-01-02T00:00:00Z','sighting':'4'},"
                "{'source_id':7,'spycloud_publish_date':'2020-01-01T00:00:00Z','sighting':true}]}";
        const Cat cats[] = {
                { 5, "{'results':[{'id':5,'uuid':'u5','title':'Five','site':'leak.example','description':'D',"
                     "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{}}]}" },
                { 0, "{'results':[{'id':0,'uuid':'u0','title':'Zero','site':'n/a',"
                     "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{}}]}" },
                { 6, "{'results':[{'id':6,'uuid':'u6','title':'Six','site':'',"
                     "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{}}]}" },
                { 7, "{'results':[{'id':7,'title':7,'site':7,'uuid':7,"
                     "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{}}]}" },
        };
        SpycloudResult *r = run1("Mixed.Case@Example.org", breach, cats, ELEMENTS(cats), 100);
        cJSON *got = response_of(r, NULL), *s, *want;

        CU_ASSERT_EQUAL_FATAL(spycloud_result_sightings(r), 5u);
        s = cJSON_GetArrayItem(docs(got, "sightings"), 0);
        want = pj("{'columns':[{'name':'z','type':'string'},{'name':'a','type':'string'},{'name':'b','type':'string'},"
                  "{'name':'n','type':'string'},{'name':'nil','type':'string'},{'name':'t','type':'string'}],"
                  "'rows':[['last',[1,'x'],{'k':null},2.5,null,true]]}");
        json_equal("data", cJSON_GetObjectItem(s, "data"), want);
        cJSON_Delete(want);
        want = pj("['doc','5','m']");
        json_equal("external_ids", cJSON_GetObjectItem(s, "external_ids"), want);
        cJSON_Delete(want);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "count")->valueint, 7);
        want = pj("[{'origin':'Spycloud Breach Module','related':{'type':'domain','value':'leak.example'},"
                  "'relation':'Leaked_From','source':{'type':'email','value':'Mixed.Case@Example.org'}}]");
        json_equal("relations", cJSON_GetObjectItem(s, "relations"), want);
        cJSON_Delete(want);
        want = pj("[{'observables':[{'type':'email','value':'Mixed.Case@Example.org'}],"
                  "'observed_time':{'end_time':'2020-01-05T00:00:00.000000Z','start_time':'2020-01-05T00:00:00.000000Z'},"
                  "'type':'email'}]");
        json_equal("targets", cJSON_GetObjectItem(s, "targets"), want);
        cJSON_Delete(want);
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 0, "source_uri"), "https://portal.spycloud.com/breach/catalog/u5");
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 0, "severity"), "Low");
        CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(s, "internal")));

        s = cJSON_GetArrayItem(docs(got, "sightings"), 1);
        want = pj("[]");
        json_equal("external_ids of source 0", cJSON_GetObjectItem(s, "external_ids"), want);
        json_equal("relations n/a", cJSON_GetObjectItem(s, "relations"), want);
        json_equal("relations ''", cJSON_GetObjectItem(cJSON_GetArrayItem(docs(got, "sightings"), 2), "relations"), want);
        json_equal("relations 7", cJSON_GetObjectItem(cJSON_GetArrayItem(docs(got, "sightings"), 4), "relations"), want);
        cJSON_Delete(want);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(s, "count")->valueint, 1);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(docs(got, "sightings"), 2), "count")->valueint, 1);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(docs(got, "sightings"), 3), "count")->valueint, 1);
        CU_ASSERT_EQUAL(cJSON_GetObjectItem(cJSON_GetArrayItem(docs(got, "sightings"), 4), "count")->valueint, 1);
        /* a title or uuid of the wrong type: as absent */
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 4, "description"), "Present in breach");
        CU_ASSERT_PTR_NULL(sighting_str(got, 4, "source_uri"));
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 1, "description"), "Present in Zero");
        cJSON_Delete(got);
        spycloud_result_free(r);
}

static void test_indicator_fields(void)
{
        const char *breach = "{'results':[{'source_id':1,'spycloud_publish_date':'2020-01-02T00:00:00Z'},"
                             "{'source_id':2,'spycloud_publish_date':'2020-01-01T00:00:00Z'},"
                             "{'source_id':3,'spycloud_publish_date':'2019-01-01T00:00:00Z'},"
                             "{'source_id':4,'spycloud_publish_date':'2018-01-01T00:00:00Z'},"
                             "{'source_id':16579,'spycloud_publish_date':'2017-01-01T00:00:00Z'}]}";
        const Cat cats[] = {
                /* everything, site references, duplicate asset keys */
                { 1, "{'results':[{'id':1,'uuid':'u1','title':'T','description':'D','site':'s.example',"
                     "'site_description':'SD','confidence':2,'spycloud_publish_date':'2020-01-01T10:00:00.25+01:00',"
                     "'assets':{'b':1,'a':2,'b':3},'type':'PUBLIC','num_records':5}]}" },
                /* nothing optional: no site, no uuid, no description, assets a list */
                { 2, "{'results':[{'id':2,'title':'T2','spycloud_publish_date':'2020-01-01T00:00:00Z','assets':['x']}]}" },
                /* an unusable date: the indicator is left out, the sighting kept */
                { 3, "{'results':[{'id':3,'title':'T3','spycloud_publish_date':'yesterday','assets':{}}]}" },
                /* an id that is not the source_id, and one that is not an integer */
                { 4, "{'results':[{'id':'four','title':'T4','spycloud_publish_date':'2020-01-01T00:00:00Z'}]}" },
                { 16579, "{'results':[{'id':16579,'uuid':'','description':'','site':'x','site_description':'',"
                         "'spycloud_publish_date':'2020-01-01T00:00:00Z','assets':{}}]}" },
        };
        SpycloudResult *r = run1("a@b", breach, cats, ELEMENTS(cats), 100);
        cJSON *got = response_of(r, NULL), *want;

        CU_ASSERT_EQUAL(spycloud_result_sightings(r), 5u);
        CU_ASSERT_EQUAL_FATAL(spycloud_result_indicators(r), 4u);
        want = pj("[{'confidence':'Medium','description':'D','external_ids':['1','u1'],"
                  "'external_references':[{'description':'SD','source_name':'Spycloud','url':'s.example'},"
                  "{'description':'D','external_id':'u1','source_name':'Spycloud',"
                  "'url':'https://portal.spycloud.com/breach/catalog/u1'}],"
                  "'id':'transient:indicator-bf9fe6a8-d443-517f-aab9-8645942df035','producer':'Spycloud',"
                  "'schema_version':'1.0.17','short_description':'T','tags':['b','a'],'title':'T','type':'indicator',"
                  "'valid_time':{'start_time':'2020-01-01T09:00:00.250000Z'}},"
                  "{'confidence':'Unknown','external_ids':['2'],'external_references':[],"
                  "'id':'transient:indicator-530f69e1-a566-51d7-9d91-eb616ae0008e','producer':'Spycloud',"
                  "'schema_version':'1.0.17','short_description':'T2','tags':[],'title':'T2','type':'indicator',"
                  "'valid_time':{'start_time':'2020-01-01T00:00:00.000000Z'}},"
                  "{'confidence':'Unknown','external_ids':['4'],'external_references':[],"
                  "'id':'transient:indicator-d65c6038-82f8-5ba0-b49e-3068f0374868','producer':'Spycloud',"
                  "'schema_version':'1.0.17','short_description':'T4','tags':[],'title':'T4','type':'indicator',"
                  "'valid_time':{'start_time':'2020-01-01T00:00:00.000000Z'}},"
                  "{'confidence':'Unknown','description':'','external_ids':['16579',''],'external_references':[],"
                  "'id':'transient:indicator-fc31c7f0-a5f9-5f33-82ba-a84875505d76','producer':'Spycloud',"
                  "'schema_version':'1.0.17','tags':[],'type':'indicator',"
                  "'valid_time':{'start_time':'2020-01-01T00:00:00.000000Z'}}]");
        json_equal("indicators", docs(got, "indicators"), want);
        cJSON_Delete(want);
        CU_ASSERT_STRING_EQUAL(sighting_str(got, 2, "description"), "Present in T3");
        CU_ASSERT_TRUE(notes_contain(r, "catalog 3: spycloud_publish_date: 'yesterday' is not an RFC 3339 "
                                        "date-time, indicator left out"));
        CU_ASSERT_TRUE(notes_contain(r, "catalog 2: assets: expected an object, got a list, no tags"));
        CU_ASSERT_TRUE(notes_contain(r, "catalog 4: id: expected an integer, got 'four', using the source_id"));
        CU_ASSERT_TRUE(notes_contain(r, "catalog 4: assets: missing, no tags"));
        CU_ASSERT_EQUAL(spycloud_result_warnings(r), 0u);
        cJSON_Delete(got);
        spycloud_result_free(r);

        /* a catalog answering with another id: the indicator takes it */
        {
                const Cat other[] = { { 1, "{'results':[{'id':17551,'title':'X','spycloud_publish_date':"
                                           "'2020-01-01T00:00:00Z'}]}" } };
                r = run1("a@b", "{'results':[{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z'}]}",
                         other, 1, 100);
                got = response_of(r, NULL);
                CU_ASSERT_STRING_EQUAL(indicator_str(got, 0, "id"),
                                       "transient:indicator-5dc84da0-3f5f-5d29-a58f-4c735c6fe393");
                CU_ASSERT_TRUE(notes_contain(r, "catalog 1: id is 17551, the indicator takes that id"));
                cJSON_Delete(got);
                spycloud_result_free(r);
        }
}

/* ---- empty and hostile answers ---------------------------------------------------------------------------- */

static void test_empty(void)
{
        static const char *const bodies[] = {
                NULL, "null", "{}", "[]", "''", "0", "false", "{'results':[]}", "{'results':null}",
                "{'cursor':'','hits':0}",
        };

        for (size_t i = 0; i < ELEMENTS(bodies); i++) {
                SpycloudResult *r = run1("a@b", bodies[i], NULL, 0, 100);
                cJSON *got = response_of(r, NULL), *want = pj("{'data':{}}");

                json_equal(bodies[i] ? bodies[i] : "(400)", got, want);
                cJSON_Delete(got);
                cJSON_Delete(want);
                spycloud_result_free(r);
        }
        /* an empty result with a fatal error: no data key at all */
        {
                SpycloudResult *r = spycloud_result_new();
                SpycloudError e = {};
                cJSON *got, *want;
                char *text = NULL;

                spycloud_error_unauthorized(&e);
                got = response_of(r, &e);
                want = pj("{'errors':[{'code':'authorization error','message':'Authorization failed: Unauthorized',"
                          "'type':'fatal'}]}");
                json_equal("fatal only", got, want);
                CU_ASSERT_EQUAL(ctim_json_print(got, CTIM_JSON_NEWLINE, &text, NULL), 0);
                CU_ASSERT_STRING_EQUAL(text, "{\"errors\":[{\"code\":\"authorization error\",\"message\":"
                                             "\"Authorization failed: Unauthorized\",\"type\":\"fatal\"}]}\n");
                free(text);
                cJSON_Delete(got);
                cJSON_Delete(want);
                spycloud_error_done(&e);
                spycloud_error_done(NULL);
                /* nothing added: nothing to say */
                CU_ASSERT_EQUAL(spycloud_result_add(r, "a@b", NULL, NULL, NULL), 0);
                CU_ASSERT_EQUAL(spycloud_result_sightings(r), 0u);
                spycloud_result_free(r);
                spycloud_result_free(NULL);
        }
}

static void breach_bad(const char *json, const char *want)
{
        cJSON *body = pj(json);
        SpycloudBreach *b = NULL;
        SpycloudError e = {};

        CU_ASSERT_EQUAL(spycloud_breach_new(body, 100, &b, &e), -EBADMSG);
        CU_ASSERT_PTR_NULL(b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e.message);
        CU_ASSERT_STRING_EQUAL(e.code, "unknown");
        if (strcmp(e.message, want) != 0)
                printf("# breach %s: got '%s', want '%s'\n", json, e.message, want);
        CU_ASSERT_STRING_EQUAL(e.message, want);
        spycloud_error_done(&e);
        cJSON_Delete(body);
}

static void test_hostile_breach(void)
{
        SpycloudBreach *b = NULL;
        SpycloudError e = {};
        cJSON *body;
        const char *const *notes;
        size_t n;

        breach_bad("'Bad gateway'", "Unexpected response from Spycloud: expected an object, got a string");
        breach_bad("[1]", "Unexpected response from Spycloud: expected an object, got a list");
        breach_bad("5", "Unexpected response from Spycloud: expected an object, got a number");
        breach_bad("true", "Unexpected response from Spycloud: expected an object, got a boolean");
        breach_bad("{'results':'x'}", "Unexpected response from Spycloud: results: expected a list, got a string");
        breach_bad("{'results':{}}", "Unexpected response from Spycloud: results: expected a list, got an object");
        breach_bad("{'results':[],'results':7}", "Unexpected response from Spycloud: results: expected a list, got a number");

        /* bad records are dropped one by one, each with a precise note */
        body = pj("{'results':[1,'a',null,[],{},{'source_id':'1','spycloud_publish_date':'2020-01-01T00:00:00Z'},"
                  "{'source_id':1.5,'spycloud_publish_date':'2020-01-01T00:00:00Z'},"
                  "{'source_id':true,'spycloud_publish_date':'2020-01-01T00:00:00Z'},"
                  "{'source_id':1e300,'spycloud_publish_date':'2020-01-01T00:00:00Z'},"
                  "{'source_id':1,'spycloud_publish_date':'2020-02-30T00:00:00Z'},"
                  "{'source_id':-9007199254740992,'spycloud_publish_date':'2020-01-01T00:00:00Z'}]}");
        CU_ASSERT_EQUAL_FATAL(spycloud_breach_new(body, 100, &b, &e), 0);
        CU_ASSERT_EQUAL(spycloud_breach_count(b), 1u);
        n = spycloud_breach_notes(b, &notes);
        CU_ASSERT_EQUAL_FATAL(n, 10u);
        CU_ASSERT_STRING_EQUAL(notes[0], "results[0]: expected an object, got a number, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[1], "results[1]: expected an object, got a string, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[2], "results[2]: expected an object, got null, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[3], "results[3]: expected an object, got a list, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[4], "results[4]: source_id: missing, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[5], "results[5]: source_id: expected an integer, got '1', record skipped");
        CU_ASSERT_STRING_EQUAL(notes[6], "results[6]: source_id: expected an integer, got 1.5, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[7], "results[7]: source_id: expected an integer, got true, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[8], "results[8]: source_id: expected an integer, got 1e+300, record skipped");
        CU_ASSERT_STRING_EQUAL(notes[9], "results[9]: spycloud_publish_date: '2020-02-30T00:00:00Z' is not an "
                                         "RFC 3339 date-time, record skipped");
        CU_ASSERT_PTR_NULL(notes[10]);
        spycloud_breach_free(b);
        cJSON_Delete(body);

        /* notes are capped; a long value is cut */
        {
                char *list = xstrdup("");
                char big[300];

                memset(big, 'x', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                for (int i = 0; i < 100; i++) {
                        char *t = xasprintf("%s%s{'source_id':1,'spycloud_publish_date':'%s'}", list, i ? "," : "", big);
                        free(list);
                        list = t;
                }
                {
                        char *t = xasprintf("{'results':[%s]}", list);
                        free(list);
                        body = pj(t);
                        free(t);
                }
                CU_ASSERT_EQUAL_FATAL(spycloud_breach_new(body, 100, &b, &e), 0);
                CU_ASSERT_EQUAL(spycloud_breach_count(b), 0u);
                n = spycloud_breach_notes(b, &notes);
                CU_ASSERT_EQUAL_FATAL(n, 33u);
                CU_ASSERT_STRING_EQUAL(notes[32], "further notes suppressed");
                CU_ASSERT_TRUE(strlen(notes[0]) < 200);
                CU_ASSERT_PTR_NOT_NULL(strstr(notes[0], "xxx...'"));
                spycloud_breach_free(b);
                cJSON_Delete(body);
        }
        spycloud_breach_free(NULL);
        CU_ASSERT_EQUAL(spycloud_breach_count(NULL), 0u);
}

static void test_hostile_catalog(void)
{
        static const struct {
                const char *body, *note;
        } cases[] = {
                { "[]", "catalog 1: expected an object, got a list, taken as empty" },
                { "'x'", "catalog 1: expected an object, got a string, taken as empty" },
                { "{'results':'x'}", "catalog 1: results: expected a list, got a string, taken as empty" },
                { "{'results':[5]}", "catalog 1: results[0]: expected an object, got a number, taken as empty" },
                { "{'results':[{}]}", NULL },
                { "{'results':[]}", NULL },
                { "{}", NULL },
                { "{'results':null}", NULL },
        };

        for (size_t i = 0; i < ELEMENTS(cases); i++) {
                const Cat cats[] = { { 1, cases[i].body } };
                SpycloudResult *r = run1("a@b", "{'results':[{'source_id':1,'spycloud_publish_date':'2020-01-01T00:00:00Z'}]}",
                                         cats, 1, 100);
                const char *const *w;

                CU_ASSERT_EQUAL(spycloud_result_sightings(r), 1u);
                CU_ASSERT_EQUAL(spycloud_result_indicators(r), 0u);
                CU_ASSERT_EQUAL_FATAL(spycloud_result_warning_messages(r, &w), 1u);
                CU_ASSERT_STRING_EQUAL(w[0], "SpyCloud did not return results for 1");
                if (cases[i].note)
                        CU_ASSERT_TRUE(notes_contain(r, cases[i].note));
                spycloud_result_free(r);
        }

        /* a later put replaces the earlier one */
        {
                SpycloudCatalogs *c = spycloud_catalogs_new();
                cJSON *good = pj(catalog_17551), *bad = pj("[]");

                CU_ASSERT_FALSE(spycloud_catalogs_has(c, 17551));
                CU_ASSERT_FALSE(spycloud_catalogs_has(NULL, 17551));
                spycloud_catalogs_put(c, 17551, bad);
                spycloud_catalogs_put(c, 3, NULL);
                spycloud_catalogs_put(c, -3, NULL);
                spycloud_catalogs_put(c, 17551, good);
                CU_ASSERT_TRUE(spycloud_catalogs_has(c, 17551));
                CU_ASSERT_TRUE(spycloud_catalogs_has(c, 3));
                CU_ASSERT_TRUE(spycloud_catalogs_has(c, -3));
                CU_ASSERT_FALSE(spycloud_catalogs_has(c, 4));
                cJSON_Delete(good);
                cJSON_Delete(bad);
                spycloud_catalogs_free(c);
                spycloud_catalogs_free(NULL);
        }
}

/* ---- statuses (§8.3) ---------------------------------------------------------------------------------------- */

static void answer(long status, const char *body, int want_r, const char *want_code, const char *want_message)
{
        cJSON *json = NULL;
        SpycloudError e = {};
        int r = spycloud_answer_parse(status, body, body ? strlen(body) : 0, &json, &e);

        if (r != want_r)
                printf("# status %ld '%s': got %d, want %d\n", status, body ? body : "(null)", r, want_r);
        CU_ASSERT_EQUAL(r, want_r);
        if (r == SPYCLOUD_ANSWER_BODY) {
                CU_ASSERT_PTR_NOT_NULL(json);
        } else {
                CU_ASSERT_PTR_NULL(json);
        }
        if (r < 0) {
                CU_ASSERT_PTR_NOT_NULL_FATAL(e.message);
                CU_ASSERT_STRING_EQUAL(e.code, want_code);
                if (strcmp(e.message, want_message) != 0)
                        printf("# status %ld: got '%s', want '%s'\n", status, e.message, want_message);
                CU_ASSERT_STRING_EQUAL(e.message, want_message);
        } else {
                CU_ASSERT_PTR_NULL(e.message);
        }
        cJSON_Delete(json);
        spycloud_error_done(&e);
}

static void test_answers(void)
{
        static const char too_many[] = "Too many requests have been made to Spycloud. Please, try again later.";
        char big[3000];
        cJSON *json = NULL;
        SpycloudError e = {};

        answer(200, "{\"cursor\":\"\",\"hits\":0,\"results\":[]}", SPYCLOUD_ANSWER_BODY, NULL, NULL);
        answer(200, " \r\n[1] \t", SPYCLOUD_ANSWER_BODY, NULL, NULL);
        answer(200, "\xef\xbb\xbf{}", SPYCLOUD_ANSWER_BODY, NULL, NULL);
        answer(203, "null", SPYCLOUD_ANSWER_BODY, NULL, NULL);
        answer(304, "{}", SPYCLOUD_ANSWER_BODY, NULL, NULL);            /* requests' response.ok */
        answer(200, "<html>", -EBADMSG, "unknown", "Unexpected response from Spycloud: the body is not JSON");
        answer(200, "", -EBADMSG, "unknown", "Unexpected response from Spycloud: the body is not JSON");
        answer(200, NULL, -EBADMSG, "unknown", "Unexpected response from Spycloud: the body is not JSON");
        answer(200, "{} x", -EBADMSG, "unknown", "Unexpected response from Spycloud: the body is not JSON");
        answer(200, "\x01{}", -EBADMSG, "unknown", "Unexpected response from Spycloud: the body is not JSON");
        answer(400, "{\"message\":\"Bad Request\"}", SPYCLOUD_ANSWER_EMPTY, NULL, NULL);
        answer(400, "garbage", SPYCLOUD_ANSWER_EMPTY, NULL, NULL);
        answer(401, "{\"message\":\"Unauthorized\"}", -EACCES, "authorization error", "Authorization failed: Unauthorized");
        answer(403, "{\"message\":\"Forbidden\"}", -EACCES, "authorization error", "Authorization failed: Forbidden");
        answer(403, "{\"message\":\"Key expired\",\"message\":\"Quota\"}", -EACCES, "authorization error",
               "Authorization failed: Quota");
        /* without a usable message: the reason phrase (§9 #40) */
        answer(401, "", -EACCES, "authorization error", "Authorization failed: Unauthorized");
        answer(401, "<html>", -EACCES, "authorization error", "Authorization failed: Unauthorized");
        answer(401, "{}", -EACCES, "authorization error", "Authorization failed: Unauthorized");
        answer(401, "{\"message\":null}", -EACCES, "authorization error", "Authorization failed: Unauthorized");
        answer(401, "{\"message\":\"\"}", -EACCES, "authorization error", "Authorization failed: Unauthorized");
        answer(403, "[\"message\"]", -EACCES, "authorization error", "Authorization failed: Forbidden");
        answer(403, "{\"message\":5}", -EACCES, "authorization error", "Authorization failed: 5");
        answer(403, "{\"message\":{\"a\":true}}", -EACCES, "authorization error", "Authorization failed: {'a': True}");
        answer(404, "{\"message\":\"Not Found\"}", -ENOENT, "not found", "The Spycloud not found.");
        answer(404, NULL, -ENOENT, "not found", "The Spycloud not found.");
        answer(429, "{\"message\":\"Too Many Requests\"}", -EAGAIN, "too many requests", too_many);
        answer(500, "{\"message\":\"Internal server error\"}", -EIO, "internal error", "The Spycloud internal error.");
        /* any other: Python's str() of the JSON body, or the text (§9 #41) */
        answer(502, "{\"message\":\"Bad gateway\"}", -EPROTO, "unknown", "{'message': 'Bad gateway'}");
        answer(503, "{\"message\": \"it's down\", \"retry\": [1, 2.5, null]}", -EPROTO, "unknown",
               "{'message': \"it's down\", 'retry': [1, 2.5, None]}");
        answer(502, "\"Bad gateway\"", -EPROTO, "unknown", "Bad gateway");
        answer(502, "  <html>Bad gateway</html>\n", -EPROTO, "unknown", "<html>Bad gateway</html>");
        answer(504, "", -EPROTO, "unknown", "Something went wrong.");
        answer(504, "\"\"", -EPROTO, "unknown", "Something went wrong.");
        answer(0, NULL, -EPROTO, "unknown", "Something went wrong.");
        answer(99, "x", -EPROTO, "unknown", "x");
        answer(600, "{}", -EPROTO, "unknown", "{}");
        answer(-1, "null", -EPROTO, "unknown", "None");

        /* a long body is cut at 1024 bytes, on a character boundary */
        memset(big, 'a', sizeof(big));
        memcpy(big + 1023, "\xc3\xa9", 2);
        CU_ASSERT_EQUAL(spycloud_answer_parse(502, big, sizeof(big), &json, &e), -EPROTO);
        CU_ASSERT_EQUAL(strlen(e.message), 1023u + 3u);
        CU_ASSERT_EQUAL(strcmp(e.message + 1023, "..."), 0);
        spycloud_error_done(&e);
        /* a long 401 message, too */
        {
                char *msg = xmalloc(3000 + 20);

                strcpy(msg, "{\"message\":\"");
                memset(msg + 12, 'm', 2000);
                strcpy(msg + 2012, "\"}");
                CU_ASSERT_EQUAL(spycloud_answer_parse(401, msg, strlen(msg), &json, &e), -EACCES);
                CU_ASSERT_EQUAL(strlen(e.message), 1024u + 3u);
                CU_ASSERT_EQUAL(strncmp(e.message, "Authorization failed: mmm", 25), 0);
                spycloud_error_done(&e);
                free(msg);
        }
        /* a body with a NUL: the text before it */
        CU_ASSERT_EQUAL(spycloud_answer_parse(502, "ab\0cd", 5, &json, &e), -EPROTO);
        CU_ASSERT_STRING_EQUAL(e.message, "ab");
        spycloud_error_done(&e);
        CU_ASSERT_EQUAL(spycloud_answer_parse(200, "{}\0{}", 5, &json, &e), -EBADMSG);
        spycloud_error_done(&e);
}

static void test_transport_errors(void)
{
        SpycloudError e = {};

        spycloud_error_tls("self signed certificate", &e);
        CU_ASSERT_STRING_EQUAL(e.code, "unknown");
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to verify SSL certificate: self signed certificate");
        spycloud_error_done(&e);
        spycloud_error_connect("https://api.spycloud.io/enterprise-v2/breach/data/emails/a@b", &e);
        CU_ASSERT_STRING_EQUAL(e.code, "connection error");
        CU_ASSERT_STRING_EQUAL(e.message,
                               "Unable to connect to Spycloud: https://api.spycloud.io/enterprise-v2/breach/data/emails/a@b");
        spycloud_error_done(&e);
        spycloud_error_unauthorized(&e);
        CU_ASSERT_STRING_EQUAL(e.code, "authorization error");
        CU_ASSERT_STRING_EQUAL(e.message, "Authorization failed: Unauthorized");
        spycloud_error_done(&e);
        spycloud_error_tls(NULL, &e);
        CU_ASSERT_STRING_EQUAL(e.message, "Unable to verify SSL certificate: ");
        spycloud_error_done(&e);
}

/* ---- requests ------------------------------------------------------------------------------------------------- */

static void test_api_key(void)
{
        static const struct {
                const char *key, *want;        /* want NULL: refused */
        } cases[] = {
                { "some_key", "some_key" },
                { "", "" },
                { "ke\ty", "ke\ty" },
                { "key ", "key " },
                { "caf\xc3\xa9", "caf\xe9" },           /* Latin-1 on the wire, as http.client */
                { "\xc3\xbf", "\xff" },
                { "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", NULL },   /* Cyrillic (CCTRI-3436) */
                { "\xe2\x82\xac", NULL },
                { " key", NULL },
                { "\tkey", NULL },
                { "\xc2\xa0key", NULL },
                { "key\r\n", NULL },
                { "k\ney", NULL },
                { "k\x01y", NULL },
                { "k\x7fy", NULL },
                { "k\xffy", NULL },                     /* invalid UTF-8 */
                { "k\xc3", NULL },
                { "\xed\xa0\x80", NULL },               /* a surrogate */
        };

        for (size_t i = 0; i < ELEMENTS(cases); i++) {
                char *v = NULL;
                int r = spycloud_api_key_header(cases[i].key, &v);

                if (cases[i].want) {
                        CU_ASSERT_EQUAL(r, 0);
                        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
                        CU_ASSERT_STRING_EQUAL(v, cases[i].want);
                } else {
                        if (r != -EINVAL)
                                printf("# key %zu accepted\n", i);
                        CU_ASSERT_EQUAL(r, -EINVAL);
                        CU_ASSERT_PTR_NULL(v);
                }
                free(v);
        }
}

static void test_observables(void)
{
        cJSON *in = pj("[{'type':'EMAIL','value':'a@x'},{'type':'email','value':'a@x'},{'type':'email','value':'A@x'},"
                       "{'type':'ip','value':'1.1.1.1'},{'type':'Email','value':'b@x'},{'type':'emails','value':'c@x'},"
                       "{'type':'emai','value':'d@x'},{'type':'email','value':5},{'type':5,'value':'e@x'},[],'email',"
                       "{'type':'eMaIl','value':''},{'type':'email','value':'a@x'}]");
        char **emails = NULL;
        size_t n = spycloud_observables_emails(in, &emails);

        CU_ASSERT_EQUAL_FATAL(n, 4u);
        CU_ASSERT_STRING_EQUAL(emails[0], "a@x");
        CU_ASSERT_STRING_EQUAL(emails[1], "A@x");
        CU_ASSERT_STRING_EQUAL(emails[2], "b@x");
        CU_ASSERT_STRING_EQUAL(emails[3], "");
        CU_ASSERT_PTR_NULL(emails[4]);
        for (size_t i = 0; i < n; i++)
                free(emails[i]);
        free(emails);
        CU_ASSERT_EQUAL(spycloud_observables_emails(in, NULL), 4u);
        cJSON_Delete(in);

        in = pj("{'type':'email','value':'a@x'}");
        CU_ASSERT_EQUAL(spycloud_observables_emails(in, &emails), 0u);
        CU_ASSERT_PTR_NULL(emails[0]);
        free(emails);
        cJSON_Delete(in);
        CU_ASSERT_EQUAL(spycloud_observables_emails(NULL, NULL), 0u);
}

static void test_paths(void)
{
        char *p;

        p = spycloud_path_breach("admin@example.org");
        CU_ASSERT_STRING_EQUAL(p, "breach/data/emails/admin@example.org");
        free(p);
        p = spycloud_path_breach("a+b/c?d#e f%@x.y~_-");
        CU_ASSERT_STRING_EQUAL(p, "breach/data/emails/a%2Bb%2Fc%3Fd%23e%20f%25@x.y~_-");
        free(p);
        p = spycloud_path_breach("\xc3\xa9@x");
        CU_ASSERT_STRING_EQUAL(p, "breach/data/emails/%C3%A9@x");
        free(p);
        p = spycloud_path_breach("");
        CU_ASSERT_STRING_EQUAL(p, "breach/data/emails/");
        free(p);
        p = spycloud_path_catalog(17551);
        CU_ASSERT_STRING_EQUAL(p, "breach/catalog/17551");
        free(p);
        p = spycloud_path_catalog(-5);
        CU_ASSERT_STRING_EQUAL(p, "breach/catalog/-5");
        free(p);
}

void spycloud_map_suite_add(void)
{
        UNIT_SUITE("spycloud_map",
                   UNIT_TEST(test_upstream_success),
                   UNIT_TEST(test_upstream_without_1_catalog),
                   UNIT_TEST(test_upstream_partial_with_fatal),
                   UNIT_TEST(test_snapshots),
                   UNIT_TEST(test_limit),
                   UNIT_TEST(test_sort),
                   UNIT_TEST(test_dedupe),
                   UNIT_TEST(test_missing_catalog_warnings),
                   UNIT_TEST(test_severity),
                   UNIT_TEST(test_confidence),
                   UNIT_TEST(test_sighting_fields),
                   UNIT_TEST(test_indicator_fields),
                   UNIT_TEST(test_empty),
                   UNIT_TEST(test_hostile_breach),
                   UNIT_TEST(test_hostile_catalog),
                   UNIT_TEST(test_answers),
                   UNIT_TEST(test_transport_errors),
                   UNIT_TEST(test_api_key),
                   UNIT_TEST(test_observables),
                   UNIT_TEST(test_paths));
}
