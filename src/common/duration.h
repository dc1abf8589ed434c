/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* Durations as operators write them: "30s", "10m", "4h", "30d", "2w",
 * combined ("1h30m", "1d 12h") or a bare integer meaning seconds.
 * Pure: no I/O. */
#define DURATION_MAX_SEC (UINT64_C(100) * 365 * 86400)

/* 0 and seconds in *ret_sec, or -EINVAL (syntax) / -ERANGE (too large). */
int duration_parse(const char *s, uint64_t *ret_sec);
/* Shortest exact form, e.g. 90061 -> "1d1h1m1s", 0 -> "0s". */
void duration_format(uint64_t sec, char *buf, size_t len);
