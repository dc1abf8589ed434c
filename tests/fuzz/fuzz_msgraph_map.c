/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "relays/msgraph_map.h"
#include "tests/fuzz/fuzz.h"

/* The Microsoft Graph relay's mappers and query builders
 * (src/relays/msgraph_map.c) on hostile input.
 *
 * Layout: byte 0 picks the mode (modulo 4), byte 1 the observable type
 * (modulo 7, and divided by 7 the position below), byte 2 the limit (0
 * included, 254 stands for -1 and 255 for INT64_MAX); the rest is the
 * payload.  In mode 3 the two low bits of byte 1 pick the call and its
 * other bits with byte 2 the status.  In the mapper modes the payload is
 * "<value>\0<json>" (no NUL: the value is "v" and all of it is JSON).
 *
 *   0  legacy: the JSON as an alerts response ({"value": [...]}; a bare
 *      array is wrapped), and as one alert;
 *   1  hunting: the same with {"results": [...]} (the rows of observable
 *      number byte 2 modulo 4, tagged with Obs) and one row;
 *   2  builders: the payload (up to its first NUL) as the observable value
 *      for the OData filter and path, the KQL literal, the query and body
 *      of that observable alone and of three (the value at position 0, 1
 *      or 2, harmless values of other types around it), and the batch
 *      size; and as JSON to ctim_entities_limit(), whose limit the
 *      builders take; and as tenant, application and secret of a token
 *      request;
 *   3  errors: the payload as a response body (also as a token answer),
 *      and as the TLS reason and the URL of the transport errors.
 *
 * Invariants: every sighting has a "transient:sighting-" id, the requested
 * observable, a time, and prints as JSON; never more sightings than the
 * limit; the path is fully percent-encoded and decodes to the filter; the
 * KQL literal decodes back to the value and every query keeps the
 * structure it has for harmless values, the value only in its own leg's
 * literals; a batch takes 1 to 3 of the three; error messages are valid UTF-8 within
 * MSGRAPH_ERROR_MESSAGE_MAX bytes, with a code. */

/* Deterministic ids, so that a finding replays the same. */
static void fill_counter(void *userdata, void *buf, size_t n)
{
        uint8_t *b = buf;

        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t) ((*(unsigned *) userdata)++ * 131u);
}

static unsigned counter;
static const CtimRandom rnd = { .fill = fill_counter, .userdata = &counter };

static const char *str_at(const cJSON *o, const char *key)
{
        const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

        return cJSON_IsString(j) ? j->valuestring : NULL;
}

static bool utf8_ok(const char *s)
{
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
                if (len == 0)
                        return false;
                for (size_t i = 1; i < len; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                p += len;
        }
        return true;
}

static void check_sighting(const cJSON *s, MsgraphObservable t, const char *value)
{
        const cJSON *obs = cJSON_GetObjectItemCaseSensitive(s, "observables");
        const cJSON *o = cJSON_GetArrayItem(obs, 0);
        const cJSON *time = cJSON_GetObjectItemCaseSensitive(s, "observed_time");
        const char *id = str_at(s, "id");
        char *text;
        cJSON *back;

        FUZZ_CHECK(cJSON_IsObject(s));
        FUZZ_CHECK(id && strncmp(id, "transient:sighting-", 19) == 0 && strlen(id) == 19 + 36);
        FUZZ_CHECK(fuzz_streq(str_at(s, "type"), "sighting"));
        FUZZ_CHECK(cJSON_GetArraySize(obs) == 1);
        FUZZ_CHECK(fuzz_streq(str_at(o, "type"), msgraph_observable_to_string(t)));
        FUZZ_CHECK(fuzz_streq(str_at(o, "value"), value));
        FUZZ_CHECK(str_at(time, "start_time") && str_at(time, "end_time") && str_at(s, "timestamp"));
        FUZZ_CHECK(str_at(s, "confidence") && str_at(s, "severity") && str_at(s, "sensor"));
        FUZZ_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(s, "targets")));
        FUZZ_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(s, "relations")));
        text = cJSON_PrintUnformatted(s);
        FUZZ_CHECK(text);
        back = cJSON_Parse(text);
        FUZZ_CHECK(back);
        cJSON_Delete(back);
        free(text);
}

static void check_list(int r, cJSON *list, MsgraphObservable t, const char *value, int64_t limit)
{
        const cJSON *s;

        if (limit < 1) {
                FUZZ_CHECK(r == -EINVAL);
                return;
        }
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL);
                return;
        }
        FUZZ_CHECK(cJSON_IsArray(list) && cJSON_GetArraySize(list) <= limit);
        cJSON_ArrayForEach(s, list)
                check_sighting(s, t, value);
        cJSON_Delete(list);
}

static void fuzz_mappers(bool legacy, MsgraphObservable t, int64_t limit, int64_t tag, const char *payload,
                         size_t size)
{
        const char *nul = memchr(payload, '\0', size);
        const char *value = nul ? payload : "v", *json = nul ? nul + 1 : payload;
        size_t json_len = nul ? size - (size_t) (nul + 1 - payload) : size;
        const MsgraphPortal portal = { .url = MSGRAPH_PORTAL_DEFAULT, .tenant_id = "tenant" };
        cJSON *j = cJSON_ParseWithLength(json, json_len), *resp = NULL, *list = NULL, *one = NULL;
        size_t skipped = 0;
        int r;

        if (!j)
                return;
        if (cJSON_IsArray(j)) {
                resp = cJSON_CreateObject();
                FUZZ_CHECK(resp);
                cJSON_AddItemReferenceToObject(resp, legacy ? "value" : "results", j);
        }
        if (legacy) {
                r = msgraph_legacy_sightings(t, value, resp ? resp : j, limit, &rnd, &list, &skipped);
                check_list(r, list, t, value, limit);
                r = msgraph_legacy_sighting(t, value, j, &rnd, &one);
        } else {
                r = msgraph_hunting_sightings(t, value, tag, resp ? resp : j, limit, &portal, &rnd, &list, &skipped);
                check_list(r, list, t, value, limit);
                FUZZ_CHECK(msgraph_hunting_sightings(t, value, -1, resp ? resp : j, limit, &portal, &rnd, &list,
                                                     &skipped) == -EINVAL);
                r = msgraph_hunting_sighting(t, value, j, limit % 2 ? &portal : NULL, &rnd, &one);
        }
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EBADMSG);
        FUZZ_CHECK((r == -EINVAL) == !cJSON_IsObject(j));
        if (r == 0) {
                check_sighting(one, t, value);
                cJSON_Delete(one);
        }
        cJSON_Delete(resp);
        cJSON_Delete(j);
}

static int hexval(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The text outside KQL string literals (each replaced by "<>"), or NULL
 * when a literal is malformed; the first max decoded literals go to lits
 * (to free), their number to *n. */
static char *kql_skeleton(const char *q, char **lits, size_t max, size_t *n)
{
        size_t len = strlen(q);
        char *sk = xmalloc(len + 1), *o = sk;

        *n = 0;
        for (const char *p = q; *p;) {
                char *lit, *l;
                char quote;

                if (*p != '"' && *p != '\'') {
                        *o++ = *p++;
                        continue;
                }
                quote = *p++;
                l = lit = xmalloc(len + 1);
                for (; *p != quote; p++) {
                        if (!*p || *p == '\n' || *p == '\r') {
                                free(lit);
                                free(sk);
                                return NULL;
                        }
                        if (*p == '\\') {
                                p++;
                                if (*p == 't')
                                        *l++ = '\t';
                                else if (*p == 'n')
                                        *l++ = '\n';
                                else if (*p == '\\' || *p == '"' || *p == '\'')
                                        *l++ = *p;
                                else {
                                        free(lit);
                                        free(sk);
                                        return NULL;
                                }
                                continue;
                        }
                        *l++ = *p;
                }
                *l = '\0';
                p++;
                *o++ = '<';
                *o++ = '>';
                if (*n < max)
                        lits[(*n)++] = lit;
                else
                        free(lit);
        }
        *o = '\0';
        return sk;
}

/* q (with the value in place of benign's name) has benign's structure:
 * the same text outside literals, the literals that held name (+ a
 * suffix) hold the value (+ the suffix), every other one is unchanged. */
static void check_same_structure(const char *q, const char *benign, const char *name, const char *value)
{
        char *la[64], *lb[64];
        size_t na, nb, nl = strlen(name), vl = strlen(value), holding = 0;
        char *ska = kql_skeleton(q, la, 64, &na), *skb = kql_skeleton(benign, lb, 64, &nb);

        FUZZ_CHECK(ska && skb && strcmp(ska, skb) == 0 && na == nb && na < 64);
        for (size_t i = 0; i < na; i++) {
                if (strncmp(lb[i], name, nl) == 0 && strlen(lb[i]) <= nl + 1) {
                        FUZZ_CHECK(strncmp(la[i], value, vl) == 0 && strcmp(la[i] + vl, lb[i] + nl) == 0);
                        holding++;
                } else
                        FUZZ_CHECK(strcmp(la[i], lb[i]) == 0);
                free(la[i]);
                free(lb[i]);
        }
        FUZZ_CHECK(holding >= 1);
        free(ska);
        free(skb);
}

static void fuzz_builders(MsgraphObservable t, size_t pos, int64_t limit, const char *value)
{
        char *f = NULL, *path = NULL, *lit = NULL, *q = NULL, *qx = NULL, *body = NULL;
        MsgraphHuntingItem three[3], benign[3];
        static const char *const names[3] = { "x0", "x1", "x2" };
        int r, rp, rl, rq;

        r = msgraph_legacy_filter(t, value, &f);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EILSEQ);
        rp = msgraph_legacy_alerts_path(t, value, limit, &path);
        FUZZ_CHECK(limit < 1 ? rp == -EINVAL : rp == r);
        if (rp == 0) {
                const char *start = path + strlen("/security/alerts?$filter="), *end = strstr(path, "&$top=");
                char *dec = xmalloc(strlen(path) + 1), *d = dec;

                FUZZ_CHECK(strncmp(path, "/security/alerts?$filter=", strlen("/security/alerts?$filter=")) == 0);
                FUZZ_CHECK(end && end > start);
                for (const char *p = start; p < end; p++) {
                        if (*p == '%') {
                                int hi = hexval(p[1]), lo = hexval(p[2]);
                                FUZZ_CHECK(hi >= 0 && lo >= 0);
                                *d++ = (char) (hi * 16 + lo);
                                p += 2;
                                continue;
                        }
                        FUZZ_CHECK(strchr("-._~", *p) || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                                   (*p >= '0' && *p <= '9'));
                        *d++ = *p;
                }
                *d = '\0';
                FUZZ_CHECK(fuzz_streq(dec, f));
                free(dec);
        }

        rl = msgraph_kql_string_literal(value, &lit);
        FUZZ_CHECK(rl == 0 || rl == -EILSEQ);
        if (rl == 0) {
                char *lits[1];
                size_t n;
                char *sk = kql_skeleton(lit, lits, 1, &n);
                FUZZ_CHECK(sk && strcmp(sk, "<>") == 0 && n == 1 && strcmp(lits[0], value) == 0);
                free(lits[0]);
                free(sk);
        }
        FUZZ_CHECK(msgraph_hunting_check(t, value) == (!value[0] ? -EINVAL : rl));

        /* the observable alone */
        rq = msgraph_hunting_query(&(MsgraphHuntingItem) { t, value }, 1, limit, &q);
        if (limit < 1 || !value[0])
                FUZZ_CHECK(rq == -EINVAL);
        else
                FUZZ_CHECK(rq == rl);
        if (rq == 0) {
                cJSON *j;

                FUZZ_CHECK(msgraph_hunting_query(&(MsgraphHuntingItem) { t, "x" }, 1, limit, &qx) == 0);
                check_same_structure(q, qx, "x", value);
                FUZZ_CHECK(msgraph_hunting_body(&(MsgraphHuntingItem) { t, value }, 1, limit,
                                                limit % 2 ? "P30D" : NULL, &body) == 0);
                j = cJSON_Parse(body);
                FUZZ_CHECK(j && fuzz_streq(str_at(j, "Query"), q));
                cJSON_Delete(j);
        }
        free(q);
        free(qx);
        free(body);
        q = qx = body = NULL;

        /* among three, at position pos: the other legs and the template stay as they are */
        for (size_t i = 0; i < 3; i++) {
                MsgraphObservable ti = (MsgraphObservable) ((t + 3 * i) % _MSGRAPH_OBSERVABLE_MAX);
                benign[i] = (MsgraphHuntingItem) { ti, names[i] };
                three[i] = (MsgraphHuntingItem) { ti, i == pos ? value : names[i] };
        }
        rq = msgraph_hunting_query(three, 3, limit, &q);
        FUZZ_CHECK(limit < 1 || !value[0] ? rq == -EINVAL : rq == rl);
        if (rq == 0) {
                size_t k = msgraph_hunting_batch(three, 3, limit);

                FUZZ_CHECK(msgraph_hunting_query(benign, 3, limit, &qx) == 0);
                check_same_structure(q, qx, names[pos], value);
                FUZZ_CHECK(k >= 1 && k <= 3);
                FUZZ_CHECK(k == 3 || strlen(q) > MSGRAPH_HUNTING_QUERY_MAX);
        }
        free(f);
        free(path);
        free(lit);
        free(q);
        free(qx);
}

/* Any claim gives a limit the builders take. */
static void fuzz_limit(MsgraphObservable t, const uint8_t *data, size_t size)
{
        cJSON *j = cJSON_ParseWithLength((const char *) data, size);
        int64_t limit = ctim_entities_limit(j);
        char *path = NULL, *q = NULL;

        FUZZ_CHECK(limit >= 1);
        FUZZ_CHECK(msgraph_legacy_alerts_path(t, "v", limit, &path) == 0);
        FUZZ_CHECK(msgraph_hunting_query(&(MsgraphHuntingItem) { t, "v" }, 1, limit, &q) == 0);
        free(path);
        free(q);
        cJSON_Delete(j);
}

static void check_error(const MsgraphError *e)
{
        FUZZ_CHECK(e->code && e->code[0]);
        FUZZ_CHECK(e->message && utf8_ok(e->message) && strlen(e->message) <= MSGRAPH_ERROR_MESSAGE_MAX);
}

static void fuzz_errors(const uint8_t *data, size_t size)
{
        MsgraphCall call = data[1] & 3;
        long status = 100 + (long) (((unsigned) data[1] >> 2 | (unsigned) data[2] << 6) % 900);
        const char *body = (const char *) data + 3;
        size_t len = size - 3;
        _cleanup_free_ char *s = fuzz_strndup(data + 3, len);
        MsgraphError e = { 0 };
        int r;

        r = msgraph_error_from_response(call, status, body, len, &e);
        FUZZ_CHECK(r == 0 || r == 1);
        FUZZ_CHECK((r == 0) == ((status >= 200 && status < 300) ||
                                (status == 404 && (call == MSGRAPH_CALL_ALERTS || call == MSGRAPH_CALL_HEALTH))));
        if (r == 1) {
                check_error(&e);
                msgraph_error_done(&e);
        }
        msgraph_error_tls(s, &e);
        check_error(&e);
        msgraph_error_done(&e);
        msgraph_error_connect(s, &e);
        check_error(&e);
        msgraph_error_done(&e);

        /* the body as a token answer: a token that can go into a header */
        {
                char *token = NULL;
                int64_t expires = -1;

                r = msgraph_token_parse(body, len, &token, &expires);
                FUZZ_CHECK(r == 0 || r == -EBADMSG);
                if (r == 0) {
                        FUZZ_CHECK(token[0] && !strpbrk(token, "\r\n") && utf8_ok(token));
                        FUZZ_CHECK(expires >= 0 && expires <= 86400 * 7);
                        free(token);
                }
        }
}

/* The value as tenant, application and secret of a token request: the
 * URL keeps its shape, the body its four fields. */
static void fuzz_token_request(const char *value)
{
        char *url = NULL, *body = NULL;
        int r = msgraph_token_request("https://login.example", value, value, value, "s", &url, &body);

        FUZZ_CHECK(r == 0 || r == -EILSEQ);
        if (r < 0)
                return;
        FUZZ_CHECK(!strncmp(url, "https://login.example/", 22));
        FUZZ_CHECK(!strchr(url + 22, '/') || !strcmp(strchr(url + 22, '/'), "/oauth2/v2.0/token"));
        FUZZ_CHECK(!strpbrk(url, "?# \r\n"));
        {
                size_t amps = 0;
                for (const char *p = body; *p; p++)
                        amps += *p == '&';
                FUZZ_CHECK(amps == 3 && !strpbrk(body, " \r\n#"));
        }
        free(url);
        free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        MsgraphObservable t;
        int64_t limit;

        if (size < 3)
                return 0;
        t = (MsgraphObservable) (data[1] % _MSGRAPH_OBSERVABLE_MAX);
        /* 0 and negative limits are refused; 255 stands for "huge" */
        limit = data[2] == 255 ? INT64_MAX : data[2] == 254 ? -1 : data[2];
        switch (data[0] % 4) {
        case 0:
        case 1: {
                _cleanup_free_ char *payload = xmalloc(size - 3 + 1);
                memcpy(payload, data + 3, size - 3);
                payload[size - 3] = '\0';
                fuzz_mappers(data[0] % 4 == 0, t, limit, data[2] % 4, payload, size - 3);
                break;
        }
        case 2: {
                _cleanup_free_ char *value = fuzz_strndup(data + 3, size - 3);
                fuzz_builders(t, (size_t) (data[1] / _MSGRAPH_OBSERVABLE_MAX) % 3, limit, value);
                fuzz_limit(t, data + 3, size - 3);
                fuzz_token_request(value);
                break;
        }
        default:
                fuzz_errors(data, size);
        }
        return 0;
}
