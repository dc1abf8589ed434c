/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Vectra Detect objects as secresp reads them (vectra.md §3.6), with the
 * fields VAR derives from them.  Pure: no I/O, no logging.
 *
 * The parsers never trust their input.  A field that is missing or null
 * takes its default (NULL, 0, false, empty list) unless it is required (the
 * ids); a field of the wrong type, an out-of-range number or an oversized
 * string fails the whole object with -EINVAL and an error that names the
 * field ("host_artifact_set[2].value: expected a string, got a number").
 * Unknown fields are ignored.
 *
 * String lists are NULL-terminated and also carry their length.  Every
 * object is freed by its destructor, which accepts NULL and returns NULL. */

typedef struct cJSON cJSON;

/* Bounds on what one object may hold. */
#define VECTRA_STRING_MAX 65536         /* bytes in any string field except notes */
#define VECTRA_ID_MAX INT64_C(9007199254740992)  /* 2^53: exact in a JSON double */
#define VECTRA_SCORE_MAX 100

typedef struct VectraHost {
        int64_t id;
        char *name;
        char *ip;                       /* last_source; NULL when absent */
        int threat;
        int certainty;
        bool key_asset;
        bool targets_key_asset;
        char *probable_owner;
        char **tags;                    /* all tags, as the API gave them */
        size_t n_tags;
        char *note;                     /* latest note text; not length-checked */
        char **mac_addresses;           /* "mac" artifacts, unique, API order */
        size_t n_mac_addresses;
        char *vmware_vm_uuid;           /* first "vm_uuid" artifact */
        char *vmware_vm_name;           /* first "vmachine_info" artifact */
        char *aws_vm_uuid;              /* first "aws_vm_uuid" artifact */
        /* VAR get_full_name(): the first windows_defender_name artifact, else
         * dns, else rdns, else ldap.dns_hostname[0], else name (may be NULL) */
        char *full_name;
        time_t last_seen;               /* UTC epoch seconds; 0 when absent */
        int64_t *detection_ids;         /* last path segment of each detection_set URL */
        size_t n_detection_ids;
} VectraHost;

/* The LDAP context of an account (VAR reads these from the top level by
 * mistake, defect 16; secresp reads them from "ldap"). */
typedef struct VectraLdap {
        char *description;
        char *location;
        char *sam_account_name;         /* sAMAccountName */
        char *title;
        char *upn;                      /* user_principal_name */
        char *common_name;
        char *email;
} VectraLdap;

typedef struct VectraAccount {
        int64_t id;
        char *name;                     /* "O365:user@dom" */
        char *display_name;             /* display_name, else name */
        char **account_type;
        size_t n_account_type;
        int threat;
        int certainty;
        char *severity;
        int privilege_level;            /* -1 when absent */
        char *privilege_category;
        char *probable_home;            /* only when the API gives a string */
        char **tags;
        size_t n_tags;
        char *note;
        /* display_name between its first ':' and the next one (the whole
         * display name when it has no ':'), as VAR's re.split(":")[1] */
        char *normalized_name;
        char *fake_sam;                 /* normalized_name before the first '@' */
        char *context;                  /* x of the last "Context:x[:...]" tag; NULL if none */
        bool has_ldap;
        VectraLdap ldap;
        int64_t *detection_ids;
        size_t n_detection_ids;
} VectraAccount;

typedef struct VectraDetection {
        int64_t id;
        char *category;                 /* "COMMAND & CONTROL", "INFO", v3: lower case */
        char *detection_type;
        char *state;                    /* "active", ... */
        char *src_ip;
        int64_t src_host_id;            /* 0 when src_host is null */
        int64_t src_account_id;         /* 0 when src_account is null */
        /* summary.dst_ips that are public addresses, canonical, unique, API
         * order: private, loopback, link-local, documentation, reserved,
         * shared (100.64/10), multicast and unspecified addresses (IPv4 and
         * IPv6, Python's is_private and more), CIDRs and unparsable entries
         * are dropped. */
        char **dst_ips;
        size_t n_dst_ips;
        char **dst_domains;             /* summary.target_domains, unique, API order */
        size_t n_dst_domains;
        int c_score;
        int t_score;
        bool targets_key_asset;
        int64_t triage_rule_id;         /* 0 when null */
        bool is_triaged;
        char **tags;
        size_t n_tags;
} VectraDetection;

typedef struct VectraGroup {
        int64_t id;
        char *name;
        char *type;                     /* "host", "account", ... */
        int64_t *member_ids;            /* members[].id (host groups) */
        size_t n_member_ids;
        char **member_uids;             /* members[].uid (account groups) */
        size_t n_member_uids;
} VectraGroup;

/* v3 /entities item (urgency walk). */
typedef struct VectraEntity {
        int64_t id;
        char *type;                     /* "host" or "account" */
        char *name;
        double urgency_score;           /* 0 when absent */
} VectraEntity;

/* An OAuth token endpoint answer (vectra.md §3.2).  The access token and the
 * refresh token are secrets: vectra_token_done() wipes them. */
typedef struct VectraToken {
        char *access_token;
        int64_t expires_in;             /* seconds; -1 when absent */
        char *refresh_token;            /* NULL when absent (v2.5) */
        int64_t refresh_expires_in;     /* seconds; -1 when absent */
} VectraToken;

/* Parsers: j is any cJSON value (NULL included).  On success *ret owns a
 * new object; on failure *ret is untouched, *ret_error (if not NULL) owns
 * the error text and the result is -EINVAL. */
int vectra_host_from_json(const cJSON *j, VectraHost **ret, char **ret_error);
int vectra_account_from_json(const cJSON *j, VectraAccount **ret, char **ret_error);
int vectra_detection_from_json(const cJSON *j, VectraDetection **ret, char **ret_error);
int vectra_group_from_json(const cJSON *j, VectraGroup **ret, char **ret_error);
int vectra_entity_from_json(const cJSON *j, VectraEntity **ret, char **ret_error);
int vectra_token_from_json(const cJSON *j, VectraToken *ret, char **ret_error);

/* The same from text (len bytes, need not be NUL-terminated): invalid JSON
 * gives -EINVAL and "invalid JSON near byte N". */
int vectra_host_parse(const char *text, size_t len, VectraHost **ret, char **ret_error);
int vectra_account_parse(const char *text, size_t len, VectraAccount **ret, char **ret_error);
int vectra_detection_parse(const char *text, size_t len, VectraDetection **ret, char **ret_error);
int vectra_group_parse(const char *text, size_t len, VectraGroup **ret, char **ret_error);

/* Parses text into a cJSON tree (*ret, free with cJSON_Delete). */
int vectra_json_parse(const char *text, size_t len, cJSON **ret, char **ret_error);

/* One page of a list: {"count":N,"next":URL|null,"previous":…,"results":[…]}.
 * *ret_results points into j; *ret_next is NULL when there is no next page
 * (null, absent or ""), else points into j. */
int vectra_page_from_json(const cJSON *j, const cJSON **ret_results, const char **ret_next,
                          char **ret_error);

/* The answer to GET /hosts/{id}?fields=detection_set: the detection ids. */
int vectra_detection_set_from_json(const cJSON *j, int64_t **ret_ids, size_t *ret_n, char **ret_error);

/* The answer to GET /tagging/host/{id}: {"tags":[…]} (a bare list is
 * accepted too).  *ret is NULL-terminated. */
int vectra_tags_from_json(const cJSON *j, char ***ret, size_t *ret_n, char **ret_error);

/* The id at the end of a detection URL ("https://b/api/v2.5/detections/13893",
 * a trailing '/' allowed).  -EINVAL when there is none. */
int vectra_id_from_url(const char *url, int64_t *ret);

/* Whether an address (text) is one a destination block may target: a
 * single public IPv4 or IPv6 address (see VectraDetection.dst_ips). */
bool vectra_ip_is_public(const char *ip);

/* Case-insensitive: v3 reports categories in lower case. */
bool vectra_detection_is_info(const VectraDetection *d);

/* Whether tags (n of them) contain tag exactly (the API matches substrings). */
bool vectra_tags_contain(char *const *tags, size_t n, const char *tag);

/* Puts a field path in front of a parser error: "threat: …" becomes
 * "results[3].threat: …", "expected an object…" becomes "results[3]: expected
 * an object…".  Nothing happens when *err is NULL. */
void vectra_error_prefix(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* VAR's error text for a failed call (vectra.md §3.5): "HTTP <status>: "
 * followed by `detail`, else `errors[0].title`, else `_meta.message`, else
 * the raw body, made printable and cut at 200 bytes ("HTTP <status>" alone
 * for an empty body).  Returns owned memory. */
char *vectra_error_text(long status, const char *body, size_t len);

VectraHost *vectra_host_free(VectraHost *h);
VectraAccount *vectra_account_free(VectraAccount *a);
VectraDetection *vectra_detection_free(VectraDetection *d);
VectraGroup *vectra_group_free(VectraGroup *g);
VectraEntity *vectra_entity_free(VectraEntity *e);
void vectra_token_done(VectraToken *t);

/* Arrays of objects as the API delivers them: free every element, then the
 * array.  Accept NULL; return NULL. */
VectraHost **vectra_hosts_free(VectraHost **v, size_t n);
VectraAccount **vectra_accounts_free(VectraAccount **v, size_t n);
VectraDetection **vectra_detections_free(VectraDetection **v, size_t n);
VectraGroup **vectra_groups_free(VectraGroup **v, size_t n);
VectraEntity **vectra_entities_free(VectraEntity **v, size_t n);
/* A NULL-terminated string list. */
char **vectra_strv_free(char **v);
