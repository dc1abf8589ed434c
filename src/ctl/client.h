/* SPDX-License-Identifier: MIT */
#pragma once
#include "ctl/reply.h"

/* secrespctl's socket I/O: one connection, one request, its answer. */

#define CTL_CLIENT_TIMEOUT_MS 10000

typedef struct cJSON cJSON;

/* Connects to the control socket at path, sends request and reads frames
 * into x until the final reply.  0 when the daemon answered (ok or not:
 * see x).  A negative errno when it could not be reached, went silent for
 * timeout_ms, hung up or sent garbage, with a malloc'ed one-line message
 * in *reterr_message. */
int ctl_client_call(const char *path, const cJSON *request, CtlExchange *x, int timeout_ms,
                    char **reterr_message);
