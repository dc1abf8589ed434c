/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "sources/sna_select.h"

/* The Webex message of a cycle that found new hosts (sna.md §7, done
 * per cycle and with the peers): markdown, one line per host.  Pure. */
typedef struct SnaReport {
        const char *source;             /* "sna:smc1" */
        const char *event_names;        /* "High Total Traffic" */
        size_t n_events;                /* events in the results */
        uint64_t window_s;
        const SnaHost *const *hosts;    /* the new ones */
        size_t n_hosts;
        const char *responders;         /* "hg, fw", or NULL */
        char *const *extra;             /* per host, markdown sub-items (enrichment), entries may be NULL */
} SnaReport;

char *sna_report_markdown(const SnaReport *r);
