/* SPDX-License-Identifier: MIT */
#pragma once
/* libmicrohttpd, loaded when the first relay listener starts (see dl.h):
 * Debian's build links GnuTLS, whose constructor initialises it and
 * p11-kit in every process that maps it.  httpd.c includes this header
 * instead of <microhttpd.h>. */
#include <stdint.h>
#include <sys/socket.h>
#include <microhttpd.h>

typedef struct MhdApi {
        struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                           void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...);
        void (*stop_daemon)(struct MHD_Daemon *daemon);
        MHD_socket (*quiesce_daemon)(struct MHD_Daemon *daemon);
        enum MHD_Result (*run)(struct MHD_Daemon *daemon);
        enum MHD_Result (*get_timeout)(struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout);
        const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType t, ...);
        const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *c,
                                                               enum MHD_ConnectionInfoType t, ...);
        const char *(*lookup_connection_value)(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key);
        void (*suspend_connection)(struct MHD_Connection *c);
        void (*resume_connection)(struct MHD_Connection *c);
        enum MHD_Result (*queue_response)(struct MHD_Connection *c, unsigned int status, struct MHD_Response *r);
        struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
                                                            enum MHD_ResponseMemoryMode mode);
        void (*destroy_response)(struct MHD_Response *r);
        enum MHD_Result (*add_response_header)(struct MHD_Response *r, const char *header, const char *content);
        const char *(*get_response_header)(struct MHD_Response *r, const char *key);
        const char *(*get_reason_phrase_for)(unsigned int code);
} MhdApi;

/* 0, or -ELIBACC with a malloc'ed reason in *ret_why (may be NULL). */
int mhd_dl_load(char **ret_why);
/* The loaded functions (loads them, or exits with a clear message). */
const MhdApi *mhd_dl(void);

#define MHD_start_daemon (mhd_dl()->start_daemon)
#define MHD_stop_daemon (mhd_dl()->stop_daemon)
#define MHD_quiesce_daemon (mhd_dl()->quiesce_daemon)
#define MHD_run (mhd_dl()->run)
#define MHD_get_timeout (mhd_dl()->get_timeout)
#define MHD_get_daemon_info (mhd_dl()->get_daemon_info)
#define MHD_get_connection_info (mhd_dl()->get_connection_info)
#define MHD_lookup_connection_value (mhd_dl()->lookup_connection_value)
#define MHD_suspend_connection (mhd_dl()->suspend_connection)
#define MHD_resume_connection (mhd_dl()->resume_connection)
#define MHD_queue_response (mhd_dl()->queue_response)
#define MHD_create_response_from_buffer (mhd_dl()->create_response_from_buffer)
#define MHD_destroy_response (mhd_dl()->destroy_response)
#define MHD_add_response_header (mhd_dl()->add_response_header)
#define MHD_get_response_header (mhd_dl()->get_response_header)
#define MHD_get_reason_phrase_for (mhd_dl()->get_reason_phrase_for)
