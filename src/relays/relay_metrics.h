/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The relays' counters and their Prometheus text exposition (format
 * 0.0.4), served at GET /metrics on the relay listeners and summed in
 * `secrespctl status`.  Pure: counting and printing, no I/O, no clock. */

typedef enum RelayMetricRoute {
        RM_ROUTE_VERSION,
        RM_ROUTE_WATCHDOG,
        RM_ROUTE_HEALTH,
        RM_ROUTE_OBSERVE,
        RM_ROUTE_OTHER,                 /* 404, 405 */
        _RM_ROUTE_MAX,
} RelayMetricRoute;

typedef enum RelayOutcome {
        RM_OUTCOME_OK,                  /* HTTP 200 without a fatal TR error */
        RM_OUTCOME_TR_ERROR,            /* HTTP 200 carrying a fatal TR error */
        RM_OUTCOME_HTTP_ERROR,          /* 4xx/5xx: unknown route, method, body too big, ... */
        RM_OUTCOME_CANCELLED,           /* the client left before the answer */
        _RM_OUTCOME_MAX,
} RelayOutcome;

/* Upper bounds in seconds of the latency histogram buckets (+Inf last). */
#define RM_LATENCY_BUCKETS 14
extern const double relay_latency_bounds[RM_LATENCY_BUCKETS];

typedef struct RelayLatency {
        uint64_t buckets[RM_LATENCY_BUCKETS + 1];       /* not cumulative; the last is +Inf */
        uint64_t count;
        uint64_t sum_us;
} RelayLatency;

typedef struct RelayMetrics {
        uint64_t requests[_RM_ROUTE_MAX][_RM_OUTCOME_MAX];
        RelayLatency latency[2];        /* [0] health, [1] observe */
        uint64_t upstream_calls, upstream_errors;
        uint64_t cache_hits, cache_misses;
} RelayMetrics;

const char *relay_metric_route_to_string(RelayMetricRoute r);
const char *relay_outcome_to_string(RelayOutcome o);

/* One answered request; elapsed_us counts for health and observe. */
void relay_metrics_note(RelayMetrics *m, RelayMetricRoute route, RelayOutcome o, uint64_t elapsed_us);
/* One upstream call (vendor API, token endpoint) and whether it failed. */
void relay_metrics_upstream(RelayMetrics *m, bool failed);

uint64_t relay_metrics_requests(const RelayMetrics *m);
uint64_t relay_metrics_errors(const RelayMetrics *m);

/* What one relay shows. */
typedef struct RelayMetricsView {
        const char *name;
        const char *type;
        const RelayMetrics *m;
        uint64_t jwks_fetches, jwks_fetch_failures, jwks_hits;
        uint64_t sig_cache_hits, sig_verifications;     /* RS256 signatures: remembered, checked */
} RelayMetricsView;

/* The server's side (httpd_stats()). */
typedef struct RelayServerView {
        uint64_t connections;
        unsigned active_connections;
        unsigned active_requests;
        uint64_t requests;
        uint64_t bytes_in, bytes_out;
} RelayServerView;

/* The whole exposition, malloc'ed, NUL-terminated. */
char *relay_metrics_render(const RelayMetricsView *v, size_t n, const RelayServerView *server);
