/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "common/xalloc.h"
#include "engine/whitelist.h"

static const char *const kind_names[_WL_KIND_MAX] = {
        [WL_USER] = "user",
        [WL_HOST] = "host",
        [WL_ACCOUNT] = "account",
        [WL_DESTINATION] = "destination",
};

WlKind wl_kind_from_string(const char *s)
{
        for (int i = 0; s && i < _WL_KIND_MAX; i++)
                if (!strcmp(s, kind_names[i]))
                        return (WlKind) i;
        return _WL_KIND_INVALID;
}

const char *wl_kind_to_string(WlKind k)
{
        return k >= 0 && k < _WL_KIND_MAX ? kind_names[k] : NULL;
}

static char *trim(const char *s)
{
        size_t n;

        while (isspace((unsigned char) *s))
                s++;
        n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        return xstrndup(s, n);
}

static int name_normalize(const char *value, char **ret, const char **ret_why)
{
        char *v = trim(value);

        if (!v[0]) {
                free(v);
                *ret_why = "empty value";
                return -EINVAL;
        }
        for (const char *p = v; *p; p++)
                if (iscntrl((unsigned char) *p)) {
                        free(v);
                        *ret_why = "control characters are not allowed";
                        return -EINVAL;
                }
        *ret = v;
        return 0;
}

static int net_or_name_normalize(const char *value, const char *what, char **ret, const char **ret_why)
{
        _cleanup_free_ char *v = trim(value);
        char buf[ADDR_STR_MAX];
        AddrNet a;
        int r;

        r = addr_parse(v, &a);
        if (r == 0) {
                addr_format(&a, buf, sizeof(buf));
                *ret = xstrdup(buf);
                return 0;
        }
        if (r == -EDOM) {
                *ret_why = "network has host bits set below its prefix length";
                return -EINVAL;
        }
        if (strchr(v, '/') || strchr(v, ':')) {
                *ret_why = "not a valid IP address or network";
                return -EINVAL;
        }
        if (hostname_normalize(v, ret) < 0) {
                *ret_why = what;
                return -EINVAL;
        }
        return 0;
}

int wl_normalize(WlKind kind, const char *value, char **ret, const char **ret_why)
{
        if (!value) {
                *ret_why = "missing value";
                return -EINVAL;
        }
        if (strlen(value) > WL_VALUE_MAX) {
                *ret_why = "value is too long";
                return -EINVAL;
        }
        switch (kind) {
        case WL_USER:
        case WL_ACCOUNT:
                return name_normalize(value, ret, ret_why);
        case WL_HOST:
                return net_or_name_normalize(value, "not an IP address, network or host name", ret, ret_why);
        case WL_DESTINATION:
                return net_or_name_normalize(value, "not an IP address, network or domain", ret, ret_why);
        default:
                *ret_why = "unknown kind";
                return -EINVAL;
        }
}

bool wl_covers(WlKind kind, const char *entry, const char *candidate)
{
        AddrNet e, c;

        if (!strcmp(entry, candidate))
                return true;
        if (kind != WL_HOST && kind != WL_DESTINATION)
                return false;
        if (addr_parse(entry, &e) == 0)
                return addr_parse(candidate, &c) == 0 && addr_contains(&e, &c);
        /* a host name matches itself only; a destination domain its subdomains */
        return kind == WL_DESTINATION && domain_matches(entry, candidate);
}
