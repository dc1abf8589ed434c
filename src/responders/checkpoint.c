/* SPDX-License-Identifier: MIT */
/* checkpoint ("CheckPoint Client", responders.md §4.4): the Check Point
 * management web API.  Every call is POST {url}/web_api/<command> with a
 * JSON body and, after login, the session id in X-chkp-sid.  A blocked host
 * is a host object named after its address, member of a group that the
 * policy uses; changes count once published, and gateways enforce them
 * once the policy is installed.
 *
 *   {
 *     name = "cp"; type = "checkpoint";
 *     url = "https://mgmt.example.com";         # HOST and PORT
 *     username = "secresp"; password = "env:CP_PASSWORD";
 *     block_group = "Vectra-Internal-Block";    # INTERNAL_ADDRESS_GROUP
 *     policy_package = "Standard";              # install after publishing
 *     install_targets = [ "gw-1" ];
 *   }
 *
 * One session per batch: login, the group (made when missing, as the
 * original did), every item, one publish, one install-policy, logout (also
 * after a failure, with discard first).  publish and install-policy are
 * tasks: show-task is polled every task_poll until task_timeout.  A session
 * that expires mid-batch is replaced once and the batch re-run (every step
 * is idempotent).  The original never installed the policy, returned the
 * IP as a string (tags of one character each) and booleans on unblock, and
 * crashed on its first log line; here the element is the IP. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <uv.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "responders/checkpoint_json.h"
#include "responders/rbatchres.h"
#include "responders/rhttp.h"

typedef struct CBatch CBatch;

typedef struct Cp {
        RHttpConf http;
        char *username;
        Secret password;
        char *domain;
        char *block_group;
        bool create_group;
        char *policy_package;
        char **install_targets;
        uint64_t task_poll_ms;
        uint64_t task_timeout_ms;

        Responder *r;
        bool started;
        RHttp h;
        RAuth auth;
        bool install_pending;
        CBatch *batches;                /* in flight, for cancel_all */
} Cp;

#define OFF(f) offsetof(Cp, f)
static const RsOpt cp_opts[] = {
        RHTTP_OPTS(Cp, http, "HOST"),
        { "username", RS_STRING, OFF(username), .required = true, .var = "USER" },
        { "password", RS_SECRET, OFF(password), .required = true },
        { "domain", RS_STRING, OFF(domain) },
        { "block_group", RS_STRING, OFF(block_group), .required = true, .var = "INTERNAL_ADDRESS_GROUP" },
        { "create_group", RS_BOOL, OFF(create_group), .def = "true" },
        { "policy_package", RS_STRING, OFF(policy_package) },
        { "install_targets", RS_STRINGS, OFF(install_targets) },
        { "task_poll", RS_DURATION, OFF(task_poll_ms), 1, 60, .def = "2s" },
        { "task_timeout", RS_DURATION, OFF(task_timeout_ms), 10, 3600, .def = "5m" },
        {}
};

/* ---- session ------------------------------------------------------------- */

static void on_login(const HttpResponse *resp, void *userdata)
{
        Cp *c = userdata;
        cJSON *j = rhttp_json(resp);
        const cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
        const cJSON *tmo = cJSON_GetObjectItemCaseSensitive(j, "session-timeout");
        _cleanup_free_ char *e = NULL, *t = NULL;

        if (rhttp_ok(resp) && cJSON_IsString(sid) && sid->valuestring[0]) {
                double ttl = cJSON_IsNumber(tmo) && tmo->valuedouble >= 10 ? tmo->valuedouble : 600;
                rauth_set(&c->auth, sid->valuestring, (uint64_t) ttl * 1000);
                cJSON_Delete(j);
                return;
        }
        if (resp->status >= 400 && resp->status < 500 && j) {
                (void) cp_error(j, &t);
                e = xasprintf("Check Point login: HTTP %ld: %s", resp->status, t);
        } else
                e = rhttp_ok(resp) ? xstrdup("Check Point login: no sid in the answer") :
                                     rhttp_error(resp, "Check Point login");
        cJSON_Delete(j);
        rauth_fail(&c->auth, e, rhttp_ok(resp) || rhttp_transient(resp));
}

static int cp_fetch(RAuth *a, void *owner)
{
        Cp *c = owner;
        _cleanup_free_ char *body = cp_login_body(c->username, c->password.value ? c->password.value : "", c->domain);
        int k;

        (void) a;
        k = rhttp_start(&c->h, &(RHttpRequest) { .method = "POST", .path = "/web_api/login", .body = body },
                        on_login, c);
        OPENSSL_cleanse(body, strlen(body));
        return k;
}

static void cp_start(Responder *r)
{
        Cp *c = r->priv;

        if (c->started)
                return;
        c->started = true;
        c->r = r;
        rhttp_init(&c->h, r, &c->http);
        rauth_init(&c->auth, r->loop, cp_fetch, c);
        /* whether the last publish before a stop was installed is unknown */
        c->install_pending = c->policy_package != NULL;
}

/* ---- one batch (or a test) -------------------------------------------------- */

typedef void (*CStep)(CBatch *x, const HttpResponse *resp, cJSON *j);

struct CBatch {
        Cp *c;
        CBatch *next, *prev;
        ResponderBatch *b;              /* NULL for a test */
        RBatchRes *rr;
        ResponderDone test_cb;
        void *test_userdata;
        uv_timer_t timer;               /* show-task polling */
        bool waiting;                   /* the timer is armed */
        bool cancelled;

        char *command;
        char *body;
        CStep step;
        char *sid;
        bool relogged;                  /* the batch was restarted after a lost session */
        bool in_session;                /* logged in: log out at the end */

        size_t cur, cur_el;
        bool changed, published;
        char *task;
        const char *task_what;
        CStep after_task;
        uint64_t task_deadline;
        char *fail_text;                /* for every open item, after logout */
        int fail_r;
        bool fail_transient;
};

static void cb_closed(uv_handle_t *h)
{
        CBatch *x = h->data;

        free(x->command);
        free(x->body);
        if (x->sid) {
                OPENSSL_cleanse(x->sid, strlen(x->sid));
                free(x->sid);
        }
        free(x->task);
        free(x->fail_text);
        free(x);
}

static void cb_free(void *data)
{
        CBatch *x = data;

        uv_close((uv_handle_t *) &x->timer, cb_closed);
}

static void cb_unlink(CBatch *x)
{
        Cp *c = x->c;

        if (x->prev)
                x->prev->next = x->next;
        else if (c->batches == x)
                c->batches = x->next;
        if (x->next)
                x->next->prev = x->prev;
        x->next = x->prev = NULL;
}

/* The end: results for the open items (or the test), then freed. */
static void cb_end(CBatch *x)
{
        cb_unlink(x);
        if (!x->b) {
                ResponderResult res = { .r = x->fail_text ? x->fail_r : 0, .transient = x->fail_transient,
                                        .error = x->fail_text };
                if (!x->fail_text)
                        res.error = "Check Point login, group and logout checked";
                x->test_cb(x->test_userdata, &res);
                cb_free(x);
                return;
        }
        if (x->fail_text)
                rbatchres_fail_rest(x->rr, x->fail_r, x->fail_transient, "%s", x->fail_text);
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (it->block)
                        rbatchres_ok1(x->rr, i, it->entity->value);
                else
                        rbatchres_ok(x->rr, i, it->elements, it->n_elements);
        }
        rbatchres_finish(x->rr, cb_free, x);
}

static void cb_call(CBatch *x, const char *command, char *body, CStep step);
static void cb_logout(CBatch *x);

/* Records the batch's failure; the session (if any) is closed first. */
static void cb_fail(CBatch *x, int r, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void cb_fail(CBatch *x, int r, bool transient, const char *fmt, ...)
{
        va_list ap;

        if (!x->fail_text) {
                va_start(ap, fmt);
                x->fail_text = xvasprintf(fmt, ap);
                va_end(ap);
                x->fail_r = r;
                x->fail_transient = transient;
        }
        if (x->in_session && !x->cancelled) {
                /* unpublished changes go, then the session */
                x->in_session = false;
                cb_call(x, "discard", xstrdup("{}"), NULL);
                return;
        }
        cb_end(x);
}

static void cb_restart(CBatch *x);

static void on_cb_resp(const HttpResponse *resp, void *userdata)
{
        CBatch *x = userdata;
        cJSON *j = rhttp_json(resp);
        _cleanup_free_ char *text = NULL, *e = NULL;
        CpErr k;

        if (!x->step) {
                /* discard or logout: their answer changes nothing */
                cJSON_Delete(j);
                if (!strcmp(x->command, "discard")) {
                        x->in_session = true;
                        cb_logout(x);
                        return;
                }
                cb_end(x);
                return;
        }
        if (rhttp_ok(resp)) {
                x->step(x, resp, j);
                cJSON_Delete(j);
                return;
        }
        k = j ? cp_error(j, &text) : CP_ERR_OTHER;
        if ((k == CP_ERR_SESSION || resp->status == 401) && strcmp(x->command, "login")) {
                cJSON_Delete(j);
                rauth_invalidate(&x->c->auth, x->sid);
                x->in_session = false;
                if (!x->relogged && x->b) {
                        log_info("%s: Check Point session lost (%s), logging in again", x->c->r->name,
                                 text ? text : "HTTP 401");
                        x->relogged = true;
                        cb_restart(x);
                        return;
                }
                cb_fail(x, -EACCES, true, "Check Point %s: session lost: %s", x->command, text ? text : "HTTP 401");
                return;
        }
        if (resp->status >= 400 && resp->status < 500 && j) {
                /* the step decides: "already exists", "not found" are fine for some */
                x->step(x, resp, j);
                cJSON_Delete(j);
                return;
        }
        cJSON_Delete(j);
        e = xasprintf("Check Point %s", x->command);
        free(text);
        text = rhttp_error(resp, e);
        cb_fail(x, resp->r < 0 ? resp->r : -EIO, rhttp_transient(resp), "%s", text);
}

static void on_cb_sid(void *userdata, const char *cred, const char *err, bool transient)
{
        CBatch *x = userdata;
        _cleanup_free_ char *hdr = NULL, *path = NULL;
        const char *hdrs[2] = { NULL, NULL };
        int k;

        if (!cred) {
                cb_fail(x, transient ? -EAGAIN : -EACCES, transient, "%s", err ? err : "Check Point: no session");
                return;
        }
        if (!x->sid || strcmp(x->sid, cred)) {
                free(x->sid);
                x->sid = xstrdup(cred);
        }
        x->in_session = true;
        hdr = xasprintf("X-chkp-sid: %s", cred);
        hdrs[0] = hdr;
        path = xasprintf("/web_api/%s", x->command);
        k = rhttp_start(&x->c->h, &(RHttpRequest) {
                                .method = "POST",
                                .path = path,
                                .headers = hdrs,
                                .body = x->body,
                                /* a task started twice would publish or install twice */
                                .no_retry = !strcmp(x->command, "publish") || !strcmp(x->command, "install-policy"),
                        }, on_cb_resp, x);
        OPENSSL_cleanse(hdr, strlen(hdr));
        if (k < 0)
                cb_fail(x, k, true, "Check Point %s: %s", x->command, strerror(-k));
}

static void cb_call(CBatch *x, const char *command, char *body, CStep step)
{
        free(x->command);
        free(x->body);
        x->command = xstrdup(command);
        x->body = body;
        x->step = step;
        if (x->cancelled) {
                cb_fail(x, -ECANCELED, true, "Check Point: cancelled");
                return;
        }
        if (!step && !x->sid) {
                cb_end(x);
                return;
        }
        if (!step) {
                /* discard, logout: with the session we have, never a new one */
                on_cb_sid(x, x->sid, NULL, false);
                return;
        }
        rauth_get(&x->c->auth, on_cb_sid, x);
}

static void cb_logout(CBatch *x)
{
        if (!x->in_session || x->cancelled) {
                cb_end(x);
                return;
        }
        x->in_session = false;
        cb_call(x, "logout", xstrdup("{}"), NULL);
        rauth_invalidate(&x->c->auth, x->sid);
}

/* ---- steps --------------------------------------------------------------- */

static void next_item(CBatch *x);
static void start_publish(CBatch *x);

static void step_add_group(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;

        if (!rhttp_ok(resp) && cp_error(j, &t) != CP_ERR_EXISTS) {
                cb_fail(x, -EIO, false, "Check Point add-group '%s': %s", x->c->block_group, t);
                return;
        }
        /* a misspelt name ends here too: say so loudly, blocks in a group no rule uses do nothing */
        log_warning("%s: Check Point group '%s' did not exist and was created; a rule must use it for the blocks "
                    "to take effect", x->c->r->name, x->c->block_group);
        x->changed = true;
        x->cur = x->cur_el = 0;
        next_item(x);
}

static void step_show_group(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;
        CpErr k = rhttp_ok(resp) ? CP_ERR_NONE : cp_error(j, &t);

        if (k == CP_ERR_NOT_FOUND && x->c->create_group && x->b) {
                cb_call(x, "add-group", cp_name_body(x->c->block_group), step_add_group);
                return;
        }
        if (k != CP_ERR_NONE) {
                cb_fail(x, k == CP_ERR_NOT_FOUND ? -ENOENT : -EIO, false, "Check Point show-group '%s': %s",
                        x->c->block_group, t);
                return;
        }
        if (!x->b) {
                cb_logout(x);
                return;
        }
        x->cur = x->cur_el = 0;
        next_item(x);
}

static void cb_restart(CBatch *x)
{
        x->changed = false;
        cb_call(x, "show-group", cp_name_body(x->c->block_group), step_show_group);
}

static const char *cur_ip(const CBatch *x)
{
        const ResponderItem *it = &x->b->items[x->cur];

        return it->block ? it->entity->value : it->elements[x->cur_el];
}

static void item_failed(CBatch *x, const char *what, const char *text)
{
        rbatchres_fail(x->rr, x->cur, -EINVAL, false, "Check Point %s %s: %s", what, cur_ip(x), text);
        x->cur++;
        x->cur_el = 0;
        next_item(x);
}

static void step_set_group_add(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;

        if (!rhttp_ok(resp) && cp_error(j, &t) != CP_ERR_EXISTS) {
                item_failed(x, "set-group add", t);
                return;
        }
        x->changed = true;
        x->cur++;
        next_item(x);
}

static void step_add_host(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;
        CpErr k = rhttp_ok(resp) ? CP_ERR_NONE : cp_error(j, &t);

        if (k == CP_ERR_EXISTS) {
                /* the object exists: make sure it is a member */
                cb_call(x, "set-group", cp_group_member_body(x->c->block_group, cur_ip(x), true), step_set_group_add);
                return;
        }
        if (k != CP_ERR_NONE) {
                item_failed(x, "add-host", t);
                return;
        }
        x->changed = true;
        x->cur++;
        next_item(x);
}

static void element_done(CBatch *x)
{
        if (++x->cur_el >= x->b->items[x->cur].n_elements) {
                x->cur++;
                x->cur_el = 0;
        }
        next_item(x);
}

static void step_delete_host(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;
        CpErr k = rhttp_ok(resp) ? CP_ERR_NONE : cp_error(j, &t);

        if (k == CP_ERR_NONE)
                x->changed = true;
        else if (k != CP_ERR_NOT_FOUND)
                /* still used elsewhere (a rule, another group): out of our group is what counts */
                log_warning("%s: Check Point delete-host '%s': %s, keeping the object", x->c->r->name, cur_ip(x), t);
        element_done(x);
}

static void step_set_group_remove(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;
        CpErr k = rhttp_ok(resp) ? CP_ERR_NONE : cp_error(j, &t);

        if (k != CP_ERR_NONE && k != CP_ERR_NOT_FOUND) {
                item_failed(x, "set-group remove", t);
                return;
        }
        if (k == CP_ERR_NONE)
                x->changed = true;
        cb_call(x, "delete-host", cp_name_body(cur_ip(x)), step_delete_host);
}

static void next_item(CBatch *x)
{
        while (x->cur < x->b->n) {
                const ResponderItem *it = &x->b->items[x->cur];
                if (rbatchres_resolved(x->rr, x->cur) || (!it->block && x->cur_el >= it->n_elements)) {
                        x->cur++;
                        x->cur_el = 0;
                        continue;
                }
                if (it->block)
                        cb_call(x, "add-host", cp_add_host_body(cur_ip(x), x->c->block_group), step_add_host);
                else
                        cb_call(x, "set-group", cp_group_member_body(x->c->block_group, cur_ip(x), false),
                                step_set_group_remove);
                return;
        }
        start_publish(x);
}

/* -- tasks -- */

static void poll_task(CBatch *x);

static void on_poll_timer(uv_timer_t *t)
{
        CBatch *x = t->data;

        x->waiting = false;
        poll_task(x);
}

static void step_show_task(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        const char *st = NULL;
        _cleanup_free_ char *t = NULL;
        CpTask k;

        if (!rhttp_ok(resp)) {
                (void) cp_error(j, &t);
                cb_fail(x, -EIO, true, "Check Point show-task (%s): %s", x->task_what, t);
                return;
        }
        k = cp_task_state(j, &st);
        if (k == CP_TASK_SUCCEEDED) {
                log_debug("%s: %s task %s %s", x->c->r->name, x->task_what, x->task, st);
                x->after_task(x, resp, j);
                return;
        }
        if (k == CP_TASK_FAILED || k == CP_TASK_UNKNOWN) {
                cb_fail(x, -EIO, true, "Check Point %s task %s: %s", x->task_what, x->task, st ? st : "no status");
                return;
        }
        if (uv_now(x->timer.loop) >= x->task_deadline) {
                cb_fail(x, -ETIMEDOUT, true, "Check Point %s task %s still '%s' after %llus (task_timeout)",
                        x->task_what, x->task, st, (unsigned long long) (x->c->task_timeout_ms / 1000));
                return;
        }
        x->waiting = true;
        (void) uv_timer_start(&x->timer, on_poll_timer, x->c->task_poll_ms, 0);
}

static void poll_task(CBatch *x)
{
        cb_call(x, "show-task", cp_task_body(x->task), step_show_task);
}

/* Reads the task-id of a publish or install-policy answer and polls it. */
static void start_task(CBatch *x, cJSON *j, const char *what, CStep after)
{
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "task-id");

        if (!cJSON_IsString(id)) {
                cb_fail(x, -EPROTO, true, "Check Point %s: no task-id in the answer", what);
                return;
        }
        free(x->task);
        x->task = xstrdup(id->valuestring);
        x->task_what = what;
        x->after_task = after;
        x->task_deadline = uv_now(x->timer.loop) + x->c->task_timeout_ms;
        poll_task(x);
}

static void installed(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        (void) resp;
        (void) j;
        log_info("%s: policy '%s' installed", x->c->r->name, x->c->policy_package);
        x->c->install_pending = false;
        cb_logout(x);
}

static void step_install(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;

        if (!rhttp_ok(resp)) {
                (void) cp_error(j, &t);
                cb_fail(x, -EIO, true, "Check Point install-policy '%s': %s", x->c->policy_package, t);
                return;
        }
        start_task(x, j, "install-policy", installed);
}

static void start_install(CBatch *x)
{
        Cp *c = x->c;

        if (!c->policy_package || !(x->published || c->install_pending)) {
                cb_logout(x);
                return;
        }
        cb_call(x, "install-policy", cp_install_body(c->policy_package, (const char *const *) c->install_targets),
                step_install);
}

static void published(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        (void) resp;
        (void) j;
        log_info("%s: changes published", x->c->r->name);
        x->published = true;
        if (x->c->policy_package)
                x->c->install_pending = true;
        start_install(x);
}

static void step_publish(CBatch *x, const HttpResponse *resp, cJSON *j)
{
        _cleanup_free_ char *t = NULL;

        if (!rhttp_ok(resp)) {
                (void) cp_error(j, &t);
                cb_fail(x, -EIO, true, "Check Point publish: %s", t);
                return;
        }
        start_task(x, j, "publish", published);
}

static void start_publish(CBatch *x)
{
        if (!x->changed) {
                start_install(x);
                return;
        }
        cb_call(x, "publish", xstrdup("{}"), step_publish);
}

static CBatch *cb_new(Responder *r)
{
        Cp *c;
        CBatch *x = xnew(CBatch, 1);

        cp_start(r);
        c = r->priv;
        x->c = c;
        (void) uv_timer_init(r->loop, &x->timer);
        x->timer.data = x;
        x->next = c->batches;
        if (c->batches)
                c->batches->prev = x;
        c->batches = x;
        return x;
}

static int cp_apply_batch(Responder *r, ResponderBatch *b)
{
        CBatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = cb_new(r);
        x->b = b;
        x->rr = rbatchres_new(r->loop, b);
        for (size_t i = 0; i < b->n; i++) {
                const ResponderItem *it = &b->items[i];
                if (it->entity->kind != ENTITY_HOST || !it->entity->value)
                        rbatchres_fail(x->rr, i, -EOPNOTSUPP, false, "the Check Point responder blocks hosts only");
                else if (!it->block && it->n_elements == 0)
                        rbatchres_ok(x->rr, i, NULL, 0);
        }
        if (r->simulation) {
                for (size_t i = 0; i < b->n; i++) {
                        const ResponderItem *it = &b->items[i];
                        if (!rbatchres_resolved(x->rr, i))
                                log_info("%s: simulation: would %s host %s %s group '%s', publish%s", r->name,
                                         it->block ? "add" : "remove", it->entity->value,
                                         it->block ? "to" : "from", x->c->block_group,
                                         x->c->policy_package ? " and install the policy" : "");
                }
                cb_end(x);
                return 0;
        }
        cb_restart(x);
        return 0;
}

static int cp_test(Responder *r, ResponderDone cb, void *userdata)
{
        CBatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = cb_new(r);
        x->test_cb = cb;
        x->test_userdata = userdata;
        cb_restart(x);
        return 0;
}

static void cp_cancel_all(Responder *r)
{
        Cp *c = r->priv;

        if (!c || !c->started)
                return;
        for (CBatch *x = c->batches; x; x = x->next)
                x->cancelled = true;
        rhttp_cancel_all(&c->h);
        /* those waiting between two show-task polls end now */
        for (CBatch *x = c->batches, *n; x; x = n) {
                n = x->next;
                if (x->waiting) {
                        x->waiting = false;
                        uv_timer_stop(&x->timer);
                        cb_fail(x, -ECANCELED, true, "Check Point: cancelled while waiting for a task");
                }
        }
}

static int cp_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Cp *c = r->priv;
        int k = rsettings_read(group, "checkpoint", cp_opts, c, errs, n_errs);

        if (k < 0)
                return k;
        if (c->policy_package && (!c->install_targets || !c->install_targets[0])) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "policy_package"),
                              "install-policy needs install_targets = [ \"gateway\", ... ]");
                return -EINVAL;
        }
        if (!c->policy_package && c->install_targets) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "install_targets"),
                              "install_targets without policy_package: nothing would be installed");
                return -EINVAL;
        }
        if (r->max_concurrent > 1) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "max_concurrent"),
                              "a checkpoint responder publishes one session at a time: max_concurrent must be 1");
                return -EINVAL;
        }
        return 0;
}

static void cp_done(Responder *r)
{
        Cp *c = r->priv;

        if (!c)
                return;
        if (c->started)
                rauth_done(&c->auth);
        rsettings_free(cp_opts, c);
}

const ResponderOps checkpoint_ops = {
        .module = "checkpoint",
        .client_name = "CheckPoint Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Cp),
        .configure = cp_configure,
        .done = cp_done,
        .apply_batch = cp_apply_batch,
        .cancel_all = cp_cancel_all,
        .test = cp_test,
        .needs_http = true,
        .default_max_batch = 500,
        .default_max_concurrent = 1,
};
