/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "daemon/store.h"

typedef struct WlEntry {
        const char *kind;
        const char *value;
        int64_t created_at;
        int64_t expires_at;     /* 0 = permanent */
        const char *reason;     /* may be NULL */
        const char *created_by;
} WlEntry;

typedef int (*WlEntryFn)(const WlEntry *e, void *userdata);

/* Adds an entry, or moves the expiry (and reason) of an existing one of
 * the same kind and value; *ret_updated says which. Audited in `events`. */
int store_wl_upsert(Store *s, const WlEntry *e, bool *ret_updated);
/* *ret_removed is 0 when there was no such entry. Audited. */
int store_wl_remove(Store *s, const char *kind, const char *value, const char *actor, int64_t now,
                    int *ret_removed);
/* Calls fn for each entry, ordered by kind and value; kind may be NULL. */
int store_wl_list(Store *s, const char *kind, WlEntryFn fn, void *userdata);
/* Deletes every entry expired at `now` in one transaction, auditing each,
 * then calls fn for each (for the journal). */
int store_wl_expire(Store *s, int64_t now, WlEntryFn fn, void *userdata);
/* Earliest expiry, or 0 when nothing expires. */
int store_wl_next_expiry(Store *s, int64_t *ret);
int store_wl_count(Store *s, const char *kind, int64_t *ret);
/* Is an entity of this kind covered by a live entry (networks, domains)? */
int store_wl_covers(Store *s, const char *kind, const char *value, int64_t now, bool *ret);
