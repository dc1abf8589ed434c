/* SPDX-License-Identifier: MIT */
#pragma once
/* A growable NUL-terminated string, for the printers and the request and
 * query builders.  The room test is inline and the growth out of line: the
 * CTIM printer puts a byte at a time on the relays' hot path.  Out of
 * memory aborts, as xmalloc. */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

typedef struct StrBuf {
        char *p;                /* NULL until the first byte; then always NUL-terminated */
        size_t len, cap;
} StrBuf;

/* Room for `more` bytes and the NUL, at least doubling. */
void strbuf_grow(StrBuf *b, size_t more);

static inline void strbuf_reserve(StrBuf *b, size_t more)
{
        if (more >= b->cap - b->len)    /* cap >= len + 1 once allocated; 0 - 0 before */
                strbuf_grow(b, more);
}

static inline void strbuf_putn(StrBuf *b, const char *s, size_t n)
{
        strbuf_reserve(b, n);
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

static inline void strbuf_puts(StrBuf *b, const char *s)
{
        strbuf_putn(b, s, strlen(s));
}

static inline void strbuf_putc(StrBuf *b, char c)
{
        strbuf_reserve(b, 1);
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
}

void strbuf_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(StrBuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Percent-encodes every byte of s but the RFC 3986 unreserved characters
 * (ALPHA DIGIT - . _ ~) and those in `keep` (NULL: none); upper-case hex. */
void strbuf_put_pct(StrBuf *b, const char *s, const char *keep);
/* The same into a new string. */
char *pct_encode(const char *s, const char *keep);

/* The string, owned by the caller ("" for an empty buffer); the buffer is
 * empty again.  ret_len may be NULL. */
char *strbuf_steal(StrBuf *b, size_t *ret_len);
/* Frees the string; the buffer is empty again. */
void strbuf_done(StrBuf *b);
