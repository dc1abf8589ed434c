/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* Splits a message into parts of at most max bytes (max >= 64), at line
 * ends when it can, else at a UTF-8 character boundary, so that a chat
 * service's size limit (Webex: 7439 bytes) never truncates a report.
 * When it takes several parts, each starts with "(k/n) ".  Pure.
 * Returns the number of parts (0 for an empty text) and the parts, a
 * NULL-terminated vector, in *ret. */
size_t notify_split(const char *text, size_t max, char ***ret);
