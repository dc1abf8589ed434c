/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/xalloc.h"
#include "daemon/daemon.h"
#include "daemon/http.h"
#include "daemon/summary_send.h"
#include "daemon/reconcile.h"
#include "daemon/sched.h"
#include "daemon/store_whitelist.h"
#include "relays/relay.h"
#include "responders/responder.h"
#include "sources/sna.h"
#include "sources/umbrella.h"
#include "sources/vectra.h"

#define STOP_DEADLINE_MS 1500   /* SIGTERM to exit well within 2 s */

static int on_expired(const WlEntry *e, void *userdata)
{
        LogFields f = { .kind = e->kind, .entity = e->value, .action = "whitelist-expire", .result = "ok",
                        .user = e->created_by };
        log_event(LOG_NOTICE, MSGID_WL_EXPIRED, &f, "whitelist: %s '%s' expired (added by %s)", e->kind, e->value,
                  e->created_by);
        return 0;
}

static void sweep(Daemon *d)
{
        int n = store_wl_expire(d->store, clock_wall(), on_expired, d);

        if (n < 0)
                log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "whitelist: cannot remove expired entries: %s, will retry",
                          store_errmsg(d->store));
        else if (n > 0)
                daemon_update_status(d);
}

static void on_sweep_timer(uv_timer_t *t)
{
        Daemon *d = t->data;
        sweep(d);
        daemon_schedule_sweep(d);
}

/* Wakes at the earliest expiry, but at least every sweep_interval so that
 * a wall-clock step is noticed; an idle daemon with no expiring entries
 * wakes only that often. */
void daemon_schedule_sweep(Daemon *d)
{
        uint64_t delay = d->config->whitelist.sweep_interval * 1000;
        int64_t next = 0, now = clock_wall();

        if (d->stopping)
                return;
        if (store_wl_next_expiry(d->store, &next) == 0 && next > 0) {
                uint64_t until = next > now ? (uint64_t) (next - now) * 1000 : 0;
                if (until < delay)
                        delay = until;
        }
        uv_timer_start(&d->sweep_timer, on_sweep_timer, delay, 0);
}

void daemon_update_status(Daemon *d)
{
        int64_t wl = 0, blocks[STORE_BLOCK_STATES] = { 0 };

        (void) store_wl_count(d->store, NULL, &wl);
        (void) store_block_counts(d->store, blocks);
        notify_status("whitelist %lld, blocked %lld, pending %lld, failed %lld", (long long) wl,
                      (long long) blocks[1], (long long) (blocks[0] + blocks[2]), (long long) blocks[4]);
}

static void on_signal(uv_signal_t *h, int signum)
{
        Daemon *d = h->data;

        if (signum == SIGHUP) {
                _cleanup_free_ char *errors = NULL;
                (void) daemon_reload(d, &errors);
                return;
        }
        daemon_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int mkdir_p(const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);

        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == '\0') {
                        char c = *s;
                        *s = '\0';
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *s = c;
                        if (!c)
                                break;
                }
        }
        return 0;
}

static void record_cycle(Daemon *d, Source *s, const CycleStats *st)
{
        sqlite3_stmt *q;
        LogFields f = { .source = s->name, .action = "cycle", .result = source_result_to_string(st->result) };
        bool ok = st->result == SOURCE_OK || st->result == SOURCE_SKIPPED;

        if (sqlite3_prepare_v2(store_db(d->store),
                               "INSERT INTO cycles (source, started_at, finished_at, result, found, to_block, "
                               "to_unblock, failed, requests, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &q,
                               NULL) == SQLITE_OK) {
                sqlite3_bind_text(q, 1, s->name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(q, 2, (int64_t) (st->started_ms / 1000));
                sqlite3_bind_int64(q, 3, (int64_t) ((st->started_ms + st->duration_ms) / 1000));
                sqlite3_bind_text(q, 4, source_result_to_string(st->result), -1, SQLITE_STATIC);
                sqlite3_bind_int(q, 5, (int) st->found);
                sqlite3_bind_int(q, 6, (int) st->to_block);
                sqlite3_bind_int(q, 7, (int) st->to_unblock);
                sqlite3_bind_int(q, 8, (int) st->failed);
                sqlite3_bind_int(q, 9, (int) st->requests);
                store_bind_text(q, 10, st->error);
                (void) sqlite3_step(q);
                sqlite3_finalize(q);
        }
        if (ok)
                log_event(st->to_block || st->to_unblock || st->failed ? LOG_NOTICE : LOG_INFO, MSGID_CYCLE_DONE, &f,
                          "%s: cycle %s in %llu ms: %u found, %u to block, %u to unblock, %u blocked, "
                          "%u unblocked, %u failed, %u requests%s", s->name, source_result_to_string(st->result),
                          (unsigned long long) st->duration_ms, st->found, st->to_block, st->to_unblock, st->blocked,
                          st->unblocked, st->failed, st->requests,
                          st->suppressed ? "; new blocks suppressed by max_new_blocks_per_cycle" : "");
        else
                log_event(LOG_ERR, MSGID_CYCLE_FAILED, &f, "%s: cycle failed after %llu ms: %s; nothing was unblocked "
                          "for lack of data, will retry", s->name, (unsigned long long) st->duration_ms,
                          st->error ? st->error : source_result_to_string(st->result));
}

static void on_cycle(void *userdata, Source *s, const CycleStats *st)
{
        Daemon *d = userdata;
        /* A cycle over tens of thousands of objects frees most of what it
         * parsed; hand it back, so that the idle daemon between cycles (and
         * the next cycle's peak) does not carry the last cycle's heap. */
        (void) malloc_trim(0);
        record_cycle(d, s, st);
        daemon_update_status(d);
        if (st->result != SOURCE_CANCELLED && st->result != SOURCE_SKIPPED)
                summary_sender_cycle(d->summary, s->name, (int64_t) (st->started_ms / 1000),
                                     st->result == SOURCE_OK ? NULL : st->error ? st->error :
                                     source_result_to_string(st->result), st->suppressed);
}

static void once_stop(void *userdata)
{
        daemon_stop(userdata, "--once finished");
}

static void on_once_cycle(void *userdata, const CycleStats *st, cJSON *plan)
{
        Source *s = NULL;
        Daemon *d = userdata;
        int code = source_result_exit_code(st->result);

        (void) s;
        cJSON_Delete(plan);
        if (code > d->once_exit)
                d->once_exit = code;
        if (--d->once_pending == 0) {
                d->exit_code = d->once_exit;
                /* the cycle's summary goes out before the exit, as VAR's did */
                summary_sender_flush(d->summary, once_stop, d);
        }
}

static const char *once_source;

void daemon_set_once_source(const char *name)
{
        once_source = name;
}

/* --once: one cycle of every source (or of --source NAME), then exit with
 * the worst code. */
static void run_once(Daemon *d)
{
        if (once_source) {
                Source *s = daemon_find_source(d, once_source);
                if (!s) {
                        log_error("--source %s: no such source is enabled in %s", once_source, d->config_path);
                        d->exit_code = 78;
                        daemon_stop(d, "--once: unknown source");
                        return;
                }
                d->once_pending = 1;
                sched_start(s, 0, on_cycle, d);
                if (sched_run_now(s, false, on_once_cycle, d) < 0)
                        on_once_cycle(d, &(CycleStats) { .result = SOURCE_FAILED }, NULL);
                return;
        }
        if (d->n_sources == 0) {
                daemon_stop(d, "--once finished: no source is enabled");
                return;
        }
        d->once_pending = (unsigned) d->n_sources;
        for (size_t i = 0; i < d->n_sources; i++) {
                sched_start(d->sources[i], (unsigned) i, on_cycle, d);
                if (sched_run_now(d->sources[i], false, on_once_cycle, d) < 0)
                        on_once_cycle(d, &(CycleStats) { .result = SOURCE_FAILED }, NULL);
        }
}

static int daemon_start_sources(Daemon *d)
{
        const Config *cfg = d->config;
        SourceEnv env;
        int r;

        bool http_responders = false;

        for (size_t i = 0; i < cfg->n_responders; i++)
                http_responders = http_responders || cfg->responders[i]->ops->needs_http;
        /* the relays and responders call their vendors through it too */
        if (cfg->n_vectra == 0 && cfg->n_relays == 0 && !http_responders && cfg->n_sna == 0 &&
            !cfg->summary.email.server && !cfg->umbrella.enabled)
                return 0;
        {
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
                r = http_client_new(d->loop, &ho, &d->http);
                if (r < 0)
                        return log_error_errno(r, "cannot create the HTTP client");
        }
        for (size_t i = 0; i < cfg->n_responders; i++)
                if (cfg->responders[i]->ops->needs_http)
                        cfg->responders[i]->http = d->http;
        if (cfg->n_vectra == 0 && cfg->n_sna == 0 && !cfg->umbrella.enabled)
                return 0;
        env = (SourceEnv) { .loop = d->loop, .store = d->store, .reconciler = d->reconciler, .http = d->http,
                            .config = cfg };
        d->sources = xnew(Source *, cfg->n_vectra + cfg->n_sna + 1);
        for (size_t i = 0; i < cfg->n_vectra; i++) {
                r = vectra_source_new(&env, &cfg->vectra[i], &d->sources[d->n_sources]);
                if (r < 0)
                        return log_error_errno(r, "vectra '%s': cannot create the source", cfg->vectra[i].name);
                d->n_sources++;
        }
        for (size_t i = 0; i < cfg->n_sna; i++) {
                r = sna_source_new(&env, &cfg->sna[i], &d->sources[d->n_sources]);
                if (r < 0)
                        return log_error_errno(r, "sna '%s': cannot create the source", cfg->sna[i].name);
                d->n_sources++;
        }
        if (cfg->umbrella.enabled) {
                r = umbrella_source_new(&env, &cfg->umbrella, &d->sources[d->n_sources]);
                if (r < 0)
                        return log_error_errno(r, "umbrella: cannot create the source");
                d->n_sources++;
        }
        return 0;
}

Source *daemon_find_source(Daemon *d, const char *name)
{
        for (size_t i = 0; i < d->n_sources; i++) {
                const char *n = d->sources[i]->name;
                const char *colon = strchr(n, ':');
                /* "vectra:brain1" answers to "brain1" too */
                if (!strcmp(n, name) || (colon && !strcmp(colon + 1, name)))
                        return d->sources[i];
        }
        return NULL;
}

int daemon_start(Daemon *d, uv_loop_t *loop, Config *cfg, const char *config_path, bool once)
{
        _cleanup_free_ char *why = NULL;
        LogFields f = { .action = "start" };
        ControlOptions co;
        int r;

        *d = (Daemon) { .loop = loop, .config = cfg, .once = once };
        d->config_path = xstrdup(config_path);
        d->started_at = clock_wall();
        d->db_path = config_database_path(cfg);
        d->socket_path = config_socket_path(cfg);

        uv_timer_init(loop, &d->sweep_timer);
        uv_timer_init(loop, &d->stop_timer);
        d->sweep_timer.data = d->stop_timer.data = d;
        uv_signal_init(loop, &d->sig_hup);
        uv_signal_init(loop, &d->sig_term);
        uv_signal_init(loop, &d->sig_int);
        d->sig_hup.data = d->sig_term.data = d->sig_int.data = d;
        uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
        uv_signal_start(&d->sig_term, on_signal, SIGTERM);
        uv_signal_start(&d->sig_int, on_signal, SIGINT);
        (void) watchdog_start(loop, &d->watchdog);

        r = mkdir_p(cfg->state_directory, 0750);
        if (r < 0) {
                log_error_errno(r, "cannot create state directory '%s'", cfg->state_directory);
                goto fail;
        }
        r = store_open(d->db_path, &d->store, &why);
        if (r < 0) {
                log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "%s", why);
                goto fail;
        }
        /* entries that expired while we were down go before anything else */
        sweep(d);

        for (size_t i = 0; i < cfg->n_responders; i++)
                cfg->responders[i]->loop = loop;
        {
                BlockPolicy bp = BLOCK_POLICY_DEFAULT;
                bp.retry.max_attempts = (unsigned) cfg->reconcile.retry_attempts;
                bp.retry.base_ms = (uint64_t) cfg->reconcile.retry_base_ms;
                bp.retry.max_ms = cfg->reconcile.retry_max * 1000;
                bp.failed_interval_ms = cfg->reconcile.failed_interval * 1000;
                r = reconciler_new(loop, d->store, &bp, &d->reconciler);
                if (r < 0) {
                        log_error_errno(r, "cannot create the reconciler");
                        goto fail;
                }
        }
        reconciler_set_responders(d->reconciler, cfg->responders, cfg->n_responders);
        r = daemon_start_sources(d);
        if (r < 0)
                goto fail;
        (void) summary_sender_new(loop, d->http, d->store, cfg, &d->summary);

        co = (ControlOptions) {
                .path = d->socket_path,
                .group = cfg->control.group,
                .client_timeout_ms = cfg->control.client_timeout * 1000,
                .dispatch = commands_dispatch,
                .userdata = d,
        };
        free(why);
        why = NULL;
        r = control_server_new(loop, &co, &d->control, &why);
        if (r < 0) {
                log_error("%s", why);
                goto fail;
        }
        /* the relays' HTTP server, after the control socket and before READY */
        r = relay_set_start(loop, d->http, cfg, &d->relays);
        if (r < 0)
                goto fail;
        daemon_schedule_sweep(d);
        /* calls a crash left unfinished are issued again, expired blocks lifted */
        (void) reconciler_resume(d->reconciler);
        for (size_t i = 0; !once && i < d->n_sources; i++)
                sched_start(d->sources[i], (unsigned) i, on_cycle, d);

        notify_ready();
        daemon_update_status(d);
        log_event(LOG_INFO, MSGID_STARTED, &f,
                  "secrespd " PACKAGE_VERSION " started: config %s, database %s (schema %d), control %s",
                  config_path, d->db_path, store_schema_version(d->store), d->socket_path);
        if (once)
                run_once(d);
        return 0;
fail:
        d->exit_code = 1;
        daemon_stop(d, NULL);
        return r;
}

static void on_http_closed(void *userdata)
{
        (void) userdata;
}

/* The HTTP client goes last: the relays' calls and JWKS fetches use it. */
static void maybe_shutdown_http(Daemon *d)
{
        if (!d->stop_finished || !d->relays_down || !d->http)
                return;
        (void) http_client_shutdown(d->http, on_http_closed, d);
        d->http = NULL;
        for (size_t i = 0; i < d->config->n_responders; i++)
                d->config->responders[i]->http = NULL;
}

static void on_relays_down(void *userdata)
{
        Daemon *d = userdata;

        d->relays = NULL;
        d->relays_down = true;
        maybe_shutdown_http(d);
}

static void finish_stop(void *userdata)
{
        Daemon *d = userdata;

        if (!uv_is_closing((uv_handle_t *) &d->stop_timer))
                uv_close((uv_handle_t *) &d->stop_timer, NULL);
        d->reconciler = reconciler_free(d->reconciler);
        summary_sender_free(d->summary);
        d->summary = NULL;
        d->stop_finished = true;
        maybe_shutdown_http(d);
}

static void on_stop_deadline(uv_timer_t *t)
{
        Daemon *d = t->data;

        log_warning("shutdown: %u responder call(s) still running after %d ms; cancelling them (their rows "
                    "are resumed at the next start)", reconciler_in_flight(d->reconciler), STOP_DEADLINE_MS);
        reconciler_cancel(d->reconciler);
}

void daemon_stop(Daemon *d, const char *why)
{
        if (d->stopping)
                return;
        d->stopping = true;
        if (why) {
                LogFields f = { .action = "stop" };
                notify_stopping();
                log_event(LOG_INFO, MSGID_STOPPED, &f, "secrespd stopping (%s); blocks stay in place", why);
        }
        control_server_close(d->control);
        d->control = NULL;
        /* stops accepting, cancels the relay requests in flight */
        if (!d->relays || relay_set_shutdown(d->relays, on_relays_down, d) < 0)
                d->relays_down = true;
        watchdog_close(&d->watchdog);
        uv_close((uv_handle_t *) &d->sweep_timer, NULL);
        uv_close((uv_handle_t *) &d->sig_hup, NULL);
        uv_close((uv_handle_t *) &d->sig_term, NULL);
        uv_close((uv_handle_t *) &d->sig_int, NULL);
        for (size_t i = 0; i < d->n_sources; i++) {
                sched_stop(d->sources[i]);
                if (d->sources[i]->ops->stop)
                        d->sources[i]->ops->stop(d->sources[i]);
        }
        if (!d->reconciler) {
                finish_stop(d);
                return;
        }
        /* in-flight responder calls may finish; past the deadline they are
         * cancelled, and their intent, already on disk, resumes next start */
        uv_timer_start(&d->stop_timer, on_stop_deadline, STOP_DEADLINE_MS, 0);
        reconciler_shutdown(d->reconciler, finish_stop, d);
}

int daemon_reload(Daemon *d, char **ret_errors)
{
        ConfigErrors errs = { 0 };
        Config *n = NULL;
        LogFields f = { .action = "reload" };
        int r;

        notify_reloading();
        r = config_load(d->config_path, &n, &errs);
        if (r < 0) {
                char *all = NULL;
                for (size_t i = 0; i < errs.n; i++) {
                        char *s;
                        f.result = "rejected";
                        log_event(LOG_ERR, MSGID_CONFIG_REJECTED, &f, "reload: %s", errs.lines[i]);
                        s = xasprintf("%s%s%s", all ? all : "", all ? "\n" : "", errs.lines[i]);
                        free(all);
                        all = s;
                }
                log_event(LOG_ERR, MSGID_CONFIG_REJECTED, &f,
                          "reload: %s rejected (%zu error%s); keeping the running configuration", d->config_path,
                          errs.n, errs.n == 1 ? "" : "s");
                free(d->last_reload_error);
                d->last_reload_error = xstrdup(errs.n ? errs.lines[0] : "invalid configuration");
                config_errors_done(&errs);
                if (ret_errors)
                        *ret_errors = all;
                else
                        free(all);
                notify_ready();
                return r;
        }
        /* paths are bound at start: moving them needs a restart */
        if (strcmp(n->state_directory, d->config->state_directory) ||
            strcmp(n->runtime_directory, d->config->runtime_directory)) {
                log_warning("reload: state_directory and runtime_directory changes take effect at the next restart");
                free(n->state_directory);
                free(n->runtime_directory);
                n->state_directory = xstrdup(d->config->state_directory);
                n->runtime_directory = xstrdup(d->config->runtime_directory);
        }
        {
                _cleanup_free_ char *sock = config_socket_path(n);
                if (strcmp(sock, d->socket_path)) {
                        log_warning("reload: control.socket changes take effect at the next restart");
                        free(n->control.socket);
                        n->control.socket = xstrdup(d->socket_path);
                }
        }
        log_setup(NULL, n->log_target, n->log_level);
        /* Sources and responders are rebuilt at the next restart; a reload
         * applies the settings that can change under a running loop. */
        if (n->n_vectra != d->config->n_vectra || n->n_sna != d->config->n_sna ||
            n->umbrella.enabled != d->config->umbrella.enabled || n->n_responders != d->config->n_responders)
                log_warning("reload: sources and responders added or removed take effect at the next restart");
        if (n->n_relays || d->config->n_relays)
                log_notice("reload: relay and relay_server changes take effect at the next restart");
        daemon_retire_config(d, n);
        control_server_update(d->control, n->control.group, n->control.client_timeout * 1000);
        daemon_schedule_sweep(d);
        d->last_reload = clock_wall();
        free(d->last_reload_error);
        d->last_reload_error = NULL;
        f.result = "ok";
        log_event(LOG_INFO, MSGID_RELOADED, &f, "reloaded %s", d->config_path);
        notify_ready();
        daemon_update_status(d);
        return 0;
}

/* The old config's responders and sources may still be referenced by calls
 * in flight, so it is freed only once nothing holds it. */
void daemon_retire_config(Daemon *d, Config *n)
{
        Config *old = d->config;

        /* keep the objects that live on: responders and sources stay those of the first config */
        for (size_t i = 0; i < n->n_responders; i++) {
                Responder *r = n->responders[i];
                responder_free(r);
        }
        free(n->responders);
        n->responders = old->responders;
        n->n_responders = old->n_responders;
        old->responders = NULL;
        old->n_responders = 0;
        /* vectra settings are read by the sources at each cycle from their own copy */
        d->retired = xreallocarray(d->retired, d->n_retired + 1, sizeof(Config *));
        d->retired[d->n_retired++] = old;
        d->config = n;
        /* sources keep their own section of the old config (restart to
         * change it) but see the responders and protect list through the
         * current one */
        for (size_t i = 0; i < d->n_sources; i++)
                d->sources[i]->env.config = n;
}

void daemon_fini(Daemon *d)
{
        for (size_t i = 0; i < d->n_sources; i++) {
                d->sources[i]->ops->free(d->sources[i]);
                sched_free(d->sources[i]);
                free(d->sources[i]->name);
                free(d->sources[i]);
        }
        free(d->sources);
        for (size_t i = 0; i < d->n_retired; i++)
                config_free(d->retired[i]);
        free(d->retired);
        d->store = store_close(d->store);
        d->config = config_free(d->config);
        free(d->config_path);
        free(d->socket_path);
        free(d->db_path);
        free(d->last_reload_error);
}
