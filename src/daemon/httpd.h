/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* HTTP/1.1 server for the relays: libmicrohttpd in external-epoll mode on
 * the daemon's libuv loop. No thread is started: each listener is one MHD
 * daemon whose epoll descriptor is watched by a uv_poll and whose next
 * timeout is a uv_timer, re-armed after every MHD_run().
 *
 * A request reaches the handler of the mount whose prefix matches its path
 * once the whole body has arrived. The handler answers with httpd_respond(),
 * at once or later from any loop callback; until then the connection is
 * suspended (MHD_suspend_connection) and its socket is watched so that a
 * client that goes away is noticed at once (the cancel callback runs).
 *
 * Answered by the server itself, with the Flask/werkzeug JSON bodies of the
 * original relays (relays.md §2.4):
 *   404 no mount matches the path;
 *   405 the mount does not accept the method (with Allow);
 *   413 the body is larger than max_body_size (before reading it when
 *       Content-Length says so, then the connection is closed);
 *   503 the server is shutting down.
 * libmicrohttpd answers malformed requests itself (400, 414, 431, 505,
 * with its own small HTML bodies): those never reach a handler and are not
 * counted in httpd_stats(). */

typedef struct uv_loop_s uv_loop_t;
typedef struct Httpd Httpd;
typedef struct HttpdRequest HttpdRequest;

#define HTTPD_DEFAULT_MAX_BODY_SIZE ((size_t) 1 << 20)
#define HTTPD_DEFAULT_MAX_HEADER_BYTES ((size_t) 32 << 10)
/* A suspended connection's socket is watched for the client leaving only
 * once it has waited this long: most answers come sooner, and the watch
 * costs two epoll_ctl calls. A client that left earlier is seen then. */
#define HTTPD_WATCH_DELAY_MS 50
#define HTTPD_MIN_MAX_HEADER_BYTES ((size_t) 4 << 10)
#define HTTPD_DEFAULT_MAX_CONNECTIONS 256u
#define HTTPD_DEFAULT_IDLE_TIMEOUT_S 30u
#define HTTPD_DEFAULT_SHUTDOWN_GRACE_MS 5000u
#define HTTPD_DEFAULT_BACKLOG 128
#define HTTPD_MAX_LISTENERS 16

/* Zero/NULL fields take the defaults above. Strings are copied. */
typedef struct HttpdOptions {
        /* NULL-terminated list of "address:port": "127.0.0.1:9090",
         * "[::1]:9090", "0.0.0.0:9090", "*:9090" (all IPv4), "[::]:9090"
         * (all IPv6, IPV6_V6ONLY). Literal addresses only: names are not
         * resolved (that would block). Port 0 picks a free port, see
         * httpd_listener_port(). */
        const char *const *listen;
        /* Listening stream sockets made elsewhere (sd_listen_fds(), tests),
         * TCP or AF_UNIX. On success the server owns them and closes them
         * at shutdown; on failure they are left alone. */
        const int *listen_fds;
        size_t n_listen_fds;
        size_t max_body_size;           /* request bodies above it get 413 */
        /* Per-connection memory of libmicrohttpd
         * (MHD_OPTION_CONNECTION_MEMORY_LIMIT): the request line and headers
         * must fit in it. Above it libmicrohttpd answers 431 (414 when the
         * request line alone is too long); in a band of a few dozen bytes
         * just under it, it closes the connection without an answer, having
         * no memory left to build one (measured with 0.9.75: 32 KiB accepts
         * 32488 bytes of header value). At least HTTPD_MIN_MAX_HEADER_BYTES. */
        size_t max_header_bytes;
        /* Per listener (one MHD daemon each). At the limit the listening
         * socket is no longer polled: new clients wait in the kernel's
         * backlog until a connection closes. */
        unsigned max_connections;
        /* A connection silent for that long is closed (whole seconds: the
         * unit of libmicrohttpd). Suspended connections never time out: the
         * handler owns the time they take. */
        unsigned idle_timeout_s;
        /* httpd_shutdown() waits at most that long for answers in flight. */
        unsigned shutdown_grace_ms;
        int backlog;                    /* listen() backlog of the sockets made here */
        bool disable_keep_alive;        /* "Connection: close" on every answer */
} HttpdOptions;

/* Called once per request, from the loop, when its body is complete. It
 * must call httpd_respond() (or httpd_respond_error()) exactly once, now or
 * later; until then `req` stays valid, even after the client has gone. */
typedef void (*HttpdHandler)(HttpdRequest *req, void *userdata);

/* Called at most once, before the handler has answered, when the answer is
 * no longer wanted: the client closed its connection, or the server is
 * shutting down (the client then got 503). The handler should stop its
 * work; it must still call httpd_respond() (which then only frees `req`),
 * from this callback or later. */
typedef void (*HttpdCancelCallback)(HttpdRequest *req, void *userdata);

#define HTTPD_ALL_LISTENERS (-1)

typedef struct HttpdMount {
        /* "/msgraph" matches "/msgraph" and "/msgraph/..." (not
         * "/msgraphx"); "/" matches every path. The longest matching
         * prefix wins. No trailing slash except "/" itself. */
        const char *prefix;
        /* Index into the listeners (the `listen` addresses in order, then
         * the `listen_fds`), or HTTPD_ALL_LISTENERS. */
        int listener;
        /* "POST, GET": other methods get 405 with this list in Allow.
         * NULL: every method reaches the handler. */
        const char *methods;
        HttpdHandler cb;                /* required */
        void *userdata;
} HttpdMount;

typedef struct HttpdStats {
        uint64_t requests;              /* answers queued by the server (handlers, 404, 405, 413, 503) */
        uint64_t by_class[6];           /* by status class: [2] = 2xx ... [5] = 5xx; [0] unused */
        uint64_t bytes_in;              /* request bodies received */
        uint64_t bytes_out;             /* response bodies queued */
        uint64_t cancelled;             /* clients gone before their handler answered */
        uint64_t connections;           /* accepted since the start */
        unsigned active_connections;
        unsigned active_requests;       /* headers received, answer not yet sent */
        unsigned suspended;             /* waiting for their handler */
        uint64_t watched;               /* suspended past HTTPD_WATCH_DELAY_MS, their socket watched */
} HttpdStats;

/* Parses a listener address (see HttpdOptions.listen). -EINVAL if it is
 * not one. */
int httpd_parse_listen_address(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len);

/* Binds and listens on every listener (a failure to bind returns its
 * -errno, e.g. -EADDRINUSE, and nothing is left open), starts one MHD
 * daemon per listener. -EINVAL for bad options or no listener at all,
 * -EIO when libmicrohttpd refuses to start. (Should uv_poll_init() fail on
 * an epoll descriptor, the handles already made are closed through the
 * loop: run it once more before uv_loop_close().) */
int httpd_new(uv_loop_t *loop, const HttpdOptions *opts, Httpd **ret);

/* Adds a route. -EINVAL for a bad prefix, listener or missing callback,
 * -EEXIST when that prefix is already mounted on that listener,
 * -ESHUTDOWN after httpd_shutdown(). */
int httpd_add_mount(Httpd *h, const HttpdMount *m);
/* httpd_add_mount() on every listener, every method accepted. */
int httpd_mount(Httpd *h, const char *prefix, HttpdHandler cb, void *userdata);

size_t httpd_n_listeners(const Httpd *h);
/* The bound port (the chosen one for port 0); -ENOENT for a bad index,
 * -EAFNOSUPPORT for an AF_UNIX listener. */
int httpd_listener_port(const Httpd *h, size_t i, uint16_t *ret_port);
/* "127.0.0.1:9090", "[::1]:9090", "unix:/path"; NULL for a bad index. */
const char *httpd_listener_name(const Httpd *h, size_t i);

void httpd_stats(const Httpd *h, HttpdStats *ret);

/* ---- requests (valid from the handler call until httpd_respond()) ------- */

const char *httpd_request_method(const HttpdRequest *req);
/* Percent-decoded path without the query string, as libmicrohttpd gives it. */
const char *httpd_request_url(const HttpdRequest *req);
/* The path below the mount prefix: "/health" for "/msgraph/health" under
 * "/msgraph", "" for "/msgraph" itself; the whole path under "/". */
const char *httpd_request_path(const HttpdRequest *req);
/* Case-insensitive lookup of a request header / query argument; NULL when
 * absent, and always NULL once httpd_request_is_gone(). */
const char *httpd_request_header(const HttpdRequest *req, const char *name);
const char *httpd_request_query(const HttpdRequest *req, const char *name);
/* The complete body, NUL-terminated (not counted in *ret_len), never NULL. */
const char *httpd_request_body(const HttpdRequest *req, size_t *ret_len);
/* "127.0.0.1:54321" of the client, "" when unknown. */
const char *httpd_request_peer(HttpdRequest *req);
/* Index of the listener the request came in on. */
size_t httpd_request_listener(const HttpdRequest *req);
void httpd_request_set_cancel(HttpdRequest *req, HttpdCancelCallback cb, void *userdata);
/* True once the answer is no longer wanted (client gone, or shutdown). */
bool httpd_request_is_gone(const HttpdRequest *req);

/* Answers `req` and releases it: `req` must not be used afterwards. The
 * body is copied; content_type NULL sends none; `headers` is NULL or a
 * NULL-terminated list of "Name: value" lines (Content-Length is the
 * server's; "Connection: close" closes the connection after the answer).
 * Can be called from inside the handler or later from any loop callback.
 * When the request is gone this only frees it. Returns 0, or -EINVAL when
 * the status (200..599) or a header is invalid: the client then gets a 500
 * instead. Calling it twice for one request aborts (it would use freed
 * memory). */
int httpd_respond(HttpdRequest *req, unsigned status, const char *content_type,
                  const void *body, size_t len, const char *const *headers);
/* httpd_respond() with a malloc'ed body that passes to the server, which
 * frees it (also when the request is gone or an argument is invalid). */
int httpd_respond_owned(HttpdRequest *req, unsigned status, const char *content_type,
                        char *body, size_t len, const char *const *headers);
/* The server's own JSON error body for `status` (the werkzeug texts for
 * 400, 404, 405, 413, 503; "Something went wrong." for 500), same rules. */
int httpd_respond_error(HttpdRequest *req, unsigned status, const char *const *headers);

/* Stops accepting (MHD_quiesce_daemon, the listening sockets are closed),
 * answers 503 to the requests whose handler has not answered yet (their
 * cancel callback runs) and to new requests on open connections, waits up
 * to shutdown_grace_ms for answers in flight to be sent, closes every
 * connection and handle, then calls `cb` from the loop and frees the
 * server. After `cb` the server holds nothing in the loop, so
 * uv_loop_close() can succeed. Requests whose handler has not called
 * httpd_respond() yet stay allocated until it does. Returns 0, or
 * -EALREADY (cb is then not called). */
int httpd_shutdown(Httpd *h, void (*cb)(void *userdata), void *userdata);
