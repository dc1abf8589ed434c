/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "responders/cisco_amp_parse.h"
#include "tests/unit/unit.h"

#define PC(body, host, guid, n) amp_pick_computer((body), strlen(body), (host), (guid), (n))

static void test_pick(void)
{
        const char *one = "{\"version\":\"v1.2.0\",\"metadata\":{\"results\":{\"total\":1}},"
                          "\"data\":[{\"connector_guid\":\"g-1\",\"hostname\":\"ws-1.corp.example\"}]}";
        const char *two = "{\"data\":[{\"connector_guid\":\"g-1\",\"hostname\":\"WS-1\"},"
                          "{\"connector_guid\":\"g-10\",\"hostname\":\"ws-10\"}]}";
        char *g = NULL;
        size_t n = 99;

        CU_ASSERT_EQUAL(PC(one, NULL, &g, &n), 0);
        CU_ASSERT_STRING_EQUAL(g, "g-1");
        CU_ASSERT_EQUAL(n, 1);
        free(g);
        g = NULL;
        CU_ASSERT_EQUAL(PC(two, NULL, &g, &n), -ENOTUNIQ);
        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_PTR_NULL(g);
        /* the API's hostname filter also returns ws-10: only ws-1 counts */
        CU_ASSERT_EQUAL(PC(two, "ws-1", &g, &n), 0);
        CU_ASSERT_STRING_EQUAL(g, "g-1");
        free(g);
        /* a short name matches its FQDN, an FQDN only itself */
        CU_ASSERT_EQUAL(PC(one, "ws-1", &g, &n), 0);
        free(g);
        CU_ASSERT_EQUAL(PC(one, "ws-1.other.example", &g, &n), -ENOENT);
        CU_ASSERT_EQUAL(PC("{\"data\":[]}", NULL, &g, &n), -ENOENT);
        CU_ASSERT_EQUAL(n, 0);
        CU_ASSERT_EQUAL(PC("{\"errors\":[{\"error_code\":401}]}", NULL, &g, &n), -EBADMSG);
        CU_ASSERT_EQUAL(PC("not json", NULL, &g, &n), -EBADMSG);
        CU_ASSERT_EQUAL(PC("{\"data\":[{\"hostname\":\"x\"},{\"connector_guid\":\"\"}]}", NULL, &g, &n), -ENOENT);
}

static void test_state(void)
{
        AmpIsolation s;
        const char *b;

        b = "{\"data\":{\"available\":true,\"status\":\"pending_start\",\"unlock_code\":\"x\"}}";
        CU_ASSERT_EQUAL(amp_isolation_state(b, strlen(b), &s), 0);
        CU_ASSERT_EQUAL(s, AMP_PENDING_START);
        b = "{\"data\":{\"available\":false,\"status\":\"not_isolated\"}}";
        CU_ASSERT_EQUAL(amp_isolation_state(b, strlen(b), &s), 0);
        CU_ASSERT_EQUAL(s, AMP_UNAVAILABLE);
        b = "{\"data\":{\"available\":true,\"status\":\"isolated\"}}";
        CU_ASSERT_EQUAL(amp_isolation_state(b, strlen(b), &s), 0);
        CU_ASSERT_EQUAL(s, AMP_ISOLATED);
        b = "{\"data\":{\"available\":true,\"status\":\"sideways\"}}";
        CU_ASSERT_EQUAL(amp_isolation_state(b, strlen(b), &s), 0);
        CU_ASSERT_EQUAL(s, AMP_ISOLATION_UNKNOWN);
        b = "{\"data\":{}}";
        CU_ASSERT_EQUAL(amp_isolation_state(b, strlen(b), &s), -EBADMSG);
        CU_ASSERT_EQUAL(amp_isolation_state("", 0, &s), -EBADMSG);
}

static void test_body(void)
{
        char *b;

        CU_ASSERT_PTR_NULL(amp_isolation_body("", NULL));
        b = amp_isolation_body("1234", "by secresp");
        CU_ASSERT_STRING_EQUAL(b, "{\"unlock_code\":\"1234\",\"comment\":\"by secresp\"}");
        free(b);
        b = amp_isolation_body(NULL, "c");
        CU_ASSERT_STRING_EQUAL(b, "{\"comment\":\"c\"}");
        free(b);
}

void cisco_amp_parse_suite_add(void)
{
        UNIT_SUITE("cisco_amp_parse", UNIT_TEST(test_pick), UNIT_TEST(test_state), UNIT_TEST(test_body));
}
