/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* NULL-terminated string vectors; NULL is the empty vector. */
void strv_free(char **v);
size_t strv_length(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* Appends a copy of s; returns the (possibly moved) vector. */
char **strv_push(char **v, const char *s);
/* A copy of a NULL-terminated list, each string duplicated; NULL: NULL. */
char **strv_copy(const char *const *v);
