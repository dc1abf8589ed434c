/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>

/* Allocators that abort on OOM: a security daemon that cannot allocate
 * has no sane way to go on, and NULL checks everywhere hide real bugs. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#define xnew(T, n) ((T *) xcalloc((n), sizeof(T)))

static inline void freep(void *p) { free(*(void **) p); }
#define _cleanup_free_ __attribute__((cleanup(freep)))
