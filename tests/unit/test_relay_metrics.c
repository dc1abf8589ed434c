/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "relays/relay_metrics.h"
#include "tests/unit/unit.h"

void relay_metrics_suite_add(void);

static void test_counts_and_buckets(void)
{
        RelayMetrics m = { 0 };

        relay_metrics_note(&m, RM_ROUTE_OBSERVE, RM_OUTCOME_OK, 300);          /* 0.3 ms: first bucket */
        relay_metrics_note(&m, RM_ROUTE_OBSERVE, RM_OUTCOME_OK, 500);          /* exactly 0.5 ms: le="0.0005" */
        relay_metrics_note(&m, RM_ROUTE_OBSERVE, RM_OUTCOME_TR_ERROR, 3000);   /* 3 ms: le="0.005" */
        relay_metrics_note(&m, RM_ROUTE_OBSERVE, RM_OUTCOME_OK, 60000000);     /* 60 s: +Inf */
        relay_metrics_note(&m, RM_ROUTE_HEALTH, RM_OUTCOME_OK, 1000);
        relay_metrics_note(&m, RM_ROUTE_VERSION, RM_OUTCOME_OK, 0);
        relay_metrics_note(&m, RM_ROUTE_WATCHDOG, RM_OUTCOME_TR_ERROR, 0);
        relay_metrics_note(&m, RM_ROUTE_OTHER, RM_OUTCOME_HTTP_ERROR, 0);
        relay_metrics_note(&m, _RM_ROUTE_MAX, RM_OUTCOME_OK, 0);                /* ignored */

        CU_ASSERT_EQUAL(relay_metrics_requests(&m), 8);
        CU_ASSERT_EQUAL(relay_metrics_errors(&m), 2);
        CU_ASSERT_EQUAL(m.latency[1].count, 4);
        CU_ASSERT_EQUAL(m.latency[1].buckets[0], 2);
        CU_ASSERT_EQUAL(m.latency[1].buckets[3], 1);
        CU_ASSERT_EQUAL(m.latency[1].buckets[RM_LATENCY_BUCKETS], 1);
        CU_ASSERT_EQUAL(m.latency[1].sum_us, 60003800);
        CU_ASSERT_EQUAL(m.latency[0].count, 1);
        /* version and watchdog take no latency */
        CU_ASSERT_EQUAL(m.latency[0].count + m.latency[1].count, 5);
}

static void test_render(void)
{
        RelayMetrics m = { 0 };
        RelayMetricsView v = { .name = "sp\"y\\", .type = "spycloud", .m = &m, .jwks_fetches = 3,
                               .jwks_fetch_failures = 1, .jwks_hits = 7 };
        RelayServerView sv = { .connections = 5, .active_connections = 1, .requests = 9 };
        char *t;

        relay_metrics_note(&m, RM_ROUTE_OBSERVE, RM_OUTCOME_OK, 2000);
        relay_metrics_note(&m, RM_ROUTE_OBSERVE, RM_OUTCOME_OK, 20000);
        relay_metrics_upstream(&m, false);
        relay_metrics_upstream(&m, true);
        t = relay_metrics_render(&v, 1, &sv);
        /* label values escaped as the format says */
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "secresp_relay_requests_total{relay=\"sp\\\"y\\\\\",type=\"spycloud\","
                                         "route=\"observe\",outcome=\"ok\"} 2\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "# TYPE secresp_relay_request_duration_seconds histogram\n"));
        /* cumulative buckets */
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "route=\"observe\",le=\"0.001\"} 0\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "route=\"observe\",le=\"0.0025\"} 1\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "route=\"observe\",le=\"0.025\"} 2\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "route=\"observe\",le=\"+Inf\"} 2\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "secresp_relay_request_duration_seconds_sum{relay=\"sp\\\"y\\\\\","
                                         "type=\"spycloud\",route=\"observe\"} 0.022000\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "secresp_relay_upstream_requests_total{relay=\"sp\\\"y\\\\\",type=\"spycloud\"} 2\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "secresp_relay_upstream_errors_total{relay=\"sp\\\"y\\\\\",type=\"spycloud\"} 1\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "result=\"ok\"} 2\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "result=\"failed\"} 1\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(t, "secresp_httpd_connections_total 5\n"));
        /* every line is a comment or "name{labels} value" / "name value" */
        for (char *l = t; *l;) {
                char *nl = strchr(l, '\n');
                CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
                CU_ASSERT_TRUE(l[0] == '#' || (l[0] >= 'a' && l[0] <= 'z'));
                l = nl + 1;
        }
        free(t);
}

void relay_metrics_suite_add(void)
{
        UNIT_SUITE("relay_metrics",
                   UNIT_TEST(test_counts_and_buckets),
                   UNIT_TEST(test_render));
}
