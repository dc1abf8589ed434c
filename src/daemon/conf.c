/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/duration.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/conf.h"

/* Each setting is described once in these tables: its name, type, range
 * and default.  The walker checks types and ranges, rejects unknown names
 * with a hint, and fills Config at the recorded offset, so adding a
 * setting is one table line (plus the man page and etc/ example). */
typedef enum OptType {
        OPT_STRING,
        OPT_PATH,       /* absolute path */
        OPT_ENUM,       /* stored as the index into values[] */
        OPT_DURATION,   /* seconds; "30s 10m 4h 30d" or an integer */
        OPT_INT,
        OPT_SECRET,
        OPT_GROUP,
} OptType;

typedef struct Opt {
        const char *name;
        OptType type;
        size_t offset;
        int64_t min, max;
        const char *const *values;
        const char *def;
        const struct Opt *group;
} Opt;

#define OFF(f) offsetof(Config, f)

static const char *const log_targets[] = { "auto", "journal", "stderr", NULL };
/* indexes are syslog priorities */
static const char *const log_levels[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL,
};

static const Opt control_opts[] = {
        { "socket", OPT_PATH, OFF(control.socket) },
        { "group", OPT_STRING, OFF(control.group), .def = "secresp" },
        { "client_timeout", OPT_DURATION, OFF(control.client_timeout), 1, 600, .def = "10s" },
        { NULL },
};

static const Opt whitelist_opts[] = {
        { "default_expiry", OPT_DURATION, OFF(whitelist.default_expiry), 60, 3650 * 86400LL, .def = "30d" },
        { "sweep_interval", OPT_DURATION, OFF(whitelist.sweep_interval), 1, 86400, .def = "1m" },
        { NULL },
};

static const Opt http_opts[] = {
        { "ca_file", OPT_PATH, OFF(http.ca_file) },
        { "connect_timeout", OPT_DURATION, OFF(http.connect_timeout), 1, 300, .def = "10s" },
        { "timeout", OPT_DURATION, OFF(http.timeout), 1, 3600, .def = "60s" },
        { "max_host_connections", OPT_INT, OFF(http.max_host_connections), 1, 256, .def = "8" },
        { "max_total_connections", OPT_INT, OFF(http.max_total_connections), 1, 4096, .def = "64" },
        { "proxy", OPT_STRING, OFF(http.proxy) },
        { "proxy_user", OPT_STRING, OFF(http.proxy_user) },
        { "proxy_password", OPT_SECRET, OFF(http.proxy_password) },
        { NULL },
};

static const Opt root_opts[] = {
        { "state_directory", OPT_PATH, OFF(state_directory) },
        { "runtime_directory", OPT_PATH, OFF(runtime_directory) },
        { "log_target", OPT_ENUM, OFF(log_target), .values = log_targets, .def = "auto" },
        { "log_level", OPT_ENUM, OFF(log_level), .values = log_levels, .def = "info" },
        { "control", OPT_GROUP, .group = control_opts },
        { "whitelist", OPT_GROUP, .group = whitelist_opts },
        { "http", OPT_GROUP, .group = http_opts },
        { NULL },
};

static void errs_add(ConfigErrors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errs_add(ConfigErrors *e, const char *fmt, ...)
{
        va_list ap;

        e->lines = xreallocarray(e->lines, e->n + 1, sizeof(char *));
        va_start(ap, fmt);
        e->lines[e->n++] = xvasprintf(fmt, ap);
        va_end(ap);
}

void config_errors_done(ConfigErrors *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->lines[i]);
        free(e->lines);
        *e = (ConfigErrors) { 0 };
}

static unsigned edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned *row, r;

        if (la > 64 || lb > 64)
                return 99;
        row = xnew(unsigned, lb + 1);
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        r = row[lb];
        free(row);
        return r;
}

static const char *did_you_mean(const Opt *opts, const char *name)
{
        const char *best = NULL;
        unsigned best_d = 3;

        for (const Opt *o = opts; o->name; o++) {
                unsigned d = edit_distance(name, o->name);
                if (d < best_d || (!best && strlen(name) >= 4 && strstr(o->name, name))) {
                        best = o->name;
                        best_d = d;
                }
        }
        return best;
}

typedef struct Walk {
        const char *path;       /* top file */
        ConfigErrors *errs;
        Config *cfg;
} Walk;

static void walk_err(Walk *w, const config_setting_t *s, const char *fullname, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void walk_err(Walk *w, const config_setting_t *s, const char *fullname, const char *fmt, ...)
{
        const char *file = s ? config_setting_source_file(s) : NULL;
        unsigned line = s ? config_setting_source_line(s) : 0;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        errs_add(w->errs, "%s:%u: %s: %s", file ? file : w->path, line, fullname, msg);
}

static const char *type_name(int t)
{
        switch (t) {
        case CONFIG_TYPE_GROUP: return "a group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64: return "an integer";
        case CONFIG_TYPE_FLOAT: return "a number";
        case CONFIG_TYPE_STRING: return "a string";
        case CONFIG_TYPE_BOOL: return "a boolean";
        case CONFIG_TYPE_ARRAY: return "an array";
        case CONFIG_TYPE_LIST: return "a list";
        default: return "a value";
        }
}

static void *field(Config *c, const Opt *o)
{
        return (char *) c + o->offset;
}

/* Parses one value given as text (defaults) or as a libconfig setting. */
static int set_value(Walk *w, const Opt *o, const config_setting_t *s, const char *text, const char *fullname)
{
        int t = s ? config_setting_type(s) : CONFIG_TYPE_STRING;
        char buf[32];

        switch (o->type) {
        case OPT_STRING:
        case OPT_PATH:
        case OPT_SECRET:
        case OPT_ENUM:
                if (t != CONFIG_TYPE_STRING) {
                        walk_err(w, s, fullname, "expected a string, got %s", type_name(t));
                        return -EINVAL;
                }
                if (s)
                        text = config_setting_get_string(s);
                break;
        case OPT_DURATION:
                if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
                        long long v = config_setting_get_int64(s);
                        if (v < 0) {
                                walk_err(w, s, fullname, "a duration cannot be negative");
                                return -EINVAL;
                        }
                        snprintf(buf, sizeof(buf), "%lld", v);
                        text = buf;
                } else if (t == CONFIG_TYPE_STRING) {
                        if (s)
                                text = config_setting_get_string(s);
                } else {
                        walk_err(w, s, fullname, "expected a duration such as \"30s\", \"10m\", \"4h\" or \"30d\", got %s",
                                 type_name(t));
                        return -EINVAL;
                }
                break;
        case OPT_INT:
                if (s) {
                        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                                walk_err(w, s, fullname, "expected an integer, got %s", type_name(t));
                                return -EINVAL;
                        }
                        snprintf(buf, sizeof(buf), "%lld", config_setting_get_int64(s));
                        text = buf;
                }
                break;
        case OPT_GROUP:
                return -EINVAL;
        }

        switch (o->type) {
        case OPT_PATH:
                if (text[0] != '/') {
                        walk_err(w, s, fullname, "must be an absolute path, got \"%s\"", text);
                        return -EINVAL;
                }
                __attribute__((fallthrough));
        case OPT_STRING: {
                char **p = field(w->cfg, o);
                free(*p);
                *p = xstrdup(text);
                return 0;
        }
        case OPT_SECRET: {
                Secret *p = field(w->cfg, o);
                _cleanup_free_ char *why = NULL;
                Secret sec;
                int r = secret_resolve(text, &sec, &why);
                if (r < 0) {
                        /* why names the reference, never a value */
                        walk_err(w, s, fullname, "%s", why);
                        return r;
                }
                secret_done(p);
                *p = sec;
                return 0;
        }
        case OPT_ENUM:
                for (int i = 0; o->values[i]; i++)
                        if (!strcmp(text, o->values[i])) {
                                *(int *) field(w->cfg, o) = i;
                                return 0;
                        }
                {
                        _cleanup_free_ char *list = NULL;
                        for (int i = 0; o->values[i]; i++) {
                                char *n = xasprintf("%s%s\"%s\"", list ? list : "", list ? ", " : "", o->values[i]);
                                free(list);
                                list = n;
                        }
                        walk_err(w, s, fullname, "unknown value \"%s\"; expected one of %s", text, list);
                }
                return -EINVAL;
        case OPT_DURATION: {
                uint64_t v;
                char lo[32], hi[32];
                int r = duration_parse(text, &v);
                if (r < 0) {
                        walk_err(w, s, fullname, "invalid duration \"%s\" (use e.g. \"30s\", \"10m\", \"4h\", \"30d\", \"1h30m\")",
                                 text);
                        return r;
                }
                if ((int64_t) v < o->min || (int64_t) v > o->max) {
                        duration_format((uint64_t) o->min, lo, sizeof(lo));
                        duration_format((uint64_t) o->max, hi, sizeof(hi));
                        walk_err(w, s, fullname, "duration \"%s\" is out of range %s..%s", text, lo, hi);
                        return -ERANGE;
                }
                *(uint64_t *) field(w->cfg, o) = v;
                return 0;
        }
        case OPT_INT: {
                char *end;
                long long v;
                errno = 0;
                v = strtoll(text, &end, 10);
                if (errno || *end) {
                        walk_err(w, s, fullname, "invalid integer \"%s\"", text);
                        return -EINVAL;
                }
                if (v < o->min || v > o->max) {
                        walk_err(w, s, fullname, "%lld is out of range %lld..%lld", v, (long long) o->min,
                                 (long long) o->max);
                        return -ERANGE;
                }
                *(int64_t *) field(w->cfg, o) = v;
                return 0;
        }
        default:
                return -EINVAL;
        }
}

static void apply_defaults(Walk *w, const Opt *opts, const char *prefix)
{
        for (const Opt *o = opts; o->name; o++) {
                _cleanup_free_ char *full = xasprintf("%s%s", prefix, o->name);
                if (o->type == OPT_GROUP) {
                        _cleanup_free_ char *p = xasprintf("%s.", full);
                        apply_defaults(w, o->group, p);
                } else if (o->def)
                        (void) set_value(w, o, NULL, o->def, full);
        }
}

static void walk_group(Walk *w, const config_setting_t *g, const Opt *opts, const char *prefix)
{
        int n = config_setting_length(g);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
                const char *name = config_setting_name(s);
                _cleanup_free_ char *full = xasprintf("%s%s", prefix, name ? name : "?");
                const Opt *o;

                for (o = opts; o->name; o++)
                        if (name && !strcmp(o->name, name))
                                break;
                if (!o->name) {
                        const char *hint = name ? did_you_mean(opts, name) : NULL;
                        if (hint)
                                walk_err(w, s, full, "unknown setting; did you mean '%s%s'?", prefix, hint);
                        else
                                walk_err(w, s, full, "unknown setting");
                        continue;
                }
                if (o->type == OPT_GROUP) {
                        _cleanup_free_ char *p = xasprintf("%s.", full);
                        if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
                                walk_err(w, s, full, "expected a group { ... }, got %s",
                                         type_name(config_setting_type(s)));
                                continue;
                        }
                        walk_group(w, s, o->group, p);
                        continue;
                }
                (void) set_value(w, o, s, NULL, full);
        }
}

/* systemd may pass several directories separated by ':'; we use the first. */
static char *env_dir(const char *name, const char *fallback)
{
        const char *e = getenv(name);
        if (e && e[0] == '/')
                return xstrndup(e, strcspn(e, ":"));
        return xstrdup(fallback);
}

static void check_cross(Walk *w, const config_t *cf)
{
        Config *c = w->cfg;
        const config_setting_t *s;
        struct stat st;

        if (c->http.ca_file && stat(c->http.ca_file, &st) < 0) {
                s = config_lookup(cf, "http.ca_file");
                walk_err(w, s, "http.ca_file", "cannot access \"%s\": %s", c->http.ca_file, strerror(errno));
        }
        if ((c->http.proxy_user || c->http.proxy_password.ref) && !c->http.proxy) {
                s = config_lookup(cf, c->http.proxy_user ? "http.proxy_user" : "http.proxy_password");
                walk_err(w, s, c->http.proxy_user ? "http.proxy_user" : "http.proxy_password",
                         "set without http.proxy");
        }
        if (c->http.max_host_connections > c->http.max_total_connections) {
                s = config_lookup(cf, "http.max_host_connections");
                walk_err(w, s, "http.max_host_connections", "is larger than http.max_total_connections (%lld)",
                         (long long) c->http.max_total_connections);
        }
}

int config_load(const char *path, Config **ret, ConfigErrors *errs)
{
        _cleanup_free_ char *dir = NULL;
        Config *c;
        config_t cf;
        Walk w;

        config_init(&cf);
        /* @include paths are relative to the including file's directory */
        dir = xstrdup(path);
        config_set_include_dir(&cf, dirname(dir));
        if (!config_read_file(&cf, path)) {
                if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
                        errs_add(errs, "%s: cannot read the configuration file: %s", path, strerror(errno));
                else
                        errs_add(errs, "%s:%d: syntax error: %s",
                                 config_error_file(&cf) ? config_error_file(&cf) : path,
                                 config_error_line(&cf), config_error_text(&cf));
                config_destroy(&cf);
                return -EINVAL;
        }

        c = xnew(Config, 1);
        c->path = xstrdup(path);
        w = (Walk) { .path = path, .errs = errs, .cfg = c };
        apply_defaults(&w, root_opts, "");
        walk_group(&w, config_root_setting(&cf), root_opts, "");
        if (!c->state_directory)
                c->state_directory = env_dir("STATE_DIRECTORY", LOCALSTATEDIR "/lib/secresp");
        if (!c->runtime_directory)
                c->runtime_directory = env_dir("RUNTIME_DIRECTORY", RUNSTATEDIR "/secresp");
        if (errs->n == 0)
                check_cross(&w, &cf);
        config_destroy(&cf);

        if (errs->n > 0) {
                config_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

Config *config_free(Config *c)
{
        if (!c)
                return NULL;
        free(c->path);
        free(c->state_directory);
        free(c->runtime_directory);
        free(c->control.socket);
        free(c->control.group);
        free(c->http.ca_file);
        free(c->http.proxy);
        free(c->http.proxy_user);
        secret_done(&c->http.proxy_password);
        free(c);
        return NULL;
}

char *config_database_path(const Config *c)
{
        return xasprintf("%s/secresp.db", c->state_directory);
}

char *config_socket_path(const Config *c)
{
        return c->control.socket ? xstrdup(c->control.socket) : xasprintf("%s/control.sock", c->runtime_directory);
}

static void print_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fputc('\\', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

static void print_group(const Config *c, FILE *f, const Opt *opts, int depth)
{
        for (const Opt *o = opts; o->name; o++) {
                const void *p = (const char *) c + o->offset;
                char buf[64];

                if ((o->type == OPT_STRING || o->type == OPT_PATH) && !*(char *const *) p) {
                        fprintf(f, "%*s# %s: not set\n", depth * 2, "", o->name);
                        continue;
                }
                if (o->type == OPT_SECRET && !((const Secret *) p)->ref) {
                        fprintf(f, "%*s# %s: not set\n", depth * 2, "", o->name);
                        continue;
                }
                fprintf(f, "%*s%s", depth * 2, "", o->name);
                switch (o->type) {
                case OPT_GROUP:
                        fputs(": {\n", f);
                        print_group(c, f, o->group, depth + 1);
                        fprintf(f, "%*s};\n", depth * 2, "");
                        continue;
                case OPT_STRING:
                case OPT_PATH: {
                        fputs(" = ", f);
                        print_string(f, *(char *const *) p);
                        fputs(";\n", f);
                        continue;
                }
                case OPT_SECRET: {
                        _cleanup_free_ char *m = xasprintf("<secret %s>", ((const Secret *) p)->ref);
                        fputs(" = ", f);
                        print_string(f, m);
                        fputs(";\n", f);
                        continue;
                }
                case OPT_ENUM:
                        fprintf(f, " = \"%s\";\n", o->values[*(const int *) p]);
                        continue;
                case OPT_DURATION:
                        duration_format(*(const uint64_t *) p, buf, sizeof(buf));
                        fprintf(f, " = \"%s\";\n", buf);
                        continue;
                case OPT_INT:
                        fprintf(f, " = %lld;\n", (long long) *(const int64_t *) p);
                        continue;
                }
        }
}

void config_print(const Config *c, FILE *f)
{
        fprintf(f, "# %s, normalised; secrets are shown as their references\n", c->path);
        print_group(c, f, root_opts, 0);
}
