/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "common/xalloc.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int addr_parse(const char *s, AddrNet *ret)
{
        char buf[ADDR_STR_MAX];
        const char *slash;
        AddrNet a = { 0 };
        unsigned max, prefix;
        size_t n;

        if (!s)
                return -EINVAL;
        slash = strchr(s, '/');
        n = slash ? (size_t) (slash - s) : strlen(s);
        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';

        if (inet_pton(AF_INET, buf, a.bytes) == 1) {
                a.family = AF_INET;
                max = 32;
        } else if (inet_pton(AF_INET6, buf, a.bytes) == 1) {
                a.family = AF_INET6;
                max = 128;
        } else
                return -EINVAL;

        prefix = max;
        if (slash) {
                const char *p = slash + 1;
                char *end;
                unsigned long v;

                if (!isdigit((unsigned char) *p) || (p[0] == '0' && p[1]))
                        return -EINVAL;
                errno = 0;
                v = strtoul(p, &end, 10);
                if (errno || *end || v > max)
                        return -EINVAL;
                prefix = (unsigned) v;
        }

        if (a.family == AF_INET6 && memcmp(a.bytes, v4mapped, 12) == 0 && prefix >= 96) {
                memmove(a.bytes, a.bytes + 12, 4);
                memset(a.bytes + 4, 0, 12);
                a.family = AF_INET;
                prefix -= 96;
                max = 32;
        }
        a.prefix = prefix;

        for (unsigned bit = prefix; bit < max; bit++)
                if (a.bytes[bit / 8] & (0x80 >> (bit % 8)))
                        return -EDOM;
        *ret = a;
        return 0;
}

void addr_format(const AddrNet *a, char *buf, size_t len)
{
        char ip[INET6_ADDRSTRLEN];
        unsigned max = a->family == AF_INET ? 32 : 128;

        if (!inet_ntop(a->family, a->bytes, ip, sizeof(ip))) {
                if (len)
                        buf[0] = '\0';
                return;
        }
        if (a->prefix == max)
                snprintf(buf, len, "%s", ip);
        else
                snprintf(buf, len, "%s/%u", ip, a->prefix);
}

bool addr_is_host(const AddrNet *a)
{
        return a->prefix == (a->family == AF_INET ? 32u : 128u);
}

bool addr_contains(const AddrNet *net, const AddrNet *a)
{
        if (net->family != a->family || a->prefix < net->prefix)
                return false;
        for (unsigned bit = 0; bit < net->prefix; bit++) {
                uint8_t m = (uint8_t) (0x80 >> (bit % 8));
                if ((net->bytes[bit / 8] & m) != (a->bytes[bit / 8] & m))
                        return false;
        }
        return true;
}

int hostname_normalize(const char *s, char **ret)
{
        size_t n, label = 0;
        char *d;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n > 0 && s[n - 1] == '.')
                n--;
        if (n == 0 || n > 253)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c == '.') {
                        if (label == 0 || s[i - 1] == '-')
                                return -EINVAL;
                        label = 0;
                        continue;
                }
                if (!isalnum(c) && c != '-' && c != '_')
                        return -EINVAL;
                if (c == '-' && label == 0)
                        return -EINVAL;
                if (++label > 63)
                        return -EINVAL;
        }
        /* an empty last label ("a.." less its one trailing dot) or a '-' ends it */
        if (label == 0 || s[n - 1] == '-')
                return -EINVAL;
        /* a dotted all-numeric name is a malformed IP, not a host name */
        if (strspn(s, "0123456789.") >= n)
                return -EINVAL;
        d = xstrndup(s, n);
        for (char *p = d; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        *ret = d;
        return 0;
}

bool domain_matches(const char *domain, const char *name)
{
        size_t dl = strlen(domain), nl = strlen(name);

        if (nl < dl)
                return false;
        if (strcmp(name + nl - dl, domain) != 0)
                return false;
        return nl == dl || name[nl - dl - 1] == '.';
}
