/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Pure helpers of the Sophos Firewall responder (responders.md §4.5): the
 * XML API's requests and the few answer shapes it reads.  No XML library:
 * the answers are small and flat, and only named elements are looked at.
 * No I/O, no logging; char * results are malloc'ed. */

/* Escapes &, <, >, " and ' for XML text and attribute values. */
char *sophos_xml_escape(const char *s);

/* <Request><Login><Username>..</Username><Password passwordform="..">..</Password></Login>INNER</Request> */
char *sophos_request(const char *user, const char *password, bool encrypted, const char *inner);
/* The body of a POST to /webconsole/APIController: "reqxml=" and the
 * request percent-encoded (form encoding). */
char *sophos_form(const char *xml);

/* <Get><IPHost><Filter><key name="Name" criteria="=">NAME</key></Filter></IPHost></Get> */
char *sophos_get_iphost(const char *name);
/* <Set operation="update"><IPHost>...<HostType>IPList</HostType><ListOfIPAddresses>CSV</ListOfIPAddresses></IPHost></Set> */
char *sophos_set_iplist(const char *name, const char *const *ips);

/* The text of the first <status> inside <Login> (decoded), or NULL. */
char *sophos_login_status(const char *xml);
/* Is that status "Authentication Successful"? */
bool sophos_login_ok(const char *xml);

/* The addresses of the first <IPHost> named `name`: 0 and a
 * NULL-terminated vector (empty list: a vector with no entry); -ENOENT
 * when no such IPHost; -EMEDIUMTYPE when its HostType is not IPList;
 * -EPROTO when there is no Response at all. */
int sophos_parse_iplist(const char *xml, const char *name, char ***ret_ips);

/* The first <Status code="N">text</Status>: N (0 when absent), and the
 * decoded text in *ret_text (may be NULL). */
int sophos_status(const char *xml, char **ret_text);
