/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "common/addr.h"
#include "common/xalloc.h"
#include "engine/static_dst.h"

#define ERR_TEXT_MAX 64

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Printable copy of a bad entry for messages: at most ERR_TEXT_MAX bytes,
 * control characters and NUL as '?'. */
static char *err_text(const char *s, size_t n)
{
        bool cut = n > ERR_TEXT_MAX;
        char *t;

        if (cut)
                n = ERR_TEXT_MAX;
        t = xmalloc(n + 4);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) s[i];
                t[i] = (c < 0x20 || c == 0x7f) ? '?' : (char) c;
        }
        if (cut)
                memcpy(t + n, "...", 4);
        else
                t[n] = '\0';
        return t;
}

/* For "a.b.c.d/len" with host bits set: the network the operator may have
 * meant, or "" when it cannot be worked out. */
static void network_hint(const char *entry, char *buf, size_t len)
{
        const char *slash = strchr(entry, '/');
        char addr[ADDR_STR_MAX];
        AddrNet a;
        unsigned max, prefix;
        size_t n;

        buf[0] = '\0';
        if (!slash)
                return;
        n = (size_t) (slash - entry);
        if (n >= sizeof(addr))
                return;
        memcpy(addr, entry, n);
        addr[n] = '\0';
        if (addr_parse(addr, &a) < 0)
                return;
        prefix = (unsigned) strtoul(slash + 1, NULL, 10);
        max = a.family == AF_INET ? 32 : 128;
        if (prefix > max)
                return;                 /* e.g. IPv4-mapped IPv6 with a /120 */
        for (unsigned bit = prefix; bit < max; bit++)
                a.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
        a.prefix = prefix;
        addr_format(&a, buf, len);
}

static void add_error(StaticDstList *l, unsigned line, int r, const char *s, size_t n)
{
        StaticDstError *e;
        char hint[ADDR_STR_MAX];

        l->errors = xreallocarray(l->errors, l->n_errors + 1, sizeof(*l->errors));
        e = &l->errors[l->n_errors++];
        e->line = line;
        e->r = r;
        e->text = err_text(s, n);
        switch (r) {
        case -E2BIG:
                e->message = xasprintf("line longer than %u bytes", STATIC_DST_MAX_LINE);
                break;
        case -EDOM:
                network_hint(e->text, hint, sizeof(hint));
                if (hint[0])
                        e->message = xasprintf("'%s': host bits set below the prefix (the network is %s)",
                                               e->text, hint);
                else
                        e->message = xasprintf("'%s': host bits set below the prefix", e->text);
                break;
        default:
                e->message = xasprintf("'%s': not an IP address or CIDR network", e->text);
                break;
        }
}

/* ---- sets of strings: sorted index for membership and duplicates -------- */

typedef struct KeyIdx {
        const char *key;
        size_t idx;
} KeyIdx;

static int keyidx_cmp(const void *a, const void *b)
{
        const KeyIdx *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        if (c)
                return c;
        return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int key_cmp(const void *k, const void *b)
{
        return strcmp((const char *) k, ((const KeyIdx *) b)->key);
}

/* Sorted (key, index) pairs; dup[i] (when dup is not NULL) tells whether
 * keys[i] appeared at a lower index already. */
static KeyIdx *index_keys(char *const *keys, size_t n, bool *dup)
{
        KeyIdx *ki = xnew(KeyIdx, n ? n : 1);

        for (size_t i = 0; i < n; i++)
                ki[i] = (KeyIdx) { keys[i], i };
        qsort(ki, n, sizeof(*ki), keyidx_cmp);
        if (dup)
                for (size_t i = 1; i < n; i++)
                        if (strcmp(ki[i - 1].key, ki[i].key) == 0)
                                dup[ki[i].idx] = true;
        return ki;
}

static bool index_has(const KeyIdx *ki, size_t n, const char *key)
{
        return n > 0 && bsearch(key, ki, n, sizeof(*ki), key_cmp) != NULL;
}

/* ---- parse ------------------------------------------------------------- */

int static_dst_parse(const char *text, size_t len, StaticDstList **ret)
{
        StaticDstList *l;
        char **canon = NULL;
        size_t n_canon = 0;
        unsigned lineno = 0;
        const char *p = text, *end = text + len;

        if ((!text && len) || !ret)
                return -EINVAL;
        l = xnew(StaticDstList, 1);

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t) (end - p));
                const char *s = p, *e = eol ? eol : end, *hash;
                char buf[STATIC_DST_MAX_LINE + 1];
                AddrNet a;
                size_t n;
                int r;

                lineno++;
                p = eol ? eol + 1 : end;

                hash = memchr(s, '#', (size_t) (e - s));
                if (hash)
                        e = hash;
                while (s < e && is_space(*s))
                        s++;
                while (e > s && is_space(e[-1]))
                        e--;
                n = (size_t) (e - s);
                if (n == 0)
                        continue;
                if (n > STATIC_DST_MAX_LINE) {
                        add_error(l, lineno, -E2BIG, s, n);
                        continue;
                }
                if (memchr(s, '\0', n)) {
                        add_error(l, lineno, -EINVAL, s, n);
                        continue;
                }
                memcpy(buf, s, n);
                buf[n] = '\0';
                r = addr_parse(buf, &a);        /* inner blanks: -EINVAL */
                if (r < 0) {
                        add_error(l, lineno, r == -EDOM ? -EDOM : -EINVAL, s, n);
                        continue;
                }
                canon = xreallocarray(canon, n_canon + 1, sizeof(*canon));
                canon[n_canon] = xmalloc(ADDR_STR_MAX);
                addr_format(&a, canon[n_canon], ADDR_STR_MAX);
                n_canon++;
        }

        /* Collapse duplicates, keeping the first of each. */
        if (n_canon > 0) {
                bool *dup = xnew(bool, n_canon);
                free(index_keys(canon, n_canon, dup));
                l->entries = xnew(char *, n_canon);
                for (size_t i = 0; i < n_canon; i++) {
                        if (dup[i])
                                free(canon[i]);
                        else
                                l->entries[l->n_entries++] = canon[i];
                }
                free(dup);
        }
        free(canon);
        *ret = l;
        return 0;
}

StaticDstList *static_dst_list_free(StaticDstList *l)
{
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n_entries; i++)
                free(l->entries[i]);
        free(l->entries);
        for (size_t i = 0; i < l->n_errors; i++) {
                free(l->errors[i].text);
                free(l->errors[i].message);
        }
        free(l->errors);
        free(l);
        return NULL;
}

/* ---- diff -------------------------------------------------------------- */

/* Canonical text of s, or a copy of s when it does not parse: a string that
 * does not parse can never equal a canonical form, which always does. */
static char *canonical_key(const char *s)
{
        char buf[STATIC_DST_MAX_LINE + 1];
        const char *b = s, *e = s + strlen(s);
        AddrNet a;
        size_t n;

        while (b < e && is_space(*b))
                b++;
        while (e > b && is_space(e[-1]))
                e--;
        n = (size_t) (e - b);
        if (n > 0 && n <= STATIC_DST_MAX_LINE) {
                memcpy(buf, b, n);
                buf[n] = '\0';
                if (addr_parse(buf, &a) == 0) {
                        char *c = xmalloc(ADDR_STR_MAX);
                        addr_format(&a, c, ADDR_STR_MAX);
                        return c;
                }
        }
        return xstrdup(s);
}

int static_dst_diff(const char *const *desired, size_t n_desired,
                    const char *const *applied, size_t n_applied, StaticDstDiff *ret)
{
        char **dk, **ak;
        bool *ddup, *adup;
        KeyIdx *di, *ai;
        StaticDstDiff d = { 0 };

        if ((!desired && n_desired) || (!applied && n_applied) || !ret)
                return -EINVAL;
        for (size_t i = 0; i < n_desired; i++)
                if (!desired[i])
                        return -EINVAL;
        for (size_t i = 0; i < n_applied; i++)
                if (!applied[i])
                        return -EINVAL;

        dk = xnew(char *, n_desired ? n_desired : 1);
        ak = xnew(char *, n_applied ? n_applied : 1);
        ddup = xnew(bool, n_desired ? n_desired : 1);
        adup = xnew(bool, n_applied ? n_applied : 1);
        for (size_t i = 0; i < n_desired; i++)
                dk[i] = canonical_key(desired[i]);
        for (size_t i = 0; i < n_applied; i++)
                ak[i] = canonical_key(applied[i]);
        di = index_keys(dk, n_desired, ddup);
        ai = index_keys(ak, n_applied, NULL);
        /* Applied duplicates by their stored text: each spelling of a
         * network that is stored is removed, each stored string once. */
        free(index_keys((char *const *) applied, n_applied, adup));

        d.add = xnew(char *, n_desired ? n_desired : 1);
        d.remove = xnew(char *, n_applied ? n_applied : 1);
        for (size_t i = 0; i < n_desired; i++)
                if (!ddup[i] && !index_has(ai, n_applied, dk[i]))
                        d.add[d.n_add++] = xstrdup(dk[i]);
        for (size_t i = 0; i < n_applied; i++)
                if (!adup[i] && !index_has(di, n_desired, ak[i]))
                        d.remove[d.n_remove++] = xstrdup(applied[i]);

        for (size_t i = 0; i < n_desired; i++)
                free(dk[i]);
        for (size_t i = 0; i < n_applied; i++)
                free(ak[i]);
        free(dk);
        free(ak);
        free(ddup);
        free(adup);
        free(di);
        free(ai);
        *ret = d;
        return 0;
}

void static_dst_diff_done(StaticDstDiff *d)
{
        if (!d)
                return;
        for (size_t i = 0; i < d->n_add; i++)
                free(d->add[i]);
        for (size_t i = 0; i < d->n_remove; i++)
                free(d->remove[i]);
        free(d->add);
        free(d->remove);
        *d = (StaticDstDiff) { 0 };
}
