/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include "engine/vartags.h"

/* VAR's decision (vectra.md §2.4-§2.7) for ONE entity, from facts the
 * source gathered.  Pure: no I/O, no logging.
 *
 * VAR computes sets per run:
 *   matching = tagged(block tag) | scored | members(block group) | with_detection_types
 *   to_block   = matching - blocked - noblock
 *   to_unblock = (explicit ? tagged(unblock tag) : blocked - matching) | (blocked & noblock)
 * Per entity that is:
 *   BLOCK    matching && !blocked && !noblock
 *   UNBLOCK  blocked && (noblock || (explicit ? unblock tag : !matching))
 *   KEEP     blocked otherwise
 *   NONE     not blocked otherwise
 * plus secresp's whitelist, which acts like the no-block group (never
 * block; unblock what is blocked), and one deviation: with
 * EXPLICIT_UNBLOCK, an entity that carries the unblock tag and is not
 * blocked is not blocked either (upstream blocks it and unblocks it again
 * on the next run, forever when the unblock tag is a custom one).
 * Precedence of the reasons: no-block group > whitelist > unblock tag >
 * criteria.
 *
 * The criteria of `matching`:
 *   block tag        exact tag (the source checks; an empty configured tag
 *                    disables it)
 *   block group      member of a group named exactly block_group
 *   scores           hosts/accounts: threat/certainty with the API's >=
 *                    (v2, and v3 with urgency NONE); detections: the
 *                    source host's threat/certainty >= (always, even on
 *                    v3) and the detection active, untriaged, not INFO
 *   urgency          v3 hosts/accounts with urgency != NONE: urgency >=
 *                    urgency threshold (then the threat/certainty tuple is
 *                    ignored); 101, the default, never matches a 0..100
 *                    score.  v2 ignores urgency.
 *   detection type   hosts/accounts: an active detection of a listed type
 *                    AND the entity's threat/certainty pass the strict >
 *                    gate (detection_types_min); detections: the detection
 *                    is active and of a listed type (no score gate). */

typedef enum PolicyOp {
        POLICY_OP_AND,
        POLICY_OP_OR,
        _POLICY_OP_MAX,
        _POLICY_OP_INVALID = -EINVAL,
} PolicyOp;

/* (threat, op, certainty), as VAR's tuples. */
typedef struct PolicyScoreGate {
        int threat;
        PolicyOp op;
        int certainty;
} PolicyScoreGate;

typedef enum PolicyApi {
        POLICY_API_V2,                  /* on-prem v2.5 */
        POLICY_API_V3,                  /* SaaS ("portal.vectra.ai") */
        _POLICY_API_MAX,
        _POLICY_API_INVALID = -EINVAL,
} PolicyApi;

#define POLICY_URGENCY_NONE (-1)        /* BLOCK_*_URGENCY = None */

/* One source's configuration for one kind.  Strings are borrowed and may
 * be NULL or "" (the criterion is then off). */
typedef struct PolicyConfig {
        VarKind kind;
        const char *block_tag;          /* BLOCK_HOST_TAG, BLOCK_ACCOUNT_TAG, EXTERNAL_BLOCK_DETECTION_TAG */
        const char *unblock_tag;        /* UNBLOCK_*_TAG, EXTERNAL_UNBLOCK_DETECTION_TAG */
        const char *block_group;        /* BLOCK_*_GROUP_NAME (hosts, accounts) */
        const char *noblock_group;      /* NO_BLOCK_*_GROUP_NAME (detections: the host group) */
        PolicyScoreGate scores;         /* BLOCK_*_THREAT_CERTAINTY, EXTERNAL_BLOCK_HOST_TC: >= */
        int urgency;                    /* BLOCK_*_URGENCY, >= 0 or POLICY_URGENCY_NONE */
        const char *const *detection_types;     /* BLOCK_*_DETECTION_TYPES, EXTERNAL_BLOCK_DETECTION_TYPES */
        size_t n_detection_types;
        PolicyScoreGate detection_types_min;    /* BLOCK_*_DETECTION_TYPES_MIN_TC_SCORE: strict > */
        bool explicit_unblock;          /* EXPLICIT_UNBLOCK */
        PolicyApi api;
} PolicyConfig;

/* VAR's defaults for a kind (vectra.md §1.2-§1.4), v2, no detection type. */
void policy_config_default(VarKind kind, PolicyApi api, PolicyConfig *ret);

/* 0, or -EINVAL with a static reason in *ret_why (may be NULL): invalid
 * kind, api or op, a negative score, an urgency below 0 other than NONE,
 * detection types with a NULL entry. */
int policy_config_validate(const PolicyConfig *c, const char **ret_why);

/* What the source knows about one entity. */
typedef struct PolicyFacts {
        bool has_block_tag;             /* carries block_tag exactly */
        bool has_unblock_tag;           /* carries unblock_tag exactly */
        bool in_block_group;
        bool in_noblock_group;          /* detections: the source host is in the no-block HOST group */
        /* Hosts/accounts: the entity's own scores.  Detections: the scores
         * of the source host; scores_unknown when the detection has no
         * src_host (then the score criteria do not apply, §10 defect 13). */
        bool scores_unknown;
        int threat;
        int certainty;
        bool has_urgency;               /* v3 entity urgency_score known */
        int urgency;
        /* Hosts/accounts: the types of the ACTIVE detections whose source
         * is this entity (a detection without src_host/src_account is on
         * nobody's list, §10 defect 13).  Duplicates allowed. */
        const char *const *active_detection_types;
        size_t n_active_detection_types;
        /* Detections only. */
        const char *detection_type;
        const char *category;           /* "INFO" compared case-insensitively (v3 says "info") */
        bool active;                    /* state == "active" */
        bool triaged;                   /* is_triaged, or a triage rule */
        /* Both. */
        bool is_blocked;                /* our state (blocking/blocked/failed block) or the VAR marker */
        bool is_whitelisted;
} PolicyFacts;

typedef enum PolicyVerdict {
        POLICY_NONE,                    /* not blocked, stays so */
        POLICY_BLOCK,                   /* new block */
        POLICY_UNBLOCK,
        POLICY_KEEP,                    /* blocked, stays so */
        _POLICY_VERDICT_MAX,
        _POLICY_VERDICT_INVALID = -EINVAL,
} PolicyVerdict;

enum {
        POLICY_MATCH_BLOCK_TAG      = 1 << 0,
        POLICY_MATCH_BLOCK_GROUP    = 1 << 1,
        POLICY_MATCH_SCORES         = 1 << 2,
        POLICY_MATCH_URGENCY        = 1 << 3,
        POLICY_MATCH_DETECTION_TYPE = 1 << 4,
};

#define POLICY_REASON_MAX 160

typedef struct PolicyDecision {
        PolicyVerdict verdict;
        unsigned matched;               /* POLICY_MATCH_* that hold, even when overridden */
        /* Why, for logs and the audit table: "block tag vectra_host_block",
         * "block group Block", "threat 60 >= 50 and certainty 55 >= 50",
         * "urgency 80 >= 70", "detection type Hidden DNS Tunnel",
         * "no-block group NoBlock", "whitelisted", "unblock tag
         * vectra_host_unblock", "no longer matching", "still matching
         * (block tag vectra_host_block)", "blocked, no unblock tag",
         * "no criterion matches", "safety valve: ...".  Long configured
         * names are truncated. */
        char reason[POLICY_REASON_MAX];
} PolicyDecision;

/* Decides for one entity.  -EINVAL for an invalid config (see
 * policy_config_validate()) or NULL pointers; *ret is set only on
 * success. */
int policy_decide(const PolicyConfig *c, const PolicyFacts *f, PolicyDecision *ret);

/* The block criteria that hold (POLICY_MATCH_*), before any override. */
unsigned policy_match(const PolicyConfig *c, const PolicyFacts *f);

/* "none", "block", "unblock", "keep" */
const char *policy_verdict_to_string(PolicyVerdict v);
/* "block-tag,block-group,scores,urgency,detection-type" for the bits set,
 * "" for none; truncated to size.  Returns the untruncated length. */
size_t policy_match_format(unsigned matched, char *buf, size_t size);

/* Safety valve.  The number of POLICY_BLOCK verdicts among d[0..n). */
size_t policy_count_new_blocks(const PolicyDecision *d, size_t n);
/* Whether this cycle's new blocks are over the cap: more than
 * max_new_blocks of them (0 = no cap).  Then NONE of the new blocks
 * happen; unblocks and keeps are untouched. */
bool policy_new_blocks_suppressed(const PolicyDecision *d, size_t n, unsigned max_new_blocks);
/* Applies it: when suppressed, every POLICY_BLOCK becomes POLICY_NONE
 * with the reason "safety valve: N new blocks > max_new_blocks_per_cycle
 * M" (`matched` is kept).  Returns whether it did. */
bool policy_apply_safety_valve(PolicyDecision *d, size_t n, unsigned max_new_blocks);
