/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "daemon/store.h"
#include "daemon/store_whitelist.h"
#include "tests/unit/unit.h"

static char dir[64];

static const char *db_path(const char *name)
{
        static char p[128];
        if (!dir[0]) {
                strcpy(dir, "/tmp/secresp-store-XXXXXX");
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return p;
}

static int64_t scalar(Store *s, const char *sql)
{
        sqlite3_stmt *st;
        int64_t v = -1;
        if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
                return -2;
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static char *slurp(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "rb");
        char *b;
        long n;
        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        rewind(f);
        b = malloc((size_t) n + 1);
        *ret_len = fread(b, 1, (size_t) n, f);
        fclose(f);
        return b;
}

static void test_create_and_reopen(void)
{
        Store *s = NULL;
        char *why = NULL;
        const char *p = db_path("a.db");

        CU_ASSERT_EQUAL_FATAL(store_open(p, &s, &why), 0);
        CU_ASSERT_EQUAL(store_schema_version(s), STORE_SCHEMA_VERSION);
        CU_ASSERT_EQUAL(scalar(s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
        CU_ASSERT_EQUAL(scalar(s, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN "
                                  "('entities','blocks','whitelist','scores','static_dst','events')"), 6);
        CU_ASSERT_EQUAL(scalar(s, "PRAGMA foreign_keys"), 1);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(store_db(s), "PRAGMA journal_mode", -1, &st, NULL);
        sqlite3_step(st);
        CU_ASSERT_STRING_EQUAL((const char *) sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        store_close(s);
        CU_ASSERT_EQUAL_FATAL(store_open(p, &s, &why), 0);
        CU_ASSERT_EQUAL(store_schema_version(s), STORE_SCHEMA_VERSION);
        store_close(s);
}

static void test_newer_schema_refused(void)
{
        Store *s = NULL;
        char *why = NULL, *before, *after;
        size_t lb, la;
        const char *p = db_path("newer.db");
        sqlite3 *db;

        sqlite3_open(p, &db);
        sqlite3_exec(db, "CREATE TABLE future (x); PRAGMA user_version = 99;", NULL, NULL, NULL);
        sqlite3_close(db);
        before = slurp(p, &lb);
        CU_ASSERT_EQUAL(store_open(p, &s, &why), -EPROTONOSUPPORT);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "schema version 99, newer than"));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, p));
        free(why);
        after = slurp(p, &la);
        CU_ASSERT_EQUAL(la, lb);
        CU_ASSERT_EQUAL(memcmp(before, after, la), 0);
        free(before);
        free(after);
}

static void test_corrupt_refused(void)
{
        Store *s = NULL;
        char *why = NULL, *after;
        size_t la;
        const char *p = db_path("corrupt.db");
        char junk[8192];
        FILE *f;

        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (char) (i * 7 + 3);
        f = fopen(p, "wb");
        fwrite(junk, 1, sizeof(junk), f);
        fclose(f);
        CU_ASSERT_EQUAL(store_open(p, &s, &why), -EBADMSG);
        CU_ASSERT_PTR_NOT_NULL(why ? strstr(why, "damaged") : NULL);
        free(why);
        after = slurp(p, &la);
        CU_ASSERT_EQUAL(la, sizeof(junk));
        CU_ASSERT_EQUAL(memcmp(junk, after, la), 0);
        free(after);
}

typedef struct Collected {
        int n;
        char values[8][64];
        int64_t expires[8];
} Collected;

static int collect(const WlEntry *e, void *userdata)
{
        Collected *c = userdata;
        if (c->n < 8) {
                snprintf(c->values[c->n], sizeof(c->values[0]), "%s:%s", e->kind, e->value);
                c->expires[c->n] = e->expires_at;
        }
        c->n++;
        return 0;
}

static void test_whitelist_rows(void)
{
        Store *s = NULL;
        char *why = NULL;
        bool updated, covered;
        int removed;
        int64_t n, next;
        Collected c = { 0 };

        CU_ASSERT_EQUAL_FATAL(store_open(db_path("wl.db"), &s, &why), 0);
        WlEntry e = { .kind = "host", .value = "10.0.0.5", .created_at = 1000, .expires_at = 2000,
                      .reason = "pentest", .created_by = "alice" };
        CU_ASSERT_EQUAL(store_wl_upsert(s, &e, &updated), 0);
        CU_ASSERT_FALSE(updated);
        e.expires_at = 5000;
        e.reason = NULL;
        e.created_by = "bob";
        CU_ASSERT_EQUAL(store_wl_upsert(s, &e, &updated), 0);
        CU_ASSERT_TRUE(updated);
        CU_ASSERT_EQUAL(scalar(s, "SELECT count(*) FROM whitelist"), 1);
        CU_ASSERT_EQUAL(scalar(s, "SELECT expires_at FROM whitelist"), 5000);
        /* a duplicate without a reason keeps the old one; the creator stays */
        CU_ASSERT_EQUAL(scalar(s, "SELECT count(*) FROM whitelist WHERE reason = 'pentest' AND created_by = 'alice'"), 1);
        CU_ASSERT_EQUAL(scalar(s, "SELECT count(*) FROM events WHERE action = 'whitelist.update' AND actor = 'bob'"), 1);

        WlEntry net = { .kind = "destination", .value = "203.0.113.0/24", .created_at = 1000, .expires_at = 0,
                        .created_by = "root" };
        CU_ASSERT_EQUAL(store_wl_upsert(s, &net, &updated), 0);
        WlEntry dom = { .kind = "destination", .value = "example.com", .created_at = 1000, .expires_at = 1500,
                        .created_by = "root" };
        CU_ASSERT_EQUAL(store_wl_upsert(s, &dom, &updated), 0);

        CU_ASSERT_EQUAL(store_wl_count(s, NULL, &n), 0);
        CU_ASSERT_EQUAL(n, 3);
        CU_ASSERT_EQUAL(store_wl_count(s, "destination", &n), 0);
        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_EQUAL(store_wl_next_expiry(s, &next), 0);
        CU_ASSERT_EQUAL(next, 1500);

        CU_ASSERT_EQUAL(store_wl_covers(s, "destination", "203.0.113.77", 1200, &covered), 0);
        CU_ASSERT_TRUE(covered);
        CU_ASSERT_EQUAL(store_wl_covers(s, "destination", "cdn.example.com", 1200, &covered), 0);
        CU_ASSERT_TRUE(covered);
        CU_ASSERT_EQUAL(store_wl_covers(s, "destination", "cdn.example.com", 1600, &covered), 0);
        CU_ASSERT_FALSE(covered);       /* expired, even before the sweep ran */
        CU_ASSERT_EQUAL(store_wl_covers(s, "host", "10.0.0.6", 1200, &covered), 0);
        CU_ASSERT_FALSE(covered);

        CU_ASSERT_EQUAL(store_wl_list(s, "destination", collect, &c), 0);
        CU_ASSERT_EQUAL(c.n, 2);
        CU_ASSERT_STRING_EQUAL(c.values[0], "destination:203.0.113.0/24");
        CU_ASSERT_EQUAL(c.expires[0], 0);

        memset(&c, 0, sizeof(c));
        CU_ASSERT_EQUAL(store_wl_expire(s, 1499, collect, &c), 0);
        CU_ASSERT_EQUAL(c.n, 0);
        CU_ASSERT_EQUAL(store_wl_expire(s, 1500, collect, &c), 1);
        CU_ASSERT_EQUAL(c.n, 1);
        CU_ASSERT_STRING_EQUAL(c.values[0], "destination:example.com");
        CU_ASSERT_EQUAL(scalar(s, "SELECT count(*) FROM events WHERE action = 'whitelist.expire' AND value = 'example.com'"), 1);
        /* permanent entries never expire */
        CU_ASSERT_EQUAL(store_wl_expire(s, INT64_MAX, NULL, NULL), 1);
        CU_ASSERT_EQUAL(store_wl_count(s, NULL, &n), 0);
        CU_ASSERT_EQUAL(n, 1);
        CU_ASSERT_EQUAL(store_wl_next_expiry(s, &next), 0);
        CU_ASSERT_EQUAL(next, 0);

        CU_ASSERT_EQUAL(store_wl_remove(s, "destination", "203.0.113.0/24", "carol", 3000, &removed), 0);
        CU_ASSERT_EQUAL(removed, 1);
        CU_ASSERT_EQUAL(store_wl_remove(s, "destination", "203.0.113.0/24", "carol", 3000, &removed), 0);
        CU_ASSERT_EQUAL(removed, 0);
        CU_ASSERT_EQUAL(scalar(s, "SELECT count(*) FROM events WHERE action = 'whitelist.remove' AND actor = 'carol'"), 1);
        store_close(s);
}

static void test_block_counts(void)
{
        Store *s = NULL;
        char *why = NULL;
        int64_t counts[STORE_BLOCK_STATES];

        CU_ASSERT_EQUAL_FATAL(store_open(db_path("blocks.db"), &s, &why), 0);
        CU_ASSERT_EQUAL(sqlite3_exec(store_db(s),
                                     "INSERT INTO entities (id, kind, value, first_seen, last_seen) VALUES (1,'host','10.0.0.1',1,1);"
                                     "INSERT INTO blocks (entity_id, responder, state, created_at, updated_at) VALUES (1,'fw','blocked',1,1);"
                                     "INSERT INTO blocks (entity_id, responder, state, created_at, updated_at) VALUES (1,'nac','failed',1,1);",
                                     NULL, NULL, NULL), SQLITE_OK);
        CU_ASSERT_EQUAL(store_block_counts(s, counts), 0);
        CU_ASSERT_EQUAL(counts[1], 1);
        CU_ASSERT_EQUAL(counts[4], 1);
        CU_ASSERT_EQUAL(counts[0], 0);
        /* the schema refuses unknown states and dangling entities */
        CU_ASSERT_NOT_EQUAL(sqlite3_exec(store_db(s),
                                         "INSERT INTO blocks (entity_id, responder, state, created_at, updated_at) VALUES (1,'x','bogus',1,1)",
                                         NULL, NULL, NULL), SQLITE_OK);
        CU_ASSERT_NOT_EQUAL(sqlite3_exec(store_db(s),
                                         "INSERT INTO blocks (entity_id, responder, state, created_at, updated_at) VALUES (99,'x','blocked',1,1)",
                                         NULL, NULL, NULL), SQLITE_OK);
        store_close(s);
}

void store_suite_add(void)
{
        UNIT_SUITE("store", UNIT_TEST(test_create_and_reopen), UNIT_TEST(test_newer_schema_refused),
                   UNIT_TEST(test_corrupt_refused), UNIT_TEST(test_whitelist_rows), UNIT_TEST(test_block_counts));
}
