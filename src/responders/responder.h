/* SPDX-License-Identifier: MIT */
#pragma once
#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
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

typedef struct ResponderResult {
        int r;                          /* 0 or negative errno */
        bool transient;                 /* worth retrying */
        char **elements;                /* owned by the responder until done returns */
        size_t n_elements;
        const char *error;              /* human text, no secrets; NULL on success */
} ResponderResult;

typedef void (*ResponderDone)(void *userdata, const ResponderResult *res);

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
} ResponderOps;

struct Responder {
        const ResponderOps *ops;
        char *name;                     /* instance name from the config */
        unsigned caps;                  /* configured capabilities (subset of ops->caps) */
        bool simulation;
        uv_loop_t *loop;
        void *priv;
};

/* Registry of responder modules. */
const ResponderOps *responder_find_module(const char *module);
