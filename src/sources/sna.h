/* SPDX-License-Identifier: MIT */
#pragma once
#include "daemon/conf.h"
#include "sources/source.h"

/* One Secure Network Analytics SMC as a source (sna.md §4, §5). */
int sna_source_new(const SourceEnv *env, const SnaConf *conf, Source **ret);

/* `secrespctl sna setup EVENT_ID` (sna.md §6): enables the event in the
 * SMC's system policy with the source's setup alarm values, after saving
 * the old settings (table sna_policy_saved).  cb gets 0 and a report
 * {source, tenant, event, name, policy_id, before, after, changes[],
 * applied}, or a negative errno and an error text; from the loop.  With
 * dry_run nothing is written anywhere. */
typedef void (*SnaSetupDone)(void *userdata, int r, const char *error, cJSON *report);
bool sna_source_is(const Source *s);
int sna_source_setup(Source *s, int64_t event_id, bool dry_run, const char *actor, SnaSetupDone cb,
                     void *userdata);
