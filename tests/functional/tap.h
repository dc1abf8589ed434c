/* SPDX-License-Identifier: MIT */
#pragma once
/* TAP output for the C functional test drivers: ok() prints one test
 * point, diag() a comment; the drivers end with `return tap_failed ? 1 : 0`
 * after printing the plan "1..tap_n".  Not thread-safe: httpd_test, which
 * reports from threads, keeps its own locked copy. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static unsigned tap_n, tap_failed;
static const char *tap_prefix = "";    /* put before every description (a second pass) */

static bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool ok(bool cond, const char *fmt, ...)
{
        va_list ap;

        tap_n++;
        printf("%s %u - %s", cond ? "ok" : "not ok", tap_n, tap_prefix);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (!cond)
                tap_failed++;
        fflush(stdout);
        return cond;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
        va_list ap;

        fputs("# ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

#define is_int(got, want, ...)                                                          \
        do {                                                                            \
                long long _g = (long long) (got), _w = (long long) (want);              \
                if (!ok(_g == _w, __VA_ARGS__))                                         \
                        diag("  got %lld, want %lld", _g, _w);                          \
        } while (0)

#define is_str(got, want, ...)                                                          \
        do {                                                                            \
                const char *_g = (got), *_w = (want);                                   \
                if (!ok(_g && _w && strcmp(_g, _w) == 0, __VA_ARGS__))                  \
                        diag("  got '%s', want '%s'", _g ? _g : "(null)", _w ? _w : "(null)"); \
        } while (0)
