/* SPDX-License-Identifier: MIT */
/* upstream_stub: a cheap HTTPS upstream for the relay benchmark
 * (bench/relay.sh), standing in for the Python simulators of Azure AD,
 * Microsoft Graph and SpyCloud, which cost 0.6-0.7 ms of CPU per request and
 * so measured themselves instead of the relay.  Every answer is canned: the
 * bench captures the bodies once from the Python simulators, so the stub
 * stays right for whatever query the relay sends, and does no work per
 * request beyond TLS, finding the end of the request and a header check.
 *
 *   POST /<tenant>/oauth2/v2.0/token    a client-credentials form -> an access token
 *                                       (azuread_sim.py's shape; the token is not checked later)
 *   POST /v1.0/security/runHuntingQuery "Authorization: Bearer <token>" (401 without)
 *                                       and a {"Query": ...} body -> the ANSWER of the
 *                                       --hunting-for BODY=ANSWER whose BODY file is the
 *                                       request's body, byte for byte; else the --hunting FILE
 *                                       (400 without one)
 *   GET  PATH of a --get PATH=FILE      "X-API-Key: <key>" (401 without, 403 for another
 *                                       key than --api-key) -> FILE; PATH as sent, query included
 *   GET  /__stub/counts                 answers by kind and connections accepted, as JSON
 *
 * An epoll loop per thread over OpenSSL, HTTP/1.1 keep-alive, TCP_NODELAY,
 * each answer prepared whole at start and sent in one SSL_write (one TLS
 * record, one TCP segment for small bodies): per request one epoll_wait, one
 * read and one write.  libmicrohttpd (GnuTLS) was tried first: it sends the
 * headers and the body in two writes and sets a socket option per answer;
 * alone under bench/loadgen.c it took 22-29 us of CPU per request at 10 and
 * 50 connections (62-73 at 1) against 17-20 (50-53) here.  Loopback only.
 *
 *   cc -O2 -o upstream_stub bench/relay/upstream_stub.c -lssl -lcrypto -lpthread
 *   upstream_stub --cert PEM --key PEM --port-file FILE [--port N] [--threads N]
 *                 [--hunting FILE] [--hunting-for BODY=ANSWER]... [--get PATH=FILE]...
 *                 [--api-key KEY]
 * Runs until SIGINT or SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_GETS 64
#define MAX_THREADS 16
#define MAX_FILE (16 << 20)
#define MAX_HEAD (64 << 10)
#define MAX_BODY (1 << 20)
#define MAX_EVENTS 64
#define MAX_ACCEPTS 64

/* answers by kind, and (last, not an answer) the connections accepted, each a TLS handshake */
enum { C_TOKEN, C_HUNTING, C_GET, C_UNAUTHORIZED, C_BAD, C_NOT_FOUND, C_CONNECTIONS, _C_MAX };
static const char *const count_names[_C_MAX] = { "token", "hunting", "get", "unauthorized", "bad_request",
                                                 "not_found", "connections" };
static atomic_ulong counts[_C_MAX];

/* A whole answer, status line to body. */
typedef struct Answer {
        char *bytes;
        size_t len;
} Answer;

typedef struct Get {
        const char *path;
        Answer answer;
} Get;

typedef struct Hunt {
        char *body;
        size_t body_len;
        Answer answer;
} Hunt;

static struct {
        Get gets[MAX_GETS];
        size_t n_gets;
        Hunt hunts[MAX_GETS];
        size_t n_hunts;
        Answer hunting, token, unauthorized_graph, unauthorized_key, forbidden_key, bad_query, bad_grant,
                bad_request, not_found, go_on;
        bool has_hunting;
        const char *api_key;
        SSL_CTX *ctx;
        int listen_fd;
} stub = { .listen_fd = -1 };

typedef struct Conn {
        int fd;
        SSL *ssl;
        bool ready;                     /* handshake done */
        uint32_t events;                /* what epoll waits for */
        char *in;
        size_t in_len, in_cap;
        const char *out;                /* an answer being sent (not owned unless out_owned) */
        size_t out_len;
        char *out_owned;
        bool close_after, continued;
} Conn;

static char *read_file(const char *name, size_t *ret_len)
{
        FILE *f = fopen(name, "re");
        char *p;
        long n;

        if (!f)
                return NULL;
        if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > MAX_FILE || fseek(f, 0, SEEK_SET) < 0) {
                fclose(f);
                return NULL;
        }
        p = malloc((size_t) n + 1);
        if (!p || fread(p, 1, (size_t) n, f) != (size_t) n) {
                free(p);
                fclose(f);
                return NULL;
        }
        fclose(f);
        p[n] = '\0';
        *ret_len = (size_t) n;
        return p;
}

static char *must_read(const char *name, size_t *ret_len)
{
        char *p = read_file(name, ret_len);

        if (!p) {
                fprintf(stderr, "upstream_stub: cannot read '%s'\n", name);
                exit(1);
        }
        return p;
}

static Answer make_answer(int status, const char *reason, const char *body, size_t len)
{
        Answer a;
        FILE *f = open_memstream(&a.bytes, &a.len);

        if (!f)
                abort();
        fprintf(f, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", status,
                reason, len);
        fwrite(body, 1, len, f);
        if (fclose(f) != 0)
                abort();
        return a;
}

static Answer make_json(int status, const char *reason, const char *body)
{
        return make_answer(status, reason, body, strlen(body));
}

static void conn_free(Conn *c)
{
        if (c->ssl)
                SSL_free(c->ssl);
        close(c->fd);
        free(c->in);
        free(c->out_owned);
        free(c);
}

static int conn_wait(int ep, Conn *c, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = c };

        if (c->events == events)
                return 0;
        c->events = events;
        return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void answer(Conn *c, const Answer *a, int kind)
{
        if (kind >= 0)
                atomic_fetch_add_explicit(&counts[kind], 1, memory_order_relaxed);
        c->out = a->bytes;
        c->out_len = a->len;
}

static void answer_counts(Conn *c)
{
        char body[512];
        size_t n = 0;
        Answer a;

        n += (size_t) snprintf(body + n, sizeof(body) - n, "{");
        for (int i = 0; i < _C_MAX; i++)
                n += (size_t) snprintf(body + n, sizeof(body) - n, "%s\"%s\": %lu", i ? ", " : "", count_names[i],
                                       atomic_load(&counts[i]));
        n += (size_t) snprintf(body + n, sizeof(body) - n, "}\n");
        a = make_answer(200, "OK", body, n);
        free(c->out_owned);
        c->out_owned = a.bytes;
        answer(c, &a, -1);
}

/* "/<tenant>/oauth2/v2.0/token" with a non-empty tenant and no other slash */
static bool is_token_path(const char *p, size_t n)
{
        static const char tail[] = "/oauth2/v2.0/token";
        const size_t tl = sizeof(tail) - 1;

        return n > tl + 1 && p[0] == '/' && !memcmp(p + n - tl, tail, tl) && !memchr(p + 1, '/', n - tl - 1);
}

static bool span_is(const char *p, size_t n, const char *s)
{
        return strlen(s) == n && !memcmp(p, s, n);
}

static bool span_has(const char *p, size_t n, const char *s)
{
        return memmem(p, n, s, strlen(s)) != NULL;
}

/* Header lines of a request head: a value, or NULL (its length in ret_len). */
static const char *header(const char *head, const char *end, const char *name, size_t *ret_len)
{
        size_t nl = strlen(name);

        for (const char *l = memchr(head, '\n', (size_t) (end - head)); l && l + 1 < end;
             l = memchr(l + 1, '\n', (size_t) (end - l - 1))) {
                const char *s = l + 1, *e = memchr(s, '\n', (size_t) (end - s));

                if (!e)
                        break;
                if ((size_t) (e - s) > nl && s[nl] == ':' && !strncasecmp(s, name, nl)) {
                        s += nl + 1;
                        while (s < e && (*s == ' ' || *s == '\t'))
                                s++;
                        while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                                e--;
                        *ret_len = (size_t) (e - s);
                        return s;
                }
        }
        return NULL;
}

/* One complete request of in[0..head_len + body_len): chooses the answer. */
static void route(Conn *c, const char *head, size_t head_len, const char *body, size_t body_len)
{
        const char *end = head + head_len, *sp1, *sp2, *v;
        size_t ml, pl, vl;

        sp1 = memchr(head, ' ', head_len);
        sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t) (end - sp1 - 1)) : NULL;
        if (!sp2) {
                c->close_after = true;
                answer(c, &stub.bad_request, C_BAD);
                return;
        }
        ml = (size_t) (sp1 - head);
        pl = (size_t) (sp2 - sp1 - 1);
        if (span_is(head, ml, "POST")) {
                if (stub.has_hunting && span_is(sp1 + 1, pl, "/v1.0/security/runHuntingQuery")) {
                        v = header(head, end, "Authorization", &vl);
                        if (!v || vl <= 7 || strncasecmp(v, "Bearer ", 7))
                                answer(c, &stub.unauthorized_graph, C_UNAUTHORIZED);
                        else if (!span_has(body, body_len, "\"Query\""))
                                answer(c, &stub.bad_query, C_BAD);
                        else {
                                const Answer *a = stub.hunting.bytes ? &stub.hunting : &stub.bad_query;
                                for (size_t i = 0; i < stub.n_hunts; i++)
                                        if (stub.hunts[i].body_len == body_len &&
                                            !memcmp(stub.hunts[i].body, body, body_len)) {
                                                a = &stub.hunts[i].answer;
                                                break;
                                        }
                                answer(c, a, a == &stub.bad_query ? C_BAD : C_HUNTING);
                        }
                        return;
                }
                if (is_token_path(sp1 + 1, pl)) {
                        if (!span_has(body, body_len, "grant_type=client_credentials"))
                                answer(c, &stub.bad_grant, C_BAD);
                        else
                                answer(c, &stub.token, C_TOKEN);
                        return;
                }
        } else if (span_is(head, ml, "GET")) {
                if (span_is(sp1 + 1, pl, "/__stub/counts")) {
                        answer_counts(c);
                        return;
                }
                for (size_t i = 0; i < stub.n_gets; i++) {
                        if (!span_is(sp1 + 1, pl, stub.gets[i].path))
                                continue;
                        v = header(head, end, "X-API-Key", &vl);
                        if (!v)
                                answer(c, &stub.unauthorized_key, C_UNAUTHORIZED);
                        else if (stub.api_key && !span_is(v, vl, stub.api_key))
                                answer(c, &stub.forbidden_key, C_UNAUTHORIZED);
                        else
                                answer(c, &stub.gets[i].answer, C_GET);
                        return;
                }
        }
        answer(c, &stub.not_found, C_NOT_FOUND);
}

/* Takes the next request out of the input if it is whole; false when more
 * input is needed (or an answer was chosen that closes the connection). */
static bool next_request(Conn *c)
{
        char *e = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        size_t head_len, body_len = 0, vl;
        const char *v;

        if (!e) {
                if (c->in_len > MAX_HEAD) {
                        c->close_after = true;
                        answer(c, &stub.bad_request, C_BAD);
                }
                return false;
        }
        head_len = (size_t) (e - c->in) + 4;
        if (header(c->in, c->in + head_len, "Transfer-Encoding", &vl)) {
                /* every client of the bench sends a Content-Length */
                c->close_after = true;
                answer(c, &stub.bad_request, C_BAD);
                return false;
        }
        v = header(c->in, c->in + head_len, "Content-Length", &vl);
        if (v) {
                char *stop;
                unsigned long long n = strtoull(v, &stop, 10);
                if (stop == v || n > MAX_BODY) {
                        c->close_after = true;
                        answer(c, &stub.bad_request, C_BAD);
                        return false;
                }
                body_len = (size_t) n;
        }
        if (c->in_len < head_len + body_len) {
                if (!c->continued && header(c->in, c->in + head_len, "Expect", &vl)) {
                        c->continued = true;
                        answer(c, &stub.go_on, -1);
                }
                return false;
        }
        v = header(c->in, c->in + head_len, "Connection", &vl);
        if (v && vl == 5 && !strncasecmp(v, "close", 5))
                c->close_after = true;
        route(c, c->in, head_len, c->in + head_len, body_len);
        c->continued = false;
        c->in_len -= head_len + body_len;
        memmove(c->in, c->in + head_len + body_len, c->in_len);
        return true;
}

/* Sends what is pending: 1 all sent, 0 wait for the socket, -1 close. */
static int flush(Conn *c)
{
        while (c->out_len) {
                int k = SSL_write(c->ssl, c->out, c->out_len > (1u << 30) ? 1 << 30 : (int) c->out_len);
                if (k <= 0)
                        return SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_WRITE ? 0 : -1;
                c->out += k;
                c->out_len -= (size_t) k;
        }
        return 1;
}

/* One read from the socket (with read-ahead, a whole request usually) and
 * what TLS holds already: 1 got some, 0 nothing there, -1 close.  One read
 * per wake-up: level-triggered epoll says when there is more, which spares
 * the read that would only say EAGAIN. */
static int fill(Conn *c)
{
        bool got = false;

        for (int i = 0; i < 64; i++) {
                int k;
                if (c->in_cap - c->in_len < 16384) {
                        if (c->in_cap >= MAX_HEAD + MAX_BODY + 65536)
                                return -1;
                        c->in_cap = c->in_cap ? c->in_cap * 2 : 32768;
                        c->in = realloc(c->in, c->in_cap);
                        if (!c->in)
                                abort();
                }
                k = SSL_read(c->ssl, c->in + c->in_len, (int) (c->in_cap - c->in_len));
                if (k <= 0)
                        return SSL_get_error(c->ssl, k) == SSL_ERROR_WANT_READ ? got : -1;
                c->in_len += (size_t) k;
                got = true;
                if (!SSL_has_pending(c->ssl))
                        break;
        }
        return 1;
}

/* Everything the connection can do now; false when it is to be closed. */
static bool conn_run(int ep, Conn *c)
{
        if (!c->ready) {
                int k = SSL_accept(c->ssl);
                if (k != 1) {
                        switch (SSL_get_error(c->ssl, k)) {
                        case SSL_ERROR_WANT_READ: return conn_wait(ep, c, EPOLLIN) == 0;
                        case SSL_ERROR_WANT_WRITE: return conn_wait(ep, c, EPOLLOUT) == 0;
                        default: return false;
                        }
                }
                c->ready = true;
        }
        /* an answer per round, so that a pipelining client cannot queue more than one */
        for (int round = 0, reads = 0; round < 1024; round++) {
                int r;
                if (c->out_len) {
                        r = flush(c);
                        if (r < 0)
                                return false;
                        if (r == 0)
                                return conn_wait(ep, c, EPOLLOUT) == 0;
                        if (c->close_after)
                                return false;
                }
                if (next_request(c) || c->out_len)
                        continue;
                if (reads++ > 0)
                        return conn_wait(ep, c, EPOLLIN) == 0;
                r = fill(c);
                if (r < 0)
                        return false;
                if (r == 0)
                        return conn_wait(ep, c, EPOLLIN) == 0;
        }
        /* a long pipeline: let the other connections have their turn */
        return conn_wait(ep, c, EPOLLIN | EPOLLOUT) == 0;
}

static void accept_some(int ep)
{
        for (int i = 0; i < MAX_ACCEPTS; i++) {
                int fd = accept4(stub.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;
                struct epoll_event ev = { .events = EPOLLIN };
                Conn *c;

                if (fd < 0)
                        return;
                atomic_fetch_add_explicit(&counts[C_CONNECTIONS], 1, memory_order_relaxed);
                (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c = calloc(1, sizeof(*c));
                if (!c)
                        abort();
                c->fd = fd;
                c->events = EPOLLIN;
                c->ssl = SSL_new(stub.ctx);
                ev.data.ptr = c;
                if (!c->ssl || !SSL_set_fd(c->ssl, fd) || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        conn_free(c);
                        continue;
                }
                SSL_set_accept_state(c->ssl);
        }
}

static void *worker(void *userdata)
{
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event evs[MAX_EVENTS], lev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL };

        (void) userdata;
        if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, stub.listen_fd, &lev) < 0) {
                perror("upstream_stub: epoll");
                exit(1);
        }
        for (;;) {
                int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
                for (int i = 0; i < n; i++) {
                        Conn *c = evs[i].data.ptr;
                        if (!c)
                                accept_some(ep);
                        else if (!conn_run(ep, c)) {
                                (void) epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                                conn_free(c);
                        }
                }
        }
        return NULL;
}

static void usage(void)
{
        fprintf(stderr, "usage: upstream_stub --cert PEM --key PEM --port-file FILE [--port N] [--threads N]\n"
                        "                     [--hunting FILE] [--hunting-for BODY=ANSWER]... [--get PATH=FILE]...\n"
                        "                     [--api-key KEY]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "cert", required_argument, NULL, 'c' },    { "key", required_argument, NULL, 'k' },
                { "port-file", required_argument, NULL, 'f' }, { "port", required_argument, NULL, 'p' },
                { "threads", required_argument, NULL, 't' }, { "hunting", required_argument, NULL, 'h' },
                { "get", required_argument, NULL, 'g' },     { "api-key", required_argument, NULL, 'a' },
                { "hunting-for", required_argument, NULL, 'H' },
                {},
        };
        const char *cert_file = NULL, *key_file = NULL, *port_file = NULL;
        long port = 0, threads = 2;
        struct sockaddr_in sa = { .sin_family = AF_INET };
        socklen_t sl = sizeof(sa);
        pthread_t tids[MAX_THREADS];
        sigset_t sigs;
        size_t len;
        FILE *pf;
        int o, sig, one = 1;

        while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 'c': cert_file = optarg; break;
                case 'k': key_file = optarg; break;
                case 'f': port_file = optarg; break;
                case 'p': port = strtol(optarg, NULL, 10); break;
                case 't': threads = strtol(optarg, NULL, 10); break;
                case 'a': stub.api_key = optarg; break;
                case 'h': {
                        char *body = must_read(optarg, &len);
                        stub.hunting = make_answer(200, "OK", body, len);
                        stub.has_hunting = true;
                        free(body);
                        break;
                }
                case 'H': {
                        char *eq = strchr(optarg, '='), *body;
                        Hunt *h = &stub.hunts[stub.n_hunts];
                        if (!eq || stub.n_hunts == MAX_GETS)
                                usage();
                        *eq = '\0';
                        h->body = must_read(optarg, &h->body_len);
                        body = must_read(eq + 1, &len);
                        h->answer = make_answer(200, "OK", body, len);
                        stub.n_hunts++;
                        stub.has_hunting = true;
                        free(body);
                        break;
                }
                case 'g': {
                        char *eq = strchr(optarg, '='), *body;
                        if (!eq || optarg[0] != '/' || stub.n_gets == MAX_GETS)
                                usage();
                        *eq = '\0';
                        body = must_read(eq + 1, &len);
                        stub.gets[stub.n_gets].path = optarg;
                        stub.gets[stub.n_gets++].answer = make_answer(200, "OK", body, len);
                        free(body);
                        break;
                }
                default: usage();
                }
        }
        if (!cert_file || !key_file || !port_file || optind != argc || port < 0 || port > 65535 || threads < 1 ||
            threads > MAX_THREADS)
                usage();

        /* the shapes of azuread_sim.py, msgraph_sim.py and spycloud_sim.py (API Gateway) */
        stub.token = make_json(200, "OK", "{\"token_type\": \"Bearer\", \"expires_in\": 3599, \"ext_expires_in\": "
                                          "3599, \"access_token\": \"stub.eyJzdHViIjp0cnVlfQ.stub\"}");
        stub.bad_grant = make_json(400, "Bad Request", "{\"error\": \"invalid_request\", \"error_description\": "
                                                       "\"AADSTS900144: The request body must contain the "
                                                       "following parameter: 'grant_type'.\", \"error_codes\": "
                                                       "[900144]}");
        stub.unauthorized_graph = make_json(401, "Unauthorized", "{\"error\": {\"code\": "
                                                                 "\"InvalidAuthenticationToken\", \"message\": "
                                                                 "\"Access token is empty.\"}}");
        stub.bad_query = make_json(400, "Bad Request", "{\"error\": {\"code\": \"BadRequest\", \"message\": "
                                                       "\"The query is missing.\"}}");
        stub.unauthorized_key = make_json(401, "Unauthorized", "{\"message\": \"Unauthorized\"}");
        stub.forbidden_key = make_json(403, "Forbidden", "{\"message\": \"Forbidden\"}");
        stub.bad_request = make_json(400, "Bad Request", "{\"error\": \"bad request\"}");
        stub.not_found = make_json(404, "Not Found", "{\"error\": \"not found\"}");
        stub.go_on = (Answer) { .bytes = "HTTP/1.1 100 Continue\r\n\r\n", .len = 25 };

        stub.ctx = SSL_CTX_new(TLS_server_method());
        if (!stub.ctx || SSL_CTX_use_certificate_chain_file(stub.ctx, cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(stub.ctx, key_file, SSL_FILETYPE_PEM) != 1) {
                fprintf(stderr, "upstream_stub: cannot load '%s' and '%s'\n", cert_file, key_file);
                ERR_print_errors_fp(stderr);
                return 1;
        }
        SSL_CTX_set_mode(stub.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        /* whole records in one read(), not a header and then a body */
        SSL_CTX_set_read_ahead(stub.ctx, 1);

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons((uint16_t) port);
        stub.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (stub.listen_fd < 0 || setsockopt(stub.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(stub.listen_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(stub.listen_fd, 1024) < 0 ||
            getsockname(stub.listen_fd, (struct sockaddr *) &sa, &sl) < 0) {
                perror("upstream_stub: listen");
                return 1;
        }

        /* blocked before the threads start, so that they inherit it and main takes the signal */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        for (long i = 0; i < threads; i++)
                if (pthread_create(&tids[i], NULL, worker, NULL) != 0)
                        abort();

        /* the port file last: once it exists, the stub answers */
        pf = fopen(port_file, "we");
        if (!pf || fprintf(pf, "%u\n", (unsigned) ntohs(sa.sin_port)) < 0 || fclose(pf) != 0) {
                fprintf(stderr, "upstream_stub: cannot write '%s'\n", port_file);
                return 1;
        }
        (void) sigwait(&sigs, &sig);
        return 0;
}
