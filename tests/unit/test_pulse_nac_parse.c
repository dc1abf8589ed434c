/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "responders/pulse_nac_parse.h"
#include "tests/unit/unit.h"

static void test_bodies(void)
{
        char *b = pulse_event_body("quarantine-endpoint", "srcip", "10.0.0.1");
        CU_ASSERT_STRING_EQUAL(b, "{\"event-name\":\"quarantine-endpoint\",\"srcip\":\"10.0.0.1\"}");
        free(b);
        b = pulse_event_body("clear-quarantined-endpoint", "macaddr", "00:50:56:AA:00:01");
        CU_ASSERT_STRING_EQUAL(b, "{\"event-name\":\"clear-quarantined-endpoint\",\"macaddr\":\"00:50:56:AA:00:01\"}");
        free(b);
}

static void test_sessions(void)
{
        const char *s = "{\"data\":[{\"macaddr\":\"00-50-56-aa-00-2a\"},{\"macaddr\":\"0050.56aa.002b\"},"
                        "{\"macaddr\":\"junk\"},{\"srcip\":\"x\"}]}";
        char **m = NULL;

        CU_ASSERT_EQUAL(pulse_session_macs(s, strlen(s), &m), 4);
        CU_ASSERT_EQUAL(strv_length(m), 2);
        CU_ASSERT_STRING_EQUAL(m[0], "00:50:56:AA:00:2A");
        CU_ASSERT_STRING_EQUAL(m[1], "00:50:56:AA:00:2B");
        strv_free(m);
        m = NULL;
        CU_ASSERT_EQUAL(pulse_session_macs("{\"data\":[]}", 11, &m), 0);
        CU_ASSERT_EQUAL(pulse_session_macs("{\"message\":\"x\"}", 15, &m), -EBADMSG);
}

static void test_key(void)
{
        char *k = pulse_api_key("{\"api_key\":\"abc\"}", 17);
        CU_ASSERT_STRING_EQUAL(k, "abc");
        free(k);
        CU_ASSERT_PTR_NULL(pulse_api_key("{\"api_key\":\"\"}", 14));
        CU_ASSERT_PTR_NULL(pulse_api_key("nope", 4));
}

void pulse_nac_parse_suite_add(void)
{
        UNIT_SUITE("pulse_nac_parse", UNIT_TEST(test_bodies), UNIT_TEST(test_sessions), UNIT_TEST(test_key));
}
