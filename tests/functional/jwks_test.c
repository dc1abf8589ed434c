/* SPDX-License-Identifier: MIT */
/* Functional test of src/daemon/jwks.c (with jwt.c): the real JWKS cache
 * and HTTP client on a real libuv loop against tests/sim/jwks_sim.py over
 * HTTPS, asserting on what the simulator logged.  Prints TAP; run by
 * test-jwks.sh, which makes the CA and the RSA key pairs.
 *
 *   jwks_test --base https://127.0.0.1:P --ca ca.pem --wrong-ca wrong-ca.pem \
 *             --keys DIR --closed-port N [--only NAME]
 *
 * DIR holds k1.pem and k2.pem (RSA private keys): the simulator serves
 * visibility.amp.cisco.com = {kid-1: k1, kid-2: k2} and
 * visibility.eu.amp.cisco.com = {eu-1: k2} after each reset; tokens are
 * signed here with the private keys.  Every test builds its own loop,
 * clients and cache, and ends with uv_loop_close() == 0. */
#include <config.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "daemon/http.h"
#include "daemon/jwks.h"
#include "daemon/jwt.h"
#include "tests/functional/tap.h"

#define US "visibility.amp.cisco.com"
#define EU "visibility.eu.amp.cisco.com"
#define APJC "visibility.apjc.amp.cisco.com"
#define AUD "https://relay.example"

static const char *arg_base;
static const char *arg_ca;
static const char *arg_wrong_ca;
static const char *arg_keys;
static const char *arg_only;
static int arg_closed_port;

static EVP_PKEY *k1, *k2;

/* ---- TAP ---------------------------------------------------------------- */

#define is_err(got, want, ...)                                                          \
        do {                                                                            \
                JwtError _g = (got), _w = (want);                                       \
                if (!ok(_g == _w, __VA_ARGS__))                                         \
                        diag("  got %s, want %s", jwt_error_to_string(_g), jwt_error_to_string(_w)); \
        } while (0)

/* ---- environment -------------------------------------------------------- */

typedef struct Env {
        uv_loop_t loop;
        uv_timer_t deadline;
        bool expired;
        HttpClient *ctl;        /* talks to the simulator's control routes */
        HttpClient *http;       /* the cache's */
        JwksCache *cache;
        unsigned shutdowns;
        bool cache_shut;
} Env;

static char *default_template(void)
{
        return xasprintf("%s/{host}/.well-known/jwks", arg_base);
}

static void env_init(Env *e, const JwksOptions *opts)
{
        HttpClientOptions ctl_opts = { .ca_file = arg_ca, .timeout_ms = 10000 };
        _cleanup_free_ char *tmpl = default_template();
        JwksOptions o = opts ? *opts : (JwksOptions) {};
        const char *why = NULL;

        memset(e, 0, sizeof(*e));
        if (uv_loop_init(&e->loop) < 0)
                abort();
        uv_timer_init(&e->loop, &e->deadline);
        e->deadline.data = e;
        if (http_client_new(&e->loop, &ctl_opts, &e->ctl) < 0 ||
            http_client_new(&e->loop, &(HttpClientOptions) { .ca_file = arg_ca }, &e->http) < 0)
                abort();
        if (!o.url_template)
                o.url_template = tmpl;
        if (jwks_cache_new(&e->loop, e->http, &o, &e->cache, &why) < 0) {
                diag("jwks_cache_new: %s", why);
                abort();
        }
}

static void on_deadline(uv_timer_t *t)
{
        ((Env *) t->data)->expired = true;
}

static bool run_until(Env *e, bool (*cond)(void *), void *ud, uint64_t timeout_ms)
{
        e->expired = false;
        uv_timer_start(&e->deadline, on_deadline, timeout_ms, 0);
        while (!cond(ud) && !e->expired)
                uv_run(&e->loop, UV_RUN_ONCE);
        uv_timer_stop(&e->deadline);
        return cond(ud);
}

static bool never(void *ud)
{
        return false;
}

/* Lets the loop run for ms (never sleep() with work pending). */
static void run_for(Env *e, uint64_t ms)
{
        run_until(e, never, NULL, ms);
}

static void on_cache_shut(void *ud)
{
        ((Env *) ud)->cache_shut = true;
}

static bool cache_is_shut(void *ud)
{
        return ((Env *) ud)->cache_shut;
}

static void on_client_shut(void *ud)
{
        ((Env *) ud)->shutdowns++;
}

static bool clients_shut(void *ud)
{
        return ((Env *) ud)->shutdowns == 2;
}

static void env_fini(Env *e, const char *name)
{
        if (e->cache && !e->cache_shut) {
                int r = jwks_cache_shutdown(e->cache, on_cache_shut, e);
                if (r == 0)
                        ok(run_until(e, cache_is_shut, e, 10000), "%s: cache shut down", name);
                else if (r == -EALREADY)
                        ok(run_until(e, cache_is_shut, e, 10000), "%s: cache shut down (already shutting down)",
                           name);
        }
        http_client_shutdown(e->http, on_client_shut, e);
        http_client_shutdown(e->ctl, on_client_shut, e);
        ok(run_until(e, clients_shut, e, 10000), "%s: clients shut down", name);
        uv_close((uv_handle_t *) &e->deadline, NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
        is_int(uv_loop_close(&e->loop), 0, "%s: uv_loop_close() == 0", name);
}

/* ---- simulator control -------------------------------------------------- */

typedef struct Reply {
        bool done;
        long status;
        char *body;
} Reply;

static void on_reply(const HttpResponse *resp, void *ud)
{
        Reply *rep = ud;

        rep->done = true;
        rep->status = resp->status;
        rep->body = xstrdup(resp->body);
}

static bool reply_done(void *ud)
{
        return ((Reply *) ud)->done;
}

static cJSON *sim_call(Env *e, const char *method, const char *path, const char *body)
{
        _cleanup_free_ char *u = xasprintf("%s%s", arg_base, path);
        const char *hdrs[] = { "Content-Type: application/json", NULL };
        Reply rep = {};
        HttpRequestOptions o = {
                .method = method,
                .url = u,
                .headers = hdrs,
                .body = body,
                .body_len = body ? strlen(body) : 0,
                .retry = &(RetryPolicy) { .max_attempts = 1 },
                .cb = on_reply,
                .userdata = &rep,
        };
        cJSON *j = NULL;

        if (http_request_start(e->ctl, &o, NULL) < 0 || !run_until(e, reply_done, &rep, 10000) ||
            rep.status != 200)
                diag("simulator call %s %s failed: status %ld", method, path, rep.status);
        else
                j = cJSON_Parse(rep.body);
        free(rep.body);
        return j;
}

static void sim_reset(Env *e)
{
        cJSON_Delete(sim_call(e, "POST", "/__sim/reset", NULL));
}

static void sim_faults(Env *e, const char *json)
{
        cJSON *j = sim_call(e, "POST", "/__sim/faults", json);
        if (!j)
                diag("could not set faults %s", json);
        cJSON_Delete(j);
}

static void sim_put_host(Env *e, const char *host, const char *json)
{
        _cleanup_free_ char *path = xasprintf("/_jwks/hosts/%s", host);
        cJSON *j = sim_call(e, "PUT", path, json);
        if (!j)
                diag("could not set the JWKS of %s to %s", host, json);
        cJSON_Delete(j);
}

/* JWKS requests the simulator logged for host, or all requests (NULL). */
static int sim_count(Env *e, const char *host)
{
        _cleanup_free_ char *path = host ? xasprintf("/__sim/requests?path=/%s/.well-known/jwks", host)
                                         : xstrdup("/__sim/requests");
        cJSON *j = sim_call(e, "GET", path, NULL);
        int n = j ? cJSON_GetArraySize(j) : -1;

        cJSON_Delete(j);
        return n;
}

static cJSON *sim_last_request(Env *e, const char *host)
{
        _cleanup_free_ char *path = xasprintf("/__sim/requests?path=/%s/.well-known/jwks", host);
        cJSON *j = sim_call(e, "GET", path, NULL), *last;

        if (!j || cJSON_GetArraySize(j) == 0) {
                cJSON_Delete(j);
                return NULL;
        }
        last = cJSON_DetachItemFromArray(j, cJSON_GetArraySize(j) - 1);
        cJSON_Delete(j);
        return last;
}

/* ---- lookups ------------------------------------------------------------ */

typedef struct Got {
        unsigned calls;
        bool returned;          /* jwks_get_key() had returned when the callback ran */
        bool sync;              /* the callback ran inside jwks_get_key() */
        int r;
        JwtError err;
        EVP_PKEY *key;          /* our reference */
        unsigned seq;
        /* re-entrancy tests */
        Env *env;
        void (*then)(struct Got *g);
} Got;

static unsigned got_seq;

static void on_key(int r, EVP_PKEY *key, JwtError err, void *ud)
{
        Got *g = ud;

        g->calls++;
        g->seq = ++got_seq;
        if (!g->returned)
                g->sync = true;
        g->r = r;
        g->err = err;
        EVP_PKEY_free(g->key);
        g->key = NULL;
        if (key) {
                EVP_PKEY_up_ref(key);
                g->key = key;
        }
        if ((r < 0) != (key == NULL) || (r < 0) != (err != JWT_OK))
                diag("inconsistent result: r %d, key %p, error %s", r, (void *) key, jwt_error_to_string(err));
        if (g->then)
                g->then(g);
}

static void got_done(Got *g)
{
        EVP_PKEY_free(g->key);
        *g = (Got) {};
}

typedef struct Waiter {
        Got *g;
        size_t n;
} Waiter;

static bool all_called(void *ud)
{
        Waiter *w = ud;

        for (size_t i = 0; i < w->n; i++)
                if (w->g[i].calls == 0)
                        return false;
        return true;
}

static bool wait_all(Env *e, Got *g, size_t n, uint64_t timeout_ms)
{
        Waiter w = { g, n };
        return run_until(e, all_called, &w, timeout_ms);
}

static int start(Env *e, const char *host, const char *kid, Got *g, JwksLookup **ret)
{
        int r;

        g->returned = false;
        r = jwks_get_key(e->cache, host, kid, on_key, g, ret);
        g->returned = true;
        return r;
}

/* One lookup, waited for. */
static void get(Env *e, const char *host, const char *kid, Got *g)
{
        got_done(g);
        if (start(e, host, kid, g, NULL) < 0 || !wait_all(e, g, 1, 15000))
                g->err = _JWT_ERROR_MAX;
}

static JwksStats stats(Env *e)
{
        JwksStats s;

        jwks_cache_get_stats(e->cache, &s);
        return s;
}

/* ---- tokens ------------------------------------------------------------- */

static char *sign(EVP_PKEY *k, const char *header, const char *payload)
{
        _cleanup_free_ char *h = jwt_base64url_encode(header, strlen(header));
        _cleanup_free_ char *p = jwt_base64url_encode(payload, strlen(payload));
        _cleanup_free_ char *input = xasprintf("%s.%s", h, p), *s = NULL;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t sig[1024];
        size_t len = sizeof(sig);

        if (k) {
                if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
                    EVP_DigestSign(ctx, sig, &len, (const uint8_t *) input, strlen(input)) != 1)
                        abort();
        } else
                len = 0;
        EVP_MD_CTX_free(ctx);
        s = jwt_base64url_encode(sig, len);
        return xasprintf("%s.%s", input, s);
}

typedef struct Auth {
        bool done;
        JwtError err;
        JwtToken *t;
        Env *env;
        time_t now;
} Auth;

static const char *const auds[] = { AUD, NULL };

static void auth_on_key(int r, EVP_PKEY *key, JwtError err, void *ud)
{
        Auth *a = ud;
        JwtVerifyOptions o = { .alg = JWT_ALG_RS256, .key = key, .audiences = auds, .now = a->now,
                               .leeway_sec = JWT_DEFAULT_LEEWAY_SEC };

        a->done = true;
        if (r < 0) {
                a->err = err;
                return;
        }
        (void) jwt_verify(a->t, &o, &a->err);
}

static bool auth_done(void *ud)
{
        return ((Auth *) ud)->done;
}

/* What an RS256 relay does with an Authorization header. */
static JwtError authenticate(Env *e, const char *authorization)
{
        Auth a = { .env = e, .now = clock_wall() };

        if (jwt_prepare(authorization, JWT_ALG_RS256, &a.t, &a.err) < 0)
                return a.err;
        if (jwks_get_key(e->cache, jwt_token_jwks_host(a.t), jwt_token_kid(a.t), auth_on_key, &a, NULL) < 0 ||
            !run_until(e, auth_done, &a, 15000))
                a.err = _JWT_ERROR_MAX;
        jwt_token_free(a.t);
        return a.err;
}

static char *bearer(EVP_PKEY *k, const char *header, const char *payload)
{
        _cleanup_free_ char *t = sign(k, header, payload);
        return xasprintf("Bearer %s", t);
}

/* ---- tests -------------------------------------------------------------- */

static void test_fetch_and_hit(void)
{
        Got g = {};
        EVP_PKEY *cached = (EVP_PKEY *) 1;
        JwtError err = JWT_OK;
        cJSON *req;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e);

        is_int(jwks_get_cached(e.cache, US, "kid-1", &cached, &err), -ENOKEY, "fetch: nothing cached at first");
        is_err(err, JWT_ERR_KID_UNKNOWN, "fetch: jwks_get_cached says a fetch is needed");
        is_int(sim_count(&e, NULL), 0, "fetch: jwks_get_cached sent nothing");

        get(&e, US, "kid-1", &g);
        is_int(g.calls, 1, "fetch: callback called once");
        ok(!g.sync, "fetch: callback not called from inside jwks_get_key()");
        is_int(g.r, 0, "fetch: r == 0");
        is_err(g.err, JWT_OK, "fetch: no error");
        ok(g.key && EVP_PKEY_eq(g.key, k1) == 1, "fetch: the key of kid-1 is k1's public key");
        is_int(sim_count(&e, US), 1, "fetch: one JWKS request");
        req = sim_last_request(&e, US);
        ok(req && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "headers"), "accept")) ?: "",
                         "application/json") == 0, "fetch: Accept: application/json");
        ok(req && strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(req, "method")) ?: "", "GET") == 0, "fetch: GET");
        cJSON_Delete(req);

        get(&e, US, "kid-2", &g);
        is_int(g.r, 0, "hit: kid-2 from the same fetch");
        ok(g.key && EVP_PKEY_eq(g.key, k2) == 1, "hit: the key of kid-2 is k2's");
        ok(!g.sync, "hit: callback not synchronous either");
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "hit: kid-1 again");
        get(&e, "VISIBILITY.AMP.Cisco.COM", "kid-1", &g);
        is_int(g.r, 0, "hit: host names are case-insensitive");
        is_int(sim_count(&e, US), 1, "hit: no second JWKS request");

        is_int(jwks_get_cached(e.cache, US, "kid-1", &cached, &err), 0, "cached: kid-1 synchronously");
        ok(cached && EVP_PKEY_eq(cached, k1) == 1, "cached: k1");
        is_int(jwks_get_cached(e.cache, US, "kid-3", &cached, &err), -ENOKEY, "cached: kid-3 would need a fetch");

        is_int(stats(&e).fetches, 1, "stats: one fetch");
        is_int(stats(&e).hits, 4, "stats: four hits");
        is_int(stats(&e).hosts, 1, "stats: one host");
        is_int(stats(&e).keys, 2, "stats: two keys");
        is_int(stats(&e).fetch_failures, 0, "stats: no failure");

        is_int(jwks_get_key(e.cache, US, "kid-1", NULL, NULL, NULL), -EINVAL, "no callback: -EINVAL");
        got_done(&g);
        env_fini(&e, "fetch");
}

static void test_auth_flow(void)
{
        char payload[512];
        time_t now = clock_wall();
        Env e;
        struct {
                const char *name;
                char *header;
                JwtError want;
        } cases[16];
        size_t n = 0;
        int before;

        env_init(&e, NULL);
        sim_reset(&e);

#define PAYLOAD(extra) (snprintf(payload, sizeof(payload),                                              \
                                 "{\"jwks_host\":\"" US "\",\"aud\":\"" AUD "\",\"exp\":%lld,"          \
                                 "\"key\":\"spycloud-key\"%s}", (long long) now + 600, (extra)), payload)
#define CASE(n_, h_, w_) (cases[n++] = (typeof(cases[0])) { (n_), (h_), (w_) })
        CASE("good token", bearer(k1, "{\"alg\":\"RS256\",\"kid\":\"kid-1\"}", PAYLOAD("")), JWT_OK);
        CASE("second key", bearer(k2, "{\"alg\":\"RS256\",\"kid\":\"kid-2\"}", PAYLOAD("")), JWT_OK);
        CASE("missing header", NULL, JWT_ERR_HEADER_MISSING);
        CASE("wrong type", xstrdup("Basic dXNlcjpwYXNz"), JWT_ERR_WRONG_TYPE);
        CASE("malformed", xstrdup("Bearer not.a.jwt"), JWT_ERR_MALFORMED);
        CASE("alg none", bearer(NULL, "{\"alg\":\"none\",\"kid\":\"kid-1\"}", PAYLOAD("")), JWT_ERR_ALG_NOT_ALLOWED);
        CASE("bad signature", bearer(k2, "{\"alg\":\"RS256\",\"kid\":\"kid-1\"}", PAYLOAD("")), JWT_ERR_BAD_SIGNATURE);
        CASE("unknown kid", bearer(k1, "{\"alg\":\"RS256\",\"kid\":\"kid-9\"}", PAYLOAD("")), JWT_ERR_KID_UNKNOWN);
        CASE("no kid", bearer(k1, "{\"alg\":\"RS256\"}", PAYLOAD("")), JWT_ERR_KID_MISSING);
        snprintf(payload, sizeof(payload), "{\"jwks_host\":\"" US "\",\"aud\":\"https://other\",\"exp\":%lld}",
                 (long long) now + 600);
        CASE("wrong aud", bearer(k1, "{\"alg\":\"RS256\",\"kid\":\"kid-1\"}", payload), JWT_ERR_AUD_MISMATCH);
        snprintf(payload, sizeof(payload), "{\"jwks_host\":\"" US "\",\"aud\":\"" AUD "\",\"exp\":%lld}",
                 (long long) now - 3600);
        CASE("expired", bearer(k1, "{\"alg\":\"RS256\",\"kid\":\"kid-1\"}", payload), JWT_ERR_EXPIRED);
        CASE("jwks_host missing", bearer(k1, "{\"alg\":\"RS256\",\"kid\":\"kid-1\"}", "{\"aud\":\"" AUD "\"}"),
             JWT_ERR_JWKS_HOST_MISSING);
        CASE("jwks_host off the allow-list",
             bearer(k1, "{\"alg\":\"RS256\",\"kid\":\"kid-1\"}", "{\"jwks_host\":\"jwks.evil.example\",\"aud\":\"" AUD "\"}"),
             JWT_ERR_JWKS_HOST_NOT_ALLOWED);
#undef CASE
#undef PAYLOAD
        {
                /* HS256 against the RS256 relay, signed with some secret */
                static const char hs[] = "{\"alg\":\"HS256\",\"kid\":\"kid-1\"}";
                _cleanup_free_ char *h = jwt_base64url_encode(hs, strlen(hs));
                _cleanup_free_ char *p = jwt_base64url_encode("{\"aud\":\"" AUD "\"}", strlen("{\"aud\":\"" AUD "\"}"));
                cases[n++] = (typeof(cases[0])) { "HS256 token", xasprintf("Bearer %s.%s.c2lnbmF0dXJl", h, p),
                                                  JWT_ERR_ALG_NOT_ALLOWED };
        }

        for (size_t i = 0; i < n; i++) {
                before = sim_count(&e, NULL);
                is_err(authenticate(&e, cases[i].header), cases[i].want, "auth: %s", cases[i].name);
                if (cases[i].want == JWT_ERR_ALG_NOT_ALLOWED || cases[i].want == JWT_ERR_JWKS_HOST_NOT_ALLOWED ||
                    cases[i].want == JWT_ERR_MALFORMED || cases[i].want == JWT_ERR_HEADER_MISSING ||
                    cases[i].want == JWT_ERR_WRONG_TYPE || cases[i].want == JWT_ERR_JWKS_HOST_MISSING ||
                    cases[i].want == JWT_ERR_KID_MISSING)
                        is_int(sim_count(&e, NULL), before, "auth: %s: no request", cases[i].name);
                free(cases[i].header);
        }
        is_int(sim_count(&e, US), 1, "auth: all the lookups of " US " took one JWKS request");
        env_fini(&e, "auth");
}

static void test_unknown_kid_rate_limited(void)
{
        Got g = {};
        Env e;

        env_init(&e, &(JwksOptions) { .refetch_interval_ms = 1000 });
        sim_reset(&e);

        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "ratelimit: kid-1 fetched");
        get(&e, US, "kid-new", &g);
        is_err(g.err, JWT_ERR_KID_UNKNOWN, "ratelimit: unknown kid right after a fetch");
        is_int(g.r, -ENOKEY, "ratelimit: -ENOKEY");
        is_int(sim_count(&e, US), 1, "ratelimit: no refetch within the interval");

        run_for(&e, 1100);
        get(&e, US, "kid-new", &g);
        is_err(g.err, JWT_ERR_KID_UNKNOWN, "ratelimit: still unknown after a refetch");
        is_int(sim_count(&e, US), 2, "ratelimit: refetched once the interval passed");
        get(&e, US, "kid-new", &g);
        is_err(g.err, JWT_ERR_KID_UNKNOWN, "ratelimit: unknown again");
        is_int(sim_count(&e, US), 2, "ratelimit: no third request");

        /* the key appears at the host: not seen before the interval passes */
        sim_put_host(&e, US, "[{\"key\":\"k1\",\"kid\":\"kid-1\"},{\"key\":\"k2\",\"kid\":\"kid-new\"}]");
        get(&e, US, "kid-new", &g);
        is_err(g.err, JWT_ERR_KID_UNKNOWN, "ratelimit: a new kid waits for the interval");
        is_int(sim_count(&e, US), 2, "ratelimit: still two requests");
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "ratelimit: known kids are served meanwhile");
        run_for(&e, 1100);
        get(&e, US, "kid-new", &g);
        is_int(g.r, 0, "ratelimit: the new kid after the interval");
        ok(g.key && EVP_PKEY_eq(g.key, k2) == 1, "ratelimit: its key");
        is_int(sim_count(&e, US), 3, "ratelimit: three requests in all");

        /* the interval is per host */
        get(&e, EU, "eu-1", &g);
        is_int(g.r, 0, "ratelimit: another host fetches at once");
        is_int(sim_count(&e, EU), 1, "ratelimit: one request for it");

        is_int(stats(&e).rate_limited, 3, "ratelimit: stats: three lookups refused without a fetch");
        is_int(stats(&e).unknown_kids, 4, "ratelimit: stats: four unknown kids");
        is_int(stats(&e).fetches, 4, "ratelimit: stats: four fetches");
        got_done(&g);
        env_fini(&e, "ratelimit");
}

static void start_late(uv_timer_t *t)
{
        Got *g = t->data;
        start(g->env, US, "kid-1", g, NULL);
}

static void test_coalesce(void)
{
        Got g[12] = {};
        uv_timer_t late;
        cJSON *st;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"latency\",\"delay_ms\":400,\"path\":\"well-known\"}]");

        for (int i = 0; i < 5; i++)
                is_int(start(&e, US, "kid-1", &g[i], NULL), 0, "coalesce: lookup %d of kid-1 started", i);
        for (int i = 5; i < 8; i++)
                start(&e, US, "kid-2", &g[i], NULL);
        start(&e, US, "kid-9", &g[8], NULL);
        start(&e, EU, "eu-1", &g[9], NULL);
        start(&e, EU, "eu-1", &g[10], NULL);
        /* one more while the fetch is under way */
        g[11].env = &e;
        uv_timer_init(&e.loop, &late);
        late.data = &g[11];
        uv_timer_start(&late, start_late, 150, 0);

        ok(wait_all(&e, g, 12, 15000), "coalesce: every lookup answered");
        for (int i = 0; i < 12; i++)
                if (i != 8 && !ok(g[i].r == 0 && g[i].calls == 1 && !g[i].sync, "coalesce: lookup %d got its key", i))
                        diag("  r %d, calls %u", g[i].r, g[i].calls);
        ok(EVP_PKEY_eq(g[0].key, k1) == 1 && EVP_PKEY_eq(g[4].key, k1) == 1 && EVP_PKEY_eq(g[11].key, k1) == 1,
           "coalesce: kid-1 lookups got k1");
        ok(EVP_PKEY_eq(g[5].key, k2) == 1 && EVP_PKEY_eq(g[9].key, k2) == 1, "coalesce: kid-2, eu-1 got k2");
        is_err(g[8].err, JWT_ERR_KID_UNKNOWN, "coalesce: kid-9 unknown after the shared fetch");
        is_int(sim_count(&e, US), 1, "coalesce: one request for " US);
        is_int(sim_count(&e, EU), 1, "coalesce: one request for " EU);
        st = sim_call(&e, "GET", "/__sim/stats", NULL);
        ok(st && cJSON_GetObjectItem(st, "max_in_flight") && cJSON_GetObjectItem(st, "max_in_flight")->valueint == 2,
           "coalesce: the two hosts were fetched concurrently");
        cJSON_Delete(st);
        is_int(stats(&e).coalesced, 10, "coalesce: stats: ten lookups joined a fetch");
        is_int(stats(&e).fetches, 2, "coalesce: stats: two fetches");
        /* answered in the order they came for one fetch */
        ok(g[0].seq < g[1].seq && g[1].seq < g[4].seq && g[4].seq < g[8].seq, "coalesce: delivered in order");

        for (int i = 0; i < 12; i++)
                got_done(&g[i]);
        uv_close((uv_handle_t *) &late, NULL);
        env_fini(&e, "coalesce");
}

static void test_host_refused(void)
{
        static const char *const refused[] = {
                "evil.example.com", "visibility.amp.cisco.com.evil.com", "visibility.amp.cisco.com:443",
                "127.0.0.1", "evil.com/visibility.amp.cisco.com", "visibility.amp.cisco.com/x",
                "visibility.a.b.amp.cisco.com", "user@visibility.amp.cisco.com", "visibility.amp.cisco.com.",
                "https://visibility.amp.cisco.com",
        };
        static const char *const custom[] = { "*.example.test", NULL };
        static const char *const none[] = { NULL };
        EVP_PKEY *k = NULL;
        JwtError err;
        Got g = {};
        Env e;

        env_init(&e, NULL);
        sim_reset(&e);
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                get(&e, refused[i], "kid-1", &g);
                is_err(g.err, JWT_ERR_JWKS_HOST_NOT_ALLOWED, "refused: '%s'", refused[i]);
                ok(!g.sync, "refused: '%s': callback from the loop", refused[i]);
                is_int(jwks_get_cached(e.cache, refused[i], "kid-1", &k, &err), -EPERM,
                       "refused: '%s' by jwks_get_cached too", refused[i]);
        }
        get(&e, NULL, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_HOST_MISSING, "refused: no host");
        get(&e, "", "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_HOST_MISSING, "refused: empty host");
        get(&e, US, NULL, &g);
        is_err(g.err, JWT_ERR_KID_MISSING, "refused: no kid");
        get(&e, US, "", &g);
        is_err(g.err, JWT_ERR_KID_MISSING, "refused: empty kid");
        is_int(sim_count(&e, NULL), 0, "refused: no request reached the simulator");
        is_int(stats(&e).fetches, 0, "refused: stats: no fetch");
        is_int(stats(&e).refused_hosts, 2 * 10 + 2, "refused: stats: refused hosts counted");
        got_done(&g);
        env_fini(&e, "refused");

        /* a custom allow-list replaces the default one */
        env_init(&e, &(JwksOptions) { .allowed_hosts = custom });
        sim_reset(&e);
        sim_put_host(&e, "jwks.example.test", "[{\"key\":\"k1\",\"kid\":\"t-1\"}]");
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_HOST_NOT_ALLOWED, "custom: the default hosts are off");
        get(&e, "jwks.example.test", "t-1", &g);
        is_int(g.r, 0, "custom: a host of the pattern");
        is_int(sim_count(&e, "jwks.example.test"), 1, "custom: fetched");
        is_int(sim_count(&e, US), 0, "custom: the refused host was never asked");
        got_done(&g);
        env_fini(&e, "custom");

        env_init(&e, &(JwksOptions) { .allowed_hosts = none });
        sim_reset(&e);
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_HOST_NOT_ALLOWED, "empty allow-list: nothing allowed");
        is_int(sim_count(&e, NULL), 0, "empty allow-list: no request");
        got_done(&g);
        env_fini(&e, "empty");
}

static void test_bad_options(void)
{
        static const char *const bad_pattern[] = { "vis*.cisco.com", NULL };
        HttpClient *http = NULL;
        JwksCache *c = NULL;
        const char *why = NULL;
        uv_loop_t loop;

        uv_loop_init(&loop);
        http_client_new(&loop, NULL, &http);
        is_int(jwks_cache_new(&loop, http, &(JwksOptions) { .allowed_hosts = bad_pattern }, &c, &why), -EINVAL,
               "options: a bad pattern is refused");
        ok(why && *why, "options: with a reason");
        is_int(jwks_cache_new(&loop, http, &(JwksOptions) { .url_template = "http://{host}/jwks" }, &c, NULL),
               -EINVAL, "options: a plain http template is refused");
        is_int(jwks_cache_new(&loop, http, &(JwksOptions) { .url_template = "https://example/jwks" }, &c, NULL),
               -EINVAL, "options: a template without {host} is refused");
        is_int(jwks_cache_new(&loop, NULL, NULL, &c, NULL), -EINVAL, "options: no HTTP client");
        is_int(jwks_cache_new(&loop, http, NULL, &c, NULL), 0, "options: defaults");
        is_int(jwks_cache_shutdown(c, NULL, NULL), 0, "options: shutdown without callback");
        is_int(jwks_cache_shutdown(c, NULL, NULL), -EALREADY, "options: second shutdown");
        uv_run(&loop, UV_RUN_DEFAULT);
        http_client_shutdown(http, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
        is_int(uv_loop_close(&loop), 0, "options: uv_loop_close() == 0");
}

static void test_fetch_failures(void)
{
        _cleanup_free_ char *big = NULL, *closed_tmpl = NULL;
        uint64_t t0;
        Got g = {};
        Env e;

        /* one host per case: the refetch interval (default 10 s) holds each result */
        env_init(&e, &(JwksOptions) { .timeout_ms = 700 });
        sim_reset(&e);

        sim_faults(&e, "[{\"kind\":\"status\",\"status\":503,\"path\":\"^/" US "/\"}]");
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail 503: fetch failed");
        ok(g.r < 0, "fail 503: r < 0 (%d)", g.r);
        is_int(sim_count(&e, US), 1, "fail 503: one attempt, no retry");
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail 503: remembered within the interval");
        is_int(sim_count(&e, US), 1, "fail 503: without another request");

        get(&e, APJC, "kid-1", &g);            /* the simulator has no such host: 404 */
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail 404: fetch failed");
        is_int(g.r, -ENOENT, "fail 404: -ENOENT");

        sim_faults(&e, "[{\"kind\":\"malformed\",\"path\":\"^/" EU "/\"}]");
        get(&e, EU, "eu-1", &g);
        is_err(g.err, JWT_ERR_JWKS_MALFORMED, "fail malformed: not JSON");
        got_done(&g);
        env_fini(&e, "failures");

        /* bodies that are JSON but no JWKS; each on its own host */
        {
                static const struct {
                        const char *host, *raw;
                } docs[] = {
                        { "visibility.a1.amp.cisco.com", "{\"raw\":{\"nokeys\":[]}}" },
                        { "visibility.a2.amp.cisco.com", "{\"raw\":[]}" },
                        { "visibility.a3.amp.cisco.com", "{\"raw\":{\"keys\":\"x\"}}" },
                        { "visibility.a4.amp.cisco.com", "{\"raw\":\"keys\"}" },
                        { "visibility.a5.amp.cisco.com", "{\"raw\":null}" },
                };

                env_init(&e, NULL);
                sim_reset(&e);
                for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
                        sim_put_host(&e, docs[i].host, docs[i].raw);
                        get(&e, docs[i].host, "kid-1", &g);
                        is_err(g.err, JWT_ERR_JWKS_MALFORMED, "fail: %s is no JWKS", docs[i].raw);
                }
                /* too big */
                big = xmalloc(300 * 1024);
                memset(big, 'x', 300 * 1024 - 1);
                big[300 * 1024 - 1] = '\0';
                {
                        _cleanup_free_ char *doc = xasprintf("{\"raw\":{\"keys\":[],\"pad\":\"%s\"}}", big);
                        sim_put_host(&e, "visibility.a6.amp.cisco.com", doc);
                }
                get(&e, "visibility.a6.amp.cisco.com", "kid-1", &g);
                is_err(g.err, JWT_ERR_JWKS_MALFORMED, "fail: a JWKS over 256 KiB");

                /* unusable entries are skipped, the rest is served */
                sim_put_host(&e, "visibility.a7.amp.cisco.com",
                             "[{\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec\",\"x\":\"AA\",\"y\":\"AA\"}},"
                             "{\"key\":\"k1\"},{\"key\":\"k1\",\"kid\":\"rs512\",\"alg\":\"RS512\"},"
                             "{\"jwk\":{\"kty\":\"RSA\",\"kid\":\"small\",\"n\":\"AQAB\",\"e\":\"AQAB\"}},"
                             "{\"key\":\"k2\",\"kid\":\"good\",\"alg\":null,\"use\":null}]");
                get(&e, "visibility.a7.amp.cisco.com", "good", &g);
                is_int(g.r, 0, "skip: the usable key is served");
                ok(g.key && EVP_PKEY_eq(g.key, k2) == 1, "skip: it is k2");
                get(&e, "visibility.a7.amp.cisco.com", "ec", &g);
                is_err(g.err, JWT_ERR_KID_UNKNOWN, "skip: an EC key is not used");
                get(&e, "visibility.a7.amp.cisco.com", "rs512", &g);
                is_err(g.err, JWT_ERR_KID_UNKNOWN, "skip: an RS512 key is not used");
                get(&e, "visibility.a7.amp.cisco.com", "small", &g);
                is_err(g.err, JWT_ERR_KID_UNKNOWN, "skip: a too small RSA key is not used");
                is_int(sim_count(&e, "visibility.a7.amp.cisco.com"), 1, "skip: one request");

                /* faults of the transport */
                sim_faults(&e, "[{\"kind\":\"drop\",\"path\":\"a8\"},{\"kind\":\"truncate\",\"path\":\"a9\"},"
                               "{\"kind\":\"status\",\"status\":302,\"headers\":{\"Location\":\"/" US
                               "/.well-known/jwks\"},\"path\":\"b1\"},"
                               "{\"kind\":\"status\",\"status\":401,\"path\":\"b2\"}]");
                get(&e, "visibility.a8.amp.cisco.com", "kid-1", &g);
                is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail: connection dropped");
                get(&e, "visibility.a9.amp.cisco.com", "kid-1", &g);
                is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail: truncated body");
                get(&e, "visibility.b1.amp.cisco.com", "kid-1", &g);
                is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail: a redirect is not followed");
                is_int(sim_count(&e, US), 0, "fail: the redirect target was not asked");
                get(&e, "visibility.b2.amp.cisco.com", "kid-1", &g);
                is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "fail: 401");
                is_int(stats(&e).fetch_failures, 10, "fail: stats: ten failed fetches");
                got_done(&g);
                env_fini(&e, "bodies");
        }

        /* timeout */
        env_init(&e, &(JwksOptions) { .timeout_ms = 500 });
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"silent\",\"delay_ms\":5000,\"path\":\"well-known\"}]");
        t0 = clock_mono_usec();
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "timeout: fetch failed");
        is_int(g.r, -ETIMEDOUT, "timeout: -ETIMEDOUT");
        ok((clock_mono_usec() - t0) / 1000 < 3000, "timeout: within the timeout (%llu ms)",
           (unsigned long long) ((clock_mono_usec() - t0) / 1000));
        got_done(&g);
        env_fini(&e, "timeout");

        /* a server the CA does not vouch for */
        env_init(&e, &(JwksOptions) { .ca_file = arg_wrong_ca });
        sim_reset(&e);
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "tls: wrong CA refused");
        is_int(g.r, -EKEYREJECTED, "tls: -EKEYREJECTED");
        got_done(&g);
        env_fini(&e, "tls");

        /* nobody listening */
        closed_tmpl = xasprintf("https://127.0.0.1:%d/{host}/.well-known/jwks", arg_closed_port);
        env_init(&e, &(JwksOptions) { .url_template = closed_tmpl });
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "refused: connection refused");
        is_int(g.r, -ECONNREFUSED, "refused: -ECONNREFUSED");
        got_done(&g);
        env_fini(&e, "connrefused");
}

/* A failed refetch keeps the keys already known until their TTL. */
static void test_failure_keeps_keys(void)
{
        Got g = {};
        Env e;

        env_init(&e, &(JwksOptions) { .ttl_ms = 60000, .refetch_interval_ms = 200 });
        sim_reset(&e);
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "keep: kid-1 fetched");
        run_for(&e, 300);
        sim_faults(&e, "[{\"kind\":\"status\",\"status\":500,\"path\":\"well-known\"}]");
        get(&e, US, "kid-x", &g);
        is_err(g.err, JWT_ERR_JWKS_FETCH_FAILED, "keep: the refetch for an unknown kid failed");
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "keep: kid-1 still served");
        is_int(sim_count(&e, US), 2, "keep: two requests");
        got_done(&g);
        env_fini(&e, "keep");
}

static void test_ttl(void)
{
        Got g = {};
        Env e;

        env_init(&e, &(JwksOptions) { .ttl_ms = 800, .refetch_interval_ms = 400 });
        sim_reset(&e);
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "ttl: fetched");
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "ttl: hit");
        is_int(sim_count(&e, US), 1, "ttl: one request while fresh");
        run_for(&e, 900);
        get(&e, US, "kid-1", &g);
        is_int(g.r, 0, "ttl: refetched after the TTL");
        is_int(sim_count(&e, US), 2, "ttl: second request");

        /* rotation: kid-1 leaves the JWKS, a refetch forgets it */
        sim_put_host(&e, US, "[{\"key\":\"k2\",\"kid\":\"kid-2\"}]");
        run_for(&e, 900);
        get(&e, US, "kid-2", &g);
        is_int(g.r, 0, "ttl: kid-2 after expiry");
        is_int(sim_count(&e, US), 3, "ttl: third request");
        get(&e, US, "kid-1", &g);
        is_err(g.err, JWT_ERR_KID_UNKNOWN, "ttl: a key gone from the JWKS is forgotten");
        is_int(sim_count(&e, US), 3, "ttl: (within the refetch interval: no request)");
        got_done(&g);
        env_fini(&e, "ttl");
}

static bool no_fetch_in_flight(void *ud)
{
        Env *e = ud;
        return stats(e).fetches_in_flight == 0;
}

static void test_cancel(void)
{
        JwksLookup *l = NULL;
        EVP_PKEY *k = NULL;
        Got g = {}, g2 = {};
        Env e;

        env_init(&e, NULL);
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"latency\",\"delay_ms\":400,\"path\":\"well-known\"}]");
        is_int(start(&e, US, "kid-1", &g, &l), 0, "cancel: started");
        start(&e, US, "kid-2", &g2, NULL);
        is_int(jwks_lookup_cancel(l), 0, "cancel: cancelled");
        is_int(jwks_lookup_cancel(l), -EALREADY, "cancel: twice: -EALREADY");
        ok(wait_all(&e, &g, 1, 5000), "cancel: callback called");
        is_int(g.r, -ECANCELED, "cancel: -ECANCELED");
        ok(!g.key, "cancel: no key");
        is_int(g2.calls, 0, "cancel: the other lookup still waits");
        ok(wait_all(&e, &g2, 1, 5000) && g2.r == 0, "cancel: the other lookup got its key");
        ok(run_until(&e, no_fetch_in_flight, &e, 5000), "cancel: the fetch finished");
        is_int(jwks_get_cached(e.cache, US, "kid-1", &k, NULL), 0, "cancel: the fetch still filled the cache");
        is_int(jwks_lookup_cancel(NULL), -EINVAL, "cancel: NULL");
        got_done(&g);
        got_done(&g2);
        env_fini(&e, "cancel");
}

typedef struct ShutCtx {
        Env *e;
        unsigned shut_calls;
        unsigned lookups_before_shut;
        Got *g;
        size_t n;
} ShutCtx;

static void on_shut(void *ud)
{
        ShutCtx *sc = ud;

        sc->shut_calls++;
        sc->e->cache_shut = true;
        for (size_t i = 0; i < sc->n; i++)
                if (sc->g[i].calls)
                        sc->lookups_before_shut++;
}

static void test_shutdown(void)
{
        Got g[3] = {}, late = {};
        ShutCtx sc;
        Env e;

        env_init(&e, NULL);
        sim_reset(&e);
        sim_faults(&e, "[{\"kind\":\"silent\",\"delay_ms\":5000,\"path\":\"well-known\"}]");
        start(&e, US, "kid-1", &g[0], NULL);
        start(&e, US, "kid-2", &g[1], NULL);
        start(&e, EU, "eu-1", &g[2], NULL);
        run_for(&e, 200);
        is_int(stats(&e).fetches_in_flight, 2, "shutdown: two fetches under way");
        sc = (ShutCtx) { .e = &e, .g = g, .n = 3 };
        is_int(jwks_cache_shutdown(e.cache, on_shut, &sc), 0, "shutdown: started");
        is_int(jwks_cache_shutdown(e.cache, on_shut, &sc), -EALREADY, "shutdown: twice: -EALREADY");
        is_int(start(&e, US, "kid-1", &late, NULL), -ESHUTDOWN, "shutdown: new lookups refused");
        ok(run_until(&e, cache_is_shut, &e, 5000), "shutdown: completion callback called");
        is_int(sc.shut_calls, 1, "shutdown: once");
        is_int(sc.lookups_before_shut, 3, "shutdown: lookups answered before it");
        for (int i = 0; i < 3; i++)
                ok(g[i].calls == 1 && g[i].r == -ECANCELED, "shutdown: lookup %d cancelled", i);
        is_int(late.calls, 0, "shutdown: a refused lookup is never called back");
        for (int i = 0; i < 3; i++)
                got_done(&g[i]);
        env_fini(&e, "shutdown");
}

/* Callbacks that start lookups and shut the cache down. */
static Got inner;

static void then_lookup(Got *g)
{
        got_done(&inner);
        start(g->env, US, "kid-2", &inner, NULL);
        g->then = NULL;
}

static void then_shutdown(Got *g)
{
        Env *e = g->env;
        jwks_cache_shutdown(e->cache, on_cache_shut, e);
}

static void test_reentrancy(void)
{
        Got a = {}, b = {}, c = {};
        Env e;

        env_init(&e, NULL);
        sim_reset(&e);
        get(&e, US, "kid-1", &a);
        a.env = &e;
        a.then = then_lookup;
        a.calls = 0;
        start(&e, US, "kid-1", &a, NULL);
        ok(wait_all(&e, &a, 1, 5000), "reentrant: outer lookup answered");
        ok(wait_all(&e, &inner, 1, 5000) && inner.r == 0, "reentrant: lookup started from a callback answered");
        ok(!inner.sync, "reentrant: not synchronously either");
        got_done(&inner);

        b.env = &e;
        b.then = then_shutdown;
        start(&e, US, "kid-1", &b, NULL);
        start(&e, US, "kid-2", &c, NULL);
        ok(run_until(&e, cache_is_shut, &e, 5000), "reentrant: shut down from a callback");
        ok(b.calls == 1 && b.r == 0, "reentrant: that callback had its key");
        ok(c.calls == 1 && c.r == 0, "reentrant: a result known before the shutdown is delivered");
        a.then = NULL;
        got_done(&a);
        got_done(&b);
        got_done(&c);
        env_fini(&e, "reentrant");
}

static void test_max_hosts(void)
{
        static const char *const custom[] = { "*.example.test", NULL };
        static const char *const hosts[] = { "a.example.test", "b.example.test", "c.example.test" };
        Got g = {};
        Env e;

        env_init(&e, &(JwksOptions) { .allowed_hosts = custom, .max_hosts = 2, .refetch_interval_ms = 1 });
        sim_reset(&e);
        for (int i = 0; i < 3; i++)
                sim_put_host(&e, hosts[i], "[{\"key\":\"k1\",\"kid\":\"k\"}]");
        for (int i = 0; i < 3; i++) {
                get(&e, hosts[i], "k", &g);
                is_int(g.r, 0, "maxhosts: %s", hosts[i]);
        }
        is_int(stats(&e).hosts, 2, "maxhosts: two hosts kept");
        get(&e, hosts[2], "k", &g);
        get(&e, hosts[1], "k", &g);
        is_int(sim_count(&e, hosts[1]) + sim_count(&e, hosts[2]), 2, "maxhosts: the recent ones are cached");
        get(&e, hosts[0], "k", &g);
        is_int(g.r, 0, "maxhosts: the evicted one again");
        is_int(sim_count(&e, hosts[0]), 2, "maxhosts: refetched");
        got_done(&g);
        env_fini(&e, "maxhosts");
}

static const struct {
        const char *name;
        void (*fn)(void);
} tests[] = {
        { "fetch", test_fetch_and_hit },
        { "auth", test_auth_flow },
        { "ratelimit", test_unknown_kid_rate_limited },
        { "coalesce", test_coalesce },
        { "refused", test_host_refused },
        { "options", test_bad_options },
        { "failures", test_fetch_failures },
        { "keep", test_failure_keeps_keys },
        { "ttl", test_ttl },
        { "cancel", test_cancel },
        { "shutdown", test_shutdown },
        { "reentrant", test_reentrancy },
        { "maxhosts", test_max_hosts },
};

static EVP_PKEY *load_key(const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", arg_keys, name);
        FILE *f = fopen(path, "r");
        EVP_PKEY *k;

        if (!f) {
                fprintf(stderr, "cannot open %s\n", path);
                exit(2);
        }
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
        if (!k) {
                fprintf(stderr, "no private key in %s\n", path);
                exit(2);
        }
        return k;
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                { "base", required_argument, NULL, 'b' },
                { "ca", required_argument, NULL, 'c' },
                { "wrong-ca", required_argument, NULL, 'w' },
                { "keys", required_argument, NULL, 'k' },
                { "closed-port", required_argument, NULL, 'p' },
                { "only", required_argument, NULL, 'o' },
                {}
        };
        int ch;

        while ((ch = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (ch) {
                case 'b': arg_base = optarg; break;
                case 'c': arg_ca = optarg; break;
                case 'w': arg_wrong_ca = optarg; break;
                case 'k': arg_keys = optarg; break;
                case 'p': arg_closed_port = atoi(optarg); break;
                case 'o': arg_only = optarg; break;
                default: return 2;
                }
        }
        if (!arg_base || !arg_ca || !arg_wrong_ca || !arg_keys || arg_closed_port <= 0) {
                fprintf(stderr, "usage: %s --base URL --ca FILE --wrong-ca FILE --keys DIR --closed-port N "
                        "[--only NAME]\n", argv[0]);
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        log_setup("jwks-test", LOG_TARGET_STDERR, LOG_INFO);
        k1 = load_key("k1.pem");
        k2 = load_key("k2.pem");

        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
                if (arg_only && strcmp(arg_only, tests[i].name) != 0)
                        continue;
                diag("%s", tests[i].name);
                tests[i].fn();
        }
        EVP_PKEY_free(k1);
        EVP_PKEY_free(k2);
        printf("1..%u\n", tap_n);
        return tap_failed ? 1 : 0;
}
