/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "relays/ctim.h"
#include "relays/spycloud_map.h"

/* Notes kept per breach or result; the last one says that more were
 * suppressed. */
#define NOTES_MAX 32
/* Upstream text quoted in a note is cut to this many bytes. */
#define NOTE_QUOTE_MAX 64
/* Upstream text put into an error message is cut to this many bytes. */
#define MESSAGE_MAX 1024
/* Integers exact in a JSON double. */
#define JSON_INT_MAX 9007199254740992.0

/* Record keys that are not copied into the sighting's data table. */
static const char *const ignored_fields[] = {
        "sighting", "infected_machine_id", "email_domain", "domain", "email_username",
        "document_id", "source_id", "spycloud_publish_date", "severity",
};

/* ---- small helpers ------------------------------------------------------------- */

static cJSON *j(cJSON *v)
{
        if (!v)
                abort();
        return v;
}

static void append(cJSON *a, cJSON *v)
{
        if (!cJSON_AddItemToArray(a, j(v)))
                abort();
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

static char *take(char **p)
{
        char *s = *p;

        *p = NULL;
        return s;
}

/* An integral JSON number exact in a double (not a boolean). */
static bool json_int(const cJSON *v, int64_t *ret)
{
        double d;

        if (!cJSON_IsNumber(v))
                return false;
        d = v->valuedouble;
        if (!isfinite(d) || d != floor(d) || fabs(d) > JSON_INT_MAX)
                return false;
        *ret = (int64_t) d;
        return true;
}

/* The string value of key in o, or NULL when absent or not a string. */
static const char *json_str(const cJSON *o, const char *key)
{
        const cJSON *v = ctim_json_get(o, key);

        return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* A non-empty string (Python truthiness for the strings we accept). */
static const char *json_str_truthy(const cJSON *o, const char *key)
{
        const char *s = json_str(o, key);

        return s && *s ? s : NULL;
}

/* Cuts s (owned) at max bytes, on a UTF-8 boundary, appending "...". */
static char *cut(char *s, size_t max)
{
        size_t n = strlen(s);
        char *r;

        if (n <= max)
                return s;
        n = max;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        r = xasprintf("%.*s...", (int) n, s);
        free(s);
        return r;
}

/* ---- notes ----------------------------------------------------------------------- */

typedef struct Notes {
        char **v;
        size_t n;
} Notes;

static void notes_add(Notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notes_add(Notes *notes, const char *fmt, ...)
{
        va_list ap;
        char *s;

        if (notes->n > NOTES_MAX)
                return;
        if (notes->n == NOTES_MAX)
                s = xstrdup("further notes suppressed");
        else {
                va_start(ap, fmt);
                s = xvasprintf(fmt, ap);
                va_end(ap);
        }
        notes->v = xreallocarray(notes->v, notes->n + 2, sizeof(char *));
        notes->v[notes->n++] = s;
        notes->v[notes->n] = NULL;
}

static void notes_move(Notes *to, Notes *from, const char *prefix)
{
        for (size_t i = 0; i < from->n; i++)
                if (prefix)
                        notes_add(to, "%s: %s", prefix, from->v[i]);
                else
                        notes_add(to, "%s", from->v[i]);
        for (size_t i = 0; i < from->n; i++)
                free(from->v[i]);
        free(from->v);
        *from = (Notes) {};
}

static void notes_done(Notes *notes)
{
        for (size_t i = 0; i < notes->n; i++)
                free(notes->v[i]);
        free(notes->v);
        *notes = (Notes) {};
}

/* A value for a note: a string quoted and cut, a number, true, false,
 * null, or the type of a container. */
static char *note_value(const cJSON *v)
{
        if (cJSON_IsString(v) && v->valuestring) {
                size_t n = strlen(v->valuestring);
                char *s;

                if (n <= NOTE_QUOTE_MAX)
                        return xasprintf("'%s'", v->valuestring);
                n = NOTE_QUOTE_MAX;
                while (n > 0 && ((unsigned char) v->valuestring[n] & 0xc0) == 0x80)
                        n--;
                s = xasprintf("'%.*s...'", (int) n, v->valuestring);
                return s;
        }
        if (cJSON_IsNumber(v)) {
                double d = v->valuedouble;

                if (isfinite(d) && d == floor(d) && fabs(d) < 1e16)
                        return xasprintf("%.0f", d);
                return xasprintf("%g", d);
        }
        if (cJSON_IsBool(v))
                return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
        return xstrdup(type_name(v));
}

/* "<key>: missing" or "<key>: expected <what>, got <value>" */
static char *note_field(const char *key, const cJSON *v, const char *what)
{
        _cleanup_free_ char *q = NULL;

        if (!v)
                return xasprintf("%s: missing", key);
        q = note_value(v);
        return xasprintf("%s: expected %s, got %s", key, what, q);
}

/* ---- integer sets (sorted) ------------------------------------------------------------ */

typedef struct IdSet {
        int64_t *v;
        size_t n;
} IdSet;

static bool idset_find(const IdSet *s, int64_t id, size_t *ret_pos)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (s->v[mid] < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_pos)
                *ret_pos = lo;
        return lo < s->n && s->v[lo] == id;
}

/* false when already there */
static bool idset_add(IdSet *s, int64_t id)
{
        size_t pos;

        if (idset_find(s, id, &pos))
                return false;
        s->v = xreallocarray(s->v, s->n + 1, sizeof(int64_t));
        memmove(s->v + pos + 1, s->v + pos, (s->n - pos) * sizeof(int64_t));
        s->v[pos] = id;
        s->n++;
        return true;
}

static void idset_done(IdSet *s)
{
        free(s->v);
        *s = (IdSet) {};
}

/* ---- string sets (sorted) -------------------------------------------------------------- */

typedef struct StrSet {
        char **v;
        size_t n;
} StrSet;

static bool strset_find(const StrSet *s, const char *x, size_t *ret_pos)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp(s->v[mid], x) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_pos)
                *ret_pos = lo;
        return lo < s->n && strcmp(s->v[lo], x) == 0;
}

static bool strset_add(StrSet *s, const char *x)
{
        size_t pos;

        if (strset_find(s, x, &pos))
                return false;
        s->v = xreallocarray(s->v, s->n + 1, sizeof(char *));
        memmove(s->v + pos + 1, s->v + pos, (s->n - pos) * sizeof(char *));
        s->v[pos] = xstrdup(x);
        s->n++;
        return true;
}

static void strset_done(StrSet *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (StrSet) {};
}

/* ---- errors --------------------------------------------------------------------------------- */

void spycloud_error_done(SpycloudError *e)
{
        if (!e)
                return;
        free(e->message);
        *e = (SpycloudError) {};
}

static void error_set(SpycloudError *e, const char *code, char *message)
{
        message = cut(message, MESSAGE_MAX);
        if (!*message) {
                free(message);
                message = xstrdup("Something went wrong.");
        }
        *e = (SpycloudError) { .code = code, .message = message };
}

void spycloud_error_tls(const char *verify_message, SpycloudError *ret)
{
        error_set(ret, CTIM_CODE_UNKNOWN,
                  xasprintf("Unable to verify SSL certificate: %s", verify_message ? verify_message : ""));
}

void spycloud_error_connect(const char *url, SpycloudError *ret)
{
        error_set(ret, CTIM_CODE_CONNECTION, xasprintf("Unable to connect to Spycloud: %s", url ? url : ""));
}

void spycloud_error_unauthorized(SpycloudError *ret)
{
        error_set(ret, CTIM_CODE_AUTHORIZATION, xstrdup("Authorization failed: Unauthorized"));
}

/* ---- requests ---------------------------------------------------------------------------------- */

typedef struct Indexed {
        const char *s;
        size_t index;
} Indexed;

static int indexed_cmp(const void *a, const void *b)
{
        const Indexed *x = a, *y = b;
        int r = strcmp(x->s, y->s);

        if (r != 0)
                return r;
        return x->index < y->index ? -1 : x->index > y->index;
}

static bool type_is_email(const char *t)
{
        static const char email[] = "email";
        size_t i;

        for (i = 0; t[i] && i < sizeof(email) - 1; i++) {
                char c = t[i];

                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if (c != email[i])
                        return false;
        }
        return i == sizeof(email) - 1 && t[i] == '\0';
}

size_t spycloud_observables_emails(const cJSON *observables, char ***ret)
{
        Indexed *cand;
        bool *keep;
        char **out;
        size_t n = 0, k = 0, total = 0;

        if (cJSON_IsArray(observables))
                for (const cJSON *c = observables->child; c; c = c->next)
                        total++;
        cand = xnew(Indexed, total ? total : 1);
        if (total > 0)
                for (const cJSON *c = observables->child; c; c = c->next) {
                        const char *t = json_str(c, "type"), *v = json_str(c, "value");

                        if (cJSON_IsObject(c) && t && v && type_is_email(t)) {
                                cand[n] = (Indexed) { .s = v, .index = n };
                                n++;
                        }
                }
        /* first occurrence of each value */
        keep = xnew(bool, n ? n : 1);
        qsort(cand, n, sizeof(Indexed), indexed_cmp);
        for (size_t i = 0; i < n; i++)
                if (i == 0 || strcmp(cand[i].s, cand[i - 1].s) != 0)
                        keep[cand[i].index] = true;
        out = xnew(char *, n + 1);
        /* back to input order: cand[].index is the candidate's position */
        {
                const char **by_pos = xnew(const char *, n ? n : 1);

                for (size_t i = 0; i < n; i++)
                        by_pos[cand[i].index] = cand[i].s;
                for (size_t i = 0; i < n; i++)
                        if (keep[i])
                                out[k++] = xstrdup(by_pos[i]);
                free(by_pos);
        }
        out[k] = NULL;
        free(keep);
        free(cand);
        if (ret)
                *ret = out;
        else {
                for (size_t i = 0; i < k; i++)
                        free(out[i]);
                free(out);
        }
        return k;
}

char *spycloud_path_breach(const char *email)
{
        StrBuf b = {};

        strbuf_puts(&b, "breach/data/emails/");
        strbuf_put_pct(&b, email, "@");
        return strbuf_steal(&b, NULL);
}

char *spycloud_path_catalog(int64_t source_id)
{
        return xasprintf("breach/catalog/%" PRId64, source_id);
}

/* One code point of valid UTF-8, or -1. */
static int utf8_next(const unsigned char **p, uint32_t *ret)
{
        const unsigned char *s = *p;
        uint32_t c;
        int n;

        if (s[0] < 0x80) {
                *ret = s[0];
                *p += 1;
                return 0;
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
                return -1;
        for (int i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return -1;
                c = c << 6 | (s[i] & 0x3f);
        }
        if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
            (c >= 0xd800 && c <= 0xdfff))
                return -1;
        *ret = c;
        *p += n;
        return 0;
}

static bool latin1_space(uint32_t c)
{
        return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0;
}

int spycloud_api_key_header(const char *key, char **ret)
{
        const unsigned char *p = (const unsigned char *) key;
        char *out = xmalloc(strlen(key) + 1);
        size_t k = 0;

        while (*p) {
                uint32_t c;

                if (utf8_next(&p, &c) < 0 || c > 0xff ||
                    (k == 0 && latin1_space(c)) ||
                    (c < 0x20 && c != '\t') || c == 0x7f) {
                        free(out);
                        return -EINVAL;
                }
                out[k++] = (char) c;
        }
        out[k] = '\0';
        *ret = out;
        return 0;
}

/* ---- answers ---------------------------------------------------------------------------------------- */

/* The body as Python's json.loads(response.text) would take it: an
 * optional UTF-8 BOM, JSON whitespace around one value. */
static cJSON *parse_body(const char *body, size_t len)
{
        const char *end = NULL;
        cJSON *v;
        size_t off;

        if (!body)
                return NULL;
        if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
                body += 3;
                len -= 3;
        }
        /* cJSON treats every byte up to ' ' as whitespace, JSON four of them */
        for (off = 0; off < len && strchr(" \t\n\r", body[off]) && body[off]; off++)
                ;
        if (off == len || (unsigned char) body[off] < ' ')
                return NULL;
        v = cJSON_ParseWithLengthOpts(body, len, &end, false);
        if (!v)
                return NULL;
        off = (size_t) (end - body);
        for (; off < len && body[off] && strchr(" \t\n\r", body[off]); off++)
                ;
        if (off != len) {
                cJSON_Delete(v);
                return NULL;
        }
        return v;
}

static char *body_text(const char *body, size_t len)
{
        size_t a = 0, b = len;
        char *s;

        if (!body)
                return xstrdup("");
        while (a < b && strchr(" \t\n\r\f\v", body[a]) && body[a])
                a++;
        while (b > a && strchr(" \t\n\r\f\v", body[b - 1]) && body[b - 1])
                b--;
        s = xstrndup(body + a, b - a);  /* stops at a NUL byte */
        return s;
}

int spycloud_answer_parse(long status, const char *body, size_t body_len, cJSON **ret_body,
                          SpycloudError *ret_error)
{
        cJSON *v;
        int r;

        if (status >= 100 && status < 400) {
                v = parse_body(body, body_len);
                if (!v) {
                        error_set(ret_error, CTIM_CODE_UNKNOWN,
                                  xstrdup("Unexpected response from Spycloud: the body is not JSON"));
                        return -EBADMSG;
                }
                *ret_body = v;
                return SPYCLOUD_ANSWER_BODY;
        }
        switch (status) {
        case 400:
                *ret_body = NULL;
                return SPYCLOUD_ANSWER_EMPTY;
        case 401:
        case 403: {
                const cJSON *m;
                char *msg = NULL;

                v = parse_body(body, body_len);
                m = ctim_json_get(v, "message");
                if (!absent(m))
                        msg = ctim_json_pystr(m);
                if (!msg || !*msg) {
                        free(msg);
                        msg = xstrdup(status == 401 ? "Unauthorized" : "Forbidden");
                }
                cJSON_Delete(v);
                msg = cut(msg, MESSAGE_MAX);
                error_set(ret_error, CTIM_CODE_AUTHORIZATION, xasprintf("Authorization failed: %s", msg));
                free(msg);
                return -EACCES;
        }
        case 404:
                error_set(ret_error, CTIM_CODE_NOT_FOUND, xstrdup("The Spycloud not found."));
                return -ENOENT;
        case 429:
                error_set(ret_error, CTIM_CODE_TOO_MANY_REQUESTS,
                          xstrdup("Too many requests have been made to Spycloud. Please, try again later."));
                return -EAGAIN;
        case 500:
                error_set(ret_error, CTIM_CODE_INTERNAL, xstrdup("The Spycloud internal error."));
                return -EIO;
        default:
                break;
        }
        v = parse_body(body, body_len);
        if (v) {
                char *s = ctim_json_pystr(v);

                cJSON_Delete(v);
                error_set(ret_error, CTIM_CODE_UNKNOWN, s ? s : xstrdup(""));
        } else
                error_set(ret_error, CTIM_CODE_UNKNOWN, body_text(body, body_len));
        r = -EPROTO;
        return r;
}

/* ---- catalogs ------------------------------------------------------------------- */

typedef struct CatalogEntry {
        int64_t source_id;
        cJSON *catalog;         /* results[0]; NULL: empty */
        char *note;             /* why a non-empty answer counts as empty */
} CatalogEntry;

struct SpycloudCatalogs {
        CatalogEntry *v;        /* sorted by source_id */
        size_t n;
};

SpycloudCatalogs *spycloud_catalogs_new(void)
{
        return xnew(SpycloudCatalogs, 1);
}

SpycloudCatalogs *spycloud_catalogs_free(SpycloudCatalogs *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                cJSON_Delete(c->v[i].catalog);
                free(c->v[i].note);
        }
        free(c->v);
        free(c);
        return NULL;
}

static const CatalogEntry *catalogs_find(const SpycloudCatalogs *c, int64_t id, size_t *ret_pos)
{
        size_t lo = 0, hi = c->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (c->v[mid].source_id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_pos)
                *ret_pos = lo;
        return lo < c->n && c->v[lo].source_id == id ? &c->v[lo] : NULL;
}

void spycloud_catalogs_put(SpycloudCatalogs *c, int64_t source_id, const cJSON *body)
{
        const cJSON *results, *first;
        CatalogEntry e = { .source_id = source_id };
        size_t pos;

        /* upstream: body.get('results') truthy → results[0], else {} */
        results = ctim_json_get(body, "results");
        if (body && !cJSON_IsObject(body))
                e.note = xasprintf("catalog %" PRId64 ": expected an object, got %s", source_id,
                                   type_name(body));
        else if (!absent(results) && !cJSON_IsArray(results))
                e.note = xasprintf("catalog %" PRId64 ": results: expected a list, got %s", source_id,
                                   type_name(results));
        else if (cJSON_IsArray(results) && (first = results->child)) {
                if (!cJSON_IsObject(first))
                        e.note = xasprintf("catalog %" PRId64 ": results[0]: expected an object, got %s",
                                           source_id, type_name(first));
                else if (first->child)
                        e.catalog = j(cJSON_Duplicate(first, true));
        }
        if (catalogs_find(c, source_id, &pos)) {
                cJSON_Delete(c->v[pos].catalog);
                free(c->v[pos].note);
                c->v[pos] = e;
                return;
        }
        c->v = xreallocarray(c->v, c->n + 1, sizeof(CatalogEntry));
        memmove(c->v + pos + 1, c->v + pos, (c->n - pos) * sizeof(CatalogEntry));
        c->v[pos] = e;
        c->n++;
}

bool spycloud_catalogs_has(const SpycloudCatalogs *c, int64_t source_id)
{
        return c && catalogs_find(c, source_id, NULL);
}

/* ---- breach records ------------------------------------------------------------- */

typedef struct Record {
        cJSON *item;            /* copy of the record */
        int64_t source_id;
        int64_t usec;
        size_t index;           /* position in results */
        char time[CTIM_TIME_STRING_SIZE];
} Record;

struct SpycloudBreach {
        Record *records;
        size_t n;
        int64_t *ids;
        size_t n_ids;
        Notes notes;
};

SpycloudBreach *spycloud_breach_free(SpycloudBreach *b)
{
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n; i++)
                cJSON_Delete(b->records[i].item);
        free(b->records);
        free(b->ids);
        notes_done(&b->notes);
        free(b);
        return NULL;
}

static int record_cmp(const void *a, const void *b)
{
        const Record *x = a, *y = b;

        /* newest first; equal times keep API order */
        if (x->usec != y->usec)
                return x->usec > y->usec ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

static bool record_check(const cJSON *rec, size_t i, Record *ret, Notes *notes)
{
        const cJSON *sid, *date;
        int64_t id, usec;
        char *q;

        if (!cJSON_IsObject(rec)) {
                notes_add(notes, "results[%zu]: expected an object, got %s, record skipped", i,
                          type_name(rec));
                return false;
        }
        sid = ctim_json_get(rec, "source_id");
        if (!json_int(sid, &id)) {
                q = note_field("source_id", sid, "an integer");
                notes_add(notes, "results[%zu]: %s, record skipped", i, q);
                free(q);
                return false;
        }
        date = ctim_json_get(rec, "spycloud_publish_date");
        if (!cJSON_IsString(date)) {
                q = note_field("spycloud_publish_date", date, "a string");
                notes_add(notes, "results[%zu]: %s, record skipped", i, q);
                free(q);
                return false;
        }
        if (ctim_time_parse(date->valuestring, &usec) < 0) {
                q = note_value(date);
                notes_add(notes, "results[%zu]: spycloud_publish_date: %s is not an RFC 3339 date-time, "
                          "record skipped", i, q);
                free(q);
                return false;
        }
        *ret = (Record) { .source_id = id, .usec = usec, .index = i };
        if (ctim_time_format(usec, CTIM_TIME_MICROSECONDS, ret->time) < 0)
                return false;   /* cannot happen: parse checked the range */
        return true;
}

typedef struct IdPos {
        int64_t id;
        size_t pos;
} IdPos;

static int idpos_cmp(const void *a, const void *b)
{
        const IdPos *x = a, *y = b;

        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The distinct source_ids of the kept records, first-met order. */
static void breach_collect_ids(SpycloudBreach *b)
{
        IdPos *v = xnew(IdPos, b->n ? b->n : 1);
        bool *first = xnew(bool, b->n ? b->n : 1);

        for (size_t i = 0; i < b->n; i++)
                v[i] = (IdPos) { .id = b->records[i].source_id, .pos = i };
        qsort(v, b->n, sizeof(IdPos), idpos_cmp);
        for (size_t i = 0; i < b->n; i++)
                if (i == 0 || v[i].id != v[i - 1].id)
                        first[v[i].pos] = true;
        b->ids = xnew(int64_t, b->n ? b->n : 1);
        for (size_t i = 0; i < b->n; i++)
                if (first[i])
                        b->ids[b->n_ids++] = b->records[i].source_id;
        free(first);
        free(v);
}

int spycloud_breach_new(const cJSON *body, int64_t limit, SpycloudBreach **ret, SpycloudError *ret_error)
{
        const cJSON *results;
        SpycloudBreach *b;
        size_t total = 0, i = 0, keep;

        if (limit < 1)
                limit = CTIM_ENTITIES_LIMIT_DEFAULT;
        b = xnew(SpycloudBreach, 1);
        if (!ctim_json_truthy(body)) {
                *ret = b;
                return 0;
        }
        if (!cJSON_IsObject(body)) {
                error_set(ret_error, CTIM_CODE_UNKNOWN,
                          xasprintf("Unexpected response from Spycloud: expected an object, got %s",
                                    type_name(body)));
                spycloud_breach_free(b);
                return -EBADMSG;
        }
        results = ctim_json_get(body, "results");
        if (absent(results)) {
                notes_add(&b->notes, "results: %s, no records", results ? "null" : "missing");
                *ret = b;
                return 0;
        }
        if (!cJSON_IsArray(results)) {
                error_set(ret_error, CTIM_CODE_UNKNOWN,
                          xasprintf("Unexpected response from Spycloud: results: expected a list, got %s",
                                    type_name(results)));
                spycloud_breach_free(b);
                return -EBADMSG;
        }
        for (const cJSON *c = results->child; c; c = c->next)
                total++;
        b->records = xnew(Record, total ? total : 1);
        for (const cJSON *c = results->child; c; c = c->next, i++)
                if (record_check(c, i, &b->records[b->n], &b->notes))
                        b->n++;
        qsort(b->records, b->n, sizeof(Record), record_cmp);
        keep = (uint64_t) limit < b->n ? (size_t) limit : b->n;
        b->n = keep;
        /* copy the kept records, found through an index of the list (a walk
         * per record would be quadratic) */
        {
                const cJSON **by_index = xnew(const cJSON *, total ? total : 1);

                i = 0;
                for (const cJSON *c = results->child; c; c = c->next, i++)
                        by_index[i] = c;
                for (size_t k = 0; k < b->n; k++)
                        b->records[k].item = j(cJSON_Duplicate(by_index[b->records[k].index], true));
                free(by_index);
        }
        breach_collect_ids(b);
        *ret = b;
        return 0;
}

size_t spycloud_breach_count(const SpycloudBreach *b)
{
        return b ? b->n : 0;
}

size_t spycloud_breach_catalog_ids(const SpycloudBreach *b, const int64_t **ret)
{
        *ret = b ? b->ids : NULL;
        return b ? b->n_ids : 0;
}

size_t spycloud_breach_notes(const SpycloudBreach *b, const char *const **ret)
{
        static const char *const none[] = { NULL };

        *ret = b && b->notes.v ? (const char *const *) b->notes.v : none;
        return b ? b->notes.n : 0;
}

/* ---- mapping -------------------------------------------------------------------- */

struct SpycloudResult {
        cJSON *sightings;
        cJSON *indicators;
        StrSet indicator_ids;
        char **warnings;
        size_t n_warnings;
        Notes notes;
};

SpycloudResult *spycloud_result_new(void)
{
        SpycloudResult *r = xnew(SpycloudResult, 1);

        r->sightings = j(cJSON_CreateArray());
        r->indicators = j(cJSON_CreateArray());
        return r;
}

SpycloudResult *spycloud_result_free(SpycloudResult *r)
{
        if (!r)
                return NULL;
        cJSON_Delete(r->sightings);
        cJSON_Delete(r->indicators);
        strset_done(&r->indicator_ids);
        for (size_t i = 0; i < r->n_warnings; i++)
                free(r->warnings[i]);
        free(r->warnings);
        notes_done(&r->notes);
        free(r);
        return NULL;
}

static const char *severity_of(const cJSON *record, const cJSON *catalog)
{
        const cJSON *v;
        double s;

        if (catalog && ctim_json_truthy(ctim_json_get(catalog, "combo_list_flag")))
                return "Medium";
        v = ctim_json_get(record, "severity");
        if (cJSON_IsBool(v))
                s = cJSON_IsTrue(v) ? 1 : 0;    /* Python: True == 1 */
        else if (cJSON_IsNumber(v))
                s = v->valuedouble;
        else
                return "Unknown";
        if (s >= 0 && s <= 2)
                return "Low";
        if (s >= 3 && s <= 5)
                return "Medium";
        if (s >= 6 && s <= 25)
                return "High";
        return "Unknown";
}

static int64_t count_of(const cJSON *record)
{
        int64_t n;

        if (json_int(ctim_json_get(record, "sighting"), &n) && n >= 1)
                return n;
        return 1;
}

static bool ignored_field(const char *key)
{
        for (size_t i = 0; i < sizeof(ignored_fields) / sizeof(ignored_fields[0]); i++)
                if (strcmp(key, ignored_fields[i]) == 0)
                        return true;
        return false;
}

static cJSON *data_table(const cJSON *record)
{
        cJSON *t = ctim_table_new(), *row = j(cJSON_CreateArray());
        cJSON **m;
        size_t n = ctim_json_members(record, &m);

        for (size_t i = 0; i < n; i++) {
                if (ignored_field(m[i]->string))
                        continue;
                ctim_table_add_column(t, m[i]->string, "string");
                append(row, cJSON_Duplicate(m[i], true));
        }
        free(m);
        ctim_table_add_row(t, row);
        return t;
}

static cJSON *external_ids_of(const Record *rec)
{
        cJSON *a = j(cJSON_CreateArray());
        const char *s;

        if ((s = json_str_truthy(rec->item, "document_id")))
                append(a, cJSON_CreateString(s));
        if (rec->source_id != 0) {
                char buf[32];

                snprintf(buf, sizeof(buf), "%" PRId64, rec->source_id);
                append(a, cJSON_CreateString(buf));
        }
        if ((s = json_str_truthy(rec->item, "infected_machine_id")))
                append(a, cJSON_CreateString(s));
        return a;
}

static int sighting_of(const Record *rec, const char *email, const cJSON *catalog, const CtimRandom *rnd,
                       cJSON **ret)
{
        _cleanup_free_ char *id = ctim_transient_id("sighting", rnd);
        _cleanup_free_ char *description = NULL, *source_uri = NULL;
        const char *site = NULL, *title = NULL, *uuid = NULL;
        cJSON *relations = j(cJSON_CreateArray()), *targets = j(cJSON_CreateArray());

        if (catalog) {
                site = json_str_truthy(catalog, "site");
                title = json_str(catalog, "title");
                uuid = json_str(catalog, "uuid");
        }
        if (site && strcmp(site, "n/a") != 0)
                append(relations, ctim_relation_new(SPYCLOUD_RELATION_ORIGIN, "Leaked_From",
                                                    ctim_observable_new("email", email),
                                                    ctim_observable_new("domain", site)));
        description = xasprintf("Present in %s", title ? title : "breach");
        if (uuid)
                source_uri = xasprintf("%s%s", SPYCLOUD_PORTAL_CATALOG_URL, uuid);
        append(targets, ctim_target_new("email", ctim_observables_one("email", email),
                                        rec->time, rec->time));
        return ctim_sighting_new(&(CtimSighting) {
                        .id = id,
                        .schema_version = SPYCLOUD_SCHEMA_VERSION,
                        .source = SPYCLOUD_SOURCE,
                        .source_uri = source_uri,
                        .title = SPYCLOUD_SIGHTING_TITLE,
                        .description = description,
                        .confidence = "High",
                        .severity = severity_of(rec->item, catalog),
                        .observed_start = rec->time,
                        .observed_end = rec->time,
                        .count = count_of(rec->item),
                        .internal = CTIM_FALSE,
                        .observables = ctim_observables_one("email", email),
                        .targets = targets,
                        .relations = relations,
                        .external_ids = external_ids_of(rec),
                        .data = data_table(rec->item),
                }, ret);
}

static const char *confidence_of(const cJSON *catalog)
{
        const cJSON *v = ctim_json_get(catalog, "confidence");
        double d;

        if (!v)
                return "Unknown";
        if (!ctim_json_truthy(v))
                return "Low";
        if (cJSON_IsTrue(v))
                return "High";          /* Python: {1: 'High'}[True] */
        if (!cJSON_IsNumber(v))
                return "Unknown";
        d = v->valuedouble;
        return d == 1 ? "High" : d == 2 ? "Medium" : d == 3 ? "Low" : "Unknown";
}

/* The indicator of a non-empty catalog; 0 and *ret NULL when it is left
 * out (a note says why), -EIO when uuid5 fails.  *ret_id is its id. */
static int indicator_of(int64_t source_id, const cJSON *catalog, Notes *notes, cJSON **ret, char **ret_id)
{
        _cleanup_free_ char *id = NULL, *url = NULL;
        const char *uuid, *title, *description, *site, *site_description;
        char start[CTIM_TIME_STRING_SIZE], name[32];
        const cJSON *v, *date;
        cJSON *refs, *tags, *ext;
        cJSON **m;
        int64_t cid;
        size_t n;
        int r;

        v = ctim_json_get(catalog, "id");
        if (!json_int(v, &cid)) {
                _cleanup_free_ char *q = note_field("id", v, "an integer");

                notes_add(notes, "catalog %" PRId64 ": %s, using the source_id", source_id, q);
                cid = source_id;
        } else if (cid != source_id)
                notes_add(notes, "catalog %" PRId64 ": id is %" PRId64 ", the indicator takes that id",
                          source_id, cid);
        snprintf(name, sizeof(name), "%" PRId64, cid);
        r = ctim_transient_id5("indicator", &CTIM_UUID_NAMESPACE_X500, name, &id);
        if (r < 0)
                return r;

        date = ctim_json_get(catalog, "spycloud_publish_date");
        if (!cJSON_IsString(date) ||
            ctim_time_normalize(date->valuestring, CTIM_TIME_MICROSECONDS, start) < 0) {
                _cleanup_free_ char *q = NULL;

                if (cJSON_IsString(date)) {
                        _cleanup_free_ char *t = note_value(date);
                        q = xasprintf("spycloud_publish_date: %s is not an RFC 3339 date-time", t);
                } else
                        q = note_field("spycloud_publish_date", date, "a string");
                notes_add(notes, "catalog %" PRId64 ": %s, indicator left out", source_id, q);
                *ret = NULL;
                *ret_id = take(&id);
                return 0;
        }

        uuid = json_str(catalog, "uuid");
        title = json_str(catalog, "title");
        description = json_str(catalog, "description");
        site = json_str_truthy(catalog, "site");
        site_description = json_str_truthy(catalog, "site_description");

        ext = j(cJSON_CreateArray());
        append(ext, cJSON_CreateString(name));
        if (uuid)
                append(ext, cJSON_CreateString(uuid));

        refs = j(cJSON_CreateArray());
        if (site && site_description)
                append(refs, ctim_external_reference_new(SPYCLOUD_SOURCE, site_description, site, NULL));
        if (uuid && *uuid && description && *description) {
                url = xasprintf("%s%s", SPYCLOUD_PORTAL_CATALOG_URL, uuid);
                append(refs, ctim_external_reference_new(SPYCLOUD_SOURCE, description, url, uuid));
        }

        tags = j(cJSON_CreateArray());
        v = ctim_json_get(catalog, "assets");
        n = ctim_json_members(v, &m);
        for (size_t i = 0; i < n; i++)
                append(tags, cJSON_CreateString(m[i]->string));
        free(m);
        if (!cJSON_IsObject(v)) {
                _cleanup_free_ char *q = note_field("assets", v, "an object");

                notes_add(notes, "catalog %" PRId64 ": %s, no tags", source_id, q);
        }

        r = ctim_indicator_new(&(CtimIndicator) {
                        .id = id,
                        .schema_version = SPYCLOUD_SCHEMA_VERSION,
                        .producer = SPYCLOUD_SOURCE,
                        .valid_start = start,
                        .title = title,
                        .short_description = title,
                        .description = description,
                        .confidence = confidence_of(catalog),
                        .external_ids = ext,
                        .external_references = refs,
                        .tags = tags,
                }, ret);
        if (r < 0)
                return r;
        *ret_id = take(&id);
        return 0;
}

/* A user-supplied string for a note: quoted, cut. */
static char *quote(const char *s)
{
        return cut(xasprintf("'%s'", s), NOTE_QUOTE_MAX);
}

static void move_items(cJSON *to, cJSON *from)
{
        cJSON *c;

        while ((c = cJSON_DetachItemFromArray(from, 0)))
                append(to, c);
}

int spycloud_result_add(SpycloudResult *r, const char *email, const SpycloudBreach *b,
                        const SpycloudCatalogs *c, const CtimRandom *rnd)
{
        cJSON *sightings = j(cJSON_CreateArray()), *indicators = j(cJSON_CreateArray());
        _cleanup_free_ char *who = quote(email);
        StrSet new_ids = {};
        IdSet handled = {};
        Notes notes = {};
        char **warnings = NULL;
        size_t n_warnings = 0;
        int ret = 0;

        for (size_t k = 0; b && k < b->n; k++) {
                const Record *rec = &b->records[k];
                const CatalogEntry *e = c ? catalogs_find(c, rec->source_id, NULL) : NULL;
                const cJSON *catalog = e ? e->catalog : NULL;
                cJSON *doc;

                ret = sighting_of(rec, email, catalog, rnd, &doc);
                if (ret < 0)
                        goto fail;
                append(sightings, doc);

                /* the catalog of each source_id once per e-mail */
                if (!idset_add(&handled, rec->source_id))
                        continue;
                if (catalog) {
                        _cleanup_free_ char *id = NULL;
                        cJSON *ind = NULL;

                        ret = indicator_of(rec->source_id, catalog, &notes, &ind, &id);
                        if (ret < 0)
                                goto fail;
                        if (!ind)
                                continue;
                        /* one indicator per id in the whole response */
                        if (strset_find(&r->indicator_ids, id, NULL) || !strset_add(&new_ids, id)) {
                                cJSON_Delete(ind);
                                continue;
                        }
                        append(indicators, ind);
                        continue;
                }
                if (e && e->note)
                        notes_add(&notes, "%s, taken as empty", e->note);
                else if (!e)
                        notes_add(&notes, "catalog %" PRId64 " was not fetched, taken as empty",
                                  rec->source_id);
                warnings = xreallocarray(warnings, n_warnings + 1, sizeof(char *));
                warnings[n_warnings++] = xasprintf("SpyCloud did not return results for %" PRId64,
                                                   rec->source_id);
        }

        move_items(r->sightings, sightings);
        move_items(r->indicators, indicators);
        for (size_t i = 0; i < new_ids.n; i++)
                strset_add(&r->indicator_ids, new_ids.v[i]);
        r->warnings = xreallocarray(r->warnings, r->n_warnings + n_warnings + 1, sizeof(char *));
        for (size_t i = 0; i < n_warnings; i++)
                r->warnings[r->n_warnings++] = warnings[i];
        r->warnings[r->n_warnings] = NULL;
        n_warnings = 0;
        if (b)
                for (size_t i = 0; i < b->notes.n; i++)
                        notes_add(&r->notes, "%s: %s", who, b->notes.v[i]);
        notes_move(&r->notes, &notes, who);
        ret = 0;
fail:
        cJSON_Delete(sightings);
        cJSON_Delete(indicators);
        strset_done(&new_ids);
        idset_done(&handled);
        notes_done(&notes);
        for (size_t i = 0; i < n_warnings; i++)
                free(warnings[i]);
        free(warnings);
        return ret;
}

size_t spycloud_result_sightings(const SpycloudResult *r)
{
        return (size_t) cJSON_GetArraySize(r->sightings);
}

size_t spycloud_result_indicators(const SpycloudResult *r)
{
        return (size_t) cJSON_GetArraySize(r->indicators);
}

size_t spycloud_result_warnings(const SpycloudResult *r)
{
        return r->n_warnings;
}

size_t spycloud_result_warning_messages(const SpycloudResult *r, const char *const **ret)
{
        static const char *const none[] = { NULL };

        *ret = r->warnings ? (const char *const *) r->warnings : none;
        return r->n_warnings;
}

size_t spycloud_result_notes(const SpycloudResult *r, const char *const **ret)
{
        static const char *const none[] = { NULL };

        *ret = r->notes.v ? (const char *const *) r->notes.v : none;
        return r->notes.n;
}

cJSON *spycloud_result_data(const SpycloudResult *r)
{
        return ctim_observe_data_new(j(cJSON_Duplicate(r->sightings, true)),
                                     j(cJSON_Duplicate(r->indicators, true)));
}

cJSON *spycloud_result_response(const SpycloudResult *r, const SpycloudError *fatal)
{
        cJSON *data = spycloud_result_data(r), *errors = j(cJSON_CreateArray());

        if (fatal) {
                if (!data->child) {
                        cJSON_Delete(data);
                        data = NULL;
                }
                append(errors, ctim_error_new(CTIM_ERROR_FATAL, fatal->code, fatal->message));
        } else
                for (size_t i = 0; i < r->n_warnings; i++)
                        append(errors, ctim_error_new(CTIM_ERROR_WARNING, CTIM_CODE_NOT_FOUND,
                                                      r->warnings[i]));
        return ctim_response_new(data, errors);
}
