/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "engine/policy.h"
#include "tests/unit/unit.h"

void policy_suite_add(void);

#define N(a) (sizeof(a) / sizeof((a)[0]))

static PolicyConfig host_cfg(void)
{
        PolicyConfig c;
        policy_config_default(VAR_HOST, POLICY_API_V2, &c);
        return c;
}

static PolicyDecision decide(const PolicyConfig *c, const PolicyFacts *f)
{
        PolicyDecision d;

        memset(&d, 0x5a, sizeof(d));
        CU_ASSERT_EQUAL_FATAL(policy_decide(c, f, &d), 0);
        CU_ASSERT_PTR_NOT_NULL(memchr(d.reason, '\0', sizeof(d.reason)));
        return d;
}

static void expect(const PolicyConfig *c, const PolicyFacts *f, PolicyVerdict v, const char *reason)
{
        PolicyDecision d = decide(c, f);

        if (d.verdict != v || (reason && strcmp(d.reason, reason) != 0)) {
                printf("# got %s \"%s\", expected %s \"%s\"\n", policy_verdict_to_string(d.verdict), d.reason,
                       policy_verdict_to_string(v), reason ? reason : "*");
                CU_FAIL("decision");
        }
}

static void test_defaults(void)
{
        PolicyConfig c;
        const char *why = NULL;

        policy_config_default(VAR_HOST, POLICY_API_V2, &c);
        CU_ASSERT_STRING_EQUAL(c.block_tag, "vectra_host_block");
        CU_ASSERT_STRING_EQUAL(c.unblock_tag, "vectra_host_unblock");
        CU_ASSERT_STRING_EQUAL(c.block_group, "Block");
        CU_ASSERT_STRING_EQUAL(c.noblock_group, "NoBlock");
        CU_ASSERT_EQUAL(c.scores.threat, 100);
        CU_ASSERT_EQUAL(c.scores.op, POLICY_OP_AND);
        CU_ASSERT_EQUAL(c.scores.certainty, 100);
        CU_ASSERT_EQUAL(c.urgency, 101);
        CU_ASSERT_EQUAL(c.detection_types_min.threat, 100);
        CU_ASSERT_FALSE(c.explicit_unblock);
        CU_ASSERT_EQUAL(policy_config_validate(&c, &why), 0);
        policy_config_default(VAR_ACCOUNT, POLICY_API_V3, &c);
        CU_ASSERT_STRING_EQUAL(c.block_tag, "vectra_account_block");
        CU_ASSERT_STRING_EQUAL(c.unblock_tag, "vectra_account_unblock");
        CU_ASSERT_EQUAL(c.api, POLICY_API_V3);
        policy_config_default(VAR_DETECTION, POLICY_API_V2, &c);
        CU_ASSERT_STRING_EQUAL(c.block_tag, "block");
        CU_ASSERT_STRING_EQUAL(c.unblock_tag, "unblock");
        CU_ASSERT_EQUAL(policy_config_validate(&c, NULL), 0);

        /* Validation. */
        c = host_cfg();
        c.scores.op = (PolicyOp) 2;
        CU_ASSERT_EQUAL(policy_config_validate(&c, &why), -EINVAL);
        CU_ASSERT_STRING_EQUAL(why, "invalid threat/certainty tuple");
        c = host_cfg();
        c.detection_types_min.threat = -1;
        CU_ASSERT_EQUAL(policy_config_validate(&c, &why), -EINVAL);
        c = host_cfg();
        c.urgency = -5;
        CU_ASSERT_EQUAL(policy_config_validate(&c, &why), -EINVAL);
        CU_ASSERT_STRING_EQUAL(why, "invalid urgency");
        c.urgency = POLICY_URGENCY_NONE;
        CU_ASSERT_EQUAL(policy_config_validate(&c, NULL), 0);
        c.kind = _VAR_KIND_MAX;
        CU_ASSERT_EQUAL(policy_config_validate(&c, NULL), -EINVAL);
        c = host_cfg();
        c.api = (PolicyApi) 5;
        CU_ASSERT_EQUAL(policy_config_validate(&c, NULL), -EINVAL);
        c = host_cfg();
        c.n_detection_types = 1;
        CU_ASSERT_EQUAL(policy_config_validate(&c, &why), -EINVAL);
        {
                static const char *const types[] = { "External Remote Access", NULL };
                c.detection_types = types;
                c.n_detection_types = 2;
                CU_ASSERT_EQUAL(policy_config_validate(&c, &why), -EINVAL);
                CU_ASSERT_STRING_EQUAL(why, "NULL detection type");
        }
        CU_ASSERT_EQUAL(policy_config_validate(NULL, NULL), -EINVAL);
        {
                PolicyFacts f = { 0 };
                PolicyDecision d = { .verdict = POLICY_KEEP };
                CU_ASSERT_EQUAL(policy_decide(&c, &f, &d), -EINVAL);
                CU_ASSERT_EQUAL(d.verdict, POLICY_KEEP);        /* untouched */
                c = host_cfg();
                CU_ASSERT_EQUAL(policy_decide(&c, NULL, &d), -EINVAL);
                CU_ASSERT_EQUAL(policy_decide(&c, &f, NULL), -EINVAL);
        }
}

/* VAR's set algebra (§2.4 steps 4-6, §2.6), as written upstream, for one
 * entity: which of to_block / to_unblock it lands in. */
static PolicyVerdict var_sets(bool matching, bool blocked, bool noblock, bool explicit_unblock, bool unblock_tag)
{
        bool wrongly_blocked = blocked && noblock;
        bool to_block = matching && !blocked && !noblock;
        bool to_unblock = (explicit_unblock ? unblock_tag : blocked && !matching) || wrongly_blocked;

        if (to_block)
                return POLICY_BLOCK;
        if (to_unblock)
                return blocked ? POLICY_UNBLOCK : POLICY_NONE;  /* nothing to undo when not blocked */
        return blocked ? POLICY_KEEP : POLICY_NONE;
}

/* Every combination of the facts that drive the set algebra, against the
 * sets computed the upstream way; the one deviation is named. */
static void test_set_algebra(void)
{
        for (unsigned bits = 0; bits < 64; bits++) {
                bool matching = bits & 1, blocked = bits & 2, noblock = bits & 4, expl = bits & 8,
                     unblock_tag = bits & 16, whitelisted = bits & 32;
                PolicyConfig c = host_cfg();
                PolicyFacts f = {
                        .has_block_tag = matching,
                        .is_blocked = blocked,
                        .in_noblock_group = noblock,
                        .has_unblock_tag = unblock_tag,
                        .is_whitelisted = whitelisted,
                };
                PolicyVerdict want = var_sets(matching, blocked, noblock, expl, unblock_tag);
                PolicyDecision d;

                c.explicit_unblock = expl;
                /* Deviation 1: with EXPLICIT_UNBLOCK, the unblock tag keeps an
                 * unblocked entity unblocked (upstream blocks it, then tries to
                 * unblock it on every later run). */
                if (expl && unblock_tag && matching && !blocked && !noblock)
                        want = POLICY_NONE;
                /* secresp's whitelist: never block, unblock what is blocked. */
                if (whitelisted && !noblock)
                        want = blocked ? POLICY_UNBLOCK : POLICY_NONE;
                d = decide(&c, &f);
                if (d.verdict != want) {
                        printf("# bits %02x: got %s (%s), expected %s\n", bits, policy_verdict_to_string(d.verdict),
                               d.reason, policy_verdict_to_string(want));
                        CU_FAIL("set algebra");
                }
                CU_ASSERT_EQUAL(d.matched, matching ? POLICY_MATCH_BLOCK_TAG : 0u);
        }
}

static void test_reasons(void)
{
        PolicyConfig c = host_cfg();
        PolicyFacts f = { .has_block_tag = true };

        expect(&c, &f, POLICY_BLOCK, "block tag vectra_host_block");
        f.is_blocked = true;
        expect(&c, &f, POLICY_KEEP, "still matching (block tag vectra_host_block)");
        f.has_block_tag = false;
        expect(&c, &f, POLICY_UNBLOCK, "no longer matching");
        f.is_blocked = false;
        expect(&c, &f, POLICY_NONE, "no criterion matches");
        f.in_block_group = true;
        expect(&c, &f, POLICY_BLOCK, "block group Block");
        f.in_noblock_group = true;
        expect(&c, &f, POLICY_NONE, "no-block group NoBlock");
        f.in_noblock_group = false;
        f.is_whitelisted = true;
        expect(&c, &f, POLICY_NONE, "whitelisted");
        f.is_blocked = true;
        expect(&c, &f, POLICY_UNBLOCK, "whitelisted");
        f.is_whitelisted = false;
        c.explicit_unblock = true;
        f.in_block_group = false;
        expect(&c, &f, POLICY_KEEP, "blocked, no unblock tag");
        f.has_unblock_tag = true;
        expect(&c, &f, POLICY_UNBLOCK, "unblock tag vectra_host_unblock");
        f.is_blocked = false;
        expect(&c, &f, POLICY_NONE, "unblock tag vectra_host_unblock");
}

/* No-block group wins over every criterion and over explicit mode. */
static void test_noblock_wins(void)
{
        static const char *const types[] = { "Hidden DNS Tunnel" };
        static const char *const active[] = { "Hidden DNS Tunnel" };
        PolicyConfig c = host_cfg();
        PolicyFacts f = {
                .has_block_tag = true,
                .in_block_group = true,
                .threat = 99,
                .certainty = 99,
                .active_detection_types = active,
                .n_active_detection_types = 1,
                .in_noblock_group = true,
        };
        PolicyDecision d;

        c.scores = (PolicyScoreGate) { 50, POLICY_OP_AND, 50 };
        c.detection_types = types;
        c.n_detection_types = 1;
        c.detection_types_min = (PolicyScoreGate) { 50, POLICY_OP_AND, 50 };
        d = decide(&c, &f);
        CU_ASSERT_EQUAL(d.verdict, POLICY_NONE);
        CU_ASSERT_EQUAL(d.matched, POLICY_MATCH_BLOCK_TAG | POLICY_MATCH_BLOCK_GROUP | POLICY_MATCH_SCORES |
                                           POLICY_MATCH_DETECTION_TYPE);
        f.is_blocked = true;
        expect(&c, &f, POLICY_UNBLOCK, "no-block group NoBlock");
        c.explicit_unblock = true;      /* still force-unblocks (§2.6) */
        expect(&c, &f, POLICY_UNBLOCK, "no-block group NoBlock");
        /* Even whitelisted: the no-block group is named first. */
        f.is_whitelisted = true;
        expect(&c, &f, POLICY_UNBLOCK, "no-block group NoBlock");
        /* An empty no-block group name means no group (upstream: {}). */
        c.noblock_group = "";
        f.is_whitelisted = false;
        c.explicit_unblock = false;
        expect(&c, &f, POLICY_KEEP, NULL);
        c.noblock_group = NULL;
        expect(&c, &f, POLICY_KEEP, NULL);
}

static void test_tags_and_groups_off(void)
{
        PolicyConfig c = host_cfg();
        PolicyFacts f = { .has_block_tag = true, .in_block_group = true };

        c.block_tag = "";
        c.block_group = NULL;
        expect(&c, &f, POLICY_NONE, "no criterion matches");
        CU_ASSERT_EQUAL(policy_match(&c, &f), 0);
        /* An empty unblock tag unblocks nothing in explicit mode. */
        c = host_cfg();
        c.explicit_unblock = true;
        c.unblock_tag = "";
        f = (PolicyFacts) { .is_blocked = true, .has_unblock_tag = true };
        expect(&c, &f, POLICY_KEEP, "blocked, no unblock tag");
        /* Without explicit mode the unblock tag means nothing. */
        c = host_cfg();
        f = (PolicyFacts) { .is_blocked = true, .has_block_tag = true, .has_unblock_tag = true };
        expect(&c, &f, POLICY_KEEP, NULL);
}

/* Threat/certainty use the API's >= filters; v2, and v3 without urgency. */
static void test_scores_gte(void)
{
        PolicyConfig c = host_cfg();
        PolicyFacts f = { 0 };

        c.scores = (PolicyScoreGate) { 50, POLICY_OP_AND, 60 };
        f.threat = 50;
        f.certainty = 60;
        expect(&c, &f, POLICY_BLOCK, "threat 50, certainty 60 (>= 50 and 60)");
        f.certainty = 59;
        expect(&c, &f, POLICY_NONE, NULL);
        c.scores.op = POLICY_OP_OR;
        expect(&c, &f, POLICY_BLOCK, "threat 50, certainty 59 (>= 50 or 60)");
        f.threat = 49;
        expect(&c, &f, POLICY_NONE, NULL);
        f.certainty = 60;
        expect(&c, &f, POLICY_BLOCK, NULL);

        /* The default (100 and 100) matches nothing below 100. */
        c = host_cfg();
        f = (PolicyFacts) { .threat = 99, .certainty = 99 };
        expect(&c, &f, POLICY_NONE, NULL);

        /* v2 ignores urgency. */
        c = host_cfg();
        c.urgency = 10;
        f = (PolicyFacts) { .threat = 1, .certainty = 1, .has_urgency = true, .urgency = 90 };
        expect(&c, &f, POLICY_NONE, NULL);
}

/* v3: urgency replaces threat/certainty unless it is None. */
static void test_urgency_v3(void)
{
        PolicyConfig c;
        PolicyFacts f = { .threat = 90, .certainty = 90, .has_urgency = true, .urgency = 70 };

        policy_config_default(VAR_HOST, POLICY_API_V3, &c);
        c.scores = (PolicyScoreGate) { 50, POLICY_OP_AND, 50 };
        /* Default 101: disabled, and the tuple is ignored too. */
        expect(&c, &f, POLICY_NONE, NULL);
        f.urgency = 100;
        expect(&c, &f, POLICY_NONE, NULL);
        c.urgency = 70;
        f.urgency = 70;
        expect(&c, &f, POLICY_BLOCK, "urgency 70 >= 70");
        CU_ASSERT_EQUAL(policy_match(&c, &f), POLICY_MATCH_URGENCY);
        f.urgency = 69;
        expect(&c, &f, POLICY_NONE, NULL);
        f.has_urgency = false;
        f.urgency = 99;
        expect(&c, &f, POLICY_NONE, NULL);
        /* None: back to threat/certainty. */
        c.urgency = POLICY_URGENCY_NONE;
        expect(&c, &f, POLICY_BLOCK, "threat 90, certainty 90 (>= 50 and 50)");
        CU_ASSERT_EQUAL(policy_match(&c, &f), POLICY_MATCH_SCORES);
}

/* §10 defect 14: upstream's v3 account threat/certainty query used
 * parameters vat rejects, so it crashed; the decision itself must work. */
static void test_defect14_v3_account_scores(void)
{
        PolicyConfig c;
        PolicyFacts f = { .threat = 80, .certainty = 10 };

        policy_config_default(VAR_ACCOUNT, POLICY_API_V3, &c);
        c.urgency = POLICY_URGENCY_NONE;
        c.scores = (PolicyScoreGate) { 80, POLICY_OP_OR, 90 };
        expect(&c, &f, POLICY_BLOCK, "threat 80, certainty 10 (>= 80 or 90)");
}

/* The detection-type gate is client-side and strict. */
static void test_detection_type_gate(void)
{
        static const char *const types[] = { "External Remote Access", "Hidden DNS Tunnel" };
        static const char *const active[] = { "Port Scan", "hidden dns tunnel" };
        static const char *const other[] = { "Port Scan" };
        PolicyConfig c = host_cfg();
        PolicyFacts f = {
                .threat = 50,
                .certainty = 50,
                .active_detection_types = active,
                .n_active_detection_types = N(active),
        };

        c.detection_types = types;
        c.n_detection_types = N(types);
        c.detection_types_min = (PolicyScoreGate) { 50, POLICY_OP_AND, 40 };
        /* threat 50 is not > 50. */
        expect(&c, &f, POLICY_NONE, NULL);
        f.threat = 51;
        expect(&c, &f, POLICY_BLOCK, "detection type Hidden DNS Tunnel");
        CU_ASSERT_EQUAL(policy_match(&c, &f), POLICY_MATCH_DETECTION_TYPE);
        f.certainty = 40;
        expect(&c, &f, POLICY_NONE, NULL);
        c.detection_types_min.op = POLICY_OP_OR;
        expect(&c, &f, POLICY_BLOCK, NULL);
        f.threat = 50;
        expect(&c, &f, POLICY_NONE, NULL);
        /* Not a configured type. */
        f.threat = 99;
        f.certainty = 99;
        f.active_detection_types = other;
        f.n_active_detection_types = N(other);
        expect(&c, &f, POLICY_NONE, NULL);
        /* No configured types: off. */
        f.active_detection_types = active;
        f.n_active_detection_types = N(active);
        c.n_detection_types = 0;
        c.detection_types = NULL;
        expect(&c, &f, POLICY_NONE, NULL);
        /* The default gate (100 and 100) never passes. */
        c = host_cfg();
        c.detection_types = types;
        c.n_detection_types = N(types);
        expect(&c, &f, POLICY_NONE, NULL);
        /* ... while the same scores pass the API's >= filter of the tuple:
         * >= there, > here. */
        c.scores = (PolicyScoreGate) { 99, POLICY_OP_AND, 99 };
        c.detection_types_min = (PolicyScoreGate) { 99, POLICY_OP_AND, 99 };
        CU_ASSERT_EQUAL(policy_match(&c, &f), POLICY_MATCH_SCORES);
}

static PolicyConfig det_cfg(void)
{
        PolicyConfig c;
        policy_config_default(VAR_DETECTION, POLICY_API_V2, &c);
        c.scores = (PolicyScoreGate) { 50, POLICY_OP_AND, 50 };
        return c;
}

static void test_detections(void)
{
        static const char *const types[] = { "Suspicious HTTP" };
        PolicyConfig c = det_cfg();
        PolicyFacts f = {
                .detection_type = "Port Scan",
                .category = "RECONNAISSANCE",
                .active = true,
                .threat = 60,
                .certainty = 60,
        };

        expect(&c, &f, POLICY_BLOCK, "source host threat 60, certainty 60 (>= 50 and 50)");
        f.triaged = true;
        expect(&c, &f, POLICY_NONE, NULL);
        f.triaged = false;
        f.active = false;
        expect(&c, &f, POLICY_NONE, NULL);
        f.active = true;
        f.category = "INFO";
        expect(&c, &f, POLICY_NONE, NULL);
        /* v3 says "info": compared case-insensitively. */
        f.category = "info";
        expect(&c, &f, POLICY_NONE, NULL);
        f.category = "exfiltration";
        expect(&c, &f, POLICY_BLOCK, NULL);
        /* Detections always use threat/certainty, even on v3 with urgency. */
        c.api = POLICY_API_V3;
        c.urgency = 10;
        f.has_urgency = true;
        f.urgency = 5;
        expect(&c, &f, POLICY_BLOCK, NULL);

        /* The block tag ("block" by default): any state, any category. */
        c = det_cfg();
        f = (PolicyFacts) { .has_block_tag = true, .category = "INFO" };
        expect(&c, &f, POLICY_BLOCK, "block tag block");

        /* Types: active detections of a listed type, no score gate. */
        c.detection_types = types;
        c.n_detection_types = 1;
        f = (PolicyFacts) { .detection_type = "suspicious http", .active = true, .triaged = true };
        expect(&c, &f, POLICY_BLOCK, "detection type Suspicious HTTP");
        f.active = false;
        expect(&c, &f, POLICY_NONE, NULL);

        /* The no-block host group excludes and unblocks detections too. */
        f = (PolicyFacts) { .has_block_tag = true, .in_noblock_group = true, .is_blocked = true };
        expect(&c, &f, POLICY_UNBLOCK, "no-block group NoBlock");
        /* A whitelisted destination. */
        f = (PolicyFacts) { .has_block_tag = true, .is_whitelisted = true };
        expect(&c, &f, POLICY_NONE, "whitelisted");
        /* Explicit mode with the default detection unblock tag "unblock". */
        c.explicit_unblock = true;
        f = (PolicyFacts) { .has_block_tag = true, .has_unblock_tag = true, .is_blocked = true };
        expect(&c, &f, POLICY_UNBLOCK, "unblock tag unblock");
        /* Block groups do not exist for detections. */
        c = det_cfg();
        c.block_group = "Block";
        f = (PolicyFacts) { .in_block_group = true };
        expect(&c, &f, POLICY_NONE, NULL);
}

/* §10 defect 13: a detection without src_host crashed upstream's gating;
 * here its host-score criterion simply does not apply. */
static void test_defect13_detection_without_host(void)
{
        PolicyConfig c = det_cfg();
        PolicyFacts f = { .detection_type = "x", .category = "C2", .active = true, .scores_unknown = true };

        c.scores = (PolicyScoreGate) { 0, POLICY_OP_OR, 0 };   /* would match any host */
        expect(&c, &f, POLICY_NONE, "no criterion matches");
        f.has_block_tag = true;
        expect(&c, &f, POLICY_BLOCK, "block tag block");
        /* Same for an entity whose scores are unknown. */
        {
                PolicyConfig h = host_cfg();
                PolicyFacts g = { .scores_unknown = true };
                h.scores = (PolicyScoreGate) { 0, POLICY_OP_OR, 0 };
                expect(&h, &g, POLICY_NONE, NULL);
                g.scores_unknown = false;
                expect(&h, &g, POLICY_BLOCK, NULL);
        }
}

/* §2.6: a blocked host in both the block-tag set and the unblock-tag set is
 * unblocked (not re-blocked) in explicit mode. */
static void test_explicit_both_tags(void)
{
        PolicyConfig c = host_cfg();
        PolicyFacts f = { .has_block_tag = true, .has_unblock_tag = true, .is_blocked = true };

        c.explicit_unblock = true;
        expect(&c, &f, POLICY_UNBLOCK, "unblock tag vectra_host_unblock");
        /* Explicit mode keeps what no longer matches. */
        f = (PolicyFacts) { .is_blocked = true };
        expect(&c, &f, POLICY_KEEP, "blocked, no unblock tag");
        /* Upstream tries to unblock a tagged host that is not blocked and
         * logs an error every run: nothing to do here. */
        f = (PolicyFacts) { .has_unblock_tag = true };
        expect(&c, &f, POLICY_NONE, NULL);
        /* A custom unblock tag. */
        c.unblock_tag = "please_unblock";
        f = (PolicyFacts) { .is_blocked = true, .has_unblock_tag = true };
        expect(&c, &f, POLICY_UNBLOCK, "unblock tag please_unblock");
}

static void test_reason_truncated(void)
{
        char tag[400];
        PolicyConfig c = host_cfg();
        PolicyFacts f = { .has_block_tag = true, .is_blocked = true };
        PolicyDecision d;

        memset(tag, 't', sizeof(tag) - 1);
        tag[sizeof(tag) - 1] = '\0';
        c.block_tag = tag;
        d = decide(&c, &f);
        CU_ASSERT_EQUAL(d.verdict, POLICY_KEEP);
        CU_ASSERT_EQUAL(strlen(d.reason), POLICY_REASON_MAX - 1);
        CU_ASSERT_EQUAL(strncmp(d.reason, "still matching (block tag ttt", 29), 0);
}

static void test_match_format(void)
{
        char buf[128];

        CU_ASSERT_EQUAL(policy_match_format(0, buf, sizeof(buf)), 0);
        CU_ASSERT_STRING_EQUAL(buf, "");
        CU_ASSERT_EQUAL(policy_match_format(POLICY_MATCH_SCORES, buf, sizeof(buf)), 6);
        CU_ASSERT_STRING_EQUAL(buf, "scores");
        policy_match_format(POLICY_MATCH_BLOCK_TAG | POLICY_MATCH_BLOCK_GROUP | POLICY_MATCH_SCORES |
                                    POLICY_MATCH_URGENCY | POLICY_MATCH_DETECTION_TYPE,
                            buf, sizeof(buf));
        CU_ASSERT_STRING_EQUAL(buf, "block-tag,block-group,scores,urgency,detection-type");
        CU_ASSERT_EQUAL(policy_match_format(POLICY_MATCH_BLOCK_TAG | POLICY_MATCH_DETECTION_TYPE, buf, 8), 24);
        CU_ASSERT_STRING_EQUAL(buf, "block-t");
        CU_ASSERT_EQUAL(policy_match_format(POLICY_MATCH_URGENCY, NULL, 0), 7);
        CU_ASSERT_STRING_EQUAL(policy_verdict_to_string(POLICY_UNBLOCK), "unblock");
        CU_ASSERT_STRING_EQUAL(policy_verdict_to_string(POLICY_KEEP), "keep");
        CU_ASSERT_PTR_NULL(policy_verdict_to_string(_POLICY_VERDICT_MAX));
}

static void test_safety_valve(void)
{
        PolicyDecision d[6];
        static const PolicyVerdict v[6] = {
                POLICY_BLOCK, POLICY_UNBLOCK, POLICY_BLOCK, POLICY_KEEP, POLICY_BLOCK, POLICY_NONE,
        };

        for (size_t i = 0; i < N(d); i++) {
                d[i] = (PolicyDecision) { .verdict = v[i], .matched = POLICY_MATCH_SCORES };
                snprintf(d[i].reason, sizeof(d[i].reason), "r%zu", i);
        }
        CU_ASSERT_EQUAL(policy_count_new_blocks(d, N(d)), 3);
        CU_ASSERT_EQUAL(policy_count_new_blocks(NULL, 3), 0);
        CU_ASSERT_FALSE(policy_new_blocks_suppressed(d, N(d), 0));      /* no cap */
        CU_ASSERT_FALSE(policy_new_blocks_suppressed(d, N(d), 3));      /* at the cap: fine */
        CU_ASSERT_TRUE(policy_new_blocks_suppressed(d, N(d), 2));
        CU_ASSERT_FALSE(policy_apply_safety_valve(d, N(d), 3));
        CU_ASSERT_EQUAL(policy_count_new_blocks(d, N(d)), 3);
        CU_ASSERT_STRING_EQUAL(d[0].reason, "r0");

        CU_ASSERT_TRUE(policy_apply_safety_valve(d, N(d), 2));
        /* None of the new blocks; unblocks and keeps untouched. */
        for (size_t i = 0; i < N(d); i++) {
                if (v[i] == POLICY_BLOCK) {
                        CU_ASSERT_EQUAL(d[i].verdict, POLICY_NONE);
                        CU_ASSERT_STRING_EQUAL(d[i].reason,
                                               "safety valve: 3 new blocks > max_new_blocks_per_cycle 2");
                        CU_ASSERT_EQUAL(d[i].matched, POLICY_MATCH_SCORES);
                } else {
                        char want[8];
                        snprintf(want, sizeof(want), "r%zu", i);
                        CU_ASSERT_EQUAL(d[i].verdict, v[i]);
                        CU_ASSERT_STRING_EQUAL(d[i].reason, want);
                }
        }
        CU_ASSERT_FALSE(policy_apply_safety_valve(d, N(d), 2)); /* nothing left to suppress */
        CU_ASSERT_FALSE(policy_apply_safety_valve(d, 0, 1));
}

void policy_suite_add(void)
{
        UNIT_SUITE("policy",
                   UNIT_TEST(test_defaults),
                   UNIT_TEST(test_set_algebra),
                   UNIT_TEST(test_reasons),
                   UNIT_TEST(test_noblock_wins),
                   UNIT_TEST(test_tags_and_groups_off),
                   UNIT_TEST(test_scores_gte),
                   UNIT_TEST(test_urgency_v3),
                   UNIT_TEST(test_defect14_v3_account_scores),
                   UNIT_TEST(test_detection_type_gate),
                   UNIT_TEST(test_detections),
                   UNIT_TEST(test_defect13_detection_without_host),
                   UNIT_TEST(test_explicit_both_tags),
                   UNIT_TEST(test_reason_truncated),
                   UNIT_TEST(test_match_format),
                   UNIT_TEST(test_safety_valve));
}
