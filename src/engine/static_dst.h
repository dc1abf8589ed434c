/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* The static destination list (vectra.md §2.9, STATIC_BLOCK_DESTINATION_IPS):
 * a text file with one IP address or CIDR network per line.  Pure: no file
 * I/O, no logging; the caller reads the file and logs the errors once.
 *
 * Parsing rules:
 *   - lines end with "\n" ("\r\n" works too: whitespace is trimmed at both
 *     ends of every line);
 *   - blank lines are skipped; '#' starts a comment, on a line of its own
 *     or after an entry ("10.0.0.0/8  # lab");
 *   - each entry is canonicalised with addr_parse()/addr_format():
 *     "10.0.0.1/32" is "10.0.0.1", IPv6 in RFC 5952 form, IPv4-mapped
 *     IPv6 becomes IPv4;
 *   - a network with host bits set ("2.2.2.1/24") is an error, not
 *     silently masked (-EDOM), and so is anything else addr_parse()
 *     refuses (-EINVAL) or a line holding more than one word (-EINVAL);
 *     every invalid line is reported with its number and a reason, and the
 *     valid lines are still returned;
 *   - duplicates (after canonicalisation) are collapsed, keeping the first;
 *     overlapping networks are kept as they are, each being a separate
 *     object on the enforcement side.
 * Entries come back in file order. */

#define STATIC_DST_MAX_LINE 256         /* longer lines are errors (-E2BIG) */

typedef struct StaticDstError {
        unsigned line;                  /* 1-based */
        int r;                          /* -EINVAL, -EDOM or -E2BIG */
        char *text;                     /* the trimmed entry, cut at 64 bytes, control characters as '?' */
        char *message;                  /* "'2.2.2.1/24': host bits set below /24 (the network is 2.2.2.0/24)" */
} StaticDstError;

typedef struct StaticDstList {
        char **entries;                 /* canonical, unique, file order */
        size_t n_entries;
        StaticDstError *errors;         /* in line order */
        size_t n_errors;
} StaticDstList;

/* Parses text (len bytes; NUL bytes are errors on their line).  Returns 0
 * and a list in *ret even when lines are invalid: check n_errors.  Only
 * -EINVAL for NULL arguments. */
int static_dst_parse(const char *text, size_t len, StaticDstList **ret);
StaticDstList *static_dst_list_free(StaticDstList *l);

typedef struct StaticDstDiff {
        char **add;                     /* desired and not applied, in desired order */
        size_t n_add;
        char **remove;                  /* applied and not desired, in applied order, as given */
        size_t n_remove;
} StaticDstDiff;

/* Compares a desired set (normally the entries of static_dst_parse())
 * with the applied set (what the responders accepted, as stored).  Both
 * sides are compared by canonical form, so an applied "10.0.0.1/32" is the
 * desired "10.0.0.1"; an applied entry that does not parse is always
 * removed (it cannot be desired), under the text it was stored as.
 * Desired duplicates count once; applied entries are removed under each
 * stored spelling ("10.0.0.1" and "10.0.0.1/32" both go), each identical
 * string once.  Returns 0, or -EINVAL for NULL
 * arrays with a non-zero count; *ret is then untouched. */
int static_dst_diff(const char *const *desired, size_t n_desired,
                    const char *const *applied, size_t n_applied, StaticDstDiff *ret);
void static_dst_diff_done(StaticDstDiff *d);
