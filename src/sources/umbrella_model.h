/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Pure parsers of Umbrella's answers (umbrella.md §3) and small URL
 * helpers.  No I/O, no logging: each parser returns 0, or -EPROTO with a
 * static reason naming the field at fault in *ret_why. */

/* {"token_type":"bearer","access_token":T,"expires_in":N}: the token and
 * its lifetime in seconds (3600 when absent).  No access_token is the
 * original's exit 101. */
int umb_parse_token(const char *body, char **ret_token, int64_t *ret_expires_in, const char **ret_why);

typedef struct UmbIdentity {
        int64_t id;
        char *label;
        char *type;                     /* "anyconnect", "roaming", ...; "" when absent */
} UmbIdentity;

/* One page of top-identities: {"data":[{"identity":{"id","label","type":{"type"}}}, ...]}.
 * The identities are appended to *v (n updated); *ret_rows is the page's
 * row count (for paging).  Rows without an identity are skipped. */
int umb_parse_identities(const char *body, UmbIdentity **v, size_t *n, size_t *ret_rows, const char **ret_why);
void umb_identities_free(UmbIdentity *v, size_t n);

/* What one user's DNS activity gives: every domain (duplicates until
 * umb_activity_finish()) and the categories of the filter that were hit. */
typedef struct UmbActivity {
        char **domains;
        size_t n_domains;
        int64_t *categories;
        size_t n_categories;
} UmbActivity;

/* One page of activity/dns: {"data":[{"domain":D,"categories":[{"id":N}]}, ...]}.
 * Only category ids in filter (n_filter; all when n_filter is 0) count
 * as hit.  *ret_rows is the page's row count. */
int umb_parse_activity(const char *body, const int64_t *filter, size_t n_filter, UmbActivity *acc,
                       size_t *ret_rows, const char **ret_why);
/* Sorts and removes duplicates (domains compared case-insensitively,
 * kept in lower case). */
void umb_activity_finish(UmbActivity *acc);
void umb_activity_done(UmbActivity *acc);

/* {"risk_score": 0..100, ...} */
int umb_parse_risk(const char *body, int *ret_score, const char **ret_why);

typedef struct UmbCategory {
        int64_t id;
        char *label;
        char *type;                     /* "security", "content", ... */
} UmbCategory;

int umb_parse_categories(const char *body, UmbCategory **ret, size_t *ret_n, const char **ret_why);
void umb_categories_free(UmbCategory *v, size_t n);

/* Whether a redirect may take the bearer token to url: its scheme is
 * http(s) and its host is one of domains or a subdomain of one. */
bool umb_redirect_allowed(const char *url, const char *const *domains);
/* url_template with every "{organization_id}" replaced by org (owned). */
char *umb_expand_org(const char *url_template, const char *org);
/* A domain name fit for a URL path segment and the cache: 1..253 chars
 * of letters, digits, '-', '_', '.' */
bool umb_domain_valid(const char *d);
