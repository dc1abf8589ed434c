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

static char *label_from_key(const char *key, bool upper)
{
        char *s = output_sanitize(key);

        for (char *p = s; *p; p++) {
                if (*p == '_')
                        *p = ' ';
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
} CellKind;

typedef struct Column {
        const char *key;
        const char *header;
        CellKind kind;
} Column;

static const Column source_columns[] = {
        { "name",        "NAME",        CELL_TEXT },
        { "kind",        "KIND",        CELL_TEXT },
        { "state",       "STATE",       CELL_TEXT },
        { "last_run",    "LAST RUN",    CELL_RELATIVE },
        { "next_run",    "NEXT RUN",    CELL_RELATIVE },
        { "last_result", "LAST RESULT", CELL_TEXT },
        { NULL },
};

static const Column responder_columns[] = {
        { "name",         "NAME",         CELL_TEXT },
        { "kind",         "KIND",         CELL_TEXT },
        { "pending",      "PENDING",      CELL_TEXT },
        { "last_success", "LAST SUCCESS", CELL_RELATIVE },
        { "last_error",   "LAST ERROR",   CELL_TEXT },
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
        if (cJSON_IsNumber(v) && (kind == CELL_RELATIVE || looks_like_time(key, v)))
                return format_relative(o, v->valuedouble);
        return format_value(v);
}

/* Known columns first, then any key an item has that we do not know, so
 * a newer daemon's fields still show. */
static void print_object_table(const OutputCtx *o, const cJSON *items, const Column *cols, const char *indent)
{
        const char **extra = NULL;
        size_t n_known = 0, n_extra = 0;
        const cJSON *item, *v;
        Table t;

        for (const Column *c = cols; c && c->key; c++)
                n_known++;
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
                table_add(&t, xstrdup(cols[i].header));
        for (size_t i = 0; i < n_extra; i++)
                table_add(&t, label_from_key(extra[i], true));
        cJSON_ArrayForEach(item, items) {
                for (size_t i = 0; i < n_known; i++)
                        table_add(&t, format_cell(o, cols[i].key, cols[i].kind,
                                                  cJSON_GetObjectItemCaseSensitive(item, cols[i].key)));
                for (size_t i = 0; i < n_extra; i++)
                        table_add(&t, format_cell(o, extra[i], CELL_TEXT,
                                                  cJSON_GetObjectItemCaseSensitive(item, extra[i])));
        }
        table_print(o->out, &t, indent);
        table_done(&t);
        free(extra);
}

static bool all_objects(const cJSON *array)
{
        const cJSON *v;

        cJSON_ArrayForEach(v, array)
                if (!cJSON_IsObject(v))
                        return false;
        return true;
}

static void print_section(const OutputCtx *o, const char *title, const cJSON *items, const Column *cols,
                          const char *empty)
{
        fputc('\n', o->out);
        if (cJSON_GetArraySize(items) == 0) {
                fprintf(o->out, "%s\n", empty);
                return;
        }
        fprintf(o->out, "%s:\n", title);
        print_object_table(o, items, cols, "  ");
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
} status_sections[] = {
        { "sources",    source_columns,    "no sources configured" },
        { "responders", responder_columns, "no responders configured" },
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
                              status_sections[i].columns, status_sections[i].empty);
        }
        cJSON_ArrayForEach(v, data) {
                _cleanup_free_ char *title = NULL;

                if (!v->string || status_key_known(v->string) || !cJSON_IsArray(v) ||
                    cJSON_GetArraySize(v) == 0 || !all_objects(v))
                        continue;
                title = label_from_key(v->string, false);
                print_section(o, title, v, NULL, "");
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
        .error = table_error,
        .unreachable = table_unreachable,
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
        default:
                abort();
        }
}
