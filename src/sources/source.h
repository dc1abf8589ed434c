/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <uv.h>

typedef struct Source Source;
typedef struct Reconciler Reconciler;
typedef struct Store Store;
typedef struct HttpClient HttpClient;
typedef struct Config Config;

/* How a cycle ended; the codes map onto the original tools' --once exit
 * codes (0 ok, 100 unexpected, 101 no bearer token, 102 non-2xx answer). */
typedef enum SourceResult {
        SOURCE_OK,
        SOURCE_FAILED,                  /* unexpected */
        SOURCE_AUTH_FAILED,             /* no bearer token */
        SOURCE_API_FAILED,              /* a non-2xx answer */
        SOURCE_CANCELLED,
        SOURCE_SKIPPED,                 /* outside the block window */
} SourceResult;

typedef struct CycleStats {
        SourceResult result;
        char *error;                    /* owned; NULL when ok */
        uint64_t started_ms, duration_ms;
        unsigned found;                 /* entities considered */
        unsigned to_block, to_unblock;
        unsigned blocked, unblocked, failed;
        unsigned requests;              /* vendor API requests made */
        bool suppressed;                /* max_new_blocks_per_cycle tripped */
} CycleStats;

/* plan: compute and report the decisions, enforce and write nothing. */
typedef void (*CycleDone)(void *userdata, const CycleStats *stats, cJSON *plan);

typedef struct SourceEnv {
        uv_loop_t *loop;
        Store *store;
        Reconciler *reconciler;
        HttpClient *http;
        const Config *config;
} SourceEnv;

typedef struct SourceOps {
        const char *kind;               /* "vectra" */
        int (*start)(Source *s, bool plan, CycleDone cb, void *userdata);
        void (*cancel)(Source *s);      /* the running cycle ends with SOURCE_CANCELLED */
        void (*stop)(Source *s);        /* shutdown: cancel, release vendor clients (async) */
        void (*free)(Source *s);        /* after the loop ended */
} SourceOps;

struct Source {
        const SourceOps *ops;
        char *name;                     /* "vectra:brain1" */
        uint64_t interval_ms;
        SourceEnv env;
        void *priv;
        /* scheduling (sched.c) */
        uv_timer_t timer;
        bool running;
        bool rerun;                     /* a run was asked while one ran */
        unsigned failures;              /* in a row, for backoff */
        CycleStats last;
        uint64_t next_run_ms;
};

const char *source_result_to_string(SourceResult r);
int source_result_exit_code(SourceResult r);
