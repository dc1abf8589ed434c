/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>
#include "daemon/conf.h"
#include "daemon/http.h"
#include "daemon/store.h"

/* VAR's e-mail and syslog summaries (vectra.md §5.2, §5.3), for every
 * source: after a cycle, what it blocked, unblocked or failed to do (read
 * back from the audit trail) and whether the cycle itself failed, sent as
 * one e-mail and one syslog message per section.  Sending never delays a
 * cycle and a failure is logged, never retried into the next cycle. */

typedef struct SummarySender SummarySender;

/* *ret = NULL (and 0) when neither e-mail nor syslog is configured. */
int summary_sender_new(uv_loop_t *loop, HttpClient *http, Store *store, const Config *cfg, SummarySender **ret);
/* After a cycle of `source` that started at `since` (unix s). */
void summary_sender_cycle(SummarySender *s, const char *source, int64_t since, const char *cycle_error,
                          bool suppressed);
/* VAR's --test_smtp and --test_syslog: a test e-mail and a test syslog
 * message; cb(userdata, error) once both are done (error NULL when both
 * went out; else what failed, no secret). */
int summary_sender_test(SummarySender *s, void (*cb)(void *userdata, const char *error), void *userdata);
/* cb from the loop once nothing is being sent (at once when idle). */
void summary_sender_flush(SummarySender *s, void (*cb)(void *userdata), void *userdata);
/* Cancels what is being sent; frees once the last handle is closed. */
void summary_sender_free(SummarySender *s);
