/* SPDX-License-Identifier: MIT */
/* Functional test of src/daemon/http.c: the real client on a real libuv
 * loop against tests/sim/echo_sim.py (plain and TLS), asserting on what
 * the simulator recorded. Prints TAP; run by test-http-client.sh.
 *
 *   http_client_test --base http://127.0.0.1:P --tls-base https://127.0.0.1:Q \
 *                    --ca ca.pem --wrong-ca wrong-ca.pem [--only NAME]
 *
 * Every test builds its own loop and clients and ends by shutting them
 * down and checking uv_loop_close() == 0. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <uv.h>
#include "common/log.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "daemon/http.h"
#include "tests/functional/tap.h"

static const char *arg_base;
static const char *arg_tls_base;
static const char *arg_ca;
static const char *arg_wrong_ca;
static const char *arg_only;

/* ---- TAP ---------------------------------------------------------------- */

#define in_range(got, lo, hi, ...)                                                      \
        do {                                                                            \
                double _g = (double) (got);                                             \
                if (!ok(_g >= (double) (lo) && _g <= (double) (hi), __VA_ARGS__))       \
                        diag("  got %.3f, want [%.3f, %.3f]", _g, (double) (lo), (double) (hi)); \
        } while (0)

/* ---- results ------------------------------------------------------------ */

static unsigned completion_seq;

typedef struct Result {
        unsigned calls;
        unsigned seq;           /* order of completion across all requests */
        long status;
        int r;
        HttpErrClass cls;
        unsigned attempts;
        uint64_t total_ms;
        char *body;
        size_t body_len;
        char *error;
        const char *want_header;        /* looked up with http_response_header() in the callback */
        char *got_header;
        size_t n_headers;
        char *all_headers;      /* "name: value\n"... */
} Result;

static void result_done(Result *res)
{
        free(res->body);
        free(res->error);
        free(res->got_header);
        free(res->all_headers);
        *res = (Result) {};
}

static void on_response(const HttpResponse *resp, void *userdata)
{
        Result *res = userdata;
        size_t len = 1;
        char *p;

        res->calls++;
        res->seq = ++completion_seq;
        res->status = resp->status;
        res->r = resp->r;
        res->cls = resp->err_class;
        res->attempts = resp->attempts;
        res->total_ms = resp->total_ms;
        free(res->body);
        res->body = xmalloc(resp->body_len + 1);
        memcpy(res->body, resp->body, resp->body_len + 1);      /* NUL included: checks termination */
        res->body_len = resp->body_len;
        free(res->error);
        res->error = xstrdup(resp->error);
        free(res->got_header);
        res->got_header = NULL;
        if (res->want_header && http_response_header(resp, res->want_header))
                res->got_header = xstrdup(http_response_header(resp, res->want_header));
        res->n_headers = resp->n_headers;
        for (size_t i = 0; i < resp->n_headers; i++)
                len += strlen(resp->headers[i].name) + strlen(resp->headers[i].value) + 3;
        free(res->all_headers);
        p = res->all_headers = xmalloc(len);
        *p = '\0';
        for (size_t i = 0; i < resp->n_headers; i++)
                p += sprintf(p, "%s: %s\n", resp->headers[i].name, resp->headers[i].value);
}

/* ---- environment -------------------------------------------------------- */

typedef struct Env {
        uv_loop_t loop;
        uv_timer_t deadline;
        bool expired;
        HttpClient *ctl;        /* talks to the simulators' /__sim/ endpoints */
        HttpClient *c;          /* the client under test */
        unsigned shutdowns;
} Env;

static void env_init(Env *e, const HttpClientOptions *opts)
{
        HttpClientOptions ctl_opts = { .ca_file = arg_ca, .timeout_ms = 5000 };

        *e = (Env) {};
        if (uv_loop_init(&e->loop) < 0)
                abort();
        uv_timer_init(&e->loop, &e->deadline);
        if (http_client_new(&e->loop, &ctl_opts, &e->ctl) < 0 || http_client_new(&e->loop, opts, &e->c) < 0)
                abort();
}

static void on_deadline(uv_timer_t *t)
{
        Env *e = t->data;
        e->expired = true;
}

/* Runs the loop until cond(ud) or timeout_ms; false on timeout. */
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

typedef struct Waiter {
        Result *rs;
        size_t n;
} Waiter;

static bool all_done(void *ud)
{
        Waiter *w = ud;
        for (size_t i = 0; i < w->n; i++)
                if (w->rs[i].calls == 0)
                        return false;
        return true;
}

static bool wait_results(Env *e, Result *rs, size_t n, uint64_t timeout_ms)
{
        Waiter w = { rs, n };
        return run_until(e, all_done, &w, timeout_ms);
}

static void on_client_shut(void *userdata)
{
        Env *e = userdata;
        e->shutdowns++;
}

static bool two_shutdowns(void *ud)
{
        return ((Env *) ud)->shutdowns == 2;
}

static void env_fini(Env *e, const char *name)
{
        if (e->c)
                http_client_shutdown(e->c, on_client_shut, e);
        else
                e->shutdowns++;
        http_client_shutdown(e->ctl, on_client_shut, e);
        ok(run_until(e, two_shutdowns, e, 5000), "%s: clients shut down", name);
        uv_close((uv_handle_t *) &e->deadline, NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        is_int(uv_loop_close(&e->loop), 0, "%s: uv_loop_close() == 0", name);
}

/* ---- simulator control -------------------------------------------------- */

static char *url(const char *base, const char *path)
{
        return xasprintf("%s%s", base, path);
}

static cJSON *sim_call(Env *e, const char *base, const char *method, const char *path, const char *body)
{
        _cleanup_free_ char *u = url(base, path);
        Result res = {};
        HttpRequestOptions o = {
                .method = method,
                .url = u,
                .body = body,
                .body_len = body ? strlen(body) : 0,
                .retry = &(RetryPolicy) { .max_attempts = 1, .base_ms = 0, .max_ms = 0 },
                .cb = on_response,
                .userdata = &res,
        };
        cJSON *j = NULL;

        if (http_request_start(e->ctl, &o, NULL) < 0 || !wait_results(e, &res, 1, 5000) || res.status != 200)
                diag("simulator call %s %s failed: status %ld, r %d", method, path, res.status, res.r);
        else
                j = cJSON_Parse(res.body);
        result_done(&res);
        return j;
}

static void sim_reset(Env *e, const char *base)
{
        cJSON_Delete(sim_call(e, base, "POST", "/__sim/reset", NULL));
}

static void sim_faults(Env *e, const char *base, const char *json)
{
        cJSON *j = sim_call(e, base, "POST", "/__sim/faults", json);
        if (!j)
                diag("could not set faults %s", json);
        cJSON_Delete(j);
}

/* The requests the simulator logged (control traffic excluded). */
static cJSON *sim_requests(Env *e, const char *base)
{
        cJSON *j = sim_call(e, base, "GET", "/__sim/requests", NULL);
        return j ? j : cJSON_CreateArray();
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

static double gap(const cJSON *reqs, int a, int b)
{
        return jnum(cJSON_GetArrayItem(reqs, b), "time") - jnum(cJSON_GetArrayItem(reqs, a), "time");
}

static int start(Env *e, HttpClient *c, HttpRequestOptions o, Result *res)
{
        o.cb = on_response;
        o.userdata = res;
        return http_request_start(c ? c : e->c, &o, NULL);
}

static const RetryPolicy no_retry = { .max_attempts = 1 };

/* ---- tests -------------------------------------------------------------- */

static void test_get_headers(void)
{
        Env e;
        Result res = { .want_header = "CONTENT-type" };
        _cleanup_free_ char *u = url(arg_base, "/echo?a=1&b=two%20words");
        const char *hdrs[] = { "X-Test: hello", "Authorization: Bearer tok123", "Accept: application/json", NULL };
        cJSON *reqs, *r0;

        env_init(&e, &(HttpClientOptions) {});
        sim_reset(&e, arg_base);
        is_int(start(&e, NULL, (HttpRequestOptions) { .url = u, .headers = hdrs }, &res), 0, "get: started");
        ok(wait_results(&e, &res, 1, 10000), "get: completed");
        is_int(res.calls, 1, "get: callback called once");
        is_int(res.r, 0, "get: r == 0");
        is_int(res.status, 200, "get: status 200");
        is_int(res.cls, HTTP_ERR_OK, "get: class ok");
        is_int(res.attempts, 1, "get: one attempt");
        is_str(res.got_header, "application/json", "get: case-insensitive response header lookup");
        ok(res.body && strstr(res.body, "\"method\": \"GET\"") && res.body[res.body_len] == '\0',
           "get: body is the echo, NUL-terminated");
        is_str(res.error, "", "get: no error text");

        reqs = sim_requests(&e, arg_base);
        is_int(cJSON_GetArraySize(reqs), 1, "get: simulator saw one request");
        r0 = cJSON_GetArrayItem(reqs, 0);
        is_str(jstr(r0, "method"), "GET", "get: method arrived");
        is_str(jstr(r0, "path"), "/echo", "get: path arrived");
        is_str(jquery1(r0, "a"), "1", "get: query a arrived");
        is_str(jquery1(r0, "b"), "two words", "get: query b arrived");
        is_str(jheader(r0, "x-test"), "hello", "get: custom header arrived");
        is_str(jheader(r0, "authorization"), "Bearer tok123", "get: authorization header arrived");
        is_str(jheader(r0, "accept"), "application/json", "get: accept header arrived");
        ok(jheader(r0, "user-agent") && strncmp(jheader(r0, "user-agent"), "secresp/", 8) == 0,
           "get: default user agent");
        cJSON_Delete(reqs);
        result_done(&res);
        env_fini(&e, "get");
}

static void test_methods_bodies(void)
{
        static const char json[] = "{\"k\":\"v\",\"n\":[1,2,3]}";
        static const char bin[] = { 'a', '\0', 'b', '\n', 'c' };
        const char *json_hdrs[] = { "Content-Type: application/json", NULL };
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result rs[3] = {};
        cJSON *reqs;
        Env e;

        env_init(&e, &(HttpClientOptions) { .user_agent = "secresp-test/1" });
        sim_reset(&e, arg_base);
        start(&e, NULL, (HttpRequestOptions) { .method = "POST", .url = u, .headers = json_hdrs, .body = json,
                                               .body_len = strlen(json), .retry = &no_retry }, &rs[0]);
        ok(wait_results(&e, rs, 1, 10000), "post: completed");
        start(&e, NULL, (HttpRequestOptions) { .method = "PUT", .url = u, .body = bin, .body_len = sizeof(bin),
                                               .retry = &no_retry }, &rs[1]);
        ok(wait_results(&e, rs, 2, 10000), "put: completed");
        start(&e, NULL, (HttpRequestOptions) { .method = "DELETE", .url = u, .retry = &no_retry }, &rs[2]);
        ok(wait_results(&e, rs, 3, 10000), "delete: completed");
        for (int i = 0; i < 3; i++)
                is_int(rs[i].status, 200, "post/put/delete %d: status 200", i);

        reqs = sim_requests(&e, arg_base);
        is_int(cJSON_GetArraySize(reqs), 3, "post/put/delete: simulator saw three requests");
        is_str(jstr(cJSON_GetArrayItem(reqs, 0), "method"), "POST", "post: method arrived");
        is_str(jstr(cJSON_GetArrayItem(reqs, 0), "body"), json, "post: body arrived byte for byte");
        is_int(jnum(cJSON_GetArrayItem(reqs, 0), "body_len"), strlen(json), "post: body length");
        is_str(jheader(cJSON_GetArrayItem(reqs, 0), "content-type"), "application/json", "post: content type");
        ok(!jheader(cJSON_GetArrayItem(reqs, 0), "expect"), "post: no Expect: 100-continue");
        is_str(jheader(cJSON_GetArrayItem(reqs, 0), "user-agent"), "secresp-test/1", "post: configured user agent");
        is_str(jstr(cJSON_GetArrayItem(reqs, 1), "method"), "PUT", "put: method arrived");
        is_int(jnum(cJSON_GetArrayItem(reqs, 1), "body_len"), sizeof(bin), "put: binary body with NUL, full length");
        is_str(jstr(cJSON_GetArrayItem(reqs, 2), "method"), "DELETE", "delete: method arrived");
        is_int(jnum(cJSON_GetArrayItem(reqs, 2), "body_len"), 0, "delete: no body");
        cJSON_Delete(reqs);
        for (int i = 0; i < 3; i++)
                result_done(&rs[i]);
        env_fini(&e, "methods");
}

static void test_retry_503(void)
{
        RetryPolicy p = { .max_attempts = 4, .base_ms = 200, .max_ms = 5000, .jitter = 0.0 };
        RetryPolicy p3 = { .max_attempts = 3, .base_ms = 50, .max_ms = 5000, .jitter = 0.0 };
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result res = { .want_header = "X-Fault" }, res2 = {};
        cJSON *reqs;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base,
                   "[{\"kind\":\"status\",\"status\":503,\"path\":\"^/echo$\",\"times\":2,"
                   "\"headers\":{\"X-Fault\":\"yes\"}}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &res);
        ok(wait_results(&e, &res, 1, 10000), "503: completed");
        is_int(res.r, 0, "503: succeeded in the end");
        is_int(res.status, 200, "503: final status 200");
        is_int(res.attempts, 3, "503: three attempts");
        ok(!res.got_header, "503: headers of failed attempts are not reported");
        reqs = sim_requests(&e, arg_base);
        is_int(cJSON_GetArraySize(reqs), 3, "503: simulator saw three requests");
        is_int(jnum(cJSON_GetArrayItem(reqs, 0), "status"), 503, "503: first answered 503");
        is_int(jnum(cJSON_GetArrayItem(reqs, 2), "status"), 200, "503: third answered 200");
        in_range(gap(reqs, 0, 1), 0.195, 1.0, "503: first backoff about 200 ms");
        in_range(gap(reqs, 1, 2), 0.395, 1.5, "503: second backoff about 400 ms (exponential)");
        cJSON_Delete(reqs);

        /* Transient until the policy gives up. */
        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"status\",\"status\":503,\"path\":\"^/echo$\"}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p3 }, &res2);
        ok(wait_results(&e, &res2, 1, 10000), "503 always: completed");
        is_int(res2.r, -EAGAIN, "503 always: -EAGAIN");
        is_int(res2.cls, HTTP_ERR_TRANSIENT, "503 always: transient");
        is_int(res2.status, 503, "503 always: status 503");
        is_int(res2.attempts, 3, "503 always: max_attempts attempts");
        reqs = sim_requests(&e, arg_base);
        is_int(cJSON_GetArraySize(reqs), 3, "503 always: simulator saw exactly three");
        cJSON_Delete(reqs);
        result_done(&res);
        result_done(&res2);
        env_fini(&e, "503");
}

static void test_retry_after(void)
{
        RetryPolicy p = { .max_attempts = 3, .base_ms = 50, .max_ms = 5000, .jitter = 0.0 };
        RetryPolicy capped = { .max_attempts = 3, .base_ms = 50, .max_ms = 300, .jitter = 0.0 };
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result res = { .want_header = "Retry-After" }, res2 = {};
        cJSON *reqs;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"rate_limit\",\"retry_after\":\"1\",\"times\":1}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &res);
        ok(wait_results(&e, &res, 1, 10000), "429: completed");
        is_int(res.r, 0, "429: succeeded after waiting");
        is_int(res.attempts, 2, "429: two attempts");
        reqs = sim_requests(&e, arg_base);
        is_int(cJSON_GetArraySize(reqs), 2, "429: simulator saw two requests");
        is_int(jnum(cJSON_GetArrayItem(reqs, 0), "status"), 429, "429: first answered 429");
        in_range(gap(reqs, 0, 1), 1.0, 2.0, "429: Retry-After: 1 honoured (gap >= 1 s, backoff was 50 ms)");
        cJSON_Delete(reqs);

        /* The policy's max_ms caps what a server may ask for. */
        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"rate_limit\",\"retry_after\":\"30\",\"times\":1}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &capped }, &res2);
        ok(wait_results(&e, &res2, 1, 10000), "429 capped: completed");
        is_int(res2.attempts, 2, "429 capped: two attempts");
        reqs = sim_requests(&e, arg_base);
        in_range(gap(reqs, 0, 1), 0.295, 1.5, "429 capped: Retry-After: 30 capped at max_ms 300");
        cJSON_Delete(reqs);
        result_done(&res);
        result_done(&res2);
        env_fini(&e, "429");
}

static void test_not_retried(void)
{
        static const struct {
                const char *path;
                long status;
                int r;
                HttpErrClass cls;
        } cases[] = {
                { "/status/404", 404, -ENOENT, HTTP_ERR_PERMANENT },
                { "/status/400", 400, -EPROTO, HTTP_ERR_PERMANENT },
                { "/status/401", 401, -EACCES, HTTP_ERR_AUTH },
                { "/status/403", 403, -EACCES, HTTP_ERR_AUTH },
                { "/status/501", 501, -EPROTO, HTTP_ERR_PERMANENT },
        };
        RetryPolicy p = { .max_attempts = 4, .base_ms = 10, .max_ms = 100 };
        Env e;

        env_init(&e, NULL);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *u = url(arg_base, cases[i].path);
                Result res = {};
                cJSON *reqs;

                sim_reset(&e, arg_base);
                start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &res);
                ok(wait_results(&e, &res, 1, 10000), "%s: completed", cases[i].path);
                is_int(res.status, cases[i].status, "%s: status", cases[i].path);
                is_int(res.r, cases[i].r, "%s: errno", cases[i].path);
                is_int(res.cls, cases[i].cls, "%s: class %s", cases[i].path, http_err_class_to_string(cases[i].cls));
                is_int(res.attempts, 1, "%s: not retried", cases[i].path);
                reqs = sim_requests(&e, arg_base);
                is_int(cJSON_GetArraySize(reqs), 1, "%s: simulator saw one request", cases[i].path);
                cJSON_Delete(reqs);
                result_done(&res);
        }
        env_fini(&e, "permanent");
}

static void test_timeout_drop(void)
{
        RetryPolicy p = { .max_attempts = 3, .base_ms = 50, .max_ms = 1000 };
        RetryPolicy p2 = { .max_attempts = 2, .base_ms = 50, .max_ms = 1000 };
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result silent = {}, drop = {}, drop2 = {}, trunc = {};
        cJSON *reqs;
        Env e;

        env_init(&e, NULL);

        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"silent\",\"delay_ms\":5000}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .timeout_ms = 800, .retry = &no_retry }, &silent);
        ok(wait_results(&e, &silent, 1, 5000), "silent: completed");
        is_int(silent.r, -ETIMEDOUT, "silent: -ETIMEDOUT");
        is_int(silent.cls, HTTP_ERR_TRANSIENT, "silent: transient");
        is_int(silent.status, 0, "silent: no status");
        in_range(silent.total_ms, 750, 2000, "silent: gave up at the 800 ms request timeout");
        ok(silent.error[0] != '\0', "silent: curl error text reported");

        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"drop\",\"times\":1}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &drop);
        ok(wait_results(&e, &drop, 1, 5000), "drop once: completed");
        is_int(drop.r, 0, "drop once: retried and succeeded");
        is_int(drop.attempts, 2, "drop once: two attempts");
        reqs = sim_requests(&e, arg_base);
        is_str(jstr(cJSON_GetArrayItem(reqs, 0), "fault"), "drop", "drop once: first request was dropped");
        cJSON_Delete(reqs);

        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"drop\"}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p2 }, &drop2);
        ok(wait_results(&e, &drop2, 1, 5000), "drop always: completed");
        is_int(drop2.r, -ECONNRESET, "drop always: -ECONNRESET");
        is_int(drop2.cls, HTTP_ERR_TRANSIENT, "drop always: transient");
        is_int(drop2.attempts, 2, "drop always: all attempts used");

        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"truncate\"}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &no_retry }, &trunc);
        ok(wait_results(&e, &trunc, 1, 5000), "truncated body: completed");
        is_int(trunc.r, -ECONNRESET, "truncated body: -ECONNRESET");
        is_int(trunc.cls, HTTP_ERR_TRANSIENT, "truncated body: transient");

        result_done(&silent);
        result_done(&drop);
        result_done(&drop2);
        result_done(&trunc);
        env_fini(&e, "timeout");
}

static void test_refused(void)
{
        RetryPolicy p = { .max_attempts = 2, .base_ms = 10, .max_ms = 100 };
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        char *u;
        Result res = {};
        Env e;
        int fd;

        /* A port that was free a moment ago: nothing listens there. */
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &sl) < 0)
                abort();
        close(fd);
        u = xasprintf("http://127.0.0.1:%u/", (unsigned) ntohs(sa.sin_port));

        env_init(&e, NULL);
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &res);
        ok(wait_results(&e, &res, 1, 5000), "refused: completed");
        is_int(res.r, -ECONNREFUSED, "refused: -ECONNREFUSED");
        is_int(res.cls, HTTP_ERR_TRANSIENT, "refused: transient");
        is_int(res.attempts, 2, "refused: retried");
        free(u);
        result_done(&res);
        env_fini(&e, "refused");
}

static void test_tls(void)
{
        RetryPolicy p = { .max_attempts = 3, .base_ms = 10, .max_ms = 100 };
        _cleanup_free_ char *u = url(arg_tls_base, "/echo");
        Result good = {}, wrong = {}, sys = {}, skip = {}, client_ca = {};
        HttpClient *with_ca;
        cJSON *reqs;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e, arg_tls_base);

        start(&e, NULL, (HttpRequestOptions) { .url = u, .ca_file = arg_ca, .retry = &p }, &good);
        ok(wait_results(&e, &good, 1, 5000), "tls test CA: completed");
        is_int(good.r, 0, "tls test CA: verified");
        is_int(good.status, 200, "tls test CA: status 200");

        start(&e, NULL, (HttpRequestOptions) { .url = u, .ca_file = arg_wrong_ca, .retry = &p }, &wrong);
        ok(wait_results(&e, &wrong, 1, 5000), "tls wrong CA: completed");
        is_int(wrong.r, -EKEYREJECTED, "tls wrong CA: refused (-EKEYREJECTED)");
        is_int(wrong.cls, HTTP_ERR_PERMANENT, "tls wrong CA: permanent");
        is_int(wrong.attempts, 1, "tls wrong CA: not retried");

        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &sys);
        ok(wait_results(&e, &sys, 1, 5000), "tls system CAs: completed");
        is_int(sys.cls, HTTP_ERR_PERMANENT, "tls system CAs: test server not trusted");

        start(&e, NULL, (HttpRequestOptions) { .url = u, .ca_file = arg_wrong_ca, .tls_skip_verify = true,
                                               .retry = &p }, &skip);
        ok(wait_results(&e, &skip, 1, 5000), "tls explicit skip-verify: completed");
        is_int(skip.status, 200, "tls explicit skip-verify: accepted");

        if (http_client_new(&e.loop, &(HttpClientOptions) { .ca_file = arg_ca }, &with_ca) < 0)
                abort();
        start(&e, with_ca, (HttpRequestOptions) { .url = u, .retry = &p }, &client_ca);
        ok(wait_results(&e, &client_ca, 1, 5000), "tls client-wide CA: completed");
        is_int(client_ca.status, 200, "tls client-wide CA: verified");
        http_client_shutdown(with_ca, NULL, NULL);

        reqs = sim_requests(&e, arg_tls_base);
        /* Refused handshakes never reach HTTP: only good, skip and client_ca. */
        is_int(cJSON_GetArraySize(reqs), 3, "tls: simulator saw only the verified (or opted-out) requests");
        cJSON_Delete(reqs);
        result_done(&good);
        result_done(&wrong);
        result_done(&sys);
        result_done(&skip);
        result_done(&client_ca);
        env_fini(&e, "tls");
}

typedef struct CancelCtx {
        HttpRequest *req;
        int r1, r2;
        bool fired;
} CancelCtx;

static void on_cancel_timer(uv_timer_t *t)
{
        CancelCtx *cc = t->data;

        cc->fired = true;
        cc->r1 = http_request_cancel(cc->req);
        cc->r2 = http_request_cancel(cc->req);
        uv_close((uv_handle_t *) t, NULL);
}

static void test_cancel(void)
{
        RetryPolicy slow_retry = { .max_attempts = 3, .base_ms = 3000, .max_ms = 5000 };
        _cleanup_free_ char *slow = url(arg_base, "/slow?ms=3000");
        _cleanup_free_ char *u = url(arg_base, "/echo");
        CancelCtx running = {}, waiting = {};
        uv_timer_t t1, t2;
        Result r1 = {}, r2 = {};
        HttpRequestOptions o;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"status\",\"status\":503,\"path\":\"^/echo$\"}]");

        o = (HttpRequestOptions) { .url = slow, .retry = &no_retry, .cb = on_response, .userdata = &r1 };
        is_int(http_request_start(e.c, &o, &running.req), 0, "cancel running: started");
        o = (HttpRequestOptions) { .url = u, .retry = &slow_retry, .cb = on_response, .userdata = &r2 };
        is_int(http_request_start(e.c, &o, &waiting.req), 0, "cancel waiting: started");
        is_int(http_client_in_flight(e.c), 2, "cancel: two in flight");

        uv_timer_init(&e.loop, &t1);
        t1.data = &running;
        uv_timer_start(&t1, on_cancel_timer, 200, 0);
        uv_timer_init(&e.loop, &t2);
        t2.data = &waiting;
        uv_timer_start(&t2, on_cancel_timer, 500, 0);

        ok(wait_results(&e, &r1, 1, 5000), "cancel running: completed");
        ok(wait_results(&e, &r2, 1, 5000), "cancel waiting: completed");
        is_int(running.r1, 0, "cancel running: http_request_cancel() == 0");
        is_int(running.r2, -EALREADY, "cancel running: second cancel -EALREADY");
        is_int(r1.r, -ECANCELED, "cancel running: callback got -ECANCELED");
        is_int(r1.calls, 1, "cancel running: callback called once");
        ok(r1.total_ms < 1500, "cancel running: did not wait for the 3 s answer");
        is_int(waiting.r1, 0, "cancel waiting: http_request_cancel() == 0");
        is_int(r2.r, -ECANCELED, "cancel waiting: callback got -ECANCELED");
        is_int(r2.attempts, 1, "cancel waiting: cancelled during the backoff after attempt 1");
        ok(r2.total_ms < 1500, "cancel waiting: did not wait for the 3 s backoff");
        is_int(http_client_in_flight(e.c), 0, "cancel: nothing in flight");
        result_done(&r1);
        result_done(&r2);
        env_fini(&e, "cancel");
}

typedef struct ShutCtx {
        Env *e;
        Result *rs;
        size_t n;
        unsigned in_flight_before;
        int start_after;
        unsigned shut_seq;
        bool shut;
} ShutCtx;

static void on_shut(void *userdata)
{
        ShutCtx *sc = userdata;
        sc->shut = true;
        sc->shut_seq = ++completion_seq;
}

static void on_shutdown_timer(uv_timer_t *t)
{
        ShutCtx *sc = t->data;
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result dummy = {};

        sc->in_flight_before = http_client_in_flight(sc->e->c);
        http_client_shutdown(sc->e->c, on_shut, sc);
        sc->start_after = start(sc->e, NULL, (HttpRequestOptions) { .url = u }, &dummy);
        uv_close((uv_handle_t *) t, NULL);
}

static bool shut_done(void *ud)
{
        return ((ShutCtx *) ud)->shut;
}

static void test_shutdown(void)
{
        RetryPolicy slow_retry = { .max_attempts = 3, .base_ms = 3000, .max_ms = 5000 };
        _cleanup_free_ char *slow = url(arg_base, "/slow?ms=3000");
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result rs[4] = {};
        ShutCtx sc = { .rs = rs, .n = 4 };
        uv_timer_t t;
        bool all_cancelled = true, before = true;
        Env e;

        env_init(&e, NULL);
        sc.e = &e;
        sim_reset(&e, arg_base);
        sim_faults(&e, arg_base, "[{\"kind\":\"status\",\"status\":503,\"path\":\"^/echo$\"}]");
        for (int i = 0; i < 3; i++)
                start(&e, NULL, (HttpRequestOptions) { .url = slow, .retry = &no_retry }, &rs[i]);
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &slow_retry }, &rs[3]);

        uv_timer_init(&e.loop, &t);
        t.data = &sc;
        uv_timer_start(&t, on_shutdown_timer, 300, 0);
        ok(run_until(&e, shut_done, &sc, 5000), "shutdown: completion callback called");
        is_int(sc.in_flight_before, 4, "shutdown: four requests were in flight");
        is_int(sc.start_after, -ESHUTDOWN, "shutdown: new requests refused with -ESHUTDOWN");
        for (int i = 0; i < 4; i++) {
                if (rs[i].calls != 1 || rs[i].r != -ECANCELED)
                        all_cancelled = false;
                if (rs[i].seq > sc.shut_seq)
                        before = false;
        }
        ok(all_cancelled, "shutdown: every in-flight callback got -ECANCELED exactly once");
        ok(before, "shutdown: request callbacks ran before the shutdown callback");
        for (int i = 0; i < 4; i++)
                result_done(&rs[i]);
        e.c = NULL;     /* already shut down */
        env_fini(&e, "shutdown");
}

static void test_conn_cap(void)
{
        _cleanup_free_ char *u = url(arg_base, "/slow?ms=300");
        Result rs[10] = {};
        uint64_t t0;
        bool all_ok = true;
        cJSON *stats, *reqs, *it;
        double max_conc = 0;
        Env e;

        env_init(&e, &(HttpClientOptions) { .max_host_connections = 2 });
        sim_reset(&e, arg_base);
        t0 = uv_hrtime();
        for (int i = 0; i < 10; i++)
                start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &no_retry }, &rs[i]);
        ok(wait_results(&e, rs, 10, 15000), "cap: ten requests completed");
        for (int i = 0; i < 10; i++)
                if (rs[i].status != 200)
                        all_ok = false;
        ok(all_ok, "cap: all answered 200");
        ok((uv_hrtime() - t0) / 1000000 >= 1400, "cap: took at least five rounds of 300 ms");

        stats = sim_call(&e, arg_base, "GET", "/__sim/stats", NULL);
        is_int(jnum(stats, "max_in_flight"), 2, "cap: simulator saw at most (and at least) 2 concurrent");
        cJSON_Delete(stats);
        reqs = sim_requests(&e, arg_base);
        is_int(cJSON_GetArraySize(reqs), 10, "cap: simulator saw ten requests");
        cJSON_ArrayForEach(it, reqs)
                if (jnum(it, "concurrent") > max_conc)
                        max_conc = jnum(it, "concurrent");
        ok(max_conc <= 2, "cap: no request arrived with more than 2 in flight");
        cJSON_Delete(reqs);
        for (int i = 0; i < 10; i++)
                result_done(&rs[i]);
        env_fini(&e, "cap");
}

static void test_body_limit(void)
{
        static const char *const paths[] = { "/big?bytes=5000", "/big?bytes=5000&chunked=1", "/big?bytes=1000" };
        RetryPolicy p = { .max_attempts = 3, .base_ms = 10, .max_ms = 100 };
        Result rs[3] = {};
        Env e;

        env_init(&e, &(HttpClientOptions) { .max_body_size = 1000 });
        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *u = url(arg_base, paths[i]);
                start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &p }, &rs[i]);
        }
        ok(wait_results(&e, rs, 3, 5000), "body limit: completed");
        is_int(rs[0].r, -EFBIG, "body limit: Content-Length over the limit: -EFBIG");
        is_int(rs[0].cls, HTTP_ERR_PERMANENT, "body limit: permanent");
        is_int(rs[0].attempts, 1, "body limit: not retried");
        is_int(rs[1].r, -EFBIG, "body limit: unsized body over the limit: -EFBIG");
        is_int(rs[1].attempts, 1, "body limit: unsized not retried");
        is_int(rs[2].r, 0, "body limit: exactly the limit is fine");
        is_int(rs[2].body_len, 1000, "body limit: whole body received");
        for (int i = 0; i < 3; i++)
                result_done(&rs[i]);
        env_fini(&e, "body limit");
}

static void test_redirects_malformed(void)
{
        _cleanup_free_ char *redir = url(arg_base, "/redirect?to=/headers%3FX-Final%3D1");
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result follow = { .want_header = "x-final" }, nofollow = { .want_header = "Location" }, bad = {};
        cJSON *j;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e, arg_base);
        start(&e, NULL, (HttpRequestOptions) { .url = redir, .follow_redirects = true }, &follow);
        start(&e, NULL, (HttpRequestOptions) { .url = redir }, &nofollow);
        ok(wait_results(&e, &follow, 1, 5000) && wait_results(&e, &nofollow, 1, 5000), "redirect: completed");
        is_int(follow.status, 200, "redirect followed: final status 200");
        is_str(follow.got_header, "1", "redirect followed: final response's headers");
        ok(follow.all_headers && !strcasestr(follow.all_headers, "location:"),
           "redirect followed: redirect's headers dropped");
        is_int(nofollow.status, 302, "redirect not followed by default: 302");
        is_int(nofollow.cls, HTTP_ERR_OK, "redirect not followed: 3xx is a final answer");
        is_str(nofollow.got_header, "/headers?X-Final=1", "redirect not followed: Location visible");

        sim_faults(&e, arg_base, "[{\"kind\":\"malformed\",\"times\":1}]");
        start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &no_retry }, &bad);
        ok(wait_results(&e, &bad, 1, 5000), "malformed: completed");
        is_int(bad.status, 200, "malformed: HTTP itself was fine");
        j = cJSON_Parse(bad.body);
        ok(!j, "malformed: body is not JSON (the caller's parser reports it)");
        cJSON_Delete(j);
        result_done(&follow);
        result_done(&nofollow);
        result_done(&bad);
        env_fini(&e, "redirect");
}

static void test_invalid(void)
{
        const char *crlf[] = { "X-A: ok", "X-B: evil\r\nX-Injected: 1", NULL };
        const char *nocolon[] = { "garbage", NULL };
        RetryPolicy bad_policy = { .max_attempts = 2, .base_ms = 10, .max_ms = 100, .jitter = 2.0 };
        _cleanup_free_ char *u = url(arg_base, "/echo");
        Result res = {};
        HttpClient *c;
        Env e;

        env_init(&e, NULL);
        is_int(start(&e, NULL, (HttpRequestOptions) { .url = "ftp://127.0.0.1/x" }, &res), -EINVAL,
               "invalid: ftp URL refused");
        is_int(start(&e, NULL, (HttpRequestOptions) { .url = "not a url" }, &res), -EINVAL,
               "invalid: garbage URL refused");
        is_int(start(&e, NULL, (HttpRequestOptions) { .url = u, .headers = crlf }, &res), -EINVAL,
               "invalid: CR/LF in a header refused");
        is_int(start(&e, NULL, (HttpRequestOptions) { .url = u, .headers = nocolon }, &res), -EINVAL,
               "invalid: header without colon refused");
        is_int(start(&e, NULL, (HttpRequestOptions) { .method = "GE T", .url = u }, &res), -EINVAL,
               "invalid: bad method refused");
        is_int(start(&e, NULL, (HttpRequestOptions) { .url = u, .retry = &bad_policy }, &res), -EINVAL,
               "invalid: bad retry policy refused");
        is_int(http_request_start(e.c, &(HttpRequestOptions) { .url = u }, NULL), -EINVAL,
               "invalid: missing callback refused");
        is_int(http_client_new(&e.loop, &(HttpClientOptions) { .timeout_ms = -1 }, &c), -EINVAL,
               "invalid: negative timeout refused");
        uv_run(&e.loop, UV_RUN_NOWAIT);
        is_int(res.calls, 0, "invalid: no callback for refused requests");
        is_int(http_client_in_flight(e.c), 0, "invalid: nothing in flight");
        result_done(&res);
        env_fini(&e, "invalid");
}

static void test_log_secrets(void)
{
        _cleanup_free_ char *u = url(arg_base, "/echo?api_key=SECRETQ&x=1");
        const char *hdrs[] = { "Authorization: Bearer SECRETH", NULL };
        char path[] = "/tmp/http-client-test-log.XXXXXX";
        HttpClientOptions opts = { .proxy = arg_base, .proxy_user = "puser", .proxy_password = "SECRETP" };
        char buf[65536];
        ssize_t n;
        cJSON *reqs, *r0;
        Result res = {};
        int fd, saved;
        Env e;

        fd = mkstemp(path);
        saved = dup(STDERR_FILENO);
        if (fd < 0 || saved < 0)
                abort();
        fflush(stderr);
        dup2(fd, STDERR_FILENO);
        log_setup("http-test", LOG_TARGET_STDERR, LOG_DEBUG);

        env_init(&e, &opts);
        sim_reset(&e, arg_base);
        /* Through the proxy option: the simulator plays the forward proxy. */
        start(&e, NULL, (HttpRequestOptions) { .url = u, .headers = hdrs, .retry = &no_retry }, &res);
        wait_results(&e, &res, 1, 5000);
        reqs = sim_requests(&e, arg_base);
        env_fini(&e, "logging");

        log_setup(NULL, LOG_TARGET_STDERR, LOG_INFO);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        close(fd);
        unlink(path);
        buf[n > 0 ? n : 0] = '\0';

        is_int(res.status, 200, "proxy: request went through");
        r0 = cJSON_GetArrayItem(reqs, 0);
        ok(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r0, "proxied")), "proxy: simulator saw a proxy request");
        /* base64("puser:SECRETP") */
        is_str(jheader(r0, "proxy-authorization"), "Basic cHVzZXI6U0VDUkVUUA==", "proxy: credentials sent");
        cJSON_Delete(reqs);
        ok(strstr(buf, "/echo") != NULL, "debug log names the request");
        ok(!strstr(buf, "SECRETQ"), "debug log has no query string");
        ok(!strstr(buf, "SECRETH"), "debug log has no headers");
        ok(!strstr(buf, "SECRETP"), "debug log has no proxy password");
        if (!strstr(buf, "/echo") || strstr(buf, "SECRET"))
                diag("log was: %s", buf);
        result_done(&res);
}

static const struct {
        const char *name;
        void (*fn)(void);
} tests[] = {
        { "get", test_get_headers },
        { "methods", test_methods_bodies },
        { "retry503", test_retry_503 },
        { "retryafter", test_retry_after },
        { "permanent", test_not_retried },
        { "timeout", test_timeout_drop },
        { "refused", test_refused },
        { "tls", test_tls },
        { "cancel", test_cancel },
        { "shutdown", test_shutdown },
        { "cap", test_conn_cap },
        { "bodylimit", test_body_limit },
        { "redirect", test_redirects_malformed },
        { "invalid", test_invalid },
        { "logging", test_log_secrets },
};

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "base", required_argument, NULL, 'b' },
                { "tls-base", required_argument, NULL, 't' },
                { "ca", required_argument, NULL, 'c' },
                { "wrong-ca", required_argument, NULL, 'w' },
                { "only", required_argument, NULL, 'o' },
                {}
        };
        int ch;

        while ((ch = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (ch) {
                case 'b': arg_base = optarg; break;
                case 't': arg_tls_base = optarg; break;
                case 'c': arg_ca = optarg; break;
                case 'w': arg_wrong_ca = optarg; break;
                case 'o': arg_only = optarg; break;
                default: return 2;
                }
        }
        if (!arg_base || !arg_tls_base || !arg_ca || !arg_wrong_ca) {
                fprintf(stderr, "usage: %s --base URL --tls-base URL --ca FILE --wrong-ca FILE [--only NAME]\n",
                        argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        log_setup("http-test", LOG_TARGET_STDERR, LOG_INFO);

        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
                if (arg_only && strcmp(arg_only, tests[i].name) != 0)
                        continue;
                diag("%s", tests[i].name);
                tests[i].fn();
        }
        printf("1..%u\n", tap_n);
        return tap_failed ? 1 : 0;
}
