/* SPDX-License-Identifier: MIT */
/* xtreme_networks_nbi ("XtremeNBI", responders.md §5.5): puts a host's MACs
 * on the access-control blacklist of Extreme Networks ExtremeControl
 * (XIQ-SE / XMC) through its Northbound Interface, GraphQL.
 *
 *   { name = "xmc"; type = "xtreme_networks_nbi"; url = "https://xmc.example.com:8443";
 *     client_id = "secresp"; client_secret = "env:XMC_SECRET"; }
 *
 * Auth: POST /oauth/token/access-token?grant_type=client_credentials with
 * HTTP Basic id:secret gives a JWT, renewed before the end of the lifetime
 * its iat and exp give, and when refused.
 *
 * Block: the MACs are the source's and the one endSystemByIp gives for the
 * host's address (the original merged that string into its set character
 * by character); each goes through addMACToBlacklist with reauthenticate,
 * errorCode 0 meaning done.  Elements: the MACs.
 *
 * Unblock: removeMACFromBlacklist for each stored MAC (the original
 * reported every MAC unblocked whatever the outcome). */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/macaddr.h"
#include "responders/rjob.h"
#include "responders/xtreme_nbi_parse.h"

#define GRAPHQL "/nbi/graphql"

typedef struct Nbi {
        RHttpConf http;
        char *client_id;
        Secret client_secret;
        RClient client;
} Nbi;

static const RsOpt nbi_opts[] = {
        RHTTP_OPTS(Nbi, http, "HOSTNAME"),
        { "client_id", RS_STRING, offsetof(Nbi, client_id), .required = true },
        { "client_secret", RS_SECRET, offsetof(Nbi, client_secret), .required = true },
        {}
};

typedef struct NJob {
        RJob j;
        Nbi *n;
        bool block;
        char *ip;
        char **macs;
        size_t cur;
} NJob;

static char **nbi_headers(void *owner, const char *cred, const RJobReq *req)
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
        Nbi *n = userdata;
        cJSON *j;
        const cJSON *t;
        char *tok;
        uint64_t ttl;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *e = rhttp_error(resp, "Extreme NBI token (POST /oauth/token/access-token)");
                rauth_fail(&n->client.auth, e, rhttp_transient(resp));
                return;
        }
        j = rhttp_json(resp);
        t = cJSON_GetObjectItemCaseSensitive(j, "access_token");
        if (!cJSON_IsString(t) || !t->valuestring[0]) {
                cJSON_Delete(j);
                rauth_fail(&n->client.auth, "Extreme NBI token: no access_token in the answer", true);
                return;
        }
        tok = xstrdup(t->valuestring);
        cJSON_Delete(j);
        ttl = nbi_jwt_lifetime(tok);
        rauth_set(&n->client.auth, tok, ttl * 1000);
        rjob_wipe_free(tok);
}

static int nbi_fetch(RAuth *a, void *owner)
{
        Nbi *n = owner;
        char *b = rjob_basic(n->client_id, n->client_secret.value);
        const char *h[] = { b, "Accept: application/json", NULL };
        int r;

        (void) a;
        r = rhttp_start(&n->client.http,
                        &(RHttpRequest) {
                                .method = "POST",
                                .path = "/oauth/token/access-token?grant_type=client_credentials",
                                .headers = h,
                                .body = "grant_type=client_credentials",
                                .content_type = "application/x-www-form-urlencoded",
                        },
                        on_token, n);
        rjob_wipe_free(b);
        return r;
}

static int nbi_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Nbi *n = r->priv;
        int k = rsettings_read(g, "xtreme_networks_nbi", nbi_opts, n, errs, n_errs);

        if (k < 0)
                return k;
        rclient_init(&n->client, r, &n->http, n);
        n->client.headers = nbi_headers;
        n->client.fetch = nbi_fetch;
        return 0;
}

static void nbi_done(Responder *r)
{
        Nbi *n = r->priv;

        if (!n)
                return;
        rclient_done(&n->client);
        rsettings_free(nbi_opts, n);
}

static void nbi_cancel_all(Responder *r)
{
        Nbi *n = r->priv;

        rclient_cancel_all(&n->client);
}

static void job_free(RJob *j)
{
        NJob *x = (NJob *) j;

        free(x->ip);
        strv_free(x->macs);
        x->ip = NULL;
        x->macs = NULL;
}

static void job_end(NJob *x)
{
        rjob_finish(&x->j);
}

static void next_mac(NJob *x);

static void on_listed(RJob *j, const HttpResponse *resp)
{
        NJob *x = (NJob *) j;
        const char *mac = x->macs[x->cur];
        _cleanup_free_ char *err = NULL;
        int k;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("Extreme NBI %s %s", x->block ? "addMACToBlacklist" :
                                                      "removeMACFromBlacklist", mac);
                rjob_fail_http(j, resp, what);
        } else if ((k = nbi_parse_blacklist(resp->body, resp->body_len, x->block, &err)) == 0)
                rjob_ok(j, mac);
        else
                rjob_fail(j, k, k == -EBADMSG, "Extreme NBI %s %s: %s",
                          x->block ? "addMACToBlacklist" : "removeMACFromBlacklist", mac,
                          err ? err : "unreadable answer");
        x->cur++;
        next_mac(x);
}

static void next_mac(NJob *x)
{
        RJob *j = &x->j;
        _cleanup_free_ char *body = NULL;

        if (j->cancelled && j->r == 0)
                rjob_fail(j, -ECANCELED, true, "cancelled");
        if (!x->macs || !x->macs[x->cur] || j->cancelled) {
                job_end(x);
                return;
        }
        body = nbi_mutation_blacklist(x->macs[x->cur], x->block);
        (void) rjob_http(j, &(RJobReq) { .method = "POST", .path = GRAPHQL, .body = body }, on_listed);
}

static void on_mac_by_ip(RJob *j, const HttpResponse *resp)
{
        NJob *x = (NJob *) j;
        _cleanup_free_ char *mac = NULL, *err = NULL;
        int k = -EBADMSG;

        if (rhttp_ok(resp))
                k = nbi_parse_mac(resp->body, resp->body_len, &mac, &err);
        if (k == 0 && mac)
                (void) mac_set_add(&x->macs, mac, MAC_UPPER_COLON);
        else if (k < 0) {
                _cleanup_free_ char *e = !rhttp_ok(resp) ? rhttp_error(resp, "Extreme NBI endSystemByIp") :
                        xasprintf("Extreme NBI endSystemByIp: %s", err ? err : "unreadable answer");
                if (!x->macs) {
                        rjob_fail(j, rhttp_ok(resp) ? k : -EAGAIN, rhttp_ok(resp) ? k == -EBADMSG :
                                  rhttp_transient(resp), "%s", e);
                        job_end(x);
                        return;
                }
                log_warning("%s: %s; using the source's MACs only", j->resp->name, e);
        }
        if (!x->macs) {
                if (x->block)
                        rjob_fail(j, -ENXIO, false, "no MAC address for %s: the source reported none and "
                                  "ExtremeControl knows no end-system with it", x->ip);
                job_end(x);
                return;
        }
        x->cur = 0;
        next_mac(x);
}

static int nbi_start(Responder *r, const Entity *e, bool block, const char *const *elements, size_t n,
                     ResponderDone cb, void *userdata)
{
        Nbi *nb = r->priv;
        NJob *x;

        if (!nb || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (NJob *) rjob_new(&nb->client, r, sizeof(NJob), cb, userdata);
        x->j.cleanup = job_free;
        x->n = nb;
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
                        log_info("%s: simulation: would %s %s %s the blacklist", r->name, block ? "add" : "remove",
                                 x->macs[i], block ? "to" : "from");
                        rjob_ok(&x->j, x->macs[i]);
                }
                job_end(x);
                return 0;
        }
        if (block || n == 0) {
                _cleanup_free_ char *body = nbi_query_mac_by_ip(x->ip);
                (void) rjob_http(&x->j, &(RJobReq) { .method = "POST", .path = GRAPHQL, .body = body },
                                 on_mac_by_ip);
                return 0;
        }
        next_mac(x);
        return 0;
}

static int nbi_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return nbi_start(r, e, true, NULL, 0, cb, userdata);
}

static int nbi_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                       void *userdata)
{
        return nbi_start(r, e, false, elements, n, cb, userdata);
}

static void on_typename(RJob *j, const HttpResponse *resp)
{
        NJob *x = (NJob *) j;
        cJSON *o;

        if (!rhttp_ok(resp)) {
                rjob_fail_http(j, resp, "Extreme NBI GraphQL");
                job_end(x);
                return;
        }
        o = rhttp_json(resp);
        if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "data")))
                rjob_fail(j, -EBADMSG, false, "Extreme NBI GraphQL: no data in the answer");
        else
                rjob_detail(j, "ExtremeControl issued a token to '%s' and answers GraphQL with it",
                            x->n->client_id);
        cJSON_Delete(o);
        job_end(x);
}

static int nbi_test(Responder *r, ResponderDone cb, void *userdata)
{
        Nbi *nb = r->priv;
        NJob *x;

        if (!nb || !cb || !r->loop)
                return -EINVAL;
        x = (NJob *) rjob_new(&nb->client, r, sizeof(NJob), cb, userdata);
        x->j.cleanup = job_free;
        x->n = nb;
        (void) rjob_http(&x->j, &(RJobReq) { .method = "POST", .path = GRAPHQL, .body = "{\"query\":\"{ __typename }\"}" },
                         on_typename);
        return 0;
}

const ResponderOps xtreme_nbi_ops = {
        .module = "xtreme_networks_nbi",
        .client_name = "XtremeNBI",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Nbi),
        .configure = nbi_configure,
        .done = nbi_done,
        .block = nbi_block,
        .unblock = nbi_unblock,
        .cancel_all = nbi_cancel_all,
        .test = nbi_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
