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

static SnaHost *find(SnaSelection *s, const char *ip)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->hosts[i].ip, ip))
                        return &s->hosts[i];
        return NULL;
}

static void add(SnaSelection *s, char ***outside, const SnaSelectConfig *cfg, const SnaPeer *p,
                const SnaPeer *other, int64_t hits)
{
        SnaHost *h;

        if (!p->ip)
                return;
        if (!is_inside(cfg, p)) {
                if (!strv_contains(*outside, p->ip))
                        *outside = strv_push(*outside, p->ip);
                return;
        }
        h = find(s, p->ip);
        if (!h) {
                s->hosts = xreallocarray(s->hosts, s->n + 1, sizeof(SnaHost));
                h = &s->hosts[s->n];
                *h = (SnaHost) { .ip = xstrdup(p->ip), .first_seen = s->n };
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
        char **outside = NULL;

        for (size_t i = 0; i < n; i++) {
                const SnaEvent *e = &ev[i];
                /* one host on both sides of one event counts once */
                bool same = e->source.ip && e->target.ip && !strcmp(e->source.ip, e->target.ip);
                if (cfg->sides != SNA_SIDES_TARGET)
                        add(&s, &outside, cfg, &e->source, &e->target, e->hit_count);
                if (cfg->sides != SNA_SIDES_SOURCE && !(same && cfg->sides == SNA_SIDES_BOTH))
                        add(&s, &outside, cfg, &e->target, &e->source, e->hit_count);
        }
        /* an address inside in one event is not also counted as outside */
        for (size_t i = 0; outside && outside[i]; i++)
                if (!find(&s, outside[i]))
                        s.outside++;
        strv_free(outside);
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
