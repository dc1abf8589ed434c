/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "common/addr.h"
#include "common/duration.h"
#include "common/retry.h"
#include "common/xalloc.h"
#include "engine/whitelist.h"
#include "tests/fuzz/fuzz.h"

/* The value parsers, each on the input as one string (up to its first
 * NUL), and the ones that compare two values on the two strings around the
 * first NUL.  Invariants:
 *   duration_parse   parse(format(v)) == v, format is a fixed point, a
 *                    truncated format is a prefix of the whole one;
 *   addr_parse       parse(format(a)) == a, a contains itself;
 *   hostname_normalize and wl_normalize (every kind)
 *                    idempotent: normalize(normalize(v)) == normalize(v),
 *                    and an entry covers itself;
 *   wl_covers        agrees with addr_contains / domain_matches;
 *   retry_after_parse
 *                    whole seconds, the same for any now when delay-seconds;
 *                    the next delay never exceeds the policy's cap. */

static bool addr_equal(const AddrNet *a, const AddrNet *b)
{
        return a->family == b->family && a->prefix == b->prefix && memcmp(a->bytes, b->bytes, 16) == 0;
}

static void check_duration(const char *s)
{
        uint64_t v, v2;
        char buf[64], buf2[64];
        size_t n;
        int r;

        r = duration_parse(s, &v);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r < 0)
                return;
        FUZZ_CHECK(v <= DURATION_MAX_SEC);
        duration_format(v, buf, sizeof(buf));
        n = strlen(buf);
        FUZZ_CHECK(n > 0 && n < sizeof(buf) - 1);
        FUZZ_CHECK(duration_parse(buf, &v2) == 0 && v2 == v);
        duration_format(v2, buf2, sizeof(buf2));
        FUZZ_CHECK(strcmp(buf, buf2) == 0);

        /* into every shorter buffer, each exactly that long */
        for (size_t len = 1; len <= n; len++) {
                char *small = xmalloc(len);
                duration_format(v, small, len);
                FUZZ_CHECK(memchr(small, '\0', len));
                FUZZ_CHECK(strncmp(small, buf, strlen(small)) == 0);
                free(small);
        }
}

static void check_addr(const char *s)
{
        char buf[ADDR_STR_MAX];
        AddrNet a, b;
        int r;

        r = addr_parse(s, &a);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -EDOM);
        if (r < 0)
                return;
        FUZZ_CHECK(a.family == AF_INET || a.family == AF_INET6);
        FUZZ_CHECK(a.prefix <= (a.family == AF_INET ? 32u : 128u));
        addr_format(&a, buf, sizeof(buf));
        FUZZ_CHECK(buf[0]);
        if (addr_parse(buf, &b) != 0 || !addr_equal(&a, &b)) {
                fprintf(stderr, "addr: \"%s\" formats as \"%s\", which parses differently\n", s, buf);
                abort();
        }
        FUZZ_CHECK(addr_contains(&a, &a));
        FUZZ_CHECK(addr_is_host(&a) == !strchr(buf, '/'));
}

static void check_hostname(const char *s)
{
        _cleanup_free_ char *n = NULL, *n2 = NULL;
        size_t len;

        if (hostname_normalize(s, &n) < 0)
                return;
        len = strlen(n);
        FUZZ_CHECK(len > 0 && len <= 253 && n[len - 1] != '.');
        for (const char *p = n; *p; p++)
                FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
        FUZZ_CHECK(hostname_normalize(n, &n2) == 0 && strcmp(n, n2) == 0);
        FUZZ_CHECK(domain_matches(n, n));
}

/* Returns the normalised value of kind k, or NULL. */
static char *check_wl(WlKind k, const char *s)
{
        char *v = NULL, *v2 = NULL;
        const char *why = NULL;
        AddrNet a;
        int r;

        r = wl_normalize(k, s, &v, &why);
        if (r < 0) {
                FUZZ_CHECK(r == -EINVAL && why && why[0]);
                return NULL;
        }
        FUZZ_CHECK(r == 0 && v);
        FUZZ_CHECK(strlen(v) <= WL_VALUE_MAX);
        r = wl_normalize(k, v, &v2, &why);
        if (r < 0 || strcmp(v, v2) != 0) {
                fprintf(stderr, "wl_normalize(%s): \"%s\" -> \"%s\" -> %s\"%s\"\n", wl_kind_to_string(k), s, v,
                        r < 0 ? "error " : "", r < 0 ? why : v2);
                abort();
        }
        free(v2);
        FUZZ_CHECK(wl_covers(k, v, v));
        /* an address or network is canonical */
        if ((k == WL_HOST || k == WL_DESTINATION) && addr_parse(v, &a) == 0) {
                char buf[ADDR_STR_MAX];
                addr_format(&a, buf, sizeof(buf));
                FUZZ_CHECK(strcmp(buf, v) == 0);
        }
        return v;
}

static void check_covers(WlKind k, const char *e, const char *c)
{
        AddrNet ea, ca;
        bool covers = wl_covers(k, e, c);
        bool e_addr = addr_parse(e, &ea) == 0, c_addr = addr_parse(c, &ca) == 0;

        if (k == WL_USER || k == WL_ACCOUNT) {
                FUZZ_CHECK(covers == (strcmp(e, c) == 0));
                return;
        }
        if (e_addr && c_addr)
                FUZZ_CHECK(covers == addr_contains(&ea, &ca));
        else if (e_addr || c_addr)
                FUZZ_CHECK(!covers);
        else if (k == WL_HOST)
                FUZZ_CHECK(covers == (strcmp(e, c) == 0));
        else
                FUZZ_CHECK(covers == domain_matches(e, c));
}

static void check_retry_after(const char *s, uint32_t random)
{
        static const time_t nows[] = { 0, 784111777, 1700000000, 4102444800 };
        const RetryPolicy p = RETRY_POLICY_DEFAULT;
        uint64_t ms, first = 0;
        int r, first_r = 0;

        for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
                r = retry_after_parse(s, nows[i], &ms);
                FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ERANGE);
                if (r == 0)
                        FUZZ_CHECK(ms % 1000 == 0);
                if (i == 0) {
                        first_r = r;
                        first = ms;
                } else if (r == 0 && first_r == 0) {
                        /* delay-seconds do not depend on the clock */
                        const char *t = s + strspn(s, " \t");
                        if (*t >= '0' && *t <= '9')
                                FUZZ_CHECK(ms == first);
                }
                for (unsigned attempt = 0; attempt <= 5; attempt++)
                        FUZZ_CHECK(retry_next_delay_ms(&p, attempt, random, 429, s, nows[i]) <= p.max_ms);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_strndup(data, size);
        const char *second = NULL;
        uint32_t random = 0;
        WlKind k;

        if (strlen(s) < size)
                second = s + strlen(s) + 1;
        for (size_t i = 0; i < size; i++)
                random = random * 31 + data[i];

        check_duration(s);
        check_addr(s);
        check_hostname(s);
        check_retry_after(s, random);

        k = wl_kind_from_string(s);
        if (k != _WL_KIND_INVALID)
                FUZZ_CHECK(fuzz_streq(wl_kind_to_string(k), s));
        FUZZ_CHECK(wl_kind_to_string(_WL_KIND_MAX) == NULL);
        FUZZ_CHECK(wl_normalize(_WL_KIND_MAX, s, &(char *) { NULL }, &(const char *) { NULL }) == -EINVAL);

        for (k = 0; k < _WL_KIND_MAX; k++) {
                _cleanup_free_ char *v = check_wl(k, s), *v2 = NULL;

                if (!second)
                        continue;
                v2 = check_wl(k, second);
                if (v && v2) {
                        check_covers(k, v, v2);
                        check_covers(k, v2, v);
                }
        }
        return 0;
}
