/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>
#include "daemon/curl_dl.h"
#include <uv.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "daemon/http.h"

/* Bounds on what one response may make us hold. */
#define HTTP_MAX_HEADERS 256
#define HTTP_MAX_REDIRECTS 5L
#define HTTP_URL_CACHE_SIZE 8
#define HTTP_EASY_POOL 64

typedef enum RequestState {
        REQ_RUNNING,    /* easy handle attached to the multi */
        REQ_WAITING,    /* retry timer armed */
        REQ_DONE,       /* result known, delivery timer armed */
        REQ_DELIVERING, /* user callback running */
        REQ_CLOSING,    /* timer closing; freed in its close callback */
} RequestState;

/* curl_multi_assign()'s mark on a socket in the client's epoll set */
#define SOCK_REGISTERED ((void *) 1)

struct HttpRequest {
        HttpClient *client;
        HttpRequest *prev, *next;
        RequestState state;
        uv_timer_t timer;       /* retry backoff, then deferred delivery */
        CURL *easy;

        char *method;
        char *url;
        char *log_url;          /* without userinfo, query and fragment */
        char *ca_file;
        struct curl_slist *headers;
        char *body;
        size_t body_len;
        bool has_body;
        long timeout_ms;
        RetryPolicy retry;
        bool tls_skip_verify;
        char *client_cert, *client_key, *client_key_password;
        bool follow_redirects;
        /* e-mail (opts->mail): envelope, credentials, upload position */
        bool is_mail;
        char *mail_from;
        struct curl_slist *mail_rcpt;
        char *mail_user, *mail_password;
        HttpMailTls mail_tls;
        size_t upload_pos;
        HttpCallback cb;
        void *userdata;

        unsigned attempts;
        uint64_t start_ns;

        /* The current (last) attempt. */
        char *resp_body;
        size_t resp_len, resp_cap;
        HttpHeader *resp_headers;
        size_t n_resp_headers, resp_headers_cap;
        bool body_too_large;
        bool too_many_headers;
        char errbuf[CURL_ERROR_SIZE];   /* the size libcurl requires */

        long status;
        int curl_code;
        int result;
        HttpErrClass err_class;
};

struct HttpClient {
        uv_loop_t *loop;
        CURLM *multi;
        uv_timer_t timer;       /* curl's single timeout */

        char *ca_file;
        char *user_agent;
        char *proxy;
        char *proxy_user;
        char *proxy_password;
        long connect_timeout_ms;
        long timeout_ms;
        size_t max_body_size;

        /* URLs already checked, with their loggable form: a relay sends
         * thousands of requests a second to the same few URLs, and
         * parsing one with curl's URL API costs about as much as the
         * rest of setting the request up */
        struct {
                char *url, *log_url;
                bool mail;
        } urls[HTTP_URL_CACHE_SIZE];
        unsigned urls_next;

        /* Easy handles of finished requests, reset, for the next ones:
         * a new handle allocates curl's state and its transfer buffers
         * (tens of kB, which also make glibc consolidate its free lists) */
        CURL *idle_easy[HTTP_EASY_POOL];
        unsigned n_idle_easy;

        /* curl's sockets, watched through an epoll set of our own, itself
         * watched by one uv_poll: libuv's uv_poll_start() takes a
         * descriptor out of its epoll set and puts it back at every change
         * of events (DEL then ADD), and a handle per socket meant a
         * handle, an ioctl and a close per transfer (strace: 6.7
         * epoll_ctl and an ioctl per relay request).  Here a socket costs
         * one ADD, one MOD per change and one DEL; the kernel drops a
         * descriptor curl closes from the set by itself. */
        int epfd;
        uv_poll_t eppoll;
        unsigned n_socks;       /* registered: eppoll is referenced while > 0 */

        HttpRequest *requests;
        unsigned n_pending;     /* started, callback not yet called */
        unsigned n_handles;     /* uv handles not yet through their close callback */
        bool shutting_down;
        bool in_multi_cleanup;
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;
};

static void drain(HttpClient *c);
static void on_request_timer(uv_timer_t *t);

static uint32_t random_u32(void)
{
        uint32_t v;

        /* Jitter only needs to de-synchronise clients; never block for entropy. */
        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t) sizeof(v))
                return v;
        return (uint32_t) (uv_hrtime() * UINT64_C(0x9E3779B97F4A7C15) >> 32);
}

static char *strdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

static void free_secret(char *s)
{
        if (!s)
                return;
        explicit_bzero(s, strlen(s));
        free(s);
}

/* ---- client teardown ---------------------------------------------------- */

static void client_free(HttpClient *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < HTTP_URL_CACHE_SIZE; i++) {
                free_secret(c->urls[i].url);            /* a query may hold a key */
                free(c->urls[i].log_url);
        }
        free(c->ca_file);
        free(c->user_agent);
        free(c->proxy);
        free(c->proxy_user);
        free_secret(c->proxy_password);
        free(c);
}

/* Called whenever a handle finished closing: once the last one is gone
 * after http_client_shutdown(), the loop holds nothing of ours. */
static void handle_gone(HttpClient *c)
{
        void (*cb)(void *);
        void *userdata;

        c->n_handles--;
        if (!c->shutting_down || c->n_handles > 0)
                return;
        cb = c->shutdown_cb;
        userdata = c->shutdown_userdata;
        client_free(c);
        if (cb)
                cb(userdata);
}

static void on_client_timer_closed(uv_handle_t *h)
{
        handle_gone(h->data);
}

static void on_eppoll_closed(uv_handle_t *h)
{
        HttpClient *c = h->data;

        (void) close(c->epfd);
        c->epfd = -1;
        handle_gone(c);
}

/* ---- sockets ------------------------------------------------------------ */

static void on_ep_ready(uv_poll_t *h, int status, int events)
{
        HttpClient *c = h->data;
        struct epoll_event ev[64];
        int n, running = 0;

        (void) events;
        if (status < 0)
                log_debug("HTTP client: polling curl's sockets: %s", uv_strerror(status));
        if (!c->multi)
                return;
        n = epoll_wait(c->epfd, ev, 64, 0);
        for (int i = 0; i < n; i++) {
                int flags = 0;
                CURLMcode mc;

                if (ev[i].events & EPOLLIN)
                        flags |= CURL_CSELECT_IN;
                if (ev[i].events & EPOLLOUT)
                        flags |= CURL_CSELECT_OUT;
                if (ev[i].events & EPOLLERR)
                        flags |= CURL_CSELECT_ERR;
                if ((ev[i].events & EPOLLHUP) && !flags)
                        flags |= CURL_CSELECT_IN;       /* the peer is gone: let curl read the end */
                /* a socket an earlier action closed is unknown to curl: harmless */
                mc = curl_multi_socket_action(c->multi, ev[i].data.fd, flags, &running);
                if (mc != CURLM_OK)
                        log_debug("curl_multi_socket_action() failed: %s", curl_multi_strerror(mc));
                if (!c->multi)
                        return;
        }
        drain(c);
}

static void socks_changed(HttpClient *c, int delta)
{
        bool before = c->n_socks > 0;

        c->n_socks += (unsigned) delta;
        /* only sockets with a transfer keep the loop alive, as a uv_poll
         * of their own did; idle connections in curl's cache do not */
        if (!before && c->n_socks > 0)
                uv_ref((uv_handle_t *) &c->eppoll);
        else if (before && c->n_socks == 0)
                uv_unref((uv_handle_t *) &c->eppoll);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
        HttpClient *c = userp;
        struct epoll_event ev = { .data.fd = s };

        /* easy may be one of curl's internal handles: it is not used here. */
        if (what == CURL_POLL_REMOVE) {
                if (socketp) {
                        (void) epoll_ctl(c->epfd, EPOLL_CTL_DEL, s, &ev);
                        socks_changed(c, -1);
                        if (!c->in_multi_cleanup)
                                (void) curl_multi_assign(c->multi, s, NULL);
                }
                return 0;
        }
        if (what & CURL_POLL_IN)
                ev.events |= EPOLLIN;
        if (what & CURL_POLL_OUT)
                ev.events |= EPOLLOUT;
        if (socketp) {
                if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, s, &ev) == 0)
                        return 0;
                if (errno != ENOENT)
                        goto fail;
                /* closed and its number reused without a REMOVE: add it again */
                socks_changed(c, -1);
        }
        if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, s, &ev) < 0 &&
            (errno != EEXIST || epoll_ctl(c->epfd, EPOLL_CTL_MOD, s, &ev) < 0))
                goto fail;
        socks_changed(c, +1);
        (void) curl_multi_assign(c->multi, s, SOCK_REGISTERED);
        return 0;
fail:
        log_debug("epoll_ctl(%d) failed: %s", (int) s, strerror(errno));
        return -1;
}

/* ---- curl's timer ------------------------------------------------------- */

static void on_curl_timeout(uv_timer_t *t)
{
        HttpClient *c = t->data;
        int running = 0;
        CURLMcode mc;

        if (!c->multi)
                return;
        mc = curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (mc != CURLM_OK)
                log_debug("curl_multi_socket_action() failed: %s", curl_multi_strerror(mc));
        /* The timer path completes transfers too (timeouts, connect failures). */
        drain(c);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
        HttpClient *c = userp;

        /* Never call back into curl from here: arm the timer and return. */
        if (uv_is_closing((uv_handle_t *) &c->timer))
                return 0;
        if (timeout_ms < 0)
                (void) uv_timer_stop(&c->timer);
        else
                (void) uv_timer_start(&c->timer, on_curl_timeout, (uint64_t) timeout_ms, 0);
        return 0;
}

/* ---- response capture --------------------------------------------------- */

static void response_reset(HttpRequest *r)
{
        for (size_t i = 0; i < r->n_resp_headers; i++)
                free((char *) r->resp_headers[i].name);  /* value lives in the same block */
        r->n_resp_headers = 0;
        r->resp_len = 0;
        if (r->resp_body)
                r->resp_body[0] = '\0';
        r->body_too_large = false;
        r->too_many_headers = false;
        r->errbuf[0] = '\0';
        r->status = 0;
        r->curl_code = CURLE_OK;
}

static bool is_blank(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
        HttpRequest *r = userdata;
        size_t len = size * nitems, name_len, value_len;
        const char *colon, *value, *end;
        char *block;

        /* A status line starts a new response (1xx, redirect, retry): only
         * the final response's headers are reported. */
        if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
                response_reset(r);
                return len;
        }
        end = buf + len;
        while (end > buf && is_blank(end[-1]))
                end--;
        /* Blank line, or an obs-fold continuation (obsolete, RFC 9112 §5.2): skip. */
        if (end == buf || buf[0] == ' ' || buf[0] == '\t')
                return len;
        colon = memchr(buf, ':', (size_t) (end - buf));
        if (!colon || colon == buf)
                return len;
        if (r->n_resp_headers >= HTTP_MAX_HEADERS) {
                r->too_many_headers = true;
                return 0;       /* aborts the transfer with CURLE_WRITE_ERROR */
        }

        name_len = (size_t) (colon - buf);
        while (name_len > 0 && is_blank(buf[name_len - 1]))
                name_len--;
        value = colon + 1;
        while (value < end && is_blank(*value))
                value++;
        value_len = (size_t) (end - value);

        block = xmalloc(name_len + 1 + value_len + 1);
        memcpy(block, buf, name_len);
        block[name_len] = '\0';
        memcpy(block + name_len + 1, value, value_len);
        block[name_len + 1 + value_len] = '\0';

        if (r->n_resp_headers == r->resp_headers_cap) {
                r->resp_headers_cap = r->resp_headers_cap ? r->resp_headers_cap * 2 : 16;
                r->resp_headers = xreallocarray(r->resp_headers, r->resp_headers_cap, sizeof(HttpHeader));
        }
        r->resp_headers[r->n_resp_headers++] = (HttpHeader) {
                .name = block,
                .value = block + name_len + 1,
        };
        return len;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *userdata)
{
        HttpRequest *r = userdata;
        size_t len = size * nmemb, max = r->client->max_body_size;

        if (len > max - r->resp_len) {
                r->body_too_large = true;
                return 0;       /* aborts the transfer with CURLE_WRITE_ERROR */
        }
        if (r->resp_len + len + 1 > r->resp_cap) {
                size_t cap = r->resp_cap ? r->resp_cap : 4096;
                while (cap < r->resp_len + len + 1)
                        cap *= 2;
                r->resp_body = xreallocarray(r->resp_body, cap, 1);
                r->resp_cap = cap;
        }
        memcpy(r->resp_body + r->resp_len, buf, len);
        r->resp_len += len;
        r->resp_body[r->resp_len] = '\0';
        return len;
}

static const char *header_lookup(const HttpHeader *h, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(h[i].name, name) == 0)
                        return h[i].value;
        return NULL;
}

const char *http_response_header(const HttpResponse *resp, const char *name)
{
        if (!resp || !name)
                return NULL;
        return header_lookup(resp->headers, resp->n_headers, name);
}

/* ---- request lifecycle -------------------------------------------------- */

static void request_free(HttpRequest *r)
{
        if (!r)
                return;
        response_reset(r);
        free(r->resp_headers);
        free(r->resp_body);
        curl_slist_free_all(r->headers);
        free(r->method);
        free(r->url);
        free(r->log_url);
        free(r->ca_file);
        free(r->client_cert);
        free(r->client_key);
        free_secret(r->client_key_password);
        free(r->body);
        free(r->mail_from);
        curl_slist_free_all(r->mail_rcpt);
        free(r->mail_user);
        if (r->mail_password) {
                explicit_bzero(r->mail_password, strlen(r->mail_password));
                free(r->mail_password);
        }
        free(r);
}

static void on_request_closed(uv_handle_t *h)
{
        HttpRequest *r = h->data;
        HttpClient *c = r->client;

        request_free(r);
        handle_gone(c);
}

static void request_unlink(HttpRequest *r)
{
        HttpClient *c = r->client;

        if (r->prev)
                r->prev->next = r->next;
        else if (c->requests == r)
                c->requests = r->next;
        if (r->next)
                r->next->prev = r->prev;
        r->prev = r->next = NULL;
}

static CURL *easy_get(HttpClient *c)
{
        if (c->n_idle_easy > 0)
                return c->idle_easy[--c->n_idle_easy];
        return curl_easy_init();
}

/* Keeps e for a later request (reset: no option, no private pointer of
 * this one survives) or cleans it up. */
static void easy_put(HttpClient *c, CURL *e)
{
        if (c->multi && !c->shutting_down && c->n_idle_easy < HTTP_EASY_POOL) {
                curl_easy_reset(e);
                c->idle_easy[c->n_idle_easy++] = e;
        } else
                curl_easy_cleanup(e);
}

static void easy_pool_free(HttpClient *c)
{
        while (c->n_idle_easy > 0)
                curl_easy_cleanup(c->idle_easy[--c->n_idle_easy]);
}

static void request_detach_easy(HttpRequest *r)
{
        if (!r->easy)
                return;
        if (r->client->multi)
                (void) curl_multi_remove_handle(r->client->multi, r->easy);
        easy_put(r->client, r->easy);
        r->easy = NULL;
}

/* Records the outcome; the callback runs from the loop, never from inside
 * curl or inside a call the user made. */
static void request_finish(HttpRequest *r, int result, HttpErrClass cls)
{
        r->result = result;
        r->err_class = cls;
        r->state = REQ_DONE;
        (void) uv_timer_start(&r->timer, on_request_timer, 0, 0);
}

static void request_deliver(HttpRequest *r)
{
        HttpClient *c = r->client;
        uint64_t total_ms = (uv_hrtime() - r->start_ns) / 1000000;
        HttpResponse resp = {
                .status = r->status,
                .headers = r->resp_headers,
                .n_headers = r->n_resp_headers,
                .body = r->resp_body ? r->resp_body : "",
                .body_len = r->resp_len,
                .error = r->errbuf,
                .curl_code = r->curl_code,
                .attempts = r->attempts,
                .total_ms = total_ms,
                .err_class = r->err_class,
                .r = r->result,
        };

        log_debug("HTTP %s '%s': %s, status %ld, %s, %u attempt(s), %" PRIu64 " ms",
                  r->method, r->log_url, http_err_class_to_string(r->err_class), r->status,
                  r->result < 0 ? strerror(-r->result) : "ok", r->attempts, total_ms);

        c->n_pending--;
        r->state = REQ_DELIVERING;
        r->cb(&resp, r->userdata);

        r->state = REQ_CLOSING;
        request_unlink(r);
        uv_close((uv_handle_t *) &r->timer, on_request_closed);
}

#define SETOPT(e, opt, val)                                                     \
        do {                                                                    \
                if (curl_easy_setopt((e), (opt), (val)) != CURLE_OK)            \
                        goto fail;                                              \
        } while (0)

static size_t on_upload(char *buf, size_t size, size_t nmemb, void *userdata)
{
        HttpRequest *r = userdata;
        size_t n = size * nmemb, left = r->body_len - r->upload_pos;

        if (n > left)
                n = left;
        memcpy(buf, r->body + r->upload_pos, n);
        r->upload_pos += n;
        return n;
}

static int attempt_start(HttpRequest *r)
{
        HttpClient *c = r->client;
        const char *ca_file = r->ca_file ? r->ca_file : c->ca_file;
        CURL *e;
        CURLMcode mc;

        response_reset(r);
        e = easy_get(c);
        if (!e)
                return -ENOMEM;

        SETOPT(e, CURLOPT_URL, r->url);
        SETOPT(e, CURLOPT_PRIVATE, r);
        SETOPT(e, CURLOPT_ERRORBUFFER, r->errbuf);
        SETOPT(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
        SETOPT(e, CURLOPT_PROTOCOLS_STR, r->is_mail ? "smtp,smtps" : "http,https");
        SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
        SETOPT(e, CURLOPT_PROTOCOLS, r->is_mail ? (long) (CURLPROTO_SMTP | CURLPROTO_SMTPS) :
                                                  (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
        SETOPT(e, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        SETOPT(e, CURLOPT_FOLLOWLOCATION, r->follow_redirects ? 1L : 0L);
        SETOPT(e, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);
        SETOPT(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
        SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
        SETOPT(e, CURLOPT_USERAGENT, c->user_agent);
        SETOPT(e, CURLOPT_HTTPHEADER, r->headers);
        SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
        SETOPT(e, CURLOPT_HEADERDATA, r);
        SETOPT(e, CURLOPT_WRITEFUNCTION, on_body);
        SETOPT(e, CURLOPT_WRITEDATA, r);
        SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) c->max_body_size);
        SETOPT(e, CURLOPT_ACCEPT_ENCODING, "");
        (void) curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);

        SETOPT(e, CURLOPT_SSL_VERIFYPEER, r->tls_skip_verify ? 0L : 1L);
        SETOPT(e, CURLOPT_SSL_VERIFYHOST, r->tls_skip_verify ? 0L : 2L);
        if (ca_file)
                SETOPT(e, CURLOPT_CAINFO, ca_file);
        /* CA certificates from the bundle file alone: libcurl then loads them
         * once per client (its CA cache) instead of reading them for every
         * new connection, which it does whenever a CA directory is set, as
         * Debian's build sets /etc/ssl/certs by default */
        (void) curl_easy_setopt(e, CURLOPT_CAPATH, (char *) NULL);
        if (r->client_cert) {
                SETOPT(e, CURLOPT_SSLCERT, r->client_cert);
                SETOPT(e, CURLOPT_SSLKEY, r->client_key ? r->client_key : r->client_cert);
                if (r->client_key_password)
                        SETOPT(e, CURLOPT_KEYPASSWD, r->client_key_password);
        }

        /* An empty proxy string also keeps curl away from *_proxy variables:
         * a daemon's route must come from its configuration. */
        SETOPT(e, CURLOPT_PROXY, c->proxy ? c->proxy : "");
        if (c->proxy) {
                if (c->proxy_user)
                        SETOPT(e, CURLOPT_PROXYUSERNAME, c->proxy_user);
                if (c->proxy_password)
                        SETOPT(e, CURLOPT_PROXYPASSWORD, c->proxy_password);
                SETOPT(e, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
        }

        if (r->is_mail) {
                r->upload_pos = 0;
                SETOPT(e, CURLOPT_MAIL_FROM, r->mail_from);
                SETOPT(e, CURLOPT_MAIL_RCPT, r->mail_rcpt);
                SETOPT(e, CURLOPT_UPLOAD, 1L);
                SETOPT(e, CURLOPT_READFUNCTION, on_upload);
                SETOPT(e, CURLOPT_READDATA, r);
                SETOPT(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) r->body_len);
                SETOPT(e, CURLOPT_USE_SSL, r->mail_tls == HTTP_MAIL_TLS_REQUIRED ? (long) CURLUSESSL_ALL :
                                           r->mail_tls == HTTP_MAIL_TLS_TRY ? (long) CURLUSESSL_TRY :
                                           (long) CURLUSESSL_NONE);
                if (r->mail_user) {
                        SETOPT(e, CURLOPT_USERNAME, r->mail_user);
                        SETOPT(e, CURLOPT_PASSWORD, r->mail_password ? r->mail_password : "");
                }
        } else if (strcmp(r->method, "HEAD") == 0) {
                SETOPT(e, CURLOPT_NOBODY, 1L);
        } else if (r->has_body || strcmp(r->method, "POST") == 0) {
                SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) r->body_len);
                SETOPT(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
                if (strcmp(r->method, "POST") != 0)
                        SETOPT(e, CURLOPT_CUSTOMREQUEST, r->method);
        } else if (strcmp(r->method, "GET") != 0) {
                SETOPT(e, CURLOPT_CUSTOMREQUEST, r->method);
        }

        mc = curl_multi_add_handle(c->multi, e);
        if (mc != CURLM_OK) {
                log_debug("curl_multi_add_handle() failed: %s", curl_multi_strerror(mc));
                curl_easy_cleanup(e);
                return -EIO;
        }
        r->easy = e;
        r->attempts++;
        r->state = REQ_RUNNING;
        log_debug("HTTP %s '%s': attempt %u/%u%s", r->method, r->log_url, r->attempts,
                  r->retry.max_attempts, r->tls_skip_verify ? " (TLS verification off)" : "");
        return 0;

fail:
        curl_easy_cleanup(e);
        return -EINVAL;
}

static void attempt_done(HttpRequest *r, CURLcode res)
{
        HttpClient *c = r->client;
        long status = 0;
        HttpErrClass cls;
        int err;

        (void) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
        request_detach_easy(r);

        r->status = status;
        r->curl_code = res;
        cls = http_classify(status, res);
        err = http_error_to_errno(status, res);
        if (r->body_too_large) {
                cls = HTTP_ERR_PERMANENT;
                err = -EFBIG;
        } else if (r->too_many_headers) {
                cls = HTTP_ERR_PERMANENT;
                err = -EPROTO;
        }

        if (!c->shutting_down && retry_should_retry(&r->retry, r->attempts, cls)) {
                /* Wall clock: only HTTP-date Retry-After values use it. */
                uint64_t delay = retry_next_delay_ms(&r->retry, r->attempts, random_u32(), status,
                                                     header_lookup(r->resp_headers, r->n_resp_headers,
                                                                   "Retry-After"),
                                                     clock_wall());

                log_debug("HTTP %s '%s': attempt %u failed (status %ld, %s), will retry in %" PRIu64 " ms",
                          r->method, r->log_url, r->attempts, status,
                          res != CURLE_OK ? curl_easy_strerror(res) : "HTTP error", delay);
                r->state = REQ_WAITING;
                (void) uv_timer_start(&r->timer, on_request_timer, delay, 0);
                return;
        }
        request_finish(r, err, cls);
}

static void on_request_timer(uv_timer_t *t)
{
        HttpRequest *r = t->data;
        int k;

        switch (r->state) {
        case REQ_WAITING:
                k = attempt_start(r);
                if (k < 0)
                        request_finish(r, k, HTTP_ERR_PERMANENT);
                break;
        case REQ_DONE:
                request_deliver(r);
                break;
        default:
                break;
        }
}

/* Cancelled is not the vendor's fault: reported as transient, so that a
 * caller shutting down keeps the work pending instead of failing it. */
static void request_abort(HttpRequest *r)
{
        request_detach_easy(r);
        (void) uv_timer_stop(&r->timer);
        request_finish(r, -ECANCELED, HTTP_ERR_TRANSIENT);
}

static void drain(HttpClient *c)
{
        CURLMsg *m;
        int left;

        /* attempt_done() runs no user code and adds no handle, so nothing
         * disturbs the message queue while it is read. */
        while (c->multi && (m = curl_multi_info_read(c->multi, &left))) {
                CURL *e = m->easy_handle;
                CURLcode res = m->data.result;
                HttpRequest *r;
                char *priv = NULL;

                if (m->msg != CURLMSG_DONE)
                        continue;
                (void) curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
                r = (HttpRequest *) priv;
                if (!r || r->easy != e) {
                        /* Not ours: cannot happen, but never leave it in the multi. */
                        (void) curl_multi_remove_handle(c->multi, e);
                        continue;
                }
                attempt_done(r, res);
        }
}

/* ---- public API --------------------------------------------------------- */

static bool is_token(const char *s)
{
        if (!s || !*s)
                return false;
        for (; *s; s++)
                if (!strchr("!#$%&'*+-.^_`|~", *s) && !(*s >= '0' && *s <= '9') &&
                    !(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z'))
                        return false;
        return true;
}

/* Checks the scheme and builds the form that may be logged: userinfo,
 * query and fragment can carry secrets. */
static int url_check(const char *url, bool mail, char **ret_log_url)
{
        CURLU *u;
        char *scheme = NULL, *out = NULL;
        int r = -EINVAL;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
                goto finish;
        if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
                goto finish;
        if (mail ? strcasecmp(scheme, "smtp") != 0 && strcasecmp(scheme, "smtps") != 0 :
                   strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
                goto finish;
        (void) curl_url_set(u, CURLUPART_USER, NULL, 0);
        (void) curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
        (void) curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
        (void) curl_url_set(u, CURLUPART_QUERY, NULL, 0);
        (void) curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
        if (curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK)
                goto finish;
        *ret_log_url = xstrdup(out);
        r = 0;
finish:
        curl_free(out);
        curl_free(scheme);
        curl_url_cleanup(u);
        return r;
}

static int url_check_cached(HttpClient *c, const char *url, bool mail, char **ret_log_url)
{
        unsigned k;
        int r;

        for (size_t i = 0; i < HTTP_URL_CACHE_SIZE; i++)
                if (c->urls[i].url && c->urls[i].mail == mail && strcmp(c->urls[i].url, url) == 0) {
                        *ret_log_url = xstrdup(c->urls[i].log_url);
                        return 0;
                }
        r = url_check(url, mail, ret_log_url);
        if (r < 0)
                return r;       /* refused URLs are not remembered */
        k = c->urls_next++ % HTTP_URL_CACHE_SIZE;
        free_secret(c->urls[k].url);
        free(c->urls[k].log_url);
        c->urls[k].url = xstrdup(url);
        c->urls[k].log_url = xstrdup(*ret_log_url);
        c->urls[k].mail = mail;
        return 0;
}

int http_client_new(uv_loop_t *loop, const HttpClientOptions *opts, HttpClient **ret)
{
        static const HttpClientOptions defaults = {};
        static bool curl_initialized = false;
        long max_host, max_total;
        HttpClient *c;
        int r;

        if (!loop || !ret)
                return -EINVAL;
        if (!opts)
                opts = &defaults;
        /* The body limit bounds size arithmetic and becomes a curl_off_t. */
        if (opts->connect_timeout_ms < 0 || opts->timeout_ms < 0 || opts->max_host_connections < 0 ||
            opts->max_total_connections < 0 || opts->max_body_size > SIZE_MAX / 2)
                return -EINVAL;
        if (!curl_initialized) {
                _cleanup_free_ char *why = NULL;
                if (curl_dl_load(&why) < 0) {
                        log_error("%s", why);
                        return -ELIBACC;
                }
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                        return -EIO;
                curl_initialized = true;
        }

        c = xnew(HttpClient, 1);
        c->loop = loop;
        c->connect_timeout_ms = opts->connect_timeout_ms ?: HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
        c->timeout_ms = opts->timeout_ms ?: HTTP_DEFAULT_TIMEOUT_MS;
        c->max_body_size = opts->max_body_size ?: HTTP_DEFAULT_MAX_BODY_SIZE;
        c->ca_file = strdup_or_null(opts->ca_file);
        c->user_agent = opts->user_agent ? xstrdup(opts->user_agent) : xstrdup("secresp/" PACKAGE_VERSION);
        c->proxy = opts->proxy && *opts->proxy ? xstrdup(opts->proxy) : NULL;
        c->proxy_user = strdup_or_null(opts->proxy_user);
        c->proxy_password = strdup_or_null(opts->proxy_password);

        c->multi = curl_multi_init();
        if (!c->multi) {
                client_free(c);
                return -ENOMEM;
        }
        max_host = opts->max_host_connections ?: HTTP_DEFAULT_MAX_HOST_CONNECTIONS;
        max_total = opts->max_total_connections ?: HTTP_DEFAULT_MAX_TOTAL_CONNECTIONS;
        if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_host) != CURLM_OK ||
            curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_total) != CURLM_OK ||
            /* libcurl's default keeps 4 idle connections per transfer in
             * progress, so the cache shrinks after every burst and the next
             * burst pays new TLS handshakes: keep every connection allowed */
            curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, max_total) != CURLM_OK) {
                curl_multi_cleanup(c->multi);
                client_free(c);
                return -EINVAL;
        }

        c->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (c->epfd < 0) {
                r = -errno;
                curl_multi_cleanup(c->multi);
                client_free(c);
                return r;
        }
        r = uv_timer_init(loop, &c->timer);
        if (r < 0) {
                (void) close(c->epfd);
                curl_multi_cleanup(c->multi);
                client_free(c);
                return r;
        }
        c->timer.data = c;
        c->n_handles = 1;
        r = uv_poll_init(loop, &c->eppoll, c->epfd);
        if (r < 0) {
                /* the timer is a handle already: the client goes with its close */
                (void) close(c->epfd);
                curl_multi_cleanup(c->multi);
                c->multi = NULL;
                c->shutting_down = true;
                uv_close((uv_handle_t *) &c->timer, on_client_timer_closed);
                return r;
        }
        c->eppoll.data = c;
        c->n_handles++;
        r = uv_poll_start(&c->eppoll, UV_READABLE, on_ep_ready);
        if (r < 0) {
                curl_multi_cleanup(c->multi);
                c->multi = NULL;
                c->shutting_down = true;
                uv_close((uv_handle_t *) &c->timer, on_client_timer_closed);
                uv_close((uv_handle_t *) &c->eppoll, on_eppoll_closed);
                return r;
        }
        uv_unref((uv_handle_t *) &c->eppoll);     /* referenced while a socket is registered */

        *ret = c;
        return 0;
}

int http_request_start(HttpClient *c, const HttpRequestOptions *opts, HttpRequest **ret)
{
        const RetryPolicy default_retry = RETRY_POLICY_DEFAULT;
        const char *method;
        HttpRequest *r;
        int k;

        if (!c || !opts || !opts->url || !opts->cb || opts->timeout_ms < 0 ||
            (opts->body_len > 0 && !opts->body))
                return -EINVAL;
        if (c->shutting_down || !c->multi)
                return -ESHUTDOWN;
        method = opts->method ?: "GET";
        if (!is_token(method))
                return -EINVAL;
        if (retry_policy_validate(opts->retry ?: &default_retry) < 0)
                return -EINVAL;

        r = xnew(HttpRequest, 1);
        r->client = c;
        k = url_check_cached(c, opts->url, opts->mail != NULL, &r->log_url);
        if (k < 0) {
                request_free(r);
                return k;
        }
        for (const char *const *h = opts->headers; h && *h; h++) {
                struct curl_slist *l;

                /* CR/LF would let a value smuggle in extra headers or a second request. */
                if (strpbrk(*h, "\r\n") || (!strchr(*h, ':') && !strchr(*h, ';'))) {
                        request_free(r);
                        return -EINVAL;
                }
                l = curl_slist_append(r->headers, *h);
                if (!l) {
                        request_free(r);
                        return -ENOMEM;
                }
                r->headers = l;
        }
        if (opts->mail) {
                const HttpMail *m = opts->mail;
                if (!m->from || !m->to || !m->to[0] || !opts->body) {
                        request_free(r);
                        return -EINVAL;
                }
                r->is_mail = true;
                r->mail_from = xstrdup(m->from);
                for (const char *const *t = m->to; *t; t++) {
                        struct curl_slist *l = curl_slist_append(r->mail_rcpt, *t);
                        if (!l) {
                                request_free(r);
                                return -ENOMEM;
                        }
                        r->mail_rcpt = l;
                }
                r->mail_user = strdup_or_null(m->user);
                r->mail_password = strdup_or_null(m->password);
                r->mail_tls = m->tls;
                method = "MAIL";
        }
        r->method = xstrdup(method);
        r->url = xstrdup(opts->url);
        r->ca_file = strdup_or_null(opts->ca_file);
        r->client_cert = strdup_or_null(opts->client_cert);
        r->client_key = strdup_or_null(opts->client_key);
        r->client_key_password = strdup_or_null(opts->client_key_password);
        r->has_body = opts->body != NULL;
        if (r->has_body) {
                struct curl_slist *l;

                r->body = xmalloc(opts->body_len + 1);
                memcpy(r->body, opts->body, opts->body_len);
                r->body[opts->body_len] = '\0';
                r->body_len = opts->body_len;
                /* No "Expect: 100-continue" round trip: vendors answer the body
                 * anyway.  (An e-mail's headers are in its body.) */
                if (!r->is_mail) {
                        l = curl_slist_append(r->headers, "Expect:");
                        if (!l) {
                                request_free(r);
                                return -ENOMEM;
                        }
                        r->headers = l;
                }
        }
        r->timeout_ms = opts->timeout_ms ?: c->timeout_ms;
        r->retry = opts->retry ? *opts->retry : default_retry;
        r->tls_skip_verify = opts->tls_skip_verify;
        r->follow_redirects = opts->follow_redirects;
        r->cb = opts->cb;
        r->userdata = opts->userdata;
        r->start_ns = uv_hrtime();

        k = uv_timer_init(c->loop, &r->timer);
        if (k < 0) {
                request_free(r);
                return k;
        }
        r->timer.data = r;
        c->n_handles++;

        k = attempt_start(r);
        if (k < 0) {
                /* The callback is never called on failure; the timer still
                 * has to go through uv_close before the memory goes. */
                r->state = REQ_CLOSING;
                uv_close((uv_handle_t *) &r->timer, on_request_closed);
                return k;
        }

        r->next = c->requests;
        if (c->requests)
                c->requests->prev = r;
        c->requests = r;
        c->n_pending++;
        if (ret)
                *ret = r;
        return 0;
}

int http_request_cancel(HttpRequest *r)
{
        if (!r)
                return -EINVAL;
        if (r->state != REQ_RUNNING && r->state != REQ_WAITING)
                return -EALREADY;
        log_debug("HTTP %s '%s': cancelled", r->method, r->log_url);
        request_abort(r);
        return 0;
}

int http_client_shutdown(HttpClient *c, void (*cb)(void *userdata), void *userdata)
{
        if (!c)
                return -EINVAL;
        if (c->shutting_down)
                return -EALREADY;
        c->shutting_down = true;
        c->shutdown_cb = cb;
        c->shutdown_userdata = userdata;

        for (HttpRequest *r = c->requests; r; r = r->next)
                if (r->state == REQ_RUNNING || r->state == REQ_WAITING)
                        request_abort(r);

        easy_pool_free(c);
        /* While the loop is alive: curl closes its sockets now and asks us
         * (CURL_POLL_REMOVE) to drop their pollers. */
        c->in_multi_cleanup = true;
        (void) curl_multi_cleanup(c->multi);
        c->multi = NULL;
        c->in_multi_cleanup = false;

        uv_close((uv_handle_t *) &c->eppoll, on_eppoll_closed);

        /* The client itself lives until the last close callback, so cb
         * always runs from the loop, never from here. */
        (void) uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *) &c->timer, on_client_timer_closed);
        return 0;
}

unsigned http_client_in_flight(const HttpClient *c)
{
        return c ? c->n_pending : 0;
}
