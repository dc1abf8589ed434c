/* SPDX-License-Identifier: MIT */
/* clearpass ("ClearPass Client", responders.md §5.3): marks a host's
 * endpoints isolated in Aruba ClearPass and disconnects their sessions so
 * that they re-authenticate into the isolation policy.
 *
 *   { name = "cppm"; type = "clearpass"; url = "https://cppm.example.com";
 *     client_id = "secresp"; client_secret = "env:CPPM_SECRET"; }
 *
 * Auth: POST /api/oauth, client credentials (or the password grant of the
 * original when username is set); the token is renewed before it expires
 * and once when ClearPass refuses it (the original never renewed).
 *
 * Block: the MACs are the source's, else those of the host's active
 * sessions (GET /api/session?filter={"framedipaddress":IP,
 * "acctstoptime":{"$exists":false}}).  For each, PATCH
 * /api/endpoint/mac-address/MAC {"attributes":{"isolated":true}}, then, best
 * effort, the disconnect of its active session (POST
 * /api/session/ID/disconnect {"confirm_disconnect":"1"}).  Elements: the
 * MACs ClearPass accepted (the original returned them only when no session
 * existed).
 *
 * Unblock: the same with false; an endpoint ClearPass no longer knows
 * counts as done. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/clearpass_parse.h"
#include "responders/macaddr.h"
#include "responders/rjob.h"

typedef struct Cppm {
        RHttpConf http;
        char *client_id;
        Secret client_secret;
        char *username;
        Secret password;
        char *attribute;
        bool disconnect;
        RClient client;
} Cppm;

static const RsOpt cppm_opts[] = {
        RHTTP_OPTS(Cppm, http, "URL"),
        { "client_id", RS_STRING, offsetof(Cppm, client_id), .required = true },
        { "client_secret", RS_SECRET, offsetof(Cppm, client_secret) },
        { "username", RS_STRING, offsetof(Cppm, username) },
        { "password", RS_SECRET, offsetof(Cppm, password) },
        { "attribute", RS_STRING, offsetof(Cppm, attribute), .required = true, .def = "isolated" },
        { "disconnect", RS_BOOL, offsetof(Cppm, disconnect), .def = "true" },
        {}
};

typedef struct CpJob {
        RJob j;
        Cppm *cp;
        bool block;
        char *ip;
        char **macs;
        size_t cur;
} CpJob;

/* ---- credentials --------------------------------------------------------- */

static char **cppm_headers(void *owner, const char *cred, const RJobReq *req)
{
        char *h = xasprintf("Authorization: Bearer %s", cred ? cred : "");
        char **v = strv_push(NULL, h);

        (void) owner;
        (void) req;
        rjob_wipe_free(h);
        return v;
}

static void on_token(const HttpResponse *resp, void *userdata)
{
        Cppm *cp = userdata;
        char *tok = NULL;
        long ttl = 0;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "ClearPass OAuth (POST /api/oauth)");
                rauth_fail(&cp->client.auth, e, rhttp_transient(resp));
                return;
        }
        if (cppm_oauth_token(resp->body, resp->body_len, &tok, &ttl) < 0) {
                rauth_fail(&cp->client.auth, "ClearPass OAuth: no access_token in the answer", true);
                return;
        }
        /* ClearPass's default lifetime is 8 h when the answer says none */
        rauth_set(&cp->client.auth, tok, (uint64_t) (ttl > 0 ? ttl : 28800) * 1000);
        rjob_wipe_free(tok);
}

static int cppm_fetch(RAuth *a, void *owner)
{
        Cppm *cp = owner;
        char *body = cppm_oauth_body(cp->client_id, cp->client_secret.value, cp->username, cp->password.value);
        int r;

        (void) a;
        r = rhttp_start(&cp->client.http,
                        &(RHttpRequest) {
                                .method = "POST",
                                .path = "/api/oauth",
                                .headers = (const char *const[]) { "Accept: application/json", NULL },
                                .body = body,
                        },
                        on_token, cp);
        rjob_wipe_free(body);
        return r;
}

/* ---- configuration ------------------------------------------------------- */

static int cppm_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Cppm *cp = r->priv;
        int k = rsettings_read(g, "clearpass", cppm_opts, cp, errs, n_errs);

        if (k < 0)
                return k;
        if (!cp->username && !cp->client_secret.ref) {
                rsettings_err(errs, n_errs, g, "needs client_secret (client credentials), or username and "
                              "password (the original's password grant)");
                return -EINVAL;
        }
        if (cp->username && !cp->password.ref) {
                rsettings_err(errs, n_errs, config_setting_get_member(g, "username"), "needs password as well");
                return -EINVAL;
        }
        rclient_init(&cp->client, r, &cp->http, cp);
        cp->client.headers = cppm_headers;
        cp->client.fetch = cppm_fetch;
        return 0;
}

static void cppm_done(Responder *r)
{
        Cppm *cp = r->priv;

        if (!cp)
                return;
        rclient_done(&cp->client);
        rsettings_free(cppm_opts, cp);
}

static void cppm_cancel_all(Responder *r)
{
        Cppm *cp = r->priv;

        rclient_cancel_all(&cp->client);
}

/* ---- block and unblock ----------------------------------------------------- */

static void job_free(RJob *j)
{
        CpJob *x = (CpJob *) j;

        free(x->ip);
        strv_free(x->macs);
        x->ip = NULL;
        x->macs = NULL;
}

static void job_end(CpJob *x)
{
        rjob_finish(&x->j);
}

static void next_mac(CpJob *x);

static char *session_query(const char *value, bool by_mac)
{
        _cleanup_free_ char *f = cppm_session_filter(value, by_mac);
        _cleanup_free_ char *e = rjob_escape(f);

        return xasprintf("/api/session?filter=%s&calculate_count=true", e);
}

static void on_disconnect(RJob *j, const HttpResponse *resp)
{
        CpJob *x = (CpJob *) j;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "ClearPass session disconnect");
                log_warning("%s: %s of %s; the endpoint keeps its session until it re-authenticates", j->resp->name,
                            e, x->macs[x->cur]);
        }
        x->cur++;
        next_mac(x);
}

static void on_mac_sessions(RJob *j, const HttpResponse *resp)
{
        CpJob *x = (CpJob *) j;
        _cleanup_free_ char *id = NULL, *esc = NULL, *path = NULL;

        if (!rhttp_ok(resp) || cppm_sessions(resp->body, resp->body_len, NULL, &id) < 0) {
                _cleanup_free_ char *e = rhttp_ok(resp) ? xstrdup("unreadable answer") :
                                                          rhttp_error(resp, "ClearPass sessions");
                log_warning("%s: cannot find the session of %s to disconnect it: %s", j->resp->name,
                            x->macs[x->cur], e);
                x->cur++;
                next_mac(x);
                return;
        }
        if (!id) {
                log_debug("%s: %s has no active session to disconnect", j->resp->name, x->macs[x->cur]);
                x->cur++;
                next_mac(x);
                return;
        }
        esc = rjob_escape(id);
        path = xasprintf("/api/session/%s/disconnect", esc);
        (void) rjob_http(j, &(RJobReq) { .method = "POST", .path = path, .body = "{\"confirm_disconnect\":\"1\"}" },
                         on_disconnect);
}

static void on_patch(RJob *j, const HttpResponse *resp)
{
        CpJob *x = (CpJob *) j;
        const char *mac = x->macs[x->cur];

        if (rhttp_ok(resp))
                rjob_ok(j, mac);
        else if (resp->status == 404 && !x->block) {
                log_info("%s: ClearPass no longer knows endpoint %s", j->resp->name, mac);
                rjob_ok(j, mac);
                x->cur++;
                next_mac(x);
                return;
        } else if (resp->status == 404)
                rjob_fail(j, -ENOENT, false, "ClearPass has no endpoint %s", mac);
        else {
                _cleanup_free_ char *what = xasprintf("ClearPass endpoint %s", mac);
                rjob_fail_http(j, resp, what);
        }
        if (rhttp_ok(resp) && x->cp->disconnect) {
                _cleanup_free_ char *path = session_query(mac, true);
                (void) rjob_http(j, &(RJobReq) { .path = path }, on_mac_sessions);
                return;
        }
        x->cur++;
        next_mac(x);
}

static void next_mac(CpJob *x)
{
        RJob *j = &x->j;
        char lower[MAC_STR_MAX];
        _cleanup_free_ char *path = NULL, *body = NULL;

        if (j->cancelled && j->r == 0)
                rjob_fail(j, -ECANCELED, true, "cancelled");
        if (!x->macs || !x->macs[x->cur] || j->cancelled) {
                job_end(x);
                return;
        }
        /* ClearPass shows MACs in lower case */
        (void) mac_normalize(x->macs[x->cur], MAC_LOWER_COLON, lower);
        path = xasprintf("/api/endpoint/mac-address/%s", lower);
        body = cppm_endpoint_patch(lower, x->cp->attribute, x->block);
        (void) rjob_http(j, &(RJobReq) { .method = "PATCH", .path = path, .body = body }, on_patch);
}

static void on_ip_sessions(RJob *j, const HttpResponse *resp)
{
        CpJob *x = (CpJob *) j;

        if (!rhttp_ok(resp)) {
                rjob_fail_http(j, resp, "ClearPass sessions by address");
                job_end(x);
                return;
        }
        if (cppm_sessions(resp->body, resp->body_len, &x->macs, NULL) < 0) {
                rjob_fail(j, -EBADMSG, true, "ClearPass sessions by address: unreadable answer");
                job_end(x);
                return;
        }
        if (!x->macs && x->block) {
                rjob_fail(j, -ENXIO, false, "no MAC address for %s: the source reported none and ClearPass has "
                          "no active session for it", x->ip);
                job_end(x);
                return;
        }
        next_mac(x);
}

static int cppm_start(Responder *r, const Entity *e, bool block, const char *const *elements, size_t n,
                      ResponderDone cb, void *userdata)
{
        Cppm *cp = r->priv;
        CpJob *x;

        if (!cp || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (CpJob *) rjob_new(&cp->client, r, sizeof(CpJob), cb, userdata);
        x->j.cleanup = job_free;
        x->cp = cp;
        x->block = block;
        x->ip = xstrdup(e->value);
        for (size_t i = 0; !block && i < n; i++)
                if (!mac_set_add(&x->macs, elements[i], MAC_UPPER_COLON)) {
                        char m[MAC_STR_MAX];
                        if (mac_normalize(elements[i], MAC_UPPER_COLON, m) < 0)
                                rjob_ok(&x->j, elements[i]);    /* no MAC: nothing to undo here */
                }
        if (block || n == 0)
                for (size_t i = 0; e->attrs.macs && e->attrs.macs[i]; i++)
                        (void) mac_set_add(&x->macs, e->attrs.macs[i], MAC_UPPER_COLON);

        if (r->simulation) {
                for (size_t i = 0; x->macs && x->macs[i]; i++) {
                        log_info("%s: simulation: would set %s = %s on ClearPass endpoint %s", r->name, cp->attribute,
                                 block ? "true" : "false", x->macs[i]);
                        rjob_ok(&x->j, x->macs[i]);
                }
                job_end(x);
                return 0;
        }
        if (!x->macs && (block || n == 0)) {
                _cleanup_free_ char *path = session_query(x->ip, false);
                (void) rjob_http(&x->j, &(RJobReq) { .path = path }, on_ip_sessions);
                return 0;
        }
        next_mac(x);
        return 0;
}

static int cppm_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return cppm_start(r, e, true, NULL, 0, cb, userdata);
}

static int cppm_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                        void *userdata)
{
        return cppm_start(r, e, false, elements, n, cb, userdata);
}

static void on_me(RJob *j, const HttpResponse *resp)
{
        CpJob *x = (CpJob *) j;

        if (!rhttp_ok(resp))
                rjob_fail_http(j, resp, "ClearPass /api/oauth/me");
        else
                rjob_detail(j, "ClearPass issued a token to client '%s' and accepts it", x->cp->client_id);
        job_end(x);
}

static int cppm_test(Responder *r, ResponderDone cb, void *userdata)
{
        Cppm *cp = r->priv;
        CpJob *x;

        if (!cp || !cb || !r->loop)
                return -EINVAL;
        x = (CpJob *) rjob_new(&cp->client, r, sizeof(CpJob), cb, userdata);
        x->j.cleanup = job_free;
        x->cp = cp;
        (void) rjob_http(&x->j, &(RJobReq) { .path = "/api/oauth/me" }, on_me);
        return 0;
}

const ResponderOps clearpass_ops = {
        .module = "clearpass",
        .client_name = "ClearPass Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Cppm),
        .configure = cppm_configure,
        .done = cppm_done,
        .block = cppm_block,
        .unblock = cppm_unblock,
        .cancel_all = cppm_cancel_all,
        .test = cppm_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
