/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Cisco ISE (responders.md §5.1): what the cisco_ise responder reads and
 * writes, apart from its I/O.  Pure. */

/* The MACs (calling_station_id, upper-case colon form) of the MnT
 * ActiveList sessions whose framed_ip_address or ipAddresses equals ip
 * exactly (upstream's substring test matched 10.0.0.15 for 10.0.0.1).
 * Zero, one or many activeSession elements.  Appends to *macs; returns
 * the number of sessions in the list, or -EBADMSG when xml is not an
 * activeList. */
int ise_active_list_macs(const char *xml, size_t len, const char *ip, char ***macs);

/* {"OperationAdditionalData":{"additionalData":[{"name":"macAddress","value":MAC},
 *  {"name":"policyName","value":POLICY}]}} (malloc'ed) */
char *ise_anc_body(const char *mac, const char *policy);

/* The ERS base URL from the appliance URL: the same scheme and host on
 * port 9060, no path (malloc'ed), or NULL when url is not http(s). */
char *ise_ers_url(const char *url);

typedef enum IseOutcome {
        ISE_APPLIED,                    /* 2xx */
        ISE_RADIUS_FAILURE,             /* the policy holds, the CoA failed: success */
        ISE_ALREADY,                    /* apply: the endpoint already holds it */
        ISE_NOT_FOUND,                  /* clear: no such endpoint or no policy on it */
        ISE_ERROR,
} IseOutcome;

/* Reads an ERS answer to ancendpoint apply (clear = false) or clear.
 * *title gets the first message title, if any (malloc'ed). */
IseOutcome ise_ers_outcome(long status, const char *body, size_t len, bool clear, char **title);
