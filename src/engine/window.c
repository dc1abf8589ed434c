/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <strings.h>
#include "engine/window.h"

/* Indexed by tm_wday. */
static const char *const day_names[7] = {
        "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
};

const char *window_day_to_string(int wday)
{
        return wday >= 0 && wday < 7 ? day_names[wday] : NULL;
}

enum {
        KW_WEEKEND = 1 << 0,
        KW_WEEKDAY = 1 << 1,
        KW_WEEK = 1 << 2,
};

int window_days_parse(const char *const *names, size_t n, uint8_t *ret_days, size_t *ret_bad,
                      size_t *ret_overridden)
{
        uint8_t named = 0, days;
        unsigned keywords = 0;
        size_t n_named = 0, n_kw = 0, overridden;

        if (!ret_days || (n > 0 && !names))
                return -EINVAL;

        for (size_t i = 0; i < n; i++) {
                const char *s = names[i];
                int d = -1;

                if (s && strcasecmp(s, "week") == 0)
                        keywords |= KW_WEEK;
                else if (s && strcasecmp(s, "weekday") == 0)
                        keywords |= KW_WEEKDAY;
                else if (s && strcasecmp(s, "weekend") == 0)
                        keywords |= KW_WEEKEND;
                else {
                        for (int j = 0; s && j < 7; j++)
                                if (strcasecmp(s, day_names[j]) == 0)
                                        d = j;
                        if (d < 0) {
                                if (ret_bad)
                                        *ret_bad = i;
                                return -EINVAL;
                        }
                        named |= WINDOW_DAY_BIT(d);
                        n_named++;
                        continue;
                }
                n_kw++;
        }

        /* Upstream's precedence: the strongest keyword alone decides. */
        if (n == 0 || (keywords & KW_WEEK))
                days = WINDOW_ALL_DAYS;
        else if (keywords & KW_WEEKDAY)
                days = WINDOW_WEEKDAYS;
        else if (keywords & KW_WEEKEND)
                days = WINDOW_WEEKEND;
        else
                days = named;

        /* Everything but the entries naming the deciding keyword. */
        if (keywords == 0)
                overridden = 0;
        else {
                size_t deciding = 0;
                unsigned top = keywords & KW_WEEK ? KW_WEEK : keywords & KW_WEEKDAY ? KW_WEEKDAY : KW_WEEKEND;
                const char *kw = top == KW_WEEK ? "week" : top == KW_WEEKDAY ? "weekday" : "weekend";

                for (size_t i = 0; i < n; i++)
                        if (strcasecmp(names[i], kw) == 0)
                                deciding++;
                overridden = n_named + n_kw - deciding;
        }

        *ret_days = days;
        if (ret_overridden)
                *ret_overridden = overridden;
        return 0;
}

int window_init(Window *ret, uint8_t days, int start_hour, int end_hour)
{
        if (!ret || (days & WINDOW_ALL_DAYS) == 0)
                return -EINVAL;
        if (start_hour == WINDOW_HOUR_UNSET || end_hour == WINDOW_HOUR_UNSET)
                start_hour = end_hour = 0;
        if (start_hour < 0 || start_hour > 23 || end_hour < 0 || end_hour > 23)
                return -ERANGE;
        *ret = (Window) {
                .days = days & WINDOW_ALL_DAYS,
                .start_hour = start_hour,
                .end_hour = end_hour,
        };
        return 0;
}

unsigned window_hours(const Window *w)
{
        unsigned len = (unsigned) ((w->end_hour - w->start_hour + 24) % 24);

        return len ? len : 24;
}

bool window_allows(const Window *w, const struct tm *local_now)
{
        int wday, since_start;

        if (!w || !local_now)
                return false;
        if (local_now->tm_wday < 0 || local_now->tm_wday > 6 || local_now->tm_hour < 0 ||
            local_now->tm_hour > 23)
                return false;
        if (w->start_hour < 0 || w->start_hour > 23 || w->end_hour < 0 || w->end_hour > 23)
                return false;

        /* The window that may contain now started at the last start_hour:
         * today's if that hour has come, else yesterday's. */
        wday = local_now->tm_wday;
        if (local_now->tm_hour < w->start_hour)
                wday = (wday + 6) % 7;
        since_start = (local_now->tm_hour - w->start_hour + 24) % 24;

        return (w->days & WINDOW_DAY_BIT(wday)) && (unsigned) since_start < window_hours(w);
}
