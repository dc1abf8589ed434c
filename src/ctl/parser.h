/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/* secrespctl's command line, parsed bgpctl-style: each word is matched
 * against a token table (unique prefixes allowed) that names the tables
 * valid next.  Pure: no I/O, no environment, no allocation beyond the error
 * message, so every path is unit-tested. */

#define CTL_SOCKET_DEFAULT "/run/secresp/control.sock"
#define CTL_DAYS_MAX       36500        /* DURATION_MAX_SEC in days */

/* How long secrespctl waits for each read or write on the socket.  The
 * daemon answers block, unblock, run and plan only after responders or a
 * source have answered, each bounded by its own timeouts. */
#define CTL_TIMEOUT_MS      10000
#define CTL_TIMEOUT_SLOW_MS 120000

typedef struct cJSON cJSON;

typedef enum CtlAction {
        CTL_ACTION_NONE,
        CTL_ACTION_HELP,
        CTL_ACTION_VERSION,
        CTL_ACTION_STATUS,
        CTL_ACTION_WHITELIST_ADD,
        CTL_ACTION_WHITELIST_REMOVE,
        CTL_ACTION_WHITELIST_LIST,
        CTL_ACTION_RELOAD,
        CTL_ACTION_BLOCKS_LIST,
        CTL_ACTION_HISTORY,
        CTL_ACTION_BLOCK,
        CTL_ACTION_UNBLOCK,
        CTL_ACTION_RUN,
        CTL_ACTION_PLAN,
        CTL_ACTION_RESPONDER_TEST,
        CTL_ACTION_SUMMARY_TEST,
        CTL_ACTION_SNA_SETUP,
        CTL_ACTION_SCORES,
        CTL_ACTION_UMBRELLA_CATEGORIES,
        _CTL_ACTION_MAX,
        _CTL_ACTION_INVALID = -EINVAL,
} CtlAction;

typedef enum CtlKind {
        CTL_KIND_NONE,
        CTL_KIND_USER,
        CTL_KIND_HOST,
        CTL_KIND_ACCOUNT,
        CTL_KIND_DESTINATION,
        _CTL_KIND_MAX,
        _CTL_KIND_INVALID = -EINVAL,
} CtlKind;

typedef enum CtlExpiry {
        CTL_EXPIRY_DEFAULT,     /* let the daemon apply its default (30 d) */
        CTL_EXPIRY_SECONDS,     /* expires_in */
        CTL_EXPIRY_PERMANENT,
} CtlExpiry;

/* Strings point into argv (or static tables) and live as long as it does. */
typedef struct CtlCommand {
        CtlAction action;
        bool json;
        const char *socket;     /* -s, NULL when not given */
        CtlKind kind;           /* CTL_KIND_NONE: any kind ("whitelist list", "blocks", "history") */
        const char *value;      /* VALUE, or blocks --value */
        CtlExpiry expiry;
        uint64_t expires_in;    /* seconds, for CTL_EXPIRY_SECONDS */
        const char *reason;
        bool compat;            /* the original tool's "whitelist --user NAME" */
        const char *responder;  /* blocks, block, unblock: --responder; responder test NAME */
        const char *state;      /* blocks --state, a canonical state name */
        const char *source;     /* run, plan: SOURCE */
        bool all;               /* plan --all: every decision, not only changes */
        int64_t event_id;       /* sna setup EVENT_ID */
        bool dry_run;           /* sna setup --dry-run */
        const char *user;       /* scores --user */
        uint64_t top;           /* scores --top N; 0: not given */
} CtlCommand;

/* 0 and *ret on success.  -EINVAL on a usage error, with a malloc'ed
 * one-line message (no program name, no newline) in *reterr_message. */
int ctl_parse(int argc, char *const *argv, CtlCommand *ret, char **reterr_message);

/* The protocol's "cmd" for an action that talks to the daemon, else NULL. */
const char *ctl_action_to_cmd(CtlAction a);
const char *ctl_kind_to_string(CtlKind k);
CtlKind ctl_kind_from_string(const char *s);
/* Whether the daemon answers with a stream of items rather than one reply. */
bool ctl_action_is_list(CtlAction a);
/* How long to wait for each read or write of the action's exchange. */
int ctl_action_timeout_ms(CtlAction a);

/* The request frame's JSON object for c, with request id id; owned by the
 * caller.  NULL when the action has no request (help, version). */
cJSON *ctl_command_to_request(const CtlCommand *c, double id);

/* -s, else $SECRESP_SOCKET (env, may be NULL or empty), else the default. */
const char *ctl_socket_path(const char *arg, const char *env);

/* The --help text, for stdout. */
const char *ctl_usage(void);
