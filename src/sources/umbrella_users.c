/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#if HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif
#include "common/xalloc.h"
#include "sources/umbrella_users.h"

static void push(UmbUser **v, size_t *n, const char *name, const char *label, bool wl)
{
        *v = xreallocarray(*v, *n + 1, sizeof(UmbUser));
        (*v)[(*n)++] = (UmbUser) { .name = xstrdup(name), .label = xstrdup(label), .db_whitelisted = wl };
}

static int from_config(const UmbrellaConf *c, UmbUser **ret, size_t *ret_n)
{
        UmbUser *v = NULL;
        size_t n = 0;

        for (size_t i = 0; c->users && c->users[i]; i++) {
                const char *colon = strchr(c->users[i], ':');
                _cleanup_free_ char *name = NULL;
                if (!colon)
                        continue;       /* the config check refused it */
                name = xstrndup(c->users[i], (size_t) (colon - c->users[i]));
                push(&v, &n, name, colon + 1, false);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* The DDL of the original's SQL.md names the column whitelist_from, its
 * code whitelisted_from (umbrella.md §5): we read whichever exists. */
static const char *whitelist_column_sqlite(sqlite3 *db)
{
        sqlite3_stmt *st;
        const char *col = NULL;

        if (sqlite3_prepare_v2(db, "PRAGMA table_info(users_identity)", -1, &st, NULL) != SQLITE_OK)
                return NULL;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *name = (const char *) sqlite3_column_text(st, 1);
                if (name && !strcmp(name, "whitelisted_from"))
                        col = "whitelisted_from";
                else if (name && !strcmp(name, "whitelist_from") && !col)
                        col = "whitelist_from";
        }
        sqlite3_finalize(st);
        return col;
}

static int from_sqlite(const UmbrellaConf *c, UmbUser **ret, size_t *ret_n, char **ret_why)
{
        _cleanup_free_ char *sql = NULL, *days = NULL;
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        const char *col;
        UmbUser *v = NULL;
        size_t n = 0;
        int rc;

        rc = sqlite3_open_v2(c->radius_database, &db, SQLITE_OPEN_READONLY, NULL);
        if (rc != SQLITE_OK) {
                *ret_why = xasprintf("cannot open the FreeRADIUS database %s: %s", c->radius_database,
                                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close(db);
                return -EIO;
        }
        sqlite3_busy_timeout(db, 2000);
        col = whitelist_column_sqlite(db);
        sql = xasprintf("SELECT DISTINCT rc.username, ui.umbrella_label, %s FROM radcheck rc "
                        "JOIN users_identity ui ON ui.radcheck_id = rc.id ORDER BY rc.username",
                        col ? (!strcmp(col, "whitelisted_from") ?
                               "ui.whitelisted_from IS NOT NULL AND ui.whitelisted_from > date('now', ?1)" :
                               "ui.whitelist_from IS NOT NULL AND ui.whitelist_from > date('now', ?1)") : "0");
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
                *ret_why = xasprintf("FreeRADIUS database %s: cannot read radcheck joined with users_identity: %s",
                                     c->radius_database, sqlite3_errmsg(db));
                sqlite3_close(db);
                return -EIO;
        }
        days = xasprintf("-%llu days", (unsigned long long) (c->whitelist_days / 86400));
        if (col)
                sqlite3_bind_text(st, 1, days, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *name = (const char *) sqlite3_column_text(st, 0);
                const char *label = (const char *) sqlite3_column_text(st, 1);
                if (name && label && name[0] && label[0])
                        push(&v, &n, name, label, sqlite3_column_int(st, 2) != 0);
        }
        if (rc != SQLITE_DONE) {
                *ret_why = xasprintf("FreeRADIUS database %s: %s", c->radius_database, sqlite3_errmsg(db));
                sqlite3_finalize(st);
                sqlite3_close(db);
                umbrella_users_free(v, n);
                return -EIO;
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        *ret = v;
        *ret_n = n;
        return 0;
}

#if HAVE_POSTGRESQL
static int from_postgresql(const UmbrellaConf *c, UmbUser **ret, size_t *ret_n, char **ret_why)
{
        const char *keys[] = { "dbname", "password", "connect_timeout", NULL };
        const char *vals[] = { c->radius_conninfo, c->radius_password.value, "10", NULL };
        _cleanup_free_ char *days = xasprintf("%llu", (unsigned long long) (c->whitelist_days / 86400));
        const char *params[1] = { days };
        const char *col = "whitelisted_from";
        UmbUser *v = NULL;
        size_t n = 0;
        PGresult *res;
        PGconn *pg;

        /* expand_dbname: the conninfo string is read as such, the password added */
        pg = PQconnectdbParams(keys, vals, 1);
        if (PQstatus(pg) != CONNECTION_OK) {
                *ret_why = xasprintf("cannot connect to the FreeRADIUS database (%s): %s", c->radius_conninfo,
                                     PQerrorMessage(pg));
                PQfinish(pg);
                return -EIO;
        }
        res = PQexec(pg, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users_identity' "
                         "AND column_name IN ('whitelisted_from', 'whitelist_from') ORDER BY column_name DESC");
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
                col = !strcmp(PQgetvalue(res, 0, 0), "whitelisted_from") ? "whitelisted_from" : "whitelist_from";
        PQclear(res);
        {
                _cleanup_free_ char *sql = xasprintf(
                        "SELECT DISTINCT rc.username, ui.umbrella_label, "
                        "(ui.%s IS NOT NULL AND ui.%s > CURRENT_DATE - $1::integer) "
                        "FROM radcheck rc JOIN users_identity ui ON ui.radcheck_id = rc.id ORDER BY rc.username",
                        col, col);
                res = PQexecParams(pg, sql, 1, NULL, params, NULL, NULL, 0);
        }
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                *ret_why = xasprintf("FreeRADIUS database (%s): cannot read radcheck joined with users_identity: %s",
                                     c->radius_conninfo, PQresultErrorMessage(res));
                PQclear(res);
                PQfinish(pg);
                return -EIO;
        }
        for (int i = 0; i < PQntuples(res); i++)
                push(&v, &n, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), !strcmp(PQgetvalue(res, i, 2), "t"));
        PQclear(res);
        PQfinish(pg);
        *ret = v;
        *ret_n = n;
        return 0;
}
#endif

int umbrella_users_load(const UmbrellaConf *c, UmbUser **ret, size_t *ret_n, char **ret_why)
{
        if (c->users_from == 1)
                return from_config(c, ret, ret_n);
        if (c->radius_backend == 0)
                return from_sqlite(c, ret, ret_n, ret_why);
#if HAVE_POSTGRESQL
        return from_postgresql(c, ret, ret_n, ret_why);
#else
        *ret_why = xstrdup("radius_backend = \"postgresql\": this secrespd was built without PostgreSQL "
                           "(configure --with-postgresql)");
        return -EOPNOTSUPP;
#endif
}

void umbrella_users_free(UmbUser *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].label);
        }
        free(v);
}
