/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "responders/pan_xml.h"
#include "tests/unit/unit.h"

void pan_xml_suite_add(void);

static void test_uid_message(void)
{
        const PanEntry e[] = {
                { "10.0.0.1", "Block_Host", true },
                { "93.184.216.34", "Block_Detection", true },
                { "10.0.0.2", "Block_Host", false },
        };
        char *s = pan_uid_message(e, 3);

        CU_ASSERT_STRING_EQUAL(s,
                "<uid-message><version>1.0</version><type>update</type><payload>"
                "<register><entry ip=\"10.0.0.1\"><tag><member>Block_Host</member></tag></entry>"
                "<entry ip=\"93.184.216.34\"><tag><member>Block_Detection</member></tag></entry></register>"
                "<unregister><entry ip=\"10.0.0.2\"><tag><member>Block_Host</member></tag></entry></unregister>"
                "</payload></uid-message>");
        free(s);
        /* only what is there: no empty section */
        s = pan_uid_message(e + 2, 1);
        CU_ASSERT_PTR_NULL(strstr(s, "<register>"));
        CU_ASSERT_PTR_NOT_NULL(strstr(s, "<unregister>"));
        free(s);
}

static void test_uid_message_escapes(void)
{
        const PanEntry e[] = { { "10.0.0.1", "a<b>&\"c'", true } };
        char *s = pan_uid_message(e, 1);

        CU_ASSERT_PTR_NOT_NULL(strstr(s, "<member>a&lt;b&gt;&amp;&quot;c&apos;</member>"));
        free(s);
}

static void test_form_escape(void)
{
        char *s = pan_form_escape("<a b=\"1\">&x+y/z");
        CU_ASSERT_STRING_EQUAL(s, "%3Ca+b%3D%221%22%3E%26x%2By%2Fz");
        free(s);
        s = pan_form_escape("");
        CU_ASSERT_STRING_EQUAL(s, "");
        free(s);
}

static void test_keygen(void)
{
        char *key = NULL, *msg = NULL;

        CU_ASSERT_EQUAL(pan_parse_keygen("<response status=\"success\"><result><key>LUFRPT1abc==</key></result></response>",
                                         &key, &msg), 0);
        CU_ASSERT_STRING_EQUAL(key, "LUFRPT1abc==");
        CU_ASSERT_PTR_NULL(msg);
        free(key);
        /* PAN-OS's own spelling: blanks around '=' and single quotes */
        CU_ASSERT_EQUAL(pan_parse_keygen("<response status = 'error' code = '403'><result><msg>Invalid Credentials.</msg>"
                                         "</result></response>", &key, &msg), -EACCES);
        CU_ASSERT_PTR_NULL(key);
        CU_ASSERT_STRING_EQUAL(msg, "Invalid Credentials.");
        free(msg);
        CU_ASSERT_EQUAL(pan_parse_keygen("<response status=\"success\"><result></result></response>", &key, NULL), -EBADMSG);
        CU_ASSERT_EQUAL(pan_parse_keygen("<html>502 Bad Gateway</html>", &key, NULL), -EBADMSG);
        CU_ASSERT_EQUAL(pan_parse_keygen("", &key, NULL), -EBADMSG);
}

static void test_response_success(void)
{
        PanResponse r;

        CU_ASSERT_EQUAL_FATAL(pan_parse_response("<response status=\"success\"><result><uid-response><version>2.0</version>"
                                                 "<payload><register/></payload></uid-response></result></response>", &r), 0);
        CU_ASSERT_TRUE(r.success);
        CU_ASSERT_EQUAL(r.n_entries, 0);
        CU_ASSERT_FALSE(pan_auth_error(&r));
        pan_response_done(&r);
}

/* VAR judged by HTTP status only: PAN-OS errors come with HTTP 200 and
 * status="error"; per-entry messages name what failed. */
static void test_response_entries(void)
{
        PanResponse r;
        const char *body =
                "<response status=\"error\"><msg><line><uid-response><version>2.0</version><payload>"
                "<register><entry ip=\"10.0.0.1\" message=\"tag Block_Host already exists\"/>"
                "<entry ip=\"10.0.0.7\" message=\"invalid tag &amp; stuff\"/></register>"
                "<unregister><entry ip=\"10.0.0.2\" message=\"ip-tag mapping does not exist\"/></unregister>"
                "</payload></uid-response></line></msg></response>";

        CU_ASSERT_EQUAL_FATAL(pan_parse_response(body, &r), 0);
        CU_ASSERT_FALSE(r.success);
        CU_ASSERT_EQUAL_FATAL(r.n_entries, 3);
        CU_ASSERT_STRING_EQUAL(r.entries[0].ip, "10.0.0.1");
        CU_ASSERT_TRUE(r.entries[0].reg);
        CU_ASSERT_TRUE(pan_entry_is_noop(&r.entries[0]));
        CU_ASSERT_STRING_EQUAL(r.entries[1].message, "invalid tag & stuff");
        CU_ASSERT_FALSE(pan_entry_is_noop(&r.entries[1]));
        CU_ASSERT_FALSE(r.entries[2].reg);
        CU_ASSERT_TRUE(pan_entry_is_noop(&r.entries[2]));
        CU_ASSERT_FALSE(pan_auth_error(&r));
        pan_response_done(&r);
}

static void test_response_auth(void)
{
        PanResponse r;

        CU_ASSERT_EQUAL_FATAL(pan_parse_response("<response status = 'error' code = '403'><result><msg>Invalid Credential"
                                                 "</msg></result></response>", &r), 0);
        CU_ASSERT_EQUAL(r.code, 403);
        CU_ASSERT_TRUE(pan_auth_error(&r));
        pan_response_done(&r);
        CU_ASSERT_EQUAL_FATAL(pan_parse_response("<response status=\"error\"><msg>Invalid credential</msg></response>", &r), 0);
        CU_ASSERT_TRUE(pan_auth_error(&r));
        pan_response_done(&r);
        CU_ASSERT_EQUAL_FATAL(pan_parse_response("<response status=\"error\" code=\"17\"><msg><line>No such node</line>"
                                                 "</msg></response>", &r), 0);
        CU_ASSERT_FALSE(pan_auth_error(&r));
        CU_ASSERT_STRING_EQUAL(r.msg, "No such node");
        pan_response_done(&r);
        CU_ASSERT_EQUAL(pan_parse_response("{\"not\": \"xml\"}", &r), -EBADMSG);
        CU_ASSERT_EQUAL(pan_parse_response(NULL, &r), -EBADMSG);
        /* a truncated answer does not crash the reader */
        CU_ASSERT_EQUAL(pan_parse_response("<response status=\"err", &r), -EBADMSG);
        CU_ASSERT_EQUAL(pan_parse_response("<response status=\"error\"><msg><line>cut", &r), 0);
        pan_response_done(&r);
}

static void test_entry_noop(void)
{
        PanEntryError e = { .ip = "1.2.3.4", .message = "already exists", .reg = false };

        CU_ASSERT_FALSE(pan_entry_is_noop(&e));         /* "exists" on unregister is no success */
        e.message = "not registered";
        CU_ASSERT_TRUE(pan_entry_is_noop(&e));
        e.reg = true;
        CU_ASSERT_FALSE(pan_entry_is_noop(&e));
        e.message = NULL;
        CU_ASSERT_FALSE(pan_entry_is_noop(&e));
}

static void test_xml_text(void)
{
        const char *info = "<response status=\"success\"><result><system><hostname>pa-1</hostname>"
                           "<sw-version>10.2.4</sw-version></system></result></response>";
        char *s = pan_xml_text(info, "hostname");

        CU_ASSERT_STRING_EQUAL(s, "pa-1");
        free(s);
        s = pan_xml_text(info, "sw-version");
        CU_ASSERT_STRING_EQUAL(s, "10.2.4");
        free(s);
        CU_ASSERT_PTR_NULL(pan_xml_text(info, "serial"));
        /* <hostname-x> is not <hostname> */
        s = pan_xml_text("<a><hostname-x>no</hostname-x><hostname>yes</hostname></a>", "hostname");
        CU_ASSERT_STRING_EQUAL(s, "yes");
        free(s);
}

void pan_xml_suite_add(void)
{
        UNIT_SUITE("pan_xml",
                   UNIT_TEST(test_uid_message),
                   UNIT_TEST(test_uid_message_escapes),
                   UNIT_TEST(test_form_escape),
                   UNIT_TEST(test_keygen),
                   UNIT_TEST(test_response_success),
                   UNIT_TEST(test_response_entries),
                   UNIT_TEST(test_response_auth),
                   UNIT_TEST(test_entry_noop),
                   UNIT_TEST(test_xml_text));
}
