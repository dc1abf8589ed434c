/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <uv.h>
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/summary_send.h"
#include "engine/summary.h"

#define SYSLOG_TIMEOUT_MS 10000
/* the events of a cycle are near the end of the table: stop reading back
 * this long before the cycle's start (clock steps, slow first events) */
#define EVENTS_SLACK_S 60
#define SUMMARY_MAX_LINES 1000

typedef struct Job Job;

struct SummarySender {
        uv_loop_t *loop;
        HttpClient *http;
        Store *store;
        const Config *cfg;
        Job *jobs;                      /* in flight */
        /* per source, the newest event already reported: a cycle's summary
         * holds what happened since the previous one, nothing twice */
        struct Mark {
                char *source;
                int64_t last_id;
        } *marks;
        size_t n_marks;
        void (*flush_cb)(void *userdata);
        void *flush_userdata;
        bool freeing;
};

typedef void (*JobDone)(Job *j, const char *error);

/* One e-mail or one syslog delivery. */
struct Job {
        SummarySender *s;
        Job *next;
        char **msgs;                    /* syslog: messages, without the NUL */
        size_t n_msgs;
        char *what;                     /* for the log: "syslog 192.0.2.1:514/tcp" */
        HttpRequest *req;               /* e-mail */
        uv_getaddrinfo_t gai;
        bool gai_running;
        union {
                uv_handle_t handle;
                uv_tcp_t tcp;
                uv_udp_t udp;
        } sock;
        bool sock_open;
        uv_connect_t connect;
        uv_write_t write;
        uv_udp_send_t *sends;
        size_t sends_left;
        uv_buf_t *bufs;
        uv_timer_t timer;
        bool timer_open;
        int closing;                    /* handles still to close */
        bool finished;
        JobDone done;
        void *userdata;                 /* test: the TestCtx */
};

static void job_unlink(Job *j)
{
        for (Job **pp = &j->s->jobs; *pp; pp = &(*pp)->next)
                if (*pp == j) {
                        *pp = j->next;
                        break;
                }
}

static void maybe_flushed(SummarySender *s)
{
        if (s->jobs)
                return;
        if (s->flush_cb) {
                void (*cb)(void *) = s->flush_cb;
                s->flush_cb = NULL;
                cb(s->flush_userdata);
        }
        if (s->freeing)
                free(s);
}

static void job_free(Job *j)
{
        SummarySender *s = j->s;

        for (size_t i = 0; i < j->n_msgs; i++)
                free(j->msgs[i]);
        free(j->msgs);
        free(j->what);
        free(j->sends);
        free(j->bufs);
        job_unlink(j);
        free(j);
        maybe_flushed(s);
}

static void on_job_handle_closed(uv_handle_t *h)
{
        Job *j = h->data;

        /* a resolution being cancelled still calls back: it frees then */
        if (--j->closing == 0 && !j->gai_running)
                job_free(j);
}

/* Reports once, then closes what is open; the job goes when all is closed. */
static void job_finish(Job *j, const char *error)
{
        if (j->finished)
                return;
        j->finished = true;
        if (error)
                log_warning("summary: %s: %s", j->what, error);
        else
                log_debug("summary: %s: sent", j->what);
        if (j->done)
                j->done(j, error);
        if (j->gai_running)
                (void) uv_cancel((uv_req_t *) &j->gai);
        j->closing = 1;                 /* this function's own reference */
        if (j->timer_open) {
                j->closing++;
                uv_close((uv_handle_t *) &j->timer, on_job_handle_closed);
        }
        if (j->sock_open && !uv_is_closing(&j->sock.handle)) {
                j->closing++;
                uv_close(&j->sock.handle, on_job_handle_closed);
        }
        if (--j->closing == 0 && !j->gai_running)
                job_free(j);
}

static Job *job_new(SummarySender *s, const char *what, JobDone done, void *userdata)
{
        Job *j = xnew(Job, 1);

        j->s = s;
        j->done = done;
        j->userdata = userdata;
        j->what = xstrdup(what);
        j->next = s->jobs;
        s->jobs = j;
        return j;
}

/* ---- syslog -------------------------------------------------------------------- */

static void on_job_timeout(uv_timer_t *t)
{
        job_finish(t->data, "timed out");
}

static void on_tcp_written(uv_write_t *w, int status)
{
        Job *j = w->data;

        job_finish(j, status < 0 ? uv_strerror(status) : NULL);
}

static void on_tcp_connected(uv_connect_t *c, int status)
{
        Job *j = c->data;
        int r;

        if (j->finished)
                return;
        if (status < 0) {
                job_finish(j, uv_strerror(status));
                return;
        }
        j->write.data = j;
        r = uv_write(&j->write, (uv_stream_t *) &j->sock.tcp, j->bufs, (unsigned) j->n_msgs, on_tcp_written);
        if (r < 0)
                job_finish(j, uv_strerror(r));
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
        Job *j = req->data;

        if (status < 0 && !j->finished)
                job_finish(j, uv_strerror(status));
        if (--j->sends_left == 0 && !j->finished)
                job_finish(j, NULL);
}

static void on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *ai)
{
        Job *j = g->data;
        int r;

        j->gai_running = false;
        if (j->finished) {
                /* cancelled: finish() left the freeing to us */
                uv_freeaddrinfo(ai);
                if (j->closing == 0)
                        job_free(j);
                return;
        }
        if (status < 0) {
                job_finish(j, uv_strerror(status));
                uv_freeaddrinfo(ai);
                return;
        }
        if (j->s->cfg->summary.syslog.protocol == 0) {
                uv_tcp_init(j->s->loop, &j->sock.tcp);
                j->sock.handle.data = j;
                j->sock_open = true;
                j->connect.data = j;
                r = uv_tcp_connect(&j->connect, &j->sock.tcp, ai->ai_addr, on_tcp_connected);
        } else {
                uv_udp_init(j->s->loop, &j->sock.udp);
                j->sock.handle.data = j;
                j->sock_open = true;
                j->sends = xnew(uv_udp_send_t, j->n_msgs);
                r = 0;
                for (size_t i = 0; i < j->n_msgs && r == 0; i++) {
                        j->sends[i].data = j;
                        r = uv_udp_send(&j->sends[i], &j->sock.udp, &j->bufs[i], 1, ai->ai_addr, on_udp_sent);
                        if (r == 0)
                                j->sends_left++;
                }
        }
        uv_freeaddrinfo(ai);
        if (r < 0)
                job_finish(j, uv_strerror(r));
}

/* Takes the messages.  Each goes out with a trailing NUL, as VAR's Python
 * SysLogHandler sends it (on TCP the NUL is the frame delimiter). */
static void syslog_send(SummarySender *s, char **msgs, size_t n, JobDone done, void *userdata)
{
        const Config *c = s->cfg;
        _cleanup_free_ char *what = xasprintf("syslog %s:%lld/%s", c->summary.syslog.server,
                                              (long long) c->summary.syslog.port,
                                              c->summary.syslog.protocol == 0 ? "tcp" : "udp");
        Job *j = job_new(s, what, done, userdata);
        char port[8];
        int r;

        j->msgs = msgs;
        j->n_msgs = n;
        j->bufs = xnew(uv_buf_t, n);
        for (size_t i = 0; i < n; i++)
                j->bufs[i] = uv_buf_init(msgs[i], (unsigned) strlen(msgs[i]) + 1);
        uv_timer_init(s->loop, &j->timer);
        j->timer.data = j;
        j->timer_open = true;
        uv_timer_start(&j->timer, on_job_timeout, SYSLOG_TIMEOUT_MS, 0);
        snprintf(port, sizeof(port), "%lld", (long long) c->summary.syslog.port);
        j->gai.data = j;
        j->gai_running = true;
        r = uv_getaddrinfo(s->loop, &j->gai, on_resolved, c->summary.syslog.server, port,
                           &(struct addrinfo) { .ai_socktype = c->summary.syslog.protocol == 0 ? SOCK_STREAM :
                                                                                                   SOCK_DGRAM });
        if (r < 0) {
                j->gai_running = false;
                job_finish(j, uv_strerror(r));
        }
}

/* ---- e-mail -------------------------------------------------------------------- */

static void on_mail_sent(const HttpResponse *resp, void *userdata)
{
        Job *j = userdata;
        _cleanup_free_ char *why = NULL;

        j->req = NULL;
        if (resp->r < 0 || resp->curl_code != 0)
                why = xasprintf("%s", resp->error && resp->error[0] ? resp->error : strerror(-resp->r));
        job_finish(j, why);
}

static void mail_send(SummarySender *s, const char *message, JobDone done, void *userdata)
{
        const Config *c = s->cfg;
        bool implicit = c->summary.email.tls == 3;
        _cleanup_free_ char *url = xasprintf("%s://%s:%lld", implicit ? "smtps" : "smtp", c->summary.email.server,
                                             (long long) c->summary.email.port);
        _cleanup_free_ char *what = xasprintf("e-mail through %s", url);
        Job *j = job_new(s, what, done, userdata);
        HttpMail m = {
                .from = c->summary.email.from,
                .to = (const char *const *) c->summary.email.to,
                .user = c->summary.email.user,
                .password = c->summary.email.password.value,
                .tls = c->summary.email.tls == 1 ? HTTP_MAIL_TLS_REQUIRED :
                       c->summary.email.tls == 2 ? HTTP_MAIL_TLS_NONE : HTTP_MAIL_TLS_TRY,
        };
        /* a refused message is not sent twice: one attempt, as VAR */
        RetryPolicy once = { .max_attempts = 1, .base_ms = 1, .max_ms = 1 };
        int r;

        if (!s->http) {
                job_finish(j, "no HTTP client");
                return;
        }
        r = http_request_start(s->http, &(HttpRequestOptions) {
                        .url = url,
                        .body = message,
                        .body_len = strlen(message),
                        .retry = &once,
                        .mail = &m,
                        .cb = on_mail_sent,
                        .userdata = j,
                }, &j->req);
        if (r < 0) {
                j->req = NULL;
                job_finish(j, strerror(-r));
        }
}

static char *rfc5322_date(void)
{
        char buf[64];
        time_t t = time(NULL);
        struct tm tm;

        /* English names whatever the locale: the C locale's %a and %b */
        static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        gmtime_r(&t, &tm);
        snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        return xstrdup(buf);
}

/* ---- the sender ------------------------------------------------------------------ */

int summary_sender_new(uv_loop_t *loop, HttpClient *http, Store *store, const Config *cfg, SummarySender **ret)
{
        SummarySender *s;

        *ret = NULL;
        if (!cfg->summary.email.server && !cfg->summary.syslog.server)
                return 0;
        s = xnew(SummarySender, 1);
        s->loop = loop;
        s->http = http;
        s->store = store;
        s->cfg = cfg;
        *ret = s;
        return 0;
}

static void send_summary(SummarySender *s, const Summary *sum)
{
        const Config *c = s->cfg;

        if (c->summary.email.server) {
                _cleanup_free_ char *date = rfc5322_date();
                _cleanup_free_ char *msg = summary_email(sum, c->summary.email.from,
                                                         (const char *const *) c->summary.email.to,
                                                         c->summary.email.subject, date);
                mail_send(s, msg, NULL, NULL);
        }
        if (c->summary.syslog.server) {
                char **msgs = NULL;
                size_t n = 0;
                for (int l = 0; l < _SUMMARY_LEVEL_MAX; l++) {
                        char *m = summary_syslog(sum, (SummaryLevel) l, (SyslogFormat) c->summary.syslog.format);
                        if (m) {
                                msgs = xreallocarray(msgs, n + 1, sizeof(char *));
                                msgs[n++] = m;
                        }
                }
                if (n)
                        syslog_send(s, msgs, n, NULL, NULL);
        }
}

/* The cycle's outcomes, read back from the audit trail (newest first, until
 * the cycle's start), in the order they happened. */
static struct Mark *mark_of(SummarySender *s, const char *source)
{
        for (size_t i = 0; i < s->n_marks; i++)
                if (!strcmp(s->marks[i].source, source))
                        return &s->marks[i];
        s->marks = xreallocarray(s->marks, s->n_marks + 1, sizeof(struct Mark));
        s->marks[s->n_marks] = (struct Mark) { .source = xstrdup(source), .last_id = -1 };
        return &s->marks[s->n_marks++];
}

static void collect_events(SummarySender *s, const char *source, int64_t since, Summary *sum)
{
        sqlite3_stmt *st = NULL;
        int levels[SUMMARY_MAX_LINES];
        char *texts[SUMMARY_MAX_LINES];
        size_t n = 0;
        struct Mark *mark = mark_of(s, source);
        int64_t newest = -1;

        if (store_prepare(s->store, "SELECT at, actor, action, kind, value, result, detail, id FROM events "
                                    "ORDER BY id DESC", &st) != SQLITE_OK)
                return;
        while (n < SUMMARY_MAX_LINES && sqlite3_step(st) == SQLITE_ROW) {
                int64_t at = sqlite3_column_int64(st, 0), id = sqlite3_column_int64(st, 7);
                const char *actor = (const char *) sqlite3_column_text(st, 1);
                const char *action = (const char *) sqlite3_column_text(st, 2);
                const char *kind = (const char *) sqlite3_column_text(st, 3);
                const char *value = (const char *) sqlite3_column_text(st, 4);
                const char *result = (const char *) sqlite3_column_text(st, 5);
                const char *detail = (const char *) sqlite3_column_text(st, 6);
                bool block;

                if (newest < 0)
                        newest = id;
                if (id <= mark->last_id || at < since - EVENTS_SLACK_S)
                        break;
                if ((mark->last_id < 0 && at < since) || !actor || strcmp(actor, source) || !action || !result)
                        continue;
                if (strcmp(action, "block") && strcmp(action, "unblock"))
                        continue;
                block = !strcmp(action, "block");
                if (!strcmp(result, "ok")) {
                        levels[n] = SUMMARY_INFO;
                        texts[n++] = xasprintf("%s %s %s with client %s", block ? "Blocked" : "Unblocked",
                                               kind ? kind : "entity", value ? value : "?", detail ? detail : "?");
                } else {
                        levels[n] = SUMMARY_ERROR;
                        texts[n++] = xasprintf("Could not %s %s %s: %s", action, kind ? kind : "entity",
                                               value ? value : "?", detail ? detail : result);
                }
        }
        store_release(st);
        if (newest > mark->last_id)
                mark->last_id = newest;
        while (n > 0) {
                n--;
                summary_add(sum, (SummaryLevel) levels[n], "%s", texts[n]);
                free(texts[n]);
        }
}

void summary_sender_cycle(SummarySender *s, const char *source, int64_t since, const char *cycle_error,
                          bool suppressed)
{
        Summary sum = { 0 };

        if (!s || s->freeing)
                return;
        collect_events(s, source, since, &sum);
        if (suppressed)
                summary_add(&sum, SUMMARY_WARNING, "%s: more new blocks than max_new_blocks_per_cycle allows; "
                            "nothing new was blocked", source);
        if (cycle_error)
                summary_add(&sum, SUMMARY_ERROR, "%s: cycle failed: %s", source, cycle_error);
        /* as VAR: nothing to say, nothing sent */
        if (!summary_empty(&sum))
                send_summary(s, &sum);
        summary_done(&sum);
}

typedef struct TestCtx {
        void (*cb)(void *userdata, const char *error);
        void *userdata;
        unsigned left;                  /* jobs running, plus one while starting them */
        char *errors;
} TestCtx;

static void test_release(TestCtx *t)
{
        if (--t->left > 0)
                return;
        t->cb(t->userdata, t->errors);
        free(t->errors);
        free(t);
}

static void on_test_job(Job *j, const char *error)
{
        TestCtx *t = j->userdata;

        if (error) {
                char *e = t->errors ? xasprintf("%s; %s: %s", t->errors, j->what, error)
                                    : xasprintf("%s: %s", j->what, error);
                free(t->errors);
                t->errors = e;
        }
        test_release(t);
}

int summary_sender_test(SummarySender *s, void (*cb)(void *userdata, const char *error), void *userdata)
{
        const Config *c;
        TestCtx *t;

        if (!s)
                return -ENOENT;
        c = s->cfg;
        t = xnew(TestCtx, 1);
        t->cb = cb;
        t->userdata = userdata;
        t->left = 1;
        if (c->summary.email.server) {
                Summary sum = { 0 };
                _cleanup_free_ char *date = rfc5322_date();
                _cleanup_free_ char *msg = NULL;
                _cleanup_free_ char *subject = xasprintf("TEST - %s - TEST ", c->summary.email.subject);
                summary_add(&sum, SUMMARY_INFO, "TEST TEST TEST");
                msg = summary_email(&sum, c->summary.email.from, (const char *const *) c->summary.email.to,
                                    subject, date);
                summary_done(&sum);
                t->left++;
                mail_send(s, msg, on_test_job, t);
        }
        if (c->summary.syslog.server) {
                char **msgs = xnew(char *, 1);
                msgs[0] = summary_syslog_test((SyslogFormat) c->summary.syslog.format);
                t->left++;
                syslog_send(s, msgs, 1, on_test_job, t);
        }
        test_release(t);
        return 0;
}

void summary_sender_flush(SummarySender *s, void (*cb)(void *userdata), void *userdata)
{
        if (!s || !s->jobs) {
                cb(userdata);
                return;
        }
        s->flush_cb = cb;
        s->flush_userdata = userdata;
}

void summary_sender_free(SummarySender *s)
{
        if (!s)
                return;
        s->freeing = true;
        for (size_t i = 0; i < s->n_marks; i++)
                free(s->marks[i].source);
        free(s->marks);
        s->marks = NULL;
        s->n_marks = 0;
        if (!s->jobs) {
                free(s);
                return;
        }
        for (Job *j = s->jobs, *next; j; j = next) {
                next = j->next;
                if (j->req)
                        (void) http_request_cancel(j->req);
                else
                        job_finish(j, "cancelled at shutdown");
        }
}
