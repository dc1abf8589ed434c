/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* PAN-OS XML API shapes (responders.md §4.2), pure: no I/O, no logging.
 * Shared by the pan responder (pan.c) and its unit tests.  PAN-OS writes
 * its XML in more than one way (status="error" and status = 'error'),
 * so the reader is a small tolerant scanner, not a validator. */

typedef struct PanEntry {
        const char *ip;
        const char *tag;
        bool reg;                       /* register, else unregister */
} PanEntry;

/* The uid-message registering and unregistering the entries: one
 * <register> and one <unregister> section, an <entry> per IP and tag.
 * Values are XML-escaped. */
char *pan_uid_message(const PanEntry *entries, size_t n);

/* application/x-www-form-urlencoded value */
char *pan_form_escape(const char *s);

/* <response status="success"><result><key>K</key></result></response>:
 * 0 and the key; -EACCES (with the message) for an error answer;
 * -EBADMSG when there is no key. */
int pan_parse_keygen(const char *body, char **ret_key, char **ret_msg);

typedef struct PanEntryError {
        char *ip;
        char *message;
        bool reg;                       /* in <register>, else <unregister> */
} PanEntryError;

typedef struct PanResponse {
        bool success;                   /* status="success" */
        int code;                       /* the code attribute, 0 when none */
        char *msg;                      /* the text of <msg> (or <result> when error), spaces folded */
        PanEntryError *entries;         /* per-entry messages of a uid-response */
        size_t n_entries;
} PanResponse;

/* -EBADMSG when the body is no <response>. */
int pan_parse_response(const char *body, PanResponse *ret);
void pan_response_done(PanResponse *r);

/* An answer saying the API key is no good (expired, revoked): code 403,
 * or "Invalid Credential" in the message. */
bool pan_auth_error(const PanResponse *r);

/* Per-entry messages that mean the goal is met: "already exists" on
 * register, "does not exist" / "not registered" on unregister. */
bool pan_entry_is_noop(const PanEntryError *e);

/* The text of the first <name>...</name> in body, or NULL (for the
 * hostname and sw-version of `show system info`). */
char *pan_xml_text(const char *body, const char *name);
