/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"

static void oom(void)
{
        fputs("secresp: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
        void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
        if (size && nmemb > (size_t) -1 / size)
                oom();
        p = realloc(p, nmemb * size > 0 ? nmemb * size : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s)
{
        char *d = strdup(s);
        if (!d)
                oom();
        return d;
}

char *xstrndup(const char *s, size_t n)
{
        char *d = strndup(s, n);
        if (!d)
                oom();
        return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
        char *s;
        if (vasprintf(&s, fmt, ap) < 0)
                oom();
        return s;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;
        va_start(ap, fmt);
        s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}
