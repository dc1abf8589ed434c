/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>

/* Whitelist kinds and value normalisation.  Pure: no I/O, no logging. */
typedef enum WlKind {
        WL_USER,
        WL_HOST,
        WL_ACCOUNT,
        WL_DESTINATION,
        _WL_KIND_MAX,
        _WL_KIND_INVALID = -22,
} WlKind;

#define WL_VALUE_MAX 512

WlKind wl_kind_from_string(const char *s);
const char *wl_kind_to_string(WlKind k);

/* Checks and canonicalises a value of the given kind: IPs and networks in
 * canonical form, host and domain names lower-cased, names trimmed.  On
 * failure returns -EINVAL and a static reason in *ret_why. */
int wl_normalize(WlKind kind, const char *value, char **ret, const char **ret_why);

/* Does the whitelist entry (normalised) cover the candidate (normalised)?
 * Networks cover their addresses, domains cover their subdomains. */
bool wl_covers(WlKind kind, const char *entry, const char *candidate);
