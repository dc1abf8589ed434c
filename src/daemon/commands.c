/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/addr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/xalloc.h"
#include "common/strv.h"
#include "daemon/commands_sna.h"
#include "daemon/daemon.h"
#include "daemon/summary_send.h"
#include "daemon/reconcile.h"
#include "daemon/sched.h"
#include "daemon/store_blocks.h"
#include "daemon/store_whitelist.h"
#include "engine/entity.h"
#include "engine/whitelist.h"
#include "responders/responder.h"
#include "relays/relay.h"
#include "sources/source.h"

#define REASON_MAX 512

typedef void (*CommandFn)(Daemon *d, CtlClient *c, const CtlRequest *req);

static void reply_store_error(Daemon *d, CtlClient *c, const CtlRequest *req, const char *what)
{
        log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "%s: %s", what, store_errmsg(d->store));
        control_send(c, ctl_reply_error(req->id, CTL_E_INTERNAL, "%s: database error (see the journal)", what));
}

static cJSON *time_or_null(int64_t t)
{
        return t ? cJSON_CreateNumber((double) t) : cJSON_CreateNull();
}

static cJSON *entry_json(const WlEntry *e)
{
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "kind", e->kind);
        cJSON_AddStringToObject(o, "value", e->value);
        cJSON_AddNumberToObject(o, "created_at", (double) e->created_at);
        cJSON_AddItemToObject(o, "expires_at", time_or_null(e->expires_at));
        cJSON_AddItemToObject(o, "reason", e->reason ? cJSON_CreateString(e->reason) : cJSON_CreateNull());
        cJSON_AddStringToObject(o, "created_by", e->created_by);
        return o;
}

static cJSON *ms_to_time(uint64_t ms)
{
        return ms ? cJSON_CreateNumber((double) (ms / 1000)) : cJSON_CreateNull();
}

static void add_cycle(cJSON *o, const CycleStats *st)
{
        cJSON_AddStringToObject(o, "last_result", source_result_to_string(st->result));
        cJSON_AddNumberToObject(o, "last_duration_ms", (double) st->duration_ms);
        cJSON_AddNumberToObject(o, "found", st->found);
        cJSON_AddNumberToObject(o, "to_block", st->to_block);
        cJSON_AddNumberToObject(o, "to_unblock", st->to_unblock);
        cJSON_AddNumberToObject(o, "blocked", st->blocked);
        cJSON_AddNumberToObject(o, "unblocked", st->unblocked);
        cJSON_AddNumberToObject(o, "failed", st->failed);
        cJSON_AddNumberToObject(o, "requests", st->requests);
        cJSON_AddItemToObject(o, "last_error", st->error ? cJSON_CreateString(st->error) : cJSON_CreateNull());
}

static void add_sources(Daemon *d, cJSON *arr)
{
        for (size_t i = 0; i < d->n_sources; i++) {
                Source *s = d->sources[i];
                cJSON *o = cJSON_CreateObject();
                uint64_t now_loop = uv_now(d->loop);
                cJSON_AddStringToObject(o, "name", s->name);
                cJSON_AddStringToObject(o, "kind", s->ops->kind);
                cJSON_AddStringToObject(o, "state", s->running ? "running" : "idle");
                cJSON_AddItemToObject(o, "last_run", ms_to_time(s->last.started_ms));
                cJSON_AddItemToObject(o, "next_run",
                                      s->running || !s->next_run_ms ? cJSON_CreateNull() :
                                      cJSON_CreateNumber((double) (clock_wall() +
                                                                   (int64_t) ((s->next_run_ms > now_loop ?
                                                                               s->next_run_ms - now_loop : 0) /
                                                                              1000))));
                add_cycle(o, &s->last);
                cJSON_AddItemToArray(arr, o);
        }
}

static void add_responders(Daemon *d, cJSON *arr)
{
        for (size_t i = 0; i < d->config->n_responders; i++) {
                Responder *r = d->config->responders[i];
                cJSON *o = cJSON_CreateObject();
                sqlite3_stmt *st;

                cJSON_AddStringToObject(o, "name", r->name);
                cJSON_AddStringToObject(o, "kind", r->ops->module);
                cJSON_AddBoolToObject(o, "simulation", r->simulation);
                /* live, since the start: what the database cannot say */
                cJSON_AddNumberToObject(o, "queued", r->health.queued);
                cJSON_AddNumberToObject(o, "running", r->health.running);
                cJSON_AddNumberToObject(o, "calls_ok", (double) r->health.calls_ok);
                cJSON_AddNumberToObject(o, "calls_failed", (double) r->health.calls_failed);
                cJSON_AddItemToObject(o, "last_call_error",
                                      r->health.last_error ? cJSON_CreateString(r->health.last_error) : cJSON_CreateNull());
                cJSON_AddItemToObject(o, "last_call_error_at", time_or_null(r->health.last_error_at));
                cJSON_AddNumberToObject(o, "max_concurrent", r->max_concurrent);
                cJSON_AddNumberToObject(o, "rate_limit", r->rate_limit);
                if (sqlite3_prepare_v2(store_db(d->store),
                                       "SELECT (SELECT max(at) FROM events WHERE detail = ?1 AND result = 'ok'),"
                                       " (SELECT last_error FROM blocks WHERE responder = ?1 AND last_error IS NOT NULL"
                                       "  ORDER BY updated_at DESC LIMIT 1),"
                                       " (SELECT count(*) FROM blocks WHERE responder = ?1 AND state IN"
                                       "  ('blocking','unblocking')),"
                                       " (SELECT count(*) FROM blocks WHERE responder = ?1 AND state = 'failed'),"
                                       " (SELECT count(*) FROM blocks WHERE responder = ?1 AND state = 'blocked')",
                                       -1, &st, NULL) == SQLITE_OK) {
                        sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
                        if (sqlite3_step(st) == SQLITE_ROW) {
                                cJSON_AddItemToObject(o, "last_success",
                                                      sqlite3_column_type(st, 0) == SQLITE_NULL ? cJSON_CreateNull() :
                                                      cJSON_CreateNumber((double) sqlite3_column_int64(st, 0)));
                                cJSON_AddItemToObject(o, "last_error",
                                                      sqlite3_column_type(st, 1) == SQLITE_NULL ? cJSON_CreateNull() :
                                                      cJSON_CreateString((const char *) sqlite3_column_text(st, 1)));
                                cJSON_AddNumberToObject(o, "pending", sqlite3_column_int(st, 2));
                                cJSON_AddNumberToObject(o, "failed", sqlite3_column_int(st, 3));
                                cJSON_AddNumberToObject(o, "blocked", sqlite3_column_int(st, 4));
                        }
                        sqlite3_finalize(st);
                }
                cJSON_AddItemToArray(arr, o);
        }
}

static void cmd_status(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        static const char *const kinds[] = { "user", "host", "account", "destination" };
        int64_t blocks[STORE_BLOCK_STATES], n;
        cJSON *data = cJSON_CreateObject(), *wl, *b;

        cJSON_AddStringToObject(data, "version", PACKAGE_VERSION);
        cJSON_AddNumberToObject(data, "pid", (double) getpid());
        cJSON_AddNumberToObject(data, "started_at", (double) d->started_at);
        cJSON_AddNumberToObject(data, "uptime", (double) (clock_wall() - d->started_at));
        cJSON_AddStringToObject(data, "config", d->config_path);
        cJSON_AddStringToObject(data, "database", d->db_path);
        cJSON_AddNumberToObject(data, "schema_version", store_schema_version(d->store));
        cJSON_AddStringToObject(data, "socket", d->socket_path);
        cJSON_AddItemToObject(data, "last_reload", time_or_null(d->last_reload));
        cJSON_AddItemToObject(data, "last_reload_error",
                              d->last_reload_error ? cJSON_CreateString(d->last_reload_error) : cJSON_CreateNull());

        wl = cJSON_AddObjectToObject(data, "whitelist");
        if (store_wl_count(d->store, NULL, &n) < 0) {
                cJSON_Delete(data);
                reply_store_error(d, c, req, "status");
                return;
        }
        cJSON_AddNumberToObject(wl, "total", (double) n);
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                n = 0;
                (void) store_wl_count(d->store, kinds[i], &n);
                cJSON_AddNumberToObject(wl, kinds[i], (double) n);
        }
        b = cJSON_AddObjectToObject(data, "blocks");
        if (store_block_counts(d->store, blocks) == 0)
                for (int i = 0; i < STORE_BLOCK_STATES; i++)
                        cJSON_AddNumberToObject(b, store_block_state_names[i], (double) blocks[i]);
        add_sources(d, cJSON_AddArrayToObject(data, "sources"));
        add_responders(d, cJSON_AddArrayToObject(data, "responders"));
        relay_set_status(d->relays, cJSON_AddArrayToObject(data, "relays"));
        control_send(c, ctl_reply_ok(req->id, data));
}

/* Reads kind and value and normalises the value; replies on error. */
static int get_kind_value(CtlClient *c, const CtlRequest *req, WlKind *ret_kind, char **ret_value)
{
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(req->args, "kind");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->args, "value");
        const char *why;
        WlKind kind;

        if (!cJSON_IsString(k)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID,
                                                "missing \"kind\" (user, host, account or destination)"));
                return -EINVAL;
        }
        kind = wl_kind_from_string(k->valuestring);
        if (kind < 0) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID,
                                                "unknown kind; expected user, host, account or destination"));
                return -EINVAL;
        }
        if (!cJSON_IsString(v)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "missing \"value\""));
                return -EINVAL;
        }
        if (wl_normalize(kind, v->valuestring, ret_value, &why) < 0) {
                /* echo only a bounded part of what the peer sent */
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "invalid %s '%.128s': %s",
                                                wl_kind_to_string(kind), v->valuestring, why));
                return -EINVAL;
        }
        *ret_kind = kind;
        return 0;
}

static void cmd_whitelist_add(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(req->args, "expires_in");
        const cJSON *perm = cJSON_GetObjectItemCaseSensitive(req->args, "permanent");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(req->args, "reason");
        _cleanup_free_ char *value = NULL;
        int64_t now = clock_wall(), expires;
        WlKind kind;
        bool updated;
        WlEntry e;
        LogFields f;
        char until[64];

        if (get_kind_value(c, req, &kind, &value) < 0)
                return;
        if (exp && !cJSON_IsNull(exp) && cJSON_IsTrue(perm)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID,
                                                "\"expires_in\" and \"permanent\" exclude each other"));
                return;
        }
        if (perm && !cJSON_IsBool(perm)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"permanent\" must be a boolean"));
                return;
        }
        if (reason && !cJSON_IsNull(reason) && (!cJSON_IsString(reason) || strlen(reason->valuestring) > REASON_MAX)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID,
                                                "\"reason\" must be a string of at most %d bytes", REASON_MAX));
                return;
        }
        if (cJSON_IsTrue(perm))
                expires = 0;
        else if (exp && !cJSON_IsNull(exp)) {
                if (!cJSON_IsNumber(exp) || !isfinite(exp->valuedouble) || exp->valuedouble < 1 ||
                    exp->valuedouble > 100.0 * 365 * 86400 || exp->valuedouble != floor(exp->valuedouble)) {
                        control_send(c, ctl_reply_error(req->id, CTL_E_INVALID,
                                                        "\"expires_in\" must be whole seconds between 1 and 100 years"));
                        return;
                }
                expires = now + (int64_t) exp->valuedouble;
        } else
                expires = now + (int64_t) d->config->whitelist.default_expiry;

        e = (WlEntry) {
                .kind = wl_kind_to_string(kind),
                .value = value,
                .created_at = now,
                .expires_at = expires,
                .reason = cJSON_IsString(reason) ? reason->valuestring : NULL,
                .created_by = control_client_user(c),
        };
        if (store_wl_upsert(d->store, &e, &updated) < 0) {
                reply_store_error(d, c, req, "whitelist add");
                return;
        }
        if (expires) {
                time_t t = (time_t) expires;
                struct tm tm;
                strftime(until, sizeof(until), "until %Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
        } else
                snprintf(until, sizeof(until), "permanently");
        f = (LogFields) { .kind = e.kind, .entity = value, .action = updated ? "whitelist-update" : "whitelist-add",
                          .result = "ok", .user = e.created_by };
        log_event(LOG_NOTICE, MSGID_WL_ADDED, &f, "whitelist: %s %s '%s' %s by %s%s%s", updated ? "extended" : "added",
                  e.kind, value, until, e.created_by, e.reason ? ": " : "", e.reason ? e.reason : "");
        daemon_schedule_sweep(d);
        /* whitelisting something that is blocked unblocks it at once */
        {
                int n = reconciler_unblock_covered(d->reconciler, e.kind, value, e.created_by);
                if (n > 0)
                        log_notice("whitelist: unblocking %d block(s) covered by %s '%s'", n, e.kind, value);
        }
        daemon_update_status(d);

        {
                cJSON *data = cJSON_CreateObject();
                cJSON_AddItemToObject(data, "entry", entry_json(&e));
                cJSON_AddBoolToObject(data, "updated", updated);
                control_send(c, ctl_reply_ok(req->id, data));
        }
}

static void cmd_whitelist_remove(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        _cleanup_free_ char *value = NULL;
        WlKind kind;
        int removed;
        cJSON *data;

        if (get_kind_value(c, req, &kind, &value) < 0)
                return;
        if (store_wl_remove(d->store, wl_kind_to_string(kind), value, control_client_user(c), clock_wall(),
                            &removed) < 0) {
                reply_store_error(d, c, req, "whitelist remove");
                return;
        }
        if (removed > 0) {
                LogFields f = { .kind = wl_kind_to_string(kind), .entity = value, .action = "whitelist-remove",
                                .result = "ok", .user = control_client_user(c) };
                log_event(LOG_NOTICE, MSGID_WL_REMOVED, &f, "whitelist: removed %s '%s' by %s",
                          wl_kind_to_string(kind), value, control_client_user(c));
                daemon_schedule_sweep(d);
                daemon_update_status(d);
        }
        data = cJSON_CreateObject();
        cJSON_AddNumberToObject(data, "removed", removed);
        control_send(c, ctl_reply_ok(req->id, data));
}

typedef struct ListCtx {
        CtlClient *c;
        double id;
        unsigned long count;
} ListCtx;

static int list_item(const WlEntry *e, void *userdata)
{
        ListCtx *l = userdata;
        control_send(l->c, ctl_reply_item(l->id, entry_json(e)));
        l->count++;
        return 0;
}

static void cmd_whitelist_list(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(req->args, "kind");
        ListCtx l = { .c = c, .id = req->id };
        const char *kind = NULL;

        if (k && !cJSON_IsNull(k)) {
                if (!cJSON_IsString(k) || wl_kind_from_string(k->valuestring) < 0) {
                        control_send(c, ctl_reply_error(req->id, CTL_E_INVALID,
                                                        "unknown kind; expected user, host, account or destination"));
                        return;
                }
                kind = k->valuestring;
        }
        if (store_wl_list(d->store, kind, list_item, &l) < 0) {
                reply_store_error(d, c, req, "whitelist list");
                return;
        }
        control_send(c, ctl_reply_end(req->id, l.count));
}

static void cmd_reload(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        _cleanup_free_ char *errors = NULL;

        if (daemon_reload(d, &errors) < 0) {
                control_send(c, ctl_reply_error(req->id, "config-rejected", "%s",
                                                errors ? errors : "invalid configuration"));
                return;
        }
        control_send(c, ctl_reply_ok(req->id, NULL));
}

static cJSON *block_json(const BlockRecord *b)
{
        cJSON *o = cJSON_CreateObject(), *e;

        cJSON_AddStringToObject(o, "kind", b->kind);
        cJSON_AddStringToObject(o, "value", b->value);
        cJSON_AddStringToObject(o, "responder", b->responder);
        cJSON_AddStringToObject(o, "state", b->state);
        cJSON_AddStringToObject(o, "intent", b->intent ? b->intent : "block");
        e = cJSON_AddArrayToObject(o, "elements");
        for (size_t i = 0; b->elements && b->elements[i]; i++)
                cJSON_AddItemToArray(e, cJSON_CreateString(b->elements[i]));
        cJSON_AddNumberToObject(o, "attempts", (double) b->attempts);
        cJSON_AddItemToObject(o, "next_attempt_at", b->next_attempt_at ?
                              cJSON_CreateNumber((double) (b->next_attempt_at / 1000)) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "last_error", b->last_error ? cJSON_CreateString(b->last_error) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "reason", b->reason ? cJSON_CreateString(b->reason) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "source", b->source ? cJSON_CreateString(b->source) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, "expires_at", time_or_null(b->expires_at));
        cJSON_AddNumberToObject(o, "created_at", (double) b->created_at);
        cJSON_AddNumberToObject(o, "updated_at", (double) b->updated_at);
        return o;
}

static int block_item(const BlockRecord *b, void *userdata)
{
        ListCtx *l = userdata;
        control_send(l->c, ctl_reply_item(l->id, block_json(b)));
        l->count++;
        return 0;
}

static const char *opt_string(const CtlRequest *req, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->args, name);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void cmd_blocks_list(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        BlockFilter f = {
                .state = opt_string(req, "state"),
                .responder = opt_string(req, "responder"),
                .kind = opt_string(req, "kind"),
                .value = opt_string(req, "value"),
        };
        ListCtx l = { .c = c, .id = req->id };

        if (f.state && !strv_contains((char **) (const char *const[]) { "blocking", "blocked", "unblocking",
                                                                         "unblocked", "failed", NULL }, f.state)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "unknown state '%.32s'; expected blocking, "
                                                "blocked, unblocking, unblocked or failed", f.state));
                return;
        }
        if (store_block_list(d->store, &f, block_item, &l) < 0) {
                reply_store_error(d, c, req, "blocks");
                return;
        }
        control_send(c, ctl_reply_end(req->id, l.count));
}

static void cmd_history(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        const char *value = opt_string(req, "value"), *kind = opt_string(req, "kind");
        ListCtx l = { .c = c, .id = req->id };
        sqlite3_stmt *st;
        int rc;

        if (!value) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "missing \"value\" (an IP, account, ...)"));
                return;
        }
        if (sqlite3_prepare_v2(store_db(d->store),
                               "SELECT at, actor, action, kind, value, reason, result, detail FROM events "
                               "WHERE value = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY at, id", -1, &st,
                               NULL) != SQLITE_OK) {
                reply_store_error(d, c, req, "history");
                return;
        }
        store_bind_text(st, 1, value);
        store_bind_text(st, 2, kind);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                cJSON *o = cJSON_CreateObject();
                static const char *const names[] = { "at", "actor", "action", "kind", "value", "reason", "result",
                                                     "detail" };
                cJSON_AddNumberToObject(o, "at", (double) sqlite3_column_int64(st, 0));
                for (int i = 1; i < 8; i++)
                        cJSON_AddItemToObject(o, names[i], sqlite3_column_type(st, i) == SQLITE_NULL ?
                                              cJSON_CreateNull() :
                                              cJSON_CreateString((const char *) sqlite3_column_text(st, i)));
                control_send(c, ctl_reply_item(req->id, o));
                l.count++;
        }
        sqlite3_finalize(st);
        control_send(c, ctl_reply_end(req->id, l.count));
}

static void on_manual_done(void *userdata, const ReconcileOutcome *o)
{
        CtlDeferred *df = userdata;
        cJSON *data = cJSON_CreateObject();

        cJSON_AddNumberToObject(data, "calls", o->calls);
        cJSON_AddNumberToObject(data, "succeeded", o->succeeded);
        cJSON_AddNumberToObject(data, "failed", o->failed);
        cJSON_AddNumberToObject(data, "unchanged", o->unchanged);
        control_deferred_reply(df, ctl_reply_ok(control_deferred_id(df), data));
}

/* block|unblock KIND VALUE [responder] [reason] [expires_in]: the operator
 * acts through the same state machine as the sources, audited by name. */
static void cmd_manual(Daemon *d, CtlClient *c, const CtlRequest *req, bool block)
{
        const char *responder = opt_string(req, "responder"), *reason = opt_string(req, "reason");
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(req->args, "expires_in");
        _cleanup_free_ char *value = NULL, *source = NULL, *why = NULL;
        char *only[2] = { NULL, NULL };
        ReconcileRequest rr;
        EntityKind ek;
        WlKind kind;
        bool covered = false;
        int k;

        if (get_kind_value(c, req, &kind, &value) < 0)
                return;
        ek = entity_kind_from_string(wl_kind_to_string(kind));
        if (responder && !config_find_responder(d->config, responder)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_NOTFOUND, "no responder named '%.64s'", responder));
                return;
        }
        if (block && store_wl_covers(d->store, wl_kind_to_string(kind), value, clock_wall(), &covered) == 0 &&
            covered) {
                control_send(c, ctl_reply_error(req->id, "whitelisted", "%s '%s' is whitelisted; remove it from the "
                                                "whitelist first", wl_kind_to_string(kind), value));
                return;
        }
        if (block && config_protects(d->config, wl_kind_to_string(kind), value)) {
                control_send(c, ctl_reply_error(req->id, "protected", "%s '%s' is in the protect list of the "
                                                "configuration and is never blocked", wl_kind_to_string(kind),
                                                value));
                return;
        }
        if (block && kind == WL_HOST) {
                AddrNet a;
                if (addr_parse(value, &a) < 0 || !addr_is_host(&a)) {
                        control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "a host is blocked by its IP "
                                                        "address, not '%s'", value));
                        return;
                }
        }
        if (exp && (!cJSON_IsNumber(exp) || exp->valuedouble < 1 || exp->valuedouble > 100.0 * 365 * 86400)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"expires_in\" must be seconds, 1 to 100 years"));
                return;
        }
        source = xasprintf("operator:%s", control_client_user(c));
        why = xasprintf("%s by %s%s%s", block ? "blocked" : "unblocked", control_client_user(c), reason ? ": " : "",
                        reason ? reason : "");
        only[0] = (char *) responder;
        rr = (ReconcileRequest) {
                .entity = { .kind = ek, .value = value },
                .block = block,
                .reason = why,
                .source = source,
                .responders = responder ? only : NULL,
                .expires_at = exp ? clock_wall() + (int64_t) exp->valuedouble : 0,
        };
        (void) store_event(d->store, clock_wall(), control_client_user(c), block ? "manual.block" : "manual.unblock",
                           wl_kind_to_string(kind), value, reason, "requested", responder);
        k = reconciler_want(d->reconciler, &rr, on_manual_done, control_defer(c, req->id));
        if (k < 0)
                control_send(c, ctl_reply_error(req->id, CTL_E_INTERNAL, "cannot %s: %s", block ? "block" : "unblock",
                                                strerror(-k)));
}

static void cmd_block(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        cmd_manual(d, c, req, true);
}

static void cmd_unblock(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        cmd_manual(d, c, req, false);
}

static void on_run_done(void *userdata, const CycleStats *st, cJSON *plan)
{
        CtlDeferred *df = userdata;
        cJSON *data = cJSON_CreateObject();

        add_cycle(data, st);
        if (plan)
                cJSON_AddItemToObject(data, "plan", plan);
        control_deferred_reply(df, ctl_reply_ok(control_deferred_id(df), data));
}

static void cmd_run_or_plan(Daemon *d, CtlClient *c, const CtlRequest *req, bool plan)
{
        const char *name = opt_string(req, "source");
        Source *s;
        CtlDeferred *df;
        int k;

        if (!name && d->n_sources == 1)
                s = d->sources[0];
        else if (!name) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, d->n_sources ?
                                                "several sources are configured: name one" :
                                                "no source is configured"));
                return;
        } else if (!(s = daemon_find_source(d, name))) {
                control_send(c, ctl_reply_error(req->id, CTL_E_NOTFOUND, "no source named '%.64s'", name));
                return;
        }
        df = control_defer(c, req->id);
        k = sched_run_now(s, plan, on_run_done, df);
        if (k < 0) {
                control_deferred_reply(df, ctl_reply_error(req->id, k == -EBUSY ? "busy" : CTL_E_INTERNAL,
                                                           "%s: %s", s->name, k == -EBUSY ?
                                                           "a cycle is already running or requested; try again" :
                                                           strerror(-k)));
        }
}

static void cmd_run(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        cmd_run_or_plan(d, c, req, false);
}

static void cmd_plan(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        cmd_run_or_plan(d, c, req, true);
}

static void on_test_done(void *userdata, const ResponderResult *res)
{
        CtlDeferred *df = userdata;
        cJSON *data;

        if (res->r < 0) {
                control_deferred_reply(df, ctl_reply_error(control_deferred_id(df), "failed", "%s",
                                                           res->error ? res->error : strerror(-res->r)));
                return;
        }
        data = cJSON_CreateObject();
        cJSON_AddBoolToObject(data, "ok", true);
        cJSON_AddStringToObject(data, "detail", res->error ? res->error : "credentials and reachability checked");
        control_deferred_reply(df, ctl_reply_ok(control_deferred_id(df), data));
}

/* responder.test NAME: credentials and reachability, nothing changed. */
static void cmd_responder_test(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        const char *name = opt_string(req, "name");
        Responder *r;
        CtlDeferred *df;
        int k;

        if (!name) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"name\" (a responder) is required"));
                return;
        }
        r = config_find_responder(d->config, name);
        if (!r) {
                control_send(c, ctl_reply_error(req->id, CTL_E_NOTFOUND, "no responder named '%.64s'", name));
                return;
        }
        if (!r->ops->test) {
                control_send(c, ctl_reply_error(req->id, "unsupported", "a %s responder has no test; its calls show "
                                                "in 'secrespctl status'", r->ops->module));
                return;
        }
        df = control_defer(c, req->id);
        k = r->ops->test(r, on_test_done, df);
        if (k < 0)
                on_test_done(df, &(ResponderResult) { .r = k, .error = strerror(-k) });
}

static void on_summary_test_done(void *userdata, const char *error)
{
        CtlDeferred *df = userdata;
        cJSON *data;

        if (error) {
                control_deferred_reply(df, ctl_reply_error(control_deferred_id(df), "failed", "%s", error));
                return;
        }
        data = cJSON_CreateObject();
        cJSON_AddBoolToObject(data, "ok", true);
        cJSON_AddStringToObject(data, "detail", "test e-mail and syslog message sent");
        control_deferred_reply(df, ctl_reply_ok(control_deferred_id(df), data));
}

/* summary.test: VAR's --test_smtp and --test_syslog. */
static void cmd_summary_test(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        if (!d->summary) {
                control_send(c, ctl_reply_error(req->id, CTL_E_NOTFOUND, "no summary is configured "
                                                "(summary.email or summary.syslog in secrespd.conf)"));
                return;
        }
        (void) summary_sender_test(d->summary, on_summary_test_done, control_defer(c, req->id));
}

static const struct {
        const char *name;
        CommandFn fn;
} commands[] = {
        { "status", cmd_status },
        { "whitelist.add", cmd_whitelist_add },
        { "whitelist.remove", cmd_whitelist_remove },
        { "whitelist.list", cmd_whitelist_list },
        { "reload", cmd_reload },
        { "blocks.list", cmd_blocks_list },
        { "history", cmd_history },
        { "block", cmd_block },
        { "unblock", cmd_unblock },
        { "run", cmd_run },
        { "plan", cmd_plan },
        { "responder.test", cmd_responder_test },
        { "summary.test", cmd_summary_test },
        { "sna.setup", cmd_sna_setup },
        { "scores", cmd_scores },
        { "umbrella.categories", cmd_umbrella_categories },
};

void commands_dispatch(void *userdata, CtlClient *c, const CtlRequest *req)
{
        Daemon *d = userdata;

        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(req->cmd, commands[i].name)) {
                        commands[i].fn(d, c, req);
                        return;
                }
        control_send(c, ctl_reply_error(req->id, CTL_E_UNKNOWN, "unknown command '%.64s'", req->cmd));
}
