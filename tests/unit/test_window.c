/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "engine/window.h"
#include "tests/unit/unit.h"

void window_suite_add(void);

#define N(a) (sizeof(a) / sizeof((a)[0]))

enum { SUN, MON, TUE, WED, THU, FRI, SAT };

static struct tm at(int wday, int hour, int min)
{
        return (struct tm) { .tm_wday = wday, .tm_hour = hour, .tm_min = min, .tm_mday = 1, .tm_year = 126 };
}

static bool allows(const Window *w, int wday, int hour, int min)
{
        struct tm tm = at(wday, hour, min);
        return window_allows(w, &tm);
}

static uint8_t days_of(const char *const *names, size_t n)
{
        uint8_t d = 0xff;
        CU_ASSERT_EQUAL(window_days_parse(names, n, &d, NULL, NULL), 0);
        return d;
}

static void test_days_parse(void)
{
        static const char *const week[] = { "week" };
        static const char *const weekday[] = { "weekday" };
        static const char *const weekend[] = { "weekend" };
        static const char *const names[] = { "monday", "Wednesday", "SUNDAY" };
        static const char *const all_names[] = {
                "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        };
        /* Upstream precedence: week > weekday > weekend > names. */
        static const char *const mix1[] = { "weekday", "saturday" };
        static const char *const mix2[] = { "weekend", "weekday" };
        static const char *const mix3[] = { "monday", "weekend", "week", "week" };
        static const char *const bad[] = { "monday", "funday" };
        static const char *const bad2[] = { "week", "mon" };    /* validated even when overridden */
        static const char *const bad3[] = { "monday", NULL };
        uint8_t d = 0x55;
        size_t bad_i = 99, over = 99;

        CU_ASSERT_EQUAL(days_of(NULL, 0), WINDOW_ALL_DAYS);     /* [] = every day */
        CU_ASSERT_EQUAL(days_of(week, 1), WINDOW_ALL_DAYS);
        CU_ASSERT_EQUAL(days_of(weekday, 1), WINDOW_WEEKDAYS);
        CU_ASSERT_EQUAL(days_of(weekend, 1), WINDOW_WEEKEND);
        CU_ASSERT_EQUAL(WINDOW_WEEKDAYS, WINDOW_DAY_BIT(MON) | WINDOW_DAY_BIT(TUE) | WINDOW_DAY_BIT(WED) |
                                                 WINDOW_DAY_BIT(THU) | WINDOW_DAY_BIT(FRI));
        CU_ASSERT_EQUAL(WINDOW_WEEKEND, WINDOW_DAY_BIT(SAT) | WINDOW_DAY_BIT(SUN));
        CU_ASSERT_EQUAL(days_of(names, N(names)), WINDOW_DAY_BIT(MON) | WINDOW_DAY_BIT(WED) | WINDOW_DAY_BIT(SUN));
        CU_ASSERT_EQUAL(days_of(all_names, N(all_names)), WINDOW_ALL_DAYS);

        CU_ASSERT_EQUAL(window_days_parse(mix1, N(mix1), &d, NULL, &over), 0);
        CU_ASSERT_EQUAL(d, WINDOW_WEEKDAYS);
        CU_ASSERT_EQUAL(over, 1);
        CU_ASSERT_EQUAL(window_days_parse(mix2, N(mix2), &d, NULL, &over), 0);
        CU_ASSERT_EQUAL(d, WINDOW_WEEKDAYS);
        CU_ASSERT_EQUAL(over, 1);
        CU_ASSERT_EQUAL(window_days_parse(mix3, N(mix3), &d, NULL, &over), 0);
        CU_ASSERT_EQUAL(d, WINDOW_ALL_DAYS);
        CU_ASSERT_EQUAL(over, 2);
        CU_ASSERT_EQUAL(window_days_parse(names, N(names), &d, NULL, &over), 0);
        CU_ASSERT_EQUAL(over, 0);

        /* Unknown names are errors (upstream: KeyError), with their index. */
        d = 0x55;
        CU_ASSERT_EQUAL(window_days_parse(bad, N(bad), &d, &bad_i, NULL), -EINVAL);
        CU_ASSERT_EQUAL(bad_i, 1);
        CU_ASSERT_EQUAL(d, 0x55);
        CU_ASSERT_EQUAL(window_days_parse(bad2, N(bad2), &d, &bad_i, NULL), -EINVAL);
        CU_ASSERT_EQUAL(bad_i, 1);
        CU_ASSERT_EQUAL(window_days_parse(bad3, N(bad3), &d, &bad_i, NULL), -EINVAL);
        CU_ASSERT_EQUAL(bad_i, 1);
        CU_ASSERT_EQUAL(window_days_parse(names, N(names), NULL, NULL, NULL), -EINVAL);
        CU_ASSERT_EQUAL(window_days_parse(NULL, 2, &d, NULL, NULL), -EINVAL);

        CU_ASSERT_STRING_EQUAL(window_day_to_string(SUN), "sunday");
        CU_ASSERT_STRING_EQUAL(window_day_to_string(SAT), "saturday");
        CU_ASSERT_PTR_NULL(window_day_to_string(7));
}

static void test_init(void)
{
        Window w = { 0 };

        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 8, 17), 0);
        CU_ASSERT_EQUAL(window_hours(&w), 9);
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 22, 6), 0);
        CU_ASSERT_EQUAL(window_hours(&w), 8);
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 0, 0), 0);
        CU_ASSERT_EQUAL(window_hours(&w), 24);
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 23, 0), 0);
        CU_ASSERT_EQUAL(window_hours(&w), 1);
        /* Either hour unset ("") = the whole day. */
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, WINDOW_HOUR_UNSET, 17), 0);
        CU_ASSERT_EQUAL(w.start_hour, 0);
        CU_ASSERT_EQUAL(w.end_hour, 0);
        CU_ASSERT_EQUAL(window_hours(&w), 24);
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 8, WINDOW_HOUR_UNSET), 0);
        CU_ASSERT_EQUAL(window_hours(&w), 24);

        w = (Window) { .days = 1, .start_hour = 3, .end_hour = 4 };
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 24, 6), -ERANGE);
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, 6, 24), -ERANGE);
        CU_ASSERT_EQUAL(window_init(&w, WINDOW_ALL_DAYS, -2, 6), -ERANGE);
        CU_ASSERT_EQUAL(window_init(&w, 0, 6, 7), -EINVAL);
        CU_ASSERT_EQUAL(window_init(&w, 0x80, 6, 7), -EINVAL);
        CU_ASSERT_EQUAL(window_init(NULL, WINDOW_ALL_DAYS, 6, 7), -EINVAL);
        CU_ASSERT_EQUAL(w.start_hour, 3);       /* untouched on failure */
}

/* §10 defect 9: upstream's 8/17 window lasted 24 + 17 - 8 = 33 hours. */
static void test_defect9_day_window_is_9_hours(void)
{
        Window w;

        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_ALL_DAYS, 8, 17), 0);
        CU_ASSERT_FALSE(allows(&w, WED, 7, 59));
        CU_ASSERT_TRUE(allows(&w, WED, 8, 0));
        CU_ASSERT_TRUE(allows(&w, WED, 12, 30));
        CU_ASSERT_TRUE(allows(&w, WED, 16, 59));
        CU_ASSERT_FALSE(allows(&w, WED, 17, 0));        /* the end hour is exclusive */
        CU_ASSERT_FALSE(allows(&w, WED, 23, 0));
        /* Upstream's window would still be open here, the next day: */
        CU_ASSERT_FALSE(allows(&w, THU, 0, 0));
        CU_ASSERT_FALSE(allows(&w, THU, 7, 0));
        CU_ASSERT_TRUE(allows(&w, THU, 8, 0));
        /* Count the open hours of a week: 7 x 9. */
        {
                int open = 0;
                for (int d = 0; d < 7; d++)
                        for (int h = 0; h < 24; h++)
                                open += allows(&w, d, h, 0);
                CU_ASSERT_EQUAL(open, 63);
        }
}

/* Overnight windows belong to the day they start on. */
static void test_overnight(void)
{
        Window w;
        uint8_t fri = WINDOW_DAY_BIT(FRI);

        CU_ASSERT_EQUAL_FATAL(window_init(&w, fri, 22, 6), 0);
        CU_ASSERT_FALSE(allows(&w, FRI, 21, 59));
        CU_ASSERT_TRUE(allows(&w, FRI, 22, 0));
        CU_ASSERT_TRUE(allows(&w, FRI, 23, 59));
        CU_ASSERT_TRUE(allows(&w, SAT, 0, 0));          /* Saturday is not allowed, Friday's window is */
        CU_ASSERT_TRUE(allows(&w, SAT, 5, 59));
        CU_ASSERT_FALSE(allows(&w, SAT, 6, 0));
        CU_ASSERT_FALSE(allows(&w, SAT, 22, 0));        /* Saturday's own window: not allowed */
        CU_ASSERT_FALSE(allows(&w, FRI, 5, 0));         /* Thursday's window */
        CU_ASSERT_FALSE(allows(&w, FRI, 0, 0));

        /* Across the week boundary: Saturday 22:00 to Sunday 06:00. */
        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_DAY_BIT(SAT), 22, 6), 0);
        CU_ASSERT_TRUE(allows(&w, SAT, 23, 0));
        CU_ASSERT_TRUE(allows(&w, SUN, 3, 0));
        CU_ASSERT_FALSE(allows(&w, SUN, 23, 0));
        CU_ASSERT_FALSE(allows(&w, SAT, 3, 0));         /* Friday's window */
        /* Sunday 22:00 to Monday 06:00. */
        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_DAY_BIT(SUN), 22, 6), 0);
        CU_ASSERT_TRUE(allows(&w, MON, 5, 0));
        CU_ASSERT_FALSE(allows(&w, SUN, 5, 0));         /* Saturday's */

        /* 23 -> 0: one hour, the last of the day. */
        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_ALL_DAYS, 23, 0), 0);
        CU_ASSERT_TRUE(allows(&w, TUE, 23, 30));
        CU_ASSERT_FALSE(allows(&w, WED, 0, 0));
        CU_ASSERT_FALSE(allows(&w, TUE, 22, 59));
}

static void test_whole_day_and_boundaries(void)
{
        Window w;

        /* 0/0 = every hour of every allowed day, nothing of the others. */
        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_WEEKDAYS, 0, 0), 0);
        for (int d = 0; d < 7; d++)
                for (int h = 0; h < 24; h++)
                        CU_ASSERT_EQUAL(allows(&w, d, h, 59), d >= MON && d <= FRI);
        CU_ASSERT_FALSE(allows(&w, SAT, 0, 0));         /* Friday's day ended at midnight */
        CU_ASSERT_TRUE(allows(&w, MON, 0, 0));

        /* start == end elsewhere: 24 hours from the start hour. */
        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_DAY_BIT(MON), 5, 5), 0);
        CU_ASSERT_FALSE(allows(&w, MON, 4, 59));
        CU_ASSERT_TRUE(allows(&w, MON, 5, 0));
        CU_ASSERT_TRUE(allows(&w, TUE, 4, 59));
        CU_ASSERT_FALSE(allows(&w, TUE, 5, 0));
}

/* §10 defect 9 again: upstream acted on days that are NOT allowed, with no
 * window at all. */
static void test_defect9_disallowed_days_do_nothing(void)
{
        static const char *const weekend[] = { "weekend" };
        uint8_t d;
        Window w;

        CU_ASSERT_EQUAL_FATAL(window_days_parse(weekend, 1, &d, NULL, NULL), 0);
        CU_ASSERT_EQUAL_FATAL(window_init(&w, d, 9, 18), 0);
        CU_ASSERT_TRUE(allows(&w, SAT, 9, 0));
        CU_ASSERT_TRUE(allows(&w, SUN, 17, 59));
        for (int day = MON; day <= FRI; day++)
                for (int h = 0; h < 24; h++)
                        CU_ASSERT_FALSE(allows(&w, day, h, 0));
        CU_ASSERT_FALSE(allows(&w, SAT, 8, 59));
        CU_ASSERT_FALSE(allows(&w, SUN, 18, 0));
}

static void test_bad_time(void)
{
        Window w;
        struct tm tm;

        CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_ALL_DAYS, 0, 0), 0);
        tm = at(7, 10, 0);
        CU_ASSERT_FALSE(window_allows(&w, &tm));
        tm = at(-1, 10, 0);
        CU_ASSERT_FALSE(window_allows(&w, &tm));
        tm = at(MON, 24, 0);
        CU_ASSERT_FALSE(window_allows(&w, &tm));
        tm = at(MON, 10, 0);
        CU_ASSERT_TRUE(window_allows(&w, &tm));
        CU_ASSERT_FALSE(window_allows(NULL, &tm));
        CU_ASSERT_FALSE(window_allows(&w, NULL));
        w.start_hour = 30;      /* not from window_init */
        CU_ASSERT_FALSE(window_allows(&w, &tm));
}

/* Every (start, end, day, hour) against a brute-force model: the window
 * that starts on day s at hour a covers the hours a, a+1, ... of length
 * L = (end - start) mod 24, or 24. */
static void test_exhaustive(void)
{
        for (int start = 0; start < 24; start++)
                for (int end = 0; end < 24; end++) {
                        int len = ((end - start) % 24 + 24) % 24;
                        Window w;

                        if (len == 0)
                                len = 24;
                        for (int allowed = 0; allowed < 7; allowed++) {
                                bool want[7][24] = { { false } };

                                CU_ASSERT_EQUAL_FATAL(window_init(&w, WINDOW_DAY_BIT(allowed), start, end), 0);
                                for (int k = 0; k < len; k++) {
                                        int abs_h = allowed * 24 + start + k;
                                        want[(abs_h / 24) % 7][abs_h % 24] = true;
                                }
                                for (int d = 0; d < 7; d++)
                                        for (int h = 0; h < 24; h++)
                                                if (allows(&w, d, h, 0) != want[d][h]) {
                                                        printf("# %d->%d allowed %d: day %d hour %d\n", start, end,
                                                               allowed, d, h);
                                                        CU_FAIL("window");
                                                }
                        }
                }
}

void window_suite_add(void)
{
        UNIT_SUITE("window",
                   UNIT_TEST(test_days_parse),
                   UNIT_TEST(test_init),
                   UNIT_TEST(test_defect9_day_window_is_9_hours),
                   UNIT_TEST(test_overnight),
                   UNIT_TEST(test_whole_day_and_boundaries),
                   UNIT_TEST(test_defect9_disallowed_days_do_nothing),
                   UNIT_TEST(test_bad_time),
                   UNIT_TEST(test_exhaustive));
}
