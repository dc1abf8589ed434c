/* SPDX-License-Identifier: MIT */
#pragma once
#include "relays/relay.h"

/* The SpyCloud Employee ATO relay (relays.md §8) on the HTTP client:
 *
 *   /health    GET <url>watchlist/example.org; a 2xx or 400 answer is ok
 *   /observe   per e-mail, all in parallel: GET <url>breach/data/emails/<e-mail>,
 *              then GET <url>breach/catalog/<id> once per distinct catalog
 *              of the request; the answers go through spycloud_map.h
 *
 * Every call sends Accept, the originals' User-Agent and X-API-Key (the
 * "key" claim of the JWT).  No retry (as upstream).  The originals' 0.25 s
 * pacing is a per-key rate limit instead (rate_limit calls per second,
 * rate_burst at once; a call over the limit waits its turn). */

extern const RelayOps spycloud_relay_ops;

#define SPYCLOUD_RELAY_VERSION "2.0.5"
#define SPYCLOUD_USER_AGENT "SecureX Threat Response Integrations <tr-integrations-support@cisco.com>"
#define SPYCLOUD_HEALTH_PATH "watchlist/example.org"
