/* SPDX-License-Identifier: MIT */
/* cisco_ise ("ISE Client", responders.md §5.1): quarantines a host's MACs
 * with an ANC policy through ISE's ERS API.
 *
 *   { name = "ise"; type = "cisco_ise"; url = "https://ise.example.com";
 *     username = "ers-admin"; password = "env:ISE_PASSWORD"; }
 *
 * Block: the host's MACs are those the source reported plus those of its
 * active sessions in MnT (GET /admin/API/mnt/Session/ActiveList, matched
 * on the exact IP); for each MAC, the bounce policy is applied (its answer
 * ignored, as upstream), then after a pause the quarantine policy
 * (PUT :9060/ers/config/ancendpoint/apply).  204, or a "Radius Failure"
 * (the policy holds, the CoA failed), or "already" applied, is success.
 * Elements: the MACs, upper-case colon form.
 *
 * Unblock: PUT .../ancendpoint/clear for each stored MAC; "not found" or
 * "not associated" is success.  With no stored MAC (a block taken over
 * from elsewhere) the MACs are looked up as for a block.
 *
 * csrf = true (the original's ENHANCED): ERS CSRF protection is on, every
 * PUT carries the token and cookie of GET .../versioninfo with
 * X-CSRF-TOKEN: fetch.  The token is kept until ISE refuses it (403), then
 * fetched again and the PUT sent once more. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_ise_parse.h"
#include "responders/macaddr.h"
#include "responders/rjob.h"

typedef struct Ise {
        RHttpConf http;
        char *ers_url;
        char *username;
        Secret password;
        char *quarantine_policy;
        char *bounce_policy;
        uint64_t bounce_pause_ms;
        bool csrf;
        bool mnt_lookup;
        RClient client;
        char *ers_base;                 /* ers_url or derived from url */
} Ise;

static const RsOpt ise_opts[] = {
        RHTTP_OPTS(Ise, http, "ISE_APPLIANCE_IP"),
        { "ers_url", RS_URL, offsetof(Ise, ers_url) },
        { "username", RS_STRING, offsetof(Ise, username), .required = true },
        { "password", RS_SECRET, offsetof(Ise, password), .required = true },
        { "quarantine_policy", RS_STRING, offsetof(Ise, quarantine_policy), .required = true,
          .def = "Quarantine", .var = "QUARANTAINE_POLICY" },
        { "bounce_policy", RS_STRING, offsetof(Ise, bounce_policy), .def = "PortBounce",
          .var = "PORTBOUNCE_POLICY" },
        { "bounce_pause", RS_DURATION, offsetof(Ise, bounce_pause_ms), 0, 60, .def = "1s" },
        { "csrf", RS_BOOL, offsetof(Ise, csrf), .def = "false", .var = "ENHANCED" },
        { "mnt_lookup", RS_BOOL, offsetof(Ise, mnt_lookup), .def = "true" },
        {}
};

#define MNT_ACTIVE_LIST "/admin/API/mnt/Session/ActiveList"

typedef struct IseJob {
        RJob j;
        Ise *ise;
        bool block;
        char *ip;
        char **macs;
        size_t cur;
        char *mnt_error;
} IseJob;

/* ---- credentials --------------------------------------------------------- */

/* Basic on every call; with CSRF on, the cached token and its cookie
 * ("token\tcookie"). */
static char **ise_headers(void *owner, const char *cred, const RJobReq *req)
{
        Ise *ise = owner;
        char **h = NULL;
        char *basic = rjob_basic(ise->username, ise->password.value);

        (void) req;
        h = strv_push(h, basic);
        rjob_wipe_free(basic);
        if (cred) {
                const char *tab = strchr(cred, '\t');
                char *t = xasprintf("X-CSRF-Token: %.*s", (int) (tab ? tab - cred : (long) strlen(cred)), cred);
                h = strv_push(h, t);
                rjob_wipe_free(t);
                if (tab && tab[1]) {
                        char *c = xasprintf("Cookie: %s", tab + 1);
                        h = strv_push(h, c);
                        rjob_wipe_free(c);
                }
        }
        return h;
}

static bool ise_refused(void *owner, const HttpResponse *resp)
{
        (void) owner;
        /* a stale CSRF token: ISE answers 403 */
        return resp->status == 403;
}

static void on_csrf(const HttpResponse *resp, void *userdata)
{
        Ise *ise = userdata;
        const char *tok = http_response_header(resp, "X-CSRF-Token");
        char *cookies = NULL, *cred;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "ISE CSRF token (GET ers/config/ancendpoint/versioninfo)");
                rauth_fail(&ise->client.auth, e, rhttp_transient(resp));
                return;
        }
        if (!tok || !tok[0] || !strcasecmp(tok, "fetch")) {
                rauth_fail(&ise->client.auth, "ISE gave no X-CSRF-Token: is CSRF protection on in ISE "
                           "(csrf = true here)?", false);
                return;
        }
        for (size_t i = 0; i < resp->n_headers; i++) {
                const char *v = resp->headers[i].value;
                char *n;
                if (strcasecmp(resp->headers[i].name, "Set-Cookie"))
                        continue;
                n = cookies ? xasprintf("%s; %.*s", cookies, (int) strcspn(v, ";"), v) :
                              xstrndup(v, strcspn(v, ";"));
                rjob_wipe_free(cookies);
                cookies = n;
        }
        cred = xasprintf("%s\t%s", tok, cookies ? cookies : "");
        rauth_set(&ise->client.auth, cred, 0);
        rjob_wipe_free(cred);
        rjob_wipe_free(cookies);
}

static int ise_fetch_csrf(RAuth *a, void *owner)
{
        Ise *ise = owner;
        _cleanup_free_ char *url = xasprintf("%s/ers/config/ancendpoint/versioninfo", ise->ers_base);
        char **h = ise_headers(ise, NULL, NULL);
        int r;

        (void) a;
        h = strv_push(h, "X-CSRF-TOKEN: fetch");
        h = strv_push(h, "Accept: application/json");
        r = rhttp_start(&ise->client.http,
                        &(RHttpRequest) { .path = url, .headers = (const char *const *) h }, on_csrf, ise);
        rjob_wipe_strv(h);
        return r;
}

/* ---- configuration ------------------------------------------------------- */

static int ise_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Ise *ise = r->priv;
        int k = rsettings_read(g, "cisco_ise", ise_opts, ise, errs, n_errs);

        if (k < 0)
                return k;
        ise->ers_base = ise->ers_url ? xstrdup(ise->ers_url) : ise_ers_url(ise->http.url);
        if (!ise->ers_base) {
                rsettings_err(errs, n_errs, g, "cannot derive the ERS URL from url; set ers_url");
                return -EINVAL;
        }
        rclient_init(&ise->client, r, &ise->http, ise);
        ise->client.headers = ise_headers;
        if (ise->csrf) {
                ise->client.fetch = ise_fetch_csrf;
                ise->client.auth_failed = ise_refused;
        }
        return 0;
}

static void ise_done(Responder *r)
{
        Ise *ise = r->priv;

        if (!ise)
                return;
        rclient_done(&ise->client);
        free(ise->ers_base);
        rsettings_free(ise_opts, ise);
}

static void ise_cancel_all(Responder *r)
{
        Ise *ise = r->priv;

        rclient_cancel_all(&ise->client);
}

/* ---- block and unblock ----------------------------------------------------- */

static void job_free(RJob *j)
{
        IseJob *x = (IseJob *) j;

        free(x->ip);
        strv_free(x->macs);
        free(x->mnt_error);
        x->ip = NULL;
        x->macs = NULL;
        x->mnt_error = NULL;
}

static void job_end(IseJob *x)
{
        rjob_finish(&x->j);
}

static void next_mac(IseJob *x);

static char *ers_path(IseJob *x, const char *op)
{
        return xasprintf("%s/ers/config/ancendpoint/%s", x->ise->ers_base, op);
}

static void on_final(RJob *j, const HttpResponse *resp)
{
        IseJob *x = (IseJob *) j;
        const char *mac = x->macs[x->cur];
        _cleanup_free_ char *title = NULL;
        IseOutcome o = ise_ers_outcome(resp->status, resp->body, resp->body_len, !x->block,
                                       &title);

        switch (o) {
        case ISE_APPLIED:
                rjob_ok(j, mac);
                break;
        case ISE_RADIUS_FAILURE:
                log_notice("%s: %s holds policy '%s' but ISE could not send the CoA (Radius Failure)",
                           j->resp->name, mac, x->ise->quarantine_policy);
                rjob_ok(j, mac);
                break;
        case ISE_ALREADY:
        case ISE_NOT_FOUND:
                log_debug("%s: %s %s: %s", j->resp->name, x->block ? "apply" : "clear", mac,
                          title ? title : "nothing to do");
                rjob_ok(j, mac);
                break;
        default:
                if (resp->status == 403 && !x->ise->csrf)
                        rjob_fail(j, -EACCES, false, "ISE %s %s: HTTP 403: is ERS CSRF protection on in ISE? "
                                  "Then set csrf = true", x->block ? "apply" : "clear", mac);
                else {
                        _cleanup_free_ char *what = xasprintf("ISE %s %s to %s", x->block ? "apply" : "clear",
                                                              x->ise->quarantine_policy, mac);
                        rjob_fail_http(j, resp, what);
                }
        }
        x->cur++;
        next_mac(x);
}

static void send_final(RJob *j)
{
        IseJob *x = (IseJob *) j;
        _cleanup_free_ char *body = ise_anc_body(x->macs[x->cur], x->ise->quarantine_policy);
        _cleanup_free_ char *path = ers_path(x, x->block ? "apply" : "clear");

        (void) rjob_http(j, &(RJobReq) { .method = "PUT", .path = path, .body = body }, on_final);
}

static void on_bounce(RJob *j, const HttpResponse *resp)
{
        IseJob *x = (IseJob *) j;

        /* upstream ignores it: the bounce only hurries re-authentication */
        if (!rhttp_ok(resp))
                log_debug("%s: bounce policy '%s' on %s: HTTP %ld, ignored", j->resp->name, x->ise->bounce_policy,
                          x->macs[x->cur], resp->status);
        if (resp->r == -ECANCELED) {
                rjob_fail(j, -ECANCELED, true, "cancelled");
                job_end(x);
                return;
        }
        if (x->ise->bounce_pause_ms)
                (void) rjob_sleep(j, x->ise->bounce_pause_ms, send_final);
        else
                send_final(j);
}

static void next_mac(IseJob *x)
{
        RJob *j = &x->j;

        if (j->cancelled && j->r == 0)
                rjob_fail(j, -ECANCELED, true, "cancelled");
        if (!x->macs || !x->macs[x->cur] || j->cancelled) {
                job_end(x);
                return;
        }
        if (x->block && x->ise->bounce_policy[0]) {
                _cleanup_free_ char *body = ise_anc_body(x->macs[x->cur], x->ise->bounce_policy);
                _cleanup_free_ char *path = ers_path(x, "apply");
                (void) rjob_http(j, &(RJobReq) { .method = "PUT", .path = path, .body = body }, on_bounce);
                return;
        }
        send_final(j);
}

/* The MACs are known: act, or say why nothing can be done. */
static void act(IseJob *x)
{
        RJob *j = &x->j;

        if (!x->macs) {
                if (x->mnt_error)
                        rjob_fail(j, -ENXIO, j->transient, "no MAC address for %s: the source reported none and %s",
                                  x->ip, x->mnt_error);
                else if (x->block)
                        rjob_fail(j, -ENXIO, false, "no MAC address for %s: the source reported none and ISE "
                                  "has no active session for it", x->ip);
                job_end(x);
                return;
        }
        next_mac(x);
}

static void on_sessions(RJob *j, const HttpResponse *resp)
{
        IseJob *x = (IseJob *) j;
        int n;

        if (!rhttp_ok(resp)) {
                x->mnt_error = rhttp_error(resp, "ISE MnT ActiveList");
                /* the source's MACs suffice; without them the failure decides */
                if (!x->macs)
                        j->transient = rhttp_transient(resp);
                else
                        log_warning("%s: %s; using the source's MACs only", j->resp->name, x->mnt_error);
                act(x);
                return;
        }
        n = ise_active_list_macs(resp->body, resp->body_len, x->ip, &x->macs);
        if (n < 0) {
                x->mnt_error = xstrdup("ISE MnT ActiveList: the answer is not an activeList document");
                if (x->macs)
                        log_warning("%s: %s; using the source's MACs only", j->resp->name, x->mnt_error);
        }
        act(x);
}

static int ise_start(Responder *r, const Entity *e, bool block, const char *const *elements, size_t n,
                     ResponderDone cb, void *userdata)
{
        Ise *ise = r->priv;
        IseJob *x;

        if (!ise || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (IseJob *) rjob_new(&ise->client, r, sizeof(IseJob), cb, userdata);
        x->j.cleanup = job_free;
        x->ise = ise;
        x->block = block;
        x->ip = xstrdup(e->value);
        for (size_t i = 0; !block && i < n; i++) {
                char m[MAC_STR_MAX];
                /* a stored element that is no MAC (VAR's, another tool's)
                 * has nothing to clear here */
                if (mac_normalize(elements[i], MAC_UPPER_COLON, m) < 0)
                        rjob_ok(&x->j, elements[i]);
                else
                        (void) mac_set_add(&x->macs, m, MAC_UPPER_COLON);
        }
        if (block || n == 0)
                for (size_t i = 0; e->attrs.macs && e->attrs.macs[i]; i++)
                        (void) mac_set_add(&x->macs, e->attrs.macs[i], MAC_UPPER_COLON);

        if (r->simulation) {
                for (size_t i = 0; x->macs && x->macs[i]; i++) {
                        log_info("%s: simulation: would %s ANC policy '%s' %s %s", r->name,
                                 block ? "apply" : "clear", ise->quarantine_policy, block ? "to" : "from",
                                 x->macs[i]);
                        rjob_ok(&x->j, x->macs[i]);
                }
                job_end(x);
                return 0;
        }
        if (ise->mnt_lookup && (block || n == 0)) {
                (void) rjob_http(&x->j, &(RJobReq) { .path = MNT_ACTIVE_LIST, .accept = "application/xml", .no_auth = true },
                                 on_sessions);
                return 0;
        }
        act(x);
        return 0;
}

static int ise_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return ise_start(r, e, true, NULL, 0, cb, userdata);
}

static int ise_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                       void *userdata)
{
        return ise_start(r, e, false, elements, n, cb, userdata);
}

/* ---- test ------------------------------------------------------------------ */

static void on_test_policy(RJob *j, const HttpResponse *resp)
{
        IseJob *x = (IseJob *) j;

        if (resp->status == 404)
                rjob_fail(j, -ENOENT, false, "ISE has no ANC policy named '%s'", x->ise->quarantine_policy);
        else if (!rhttp_ok(resp))
                rjob_fail_http(j, resp, "ISE ERS ancpolicy");
        else
                rjob_detail(j, "ISE ERS answers with these credentials; ANC policy '%s' exists",
                            x->ise->quarantine_policy);
        job_end(x);
}

static void on_test_version(RJob *j, const HttpResponse *resp)
{
        IseJob *x = (IseJob *) j;
        _cleanup_free_ char *esc = NULL, *path = NULL;

        if (!rhttp_ok(resp)) {
                rjob_fail_http(j, resp, "ISE ERS versioninfo");
                job_end(x);
                return;
        }
        esc = rjob_escape(x->ise->quarantine_policy);
        path = xasprintf("%s/ers/config/ancpolicy/name/%s", x->ise->ers_base, esc);
        (void) rjob_http(j, &(RJobReq) { .path = path, .no_auth = true }, on_test_policy);
}

static int ise_test(Responder *r, ResponderDone cb, void *userdata)
{
        Ise *ise = r->priv;
        IseJob *x;
        _cleanup_free_ char *path = NULL;

        if (!ise || !cb || !r->loop)
                return -EINVAL;
        x = (IseJob *) rjob_new(&ise->client, r, sizeof(IseJob), cb, userdata);
        x->j.cleanup = job_free;
        x->ise = ise;
        path = xasprintf("%s/ers/config/ancendpoint/versioninfo", ise->ers_base);
        (void) rjob_http(&x->j, &(RJobReq) { .path = path, .no_auth = true }, on_test_version);
        return 0;
}

const ResponderOps cisco_ise_ops = {
        .module = "cisco_ise",
        .client_name = "ISE Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Ise),
        .configure = ise_configure,
        .done = ise_done,
        .block = ise_block,
        .unblock = ise_unblock,
        .cancel_all = ise_cancel_all,
        .test = ise_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
