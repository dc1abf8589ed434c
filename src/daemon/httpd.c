/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "daemon/mhd_dl.h"
#include <uv.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/httpd.h"

#if MHD_VERSION < 0x00097002
#error "libmicrohttpd >= 0.9.70 is required"
#endif

/* A body that goes over the limit without a Content-Length (chunked) is
 * read and dropped, so that the client can still be told 413, up to this
 * much beyond the limit; past that the connection is closed. */
#define HTTPD_DISCARD_SLACK ((uint64_t) 1 << 20)

/* The Flask/werkzeug bodies of the original relays (relays.md §2.4):
 * compact, keys sorted, trailing newline. */
#define WERKZEUG(code, msg, cls) \
        "{\"code\":" #code ",\"message\":\"" msg "\",\"reason\":\"" cls "\"}\n"

typedef struct ErrorBody {
        unsigned status;
        const char *body;
} ErrorBody;

static const ErrorBody error_bodies[] = {
        { 400, WERKZEUG(400, "The browser (or proxy) sent a request that this server could not understand.",
                        "werkzeug.exceptions.BadRequest") },
        { 404, WERKZEUG(404, "The requested URL was not found on the server. If you entered the URL manually "
                             "please check your spelling and try again.",
                        "werkzeug.exceptions.NotFound") },
        { 405, WERKZEUG(405, "The method is not allowed for the requested URL.",
                        "werkzeug.exceptions.MethodNotAllowed") },
        { 413, WERKZEUG(413, "The data value transmitted exceeds the capacity limit.",
                        "werkzeug.exceptions.RequestEntityTooLarge") },
        { 500, WERKZEUG(500, "Something went wrong.", "secresp.InternalError") },
        { 503, WERKZEUG(503, "The server is temporarily unable to service your request due to maintenance "
                             "downtime or capacity problems. Please try again later.",
                        "werkzeug.exceptions.ServiceUnavailable") },
};

typedef enum RequestState {
        REQ_RECEIVING,  /* headers in, body arriving */
        REQ_IN_HANDLER, /* the handler is running (synchronously) */
        REQ_SUSPENDED,  /* connection suspended, waiting for httpd_respond() */
        REQ_RESUMING,   /* answer ready (or client gone), connection resumed */
        REQ_QUEUED,     /* answer handed to MHD */
} RequestState;

typedef struct Listener Listener;

typedef struct Mount {
        char *prefix;
        size_t prefix_len;
        int listener;
        char *methods;          /* NULL: any */
        HttpdHandler cb;
        void *userdata;
} Mount;

struct Listener {
        Httpd *httpd;
        size_t index;
        int fd;                 /* listening socket, -1 once quiesced and closed */
        struct MHD_Daemon *mhd;
        uv_poll_t poll;         /* on MHD's epoll descriptor */
        uv_timer_t timer;       /* MHD's next timeout; 0 to run MHD again promptly */
        bool handles_init;
        bool kick;              /* a connection was resumed: run MHD again now */
        bool stopped;           /* MHD_stop_daemon() done */
        bool is_unix;
        unsigned n_conn;        /* open connections */
        unsigned max_conn;
        uint16_t port;
        char *name;
};

struct HttpdRequest {
        Httpd *httpd;           /* NULL once detached (MHD done with it) */
        Listener *listener;
        size_t listener_index;
        struct MHD_Connection *conn;    /* NULL once detached */
        const Mount *mount;     /* NULL: answered by the server itself */
        HttpdRequest *prev, *next;      /* in httpd->suspended while REQ_SUSPENDED */
        RequestState state;
        unsigned n_ref;         /* MHD's, and the handler's until httpd_respond() */
        bool handler_called;
        bool responded;         /* httpd_respond() called by the handler */
        bool gone;              /* answer no longer wanted */
        bool too_big;
        unsigned early_status;  /* 404/405/503 decided on the headers, sent at the end */

        char *method;
        char *url;
        const char *path;       /* into url */
        char *peer;

        char *body;
        size_t body_len, body_cap;
        uint64_t discarded;

        struct MHD_Response *response;  /* built by httpd_respond(), queued by on_access() */
        unsigned status;
        size_t response_len;

        HttpdCancelCallback cancel_cb;
        void *cancel_userdata;
        int watch_fd;           /* in httpd->watch_epfd while suspended, else -1 */
        uint64_t suspended_at;  /* uv_now() at suspension */
};

struct Httpd {
        uv_loop_t *loop;
        Listener *listeners;
        size_t n_listeners;
        Mount **mounts;         /* each allocated apart: requests point at them */
        size_t n_mounts;

        size_t max_body_size;
        unsigned shutdown_grace_ms;
        bool keep_alive;

        HttpdStats stats;
        HttpdRequest *suspended;

        /* The sockets of suspended connections, watched for the client
         * going away (MHD does not poll them): an epoll set of our own,
         * watched by one uv_poll, so that a suspension costs one ADD and
         * one DEL; a uv_poll per suspension cost libuv's pollability
         * test (an ADD and a DEL), an ioctl and three more epoll_ctl.
         * Only suspensions older than HTTPD_WATCH_DELAY_MS are in it: the
         * timer puts them there. */
        int watch_epfd;         /* -1 until the first suspension */
        uv_poll_t watch_poll;
        uv_timer_t watch_timer;

        uv_timer_t shutdown_timer;
        bool shutdown_timer_init;
        enum { RUNNING, SHUTDOWN_STARTING, SHUTDOWN_DRAINING, SHUTDOWN_FINISHING } phase;
        unsigned n_closing;     /* uv handles not yet through their close callback */
        void (*shutdown_cb)(void *userdata);
        void *shutdown_userdata;
};

static void listener_kick(Listener *l);
static void request_unref(HttpdRequest *req);
static void maybe_finish_shutdown(Httpd *h);
static void on_listener_timer(uv_timer_t *timer);

/* ---- small helpers ------------------------------------------------------ */

static const char *error_body(unsigned status)
{
        for (size_t i = 0; i < sizeof(error_bodies) / sizeof(error_bodies[0]); i++)
                if (error_bodies[i].status == status)
                        return error_bodies[i].body;
        return NULL;
}

static void format_sockaddr(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
        char a[INET6_ADDRSTRLEN];

        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *in = (const struct sockaddr_in *) sa;

                inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
                snprintf(buf, size, "%s:%u", a, (unsigned) ntohs(in->sin_port));
        } else if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) sa;

                inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a));
                snprintf(buf, size, "[%s]:%u", a, (unsigned) ntohs(in6->sin6_port));
        } else if (sa->sa_family == AF_UNIX) {
                const struct sockaddr_un *un = (const struct sockaddr_un *) sa;
                size_t n = len > offsetof(struct sockaddr_un, sun_path) ?
                        (size_t) len - offsetof(struct sockaddr_un, sun_path) : 0;

                if (n > sizeof(un->sun_path))
                        n = sizeof(un->sun_path);
                snprintf(buf, size, "unix:%.*s", (int) strnlen(un->sun_path, n), un->sun_path);
        } else
                snprintf(buf, size, "family-%d", sa->sa_family);
}

static int parse_port(const char *s, uint16_t *ret)
{
        unsigned long v = 0;

        if (!*s || strlen(s) > 5)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (*p - '0');
        }
        if (v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

int httpd_parse_listen_address(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len)
{
        struct sockaddr_storage ss = {};
        const char *colon;
        uint16_t port;
        char host[INET6_ADDRSTRLEN + 1];
        size_t hlen;

        if (!s || !ret || !ret_len)
                return -EINVAL;
        if (s[0] == '[') {
                const char *end = strchr(s, ']');
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;

                if (!end || end[1] != ':')
                        return -EINVAL;
                hlen = (size_t) (end - s - 1);
                if (hlen == 0 || hlen >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, hlen);
                host[hlen] = '\0';
                if (parse_port(end + 2, &port) < 0)
                        return -EINVAL;
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
                if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
                        return -EINVAL;
                *ret = ss;
                *ret_len = sizeof(struct sockaddr_in6);
                return 0;
        }

        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon)
                return -EINVAL; /* no port, or an IPv6 address without brackets */
        hlen = (size_t) (colon - s);
        if (hlen == 0 || hlen >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        if (parse_port(colon + 1, &port) < 0)
                return -EINVAL;

        struct sockaddr_in *in = (struct sockaddr_in *) &ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        if (strcmp(host, "*") == 0)
                in->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
                return -EINVAL;
        *ret = ss;
        *ret_len = sizeof(struct sockaddr_in);
        return 0;
}

static int listen_socket_open(const char *address, int backlog, int *ret_fd)
{
        struct sockaddr_storage ss;
        socklen_t len;
        int fd, r, one = 1;

        r = httpd_parse_listen_address(address, &ss, &len);
        if (r < 0)
                return r;
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                goto fail;
        /* "[::]:P" and "0.0.0.0:P" can then be listed side by side. */
        if (ss.ss_family == AF_INET6 &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
                goto fail;
        if (bind(fd, (struct sockaddr *) &ss, len) < 0)
                goto fail;
        if (listen(fd, backlog) < 0)
                goto fail;
        *ret_fd = fd;
        return 0;
fail:
        r = -errno;
        close(fd);
        return r;
}

/* A descriptor handed in must already be a listening stream socket. */
static int listen_socket_check(int fd)
{
        int type = 0, acc = 0, flags;
        socklen_t len = sizeof(type);

        if (fd < 0)
                return -EBADF;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
                return -errno;
        len = sizeof(acc);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
                return -errno;
        if (type != SOCK_STREAM || !acc)
                return -EINVAL;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        flags = fcntl(fd, F_GETFD);
        if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

static void stats_count_answer(Httpd *h, unsigned status, size_t len)
{
        h->stats.requests++;
        if (status >= 100 && status < 600)
                h->stats.by_class[status / 100]++;
        h->stats.bytes_out += len;
}

/* ---- responses ---------------------------------------------------------- */

static bool header_line_ok(const char *name, size_t name_len, const char *value)
{
        if (name_len == 0)
                return false;
        for (size_t i = 0; i < name_len; i++) {
                unsigned char c = (unsigned char) name[i];

                /* RFC 9110 token characters */
                if (c <= 32 || c >= 127 || strchr("\"(),/:;<=>?@[\\]{}", c))
                        return false;
        }
        for (const char *p = value; *p; p++)
                if (*p == '\r' || *p == '\n')
                        return false;
        return true;
}

static int response_add_headers(struct MHD_Response *resp, const char *const *headers)
{
        for (size_t i = 0; headers && headers[i]; i++) {
                const char *line = headers[i], *colon = strchr(line, ':'), *value;
                _cleanup_free_ char *name = NULL;

                if (!colon)
                        return -EINVAL;
                value = colon + 1;
                while (*value == ' ' || *value == '\t')
                        value++;
                if (!header_line_ok(line, (size_t) (colon - line), value))
                        return -EINVAL;
                name = xstrndup(line, (size_t) (colon - line));
                if (MHD_add_response_header(resp, name, value) != MHD_YES)
                        return -EINVAL;
        }
        return 0;
}

/* `owned`: body is malloc'ed and passes to the response (freed in any
 * case), which saves a copy of every relay answer. */
static struct MHD_Response *response_build_owned(Httpd *h, unsigned status, const char *content_type,
                                                 const void *body, size_t len, bool owned,
                                                 const char *const *headers, int *ret_r)
{
        struct MHD_Response *resp;
        int r = 0;

        if (status < 200 || status > 599)
                r = -EINVAL;
        if (r == 0 && content_type && !header_line_ok("Content-Type", 12, content_type))
                r = -EINVAL;
        if (owned && (r < 0 || len == 0)) {
                free((void *) body);
                body = "";
                owned = false;
        }
        if (r == 0) {
                resp = MHD_create_response_from_buffer(len, (void *) (len ? body : ""),
                                                       owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
                if (!resp)
                        abort();        /* OOM, as xmalloc */
                if (content_type)
                        (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
                r = response_add_headers(resp, headers);
                if (r == 0) {
                        if (h && !h->keep_alive &&
                            !MHD_get_response_header(resp, MHD_HTTP_HEADER_CONNECTION))
                                (void) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
                        *ret_r = 0;
                        return resp;
                }
                MHD_destroy_response(resp);
        }

        /* The handler's answer cannot be sent: say so to the client rather
         * than leave it waiting. */
        *ret_r = r;
        return response_build_owned(h, 500, "application/json", error_body(500), strlen(error_body(500)),
                                    false, NULL, &r);
}

static struct MHD_Response *response_build(Httpd *h, unsigned status, const char *content_type,
                                           const void *body, size_t len, const char *const *headers,
                                           int *ret_r)
{
        return response_build_owned(h, status, content_type, body, len, false, headers, ret_r);
}

static struct MHD_Response *error_response_build(Httpd *h, unsigned status, const char *const *headers,
                                                 size_t *ret_len, int *ret_r)
{
        const char *body = error_body(status);
        _cleanup_free_ char *generic = NULL;

        if (!body) {
                const char *phrase = MHD_get_reason_phrase_for(status);

                generic = xasprintf("{\"code\":%u,\"message\":\"%s\",\"reason\":\"secresp.HTTPError\"}\n",
                                    status, phrase && *phrase ? phrase : "Error");
                body = generic;
        }
        *ret_len = strlen(body);
        return response_build(h, status, "application/json", body, *ret_len, headers, ret_r);
}

/* Queues req->response (from the access handler: the only place where MHD
 * accepts it for a complete request). */
static enum MHD_Result request_queue(HttpdRequest *req)
{
        enum MHD_Result ret;

        ret = MHD_queue_response(req->conn, req->status, req->response);
        MHD_destroy_response(req->response);
        req->response = NULL;
        req->state = REQ_QUEUED;
        if (ret == MHD_YES && req->httpd)
                stats_count_answer(req->httpd, req->status, req->response_len);
        if (log_get_max_priority() >= LOG_DEBUG)
                log_debug("httpd: '%s %s' from %s: %u, %zu bytes%s", req->method, req->url,
                          httpd_request_peer(req), req->status, req->response_len,
                          ret == MHD_YES ? "" : " (refused by libmicrohttpd)");
        return ret;
}

static void request_set_response(HttpdRequest *req, struct MHD_Response *resp, unsigned status, size_t len)
{
        if (req->response)
                MHD_destroy_response(req->response);
        req->response = resp;
        req->status = status;
        req->response_len = len;
}

/* An answer the server gives itself (404, 405, 413, 503). */
static void request_set_error(HttpdRequest *req, unsigned status, const char *const *headers)
{
        size_t len;
        int r;
        struct MHD_Response *resp = error_response_build(req->httpd, status, headers, &len, &r);

        request_set_response(req, resp, r < 0 ? 500 : status, len);
}

/* ---- watching suspended connections ------------------------------------- */

static void watch_stop(HttpdRequest *req)
{
        struct epoll_event ev = { 0 };

        if (req->watch_fd < 0)
                return;
        /* out of the set at once: MHD may close the descriptor next */
        (void) epoll_ctl(req->httpd->watch_epfd, EPOLL_CTL_DEL, req->watch_fd, &ev);
        req->watch_fd = -1;
}

static void suspended_remove(HttpdRequest *req)
{
        Httpd *h = req->httpd;

        if (req->prev)
                req->prev->next = req->next;
        else if (h && h->suspended == req)
                h->suspended = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->prev = req->next = NULL;
        if (h && h->stats.suspended > 0)
                h->stats.suspended--;
}

/* Takes a suspended request out of suspension: stops the watch, resumes the
 * connection and makes the loop run MHD again soon. */
static void request_resume(HttpdRequest *req)
{
        watch_stop(req);
        suspended_remove(req);
        req->state = REQ_RESUMING;
        MHD_resume_connection(req->conn);
        listener_kick(req->listener);
}

static void request_cancel(HttpdRequest *req)
{
        HttpdCancelCallback cb = req->cancel_cb;

        req->gone = true;
        req->cancel_cb = NULL;
        if (cb && !req->responded)
                cb(req, req->cancel_userdata);
}

/* One ready socket of a suspended connection. */
static void watch_event(Httpd *h, HttpdRequest *req, uint32_t events)
{
        bool gone = false;

        if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
                gone = true;
        else if (events & EPOLLIN) {
                char c;
                ssize_t n = recv(req->watch_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

                if (n == 0)
                        gone = true;    /* EOF: MHD would close on resume too */
                else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        gone = true;    /* ECONNRESET and friends */
                else if (n > 0) {
                        /* A pipelined request waits in the buffer: only a
                         * hang-up can tell us more now. */
                        struct epoll_event ev = { .events = EPOLLRDHUP, .data.ptr = req };

                        (void) epoll_ctl(h->watch_epfd, EPOLL_CTL_MOD, req->watch_fd, &ev);
                }
        }
        if (!gone)
                return;

        log_debug("httpd: client %s of '%s %s' went away before the answer",
                  httpd_request_peer(req), req->method, req->url);
        h->stats.cancelled++;
        /* MHD reads the EOF or the error once resumed, closes the connection
         * and reports the request terminated; the handler keeps its
         * reference until it calls httpd_respond(). */
        request_resume(req);
        request_cancel(req);
}

static void on_watch_ready(uv_poll_t *handle, int status, int events)
{
        Httpd *h = handle->data;

        (void) status;
        (void) events;
        /* one event at a time: handling one may resume or free others,
         * and a resumed request is out of the set before the next wait */
        for (int i = 0; i < 64; i++) {
                struct epoll_event ev;

                if (epoll_wait(h->watch_epfd, &ev, 1, 0) != 1)
                        break;
                watch_event(h, ev.data.ptr, ev.events);
        }
}

/* The epoll set, its uv_poll and the delay timer, at the first suspension. */
static int watch_init(Httpd *h)
{
        int fd, r;

        if (h->watch_epfd >= 0)
                return 0;
        fd = epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0) {
                log_debug("httpd: cannot watch suspended connections: %s", strerror(errno));
                return -errno;
        }
        r = uv_poll_init(h->loop, &h->watch_poll, fd);
        if (r < 0) {
                log_debug("httpd: cannot watch suspended connections: %s", uv_strerror(r));
                (void) close(fd);
                return r;
        }
        h->watch_poll.data = h;
        h->watch_epfd = fd;
        (void) uv_timer_init(h->loop, &h->watch_timer);
        h->watch_timer.data = h;
        r = uv_poll_start(&h->watch_poll, UV_READABLE, on_watch_ready);
        if (r < 0)
                log_debug("httpd: cannot watch suspended connections: %s", uv_strerror(r));
        /* the listeners keep the loop alive; these need not */
        uv_unref((uv_handle_t *) &h->watch_poll);
        uv_unref((uv_handle_t *) &h->watch_timer);
        return 0;
}

static void watch_start(HttpdRequest *req)
{
        const union MHD_ConnectionInfo *ci;
        Httpd *h = req->httpd;
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = req };

        ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!ci)
                return;
        if (epoll_ctl(h->watch_epfd, EPOLL_CTL_ADD, ci->connect_fd, &ev) < 0) {
                log_debug("httpd: cannot watch the connection of '%s %s' (%s), ignoring",
                          req->method, req->url, strerror(errno));
                return;
        }
        req->watch_fd = ci->connect_fd;
        h->stats.watched++;
}

/* Watches the suspensions that have waited HTTPD_WATCH_DELAY_MS; comes
 * back for the younger ones. A client gone in the meantime is reported at
 * once: the set is level-triggered. */
static void on_watch_timer(uv_timer_t *timer)
{
        Httpd *h = timer->data;
        uint64_t now = uv_now(h->loop), next = 0;

        for (HttpdRequest *req = h->suspended; req; req = req->next) {
                uint64_t due = req->suspended_at + HTTPD_WATCH_DELAY_MS;

                if (req->watch_fd >= 0)
                        continue;
                if (due <= now)
                        watch_start(req);
                else if (!next || due < next)
                        next = due;
        }
        if (next)
                uv_timer_start(&h->watch_timer, on_watch_timer, next - now, 0);
}

static void watch_later(HttpdRequest *req)
{
        Httpd *h = req->httpd;

        req->suspended_at = uv_now(h->loop);
        if (watch_init(h) < 0)
                return;
        if (!uv_is_active((uv_handle_t *) &h->watch_timer))
                uv_timer_start(&h->watch_timer, on_watch_timer, HTTPD_WATCH_DELAY_MS, 0);
}

/* ---- requests ----------------------------------------------------------- */

static void request_free(HttpdRequest *req)
{
        if (req->response)
                MHD_destroy_response(req->response);
        free(req->method);
        free(req->url);
        free(req->peer);
        free(req->body);
        free(req);
}

static void request_unref(HttpdRequest *req)
{
        if (!req)
                return;
        if (--req->n_ref == 0)
                request_free(req);
}

/* MHD is done with the request: it was answered, or its connection was
 * closed. The handler may still hold it. */
static void request_detach(HttpdRequest *req)
{
        Httpd *h = req->httpd;

        watch_stop(req);
        if (req->state == REQ_SUSPENDED)
                suspended_remove(req);
        if (!req->gone && req->handler_called && !req->responded) {
                /* Closed under a handler still at work (at shutdown). */
                if (h)
                        h->stats.cancelled++;
                request_cancel(req);
        }
        req->gone = true;
        if (h && h->stats.active_requests > 0)
                h->stats.active_requests--;
        req->conn = NULL;
        req->httpd = NULL;
        req->listener = NULL;
        req->mount = NULL;
        request_unref(req);
}

static const Mount *route(Httpd *h, size_t listener, const char *url, const char **ret_path)
{
        const Mount *best = NULL;

        for (size_t i = 0; i < h->n_mounts; i++) {
                const Mount *m = h->mounts[i];

                if (m->listener != HTTPD_ALL_LISTENERS && (size_t) m->listener != listener)
                        continue;
                if (best && best->prefix_len >= m->prefix_len)
                        continue;
                if (strcmp(m->prefix, "/") == 0) {
                        best = m;
                        *ret_path = url;
                } else if (strncmp(url, m->prefix, m->prefix_len) == 0 &&
                           (url[m->prefix_len] == '\0' || url[m->prefix_len] == '/')) {
                        best = m;
                        *ret_path = url + m->prefix_len;
                }
        }
        return best;
}

static bool method_allowed(const char *methods, const char *method)
{
        size_t n = strlen(method);

        if (!methods)
                return true;
        for (const char *p = methods; *p;) {
                size_t len;

                p += strspn(p, ", \t");
                len = strcspn(p, ", \t");
                if (len == n && strncmp(p, method, n) == 0)
                        return true;
                p += len;
        }
        return false;
}

/* Content-Length as a number; -1 when absent or not a plain number (MHD
 * has already refused malformed ones). */
static int64_t content_length(struct MHD_Connection *conn)
{
        const char *s = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        uint64_t v = 0;

        if (!s || !*s)
                return -1;
        for (; *s; s++) {
                if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
                        return -1;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        return v > INT64_MAX ? INT64_MAX : (int64_t) v;
}

static HttpdRequest *request_new(Listener *l, struct MHD_Connection *conn, const char *url, const char *method)
{
        Httpd *h = l->httpd;
        HttpdRequest *req = xnew(HttpdRequest, 1);
        int64_t clen;

        req->watch_fd = -1;
        req->httpd = h;
        req->listener = l;
        req->listener_index = l->index;
        req->conn = conn;
        req->n_ref = 1;
        req->state = REQ_RECEIVING;
        req->method = xstrdup(method);
        req->url = xstrdup(url);
        h->stats.active_requests++;

        clen = content_length(conn);
        if (clen > (int64_t) h->max_body_size)
                req->too_big = true;
        if (h->phase != RUNNING) {
                req->early_status = 503;
                return req;
        }
        req->mount = route(h, l->index, req->url, &req->path);
        if (!req->mount) {
                req->early_status = 404;
                return req;
        }
        if (!method_allowed(req->mount->methods, method)) {
                req->early_status = 405;
                return req;
        }
        if (!req->too_big && clen > 0) {
                req->body_cap = (size_t) clen + 1;
                req->body = xmalloc(req->body_cap);
        }
        return req;
}

static void request_body_append(HttpdRequest *req, const char *data, size_t n)
{
        Httpd *h = req->httpd;

        h->stats.bytes_in += n;
        if (req->too_big || req->early_status) {
                req->discarded += n;
                return;
        }
        if (req->body_len + n > h->max_body_size) {
                req->too_big = true;
                req->discarded = req->body_len + n;
                free(req->body);
                req->body = NULL;
                req->body_len = req->body_cap = 0;
                return;
        }
        if (req->body_len + n + 1 > req->body_cap) {
                size_t cap = req->body_cap ? req->body_cap : 1024;

                while (cap < req->body_len + n + 1)
                        cap *= 2;
                if (cap > h->max_body_size + 1)
                        cap = h->max_body_size + 1;
                req->body = xreallocarray(req->body, cap, 1);
                req->body_cap = cap;
        }
        memcpy(req->body + req->body_len, data, n);
        req->body_len += n;
}

/* The server's own answer: 404, 405, 503 decided on the headers, or 413.
 * `early`: before the body, which MHD then drops with the connection. */
static enum MHD_Result request_answer_early(HttpdRequest *req, bool early)
{
        unsigned status = req->early_status ? req->early_status : 413;
        _cleanup_free_ char *allow = NULL;
        const char *headers[3] = {};
        size_t n = 0;

        if (status == 405) {
                allow = xasprintf("Allow: %s", req->mount->methods);
                headers[n++] = allow;
        }
        if (early || req->too_big || status == 503)
                headers[n++] = "Connection: close";
        request_set_error(req, status, headers);
        return request_queue(req);
}

static enum MHD_Result request_complete(HttpdRequest *req)
{
        Httpd *h = req->httpd;
        const Mount *m = req->mount;

        if (req->early_status || req->too_big)
                return request_answer_early(req, false);

        if (!req->body) {
                req->body = xstrdup("");
                req->body_cap = 1;
        }
        req->body[req->body_len] = '\0';

        req->state = REQ_IN_HANDLER;
        req->handler_called = true;
        req->n_ref++;           /* the handler's, released by httpd_respond() */
        m->cb(req, m->userdata);

        if (req->response)
                return request_queue(req);
        if (h->phase != RUNNING) {
                /* httpd_shutdown() from inside the handler */
                h->stats.cancelled++;
                request_set_error(req, 503, (const char *const[]) { "Connection: close", NULL });
                request_cancel(req);
                return request_queue(req);
        }

        req->state = REQ_SUSPENDED;
        MHD_suspend_connection(req->conn);
        req->next = h->suspended;
        if (h->suspended)
                h->suspended->prev = req;
        h->suspended = req;
        h->stats.suspended++;
        watch_later(req);
        return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
        Listener *l = cls;
        HttpdRequest *req = *req_cls;

        if (!req) {
                /* First call: the headers are in. */
                req = request_new(l, conn, url, method);
                *req_cls = req;
                if (req->too_big)
                        /* Content-Length over the limit: answer before the
                         * body (no 100 Continue); MHD then drops the rest of
                         * the upload and closes the connection. */
                        return request_answer_early(req, true);
                return MHD_YES;
        }

        if (*upload_data_size > 0) {
                request_body_append(req, upload_data, *upload_data_size);
                *upload_data_size = 0;
                if (req->discarded > req->httpd->max_body_size + HTTPD_DISCARD_SLACK)
                        return MHD_NO;  /* no end in sight: close */
                return MHD_YES;
        }

        switch (req->state) {
        case REQ_RECEIVING:
                return request_complete(req);
        case REQ_RESUMING:
                /* An answer: the handler's, or 503 at shutdown. None: the
                 * client has left, close. */
                if (!req->response)
                        return MHD_NO;
                return request_queue(req);
        case REQ_IN_HANDLER:
        case REQ_SUSPENDED:
        case REQ_QUEUED:
                break;
        }
        /* Not expected: MHD calls again only while no answer is queued and
         * the connection is not suspended. */
        log_warning("httpd: unexpected call for '%s %s' in state %d, closing", req->method, req->url,
                    (int) req->state);
        return MHD_NO;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
        HttpdRequest *req = *req_cls;

        if (!req)
                return;
        *req_cls = NULL;
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                log_debug("httpd: '%s %s' ended without a complete answer (code %d)",
                          req->method, req->url, (int) toe);
        request_detach(req);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
        Listener *l = cls;
        Httpd *h = l->httpd;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                l->n_conn++;
                h->stats.connections++;
                h->stats.active_connections++;
        } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
                if (l->n_conn > 0)
                        l->n_conn--;
                if (h->stats.active_connections > 0)
                        h->stats.active_connections--;
        }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        size_t n;

        msg = xvasprintf(fmt, ap);
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
                msg[--n] = '\0';
        /* Mostly clients misbehaving; they are not our errors. */
        log_debug("httpd: libmicrohttpd: %s", msg);
}

/* ---- the loop glue ------------------------------------------------------ */

static void listener_rearm(Listener *l)
{
        MHD_UNSIGNED_LONG_LONG t;
        uint64_t ms;

        if (l->stopped)
                return;
        if (l->kick)
                ms = 0;
        else if (MHD_get_timeout(l->mhd, &t) == MHD_YES)
                ms = (uint64_t) t;
        else {
                uv_timer_stop(&l->timer);
                return;
        }
        uv_timer_start(&l->timer, on_listener_timer, ms, 0);
}

static void listener_run(Listener *l)
{
        Httpd *h = l->httpd;
        unsigned before = l->n_conn;

        if (l->stopped)
                return;
        l->kick = false;
        (void) MHD_run(l->mhd);
        /* At the connection limit MHD takes the listening socket out of its
         * epoll set, and puts it back only at the start of its next run: a
         * client waiting in the backlog would wait for the next timeout. */
        if (before >= l->max_conn && l->n_conn < before)
                l->kick = true;
        listener_rearm(l);
        maybe_finish_shutdown(h);
}

static void on_listener_poll(uv_poll_t *handle, int status, int events)
{
        Listener *l = handle->data;

        if (status < 0)
                log_debug("httpd: polling '%s': %s", l->name, uv_strerror(status));
        listener_run(l);
}

static void on_listener_timer(uv_timer_t *timer)
{
        listener_run(timer->data);
}

static void listener_kick(Listener *l)
{
        if (!l || l->stopped)
                return;
        l->kick = true;
        uv_timer_start(&l->timer, on_listener_timer, 0, 0);
}

/* ---- shutdown ----------------------------------------------------------- */

static void httpd_free(Httpd *h)
{
        for (size_t i = 0; i < h->n_listeners; i++)
                free(h->listeners[i].name);
        free(h->listeners);
        for (size_t i = 0; i < h->n_mounts; i++) {
                free(h->mounts[i]->prefix);
                free(h->mounts[i]->methods);
                free(h->mounts[i]);
        }
        free(h->mounts);
        free(h);
}

/* Last step: every handle has gone through its close callback. */
static void maybe_free(Httpd *h)
{
        void (*cb)(void *userdata);
        void *userdata;

        if (h->phase != SHUTDOWN_FINISHING || h->n_closing > 0)
                return;
        cb = h->shutdown_cb;
        userdata = h->shutdown_userdata;
        httpd_free(h);
        if (cb)
                cb(userdata);
}

static void on_listener_handle_closed(uv_handle_t *handle)
{
        Listener *l = handle->data;
        Httpd *h = l->httpd;

        h->n_closing--;
        maybe_free(h);
}

static void on_watch_poll_closed(uv_handle_t *handle)
{
        Httpd *h = handle->data;

        (void) close(h->watch_epfd);
        h->watch_epfd = -1;
        h->n_closing--;
        maybe_free(h);
}

static void on_timer_closed(uv_handle_t *handle)
{
        Httpd *h = handle->data;

        h->n_closing--;
        maybe_free(h);
}

/* Stops every MHD daemon and closes every handle; `keep_fds` leaves the
 * listening sockets open (httpd_new() failing: they are the caller's or
 * already closed by it). */
static void teardown(Httpd *h, bool keep_fds)
{
        h->phase = SHUTDOWN_FINISHING;

        /* MHD must not be stopped with a connection still suspended. */
        while (h->suspended) {
                HttpdRequest *req = h->suspended;

                h->stats.cancelled++;
                request_resume(req);
                request_cancel(req);
        }

        for (size_t i = 0; i < h->n_listeners; i++) {
                Listener *l = &h->listeners[i];

                if (l->handles_init) {
                        /* Out of the loop's epoll set before MHD closes the descriptor. */
                        uv_poll_stop(&l->poll);
                        uv_timer_stop(&l->timer);
                }
                if (l->mhd && !l->stopped) {
                        if (keep_fds)
                                (void) MHD_quiesce_daemon(l->mhd);
                        l->stopped = true;
                        /* Calls on_completed() for every request left. */
                        MHD_stop_daemon(l->mhd);
                        l->mhd = NULL;
                }
                l->stopped = true;
                if (l->handles_init) {
                        h->n_closing += 2;
                        uv_close((uv_handle_t *) &l->poll, on_listener_handle_closed);
                        uv_close((uv_handle_t *) &l->timer, on_listener_handle_closed);
                        l->handles_init = false;
                }
        }
        if (h->shutdown_timer_init) {
                h->n_closing++;
                uv_close((uv_handle_t *) &h->shutdown_timer, on_timer_closed);
                h->shutdown_timer_init = false;
        }
        if (h->watch_epfd >= 0 && !uv_is_closing((uv_handle_t *) &h->watch_poll)) {
                h->n_closing += 2;
                uv_close((uv_handle_t *) &h->watch_timer, on_timer_closed);
                uv_close((uv_handle_t *) &h->watch_poll, on_watch_poll_closed);
        }
        maybe_free(h);
}

static void on_shutdown_timer(uv_timer_t *timer)
{
        Httpd *h = timer->data;

        switch (h->phase) {
        case SHUTDOWN_STARTING:
                for (size_t i = 0; i < h->n_listeners; i++) {
                        Listener *l = &h->listeners[i];
                        MHD_socket fd = MHD_quiesce_daemon(l->mhd);

                        /* Quiesced, the socket is ours again (MHD_stop_daemon()
                         * leaves it alone): closing it refuses new clients now. */
                        if (fd != MHD_INVALID_SOCKET)
                                close(fd);
                        l->fd = -1;
                }
                while (h->suspended) {
                        HttpdRequest *req = h->suspended;

                        h->stats.cancelled++;
                        request_set_error(req, 503, (const char *const[]) { "Connection: close", NULL });
                        request_resume(req);
                        request_cancel(req);
                }
                h->phase = SHUTDOWN_DRAINING;
                log_debug("httpd: shutting down, %u answers in flight", h->stats.active_requests);
                uv_timer_start(&h->shutdown_timer, on_shutdown_timer, h->shutdown_grace_ms, 0);
                maybe_finish_shutdown(h);
                break;
        case SHUTDOWN_DRAINING:
                if (h->stats.active_requests > 0)
                        log_warning("httpd: %u answers still in flight after %ums, closing their connections",
                                    h->stats.active_requests, h->shutdown_grace_ms);
                teardown(h, false);
                break;
        case RUNNING:
        case SHUTDOWN_FINISHING:
                break;
        }
}

/* Called after MHD has run: once every answer in flight has been sent,
 * the rest of the shutdown runs from the shutdown timer (never from inside
 * MHD's callbacks). */
static void maybe_finish_shutdown(Httpd *h)
{
        if (h->phase == SHUTDOWN_DRAINING && h->stats.active_requests == 0)
                uv_timer_start(&h->shutdown_timer, on_shutdown_timer, 0, 0);
        else if (h->phase == SHUTDOWN_FINISHING)
                maybe_free(h);
}

int httpd_shutdown(Httpd *h, void (*cb)(void *userdata), void *userdata)
{
        if (!h)
                return -EINVAL;
        if (h->phase != RUNNING)
                return -EALREADY;
        h->phase = SHUTDOWN_STARTING;
        h->shutdown_cb = cb;
        h->shutdown_userdata = userdata;
        /* The work happens from the loop: this may be called from a handler,
         * inside MHD_run(). */
        uv_timer_start(&h->shutdown_timer, on_shutdown_timer, 0, 0);
        return 0;
}

/* ---- creation ----------------------------------------------------------- */

static int listener_start(Httpd *h, Listener *l, const HttpdOptions *opts)
{
        struct sockaddr_storage ss = {};
        socklen_t len = sizeof(ss);
        char name[128];
        unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
        size_t mem = opts->max_header_bytes ? opts->max_header_bytes : HTTPD_DEFAULT_MAX_HEADER_BYTES;
        unsigned max_conn = opts->max_connections ? opts->max_connections : HTTPD_DEFAULT_MAX_CONNECTIONS;
        unsigned timeout = opts->idle_timeout_s ? opts->idle_timeout_s : HTTPD_DEFAULT_IDLE_TIMEOUT_S;

        l->max_conn = max_conn;
        {
                _cleanup_free_ char *why = NULL;
                if (mhd_dl_load(&why) < 0) {
                        log_error("httpd: %s", why);
                        return -ELIBACC;
                }
        }
        if (getsockname(l->fd, (struct sockaddr *) &ss, &len) < 0)
                return -errno;
        format_sockaddr((struct sockaddr *) &ss, len, name, sizeof(name));
        l->name = xstrdup(name);
        if (ss.ss_family == AF_INET6) {
                flags |= MHD_USE_IPv6;
                l->port = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
        } else if (ss.ss_family == AF_INET)
                l->port = ntohs(((struct sockaddr_in *) &ss)->sin_port);
        else
                l->is_unix = true;

        /* No MHD_USE_INTERNAL_POLLING_THREAD: MHD runs only when we call
         * MHD_run() from the loop. Port 0 with a listen socket given. */
        l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_access, l,
                                  MHD_OPTION_LISTEN_SOCKET, (MHD_socket) l->fd,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
                                  MHD_OPTION_CONNECTION_LIMIT, max_conn,
                                  MHD_OPTION_CONNECTION_TIMEOUT, timeout,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
                                  MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
                                  MHD_OPTION_END);
        if (!l->mhd)
                return -EIO;
        return 0;
}

static int listener_handles_start(Httpd *h, Listener *l)
{
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
        int r;

        if (!di)
                return -EIO;
        r = uv_poll_init(h->loop, &l->poll, di->epoll_fd);
        if (r < 0)
                return r;
        uv_timer_init(h->loop, &l->timer);
        l->poll.data = l;
        l->timer.data = l;
        l->handles_init = true;
        r = uv_poll_start(&l->poll, UV_READABLE, on_listener_poll);
        if (r < 0)
                return r;
        listener_rearm(l);
        return 0;
}

int httpd_new(uv_loop_t *loop, const HttpdOptions *opts, Httpd **ret)
{
        size_t n_addr = 0, n, i;
        Httpd *h;
        int r, backlog;

        if (!loop || !opts || !ret)
                return -EINVAL;
        while (opts->listen && opts->listen[n_addr])
                n_addr++;
        if (opts->n_listen_fds > 0 && !opts->listen_fds)
                return -EINVAL;
        n = n_addr + opts->n_listen_fds;
        if (n == 0 || n > HTTPD_MAX_LISTENERS)
                return -EINVAL;
        if (opts->max_header_bytes && opts->max_header_bytes < HTTPD_MIN_MAX_HEADER_BYTES)
                return -EINVAL;
        for (i = 0; i < n_addr; i++) {
                struct sockaddr_storage ss;
                socklen_t len;

                r = httpd_parse_listen_address(opts->listen[i], &ss, &len);
                if (r < 0)
                        return r;
        }
        for (i = 0; i < opts->n_listen_fds; i++) {
                r = listen_socket_check(opts->listen_fds[i]);
                if (r < 0)
                        return r;
        }
        backlog = opts->backlog > 0 ? opts->backlog : HTTPD_DEFAULT_BACKLOG;

        h = xnew(Httpd, 1);
        h->loop = loop;
        h->watch_epfd = -1;
        h->max_body_size = opts->max_body_size ? opts->max_body_size : HTTPD_DEFAULT_MAX_BODY_SIZE;
        h->shutdown_grace_ms = opts->shutdown_grace_ms ? opts->shutdown_grace_ms : HTTPD_DEFAULT_SHUTDOWN_GRACE_MS;
        h->keep_alive = !opts->disable_keep_alive;
        h->listeners = xnew(Listener, n);
        h->n_listeners = n;
        for (i = 0; i < n; i++) {
                h->listeners[i].httpd = h;
                h->listeners[i].index = i;
                h->listeners[i].fd = -1;
        }

        /* Sockets first, so that a taken port fails before anything runs. */
        for (i = 0; i < n_addr; i++) {
                r = listen_socket_open(opts->listen[i], backlog, &h->listeners[i].fd);
                if (r < 0) {
                        log_error_errno(r, "httpd: cannot listen on '%s': %s", opts->listen[i], strerror(-r));
                        goto fail_sockets;
                }
        }
        for (i = 0; i < opts->n_listen_fds; i++)
                h->listeners[n_addr + i].fd = opts->listen_fds[i];

        for (i = 0; i < n; i++) {
                r = listener_start(h, &h->listeners[i], opts);
                if (r < 0) {
                        log_error_errno(r, "httpd: cannot start the HTTP server on '%s'",
                                        h->listeners[i].name ? h->listeners[i].name : "?");
                        goto fail_daemons;
                }
        }

        uv_timer_init(loop, &h->shutdown_timer);
        h->shutdown_timer.data = h;
        h->shutdown_timer_init = true;
        for (i = 0; i < n; i++) {
                r = listener_handles_start(h, &h->listeners[i]);
                if (r < 0) {
                        log_error_errno(r, "httpd: cannot poll the HTTP server on '%s': %s",
                                        h->listeners[i].name, uv_strerror(r));
                        /* Handles exist: close them through the loop. The
                         * sockets made here are closed, the others left. */
                        for (size_t j = 0; j < n_addr; j++)
                                if (h->listeners[j].mhd)
                                        (void) MHD_quiesce_daemon(h->listeners[j].mhd);
                        for (size_t j = 0; j < n_addr; j++)
                                if (h->listeners[j].fd >= 0)
                                        close(h->listeners[j].fd);
                        teardown(h, true);
                        return r;
                }
        }

        for (i = 0; i < n; i++)
                log_debug("httpd: listening on '%s'", h->listeners[i].name);
        *ret = h;
        return 0;

fail_daemons:
        for (i = 0; i < n; i++) {
                Listener *l = &h->listeners[i];

                if (l->mhd) {
                        (void) MHD_quiesce_daemon(l->mhd);
                        MHD_stop_daemon(l->mhd);
                }
        }
fail_sockets:
        for (i = 0; i < n_addr; i++)
                if (h->listeners[i].fd >= 0)
                        close(h->listeners[i].fd);
        httpd_free(h);
        return r;
}

/* ---- mounts, listeners, stats ------------------------------------------- */

int httpd_add_mount(Httpd *h, const HttpdMount *m)
{
        size_t plen;

        if (!h || !m || !m->cb || !m->prefix || m->prefix[0] != '/')
                return -EINVAL;
        if (h->phase != RUNNING)
                return -ESHUTDOWN;
        plen = strlen(m->prefix);
        if (plen > 1 && m->prefix[plen - 1] == '/')
                return -EINVAL;
        if (m->listener != HTTPD_ALL_LISTENERS &&
            (m->listener < 0 || (size_t) m->listener >= h->n_listeners))
                return -EINVAL;
        if (m->methods && !*m->methods)
                return -EINVAL;
        for (size_t i = 0; i < h->n_mounts; i++) {
                const Mount *o = h->mounts[i];

                if (strcmp(o->prefix, m->prefix) == 0 &&
                    (o->listener == m->listener || o->listener == HTTPD_ALL_LISTENERS ||
                     m->listener == HTTPD_ALL_LISTENERS))
                        return -EEXIST;
        }

        Mount *n = xnew(Mount, 1);
        *n = (Mount) {
                .prefix = xstrdup(m->prefix),
                .prefix_len = plen,
                .listener = m->listener,
                .methods = m->methods ? xstrdup(m->methods) : NULL,
                .cb = m->cb,
                .userdata = m->userdata,
        };
        h->mounts = xreallocarray(h->mounts, h->n_mounts + 1, sizeof(Mount *));
        h->mounts[h->n_mounts++] = n;
        return 0;
}

int httpd_mount(Httpd *h, const char *prefix, HttpdHandler cb, void *userdata)
{
        return httpd_add_mount(h, &(HttpdMount) {
                .prefix = prefix,
                .listener = HTTPD_ALL_LISTENERS,
                .cb = cb,
                .userdata = userdata,
        });
}

size_t httpd_n_listeners(const Httpd *h)
{
        return h ? h->n_listeners : 0;
}

int httpd_listener_port(const Httpd *h, size_t i, uint16_t *ret_port)
{
        if (!h || i >= h->n_listeners || !ret_port)
                return -ENOENT;
        if (h->listeners[i].is_unix)
                return -EAFNOSUPPORT;
        *ret_port = h->listeners[i].port;
        return 0;
}

const char *httpd_listener_name(const Httpd *h, size_t i)
{
        if (!h || i >= h->n_listeners)
                return NULL;
        return h->listeners[i].name;
}

void httpd_stats(const Httpd *h, HttpdStats *ret)
{
        if (!ret)
                return;
        *ret = h ? h->stats : (HttpdStats) {};
}

/* ---- the request API ---------------------------------------------------- */

const char *httpd_request_method(const HttpdRequest *req)
{
        return req->method;
}

const char *httpd_request_url(const HttpdRequest *req)
{
        return req->url;
}

const char *httpd_request_path(const HttpdRequest *req)
{
        return req->path ? req->path : req->url;
}

const char *httpd_request_header(const HttpdRequest *req, const char *name)
{
        if (!req->conn || req->gone || !name)
                return NULL;
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *httpd_request_query(const HttpdRequest *req, const char *name)
{
        if (!req->conn || req->gone || !name)
                return NULL;
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *httpd_request_body(const HttpdRequest *req, size_t *ret_len)
{
        if (ret_len)
                *ret_len = req->body_len;
        return req->body ? req->body : "";
}

const char *httpd_request_peer(HttpdRequest *req)
{
        const union MHD_ConnectionInfo *ci;
        char buf[128];

        if (req->peer)
                return req->peer;
        if (!req->conn)
                return "";
        ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!ci || !ci->client_addr)
                return "";
        format_sockaddr(ci->client_addr,
                        ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
                        ci->client_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
                        sizeof(struct sockaddr_un),
                        buf, sizeof(buf));
        req->peer = xstrdup(buf);
        return req->peer;
}

size_t httpd_request_listener(const HttpdRequest *req)
{
        return req->listener_index;
}

void httpd_request_set_cancel(HttpdRequest *req, HttpdCancelCallback cb, void *userdata)
{
        if (req->gone || req->responded)
                return;
        req->cancel_cb = cb;
        req->cancel_userdata = userdata;
}

bool httpd_request_is_gone(const HttpdRequest *req)
{
        return req->gone;
}

static int respond_with(HttpdRequest *req, struct MHD_Response *resp, unsigned status, size_t len, int r)
{
        if (r < 0)
                log_error("httpd: invalid answer to '%s %s' (status %u), sent 500 instead",
                          req->method, req->url, status);
        request_set_response(req, resp, r < 0 ? 500 : status, r < 0 ? strlen(error_body(500)) : len);
        req->cancel_cb = NULL;
        if (req->state == REQ_SUSPENDED)
                request_resume(req);
        /* REQ_IN_HANDLER: on_access() queues it when the handler returns. */
        request_unref(req);
        return r;
}

/* Common entry checks; true when the request is gone (then released). */
static bool respond_begin(HttpdRequest *req)
{
        if (!req->handler_called || req->responded) {
                /* A second answer would use freed memory: a broken caller. */
                log_error("httpd: httpd_respond() called twice or outside a handler for '%s %s'",
                          req->method, req->url);
                abort();
        }
        req->responded = true;
        if (req->gone || !req->conn) {
                request_unref(req);
                return true;
        }
        return false;
}

int httpd_respond(HttpdRequest *req, unsigned status, const char *content_type,
                  const void *body, size_t len, const char *const *headers)
{
        struct MHD_Response *resp;
        int r;

        if (respond_begin(req))
                return 0;
        resp = response_build(req->httpd, status, content_type, body, len, headers, &r);
        return respond_with(req, resp, status, len, r);
}

int httpd_respond_owned(HttpdRequest *req, unsigned status, const char *content_type,
                        char *body, size_t len, const char *const *headers)
{
        struct MHD_Response *resp;
        int r;

        if (respond_begin(req)) {
                free(body);
                return 0;
        }
        resp = response_build_owned(req->httpd, status, content_type, body, len, true, headers, &r);
        return respond_with(req, resp, status, len, r);
}

int httpd_respond_error(HttpdRequest *req, unsigned status, const char *const *headers)
{
        struct MHD_Response *resp;
        size_t len;
        int r;

        if (respond_begin(req))
                return 0;
        if (status < 200 || status > 599) {
                resp = error_response_build(req->httpd, 500, NULL, &len, &r);
                return respond_with(req, resp, status, len, -EINVAL);
        }
        resp = error_response_build(req->httpd, status, headers, &len, &r);
        return respond_with(req, resp, status, len, r);
}
