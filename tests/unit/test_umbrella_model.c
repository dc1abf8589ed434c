/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sources/umbrella_model.h"
#include "tests/unit/unit.h"

void umbrella_model_suite_add(void);

static void test_token(void)
{
        char *t = NULL;
        int64_t e = 0;
        const char *why = NULL;

        CU_ASSERT_EQUAL(umb_parse_token("{\"token_type\":\"bearer\",\"access_token\":\"abc\",\"expires_in\":3600}",
                                        &t, &e, &why), 0);
        CU_ASSERT_STRING_EQUAL(t, "abc");
        CU_ASSERT_EQUAL(e, 3600);
        free(t);
        t = NULL;
        CU_ASSERT_EQUAL(umb_parse_token("{\"access_token\":\"x\"}", &t, &e, &why), 0);
        CU_ASSERT_EQUAL(e, 3600);
        free(t);
        t = NULL;
        /* the original's 101: no access_token */
        CU_ASSERT_EQUAL(umb_parse_token("{\"error\":\"invalid_client\"}", &t, &e, &why), -EPROTO);
        CU_ASSERT_PTR_NULL(t);
        CU_ASSERT_PTR_NOT_NULL(why);
        CU_ASSERT_EQUAL(umb_parse_token("{\"access_token\":\"\"}", &t, &e, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_token("not json", &t, &e, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_token(NULL, &t, &e, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_token("{\"access_token\":\"x\",\"expires_in\":-5}", &t, &e, &why), -EPROTO);
}

static void test_identities(void)
{
        const char *body =
                "{\"meta\":{},\"data\":[{\"requests\":2274,\"rank\":1,\"identity\":{\"id\":585728824,"
                "\"label\":\"VM_WIN11\",\"deleted\":false,\"type\":{\"id\":34,\"type\":\"anyconnect\","
                "\"label\":\"Anyconnect Roaming Client\"}}},{\"requests\":3},{\"identity\":{\"id\":7,\"label\":\"B\"}}]}";
        UmbIdentity *v = NULL;
        size_t n = 0, rows = 0;
        const char *why;

        CU_ASSERT_EQUAL(umb_parse_identities(body, &v, &n, &rows, &why), 0);
        CU_ASSERT_EQUAL(rows, 3);
        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_EQUAL(v[0].id, 585728824);
        CU_ASSERT_STRING_EQUAL(v[0].label, "VM_WIN11");
        CU_ASSERT_STRING_EQUAL(v[0].type, "anyconnect");
        CU_ASSERT_STRING_EQUAL(v[1].type, "");
        CU_ASSERT_EQUAL(umb_parse_identities("{\"data\":{}}", &v, &n, &rows, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_identities("{\"data\":[{\"identity\":{\"id\":\"x\",\"label\":\"L\"}}]}", &v, &n,
                                             &rows, &why), -EPROTO);
        CU_ASSERT_EQUAL(n, 2);
        umb_identities_free(v, n);
}

static void test_activity(void)
{
        static const int64_t filter[] = { 65, 66 };
        const char *p1 = "{\"data\":[{\"domain\":\"Evil.example\",\"categories\":[{\"id\":65},{\"id\":190}]},"
                         "{\"domain\":\"a.example\",\"categories\":[]},{\"domain\":\"\"}]}";
        const char *p2 = "{\"data\":[{\"domain\":\"evil.example\",\"categories\":[{\"id\":66},{\"id\":65}]}]}";
        UmbActivity a = { 0 };
        size_t rows;
        const char *why;

        CU_ASSERT_EQUAL(umb_parse_activity(p1, filter, 2, &a, &rows, &why), 0);
        CU_ASSERT_EQUAL(rows, 3);
        CU_ASSERT_EQUAL(umb_parse_activity(p2, filter, 2, &a, &rows, &why), 0);
        CU_ASSERT_EQUAL(rows, 1);
        umb_activity_finish(&a);
        CU_ASSERT_EQUAL(a.n_domains, 2);
        CU_ASSERT_STRING_EQUAL(a.domains[0], "a.example");
        CU_ASSERT_STRING_EQUAL(a.domains[1], "evil.example");
        CU_ASSERT_EQUAL(a.n_categories, 2);
        CU_ASSERT_EQUAL(a.categories[0], 65);
        CU_ASSERT_EQUAL(a.categories[1], 66);
        CU_ASSERT_EQUAL(umb_parse_activity("{\"data\":[{\"domain\":5}]}", NULL, 0, &a, &rows, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_activity("[]", NULL, 0, &a, &rows, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_activity("{\"data\":[]}", NULL, 0, &a, &rows, &why), 0);
        CU_ASSERT_EQUAL(rows, 0);
        umb_activity_done(&a);
        CU_ASSERT_EQUAL(a.n_domains, 0);
}

static void test_risk(void)
{
        int s = -1;
        const char *why;

        CU_ASSERT_EQUAL(umb_parse_risk("{\"risk_score\":42,\"indicators\":[]}", &s, &why), 0);
        CU_ASSERT_EQUAL(s, 42);
        CU_ASSERT_EQUAL(umb_parse_risk("{\"risk_score\":101}", &s, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_risk("{\"risk_score\":\"5\"}", &s, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_risk("{}", &s, &why), -EPROTO);
        CU_ASSERT_EQUAL(umb_parse_risk("<html>", &s, &why), -EPROTO);
        CU_ASSERT_EQUAL(s, 42);
}

static void test_categories(void)
{
        UmbCategory *v = NULL;
        size_t n = 0;
        const char *why;

        CU_ASSERT_EQUAL(umb_parse_categories("{\"data\":[{\"id\":65,\"label\":\"Command and Control\","
                                             "\"type\":\"security\"},{\"id\":\"bad\"},{\"id\":190,\"label\":\"S\"}]}",
                                             &v, &n, &why), 0);
        CU_ASSERT_EQUAL(n, 2);
        CU_ASSERT_EQUAL(v[0].id, 65);
        CU_ASSERT_STRING_EQUAL(v[0].type, "security");
        CU_ASSERT_STRING_EQUAL(v[1].type, "");
        umb_categories_free(v, n);
        CU_ASSERT_EQUAL(umb_parse_categories("{}", &v, &n, &why), -EPROTO);
}

static void test_redirect_allowed(void)
{
        static const char *const d[] = { "umbrella.com", "localhost", NULL };

        CU_ASSERT_TRUE(umb_redirect_allowed("https://api.eu.reports.umbrella.com/v2/x?y=1", d));
        CU_ASSERT_TRUE(umb_redirect_allowed("https://umbrella.com/", d));
        CU_ASSERT_TRUE(umb_redirect_allowed("http://localhost:8080/reports", d));
        CU_ASSERT_TRUE(umb_redirect_allowed("HTTPS://API.UMBRELLA.COM", d));
        CU_ASSERT_FALSE(umb_redirect_allowed("https://evilumbrella.com/", d));
        CU_ASSERT_FALSE(umb_redirect_allowed("https://umbrella.com.evil.example/", d));
        CU_ASSERT_FALSE(umb_redirect_allowed("https://api.umbrella.com@evil.example/", d));
        CU_ASSERT_FALSE(umb_redirect_allowed("ftp://api.umbrella.com/", d));
        CU_ASSERT_FALSE(umb_redirect_allowed("/relative", d));
        CU_ASSERT_FALSE(umb_redirect_allowed("https:///", d));
        CU_ASSERT_FALSE(umb_redirect_allowed(NULL, d));
        CU_ASSERT_FALSE(umb_redirect_allowed("https://api.umbrella.com/", NULL));
}

static void test_expand_org(void)
{
        char *s = umb_expand_org("https://r/v2/organizations/{organization_id}/x/{organization_id}", "7966517");
        CU_ASSERT_STRING_EQUAL(s, "https://r/v2/organizations/7966517/x/7966517");
        free(s);
        s = umb_expand_org("https://api.umbrella.com/reports/v2", "1");
        CU_ASSERT_STRING_EQUAL(s, "https://api.umbrella.com/reports/v2");
        free(s);
}

static void test_domain_valid(void)
{
        CU_ASSERT_TRUE(umb_domain_valid("www.example.com"));
        CU_ASSERT_TRUE(umb_domain_valid("_dmarc.x-y.example"));
        CU_ASSERT_FALSE(umb_domain_valid(""));
        CU_ASSERT_FALSE(umb_domain_valid(NULL));
        CU_ASSERT_FALSE(umb_domain_valid("a/b"));
        CU_ASSERT_FALSE(umb_domain_valid("a b"));
        CU_ASSERT_FALSE(umb_domain_valid("a?b"));
}

void umbrella_model_suite_add(void)
{
        UNIT_SUITE("umbrella_model",
                   UNIT_TEST(test_token),
                   UNIT_TEST(test_identities),
                   UNIT_TEST(test_activity),
                   UNIT_TEST(test_risk),
                   UNIT_TEST(test_categories),
                   UNIT_TEST(test_redirect_allowed),
                   UNIT_TEST(test_expand_org),
                   UNIT_TEST(test_domain_valid));
}
