/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/conf.h"
#include "tests/unit/unit.h"

static char dir[64];

static const char *write_conf(const char *name, const char *text)
{
        static char path[128];
        FILE *f;

        if (!dir[0]) {
                strcpy(dir, "/tmp/secresp-unit-XXXXXX");
                if (!mkdtemp(dir))
                        abort();
        }
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
        return path;
}

/* Loads text expecting failure; returns the first error line (static). */
static const char *load_err(const char *text, size_t *ret_n)
{
        static char first[512];
        ConfigErrors e = { 0 };
        Config *c = NULL;
        int r = config_load(write_conf("bad.conf", text), &c, &e);

        CU_ASSERT_EQUAL(r, -EINVAL);
        CU_ASSERT_PTR_NULL(c);
        first[0] = '\0';
        if (e.n > 0)
                snprintf(first, sizeof(first), "%s", e.lines[0]);
        if (ret_n)
                *ret_n = e.n;
        config_errors_done(&e);
        return first;
}

static void test_empty_is_valid(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;

        unsetenv("STATE_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("empty.conf", ""), &c, &e), 0);
        CU_ASSERT_EQUAL(e.n, 0);
        CU_ASSERT_STRING_EQUAL(c->state_directory, LOCALSTATEDIR "/lib/secresp");
        CU_ASSERT_STRING_EQUAL(c->runtime_directory, RUNSTATEDIR "/secresp");
        CU_ASSERT_EQUAL(c->whitelist.default_expiry, 30 * 86400);
        CU_ASSERT_EQUAL(c->whitelist.sweep_interval, 60);
        CU_ASSERT_EQUAL(c->control.client_timeout, 10);
        CU_ASSERT_STRING_EQUAL(c->control.group, "secresp");
        CU_ASSERT_EQUAL(c->log_level, LOG_INFO);
        CU_ASSERT_EQUAL(c->log_target, LOG_TARGET_AUTO);
        CU_ASSERT_EQUAL(c->http.max_host_connections, 8);
        CU_ASSERT_PTR_NULL(c->http.proxy);
        char *p = config_database_path(c);
        CU_ASSERT_STRING_EQUAL(p, LOCALSTATEDIR "/lib/secresp/secresp.db");
        free(p);
        p = config_socket_path(c);
        CU_ASSERT_STRING_EQUAL(p, RUNSTATEDIR "/secresp/control.sock");
        free(p);
        config_free(c);
}

static void test_systemd_dirs(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;

        setenv("STATE_DIRECTORY", "/var/lib/a:/var/lib/b", 1);
        setenv("RUNTIME_DIRECTORY", "/run/x", 1);
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("empty.conf", ""), &c, &e), 0);
        CU_ASSERT_STRING_EQUAL(c->state_directory, "/var/lib/a");
        CU_ASSERT_STRING_EQUAL(c->runtime_directory, "/run/x");
        config_free(c);
        /* the config wins over the environment */
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("d.conf", "state_directory = \"/srv/s\";\n"), &c, &e), 0);
        CU_ASSERT_STRING_EQUAL(c->state_directory, "/srv/s");
        config_free(c);
        unsetenv("STATE_DIRECTORY");
        unsetenv("RUNTIME_DIRECTORY");
}

static void test_values(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;
        const char *text =
                "log_level = \"debug\";\nlog_target = \"stderr\";\n"
                "whitelist: { default_expiry = \"7d\"; sweep_interval = 30; };\n"
                "control: { client_timeout = \"1m30s\"; group = \"wheel\"; socket = \"/tmp/x.sock\"; };\n"
                "http: { timeout = \"2m\"; max_host_connections = 2; };\n";

        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("v.conf", text), &c, &e), 0);
        CU_ASSERT_EQUAL(c->log_level, LOG_DEBUG);
        CU_ASSERT_EQUAL(c->log_target, LOG_TARGET_STDERR);
        CU_ASSERT_EQUAL(c->whitelist.default_expiry, 7 * 86400);
        CU_ASSERT_EQUAL(c->whitelist.sweep_interval, 30);
        CU_ASSERT_EQUAL(c->control.client_timeout, 90);
        CU_ASSERT_STRING_EQUAL(c->control.group, "wheel");
        CU_ASSERT_EQUAL(c->http.timeout, 120);
        CU_ASSERT_EQUAL(c->http.max_host_connections, 2);
        char *p = config_socket_path(c);
        CU_ASSERT_STRING_EQUAL(p, "/tmp/x.sock");
        free(p);
        config_free(c);
}

static void test_errors_name_file_line_setting(void)
{
        const char *m;
        size_t n;

        m = load_err("\n\nlog_levle = \"debug\";\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.conf:3: log_levle: unknown setting; did you mean 'log_level'?"));
        m = load_err("whitelist: {\n  default_expiry = \"30x\";\n};\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, ":2: whitelist.default_expiry: invalid duration \"30x\""));
        m = load_err("whitelist: { default_expiry = \"10s\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "whitelist.default_expiry: duration \"10s\" is out of range 1m..3650d"));
        m = load_err("http: { max_host_connections = 0; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "http.max_host_connections: 0 is out of range 1..256"));
        m = load_err("http: { max_host_connections = \"4\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "expected an integer, got a string"));
        m = load_err("log_target = \"syslog\";\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "unknown value \"syslog\"; expected one of \"auto\", \"journal\", \"stderr\""));
        m = load_err("state_directory = \"relative/dir\";\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "state_directory: must be an absolute path"));
        m = load_err("control = 5;\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "control: expected a group"));
        m = load_err("control: { sockt = \"/x\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "control.sockt: unknown setting; did you mean 'control.socket'?"));
        m = load_err("frobnicate = 1;\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "frobnicate: unknown setting"));
        CU_ASSERT_PTR_NULL(strstr(m, "did you mean"));
        /* all errors are reported, not just the first */
        m = load_err("a = 1;\nb = 2;\nlog_level = \"loud\";\n", &n);
        CU_ASSERT_EQUAL(n, 3);
        m = load_err("log_level = \"debug\"\nx", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "syntax error"));
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.conf:"));
        m = load_err("http: { proxy_user = \"u\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "http.proxy_user: set without http.proxy"));
        m = load_err("http: { ca_file = \"/nonexistent/ca.pem\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "http.ca_file: cannot access"));
}

static void test_missing_file(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;
        CU_ASSERT_EQUAL(config_load("/nonexistent/secrespd.conf", &c, &e), -EINVAL);
        CU_ASSERT_EQUAL_FATAL(e.n, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.lines[0], "/nonexistent/secrespd.conf: cannot read"));
        config_errors_done(&e);
}

static void test_secret_masked(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL;
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        setenv("UNIT_PROXY_PASS", "hunter2-secret-value", 1);
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("s.conf",
                                                     "http: { proxy = \"http://127.0.0.1:3128\"; proxy_user = \"u\";"
                                                     " proxy_password = \"env:UNIT_PROXY_PASS\"; };\n"), &c, &e), 0);
        CU_ASSERT_STRING_EQUAL(c->http.proxy_password.value, "hunter2-secret-value");
        f = open_memstream(&out, &len);
        config_print(c, f);
        fclose(f);
        CU_ASSERT_PTR_NULL(strstr(out, "hunter2"));
        CU_ASSERT_PTR_NOT_NULL(strstr(out, "proxy_password = \"<secret env:UNIT_PROXY_PASS>\";"));
        free(out);
        config_free(c);

        /* the error names the reference, never a value */
        const char *m = load_err("http: { proxy = \"http://p\"; proxy_password = \"hunter2\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "http.proxy_password: a secret must be a reference"));
        CU_ASSERT_PTR_NULL(strstr(m, "hunter2"));
        m = load_err("http: { proxy = \"http://p\"; proxy_password = \"env:UNIT_UNSET_VAR\"; };\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "environment variable 'UNIT_UNSET_VAR' is not set"));
        unsetenv("UNIT_PROXY_PASS");
}

static void test_print_reparses(void)
{
        ConfigErrors e = { 0 };
        Config *c = NULL, *c2 = NULL;
        char *out = NULL;
        size_t len = 0;
        FILE *f;

        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("p.conf", "whitelist: { default_expiry = \"1d12h\"; };\n"),
                                          &c, &e), 0);
        f = open_memstream(&out, &len);
        config_print(c, f);
        fclose(f);
        /* the normalised output is itself a valid config with the same values */
        CU_ASSERT_EQUAL_FATAL(config_load(write_conf("p2.conf", out), &c2, &e), 0);
        CU_ASSERT_EQUAL(c2->whitelist.default_expiry, 129600);
        CU_ASSERT_STRING_EQUAL(c2->state_directory, c->state_directory);
        free(out);
        config_free(c);
        config_free(c2);
}

/* etc/secrespd.conf must stay valid both as shipped (all commented out)
 * and with every example setting uncommented. */
static void test_example_config(void)
{
        const char *top = getenv("top_srcdir");
        char path[512], line[1024];
        ConfigErrors e = { 0 };
        Config *c = NULL;
        char *text = NULL;
        size_t len = 0;
        FILE *in, *out;

        snprintf(path, sizeof(path), "%s/etc/secrespd.conf", top ? top : TOP_SRCDIR);
        CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &e), 0);
        config_free(c);

        in = fopen(path, "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(in);
        out = open_memstream(&text, &len);
        while (fgets(line, sizeof(line), in)) {
                char *p = line + strspn(line, " ");
                /* "#name = value;" is an example setting, "# text" prose */
                if (p[0] == '#' && p[1] >= 'a' && p[1] <= 'z' && strstr(p, " = "))
                        *p = ' ';
                fputs(line, out);
        }
        fclose(in);
        fclose(out);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, " proxy_password = \"cred:"));
        setenv("CREDENTIALS_DIRECTORY", "/nonexistent", 1);
        /* cred: cannot resolve here; everything else must be accepted */
        CU_ASSERT_EQUAL(config_load(write_conf("uncommented.conf", text), &c, &e), -EINVAL);
        CU_ASSERT_EQUAL_FATAL(e.n, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(e.lines[0], "http.proxy_password: cannot open '/nonexistent/proxy-password'"));
        config_errors_done(&e);
        unsetenv("CREDENTIALS_DIRECTORY");
        free(text);
}

/* libconfig 1.5 exits on an @include of a directory: we refuse it first */
static void test_include_checked(void)
{
        const char *m;
        char text[256];

        m = load_err("@include \".\"\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.conf:1: @include: \".\" is not a readable regular file"));
        m = load_err("\n@include \"\"\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "bad.conf:2: @include"));
        m = load_err("@include \"/etc/passwd\"\n", NULL);
        CU_ASSERT_PTR_NOT_NULL(strstr(m, "give the path relative to"));
        write_conf("inc-ok.conf", "log_level = \"debug\";\n");
        snprintf(text, sizeof(text), "@include \"inc-ok.conf\"\n");
        {
                ConfigErrors e = { 0 };
                Config *c = NULL;
                CU_ASSERT_EQUAL_FATAL(config_load(write_conf("inc.conf", text), &c, &e), 0);
                CU_ASSERT_EQUAL(c->log_level, LOG_DEBUG);
                config_free(c);
        }
}

void config_suite_add(void)
{
        UNIT_SUITE("config", UNIT_TEST(test_empty_is_valid), UNIT_TEST(test_systemd_dirs), UNIT_TEST(test_values),
                   UNIT_TEST(test_errors_name_file_line_setting), UNIT_TEST(test_missing_file),
                   UNIT_TEST(test_secret_masked), UNIT_TEST(test_print_reparses),
                   UNIT_TEST(test_example_config), UNIT_TEST(test_include_checked));
}
