/* SPDX-License-Identifier: MIT */
/* cisco_fmc ("FMC Client", responders.md §4.3): Cisco Secure Firewall
 * Management Center.  A blocked host is an FMC Host object (named after
 * its IP) that is a member of an existing Network Group used in access
 * rules; unblocking removes it from the group and keeps the object.
 *
 *   {
 *     name = "fmc"; type = "cisco_fmc";
 *     url = "https://fmc.example.com";          # the original's URL, with or without '/'
 *     username = "secresp";
 *     password = "env:FMC_PASSWORD";
 *     block_group = "Vectra-Block";             # BLOCK_GROUP
 *     deploy = true;                            # deploy the change to the devices
 *     deploy_devices = [ "ftd-edge-1" ];        # default: every deployable device
 *   }
 *
 * What the original did not do, and we do:
 *   - the token (30 minutes) is refreshed with the refresh token (three
 *     times, as FMC allows), then generated anew; a 401 fetches a new one
 *     and the call is made once more;
 *   - "already a member" and "not a member" are successes that report the
 *     Host object id, so the host is tagged and never retried forever;
 *   - the missing Host objects of a batch are made in one bulk request
 *     (bulk_create; one by one when the FMC refuses it);
 *   - the group is PUT once per batch (the reconciler hands every queued
 *     call at once), and, with deploy = true, one deployment request per
 *     batch goes to the deployable devices: 1,000 blocks are one group
 *     update and one deployment, not 1,000.
 *
 * A deployment that failed after the group was updated is retried by the
 * next batch even when that batch changes nothing (deploy_pending, also set
 * at start because the previous run may have stopped in between). */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_fmc_json.h"
#include "responders/rbatchres.h"
#include "responders/rhttp.h"

#define FMC_TOKEN_TTL_MS        (30 * 60 * 1000)
#define FMC_MAX_REFRESHES       3
#define FMC_PAGE_LIMIT          1000
#define FMC_MAX_PAGES           1000            /* 1M objects: a loop guard, not a limit anyone meets */
#define FMC_DESCRIPTION         "Host object created by secresp (Vectra integration)."

typedef struct Fmc {
        RHttpConf http;
        char *username;
        Secret password;
        char *block_group;
        char *domain_uuid;              /* from the config; else the token answer's DOMAIN_UUID */
        bool deploy;
        bool bulk_create;
        char **deploy_devices;
        char *description;

        Responder *r;
        bool started;
        RHttp h;
        RAuth auth;
        char *domain;                   /* the domain the calls go to */
        char *refresh_token;            /* wiped when dropped */
        char *refresh_access;           /* the access token the refresh token goes with */
        unsigned refreshes;
        char *group_id;                 /* cached once found */
        bool deploy_pending;
} Fmc;

#define OFF(f) offsetof(Fmc, f)
static const RsOpt fmc_opts[] = {
        RHTTP_OPTS(Fmc, http, "URL"),
        { "username", RS_STRING, OFF(username), .required = true, .var = "Username" },
        { "password", RS_SECRET, OFF(password), .required = true, .var = "Password" },
        { "block_group", RS_STRING, OFF(block_group), .required = true, .var = "BLOCK_GROUP" },
        { "domain_uuid", RS_STRING, OFF(domain_uuid) },
        { "deploy", RS_BOOL, OFF(deploy), .def = "false" },
        { "deploy_devices", RS_STRINGS, OFF(deploy_devices) },
        { "bulk_create", RS_BOOL, OFF(bulk_create), .def = "true" },
        { "description", RS_STRING, OFF(description), .def = FMC_DESCRIPTION },
        {}
};

static void wipe_free(char **p)
{
        if (*p) {
                OPENSSL_cleanse(*p, strlen(*p));
                free(*p);
        }
        *p = NULL;
}

/* Ids from the FMC go into our URLs: only what an FMC id looks like. */
static bool valid_id(const char *id)
{
        return id && id[0] && !id[strspn(id, "0123456789abcdefABCDEF-")];
}

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

/* ---- token ---------------------------------------------------------------- */

static int fmc_fetch(RAuth *a, void *owner);

static void on_token(const HttpResponse *resp, void *userdata)
{
        Fmc *f = userdata;
        const char *access = http_response_header(resp, "X-auth-access-token");
        const char *refresh = http_response_header(resp, "X-auth-refresh-token");
        const char *domain = http_response_header(resp, "DOMAIN_UUID");
        _cleanup_free_ char *err = NULL;

        if (resp->status == 204 && access && access[0]) {
                if (!f->domain_uuid && (!domain || !domain[0])) {
                        rauth_fail(&f->auth, "FMC token: the answer has no DOMAIN_UUID (set domain_uuid)", false);
                        return;
                }
                if (!f->domain_uuid) {
                        free(f->domain);
                        f->domain = xstrdup(domain);
                }
                wipe_free(&f->refresh_token);
                wipe_free(&f->refresh_access);
                if (refresh && refresh[0]) {
                        f->refresh_token = xstrdup(refresh);
                        f->refresh_access = xstrdup(access);
                }
                rauth_set(&f->auth, access, FMC_TOKEN_TTL_MS);
                return;
        }
        err = rhttp_error(resp, "FMC generatetoken");
        rauth_fail(&f->auth, err, rhttp_transient(resp));
}

static void on_refresh(const HttpResponse *resp, void *userdata)
{
        Fmc *f = userdata;
        const char *access = http_response_header(resp, "X-auth-access-token");
        const char *refresh = http_response_header(resp, "X-auth-refresh-token");

        if (resp->status == 204 && access && access[0]) {
                f->refreshes++;
                wipe_free(&f->refresh_access);
                f->refresh_access = xstrdup(access);
                if (refresh && refresh[0]) {
                        wipe_free(&f->refresh_token);
                        f->refresh_token = xstrdup(refresh);
                }
                rauth_set(&f->auth, access, FMC_TOKEN_TTL_MS);
                return;
        }
        if (resp->r == -ECANCELED) {
                rauth_fail(&f->auth, "FMC refreshtoken: cancelled", true);
                return;
        }
        /* refused or expired: a new token from the credentials */
        log_debug("%s: FMC refreshtoken answered HTTP %ld, generating a new token", f->r->name, resp->status);
        wipe_free(&f->refresh_token);
        wipe_free(&f->refresh_access);
        if (fmc_fetch(&f->auth, f) < 0)
                rauth_fail(&f->auth, "FMC generatetoken: cannot start the call", true);
}

static int fmc_fetch(RAuth *a, void *owner)
{
        Fmc *f = owner;
        int k;

        (void) a;
        if (f->refresh_token && f->refresh_access && f->refreshes < FMC_MAX_REFRESHES) {
                _cleanup_free_ char *h1 = xasprintf("X-auth-access-token: %s", f->refresh_access);
                _cleanup_free_ char *h2 = xasprintf("X-auth-refresh-token: %s", f->refresh_token);
                const char *hdrs[] = { h1, h2, NULL };
                k = rhttp_start(&f->h, &(RHttpRequest) {
                                        .method = "POST",
                                        .path = "/api/fmc_platform/v1/auth/refreshtoken",
                                        .headers = hdrs,
                                        .no_retry = true,
                                }, on_refresh, f);
                OPENSSL_cleanse(h1, strlen(h1));
                OPENSSL_cleanse(h2, strlen(h2));
                return k;
        }
        {
                _cleanup_free_ char *auth = basic_auth_header(f->username, f->password.value ? f->password.value : "");
                const char *hdrs[] = { auth, NULL };
                f->refreshes = 0;
                k = rhttp_start(&f->h, &(RHttpRequest) {
                                        .method = "POST",
                                        .path = "/api/fmc_platform/v1/auth/generatetoken",
                                        .headers = hdrs,
                                        .no_retry = true,
                                }, on_token, f);
                OPENSSL_cleanse(auth, strlen(auth));
                return k;
        }
}

static void fmc_start(Responder *r)
{
        Fmc *f = r->priv;

        if (f->started)
                return;
        f->started = true;
        f->r = r;
        rhttp_init(&f->h, r, &f->http);
        rauth_init(&f->auth, r->loop, fmc_fetch, f);
        if (f->domain_uuid)
                f->domain = xstrdup(f->domain_uuid);
        /* we cannot know whether the last change made before a stop was deployed */
        f->deploy_pending = true;
}

/* ---- one batch (or a test) --------------------------------------------------- */

typedef struct FBatch FBatch;
typedef void (*FStep)(FBatch *x, const HttpResponse *resp);

struct FBatch {
        Fmc *f;
        ResponderBatch *b;              /* NULL for a test */
        RBatchRes *rr;
        ResponderDone test_cb;
        void *test_userdata;

        /* the call in progress, kept to repeat it once after a 401 */
        char *method, *path, *body;
        bool no_retry;
        FStep step;
        char *token;
        bool reauthed;

        char *next;                     /* next page */
        unsigned pages;
        char ***ids;                    /* per item: Host object ids */
        size_t n_ids;                   /* b is gone when fb_free runs */
        cJSON *hosts;                   /* name -> id of the Host objects seen */
        size_t cur;
        cJSON *group;
        bool changed;
        bool bulk_done;                 /* the bulk create was tried: one by one from now on */
};

static void fb_free(void *data)
{
        FBatch *x = data;

        free(x->method);
        free(x->path);
        free(x->body);
        wipe_free(&x->token);
        free(x->next);
        for (size_t i = 0; x->ids && i < x->n_ids; i++)
                strv_free(x->ids[i]);
        free(x->ids);
        cJSON_Delete(x->hosts);
        cJSON_Delete(x->group);
        free(x);
}

static const char *item_ip(const FBatch *x, size_t i)
{
        return x->b->items[i].entity->value;
}

static void fb_finish(FBatch *x)
{
        rbatchres_finish(x->rr, fb_free, x);
}

/* Every open item (or the test) fails with this text. */
static void fb_fail(FBatch *x, int r, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fb_fail(FBatch *x, int r, bool transient, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (!x->b) {
                x->test_cb(x->test_userdata, &(ResponderResult) { .r = r, .transient = transient, .error = msg });
                fb_free(x);
                return;
        }
        rbatchres_fail_rest(x->rr, r, transient, "%s", msg);
        fb_finish(x);
}

static void fb_fail_http(FBatch *x, const HttpResponse *resp, const char *what)
{
        _cleanup_free_ char *e = rhttp_error(resp, what);
        int r = resp->r < 0 ? resp->r : resp->status == 401 || resp->status == 403 ? -EACCES : -EIO;

        fb_fail(x, r, rhttp_transient(resp), "%s", e);
}

static void fb_send(FBatch *x);

static void on_fb_resp(const HttpResponse *resp, void *userdata)
{
        FBatch *x = userdata;

        if (resp->status == 401 && !x->reauthed) {
                /* expired or revoked before its time: one new token, one more try */
                x->reauthed = true;
                rauth_invalidate(&x->f->auth, x->token);
                fb_send(x);
                return;
        }
        x->reauthed = false;
        x->step(x, resp);
}

static void on_fb_cred(void *userdata, const char *cred, const char *err, bool transient)
{
        FBatch *x = userdata;
        Fmc *f = x->f;
        _cleanup_free_ char *path = NULL, *hdr = NULL;
        const char *hdrs[2];
        int k;

        if (!cred) {
                fb_fail(x, transient ? -EAGAIN : -EACCES, transient, "%s", err ? err : "FMC: no token");
                return;
        }
        wipe_free(&x->token);
        x->token = xstrdup(cred);
        if (!strncmp(x->path, "/api/", 5))
                path = xstrdup(x->path);
        else
                path = xasprintf("/api/fmc_config/v1/domain/%s/%s", f->domain, x->path);
        hdr = xasprintf("X-auth-access-token: %s", cred);
        hdrs[0] = hdr;
        hdrs[1] = NULL;
        k = rhttp_start(&f->h, &(RHttpRequest) {
                                .method = x->method,
                                .path = path,
                                .headers = hdrs,
                                .body = x->body,
                                .no_retry = x->no_retry,
                        }, on_fb_resp, x);
        OPENSSL_cleanse(hdr, strlen(hdr));
        if (k < 0)
                fb_fail(x, k, true, "FMC %s %s: %s", x->method, x->path, strerror(-k));
}

static void fb_send(FBatch *x)
{
        rauth_get(&x->f->auth, on_fb_cred, x);
}

/* path: under the domain ("object/hosts"), or from "/api/" on. */
static void fb_call(FBatch *x, const char *method, const char *path, char *body, bool no_retry, FStep step)
{
        free(x->method);
        free(x->path);
        free(x->body);
        x->method = xstrdup(method);
        x->path = xstrdup(path);
        x->body = body;
        x->no_retry = no_retry;
        x->step = step;
        x->reauthed = false;
        fb_send(x);
}

static cJSON *fb_json(FBatch *x, const HttpResponse *resp, const char *what)
{
        cJSON *j = rhttp_json(resp);

        if (!cJSON_IsObject(j)) {
                cJSON_Delete(j);
                fb_fail(x, -EPROTO, true, "%s: the answer is not a JSON object", what);
                return NULL;
        }
        return j;
}

static void step_groups(FBatch *x, const HttpResponse *resp);
static void start_hosts(FBatch *x);
static void step_hosts(FBatch *x, const HttpResponse *resp);
static void next_create(FBatch *x);
static void start_group_get(FBatch *x);
static void start_deploy(FBatch *x);
static void fb_succeed(FBatch *x);

static void start_groups(FBatch *x, const char *path)
{
        if (++x->pages > FMC_MAX_PAGES) {
                fb_fail(x, -ELOOP, false, "FMC: more than %u pages of network groups", FMC_MAX_PAGES);
                return;
        }
        fb_call(x, "GET", path, NULL, false, step_groups);
}

static void step_groups(FBatch *x, const HttpResponse *resp)
{
        Fmc *f = x->f;
        _cleanup_free_ char *next = NULL;
        cJSON *j;
        const char *id;

        if (!rhttp_ok(resp)) {
                fb_fail_http(x, resp, "FMC GET object/networkgroups");
                return;
        }
        if (!(j = fb_json(x, resp, "FMC GET object/networkgroups")))
                return;
        id = fmc_find_id(j, f->block_group);
        if (id && !valid_id(id)) {
                /* it goes into our URLs */
                fb_fail(x, -EPROTO, false, "FMC: network group '%s' has an unexpected id '%.64s'", f->block_group, id);
                cJSON_Delete(j);
                return;
        }
        if (id) {
                free(f->group_id);
                f->group_id = xstrdup(id);
                cJSON_Delete(j);
                if (!x->b) {
                        _cleanup_free_ char *d = xasprintf("FMC token ok (domain %s); network group '%s' is %s",
                                                           f->domain, f->block_group, f->group_id);
                        x->test_cb(x->test_userdata, &(ResponderResult) { .r = 0, .error = d });
                        fb_free(x);
                        return;
                }
                x->pages = 0;
                start_hosts(x);
                return;
        }
        next = fmc_next_path(j);
        cJSON_Delete(j);
        if (next) {
                start_groups(x, next);
                return;
        }
        fb_fail(x, -ENOENT, false, "FMC: no network group named '%s' in domain %s (block_group)", f->block_group,
                f->domain);
}

static bool need_host_list(const FBatch *x)
{
        for (size_t i = 0; i < x->b->n; i++)
                if (x->b->items[i].block || x->b->items[i].n_elements == 0)
                        return true;
        return false;
}

static void start_hosts_page(FBatch *x, const char *path)
{
        if (++x->pages > FMC_MAX_PAGES) {
                fb_fail(x, -ELOOP, false, "FMC: more than %u pages of host objects", FMC_MAX_PAGES);
                return;
        }
        fb_call(x, "GET", path, NULL, false, step_hosts);
}

static void assign_ids(FBatch *x)
{
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(x->hosts, item_ip(x, i));

                if (!it->block && it->n_elements > 0) {
                        /* the stored ids, never the current IP's object */
                        for (size_t k = 0; k < it->n_elements; k++)
                                x->ids[i] = strv_push(x->ids[i], it->elements[k]);
                } else if (cJSON_IsString(v))
                        x->ids[i] = strv_push(x->ids[i], v->valuestring);
        }
}

static void start_hosts(FBatch *x)
{
        _cleanup_free_ char *p = NULL;

        if (!need_host_list(x)) {
                assign_ids(x);
                x->cur = 0;
                next_create(x);
                return;
        }
        p = xasprintf("object/hosts?limit=%d", FMC_PAGE_LIMIT);
        start_hosts_page(x, p);
}

static void step_hosts(FBatch *x, const HttpResponse *resp)
{
        _cleanup_free_ char *next = NULL;
        const cJSON *items, *it;
        cJSON *j;

        if (!rhttp_ok(resp)) {
                fb_fail_http(x, resp, "FMC GET object/hosts");
                return;
        }
        if (!(j = fb_json(x, resp, "FMC GET object/hosts")))
                return;
        items = cJSON_GetObjectItemCaseSensitive(j, "items");
        cJSON_ArrayForEach(it, items) {
                const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
                if (!cJSON_IsString(n) || !cJSON_IsString(id))
                        continue;
                /* only the names this batch asks about */
                for (size_t i = 0; i < x->b->n; i++)
                        if (!strcmp(item_ip(x, i), n->valuestring) &&
                            !cJSON_GetObjectItemCaseSensitive(x->hosts, n->valuestring)) {
                                cJSON_AddStringToObject(x->hosts, n->valuestring, id->valuestring);
                                break;
                        }
        }
        next = fmc_next_path(j);
        cJSON_Delete(j);
        if (next) {
                start_hosts_page(x, next);
                return;
        }
        assign_ids(x);
        x->cur = 0;
        next_create(x);
}

static void step_create(FBatch *x, const HttpResponse *resp)
{
        size_t i = x->cur;
        cJSON *j = NULL;
        const cJSON *id;

        if (rhttp_ok(resp) && (j = rhttp_json(resp)) &&
            cJSON_IsString(id = cJSON_GetObjectItemCaseSensitive(j, "id")) && valid_id(id->valuestring))
                x->ids[i] = strv_push(x->ids[i], id->valuestring);
        else if (rhttp_ok(resp))
                rbatchres_fail(x->rr, i, -EPROTO, true, "FMC POST object/hosts for %s: no id in the answer",
                               item_ip(x, i));
        else {
                _cleanup_free_ char *e = rhttp_error(resp, "FMC POST object/hosts");
                /* a duplicate name (made meanwhile) is found by the next attempt's listing */
                rbatchres_fail(x->rr, i, resp->status == 401 || resp->status == 403 ? -EACCES : -EIO,
                               rhttp_transient(resp) || resp->status == 400 || resp->status == 409, "%s for %s", e,
                               item_ip(x, i));
        }
        cJSON_Delete(j);
        x->cur++;
        next_create(x);
}

/* Creates the missing Host objects, one after the other. */
static void step_bulk(FBatch *x, const HttpResponse *resp)
{
        cJSON *j = NULL;
        size_t made = 0;

        if (rhttp_ok(resp) && (j = rhttp_json(resp))) {
                for (size_t i = 0; i < x->b->n; i++) {
                        const char *id;
                        if (!x->b->items[i].block || x->ids[i] || rbatchres_resolved(x->rr, i))
                                continue;
                        id = fmc_find_id(j, item_ip(x, i));
                        if (valid_id(id)) {
                                x->ids[i] = strv_push(x->ids[i], id);
                                made++;
                        }
                }
                log_debug("%s: %zu Host object(s) made in one bulk request", x->f->r->name, made);
        } else {
                /* an older FMC, a duplicate name made meanwhile: one by one */
                _cleanup_free_ char *e = rhttp_error(resp, "FMC POST object/hosts?bulk=true");
                log_info("%s: %s; creating the Host objects one by one", x->f->r->name, e);
        }
        cJSON_Delete(j);
        x->cur = 0;
        next_create(x);
}

/* Several missing objects: one bulk request (at most FMC_PAGE_LIMIT). */
static bool start_bulk(FBatch *x)
{
        const char **ips;
        size_t n = 0;

        if (!x->f->bulk_create || x->bulk_done)
                return false;
        x->bulk_done = true;
        ips = xnew(const char *, x->b->n + 1);
        for (size_t i = 0; i < x->b->n && n < FMC_PAGE_LIMIT; i++)
                if (x->b->items[i].block && !x->ids[i] && !rbatchres_resolved(x->rr, i))
                        ips[n++] = item_ip(x, i);
        if (n < 2) {
                free(ips);
                return false;
        }
        fb_call(x, "POST", "object/hosts?bulk=true", fmc_hosts_bulk_body(ips, n, x->f->description), true,
                step_bulk);
        free(ips);
        return true;
}

static void next_create(FBatch *x)
{
        Fmc *f = x->f;

        if (start_bulk(x))
                return;
        for (; x->cur < x->b->n; x->cur++) {
                const ResponderItem *it = &x->b->items[x->cur];
                if (!it->block || x->ids[x->cur] || rbatchres_resolved(x->rr, x->cur))
                        continue;
                fb_call(x, "POST", "object/hosts", fmc_host_body(item_ip(x, x->cur), f->description), true,
                        step_create);
                return;
        }
        start_group_get(x);
}

static void step_group_put(FBatch *x, const HttpResponse *resp);

static void step_group_get(FBatch *x, const HttpResponse *resp)
{
        Fmc *f = x->f;
        _cleanup_free_ char *path = NULL;

        if (resp->status == 404) {
                /* deleted since we looked it up: look it up again next time */
                free(f->group_id);
                f->group_id = NULL;
        }
        if (!rhttp_ok(resp)) {
                fb_fail_http(x, resp, "FMC GET object/networkgroups/{id}");
                return;
        }
        if (!(x->group = fb_json(x, resp, "FMC GET object/networkgroups/{id}")))
                return;
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (rbatchres_resolved(x->rr, i))
                        continue;
                for (size_t k = 0; x->ids[i] && x->ids[i][k]; k++)
                        if (it->block)
                                x->changed |= fmc_group_add(x->group, x->ids[i][k], item_ip(x, i));
                        else
                                x->changed |= fmc_group_remove(x->group, x->ids[i][k]);
        }
        if (!x->changed) {
                log_debug("%s: network group '%s' already as wanted", f->r->name, f->block_group);
                start_deploy(x);
                return;
        }
        path = xasprintf("object/networkgroups/%s", f->group_id);
        fb_call(x, "PUT", path, fmc_group_put_body(x->group), false, step_group_put);
}

static void start_group_get(FBatch *x)
{
        _cleanup_free_ char *path = NULL;
        bool open = false;

        for (size_t i = 0; i < x->b->n; i++)
                open = open || !rbatchres_resolved(x->rr, i);
        if (!open) {
                fb_finish(x);
                return;
        }
        path = xasprintf("object/networkgroups/%s", x->f->group_id);
        fb_call(x, "GET", path, NULL, false, step_group_get);
}

static void step_group_put(FBatch *x, const HttpResponse *resp)
{
        if (!rhttp_ok(resp)) {
                fb_fail_http(x, resp, "FMC PUT object/networkgroups/{id}");
                return;
        }
        x->f->deploy_pending = true;
        log_info("%s: network group '%s' updated", x->f->r->name, x->f->block_group);
        start_deploy(x);
}

static void step_deploy_post(FBatch *x, const HttpResponse *resp)
{
        cJSON *j;
        const cJSON *task;

        if (!rhttp_ok(resp)) {
                fb_fail_http(x, resp, "FMC POST deployment/deploymentrequests");
                return;
        }
        j = rhttp_json(resp);
        task = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetObjectItemCaseSensitive(j, "metadata"), "task"), "id");
        log_info("%s: deployment requested%s%s", x->f->r->name, cJSON_IsString(task) ? ", task " : "",
                 cJSON_IsString(task) ? task->valuestring : "");
        cJSON_Delete(j);
        x->f->deploy_pending = false;
        fb_succeed(x);
}

static void step_deployable(FBatch *x, const HttpResponse *resp)
{
        Fmc *f = x->f;
        char *body;
        size_t n = 0;
        cJSON *j;

        if (!rhttp_ok(resp)) {
                fb_fail_http(x, resp, "FMC GET deployment/deployabledevices");
                return;
        }
        if (!(j = fb_json(x, resp, "FMC GET deployment/deployabledevices")))
                return;
        body = fmc_deploy_body(j, (const char *const *) f->deploy_devices, &n);
        cJSON_Delete(j);
        if (!body) {
                log_debug("%s: no device to deploy", f->r->name);
                f->deploy_pending = false;
                fb_succeed(x);
                return;
        }
        log_debug("%s: deploying to %zu device(s)", f->r->name, n);
        fb_call(x, "POST", "deployment/deploymentrequests", body, true, step_deploy_post);
}

static void start_deploy(FBatch *x)
{
        if (!x->f->deploy || !x->f->deploy_pending) {
                fb_succeed(x);
                return;
        }
        fb_call(x, "GET", "deployment/deployabledevices?expanded=true", NULL, false, step_deployable);
}

static void fb_succeed(FBatch *x)
{
        for (size_t i = 0; i < x->b->n; i++) {
                const ResponderItem *it = &x->b->items[i];
                if (rbatchres_resolved(x->rr, i))
                        continue;
                if (it->block && !x->ids[i])
                        rbatchres_fail(x->rr, i, -EIO, true, "FMC: no Host object for %s", item_ip(x, i));
                else
                        rbatchres_ok(x->rr, i, (const char *const *) x->ids[i], strv_length(x->ids[i]));
        }
        fb_finish(x);
}

static FBatch *fb_new(Responder *r)
{
        FBatch *x = xnew(FBatch, 1);

        fmc_start(r);
        x->f = r->priv;
        return x;
}

static int fmc_apply_batch(Responder *r, ResponderBatch *b)
{
        FBatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = fb_new(r);
        x->b = b;
        x->rr = rbatchres_new(r->loop, b);
        x->ids = xnew(char **, b->n ? b->n : 1);
        x->n_ids = b->n;
        x->hosts = cJSON_CreateObject();
        for (size_t i = 0; i < b->n; i++)
                if (b->items[i].entity->kind != ENTITY_HOST || !b->items[i].entity->value)
                        rbatchres_fail(x->rr, i, -EOPNOTSUPP, false, "FMC blocks hosts only");
        if (r->simulation) {
                for (size_t i = 0; i < b->n; i++) {
                        const ResponderItem *it = &b->items[i];
                        if (rbatchres_resolved(x->rr, i))
                                continue;
                        log_info("%s: simulation: would %s host %s %s network group '%s'%s", r->name,
                                 it->block ? "add" : "remove", it->entity->value, it->block ? "to" : "from",
                                 x->f->block_group, x->f->deploy ? " and deploy" : "");
                        if (it->block)
                                rbatchres_ok1(x->rr, i, it->entity->value);
                        else
                                rbatchres_ok(x->rr, i, it->elements, it->n_elements);
                }
                fb_finish(x);
                return 0;
        }
        if (x->f->group_id) {
                start_hosts(x);
                return 0;
        }
        start_groups(x, "object/networkgroups?limit=1000");
        return 0;
}

static int fmc_test(Responder *r, ResponderDone cb, void *userdata)
{
        FBatch *x;

        if (!r->priv || !r->loop)
                return -EINVAL;
        x = fb_new(r);
        x->test_cb = cb;
        x->test_userdata = userdata;
        start_groups(x, "object/networkgroups?limit=1000");
        return 0;
}

static int fmc_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        Fmc *f = r->priv;
        int k = rsettings_read(group, "cisco_fmc", fmc_opts, f, errs, n_errs);

        if (k < 0)
                return k;
        if (f->domain_uuid && (!f->domain_uuid[0] || strpbrk(f->domain_uuid, "/?#% "))) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "domain_uuid"),
                              "expected a domain UUID such as \"e276abec-e0f2-11e3-8169-6d9ed49b625f\"");
                return -EINVAL;
        }
        if (r->max_concurrent > 1) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "max_concurrent"),
                              "a cisco_fmc responder rewrites one network group: max_concurrent must be 1");
                return -EINVAL;
        }
        if (strchr(f->username, ':')) {
                rsettings_err(errs, n_errs, config_setting_get_member(group, "username"),
                              "HTTP Basic authentication cannot carry a ':' in the user name");
                return -EINVAL;
        }
        return 0;
}

static void fmc_cancel_all(Responder *r)
{
        Fmc *f = r->priv;

        if (f && f->started)
                rhttp_cancel_all(&f->h);
}

static void fmc_done(Responder *r)
{
        Fmc *f = r->priv;

        if (!f)
                return;
        if (f->started)
                rauth_done(&f->auth);
        wipe_free(&f->refresh_token);
        wipe_free(&f->refresh_access);
        free(f->domain);
        free(f->group_id);
        rsettings_free(fmc_opts, f);
}

const ResponderOps cisco_fmc_ops = {
        .module = "cisco_fmc",
        .client_name = "FMC Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Fmc),
        .configure = fmc_configure,
        .done = fmc_done,
        .apply_batch = fmc_apply_batch,
        .cancel_all = fmc_cancel_all,
        .test = fmc_test,
        .needs_http = true,
        .default_max_batch = 500,
        /* one group, read-modify-write: two batches at once would undo each other */
        .default_max_concurrent = 1,
};
