/* SPDX-License-Identifier: MIT */
/* scale_sim: tests/sim/vectra_sim.py's scale mode in C, for the Vectra cycle
 * benchmark (bench/vectra-cycle.sh), so that the simulator's own CPU does not
 * decide what the benchmark measures.  Plain HTTP on loopback, v2.5 with the
 * legacy token ("Authorization: Token T"), hosts only:
 *
 *   GET   /api/v2.5/hosts[/]       tags (icontains), threat_gte, certainty_gte,
 *                                  state, name, last_source, key_asset, page,
 *                                  page_size, fields; DRF pages with an
 *                                  absolute `next`
 *   GET   /api/v2.5/hosts/ID       (fields= too)
 *   GET   /api/v2.5/accounts, /detections, /groups: empty lists
 *   GET|POST /api/v2.5/hosts/ID/notes
 *   GET|PATCH /api/v2.5/tagging/host/ID   (PATCH replaces the tags)
 *   /__sim/requests (GET, DELETE), /__sim/counts, /__sim/stats,
 *   /__sim/health, /__sim/state (GET, PUT), /__sim/reset
 *
 * Same arguments and answers as the Python simulator for what secrespd and
 * bench/vectra/cycle.py use; no OAuth, no faults, no v3, no accounts or
 * detections in the state (those stay with vectra_sim.py).
 *
 * Speed: every host's API object is rendered once and again only when its
 * tags or note change, split around the base URL (which depends on the
 * request's Host header), so a page is a series of memcpy.  One thread runs
 * libmicrohttpd (epoll); --latency-ms suspends the connection and a timer
 * thread resumes it when due, so delayed answers overlap.
 *
 *   cc -O2 -o scale_sim bench/vectra/scale_sim.c -lmicrohttpd -lcjson -lpthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>

#define BASE "/api/v2.5"
#define MAX_BODY (64u << 20)            /* as simkit: a simulator is not a sink */
#define MAX_LOG 1000000                 /* request log entries kept in memory */
#define MAX_ARGS 64                     /* query parameters looked at */
#define SEL_CACHE 8                     /* host selections remembered */

/* ---- small helpers ------------------------------------------------------ */

static void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p) {
                fputs("scale_sim: out of memory\n", stderr);
                abort();
        }
        return p;
}

static void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p) {
                fputs("scale_sim: out of memory\n", stderr);
                abort();
        }
        return p;
}

static char *xstrdup(const char *s)
{
        size_t n = strlen(s) + 1;

        return memcpy(xmalloc(n), s, n);
}

typedef struct Buf {
        char *s;
        size_t n, cap;
} Buf;

static void buf_grow(Buf *b, size_t more)
{
        if (b->n + more + 1 <= b->cap)
                return;
        b->cap = b->cap ? b->cap : 256;
        while (b->n + more + 1 > b->cap)
                b->cap *= 2;
        b->s = xrealloc(b->s, b->cap);
}

static void buf_add(Buf *b, const void *p, size_t n)
{
        buf_grow(b, n);
        memcpy(b->s + b->n, p, n);
        b->n += n;
        b->s[b->n] = '\0';
}

static void buf_puts(Buf *b, const char *s)
{
        buf_add(b, s, strlen(s));
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(Buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        buf_grow(b, (size_t) n);
        va_start(ap, fmt);
        vsnprintf(b->s + b->n, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->n += (size_t) n;
}

/* A JSON string, or null for NULL. */
static void buf_json_str(Buf *b, const char *s)
{
        if (!s) {
                buf_puts(b, "null");
                return;
        }
        buf_grow(b, strlen(s) + 2);
        b->s[b->n++] = '"';
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                const char *esc = NULL;
                char u[8];

                switch (*p) {
                case '"': esc = "\\\""; break;
                case '\\': esc = "\\\\"; break;
                case '\n': esc = "\\n"; break;
                case '\r': esc = "\\r"; break;
                case '\t': esc = "\\t"; break;
                default:
                        if (*p < 0x20) {
                                snprintf(u, sizeof(u), "\\u%04x", *p);
                                esc = u;
                        }
                }
                if (esc) {
                        buf_puts(b, esc);
                } else {
                        buf_grow(b, 1);
                        b->s[b->n++] = (char) *p;
                }
        }
        buf_grow(b, 1);
        b->s[b->n++] = '"';
        b->s[b->n] = '\0';
}

/* application/x-www-form-urlencoded as Python's quote_plus. */
static void buf_quote_plus(Buf *b, const char *s)
{
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (isalnum(*p) || *p == '_' || *p == '.' || *p == '-' || *p == '~')
                        buf_add(b, p, 1);
                else if (*p == ' ')
                        buf_puts(b, "+");
                else
                        buf_printf(b, "%%%02X", *p);
        }
}

static double wall_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double mono_now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* "2026-11-22T19:03:03.123456Z", as vectra_sim's _now_iso. */
static void iso_now(char out[64])
{
        struct timespec ts;
        struct tm tm;
        char s[32];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(out, 64, "%.31s.%06dZ", s, (int) (ts.tv_nsec / 1000 % 1000000));
}

/* A whole decimal integer (optional sign); false on anything else. */
static bool parse_int(const char *s, long long *ret)
{
        char *end;

        if (!s || !*s)
                return false;
        errno = 0;
        *ret = strtoll(s, &end, 10);
        return errno == 0 && *end == '\0';
}

/* ---- configuration ------------------------------------------------------ */

static struct {
        const char *host, *port_file, *log, *state, *token, *api_user, *tag, *tag_match;
        int port;
        long scale_hosts, scale_tagged, default_page_size, max_page_size;
        double latency_ms;
        bool nagle, verbose;
} opt = {
        .host = "127.0.0.1", .token = "tok123", .api_user = "vadmin", .tag = "vectra_host_block",
        .tag_match = "icontains", .default_page_size = 50, .max_page_size = 5000,
};

/* ---- hosts --------------------------------------------------------------- */

typedef struct Host {
        int64_t id;
        char *fixed;            /* API members that only a PUT of the state changes, no braces */
        char *extra;            /* members of the state that the API does not show */
        char *name, *state, *last_source;       /* for the filters */
        long long threat, certainty;
        bool key_asset;
        char **tags;
        size_t n_tags;
        char *note, *note_by, *note_ts;         /* NULL: null */
        char **notes;           /* this host's notes, each one JSON object */
        size_t n_notes;
        char *json;             /* the API object, base URL cut out at url_at */
        size_t json_len, url_at;
} Host;

static struct {
        Host *v;
        size_t n;
        int64_t next_note_id;
        char *other_notes;      /* notes.account and notes.detection members, verbatim */
        unsigned gen;           /* bumped when tags or the whole state change */
        char *initial;          /* PUT /__sim/state?initial=1: what reset restores */
} db;

static void host_free(Host *h)
{
        free(h->fixed);
        free(h->extra);
        free(h->name);
        free(h->state);
        free(h->last_source);
        for (size_t i = 0; i < h->n_tags; i++)
                free(h->tags[i]);
        free(h->tags);
        free(h->note);
        free(h->note_by);
        free(h->note_ts);
        for (size_t i = 0; i < h->n_notes; i++)
                free(h->notes[i]);
        free(h->notes);
        free(h->json);
}

static void hosts_free(Host *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                host_free(&v[i]);
        free(v);
}

static void put_tags(Buf *b, const Host *h)
{
        buf_puts(b, "\"tags\":[");
        for (size_t i = 0; i < h->n_tags; i++) {
                if (i)
                        buf_puts(b, ",");
                buf_json_str(b, h->tags[i]);
        }
        buf_puts(b, "]");
}

static void put_note_fields(Buf *b, const Host *h)
{
        buf_puts(b, ",\"note\":");
        buf_json_str(b, h->note);
        buf_puts(b, ",\"note_modified_by\":");
        buf_json_str(b, h->note_by);
        buf_puts(b, ",\"note_modified_timestamp\":");
        buf_json_str(b, h->note_ts);
}

/* The API object (vectra_sim's render): stored members, url, detection_set
 * (no detections here: empty), is_key_asset. */
static void host_render(Host *h)
{
        Buf b = {};

        buf_puts(&b, "{");
        buf_puts(&b, h->fixed);
        buf_puts(&b, ",");
        put_tags(&b, h);
        put_note_fields(&b, h);
        buf_puts(&b, ",\"url\":\"");
        h->url_at = b.n;
        buf_printf(&b, "/hosts/%" PRId64 "\",\"detection_set\":[],\"is_key_asset\":%s}", h->id,
                   h->key_asset ? "true" : "false");
        free(h->json);
        h->json = b.s;
        h->json_len = b.n;
}

/* The state's form (GET /__sim/state): no derived members. */
static void host_state(Buf *b, const Host *h)
{
        buf_puts(b, "{");
        buf_puts(b, h->fixed);
        buf_puts(b, ",");
        put_tags(b, h);
        put_note_fields(b, h);
        if (h->extra && *h->extra) {
                buf_puts(b, ",");
                buf_puts(b, h->extra);
        }
        buf_puts(b, "}");
}

static Host *host_find(int64_t id)
{
        size_t lo = 0, hi = db.n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (db.v[mid].id == id)
                        return &db.v[mid];
                if (db.v[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

/* vectra_sim.scale_hosts: n hosts with ids from first, `tagged` of them
 * (evenly spread) carrying the tag. */
static void scale_hosts(Host *out, long n, long tagged, int64_t first)
{
        for (long k = 0; k < n; k++) {
                Host *h = &out[k];
                long a = k / (256 * 254), rest = k % (256 * 254);
                char ip[32];
                Buf f = {}, x = {};
                bool has_tag = tagged > 0 && ((k + 1) * tagged) / n > (k * tagged) / n;

                snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld", a % 256, rest / 254, rest % 254 + 1);
                memset(h, 0, sizeof(*h));
                h->id = first + k;
                h->threat = (k * 37) % 100;
                h->certainty = (k * 61) % 100;
                buf_printf(&f, "\"id\":%" PRId64 ",\"name\":\"scale-host-%06ld\",\"last_source\":\"%s\",\"ip\":\"%s\","
                           "\"threat\":%lld,\"certainty\":%lld,\"state\":\"active\",\"key_asset\":false,"
                           "\"targets_key_asset\":false,\"probable_owner\":null,\"ldap\":null,"
                           "\"host_artifact_set\":[{\"type\":\"mac\",\"value\":\"02:00:%02lx:%02lx:%02lx:%02lx\","
                           "\"source\":null,\"siem\":false},{\"type\":\"dns\",\"value\":"
                           "\"scale-host-%06ld.corp.example\",\"source\":null,\"siem\":false}],"
                           "\"last_seen\":\"2026-01-10T08:00:00Z\"",
                           h->id, k, ip, ip, h->threat, h->certainty, (k >> 24) & 255, (k >> 16) & 255,
                           (k >> 8) & 255, k & 255, k);
                buf_printf(&x, "\"urgency_score\":%ld,\"importance\":\"medium\",\"is_prioritized\":false",
                           (k * 53) % 101);
                h->fixed = f.s;
                h->extra = x.s;
                h->name = xmalloc(32);
                snprintf(h->name, 32, "scale-host-%06ld", k);
                h->state = xstrdup("active");
                h->last_source = xstrdup(ip);
                if (has_tag) {
                        h->tags = xmalloc(sizeof(char *));
                        h->tags[0] = xstrdup(opt.tag);
                        h->n_tags = 1;
                }
                host_render(h);
        }
}

static bool json_id(const cJSON *j, int64_t *ret)
{
        long long v;

        if (cJSON_IsNumber(j) && j->valuedouble == (double) (int64_t) j->valuedouble) {
                *ret = (int64_t) j->valuedouble;
                return true;
        }
        if (cJSON_IsString(j) && j->valuestring[0] && strspn(j->valuestring, "0123456789") ==
            strlen(j->valuestring) && parse_int(j->valuestring, &v)) {
                *ret = v;
                return true;
        }
        return false;
}

/* A JSON string or null into *ret (NULL for null); false on another type. */
static bool json_opt_str(const cJSON *j, char **ret)
{
        if (!j || cJSON_IsNull(j)) {
                *ret = NULL;
                return true;
        }
        if (!cJSON_IsString(j))
                return false;
        *ret = xstrdup(j->valuestring);
        return true;
}

static bool json_str_list(const cJSON *j, char ***ret, size_t *ret_n)
{
        size_t n = 0;
        const cJSON *t;
        char **v;

        if (!cJSON_IsArray(j))
                return false;
        cJSON_ArrayForEach(t, j) {
                if (!cJSON_IsString(t))
                        return false;
                n++;
        }
        v = xmalloc(n * sizeof(char *));
        n = 0;
        cJSON_ArrayForEach(t, j)
                v[n++] = xstrdup(t->valuestring);
        *ret = v;
        *ret_n = n;
        return true;
}

static void member(Buf *b, const char *key, const cJSON *val)
{
        char *v = cJSON_PrintUnformatted(val);

        if (b->n)
                buf_puts(b, ",");
        buf_json_str(b, key);
        buf_puts(b, ":");
        buf_puts(b, v);
        free(v);
}

static const char *const NOTE_KEYS[] = { "note", "note_modified_by", "note_modified_timestamp" };
static const char *const EXTRA_KEYS[] = { "urgency_score", "importance", "is_prioritized" };
static const char *const DERIVED_KEYS[] = { "url", "detection_set", "is_key_asset" };

static bool in_list(const char *s, const char *const *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, v[i]) == 0)
                        return true;
        return false;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* One host of a state document, defaults filled in as normalise_state does. */
static bool host_from_json(cJSON *o, Host *h, char *err, size_t errlen)
{
        cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id"), *c;
        Buf f = {}, x = {};
        char idname[32];

        memset(h, 0, sizeof(*h));
        if (!cJSON_IsObject(o) || !id || !json_id(id, &h->id)) {
                snprintf(err, errlen, "hosts: each entry must be an object with an integer id");
                return false;
        }
        snprintf(idname, sizeof(idname), "host-%" PRId64, h->id);
        if (!cJSON_GetObjectItemCaseSensitive(o, "name"))
                cJSON_AddStringToObject(o, "name", idname);
        c = cJSON_GetObjectItemCaseSensitive(o, "last_source");
        if (!c || cJSON_IsNull(c)) {
                const cJSON *ip = cJSON_GetObjectItemCaseSensitive(o, "ip");

                cJSON_DeleteItemFromObjectCaseSensitive(o, "last_source");
                cJSON_AddItemToObject(o, "last_source", ip ? cJSON_Duplicate(ip, true) : cJSON_CreateNull());
        }
        c = cJSON_GetObjectItemCaseSensitive(o, "ip");
        if (!c || cJSON_IsNull(c)) {
                cJSON_DeleteItemFromObjectCaseSensitive(o, "ip");
                cJSON_AddItemToObject(o, "ip",
                                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(o, "last_source"), true));
        }
        static const struct { const char *key; int type; const char *s; } defaults[] = {
                { "threat", cJSON_Number, NULL }, { "certainty", cJSON_Number, NULL },
                { "state", cJSON_String, "active" }, { "key_asset", cJSON_False, NULL },
                { "targets_key_asset", cJSON_False, NULL }, { "probable_owner", cJSON_NULL, NULL },
                { "ldap", cJSON_NULL, NULL }, { "host_artifact_set", cJSON_Array, NULL },
                { "tags", cJSON_Array, NULL }, { "last_seen", cJSON_NULL, NULL },
                { "urgency_score", cJSON_Number, NULL }, { "importance", cJSON_String, "medium" },
                { "is_prioritized", cJSON_False, NULL },
        };
        for (size_t i = 0; i < N_OF(defaults); i++) {
                if (cJSON_GetObjectItemCaseSensitive(o, defaults[i].key))
                        continue;
                switch (defaults[i].type) {
                case cJSON_Number: cJSON_AddNumberToObject(o, defaults[i].key, 0); break;
                case cJSON_String: cJSON_AddStringToObject(o, defaults[i].key, defaults[i].s); break;
                case cJSON_False: cJSON_AddFalseToObject(o, defaults[i].key); break;
                case cJSON_NULL: cJSON_AddNullToObject(o, defaults[i].key); break;
                default: cJSON_AddArrayToObject(o, defaults[i].key); break;
                }
        }
        if (!json_str_list(cJSON_GetObjectItemCaseSensitive(o, "tags"), &h->tags, &h->n_tags)) {
                snprintf(err, errlen, "host %" PRId64 ": tags must be a list of strings", h->id);
                return false;
        }
        if (!json_opt_str(cJSON_GetObjectItemCaseSensitive(o, "note"), &h->note) ||
            !json_opt_str(cJSON_GetObjectItemCaseSensitive(o, "note_modified_by"), &h->note_by) ||
            !json_opt_str(cJSON_GetObjectItemCaseSensitive(o, "note_modified_timestamp"), &h->note_ts)) {
                snprintf(err, errlen, "host %" PRId64 ": note fields must be strings or null", h->id);
                return false;
        }
        c = cJSON_GetObjectItemCaseSensitive(o, "detection_set");
        if (c && !(cJSON_IsArray(c) && cJSON_GetArraySize(c) == 0)) {
                snprintf(err, errlen, "host %" PRId64 ": detection_set is not supported by scale_sim", h->id);
                return false;
        }
        c = cJSON_GetObjectItemCaseSensitive(o, "name");
        h->name = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
        c = cJSON_GetObjectItemCaseSensitive(o, "state");
        h->state = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
        c = cJSON_GetObjectItemCaseSensitive(o, "last_source");
        h->last_source = xstrdup(cJSON_IsString(c) ? c->valuestring : "");
        c = cJSON_GetObjectItemCaseSensitive(o, "threat");
        h->threat = cJSON_IsNumber(c) ? (long long) c->valuedouble : 0;
        c = cJSON_GetObjectItemCaseSensitive(o, "certainty");
        h->certainty = cJSON_IsNumber(c) ? (long long) c->valuedouble : 0;
        h->key_asset = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "key_asset"));
        cJSON_ArrayForEach(c, o) {
                if (strcmp(c->string, "tags") == 0 || in_list(c->string, NOTE_KEYS, N_OF(NOTE_KEYS)) ||
                    in_list(c->string, DERIVED_KEYS, N_OF(DERIVED_KEYS)))
                        continue;
                if (strcmp(c->string, "id") == 0) {
                        if (f.n)
                                buf_puts(&f, ",");
                        buf_printf(&f, "\"id\":%" PRId64, h->id);
                } else {
                        member(in_list(c->string, EXTRA_KEYS, N_OF(EXTRA_KEYS)) ? &x : &f, c->string, c);
                }
        }
        h->fixed = f.s;
        h->extra = x.s ? x.s : xstrdup("");
        host_render(h);
        return true;
}

static int host_cmp(const void *a, const void *b)
{
        int64_t x = ((const Host *) a)->id, y = ((const Host *) b)->id;

        return x < y ? -1 : x > y;
}

/* A state document (vectra_sim's STATE_KEYS) into hosts and notes; the
 * current state is replaced only when all of it is good. */
static bool state_load(const char *text, size_t len, char *err, size_t errlen)
{
        cJSON *j = cJSON_ParseWithLength(text, len), *c, *notes, *per;
        Host *v = NULL;
        size_t n = 0;
        int64_t next_note = 1;
        Buf other = {};
        bool ok = false;

        if (!cJSON_IsObject(j)) {
                snprintf(err, errlen, "the state must be a JSON object");
                goto out;
        }
        cJSON_ArrayForEach(c, j) {
                static const char *const known[] = { "hosts", "accounts", "detections", "groups", "notes",
                                                     "next_note_id" };

                if (c->string[0] == '_')
                        continue;
                if (!in_list(c->string, known, N_OF(known))) {
                        snprintf(err, errlen, "unknown state key \"%s\"", c->string);
                        goto out;
                }
                if (strcmp(c->string, "hosts") && strcmp(c->string, "notes") && strcmp(c->string, "next_note_id") &&
                    !(cJSON_IsArray(c) && cJSON_GetArraySize(c) == 0)) {
                        snprintf(err, errlen, "%s: scale_sim serves hosts only (use tests/sim/vectra_sim.py)",
                                 c->string);
                        goto out;
                }
        }
        c = cJSON_GetObjectItemCaseSensitive(j, "hosts");
        if (c && !cJSON_IsArray(c)) {
                snprintf(err, errlen, "hosts must be a list");
                goto out;
        }
        v = xmalloc((size_t) (c ? cJSON_GetArraySize(c) : 0) * sizeof(Host) + 1);
        if (c) {
                cJSON *o;

                cJSON_ArrayForEach(o, c) {
                        if (!host_from_json(o, &v[n], err, errlen)) {
                                host_free(&v[n]);
                                goto out;
                        }
                        n++;
                }
        }
        qsort(v, n, sizeof(Host), host_cmp);
        for (size_t i = 1; i < n; i++)
                if (v[i].id == v[i - 1].id) {
                        snprintf(err, errlen, "hosts: duplicate id %" PRId64, v[i].id);
                        goto out;
                }
        notes = cJSON_GetObjectItemCaseSensitive(j, "notes");
        if (notes && !cJSON_IsObject(notes)) {
                snprintf(err, errlen, "notes must be an object");
                goto out;
        }
        cJSON_ArrayForEach(per, notes) {
                cJSON *lst;

                if (!cJSON_IsObject(per)) {
                        snprintf(err, errlen, "notes.%s must map ids to lists of notes", per->string);
                        goto out;
                }
                cJSON_ArrayForEach(lst, per) {
                        cJSON *note;

                        if (!cJSON_IsArray(lst)) {
                                snprintf(err, errlen, "notes.%s must map ids to lists of notes", per->string);
                                goto out;
                        }
                        cJSON_ArrayForEach(note, lst) {
                                cJSON *nid = cJSON_GetObjectItemCaseSensitive(note, "id");

                                if (cJSON_IsNumber(nid) && (int64_t) nid->valuedouble >= next_note)
                                        next_note = (int64_t) nid->valuedouble + 1;
                        }
                }
                if (strcmp(per->string, "host") == 0) {
                        cJSON_ArrayForEach(lst, per) {
                                long long id;
                                Host key, *h;
                                cJSON *note;

                                if (!parse_int(lst->string, &id))
                                        continue;
                                key.id = id;
                                h = bsearch(&key, v, n, sizeof(Host), host_cmp);
                                if (!h)
                                        continue;       /* kept by vectra_sim, shown nowhere: dropped */
                                h->notes = xmalloc((size_t) cJSON_GetArraySize(lst) * sizeof(char *) + 1);
                                cJSON_ArrayForEach(note, lst)
                                        h->notes[h->n_notes++] = cJSON_PrintUnformatted(note);
                        }
                } else {
                        member(&other, per->string, per);
                }
        }
        c = cJSON_GetObjectItemCaseSensitive(j, "next_note_id");
        if (cJSON_IsNumber(c) && (int64_t) c->valuedouble > next_note)
                next_note = (int64_t) c->valuedouble;
        hosts_free(db.v, db.n);
        db.v = v;
        db.n = n;
        v = NULL;
        free(db.other_notes);
        db.other_notes = other.s ? other.s : xstrdup("");
        other.s = NULL;
        db.next_note_id = next_note;
        db.gen++;
        ok = true;
out:
        if (v)
                hosts_free(v, n);
        free(other.s);
        cJSON_Delete(j);
        return ok;
}

static void state_render(Buf *b)
{
        bool first = true;

        buf_puts(b, "{\"hosts\":[");
        for (size_t i = 0; i < db.n; i++) {
                if (i)
                        buf_puts(b, ",");
                host_state(b, &db.v[i]);
        }
        buf_puts(b, "],\"accounts\":[],\"detections\":[],\"groups\":[],\"notes\":{\"host\":{");
        for (size_t i = 0; i < db.n; i++) {
                const Host *h = &db.v[i];

                if (!h->n_notes)
                        continue;
                buf_printf(b, "%s\"%" PRId64 "\":[", first ? "" : ",", h->id);
                first = false;
                for (size_t k = 0; k < h->n_notes; k++) {
                        if (k)
                                buf_puts(b, ",");
                        buf_puts(b, h->notes[k]);
                }
                buf_puts(b, "]");
        }
        buf_puts(b, "}");
        if (db.other_notes && *db.other_notes) {
                buf_puts(b, ",");
                buf_puts(b, db.other_notes);
        }
        if (!db.other_notes || !strstr(db.other_notes, "\"account\":"))
                buf_puts(b, ",\"account\":{}");
        if (!db.other_notes || !strstr(db.other_notes, "\"detection\":"))
                buf_puts(b, ",\"detection\":{}");
        buf_printf(b, "},\"next_note_id\":%" PRId64 "}", db.next_note_id);
}

/* The state at start (or at /__sim/reset): --state, then the scale hosts. */
static bool state_initial(char *err, size_t errlen)
{
        int64_t first = 1;
        size_t old;

        if (db.initial)
                return state_load(db.initial, strlen(db.initial), err, errlen);
        if (opt.state) {
                FILE *f = fopen(opt.state, "r");
                Buf t = {};
                char chunk[65536];
                size_t k;
                bool ok;

                if (!f) {
                        snprintf(err, errlen, "--state %s: %s", opt.state, strerror(errno));
                        return false;
                }
                while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0 && t.n < MAX_BODY)
                        buf_add(&t, chunk, k);
                fclose(f);
                ok = state_load(t.s ? t.s : "", t.n, err, errlen);
                free(t.s);
                if (!ok)
                        return false;
        } else {
                state_load("{}", 2, err, errlen);
        }
        if (db.n)
                first = db.v[db.n - 1].id + 1;
        old = db.n;
        db.v = xrealloc(db.v, (old + (size_t) opt.scale_hosts) * sizeof(Host));
        scale_hosts(db.v + old, opt.scale_hosts, opt.scale_tagged, first);
        db.n = old + (size_t) opt.scale_hosts;
        return true;
}

/* ---- requests ------------------------------------------------------------ */

typedef struct Arg {
        const char *key, *val;
} Arg;

typedef struct Req {
        double t0, latency_ms;
        bool control, delayed, counted;
        unsigned gen;
        int concurrent;
        uint64_t seq;
        Buf body;
        bool too_big;
        Arg args[MAX_ARGS];
        int n_args;
} Req;

typedef struct Out {
        int status;
        Buf body;
        const char *hname, *hval;      /* one extra header, or NULL */
} Out;

static void out_json(Out *o, int status, Buf *body)
{
        o->status = status;
        o->body = *body;
        *body = (Buf) {};
}

static void out_detail(Out *o, int status, const char *detail)
{
        Buf b = {};

        buf_puts(&b, "{\"detail\":");
        buf_json_str(&b, detail);
        buf_puts(&b, "}");
        out_json(o, status, &b);
}

static void out_error(Out *o, int status, const char *message)
{
        Buf b = {};

        buf_puts(&b, "{\"error\":");
        buf_json_str(&b, message);
        buf_printf(&b, ",\"status\":%d}", status);
        out_json(o, status, &b);
}

static const char *arg(const Req *r, const char *key)
{
        for (int i = 0; i < r->n_args; i++)
                if (strcmp(r->args[i].key, key) == 0)
                        return r->args[i].val;
        return NULL;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *val)
{
        Req *r = cls;

        (void) kind;
        if (r->n_args < MAX_ARGS)
                r->args[r->n_args++] = (Arg) { key, val ? val : "" };
        return MHD_YES;
}

static struct {
        struct MHD_Daemon *d;
        int port;
        uint64_t seq;
        int in_flight, max_in_flight;
        unsigned gen;
        FILE *log;
        struct Entry {
                char *line;             /* the JSON object */
                size_t len;
                char method[12];
                char *path;
                int status;
        } *log_v;
        size_t log_n, log_cap, log_dropped;
} srv;

/* "scheme://host:port", from the Host header as vectra_sim's origin(). */
static void origin(struct MHD_Connection *c, Buf *b)
{
        const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");

        if (host && *host)
                buf_printf(b, "http://%s", host);
        else
                buf_printf(b, "http://127.0.0.1:%d", srv.port);
}

/* ---- host lists ------------------------------------------------------- */

static struct {
        char *key;
        unsigned gen;
        uint32_t *ids;
        size_t n;
} sel_cache[SEL_CACHE];
static unsigned sel_next;

static bool tag_match(const char *tag, const char *want)
{
        if (strcmp(opt.tag_match, "exact") == 0)
                return strcmp(tag, want) == 0;
        if (strcmp(opt.tag_match, "contains") == 0)
                return strstr(tag, want) != NULL;
        return strcasestr(tag, want) != NULL;
}

typedef struct Filter {
        const char *tags, *state, *name, *last_source;
        bool has_threat, has_certainty, has_key_asset, key_asset;
        long long threat, certainty;
} Filter;

static bool host_matches(const Host *h, const Filter *f)
{
        if (f->tags) {
                bool any = false;

                for (size_t i = 0; i < h->n_tags && !any; i++)
                        any = tag_match(h->tags[i], f->tags);
                if (!any)
                        return false;
        }
        if (f->has_threat && h->threat < f->threat)
                return false;
        if (f->has_certainty && h->certainty < f->certainty)
                return false;
        if (f->state && strcmp(h->state, f->state) != 0)
                return false;
        if (f->name && !strcasestr(h->name, f->name))
                return false;
        if (f->last_source && strcmp(h->last_source, f->last_source) != 0)
                return false;
        if (f->has_key_asset && h->key_asset != f->key_asset)
                return false;
        return true;
}

/* Indexes (into db.v, id order) of the hosts the filters keep; cached
 * until the next change of tags or state. */
static bool select_hosts(const Req *r, Out *o, const uint32_t **ret, size_t *ret_n)
{
        Filter f = {};
        Buf key = {};
        const char *v;
        char msg[128];
        uint32_t *ids;
        size_t n = 0;

        for (int i = 0; i < r->n_args; i++) {
                const char *k = r->args[i].key;

                if (strcmp(k, "ordering") == 0 || strcmp(k, "mac_address") == 0) {
                        snprintf(msg, sizeof(msg), "%s: not supported by scale_sim", k);
                        out_detail(o, 400, msg);
                        free(key.s);
                        return false;
                }
                if (strcmp(k, "page") && strcmp(k, "page_size") && strcmp(k, "fields"))
                        buf_printf(&key, "%s=%s&", k, r->args[i].val);
        }
        f.tags = arg(r, "tags");
        f.state = arg(r, "state");
        f.name = arg(r, "name");
        f.last_source = arg(r, "last_source");
        if ((v = arg(r, "threat_gte")) && !(f.has_threat = parse_int(v, &f.threat)))
                goto bad_int;
        if ((v = arg(r, "certainty_gte")) && !(f.has_certainty = parse_int(v, &f.certainty)))
                goto bad_int;
        if ((v = arg(r, "key_asset"))) {
                f.has_key_asset = true;
                if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
                        f.key_asset = true;
                else if (strcasecmp(v, "false") && strcmp(v, "0") && strcasecmp(v, "no") && strcasecmp(v, "off")) {
                        out_detail(o, 400, "key_asset: Must be a valid boolean.");
                        free(key.s);
                        return false;
                }
        }
        if (!key.s)
                key.s = xstrdup("");
        for (unsigned i = 0; i < SEL_CACHE; i++)
                if (sel_cache[i].key && sel_cache[i].gen == db.gen && strcmp(sel_cache[i].key, key.s) == 0) {
                        free(key.s);
                        *ret = sel_cache[i].ids;
                        *ret_n = sel_cache[i].n;
                        return true;
                }
        ids = xmalloc(db.n * sizeof(uint32_t));
        for (size_t i = 0; i < db.n; i++)
                if (host_matches(&db.v[i], &f))
                        ids[n++] = (uint32_t) i;
        unsigned slot = sel_next++ % SEL_CACHE;
        free(sel_cache[slot].key);
        free(sel_cache[slot].ids);
        sel_cache[slot].key = key.s;
        sel_cache[slot].gen = db.gen;
        sel_cache[slot].ids = ids;
        sel_cache[slot].n = n;
        *ret = ids;
        *ret_n = n;
        return true;
bad_int:
        snprintf(msg, sizeof(msg), "%s: A valid integer is required.", v == arg(r, "threat_gte") ?
                 "threat_gte" : "certainty_gte");
        out_detail(o, 400, msg);
        free(key.s);
        return false;
}

static int arg_cmp(const void *a, const void *b)
{
        return strcmp(((const Arg *) a)->key, ((const Arg *) b)->key);
}

/* vectra_sim's page_url: the parameters sorted by name, page replaced
 * (removed for page 1), quote_plus encoding. */
static void page_url(struct MHD_Connection *c, const Req *r, const char *path, long page, Buf *b)
{
        Arg v[MAX_ARGS + 1];
        int n = 0;
        char num[24];

        for (int i = 0; i < r->n_args; i++)
                if (strcmp(r->args[i].key, "page") != 0)
                        v[n++] = r->args[i];
        if (page > 1) {
                snprintf(num, sizeof(num), "%ld", page);
                v[n++] = (Arg) { "page", num };
        }
        /* stable by name, as Python's sort of the grouped items */
        for (int i = 1; i < n; i++)
                for (int k = i; k > 0 && arg_cmp(&v[k - 1], &v[k]) > 0; k--) {
                        Arg t = v[k];

                        v[k] = v[k - 1];
                        v[k - 1] = t;
                }
        buf_puts(b, "\"");
        origin(c, b);
        buf_puts(b, path);
        for (int i = 0; i < n; i++) {
                buf_puts(b, i ? "&" : "?");
                buf_quote_plus(b, v[i].key);
                buf_puts(b, "=");
                buf_quote_plus(b, v[i].val);
        }
        buf_puts(b, "\"");
}

/* Only the named members of one object (fields=), in the order asked. */
static void pick_fields(Buf *b, const char *obj, size_t len, const char *fields)
{
        cJSON *j = cJSON_ParseWithLength(obj, len);
        char *list = xstrdup(fields), *save = NULL;
        Buf m = {};

        for (char *f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
                while (*f == ' ')
                        f++;
                size_t k = strlen(f);

                while (k && f[k - 1] == ' ')
                        f[--k] = '\0';
                const cJSON *v = *f ? cJSON_GetObjectItemCaseSensitive(j, f) : NULL;

                if (v)
                        member(&m, f, v);
        }
        buf_puts(b, "{");
        if (m.s)
                buf_puts(b, m.s);
        buf_puts(b, "}");
        free(m.s);
        free(list);
        cJSON_Delete(j);
}

static void host_api(Buf *b, const Host *h, const char *base, size_t base_len)
{
        buf_grow(b, h->json_len + base_len);
        memcpy(b->s + b->n, h->json, h->url_at);
        b->n += h->url_at;
        memcpy(b->s + b->n, base, base_len);
        b->n += base_len;
        memcpy(b->s + b->n, h->json + h->url_at, h->json_len - h->url_at);
        b->n += h->json_len - h->url_at;
        b->s[b->n] = '\0';
}

static void list_answer(struct MHD_Connection *c, const Req *r, const char *path, bool hosts, Out *o)
{
        const uint32_t *ids = NULL;
        size_t count = 0, from, to, need;
        long long ps, pg;
        long page_size = opt.default_page_size, pages, page;
        const char *pv = arg(r, "page"), *fields = arg(r, "fields");
        Buf base = {}, b = {};

        if (hosts && !select_hosts(r, o, &ids, &count))
                return;
        if (parse_int(arg(r, "page_size"), &ps) && ps >= 1)
                page_size = ps > opt.max_page_size ? opt.max_page_size : (long) ps;
        if (page_size > opt.max_page_size)
                page_size = opt.max_page_size;
        pages = count ? (long) ((count + (size_t) page_size - 1) / (size_t) page_size) : 1;
        if (!pv)
                page = 1;
        else if (strcmp(pv, "last") == 0)
                page = pages;
        else if (parse_int(pv, &pg))
                page = pg < 1 || pg > pages ? 0 : (long) pg;
        else
                page = 0;
        if (page < 1) {
                out_detail(o, 404, "Invalid page.");
                return;
        }
        from = (size_t) (page - 1) * (size_t) page_size;
        to = from + (size_t) page_size < count ? from + (size_t) page_size : count;
        origin(c, &base);
        buf_puts(&base, BASE);
        need = 128 + 2 * (base.n + strlen(path) + 512);
        for (size_t i = from; i < to; i++)
                need += db.v[ids[i]].json_len + base.n + 1;
        buf_grow(&b, need);
        buf_printf(&b, "{\"count\":%zu,\"next\":", count);
        if (page < pages)
                page_url(c, r, path, page + 1, &b);
        else
                buf_puts(&b, "null");
        buf_puts(&b, ",\"previous\":");
        if (page > 1)
                page_url(c, r, path, page - 1, &b);
        else
                buf_puts(&b, "null");
        buf_puts(&b, ",\"results\":[");
        for (size_t i = from; i < to; i++) {
                const Host *h = &db.v[ids[i]];

                if (i > from)
                        buf_add(&b, ",", 1);
                if (fields) {
                        Buf one = {};

                        host_api(&one, h, base.s, base.n);
                        pick_fields(&b, one.s, one.n, fields);
                        free(one.s);
                } else {
                        host_api(&b, h, base.s, base.n);
                }
        }
        buf_puts(&b, "]}");
        free(base.s);
        out_json(o, 200, &b);
}

/* ---- API routes ----------------------------------------------------------- */

/* "Authorization: Token T" with --token; anything else is a 401. */
static bool authenticate(struct MHD_Connection *c, Out *o)
{
        const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        size_t k;

        o->hname = "WWW-Authenticate";
        o->hval = "Bearer realm=\"api\"";
        if (!v || !*v) {
                out_detail(o, 401, "Authentication credentials were not provided.");
                return false;
        }
        while (*v == ' ')
                v++;
        k = strcspn(v, " ");
        if (k == 5 && strncasecmp(v, "token", 5) == 0) {
                const char *cred = v + k;
                size_t n;

                while (*cred == ' ')
                        cred++;
                n = strlen(cred);
                while (n && cred[n - 1] == ' ')
                        n--;
                if (n == strlen(opt.token) && memcmp(cred, opt.token, n) == 0) {
                        o->hname = o->hval = NULL;
                        return true;
                }
                o->hval = "Token";
                out_detail(o, 401, "Invalid token.");
                return false;
        }
        if (k == 6 && strncasecmp(v, "bearer", 6) == 0) {
                out_detail(o, 401, "Invalid token. (scale_sim has no OAuth: use the legacy token)");
                return false;
        }
        out_detail(o, 401, "Unsupported authorization scheme.");
        return false;
}

static bool need_json(struct MHD_Connection *c, Out *o)
{
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        char t[128], msg[200];
        size_t n;

        snprintf(t, sizeof(t), "%s", ct ? ct : "");
        n = strcspn(t, ";");
        t[n] = '\0';
        while (n && t[n - 1] == ' ')
                t[--n] = '\0';
        for (char *p = t; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        if (strcmp(t, "application/json") == 0)
                return true;
        snprintf(msg, sizeof(msg), "Unsupported media type \"%s\" in request.", t);
        out_detail(o, 415, msg);
        return false;
}

static void method_not_allowed(Out *o, const char *method, const char *allow)
{
        char msg[64];

        snprintf(msg, sizeof(msg), "Method \"%s\" not allowed.", method);
        out_detail(o, 405, msg);
        o->hname = "Allow";
        o->hval = allow;
}

/* "123" or "123/" at s: the id and what follows it; false when no id. */
static bool path_id(const char *s, int64_t *id, const char **rest)
{
        long long v;
        size_t n = strspn(s, "0123456789");
        char tmp[24];

        if (n == 0 || n >= sizeof(tmp))
                return false;
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        if (!parse_int(tmp, &v))
                return false;
        *id = v;
        *rest = s + n;
        return true;
}

static bool is_end(const char *s)
{
        return s[0] == '\0' || (s[0] == '/' && s[1] == '\0');
}

static void tags_answer(Buf *b, const Host *h)
{
        buf_printf(b, "{\"status\":\"success\",\"tag_id\":%" PRId64 ",", h->id);
        put_tags(b, h);
        buf_puts(b, "}");
}

static void api(struct MHD_Connection *c, const char *method, const char *url, Req *r, Out *o)
{
        const char *p = url + strlen(BASE), *rest;
        bool get = strcmp(method, "GET") == 0;
        int64_t id;
        Host *h;
        Buf b = {};
        char msg[300];

        if (strncmp(p, "/hosts", 6) == 0 && is_end(p + 6)) {
                if (!get)
                        return out_error(o, 405, "method not allowed");
                if (authenticate(c, o))
                        list_answer(c, r, url, true, o);
                return;
        }
        static const char *const empty[] = { "/accounts", "/detections", "/groups" };
        for (size_t i = 0; i < N_OF(empty); i++) {
                size_t n = strlen(empty[i]);

                if (strncmp(p, empty[i], n) == 0 && is_end(p + n)) {
                        if (!get)
                                return out_error(o, 405, "method not allowed");
                        if (authenticate(c, o))
                                list_answer(c, r, url, false, o);
                        return;
                }
                if (strncmp(p, empty[i], n) == 0 && p[n] == '/' && path_id(p + n + 1, &id, &rest)) {
                        bool notes = strcmp(empty[i], "/groups") && (strcmp(rest, "/notes") == 0 ||
                                                                     strcmp(rest, "/notes/") == 0);

                        if (!is_end(rest) && !notes)
                                break;
                        if (notes ? strcmp(method, "GET") && strcmp(method, "POST") : !get)
                                return notes ? method_not_allowed(o, method, "GET, POST") :
                                               out_error(o, 405, "method not allowed");
                        if (authenticate(c, o))
                                out_detail(o, 404, "Not found.");
                        return;
                }
        }
        if (strncmp(p, "/hosts/", 7) == 0 && path_id(p + 7, &id, &rest)) {
                if (is_end(rest)) {
                        if (!get)
                                return out_error(o, 405, "method not allowed");
                        if (!authenticate(c, o))
                                return;
                        if (!(h = host_find(id)))
                                return out_detail(o, 404, "Not found.");
                        Buf base = {};

                        origin(c, &base);
                        buf_puts(&base, BASE);
                        if (arg(r, "fields") && *arg(r, "fields")) {
                                Buf one = {};

                                host_api(&one, h, base.s, base.n);
                                pick_fields(&b, one.s, one.n, arg(r, "fields"));
                                free(one.s);
                        } else {
                                host_api(&b, h, base.s, base.n);
                        }
                        free(base.s);
                        return out_json(o, 200, &b);
                }
                if (strcmp(rest, "/notes") == 0 || strcmp(rest, "/notes/") == 0) {
                        if (!get && strcmp(method, "POST"))
                                return method_not_allowed(o, method, "GET, POST");
                        if (!authenticate(c, o))
                                return;
                        if (!(h = host_find(id)))
                                return out_detail(o, 404, "Not found.");
                        if (get) {
                                buf_puts(&b, "[");
                                for (size_t i = 0; i < h->n_notes; i++) {
                                        if (i)
                                                buf_puts(&b, ",");
                                        buf_puts(&b, h->notes[i]);
                                }
                                buf_puts(&b, "]");
                                return out_json(o, 200, &b);
                        }
                        if (!need_json(c, o))
                                return;
                        cJSON *j = cJSON_ParseWithLength(r->body.s ? r->body.s : "", r->body.n);
                        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "note");
                        const char *s = cJSON_IsString(t) ? t->valuestring : NULL;

                        if (!j && r->body.n) {
                                snprintf(msg, sizeof(msg), "invalid JSON body");
                                cJSON_Delete(j);
                                return out_error(o, 400, msg);
                        }
                        if (!cJSON_IsObject(j) || !s || strspn(s, " \t\r\n\f\v") == strlen(s)) {
                                cJSON_Delete(j);
                                return out_detail(o, 400, "note: This field is required and must be a "
                                                  "non-empty string.");
                        }
                        char date[64];

                        iso_now(date);
                        buf_printf(&b, "{\"id\":%" PRId64 ",\"date_created\":\"%s\",\"date_modified\":null,"
                                   "\"created_by\":", db.next_note_id++, date);
                        buf_json_str(&b, opt.api_user);
                        buf_puts(&b, ",\"modified_by\":null,\"note\":");
                        buf_json_str(&b, s);
                        buf_puts(&b, "}");
                        h->notes = xrealloc(h->notes, (h->n_notes + 1) * sizeof(char *));
                        h->notes[h->n_notes++] = xstrdup(b.s);
                        free(h->note);
                        free(h->note_by);
                        free(h->note_ts);
                        h->note = xstrdup(s);
                        h->note_by = xstrdup(opt.api_user);
                        h->note_ts = xstrdup(date);
                        host_render(h);
                        cJSON_Delete(j);
                        return out_json(o, 201, &b);
                }
        }
        if (strncmp(p, "/tagging/", 9) == 0) {
                static const char *const kinds[] = { "host", "account", "detection", "entity" };
                const char *k = p + 9;

                for (size_t i = 0; i < N_OF(kinds); i++) {
                        size_t n = strlen(kinds[i]);

                        if (strncmp(k, kinds[i], n) || k[n] != '/' || !path_id(k + n + 1, &id, &rest) ||
                            !is_end(rest))
                                continue;
                        if (!get && strcmp(method, "PATCH"))
                                return method_not_allowed(o, method, "GET, PATCH");
                        if (!authenticate(c, o))
                                return;
                        if (i != 0 || !(h = host_find(id)))
                                return out_detail(o, 404, "Not found.");
                        if (get) {
                                tags_answer(&b, h);
                                return out_json(o, 200, &b);
                        }
                        if (!need_json(c, o))
                                return;
                        cJSON *j = cJSON_ParseWithLength(r->body.s ? r->body.s : "", r->body.n);
                        char **tags;
                        size_t nt;

                        if (!j && r->body.n) {
                                cJSON_Delete(j);
                                return out_error(o, 400, "invalid JSON body");
                        }
                        if (!json_str_list(cJSON_GetObjectItemCaseSensitive(j, "tags"), &tags, &nt)) {
                                cJSON_Delete(j);
                                return out_detail(o, 400, "tags: Expected a list of strings.");
                        }
                        cJSON_Delete(j);
                        for (size_t t = 0; t < h->n_tags; t++)
                                free(h->tags[t]);
                        free(h->tags);
                        h->tags = tags;
                        h->n_tags = nt;
                        host_render(h);
                        db.gen++;
                        tags_answer(&b, h);
                        return out_json(o, 200, &b);
                }
        }
        if (strcmp(p, "/oauth2/token") == 0 || strcmp(p, "/oauth2/token/") == 0) {
                Buf e = {};

                buf_puts(&e, "{\"error\":\"not_found\",\"error_description\":\"OAuth is not enabled on this "
                         "server.\",\"detail\":\"OAuth is not enabled on this server.\"}");
                return out_json(o, 404, &e);
        }
        snprintf(msg, sizeof(msg), "no route for %s %s", method, url);
        out_error(o, 404, msg);
}

/* ---- the request log and the control endpoints ---------------------------- */

/* "/api/v2.5/hosts/12/notes" -> "/hosts/{id}/notes", as endpoint_of. */
static void endpoint_of(const char *path, Buf *b)
{
        size_t n = strlen(BASE);

        if (strncmp(path, BASE "/", n + 1) == 0 && !strstr(path, "/oauth2/"))
                path += n;
        for (const char *p = path; *p;) {
                if (*p == '/' && isdigit((unsigned char) p[1])) {
                        size_t k = 1 + strspn(p + 1, "0123456789");

                        if (p[k] == '/' || p[k] == '\0') {
                                buf_puts(b, "/{id}");
                                p += k;
                                continue;
                        }
                }
                buf_add(b, p, 1);
                p++;
        }
}

static void log_request(const char *method, const char *url, const Req *r, int status)
{
        struct Entry *e;
        Buf b = {};
        double end = wall_now();

        buf_printf(&b, "{\"seq\":%" PRIu64 ",\"time\":%.6f,\"end\":%.6f,\"duration_ms\":%.3f,\"method\":", r->seq,
                   r->t0, end, (end - r->t0) * 1000.0);
        buf_json_str(&b, method);
        buf_puts(&b, ",\"path\":");
        buf_json_str(&b, url);
        buf_puts(&b, ",\"query\":{");
        /* parse_qs's grouping: one list per name, in first-seen order */
        for (int i = 0, first = 1; i < r->n_args; i++) {
                bool seen = false;

                for (int k = 0; k < i && !seen; k++)
                        seen = strcmp(r->args[k].key, r->args[i].key) == 0;
                if (seen)
                        continue;
                if (!first)
                        buf_puts(&b, ",");
                first = 0;
                buf_json_str(&b, r->args[i].key);
                buf_puts(&b, ":[");
                for (int k = i, m = 0; k < r->n_args; k++)
                        if (strcmp(r->args[k].key, r->args[i].key) == 0) {
                                if (m++)
                                        buf_puts(&b, ",");
                                buf_json_str(&b, r->args[k].val);
                        }
                buf_puts(&b, "]");
        }
        buf_puts(&b, "},\"body\":");
        buf_json_str(&b, r->body.s ? r->body.s : "");
        buf_printf(&b, ",\"body_len\":%zu,\"status\":%d,\"fault\":null,\"proxied\":false,\"concurrent\":%d", r->body.n, status,
                   r->concurrent);
        if (r->latency_ms > 0)
                buf_printf(&b, ",\"latency_ms\":%g", r->latency_ms);
        buf_printf(&b, ",\"sim\":\"vectra\",\"gen\":%u}", r->gen);
        /* buffered: flushed by every control request and at exit, not per line */
        if (srv.log) {
                fwrite(b.s, 1, b.n, srv.log);
                fputc('\n', srv.log);
        }
        /* a request that began before the last reset only goes to the file */
        if (r->gen != srv.gen || srv.log_n >= MAX_LOG) {
                srv.log_dropped += r->gen == srv.gen;
                free(b.s);
                return;
        }
        if (srv.log_n == srv.log_cap) {
                srv.log_cap = srv.log_cap ? 2 * srv.log_cap : 4096;
                srv.log_v = xrealloc(srv.log_v, srv.log_cap * sizeof(*srv.log_v));
        }
        e = &srv.log_v[srv.log_n++];
        e->line = b.s;
        e->len = b.n;
        snprintf(e->method, sizeof(e->method), "%s", method);
        e->path = xstrdup(url);
        e->status = status;
}

static void log_clear(void)
{
        for (size_t i = 0; i < srv.log_n; i++) {
                free(srv.log_v[i].line);
                free(srv.log_v[i].path);
        }
        srv.log_n = 0;
}

static void counts_answer(const Req *r, Out *o)
{
        struct Count {
                char *key;
                size_t n;
                int statuses[8], status_n[8], n_status;
        } *v = NULL;
        size_t nv = 0, total = 0;
        bool by_path = arg(r, "by") && strcmp(arg(r, "by"), "path") == 0;
        Buf b = {};

        for (size_t i = 0; i < srv.log_n; i++) {
                const struct Entry *e = &srv.log_v[i];
                Buf k = {};
                size_t j;

                buf_printf(&k, "%s ", e->method);
                if (by_path)
                        buf_puts(&k, e->path);
                else
                        endpoint_of(e->path, &k);
                for (j = 0; j < nv && strcmp(v[j].key, k.s); j++)
                        ;
                if (j == nv) {
                        v = xrealloc(v, (nv + 1) * sizeof(*v));
                        memset(&v[nv], 0, sizeof(*v));
                        v[nv++].key = k.s;
                } else {
                        free(k.s);
                }
                v[j].n++;
                total++;
                int s;

                for (s = 0; s < v[j].n_status && v[j].statuses[s] != e->status; s++)
                        ;
                if (s == v[j].n_status && s < 8) {
                        v[j].statuses[s] = e->status;
                        v[j].status_n[s] = 0;
                        v[j].n_status++;
                }
                if (s < 8)
                        v[j].status_n[s]++;
        }
        buf_printf(&b, "{\"total\":%zu,\"endpoints\":{", total);
        for (size_t j = 0; j < nv; j++) {
                buf_puts(&b, j ? "," : "");
                buf_json_str(&b, v[j].key);
                buf_printf(&b, ":%zu", v[j].n);
        }
        buf_puts(&b, "},\"status\":{");
        for (size_t j = 0; j < nv; j++) {
                buf_puts(&b, j ? "," : "");
                buf_json_str(&b, v[j].key);
                buf_puts(&b, ":{");
                for (int s = 0; s < v[j].n_status; s++)
                        buf_printf(&b, "%s\"%d\":%d", s ? "," : "", v[j].statuses[s], v[j].status_n[s]);
                buf_puts(&b, "}");
                free(v[j].key);
        }
        buf_puts(&b, "}}");
        free(v);
        out_json(o, 200, &b);
}

static void requests_answer(const Req *r, Out *o)
{
        const char *m = arg(r, "method"), *p = arg(r, "path"), *rx = arg(r, "path_re");
        regex_t re;
        Buf b = {};
        size_t need = 2, k = 0;

        if (rx && regcomp(&re, rx, REG_EXTENDED | REG_NOSUB) != 0)
                return out_error(o, 400, "path_re: not a valid (POSIX extended) regular expression");
        for (size_t i = 0; i < srv.log_n; i++)
                need += srv.log_v[i].len + 1;
        buf_grow(&b, need);
        buf_puts(&b, "[");
        for (size_t i = 0; i < srv.log_n; i++) {
                const struct Entry *e = &srv.log_v[i];

                if ((m && strcmp(m, e->method)) || (p && strcmp(p, e->path)) ||
                    (rx && regexec(&re, e->path, 0, NULL, 0) != 0))
                        continue;
                if (k++)
                        buf_add(&b, ",", 1);
                buf_add(&b, e->line, e->len);
        }
        buf_puts(&b, "]");
        if (rx)
                regfree(&re);
        out_json(o, 200, &b);
}

static void control(const char *method, const char *url, const Req *r, Out *o)
{
        const char *what = url + strlen("/__sim/");
        char w[64], err[300];
        size_t n;
        Buf b = {};

        snprintf(w, sizeof(w), "%s", what);
        n = strlen(w);
        while (n && w[n - 1] == '/')
                w[--n] = '\0';
        if (!strcmp(w, "health") && !strcmp(method, "GET")) {
                buf_printf(&b, "{\"ok\":true,\"sim\":\"vectra\",\"port\":%d,\"impl\":\"scale_sim\"}", srv.port);
                return out_json(o, 200, &b);
        }
        if (!strcmp(w, "requests") && !strcmp(method, "GET"))
                return requests_answer(r, o);
        if (!strcmp(w, "requests") && !strcmp(method, "DELETE")) {
                log_clear();
                buf_puts(&b, "{\"ok\":true}");
                return out_json(o, 200, &b);
        }
        if (!strcmp(w, "counts") && !strcmp(method, "GET"))
                return counts_answer(r, o);
        if (!strcmp(w, "stats") && !strcmp(method, "GET")) {
                buf_printf(&b, "{\"requests\":%zu,\"in_flight\":%d,\"max_in_flight\":%d,\"log_dropped\":%zu}",
                           srv.log_n, srv.in_flight, srv.max_in_flight, srv.log_dropped);
                return out_json(o, 200, &b);
        }
        if (!strcmp(w, "state") && !strcmp(method, "GET")) {
                state_render(&b);
                return out_json(o, 200, &b);
        }
        if (!strcmp(w, "state") && !strcmp(method, "PUT")) {
                const char *init = arg(r, "initial");

                if (r->too_big)
                        return out_error(o, 413, "body too large");
                if (!state_load(r->body.s ? r->body.s : "null", r->body.n ? r->body.n : 4, err, sizeof(err)))
                        return out_error(o, 400, err);
                if (init && (!strcmp(init, "1") || !strcmp(init, "true"))) {
                        free(db.initial);
                        db.initial = xstrdup(r->body.s);
                }
                buf_printf(&b, "{\"ok\":true,\"host\":%zu,\"account\":0,\"detection\":0,\"group\":0}", db.n);
                return out_json(o, 200, &b);
        }
        if (!strcmp(w, "reset") && !strcmp(method, "POST")) {
                log_clear();
                srv.gen++;
                srv.in_flight = srv.max_in_flight = 0;
                if (!state_initial(err, sizeof(err)))
                        return out_error(o, 500, err);
                buf_puts(&b, "{\"ok\":true}");
                return out_json(o, 200, &b);
        }
        if (!strncmp(w, "faults", 6) || !strncmp(w, "tokens", 6)) {
                snprintf(err, sizeof(err), "%s: not supported by scale_sim (use tests/sim/vectra_sim.py)", w);
                return out_error(o, 501, err);
        }
        snprintf(err, sizeof(err), "unknown control endpoint %s %s", method, url);
        out_error(o, 404, err);
}

/* ---- latency: suspended connections resumed by a timer thread ------------ */

static struct {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct Pending {
                struct MHD_Connection *c;
                double due;
        } *q;
        size_t head, n, cap;     /* a ring: the latency is the same for all, so FIFO is due order */
        bool stop;
        pthread_t thread;
} dq = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void delay_push(struct MHD_Connection *c, double due)
{
        pthread_mutex_lock(&dq.mu);
        if (dq.n == dq.cap) {
                size_t cap = dq.cap ? 2 * dq.cap : 64;
                struct Pending *q = xmalloc(cap * sizeof(*q));

                for (size_t i = 0; i < dq.n; i++)
                        q[i] = dq.q[(dq.head + i) % dq.cap];
                free(dq.q);
                dq.q = q;
                dq.head = 0;
                dq.cap = cap;
        }
        dq.q[(dq.head + dq.n++) % dq.cap] = (struct Pending) { c, due };
        pthread_cond_signal(&dq.cv);
        pthread_mutex_unlock(&dq.mu);
}

static void *delay_thread(void *unused)
{
        (void) unused;
        pthread_mutex_lock(&dq.mu);
        for (;;) {
                if (dq.n == 0) {
                        if (dq.stop)
                                break;
                        pthread_cond_wait(&dq.cv, &dq.mu);
                        continue;
                }
                struct Pending p = dq.q[dq.head];
                double now = mono_now();

                if (p.due > now && !dq.stop) {
                        struct timespec ts;

                        ts.tv_sec = (time_t) p.due;
                        ts.tv_nsec = (long) ((p.due - (double) ts.tv_sec) * 1e9);
                        pthread_cond_timedwait(&dq.cv, &dq.mu, &ts);
                        continue;
                }
                dq.head = (dq.head + 1) % dq.cap;
                dq.n--;
                pthread_mutex_unlock(&dq.mu);
                MHD_resume_connection(p.c);
                pthread_mutex_lock(&dq.mu);
        }
        pthread_mutex_unlock(&dq.mu);
        return NULL;
}

/* ---- libmicrohttpd glue ------------------------------------------------------ */

static enum MHD_Result send_out(struct MHD_Connection *c, Out *o)
{
        struct MHD_Response *resp;
        enum MHD_Result ret;
        size_t n = o->body.n;
        char *body = o->body.s;

        if (!body) {
                body = xstrdup("");
                n = 0;
        }
        resp = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "Content-Type", "application/json");
        if (o->hname)
                MHD_add_response_header(resp, o->hname, o->hval);
        ret = MHD_queue_response(c, (unsigned) o->status, resp);
        MHD_destroy_response(resp);
        return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **req_cls)
{
        Req *r = *req_cls;
        Out o = {};
        enum MHD_Result ret;

        (void) cls;
        (void) version;
        if (!r) {
                r = calloc(1, sizeof(*r));
                if (!r)
                        return MHD_NO;
                r->t0 = wall_now();
                r->seq = ++srv.seq;
                r->gen = srv.gen;
                r->control = strncmp(url, "/__sim/", 7) == 0;
                if (!r->control) {
                        r->counted = true;
                        srv.in_flight++;
                        if (srv.in_flight > srv.max_in_flight)
                                srv.max_in_flight = srv.in_flight;
                }
                r->concurrent = srv.in_flight;
                *req_cls = r;
                return MHD_YES;
        }
        if (*upload_size) {
                if (r->body.n + *upload_size > MAX_BODY)
                        r->too_big = true;
                else
                        buf_add(&r->body, upload, *upload_size);
                *upload_size = 0;
                return MHD_YES;
        }
        if (!r->control && opt.latency_ms > 0 && !r->delayed) {
                r->delayed = true;
                r->latency_ms = opt.latency_ms;
                MHD_suspend_connection(c);
                delay_push(c, mono_now() + opt.latency_ms / 1000.0);
                return MHD_YES;
        }
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, r);
        if (r->too_big && !r->control)
                out_error(&o, 413, "body too large");
        else if (r->control) {
                if (srv.log)
                        fflush(srv.log);
                control(method, url, r, &o);
        }
        else if (strncmp(url, BASE "/", strlen(BASE) + 1) == 0)
                api(c, method, url, r, &o);
        else {
                char msg[300];

                snprintf(msg, sizeof(msg), "no route for %s %s", method, url);
                out_error(&o, 404, msg);
        }
        if (!r->control) {
                log_request(method, url, r, o.status);
                if (r->counted && r->gen == srv.gen)
                        srv.in_flight--;
                r->counted = false;
        }
        if (opt.verbose)
                fprintf(stderr, "scale_sim: %s %s -> %d\n", method, url, o.status);
        ret = send_out(c, &o);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode t)
{
        Req *r = *req_cls;

        (void) cls;
        (void) c;
        (void) t;
        if (!r)
                return;
        if (r->counted && r->gen == srv.gen)      /* never answered */
                srv.in_flight--;
        free(r->body.s);
        free(r);
        *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
        const union MHD_ConnectionInfo *ci;
        int one = 1;

        (void) cls;
        (void) socket_ctx;
        if (code != MHD_CONNECTION_NOTIFY_STARTED || opt.nagle)
                return;
        ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci)
                setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- main ------------------------------------------------------------------- */

static void usage(FILE *f)
{
        fputs("usage: scale_sim [--api 2.5] [--scale-hosts N] [--scale-tagged M] [--tag TAG]\n"
              "                 [--latency-ms MS] [--port-file F] [--log F] [--port P] [--host 127.0.0.1]\n"
              "                 [--state FILE] [--token T] [--api-user U] [--default-page-size N]\n"
              "                 [--max-page-size N] [--tag-match icontains|contains|exact] [--nagle] [-v]\n",
              f);
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "api", required_argument, NULL, 'a' },
                { "scale-hosts", required_argument, NULL, 'H' },
                { "scale-tagged", required_argument, NULL, 'T' },
                { "tag", required_argument, NULL, 'g' },
                { "latency-ms", required_argument, NULL, 'l' },
                { "port-file", required_argument, NULL, 'f' },
                { "log", required_argument, NULL, 'L' },
                { "port", required_argument, NULL, 'p' },
                { "host", required_argument, NULL, 'h' },
                { "state", required_argument, NULL, 's' },
                { "token", required_argument, NULL, 't' },
                { "api-user", required_argument, NULL, 'u' },
                { "default-page-size", required_argument, NULL, 'd' },
                { "max-page-size", required_argument, NULL, 'm' },
                { "tag-match", required_argument, NULL, 'M' },
                { "nagle", no_argument, NULL, 'N' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, '?' },
                {},
        };
        struct sockaddr_in sa = { .sin_family = AF_INET };
        const union MHD_DaemonInfo *di;
        char err[300];
        sigset_t sigs;
        int o, sig;

        while ((o = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
                switch (o) {
                case 'a':
                        if (strcmp(optarg, "2.5")) {
                                fputs("scale_sim: only --api 2.5 (use tests/sim/vectra_sim.py for v3)\n", stderr);
                                return 2;
                        }
                        break;
                case 'H': opt.scale_hosts = atol(optarg); break;
                case 'T': opt.scale_tagged = atol(optarg); break;
                case 'g': opt.tag = optarg; break;
                case 'l': opt.latency_ms = atof(optarg); break;
                case 'f': opt.port_file = optarg; break;
                case 'L': opt.log = optarg; break;
                case 'p': opt.port = atoi(optarg); break;
                case 'h': opt.host = optarg; break;
                case 's': opt.state = optarg; break;
                case 't': opt.token = optarg; break;
                case 'u': opt.api_user = optarg; break;
                case 'd': opt.default_page_size = atol(optarg); break;
                case 'm': opt.max_page_size = atol(optarg); break;
                case 'M': opt.tag_match = optarg; break;
                case 'N': opt.nagle = true; break;
                case 'v': opt.verbose = true; break;
                default: usage(stderr); return 2;
                }
        }
        if (optind != argc || opt.scale_hosts < 0 || opt.scale_tagged < 0 || opt.scale_tagged > opt.scale_hosts ||
            opt.scale_hosts > 10000000 || opt.default_page_size < 1 || opt.max_page_size < 1 ||
            opt.latency_ms < 0 || opt.latency_ms > 600000 ||
            (strcmp(opt.tag_match, "icontains") && strcmp(opt.tag_match, "contains") &&
             strcmp(opt.tag_match, "exact"))) {
                usage(stderr);
                return 2;
        }
        if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
                fputs("scale_sim: --host must be an IPv4 loopback address\n", stderr);
                return 2;
        }
        sa.sin_port = htons((uint16_t) opt.port);
        if (!state_initial(err, sizeof(err))) {
                fprintf(stderr, "scale_sim: %s\n", err);
                return 2;
        }
        if (opt.log && !(srv.log = fopen(opt.log, "a"))) {
                fprintf(stderr, "scale_sim: %s: %s\n", opt.log, strerror(errno));
                return 2;
        }
        /* the signals are taken by sigwait below, not by MHD's or the timer's thread */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&dq.cv, &ca);
        if (pthread_create(&dq.thread, NULL, delay_thread, NULL) != 0) {
                fputs("scale_sim: cannot start the timer thread\n", stderr);
                return 2;
        }
        srv.d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0,
                                 NULL, NULL, on_request, NULL,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                                 MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 60u,
                                 MHD_OPTION_LISTEN_BACKLOG_SIZE, 64u,
                                 MHD_OPTION_END);
        if (!srv.d) {
                fprintf(stderr, "scale_sim: cannot listen on %s:%d\n", opt.host, opt.port);
                return 2;
        }
        di = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT);
        srv.port = di ? di->port : opt.port;
        if (opt.port_file) {
                char tmp[4096];
                FILE *f;

                snprintf(tmp, sizeof(tmp), "%s.tmp", opt.port_file);
                if (!(f = fopen(tmp, "w")) || fprintf(f, "%d\n", srv.port) < 0 || fclose(f) != 0 ||
                    rename(tmp, opt.port_file) != 0) {
                        fprintf(stderr, "scale_sim: %s: %s\n", opt.port_file, strerror(errno));
                        return 2;
                }
        }
        if (opt.verbose)
                fprintf(stderr, "scale_sim: listening on %s:%d, %zu hosts\n", opt.host, srv.port, db.n);
        do
                o = sigwait(&sigs, &sig);
        while (o != 0);
        /* answer what is still delayed, then stop */
        pthread_mutex_lock(&dq.mu);
        dq.stop = true;
        pthread_cond_signal(&dq.cv);
        pthread_mutex_unlock(&dq.mu);
        pthread_join(dq.thread, NULL);
        usleep(100 * 1000);
        MHD_stop_daemon(srv.d);
        if (srv.log)
                fclose(srv.log);
        return 0;
}
