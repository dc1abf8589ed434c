/* SPDX-License-Identifier: MIT */
/* fortimanager ("FMG Client", responders.md §4.7): blocks through a
 * FortiManager: address objects in an ADOM's address group, then ONE policy
 * package install to the managed FortiGates per batch.
 *
 *   {
 *     name = "fmg"; type = "fortimanager";
 *     url = "https://fmg.example.com";
 *     username = "secresp"; password = "file:/etc/secresp/fmg.password";
 *     adom = "root";
 *     host_group = "Internal-Block";             # VAR BLOCK_GROUP
 *     destination_group = "External-Block";      # detections, static list
 *     package = "default";                       # VAR POLICY_PKG
 *     scope = [ "fgt1/root", "fgt2" ];           # devices (and VDOMs) to install to
 *     install = true;
 *   }
 *
 * JSON-RPC on POST /jsonrpc with a session from `exec /sys/login/user`,
 * shared by the calls and fetched again when FortiManager refuses it
 * (-11, what an expired session gets), the call then made once more.  A
 * batch is, one request each:
 *   1. get the groups involved (members now);
 *   2. set (create or update) the address objects to block, all in one;
 *   3. update each changed group with its whole new member list (VAR sent
 *      only the new member, which replaces the list);
 *   4. delete the address objects unblocked (gone already: fine);
 *   5. exec /securityconsole/install/package with the configured scope
 *      (VAR's scope was a placeholder), and follow the task to its end.
 * An install that fails leaves the changes pending: the batch fails
 * (transient) and the next batch installs even if it changes nothing.  The
 * session is logged out once no batch is left (a responder has no
 * shutdown hook), so none outlives the daemon.
 *
 * Addresses are "<name_prefix>_<address with '_'>" ipmask objects (IPv4
 * and networks); the element is the address.  Already a member, and gone
 * already on unblock, are successes. */
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
#include "responders/fmg_rpc.h"
#include "responders/fortios_map.h"
#include "responders/rbatchres.h"
#include "responders/responder.h"
#include "responders/rhttp.h"
#include "responders/rsettings.h"

#define FMG_POLL_MS 500

enum { G_HOST, G_DST, _G_MAX };

typedef struct Fmg {
        RHttpConf http;
        char *username;
        Secret password;
        char *adom;
        char *group[_G_MAX];
        char *package;
        char **scope;
        bool install;
        uint64_t install_timeout_ms;
        char *prefix;
        RHttp h;
        RAuth auth;
        int next_id;
        bool install_pending;           /* changes made, not installed yet */
        unsigned batches;               /* in flight */
} Fmg;

static const RsOpt fmg_opts[] = {
        RHTTP_OPTS(Fmg, http, "FMG_URL"),
        { "username", RS_STRING, offsetof(Fmg, username), .required = true },
        { "password", RS_SECRET, offsetof(Fmg, password), .required = true },
        { "adom", RS_STRING, offsetof(Fmg, adom), .def = "root", .var = "ADOM" },
        { "host_group", RS_STRING, offsetof(Fmg, group[G_HOST]), .var = "BLOCK_GROUP" },
        { "destination_group", RS_STRING, offsetof(Fmg, group[G_DST]) },
        { "package", RS_STRING, offsetof(Fmg, package), .var = "POLICY_PKG" },
        { "scope", RS_STRINGS, offsetof(Fmg, scope) },
        { "install", RS_BOOL, offsetof(Fmg, install), .def = "true" },
        { "install_timeout", RS_DURATION, offsetof(Fmg, install_timeout_ms), 1, 3600, .def = "10m" },
        { "name_prefix", RS_STRING, offsetof(Fmg, prefix), .def = "secresp" },
        {}
};

static void wipe_free(char *s)
{
        if (s) {
                OPENSSL_cleanse(s, strlen(s));
                free(s);
        }
}

static int rpc_start(Fmg *f, const char *method, cJSON *params, const char *session, RHttpCb cb, void *userdata)
{
        char *body = fmg_request(++f->next_id, method, params, session);
        int k = rhttp_start(&f->h, &(RHttpRequest) { .method = "POST", .path = "/jsonrpc", .body = body }, cb,
                            userdata);
        wipe_free(body);
        return k;
}

/* ---- session ------------------------------------------------------------ */

static void on_login(const HttpResponse *resp, void *userdata)
{
        RAuth *a = userdata;
        cJSON *doc = rhttp_json(resp);
        const char *msg = NULL, *s = fmg_session(doc);
        int code = fmg_code(doc, 0, &msg);

        if (rhttp_ok(resp) && code == 0 && s)
                rauth_set(a, s, 0);
        else if (!rhttp_ok(resp) || code == FMG_BAD_ANSWER) {
                _cleanup_free_ char *e = rhttp_ok(resp) ? xstrdup("login: unexpected answer") : rhttp_error(resp, "login");
                rauth_fail(a, e, rhttp_transient(resp) || rhttp_ok(resp));
        } else {
                _cleanup_free_ char *e = xasprintf("login: %s (%d)", msg && msg[0] ? msg : "refused", code);
                rauth_fail(a, e, false);
        }
        cJSON_Delete(doc);
}

static int fmg_login(RAuth *a, void *owner)
{
        Responder *r = owner;
        Fmg *f = r->priv;
        cJSON *params = cJSON_CreateArray(), *p = cJSON_CreateObject(), *d = cJSON_CreateObject();

        cJSON_AddStringToObject(p, "url", "/sys/login/user");
        cJSON_AddStringToObject(d, "user", f->username);
        cJSON_AddStringToObject(d, "passwd", f->password.value ? f->password.value : "");
        cJSON_AddItemToObject(p, "data", d);
        cJSON_AddItemToArray(params, p);
        return rpc_start(f, "exec", params, NULL, on_login, a);
}

static void on_logout(const HttpResponse *resp, void *userdata)
{
        Responder *r = userdata;

        if (!rhttp_ok(resp))
                log_debug("%s: logout: HTTP %ld", r->name, resp->status);
}

/* Once no batch is left: the session is dropped here and on FortiManager. */
static void logout_if_idle(Responder *r)
{
        Fmg *f = r->priv;
        _cleanup_free_ char *s = NULL;
        cJSON *params, *p;

        if (f->batches > 0 || !f->auth.cred)
                return;
        s = xstrdup(f->auth.cred);
        rauth_invalidate(&f->auth, s);
        params = cJSON_CreateArray();
        p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "url", "/sys/logout");
        cJSON_AddItemToArray(params, p);
        (void) rpc_start(f, "exec", params, s, on_logout, r);
        OPENSSL_cleanse(s, strlen(s));
}

/* ---- batches ------------------------------------------------------------ */

typedef enum Step { S_GROUPS, S_ADDRS, S_UPDATE, S_DELETE, S_INSTALL, S_POLL, S_DONE } Step;

typedef struct MUnit {
        size_t item;
        char *value;                    /* the element: the address */
        char *name;                     /* the object */
        int g;
        bool block, member, failed, transient;
        char *error;
} MUnit;

typedef struct MGroup {
        bool used, failed, transient, changed;
        char **members;
        char *error;
} MGroup;

typedef struct MBatch {
        Responder *r;
        ResponderBatch *rb;
        MUnit *units;
        size_t n_units;
        MGroup groups[_G_MAX];
        int gidx[_G_MAX];               /* result index -> group, for the current request */
        int ng;
        size_t *uidx;                   /* result index -> unit (deletes) */
        size_t nu;
        Step step;
        char *session;
        bool relogged;
        cJSON *params;                  /* the current request's, kept for a retry after a new login */
        const char *method;
        long task;
        uint64_t deadline;
        uv_timer_t timer;
        char ***elements;
        size_t n_items;
} MBatch;

static void step_run(MBatch *b);

static void unit_fail(MUnit *u, char *error, bool transient)
{
        if (u->failed) {
                free(error);
                return;
        }
        u->failed = true;
        u->transient = transient;
        u->error = error;
}

static void all_fail(MBatch *b, const char *error, bool transient)
{
        for (size_t i = 0; i < b->n_units; i++)
                unit_fail(&b->units[i], xstrdup(error), transient);
}

static char *grp_url(const Fmg *f, int g)
{
        return xasprintf("/pm/config/adom/%s/obj/firewall/addrgrp/%s", f->adom, f->group[g]);
}

static void batch_free(uv_handle_t *h)
{
        MBatch *b = h->data;

        for (size_t i = 0; i < b->n_units; i++) {
                free(b->units[i].value);
                free(b->units[i].name);
                free(b->units[i].error);
        }
        for (int g = 0; g < _G_MAX; g++) {
                strv_free(b->groups[g].members);
                free(b->groups[g].error);
        }
        for (size_t i = 0; i < b->n_items; i++)
                strv_free(b->elements[i]);
        free(b->elements);
        free(b->units);
        free(b->uidx);
        cJSON_Delete(b->params);
        wipe_free(b->session);
        free(b);
}

static void batch_finish(MBatch *b)
{
        ResponderBatch *rb = b->rb;
        Responder *r = b->r;
        Fmg *f = r->priv;
        RBatchUnit *v = xnew(RBatchUnit, b->n_units ? b->n_units : 1);
        for (size_t k = 0; k < b->n_units; k++)
                v[k] = (RBatchUnit) { .item = b->units[k].item, .element = b->units[k].value,
                                      .failed = b->units[k].failed, .transient = b->units[k].transient,
                                      .error = b->units[k].error };
        rbatch_results_from_units(rb, v, b->n_units, b->elements);
        free(v);
        rb->done(rb);
        f->batches--;
        if (!r->simulation)
                logout_if_idle(r);
        uv_close((uv_handle_t *) &b->timer, batch_free);
}

static void on_timer(uv_timer_t *t)
{
        step_run(t->data);
}

static void next_step(MBatch *b, Step s)
{
        b->step = s;
        uv_timer_start(&b->timer, on_timer, 0, 0);
}

static void on_session(void *userdata, const char *cred, const char *err, bool transient);
static void on_rpc(const HttpResponse *resp, void *userdata);

static void send_current(MBatch *b)
{
        Fmg *f = b->r->priv;

        if (rpc_start(f, b->method, cJSON_Duplicate(b->params, true), b->session, on_rpc, b) < 0) {
                all_fail(b, "cannot start the HTTP call", true);
                next_step(b, S_DONE);
        }
}

static void on_session(void *userdata, const char *cred, const char *err, bool transient)
{
        MBatch *b = userdata;

        if (!cred) {
                all_fail(b, err ? err : "no session", transient);
                next_step(b, S_DONE);
                return;
        }
        wipe_free(b->session);
        b->session = xstrdup(cred);
        send_current(b);
}

/* Sends a request of the current step (params taken over). */
static void rpc(MBatch *b, const char *method, cJSON *params)
{
        Fmg *f = b->r->priv;

        cJSON_Delete(b->params);
        b->params = params;
        b->method = method;
        f->auth.loop = b->r->loop;
        if (!b->session) {
                rauth_get(&f->auth, on_session, b);
                return;
        }
        send_current(b);
}

static cJSON *param(const char *url, cJSON *data)
{
        cJSON *p = cJSON_CreateObject();

        cJSON_AddStringToObject(p, "url", url);
        if (data)
                cJSON_AddItemToObject(p, "data", data);
        return p;
}

static void handle(MBatch *b, const cJSON *doc);

static void on_rpc(const HttpResponse *resp, void *userdata)
{
        MBatch *b = userdata;
        Fmg *f = b->r->priv;
        cJSON *doc;
        bool expired = false;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = NULL;
                if (resp->status == 401 && !b->relogged)
                        expired = true;
                else {
                        e = rhttp_error(resp, b->method);
                        all_fail(b, e, rhttp_transient(resp));
                        next_step(b, S_DONE);
                        return;
                }
        }
        doc = rhttp_json(resp);
        if (!expired) {
                int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "result"));
                for (int i = 0; i < (n ? n : 1); i++)
                        expired = expired || fmg_code(doc, i, NULL) == FMG_NO_PERMISSION;
                expired = expired && !b->relogged;
        }
        if (expired) {
                /* the session expired (or was dropped): log in again, same request */
                cJSON_Delete(doc);
                b->relogged = true;
                rauth_invalidate(&f->auth, b->session);
                wipe_free(b->session);
                b->session = NULL;
                log_notice("%s: FortiManager refused the session; logging in again", b->r->name);
                rauth_get(&f->auth, on_session, b);
                return;
        }
        if (!doc || fmg_code(doc, 0, NULL) == FMG_BAD_ANSWER) {
                _cleanup_free_ char *e = xasprintf("%s: the answer is no JSON-RPC result", b->method);
                all_fail(b, e, true);
                cJSON_Delete(doc);
                next_step(b, S_DONE);
                return;
        }
        /* a new login is allowed once per request, not once per batch */
        b->relogged = false;
        handle(b, doc);
        cJSON_Delete(doc);
}

static char *rpc_error(const cJSON *doc, int i, const char *what)
{
        const char *msg = NULL;
        int code = fmg_code(doc, i, &msg);
        return xasprintf("%s: %s (%d)", what, msg && msg[0] ? msg : "error", code);
}

static void handle(MBatch *b, const cJSON *doc)
{
        Fmg *f = b->r->priv;

        switch (b->step) {
        case S_GROUPS:
                for (int i = 0; i < b->ng; i++) {
                        MGroup *g = &b->groups[b->gidx[i]];
                        int code = fmg_code(doc, i, NULL);
                        if (code == 0 && fmg_group_members(doc, i, &g->members) == 0)
                                continue;
                        g->failed = true;
                        g->transient = false;
                        g->error = code == FMG_NOT_FOUND
                                ? xasprintf("address group '%s' does not exist in ADOM '%s'", f->group[b->gidx[i]], f->adom)
                                : rpc_error(doc, i, "get addrgrp");
                }
                for (size_t k = 0; k < b->n_units; k++) {
                        MUnit *u = &b->units[k];
                        MGroup *g = &b->groups[u->g];
                        if (g->failed)
                                unit_fail(u, xstrdup(g->error), g->transient);
                        else
                                u->member = strv_contains(g->members, u->name);
                }
                next_step(b, S_ADDRS);
                return;
        case S_ADDRS:
                if (fmg_code(doc, 0, NULL) != 0) {
                        _cleanup_free_ char *e = rpc_error(doc, 0, "set address");
                        for (size_t k = 0; k < b->n_units; k++)
                                if (b->units[k].block && !b->units[k].member)
                                        unit_fail(&b->units[k], xstrdup(e), false);
                }
                next_step(b, S_UPDATE);
                return;
        case S_UPDATE:
                for (int i = 0; i < b->ng; i++) {
                        MGroup *g = &b->groups[b->gidx[i]];
                        if (fmg_code(doc, i, NULL) == 0) {
                                f->install_pending = true;
                                continue;
                        }
                        g->failed = true;
                        g->error = rpc_error(doc, i, "update addrgrp");
                        for (size_t k = 0; k < b->n_units; k++) {
                                MUnit *u = &b->units[k];
                                if (u->g == b->gidx[i] && u->block != u->member)
                                        unit_fail(u, xstrdup(g->error), false);
                        }
                }
                next_step(b, S_DELETE);
                return;
        case S_DELETE:
                for (size_t i = 0; i < b->nu; i++) {
                        MUnit *u = &b->units[b->uidx[i]];
                        const char *msg = NULL;
                        int code = fmg_code(doc, (int) i, &msg);
                        if (code != 0 && code != FMG_NOT_FOUND)
                                /* still used elsewhere, most likely: out of our group is what counts */
                                log_notice("%s: address '%s' kept on FortiManager: %s (%d)", b->r->name, u->name,
                                           msg ? msg : "", code);
                }
                next_step(b, S_INSTALL);
                return;
        case S_INSTALL:
                b->task = fmg_install_task(doc);
                if (fmg_code(doc, 0, NULL) != 0 || b->task < 0) {
                        _cleanup_free_ char *e = rpc_error(doc, 0, "install package");
                        all_fail(b, e, true);
                        next_step(b, S_DONE);
                        return;
                }
                b->deadline = uv_now(b->r->loop) + f->install_timeout_ms;
                next_step(b, S_POLL);
                return;
        case S_POLL: {
                int percent = 0, num_err = 0;
                if (fmg_code(doc, 0, NULL) != 0 || fmg_task(doc, &percent, &num_err) < 0) {
                        _cleanup_free_ char *e = rpc_error(doc, 0, "install task");
                        all_fail(b, e, true);
                        next_step(b, S_DONE);
                        return;
                }
                if (percent >= 100) {
                        if (num_err > 0) {
                                _cleanup_free_ char *e = xasprintf("install of package '%s' (task %ld) ended with "
                                                                   "%d error(s); the changes stay pending",
                                                                   f->package, b->task, num_err);
                                all_fail(b, e, true);
                        } else
                                f->install_pending = false;
                        next_step(b, S_DONE);
                        return;
                }
                if (uv_now(b->r->loop) >= b->deadline) {
                        _cleanup_free_ char *e = xasprintf("install task %ld not done in time (%d%%)", b->task, percent);
                        all_fail(b, e, true);
                        next_step(b, S_DONE);
                        return;
                }
                uv_timer_start(&b->timer, on_timer, FMG_POLL_MS, 0);
                return;
        }
        default:
                next_step(b, S_DONE);
        }
}

static void step_run(MBatch *b)
{
        Fmg *f = b->r->priv;
        cJSON *params;

        switch (b->step) {
        case S_GROUPS:
                params = cJSON_CreateArray();
                b->ng = 0;
                for (int g = 0; g < _G_MAX; g++)
                        if (b->groups[g].used) {
                                _cleanup_free_ char *u = grp_url(f, g);
                                b->gidx[b->ng++] = g;
                                cJSON_AddItemToArray(params, param(u, NULL));
                        }
                if (b->ng == 0) {
                        cJSON_Delete(params);
                        next_step(b, S_DONE);
                        return;
                }
                rpc(b, "get", params);
                return;
        case S_ADDRS: {
                cJSON *data = cJSON_CreateArray();
                _cleanup_free_ char *u = xasprintf("/pm/config/adom/%s/obj/firewall/address", f->adom);
                for (size_t k = 0; k < b->n_units; k++) {
                        MUnit *x = &b->units[k];
                        if (x->block && !x->failed && !x->member)
                                cJSON_AddItemToArray(data, fmg_addr_data(x->name, x->value));
                }
                if (cJSON_GetArraySize(data) == 0) {
                        cJSON_Delete(data);
                        next_step(b, S_UPDATE);
                        return;
                }
                params = cJSON_CreateArray();
                cJSON_AddItemToArray(params, param(u, data));
                rpc(b, "set", params);
                return;
        }
        case S_UPDATE:
                params = cJSON_CreateArray();
                b->ng = 0;
                for (int g = 0; g < _G_MAX; g++) {
                        char **add = NULL, **rm = NULL, **m;
                        bool changed;
                        cJSON *d, *arr;
                        _cleanup_free_ char *u = NULL;
                        if (!b->groups[g].used || b->groups[g].failed)
                                continue;
                        for (size_t k = 0; k < b->n_units; k++) {
                                MUnit *x = &b->units[k];
                                if (x->g != g || x->failed)
                                        continue;
                                if (x->block)
                                        add = strv_push(add, x->name);
                                else
                                        rm = strv_push(rm, x->name);
                        }
                        m = fortios_members_apply(b->groups[g].members, add, rm, NULL, &changed);
                        strv_free(add);
                        strv_free(rm);
                        if (!changed) {
                                strv_free(m);
                                continue;
                        }
                        d = cJSON_CreateObject();
                        arr = cJSON_AddArrayToObject(d, "member");
                        for (size_t i = 0; m[i]; i++)
                                cJSON_AddItemToArray(arr, cJSON_CreateString(m[i]));
                        strv_free(m);
                        u = grp_url(f, g);
                        b->gidx[b->ng++] = g;
                        cJSON_AddItemToArray(params, param(u, d));
                }
                if (b->ng == 0) {
                        cJSON_Delete(params);
                        next_step(b, S_DELETE);
                        return;
                }
                rpc(b, "update", params);
                return;
        case S_DELETE:
                params = cJSON_CreateArray();
                b->nu = 0;
                b->uidx = xnew(size_t, b->n_units ? b->n_units : 1);
                for (size_t k = 0; k < b->n_units; k++) {
                        MUnit *x = &b->units[k];
                        _cleanup_free_ char *u = NULL;
                        if (x->block || x->failed)
                                continue;
                        u = xasprintf("/pm/config/adom/%s/obj/firewall/address/%s", f->adom, x->name);
                        b->uidx[b->nu++] = k;
                        cJSON_AddItemToArray(params, param(u, NULL));
                }
                if (b->nu == 0) {
                        cJSON_Delete(params);
                        next_step(b, S_INSTALL);
                        return;
                }
                rpc(b, "delete", params);
                return;
        case S_INSTALL: {
                cJSON *d;
                bool any_ok = false;
                for (size_t k = 0; k < b->n_units; k++)
                        any_ok = any_ok || !b->units[k].failed;
                if (!f->install || !f->install_pending || !any_ok) {
                        next_step(b, S_DONE);
                        return;
                }
                d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "adom", f->adom);
                cJSON_AddStringToObject(d, "pkg", f->package);
                cJSON_AddItemToObject(d, "scope", fmg_scope(f->scope));
                params = cJSON_CreateArray();
                cJSON_AddItemToArray(params, param("/securityconsole/install/package", d));
                rpc(b, "exec", params);
                return;
        }
        case S_POLL: {
                _cleanup_free_ char *u = xasprintf("/task/task/%ld", b->task);
                params = cJSON_CreateArray();
                cJSON_AddItemToArray(params, param(u, NULL));
                rpc(b, "get", params);
                return;
        }
        default:
                batch_finish(b);
        }
}

static int fmg_apply_batch(Responder *r, ResponderBatch *rb)
{
        Fmg *f = r->priv;
        MBatch *b = xnew(MBatch, 1);

        b->r = r;
        b->rb = rb;
        b->n_items = rb->n;
        b->elements = xnew(char **, rb->n ? rb->n : 1);
        uv_timer_init(r->loop, &b->timer);
        b->timer.data = b;
        f->batches++;

        for (size_t i = 0; i < rb->n; i++) {
                ResponderItem *it = &rb->items[i];
                const char *const *vals = it->block || it->n_elements == 0 ? &it->entity->value : it->elements;
                size_t n = it->block || it->n_elements == 0 ? 1 : it->n_elements;
                int g = it->entity->kind == ENTITY_HOST ? G_HOST : it->entity->kind == ENTITY_DESTINATION ? G_DST : -1;

                for (size_t k = 0; k < n; k++) {
                        MUnit *u;
                        char canon[ADDR_STR_MAX];
                        AddrNet a;
                        b->units = xreallocarray(b->units, b->n_units + 1, sizeof(MUnit));
                        u = &b->units[b->n_units++];
                        *u = (MUnit) { .item = i, .block = it->block, .g = g < 0 ? 0 : g };
                        if (vals[k] && addr_parse(vals[k], &a) == 0) {
                                addr_format(&a, canon, sizeof(canon));
                                u->value = xstrdup(canon);
                        } else
                                u->value = xstrdup(vals[k] ? vals[k] : "");
                        u->name = fmg_addr_name(f->prefix, u->value);
                        if (!u->name) {
                                u->name = xstrdup(u->value);
                                unit_fail(u, xasprintf("'%s': FortiManager objects here are IPv4 addresses and "
                                                       "networks", u->value), false);
                        } else if (g < 0 || !f->group[g])
                                unit_fail(u, xasprintf("%s: no %s configured", r->name,
                                                       g == G_DST ? "destination_group" : "host_group"), false);
                        else
                                b->groups[g].used = true;
                }
        }
        if (r->simulation) {
                for (size_t k = 0; k < b->n_units; k++)
                        if (!b->units[k].failed)
                                log_info("%s: simulation: would %s address '%s' %s group '%s' (ADOM %s) and install "
                                         "package '%s'", r->name, b->units[k].block ? "add" : "remove",
                                         b->units[k].name, b->units[k].block ? "to" : "from",
                                         f->group[b->units[k].g], f->adom, f->package ? f->package : "-");
                next_step(b, S_DONE);
                return 0;
        }
        next_step(b, S_GROUPS);
        return 0;
}

/* ---- test --------------------------------------------------------------- */

typedef struct MTest {
        Responder *r;
        ResponderDone cb;
        void *userdata;
        char *session;
        bool relogged;
        char *error;
        char *text;
        bool transient;
        uv_timer_t timer;
} MTest;

static void mtest_free(uv_handle_t *h)
{
        MTest *t = h->data;

        free(t->error);
        free(t->text);
        wipe_free(t->session);
        free(t);
}

static void on_mtest_finish(uv_timer_t *h)
{
        MTest *t = h->data;
        ResponderResult res = { .r = t->error ? -EIO : 0, .transient = t->transient,
                                .error = t->error ? t->error : t->text };
        Fmg *f = t->r->priv;

        t->cb(t->userdata, &res);
        if (f->batches == 0)
                logout_if_idle(t->r);
        uv_close((uv_handle_t *) &t->timer, mtest_free);
}

static void mtest_session(void *userdata, const char *cred, const char *err, bool transient);

static void on_mtest(const HttpResponse *resp, void *userdata)
{
        MTest *t = userdata;
        Fmg *f = t->r->priv;
        cJSON *doc = rhttp_json(resp);
        int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "result"));
        bool expired = false;

        for (int i = 0; i < n; i++)
                expired = expired || fmg_code(doc, i, NULL) == FMG_NO_PERMISSION;
        if (expired && !t->relogged) {
                t->relogged = true;
                rauth_invalidate(&f->auth, t->session);
                cJSON_Delete(doc);
                rauth_get(&f->auth, mtest_session, t);
                return;
        }
        if (!rhttp_ok(resp)) {
                t->error = rhttp_error(resp, "get addrgrp");
                t->transient = rhttp_transient(resp);
        } else
                for (int i = 0; i < n && !t->error; i++)
                        if (fmg_code(doc, i, NULL) != 0)
                                t->error = rpc_error(doc, i, "get addrgrp");
        if (!t->error)
                t->text = xasprintf("session opened; ADOM '%s' has group(s) %s%s%s%s%s", f->adom,
                                    f->group[G_HOST] ? "'" : "", f->group[G_HOST] ? f->group[G_HOST] : "",
                                    f->group[G_HOST] ? "'" : "", f->group[G_DST] ? " '" : "",
                                    f->group[G_DST] ? f->group[G_DST] : "");
        if (!t->error && f->group[G_DST]) {
                char *s = xasprintf("%s'", t->text);
                free(t->text);
                t->text = s;
        }
        cJSON_Delete(doc);
        uv_timer_start(&t->timer, on_mtest_finish, 0, 0);
}

static void mtest_session(void *userdata, const char *cred, const char *err, bool transient)
{
        MTest *t = userdata;
        Fmg *f = t->r->priv;
        cJSON *params;

        if (!cred) {
                t->error = xstrdup(err ? err : "no session");
                t->transient = transient;
                uv_timer_start(&t->timer, on_mtest_finish, 0, 0);
                return;
        }
        wipe_free(t->session);
        t->session = xstrdup(cred);
        params = cJSON_CreateArray();
        for (int g = 0; g < _G_MAX; g++)
                if (f->group[g]) {
                        _cleanup_free_ char *u = grp_url(f, g);
                        cJSON_AddItemToArray(params, param(u, NULL));
                }
        if (rpc_start(f, "get", params, t->session, on_mtest, t) < 0) {
                t->error = xstrdup("cannot start the HTTP call");
                uv_timer_start(&t->timer, on_mtest_finish, 0, 0);
        }
}

static int fmg_test(Responder *r, ResponderDone cb, void *userdata)
{
        Fmg *f = r->priv;
        MTest *t = xnew(MTest, 1);

        t->r = r;
        t->cb = cb;
        t->userdata = userdata;
        uv_timer_init(r->loop, &t->timer);
        t->timer.data = t;
        f->auth.loop = r->loop;
        rauth_get(&f->auth, mtest_session, t);
        return 0;
}

/* ---- life cycle --------------------------------------------------------- */

static int fmg_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Fmg *f = r->priv;
        size_t before = *n_errs;
        unsigned caps = 0;

        rsettings_free(fmg_opts, f);
        if (rsettings_read(group, "fortimanager", fmg_opts, f, errs, n_errs) < 0 || *n_errs > before) {
                rsettings_free(fmg_opts, f);
                r->caps = 0;
                return -EINVAL;
        }
        for (int g = 0; g < _G_MAX; g++)
                if (f->group[g] && !f->group[g][0]) {
                        free(f->group[g]);
                        f->group[g] = NULL;
                }
        if (f->group[G_HOST])
                caps |= RESPONDER_CAP_HOST;
        if (f->group[G_DST])
                caps |= RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST;
        if (!caps)
                rsettings_err(errs, n_errs, group, "a fortimanager responder needs host_group (VAR's BLOCK_GROUP) "
                              "or destination_group, or both");
        if (f->install && (!f->package || !f->package[0]))
                rsettings_err(errs, n_errs, group, "install = true needs package = \"...\" (VAR's POLICY_PKG)");
        if (f->install && !f->scope)
                rsettings_err(errs, n_errs, group, "install = true needs scope = [ \"device/vdom\", ... ]: the "
                              "FortiGates to install to (VAR's scope was a placeholder)");
        for (size_t i = 0; f->scope && f->scope[i]; i++)
                if (!f->scope[i][0] || f->scope[i][0] == '/')
                        rsettings_err(errs, n_errs, config_setting_get_member(group, "scope"),
                                      "element %zu: expected \"device\" or \"device/vdom\"", i + 1);
        if (r->max_concurrent > 1)
                rsettings_err(errs, n_errs, config_setting_get_member(group, "max_concurrent"),
                              "a fortimanager responder rewrites groups and installs a package per batch: "
                              "one batch at a time, max_concurrent = 1");
        if (*n_errs > before) {
                rsettings_free(fmg_opts, f);
                r->caps = 0;
                return -EINVAL;
        }
        rhttp_init(&f->h, r, &f->http);
        rauth_init(&f->auth, NULL, fmg_login, r);       /* the loop comes after configure */
        r->caps = caps & r->ops->caps;
        return 0;
}

static void fmg_done(Responder *r)
{
        Fmg *f = r->priv;

        if (!f)
                return;
        if (f->auth.fetch)
                rauth_done(&f->auth);
        rsettings_free(fmg_opts, f);
}

static void fmg_cancel_all(Responder *r)
{
        Fmg *f = r->priv;

        rhttp_cancel_all(&f->h);
}

const ResponderOps fortimanager_ops = {
        .module = "fortimanager",
        .client_name = "FMG Client",
        .caps = RESPONDER_CAP_HOST | RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST,
        .priv_size = sizeof(Fmg),
        .configure = fmg_configure,
        .done = fmg_done,
        .cancel_all = fmg_cancel_all,
        .apply_batch = fmg_apply_batch,
        .test = fmg_test,
        .needs_http = true,
        .default_max_batch = 500,
        .default_max_concurrent = 1,
};
