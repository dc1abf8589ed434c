/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"

void strbuf_grow(StrBuf *b, size_t more)
{
        size_t want, cap;

        if (more > SIZE_MAX / 2 - b->len - 1)
                abort();
        want = b->len + more + 1;
        if (want <= b->cap)
                return;
        cap = b->cap ? b->cap : 64;
        while (cap < want)
                cap *= 2;
        b->p = xreallocarray(b->p, cap, 1);
        b->p[b->len] = '\0';           /* a first allocation holds "" */
        b->cap = cap;
}

void strbuf_vprintf(StrBuf *b, const char *fmt, va_list ap)
{
        va_list aq;
        int n;

        va_copy(aq, ap);
        strbuf_reserve(b, 63);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        if (n < 0)
                abort();
        if ((size_t) n >= b->cap - b->len) {
                strbuf_reserve(b, (size_t) n);
                (void) vsnprintf(b->p + b->len, b->cap - b->len, fmt, aq);
        }
        va_end(aq);
        b->len += (size_t) n;
}

void strbuf_printf(StrBuf *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        strbuf_vprintf(b, fmt, ap);
        va_end(ap);
}

static bool unreserved(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '.' || c == '_' || c == '~';
}

void strbuf_put_pct(StrBuf *b, const char *s, const char *keep)
{
        static const char hex[] = "0123456789ABCDEF";

        strbuf_reserve(b, 0);   /* "" for an empty s too */
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                const unsigned char *run = p;
                char esc[3];

                while (*p && (unreserved(*p) || (keep && strchr(keep, *p))))
                        p++;
                if (p > run) {
                        /* a run at once: ids and most values are all plain */
                        strbuf_putn(b, (const char *) run, (size_t) (p - run));
                        continue;
                }
                esc[0] = '%';
                esc[1] = hex[*p >> 4];
                esc[2] = hex[*p & 0xf];
                strbuf_putn(b, esc, 3);
                p++;
        }
}

char *pct_encode(const char *s, const char *keep)
{
        StrBuf b = {};

        strbuf_put_pct(&b, s, keep);
        return strbuf_steal(&b, NULL);
}

char *strbuf_steal(StrBuf *b, size_t *ret_len)
{
        char *p;

        strbuf_reserve(b, 0);
        p = b->p;
        if (ret_len)
                *ret_len = b->len;
        *b = (StrBuf) {};
        return p;
}

void strbuf_done(StrBuf *b)
{
        free(b->p);
        *b = (StrBuf) {};
}
