/* SPDX-License-Identifier: MIT */
/* The Umbrella source: the behaviour-security scorer on our state machine
 * (umbrella.md §8).
 *
 * A cycle:
 *   users      the VPN users (FreeRADIUS or the config list);
 *   identities top-identities, every page: identity label -> id;
 *   activity   each user's DNS activity in the security categories, every
 *              page, all users at once (the API client caps the requests
 *              in flight);
 *   risk       the Investigate score of each distinct domain not in the
 *              cache (umbrella_domain_scores, fresh for score_ttl), all at
 *              once under the same cap;
 *   decide     the score (engine/riskscore.c), stored with its inputs in
 *              `scores`; then each user's group through the reconciler: a
 *              worse group than Safe is a block carrying the group, Safe is
 *              the unblock.  Whitelisted users are scored, marked, never
 *              acted on.
 * A failed call anywhere before "decide" fails the cycle: no group moves. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/clock.h"
#include "common/log.h"
#include "common/msgid.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/reconcile.h"
#include "daemon/store.h"
#include "daemon/store_whitelist.h"
#include "engine/riskscore.h"
#include "responders/responder.h"
#include "sources/umbrella.h"
#include "sources/umbrella_api.h"
#include "sources/umbrella_users.h"

typedef struct UUser {
        UmbUser u;
        int64_t identity_id;
        bool seen;                      /* among the top identities */
        bool whitelisted;
        UmbActivity act;
        double score;
        bool max_rule;
        RiskGroup group;
} UUser;

typedef struct Umbrella Umbrella;

typedef struct Cycle {
        Umbrella *u;
        bool plan;
        CycleDone cb;
        void *userdata;
        CycleStats st;
        UmbUser *loaded;
        UUser *users;
        size_t n_users;
        unsigned pending;
        int phase;                      /* 0 identities, 1 activity, 2 risk, 3 act, 4 done */
        int error;
        long error_status;
        char *error_text;
        bool cancelled;
        char **domains;                 /* distinct, sorted */
        int *scores;                    /* per domain; -1 unknown */
        bool *fetched;                  /* asked Investigate this cycle: to cache */
        size_t n_domains;
        unsigned cache_hits, lookups;
        uint64_t requests_at_start;
        cJSON *plan_out;
        uv_work_t users_work;
        int users_r;                    /* of the users query */
        char *users_why;
} Cycle;

struct Umbrella {
        Source *src;
        const UmbrellaConf *conf;
        UmbrellaApi *api;
        Cycle *cycle;
        RiskConfig risk;
};

static void cycle_release(Cycle *c);
static void start_risk(Cycle *c);
static void act(Cycle *c);

static UmbrellaQuery query_of(const Umbrella *u)
{
        return (UmbrellaQuery) {
                .from = u->conf->from, .to = u->conf->to, .limit = (unsigned) u->conf->page_limit,
                .identity_type = u->conf->identity_type, .categories = u->conf->categories,
                .n_categories = u->conf->n_categories,
        };
}

/* The first failure wins; everything else in flight is cancelled. */
static void cycle_fail(Cycle *c, const UmbrellaStatus *st)
{
        if (c->error || c->cancelled)
                return;
        c->error = st->r ? st->r : -EIO;
        c->error_status = st->http_status;
        c->error_text = xstrdup(st->error ? st->error : "an Umbrella call failed");
        if (c->u->api)
                umbrella_api_cancel_all(c->u->api);
}

static void cycle_free(Cycle *c)
{
        for (size_t i = 0; i < c->n_users; i++)
                umb_activity_done(&c->users[i].act);
        free(c->users);
        umbrella_users_free(c->loaded, c->n_users);
        for (size_t i = 0; i < c->n_domains; i++)
                free(c->domains[i]);
        free(c->domains);
        free(c->scores);
        free(c->fetched);
        free(c->error_text);
        free(c->users_why);
        free(c->st.error);
        cJSON_Delete(c->plan_out);
        free(c);
}

static void finish(Cycle *c)
{
        Umbrella *u = c->u;
        CycleDone cb = c->cb;
        void *ud = c->userdata;
        cJSON *plan = c->plan_out;

        c->phase = 4;
        if (u->api) {
                UmbrellaApiStats as;
                umbrella_api_get_stats(u->api, &as);
                c->st.requests = (unsigned) (as.requests + as.token_requests - c->requests_at_start);
        }
        if (c->cancelled && c->st.result == SOURCE_OK)
                c->st.result = SOURCE_CANCELLED;
        else if (c->error && c->st.result == SOURCE_OK) {
                /* the original's exit codes: 101 no token, 102 a non-2xx answer, 100 anything else */
                c->st.result = c->error == UMBRELLA_ERR_TOKEN ? SOURCE_AUTH_FAILED :
                               c->error == -ECANCELED ? SOURCE_CANCELLED :
                               c->error_status >= 300 || (c->error_status > 0 && c->error_status < 200) ?
                               SOURCE_API_FAILED : SOURCE_FAILED;
                c->st.error = xstrdup(c->error_text);
        }
        c->st.duration_ms = clock_mono_usec() / 1000 - c->st.started_ms;
        c->st.started_ms = (uint64_t) clock_wall() * 1000 - c->st.duration_ms;
        log_info("%s: %zu users, %zu distinct domains, %u Investigate lookups, %u from the cache",
                 u->src->name, c->n_users, c->n_domains, c->lookups, c->cache_hits);
        c->plan_out = NULL;
        u->cycle = NULL;
        cb(ud, &c->st, plan);
        cycle_free(c);
}

static void cache_flush(Cycle *c);

/* Moves on when the current phase has nothing left in flight. */
static void cycle_release(Cycle *c)
{
        if (--c->pending > 0)
                return;
        if (c->phase == 2)
                cache_flush(c);
        if (c->cancelled || c->error || c->phase >= 3) {
                finish(c);
                return;
        }
        if (c->phase == 1) {
                start_risk(c);
                return;
        }
        if (c->phase == 2)
                act(c);
}

/* ---- activity ------------------------------------------------------------ */

typedef struct ActCtx {
        Cycle *c;
        size_t i;
} ActCtx;

static void on_user_activity(void *userdata, const UmbrellaStatus *st, UmbActivity *acc)
{
        ActCtx *a = userdata;
        Cycle *c = a->c;

        if (st->r < 0)
                cycle_fail(c, st);
        else if (!c->error && !c->cancelled) {
                c->users[a->i].act = *acc;
                *acc = (UmbActivity) { 0 };
        }
        free(a);
        cycle_release(c);
}

static int cmp_identity_label(const void *a, const void *b)
{
        return strcmp(((const UmbIdentity *) a)->label, ((const UmbIdentity *) b)->label);
}

static void on_identities(void *userdata, const UmbrellaStatus *st, UmbIdentity *v, size_t n)
{
        Cycle *c = userdata;
        Umbrella *u = c->u;
        UmbrellaQuery q = query_of(u);

        if (st->r < 0) {
                cycle_fail(c, st);
                cycle_release(c);
                return;
        }
        /* label -> identity, as the original's dict (thousands of users) */
        if (n > 1)
                qsort(v, n, sizeof(UmbIdentity), cmp_identity_label);
        for (size_t i = 0; i < c->n_users; i++) {
                UmbIdentity key = { .label = c->users[i].u.label };
                const UmbIdentity *hit = n ? bsearch(&key, v, n, sizeof(UmbIdentity), cmp_identity_label) : NULL;
                if (hit) {
                        c->users[i].identity_id = hit->id;
                        c->users[i].seen = true;
                }
        }
        umb_identities_free(v, n);
        if (c->cancelled || c->error) {
                cycle_release(c);
                return;
        }
        c->phase = 1;
        for (size_t i = 0; i < c->n_users; i++) {
                ActCtx *a;
                if (!c->users[i].seen) {
                        log_debug("%s: user '%s' (identity '%s') is not among the top identities, not scored",
                                  u->src->name, c->users[i].u.name, c->users[i].u.label);
                        continue;
                }
                a = xnew(ActCtx, 1);
                a->c = c;
                a->i = i;
                c->pending++;
                if (umbrella_api_activity(u->api, &q, c->users[i].identity_id, on_user_activity, a) < 0) {
                        c->pending--;
                        free(a);
                }
        }
        cycle_release(c);
}

/* ---- risk ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static ssize_t domain_index(const Cycle *c, const char *d)
{
        char *const *p = bsearch(&d, c->domains, c->n_domains, sizeof(char *), cmp_str);
        return p ? p - c->domains : -1;
}

static void cache_put(Cycle *c, const char *domain, int score)
{
        sqlite3_stmt *st;

        if (store_prepare(c->u->src->env.store,
                          "INSERT INTO umbrella_domain_scores (domain, score, fetched_at) VALUES (?, ?, ?) "
                          "ON CONFLICT (domain) DO UPDATE SET score = excluded.score, fetched_at = excluded.fetched_at",
                          &st) != SQLITE_OK)
                return;
        sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, score);
        sqlite3_bind_int64(st, 3, clock_wall());
        if (sqlite3_step(st) != SQLITE_DONE)
                log_warning("%s: cannot cache the score of '%s': %s, ignoring", c->u->src->name, domain,
                            store_errmsg(c->u->src->env.store));
        store_release(st);
}

static bool cache_get(Cycle *c, const char *domain, int *ret)
{
        sqlite3_stmt *st;
        bool hit = false;

        if (c->u->conf->score_ttl == 0)
                return false;
        if (store_prepare(c->u->src->env.store,
                          "SELECT score FROM umbrella_domain_scores WHERE domain = ? AND fetched_at > ?", &st) != SQLITE_OK)
                return false;
        sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, clock_wall() - (int64_t) c->u->conf->score_ttl);
        if (sqlite3_step(st) == SQLITE_ROW) {
                *ret = sqlite3_column_int(st, 0);
                hit = true;
        }
        store_release(st);
        return hit;
}

static void on_risk(void *userdata, const UmbrellaStatus *st, const char *domain, int score)
{
        Cycle *c = userdata;
        ssize_t i;

        if (st->r < 0)
                cycle_fail(c, st);
        else if ((i = domain_index(c, domain)) >= 0) {
                c->scores[i] = score;
                c->fetched[i] = true;
        }
        cycle_release(c);
}

/* The scores fetched this cycle, in one transaction; kept even when the
 * cycle failed: the next one asks less. */
static void cache_flush(Cycle *c)
{
        Store *store = c->u->src->env.store;
        bool any = false;

        for (size_t i = 0; i < c->n_domains && !any; i++)
                any = c->fetched[i];
        if (!any)
                return;
        store_begin(store);
        for (size_t i = 0; i < c->n_domains; i++)
                if (c->fetched[i]) {
                        cache_put(c, c->domains[i], c->scores[i]);
                        c->fetched[i] = false;
                }
        if (store_commit(store) < 0)
                store_rollback(store);
}

static int cmp_user_name(const void *a, const void *b)
{
        return strcmp((*(UUser *const *) a)->u.name, (*(UUser *const *) b)->u.name);
}

/* Moves o's domains and categories into into. */
static void activity_absorb(UmbActivity *into, UmbActivity *o)
{
        into->domains = xreallocarray(into->domains, into->n_domains + o->n_domains + 1, sizeof(char *));
        memcpy(into->domains + into->n_domains, o->domains, o->n_domains * sizeof(char *));
        into->n_domains += o->n_domains;
        into->categories = xreallocarray(into->categories, into->n_categories + o->n_categories + 1,
                                         sizeof(int64_t));
        memcpy(into->categories + into->n_categories, o->categories, o->n_categories * sizeof(int64_t));
        into->n_categories += o->n_categories;
        free(o->domains);
        free(o->categories);
        *o = (UmbActivity) { 0 };
        umb_activity_finish(into);
}

/* A user with several devices (several users_identity rows) is one user:
 * one score over all its domains, one VPN group. */
static void merge_users(Cycle *c)
{
        UUser **p = xnew(UUser *, c->n_users ? c->n_users : 1);

        for (size_t i = 0; i < c->n_users; i++)
                p[i] = &c->users[i];
        if (c->n_users > 1)
                qsort(p, c->n_users, sizeof(UUser *), cmp_user_name);
        for (size_t i = 0, j; i < c->n_users; i = j) {
                UUser *first = p[i];
                for (j = i + 1; j < c->n_users && !strcmp(p[j]->u.name, first->u.name); j++) {
                        UUser *o = p[j];
                        first->u.db_whitelisted = first->u.db_whitelisted || o->u.db_whitelisted;
                        if (o->seen) {
                                if (!first->seen)
                                        first->identity_id = o->identity_id;
                                first->seen = true;
                                activity_absorb(&first->act, &o->act);
                        }
                        o->seen = false;
                }
        }
        free(p);
}

static void start_risk(Cycle *c)
{
        Umbrella *u = c->u;
        char **all = NULL;
        size_t n = 0, k = 0;

        c->phase = 2;
        merge_users(c);
        for (size_t i = 0; i < c->n_users; i++)
                n += c->users[i].act.n_domains;
        all = xnew(char *, n ? n : 1);
        for (size_t i = 0; i < c->n_users; i++)
                for (size_t j = 0; j < c->users[i].act.n_domains; j++)
                        all[k++] = c->users[i].act.domains[j];
        qsort(all, n, sizeof(char *), cmp_str);
        c->domains = xnew(char *, n ? n : 1);
        for (size_t i = 0; i < n; i++)
                if (c->n_domains == 0 || strcmp(c->domains[c->n_domains - 1], all[i]))
                        c->domains[c->n_domains++] = xstrdup(all[i]);
        free(all);
        c->scores = xnew(int, c->n_domains ? c->n_domains : 1);
        c->fetched = xnew(bool, c->n_domains ? c->n_domains : 1);

        c->pending++;           /* held while the lookups start */
        store_begin(u->src->env.store);
        for (size_t i = 0; i < c->n_domains; i++) {
                int s;
                if (cache_get(c, c->domains[i], &s)) {
                        c->scores[i] = s;
                        c->cache_hits++;
                        continue;
                }
                c->scores[i] = -1;
                if (!umb_domain_valid(c->domains[i])) {
                        /* nothing Investigate could be asked about: no risk known */
                        log_debug("%s: domain '%s' is not a valid name, scored 0", u->src->name, c->domains[i]);
                        c->scores[i] = 0;
                        continue;
                }
                c->lookups++;
                c->pending++;
                if (umbrella_api_risk_score(u->api, c->domains[i], on_risk, c) < 0) {
                        c->pending--;
                        c->scores[i] = 0;
                }
        }
        store_commit(u->src->env.store);
        cycle_release(c);
}

/* ---- decide and act ------------------------------------------------------ */

static char *inputs_json(const Cycle *c, const UUser *uu)
{
        cJSON *o = cJSON_CreateObject(), *d, *cats;
        char *s;

        cJSON_AddStringToObject(o, "label", uu->u.label);
        cJSON_AddNumberToObject(o, "identity_id", (double) uu->identity_id);
        cJSON_AddStringToObject(o, "rule", uu->act.n_domains == 0 ? "none" : uu->max_rule ? "max" : "mean");
        d = cJSON_AddObjectToObject(o, "domains");
        for (size_t j = 0; j < uu->act.n_domains; j++) {
                ssize_t i = domain_index(c, uu->act.domains[j]);
                cJSON_AddNumberToObject(d, uu->act.domains[j], i >= 0 ? c->scores[i] : 0);
        }
        cats = cJSON_AddArrayToObject(o, "categories");
        for (size_t j = 0; j < uu->act.n_categories; j++)
                cJSON_AddItemToArray(cats, cJSON_CreateNumber((double) uu->act.categories[j]));
        if (uu->whitelisted)
                cJSON_AddTrueToObject(o, "whitelisted");
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

static void score_user(Cycle *c, UUser *uu)
{
        double *v = xnew(double, uu->act.n_domains ? uu->act.n_domains : 1);

        for (size_t j = 0; j < uu->act.n_domains; j++) {
                ssize_t i = domain_index(c, uu->act.domains[j]);
                v[j] = i >= 0 && c->scores[i] >= 0 ? c->scores[i] : 0;
        }
        uu->score = risk_score(v, uu->act.n_domains, c->u->risk.very_risky, &uu->max_rule);
        uu->group = risk_group(&c->u->risk, uu->score);
        free(v);
}

static void store_score(Cycle *c, const UUser *uu)
{
        _cleanup_free_ char *inputs = inputs_json(c, uu);
        sqlite3_stmt *st;

        if (store_prepare(c->u->src->env.store,
                          "INSERT INTO scores (user, score, band, inputs, whitelisted, computed_at, source) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)", &st) != SQLITE_OK)
                return;
        sqlite3_bind_text(st, 1, uu->u.name, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, uu->score);
        sqlite3_bind_text(st, 3, risk_group_name(&c->u->risk, uu->group), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, inputs, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, uu->whitelisted);
        sqlite3_bind_int64(st, 6, clock_wall());
        sqlite3_bind_text(st, 7, c->u->src->name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
                log_event(LOG_ERR, MSGID_STORE_ERROR, NULL, "%s: cannot store the score of '%s': %s",
                          c->u->src->name, uu->u.name, store_errmsg(c->u->src->env.store));
        store_release(st);
}

typedef struct ReqCtx {
        Cycle *c;
        bool block;
} ReqCtx;

static void on_reconciled(void *userdata, const ReconcileOutcome *out)
{
        ReqCtx *a = userdata;
        Cycle *c = a->c;

        if (a->block)
                c->st.blocked += out->succeeded;
        else
                c->st.unblocked += out->succeeded;
        c->st.failed += out->failed;
        free(a);
        cycle_release(c);
}

static void plan_add(Cycle *c, const UUser *uu, const char *verdict, const char *reason)
{
        cJSON *e = cJSON_CreateObject();

        cJSON_AddStringToObject(e, "kind", "user");
        cJSON_AddStringToObject(e, "value", uu->u.name);
        cJSON_AddStringToObject(e, "verdict", verdict);
        cJSON_AddStringToObject(e, "reason", reason);
        cJSON_AddStringToObject(e, "source", c->u->src->name);
        cJSON_AddStringToObject(e, "group", risk_group_name(&c->u->risk, uu->group));
        cJSON_AddNumberToObject(e, "score", uu->score);
        cJSON_AddItemToArray(c->plan_out, e);
}

static void request(Cycle *c, const UUser *uu, bool block, const char *reason)
{
        Umbrella *u = c->u;
        ReqCtx *a = xnew(ReqCtx, 1);
        ReconcileRequest rr = {
                .entity = {
                        .kind = ENTITY_USER,
                        .value = uu->u.name,
                        .attrs = {
                                .name = uu->u.name, .hostname = uu->u.label, .ext_kind = "user",
                                .ext_id = uu->u.name, .source = u->src->name,
                                .group = risk_group_name(&u->risk, uu->group),
                        },
                },
                .block = block,
                .reason = reason,
                .source = u->src->name,
                .responders = u->conf->responders,
        };

        a->c = c;
        a->block = block;
        c->pending++;
        if (reconciler_want(u->src->env.reconciler, &rr, on_reconciled, a) < 0) {
                c->st.failed++;
                c->pending--;
                free(a);
        }
}

static void act(Cycle *c)
{
        Umbrella *u = c->u;
        Store *store = u->src->env.store;
        bool enforce = !c->plan && !u->conf->simulation;

        c->phase = 3;
        store_begin(store);
        for (size_t i = 0; i < c->n_users; i++) {
                UUser *uu = &c->users[i];
                bool covered = false;
                if (!uu->seen)
                        continue;
                (void) store_wl_covers(store, "user", uu->u.name, clock_wall(), &covered);
                uu->whitelisted = covered || uu->u.db_whitelisted;
                score_user(c, uu);
                /* a plan writes nothing (the Investigate cache aside) */
                if (!c->plan)
                        store_score(c, uu);
                c->st.found++;
        }
        if (store_commit(store) < 0)
                store_rollback(store);

        c->pending = 1;         /* held while the requests go out */
        if (enforce)
                reconciler_batch_begin(u->src->env.reconciler);
        for (size_t i = 0; i < c->n_users; i++) {
                UUser *uu = &c->users[i];
                const char *group;
                _cleanup_free_ char *reason = NULL;
                bool block;

                if (!uu->seen)
                        continue;
                group = risk_group_name(&u->risk, uu->group);
                block = uu->group != RISK_GROUP_SAFE;
                reason = xasprintf("Umbrella risk score %.2f (%s of %zu domain(s)): %s", uu->score,
                                   uu->act.n_domains == 0 ? "none" : uu->max_rule ? "max" : "mean",
                                   uu->act.n_domains, group);
                if (uu->whitelisted) {
                        log_info("%s: user '%s' scored %.2f (%s) but is whitelisted: left as it is", u->src->name,
                                 uu->u.name, uu->score, group);
                        if (c->plan)
                                plan_add(c, uu, "whitelisted", reason);
                        continue;
                }
                if (c->plan) {
                        plan_add(c, uu, block ? "block" : "unblock", reason);
                        continue;
                }
                if (!enforce) {
                        log_notice("%s: [simulation] would put user '%s' in VPN group '%s' (%s)", u->src->name,
                                   uu->u.name, group, reason);
                        continue;
                }
                if (block)
                        c->st.to_block++;
                request(c, uu, block, reason);
        }
        if (enforce)
                reconciler_batch_end(u->src->env.reconciler);
        cycle_release(c);
}

/* ---- source ops ---------------------------------------------------------- */

/* On a worker thread: reads only the config and its own connection. */
static void on_users_work(uv_work_t *w)
{
        Cycle *c = w->data;
        size_t n = 0;

        c->users_r = umbrella_users_load(c->u->conf, &c->loaded, &n, &c->users_why);
        c->n_users = c->users_r < 0 ? 0 : n;
}

static void on_users_loaded(uv_work_t *w, int status)
{
        Cycle *c = w->data;
        Umbrella *u = c->u;
        UmbrellaQuery q = query_of(u);
        int r;

        c->users = xnew(UUser, c->n_users ? c->n_users : 1);
        for (size_t i = 0; i < c->n_users; i++)
                c->users[i].u = c->loaded[i];
        c->pending = 1;
        if (status < 0 || c->users_r < 0) {
                UmbrellaStatus st = { .r = c->users_r < 0 ? c->users_r : -ECANCELED,
                                      .error = c->users_why ? c->users_why : "the users query did not run" };
                cycle_fail(c, &st);
        }
        if (c->cancelled || c->error || !u->api) {
                finish(c);
                return;
        }
        q.limit = (unsigned) u->conf->identities_limit;
        r = umbrella_api_top_identities(u->api, &q, on_identities, c);
        if (r < 0) {
                UmbrellaStatus st = { .r = r, .error = "the Umbrella client is shutting down" };
                cycle_fail(c, &st);
                finish(c);
        }
}

static int umbrella_start(Source *s, bool plan, CycleDone cb, void *userdata)
{
        Umbrella *u = s->priv;
        UmbrellaApiStats as;
        Cycle *c;
        int r;

        if (u->cycle)
                return -EBUSY;
        if (!u->api)
                return -ESHUTDOWN;
        c = xnew(Cycle, 1);
        c->u = u;
        c->plan = plan;
        c->cb = cb;
        c->userdata = userdata;
        c->st.result = SOURCE_OK;
        c->st.started_ms = clock_mono_usec() / 1000;
        if (plan)
                c->plan_out = cJSON_CreateArray();
        umbrella_api_get_stats(u->api, &as);
        c->requests_at_start = as.requests + as.token_requests;
        u->cycle = c;

        /* the FreeRADIUS query blocks (libpq connects synchronously): on
         * the thread pool, never on the loop */
        c->users_work.data = c;
        r = uv_queue_work(s->env.loop, &c->users_work, on_users_work, on_users_loaded);
        if (r < 0) {
                u->cycle = NULL;
                cycle_free(c);
                return -EIO;
        }
        return 0;
}

static void umbrella_cancel(Source *s)
{
        Umbrella *u = s->priv;

        if (!u->cycle)
                return;
        u->cycle->cancelled = true;
        if (u->api)
                umbrella_api_cancel_all(u->api);
}

static void on_api_closed(void *userdata)
{
        Umbrella *u = userdata;
        u->api = NULL;
}

static void umbrella_stop(Source *s)
{
        Umbrella *u = s->priv;

        umbrella_cancel(s);
        if (u->api)
                (void) umbrella_api_shutdown(u->api, on_api_closed, u);
}

static void umbrella_free(Source *s)
{
        Umbrella *u = s->priv;

        s->priv = NULL;
        free(u);
}

static const SourceOps umbrella_ops = {
        .kind = "umbrella",
        .start = umbrella_start,
        .cancel = umbrella_cancel,
        .stop = umbrella_stop,
        .free = umbrella_free,
};

typedef struct CatCtx {
        UmbrellaCategoriesDone cb;
        void *userdata;
} CatCtx;

static void on_categories(void *userdata, const UmbrellaStatus *st, UmbCategory *v, size_t n)
{
        CatCtx *x = userdata;
        cJSON *arr = NULL;

        if (st->r == 0) {
                arr = cJSON_CreateArray();
                for (size_t i = 0; i < n; i++) {
                        cJSON *o;
                        if (strcmp(v[i].type, "security"))
                                continue;
                        o = cJSON_CreateObject();
                        cJSON_AddNumberToObject(o, "id", (double) v[i].id);
                        cJSON_AddStringToObject(o, "label", v[i].label);
                        cJSON_AddItemToArray(arr, o);
                }
        }
        x->cb(x->userdata, arr, st->r == 0 ? NULL : st->error ? st->error : "the categories call failed");
        umb_categories_free(v, n);
        free(x);
}

int umbrella_source_categories(Source *s, UmbrellaCategoriesDone cb, void *userdata)
{
        Umbrella *u;
        CatCtx *x;
        int r;

        if (!s || s->ops != &umbrella_ops)
                return -EINVAL;
        u = s->priv;
        if (!u->api)
                return -ESHUTDOWN;
        x = xnew(CatCtx, 1);
        x->cb = cb;
        x->userdata = userdata;
        r = umbrella_api_categories(u->api, on_categories, x);
        if (r < 0)
                free(x);
        return r;
}

int umbrella_source_new(const SourceEnv *env, const UmbrellaConf *conf, Source **ret)
{
        UmbrellaApiOptions o = {
                .token_url = conf->token_url,
                .reports_url = conf->reports_url,
                .investigate_url = conf->investigate_url,
                .org_id = conf->org_id,
                .key = conf->key.value,
                .secret = conf->secret.value,
                .investigate_token = conf->investigate_token.value,
                .redirect_domains = (const char *const *) conf->redirect_domains,
                .max_in_flight = (unsigned) conf->max_in_flight,
                .ca_file = conf->ca_file,
                .tls_skip_verify = !conf->tls_verify,
        };
        Umbrella *u;
        Source *s;
        int r;

        u = xnew(Umbrella, 1);
        u->conf = conf;
        u->risk = (RiskConfig) {
                .very_risky = (double) conf->score_very_risky,
                .thresholds = { (double) conf->group_thresholds[0], (double) conf->group_thresholds[1] },
                .names = { conf->vpn_groups[0], conf->vpn_groups[1], conf->vpn_groups[2] },
        };
        if (risk_config_validate(&u->risk) < 0) {
                free(u);
                return -EINVAL;
        }
        r = umbrella_api_new(env->loop, env->http, &o, &u->api);
        if (r < 0) {
                free(u);
                return r;
        }
        s = xnew(Source, 1);
        s->ops = &umbrella_ops;
        s->name = xstrdup("umbrella");
        s->interval_ms = conf->interval * 1000;
        s->env = *env;
        s->priv = u;
        u->src = s;
        *ret = s;
        return 0;
}
