/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "ctl/output.h"

/* The JSON output: the reply's data as the daemon sent it, for scripts.
 * The daemon's refusals are JSON on stdout too, so a script reads one
 * stream and the exit status. */

static void print_json(FILE *f, const cJSON *v)
{
        char *s = cJSON_PrintUnformatted(v);

        if (!s)
                abort();        /* cJSON fails only on OOM */
        fprintf(f, "%s\n", s);
        free(s);
}

static void print_data(FILE *f, const cJSON *data)
{
        if (data) {
                print_json(f, data);
                return;
        }
        cJSON *empty = cJSON_CreateObject();
        print_json(f, empty);
        cJSON_Delete(empty);
}

static void json_status(const OutputCtx *o, const cJSON *data)
{
        print_data(o->out, data);
}

static void json_whitelist_add(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        print_data(o->out, data);
}

static void json_whitelist_remove(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        print_data(o->out, data);
}

static void print_items(FILE *f, const cJSON *items)
{
        if (items) {
                print_json(f, items);
                return;
        }
        cJSON *empty = cJSON_CreateArray();
        print_json(f, empty);
        cJSON_Delete(empty);
}

static void json_whitelist_list(const OutputCtx *o, const cJSON *items)
{
        print_items(o->out, items);
}

static void json_blocks_list(const OutputCtx *o, const CtlCommand *c, const cJSON *items)
{
        print_items(o->out, items);
}

static void json_history(const OutputCtx *o, const CtlCommand *c, const cJSON *items)
{
        print_items(o->out, items);
}

static void json_manual(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        print_data(o->out, data);
}

/* plan: every decision, whatever --all says; scripts filter them. */
static void json_run(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        print_data(o->out, data);
}

static void json_responder_test(const OutputCtx *o, const CtlCommand *c, const cJSON *data)
{
        print_data(o->out, data);
}

static void json_reload(const OutputCtx *o, const cJSON *data)
{
        print_data(o->out, data);
}

static void json_error(const OutputCtx *o, const char *code, const char *message)
{
        cJSON *root = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(root, "error");

        cJSON_AddStringToObject(e, "code", code);
        cJSON_AddStringToObject(e, "message", message);
        print_json(o->out, root);
        cJSON_Delete(root);
}

/* Only answers of the daemon are JSON; a script tells this case by the
 * exit status 3, with nothing on stdout. */
static void json_unreachable(const OutputCtx *o, const char *message)
{
        fprintf(o->err, "secrespctl: %s\n", message);
}

const Output output_json = {
        .status = json_status,
        .whitelist_add = json_whitelist_add,
        .whitelist_remove = json_whitelist_remove,
        .whitelist_list = json_whitelist_list,
        .reload = json_reload,
        .blocks_list = json_blocks_list,
        .history = json_history,
        .manual = json_manual,
        .run = json_run,
        .responder_test = json_responder_test,
        .sna_setup = json_manual,
        .error = json_error,
        .unreachable = json_unreachable,
        .scores = json_blocks_list,
        .umbrella_categories = json_reload,
};
