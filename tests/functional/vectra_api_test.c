/* SPDX-License-Identifier: MIT */
/* Functional test of src/sources/vectra_api.c: the real client on a real
 * libuv loop and HTTP client against tests/sim/vectra_sim.py (v2.5, v3.4,
 * v2.5 over TLS), asserting on what the simulator recorded and on its
 * state.  Prints TAP; run by test-vectra-api.sh.
 *
 *   vectra_api_test --v25 URL --v3 URL --tls URL --ca ca.pem --wrong-ca wrong.pem \
 *                   --example tests/sim/vectra/example-state.json [--only NAME]
 *
 * The simulators run with their default credentials (token tok123, client
 * secresp-client / secresp-secret).  Every test resets them, builds its
 * own loop, HTTP client and API client, and ends with uv_loop_close() == 0. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <uv.h>
#include "common/log.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "daemon/http.h"
#include "sources/vectra_api.h"
#include "tests/functional/tap.h"

static const char *arg_v25;
static const char *arg_v3;
static const char *arg_tls;
static const char *arg_ca;
static const char *arg_wrong_ca;
static const char *arg_only;
static const char *arg_example;

#define TOKEN "tok123"
#define CLIENT_ID "secresp-client"
#define SECRET "secresp-secret"

/* ---- TAP ---------------------------------------------------------------- */

#define has_str(got, want, ...)                                                         \
        do {                                                                            \
                const char *_g = (got), *_w = (want);                                   \
                if (!ok(_g && strstr(_g, _w), __VA_ARGS__))                             \
                        diag("  got '%s', want it to contain '%s'", _g ? _g : "(null)", _w); \
        } while (0)

/* ---- results ------------------------------------------------------------ */

typedef enum ResKind { RES_HOSTS, RES_ACCOUNTS, RES_DETECTIONS, RES_GROUPS, RES_TAGS, RES_DONE } ResKind;

typedef struct Res {
        ResKind kind;
        unsigned calls;
        int r;
        long status;
        char *error;
        void **v;               /* objects, owned */
        size_t n;
        char **tags;
        bool was_null;          /* the array was NULL */
        uint64_t done_ms;
} Res;

static uint64_t now_ms(void)
{
        return uv_hrtime() / 1000000;
}

static void res_status(Res *res, const VectraStatus *st)
{
        res->calls++;
        res->r = st->r;
        res->status = st->http_status;
        free(res->error);
        res->error = st->error ? xstrdup(st->error) : NULL;
        res->done_ms = now_ms();
}

static void on_hosts(void *ud, const VectraStatus *st, VectraHost **v, size_t n)
{
        Res *res = ud;

        res_status(res, st);
        res->kind = RES_HOSTS;
        res->v = (void **) v;
        res->n = n;
        res->was_null = !v;
}

static void on_accounts(void *ud, const VectraStatus *st, VectraAccount **v, size_t n)
{
        Res *res = ud;

        res_status(res, st);
        res->kind = RES_ACCOUNTS;
        res->v = (void **) v;
        res->n = n;
        res->was_null = !v;
}

static void on_detections(void *ud, const VectraStatus *st, VectraDetection **v, size_t n)
{
        Res *res = ud;

        res_status(res, st);
        res->kind = RES_DETECTIONS;
        res->v = (void **) v;
        res->n = n;
        res->was_null = !v;
}

static void on_groups(void *ud, const VectraStatus *st, VectraGroup **v, size_t n)
{
        Res *res = ud;

        res_status(res, st);
        res->kind = RES_GROUPS;
        res->v = (void **) v;
        res->n = n;
        res->was_null = !v;
}

static void on_tags(void *ud, const VectraStatus *st, char **tags, size_t n)
{
        Res *res = ud;

        res_status(res, st);
        res->kind = RES_TAGS;
        res->tags = tags;
        res->n = n;
        res->was_null = !tags;
}

static void on_done(void *ud, const VectraStatus *st)
{
        Res *res = ud;

        res_status(res, st);
        res->kind = RES_DONE;
}

static void res_done(Res *res)
{
        switch (res->kind) {
        case RES_HOSTS:
                vectra_hosts_free((VectraHost **) res->v, res->n);
                break;
        case RES_ACCOUNTS:
                vectra_accounts_free((VectraAccount **) res->v, res->n);
                break;
        case RES_DETECTIONS:
                vectra_detections_free((VectraDetection **) res->v, res->n);
                break;
        case RES_GROUPS:
                vectra_groups_free((VectraGroup **) res->v, res->n);
                break;
        case RES_TAGS:
                vectra_strv_free(res->tags);
                break;
        case RES_DONE:
                break;
        }
        free(res->error);
        *res = (Res) {};
}

static int64_t res_id(const Res *res, size_t i)
{
        switch (res->kind) {
        case RES_HOSTS:
                return ((VectraHost *) res->v[i])->id;
        case RES_ACCOUNTS:
                return ((VectraAccount *) res->v[i])->id;
        case RES_DETECTIONS:
                return ((VectraDetection *) res->v[i])->id;
        case RES_GROUPS:
                return ((VectraGroup *) res->v[i])->id;
        default:
                return -1;
        }
}

/* "1,3,4": the ids delivered, in order. */
static char *res_ids(const Res *res)
{
        char *s = xstrdup("");

        for (size_t i = 0; i < res->n; i++) {
                char *t = xasprintf("%s%s%" PRId64, s, i ? "," : "", res_id(res, i));
                free(s);
                s = t;
        }
        return s;
}

#define is_ids(res, want, ...)                                                          \
        do {                                                                            \
                char *_ids = res_ids(res);                                              \
                is_str(_ids, want, __VA_ARGS__);                                        \
                free(_ids);                                                             \
        } while (0)

/* ---- environment -------------------------------------------------------- */

typedef struct Env {
        uv_loop_t loop;
        uv_timer_t deadline;
        bool expired;
        HttpClient *ctl;        /* the simulators' /__sim/ endpoints */
        HttpClient *http;       /* used by the client under test */
        VectraApi *api;
        const char *sim;        /* base URL of the simulator in use */
        unsigned shutdowns;
        bool api_shut;
} Env;

static void env_init(Env *e, const char *sim)
{
        HttpClientOptions ctl_opts = { .ca_file = arg_ca, .timeout_ms = 10000 };

        *e = (Env) { .sim = sim };
        if (uv_loop_init(&e->loop) < 0)
                abort();
        uv_timer_init(&e->loop, &e->deadline);
        if (http_client_new(&e->loop, &ctl_opts, &e->ctl) < 0 ||
            http_client_new(&e->loop, &(HttpClientOptions) { .timeout_ms = 20000 }, &e->http) < 0)
                abort();
}

static void on_deadline(uv_timer_t *t)
{
        Env *e = t->data;
        e->expired = true;
}

static bool run_until(Env *e, bool (*cond)(void *), void *ud, uint64_t timeout_ms)
{
        e->expired = false;
        e->deadline.data = e;
        uv_timer_start(&e->deadline, on_deadline, timeout_ms, 0);
        while (!cond(ud) && !e->expired)
                uv_run(&e->loop, UV_RUN_ONCE);
        uv_timer_stop(&e->deadline);
        return cond(ud);
}

static bool res_called(void *ud)
{
        return ((Res *) ud)->calls > 0;
}

static bool wait_res(Env *e, Res *res, uint64_t timeout_ms)
{
        return run_until(e, res_called, res, timeout_ms);
}

static void on_api_shut(void *ud)
{
        ((Env *) ud)->api_shut = true;
}

static void on_client_shut(void *ud)
{
        ((Env *) ud)->shutdowns++;
}

static bool api_gone(void *ud)
{
        return ((Env *) ud)->api_shut;
}

static bool two_shutdowns(void *ud)
{
        return ((Env *) ud)->shutdowns == 2;
}

static void api_close(Env *e)
{
        if (!e->api)
                return;
        e->api_shut = false;
        if (vectra_api_shutdown(e->api, on_api_shut, e) < 0 || !run_until(e, api_gone, e, 10000))
                diag("the API client did not shut down");
        e->api = NULL;
}

static void env_fini(Env *e, const char *name)
{
        api_close(e);
        http_client_shutdown(e->http, on_client_shut, e);
        http_client_shutdown(e->ctl, on_client_shut, e);
        ok(run_until(e, two_shutdowns, e, 10000), "%s: clients shut down", name);
        uv_close((uv_handle_t *) &e->deadline, NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        is_int(uv_loop_close(&e->loop), 0, "%s: uv_loop_close() == 0", name);
}

/* Fast retries, so that fault tests do not take minutes. */
static const RetryPolicy fast_retry = { .max_attempts = 3, .base_ms = 20, .max_ms = 3000, .jitter = 0 };
static const RetryPolicy fast_token_retry = { .max_attempts = 2, .base_ms = 20, .max_ms = 200, .jitter = 0 };

static VectraApi *api_new(Env *e, VectraApiOptions o)
{
        VectraApi *api = NULL;
        int r;

        if (!o.url)
                o.url = e->sim;
        if (!o.retry)
                o.retry = &fast_retry;
        if (!o.token_retry)
                o.token_retry = &fast_token_retry;
        if (o.auth == VECTRA_AUTH_TOKEN && !o.token)
                o.token = TOKEN;
        if (o.auth == VECTRA_AUTH_OAUTH && !o.client_id)
                o.client_id = CLIENT_ID;
        if (o.auth == VECTRA_AUTH_OAUTH && !o.secret)
                o.secret = SECRET;
        if (!o.ca_file)
                o.ca_file = arg_ca;
        r = vectra_api_new(&e->loop, e->http, &o, &api);
        if (r < 0) {
                diag("vectra_api_new() failed: %s", strerror(-r));
                abort();
        }
        e->api = api;
        return api;
}

/* ---- simulator control -------------------------------------------------- */

typedef struct Raw {
        unsigned calls;
        long status;
        char *body;
} Raw;

static void on_raw(const HttpResponse *resp, void *ud)
{
        Raw *raw = ud;

        raw->calls++;
        raw->status = resp->status;
        raw->body = xstrdup(resp->body);
}

static bool raw_called(void *ud)
{
        return ((Raw *) ud)->calls > 0;
}

static cJSON *sim_call(Env *e, const char *method, const char *path, const char *body)
{
        _cleanup_free_ char *u = xasprintf("%s%s", e->sim, path);
        const char *hdrs[] = { "Content-Type: application/json", NULL };
        Raw raw = {};
        HttpRequestOptions o = {
                .method = method,
                .url = u,
                .headers = hdrs,
                .body = body,
                .body_len = body ? strlen(body) : 0,
                .retry = &(RetryPolicy) { .max_attempts = 1 },
                .cb = on_raw,
                .userdata = &raw,
        };
        cJSON *j = NULL;

        if (http_request_start(e->ctl, &o, NULL) < 0 || !run_until(e, raw_called, &raw, 10000) ||
            raw.status != 200)
                diag("simulator call %s %s failed: status %ld: %s", method, path, raw.status,
                     raw.body ? raw.body : "");
        else
                j = cJSON_Parse(raw.body);
        free(raw.body);
        return j;
}

static void sim_do(Env *e, const char *method, const char *path, const char *body)
{
        cJSON_Delete(sim_call(e, method, path, body));
}

static void sim_reset(Env *e)
{
        sim_do(e, "POST", "/__sim/reset", NULL);
}

static void sim_faults(Env *e, const char *json)
{
        sim_do(e, "POST", "/__sim/faults", json);
}

static void sim_forget_requests(Env *e)
{
        sim_do(e, "DELETE", "/__sim/requests", NULL);
}

static cJSON *sim_requests(Env *e, const char *path_re)
{
        static const char hex[] = "0123456789ABCDEF";
        _cleanup_free_ char *p = NULL;
        cJSON *j;

        if (path_re) {
                char *q = xmalloc(strlen("/__sim/requests?path_re=") + 3 * strlen(path_re) + 1);
                char *o = q + sprintf(q, "/__sim/requests?path_re=");

                for (const unsigned char *c = (const unsigned char *) path_re; *c; c++) {
                        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                            *c == '/' || *c == '_' || *c == '-')
                                *o++ = (char) *c;
                        else {
                                *o++ = '%';
                                *o++ = hex[*c >> 4];
                                *o++ = hex[*c & 15];
                        }
                }
                *o = '\0';
                p = q;
        }
        j = sim_call(e, "GET", p ? p : "/__sim/requests", NULL);
        return j ? j : cJSON_CreateArray();
}

static int sim_count(Env *e, const char *method, const char *path_re)
{
        cJSON *reqs = sim_requests(e, path_re), *r;
        int n = 0;

        cJSON_ArrayForEach(r, reqs) {
                const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "method"));

                if (!method || (m && strcmp(m, method) == 0))
                        n++;
        }
        cJSON_Delete(reqs);
        return n;
}

static const char *jstr(const cJSON *o, const char *key)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static double jnum(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

static const char *jheader(const cJSON *req, const char *lname)
{
        return jstr(cJSON_GetObjectItemCaseSensitive(req, "headers"), lname);
}

static const char *jquery1(const cJSON *req, const char *name)
{
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(req, "query");
        return cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(q, name), 0));
}

static bool jhas_query(const cJSON *req, const char *name)
{
        return cJSON_HasObjectItem(cJSON_GetObjectItemCaseSensitive(req, "query"), name);
}

/* Replaces the simulator's state (and what a reset restores). */
static void sim_state(Env *e, const char *json)
{
        sim_do(e, "PUT", "/__sim/state?initial=1", json);
}

/* Back to tests/sim/vectra/example-state.json, which the others expect. */
static void sim_restore_example(Env *e)
{
        FILE *f = fopen(arg_example, "re");
        char *text = xmalloc(1 << 20);
        size_t n;

        if (!f)
                abort();
        n = fread(text, 1, (1 << 20) - 1, f);
        text[n] = '\0';
        fclose(f);
        sim_state(e, text);
        free(text);
}

/* ---- tests -------------------------------------------------------------- */

static void test_token_auth(void)
{
        Res res = {}, bad = {};
        cJSON *reqs, *r;
        bool all_token = true;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        sim_do(&e, "PUT", "/__sim/objects/host/8",
               "{\"name\":\"ws-old-tag\",\"last_source\":\"10.0.0.8\",\"tags\":[\"vectra_host_block_old\"]}");
        sim_forget_requests(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN });
        is_int(vectra_api_version(api), VECTRA_VERSION_2_5, "token: auto version is 2.5 for a brain");
        has_str(vectra_api_base(api), "/api/v2.5", "token: API base");
        is_int(vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &res), 0, "token: started");
        ok(wait_res(&e, &res, 10000), "token: completed");
        is_int(res.r, 0, "token: success");
        /* host 5 carries not_vectra_host_block, host 8 vectra_host_block_old:
         * the simulator's substring match returns them, the exact re-check
         * drops them. */
        is_ids(&res, "1,3", "token: tagged hosts, exact tag only");
        reqs = sim_requests(&e, NULL);
        is_int(cJSON_GetArraySize(reqs), 1, "token: one request");
        cJSON_ArrayForEach(r, reqs)
                if (!jheader(r, "authorization") || strncmp(jheader(r, "authorization"), "Token ", 6) != 0)
                        all_token = false;
        ok(all_token, "token: Authorization: Token on every call");
        r = cJSON_GetArrayItem(reqs, 0);
        is_str(jstr(r, "path"), "/api/v2.5/hosts", "token: path");
        is_str(jquery1(r, "tags"), "vectra_host_block", "token: tags= sent");
        is_str(jheader(r, "accept"), "application/json", "token: Accept header");
        is_int(sim_count(&e, NULL, "oauth2"), 0, "token: no token endpoint call");
        cJSON_Delete(reqs);
        res_done(&res);
        api_close(&e);

        /* A wrong static token: -EACCES, no retry, VAR's text. */
        sim_forget_requests(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN, .token = "wrong" });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &bad);
        ok(wait_res(&e, &bad, 10000), "bad token: completed");
        is_int(bad.r, -EACCES, "bad token: -EACCES");
        is_int(bad.status, 401, "bad token: status 401");
        has_str(bad.error, "HTTP 401: Invalid token.", "bad token: the API's detail in the error");
        ok(bad.was_null && bad.n == 0, "bad token: no result");
        is_int(sim_count(&e, NULL, "/hosts"), 1, "bad token: not retried");
        res_done(&bad);
        sim_reset(&e);
        env_fini(&e, "token");
}

static void test_oauth_v25(void)
{
        Res a = {}, b = {}, c = {}, bad = {};
        cJSON *reqs, *tok;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .version = VECTRA_VERSION_2_5 });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        vectra_api_accounts_by_tag(api, "vectra_account_block", on_accounts, &b);
        ok(wait_res(&e, &a, 10000) && wait_res(&e, &b, 10000), "oauth v2.5: completed");
        is_int(a.r, 0, "oauth v2.5: hosts ok");
        is_ids(&a, "1,3", "oauth v2.5: hosts");
        is_int(b.r, 0, "oauth v2.5: accounts ok");
        is_ids(&b, "101", "oauth v2.5: accounts");

        reqs = sim_requests(&e, "oauth2");
        is_int(cJSON_GetArraySize(reqs), 1, "oauth v2.5: one token request for two operations");
        tok = cJSON_GetArrayItem(reqs, 0);
        is_str(jstr(tok, "path"), "/api/v2.5/oauth2/token", "oauth v2.5: token endpoint");
        is_str(jstr(tok, "method"), "POST", "oauth v2.5: POST");
        is_str(jstr(tok, "body"), "grant_type=client_credentials", "oauth v2.5: client credentials grant");
        has_str(jheader(tok, "authorization"), "Basic ", "oauth v2.5: HTTP Basic client authentication");
        is_str(jheader(tok, "content-type"), "application/x-www-form-urlencoded", "oauth v2.5: form body");
        cJSON_Delete(reqs);
        reqs = sim_requests(&e, "^/api/v2.5/(hosts|accounts)$");
        is_int(cJSON_GetArraySize(reqs), 2, "oauth v2.5: two API calls");
        has_str(jheader(cJSON_GetArrayItem(reqs, 0), "authorization"), "Bearer ", "oauth v2.5: bearer token");
        cJSON_Delete(reqs);

        /* Expired server-side: 401, a new client_credentials grant (no
         * refresh on v2.5), the call again. */
        sim_forget_requests(&e);
        sim_do(&e, "POST", "/__sim/tokens/expire", NULL);
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &c);
        ok(wait_res(&e, &c, 10000), "oauth v2.5 expiry: completed");
        is_int(c.r, 0, "oauth v2.5 expiry: transparent");
        is_ids(&c, "1,3", "oauth v2.5 expiry: result");
        reqs = sim_requests(&e, "oauth2");
        is_int(cJSON_GetArraySize(reqs), 1, "oauth v2.5 expiry: one new token");
        is_str(jstr(cJSON_GetArrayItem(reqs, 0), "body"), "grant_type=client_credentials",
               "oauth v2.5 expiry: client credentials again (no refresh token on v2.5)");
        cJSON_Delete(reqs);
        is_int(sim_count(&e, "GET", "/hosts$"), 2, "oauth v2.5 expiry: the call retried once");
        api_close(&e);

        /* Wrong secret: the token endpoint refuses, the distinct error. */
        sim_forget_requests(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .secret = "not-the-secret" });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &bad);
        ok(wait_res(&e, &bad, 10000), "oauth bad secret: completed");
        is_int(bad.r, VECTRA_ERR_TOKEN, "oauth bad secret: VECTRA_ERR_TOKEN");
        is_int(bad.status, 401, "oauth bad secret: status 401");
        has_str(bad.error, "no access token", "oauth bad secret: says so");
        ok(bad.error && !strstr(bad.error, "not-the-secret"), "oauth bad secret: no secret in the error");
        is_int(sim_count(&e, NULL, "/hosts"), 0, "oauth bad secret: no API call without a token");

        res_done(&a);
        res_done(&b);
        res_done(&c);
        res_done(&bad);
        env_fini(&e, "oauth v2.5");
}

static void test_oauth_v3(void)
{
        Res a = {}, b = {}, c = {}, d = {};
        cJSON *reqs, *r;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v3);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .version = VECTRA_VERSION_3 });
        has_str(vectra_api_base(api), "/api/v3.4", "oauth v3: API base");
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        ok(wait_res(&e, &a, 10000), "oauth v3: completed");
        is_int(a.r, 0, "oauth v3: ok");
        is_ids(&a, "1,3", "oauth v3: hosts");
        reqs = sim_requests(&e, "oauth2");
        is_int(cJSON_GetArraySize(reqs), 1, "oauth v3: one token request");
        is_str(jstr(cJSON_GetArrayItem(reqs, 0), "path"), "/oauth2/token", "oauth v3: token endpoint at the root");
        cJSON_Delete(reqs);

        /* Access token expired: the refresh token, no client credentials. */
        sim_forget_requests(&e);
        sim_do(&e, "POST", "/__sim/tokens/expire", NULL);
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &b);
        ok(wait_res(&e, &b, 10000), "oauth v3 expiry: completed");
        is_int(b.r, 0, "oauth v3 expiry: transparent");
        reqs = sim_requests(&e, "oauth2");
        is_int(cJSON_GetArraySize(reqs), 1, "oauth v3 expiry: one token request");
        r = cJSON_GetArrayItem(reqs, 0);
        has_str(jstr(r, "body"), "grant_type=refresh_token&refresh_token=", "oauth v3 expiry: refresh grant");
        ok(!jheader(r, "authorization"), "oauth v3 expiry: no Basic auth on refresh");
        cJSON_Delete(reqs);
        is_int(sim_count(&e, "GET", "/hosts$"), 2, "oauth v3 expiry: 401, then the same call once more");

        /* Both expired: refresh refused (401), client credentials. */
        sim_forget_requests(&e);
        sim_do(&e, "POST", "/__sim/tokens/expire?refresh=1", NULL);
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &c);
        ok(wait_res(&e, &c, 10000), "oauth v3 refresh expired: completed");
        is_int(c.r, 0, "oauth v3 refresh expired: transparent");
        reqs = sim_requests(&e, "oauth2");
        is_int(cJSON_GetArraySize(reqs), 2, "oauth v3 refresh expired: two token requests");
        has_str(jstr(cJSON_GetArrayItem(reqs, 0), "body"), "grant_type=refresh_token",
                "oauth v3 refresh expired: refresh first");
        is_int(jnum(cJSON_GetArrayItem(reqs, 0), "status"), 401, "oauth v3 refresh expired: refused");
        is_str(jstr(cJSON_GetArrayItem(reqs, 1), "body"), "grant_type=client_credentials",
               "oauth v3 refresh expired: then client credentials");
        cJSON_Delete(reqs);

        /* The v3 score parameters of accounts (the simulator refuses the
         * v2.5 ones with 422). */
        sim_forget_requests(&e);
        vectra_api_accounts_by_score(api, 70, 60, VECTRA_SCORE_AND, on_accounts, &d);
        ok(wait_res(&e, &d, 10000), "v3 account scores: completed");
        is_int(d.r, 0, "v3 account scores: ok");
        is_ids(&d, "101,103", "v3 account scores: t_score_gte/c_score_gte");
        reqs = sim_requests(&e, "/accounts$");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "t_score_gte"), "70", "v3 account scores: t_score_gte sent");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "c_score_gte"), "60", "v3 account scores: c_score_gte sent");
        cJSON_Delete(reqs);

        res_done(&a);
        res_done(&b);
        res_done(&c);
        res_done(&d);
        env_fini(&e, "oauth v3");
}

static void test_token_endpoint_down(void)
{
        Res a = {}, b = {};
        VectraApi *api;
        Env e;

        env_init(&e, arg_v3);
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"status\",\"status\":503,\"path\":\"^/oauth2/token$\"}]");
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .url = arg_v3 });
        is_int(vectra_api_version(api), VECTRA_VERSION_2_5, "token down: explicit URL without portal is 2.5 by auto");
        api_close(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .version = VECTRA_VERSION_3 });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        ok(wait_res(&e, &a, 10000), "token down: completed");
        is_int(a.r, VECTRA_ERR_TOKEN, "token down: VECTRA_ERR_TOKEN");
        is_int(a.status, 503, "token down: status 503");
        has_str(a.error, "(after 2 attempts)", "token down: the token retry policy was used");
        is_int(sim_count(&e, "POST", "oauth2"), 2, "token down: retried by the token policy");
        is_int(sim_count(&e, NULL, "/hosts"), 0, "token down: no API call");

        /* A token answer that is not one. */
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"malformed\",\"path\":\"^/oauth2/token$\","
                       "\"body\":\"{\\\"token_type\\\":\\\"Bearer\\\"}\"}]");
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &b);
        ok(wait_res(&e, &b, 10000), "token garbage: completed");
        is_int(b.r, VECTRA_ERR_TOKEN, "token garbage: VECTRA_ERR_TOKEN");
        has_str(b.error, "POST /oauth2/token: access_token: missing", "token garbage: precise error");
        res_done(&a);
        res_done(&b);
        env_fini(&e, "token down");
}

static void test_401_once(void)
{
        Res a = {}, b = {};
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH });
        sim_faults(&e, "[{\"kind\":\"status\",\"status\":401,\"path\":\"/hosts$\",\"times\":1,"
                       "\"body\":{\"detail\":\"Token has expired.\"}}]");
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        ok(wait_res(&e, &a, 10000), "401 once: completed");
        is_int(a.r, 0, "401 once: recovered");
        is_ids(&a, "1,3", "401 once: result");
        is_int(sim_count(&e, "GET", "/hosts$"), 2, "401 once: two GETs");
        is_int(sim_count(&e, "POST", "oauth2"), 2, "401 once: a fresh token");

        /* 401 for good: retried exactly once, then -EACCES. */
        sim_reset(&e);
        sim_forget_requests(&e);
        sim_faults(&e, "[{\"kind\":\"status\",\"status\":401,\"path\":\"/hosts$\","
                       "\"body\":{\"detail\":\"Token has expired.\"}}]");
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &b);
        ok(wait_res(&e, &b, 10000), "401 always: completed");
        is_int(b.r, -EACCES, "401 always: -EACCES");
        has_str(b.error, "HTTP 401: Token has expired.", "401 always: VAR's text");
        is_int(sim_count(&e, "GET", "/hosts$"), 2, "401 always: the call retried once only");
        is_int(sim_count(&e, "POST", "oauth2"), 1, "401 always: one fresh token");
        res_done(&a);
        res_done(&b);
        env_fini(&e, "401");
}

/* A state with n hosts; every third tagged "pg", every fifth "pg_old". */
static char *paged_state(unsigned n)
{
        char *s = xstrdup("{\"hosts\":[");

        for (unsigned i = 1; i <= n; i++) {
                char *t = xasprintf("%s%s{\"id\":%u,\"name\":\"h%u\",\"last_source\":\"10.1.%u.%u\",\"threat\":%u,"
                                    "\"certainty\":%u,\"tags\":[%s],\"urgency_score\":%u}",
                                    s, i > 1 ? "," : "", i, i, i / 256, i % 256, i % 100, (i * 7) % 100,
                                    i % 3 == 0 ? "\"pg\"" : i % 5 == 0 ? "\"pg_old\"" : "", 100 - (i % 100));
                free(s);
                s = t;
        }
        {
                char *t = xasprintf("%s]}", s);
                free(s);
                s = t;
        }
        return s;
}

static void test_pagination(void)
{
        _cleanup_free_ char *state = paged_state(40);
        Res a = {}, b = {}, c = {};
        cJSON *reqs;
        VectraApi *api;
        bool pages_ok = true;
        Env e;

        env_init(&e, arg_v25);
        sim_state(&e, state);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN, .page_size = 4 });
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &a);
        ok(wait_res(&e, &a, 20000), "pages: completed");
        is_int(a.r, 0, "pages: ok");
        /* 3,6,…,39 are tagged pg; pg_old (substring) is dropped. */
        is_ids(&a, "3,6,9,12,15,18,21,24,27,30,33,36,39", "pages: every page delivered, in order");
        reqs = sim_requests(&e, "/hosts$");
        /* 13 pg + 5 pg_old-only (5,10,20,25,35,40 minus 15,30) = 19 from the sim: 5 pages of 4 */
        is_int(cJSON_GetArraySize(reqs), 5, "pages: five requests");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "page_size"), "4", "pages: page_size sent");
        ok(!jhas_query(cJSON_GetArrayItem(reqs, 0), "page"), "pages: first page without page=");
        for (int i = 1; i < 5; i++) {
                char want[8];

                snprintf(want, sizeof(want), "%d", i + 1);
                if (!jquery1(cJSON_GetArrayItem(reqs, i), "page") ||
                    strcmp(jquery1(cJSON_GetArrayItem(reqs, i), "page"), want) != 0 ||
                    !jquery1(cJSON_GetArrayItem(reqs, i), "tags"))
                        pages_ok = false;
        }
        ok(pages_ok, "pages: next links followed (page=2..5, filters kept)");
        cJSON_Delete(reqs);

        /* A next link on another origin: its path and query, from ours
         * (the token never leaves for another host). */
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"malformed\",\"path\":\"/hosts$\",\"query\":{\"page\":null},\"body\":"
                       "\"{\\\"count\\\":19,\\\"next\\\":"
                       "\\\"http://127.0.0.2:9/api/v2.5/hosts?page=2&page_size=4&tags=pg\\\","
                       "\\\"results\\\":[{\\\"id\\\":3,\\\"tags\\\":[\\\"pg\\\"]}]}\"}]");
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &b);
        ok(wait_res(&e, &b, 20000), "foreign next: completed");
        is_int(b.r, 0, "foreign next: ok");
        is_ids(&b, "3,12,15,18,21,24,27,30,33,36,39", "foreign next: pages 2.. from the configured origin");
        reqs = sim_requests(&e, "/hosts$");
        is_int(cJSON_GetArraySize(reqs), 5, "foreign next: five requests here");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 1), "page"), "2", "foreign next: page 2 asked here");
        cJSON_Delete(reqs);

        /* A next link that points at the same page: refused, not a loop. */
        sim_reset(&e);
        {
                _cleanup_free_ char *f = xasprintf(
                        "[{\"kind\":\"malformed\",\"path\":\"/hosts$\",\"body\":"
                        "\"{\\\"count\\\":1,\\\"next\\\":\\\"%s/api/v2.5/hosts?tags=pg&page_size=4\\\","
                        "\\\"results\\\":[]}\"}]", arg_v25);

                sim_faults(&e, f);
        }
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &c);
        ok(wait_res(&e, &c, 20000), "next loop: completed");
        is_int(c.r, -EPROTO, "next loop: -EPROTO");
        has_str(c.error, "next: the same page again", "next loop: says why");
        is_int(sim_count(&e, "GET", "/hosts$"), 1, "next loop: one request");

        res_done(&a);
        res_done(&b);
        res_done(&c);
        sim_restore_example(&e);
        env_fini(&e, "pages");
}

static void test_page_failures(void)
{
        _cleanup_free_ char *state = paged_state(40);
        Res a = {}, b = {}, c = {}, d = {};
        cJSON *reqs;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_state(&e, state);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN, .page_size = 4 });

        /* 500 on page 2, every time: the whole list fails. */
        sim_faults(&e, "[{\"kind\":\"status\",\"status\":500,\"path\":\"/hosts$\",\"query\":{\"page\":\"2\"},"
                       "\"body\":{\"detail\":\"Server Error (500)\"}}]");
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &a);
        ok(wait_res(&e, &a, 20000), "500 page 2: completed");
        is_int(a.r, -EAGAIN, "500 page 2: -EAGAIN");
        is_int(a.status, 500, "500 page 2: status 500");
        ok(a.was_null && a.n == 0, "500 page 2: no partial result");
        has_str(a.error, "page=2", "500 page 2: the failing page is named");
        has_str(a.error, "HTTP 500: Server Error (500)", "500 page 2: VAR's text");
        has_str(a.error, "after 3 attempts", "500 page 2: retried by the policy");
        is_int(sim_count(&e, "GET", "/hosts$"), 4, "500 page 2: page 1 once, page 2 three times, no page 3");

        /* 429 with Retry-After: 1 on page 2, once: honoured, then fine. */
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"rate_limit\",\"retry_after\":\"1\",\"path\":\"/hosts$\","
                       "\"query\":{\"page\":\"2\"},\"times\":1}]");
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &b);
        ok(wait_res(&e, &b, 20000), "429: completed");
        is_int(b.r, 0, "429: ok in the end");
        is_int(b.n, 13, "429: every host");
        reqs = sim_requests(&e, "/hosts$");
        is_int(cJSON_GetArraySize(reqs), 6, "429: one extra request");
        is_int(jnum(cJSON_GetArrayItem(reqs, 1), "status"), 429, "429: page 2 rate limited");
        ok(jnum(cJSON_GetArrayItem(reqs, 2), "time") - jnum(cJSON_GetArrayItem(reqs, 1), "time") >= 0.99,
           "429: Retry-After: 1 honoured (base backoff is 20 ms)");
        cJSON_Delete(reqs);

        /* Not JSON. */
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"malformed\",\"path\":\"/hosts$\",\"query\":{\"page\":\"2\"}}]");
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &c);
        ok(wait_res(&e, &c, 20000), "bad JSON: completed");
        is_int(c.r, -EPROTO, "bad JSON: -EPROTO");
        ok(c.was_null, "bad JSON: no partial result");
        has_str(c.error, "invalid JSON near byte", "bad JSON: precise error");
        has_str(c.error, "page=2", "bad JSON: names the request");

        /* JSON of the wrong shape. */
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"malformed\",\"path\":\"/hosts$\",\"body\":"
                       "\"{\\\"count\\\":1,\\\"next\\\":null,\\\"results\\\":[{\\\"id\\\":1,\\\"tags\\\":[\\\"pg\\\"]},"
                       "{\\\"id\\\":2,\\\"threat\\\":\\\"high\\\"}]}\"}]");
        vectra_api_hosts_by_tag(api, "pg", on_hosts, &d);
        ok(wait_res(&e, &d, 20000), "bad shape: completed");
        is_int(d.r, -EPROTO, "bad shape: -EPROTO");
        has_str(d.error, "(page 1): results[1].threat: expected an integer, got a string", "bad shape: names the field");
        res_done(&a);
        res_done(&b);
        res_done(&c);
        res_done(&d);
        sim_restore_example(&e);
        env_fini(&e, "page failures");
}

static void test_scores(void)
{
        Res and_ = {}, or_ = {}, acc = {};
        cJSON *reqs;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN });
        vectra_api_hosts_by_score(api, 60, 70, VECTRA_SCORE_AND, on_hosts, &and_);
        ok(wait_res(&e, &and_, 10000), "and: completed");
        is_ids(&and_, "1,3,4", "and: threat >= 60 and certainty >= 70");
        reqs = sim_requests(&e, "/hosts$");
        is_int(cJSON_GetArraySize(reqs), 1, "and: one query");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "threat_gte"), "60", "and: threat_gte");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "certainty_gte"), "70", "and: certainty_gte");
        cJSON_Delete(reqs);

        sim_forget_requests(&e);
        vectra_api_hosts_by_score(api, 90, 70, VECTRA_SCORE_OR, on_hosts, &or_);
        ok(wait_res(&e, &or_, 10000), "or: completed");
        is_ids(&or_, "3,4,1", "or: union by id, threat list first");
        reqs = sim_requests(&e, "/hosts$");
        is_int(cJSON_GetArraySize(reqs), 2, "or: two queries");
        ok((jhas_query(cJSON_GetArrayItem(reqs, 0), "threat_gte") !=
            jhas_query(cJSON_GetArrayItem(reqs, 0), "certainty_gte")) &&
           (jhas_query(cJSON_GetArrayItem(reqs, 1), "threat_gte") !=
            jhas_query(cJSON_GetArrayItem(reqs, 1), "certainty_gte")), "or: one filter each");
        cJSON_Delete(reqs);

        vectra_api_accounts_by_score(api, 70, 60, VECTRA_SCORE_AND, on_accounts, &acc);
        ok(wait_res(&e, &acc, 10000), "v2.5 account scores: completed");
        is_int(acc.r, 0, "v2.5 account scores: threat_gte/certainty_gte accepted");
        is_ids(&acc, "101,103", "v2.5 account scores: result");
        res_done(&and_);
        res_done(&or_);
        res_done(&acc);
        env_fini(&e, "scores");
}

static void test_urgency(void)
{
        Res a = {}, b = {}, v25 = {};
        VectraApi *api;
        Env e;
        int r;

        env_init(&e, arg_v3);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .version = VECTRA_VERSION_3,
                                              .page_size = 2 });
        /* Urgency: 3:99 4:95 1:80 | 7:60 5:40 2:20 6:0: pages of 2, stop at 7. */
        vectra_api_hosts_by_urgency(api, 70, on_hosts, &a);
        ok(wait_res(&e, &a, 10000), "urgency: completed");
        is_int(a.r, 0, "urgency: ok");
        is_ids(&a, "3,4,1", "urgency: descending, up to the threshold");
        is_int(sim_count(&e, "GET", "/entities$"), 2, "urgency: stopped after the second page (of 4)");
        is_int(sim_count(&e, "GET", "/hosts/[0-9]+$"), 3, "urgency: one GET /hosts/{id} per kept host");

        sim_forget_requests(&e);
        vectra_api_accounts_by_urgency(api, 65, on_accounts, &b);
        ok(wait_res(&e, &b, 10000), "urgency accounts: completed");
        is_ids(&b, "103,101", "urgency accounts: 100, 70");
        is_int(sim_count(&e, "GET", "/accounts/[0-9]+$"), 2, "urgency accounts: GET /accounts/{id}");
        api_close(&e);

        api = api_new(&e, (VectraApiOptions) { .url = arg_v25, .auth = VECTRA_AUTH_TOKEN });
        r = vectra_api_hosts_by_urgency(api, 70, on_hosts, &v25);
        is_int(r, -EOPNOTSUPP, "urgency: not on v2.5");
        is_int(v25.calls, 0, "urgency: no callback when refused");
        res_done(&a);
        res_done(&b);
        env_fini(&e, "urgency");
}

static void test_groups(void)
{
        Res g = {}, h = {}, a = {}, none = {};
        cJSON *reqs;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN });
        vectra_api_groups(api, "Block", "host", on_groups, &g);
        ok(wait_res(&e, &g, 10000), "groups: completed");
        /* The simulator matches names by substring: NoBlock, NoBlock-legacy too. */
        is_ids(&g, "2", "groups: exact name only");
        if (g.n == 1) {
                VectraGroup *gr = g.v[0];
                ok(gr->n_member_ids == 1 && gr->member_ids[0] == 7, "groups: members");
        }
        reqs = sim_requests(&e, "/groups$");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "name"), "Block", "groups: name=");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "type"), "host", "groups: type=");
        cJSON_Delete(reqs);

        sim_forget_requests(&e);
        vectra_api_group_hosts(api, "NoBlock", on_hosts, &h);
        ok(wait_res(&e, &h, 10000), "group hosts: completed");
        is_ids(&h, "3", "group hosts: NoBlock's member, not NoBlock-legacy's");
        is_int(sim_count(&e, "GET", "/hosts/3$"), 1, "group hosts: GET /hosts/{id}");
        is_int(sim_count(&e, "GET", "/hosts/5$"), 0, "group hosts: nothing of the other group");

        sim_forget_requests(&e);
        vectra_api_group_accounts(api, "NoBlock", on_accounts, &a);
        ok(wait_res(&e, &a, 10000), "group accounts: completed");
        is_ids(&a, "103", "group accounts: by uid");
        reqs = sim_requests(&e, "/accounts$");
        is_int(cJSON_GetArraySize(reqs), 1, "group accounts: one uid lookup");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "uid"), "O365:svc-backup@corp.example", "group accounts: uid=");
        cJSON_Delete(reqs);

        vectra_api_group_hosts(api, "Nonexistent", on_hosts, &none);
        ok(wait_res(&e, &none, 10000), "no group: completed");
        is_int(none.r, 0, "no group: success");
        is_int(none.n, 0, "no group: empty");
        res_done(&g);
        res_done(&h);
        res_done(&a);
        res_done(&none);
        env_fini(&e, "groups");
}

static void test_detections(void)
{
        Res types = {}, atypes = {}, tagged = {}, bytype = {}, set = {}, one = {}, gone = {};
        const char *t1[] = { "Hidden HTTPS Tunnel", "Data Smuggler" };
        const char *t2[] = { "O365 Suspicious Mailbox Rule" };
        cJSON *reqs;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN });

        vectra_api_hosts_by_detection_types(api, t1, 2, on_hosts, &types);
        ok(wait_res(&e, &types, 10000), "detection types: completed");
        /* 1004 (host 4, active), 1005 (host 4, inactive), 1002 (host 3). */
        is_ids(&types, "4,3", "detection types: source hosts of active detections");
        reqs = sim_requests(&e, "/detections$");
        is_int(cJSON_GetArraySize(reqs), 2, "detection types: one list per type");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "state"), "active", "detection types: state=active");
        ok(jquery1(cJSON_GetArrayItem(reqs, 0), "detection_type") != NULL, "detection types: detection_type=");
        cJSON_Delete(reqs);

        vectra_api_accounts_by_detection_types(api, t2, 1, on_accounts, &atypes);
        ok(wait_res(&e, &atypes, 10000), "account detection types: completed");
        is_ids(&atypes, "101", "account detection types: src_account");

        vectra_api_detections_by_tag(api, "block", on_detections, &tagged);
        ok(wait_res(&e, &tagged, 10000), "detections by tag: completed");
        /* Substring matches: VAR Detection Blocked (1006), blocklist_candidate (1008). */
        is_ids(&tagged, "1001", "detections by tag: exact");
        if (tagged.n == 1) {
                VectraDetection *d = tagged.v[0];
                ok(d->n_dst_ips == 1 && strcmp(d->dst_ips[0], "185.220.101.1") == 0,
                   "detections by tag: public destination IPs only");
                ok(d->n_dst_domains == 1 && strcmp(d->dst_domains[0], "c2.bad.example") == 0,
                   "detections by tag: target domains");
                is_int(d->src_host_id, 1, "detections by tag: src_host.id");
        }

        vectra_api_detections_by_type(api, "External Remote Access", on_detections, &bytype);
        ok(wait_res(&e, &bytype, 10000), "detections by type: completed");
        is_ids(&bytype, "1001,1008", "detections by type");

        /* detection_set naming a detection deleted since: skipped. */
        sim_do(&e, "PUT", "/__sim/objects/host/3",
               "{\"name\":\"srv-backup\",\"last_source\":\"10.0.0.3\",\"detection_set\":[1002,1003,1005]}");
        sim_do(&e, "DELETE", "/__sim/objects/detection/1003", NULL);
        sim_forget_requests(&e);
        vectra_api_detection_set(api, VECTRA_OBJECT_HOST, 3, on_detections, &set);
        ok(wait_res(&e, &set, 10000), "detection set: completed");
        is_int(set.r, 0, "detection set: a deleted detection is no error");
        is_ids(&set, "1002,1005", "detection set: the others, in order");
        reqs = sim_requests(&e, "/hosts/3$");
        is_str(jquery1(cJSON_GetArrayItem(reqs, 0), "fields"), "detection_set", "detection set: fields=detection_set");
        cJSON_Delete(reqs);
        is_int(sim_count(&e, "GET", "/detections/1003$"), 1, "detection set: the deleted one was asked for (404)");

        vectra_api_detection_get(api, 1001, on_detections, &one);
        vectra_api_detection_get(api, 9999, on_detections, &gone);
        ok(wait_res(&e, &one, 10000) && wait_res(&e, &gone, 10000), "detection get: completed");
        is_ids(&one, "1001", "detection get: found");
        is_int(gone.r, 0, "detection get 404: gone, no error");
        is_int(gone.n, 0, "detection get 404: nothing");

        res_done(&types);
        res_done(&atypes);
        res_done(&tagged);
        res_done(&bytype);
        res_done(&set);
        res_done(&one);
        res_done(&gone);
        env_fini(&e, "detections");
}

static void test_writes(void)
{
        const char *tags[] = { "keepme", "VAR Host Blocked", "VAR ID:Test Client:aa:bb:cc:dd:ee:ff", "ünïcode \"q\"" };
        const char *dtags[] = { "VAR Detection Blocked", "VAR ID:Test Client:185.220.101.1" };
        Res p = {}, n = {}, g = {}, pa = {}, pd = {}, na = {}, nd = {}, missing = {}, empty = {};
        cJSON *obj, *reqs, *r, *notes;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH });
        vectra_api_set_tags(api, VECTRA_OBJECT_HOST, 2, tags, 4, on_done, &p);
        ok(wait_res(&e, &p, 10000), "patch: completed");
        is_int(p.r, 0, "patch: ok");
        obj = sim_call(&e, "GET", "/__sim/objects/host/2", NULL);
        {
                cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "tags");
                bool same = cJSON_GetArraySize(t) == 4;

                for (int i = 0; same && i < 4; i++)
                        same = strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(t, i)) ?: "", tags[i]) == 0;
                ok(same, "patch: the simulator holds exactly the list sent (replace)");
        }
        cJSON_Delete(obj);
        reqs = sim_requests(&e, "/tagging/host/2$");
        r = cJSON_GetArrayItem(reqs, 0);
        is_str(jstr(r, "method"), "PATCH", "patch: PATCH");
        is_str(jheader(r, "content-type"), "application/json", "patch: JSON body");
        has_str(jstr(r, "body"), "{\"tags\":[\"keepme\",", "patch: {\"tags\":[...]}");
        cJSON_Delete(reqs);

        vectra_api_get_tags(api, VECTRA_OBJECT_HOST, 2, on_tags, &g);
        ok(wait_res(&e, &g, 10000), "get tags: completed");
        ok(g.n == 4 && g.tags && strcmp(g.tags[2], tags[2]) == 0 && !g.tags[4], "get tags: the list");

        vectra_api_add_note(api, VECTRA_OBJECT_HOST, 2, "VAR: Blocked on 22 Nov 2026 at 13:04:13", on_done, &n);
        ok(wait_res(&e, &n, 10000), "note: completed");
        is_int(n.r, 0, "note: ok");
        notes = sim_call(&e, "GET", "/__sim/notes?type=host&id=2", NULL);
        is_str(jstr(cJSON_GetArrayItem(notes, cJSON_GetArraySize(notes) - 1), "note"),
               "VAR: Blocked on 22 Nov 2026 at 13:04:13", "note: in the simulator");
        cJSON_Delete(notes);

        vectra_api_set_tags(api, VECTRA_OBJECT_ACCOUNT, 102, tags, 1, on_done, &pa);
        vectra_api_set_tags(api, VECTRA_OBJECT_DETECTION, 1001, dtags, 2, on_done, &pd);
        vectra_api_add_note(api, VECTRA_OBJECT_ACCOUNT, 102, "VAR: Unblocked on x", on_done, &na);
        vectra_api_add_note(api, VECTRA_OBJECT_DETECTION, 1001, "VAR: Blocked on y", on_done, &nd);
        vectra_api_set_tags(api, VECTRA_OBJECT_HOST, 424242, tags, 1, on_done, &missing);
        vectra_api_set_tags(api, VECTRA_OBJECT_HOST, 1, NULL, 0, on_done, &empty);
        ok(wait_res(&e, &pa, 10000) && wait_res(&e, &pd, 10000) && wait_res(&e, &na, 10000) &&
           wait_res(&e, &nd, 10000) && wait_res(&e, &missing, 10000) && wait_res(&e, &empty, 10000),
           "writes: completed");
        ok(pa.r == 0 && pd.r == 0 && na.r == 0 && nd.r == 0 && empty.r == 0, "writes: accounts, detections ok");
        obj = sim_call(&e, "GET", "/__sim/objects/detection/1001", NULL);
        is_str(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, "tags"), 1)),
               dtags[1], "writes: detection tags in the simulator");
        cJSON_Delete(obj);
        obj = sim_call(&e, "GET", "/__sim/objects/host/1", NULL);
        is_int(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(obj, "tags")), 0, "writes: empty tag list");
        cJSON_Delete(obj);
        notes = sim_call(&e, "GET", "/__sim/notes?type=account&id=102", NULL);
        is_int(cJSON_GetArraySize(notes), 1, "writes: account note");
        cJSON_Delete(notes);
        is_int(missing.r, -ENOENT, "writes: unknown host -ENOENT");
        has_str(missing.error, "PATCH /api/v2.5/tagging/host/424242: HTTP 404: Not found.", "writes: error text");

        res_done(&p);
        res_done(&n);
        res_done(&g);
        res_done(&pa);
        res_done(&pd);
        res_done(&na);
        res_done(&nd);
        res_done(&missing);
        res_done(&empty);
        env_fini(&e, "writes");
}

static void test_fanout(void)
{
        enum { N = 300 };
        _cleanup_free_ char *state = paged_state(N);
        int64_t ids[N + 20];
        Res a = {};
        VectraApiStats st;
        cJSON *stats;
        VectraApi *api;
        Env e;

        env_init(&e, arg_v25);
        sim_state(&e, state);
        sim_reset(&e);
        for (int i = 0; i < N + 20; i++)
                ids[i] = i < N ? N - i : 1 + i % 7;     /* duplicates at the end */
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN, .max_in_flight = 6 });
        vectra_api_hosts_get(api, ids, N + 20, on_hosts, &a);
        vectra_api_get_stats(api, &st);
        ok(st.queued >= N - 6 && st.running <= 6, "fan-out: queued, not started all at once");
        ok(wait_res(&e, &a, 60000), "fan-out: completed");
        is_int(a.r, 0, "fan-out: ok");
        is_int(a.n, N, "fan-out: every distinct host");
        ok(a.n == N && res_id(&a, 0) == N && res_id(&a, N - 1) == 1, "fan-out: in the order asked");
        vectra_api_get_stats(api, &st);
        is_int(st.max_running, 6, "fan-out: at most max_in_flight requests at once");
        is_int(st.requests, N, "fan-out: one request per distinct id");
        stats = sim_call(&e, "GET", "/__sim/stats", NULL);
        ok(jnum(stats, "max_in_flight") <= 6, "fan-out: the simulator never saw more than 6 at once");
        cJSON_Delete(stats);
        res_done(&a);
        sim_restore_example(&e);
        env_fini(&e, "fan-out");
}

static void test_tls(void)
{
        Res a = {}, b = {}, c = {};
        VectraApi *api;
        Env e;

        env_init(&e, arg_tls);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .ca_file = arg_ca });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        ok(wait_res(&e, &a, 10000), "https: completed");
        is_int(a.r, 0, "https: ok with the test CA");
        is_ids(&a, "1,3", "https: result");
        api_close(&e);

        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .ca_file = arg_wrong_ca });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &b);
        ok(wait_res(&e, &b, 10000), "https wrong CA: completed");
        is_int(b.r, VECTRA_ERR_TOKEN, "https wrong CA: no token (verification on by default)");
        api_close(&e);

        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_TOKEN, .ca_file = arg_wrong_ca,
                                              .tls_skip_verify = true });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &c);
        ok(wait_res(&e, &c, 10000), "https skip verify: completed");
        is_int(c.r, 0, "https skip verify: explicit opt-in works");
        res_done(&a);
        res_done(&b);
        res_done(&c);
        env_fini(&e, "https");
}

static void test_cancel(void)
{
        Res a = {}, b = {}, c = {}, late = {};
        VectraApiStats st;
        VectraApi *api;
        Env e;
        int r;

        env_init(&e, arg_v25);
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"latency\",\"delay_ms\":3000,\"path\":\"/hosts\"}]");
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        vectra_api_hosts_get(api, (const int64_t[]) { 1, 2, 3 }, 3, on_hosts, &b);
        uv_run(&e.loop, UV_RUN_NOWAIT);
        vectra_api_cancel_all(api);
        ok(wait_res(&e, &a, 5000) && wait_res(&e, &b, 5000), "cancel: callbacks ran");
        is_int(a.r, -ECANCELED, "cancel: list -ECANCELED");
        is_int(b.r, -ECANCELED, "cancel: fan-out -ECANCELED");
        ok(a.was_null && b.was_null, "cancel: no results");
        vectra_api_get_stats(api, &st);
        ok(st.operations == 0 && st.running == 0 && st.queued == 0, "cancel: nothing left");

        /* Still usable; then shut down with work in flight. */
        sim_do(&e, "DELETE", "/__sim/faults", NULL);
        sim_faults(&e, "[{\"kind\":\"latency\",\"delay_ms\":3000,\"path\":\"/accounts\"}]");
        vectra_api_accounts_by_tag(api, "vectra_account_block", on_accounts, &c);
        e.api_shut = false;
        is_int(vectra_api_shutdown(api, on_api_shut, &e), 0, "shutdown: started");
        is_int(vectra_api_shutdown(api, on_api_shut, &e), -EALREADY, "shutdown: once");
        r = vectra_api_hosts_by_tag(api, "x", on_hosts, &late);
        is_int(r, -ESHUTDOWN, "shutdown: no new operations");
        ok(run_until(&e, api_gone, &e, 5000), "shutdown: done");
        is_int(c.calls, 1, "shutdown: the pending callback ran once");
        is_int(c.r, -ECANCELED, "shutdown: -ECANCELED");
        is_int(late.calls, 0, "shutdown: refused op never called back");
        e.api = NULL;
        res_done(&a);
        res_done(&b);
        res_done(&c);
        env_fini(&e, "cancel");
}

static void test_options(void)
{
        VectraApi *api = NULL;
        Res a = {};
        _cleanup_free_ char *url = NULL;
        Env e;

        env_init(&e, arg_v25);
        sim_reset(&e);
#define BAD(desc, ...)                                                                          \
        is_int(vectra_api_new(&e.loop, e.http, &(VectraApiOptions) { __VA_ARGS__ }, &api), -EINVAL, \
               "options: %s refused", desc)
        BAD("no URL", .auth = VECTRA_AUTH_TOKEN, .token = TOKEN);
        BAD("ftp URL", .url = "ftp://brain", .auth = VECTRA_AUTH_TOKEN, .token = TOKEN);
        BAD("no token", .url = arg_v25, .auth = VECTRA_AUTH_TOKEN);
        BAD("CR LF in a token", .url = arg_v25, .auth = VECTRA_AUTH_TOKEN, .token = "a\r\nX-Evil: 1");
        BAD("token auth on v3", .url = arg_v25, .auth = VECTRA_AUTH_TOKEN, .token = TOKEN,
            .version = VECTRA_VERSION_3);
        BAD("oauth without secret", .url = arg_v25, .auth = VECTRA_AUTH_OAUTH, .client_id = "x");
        BAD("credentials in the URL", .url = "https://u:p@brain", .auth = VECTRA_AUTH_TOKEN, .token = TOKEN);
        BAD("a bad retry policy", .url = arg_v25, .auth = VECTRA_AUTH_TOKEN, .token = TOKEN,
            .retry = &(RetryPolicy) { .max_attempts = 0 });
#undef BAD
        is_int(vectra_api_new(&e.loop, e.http, &(VectraApiOptions) { .url = "tenant.eu.portal.vectra.ai",
                                                                      .auth = VECTRA_AUTH_OAUTH, .client_id = "c",
                                                                      .secret = "s" }, &api), 0,
               "options: SaaS URL without scheme");
        is_int(vectra_api_version(api), VECTRA_VERSION_3, "options: portal.vectra.ai is v3");
        is_str(vectra_api_base(api), "https://tenant.eu.portal.vectra.ai/api/v3.4", "options: https:// added");
        e.api = api;
        api_close(&e);

        /* A pasted API path and trailing slashes are dropped. */
        url = xasprintf("%s/api/v2.5//", arg_v25);
        api = api_new(&e, (VectraApiOptions) { .url = url, .auth = VECTRA_AUTH_TOKEN });
        {
                _cleanup_free_ char *want = xasprintf("%s/api/v2.5", arg_v25);
                is_str(vectra_api_base(api), want, "options: base normalised");
        }
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        ok(wait_res(&e, &a, 10000), "options: normalised URL works");
        is_int(a.r, 0, "options: ok");
        is_int(vectra_api_hosts_by_tag(api, "", on_hosts, &a), -EINVAL, "options: empty tag refused");
        is_int(vectra_api_host_get(api, 0, on_hosts, &a), -EINVAL, "options: id 0 refused");
        is_int(vectra_api_hosts_by_score(api, 101, 0, VECTRA_SCORE_AND, on_hosts, &a), -EINVAL,
               "options: score out of range refused");
        is_int(vectra_api_group_hosts(api, "", on_hosts, &a), -EINVAL, "options: empty group name refused");
        res_done(&a);
        env_fini(&e, "options");
}

static void test_log_secrets(void)
{
        char path[] = "/tmp/vectra-api-test-log.XXXXXX";
        char *buf;
        Res a = {}, b = {};
        cJSON *reqs;
        VectraApi *api;
        ssize_t n;
        int fd, saved;
        Env e;

        fd = mkstemp(path);
        saved = dup(STDERR_FILENO);
        if (fd < 0 || saved < 0)
                abort();
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        log_setup("vectra-test", LOG_TARGET_STDERR, LOG_DEBUG);

        env_init(&e, arg_v3);
        sim_reset(&e);
        api = api_new(&e, (VectraApiOptions) { .auth = VECTRA_AUTH_OAUTH, .version = VECTRA_VERSION_3 });
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &a);
        wait_res(&e, &a, 10000);
        sim_do(&e, "POST", "/__sim/tokens/expire", NULL);
        vectra_api_hosts_by_tag(api, "vectra_host_block", on_hosts, &b);
        wait_res(&e, &b, 10000);
        reqs = sim_requests(&e, "oauth2");
        env_fini(&e, "log");

        log_setup(NULL, LOG_TARGET_STDERR, LOG_INFO);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        buf = xmalloc(1 << 20);
        n = pread(fd, buf, (1 << 20) - 1, 0);
        close(fd);
        unlink(path);
        buf[n > 0 ? n : 0] = '\0';

        is_int(a.r, 0, "log: oauth run ok");
        is_int(b.r, 0, "log: refresh run ok");
        ok(strstr(buf, "access token") != NULL, "log: debug lines about tokens were written");
        ok(!strstr(buf, SECRET), "log: no client secret");
        /* base64("secresp-client:secresp-secret") */
        ok(!strstr(buf, "c2VjcmVzcC1jbGllbnQ6c2VjcmVzcC1zZWNyZXQ"), "log: no Basic credentials");
        {
                /* The refresh token as sent in the refresh body. */
                const char *body = jstr(cJSON_GetArrayItem(reqs, 1), "body");
                const char *rt = body ? strstr(body, "refresh_token=") : NULL;

                ok(rt && !strstr(buf, rt + 14), "log: no refresh token");
        }
        ok(!strstr(buf, "Bearer "), "log: no bearer header");
        cJSON_Delete(reqs);
        res_done(&a);
        res_done(&b);
        free(buf);
}

static const struct {
        const char *name;
        void (*fn)(void);
} tests[] = {
        { "token", test_token_auth },
        { "oauth25", test_oauth_v25 },
        { "oauth3", test_oauth_v3 },
        { "tokendown", test_token_endpoint_down },
        { "401", test_401_once },
        { "pages", test_pagination },
        { "pagefail", test_page_failures },
        { "scores", test_scores },
        { "urgency", test_urgency },
        { "groups", test_groups },
        { "detections", test_detections },
        { "writes", test_writes },
        { "fanout", test_fanout },
        { "tls", test_tls },
        { "cancel", test_cancel },
        { "options", test_options },
        { "log", test_log_secrets },
};

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "v25", required_argument, NULL, 'a' },
                { "v3", required_argument, NULL, 'b' },
                { "tls", required_argument, NULL, 't' },
                { "ca", required_argument, NULL, 'c' },
                { "wrong-ca", required_argument, NULL, 'w' },
                { "example", required_argument, NULL, 'e' },
                { "only", required_argument, NULL, 'o' },
                {}
        };
        int ch;

        while ((ch = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (ch) {
                case 'a': arg_v25 = optarg; break;
                case 'b': arg_v3 = optarg; break;
                case 't': arg_tls = optarg; break;
                case 'c': arg_ca = optarg; break;
                case 'w': arg_wrong_ca = optarg; break;
                case 'e': arg_example = optarg; break;
                case 'o': arg_only = optarg; break;
                default: return 2;
                }
        }
        if (!arg_v25 || !arg_v3 || !arg_tls || !arg_ca || !arg_wrong_ca || !arg_example) {
                fprintf(stderr, "usage: %s --v25 URL --v3 URL --tls URL --ca FILE --wrong-ca FILE --example STATE "
                        "[--only NAME]\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        log_setup("vectra-api-test", LOG_TARGET_STDERR, LOG_INFO);

        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
                if (arg_only && strcmp(arg_only, tests[i].name) != 0)
                        continue;
                diag("%s", tests[i].name);
                tests[i].fn();
        }
        printf("1..%u\n", tap_n);
        return tap_failed ? 1 : 0;
}
