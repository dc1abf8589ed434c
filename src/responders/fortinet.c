/* SPDX-License-Identifier: MIT */
/* fortinet ("Fortinet Client", responders.md §4.1): blocks by putting
 * address objects into address groups on a FortiGate through the FortiOS
 * REST API; firewall policies that reference the groups do the blocking.
 *
 *   {
 *     name = "fgt1"; type = "fortinet";
 *     url = "https://fgt1.example.com:443";         # VAR IP + PORT
 *     token = "file:/etc/secresp/fgt1.token";       # REST API admin token
 *     vdom = "root";                                # VAR VDOM
 *     host_group = "Internal-Block";                # hosts (sources); VAR INTERNAL_ADDRESS_GROUP
 *     destination_group = "External-Block";         # detections, static list; VAR EXTERNAL_ADDRESS_GROUP
 *     host_group6 = "Internal-Block6";              # optional: IPv6 (addrgrp6)
 *     destination_group6 = "External-Block6";
 *     placeholder = "none";                         # optional: member kept in an emptied group
 *   }
 *
 * One responder is one FortiGate VDOM: several firewalls or VDOMs are
 * several responders, so each keeps its own state and retries (VAR's
 * parallel IP/PORT/VDOM lists, where one failing firewall was invisible).
 * Capabilities follow the groups that are configured: without
 * destination_group this responder blocks hosts only, and a source that
 * asks it to block destinations is a configuration error.
 *
 * Batches (apply_batch): every queued call at once, as
 *   1. GET each address group involved (members now);
 *   2. for each address to block that is not a member: GET the address
 *      object, POST it on 404 (an existing object is reused; one of another
 *      type is reused with a warning);
 *   3. ONE PUT per group with the new member list (additions and removals
 *      of the whole batch), only when it changed;
 *   4. DELETE the address objects of the unblocked entries (404: gone
 *      already; still used elsewhere: kept, with a notice).
 * So 1,000 hosts to block cost one group GET, 1,000 address GET+POST and
 * one group PUT, not 1,000 group rewrites.  The group is read, changed and
 * written, so batches of one responder never overlap (max_concurrent = 1).
 *
 * Elements: the address object names (the IP or network).  "Already a
 * member" and "not a member / no such object" are successes.  A 401
 * re-reads the token (file: and cred: references may have been rotated)
 * and retries the call once with the new one; 429 and 5xx are retried by
 * the HTTP client, then by the reconciler (transient). */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <openssl/crypto.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "engine/entity.h"
#include "responders/fortios_map.h"
#include "responders/rbatchres.h"
#include "responders/responder.h"
#include "responders/rhttp.h"
#include "responders/rsettings.h"

#define FORTI_PARALLEL 8                /* calls in flight per batch */

enum { G_HOST, G_HOST6, G_DST, G_DST6, _G_MAX };

typedef struct Forti {
        RHttpConf http;
        Secret token;
        char *vdom;
        char *group[_G_MAX];
        char *placeholder;
        RHttp h;
        char *auth;                     /* "Authorization: Bearer ..." (wiped) */
} Forti;

static const RsOpt forti_opts[] = {
        RHTTP_OPTS(Forti, http, "IP"),
        { "token", RS_SECRET, offsetof(Forti, token), .required = true },
        { "vdom", RS_STRING, offsetof(Forti, vdom), .def = "root", .var = "VDOM" },
        { "host_group", RS_STRING, offsetof(Forti, group[G_HOST]), .var = "INTERNAL_ADDRESS_GROUP" },
        { "host_group6", RS_STRING, offsetof(Forti, group[G_HOST6]) },
        { "destination_group", RS_STRING, offsetof(Forti, group[G_DST]), .var = "EXTERNAL_ADDRESS_GROUP" },
        { "destination_group6", RS_STRING, offsetof(Forti, group[G_DST6]) },
        { "placeholder", RS_STRING, offsetof(Forti, placeholder) },
        {}
};

static const char *const group_setting[_G_MAX] = { "host_group", "host_group6", "destination_group", "destination_group6" };

/* ---- batch state ------------------------------------------------------- */

typedef enum UnitStep { U_NONE, U_ADDR_GET, U_ADDR_POST, U_ADDR_DELETE } UnitStep;

typedef struct Unit {
        size_t item;
        int g;                          /* group index */
        FortiAddr a;
        bool block;
        bool member;                    /* in the group when we read it */
        bool failed;
        bool transient;
        char *error;
} Unit;

typedef struct Group {
        bool used, failed, transient;
        char **members;
        char *error;
} Group;

typedef struct FBatch FBatch;

/* one HTTP call of a batch, re-issued once after a token change */
typedef struct FTask {
        FBatch *b;
        int unit;                       /* -1: a group call */
        int g;
        UnitStep step;
        char *method, *path, *body;
        bool retried;
} FTask;

struct FBatch {
        Responder *r;
        ResponderBatch *rb;
        Unit *units;
        size_t n_units;
        Group groups[_G_MAX];
        int phase;
        size_t next;                    /* next unit to start in this phase */
        unsigned in_flight;
        uv_timer_t defer;
        char ***elements;               /* per item */
        size_t n_items;                 /* rb is gone when the batch is freed */
};

/* `secrespctl responder test` */
typedef struct FTest {
        ResponderDone cb;
        void *userdata;
        char *error;
        bool transient;
        unsigned pending;
        unsigned found;                 /* bit per group index */
        char *checked;
} FTest;

static void phase_next(FBatch *b);

static const char *gname(const Forti *f, int g)
{
        return f->group[g];
}

static char *api_path(const Forti *f, const char *table, const char *name)
{
        _cleanup_free_ char *n = name ? fortios_escape(name) : NULL, *v = fortios_escape(f->vdom);
        return xasprintf("/api/v2/cmdb/firewall/%s/%s?vdom=%s", table, n ? n : "", v);
}

static void set_auth(Forti *f)
{
        if (f->auth) {
                OPENSSL_cleanse(f->auth, strlen(f->auth));
                free(f->auth);
        }
        f->auth = xasprintf("Authorization: Bearer %s", f->token.value ? f->token.value : "");
}

/* After a 401: a file: or cred: token may have been replaced.  True when
 * the reference now gives another value (then it is used from now on). */
static bool token_reload(Responder *r)
{
        Forti *f = r->priv;
        Secret s = { 0 };
        _cleanup_free_ char *why = NULL;
        bool changed;

        if (secret_resolve(f->token.ref, &s, &why) < 0) {
                log_warning("%s: the token was refused and cannot be read again: %s", r->name,
                            why ? why : "error");
                return false;
        }
        changed = !f->token.value || strcmp(s.value, f->token.value) != 0;
        if (changed) {
                secret_done(&f->token);
                f->token = s;
                set_auth(f);
                log_notice("%s: the token was refused; using the new value of %s", r->name, f->token.ref);
        } else
                secret_done(&s);
        return changed;
}

static int task_start(FTask *t, RHttpCb cb);

static void task_free(FTask *t)
{
        free(t->method);
        free(t->path);
        free(t->body);
        free(t);
}

/* A 401 answered with the token we sent: reload it and try once more. */
static bool task_retry_auth(FTask *t, const HttpResponse *resp, Responder *r, RHttpCb cb)
{
        if (resp->status != 401 || t->retried || !token_reload(r))
                return false;
        t->retried = true;
        return task_start(t, cb) == 0;
}

static int task_start(FTask *t, RHttpCb cb)
{
        Responder *r = t->b ? t->b->r : NULL;
        Forti *f = r->priv;
        const char *headers[] = { f->auth, "Accept: application/json", NULL };

        return rhttp_start(&f->h,
                           &(RHttpRequest) { .method = t->method, .path = t->path, .headers = headers,
                                             .body = t->body },
                           cb, t);
}

/* "PUT firewall/addrgrp/Internal-Block: HTTP 500: ..." */
static char *task_error(const FTask *t, const HttpResponse *resp)
{
        const char *p = strstr(t->path, "/firewall/");
        _cleanup_free_ char *what = xasprintf("%s %.*s", t->method, (int) strcspn(p ? p + 1 : t->path, "?"),
                                              p ? p + 1 : t->path);
        if (resp->status == 401)
                return xasprintf("%s: HTTP 401: the API token was refused", what);
        return rhttp_error(resp, what);
}

static FTask *task_new(FBatch *b, int unit, int g, UnitStep step, const char *method, char *path, const char *body)
{
        FTask *t = xnew(FTask, 1);
        t->b = b;
        t->unit = unit;
        t->g = g;
        t->step = step;
        t->method = xstrdup(method);
        t->path = path;
        t->body = body ? xstrdup(body) : NULL;
        return t;
}

static void unit_fail(Unit *u, char *error, bool transient)
{
        if (u->failed) {
                free(error);
                return;
        }
        u->failed = true;
        u->transient = transient;
        u->error = error;
}

static void group_fail(FBatch *b, int g, char *error, bool transient)
{
        Group *gr = &b->groups[g];

        gr->failed = true;
        gr->transient = transient;
        free(gr->error);
        gr->error = error;
}

/* ---- finishing ---------------------------------------------------------- */

static void batch_free(uv_handle_t *h)
{
        FBatch *b = h->data;

        for (size_t i = 0; i < b->n_units; i++) {
                fortios_addr_done(&b->units[i].a);
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
        free(b);
}

static void batch_finish(FBatch *b)
{
        ResponderBatch *rb = b->rb;
        RBatchUnit *v = xnew(RBatchUnit, b->n_units ? b->n_units : 1);
        for (size_t k = 0; k < b->n_units; k++)
                v[k] = (RBatchUnit) { .item = b->units[k].item, .element = b->units[k].a.name,
                                      .failed = b->units[k].failed, .transient = b->units[k].transient,
                                      .error = b->units[k].error };
        rbatch_results_from_units(rb, v, b->n_units, b->elements);
        free(v);
        rb->done(rb);
        uv_close((uv_handle_t *) &b->defer, batch_free);
}

static void on_defer(uv_timer_t *t)
{
        phase_next(t->data);
}

/* ---- phase runner ------------------------------------------------------- */

/* Phases:
 *   0  GET the groups involved
 *   1  GET (then POST) the address objects to block
 *   2  PUT each changed group
 *   3  DELETE the address objects unblocked
 *   4  report */
static void phase_pump(FBatch *b);

static void task_done(FTask *t)
{
        FBatch *b = t->b;

        task_free(t);
        b->in_flight--;
        phase_pump(b);
}

static void on_group_get(const HttpResponse *resp, void *userdata)
{
        FTask *t = userdata;
        FBatch *b = t->b;
        Forti *f = b->r->priv;
        cJSON *doc;
        char **m = NULL;

        if (task_retry_auth(t, resp, b->r, on_group_get))
                return;
        if (resp->status == 404)
                group_fail(b, t->g, xasprintf("%s: address group '%s' does not exist in vdom '%s' (%s)", b->r->name,
                                              gname(f, t->g), f->vdom, group_setting[t->g]), false);
        else if (!rhttp_ok(resp))
                group_fail(b, t->g, task_error(t, resp),
                           rhttp_transient(resp) || resp->status == 401);
        else {
                doc = rhttp_json(resp);
                if (fortios_group_members(doc, &m) < 0)
                        group_fail(b, t->g, xasprintf("GET firewall/addrgrp/%s: unexpected answer", gname(f, t->g)),
                                   true);
                else {
                        strv_free(b->groups[t->g].members);
                        b->groups[t->g].members = m;
                }
                cJSON_Delete(doc);
        }
        task_done(t);
}

static void on_addr(const HttpResponse *resp, void *userdata)
{
        FTask *t = userdata;
        FBatch *b = t->b;
        Unit *u = &b->units[t->unit];
        const char *table = u->a.v6 ? "address6" : "address";
        cJSON *doc;

        if (task_retry_auth(t, resp, b->r, on_addr))
                return;
        doc = rhttp_json(resp);
        switch (t->step) {
        case U_ADDR_GET:
                if (resp->status == 404) {
                        /* create it, then come back to this callback as a POST */
                        FTask *p = task_new(b, t->unit, t->g, U_ADDR_POST, "POST",
                                            api_path(b->r->priv, table, NULL), u->a.body);
                        cJSON_Delete(doc);
                        doc = NULL;
                        if (task_start(p, on_addr) < 0) {
                                unit_fail(u, xasprintf("POST firewall/%s: cannot start", table), true);
                                task_free(p);
                                break;
                        }
                        task_free(t);
                        return;
                }
                if (!rhttp_ok(resp))
                        unit_fail(u, task_error(t, resp), rhttp_transient(resp) || resp->status == 401);
                else {
                        const char *type = fortios_addr_type(doc);
                        if (type && strcmp(type, fortios_addr_expected_type(&u->a)))
                                log_warning("%s: address '%s' exists with type %s (not %s); using it as it is",
                                            b->r->name, u->a.name, type, fortios_addr_expected_type(&u->a));
                }
                break;
        case U_ADDR_POST:
                if (!rhttp_ok(resp) && !fortios_is_duplicate(doc))
                        unit_fail(u, task_error(t, resp),
                                  rhttp_transient(resp) || resp->status == 401);
                break;
        case U_ADDR_DELETE:
                if (resp->status == 404)
                        break;
                if (!rhttp_ok(resp) && fortios_is_in_use(resp->status, doc)) {
                        /* still referenced elsewhere (a policy, another group): what
                         * we own, the membership, is gone; keep the object */
                        log_notice("%s: address '%s' is still used elsewhere on the FortiGate; left in place",
                                   b->r->name, u->a.name);
                        break;
                }
                if (!rhttp_ok(resp))
                        unit_fail(u, task_error(t, resp),
                                  rhttp_transient(resp) || resp->status == 401);
                break;
        default:
                break;
        }
        cJSON_Delete(doc);
        task_done(t);
}

static void on_group_put(const HttpResponse *resp, void *userdata)
{
        FTask *t = userdata;
        FBatch *b = t->b;

        if (task_retry_auth(t, resp, b->r, on_group_put))
                return;
        if (!rhttp_ok(resp))
                group_fail(b, t->g, task_error(t, resp),
                           rhttp_transient(resp) || resp->status == 401);
        task_done(t);
}

/* Starts the next call of the phase, as many as FORTI_PARALLEL allows. */
static void phase_pump(FBatch *b)
{
        Forti *f = b->r->priv;

        for (;;) {
                FTask *t = NULL;
                RHttpCb cb = NULL;
                Unit *u;

                if (b->in_flight >= FORTI_PARALLEL)
                        return;
                if (b->phase == 0 || b->phase == 2) {
                        int g = (int) b->next;
                        if (g >= _G_MAX)
                                break;
                        b->next++;
                        if (!b->groups[g].used || b->groups[g].failed)
                                continue;
                        if (b->phase == 0) {
                                t = task_new(b, -1, g, U_NONE, "GET", api_path(f, g == G_HOST6 || g == G_DST6 ?
                                                                              "addrgrp6" : "addrgrp", gname(f, g)), NULL);
                                cb = on_group_get;
                        } else {
                                char **add = NULL, **rm = NULL, **m;
                                _cleanup_free_ char *body = NULL;
                                bool changed;
                                for (size_t k = 0; k < b->n_units; k++) {
                                        u = &b->units[k];
                                        if (u->g != g || u->failed)
                                                continue;
                                        if (u->block)
                                                add = strv_push(add, u->a.name);
                                        else
                                                rm = strv_push(rm, u->a.name);
                                }
                                m = fortios_members_apply(b->groups[g].members, add, rm, f->placeholder, &changed);
                                strv_free(add);
                                strv_free(rm);
                                if (!changed) {
                                        strv_free(m);
                                        continue;
                                }
                                body = fortios_group_body(m);
                                strv_free(m);
                                t = task_new(b, -1, g, U_NONE, "PUT", api_path(f, g == G_HOST6 || g == G_DST6 ?
                                                                              "addrgrp6" : "addrgrp", gname(f, g)), body);
                                cb = on_group_put;
                        }
                } else if (b->phase == 1 || b->phase == 3) {
                        if (b->next >= b->n_units)
                                break;
                        u = &b->units[b->next];
                        b->next++;
                        if (u->failed || u->block != (b->phase == 1))
                                continue;
                        if (b->phase == 1) {
                                if (u->member)
                                        continue;       /* a member is an existing object */
                                t = task_new(b, (int) (u - b->units), u->g, U_ADDR_GET, "GET",
                                             api_path(f, u->a.v6 ? "address6" : "address", u->a.name), NULL);
                        } else {
                                /* also when it was no member: a retry after the PUT
                                 * worked and the DELETE did not */
                                t = task_new(b, (int) (u - b->units), u->g, U_ADDR_DELETE, "DELETE",
                                             api_path(f, u->a.v6 ? "address6" : "address", u->a.name), NULL);
                        }
                        cb = on_addr;
                } else
                        break;
                b->in_flight++;
                if (task_start(t, cb) < 0) {
                        b->in_flight--;
                        if (t->unit >= 0)
                                unit_fail(&b->units[t->unit], xstrdup("cannot start the HTTP call"), true);
                        else
                                group_fail(b, t->g, xstrdup("cannot start the HTTP call"), true);
                        task_free(t);
                }
        }
        if (b->in_flight == 0) {
                /* the phase is over: carry the group outcome to its units */
                for (size_t k = 0; k < b->n_units; k++) {
                        Unit *x = &b->units[k];
                        Group *g = &b->groups[x->g];
                        if (!g->failed || x->failed)
                                continue;
                        /* after the PUT failed, what was there already is fine */
                        if (b->phase == 2 && x->block == x->member)
                                continue;
                        unit_fail(x, xstrdup(g->error), g->transient);
                }
                if (b->phase == 0)
                        for (size_t k = 0; k < b->n_units; k++) {
                                Unit *x = &b->units[k];
                                x->member = strv_contains(b->groups[x->g].members, x->a.name);
                        }
                b->phase++;
                b->next = 0;
                uv_timer_start(&b->defer, on_defer, 0, 0);
        }
}

static void phase_next(FBatch *b)
{
        if (b->phase >= 4) {
                batch_finish(b);
                return;
        }
        phase_pump(b);
}

/* ---- the ops ------------------------------------------------------------ */

static int group_for(const Forti *f, const Entity *e, bool v6)
{
        if (e->kind == ENTITY_HOST)
                return v6 ? G_HOST6 : G_HOST;
        if (e->kind == ENTITY_DESTINATION)
                return v6 ? G_DST6 : G_DST;
        (void) f;
        return -1;
}

static int forti_apply_batch(Responder *r, ResponderBatch *rb)
{
        Forti *f = r->priv;
        FBatch *b = xnew(FBatch, 1);

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

                for (size_t k = 0; k < n; k++) {
                        Unit *u;
                        int g;
                        b->units = xreallocarray(b->units, b->n_units + 1, sizeof(Unit));
                        u = &b->units[b->n_units++];
                        *u = (Unit) { .item = i, .block = it->block };
                        if (fortios_addr(vals[k], &u->a) < 0) {
                                u->a.name = xstrdup(vals[k] ? vals[k] : "");
                                unit_fail(u, xasprintf("'%s' is not an IP address or network", u->a.name), false);
                                continue;
                        }
                        g = group_for(f, it->entity, u->a.v6);
                        if (g < 0 || !f->group[g]) {
                                unit_fail(u, xasprintf("%s: no %s configured for %s %s", r->name,
                                                       g >= 0 ? group_setting[g] : "group",
                                                       entity_kind_to_string(it->entity->kind), u->a.name),
                                          false);
                                continue;
                        }
                        u->g = g;
                        b->groups[u->g].used = true;
                }
        }

        if (r->simulation) {
                for (size_t k = 0; k < b->n_units; k++) {
                        const Unit *u = &b->units[k];
                        if (!u->failed)
                                log_info("%s: simulation: would %s address '%s' %s group '%s' (vdom %s)", r->name,
                                         u->block ? "add" : "remove", u->a.name, u->block ? "to" : "from",
                                         f->group[u->g], f->vdom);
                }
                b->phase = 4;
        }
        uv_timer_start(&b->defer, on_defer, 0, 0);
        return 0;
}

/* ---- test --------------------------------------------------------------- */

typedef struct TestCall {
        Responder *r;
        FTest *t;
        int g;
        bool retried;
} TestCall;

static void test_finish(FTest *t)
{
        ResponderResult res = { .r = t->error ? -EIO : 0, .transient = t->transient,
                                .error = t->error ? t->error : t->checked };
        t->cb(t->userdata, &res);
        free(t->error);
        free(t->checked);
        free(t);
}

static int test_start(TestCall *c);

static void on_test(const HttpResponse *resp, void *userdata)
{
        TestCall *c = userdata;
        FTest *t = c->t;
        Forti *f = c->r->priv;

        if (resp->status == 401 && !c->retried && token_reload(c->r)) {
                c->retried = true;
                if (test_start(c) == 0)
                        return;
        }
        if (!rhttp_ok(resp) && !t->error) {
                t->error = resp->status == 404
                        ? xasprintf("address group '%s' does not exist in vdom '%s'", gname(f, c->g), f->vdom)
                        : rhttp_error(resp, "GET firewall/addrgrp");
                t->transient = rhttp_transient(resp);
        } else if (rhttp_ok(resp))
                t->found |= 1u << c->g;
        free(c);
        if (--t->pending == 0) {
                if (!t->error) {
                        /* in the order of the settings, whatever order the answers came in */
                        char *s = xasprintf("token accepted; vdom '%s' has group(s)", f->vdom);
                        for (int g = 0; g < _G_MAX; g++)
                                if (t->found & (1u << g)) {
                                        char *n = xasprintf("%s%s '%s'", s, s[strlen(s) - 1] == ')' ? "" : ",",
                                                            gname(f, g));
                                        free(s);
                                        s = n;
                                }
                        t->checked = s;
                }
                test_finish(t);
        }
}

static int test_start(TestCall *c)
{
        Forti *f = c->r->priv;
        const char *headers[] = { f->auth, "Accept: application/json", NULL };
        _cleanup_free_ char *path = api_path(f, c->g == G_HOST6 || c->g == G_DST6 ? "addrgrp6" : "addrgrp",
                                             gname(f, c->g));

        return rhttp_start(&f->h, &(RHttpRequest) { .path = path, .headers = headers }, on_test, c);
}

static int forti_test(Responder *r, ResponderDone cb, void *userdata)
{
        Forti *f = r->priv;
        FTest *t = xnew(FTest, 1);

        t->cb = cb;
        t->userdata = userdata;
        t->pending = 1;         /* held until every call started */
        for (int g = 0; g < _G_MAX; g++) {
                TestCall *c;
                if (!f->group[g])
                        continue;
                c = xnew(TestCall, 1);
                *c = (TestCall) { .r = r, .t = t, .g = g };
                t->pending++;
                if (test_start(c) < 0) {
                        t->pending--;
                        free(c);
                        if (!t->error)
                                t->error = xstrdup("cannot start the HTTP call");
                }
        }
        if (--t->pending == 0) {
                /* nothing started: report from here is not allowed, so fail the call */
                int k = t->error ? -EIO : -EINVAL;
                free(t->error);
                free(t->checked);
                free(t);
                return k;
        }
        return 0;
}

/* ---- life cycle --------------------------------------------------------- */

static void forti_clear(Forti *f)
{
        rsettings_free(forti_opts, f);
        if (f->auth) {
                OPENSSL_cleanse(f->auth, strlen(f->auth));
                free(f->auth);
                f->auth = NULL;
        }
}

static int forti_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Forti *f = r->priv;
        size_t before = *n_errs;
        unsigned caps = 0;

        forti_clear(f);
        if (rsettings_read(group, "fortinet", forti_opts, f, errs, n_errs) < 0 || *n_errs > before) {
                forti_clear(f);
                r->caps = 0;
                return -EINVAL;
        }
        for (int g = 0; g < _G_MAX; g++)
                if (f->group[g] && !f->group[g][0]) {
                        free(f->group[g]);
                        f->group[g] = NULL;
                }
        if (f->group[G_HOST] || f->group[G_HOST6])
                caps |= RESPONDER_CAP_HOST;
        if (f->group[G_DST] || f->group[G_DST6])
                caps |= RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST;
        if (!caps)
                rsettings_err(errs, n_errs, group, "a fortinet responder needs host_group (VAR's "
                              "INTERNAL_ADDRESS_GROUP) or destination_group (EXTERNAL_ADDRESS_GROUP), or both");
        if (!f->vdom[0])
                rsettings_err(errs, n_errs, config_setting_get_member(group, "vdom"), "must not be empty");
        if (r->max_concurrent > 1)
                rsettings_err(errs, n_errs, config_setting_get_member(group, "max_concurrent"),
                              "a fortinet responder rewrites its address groups (read, change, write): "
                              "one batch at a time, max_concurrent = 1");
        if (*n_errs > before) {
                forti_clear(f);
                r->caps = 0;
                return -EINVAL;
        }
        set_auth(f);
        rhttp_init(&f->h, r, &f->http);
        r->caps = caps & r->ops->caps;
        return 0;
}

static void forti_done(Responder *r)
{
        Forti *f = r->priv;

        if (f)
                forti_clear(f);
}

static void forti_cancel_all(Responder *r)
{
        Forti *f = r->priv;

        rhttp_cancel_all(&f->h);
}

const ResponderOps fortinet_ops = {
        .module = "fortinet",
        .client_name = "Fortinet Client",
        .caps = RESPONDER_CAP_HOST | RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST,
        .priv_size = sizeof(Forti),
        .configure = forti_configure,
        .done = forti_done,
        .cancel_all = forti_cancel_all,
        .apply_batch = forti_apply_batch,
        .test = forti_test,
        .needs_http = true,
        .default_max_batch = 500,
        .default_max_concurrent = 1,
};
