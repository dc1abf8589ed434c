/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "sources/sna_enrich_model.h"

#define NAME_MAX_LEN 128

/* Vendor text made safe for one markdown line. */
static char *clean(const char *s)
{
        char *r = xstrndup(s ? s : "", NAME_MAX_LEN);

        for (char *p = r; *p; p++)
                if ((unsigned char) *p < 0x20 || strchr("*_`[]<>#|", *p))
                        *p = ' ';
        return r;
}

static void add(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char **buf, const char *fmt, ...)
{
        _cleanup_free_ char *piece = NULL;
        va_list ap;
        char *n;

        va_start(ap, fmt);
        piece = xvasprintf(fmt, ap);
        va_end(ap);
        n = xasprintf("%s%s", *buf ? *buf : "", piece);
        free(*buf);
        *buf = n;
}

int investigate_latest_domains(const cJSON *body, size_t max, char ***ret, size_t *ret_n)
{
        const cJSON *d;
        char **v = NULL;
        size_t n = 0;

        if (!cJSON_IsArray(body))
                return -EPROTO;
        cJSON_ArrayForEach(d, body) {
                const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
                if (!cJSON_IsString(name) || !name->valuestring[0] || strv_contains(v, name->valuestring))
                        continue;
                if (n >= max)
                        break;
                {
                        _cleanup_free_ char *c = clean(name->valuestring);
                        v = strv_push(v, c);
                }
                n++;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int investigate_status(const cJSON *body, const char *domain, int *ret_status, char **ret_category)
{
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(body, domain), *st, *cats;

        if (!cJSON_IsObject(o))
                return -EPROTO;
        st = cJSON_GetObjectItemCaseSensitive(o, "status");
        if (!cJSON_IsNumber(st))
                return -EPROTO;
        *ret_status = st->valueint < 0 ? -1 : st->valueint > 0 ? 1 : 0;
        cats = cJSON_GetObjectItemCaseSensitive(o, "security_categories");
        *ret_category = cJSON_IsArray(cats) && cJSON_IsString(cJSON_GetArrayItem(cats, 0)) ?
                        clean(cJSON_GetArrayItem(cats, 0)->valuestring) : NULL;
        return 0;
}

char *investigate_line(const char *ip, char *const *domains, const int *status, char *const *categories, size_t n)
{
        char *m = NULL;
        size_t bad = 0;

        for (size_t i = 0; i < n; i++)
                bad += status[i] < 0;
        if (n == 0)
                return xasprintf("%s: no domain known", ip);
        add(&m, "%s: %zu domain%s", ip, n, n == 1 ? "" : "s");
        if (bad)
                add(&m, ", %zu malicious", bad);
        add(&m, " (");
        for (size_t i = 0; i < n; i++) {
                add(&m, "%s%s", i ? ", " : "", domains[i]);
                if (status[i] < 0)
                        add(&m, " malicious%s%s", categories[i] ? ": " : "", categories[i] ? categories[i] : "");
        }
        add(&m, ")");
        return m;
}

int amp_computer(const cJSON *body, char **ret_guid, char **ret_hostname)
{
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "data"), *c, *g, *h;

        if (!cJSON_IsArray(d))
                return -EPROTO;
        c = cJSON_GetArrayItem(d, 0);
        *ret_guid = *ret_hostname = NULL;
        if (!c)
                return 0;       /* not a Secure Endpoint computer */
        g = cJSON_GetObjectItemCaseSensitive(c, "connector_guid");
        h = cJSON_GetObjectItemCaseSensitive(c, "hostname");
        if (!cJSON_IsString(g) || !g->valuestring[0] || strspn(g->valuestring, "0123456789abcdefABCDEF-") !=
            strlen(g->valuestring))
                return -EPROTO;
        *ret_guid = xstrdup(g->valuestring);
        *ret_hostname = clean(cJSON_IsString(h) ? h->valuestring : g->valuestring);
        return 0;
}

int amp_processes(const cJSON *body, const char *remote_ip, size_t max, char ***ret, size_t *ret_n)
{
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "data");
        const cJSON *events = cJSON_IsObject(d) ? cJSON_GetObjectItemCaseSensitive(d, "events") : NULL, *e;
        char **v = NULL;
        size_t n = 0;

        if (!cJSON_IsArray(events))
                return -EPROTO;
        cJSON_ArrayForEach(e, events) {
                const cJSON *ni = cJSON_GetObjectItemCaseSensitive(e, "network_info"), *rip, *parent, *fn;
                if (!cJSON_IsObject(ni) || n >= max)
                        continue;
                rip = cJSON_GetObjectItemCaseSensitive(ni, "remote_ip");
                parent = cJSON_GetObjectItemCaseSensitive(ni, "parent");
                fn = cJSON_IsObject(parent) ? cJSON_GetObjectItemCaseSensitive(parent, "file_name") : NULL;
                if (!cJSON_IsString(rip) || strcmp(rip->valuestring, remote_ip) || !cJSON_IsString(fn))
                        continue;
                {
                        _cleanup_free_ char *c = clean(fn->valuestring);
                        if (strv_contains(v, c))
                                continue;
                        v = strv_push(v, c);
                        n++;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

char *amp_line(const char *hostname, char *const *peers, char *const *const *procs, size_t n)
{
        char *m = NULL;
        bool any = false;

        if (!hostname)
                return xstrdup("not a Secure Endpoint computer");
        add(&m, "%s", hostname);
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; procs[i] && procs[i][k]; k++) {
                        add(&m, "%s%s -> %s", any ? "; " : ": ", procs[i][k], peers[i]);
                        any = true;
                }
        if (!any)
                add(&m, ": no process seen talking to these peers");
        return m;
}
