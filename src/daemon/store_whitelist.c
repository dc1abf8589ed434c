/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/xalloc.h"
#include "daemon/store_whitelist.h"
#include "engine/whitelist.h"

static void bind_expiry(sqlite3_stmt *st, int i, int64_t t)
{
        if (t)
                sqlite3_bind_int64(st, i, t);
        else
                sqlite3_bind_null(st, i);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
        return (const char *) sqlite3_column_text(st, i);
}

static void row_to_entry(sqlite3_stmt *st, WlEntry *e)
{
        *e = (WlEntry) {
                .kind = col_text(st, 0),
                .value = col_text(st, 1),
                .created_at = sqlite3_column_int64(st, 2),
                .expires_at = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3),
                .reason = col_text(st, 4),
                .created_by = col_text(st, 5),
        };
}

int store_wl_upsert(Store *s, const WlEntry *e, bool *ret_updated)
{
        sqlite3_stmt *st = NULL;
        bool exists = false;
        int r = -EIO;

        if (store_begin(s) < 0)
                return -EIO;
        if (store_prepare(s, "SELECT 1 FROM whitelist WHERE kind = ? AND value = ?", &st) != SQLITE_OK)
                goto fail;
        store_bind_text(st, 1, e->kind);
        store_bind_text(st, 2, e->value);
        exists = sqlite3_step(st) == SQLITE_ROW;
        store_release(st);

        /* A duplicate moves the expiry instead of adding a row; the first
         * creator and creation time stay, the audit row says who changed it. */
        if (store_prepare(s,
                               "INSERT INTO whitelist (kind, value, created_at, expires_at, reason, created_by) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                               "ON CONFLICT (kind, value) DO UPDATE SET expires_at = ?4, "
                               "reason = coalesce(?5, reason)", &st) != SQLITE_OK)
                goto fail;
        store_bind_text(st, 1, e->kind);
        store_bind_text(st, 2, e->value);
        sqlite3_bind_int64(st, 3, e->created_at);
        bind_expiry(st, 4, e->expires_at);
        store_bind_text(st, 5, e->reason);
        store_bind_text(st, 6, e->created_by);
        if (sqlite3_step(st) != SQLITE_DONE)
                goto fail;
        store_release(st);
        st = NULL;
        if (store_event(s, e->created_at, e->created_by, exists ? "whitelist.update" : "whitelist.add", e->kind,
                        e->value, e->reason, "ok", NULL) < 0)
                goto fail;
        if (store_commit(s) < 0)
                goto fail;
        *ret_updated = exists;
        return 0;
fail:
        store_release(st);
        store_rollback(s);
        return r;
}

int store_wl_remove(Store *s, const char *kind, const char *value, const char *actor, int64_t now,
                    int *ret_removed)
{
        sqlite3 *db = store_db(s);
        sqlite3_stmt *st = NULL;
        int n;

        if (store_begin(s) < 0)
                return -EIO;
        if (store_prepare(s, "DELETE FROM whitelist WHERE kind = ? AND value = ?", &st) != SQLITE_OK)
                goto fail;
        store_bind_text(st, 1, kind);
        store_bind_text(st, 2, value);
        if (sqlite3_step(st) != SQLITE_DONE)
                goto fail;
        store_release(st);
        st = NULL;
        n = sqlite3_changes(db);
        if (n > 0 && store_event(s, now, actor, "whitelist.remove", kind, value, NULL, "ok", NULL) < 0)
                goto fail;
        if (store_commit(s) < 0)
                goto fail;
        *ret_removed = n;
        return 0;
fail:
        store_release(st);
        store_rollback(s);
        return -EIO;
}

#define WL_COLUMNS "kind, value, created_at, expires_at, reason, created_by"

int store_wl_list(Store *s, const char *kind, WlEntryFn fn, void *userdata)
{
        sqlite3_stmt *st;
        int rc, r = 0;

        if (store_prepare(s,
                               "SELECT " WL_COLUMNS " FROM whitelist WHERE ?1 IS NULL OR kind = ?1 "
                               "ORDER BY kind, value", &st) != SQLITE_OK)
                return -EIO;
        store_bind_text(st, 1, kind);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                WlEntry e;
                row_to_entry(st, &e);
                r = fn(&e, userdata);
                if (r < 0)
                        break;
        }
        store_release(st);
        if (r < 0)
                return r;
        return rc == SQLITE_DONE ? 0 : -EIO;
}

typedef struct Expired {
        WlEntry e;
        char *kind, *value, *reason, *created_by;
} Expired;

static void expired_free(Expired *list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(list[i].kind);
                free(list[i].value);
                free(list[i].reason);
                free(list[i].created_by);
        }
        free(list);
}

int store_wl_expire(Store *s, int64_t now, WlEntryFn fn, void *userdata)
{
        sqlite3_stmt *st = NULL;
        Expired *list = NULL;
        size_t n = 0;
        int rc;

        if (store_begin(s) < 0)
                return -EIO;
        if (store_prepare(s, "SELECT " WL_COLUMNS " FROM whitelist WHERE expires_at IS NOT NULL "
                               "AND expires_at <= ? ORDER BY expires_at", &st) != SQLITE_OK)
                goto fail;
        sqlite3_bind_int64(st, 1, now);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                Expired *x;
                list = xreallocarray(list, n + 1, sizeof(*list));
                x = &list[n++];
                row_to_entry(st, &x->e);
                x->kind = xstrdup(x->e.kind);
                x->value = xstrdup(x->e.value);
                x->reason = x->e.reason ? xstrdup(x->e.reason) : NULL;
                x->created_by = xstrdup(x->e.created_by);
                x->e.kind = x->kind;
                x->e.value = x->value;
                x->e.reason = x->reason;
                x->e.created_by = x->created_by;
        }
        store_release(st);
        st = NULL;
        if (rc != SQLITE_DONE)
                goto fail;
        if (n > 0) {
                if (store_prepare(s, "DELETE FROM whitelist WHERE expires_at IS NOT NULL AND expires_at <= ?",
                                  &st) != SQLITE_OK)
                        goto fail;
                sqlite3_bind_int64(st, 1, now);
                if (sqlite3_step(st) != SQLITE_DONE)
                        goto fail;
                store_release(st);
                st = NULL;
                for (size_t i = 0; i < n; i++)
                        if (store_event(s, now, "secrespd", "whitelist.expire", list[i].kind, list[i].value,
                                        list[i].reason, "ok", NULL) < 0)
                                goto fail;
        }
        if (store_commit(s) < 0)
                goto fail;
        for (size_t i = 0; i < n; i++)
                if (fn)
                        (void) fn(&list[i].e, userdata);
        expired_free(list, n);
        return (int) n;
fail:
        store_release(st);
        store_rollback(s);
        expired_free(list, n);
        return -EIO;
}

int store_wl_next_expiry(Store *s, int64_t *ret)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s, "SELECT min(expires_at) FROM whitelist WHERE expires_at IS NOT NULL", &st) != SQLITE_OK)
                return -EIO;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_wl_count(Store *s, const char *kind, int64_t *ret)
{
        sqlite3_stmt *st;
        int rc;

        if (store_prepare(s, "SELECT count(*) FROM whitelist WHERE ?1 IS NULL OR kind = ?1", &st) != SQLITE_OK)
                return -EIO;
        store_bind_text(st, 1, kind);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        store_release(st);
        return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_wl_covers(Store *s, const char *kind, const char *value, int64_t now, bool *ret)
{
        WlKind k = wl_kind_from_string(kind);
        sqlite3_stmt *st;
        bool found = false;
        int rc;

        if (k < 0)
                return -EINVAL;
        if (store_prepare(s, "SELECT value FROM whitelist WHERE kind = ? AND "
                               "(expires_at IS NULL OR expires_at > ?)", &st) != SQLITE_OK)
                return -EIO;
        store_bind_text(st, 1, kind);
        sqlite3_bind_int64(st, 2, now);
        while (!found && (rc = sqlite3_step(st)) == SQLITE_ROW)
                found = wl_covers(k, col_text(st, 0), value);
        store_release(st);
        if (!found && rc != SQLITE_DONE)
                return -EIO;
        *ret = found;
        return 0;
}
