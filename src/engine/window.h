/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The block window of VAR (BLOCK_DAYS, BLOCK_START_TIME, BLOCK_END_TIME;
 * vectra.md §1.1, §2.11) with the intended semantics, not upstream's loop
 * (§10 defect 9):
 *
 *   - act only on an allowed day AND inside the window; on a day that is
 *     not allowed nothing happens (upstream acted there without a window);
 *   - the window runs from start:00 for (end - start) mod 24 hours, 24 when
 *     start == end: 8/17 is 08:00-17:00 the same day (upstream: 33 hours),
 *     22/6 is 22:00-06:00, 0/0 (or either unset) the whole day;
 *   - the end hour is exclusive (17 means until 16:59:59);
 *   - a window that crosses midnight belongs to the day it starts on:
 *     with Friday allowed and 22/6, Friday 23:00 and Saturday 05:00 are in,
 *     Friday 05:00 is not (that is Thursday's window).
 *
 * Pure: the caller passes the local broken-down time (localtime_r). */

#define WINDOW_HOUR_UNSET (-1)          /* BLOCK_START_TIME / BLOCK_END_TIME = "" */

typedef struct Window {
        uint8_t days;                   /* bit d set = tm_wday d allowed (0 = Sunday) */
        int start_hour;                 /* 0..23 */
        int end_hour;                   /* 0..23; == start_hour: 24 hours */
} Window;

#define WINDOW_DAY_BIT(wday) ((uint8_t) (1u << (wday)))
#define WINDOW_ALL_DAYS ((uint8_t) 0x7f)
#define WINDOW_WEEKDAYS ((uint8_t) 0x3e)        /* Monday .. Friday */
#define WINDOW_WEEKEND ((uint8_t) 0x41)         /* Saturday, Sunday */

/* Parses BLOCK_DAYS.  Entries, case-insensitive: "week", "weekday",
 * "weekend", "monday" .. "sunday".  As upstream, a keyword overrides the
 * rest of the list with the precedence week > weekday > weekend (so
 * ["weekday", "saturday"] is Monday to Friday); an empty list is every
 * day.  Every entry is validated, overridden or not: -EINVAL for an
 * unknown or NULL entry, with its index in *ret_bad (may be NULL).
 * *ret_overridden (may be NULL) counts the entries a keyword made
 * irrelevant, so that the caller can warn about them. */
int window_days_parse(const char *const *names, size_t n, uint8_t *ret_days, size_t *ret_bad,
                      size_t *ret_overridden);

/* Builds a window.  start/end 0..23, or WINDOW_HOUR_UNSET for either one
 * meaning the whole day (as upstream, which logs "Either a start or end
 * time was not provided. Handling as full time.").  -ERANGE for an hour
 * outside 0..23, -EINVAL for days == 0 or a NULL window. */
int window_init(Window *ret, uint8_t days, int start_hour, int end_hour);

/* Length of the window in hours, 1..24. */
unsigned window_hours(const Window *w);

/* Whether automated action is allowed at local time *local_now (tm_wday and
 * tm_hour are read; out-of-range fields give false). */
bool window_allows(const Window *w, const struct tm *local_now);

/* "monday" .. "sunday" for tm_wday 1..6, 0; NULL otherwise. */
const char *window_day_to_string(int wday);
