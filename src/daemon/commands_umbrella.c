/* SPDX-License-Identifier: MIT */
/* Control verbs of the Umbrella flow: "scores" (the latest risk score of
 * each VPN user and its trend, or one user's history) and
 * "umbrella.categories" (the organisation's security categories, the
 * original get_categories.py). */
#include "config.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"
#include "daemon/daemon.h"
#include "sources/umbrella.h"

#define TREND_MAX 10
#define TOP_DEFAULT_USER 20

static const char *opt_string(const CtlRequest *req, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->args, name);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static cJSON *score_row(sqlite3_stmt *st, bool with_inputs)
{
        cJSON *o = cJSON_CreateObject();
        const char *inputs = (const char *) sqlite3_column_text(st, 3);

        cJSON_AddStringToObject(o, "user", (const char *) sqlite3_column_text(st, 0));
        cJSON_AddNumberToObject(o, "score", sqlite3_column_double(st, 1));
        cJSON_AddStringToObject(o, "group", (const char *) sqlite3_column_text(st, 2));
        cJSON_AddBoolToObject(o, "whitelisted", sqlite3_column_int(st, 4) != 0);
        cJSON_AddNumberToObject(o, "computed_at", (double) sqlite3_column_int64(st, 5));
        if (with_inputs) {
                cJSON *in = inputs ? cJSON_Parse(inputs) : NULL;
                cJSON_AddItemToObject(o, "inputs", in ? in : cJSON_CreateNull());
        } else if (inputs) {
                /* the table needs only the counts */
                cJSON *in = cJSON_Parse(inputs);
                const cJSON *doms = cJSON_GetObjectItemCaseSensitive(in, "domains");
                const cJSON *rule = cJSON_GetObjectItemCaseSensitive(in, "rule");
                cJSON_AddNumberToObject(o, "domains", cJSON_IsObject(doms) ? cJSON_GetArraySize(doms) : 0);
                if (cJSON_IsString(rule))
                        cJSON_AddStringToObject(o, "rule", rule->valuestring);
                cJSON_Delete(in);
        }
        return o;
}

/* The scores before the latest one, newest first. */
static void add_trend(Daemon *d, cJSON *o, const char *user, int64_t latest_id)
{
        cJSON *t = cJSON_AddArrayToObject(o, "trend");
        sqlite3_stmt *st;

        if (store_prepare(d->store, "SELECT score FROM scores WHERE user = ? AND id < ? ORDER BY id DESC LIMIT 10",
                          &st) != SQLITE_OK)
                return;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, latest_id);
        while (sqlite3_step(st) == SQLITE_ROW)
                cJSON_AddItemToArray(t, cJSON_CreateNumber(sqlite3_column_double(st, 0)));
        store_release(st);
}

void cmd_scores(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        const char *user = opt_string(req, "user");
        const cJSON *top = cJSON_GetObjectItemCaseSensitive(req->args, "top");
        int64_t limit = -1;
        unsigned long count = 0;
        sqlite3_stmt *st;
        int rc;

        if (top && (!cJSON_IsNumber(top) || top->valuedouble < 1 || top->valuedouble > 1e9 ||
                    floor(top->valuedouble) != top->valuedouble)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"top\" must be a positive integer"));
                return;
        }
        if (top)
                limit = (int64_t) top->valuedouble;
        if (user) {
                /* one user's history, newest first, with the inputs of each */
                rc = sqlite3_prepare_v2(store_db(d->store),
                                        "SELECT user, score, band, inputs, whitelisted, computed_at, id FROM scores "
                                        "WHERE user = ?1 ORDER BY id DESC LIMIT ?2", -1, &st, NULL);
                if (rc == SQLITE_OK) {
                        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
                        sqlite3_bind_int64(st, 2, limit > 0 ? limit : TOP_DEFAULT_USER);
                }
        } else
                /* the latest score of each user, riskiest first */
                rc = sqlite3_prepare_v2(store_db(d->store),
                                        "SELECT s.user, s.score, s.band, s.inputs, s.whitelisted, s.computed_at, s.id "
                                        "FROM scores s JOIN (SELECT user, MAX(id) AS id FROM scores GROUP BY user) m "
                                        "ON m.id = s.id ORDER BY s.score DESC, s.user LIMIT ?1", -1, &st, NULL);
        if (rc != SQLITE_OK) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INTERNAL, "cannot read the scores: %s",
                                                store_errmsg(d->store)));
                return;
        }
        if (!user)
                sqlite3_bind_int64(st, 1, limit);
        while (sqlite3_step(st) == SQLITE_ROW) {
                cJSON *o = score_row(st, user != NULL);
                if (!user)
                        add_trend(d, o, (const char *) sqlite3_column_text(st, 0), sqlite3_column_int64(st, 6));
                control_send(c, ctl_reply_item(req->id, o));
                count++;
        }
        sqlite3_finalize(st);
        control_send(c, ctl_reply_end(req->id, count));
}

static void on_categories(void *userdata, cJSON *categories, const char *error)
{
        CtlDeferred *df = userdata;
        cJSON *data;

        if (!categories) {
                control_deferred_reply(df, ctl_reply_error(control_deferred_id(df), "upstream", "%s", error));
                return;
        }
        data = cJSON_CreateObject();
        cJSON_AddItemToObject(data, "categories", categories);
        control_deferred_reply(df, ctl_reply_ok(control_deferred_id(df), data));
}

void cmd_umbrella_categories(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        Source *s = daemon_find_source(d, "umbrella");
        CtlDeferred *df;
        int k;

        if (!s) {
                control_send(c, ctl_reply_error(req->id, CTL_E_NOTFOUND, "the umbrella source is not enabled"));
                return;
        }
        df = control_defer(c, req->id);
        k = umbrella_source_categories(s, on_categories, df);
        if (k < 0)
                control_deferred_reply(df, ctl_reply_error(req->id, CTL_E_INTERNAL, "umbrella: %s", strerror(-k)));
}
