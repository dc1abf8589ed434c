/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/xalloc.h"
#include "daemon/store.h"

typedef struct CachedStmt {
        const char *sql;        /* a string literal: its address is the key */
        sqlite3_stmt *st;
} CachedStmt;

struct Store {
        sqlite3 *db;
        char *path;
        int version;
        /* Prepared once, reset after each use: preparing was the largest
         * cost of a cycle over thousands of entities. */
        CachedStmt *cache;
        size_t n_cache;
};

/* Forward-only migrations: migrations[i] takes the schema from version i
 * to i + 1.  Never edit a released step; append a new one. */
static const char *const migrations[] = {
        /* 0 -> 1: the tables of ARCHITECTURE.md */
        "CREATE TABLE entities ("
        "  id INTEGER PRIMARY KEY,"
        "  kind TEXT NOT NULL,"
        "  value TEXT NOT NULL,"
        "  first_seen INTEGER NOT NULL,"
        "  last_seen INTEGER NOT NULL,"
        "  attrs TEXT,"
        "  UNIQUE (kind, value));"
        "CREATE TABLE blocks ("
        "  id INTEGER PRIMARY KEY,"
        "  entity_id INTEGER NOT NULL REFERENCES entities(id),"
        "  responder TEXT NOT NULL,"
        "  state TEXT NOT NULL CHECK (state IN ('blocking','blocked','unblocking','unblocked','failed')),"
        "  elements TEXT,"
        "  attempts INTEGER NOT NULL DEFAULT 0,"
        "  next_attempt_at INTEGER,"
        "  last_error TEXT,"
        "  reason TEXT,"
        "  source TEXT,"
        "  expires_at INTEGER,"
        "  created_at INTEGER NOT NULL,"
        "  updated_at INTEGER NOT NULL,"
        "  UNIQUE (entity_id, responder));"
        "CREATE INDEX blocks_state ON blocks(state, next_attempt_at);"
        "CREATE TABLE whitelist ("
        "  id INTEGER PRIMARY KEY,"
        "  kind TEXT NOT NULL CHECK (kind IN ('user','host','account','destination')),"
        "  value TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  expires_at INTEGER,"
        "  reason TEXT,"
        "  created_by TEXT NOT NULL,"
        "  UNIQUE (kind, value));"
        "CREATE INDEX whitelist_expiry ON whitelist(expires_at) WHERE expires_at IS NOT NULL;"
        "CREATE TABLE scores ("
        "  id INTEGER PRIMARY KEY,"
        "  user TEXT NOT NULL,"
        "  score REAL NOT NULL,"
        "  band TEXT NOT NULL,"
        "  inputs TEXT,"
        "  whitelisted INTEGER NOT NULL DEFAULT 0,"
        "  computed_at INTEGER NOT NULL);"
        "CREATE INDEX scores_user ON scores(user, computed_at);"
        "CREATE TABLE static_dst ("
        "  id INTEGER PRIMARY KEY,"
        "  list TEXT NOT NULL,"
        "  value TEXT NOT NULL,"
        "  desired INTEGER NOT NULL,"
        "  applied INTEGER NOT NULL DEFAULT 0,"
        "  updated_at INTEGER NOT NULL,"
        "  UNIQUE (list, value));"
        "CREATE TABLE events ("
        "  id INTEGER PRIMARY KEY,"
        "  at INTEGER NOT NULL,"
        "  actor TEXT NOT NULL,"
        "  action TEXT NOT NULL,"
        "  kind TEXT,"
        "  value TEXT,"
        "  reason TEXT,"
        "  result TEXT NOT NULL,"
        "  detail TEXT);"
        "CREATE INDEX events_value ON events(kind, value, at);",
        /* 1 -> 2: the direction of a pending or failed call, where each entity
         * was seen (for write-back to the source), and the cycle history */
        "ALTER TABLE blocks ADD COLUMN intent TEXT NOT NULL DEFAULT 'block' "
        "  CHECK (intent IN ('block','unblock'));"
        "CREATE TABLE sightings ("
        "  id INTEGER PRIMARY KEY,"
        "  entity_id INTEGER NOT NULL REFERENCES entities(id),"
        "  source TEXT NOT NULL,"
        "  ext_kind TEXT NOT NULL,"
        "  ext_id TEXT NOT NULL,"
        "  attrs TEXT,"
        "  first_seen INTEGER NOT NULL,"
        "  last_seen INTEGER NOT NULL,"
        "  UNIQUE (source, ext_kind, ext_id, entity_id));"
        "CREATE INDEX sightings_entity ON sightings(entity_id);"
        "CREATE TABLE cycles ("
        "  id INTEGER PRIMARY KEY,"
        "  source TEXT NOT NULL,"
        "  started_at INTEGER NOT NULL,"
        "  finished_at INTEGER,"
        "  result TEXT,"
        "  found INTEGER NOT NULL DEFAULT 0,"
        "  to_block INTEGER NOT NULL DEFAULT 0,"
        "  to_unblock INTEGER NOT NULL DEFAULT 0,"
        "  failed INTEGER NOT NULL DEFAULT 0,"
        "  requests INTEGER NOT NULL DEFAULT 0,"
        "  error TEXT);"
        "CREATE INDEX cycles_source ON cycles(source, started_at);",
        /* 2 -> 3 (sna, issue 6; renumber at merge): the alarm settings
         * `secrespctl sna setup` replaced, as they were before, so that a
         * lab's change can be looked up and undone */
        "CREATE TABLE sna_policy_saved ("
        "  id INTEGER PRIMARY KEY,"
        "  source TEXT NOT NULL,"
        "  tenant INTEGER NOT NULL,"
        "  event_id INTEGER NOT NULL,"
        "  settings TEXT NOT NULL,"
        "  saved_at INTEGER NOT NULL,"
        "  saved_by TEXT NOT NULL);"
        "CREATE INDEX sna_policy_saved_event ON sna_policy_saved(source, tenant, event_id, saved_at);",
        /* 3 -> 4 (umbrella, issue 5): the Investigate risk score of each domain, kept
         * for umbrella.score_ttl so a domain is asked once across users and
         * cycles; and which source computed a score (band is its VPN group) */
        "CREATE TABLE umbrella_domain_scores ("
        "  domain TEXT PRIMARY KEY,"
        "  score INTEGER NOT NULL,"
        "  fetched_at INTEGER NOT NULL);"
        "ALTER TABLE scores ADD COLUMN source TEXT;",
        /* 4 -> 5: which sources want an entity blocked.  Two brains (or
         * Vectra and SNA) that see one host share its block; it is lifted
         * only when none of them wants it any more, an operator unblocks
         * it, it is whitelisted or its duration ends. */
        "CREATE TABLE wants ("
        "  entity_id INTEGER NOT NULL REFERENCES entities(id),"
        "  source TEXT NOT NULL,"
        "  since INTEGER NOT NULL,"
        "  PRIMARY KEY (entity_id, source));",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STORE_SCHEMA_VERSION,
               "one migration per schema version");

const char *const store_block_state_names[STORE_BLOCK_STATES] = {
        "blocking", "blocked", "unblocking", "unblocked", "failed",
};

static int exec_sql(sqlite3 *db, const char *sql, char **ret_err)
{
        char *err = NULL;
        int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

        if (rc != SQLITE_OK) {
                if (ret_err)
                        *ret_err = xstrdup(err ? err : sqlite3_errstr(rc));
                sqlite3_free(err);
                return -EIO;
        }
        return 0;
}

static int pragma_int(sqlite3 *db, const char *sql, int *ret)
{
        sqlite3_stmt *st;
        int rc;

        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

static int quick_check(sqlite3 *db, char **ret_err)
{
        sqlite3_stmt *st;
        int rc, r = 0;

        rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL);
        if (rc != SQLITE_OK) {
                *ret_err = xstrdup(sqlite3_errmsg(db));
                return -EIO;
        }
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                *ret_err = xstrdup(sqlite3_errmsg(db));
                r = -EIO;
        } else if (strcmp((const char *) sqlite3_column_text(st, 0), "ok") != 0) {
                *ret_err = xstrdup((const char *) sqlite3_column_text(st, 0));
                r = -EIO;
        }
        sqlite3_finalize(st);
        return r;
}

int store_open(const char *path, Store **ret, char **ret_why)
{
        _cleanup_free_ char *err = NULL;
        sqlite3 *db = NULL;
        int version = 0, target = (int) (sizeof(migrations) / sizeof(migrations[0]));
        Store *s;
        int rc;

        rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
        if (rc != SQLITE_OK) {
                *ret_why = xasprintf("cannot open database %s: %s", path,
                                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close(db);
                return -EIO;
        }
        sqlite3_busy_timeout(db, 5000);
        sqlite3_extended_result_codes(db, 1);

        /* Checks that only read come first: a damaged or foreign file must
         * be left exactly as we found it for the operator to inspect. */
        if (quick_check(db, &err) < 0) {
                *ret_why = xasprintf("database %s is damaged or not a secresp database (%s); "
                                     "refusing to use it: move it aside or restore a backup", path, err);
                sqlite3_close(db);
                return -EBADMSG;
        }
        if (pragma_int(db, "PRAGMA user_version", &version) < 0) {
                *ret_why = xasprintf("cannot read the schema version of %s: %s", path, sqlite3_errmsg(db));
                sqlite3_close(db);
                return -EIO;
        }
        if (version > target) {
                *ret_why = xasprintf("database %s has schema version %d, newer than this secrespd supports (%d); "
                                     "refusing to use it: run a newer secrespd", path, version, target);
                sqlite3_close(db);
                return -EPROTONOSUPPORT;
        }
        if (exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", &err) < 0) {
                *ret_why = xasprintf("cannot configure database %s: %s", path, err);
                sqlite3_close(db);
                return -EIO;
        }
        for (int v = version; v < target; v++) {
                _cleanup_free_ char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version=%d; COMMIT;",
                                                     migrations[v], v + 1);
                if (exec_sql(db, sql, &err) < 0) {
                        (void) exec_sql(db, "ROLLBACK", NULL);
                        *ret_why = xasprintf("cannot migrate database %s from schema %d to %d: %s", path, v, v + 1,
                                             err);
                        sqlite3_close(db);
                        return -EIO;
                }
        }
        s = xnew(Store, 1);
        s->db = db;
        s->path = xstrdup(path);
        s->version = target;
        *ret = s;
        return 0;
}

int store_prepare(Store *s, const char *sql, sqlite3_stmt **ret)
{
        sqlite3_stmt *st;

        for (size_t i = 0; i < s->n_cache; i++)
                if (s->cache[i].sql == sql) {
                        *ret = s->cache[i].st;
                        return SQLITE_OK;
                }
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
                return SQLITE_ERROR;
        s->cache = xreallocarray(s->cache, s->n_cache + 1, sizeof(CachedStmt));
        s->cache[s->n_cache++] = (CachedStmt) { .sql = sql, .st = st };
        *ret = st;
        return SQLITE_OK;
}

void store_release(sqlite3_stmt *st)
{
        if (!st)
                return;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
}

Store *store_close(Store *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_cache; i++)
                sqlite3_finalize(s->cache[i].st);
        free(s->cache);
        sqlite3_close(s->db);
        free(s->path);
        free(s);
        return NULL;
}

sqlite3 *store_db(Store *s) { return s->db; }
int store_schema_version(Store *s) { return s->version; }
const char *store_path(Store *s) { return s->path; }
const char *store_errmsg(Store *s) { return sqlite3_errmsg(s->db); }

int store_begin(Store *s) { return exec_sql(s->db, "BEGIN IMMEDIATE", NULL); }
int store_commit(Store *s) { return exec_sql(s->db, "COMMIT", NULL); }
void store_rollback(Store *s) { (void) exec_sql(s->db, "ROLLBACK", NULL); }

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
        if (v)
                sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

int store_event(Store *s, int64_t at, const char *actor, const char *action, const char *kind,
                const char *value, const char *reason, const char *result, const char *detail)
{
        sqlite3_stmt *st;
        int rc;

        rc = store_prepare(s, "INSERT INTO events (at, actor, action, kind, value, reason, result, detail) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st);
        if (rc != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, at);
        store_bind_text(st, 2, actor);
        store_bind_text(st, 3, action);
        store_bind_text(st, 4, kind);
        store_bind_text(st, 5, value);
        store_bind_text(st, 6, reason);
        store_bind_text(st, 7, result);
        store_bind_text(st, 8, detail);
        rc = sqlite3_step(st);
        store_release(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_block_counts(Store *s, int64_t ret_counts[STORE_BLOCK_STATES])
{
        int64_t counts[STORE_BLOCK_STATES] = { 0 };
        sqlite3_stmt *st;
        int rc;

        if (sqlite3_prepare_v2(s->db, "SELECT state, count(*) FROM blocks GROUP BY state", -1, &st, NULL) !=
            SQLITE_OK)
                return -EIO;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *state = (const char *) sqlite3_column_text(st, 0);
                for (int i = 0; i < STORE_BLOCK_STATES; i++)
                        if (state && !strcmp(state, store_block_state_names[i]))
                                counts[i] = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return -EIO;
        memcpy(ret_counts, counts, sizeof(counts));
        return 0;
}
