/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "engine/static_dst.h"
#include "tests/unit/unit.h"

void static_dst_suite_add(void);

static StaticDstList *parse(const char *text)
{
        StaticDstList *l = NULL;
        CU_ASSERT_EQUAL_FATAL(static_dst_parse(text, strlen(text), &l), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(l);
        return l;
}

static bool entries_are(const StaticDstList *l, const char *const *want, size_t n)
{
        if (l->n_entries != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(l->entries[i], want[i]) != 0)
                        return false;
        return true;
}

/* VAR 3.3.3 observed: 1.1.1.1 and 2.2.2.0/24 kept, 2.2.2.1/24 and bad dropped. */
static void test_var_example(void)
{
        StaticDstList *l = parse("1.1.1.1\n2.2.2.0/24\n2.2.2.1/24\nbad\n");
        const char *want[] = { "1.1.1.1", "2.2.2.0/24" };

        CU_ASSERT_TRUE(entries_are(l, want, 2));
        CU_ASSERT_EQUAL_FATAL(l->n_errors, 2);
        CU_ASSERT_EQUAL(l->errors[0].line, 3);
        CU_ASSERT_EQUAL(l->errors[0].r, -EDOM);
        CU_ASSERT_STRING_EQUAL(l->errors[0].text, "2.2.2.1/24");
        CU_ASSERT_PTR_NOT_NULL(strstr(l->errors[0].message, "host bits"));
        CU_ASSERT_PTR_NOT_NULL(strstr(l->errors[0].message, "2.2.2.0/24"));
        CU_ASSERT_EQUAL(l->errors[1].line, 4);
        CU_ASSERT_EQUAL(l->errors[1].r, -EINVAL);
        CU_ASSERT_STRING_EQUAL(l->errors[1].text, "bad");
        CU_ASSERT_PTR_NOT_NULL(strstr(l->errors[1].message, "'bad'"));
        static_dst_list_free(l);
}

static void test_trim_comments_blank(void)
{
        StaticDstList *l = parse("# static list\n\n   \n\t 10.0.0.0/8 \t\r\n"
                                 "  192.0.2.7   # a host\r\n#10.9.9.9\n   # indented comment\n"
                                 "198.51.100.0/24");    /* no final newline */
        const char *want[] = { "10.0.0.0/8", "192.0.2.7", "198.51.100.0/24" };

        CU_ASSERT_TRUE(entries_are(l, want, 3));
        CU_ASSERT_EQUAL(l->n_errors, 0);
        static_dst_list_free(l);
}

static void test_canonical_and_duplicates(void)
{
        StaticDstList *l = parse("10.0.0.1/32\n10.0.0.1\n2001:DB8::1\n2001:db8:0:0:0:0:0:1/128\n"
                                 "2001:db8::/32\n::ffff:192.0.2.1\n192.0.2.1\n10.0.0.0/8\n10.0.0.0/8\n");
        const char *want[] = { "10.0.0.1", "2001:db8::1", "2001:db8::/32", "192.0.2.1", "10.0.0.0/8" };

        CU_ASSERT_TRUE(entries_are(l, want, 5));
        CU_ASSERT_EQUAL(l->n_errors, 0);
        static_dst_list_free(l);
}

static void test_overlap_kept(void)
{
        StaticDstList *l = parse("10.0.0.0/8\n10.1.2.3\n0.0.0.0/0\n::/0\n");
        const char *want[] = { "10.0.0.0/8", "10.1.2.3", "0.0.0.0/0", "::/0" };

        CU_ASSERT_TRUE(entries_are(l, want, 4));
        static_dst_list_free(l);
}

static void test_invalid_lines(void)
{
        char text[STATIC_DST_MAX_LINE + 200];
        size_t n = 0;
        StaticDstList *l;
        const char *want[] = { "10.0.0.1" };

        /* 1: two words; 2: prefix too long; 3: IPv6 host bits; 4: embedded NUL;
         * 5: too long; 6: empty prefix; 7: valid; 8: leading zero prefix;
         * 9: control character */
        n += (size_t) sprintf(text + n, "10.0.0.1 10.0.0.2\n10.0.0.0/33\n2001:db8::1/32\n");
        memcpy(text + n, "1.2.3.4\0x\n", 10);
        n += 10;
        memset(text + n, '1', STATIC_DST_MAX_LINE + 1);
        n += STATIC_DST_MAX_LINE + 1;
        n += (size_t) sprintf(text + n, "\n10.0.0.0/\n10.0.0.1\n10.0.0.0/08\n10.0.0.\x01\n");

        CU_ASSERT_EQUAL_FATAL(static_dst_parse(text, n, &l), 0);
        CU_ASSERT_TRUE(entries_are(l, want, 1));
        CU_ASSERT_EQUAL_FATAL(l->n_errors, 8);
        CU_ASSERT_EQUAL(l->errors[0].line, 1);
        CU_ASSERT_EQUAL(l->errors[0].r, -EINVAL);
        CU_ASSERT_EQUAL(l->errors[1].line, 2);
        CU_ASSERT_EQUAL(l->errors[1].r, -EINVAL);
        CU_ASSERT_EQUAL(l->errors[2].line, 3);
        CU_ASSERT_EQUAL(l->errors[2].r, -EDOM);
        CU_ASSERT_PTR_NOT_NULL(strstr(l->errors[2].message, "2001:db8::/32"));
        CU_ASSERT_EQUAL(l->errors[3].line, 4);
        CU_ASSERT_EQUAL(l->errors[3].r, -EINVAL);
        CU_ASSERT_STRING_EQUAL(l->errors[3].text, "1.2.3.4?x");
        CU_ASSERT_EQUAL(l->errors[4].line, 5);
        CU_ASSERT_EQUAL(l->errors[4].r, -E2BIG);
        CU_ASSERT(strlen(l->errors[4].text) <= 64 + 3);
        CU_ASSERT_EQUAL(l->errors[5].line, 6);
        CU_ASSERT_EQUAL(l->errors[6].line, 8);
        CU_ASSERT_EQUAL(l->errors[7].line, 9);
        CU_ASSERT_STRING_EQUAL(l->errors[7].text, "10.0.0.?");
        for (size_t i = 0; i < l->n_errors; i++) {
                CU_ASSERT_PTR_NOT_NULL(l->errors[i].message);
                CU_ASSERT_PTR_NULL(strchr(l->errors[i].message, '\n'));
        }
        static_dst_list_free(l);
}

static void test_empty_and_args(void)
{
        StaticDstList *l = NULL;

        l = parse("");
        CU_ASSERT_EQUAL(l->n_entries, 0);
        CU_ASSERT_EQUAL(l->n_errors, 0);
        static_dst_list_free(l);
        l = parse("\n\n# nothing\n");
        CU_ASSERT_EQUAL(l->n_entries, 0);
        static_dst_list_free(l);
        CU_ASSERT_EQUAL(static_dst_parse(NULL, 0, &l), 0);
        CU_ASSERT_EQUAL(l->n_entries, 0);
        static_dst_list_free(l);
        CU_ASSERT_EQUAL(static_dst_parse(NULL, 3, &l), -EINVAL);
        CU_ASSERT_EQUAL(static_dst_parse("x", 1, NULL), -EINVAL);
        CU_ASSERT_PTR_NULL(static_dst_list_free(NULL));
}

static bool strv_is(char *const *got, size_t n, const char *const *want, size_t n_want)
{
        if (n != n_want)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(got[i], want[i]) != 0)
                        return false;
        return true;
}

static void test_diff(void)
{
        const char *desired[] = { "1.1.1.1", "2.2.2.0/24", "2001:db8::/32", "9.9.9.9" };
        const char *applied[] = { "1.1.1.1/32", "3.3.3.3", "bad", "2001:DB8::/32", "3.3.3.3" };
        const char *want_add[] = { "2.2.2.0/24", "9.9.9.9" };
        const char *want_remove[] = { "3.3.3.3", "bad" };
        StaticDstDiff d;

        CU_ASSERT_EQUAL_FATAL(static_dst_diff(desired, 4, applied, 5, &d), 0);
        CU_ASSERT_TRUE(strv_is(d.add, d.n_add, want_add, 2));
        CU_ASSERT_TRUE(strv_is(d.remove, d.n_remove, want_remove, 2));
        static_dst_diff_done(&d);
        CU_ASSERT_EQUAL(d.n_add, 0);
        CU_ASSERT_PTR_NULL(d.add);
}

static void test_diff_spellings_and_edges(void)
{
        const char *desired[] = { "10.0.0.1", "10.0.0.1/32", " 10.0.0.2 " };
        const char *applied[] = { "10.0.0.5", "10.0.0.5/32", "10.0.0.2" };
        const char *want_add[] = { "10.0.0.1" };
        const char *want_remove[] = { "10.0.0.5", "10.0.0.5/32" };
        StaticDstDiff d, keep = { .n_add = 42 };

        CU_ASSERT_EQUAL_FATAL(static_dst_diff(desired, 3, applied, 3, &d), 0);
        CU_ASSERT_TRUE(strv_is(d.add, d.n_add, want_add, 1));
        CU_ASSERT_TRUE(strv_is(d.remove, d.n_remove, want_remove, 2));
        static_dst_diff_done(&d);

        /* Empty sides. */
        CU_ASSERT_EQUAL_FATAL(static_dst_diff(NULL, 0, applied, 3, &d), 0);
        CU_ASSERT_EQUAL(d.n_add, 0);
        CU_ASSERT_EQUAL(d.n_remove, 3);
        static_dst_diff_done(&d);
        CU_ASSERT_EQUAL_FATAL(static_dst_diff(desired, 3, NULL, 0, &d), 0);
        CU_ASSERT_EQUAL(d.n_add, 2);
        CU_ASSERT_EQUAL(d.n_remove, 0);
        static_dst_diff_done(&d);
        CU_ASSERT_EQUAL_FATAL(static_dst_diff(NULL, 0, NULL, 0, &d), 0);
        CU_ASSERT_EQUAL(d.n_add + d.n_remove, 0);
        static_dst_diff_done(&d);

        /* Bad arguments leave *ret alone. */
        CU_ASSERT_EQUAL(static_dst_diff(NULL, 1, NULL, 0, &keep), -EINVAL);
        CU_ASSERT_EQUAL(static_dst_diff(desired, 3, NULL, 2, &keep), -EINVAL);
        CU_ASSERT_EQUAL(keep.n_add, 42);
        static_dst_diff_done(NULL);
}

/* Parse, diff against the applied state, apply, diff again: nothing left. */
static void test_parse_then_diff_converges(void)
{
        StaticDstList *l = parse("1.1.1.1\n2.2.2.0/24\n2.2.2.1/24\nbad\n2001:db8::1\n");
        const char *applied[] = { "1.1.1.1", "5.5.5.5" };
        StaticDstDiff d;

        CU_ASSERT_EQUAL_FATAL(static_dst_diff((const char *const *) l->entries, l->n_entries,
                                              applied, 2, &d), 0);
        CU_ASSERT_EQUAL(d.n_add, 2);
        CU_ASSERT_EQUAL(d.n_remove, 1);
        static_dst_diff_done(&d);
        CU_ASSERT_EQUAL_FATAL(static_dst_diff((const char *const *) l->entries, l->n_entries,
                                              (const char *const *) l->entries, l->n_entries, &d), 0);
        CU_ASSERT_EQUAL(d.n_add + d.n_remove, 0);
        static_dst_diff_done(&d);
        static_dst_list_free(l);
}

static void test_many_entries(void)
{
        /* 5000 entries with duplicates: sorted indexes, not quadratic scans. */
        size_t cap = 5000 * 20, n = 0;
        char *text = malloc(cap);
        StaticDstList *l;

        CU_ASSERT_PTR_NOT_NULL_FATAL(text);
        for (unsigned i = 0; i < 5000; i++)
                n += (size_t) snprintf(text + n, cap - n, "10.%u.%u.%u\n", (i % 2500) / 250, (i % 250),
                                       (i % 2500) % 7);
        CU_ASSERT_EQUAL_FATAL(static_dst_parse(text, n, &l), 0);
        CU_ASSERT_EQUAL(l->n_errors, 0);
        CU_ASSERT_EQUAL(l->n_entries, 2500);   /* the second half repeats the first */
        CU_ASSERT_STRING_EQUAL(l->entries[0], "10.0.0.0");
        CU_ASSERT_STRING_EQUAL(l->entries[2499], "10.9.249.0");
        static_dst_list_free(l);
        free(text);
}

void static_dst_suite_add(void)
{
        UNIT_SUITE("static_dst",
                   UNIT_TEST(test_var_example),
                   UNIT_TEST(test_trim_comments_blank),
                   UNIT_TEST(test_canonical_and_duplicates),
                   UNIT_TEST(test_overlap_kept),
                   UNIT_TEST(test_invalid_lines),
                   UNIT_TEST(test_empty_and_args),
                   UNIT_TEST(test_diff),
                   UNIT_TEST(test_diff_spellings_and_edges),
                   UNIT_TEST(test_parse_then_diff_converges),
                   UNIT_TEST(test_many_entries));
}
