/* SPDX-License-Identifier: MIT */
/* pulse_nac ("Pulse NAC Client", responders.md §5.4): quarantines a host
 * with Pulse Secure / Ivanti Policy Secure through its REST integration
 * API.
 *
 *   { name = "pps"; type = "pulse_nac"; url = "https://pps.example.com";
 *     username = "api-admin"; password = "env:PPS_PASSWORD"; }
 *
 * Auth: GET /api/v1/auth with HTTP Basic user:password gives an API key,
 * sent afterwards as Basic "<key>:".  The key is kept in memory (the
 * original signed a cache file with an SSH key pair) and fetched again
 * when the appliance refuses it.
 *
 * Block: PUT /api/v1/integration/sessions
 * {"event-name":"quarantine-endpoint","srcip":IP} (204), then GET
 * /api/v1/integration/sessions/IP for the session's MACs: the elements.
 *
 * Unblock: for each stored MAC (or those of the IP's sessions when none is
 * stored), PUT {"event-name":"clear-quarantined-endpoint","macaddr":MAC};
 * 400 (the appliance does not know the endpoint) counts as done.  The
 * original returned the IP as an element when it found no MAC, which VAR
 * then failed to remove. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/macaddr.h"
#include "responders/pulse_nac_parse.h"
#include "responders/rjob.h"

#define SESSIONS "/api/v1/integration/sessions"

typedef struct Pulse {
        RHttpConf http;
        char *username;
        Secret password;
        RClient client;
} Pulse;

static const RsOpt pulse_opts[] = {
        RHTTP_OPTS(Pulse, http, "PULSE_APPLIANCE"),
        { "username", RS_STRING, offsetof(Pulse, username), .required = true },
        { "password", RS_SECRET, offsetof(Pulse, password), .required = true },
        {}
};

typedef struct PJob {
        RJob j;
        Pulse *p;
        bool block;
        char *ip;
        char **macs;
        size_t cur;
} PJob;

static char **pulse_headers(void *owner, const char *cred, const RJobReq *req)
{
        char *b = rjob_basic(cred ? cred : "", "");
        char **v = strv_push(NULL, b);

        (void) owner;
        (void) req;
        rjob_wipe_free(b);
        return v;
}

static void on_key(const HttpResponse *resp, void *userdata)
{
        Pulse *p = userdata;
        char *key;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "Pulse API key (GET /api/v1/auth)");
                rauth_fail(&p->client.auth, e, rhttp_transient(resp));
                return;
        }
        key = pulse_api_key(resp->body, resp->body_len);
        if (!key) {
                rauth_fail(&p->client.auth, "Pulse API key: no api_key in the answer", true);
                return;
        }
        rauth_set(&p->client.auth, key, 0);
        rjob_wipe_free(key);
}

static int pulse_fetch(RAuth *a, void *owner)
{
        Pulse *p = owner;
        char *b = rjob_basic(p->username, p->password.value);
        const char *h[] = { b, "Accept: application/json", NULL };
        int r;

        (void) a;
        r = rhttp_start(&p->client.http, &(RHttpRequest) { .path = "/api/v1/auth", .headers = h }, on_key, p);
        rjob_wipe_free(b);
        return r;
}

static int pulse_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Pulse *p = r->priv;
        int k = rsettings_read(g, "pulse_nac", pulse_opts, p, errs, n_errs);

        if (k < 0)
                return k;
        rclient_init(&p->client, r, &p->http, p);
        p->client.headers = pulse_headers;
        p->client.fetch = pulse_fetch;
        return 0;
}

static void pulse_done(Responder *r)
{
        Pulse *p = r->priv;

        if (!p)
                return;
        rclient_done(&p->client);
        rsettings_free(pulse_opts, p);
}

static void pulse_cancel_all(Responder *r)
{
        Pulse *p = r->priv;

        rclient_cancel_all(&p->client);
}

static void job_free(RJob *j)
{
        PJob *x = (PJob *) j;

        free(x->ip);
        strv_free(x->macs);
        x->ip = NULL;
        x->macs = NULL;
}

static void job_end(PJob *x)
{
        rjob_finish(&x->j);
}

static void next_clear(PJob *x);

static void on_cleared(RJob *j, const HttpResponse *resp)
{
        PJob *x = (PJob *) j;
        const char *mac = x->macs[x->cur];

        if (rhttp_ok(resp))
                rjob_ok(j, mac);
        else if (resp->status == 400) {
                /* the appliance does not know the endpoint any more */
                log_info("%s: Pulse does not know %s: nothing to clear", j->resp->name, mac);
                rjob_ok(j, mac);
        } else {
                _cleanup_free_ char *what = xasprintf("Pulse clear-quarantined-endpoint %s", mac);
                rjob_fail_http(j, resp, what);
        }
        x->cur++;
        next_clear(x);
}

static void next_clear(PJob *x)
{
        RJob *j = &x->j;
        _cleanup_free_ char *body = NULL;

        if (j->cancelled && j->r == 0)
                rjob_fail(j, -ECANCELED, true, "cancelled");
        if (!x->macs || !x->macs[x->cur] || j->cancelled) {
                job_end(x);
                return;
        }
        body = pulse_event_body("clear-quarantined-endpoint", "macaddr", x->macs[x->cur]);
        (void) rjob_http(j, &(RJobReq) { .method = "PUT", .path = SESSIONS, .body = body }, on_cleared);
}

static void on_session(RJob *j, const HttpResponse *resp)
{
        PJob *x = (PJob *) j;
        int n = -EBADMSG;

        if (rhttp_ok(resp))
                n = pulse_session_macs(resp->body, resp->body_len, &x->macs);
        if (x->block) {
                /* the quarantine holds: the MACs are only needed to lift it */
                if (n < 0)
                        log_warning("%s: quarantined %s, but cannot read its session's MACs (%s); the unblock "
                                    "will look them up", j->resp->name, x->ip,
                                    rhttp_ok(resp) ? "unreadable answer" : "HTTP error");
                for (size_t i = 0; x->macs && x->macs[i]; i++)
                        rjob_ok(j, x->macs[i]);
                job_end(x);
                return;
        }
        if (resp->status == 404 || (n == 0 && !x->macs)) {
                log_info("%s: Pulse has no session for %s: nothing to clear", j->resp->name, x->ip);
                job_end(x);
                return;
        }
        if (n < 0) {
                if (!rhttp_ok(resp))
                        rjob_fail_http(j, resp, "Pulse sessions of the address");
                else
                        rjob_fail(j, -EBADMSG, true, "Pulse sessions of %s: unreadable answer", x->ip);
                job_end(x);
                return;
        }
        x->cur = 0;
        next_clear(x);
}

static void get_session(PJob *x)
{
        _cleanup_free_ char *esc = rjob_escape(x->ip);
        _cleanup_free_ char *path = xasprintf(SESSIONS "/%s", esc);

        (void) rjob_http(&x->j, &(RJobReq) { .path = path }, on_session);
}

static void on_quarantined(RJob *j, const HttpResponse *resp)
{
        PJob *x = (PJob *) j;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("Pulse quarantine-endpoint %s", x->ip);
                rjob_fail_http(j, resp, what);
                job_end(x);
                return;
        }
        get_session(x);
}

static int pulse_start(Responder *r, const Entity *e, bool block, const char *const *elements, size_t n,
                       ResponderDone cb, void *userdata)
{
        Pulse *p = r->priv;
        PJob *x;

        if (!p || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (PJob *) rjob_new(&p->client, r, sizeof(PJob), cb, userdata);
        x->j.cleanup = job_free;
        x->p = p;
        x->block = block;
        x->ip = xstrdup(e->value);
        for (size_t i = 0; !block && i < n; i++) {
                char m[MAC_STR_MAX];
                if (mac_normalize(elements[i], MAC_UPPER_COLON, m) < 0)
                        rjob_ok(&x->j, elements[i]);    /* no MAC: nothing to clear */
                else
                        (void) mac_set_add(&x->macs, m, MAC_UPPER_COLON);
        }
        /* the source's MACs are recorded too: they are what the unblock clears */
        for (size_t i = 0; block && e->attrs.macs && e->attrs.macs[i]; i++)
                (void) mac_set_add(&x->macs, e->attrs.macs[i], MAC_UPPER_COLON);

        if (r->simulation) {
                log_info("%s: simulation: would %s %s", r->name, block ? "quarantine" : "release", x->ip);
                for (size_t i = 0; x->macs && x->macs[i]; i++)
                        rjob_ok(&x->j, x->macs[i]);
                job_end(x);
                return 0;
        }
        if (block) {
                _cleanup_free_ char *body = pulse_event_body("quarantine-endpoint", "srcip", x->ip);
                (void) rjob_http(&x->j, &(RJobReq) { .method = "PUT", .path = SESSIONS, .body = body },
                                 on_quarantined);
        } else if (!x->macs)
                get_session(x);
        else
                next_clear(x);
        return 0;
}

static int pulse_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return pulse_start(r, e, true, NULL, 0, cb, userdata);
}

static int pulse_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                         void *userdata)
{
        return pulse_start(r, e, false, elements, n, cb, userdata);
}

static void on_sysinfo(RJob *j, const HttpResponse *resp)
{
        PJob *x = (PJob *) j;

        if (!rhttp_ok(resp))
                rjob_fail_http(j, resp, "Pulse system-information");
        else
                rjob_detail(j, "Pulse gave an API key for '%s' and accepts it", x->p->username);
        job_end(x);
}

static int pulse_test(Responder *r, ResponderDone cb, void *userdata)
{
        Pulse *p = r->priv;
        PJob *x;

        if (!p || !cb || !r->loop)
                return -EINVAL;
        x = (PJob *) rjob_new(&p->client, r, sizeof(PJob), cb, userdata);
        x->j.cleanup = job_free;
        x->p = p;
        (void) rjob_http(&x->j, &(RJobReq) { .path = "/api/v1/system/system-information" }, on_sysinfo);
        return 0;
}

const ResponderOps pulse_nac_ops = {
        .module = "pulse_nac",
        .client_name = "Pulse NAC Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Pulse),
        .configure = pulse_configure,
        .done = pulse_done,
        .block = pulse_block,
        .unblock = pulse_unblock,
        .cancel_all = pulse_cancel_all,
        .test = pulse_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
