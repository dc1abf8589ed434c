/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdint.h>
#include <time.h>

/* Every expiry decision takes "now" from here, so tests can move time. */
time_t clock_wall(void);
uint64_t clock_mono_usec(void);
/* Tests only: a non-zero value pins clock_wall(); 0 returns to real time. */
void clock_set_fake_wall(time_t t);
