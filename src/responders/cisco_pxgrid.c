/* SPDX-License-Identifier: MIT */
/* cisco_pxgrid ("PxGrid Client", responders.md §5.2): applies an ISE ANC
 * policy to a host's MACs through pxGrid 2.0, as a client authenticated by
 * its certificate.
 *
 *   { name = "pxgrid"; type = "cisco_pxgrid"; url = "https://ise.example.com:8910";
 *     node_name = "secresp"; client_cert = "/etc/secresp/pxgrid.pem";
 *     client_key = "/etc/secresp/pxgrid.key"; client_key_password = "cred:pxgrid-key"; }
 *
 * Control (on url, HTTP Basic node name and password, the password empty
 * for certificate accounts): AccountActivate (a PENDING account waits for
 * an administrator: a transient failure), ServiceLookup of
 * com.cisco.ise.config.anc and com.cisco.ise.session, AccessSecret for
 * each service's node.  The result is kept as one credential and fetched
 * again when a service refuses its secret (401).
 *
 * Block: the MACs are the source's and that of the host's session
 * (getSessionByIpAddress); each gets applyEndpointByMacAddress with the
 * quarantine policy; "already associated" counts as done.  Elements: the
 * MACs.  Unblock: clearEndpointByMacAddress for each stored MAC; "not
 * associated" counts as done. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_pxgrid_parse.h"
#include "responders/macaddr.h"
#include "responders/rjob.h"

#define SVC_ANC "com.cisco.ise.config.anc"
#define SVC_SESSION "com.cisco.ise.session"

enum { TAG_ANC, TAG_SESSION };

typedef enum Step {
        STEP_ACTIVATE,
        STEP_LOOKUP_ANC,
        STEP_SECRET_ANC,
        STEP_LOOKUP_SESSION,
        STEP_SECRET_SESSION,
} Step;

typedef struct Px {
        RHttpConf http;
        char *node_name;
        Secret password;
        char *client_cert;
        char *client_key;
        Secret key_password;
        char *quarantine_policy;
        char *description;
        bool session_lookup;
        RClient client;
        /* the control exchange in progress */
        Step step;
        char *anc_url, *anc_node, *anc_secret, *sess_url, *sess_node, *sess_secret;
} Px;

static const RsOpt px_opts[] = {
        RHTTP_OPTS(Px, http, "ISE_APPLIANCE_IP"),
        { "node_name", RS_STRING, offsetof(Px, node_name), .required = true, .var = "Username" },
        { "password", RS_SECRET, offsetof(Px, password), .var = "Password" },
        { "client_cert", RS_PATH, offsetof(Px, client_cert), .required = true },
        { "client_key", RS_PATH, offsetof(Px, client_key) },
        { "client_key_password", RS_SECRET, offsetof(Px, key_password), .var = "Priv_Key_Pass" },
        { "quarantine_policy", RS_STRING, offsetof(Px, quarantine_policy), .required = true,
          .def = "Quarantine", .var = "QUARANTAINE_POLICY" },
        { "description", RS_STRING, offsetof(Px, description), .def = "secresp" },
        { "session_lookup", RS_BOOL, offsetof(Px, session_lookup), .def = "true" },
        {}
};

typedef struct PxJob {
        RJob j;
        Px *px;
        bool block;
        bool test;
        char *ip;
        char **macs;
        size_t cur;
        char *anc_url, *sess_url;
} PxJob;

/* ---- control: account, services, secrets ---------------------------------- */

static void ctl_reset(Px *px)
{
        rjob_wipe_free(px->anc_secret);
        rjob_wipe_free(px->sess_secret);
        free(px->anc_url);
        free(px->anc_node);
        free(px->sess_url);
        free(px->sess_node);
        px->anc_url = px->anc_node = px->anc_secret = NULL;
        px->sess_url = px->sess_node = px->sess_secret = NULL;
}

static void ctl_fail(Px *px, const char *err, bool transient)
{
        ctl_reset(px);
        rauth_fail(&px->client.auth, err, transient);
}

static void ctl_next(Px *px);

static void ctl_done(Px *px)
{
        char *cred = xasprintf("%s\t%s\t%s\t%s", px->anc_url, px->anc_secret, px->sess_url ? px->sess_url : "",
                               px->sess_secret ? px->sess_secret : "");

        ctl_reset(px);
        rauth_set(&px->client.auth, cred, 0);
        rjob_wipe_free(cred);
}

static void on_ctl(const HttpResponse *resp, void *userdata)
{
        static const char *const names[] = {
                [STEP_ACTIVATE] = "pxGrid AccountActivate",
                [STEP_LOOKUP_ANC] = "pxGrid ServiceLookup " SVC_ANC,
                [STEP_SECRET_ANC] = "pxGrid AccessSecret (ANC node)",
                [STEP_LOOKUP_SESSION] = "pxGrid ServiceLookup " SVC_SESSION,
                [STEP_SECRET_SESSION] = "pxGrid AccessSecret (session node)",
        };
        Px *px = userdata;
        PxAccount st;
        int k;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, names[px->step]);
                ctl_fail(px, e, rhttp_transient(resp));
                return;
        }
        switch (px->step) {
        case STEP_ACTIVATE:
                if (px_account_state(resp->body, resp->body_len, &st) < 0) {
                        ctl_fail(px, "pxGrid AccountActivate: unreadable answer", true);
                        return;
                }
                if (st == PX_PENDING) {
                        _cleanup_free_ char *e = xasprintf("pxGrid account '%s' waits for approval in ISE "
                                                           "(Administration > pxGrid Services)", px->node_name);
                        ctl_fail(px, e, true);
                        return;
                }
                if (st != PX_ENABLED) {
                        _cleanup_free_ char *e = xasprintf("pxGrid account '%s' is disabled in ISE", px->node_name);
                        ctl_fail(px, e, false);
                        return;
                }
                px->step = STEP_LOOKUP_ANC;
                break;
        case STEP_LOOKUP_ANC:
        case STEP_LOOKUP_SESSION: {
                bool anc = px->step == STEP_LOOKUP_ANC;
                char *url = NULL, *node = NULL;
                k = px_service(resp->body, resp->body_len, &url, &node);
                if (k < 0 && (anc || k == -EBADMSG)) {
                        _cleanup_free_ char *e = xasprintf("%s: %s", names[px->step], k == -ENOENT ?
                                                           "no such service is published" : "unreadable answer");
                        ctl_fail(px, e, k == -EBADMSG);
                        return;
                }
                if (anc) {
                        px->anc_url = url;
                        px->anc_node = node;
                        px->step = STEP_SECRET_ANC;
                } else if (k < 0) {
                        log_notice("pxGrid: no session service published; MACs come from the source only");
                        ctl_done(px);
                        return;
                } else {
                        px->sess_url = url;
                        px->sess_node = node;
                        if (!strcmp(node, px->anc_node)) {
                                px->sess_secret = xstrdup(px->anc_secret);
                                ctl_done(px);
                                return;
                        }
                        px->step = STEP_SECRET_SESSION;
                }
                break;
        }
        case STEP_SECRET_ANC:
        case STEP_SECRET_SESSION: {
                char *s = px_secret(resp->body, resp->body_len);
                if (!s) {
                        ctl_fail(px, "pxGrid AccessSecret: no secret in the answer", true);
                        return;
                }
                if (px->step == STEP_SECRET_ANC) {
                        px->anc_secret = s;
                        if (!px->session_lookup) {
                                ctl_done(px);
                                return;
                        }
                        px->step = STEP_LOOKUP_SESSION;
                } else {
                        px->sess_secret = s;
                        ctl_done(px);
                        return;
                }
                break;
        }
        }
        ctl_next(px);
}

static void ctl_next(Px *px)
{
        static const char *const ops[] = {
                [STEP_ACTIVATE] = "AccountActivate",
                [STEP_LOOKUP_ANC] = "ServiceLookup",
                [STEP_SECRET_ANC] = "AccessSecret",
                [STEP_LOOKUP_SESSION] = "ServiceLookup",
                [STEP_SECRET_SESSION] = "AccessSecret",
        };
        cJSON *o = cJSON_CreateObject();
        _cleanup_free_ char *path = xasprintf("/pxgrid/control/%s", ops[px->step]), *body = NULL;
        char *b = rjob_basic(px->node_name, px->password.value);
        const char *h[] = { b, "Accept: application/json", NULL };
        int r;

        switch (px->step) {
        case STEP_ACTIVATE:
                cJSON_AddStringToObject(o, "description", px->description);
                break;
        case STEP_LOOKUP_ANC:
                cJSON_AddStringToObject(o, "name", SVC_ANC);
                break;
        case STEP_LOOKUP_SESSION:
                cJSON_AddStringToObject(o, "name", SVC_SESSION);
                break;
        case STEP_SECRET_ANC:
                cJSON_AddStringToObject(o, "peerNodeName", px->anc_node);
                break;
        case STEP_SECRET_SESSION:
                cJSON_AddStringToObject(o, "peerNodeName", px->sess_node);
                break;
        }
        body = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        r = rhttp_start(&px->client.http, &(RHttpRequest) { .method = "POST", .path = path, .headers = h, .body = body },
                        on_ctl, px);
        rjob_wipe_free(b);
        if (r < 0)
                ctl_fail(px, strerror(-r), true);
}

static int px_fetch(RAuth *a, void *owner)
{
        Px *px = owner;

        (void) a;
        ctl_reset(px);
        px->step = STEP_ACTIVATE;
        ctl_next(px);
        return 0;
}

/* Basic node:secret of the service the request goes to. */
static char **px_headers(void *owner, const char *cred, const RJobReq *req)
{
        Px *px = owner;
        char *secret = px_cred_part(cred, req && req->tag == TAG_SESSION ? 3 : 1);
        char *b = rjob_basic(px->node_name, secret);
        char **h = strv_push(NULL, b);

        rjob_wipe_free(secret);
        rjob_wipe_free(b);
        return h;
}

/* ---- configuration ---------------------------------------------------------- */

static int px_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Px *px = r->priv;
        int k = rsettings_read(g, "cisco_pxgrid", px_opts, px, errs, n_errs);

        if (k < 0)
                return k;
        px->http.client_cert = px->client_cert;
        px->http.client_key = px->client_key;
        px->http.client_key_password = px->key_password.value;
        rclient_init(&px->client, r, &px->http, px);
        px->client.headers = px_headers;
        px->client.fetch = px_fetch;
        return 0;
}

static void px_done(Responder *r)
{
        Px *px = r->priv;

        if (!px)
                return;
        rclient_done(&px->client);
        ctl_reset(px);
        rsettings_free(px_opts, px);
}

static void px_cancel_all(Responder *r)
{
        Px *px = r->priv;

        rclient_cancel_all(&px->client);
}

/* ---- block and unblock ------------------------------------------------------ */

static void job_free(RJob *j)
{
        PxJob *x = (PxJob *) j;

        free(x->ip);
        strv_free(x->macs);
        free(x->anc_url);
        free(x->sess_url);
        x->ip = x->anc_url = x->sess_url = NULL;
        x->macs = NULL;
}

static void job_end(PxJob *x)
{
        rjob_finish(&x->j);
}

static void next_mac(PxJob *x);

static void on_anc(RJob *j, const HttpResponse *resp)
{
        PxJob *x = (PxJob *) j;
        const char *mac = x->macs[x->cur];
        _cleanup_free_ char *why = NULL;
        const char *op = x->block ? "applyEndpointByMacAddress" : "clearEndpointByMacAddress";

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("pxGrid %s %s", op, mac);
                rjob_fail_http(j, resp, what);
        } else
                switch (px_anc_outcome(resp->body, resp->body_len, !x->block, &why)) {
                case PX_DONE:
                        rjob_ok(j, mac);
                        break;
                case PX_ALREADY:
                        log_debug("%s: %s %s: %s", j->resp->name, op, mac, why);
                        rjob_ok(j, mac);
                        break;
                default:
                        rjob_fail(j, -EPROTO, false, "pxGrid %s %s: %s", op, mac, why ? why : "failed");
                }
        x->cur++;
        next_mac(x);
}

static void next_mac(PxJob *x)
{
        RJob *j = &x->j;
        cJSON *o;
        _cleanup_free_ char *body = NULL, *path = NULL;

        if (j->cancelled && j->r == 0)
                rjob_fail(j, -ECANCELED, true, "cancelled");
        if (!x->macs || !x->macs[x->cur] || j->cancelled) {
                job_end(x);
                return;
        }
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "macAddress", x->macs[x->cur]);
        if (x->block)
                cJSON_AddStringToObject(o, "policyName", x->px->quarantine_policy);
        body = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        path = xasprintf("%s/%s", x->anc_url, x->block ? "applyEndpointByMacAddress" : "clearEndpointByMacAddress");
        (void) rjob_http(j, &(RJobReq) { .method = "POST", .path = path, .body = body, .tag = TAG_ANC }, on_anc);
}

static void act(PxJob *x)
{
        if (!x->macs && x->block) {
                rjob_fail(&x->j, -ENXIO, false, "no MAC address for %s: the source reported none and ISE has no "
                          "session for it", x->ip);
                job_end(x);
                return;
        }
        x->cur = 0;
        next_mac(x);
}

static void on_session(RJob *j, const HttpResponse *resp)
{
        PxJob *x = (PxJob *) j;

        if (rhttp_ok(resp)) {
                _cleanup_free_ char *mac = px_session_mac(resp->body, resp->body_len);
                if (mac)
                        (void) mac_set_add(&x->macs, mac, MAC_UPPER_COLON);
        } else {
                _cleanup_free_ char *e = rhttp_error(resp, "pxGrid getSessionByIpAddress");
                if (!x->macs) {
                        rjob_fail_http(j, resp, "pxGrid getSessionByIpAddress");
                        job_end(x);
                        return;
                }
                log_warning("%s: %s; using the source's MACs only", j->resp->name, e);
        }
        act(x);
}

static void on_ready(void *userdata, const char *cred, const char *err, bool transient)
{
        PxJob *x = userdata;
        RJob *j = &x->j;

        if (!cred) {
                rjob_fail(j, transient ? -EAGAIN : -EACCES, transient, "%s", err ? err : "pxGrid control failed");
                job_end(x);
                return;
        }
        x->anc_url = px_cred_part(cred, 0);
        x->sess_url = px_cred_part(cred, 2);
        if (x->test) {
                rjob_detail(j, "pxGrid account '%s' is enabled; ANC service at %s%s%s", x->px->node_name,
                            x->anc_url, x->sess_url[0] ? ", session service at " : "", x->sess_url);
                job_end(x);
                return;
        }
        if (j->cancelled) {
                rjob_fail(j, -ECANCELED, true, "cancelled");
                job_end(x);
                return;
        }
        if (x->sess_url[0] && (x->block || !x->macs)) {
                cJSON *o = cJSON_CreateObject();
                _cleanup_free_ char *body = NULL;
                _cleanup_free_ char *path = xasprintf("%s/getSessionByIpAddress", x->sess_url);
                cJSON_AddStringToObject(o, "ipAddress", x->ip);
                body = cJSON_PrintUnformatted(o);
                cJSON_Delete(o);
                (void) rjob_http(j, &(RJobReq) { .method = "POST", .path = path, .body = body, .tag = TAG_SESSION },
                                 on_session);
                return;
        }
        act(x);
}

static void get_control(PxJob *x)
{
        Px *px = x->px;

        if (!px->client.has_auth) {
                rauth_init(&px->client.auth, x->j.resp->loop, px->client.fetch, px);
                px->client.has_auth = true;
        }
        rauth_get(&px->client.auth, on_ready, x);
}

static int px_start(Responder *r, const Entity *e, bool block, const char *const *elements, size_t n,
                    ResponderDone cb, void *userdata)
{
        Px *px = r->priv;
        PxJob *x;

        if (!px || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (PxJob *) rjob_new(&px->client, r, sizeof(PxJob), cb, userdata);
        x->j.cleanup = job_free;
        x->px = px;
        x->block = block;
        x->ip = xstrdup(e->value);
        for (size_t i = 0; !block && i < n; i++) {
                char m[MAC_STR_MAX];
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
                        log_info("%s: simulation: would %s ANC policy '%s' %s %s", r->name, block ? "apply" : "clear",
                                 px->quarantine_policy, block ? "to" : "from", x->macs[i]);
                        rjob_ok(&x->j, x->macs[i]);
                }
                job_end(x);
                return 0;
        }
        get_control(x);
        return 0;
}

static int px_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return px_start(r, e, true, NULL, 0, cb, userdata);
}

static int px_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                      void *userdata)
{
        return px_start(r, e, false, elements, n, cb, userdata);
}

static int px_test(Responder *r, ResponderDone cb, void *userdata)
{
        Px *px = r->priv;
        PxJob *x;

        if (!px || !cb || !r->loop)
                return -EINVAL;
        x = (PxJob *) rjob_new(&px->client, r, sizeof(PxJob), cb, userdata);
        x->j.cleanup = job_free;
        x->px = px;
        x->test = true;
        /* the control exchange as it stands now, not a cached result */
        if (px->client.has_auth)
                rauth_invalidate(&px->client.auth, px->client.auth.cred);
        get_control(x);
        return 0;
}

const ResponderOps cisco_pxgrid_ops = {
        .module = "cisco_pxgrid",
        .client_name = "PxGrid Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Px),
        .configure = px_configure,
        .done = px_done,
        .block = px_block,
        .unblock = px_unblock,
        .cancel_all = px_cancel_all,
        .test = px_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
