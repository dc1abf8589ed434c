/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "daemon/store.h"

/* One row of `blocks`: an entity on one responder.  Strings are owned by
 * the record (block_record_done frees them). */
typedef struct BlockRecord {
        int64_t id;                     /* 0 until stored */
        int64_t entity_id;
        char *kind;                     /* of the entity */
        char *value;
        char *responder;
        char *state;                    /* blocking, blocked, unblocking, unblocked, failed */
        char *intent;                   /* block, unblock */
        char **elements;                /* NULL-terminated; vendor-side ids */
        int64_t attempts;
        int64_t next_attempt_at;        /* unix ms; 0 = none */
        char *last_error;
        char *reason;
        char *source;
        int64_t expires_at;             /* unix s; 0 = none */
        int64_t created_at, updated_at;
} BlockRecord;

void block_record_done(BlockRecord *r);

/* Finds or creates the entity; *ret_id is its row id. */
int store_entity_upsert(Store *s, const char *kind, const char *value, int64_t now, int64_t *ret_id);

/* Which sources want an entity blocked (schema 5).  drop with source NULL
 * drops every want.  others: how many sources other than `source` still
 * want it, and (when ret_first is not NULL and there are some) one of
 * them, malloc'ed; a negative errno on a database error. */
int store_want_add(Store *s, int64_t entity_id, const char *source, int64_t now);
int store_want_drop(Store *s, int64_t entity_id, const char *source);
int store_wants_others(Store *s, int64_t entity_id, const char *source, char **ret_first);
/* Records that a source saw the entity as ext_kind/ext_id (e.g. a Vectra
 * host id), with attributes as JSON for responders and write-back. */
int store_sighting_put(Store *s, int64_t entity_id, const char *source, const char *ext_kind, const char *ext_id,
                       const char *attrs_json, int64_t now);

/* 0 and the row, -ENOENT when the entity was never on this responder. */
int store_block_get(Store *s, int64_t entity_id, const char *responder, BlockRecord *ret);
/* Inserts or replaces the row of (entity_id, responder); sets r->id. */
int store_block_put(Store *s, BlockRecord *r);

typedef int (*BlockRecordFn)(const BlockRecord *r, void *userdata);
typedef struct BlockFilter {
        const char *state;              /* NULL = any */
        const char *responder;
        const char *kind;
        const char *value;
        bool due_only;                  /* pending or failed with next_attempt_at <= now_ms */
        bool expired_only;              /* blocked with expires_at <= now */
        int64_t now_ms;
} BlockFilter;
int store_block_list(Store *s, const BlockFilter *f, BlockRecordFn fn, void *userdata);
/* Earliest next_attempt_at of a pending or failed row (ms), 0 if none. */
int store_block_next_due(Store *s, int64_t *ret_ms);
/* The earliest expires_at (unix s) after now_s of a blocked row; 0 when none. */
int store_block_next_expiry(Store *s, int64_t now_s, int64_t *ret_s);
