/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Cisco pxGrid 2.0 (responders.md §5.2): what the cisco_pxgrid responder
 * reads and writes, apart from its I/O.  Pure. */

typedef enum PxAccount {
        PX_ENABLED,
        PX_PENDING,                     /* waits for an administrator's approval */
        PX_DISABLED,
        PX_UNKNOWN,
} PxAccount;

/* accountState of AccountActivate; -EBADMSG when unreadable. */
int px_account_state(const char *body, size_t len, PxAccount *ret);

/* The first service of ServiceLookup: its restBaseUrl and nodeName
 * (malloc'ed); -ENOENT when there is none, -EBADMSG when unreadable. */
int px_service(const char *body, size_t len, char **ret_url, char **ret_node);

/* secret of AccessSecret (malloc'ed), or NULL. */
char *px_secret(const char *body, size_t len);

typedef enum PxOutcome {
        PX_DONE,                        /* SUCCESS or RUNNING */
        PX_ALREADY,                     /* apply: already associated; clear: not associated */
        PX_FAILED,
} PxOutcome;

/* The status of applyEndpointByMacAddress (clear = false) or
 * clearEndpointByMacAddress; *reason gets failureReason (malloc'ed). */
PxOutcome px_anc_outcome(const char *body, size_t len, bool clear, char **reason);

/* The MAC (upper-case colon) of getSessionByIpAddress, or NULL. */
char *px_session_mac(const char *body, size_t len);

/* The credential kept for the calls: "ancUrl\tancSecret\tsessUrl\tsessSecret";
 * px_cred_part() gives part i (0..3) malloc'ed, "" when absent. */
char *px_cred_part(const char *cred, unsigned i);
