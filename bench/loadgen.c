/* SPDX-License-Identifier: MIT */
/* loadgen: a small closed-loop HTTP/1.1 load generator for the relay
 * benchmark (bench/relay.sh).  CONNS threads, each with one keep-alive
 * connection (plain or TLS, verified against a CA file), send the same
 * request one after the other until TOTAL requests were sent or SECONDS
 * passed, and time each answer.  Loopback only.  Prints one JSON object:
 * requests, ok (status 200 and, with -e, the body holds the text), errors,
 * seconds, rps, p50/p90/p99/max latency in ms.
 *
 *   cc -O2 -o loadgen bench/loadgen.c -lssl -lcrypto -lpthread
 *   loadgen [-s -k CA] -p PORT -m METHOD -u PATH [-b BODYFILE] [-H 'Name: v']...
 *           [-c CONNS] [-n TOTAL] [-t SECONDS] [-w WARMUP] [-e TEXT] [-S STATUS]
 * (-S: the status of a good answer, default 200)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define MAX_CONNS 256
#define MAX_HEADERS 16
#define MAX_TOTAL 10000000L
#define MAX_SECONDS 600

static struct {
        int port, ok_status;
        const char *method, *path, *expect;
        char *body;
        size_t body_len;
        const char *headers[MAX_HEADERS];
        int n_headers;
        int conns;
        long total, warmup;
        double seconds;
        bool tls;
        SSL_CTX *ctx;
        char *request;
        size_t request_len;
} arg = { .method = "GET", .path = "/", .conns = 1, .total = 1000, .seconds = 10, .ok_status = 200 };

static atomic_long next_request;
static double deadline;

typedef struct Worker {
        pthread_t thread;
        double *lat;
        size_t n_lat, cap_lat;
        long ok, errors;
} Worker;

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct Conn {
        int fd;
        SSL *ssl;
} Conn;

static void conn_close(Conn *c)
{
        if (c->ssl) {
                SSL_free(c->ssl);
                c->ssl = NULL;
        }
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

static int conn_open(Conn *c)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) arg.port) };
        int one = 1;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -errno;
        (void) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                conn_close(c);
                return r;
        }
        if (arg.tls) {
                c->ssl = SSL_new(arg.ctx);
                if (!c->ssl || !SSL_set_fd(c->ssl, c->fd) || !SSL_set_tlsext_host_name(c->ssl, "localhost") ||
                    !SSL_set1_host(c->ssl, "127.0.0.1") || SSL_connect(c->ssl) != 1) {
                        conn_close(c);
                        return -EPROTO;
                }
        }
        return 0;
}

static ssize_t conn_write(Conn *c, const char *p, size_t n)
{
        size_t done = 0;

        while (done < n) {
                ssize_t k = c->ssl ? SSL_write(c->ssl, p + done, (int) (n - done)) : write(c->fd, p + done, n - done);
                if (k <= 0)
                        return -1;
                done += (size_t) k;
        }
        return (ssize_t) done;
}

static ssize_t conn_read(Conn *c, char *p, size_t n)
{
        return c->ssl ? SSL_read(c->ssl, p, (int) n) : read(c->fd, p, n);
}

/* One answer: 0 and its status, or -1 (the connection is then unusable). */
static int read_answer(Conn *c, char **buf, size_t *cap, int *ret_status, bool *ret_close, bool *ret_match)
{
        size_t len = 0, head = 0, want;
        long clen = -1;
        char *e;

        for (;;) {
                ssize_t k;
                if (len + 4096 > *cap) {
                        *cap = (*cap + 4096) * 2;
                        *buf = realloc(*buf, *cap);
                        if (!*buf)
                                abort();
                }
                k = conn_read(c, *buf + len, *cap - len - 1);
                if (k <= 0)
                        return -1;
                len += (size_t) k;
                (*buf)[len] = '\0';
                e = strstr(*buf, "\r\n\r\n");
                if (e) {
                        head = (size_t) (e - *buf) + 4;
                        break;
                }
        }
        if (sscanf(*buf, "HTTP/1.%*d %d", ret_status) != 1)
                return -1;
        *ret_close = false;
        for (char *l = strstr(*buf, "\r\n"); l && (size_t) (l - *buf) < head - 2; l = strstr(l + 2, "\r\n")) {
                if (!strncasecmp(l + 2, "Content-Length:", 15))
                        clen = strtol(l + 17, NULL, 10);
                else if (!strncasecmp(l + 2, "Connection: close", 17))
                        *ret_close = true;
        }
        if (clen < 0)
                return -1;
        want = head + (size_t) clen;
        while (len < want) {
                ssize_t k;
                if (want + 1 > *cap) {
                        *cap = want + 1;
                        *buf = realloc(*buf, *cap);
                        if (!*buf)
                                abort();
                }
                k = conn_read(c, *buf + len, want - len);
                if (k <= 0)
                        return -1;
                len += (size_t) k;
        }
        (*buf)[len] = '\0';
        *ret_match = !arg.expect || strstr(*buf + head, arg.expect);
        return 0;
}

static void *work(void *userdata)
{
        Worker *w = userdata;
        Conn c = { .fd = -1 };
        size_t cap = 65536;
        char *buf = malloc(cap);

        if (!buf)
                abort();
        for (;;) {
                long i = atomic_fetch_add(&next_request, 1);
                double t0, t1;
                int status = 0;
                bool close_it = false, match = false;

                if (i >= arg.total + arg.warmup || now_s() > deadline)
                        break;
                if (c.fd < 0 && conn_open(&c) < 0) {
                        w->errors++;
                        usleep(1000);
                        continue;
                }
                t0 = now_s();
                if (conn_write(&c, arg.request, arg.request_len) < 0 ||
                    read_answer(&c, &buf, &cap, &status, &close_it, &match) < 0) {
                        conn_close(&c);
                        if (i >= arg.warmup)
                                w->errors++;
                        continue;
                }
                t1 = now_s();
                if (close_it)
                        conn_close(&c);
                if (i < arg.warmup)
                        continue;
                if (status == arg.ok_status && match)
                        w->ok++;
                else
                        w->errors++;
                if (w->n_lat == w->cap_lat) {
                        w->cap_lat = w->cap_lat ? w->cap_lat * 2 : 1024;
                        w->lat = realloc(w->lat, w->cap_lat * sizeof(double));
                        if (!w->lat)
                                abort();
                }
                w->lat[w->n_lat++] = (t1 - t0) * 1000.0;
        }
        conn_close(&c);
        free(buf);
        return NULL;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;

        return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
        size_t i;

        if (n == 0)
                return 0;
        i = (size_t) (p / 100.0 * (double) (n - 1) + 0.5);
        return v[i < n ? i : n - 1];
}

static void usage(void)
{
        fprintf(stderr, "usage: loadgen [-s -k CA] -p PORT [-m METHOD] [-u PATH] [-b BODYFILE] [-H HEADER]... "
                        "[-c CONNS] [-n TOTAL] [-t SECONDS] [-w WARMUP] [-e TEXT] [-S STATUS]\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *ca = NULL;
        Worker *workers;
        double *all, t_start, t_end;
        size_t n_all = 0;
        long ok = 0, errors = 0;
        FILE *f;
        int o;

        while ((o = getopt(argc, argv, "sk:p:m:u:b:H:c:n:t:w:e:S:")) != -1) {
                switch (o) {
                case 's': arg.tls = true; break;
                case 'k': ca = optarg; break;
                case 'p': arg.port = atoi(optarg); break;
                case 'm': arg.method = optarg; break;
                case 'u': arg.path = optarg; break;
                case 'b': {
                        FILE *bf = fopen(optarg, "re");
                        long n;
                        if (!bf || fseek(bf, 0, SEEK_END) < 0 || (n = ftell(bf)) < 0 || fseek(bf, 0, SEEK_SET) < 0)
                                usage();
                        arg.body = malloc((size_t) n + 1);
                        if (!arg.body || fread(arg.body, 1, (size_t) n, bf) != (size_t) n)
                                usage();
                        arg.body_len = (size_t) n;
                        fclose(bf);
                        break;
                }
                case 'H':
                        if (arg.n_headers == MAX_HEADERS)
                                usage();
                        arg.headers[arg.n_headers++] = optarg;
                        break;
                case 'c': arg.conns = atoi(optarg); break;
                case 'n': arg.total = atol(optarg); break;
                case 't': arg.seconds = atof(optarg); break;
                case 'w': arg.warmup = atol(optarg); break;
                case 'e': arg.expect = optarg; break;
                case 'S': arg.ok_status = atoi(optarg); break;
                default: usage();
                }
        }
        /* bounded in count and time, by construction */
        if (arg.port <= 0 || arg.port > 65535 || arg.conns < 1 || arg.conns > MAX_CONNS || arg.total < 1 ||
            arg.total > MAX_TOTAL || arg.seconds <= 0 || arg.seconds > MAX_SECONDS || arg.warmup < 0 ||
            arg.warmup > MAX_TOTAL)
                usage();
        if (arg.tls) {
                arg.ctx = SSL_CTX_new(TLS_client_method());
                if (!arg.ctx || !ca || SSL_CTX_load_verify_locations(arg.ctx, ca, NULL) != 1) {
                        fprintf(stderr, "loadgen: cannot load the CA file\n");
                        return 1;
                }
                SSL_CTX_set_verify(arg.ctx, SSL_VERIFY_PEER, NULL);
        }
        f = open_memstream(&arg.request, &arg.request_len);
        if (!f)
                abort();
        fprintf(f, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", arg.method, arg.path, arg.port);
        for (int i = 0; i < arg.n_headers; i++)
                fprintf(f, "%s\r\n", arg.headers[i]);
        if (arg.body || strcmp(arg.method, "GET"))
                fprintf(f, "Content-Length: %zu\r\n", arg.body_len);
        fputs("\r\n", f);
        if (arg.body)
                fwrite(arg.body, 1, arg.body_len, f);
        fclose(f);

        workers = calloc((size_t) arg.conns, sizeof(Worker));
        if (!workers)
                abort();
        t_start = now_s();
        deadline = t_start + arg.seconds;
        for (int i = 0; i < arg.conns; i++)
                if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0)
                        abort();
        for (int i = 0; i < arg.conns; i++)
                pthread_join(workers[i].thread, NULL);
        t_end = now_s();

        for (int i = 0; i < arg.conns; i++)
                n_all += workers[i].n_lat;
        all = malloc((n_all ? n_all : 1) * sizeof(double));
        if (!all)
                abort();
        n_all = 0;
        for (int i = 0; i < arg.conns; i++) {
                memcpy(all + n_all, workers[i].lat, workers[i].n_lat * sizeof(double));
                n_all += workers[i].n_lat;
                ok += workers[i].ok;
                errors += workers[i].errors;
                free(workers[i].lat);
        }
        qsort(all, n_all, sizeof(double), cmp_double);
        printf("{\"requests\": %zu, \"ok\": %ld, \"errors\": %ld, \"seconds\": %.3f, \"rps\": %.1f, "
               "\"p50_ms\": %.3f, \"p90_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f}\n",
               n_all, ok, errors, t_end - t_start, (double) n_all / (t_end - t_start), pct(all, n_all, 50),
               pct(all, n_all, 90), pct(all, n_all, 99), n_all ? all[n_all - 1] : 0.0);
        free(all);
        free(workers);
        free(arg.request);
        free(arg.body);
        if (arg.ctx)
                SSL_CTX_free(arg.ctx);
        return errors > 0 && ok == 0 ? 1 : 0;
}
