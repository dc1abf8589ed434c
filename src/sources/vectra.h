/* SPDX-License-Identifier: MIT */
#pragma once
#include "daemon/conf.h"
#include "sources/source.h"

/* One Vectra brain as a source (VAR's worker per COGNITO_URL). */
int vectra_source_new(const SourceEnv *env, const VectraConf *conf, Source **ret);
