/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include "common/clock.h"
#include "common/xalloc.h"
#include "daemon/notify.h"

void notify_ready(void)
{
        (void) sd_notify(0, "READY=1");
}

void notify_reloading(void)
{
        /* systemd >= 257 waits for MONOTONIC_USEC to match reload to READY */
        (void) sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) clock_mono_usec());
}

void notify_stopping(void)
{
        (void) sd_notify(0, "STOPPING=1");
}

void notify_status(const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        s = xvasprintf(fmt, ap);
        va_end(ap);
        (void) sd_notifyf(0, "STATUS=%s", s);
}

static void on_watchdog(uv_timer_t *t)
{
        (void) sd_notify(0, "WATCHDOG=1");
}

int watchdog_start(uv_loop_t *loop, Watchdog *w)
{
        uint64_t usec = 0;
        int r;

        w->interval_ms = 0;
        uv_timer_init(loop, &w->timer);
        r = sd_watchdog_enabled(0, &usec);
        if (r <= 0)
                return r;
        w->interval_ms = usec / 2000;
        if (w->interval_ms == 0)
                w->interval_ms = 1;
        uv_timer_start(&w->timer, on_watchdog, w->interval_ms, w->interval_ms);
        return 1;
}

void watchdog_close(Watchdog *w)
{
        if (!uv_is_closing((uv_handle_t *) &w->timer))
                uv_close((uv_handle_t *) &w->timer, NULL);
}
