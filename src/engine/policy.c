/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "engine/policy.h"

static const char *const verdict_names[_POLICY_VERDICT_MAX] = {
        [POLICY_NONE] = "none",
        [POLICY_BLOCK] = "block",
        [POLICY_UNBLOCK] = "unblock",
        [POLICY_KEEP] = "keep",
};

const char *policy_verdict_to_string(PolicyVerdict v)
{
        return (int) v >= 0 && v < _POLICY_VERDICT_MAX ? verdict_names[v] : NULL;
}

void policy_config_default(VarKind kind, PolicyApi api, PolicyConfig *ret)
{
        PolicyConfig c = {
                .kind = kind,
                .scores = { 100, POLICY_OP_AND, 100 },
                .urgency = 101,
                .detection_types_min = { 100, POLICY_OP_AND, 100 },
                .api = api,
        };

        switch (kind) {
        case VAR_HOST:
                c.block_tag = "vectra_host_block";
                c.unblock_tag = "vectra_host_unblock";
                c.block_group = "Block";
                c.noblock_group = "NoBlock";
                break;
        case VAR_ACCOUNT:
                c.block_tag = "vectra_account_block";
                c.unblock_tag = "vectra_account_unblock";
                c.block_group = "Block";
                c.noblock_group = "NoBlock";
                break;
        case VAR_DETECTION:
                c.block_tag = "block";
                c.unblock_tag = "unblock";
                c.noblock_group = "NoBlock";
                c.urgency = POLICY_URGENCY_NONE;        /* detections never use urgency */
                break;
        default:
                break;
        }
        *ret = c;
}

static bool gate_valid(const PolicyScoreGate *g)
{
        return g->threat >= 0 && g->certainty >= 0 && (int) g->op >= 0 && g->op < _POLICY_OP_MAX;
}

int policy_config_validate(const PolicyConfig *c, const char **ret_why)
{
        const char *why = NULL;

        if (!c)
                why = "no configuration";
        else if ((int) c->kind < 0 || c->kind >= _VAR_KIND_MAX)
                why = "invalid kind";
        else if ((int) c->api < 0 || c->api >= _POLICY_API_MAX)
                why = "invalid API version";
        else if (!gate_valid(&c->scores))
                why = "invalid threat/certainty tuple";
        else if (!gate_valid(&c->detection_types_min))
                why = "invalid detection types minimum threat/certainty tuple";
        else if (c->urgency < 0 && c->urgency != POLICY_URGENCY_NONE)
                why = "invalid urgency";
        else if (c->n_detection_types > 0 && !c->detection_types)
                why = "detection types missing";
        else
                for (size_t i = 0; i < c->n_detection_types; i++)
                        if (!c->detection_types[i]) {
                                why = "NULL detection type";
                                break;
                        }
        if (why) {
                if (ret_why)
                        *ret_why = why;
                return -EINVAL;
        }
        return 0;
}

static bool set(const char *s)
{
        return s && s[0];
}

/* The API filters threat_gte / certainty_gte. */
static bool gate_gte(const PolicyScoreGate *g, int threat, int certainty)
{
        if (g->op == POLICY_OP_AND)
                return threat >= g->threat && certainty >= g->certainty;
        return threat >= g->threat || certainty >= g->certainty;
}

/* get_*_with_detection_types: client-side, strict. */
static bool gate_gt(const PolicyScoreGate *g, int threat, int certainty)
{
        if (g->op == POLICY_OP_AND)
                return threat > g->threat && certainty > g->certainty;
        return threat > g->threat || certainty > g->certainty;
}

static const char *configured_type(const PolicyConfig *c, const char *type)
{
        if (!type)
                return NULL;
        for (size_t i = 0; i < c->n_detection_types; i++)
                if (strcasecmp(c->detection_types[i], type) == 0)
                        return c->detection_types[i];
        return NULL;
}

/* The configured type the entity's active detections hit first, or NULL. */
static const char *active_type_hit(const PolicyConfig *c, const PolicyFacts *f)
{
        for (size_t i = 0; f->active_detection_types && i < f->n_active_detection_types; i++) {
                const char *t = configured_type(c, f->active_detection_types[i]);
                if (t)
                        return t;
        }
        return NULL;
}

static bool uses_urgency(const PolicyConfig *c)
{
        return c->kind != VAR_DETECTION && c->api == POLICY_API_V3 && c->urgency != POLICY_URGENCY_NONE;
}

static bool detection_scored(const PolicyConfig *c, const PolicyFacts *f)
{
        bool info = f->category && strcasecmp(f->category, "INFO") == 0;

        return !f->scores_unknown && f->active && !f->triaged && !info &&
               gate_gte(&c->scores, f->threat, f->certainty);
}

unsigned policy_match(const PolicyConfig *c, const PolicyFacts *f)
{
        unsigned m = 0;

        if (set(c->block_tag) && f->has_block_tag)
                m |= POLICY_MATCH_BLOCK_TAG;

        if (c->kind == VAR_DETECTION) {
                if (detection_scored(c, f))
                        m |= POLICY_MATCH_SCORES;
                if (f->active && configured_type(c, f->detection_type))
                        m |= POLICY_MATCH_DETECTION_TYPE;
                return m;
        }

        if (set(c->block_group) && f->in_block_group)
                m |= POLICY_MATCH_BLOCK_GROUP;
        if (uses_urgency(c)) {
                if (f->has_urgency && f->urgency >= c->urgency)
                        m |= POLICY_MATCH_URGENCY;
        } else if (!f->scores_unknown && gate_gte(&c->scores, f->threat, f->certainty))
                m |= POLICY_MATCH_SCORES;
        if (!f->scores_unknown && active_type_hit(c, f) &&
            gate_gt(&c->detection_types_min, f->threat, f->certainty))
                m |= POLICY_MATCH_DETECTION_TYPE;
        return m;
}

static const char *op_name(PolicyOp op)
{
        return op == POLICY_OP_AND ? "and" : "or";
}

static void reason_printf(PolicyDecision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason_printf(PolicyDecision *d, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
        va_end(ap);
}

/* Names the first criterion that holds, in the order of VAR's union. */
static void criteria_text(const PolicyConfig *c, const PolicyFacts *f, unsigned m, char *buf, size_t size)
{
        const char *src = c->kind == VAR_DETECTION ? "source host " : "";

        if (m & POLICY_MATCH_BLOCK_TAG)
                (void) snprintf(buf, size, "block tag %s", c->block_tag);
        else if (m & POLICY_MATCH_BLOCK_GROUP)
                (void) snprintf(buf, size, "block group %s", c->block_group);
        else if (m & POLICY_MATCH_URGENCY)
                (void) snprintf(buf, size, "urgency %d >= %d", f->urgency, c->urgency);
        else if (m & POLICY_MATCH_SCORES)
                (void) snprintf(buf, size, "%sthreat %d, certainty %d (>= %d %s %d)", src, f->threat,
                                f->certainty, c->scores.threat, op_name(c->scores.op), c->scores.certainty);
        else if (m & POLICY_MATCH_DETECTION_TYPE)
                (void) snprintf(buf, size, "detection type %s",
                                c->kind == VAR_DETECTION ? configured_type(c, f->detection_type)
                                                         : active_type_hit(c, f));
        else
                (void) snprintf(buf, size, "no criterion matches");
}

int policy_decide(const PolicyConfig *c, const PolicyFacts *f, PolicyDecision *ret)
{
        PolicyDecision d = { .verdict = POLICY_NONE };
        char crit[POLICY_REASON_MAX];
        bool noblock, want_unblock_tag;

        if (!f || !ret || policy_config_validate(c, NULL) < 0)
                return -EINVAL;

        d.matched = policy_match(c, f);
        criteria_text(c, f, d.matched, crit, sizeof(crit));
        noblock = set(c->noblock_group) && f->in_noblock_group;
        want_unblock_tag = c->explicit_unblock && set(c->unblock_tag) && f->has_unblock_tag;

        if (noblock) {
                /* Wins over everything; blocked members are "wrongly blocked". */
                d.verdict = f->is_blocked ? POLICY_UNBLOCK : POLICY_NONE;
                reason_printf(&d, "no-block group %s", c->noblock_group);
        } else if (f->is_whitelisted) {
                d.verdict = f->is_blocked ? POLICY_UNBLOCK : POLICY_NONE;
                reason_printf(&d, "whitelisted");
        } else if (want_unblock_tag) {
                /* Explicit mode: the unblock tag unblocks, and (our deviation)
                 * keeps an unblocked entity unblocked. */
                d.verdict = f->is_blocked ? POLICY_UNBLOCK : POLICY_NONE;
                reason_printf(&d, "unblock tag %s", c->unblock_tag);
        } else if (f->is_blocked) {
                if (d.matched) {
                        d.verdict = POLICY_KEEP;
                        reason_printf(&d, "still matching (%s)", crit);
                } else if (c->explicit_unblock) {
                        d.verdict = POLICY_KEEP;
                        reason_printf(&d, "blocked, no unblock tag");
                } else {
                        d.verdict = POLICY_UNBLOCK;
                        reason_printf(&d, "no longer matching");
                }
        } else {
                d.verdict = d.matched ? POLICY_BLOCK : POLICY_NONE;
                reason_printf(&d, "%s", crit);
        }

        *ret = d;
        return 0;
}

size_t policy_match_format(unsigned matched, char *buf, size_t size)
{
        static const struct {
                unsigned bit;
                const char *name;
        } names[] = {
                { POLICY_MATCH_BLOCK_TAG, "block-tag" },
                { POLICY_MATCH_BLOCK_GROUP, "block-group" },
                { POLICY_MATCH_SCORES, "scores" },
                { POLICY_MATCH_URGENCY, "urgency" },
                { POLICY_MATCH_DETECTION_TYPE, "detection-type" },
        };
        char all[128] = "";
        size_t len = 0;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (matched & names[i].bit)
                        len += (size_t) snprintf(all + len, sizeof(all) - len, "%s%s", len ? "," : "",
                                                 names[i].name);
        if (buf && size > 0)
                (void) snprintf(buf, size, "%s", all);
        return len;
}

size_t policy_count_new_blocks(const PolicyDecision *d, size_t n)
{
        size_t k = 0;

        for (size_t i = 0; d && i < n; i++)
                if (d[i].verdict == POLICY_BLOCK)
                        k++;
        return k;
}

bool policy_new_blocks_suppressed(const PolicyDecision *d, size_t n, unsigned max_new_blocks)
{
        return max_new_blocks > 0 && policy_count_new_blocks(d, n) > max_new_blocks;
}

bool policy_apply_safety_valve(PolicyDecision *d, size_t n, unsigned max_new_blocks)
{
        size_t k = policy_count_new_blocks(d, n);

        if (max_new_blocks == 0 || k <= max_new_blocks)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (d[i].verdict != POLICY_BLOCK)
                        continue;
                d[i].verdict = POLICY_NONE;
                reason_printf(&d[i], "safety valve: %zu new blocks > max_new_blocks_per_cycle %u", k,
                              max_new_blocks);
        }
        return true;
}
