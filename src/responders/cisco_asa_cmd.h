/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Pure helpers of the ASA HTTP responder (responders.md §4.6): the ASA's
 * HTTP interface runs CLI commands given in the URL path, several of them
 * separated by '/', and answers with the CLI's text.  No I/O, no logging. */

/* "/admin/<mode>/" followed by each command percent-encoded (everything
 * but unreserved characters), joined with '/'.  mode is "exec" or
 * "config".  NULL when a command is empty or holds a '/' or a control
 * character (it would split or break the request).  malloc'ed. */
char *asa_path(const char *mode, const char *const *cmds, size_t n);

/* Is this a name the CLI takes as one word in the commands we build
 * (an object-group name: no blanks, '/', '?', quotes, control characters,
 * at most 64 characters)? */
bool asa_valid_name(const char *s);

typedef enum AsaOutcome {
        ASA_DONE,               /* no complaint: the change was made */
        ASA_ALREADY,            /* already a member (block) */
        ASA_ABSENT,             /* not a member (unblock) */
        ASA_ERROR,              /* anything else the CLI refused */
} AsaOutcome;

/* Reads the CLI's answer to "network-object host IP" (block) or "no
 * network-object host IP".  On ASA_ERROR, *ret_line points to the first
 * line that says why (inside out, up to its end of line: *ret_len). */
AsaOutcome asa_classify(const char *out, bool block, const char **ret_line, size_t *ret_len);

/* Does the output of "show running-config object-group id GROUP" define
 * the network object-group GROUP? */
bool asa_group_defined(const char *out, const char *group);

/* The addresses of its "network-object host ADDRESS" lines (NULL-terminated,
 * never NULL; malloc'ed), read from the same output. */
char **asa_group_hosts(const char *out, const char *group);
