/* SPDX-License-Identifier: MIT */
/* The SMC session client (sna.md §2, §3): login, cookies and the XSRF
 * header, renewal, tenant discovery, a paced queue of JSON calls. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "sources/sna_api.h"
#include "sources/sna_model.h"

#define LOGOUT_TIMEOUT_MS 1000L         /* within a stopping daemon's 2 s */
#define TENANT_MARK "{tenant}"

typedef struct Call Call;

struct Call {
        SnaApi *api;
        char *method;
        char *path;                     /* as given, "{tenant}" not yet replaced */
        char *body;
        SnaJsonCb cb;
        void *userdata;
        HttpRequest *req;
        unsigned session_gen;           /* the session it was sent with */
        bool auth_retried;
        bool no_retry;                  /* not idempotent: a 5xx is not repeated */
        bool internal;                  /* tenant discovery: handled here */
        /* a failure decided before any request: delivered from the loop */
        int fail_r;
        long fail_status;
        char *fail_error;
        Call *prev, *next;
};

typedef struct CallList {
        Call *head, *tail;
        unsigned n;
} CallList;

struct SnaApi {
        uv_loop_t *loop;
        HttpClient *http;
        bool own_http;
        char *base;                     /* "https://smc" */
        char *name;
        char *username;
        char *password;
        int64_t tenant_id;
        bool tenant_configured;
        bool tenant_discovering;
        long timeout_ms;
        char *ca_file;
        bool tls_skip_verify;
        unsigned max_in_flight;
        uint64_t session_lifetime_ms;
        RetryPolicy retry;

        /* session */
        char **cookie_names, **cookie_values;
        char *cookie_header;            /* "Cookie: a=b; c=d" */
        char *xsrf_header;              /* "X-XSRF-TOKEN: v", NULL before 7.3.2 */
        uint64_t session_at_ms;         /* monotonic, 0 = no session */
        unsigned session_gen;
        HttpRequest *login_req;
        HttpRequest *logout_req;

        CallList queue, running, failed;
        uv_timer_t defer;
        bool pumping;
        bool closing;
        bool closed;
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;

        uint64_t n_requests, n_logins, n_logouts;
};

static void pump(SnaApi *api);
static void maybe_finish_shutdown(SnaApi *api);

/* ---- lists ---------------------------------------------------------------- */

static void list_push(CallList *l, Call *c, bool front)
{
        c->prev = c->next = NULL;
        if (front) {
                c->next = l->head;
                if (l->head)
                        l->head->prev = c;
                l->head = c;
                if (!l->tail)
                        l->tail = c;
        } else {
                c->prev = l->tail;
                if (l->tail)
                        l->tail->next = c;
                l->tail = c;
                if (!l->head)
                        l->head = c;
        }
        l->n++;
}

static void list_unlink(CallList *l, Call *c)
{
        if (c->prev)
                c->prev->next = c->next;
        else
                l->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                l->tail = c->prev;
        c->prev = c->next = NULL;
        l->n--;
}

static Call *call_free(Call *c)
{
        if (!c)
                return NULL;
        free(c->method);
        free(c->path);
        free(c->body);
        free(c->fail_error);
        free(c);
        return NULL;
}

static void wipe_free(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

/* ---- delivery ----------------------------------------------------------- */

static void deliver(Call *c, int r, long status, const char *error, const cJSON *body)
{
        SnaStatus st = { .r = r, .http_status = status, .error = r < 0 ? error : NULL };

        if (c->cb)
                c->cb(c->userdata, &st, body);
}

static void on_defer(uv_timer_t *t)
{
        SnaApi *api = t->data;

        while (api->failed.head) {
                Call *c = api->failed.head;
                list_unlink(&api->failed, c);
                deliver(c, c->fail_r, c->fail_status, c->fail_error, NULL);
                call_free(c);
        }
        pump(api);
        maybe_finish_shutdown(api);
}

/* Fails a call that is not running: the callback runs from the loop. */
static void call_fail_later(SnaApi *api, Call *c, int r, long status, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static void call_fail_later(SnaApi *api, Call *c, int r, long status, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        free(c->fail_error);
        c->fail_error = xvasprintf(fmt, ap);
        va_end(ap);
        c->fail_r = r;
        c->fail_status = status;
        list_push(&api->failed, c, false);
        if (!api->closed)
                uv_timer_start(&api->defer, on_defer, 0, 0);
}

static void fail_queue(SnaApi *api, bool tenant_only, int r, long status, const char *error)
{
        Call *c = api->queue.head;

        while (c) {
                Call *next = c->next;
                if (!tenant_only || strstr(c->path, TENANT_MARK)) {
                        list_unlink(&api->queue, c);
                        call_fail_later(api, c, r, status, "%s", error);
                }
                c = next;
        }
}

/* ---- session ------------------------------------------------------------ */

static void session_forget(SnaApi *api)
{
        for (size_t i = 0; api->cookie_values && api->cookie_values[i]; i++)
                explicit_bzero(api->cookie_values[i], strlen(api->cookie_values[i]));
        strv_free(api->cookie_names);
        strv_free(api->cookie_values);
        api->cookie_names = api->cookie_values = NULL;
        wipe_free(api->cookie_header);
        wipe_free(api->xsrf_header);
        api->cookie_header = api->xsrf_header = NULL;
        api->session_at_ms = 0;
}

static uint64_t now_ms(void)
{
        return clock_mono_usec() / 1000;
}

static bool need_login(const SnaApi *api)
{
        return !api->cookie_header || now_ms() - api->session_at_ms >= api->session_lifetime_ms;
}

static void cookie_set(SnaApi *api, const char *name, const char *value)
{
        for (size_t i = 0; api->cookie_names && api->cookie_names[i]; i++)
                if (!strcmp(api->cookie_names[i], name)) {
                        explicit_bzero(api->cookie_values[i], strlen(api->cookie_values[i]));
                        free(api->cookie_values[i]);
                        api->cookie_values[i] = xstrdup(value);
                        return;
                }
        api->cookie_names = strv_push(api->cookie_names, name);
        api->cookie_values = strv_push(api->cookie_values, value);
}

/* Header values must not smuggle a line break or a ';' into our Cookie
 * header. */
static bool cookie_value_ok(const char *v)
{
        for (const char *p = v; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f || *p == ';')
                        return false;
        return true;
}

static void build_session_headers(SnaApi *api)
{
        char *h = xstrdup("Cookie: ");

        for (size_t i = 0; api->cookie_names && api->cookie_names[i]; i++) {
                char *n = xasprintf("%s%s%s=%s", h, i ? "; " : "", api->cookie_names[i], api->cookie_values[i]);
                wipe_free(h);
                h = n;
                if (!strcmp(api->cookie_names[i], "XSRF-TOKEN") && api->cookie_values[i][0]) {
                        wipe_free(api->xsrf_header);
                        api->xsrf_header = xasprintf("X-XSRF-TOKEN: %s", api->cookie_values[i]);
                }
        }
        wipe_free(api->cookie_header);
        api->cookie_header = h;
}

static void on_login(const HttpResponse *resp, void *userdata)
{
        SnaApi *api = userdata;
        _cleanup_free_ char *error = NULL;
        bool have_jwt = false;

        api->login_req = NULL;
        if (resp->r == -ECANCELED) {
                fail_queue(api, false, -ECANCELED, 0, "login cancelled");
                maybe_finish_shutdown(api);
                return;
        }
        if (resp->r == 0 && resp->status >= 200 && resp->status < 300) {
                session_forget(api);
                for (size_t i = 0; i < resp->n_headers; i++) {
                        _cleanup_free_ char *name = NULL, *value = NULL;
                        if (strcasecmp(resp->headers[i].name, "Set-Cookie") ||
                            sna_cookie_parse(resp->headers[i].value, &name, &value) < 0 || !cookie_value_ok(value) ||
                            !cookie_value_ok(name) || strchr(name, '='))
                                continue;
                        if (!value[0])
                                continue;
                        cookie_set(api, name, value);
                        have_jwt = have_jwt || !strcmp(name, "stealthwatch.jwt");
                        explicit_bzero(value, strlen(value));
                }
                if (have_jwt) {
                        build_session_headers(api);
                        api->session_at_ms = now_ms();
                        api->session_gen++;
                        log_debug("SNA '%s': logged in%s", api->name,
                                  api->xsrf_header ? " (XSRF token)" : " (no XSRF token: SMC before 7.3.2)");
                        pump(api);
                        maybe_finish_shutdown(api);
                        return;
                }
                session_forget(api);
                error = xstrdup("login: POST /token/v2/authenticate: no stealthwatch.jwt cookie in the answer");
        } else if (resp->status > 0) {
                _cleanup_free_ char *text = sna_error_text(resp->status, resp->body, resp->body_len);
                error = xasprintf("login: POST /token/v2/authenticate: %s%s", text,
                                  resp->status == 401 || resp->status == 403 ? " (user name or password refused)" :
                                  "");
        } else
                error = xasprintf("login: POST /token/v2/authenticate: %s",
                                  *resp->error ? resp->error : strerror(-resp->r));
        fail_queue(api, false, SNA_ERR_LOGIN, resp->status, error);
        maybe_finish_shutdown(api);
}

static char *form_escape(const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        char *out = xmalloc(strlen(s) * 3 + 1), *p = out;

        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c))
                        *p++ = (char) c;
                else {
                        *p++ = '%';
                        *p++ = hex[c >> 4];
                        *p++ = hex[c & 15];
                }
        }
        *p = '\0';
        return out;
}

static void login_start(SnaApi *api)
{
        const char *hdrs[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: */*", NULL };
        char *user = form_escape(api->username), *pass = form_escape(api->password);
        char *body = xasprintf("username=%s&password=%s", user, pass);
        _cleanup_free_ char *url = xasprintf("%s/token/v2/authenticate", api->base);
        int r;

        session_forget(api);
        r = http_request_start(api->http,
                               &(HttpRequestOptions) {
                                       .method = "POST",
                                       .url = url,
                                       .headers = hdrs,
                                       .body = body,
                                       .body_len = strlen(body),
                                       .timeout_ms = api->timeout_ms,
                                       .retry = &api->retry,
                                       .ca_file = api->ca_file,
                                       .tls_skip_verify = api->tls_skip_verify,
                                       .cb = on_login,
                                       .userdata = api,
                               },
                               &api->login_req);
        wipe_free(user);
        wipe_free(pass);
        wipe_free(body);
        if (r < 0) {
                api->login_req = NULL;
                fail_queue(api, false, r == -ESHUTDOWN ? r : SNA_ERR_LOGIN, 0,
                           r == -ESHUTDOWN ? "login: the HTTP client is shut down" : "login: cannot start the request");
                return;
        }
        api->n_logins++;
        log_debug("SNA '%s': logging in as '%s'", api->name, api->username);
}

/* ---- calls -------------------------------------------------------------- */

static char *resolve_path(const SnaApi *api, const char *path)
{
        const char *m = strstr(path, TENANT_MARK);

        if (!m)
                return xstrdup(path);
        return xasprintf("%.*s%" PRId64 "%s", (int) (m - path), path, api->tenant_id, m + strlen(TENANT_MARK));
}

static void on_call_response(const HttpResponse *resp, void *userdata);

static int call_start(SnaApi *api, Call *c)
{
        _cleanup_free_ char *path = resolve_path(api, c->path), *url = xasprintf("%s%s", api->base, path);
        const char *hdrs[6];
        size_t h = 0;
        int r;

        hdrs[h++] = api->cookie_header;
        hdrs[h++] = "Accept: application/json";
        if (c->body)
                hdrs[h++] = "Content-Type: application/json";
        /* 7.3.2+: every state-changing call carries the token */
        if (strcmp(c->method, "GET") && api->xsrf_header)
                hdrs[h++] = api->xsrf_header;
        hdrs[h] = NULL;
        c->session_gen = api->session_gen;
        r = http_request_start(api->http,
                               &(HttpRequestOptions) {
                                       .method = c->method,
                                       .url = url,
                                       .headers = hdrs,
                                       .body = c->body,
                                       .body_len = c->body ? strlen(c->body) : 0,
                                       .timeout_ms = api->timeout_ms,
                                       .retry = c->no_retry ? &(RetryPolicy) { .max_attempts = 1, .base_ms = 1,
                                                                              .max_ms = 1 } : &api->retry,
                                       .ca_file = api->ca_file,
                                       .tls_skip_verify = api->tls_skip_verify,
                                       .cb = on_call_response,
                                       .userdata = c,
                               },
                               &c->req);
        if (r < 0)
                return r;
        list_push(&api->running, c, false);
        api->n_requests++;
        return 0;
}

static void on_tenants(void *userdata, const SnaStatus *st, const cJSON *body);

static void start_discovery(SnaApi *api)
{
        Call *c = xnew(Call, 1);

        c->api = api;
        c->method = xstrdup("GET");
        c->path = xstrdup("/sw-reporting/v1/tenants/");
        c->cb = on_tenants;
        c->userdata = api;
        c->internal = true;
        api->tenant_discovering = true;
        list_push(&api->queue, c, true);
}

static void on_tenants(void *userdata, const SnaStatus *st, const cJSON *body)
{
        SnaApi *api = userdata;
        const cJSON *d, *t;
        _cleanup_free_ char *ids = NULL;
        int64_t found = 0;
        int n = 0;

        api->tenant_discovering = false;
        if (st->r < 0) {
                _cleanup_free_ char *e = xasprintf("tenant discovery: %s", st->error);
                fail_queue(api, true, st->r, st->http_status, e);
                return;
        }
        d = cJSON_GetObjectItemCaseSensitive(body, "data");
        if (!cJSON_IsArray(d))
                d = NULL;
        cJSON_ArrayForEach(t, d) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
                char *s;
                if (!cJSON_IsNumber(id) || id->valuedouble < 1)
                        continue;
                found = (int64_t) id->valuedouble;
                n++;
                s = xasprintf("%s%s%" PRId64, ids ? ids : "", ids ? ", " : "", found);
                free(ids);
                ids = s;
        }
        if (n == 1) {
                api->tenant_id = found;
                log_debug("SNA '%s': using tenant %" PRId64, api->name, found);
                return;
        }
        if (n == 0)
                fail_queue(api, true, -ENXIO, 0, "GET /sw-reporting/v1/tenants/: no tenant (domain) listed");
        else {
                _cleanup_free_ char *e = xasprintf("GET /sw-reporting/v1/tenants/: %d tenants (%s); set tenant_id",
                                                   n, ids);
                fail_queue(api, true, -ENXIO, 0, e);
        }
}

static void call_failed(SnaApi *api, Call *c, const HttpResponse *resp, int r, const char *what)
{
        _cleanup_free_ char *path = resolve_path(api, c->path), *text = NULL;
        char attempts[48] = "";

        if (resp->attempts > 1)
                snprintf(attempts, sizeof(attempts), " (after %u attempts)", resp->attempts);
        if (what)
                text = xstrdup(what);
        else if (resp->status > 0 && (resp->status < 200 || resp->status > 299))
                text = sna_error_text(resp->status, resp->body, resp->body_len);
        else
                text = xstrdup(*resp->error ? resp->error : strerror(-r));
        {
                _cleanup_free_ char *e = xasprintf("%s %s: %s%s", c->method, path, text, attempts);
                deliver(c, r, resp->status, e, NULL);
        }
}

static void on_call_response(const HttpResponse *resp, void *userdata)
{
        Call *c = userdata;
        SnaApi *api = c->api;
        cJSON *j = NULL;

        c->req = NULL;
        list_unlink(&api->running, c);
        if (resp->r == -ECANCELED) {
                call_failed(api, c, resp, -ECANCELED, "cancelled");
                goto done;
        }
        if (resp->status == 401 && !c->auth_retried && !api->closing) {
                /* the session expired or was dropped: once per call, a
                 * fresh login, then the same call again */
                log_debug("SNA '%s': %s %s: 401, logging in again", api->name, c->method, c->path);
                c->auth_retried = true;
                if (c->session_gen == api->session_gen && !api->login_req)
                        session_forget(api);
                list_push(&api->queue, c, true);
                pump(api);
                maybe_finish_shutdown(api);
                return;
        }
        if (resp->r < 0 || resp->status < 200 || resp->status > 299) {
                int r = resp->r < 0 ? resp->r : resp->status == 401 || resp->status == 403 ? -EACCES :
                        resp->status == 404 ? -ENOENT : -EPROTO;
                call_failed(api, c, resp, r, NULL);
                goto done;
        }
        if (resp->body_len > 0) {
                j = cJSON_ParseWithLength(resp->body, resp->body_len);
                if (!j) {
                        call_failed(api, c, resp, -EPROTO, "the answer is not JSON");
                        goto done;
                }
        }
        deliver(c, 0, resp->status, NULL, j);
        cJSON_Delete(j);
done:
        call_free(c);
        pump(api);
        maybe_finish_shutdown(api);
}

static void pump(SnaApi *api)
{
        Call *c;

        if (api->pumping || api->closing || !api->queue.head)
                return;
        api->pumping = true;
        if (need_login(api)) {
                if (!api->login_req && api->running.n == 0)
                        login_start(api);
                /* calls still running on the old session finish first */
                api->pumping = false;
                return;
        }
        c = api->queue.head;
        while (c && api->running.n < api->max_in_flight) {
                Call *next = c->next;
                int r;

                if (strstr(c->path, TENANT_MARK) && api->tenant_id == 0) {
                        if (!api->tenant_discovering) {
                                start_discovery(api);
                                next = api->queue.head;
                        }
                        c = next;
                        continue;
                }
                list_unlink(&api->queue, c);
                r = call_start(api, c);
                if (r < 0)
                        call_fail_later(api, c, r, 0, "%s %s: %s", c->method, c->path, strerror(-r));
                c = next;
        }
        api->pumping = false;
}

int sna_api_call(SnaApi *api, const char *method, const char *path, const char *json_body, SnaJsonCb cb,
                 void *userdata)
{
        return sna_api_call_full(api, method, path, json_body, 0, cb, userdata);
}

int sna_api_call_full(SnaApi *api, const char *method, const char *path, const char *json_body, unsigned flags,
                      SnaJsonCb cb, void *userdata)
{
        Call *c;

        if (!method || !path || path[0] != '/' || strpbrk(path, "\r\n ") || !cb)
                return -EINVAL;
        if (api->closing)
                return -ESHUTDOWN;
        c = xnew(Call, 1);
        c->api = api;
        c->method = xstrdup(method);
        c->path = xstrdup(path);
        c->body = json_body ? xstrdup(json_body) : NULL;
        c->no_retry = flags & SNA_CALL_NO_RETRY;
        c->cb = cb;
        c->userdata = userdata;
        list_push(&api->queue, c, false);
        /* never from inside this call: the loop starts it */
        uv_timer_start(&api->defer, on_defer, 0, 0);
        return 0;
}

int64_t sna_api_tenant_id(const SnaApi *api)
{
        return api->tenant_id;
}

void sna_api_cancel_all(SnaApi *api)
{
        fail_queue(api, false, -ECANCELED, 0, "cancelled");
        for (Call *c = api->running.head; c; c = c->next)
                if (c->req)
                        (void) http_request_cancel(c->req);
        if (api->login_req)
                (void) http_request_cancel(api->login_req);
}

void sna_api_get_stats(const SnaApi *api, SnaApiStats *ret)
{
        *ret = (SnaApiStats) {
                .requests = api->n_requests,
                .logins = api->n_logins,
                .logouts = api->n_logouts,
                .running = api->running.n,
                .queued = api->queue.n,
        };
}

/* ---- creation and shutdown ---------------------------------------------- */

static void api_free(void *userdata)
{
        SnaApi *api = userdata;
        void (*cb)(void *) = api->shutdown_cb;
        void *ud = api->shutdown_userdata;

        session_forget(api);
        free(api->base);
        free(api->name);
        free(api->username);
        wipe_free(api->password);
        free(api->ca_file);
        free(api);
        if (cb)
                cb(ud);
}

static void on_defer_closed(uv_handle_t *h)
{
        SnaApi *api = h->data;

        if (api->own_http && http_client_shutdown(api->http, api_free, api) == 0)
                return;
        api_free(api);
}

static void on_logout(const HttpResponse *resp, void *userdata)
{
        SnaApi *api = userdata;

        api->logout_req = NULL;
        if (resp->r == 0 && resp->status >= 200 && resp->status < 300)
                log_debug("SNA '%s': logged out", api->name);
        else
                log_debug("SNA '%s': logout failed (%s), ignoring", api->name,
                          resp->status ? "HTTP error" : *resp->error ? resp->error : "no answer");
        session_forget(api);
        maybe_finish_shutdown(api);
}

static void logout_start(SnaApi *api)
{
        _cleanup_free_ char *url = xasprintf("%s/token", api->base);
        const char *hdrs[4];
        size_t h = 0;

        hdrs[h++] = api->cookie_header;
        if (api->xsrf_header)
                hdrs[h++] = api->xsrf_header;
        hdrs[h] = NULL;
        if (http_request_start(api->http,
                               &(HttpRequestOptions) {
                                       .method = "DELETE",
                                       .url = url,
                                       .headers = hdrs,
                                       .timeout_ms = LOGOUT_TIMEOUT_MS,
                                       .retry = &(RetryPolicy) { .max_attempts = 1, .base_ms = 1, .max_ms = 1 },
                                       .ca_file = api->ca_file,
                                       .tls_skip_verify = api->tls_skip_verify,
                                       .cb = on_logout,
                                       .userdata = api,
                               },
                               &api->logout_req) < 0) {
                api->logout_req = NULL;
                session_forget(api);
                return;
        }
        api->n_logouts++;
}

static void maybe_finish_shutdown(SnaApi *api)
{
        if (!api->closing || api->closed || api->running.n || api->queue.n || api->failed.n || api->login_req)
                return;
        if (api->cookie_header && !api->logout_req) {
                logout_start(api);
                if (api->logout_req)
                        return;
        }
        if (api->logout_req)
                return;
        api->closed = true;
        uv_close((uv_handle_t *) &api->defer, on_defer_closed);
}

int sna_api_shutdown(SnaApi *api, void (*cb)(void *userdata), void *userdata)
{
        if (api->closing)
                return -EALREADY;
        api->closing = true;
        api->shutdown_cb = cb;
        api->shutdown_userdata = userdata;
        sna_api_cancel_all(api);
        if (api->failed.n)
                uv_timer_start(&api->defer, on_defer, 0, 0);
        else
                maybe_finish_shutdown(api);
        return 0;
}

static bool text_ok(const char *s)
{
        if (!s || !s[0])
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int sna_api_new(uv_loop_t *loop, HttpClient *http, const SnaApiOptions *opts, SnaApi **ret)
{
        const char *u = opts ? opts->url : NULL;
        _cleanup_free_ char *base = NULL;
        SnaApi *api;
        size_t n;

        if (!loop || !opts || !text_ok(u) || strpbrk(u, " ?#") || !text_ok(opts->username) ||
            !text_ok(opts->password) || opts->tenant_id < 0)
                return -EINVAL;
        if (opts->retry && retry_policy_validate(opts->retry) < 0)
                return -EINVAL;
        base = strstr(u, "://") ? xstrdup(u) : xasprintf("https://%s", u);
        n = strlen(base);
        while (n > 0 && base[n - 1] == '/')
                base[--n] = '\0';
        if (strncmp(base, "http://", 7) && strncmp(base, "https://", 8))
                return -EINVAL;
        api = xnew(SnaApi, 1);
        api->loop = loop;
        api->http = http;
        if (!http) {
                int r = http_client_new(loop, opts->http_options ? opts->http_options : &(HttpClientOptions) { 0 },
                                        &api->http);
                if (r < 0) {
                        free(api);
                        return r;
                }
                api->own_http = true;
        }
        api->base = base;
        base = NULL;
        api->name = xstrdup(opts->name ? opts->name : api->base);
        api->username = xstrdup(opts->username);
        api->password = xstrdup(opts->password);
        api->tenant_id = opts->tenant_id;
        api->tenant_configured = opts->tenant_id > 0;
        api->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : SNA_DEFAULT_TIMEOUT_MS;
        api->ca_file = opts->ca_file ? xstrdup(opts->ca_file) : NULL;
        api->tls_skip_verify = opts->tls_skip_verify;
        api->max_in_flight = opts->max_in_flight ? opts->max_in_flight : SNA_DEFAULT_MAX_IN_FLIGHT;
        api->session_lifetime_ms = opts->session_lifetime_ms ? opts->session_lifetime_ms :
                                   SNA_DEFAULT_SESSION_LIFETIME_MS;
        api->retry = opts->retry ? *opts->retry : SNA_RETRY_DEFAULT;
        uv_timer_init(loop, &api->defer);
        api->defer.data = api;
        *ret = api;
        return 0;
}
