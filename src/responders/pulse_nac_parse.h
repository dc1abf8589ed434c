/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* Pulse Secure / Ivanti Policy Secure REST API (responders.md §5.4): what
 * the pulse_nac responder writes and reads, apart from its I/O.  Pure. */

/* {"event-name":"quarantine-endpoint","srcip":IP} or
 * {"event-name":"clear-quarantined-endpoint","macaddr":MAC} (malloc'ed) */
char *pulse_event_body(const char *event, const char *key, const char *value);

/* The MACs (upper-case colon form) of {"data":[{"macaddr":...},...]},
 * appended to *macs; returns how many entries data has, or -EBADMSG. */
int pulse_session_macs(const char *body, size_t len, char ***macs);

/* api_key of GET /api/v1/auth (malloc'ed), or NULL. */
char *pulse_api_key(const char *body, size_t len);
