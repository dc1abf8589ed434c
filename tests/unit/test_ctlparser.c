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

#define VALID_VERBS "valid: status, whitelist, blocks, block, unblock, history, run, plan, reload, responder, summary, sna, scores, umbrella"
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
        /* "s" is status or sna, "re" reload or responder */
        static const char *const status[] = { "st", "sta", "stat", "statu", "status" };
        static const char *const reload[] = { "rel", "reload" };
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
        CtlCommand c;

        PARSE_FAIL("unknown verb 'x'; " VALID_VERBS, "x");
        /* "r" was reload until run came */
        PARSE_FAIL("ambiguous verb 'r': could be run, reload or responder", "r");
        PARSE_FAIL("ambiguous verb 're': could be reload or responder", "re");
        PARSE_FAIL("ambiguous verb 's': could be status, summary or sna", "s");
        PARSE_OK(&c, "su", "t");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_SUMMARY_TEST);
        PARSE_FAIL("unknown verb 'statusx'; " VALID_VERBS, "statusx");
        PARSE_FAIL("unknown verb 'Status'", "Status");
        /* the empty word is a prefix of every verb */
        PARSE_FAIL("unknown verb ''; " VALID_VERBS, "");
        PARSE_FAIL("unknown whitelist command 'x'; " VALID_WL, "whitelist", "x");
        PARSE_FAIL("unknown whitelist command 'show'; " VALID_WL, "wh", "show");
        PARSE_FAIL("unknown kind 'ip'; " VALID_KINDS, "wh", "add", "ip", "10.0.0.5");
        PARSE_FAIL("unknown kind 'x'; " VALID_KINDS, "wh", "remove", "x", "y");
        PARSE_FAIL("unknown kind 'hosts'; " VALID_KINDS, "wh", "list", "hosts");
        PARSE_FAIL("unknown kind ''; " VALID_KINDS, "wh", "list", "");
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
        PARSE_FAIL("unknown verb 'bogus'", "bogus", "--help");
}

/* ---- the block state machine's verbs ---- */

#define VALID_STATES "valid: blocking, blocked, unblocking, unblocked, failed"

static void test_block_verbs(void)
{
        CtlCommand c;

        PARSE_OK(&c, "blocks");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_BLOCKS_LIST);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_NONE);
        CU_ASSERT_PTR_NULL(c.value);
        CU_ASSERT_PTR_NULL(c.state);
        CU_ASSERT_PTR_NULL(c.responder);

        PARSE_OK(&c, "block", "host", "10.0.0.5");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_BLOCK);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_HOST);
        CU_ASSERT_STRING_EQUAL(c.value, "10.0.0.5");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_DEFAULT);
        CU_ASSERT_PTR_NULL(c.responder);
        CU_ASSERT_PTR_NULL(c.reason);

        PARSE_OK(&c, "unblock", "account", "svc-x");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_UNBLOCK);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_ACCOUNT);
        CU_ASSERT_STRING_EQUAL(c.value, "svc-x");

        PARSE_OK(&c, "history", "10.0.0.5");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_HISTORY);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_NONE);
        CU_ASSERT_STRING_EQUAL(c.value, "10.0.0.5");

        PARSE_OK(&c, "run");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_RUN);
        CU_ASSERT_PTR_NULL(c.source);
        PARSE_OK(&c, "run", "vectra");
        CU_ASSERT_STRING_EQUAL(c.source, "vectra");
        CU_ASSERT_PTR_NULL(c.value);

        PARSE_OK(&c, "plan");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_PLAN);
        CU_ASSERT_PTR_NULL(c.source);
        CU_ASSERT_FALSE(c.all);
        PARSE_OK(&c, "plan", "brain-2");
        CU_ASSERT_STRING_EQUAL(c.source, "brain-2");
}

static void test_block_abbreviations(void)
{
        static const char *const ambiguous[] = { "b", "bl", "blo", "bloc" };
        CtlCommand c;

        /* every prefix of "block" is one of "blocks" too: both are typed in full */
        for (size_t i = 0; i < sizeof(ambiguous) / sizeof(ambiguous[0]); i++) {
                char *needle = xasprintf("ambiguous verb '%s': could be blocks or block", ambiguous[i]);
                PARSE_FAIL(needle, ambiguous[i], "host", "10.0.0.5");
                PARSE_FAIL(needle, ambiguous[i]);
                free(needle);
        }
        /* the exact word wins over the longer verb it abbreviates */
        PARSE_OK(&c, "block", "h", "10.0.0.5");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_BLOCK);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_HOST);
        PARSE_OK(&c, "blocks");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_BLOCKS_LIST);
        PARSE_FAIL("unknown verb 'blockss'", "blockss");
        PARSE_FAIL("unknown verb 'Block'", "Block", "host", "x");

        PARSE_OK(&c, "u", "u", "alice");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_UNBLOCK);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
        PARSE_OK(&c, "unbl", "d", "example.com");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_UNBLOCK);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_DESTINATION);
        PARSE_OK(&c, "h", "a", "svc");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_HISTORY);
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_ACCOUNT);
        PARSE_OK(&c, "ru");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_RUN);
        PARSE_OK(&c, "p", "--all");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_PLAN);
        CU_ASSERT_TRUE(c.all);
        PARSE_FAIL("ambiguous verb 'r': could be run, reload or responder", "r", "vectra");
}

static void test_blocks_options(void)
{
        CtlCommand c;

        PARSE_OK(&c, "blocks", "--state", "failed", "--responder", "fw1", "--kind", "host", "--value", "10.0.0.5");
        CU_ASSERT_STRING_EQUAL(c.state, "failed");
        CU_ASSERT_STRING_EQUAL(c.responder, "fw1");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_HOST);
        CU_ASSERT_STRING_EQUAL(c.value, "10.0.0.5");

        /* states and kinds abbreviate like words; the canonical name is sent */
        PARSE_OK(&c, "blocks", "--state=unblocked");
        CU_ASSERT_STRING_EQUAL(c.state, "unblocked");
        PARSE_OK(&c, "blocks", "--state", "f", "--kind=d");
        CU_ASSERT_STRING_EQUAL(c.state, "failed");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_DESTINATION);
        PARSE_OK(&c, "blocks", "--state", "blocki");
        CU_ASSERT_STRING_EQUAL(c.state, "blocking");
        PARSE_OK(&c, "blocks", "--state", "blocked");
        CU_ASSERT_STRING_EQUAL(c.state, "blocked");
        PARSE_OK(&c, "blocks", "--resp", "fw1", "--val", "x", "-j");
        CU_ASSERT_STRING_EQUAL(c.responder, "fw1");
        CU_ASSERT_STRING_EQUAL(c.value, "x");
        CU_ASSERT_TRUE(c.json);

        PARSE_FAIL("ambiguous --state 'block': could be blocking or blocked", "blocks", "--state", "block");
        PARSE_FAIL("ambiguous --state 'unblock': could be unblocking or unblocked", "blocks", "--state",
                   "unblock");
        PARSE_FAIL("ambiguous --state 'b': could be blocking or blocked", "blocks", "--state", "b");
        PARSE_FAIL("ambiguous --state 'un': could be unblocking or unblocked", "blocks", "--state", "un");
        PARSE_FAIL("unknown --state 'active'; " VALID_STATES, "blocks", "--state", "active");
        PARSE_FAIL("unknown --state ''; " VALID_STATES, "blocks", "--state", "");
        PARSE_FAIL("unknown --state 'Failed'", "blocks", "--state", "Failed");
        PARSE_FAIL("unknown --kind 'ip'; valid: user, host, account, destination", "blocks", "--kind", "ip");
        PARSE_FAIL("--state given twice", "blocks", "--state", "failed", "--state", "failed");
        PARSE_FAIL("--kind given twice", "blocks", "--kind", "host", "--kind", "user");
        PARSE_FAIL("--responder given twice", "blocks", "--responder", "a", "--responder", "b");
        PARSE_FAIL("--value given twice", "blocks", "--value", "a", "--value", "b");
        PARSE_FAIL("--responder needs a non-empty NAME", "blocks", "--responder", "");
        PARSE_FAIL("--value needs a non-empty VALUE", "blocks", "--value=");
        PARSE_FAIL("option '--state' needs an argument: STATE", "blocks", "--state");
        /* "--s" and "--v" name a global option too */
        PARSE_FAIL("ambiguous option '--s'", "blocks", "--s", "failed");
        PARSE_FAIL("ambiguous option '--v'", "blocks", "--v", "x");
        /* filters are options, not words */
        PARSE_FAIL("unexpected argument 'host' after 'blocks'", "blocks", "host");
        PARSE_FAIL("unknown option '--reason'; valid after 'blocks': --state STATE, --responder NAME, "
                   "--kind KIND, --value VALUE", "blocks", "--reason", "x");
}

static void test_block_args(void)
{
        CtlCommand c;

        PARSE_OK(&c, "block", "host", "10.0.0.5", "--responder", "fw1", "--reason", "beaconing", "--expires", "4h");
        CU_ASSERT_STRING_EQUAL(c.responder, "fw1");
        CU_ASSERT_STRING_EQUAL(c.reason, "beaconing");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_SECONDS);
        CU_ASSERT_EQUAL(c.expires_in, 4 * 3600);
        /* options anywhere after the verb, abbreviated where unique */
        PARSE_OK(&c, "block", "--exp", "30m", "user", "--resp=fw2", "alice");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
        CU_ASSERT_STRING_EQUAL(c.value, "alice");
        CU_ASSERT_STRING_EQUAL(c.responder, "fw2");
        CU_ASSERT_EQUAL(c.expires_in, 1800);
        PARSE_OK(&c, "unblock", "host", "10.0.0.5", "--reason", "false positive", "--responder", "fw1");
        CU_ASSERT_STRING_EQUAL(c.reason, "false positive");
        CU_ASSERT_STRING_EQUAL(c.responder, "fw1");
        CU_ASSERT_EQUAL(c.expiry, CTL_EXPIRY_DEFAULT);
        PARSE_OK(&c, "block", "u", "--", "-odd");
        CU_ASSERT_STRING_EQUAL(c.value, "-odd");

        PARSE_FAIL("missing kind after 'block'; " VALID_KINDS, "block");
        PARSE_FAIL("missing VALUE after 'block host'", "block", "host");
        PARSE_FAIL("missing VALUE after 'block host'", "block", "host", "--reason", "x");
        PARSE_FAIL("missing kind after 'unblock'; " VALID_KINDS, "unblock");
        PARSE_FAIL("missing VALUE after 'unblock user'", "unblock", "u");
        PARSE_FAIL("empty VALUE after 'block host'", "block", "h", "");
        PARSE_FAIL("unknown kind 'ip'; " VALID_KINDS, "block", "ip", "10.0.0.5");
        PARSE_FAIL("unexpected argument 'x' after 'block host 10.0.0.5'", "block", "h", "10.0.0.5", "x");
        PARSE_FAIL("unexpected argument 'x' after 'unblock host 10.0.0.5'", "unblock", "h", "10.0.0.5", "x");

        /* option conflicts */
        PARSE_FAIL("--expires given twice", "block", "h", "x", "--expires", "1h", "--expires", "2h");
        PARSE_FAIL("--reason given twice", "block", "h", "x", "--reason", "a", "--reason", "b");
        PARSE_FAIL("--responder given twice", "unblock", "h", "x", "--responder", "a", "--responder", "b");
        PARSE_FAIL("--responder needs a non-empty NAME", "block", "h", "x", "--responder", "");
        PARSE_FAIL("--reason needs a non-empty TEXT", "unblock", "h", "x", "--reason", "");
        PARSE_FAIL("--expires must be longer than 0s", "block", "h", "x", "--expires", "0");
        PARSE_FAIL("--expires needs a duration such as 30s", "block", "h", "x", "--expires", "soon");
        PARSE_FAIL("--expires '40000d' is too long", "block", "h", "x", "--expires", "40000d");
        PARSE_FAIL("ambiguous option '--re'", "block", "h", "x", "--re", "x");
        /* an unblock does not expire; whitelist add's lifetimes are not a block's */
        PARSE_FAIL("unknown option '--expires'; valid after 'unblock host x': --responder NAME, --reason TEXT",
                   "unblock", "h", "x", "--expires", "1h");
        PARSE_FAIL("unknown option '--days'", "block", "h", "x", "--days", "3");
        PARSE_FAIL("unknown option '--permanent'", "block", "h", "x", "--permanent");
        PARSE_FAIL("unknown option '--state'", "block", "h", "x", "--state", "failed");
        PARSE_FAIL("unknown option '--responder'", "wh", "a", "h", "x", "--responder", "fw1");
}

static void test_history_args(void)
{
        CtlCommand c;

        PARSE_OK(&c, "history", "user", "alice");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
        CU_ASSERT_STRING_EQUAL(c.value, "alice");
        PARSE_OK(&c, "history", "h", "10.0.0.5");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_HOST);
        CU_ASSERT_STRING_EQUAL(c.value, "10.0.0.5");
        /* one word is the VALUE, even when it would name a kind */
        PARSE_OK(&c, "history", "host");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_NONE);
        CU_ASSERT_STRING_EQUAL(c.value, "host");
        PARSE_OK(&c, "history", "us");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_NONE);
        CU_ASSERT_STRING_EQUAL(c.value, "us");
        PARSE_OK(&c, "history", "user", "user");
        CU_ASSERT_EQUAL(c.kind, CTL_KIND_USER);
        CU_ASSERT_STRING_EQUAL(c.value, "user");
        PARSE_OK(&c, "history", "-j", "--", "-x");
        CU_ASSERT_STRING_EQUAL(c.value, "-x");
        CU_ASSERT_TRUE(c.json);

        PARSE_FAIL("missing VALUE after 'history'", "history");
        PARSE_FAIL("empty VALUE after 'history'", "history", "");
        PARSE_FAIL("empty VALUE after 'history user'", "history", "user", "");
        /* two words: the first must be a kind */
        PARSE_FAIL("unknown kind 'hosts'; " VALID_KINDS, "history", "hosts", "10.0.0.5");
        PARSE_FAIL("unexpected argument 'b' after 'history user a'", "history", "user", "a", "b");
        PARSE_FAIL("unknown option '--kind'", "history", "--kind", "host", "x");
}

static void test_run_args(void)
{
        CtlCommand c;

        PARSE_OK(&c, "plan", "--all", "vectra");
        CU_ASSERT_TRUE(c.all);
        CU_ASSERT_STRING_EQUAL(c.source, "vectra");
        PARSE_OK(&c, "plan", "vectra", "--all", "--json");
        CU_ASSERT_TRUE(c.all);
        CU_ASSERT_TRUE(c.json);
        PARSE_OK(&c, "plan", "--al");
        CU_ASSERT_TRUE(c.all);
        /* a SOURCE is taken as written: "plan" is a name like any */
        PARSE_OK(&c, "run", "plan");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_RUN);
        CU_ASSERT_STRING_EQUAL(c.source, "plan");

        PARSE_FAIL("unexpected argument 'b' after 'run a'", "run", "a", "b");
        PARSE_FAIL("unexpected argument 'b' after 'plan a'", "plan", "a", "--all", "b");
        PARSE_FAIL("empty SOURCE after 'run'", "run", "");
        PARSE_FAIL("empty SOURCE after 'plan'", "plan", "");
        PARSE_FAIL("unknown option '--all'", "run", "--all");
        PARSE_FAIL("option '--all' takes no argument", "plan", "--all=yes");
        PARSE_FAIL("unknown option '--reason'", "run", "vectra", "--reason", "x");
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

static void test_block_requests(void)
{
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"blocks.list\",\"args\":{}}", "blocks", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"blocks.list\",\"args\":{\"state\":\"failed\","
                       "\"responder\":\"fw1\",\"kind\":\"host\",\"value\":\"10.0.0.5\"}}",
                       "blocks", "--value", "10.0.0.5", "--kind", "h", "--responder", "fw1", "--state", "fa", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"blocks.list\",\"args\":{\"kind\":\"user\"}}",
                       "blocks", "--kind", "user", NULL);

        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"history\",\"args\":{\"value\":\"10.0.0.5\"}}",
                       "history", "10.0.0.5", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"history\",\"args\":{\"kind\":\"account\","
                       "\"value\":\"svc\"}}", "hist", "acc", "svc", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"history\",\"args\":{\"value\":\"a\"}}",
                       "history", "a", NULL);

        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"block\",\"args\":{\"kind\":\"host\","
                       "\"value\":\"10.0.0.5\"}}", "block", "host", "10.0.0.5", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"block\",\"args\":{\"kind\":\"destination\","
                       "\"value\":\"evil.example\",\"responder\":\"fw1\",\"reason\":\"C2\",\"expires_in\":86400}}",
                       "block", "d", "evil.example", "--expires", "1d", "--reason", "C2", "--responder", "fw1", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"unblock\",\"args\":{\"kind\":\"user\","
                       "\"value\":\"alice\"}}", "unblock", "u", "alice", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"unblock\",\"args\":{\"kind\":\"host\","
                       "\"value\":\"10.0.0.5\",\"responder\":\"fw1\",\"reason\":\"fp\"}}",
                       "unblock", "h", "10.0.0.5", "--reason", "fp", "--responder", "fw1", NULL);

        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"run\",\"args\":{}}", "run", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"run\",\"args\":{\"source\":\"vectra\"}}",
                       "run", "vectra", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"plan\",\"args\":{}}", "plan", "--all", NULL);
        assert_request("{\"v\":1,\"id\":1,\"cmd\":\"plan\",\"args\":{\"source\":\"vectra\"}}",
                       "plan", "vectra", NULL);

        CU_ASSERT_TRUE(ctl_action_is_list(CTL_ACTION_BLOCKS_LIST));
        CU_ASSERT_TRUE(ctl_action_is_list(CTL_ACTION_HISTORY));
        CU_ASSERT_FALSE(ctl_action_is_list(CTL_ACTION_BLOCK));
        CU_ASSERT_FALSE(ctl_action_is_list(CTL_ACTION_PLAN));

        /* the daemon answers these after responders or a source did */
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_BLOCK), 120000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_UNBLOCK), 120000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_RUN), 120000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_PLAN), 120000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_BLOCKS_LIST), 10000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_HISTORY), 10000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_STATUS), 10000);
        CU_ASSERT_EQUAL(ctl_action_timeout_ms(CTL_ACTION_RELOAD), 10000);

        CU_ASSERT_PTR_NOT_NULL(strstr(ctl_usage(), "blocks [--state STATE]"));
        CU_ASSERT_PTR_NOT_NULL(strstr(ctl_usage(), "plan [SOURCE] [--all]"));
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

        ASSERT_STR(output_format_ms(0, b), "0ms");
        ASSERT_STR(output_format_ms(999, b), "999ms");
        ASSERT_STR(output_format_ms(999.7, b), "1.0s");
        ASSERT_STR(output_format_ms(1234, b), "1.2s");
        ASSERT_STR(output_format_ms(59900, b), "59.9s");
        ASSERT_STR(output_format_ms(59950, b), "1m");
        ASSERT_STR(output_format_ms(125000, b), "2m5s");
        ASSERT_STR(output_format_ms(-5, b), "0ms");
        ASSERT_STR(output_format_ms(1e300, b), "1e+297s");

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
                   "  NAME    KIND    STATE  LAST-RUN  NEXT-RUN  RESULT  DURATION  FOUND  BLOCKED  UNBLOCKED  FAILED"
                   "  BATCH-SIZE\n"
                   "  vectra  vectra  idle   5m ago    in 4m     ok      -         -      -        -          -     "
                   "  50\n"
                   "\n"
                   "responders:\n"
                   "  NAME  KIND       SIMULATION  LAST-SUCCESS  PENDING  RUNNING  QUEUED  FAILED  BLOCKED  LAST-ERROR\n"
                   "  fw1   fortigate  -           -             2        -        -       -       -        HTTP 503\n"
                   "\n"
                   "relays:\n"
                   "  NAME   UP   CHECKED-AT\n"
                   "  graph  yes  1s ago\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "status", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"version\":\"0.1.0\",\"sources\":[]}}")), 0);
        ASSERT_STR(c.out, "{\"version\":\"0.1.0\",\"sources\":[]}\n");
        capture_done(&c);
}

static void test_output_status_sources(void)
{
        Capture c;

        /* what secrespd sends: a source that ran, one that never did, and responders */
        CU_ASSERT_EQUAL(show(&c, &output_table, "status", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"version\":\"0.2.0\","
                "\"sources\":[{\"name\":\"brain1\",\"kind\":\"vectra\",\"state\":\"idle\","
                "\"last_run\":1794999700,\"next_run\":1795000240,\"last_result\":\"api-failed\","
                "\"last_duration_ms\":1234,\"found\":12,\"to_block\":3,\"to_unblock\":1,\"blocked\":2,"
                "\"unblocked\":1,\"failed\":1,\"requests\":40,\"last_error\":\"HTTP 502 from /api/v3.4/hosts\"},"
                "{\"name\":\"brain2\",\"kind\":\"vectra\",\"state\":\"running\",\"last_run\":null,"
                "\"next_run\":null,\"last_result\":\"ok\",\"last_duration_ms\":0,\"found\":0,\"to_block\":0,"
                "\"to_unblock\":0,\"blocked\":0,\"unblocked\":0,\"failed\":0,\"requests\":0,"
                "\"last_error\":null}],"
                "\"responders\":[{\"name\":\"fw1\",\"kind\":\"fortigate\",\"simulation\":false,"
                "\"last_success\":1794999940,\"last_error\":null,\"pending\":0,\"failed\":0,\"blocked\":17,"
                "\"queued\":3,\"running\":4,\"calls_ok\":20,\"calls_failed\":1,\"last_call_error\":\"HTTP 503\","
                "\"last_call_error_at\":1794999900,\"max_concurrent\":4,\"rate_limit\":0},"
                "{\"name\":\"nac\",\"kind\":\"radius\",\"simulation\":true,\"last_success\":null,"
                "\"last_error\":\"timeout after 30s\",\"pending\":2,\"failed\":1,\"blocked\":0}]}}")), 0);
        ASSERT_STR(c.out,
                   "version:  0.2.0\n"
                   "\n"
                   "sources:\n"
                   "  NAME    KIND    STATE    LAST-RUN  NEXT-RUN  RESULT      DURATION  FOUND  BLOCKED  UNBLOCKED  FAILED\n"
                   "  brain1  vectra  idle     5m ago    in 4m     api-failed  1.2s      12     2        1          1\n"
                   "  brain2  vectra  running  -         -         -           -         -      -        -          -\n"
                   "  brain1: last error: HTTP 502 from /api/v3.4/hosts\n"
                   "\n"
                   "responders:\n"
                   "  NAME  KIND       SIMULATION  LAST-SUCCESS  PENDING  RUNNING  QUEUED  FAILED  BLOCKED  LAST-ERROR\n"
                   "  fw1   fortigate  no          1m ago        0        4        3       0       17       -\n"
                   "  nac   radius     yes         -             2        -        -       1       0        timeout after 30s\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);
}

static const char *const blocks_frames[] = {
        "{\"id\":1,\"item\":{\"kind\":\"host\",\"value\":\"10.0.0.5\",\"responder\":\"fw1\","
        "\"state\":\"blocked\",\"intent\":\"block\",\"elements\":[\"secresp-10.0.0.5\"],\"attempts\":1,"
        "\"next_attempt_at\":null,\"last_error\":null,\"reason\":\"vectra: threat 80\","
        "\"source\":\"vectra:brain1\",\"expires_at\":null,\"created_at\":1794990000,\"updated_at\":1794999700}}",
        "{\"id\":1,\"item\":{\"kind\":\"host\",\"value\":\"10.0.0.6\",\"responder\":\"fw2\","
        "\"state\":\"failed\",\"intent\":\"unblock\",\"elements\":[],\"attempts\":5,"
        "\"next_attempt_at\":1795000240,\"last_error\":\"HTTP 503\\u001b[2J\",\"reason\":null,"
        "\"source\":null,\"expires_at\":null,\"created_at\":1794990000,\"updated_at\":1794999940}}",
        "{\"id\":1,\"item\":{\"kind\":\"user\",\"value\":\"alice\",\"responder\":\"nac\","
        "\"state\":\"blocking\",\"intent\":\"block\",\"elements\":[\"a\",\"b\"],\"attempts\":2,"
        "\"next_attempt_at\":1794999990,\"last_error\":null,\"reason\":\"blocked by root: test\","
        "\"source\":\"operator:root\",\"expires_at\":1795086400,\"created_at\":1794999000,"
        "\"updated_at\":1795000000}}",
        "{\"id\":1,\"ok\":true,\"end\":true,\"count\":3}",
        NULL,
};

static void test_output_blocks(void)
{
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "blocks", blocks_frames), 0);
        ASSERT_STR(c.out,
                   "KIND  VALUE     RESPONDER  STATE             ELEMENTS          ATTEMPTS        UPDATED  REASON"
                   "                 LAST-ERROR\n"
                   "host  10.0.0.5  fw1        blocked           secresp-10.0.0.5  1               5m ago   "
                   "vectra: threat 80\n"
                   "host  10.0.0.6  fw2        failed (unblock)  -                 5, retry in 4m  1m ago   -"
                   "                      HTTP 503?[2J\n"
                   "user  alice     nac        blocking          a,b               2, retry due    0s ago   "
                   "blocked by root: test\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        /* no row has an error: no LAST-ERROR column */
        CU_ASSERT_EQUAL(show(&c, &output_table, "blocks --state blocked", FRAMES(blocks_frames[0], blocks_frames[3])),
                        0);
        ASSERT_STR(c.out,
                   "KIND  VALUE     RESPONDER  STATE    ELEMENTS          ATTEMPTS  UPDATED  REASON\n"
                   "host  10.0.0.5  fw1        blocked  secresp-10.0.0.5  1         5m ago   vectra: threat 80\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "blocks --kind user",
                             FRAMES("{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}")), 0);
        ASSERT_STR(c.out, "no blocks\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "blocks", FRAMES(blocks_frames[0], blocks_frames[3])), 0);
        ASSERT_STR(c.out,
                   "[{\"kind\":\"host\",\"value\":\"10.0.0.5\",\"responder\":\"fw1\",\"state\":\"blocked\","
                   "\"intent\":\"block\",\"elements\":[\"secresp-10.0.0.5\"],\"attempts\":1,\"next_attempt_at\":null,"
                   "\"last_error\":null,\"reason\":\"vectra: threat 80\",\"source\":\"vectra:brain1\","
                   "\"expires_at\":null,\"created_at\":1794990000,\"updated_at\":1794999700}]\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_json, "blocks", FRAMES("{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}")),
                        0);
        ASSERT_STR(c.out, "[]\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "blocks --state failed", FRAMES(
                "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"invalid-argument\",\"message\":\"unknown state\"}}")),
                        1);
        ASSERT_STR(c.err, "secrespctl: unknown state (invalid-argument)\n");
        capture_done(&c);
}

static const char *const history_frames[] = {
        "{\"id\":1,\"item\":{\"at\":1794999000,\"actor\":\"vectra:brain1\",\"action\":\"block\","
        "\"kind\":\"user\",\"value\":\"alice\",\"reason\":\"threat 80\",\"result\":\"ok\",\"detail\":\"nac\"}}",
        "{\"id\":1,\"item\":{\"at\":1794999600,\"actor\":\"root\",\"action\":\"manual.unblock\","
        "\"kind\":\"user\",\"value\":\"alice\",\"reason\":null,\"result\":\"requested\",\"detail\":null}}",
        "{\"id\":1,\"item\":{\"at\":1794999700,\"actor\":\"bob\",\"action\":\"whitelist.add\","
        "\"kind\":\"account\",\"value\":\"alice\",\"reason\":\"vip\",\"result\":\"ok\",\"detail\":null}}",
        "{\"id\":1,\"ok\":true,\"end\":true,\"count\":3}",
        NULL,
};

static void test_output_history(void)
{
        Capture c;

        /* no KIND asked and two kinds answered: a KIND column */
        CU_ASSERT_EQUAL(show(&c, &output_table, "history alice", history_frames), 0);
        ASSERT_STR(c.out,
                   "WHEN                     ACTOR          ACTION          KIND     RESULT     REASON     DETAIL\n"
                   "2026-11-18 10:50:00 UTC  vectra:brain1  block           user     ok         threat 80  nac\n"
                   "2026-11-18 11:00:00 UTC  root           manual.unblock  user     requested  -\n"
                   "2026-11-18 11:01:40 UTC  bob            whitelist.add   account  ok         vip\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "history user alice",
                             FRAMES(history_frames[0], history_frames[1], history_frames[3])), 0);
        ASSERT_STR(c.out,
                   "WHEN                     ACTOR          ACTION          RESULT     REASON     DETAIL\n"
                   "2026-11-18 10:50:00 UTC  vectra:brain1  block           ok         threat 80  nac\n"
                   "2026-11-18 11:00:00 UTC  root           manual.unblock  requested  -\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "history host 10.0.0.9",
                             FRAMES("{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}")), 0);
        ASSERT_STR(c.out, "no history for host 10.0.0.9\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_table, "history 10.0.0.9",
                             FRAMES("{\"id\":1,\"ok\":true,\"end\":true,\"count\":0}")), 0);
        ASSERT_STR(c.out, "no history for 10.0.0.9\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "history alice", FRAMES(history_frames[1], history_frames[3])), 0);
        ASSERT_STR(c.out,
                   "[{\"at\":1794999600,\"actor\":\"root\",\"action\":\"manual.unblock\",\"kind\":\"user\","
                   "\"value\":\"alice\",\"reason\":null,\"result\":\"requested\",\"detail\":null}]\n");
        capture_done(&c);
}

static void test_output_manual(void)
{
        static const char *const whitelisted =
                "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"whitelisted\",\"message\":"
                "\"host '10.0.0.5' is whitelisted; remove it from the whitelist first\"}}";
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "block host 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":1,\"succeeded\":1,\"failed\":0,\"unchanged\":0}}")), 0);
        ASSERT_STR(c.out, "blocked host 10.0.0.5: 1 call, 1 succeeded\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "block host 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":2,\"succeeded\":2,\"failed\":0,\"unchanged\":1}}")), 0);
        ASSERT_STR(c.out, "blocked host 10.0.0.5: 2 calls, 2 succeeded, 1 unchanged\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "block host 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":0,\"succeeded\":0,\"failed\":0,\"unchanged\":2}}")), 0);
        ASSERT_STR(c.out, "host 10.0.0.5 already blocked (unchanged)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "unblock user alice --responder nac", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":0,\"succeeded\":0,\"failed\":0,\"unchanged\":1}}")), 0);
        ASSERT_STR(c.out, "user alice already unblocked on nac (unchanged)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "unblock host 10.0.0.5 --reason fp", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":2,\"succeeded\":2,\"failed\":0,\"unchanged\":0}}")), 0);
        ASSERT_STR(c.out, "unblocked host 10.0.0.5: 2 calls, 2 succeeded\n");
        capture_done(&c);

        /* nothing was ever blocked: nothing to undo, and that is fine */
        CU_ASSERT_EQUAL(show(&c, &output_table, "unblock host 10.0.0.7", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":0,\"succeeded\":0,\"failed\":0,\"unchanged\":0}}")), 0);
        ASSERT_STR(c.out, "host 10.0.0.7 is not blocked; nothing to unblock\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        /* a block no responder could take did not happen */
        CU_ASSERT_EQUAL(show(&c, &output_table, "block destination evil.example", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":0,\"succeeded\":0,\"failed\":0,\"unchanged\":0}}")), 1);
        ASSERT_STR(c.out, "");
        ASSERT_STR(c.err, "secrespctl: no responder can block destination evil.example\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_table, "block user bob --responder fw1", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":0,\"succeeded\":0,\"failed\":0,\"unchanged\":0}}")), 1);
        ASSERT_STR(c.err, "secrespctl: responder fw1 cannot block user bob\n");
        capture_done(&c);

        /* a failed call: exit 1, and the daemon keeps trying */
        CU_ASSERT_EQUAL(show(&c, &output_table, "block host 10.0.0.5 --responder fw1", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":1,\"succeeded\":0,\"failed\":1,\"unchanged\":0}}")), 1);
        ASSERT_STR(c.out, "");
        ASSERT_STR(c.err, "secrespctl: block host 10.0.0.5 on fw1: 1 call, 0 succeeded, 1 failed; "
                   "secrespd retries (see 'secrespctl blocks')\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_table, "unblock host 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":3,\"succeeded\":2,\"failed\":1,\"unchanged\":0}}")), 1);
        ASSERT_STR(c.err, "secrespctl: unblock host 10.0.0.5: 3 calls, 2 succeeded, 1 failed; "
                   "secrespd retries (see 'secrespctl blocks')\n");
        capture_done(&c);

        /* refusals */
        CU_ASSERT_EQUAL(show(&c, &output_table, "block host 10.0.0.5", FRAMES(whitelisted)), 1);
        ASSERT_STR(c.out, "");
        ASSERT_STR(c.err, "secrespctl: host '10.0.0.5' is whitelisted; remove it from the whitelist first "
                   "(whitelisted)\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_json, "block host 10.0.0.5", FRAMES(whitelisted)), 1);
        ASSERT_STR(c.out, "{\"error\":{\"code\":\"whitelisted\",\"message\":\"host '10.0.0.5' is whitelisted; "
                   "remove it from the whitelist first\"}}\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "block host 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":1,\"succeeded\":1,\"failed\":0,\"unchanged\":0}}")), 0);
        ASSERT_STR(c.out, "{\"calls\":1,\"succeeded\":1,\"failed\":0,\"unchanged\":0}\n");
        capture_done(&c);
        CU_ASSERT_EQUAL(show(&c, &output_json, "unblock host 10.0.0.5", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"calls\":1,\"succeeded\":0,\"failed\":1,\"unchanged\":0}}")), 1);
        ASSERT_STR(c.out, "{\"calls\":1,\"succeeded\":0,\"failed\":1,\"unchanged\":0}\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);
}

#define CYCLE_OK "\"last_result\":\"ok\",\"last_duration_ms\":1234,\"found\":12,\"to_block\":2," \
        "\"to_unblock\":1,\"blocked\":2,\"unblocked\":1,\"failed\":0,\"requests\":40,\"last_error\":null"

static void test_output_run(void)
{
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "run", FRAMES("{\"id\":1,\"ok\":true,\"data\":{" CYCLE_OK "}}")), 0);
        ASSERT_STR(c.out, "run: ok in 1.2s: 12 found, 2 to block, 1 to unblock, 2 blocked, 1 unblocked, 0 failed, "
                   "40 requests\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "run brain1", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"last_result\":\"auth-failed\",\"last_duration_ms\":85,"
                "\"found\":0,\"to_block\":0,\"to_unblock\":0,\"blocked\":0,\"unblocked\":0,\"failed\":0,"
                "\"requests\":1,\"last_error\":\"HTTP 401 from /oauth2/token\"}}")), 1);
        ASSERT_STR(c.out, "run brain1: auth-failed in 85ms: 0 found, 0 to block, 0 to unblock, 0 blocked, "
                   "0 unblocked, 0 failed, 1 request\n");
        ASSERT_STR(c.err, "secrespctl: run brain1: HTTP 401 from /oauth2/token\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "run", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"last_result\":\"outside-window\",\"last_duration_ms\":0,"
                "\"found\":0,\"to_block\":0,\"to_unblock\":0,\"blocked\":0,\"unblocked\":0,\"failed\":0,"
                "\"requests\":0,\"last_error\":null}}")), 0);
        ASSERT_STR(c.out, "run: skipped, outside the source's time window\n");
        capture_done(&c);

        /* failed blocks in an ok cycle are the blocks' business, not the cycle's */
        CU_ASSERT_EQUAL(show(&c, &output_table, "run", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"last_result\":\"ok\",\"last_duration_ms\":125000,"
                "\"found\":3,\"to_block\":3,\"to_unblock\":0,\"blocked\":1,\"unblocked\":0,\"failed\":2,"
                "\"requests\":7,\"last_error\":null}}")), 0);
        ASSERT_STR(c.out, "run: ok in 2m5s: 3 found, 3 to block, 0 to unblock, 1 blocked, 0 unblocked, 2 failed, "
                   "7 requests\n");
        capture_done(&c);

        /* an answer without a result is no success */
        CU_ASSERT_EQUAL(show(&c, &output_table, "run", FRAMES("{\"id\":1,\"ok\":true,\"data\":{}}")), 1);
        ASSERT_STR(c.out, "run: - in ?: - found, - to block, - to unblock, - blocked, - unblocked, - failed, "
                   "- requests\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "run", FRAMES(
                "{\"id\":1,\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"brain1: a cycle is already "
                "running or requested; try again\"}}")), 1);
        ASSERT_STR(c.err, "secrespctl: brain1: a cycle is already running or requested; try again (busy)\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "run", FRAMES("{\"id\":1,\"ok\":true,\"data\":{" CYCLE_OK "}}")), 0);
        ASSERT_STR(c.out, "{" CYCLE_OK "}\n");
        capture_done(&c);
}

#define PLAN_ITEMS "\"plan\":[" \
        "{\"kind\":\"host\",\"value\":\"10.0.0.5\",\"verdict\":\"block\",\"reason\":\"threat 80 >= 50\"," \
        "\"source\":\"brain1\",\"ext_id\":\"1234\"}," \
        "{\"kind\":\"host\",\"value\":\"10.0.0.6\",\"verdict\":\"keep\",\"reason\":\"still detected\"," \
        "\"source\":\"brain1\"}," \
        "{\"kind\":\"account\",\"value\":\"svc\\u001b\",\"verdict\":\"unblock\",\"reason\":null," \
        "\"source\":\"brain1\"}," \
        "{\"kind\":\"host\",\"value\":\"10.0.0.7\",\"verdict\":\"none\",\"reason\":\"whitelisted\"," \
        "\"source\":\"brain1\"}]"

static void test_output_plan(void)
{
        static const char *const plan_ok =
                "{\"id\":1,\"ok\":true,\"data\":{\"last_result\":\"ok\",\"last_duration_ms\":640,\"found\":4,"
                "\"to_block\":1,\"to_unblock\":1,\"blocked\":0,\"unblocked\":0,\"failed\":0,\"requests\":3,"
                "\"last_error\":null," PLAN_ITEMS "}}";
        Capture c;

        CU_ASSERT_EQUAL(show(&c, &output_table, "plan", FRAMES(plan_ok)), 0);
        ASSERT_STR(c.out,
                   "plan: ok in 640ms: 4 found, 1 to block, 1 to unblock, 3 requests\n"
                   "\n"
                   "KIND     VALUE     VERDICT  REASON\n"
                   "host     10.0.0.5  block    threat 80 >= 50\n"
                   "account  svc?      unblock\n");
        ASSERT_STR(c.err, "");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "plan brain1 --all", FRAMES(plan_ok)), 0);
        ASSERT_STR(c.out,
                   "plan brain1: ok in 640ms: 4 found, 1 to block, 1 to unblock, 3 requests\n"
                   "\n"
                   "KIND     VALUE     VERDICT  REASON\n"
                   "host     10.0.0.5  block    threat 80 >= 50\n"
                   "host     10.0.0.6  keep     still detected\n"
                   "account  svc?      unblock\n"
                   "host     10.0.0.7  none     whitelisted\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_table, "plan", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"last_result\":\"ok\",\"last_duration_ms\":640,\"found\":1,"
                "\"to_block\":0,\"to_unblock\":0,\"requests\":2,\"last_error\":null,\"plan\":["
                "{\"kind\":\"host\",\"value\":\"10.0.0.6\",\"verdict\":\"keep\",\"reason\":\"x\"}]}}")), 0);
        ASSERT_STR(c.out, "plan: ok in 640ms: 1 found, 0 to block, 0 to unblock, 2 requests\nnothing to do\n");
        capture_done(&c);

        /* a failed cycle's plan is partial: none is shown */
        CU_ASSERT_EQUAL(show(&c, &output_table, "plan", FRAMES(
                "{\"id\":1,\"ok\":true,\"data\":{\"last_result\":\"api-failed\",\"last_duration_ms\":30000,"
                "\"found\":4,\"to_block\":1,\"to_unblock\":1,\"requests\":9,\"last_error\":\"HTTP 500\","
                PLAN_ITEMS "}}")), 1);
        ASSERT_STR(c.out, "plan: api-failed in 30.0s: 4 found, 1 to block, 1 to unblock, 9 requests\n");
        ASSERT_STR(c.err, "secrespctl: plan: HTTP 500\n");
        capture_done(&c);

        CU_ASSERT_EQUAL(show(&c, &output_json, "plan", FRAMES(plan_ok)), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(c.out, "\"verdict\":\"keep\""));
        CU_ASSERT_PTR_NOT_NULL(strstr(c.out, "\"verdict\":\"none\""));
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

/* Umbrella's verbs: never abbreviated, so "u" stays unblock (and "s" stays
 * between status and sna). */
static void test_umbrella_verbs(void)
{
        CtlCommand c;
        cJSON *req, *args;

        PARSE_OK(&c, "scores");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_SCORES);
        CU_ASSERT_PTR_NULL(c.user);
        CU_ASSERT_EQUAL(c.top, 0);
        CU_ASSERT_TRUE(ctl_action_is_list(c.action));
        PARSE_OK(&c, "scores", "--user", "alice", "--top", "5", "--json");
        CU_ASSERT_STRING_EQUAL(c.user, "alice");
        CU_ASSERT_EQUAL(c.top, 5);
        CU_ASSERT_TRUE(c.json);
        req = ctl_command_to_request(&c, 1);
        args = cJSON_GetObjectItemCaseSensitive(req, "args");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItemCaseSensitive(req, "cmd")->valuestring, "scores");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItemCaseSensitive(args, "user")->valuestring, "alice");
        CU_ASSERT_EQUAL(cJSON_GetObjectItemCaseSensitive(args, "top")->valuedouble, 5);
        cJSON_Delete(req);
        PARSE_OK(&c, "scores", "-u", "bob");
        CU_ASSERT_STRING_EQUAL(c.user, "bob");
        PARSE_FAIL("--top needs a whole number", "scores", "--top", "0");
        PARSE_FAIL("--top needs a whole number", "scores", "--top", "x");
        PARSE_FAIL("--top given twice", "scores", "--top", "1", "--top", "2");
        PARSE_FAIL("--user given twice", "scores", "--user", "a", "--user", "b");
        PARSE_FAIL("unexpected argument", "scores", "alice");
        PARSE_OK(&c, "umbrella", "categories");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_UMBRELLA_CATEGORIES);
        CU_ASSERT_STRING_EQUAL(ctl_action_to_cmd(c.action), "umbrella.categories");
        PARSE_OK(&c, "umbrella", "cat");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_UMBRELLA_CATEGORIES);
        PARSE_FAIL("missing umbrella command", "umbrella");
        PARSE_FAIL("ambiguous verb 's': could be status, summary or sna", "s");
        PARSE_OK(&c, "u", "u", "alice");
        CU_ASSERT_EQUAL(c.action, CTL_ACTION_UNBLOCK);
        PARSE_FAIL("unknown verb 'sc'", "sc");
        PARSE_FAIL("unknown verb 'umb'", "umb");
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
                   UNIT_TEST(test_block_verbs),
                   UNIT_TEST(test_block_abbreviations),
                   UNIT_TEST(test_blocks_options),
                   UNIT_TEST(test_block_args),
                   UNIT_TEST(test_history_args),
                   UNIT_TEST(test_run_args),
                   UNIT_TEST(test_outputs_untouched_on_error),
                   UNIT_TEST(test_requests),
                   UNIT_TEST(test_block_requests),
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
                   UNIT_TEST(test_output_status),
                   UNIT_TEST(test_output_status_sources),
                   UNIT_TEST(test_output_blocks),
                   UNIT_TEST(test_output_history),
                   UNIT_TEST(test_output_manual),
                   UNIT_TEST(test_output_run),
                   UNIT_TEST(test_output_plan),
                   UNIT_TEST(test_umbrella_verbs));
        UNIT_SUITE("ctlerrors",
                   UNIT_TEST(test_output_errors));
}
