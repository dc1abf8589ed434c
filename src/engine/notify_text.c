/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "engine/notify_text.h"

#define PREFIX_MAX 16   /* "(9999/9999) " */

/* The longest prefix of s (at most max bytes) that ends at a line end, or
 * failing that at a character boundary. */
static size_t cut(const char *s, size_t len, size_t max)
{
        size_t n;

        if (len <= max)
                return len;
        for (n = max; n > 0; n--)
                if (s[n - 1] == '\n')
                        return n;
        n = max;
        /* never split a UTF-8 sequence: back up over continuation bytes */
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
                n--;
        return n ? n : max;
}

size_t notify_split(const char *text, size_t max, char ***ret)
{
        size_t len = text ? strlen(text) : 0, room, n = 0;
        char **parts = NULL;
        const char *p = text;

        *ret = NULL;
        if (len == 0 || max < 64)
                return 0;
        if (len <= max) {
                *ret = strv_push(NULL, text);
                return 1;
        }
        room = max - PREFIX_MAX;
        while (len > 0) {
                size_t k = cut(p, len, room);
                char *part = xstrndup(p, k);
                parts = strv_push(parts, part);
                free(part);
                p += k;
                len -= k;
        }
        n = strv_length(parts);
        for (size_t i = 0; i < n; i++) {
                char *x = xasprintf("(%zu/%zu) %s", i + 1, n, parts[i]);
                free(parts[i]);
                parts[i] = x;
        }
        *ret = parts;
        return n;
}
