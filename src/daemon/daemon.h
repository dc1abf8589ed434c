/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <time.h>
#include <uv.h>
#include "daemon/conf.h"
#include "daemon/control.h"
#include "daemon/notify.h"
#include "daemon/store.h"

typedef struct Reconciler Reconciler;
typedef struct HttpClient HttpClient;
typedef struct Source Source;
typedef struct RelaySet RelaySet;

typedef struct Daemon {
        uv_loop_t *loop;
        Config *config;
        Store *store;
        ControlServer *control;
        Watchdog watchdog;
        uv_signal_t sig_hup, sig_term, sig_int;
        uv_timer_t sweep_timer;
        uv_timer_t stop_timer;          /* bounds the drain on shutdown */
        Reconciler *reconciler;
        HttpClient *http;
        Source **sources;
        size_t n_sources;
        RelaySet *relays;               /* relays/relay.h; NULL when none is configured */
        struct SummarySender *summary;  /* summary_send.h; NULL without e-mail or syslog */
        bool relays_down;               /* the relay set has shut down (or never started) */
        bool stop_finished;             /* finish_stop() ran */
        Config **retired;               /* configs replaced by a reload, still referenced */
        size_t n_retired;
        unsigned once_pending;          /* --once: cycles still running */
        int once_exit;
        char *config_path;
        char *socket_path;
        char *db_path;
        time_t started_at;
        time_t last_reload;
        char *last_reload_error;
        bool once;
        bool stopping;
        int exit_code;
        void (*on_stopped)(struct Daemon *d);   /* after every handle closed */
} Daemon;

/* Opens the store, sweeps, listens and sends READY=1.  On failure the
 * error has been logged; the caller runs the loop down and exits. */
int daemon_start(Daemon *d, uv_loop_t *loop, Config *cfg, const char *config_path, bool once);
/* Loads the config file again; a bad one is refused and the old one kept.
 * *ret_errors (malloc'ed, may be NULL) lists the problems. */
int daemon_reload(Daemon *d, char **ret_errors);
void daemon_stop(Daemon *d, const char *why);
void daemon_fini(Daemon *d);
void daemon_retire_config(Daemon *d, Config *n);
Source *daemon_find_source(Daemon *d, const char *name);
/* --once --source NAME: only that source runs its cycle (call before daemon_start). */
void daemon_set_once_source(const char *name);

/* Re-arms the whitelist expiry timer after a change. */
void daemon_schedule_sweep(Daemon *d);
void daemon_update_status(Daemon *d);

/* Control verbs (commands.c). */
void commands_dispatch(void *userdata, CtlClient *c, const CtlRequest *req);
/* Umbrella's verbs (commands_umbrella.c). */
void cmd_scores(Daemon *d, CtlClient *c, const CtlRequest *req);
void cmd_umbrella_categories(Daemon *d, CtlClient *c, const CtlRequest *req);
