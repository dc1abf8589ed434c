/* SPDX-License-Identifier: MIT */
/* upstream_stub: a cheap HTTPS upstream for the relay benchmark
 * (bench/relay.sh), standing in for the Python simulators of Azure AD,
 * Microsoft Graph and SpyCloud, which cost 0.6-0.7 ms of CPU per request and
 * so measured themselves instead of the relay.  Every answer is canned: the
 * bench captures the bodies once from the Python simulators, so the stub
 * stays right for whatever query the relay sends, and does no work per
 * request beyond HTTP, TLS and a header check.  libmicrohttpd (GnuTLS on
 * Debian) with keep-alive and TCP_NODELAY, on loopback only.
 *
 *   POST /<tenant>/oauth2/v2.0/token    a client-credentials form -> an access token
 *                                       (azuread_sim.py's shape; the token is not checked later)
 *   POST /v1.0/security/runHuntingQuery "Authorization: Bearer <token>" (401 without)
 *                                       and a {"Query": ...} body -> the --hunting FILE
 *   GET  PATH of a --get PATH=FILE      "X-API-Key: <key>" (401 without, 403 for another
 *                                       key than --api-key) -> FILE
 *   GET  /__stub/counts                 answers by kind, as JSON
 *
 *   cc -O2 -o upstream_stub bench/relay/upstream_stub.c $(pkg-config --cflags --libs libmicrohttpd)
 *   upstream_stub --cert PEM --key PEM --port-file FILE [--port N] [--threads N]
 *                 [--hunting FILE] [--get PATH=FILE]... [--api-key KEY]
 * Runs until SIGINT or SIGTERM.
 */
#define _GNU_SOURCE
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
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>

#define MAX_GETS 64
#define MAX_FILE (16 << 20)
#define MAX_UPLOAD (1 << 20)

enum { C_TOKEN, C_HUNTING, C_GET, C_UNAUTHORIZED, C_BAD, C_NOT_FOUND, _C_MAX };
static const char *const count_names[_C_MAX] = { "token", "hunting", "get", "unauthorized", "bad_request",
                                                 "not_found" };
static atomic_ulong counts[_C_MAX];

typedef struct Canned {
        char *path;
        struct MHD_Response *resp;
} Canned;

static struct {
        Canned gets[MAX_GETS];
        size_t n_gets;
        struct MHD_Response *hunting, *token, *unauthorized_graph, *unauthorized_key, *forbidden_key,
                *bad_query, *bad_grant, *not_found;
        const char *api_key;
} stub;

/* The upload of one request, kept only as far as the checks need it. */
typedef struct Upload {
        char *data;
        size_t len;
        bool too_big;
} Upload;

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

/* A response kept for the whole run: MHD counts its uses, so one object
 * serves every request of every thread. */
static struct MHD_Response *canned(const char *body, size_t len, bool owned)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *) body,
                                                                  owned ? MHD_RESPMEM_MUST_FREE
                                                                        : MHD_RESPMEM_PERSISTENT);

        if (!r || MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") != MHD_YES)
                abort();
        return r;
}

static struct MHD_Response *canned_text(const char *body)
{
        return canned(body, strlen(body), false);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r, int kind)
{
        atomic_fetch_add_explicit(&counts[kind], 1, memory_order_relaxed);
        return MHD_queue_response(conn, status, r);
}

static enum MHD_Result answer_counts(struct MHD_Connection *conn)
{
        char buf[512];
        size_t n = 0;
        struct MHD_Response *r;
        enum MHD_Result ret;

        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "{");
        for (int i = 0; i < _C_MAX; i++)
                n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%s\"%s\": %lu", i ? ", " : "", count_names[i],
                                       atomic_load(&counts[i]));
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "}\n");
        r = MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_MUST_COPY);
        if (!r)
                return MHD_NO;
        ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
}

/* "/<tenant>/oauth2/v2.0/token" with a non-empty tenant and no other slash */
static bool is_token_path(const char *url)
{
        static const char tail[] = "/oauth2/v2.0/token";
        const char *s;

        if (url[0] != '/')
                return false;
        s = strchr(url + 1, '/');
        return s && s > url + 1 && !strcmp(s, tail);
}

static bool has_bearer(struct MHD_Connection *conn)
{
        const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);

        return a && !strncasecmp(a, "Bearer ", 7) && a[7] && a[7] != ' ';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_len, void **req_cls)
{
        Upload *up = *req_cls;

        (void) cls;
        (void) version;
        if (!strcmp(method, MHD_HTTP_METHOD_POST)) {
                /* MHD hands the body over in pieces, then calls once more with none */
                if (!up) {
                        up = calloc(1, sizeof(*up));
                        if (!up)
                                return MHD_NO;
                        *req_cls = up;
                        return MHD_YES;
                }
                if (*data_len) {
                        if (up->len + *data_len > MAX_UPLOAD)
                                up->too_big = true;
                        else {
                                char *p = realloc(up->data, up->len + *data_len + 1);
                                if (!p)
                                        return MHD_NO;
                                memcpy(p + up->len, data, *data_len);
                                up->data = p;
                                up->len += *data_len;
                                up->data[up->len] = '\0';
                        }
                        *data_len = 0;
                        return MHD_YES;
                }
                if (stub.hunting && !strcmp(url, "/v1.0/security/runHuntingQuery")) {
                        if (!has_bearer(conn))
                                return answer(conn, MHD_HTTP_UNAUTHORIZED, stub.unauthorized_graph, C_UNAUTHORIZED);
                        if (up->too_big || !up->data || !strstr(up->data, "\"Query\""))
                                return answer(conn, MHD_HTTP_BAD_REQUEST, stub.bad_query, C_BAD);
                        return answer(conn, MHD_HTTP_OK, stub.hunting, C_HUNTING);
                }
                if (is_token_path(url)) {
                        if (up->too_big || !up->data || !strstr(up->data, "grant_type=client_credentials"))
                                return answer(conn, MHD_HTTP_BAD_REQUEST, stub.bad_grant, C_BAD);
                        return answer(conn, MHD_HTTP_OK, stub.token, C_TOKEN);
                }
                return answer(conn, MHD_HTTP_NOT_FOUND, stub.not_found, C_NOT_FOUND);
        }
        if (!strcmp(method, MHD_HTTP_METHOD_GET)) {
                const char *key;

                if (!strcmp(url, "/__stub/counts"))
                        return answer_counts(conn);
                for (size_t i = 0; i < stub.n_gets; i++) {
                        if (strcmp(url, stub.gets[i].path))
                                continue;
                        key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-API-Key");
                        if (!key)
                                return answer(conn, MHD_HTTP_UNAUTHORIZED, stub.unauthorized_key, C_UNAUTHORIZED);
                        if (stub.api_key && strcmp(key, stub.api_key))
                                return answer(conn, MHD_HTTP_FORBIDDEN, stub.forbidden_key, C_UNAUTHORIZED);
                        return answer(conn, MHD_HTTP_OK, stub.gets[i].resp, C_GET);
                }
        }
        return answer(conn, MHD_HTTP_NOT_FOUND, stub.not_found, C_NOT_FOUND);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
        Upload *up = *req_cls;

        (void) cls;
        (void) conn;
        (void) toe;
        if (up) {
                free(up->data);
                free(up);
                *req_cls = NULL;
        }
}

/* Nagle would hold a small answer until the client's delayed ACK. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
        const union MHD_ConnectionInfo *ci;
        int one = 1;

        (void) cls;
        (void) socket_context;
        if (toe != MHD_CONNECTION_NOTIFY_STARTED)
                return;
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci)
                (void) setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void usage(void)
{
        fprintf(stderr, "usage: upstream_stub --cert PEM --key PEM --port-file FILE [--port N] [--threads N]\n"
                        "                     [--hunting FILE] [--get PATH=FILE]... [--api-key KEY]\n");
        exit(2);
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

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "cert", required_argument, NULL, 'c' },    { "key", required_argument, NULL, 'k' },
                { "port-file", required_argument, NULL, 'f' }, { "port", required_argument, NULL, 'p' },
                { "threads", required_argument, NULL, 't' }, { "hunting", required_argument, NULL, 'h' },
                { "get", required_argument, NULL, 'g' },     { "api-key", required_argument, NULL, 'a' },
                {},
        };
        const char *cert_file = NULL, *key_file = NULL, *port_file = NULL;
        char *cert, *key;
        size_t len;
        long port = 0, threads = 2;
        struct sockaddr_in sa = { .sin_family = AF_INET };
        struct MHD_Daemon *d;
        const union MHD_DaemonInfo *di;
        sigset_t sigs;
        FILE *pf;
        int o, sig;

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
                        stub.hunting = canned(body, len, true);
                        break;
                }
                case 'g': {
                        char *eq = strchr(optarg, '='), *body;
                        if (!eq || optarg[0] != '/' || stub.n_gets == MAX_GETS)
                                usage();
                        *eq = '\0';
                        body = must_read(eq + 1, &len);
                        stub.gets[stub.n_gets].path = optarg;
                        stub.gets[stub.n_gets++].resp = canned(body, len, true);
                        break;
                }
                default: usage();
                }
        }
        if (!cert_file || !key_file || !port_file || optind != argc || port < 0 || port > 65535 || threads < 1 ||
            threads > 16)
                usage();
        cert = must_read(cert_file, &len);
        key = must_read(key_file, &len);

        /* the shapes of azuread_sim.py, msgraph_sim.py and spycloud_sim.py (API Gateway) */
        stub.token = canned_text("{\"token_type\": \"Bearer\", \"expires_in\": 3599, \"ext_expires_in\": 3599, "
                                 "\"access_token\": \"stub.eyJzdHViIjp0cnVlfQ.stub\"}");
        stub.bad_grant = canned_text("{\"error\": \"invalid_request\", \"error_description\": \"AADSTS900144: The "
                                     "request body must contain the following parameter: 'grant_type'.\", "
                                     "\"error_codes\": [900144]}");
        stub.unauthorized_graph = canned_text("{\"error\": {\"code\": \"InvalidAuthenticationToken\", "
                                              "\"message\": \"Access token is empty.\"}}");
        stub.bad_query = canned_text("{\"error\": {\"code\": \"BadRequest\", \"message\": \"The query is "
                                     "missing.\"}}");
        stub.unauthorized_key = canned_text("{\"message\": \"Unauthorized\"}");
        stub.forbidden_key = canned_text("{\"message\": \"Forbidden\"}");
        stub.not_found = canned_text("{\"error\": \"not found\"}");

        /* blocked before MHD starts its threads, so they inherit it and main takes the signal */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons((uint16_t) port);
        d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
                                     MHD_USE_ERROR_LOG,
                             0, NULL, NULL, on_request, NULL,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                             MHD_OPTION_HTTPS_MEM_CERT, cert,
                             MHD_OPTION_HTTPS_MEM_KEY, key,
                             MHD_OPTION_THREAD_POOL_SIZE, (unsigned) threads,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned) 1024,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 120,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                             MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
                             MHD_OPTION_END);
        if (!d) {
                fprintf(stderr, "upstream_stub: cannot start the HTTPS server\n");
                return 1;
        }
        di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        pf = fopen(port_file, "we");
        if (!di || !pf || fprintf(pf, "%u\n", (unsigned) di->port) < 0 || fclose(pf) != 0) {
                fprintf(stderr, "upstream_stub: cannot write '%s'\n", port_file);
                return 1;
        }

        (void) sigwait(&sigs, &sig);
        MHD_stop_daemon(d);
        free(cert);
        free(key);
        return 0;
}
