/* SPDX-License-Identifier: MIT */
#pragma once
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Store Store;

#define STORE_SCHEMA_VERSION 5

/* Opens (creating if absent) and migrates the database.  A database of a
 * newer schema, or one that fails quick_check, is refused and left as it
 * is.  On failure *ret_why is a malloc'ed sentence naming the file. */
int store_open(const char *path, Store **ret, char **ret_why);
Store *store_close(Store *s);
sqlite3 *store_db(Store *s);
int store_schema_version(Store *s);
const char *store_path(Store *s);
const char *store_errmsg(Store *s);

int store_begin(Store *s);
int store_commit(Store *s);
void store_rollback(Store *s);

/* A prepared statement for sql, which must be a string literal (its
 * address is the cache key); SQLITE_OK or an error.  Give it back with
 * store_release() (which resets it) instead of sqlite3_finalize(); never
 * use the same statement twice at once. */
int store_prepare(Store *s, const char *sql, sqlite3_stmt **ret);
void store_release(sqlite3_stmt *st);

/* Binds a string, or NULL when v is NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Appends to the audit table `events`. */
int store_event(Store *s, int64_t at, const char *actor, const char *action, const char *kind,
                const char *value, const char *reason, const char *result, const char *detail);

/* Rows per state of `blocks`, indexed like BLOCK_STATE_NAMES. */
#define STORE_BLOCK_STATES 5
extern const char *const store_block_state_names[STORE_BLOCK_STATES];
int store_block_counts(Store *s, int64_t ret_counts[STORE_BLOCK_STATES]);
