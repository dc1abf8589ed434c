/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 network: an address and a prefix length.  A single
 * address is a network of /32 or /128.  Pure: no I/O. */
typedef struct AddrNet {
        int family;             /* AF_INET or AF_INET6 */
        uint8_t bytes[16];      /* network byte order; IPv4 uses the first 4 */
        unsigned prefix;
} AddrNet;

#define ADDR_STR_MAX 64

/* Parses "10.0.0.5", "10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.5"
 * (mapped addresses become IPv4).  -EINVAL for syntax, -EDOM when host
 * bits are set below the prefix ("10.0.0.5/8"): guessing which one the
 * operator meant is worse than asking. */
int addr_parse(const char *s, AddrNet *ret);
/* Canonical text: lower-case, RFC 5952 for IPv6, no /32 or /128. */
void addr_format(const AddrNet *a, char *buf, size_t len);
bool addr_contains(const AddrNet *net, const AddrNet *a);
bool addr_is_host(const AddrNet *a);

/* Validates a DNS name (LDH labels plus '_', 1..63 per label, 253 total,
 * optional trailing dot) and returns it lower-cased without the dot.
 * -EINVAL when it is not one. */
int hostname_normalize(const char *s, char **ret);
/* True when name equals domain or is a subdomain of it (both normalised). */
bool domain_matches(const char *domain, const char *name);
