/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Extreme Networks XIQ-SE / XMC Northbound Interface, GraphQL
 * (responders.md §5.5): what the xtreme_networks_nbi responder sends and
 * reads, apart from its I/O.  Pure. */

/* The lifetime (exp - iat, seconds) of a JWT access token, read from its
 * payload without verifying it; 0 when it says none or cannot be read. */
uint64_t nbi_jwt_lifetime(const char *token);

/* {"query":"..."} bodies (malloc'ed).  Values are escaped for a GraphQL
 * string literal. */
char *nbi_query_mac_by_ip(const char *ip);
char *nbi_mutation_blacklist(const char *mac, bool add);

/* The MAC of endSystemByIp (upper-case colon form, malloc'ed) into *ret,
 * NULL when the answer has none; -EBADMSG for an unreadable answer,
 * -EPROTO for a GraphQL error (its message in *err, malloc'ed). */
int nbi_parse_mac(const char *body, size_t len, char **ret, char **err);

/* The outcome of addMACToBlacklist / removeMACFromBlacklist: 0 for
 * errorCode 0 (or a message saying the MAC already is, or is not, on the
 * list), -EPROTO with *err otherwise, -EBADMSG when unreadable. */
int nbi_parse_blacklist(const char *body, size_t len, bool add, char **err);
