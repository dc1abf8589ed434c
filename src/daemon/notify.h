/* SPDX-License-Identifier: MIT */
#pragma once
#include <uv.h>

/* sd_notify(3) messages and the watchdog.  All are no-ops when not run
 * by systemd (no $NOTIFY_SOCKET). */
void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef struct Watchdog {
        uv_timer_t timer;
        uint64_t interval_ms;   /* 0 when disabled */
} Watchdog;

/* Starts pinging at half of $WATCHDOG_USEC; the pings come from a loop
 * timer, so a stuck loop stops them and systemd restarts us. */
int watchdog_start(uv_loop_t *loop, Watchdog *w);
void watchdog_close(Watchdog *w);
