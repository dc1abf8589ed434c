/* SPDX-License-Identifier: MIT */
/* sna_hostgroup: hosts into a Secure Network Analytics host group (an SMC
 * "tag"), responders.md §7.5 and sna.md §5.2.
 *
 *   {
 *     name = "hg"; type = "sna_hostgroup";
 *     url = "https://smc.example.com";
 *     username = "admin"; password = "env:SNA_PASSWORD";
 *     tenant_id = 0;                    # 0: the SMC's only tenant
 *     tag_name = "High Traffic Hosts";  # with tag_prefix in front, if any
 *     tag_location = "INSIDE";          # or "OUTSIDE"
 *     tag_parent_id = 1;                # where a new tag goes (1: Inside Hosts)
 *     tag_description = "...";
 *     tls_verify = true; ca_file = "/etc/secresp/smc-ca.pem"; timeout = "30s";
 *   }
 *
 * The reconciler hands the calls in batches (one at a time, so that no two
 * read-modify-writes of the tag overlap).  A batch:
 *   1. GET .../tags/ and finds the tag by name and location;
 *   2. none: POST a one-element array creating it with the IPs to block
 *      (never sendToCta, which SNA 7.5.1 refuses); unblocks succeed;
 *   3. else GET .../tags/{id}, merge the IPs to block into ranges and take
 *      the IPs to unblock out, and PUT the whole object back, unless
 *      nothing changed;
 *   4. success once the answer's ranges hold (or no longer hold) them.
 * A block's element is the IP; an unblock takes the stored IPs out.  Hosts
 * only.  The TTL of an IP is the source's host_ttl (the reconciler's
 * block expiry), so Vectra findings can feed the same group.
 *
 * Each batch logs in on the SMC client of sna_api.c, and logs out once no
 * batch is left: responders have no shutdown hook, and an idle session
 * would otherwise outlive the loop. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/responder.h"
#include "responders/rhttp.h"
#include "responders/rsettings.h"
#include "sources/sna_api.h"
#include "sources/sna_model.h"

#define TAGS_PATH "/smc-configuration/rest/v1/tenants/{tenant}/tags"

static const char *const locations[] = { "INSIDE", "OUTSIDE", NULL };

typedef struct HostGroup {
        RHttpConf http;
        char *username;
        Secret password;
        int64_t tenant_id;
        char *tag_name;
        char *tag_prefix;
        int location;
        int64_t parent_id;
        char *description;
        char *full_name;
        SnaApi *api;                    /* while batches run */
        unsigned running;
} HostGroup;

static const RsOpt hg_opts[] = {
        RHTTP_OPTS(HostGroup, http, "SMC_HOST"),
        { "username", RS_STRING, offsetof(HostGroup, username), .required = true, .var = "SMC_USERNAME" },
        { "password", RS_SECRET, offsetof(HostGroup, password), .required = true, .var = "SMC_PASSWORD" },
        { "tenant_id", RS_INT, offsetof(HostGroup, tenant_id), 0, INT32_MAX, .def = "0", .var = "tenant_id" },
        { "tag_name", RS_STRING, offsetof(HostGroup, tag_name), .def = "High Traffic Hosts" },
        { "tag_prefix", RS_STRING, offsetof(HostGroup, tag_prefix) },
        { "tag_location", RS_ENUM, offsetof(HostGroup, location), .def = "INSIDE", .values = locations },
        { "tag_parent_id", RS_INT, offsetof(HostGroup, parent_id), 0, INT32_MAX, .def = "1" },
        { "tag_description", RS_STRING, offsetof(HostGroup, description),
          .def = "Hosts generating or receiving an unusually high amount of traffic (secresp)." },
        {}
};

static int hg_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        HostGroup *h = r->priv;
        int k = rsettings_read(group, "sna_hostgroup", hg_opts, h, errs, n_errs);

        if (k < 0)
                return k;
        h->full_name = xasprintf("%s%s", h->tag_prefix ? h->tag_prefix : "", h->tag_name);
        if (!h->full_name[0] || strlen(h->full_name) > 255) {
                rsettings_err(errs, n_errs, group, "tag_name: 1 to 255 characters");
                return -EINVAL;
        }
        r->caps = RESPONDER_CAP_HOST;
        return 0;
}

static void hg_done(Responder *r)
{
        HostGroup *h = r->priv;

        if (!h)
                return;
        /* the session was closed with the last batch */
        rsettings_free(hg_opts, h);
        free(h->full_name);
}

/* ---- one batch ---------------------------------------------------------- */

typedef struct Op {
        Responder *r;
        ResponderBatch *b;              /* NULL for `responder test` */
        ResponderDone test_cb;
        void *test_userdata;
        char **add, **remove;           /* IPs */
        char **elements;                /* one per item (its IP), for res.elements */
        char *error;
        int64_t tag_id;
} Op;

static void api_closed(void *userdata)
{
        (void) userdata;
}

static void release_api(HostGroup *h)
{
        if (--h->running > 0 || !h->api)
                return;
        /* idle: log out now, a new batch logs in again */
        (void) sna_api_shutdown(h->api, api_closed, NULL);
        h->api = NULL;
}

static bool transient(int r)
{
        switch (r) {
        case -EAGAIN:
        case -ETIMEDOUT:
        case -ECONNREFUSED:
        case -ECONNRESET:
        case -EHOSTUNREACH:
        case -ECANCELED:
        case -EIO:
        case -ENETUNREACH:
                return true;
        default:
                return false;
        }
}

static void op_end(Op *op, int r, const char *error)
{
        Responder *resp = op->r;
        HostGroup *h = resp->priv;
        size_t n = op->b ? op->b->n : 0;        /* the batch is gone once done() returns */

        if (error) {
                free(op->error);
                op->error = xstrdup(error);
        }
        if (op->b) {
                for (size_t i = 0; i < op->b->n; i++) {
                        ResponderItem *it = &op->b->items[i];
                        if (!op->elements[i])
                                continue;       /* refused at the start, result already set */
                        if (r < 0) {
                                it->res = (ResponderResult) { .r = r, .transient = transient(r),
                                                              .error = op->error };
                                continue;
                        }
                        it->res = (ResponderResult) { .r = 0 };
                        if (it->block) {
                                it->res.elements = &op->elements[i];
                                it->res.n_elements = 1;
                        }
                }
                op->b->done(op->b);
        } else if (op->test_cb) {
                ResponderResult res = { .r = r, .transient = transient(r), .error = op->error };
                op->test_cb(op->test_userdata, &res);
        }
        for (size_t i = 0; i < n; i++)
                free(op->elements[i]);
        free(op->elements);
        strv_free(op->add);
        strv_free(op->remove);
        free(op->error);
        free(op);
        release_api(h);
}

static void op_fail_status(Op *op, const SnaStatus *st)
{
        op_end(op, st->r < 0 ? st->r : -EIO, st->error ? st->error : "SMC call failed");
}

static void on_written(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Op *op = userdata;
        HostGroup *h = op->r->priv;

        if (st->r < 0) {
                op_fail_status(op, st);
                return;
        }
        if (!sna_tag_has_ranges(body, op->add, op->remove)) {
                _cleanup_free_ char *e = xasprintf("tag '%s': the SMC's answer does not show the change in its ranges",
                                                   h->full_name);
                op_end(op, -EPROTO, e);
                return;
        }
        log_debug("sna_hostgroup '%s': tag '%s': %zu added, %zu removed", op->r->name, h->full_name,
                  strv_length(op->add), strv_length(op->remove));
        op_end(op, 0, NULL);
}

static void on_tag(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Op *op = userdata;
        _cleanup_free_ char *json = NULL, *path = NULL;
        const char *why = NULL;
        bool changed = false;
        int k;

        if (st->r == -ENOENT) {
                /* deleted between the list and now: the next try creates it */
                op_end(op, -EAGAIN, "the tag disappeared while being updated");
                return;
        }
        if (st->r < 0) {
                op_fail_status(op, st);
                return;
        }
        if (sna_tag_update_body(body, op->add, op->remove, &json, &changed, &why) < 0) {
                _cleanup_free_ char *e = xasprintf("GET tags/%" PRId64 ": %s", op->tag_id, why);
                op_end(op, -EPROTO, e);
                return;
        }
        if (!changed) {
                op_end(op, 0, NULL);    /* already members, or already gone */
                return;
        }
        path = xasprintf(TAGS_PATH "/%" PRId64, op->tag_id);
        k = sna_api_call(((HostGroup *) op->r->priv)->api, "PUT", path, json, on_written, op);
        if (k < 0)
                op_end(op, k, "cannot start PUT tags/{id}");
}

static void on_list(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Op *op = userdata;
        HostGroup *h = op->r->priv;
        const char *loc = locations[h->location], *why = NULL;
        int k;

        if (st->r < 0) {
                op_fail_status(op, st);
                return;
        }
        if (sna_tag_find(body, h->full_name, loc, &op->tag_id, &why) < 0) {
                _cleanup_free_ char *e = xasprintf("GET tags/: %s", why);
                op_end(op, -EPROTO, e);
                return;
        }
        if (op->test_cb) {
                _cleanup_free_ char *m = op->tag_id ?
                        xasprintf("logged in; tenant %" PRId64 "; tag '%s' (%s) exists, id %" PRId64,
                                  sna_api_tenant_id(h->api), h->full_name, loc, op->tag_id) :
                        xasprintf("logged in; tenant %" PRId64 "; tag '%s' (%s) does not exist yet: the first "
                                  "block creates it", sna_api_tenant_id(h->api), h->full_name, loc);
                op_end(op, 0, m);
                return;
        }
        if (op->tag_id == 0) {
                _cleanup_free_ char *json = NULL;
                if (!op->add) {
                        op_end(op, 0, NULL);    /* no group, so nobody is in it */
                        return;
                }
                json = sna_tag_new_body(h->full_name, loc, h->description, h->parent_id, op->add);
                log_info("sna_hostgroup '%s': creating tag '%s' (%s, parent %" PRId64 ")", op->r->name, h->full_name,
                         loc, h->parent_id);
                /* a create is not repeated blindly: the next batch reads the list first */
                k = sna_api_call_full(h->api, "POST", TAGS_PATH, json, SNA_CALL_NO_RETRY, on_written, op);
                if (k < 0)
                        op_end(op, k, "cannot start POST tags");
                return;
        }
        {
                _cleanup_free_ char *path = xasprintf(TAGS_PATH "/%" PRId64, op->tag_id);
                k = sna_api_call(h->api, "GET", path, NULL, on_tag, op);
                if (k < 0)
                        op_end(op, k, "cannot start GET tags/{id}");
        }
}

static int ensure_api(Responder *r)
{
        HostGroup *h = r->priv;
        SnaApiOptions o = {
                .url = h->http.url,
                .username = h->username,
                .password = h->password.value,
                .tenant_id = h->tenant_id,
                .timeout_ms = (long) h->http.timeout_ms,
                .ca_file = h->http.ca_file,
                .tls_skip_verify = !h->http.tls_verify,
                /* the reconciler retries a failed batch with its own backoff */
                .retry = &(RetryPolicy) { .max_attempts = 3, .base_ms = 500, .max_ms = 10000, .jitter = 0.5 },
                .name = r->name,
        };

        if (h->api)
                return 0;
        return sna_api_new(r->loop, r->http, &o, &h->api);
}

static int start_op(Responder *r, Op *op)
{
        HostGroup *h = r->priv;
        int k = ensure_api(r);

        if (k < 0)
                return k;
        h->running++;
        k = sna_api_call(h->api, "GET", TAGS_PATH "/", NULL, on_list, op);
        if (k < 0)
                release_api(h);
        return k;
}

static int hg_apply_batch(Responder *r, ResponderBatch *b)
{
        Op *op = xnew(Op, 1);
        size_t usable = 0;
        int k;

        op->r = r;
        op->b = b;
        op->elements = xnew(char *, b->n ? b->n : 1);
        for (size_t i = 0; i < b->n; i++) {
                ResponderItem *it = &b->items[i];
                char buf[ADDR_STR_MAX];
                AddrNet a;

                if (it->entity->kind != ENTITY_HOST || addr_parse(it->entity->value, &a) < 0 || !addr_is_host(&a)) {
                        it->res = (ResponderResult) { .r = -EINVAL, .error = "not a host IP address" };
                        continue;
                }
                addr_format(&a, buf, sizeof(buf));
                op->elements[i] = xstrdup(buf);
                usable++;
                if (it->block) {
                        if (!strv_contains(op->add, buf))
                                op->add = strv_push(op->add, buf);
                        continue;
                }
                /* the stored elements, not the current value (responders.md §1.2) */
                for (size_t e = 0; e < it->n_elements; e++)
                        if (addr_parse(it->elements[e], &a) == 0 && !strv_contains(op->remove, it->elements[e]))
                                op->remove = strv_push(op->remove, it->elements[e]);
                if (it->n_elements == 0 && !strv_contains(op->remove, buf))
                        op->remove = strv_push(op->remove, buf);
        }
        /* an IP both added and removed in one batch: the block wins, it came last */
        for (size_t i = 0; op->add && op->add[i]; i++)
                while (strv_contains(op->remove, op->add[i])) {
                        size_t w = 0;
                        for (size_t j = 0; op->remove[j]; j++)
                                if (strcmp(op->remove[j], op->add[i]))
                                        op->remove[w++] = op->remove[j];
                                else
                                        free(op->remove[j]);
                        op->remove[w] = NULL;
                }
        if (usable == 0 || r->simulation) {
                if (r->simulation)
                        log_notice("sna_hostgroup '%s': [simulation] would add %zu and remove %zu IP(s) in tag "
                                   "'%s'", r->name, strv_length(op->add), strv_length(op->remove),
                                   ((HostGroup *) r->priv)->full_name);
                ((HostGroup *) r->priv)->running++;
                op_end(op, 0, NULL);
                return 0;
        }
        k = start_op(r, op);
        if (k < 0) {
                for (size_t i = 0; i < b->n; i++)
                        free(op->elements[i]);
                free(op->elements);
                strv_free(op->add);
                strv_free(op->remove);
                free(op);
        }
        return k;
}

static int hg_test(Responder *r, ResponderDone cb, void *userdata)
{
        Op *op = xnew(Op, 1);
        int k;

        op->r = r;
        op->test_cb = cb;
        op->test_userdata = userdata;
        k = start_op(r, op);
        if (k < 0)
                free(op);
        return k;
}

static void hg_cancel_all(Responder *r)
{
        HostGroup *h = r->priv;

        if (h->api)
                sna_api_cancel_all(h->api);
}

const ResponderOps sna_hostgroup_ops = {
        .module = "sna_hostgroup",
        .client_name = "SNA Host Group Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(HostGroup),
        .configure = hg_configure,
        .done = hg_done,
        .apply_batch = hg_apply_batch,
        .test = hg_test,
        .cancel_all = hg_cancel_all,
        .needs_http = true,
        /* every queued call in one read-modify-write of the tag, one at a time */
        .default_max_batch = 500,
        .default_max_concurrent = 1,
};
