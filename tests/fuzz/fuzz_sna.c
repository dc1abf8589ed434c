/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/strv.h"
#include "common/xalloc.h"
#include "engine/notify_text.h"
#include "sources/sna_enrich_model.h"
#include "sources/sna_model.h"
#include "sources/sna_report.h"
#include "sources/sna_select.h"
#include "tests/fuzz/fuzz.h"

/* The SMC, Investigate and Secure Endpoint answer parsers on arbitrary
 * JSON, the selection and the report on whatever events come out, the
 * cookie and error-text parsers and the message splitter on the raw
 * bytes.  Invariants:
 *   every parser returns 0 or its documented error;
 *   selected hosts are distinct inside addresses, never more than the cap;
 *   a tag update body is JSON, without sendToCta, and holds what was added;
 *   the split parts are at most max bytes and rebuild the text. */

static void check_split(const char *s)
{
        char **parts = NULL;
        size_t n = notify_split(s, 100, &parts), total = 0;

        for (size_t i = 0; i < n; i++) {
                const char *body = parts[i];
                FUZZ_CHECK(strlen(parts[i]) <= 100);
                if (n > 1) {
                        body = strstr(parts[i], ") ");
                        FUZZ_CHECK(body);
                        body += 2;
                }
                FUZZ_CHECK(strncmp(s + total, body, strlen(body)) == 0);
                total += strlen(body);
        }
        FUZZ_CHECK(total == strlen(s));
        strv_free(parts);
}

static void check_json(const cJSON *j)
{
        char *names[] = { (char *) "High Total Traffic", (char *) "x", NULL };
        char *add[] = { (char *) "10.0.0.5", NULL }, *rm[] = { (char *) "10.9.9.9", NULL };
        SnaAlarmSetting set[] = { { "tolerance", "70" }, { "min", "1" } };
        const char *why = NULL;
        int64_t *ids = NULL, id = 0;
        char **missing = NULL, *s = NULL;
        SnaEvent *ev = NULL;
        size_t n = 0;
        double pct;
        SnaJobState st;
        bool changed;
        cJSON *rep = NULL;
        int r;

        r = sna_templates_resolve(j, names, &ids, &n, &missing, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        free(ids);
        strv_free(missing);
        (void) sna_template_name(j, 16);
        r = sna_search_job_id(j, &s, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        free(s);
        s = NULL;
        r = sna_query_status(j, &pct, &st, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        r = sna_tag_find(j, "High Traffic Hosts", "INSIDE", &id, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        r = sna_tag_ids_parse(j, &ids, &n, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        free(ids);
        r = sna_tag_update_body(j, add, rm, &s, &changed, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        if (r == 0) {
                cJSON *b = cJSON_Parse(s);
                FUZZ_CHECK(b && !cJSON_GetObjectItem(b, "sendToCta"));
                cJSON *w = cJSON_CreateObject();
                cJSON_AddItemToObject(w, "data", b);
                FUZZ_CHECK(sna_tag_has_ranges(w, add, NULL));
                cJSON_Delete(w);
                free(s);
        }
        r = sna_policy_setup(j, 16, set, 2, &s, &rep, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO || r == -ENOENT);
        if (r == 0) {
                cJSON *b = cJSON_Parse(s);
                FUZZ_CHECK(cJSON_IsArray(b) && cJSON_GetArraySize(b) == 1);
                cJSON_Delete(b);
                free(s);
                cJSON_Delete(rep);
        }
        r = sna_results_parse(j, &ev, &n, &why);
        FUZZ_CHECK(r == 0 || r == -EPROTO);
        if (r == 0) {
                AddrNet *inside = NULL;
                size_t n_inside = 0;
                int64_t tags[] = { 65534 };
                SnaSelection sel;
                FUZZ_CHECK(sna_inside_parse(NULL, &inside, &n_inside) == 0);
                for (int mode = 0; mode < 3; mode++) {
                        SnaSelectConfig cfg = { .inside = inside, .n_inside = n_inside, .inside_tags = tags,
                                                .n_inside_tags = 1, .inside_from = (SnaInsideFrom) mode,
                                                .max_hosts = (size_t) mode };
                        FUZZ_CHECK(sna_select_hosts(ev, n, &cfg, &sel) == 0);
                        FUZZ_CHECK(!cfg.max_hosts || sel.n <= cfg.max_hosts);
                        for (size_t a = 0; a < sel.n; a++)
                                for (size_t b = a + 1; b < sel.n; b++)
                                        FUZZ_CHECK(strcmp(sel.hosts[a].ip, sel.hosts[b].ip) != 0);
                        if (sel.n) {
                                const SnaHost **hp = xnew(const SnaHost *, sel.n);
                                for (size_t a = 0; a < sel.n; a++)
                                        hp[a] = &sel.hosts[a];
                                s = sna_report_markdown(&(SnaReport) { .source = "sna:x", .event_names = "e",
                                                                       .n_events = n, .hosts = hp, .n_hosts = sel.n });
                                FUZZ_CHECK(s && s[0] == '*');
                                free(s);
                                free(hp);
                        }
                        sna_selection_done(&sel);
                }
                free(inside);
                sna_events_free(ev, n);
        }
        {
                char **v = NULL, *g = NULL, *h = NULL, *cat = NULL;
                int status;
                n = 0;
                r = investigate_latest_domains(j, 3, &v, &n);
                FUZZ_CHECK(r == 0 || r == -EPROTO);
                FUZZ_CHECK(r < 0 || n <= 3);
                strv_free(v);
                v = NULL;
                r = investigate_status(j, "bad.example", &status, &cat);
                FUZZ_CHECK(r == 0 || r == -EPROTO);
                free(cat);
                r = amp_computer(j, &g, &h);
                FUZZ_CHECK(r == 0 || r == -EPROTO);
                free(g);
                free(h);
                r = amp_processes(j, "8.8.8.8", 3, &v, &n);
                FUZZ_CHECK(r == 0 || r == -EPROTO);
                strv_free(v);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = fuzz_strndup(data, size), *name = NULL, *value = NULL, *t;
        cJSON *j;

        if (sna_cookie_parse(s, &name, &value) == 0) {
                FUZZ_CHECK(name[0]);
                free(name);
                free(value);
        }
        t = sna_error_text(500, s, strlen(s));
        FUZZ_CHECK(t && !strpbrk(t, "\r\n"));
        free(t);
        check_split(s);
        j = cJSON_ParseWithLength((const char *) data, size);
        if (j)
                check_json(j);
        cJSON_Delete(j);
        free(s);
        return 0;
}
