/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "common/clock.h"

static time_t fake_wall;

time_t clock_wall(void)
{
        return fake_wall ? fake_wall : time(NULL);
}

uint64_t clock_mono_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

void clock_set_fake_wall(time_t t)
{
        fake_wall = t;
}
