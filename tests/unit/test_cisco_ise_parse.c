/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "responders/cisco_ise_parse.h"
#include "tests/unit/unit.h"

#define SESSION(ip, mac) "<activeSession><user_name>u</user_name><calling_station_id>" mac \
        "</calling_station_id><nas_ip_address>10.9.9.9</nas_ip_address><framed_ip_address>" ip \
        "</framed_ip_address></activeSession>"

static int macs_for(const char *xml, const char *ip, char ***macs)
{
        *macs = NULL;
        return ise_active_list_macs(xml, strlen(xml), ip, macs);
}

static void test_active_list(void)
{
        char **m;
        const char *one = "<?xml version=\"1.0\"?><activeList noOfActiveSession=\"1\">"
                SESSION("10.0.0.1", "4c:1d:96:22:29:01") "</activeList>";
        const char *many = "<activeList noOfActiveSession=\"3\">" SESSION("10.0.0.15", "AA:AA:AA:AA:AA:15")
                SESSION("10.0.0.1", "aa-aa-aa-aa-aa-01") SESSION(" 10.0.0.1 ", "AA:AA:AA:AA:AA:02")
                SESSION("10.0.0.1", "AA:AA:AA:AA:AA:01") "</activeList>";

        CU_ASSERT_EQUAL(macs_for(one, "10.0.0.1", &m), 1);
        CU_ASSERT_EQUAL(strv_length(m), 1);
        CU_ASSERT_STRING_EQUAL(m[0], "4C:1D:96:22:29:01");
        strv_free(m);

        /* exact match: 10.0.0.15 is not 10.0.0.1 (the original's substring test) */
        CU_ASSERT_EQUAL(macs_for(many, "10.0.0.1", &m), 4);
        CU_ASSERT_EQUAL(strv_length(m), 2);
        CU_ASSERT_STRING_EQUAL(m[0], "AA:AA:AA:AA:AA:01");
        CU_ASSERT_STRING_EQUAL(m[1], "AA:AA:AA:AA:AA:02");
        strv_free(m);

        CU_ASSERT_EQUAL(macs_for("<activeList noOfActiveSession=\"0\"/>", "10.0.0.1", &m), 0);
        CU_ASSERT_PTR_NULL(m);
        CU_ASSERT_EQUAL(macs_for("<activeList></activeList>", "10.0.0.1", &m), 0);
        CU_ASSERT_EQUAL(macs_for("{\"json\": true}", "10.0.0.1", &m), -EBADMSG);
        CU_ASSERT_EQUAL(macs_for("<activeList><activeSession><framed_ip_address>10.0.0.1", "10.0.0.1", &m),
                        -EBADMSG);
}

static void test_ip_addresses(void)
{
        char **m;
        const char *xml = "<activeList><activeSession><calling_station_id>00:11:22:33:44:55</calling_station_id>"
                "<ipAddresses>10.1.1.1, 10.0.0.7</ipAddresses></activeSession>"
                "<activeSession><calling_station_id>00:11:22:33:44:66</calling_station_id><framed_ip_address/>"
                "<ipAddresses><ipAddress>10.0.0.70</ipAddress></ipAddresses></activeSession></activeList>";

        CU_ASSERT_EQUAL(macs_for(xml, "10.0.0.7", &m), 2);
        CU_ASSERT_EQUAL(strv_length(m), 1);
        CU_ASSERT_STRING_EQUAL(m[0], "00:11:22:33:44:55");
        strv_free(m);
        CU_ASSERT_EQUAL(macs_for(xml, "10.0.0.70", &m), 2);
        CU_ASSERT_EQUAL(strv_length(m), 1);
        CU_ASSERT_STRING_EQUAL(m[0], "00:11:22:33:44:66");
        strv_free(m);
}

static void test_body(void)
{
        char *b = ise_anc_body("AA:BB:CC:DD:EE:FF", "Quarantine");
        CU_ASSERT_STRING_EQUAL(b, "{\"OperationAdditionalData\":{\"additionalData\":[{\"name\":\"macAddress\","
                               "\"value\":\"AA:BB:CC:DD:EE:FF\"},{\"name\":\"policyName\",\"value\":\"Quarantine\"}]}}");
        free(b);
}

static void test_ers_url(void)
{
        const char *cases[][2] = {
                { "https://ise.example.com", "https://ise.example.com:9060" },
                { "https://ise.example.com:443/admin", "https://ise.example.com:9060" },
                { "http://10.0.0.5", "http://10.0.0.5:9060" },
                { "https://[2001:db8::5]:8443", "https://[2001:db8::5]:9060" },
                { "https://[2001:db8::5]", "https://[2001:db8::5]:9060" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *u = ise_ers_url(cases[i][0]);
                CU_ASSERT_PTR_NOT_NULL_FATAL(u);
                CU_ASSERT_STRING_EQUAL(u, cases[i][1]);
                free(u);
        }
        CU_ASSERT_PTR_NULL(ise_ers_url("ise.example.com"));
        CU_ASSERT_PTR_NULL(ise_ers_url("https://"));
        CU_ASSERT_PTR_NULL(ise_ers_url("https://[2001:db8::5"));
}

#define ERS(title) "{\"ERSResponse\":{\"operation\":\"PUT-apply-ancendpoint\",\"messages\":[{\"title\":\"" title \
        "\",\"type\":\"ERROR\",\"code\":\"CRUD operation exception\"}]}}"

static void test_outcome(void)
{
        char *t = NULL;
        const char *radius = ERS("Radius Failure"), *already = ERS("Policy already applied to endpoint"),
                   *other = ERS("Invalid policy name");

        CU_ASSERT_EQUAL(ise_ers_outcome(204, "", 0, false, &t), ISE_APPLIED);
        CU_ASSERT_PTR_NULL(t);
        CU_ASSERT_EQUAL(ise_ers_outcome(500, radius, strlen(radius), false, &t), ISE_RADIUS_FAILURE);
        CU_ASSERT_STRING_EQUAL(t, "Radius Failure");
        free(t);
        CU_ASSERT_EQUAL(ise_ers_outcome(500, already, strlen(already), false, NULL), ISE_ALREADY);
        CU_ASSERT_EQUAL(ise_ers_outcome(500, already, strlen(already), true, NULL), ISE_ERROR);
        CU_ASSERT_EQUAL(ise_ers_outcome(500, other, strlen(other), false, NULL), ISE_ERROR);
        CU_ASSERT_EQUAL(ise_ers_outcome(404, "", 0, true, NULL), ISE_NOT_FOUND);
        CU_ASSERT_EQUAL(ise_ers_outcome(404, "", 0, false, NULL), ISE_ERROR);
        CU_ASSERT_EQUAL(ise_ers_outcome(500, "not json", 8, true, NULL), ISE_ERROR);
        {
                const char *nf = ERS("Endpoint 00:11:22:33:44:55 is not associated with any ANC policy");
                CU_ASSERT_EQUAL(ise_ers_outcome(500, nf, strlen(nf), true, NULL), ISE_NOT_FOUND);
        }
}

void cisco_ise_parse_suite_add(void)
{
        UNIT_SUITE("cisco_ise_parse", UNIT_TEST(test_active_list), UNIT_TEST(test_ip_addresses),
                   UNIT_TEST(test_body), UNIT_TEST(test_ers_url), UNIT_TEST(test_outcome));
}
