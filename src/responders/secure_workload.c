/* SPDX-License-Identifier: MIT */
/* secure_workload: quarantine a host by annotating its IP in Cisco Secure
 * Workload (Tetration), responders.md §7.4.
 *
 *   {
 *     name = "csw"; type = "secure_workload";
 *     url = "https://csw.example.com";
 *     api_key = "0123abcd...";              # the Id header; not a secret
 *     api_secret = "env:CSW_API_SECRET";    # signs every request
 *     tenant = "Default";                   # root scope name (or id, as the cluster wants)
 *     attribute = "quarantine"; value = "yes";
 *   }
 *
 * Block: POST /openapi/v1/inventory/tags/{tenant} {"ip":..., "attributes":
 * {attribute: value, "reason": ...}}; a deny policy on the inventory filter
 * user_<attribute> = value does the quarantine.  Unblock: DELETE the same
 * path with {"ip":...}.  Every request is signed (tetration_sign.h).  The
 * element is the IP.  Re-annotating is harmless; deleting an absent
 * annotation is a success (404 included). */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/addr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "responders/responder.h"
#include "responders/rhttp.h"
#include "responders/rsettings.h"
#include "responders/tetration_sign.h"

typedef struct Csw {
        RHttpConf http;
        char *api_key;
        Secret api_secret;
        char *tenant;
        char *attribute;
        char *value;
        RHttp rh;
        char *path;                     /* the URL's own path + /openapi/v1/inventory/tags/{tenant} */
} Csw;

static const RsOpt csw_opts[] = {
        RHTTP_OPTS(Csw, http, "API_ENDPOINT"),
        { "api_key", RS_STRING, offsetof(Csw, api_key), .required = true, .var = "API_KEY" },
        { "api_secret", RS_SECRET, offsetof(Csw, api_secret), .required = true, .var = "API_SECRET" },
        { "tenant", RS_STRING, offsetof(Csw, tenant), .required = true },
        { "attribute", RS_STRING, offsetof(Csw, attribute), .def = "quarantine" },
        { "value", RS_STRING, offsetof(Csw, value), .def = "yes" },
        {}
};

static char *escape(const char *s)
{
        return pct_encode(s, NULL);
}

static int csw_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Csw *c = r->priv;
        _cleanup_free_ char *t = NULL;
        const char *host, *path;
        int k = rsettings_read(group, "secure_workload", csw_opts, c, errs, n_errs);

        if (k < 0)
                return k;
        if (!c->attribute[0] || strpbrk(c->attribute, " \t\r\n\"")) {
                rsettings_err(errs, n_errs, group, "attribute: a single word, e.g. \"quarantine\"");
                return -EINVAL;
        }
        /* the signature covers the path as sent, the URL's own prefix included */
        host = strstr(c->http.url, "://");
        path = host ? strchr(host + 3, '/') : NULL;
        t = escape(c->tenant);
        c->path = xasprintf("%s/openapi/v1/inventory/tags/%s", path ? path : "", t);
        rhttp_init(&c->rh, r, &c->http);
        r->caps = RESPONDER_CAP_HOST;
        return 0;
}

static void csw_done(Responder *r)
{
        Csw *c = r->priv;

        if (!c)
                return;
        rsettings_free(csw_opts, c);
        free(c->path);
}

typedef struct Call {
        Responder *r;
        bool block;
        char *ip;
        ResponderDone cb;
        void *userdata;
        uv_timer_t defer;               /* simulation: the answer comes from the loop */
} Call;

static void on_sim_closed(uv_handle_t *h)
{
        Call *x = h->data;

        free(x->ip);
        free(x);
}

static void on_sim(uv_timer_t *t)
{
        Call *x = t->data;
        char *el[] = { x->ip };
        ResponderResult res = { .elements = x->block ? el : NULL, .n_elements = x->block ? 1 : 0 };

        log_info("%s: simulation: would %s %s", x->r->name, x->block ? "annotate" : "clear the annotation of",
                 x->ip);
        x->cb(x->userdata, &res);
        uv_close((uv_handle_t *) &x->defer, on_sim_closed);
}

static void on_done(const HttpResponse *resp, void *userdata)
{
        Call *x = userdata;
        _cleanup_free_ char *err = NULL;
        char *el[] = { x->ip };
        ResponderResult res = { 0 };

        if (rhttp_ok(resp) || (!x->block && resp->status == 404)) {
                if (x->block) {
                        res.elements = el;
                        res.n_elements = 1;
                }
        } else {
                err = rhttp_error(resp, x->block ? "POST inventory/tags" : "DELETE inventory/tags");
                res = (ResponderResult) { .r = resp->r < 0 ? resp->r : -EPROTO, .transient = rhttp_transient(resp),
                                          .error = err };
                if (resp->status == 401 || resp->status == 403)
                        res.r = -EACCES;
        }
        x->cb(x->userdata, &res);
        free(x->ip);
        free(x);
}

static int start(Responder *r, const char *method, const char *query, const char *body, Call *x)
{
        Csw *c = r->priv;
        _cleanup_free_ char *pq = xasprintf("%s%s", c->path, query ? query : ""), *id = NULL, *ts = NULL,
                                *ck = NULL, *auth = NULL;
        const char *rel = pq + (strlen(c->path) - strlen(strstr(c->path, "/openapi/")));
        const char *hdrs[6];
        size_t h = 0;
        TetSigned s;
        int k;

        k = tet_sign(c->api_secret.value, method, pq, "application/json", body, body ? strlen(body) : 0,
                     clock_wall(), &s);
        if (k < 0)
                return k;
        id = xasprintf("Id: %s", c->api_key);
        ts = xasprintf("Timestamp: %s", s.timestamp);
        auth = xasprintf("Authorization: %s", s.authorization);
        hdrs[h++] = id;
        hdrs[h++] = ts;
        hdrs[h++] = auth;
        if (s.checksum[0]) {
                ck = xasprintf("X-Tetration-Cksum: %s", s.checksum);
                hdrs[h++] = ck;
        }
        hdrs[h++] = "Content-Type: application/json";
        hdrs[h] = NULL;
        tet_signed_done(&s);
        /* rhttp appends rel to the configured URL, which holds the prefix */
        k = rhttp_start(&c->rh, &(RHttpRequest) { .method = method, .path = rel, .headers = hdrs, .body = body },
                        on_done, x);
        return k;
}

static int call(Responder *r, const Entity *e, bool block, ResponderDone cb, void *userdata)
{
        Csw *c = r->priv;
        char buf[ADDR_STR_MAX];
        cJSON *o;
        _cleanup_free_ char *body = NULL;
        AddrNet a;
        Call *x;
        int k;

        if (e->kind != ENTITY_HOST || addr_parse(e->value, &a) < 0 || !addr_is_host(&a))
                return -EINVAL;
        addr_format(&a, buf, sizeof(buf));
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "ip", buf);
        if (block) {
                cJSON *attrs = cJSON_AddObjectToObject(o, "attributes");
                _cleanup_free_ char *why = xasprintf("secresp: %s", e->attrs.source ? e->attrs.source : "operator");
                cJSON_AddStringToObject(attrs, c->attribute, c->value);
                cJSON_AddStringToObject(attrs, "reason", why);
        }
        body = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        x = xnew(Call, 1);
        x->r = r;
        x->block = block;
        x->ip = xstrdup(buf);
        x->cb = cb;
        x->userdata = userdata;
        if (r->simulation) {
                /* nothing sent; the element is what a block would report */
                uv_timer_init(r->loop, &x->defer);
                x->defer.data = x;
                uv_timer_start(&x->defer, on_sim, 0, 0);
                return 0;
        }
        k = start(r, block ? "POST" : "DELETE", NULL, body, x);
        if (k < 0) {
                free(x->ip);
                free(x);
        }
        return k;
}

static int csw_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return call(r, e, true, cb, userdata);
}

static int csw_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                       void *userdata)
{
        Entity x = *e;

        /* the stored element, not the current value (responders.md §1.2) */
        if (n > 0 && elements[0])
                x.value = elements[0];
        return call(r, &x, false, cb, userdata);
}

static void on_test(const HttpResponse *resp, void *userdata)
{
        Call *x = userdata;
        _cleanup_free_ char *err = NULL;
        ResponderResult res = { 0 };

        if (rhttp_ok(resp))
                res.error = "signed request accepted; inventory tags readable";
        else {
                err = rhttp_error(resp, "GET inventory/tags");
                res = (ResponderResult) { .r = resp->status == 401 || resp->status == 403 ? -EACCES : -EPROTO,
                                          .transient = rhttp_transient(resp), .error = err };
        }
        x->cb(x->userdata, &res);
        free(x->ip);
        free(x);
}

static int csw_test(Responder *r, ResponderDone cb, void *userdata)
{
        Csw *c = r->priv;
        _cleanup_free_ char *pq = xasprintf("%s?ip=127.0.0.1", c->path), *id = NULL, *ts = NULL, *auth = NULL;
        const char *rel = strstr(pq, "/openapi/");
        const char *hdrs[5];
        Call *x = xnew(Call, 1);
        TetSigned s;
        int k;

        k = tet_sign(c->api_secret.value, "GET", pq, "application/json", NULL, 0, clock_wall(), &s);
        if (k < 0) {
                free(x);
                return k;
        }
        id = xasprintf("Id: %s", c->api_key);
        ts = xasprintf("Timestamp: %s", s.timestamp);
        auth = xasprintf("Authorization: %s", s.authorization);
        tet_signed_done(&s);
        hdrs[0] = id;
        hdrs[1] = ts;
        hdrs[2] = auth;
        hdrs[3] = "Content-Type: application/json";
        hdrs[4] = NULL;
        x->r = r;
        x->cb = cb;
        x->userdata = userdata;
        k = rhttp_start(&c->rh, &(RHttpRequest) { .path = rel, .headers = hdrs }, on_test, x);
        if (k < 0)
                free(x);
        return k;
}

static void csw_cancel_all(Responder *r)
{
        Csw *c = r->priv;

        rhttp_cancel_all(&c->rh);
}

const ResponderOps secure_workload_ops = {
        .module = "secure_workload",
        .client_name = "Secure Workload Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Csw),
        .configure = csw_configure,
        .done = csw_done,
        .block = csw_block,
        .unblock = csw_unblock,
        .cancel_all = csw_cancel_all,
        .test = csw_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
