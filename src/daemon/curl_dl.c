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
#include "daemon/curl_dl.h"
#include "daemon/dl.h"

static CurlApi api;
static bool loaded;
static char *load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
        static const DlSym syms[] = {
#define S(f) { "curl_" #f, offsetof(CurlApi, f) }
                S(global_init), S(easy_init), S(easy_setopt), S(easy_getinfo), S(easy_cleanup),
                S(easy_reset),
                S(easy_strerror), S(easy_escape), S(easy_unescape), S(multi_init), S(multi_setopt), S(multi_add_handle),
                S(multi_remove_handle), S(multi_socket_action), S(multi_assign), S(multi_info_read),
                S(multi_cleanup), S(multi_strerror), S(slist_append), S(slist_free_all), S(url),
                S(url_set), S(url_get), S(url_cleanup), S(free),
#undef S
        };

        loaded = dl_load_table(CURL_SONAME, "libcurl4", syms, sizeof(syms) / sizeof(syms[0]), &api,
                               &load_error) == 0;
}

int curl_dl_load(char **ret_why)
{
        (void) pthread_once(&once, load);
        if (loaded)
                return 0;
        if (ret_why)
                *ret_why = xstrdup(load_error);
        return -ELIBACC;
}

const CurlApi *curl_dl(void)
{
        (void) pthread_once(&once, load);
        if (!loaded) {
                fprintf(stderr, "secresp: %s\n", load_error);
                exit(EXIT_FAILURE);
        }
        return &api;
}
