/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "common/duration.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/httpd.h"
#include "daemon/jwks.h"
#include "relays/msgraph_map.h"
#include "relays/relay_conf.h"

#define SPYCLOUD_DEFAULT_URL "https://api.spycloud.io/enterprise-v2/"
/* relays.md §6, §7.2 */
#define MSGRAPH_DEFAULT_URL "https://graph.microsoft.com/v1.0/"
#define MSGRAPH_DEFAULT_LOGIN_URL "https://login.microsoftonline.com"
#define MSGRAPH_DEFAULT_SCOPE "https://graph.microsoft.com/.default"
#define MSGRAPH_DEFAULT_MAX_CONNECTIONS 8
#define SPYCLOUD_DEFAULT_MAX_CONNECTIONS 16

static const char *const relay_types[_RELAY_TYPE_MAX] = {
        [RELAY_SPYCLOUD] = "spycloud",
        [RELAY_MSGRAPH] = "msgraph",
};

const char *relay_type_to_string(RelayType t)
{
        return t >= 0 && t < _RELAY_TYPE_MAX ? relay_types[t] : NULL;
}

RelayType relay_type_from_string(const char *s)
{
        for (int i = 0; s && i < _RELAY_TYPE_MAX; i++)
                if (!strcmp(s, relay_types[i]))
                        return (RelayType) i;
        return _RELAY_TYPE_INVALID;
}

typedef struct Ctx {
        const char *top_file;
        char ***errs;
        size_t *n_errs;
        bool failed;
} Ctx;

static void err(Ctx *x, const config_setting_t *s, const char *where, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void err(Ctx *x, const config_setting_t *s, const char *where, const char *fmt, ...)
{
        const char *file = s ? config_setting_source_file(s) : NULL;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        *x->errs = xreallocarray(*x->errs, *x->n_errs + 1, sizeof(char *));
        (*x->errs)[(*x->n_errs)++] = xasprintf("%s:%u: %s: %s", file ? file : x->top_file,
                                               s ? config_setting_source_line(s) : 0, where, msg);
        x->failed = true;
}

static const char *const known[] = {
        "name", "type", "mount", "listen", "public_url", "auth", "hs256_secret", "jwks_allowed_hosts",
        "jwks_url_template", "jwks_ca_file", "jwks_timeout", "url", "ca_file", "timeout", "rate_limit",
        "rate_burst", "cache_ttl", "cache_max", "api", "login_url", "scope", "portal_url", "timespan", "max_connections", NULL,
};

/* Settings of one relay type only. */
static const char *const spycloud_only[] = { "rate_limit", "rate_burst", NULL };
static const char *const msgraph_only[] = {
        "api", "login_url", "scope", "portal_url", "timespan", NULL,
};

static const config_setting_t *member(const config_setting_t *g, const char *name)
{
        return config_setting_get_member(g, name);
}

static bool get_string(Ctx *x, const config_setting_t *g, const char *name, const char *where, char **ret)
{
        const config_setting_t *s = member(g, name);

        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                err(x, s, where, "%s: expected a string", name);
                return false;
        }
        free(*ret);
        *ret = xstrdup(config_setting_get_string(s));
        return true;
}

static bool get_strings(Ctx *x, const config_setting_t *g, const char *name, const char *where, char ***ret)
{
        const config_setting_t *s = member(g, name);
        int n;
        char **v;

        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
                err(x, s, where, "%s: expected an array of strings [ \"a\", \"b\" ]", name);
                return false;
        }
        n = config_setting_length(s);
        v = xnew(char *, (size_t) n + 1);
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        err(x, e, where, "%s: element %d: expected a string", name, i + 1);
                        strv_free(v);
                        return false;
                }
                v[i] = xstrdup(config_setting_get_string(e));
        }
        strv_free(*ret);
        *ret = v;
        return true;
}

static void get_duration_ms(Ctx *x, const config_setting_t *g, const char *name, const char *where,
                            uint64_t min_s, uint64_t max_s, uint64_t *ret)
{
        const config_setting_t *s = member(g, name);
        uint64_t v;

        if (!s)
                return;
        if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
                long long i = config_setting_get_int64(s);
                if (i < 0) {
                        err(x, s, where, "%s: a duration cannot be negative", name);
                        return;
                }
                v = (uint64_t) i;
        } else if (config_setting_type(s) != CONFIG_TYPE_STRING ||
                   duration_parse(config_setting_get_string(s), &v) < 0) {
                err(x, s, where, "%s: expected a duration such as \"5s\" or \"1m\"", name);
                return;
        }
        if (v < min_s || v > max_s) {
                err(x, s, where, "%s: out of range %llus..%llus", name, (unsigned long long) min_s,
                    (unsigned long long) max_s);
                return;
        }
        *ret = v * 1000;
}

static bool get_number(Ctx *x, const config_setting_t *g, const char *name, const char *where, double min,
                       double max, double *ret)
{
        const config_setting_t *s = member(g, name);
        double v;

        if (!s)
                return false;
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                v = (double) config_setting_get_int64(s);
                break;
        case CONFIG_TYPE_FLOAT:
                v = config_setting_get_float(s);
                break;
        default:
                err(x, s, where, "%s: expected a number", name);
                return false;
        }
        if (!isfinite(v) || v < min || v > max) {
                err(x, s, where, "%s: %g is out of range %g..%g", name, v, min, max);
                return false;
        }
        *ret = v;
        return true;
}

static bool mount_ok(const char *m)
{
        if (!m || m[0] != '/')
                return false;
        if (!strcmp(m, "/"))
                return true;
        if (m[strlen(m) - 1] == '/' || strstr(m, "//"))
                return false;
        for (const char *p = m; *p; p++)
                if (*p <= ' ' || *p == '?' || *p == '#' || *p == '%' || (unsigned char) *p >= 0x7f)
                        return false;
        return true;
}

static bool http_url_ok(const char *u)
{
        return !strncmp(u, "https://", 8) || !strncmp(u, "http://", 7);
}

static void strip_slashes(char *u)
{
        size_t l = strlen(u);

        while (l > 0 && u[l - 1] == '/')
                u[--l] = '\0';
}

/* The Microsoft Graph relay's own settings (msgraph.h). */
static void parse_msgraph(Ctx *x, const config_setting_t *g, const char *where, RelayConf *c)
{
        _cleanup_free_ char *api = NULL;

        c->api = MSGRAPH_API_DEFAULT;
        c->rate_limit = 0;
        if (get_string(x, g, "api", where, &api)) {
                c->api = msgraph_api_from_string(api);
                if (c->api < 0)
                        err(x, member(g, "api"), where,
                            "api: unknown value \"%s\"; expected \"advanced_hunting\" or \"legacy\"", api);
        }
        if (!get_string(x, g, "login_url", where, &c->login_url))
                c->login_url = xstrdup(MSGRAPH_DEFAULT_LOGIN_URL);
        if (!http_url_ok(c->login_url))
                err(x, member(g, "login_url"), where, "login_url: expected \"https://host[/path]\"");
        strip_slashes(c->login_url);
        if (!get_string(x, g, "scope", where, &c->scope))
                c->scope = xstrdup(MSGRAPH_DEFAULT_SCOPE);
        if (!c->scope[0] || strpbrk(c->scope, "\r\n"))
                err(x, member(g, "scope"), where, "scope: expected e.g. \"https://graph.microsoft.com/.default\"");
        if (!get_string(x, g, "portal_url", where, &c->portal_url))
                c->portal_url = xstrdup(MSGRAPH_PORTAL_DEFAULT);
        if (!c->portal_url[0]) {
                free(c->portal_url);
                c->portal_url = NULL;
        } else if (!http_url_ok(c->portal_url))
                err(x, member(g, "portal_url"), where, "portal_url: expected \"https://host\" or \"\" for none");
        else
                strip_slashes(c->portal_url);
        if (get_string(x, g, "timespan", where, &c->timespan)) {
                _cleanup_free_ char *probe = NULL;
                if (msgraph_hunting_body(&(MsgraphHuntingItem) { MSGRAPH_IP, "x" }, 1, 1, c->timespan, &probe) < 0)
                        err(x, member(g, "timespan"), where,
                            "timespan: expected an ISO 8601 duration or interval such as \"P30D\"");
                else if (c->api == MSGRAPH_API_LEGACY)
                        err(x, member(g, "timespan"), where, "timespan: only with api = \"advanced_hunting\"");
        }
}

static void parse_one(Ctx *x, const config_setting_t *g, const char *where, RelayConf *all, size_t n_all,
                      RelayConf *c)
{
        _cleanup_free_ char *type = NULL, *auth = NULL, *secret_ref = NULL;
        double d;

        *c = (RelayConf) {
                .type = _RELAY_TYPE_INVALID,
                .jwks_timeout_ms = JWKS_DEFAULT_TIMEOUT_MS,
                .timeout_ms = 30000,
                .rate_limit = 4,
                .rate_burst = 20,
                .cache_max = 10000,
        };
        for (int i = 0; i < config_setting_length(g); i++) {
                const config_setting_t *m = config_setting_get_elem(g, (unsigned) i);
                const char *n = config_setting_name(m);
                if (!n || !strv_contains((char **) known, n))
                        err(x, m, where, "unknown setting '%s'", n ? n : "?");
        }

        if (!get_string(x, g, "name", where, &c->name) || !c->name[0] || strpbrk(c->name, ": \t/")) {
                err(x, g, where, "needs name = \"...\" (no spaces, ':' or '/'), used in status and the journal");
                free(c->name);
                c->name = NULL;
        }
        for (size_t j = 0; c->name && j < n_all; j++)
                if (all[j].name && !strcmp(all[j].name, c->name))
                        err(x, member(g, "name"), where, "the name '%s' is used twice", c->name);
        if (get_string(x, g, "type", where, &type)) {
                c->type = relay_type_from_string(type);
                if (c->type < 0)
                        err(x, member(g, "type"), where,
                            "unknown relay type '%s'; expected \"spycloud\" or \"msgraph\"", type);
        } else
                err(x, g, where, "needs type = \"spycloud\" or \"msgraph\"");
        for (size_t j = 0; c->type >= 0 && spycloud_only[j]; j++)
                if (c->type != RELAY_SPYCLOUD && member(g, spycloud_only[j]))
                        err(x, member(g, spycloud_only[j]), where, "%s: only for type \"spycloud\"",
                            spycloud_only[j]);
        for (size_t j = 0; c->type >= 0 && msgraph_only[j]; j++)
                if (c->type != RELAY_MSGRAPH && member(g, msgraph_only[j]))
                        err(x, member(g, msgraph_only[j]), where, "%s: only for type \"msgraph\"",
                            msgraph_only[j]);

        if (!get_string(x, g, "mount", where, &c->mount) && c->type >= 0)
                c->mount = xasprintf("/%s", relay_type_to_string(c->type));
        if (c->mount && !mount_ok(c->mount))
                err(x, member(g, "mount"), where,
                    "mount: \"%s\" is not a path prefix such as \"/spycloud\" or \"/\"", c->mount);

        if (get_strings(x, g, "listen", where, &c->listen)) {
                if (!c->listen[0])
                        err(x, member(g, "listen"), where, "listen: give at least one \"address:port\"");
                for (size_t j = 0; c->listen[j]; j++) {
                        struct sockaddr_storage ss;
                        socklen_t len;
                        if (httpd_parse_listen_address(c->listen[j], &ss, &len) < 0)
                                err(x, member(g, "listen"), where,
                                    "listen: '%s' is not \"address:port\" (e.g. \"127.0.0.1:9090\", \"[::]:9090\")",
                                    c->listen[j]);
                }
        }
        if (get_string(x, g, "public_url", where, &c->public_url) && strncmp(c->public_url, "https://", 8) &&
            strncmp(c->public_url, "http://", 7))
                err(x, member(g, "public_url"), where, "public_url: expected \"https://host[:port]\"");
        if (c->public_url) {
                size_t l = strlen(c->public_url);
                /* the audience is the URL root without its trailing slash (§4.2) */
                while (l > 0 && c->public_url[l - 1] == '/')
                        c->public_url[--l] = '\0';
        }

        if (get_string(x, g, "auth", where, &auth)) {
                if (!strcmp(auth, "rs256"))
                        c->auth = RELAY_AUTH_RS256;
                else if (!strcmp(auth, "hs256"))
                        c->auth = RELAY_AUTH_HS256;
                else
                        err(x, member(g, "auth"), where, "auth: unknown value \"%s\"; expected \"rs256\" or \"hs256\"",
                            auth);
        }
        if (get_string(x, g, "hs256_secret", where, &secret_ref)) {
                _cleanup_free_ char *why = NULL;
                if (secret_resolve(secret_ref, &c->hs256_secret, &why) < 0)
                        err(x, member(g, "hs256_secret"), where, "hs256_secret: %s", why);
                else if (!c->hs256_secret.value || !c->hs256_secret.value[0])
                        err(x, member(g, "hs256_secret"), where, "hs256_secret: the secret is empty");
        }
        if (c->auth == RELAY_AUTH_HS256 && !c->hs256_secret.ref)
                err(x, g, where, "auth = \"hs256\" needs hs256_secret = \"env:...\" (or cred:, file:)");
        if (c->auth == RELAY_AUTH_RS256 && c->hs256_secret.ref)
                err(x, member(g, "hs256_secret"), where, "hs256_secret is only used with auth = \"hs256\"");

        if (get_strings(x, g, "jwks_allowed_hosts", where, &c->jwks_allowed_hosts))
                for (size_t j = 0; c->jwks_allowed_hosts[j]; j++)
                        if (jwks_pattern_check(c->jwks_allowed_hosts[j]) < 0)
                                err(x, member(g, "jwks_allowed_hosts"), where,
                                    "jwks_allowed_hosts: '%s' is not a host name pattern (labels may be '*')",
                                    c->jwks_allowed_hosts[j]);
        if (get_string(x, g, "jwks_url_template", where, &c->jwks_url_template) &&
            (strncmp(c->jwks_url_template, "https://", 8) || !strstr(c->jwks_url_template, "{host}")))
                err(x, member(g, "jwks_url_template"), where,
                    "jwks_url_template: expected \"https://...{host}...\"");
        if (get_string(x, g, "jwks_ca_file", where, &c->jwks_ca_file) && c->jwks_ca_file[0] != '/')
                err(x, member(g, "jwks_ca_file"), where, "jwks_ca_file: must be an absolute path");
        get_duration_ms(x, g, "jwks_timeout", where, 1, 60, &c->jwks_timeout_ms);

        if (!get_string(x, g, "url", where, &c->url))
                c->url = xstrdup(c->type == RELAY_MSGRAPH ? MSGRAPH_DEFAULT_URL : SPYCLOUD_DEFAULT_URL);
        if (strncmp(c->url, "https://", 8) && strncmp(c->url, "http://", 7))
                err(x, member(g, "url"), where, "url: expected \"https://host/path/\"");
        else if (c->url[strlen(c->url) - 1] != '/') {
                char *u = xasprintf("%s/", c->url);
                free(c->url);
                c->url = u;
        }
        if (get_string(x, g, "ca_file", where, &c->ca_file) && c->ca_file[0] != '/')
                err(x, member(g, "ca_file"), where, "ca_file: must be an absolute path");
        get_duration_ms(x, g, "timeout", where, 1, 600, &c->timeout_ms);
        if (get_number(x, g, "rate_limit", where, 0, 10000, &d))
                c->rate_limit = d;
        if (get_number(x, g, "rate_burst", where, 1, 10000, &d))
                c->rate_burst = (int64_t) d;
        get_duration_ms(x, g, "cache_ttl", where, 1, 3600, &c->cache_ttl_ms);
        if (get_number(x, g, "cache_max", where, 1, 1000000, &d))
                c->cache_max = (int64_t) d;
        /* both relays cap their upstream calls in flight: past the cap
         * they wait in order here rather than in libcurl's pending list,
         * which it scans whenever a connection frees */
        c->max_connections = c->type == RELAY_MSGRAPH ? MSGRAPH_DEFAULT_MAX_CONNECTIONS
                                                       : SPYCLOUD_DEFAULT_MAX_CONNECTIONS;
        if (get_number(x, g, "max_connections", where, 1, 256, &d))
                c->max_connections = (int64_t) d;
        if (c->type == RELAY_MSGRAPH)
                parse_msgraph(x, g, where, c);
}

int relay_conf_parse(const config_setting_t *list, const char *fullname, const char *top_file,
                     RelayConf **ret, size_t *ret_n, char ***errs, size_t *n_errs)
{
        Ctx x = { .top_file = top_file, .errs = errs, .n_errs = n_errs };
        int n;

        if (config_setting_type(list) != CONFIG_TYPE_LIST) {
                err(&x, list, fullname, "expected a list of groups ( { ... }, { ... } )");
                return -EINVAL;
        }
        n = config_setting_length(list);
        for (int i = 0; i < n; i++) {
                const config_setting_t *g = config_setting_get_elem(list, (unsigned) i);
                _cleanup_free_ char *where = xasprintf("%s[%d]", fullname, i);

                if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                        err(&x, g, where, "expected a group { ... }");
                        continue;
                }
                *ret = xreallocarray(*ret, *ret_n + 1, sizeof(RelayConf));
                parse_one(&x, g, where, *ret, *ret_n, &(*ret)[*ret_n]);
                (*ret_n)++;
        }
        /* two relays on the same listener need distinct mounts */
        for (size_t i = 0; i < *ret_n; i++)
                for (size_t j = 0; j < i; j++) {
                        RelayConf *a = &(*ret)[i], *b = &(*ret)[j];
                        if (a->mount && b->mount && !strcmp(a->mount, b->mount) && !a->listen && !b->listen)
                                err(&x, config_setting_get_elem(list, (unsigned) i), fullname,
                                    "relays '%s' and '%s' are both mounted at \"%s\" on relay_server.listen",
                                    a->name ? a->name : "?", b->name ? b->name : "?", a->mount);
                }
        return x.failed ? -EINVAL : 0;
}

void relay_conf_done(RelayConf *c)
{
        free(c->name);
        free(c->mount);
        strv_free(c->listen);
        free(c->public_url);
        secret_done(&c->hs256_secret);
        strv_free(c->jwks_allowed_hosts);
        free(c->jwks_url_template);
        free(c->jwks_ca_file);
        free(c->url);
        free(c->ca_file);
        free(c->login_url);
        free(c->scope);
        free(c->portal_url);
        free(c->timespan);
        *c = (RelayConf) {};
}

void relay_conf_free_array(RelayConf *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                relay_conf_done(&v[i]);
        free(v);
}
