/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"
#include "daemon/mhd_dl.h"
#include "daemon/dl.h"

static MhdApi api;
static bool loaded;
static char *load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
        static const DlSym syms[] = {
#define S(f) { "MHD_" #f, offsetof(MhdApi, f) }
                S(start_daemon), S(stop_daemon), S(quiesce_daemon), S(run), S(get_timeout),
                S(get_daemon_info), S(get_connection_info), S(lookup_connection_value),
                S(suspend_connection), S(resume_connection), S(queue_response),
                S(create_response_from_buffer), S(destroy_response), S(add_response_header),
                S(get_response_header), S(get_reason_phrase_for),
#undef S
        };

        loaded = dl_load_table(MHD_SONAME, "libmicrohttpd12", syms, sizeof(syms) / sizeof(syms[0]), &api,
                               &load_error) == 0;
}

int mhd_dl_load(char **ret_why)
{
        (void) pthread_once(&once, load);
        if (loaded)
                return 0;
        if (ret_why)
                *ret_why = xstrdup(load_error);
        return -ELIBACC;
}

const MhdApi *mhd_dl(void)
{
        (void) pthread_once(&once, load);
        if (!loaded) {
                fprintf(stderr, "secresp: %s\n", load_error);
                exit(EXIT_FAILURE);
        }
        return &api;
}
