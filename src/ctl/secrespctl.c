/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "common/ctlproto.h"
#include "common/xalloc.h"
#include "ctl/client.h"
#include "ctl/output.h"
#include "ctl/parser.h"

/* secrespctl: one request to secrespd's control socket, one answer shown.
 * Exit status: 0 ok, 1 refused or failed, 2 usage, 3 daemon unreachable. */

enum {
        EXIT_OK = 0,
        EXIT_REFUSED = 1,
        EXIT_USAGE = 2,
        EXIT_UNREACHABLE = 3,
};

static int flush_stdout(int status)
{
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "secrespctl: cannot write the output: %s\n", strerror(errno));
                return status == EXIT_OK ? EXIT_REFUSED : status;
        }
        return status;
}

int main(int argc, char *argv[])
{
        _cleanup_free_ char *error = NULL;
        const Output *out;
        OutputCtx ctx;
        CtlCommand cmd;
        CtlExchange x;
        cJSON *request;
        int r, status;

        r = ctl_parse(argc, argv, &cmd, &error);
        if (r < 0) {
                fprintf(stderr, "secrespctl: %s\nTry 'secrespctl --help' for more information.\n", error);
                return EXIT_USAGE;
        }
        if (cmd.action == CTL_ACTION_HELP) {
                fputs(ctl_usage(), stdout);
                return flush_stdout(EXIT_OK);
        }
        if (cmd.action == CTL_ACTION_VERSION) {
                printf("secrespctl %s (control protocol %d)\n", PACKAGE_VERSION, CTL_PROTO_VERSION);
                return flush_stdout(EXIT_OK);
        }

        out = cmd.json ? &output_json : &output_table;
        ctx = (OutputCtx) { .out = stdout, .err = stderr };

        /* one request per run, so its id is always 1 */
        request = ctl_command_to_request(&cmd, 1);
        ctl_exchange_init(&x, 1, ctl_action_is_list(cmd.action));
        r = ctl_client_call(ctl_socket_path(cmd.socket, secure_getenv("SECRESP_SOCKET")), request, &x,
                            CTL_TIMEOUT_MS, ctl_action_timeout_ms(cmd.action), &error);
        cJSON_Delete(request);
        ctx.now = time(NULL);
        if (r < 0) {
                out->unreachable(&ctx, error);
                status = EXIT_UNREACHABLE;
        } else
                status = output_reply(out, &ctx, &cmd, &x);
        ctl_exchange_done(&x);
        return flush_stdout(status);
}
