/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/ctlproto.h"
#include "common/duration.h"
#include "common/xalloc.h"
#include "ctl/parser.h"
#include "tests/fuzz/fuzz.h"

/* secrespctl's command line: the input split on NUL bytes into argv[1..]
 * (argv[0] is "secrespctl"; at most ARGS_MAX words, each in a buffer of
 * its own size).  Invariants:
 *   - 0 and a command, or -EINVAL and a non-empty message, never both;
 *   - the strings of the command point into argv;
 *   - each field is in range for the action (a kind and a value for
 *     whitelist add and remove, block and unblock, at most 36500 days);
 *   - the request the command turns into is one secrespd accepts
 *     (ctl_request_parse()), carrying the same command and strings;
 *   - parsing is deterministic. */

#define ARGS_MAX 32

static bool points_into(const char *s, char *const *argv, int argc)
{
        for (int i = 1; i < argc; i++)
                if (s >= argv[i] && s <= argv[i] + strlen(argv[i]))
                        return true;
        return false;
}

/* args.NAME, when the request has it, is the string the command holds. */
static void check_arg_string(const cJSON *args, const char *name, const char *want)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, name);

        if (!v)
                return;
        if (!cJSON_IsString(v) || !fuzz_streq(v->valuestring, want)) {
                fprintf(stderr, "request's args.%s does not hold \"%s\"\n", name, want ? want : "(null)");
                abort();
        }
}

static void check_request(const CtlCommand *c)
{
        const char *cmd = ctl_action_to_cmd(c->action), *code, *msg;
        cJSON *req = ctl_command_to_request(c, 42), *args, *v;
        _cleanup_free_ char *text = NULL;
        uint8_t *frame;
        size_t frame_len;
        CtlRequest parsed;
        double id;

        FUZZ_CHECK((req != NULL) == (cmd != NULL));
        if (!req)
                return;
        text = cJSON_PrintUnformatted(req);
        cJSON_Delete(req);
        FUZZ_CHECK(text);
        FUZZ_CHECK(ctl_frame_encode(text, strlen(text), 0, &frame, &frame_len) == 0);
        free(frame);
        if (ctl_request_parse(text, strlen(text), &parsed, &code, &msg, &id) < 0) {
                fprintf(stderr, "secrespd refuses secrespctl's request %s: %s: %s\n", text, code, msg);
                abort();
        }
        FUZZ_CHECK(parsed.id == 42 && strcmp(parsed.cmd, cmd) == 0);
        args = parsed.args;
        check_arg_string(args, "kind", ctl_kind_to_string(c->kind));
        check_arg_string(args, "value", c->value);
        check_arg_string(args, "reason", c->reason);
        check_arg_string(args, "responder", c->responder);
        check_arg_string(args, "state", c->state);
        check_arg_string(args, "source", c->source);
        /* what names an object is always sent */
        if (c->kind != CTL_KIND_NONE && c->action != CTL_ACTION_STATUS && c->action != CTL_ACTION_RELOAD)
                FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(args, "kind"));
        if (c->action == CTL_ACTION_WHITELIST_ADD || c->action == CTL_ACTION_WHITELIST_REMOVE ||
            c->action == CTL_ACTION_BLOCK || c->action == CTL_ACTION_UNBLOCK)
                FUZZ_CHECK(cJSON_GetObjectItemCaseSensitive(args, "value"));
        v = cJSON_GetObjectItemCaseSensitive(args, "expires_in");
        if (v)
                FUZZ_CHECK(cJSON_IsNumber(v) && c->expiry == CTL_EXPIRY_SECONDS &&
                           v->valuedouble == (double) c->expires_in);
        else
                FUZZ_CHECK(c->expiry != CTL_EXPIRY_SECONDS);
        ctl_request_done(&parsed);
}

static bool command_equal(const CtlCommand *a, const CtlCommand *b)
{
        return a->action == b->action && a->json == b->json && a->socket == b->socket && a->kind == b->kind &&
                a->value == b->value && a->expiry == b->expiry && a->expires_in == b->expires_in &&
                a->reason == b->reason && a->compat == b->compat && a->responder == b->responder &&
                fuzz_streq(a->state ?: "", b->state ?: "") && a->source == b->source && a->all == b->all;
}

static void check_command(const CtlCommand *c, char *const *argv, int argc)
{
        FUZZ_CHECK(c->action > CTL_ACTION_NONE && c->action < _CTL_ACTION_MAX);
        FUZZ_CHECK(c->kind >= CTL_KIND_NONE && c->kind < _CTL_KIND_MAX);
        FUZZ_CHECK(!c->socket || (c->socket[0] && points_into(c->socket, argv, argc)));
        FUZZ_CHECK(!c->value || (c->value[0] && points_into(c->value, argv, argc)));
        FUZZ_CHECK(!c->reason || (c->reason[0] && points_into(c->reason, argv, argc)));
        FUZZ_CHECK(!c->responder || (c->responder[0] && points_into(c->responder, argv, argc)));
        FUZZ_CHECK(!c->source || (c->source[0] && points_into(c->source, argv, argc)));
        FUZZ_CHECK(!c->state || c->state[0]);
        FUZZ_CHECK(fuzz_streq(ctl_socket_path(c->socket, NULL), c->socket ? c->socket : CTL_SOCKET_DEFAULT));
        if (c->expiry == CTL_EXPIRY_SECONDS)
                FUZZ_CHECK(c->expires_in > 0 && c->expires_in <= (uint64_t) CTL_DAYS_MAX * 86400);
        else
                FUZZ_CHECK(c->expires_in == 0);

        switch (c->action) {
        case CTL_ACTION_HELP:
        case CTL_ACTION_VERSION:
                return;
        case CTL_ACTION_WHITELIST_ADD:
                FUZZ_CHECK(c->kind != CTL_KIND_NONE && c->value);
                FUZZ_CHECK(!c->compat || c->kind == CTL_KIND_USER);
                break;
        case CTL_ACTION_WHITELIST_REMOVE:
                FUZZ_CHECK(c->kind != CTL_KIND_NONE && c->value);
                FUZZ_CHECK(c->expiry == CTL_EXPIRY_DEFAULT && !c->reason);
                break;
        case CTL_ACTION_BLOCK:
        case CTL_ACTION_UNBLOCK:
                FUZZ_CHECK(c->kind != CTL_KIND_NONE && c->value);
                break;
        case CTL_ACTION_HISTORY:
                FUZZ_CHECK(c->value);
                break;
        case CTL_ACTION_WHITELIST_LIST:
        case CTL_ACTION_STATUS:
        case CTL_ACTION_RELOAD:
                FUZZ_CHECK(!c->value && c->expiry == CTL_EXPIRY_DEFAULT && !c->reason);
                FUZZ_CHECK(c->action == CTL_ACTION_WHITELIST_LIST || c->kind == CTL_KIND_NONE);
                break;
        default:
                /* blocks, run, plan and verbs to come: the generic checks */
                break;
        }
        FUZZ_CHECK(!c->all || c->action == CTL_ACTION_PLAN);
        FUZZ_CHECK(!c->compat || c->action == CTL_ACTION_WHITELIST_ADD);
        if (c->kind != CTL_KIND_NONE)
                FUZZ_CHECK(ctl_kind_from_string(ctl_kind_to_string(c->kind)) == c->kind);
        check_request(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *argv[ARGS_MAX + 2] = { 0 };
        char *err = NULL, *err2 = NULL;
        CtlCommand c, c2;
        int argc = 1, r, r2;

        argv[0] = xstrdup("secrespctl");
        for (size_t i = 0; i < size && argc <= ARGS_MAX;) {
                const uint8_t *nul = memchr(data + i, '\0', size - i);
                size_t n = nul ? (size_t) (nul - (data + i)) : size - i;

                argv[argc++] = fuzz_strndup(data + i, n);
                i += n + 1;
        }
        argv[argc] = NULL;

        c = (CtlCommand) { .action = _CTL_ACTION_INVALID };
        r = ctl_parse(argc, argv, &c, &err);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL);
                FUZZ_CHECK(err && err[0] && err[strlen(err) - 1] != '\n');
                FUZZ_CHECK(c.action == _CTL_ACTION_INVALID);
        } else {
                FUZZ_CHECK(r == 0 && !err);
                check_command(&c, argv, argc);
        }

        /* the same words give the same answer; NULL for the message is fine */
        r2 = ctl_parse(argc, argv, &c2, r < 0 ? &err2 : NULL);
        FUZZ_CHECK(r2 == r);
        if (r < 0)
                FUZZ_CHECK(fuzz_streq(err, err2));
        else
                FUZZ_CHECK(command_equal(&c, &c2));
        free(err);
        free(err2);
        if (r < 0) {
                /* and without a place for the message, none leaks */
                r2 = ctl_parse(argc, argv, &c2, NULL);
                FUZZ_CHECK(r2 == r);
        }
        for (int i = 0; i < argc; i++)
                free(argv[i]);
        return 0;
}
