/* SPDX-License-Identifier: MIT */
/* The control verb of `secrespctl sna setup EVENT_ID` (sna.md §6): the
 * daemon holds the SMC credentials, so the CLI asks it. */
#include "config.h"
#include <errno.h>
#include <math.h>
#include <string.h>
#include "common/xalloc.h"
#include "daemon/commands_sna.h"
#include "sources/sna.h"

static void on_setup(void *userdata, int r, const char *error, cJSON *report)
{
        CtlDeferred *df = userdata;

        if (r < 0) {
                control_deferred_reply(df, ctl_reply_error(control_deferred_id(df),
                                                           r == -ENOENT ? CTL_E_NOTFOUND : "vendor-error", "%s",
                                                           error ? error : strerror(-r)));
                return;
        }
        control_deferred_reply(df, ctl_reply_ok(control_deferred_id(df), report));
}

void cmd_sna_setup(Daemon *d, CtlClient *c, const CtlRequest *req)
{
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(req->args, "event_id");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(req->args, "source");
        const cJSON *dry = cJSON_GetObjectItemCaseSensitive(req->args, "dry_run");
        Source *s = NULL;
        unsigned n = 0;
        int k;

        if (!cJSON_IsNumber(id) || id->valuedouble < 1 || id->valuedouble > 1e9 ||
            id->valuedouble != floor(id->valuedouble)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"event_id\" must be a security event "
                                                "type id (16: High Total Traffic, 30: High Traffic)"));
                return;
        }
        if (dry && !cJSON_IsBool(dry)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"dry_run\" must be a boolean"));
                return;
        }
        if (name && !cJSON_IsString(name)) {
                control_send(c, ctl_reply_error(req->id, CTL_E_INVALID, "\"source\" must be a string"));
                return;
        }
        for (size_t i = 0; i < d->n_sources; i++)
                if (sna_source_is(d->sources[i])) {
                        n++;
                        if (!s)
                                s = d->sources[i];
                }
        if (name) {
                s = daemon_find_source(d, name->valuestring);
                if (!sna_source_is(s)) {
                        control_send(c, ctl_reply_error(req->id, CTL_E_NOTFOUND, "no SNA source named '%.64s'",
                                                        name->valuestring));
                        return;
                }
        } else if (n != 1) {
                control_send(c, ctl_reply_error(req->id, n ? CTL_E_INVALID : CTL_E_NOTFOUND, n ?
                                                "several SNA sources are configured: name one" :
                                                "no SNA source is configured"));
                return;
        }
        {
                CtlDeferred *df = control_defer(c, req->id);
                k = sna_source_setup(s, (int64_t) id->valuedouble, cJSON_IsTrue(dry), control_client_user(c),
                                     on_setup, df);
                if (k < 0)
                        control_deferred_reply(df, ctl_reply_error(req->id, CTL_E_INTERNAL, "%s: %s", s->name,
                                                                   strerror(-k)));
        }
}
