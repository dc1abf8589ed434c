/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Aruba ClearPass REST API (responders.md §5.3): what the clearpass
 * responder writes and reads, apart from its I/O.  Pure. */

/* The `filter` query value (JSON, not yet URL-encoded) for the active
 * sessions of an IP (by_mac false) or of a MAC; malloc'ed. */
char *cppm_session_filter(const char *value, bool by_mac);

/* From GET /api/session: the MACs (upper-case colon form) of the items,
 * appended to *macs, or the id of the first item without acctstoptime in
 * *ret_id (malloc'ed, may stay NULL).  Either output may be NULL.  Returns
 * the number of items, or -EBADMSG. */
int cppm_sessions(const char *body, size_t len, char ***macs, char **ret_id);

/* {"mac_address":MAC,"attributes":{ATTR:VALUE}} (malloc'ed) */
char *cppm_endpoint_patch(const char *mac, const char *attribute, bool value);

/* The OAuth request body: client credentials, or the password grant when
 * username is set (the original's); malloc'ed, holds secrets. */
char *cppm_oauth_body(const char *client_id, const char *client_secret, const char *username, const char *password);

/* access_token and expires_in (s, 0 when absent) of the OAuth answer;
 * -EBADMSG without a token. */
int cppm_oauth_token(const char *body, size_t len, char **ret_token, long *ret_expires_in);
