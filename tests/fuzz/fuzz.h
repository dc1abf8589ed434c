/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shared by the libFuzzer targets in tests/fuzz/ (tests/fuzz/README.md).
 * Each target defines LLVMFuzzerTestOneInput(); it is linked either with
 * libFuzzer (--enable-fuzzing, clang) or with replay.c, which runs it on
 * the corpus files under `make check`. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the parser promises: abort() so that the sanitizers and
 * libFuzzer report the input, unlike assert(), which NDEBUG would drop. */
#define FUZZ_CHECK(expr)                                                        \
        do {                                                                    \
                if (!(expr)) {                                                  \
                        fprintf(stderr, "%s:%d: %s: invariant failed: %s\n",    \
                                __FILE__, __LINE__, __func__, #expr);           \
                        abort();                                                \
                }                                                               \
        } while (0)

/* A NUL-terminated copy in a buffer of exactly size + 1 bytes, so that
 * AddressSanitizer sees any read past the end. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (!s)
                abort();
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

static inline int fuzz_streq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}
