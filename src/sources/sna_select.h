/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/addr.h"
#include "sources/sna_model.h"

/* Which hosts of a batch of SNA security events go into the host group
 * (sna.md §5.2).  Pure.
 *
 * Both sides of every event are candidates (the originals looked at the
 * source only); a candidate is kept when it is an inside host: inside one
 * of the inside networks, or tagged with one of the SMC's inside host
 * groups, or either, as configured.  Hosts are deduplicated; each one
 * counts the events that named it and the peers it talked to.  With a
 * cap, the hosts named by the most events are kept (ties: the first
 * seen), not the first ones returned as the originals did. */

typedef enum SnaInsideFrom {
        SNA_INSIDE_NETWORKS,
        SNA_INSIDE_HOST_GROUPS,
        SNA_INSIDE_EITHER,
} SnaInsideFrom;

typedef enum SnaSides {
        SNA_SIDES_BOTH,
        SNA_SIDES_SOURCE,
        SNA_SIDES_TARGET,
} SnaSides;

#define SNA_MAX_PEERS 16        /* peers remembered per host */

typedef struct SnaSelectConfig {
        const AddrNet *inside;          /* the inside networks */
        size_t n_inside;
        const int64_t *inside_tags;     /* ids of the SMC's inside host groups */
        size_t n_inside_tags;
        SnaInsideFrom inside_from;
        SnaSides sides;
        size_t max_hosts;               /* 0: no cap */
} SnaSelectConfig;

typedef struct SnaHost {
        char *ip;                       /* canonical */
        unsigned events;                /* events that named it (either side) */
        int64_t hits;                   /* sum of their hitCount */
        char **peers;                   /* the other sides, distinct, at most SNA_MAX_PEERS */
        size_t first_seen;              /* rank of its first appearance */
} SnaHost;

typedef struct SnaSelection {
        SnaHost *hosts;
        size_t n;
        size_t outside;                 /* distinct candidates left out as outside hosts */
        size_t capped;                  /* inside hosts left out by the cap */
} SnaSelection;

int sna_select_hosts(const SnaEvent *ev, size_t n, const SnaSelectConfig *cfg, SnaSelection *ret);
void sna_selection_done(SnaSelection *s);

/* The default inside networks: RFC 1918 (10/8, 172.16/12, 192.168/16). */
extern const char *const sna_default_inside[];
/* Parses networks (NULL: the default); -EINVAL on the first bad one. */
int sna_inside_parse(char *const *nets, AddrNet **ret, size_t *ret_n);
