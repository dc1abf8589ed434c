/* SPDX-License-Identifier: MIT */
#pragma once
#include "daemon/conf.h"
#include "sources/source.h"

/* One Secure Network Analytics SMC as a source (sna.md §4, §5). */
int sna_source_new(const SourceEnv *env, const SnaConf *conf, Source **ret);
