/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/conf.h"

/* The VPN users to score (umbrella.md §5): from the FreeRADIUS database,
 * radcheck joined with users_identity (the Umbrella identity label of
 * each user), or from the config list "username:label". */
typedef struct UmbUser {
        char *name;
        char *label;
        bool db_whitelisted;            /* users_identity.whitelisted_from within whitelist_days */
} UmbUser;

/* Synchronous and short (one query).  On failure *ret_why is a malloc'ed
 * sentence naming the database (never a password). */
int umbrella_users_load(const UmbrellaConf *c, UmbUser **ret, size_t *ret_n, char **ret_why);
void umbrella_users_free(UmbUser *v, size_t n);
