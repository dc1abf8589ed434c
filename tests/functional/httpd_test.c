/* SPDX-License-Identifier: MIT */
/* Functional test of src/daemon/httpd.c: the real server on a real libuv
 * loop (the main thread), driven by libcurl and raw sockets from a client
 * thread, on 127.0.0.1 / [::1] with ports chosen by the kernel. Prints TAP;
 * run by test-httpd.sh.
 *
 *   httpd_test [--only NAME] [--list]
 *   httpd_test --bench SECONDS [--conns N]   (throughput of a trivial handler)
 *   httpd_test --serve SECONDS   (serves GET /fast on 127.0.0.1, prints the
 *                                 port, for wrk or ab; then shuts down)
 *
 * Every test builds its own loop and server, shuts the server down and
 * checks uv_loop_close() == 0. The server never sees the client thread:
 * counters both sides read are atomics. Every wait is bounded. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <uv.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/httpd.h"

static const char *arg_only;
static unsigned arg_bench_s;
static unsigned arg_serve_s;
static unsigned arg_bench_conns = 10;

/* ---- TAP ---------------------------------------------------------------- */

static unsigned tap_n, tap_failed;
static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;

static bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool ok(bool cond, const char *fmt, ...)
{
        va_list ap;

        pthread_mutex_lock(&tap_lock);
        tap_n++;
        printf("%s %u - ", cond ? "ok" : "not ok", tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (!cond)
                tap_failed++;
        fflush(stdout);
        pthread_mutex_unlock(&tap_lock);
        return cond;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
        va_list ap;

        pthread_mutex_lock(&tap_lock);
        fputs("# ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
        pthread_mutex_unlock(&tap_lock);
}

#define is_int(got, want, ...)                                                          \
        do {                                                                            \
                long long _g = (long long) (got), _w = (long long) (want);              \
                if (!ok(_g == _w, __VA_ARGS__))                                         \
                        diag("  got %lld, want %lld", _g, _w);                          \
        } while (0)

#define is_str(got, want, ...)                                                          \
        do {                                                                            \
                const char *_g = (got), *_w = (want);                                   \
                if (!ok(_g && _w && strcmp(_g, _w) == 0, __VA_ARGS__))                  \
                        diag("  got '%s', want '%s'", _g ? _g : "(null)", _w ? _w : "(null)"); \
        } while (0)

#define in_range(got, lo, hi, ...)                                                      \
        do {                                                                            \
                double _g = (double) (got);                                             \
                if (!ok(_g >= (double) (lo) && _g <= (double) (hi), __VA_ARGS__))       \
                        diag("  got %.3f, want [%.3f, %.3f]", _g, (double) (lo), (double) (hi)); \
        } while (0)

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Waits (bounded) until *v >= want; true if reached. */
static bool wait_atomic(atomic_int *v, int want, unsigned timeout_ms)
{
        double end = now_ms() + timeout_ms;

        while (atomic_load(v) < want) {
                if (now_ms() > end)
                        return false;
                sleep_ms(5);
        }
        return true;
}

/* ---- the test context: loop and server on the main thread --------------- */

typedef struct Ctx Ctx;
typedef void (*ClientFn)(Ctx *c);

typedef struct Held {
        HttpdRequest *req;
        Ctx *ctx;
        uv_timer_t timer;
        unsigned delay_ms;
        bool cancelled;
        struct Held *next;
} Held;

struct Ctx {
        uv_loop_t loop;
        Httpd *h;
        HttpdOptions opts;
        uv_async_t client_done;
        pthread_t thread;
        ClientFn client;
        uint16_t port[4];
        bool shutdown_done;
        HttpdStats final_stats;         /* taken when the client finished */

        /* loop side */
        unsigned slow_ms;               /* /slow answers after that long */
        unsigned slow_after_cancel_ms;  /* held requests: answer that long after cancel */
        int shutdown_at_held;           /* shut the server down when that many are held */
        unsigned peak_suspended;
        Held *held;

        /* shared with the client thread */
        atomic_int n_handler_calls;
        atomic_int n_held;
        atomic_int n_cancelled;
        atomic_int n_slow_done;
        atomic_int n_late_responds;     /* httpd_respond() on a request already gone */
        atomic_int release;             /* the client asks the loop to answer held requests */
        uv_async_t release_async;
};

static void on_shutdown_done(void *userdata)
{
        Ctx *c = userdata;

        c->shutdown_done = true;
        c->h = NULL;
}

static void ctx_shutdown(Ctx *c)
{
        if (c->h && !c->shutdown_done)
                (void) httpd_shutdown(c->h, on_shutdown_done, c);
}

/* From a handler about to leave its request suspended. */
static void track_peak(Ctx *c)
{
        HttpdStats s;

        httpd_stats(c->h, &s);
        if (s.suspended + 1 > c->peak_suspended)
                c->peak_suspended = s.suspended + 1;
}

/* GET/POST anything: echoes the body; the route in headers. */
static void h_echo(HttpdRequest *req, void *userdata)
{
        const char *tag = userdata;
        size_t len;
        const char *body = httpd_request_body(req, &len);
        const char *hv = httpd_request_header(req, "X-Echo");
        _cleanup_free_ char *h1 = xasprintf("X-Mount: %s", tag);
        _cleanup_free_ char *h2 = xasprintf("X-Method: %s", httpd_request_method(req));
        _cleanup_free_ char *h3 = xasprintf("X-Path: [%s]", httpd_request_path(req));
        _cleanup_free_ char *h4 = xasprintf("X-Echoed: %s", hv ? hv : "-");
        _cleanup_free_ char *h5 = xasprintf("X-Query: %s",
                                           httpd_request_query(req, "q") ? httpd_request_query(req, "q") : "-");
        const char *headers[] = { h1, h2, h3, h4, h5, NULL };

        (void) httpd_respond(req, 200, "application/octet-stream", body, len, headers);
}

static atomic_int g_handler_calls;

static void h_count_echo(HttpdRequest *req, void *userdata)
{
        Ctx *c = userdata;

        atomic_fetch_add(&c->n_handler_calls, 1);
        h_echo(req, "count");
}

static void h_fast(HttpdRequest *req, void *userdata)
{
        atomic_fetch_add(&g_handler_calls, 1);
        (void) httpd_respond(req, 200, "text/plain", "ok\n", 3, NULL);
}

/* A malloc'ed body handed over; .../bad: with an invalid status, .../empty: none. */
static void h_owned(HttpdRequest *req, void *userdata)
{
        const char *url = httpd_request_url(req);
        bool bad = strstr(url, "/bad") != NULL, empty = strstr(url, "/empty") != NULL;

        (void) httpd_respond_owned(req, bad ? 99 : 200, "text/plain", xstrdup(empty ? "" : "owned\n"),
                                   empty ? 0 : 6, NULL);
}

static void h_bad_header(HttpdRequest *req, void *userdata)
{
        (void) httpd_respond(req, 200, "text/plain", "x", 1, (const char *const[]) { "Bad\r\nInjected: 1", NULL });
}

static void h_error(HttpdRequest *req, void *userdata)
{
        (void) httpd_respond_error(req, 404, NULL);
}

static void held_timer_closed(uv_handle_t *h)
{
        free(h->data);
}

static void held_unlink(Ctx *c, Held *x)
{
        for (Held **p = &c->held; *p; p = &(*p)->next)
                if (*p == x) {
                        *p = x->next;
                        return;
                }
}

static void on_held_timer(uv_timer_t *t)
{
        Held *x = t->data;
        Ctx *c = x->ctx;
        bool gone = httpd_request_is_gone(x->req);

        if (gone)
                atomic_fetch_add(&c->n_late_responds, 1);
        (void) httpd_respond(x->req, 200, "text/plain", "slow\n", 5, NULL);
        atomic_fetch_add(&c->n_slow_done, 1);
        held_unlink(c, x);
        uv_close((uv_handle_t *) &x->timer, held_timer_closed);
}

static void on_held_cancel(HttpdRequest *req, void *userdata)
{
        Held *x = userdata;
        Ctx *c = x->ctx;

        x->cancelled = true;
        atomic_fetch_add(&c->n_cancelled, 1);
        if (x->delay_ms == 0) {
                /* Held with no timer: answer (release) from a timer later,
                 * after the server may already be gone. */
                uv_timer_start(&x->timer, on_held_timer, c->slow_after_cancel_ms, 0);
        }
}

/* /slow: answers after c->slow_ms from a uv_timer. /hold: answers only
 * when cancelled or released. */
static void h_slow(HttpdRequest *req, void *userdata)
{
        Ctx *c = userdata;
        Held *x = xnew(Held, 1);
        bool hold = strncmp(httpd_request_url(req), "/hold", 5) == 0;

        x->req = req;
        x->ctx = c;
        x->delay_ms = hold ? 0 : c->slow_ms;
        uv_timer_init(&c->loop, &x->timer);
        x->timer.data = x;
        x->next = c->held;
        c->held = x;
        httpd_request_set_cancel(req, on_held_cancel, x);
        if (!hold)
                uv_timer_start(&x->timer, on_held_timer, x->delay_ms, 0);
        track_peak(c);
        atomic_fetch_add(&c->n_held, 1);
        atomic_fetch_add(&c->n_handler_calls, 1);
        /* httpd counts the request as suspended once this returns. */
        if (c->shutdown_at_held > 0 && atomic_load(&c->n_held) == c->shutdown_at_held)
                ctx_shutdown(c);
}

static void on_release(uv_async_t *a)
{
        Ctx *c = a->data;

        for (Held *x = c->held; x; x = x->next)
                if (x->delay_ms == 0 && !x->cancelled && !uv_is_active((uv_handle_t *) &x->timer))
                        uv_timer_start(&x->timer, on_held_timer, 0, 0);
}

static void on_client_done(uv_async_t *a)
{
        Ctx *c = a->data;

        if (c->h)
                httpd_stats(c->h, &c->final_stats);
        uv_close((uv_handle_t *) &c->client_done, NULL);
        uv_close((uv_handle_t *) &c->release_async, NULL);
        /* Release what is still held so that the loop can end; their
         * answers go nowhere once the server is down. */
        for (Held *x = c->held; x; x = x->next)
                if (!uv_is_active((uv_handle_t *) &x->timer))
                        uv_timer_start(&x->timer, on_held_timer, 0, 0);
        ctx_shutdown(c);
}

static void *client_main(void *userdata)
{
        Ctx *c = userdata;

        c->client(c);
        uv_async_send(&c->client_done);
        return NULL;
}

static void ctx_init(Ctx *c)
{
        memset(c, 0, sizeof(*c));
        uv_loop_init(&c->loop);
        c->slow_ms = 200;
        c->slow_after_cancel_ms = 50;
}

static int ctx_start(Ctx *c, const char *const *listen)
{
        int r;

        if (listen)
                c->opts.listen = listen;
        r = httpd_new(&c->loop, &c->opts, &c->h);
        if (r < 0)
                return r;
        for (size_t i = 0; i < httpd_n_listeners(c->h) && i < 4; i++)
                (void) httpd_listener_port(c->h, i, &c->port[i]);
        return 0;
}

/* Runs the client in its thread while the loop serves; then shuts the
 * server down and checks that the loop can be closed. */
static void ctx_run(Ctx *c, ClientFn client, const char *name)
{
        int r;

        c->client = client;
        uv_async_init(&c->loop, &c->client_done, on_client_done);
        c->client_done.data = c;
        uv_async_init(&c->loop, &c->release_async, on_release);
        c->release_async.data = c;
        pthread_create(&c->thread, NULL, client_main, c);
        r = uv_run(&c->loop, UV_RUN_DEFAULT);
        pthread_join(c->thread, NULL);
        (void) r;
        ok(c->shutdown_done, "%s: server shut down, callback called", name);
        r = uv_loop_close(&c->loop);
        if (!ok(r == 0, "%s: uv_loop_close() == 0", name))
                diag("  %s", uv_err_name(r));
}

/* ---- clients ------------------------------------------------------------ */

typedef struct Resp {
        long status;
        char *body;
        size_t len;
        char *headers;
        size_t hlen;
        long num_connects;
        double total_ms;
        int curl_code;
} Resp;

static void resp_done(Resp *r)
{
        free(r->body);
        free(r->headers);
        *r = (Resp) {};
}

static size_t on_body(char *p, size_t size, size_t n, void *userdata)
{
        Resp *r = userdata;

        r->body = xreallocarray(r->body, r->len + size * n + 1, 1);
        memcpy(r->body + r->len, p, size * n);
        r->len += size * n;
        r->body[r->len] = '\0';
        return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *userdata)
{
        Resp *r = userdata;

        r->headers = xreallocarray(r->headers, r->hlen + size * n + 1, 1);
        memcpy(r->headers + r->hlen, p, size * n);
        r->hlen += size * n;
        r->headers[r->hlen] = '\0';
        return size * n;
}

/* The value of a response header (first one), copied; NULL if absent. */
static char *resp_header(const Resp *r, const char *name)
{
        size_t n = strlen(name);

        for (const char *p = r->headers; p && *p;) {
                const char *eol = strstr(p, "\r\n");

                if (!eol)
                        break;
                if ((size_t) (eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
                        const char *v = p + n + 1;

                        while (*v == ' ')
                                v++;
                        return xstrndup(v, (size_t) (eol - v));
                }
                p = eol + 2;
        }
        return NULL;
}

typedef struct Chunked {
        const char *data;
        size_t len, pos;
} Chunked;

static size_t on_read(char *buf, size_t size, size_t n, void *userdata)
{
        Chunked *ck = userdata;
        size_t want = size * n, left = ck->len - ck->pos;

        if (want > left)
                want = left;
        if (want > 1000)
                want = 1000;    /* several chunks */
        memcpy(buf, ck->data + ck->pos, want);
        ck->pos += want;
        return want;
}

static void easy_setup(CURL *e, const char *method, const char *url, Resp *out)
{
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, out);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
}

static void easy_finish(CURL *e, CURLcode cc, Resp *out)
{
        double t = 0;

        out->curl_code = (int) cc;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
        curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &out->num_connects);
        curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &t);
        out->total_ms = t * 1e3;
        if (!out->body)
                out->body = xstrdup("");
}

/* One request with libcurl. `reuse`: an easy handle kept between calls
 * (keep-alive), or NULL. `chunked`: send the body without Content-Length. */
static void http_req(CURL *reuse, const char *method, const char *url, const void *body, size_t len,
                     const char *const *hdrs, bool chunked, Resp *out)
{
        CURL *e = reuse ? reuse : curl_easy_init();
        struct curl_slist *sl = NULL;
        Chunked ck = { .data = body, .len = len };
        CURLcode cc;

        *out = (Resp) {};
        if (reuse)
                curl_easy_reset(e);
        easy_setup(e, method, url, out);
        for (size_t i = 0; hdrs && hdrs[i]; i++)
                sl = curl_slist_append(sl, hdrs[i]);
        if (body && chunked) {
                sl = curl_slist_append(sl, "Transfer-Encoding: chunked");
                curl_easy_setopt(e, CURLOPT_POST, 1L);
                curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
                curl_easy_setopt(e, CURLOPT_READDATA, &ck);
        } else if (body) {
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
        }
        if (sl)
                curl_easy_setopt(e, CURLOPT_HTTPHEADER, sl);
        cc = curl_easy_perform(e);
        easy_finish(e, cc, out);
        curl_slist_free_all(sl);
        if (!reuse)
                curl_easy_cleanup(e);
}

static char *url_of(const Ctx *c, size_t listener, const char *path)
{
        return xasprintf("http://127.0.0.1:%u%s", (unsigned) c->port[listener], path);
}

/* Raw sockets, blocking with receive/send timeouts. */
static int raw_connect_family(int family, uint16_t port)
{
        struct sockaddr_storage ss = {};
        socklen_t len;
        struct timeval tv = { .tv_sec = 3 };
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (family == AF_INET6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;

                a->sin6_family = AF_INET6;
                a->sin6_port = htons(port);
                a->sin6_addr = in6addr_loopback;
                len = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;

                a->sin_family = AF_INET;
                a->sin_port = htons(port);
                a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                len = sizeof(*a);
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *) &ss, len) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

static int raw_connect(uint16_t port)
{
        return raw_connect_family(AF_INET, port);
}

static void raw_set_timeout(int fd, unsigned ms)
{
        struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long) (ms % 1000) * 1000 };

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static bool raw_send(int fd, const char *s)
{
        size_t len = strlen(s), off = 0;

        while (off < len) {
                ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

                if (n <= 0)
                        return false;
                off += (size_t) n;
        }
        return true;
}

/* Reads exactly one response (headers byte by byte, then Content-Length
 * bytes, so that a pipelined answer behind it stays in the socket); returns
 * its status, 0 on EOF before any byte, -1 on timeout or error.
 * *ret_close: the server said Connection: close. */
static int raw_read_response(int fd, char **ret_body, bool *ret_close)
{
        char head[16384], *body;
        size_t len = 0;
        long clen;
        int status = -1;

        for (;;) {
                ssize_t n;

                if (len + 1 >= sizeof(head))
                        return -1;
                n = recv(fd, head + len, 1, 0);
                if (n == 0 && len == 0)
                        return 0;
                if (n <= 0)
                        return -1;
                len++;
                head[len] = '\0';
                if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0)
                        break;
        }
        const char *cl = strcasestr(head, "\r\nContent-Length:");

        clen = cl ? strtol(cl + 17, NULL, 10) : 0;
        if (clen < 0 || clen > 64L << 20)
                return -1;
        if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
                return -1;
        if (ret_close)
                *ret_close = strcasestr(head, "\r\nConnection: close") != NULL;
        body = xmalloc((size_t) clen + 1);
        for (size_t got = 0; got < (size_t) clen;) {
                ssize_t n = recv(fd, body + got, (size_t) clen - got, 0);

                if (n <= 0) {
                        free(body);
                        return -1;
                }
                got += (size_t) n;
        }
        body[clen] = '\0';
        if (ret_body)
                *ret_body = body;
        else
                free(body);
        return status;
}

/* True when the server closes the socket (EOF or reset) within timeout_ms. */
static bool raw_wait_eof(int fd, unsigned timeout_ms, double *ret_ms)
{
        double start = now_ms();
        char b[256];

        raw_set_timeout(fd, timeout_ms);
        for (;;) {
                ssize_t n = recv(fd, b, sizeof(b), 0);

                if (n == 0 || (n < 0 && errno == ECONNRESET)) {
                        if (ret_ms)
                                *ret_ms = now_ms() - start;
                        return true;
                }
                if (n < 0)
                        return false;   /* timeout */
        }
}

/* ---- tests -------------------------------------------------------------- */

static const char *const LO2[] = { "127.0.0.1:0", "127.0.0.1:0", NULL };
static const char *const LO1[] = { "127.0.0.1:0", NULL };

#define NOT_FOUND_BODY \
        "{\"code\":404,\"message\":\"The requested URL was not found on the server. If you entered the URL " \
        "manually please check your spelling and try again.\",\"reason\":\"werkzeug.exceptions.NotFound\"}\n"
#define METHOD_BODY \
        "{\"code\":405,\"message\":\"The method is not allowed for the requested URL.\"," \
        "\"reason\":\"werkzeug.exceptions.MethodNotAllowed\"}\n"

static void check_route(Ctx *c, size_t l, const char *method, const char *path, long want_status,
                        const char *want_mount, const char *want_path)
{
        _cleanup_free_ char *url = url_of(c, l, path);
        _cleanup_free_ char *mount = NULL, *xpath = NULL;
        Resp r;

        http_req(NULL, method, url, NULL, 0, NULL, false, &r);
        mount = resp_header(&r, "X-Mount");
        xpath = resp_header(&r, "X-Path");
        if (want_status == 200) {
                ok(r.status == 200 && mount && strcmp(mount, want_mount) == 0 && xpath &&
                   strcmp(xpath, want_path) == 0,
                   "routing: %s %s on listener %zu -> mount %s path %s", method, path, l, want_mount, want_path);
                if (r.status != 200 || !mount || !xpath)
                        diag("  got %ld mount %s path %s", r.status, mount ? mount : "-", xpath ? xpath : "-");
        } else {
                _cleanup_free_ char *ct = resp_header(&r, "Content-Type");

                ok(r.status == want_status && !mount, "routing: %s %s on listener %zu -> %ld", method, path, l,
                   want_status);
                if (want_status == 404) {
                        is_str(r.body, NOT_FOUND_BODY, "routing: 404 body is the werkzeug JSON");
                        is_str(ct, "application/json", "routing: 404 is application/json");
                }
        }
        resp_done(&r);
}

static void client_routing(Ctx *c)
{
        check_route(c, 0, "GET", "/msgraph/health", 200, "msgraph", "[/health]");
        check_route(c, 0, "POST", "/msgraph/observe/observables", 200, "msgraph", "[/observe/observables]");
        check_route(c, 0, "GET", "/msgraph", 200, "msgraph", "[]");
        check_route(c, 0, "GET", "/msgraph/", 200, "msgraph", "[/]");
        check_route(c, 0, "POST", "/spycloud/version", 200, "spycloud", "[/version]");
        check_route(c, 0, "GET", "/spycloud/a/b/c", 200, "spycloud-deep", "[/c]");
        check_route(c, 0, "GET", "/msgraphx/health", 404, NULL, NULL);
        check_route(c, 0, "GET", "/", 404, NULL, NULL);
        check_route(c, 0, "GET", "/nothing", 404, NULL, NULL);
        check_route(c, 1, "GET", "/", 200, "root", "[/]");
        check_route(c, 1, "POST", "/health", 200, "root", "[/health]");
        check_route(c, 1, "GET", "/msgraph/health", 200, "msgraph", "[/health]");
        check_route(c, 1, "GET", "/spycloud/version", 200, "root", "[/spycloud/version]");

        /* Header and query lookups. */
        _cleanup_free_ char *url = url_of(c, 0, "/msgraph/x?q=hello%20world&z=1");
        _cleanup_free_ char *echoed = NULL, *query = NULL;
        Resp r;

        http_req(NULL, "GET", url, NULL, 0, (const char *const[]) { "x-echo: Some Value", NULL }, false, &r);
        echoed = resp_header(&r, "X-Echoed");
        query = resp_header(&r, "X-Query");
        is_str(echoed, "Some Value", "request headers are looked up case-insensitively");
        is_str(query, "hello world", "query arguments are decoded");
        resp_done(&r);

        /* 405 */
        _cleanup_free_ char *u405 = url_of(c, 0, "/postonly/health");
        _cleanup_free_ char *allow = NULL;

        http_req(NULL, "GET", u405, NULL, 0, NULL, false, &r);
        allow = resp_header(&r, "Allow");
        is_int(r.status, 405, "405: GET on a POST-only mount");
        is_str(allow, "POST", "405: Allow lists the mount's methods");
        is_str(r.body, METHOD_BODY, "405: the werkzeug JSON body");
        resp_done(&r);
        http_req(NULL, "POST", u405, "[]", 2, NULL, false, &r);
        is_int(r.status, 200, "405: POST on the POST-only mount reaches the handler");
        resp_done(&r);

        /* Answers by the handler: error helper, invalid header -> 500. */
        _cleanup_free_ char *uerr = url_of(c, 0, "/err");
        _cleanup_free_ char *ubad = url_of(c, 0, "/badheader");

        http_req(NULL, "GET", uerr, NULL, 0, NULL, false, &r);
        ok(r.status == 404 && strcmp(r.body, NOT_FOUND_BODY) == 0, "httpd_respond_error(404) sends the 404 body");
        resp_done(&r);
        _cleanup_free_ char *uown = url_of(c, 0, "/owned");
        _cleanup_free_ char *uown_bad = url_of(c, 0, "/owned/bad");
        _cleanup_free_ char *uown_empty = url_of(c, 0, "/owned/empty");

        http_req(NULL, "GET", uown, NULL, 0, NULL, false, &r);
        ok(r.status == 200 && strcmp(r.body, "owned\n") == 0, "httpd_respond_owned() sends the body handed over");
        resp_done(&r);
        http_req(NULL, "GET", uown_bad, NULL, 0, NULL, false, &r);
        is_int(r.status, 500, "httpd_respond_owned() with status 99: 500 (and the body freed)");
        resp_done(&r);
        http_req(NULL, "GET", uown_empty, NULL, 0, NULL, false, &r);
        ok(r.status == 200 && r.body && !r.body[0], "httpd_respond_owned() with an empty body: 200, empty");
        resp_done(&r);
        http_req(NULL, "GET", ubad, NULL, 0, NULL, false, &r);
        is_int(r.status, 500, "a header with CR/LF is refused: 500 instead of injecting it");
        ok(!strstr(r.headers ? r.headers : "", "Injected"), "no injected header");
        resp_done(&r);

        /* MHD answers malformed requests itself. */
        int fd = raw_connect(c->port[0]);
        int st = -1;

        if (fd >= 0 && raw_send(fd, "THIS IS NOT HTTP\r\n\r\n"))
                st = raw_read_response(fd, NULL, NULL);
        if (fd >= 0)
                close(fd);
        is_int(st, 400, "malformed request line: 400 from libmicrohttpd");
}

static void test_routing(void)
{
        Ctx c;
        int r;

        ctx_init(&c);
        r = ctx_start(&c, LO2);
        if (!ok(r == 0, "routing: server started on two listeners")) {
                diag("  %s", strerror(-r));
                return;
        }
        is_int(httpd_mount(c.h, "/msgraph", h_echo, "msgraph"), 0, "mount /msgraph on all listeners");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/spycloud", .listener = 0, .cb = h_echo,
                                                    .userdata = "spycloud" }), 0, "mount /spycloud on listener 0");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/spycloud/a/b", .listener = 0, .cb = h_echo,
                                                    .userdata = "spycloud-deep" }), 0, "mount a longer prefix");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/", .listener = 1, .cb = h_echo,
                                                    .userdata = "root" }), 0, "mount / on listener 1");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/postonly", .listener = 0, .methods = "POST",
                                                    .cb = h_echo, .userdata = "postonly" }), 0,
               "mount a POST-only prefix");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/err", .listener = 0, .cb = h_error }), 0,
               "mount /err");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/badheader", .listener = 0, .cb = h_bad_header }),
               0, "mount /badheader");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/owned", .listener = 0, .cb = h_owned }), 0,
               "mount /owned");
        is_int(httpd_mount(c.h, "/msgraph", h_echo, NULL), -EEXIST, "the same prefix twice: -EEXIST");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/x/", .listener = 0, .cb = h_echo }), -EINVAL,
               "a trailing slash: -EINVAL");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "x", .listener = 0, .cb = h_echo }), -EINVAL,
               "no leading slash: -EINVAL");
        is_int(httpd_add_mount(c.h, &(HttpdMount) { .prefix = "/y", .listener = 2, .cb = h_echo }), -EINVAL,
               "no such listener: -EINVAL");
        ok(c.port[0] != 0 && c.port[1] != 0 && c.port[0] != c.port[1], "port 0: two distinct ports chosen (%u, %u)",
           c.port[0], c.port[1]);
        ctx_run(&c, client_routing, "routing");
}

static char *make_body(size_t n)
{
        char *b = xmalloc(n + 1);

        for (size_t i = 0; i < n; i++)
                b[i] = (char) ('a' + (i * 7 + i / 13) % 26);
        b[n] = '\0';
        return b;
}

static void client_bodies(Ctx *c)
{
        _cleanup_free_ char *url = url_of(c, 0, "/echo");
        _cleanup_free_ char *big = make_body(64 * 1024 + 1);
        Resp r;

        http_req(NULL, "POST", url, big, 100, NULL, false, &r);
        ok(r.status == 200 && r.len == 100 && memcmp(r.body, big, 100) == 0, "body echo: 100 bytes");
        resp_done(&r);
        http_req(NULL, "POST", url, big, 64 * 1024, NULL, false, &r);
        ok(r.status == 200 && r.len == 64 * 1024 && memcmp(r.body, big, 64 * 1024) == 0,
           "body echo: exactly the limit (64 KiB)");
        resp_done(&r);
        http_req(NULL, "POST", url, big, 40000, NULL, true, &r);
        ok(r.status == 200 && r.len == 40000 && memcmp(r.body, big, 40000) == 0, "body echo: chunked upload");
        resp_done(&r);
        http_req(NULL, "PUT", url, "a=1&b=2", 7, (const char *const[]) {
                "Content-Type: application/x-www-form-urlencoded", NULL }, false, &r);
        ok(r.status == 200 && r.len == 7 && memcmp(r.body, "a=1&b=2", 7) == 0,
           "body echo: a form body is passed as is");
        resp_done(&r);

        int calls = atomic_load(&c->n_handler_calls);
        _cleanup_free_ char *conn = NULL;

        http_req(NULL, "POST", url, big, 64 * 1024 + 1, NULL, false, &r);
        conn = resp_header(&r, "Connection");
        is_int(r.status, 413, "one byte over the limit with Content-Length: 413");
        ok(strstr(r.body, "werkzeug.exceptions.RequestEntityTooLarge") != NULL, "413: the werkzeug JSON body");
        is_str(conn, "close", "413 before the body: Connection: close");
        resp_done(&r);
        http_req(NULL, "POST", url, big, 64 * 1024 + 1, NULL, true, &r);
        is_int(r.status, 413, "over the limit, chunked: 413 once the body is in");
        resp_done(&r);
        is_int(atomic_load(&c->n_handler_calls), calls, "413: the handler was not called");

        _cleanup_free_ char *huge = make_body(3 * 1024 * 1024);

        http_req(NULL, "POST", url, huge, 3 * 1024 * 1024, NULL, true, &r);
        ok(r.status == 413 || r.curl_code != 0,
           "far over the limit, chunked: 413 or the connection is closed (status %ld, curl %d)", r.status,
           r.curl_code);
        resp_done(&r);

        /* After all that, the server still answers. */
        http_req(NULL, "GET", url, NULL, 0, NULL, false, &r);
        is_int(r.status, 200, "bodies: the server still serves");
        resp_done(&r);

        /* Headers: 8 KiB of memory per connection. */
        _cleanup_free_ char *h1k = NULL, *h16k = NULL;
        _cleanup_free_ char *v1 = make_body(1000), *v16 = make_body(16 * 1024);

        h1k = xasprintf("X-Big: %s", v1);
        h16k = xasprintf("X-Big: %s", v16);
        http_req(NULL, "GET", url, NULL, 0, (const char *const[]) { h1k, NULL }, false, &r);
        is_int(r.status, 200, "a 1 KB header fits in 8 KiB");
        resp_done(&r);
        http_req(NULL, "GET", url, NULL, 0, (const char *const[]) { h16k, NULL }, false, &r);
        is_int(r.status, 431, "a 16 KB header: 431 from libmicrohttpd");
        resp_done(&r);
        _cleanup_free_ char *longurl = xasprintf("http://127.0.0.1:%u/echo?%s", c->port[0], v16);
        http_req(NULL, "GET", longurl, NULL, 0, NULL, false, &r);
        ok(r.status == 414 || r.status == 431, "a 16 KB request line: %ld from libmicrohttpd", r.status);
        resp_done(&r);
}

static void test_bodies(void)
{
        Ctx c;

        ctx_init(&c);
        c.opts.max_body_size = 64 * 1024;
        c.opts.max_header_bytes = 8 * 1024;
        if (!ok(ctx_start(&c, LO1) == 0, "bodies: server started"))
                return;
        (void) httpd_mount(c.h, "/echo", h_count_echo, &c);
        ctx_run(&c, client_bodies, "bodies");
        /* The two 413s; the 431 and 414 are libmicrohttpd's own, the chunked
         * upload far over the limit was cut off. */
        is_int(c.final_stats.by_class[4], 2, "stats: the server's 4xx answers counted");
        ok(c.final_stats.bytes_in >= 64 * 1024 + 40000, "stats: bytes in counted (%" PRIu64 ")",
           c.final_stats.bytes_in);
}

static void client_default_limit(Ctx *c)
{
        _cleanup_free_ char *url = url_of(c, 0, "/echo");
        _cleanup_free_ char *big = make_body(HTTPD_DEFAULT_MAX_BODY_SIZE + 1);
        Resp r;

        http_req(NULL, "POST", url, big, HTTPD_DEFAULT_MAX_BODY_SIZE, NULL, false, &r);
        ok(r.status == 200 && r.len == HTTPD_DEFAULT_MAX_BODY_SIZE, "default limit: a 1 MiB body is accepted");
        resp_done(&r);
        http_req(NULL, "POST", url, big, HTTPD_DEFAULT_MAX_BODY_SIZE + 1, NULL, false, &r);
        is_int(r.status, 413, "default limit: 1 MiB + 1 gets 413");
        resp_done(&r);
}

static void test_default_limit(void)
{
        Ctx c;

        ctx_init(&c);
        if (!ok(ctx_start(&c, LO1) == 0, "default limit: server started"))
                return;
        (void) httpd_mount(c.h, "/", h_count_echo, &c);
        ctx_run(&c, client_default_limit, "default limit");
}

static void client_keepalive(Ctx *c)
{
        int fd = raw_connect(c->port[0]);
        int statuses[3] = { -1, -1, -1 };
        bool closed = true;
        char *body = NULL;

        if (!ok(fd >= 0, "keep-alive: connected"))
                return;
        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *req = xasprintf("POST /echo/%d HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                                                     "hello", i);

                if (!raw_send(fd, req))
                        break;
                statuses[i] = raw_read_response(fd, &body, &closed);
                if (i == 2)
                        ok(body && strcmp(body, "hello") == 0, "keep-alive: third body echoed");
                free(body);
                body = NULL;
        }
        ok(statuses[0] == 200 && statuses[1] == 200 && statuses[2] == 200 && !closed,
           "keep-alive: three requests answered on one connection (%d %d %d)", statuses[0], statuses[1],
           statuses[2]);
        /* Two pipelined requests in one write. */
        raw_send(fd, "GET /echo/a HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/b HTTP/1.1\r\nHost: x\r\n\r\n");
        statuses[0] = raw_read_response(fd, NULL, NULL);
        statuses[1] = raw_read_response(fd, NULL, NULL);
        ok(statuses[0] == 200 && statuses[1] == 200, "keep-alive: two pipelined requests answered");
        close(fd);

        /* libcurl reuses its connection. */
        CURL *e = curl_easy_init();
        _cleanup_free_ char *url = url_of(c, 0, "/echo");
        Resp r1, r2;

        http_req(e, "GET", url, NULL, 0, NULL, false, &r1);
        http_req(e, "GET", url, NULL, 0, NULL, false, &r2);
        ok(r1.status == 200 && r2.status == 200 && r1.num_connects == 1 && r2.num_connects == 0,
           "keep-alive: libcurl reused its connection (new connections: %ld then %ld)", r1.num_connects,
           r2.num_connects);
        resp_done(&r1);
        resp_done(&r2);
        curl_easy_cleanup(e);
}

static void test_keepalive(void)
{
        Ctx c;

        ctx_init(&c);
        if (!ok(ctx_start(&c, LO1) == 0, "keep-alive: server started"))
                return;
        (void) httpd_mount(c.h, "/echo", h_count_echo, &c);
        ctx_run(&c, client_keepalive, "keep-alive");
        is_int(c.final_stats.connections, 2, "keep-alive: 2 connections for 7 requests");
        is_int(c.final_stats.requests, 7, "keep-alive: 7 requests counted");
        is_int(c.final_stats.by_class[2], 7, "keep-alive: 7 2xx answers");
}

static void client_no_keepalive(Ctx *c)
{
        int fd = raw_connect(c->port[0]);
        bool closed = false;
        int st;

        if (!ok(fd >= 0, "keep-alive off: connected"))
                return;
        raw_send(fd, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
        st = raw_read_response(fd, NULL, &closed);
        ok(st == 200 && closed, "keep-alive off: answered with Connection: close");
        ok(raw_wait_eof(fd, 2000, NULL), "keep-alive off: the server closed the connection");
        close(fd);
}

static void test_no_keepalive(void)
{
        Ctx c;

        ctx_init(&c);
        c.opts.disable_keep_alive = true;
        if (!ok(ctx_start(&c, LO1) == 0, "keep-alive off: server started"))
                return;
        (void) httpd_mount(c.h, "/echo", h_count_echo, &c);
        ctx_run(&c, client_no_keepalive, "keep-alive off");
}

#define N_SLOW 20

static void client_async(Ctx *c)
{
        CURLM *m = curl_multi_init();
        CURL *easy[N_SLOW + 1];
        Resp resp[N_SLOW + 1] = {};
        _cleanup_free_ char *slow = url_of(c, 0, "/slow");
        _cleanup_free_ char *fast = url_of(c, 0, "/fast");
        double start = now_ms(), end = start + 10000, elapsed, fast_done = 0;
        int running = 1, n200 = 0;
        bool fast_added = false;

        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
        for (int i = 0; i < N_SLOW; i++) {
                easy[i] = curl_easy_init();
                easy_setup(easy[i], "GET", slow, &resp[i]);
                curl_easy_setopt(easy[i], CURLOPT_FRESH_CONNECT, 1L);
                curl_multi_add_handle(m, easy[i]);
        }
        easy[N_SLOW] = curl_easy_init();
        easy_setup(easy[N_SLOW], "GET", fast, &resp[N_SLOW]);
        curl_easy_setopt(easy[N_SLOW], CURLOPT_FRESH_CONNECT, 1L);

        while (running && now_ms() < end) {
                CURLMsg *msg;
                int left;

                curl_multi_perform(m, &running);
                while ((msg = curl_multi_info_read(m, &left)))
                        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy[N_SLOW])
                                fast_done = now_ms();
                /* Once all 20 wait in their handlers, ask for a fast one. */
                if (!fast_added && atomic_load(&c->n_held) == N_SLOW) {
                        curl_multi_add_handle(m, easy[N_SLOW]);
                        fast_added = true;
                        running = 1;
                }
                curl_multi_poll(m, NULL, 0, 20, NULL);
        }
        elapsed = now_ms() - start;
        for (int i = 0; i <= N_SLOW; i++) {
                easy_finish(easy[i], CURLE_OK, &resp[i]);
                if (i < N_SLOW && resp[i].status == 200 && strcmp(resp[i].body, "slow\n") == 0)
                        n200++;
        }
        is_int(n200, N_SLOW, "async: all %d slow requests answered 200", N_SLOW);
        ok(elapsed < 1500, "async: %d requests of 200 ms each took %.0f ms in all (serial: %d ms)", N_SLOW,
           elapsed, N_SLOW * 200);
        ok(fast_added && resp[N_SLOW].status == 200, "async: a fast request during the slow ones: 200");
        ok(fast_added && fast_done > 0 && resp[N_SLOW].total_ms < 150,
           "async: ... answered while the slow ones wait (%.1f ms)", resp[N_SLOW].total_ms);
        for (int i = 0; i <= N_SLOW; i++) {
                curl_multi_remove_handle(m, easy[i]);
                curl_easy_cleanup(easy[i]);
                resp_done(&resp[i]);
        }
        curl_multi_cleanup(m);
}

static void test_async(void)
{
        Ctx c;

        ctx_init(&c);
        c.slow_ms = 200;
        if (!ok(ctx_start(&c, LO1) == 0, "async: server started"))
                return;
        (void) httpd_mount(c.h, "/slow", h_slow, &c);
        (void) httpd_mount(c.h, "/fast", h_fast, NULL);
        ctx_run(&c, client_async, "async");
        is_int(c.peak_suspended, N_SLOW, "async: all %d were suspended at the same time", N_SLOW);
        is_int(c.final_stats.suspended, 0, "async: none suspended at the end");
        is_int(c.final_stats.cancelled, 0, "async: none cancelled");
        is_int(c.final_stats.watched, N_SLOW, "async: the %d suspended past %d ms had their socket watched",
               N_SLOW, HTTPD_WATCH_DELAY_MS);
}

/* Answers sooner than HTTPD_WATCH_DELAY_MS: suspended, never watched. */
static void client_quick(Ctx *c)
{
        CURL *e = curl_easy_init();
        _cleanup_free_ char *url = url_of(c, 0, "/slow");
        int n200 = 0;

        for (int i = 0; i < 5; i++) {
                Resp r;

                http_req(e, "GET", url, NULL, 0, NULL, false, &r);
                n200 += r.status == 200;
                resp_done(&r);
        }
        is_int(n200, 5, "quick: 5 suspended requests answered 200");
        curl_easy_cleanup(e);
}

static void test_quick(void)
{
        Ctx c;

        ctx_init(&c);
        c.slow_ms = 2;
        if (!ok(ctx_start(&c, LO1) == 0, "quick: server started"))
                return;
        (void) httpd_mount(c.h, "/slow", h_slow, &c);
        ctx_run(&c, client_quick, "quick");
        is_int(c.peak_suspended, 1, "quick: each was suspended");
        is_int(c.final_stats.watched, 0, "quick: none waited %d ms, no socket watched", HTTPD_WATCH_DELAY_MS);
}

static void client_disconnect(Ctx *c)
{
        double t0, waited;
        int fd;

        /* FIN while the handler holds the request. */
        fd = raw_connect(c->port[0]);
        if (!ok(fd >= 0, "disconnect: connected"))
                return;
        raw_send(fd, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
        ok(wait_atomic(&c->n_held, 1, 3000), "disconnect: the handler holds the request");
        t0 = now_ms();
        close(fd);
        ok(wait_atomic(&c->n_cancelled, 1, 3000), "disconnect: closing the socket runs the cancel callback");
        waited = now_ms() - t0;
        ok(waited < 500, "disconnect: ... at once (%.0f ms)", waited);

        /* RST (SO_LINGER 0) while a slow handler waits; it answers later. */
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        fd = raw_connect(c->port[0]);
        raw_send(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        ok(wait_atomic(&c->n_held, 2, 3000), "disconnect: a slow handler holds the second request");
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
        ok(wait_atomic(&c->n_cancelled, 2, 3000), "disconnect: a reset runs the cancel callback too");
        ok(wait_atomic(&c->n_slow_done, 2, 3000), "disconnect: both handlers answered after the client left");
        is_int(atomic_load(&c->n_late_responds), 2, "disconnect: both answers were on gone requests");

        /* Half-close after the request, then the answer comes: MHD treats
         * the EOF as the client leaving (as nginx does). */
        fd = raw_connect(c->port[0]);
        raw_send(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        ok(wait_atomic(&c->n_held, 3, 3000), "disconnect: a third request held");
        shutdown(fd, SHUT_WR);
        ok(wait_atomic(&c->n_cancelled, 3, 3000), "disconnect: a half-close counts as gone");
        ok(raw_wait_eof(fd, 3000, NULL), "disconnect: the server closed that connection");
        close(fd);

        /* The server is fine afterwards. */
        _cleanup_free_ char *url = url_of(c, 0, "/fast");
        Resp r;

        http_req(NULL, "GET", url, NULL, 0, NULL, false, &r);
        is_int(r.status, 200, "disconnect: the server still serves");
        resp_done(&r);
        ok(wait_atomic(&c->n_slow_done, 3, 3000), "disconnect: every handler has answered");
}

static void test_disconnect(void)
{
        Ctx c;

        ctx_init(&c);
        c.slow_ms = 400;
        if (!ok(ctx_start(&c, LO1) == 0, "disconnect: server started"))
                return;
        (void) httpd_mount(c.h, "/hold", h_slow, &c);
        (void) httpd_mount(c.h, "/slow", h_slow, &c);
        (void) httpd_mount(c.h, "/fast", h_fast, NULL);
        ctx_run(&c, client_disconnect, "disconnect");
        is_int(c.final_stats.cancelled, 3, "disconnect: stats count 3 cancelled");
        is_int(c.final_stats.watched, 3, "disconnect: all 3 watched, the first once it waited %d ms",
               HTTPD_WATCH_DELAY_MS);
        is_int(c.final_stats.active_requests, 0, "disconnect: no request left active");
        is_int(c.final_stats.suspended, 0, "disconnect: none suspended");
}

static void client_conn_limit(Ctx *c)
{
        int fd[3];
        int st;
        char *body = NULL;

        for (int i = 0; i < 2; i++) {
                fd[i] = raw_connect(c->port[0]);
                raw_send(fd[i], "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
                st = raw_read_response(fd[i], NULL, NULL);
                is_int(st, 200, "connection limit: connection %d served and kept open", i + 1);
        }
        fd[2] = raw_connect(c->port[0]);
        ok(fd[2] >= 0, "connection limit: a third connect completes (kernel backlog)");
        raw_send(fd[2], "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
        raw_set_timeout(fd[2], 400);
        st = raw_read_response(fd[2], NULL, NULL);
        is_int(st, -1, "connection limit: ... but is not served while two are open");
        close(fd[0]);
        raw_set_timeout(fd[2], 3000);
        st = raw_read_response(fd[2], &body, NULL);
        is_int(st, 200, "connection limit: served once one of the two closes");
        free(body);
        close(fd[1]);
        close(fd[2]);
}

static void test_conn_limit(void)
{
        Ctx c;

        ctx_init(&c);
        c.opts.max_connections = 2;
        if (!ok(ctx_start(&c, LO1) == 0, "connection limit: server started"))
                return;
        (void) httpd_mount(c.h, "/fast", h_fast, NULL);
        ctx_run(&c, client_conn_limit, "connection limit");
}

static void client_idle(Ctx *c)
{
        double ms = 0;
        int fd = raw_connect(c->port[0]);
        int fd2 = raw_connect(c->port[0]);
        int fd3 = raw_connect(c->port[0]);
        int st;

        /* A silent socket, one with half a request line, one that did a
         * request and then went quiet. */
        raw_send(fd2, "GET /fa");
        raw_send(fd3, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
        st = raw_read_response(fd3, NULL, NULL);
        is_int(st, 200, "idle timeout: a request is served");
        ok(raw_wait_eof(fd, 4000, &ms), "idle timeout: a silent connection is closed");
        in_range(ms, 500, 3000, "idle timeout: ... after about 1 s (%.0f ms)", ms);
        ok(raw_wait_eof(fd2, 3000, NULL), "idle timeout: a half-sent request line is closed too");
        ok(raw_wait_eof(fd3, 3000, NULL), "idle timeout: a kept-alive idle connection is closed too");
        close(fd);
        close(fd2);
        close(fd3);
}

static void test_idle(void)
{
        Ctx c;

        ctx_init(&c);
        c.opts.idle_timeout_s = 1;
        if (!ok(ctx_start(&c, LO1) == 0, "idle timeout: server started"))
                return;
        (void) httpd_mount(c.h, "/fast", h_fast, NULL);
        ctx_run(&c, client_idle, "idle timeout");
        is_int(c.final_stats.active_connections, 0, "idle timeout: no connection left");
}

static void client_ipv6(Ctx *c)
{
        _cleanup_free_ char *url = xasprintf("http://[::1]:%u/v6", c->port[0]);
        _cleanup_free_ char *url4 = url_of(c, 1, "/v4");
        Resp r;

        http_req(NULL, "GET", url, NULL, 0, NULL, false, &r);
        is_int(r.status, 200, "IPv6: GET http://[::1]:port/ answered");
        resp_done(&r);
        http_req(NULL, "GET", url4, NULL, 0, NULL, false, &r);
        is_int(r.status, 200, "IPv6: the IPv4 listener next to it answers too");
        resp_done(&r);
}

static bool ipv6_loopback_usable(void)
{
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool okk;

        if (fd < 0)
                return false;
        okk = bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
        close(fd);
        return okk;
}

static void test_ipv6(void)
{
        static const char *const L[] = { "[::1]:0", "127.0.0.1:0", NULL };
        Ctx c;

        if (!ipv6_loopback_usable()) {
                ok(true, "# SKIP IPv6: no usable ::1 here");
                return;
        }
        ctx_init(&c);
        if (!ok(ctx_start(&c, L) == 0, "IPv6: server started on [::1]:0 and 127.0.0.1:0"))
                return;
        ok(strncmp(httpd_listener_name(c.h, 0), "[::1]:", 6) == 0, "IPv6: listener name '%s'",
           httpd_listener_name(c.h, 0));
        (void) httpd_mount(c.h, "/", h_fast, NULL);
        ctx_run(&c, client_ipv6, "IPv6");
}

static int g_passed_port;

static void client_fd(Ctx *c)
{
        _cleanup_free_ char *url = url_of(c, 0, "/fd");
        Resp r;

        http_req(NULL, "GET", url, NULL, 0, NULL, false, &r);
        is_int(r.status, 200, "listen fd: served on the socket made by the test");
        resp_done(&r);
}

static void test_listen_fd(void)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), nolisten;
        Ctx c;

        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
            getsockname(fd, (struct sockaddr *) &a, &len) < 0) {
                ok(false, "listen fd: cannot make a listening socket: %s", strerror(errno));
                return;
        }
        g_passed_port = ntohs(a.sin_port);

        /* A socket that does not listen is refused and left alone. */
        nolisten = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ctx_init(&c);
        c.opts.listen_fds = &nolisten;
        c.opts.n_listen_fds = 1;
        is_int(ctx_start(&c, NULL), -EINVAL, "listen fd: a socket that does not listen: -EINVAL");
        ok(fcntl(nolisten, F_GETFD) >= 0, "listen fd: ... and it is left open");
        close(nolisten);
        uv_loop_close(&c.loop);

        ctx_init(&c);
        c.opts.listen_fds = &fd;
        c.opts.n_listen_fds = 1;
        if (!ok(ctx_start(&c, NULL) == 0, "listen fd: server started on a passed descriptor"))
                return;
        is_int(c.port[0], g_passed_port, "listen fd: httpd_listener_port() reports its port");
        (void) httpd_mount(c.h, "/", h_fast, NULL);
        ctx_run(&c, client_fd, "listen fd");
        int after = raw_connect((uint16_t) g_passed_port);
        ok(after == -ECONNREFUSED, "listen fd: closed at shutdown (connect: %s)",
           after < 0 ? strerror(-after) : "accepted");
        if (after >= 0)
                close(after);
}

#define N_INFLIGHT 5

static void client_shutdown(Ctx *c)
{
        int fd[N_INFLIGHT], st[N_INFLIGHT], n503 = 0, idle, idle_st;
        bool closed[N_INFLIGHT] = {};
        char *body[N_INFLIGHT] = {};

        /* An idle kept-alive connection: closed at shutdown too. */
        idle = raw_connect(c->port[0]);
        raw_send(idle, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
        idle_st = raw_read_response(idle, NULL, NULL);
        is_int(idle_st, 200, "shutdown: an idle keep-alive connection is open");

        for (int i = 0; i < N_INFLIGHT; i++) {
                fd[i] = raw_connect(c->port[0]);
                raw_send(fd[i], "POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]");
        }
        for (int i = 0; i < N_INFLIGHT; i++) {
                st[i] = raw_read_response(fd[i], &body[i], &closed[i]);
                if (st[i] == 503 && closed[i] && body[i] &&
                    strstr(body[i], "werkzeug.exceptions.ServiceUnavailable"))
                        n503++;
                free(body[i]);
                close(fd[i]);
        }
        is_int(n503, N_INFLIGHT, "shutdown: the %d requests in flight got 503 + Connection: close",
               N_INFLIGHT);
        ok(raw_wait_eof(idle, 3000, NULL), "shutdown: the idle connection was closed");
        close(idle);
        int after = raw_connect(c->port[0]);
        ok(after == -ECONNREFUSED, "shutdown: no longer accepting (connect: %s)",
           after < 0 ? strerror(-after) : "accepted");
        if (after >= 0)
                close(after);
}

static void test_shutdown(void)
{
        Ctx c;

        ctx_init(&c);
        c.shutdown_at_held = N_INFLIGHT;
        c.slow_after_cancel_ms = 100;   /* handlers answer after the server is gone */
        if (!ok(ctx_start(&c, LO1) == 0, "shutdown: server started"))
                return;
        (void) httpd_mount(c.h, "/hold", h_slow, &c);
        (void) httpd_mount(c.h, "/fast", h_fast, NULL);
        ctx_run(&c, client_shutdown, "shutdown");
        is_int(atomic_load(&c.n_cancelled), N_INFLIGHT, "shutdown: every held handler was cancelled");
        is_int(atomic_load(&c.n_late_responds), N_INFLIGHT,
               "shutdown: their later httpd_respond() only freed the request");
}

static void test_shutdown_idle(void)
{
        uv_loop_t loop;
        Httpd *h = NULL;
        double t0;
        int r;

        /* Nothing in flight: the callback comes at once. */
        uv_loop_init(&loop);
        r = httpd_new(&loop, &(HttpdOptions) { .listen = LO1 }, &h);
        is_int(r, 0, "idle shutdown: server started");
        if (r < 0)
                return;
        t0 = now_ms();
        is_int(httpd_shutdown(h, NULL, NULL), 0, "idle shutdown: httpd_shutdown()");
        is_int(httpd_shutdown(h, NULL, NULL), -EALREADY, "idle shutdown: twice: -EALREADY");
        uv_run(&loop, UV_RUN_DEFAULT);
        ok(now_ms() - t0 < 1000, "idle shutdown: done in %.0f ms", now_ms() - t0);
        is_int(uv_loop_close(&loop), 0, "idle shutdown: uv_loop_close() == 0");
}

static void test_options(void)
{
        uv_loop_t loop;
        Httpd *h = NULL;
        struct sockaddr_storage ss;
        socklen_t len;
        int r;

        static const struct {
                const char *s;
                int want;
        } addrs[] = {
                { "127.0.0.1:9090", 0 }, { "0.0.0.0:0", 0 }, { "*:80", 0 }, { "[::1]:9090", 0 },
                { "[::]:1", 0 }, { "[::ffff:10.0.0.1]:5", 0 }, { "127.0.0.1", -EINVAL }, { "::1:9090", -EINVAL },
                { "[::1]9090", -EINVAL }, { "localhost:9090", -EINVAL }, { "127.0.0.1:65536", -EINVAL },
                { "127.0.0.1:", -EINVAL }, { ":9090", -EINVAL }, { "127.0.0.1:9x", -EINVAL }, { "[]:1", -EINVAL },
                { "1.2.3:4", -EINVAL },
        };
        for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
                is_int(httpd_parse_listen_address(addrs[i].s, &ss, &len), addrs[i].want, "listen address '%s'",
                       addrs[i].s);

        uv_loop_init(&loop);
        is_int(httpd_new(&loop, &(HttpdOptions) {}, &h), -EINVAL, "options: no listener: -EINVAL");
        is_int(httpd_new(&loop, &(HttpdOptions) { .listen = (const char *const[]) { "nope", NULL } }, &h), -EINVAL,
               "options: a bad address: -EINVAL");
        is_int(httpd_new(&loop, &(HttpdOptions) { .listen = LO1, .max_header_bytes = 100 }, &h), -EINVAL,
               "options: max_header_bytes too small: -EINVAL");

        /* A taken port. */
        r = httpd_new(&loop, &(HttpdOptions) { .listen = LO1 }, &h);
        is_int(r, 0, "options: first server");
        if (r == 0) {
                uint16_t port = 0;
                Httpd *h2 = NULL;
                _cleanup_free_ char *a = NULL;

                (void) httpd_listener_port(h, 0, &port);
                a = xasprintf("127.0.0.1:%u", port);
                r = httpd_new(&loop, &(HttpdOptions) { .listen = (const char *const[]) { "127.0.0.1:0", a, NULL } },
                              &h2);
                is_int(r, -EADDRINUSE, "options: a port in use: -EADDRINUSE");
                is_int(httpd_listener_port(h, 1, &port), -ENOENT, "options: listener index out of range: -ENOENT");
                httpd_shutdown(h, NULL, NULL);
                uv_run(&loop, UV_RUN_DEFAULT);
        }
        is_int(uv_loop_close(&loop), 0, "options: uv_loop_close() == 0");
}

/* ---- throughput --------------------------------------------------------- */

typedef struct BenchArg {
        uint16_t port;
        double end;
        uint64_t done;
        uint64_t errors;
} BenchArg;

static void *bench_client(void *userdata)
{
        BenchArg *b = userdata;
        static const char req[] = "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";
        char buf[4096];
        int fd = raw_connect(b->port), one = 1;

        if (fd < 0) {
                b->errors++;
                return NULL;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        while (now_ms() < b->end) {
                size_t got = 0;

                if (!raw_send(fd, req)) {
                        b->errors++;
                        break;
                }
                /* The answer is small and fixed: read until the body "ok\n". */
                for (;;) {
                        ssize_t n = recv(fd, buf + got, sizeof(buf) - got - 1, 0);

                        if (n <= 0) {
                                b->errors++;
                                goto out;
                        }
                        got += (size_t) n;
                        buf[got] = '\0';
                        if (got >= 3 && strcmp(buf + got - 3, "ok\n") == 0)
                                break;
                }
                b->done++;
        }
out:
        close(fd);
        return NULL;
}

typedef struct Bench {
        uv_loop_t loop;
        Httpd *h;
        uv_async_t done;
        pthread_t *threads;
        BenchArg *args;
        unsigned n;
        uint16_t port;
        unsigned seconds;
        pthread_t waiter;
} Bench;

static void *bench_waiter(void *userdata)
{
        Bench *b = userdata;

        for (unsigned i = 0; i < b->n; i++)
                pthread_join(b->threads[i], NULL);
        uv_async_send(&b->done);
        return NULL;
}

static void on_bench_done(uv_async_t *a)
{
        Bench *b = a->data;

        uv_close((uv_handle_t *) a, NULL);
        httpd_shutdown(b->h, NULL, NULL);
}

static int run_bench(void)
{
        Bench b = { .n = arg_bench_conns, .seconds = arg_bench_s };
        uint64_t total = 0, errors = 0;
        double t0, secs;
        int r;

        uv_loop_init(&b.loop);
        r = httpd_new(&b.loop, &(HttpdOptions) { .listen = LO1, .max_connections = b.n + 16 }, &b.h);
        if (r < 0) {
                fprintf(stderr, "httpd_new: %s\n", strerror(-r));
                return 1;
        }
        (void) httpd_mount(b.h, "/fast", h_fast, NULL);
        (void) httpd_listener_port(b.h, 0, &b.port);
        uv_async_init(&b.loop, &b.done, on_bench_done);
        b.done.data = &b;
        b.threads = xnew(pthread_t, b.n);
        b.args = xnew(BenchArg, b.n);
        t0 = now_ms();
        for (unsigned i = 0; i < b.n; i++) {
                b.args[i] = (BenchArg) { .port = b.port, .end = t0 + b.seconds * 1000.0 };
                pthread_create(&b.threads[i], NULL, bench_client, &b.args[i]);
        }
        pthread_create(&b.waiter, NULL, bench_waiter, &b);
        uv_run(&b.loop, UV_RUN_DEFAULT);
        pthread_join(b.waiter, NULL);
        secs = (now_ms() - t0) / 1000.0;
        for (unsigned i = 0; i < b.n; i++) {
                total += b.args[i].done;
                errors += b.args[i].errors;
        }
        printf("throughput: %u connections, %.1f s: %" PRIu64 " requests, %.0f req/s, %" PRIu64 " errors\n", b.n,
               secs, total, (double) total / secs, errors);
        free(b.threads);
        free(b.args);
        r = uv_loop_close(&b.loop);
        return r == 0 && errors == 0 ? 0 : 1;
}

static void on_serve_end(uv_timer_t *t)
{
        HttpdStats s;

        httpd_stats(t->data, &s);
        fprintf(stderr, "served %" PRIu64 " requests on %" PRIu64 " connections\n", s.requests, s.connections);
        uv_close((uv_handle_t *) t, NULL);
        httpd_shutdown(t->data, NULL, NULL);
}

static int run_serve(void)
{
        uv_loop_t loop;
        uv_timer_t t;
        Httpd *h;
        uint16_t port = 0;
        int r;

        uv_loop_init(&loop);
        r = httpd_new(&loop, &(HttpdOptions) { .listen = LO1, .max_connections = 1024, .backlog = 1024 }, &h);
        if (r < 0) {
                fprintf(stderr, "httpd_new: %s\n", strerror(-r));
                return 1;
        }
        (void) httpd_mount(h, "/fast", h_fast, NULL);
        (void) httpd_listener_port(h, 0, &port);
        printf("%u\n", port);
        fflush(stdout);
        uv_timer_init(&loop, &t);
        t.data = h;
        uv_timer_start(&t, on_serve_end, arg_serve_s * 1000ULL, 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        return uv_loop_close(&loop) == 0 ? 0 : 1;
}

/* ---- main --------------------------------------------------------------- */

static const struct {
        const char *name;
        void (*fn)(void);
} tests[] = {
        { "options", test_options },
        { "routing", test_routing },
        { "bodies", test_bodies },
        { "default-limit", test_default_limit },
        { "keepalive", test_keepalive },
        { "no-keepalive", test_no_keepalive },
        { "async", test_async },
        { "quick", test_quick },
        { "disconnect", test_disconnect },
        { "conn-limit", test_conn_limit },
        { "idle", test_idle },
        { "ipv6", test_ipv6 },
        { "listen-fd", test_listen_fd },
        { "shutdown", test_shutdown },
        { "shutdown-idle", test_shutdown_idle },
};

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "only", required_argument, NULL, 'o' },
                { "list", no_argument, NULL, 'l' },
                { "bench", required_argument, NULL, 'b' },
                { "conns", required_argument, NULL, 'c' },
                { "serve", required_argument, NULL, 's' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0)
                switch (c) {
                case 'o':
                        arg_only = optarg;
                        break;
                case 'l':
                        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
                                puts(tests[i].name);
                        return 0;
                case 'b':
                        arg_bench_s = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        arg_bench_conns = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        arg_serve_s = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }

        log_setup("httpd_test", LOG_TARGET_STDERR, getenv("HTTPD_TEST_DEBUG") ? LOG_DEBUG : LOG_WARNING);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        if (arg_serve_s > 0) {
                int r = run_serve();

                curl_global_cleanup();
                return r;
        }
        if (arg_bench_s > 0) {
                int r = run_bench();

                curl_global_cleanup();
                return r;
        }
        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
                if (arg_only && strcmp(arg_only, tests[i].name) != 0)
                        continue;
                diag("--- %s", tests[i].name);
                tests[i].fn();
        }
        printf("1..%u\n", tap_n);
        curl_global_cleanup();
        return tap_failed ? 1 : 0;
}
