/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "relays/spycloud_map.h"
#include "tests/fuzz/fuzz.h"

/* The SpyCloud mapper (src/relays/spycloud_map.c) and the CTIM printers
 * (src/relays/ctim.c) on arbitrary JSON.
 *
 * Input: NUL-separated segments
 *   0   the CTR_ENTITIES_LIMIT claim, as JSON text (unparsable: absent);
 *   1   the breach/data/emails answer body (status 200; the same bytes are
 *       also classified under every status the relay distinguishes);
 *   2…  the breach/catalog answers, in the order spycloud_breach_catalog_ids()
 *       gives the ids; an empty segment is a 400; ids without a segment are
 *       never put.
 * The breach is checked with the limit, then mapped with at most
 * HEAVY_MAX of its records for two e-mails (the second time it shares the
 * catalogs, as in one request).
 *
 * Invariants:
 *   ctim_entities_limit() ≥ 1;
 *   spycloud_answer_parse(): a body exactly for status < 400, nothing for
 *   400, else an error with a static code and a non-empty message of at
 *   most 1024 bytes plus "...";
 *   the breach keeps at most limit records and as many distinct catalog
 *   ids as it asks for;
 *   every sighting id is transient:sighting-<uuid4>; indicator ids are
 *   unique and equal uuid5(X500, external_ids[0]); one sighting per kept
 *   record per e-mail;
 *   warnings ≤ the catalogs asked for (per e-mail);
 *   the response and the parsed input print (sorted, ensure_ascii) as
 *   printable ASCII that cJSON reads back and prints identically;
 *   ctim_json_pystr() never fails under the nesting limit;
 *   a date that parses formats and parses back to the same instant. */

#define INPUT_MAX 65536
/* The records mapped: the limit, but at most this many (beyond it the
 * mapping repeats the same code per record, and make check replays the
 * corpus with the slow unwinder, where every allocation costs). */
#define HEAVY_MAX 4

static bool printable_ascii(const char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e)
                        return false;
        return true;
}

/* Prints v, checks the text, reads it back and prints it again. */
static void check_print(const cJSON *v)
{
        char *a = NULL, *b = NULL;
        cJSON *back;
        size_t len;
        int r;

        r = ctim_json_print(v, CTIM_JSON_NEWLINE, &a, &len);
        FUZZ_CHECK(r == 0 || r == -ELOOP);
        if (r < 0) {
                FUZZ_CHECK(!a);
                return;
        }
        FUZZ_CHECK(len == strlen(a) && len >= 2 && a[len - 1] == '\n');
        a[len - 1] = '\0';
        FUZZ_CHECK(printable_ascii(a));
        back = cJSON_Parse(a);
        FUZZ_CHECK(back);
        FUZZ_CHECK(ctim_json_print(back, 0, &b, NULL) == 0);
        if (strcmp(a, b) != 0) {
                fprintf(stderr, "print not stable:\n  %s\n  %s\n", a, b);
                abort();
        }
        cJSON_Delete(back);
        free(a);
        free(b);
}

static void check_answer(long status, const char *body, size_t len)
{
        SpycloudError e = {};
        cJSON *json = NULL;
        int r;

        r = spycloud_answer_parse(status, body, len, &json, &e);
        if (status >= 100 && status < 400 && r == SPYCLOUD_ANSWER_BODY) {
                FUZZ_CHECK(json && !e.message);
                cJSON_Delete(json);
                return;
        }
        FUZZ_CHECK(!json);
        if (status == 400) {
                FUZZ_CHECK(r == SPYCLOUD_ANSWER_EMPTY && !e.message);
                return;
        }
        FUZZ_CHECK(r < 0 && e.code && e.message && e.message[0]);
        FUZZ_CHECK(strlen(e.message) <= 1024 + strlen("Authorization failed: ") + 3);
        spycloud_error_done(&e);
}

static void check_result(const SpycloudResult *r, size_t n_records, size_t n_ids)
{
        const cJSON *d, *sightings, *indicators;
        cJSON *resp;
        SpycloudError fatal = {
                .code = CTIM_CODE_INTERNAL,
                .message = (char *) "The Spycloud internal error.",
        };
        const cJSON *data;
        size_t n = 0;

        FUZZ_CHECK(spycloud_result_sightings(r) == 2 * n_records);
        FUZZ_CHECK(spycloud_result_warnings(r) <= 2 * n_ids);

        resp = spycloud_result_response(r, NULL);
        FUZZ_CHECK(resp && cJSON_GetObjectItem(resp, "data"));
        data = cJSON_GetObjectItem(resp, "data");
        sightings = cJSON_GetObjectItem(cJSON_GetObjectItem(data, "sightings"), "docs");
        indicators = cJSON_GetObjectItem(cJSON_GetObjectItem(data, "indicators"), "docs");
        FUZZ_CHECK((size_t) cJSON_GetArraySize(sightings) == spycloud_result_sightings(r));
        FUZZ_CHECK((size_t) cJSON_GetArraySize(indicators) == spycloud_result_indicators(r));
        cJSON_ArrayForEach(d, sightings) {
                const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "id"));
                CtimUuid u;

                FUZZ_CHECK(id && strncmp(id, "transient:sighting-", 19) == 0);
                FUZZ_CHECK(ctim_uuid_parse(id + 19, &u) == 0);
                FUZZ_CHECK(id[19 + 14] == '4');
        }
        cJSON_ArrayForEach(d, indicators) {
                const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(d, "id"));
                const cJSON *ids = cJSON_GetObjectItem(d, "external_ids");
                const char *ext = cJSON_GetStringValue(cJSON_GetArrayItem(ids, 0));
                char *want = NULL;

                FUZZ_CHECK(id && ext);
                FUZZ_CHECK(ctim_transient_id5("indicator", &CTIM_UUID_NAMESPACE_X500, ext, &want) == 0);
                FUZZ_CHECK(strcmp(id, want) == 0);
                free(want);
                for (const cJSON *o = indicators->child; o != d; o = o->next)
                        FUZZ_CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "id")), id) != 0);
                n++;
        }
        check_print(resp);
        cJSON_Delete(resp);

        resp = spycloud_result_response(r, &fatal);
        FUZZ_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(resp, "errors")) == 1);
        FUZZ_CHECK(!!cJSON_GetObjectItem(resp, "data") == (n > 0 || spycloud_result_sightings(r) > 0));
        data = cJSON_GetObjectItem(resp, "data");
        FUZZ_CHECK(!data || cJSON_GetArraySize(data) > 0);
        cJSON_Delete(resp);
}

static void check_time(const char *s)
{
        char t[CTIM_TIME_STRING_SIZE];
        int64_t a, b;

        if (ctim_time_parse(s, &a) < 0)
                return;
        FUZZ_CHECK(a >= CTIM_TIME_MIN_USEC && a <= CTIM_TIME_MAX_USEC);
        FUZZ_CHECK(ctim_time_format(a, CTIM_TIME_MICROSECONDS, t) == 0);
        FUZZ_CHECK(ctim_time_parse(t, &b) == 0 && a == b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* each status class once: a body, none, a message, str() of the body */
        static const long statuses[] = { 200, 400, 403, 502 };
        const char *seg[64];
        size_t seg_len[64], n_seg = 0, start = 0;
        char *text;
        cJSON *claim, *body;
        SpycloudCatalogs *catalogs;
        SpycloudResult *result;
        SpycloudBreach *breach = NULL;
        SpycloudError e = {};
        const int64_t *ids;
        size_t n_ids = 0;
        int64_t limit;
        int r;

        if (size > INPUT_MAX)
                return 0;
        text = fuzz_strndup(data, size);
        for (size_t i = 0; i <= size && n_seg < 64; i++)
                if (i == size || text[i] == '\0') {
                        seg[n_seg] = text + start;
                        seg_len[n_seg++] = i - start;
                        start = i + 1;
                }

        claim = cJSON_Parse(seg[0]);
        limit = ctim_entities_limit(claim);
        FUZZ_CHECK(limit >= 1);
        cJSON_Delete(claim);
        if (n_seg < 2) {
                check_time(seg[0]);
                free(text);
                return 0;
        }

        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
                check_answer(statuses[i], seg[1], seg_len[1]);
        check_time(seg[1]);

        r = spycloud_answer_parse(200, seg[1], seg_len[1], &body, &e);
        if (r < 0) {
                spycloud_error_done(&e);
                free(text);
                return 0;
        }
        check_print(body);
        {
                char *s = ctim_json_pystr(body);
                FUZZ_CHECK(s);
                free(s);
                spycloud_observables_emails(body, NULL);
        }

        r = spycloud_breach_new(body, limit, &breach, &e);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG && !breach && e.message && strcmp(e.code, CTIM_CODE_UNKNOWN) == 0);
                spycloud_error_done(&e);
                cJSON_Delete(body);
                free(text);
                return 0;
        }
        FUZZ_CHECK((int64_t) spycloud_breach_count(breach) <= limit);
        if (limit > HEAVY_MAX) {
                spycloud_breach_free(breach);
                FUZZ_CHECK(spycloud_breach_new(body, HEAVY_MAX, &breach, &e) == 0);
                FUZZ_CHECK(spycloud_breach_count(breach) <= HEAVY_MAX);
        }
        n_ids = spycloud_breach_catalog_ids(breach, &ids);
        FUZZ_CHECK(n_ids <= spycloud_breach_count(breach));
        for (size_t i = 1; i < n_ids; i++)
                for (size_t k = 0; k < i; k++)
                        FUZZ_CHECK(ids[i] != ids[k]);

        catalogs = spycloud_catalogs_new();
        for (size_t i = 0; i < n_ids && 2 + i < n_seg; i++) {
                cJSON *cb = NULL;

                if (seg_len[2 + i] > 0) {
                        r = spycloud_answer_parse(200, seg[2 + i], seg_len[2 + i], &cb, &e);
                        if (r < 0) {
                                spycloud_error_done(&e);
                                continue;
                        }
                }
                spycloud_catalogs_put(catalogs, ids[i], cb);
                FUZZ_CHECK(spycloud_catalogs_has(catalogs, ids[i]));
                cJSON_Delete(cb);
        }

        result = spycloud_result_new();
        FUZZ_CHECK(spycloud_result_add(result, "a@example.org", breach, catalogs, NULL) == 0);
        FUZZ_CHECK(spycloud_result_add(result, "b@example.org", breach, catalogs, NULL) == 0);
        check_result(result, spycloud_breach_count(breach), n_ids);
        {
                const char *const *notes;
                size_t n = spycloud_result_notes(result, &notes);

                FUZZ_CHECK(n <= 33 && !notes[n]);
                for (size_t i = 0; i < n; i++)
                        FUZZ_CHECK(notes[i] && notes[i][0]);
        }

        spycloud_result_free(result);
        spycloud_catalogs_free(catalogs);
        spycloud_breach_free(breach);
        cJSON_Delete(body);
        free(text);
        return 0;
}
