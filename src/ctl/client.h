/* SPDX-License-Identifier: MIT */
#pragma once
#include "ctl/reply.h"

/* secrespctl's socket I/O: one connection, one request, its answer. */

typedef struct cJSON cJSON;

/* Connects to the control socket at path, sends request and reads frames
 * into x until the final reply.  0 when the daemon answered (ok or not:
 * see x).  A negative errno when it could not be reached, went silent,
 * hung up or sent garbage, with a malloc'ed one-line message in
 * *reterr_message.  timeout_ms bounds connecting and each write;
 * reply_timeout_ms each wait for the reply's bytes, so that a daemon that
 * answers only after its responders have may take longer than one that
 * answers at once (ctl_action_timeout_ms()). */
int ctl_client_call(const char *path, const cJSON *request, CtlExchange *x, int timeout_ms,
                    int reply_timeout_ms, char **reterr_message);
