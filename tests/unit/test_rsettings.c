/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libconfig.h>
#include "common/strv.h"
#include "responders/rhttp.h"
#include "responders/rsettings.h"
#include "tests/unit/unit.h"

void rsettings_suite_add(void);

typedef struct Mod {
        RHttpConf http;
        Secret token;
        char *vdom;
        int64_t batch;
        bool groups;
        uint64_t poll_ms;
        char **lists;
        int mode;
} Mod;

static const char *const modes[] = { "address", "group", NULL };

static const RsOpt mod_opts[] = {
        RHTTP_OPTS(Mod, http, "FORTI_URL"),
        { "token", RS_SECRET, offsetof(Mod, token), .required = true, .var = "FORTI_API_KEY" },
        { "vdom", RS_STRING, offsetof(Mod, vdom), .def = "root" },
        { "batch", RS_INT, offsetof(Mod, batch), 1, 1000, .def = "100" },
        { "groups", RS_BOOL, offsetof(Mod, groups), .def = "false" },
        { "poll", RS_DURATION, offsetof(Mod, poll_ms), 1, 3600, .def = "5s" },
        { "lists", RS_STRINGS, offsetof(Mod, lists) },
        { "mode", RS_ENUM, offsetof(Mod, mode), .def = "address", .values = modes },
        {}
};

typedef struct Run {
        config_t cf;
        Mod m;
        char **errs;
        size_t n;
        int r;
} Run;

static void run(Run *x, const char *text)
{
        const config_setting_t *g;

        memset(x, 0, sizeof(*x));
        config_init(&x->cf);
        CU_ASSERT_EQUAL_FATAL(config_read_string(&x->cf, text), CONFIG_TRUE);
        g = config_setting_get_elem(config_lookup(&x->cf, "responders"), 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        x->r = rsettings_read(g, "fortinet", mod_opts, &x->m, &x->errs, &x->n);
}

static void done(Run *x)
{
        rsettings_free(mod_opts, &x->m);
        for (size_t i = 0; i < x->n; i++)
                free(x->errs[i]);
        free(x->errs);
        config_destroy(&x->cf);
}

static bool has_err(const Run *x, const char *needle)
{
        if (getenv("RS_DEBUG"))
                for (size_t i = 0; i < x->n; i++)
                        fprintf(stderr, "%s\n", x->errs[i]);
        for (size_t i = 0; i < x->n; i++)
                if (strstr(x->errs[i], needle))
                        return true;
        return false;
}

static void test_defaults_and_values(void)
{
        Run x;

        setenv("RS_TEST_TOKEN", "s3cret", 1);
        run(&x, "responders = ( { name = \"fw\"; type = \"fortinet\"; max_concurrent = 2;\n"
                "  url = \"https://fw.example/\"; token = \"env:RS_TEST_TOKEN\"; lists = [ \"a\", \"b\" ];\n"
                "  poll = \"1m\"; mode = \"group\"; } );");
        CU_ASSERT_EQUAL(x.r, 0);
        CU_ASSERT_EQUAL(x.n, 0);
        CU_ASSERT_STRING_EQUAL(x.m.http.url, "https://fw.example");     /* trailing '/' dropped */
        CU_ASSERT_TRUE(x.m.http.tls_verify);                           /* on unless written off */
        CU_ASSERT_EQUAL(x.m.http.timeout_ms, 30000);
        CU_ASSERT_PTR_NULL(x.m.http.ca_file);
        CU_ASSERT_STRING_EQUAL(x.m.token.value, "s3cret");
        CU_ASSERT_STRING_EQUAL(x.m.vdom, "root");
        CU_ASSERT_EQUAL(x.m.batch, 100);
        CU_ASSERT_FALSE(x.m.groups);
        CU_ASSERT_EQUAL(x.m.poll_ms, 60000);
        CU_ASSERT_EQUAL(strv_length(x.m.lists), 2);
        CU_ASSERT_EQUAL(x.m.mode, 1);
        done(&x);
}

static void test_errors_name_line_and_setting(void)
{
        Run x;

        unsetenv("RS_TEST_MISSING");
        run(&x, "responders = ( { name = \"fw\"; type = \"fortinet\";\n"
                "  url = \"ftp://fw\";\n"
                "  token = \"env:RS_TEST_MISSING\";\n"
                "  batch = 0;\n"
                "  mode = \"both\";\n"
                "  tls_verfy = false;\n"
                "  FORTI_API_KEY = \"x\";\n"
                "  colour = 1;\n"
                "  timeout = \"soon\"; } );");
        CU_ASSERT_EQUAL(x.r, -EINVAL);
        CU_ASSERT_TRUE(has_err(&x, ":2: responders[0].url: expected an http:// or https:// URL"));
        CU_ASSERT_TRUE(has_err(&x, ":3: responders[0].token:"));
        CU_ASSERT_TRUE(has_err(&x, ":4: responders[0].batch: 0 is out of range 1..1000"));
        CU_ASSERT_TRUE(has_err(&x, ":5: responders[0].mode: \"both\" is not one of \"address\", \"group\""));
        CU_ASSERT_TRUE(has_err(&x, ":6: responders[0].tls_verfy: unknown setting, did you mean 'tls_verify'?"));
        CU_ASSERT_TRUE(has_err(&x, ":7: responders[0].FORTI_API_KEY: unknown setting (the original's "
                               "FORTI_API_KEY is 'token' here)"));
        CU_ASSERT_TRUE(has_err(&x, ":8: responders[0].colour: unknown setting for a fortinet responder"));
        CU_ASSERT_TRUE(has_err(&x, ":9: responders[0].timeout: expected a duration"));
        /* the daemon's own settings are not the module's business */
        CU_ASSERT_FALSE(has_err(&x, "max_concurrent"));
        done(&x);
}

static void test_required(void)
{
        Run x;

        run(&x, "responders = ( { name = \"fw\"; type = \"fortinet\"; } );");
        CU_ASSERT_EQUAL(x.r, -EINVAL);
        CU_ASSERT_TRUE(has_err(&x, "a fortinet responder needs url (the original's FORTI_URL)"));
        CU_ASSERT_TRUE(has_err(&x, "a fortinet responder needs token (the original's FORTI_API_KEY)"));
        done(&x);
}

static void test_secret_literal_refused(void)
{
        Run x;

        run(&x, "responders = ( { name = \"fw\"; type = \"fortinet\"; url = \"https://fw\";\n"
                "  token = \"hunter2\"; } );");
        CU_ASSERT_EQUAL(x.r, -EINVAL);
        CU_ASSERT_TRUE(has_err(&x, ":2: responders[0].token:"));
        /* the literal is not repeated back */
        CU_ASSERT_FALSE(has_err(&x, "hunter2"));
        done(&x);
}

void rsettings_suite_add(void)
{
        UNIT_SUITE("rsettings",
                   UNIT_TEST(test_defaults_and_values),
                   UNIT_TEST(test_errors_name_line_and_setting),
                   UNIT_TEST(test_required),
                   UNIT_TEST(test_secret_literal_refused));
}
