/* SPDX-License-Identifier: MIT */
/* sophos ("Sophos Client", responders.md §4.5): Sophos Firewall's XML API.
 * Every request carries the credentials in its <Login> block; a blocked
 * host is an address in a pre-created IP Host of type "IP list" that a
 * firewall rule uses.
 *
 *   {
 *     name = "sophos"; type = "sophos";
 *     url = "https://sophos.example.com:4444";  # HOSTNAME and PORT
 *     username = "secresp"; password = "env:SOPHOS_PASSWORD";
 *     password_encrypted = false;               # IS_ENCRYPTED
 *     block_list = "Vectra - Sophos Integration";   # BLOCK_LIST_NAME
 *   }
 *
 * A batch is one read of the list and at most one write of the whole list
 * (read-modify-write: max_concurrent stays 1).  Differences with the
 * original: a host already in the list is a success (the original returned
 * nothing, so the host was never tagged and retried every run); unblock
 * removes the stored address, not the host's current one; requests are
 * POSTed as a form instead of a GET query string, so the credentials never
 * appear in a URL (URLs get logged, by us and by proxies). */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/rbatchres.h"
#include "responders/rhttp.h"
#include "responders/sophos_xml.h"

#define SOPHOS_PATH "/webconsole/APIController"

typedef struct Sophos {
        RHttpConf http;
        char *username;
        Secret password;
        bool password_encrypted;
        char *block_list;

        bool started;
        RHttp h;
} Sophos;

#define OFF(f) offsetof(Sophos, f)
static const RsOpt sophos_opts[] = {
        RHTTP_OPTS(Sophos, http, "HOSTNAME"),
        { "username", RS_STRING, OFF(username), .required = true, .var = "Username" },
        { "password", RS_SECRET, OFF(password), .required = true, .var = "Password" },
        { "password_encrypted", RS_BOOL, OFF(password_encrypted), .def = "false", .var = "IS_ENCRYPTED" },
        { "block_list", RS_STRING, OFF(block_list), .def = "Vectra - Sophos Integration", .var = "BLOCK_LIST_NAME" },
        {}
};

typedef struct SBatch SBatch;
typedef void (*SStep)(SBatch *x, const HttpResponse *resp);

struct SBatch {
        Sophos *s;
        Responder *r;
        ResponderBatch *b;              /* NULL for a test */
        RBatchRes *rr;
        ResponderDone test_cb;
        void *test_userdata;
        SStep step;
        char **list;
        bool changed;
};

static void sb_free(void *data)
{
        SBatch *x = data;

        strv_free(x->list);
        free(x);
}

static void sb_fail(SBatch *x, int r, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void sb_fail(SBatch *x, int r, bool transient, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (!x->b) {
                x->test_cb(x->test_userdata, &(ResponderResult) { .r = r, .transient = transient, .error = msg });
                sb_free(x);
                return;
        }
        rbatchres_fail_rest(x->rr, r, transient, "%s", msg);
        rbatchres_finish(x->rr, sb_free, x);
}

static void on_sb_resp(const HttpResponse *resp, void *userdata)
{
        SBatch *x = userdata;
        _cleanup_free_ char *e = NULL, *st = NULL;

        if (!rhttp_ok(resp)) {
                e = rhttp_error(resp, "Sophos API");
                sb_fail(x, resp->r < 0 ? resp->r : resp->status == 401 || resp->status == 403 ? -EACCES : -EIO,
                        rhttp_transient(resp), "%s", e);
                return;
        }
        /* HTTP 200 whatever happened: the login status says whether the credentials worked */
        st = sophos_login_status(resp->body);
        if (!st) {
                sb_fail(x, -EPROTO, true, "Sophos API: no <Login> status in the answer");
                return;
        }
        if (strcmp(st, "Authentication Successful")) {
                sb_fail(x, -EACCES, false, "Sophos API login: %.100s", st);
                return;
        }
        x->step(x, resp);
}

/* One request: the login block and `inner`. */
static void sb_send(SBatch *x, const char *inner, SStep step)
{
        Sophos *s = x->s;
        _cleanup_free_ char *xml = sophos_request(s->username, s->password.value ? s->password.value : "",
                                                  s->password_encrypted, inner);
        _cleanup_free_ char *form = sophos_form(xml);
        int k;

        OPENSSL_cleanse(xml, strlen(xml));
        x->step = step;
        /* a repeated read or a repeated write of the same list is harmless */
        k = rhttp_start(&s->h, &(RHttpRequest) {
                                .method = "POST",
                                .path = SOPHOS_PATH,
                                .body = form,
                                .content_type = "application/x-www-form-urlencoded",
                        }, on_sb_resp, x);
        OPENSSL_cleanse(form, strlen(form));
        if (k < 0)
                sb_fail(x, k, true, "Sophos API: %s", strerror(-k));
}

static void finish_items(SBatch *x)
{
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (it->block)
                        rbatchres_ok1(x->rr, i, it->entity->value);
                else
                        rbatchres_ok(x->rr, i, it->elements, it->n_elements);
        }
        rbatchres_finish(x->rr, sb_free, x);
}

static void step_write(SBatch *x, const HttpResponse *resp)
{
        _cleanup_free_ char *text = NULL;
        int code = sophos_status(resp->body, &text);

        if (code != 200 && code != 202) {
                sb_fail(x, -EIO, code == 0 || code >= 500, "Sophos Set IPHost '%s': status %d: %.160s",
                        x->s->block_list, code, text ? text : "no Status in the answer");
                return;
        }
        log_info("%s: IP list '%s' now holds %zu address(es)", x->r->name, x->s->block_list, strv_length(x->list));
        finish_items(x);
}

static bool is_ipv4(const char *s)
{
        struct in_addr a;

        return inet_pton(AF_INET, s, &a) == 1;
}

static void list_remove(char **v, const char *s)
{
        size_t j = 0;

        for (size_t i = 0; v && v[i]; i++) {
                if (!strcmp(v[i], s))
                        free(v[i]);
                else
                        v[j++] = v[i];
        }
        if (v)
                v[j] = NULL;
}

static void step_read(SBatch *x, const HttpResponse *resp)
{
        Sophos *s = x->s;
        _cleanup_free_ char *inner = NULL;
        int k = sophos_parse_iplist(resp->body, s->block_list, &x->list);

        if (k == -ENOENT || k == -EMEDIUMTYPE) {
                sb_fail(x, k, false, "Sophos: %s '%s' (block_list: a pre-created IP Host of type IP list)",
                        k == -ENOENT ? "no IP host named" : "not an IP list:", s->block_list);
                return;
        }
        if (k < 0) {
                sb_fail(x, k, true, "Sophos Get IPHost '%s': the answer has no <Response>", s->block_list);
                return;
        }
        if (!x->b) {
                _cleanup_free_ char *d = xasprintf("Sophos login ok; IP list '%s' holds %zu address(es)", s->block_list,
                                                   strv_length(x->list));
                x->test_cb(x->test_userdata, &(ResponderResult) { .r = 0, .error = d });
                sb_free(x);
                return;
        }
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (rbatchres_resolved(x->rr, i))
                        continue;
                if (it->block) {
                        if (!is_ipv4(it->entity->value))
                                rbatchres_fail(x->rr, i, -EAFNOSUPPORT, false,
                                               "Sophos: %s is not an IPv4 address (the IP list is IPv4)",
                                               it->entity->value);
                        else if (!strv_contains(x->list, it->entity->value)) {
                                x->list = strv_push(x->list, it->entity->value);
                                x->changed = true;
                        }
                        continue;
                }
                for (size_t e = 0; e < it->n_elements; e++)
                        if (strv_contains(x->list, it->elements[e])) {
                                list_remove(x->list, it->elements[e]);
                                x->changed = true;
                        }
        }
        if (!x->changed) {
                log_debug("%s: IP list '%s' already as wanted", x->r->name, s->block_list);
                finish_items(x);
                return;
        }
        inner = sophos_set_iplist(s->block_list, (const char *const *) x->list);
        sb_send(x, inner, step_write);
}

static SBatch *sb_new(Responder *r)
{
        Sophos *s = r->priv;
        SBatch *x = xnew(SBatch, 1);

        if (!s->started) {
                s->started = true;
                rhttp_init(&s->h, r, &s->http);
        }
        x->s = s;
        x->r = r;
        return x;
}

static void start_read(SBatch *x)
{
        _cleanup_free_ char *inner = sophos_get_iphost(x->s->block_list);

        sb_send(x, inner, step_read);
}

static int sophos_apply_batch(Responder *r, ResponderBatch *b)
{
        SBatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = sb_new(r);
        x->b = b;
        x->rr = rbatchres_new(r->loop, b);
        for (size_t i = 0; i < b->n; i++)
                if (b->items[i].entity->kind != ENTITY_HOST || !b->items[i].entity->value)
                        rbatchres_fail(x->rr, i, -EOPNOTSUPP, false, "the Sophos responder blocks hosts only");
        if (r->simulation) {
                for (size_t i = 0; i < b->n; i++)
                        if (!rbatchres_resolved(x->rr, i))
                                log_info("%s: simulation: would %s %s %s IP list '%s'", r->name,
                                         b->items[i].block ? "add" : "remove", b->items[i].entity->value,
                                         b->items[i].block ? "to" : "from", x->s->block_list);
                finish_items(x);
                return 0;
        }
        start_read(x);
        return 0;
}

static int sophos_test(Responder *r, ResponderDone cb, void *userdata)
{
        SBatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = sb_new(r);
        x->test_cb = cb;
        x->test_userdata = userdata;
        start_read(x);
        return 0;
}

static int sophos_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Sophos *s = r->priv;
        int k = rsettings_read(group, "sophos", sophos_opts, s, errs, n_errs);

        if (k < 0)
                return k;
        if (!s->block_list[0] || strlen(s->block_list) > 60) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "block_list"),
                              "expected the name of an IP Host (1 to 60 characters)");
                return -EINVAL;
        }
        if (r->max_concurrent > 1) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "max_concurrent"),
                              "a sophos responder rewrites one IP list: max_concurrent must be 1");
                return -EINVAL;
        }
        return 0;
}

static void sophos_cancel_all(Responder *r)
{
        Sophos *s = r->priv;

        if (s && s->started)
                rhttp_cancel_all(&s->h);
}

static void sophos_done(Responder *r)
{
        Sophos *s = r->priv;

        if (s)
                rsettings_free(sophos_opts, s);
}

const ResponderOps sophos_ops = {
        .module = "sophos",
        .client_name = "Sophos Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Sophos),
        .configure = sophos_configure,
        .done = sophos_done,
        .apply_batch = sophos_apply_batch,
        .cancel_all = sophos_cancel_all,
        .test = sophos_test,
        .needs_http = true,
        .default_max_batch = 500,
        .default_max_concurrent = 1,
};
