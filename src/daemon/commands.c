/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/xalloc.h"
#include "daemon/daemon.h"
#include "daemon/store_whitelist.h"
#include "engine/whitelist.h"

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
        /* filled as sources and responders are configured */
        cJSON_AddArrayToObject(data, "sources");
        cJSON_AddArrayToObject(data, "responders");
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

static const struct {
        const char *name;
        CommandFn fn;
} commands[] = {
        { "status", cmd_status },
        { "whitelist.add", cmd_whitelist_add },
        { "whitelist.remove", cmd_whitelist_remove },
        { "whitelist.list", cmd_whitelist_list },
        { "reload", cmd_reload },
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
