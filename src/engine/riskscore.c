/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <string.h>
#include "engine/riskscore.h"

int risk_config_validate(const RiskConfig *c)
{
        if (!c)
                return -EINVAL;
        for (size_t i = 0; i < 2; i++)
                if (!(c->thresholds[i] >= 0 && c->thresholds[i] <= 100))
                        return -EINVAL;
        if (!(c->very_risky >= 0 && c->very_risky <= 100))
                return -EINVAL;
        if (c->thresholds[0] > c->thresholds[1])
                return -EINVAL;
        for (size_t i = 0; i < _RISK_GROUP_MAX; i++) {
                if (!c->names[i] || !c->names[i][0])
                        return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (!strcmp(c->names[i], c->names[j]))
                                return -EINVAL;
        }
        return 0;
}

double risk_score(const double *domain_scores, size_t n, double very_risky, bool *ret_max_rule)
{
        double max = 0, sum = 0;
        bool above = false;

        for (size_t i = 0; i < n; i++) {
                double s = domain_scores[i];
                if (i == 0 || s > max)
                        max = s;
                sum += s;
                /* strictly above: a domain at exactly the line takes the mean path */
                if (s > very_risky)
                        above = true;
        }
        if (ret_max_rule)
                *ret_max_rule = above;
        if (n == 0)
                return 0;
        return above ? max : sum / (double) n;
}

RiskGroup risk_group(const RiskConfig *c, double score)
{
        if (score >= c->thresholds[1])
                return RISK_GROUP_DANGEROUS;
        if (score >= c->thresholds[0])
                return RISK_GROUP_PROBLEMATIC;
        return RISK_GROUP_SAFE;
}

const char *risk_group_name(const RiskConfig *c, RiskGroup g)
{
        if (g < 0 || g >= _RISK_GROUP_MAX)
                return NULL;
        return c->names[g];
}

RiskGroup risk_group_from_name(const RiskConfig *c, const char *name)
{
        if (!name)
                return _RISK_GROUP_INVALID;
        for (size_t i = 0; i < _RISK_GROUP_MAX; i++)
                if (c->names[i] && !strcmp(c->names[i], name))
                        return (RiskGroup) i;
        return _RISK_GROUP_INVALID;
}
