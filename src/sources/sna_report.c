/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"
#include "sources/sna_report.h"

/* Text from the SMC or the config, safe inside markdown emphasis: no line
 * breaks, no markup characters. */
static char *plain(const char *s)
{
        char *r = xstrdup(s ? s : "");

        for (char *p = r; *p; p++)
                if ((unsigned char) *p < 0x20 || strchr("*_`[]<>#", *p))
                        *p = ' ';
        return r;
}

static void add(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char **buf, const char *fmt, ...)
{
        _cleanup_free_ char *piece = NULL;
        va_list ap;
        char *n;

        va_start(ap, fmt);
        piece = xvasprintf(fmt, ap);
        va_end(ap);
        n = xasprintf("%s%s", *buf ? *buf : "", piece);
        free(*buf);
        *buf = n;
}

char *sna_report_markdown(const SnaReport *r)
{
        _cleanup_free_ char *names = plain(r->event_names), *src = plain(r->source), *resp = NULL;
        char *m = NULL;

        add(&m, "**SNA: %zu new host%s with %s** (%s: %zu event%s in the last %llu min)\n\n", r->n_hosts,
            r->n_hosts == 1 ? "" : "s", names, src, r->n_events, r->n_events == 1 ? "" : "s",
            (unsigned long long) (r->window_s / 60));
        for (size_t i = 0; i < r->n_hosts; i++) {
                const SnaHost *h = r->hosts[i];
                add(&m, "- `%s`: %u event%s", h->ip, h->events, h->events == 1 ? "" : "s");
                for (size_t k = 0; h->peers && h->peers[k]; k++)
                        add(&m, "%s%s", k ? ", " : "; talked to ", h->peers[k]);
                add(&m, "\n");
                if (r->extra && r->extra[i])
                        add(&m, "%s", r->extra[i]);
        }
        if (r->responders) {
                resp = plain(r->responders);
                add(&m, "\nBlocked on: %s\n", resp);
        }
        return m;
}
