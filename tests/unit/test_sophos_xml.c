/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "responders/sophos_xml.h"
#include "tests/unit/unit.h"

static void test_escape_and_request(void)
{
        char *s = sophos_xml_escape("a&b<c>\"d'");
        const char *ips[] = { "10.0.0.1", "10.0.0.2", NULL };
        const char *none[] = { NULL };

        CU_ASSERT_STRING_EQUAL(s, "a&amp;b&lt;c&gt;&quot;d&apos;");
        free(s);
        s = sophos_request("ad<min", "p&w", true, "<Get/>");
        CU_ASSERT_STRING_EQUAL(s, "<Request><Login><Username>ad&lt;min</Username><Password passwordform=\"encrypted\">"
                                  "p&amp;w</Password></Login><Get/></Request>");
        free(s);
        s = sophos_request("u", "p", false, NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(s, "passwordform=\"plain\""));
        free(s);
        s = sophos_form("<a b=\"1\">x y</a>");
        CU_ASSERT_STRING_EQUAL(s, "reqxml=%3Ca%20b%3D%221%22%3Ex%20y%3C%2Fa%3E");
        free(s);
        s = sophos_get_iphost("Vectra - Sophos & co");
        CU_ASSERT_STRING_EQUAL(s, "<Get><IPHost><Filter><key name=\"Name\" criteria=\"=\">Vectra - Sophos &amp; co</key>"
                                  "</Filter></IPHost></Get>");
        free(s);
        s = sophos_set_iplist("L", ips);
        CU_ASSERT_PTR_NOT_NULL(strstr(s, "<Set operation=\"update\"><IPHost><Name>L</Name>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(s, "<HostType>IPList</HostType><ListOfIPAddresses>10.0.0.1,10.0.0.2</ListOfIPAddresses>"));
        free(s);
        s = sophos_set_iplist("L", none);
        CU_ASSERT_PTR_NOT_NULL(strstr(s, "<ListOfIPAddresses></ListOfIPAddresses>"));
        free(s);
}

static void test_login(void)
{
        char *s;

        CU_ASSERT_TRUE(sophos_login_ok("<?xml version=\"1.0\"?><Response APIVersion=\"1905.1\"><Login>"
                                       "<status>Authentication Successful</status></Login></Response>"));
        CU_ASSERT_FALSE(sophos_login_ok("<Response><Login><status>Authentication Failure</status></Login></Response>"));
        CU_ASSERT_FALSE(sophos_login_ok("<Response></Response>"));
        CU_ASSERT_FALSE(sophos_login_ok("not xml"));
        CU_ASSERT_FALSE(sophos_login_ok(""));
        s = sophos_login_status("<Response><Login><status> Authentication Failure </status></Login></Response>");
        CU_ASSERT_STRING_EQUAL(s, "Authentication Failure");
        free(s);
}

static void test_iplist(void)
{
        const char *xml = "<Response><Login><status>Authentication Successful</status></Login>"
                          "<IPHost transactionid=\"\"><Name>Other</Name><IPFamily>IPv4</IPFamily><HostType>IPList</HostType>"
                          "<ListOfIPAddresses>9.9.9.9</ListOfIPAddresses></IPHost>"
                          "<IPHost transactionid=\"\"><Name>Vectra &amp; co</Name><IPFamily>IPv4</IPFamily>"
                          "<HostType>IPList</HostType><ListOfIPAddresses> 1.1.1.1,2.2.2.2,,1.1.1.1 </ListOfIPAddresses>"
                          "</IPHost>"
                          "<IPHost><Name>One</Name><HostType>IP</HostType><IPAddress>3.3.3.3</IPAddress></IPHost>"
                          "<IPHost><Name>Empty</Name><HostType>IPList</HostType><ListOfIPAddresses/></IPHost>"
                          "</Response>";
        char **v = NULL;

        CU_ASSERT_EQUAL(sophos_parse_iplist(xml, "Vectra & co", &v), 0);
        CU_ASSERT_EQUAL(strv_length(v), 2);
        CU_ASSERT_STRING_EQUAL(v[0], "1.1.1.1");
        CU_ASSERT_STRING_EQUAL(v[1], "2.2.2.2");
        strv_free(v);
        v = NULL;
        CU_ASSERT_EQUAL(sophos_parse_iplist(xml, "Empty", &v), 0);
        CU_ASSERT_EQUAL(strv_length(v), 0);
        strv_free(v);
        CU_ASSERT_EQUAL(sophos_parse_iplist(xml, "One", &v), -EMEDIUMTYPE);
        CU_ASSERT_EQUAL(sophos_parse_iplist(xml, "Missing", &v), -ENOENT);
        CU_ASSERT_EQUAL(sophos_parse_iplist(xml, "Vectra", &v), -ENOENT);    /* exact names */
        CU_ASSERT_EQUAL(sophos_parse_iplist("<html>", "Other", &v), -EPROTO);
        CU_ASSERT_EQUAL(sophos_parse_iplist("<Response><IPHost><Name>x</Name>", "x", &v), -EPROTO);
}

static void test_status(void)
{
        char *t = NULL;

        CU_ASSERT_EQUAL(sophos_status("<Response><Login><status>Authentication Successful</status></Login>"
                                      "<IPHost transactionid=\"\"><Status code=\"200\">Configuration applied "
                                      "successfully.</Status></IPHost></Response>", &t), 200);
        CU_ASSERT_STRING_EQUAL(t, "Configuration applied successfully.");
        free(t);
        t = NULL;
        CU_ASSERT_EQUAL(sophos_status("<Response><IPHost><Status code=\"500\">Operation could not be performed on "
                                      "Entity.</Status></IPHost></Response>", &t), 500);
        free(t);
        CU_ASSERT_EQUAL(sophos_status("<Response><Login><status>x</status></Login></Response>", NULL), 0);
        CU_ASSERT_EQUAL(sophos_status("", NULL), 0);
}

void sophos_xml_suite_add(void)
{
        UNIT_SUITE("sophos_xml",
                   UNIT_TEST(test_escape_and_request),
                   UNIT_TEST(test_login),
                   UNIT_TEST(test_iplist),
                   UNIT_TEST(test_status));
}
