/* SPDX-License-Identifier: MIT */
/* Inside-host selection from SNA security events (sna.md §5.2).  Pure. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "sources/sna_select.h"

const char *const sna_default_inside[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", NULL };

int sna_inside_parse(char *const *nets, AddrNet **ret, size_t *ret_n)
{
        const char *const *v = nets ? (const char *const *) nets : sna_default_inside;
        size_t n = 0;
        AddrNet *a;

        while (v[n])
                n++;
        a = xnew(AddrNet, n ? n : 1);
        for (size_t i = 0; i < n; i++)
                if (addr_parse(v[i], &a[i]) < 0) {
                        free(a);
                        return -EINVAL;
                }
        *ret = a;
        *ret_n = n;
        return 0;
}

static bool in_networks(const SnaSelectConfig *cfg, const char *ip)
{
        AddrNet a;

        if (addr_parse(ip, &a) < 0)
                return false;
        for (size_t i = 0; i < cfg->n_inside; i++)
                if (addr_contains(&cfg->inside[i], &a))
                        return true;
        return false;
}

static bool in_groups(const SnaSelectConfig *cfg, const SnaPeer *p)
{
        for (size_t i = 0; i < p->n_tag_ids; i++)
                for (size_t k = 0; k < cfg->n_inside_tags; k++)
                        if (p->tag_ids[i] == cfg->inside_tags[k])
                                return true;
        return false;
}

static bool is_inside(const SnaSelectConfig *cfg, const SnaPeer *p)
{
        switch (cfg->inside_from) {
        case SNA_INSIDE_NETWORKS:
                return in_networks(cfg, p->ip);
        case SNA_INSIDE_HOST_GROUPS:
                return in_groups(cfg, p);
        default:
                return in_networks(cfg, p->ip) || in_groups(cfg, p);
        }
}

/* A string -> index map (open addressing, FNV-1a): results can hold many
 * thousands of events, and a linear search per address would make the
 * selection quadratic. */
typedef struct Map {
        const char **keys;              /* borrowed */
        size_t *vals;
        size_t cap, n;
} Map;

static uint64_t fnv(const char *k)
{
        uint64_t h = 0xcbf29ce484222325ull;

        for (; *k; k++)
                h = (h ^ (unsigned char) *k) * 0x100000001b3ull;
        return h;
}

static size_t *map_get(const Map *m, const char *k)
{
        if (!m->cap)
                return NULL;
        for (size_t i = fnv(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
                if (!m->keys[i])
                        return NULL;
                if (!strcmp(m->keys[i], k))
                        return &m->vals[i];
        }
}

static void map_put(Map *m, const char *k, size_t v)
{
        size_t i;

        if ((m->n + 1) * 2 > m->cap) {
                Map g = { .cap = m->cap ? m->cap * 2 : 64 };
                g.keys = xnew(const char *, g.cap);
                g.vals = xnew(size_t, g.cap);
                for (size_t j = 0; j < m->cap; j++)
                        if (m->keys[j])
                                map_put(&g, m->keys[j], m->vals[j]);
                free(m->keys);
                free(m->vals);
                *m = g;
        }
        for (i = fnv(k) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
                ;
        m->keys[i] = k;
        m->vals[i] = v;
        m->n++;
}

static void map_done(Map *m)
{
        free(m->keys);
        free(m->vals);
        *m = (Map) { 0 };
}

typedef struct Sel {
        SnaSelection *s;
        size_t cap;                     /* of s->hosts */
        Map hosts;                      /* ip -> index in s->hosts */
        Map outside;                    /* ip -> 0 */
        char **outside_ips;             /* the keys of outside, owned */
        size_t n_outside_ips;
} Sel;

static void add(Sel *x, const SnaSelectConfig *cfg, const SnaPeer *p, const SnaPeer *other, int64_t hits)
{
        SnaSelection *s = x->s;
        size_t *idx;
        SnaHost *h;

        if (!p->ip)
                return;
        if (!is_inside(cfg, p)) {
                if (!map_get(&x->outside, p->ip)) {
                        char *k = xstrdup(p->ip);
                        if ((x->n_outside_ips & (x->n_outside_ips - 1)) == 0)
                                x->outside_ips = xreallocarray(x->outside_ips, x->n_outside_ips ?
                                                               x->n_outside_ips * 2 : 1, sizeof(char *));
                        x->outside_ips[x->n_outside_ips++] = k;
                        map_put(&x->outside, k, 0);
                }
                return;
        }
        idx = map_get(&x->hosts, p->ip);
        if (idx)
                h = &s->hosts[*idx];
        else {
                if (s->n == x->cap) {
                        x->cap = x->cap ? x->cap * 2 : 16;
                        s->hosts = xreallocarray(s->hosts, x->cap, sizeof(SnaHost));
                }
                h = &s->hosts[s->n];
                *h = (SnaHost) { .ip = xstrdup(p->ip), .first_seen = s->n };
                map_put(&x->hosts, h->ip, s->n);
                s->n++;
        }
        h->events++;
        h->hits += hits > 0 ? hits : 0;
        if (other->ip && strcmp(other->ip, p->ip) && !strv_contains(h->peers, other->ip) &&
            strv_length(h->peers) < SNA_MAX_PEERS)
                h->peers = strv_push(h->peers, other->ip);
}

static int by_weight(const void *a, const void *b)
{
        const SnaHost *x = a, *y = b;

        if (x->events != y->events)
                return x->events > y->events ? -1 : 1;
        if (x->hits != y->hits)
                return x->hits > y->hits ? -1 : 1;
        return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

static int by_first_seen(const void *a, const void *b)
{
        const SnaHost *x = a, *y = b;
        return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

int sna_select_hosts(const SnaEvent *ev, size_t n, const SnaSelectConfig *cfg, SnaSelection *ret)
{
        SnaSelection s = { 0 };
        Sel x = { .s = &s };

        for (size_t i = 0; i < n; i++) {
                const SnaEvent *e = &ev[i];
                /* one host on both sides of one event counts once */
                bool same = e->source.ip && e->target.ip && !strcmp(e->source.ip, e->target.ip);
                if (cfg->sides != SNA_SIDES_TARGET)
                        add(&x, cfg, &e->source, &e->target, e->hit_count);
                if (cfg->sides != SNA_SIDES_SOURCE && !(same && cfg->sides == SNA_SIDES_BOTH))
                        add(&x, cfg, &e->target, &e->source, e->hit_count);
        }
        /* an address inside in one event is not also counted as outside */
        for (size_t i = 0; i < x.n_outside_ips; i++) {
                if (!map_get(&x.hosts, x.outside_ips[i]))
                        s.outside++;
                free(x.outside_ips[i]);
        }
        free(x.outside_ips);
        map_done(&x.hosts);
        map_done(&x.outside);
        if (cfg->max_hosts && s.n > cfg->max_hosts) {
                qsort(s.hosts, s.n, sizeof(SnaHost), by_weight);
                for (size_t i = cfg->max_hosts; i < s.n; i++) {
                        free(s.hosts[i].ip);
                        strv_free(s.hosts[i].peers);
                }
                s.capped = s.n - cfg->max_hosts;
                s.n = cfg->max_hosts;
                /* back to the order the SMC returned them in */
                qsort(s.hosts, s.n, sizeof(SnaHost), by_first_seen);
        }
        *ret = s;
        return 0;
}

void sna_selection_done(SnaSelection *s)
{
        for (size_t i = 0; i < s->n; i++) {
                free(s->hosts[i].ip);
                strv_free(s->hosts[i].peers);
        }
        free(s->hosts);
        *s = (SnaSelection) { 0 };
}
