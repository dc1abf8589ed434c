/* SPDX-License-Identifier: MIT */
/* meraki ("Meraki Client", responders.md §5.6): blocks a host's Meraki
 * clients, wireless ones by their client policy, wired ones by shutting
 * their switch port, through the Dashboard API v1.
 *
 *   { name = "meraki"; type = "meraki"; api_key = "env:MERAKI_API_KEY"; }
 *
 * Networks: those of network_ids, else every network of organization_ids,
 * else of every organization the key sees; the list is kept network_cache
 * long.  Clients: by each of the host's MACs in each network (GET
 * /networks/{net}/clients?mac=&t0=), or, without a MAC (or with several and
 * block_multiple_mac off), by its IP, accepted when one client is found
 * (or more with block_multiple_ip).
 *
 * A wireless client (an SSID, connection WLAN or Wireless): its policy is
 * read (GET .../clients/{id}/policy) and set to Blocked, or to the group
 * policy group_policy_id; element WLAN:<clientId>:<networkId>:<original
 * policy> (a group policy is written "Group policy:<id>").  A wired client
 * (switch port, serial, connection Wired): its port is shut (PUT
 * /devices/{serial}/switch/ports/{port} {"enabled":false}) unless it is an
 * uplink or other clients share it; element LAN:<clientId>:<serial>:<port>.
 *
 * Unblock: each element puts back the original policy, or enables the
 * port; a client or device Meraki no longer knows (404) counts as done.
 *
 * Meraki answers 429 with Retry-After when a key goes past its rate: the
 * HTTP client waits that long (3 tries), then the reconciler retries. */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/macaddr.h"
#include "responders/meraki_parse.h"
#include "responders/rjob.h"

typedef struct Meraki {
        RHttpConf http;
        Secret api_key;
        char **org_ids;
        char **network_ids;
        char *group_policy_id;
        bool block_multiple_mac;
        bool block_multiple_ip;
        bool wired;
        uint64_t lookback_ms;
        uint64_t cache_ms;
        RClient client;
        /* the network list, shared by concurrent calls like a credential */
        RAuth nets;
        bool nets_init;
        char **f_orgs, **f_nets;
        size_t f_cur;
        char *wanted;                   /* the policy a block sets */
} Meraki;

static const RsOpt meraki_opts[] = {
        { "url", RS_URL, offsetof(Meraki, http.url), .def = "https://api.meraki.com/api/v1", .var = "MERAKI_URL" },
        { "ca_file", RS_PATH, offsetof(Meraki, http.ca_file) },
        { "tls_verify", RS_BOOL, offsetof(Meraki, http.tls_verify), .def = "true" },
        { "timeout", RS_DURATION, offsetof(Meraki, http.timeout_ms), 1, 600, .def = "30s" },
        { "api_key", RS_SECRET, offsetof(Meraki, api_key), .required = true },
        { "organization_ids", RS_STRINGS, offsetof(Meraki, org_ids) },
        { "network_ids", RS_STRINGS, offsetof(Meraki, network_ids) },
        { "group_policy_id", RS_STRING, offsetof(Meraki, group_policy_id), .var = "BLOCK_GROUP_POLICY" },
        { "block_multiple_mac", RS_BOOL, offsetof(Meraki, block_multiple_mac), .def = "true",
          .var = "BLOCK_MULTIPLE_MAC" },
        { "block_multiple_ip", RS_BOOL, offsetof(Meraki, block_multiple_ip), .def = "false",
          .var = "BLOCK_MULTIPLE_IP" },
        { "wired", RS_BOOL, offsetof(Meraki, wired), .def = "true" },
        { "lookback", RS_DURATION, offsetof(Meraki, lookback_ms), 3600, 31 * 86400, .def = "7d" },
        { "network_cache", RS_DURATION, offsetof(Meraki, cache_ms), 0, 86400, .def = "10m" },
        {}
};

typedef struct MkJob {
        RJob j;
        Meraki *m;
        bool block;
        char *ip;
        char **macs;                    /* lower-case colon form */
        char **queries;                 /* "net\tmac=..." or "net\tip=..." */
        size_t cur;
        bool by_ip;
        MerakiClient *clients;
        size_t n_clients, ccur;
        char *orig;                     /* the client's policy before the block */
        char **elements;                /* unblock; groom: the elements stored */
        bool groom;                     /* groom: compare, then restore and block */
        MerakiElement el;
        char *skipped;                  /* why clients could not be blocked */
} MkJob;

/* ---- credentials and networks ------------------------------------------- */

static char **meraki_headers(void *owner, const char *cred, const RJobReq *req)
{
        Meraki *m = owner;
        char *h = xasprintf("Authorization: Bearer %s", m->api_key.value ? m->api_key.value : "");
        char **v = strv_push(NULL, h);

        (void) cred;
        (void) req;
        rjob_wipe_free(h);
        return v;
}

static void nets_fail(Meraki *m, const HttpResponse *resp, const char *what)
{
        _cleanup_free_ char *e = rhttp_error(resp, what);

        strv_free(m->f_orgs);
        strv_free(m->f_nets);
        m->f_orgs = m->f_nets = NULL;
        rauth_fail(&m->nets, e, rhttp_transient(resp));
}

static void nets_next(Meraki *m);

static void nets_done(Meraki *m)
{
        size_t len = 1;
        char *all;

        for (char **p = m->f_nets; p && *p; p++)
                len += strlen(*p) + 1;
        all = xmalloc(len);
        all[0] = '\0';
        for (char **p = m->f_nets; p && *p; p++) {
                if (p != m->f_nets)
                        strcat(all, ",");
                strcat(all, *p);
        }
        strv_free(m->f_orgs);
        strv_free(m->f_nets);
        m->f_orgs = m->f_nets = NULL;
        if (!all[0])
                rauth_fail(&m->nets, "the API key sees no Meraki network", false);
        else
                rauth_set(&m->nets, all, m->cache_ms);
        free(all);
}

static void on_networks(const HttpResponse *resp, void *userdata)
{
        Meraki *m = userdata;

        if (!rhttp_ok(resp)) {
                nets_fail(m, resp, "Meraki networks of an organization");
                return;
        }
        if (meraki_ids(resp->body, resp->body_len, &m->f_nets) < 0) {
                strv_free(m->f_orgs);
                strv_free(m->f_nets);
                m->f_orgs = m->f_nets = NULL;
                rauth_fail(&m->nets, "Meraki networks: unreadable answer", true);
                return;
        }
        m->f_cur++;
        nets_next(m);
}

static void nets_next(Meraki *m)
{
        _cleanup_free_ char *esc = NULL, *path = NULL;
        char **h;
        int r;

        if (!m->f_orgs || !m->f_orgs[m->f_cur]) {
                nets_done(m);
                return;
        }
        esc = rjob_escape(m->f_orgs[m->f_cur]);
        path = xasprintf("/organizations/%s/networks?perPage=100000", esc);
        h = meraki_headers(m, NULL, NULL);
        h = strv_push(h, "Accept: application/json");
        r = rhttp_start(&m->client.http, &(RHttpRequest) { .path = path, .headers = (const char *const *) h },
                        on_networks, m);
        rjob_wipe_strv(h);
        if (r < 0) {
                strv_free(m->f_orgs);
                strv_free(m->f_nets);
                m->f_orgs = m->f_nets = NULL;
                rauth_fail(&m->nets, strerror(-r), true);
        }
}

static void on_orgs(const HttpResponse *resp, void *userdata)
{
        Meraki *m = userdata;

        if (!rhttp_ok(resp)) {
                nets_fail(m, resp, "Meraki organizations");
                return;
        }
        if (meraki_ids(resp->body, resp->body_len, &m->f_orgs) < 0) {
                rauth_fail(&m->nets, "Meraki organizations: unreadable answer", true);
                return;
        }
        m->f_cur = 0;
        nets_next(m);
}

static int nets_fetch(RAuth *a, void *owner)
{
        Meraki *m = owner;
        char **h;
        int r;

        (void) a;
        m->f_cur = 0;
        m->f_nets = NULL;
        if (m->network_ids) {
                for (char **p = m->network_ids; *p; p++)
                        m->f_nets = strv_push(m->f_nets, *p);
                nets_done(m);
                return 0;
        }
        if (m->org_ids) {
                m->f_orgs = NULL;
                for (char **p = m->org_ids; *p; p++)
                        m->f_orgs = strv_push(m->f_orgs, *p);
                nets_next(m);
                return 0;
        }
        h = meraki_headers(m, NULL, NULL);
        h = strv_push(h, "Accept: application/json");
        r = rhttp_start(&m->client.http, &(RHttpRequest) { .path = "/organizations", .headers = (const char *const *) h },
                        on_orgs, m);
        rjob_wipe_strv(h);
        return r;
}

/* ---- configuration ------------------------------------------------------- */

static int meraki_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Meraki *m = r->priv;
        int k = rsettings_read(g, "meraki", meraki_opts, m, errs, n_errs);

        if (k < 0)
                return k;
        m->wanted = m->group_policy_id && m->group_policy_id[0] ?
                            xasprintf("Group policy:%s", m->group_policy_id) : xstrdup("Blocked");
        rclient_init(&m->client, r, &m->http, m);
        m->client.headers = meraki_headers;
        return 0;
}

static void meraki_done(Responder *r)
{
        Meraki *m = r->priv;

        if (!m)
                return;
        if (m->nets_init)
                rauth_done(&m->nets);
        rclient_done(&m->client);
        strv_free(m->f_orgs);
        strv_free(m->f_nets);
        free(m->wanted);
        rsettings_free(meraki_opts, m);
}

static void meraki_cancel_all(Responder *r)
{
        Meraki *m = r->priv;

        rclient_cancel_all(&m->client);
}

/* ---- block ------------------------------------------------------------------ */

static void job_free(RJob *j)
{
        MkJob *x = (MkJob *) j;

        free(x->ip);
        strv_free(x->macs);
        strv_free(x->queries);
        meraki_clients_free(x->clients, x->n_clients);
        free(x->clients);
        free(x->orig);
        strv_free(x->elements);
        meraki_element_done(&x->el);
        free(x->skipped);
        x->ip = x->orig = x->skipped = NULL;
        x->macs = x->queries = x->elements = NULL;
        x->clients = NULL;
        x->n_clients = 0;
}

static void job_end(MkJob *x)
{
        rjob_finish(&x->j);
}

static void skip(MkJob *x, const MerakiClient *c, const char *why)
{
        char *s;

        log_notice("%s: Meraki client %s (%s) of %s cannot be blocked: %s", x->j.resp->name, c->id,
                   c->mac ? c->mac : "no MAC", x->ip, why);
        s = x->skipped ? xasprintf("%s; client %s: %s", x->skipped, c->id, why) :
                         xasprintf("client %s: %s", c->id, why);
        free(x->skipped);
        x->skipped = s;
}

static void next_client(MkJob *x);

static MerakiClient *cur_client(MkJob *x)
{
        return &x->clients[x->ccur];
}

static void client_done(MkJob *x)
{
        x->ccur++;
        next_client(x);
}

static void on_port_put(RJob *j, const HttpResponse *resp)
{
        MkJob *x = (MkJob *) j;
        MerakiClient *c = cur_client(x);

        if (rhttp_ok(resp)) {
                _cleanup_free_ char *el = meraki_element_lan(c->id, c->serial, c->switchport);
                rjob_ok(j, el);
        } else {
                _cleanup_free_ char *what = xasprintf("Meraki port %s of switch %s", c->switchport, c->serial);
                rjob_fail_http(j, resp, what);
        }
        client_done(x);
}

static void on_port_statuses(RJob *j, const HttpResponse *resp)
{
        MkJob *x = (MkJob *) j;
        MerakiClient *c = cur_client(x);
        _cleanup_free_ char *s = NULL, *p = NULL, *path = NULL;
        const char *why = NULL;
        bool ok = false;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("Meraki port statuses of switch %s", c->serial);
                rjob_fail_http(j, resp, what);
                client_done(x);
                return;
        }
        if (meraki_port_blockable(resp->body, resp->body_len, c->switchport, &ok, &why) < 0) {
                rjob_fail(j, -EBADMSG, true, "Meraki port statuses of switch %s: unreadable answer", c->serial);
                client_done(x);
                return;
        }
        if (!ok) {
                _cleanup_free_ char *t = xasprintf("port %s of switch %s: %s", c->switchport, c->serial, why);
                skip(x, c, t);
                client_done(x);
                return;
        }
        s = rjob_escape(c->serial);
        p = rjob_escape(c->switchport);
        path = xasprintf("/devices/%s/switch/ports/%s", s, p);
        (void) rjob_http(j, &(RJobReq) { .method = "PUT", .path = path, .body = "{\"enabled\":false}" }, on_port_put);
}

static char *policy_path(const char *net, const char *client)
{
        _cleanup_free_ char *n = rjob_escape(net), *c = rjob_escape(client);

        return xasprintf("/networks/%s/clients/%s/policy", n, c);
}

static void on_policy_put(RJob *j, const HttpResponse *resp)
{
        MkJob *x = (MkJob *) j;
        MerakiClient *c = cur_client(x);

        if (rhttp_ok(resp)) {
                _cleanup_free_ char *el = meraki_element_wlan(c->id, c->net_id, x->orig);
                rjob_ok(j, el);
        } else {
                _cleanup_free_ char *what = xasprintf("Meraki policy of client %s", c->id);
                rjob_fail_http(j, resp, what);
        }
        client_done(x);
}

static void on_policy_get(RJob *j, const HttpResponse *resp)
{
        MkJob *x = (MkJob *) j;
        MerakiClient *c = cur_client(x);
        _cleanup_free_ char *path = NULL, *body = NULL;

        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("Meraki policy of client %s", c->id);
                rjob_fail_http(j, resp, what);
                client_done(x);
                return;
        }
        free(x->orig);
        x->orig = meraki_policy_of(resp->body, resp->body_len);
        if (!x->orig) {
                rjob_fail(j, -EBADMSG, true, "Meraki policy of client %s: unreadable answer", c->id);
                client_done(x);
                return;
        }
        if (meraki_policy_same(x->orig, x->m->wanted)) {
                /* blocked by someone else: the unblock will leave it so */
                _cleanup_free_ char *el = meraki_element_wlan(c->id, c->net_id, x->orig);
                log_notice("%s: Meraki client %s already has policy '%s'; an unblock will leave it", j->resp->name,
                           c->id, x->orig);
                rjob_ok(j, el);
                client_done(x);
                return;
        }
        path = policy_path(c->net_id, c->id);
        body = meraki_policy_body(x->m->wanted);
        (void) rjob_http(j, &(RJobReq) { .method = "PUT", .path = path, .body = body }, on_policy_put);
}

static void next_client(MkJob *x)
{
        RJob *j = &x->j;

        if (j->cancelled) {
                if (j->r == 0)
                        rjob_fail(j, -ECANCELED, true, "cancelled");
                job_end(x);
                return;
        }
        while (x->ccur < x->n_clients) {
                MerakiClient *c = cur_client(x);
                if (c->kind == MERAKI_WIRELESS) {
                        _cleanup_free_ char *path = policy_path(c->net_id, c->id);
                        (void) rjob_http(j, &(RJobReq) { .path = path }, on_policy_get);
                        return;
                }
                if (c->kind == MERAKI_WIRED && x->m->wired) {
                        _cleanup_free_ char *s = rjob_escape(c->serial);
                        _cleanup_free_ char *path = xasprintf("/devices/%s/switch/ports/statuses", s);
                        (void) rjob_http(j, &(RJobReq) { .path = path }, on_port_statuses);
                        return;
                }
                skip(x, c, c->kind == MERAKI_WIRED ? "wired, and wired = false" :
                                                     "neither on an SSID nor behind a switch port");
                x->ccur++;
        }
        if (!j->elements && j->r == 0)
                rjob_fail(j, -EOPNOTSUPP, false, "no Meraki client of %s can be blocked: %s", x->ip,
                          x->skipped ? x->skipped : "none");
        job_end(x);
}

static void next_element(MkJob *x);

static void clients_found(MkJob *x)
{
        RJob *j = &x->j;

        /* grooming: nothing moved, the block stays as it is */
        if (x->groom && meraki_groom_unchanged((const char *const *) x->elements, strv_length(x->elements),
                                               x->clients, x->n_clients, x->m->wired)) {
                for (size_t i = 0; x->elements && x->elements[i]; i++)
                        rjob_ok(j, x->elements[i]);
                job_end(x);
                return;
        }
        if (x->groom && x->n_clients > 0) {
                /* it moved: the old places first, then the new ones */
                log_notice("%s: the Meraki clients of %s moved; restoring where they were and blocking where "
                           "they are", j->resp->name, x->ip);
                x->cur = 0;
                next_element(x);
                return;
        }

        if (x->n_clients == 0) {
                rjob_fail(j, -ENXIO, false, "Meraki has no client with %s %s seen in the lookback",
                          x->by_ip ? "address" : "the MAC of", x->ip);
                job_end(x);
                return;
        }
        if (x->by_ip && x->n_clients > 1 && !x->m->block_multiple_ip) {
                rjob_fail(j, -ENOTUNIQ, false, "Meraki has %zu clients with address %s (block_multiple_ip is off)",
                          x->n_clients, x->ip);
                job_end(x);
                return;
        }
        x->ccur = 0;
        next_client(x);
}

static void next_query(MkJob *x);

static void on_clients(RJob *j, const HttpResponse *resp)
{
        MkJob *x = (MkJob *) j;
        const char *q = x->queries[x->cur];
        _cleanup_free_ char *net = xstrndup(q, strcspn(q, "\t"));

        if (resp->status == 404)
                log_notice("%s: Meraki network %s is gone; skipping it", j->resp->name, net);
        else if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("Meraki clients of network %s", net);
                rjob_fail_http(j, resp, what);
                job_end(x);
                return;
        } else if (meraki_clients(resp->body, resp->body_len, net, &x->clients, &x->n_clients) < 0) {
                rjob_fail(j, -EBADMSG, true, "Meraki clients of network %s: unreadable answer", net);
                job_end(x);
                return;
        }
        x->cur++;
        next_query(x);
}

static void next_query(MkJob *x)
{
        const char *q;
        _cleanup_free_ char *path = NULL, *net = NULL, *esc = NULL;
        long long t0;

        if (!x->queries || !x->queries[x->cur]) {
                clients_found(x);
                return;
        }
        q = x->queries[x->cur];
        net = xstrndup(q, strcspn(q, "\t"));
        esc = rjob_escape(net);
        t0 = (long long) time(NULL) - (long long) (x->m->lookback_ms / 1000);
        path = xasprintf("/networks/%s/clients?%s&t0=%lld&perPage=1000", esc, strchr(q, '\t') + 1, t0);
        (void) rjob_http(&x->j, &(RJobReq) { .path = path }, on_clients);
}

static void on_nets(void *userdata, const char *cred, const char *err, bool transient)
{
        MkJob *x = userdata;
        _cleanup_free_ char *list = NULL;
        bool by_mac;

        if (!cred) {
                rjob_fail(&x->j, transient ? -EAGAIN : -EACCES, transient, "%s", err ? err : "no Meraki network");
                job_end(x);
                return;
        }
        if (x->j.cancelled) {
                rjob_fail(&x->j, -ECANCELED, true, "cancelled");
                job_end(x);
                return;
        }
        list = xstrdup(cred);
        by_mac = x->macs && (!x->macs[1] || x->m->block_multiple_mac);
        x->by_ip = !by_mac;
        for (char *save = NULL, *n = strtok_r(list, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
                if (by_mac)
                        for (char **mac = x->macs; *mac; mac++) {
                                _cleanup_free_ char *e = rjob_escape(*mac);
                                _cleanup_free_ char *q = xasprintf("%s\tmac=%s", n, e);
                                x->queries = strv_push(x->queries, q);
                        }
                else {
                        _cleanup_free_ char *e = rjob_escape(x->ip);
                        _cleanup_free_ char *q = xasprintf("%s\tip=%s", n, e);
                        x->queries = strv_push(x->queries, q);
                }
        }
        x->cur = 0;
        next_query(x);
}

/* ---- unblock ---------------------------------------------------------------- */

static void next_element(MkJob *x);

static void on_restored(RJob *j, const HttpResponse *resp)
{
        MkJob *x = (MkJob *) j;
        const char *el = x->elements[x->cur];

        if (rhttp_ok(resp) || resp->status == 404) {
                if (resp->status == 404)
                        log_info("%s: Meraki no longer knows %s: nothing to undo", j->resp->name, el);
                if (!x->groom)
                        rjob_ok(j, el);
        } else {
                _cleanup_free_ char *what = xasprintf("Meraki unblock of %s", el);
                rjob_fail_http(j, resp, what);
        }
        x->cur++;
        next_element(x);
}

static void next_element(MkJob *x)
{
        RJob *j = &x->j;

        while (x->elements && x->elements[x->cur]) {
                const char *el = x->elements[x->cur];
                _cleanup_free_ char *path = NULL, *body = NULL;

                if (j->cancelled) {
                        if (j->r == 0)
                                rjob_fail(j, -ECANCELED, true, "cancelled");
                        break;
                }
                meraki_element_done(&x->el);
                if (meraki_element_parse(el, &x->el) < 0) {
                        log_notice("%s: '%s' is no Meraki element; nothing to undo", j->resp->name, el);
                        rjob_ok(j, el);
                        x->cur++;
                        continue;
                }
                if (x->el.wlan) {
                        if (!strcmp(x->el.what, "Blocked") || meraki_policy_same(x->el.what, x->m->wanted))
                                log_notice("%s: client %s had policy '%s' before the block; restoring it",
                                           j->resp->name, x->el.client_id, x->el.what);
                        path = policy_path(x->el.where, x->el.client_id);
                        body = meraki_policy_body(x->el.what);
                } else {
                        _cleanup_free_ char *s = rjob_escape(x->el.where), *p = rjob_escape(x->el.what);
                        path = xasprintf("/devices/%s/switch/ports/%s", s, p);
                        body = xstrdup("{\"enabled\":true}");
                }
                (void) rjob_http(j, &(RJobReq) { .method = "PUT", .path = path, .body = body }, on_restored);
                return;
        }
        if (x->groom && j->r == 0 && !j->cancelled) {
                x->ccur = 0;
                next_client(x);
                return;
        }
        job_end(x);
}

/* ---- entry points ------------------------------------------------------------ */

static int meraki_start(Responder *r, const Entity *e, bool block, bool groom, const char *const *elements,
                        size_t n, ResponderDone cb, void *userdata)
{
        Meraki *m = r->priv;
        MkJob *x;

        if (!m || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (MkJob *) rjob_new(&m->client, r, sizeof(MkJob), cb, userdata);
        x->j.cleanup = job_free;
        x->m = m;
        x->block = block;
        x->groom = groom;
        x->ip = xstrdup(e->value);
        for (size_t i = 0; e->attrs.macs && e->attrs.macs[i]; i++)
                (void) mac_set_add(&x->macs, e->attrs.macs[i], MAC_LOWER_COLON);
        for (size_t i = 0; (!block || groom) && i < n; i++)
                if (elements[i] && !strv_contains(x->elements, elements[i]))
                        x->elements = strv_push(x->elements, elements[i]);

        if (r->simulation) {
                if (groom) {
                        log_info("%s: simulation: would check where the Meraki clients of %s are", r->name, x->ip);
                        for (size_t i = 0; x->elements && x->elements[i]; i++)
                                rjob_ok(&x->j, x->elements[i]);
                        job_end(x);
                        return 0;
                }
                if (block)
                        log_info("%s: simulation: would look up the Meraki clients of %s and block them", r->name,
                                 x->ip);
                for (size_t i = 0; x->elements && x->elements[i]; i++) {
                        log_info("%s: simulation: would undo %s", r->name, x->elements[i]);
                        rjob_ok(&x->j, x->elements[i]);
                }
                job_end(x);
                return 0;
        }
        if (!block) {
                x->cur = 0;
                next_element(x);
                return 0;
        }
        if (!m->nets_init) {
                rauth_init(&m->nets, r->loop, nets_fetch, m);
                m->nets_init = true;
        }
        rauth_get(&m->nets, on_nets, x);
        return 0;
}

static int meraki_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return meraki_start(r, e, true, false, NULL, 0, cb, userdata);
}

static int meraki_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                          void *userdata)
{
        return meraki_start(r, e, false, false, elements, n, cb, userdata);
}

/* VAR's groom_host: the clients looked up again and compared with the
 * stored elements (upstream compared strings with dicts and always saw a
 * move); a move restores the old places and blocks the new ones. */
static int meraki_groom(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                        void *userdata)
{
        return meraki_start(r, e, true, true, elements, n, cb, userdata);
}

static void on_test_nets(void *userdata, const char *cred, const char *err, bool transient)
{
        MkJob *x = userdata;

        (void) transient;
        if (!cred)
                rjob_fail(&x->j, -EACCES, false, "%s", err ? err : "no Meraki network");
        else {
                size_t n = 1;
                for (const char *p = cred; *p; p++)
                        n += *p == ',';
                rjob_detail(&x->j, "the API key sees %zu Meraki network(s)", n);
        }
        job_end(x);
}

static int meraki_test(Responder *r, ResponderDone cb, void *userdata)
{
        Meraki *m = r->priv;
        MkJob *x;

        if (!m || !cb || !r->loop)
                return -EINVAL;
        x = (MkJob *) rjob_new(&m->client, r, sizeof(MkJob), cb, userdata);
        x->j.cleanup = job_free;
        x->m = m;
        if (!m->nets_init) {
                rauth_init(&m->nets, r->loop, nets_fetch, m);
                m->nets_init = true;
        }
        /* a fresh list: the test is about the key as it is now */
        rauth_invalidate(&m->nets, m->nets.cred);
        rauth_get(&m->nets, on_test_nets, x);
        return 0;
}

const ResponderOps meraki_ops = {
        .module = "meraki",
        .client_name = "Meraki Client",
        .caps = RESPONDER_CAP_HOST | RESPONDER_CAP_GROOM,
        .priv_size = sizeof(Meraki),
        .configure = meraki_configure,
        .done = meraki_done,
        .block = meraki_block,
        .unblock = meraki_unblock,
        .cancel_all = meraki_cancel_all,
        .test = meraki_test,
        .groom = meraki_groom,
        .needs_http = true,
        /* the Dashboard API allows 10 calls per second and organisation */
        .default_max_concurrent = 2,
};
