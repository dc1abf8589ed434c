/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "daemon/conf.h"
#include "daemon/http.h"
#include "sources/sna_select.h"

/* Context for the new hosts of an SNA cycle, for its notification
 * (responders.md §7.2, §7.3): for each host, Secure Endpoint (the computer
 * with that internal IP, then the processes its trajectory shows talking
 * to each peer) and Umbrella Investigate (the domains last seen on each
 * peer address and whether they are malicious).  Every lookup starts at
 * once (the HTTP client paces them per host); answers are cached for
 * cache_ttl; a failed lookup becomes a line saying so.  Each part is off
 * without its credentials. */

typedef struct Enricher Enricher;

/* lines[i]: markdown sub-items for hosts[i] ("  - Umbrella: ...\n"), or
 * NULL; borrowed for the callback.  cancelled: the enricher is shutting
 * down (lines may be NULL). */
typedef void (*EnrichDone)(void *userdata, char *const *lines, bool cancelled);

/* *ret = NULL (and 0) when neither part is configured. */
int enricher_new(HttpClient *http, const EnrichConf *conf, const char *name, Enricher **ret);
/* Copies what it needs of hosts; cb runs once, from the loop. */
int enricher_run(Enricher *e, const SnaHost *const *hosts, size_t n, EnrichDone cb, void *userdata);
/* Cancels every lookup (their jobs end with cancelled = true); frees the
 * enricher once the last callback has run.  NULL is fine. */
void enricher_shutdown(Enricher *e);
