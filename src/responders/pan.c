/* SPDX-License-Identifier: MIT */
/* pan ("PAN Client", responders.md §4.2): blocks by registering IP-tag
 * mappings through the PAN-OS XML API (User-ID); dynamic address groups
 * matching the tags, used in deny policies, do the blocking, with no
 * commit.
 *
 *   {
 *     name = "pa1"; type = "pan";
 *     url = "https://pa1.example.com";              # one of VAR's URLS
 *     username = "secresp"; password = "file:/etc/secresp/pa1.password";
 *     host_tag = "Block_Host";                      # VAR INTERNAL_BLOCK_TAG; "" = no hosts
 *     destination_tag = "Block_Detection";          # VAR EXTERNAL_BLOCK_TAG; "" = no destinations
 *     target = "007051000012345";                   # Panorama: the managed firewall's serial
 *     vsys = "vsys1";                               # multi-vsys firewalls
 *   }
 *
 * The API key comes from type=keygen with the username and password, is
 * cached for every call and fetched again when PAN-OS says it is no good
 * (code 403, "Invalid Credential": an expired or revoked key); the call is
 * then made once more.  VAR generated a key at every start and judged by
 * the HTTP status only; PAN-OS answers errors with HTTP 200 and
 * status="error", so the answer is parsed: "already exists" on register
 * and "does not exist" on unregister are successes, other per-entry
 * messages fail their entry only.
 *
 * Batches: every queued call goes into ONE uid-message (a <register> and
 * an <unregister> section, an entry per IP), so 1,000 hosts are one
 * request.  Hosts get host_tag, destinations (detections, static list)
 * destination_tag: VAR's detection and static calls crashed.  User-ID maps
 * single addresses: a network is refused (a permanent failure).  Elements:
 * the IP.  One responder is one firewall or one Panorama target. */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <openssl/crypto.h>
#include "common/addr.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "engine/entity.h"
#include "responders/pan_xml.h"
#include "responders/rbatchres.h"
#include "responders/responder.h"
#include "responders/rhttp.h"
#include "responders/rsettings.h"

typedef struct Pan {
        RHttpConf http;
        char *username;
        Secret password;
        char *host_tag;
        char *dst_tag;
        char *target;
        char *vsys;
        RHttp h;
        RAuth auth;
} Pan;

static const RsOpt pan_opts[] = {
        RHTTP_OPTS(Pan, http, "URLS"),
        { "username", RS_STRING, offsetof(Pan, username), .required = true },
        { "password", RS_SECRET, offsetof(Pan, password), .required = true },
        { "host_tag", RS_STRING, offsetof(Pan, host_tag), .def = "Block_Host", .var = "INTERNAL_BLOCK_TAG" },
        { "destination_tag", RS_STRING, offsetof(Pan, dst_tag), .def = "Block_Detection", .var = "EXTERNAL_BLOCK_TAG" },
        { "target", RS_STRING, offsetof(Pan, target) },
        { "vsys", RS_STRING, offsetof(Pan, vsys) },
        {}
};

static void wipe_free(char *s)
{
        if (s) {
                OPENSSL_cleanse(s, strlen(s));
                free(s);
        }
}

/* "&target=...&vsys=..." for Panorama and multi-vsys firewalls */
static char *scope_params(const Pan *p)
{
        _cleanup_free_ char *t = p->target ? pan_form_escape(p->target) : NULL;
        _cleanup_free_ char *v = p->vsys ? pan_form_escape(p->vsys) : NULL;

        return xasprintf("%s%s%s%s", t ? "&target=" : "", t ? t : "", v ? "&vsys=" : "", v ? v : "");
}

/* ---- key ---------------------------------------------------------------- */

static void on_keygen(const HttpResponse *resp, void *userdata)
{
        RAuth *a = userdata;
        _cleanup_free_ char *msg = NULL;
        char *key = NULL;
        int k;

        if (resp->r == -ECANCELED) {
                rauth_fail(a, "keygen: cancelled", true);
                return;
        }
        if (resp->status == 0) {
                _cleanup_free_ char *e = rhttp_error(resp, "keygen");
                rauth_fail(a, e, true);
                return;
        }
        k = pan_parse_keygen(resp->body, &key, &msg);
        if (k == 0) {
                rauth_set(a, key, 0);
                wipe_free(key);
        } else if (k == -EACCES) {
                _cleanup_free_ char *e = xasprintf("keygen: %s (HTTP %ld)", msg ? msg : "refused", resp->status);
                rauth_fail(a, e, resp->status >= 500);
        } else {
                _cleanup_free_ char *e = rhttp_ok(resp) ? xstrdup("keygen: no key in the answer")
                                                        : rhttp_error(resp, "keygen");
                rauth_fail(a, e, rhttp_transient(resp) || rhttp_ok(resp));
        }
}

static int pan_keygen(RAuth *a, void *owner)
{
        Responder *r = owner;
        Pan *p = r->priv;
        _cleanup_free_ char *u = pan_form_escape(p->username);
        char *pw = pan_form_escape(p->password.value ? p->password.value : "");
        char *body = xasprintf("user=%s&password=%s", u, pw);
        int k;

        k = rhttp_start(&p->h,
                        &(RHttpRequest) { .method = "POST", .path = "/api/?type=keygen", .body = body,
                                          .content_type = "application/x-www-form-urlencoded" },
                        on_keygen, a);
        wipe_free(pw);
        wipe_free(body);
        return k;
}

/* ---- batches ------------------------------------------------------------ */

typedef struct PUnit {
        size_t item;
        char *ip;
        const char *tag;
        bool reg;
        bool failed, transient;
        char *error;
} PUnit;

typedef struct PBatch {
        Responder *r;
        ResponderBatch *rb;
        PUnit *units;
        size_t n_units;
        char ***elements;
        size_t n_items;
        char *cmd;                      /* the uid-message */
        char *key;                      /* the key the call used */
        bool rekeyed;
        uv_timer_t defer;
} PBatch;

static void unit_fail(PUnit *u, char *error, bool transient)
{
        if (u->failed) {
                free(error);
                return;
        }
        u->failed = true;
        u->transient = transient;
        u->error = error;
}

static void all_fail(PBatch *b, const char *error, bool transient)
{
        for (size_t i = 0; i < b->n_units; i++)
                unit_fail(&b->units[i], xstrdup(error), transient);
}

static void batch_free(uv_handle_t *h)
{
        PBatch *b = h->data;

        for (size_t i = 0; i < b->n_units; i++) {
                free(b->units[i].ip);
                free(b->units[i].error);
        }
        for (size_t i = 0; i < b->n_items; i++)
                strv_free(b->elements[i]);
        free(b->elements);
        free(b->units);
        free(b->cmd);
        wipe_free(b->key);
        free(b);
}

static void on_finish(uv_timer_t *t)
{
        PBatch *b = t->data;
        ResponderBatch *rb = b->rb;
        RBatchUnit *v = xnew(RBatchUnit, b->n_units ? b->n_units : 1);
        for (size_t k = 0; k < b->n_units; k++)
                v[k] = (RBatchUnit) { .item = b->units[k].item, .element = b->units[k].ip,
                                      .failed = b->units[k].failed, .transient = b->units[k].transient,
                                      .error = b->units[k].error };
        rbatch_results_from_units(rb, v, b->n_units, b->elements);
        free(v);
        rb->done(rb);
        uv_close((uv_handle_t *) &b->defer, batch_free);
}

static void finish(PBatch *b)
{
        /* never from inside apply_batch: a cached key answers at once */
        uv_timer_start(&b->defer, on_finish, 0, 0);
}

static void on_key(void *userdata, const char *cred, const char *err, bool transient);

static bool retry_with_new_key(PBatch *b)
{
        Pan *p = b->r->priv;

        if (b->rekeyed)
                return false;
        b->rekeyed = true;
        rauth_invalidate(&p->auth, b->key);
        log_notice("%s: PAN-OS refused the API key; generating a new one", b->r->name);
        rauth_get(&p->auth, on_key, b);
        return true;
}

static void on_uid(const HttpResponse *resp, void *userdata)
{
        PBatch *b = userdata;
        PanResponse pr;

        if (resp->r == -ECANCELED) {
                all_fail(b, "user-id: cancelled", true);
                finish(b);
                return;
        }
        if (resp->status == 0 || pan_parse_response(resp->body, &pr) < 0) {
                _cleanup_free_ char *e = rhttp_ok(resp) ? xstrdup("user-id: the answer is not a PAN-OS <response>")
                                                        : rhttp_error(resp, "user-id");
                all_fail(b, e, rhttp_transient(resp) || rhttp_ok(resp));
                finish(b);
                return;
        }
        if (pan_auth_error(&pr) && retry_with_new_key(b)) {
                pan_response_done(&pr);
                return;
        }
        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "user-id");
                all_fail(b, e, rhttp_transient(resp));
        } else if (!pr.success) {
                bool matched = false;
                for (size_t i = 0; i < pr.n_entries; i++) {
                        const PanEntryError *e = &pr.entries[i];
                        for (size_t k = 0; k < b->n_units; k++) {
                                PUnit *u = &b->units[k];
                                if (u->failed || u->reg != e->reg || strcmp(u->ip, e->ip))
                                        continue;
                                matched = true;
                                if (!pan_entry_is_noop(e))
                                        unit_fail(u, xasprintf("user-id %s %s: %s", u->reg ? "register" : "unregister",
                                                               u->ip, e->message), false);
                        }
                }
                if (!matched) {
                        _cleanup_free_ char *e = xasprintf("user-id: PAN-OS error%s%s", pr.msg ? ": " : "",
                                                           pr.msg ? pr.msg : "");
                        all_fail(b, e, false);
                }
        }
        pan_response_done(&pr);
        finish(b);
}

static void on_key(void *userdata, const char *cred, const char *err, bool transient)
{
        PBatch *b = userdata;
        Pan *p = b->r->priv;
        _cleanup_free_ char *k = NULL, *scope = NULL, *cmd = NULL;
        char *body;
        int r;

        if (!cred) {
                _cleanup_free_ char *e = xasprintf("%s", err ? err : "no API key");
                all_fail(b, e, transient);
                finish(b);
                return;
        }
        wipe_free(b->key);
        b->key = xstrdup(cred);
        k = pan_form_escape(cred);
        scope = scope_params(p);
        cmd = pan_form_escape(b->cmd);
        body = xasprintf("type=user-id&key=%s%s&cmd=%s", k, scope, cmd);
        r = rhttp_start(&p->h,
                        &(RHttpRequest) { .method = "POST", .path = "/api/", .body = body,
                                          .content_type = "application/x-www-form-urlencoded" },
                        on_uid, b);
        wipe_free(body);
        if (r < 0) {
                all_fail(b, "user-id: cannot start the HTTP call", true);
                finish(b);
        }
}

static int pan_apply_batch(Responder *r, ResponderBatch *rb)
{
        Pan *p = r->priv;
        PBatch *b = xnew(PBatch, 1);
        PanEntry *entries;
        size_t n_entries = 0;

        b->r = r;
        b->rb = rb;
        b->n_items = rb->n;
        b->elements = xnew(char **, rb->n ? rb->n : 1);
        uv_timer_init(r->loop, &b->defer);
        b->defer.data = b;

        for (size_t i = 0; i < rb->n; i++) {
                ResponderItem *it = &rb->items[i];
                const char *const *vals = it->block || it->n_elements == 0 ? &it->entity->value : it->elements;
                size_t n = it->block || it->n_elements == 0 ? 1 : it->n_elements;
                const char *tag = it->entity->kind == ENTITY_HOST ? p->host_tag :
                                  it->entity->kind == ENTITY_DESTINATION ? p->dst_tag : NULL;

                for (size_t k = 0; k < n; k++) {
                        char canon[ADDR_STR_MAX];
                        AddrNet a;
                        PUnit *u;

                        b->units = xreallocarray(b->units, b->n_units + 1, sizeof(PUnit));
                        u = &b->units[b->n_units++];
                        *u = (PUnit) { .item = i, .tag = tag, .reg = it->block };
                        if (!vals[k] || addr_parse(vals[k], &a) < 0) {
                                u->ip = xstrdup(vals[k] ? vals[k] : "");
                                unit_fail(u, xasprintf("'%s' is not an IP address", u->ip), false);
                                continue;
                        }
                        addr_format(&a, canon, sizeof(canon));
                        u->ip = xstrdup(canon);
                        if (!addr_is_host(&a))
                                unit_fail(u, xasprintf("%s: User-ID maps single addresses, not networks", canon), false);
                        else if (!tag || !tag[0])
                                unit_fail(u, xasprintf("%s: no %s configured", r->name,
                                                       it->entity->kind == ENTITY_DESTINATION ? "destination_tag"
                                                                                              : "tag for this kind"),
                                          false);
                }
        }

        entries = xnew(PanEntry, b->n_units ? b->n_units : 1);
        for (size_t k = 0; k < b->n_units; k++)
                if (!b->units[k].failed)
                        entries[n_entries++] = (PanEntry) { .ip = b->units[k].ip, .tag = b->units[k].tag,
                                                            .reg = b->units[k].reg };
        b->cmd = n_entries ? pan_uid_message(entries, n_entries) : NULL;
        free(entries);

        if (!b->cmd)
                finish(b);
        else if (r->simulation) {
                log_info("%s: simulation: would send the User-ID message %s", r->name, b->cmd);
                finish(b);
        } else {
                p->auth.loop = r->loop;
                rauth_get(&p->auth, on_key, b);
        }
        return 0;
}

/* ---- test --------------------------------------------------------------- */

typedef struct PTest {
        Responder *r;
        ResponderDone cb;
        void *userdata;
        char *key;
        bool rekeyed;
        uv_timer_t defer;
        char *error;
        char *text;
        bool transient;
} PTest;

static void test_free(uv_handle_t *h)
{
        PTest *t = h->data;

        free(t->error);
        free(t->text);
        wipe_free(t->key);
        free(t);
}

static void on_test_finish(uv_timer_t *h)
{
        PTest *t = h->data;
        ResponderResult res = { .r = t->error ? -EIO : 0, .transient = t->transient,
                                .error = t->error ? t->error : t->text };

        t->cb(t->userdata, &res);
        uv_close((uv_handle_t *) &t->defer, test_free);
}

static void test_key(void *userdata, const char *cred, const char *err, bool transient);

static void on_test_info(const HttpResponse *resp, void *userdata)
{
        PTest *t = userdata;
        Pan *p = t->r->priv;
        PanResponse pr;

        if (resp->status && pan_parse_response(resp->body, &pr) == 0) {
                if (pan_auth_error(&pr) && !t->rekeyed) {
                        t->rekeyed = true;
                        rauth_invalidate(&p->auth, t->key);
                        pan_response_done(&pr);
                        rauth_get(&p->auth, test_key, t);
                        return;
                }
                if (pr.success && rhttp_ok(resp)) {
                        _cleanup_free_ char *host = pan_xml_text(resp->body, "hostname");
                        _cleanup_free_ char *ver = pan_xml_text(resp->body, "sw-version");
                        t->text = xasprintf("API key accepted; %s%s%s, PAN-OS %s", p->target ? "target " : "",
                                            p->target ? p->target : "", p->target ? ":" : "",
                                            ver ? ver : "?");
                        if (host) {
                                char *s = xasprintf("%s, hostname %s", t->text, host);
                                free(t->text);
                                t->text = s;
                        }
                } else
                        t->error = xasprintf("show system info: %s", pr.msg ? pr.msg : "error");
                pan_response_done(&pr);
        } else {
                t->error = rhttp_error(resp, "show system info");
                t->transient = rhttp_transient(resp);
        }
        uv_timer_start(&t->defer, on_test_finish, 0, 0);
}

static void test_key(void *userdata, const char *cred, const char *err, bool transient)
{
        PTest *t = userdata;
        Pan *p = t->r->priv;
        _cleanup_free_ char *k = NULL, *scope = NULL, *cmd = NULL;
        char *body;

        if (!cred) {
                t->error = xstrdup(err ? err : "no API key");
                t->transient = transient;
                uv_timer_start(&t->defer, on_test_finish, 0, 0);
                return;
        }
        wipe_free(t->key);
        t->key = xstrdup(cred);
        k = pan_form_escape(cred);
        scope = scope_params(p);
        cmd = pan_form_escape("<show><system><info></info></system></show>");
        body = xasprintf("type=op&key=%s%s&cmd=%s", k, scope, cmd);
        if (rhttp_start(&p->h,
                        &(RHttpRequest) { .method = "POST", .path = "/api/", .body = body,
                                          .content_type = "application/x-www-form-urlencoded" },
                        on_test_info, t) < 0) {
                t->error = xstrdup("cannot start the HTTP call");
                uv_timer_start(&t->defer, on_test_finish, 0, 0);
        }
        wipe_free(body);
}

static int pan_test(Responder *r, ResponderDone cb, void *userdata)
{
        Pan *p = r->priv;
        PTest *t = xnew(PTest, 1);

        t->r = r;
        t->cb = cb;
        t->userdata = userdata;
        uv_timer_init(r->loop, &t->defer);
        t->defer.data = t;
        p->auth.loop = r->loop;
        rauth_get(&p->auth, test_key, t);
        return 0;
}

/* ---- life cycle --------------------------------------------------------- */

static void pan_clear(Pan *p)
{
        rsettings_free(pan_opts, p);
}

static int pan_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Pan *p = r->priv;
        size_t before = *n_errs;
        unsigned caps = 0;

        pan_clear(p);
        if (rsettings_read(group, "pan", pan_opts, p, errs, n_errs) < 0 || *n_errs > before) {
                pan_clear(p);
                r->caps = 0;
                return -EINVAL;
        }
        if (p->host_tag[0])
                caps |= RESPONDER_CAP_HOST;
        if (p->dst_tag[0])
                caps |= RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST;
        if (!caps)
                rsettings_err(errs, n_errs, group, "a pan responder needs host_tag or destination_tag (or both)");
        if (p->target && !p->target[0])
                rsettings_err(errs, n_errs, config_setting_get_member(group, "target"),
                              "must not be empty (leave it out when not talking to Panorama)");
        if (*n_errs > before) {
                pan_clear(p);
                r->caps = 0;
                return -EINVAL;
        }
        rhttp_init(&p->h, r, &p->http);
        rauth_init(&p->auth, NULL, pan_keygen, r);     /* the loop comes after configure */
        r->caps = caps & r->ops->caps;
        return 0;
}

static void pan_done(Responder *r)
{
        Pan *p = r->priv;

        if (!p)
                return;
        if (p->auth.fetch)
                rauth_done(&p->auth);
        pan_clear(p);
}

static void pan_cancel_all(Responder *r)
{
        Pan *p = r->priv;

        rhttp_cancel_all(&p->h);
}

const ResponderOps pan_ops = {
        .module = "pan",
        .client_name = "PAN Client",
        .caps = RESPONDER_CAP_HOST | RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST,
        .priv_size = sizeof(Pan),
        .configure = pan_configure,
        .done = pan_done,
        .cancel_all = pan_cancel_all,
        .apply_batch = pan_apply_batch,
        .test = pan_test,
        .needs_http = true,
        .default_max_batch = 500,
        .default_max_concurrent = 2,
};
