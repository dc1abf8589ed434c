/* SPDX-License-Identifier: MIT */
/* The umbrella config group and the radius_group responder's settings:
 * defaults, the original's secret names, and errors that name the file,
 * the line and the setting (never a secret's value). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/conf.h"
#include "responders/responder.h"
#include "tests/unit/unit.h"

void umbrella_config_suite_add(void);

static char dir[64];

static const char *write_conf(const char *text)
{
        static char path[128];
        FILE *f;

        if (!dir[0]) {
                strcpy(dir, "/tmp/secresp-unit-umb-XXXXXX");
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(path, sizeof(path), "%s/u.conf", dir);
        f = fopen(path, "w");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
        return path;
}

/* All error lines joined by '\n' (static), or "" when the file loads. */
static const char *errors_of(const char *text)
{
        static char all[4096];
        ConfigErrors e = { 0 };
        Config *c = NULL;
        size_t o = 0;

        all[0] = '\0';
        if (config_load(write_conf(text), &c, &e) == 0) {
                config_free(c);
                return all;
        }
        for (size_t i = 0; i < e.n && o < sizeof(all) - 1; i++)
                o += (size_t) snprintf(all + o, sizeof(all) - o, "%s\n", e.lines[i]);
        config_errors_done(&e);
        return all;
}

static void test_defaults(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;

        setenv("umb_reporting_key", "k", 1);
        setenv("umb_reporting_secret", "not-logged-secret", 1);
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("umbrella = { enabled = true; users_from = \"config\"; "
                                                     "users = [ \"alice:PC-ALICE\" ]; };"), &c, &e), 0);
        CU_ASSERT_STRING_EQUAL(c->umbrella.key.ref, "env:umb_reporting_key");
        CU_ASSERT_STRING_EQUAL(c->umbrella.secret.value, "not-logged-secret");
        CU_ASSERT_STRING_EQUAL(c->umbrella.token_url, "https://api.umbrella.com/auth/v2/token");
        CU_ASSERT_STRING_EQUAL(c->umbrella.reports_url, "https://api.umbrella.com/reports/v2");
        CU_ASSERT_EQUAL(c->umbrella.n_categories, 14);
        CU_ASSERT_EQUAL(c->umbrella.categories[0], 65);
        CU_ASSERT_EQUAL(c->umbrella.categories[13], 63);
        CU_ASSERT_EQUAL(c->umbrella.n_group_thresholds, 2);
        CU_ASSERT_EQUAL(c->umbrella.group_thresholds[1], 55);
        CU_ASSERT_EQUAL(c->umbrella.score_very_risky, 55);
        CU_ASSERT_STRING_EQUAL(c->umbrella.vpn_groups[2], "Dangerous");
        CU_ASSERT_EQUAL(c->umbrella.whitelist_days, 30 * 86400);
        CU_ASSERT_EQUAL(c->umbrella.max_in_flight, 20);
        CU_ASSERT_STRING_EQUAL(c->umbrella.redirect_domains[0], "umbrella.com");
        CU_ASSERT_TRUE(c->umbrella.tls_verify);
        config_free(c);
}

static void test_legacy(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;

        setenv("umb_reporting_key", "k", 1);
        setenv("umb_reporting_secret", "s", 1);
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("umbrella = { enabled = true; api = \"legacy\"; org_id = \"7\"; "
                                                     "radius_database = \"/r.db\"; categories = [ 65, 66 ]; };"),
                                          &c, &e), 0);
        CU_ASSERT_STRING_EQUAL(c->umbrella.token_url, "https://management.api.umbrella.com/auth/v2/oauth2/token");
        CU_ASSERT_PTR_NOT_NULL(strstr(c->umbrella.reports_url, "/v2/organizations/{organization_id}"));
        CU_ASSERT_EQUAL(c->umbrella.n_categories, 2);
        config_free(c);
}

static void test_errors(void)
{
        const char *err;

        setenv("umb_reporting_key", "k", 1);
        unsetenv("umb_reporting_secret");
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.secret: not set, and the default env:umb_reporting_secret"));
        setenv("umb_reporting_secret", "s3cr3t-value", 1);
        /* disabled: nothing is checked, no secret needed */
        unsetenv("umb_reporting_key");
        CU_ASSERT_STRING_EQUAL(errors_of("umbrella = { enabled = false; };"), "");
        setenv("umb_reporting_key", "k", 1);

        err = errors_of("umbrella = {\n enabled = true;\n radius_database = \"/r.db\";\n"
                        " group_thresholds = [ 60, 20 ];\n};");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4: umbrella.group_thresholds: expected two ascending scores"));
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; categories = [ \"65\" ]; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.categories: element 1: expected an integer"));
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; score_very_risky = 101; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.score_very_risky: 101 is out of range 0..100"));
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; vpn_groups = [ \"A\", \"A\", \"B\" ]; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.vpn_groups: expected three distinct names"));
        err = errors_of("umbrella = { enabled = true; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.radius_database: users_from = \"radius\" needs"));
        err = errors_of("umbrella = { enabled = true; users_from = \"config\"; users = [ \"alice\" ]; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "\"alice\" is not \"username:umbrella-label\""));
        err = errors_of("umbrella = { enabled = true; api = \"legacy\"; radius_database = \"/r.db\"; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.org_id: the legacy API needs org_id"));
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; responders = [ \"nope\" ]; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "umbrella.responders: no responder is named 'nope'"));
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; radius_backend = \"postgresql\"; "
                        "radius_conninfo = \"host=x password=y\"; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "put the password in radius_password"));
        err = errors_of("umbrella = { enabled = true; radius_database = \"/r.db\"; maxinflight = 3; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "did you mean 'umbrella.max_in_flight'"));
        /* a responder that cannot act on users */
        err = errors_of("responders = ( { name = \"fw\"; type = \"external_call\"; block_host = [ \"/bin/true\" ]; "
                        "unblock_host = [ \"/bin/true\" ]; } );\n"
                        "umbrella = { enabled = true; radius_database = \"/r.db\"; responders = [ \"fw\" ]; };");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "responder 'fw' cannot act on users"));
        CU_ASSERT_PTR_NULL(strstr(err, "s3cr3t-value"));
}

static void test_radius_group(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;
        const char *err;

        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("responders = ( { name = \"vpn\"; type = \"radius_group\"; "
                                                     "database = \"/var/lib/r.db\"; } );"), &c, &e), 0);
        CU_ASSERT_EQUAL(c->n_responders, 1);
        CU_ASSERT_EQUAL(c->responders[0]->caps, RESPONDER_CAP_USER);
        CU_ASSERT_STRING_EQUAL(c->responders[0]->ops->module, "radius_group");
        config_free(c);
        err = errors_of("responders = ( { name = \"vpn\"; type = \"radius_group\"; } );");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "backend \"sqlite\" needs database"));
        err = errors_of("responders = ( { name = \"vpn\"; type = \"radius_group\"; database = \"rel.db\"; } );");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "database must be an absolute path"));
        err = errors_of("responders = ( { name = \"vpn\"; type = \"radius_group\"; database = \"/r.db\"; "
                        "atribute = \"X\"; } );");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "responders[vpn].atribute: unknown setting"));
        err = errors_of("responders = ( { name = \"vpn\"; type = \"radius_group\"; database = \"/r.db\"; "
                        "backend = \"mysql\"; } );");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown value \"mysql\""));
        err = errors_of("responders = ( { name = \"vpn\"; type = \"radius_group\"; database = \"/r.db\"; "
                        "insert_missing = 1; } );");
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "insert_missing: expected true or false"));
}

void umbrella_config_suite_add(void)
{
        UNIT_SUITE("umbrella_config",
                   UNIT_TEST(test_defaults),
                   UNIT_TEST(test_legacy),
                   UNIT_TEST(test_errors),
                   UNIT_TEST(test_radius_group));
}
