/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* The Vectra-side write-back contract of VAR 3.3.3 (vectra.md §2.2, §2.3,
 * §2.5), byte-exact, so that secresp and a Python VAR can take over from
 * each other.  Pure: no I/O, no logging, no clock (the caller passes the
 * local time).  Allocation aborts on OOM (xalloc.h). */

typedef enum VarKind {
        VAR_HOST,
        VAR_ACCOUNT,
        VAR_DETECTION,
        _VAR_KIND_MAX,
        _VAR_KIND_INVALID = -EINVAL,
} VarKind;

/* "host", "account", "detection" */
const char *var_kind_to_string(VarKind k);
VarKind var_kind_from_string(const char *s);

#define VAR_ID_PREFIX "VAR ID:"
/* "VAR Host Blocked", "VAR Account Blocked", "VAR Detection Blocked" */
const char *var_marker(VarKind k);
/* The literal that upstream always filters out of the external tags:
 * "vectra_host_unblock", "vectra_account_unblock",
 * "vectra_detection_unblock".  It is NOT the configured unblock tag (the
 * default detection unblock tag is "unblock", which stays). */
const char *var_hardcoded_unblock_tag(VarKind k);

/* A growable list of owned strings.  items[n] is NULL whenever items is
 * not, so items can be passed where a NULL-terminated vector is expected.
 * Zero-initialise (STRLIST_INIT) before use; strlist_done() frees it and
 * leaves it empty and reusable. */
typedef struct StrList {
        char **items;
        size_t n;
        size_t cap;
} StrList;

#define STRLIST_INIT { .items = NULL, .n = 0, .cap = 0 }

void strlist_add(StrList *l, const char *s);
/* Adds s unless it is present; returns whether it was added. */
bool strlist_add_unique(StrList *l, const char *s);
bool strlist_contains(const StrList *l, const char *s);
/* Removes every occurrence; returns how many there were. */
size_t strlist_remove(StrList *l, const char *s);
void strlist_done(StrList *l);

/* Parses "VAR ID:<client>:<element>": the client is the text between the
 * first and the second ':' after "VAR", the element everything after it
 * (elements may contain ':', client names may not).  -EINVAL when the tag
 * does not start with "VAR ID:", has no second ':', or the client or the
 * element is empty (upstream crashes or mis-parses those).  The outputs
 * are owned by the caller. */
int var_id_parse(const char *tag, char **ret_client, char **ret_element);
/* "VAR ID:<client>:<element>", owned by the caller.  NULL when the client
 * is empty or contains ':' or the element is empty (neither would parse
 * back). */
char *var_id_format(const char *client, const char *element);

/* The elements one responder owns on an entity. */
typedef struct VarOwner {
        char *client;                   /* the responder's client name (§2.3) */
        StrList elements;               /* no duplicates, in tag order */
} VarOwner;

/* An entity's tag list, split the upstream way: */
typedef struct VarTags {
        /* Every tag but the marker, well-formed "VAR ID:" tags and the
         * hard-coded unblock literal; in the original order, duplicates
         * kept.  A malformed "VAR ID:" tag (no element) is kept here, so
         * that writing back never loses it. */
        StrList external;
        /* blocked_elements: client name -> elements, owners in order of
         * first appearance. */
        VarOwner *owners;
        size_t n_owners;
        bool had_marker;                /* the marker was present (once or more) */
} VarTags;

#define VAR_TAGS_INIT { .external = STRLIST_INIT, .owners = NULL, .n_owners = 0, .had_marker = false }

/* Splits tags[0..n_tags) (NULL entries are skipped) into *ret, which must
 * be VAR_TAGS_INIT or done.  Markers and unblock literals of the other
 * kinds are external tags. */
void var_tags_split(VarKind kind, const char *const *tags, size_t n_tags, VarTags *ret);
void var_tags_done(VarTags *t);

/* The elements `client` owns, or NULL when it owns none. */
const StrList *var_tags_elements(const VarTags *t, const char *client);
/* Total number of elements over all owners. */
size_t var_tags_n_elements(const VarTags *t);
/* Records an element (no-op when present).  -EINVAL when the pair would
 * not survive the round trip through a tag (see var_id_format()). */
int var_tags_add(VarTags *t, const char *client, const char *element);
/* Forgets an element; false when it is not stored (a responder reporting
 * an element it never blocked: ignored, not a crash, §10 defect 4).  An
 * owner left with no element is dropped. */
bool var_tags_remove(VarTags *t, const char *client, const char *element);

typedef enum VarWrite {
        VAR_WRITE_BLOCK,                /* after a block (also the groom block) */
        VAR_WRITE_UNBLOCK,              /* after a full or partial unblock (also the groom unblock) */
        _VAR_WRITE_MAX,
        _VAR_WRITE_INVALID = -EINVAL,
} VarWrite;

/* The complete tag list to PATCH (replace semantics):
 *   external tags
 *   + marker once + one "VAR ID:<client>:<e>" per remaining element of
 *     EVERY owner, if any element remains (§10 defects 6 and 7).
 * On VAR_WRITE_UNBLOCK a literal "block" tag (VAE's old default block tag,
 * and the default detection block tag) is dropped, every occurrence, and
 * *ret_dropped_block (may be NULL) says so, for the caller's warning
 * (§10 defect 3).  Nothing else is removed: the configured block tag stays
 * (with EXPLICIT_UNBLOCK the operator removes it), a configured unblock tag
 * stays; only the hard-coded unblock literal disappears, because
 * var_tags_split() did not keep it.  *ret must be STRLIST_INIT or done.
 * -EINVAL for an invalid kind or mode. */
int var_tags_build(VarKind kind, const VarTags *t, VarWrite mode, StrList *ret, bool *ret_dropped_block);

/* The responder modules named by `client:<module>` tags (§2.2): every tag
 * whose first six characters are "client" in any case and that has a ':'
 * names the text after the first ':' up to the next ':' (or the end),
 * lower-cased.  A tag without ':' (bare "client", upstream IndexError) and
 * an empty module name are ignored.  No duplicates, in tag order.  *ret
 * must be STRLIST_INIT or done. */
void var_client_filter(const char *const *tags, size_t n_tags, StrList *ret);
/* Whether a responder of upstream module `module` ("fortinet", "cortex";
 * VarClient.module) may block or groom the entity: yes when the filter is
 * empty, else when it names the module (compared lower-cased).  The filter
 * is never applied to unblocks. */
bool var_client_filter_allows(const StrList *filter, const char *module);

/* The responders of §2.3 (all 35 rows). */
typedef struct VarClient {
        const char *directory;          /* third_party_clients/<directory>, THIRD_PARTY_CLIENTS value */
        const char *file;               /* module file without ".py", also accepted in THIRD_PARTY_CLIENTS */
        const char *module;             /* upstream Client.module: the `client:` filter value */
        const char *name;               /* upstream Client.name: <client name> in VAR ID tags */
} VarClient;

extern const VarClient var_clients[];
extern const size_t var_n_clients;

/* By directory, file or module name (exact).  NULL when unknown. */
const VarClient *var_client_find(const char *s);
/* The name in VAR ID tags for a directory/file/module name, or NULL. */
const char *var_client_name(const char *s);

typedef enum VarNote {
        VAR_NOTE_BLOCKED,               /* "VAR: Blocked on %d %b %Y at %H:%M:%S" */
        VAR_NOTE_UNBLOCKED,             /* "VAR: Unblocked on ..." */
        VAR_NOTE_GROOM_UNBLOCKED,       /* "VAR: Unblocked due to grooming on ..." */
        _VAR_NOTE_MAX,
        _VAR_NOTE_INVALID = -EINVAL,
} VarNote;

#define VAR_NOTE_MAX 80

/* Formats the note for the broken-down LOCAL time *tm (the caller's
 * localtime_r()), as Python's strftime("%d %b %Y at %H:%M:%S") in the C
 * locale: English month abbreviations whatever the process locale, zero-
 * padded day and time, e.g. "VAR: Blocked on 16 Oct 2025 at 10:21:22".
 * -EINVAL for an invalid note or out-of-range field, -ENOBUFS when buf is
 * too small (VAR_NOTE_MAX always suffices for 4-digit years). */
int var_note_format(VarNote note, const struct tm *tm, char *buf, size_t size);
