/* SPDX-License-Identifier: MIT */
/* The Vectra source: one brain, VAR 3.3.3's decisions on our state machine.
 *
 * A cycle has three phases, each fully asynchronous on the loop:
 *   gather   every query VAR makes (tags, groups, scores or urgency,
 *            detection types, the markers) plus the objects our database
 *            says we blocked through this brain, all in parallel;
 *   decide   the pure policy per object, the whitelist and the protect
 *            list, the safety valve; then the reconciler is told what to
 *            block and unblock (and the block window is honoured);
 *   write    once every responder call has reported, each touched object
 *            gets its whole tag list (VAR's byte-exact contract) and a note.
 * If any query fails the cycle stops before deciding: missing data never
 * unblocks anything. */
#include "config.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/addr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/reconcile.h"
#include "daemon/store_blocks.h"
#include "daemon/store_whitelist.h"
#include "engine/policy.h"
#include "engine/static_dst.h"
#include "engine/vartags.h"
#include "engine/whitelist.h"
#include "engine/window.h"
#include "responders/responder.h"
#include "sources/vectra.h"
#include "sources/vectra_api.h"

enum {
        FL_BLOCK_GROUP   = 1 << 0,
        FL_NOBLOCK_GROUP = 1 << 1,
        FL_SCORED        = 1 << 2,
        FL_URGENCY       = 1 << 3,
        FL_DTYPE         = 1 << 4,
};

/* One Vectra object of the cycle (host, account or detection). */
typedef struct VObj {
        VarKind kind;
        int64_t id;
        char **tags;                    /* as read */
        size_t n_tags;
        char **values;                  /* entity values: host IP, account name, detection dst IPs */
        char *name;
        char *hostname;
        char **macs;
        char *vm_uuid;
        char *aws_vm_uuid;
        unsigned flags;
        int threat, certainty;
        bool has_urgency;
        int urgency;
        bool scores_unknown;
        char *dtype;                    /* detections */
        char *category;
        bool active, triaged;
        int64_t src_host_id;
        PolicyDecision decision;
        bool acted;                     /* the reconciler was asked something for it */
        unsigned pending_reqs;          /* its reconciler requests not yet reported */
        bool written;                   /* its tags were written this cycle */
        bool skip;                      /* nothing to act on (no IP) */
} VObj;

typedef struct VSet {
        VObj **v;
        size_t n;
        /* open addressing on id */
        size_t *slots;
        size_t cap;
} VSet;

typedef struct Vectra Vectra;

typedef struct Cycle {
        Vectra *v;
        bool plan;
        CycleDone cb;
        void *userdata;
        CycleStats st;
        unsigned pending;               /* gather operations or reconciler requests outstanding */
        int phase;                      /* 0 gather, 1 act, 2 write, 3 done */
        int error;                      /* first gather failure */
        char *error_text;
        VSet hosts, accounts, detections;
        cJSON *plan_out;
        uint64_t requests_at_start;
        bool cancelled;
        bool known_done;                /* the second gather round was started */
        bool acting;                    /* requests are being made (act() runs) */
} Cycle;

struct Vectra {
        Source *src;
        const VectraConf *conf;
        VectraApi *api;
        Cycle *cycle;
        PolicyConfig pol[_VAR_KIND_MAX];
        Window window;
        /* The brain's own addresses: never blocked, or a bad rule could cut
         * the daemon off from the product that tells it what to undo. */
        char **self_addrs;
        uv_getaddrinfo_t resolve;
        bool resolving;
};

static void gather_done(Cycle *c);
static void act(Cycle *c);
static void act_moved(Cycle *c, bool enforce);
static bool seen_before(Vectra *v, const VObj *o);
static void write_back(Cycle *c);
static void finish(Cycle *c);
static void write_object(Cycle *c, VObj *o);

/* One outstanding piece of work is done: after the act phase, the write
 * phase starts; after the write phase, the cycle ends. */
static void cycle_release(Cycle *c)
{
        if (--c->pending > 0)
                return;
        if (c->phase == 1)
                write_back(c);
        else if (c->phase == 2)
                finish(c);
}

/* ---- object sets ---- */

static size_t slot_of(const VSet *s, int64_t id)
{
        return (size_t) ((uint64_t) id * 0x9E3779B97F4A7C15ull) & (s->cap - 1);
}

static VObj *vset_find(const VSet *s, int64_t id)
{
        if (!s->cap)
                return NULL;
        for (size_t i = slot_of(s, id);; i = (i + 1) & (s->cap - 1)) {
                size_t k = s->slots[i];
                if (k == 0)
                        return NULL;
                if (s->v[k - 1]->id == id)
                        return s->v[k - 1];
        }
}

static void vset_grow(VSet *s)
{
        size_t cap = s->cap ? s->cap * 2 : 256;

        free(s->slots);
        s->slots = xnew(size_t, cap);
        s->cap = cap;
        for (size_t k = 0; k < s->n; k++) {
                size_t i = slot_of(s, s->v[k]->id);
                while (s->slots[i])
                        i = (i + 1) & (cap - 1);
                s->slots[i] = k + 1;
        }
}

static VObj *vset_get(VSet *s, VarKind kind, int64_t id, bool *ret_new)
{
        VObj *o = vset_find(s, id);
        size_t i;

        *ret_new = false;
        if (o)
                return o;
        if ((s->n + 1) * 2 > s->cap)
                vset_grow(s);
        o = xnew(VObj, 1);
        o->kind = kind;
        o->id = id;
        s->v = xreallocarray(s->v, s->n + 1, sizeof(VObj *));
        s->v[s->n++] = o;
        i = slot_of(s, id);
        while (s->slots[i])
                i = (i + 1) & (s->cap - 1);
        s->slots[i] = s->n;
        *ret_new = true;
        return o;
}

static void vobj_free(VObj *o)
{
        strv_free(o->tags);
        strv_free(o->values);
        free(o->name);
        free(o->hostname);
        strv_free(o->macs);
        free(o->vm_uuid);
        free(o->aws_vm_uuid);
        free(o->dtype);
        free(o->category);
        free(o);
}

static void vset_done(VSet *s)
{
        for (size_t i = 0; i < s->n; i++)
                vobj_free(s->v[i]);
        free(s->v);
        free(s->slots);
        *s = (VSet) { 0 };
}

/* The n entries of v that are set, as a NULL-terminated list (NULL when none). */
static char **strv_from_n(char *const *v, size_t n)
{
        char **r = NULL;
        for (size_t i = 0; i < n; i++)
                if (v[i])
                        r = strv_push(r, v[i]);
        return r;
}

static void set_str(char **p, const char *v)
{
        if (v && !*p)
                *p = xstrdup(v);
}

/* Objects may arrive from several queries: the latest copy of the tags
 * wins, flags accumulate. */
static VObj *merge_host(Cycle *c, const VectraHost *h, unsigned flag)
{
        bool fresh;
        VObj *o = vset_get(&c->hosts, VAR_HOST, h->id, &fresh);
        char buf[ADDR_STR_MAX];
        AddrNet a;

        o->flags |= flag;
        strv_free(o->tags);
        o->tags = strv_from_n(h->tags, h->n_tags);
        o->n_tags = h->n_tags;
        o->threat = h->threat;
        o->certainty = h->certainty;
        if (fresh) {
                if (h->ip && addr_parse(h->ip, &a) == 0 && addr_is_host(&a)) {
                        addr_format(&a, buf, sizeof(buf));
                        o->values = strv_push(NULL, buf);
                } else
                        o->skip = true;
                set_str(&o->name, h->name);
                set_str(&o->hostname, h->full_name);
                o->macs = strv_from_n(h->mac_addresses, h->n_mac_addresses);
                set_str(&o->vm_uuid, h->vmware_vm_uuid);
                set_str(&o->aws_vm_uuid, h->aws_vm_uuid);
        }
        return o;
}

static VObj *merge_account(Cycle *c, const VectraAccount *a, unsigned flag)
{
        bool fresh;
        VObj *o = vset_get(&c->accounts, VAR_ACCOUNT, a->id, &fresh);

        o->flags |= flag;
        strv_free(o->tags);
        o->tags = strv_from_n(a->tags, a->n_tags);
        o->n_tags = a->n_tags;
        o->threat = a->threat;
        o->certainty = a->certainty;
        if (fresh) {
                if (a->name && a->name[0])
                        o->values = strv_push(NULL, a->name);
                else
                        o->skip = true;
                set_str(&o->name, a->display_name ? a->display_name : a->name);
        }
        return o;
}

static VObj *merge_detection(Cycle *c, const VectraDetection *d, unsigned flag)
{
        bool fresh;
        VObj *o = vset_get(&c->detections, VAR_DETECTION, d->id, &fresh);

        o->flags |= flag;
        strv_free(o->tags);
        o->tags = strv_from_n(d->tags, d->n_tags);
        o->n_tags = d->n_tags;
        if (fresh) {
                o->values = strv_from_n(d->dst_ips, d->n_dst_ips);
                o->skip = d->n_dst_ips == 0;
                set_str(&o->dtype, d->detection_type);
                set_str(&o->category, d->category);
                o->active = d->state && !strcmp(d->state, "active");
                o->triaged = d->is_triaged || d->triage_rule_id != 0;
                o->src_host_id = d->src_host_id;
                o->scores_unknown = true;
                o->name = xasprintf("detection %lld", (long long) d->id);
        }
        return o;
}

/* ---- gather ---- */

typedef struct Op {
        Cycle *c;
        unsigned flag;
        VarKind kind;
} Op;

static Op *op_new(Cycle *c, VarKind kind, unsigned flag)
{
        Op *op = xnew(Op, 1);
        op->c = c;
        op->kind = kind;
        op->flag = flag;
        c->pending++;
        return op;
}

/* Records the first failure; the cycle decides nothing when one failed. */
static bool op_failed(Op *op, const VectraStatus *st)
{
        Cycle *c = op->c;

        if (st->r == 0)
                return false;
        if (!c->error) {
                c->error = st->r;
                c->error_text = xstrdup(st->error ? st->error : strerror(-st->r));
        }
        return true;
}

static void op_end(Op *op)
{
        Cycle *c = op->c;
        free(op);
        if (--c->pending == 0)
                gather_done(c);
}

static void on_hosts(void *userdata, const VectraStatus *st, VectraHost **hosts, size_t n)
{
        Op *op = userdata;

        if (!op_failed(op, st))
                for (size_t i = 0; i < n; i++) {
                        VObj *o = merge_host(op->c, hosts[i], op->flag);
                        if (op->flag & FL_URGENCY) {
                                /* the urgency walk keeps only hosts above the threshold */
                                o->has_urgency = true;
                                o->urgency = op->c->v->pol[VAR_HOST].urgency;
                        }
                }
        vectra_hosts_free(hosts, n);
        op_end(op);
}

static void on_accounts(void *userdata, const VectraStatus *st, VectraAccount **accounts, size_t n)
{
        Op *op = userdata;

        if (!op_failed(op, st))
                for (size_t i = 0; i < n; i++) {
                        VObj *o = merge_account(op->c, accounts[i], op->flag);
                        if (op->flag & FL_URGENCY) {
                                o->has_urgency = true;
                                o->urgency = op->c->v->pol[VAR_ACCOUNT].urgency;
                        }
                }
        vectra_accounts_free(accounts, n);
        op_end(op);
}

static void on_detections(void *userdata, const VectraStatus *st, VectraDetection **dets, size_t n)
{
        Op *op = userdata;

        if (!op_failed(op, st))
                for (size_t i = 0; i < n; i++) {
                        VObj *o = merge_detection(op->c, dets[i], op->flag);
                        (void) o;
                }
        vectra_detections_free(dets, n);
        op_end(op);
}

/* Hosts above the score gate and the no-block group feed the detection
 * set: their detections are fetched next. */
typedef struct HostFanout {
        Cycle *c;
        unsigned flag;
        int threat, certainty;          /* of each host, for the detection's facts */
} HostFanout;

static void on_host_detections(void *userdata, const VectraStatus *st, VectraDetection **dets, size_t n)
{
        Op *op = userdata;

        if (!op_failed(op, st))
                for (size_t i = 0; i < n; i++) {
                        const VectraDetection *d = dets[i];
                        bool info = d->category && !strcasecmp(d->category, "INFO");
                        /* VAR keeps active, non-INFO, untriaged detections here */
                        if (op->flag == FL_SCORED &&
                            (info || !d->state || strcmp(d->state, "active") || d->is_triaged ||
                             d->triage_rule_id))
                                continue;
                        merge_detection(op->c, d, op->flag);
                }
        vectra_detections_free(dets, n);
        op_end(op);
}

static void on_fanout_hosts(void *userdata, const VectraStatus *st, VectraHost **hosts, size_t n)
{
        Op *op = userdata;
        Cycle *c = op->c;

        if (!op_failed(op, st))
                for (size_t i = 0; i < n; i++) {
                        Op *sub = op_new(c, VAR_DETECTION, op->flag);
                        if (!c->v->api || vectra_api_detection_set(c->v->api, VECTRA_OBJECT_HOST, hosts[i]->id, on_host_detections,
                                                     sub) < 0) {
                                c->pending--;
                                free(sub);
                        }
                }
        vectra_hosts_free(hosts, n);
        op_end(op);
}

static int start_op(Cycle *c, int r, Op *op)
{
        if (r < 0) {
                VectraStatus st = { .r = r, .error = "cannot start a Vectra query" };
                (void) op_failed(op, &st);
                op_end(op);
        }
        return r;
}

static VectraScoreOp score_op(PolicyOp op)
{
        return op == POLICY_OP_OR ? VECTRA_SCORE_OR : VECTRA_SCORE_AND;
}

/* The objects our database says are (being) blocked through this brain:
 * they must be looked at even when no query returns them any more, or
 * "no longer matching" could never unblock them. */
static int64_t *known_ids(Vectra *v, const char *ext_kind, size_t *ret_n)
{
        sqlite3_stmt *st;
        int64_t *ids = NULL;
        size_t n = 0;

        if (store_prepare(v->src->env.store,
                          "SELECT DISTINCT s.ext_id FROM sightings s JOIN blocks b ON b.entity_id = s.entity_id "
                          "WHERE s.source = ? AND s.ext_kind = ? AND b.state IN ('blocking','blocked','failed')",
                          &st) != SQLITE_OK) {
                *ret_n = 0;
                return NULL;
        }
        sqlite3_bind_text(st, 1, v->src->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ext_kind, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                int64_t id = strtoll((const char *) sqlite3_column_text(st, 0), NULL, 10);
                if (id <= 0)
                        continue;
                ids = xreallocarray(ids, n + 1, sizeof(int64_t));
                ids[n++] = id;
        }
        store_release(st);
        *ret_n = n;
        return ids;
}

static void gather_hosts(Cycle *c)
{
        Vectra *v = c->v;
        const PolicyConfig *p = &v->pol[VAR_HOST];
        const VectraEntityConf *hc = &v->conf->hosts;
        VectraApi *api = v->api;
        Op *op;

        op = op_new(c, VAR_HOST, 0);
        (void) start_op(c, vectra_api_hosts_by_tag(api, hc->block_tag, on_hosts, op), op);
        if (v->conf->explicit_unblock) {
                op = op_new(c, VAR_HOST, 0);
                (void) start_op(c, vectra_api_hosts_by_tag(api, hc->unblock_tag, on_hosts, op), op);
        }
        op = op_new(c, VAR_HOST, 0);
        (void) start_op(c, vectra_api_hosts_by_tag(api, var_marker(VAR_HOST), on_hosts, op), op);
        if (hc->block_group && hc->block_group[0]) {
                op = op_new(c, VAR_HOST, FL_BLOCK_GROUP);
                (void) start_op(c, vectra_api_group_hosts(api, hc->block_group, on_hosts, op), op);
        }
        if (hc->noblock_group && hc->noblock_group[0]) {
                op = op_new(c, VAR_HOST, FL_NOBLOCK_GROUP);
                (void) start_op(c, vectra_api_group_hosts(api, hc->noblock_group, on_hosts, op), op);
        }
        if (p->api == POLICY_API_V3 && p->urgency != POLICY_URGENCY_NONE) {
                if (p->urgency <= 100) {
                        op = op_new(c, VAR_HOST, FL_URGENCY);
                        (void) start_op(c, vectra_api_hosts_by_urgency(api, p->urgency, on_hosts, op), op);
                }
        } else {
                op = op_new(c, VAR_HOST, FL_SCORED);
                (void) start_op(c, vectra_api_hosts_by_score(api, p->scores.threat, p->scores.certainty,
                                                             score_op(p->scores.op), on_hosts, op), op);
        }
        if (p->n_detection_types > 0) {
                op = op_new(c, VAR_HOST, FL_DTYPE);
                (void) start_op(c, vectra_api_hosts_by_detection_types(api, p->detection_types, p->n_detection_types,
                                                                       on_hosts, op), op);
        }
}

static void gather_accounts(Cycle *c)
{
        Vectra *v = c->v;
        const PolicyConfig *p = &v->pol[VAR_ACCOUNT];
        const VectraEntityConf *ac = &v->conf->accounts;
        VectraApi *api = v->api;
        Op *op;

        op = op_new(c, VAR_ACCOUNT, 0);
        (void) start_op(c, vectra_api_accounts_by_tag(api, ac->block_tag, on_accounts, op), op);
        if (v->conf->explicit_unblock) {
                op = op_new(c, VAR_ACCOUNT, 0);
                (void) start_op(c, vectra_api_accounts_by_tag(api, ac->unblock_tag, on_accounts, op), op);
        }
        op = op_new(c, VAR_ACCOUNT, 0);
        (void) start_op(c, vectra_api_accounts_by_tag(api, var_marker(VAR_ACCOUNT), on_accounts, op), op);
        if (ac->block_group && ac->block_group[0]) {
                op = op_new(c, VAR_ACCOUNT, FL_BLOCK_GROUP);
                (void) start_op(c, vectra_api_group_accounts(api, ac->block_group, on_accounts, op), op);
        }
        if (ac->noblock_group && ac->noblock_group[0]) {
                op = op_new(c, VAR_ACCOUNT, FL_NOBLOCK_GROUP);
                (void) start_op(c, vectra_api_group_accounts(api, ac->noblock_group, on_accounts, op), op);
        }
        if (p->api == POLICY_API_V3 && p->urgency != POLICY_URGENCY_NONE) {
                if (p->urgency <= 100) {
                        op = op_new(c, VAR_ACCOUNT, FL_URGENCY);
                        (void) start_op(c, vectra_api_accounts_by_urgency(api, p->urgency, on_accounts, op), op);
                }
        } else {
                op = op_new(c, VAR_ACCOUNT, FL_SCORED);
                (void) start_op(c, vectra_api_accounts_by_score(api, p->scores.threat, p->scores.certainty,
                                                                score_op(p->scores.op), on_accounts, op), op);
        }
        if (p->n_detection_types > 0) {
                op = op_new(c, VAR_ACCOUNT, FL_DTYPE);
                (void) start_op(c, vectra_api_accounts_by_detection_types(api, p->detection_types,
                                                                          p->n_detection_types, on_accounts, op), op);
        }
}

static void gather_detections(Cycle *c)
{
        Vectra *v = c->v;
        const PolicyConfig *p = &v->pol[VAR_DETECTION];
        const VectraDetectionConf *dc = &v->conf->detections;
        VectraApi *api = v->api;
        Op *op;

        op = op_new(c, VAR_DETECTION, 0);
        (void) start_op(c, vectra_api_detections_by_tag(api, dc->block_tag, on_detections, op), op);
        if (v->conf->explicit_unblock) {
                op = op_new(c, VAR_DETECTION, 0);
                (void) start_op(c, vectra_api_detections_by_tag(api, dc->unblock_tag, on_detections, op), op);
        }
        op = op_new(c, VAR_DETECTION, 0);
        (void) start_op(c, vectra_api_detections_by_tag(api, var_marker(VAR_DETECTION), on_detections, op), op);
        for (size_t i = 0; i < p->n_detection_types; i++) {
                op = op_new(c, VAR_DETECTION, FL_DTYPE);
                (void) start_op(c, vectra_api_detections_by_type(api, p->detection_types[i], on_detections, op), op);
        }
        op = op_new(c, VAR_DETECTION, FL_SCORED);
        (void) start_op(c, vectra_api_hosts_by_score(api, p->scores.threat, p->scores.certainty,
                                                     score_op(p->scores.op), on_fanout_hosts, op), op);
        if (v->conf->hosts.noblock_group && v->conf->hosts.noblock_group[0]) {
                op = op_new(c, VAR_DETECTION, FL_NOBLOCK_GROUP);
                (void) start_op(c, vectra_api_group_hosts(api, v->conf->hosts.noblock_group, on_fanout_hosts, op),
                                op);
        }
}

/* The objects our rows say are blocked through this brain but that no query
 * returned (no longer tagged, grouped or scored): fetched one by one, after
 * the listings, so that the ones the listings already brought (the marker
 * listing brings most) cost nothing. */
static unsigned gather_known(Cycle *c)
{
        static const struct {
                VarKind kind;
                const char *ext;
        } kinds[] = { { VAR_HOST, "host" }, { VAR_ACCOUNT, "account" }, { VAR_DETECTION, "detection" } };
        Vectra *v = c->v;
        unsigned started = 0;

        for (size_t k = 0; k < 3; k++) {
                VSet *set = kinds[k].kind == VAR_HOST ? &c->hosts : kinds[k].kind == VAR_ACCOUNT ? &c->accounts :
                            &c->detections;
                _cleanup_free_ int64_t *ids = NULL;
                size_t n_ids, n = 0;
                Op *op;
                int r;

                if ((kinds[k].kind == VAR_HOST && !v->conf->hosts.enabled) ||
                    (kinds[k].kind == VAR_ACCOUNT && !v->conf->accounts.enabled) ||
                    (kinds[k].kind == VAR_DETECTION && !v->conf->detections.enabled))
                        continue;
                ids = known_ids(v, kinds[k].ext, &n_ids);
                for (size_t i = 0; i < n_ids; i++)
                        if (!vset_find(set, ids[i]))
                                ids[n++] = ids[i];
                if (n == 0)
                        continue;
                op = op_new(c, kinds[k].kind, 0);
                r = kinds[k].kind == VAR_HOST ? vectra_api_hosts_get(v->api, ids, n, on_hosts, op) :
                    kinds[k].kind == VAR_ACCOUNT ? vectra_api_accounts_get(v->api, ids, n, on_accounts, op) :
                    vectra_api_detections_get(v->api, ids, n, on_detections, op);
                if (start_op(c, r, op) == 0)
                        started++;
        }
        return started;
}

/* ---- decide and act ---- */

static EntityKind entity_kind_of(VarKind k)
{
        switch (k) {
        case VAR_HOST: return ENTITY_HOST;
        case VAR_ACCOUNT: return ENTITY_ACCOUNT;
        default: return ENTITY_DESTINATION;
        }
}

static const char *ext_kind_of(VarKind k)
{
        return var_kind_to_string(k);
}

/* Whether our database holds a block (or one under way) of the value. */
static bool value_blocked(Vectra *v, EntityKind ek, const char *value)
{
        sqlite3_stmt *st;
        bool r = false;

        if (store_prepare(v->src->env.store,
                               "SELECT 1 FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.kind = ? AND "
                               "e.value = ? AND (b.state IN ('blocking','blocked') OR "
                               "(b.state = 'failed' AND b.intent = 'block')) LIMIT 1", &st) != SQLITE_OK)
                return false;
        sqlite3_bind_text(st, 1, entity_kind_to_string(ek), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
        r = sqlite3_step(st) == SQLITE_ROW;
        store_release(st);
        return r;
}

static bool value_whitelisted(Vectra *v, EntityKind ek, const char *value)
{
        bool covered = false;

        if ((ek == ENTITY_HOST || ek == ENTITY_DESTINATION) && strv_contains(v->self_addrs, value))
                return true;
        (void) store_wl_covers(v->src->env.store, entity_kind_to_string(ek), value, clock_wall(), &covered);
        return covered || config_protects(v->src->env.config, entity_kind_to_string(ek), value);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
        Vectra *v = req->data;

        v->resolving = false;
        if (!v->src) {
                /* the source went away while we resolved */
                uv_freeaddrinfo(res);
                free(v);
                return;
        }
        if (status < 0)
                log_warning("%s: cannot resolve the brain's address (%s); it is not protected from blocks",
                            v->src->name, uv_strerror(status));
        for (struct addrinfo *a = res; a; a = a->ai_next) {
                char buf[ADDR_STR_MAX];
                const void *p = a->ai_family == AF_INET ? (const void *) &((struct sockaddr_in *) a->ai_addr)->sin_addr :
                                (const void *) &((struct sockaddr_in6 *) a->ai_addr)->sin6_addr;
                if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
                    inet_ntop(a->ai_family, p, buf, sizeof(buf)) && !strv_contains(v->self_addrs, buf))
                        v->self_addrs = strv_push(v->self_addrs, buf);
        }
        uv_freeaddrinfo(res);
}

/* Protects the brain's own addresses: an IP literal at once, a name through
 * the loop's resolver (never blocking the loop). */
static void protect_self(Vectra *v, uv_loop_t *loop)
{
        const char *u = v->conf->url, *h = strstr(u, "://");
        _cleanup_free_ char *host = NULL;
        char buf[ADDR_STR_MAX];
        size_t n;
        AddrNet a;

        h = h ? h + 3 : u;
        if (*h == '[') {
                h++;
                n = strcspn(h, "]");
        } else
                n = strcspn(h, ":/");
        host = xstrndup(h, n);
        if (addr_parse(host, &a) == 0) {
                addr_format(&a, buf, sizeof(buf));
                v->self_addrs = strv_push(v->self_addrs, buf);
                return;
        }
        v->resolve.data = v;
        if (uv_getaddrinfo(loop, &v->resolve, on_resolved, host, NULL,
                           &(struct addrinfo) { .ai_socktype = SOCK_STREAM }) == 0)
                v->resolving = true;
}

static bool has_tag(const VObj *o, const char *tag)
{
        for (size_t i = 0; tag && o->tags && o->tags[i]; i++)
                if (!strcmp(o->tags[i], tag))
                        return true;
        return false;
}

static void build_facts(Vectra *v, const VSet *hosts, VObj *o, PolicyFacts *f, bool *ret_any_whitelisted)
{
        const PolicyConfig *p = &v->pol[o->kind];
        EntityKind ek = entity_kind_of(o->kind);
        bool blocked = false, wl = false;

        /* our rows are the truth for objects we know; the marker speaks
         * only for VAR's blocks on an object we never saw */
        if (has_tag(o, var_marker(o->kind)) && !seen_before(v, o))
                blocked = true;
        for (size_t i = 0; o->values && o->values[i]; i++) {
                blocked = blocked || value_blocked(v, ek, o->values[i]);
                wl = wl || value_whitelisted(v, ek, o->values[i]);
        }
        *f = (PolicyFacts) {
                .has_block_tag = has_tag(o, p->block_tag),
                .has_unblock_tag = has_tag(o, p->unblock_tag),
                .in_block_group = o->flags & FL_BLOCK_GROUP,
                .in_noblock_group = o->flags & FL_NOBLOCK_GROUP,
                .threat = o->threat,
                .certainty = o->certainty,
                .has_urgency = o->has_urgency,
                .urgency = o->urgency,
                .is_blocked = blocked,
                /* a whole host or account is spared; for a detection each
                 * whitelisted destination is left out when acting */
                .is_whitelisted = o->kind != VAR_DETECTION && wl,
        };
        if (o->kind != VAR_DETECTION && (o->flags & FL_DTYPE)) {
                f->active_detection_types = p->detection_types;
                f->n_active_detection_types = p->n_detection_types;
        }
        if (o->kind == VAR_DETECTION) {
                const VObj *h = o->src_host_id ? vset_find(hosts, o->src_host_id) : NULL;
                f->detection_type = o->dtype;
                f->category = o->category;
                f->active = o->active;
                f->triaged = o->triaged;
                f->scores_unknown = !h && !(o->flags & FL_SCORED);
                if (h) {
                        f->threat = h->threat;
                        f->certainty = h->certainty;
                }
                if (o->flags & FL_SCORED && !h) {
                        /* found through a host above the gate */
                        f->threat = p->scores.threat;
                        f->certainty = p->scores.certainty;
                }
        }
        *ret_any_whitelisted = wl;
}

typedef struct ActCtx {
        Cycle *c;
        VObj *o;
        bool block;
} ActCtx;

static void on_reconciled(void *userdata, const ReconcileOutcome *out)
{
        ActCtx *a = userdata;
        Cycle *c = a->c;

        if (a->block)
                c->st.blocked += out->succeeded;
        else
                c->st.unblocked += out->succeeded;
        c->st.failed += out->failed;
        /* Write this object's tags now, while other calls still run: the
         * Vectra round trips overlap the responder calls. */
        if (a->o && --a->o->pending_reqs == 0 && c->phase == 1 && !c->acting && !c->cancelled) {
                a->o->written = true;
                write_object(c, a->o);
        }
        free(a);
        cycle_release(c);
}

/* Responders that may act on the object: the brain's list, narrowed by
 * `client:<module>` tags for blocks (never for unblocks, §2.2). */
static char **eligible(Vectra *v, const VObj *o, bool block)
{
        const Config *cfg = v->src->env.config;
        StrList filter = STRLIST_INIT;
        char **names = NULL;

        if (block)
                var_client_filter((const char *const *) o->tags, o->n_tags, &filter);
        for (size_t i = 0; i < cfg->n_responders; i++) {
                Responder *r = cfg->responders[i];
                const VarClient *vc = var_client_find(r->ops->module);
                if (v->conf->responders && !strv_contains(v->conf->responders, r->name))
                        continue;
                if (block && !var_client_filter_allows(&filter, vc ? vc->module : r->ops->module))
                        continue;
                names = strv_push(names, r->name);
        }
        strlist_done(&filter);
        /* an empty list must not mean "every responder" */
        return names ? names : strv_push(NULL, "");
}

static void request(Cycle *c, VObj *o, const char *value, bool block)
{
        Vectra *v = c->v;
        _cleanup_free_ char *id = xasprintf("%lld", (long long) o->id);
        char **names = eligible(v, o, block);
        ActCtx *a;

        if (block && names[0][0] == '\0') {
                log_info("%s: %s %s: no responder is allowed by its client: tags; not blocked", v->src->name,
                         var_kind_to_string(o->kind), value);
                strv_free(names);
                return;
        }
        a = xnew(ActCtx, 1);
        ReconcileRequest rr = {
                .entity = {
                        .kind = entity_kind_of(o->kind),
                        .value = value,
                        .attrs = {
                                .name = o->name, .hostname = o->hostname, .macs = (const char *const *) o->macs,
                                .vm_uuid = o->vm_uuid, .aws_vm_uuid = o->aws_vm_uuid,
                                .ext_kind = ext_kind_of(o->kind), .ext_id = id, .source = v->src->name,
                        },
                },
                .block = block,
                .reason = o->decision.reason,
                .source = v->src->name,
                .responders = names,
                .expires_at = block && v->conf->block_duration ? clock_wall() + (int64_t) v->conf->block_duration : 0,
        };

        a->c = c;
        a->o = o;
        a->block = block;
        o->pending_reqs++;
        c->pending++;
        if (reconciler_want(v->src->env.reconciler, &rr, on_reconciled, a) < 0) {
                c->st.failed++;
                c->pending--;
                o->pending_reqs--;
                free(a);
        }
        strv_free(names);
}

/* Whether a source has seen this Vectra object in an earlier cycle. */
static bool seen_before(Vectra *v, const VObj *o)
{
        _cleanup_free_ char *id = xasprintf("%lld", (long long) o->id);
        sqlite3_stmt *st;
        bool seen = false;

        if (store_prepare(v->src->env.store, "SELECT 1 FROM sightings WHERE source = ? AND "
                               "ext_kind = ? AND ext_id = ? LIMIT 1", &st) != SQLITE_OK)
                return false;
        sqlite3_bind_text(st, 1, v->src->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ext_kind_of(o->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
        seen = sqlite3_step(st) == SQLITE_ROW;
        store_release(st);
        return seen;
}

/* A host VAR already blocked (marker and VAR ID tags) that we hold no row
 * for is taken over as it is: rows in `blocked` with VAR's elements, no
 * responder called (vectra.md §2.1: switching from VAR re-blocks nothing). */
static void adopt(Cycle *c, VObj *o)
{
        Vectra *v = c->v;
        const Config *cfg = v->src->env.config;
        Store *store = v->src->env.store;
        VarTags t = VAR_TAGS_INIT;
        EntityKind ek = entity_kind_of(o->kind);
        int64_t now = clock_wall();

        if (!has_tag(o, var_marker(o->kind)) || !o->values)
                return;
        /* Only an object we have never seen carries VAR's own blocks; on a
         * known one the tags are ours (written from our rows). */
        if (seen_before(v, o))
                return;
        var_tags_split(o->kind, (const char *const *) o->tags, o->n_tags, &t);
        for (size_t i = 0; i < cfg->n_responders; i++) {
                Responder *r = cfg->responders[i];
                const StrList *el = var_tags_elements(&t, r->ops->client_name);
                _cleanup_free_ char *id = xasprintf("%lld", (long long) o->id);
                int64_t entity_id;
                BlockRecord rec;

                if (!el || el->n == 0)
                        continue;
                for (size_t k = 0; o->values[k]; k++) {
                        if (store_entity_upsert(store, entity_kind_to_string(ek), o->values[k], now, &entity_id) < 0)
                                continue;
                        if (store_block_get(store, entity_id, r->name, &rec) == 0) {
                                block_record_done(&rec);
                                continue;
                        }
                        (void) store_sighting_put(store, entity_id, v->src->name, ext_kind_of(o->kind), id, NULL, now);
                        rec = (BlockRecord) {
                                .entity_id = entity_id,
                                .responder = r->name,
                                .state = (char *) "blocked",
                                .intent = (char *) "block",
                                .elements = el->items,
                                .reason = (char *) "adopted from VAR tags",
                                .source = v->src->name,
                                .created_at = now,
                                .updated_at = now,
                        };
                        if (store_block_put(store, &rec) == 0) {
                                LogFields f = { .source = v->src->name, .responder = r->name,
                                                .entity = o->values[k], .kind = entity_kind_to_string(ek),
                                                .action = "adopt", .result = "ok" };
                                log_event(LOG_NOTICE, NULL, &f, "%s: adopted VAR's block of %s %s on '%s' (%zu "
                                          "element%s)", v->src->name, entity_kind_to_string(ek), o->values[k],
                                          r->name, el->n, el->n == 1 ? "" : "s");
                                (void) store_event(store, now, v->src->name, "adopt", entity_kind_to_string(ek),
                                                   o->values[k], "VAR tags", "ok", r->name);
                        }
                }
        }
        var_tags_done(&t);
}

static void plan_add(Cycle *c, const VObj *o, const char *value)
{
        cJSON *e = cJSON_CreateObject();
        char id[32];

        snprintf(id, sizeof(id), "%lld", (long long) o->id);
        cJSON_AddStringToObject(e, "kind", entity_kind_to_string(entity_kind_of(o->kind)));
        cJSON_AddStringToObject(e, "value", value);
        cJSON_AddStringToObject(e, "verdict", policy_verdict_to_string(o->decision.verdict));
        cJSON_AddStringToObject(e, "reason", o->decision.reason);
        cJSON_AddStringToObject(e, "source", c->v->src->name);
        cJSON_AddStringToObject(e, "ext_kind", ext_kind_of(o->kind));
        cJSON_AddStringToObject(e, "ext_id", id);
        cJSON_AddItemToArray(c->plan_out, e);
}

static bool in_window(Vectra *v)
{
        time_t now = clock_wall();
        struct tm tm;

        localtime_r(&now, &tm);
        return window_allows(&v->window, &tm);
}

static void decide_set(Cycle *c, VSet *set, PolicyDecision **ds, VObj ***objs, size_t *n)
{
        for (size_t i = 0; i < set->n; i++) {
                VObj *o = set->v[i];
                PolicyFacts f;
                bool wl;

                if (o->skip)
                        continue;
                if (!c->plan && !c->v->conf->simulation)
                        adopt(c, o);
                build_facts(c->v, &c->hosts, o, &f, &wl);
                if (policy_decide(&c->v->pol[o->kind], &f, &o->decision) < 0)
                        continue;
                *ds = xreallocarray(*ds, *n + 1, sizeof(PolicyDecision));
                *objs = xreallocarray(*objs, *n + 1, sizeof(VObj *));
                (*ds)[*n] = o->decision;
                (*objs)[*n] = o;
                (*n)++;
        }
}

/* VAR's static destination list (§2.9), done right: the file is re-read
 * every cycle, bad lines are reported by number, and what is applied is
 * what our rows say (a failed block is retried, nothing is written in
 * simulation or plan mode). */
static char *static_source(Vectra *v)
{
        return xasprintf("%s:static", v->src->name);
}

static void static_request(Cycle *c, const char *value, bool block)
{
        Vectra *v = c->v;
        _cleanup_free_ char *src = static_source(v);
        char **names = NULL;
        ActCtx *a = xnew(ActCtx, 1);
        ReconcileRequest rr;

        for (size_t i = 0; i < v->src->env.config->n_responders; i++) {
                Responder *r = v->src->env.config->responders[i];
                if (v->conf->responders && !strv_contains(v->conf->responders, r->name))
                        continue;
                if (r->caps & (RESPONDER_CAP_STATIC_LIST | RESPONDER_CAP_DESTINATION))
                        names = strv_push(names, r->name);
        }
        if (!names)
                names = strv_push(NULL, "");
        rr = (ReconcileRequest) {
                .entity = { .kind = ENTITY_DESTINATION, .value = value,
                            .attrs = { .ext_kind = "static", .ext_id = value, .source = src } },
                .block = block,
                .reason = block ? "static destination list" : "removed from the static destination list",
                .source = src,
                .responders = names,
        };
        a->c = c;
        a->block = block;
        c->pending++;
        if (reconciler_want(v->src->env.reconciler, &rr, on_reconciled, a) < 0) {
                c->st.failed++;
                c->pending--;
                free(a);
        }
        strv_free(names);
}

static char **static_applied(Vectra *v)
{
        _cleanup_free_ char *src = static_source(v);
        sqlite3_stmt *st;
        char **r = NULL;

        if (store_prepare(v->src->env.store,
                               "SELECT DISTINCT e.value FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE "
                               "e.kind = 'destination' AND b.source = ? AND (b.state IN ('blocking','blocked') OR "
                               "(b.state = 'failed' AND b.intent = 'block')) ORDER BY e.value", &st) != SQLITE_OK)
                return NULL;
        sqlite3_bind_text(st, 1, src, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW)
                r = strv_push(r, (const char *) sqlite3_column_text(st, 0));
        store_release(st);
        return r;
}

static void act_static(Cycle *c, bool enforce)
{
        Vectra *v = c->v;
        const char *path = v->conf->static_destinations;
        StaticDstList *list = NULL;
        StaticDstDiff diff = { 0 };
        char **applied;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        if (!path)
                return;
        f = fopen(path, "re");
        if (!f) {
                /* an unreadable list must not unblock everything it held */
                log_error("%s: cannot read static_destinations \"%s\": %m; static blocks left as they are",
                          v->src->name, path);
                return;
        }
        {
                char buf[4096];
                size_t n;
                while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
                        text = xreallocarray(text, len + n + 1, 1);
                        memcpy(text + len, buf, n);
                        len += n;
                }
        }
        fclose(f);
        if (static_dst_parse(text ? text : "", len, &list) < 0) {
                free(text);
                return;
        }
        free(text);
        for (size_t i = 0; i < list->n_errors; i++)
                log_warning("%s:%u: %s (line ignored)", path, list->errors[i].line, list->errors[i].message);
        applied = static_applied(v);
        if (static_dst_diff((const char *const *) list->entries, list->n_entries, (const char *const *) applied,
                            strv_length(applied), &diff) == 0) {
                if (diff.n_add || diff.n_remove)
                        log_info("%s: static destinations: %zu to block, %zu to unblock", v->src->name, diff.n_add,
                                 diff.n_remove);
                for (size_t i = 0; i < diff.n_add; i++) {
                        if (value_whitelisted(v, ENTITY_DESTINATION, diff.add[i]))
                                continue;
                        c->st.to_block++;
                        if (c->plan) {
                                cJSON *e = cJSON_CreateObject();
                                cJSON_AddStringToObject(e, "kind", "destination");
                                cJSON_AddStringToObject(e, "value", diff.add[i]);
                                cJSON_AddStringToObject(e, "verdict", "block");
                                cJSON_AddStringToObject(e, "reason", "static destination list");
                                cJSON_AddStringToObject(e, "source", v->src->name);
                                cJSON_AddItemToArray(c->plan_out, e);
                        } else if (enforce)
                                static_request(c, diff.add[i], true);
                }
                for (size_t i = 0; i < diff.n_remove; i++) {
                        c->st.to_unblock++;
                        if (c->plan) {
                                cJSON *e = cJSON_CreateObject();
                                cJSON_AddStringToObject(e, "kind", "destination");
                                cJSON_AddStringToObject(e, "value", diff.remove[i]);
                                cJSON_AddStringToObject(e, "verdict", "unblock");
                                cJSON_AddStringToObject(e, "reason", "removed from the static destination list");
                                cJSON_AddStringToObject(e, "source", v->src->name);
                                cJSON_AddItemToArray(c->plan_out, e);
                        } else if (enforce)
                                static_request(c, diff.remove[i], false);
                }
                static_dst_diff_done(&diff);
        }
        strv_free(applied);
        static_dst_list_free(list);
}

static void on_groomed(void *userdata, const ReconcileOutcome *o)
{
        Cycle *c = userdata;

        if (o->succeeded || o->failed)
                log_info("%s: grooming: %u block(s) moved with their host, %u unchanged, %u failed", c->v->src->name,
                         o->succeeded, o->unchanged, o->failed);
        c->st.failed += o->failed;
        cycle_release(c);
}

static void act(Cycle *c)
{
        Vectra *v = c->v;
        PolicyDecision *ds = NULL;
        VObj **objs = NULL;
        size_t n = 0;
        bool enforce;

        if (!c->plan && !v->conf->simulation)
                reconciler_batch_begin(v->src->env.reconciler);
        decide_set(c, &c->hosts, &ds, &objs, &n);
        decide_set(c, &c->accounts, &ds, &objs, &n);
        decide_set(c, &c->detections, &ds, &objs, &n);
        c->st.found = (unsigned) n;

        /* too many new blocks at once smells of a bad rule or bad data */
        size_t wanted = policy_count_new_blocks(ds, n);
        if (v->conf->max_new_blocks_per_cycle > 0 &&
            policy_apply_safety_valve(ds, n, (unsigned) v->conf->max_new_blocks_per_cycle)) {
                LogFields f = { .source = v->src->name, .action = "safety-valve", .result = "suppressed" };
                c->st.suppressed = true;
                log_event(LOG_ALERT, NULL, &f, "%s: %zu new blocks exceed max_new_blocks_per_cycle = %lld; no new "
                          "block this cycle (unblocks proceed)", v->src->name, wanted,
                          (long long) v->conf->max_new_blocks_per_cycle);
        }
        enforce = !c->plan && !v->conf->simulation;
        if (enforce && !in_window(v)) {
                log_info("%s: not within the automated response window; nothing enforced this cycle", v->src->name);
                c->st.result = SOURCE_SKIPPED;
                enforce = false;
        }
        c->pending = 1;         /* held until every request is out */
        c->acting = true;
        for (size_t i = 0; i < n; i++) {
                VObj *o = objs[i];
                bool block;

                o->decision = ds[i];
                /* A block another source (or brain) made that this brain
                 * wants too: tell the reconciler once, so that the block is
                 * held for this brain as well and its object is written back. */
                if (o->decision.verdict == POLICY_KEEP && enforce && !seen_before(v, o)) {
                        for (size_t k = 0; o->values && o->values[k]; k++)
                                if (value_blocked(v, entity_kind_of(o->kind), o->values[k])) {
                                        o->acted = true;
                                        request(c, o, o->values[k], true);
                                }
                        continue;
                }
                if (o->decision.verdict != POLICY_BLOCK && o->decision.verdict != POLICY_UNBLOCK)
                        continue;
                block = o->decision.verdict == POLICY_BLOCK;
                if (!block) {
                        /* a marker of another install, with nothing of ours to undo */
                        bool ours = false;
                        for (size_t k = 0; o->values && o->values[k]; k++)
                                ours = ours || value_blocked(v, entity_kind_of(o->kind), o->values[k]);
                        if (!ours)
                                continue;
                }
                if (block)
                        c->st.to_block++;
                else
                        c->st.to_unblock++;
                for (size_t k = 0; o->values && o->values[k]; k++) {
                        EntityKind ek = entity_kind_of(o->kind);
                        /* a detection's whitelisted destinations stay open */
                        if (block && value_whitelisted(v, ek, o->values[k]))
                                continue;
                        if (c->plan || v->conf->simulation) {
                                if (c->plan)
                                        plan_add(c, o, o->values[k]);
                                else
                                        log_notice("%s: [simulation] would %s %s %s (%s)", v->src->name,
                                                   block ? "block" : "unblock",
                                                   entity_kind_to_string(ek), o->values[k], o->decision.reason);
                                continue;
                        }
                        if (!enforce)
                                continue;
                        o->acted = true;
                        request(c, o, o->values[k], block);
                }
        }
        free(ds);
        free(objs);
        act_moved(c, enforce);
        act_static(c, enforce);
        /* VAR's order: blocks, unblocks, then grooming of what stays blocked */
        if (enforce && v->conf->groom) {
                c->pending++;
                if (reconciler_groom(v->src->env.reconciler, v->src->name, on_groomed, c) < 0)
                        c->pending--;
        }
        c->acting = false;
        if (!c->plan && !v->conf->simulation)
                reconciler_batch_end(v->src->env.reconciler);
        cycle_release(c);
}

/* Values we blocked for this Vectra object that it no longer has (a host
 * whose IP changed): VAR's grooming, done on every cycle and for every
 * responder, since the old address must not stay blocked. */
static char **stale_values(Vectra *v, const VObj *o)
{
        _cleanup_free_ char *id = xasprintf("%lld", (long long) o->id);
        sqlite3_stmt *st;
        char **r = NULL;

        if (store_prepare(v->src->env.store,
                               "SELECT DISTINCT e.value FROM sightings s JOIN entities e ON e.id = s.entity_id "
                               "JOIN blocks b ON b.entity_id = s.entity_id WHERE s.source = ? AND s.ext_kind = ? "
                               "AND s.ext_id = ? AND (b.state IN ('blocking','blocked') OR (b.state = 'failed' AND "
                               "b.intent = 'block'))", &st) != SQLITE_OK)
                return NULL;
        sqlite3_bind_text(st, 1, v->src->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ext_kind_of(o->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *val = (const char *) sqlite3_column_text(st, 0);
                if (!strv_contains(o->values, val))
                        r = strv_push(r, val);
        }
        store_release(st);
        return r;
}

static void act_moved(Cycle *c, bool enforce)
{
        VSet *sets[] = { &c->hosts, &c->accounts };

        for (size_t s = 0; s < 2; s++)
                for (size_t i = 0; i < sets[s]->n; i++) {
                        VObj *o = sets[s]->v[i];
                        char **old;
                        if (o->skip)
                                continue;
                        old = stale_values(c->v, o);
                        for (size_t k = 0; old && old[k]; k++) {
                                log_notice("%s: %s %lld moved from %s to %s: unblocking the old value",
                                           c->v->src->name, var_kind_to_string(o->kind), (long long) o->id, old[k],
                                           o->values[0]);
                                c->st.to_unblock++;
                                if (c->plan) {
                                        PolicyDecision save = o->decision;
                                        o->decision.verdict = POLICY_UNBLOCK;
                                        snprintf(o->decision.reason, sizeof(o->decision.reason), "moved to %s",
                                                 o->values[0]);
                                        plan_add(c, o, old[k]);
                                        o->decision = save;
                                } else if (enforce) {
                                        o->acted = true;
                                        request(c, o, old[k], false);
                                }
                        }
                        strv_free(old);
                }
}

/* ---- write back ---- */

typedef struct WriteCtx {
        Cycle *c;
        int64_t id;
        VarKind kind;
        char *note;
} WriteCtx;

static VectraObjectKind api_kind(VarKind k)
{
        return k == VAR_HOST ? VECTRA_OBJECT_HOST : k == VAR_ACCOUNT ? VECTRA_OBJECT_ACCOUNT : VECTRA_OBJECT_DETECTION;
}

static void write_end(Cycle *c)
{
        cycle_release(c);
}

static void on_note(void *userdata, const VectraStatus *st)
{
        WriteCtx *w = userdata;

        if (st->r < 0)
                log_warning("%s: cannot add the note to %s %lld: %s, ignoring", w->c->v->src->name,
                            var_kind_to_string(w->kind), (long long) w->id, st->error ? st->error : "failed");
        free(w->note);
        write_end(w->c);
        free(w);
}

static void on_tags_set(void *userdata, const VectraStatus *st)
{
        WriteCtx *w = userdata;
        Cycle *c = w->c;

        if (st->r < 0) {
                log_warning("%s: cannot write the tags of %s %lld: %s; they are written again next cycle",
                            c->v->src->name, var_kind_to_string(w->kind), (long long) w->id,
                            st->error ? st->error : "failed");
                free(w->note);
                write_end(c);
                free(w);
                return;
        }
        if (w->note && c->v->api && vectra_api_add_note(c->v->api, api_kind(w->kind), w->id, w->note, on_note, w) == 0)
                return;
        free(w->note);
        write_end(c);
        free(w);
}

/* The elements our rows hold for the object's values, per responder
 * client name: what the VAR ID tags must say. */
static void owners_from_db(Vectra *v, const VObj *o, VarTags *t)
{
        const Config *cfg = v->src->env.config;
        EntityKind ek = entity_kind_of(o->kind);

        /* For our responders the database is the truth; the tags of other
         * clients (another VAR install, a responder we do not run) stay. */
        for (size_t i = 0; i < cfg->n_responders; i++) {
                const char *client = cfg->responders[i]->ops->client_name;
                const StrList *el;
                while ((el = var_tags_elements(t, client)) && el->n > 0) {
                        _cleanup_free_ char *e = xstrdup(el->items[0]);
                        if (!var_tags_remove(t, client, e))
                                break;
                }
        }
        for (size_t k = 0; o->values && o->values[k]; k++) {
                sqlite3_stmt *st;
                if (store_prepare(v->src->env.store,
                                       "SELECT b.responder, b.elements FROM blocks b JOIN entities e ON "
                                       "e.id = b.entity_id WHERE e.kind = ? AND e.value = ? AND "
                                       "(b.state IN ('blocked','unblocking') OR (b.state = 'failed' AND "
                                       "b.intent = 'unblock'))", &st) != SQLITE_OK)
                        continue;
                sqlite3_bind_text(st, 1, entity_kind_to_string(ek), -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, o->values[k], -1, SQLITE_STATIC);
                while (sqlite3_step(st) == SQLITE_ROW) {
                        const char *resp = (const char *) sqlite3_column_text(st, 0);
                        cJSON *a = cJSON_Parse((const char *) sqlite3_column_text(st, 1)), *e;
                        Responder *r = NULL;
                        for (size_t i = 0; i < cfg->n_responders; i++)
                                if (!strcmp(cfg->responders[i]->name, resp))
                                        r = cfg->responders[i];
                        cJSON_ArrayForEach(e, a)
                                if (r && cJSON_IsString(e))
                                        (void) var_tags_add(t, r->ops->client_name, e->valuestring);
                        cJSON_Delete(a);
                }
                store_release(st);
        }
}

static bool same_tags(char *const *a, size_t na, const StrList *b)
{
        if (na != b->n)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!strlist_contains(b, a[i]))
                        return false;
        for (size_t i = 0; i < b->n; i++) {
                bool found = false;
                for (size_t j = 0; j < na && !found; j++)
                        found = !strcmp(a[j], b->items[i]);
                if (!found)
                        return false;
        }
        return true;
}

static void write_object(Cycle *c, VObj *o)
{
        Vectra *v = c->v;
        VarTags t = VAR_TAGS_INIT;
        StrList tags = STRLIST_INIT;
        bool had, has, dropped;
        VarWrite mode;
        WriteCtx *w;

        var_tags_split(o->kind, (const char *const *) o->tags, o->n_tags, &t);
        had = t.had_marker;
        owners_from_db(v, o, &t);
        has = var_tags_n_elements(&t) > 0;
        mode = o->decision.verdict == POLICY_UNBLOCK ? VAR_WRITE_UNBLOCK : VAR_WRITE_BLOCK;
        dropped = false;
        if (var_tags_build(o->kind, &t, mode, &tags, &dropped) < 0 ||
            same_tags(o->tags, o->n_tags, &tags)) {
                var_tags_done(&t);
                strlist_done(&tags);
                return;
        }
        if (dropped)
                log_warning("%s: %s %lld: the tag 'block' is removed on unblock, as VAR does", v->src->name,
                            var_kind_to_string(o->kind), (long long) o->id);
        w = xnew(WriteCtx, 1);
        w->c = c;
        w->id = o->id;
        w->kind = o->kind;
        if (had != has) {
                time_t now = clock_wall();
                struct tm tm;
                char buf[128];
                localtime_r(&now, &tm);
                if (var_note_format(has ? VAR_NOTE_BLOCKED : VAR_NOTE_UNBLOCKED, &tm, buf, sizeof(buf)) >= 0)
                        w->note = xstrdup(buf);
        }
        c->pending++;
        if (!v->api || vectra_api_set_tags(v->api, api_kind(o->kind), o->id, (const char *const *) tags.items, tags.n,
                                on_tags_set, w) < 0) {
                free(w->note);
                free(w);
                c->pending--;
        }
        var_tags_done(&t);
        strlist_done(&tags);
}

static void write_back(Cycle *c)
{
        VSet *sets[] = { &c->hosts, &c->accounts, &c->detections };

        c->phase = 2;
        c->pending++;
        if (!c->plan && !c->v->conf->simulation && !c->cancelled)
                for (size_t s = 0; s < 3; s++)
                        for (size_t i = 0; i < sets[s]->n; i++) {
                                VObj *o = sets[s]->v[i];
                                /* objects we acted on, and any whose tags may have drifted from
                                 * our rows (unblocked between cycles: whitelist, expiry, operator);
                                 * write_object() only writes when the tags differ */
                                if (!o->skip && !o->written && (o->acted || o->decision.verdict != POLICY_NONE ||
                                                                has_tag(o, var_marker(o->kind))))
                                        write_object(c, o);
                        }
        write_end(c);
}

/* ---- cycle ---- */

static void cycle_free(Cycle *c)
{
        vset_done(&c->hosts);
        vset_done(&c->accounts);
        vset_done(&c->detections);
        free(c->error_text);
        free(c->st.error);
        cJSON_Delete(c->plan_out);
        free(c);
}

static void finish(Cycle *c)
{
        Vectra *v = c->v;
        VectraApiStats as;
        CycleDone cb = c->cb;
        void *ud = c->userdata;
        cJSON *plan = c->plan_out;

        c->phase = 3;
        /* the API client may already be gone when a stop cancelled us */
        if (v->api) {
                vectra_api_get_stats(v->api, &as);
                c->st.requests = (unsigned) (as.requests - c->requests_at_start);
        }
        c->st.duration_ms = clock_mono_usec() / 1000 - c->st.started_ms;
        c->st.started_ms = (uint64_t) clock_wall() * 1000 - c->st.duration_ms;
        if (c->cancelled && c->st.result == SOURCE_OK)
                c->st.result = SOURCE_CANCELLED;
        c->plan_out = NULL;
        v->cycle = NULL;
        cb(ud, &c->st, plan);
        cycle_free(c);
}

static void gather_done(Cycle *c)
{
        if (c->phase != 0)
                return;
        if (!c->known_done && !c->cancelled && !c->error) {
                c->known_done = true;
                c->pending = 1;         /* held while the fetches start */
                (void) gather_known(c);
                if (--c->pending > 0)
                        return;
        }
        c->phase = 1;
        if (c->cancelled) {
                c->st.result = SOURCE_CANCELLED;
                finish(c);
                return;
        }
        if (c->error) {
                /* a refused token or key is "no bearer token" for --once (101) */
                c->st.result = c->error == VECTRA_ERR_TOKEN || c->error == -EACCES ? SOURCE_AUTH_FAILED :
                               c->error == -ECANCELED ? SOURCE_CANCELLED :
                               c->error == -ENOMEM ? SOURCE_FAILED : SOURCE_API_FAILED;
                c->st.error = xstrdup(c->error_text ? c->error_text : "a Vectra query failed");
                finish(c);
                return;
        }
        act(c);
}

static int vectra_start(Source *s, bool plan, CycleDone cb, void *userdata)
{
        Vectra *v = s->priv;
        VectraApiStats as;
        Cycle *c;

        if (v->cycle)
                return -EBUSY;
        if (!v->api)
                return -ESHUTDOWN;
        c = xnew(Cycle, 1);
        c->v = v;
        c->plan = plan;
        c->cb = cb;
        c->userdata = userdata;
        c->st.result = SOURCE_OK;
        c->st.started_ms = clock_mono_usec() / 1000;
        if (plan)
                c->plan_out = cJSON_CreateArray();
        vectra_api_get_stats(v->api, &as);
        c->requests_at_start = as.requests;
        v->cycle = c;

        c->pending = 1;         /* held while the queries are started */
        if (v->conf->hosts.enabled)
                gather_hosts(c);
        if (v->conf->accounts.enabled)
                gather_accounts(c);
        if (v->conf->detections.enabled)
                gather_detections(c);
        if (--c->pending == 0)
                gather_done(c);
        return 0;
}

static void vectra_cancel(Source *s)
{
        Vectra *v = s->priv;

        if (!v->cycle)
                return;
        v->cycle->cancelled = true;
        if (v->api)
                vectra_api_cancel_all(v->api);
}

static void on_api_closed(void *userdata)
{
        Vectra *v = userdata;
        v->api = NULL;
}

static void vectra_stop(Source *s)
{
        Vectra *v = s->priv;

        if (v->resolving)
                (void) uv_cancel((uv_req_t *) &v->resolve);
        vectra_cancel(s);
        if (v->api)
                (void) vectra_api_shutdown(v->api, on_api_closed, v);
}

static void vectra_free(Source *s)
{
        Vectra *v = s->priv;

        s->priv = NULL;
        if (!v)
                return;
        strv_free(v->self_addrs);
        v->self_addrs = NULL;
        v->src = NULL;
        if (v->resolving)
                /* on_resolved frees it; the loop cancelled or will finish it */
                return;
        free(v);
}

static const SourceOps vectra_ops = {
        .kind = "vectra",
        .start = vectra_start,
        .cancel = vectra_cancel,
        .stop = vectra_stop,
        .free = vectra_free,
};

static void entity_policy(PolicyConfig *p, VarKind kind, PolicyApi api, const VectraEntityConf *e, bool explicit_unblock)
{
        policy_config_default(kind, api, p);
        p->block_tag = e->block_tag;
        p->unblock_tag = e->unblock_tag;
        p->block_group = e->block_group;
        p->noblock_group = e->noblock_group;
        p->scores = (PolicyScoreGate) { .threat = (int) e->threat, .op = e->score_op == SCORE_OR ? POLICY_OP_OR :
                                        POLICY_OP_AND, .certainty = (int) e->certainty };
        p->urgency = e->urgency < 0 ? POLICY_URGENCY_NONE : (int) e->urgency;
        p->detection_types = (const char *const *) e->detection_types;
        p->n_detection_types = strv_length(e->detection_types);
        p->detection_types_min = (PolicyScoreGate) {
                .threat = (int) e->detection_min_threat,
                .op = e->detection_score_op == SCORE_OR ? POLICY_OP_OR : POLICY_OP_AND,
                .certainty = (int) e->detection_min_certainty,
        };
        p->explicit_unblock = explicit_unblock;
}

int vectra_source_new(const SourceEnv *env, const VectraConf *conf, Source **ret)
{
        PolicyApi api = conf->api_version == 2 ? POLICY_API_V3 : POLICY_API_V2;
        VectraApiOptions o = {
                .url = conf->url,
                .version = conf->api_version == 2 ? VECTRA_VERSION_3 : VECTRA_VERSION_2_5,
                .auth = conf->auth == 1 ? VECTRA_AUTH_TOKEN : VECTRA_AUTH_OAUTH,
                .token = conf->token.value,
                .client_id = conf->client_id,
                .secret = conf->secret_key.value,
                .page_size = (unsigned) conf->page_size,
                .ca_file = conf->ca_file,
                .tls_skip_verify = !conf->tls_verify,
                .name = conf->name,
        };
        uint8_t days = WINDOW_ALL_DAYS;
        Source *s;
        Vectra *v;
        int r;

        if (conf->block_days && window_days_parse((const char *const *) conf->block_days,
                                                  strv_length(conf->block_days), &days, NULL, NULL) < 0)
                return -EINVAL;
        v = xnew(Vectra, 1);
        v->conf = conf;
        if (window_init(&v->window, days, (int) conf->block_start_hour, (int) conf->block_end_hour) < 0) {
                free(v);
                return -EINVAL;
        }
        r = vectra_api_new(env->loop, env->http, &o, &v->api);
        if (r < 0) {
                free(v);
                return r;
        }
        entity_policy(&v->pol[VAR_HOST], VAR_HOST, api, &conf->hosts, conf->explicit_unblock);
        entity_policy(&v->pol[VAR_ACCOUNT], VAR_ACCOUNT, api, &conf->accounts, conf->explicit_unblock);
        {
                PolicyConfig *p = &v->pol[VAR_DETECTION];
                const VectraDetectionConf *d = &conf->detections;
                policy_config_default(VAR_DETECTION, api, p);
                p->block_tag = d->block_tag;
                p->unblock_tag = d->unblock_tag;
                p->noblock_group = conf->hosts.noblock_group;
                p->scores = (PolicyScoreGate) { .threat = (int) d->host_threat, .op = d->host_score_op == SCORE_OR ?
                                                POLICY_OP_OR : POLICY_OP_AND, .certainty = (int) d->host_certainty };
                p->detection_types = (const char *const *) d->types;
                p->n_detection_types = strv_length(d->types);
                p->explicit_unblock = conf->explicit_unblock;
        }
        /* the policies borrow the config's strings, which outlive the source */

        protect_self(v, env->loop);
        s = xnew(Source, 1);
        s->ops = &vectra_ops;
        s->name = xasprintf("vectra:%s", conf->name);
        s->interval_ms = conf->interval * 1000;
        s->env = *env;
        s->priv = v;
        v->src = s;
        *ret = s;
        return 0;
}
