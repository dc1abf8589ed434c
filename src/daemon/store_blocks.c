/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/store_blocks.h"

void block_record_done(BlockRecord *r)
{
        if (!r)
                return;
        free(r->kind);
        free(r->value);
        free(r->responder);
        free(r->state);
        free(r->intent);
        strv_free(r->elements);
        free(r->last_error);
        free(r->reason);
        free(r->source);
        *r = (BlockRecord) { 0 };
}

static char *col_dup(sqlite3_stmt *st, int i)
{
        const unsigned char *t = sqlite3_column_text(st, i);
        return t ? xstrdup((const char *) t) : NULL;
}

static char *elements_to_json(char *const *v)
{
        cJSON *a = cJSON_CreateArray();
        char *s;

        for (size_t i = 0; v && v[i]; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
        s = cJSON_PrintUnformatted(a);
        cJSON_Delete(a);
        return s;
}

static char **elements_from_json(const char *s)
{
        cJSON *a = s ? cJSON_Parse(s) : NULL, *e;
        char **v = NULL;

        cJSON_ArrayForEach(e, a)
                if (cJSON_IsString(e))
                        v = strv_push(v, e->valuestring);
        cJSON_Delete(a);
        return v;
}

int store_entity_upsert(Store *s, const char *kind, const char *value, int64_t now, int64_t *ret_id)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s,
                               "INSERT INTO entities (kind, value, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3) "
                               "ON CONFLICT (kind, value) DO UPDATE SET last_seen = ?3 RETURNING id", &st) != SQLITE_OK)
                return -EIO;
        store_bind_text(st, 1, kind);
        store_bind_text(st, 2, value);
        sqlite3_bind_int64(st, 3, now);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret_id = sqlite3_column_int64(st, 0);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_sighting_put(Store *s, int64_t entity_id, const char *source, const char *ext_kind, const char *ext_id,
                       const char *attrs_json, int64_t now)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s,
                               "INSERT INTO sightings (entity_id, source, ext_kind, ext_id, attrs, first_seen, last_seen) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (source, ext_kind, ext_id, entity_id) "
                               "DO UPDATE SET attrs = ?5, last_seen = ?6", &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, entity_id);
        store_bind_text(st, 2, source);
        store_bind_text(st, 3, ext_kind);
        store_bind_text(st, 4, ext_id);
        store_bind_text(st, 5, attrs_json);
        sqlite3_bind_int64(st, 6, now);
        rc = sqlite3_step(st);
        store_release(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

#define BLOCK_COLUMNS                                                                                   \
        "b.id, b.entity_id, e.kind, e.value, b.responder, b.state, b.intent, b.elements, b.attempts, " \
        "b.next_attempt_at, b.last_error, b.reason, b.source, b.expires_at, b.created_at, b.updated_at"

static void row_to_record(sqlite3_stmt *st, BlockRecord *r)
{
        *r = (BlockRecord) {
                .id = sqlite3_column_int64(st, 0),
                .entity_id = sqlite3_column_int64(st, 1),
                .kind = col_dup(st, 2),
                .value = col_dup(st, 3),
                .responder = col_dup(st, 4),
                .state = col_dup(st, 5),
                .intent = col_dup(st, 6),
                .elements = elements_from_json((const char *) sqlite3_column_text(st, 7)),
                .attempts = sqlite3_column_int64(st, 8),
                .next_attempt_at = sqlite3_column_int64(st, 9),
                .last_error = col_dup(st, 10),
                .reason = col_dup(st, 11),
                .source = col_dup(st, 12),
                .expires_at = sqlite3_column_int64(st, 13),
                .created_at = sqlite3_column_int64(st, 14),
                .updated_at = sqlite3_column_int64(st, 15),
        };
}

int store_block_get(Store *s, int64_t entity_id, const char *responder, BlockRecord *ret)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s,
                               "SELECT " BLOCK_COLUMNS " FROM blocks b JOIN entities e ON e.id = b.entity_id "
                               "WHERE b.entity_id = ? AND b.responder = ?", &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, entity_id);
        store_bind_text(st, 2, responder);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                row_to_record(st, ret);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static void bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
        if (v)
                sqlite3_bind_int64(st, i, v);
        else
                sqlite3_bind_null(st, i);
}

int store_block_put(Store *s, BlockRecord *r)
{
        _cleanup_free_ char *elements = elements_to_json(r->elements);
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s,
                               "INSERT INTO blocks (entity_id, responder, state, intent, elements, attempts, "
                               "  next_attempt_at, last_error, reason, source, expires_at, created_at, updated_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                               "ON CONFLICT (entity_id, responder) DO UPDATE SET state = ?3, intent = ?4, "
                               "  elements = ?5, attempts = ?6, next_attempt_at = ?7, last_error = ?8, "
                               "  reason = ?9, source = ?10, expires_at = ?11, updated_at = ?13 RETURNING id",
                               &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, r->entity_id);
        store_bind_text(st, 2, r->responder);
        store_bind_text(st, 3, r->state);
        store_bind_text(st, 4, r->intent ? r->intent : "block");
        store_bind_text(st, 5, elements);
        sqlite3_bind_int64(st, 6, r->attempts);
        bind_opt_int(st, 7, r->next_attempt_at);
        store_bind_text(st, 8, r->last_error);
        store_bind_text(st, 9, r->reason);
        store_bind_text(st, 10, r->source);
        bind_opt_int(st, 11, r->expires_at);
        sqlite3_bind_int64(st, 12, r->created_at ? r->created_at : r->updated_at);
        sqlite3_bind_int64(st, 13, r->updated_at);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                r->id = sqlite3_column_int64(st, 0);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_block_list(Store *s, const BlockFilter *f, BlockRecordFn fn, void *userdata)
{
        sqlite3_stmt *st;
        int rc, r = 0;

        if (store_prepare(s,
                               "SELECT " BLOCK_COLUMNS " FROM blocks b JOIN entities e ON e.id = b.entity_id "
                               "WHERE (?1 IS NULL OR b.state = ?1) AND (?2 IS NULL OR b.responder = ?2) "
                               "AND (?3 IS NULL OR e.kind = ?3) AND (?4 IS NULL OR e.value = ?4) "
                               "AND (?5 = 0 OR (b.state IN ('blocking','unblocking','failed') "
                               "                AND coalesce(b.next_attempt_at, 0) <= ?6)) "
                               "AND (?7 = 0 OR (b.state = 'blocked' AND b.expires_at IS NOT NULL "
                               "                AND b.expires_at <= ?6 / 1000)) "
                               "ORDER BY e.kind, e.value, b.responder", &st) != SQLITE_OK)
                return -EIO;
        store_bind_text(st, 1, f ? f->state : NULL);
        store_bind_text(st, 2, f ? f->responder : NULL);
        store_bind_text(st, 3, f ? f->kind : NULL);
        store_bind_text(st, 4, f ? f->value : NULL);
        sqlite3_bind_int(st, 5, f && f->due_only);
        sqlite3_bind_int64(st, 6, f ? f->now_ms : 0);
        sqlite3_bind_int(st, 7, f && f->expired_only);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                BlockRecord rec;
                row_to_record(st, &rec);
                r = fn(&rec, userdata);
                block_record_done(&rec);
                if (r < 0)
                        break;
        }
        store_release(st);
        if (r < 0)
                return r;
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_block_next_due(Store *s, int64_t *ret_ms)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s,
                               "SELECT min(next_attempt_at) FROM blocks WHERE state IN ('blocking','unblocking','failed') "
                               "AND next_attempt_at IS NOT NULL", &st) != SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret_ms = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_block_next_expiry(Store *s, int64_t now_s, int64_t *ret_s)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s,
                          "SELECT min(expires_at) FROM blocks WHERE state = 'blocked' AND expires_at IS NOT NULL "
                          "AND expires_at > ?", &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, now_s);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret_s = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_want_add(Store *s, int64_t entity_id, const char *source, int64_t now)
{
        sqlite3_stmt *st;
        int rc;

        if (!source)
                return -EINVAL;
        if (store_prepare(s, "INSERT INTO wants (entity_id, source, since) VALUES (?1, ?2, ?3) "
                             "ON CONFLICT (entity_id, source) DO NOTHING", &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, entity_id);
        store_bind_text(st, 2, source);
        sqlite3_bind_int64(st, 3, now);
        rc = sqlite3_step(st);
        store_release(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_want_drop(Store *s, int64_t entity_id, const char *source)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s, source ? "DELETE FROM wants WHERE entity_id = ?1 AND source = ?2"
                                    : "DELETE FROM wants WHERE entity_id = ?1", &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, entity_id);
        if (source)
                store_bind_text(st, 2, source);
        rc = sqlite3_step(st);
        store_release(st);
        return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_wants_others(Store *s, int64_t entity_id, const char *source, char **ret_first)
{
        sqlite3_stmt *st;
        int n = 0;

        if (store_prepare(s, "SELECT source FROM wants WHERE entity_id = ?1 AND source <> ?2 ORDER BY since",
                          &st) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_int64(st, 1, entity_id);
        store_bind_text(st, 2, source ? source : "");
        while (sqlite3_step(st) == SQLITE_ROW) {
                if (n == 0 && ret_first)
                        *ret_first = xstrdup((const char *) sqlite3_column_text(st, 0));
                n++;
        }
        store_release(st);
        return n;
}
