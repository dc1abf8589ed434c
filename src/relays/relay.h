/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/jwt.h"
#include "relays/relay_conf.h"

/* The Threat Response relays served by secrespd (relays.md §1–§6): one
 * HTTP server (httpd.h) for all of them, each relay mounted at its prefix
 * on the shared listeners (relay_server.listen) or at its own.  This file
 * is the part every relay shares:
 *
 *   POST /version              {"version": "<the original's>"}, no auth
 *   GET  /watchdog             the Health-Check header echoed, or the TR error
 *   POST /health               JWT, then the relay's health check
 *   POST /observe/observables  body validation (§2.6), the relay's filter
 *                              (§3), JWT (§4), CTR_ENTITIES_LIMIT (§5), then
 *                              the relay's lookups
 *   anything else              404 / 405 with the werkzeug bodies (§2.4)
 *
 * Every TR error is HTTP 200 with sorted, compact JSON and a trailing
 * newline (§2.2, §2.5).  The connection stays suspended while the relay's
 * upstream calls run; the relay answers with relay_call_finish(). */

typedef struct uv_loop_s uv_loop_t;
typedef struct cJSON cJSON;
typedef struct HttpClient HttpClient;
typedef struct Config Config;
typedef struct Relay Relay;
typedef struct RelayCall RelayCall;
typedef struct RelaySet RelaySet;

typedef enum RelayRoute {
        RELAY_ROUTE_HEALTH,
        RELAY_ROUTE_OBSERVE,
} RelayRoute;

/* What a relay type provides (spycloud.c). */
typedef struct RelayOps {
        const char *type;               /* "spycloud" */
        const char *version;            /* POST /version: the original's version */
        bool strict_slashes;            /* false: "/health/" is "/health" (SpyCloud) */
        bool auth_when_unsupported;     /* true: auth runs even when no observable is supported (Graph) */
        /* "Invalid JSON payload received. {...}" plus this ("." for SpyCloud) */
        const char *payload_error_suffix;
        size_t priv_size;
        int (*init)(Relay *r);
        void (*done)(Relay *r);
        /* JWT_OK, or JWT_ERR_PAYLOAD_STRUCTURE when a credential claim is missing */
        JwtError (*check_claims)(const cJSON *claims);
        /* Observables of the validated body this relay looks up (0: {"data": {}}). */
        size_t (*supported)(const cJSON *observables);
        /* Start the route's work; answer with relay_call_finish() (at once or later). */
        void (*start)(RelayCall *c, RelayRoute route);
        /* The answer is no longer wanted: stop what runs; still call relay_call_finish(). */
        void (*cancel)(RelayCall *c);
} RelayOps;

/* ---- the daemon's side ---------------------------------------------------------- */

/* Starts the server and every relay of cfg (nothing when it has none:
 * *ret is then NULL).  `http` is borrowed and must outlive the set. */
int relay_set_start(uv_loop_t *loop, HttpClient *http, const Config *cfg, RelaySet **ret);
/* Stops accepting, cancels the requests in flight, then calls cb (from the
 * loop) once every handle is closed and frees the set.  Call it before
 * http_client_shutdown().  0, or -EALREADY. */
int relay_set_shutdown(RelaySet *s, void (*cb)(void *userdata), void *userdata);
/* Appends one object per relay to `array` (secrespctl status):
 * name, type, mount, listen [names], requests, errors. */
void relay_set_status(const RelaySet *s, cJSON *array);

/* ---- the relays' side ------------------------------------------------------------- */

void *relay_priv(Relay *r);
const RelayConf *relay_conf(const Relay *r);
const char *relay_name(const Relay *r);
HttpClient *relay_http(const Relay *r);
uv_loop_t *relay_loop(const Relay *r);

Relay *relay_call_relay(RelayCall *c);
/* Verified JWT claims (credentials: never log them). */
const cJSON *relay_call_claims(const RelayCall *c);
/* CTR_ENTITIES_LIMIT of this request (§5). */
int64_t relay_call_limit(const RelayCall *c);
/* The validated /observe/observables body (a list). */
const cJSON *relay_call_observables(const RelayCall *c);
void relay_call_set_data(RelayCall *c, void *data);
void *relay_call_get_data(const RelayCall *c);
bool relay_call_is_gone(const RelayCall *c);

/* For /metrics and status: one upstream call of the relay ended (failed:
 * network, timeout, non-2xx or a malformed answer). */
void relay_note_upstream(Relay *r, bool failed);
/* The relay's cap on its upstream calls in flight (max_connections),
 * for every relay type: a call takes a slot before it is sent and gives
 * it back when its answer is in; past the cap, calls wait in order here
 * (not in libcurl's pending list, which it scans whenever a connection
 * frees).  Embed a RelaySlot in the call. */
typedef struct RelaySlot RelaySlot;
struct RelaySlot {
        void (*start)(RelaySlot *s);    /* runs once the slot is held: at once, or later */
        RelaySlot *prev, *next;         /* in the relay's queue while waiting */
        bool queued, held;
};
/* Holds a slot and calls start(s), now when one is free, else when one is
 * given back.  start may end the call (and free s) before this returns. */
void relay_slot_acquire(Relay *r, RelaySlot *s, void (*start)(RelaySlot *s));
/* Gives a held slot back (the first waiting call starts, maybe at once),
 * or takes a waiting call out of the queue; nothing otherwise. */
void relay_slot_release(Relay *r, RelaySlot *s);

/* Whether the relay has a response cache (cache_ttl set): the keys need
 * not be computed otherwise. */
bool relay_cache_enabled(const Relay *r);
/* The relay's response cache (cache_ttl; off by default): an upstream
 * answer by credential and request key (the URL, plus the body for a
 * POST).  get counts a hit or a miss; false when the cache is off. */
bool relay_cache_get(Relay *r, const char *cred, const char *key, const char **ret_body, size_t *ret_len);
void relay_cache_put(Relay *r, const char *cred, const char *key, const char *body, size_t len);

/* Answers the call with `body` (taken; NULL: 500) printed as jsonify does,
 * HTTP 200, and frees it.  `error`: the answer holds a fatal TR error
 * (counted in the status' errors). */
void relay_call_finish(RelayCall *c, cJSON *body, bool error);
/* relay_call_finish() with {"errors": [{"code", "message", "type": "fatal"}]}. */
void relay_call_fail(RelayCall *c, const char *code, const char *message);

/* ---- pure helpers (unit tests) ------------------------------------------------------ */

/* §2.6: the body parsed and checked as the originals' marshmallow schema.
 * 0 and the list in *ret, or -EINVAL and in *ret_message (owned) "Invalid
 * JSON payload received. " + the errors as json.dumps prints them. */
int relay_observables_validate(const char *body, size_t len, cJSON **ret, char **ret_message);
