/* SPDX-License-Identifier: MIT */
/* cisco_asa_http ("ASA HTTP Client", responders.md §4.6): a Cisco ASA
 * through its HTTP interface, which runs CLI commands given in the URL
 * path (/admin/exec/..., /admin/config/...) with HTTP Basic credentials.
 * A blocked host is a "network-object host IP" of an existing network
 * object-group used in the ASA's access lists.
 *
 *   {
 *     name = "asa"; type = "cisco_asa_http";
 *     url = "https://asa.example.com";
 *     username = "secresp"; password = "env:ASA_PASSWORD";
 *     block_group = "Vectra-Block";             # BLOCK_GROUP
 *     user_agent = "secresp";                   # http server basic-auth-client secresp
 *     write_memory = true;                      # save the running config once per batch
 *   }
 *
 * Differences with the original: only the command part of the URL is
 * percent-encoded (the original quoted "https:" too); the object-group must
 * already exist (the CLI's "object-group network NAME" would silently
 * create an unused one for a misspelt name), checked once per batch;
 * "already a member" and "not a member" answers are successes; unblock
 * removes the stored address, not the host's current one; the commands go
 * up to 64 to a request (separated by '/', as the original's two); the group
 * is read before the commands (what is already in place needs none) and after them
 * (the CLI answers in free text: the configuration says what took effect);
 * and, when asked, "write memory" runs once per batch so a reload keeps
 * the blocks. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_asa_cmd.h"
#include "responders/rbatchres.h"
#include "responders/rhttp.h"

typedef struct Asa {
        RHttpConf http;
        char *username;
        Secret password;
        char *block_group;
        char *user_agent;
        bool write_memory;

        bool started;
        RHttp h;
        bool save_pending;              /* a write memory failed, or the last run's is unknown */
} Asa;

#define OFF(f) offsetof(Asa, f)
static const RsOpt asa_opts[] = {
        RHTTP_OPTS(Asa, http, "URL"),
        { "username", RS_STRING, OFF(username), .required = true, .var = "Username" },
        { "password", RS_SECRET, OFF(password), .required = true, .var = "Password" },
        { "block_group", RS_STRING, OFF(block_group), .required = true, .var = "BLOCK_GROUP" },
        { "user_agent", RS_STRING, OFF(user_agent), .def = "secresp", .var = "USER_AGENT" },
        { "write_memory", RS_BOOL, OFF(write_memory), .def = "false" },
        {}
};

static char *basic_auth_header(const char *user, const char *pass)
{
        _cleanup_free_ char *raw = xasprintf("%s:%s", user, pass);
        size_t n = strlen(raw);
        char *hdr = xmalloc(4 * ((n + 2) / 3) + 32);
        int k;

        k = sprintf(hdr, "Authorization: Basic ");
        EVP_EncodeBlock((unsigned char *) hdr + k, (const unsigned char *) raw, (int) n);
        OPENSSL_cleanse(raw, n);
        return hdr;
}

static void asa_start(Responder *r)
{
        Asa *a = r->priv;

        if (a->started)
                return;
        a->started = true;
        rhttp_init(&a->h, r, &a->http);
        /* a change made before a stop may not have been saved */
        a->save_pending = a->write_memory;
}

/* ---- one batch (or a test) ----------------------------------------------- */

typedef struct ABatch ABatch;
typedef void (*AStep)(ABatch *x, const HttpResponse *resp);

struct ABatch {
        Asa *a;
        Responder *r;
        ResponderBatch *b;              /* NULL for a test */
        RBatchRes *rr;
        ResponderDone test_cb;
        void *test_userdata;
        AStep step;
        size_t cur, cur_el;             /* item, and element of an unblock */
        bool *changed;                  /* per item: the running config changed */
        bool any_changed;
        bool sent;                      /* a configuration command was sent */
        size_t *chunk;                  /* items of the request in flight */
        size_t n_chunk;
        char *refusal;                  /* a line the CLI refused, for messages */
        char **before;                  /* the group's hosts when the batch began */
        char *version;                  /* test: first line of show version */
};

static void ab_free(void *data)
{
        ABatch *x = data;

        free(x->changed);
        free(x->chunk);
        free(x->refusal);
        strv_free(x->before);
        free(x->version);
        free(x);
}

static void ab_finish(ABatch *x)
{
        rbatchres_finish(x->rr, ab_free, x);
}

static void ab_fail(ABatch *x, int r, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void ab_fail(ABatch *x, int r, bool transient, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (!x->b) {
                x->test_cb(x->test_userdata, &(ResponderResult) { .r = r, .transient = transient, .error = msg });
                ab_free(x);
                return;
        }
        rbatchres_fail_rest(x->rr, r, transient, "%s", msg);
        ab_finish(x);
}

static int http_errno(const HttpResponse *resp)
{
        return resp->r < 0 ? resp->r : resp->status == 401 || resp->status == 403 ? -EACCES : -EIO;
}

static void on_ab_resp(const HttpResponse *resp, void *userdata)
{
        ABatch *x = userdata;

        x->step(x, resp);
}

/* Runs the commands (exec or config mode) and calls step with the answer. */
static void ab_run(ABatch *x, const char *mode, const char *const *cmds, size_t n, AStep step)
{
        Asa *a = x->a;
        _cleanup_free_ char *path = asa_path(mode, cmds, n);
        _cleanup_free_ char *auth = NULL, *ua = NULL;
        const char *hdrs[3];
        int k;

        if (!path) {
                ab_fail(x, -EINVAL, false, "ASA: cannot build the command '%s'", cmds[n - 1]);
                return;
        }
        auth = basic_auth_header(a->username, a->password.value ? a->password.value : "");
        ua = xasprintf("User-Agent: %s", a->user_agent);
        hdrs[0] = auth;
        hdrs[1] = ua;
        hdrs[2] = NULL;
        x->step = step;
        /* every command we send is idempotent: the client may repeat it */
        k = rhttp_start(&a->h, &(RHttpRequest) { .path = path, .headers = hdrs }, on_ab_resp, x);
        OPENSSL_cleanse(auth, strlen(auth));
        if (k < 0)
                ab_fail(x, k, true, "ASA %s: %s", path, strerror(-k));
}

#define ASA_CMDS_PER_REQUEST 64         /* a URL of about 3 KiB */

static void next_item(ABatch *x);
static void save_or_finish(ABatch *x);
static void step_write(ABatch *x, const HttpResponse *resp);
static void step_verify(ABatch *x, const HttpResponse *resp);

static bool check_http(ABatch *x, const HttpResponse *resp, const char *what)
{
        _cleanup_free_ char *e = NULL;

        if (rhttp_ok(resp))
                return true;
        e = rhttp_error(resp, what);
        ab_fail(x, http_errno(resp), rhttp_transient(resp), "%s", e);
        return false;
}

static void step_group(ABatch *x, const HttpResponse *resp)
{
        Asa *a = x->a;

        if (!check_http(x, resp, "ASA show running-config object-group"))
                return;
        if (!asa_group_defined(resp->body, a->block_group)) {
                ab_fail(x, -ENOENT, false, "ASA: no network object-group named '%s' (block_group)", a->block_group);
                return;
        }
        if (!x->b) {
                _cleanup_free_ char *d = xasprintf("ASA %s; network object-group '%s' exists",
                                                   x->version ? x->version : "reachable", a->block_group);
                x->test_cb(x->test_userdata, &(ResponderResult) { .r = 0, .error = d });
                ab_free(x);
                return;
        }
        x->before = asa_group_hosts(resp->body, a->block_group);
        x->cur = 0;
        x->cur_el = 0;
        next_item(x);
}

static void start_group_check(ABatch *x)
{
        _cleanup_free_ char *cmd = xasprintf("show running-config object-group id %s", x->a->block_group);
        const char *cmds[] = { cmd };

        ab_run(x, "exec", cmds, 1, step_group);
}

static void step_version(ABatch *x, const HttpResponse *resp)
{
        size_t n;

        if (!check_http(x, resp, "ASA show version"))
                return;
        n = strcspn(resp->body, "\r\n");
        x->version = xstrndup(resp->body, n > 120 ? 120 : n);
        start_group_check(x);
}

static const char *item_target(const ABatch *x)
{
        const ResponderItem *it = &x->b->items[x->cur];

        return it->block ? it->entity->value : it->elements[x->cur_el];
}

/* The next item (or element of an unblock). */
static void advance(ABatch *x)
{
        const ResponderItem *it = &x->b->items[x->cur];

        if (it->block || ++x->cur_el >= it->n_elements) {
                x->cur++;
                x->cur_el = 0;
        }
}

static void step_items(ABatch *x, const HttpResponse *resp)
{
        const char *line = NULL;
        size_t len = 0;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "ASA network-object commands");
                if (resp->status == 401 || resp->status == 403 || resp->r == -ECANCELED) {
                        /* the same for every other item: stop here */
                        ab_fail(x, http_errno(resp), rhttp_transient(resp), "%s", e);
                        return;
                }
                for (size_t k = 0; k < x->n_chunk; k++) {
                        rbatchres_fail(x->rr, x->chunk[k], http_errno(resp), rhttp_transient(resp), "%s", e);
                        x->changed[x->chunk[k]] = false;
                }
                next_item(x);
                return;
        }
        x->any_changed = true;
        /* "already a member" and "not a member" are fine; anything else the
         * CLI refused is kept for the message: the group read after the
         * commands decides which item took effect */
        if (asa_classify(resp->body, true, &line, &len) == ASA_ERROR &&
            asa_classify(resp->body, false, NULL, NULL) == ASA_ERROR) {
                free(x->refusal);
                x->refusal = xstrndup(line, len > 200 ? 200 : len);
                log_warning("%s: the ASA answered: %s", x->r->name, x->refusal);
        }
        next_item(x);
}

static void finish_items(ABatch *x)
{
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (rbatchres_resolved(x->rr, i))
                        continue;
                if (it->block)
                        rbatchres_ok1(x->rr, i, it->entity->value);
                else
                        rbatchres_ok(x->rr, i, it->elements, it->n_elements);
        }
        ab_finish(x);
}

static bool is_address(const char *s)
{
        unsigned char buf[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static void next_item(ABatch *x)
{
        Asa *a = x->a;
        char **cmds = NULL;

        x->n_chunk = 0;
        while (x->cur < x->b->n && x->n_chunk < ASA_CMDS_PER_REQUEST) {
                const ResponderItem *it = &x->b->items[x->cur];

                if (rbatchres_resolved(x->rr, x->cur) || (!it->block && x->cur_el >= it->n_elements)) {
                        x->cur++;
                        x->cur_el = 0;
                        continue;
                }
                if (!is_address(item_target(x))) {
                        /* e.g. an element taken over from another tool: never put it in a command */
                        rbatchres_fail(x->rr, x->cur, -EINVAL, false, "ASA: '%.64s' is not an IP address",
                                       item_target(x));
                        x->cur++;
                        x->cur_el = 0;
                        continue;
                }
                if (it->block == strv_contains(x->before, item_target(x))) {
                        /* already as wanted: no command */
                        log_debug("%s: %s %s", x->r->name, item_target(x),
                                  it->block ? "already in the object-group" : "not in the object-group");
                        advance(x);
                        continue;
                }
                if (!cmds) {
                        _cleanup_free_ char *grp = xasprintf("object-group network %s", a->block_group);
                        cmds = strv_push(cmds, grp);
                }
                {
                        _cleanup_free_ char *cmd = xasprintf("%snetwork-object host %s", it->block ? "" : "no ",
                                                             item_target(x));
                        cmds = strv_push(cmds, cmd);
                }
                if (x->n_chunk == 0 || x->chunk[x->n_chunk - 1] != x->cur)
                        x->chunk[x->n_chunk++] = x->cur;
                x->changed[x->cur] = true;
                advance(x);
        }
        if (cmds) {
                /* several commands in one request, separated by '/', as the
                 * original's "object-group network G/network-object host IP" */
                x->sent = true;
                ab_run(x, "config", (const char *const *) cmds, strv_length(cmds), step_items);
                strv_free(cmds);
                return;
        }
        if (x->sent) {
                /* the CLI's answer is free text: the configuration says what happened */
                _cleanup_free_ char *cmd = xasprintf("show running-config object-group id %s", a->block_group);
                const char *c[] = { cmd };
                ab_run(x, "exec", c, 1, step_verify);
                return;
        }
        save_or_finish(x);
}

static void save_or_finish(ABatch *x)
{
        if (x->a->write_memory && (x->any_changed || x->a->save_pending)) {
                const char *cmds[] = { "write memory" };
                ab_run(x, "exec", cmds, 1, step_write);
                return;
        }
        finish_items(x);
}

static void step_verify(ABatch *x, const HttpResponse *resp)
{
        char **now;

        if (!check_http(x, resp, "ASA show running-config object-group"))
                return;
        now = asa_group_hosts(resp->body, x->a->block_group);
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (rbatchres_resolved(x->rr, i))
                        continue;
                if (it->block && !strv_contains(now, it->entity->value))
                        rbatchres_fail(x->rr, i, -EIO, true,
                                       "ASA: %s is not in object-group '%s' after the command%s%s",
                                       it->entity->value, x->a->block_group, x->refusal ? "; the ASA answered: " : "",
                                       x->refusal ? x->refusal : "");
                for (size_t e = 0; !it->block && e < it->n_elements; e++)
                        if (strv_contains(now, it->elements[e])) {
                                rbatchres_fail(x->rr, i, -EIO, true,
                                               "ASA: %s is still in object-group '%s' after the command%s%s",
                                               it->elements[e], x->a->block_group,
                                               x->refusal ? "; the ASA answered: " : "", x->refusal ? x->refusal : "");
                                break;
                        }
        }
        strv_free(now);
        save_or_finish(x);
}

static void step_write(ABatch *x, const HttpResponse *resp)
{
        _cleanup_free_ char *e = NULL;

        if (rhttp_ok(resp) && strstr(resp->body, "[OK]")) {
                log_debug("%s: running configuration saved", x->r->name);
                x->a->save_pending = false;
                finish_items(x);
                return;
        }
        e = rhttp_ok(resp) ? xstrdup("ASA write memory: no [OK] in the answer") :
                             rhttp_error(resp, "ASA write memory");
        /* the running config has the change: the retry finds it in place
         * and only saves */
        x->a->save_pending = true;
        for (size_t i = 0; i < x->b->n; i++)
                if (x->changed[i])
                        rbatchres_fail(x->rr, i, http_errno(resp), true, "%s", e);
        finish_items(x);
}

static ABatch *ab_new(Responder *r)
{
        ABatch *x = xnew(ABatch, 1);

        asa_start(r);
        x->a = r->priv;
        x->r = r;
        return x;
}

static int asa_apply_batch(Responder *r, ResponderBatch *b)
{
        ABatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = ab_new(r);
        x->b = b;
        x->rr = rbatchres_new(r->loop, b);
        x->changed = xnew(bool, b->n ? b->n : 1);
        x->chunk = xnew(size_t, b->n ? b->n : 1);
        for (size_t i = 0; i < b->n; i++) {
                const ResponderItem *it = &b->items[i];
                if (it->entity->kind != ENTITY_HOST || !it->entity->value)
                        rbatchres_fail(x->rr, i, -EOPNOTSUPP, false, "the ASA responder blocks hosts only");
                else if (!it->block && it->n_elements == 0)
                        rbatchres_ok(x->rr, i, NULL, 0);        /* nothing was recorded: nothing to undo */
        }
        if (r->simulation) {
                for (size_t i = 0; i < b->n; i++) {
                        const ResponderItem *it = &b->items[i];
                        if (rbatchres_resolved(x->rr, i))
                                continue;
                        log_info("%s: simulation: would run '%snetwork-object host %s' in object-group '%s'%s",
                                 r->name, it->block ? "" : "no ", it->block ? it->entity->value : it->elements[0],
                                 x->a->block_group, x->a->write_memory ? ", then write memory" : "");
                }
                finish_items(x);
                return 0;
        }
        start_group_check(x);
        return 0;
}

static int asa_test(Responder *r, ResponderDone cb, void *userdata)
{
        ABatch *x;
        const char *cmds[] = { "show version" };

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = ab_new(r);
        x->test_cb = cb;
        x->test_userdata = userdata;
        ab_run(x, "exec", cmds, 1, step_version);
        return 0;
}

static int asa_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Asa *a = r->priv;
        int k = rsettings_read(group, "cisco_asa_http", asa_opts, a, errs, n_errs);

        if (k < 0)
                return k;
        if (!asa_valid_name(a->block_group)) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "block_group"),
                              "expected an object-group name: 1 to 64 characters, no blanks, '/', '?' or quotes");
                return -EINVAL;
        }
        if (!a->user_agent[0] || strpbrk(a->user_agent, "\r\n")) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "user_agent"),
                              "expected the name given to 'http server basic-auth-client'");
                return -EINVAL;
        }
        if (strchr(a->username, ':')) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "username"),
                              "HTTP Basic authentication cannot carry a ':' in the user name");
                return -EINVAL;
        }
        if (r->max_concurrent > 1) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "max_concurrent"),
                              "a cisco_asa_http responder runs one configuration session: max_concurrent must be 1");
                return -EINVAL;
        }
        return 0;
}

static void asa_cancel_all(Responder *r)
{
        Asa *a = r->priv;

        if (a && a->started)
                rhttp_cancel_all(&a->h);
}

static void asa_done(Responder *r)
{
        Asa *a = r->priv;

        if (a)
                rsettings_free(asa_opts, a);
}

const ResponderOps cisco_asa_http_ops = {
        .module = "cisco_asa_http",
        .client_name = "ASA HTTP Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Asa),
        .configure = asa_configure,
        .done = asa_done,
        .apply_batch = asa_apply_batch,
        .cancel_all = asa_cancel_all,
        .test = asa_test,
        .needs_http = true,
        .default_max_batch = 500,
        .default_max_concurrent = 1,
};
