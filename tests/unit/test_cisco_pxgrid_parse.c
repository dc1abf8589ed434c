/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "responders/cisco_pxgrid_parse.h"
#include "tests/unit/unit.h"

#define S(lit) (lit), strlen(lit)

static void test_control(void)
{
        PxAccount a;
        char *url = NULL, *node = NULL, *s;
        const char *svc = "{\"services\":[{\"name\":\"com.cisco.ise.config.anc\",\"nodeName\":\"ise-pan-1\","
                          "\"properties\":{\"restBaseUrl\":\"https://ise:8910/pxgrid/ise/config/anc\"}}]}";

        CU_ASSERT_EQUAL(px_account_state(S("{\"accountState\":\"PENDING\",\"version\":\"2.0\"}"), &a), 0);
        CU_ASSERT_EQUAL(a, PX_PENDING);
        CU_ASSERT_EQUAL(px_account_state(S("{\"accountState\":\"ENABLED\"}"), &a), 0);
        CU_ASSERT_EQUAL(a, PX_ENABLED);
        CU_ASSERT_EQUAL(px_account_state(S("{}"), &a), -EBADMSG);
        CU_ASSERT_EQUAL(px_service(svc, strlen(svc), &url, &node), 0);
        CU_ASSERT_STRING_EQUAL(url, "https://ise:8910/pxgrid/ise/config/anc");
        CU_ASSERT_STRING_EQUAL(node, "ise-pan-1");
        free(url);
        free(node);
        CU_ASSERT_EQUAL(px_service(S("{\"services\":[]}"), &url, &node), -ENOENT);
        CU_ASSERT_EQUAL(px_service("{\"services\":[{\"nodeName\":\"x\",\"properties\":{\"restBaseUrl\":\"ftp://x\"}}]}",
                                   70, &url, &node), -ENOENT);
        CU_ASSERT_EQUAL(px_service(S("[]"), &url, &node), -EBADMSG);
        s = px_secret(S("{\"secret\":\"s3\"}"));
        CU_ASSERT_STRING_EQUAL(s, "s3");
        free(s);
        CU_ASSERT_PTR_NULL(px_secret(S("{}")));
}

static void test_anc(void)
{
        char *why = NULL;
        const char *already = "{\"status\":\"FAILURE\",\"failureReason\":\"mac address is already associated with this policy\"}";
        const char *notassoc = "{\"status\":\"FAILURE\",\"failureReason\":\"mac address is not associated with any policy\"}";

        CU_ASSERT_EQUAL(px_anc_outcome(S("{\"status\":\"SUCCESS\"}"), false, &why), PX_DONE);
        CU_ASSERT_EQUAL(px_anc_outcome(S("{\"status\":\"RUNNING\"}"), true, NULL), PX_DONE);
        CU_ASSERT_EQUAL(px_anc_outcome(already, strlen(already), false, &why), PX_ALREADY);
        free(why);
        CU_ASSERT_EQUAL(px_anc_outcome(already, strlen(already), true, NULL), PX_FAILED);
        CU_ASSERT_EQUAL(px_anc_outcome(notassoc, strlen(notassoc), true, NULL), PX_ALREADY);
        CU_ASSERT_EQUAL(px_anc_outcome(S("{\"status\":\"FAILURE\",\"failureReason\":\"policy not found\"}"), false, &why),
                        PX_FAILED);
        CU_ASSERT_STRING_EQUAL(why, "policy not found");
        free(why);
        CU_ASSERT_EQUAL(px_anc_outcome(S(""), false, NULL), PX_FAILED);
}

static void test_session_and_cred(void)
{
        char *m = px_session_mac(S("{\"macAddress\":\"aa:bb:cc:dd:ee:01\",\"state\":\"STARTED\"}"));
        char *p;

        CU_ASSERT_STRING_EQUAL(m, "AA:BB:CC:DD:EE:01");
        free(m);
        CU_ASSERT_PTR_NULL(px_session_mac(S("")));
        p = px_cred_part("u1\ts1\tu2\ts2", 3);
        CU_ASSERT_STRING_EQUAL(p, "s2");
        free(p);
        p = px_cred_part("u1\ts1\t\t", 2);
        CU_ASSERT_STRING_EQUAL(p, "");
        free(p);
        p = px_cred_part("u1\ts1", 3);
        CU_ASSERT_STRING_EQUAL(p, "");
        free(p);
}

void cisco_pxgrid_parse_suite_add(void)
{
        UNIT_SUITE("cisco_pxgrid_parse", UNIT_TEST(test_control), UNIT_TEST(test_anc), UNIT_TEST(test_session_and_cred));
}
