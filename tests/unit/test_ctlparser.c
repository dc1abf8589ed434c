/* SPDX-License-Identifier: MIT */
/* secrespctl's pure parts: the command-line parser, the request it builds,
 * the handling of the daemon's reply frames, and both outputs. */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <cjson/cJSON.h>
#include "common/xalloc.h"
#include "ctl/output.h"
#include "ctl/parser.h"
#include "ctl/reply.h"
#include "tests/unit/unit.h"

#define ARGV_MAX 32

/* Parses the NULL-terminated words after the program name. */
static int parse_words(CtlCommand *ret, char **ret_error, ...)
{
        char *argv[ARGV_MAX] = { (char *) "secrespctl" };
        int argc = 1;
        va_list ap;

        va_start(ap, ret_error);
        for (char *w; (w = va_arg(ap, char *));) {
                if (argc >= ARGV_MAX - 1)
                        abort();
                argv[argc++] = w;
        }
        va_end(ap);
        *ret_error = NULL;
        return ctl_parse(argc, argv, ret, ret_error);
}

#define PARSE_OK(c, ...) do {                                                   \
                char *err_;                                                     \
                int r_ = parse_words((c), &err_, __VA_ARGS__, NULL);            \
                CU_ASSERT_EQUAL(r_, 0);                                         \
                if (err_)                                                       \
                        fprintf(stderr, "unexpected error: %s\n", err_);        \
                CU_ASSERT_PTR_NULL(err_);                                       \
                free(err_);                                                     \
        } while (0)

/* Expects a usage error whose message contains needle. */
#define PARSE_FAIL(needle, ...) do {                                            \
                CtlCommand c_;                                                  \
                char *err_;                                                     \
                int r_ = parse_words(&c_, &err_, __VA_ARGS__, NULL);            \
                CU_ASSERT_EQUAL(r_, -EINVAL);                                   \
                CU_ASSERT_PTR_NOT_NULL(err_);                                   \
                if (err_ && !strstr(err_, (needle)))                            \
                        fprintf(stderr, "message '%s' lacks '%s'\n", err_, (needle)); \
                CU_ASSERT(err_ && strstr(err_, (needle)));                      \
                free(err_);                                                     \
        } while (0)

#define VALID_VERBS "valid: status, whitelist, reload"
#define VALID_WL    "valid: add, remove, list"
#define VALID_KINDS "valid: user, host, account, destination"

static void test_verbs(void)
{
        CtlCommand c;

        PARSE_OK(&c, "status");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_STATUS);
        CU_ASSERT_FALSE(c.json);
        CU_ASSERT_PTR_NULL(c.socket);
        PARSE_OK(&c, "reload");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_RELOAD);

        PARSE_OK(&c, "whitelist", "add", "host", "10.0.0.5");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_ADD);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_HOST);
        CU_ASSERT_STRING_EQUAL(c.value, "10.0.0.5");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_DEFAULT);
        CU_ASSERT_PTR_NULL(c.reason);
        CU_ASSERT_FALSE(c.compat);

        PARSE_OK(&c, "whitelist", "remove", "destination", "example.com");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_REMOVE);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_DESTINATION);
        CU_ASSERT_STRING_EQUAL(c.value, "example.com");

        PARSE_OK(&c, "whitelist", "list");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_LIST);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_NONE);
        PARSE_OK(&c, "whitelist", "list", "account");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_ACCOUNT);
        PARSE_OK(&c, "whitelist", "list", "user");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
}

static void test_abbreviations(void)
{
        static const char *const status[] = { "s", "st", "sta", "stat", "statu", "status" };
        static const char *const reload[] = { "r", "re", "rel", "reload" };
        CtlCommand c;

        for (size_t i = 0; i < sizeof(status) / sizeof(status[0]); i++) {
                PARSE_OK(&c, status[i]);
                CU_ASSERT_EQUAL(c.action, CTL_ACTION_STATUS);
        }
        for (size_t i = 0; i < sizeof(reload) / sizeof(reload[0]); i++) {
                PARSE_OK(&c, reload[i]);
                CU_ASSERT_EQUAL(c.action, CTL_ACTION_RELOAD);
        }

        PARSE_OK(&c, "wh", "l");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_LIST);
        PARSE_OK(&c, "w", "li", "h");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_LIST);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_HOST);
        PARSE_OK(&c, "white", "a", "u", "alice");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_ADD);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
        CU_ASSERT_STRING_EQUAL(c.value, "alice");
        PARSE_OK(&c, "wh", "rem", "acc", "svc-backup");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_REMOVE);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_ACCOUNT);
        PARSE_OK(&c, "wh", "r", "d", "example.com");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_DESTINATION);

        /* a VALUE is taken as written, never expanded */
        PARSE_OK(&c, "wh", "a", "h", "h");
        CU_ASSERT_STRING_EQUAL(c.value, "h");
}

static void test_unknown_and_ambiguous(void)
{
        PARSE_FAIL("unknown/ambiguous verb 'x'; " VALID_VERBS, "x");
        PARSE_FAIL("unknown/ambiguous verb 'statusx'; " VALID_VERBS, "statusx");
        PARSE_FAIL("unknown/ambiguous verb 'Status'", "Status");
        /* the empty word is a prefix of every verb */
        PARSE_FAIL("unknown/ambiguous verb ''; " VALID_VERBS, "");
        PARSE_FAIL("unknown/ambiguous whitelist command 'x'; " VALID_WL, "whitelist", "x");
        PARSE_FAIL("unknown/ambiguous whitelist command 'show'; " VALID_WL, "wh", "show");
        PARSE_FAIL("unknown/ambiguous kind 'ip'; " VALID_KINDS, "wh", "add", "ip", "10.0.0.5");
        PARSE_FAIL("unknown/ambiguous kind 'x'; " VALID_KINDS, "wh", "remove", "x", "y");
        PARSE_FAIL("unknown/ambiguous kind 'hosts'; " VALID_KINDS, "wh", "list", "hosts");
        PARSE_FAIL("unknown/ambiguous kind ''; " VALID_KINDS, "wh", "list", "");
}

static void test_missing_and_extra(void)
{
        CtlCommand c;
        char *err = NULL;
        char *argv[] = { (char *) "secrespctl", NULL };

        /* no verb at all */
        CU_ASSERT_EQUAL(ctl_parse(1, argv, &c, &err), -EINVAL);
        CU_ASSERT_STRING_EQUAL(err, "missing verb; " VALID_VERBS);
        free(err);
        PARSE_FAIL("missing verb; " VALID_VERBS, "-j");

        PARSE_FAIL("missing whitelist command after 'whitelist'; " VALID_WL, "whitelist");
        PARSE_FAIL("missing kind after 'whitelist add'; " VALID_KINDS, "wh", "a");
        PARSE_FAIL("missing VALUE after 'whitelist add host'", "wh", "a", "h");
        PARSE_FAIL("missing VALUE after 'whitelist add user'", "wh", "add", "user", "--days", "3");
        PARSE_FAIL("missing kind after 'whitelist remove'; " VALID_KINDS, "wh", "rem");
        PARSE_FAIL("missing VALUE after 'whitelist remove destination'", "wh", "rem", "dest");
        PARSE_FAIL("empty VALUE after 'whitelist add host'", "wh", "a", "h", "");
        PARSE_FAIL("empty VALUE after 'whitelist remove user'", "wh", "r", "u", "");

        PARSE_FAIL("unexpected argument 'now' after 'status'", "status", "now");
        PARSE_FAIL("unexpected argument 'x' after 'reload'", "rel", "x");
        PARSE_FAIL("unexpected argument 'x' after 'whitelist list host'", "wh", "l", "h", "x");
        PARSE_FAIL("unexpected argument 'b' after 'whitelist add host a'", "wh", "a", "h", "a", "b");
        PARSE_FAIL("unexpected argument '7' after 'whitelist add host a'", "wh", "a", "h", "a", "--days", "3",
                   "7");
        PARSE_FAIL("unexpected argument 'extra' after 'whitelist remove host a'", "wh", "r", "h", "a", "extra");
}

static void test_add_options(void)
{
        CtlCommand c;

        PARSE_OK(&c, "wh", "a", "h", "10.0.0.5", "--days", "7");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_SECONDS);
        CU_ASSERT_EQUAL(c.expires_in, 7 * 86400);
        PARSE_OK(&c, "wh", "a", "h", "10.0.0.5", "--days=1");
        CU_ASSERT_EQUAL(c.expires_in, 86400);
        PARSE_OK(&c, "wh", "a", "h", "10.0.0.5", "--days", "36500");
        CU_ASSERT_EQUAL(c.expires_in, (uint64_t) 36500 * 86400);
        PARSE_OK(&c, "wh", "a", "h", "10.0.0.5", "--days", "007");
        CU_ASSERT_EQUAL(c.expires_in, 7 * 86400);

        PARSE_OK(&c, "wh", "a", "d", "example.com", "--expires", "1h30m");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_SECONDS);
        CU_ASSERT_EQUAL(c.expires_in, 5400);
        PARSE_OK(&c, "wh", "a", "d", "example.com", "--expires=30s");
        CU_ASSERT_EQUAL(c.expires_in, 30);
        PARSE_OK(&c, "wh", "a", "d", "example.com", "--expires", "90");
        CU_ASSERT_EQUAL(c.expires_in, 90);
        PARSE_OK(&c, "wh", "a", "d", "example.com", "--expires", "30d");
        CU_ASSERT_EQUAL(c.expires_in, 30 * 86400);

        PARSE_OK(&c, "wh", "a", "u", "alice", "--permanent");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_PERMANENT);
        PARSE_OK(&c, "wh", "a", "u", "alice", "--reason", "on call");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_DEFAULT);
        CU_ASSERT_STRING_EQUAL(c.reason, "on call");
        PARSE_OK(&c, "wh", "a", "u", "alice", "--reason=--odd");
        CU_ASSERT_STRING_EQUAL(c.reason, "--odd");
        /* an option's argument is taken even when it looks like an option */
        PARSE_OK(&c, "wh", "a", "u", "alice", "--reason", "-j");
        CU_ASSERT_STRING_EQUAL(c.reason, "-j");
        CU_ASSERT_FALSE(c.json);

        /* any order after VALUE, and before it too */
        PARSE_OK(&c, "wh", "a", "h", "10.0.0.5", "--reason", "scanner", "--days", "3");
        CU_ASSERT_EQUAL(c.expires_in, 3 * 86400);
        CU_ASSERT_STRING_EQUAL(c.reason, "scanner");
        PARSE_OK(&c, "wh", "a", "--permanent", "h", "--reason", "x", "10.0.0.5");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_PERMANENT);
        CU_ASSERT_STRING_EQUAL(c.value, "10.0.0.5");
        CU_ASSERT_STRING_EQUAL(c.reason, "x");

        /* long options abbreviate like getopt_long's */
        PARSE_OK(&c, "wh", "a", "h", "x", "--perm");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_PERMANENT);
        PARSE_OK(&c, "wh", "a", "h", "x", "--d", "2", "--r", "why");
        CU_ASSERT_EQUAL(c.expires_in, 2 * 86400);
        CU_ASSERT_STRING_EQUAL(c.reason, "why");
        PARSE_OK(&c, "wh", "a", "h", "x", "--exp=4h");
        CU_ASSERT_EQUAL(c.expires_in, 4 * 3600);

        /* "--" ends the options: values may start with '-' */
        PARSE_OK(&c, "wh", "a", "u", "--days", "2", "--", "-weird");
        CU_ASSERT_STRING_EQUAL(c.value, "-weird");
        CU_ASSERT_EQUAL(c.expires_in, 2 * 86400);
        PARSE_OK(&c, "wh", "r", "u", "-");
        CU_ASSERT_STRING_EQUAL(c.value, "-");
}

static void test_days_validation(void)
{
        static const char *const bad[] = {
                "0", "00", "-1", "", "abc", "3x", "3d", " 3", "3 ", "+3", "0x10", "1.5", "36501",
                "99999999999999999999999",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *needle = xasprintf("--days needs a whole number of days from 1 to 36500, not '%s'", bad[i]);
                PARSE_FAIL(needle, "wh", "a", "h", "x", "--days", bad[i]);
                free(needle);
        }
        PARSE_FAIL("option '--days' needs an argument: N", "wh", "a", "h", "x", "--days");
}

static void test_expires_validation(void)
{
        static const char *const bad[] = { "", "x", "1x", "30m1h", "1h 1h", "-5m", "1.5h", "d" };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *needle = xasprintf("--expires needs a duration such as 30s, 10m, 4h, 30d or 1h30m, not '%s'",
                                         bad[i]);
                PARSE_FAIL(needle, "wh", "a", "h", "x", "--expires", bad[i]);
                free(needle);
        }
        PARSE_FAIL("--expires must be longer than 0s", "wh", "a", "h", "x", "--expires", "0s");
        PARSE_FAIL("--expires must be longer than 0s", "wh", "a", "h", "x", "--expires", "0");
        PARSE_FAIL("--expires '40000d' is too long", "wh", "a", "h", "x", "--expires", "40000d");
        PARSE_FAIL("option '--expires' needs an argument: DURATION", "wh", "a", "h", "x", "--expires");
}

static void test_option_conflicts(void)
{
        PARSE_FAIL("--days and --permanent are mutually exclusive", "wh", "a", "h", "x", "--days", "3",
                   "--permanent");
        PARSE_FAIL("--permanent and --days are mutually exclusive", "wh", "a", "h", "x", "--permanent",
                   "--days", "3");
        PARSE_FAIL("--days and --expires are mutually exclusive", "wh", "a", "h", "x", "--days", "3",
                   "--expires", "4h");
        PARSE_FAIL("--expires and --permanent are mutually exclusive", "wh", "a", "h", "x", "--expires", "4h",
                   "--perm");
        PARSE_FAIL("--days given twice", "wh", "a", "h", "x", "--days", "3", "--days", "3");
        PARSE_FAIL("--permanent given twice", "wh", "a", "h", "x", "--permanent", "--permanent");
        PARSE_FAIL("--reason given twice", "wh", "a", "h", "x", "--reason", "a", "--reason", "b");
        PARSE_FAIL("--reason needs a non-empty TEXT", "wh", "a", "h", "x", "--reason", "");
        PARSE_FAIL("option '--permanent' takes no argument", "wh", "a", "h", "x", "--permanent=yes");
        PARSE_FAIL("option '--json' takes no argument", "--json=1", "status");

        /* add's options belong to add */
        PARSE_FAIL("unknown option '--days'", "wh", "r", "h", "x", "--days", "3");
        PARSE_FAIL("unknown option '--permanent'", "status", "--permanent");
        PARSE_FAIL("unknown option '--reason'", "wh", "l", "--reason", "x");
        PARSE_FAIL("unknown option '--days'", "--days", "3", "wh", "a", "h", "x");
        PARSE_FAIL("unknown option '--bogus'; valid after 'whitelist add host x': --days N, --expires DURATION, "
                   "--permanent, --reason TEXT", "wh", "a", "h", "x", "--bogus");
        PARSE_FAIL("unknown option '-x'", "-x", "status");
        PARSE_FAIL("unknown option '--frobnicate'", "--frobnicate=3", "status");
        /* "--" alone ends options; "--=x" has an empty name, a prefix of all */
        PARSE_FAIL("ambiguous option '--'", "--=x", "status");
}

static void test_compat(void)
{
        CtlCommand c;

        PARSE_OK(&c, "whitelist", "--user", "alice");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_ADD);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
        CU_ASSERT_STRING_EQUAL(c.value, "alice");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_DEFAULT);
        CU_ASSERT_TRUE(c.compat);
        PARSE_OK(&c, "whitelist", "-u", "bob");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_WHITELIST_ADD);
        CU_ASSERT_STRING_EQUAL(c.value, "bob");
        PARSE_OK(&c, "whitelist", "-ucarol");
        CU_ASSERT_STRING_EQUAL(c.value, "carol");
        PARSE_OK(&c, "whitelist", "--username", "dave");
        CU_ASSERT_STRING_EQUAL(c.value, "dave");
        PARSE_OK(&c, "whitelist", "--username=erin");
        CU_ASSERT_STRING_EQUAL(c.value, "erin");
        /* the original tool's getopt took unique prefixes */
        PARSE_OK(&c, "whitelist", "--us", "frank");
        CU_ASSERT_STRING_EQUAL(c.value, "frank");
        PARSE_OK(&c, "whitelist", "--usern", "grace");
        CU_ASSERT_STRING_EQUAL(c.value, "grace");
        PARSE_OK(&c, "wh", "-u", "heidi", "--json", "-s", "/tmp/s");
        CU_ASSERT_STRING_EQUAL(c.value, "heidi");
        CU_ASSERT_TRUE(c.json);
        CU_ASSERT_STRING_EQUAL(c.socket, "/tmp/s");
        PARSE_OK(&c, "wh", "--user", "ivan", "--days", "7", "--reason", "travel");
        CU_ASSERT_EQUAL(c.expires_in, 7 * 86400);
        CU_ASSERT_STRING_EQUAL(c.reason, "travel");
        CU_ASSERT_TRUE(c.compat);

        PARSE_FAIL("option '--user' needs an argument: NAME", "whitelist", "--user");
        PARSE_FAIL("option '--username' needs an argument: NAME", "whitelist", "--username");
        PARSE_FAIL("option '-u' needs an argument: NAME", "whitelist", "-u");
        PARSE_FAIL("--user needs a non-empty NAME", "whitelist", "-u", "");
        PARSE_FAIL("unexpected argument 'bob' after 'whitelist --user alice'", "whitelist", "-u", "alice", "bob");
        PARSE_FAIL("unknown option '--user'", "whitelist", "-u", "alice", "--user", "bob");
        PARSE_FAIL("unknown option '-u'", "whitelist", "add", "user", "-u", "bob");
        PARSE_FAIL("unknown option '--user'", "--user", "alice");
        PARSE_FAIL("unknown option '-u'", "status", "-u", "alice");
}

static void test_global_options(void)
{
        CtlCommand c;

        PARSE_OK(&c, "-s", "/run/x.sock", "status");
        CU_ASSERT_STRING_EQUAL(c.socket, "/run/x.sock");
        PARSE_OK(&c, "-s/run/y.sock", "status");
        CU_ASSERT_STRING_EQUAL(c.socket, "/run/y.sock");
        PARSE_OK(&c, "--socket=/run/z.sock", "status");
        CU_ASSERT_STRING_EQUAL(c.socket, "/run/z.sock");
        PARSE_OK(&c, "--socket", "/a", "-s", "/b", "status");
        CU_ASSERT_STRING_EQUAL(c.socket, "/b");
        PARSE_OK(&c, "-j", "status");
        CU_ASSERT_TRUE(c.json);
        PARSE_OK(&c, "--json", "wh", "l");
        CU_ASSERT_TRUE(c.json);
        PARSE_OK(&c, "--js", "status");
        CU_ASSERT_TRUE(c.json);
        PARSE_OK(&c, "-js", "/run/c.sock", "status");
        CU_ASSERT_TRUE(c.json);
        CU_ASSERT_STRING_EQUAL(c.socket, "/run/c.sock");
        /* after the verb too */
        PARSE_OK(&c, "status", "--json");
        CU_ASSERT_TRUE(c.json);
        PARSE_OK(&c, "wh", "l", "host", "-j", "-s", "/s");
        CU_ASSERT_TRUE(c.json);
        CU_ASSERT_STRING_EQUAL(c.socket, "/s");
        PARSE_OK(&c, "wh", "a", "h", "x", "--json", "--days", "2");
        CU_ASSERT_TRUE(c.json);

        PARSE_FAIL("option '-s' needs an argument: SOCKET", "status", "-s");
        PARSE_FAIL("option '--socket' needs an argument: SOCKET", "status", "--socket");
        PARSE_FAIL("--socket needs a non-empty path", "-s", "", "status");

        /* help and version win over what is missing or wrong after them */
        PARSE_OK(&c, "-h");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_HELP);
        PARSE_OK(&c, "--help", "bogus");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_HELP);
        PARSE_OK(&c, "wh", "a", "--help");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_HELP);
        PARSE_OK(&c, "-jh");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_HELP);
        PARSE_OK(&c, "--version");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_VERSION);
        PARSE_OK(&c, "--vers", "status");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_VERSION);
        /* but an error before them stands */
        PARSE_FAIL("unknown/ambiguous verb 'bogus'", "bogus", "--help");
}

static void test_outputs_untouched_on_error(void)
{
        CtlCommand c = { .action = CTL_ACTION_RELOAD, .value = "keep" };
        char *err = (char *) "sentinel";
        char *argv[] = { (char *) "secrespctl", (char *) "status", NULL };

        CU_ASSERT_EQUAL(parse_words(&c, &err, "bogus", NULL), -EINVAL);
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_RELOAD);
        CU_ASSERT_STRING_EQUAL(c.value, "keep");
        free(err);
        err = (char *) "sentinel";
        CU_ASSERT_EQUAL(ctl_parse(2, argv, &c, &err), 0);
        CU_ASSERT_STRING_EQUAL(err, "sentinel");
        /* reterr may be NULL when the caller does not want the message */
        CU_ASSERT_EQUAL(ctl_parse(1, argv, &c, NULL), -EINVAL);
}

static void assert_request(const char *expected, ...)
{
        char *argv[ARGV_MAX] = { (char *) "secrespctl" };
        int argc = 1;
        CtlCommand c;
        cJSON *req;
        char *json;
        va_list ap;

        va_start(ap, expected);
        for (char *w; (w = va_arg(ap, char *));)
                argv[argc++] = w;
        va_end(ap);
        CU_ASSERT_EQUAL_FATAL(ctl_parse(argc, argv, &c, NULL), 0);
        req = ctl_command_to_request(&c, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(req);
        json = cJSON_PrintUnformatted(req);
        if (strcmp(json, expected) != 0)
                fprintf(stderr, "request %s, expected %s\n", json, expected);
        CU_ASSERT_STRING_EQUAL(json, expected);
        free(json);
        cJSON_Delete(req);
}

static void test_requests(void)
{
        CtlCommand help = { .action = CTL_ACTION_HELP };

        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"status\",\"args\":{}}", "st", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"reload\",\"args\":{}}", "reload", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.add\",\"args\":{\"kind\":\"host\","
                       "\"value\":\"10.0.0.5\"}}", "wh", "a", "h", "10.0.0.5", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.add\",\"args\":{\"kind\":\"destination\","
                       "\"value\":\"Example.COM\",\"expires_in\":2592000,\"reason\":\"CDN\"}}",
                       "wh", "a", "d", "Example.COM", "--reason", "CDN", "--days", "30", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.add\",\"args\":{\"kind\":\"account\","
                       "\"value\":\"svc\",\"expires_in\":5400}}", "wh", "a", "a", "svc", "--expires", "1h30m", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.add\",\"args\":{\"kind\":\"user\","
                       "\"value\":\"alice\",\"permanent\":true}}", "wh", "a", "u", "alice", "--permanent", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.add\",\"args\":{\"kind\":\"user\","
                       "\"value\":\"alice\"}}", "whitelist", "--user", "alice", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.remove\",\"args\":{\"kind\":\"host\","
                       "\"value\":\"10.0.0.0/8\"}}", "wh", "rem", "h", "10.0.0.0/8", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.list\",\"args\":{}}", "wh", "l", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"whitelist.list\",\"args\":{\"kind\":\"destination\"}}",
                       "wh", "l", "dest", NULL);
        CU_ASSERT_PTR_NULL(ctl_command_to_request(&help, 1));

        CU_ASSERT_TRUE(ctl_action_is_list(CTL_ACTION_WHITELIST_LIST));
        CU_ASSERT_FALSE(ctl_action_is_list(CTL_ACTION_STATUS));
        CU_ASSERT_PTR_NULL(ctl_action_to_cmd(CTL_ACTION_VERSION));
}

static void test_kinds_and_socket(void)
{
        CU_ASSERT_STRING_EQUAL(ctl_kind_to_string(CTL_KIND_DESTINATION), "destination");
        CU_ASSERT_PTR_NULL(ctl_kind_to_string(CTL_KIND_NONE));
        CU_ASSERT_PTR_NULL(ctl_kind_to_string(_CTL_KIND_MAX));
        CU_ASSERT_EQUAL(ctl_kind_from_string("host"), CTL_KIND_HOST);
        CU_ASSERT_EQUAL(ctl_kind_from_string("hos"), _CTL_KIND_INVALID);
        CU_ASSERT_EQUAL(ctl_kind_from_string(NULL), _CTL_KIND_INVALID);

        CU_ASSERT_STRING_EQUAL(ctl_socket_path("/a", "/b"), "/a");
        CU_ASSERT_STRING_EQUAL(ctl_socket_path(NULL, "/b"), "/b");
        CU_ASSERT_STRING_EQUAL(ctl_socket_path(NULL, ""), "/run/secresp/control.sock");
        CU_ASSERT_STRING_EQUAL(ctl_socket_path(NULL, NULL), "/run/secresp/control.sock");
        CU_ASSERT_PTR_NOT_NULL(strstr(ctl_usage(), "whitelist --user NAME"));
}

/* ---- reply frames ---- */

static int feed(CtlExchange *x, const char *frame, const char **reason)
{
        return ctl_exchange_feed(x, frame, strlen(frame), reason);
}

static void test_reply_single(void)
{
        const char *reason = NULL;
        CtlExchange x;
        char *s;

        ctl_exchange_init(&x, 1, false);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true,\"data\":{\"removed\":1}}", &reason), 1);
        CU_ASSERT_TRUE(x.done);
        CU_ASSERT_TRUE(x.ok);
        s = cJSON_PrintUnformatted(x.data);
        CU_ASSERT_STRING_EQUAL(s, "{\"removed\":1}");
        free(s);
        /* nothing may follow the final reply */
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true}", &reason), -EBADMSG);
        ctl_exchange_done(&x);

        ctl_exchange_init(&x, 1, false);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true}", &reason), 1);
        CU_ASSERT_TRUE(cJSON_IsObject(x.data));
        ctl_exchange_done(&x);

        /* replies to other requests are skipped */
        ctl_exchange_init(&x, 1, false);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":7,\"ok\":true,\"data\":{}}", &reason), 0);
        CU_ASSERT_FALSE(x.done);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"invalid-argument\","
                             "\"message\":\"invalid host 'x'\"}}", &reason), 1);
        CU_ASSERT_FALSE(x.ok);
        CU_ASSERT_STRING_EQUAL(x.error_code, "invalid-argument");
        CU_ASSERT_STRING_EQUAL(x.error_message, "invalid host 'x'");
        CU_ASSERT_PTR_NULL(x.data);
        ctl_exchange_done(&x);

        /* a request the daemon could not read is answered with id 0 */
        ctl_exchange_init(&x, 1, false);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":0,\"ok\":false,\"error\":{\"code\":\"bad-version\","
                             "\"message\":\"unsupported\"}}", &reason), 1);
        CU_ASSERT_STRING_EQUAL(x.error_code, "bad-version");
        ctl_exchange_done(&x);
        ctl_exchange_init(&x, 1, false);
        CU_ASSERT_EQUAL(feed(&x, "{\"ok\":false}", &reason), 1);
        CU_ASSERT_STRING_EQUAL(x.error_code, "unknown");
        CU_ASSERT_STRING_EQUAL(x.error_message, "secrespd refused the request");
        ctl_exchange_done(&x);
}

static void test_reply_garbage(void)
{
        static const char *const bad[] = {
                "hello", "[1,2]", "\"str\"", "{\"id\":\"1\",\"ok\":true}", "{\"ok\":true}",
                "{\"id\":1}", "{\"id\":1,\"ok\":\"yes\"}", "{\"id\":1,\"item\":{}}", "{\"id\":1,\"ok\":1}",
        };
        const char *reason;
        CtlExchange x;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ctl_exchange_init(&x, 1, false);
                reason = NULL;
                CU_ASSERT_EQUAL(feed(&x, bad[i], &reason), -EBADMSG);
                CU_ASSERT_PTR_NOT_NULL(reason);
                CU_ASSERT_FALSE(x.done);
                ctl_exchange_done(&x);
        }
        ctl_exchange_init(&x, 1, false);
        CU_ASSERT_EQUAL(ctl_exchange_feed(&x, "{\"id\":1,\"ok\":true}", 5, NULL), -EBADMSG);
        ctl_exchange_done(&x);
}

static void test_reply_list(void)
{
        const char *reason = NULL;
        CtlExchange x;
        char *s;

        ctl_exchange_init(&x, 1, true);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"item\":{\"kind\":\"host\",\"value\":\"a\"}}", &reason), 0);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":2,\"item\":{\"kind\":\"host\",\"value\":\"other\"}}", &reason), 0);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"item\":{\"kind\":\"user\",\"value\":\"b\"}}", &reason), 0);
        CU_ASSERT_FALSE(x.done);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true,\"end\":true,\"count\":2}", &reason), 1);
        CU_ASSERT_TRUE(x.ok);
        s = cJSON_PrintUnformatted(x.data);
        CU_ASSERT_STRING_EQUAL(s, "[{\"kind\":\"host\",\"value\":\"a\"},{\"kind\":\"user\",\"value\":\"b\"}]");
        free(s);
        ctl_exchange_done(&x);

        ctl_exchange_init(&x, 1, true);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}", &reason), 1);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(x.data), 0);
        ctl_exchange_done(&x);

        /* a failure after some items drops them */
        ctl_exchange_init(&x, 1, true);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"item\":{\"kind\":\"host\"}}", &reason), 0);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"internal-error\","
                             "\"message\":\"database error\"}}", &reason), 1);
        CU_ASSERT_FALSE(x.ok);
        CU_ASSERT_PTR_NULL(x.data);
        ctl_exchange_done(&x);

        /* the whole list in one reply is accepted */
        ctl_exchange_init(&x, 1, true);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true,\"data\":[{\"kind\":\"host\"}]}", &reason), 1);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(x.data), 1);
        ctl_exchange_done(&x);

        ctl_exchange_init(&x, 1, true);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"ok\":true,\"data\":{}}", &reason), -EBADMSG);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"item\":[1]}", &reason), -EBADMSG);
        CU_ASSERT_EQUAL(feed(&x, "{\"id\":1,\"item\":\"x\"}", &reason), -EBADMSG);
        ctl_exchange_done(&x);
}

/* ---- outputs ---- */

#define NOW ((time_t) 1795000000)       /* 2026-11-18 11:06:40 UTC */

typedef struct Capture {
        char *out, *err;
        size_t out_len, err_len;
        OutputCtx ctx;
} Capture;

static void capture_begin(Capture *c)
{
        *c = (Capture) { 0 };
        c->ctx.out = open_memstream(&c->out, &c->out_len);
        c->ctx.err = open_memstream(&c->err, &c->err_len);
        c->ctx.now = NOW;
        if (!c->ctx.out || !c->ctx.err)
                abort();
}

static void capture_end(Capture *c)
{
        fclose(c->ctx.out);
        fclose(c->ctx.err);
}

static void capture_done(Capture *c)
{
        free(c->out);
        free(c->err);
}

/* Runs output_reply for the command line and one reply frame (or a list
 * of item frames ending in a final one); returns the exit status. */
static int show(Capture *cap, const Output *out, const char *line, const char *const *frames)
{
        char *argv[ARGV_MAX] = { (char *) "secrespctl" }, *copy = xstrdup(line), *save = NULL;
        const char *reason = NULL;
        int argc = 1, status;
        CtlExchange x;
        CtlCommand c;

        for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                argv[argc++] = w;
        CU_ASSERT_EQUAL_FATAL(ctl_parse(argc, argv, &c, NULL), 0);
        ctl_exchange_init(&x, 1, ctl_action_is_list(c.action));
        for (size_t i = 0; frames[i]; i++)
                CU_ASSERT_EQUAL(feed(&x, frames[i], &reason), frames[i + 1] ? 0 : 1);
        capture_begin(cap);
        status = output_reply(out, &cap->ctx, &c, &x);
        capture_end(cap);
        ctl_exchange_done(&x);
        free(copy);
        return status;
}

#define FRAMES(...) ((const char *const[]) { __VA_ARGS__, NULL })

#define ASSERT_STR(actual, expected) do {                                       \
                if (strcmp((actual), (expected)) != 0)                          \
                        fprintf(stderr, "got:\n%s\nexpected:\n%s\n", (actual), (expected)); \
                CU_ASSERT_STRING_EQUAL((actual), (expected));                   \
        } while (0)

static void test_format_helpers(void)
{
        char b[OUTPUT_SPAN_MAX], t[OUTPUT_TIME_MAX];
        char *s;

        ASSERT_STR(output_format_span(0, false, b), "0s");
        ASSERT_STR(output_format_span(59, false, b), "59s");
        ASSERT_STR(output_format_span(60, false, b), "1m");
        ASSERT_STR(output_format_span(61, false, b), "1m1s");
        ASSERT_STR(output_format_span(3599, false, b), "59m59s");
        ASSERT_STR(output_format_span(3600, false, b), "1h");
        ASSERT_STR(output_format_span(3725, false, b), "1h2m");
        ASSERT_STR(output_format_span(86399, false, b), "23h59m");
        ASSERT_STR(output_format_span(86399, true, b), "1d");
        ASSERT_STR(output_format_span(90061, false, b), "1d1h");
        ASSERT_STR(output_format_span(30 * 86400 - 1, false, b), "29d23h");
        ASSERT_STR(output_format_span(30 * 86400 - 60, false, b), "29d23h");
        ASSERT_STR(output_format_span(30 * 86400 - 1, true, b), "30d");
        ASSERT_STR(output_format_span(30 * 86400 - 1900, true, b), "29d23h");
        ASSERT_STR(output_format_span(89, true, b), "1m29s");
        ASSERT_STR(output_format_span(3629, true, b), "1h");
        ASSERT_STR(output_format_span(3630, true, b), "1h1m");
        ASSERT_STR(output_format_span(UINT64_C(36500) * 86400, false, b), "36500d");

        ASSERT_STR(output_format_time(0, t), "1970-01-01 00:00:00 UTC");
        ASSERT_STR(output_format_time(NOW, t), "2026-11-18 11:06:40 UTC");

        s = output_sanitize("alice\x1b[31m\r\n\t\x7f");
        ASSERT_STR(s, "alice?[31m????");
        free(s);
        s = output_sanitize("a\xc2\x9b" "b \xc3\xa9t\xc3\xa9 \xc2\xa0");
        ASSERT_STR(s, "a?b \xc3\xa9t\xc3\xa9 \xc2\xa0");
        free(s);
}

static void test_output_add(void)
{
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh a h 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"entry\":{\"kind\":\"host\",\"value\":\"10.0.0.5\","
                "\"created_at\":1795000000,\"expires_at\":1797592000,\"reason\":null,\"created_by\":\"root\"},"
                "\"updated\":false}}")), 0);
        ASSERT_STR(c.out, "whitelisted host 10.0.0.5 until 2026-12-18 11:06:40 UTC (30d)\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        /* a second passed between the daemon's clock and ours */
        CU_ASSERT_EQUAL(show(&c, &output_table, "wh a h 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"entry\":{\"kind\":\"host\",\"value\":\"10.0.0.5\","
                "\"expires_at\":1797591999},\"updated\":true}}")), 0);
        ASSERT_STR(c.out, "whitelisted host 10.0.0.5 until 2026-12-18 11:06:39 UTC (30d); "
                   "updated the expiry of the existing entry\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh a d Example.COM --expires 90", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"entry\":{\"kind\":\"destination\",\"value\":\"example.com\","
                "\"expires_at\":1795000089},\"updated\":false}}")), 0);
        ASSERT_STR(c.out, "whitelisted destination example.com until 2026-11-18 11:08:09 UTC (1m30s)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh -u alice", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"entry\":{\"kind\":\"user\",\"value\":\"alice\","
                "\"expires_at\":null},\"updated\":false}}")), 0);
        ASSERT_STR(c.out, "whitelisted user alice permanently\n");
        capture_done(&c);

        /* a daemon default of 7 days rather than 30 */
        CU_ASSERT_EQUAL(show(&c, &output_table, "wh a a svc", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"entry\":{\"kind\":\"account\",\"value\":\"svc\","
                "\"expires_at\":1795604799}}}")), 0);
        ASSERT_STR(c.out, "whitelisted account svc until 2026-11-25 11:06:39 UTC (7d)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "wh a h 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"entry\":{\"kind\":\"host\"},\"updated\":false}}")), 0);
        ASSERT_STR(c.out, "{\"entry\":{\"kind\":\"host\"},\"updated\":false}\n");
        capture_done(&c);
}

static void test_output_remove(void)
{
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh rem h 10.0.0.5",
                             FRAMES("{\"id\":1,\"ok\":true,\"data\":{\"removed\":1}}")), 0);
        ASSERT_STR(c.out, "removed host 10.0.0.5 from the whitelist\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh rem h 10.0.0.6",
                             FRAMES("{\"id\":1,\"ok\":true,\"data\":{\"removed\":0}}")), 1);
        ASSERT_STR(c.out, "");
        ASSERT_STR(c.err, "secrespctl: host 10.0.0.6 is not whitelisted\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "wh rem h 10.0.0.6",
                             FRAMES("{\"id\":1,\"ok\":true,\"data\":{\"removed\":0}}")), 1);
        ASSERT_STR(c.out, "{\"removed\":0}\n");
        capture_done(&c);
}

static const char *const list_frames[] = {
        "{\"id\":1,\"item\":{\"kind\":\"host\",\"value\":\"10.0.0.0/8\",\"created_at\":1794999000,"
        "\"expires_at\":1797591940,\"reason\":\"scanner\",\"created_by\":\"alice\"}}",
        "{\"id\":1,\"item\":{\"kind\":\"user\",\"value\":\"b\\u001b[2J\",\"created_at\":1794999000,"
        "\"expires_at\":null,\"reason\":null,\"created_by\":\"root\"}}",
        "{\"id\":1,\"item\":{\"kind\":\"destination\",\"value\":\"example.com\",\"created_at\":1,"
        "\"expires_at\":1794999999,\"reason\":\"\\u00e9t\\u00e9\",\"created_by\":\"root\"}}",
        "{\"id\":1,\"ok\":true,\"end\":true,\"count\":3}",
        NULL,
};

static void test_output_list(void)
{
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh l", list_frames), 0);
        ASSERT_STR(c.out,
                   "KIND         VALUE        EXPIRES                              CREATED-BY  REASON\n"
                   "host         10.0.0.0/8   2026-12-18 11:05:40 UTC (in 29d23h)  alice       scanner\n"
                   "user         b?[2J        permanent                            root\n"
                   "destination  example.com  2026-11-18 11:06:39 UTC (expired)    root        \xc3\xa9t\xc3\xa9\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh l h", FRAMES("{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}")),
                        0);
        ASSERT_STR(c.out, "no entries\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "wh l", list_frames), 0);
        ASSERT_STR(c.out,
                   "[{\"kind\":\"host\",\"value\":\"10.0.0.0/8\",\"created_at\":1794999000,\"expires_at\":1797591940,"
                   "\"reason\":\"scanner\",\"created_by\":\"alice\"},"
                   "{\"kind\":\"user\",\"value\":\"b\\u001b[2J\",\"created_at\":1794999000,\"expires_at\":null,"
                   "\"reason\":null,\"created_by\":\"root\"},"
                   "{\"kind\":\"destination\",\"value\":\"example.com\",\"created_at\":1,\"expires_at\":1794999999,"
                   "\"reason\":\"\xc3\xa9t\xc3\xa9\",\"created_by\":\"root\"}]\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "wh l", FRAMES("{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}")), 0);
        ASSERT_STR(c.out, "[]\n");
        capture_done(&c);
}

/* Enough rows to grow the table several times; every row is aligned. */
static void test_output_list_many(void)
{
        enum { N = 300 };
        char *frames[N + 2];
        size_t lines = 0;
        Capture c;

        for (int i = 0; i < N; i++)
                frames[i] = xasprintf("{\"id\":1,\"item\":{\"kind\":\"host\",\"value\":\"10.0.%d.%d\","
                                      "\"expires_at\":null,\"created_by\":\"root\"}}", i / 256, i % 256);
        frames[N] = xasprintf("{\"id\":1,\"ok\":true,\"end\":true,\"count\":%d}", N);
        frames[N + 1] = NULL;
        CU_ASSERT_EQUAL(show(&c, &output_table, "wh l", (const char *const *) frames), 0);
        for (const char *p = c.out; (p = strchr(p, '\n')); p++)
                lines++;
        CU_ASSERT_EQUAL(lines, N + 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(c.out, "\nhost  10.0.0.0    permanent  root\n"));
        CU_ASSERT_PTR_NOT_NULL(strstr(c.out, "\nhost  10.0.1.43   permanent  root\n"));
        capture_done(&c);
        for (int i = 0; i <= N; i++)
                free(frames[i]);
}

static const char *const status_frame =
        "{\"id\":1,\"ok\":true,\"data\":{\"version\":\"0.1.0\",\"pid\":4242,\"started_at\":1794996400,"
        "\"uptime\":3600,\"config\":\"/etc/secresp/secrespd.conf\",\"database\":\"/var/lib/secresp/secresp.db\","
        "\"schema_version\":1,\"socket\":\"/run/secresp/control.sock\","
        "\"last_reload\":null,\"last_reload_error\":null,"
        "\"whitelist\":{\"total\":3,\"user\":1,\"host\":2,\"account\":0,\"destination\":0},"
        "\"blocks\":{\"blocking\":0,\"blocked\":2,\"unblocking\":0,\"unblocked\":1,\"failed\":0},"
        "\"sources\":[],\"responders\":[]}}";

static void test_output_status(void)
{
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "status", FRAMES(status_frame)), 0);
        ASSERT_STR(c.out,
                   "version:         0.1.0\n"
                   "pid:             4242\n"
                   "started:         2026-11-18 10:06:40 UTC (1h ago)\n"
                   "uptime:          1h\n"
                   "config:          /etc/secresp/secrespd.conf\n"
                   "database:        /var/lib/secresp/secresp.db\n"
                   "schema version:  1\n"
                   "socket:          /run/secresp/control.sock\n"
                   "whitelist:       3 (user 1, host 2, account 0, destination 0)\n"
                   "blocks:          blocking 0, blocked 2, unblocking 0, unblocked 1, failed 0\n"
                   "last reload:     never\n"
                   "\n"
                   "no sources configured\n"
                   "\n"
                   "no responders configured\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        /* rows, and fields this client does not know yet */
        CU_ASSERT_EQUAL(show(&c, &output_table, "status", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"version\":\"0.2.0\",\"last_reload\":1794999940,"
                "\"last_reload_error\":\"/etc/secresp/secrespd.conf:3: foo: unknown setting\","
                "\"sources\":[{\"name\":\"vectra\",\"kind\":\"vectra\",\"state\":\"idle\",\"last_run\":1794999700,"
                "\"next_run\":1795000240,\"last_result\":\"ok\",\"batch_size\":50}],"
                "\"responders\":[{\"name\":\"fw1\",\"kind\":\"fortigate\",\"last_success\":null,"
                "\"last_error\":\"HTTP 503\",\"pending\":2}],"
                "\"mode\":\"dry-run\",\"next_sweep\":1795000600,\"queue\":{\"depth\":4},\"tags\":[],"
                "\"relays\":[{\"name\":\"graph\",\"up\":true,\"checked_at\":1794999999}]}}")), 0);
        ASSERT_STR(c.out,
                   "version:            0.2.0\n"
                   "last reload:        2026-11-18 11:05:40 UTC (1m ago)\n"
                   "last reload error:  /etc/secresp/secrespd.conf:3: foo: unknown setting\n"
                   "mode:               dry-run\n"
                   "next sweep:         2026-11-18 11:16:40 UTC (in 10m)\n"
                   "queue:              depth 4\n"
                   "tags:               none\n"
                   "\n"
                   "sources:\n"
                   "  NAME    KIND    STATE  LAST RUN  NEXT RUN  LAST RESULT  BATCH SIZE\n"
                   "  vectra  vectra  idle   5m ago    in 4m     ok           50\n"
                   "\n"
                   "responders:\n"
                   "  NAME  KIND       PENDING  LAST SUCCESS  LAST ERROR\n"
                   "  fw1   fortigate  2        -             HTTP 503\n"
                   "\n"
                   "relays:\n"
                   "  NAME   UP   CHECKED AT\n"
                   "  graph  yes  1s ago\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "status", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"version\":\"0.1.0\",\"sources\":[]}}")), 0);
        ASSERT_STR(c.out, "{\"version\":\"0.1.0\",\"sources\":[]}\n");
        capture_done(&c);
}

static void test_output_errors(void)
{
        static const char *const refused =
                "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"invalid-argument\",\"message\":\"invalid host 'x'\"}}";
        static const char *const rejected =
                "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"config-rejected\",\"message\":"
                "\"a.conf:3: foo: unknown setting\\na.conf:9: bar: wrong type\\n\"}}";
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "wh a h x", FRAMES(refused)), 1);
        ASSERT_STR(c.out, "");
        ASSERT_STR(c.err, "secrespctl: invalid host 'x' (invalid-argument)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "wh a h x", FRAMES(refused)), 1);
        ASSERT_STR(c.out, "{\"error\":{\"code\":\"invalid-argument\",\"message\":\"invalid host 'x'\"}}\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "reload", FRAMES(rejected)), 1);
        ASSERT_STR(c.err, "secrespctl: a.conf:3: foo: unknown setting\n"
                   "secrespctl: a.conf:9: bar: wrong type (config-rejected)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "reload", FRAMES("{\"id\":1,\"ok\":true,\"data\":{}}")), 0);
        ASSERT_STR(c.out, "secrespd reloaded its configuration\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_json, "reload", FRAMES("{\"id\":1,\"ok\":true,\"data\":{}}")), 0);
        ASSERT_STR(c.out, "{}\n");
        capture_done(&c);

        /* the daemon unreachable: text on stderr only, in both modes */
        capture_begin(&c);
        output_json.unreachable(&c.ctx, "cannot reach secrespd at /x: No such file or directory");
        capture_end(&c);
        ASSERT_STR(c.out, "");
        ASSERT_STR(c.err, "secrespctl: cannot reach secrespd at /x: No such file or directory\n");
        capture_done(&c);
}

void ctlparser_suite_add(void);
void ctlparser_suite_add(void)
{
        UNIT_SUITE("ctlparser",
                   UNIT_TEST(test_verbs),
                   UNIT_TEST(test_abbreviations),
                   UNIT_TEST(test_unknown_and_ambiguous),
                   UNIT_TEST(test_missing_and_extra),
                   UNIT_TEST(test_add_options),
                   UNIT_TEST(test_days_validation),
                   UNIT_TEST(test_expires_validation),
                   UNIT_TEST(test_option_conflicts),
                   UNIT_TEST(test_compat),
                   UNIT_TEST(test_global_options),
                   UNIT_TEST(test_outputs_untouched_on_error),
                   UNIT_TEST(test_requests),
                   UNIT_TEST(test_kinds_and_socket));
        UNIT_SUITE("ctlreply",
                   UNIT_TEST(test_reply_single),
                   UNIT_TEST(test_reply_garbage),
                   UNIT_TEST(test_reply_list));
        UNIT_SUITE("ctloutput",
                   UNIT_TEST(test_format_helpers),
                   UNIT_TEST(test_output_add),
                   UNIT_TEST(test_output_remove),
                   UNIT_TEST(test_output_list),
                   UNIT_TEST(test_output_list_many),
                   UNIT_TEST(test_output_status));
        UNIT_SUITE("ctlerrors",
                   UNIT_TEST(test_output_errors));
}
