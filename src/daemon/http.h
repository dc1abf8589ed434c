/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/retry.h"

/* Asynchronous HTTP client: libcurl's multi_socket API driven by one libuv
 * loop (style.md A.5). Everything happens on the loop's thread; no call
 * blocks. Transient failures are retried with backoff and jitter on a
 * per-request uv_timer, honouring Retry-After on 429/503. */

typedef struct uv_loop_s uv_loop_t;
typedef struct HttpClient HttpClient;
typedef struct HttpRequest HttpRequest;

#define HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define HTTP_DEFAULT_TIMEOUT_MS 30000L
#define HTTP_DEFAULT_MAX_HOST_CONNECTIONS 4L
#define HTTP_DEFAULT_MAX_TOTAL_CONNECTIONS 32L
#define HTTP_DEFAULT_MAX_BODY_SIZE ((size_t) 64 << 20)

/* Zero/NULL fields take the defaults above. Strings are copied. */
typedef struct HttpClientOptions {
        const char *ca_file;            /* PEM bundle trusted instead of the system one */
        long connect_timeout_ms;
        long timeout_ms;                /* per attempt, queueing for a connection included */
        long max_host_connections;      /* CURLMOPT_MAX_HOST_CONNECTIONS */
        long max_total_connections;     /* CURLMOPT_MAX_TOTAL_CONNECTIONS */
        const char *user_agent;         /* default "secresp/<version>" */
        const char *proxy;              /* NULL: no proxy; *_proxy environment ignored */
        const char *proxy_user;
        const char *proxy_password;     /* secret: never logged, wiped on free */
        size_t max_body_size;           /* response bodies above it fail with -EFBIG */
} HttpClientOptions;

/* One header of a response; name and value are trimmed, never NULL. */
typedef struct HttpHeader {
        const char *name;
        const char *value;
} HttpHeader;

/* Valid only during the completion callback. */
typedef struct HttpResponse {
        long status;                    /* final HTTP status, 0 when none was received */
        const HttpHeader *headers;      /* of the final response (after redirects/retries) */
        size_t n_headers;
        const char *body;               /* NUL-terminated, never NULL ("" when empty) */
        size_t body_len;
        const char *error;              /* curl's error text, "" when none */
        int curl_code;                  /* CURLcode of the last attempt */
        unsigned attempts;              /* attempts made, 0 when cancelled before any */
        uint64_t total_ms;              /* from http_request_start() to completion */
        HttpErrClass err_class;
        int r;                          /* 0 or negative errno, see http_error_to_errno();
                                         * -ECANCELED when cancelled or shut down */
} HttpResponse;

typedef void (*HttpCallback)(const HttpResponse *resp, void *userdata);

/* An e-mail instead of an HTTP request: the URL is smtp://host:port or
 * smtps://host:port (TLS from the start), the body the whole message
 * (headers, blank line, text; CRLF line ends).  Same loop, TLS settings,
 * timeouts and retries as HTTP; the status is the SMTP reply code. */
typedef enum HttpMailTls {
        HTTP_MAIL_TLS_TRY,              /* STARTTLS when offered (VAR's behaviour), else plain */
        HTTP_MAIL_TLS_REQUIRED,         /* STARTTLS or fail */
        HTTP_MAIL_TLS_NONE,
} HttpMailTls;

typedef struct HttpMail {
        const char *from;
        const char *const *to;          /* NULL-terminated, at least one */
        const char *user;               /* NULL: no AUTH */
        const char *password;           /* secret: never logged */
        HttpMailTls tls;                /* smtp:// only; smtps:// is always TLS */
} HttpMail;

typedef struct HttpRequestOptions {
        const char *method;             /* NULL: "GET" */
        const char *url;                /* http:// or https:// only */
        const char *const *headers;     /* NULL-terminated "Name: value" lines, may be NULL */
        const void *body;               /* copied; sent as is */
        size_t body_len;
        long timeout_ms;                /* per attempt; 0: the client's */
        const RetryPolicy *retry;       /* NULL: RETRY_POLICY_DEFAULT; copied */
        const char *ca_file;            /* overrides the client's CA bundle */
        /* Zero keeps TLS verification on: switching it off must be written
         * out by the vendor module that needs it. */
        bool tls_skip_verify;
        bool follow_redirects;          /* at most 5, http(s) only */
        const HttpMail *mail;           /* send an e-mail (smtp/smtps URL); copied */
        /* A client certificate (PEM file, chain allowed) and its key (PEM
         * file; the password of an encrypted key: a secret, never logged). */
        const char *client_cert;
        const char *client_key;
        const char *client_key_password;
        HttpCallback cb;                /* required */
        void *userdata;
} HttpRequestOptions;

/* Returns 0, -EINVAL for bad options, or a negative errno. */
int http_client_new(uv_loop_t *loop, const HttpClientOptions *opts, HttpClient **ret);

/* Starts a request. On success `cb` is called exactly once, always from the
 * loop (never from inside this call), and *ret (if ret is not NULL) is a
 * handle usable with http_request_cancel() until `cb` returns. On failure
 * (-EINVAL for bad options or URL, -ESHUTDOWN after http_client_shutdown())
 * `cb` is never called. */
int http_request_start(HttpClient *c, const HttpRequestOptions *opts, HttpRequest **ret);

/* Stops the transfer or the wait for a retry; the callback then runs from
 * the loop with r = -ECANCELED. Returns 0, or -EALREADY when the request has
 * already finished and its callback is pending or running. */
int http_request_cancel(HttpRequest *req);

/* Case-insensitive lookup of the first header called `name`; NULL if none. */
const char *http_response_header(const HttpResponse *resp, const char *name);

/* Cancels every request in flight (their callbacks get -ECANCELED), runs
 * curl_multi_cleanup, closes every handle, then calls `cb` from the loop
 * and frees the client. After `cb`, the client holds no handle, so
 * uv_loop_close() can succeed. Returns 0, or -EALREADY if already
 * shutting down (cb is then not called). */
int http_client_shutdown(HttpClient *c, void (*cb)(void *userdata), void *userdata);

/* For tests and status: requests not yet completed. */
unsigned http_client_in_flight(const HttpClient *c);
