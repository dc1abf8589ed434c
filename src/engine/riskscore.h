/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* The Umbrella behaviour-security score of one VPN user and its VPN group
 * (umbrella.md §4).  Pure: no I/O, no logging.
 *
 * Input: the Investigate risk score (0..100) of each distinct domain the
 * user resolved in the security categories.
 *   no domain                        -> 0
 *   any domain strictly above the    -> the highest domain score
 *   "very risky" line (55)
 *   otherwise                        -> the mean (not rounded)
 * Groups: score >= thresholds[1] (55) -> Dangerous, >= thresholds[0] (20)
 * -> Problematic, else Safe.  Note the strict ">" of the max rule against
 * the ">=" of the groups: one domain at exactly 55 takes the mean path and
 * is still Dangerous. */

typedef enum RiskGroup {
        RISK_GROUP_SAFE,
        RISK_GROUP_PROBLEMATIC,
        RISK_GROUP_DANGEROUS,
        _RISK_GROUP_MAX,
        _RISK_GROUP_INVALID = -EINVAL,
} RiskGroup;

typedef struct RiskConfig {
        double very_risky;                      /* score_very_risky: 55 */
        double thresholds[2];                   /* group_thresholds: 20, 55 */
        const char *names[_RISK_GROUP_MAX];     /* vpn_groups: Safe, Problematic, Dangerous */
} RiskConfig;

#define RISK_CONFIG_DEFAULT                                                     \
        ((RiskConfig) {                                                         \
                .very_risky = 55, .thresholds = { 20, 55 },                     \
                .names = { "Safe", "Problematic", "Dangerous" },                \
        })

/* 0, or -EINVAL: a threshold outside 0..100, thresholds not ascending, a
 * name missing, empty or used twice. */
int risk_config_validate(const RiskConfig *c);

/* The user's score from its domains' scores (NULL allowed when n = 0).
 * *ret_max_rule (may be NULL) tells whether the max rule applied. */
double risk_score(const double *domain_scores, size_t n, double very_risky, bool *ret_max_rule);

RiskGroup risk_group(const RiskConfig *c, double score);
/* The configured name; NULL for an invalid group. */
const char *risk_group_name(const RiskConfig *c, RiskGroup g);
/* The group of a configured name (exact match), or -EINVAL. */
RiskGroup risk_group_from_name(const RiskConfig *c, const char *name);
