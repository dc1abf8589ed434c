/* SPDX-License-Identifier: MIT */
/* The Secure Network Analytics source (sna.md §4, §5): every interval, the
 * security events of the configured types over the last time_window,
 * their inside hosts handed to the reconciler as host entities.
 *
 * A cycle:
 *   prepare  the event catalogue (once: names resolved to ids) and, when
 *            inside hosts come from the SMC's host groups, their ids;
 *   query    POST .../security-events/queries, then progress polls with
 *            growing waits until COMPLETED, a failure status, or the
 *            deadline (poll_timeout), then GET .../results/{id};
 *   act      the inside hosts (sna_select.c), minus whitelisted and
 *            protected ones, each wanted blocked on the eligible
 *            responders; with host_ttl each block expires that long after
 *            the host was last seen (seeing it again renews it).
 * Any failure before "act" fails the cycle and changes nothing. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/notify_webex.h"
#include "daemon/reconcile.h"
#include "daemon/store_whitelist.h"
#include "responders/responder.h"
#include "sources/sna.h"
#include "sources/sna_api.h"
#include "sources/sna_enrich.h"
#include "sources/sna_model.h"
#include "sources/sna_report.h"
#include "sources/sna_select.h"

#define POLL_MAX_WAIT_MS 10000u

typedef struct Sna Sna;

typedef struct Cycle {
        Sna *s;
        bool plan;
        CycleDone cb;
        void *userdata;
        CycleStats st;
        cJSON *plan_out;
        uint64_t requests_at_start;
        unsigned pending;               /* prepare calls, then reconciler requests */
        int error;
        char *error_text;
        bool cancelled;
        int phase;                      /* 0 prepare, 1 query, 2 act, 3 done */
        char *search_id;
        uint64_t deadline_ms;           /* monotonic */
        uint64_t wait_ms;
        double percent;
        time_t from, to;
        int64_t *inside_tags;
        size_t n_inside_tags;
} Cycle;

struct Sna {
        Source *src;
        const SnaConf *conf;
        SnaApi *api;
        Cycle *cycle;
        AddrNet *inside;
        size_t n_inside;
        /* the catalogue: ids of the configured events, and their names */
        bool resolved;
        int64_t *event_ids;
        size_t n_event_ids;
        char *event_names;              /* "High Total Traffic, High Traffic" */
        uv_timer_t poll_timer;
        bool timer_open;
        bool stopped;
        Notifier *notifier;             /* NULL: no notifications */
        Enricher *enricher;             /* NULL: no enrichment */
};

static void finish(Cycle *c);
static int start_query(Cycle *c);

static uint64_t mono_ms(void)
{
        return clock_mono_usec() / 1000;
}

static void cycle_fail(Cycle *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cycle_fail(Cycle *c, int r, const char *fmt, ...)
{
        va_list ap;

        if (c->error)
                return;
        c->error = r;
        va_start(ap, fmt);
        c->error_text = xvasprintf(fmt, ap);
        va_end(ap);
}

static void end_with_error(Cycle *c)
{
        int r = c->error;

        c->st.result = r == SNA_ERR_LOGIN || r == -EACCES ? SOURCE_AUTH_FAILED :
                       r == -ECANCELED ? SOURCE_CANCELLED :
                       r == -ETIME || r == -ENOMEM ? SOURCE_FAILED : SOURCE_API_FAILED;
        if (c->cancelled)
                c->st.result = SOURCE_CANCELLED;
        c->st.error = xstrdup(c->error_text ? c->error_text : "an SNA call failed");
        finish(c);
}

/* ---- prepare ------------------------------------------------------------ */

static bool all_digits(const char *s)
{
        return s[0] && strspn(s, "0123456789") == strlen(s) && strlen(s) < 12;
}

static void prepare_release(Cycle *c)
{
        int r;

        if (--c->pending > 0)
                return;
        if (c->error || c->cancelled) {
                if (!c->error)
                        cycle_fail(c, -ECANCELED, "cancelled");
                end_with_error(c);
                return;
        }
        r = start_query(c);
        if (r < 0) {
                cycle_fail(c, r, "POST security-events/queries: %s", strerror(-r));
                end_with_error(c);
        }
}

static void on_templates(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Cycle *c = userdata;
        Sna *s = c->s;
        char *const *events = s->conf->events;
        _cleanup_free_ int64_t *ids = NULL;
        char **names = NULL, **missing = NULL;
        const char *why = NULL;
        size_t n = 0;

        if (st->r < 0) {
                cycle_fail(c, st->r, "%s", st->error);
                prepare_release(c);
                return;
        }
        for (size_t i = 0; events && events[i]; i++)
                if (!all_digits(events[i]))
                        names = strv_push(names, events[i]);
        if (sna_templates_resolve(body, names, &ids, &n, &missing, &why) < 0) {
                cycle_fail(c, -EPROTO, "GET security-events/templates: %s", why);
                strv_free(names);
                prepare_release(c);
                return;
        }
        if (missing) {
                /* a misspelt name must not quietly query nothing */
                cycle_fail(c, -ENOENT, "security event '%s' is not in the SMC's catalogue (templates)", missing[0]);
                strv_free(missing);
                strv_free(names);
                prepare_release(c);
                return;
        }
        free(s->event_ids);
        s->event_ids = NULL;
        s->n_event_ids = 0;
        free(s->event_names);
        s->event_names = NULL;
        for (size_t i = 0; events && events[i]; i++)
                if (all_digits(events[i])) {
                        s->event_ids = xreallocarray(s->event_ids, s->n_event_ids + 1, sizeof(int64_t));
                        s->event_ids[s->n_event_ids++] = strtoll(events[i], NULL, 10);
                }
        if (!events) {
                /* the default: High Total Traffic (sna.md §4.1) */
                s->event_ids = xnew(int64_t, 1);
                s->event_ids[s->n_event_ids++] = 16;
        }
        for (size_t i = 0; i < n; i++) {
                bool dup = false;
                for (size_t k = 0; k < s->n_event_ids; k++)
                        dup = dup || s->event_ids[k] == ids[i];
                if (dup)
                        continue;
                s->event_ids = xreallocarray(s->event_ids, s->n_event_ids + 1, sizeof(int64_t));
                s->event_ids[s->n_event_ids++] = ids[i];
        }
        for (size_t i = 0; i < s->n_event_ids; i++) {
                const char *nm = sna_template_name(body, s->event_ids[i]);
                char *x = nm ? xasprintf("%s%s%s", s->event_names ? s->event_names : "", s->event_names ? ", " : "",
                                         nm) :
                          xasprintf("%s%sevent %" PRId64, s->event_names ? s->event_names : "",
                                    s->event_names ? ", " : "", s->event_ids[i]);
                free(s->event_names);
                s->event_names = x;
        }
        s->resolved = true;
        strv_free(names);
        prepare_release(c);
}

static void on_inside_tags(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Cycle *c = userdata;
        const char *why = NULL;

        if (st->r < 0)
                cycle_fail(c, st->r, "%s", st->error);
        else if (sna_tag_ids_parse(body, &c->inside_tags, &c->n_inside_tags, &why) < 0)
                cycle_fail(c, -EPROTO, "GET internalHosts/tags: %s", why);
        prepare_release(c);
}

static void prepare_call(Cycle *c, const char *method, const char *path, const char *body, SnaJsonCb cb)
{
        int r;

        c->pending++;
        r = sna_api_call(c->s->api, method, path, body, cb, c);
        if (r < 0) {
                c->pending--;
                cycle_fail(c, r, "%s %s: %s", method, path, strerror(-r));
        }
}

/* ---- query -------------------------------------------------------------- */

static void on_results(void *userdata, const SnaStatus *st, const cJSON *body);
static void act(Cycle *c, SnaEvent *ev, size_t n);

static void poll_now(Cycle *c);

static void on_poll_timer(uv_timer_t *t)
{
        Sna *s = t->data;

        if (s->cycle)
                poll_now(s->cycle);
}

static void on_status(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Cycle *c = userdata;
        Sna *s = c->s;
        SnaJobState state;
        const char *why = NULL;
        uint64_t now;

        if (c->cancelled) {
                cycle_fail(c, -ECANCELED, "cancelled");
                end_with_error(c);
                return;
        }
        if (st->r < 0) {
                cycle_fail(c, st->r, "%s", st->error);
                end_with_error(c);
                return;
        }
        if (sna_query_status(body, &c->percent, &state, &why) < 0) {
                cycle_fail(c, -EPROTO, "GET security-events/queries/%s: %s", c->search_id, why);
                end_with_error(c);
                return;
        }
        if (state == SNA_JOB_FAILED) {
                cycle_fail(c, -EPROTO, "security-event query %s ended with status '%s'", c->search_id,
                           cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(body, "data"), "status")));
                end_with_error(c);
                return;
        }
        if (state == SNA_JOB_COMPLETED) {
                _cleanup_free_ char *path = xasprintf("/sw-reporting/v1/tenants/{tenant}/security-events/results/%s",
                                                      c->search_id);
                int r = sna_api_call(s->api, "GET", path, NULL, on_results, c);
                if (r < 0) {
                        cycle_fail(c, r, "GET results: %s", strerror(-r));
                        end_with_error(c);
                }
                return;
        }
        now = mono_ms();
        if (now >= c->deadline_ms) {
                /* the originals polled forever; the group stays as it is */
                cycle_fail(c, -ETIME, "security-event query %s not complete after %" PRIu64 " s (%.0f%%); nothing "
                           "changed this cycle", c->search_id, s->conf->poll_timeout, c->percent);
                end_with_error(c);
                return;
        }
        c->wait_ms = c->wait_ms ? c->wait_ms + c->wait_ms / 2 : s->conf->poll_interval * 1000;
        if (c->wait_ms > POLL_MAX_WAIT_MS)
                c->wait_ms = POLL_MAX_WAIT_MS;
        if (now + c->wait_ms > c->deadline_ms)
                c->wait_ms = c->deadline_ms - now;
        uv_timer_start(&s->poll_timer, on_poll_timer, c->wait_ms, 0);
}

static void poll_now(Cycle *c)
{
        _cleanup_free_ char *path = xasprintf("/sw-reporting/v1/tenants/{tenant}/security-events/queries/%s",
                                              c->search_id);
        int r = sna_api_call(c->s->api, "GET", path, NULL, on_status, c);

        if (r < 0) {
                cycle_fail(c, r, "GET %s: %s", path, strerror(-r));
                end_with_error(c);
        }
}

static void on_created(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Cycle *c = userdata;
        const char *why = NULL;

        if (st->r < 0 || c->cancelled) {
                cycle_fail(c, st->r < 0 ? st->r : -ECANCELED, "%s", st->r < 0 ? st->error : "cancelled");
                end_with_error(c);
                return;
        }
        if (sna_search_job_id(body, &c->search_id, &why) < 0) {
                cycle_fail(c, -EPROTO, "POST security-events/queries: %s", why);
                end_with_error(c);
                return;
        }
        c->deadline_ms = mono_ms() + c->s->conf->poll_timeout * 1000;
        log_debug("%s: security-event query %s created", c->s->src->name, c->search_id);
        /* the first poll right away: small windows are often done already */
        poll_now(c);
}

static int start_query(Cycle *c)
{
        Sna *s = c->s;
        _cleanup_free_ char *body = NULL;

        c->phase = 1;
        c->to = clock_wall();
        c->from = c->to - (time_t) s->conf->time_window;
        body = sna_query_body(c->from, c->to, s->event_ids, s->n_event_ids);
        return sna_api_call(s->api, "POST", "/sw-reporting/v1/tenants/{tenant}/security-events/queries", body,
                            on_created, c);
}

static void on_results(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Cycle *c = userdata;
        SnaEvent *ev = NULL;
        const char *why = NULL;
        size_t n = 0;

        if (st->r < 0 || c->cancelled) {
                cycle_fail(c, st->r < 0 ? st->r : -ECANCELED, "%s", st->r < 0 ? st->error : "cancelled");
                end_with_error(c);
                return;
        }
        if (sna_results_parse(body, &ev, &n, &why) < 0) {
                cycle_fail(c, -EPROTO, "GET security-events/results/%s: %s", c->search_id, why);
                end_with_error(c);
                return;
        }
        act(c, ev, n);
        sna_events_free(ev, n);
}

/* ---- act ---------------------------------------------------------------- */

static bool whitelisted(Sna *s, const char *ip)
{
        bool covered = false;

        (void) store_wl_covers(s->src->env.store, "host", ip, clock_wall(), &covered);
        return covered || config_protects(s->src->env.config, "host", ip);
}

/* Whether our rows hold a block (or one under way) of the host. */
static bool host_blocked(Sna *s, const char *ip)
{
        sqlite3_stmt *st;
        bool r;

        if (store_prepare(s->src->env.store,
                          "SELECT 1 FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.kind = 'host' AND "
                          "e.value = ? AND (b.state IN ('blocking','blocked') OR (b.state = 'failed' AND "
                          "b.intent = 'block')) LIMIT 1", &st) != SQLITE_OK)
                return false;
        sqlite3_bind_text(st, 1, ip, -1, SQLITE_STATIC);
        r = sqlite3_step(st) == SQLITE_ROW;
        store_release(st);
        return r;
}

/* A report waiting for its enrichment: everything copied, since the cycle
 * does not wait for it. */
typedef struct Pending {
        Sna *s;
        SnaReport r;
        char *source, *names, *responders;
        SnaHost *hosts;
        const SnaHost **ptrs;
        size_t n;
} Pending;

static void pending_free(Pending *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->hosts[i].ip);
                strv_free(p->hosts[i].peers);
        }
        free(p->hosts);
        free(p->ptrs);
        free(p->source);
        free(p->names);
        free(p->responders);
        free(p);
}

static void send_report(Sna *s, const SnaReport *r)
{
        _cleanup_free_ char *text = NULL;

        if (!s->notifier)
                return;
        text = sna_report_markdown(r);
        (void) notifier_send(s->notifier, text);
}

static void on_enriched(void *userdata, char *const *lines, bool cancelled)
{
        Pending *p = userdata;

        if (!cancelled) {
                p->r.extra = lines;
                send_report(p->s, &p->r);
        }
        pending_free(p);
}

/* The cycle's new hosts to the Webex room, enriched first when configured:
 * queued, never waited for. */
static void notify_new(Cycle *c, const SnaHost *const *hosts, size_t n, size_t n_events)
{
        Sna *s = c->s;
        Pending *p;

        if (!s->notifier || n == 0)
                return;
        p = xnew(Pending, 1);
        p->s = s;
        p->source = xstrdup(s->src->name);
        p->names = xstrdup(s->event_names ? s->event_names : "security events");
        for (size_t i = 0; s->conf->responders && s->conf->responders[i]; i++) {
                char *x = xasprintf("%s%s%s", p->responders ? p->responders : "", p->responders ? ", " : "",
                                    s->conf->responders[i]);
                free(p->responders);
                p->responders = x;
        }
        p->n = n;
        p->hosts = xnew(SnaHost, n);
        p->ptrs = xnew(const SnaHost *, n);
        for (size_t i = 0; i < n; i++) {
                p->hosts[i] = (SnaHost) { .ip = xstrdup(hosts[i]->ip), .events = hosts[i]->events,
                                          .hits = hosts[i]->hits };
                for (size_t k = 0; hosts[i]->peers && hosts[i]->peers[k]; k++)
                        p->hosts[i].peers = strv_push(p->hosts[i].peers, hosts[i]->peers[k]);
                p->ptrs[i] = &p->hosts[i];
        }
        p->r = (SnaReport) {
                .source = p->source,
                .event_names = p->names,
                .n_events = n_events,
                .window_s = s->conf->time_window,
                .hosts = p->ptrs,
                .n_hosts = n,
                .responders = p->responders,
        };
        if (s->enricher && enricher_run(s->enricher, p->ptrs, n, on_enriched, p) == 0)
                return;
        send_report(s, &p->r);
        pending_free(p);
}

static void act_release(Cycle *c)
{
        if (--c->pending == 0)
                finish(c);
}

typedef struct ActCtx {
        Cycle *c;
} ActCtx;

static void on_reconciled(void *userdata, const ReconcileOutcome *o)
{
        ActCtx *a = userdata;
        Cycle *c = a->c;

        c->st.blocked += o->succeeded;
        c->st.failed += o->failed;
        free(a);
        act_release(c);
}

static void request(Cycle *c, const SnaHost *h)
{
        Sna *s = c->s;
        _cleanup_free_ char *reason = xasprintf("SNA %s: %u event%s", s->event_names ? s->event_names : "security event",
                                                h->events, h->events == 1 ? "" : "s");
        ActCtx *a = xnew(ActCtx, 1);
        ReconcileRequest rr = {
                .entity = {
                        .kind = ENTITY_HOST,
                        .value = h->ip,
                        .attrs = { .name = h->ip, .ext_kind = "host", .ext_id = h->ip, .source = s->src->name },
                },
                .block = true,
                .reason = reason,
                .source = s->src->name,
                .responders = s->conf->responders,
                .expires_at = s->conf->host_ttl ? clock_wall() + (int64_t) s->conf->host_ttl : 0,
        };

        a->c = c;
        c->pending++;
        if (reconciler_want(s->src->env.reconciler, &rr, on_reconciled, a) < 0) {
                c->st.failed++;
                c->pending--;
                free(a);
        }
}

static void act(Cycle *c, SnaEvent *ev, size_t n)
{
        Sna *s = c->s;
        SnaSelectConfig cfg = {
                .inside = s->inside,
                .n_inside = s->n_inside,
                .inside_tags = c->inside_tags,
                .n_inside_tags = c->n_inside_tags,
                .inside_from = (SnaInsideFrom) s->conf->inside_from,
                .sides = (SnaSides) s->conf->sides,
                .max_hosts = (size_t) s->conf->max_hosts,
        };
        bool enforce = !c->plan && !s->conf->simulation;
        const SnaHost **fresh = NULL;
        size_t n_fresh = 0;
        SnaSelection sel;

        c->phase = 2;
        (void) sna_select_hosts(ev, n, &cfg, &sel);
        c->st.found = (unsigned) sel.n;
        log_info("%s: %zu event%s, %zu inside host%s, %zu outside address%s left out%s", s->src->name, n,
                 n == 1 ? "" : "s", sel.n, sel.n == 1 ? "" : "s", sel.outside, sel.outside == 1 ? "" : "es",
                 sel.capped ? "; max_hosts reached" : "");
        if (sel.capped) {
                LogFields f = { .source = s->src->name, .action = "max-hosts", .result = "capped" };
                c->st.suppressed = true;
                log_event(LOG_WARNING, NULL, &f, "%s: %zu inside hosts more than max_hosts = %" PRId64 " left out",
                          s->src->name, sel.capped, s->conf->max_hosts);
        }
        if (enforce)
                reconciler_batch_begin(s->src->env.reconciler);
        c->pending = 1;         /* held while the requests go out */
        for (size_t i = 0; i < sel.n; i++) {
                const SnaHost *h = &sel.hosts[i];
                if (whitelisted(s, h->ip)) {
                        log_info("%s: host %s is whitelisted or protected; left out", s->src->name, h->ip);
                        continue;
                }
                c->st.to_block++;
                if (c->plan) {
                        cJSON *e = cJSON_CreateObject(), *p;
                        _cleanup_free_ char *reason = xasprintf("SNA %s: %u event%s", s->event_names ?
                                                                s->event_names : "security event", h->events,
                                                                h->events == 1 ? "" : "s");
                        cJSON_AddStringToObject(e, "kind", "host");
                        cJSON_AddStringToObject(e, "value", h->ip);
                        cJSON_AddStringToObject(e, "verdict", "block");
                        cJSON_AddStringToObject(e, "reason", reason);
                        cJSON_AddStringToObject(e, "source", s->src->name);
                        cJSON_AddNumberToObject(e, "events", h->events);
                        p = cJSON_AddArrayToObject(e, "peers");
                        for (size_t k = 0; h->peers && h->peers[k]; k++)
                                cJSON_AddItemToArray(p, cJSON_CreateString(h->peers[k]));
                        cJSON_AddItemToArray(c->plan_out, e);
                        continue;
                }
                if (!enforce) {
                        log_notice("%s: [simulation] would block host %s (%u events)", s->src->name, h->ip,
                                   h->events);
                        continue;
                }
                if (s->notifier && !host_blocked(s, h->ip)) {
                        fresh = xreallocarray(fresh, n_fresh + 1, sizeof(SnaHost *));
                        fresh[n_fresh++] = h;
                }
                request(c, h);
        }
        if (enforce)
                reconciler_batch_end(s->src->env.reconciler);
        notify_new(c, fresh, n_fresh, n);
        free(fresh);
        sna_selection_done(&sel);
        act_release(c);
}

/* ---- cycle -------------------------------------------------------------- */

static void cycle_free(Cycle *c)
{
        free(c->error_text);
        free(c->st.error);
        free(c->search_id);
        free(c->inside_tags);
        cJSON_Delete(c->plan_out);
        free(c);
}

static void finish(Cycle *c)
{
        Sna *s = c->s;
        CycleDone cb = c->cb;
        void *ud = c->userdata;
        cJSON *plan = c->plan_out;

        c->phase = 3;
        if (s->api) {
                SnaApiStats as;
                sna_api_get_stats(s->api, &as);
                c->st.requests = (unsigned) (as.requests - c->requests_at_start);
        }
        if (s->timer_open)
                uv_timer_stop(&s->poll_timer);
        c->st.duration_ms = clock_mono_usec() / 1000 - c->st.started_ms;
        c->st.started_ms = (uint64_t) clock_wall() * 1000 - c->st.duration_ms;
        if (c->cancelled && c->st.result == SOURCE_OK)
                c->st.result = SOURCE_CANCELLED;
        c->plan_out = NULL;
        s->cycle = NULL;
        cb(ud, &c->st, plan);
        cycle_free(c);
}

static int sna_start(Source *src, bool plan, CycleDone cb, void *userdata)
{
        Sna *s = src->priv;
        SnaApiStats as;
        Cycle *c;
        int r;

        if (s->cycle)
                return -EBUSY;
        if (!s->api || s->stopped)
                return -ESHUTDOWN;
        c = xnew(Cycle, 1);
        c->s = s;
        c->plan = plan;
        c->cb = cb;
        c->userdata = userdata;
        c->st.result = SOURCE_OK;
        c->st.started_ms = clock_mono_usec() / 1000;
        if (plan)
                c->plan_out = cJSON_CreateArray();
        sna_api_get_stats(s->api, &as);
        c->requests_at_start = as.requests;
        s->cycle = c;

        /* every call below answers from the loop, never from in here */
        c->pending = 1;
        if (!s->resolved)
                prepare_call(c, "GET", "/sw-reporting/v1/tenants/{tenant}/security-events/templates", NULL,
                             on_templates);
        if (s->conf->inside_from != SNA_INSIDE_NETWORKS)
                prepare_call(c, "GET", "/sw-reporting/v1/tenants/{tenant}/internalHosts/tags", NULL, on_inside_tags);
        if (--c->pending > 0)
                return 0;
        r = c->error ? c->error : start_query(c);
        if (r < 0) {
                s->cycle = NULL;
                cycle_free(c);
                return r;
        }
        return 0;
}

static void sna_cancel(Source *src)
{
        Sna *s = src->priv;

        if (!s->cycle)
                return;
        s->cycle->cancelled = true;
        if (s->timer_open && uv_is_active((uv_handle_t *) &s->poll_timer)) {
                Cycle *c = s->cycle;
                uv_timer_stop(&s->poll_timer);
                cycle_fail(c, -ECANCELED, "cancelled");
                end_with_error(c);
                return;
        }
        if (s->api)
                sna_api_cancel_all(s->api);
}

static void on_api_closed(void *userdata)
{
        Sna *s = userdata;
        s->api = NULL;
}

static void sna_stop(Source *src)
{
        Sna *s = src->priv;

        s->stopped = true;
        sna_cancel(src);
        if (s->timer_open) {
                s->timer_open = false;
                uv_close((uv_handle_t *) &s->poll_timer, NULL);
        }
        /* the enricher first: its cancelled jobs must not reach the notifier */
        enricher_shutdown(s->enricher);
        s->enricher = NULL;
        notifier_shutdown(s->notifier);
        s->notifier = NULL;
        if (s->api)
                (void) sna_api_shutdown(s->api, on_api_closed, s);
}

static void sna_free(Source *src)
{
        Sna *s = src->priv;

        src->priv = NULL;
        if (!s)
                return;
        free(s->inside);
        free(s->event_ids);
        free(s->event_names);
        free(s);
}

static const SourceOps sna_ops = {
        .kind = "sna",
        .start = sna_start,
        .cancel = sna_cancel,
        .stop = sna_stop,
        .free = sna_free,
};

int sna_source_new(const SourceEnv *env, const SnaConf *conf, Source **ret)
{
        const Config *cfg = env->config;
        HttpClientOptions ho = {
                .ca_file = cfg->http.ca_file,
                .connect_timeout_ms = (long) cfg->http.connect_timeout * 1000,
                .timeout_ms = (long) cfg->http.timeout * 1000,
                .max_host_connections = (long) cfg->http.max_host_connections,
                .max_total_connections = (long) cfg->http.max_total_connections,
                .proxy = cfg->http.proxy,
                .proxy_user = cfg->http.proxy_user,
                .proxy_password = cfg->http.proxy_password.value,
        };
        SnaApiOptions o = {
                .url = conf->url,
                .username = conf->username,
                .password = conf->password.value,
                .tenant_id = conf->tenant_id,
                .ca_file = conf->ca_file,
                .tls_skip_verify = !conf->tls_verify,
                .session_lifetime_ms = conf->session_lifetime * 1000,
                .name = conf->name,
                .http_options = &ho,
        };
        Source *src;
        Sna *s;
        int r;

        s = xnew(Sna, 1);
        s->conf = conf;
        if (sna_inside_parse(conf->inside_networks, &s->inside, &s->n_inside) < 0) {
                free(s);
                return -EINVAL;
        }
        r = notifier_new(env->http, &conf->notify, conf->name, &s->notifier);
        if (r == 0 && s->notifier)
                r = enricher_new(env->http, &conf->enrich, conf->name, &s->enricher);
        if (r < 0) {
                notifier_shutdown(s->notifier);
                free(s->inside);
                free(s);
                return r;
        }
        /* a private HTTP client: the logout must still go out at shutdown */
        r = sna_api_new(env->loop, NULL, &o, &s->api);
        if (r < 0) {
                enricher_shutdown(s->enricher);
                notifier_shutdown(s->notifier);
                free(s->inside);
                free(s);
                return r;
        }
        uv_timer_init(env->loop, &s->poll_timer);
        s->poll_timer.data = s;
        s->timer_open = true;
        src = xnew(Source, 1);
        src->ops = &sna_ops;
        src->name = xasprintf("sna:%s", conf->name);
        src->interval_ms = conf->interval * 1000;
        src->env = *env;
        src->priv = s;
        s->src = src;
        *ret = src;
        return 0;
}

/* ---- `sna setup` ------------------------------------------------------- */

typedef struct Setup {
        Sna *s;
        int64_t event_id;
        bool dry_run;
        char *actor;
        SnaSetupDone cb;
        void *userdata;
        cJSON *report;
} Setup;

static void setup_end(Setup *x, int r, const char *error)
{
        if (x->report)
                cJSON_AddBoolToObject(x->report, "applied", r == 0 && !x->dry_run);
        x->cb(x->userdata, r, error, r == 0 ? x->report : NULL);
        if (r < 0)
                cJSON_Delete(x->report);
        free(x->actor);
        free(x);
}

static void on_policy_put(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Setup *x = userdata;
        LogFields f = { .source = x->s->src->name, .action = "sna-setup", .result = st->r < 0 ? "failed" : "ok",
                        .user = x->actor };

        (void) body;
        if (st->r < 0) {
                log_event(LOG_ERR, NULL, &f, "%s: sna setup of event %" PRId64 " failed: %s", x->s->src->name,
                          x->event_id, st->error);
                setup_end(x, st->r, st->error);
                return;
        }
        log_event(LOG_NOTICE, NULL, &f, "%s: security event %" PRId64 " enabled in the system policy with the "
                  "setup thresholds (by %s)", x->s->src->name, x->event_id, x->actor);
        (void) store_event(x->s->src->env.store, clock_wall(), x->actor, "sna-setup", NULL, NULL,
                           "security event policy", "ok", x->s->src->name);
        setup_end(x, 0, NULL);
}

static void on_policy_get(void *userdata, const SnaStatus *st, const cJSON *body)
{
        Setup *x = userdata;
        Sna *s = x->s;
        SnaAlarmSetting set[] = {
                { "tolerance", s->conf->setup.tolerance },
                { "min", s->conf->setup.min },
                { "max", s->conf->setup.max },
        };
        _cleanup_free_ char *put = NULL, *err = NULL;
        const char *why = NULL;
        int64_t tenant = sna_api_tenant_id(s->api);
        int r;

        if (st->r < 0) {
                setup_end(x, st->r, st->error);
                return;
        }
        r = sna_policy_setup(body, x->event_id, set, 3, &put, &x->report, &why);
        if (r < 0) {
                err = xasprintf("GET policy/system/events: event %" PRId64 ": %s", x->event_id, why);
                setup_end(x, r, err);
                return;
        }
        cJSON_AddStringToObject(x->report, "source", s->src->name);
        cJSON_AddNumberToObject(x->report, "tenant", (double) tenant);
        if (cJSON_GetArraySize(cJSON_GetObjectItem(x->report, "changes")) == 0) {
                /* already as wanted: no write, nothing to save */
                cJSON_AddBoolToObject(x->report, "unchanged", true);
                x->dry_run = true;
        }
        if (x->dry_run) {
                setup_end(x, 0, NULL);
                return;
        }
        {
                /* the old settings first: a lab change can be looked up and undone */
                _cleanup_free_ char *old = cJSON_PrintUnformatted(cJSON_GetObjectItem(x->report, "before"));
                sqlite3_stmt *q;
                if (store_prepare(s->src->env.store,
                                  "INSERT INTO sna_policy_saved (source, tenant, event_id, settings, saved_at, "
                                  "saved_by) VALUES (?, ?, ?, ?, ?, ?)", &q) != SQLITE_OK) {
                        setup_end(x, -EIO, "cannot save the current settings in the database; nothing changed");
                        return;
                }
                sqlite3_bind_text(q, 1, s->src->name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 2, tenant);
                sqlite3_bind_int64(q, 3, x->event_id);
                sqlite3_bind_text(q, 4, old ? old : "[]", -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 5, clock_wall());
                sqlite3_bind_text(q, 6, x->actor, -1, SQLITE_STATIC);
                r = sqlite3_step(q);
                store_release(q);
                if (r != SQLITE_DONE) {
                        setup_end(x, -EIO, "cannot save the current settings in the database; nothing changed");
                        return;
                }
        }
        r = sna_api_call(s->api, "PUT", "/smc-configuration/rest/v1/tenants/{tenant}/policy/system/events", put,
                         on_policy_put, x);
        if (r < 0)
                setup_end(x, r, "cannot start PUT policy/system/events");
}

bool sna_source_is(const Source *s)
{
        return s && s->ops == &sna_ops;
}

int sna_source_setup(Source *src, int64_t event_id, bool dry_run, const char *actor, SnaSetupDone cb,
                     void *userdata)
{
        Sna *s = src->priv;
        Setup *x;
        int r;

        if (!sna_source_is(src) || event_id <= 0 || !cb)
                return -EINVAL;
        if (!s->api || s->stopped)
                return -ESHUTDOWN;
        x = xnew(Setup, 1);
        x->s = s;
        x->event_id = event_id;
        x->dry_run = dry_run;
        x->actor = xstrdup(actor ? actor : "operator");
        x->cb = cb;
        x->userdata = userdata;
        r = sna_api_call(s->api, "GET", "/smc-configuration/rest/v1/tenants/{tenant}/policy/system/events", NULL,
                         on_policy_get, x);
        if (r < 0) {
                free(x->actor);
                free(x);
        }
        return r;
}
