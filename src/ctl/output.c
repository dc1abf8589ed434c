/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/duration.h"
#include "common/xalloc.h"
#include "ctl/output.h"

/* The table output: aligned "key: value" lines, tables and sentences.
 * Everything the daemon sends may grow, so unknown fields are shown in a
 * generic form rather than dropped. */

char *output_format_time(time_t t, char buf[static OUTPUT_TIME_MAX])
{
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, OUTPUT_TIME_MAX, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, OUTPUT_TIME_MAX, "@%lld", (long long) t);
        return buf;
}

static const uint64_t span_units[] = { 86400, 3600, 60, 1 };
static const char span_names[] = "dhms";
#define SPAN_LAST (sizeof(span_units) / sizeof(span_units[0]) - 1)

char *output_format_span(uint64_t sec, bool round, char buf[static OUTPUT_SPAN_MAX])
{
        uint64_t hi, lo = 0;
        size_t u = 0;

        while (u < SPAN_LAST && sec < span_units[u])
                u++;
        if (round && u < SPAN_LAST) {
                uint64_t step = span_units[u + 1];

                sec = (sec + step / 2) / step * step;
                /* 23h59m40s rounds up to exactly 1d */
                while (u > 0 && sec >= span_units[u - 1])
                        u--;
        }
        hi = sec / span_units[u];
        if (u < SPAN_LAST)
                lo = sec % span_units[u] / span_units[u + 1];
        if (lo)
                snprintf(buf, OUTPUT_SPAN_MAX, "%llu%c%llu%c", (unsigned long long) hi, span_names[u],
                         (unsigned long long) lo, span_names[u + 1]);
        else
                snprintf(buf, OUTPUT_SPAN_MAX, "%llu%c", (unsigned long long) hi, span_names[u]);
        return buf;
}

char *output_format_ms(double ms, char buf[static OUTPUT_SPAN_MAX])
{
        char span[OUTPUT_SPAN_MAX];

        if (!(ms >= 0))
                ms = 0;
        if (ms < 999.5)
                snprintf(buf, OUTPUT_SPAN_MAX, "%.0fms", ms);
        else if (ms < 59950)
                snprintf(buf, OUTPUT_SPAN_MAX, "%.1fs", ms / 1000);
        else if (ms < 1e18)
                snprintf(buf, OUTPUT_SPAN_MAX, "%s", output_format_span((uint64_t) (ms / 1000 + 0.5), true, span));
        else
                snprintf(buf, OUTPUT_SPAN_MAX, "%gs", ms / 1000);
        return buf;
}

static char *sanitize(const char *s, bool keep_newlines)
{
        size_t n = strlen(s);
        unsigned char *r = (unsigned char *) xstrdup(s);

        /* C0, DEL and the UTF-8 encoded C1 controls could drive the terminal */
        for (size_t i = 0; i < n; i++) {
                if (keep_newlines && (r[i] == '\n' || r[i] == '\t'))
                        continue;
                if (r[i] < 0x20 || r[i] == 0x7f)
                        r[i] = '?';
                else if (r[i] == 0xc2 && i + 1 < n && r[i + 1] >= 0x80 && r[i + 1] <= 0x9f) {
                        memmove(r + i, r + i + 1, n - i);
                        n--;
                        r[i] = '?';
                }
        }
        return (char *) r;
}

char *output_sanitize(const char *s)
{
        return sanitize(s, false);
}

static char *format_number(double d)
{
        if (d > -9e15 && d < 9e15 && (double) (long long) d == d)
                return xasprintf("%lld", (long long) d);
        return xasprintf("%g", d);
}

static char *format_value(const cJSON *v)
{
        char *j, *s;

        if (!v || cJSON_IsNull(v))
                return xstrdup("-");
        if (cJSON_IsString(v))
                return output_sanitize(v->valuestring);
        if (cJSON_IsBool(v))
                return xstrdup(cJSON_IsTrue(v) ? "yes" : "no");
        if (cJSON_IsNumber(v))
                return format_number(v->valuedouble);
        j = cJSON_PrintUnformatted(v);
        if (!j)
                abort();
        s = output_sanitize(j);
        free(j);
        return s;
}

static bool has_suffix(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Fields we do not know yet that hold a Unix time, by their name and a
 * value after 2001 (so "last_count": 3 stays a number). */
static bool looks_like_time(const char *key, const cJSON *v)
{
        if (!key || !cJSON_IsNumber(v) || v->valuedouble < 1e9)
                return false;
        return has_suffix(key, "_at") || has_suffix(key, "_run") || has_suffix(key, "_time") ||
               has_prefix(key, "last_") || has_prefix(key, "next_");
}

static char *format_relative(const OutputCtx *o, double t)
{
        char span[OUTPUT_SPAN_MAX];
        time_t tt = (time_t) t;

        if (tt <= o->now)
                return xasprintf("%s ago", output_format_span((uint64_t) (o->now - tt), false, span));
        return xasprintf("in %s", output_format_span((uint64_t) (tt - o->now), false, span));
}

static char *format_absolute(const OutputCtx *o, double t)
{
        char when[OUTPUT_TIME_MAX];
        _cleanup_free_ char *rel = format_relative(o, t);

        return xasprintf("%s (%s)", output_format_time((time_t) t, when), rel);
}

/* "last_error" as "last error", or as the header "LAST-ERROR": a header
 * is one word, so that columns split on blanks. */
static char *label_from_key(const char *key, bool upper)
{
        char *s = output_sanitize(key);

        for (char *p = s; *p; p++) {
                if (*p == '_' || (upper && *p == ' '))
                        *p = upper ? '-' : ' ';
                else if (upper && *p >= 'a' && *p <= 'z')
                        *p = (char) (*p - 'a' + 'A');
        }
        return s;
}

/* {"total":3,"user":1,...} as "3 (user 1, ...)", other objects as "a 1, b 2" */
static char *format_object(const OutputCtx *o, const cJSON *obj)
{
        const cJSON *total = cJSON_GetObjectItemCaseSensitive(obj, "total"), *v;
        char *parts = xstrdup(""), *s;

        cJSON_ArrayForEach(v, obj) {
                _cleanup_free_ char *val = NULL, *key = NULL;

                if (v == total && cJSON_IsNumber(total))
                        continue;
                key = label_from_key(v->string ?: "?", false);
                val = looks_like_time(v->string, v) ? format_absolute(o, v->valuedouble) : format_value(v);
                s = xasprintf("%s%s%s %s", parts, parts[0] ? ", " : "", key, val);
                free(parts);
                parts = s;
        }
        if (cJSON_IsNumber(total)) {
                _cleanup_free_ char *t = format_number(total->valuedouble);
                s = parts[0] ? xasprintf("%s (%s)", t, parts) : xstrdup(t);
                free(parts);
                return s;
        }
        if (!parts[0]) {
                free(parts);
                return xstrdup("-");
        }
        return parts;
}

typedef struct Table {
        size_t n_cols;
        size_t n_cells, cap;
        char **cells;           /* row-major, owned */
} Table;

static void table_init(Table *t, size_t n_cols)
{
        *t = (Table) { .n_cols = n_cols };
}

static void table_add(Table *t, char *cell)
{
        /* geometric growth: a whitelist may list tens of thousands of rows */
        if (t->n_cells == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 64;
                t->cells = xreallocarray(t->cells, t->cap, sizeof(char *));
        }
        t->cells[t->n_cells++] = cell;
}

static void table_done(Table *t)
{
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        *t = (Table) { 0 };
}

/* Width in characters: continuation bytes of UTF-8 take no column. */
static size_t text_width(const char *s)
{
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        w++;
        return w;
}

static void table_print(FILE *f, const Table *t, const char *indent)
{
        _cleanup_free_ size_t *width = xnew(size_t, t->n_cols);

        for (size_t i = 0; i < t->n_cells; i++) {
                size_t w = text_width(t->cells[i]);
                if (w > width[i % t->n_cols])
                        width[i % t->n_cols] = w;
        }
        for (size_t i = 0; i < t->n_cells; i += t->n_cols) {
                size_t last = t->n_cols - 1;

                /* no trailing blanks after empty last columns */
                while (last > 0 && (i + last >= t->n_cells || !t->cells[i + last][0]))
                        last--;
                fputs(indent, f);
                for (size_t c = 0; c <= last && i + c < t->n_cells; c++) {
                        const char *cell = t->cells[i + c];

                        fputs(cell, f);
                        if (c < last)
                                fprintf(f, "%*s", (int) (width[c] - text_width(cell) + 2), "");
                }
                fputc('\n', f);
        }
}

typedef enum CellKind {
        CELL_TEXT,
        CELL_RELATIVE,          /* Unix time as "5m ago" / "in 4m" */
        CELL_MS,                /* milliseconds as "1.2s" */
        CELL_HIDDEN,            /* known, but not a column (shown otherwise, or too wide) */
} CellKind;

typedef struct Column {
        const char *key;
        const char *header;
        CellKind kind;
        const char *requires;   /* the cell is "-" while this key is null */
} Column;

/* A source's last_result and counters are zero before its first cycle:
 * they mean something once last_run is set.  last_error follows the
 * table, where it has room. */
static const Column source_columns[] = {
        { "name",             "NAME",      CELL_TEXT },
        { "kind",             "KIND",      CELL_TEXT },
        { "state",            "STATE",     CELL_TEXT },
        { "last_run",         "LAST-RUN",  CELL_RELATIVE },
        { "next_run",         "NEXT-RUN",  CELL_RELATIVE },
        { "last_result",      "RESULT",    CELL_TEXT, "last_run" },
        { "last_duration_ms", "DURATION",  CELL_MS,   "last_run" },
        { "found",            "FOUND",     CELL_TEXT, "last_run" },
        { "blocked",          "BLOCKED",   CELL_TEXT, "last_run" },
        { "unblocked",        "UNBLOCKED", CELL_TEXT, "last_run" },
        { "failed",           "FAILED",    CELL_TEXT, "last_run" },
        { "to_block",         NULL,        CELL_HIDDEN },
        { "to_unblock",       NULL,        CELL_HIDDEN },
        { "requests",         NULL,        CELL_HIDDEN },
        { "last_error",       NULL,        CELL_HIDDEN },
        { NULL },
};

static const Column responder_columns[] = {
        { "name",         "NAME",         CELL_TEXT },
        { "kind",         "KIND",         CELL_TEXT },
        { "simulation",   "SIMULATION",   CELL_TEXT },
        { "last_success", "LAST-SUCCESS", CELL_RELATIVE },
        { "pending",      "PENDING",      CELL_TEXT },
        { "running",      "RUNNING",      CELL_TEXT },
        { "queued",       "QUEUED",       CELL_TEXT },
        { "failed",       "FAILED",       CELL_TEXT },
        { "blocked",      "BLOCKED",      CELL_TEXT },
        { "last_error",   "LAST-ERROR",   CELL_TEXT },
        /* in --json; the table keeps to what an operator scans for */
        { "calls_ok",           NULL, CELL_HIDDEN },
        { "calls_failed",       NULL, CELL_HIDDEN },
        { "last_call_error",    NULL, CELL_HIDDEN },
        { "last_call_error_at", NULL, CELL_HIDDEN },
        { "max_concurrent",     NULL, CELL_HIDDEN },
        { "rate_limit",         NULL, CELL_HIDDEN },
        { NULL },
};

static bool column_known(const Column *cols, const char *key)
{
        for (const Column *c = cols; c && c->key; c++)
                if (strcmp(c->key, key) == 0)
                        return true;
        return false;
}

static char *format_cell(const OutputCtx *o, const char *key, CellKind kind, const cJSON *v)
{
        char span[OUTPUT_SPAN_MAX];

        if (cJSON_IsNumber(v) && kind == CELL_MS)
                return xstrdup(output_format_ms(v->valuedouble, span));
        if (cJSON_IsNumber(v) && (kind == CELL_RELATIVE || looks_like_time(key, v)))
                return format_relative(o, v->valuedouble);
        return format_value(v);
}

static char *format_column(const OutputCtx *o, const Column *col, const cJSON *item)
{
        if (col->requires) {
                const cJSON *r = cJSON_GetObjectItemCaseSensitive(item, col->requires);
                if (!r || cJSON_IsNull(r))
                        return xstrdup("-");
        }
        return format_cell(o, col->key, col->kind, cJSON_GetObjectItemCaseSensitive(item, col->key));
}

/* Known columns first, then any key an item has that we do not know, so
 * a newer daemon's fields still show. */
static void print_object_table(const OutputCtx *o, const cJSON *items, const Column *cols, const char *indent)
{
        const char **extra = NULL;
        const Column **shown = NULL;
        size_t n_known = 0, n_extra = 0;
        const cJSON *item, *v;
        Table t;

        for (const Column *c = cols; c && c->key; c++)
                if (c->kind != CELL_HIDDEN) {
                        shown = xreallocarray(shown, n_known + 1, sizeof(Column *));
                        shown[n_known++] = c;
                }
        cJSON_ArrayForEach(item, items)
                cJSON_ArrayForEach(v, item) {
                        bool seen = false;

                        if (!v->string || column_known(cols, v->string))
                                continue;
                        for (size_t i = 0; i < n_extra && !seen; i++)
                                seen = strcmp(extra[i], v->string) == 0;
                        if (seen)
                                continue;
                        extra = xreallocarray(extra, n_extra + 1, sizeof(char *));
                        extra[n_extra++] = v->string;
                }

        table_init(&t, n_known + n_extra);
        for (size_t i = 0; i < n_known; i++)
                table_add(&t, xstrdup(shown[i]->header));
        for (size_t i = 0; i < n_extra; i++)
                table_add(&t, label_from_key(extra[i], true));
        cJSON_ArrayForEach(item, items) {
                for (size_t i = 0; i < n_known; i++)
                        table_add(&t, format_column(o, shown[i], item));
                for (size_t i = 0; i < n_extra; i++)
                        table_add(&t, format_cell(o, extra[i], CELL_TEXT,
                                                  cJSON_GetObjectItemCaseSensitive(item, extra[i])));
        }
        table_print(o->out, &t, indent);
        table_done(&t);
        free(extra);
        free(shown);
}

static bool all_objects(const cJSON *array)
{
        const cJSON *v;

        cJSON_ArrayForEach(v, array)
                if (!cJSON_IsObject(v))
                        return false;
        return true;
}

/* note_key: a text too long for a column, as "  NAME: last error: TEXT"
 * lines after the table. */
static void print_section(const OutputCtx *o, const char *title, const cJSON *items, const Column *cols,
                          const char *empty, const char *note_key)
{
        const cJSON *item;

        fputc('\n', o->out);
        if (cJSON_GetArraySize(items) == 0) {
                fprintf(o->out, "%s\n", empty);
                return;
        }
        fprintf(o->out, "%s:\n", title);
        print_object_table(o, items, cols, "  ");
        if (!note_key)
                return;
        cJSON_ArrayForEach(item, items) {
                const cJSON *note = cJSON_GetObjectItemCaseSensitive(item, note_key);
                _cleanup_free_ char *name = NULL, *label = NULL, *text = NULL;

                if (!cJSON_IsString(note) || !note->valuestring[0])
                        continue;
                name = format_value(cJSON_GetObjectItemCaseSensitive(item, "name"));
                label = label_from_key(note_key, false);
                text = output_sanitize(note->valuestring);
                fprintf(o->out, "  %s: %s: %s\n", name, label, text);
        }
}

typedef enum FieldKind {
        FIELD_TEXT,
        FIELD_SPAN,             /* seconds as "2h5m" */
        FIELD_TIME,             /* Unix time, null as "never" */
        FIELD_OPTIONAL,         /* left out when null */
} FieldKind;

static const struct {
        const char *key;
        const char *label;
        FieldKind kind;
} status_fields[] = {
        { "version",           "version",           FIELD_TEXT },
        { "pid",               "pid",               FIELD_TEXT },
        { "started_at",        "started",           FIELD_TIME },
        { "uptime",            "uptime",            FIELD_SPAN },
        { "config",            "config",            FIELD_TEXT },
        { "database",          "database",          FIELD_TEXT },
        { "schema_version",    "schema version",    FIELD_TEXT },
        { "socket",            "socket",            FIELD_TEXT },
        { "whitelist",         "whitelist",         FIELD_TEXT },
        { "blocks",            "blocks",            FIELD_TEXT },
        { "last_reload",       "last reload",       FIELD_TIME },
        { "last_reload_error", "last reload error", FIELD_OPTIONAL },
};

static const struct {
        const char *key;
        const Column *columns;
        const char *empty;
        const char *note_key;
} status_sections[] = {
        { "sources",    source_columns,    "no sources configured",    "last_error" },
        { "responders", responder_columns, "no responders configured", NULL },
};

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static bool status_key_known(const char *key)
{
        for (size_t i = 0; i < ELEMENTSOF(status_fields); i++)
                if (strcmp(status_fields[i].key, key) == 0)
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(status_sections); i++)
                if (strcmp(status_sections[i].key, key) == 0)
                        return true;
        return false;
}

static char *format_field(const OutputCtx *o, const char *key, FieldKind kind, const cJSON *v)
{
        char span[OUTPUT_SPAN_MAX];

        if (kind == FIELD_TIME && cJSON_IsNull(v))
                return xstrdup("never");
        if ((kind == FIELD_TIME || looks_like_time(key, v)) && cJSON_IsNumber(v))
                return format_absolute(o, v->valuedouble);
        if (kind == FIELD_SPAN && cJSON_IsNumber(v) && v->valuedouble >= 0)
                return xstrdup(output_format_span((uint64_t) v->valuedouble, false, span));
        if (cJSON_IsObject(v))
                return format_object(o, v);
        if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 0)
                return xstrdup("none");
        return format_value(v);
}

static void add_field(Table *t, const char *label, char *value)
{
        table_add(t, xasprintf("%s:", label));
        table_add(t, value);
}

static void table_status(const OutputCtx *o, const cJSON *data)
{
        const cJSON *v;
        Table t;

        table_init(&t, 2);
        for (size_t i = 0; i < ELEMENTSOF(status_fields); i++) {
                v = cJSON_GetObjectItemCaseSensitive(data, status_fields[i].key);
                if (!v || (status_fields[i].kind == FIELD_OPTIONAL && cJSON_IsNull(v)))
                        continue;
                add_field(&t, status_fields[i].label,
                          format_field(o, status_fields[i].key, status_fields[i].kind, v));
        }
        /* scalars and objects a newer daemon added; lists of objects follow as tables */
        cJSON_ArrayForEach(v, data) {
                _cleanup_free_ char *label = NULL;

                if (!v->string || status_key_known(v->string))
                        continue;
                if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0 && all_objects(v))
                        continue;
                label = label_from_key(v->string, false);
                add_field(&t, label, format_field(o, v->string, FIELD_TEXT, v));
        }
        table_print(o->out, &t, "");
        table_done(&t);

        for (size_t i = 0; i < ELEMENTSOF(status_sections); i++) {
                v = cJSON_GetObjectItemCaseSensitive(data, status_sections[i].key);
                print_section(o, status_sections[i].key, cJSON_IsArray(v) ? v : NULL,
                              status_sections[i].columns, status_sections[i].empty, status_sections[i].note_key);
        }
        cJSON_ArrayForEach(v, data) {
                _cleanup_free_ char *title = NULL;

                if (!v->string || status_key_known(v->string) || !cJSON_IsArray(v) ||
                    cJSON_GetArraySize(v) == 0 || !all_objects(v))
                        continue;
                title = label_from_key(v->string, false);
                print_section(o, title, v, NULL, "", NULL);
        }
}

static char *entry_string(const cJSON *entry, const char *key, const char *fallback)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, key);

        if (cJSON_IsString(v))
                return output_sanitize(v->valuestring);
        return output_sanitize(fallback ?: "?");
}

/* The lifetime granted: the one asked for when the daemon's expiry agrees
 * with it (a second may pass on the way), else the time left, rounded. */
static char *format_granted(const OutputCtx *o, const CtlCommand *c, double expires_at)
{
        char span[OUTPUT_SPAN_MAX];
        double left = expires_at - (double) o->now;

        if (left <= 0)
                return xstrdup("already expired");
        if (c->expiry == CTL_EXPIRY_SECONDS && left >= (double) c->expires_in - 5 &&
            left <= (double) c->expires_in + 5) {
                duration_format(c->expires_in, span, sizeof(span));
                return xstrdup(span);
        }
        return xstrdup(output_format_span((uint64_t) left, true, span));
}

static void table_whitelist_add(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(data, "entry");
        const cJSON *expires = cJSON_GetObjectItemCaseSensitive(entry, "expires_at");
        _cleanup_free_ char *kind = entry_string(entry, "kind", ctl_kind_to_string(c->kind));
        _cleanup_free_ char *value = entry_string(entry, "value", c->value);

        fprintf(o->out, "whitelisted %s %s", kind, value);
        if (cJSON_IsNumber(expires)) {
                char when[OUTPUT_TIME_MAX];
                _cleanup_free_ char *granted = format_granted(o, c, expires->valuedouble);

                fprintf(o->out, " until %s (%s)", output_format_time((time_t) expires->valuedouble, when),
                        granted);
        } else if (cJSON_IsNull(expires))
                fputs(" permanently", o->out);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, "updated")))
                fputs("; updated the expiry of the existing entry", o->out);
        fputc('\n', o->out);
}

/* The daemon says how many entries it removed; none means there was none. */
static bool removed_nothing(const cJSON *data)
{
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(data, "removed");

        return cJSON_IsNumber(n) && n->valuedouble <= 0;
}

static void table_whitelist_remove(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        _cleanup_free_ char *value = output_sanitize(c->value);
        const char *kind = ctl_kind_to_string(c->kind);

        if (removed_nothing(data))
                fprintf(o->err, "secrespctl: %s %s is not whitelisted\n", kind, value);
        else
                fprintf(o->out, "removed %s %s from the whitelist\n", kind, value);
}

static char *format_expiry(const OutputCtx *o, const cJSON *v)
{
        char when[OUTPUT_TIME_MAX], span[OUTPUT_SPAN_MAX];

        if (cJSON_IsNull(v))
                return xstrdup("permanent");
        if (!cJSON_IsNumber(v))
                return format_value(v);
        output_format_time((time_t) v->valuedouble, when);
        if (v->valuedouble <= (double) o->now)
                return xasprintf("%s (expired)", when);
        return xasprintf("%s (in %s)", when,
                         output_format_span((uint64_t) (v->valuedouble - (double) o->now), false, span));
}

static void table_whitelist_list(const OutputCtx *o, const cJSON *items)
{
        static const char *const headers[] = { "KIND", "VALUE", "EXPIRES", "CREATED-BY", "REASON" };
        const cJSON *item;
        Table t;

        if (cJSON_GetArraySize(items) == 0) {
                fputs("no entries\n", o->out);
                return;
        }
        table_init(&t, ELEMENTSOF(headers));
        for (size_t i = 0; i < ELEMENTSOF(headers); i++)
                table_add(&t, xstrdup(headers[i]));
        cJSON_ArrayForEach(item, items) {
                const cJSON *reason = cJSON_GetObjectItemCaseSensitive(item, "reason");

                table_add(&t, format_value(cJSON_GetObjectItemCaseSensitive(item, "kind")));
                table_add(&t, format_value(cJSON_GetObjectItemCaseSensitive(item, "value")));
                table_add(&t, format_expiry(o, cJSON_GetObjectItemCaseSensitive(item, "expires_at")));
                table_add(&t, format_value(cJSON_GetObjectItemCaseSensitive(item, "created_by")));
                table_add(&t, cJSON_IsString(reason) ? output_sanitize(reason->valuestring) : xstrdup(""));
        }
        table_print(o->out, &t, "");
        table_done(&t);
}

static const cJSON *field(const cJSON *o, const char *key)
{
        return cJSON_GetObjectItemCaseSensitive(o, key);
}

static bool is_string(const cJSON *v, const char *s)
{
        return cJSON_IsString(v) && strcmp(v->valuestring, s) == 0;
}

/* A text cell: "-" for null, or "" in a last column (no trailing "-"). */
static char *text_cell(const cJSON *v, bool last)
{
        if (last && (!v || cJSON_IsNull(v)))
                return xstrdup("");
        return format_value(v);
}

static void table_add_headers(Table *t, const char *const *headers, size_t n)
{
        for (size_t i = 0; i < n; i++)
                table_add(t, xstrdup(headers[i]));
}

/* The responder's elements (address objects, groups, ...): "a,b". */
static char *format_elements(const cJSON *v)
{
        const cJSON *e;
        char *s = xstrdup("");

        cJSON_ArrayForEach(e, (cJSON_IsArray(v) ? v : NULL)) {
                _cleanup_free_ char *one = format_value(e);
                char *n = xasprintf("%s%s%s", s, s[0] ? "," : "", one);
                free(s);
                s = n;
        }
        if (!s[0]) {
                free(s);
                return xstrdup("-");
        }
        return s;
}

/* "failed" alone would hide whether the entity is still blocked. */
static char *format_block_state(const cJSON *item)
{
        const cJSON *state = field(item, "state"), *intent = field(item, "intent");
        _cleanup_free_ char *st = format_value(state);

        if (is_string(state, "failed") && cJSON_IsString(intent)) {
                _cleanup_free_ char *in = output_sanitize(intent->valuestring);
                return xasprintf("%s (%s)", st, in);
        }
        return xstrdup(st);
}

static char *format_attempts(const OutputCtx *o, const cJSON *item)
{
        const cJSON *next = field(item, "next_attempt_at");
        _cleanup_free_ char *n = format_value(field(item, "attempts"));
        char span[OUTPUT_SPAN_MAX];

        if (!cJSON_IsNumber(next))
                return xstrdup(n);
        if (next->valuedouble <= (double) o->now)
                return xasprintf("%s, retry due", n);
        return xasprintf("%s, retry in %s", n,
                         output_format_span((uint64_t) (next->valuedouble - (double) o->now), false, span));
}

static bool has_text(const cJSON *v)
{
        return cJSON_IsString(v) && v->valuestring[0];
}

static void table_blocks_list(const OutputCtx *o, const CtlCommand *c, const cJSON *items)
{
        static const char *const headers[] = { "KIND", "VALUE", "RESPONDER", "STATE", "ELEMENTS", "ATTEMPTS",
                                               "UPDATED", "REASON", "LAST-ERROR" };
        size_t n_cols = ELEMENTSOF(headers) - 1;
        const cJSON *item;
        Table t;

        if (cJSON_GetArraySize(items) == 0) {
                fputs("no blocks\n", o->out);
                return;
        }
        cJSON_ArrayForEach(item, items)
                if (has_text(field(item, "last_error")))
                        n_cols = ELEMENTSOF(headers);
        table_init(&t, n_cols);
        table_add_headers(&t, headers, n_cols);
        cJSON_ArrayForEach(item, items) {
                table_add(&t, format_value(field(item, "kind")));
                table_add(&t, format_value(field(item, "value")));
                table_add(&t, format_value(field(item, "responder")));
                table_add(&t, format_block_state(item));
                table_add(&t, format_elements(field(item, "elements")));
                table_add(&t, format_attempts(o, item));
                table_add(&t, format_cell(o, "updated_at", CELL_RELATIVE, field(item, "updated_at")));
                table_add(&t, text_cell(field(item, "reason"), n_cols == ELEMENTSOF(headers) - 1));
                if (n_cols == ELEMENTSOF(headers))
                        table_add(&t, text_cell(field(item, "last_error"), true));
        }
        table_print(o->out, &t, "");
        table_done(&t);
}

/* Without a KIND, one VALUE may be a user and an account: then a KIND
 * column tells their events apart. */
static bool several_kinds(const cJSON *items)
{
        const cJSON *item, *first = NULL;

        cJSON_ArrayForEach(item, items) {
                const cJSON *k = field(item, "kind");

                if (!cJSON_IsString(k))
                        continue;
                if (!first)
                        first = k;
                else if (strcmp(first->valuestring, k->valuestring) != 0)
                        return true;
        }
        return false;
}

static void table_history(const OutputCtx *o, const CtlCommand *c, const cJSON *items)
{
        static const char *const headers[] = { "WHEN", "ACTOR", "ACTION", "KIND", "RESULT", "REASON", "DETAIL" };
        bool kinds = c->kind == CTL_KIND_NONE && several_kinds(items);
        const cJSON *item;
        Table t;

        if (cJSON_GetArraySize(items) == 0) {
                _cleanup_free_ char *value = output_sanitize(c->value ?: "?");
                const char *kind = ctl_kind_to_string(c->kind);

                fprintf(o->out, "no history for %s%s%s\n", kind ?: "", kind ? " " : "", value);
                return;
        }
        table_init(&t, kinds ? ELEMENTSOF(headers) : ELEMENTSOF(headers) - 1);
        for (size_t i = 0; i < ELEMENTSOF(headers); i++)
                if (kinds || strcmp(headers[i], "KIND") != 0)
                        table_add(&t, xstrdup(headers[i]));
        cJSON_ArrayForEach(item, items) {
                const cJSON *at = field(item, "at");
                char when[OUTPUT_TIME_MAX];

                table_add(&t, cJSON_IsNumber(at) ? xstrdup(output_format_time((time_t) at->valuedouble, when)) :
                          format_value(at));
                table_add(&t, format_value(field(item, "actor")));
                table_add(&t, format_value(field(item, "action")));
                if (kinds)
                        table_add(&t, format_value(field(item, "kind")));
                table_add(&t, format_value(field(item, "result")));
                table_add(&t, format_value(field(item, "reason")));
                table_add(&t, text_cell(field(item, "detail"), true));
        }
        table_print(o->out, &t, "");
        table_done(&t);
}

static unsigned count_field(const cJSON *data, const char *key)
{
        const cJSON *v = field(data, key);

        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0))
                return 0;
        return v->valuedouble >= 4e9 ? 4000000000u : (unsigned) v->valuedouble;
}

typedef struct ManualOutcome {
        unsigned calls, succeeded, failed, unchanged;
} ManualOutcome;

static ManualOutcome manual_outcome(const cJSON *data)
{
        return (ManualOutcome) {
                .calls = count_field(data, "calls"),
                .succeeded = count_field(data, "succeeded"),
                .failed = count_field(data, "failed"),
                .unchanged = count_field(data, "unchanged"),
        };
}

/* A block that reached no responder did not happen: that fails too. */
static bool manual_failed(const CtlCommand *c, const cJSON *data)
{
        ManualOutcome m = manual_outcome(data);

        return m.failed > 0 || (c->action == CTL_ACTION_BLOCK && m.calls == 0 && m.unchanged == 0);
}

static char *format_outcome(const ManualOutcome *m)
{
        char *s = xasprintf("%u call%s, %u succeeded", m->calls, m->calls == 1 ? "" : "s", m->succeeded), *n;

        if (m->failed) {
                n = xasprintf("%s, %u failed", s, m->failed);
                free(s);
                s = n;
        }
        if (m->unchanged) {
                n = xasprintf("%s, %u unchanged", s, m->unchanged);
                free(s);
                s = n;
        }
        return s;
}

static void table_manual(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        bool block = c->action == CTL_ACTION_BLOCK;
        ManualOutcome m = manual_outcome(data);
        _cleanup_free_ char *value = output_sanitize(c->value ?: "?"), *outcome = format_outcome(&m);
        _cleanup_free_ char *on = c->responder ? output_sanitize(c->responder) : NULL;
        _cleanup_free_ char *where = on ? xasprintf(" on %s", on) : xstrdup("");
        const char *kind = ctl_kind_to_string(c->kind) ?: "?";

        if (m.failed > 0)
                fprintf(o->err, "secrespctl: %s %s %s%s: %s; secrespd retries (see 'secrespctl blocks')\n",
                        block ? "block" : "unblock", kind, value, where, outcome);
        else if (m.calls == 0 && m.unchanged == 0) {
                if (block && on)
                        fprintf(o->err, "secrespctl: responder %s cannot block %s %s\n", on, kind, value);
                else if (block)
                        fprintf(o->err, "secrespctl: no responder can block %s %s\n", kind, value);
                else
                        fprintf(o->out, "%s %s is not blocked%s; nothing to unblock\n", kind, value, where);
        } else if (m.calls == 0)
                fprintf(o->out, "%s %s already %s%s (unchanged)\n", kind, value, block ? "blocked" : "unblocked",
                        where);
        else
                fprintf(o->out, "%s %s %s%s: %s\n", block ? "blocked" : "unblocked", kind, value, where, outcome);
}

static bool cycle_ok(const cJSON *data)
{
        const cJSON *r = field(data, "last_result");

        return is_string(r, "ok") || is_string(r, "outside-window");
}

static bool plan_row_shown(const CtlCommand *c, const cJSON *d)
{
        const cJSON *v = field(d, "verdict");

        return c->all || is_string(v, "block") || is_string(v, "unblock");
}

static void print_plan(const OutputCtx *o, const CtlCommand *c, const cJSON *plan)
{
        static const char *const headers[] = { "KIND", "VALUE", "VERDICT", "REASON" };
        size_t n = 0;
        const cJSON *d;
        Table t;

        cJSON_ArrayForEach(d, plan)
                if (plan_row_shown(c, d))
                        n++;
        if (n == 0) {
                fputs("nothing to do\n", o->out);
                return;
        }
        table_init(&t, ELEMENTSOF(headers));
        table_add_headers(&t, headers, ELEMENTSOF(headers));
        cJSON_ArrayForEach(d, plan) {
                if (!plan_row_shown(c, d))
                        continue;
                table_add(&t, format_value(field(d, "kind")));
                table_add(&t, format_value(field(d, "value")));
                table_add(&t, format_value(field(d, "verdict")));
                table_add(&t, text_cell(field(d, "reason"), true));
        }
        fputc('\n', o->out);
        table_print(o->out, &t, "");
        table_done(&t);
}

static void table_run(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        bool plan = c->action == CTL_ACTION_PLAN;
        const cJSON *result = field(data, "last_result"), *ms = field(data, "last_duration_ms");
        const cJSON *error = field(data, "last_error");
        _cleanup_free_ char *src = c->source ? output_sanitize(c->source) : NULL;
        _cleanup_free_ char *res = format_value(result);
        _cleanup_free_ char *found = format_value(field(data, "found"));
        _cleanup_free_ char *to_block = format_value(field(data, "to_block"));
        _cleanup_free_ char *to_unblock = format_value(field(data, "to_unblock"));
        _cleanup_free_ char *requests = format_value(field(data, "requests"));
        const char *verb = plan ? "plan" : "run";
        char took[OUTPUT_SPAN_MAX];

        if (is_string(result, "outside-window"))
                fprintf(o->out, "%s%s%s: skipped, outside the source's time window\n", verb, src ? " " : "",
                        src ?: "");
        else {
                fprintf(o->out, "%s%s%s: %s in %s: %s found, %s to block, %s to unblock", verb, src ? " " : "",
                        src ?: "", res, cJSON_IsNumber(ms) ? output_format_ms(ms->valuedouble, took) : "?", found,
                        to_block, to_unblock);
                if (!plan) {
                        _cleanup_free_ char *blocked = format_value(field(data, "blocked"));
                        _cleanup_free_ char *unblocked = format_value(field(data, "unblocked"));
                        _cleanup_free_ char *failed = format_value(field(data, "failed"));

                        fprintf(o->out, ", %s blocked, %s unblocked, %s failed", blocked, unblocked, failed);
                }
                fprintf(o->out, ", %s request%s\n", requests, strcmp(requests, "1") == 0 ? "" : "s");
        }
        if (has_text(error)) {
                _cleanup_free_ char *e = output_sanitize(error->valuestring);
                fprintf(o->err, "secrespctl: %s%s%s: %s\n", verb, src ? " " : "", src ?: "", e);
        }
        if (plan && is_string(result, "ok"))
                print_plan(o, c, field(data, "plan"));
}

static void table_responder_test(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        _cleanup_free_ char *name = output_sanitize(c->responder ?: "?");
        const cJSON *detail = field(data, "detail");
        _cleanup_free_ char *d = has_text(detail) ? output_sanitize(detail->valuestring) : xstrdup("ok");

        if (c->action == CTL_ACTION_SUMMARY_TEST)
                fprintf(o->out, "summary: ok: %s\n", d);
        else
                fprintf(o->out, "responder %s: ok: %s\n", name, d);
}

static void table_reload(const OutputCtx *o, const cJSON *data)
{
        fputs("secrespd reloaded its configuration\n", o->out);
}

static void table_error(const OutputCtx *o, const char *code, const char *message)
{
        /* a rejected reload lists one configuration error per line */
        _cleanup_free_ char *m = sanitize(message, true), *c = output_sanitize(code);
        size_t n = strlen(m);
        char *line = m, *nl;

        while (n > 0 && m[n - 1] == '\n')
                m[--n] = '\0';
        while ((nl = strchr(line, '\n'))) {
                *nl = '\0';
                if (line[0])
                        fprintf(o->err, "secrespctl: %s\n", line);
                line = nl + 1;
        }
        fprintf(o->err, "secrespctl: %s (%s)\n", line, c);
}

static void table_unreachable(const OutputCtx *o, const char *message)
{
        fprintf(o->err, "secrespctl: %s\n", message);
}

const Output output_table = {
        .status = table_status,
        .whitelist_add = table_whitelist_add,
        .whitelist_remove = table_whitelist_remove,
        .whitelist_list = table_whitelist_list,
        .reload = table_reload,
        .blocks_list = table_blocks_list,
        .history = table_history,
        .manual = table_manual,
        .run = table_run,
        .responder_test = table_responder_test,
        .sna_setup = output_table_sna_setup,
        .error = table_error,
        .unreachable = table_unreachable,
        .scores = output_table_scores,
        .umbrella_categories = output_table_umbrella_categories,
};

int output_reply(const Output *out, const OutputCtx *o, const CtlCommand *c, const CtlExchange *x)
{
        if (!x->ok) {
                out->error(o, x->error_code ?: "unknown", x->error_message ?: "request failed");
                return 1;
        }
        switch (c->action) {
        case CTL_ACTION_STATUS:
                out->status(o, x->data);
                return 0;
        case CTL_ACTION_WHITELIST_ADD:
                out->whitelist_add(o, c, x->data);
                return 0;
        case CTL_ACTION_WHITELIST_REMOVE:
                out->whitelist_remove(o, c, x->data);
                return removed_nothing(x->data) ? 1 : 0;
        case CTL_ACTION_WHITELIST_LIST:
                out->whitelist_list(o, x->data);
                return 0;
        case CTL_ACTION_RELOAD:
                out->reload(o, x->data);
                return 0;
        case CTL_ACTION_BLOCKS_LIST:
                out->blocks_list(o, c, x->data);
                return 0;
        case CTL_ACTION_HISTORY:
                out->history(o, c, x->data);
                return 0;
        case CTL_ACTION_BLOCK:
        case CTL_ACTION_UNBLOCK:
                out->manual(o, c, x->data);
                return manual_failed(c, x->data) ? 1 : 0;
        case CTL_ACTION_RUN:
        case CTL_ACTION_PLAN:
                out->run(o, c, x->data);
                return cycle_ok(x->data) ? 0 : 1;
        case CTL_ACTION_RESPONDER_TEST:
        case CTL_ACTION_SUMMARY_TEST:
                out->responder_test(o, c, x->data);
                return 0;
        case CTL_ACTION_SNA_SETUP:
                out->sna_setup(o, c, x->data);
                return 0;
        case CTL_ACTION_SCORES:
                out->scores(o, c, x->data);
                return 0;
        case CTL_ACTION_UMBRELLA_CATEGORIES:
                out->umbrella_categories(o, x->data);
                return 0;
        default:
                abort();
        }
}
