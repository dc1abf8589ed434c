/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "common/duration.h"

static const struct {
        char unit;
        uint64_t sec;
} units[] = {
        { 'w', 7 * 86400 }, { 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
};

int duration_parse(const char *s, uint64_t *ret_sec)
{
        uint64_t total = 0;
        int last_unit = -1;
        bool any = false;

        if (!s)
                return -EINVAL;
        for (;;) {
                uint64_t n = 0;
                bool digits = false;
                int u = -1;

                while (*s == ' ')
                        s++;
                if (!*s)
                        break;
                while (isdigit((unsigned char) *s)) {
                        if (n > DURATION_MAX_SEC)
                                return -ERANGE;
                        n = n * 10 + (uint64_t) (*s - '0');
                        digits = true;
                        s++;
                }
                if (!digits)
                        return -EINVAL;
                if (*s == '\0' || *s == ' ') {
                        /* a bare number is seconds, and only alone */
                        if (any)
                                return -EINVAL;
                        while (*s == ' ')
                                s++;
                        if (*s)
                                return -EINVAL;
                        u = 4;
                } else {
                        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
                                if (*s == units[i].unit)
                                        u = (int) i;
                        if (u < 0)
                                return -EINVAL;
                        s++;
                        /* units must come largest first, each once: "1h30m", not "30m1h" */
                        if (u <= last_unit)
                                return -EINVAL;
                        if (isalpha((unsigned char) *s))
                                return -EINVAL;
                }
                if (n > DURATION_MAX_SEC / units[u].sec)
                        return -ERANGE;
                total += n * units[u].sec;
                if (total > DURATION_MAX_SEC)
                        return -ERANGE;
                last_unit = u;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret_sec = total;
        return 0;
}

void duration_format(uint64_t sec, char *buf, size_t len)
{
        size_t off = 0;

        if (len == 0)
                return;
        buf[0] = '\0';
        if (sec == 0) {
                snprintf(buf, len, "0s");
                return;
        }
        /* weeks read worse than days in expiry listings: stop at days */
        for (size_t i = 1; i < sizeof(units) / sizeof(units[0]) && off < len; i++) {
                uint64_t n = sec / units[i].sec;
                if (!n)
                        continue;
                int r = snprintf(buf + off, len - off, "%llu%c", (unsigned long long) n, units[i].unit);
                if (r < 0)
                        return;
                off += (size_t) r;
                sec -= n * units[i].sec;
        }
}
