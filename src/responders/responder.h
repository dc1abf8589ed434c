/* SPDX-License-Identifier: MIT */
#pragma once
#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "engine/entity.h"

/* The responder interface.  A responder enforces blocks on one product.
 * Calls are asynchronous: they return 0 and later call done exactly once
 * from the loop, or return a negative errno and never call done.
 *
 * Elements are the vendor-side ids a block touched (an IP, a MAC, an object
 * name); they are stored in SQLite and in the Vectra `VAR ID:<client
 * name>:<element>` tags, and given back to unblock.  "Already blocked" and
 * "not found on unblock" are successes. */

enum {
        RESPONDER_CAP_HOST        = 1 << 0,
        RESPONDER_CAP_ACCOUNT     = 1 << 1,
        RESPONDER_CAP_DESTINATION = 1 << 2,
        RESPONDER_CAP_USER        = 1 << 3,
        RESPONDER_CAP_STATIC_LIST = 1 << 4,
        RESPONDER_CAP_GROOM       = 1 << 5,
};

typedef struct Responder Responder;
typedef struct HttpClient HttpClient;

typedef struct ResponderResult {
        int r;                          /* 0 or negative errno */
        bool transient;                 /* worth retrying */
        char **elements;                /* owned by the responder until done returns */
        size_t n_elements;
        const char *error;              /* human text, no secrets; NULL on success */
} ResponderResult;

typedef void (*ResponderDone)(void *userdata, const ResponderResult *res);

/* Many calls at once, for products whose API takes several objects per
 * request or needs one commit per change set (policy install, deploy,
 * publish): the reconciler hands every queued call of the responder, up to
 * max_batch, in one batch.  The module fills items[i].res for each item and
 * calls done(batch) exactly once, from the loop.  Elements and error texts
 * it puts in res stay owned by it until done returns. */
typedef struct ResponderItem {
        const Entity *entity;
        bool block;                     /* false: unblock */
        const char *const *elements;    /* unblock: what the block touched */
        size_t n_elements;
        ResponderResult res;
} ResponderItem;

typedef struct ResponderBatch ResponderBatch;
struct ResponderBatch {
        ResponderItem *items;
        size_t n;
        void (*done)(ResponderBatch *b);
        void *userdata;                 /* the reconciler's */
};

typedef struct ResponderOps {
        const char *module;             /* "external_call": config type and client: filter value */
        const char *client_name;        /* "External Call Client": the name in VAR ID tags */
        unsigned caps;                  /* what this module can do at most */
        size_t priv_size;
        /* Reads the module's own settings from its config group; errors are
         * appended as "file:line: setting: message" lines. */
        int (*configure)(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs);
        void (*done)(Responder *r);
        int (*block)(Responder *r, const Entity *e, ResponderDone cb, void *userdata);
        int (*unblock)(Responder *r, const Entity *e, const char *const *elements, size_t n,
                       ResponderDone cb, void *userdata);
        /* Cancels every call in flight: each done callback runs with
         * -ECANCELED (transient) before the handles it used are closed.
         * May be NULL when calls finish by themselves quickly. */
        void (*cancel_all)(Responder *r);
        /* Optional; when set, the reconciler calls it instead of block and
         * unblock (which may then be NULL). */
        int (*apply_batch)(Responder *r, ResponderBatch *b);
        /* Optional: checks credentials and reachability and changes nothing
         * (`secrespctl responder test NAME`).  res->error says what failed;
         * on success it may describe what was checked. */
        int (*test)(Responder *r, ResponderDone cb, void *userdata);
        /* Optional, with RESPONDER_CAP_GROOM (VAR's groom_host): is a
         * confirmed block still where the entity is?  res->elements are
         * the elements the block holds afterwards: the same ones when
         * nothing moved; when it moved, the module has lifted the old
         * elements and blocked the new place. */
        int (*groom)(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                     void *userdata);
        bool needs_http;                /* gets the daemon's HTTP client in ->http */
        unsigned default_max_batch;     /* 0: 1 */
        unsigned default_max_concurrent; /* 0: 4 */
} ResponderOps;

/* What the reconciler saw of a responder, for `secrespctl status`. */
typedef struct ResponderHealth {
        int64_t last_ok;                /* unix s of the last successful call, 0: never */
        int64_t last_error_at;
        char *last_error;               /* owned; no secrets (module texts never carry them) */
        uint64_t calls_ok, calls_failed;
        unsigned queued, running;       /* calls waiting for a slot, calls in flight */
} ResponderHealth;

struct Responder {
        const ResponderOps *ops;
        char *name;                     /* instance name from the config */
        unsigned caps;                  /* configured capabilities (subset of ops->caps) */
        bool simulation;
        uv_loop_t *loop;
        HttpClient *http;               /* set when ops->needs_http, before any call */
        void *priv;
        /* settings every responder has (conf.c), applied by the reconciler */
        unsigned max_concurrent;        /* calls (or batches) in flight at once */
        unsigned max_batch;             /* items per apply_batch call */
        double rate_limit;              /* calls per second, 0: unlimited */
        unsigned rate_burst;
        ResponderHealth health;
        void *rq;                       /* the reconciler's queue for this responder */
};

/* Registry of responder modules. */
const ResponderOps *responder_find_module(const char *module);
/* Settings of a responder group that the daemon reads, not the module:
 * modules accept them when they check for unknown settings. */
bool responder_common_setting(const char *name);
/* The modules' names, NULL-terminated, for messages and `secrespd -V`. */
const ResponderOps *const *responder_modules(void);
/* Calls ops->done and frees what the daemon allocated for it. */
void responder_free(Responder *r);
