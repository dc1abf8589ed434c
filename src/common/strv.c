/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "common/xalloc.h"

void strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

size_t strv_length(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

bool strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (!strcmp(v[i], s))
                        return true;
        return false;
}

char **strv_push(char **v, const char *s)
{
        size_t n = strv_length(v);
        v = xreallocarray(v, n + 2, sizeof(char *));
        v[n] = xstrdup(s);
        v[n + 1] = NULL;
        return v;
}

char **strv_copy(const char *const *v)
{
        size_t n = strv_length((char *const *) v);
        char **c;

        if (!v)
                return NULL;
        c = xnew(char *, n + 1);
        for (size_t i = 0; i < n; i++)
                c[i] = xstrdup(v[i]);
        return c;
}
