/* SPDX-License-Identifier: MIT */
/* The SMC shapes (sna_model.c) and the inside-host selection
 * (sna_select.c), on the answers of sna.md §3–§6. */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "ctl/parser.h"
#include "daemon/conf.h"
#include "responders/responder.h"
#include "engine/notify_text.h"
#include "responders/tetration_sign.h"
#include "sources/sna_enrich_model.h"
#include "sources/sna_report.h"
#include "sources/sna_model.h"
#include "sources/sna_select.h"
#include "tests/unit/unit.h"

void sna_suite_add(void);

static cJSON *J(const char *s)
{
        cJSON *j = cJSON_Parse(s);
        CU_ASSERT_PTR_NOT_NULL_FATAL(j);
        return j;
}

static void test_cookie(void)
{
        char *n = NULL, *v = NULL;

        CU_ASSERT_EQUAL(sna_cookie_parse("stealthwatch.jwt=abc.def; Path=/; HttpOnly", &n, &v), 0);
        CU_ASSERT_STRING_EQUAL(n, "stealthwatch.jwt");
        CU_ASSERT_STRING_EQUAL(v, "abc.def");
        free(n);
        free(v);
        CU_ASSERT_EQUAL(sna_cookie_parse(" XSRF-TOKEN = 12ab ", &n, &v), 0);
        CU_ASSERT_STRING_EQUAL(n, "XSRF-TOKEN");
        CU_ASSERT_STRING_EQUAL(v, "12ab");
        free(n);
        free(v);
        CU_ASSERT_EQUAL(sna_cookie_parse("novalue; Path=/", &n, &v), -EINVAL);
        CU_ASSERT_EQUAL(sna_cookie_parse("=x", &n, &v), -EINVAL);
}

static void test_error_text(void)
{
        const char *b = "{\"errors\":[{\"message\":\"Unrecognized field \\\"sendToCta\\\"\"}]}";
        char *t = sna_error_text(400, b, strlen(b));

        CU_ASSERT_STRING_EQUAL(t, "HTTP 400: Unrecognized field \"sendToCta\"");
        free(t);
        t = sna_error_text(503, "<html>\nbusy</html>", 18);
        CU_ASSERT_STRING_EQUAL(t, "HTTP 503: <html> busy</html>");
        free(t);
        t = sna_error_text(500, "", 0);
        CU_ASSERT_STRING_EQUAL(t, "HTTP 500");
        free(t);
}

static void test_event_names(void)
{
        CU_ASSERT_TRUE(sna_event_name_matches("High Total Traffic", "High Total Traffic"));
        CU_ASSERT_TRUE(sna_event_name_matches("Total High Traffic", "High Total Traffic"));
        CU_ASSERT_TRUE(sna_event_name_matches("high total  traffic", "High_Total_Traffic"));
        CU_ASSERT_FALSE(sna_event_name_matches("High Traffic", "High Total Traffic"));
        CU_ASSERT_FALSE(sna_event_name_matches("High Total Traffic", "High Traffic"));
        CU_ASSERT_FALSE(sna_event_name_matches("", "High Traffic"));
        CU_ASSERT_FALSE(sna_event_name_matches(NULL, "x"));
}

static void test_templates(void)
{
        cJSON *b = J("{\"data\":[{\"id\":16,\"name\":\"High Total Traffic\"},{\"id\":30,\"name\":\"High Traffic\"},"
                     "{\"id\":\"310\",\"name\":\"Worm Propagation\"}]}");
        char *names[] = { (char *) "Total High Traffic", (char *) "worm propagation", (char *) "Nope", NULL };
        int64_t *ids = NULL;
        char **missing = NULL;
        const char *why = NULL;
        size_t n = 0;

        CU_ASSERT_EQUAL_FATAL(sna_templates_resolve(b, names, &ids, &n, &missing, &why), 0);
        CU_ASSERT_EQUAL_FATAL(n, 2);
        CU_ASSERT_EQUAL(ids[0], 16);
        CU_ASSERT_EQUAL(ids[1], 310);
        CU_ASSERT_EQUAL_FATAL(strv_length(missing), 1);
        CU_ASSERT_STRING_EQUAL(missing[0], "Nope");
        CU_ASSERT_STRING_EQUAL(sna_template_name(b, 30), "High Traffic");
        CU_ASSERT_PTR_NULL(sna_template_name(b, 99));
        free(ids);
        strv_free(missing);
        cJSON_Delete(b);
        b = J("{\"data\":{}}");
        CU_ASSERT_EQUAL(sna_templates_resolve(b, names, &ids, &n, &missing, &why), -EPROTO);
        cJSON_Delete(b);
}

static void test_query_body(void)
{
        int64_t ids[] = { 16, 30 };
        char *s = sna_query_body(1611050400, 1611054000, ids, 2);

        CU_ASSERT_STRING_EQUAL(s, "{\"timeRange\":{\"from\":\"2021-01-19T10:00:00Z\",\"to\":\"2021-01-19T11:00:00Z\"},"
                                  "\"securityEventTypeIds\":[16,30]}");
        free(s);
}

static void test_job(void)
{
        cJSON *b = J("{\"data\":{\"searchJob\":{\"id\":\"6029011fe4b0d6d2a1ffd2d7\",\"searchJobStatus\":"
                     "\"IN_PROGRESS\",\"percentComplete\":0}}}");
        char *id = NULL;
        const char *why = NULL;
        double pct = -1;
        SnaJobState st;

        CU_ASSERT_EQUAL(sna_search_job_id(b, &id, &why), 0);
        CU_ASSERT_STRING_EQUAL(id, "6029011fe4b0d6d2a1ffd2d7");
        free(id);
        cJSON_Delete(b);
        b = J("{\"data\":{\"searchJob\":{\"id\":\"../../x\"}}}");
        CU_ASSERT_EQUAL(sna_search_job_id(b, &id, &why), -EPROTO);
        cJSON_Delete(b);

        b = J("{\"data\":{\"percentComplete\":100.0,\"status\":\"COMPLETED\"}}");
        CU_ASSERT_EQUAL(sna_query_status(b, &pct, &st, &why), 0);
        CU_ASSERT_EQUAL(st, SNA_JOB_COMPLETED);
        CU_ASSERT_DOUBLE_EQUAL(pct, 100.0, 0.001);
        cJSON_Delete(b);
        b = J("{\"data\":{\"percentComplete\":40,\"status\":\"IN_PROGRESS\"}}");
        CU_ASSERT_EQUAL(sna_query_status(b, &pct, &st, &why), 0);
        CU_ASSERT_EQUAL(st, SNA_JOB_RUNNING);
        cJSON_Delete(b);
        b = J("{\"data\":{\"percentComplete\":100,\"status\":\"FAILED\"}}");
        CU_ASSERT_EQUAL(sna_query_status(b, &pct, &st, &why), 0);
        CU_ASSERT_EQUAL(st, SNA_JOB_FAILED);
        cJSON_Delete(b);
        /* the samples only read the percentage */
        b = J("{\"data\":{\"percentComplete\":100.0}}");
        CU_ASSERT_EQUAL(sna_query_status(b, &pct, &st, &why), 0);
        CU_ASSERT_EQUAL(st, SNA_JOB_COMPLETED);
        cJSON_Delete(b);
        b = J("{\"data\":{\"status\":\"COMPLETED\"}}");
        CU_ASSERT_EQUAL(sna_query_status(b, &pct, &st, &why), -EPROTO);
        cJSON_Delete(b);
}

/* sna.md §4 step 3, plus an outside target and odd elements */
static const char *RESULTS =
        "{\"data\":{\"results\":["
        "{\"id\":4686,\"securityEventType\":16,\"hitCount\":1537,"
        " \"source\":{\"ipAddress\":\"172.16.100.4\",\"tags\":[{\"name\":\"Catch All\",\"id\":65534}]},"
        " \"target\":{\"ipAddress\":\"192.168.91.12\",\"port\":445,\"tags\":[{\"name\":\"Catch All\",\"id\":65534}]}},"
        "{\"id\":4687,\"securityEventType\":16,\"hitCount\":3,"
        " \"source\":{\"ipAddress\":\"10.0.0.5\",\"tags\":[{\"id\":65534}]},"
        " \"target\":{\"ipAddress\":\"8.8.8.8\",\"tags\":[{\"name\":\"United States\",\"id\":61627}]}},"
        "{\"id\":4688,\"securityEventType\":16,"
        " \"source\":{\"ipAddress\":\"8.8.4.4\",\"tags\":[{\"id\":61627}]},"
        " \"target\":{\"ipAddress\":\"10.0.0.5\",\"tags\":[{\"id\":65534}]}},"
        "{\"id\":4689,\"source\":{\"ipAddress\":\"not an ip\"},\"target\":{}},"
        "\"junk\","
        "{\"id\":4690,\"securityEventType\":16,\"source\":{\"ipAddress\":\"10.0.0.9\"},"
        " \"target\":{\"ipAddress\":\"10.0.0.9\"}}"
        "]}}";

static void test_results(void)
{
        cJSON *b = J(RESULTS);
        SnaEvent *ev = NULL;
        const char *why = NULL;
        size_t n = 0;

        CU_ASSERT_EQUAL_FATAL(sna_results_parse(b, &ev, &n, &why), 0);
        CU_ASSERT_EQUAL_FATAL(n, 4);
        CU_ASSERT_EQUAL(ev[0].id, 4686);
        CU_ASSERT_EQUAL(ev[0].type, 16);
        CU_ASSERT_EQUAL(ev[0].hit_count, 1537);
        CU_ASSERT_STRING_EQUAL(ev[0].source.ip, "172.16.100.4");
        CU_ASSERT_STRING_EQUAL(ev[0].target.ip, "192.168.91.12");
        CU_ASSERT_EQUAL_FATAL(ev[0].source.n_tag_ids, 1);
        CU_ASSERT_EQUAL(ev[0].source.tag_ids[0], 65534);
        CU_ASSERT_STRING_EQUAL(ev[1].target.ip, "8.8.8.8");
        sna_events_free(ev, n);
        cJSON_Delete(b);
        b = J("{\"data\":{}}");
        CU_ASSERT_EQUAL(sna_results_parse(b, &ev, &n, &why), -EPROTO);
        cJSON_Delete(b);
}

static SnaEvent *events(size_t *n)
{
        cJSON *b = J(RESULTS);
        SnaEvent *ev = NULL;
        const char *why = NULL;

        CU_ASSERT_EQUAL_FATAL(sna_results_parse(b, &ev, n, &why), 0);
        cJSON_Delete(b);
        return ev;
}

static bool ips_are(const SnaSelection *s, const char *const *want, size_t n)
{
        if (s->n != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(s->hosts[i].ip, want[i]))
                        return false;
        return true;
}

static void test_select_networks(void)
{
        AddrNet *inside = NULL;
        size_t n_inside = 0, n = 0;
        SnaEvent *ev = events(&n);
        SnaSelection s;
        const char *want[] = { "172.16.100.4", "192.168.91.12", "10.0.0.5", "10.0.0.9" };

        CU_ASSERT_EQUAL_FATAL(sna_inside_parse(NULL, &inside, &n_inside), 0);
        CU_ASSERT_EQUAL(n_inside, 3);
        SnaSelectConfig cfg = { .inside = inside, .n_inside = n_inside };
        CU_ASSERT_EQUAL(sna_select_hosts(ev, n, &cfg, &s), 0);
        CU_ASSERT_TRUE(ips_are(&s, want, 4));
        CU_ASSERT_EQUAL(s.outside, 2);          /* 8.8.8.8 and 8.8.4.4 */
        CU_ASSERT_EQUAL(s.capped, 0);
        /* 10.0.0.5: source of one event, target of another; talked to both outside hosts */
        CU_ASSERT_EQUAL(s.hosts[2].events, 2);
        CU_ASSERT_EQUAL(s.hosts[2].hits, 3);
        CU_ASSERT_EQUAL(strv_length(s.hosts[2].peers), 2);
        /* both sides of one event: counted once */
        CU_ASSERT_EQUAL(s.hosts[3].events, 1);
        sna_selection_done(&s);

        /* the originals' view: sources only */
        cfg.sides = SNA_SIDES_SOURCE;
        CU_ASSERT_EQUAL(sna_select_hosts(ev, n, &cfg, &s), 0);
        {
                const char *w[] = { "172.16.100.4", "10.0.0.5", "10.0.0.9" };
                CU_ASSERT_TRUE(ips_are(&s, w, 3));
        }
        sna_selection_done(&s);
        free(inside);
        sna_events_free(ev, n);
}

static void test_select_cap(void)
{
        AddrNet *inside = NULL;
        size_t n_inside = 0, n = 0;
        SnaEvent *ev = events(&n);
        SnaSelection s;

        CU_ASSERT_EQUAL_FATAL(sna_inside_parse(NULL, &inside, &n_inside), 0);
        SnaSelectConfig cfg = { .inside = inside, .n_inside = n_inside, .max_hosts = 2 };
        CU_ASSERT_EQUAL(sna_select_hosts(ev, n, &cfg, &s), 0);
        /* the busiest host stays, then the first seen; in the SMC's order */
        {
                const char *w[] = { "172.16.100.4", "10.0.0.5" };
                CU_ASSERT_TRUE(ips_are(&s, w, 2));
        }
        CU_ASSERT_EQUAL(s.capped, 2);
        sna_selection_done(&s);
        free(inside);
        sna_events_free(ev, n);
}

static void test_select_groups(void)
{
        size_t n = 0, n_inside = 0;
        SnaEvent *ev = events(&n);
        int64_t tags[] = { 65534 };
        char *nets[] = { (char *) "10.0.0.0/24", NULL };
        AddrNet *inside = NULL;
        SnaSelection s;

        CU_ASSERT_EQUAL_FATAL(sna_inside_parse(nets, &inside, &n_inside), 0);
        SnaSelectConfig cfg = { .inside = inside, .n_inside = n_inside, .inside_tags = tags, .n_inside_tags = 1,
                                .inside_from = SNA_INSIDE_HOST_GROUPS };
        CU_ASSERT_EQUAL(sna_select_hosts(ev, n, &cfg, &s), 0);
        {
                /* 10.0.0.9 carries no tag at all */
                const char *w[] = { "172.16.100.4", "192.168.91.12", "10.0.0.5" };
                CU_ASSERT_TRUE(ips_are(&s, w, 3));
        }
        sna_selection_done(&s);
        cfg.inside_from = SNA_INSIDE_EITHER;
        CU_ASSERT_EQUAL(sna_select_hosts(ev, n, &cfg, &s), 0);
        CU_ASSERT_EQUAL(s.n, 4);
        sna_selection_done(&s);
        cfg.inside_from = SNA_INSIDE_NETWORKS;
        CU_ASSERT_EQUAL(sna_select_hosts(ev, n, &cfg, &s), 0);
        {
                const char *w[] = { "10.0.0.5", "10.0.0.9" };
                CU_ASSERT_TRUE(ips_are(&s, w, 2));
        }
        sna_selection_done(&s);
        free(inside);
        sna_events_free(ev, n);

        {
                char *bad[] = { (char *) "10.0.0.1/8", NULL };
                CU_ASSERT_EQUAL(sna_inside_parse(bad, &inside, &n_inside), -EINVAL);
        }
}

static void test_tags(void)
{
        cJSON *list = J("{\"data\":[{\"id\":1,\"name\":\"Inside Hosts\",\"location\":\"INSIDE\"},"
                        "{\"id\":7,\"name\":\"High Traffic Hosts\",\"location\":\"OUTSIDE\"},"
                        "{\"id\":8,\"name\":\"High Traffic Hosts\",\"location\":\"INSIDE\"},"
                        "{\"id\":9,\"name\":\"high traffic hosts\"}]}");
        const char *why = NULL;
        int64_t id = -1;

        CU_ASSERT_EQUAL(sna_tag_find(list, "High Traffic Hosts", "INSIDE", &id, &why), 0);
        CU_ASSERT_EQUAL(id, 8);
        CU_ASSERT_EQUAL(sna_tag_find(list, "High Traffic Hosts", "OUTSIDE", &id, &why), 0);
        CU_ASSERT_EQUAL(id, 7);
        CU_ASSERT_EQUAL(sna_tag_find(list, "Nope", "INSIDE", &id, &why), 0);
        CU_ASSERT_EQUAL(id, 0);
        cJSON_Delete(list);
        list = J("{\"data\":{}}");
        CU_ASSERT_EQUAL(sna_tag_find(list, "x", "INSIDE", &id, &why), -EPROTO);
        cJSON_Delete(list);
}

static void test_tag_bodies(void)
{
        char *ips[] = { (char *) "10.0.0.5", (char *) "10.0.0.9", NULL };
        char *s = sna_tag_new_body("High Traffic Hosts", "INSIDE", "d", 1, ips);
        cJSON *j = J(s), *o = cJSON_GetArrayItem(j, 0);

        CU_ASSERT_TRUE(cJSON_IsArray(j));
        CU_ASSERT_EQUAL(cJSON_GetArraySize(j), 1);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(o, "location")), "INSIDE");
        CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "parentId")), 1);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(o, "ranges")), 2);
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(o, "sendToCta"));
        cJSON_Delete(j);
        free(s);

        cJSON *tag = J("{\"data\":{\"id\":50081,\"name\":\"High Traffic Hosts\",\"location\":\"INSIDE\","
                       "\"ranges\":[\"10.0.0.5\",\"192.168.1.0/24\"],\"sendToCta\":false,\"parentId\":1,"
                       "\"display\":{\"name\":\"x\"}}}");
        char *add[] = { (char *) "10.0.0.5", (char *) "10.0.0.7", NULL };
        char *rm[] = { (char *) "192.168.1.0/24", NULL };
        const char *why = NULL;
        bool changed = false;

        CU_ASSERT_EQUAL_FATAL(sna_tag_update_body(tag, add, NULL, &s, &changed, &why), 0);
        CU_ASSERT_TRUE(changed);
        j = J(s);
        CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(j, "sendToCta"));
        CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(j, "display"));        /* the whole object */
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "ranges")), 3);
        cJSON_Delete(j);
        free(s);
        /* nothing new: no PUT needed */
        CU_ASSERT_EQUAL_FATAL(sna_tag_update_body(tag, add, NULL, &s, &changed, &why), 0);
        free(s);
        {
                char *only[] = { (char *) "10.0.0.5", NULL };
                CU_ASSERT_EQUAL_FATAL(sna_tag_update_body(tag, only, NULL, &s, &changed, &why), 0);
                CU_ASSERT_FALSE(changed);
                free(s);
        }
        CU_ASSERT_EQUAL_FATAL(sna_tag_update_body(tag, NULL, rm, &s, &changed, &why), 0);
        CU_ASSERT_TRUE(changed);
        j = J(s);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(j, "ranges")), 1);
        {
                char *have[] = { (char *) "10.0.0.5", NULL };
                cJSON *wrapped = J("{}");
                cJSON_AddItemToObject(wrapped, "data", cJSON_Duplicate(j, true));
                CU_ASSERT_TRUE(sna_tag_has_ranges(wrapped, have, rm));
                CU_ASSERT_FALSE(sna_tag_has_ranges(wrapped, rm, NULL));
                cJSON_Delete(wrapped);
        }
        cJSON_Delete(j);
        free(s);
        cJSON_Delete(tag);
        tag = J("{\"data\":{\"name\":\"x\"}}");
        CU_ASSERT_EQUAL(sna_tag_update_body(tag, add, NULL, &s, &changed, &why), -EPROTO);
        cJSON_Delete(tag);
}

static void test_policy(void)
{
        cJSON *b = J("{\"data\":[{\"id\":16,\"name\":\"High Total Traffic\",\"policy\":{\"id\":7},"
                     "\"eventSettings\":{\"eventStatus\":{\"sourceStatus\":\"DISABLED\",\"targetStatus\":"
                     "\"NOT_APPLICABLE\"},\"alarmSettings\":[{\"key\":\"tolerance\",\"value\":\"90\"},"
                     "{\"key\":\"min\",\"value\":\"100000\"}]}}]}");
        SnaAlarmSetting set[] = { { "tolerance", "70" }, { "min", "100000" }, { "max", "500000" } };
        cJSON *report = NULL, *put, *item, *es, *ch;
        const char *why = NULL;
        char *body = NULL;

        CU_ASSERT_EQUAL_FATAL(sna_policy_setup(b, 16, set, 3, &body, &report, &why), 0);
        put = J(body);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(put), 1);
        item = cJSON_GetArrayItem(put, 0);
        CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(item, "policyId")), 7);
        es = cJSON_GetObjectItem(item, "eventSettings");
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(es, "eventStatus"),
                                                                        "targetStatus")), "NOT_APPLICABLE");
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(
                                       cJSON_GetObjectItem(es, "alarmSettings"), 0), "value")), "70");
        ch = cJSON_GetObjectItem(report, "changes");
        /* sourceStatus, tolerance 90 -> 70, max none -> 500000; min unchanged */
        CU_ASSERT_EQUAL(cJSON_GetArraySize(ch), 3);
        cJSON_Delete(put);
        cJSON_Delete(report);
        free(body);
        CU_ASSERT_EQUAL(sna_policy_setup(b, 30, set, 3, &body, &report, &why), -ENOENT);
        cJSON_Delete(b);
}

static void test_split(void)
{
        char **parts = NULL;
        char *text = NULL;
        size_t n;

        CU_ASSERT_EQUAL(notify_split("", 100, &parts), 0);
        CU_ASSERT_EQUAL(notify_split("short", 100, &parts), 1);
        CU_ASSERT_STRING_EQUAL(parts[0], "short");
        strv_free(parts);
        /* 50 lines of 20 bytes: cut at line ends, numbered, each <= 100 */
        for (int i = 0; i < 50; i++) {
                char *x = xasprintf("%sline %02d xxxxxxxxxxx\n", text ? text : "", i);
                free(text);
                text = x;
        }
        n = notify_split(text, 100, &parts);
        CU_ASSERT_TRUE(n >= 10);
        {
                size_t total = 0;
                for (size_t i = 0; i < n; i++) {
                        char want[64];
                        snprintf(want, sizeof(want), "(%zu/%zu) line", i + 1, n);
                        CU_ASSERT_TRUE(strlen(parts[i]) <= 100);
                        CU_ASSERT_EQUAL(strncmp(parts[i], want, strlen(want)), 0);
                        total += strlen(strchr(parts[i], ')') + 2);
                }
                CU_ASSERT_EQUAL(total, strlen(text));
        }
        strv_free(parts);
        free(text);
        /* one long line of 3-byte characters: never cut inside one */
        text = xstrdup("");
        for (int i = 0; i < 100; i++) {
                char *x = xasprintf("%s\xe2\x82\xac", text);
                free(text);
                text = x;
        }
        n = notify_split(text, 64, &parts);
        CU_ASSERT_TRUE(n > 1);
        for (size_t i = 0; i < n; i++) {
                const char *body = strchr(parts[i], ')') + 2;
                CU_ASSERT_EQUAL(strlen(body) % 3, 0);
                CU_ASSERT_TRUE(strlen(parts[i]) <= 64);
        }
        strv_free(parts);
        free(text);
}

static void test_report(void)
{
        char *peers[] = { (char *) "8.8.8.8", (char *) "1.1.1.1", NULL };
        SnaHost a = { .ip = (char *) "10.0.0.5", .events = 2, .peers = peers };
        SnaHost b = { .ip = (char *) "10.0.0.7", .events = 1 };
        const SnaHost *hosts[] = { &a, &b };
        char *m = sna_report_markdown(&(SnaReport) { .source = "sna:smc1", .event_names = "High *Total* Traffic",
                                                     .n_events = 3, .window_s = 3600, .hosts = hosts,
                                                     .n_hosts = 2, .responders = "hg" });

        CU_ASSERT_STRING_EQUAL(m, "**SNA: 2 new hosts with High  Total  Traffic** (sna:smc1: 3 events in the last "
                                  "60 min)\n\n- `10.0.0.5`: 2 events; talked to 8.8.8.8, 1.1.1.1\n- `10.0.0.7`: 1 "
                                  "event\n\nBlocked on: hg\n");
        free(m);
}

static void test_enrich_model(void)
{
        cJSON *b = J("[{\"id\":1,\"name\":\"bad.example\"},{\"id\":2,\"name\":\"b*d_[x]\"},{\"id\":3,"
                     "\"name\":\"bad.example\"},{\"id\":4,\"name\":\"four.example\"}]");
        char **names = NULL, *cat = NULL, *line;
        size_t n = 0;
        int st = 9;

        CU_ASSERT_EQUAL_FATAL(investigate_latest_domains(b, 2, &names, &n), 0);
        CU_ASSERT_EQUAL_FATAL(n, 2);
        CU_ASSERT_STRING_EQUAL(names[0], "bad.example");
        CU_ASSERT_STRING_EQUAL(names[1], "b d  x ");      /* markup neutralised */
        cJSON_Delete(b);
        b = J("{\"bad.example\":{\"status\":-1,\"security_categories\":[\"Malware\"]},"
              "\"b d  x \":{\"status\":1}}");
        {
                int status[2];
                char *cats[2] = { NULL, NULL };
                CU_ASSERT_EQUAL(investigate_status(b, "bad.example", &status[0], &cats[0]), 0);
                CU_ASSERT_EQUAL(status[0], -1);
                CU_ASSERT_STRING_EQUAL(cats[0], "Malware");
                CU_ASSERT_EQUAL(investigate_status(b, "b d  x ", &status[1], &cats[1]), 0);
                CU_ASSERT_PTR_NULL(cats[1]);
                line = investigate_line("203.0.113.9", names, status, cats, 2);
                CU_ASSERT_STRING_EQUAL(line, "203.0.113.9: 2 domains, 1 malicious (bad.example malicious: Malware, "
                                             "b d  x )");
                free(line);
                free(cats[0]);
        }
        CU_ASSERT_EQUAL(investigate_status(b, "missing.example", &st, &cat), -EPROTO);
        cJSON_Delete(b);
        strv_free(names);
        line = investigate_line("8.8.8.8", NULL, NULL, NULL, 0);
        CU_ASSERT_STRING_EQUAL(line, "8.8.8.8: no domain known");
        free(line);

        {
                char *guid = NULL, *host = NULL;
                b = J("{\"data\":[{\"connector_guid\":\"aaaa-1111\",\"hostname\":\"ws-alice.corp\"}]}");
                CU_ASSERT_EQUAL(amp_computer(b, &guid, &host), 0);
                CU_ASSERT_STRING_EQUAL(guid, "aaaa-1111");
                CU_ASSERT_STRING_EQUAL(host, "ws-alice.corp");
                free(guid);
                free(host);
                cJSON_Delete(b);
                b = J("{\"data\":[]}");
                CU_ASSERT_EQUAL(amp_computer(b, &guid, &host), 0);
                CU_ASSERT_PTR_NULL(guid);
                cJSON_Delete(b);
                b = J("{\"data\":[{\"connector_guid\":\"../x\"}]}");
                CU_ASSERT_EQUAL(amp_computer(b, &guid, &host), -EPROTO);
                cJSON_Delete(b);
        }
        {
                char **procs = NULL;
                b = J("{\"data\":{\"events\":[{\"network_info\":{\"remote_ip\":\"8.8.8.8\",\"parent\":"
                      "{\"file_name\":\"chrome.exe\"}}},{\"network_info\":{\"remote_ip\":\"1.1.1.1\",\"parent\":"
                      "{\"file_name\":\"x.exe\"}}},{\"network_info\":{\"remote_ip\":\"8.8.8.8\",\"parent\":"
                      "{\"file_name\":\"chrome.exe\"}}},{\"event_type\":\"other\"}]}}");
                CU_ASSERT_EQUAL(amp_processes(b, "8.8.8.8", 3, &procs, &n), 0);
                CU_ASSERT_EQUAL(n, 1);
                CU_ASSERT_STRING_EQUAL(procs[0], "chrome.exe");
                {
                        char *peers[] = { (char *) "8.8.8.8", (char *) "1.1.1.1", NULL };
                        char **pp[] = { procs, NULL };
                        line = amp_line("ws-alice.corp", peers, (char *const *const *) pp, 2);
                        CU_ASSERT_STRING_EQUAL(line, "ws-alice.corp: chrome.exe -> 8.8.8.8");
                        free(line);
                }
                strv_free(procs);
                cJSON_Delete(b);
                line = amp_line(NULL, NULL, NULL, 0);
                CU_ASSERT_STRING_EQUAL(line, "not a Secure Endpoint computer");
                free(line);
        }
}

/* the vectors were computed with Python's hmac and hashlib */
static void test_tet_sign(void)
{
        const char *body = "{\"ip\":\"10.0.0.5\"}";
        TetSigned s;

        CU_ASSERT_EQUAL_FATAL(tet_sign("csw-secret", "POST", "/openapi/v1/inventory/tags/Default", "application/json",
                                       body, strlen(body), 1611050400, &s), 0);
        CU_ASSERT_STRING_EQUAL(s.timestamp, "2021-01-19T10:00:00+0000");
        CU_ASSERT_STRING_EQUAL(s.checksum, "d22e60fd1910b4b5c4e563a5c598b621b1dbb0c679c6a93557fb694dc06a10fc");
        CU_ASSERT_STRING_EQUAL(s.authorization, "jNkBYpUL/SXC5yim5fhRF1hCtDvv3oboZ74D8JM7KFY=");
        tet_signed_done(&s);
        /* no body: an empty checksum line */
        CU_ASSERT_EQUAL_FATAL(tet_sign("csw-secret", "GET", "/openapi/v1/inventory/tags/Default?ip=1.2.3.4",
                                       "application/json", NULL, 0, 1611050400, &s), 0);
        CU_ASSERT_STRING_EQUAL(s.checksum, "");
        CU_ASSERT_STRING_EQUAL(s.authorization, "q76r3/SYkciA3ObwIZXyiZTZ2j1QiJXn0hykoG2KAno=");
        tet_signed_done(&s);
}

static void test_ctl_setup(void)
{
        char *argv[] = { (char *) "secrespctl", (char *) "sna", (char *) "setup", (char *) "16",
                         (char *) "--dry-run", (char *) "--source", (char *) "smc1", NULL };
        char *bad[] = { (char *) "secrespctl", (char *) "sna", (char *) "setup", (char *) "0x10", NULL };
        char *none[] = { (char *) "secrespctl", (char *) "sna", (char *) "setup", NULL };
        char *err = NULL;
        CtlCommand c;
        cJSON *req;

        CU_ASSERT_EQUAL_FATAL(ctl_parse(7, argv, &c, &err), 0);
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_SNA_SETUP);
        CU_ASSERT_EQUAL(c.event_id, 16);
        CU_ASSERT_TRUE(c.dry_run);
        CU_ASSERT_STRING_EQUAL(c.source, "smc1");
        req = ctl_command_to_request(&c, 3);
        CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(req, "cmd")), "sna.setup");
        CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(req, "args"), "event_id")), 16);
        cJSON_Delete(req);
        CU_ASSERT_EQUAL(ctl_parse(4, bad, &c, &err), -EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "EVENT_ID"));
        free(err);
        err = NULL;
        CU_ASSERT_EQUAL(ctl_parse(3, none, &c, &err), -EINVAL);
        free(err);
}

/* Every error line of a config text (joined by '\n'), "" when it loads. */
static char *conf_errors(const char *text)
{
        char path[] = "/tmp/secresp-unit-sna-XXXXXX";
        int fd = mkstemp(path);
        ConfigErrors e = { 0 };
        Config *c = NULL;
        char *all = xstrdup("");
        FILE *f;

        CU_ASSERT_FATAL(fd >= 0);
        f = fdopen(fd, "w");
        fputs(text, f);
        fclose(f);
        if (config_load(path, &c, &e) == 0)
                config_free(c);
        for (size_t i = 0; i < e.n; i++) {
                char *x = xasprintf("%s%s\n", all, e.lines[i]);
                free(all);
                all = x;
        }
        config_errors_done(&e);
        unlink(path);
        return all;
}

#define CONF_HEAD "state_directory = \"/tmp/x\"; runtime_directory = \"/tmp/y\";\n"
#define SMC "url = \"https://smc.example.com\"; username = \"u\"; password = \"env:UNIT_SNA_PW\";"

static void test_config(void)
{
        char *e;

        setenv("UNIT_SNA_PW", "pw", 1);
        e = conf_errors(CONF_HEAD "sna = ( { name = \"smc1\"; " SMC " } );\n"
                        "responders = ( { name = \"hg\"; type = \"sna_hostgroup\"; " SMC " },\n"
                        "  { name = \"csw\"; type = \"secure_workload\"; url = \"https://csw\"; api_key = \"k\";"
                        " api_secret = \"env:UNIT_SNA_PW\"; tenant = \"Default\"; } );\n");
        CU_ASSERT_STRING_EQUAL(e, "");
        free(e);
        e = conf_errors(CONF_HEAD "sna = ( { name = \"smc1\"; url = \"smc\"; inside_networks = [ \"10.0.0.1/8\" ];"
                        " responders = [ \"nope\" ]; setup: { min = \"1e5\"; };"
                        " notify: { webex_token = \"env:UNIT_SNA_PW\"; }; } );\n");
        CU_ASSERT_PTR_NOT_NULL(strstr(e, ":2: sna[0]: needs url"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "sna[0]: needs username"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "sna[0]: needs password"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "'10.0.0.1/8': network has host bits set"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "no responder named 'nope'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "setup: tolerance, min and max are whole numbers"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "webex_token needs webex_room_id"));
        free(e);
        e = conf_errors(CONF_HEAD "sna = ( { name = \"smc1\"; " SMC " time_windw = \"1h\"; sides = \"up\"; } );\n");
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "did you mean 'sna[0].time_window'"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "unknown value \"up\""));
        free(e);
        e = conf_errors(CONF_HEAD "responders = ( { name = \"hg\"; type = \"sna_hostgroup\"; url = \"https://smc\"; "
                        "tag_location = \"MIDDLE\"; } );\n");
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "username"));
        CU_ASSERT_PTR_NOT_NULL(strstr(e, "MIDDLE"));
        CU_ASSERT_PTR_NULL(strstr(e, "pw"));
        free(e);
        unsetenv("UNIT_SNA_PW");
}

void sna_suite_add(void)
{
        UNIT_SUITE("sna",
                   UNIT_TEST(test_cookie),
                   UNIT_TEST(test_error_text),
                   UNIT_TEST(test_event_names),
                   UNIT_TEST(test_templates),
                   UNIT_TEST(test_query_body),
                   UNIT_TEST(test_job),
                   UNIT_TEST(test_results),
                   UNIT_TEST(test_select_networks),
                   UNIT_TEST(test_select_cap),
                   UNIT_TEST(test_select_groups),
                   UNIT_TEST(test_tags),
                   UNIT_TEST(test_tag_bodies),
                   UNIT_TEST(test_policy),
                   UNIT_TEST(test_ctl_setup),
                   UNIT_TEST(test_split),
                   UNIT_TEST(test_report),
                   UNIT_TEST(test_enrich_model),
                   UNIT_TEST(test_tet_sign),
                   UNIT_TEST(test_config));
}
