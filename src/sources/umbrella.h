/* SPDX-License-Identifier: MIT */
#pragma once
#include <cjson/cJSON.h>
#include "daemon/conf.h"
#include "sources/source.h"

/* Umbrella behaviour security as a source: VPN users scored from their
 * DNS activity in the security categories, moved between VPN groups
 * through the responders that act on users (radius_group). */
int umbrella_source_new(const SourceEnv *env, const UmbrellaConf *conf, Source **ret);

/* The organisation's security categories (secrespctl umbrella categories):
 * cb gets a JSON array of {id, label} or an error text. */
typedef void (*UmbrellaCategoriesDone)(void *userdata, cJSON *categories, const char *error);
int umbrella_source_categories(Source *s, UmbrellaCategoriesDone cb, void *userdata);
