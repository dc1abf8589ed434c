/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* FortiOS REST shapes (responders.md §4.1), pure: no I/O, no logging.
 * Shared by the FortiGate responder (fortinet.c) and its unit tests.
 *
 * Address objects are named after the value they hold, as VAR names them
 * ("10.0.0.1"), so objects VAR created are found again; a network keeps
 * its CIDR text ("2.2.2.0/24").  A single IPv4 address is an iprange of
 * one address (VAR's shape); a network is an ipmask with a dotted mask
 * (VAR sent the CIDR as start-ip, which FortiOS refuses); IPv6 lives in
 * firewall/address6 with an "ip6" prefix. */

typedef struct FortiAddr {
        bool v6;                        /* firewall/address6 and addrgrp6 */
        char *name;                     /* the object name: the canonical value */
        char *body;                     /* JSON for the POST that creates it */
} FortiAddr;

/* -EINVAL when value is no IP address or network. */
int fortios_addr(const char *value, FortiAddr *ret);
void fortios_addr_done(FortiAddr *a);

/* "2.2.2.0 255.255.255.0" for an IPv4 CIDR; -EINVAL otherwise. */
int fortios_subnet(const char *cidr, char *buf, size_t len);

/* A name as one path segment: everything but [A-Za-z0-9._~:-] escaped,
 * so "2.2.2.0/24" becomes "2.2.2.0%2F24". */
char *fortios_escape(const char *s);

/* results[0].member[].name of a GET firewall/addrgrp answer, in order, as
 * a NULL-terminated vector (an empty group is a vector of no strings);
 * -EBADMSG when the answer has no such shape. */
int fortios_group_members(const cJSON *doc, char ***ret);

/* results[0].type of a GET firewall/address answer, or NULL. */
const char *fortios_addr_type(const cJSON *doc);

/* The type an existing object must have to be what we would have made. */
const char *fortios_addr_expected_type(const FortiAddr *a);

/* Is this error answer FortiOS saying the entry exists already (-5)? */
bool fortios_is_duplicate(const cJSON *doc);

/* Is this error answer FortiOS refusing to delete an entry still in use
 * (-23, or HTTP 424 "failed dependency")? */
bool fortios_is_in_use(long status, const cJSON *doc);

/* The new member list: cur minus remove, plus add (in that order, no
 * duplicates).  When the result would be empty and placeholder is set,
 * it holds the placeholder alone; the placeholder goes away again once a
 * real member is added.  *changed says whether it differs from cur. */
char **fortios_members_apply(char *const *cur, char *const *add, char *const *remove, const char *placeholder,
                             bool *changed);

/* {"member":[{"name":"a"},...]} */
char *fortios_group_body(char *const *members);
