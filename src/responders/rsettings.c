/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/duration.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/responder.h"
#include "responders/rsettings.h"

static char *setting_path(const config_setting_t *s)
{
        const config_setting_t *parent;
        const char *name;
        char *up, *p;

        if (!s)
                return xstrdup("?");
        parent = config_setting_parent(s);
        name = config_setting_name(s);
        if (!parent)
                return xstrdup("");
        up = setting_path(parent);
        if (name)
                p = up[0] ? xasprintf("%s.%s", up, name) : xstrdup(name);
        else
                p = xasprintf("%s[%d]", up, config_setting_index(s));
        free(up);
        return p;
}

void rsettings_err(char ***errs, size_t *n_errs, const config_setting_t *s, const char *fmt, ...)
{
        const char *file = s ? config_setting_source_file(s) : NULL;
        unsigned line = s ? config_setting_source_line(s) : 0;
        _cleanup_free_ char *path = setting_path(s);
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        *errs = xreallocarray(*errs, *n_errs + 1, sizeof(char *));
        (*errs)[(*n_errs)++] = xasprintf("%s:%u: %s: %s", file ? file : "(config)", line, path, msg);
}

/* Levenshtein distance, capped: enough to suggest "url" for "ulr". */
static unsigned distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64], prev;

        if (la >= 63 || lb >= 63)
                return 99;
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                prev = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned cur = row[j];
                        unsigned sub = prev + (a[i - 1] != b[j - 1]);
                        unsigned del = row[j] + 1, ins = row[j - 1] + 1;
                        row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
                        prev = cur;
                }
        }
        return row[lb];
}

static void check_unknown(const config_setting_t *group, const char *module, const RsOpt *opts, char ***errs,
                          size_t *n_errs)
{
        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *m = config_setting_get_elem(group, (unsigned) i);
                const char *name = config_setting_name(m), *best = NULL, *var_of = NULL;
                unsigned best_d = 3;

                if (!name || responder_common_setting(name))
                        continue;
                for (const RsOpt *o = opts; o->name; o++) {
                        unsigned d;
                        if (!strcmp(o->name, name))
                                goto known;
                        if (o->var && !strcasecmp(o->var, name))
                                var_of = o->name;
                        d = distance(name, o->name);
                        if (d < best_d) {
                                best_d = d;
                                best = o->name;
                        }
                }
                if (var_of)
                        rsettings_err(errs, n_errs, m, "unknown setting (the original's %s is '%s' here)", name,
                                      var_of);
                else if (best)
                        rsettings_err(errs, n_errs, m, "unknown setting, did you mean '%s'?", best);
                else
                        rsettings_err(errs, n_errs, m, "unknown setting for a %s responder", module);
        known:;
        }
}

static bool is_int(const config_setting_t *s)
{
        return config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64;
}

/* One value, from the config (s) or from the default text (def). */
static int read_one(const RsOpt *o, const config_setting_t *s, const char *def, void *base, char ***errs,
                    size_t *n_errs, const config_setting_t *group)
{
        void *p = (char *) base + o->offset;
        const config_setting_t *where = s ? s : group;
        const char *str = NULL;

        if (s && o->type != RS_INT && o->type != RS_BOOL && o->type != RS_DURATION && o->type != RS_STRINGS) {
                if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                        rsettings_err(errs, n_errs, s, "expected a string");
                        return -EINVAL;
                }
                str = config_setting_get_string(s);
        } else if (!s)
                str = def;

        switch (o->type) {
        case RS_STRING:
        case RS_URL:
        case RS_PATH: {
                char **v = p;
                size_t n;
                if (o->type == RS_URL && strncmp(str, "https://", 8) && strncmp(str, "http://", 7)) {
                        rsettings_err(errs, n_errs, where, "expected an http:// or https:// URL, got \"%s\"", str);
                        return -EINVAL;
                }
                if (o->type == RS_PATH && str[0] != '/') {
                        rsettings_err(errs, n_errs, where, "expected an absolute path, got \"%s\"", str);
                        return -EINVAL;
                }
                if (o->required && !str[0]) {
                        rsettings_err(errs, n_errs, where, "must not be empty");
                        return -EINVAL;
                }
                free(*v);
                n = strlen(str);
                if (o->type == RS_URL)
                        while (n > 0 && str[n - 1] == '/')
                                n--;
                *v = xstrndup(str, n);
                return 0;
        }
        case RS_SECRET: {
                Secret *sec = p;
                const char *why = NULL;
                _cleanup_free_ char *rwhy = NULL;
                if (secret_ref_check(str, &why) < 0) {
                        rsettings_err(errs, n_errs, where, "%s", why);
                        return -EINVAL;
                }
                secret_done(sec);
                if (secret_resolve(str, sec, &rwhy) < 0) {
                        rsettings_err(errs, n_errs, where, "%s", rwhy ? rwhy : "cannot resolve the secret");
                        return -EINVAL;
                }
                return 0;
        }
        case RS_ENUM: {
                for (int i = 0; o->values[i]; i++)
                        if (!strcmp(o->values[i], str)) {
                                *(int *) p = i;
                                return 0;
                        }
                {
                        char all[256] = "";
                        for (int i = 0; o->values[i]; i++) {
                                size_t l = strlen(all);
                                snprintf(all + l, sizeof(all) - l, "%s\"%s\"", i ? ", " : "", o->values[i]);
                        }
                        rsettings_err(errs, n_errs, where, "\"%s\" is not one of %s", str, all);
                }
                return -EINVAL;
        }
        case RS_BOOL:
                if (!s) {
                        *(bool *) p = def && !strcmp(def, "true");
                        return 0;
                }
                if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                        rsettings_err(errs, n_errs, s, "expected true or false");
                        return -EINVAL;
                }
                *(bool *) p = config_setting_get_bool(s);
                return 0;
        case RS_INT:
        case RS_DURATION: {
                long long v;
                if (s && is_int(s))
                        v = config_setting_get_int64(s);
                else if (o->type == RS_INT && s) {
                        rsettings_err(errs, n_errs, s, "expected an integer");
                        return -EINVAL;
                } else {
                        uint64_t sec;
                        const char *t = s ? (config_setting_type(s) == CONFIG_TYPE_STRING ?
                                             config_setting_get_string(s) : NULL) : def;
                        if (o->type == RS_INT)
                                v = strtoll(t, NULL, 10);
                        else if (!t || duration_parse(t, &sec) < 0) {
                                rsettings_err(errs, n_errs, where, "expected a duration such as \"30s\" or \"5m\"");
                                return -EINVAL;
                        } else
                                v = (long long) sec;
                }
                if ((o->min || o->max) && (v < o->min || v > o->max)) {
                        rsettings_err(errs, n_errs, where, "%lld is out of range %lld..%lld", v, o->min, o->max);
                        return -EINVAL;
                }
                if (o->type == RS_INT)
                        *(int64_t *) p = v;
                else
                        *(uint64_t *) p = (uint64_t) v * 1000;
                return 0;
        }
        case RS_STRINGS: {
                char ***v = p;
                char **l = NULL;
                if (!s)
                        return 0;       /* no default lists */
                if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
                        rsettings_err(errs, n_errs, s, "expected an array of strings [ \"a\", \"b\" ]");
                        return -EINVAL;
                }
                for (int i = 0; i < config_setting_length(s); i++) {
                        const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                                rsettings_err(errs, n_errs, e, "expected a string");
                                strv_free(l);
                                return -EINVAL;
                        }
                        l = strv_push(l, config_setting_get_string(e));
                }
                if (!l)
                        l = xnew(char *, 1);
                strv_free(*v);
                *v = l;
                return 0;
        }
        }
        return -EINVAL;
}

int rsettings_read(const config_setting_t *group, const char *module, const RsOpt *opts, void *base,
                   char ***errs, size_t *n_errs)
{
        size_t before = *n_errs;

        check_unknown(group, module, opts, errs, n_errs);
        for (const RsOpt *o = opts; o->name; o++) {
                const config_setting_t *s = config_setting_get_member(group, o->name);
                if (!s && !o->def) {
                        if (o->required && o->var)
                                rsettings_err(errs, n_errs, group, "a %s responder needs %s (the original's %s)",
                                              module, o->name, o->var);
                        else if (o->required)
                                rsettings_err(errs, n_errs, group, "a %s responder needs %s", module, o->name);
                        continue;
                }
                (void) read_one(o, s, o->def, base, errs, n_errs, group);
        }
        return *n_errs > before ? -EINVAL : 0;
}

void rsettings_free(const RsOpt *opts, void *base)
{
        for (const RsOpt *o = opts; o->name; o++) {
                void *p = (char *) base + o->offset;
                switch (o->type) {
                case RS_STRING:
                case RS_URL:
                case RS_PATH:
                        free(*(char **) p);
                        *(char **) p = NULL;
                        break;
                case RS_SECRET:
                        secret_done(p);
                        break;
                case RS_STRINGS:
                        strv_free(*(char ***) p);
                        *(char ***) p = NULL;
                        break;
                default:
                        break;
                }
        }
}
