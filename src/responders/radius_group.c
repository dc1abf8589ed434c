/* SPDX-License-Identifier: MIT */
/* radius_group: puts a VPN user into a group by writing the FreeRADIUS
 * reply attribute the Cisco ASA reads at the next authentication
 * (umbrella.md §1, §5):
 *
 *   responders = ( {
 *       name = "vpn";  type = "radius_group";
 *       backend = "sqlite";                  # or "postgresql" (--with-postgresql)
 *       database = "/var/lib/freeradius/radius.db";  # sqlite
 *       conninfo = "host=localhost dbname=radius user=python_radius";  # postgresql
 *       password = "env:db_pass";            # postgresql, optional
 *       attribute = "ASA-Member-Of";
 *       safe_group = "Safe";                 # what an unblock writes
 *       insert_missing = false;              # the original only updated
 *       op = ":=";                           # of inserted rows
 *   } );
 *
 * block writes the entity's target group (EntityAttrs.group) into the
 * value of the user's radreply row of that attribute, as the original's
 * UPDATE; a user without such a row is a permanent failure saying so (the
 * original skipped it silently), or gets a row with insert_missing.
 * unblock writes safe_group; no row is nothing to undo.  The database
 * work runs on libuv's thread pool, one connection per call, so a locked
 * FreeRADIUS database never stalls the loop. */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <libconfig.h>
#include <sqlite3.h>
#include <uv.h>
#if HAVE_POSTGRESQL
#include <libpq-fe.h>
#endif
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/secrets.h"
#include "responders/responder.h"

#define RG_BUSY_TIMEOUT_MS 5000

typedef struct RadiusGroup {
        int backend;                    /* 0 sqlite, 1 postgresql */
        char *database;
        char *conninfo;
        Secret password;
        char *attribute;
        char *safe_group;
        char *op;
        bool insert_missing;
} RadiusGroup;

typedef struct RgCall {
        uv_work_t work;
        Responder *r;
        char *user, *value;
        bool block;
        bool test;                      /* secrespctl responder test: count, change nothing */
        ResponderDone cb;
        void *userdata;
        int res;
        bool transient;
        char *error;
} RgCall;

static const char *const known_keys[] = {
        "name", "type", "simulation", "backend", "database", "conninfo", "password", "attribute", "safe_group",
        "insert_missing", "op", NULL,
};

static void add_err(char ***errs, size_t *n_errs, const config_setting_t *s, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
static void add_err(char ***errs, size_t *n_errs, const config_setting_t *s, const char *name, const char *fmt, ...)
{
        const char *file = s ? config_setting_source_file(s) : NULL;
        unsigned line = s ? config_setting_source_line(s) : 0;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        *errs = xreallocarray(*errs, *n_errs + 1, sizeof(char *));
        (*errs)[(*n_errs)++] = xasprintf("%s:%u: %s: %s", file ? file : "(config)", line, name, msg);
}

static char *get_string(const config_setting_t *g, const char *key, const char *def, const char *where, char ***errs,
                        size_t *n_errs)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        _cleanup_free_ char *full = xasprintf("%s.%s", where, key);

        if (!s)
                return def ? xstrdup(def) : NULL;
        if (config_setting_type(s) != CONFIG_TYPE_STRING || !config_setting_get_string(s)[0]) {
                add_err(errs, n_errs, s, full, "expected a non-empty string");
                return def ? xstrdup(def) : NULL;
        }
        return xstrdup(config_setting_get_string(s));
}

static void rg_clear(RadiusGroup *rg)
{
        free(rg->database);
        free(rg->conninfo);
        secret_done(&rg->password);
        free(rg->attribute);
        free(rg->safe_group);
        free(rg->op);
        *rg = (RadiusGroup) { 0 };
}

static int rg_configure(Responder *r, const config_setting_t *g, char ***errs, size_t *n_errs)
{
        RadiusGroup *rg = r->priv;
        size_t before = *n_errs;
        _cleanup_free_ char *where = xasprintf("responders[%s]", r->name), *backend = NULL, *pw = NULL;
        const config_setting_t *s;

        if (!rg || !g)
                return -EINVAL;
        rg_clear(rg);
        for (int i = 0; i < config_setting_length(g); i++) {
                const config_setting_t *m = config_setting_get_elem(g, (unsigned) i);
                const char *name = config_setting_name(m);
                bool known = false;
                for (const char *const *k = known_keys; name && *k && !known; k++)
                        known = !strcmp(*k, name);
                known = known || responder_common_setting(name);
                if (name && !known) {
                        _cleanup_free_ char *full = xasprintf("%s.%s", where, name);
                        add_err(errs, n_errs, m, full, "unknown setting for a radius_group responder (%s)",
                                "backend, database, conninfo, password, attribute, safe_group, insert_missing, op");
                }
        }
        backend = get_string(g, "backend", "sqlite", where, errs, n_errs);
        if (!strcmp(backend, "sqlite"))
                rg->backend = 0;
        else if (!strcmp(backend, "postgresql"))
                rg->backend = 1;
        else
                add_err(errs, n_errs, config_setting_get_member(g, "backend"), where,
                        "backend: unknown value \"%s\"; expected \"sqlite\" or \"postgresql\"", backend);
        rg->database = get_string(g, "database", NULL, where, errs, n_errs);
        rg->conninfo = get_string(g, "conninfo", NULL, where, errs, n_errs);
        rg->attribute = get_string(g, "attribute", "ASA-Member-Of", where, errs, n_errs);
        rg->safe_group = get_string(g, "safe_group", "Safe", where, errs, n_errs);
        rg->op = get_string(g, "op", ":=", where, errs, n_errs);
        s = config_setting_get_member(g, "insert_missing");
        if (s && config_setting_type(s) != CONFIG_TYPE_BOOL)
                add_err(errs, n_errs, s, where, "insert_missing: expected true or false");
        rg->insert_missing = s && config_setting_type(s) == CONFIG_TYPE_BOOL && config_setting_get_bool(s);
        if (rg->backend == 0 && !rg->database)
                add_err(errs, n_errs, g, where, "backend \"sqlite\" needs database = \"/path/to/radius.db\"");
        if (rg->backend == 0 && rg->database && rg->database[0] != '/')
                add_err(errs, n_errs, config_setting_get_member(g, "database"), where,
                        "database must be an absolute path, got \"%s\"", rg->database);
        if (rg->backend == 1) {
#if !HAVE_POSTGRESQL
                add_err(errs, n_errs, config_setting_get_member(g, "backend"), where,
                        "backend \"postgresql\": this secrespd was built without PostgreSQL (configure --with-postgresql)");
#endif
                if (!rg->conninfo)
                        add_err(errs, n_errs, g, where,
                                "backend \"postgresql\" needs conninfo = \"host=... dbname=radius user=...\"");
                else if (strstr(rg->conninfo, "password"))
                        add_err(errs, n_errs, config_setting_get_member(g, "conninfo"), where,
                                "put the password in password = \"env:db_pass\", not in conninfo");
                pw = get_string(g, "password", NULL, where, errs, n_errs);
                if (pw) {
                        _cleanup_free_ char *why = NULL;
                        if (secret_resolve(pw, &rg->password, &why) < 0)
                                add_err(errs, n_errs, config_setting_get_member(g, "password"), where, "password: %s",
                                        why);
                }
        }
        r->caps = RESPONDER_CAP_USER;
        return *n_errs > before ? -EINVAL : 0;
}

static void rg_done(Responder *r)
{
        RadiusGroup *rg = r->priv;
        if (rg)
                rg_clear(rg);
}

/* ---- the database work (thread pool) -------------------------------------- */

static void set_result(RgCall *c, int res, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_result(RgCall *c, int res, bool transient, const char *fmt, ...)
{
        va_list ap;

        c->res = res;
        c->transient = transient;
        va_start(ap, fmt);
        free(c->error);
        c->error = xvasprintf(fmt, ap);
        va_end(ap);
}

static bool sqlite_transient(int rc)
{
        rc &= 0xff;
        return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_IOERR || rc == SQLITE_CANTOPEN ||
               rc == SQLITE_FULL;
}

/* responder test: the database opens and radreply answers; nothing written. */
static void test_sqlite(RgCall *c, const RadiusGroup *rg)
{
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        int rc;

        rc = sqlite3_open_v2(rg->database, &db, SQLITE_OPEN_READONLY, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_busy_timeout(db, RG_BUSY_TIMEOUT_MS);
                rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM radreply WHERE attribute = ?1", -1, &st, NULL);
        }
        if (rc == SQLITE_OK) {
                sqlite3_bind_text(st, 1, rg->attribute, -1, SQLITE_STATIC);
                rc = sqlite3_step(st);
        }
        if (rc == SQLITE_ROW)
                set_result(c, 0, false, "radreply of %s: %lld row(s) of %s", rg->database,
                           (long long) sqlite3_column_int64(st, 0), rg->attribute);
        else
                set_result(c, -EIO, false, "FreeRADIUS database %s: %s", rg->database,
                           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_finalize(st);
        sqlite3_close(db);
}

static void work_sqlite(RgCall *c, const RadiusGroup *rg)
{
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        int rc, changes;

        if (c->test) {
                test_sqlite(c, rg);
                return;
        }
        rc = sqlite3_open_v2(rg->database, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                set_result(c, -EIO, sqlite_transient(rc), "cannot open the FreeRADIUS database %s: %s", rg->database,
                           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close(db);
                return;
        }
        sqlite3_busy_timeout(db, RG_BUSY_TIMEOUT_MS);
        rc = sqlite3_prepare_v2(db, "UPDATE radreply SET value = ?1 WHERE username = ?2 AND attribute = ?3", -1, &st,
                                NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_text(st, 1, c->value, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, c->user, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, rg->attribute, -1, SQLITE_STATIC);
                rc = sqlite3_step(st);
        }
        if (rc != SQLITE_DONE) {
                set_result(c, -EIO, sqlite_transient(rc), "%s: UPDATE radreply: %s", rg->database, sqlite3_errmsg(db));
                goto out;
        }
        changes = sqlite3_changes(db);
        sqlite3_finalize(st);
        st = NULL;
        if (changes > 0 || !c->block)
                goto out;       /* done; or no row on unblock: nothing to undo */
        if (!rg->insert_missing) {
                set_result(c, -ENOENT, false, "user '%s' has no '%s' row in radreply of %s (set insert_missing = true "
                           "to create it)", c->user, rg->attribute, rg->database);
                goto out;
        }
        rc = sqlite3_prepare_v2(db, "INSERT INTO radreply (username, attribute, op, value) VALUES (?1, ?2, ?3, ?4)", -1,
                                &st, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_bind_text(st, 1, c->user, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, rg->attribute, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, rg->op, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, c->value, -1, SQLITE_STATIC);
                rc = sqlite3_step(st);
        }
        if (rc != SQLITE_DONE)
                set_result(c, -EIO, sqlite_transient(rc), "%s: INSERT INTO radreply: %s", rg->database,
                           sqlite3_errmsg(db));
out:
        sqlite3_finalize(st);
        sqlite3_close(db);
}

#if HAVE_POSTGRESQL
static void work_postgresql(RgCall *c, const RadiusGroup *rg)
{
        const char *keys[] = { "dbname", "password", "connect_timeout", NULL };
        const char *vals[] = { rg->conninfo, rg->password.value, "10", NULL };
        const char *upd[3] = { c->value, c->user, rg->attribute };
        PGresult *res;
        PGconn *pg;

        pg = PQconnectdbParams(keys, vals, 1);
        if (PQstatus(pg) != CONNECTION_OK) {
                set_result(c, -EIO, true, "cannot connect to the FreeRADIUS database (%s): %s", rg->conninfo,
                           PQerrorMessage(pg));
                PQfinish(pg);
                return;
        }
        if (c->test) {
                const char *p[1] = { rg->attribute };
                res = PQexecParams(pg, "SELECT count(*) FROM radreply WHERE attribute = $1", 1, NULL, p, NULL, NULL, 0);
                if (PQresultStatus(res) == PGRES_TUPLES_OK)
                        set_result(c, 0, false, "radreply (%s): %s row(s) of %s", rg->conninfo, PQgetvalue(res, 0, 0),
                                   rg->attribute);
                else
                        set_result(c, -EIO, false, "radreply (%s): %s", rg->conninfo, PQresultErrorMessage(res));
                goto out;
        }
        res = PQexecParams(pg, "UPDATE radreply SET value = $1 WHERE username = $2 AND attribute = $3", 3, NULL, upd,
                           NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                set_result(c, -EIO, false, "UPDATE radreply: %s", PQresultErrorMessage(res));
                goto out;
        }
        if (strcmp(PQcmdTuples(res), "0") || !c->block)
                goto out;
        if (!rg->insert_missing) {
                set_result(c, -ENOENT, false, "user '%s' has no '%s' row in radreply (set insert_missing = true "
                           "to create it)", c->user, rg->attribute);
                goto out;
        }
        PQclear(res);
        {
                const char *ins[4] = { c->user, rg->attribute, rg->op, c->value };
                res = PQexecParams(pg, "INSERT INTO radreply (username, attribute, op, value) VALUES ($1, $2, $3, $4)",
                                   4, NULL, ins, NULL, NULL, 0);
        }
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
                set_result(c, -EIO, false, "INSERT INTO radreply: %s", PQresultErrorMessage(res));
out:
        PQclear(res);
        PQfinish(pg);
}
#endif

static void on_work(uv_work_t *w)
{
        RgCall *c = w->data;
        const RadiusGroup *rg = c->r->priv;

        c->res = 0;
#if HAVE_POSTGRESQL
        if (rg->backend == 1) {
                work_postgresql(c, rg);
                return;
        }
#endif
        work_sqlite(c, rg);
}

static void on_nothing(uv_work_t *w)
{
        (void) w;
}

static void on_work_done(uv_work_t *w, int status)
{
        RgCall *c = w->data;
        char *elements[1] = { c->value };
        ResponderResult res = {
                .r = status == UV_ECANCELED ? -ECANCELED : c->res,
                .transient = status == UV_ECANCELED || c->transient,
                .elements = c->res == 0 && c->block ? elements : NULL,
                .n_elements = c->res == 0 && c->block ? 1 : 0,
                .error = status == UV_ECANCELED ? "cancelled" : c->error,
        };

        c->cb(c->userdata, &res);
        free(c->user);
        free(c->value);
        free(c->error);
        free(c);
}

static int rg_start(Responder *r, const Entity *e, bool block, ResponderDone cb, void *userdata)
{
        RadiusGroup *rg = r->priv;
        const char *value = block ? e->attrs.group : rg->safe_group;
        RgCall *c;
        int k;

        if (e->kind != ENTITY_USER)
                return -EOPNOTSUPP;
        if (!value || !value[0])
                /* a block needs its target group: only the Umbrella source gives one */
                return -EINVAL;
        c = xnew(RgCall, 1);
        c->r = r;
        c->user = xstrdup(e->value);
        c->value = xstrdup(value);
        c->block = block;
        c->cb = cb;
        c->userdata = userdata;
        c->work.data = c;
        if (r->simulation)
                log_info("%s: simulation: would set %s = '%s' for user '%s'", r->name, rg->attribute, value, e->value);
        /* in simulation the outcome still comes from the loop, through an empty job */
        k = uv_queue_work(r->loop, &c->work, r->simulation ? on_nothing : on_work, on_work_done);
        if (k < 0) {
                free(c->user);
                free(c->value);
                free(c);
                return k == UV_EINVAL ? -EINVAL : -EIO;
        }
        return 0;
}

static int rg_test(Responder *r, ResponderDone cb, void *userdata)
{
        RgCall *c = xnew(RgCall, 1);
        int k;

        c->r = r;
        c->test = true;
        c->cb = cb;
        c->userdata = userdata;
        c->work.data = c;
        k = uv_queue_work(r->loop, &c->work, on_work, on_work_done);
        if (k < 0) {
                free(c);
                return -EIO;
        }
        return 0;
}

static int rg_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return rg_start(r, e, true, cb, userdata);
}

static int rg_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                      void *userdata)
{
        return rg_start(r, e, false, cb, userdata);
}

const ResponderOps radius_group_ops = {
        .module = "radius_group",
        .client_name = "FreeRADIUS VPN Group",
        .caps = RESPONDER_CAP_USER,
        .priv_size = sizeof(RadiusGroup),
        .configure = rg_configure,
        .done = rg_done,
        .block = rg_block,
        .unblock = rg_unblock,
        .test = rg_test,
};
