/* SPDX-License-Identifier: MIT */
#pragma once
#include "relays/relay.h"

/* The Microsoft Graph Security relay (relays.md §7; docs/MSGRAPH-ALERTS-V2.md)
 * on the HTTP client:
 *
 *   token      POST <login_url>/<tenant_id>/oauth2/v2.0/token, client
 *              credentials from the JWT (application_id, client_secret);
 *              one token per (tenant, application, secret), kept until
 *              shortly before it expires and shared by every request of
 *              the relay; concurrent requests wait for one fetch
 *   /health    api "advanced_hunting": POST <url>security/runHuntingQuery
 *              with a query returning no row; api "legacy":
 *              GET <url>security/alerts?$top=0 (a 404 is ok, as upstream)
 *   /observe   per supported observable, all at once (at most
 *              max_connections calls in flight per relay, the rest queued):
 *              advanced_hunting: POST security/runHuntingQuery with the KQL
 *              of msgraph_map.h; legacy: GET security/alerts?$filter=..&$top=..
 *
 * A Graph call answered 401 gets a new token and is retried once (as
 * upstream).  No other retry.  Errors map with msgraph_error_from_response();
 * the first failed observable in input order gives the one fatal error, the
 * sightings of the observables before it are kept next to it. */

extern const RelayOps msgraph_relay_ops;

#define MSGRAPH_RELAY_VERSION "2.0.3"
#define MSGRAPH_USER_AGENT "Cisco-SecureXThreatResponseMicrosoftGraphSecurity/1.0.0"
/* A token is dropped this long before Microsoft's expiry (or a tenth of its
 * lifetime, when that is shorter). */
#define MSGRAPH_TOKEN_MARGIN_MS 60000
