/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>
#include "daemon/conf.h"
#include "daemon/http.h"

/* Notifications to a Webex room or person (responders.md §7.1), for any
 * source: notifier_send() queues a markdown message and returns at once;
 * the messages go out one at a time, in order, each split under the size
 * limit (engine/notify_text.h), retried on 429 (Retry-After) and 5xx by
 * the HTTP client.  A failure is logged and counted, never reported back:
 * a Webex outage must not stop a source's cycle.  The token is sent as a
 * Bearer header and never logged. */

typedef struct Notifier Notifier;

/* *ret = NULL (and 0) when conf has no token: notifications are off. */
int notifier_new(HttpClient *http, const NotifyConf *conf, const char *name, Notifier **ret);
/* 0, or -ENOBUFS when the queue is full (the message is dropped, logged). */
int notifier_send(Notifier *n, const char *markdown);
/* Drops the queue, cancels the message in flight; frees the notifier once
 * its last callback has run.  NULL is fine. */
void notifier_shutdown(Notifier *n);

typedef struct NotifierStats {
        uint64_t sent, failed, dropped;
        unsigned queued;
} NotifierStats;
void notifier_get_stats(const Notifier *n, NotifierStats *ret);
