/* SPDX-License-Identifier: MIT */
/* cisco_amp ("AMP Client", responders.md §6.1, §7.3): isolates a host with
 * Cisco Secure Endpoint (AMP for Endpoints) API v1.
 *
 *   { name = "amp"; type = "cisco_amp"; url = "https://api.eu.amp.cisco.com";
 *     client_id = "0123abcd"; api_key = "env:AMP_API_KEY"; }
 *
 * Block: the computer is the one GET /v1/computers?internal_ip=IP finds;
 * when that finds none or several, the one of GET
 * /v1/computers?hostname[]=NAME whose hostname is the host's name.  Then
 * GET .../isolation: "isolated" or "pending_start" is done already;
 * otherwise PUT .../isolation starts it (409: already started).
 * Element: the connector guid.
 *
 * Unblock: for each stored guid, GET .../isolation; "isolated" or
 * "pending_start": DELETE .../isolation (409: already stopping); a computer
 * that is gone (404) or not isolated is done.
 *
 * Every answer's status is checked (upstream read JSON from 401s and
 * crashed later). */
#include "config.h"
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "responders/cisco_amp_parse.h"
#include "responders/rjob.h"

typedef struct Amp {
        RHttpConf http;
        char *client_id;
        Secret api_key;
        char *unlock_code;
        char *comment;
        RClient client;
} Amp;

static const RsOpt amp_opts[] = {
        { "url", RS_URL, offsetof(Amp, http.url), .def = "https://api.amp.cisco.com", .var = "URL" },
        { "ca_file", RS_PATH, offsetof(Amp, http.ca_file) },
        { "tls_verify", RS_BOOL, offsetof(Amp, http.tls_verify), .def = "true" },
        { "timeout", RS_DURATION, offsetof(Amp, http.timeout_ms), 1, 600, .def = "30s" },
        { "client_id", RS_STRING, offsetof(Amp, client_id), .required = true },
        { "api_key", RS_SECRET, offsetof(Amp, api_key), .required = true },
        { "unlock_code", RS_STRING, offsetof(Amp, unlock_code), .def = "" },
        { "comment", RS_STRING, offsetof(Amp, comment), .def = "Isolated by secresp" },
        {}
};

typedef struct AmpJob {
        RJob j;
        Amp *amp;
        bool block;
        char *ip, *hostname;
        char **guids;                   /* unblock: the stored ones */
        size_t cur;
        char *guid;                     /* the one being worked on */
} AmpJob;

static const char *const state_names[] = {
        [AMP_UNAVAILABLE] = "unavailable",
        [AMP_NOT_ISOLATED] = "not_isolated",
        [AMP_PENDING_START] = "pending_start",
        [AMP_ISOLATED] = "isolated",
        [AMP_PENDING_STOP] = "pending_stop",
        [AMP_ISOLATION_UNKNOWN] = "unknown",
};

static char **amp_headers(void *owner, const char *cred, const RJobReq *req)
{
        Amp *amp = owner;
        char *basic = rjob_basic(amp->client_id, amp->api_key.value);
        char **h = strv_push(NULL, basic);

        (void) cred;
        (void) req;
        rjob_wipe_free(basic);
        return h;
}

static int amp_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        Amp *amp = r->priv;
        int k = rsettings_read(g, "cisco_amp", amp_opts, amp, errs, n_errs);

        if (k < 0)
                return k;
        if (strlen(amp->unlock_code) > 24) {
                rsettings_err(errs, n_errs, config_setting_get_member(g, "unlock_code"),
                              "at most 24 characters (Secure Endpoint's limit)");
                return -EINVAL;
        }
        rclient_init(&amp->client, r, &amp->http, amp);
        amp->client.headers = amp_headers;
        return 0;
}

static void amp_done(Responder *r)
{
        Amp *amp = r->priv;

        if (!amp)
                return;
        rclient_done(&amp->client);
        rsettings_free(amp_opts, amp);
}

static void amp_cancel_all(Responder *r)
{
        Amp *amp = r->priv;

        rclient_cancel_all(&amp->client);
}

static void job_free(RJob *j)
{
        AmpJob *x = (AmpJob *) j;

        free(x->ip);
        free(x->hostname);
        free(x->guid);
        strv_free(x->guids);
        x->ip = x->hostname = x->guid = NULL;
        x->guids = NULL;
}

static void job_end(AmpJob *x)
{
        rjob_finish(&x->j);
}

static char *isolation_path(const char *guid)
{
        _cleanup_free_ char *g = rjob_escape(guid);
        return xasprintf("/v1/computers/%s/isolation", g);
}

static void next_guid(AmpJob *x);

static void on_changed(RJob *j, const HttpResponse *resp)
{
        AmpJob *x = (AmpJob *) j;

        if (rhttp_ok(resp) || resp->status == 409) {
                /* 409: a change of the same kind is under way */
                log_debug("%s: %s isolation of %s: HTTP %ld", j->resp->name, x->block ? "start" : "stop", x->guid,
                          resp->status);
                rjob_ok(j, x->guid);
        } else if (!x->block && resp->status == 404)
                rjob_ok(j, x->guid);
        else {
                _cleanup_free_ char *what = xasprintf("Secure Endpoint %s isolation of %s",
                                                      x->block ? "start" : "stop", x->guid);
                rjob_fail_http(j, resp, what);
        }
        if (x->block)
                job_end(x);
        else
                next_guid(x);
}

static void on_state(RJob *j, const HttpResponse *resp)
{
        AmpJob *x = (AmpJob *) j;
        _cleanup_free_ char *path = NULL, *body = NULL;
        AmpIsolation st;

        if (!x->block && resp->status == 404) {
                /* the computer is gone: nothing isolated any more */
                log_info("%s: computer %s no longer exists in Secure Endpoint", j->resp->name, x->guid);
                rjob_ok(j, x->guid);
                next_guid(x);
                return;
        }
        if (!rhttp_ok(resp)) {
                _cleanup_free_ char *what = xasprintf("Secure Endpoint isolation state of %s", x->guid);
                rjob_fail_http(j, resp, what);
                goto next;
        }
        if (amp_isolation_state(resp->body, resp->body_len, &st) < 0) {
                rjob_fail(j, -EBADMSG, true, "Secure Endpoint isolation state of %s: unreadable answer", x->guid);
                goto next;
        }
        if (st == AMP_UNAVAILABLE) {
                if (x->block)
                        rjob_fail(j, -EOPNOTSUPP, false, "Secure Endpoint: isolation is not available for %s "
                                  "(connector version or policy)", x->guid);
                else
                        rjob_ok(j, x->guid);
                goto next;
        }
        if (x->block ? (st == AMP_ISOLATED || st == AMP_PENDING_START) :
                       (st == AMP_NOT_ISOLATED || st == AMP_PENDING_STOP)) {
                log_debug("%s: %s is %s already", j->resp->name, x->guid, state_names[st]);
                rjob_ok(j, x->guid);
                goto next;
        }
        path = isolation_path(x->guid);
        if (x->block)
                body = amp_isolation_body(x->amp->unlock_code, x->amp->comment);
        (void) rjob_http(j, &(RJobReq) { .method = x->block ? "PUT" : "DELETE", .path = path, .body = body },
                         on_changed);
        return;
next:
        if (x->block)
                job_end(x);
        else
                next_guid(x);
}

static void get_state(AmpJob *x)
{
        _cleanup_free_ char *path = isolation_path(x->guid);

        (void) rjob_http(&x->j, &(RJobReq) { .path = path }, on_state);
}

static void next_guid(AmpJob *x)
{
        RJob *j = &x->j;

        free(x->guid);
        x->guid = NULL;
        if (!x->guids || !x->guids[x->cur] || j->cancelled) {
                if (j->cancelled && j->r == 0)
                        rjob_fail(j, -ECANCELED, true, "cancelled");
                job_end(x);
                return;
        }
        x->guid = xstrdup(x->guids[x->cur++]);
        get_state(x);
}

static void found(AmpJob *x, char *guid)
{
        x->guid = guid;
        if (x->block) {
                get_state(x);
                return;
        }
        x->guids = strv_push(x->guids, guid);
        free(x->guid);
        x->guid = NULL;
        next_guid(x);
}

static void on_by_name(RJob *j, const HttpResponse *resp)
{
        AmpJob *x = (AmpJob *) j;
        char *guid = NULL;
        size_t n = 0;
        int k;

        if (!rhttp_ok(resp)) {
                rjob_fail_http(j, resp, "Secure Endpoint computers by hostname");
                job_end(x);
                return;
        }
        k = amp_pick_computer(resp->body, resp->body_len, x->hostname, &guid, &n);
        if (k == 0) {
                found(x, guid);
                return;
        }
        if (k == -EBADMSG)
                rjob_fail(j, k, true, "Secure Endpoint computers by hostname: unreadable answer");
        else if (k == -ENOTUNIQ)
                rjob_fail(j, k, false, "Secure Endpoint has %zu computers with address %s or name '%s'", n, x->ip,
                          x->hostname);
        else if (x->block)
                rjob_fail(j, k, false, "Secure Endpoint has no computer with address %s or name '%s'", x->ip,
                          x->hostname);
        job_end(x);
}

static void on_by_ip(RJob *j, const HttpResponse *resp)
{
        AmpJob *x = (AmpJob *) j;
        char *guid = NULL;
        size_t n = 0;
        int k;

        if (!rhttp_ok(resp)) {
                rjob_fail_http(j, resp, "Secure Endpoint computers by internal_ip");
                job_end(x);
                return;
        }
        k = amp_pick_computer(resp->body, resp->body_len, NULL, &guid, &n);
        if (k == 0) {
                found(x, guid);
                return;
        }
        if (k == -EBADMSG) {
                rjob_fail(j, k, true, "Secure Endpoint computers by internal_ip: unreadable answer");
                job_end(x);
                return;
        }
        if (x->hostname) {
                _cleanup_free_ char *esc = rjob_escape(x->hostname), *path = NULL;
                log_debug("%s: %zu computers with internal_ip %s; trying hostname '%s'", j->resp->name, n, x->ip,
                          x->hostname);
                path = xasprintf("/v1/computers?hostname%%5B%%5D=%s", esc);
                (void) rjob_http(j, &(RJobReq) { .path = path }, on_by_name);
                return;
        }
        if (n > 1)
                rjob_fail(j, -ENOTUNIQ, false, "Secure Endpoint has %zu computers with address %s and the source "
                          "gave no host name", n, x->ip);
        else if (x->block)
                rjob_fail(j, -ENOENT, false, "Secure Endpoint has no computer with address %s", x->ip);
        job_end(x);
}

static void lookup(AmpJob *x)
{
        _cleanup_free_ char *esc = rjob_escape(x->ip);
        _cleanup_free_ char *path = xasprintf("/v1/computers?internal_ip=%s", esc);

        (void) rjob_http(&x->j, &(RJobReq) { .path = path }, on_by_ip);
}

static int amp_start(Responder *r, const Entity *e, bool block, const char *const *elements, size_t n,
                     ResponderDone cb, void *userdata)
{
        Amp *amp = r->priv;
        AmpJob *x;
        const char *name;

        if (!amp || !e || !e->value || !cb || !r->loop)
                return -EINVAL;
        if (e->kind != ENTITY_HOST)
                return -EOPNOTSUPP;
        x = (AmpJob *) rjob_new(&amp->client, r, sizeof(AmpJob), cb, userdata);
        x->j.cleanup = job_free;
        x->amp = amp;
        x->block = block;
        x->ip = xstrdup(e->value);
        name = e->attrs.hostname ? e->attrs.hostname : e->attrs.name;
        x->hostname = name && name[0] ? xstrdup(name) : NULL;
        for (size_t i = 0; !block && i < n; i++)
                if (elements[i] && elements[i][0] && !strv_contains(x->guids, elements[i]))
                        x->guids = strv_push(x->guids, elements[i]);

        if (r->simulation) {
                for (size_t i = 0; x->guids && x->guids[i]; i++)
                        rjob_ok(&x->j, x->guids[i]);
                log_info("%s: simulation: would %s isolation of the computer with address %s%s%s", r->name,
                         block ? "start" : "stop", x->ip, x->hostname ? " or name " : "",
                         x->hostname ? x->hostname : "");
                job_end(x);
                return 0;
        }
        /* an unblock with no stored guid (a block taken over from VAR)
         * finds the computer as a block does */
        if (block || !x->guids)
                lookup(x);
        else
                next_guid(x);
        return 0;
}

static int amp_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return amp_start(r, e, true, NULL, 0, cb, userdata);
}

static int amp_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                       void *userdata)
{
        return amp_start(r, e, false, elements, n, cb, userdata);
}

static void on_version(RJob *j, const HttpResponse *resp)
{
        AmpJob *x = (AmpJob *) j;
        cJSON *o;
        const cJSON *v;

        if (!rhttp_ok(resp)) {
                rjob_fail_http(j, resp, "Secure Endpoint /v1/version");
                job_end(x);
                return;
        }
        o = rhttp_json(resp);
        v = cJSON_GetObjectItemCaseSensitive(o, "version");
        rjob_detail(j, "Secure Endpoint API %s answers with these credentials",
                    cJSON_IsString(v) ? v->valuestring : "v1");
        cJSON_Delete(o);
        job_end(x);
}

static int amp_test(Responder *r, ResponderDone cb, void *userdata)
{
        Amp *amp = r->priv;
        AmpJob *x;

        if (!amp || !cb || !r->loop)
                return -EINVAL;
        x = (AmpJob *) rjob_new(&amp->client, r, sizeof(AmpJob), cb, userdata);
        x->j.cleanup = job_free;
        x->amp = amp;
        (void) rjob_http(&x->j, &(RJobReq) { .path = "/v1/version" }, on_version);
        return 0;
}

const ResponderOps cisco_amp_ops = {
        .module = "cisco_amp",
        .client_name = "AMP Client",
        .caps = RESPONDER_CAP_HOST,
        .priv_size = sizeof(Amp),
        .configure = amp_configure,
        .done = amp_done,
        .block = amp_block,
        .unblock = amp_unblock,
        .cancel_all = amp_cancel_all,
        .test = amp_test,
        .needs_http = true,
        .default_max_concurrent = 4,
};
