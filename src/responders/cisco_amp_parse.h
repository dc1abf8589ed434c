/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Cisco Secure Endpoint (AMP) v1 (responders.md §6.1, §7.3): the answers
 * the cisco_amp responder reads.  Pure. */

/* From GET /v1/computers?...: the connector_guid of the one computer
 * found.  With `hostname`, only computers whose hostname is that name
 * (case-insensitive; a short name also matches its FQDN; the API's filter
 * also matches longer names, which do not count) count.
 * 0 with *ret_guid (malloc'ed); -ENOENT (none), -ENOTUNIQ (several, their
 * count in *ret_n) or -EBADMSG (not such an answer). */
int amp_pick_computer(const char *body, size_t len, const char *hostname, char **ret_guid, size_t *ret_n);

typedef enum AmpIsolation {
        AMP_UNAVAILABLE,                /* available: false (connector or policy without isolation) */
        AMP_NOT_ISOLATED,
        AMP_PENDING_START,
        AMP_ISOLATED,
        AMP_PENDING_STOP,
        AMP_ISOLATION_UNKNOWN,          /* a status this code does not know */
} AmpIsolation;

/* From GET /v1/computers/{guid}/isolation; -EBADMSG when unreadable. */
int amp_isolation_state(const char *body, size_t len, AmpIsolation *ret);

/* The optional PUT body {"unlock_code":...,"comment":...}, or NULL when
 * both are empty (malloc'ed). */
char *amp_isolation_body(const char *unlock_code, const char *comment);
