/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "common/ctlproto.h"
#include "common/duration.h"
#include "common/xalloc.h"
#include "ctl/parser.h"

/* Token tables after bgpctl's parser.c: a table lists the words valid at
 * one point of the command line and, for each, the table valid after it.
 * TOKEN_NONE says the command may end there. */
typedef enum TokenType {
        TOKEN_END,              /* terminates a table */
        TOKEN_NONE,
        TOKEN_KEYWORD,
        TOKEN_KIND,
        TOKEN_VALUE,            /* any word: the VALUE */
        TOKEN_SOURCE,           /* any word: the SOURCE of run and plan */
        TOKEN_RESPONDER,        /* any word: a responder's NAME */
} TokenType;

typedef struct TokenTable TokenTable;

typedef struct Token {
        TokenType type;
        const char *keyword;
        int value;              /* CtlAction for keywords, CtlKind for kinds */
        const TokenTable *next;
        bool exact;             /* never abbreviated: verbs added after the short
                                 * forms of older ones ("s" status, "u" unblock) */
} Token;

typedef enum OptionId {
        OPT_SOCKET,
        OPT_JSON,
        OPT_HELP,
        OPT_VERSION,
        OPT_DAYS,
        OPT_EXPIRES,
        OPT_PERMANENT,
        OPT_REASON,
        OPT_USER,
        OPT_STATE,
        OPT_RESPONDER,
        OPT_KIND,
        OPT_VALUE,
        OPT_ALL,
        OPT_SOURCE,
        OPT_DRY_RUN,
        OPT_SCORES_USER,
        OPT_TOP,
} OptionId;

typedef struct Option {
        const char *name;       /* long name, without "--"; NULL ends a table */
        char short_name;        /* 0: none */
        const char *arg;        /* the argument's name, NULL for a flag */
        OptionId id;
} Option;

struct TokenTable {
        const char *what;       /* what the table's words are, for messages */
        const Token *tokens;
        const Option *options;  /* options valid here besides the global ones */
};

static const Option opts_global[] = {
        { "socket",  's', "SOCKET", OPT_SOCKET },
        { "json",    'j', NULL,     OPT_JSON },
        { "help",    'h', NULL,     OPT_HELP },
        { "version", 0,   NULL,     OPT_VERSION },
        { NULL },
};

static const Option opts_none[] = {
        { NULL },
};

/* The original whitelist tool took -u/--username; its getopt accepted
 * unique prefixes, so --user worked too. */
static const Option opts_whitelist[] = {
        { "user",     'u', "NAME", OPT_USER },
        { "username", 0,   "NAME", OPT_USER },
        { NULL },
};

static const Option opts_add[] = {
        { "days",      0, "N",        OPT_DAYS },
        { "expires",   0, "DURATION", OPT_EXPIRES },
        { "permanent", 0, NULL,       OPT_PERMANENT },
        { "reason",    0, "TEXT",     OPT_REASON },
        { NULL },
};

static const Option opts_blocks[] = {
        { "state",     0, "STATE",     OPT_STATE },
        { "responder", 0, "NAME",      OPT_RESPONDER },
        { "kind",      0, "KIND",      OPT_KIND },
        { "value",     0, "VALUE",     OPT_VALUE },
        { NULL },
};

static const Option opts_block[] = {
        { "responder", 0, "NAME",      OPT_RESPONDER },
        { "reason",    0, "TEXT",      OPT_REASON },
        { "expires",   0, "DURATION",  OPT_EXPIRES },
        { NULL },
};

static const Option opts_unblock[] = {
        { "responder", 0, "NAME",      OPT_RESPONDER },
        { "reason",    0, "TEXT",      OPT_REASON },
        { NULL },
};

static const Option opts_plan[] = {
        { "all", 0, NULL, OPT_ALL },
        { NULL },
};

/* sna setup EVENT_ID (sna.md §6) */
static const Option opts_sna_setup[] = {
        { "source",  0, "NAME", OPT_SOURCE },
        { "dry-run", 0, NULL,   OPT_DRY_RUN },
        { NULL },
};

static const TokenTable tt_sna, tt_sna_event, tt_sna_opts;
static const Option opts_scores[] = {
        { "user", 'u', "NAME", OPT_SCORES_USER },
        { "top",  0,   "N",    OPT_TOP },
        { NULL },
};

static const TokenTable tt_scores, tt_umbrella;

static const TokenTable tt_main, tt_whitelist, tt_add_kind, tt_add_value, tt_add_opts,
        tt_remove_kind, tt_remove_value, tt_list, tt_end, tt_blocks, tt_block_kind, tt_block_value,
        tt_block_opts, tt_unblock_kind, tt_unblock_value, tt_unblock_opts, tt_history, tt_history_value,
        tt_history_end, tt_run, tt_plan, tt_plan_opts, tt_responder, tt_responder_name, tt_summary;

/* "block" is a prefix of "blocks": an exact word wins, so "block" is
 * block, while "b" to "bloc" are ambiguous and "blocks" is never
 * abbreviated.  "r" is ambiguous between run and reload. */
static const Token t_main[] = {
        { TOKEN_KEYWORD, "status",    CTL_ACTION_STATUS,      &tt_end },
        { TOKEN_KEYWORD, "whitelist", CTL_ACTION_NONE,        &tt_whitelist },
        { TOKEN_KEYWORD, "blocks",    CTL_ACTION_BLOCKS_LIST, &tt_blocks },
        { TOKEN_KEYWORD, "block",     CTL_ACTION_BLOCK,       &tt_block_kind },
        { TOKEN_KEYWORD, "unblock",   CTL_ACTION_UNBLOCK,     &tt_unblock_kind },
        { TOKEN_KEYWORD, "history",   CTL_ACTION_HISTORY,     &tt_history },
        { TOKEN_KEYWORD, "run",       CTL_ACTION_RUN,         &tt_run },
        { TOKEN_KEYWORD, "plan",      CTL_ACTION_PLAN,        &tt_plan },
        { TOKEN_KEYWORD, "reload",    CTL_ACTION_RELOAD,      &tt_end },
        { TOKEN_KEYWORD, "responder", CTL_ACTION_NONE,        &tt_responder },
        { TOKEN_KEYWORD, "summary",   CTL_ACTION_NONE,        &tt_summary },
        { TOKEN_KEYWORD, "sna",       CTL_ACTION_NONE,        &tt_sna },
        { TOKEN_KEYWORD, "scores",    CTL_ACTION_SCORES,      &tt_scores,   true },
        { TOKEN_KEYWORD, "umbrella",  CTL_ACTION_NONE,        &tt_umbrella, true },
        { TOKEN_END },
};

static const Token t_sna[] = {
        { TOKEN_KEYWORD, "setup", CTL_ACTION_SNA_SETUP, &tt_sna_event },
        { TOKEN_END },
};

static const Token t_sna_event[] = {
        { TOKEN_VALUE, "EVENT_ID", 0, &tt_sna_opts },
        { TOKEN_END },
};

static const Token t_responder[] = {
        { TOKEN_KEYWORD, "test", CTL_ACTION_RESPONDER_TEST, &tt_responder_name },
        { TOKEN_END },
};

static const Token t_summary[] = {
        { TOKEN_KEYWORD, "test", CTL_ACTION_SUMMARY_TEST, &tt_end },
        { TOKEN_END },
};

static const Token t_responder_name[] = {
        { TOKEN_RESPONDER, "NAME", 0, &tt_end },
        { TOKEN_END },
};

static const Token t_umbrella[] = {
        { TOKEN_KEYWORD, "categories", CTL_ACTION_UMBRELLA_CATEGORIES, &tt_end },
        { TOKEN_END },
};

static const Token t_whitelist[] = {
        { TOKEN_KEYWORD, "add",    CTL_ACTION_WHITELIST_ADD,    &tt_add_kind },
        { TOKEN_KEYWORD, "remove", CTL_ACTION_WHITELIST_REMOVE, &tt_remove_kind },
        { TOKEN_KEYWORD, "list",   CTL_ACTION_WHITELIST_LIST,   &tt_list },
        { TOKEN_END },
};

#define KIND_TOKENS(next)                                               \
        { TOKEN_KIND, "user",        CTL_KIND_USER,        (next) },    \
        { TOKEN_KIND, "host",        CTL_KIND_HOST,        (next) },    \
        { TOKEN_KIND, "account",     CTL_KIND_ACCOUNT,     (next) },    \
        { TOKEN_KIND, "destination", CTL_KIND_DESTINATION, (next) }

static const Token t_add_kind[] = {
        KIND_TOKENS(&tt_add_value),
        { TOKEN_END },
};

static const Token t_add_value[] = {
        { TOKEN_VALUE, "VALUE", 0, &tt_add_opts },
        { TOKEN_END },
};

static const Token t_remove_kind[] = {
        KIND_TOKENS(&tt_remove_value),
        { TOKEN_END },
};

static const Token t_remove_value[] = {
        { TOKEN_VALUE, "VALUE", 0, &tt_end },
        { TOKEN_END },
};

static const Token t_list[] = {
        { TOKEN_NONE },
        KIND_TOKENS(&tt_end),
        { TOKEN_END },
};

static const Token t_end[] = {
        { TOKEN_NONE },
        { TOKEN_END },
};

static const Token t_block_kind[] = {
        KIND_TOKENS(&tt_block_value),
        { TOKEN_END },
};

static const Token t_block_value[] = {
        { TOKEN_VALUE, "VALUE", 0, &tt_block_opts },
        { TOKEN_END },
};

static const Token t_unblock_kind[] = {
        KIND_TOKENS(&tt_unblock_value),
        { TOKEN_END },
};

static const Token t_unblock_value[] = {
        { TOKEN_VALUE, "VALUE", 0, &tt_unblock_opts },
        { TOKEN_END },
};

/* history [KIND] VALUE: a first word that names a kind is the kind; when
 * no second word follows, parse_end() takes it back as the VALUE. */
static const Token t_history[] = {
        { TOKEN_VALUE, "VALUE", 0, &tt_history_end },
        KIND_TOKENS(&tt_history_value),
        { TOKEN_END },
};

static const Token t_history_value[] = {
        { TOKEN_VALUE, "VALUE", 0, &tt_end },
        { TOKEN_END },
};

static const Token t_run[] = {
        { TOKEN_NONE },
        { TOKEN_SOURCE, "SOURCE", 0, &tt_end },
        { TOKEN_END },
};

static const Token t_plan[] = {
        { TOKEN_NONE },
        { TOKEN_SOURCE, "SOURCE", 0, &tt_plan_opts },
        { TOKEN_END },
};

/* Options of "whitelist add" are accepted anywhere after "add", not only
 * after VALUE: a superset of the documented form that costs nothing. */
static const TokenTable tt_main         = { "verb",              t_main,         opts_none };
static const TokenTable tt_whitelist    = { "whitelist command", t_whitelist,    opts_whitelist };
static const TokenTable tt_add_kind     = { "kind",              t_add_kind,     opts_add };
static const TokenTable tt_add_value    = { "VALUE",             t_add_value,    opts_add };
static const TokenTable tt_add_opts     = { "option",            t_end,          opts_add };
static const TokenTable tt_remove_kind  = { "kind",              t_remove_kind,  opts_none };
static const TokenTable tt_remove_value = { "VALUE",             t_remove_value, opts_none };
static const TokenTable tt_list         = { "kind",              t_list,         opts_none };
static const TokenTable tt_end          = { "argument",          t_end,          opts_none };
static const TokenTable tt_blocks       = { "option",            t_end,          opts_blocks };
static const TokenTable tt_block_kind   = { "kind",              t_block_kind,   opts_block };
static const TokenTable tt_block_value  = { "VALUE",             t_block_value,  opts_block };
static const TokenTable tt_block_opts   = { "option",            t_end,          opts_block };
static const TokenTable tt_unblock_kind = { "kind",              t_unblock_kind, opts_unblock };
static const TokenTable tt_unblock_value = { "VALUE",            t_unblock_value, opts_unblock };
static const TokenTable tt_unblock_opts = { "option",            t_end,          opts_unblock };
static const TokenTable tt_history      = { "VALUE",             t_history,      opts_none };
static const TokenTable tt_history_value = { "VALUE",            t_history_value, opts_none };
static const TokenTable tt_history_end  = { "argument",          t_end,          opts_none };
static const TokenTable tt_run          = { "SOURCE",            t_run,          opts_none };
static const TokenTable tt_responder    = { "responder verb",    t_responder,    opts_none };
static const TokenTable tt_summary      = { "summary verb",      t_summary,      opts_none };
static const TokenTable tt_responder_name = { "responder NAME",  t_responder_name, opts_none };
static const TokenTable tt_plan         = { "SOURCE",            t_plan,         opts_plan };
static const TokenTable tt_plan_opts    = { "option",            t_end,          opts_plan };
static const TokenTable tt_sna          = { "sna command",       t_sna,          opts_none };
static const TokenTable tt_sna_event    = { "EVENT_ID",          t_sna_event,    opts_sna_setup };
static const TokenTable tt_sna_opts     = { "option",            t_end,          opts_sna_setup };
static const TokenTable tt_scores       = { "option",            t_end,          opts_scores };
static const TokenTable tt_umbrella     = { "umbrella command",  t_umbrella,     opts_none };

static const char *const state_names[] = {
        "blocking", "blocked", "unblocking", "unblocked", "failed", NULL,
};

#define PATH_MAX_WORDS 8

typedef struct Parser {
        CtlCommand cmd;
        const TokenTable *table;
        const char *path[PATH_MAX_WORDS];       /* canonical words so far, for messages */
        size_t n_path;
        const char *expiry_opt;                 /* which of --days/--expires/--permanent */
        const char *history_word;               /* history: the word taken as KIND */
        char *error;
} Parser;

static int fail(Parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Parser *p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        free(p->error);
        p->error = xvasprintf(fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static void path_push(Parser *p, const char *word)
{
        if (p->n_path < PATH_MAX_WORDS)
                p->path[p->n_path++] = word;
}

static char *path_string(const Parser *p)
{
        char *s = xstrdup("");

        for (size_t i = 0; i < p->n_path; i++) {
                char *n = xasprintf("%s%s%s", s, i ? " " : "", p->path[i]);
                free(s);
                s = n;
        }
        return s;
}

/* "a, b, c": the words a table accepts, as the hint after an error. */
static char *valid_words(const TokenTable *t)
{
        char *s = xstrdup("");

        for (const Token *tok = t->tokens; tok->type != TOKEN_END; tok++) {
                char *n;

                if (tok->type == TOKEN_NONE)
                        continue;
                n = xasprintf("%s%s%s", s, s[0] ? ", " : "", tok->keyword);
                free(s);
                s = n;
        }
        return s;
}

static bool table_may_end(const TokenTable *t)
{
        for (const Token *tok = t->tokens; tok->type != TOKEN_END; tok++)
                if (tok->type == TOKEN_NONE)
                        return true;
        return false;
}

static bool table_has_words(const TokenTable *t)
{
        for (const Token *tok = t->tokens; tok->type != TOKEN_END; tok++)
                if (tok->type != TOKEN_NONE)
                        return true;
        return false;
}

static bool is_named(const Token *tok)
{
        return tok->type == TOKEN_KEYWORD || tok->type == TOKEN_KIND;
}

static bool is_any_word(const Token *tok)
{
        return tok->type == TOKEN_VALUE || tok->type == TOKEN_SOURCE || tok->type == TOKEN_RESPONDER;
}

/* An exact match wins; otherwise a prefix must be unique.  A word that
 * abbreviates several names is an error even where any word would do
 * (a VALUE), since the user meant one of the names; one that matches no
 * name is the VALUE.  The empty word abbreviates nothing. */
static const Token *match_token(const TokenTable *t, const char *word, bool *ret_ambiguous)
{
        const Token *match = NULL, *value = NULL;
        size_t n = strlen(word);

        *ret_ambiguous = false;
        for (const Token *tok = t->tokens; tok->type != TOKEN_END; tok++)
                if (is_named(tok) && strcmp(tok->keyword, word) == 0)
                        return tok;
        for (const Token *tok = t->tokens; tok->type != TOKEN_END; tok++) {
                if (is_any_word(tok)) {
                        value = tok;
                        continue;
                }
                if (!is_named(tok) || tok->exact || n == 0 || strncmp(tok->keyword, word, n) != 0)
                        continue;
                if (match) {
                        *ret_ambiguous = true;
                        return NULL;
                }
                match = tok;
        }
        return match ? match : value;
}

/* "a, b or c": the names word abbreviates. */
static char *ambiguous_words(const TokenTable *t, const char *word)
{
        const char *names[16];
        size_t n = 0, len = strlen(word);
        char *s = xstrdup("");

        for (const Token *tok = t->tokens; tok->type != TOKEN_END && n < 16; tok++)
                if (is_named(tok) && !tok->exact && strncmp(tok->keyword, word, len) == 0)
                        names[n++] = tok->keyword;
        for (size_t i = 0; i < n; i++) {
                char *x = xasprintf("%s%s%s", s, i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
                free(s);
                s = x;
        }
        return s;
}

static int unknown_word(Parser *p, const TokenTable *t, const char *word, bool ambiguous)
{
        _cleanup_free_ char *valid = valid_words(t);

        if (ambiguous) {
                _cleanup_free_ char *names = ambiguous_words(t, word);
                return fail(p, "ambiguous %s '%s': could be %s", t->what, word, names);
        }
        return fail(p, "unknown %s '%s'; valid: %s", t->what, word, valid);
}

static int parse_word(Parser *p, const char *word)
{
        const Token *tok;
        bool ambiguous;

        /* "history hosts 10.0.0.5": the first word was meant as a KIND */
        if (p->table == &tt_history_end)
                return unknown_word(p, &tt_remove_kind, p->cmd.value, false);
        if (!table_has_words(p->table)) {
                _cleanup_free_ char *path = path_string(p);
                return fail(p, "unexpected argument '%s' after '%s'", word, path);
        }
        tok = match_token(p->table, word, &ambiguous);
        if (!tok)
                return unknown_word(p, p->table, word, ambiguous);
        switch (tok->type) {
        case TOKEN_KEYWORD:
                if (tok->value != CTL_ACTION_NONE)
                        p->cmd.action = (CtlAction) tok->value;
                path_push(p, tok->keyword);
                break;
        case TOKEN_KIND:
                p->cmd.kind = (CtlKind) tok->value;
                if (p->table == &tt_history)
                        p->history_word = word;
                path_push(p, tok->keyword);
                break;
        case TOKEN_VALUE:
        case TOKEN_SOURCE:
        case TOKEN_RESPONDER:
                if (!word[0]) {
                        _cleanup_free_ char *path = path_string(p);
                        return fail(p, "empty %s after '%s'", tok->keyword, path);
                }
                if (tok->type == TOKEN_VALUE)
                        p->cmd.value = word;
                else if (tok->type == TOKEN_RESPONDER)
                        p->cmd.responder = word;
                else
                        p->cmd.source = word;
                path_push(p, word);
                break;
        default:
                abort();
        }
        p->table = tok->next;
        return 0;
}

/* Whole days, digits only: strtoul would take "-1", " 3" and "0x10". */
static int parse_days(const char *s, uint64_t *ret_days)
{
        uint64_t n = 0;

        if (!*s)
                return -EINVAL;
        for (; *s; s++) {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                n = n * 10 + (uint64_t) (*s - '0');
                if (n > CTL_DAYS_MAX)
                        return -ERANGE;
        }
        if (n == 0)
                return -ERANGE;
        *ret_days = n;
        return 0;
}

static int set_expiry(Parser *p, const char *opt, CtlExpiry e, uint64_t sec)
{
        if (p->expiry_opt) {
                if (strcmp(p->expiry_opt, opt) == 0)
                        return fail(p, "%s given twice", opt);
                return fail(p, "%s and %s are mutually exclusive", p->expiry_opt, opt);
        }
        p->expiry_opt = opt;
        p->cmd.expiry = e;
        p->cmd.expires_in = sec;
        return 0;
}

/* An option's argument from a fixed list: exact, else a unique prefix.
 * The index, or -ENOENT / -EADDRNOTAVAIL (ambiguous). */
static int match_name(const char *const *names, const char *arg)
{
        size_t n = strlen(arg);
        int match = -ENOENT;

        for (int i = 0; names[i]; i++)
                if (strcmp(names[i], arg) == 0)
                        return i;
        for (int i = 0; names[i] && n > 0; i++) {
                if (strncmp(names[i], arg, n) != 0)
                        continue;
                if (match >= 0)
                        return -EADDRNOTAVAIL;
                match = i;
        }
        return match;
}

static char *join_names(const char *const *names, const char *prefix, const char *last_sep)
{
        size_t len = prefix ? strlen(prefix) : 0, n = 0;
        const char *pick[16];
        char *s = xstrdup("");

        for (size_t i = 0; names[i] && n < 16; i++)
                if (!prefix || strncmp(names[i], prefix, len) == 0)
                        pick[n++] = names[i];
        for (size_t i = 0; i < n; i++) {
                char *x = xasprintf("%s%s%s", s, i == 0 ? "" : i + 1 == n ? last_sep : ", ", pick[i]);
                free(s);
                s = x;
        }
        return s;
}

static int option_from_list(Parser *p, const char *opt, const char *const *names, const char *arg)
{
        int i = match_name(names, arg);

        if (i >= 0)
                return i;
        if (i == -EADDRNOTAVAIL) {
                _cleanup_free_ char *could = join_names(names, arg, " or ");
                return fail(p, "ambiguous %s '%s': could be %s", opt, arg, could);
        }
        _cleanup_free_ char *valid = join_names(names, NULL, ", ");
        return fail(p, "unknown %s '%s'; valid: %s", opt, arg, valid);
}

static int set_string(Parser *p, const char *opt, const char *what, const char **field, const char *arg)
{
        if (*field)
                return fail(p, "%s given twice", opt);
        if (!arg[0])
                return fail(p, "%s needs a non-empty %s", opt, what);
        *field = arg;
        return 0;
}

static const char *const kind_words[_CTL_KIND_MAX] = {
        "user", "host", "account", "destination", NULL,
};

static int apply_option(Parser *p, const Option *o, const char *arg)
{
        uint64_t n;
        int r;

        switch (o->id) {
        case OPT_SOCKET:
                if (!arg[0])
                        return fail(p, "--socket needs a non-empty path");
                p->cmd.socket = arg;
                return 0;
        case OPT_JSON:
                p->cmd.json = true;
                return 0;
        case OPT_HELP:
                p->cmd.action = CTL_ACTION_HELP;
                return 0;
        case OPT_VERSION:
                p->cmd.action = CTL_ACTION_VERSION;
                return 0;
        case OPT_DAYS:
                r = parse_days(arg, &n);
                if (r < 0)
                        return fail(p, "--days needs a whole number of days from 1 to %d, not '%s'",
                                    CTL_DAYS_MAX, arg);
                return set_expiry(p, "--days", CTL_EXPIRY_SECONDS, n * 86400);
        case OPT_EXPIRES:
                r = duration_parse(arg, &n);
                if (r == -ERANGE)
                        return fail(p, "--expires '%s' is too long (at most %d days)", arg, CTL_DAYS_MAX);
                if (r < 0)
                        return fail(p, "--expires needs a duration such as 30s, 10m, 4h, 30d or 1h30m, not '%s'",
                                    arg);
                if (n == 0)
                        return fail(p, "--expires must be longer than 0s");
                return set_expiry(p, "--expires", CTL_EXPIRY_SECONDS, n);
        case OPT_PERMANENT:
                return set_expiry(p, "--permanent", CTL_EXPIRY_PERMANENT, 0);
        case OPT_REASON:
                return set_string(p, "--reason", "TEXT", &p->cmd.reason, arg);
        case OPT_RESPONDER:
                return set_string(p, "--responder", "NAME", &p->cmd.responder, arg);
        case OPT_VALUE:
                return set_string(p, "--value", "VALUE", &p->cmd.value, arg);
        case OPT_STATE:
                if (p->cmd.state)
                        return fail(p, "--state given twice");
                r = option_from_list(p, "--state", state_names, arg);
                if (r < 0)
                        return r;
                p->cmd.state = state_names[r];
                return 0;
        case OPT_KIND:
                if (p->cmd.kind != CTL_KIND_NONE)
                        return fail(p, "--kind given twice");
                r = option_from_list(p, "--kind", kind_words, arg);
                if (r < 0)
                        return r;
                p->cmd.kind = (CtlKind) (CTL_KIND_USER + r);
                return 0;
        case OPT_ALL:
                p->cmd.all = true;
                return 0;
        case OPT_SOURCE:
                return set_string(p, "--source", "NAME", &p->cmd.source, arg);
        case OPT_DRY_RUN:
                p->cmd.dry_run = true;
                return 0;
        case OPT_SCORES_USER:
                return set_string(p, "--user", "NAME", &p->cmd.user, arg);
        case OPT_TOP:
                if (p->cmd.top)
                        return fail(p, "--top given twice");
                if (parse_days(arg, &n) < 0)
                        return fail(p, "--top needs a whole number from 1 to %d, not '%s'", CTL_DAYS_MAX, arg);
                p->cmd.top = n;
                return 0;
        case OPT_USER:
                if (!arg[0])
                        return fail(p, "--user needs a non-empty NAME");
                p->cmd.action = CTL_ACTION_WHITELIST_ADD;
                p->cmd.kind = CTL_KIND_USER;
                p->cmd.value = arg;
                p->cmd.compat = true;
                path_push(p, "--user");
                path_push(p, arg);
                p->table = &tt_add_opts;
                return 0;
        }
        abort();
}

static char *valid_options(const Option *opts)
{
        char *s = xstrdup("");

        for (const Option *o = opts; o->name; o++) {
                char *n;

                /* aliases (--username) would only lengthen the hint */
                if (o != opts && o[-1].id == o->id)
                        continue;
                n = xasprintf("%s%s--%s%s%s", s, s[0] ? ", " : "", o->name, o->arg ? " " : "",
                              o->arg ?: "");
                free(s);
                s = n;
        }
        return s;
}

/* Long options match like getopt_long: exact, else a unique prefix, where
 * prefixes of aliases of one option are not ambiguous. */
static const Option *match_long(const Option *const *tables, size_t n_tables, const char *name, size_t len,
                                bool *ret_ambiguous)
{
        const Option *match = NULL;

        *ret_ambiguous = false;
        for (size_t t = 0; t < n_tables; t++)
                for (const Option *o = tables[t]; o->name; o++)
                        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                                return o;
        for (size_t t = 0; t < n_tables; t++)
                for (const Option *o = tables[t]; o->name; o++) {
                        if (strncmp(o->name, name, len) != 0)
                                continue;
                        if (match && match->id != o->id) {
                                *ret_ambiguous = true;
                                return NULL;
                        }
                        if (!match)
                                match = o;
                }
        return match;
}

static const Option *match_short(const Option *const *tables, size_t n_tables, char c)
{
        for (size_t t = 0; t < n_tables; t++)
                for (const Option *o = tables[t]; o->name; o++)
                        if (o->short_name && o->short_name == c)
                                return o;
        return NULL;
}

static int unknown_option(Parser *p, const char *what, const char *opt, int len)
{
        _cleanup_free_ char *valid = valid_options(p->table->options);
        _cleanup_free_ char *path = path_string(p);

        if (!valid[0] || !path[0])
                return fail(p, "%s option '%.*s'", what, len, opt);
        return fail(p, "%s option '%.*s'; valid after '%s': %s", what, len, opt, path, valid);
}

/* argv[*i] starts with '-'; may consume argv[*i + 1] as the argument. */
static int parse_option(Parser *p, int argc, char *const *argv, int *i)
{
        const Option *const tables[] = { opts_global, p->table->options };
        const char *a = argv[*i];
        const Option *o;

        if (a[1] == '-') {
                const char *name = a + 2, *eq = strchr(name, '='), *arg;
                size_t len = eq ? (size_t) (eq - name) : strlen(name);
                bool ambiguous;

                o = match_long(tables, 2, name, len, &ambiguous);
                if (!o)
                        return unknown_option(p, ambiguous ? "ambiguous" : "unknown", a,
                                              (int) (eq ? (size_t) (eq - a) : strlen(a)));
                if (!o->arg) {
                        if (eq)
                                return fail(p, "option '--%s' takes no argument", o->name);
                        return apply_option(p, o, NULL);
                }
                if (eq)
                        arg = eq + 1;
                else if (*i + 1 < argc)
                        arg = argv[++*i];
                else
                        return fail(p, "option '--%s' needs an argument: %s", o->name, o->arg);
                return apply_option(p, o, arg);
        }

        /* a cluster of short options: "-js SOCKET", "-sSOCKET" */
        for (const char *c = a + 1; *c; c++) {
                int r;

                o = match_short(tables, 2, *c);
                if (!o) {
                        char opt[3] = { '-', *c, 0 };
                        return unknown_option(p, "unknown", opt, 2);
                }
                if (!o->arg) {
                        r = apply_option(p, o, NULL);
                        if (r < 0 || p->cmd.action == CTL_ACTION_HELP || p->cmd.action == CTL_ACTION_VERSION)
                                return r;
                        continue;
                }
                if (c[1])
                        return apply_option(p, o, c + 1);
                if (*i + 1 < argc)
                        return apply_option(p, o, argv[++*i]);
                return fail(p, "option '-%c' needs an argument: %s", *c, o->arg);
        }
        return 0;
}

static int parse_end(Parser *p)
{
        _cleanup_free_ char *path = NULL, *valid = NULL;

        /* "history host": one word is the VALUE, even when it names a kind */
        if (p->table == &tt_history_value && !p->cmd.value) {
                p->cmd.value = p->history_word;
                p->cmd.kind = CTL_KIND_NONE;
                return 0;
        }
        if (p->cmd.action == CTL_ACTION_SNA_SETUP && p->cmd.value) {
                const char *v = p->cmd.value;
                if (!v[0] || strspn(v, "0123456789") != strlen(v) || strlen(v) > 9 || !strtol(v, NULL, 10))
                        return fail(p, "EVENT_ID must be a security event type id, e.g. 16 (High Total "
                                    "Traffic) or 30 (High Traffic), got '%s'", v);
                p->cmd.event_id = strtol(v, NULL, 10);
        }
        if (table_may_end(p->table))
                return 0;
        path = path_string(p);
        valid = valid_words(p->table);
        if (!path[0])
                return fail(p, "missing %s; valid: %s", p->table->what, valid);
        if (is_any_word(&p->table->tokens[0]))
                return fail(p, "missing %s after '%s'", p->table->tokens[0].keyword, path);
        return fail(p, "missing %s after '%s'; valid: %s", p->table->what, path, valid);
}

int ctl_parse(int argc, char *const *argv, CtlCommand *ret, char **reterr_message)
{
        Parser p = { .table = &tt_main };
        bool dashdash = false;
        int r = 0;

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (!dashdash && strcmp(a, "--") == 0) {
                        dashdash = true;
                        continue;
                }
                if (!dashdash && a[0] == '-' && a[1])
                        r = parse_option(&p, argc, argv, &i);
                else
                        r = parse_word(&p, a);
                if (r < 0)
                        goto fail;
                /* -h and --version win over whatever else is wrong */
                if (p.cmd.action == CTL_ACTION_HELP || p.cmd.action == CTL_ACTION_VERSION)
                        goto done;
        }
        r = parse_end(&p);
        if (r < 0)
                goto fail;
done:
        *ret = p.cmd;
        return 0;
fail:
        if (reterr_message)
                *reterr_message = p.error;
        else
                free(p.error);
        return r;
}

const char *ctl_action_to_cmd(CtlAction a)
{
        switch (a) {
        case CTL_ACTION_STATUS:
                return "status";
        case CTL_ACTION_WHITELIST_ADD:
                return "whitelist.add";
        case CTL_ACTION_WHITELIST_REMOVE:
                return "whitelist.remove";
        case CTL_ACTION_WHITELIST_LIST:
                return "whitelist.list";
        case CTL_ACTION_RELOAD:
                return "reload";
        case CTL_ACTION_BLOCKS_LIST:
                return "blocks.list";
        case CTL_ACTION_HISTORY:
                return "history";
        case CTL_ACTION_BLOCK:
                return "block";
        case CTL_ACTION_UNBLOCK:
                return "unblock";
        case CTL_ACTION_RUN:
                return "run";
        case CTL_ACTION_PLAN:
                return "plan";
        case CTL_ACTION_RESPONDER_TEST:
                return "responder.test";
        case CTL_ACTION_SUMMARY_TEST:
                return "summary.test";
        case CTL_ACTION_SNA_SETUP:
                return "sna.setup";
        case CTL_ACTION_SCORES:
                return "scores";
        case CTL_ACTION_UMBRELLA_CATEGORIES:
                return "umbrella.categories";
        default:
                return NULL;
        }
}

bool ctl_action_is_list(CtlAction a)
{
        return a == CTL_ACTION_WHITELIST_LIST || a == CTL_ACTION_BLOCKS_LIST || a == CTL_ACTION_HISTORY ||
               a == CTL_ACTION_SCORES;
}

int ctl_action_timeout_ms(CtlAction a)
{
        switch (a) {
        case CTL_ACTION_BLOCK:
        case CTL_ACTION_UNBLOCK:
        case CTL_ACTION_RUN:
        case CTL_ACTION_PLAN:
        case CTL_ACTION_RESPONDER_TEST:
        case CTL_ACTION_SNA_SETUP:
        case CTL_ACTION_SUMMARY_TEST:
        case CTL_ACTION_UMBRELLA_CATEGORIES:
                return CTL_TIMEOUT_SLOW_MS;
        default:
                return CTL_TIMEOUT_MS;
        }
}

static const char *const kind_names[_CTL_KIND_MAX] = {
        [CTL_KIND_USER] = "user",
        [CTL_KIND_HOST] = "host",
        [CTL_KIND_ACCOUNT] = "account",
        [CTL_KIND_DESTINATION] = "destination",
};

const char *ctl_kind_to_string(CtlKind k)
{
        if (k <= CTL_KIND_NONE || k >= _CTL_KIND_MAX)
                return NULL;
        return kind_names[k];
}

CtlKind ctl_kind_from_string(const char *s)
{
        for (int k = CTL_KIND_NONE + 1; k < _CTL_KIND_MAX; k++)
                if (s && strcmp(kind_names[k], s) == 0)
                        return (CtlKind) k;
        return _CTL_KIND_INVALID;
}

static void add_optional(cJSON *args, const char *name, const char *value)
{
        if (value)
                cJSON_AddStringToObject(args, name, value);
}

cJSON *ctl_command_to_request(const CtlCommand *c, double id)
{
        const char *cmd = ctl_action_to_cmd(c->action);
        cJSON *args;

        if (!cmd)
                return NULL;
        args = cJSON_CreateObject();
        switch (c->action) {
        case CTL_ACTION_WHITELIST_ADD:
                cJSON_AddStringToObject(args, "kind", ctl_kind_to_string(c->kind));
                cJSON_AddStringToObject(args, "value", c->value);
                if (c->expiry == CTL_EXPIRY_SECONDS)
                        cJSON_AddNumberToObject(args, "expires_in", (double) c->expires_in);
                else if (c->expiry == CTL_EXPIRY_PERMANENT)
                        cJSON_AddTrueToObject(args, "permanent");
                if (c->reason)
                        cJSON_AddStringToObject(args, "reason", c->reason);
                break;
        case CTL_ACTION_WHITELIST_REMOVE:
                cJSON_AddStringToObject(args, "kind", ctl_kind_to_string(c->kind));
                cJSON_AddStringToObject(args, "value", c->value);
                break;
        case CTL_ACTION_WHITELIST_LIST:
                if (c->kind != CTL_KIND_NONE)
                        cJSON_AddStringToObject(args, "kind", ctl_kind_to_string(c->kind));
                break;
        case CTL_ACTION_BLOCKS_LIST:
                add_optional(args, "state", c->state);
                add_optional(args, "responder", c->responder);
                add_optional(args, "kind", ctl_kind_to_string(c->kind));
                add_optional(args, "value", c->value);
                break;
        case CTL_ACTION_HISTORY:
                add_optional(args, "kind", ctl_kind_to_string(c->kind));
                cJSON_AddStringToObject(args, "value", c->value);
                break;
        case CTL_ACTION_BLOCK:
        case CTL_ACTION_UNBLOCK:
                cJSON_AddStringToObject(args, "kind", ctl_kind_to_string(c->kind));
                cJSON_AddStringToObject(args, "value", c->value);
                add_optional(args, "responder", c->responder);
                add_optional(args, "reason", c->reason);
                if (c->expiry == CTL_EXPIRY_SECONDS)
                        cJSON_AddNumberToObject(args, "expires_in", (double) c->expires_in);
                break;
        case CTL_ACTION_RUN:
        case CTL_ACTION_PLAN:
                add_optional(args, "source", c->source);
                break;
        case CTL_ACTION_RESPONDER_TEST:
                cJSON_AddStringToObject(args, "name", c->responder);
                break;
        case CTL_ACTION_SNA_SETUP:
                cJSON_AddNumberToObject(args, "event_id", (double) c->event_id);
                add_optional(args, "source", c->source);
                if (c->dry_run)
                        cJSON_AddTrueToObject(args, "dry_run");
                break;
        case CTL_ACTION_SCORES:
                add_optional(args, "user", c->user);
                if (c->top)
                        cJSON_AddNumberToObject(args, "top", (double) c->top);
                break;
        default:
                break;
        }
        return ctl_request_new(id, cmd, args);
}

const char *ctl_socket_path(const char *arg, const char *env)
{
        if (arg && arg[0])
                return arg;
        if (env && env[0])
                return env;
        return CTL_SOCKET_DEFAULT;
}

const char *ctl_usage(void)
{
        return "Usage: secrespctl [-s SOCKET] [-j|--json] VERB [ARGS]\n"
               "\n"
               "Verbs:\n"
               "  status                        show the daemon's state, sources and responders\n"
               "  whitelist add KIND VALUE [--days N | --expires DURATION | --permanent]\n"
               "                [--reason TEXT]  exempt VALUE from responses (default: 30 days)\n"
               "  whitelist remove KIND VALUE   remove a whitelist entry\n"
               "  whitelist list [KIND]         list whitelist entries\n"
               "  whitelist --user NAME         the original tool's form of\n"
               "                                \"whitelist add user NAME\" (also -u, --username)\n"
               "  blocks [--state STATE] [--responder NAME] [--kind KIND] [--value VALUE]\n"
               "                                list blocks and their state on each responder\n"
               "  block KIND VALUE [--responder NAME] [--reason TEXT] [--expires DURATION]\n"
               "                                block VALUE now, on every capable responder\n"
               "  unblock KIND VALUE [--responder NAME] [--reason TEXT]\n"
               "                                lift a block\n"
               "  history [KIND] VALUE          what happened to VALUE, oldest first\n"
               "  run [SOURCE]                  run a source's cycle now\n"
               "  plan [SOURCE] [--all]         show what a cycle would block and unblock\n"
               "  reload                        reload secrespd's configuration\n"
               "  responder test NAME           check a responder's credentials and reachability,\n"
               "                                changing nothing\n"
               "  summary test                  send a test summary e-mail and syslog message\n"
               "                                (VAR's --test_smtp, --test_syslog)\n"
               "  sna setup EVENT_ID [--source NAME] [--dry-run]\n"
               "                                enable an SNA security event with the lab\n"
               "                                thresholds of the source's setup group\n"
               "  scores [--user NAME] [--top N]\n"
               "                                Umbrella risk scores: each user's latest and\n"
               "                                trend, or one user's history with its domains\n"
               "  umbrella categories           the organisation's security categories\n"
               "\n"
               "KIND is one of user, host, account, destination; STATE one of blocking,\n"
               "blocked, unblocking, unblocked, failed. Verbs, kinds and states may be\n"
               "abbreviated to any unique prefix: \"wh l\" is \"whitelist list\"; \"block\"\n"
               "and \"blocks\" are never abbreviated.\n"
               "DURATION is like 30s, 10m, 4h, 30d or 1h30m.\n"
               "\n"
               "Options:\n"
               "  -s, --socket SOCKET   control socket (default: $SECRESP_SOCKET, else\n"
               "                        " CTL_SOCKET_DEFAULT ")\n"
               "  -j, --json            print JSON for scripts\n"
               "  -h, --help            show this help\n"
               "      --version         show the version\n"
               "\n"
               "Exit status: 0 ok, 1 refused or failed, 2 usage error, 3 secrespd unreachable.\n";
}
