/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/xalloc.h"
#include "daemon/daemon.h"
#include "daemon/store_whitelist.h"

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
        d->sweep_timer.data = d;
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
        daemon_schedule_sweep(d);

        notify_ready();
        daemon_update_status(d);
        log_event(LOG_INFO, MSGID_STARTED, &f,
                  "secrespd " PACKAGE_VERSION " started: config %s, database %s (schema %d), control %s",
                  config_path, d->db_path, store_schema_version(d->store), d->socket_path);
        if (once)
                /* no source is enabled yet: one cycle is nothing to do */
                daemon_stop(d, "--once finished");
        return 0;
fail:
        d->exit_code = 1;
        daemon_stop(d, NULL);
        return r;
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
        watchdog_close(&d->watchdog);
        uv_close((uv_handle_t *) &d->sweep_timer, NULL);
        uv_close((uv_handle_t *) &d->sig_hup, NULL);
        uv_close((uv_handle_t *) &d->sig_term, NULL);
        uv_close((uv_handle_t *) &d->sig_int, NULL);
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
        config_free(d->config);
        d->config = n;
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

void daemon_fini(Daemon *d)
{
        d->store = store_close(d->store);
        d->config = config_free(d->config);
        free(d->config_path);
        free(d->socket_path);
        free(d->db_path);
        free(d->last_reload_error);
}
