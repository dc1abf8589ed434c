/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"
#include "relays/relay_metrics.h"

/* 0.5 ms to 10 s: the relay answers in well under a millisecond from its
 * caches and in tens to thousands of milliseconds when a vendor is asked. */
const double relay_latency_bounds[RM_LATENCY_BUCKETS] = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static const char *const route_names[_RM_ROUTE_MAX] = {
        [RM_ROUTE_VERSION] = "version",
        [RM_ROUTE_WATCHDOG] = "watchdog",
        [RM_ROUTE_HEALTH] = "health",
        [RM_ROUTE_OBSERVE] = "observe",
        [RM_ROUTE_OTHER] = "other",
};

static const char *const outcome_names[_RM_OUTCOME_MAX] = {
        [RM_OUTCOME_OK] = "ok",
        [RM_OUTCOME_TR_ERROR] = "tr_error",
        [RM_OUTCOME_HTTP_ERROR] = "http_error",
        [RM_OUTCOME_CANCELLED] = "cancelled",
};

const char *relay_metric_route_to_string(RelayMetricRoute r)
{
        return r >= 0 && r < _RM_ROUTE_MAX ? route_names[r] : NULL;
}

const char *relay_outcome_to_string(RelayOutcome o)
{
        return o >= 0 && o < _RM_OUTCOME_MAX ? outcome_names[o] : NULL;
}

void relay_metrics_note(RelayMetrics *m, RelayMetricRoute route, RelayOutcome o, uint64_t elapsed_us)
{
        RelayLatency *l;
        size_t b = 0;

        if (route < 0 || route >= _RM_ROUTE_MAX || o < 0 || o >= _RM_OUTCOME_MAX)
                return;
        m->requests[route][o]++;
        if (route != RM_ROUTE_HEALTH && route != RM_ROUTE_OBSERVE)
                return;
        l = &m->latency[route == RM_ROUTE_OBSERVE];
        while (b < RM_LATENCY_BUCKETS && (double) elapsed_us / 1e6 > relay_latency_bounds[b])
                b++;
        l->buckets[b]++;
        l->count++;
        l->sum_us += elapsed_us;
}

void relay_metrics_upstream(RelayMetrics *m, bool failed)
{
        m->upstream_calls++;
        if (failed)
                m->upstream_errors++;
}

uint64_t relay_metrics_requests(const RelayMetrics *m)
{
        uint64_t n = 0;

        for (int r = 0; r < _RM_ROUTE_MAX; r++)
                for (int o = 0; o < _RM_OUTCOME_MAX; o++)
                        n += m->requests[r][o];
        return n;
}

uint64_t relay_metrics_errors(const RelayMetrics *m)
{
        uint64_t n = 0;

        for (int r = 0; r < _RM_ROUTE_MAX; r++)
                n += m->requests[r][RM_OUTCOME_TR_ERROR];
        return n;
}

/* Label values: backslash, double quote and newline escaped (the format's rules). */
static void put_label(FILE *f, const char *s)
{
        for (; s && *s; s++) {
                if (*s == '\\' || *s == '"')
                        fputc('\\', f);
                if (*s == '\n') {
                        fputs("\\n", f);
                        continue;
                }
                fputc(*s, f);
        }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void relay_labels(FILE *f, const RelayMetricsView *v)
{
        fputs("relay=\"", f);
        put_label(f, v->name);
        fputs("\",type=\"", f);
        put_label(f, v->type);
        fputc('"', f);
}

static void counter(FILE *f, const char *name, const RelayMetricsView *v, const char *extra, uint64_t value)
{
        fprintf(f, "%s{", name);
        relay_labels(f, v);
        if (extra)
                fprintf(f, ",%s", extra);
        fprintf(f, "} %llu\n", (unsigned long long) value);
}

char *relay_metrics_render(const RelayMetricsView *v, size_t n, const RelayServerView *server)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                abort();

        head(f, "secresp_relay_requests_total", "counter", "Relay requests answered, by route and outcome.");
        for (size_t i = 0; i < n; i++)
                for (int r = 0; r < _RM_ROUTE_MAX; r++)
                        for (int o = 0; o < _RM_OUTCOME_MAX; o++) {
                                char extra[64];
                                snprintf(extra, sizeof(extra), "route=\"%s\",outcome=\"%s\"", route_names[r],
                                         outcome_names[o]);
                                counter(f, "secresp_relay_requests_total", &v[i], extra, v[i].m->requests[r][o]);
                        }

        head(f, "secresp_relay_request_duration_seconds", "histogram",
             "Time from a request's arrival to its answer (health and observe).");
        for (size_t i = 0; i < n; i++)
                for (int k = 0; k < 2; k++) {
                        const RelayLatency *l = &v[i].m->latency[k];
                        const char *route = k ? "observe" : "health";
                        uint64_t cum = 0;
                        for (int b = 0; b <= RM_LATENCY_BUCKETS; b++) {
                                char extra[64];
                                cum += l->buckets[b];
                                if (b < RM_LATENCY_BUCKETS)
                                        snprintf(extra, sizeof(extra), "route=\"%s\",le=\"%g\"", route,
                                                 relay_latency_bounds[b]);
                                else
                                        snprintf(extra, sizeof(extra), "route=\"%s\",le=\"+Inf\"", route);
                                counter(f, "secresp_relay_request_duration_seconds_bucket", &v[i], extra, cum);
                        }
                        fprintf(f, "secresp_relay_request_duration_seconds_sum{");
                        relay_labels(f, &v[i]);
                        fprintf(f, ",route=\"%s\"} %.6f\n", route, (double) l->sum_us / 1e6);
                        {
                                char extra[32];
                                snprintf(extra, sizeof(extra), "route=\"%s\"", route);
                                counter(f, "secresp_relay_request_duration_seconds_count", &v[i], extra, l->count);
                        }
                }

        head(f, "secresp_relay_upstream_requests_total", "counter", "Calls to the relay's vendor API and token endpoint.");
        for (size_t i = 0; i < n; i++)
                counter(f, "secresp_relay_upstream_requests_total", &v[i], NULL, v[i].m->upstream_calls);
        head(f, "secresp_relay_upstream_errors_total", "counter",
             "Of those, calls that failed (network, timeout, non-2xx, malformed answer).");
        for (size_t i = 0; i < n; i++)
                counter(f, "secresp_relay_upstream_errors_total", &v[i], NULL, v[i].m->upstream_errors);
        head(f, "secresp_relay_jwks_fetches_total", "counter", "JWKS documents fetched, by result.");
        for (size_t i = 0; i < n; i++) {
                counter(f, "secresp_relay_jwks_fetches_total", &v[i], "result=\"ok\"",
                        v[i].jwks_fetches - (v[i].jwks_fetch_failures <= v[i].jwks_fetches ?
                                             v[i].jwks_fetch_failures : v[i].jwks_fetches));
                counter(f, "secresp_relay_jwks_fetches_total", &v[i], "result=\"failed\"", v[i].jwks_fetch_failures);
        }
        head(f, "secresp_relay_jwks_cache_hits_total", "counter", "JWT keys found in the JWKS cache.");
        for (size_t i = 0; i < n; i++)
                counter(f, "secresp_relay_jwks_cache_hits_total", &v[i], NULL, v[i].jwks_hits);
        head(f, "secresp_relay_jwt_signatures_total", "counter",
             "RS256 token signatures: verified with RSA, or found already verified.");
        for (size_t i = 0; i < n; i++) {
                counter(f, "secresp_relay_jwt_signatures_total", &v[i], "result=\"verified\"", v[i].sig_verifications);
                counter(f, "secresp_relay_jwt_signatures_total", &v[i], "result=\"remembered\"", v[i].sig_cache_hits);
        }
        head(f, "secresp_relay_cache_hits_total", "counter", "Lookups answered from the response cache.");
        for (size_t i = 0; i < n; i++)
                counter(f, "secresp_relay_cache_hits_total", &v[i], NULL, v[i].m->cache_hits);
        head(f, "secresp_relay_cache_misses_total", "counter", "Lookups the response cache could not answer.");
        for (size_t i = 0; i < n; i++)
                counter(f, "secresp_relay_cache_misses_total", &v[i], NULL, v[i].m->cache_misses);

        if (server) {
                head(f, "secresp_httpd_connections_total", "counter", "Connections accepted by the relay server.");
                fprintf(f, "secresp_httpd_connections_total %llu\n", (unsigned long long) server->connections);
                head(f, "secresp_httpd_active_connections", "gauge", "Connections open now.");
                fprintf(f, "secresp_httpd_active_connections %u\n", server->active_connections);
                head(f, "secresp_httpd_active_requests", "gauge", "Requests received and not yet answered.");
                fprintf(f, "secresp_httpd_active_requests %u\n", server->active_requests);
                head(f, "secresp_httpd_requests_total", "counter", "Answers sent by the relay server.");
                fprintf(f, "secresp_httpd_requests_total %llu\n", (unsigned long long) server->requests);
                head(f, "secresp_httpd_received_bytes_total", "counter", "Request body bytes received.");
                fprintf(f, "secresp_httpd_received_bytes_total %llu\n", (unsigned long long) server->bytes_in);
                head(f, "secresp_httpd_sent_bytes_total", "counter", "Response body bytes sent.");
                fprintf(f, "secresp_httpd_sent_bytes_total %llu\n", (unsigned long long) server->bytes_out);
        }
        if (fclose(f) != 0)
                abort();
        return buf;
}
