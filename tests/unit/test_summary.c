/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "engine/summary.h"
#include "tests/unit/unit.h"

void summary_suite_add(void);

static void test_text_keeps_every_section(void)
{
        Summary s = { 0 };
        char *t;

        CU_ASSERT_TRUE(summary_empty(&s));
        summary_add(&s, SUMMARY_ERROR, "Could not block host %s: %s", "10.0.0.9", "HTTP 503\nretry");
        summary_add(&s, SUMMARY_INFO, "Blocked host 10.0.0.1 with client fw");
        summary_add(&s, SUMMARY_INFO, "Blocked host 10.0.0.2 with client fw");
        CU_ASSERT_FALSE(summary_empty(&s));
        t = summary_text(&s);
        /* VAR kept only the last section; every section is here, in order,
         * and a message stays on one line */
        CU_ASSERT_STRING_EQUAL(t, "Info\nBlocked host 10.0.0.1 with client fw\nBlocked host 10.0.0.2 with client fw\n"
                                  "Error\nCould not block host 10.0.0.9: HTTP 503 retry\n");
        free(t);
        summary_done(&s);
        CU_ASSERT_TRUE(summary_empty(&s));
}

static void test_syslog_formats(void)
{
        Summary s = { 0 };
        char *m;

        summary_add(&s, SUMMARY_INFO, "a");
        summary_add(&s, SUMMARY_INFO, "b");
        summary_add(&s, SUMMARY_WARNING, "w");
        summary_add(&s, SUMMARY_ERROR, "e");
        m = summary_syslog(&s, SUMMARY_INFO, SYSLOG_FORMAT_CEF);
        CU_ASSERT_STRING_EQUAL(m, "<14>CEF:0|Vectra Networks|X Series|var|Vectra Automated Response|2|Info: a; b; ");
        free(m);
        m = summary_syslog(&s, SUMMARY_WARNING, SYSLOG_FORMAT_CEF);
        CU_ASSERT_STRING_EQUAL(m, "<12>CEF:0|Vectra Networks|X Series|var|Vectra Automated Response|5|Warning: w; ");
        free(m);
        m = summary_syslog(&s, SUMMARY_ERROR, SYSLOG_FORMAT_STANDARD);
        CU_ASSERT_STRING_EQUAL(m, "<11>Error: e; ");
        free(m);
        summary_done(&s);
        CU_ASSERT_PTR_NULL(summary_syslog(&s, SUMMARY_INFO, SYSLOG_FORMAT_CEF));
        m = summary_syslog_test(SYSLOG_FORMAT_CEF);
        CU_ASSERT_STRING_EQUAL(m, "<14>CEF:0|Vectra Networks|X Series|var|Vectra Automated Response|2|INFO: TEST TEST TEST");
        free(m);
        m = summary_syslog_test(SYSLOG_FORMAT_STANDARD);
        CU_ASSERT_STRING_EQUAL(m, "<14>INFO: TEST TEST TEST");
        free(m);
}

static void test_email(void)
{
        Summary s = { 0 };
        const char *to[] = { "soc@example.com", "noc@example.com", NULL };
        char *m;

        summary_add(&s, SUMMARY_WARNING, "w");
        m = summary_email(&s, "var@example.com", to, "Vectra Automated Response", "Sun, 22 Nov 2026 17:00:00 +0000");
        CU_ASSERT_STRING_EQUAL(m, "From: var@example.com\r\nTo: soc@example.com, noc@example.com\r\n"
                                  "Subject: Vectra Automated Response\r\nDate: Sun, 22 Nov 2026 17:00:00 +0000\r\n"
                                  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Transfer-Encoding: 8bit\r\n\r\nWarning\r\nw\r\n");
        free(m);
        summary_done(&s);
}

void summary_suite_add(void)
{
        UNIT_SUITE("summary",
                   UNIT_TEST(test_text_keeps_every_section),
                   UNIT_TEST(test_syslog_formats),
                   UNIT_TEST(test_email));
}
