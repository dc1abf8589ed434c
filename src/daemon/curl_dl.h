/* SPDX-License-Identifier: MIT */
#pragma once
/* libcurl, loaded when first needed.  A daemon with no source, relay or
 * HTTP responder never maps libcurl nor what Debian's build drags in with
 * it (libldap, GnuTLS and p11-kit, whose constructors alone cost more
 * than 1.5 MB of resident memory), so the idle daemon stays small.
 * Files that call libcurl include this header instead of <curl/curl.h>;
 * the names below then reach the loaded library.  The type-checking
 * macros of curl.h are left out: they need the real functions. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

typedef struct CurlApi {
        CURLcode (*global_init)(long flags);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
        CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *curl);
        void (*easy_reset)(CURL *curl);
        const char *(*easy_strerror)(CURLcode code);
        char *(*easy_escape)(CURL *curl, const char *string, int length);
        char *(*easy_unescape)(CURL *curl, const char *string, int length, int *outlength);
        CURLM *(*multi_init)(void);
        CURLMcode (*multi_setopt)(CURLM *multi, CURLMoption option, ...);
        CURLMcode (*multi_add_handle)(CURLM *multi, CURL *easy);
        CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *easy);
        CURLMcode (*multi_socket_action)(CURLM *multi, curl_socket_t s, int ev_bitmask, int *running_handles);
        CURLMcode (*multi_assign)(CURLM *multi, curl_socket_t sockfd, void *sockp);
        CURLMsg *(*multi_info_read)(CURLM *multi, int *msgs_in_queue);
        CURLMcode (*multi_cleanup)(CURLM *multi);
        const char *(*multi_strerror)(CURLMcode code);
        struct curl_slist *(*slist_append)(struct curl_slist *list, const char *data);
        void (*slist_free_all)(struct curl_slist *list);
        CURLU *(*url)(void);
        CURLUcode (*url_set)(CURLU *handle, CURLUPart what, const char *part, unsigned int flags);
        CURLUcode (*url_get)(const CURLU *handle, CURLUPart what, char **part, unsigned int flags);
        void (*url_cleanup)(CURLU *handle);
        void (*free)(void *p);
} CurlApi;

/* Loads libcurl once.  0, or -ELIBACC with a malloc'ed reason in *ret_why
 * (may be NULL).  Thread-safe; the library stays loaded. */
int curl_dl_load(char **ret_why);
/* The loaded functions; loads them first, and exits with a clear message
 * when libcurl cannot be loaded (callers that can report an error call
 * curl_dl_load() first). */
const CurlApi *curl_dl(void);

/* curl.h defines these three as function-like macros that expand to
 * themselves (an argument count check). */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt

#define curl_global_init (curl_dl()->global_init)
#define curl_easy_init (curl_dl()->easy_init)
#define curl_easy_setopt (curl_dl()->easy_setopt)
#define curl_easy_getinfo (curl_dl()->easy_getinfo)
#define curl_easy_cleanup (curl_dl()->easy_cleanup)
#define curl_easy_reset (curl_dl()->easy_reset)
#define curl_easy_strerror (curl_dl()->easy_strerror)
#define curl_easy_escape (curl_dl()->easy_escape)
#define curl_easy_unescape (curl_dl()->easy_unescape)
#define curl_multi_init (curl_dl()->multi_init)
#define curl_multi_setopt (curl_dl()->multi_setopt)
#define curl_multi_add_handle (curl_dl()->multi_add_handle)
#define curl_multi_remove_handle (curl_dl()->multi_remove_handle)
#define curl_multi_socket_action (curl_dl()->multi_socket_action)
#define curl_multi_assign (curl_dl()->multi_assign)
#define curl_multi_info_read (curl_dl()->multi_info_read)
#define curl_multi_cleanup (curl_dl()->multi_cleanup)
#define curl_multi_strerror (curl_dl()->multi_strerror)
#define curl_slist_append (curl_dl()->slist_append)
#define curl_slist_free_all (curl_dl()->slist_free_all)
#define curl_url (curl_dl()->url)
#define curl_url_set (curl_dl()->url_set)
#define curl_url_get (curl_dl()->url_get)
#define curl_url_cleanup (curl_dl()->url_cleanup)
#define curl_free (curl_dl()->free)
