/* SPDX-License-Identifier: MIT */
/* SMC request and answer shapes (sna.md §2–§6).  Pure. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "common/addr.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "sources/sna_model.h"

#define ERROR_TEXT_MAX 200

static char *trim_dup(const char *s, size_t n)
{
        while (n > 0 && isspace((unsigned char) *s)) {
                s++;
                n--;
        }
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        return xstrndup(s, n);
}

int sna_cookie_parse(const char *set_cookie, char **ret_name, char **ret_value)
{
        size_t pair = strcspn(set_cookie, ";");
        const char *eq = memchr(set_cookie, '=', pair);
        _cleanup_free_ char *name = NULL;

        if (!eq)
                return -EINVAL;
        name = trim_dup(set_cookie, (size_t) (eq - set_cookie));
        if (!name[0])
                return -EINVAL;
        *ret_value = trim_dup(eq + 1, pair - (size_t) (eq + 1 - set_cookie));
        *ret_name = name;
        name = NULL;
        return 0;
}

static const char *message_of(const cJSON *j)
{
        static const char *const keys[] = { "message", "error", "detail", "errorMessage", NULL };
        const cJSON *v, *errs;

        if (!cJSON_IsObject(j))
                return NULL;
        for (size_t i = 0; keys[i]; i++) {
                v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
                if (cJSON_IsString(v) && v->valuestring[0])
                        return v->valuestring;
        }
        errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
        if (cJSON_IsArray(errs) && cJSON_GetArraySize(errs) > 0)
                return message_of(cJSON_GetArrayItem(errs, 0));
        return NULL;
}

char *sna_error_text(long status, const char *body, size_t len)
{
        cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
        const char *msg = message_of(j);
        char buf[ERROR_TEXT_MAX + 1];
        size_t n = 0;
        char *r;

        if (!msg && body && len && !j)
                msg = body;     /* a plain-text or HTML answer: its start */
        for (const char *p = msg; p && *p && n < ERROR_TEXT_MAX; p++)
                buf[n++] = (unsigned char) *p < 0x20 || *p == 0x7f ? ' ' : *p;
        buf[n] = '\0';
        r = n ? xasprintf("HTTP %ld: %s", status, buf) : xasprintf("HTTP %ld", status);
        cJSON_Delete(j);
        return r;
}

static char **words(const char *s)
{
        char **v = NULL;

        while (*s) {
                size_t skip = strspn(s, " \t-_"), n;
                s += skip;
                n = strcspn(s, " \t-_");
                if (n) {
                        _cleanup_free_ char *w = xstrndup(s, n);
                        for (char *p = w; *p; p++)
                                *p = (char) tolower((unsigned char) *p);
                        if (!strv_contains(v, w))
                                v = strv_push(v, w);
                }
                s += n;
        }
        return v;
}

bool sna_event_name_matches(const char *configured, const char *name)
{
        char **a, **b;
        bool same;

        if (!configured || !name)
                return false;
        a = words(configured);
        b = words(name);
        same = a && strv_length(a) == strv_length(b);
        for (size_t i = 0; same && a[i]; i++)
                same = strv_contains(b, a[i]);
        strv_free(a);
        strv_free(b);
        return same;
}

/* The array under "data", or the body itself when it is the array. */
static const cJSON *data_array(const cJSON *body)
{
        const cJSON *d = cJSON_IsObject(body) ? cJSON_GetObjectItemCaseSensitive(body, "data") : body;
        return cJSON_IsArray(d) ? d : NULL;
}

static bool get_int(const cJSON *o, const char *key, int64_t *ret)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

        if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble == floor(v->valuedouble)) {
                *ret = (int64_t) v->valuedouble;
                return true;
        }
        /* ids sometimes come as digit strings */
        if (cJSON_IsString(v) && v->valuestring[0] && strspn(v->valuestring, "0123456789") == strlen(v->valuestring) &&
            strlen(v->valuestring) < 19) {
                *ret = strtoll(v->valuestring, NULL, 10);
                return true;
        }
        return false;
}

static const char *get_str(const cJSON *o, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

int sna_templates_resolve(const cJSON *body, char *const *names, int64_t **ret_ids, size_t *ret_n,
                          char ***ret_missing, const char **ret_why)
{
        const cJSON *arr = data_array(body), *t;
        char **missing = NULL;
        int64_t *ids = NULL;
        size_t n = 0;

        if (!arr) {
                *ret_why = "no data[] of templates";
                return -EPROTO;
        }
        for (size_t i = 0; names && names[i]; i++) {
                bool found = false;
                cJSON_ArrayForEach(t, arr) {
                        int64_t id;
                        if (!get_int(t, "id", &id) || !sna_event_name_matches(names[i], get_str(t, "name")))
                                continue;
                        found = true;
                        ids = xreallocarray(ids, n + 1, sizeof(int64_t));
                        ids[n++] = id;
                        break;
                }
                if (!found)
                        missing = strv_push(missing, names[i]);
        }
        *ret_ids = ids;
        *ret_n = n;
        *ret_missing = missing;
        return 0;
}

const char *sna_template_name(const cJSON *body, int64_t id)
{
        const cJSON *arr = data_array(body), *t;
        int64_t v;

        cJSON_ArrayForEach(t, arr)
                if (get_int(t, "id", &v) && v == id)
                        return get_str(t, "name");
        return NULL;
}

void sna_time_format(time_t t, char *buf, size_t len)
{
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *sna_query_body(time_t from, time_t to, const int64_t *type_ids, size_t n)
{
        cJSON *o = cJSON_CreateObject(), *tr = cJSON_AddObjectToObject(o, "timeRange"), *ids;
        char buf[32];
        char *s;

        sna_time_format(from, buf, sizeof(buf));
        cJSON_AddStringToObject(tr, "from", buf);
        sna_time_format(to, buf, sizeof(buf));
        cJSON_AddStringToObject(tr, "to", buf);
        ids = cJSON_AddArrayToObject(o, "securityEventTypeIds");
        for (size_t i = 0; i < n; i++)
                cJSON_AddItemToArray(ids, cJSON_CreateNumber((double) type_ids[i]));
        s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return s;
}

static const cJSON *data_object(const cJSON *body)
{
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "data");
        return cJSON_IsObject(d) ? d : NULL;
}

int sna_search_job_id(const cJSON *body, char **ret_id, const char **ret_why)
{
        const cJSON *d = data_object(body), *job = d ? cJSON_GetObjectItemCaseSensitive(d, "searchJob") : NULL;
        const char *id = job ? get_str(job, "id") : NULL;

        if (!id || !id[0] || strspn(id, "0123456789abcdefABCDEF-") != strlen(id) || strlen(id) > 64) {
                *ret_why = "no data.searchJob.id (or not an id)";
                return -EPROTO;
        }
        *ret_id = xstrdup(id);
        return 0;
}

int sna_query_status(const cJSON *body, double *ret_percent, SnaJobState *ret_state, const char **ret_why)
{
        const cJSON *d = data_object(body), *pct;
        const char *status;

        if (!d) {
                *ret_why = "no data object";
                return -EPROTO;
        }
        pct = cJSON_GetObjectItemCaseSensitive(d, "percentComplete");
        status = get_str(d, "status");
        if (!status)
                status = get_str(d, "searchJobStatus");
        if (!cJSON_IsNumber(pct) || !isfinite(pct->valuedouble)) {
                *ret_why = "no data.percentComplete";
                return -EPROTO;
        }
        *ret_percent = pct->valuedouble;
        if (status && (!strcasecmp(status, "COMPLETED") || !strcasecmp(status, "COMPLETE")))
                *ret_state = SNA_JOB_COMPLETED;
        else if (status && (!strcasecmp(status, "IN_PROGRESS") || !strcasecmp(status, "PENDING") ||
                            !strcasecmp(status, "RUNNING") || !strcasecmp(status, "QUEUED")))
                *ret_state = SNA_JOB_RUNNING;
        else if (status)
                *ret_state = SNA_JOB_FAILED;
        else
                /* the samples only look at the percentage */
                *ret_state = pct->valuedouble >= 100.0 ? SNA_JOB_COMPLETED : SNA_JOB_RUNNING;
        return 0;
}

static void peer_parse(const cJSON *o, SnaPeer *p)
{
        const char *ip = cJSON_IsObject(o) ? get_str(o, "ipAddress") : NULL;
        const cJSON *tags, *t;
        char buf[ADDR_STR_MAX];
        AddrNet a;

        *p = (SnaPeer) { 0 };
        if (!ip || addr_parse(ip, &a) < 0 || !addr_is_host(&a))
                return;
        addr_format(&a, buf, sizeof(buf));
        p->ip = xstrdup(buf);
        tags = cJSON_GetObjectItemCaseSensitive(o, "tags");
        if (!cJSON_IsArray(tags))
                tags = NULL;
        cJSON_ArrayForEach(t, tags) {
                int64_t id;
                if (!get_int(t, "id", &id))
                        continue;
                p->tag_ids = xreallocarray(p->tag_ids, p->n_tag_ids + 1, sizeof(int64_t));
                p->tag_ids[p->n_tag_ids++] = id;
        }
}

static void peer_done(SnaPeer *p)
{
        free(p->ip);
        free(p->tag_ids);
}

int sna_results_parse(const cJSON *body, SnaEvent **ret, size_t *ret_n, const char **ret_why)
{
        const cJSON *d = data_object(body), *res, *e;
        SnaEvent *ev = NULL;
        size_t n = 0;

        res = d ? cJSON_GetObjectItemCaseSensitive(d, "results") : NULL;
        if (!cJSON_IsArray(res)) {
                *ret_why = "no data.results[]";
                return -EPROTO;
        }
        cJSON_ArrayForEach(e, res) {
                SnaEvent x = { 0 };
                if (!cJSON_IsObject(e))
                        continue;
                (void) get_int(e, "id", &x.id);
                (void) get_int(e, "securityEventType", &x.type);
                (void) get_int(e, "hitCount", &x.hit_count);
                peer_parse(cJSON_GetObjectItemCaseSensitive(e, "source"), &x.source);
                peer_parse(cJSON_GetObjectItemCaseSensitive(e, "target"), &x.target);
                if (!x.source.ip && !x.target.ip)
                        continue;
                ev = xreallocarray(ev, n + 1, sizeof(SnaEvent));
                ev[n++] = x;
        }
        *ret = ev;
        *ret_n = n;
        return 0;
}

void sna_events_free(SnaEvent *ev, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                peer_done(&ev[i].source);
                peer_done(&ev[i].target);
        }
        free(ev);
}

int sna_tag_ids_parse(const cJSON *body, int64_t **ret, size_t *ret_n, const char **ret_why)
{
        const cJSON *arr = data_array(body), *t;
        int64_t *ids = NULL;
        size_t n = 0;

        if (!arr) {
                *ret_why = "no list of tags";
                return -EPROTO;
        }
        cJSON_ArrayForEach(t, arr) {
                int64_t id;
                if (!get_int(t, "id", &id))
                        continue;
                ids = xreallocarray(ids, n + 1, sizeof(int64_t));
                ids[n++] = id;
        }
        *ret = ids;
        *ret_n = n;
        return 0;
}

int sna_tag_find(const cJSON *body, const char *name, const char *location, int64_t *ret_id, const char **ret_why)
{
        const cJSON *arr = data_array(body), *t;

        if (!arr) {
                *ret_why = "no data[] of tags";
                return -EPROTO;
        }
        *ret_id = 0;
        cJSON_ArrayForEach(t, arr) {
                const char *n = get_str(t, "name"), *loc = get_str(t, "location");
                int64_t id;
                if (!n || strcmp(n, name) || !get_int(t, "id", &id))
                        continue;
                if (loc && location && strcasecmp(loc, location))
                        continue;
                *ret_id = id;
                return 0;
        }
        return 0;
}

char *sna_tag_new_body(const char *name, const char *location, const char *description, int64_t parent_id,
                       char *const *ranges)
{
        cJSON *arr = cJSON_CreateArray(), *o = cJSON_CreateObject(), *r;
        char *s;

        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddStringToObject(o, "location", location);
        cJSON_AddStringToObject(o, "description", description ? description : "");
        r = cJSON_AddArrayToObject(o, "ranges");
        for (size_t i = 0; ranges && ranges[i]; i++)
                cJSON_AddItemToArray(r, cJSON_CreateString(ranges[i]));
        cJSON_AddBoolToObject(o, "hostBaselines", false);
        cJSON_AddBoolToObject(o, "suppressExcludedServices", false);
        cJSON_AddBoolToObject(o, "inverseSuppression", false);
        cJSON_AddBoolToObject(o, "hostTrap", false);
        cJSON_AddNumberToObject(o, "parentId", (double) parent_id);
        cJSON_AddItemToArray(arr, o);
        s = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
        return s;
}

/* Ranges hold IPs, CIDRs and "a-b" ranges as strings; an IP we add is
 * already there when a range string equals it in canonical form. */
static bool same_range(const char *a, const char *b)
{
        AddrNet x, y;

        if (!strcmp(a, b))
                return true;
        if (addr_parse(a, &x) < 0 || addr_parse(b, &y) < 0)
                return false;
        return x.family == y.family && x.prefix == y.prefix && !memcmp(x.bytes, y.bytes, sizeof(x.bytes));
}

static bool ranges_contain(const cJSON *ranges, const char *ip)
{
        const cJSON *r;

        cJSON_ArrayForEach(r, ranges)
                if (cJSON_IsString(r) && same_range(r->valuestring, ip))
                        return true;
        return false;
}

int sna_tag_update_body(const cJSON *body, char *const *add, char *const *remove, char **ret_json,
                        bool *ret_changed, const char **ret_why)
{
        const cJSON *d = data_object(body), *ranges;
        cJSON *o, *nr, *r;
        bool changed = false;

        if (!d || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(d, "id")) || !get_str(d, "name")) {
                *ret_why = "no data object with id and name";
                return -EPROTO;
        }
        ranges = cJSON_GetObjectItemCaseSensitive(d, "ranges");
        if (ranges && !cJSON_IsArray(ranges)) {
                *ret_why = "data.ranges is not a list";
                return -EPROTO;
        }
        o = cJSON_Duplicate(d, true);
        cJSON_DeleteItemFromObjectCaseSensitive(o, "sendToCta");
        nr = cJSON_CreateArray();
        cJSON_ArrayForEach(r, ranges) {
                bool drop = false;
                for (size_t i = 0; cJSON_IsString(r) && remove && remove[i] && !drop; i++)
                        drop = same_range(r->valuestring, remove[i]);
                if (drop) {
                        changed = true;
                        continue;
                }
                cJSON_AddItemToArray(nr, cJSON_Duplicate(r, true));
        }
        for (size_t i = 0; add && add[i]; i++)
                if (!ranges_contain(nr, add[i])) {
                        cJSON_AddItemToArray(nr, cJSON_CreateString(add[i]));
                        changed = true;
                }
        if (cJSON_GetObjectItemCaseSensitive(o, "ranges"))
                cJSON_ReplaceItemInObjectCaseSensitive(o, "ranges", nr);
        else
                cJSON_AddItemToObject(o, "ranges", nr);
        *ret_json = cJSON_PrintUnformatted(o);
        *ret_changed = changed;
        cJSON_Delete(o);
        return 0;
}

bool sna_tag_has_ranges(const cJSON *body, char *const *ips, char *const *absent)
{
        const cJSON *d = data_object(body), *ranges;

        /* a POST answers data[], a PUT data{} */
        if (!d) {
                const cJSON *arr = data_array(body);
                d = arr ? cJSON_GetArrayItem(arr, 0) : NULL;
        }
        ranges = d ? cJSON_GetObjectItemCaseSensitive(d, "ranges") : NULL;
        if (!cJSON_IsArray(ranges))
                return false;
        for (size_t i = 0; ips && ips[i]; i++)
                if (!ranges_contain(ranges, ips[i]))
                        return false;
        for (size_t i = 0; absent && absent[i]; i++)
                if (ranges_contain(ranges, absent[i]))
                        return false;
        return true;
}

static const cJSON *alarm_find(const cJSON *alarms, const char *key)
{
        const cJSON *a;

        cJSON_ArrayForEach(a, alarms) {
                const char *k = get_str(a, "key");
                if (k && !strcmp(k, key))
                        return a;
        }
        return NULL;
}

int sna_policy_setup(const cJSON *body, int64_t event_id, const SnaAlarmSetting *settings, size_t n,
                     char **ret_put_body, cJSON **ret_report, const char **ret_why)
{
        const cJSON *arr = data_array(body), *e, *ev = NULL, *es, *status, *alarms, *pol;
        cJSON *put, *item, *nes, *nstatus, *nalarms, *report, *changes;
        const char *target;
        int64_t policy_id = 0, id;

        if (!arr) {
                *ret_why = "no data[] of events";
                return -EPROTO;
        }
        cJSON_ArrayForEach(e, arr)
                if (get_int(e, "id", &id) && id == event_id) {
                        ev = e;
                        break;
                }
        if (!ev) {
                *ret_why = "the event is not in the system policy";
                return -ENOENT;
        }
        pol = cJSON_GetObjectItemCaseSensitive(ev, "policy");
        if (!cJSON_IsObject(pol) || !get_int(pol, "id", &policy_id)) {
                if (!get_int(ev, "policyId", &policy_id)) {
                        *ret_why = "the event has no policy.id";
                        return -EPROTO;
                }
        }
        es = cJSON_GetObjectItemCaseSensitive(ev, "eventSettings");
        status = cJSON_IsObject(es) ? cJSON_GetObjectItemCaseSensitive(es, "eventStatus") : NULL;
        alarms = cJSON_IsObject(es) ? cJSON_GetObjectItemCaseSensitive(es, "alarmSettings") : NULL;
        if (alarms && !cJSON_IsArray(alarms)) {
                *ret_why = "eventSettings.alarmSettings is not a list";
                return -EPROTO;
        }

        report = cJSON_CreateObject();
        cJSON_AddNumberToObject(report, "event", (double) event_id);
        if (get_str(ev, "name"))
                cJSON_AddStringToObject(report, "name", get_str(ev, "name"));
        cJSON_AddNumberToObject(report, "policy_id", (double) policy_id);
        cJSON_AddItemToObject(report, "before", alarms ? cJSON_Duplicate(alarms, true) : cJSON_CreateArray());
        changes = cJSON_AddArrayToObject(report, "changes");

        put = cJSON_CreateArray();
        item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "id", (double) event_id);
        cJSON_AddNumberToObject(item, "policyId", (double) policy_id);
        nes = cJSON_AddObjectToObject(item, "eventSettings");
        nstatus = cJSON_AddObjectToObject(nes, "eventStatus");
        cJSON_AddStringToObject(nstatus, "sourceStatus", "ENABLED");
        target = status ? get_str(status, "targetStatus") : NULL;
        /* keep targetStatus unless the event has no target side */
        if (!target || strcmp(target, "NOT_APPLICABLE"))
                cJSON_AddStringToObject(nstatus, "targetStatus", "ENABLED");
        else
                cJSON_AddStringToObject(nstatus, "targetStatus", "NOT_APPLICABLE");
        {
                const char *src = status ? get_str(status, "sourceStatus") : NULL;
                if (!src || strcmp(src, "ENABLED")) {
                        cJSON *c = cJSON_CreateObject();
                        cJSON_AddStringToObject(c, "key", "sourceStatus");
                        cJSON_AddStringToObject(c, "from", src ? src : "");
                        cJSON_AddStringToObject(c, "to", "ENABLED");
                        cJSON_AddItemToArray(changes, c);
                }
                if (target && strcmp(target, "ENABLED") && strcmp(target, "NOT_APPLICABLE")) {
                        cJSON *c = cJSON_CreateObject();
                        cJSON_AddStringToObject(c, "key", "targetStatus");
                        cJSON_AddStringToObject(c, "from", target);
                        cJSON_AddStringToObject(c, "to", "ENABLED");
                        cJSON_AddItemToArray(changes, c);
                }
        }
        nalarms = cJSON_AddArrayToObject(nes, "alarmSettings");
        for (size_t i = 0; i < n; i++) {
                const cJSON *old = alarm_find(alarms, settings[i].key);
                const char *from = old ? get_str(old, "value") : NULL;
                cJSON *a = cJSON_CreateObject();
                cJSON_AddStringToObject(a, "key", settings[i].key);
                cJSON_AddStringToObject(a, "value", settings[i].value);
                cJSON_AddItemToArray(nalarms, a);
                if (!from || strcmp(from, settings[i].value)) {
                        cJSON *c = cJSON_CreateObject();
                        cJSON_AddStringToObject(c, "key", settings[i].key);
                        if (from)
                                cJSON_AddStringToObject(c, "from", from);
                        else
                                cJSON_AddNullToObject(c, "from");
                        cJSON_AddStringToObject(c, "to", settings[i].value);
                        cJSON_AddItemToArray(changes, c);
                }
        }
        cJSON_AddItemToObject(report, "after", cJSON_Duplicate(nalarms, true));
        cJSON_AddItemToArray(put, item);
        *ret_put_body = cJSON_PrintUnformatted(put);
        cJSON_Delete(put);
        *ret_report = report;
        return 0;
}
