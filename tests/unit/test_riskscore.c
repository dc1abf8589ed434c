/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <math.h>
#include "engine/riskscore.h"
#include "tests/unit/unit.h"

void riskscore_suite_add(void);

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CLOSE(a, b) CU_ASSERT_TRUE(fabs((a) - (b)) < 1e-9)

static const RiskConfig def = RISK_CONFIG_DEFAULT;

static RiskGroup group_of(const double *v, size_t n)
{
        return risk_group(&def, risk_score(v, n, def.very_risky, NULL));
}

static void test_no_domains(void)
{
        bool max_rule = true;

        CLOSE(risk_score(NULL, 0, 55, &max_rule), 0);
        CU_ASSERT_FALSE(max_rule);
        CU_ASSERT_EQUAL(group_of(NULL, 0), RISK_GROUP_SAFE);
}

static void test_one_above_takes_the_max(void)
{
        /* the mean would be 20.33 (Problematic): the max rule wins */
        static const double v[] = { 0, 1, 60 };
        bool max_rule = false;

        CLOSE(risk_score(v, N(v), 55, &max_rule), 60);
        CU_ASSERT_TRUE(max_rule);
        CU_ASSERT_EQUAL(group_of(v, N(v)), RISK_GROUP_DANGEROUS);
}

static void test_56_is_above(void)
{
        static const double v[] = { 56, 0, 0, 0 };

        CLOSE(risk_score(v, N(v), 55, NULL), 56);
        CU_ASSERT_EQUAL(group_of(v, N(v)), RISK_GROUP_DANGEROUS);
}

static void test_exactly_55_takes_the_mean_path(void)
{
        static const double one[] = { 55 };
        static const double two[] = { 55, 0 };
        bool max_rule = true;

        /* 55 is not > 55: the mean of one domain is 55, and 55 >= 55 */
        CLOSE(risk_score(one, N(one), 55, &max_rule), 55);
        CU_ASSERT_FALSE(max_rule);
        CU_ASSERT_EQUAL(group_of(one, N(one)), RISK_GROUP_DANGEROUS);
        /* with another domain the mean falls: 27.5, Problematic */
        CLOSE(risk_score(two, N(two), 55, &max_rule), 27.5);
        CU_ASSERT_FALSE(max_rule);
        CU_ASSERT_EQUAL(group_of(two, N(two)), RISK_GROUP_PROBLEMATIC);
}

static void test_mean(void)
{
        static const double v[] = { 10, 20, 30, 40 };
        static const double low[] = { 1, 2, 3 };

        CLOSE(risk_score(v, N(v), 55, NULL), 25);
        CU_ASSERT_EQUAL(group_of(v, N(v)), RISK_GROUP_PROBLEMATIC);
        CLOSE(risk_score(low, N(low), 55, NULL), 2);
        CU_ASSERT_EQUAL(group_of(low, N(low)), RISK_GROUP_SAFE);
}

static void test_mean_not_rounded(void)
{
        static const double v[] = { 55, 55, 54 };       /* 54.666... */
        static const double w[] = { 54.99 };

        CLOSE(risk_score(v, N(v), 55, NULL), 164.0 / 3.0);
        CU_ASSERT_EQUAL(group_of(v, N(v)), RISK_GROUP_PROBLEMATIC);
        CU_ASSERT_EQUAL(group_of(w, N(w)), RISK_GROUP_PROBLEMATIC);
}

static void test_exact_thresholds(void)
{
        CU_ASSERT_EQUAL(risk_group(&def, 0), RISK_GROUP_SAFE);
        CU_ASSERT_EQUAL(risk_group(&def, 19.999), RISK_GROUP_SAFE);
        CU_ASSERT_EQUAL(risk_group(&def, 20), RISK_GROUP_PROBLEMATIC);
        CU_ASSERT_EQUAL(risk_group(&def, 54.999), RISK_GROUP_PROBLEMATIC);
        CU_ASSERT_EQUAL(risk_group(&def, 55), RISK_GROUP_DANGEROUS);
        CU_ASSERT_EQUAL(risk_group(&def, 100), RISK_GROUP_DANGEROUS);
}

static void test_configured(void)
{
        RiskConfig c = {
                .very_risky = 80, .thresholds = { 10, 40 },
                .names = { "Green", "Amber", "Red" },
        };
        static const double v[] = { 70, 0 };    /* not above 80: mean 35 */
        static const double w[] = { 81, 0 };

        CU_ASSERT_EQUAL(risk_config_validate(&c), 0);
        CLOSE(risk_score(v, N(v), c.very_risky, NULL), 35);
        CU_ASSERT_EQUAL(risk_group(&c, 35), RISK_GROUP_PROBLEMATIC);
        CLOSE(risk_score(w, N(w), c.very_risky, NULL), 81);
        CU_ASSERT_EQUAL(risk_group(&c, 40), RISK_GROUP_DANGEROUS);
        CU_ASSERT_EQUAL(risk_group(&c, 9.5), RISK_GROUP_SAFE);
        CU_ASSERT_STRING_EQUAL(risk_group_name(&c, RISK_GROUP_DANGEROUS), "Red");
        CU_ASSERT_EQUAL(risk_group_from_name(&c, "Amber"), RISK_GROUP_PROBLEMATIC);
        CU_ASSERT_EQUAL(risk_group_from_name(&c, "Safe"), _RISK_GROUP_INVALID);
        CU_ASSERT_EQUAL(risk_group_from_name(&c, NULL), _RISK_GROUP_INVALID);
        CU_ASSERT_PTR_NULL(risk_group_name(&c, _RISK_GROUP_MAX));
}

static void test_validate(void)
{
        RiskConfig c = RISK_CONFIG_DEFAULT;

        CU_ASSERT_EQUAL(risk_config_validate(&c), 0);
        CU_ASSERT_EQUAL(risk_config_validate(NULL), -EINVAL);
        c.thresholds[0] = 60;
        CU_ASSERT_EQUAL(risk_config_validate(&c), -EINVAL);
        c = RISK_CONFIG_DEFAULT;
        c.thresholds[1] = 101;
        CU_ASSERT_EQUAL(risk_config_validate(&c), -EINVAL);
        c = RISK_CONFIG_DEFAULT;
        c.very_risky = -1;
        CU_ASSERT_EQUAL(risk_config_validate(&c), -EINVAL);
        c = RISK_CONFIG_DEFAULT;
        c.names[2] = "Safe";
        CU_ASSERT_EQUAL(risk_config_validate(&c), -EINVAL);
        c = RISK_CONFIG_DEFAULT;
        c.names[1] = "";
        CU_ASSERT_EQUAL(risk_config_validate(&c), -EINVAL);
        c = RISK_CONFIG_DEFAULT;
        c.thresholds[0] = c.thresholds[1] = 30;  /* no Problematic band: allowed */
        CU_ASSERT_EQUAL(risk_config_validate(&c), 0);
        CU_ASSERT_EQUAL(risk_group(&c, 30), RISK_GROUP_DANGEROUS);
}

void riskscore_suite_add(void)
{
        UNIT_SUITE("riskscore",
                   UNIT_TEST(test_no_domains),
                   UNIT_TEST(test_one_above_takes_the_max),
                   UNIT_TEST(test_56_is_above),
                   UNIT_TEST(test_exactly_55_takes_the_mean_path),
                   UNIT_TEST(test_mean),
                   UNIT_TEST(test_mean_not_rounded),
                   UNIT_TEST(test_exact_thresholds),
                   UNIT_TEST(test_configured),
                   UNIT_TEST(test_validate));
}
