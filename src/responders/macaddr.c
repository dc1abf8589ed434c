/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "common/strv.h"
#include "responders/macaddr.h"

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = tolower(c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int mac_normalize(const char *in, MacStyle style, char out[MAC_STR_MAX])
{
        static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
        unsigned char b[6];
        size_t n = 0, len;
        char sep = 0;
        const char *p, *end;

        if (!in)
                return -EINVAL;
        while (*in == ' ' || *in == '\t')
                in++;
        len = strlen(in);
        while (len > 0 && (in[len - 1] == ' ' || in[len - 1] == '\t'))
                len--;
        end = in + len;
        /* three forms: 6 pairs with one separator kind, 3 dotted quads, or 12 digits */
        if (len == 17) {
                sep = in[2];
                if (sep != ':' && sep != '-')
                        return -EINVAL;
                for (size_t i = 0; i < 6; i++) {
                        int hi = hexval(in[i * 3]), lo = hexval(in[i * 3 + 1]);
                        if (hi < 0 || lo < 0 || (i < 5 && in[i * 3 + 2] != sep))
                                return -EINVAL;
                        b[i] = (unsigned char) (hi << 4 | lo);
                }
                n = 6;
        } else if (len == 14 || len == 12) {
                int digits = 0, nib[12];
                for (p = in; p < end; p++) {
                        int v;
                        if (len == 14 && (p - in == 4 || p - in == 9)) {
                                if (*p != '.')
                                        return -EINVAL;
                                continue;
                        }
                        v = hexval((unsigned char) *p);
                        if (v < 0 || digits >= 12)
                                return -EINVAL;
                        nib[digits++] = v;
                }
                if (digits != 12)
                        return -EINVAL;
                for (size_t i = 0; i < 6; i++)
                        b[i] = (unsigned char) (nib[2 * i] << 4 | nib[2 * i + 1]);
                n = 6;
        }
        if (n != 6)
                return -EINVAL;

        const char *digitset = style == MAC_UPPER_COLON ? upper : lower;
        char *o = out;
        for (size_t i = 0; i < 6; i++) {
                if (i && style != MAC_LOWER_PLAIN)
                        *o++ = ':';
                *o++ = digitset[b[i] >> 4];
                *o++ = digitset[b[i] & 15];
        }
        *o = '\0';
        return 0;
}

bool mac_set_add(char ***set, const char *in, MacStyle style)
{
        char m[MAC_STR_MAX];

        if (mac_normalize(in, style, m) < 0 || strv_contains(*set, m))
                return false;
        *set = strv_push(*set, m);
        return true;
}
