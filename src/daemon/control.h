/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include <uv.h>
#include "common/ctlproto.h"

typedef struct ControlServer ControlServer;
typedef struct CtlClient CtlClient;

/* Called for each well-formed request from an authorised peer.  The
 * handler replies with control_reply() (once) or streams with
 * control_send() and ends with a final reply. */
typedef void (*ControlDispatch)(void *userdata, CtlClient *c, const CtlRequest *req);

typedef struct ControlOptions {
        const char *path;
        const char *group;              /* may be NULL or a missing group: root and self only */
        uint64_t client_timeout_ms;
        ControlDispatch dispatch;
        void *userdata;
} ControlOptions;

/* Binds and listens (mode 0660, group as configured).  Refuses to take
 * over a socket that another process still answers on. */
int control_server_new(uv_loop_t *loop, const ControlOptions *opts, ControlServer **ret, char **ret_why);
/* Takes the new group and timeout on reload; the path stays. */
void control_server_update(ControlServer *s, const char *group, uint64_t client_timeout_ms);
/* Closes the listener and every client; frees in the close callbacks. */
void control_server_close(ControlServer *s);
unsigned control_server_clients(const ControlServer *s);

/* Queues one message (takes ownership of msg). */
void control_send(CtlClient *c, cJSON *msg);
/* A reply that comes later (after a responder call, a source cycle): the
 * handle keeps the client's memory alive; if the client has gone by then
 * the reply is dropped.  control_deferred_reply() takes msg and frees d. */
typedef struct CtlDeferred CtlDeferred;
CtlDeferred *control_defer(CtlClient *c, double id);
double control_deferred_id(const CtlDeferred *d);
void control_deferred_reply(CtlDeferred *d, cJSON *msg);

/* The peer's user name (for audit) and uid. */
const char *control_client_user(const CtlClient *c);
uid_t control_client_uid(const CtlClient *c);
