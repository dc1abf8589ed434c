/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "common/strbuf.h"
#include "tests/unit/unit.h"

static void test_grow(void)
{
        StrBuf b = {};
        char want[5001];
        size_t len;
        char *s;

        /* a byte at a time and in runs, across every doubling */
        for (size_t i = 0; i < 5000; i++) {
                want[i] = (char) ('a' + i % 26);
                if (i % 3 == 0)
                        strbuf_putc(&b, want[i]);
                else
                        strbuf_putn(&b, &want[i], 1);
                CU_ASSERT_FATAL(b.cap > b.len && b.p[b.len] == '\0');
        }
        want[5000] = '\0';
        CU_ASSERT_STRING_EQUAL(b.p, want);
        s = strbuf_steal(&b, &len);
        CU_ASSERT_EQUAL(len, 5000);
        CU_ASSERT_STRING_EQUAL(s, want);
        CU_ASSERT_PTR_NULL(b.p);
        CU_ASSERT_EQUAL(b.len + b.cap, 0);
        free(s);

        /* empty: "" to own, not NULL */
        s = strbuf_steal(&b, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_STRING_EQUAL(s, "");
        CU_ASSERT_EQUAL(len, 0);
        free(s);
        strbuf_puts(&b, "x");
        strbuf_done(&b);
        CU_ASSERT_PTR_NULL(b.p);
}

static void test_printf(void)
{
        StrBuf b = {};
        char *s;

        strbuf_printf(&b, "%d-%s", 42, "x");
        /* longer than the first guess of room */
        strbuf_printf(&b, "|%0200d|", 7);
        s = strbuf_steal(&b, NULL);
        CU_ASSERT_EQUAL(strlen(s), 4 + 202);
        CU_ASSERT_NSTRING_EQUAL(s, "42-x|000", 8);
        CU_ASSERT_STRING_EQUAL(s + strlen(s) - 2, "7|");
        free(s);
}

static void test_pct(void)
{
        char *s;

        s = pct_encode("AZaz09-._~ /?&=%\"é\x01", NULL);
        CU_ASSERT_STRING_EQUAL(s, "AZaz09-._~%20%2F%3F%26%3D%25%22%C3%A9%01");
        free(s);
        s = pct_encode("a@b:c,d", "@,");
        CU_ASSERT_STRING_EQUAL(s, "a@b%3Ac,d");
        free(s);
        s = pct_encode("", NULL);
        CU_ASSERT_STRING_EQUAL(s, "");
        free(s);
        {
                StrBuf b = {};

                strbuf_puts(&b, "k=");
                strbuf_put_pct(&b, "a b", NULL);
                s = strbuf_steal(&b, NULL);
                CU_ASSERT_STRING_EQUAL(s, "k=a%20b");
                free(s);
        }
}

void strbuf_suite_add(void)
{
        UNIT_SUITE("strbuf", UNIT_TEST(test_grow), UNIT_TEST(test_printf), UNIT_TEST(test_pct));
}
