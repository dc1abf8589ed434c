/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "responders/clearpass_parse.h"
#include "tests/unit/unit.h"

static void test_filter(void)
{
        char *f = cppm_session_filter("10.0.0.1", false);
        CU_ASSERT_STRING_EQUAL(f, "{\"framedipaddress\":\"10.0.0.1\",\"acctstoptime\":{\"$exists\":false}}");
        free(f);
        f = cppm_session_filter("aa:bb:cc:dd:ee:ff", true);
        CU_ASSERT_STRING_EQUAL(f, "{\"mac_address\":\"aa:bb:cc:dd:ee:ff\",\"acctstoptime\":{\"$exists\":false}}");
        free(f);
        f = cppm_session_filter("a\"b", true);
        CU_ASSERT_STRING_EQUAL(f, "{\"mac_address\":\"a\\\"b\",\"acctstoptime\":{\"$exists\":false}}");
        free(f);
}

static void test_sessions(void)
{
        const char *b = "{\"_embedded\":{\"items\":[{\"id\":\"s0\",\"mac_address\":\"bb-bb-bb-bb-bb-01\","
                        "\"acctstoptime\":\"2026-11-01\"},{\"id\":\"s1\",\"mac_address\":\"aa-aa-aa-aa-aa-01\","
                        "\"acctstoptime\":null},{\"id\":7,\"mac_address\":\"junk\"}]},\"count\":3}";
        char **macs = NULL, *id = NULL;

        CU_ASSERT_EQUAL(cppm_sessions(b, strlen(b), &macs, &id), 3);
        CU_ASSERT_EQUAL(strv_length(macs), 2);
        CU_ASSERT_STRING_EQUAL(macs[0], "BB:BB:BB:BB:BB:01");
        CU_ASSERT_STRING_EQUAL(id, "s1");
        strv_free(macs);
        free(id);
        id = NULL;
        b = "{\"_embedded\":{\"items\":[{\"id\":42,\"mac_address\":\"aabbccddeeff\"}]}}";
        CU_ASSERT_EQUAL(cppm_sessions(b, strlen(b), NULL, &id), 1);
        CU_ASSERT_STRING_EQUAL(id, "42");
        free(id);
        b = "{\"_links\":{},\"count\":0}";
        CU_ASSERT_EQUAL(cppm_sessions(b, strlen(b), &macs, NULL), 0);
        b = "[1,2]";
        CU_ASSERT_EQUAL(cppm_sessions(b, strlen(b), &macs, NULL), -EBADMSG);
        b = "{\"_embedded\":{\"items\":{}}}";
        CU_ASSERT_EQUAL(cppm_sessions(b, strlen(b), &macs, NULL), -EBADMSG);
}

static void test_bodies(void)
{
        char *s = cppm_endpoint_patch("aa:bb:cc:dd:ee:ff", "isolated", true);
        long ttl = -1;
        char *tok = NULL;
        const char *ans = "{\"access_token\":\"t0k\",\"expires_in\":28800,\"token_type\":\"Bearer\"}";

        CU_ASSERT_STRING_EQUAL(s, "{\"mac_address\":\"aa:bb:cc:dd:ee:ff\",\"attributes\":{\"isolated\":true}}");
        free(s);
        s = cppm_oauth_body("id", "sec", NULL, NULL);
        CU_ASSERT_STRING_EQUAL(s, "{\"grant_type\":\"client_credentials\",\"client_id\":\"id\",\"client_secret\":\"sec\"}");
        free(s);
        s = cppm_oauth_body("id", "sec", "u", "p");
        CU_ASSERT_STRING_EQUAL(s, "{\"grant_type\":\"password\",\"client_id\":\"id\",\"client_secret\":\"sec\","
                               "\"username\":\"u\",\"password\":\"p\"}");
        free(s);
        CU_ASSERT_EQUAL(cppm_oauth_token(ans, strlen(ans), &tok, &ttl), 0);
        CU_ASSERT_STRING_EQUAL(tok, "t0k");
        CU_ASSERT_EQUAL(ttl, 28800);
        free(tok);
        CU_ASSERT_EQUAL(cppm_oauth_token("{\"error\":\"invalid_client\"}", 26, &tok, &ttl), -EBADMSG);
}

void clearpass_parse_suite_add(void)
{
        UNIT_SUITE("clearpass_parse", UNIT_TEST(test_filter), UNIT_TEST(test_sessions), UNIT_TEST(test_bodies));
}
