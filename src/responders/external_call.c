/* SPDX-License-Identifier: MIT */
/* external_call ("External Call Client", responders.md §3.1): blocks and
 * unblocks by running operator-supplied programs, never through a shell.
 *
 * Configuration (one group of the responders list):
 *
 *   {
 *     name = "fw"; type = "external_call";          # read by the daemon
 *     simulation = false;                           # read by the daemon
 *     block_host = [ "/usr/local/bin/fw-block", "--ip", "{ip}" ];
 *     unblock_host = [ "/usr/local/bin/fw-unblock", "--ip", "{element}" ];
 *     block_account = [ ... ];  unblock_account = [ ... ];
 *     block_destination = [ ... ];  unblock_destination = [ ... ];
 *     timeout = "1m";                               # per run; SIGTERM, SIGKILL 5s later
 *     env = { FW_API = "https://fw.example.com"; }; # added to the child's environment
 *     permanent_exit_codes = [ 64, 65, 77, 78, 126, 127 ];
 *   }
 *
 * Each template is an argv: the first element is the program, an absolute
 * path without placeholders; every other element may contain placeholders,
 * each replaced INSIDE that one element ("--ip={ip}" stays one argument).
 * "{{" and "}}" are literal braces.  Placeholders and the kinds they exist
 * for:
 *   {ip} {mac} {hostname}   host: its IP, first MAC, full host name
 *   {account}               account: the account name
 *   {destination}           destination: the IP or CIDR
 *   {name} {id} {source}    any kind: display name, the source's id, the source
 *   {element}               unblock templates only: the element being removed
 * A placeholder that cannot have a value for its template's kind, or that
 * is unknown, is a configuration error.  A placeholder whose value is
 * missing for one entity (a host without a MAC) fails that call, for
 * good, without running anything; so does a value with control
 * characters, or a value starting with '-' at the start of an argument
 * (it could be taken for an option: write "--ip={ip}", not "{ip}", when
 * that can happen).
 *
 * A kind is supported when both its block and unblock templates are
 * given: caps follow, so the daemon refuses a source that needs a kind
 * this responder cannot handle.  Destinations include the static list.
 *
 * The child also gets SECRESP_RESPONDER, SECRESP_ACTION (block, unblock),
 * SECRESP_ENTITY_KIND, SECRESP_ENTITY, SECRESP_ELEMENT (unblock) and, for
 * scripts written for VAR, VAR_ENTITY_ID, VAR_HOST_NAME, VAR_HOST_IP and
 * VAR_MACS (space-separated); `env` entries are added last and win.
 *
 * Results:
 *   - exit 0: success.  block returns one element, the entity's value (the
 *     host's IP, the account name, the destination); unblock returns the
 *     elements whose run exited 0.
 *   - exit status listed in permanent_exit_codes (default 64 EX_USAGE,
 *     65 EX_DATAERR, 77 EX_NOPERM, 78 EX_CONFIG, 126 cannot execute,
 *     127 not found): permanent failure, not retried.
 *   - any other exit status (so 75 EX_TEMPFAIL and the usual 1), death by
 *     a signal, the timeout, too many processes or descriptors: transient
 *     failure, retried with backoff.  VAR retried every failed block on its
 *     next run and scripts written for it exit 1 on any error, so "retry"
 *     is the default; a script says "do not retry" with one of the codes.
 *   - the program cannot be executed (missing, not executable): permanent.
 * The error text names the template, the program and the status, followed
 * by the captured output (stdout and stderr, control characters replaced,
 * cut at 512 bytes).
 *
 * Simulation: nothing runs; block reports the element it would have
 * returned and unblock the elements it was given, after the same
 * placeholder checks, and the argv is logged. */
#include "config.h"
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "common/duration.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/exec.h"
#include "engine/entity.h"
#include "responders/responder.h"

#define EC_DEFAULT_TIMEOUT_SEC  60
#define EC_MAX_TIMEOUT_SEC      86400
#define EC_ERROR_OUTPUT_MAX     512

static const int default_permanent_codes[] = { 64, 65, 77, 78, 126, 127 };

typedef enum Tmpl {
        T_BLOCK_HOST,
        T_UNBLOCK_HOST,
        T_BLOCK_ACCOUNT,
        T_UNBLOCK_ACCOUNT,
        T_BLOCK_DESTINATION,
        T_UNBLOCK_DESTINATION,
        _T_MAX,
} Tmpl;

static const struct {
        const char *key;
        EntityKind kind;
        bool unblock;
} tmpl_info[_T_MAX] = {
        [T_BLOCK_HOST] = { "block_host", ENTITY_HOST, false },
        [T_UNBLOCK_HOST] = { "unblock_host", ENTITY_HOST, true },
        [T_BLOCK_ACCOUNT] = { "block_account", ENTITY_ACCOUNT, false },
        [T_UNBLOCK_ACCOUNT] = { "unblock_account", ENTITY_ACCOUNT, true },
        [T_BLOCK_DESTINATION] = { "block_destination", ENTITY_DESTINATION, false },
        [T_UNBLOCK_DESTINATION] = { "unblock_destination", ENTITY_DESTINATION, true },
};

typedef enum Ph {
        PH_IP,
        PH_MAC,
        PH_HOSTNAME,
        PH_NAME,
        PH_ACCOUNT,
        PH_ID,
        PH_DESTINATION,
        PH_SOURCE,
        PH_ELEMENT,
        _PH_MAX,
} Ph;

#define K(k) (1u << (k))
#define ALL_KINDS (K(ENTITY_HOST) | K(ENTITY_ACCOUNT) | K(ENTITY_DESTINATION))

static const struct {
        const char *name;
        unsigned kinds;
        bool unblock_only;
        const char *what;
} ph_info[_PH_MAX] = {
        [PH_IP] = { "ip", K(ENTITY_HOST), false, "IP address" },
        [PH_MAC] = { "mac", K(ENTITY_HOST), false, "MAC address" },
        [PH_HOSTNAME] = { "hostname", K(ENTITY_HOST), false, "host name" },
        [PH_NAME] = { "name", ALL_KINDS, false, "name" },
        [PH_ACCOUNT] = { "account", K(ENTITY_ACCOUNT), false, "account name" },
        [PH_ID] = { "id", ALL_KINDS, false, "source id" },
        [PH_DESTINATION] = { "destination", K(ENTITY_DESTINATION), false, "destination" },
        [PH_SOURCE] = { "source", ALL_KINDS, false, "source" },
        [PH_ELEMENT] = { "element", ALL_KINDS, true, "element" },
};

typedef struct Call Call;

typedef struct ExtCall {
        char **argv[_T_MAX];            /* NULL-terminated templates; NULL = not configured */
        char **env;                     /* "NAME=value", NULL-terminated; may be NULL */
        uint64_t timeout_ms;
        uint8_t permanent[256 / 8];     /* bit set of exit codes */
        Call *calls;                    /* in flight, to detach them in done() */
} ExtCall;

struct Call {
        ExtCall *owner;                 /* NULL once the responder is gone */
        Call *prev, *next;
        uv_timer_t defer;               /* delivery from the loop */

        char *responder;                /* instance name, for logs */
        const char *key;                /* template name */
        char *what;                     /* "host 10.0.0.5" */
        char ***argvs;                  /* one per run, NULL where expansion failed */
        char **labels;                  /* element (unblock) or value (block) of each run */
        char **env_common;              /* env for every run, without SECRESP_ELEMENT */
        size_t n_runs, cur;
        bool unblock;
        uint64_t timeout_ms;
        uint8_t permanent[256 / 8];
        ExecJob *job;

        char **ok;                      /* elements to report */
        size_t n_ok;
        int r;                          /* first failure */
        bool transient;
        char *error;                    /* joined failure texts */

        ResponderDone cb;
        void *userdata;
};

/* ---- small helpers ----------------------------------------------------- */

/* As entity_kind_to_string(), kept here so that this file links without
 * the engine's objects. */
static const char *kind_name(EntityKind k)
{
        switch (k) {
        case ENTITY_HOST: return "host";
        case ENTITY_ACCOUNT: return "account";
        case ENTITY_DESTINATION: return "destination";
        case ENTITY_USER: return "user";
        default: return "entity";
        }
}

static void strv_free(char **v)
{
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

static size_t strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

static void strv_push(char ***v, size_t *n, char *s)
{
        *v = xreallocarray(*v, *n + 2, sizeof(char *));
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
}

static bool has_ctrl(const char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool code_is_permanent(const uint8_t *set, int code)
{
        return code >= 0 && code < 256 && (set[code / 8] & (1u << (code % 8)));
}

/* "responders[0].block_host": where a setting is, for error messages. */
static char *setting_path(const config_setting_t *s)
{
        const config_setting_t *parent;
        const char *name;
        char *up, *p;

        if (!s)
                return xstrdup("?");
        parent = config_setting_parent(s);
        name = config_setting_name(s);
        if (!parent)
                return xstrdup("");
        up = setting_path(parent);
        if (name)
                p = up[0] ? xasprintf("%s.%s", up, name) : xstrdup(name);
        else
                p = xasprintf("%s[%d]", up, config_setting_index(s));
        free(up);
        return p;
}

static void add_err(char ***errs, size_t *n_errs, const config_setting_t *s, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void add_err(char ***errs, size_t *n_errs, const config_setting_t *s, const char *fmt, ...)
{
        const char *file = s ? config_setting_source_file(s) : NULL;
        unsigned line = s ? config_setting_source_line(s) : 0;
        _cleanup_free_ char *path = setting_path(s);
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        *errs = xreallocarray(*errs, *n_errs + 1, sizeof(char *));
        (*errs)[(*n_errs)++] = xasprintf("%s:%u: %s: %s", file ? file : "(config)", line, path, msg);
}

/* ---- templates --------------------------------------------------------- */

static Ph ph_lookup(const char *name, size_t n)
{
        for (int i = 0; i < _PH_MAX; i++)
                if (strlen(ph_info[i].name) == n && strncmp(ph_info[i].name, name, n) == 0)
                        return (Ph) i;
        return _PH_MAX;
}

/* Walks one template element.  With vals == NULL only checks the syntax
 * and the placeholders against the template (config time): 0, or -EINVAL
 * with *why (static or owned in *why_owned).  With vals expands into *ret:
 * 0, or -ENODATA with the missing placeholder in *ret_missing. */
static int tmpl_walk(const char *t, Tmpl tk, const char *const *vals, char **ret, Ph *ret_missing,
                     char **why)
{
        size_t cap = strlen(t) + 1, n = 0;
        char *out = vals ? xmalloc(cap) : NULL;

#define PUT(c) do {                                                             \
                if (out) {                                                      \
                        if (n + 1 >= cap)                                       \
                                out = xreallocarray(out, cap *= 2, 1);          \
                        out[n++] = (c);                                         \
                }                                                               \
        } while (0)

        for (const char *p = t; *p;) {
                if (p[0] == '{' && p[1] == '{') {
                        PUT('{');
                        p += 2;
                        continue;
                }
                if (p[0] == '}' && p[1] == '}') {
                        PUT('}');
                        p += 2;
                        continue;
                }
                if (p[0] != '{') {
                        PUT(*p);
                        p++;
                        continue;
                }
                const char *close = strchr(p + 1, '}');
                if (!close) {
                        if (why)
                                *why = xasprintf("'{' without '}' (write '{{' for a literal brace)");
                        free(out);
                        return -EINVAL;
                }
                Ph ph = ph_lookup(p + 1, (size_t) (close - p - 1));
                if (ph == _PH_MAX) {
                        if (why)
                                *why = xasprintf("unknown placeholder {%.*s} (known: {ip} {mac} {hostname} "
                                                 "{name} {account} {id} {destination} {source} {element})",
                                                 (int) (close - p - 1), p + 1);
                        free(out);
                        return -EINVAL;
                }
                if (!vals) {
                        if (!(ph_info[ph].kinds & K(tmpl_info[tk].kind))) {
                                if (why)
                                        *why = xasprintf("{%s} has no value for %ss", ph_info[ph].name,
                                                         kind_name(tmpl_info[tk].kind));
                                return -EINVAL;
                        }
                        if (ph_info[ph].unblock_only && !tmpl_info[tk].unblock) {
                                if (why)
                                        *why = xasprintf("{%s} exists in unblock templates only",
                                                         ph_info[ph].name);
                                return -EINVAL;
                        }
                } else {
                        const char *v = vals[ph];
                        if (!v || !*v) {
                                free(out);
                                *ret_missing = ph;
                                return -ENODATA;
                        }
                        for (; *v; v++)
                                PUT(*v);
                }
                p = close + 1;
        }
#undef PUT
        if (out) {
                out[n] = '\0';
                *ret = out;
        }
        return 0;
}

/* Reads one template: an array or list of strings, the program first. */
static char **read_template(const config_setting_t *s, Tmpl tk, char ***errs, size_t *n_errs)
{
        int type = config_setting_type(s), len = config_setting_length(s);
        char **argv;
        bool bad = false;

        if ((type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) || len < 1) {
                add_err(errs, n_errs, s, "expected a non-empty array of strings, e.g. "
                        "[ \"/usr/local/bin/fw-block\", \"--ip\", \"{ip}\" ]");
                return NULL;
        }
        argv = xnew(char *, (size_t) len + 1);
        for (int i = 0; i < len; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const char *v = e && config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
                _cleanup_free_ char *why = NULL;

                if (!v) {
                        add_err(errs, n_errs, s, "element %d: expected a string", i + 1);
                        bad = true;
                        continue;
                }
                if (has_ctrl(v)) {
                        add_err(errs, n_errs, s, "element %d: control characters", i + 1);
                        bad = true;
                } else if (i == 0) {
                        if (v[0] != '/')
                                add_err(errs, n_errs, s, "the program '%s' must be an absolute path "
                                        "(the daemon's PATH is not a shell's)", v), bad = true;
                        else if (strpbrk(v, "{}"))
                                add_err(errs, n_errs, s, "the program '%s' cannot contain placeholders "
                                        "(entity data must not choose what runs)", v), bad = true;
                } else if (tmpl_walk(v, tk, NULL, NULL, NULL, &why) < 0) {
                        add_err(errs, n_errs, s, "element %d '%s': %s", i + 1, v, why);
                        bad = true;
                }
                argv[i] = xstrdup(v);
        }
        if (bad) {
                for (int i = 0; i < len; i++)
                        free(argv[i]);
                free(argv);
                return NULL;
        }
        return argv;
}

static bool env_name_ok(const char *n)
{
        if (!n || !((*n >= 'A' && *n <= 'Z') || (*n >= 'a' && *n <= 'z') || *n == '_'))
                return false;
        for (; *n; n++)
                if (!((*n >= 'A' && *n <= 'Z') || (*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') ||
                      *n == '_'))
                        return false;
        return true;
}

/* ---- configure --------------------------------------------------------- */

static void ec_clear(ExtCall *ec)
{
        for (int t = 0; t < _T_MAX; t++) {
                strv_free(ec->argv[t]);
                ec->argv[t] = NULL;
        }
        strv_free(ec->env);
        ec->env = NULL;
}

static int ec_configure(Responder *r, const config_setting_t *group, char ***errs, size_t *n_errs)
{
        ExtCall *ec = r->priv;
        size_t errs_before = *n_errs, n_env = 0;
        const config_setting_t *s;
        unsigned caps = 0;
        bool any = false;

        if (!ec || !group)
                return -EINVAL;
        ec_clear(ec);
        ec->timeout_ms = (uint64_t) EC_DEFAULT_TIMEOUT_SEC * 1000;
        memset(ec->permanent, 0, sizeof(ec->permanent));
        for (size_t i = 0; i < sizeof(default_permanent_codes) / sizeof(default_permanent_codes[0]); i++)
                ec->permanent[default_permanent_codes[i] / 8] |= (uint8_t) (1u << (default_permanent_codes[i] % 8));

        /* Unknown settings, with a hint. */
        for (int i = 0; i < config_setting_length(group); i++) {
                const config_setting_t *m = config_setting_get_elem(group, (unsigned) i);
                const char *name = config_setting_name(m);
                bool known = false;

                if (!name)
                        continue;
                known = responder_common_setting(name);
                for (int t = 0; t < _T_MAX && !known; t++)
                        known = !strcmp(name, tmpl_info[t].key);
                known = known || !strcmp(name, "timeout") || !strcmp(name, "env") ||
                        !strcmp(name, "permanent_exit_codes");
                if (known)
                        continue;
                if (!strcmp(name, "host_block_cmd") || !strcmp(name, "HOST_BLOCK_CMD"))
                        add_err(errs, n_errs, m, "unknown setting (VAR's HOST_BLOCK_CMD is block_host here)");
                else if (strstr(name, "detection"))
                        add_err(errs, n_errs, m, "unknown setting (detections are blocked through their "
                                "destinations: block_destination, unblock_destination)");
                else {
                        const char *best = NULL;
                        for (int t = 0; t < _T_MAX && !best; t++) {
                                const char *k = tmpl_info[t].key;
                                size_t lk = strlen(k), ln = strlen(name);
                                unsigned diff = 0;
                                /* same length, at most two characters differ, or a transposition */
                                if (lk == ln) {
                                        for (size_t c = 0; c < lk; c++)
                                                diff += k[c] != name[c];
                                        if (diff <= 2)
                                                best = k;
                                }
                        }
                        if (!best && strstr(name, "timeout"))
                                best = "timeout";
                        if (!best && strstr(name, "exit"))
                                best = "permanent_exit_codes";
                        if (best)
                                add_err(errs, n_errs, m, "unknown setting, did you mean '%s'?", best);
                        else
                                add_err(errs, n_errs, m, "unknown setting for an external_call responder");
                }
        }

        for (int t = 0; t < _T_MAX; t++) {
                s = config_setting_get_member(group, tmpl_info[t].key);
                if (s)
                        ec->argv[t] = read_template(s, (Tmpl) t, errs, n_errs);
        }
        for (int t = 0; t < _T_MAX; t += 2) {
                const config_setting_t *b = config_setting_get_member(group, tmpl_info[t].key);
                const config_setting_t *u = config_setting_get_member(group, tmpl_info[t + 1].key);
                if (!b && !u)
                        continue;
                any = true;
                if (!b || !u) {
                        add_err(errs, n_errs, b ? b : u, "%s and %s go together: a block that cannot be "
                                "lifted, or an unblock for blocks never made, is a mistake "
                                "(use [ \"/bin/true\" ] for a no-op)",
                                tmpl_info[t].key, tmpl_info[t + 1].key);
                        continue;
                }
                if (tmpl_info[t].kind == ENTITY_HOST)
                        caps |= RESPONDER_CAP_HOST;
                else if (tmpl_info[t].kind == ENTITY_ACCOUNT)
                        caps |= RESPONDER_CAP_ACCOUNT;
                else
                        caps |= RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST;
        }
        if (!any)
                add_err(errs, n_errs, group, "an external_call responder needs at least one pair of "
                        "block_host/unblock_host, block_account/unblock_account, "
                        "block_destination/unblock_destination");

        s = config_setting_get_member(group, "timeout");
        if (s) {
                uint64_t sec = 0;
                int rr = -EINVAL;
                if (config_setting_type(s) == CONFIG_TYPE_STRING)
                        rr = duration_parse(config_setting_get_string(s), &sec);
                else if (config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) {
                        long long v = config_setting_get_int64(s);
                        rr = v < 0 ? -EINVAL : 0;
                        sec = (uint64_t) v;
                }
                if (rr < 0 || sec < 1 || sec > EC_MAX_TIMEOUT_SEC)
                        add_err(errs, n_errs, s, "expected a duration from 1s to 1d, e.g. \"30s\" or \"2m\"");
                else
                        ec->timeout_ms = sec * 1000;
        }

        s = config_setting_get_member(group, "env");
        if (s) {
                if (config_setting_type(s) != CONFIG_TYPE_GROUP)
                        add_err(errs, n_errs, s, "expected a group of strings, e.g. { FW_API = \"https://fw\"; }");
                else
                        for (int i = 0; i < config_setting_length(s); i++) {
                                const config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                                const char *n = config_setting_name(m);
                                const char *v = config_setting_type(m) == CONFIG_TYPE_STRING
                                        ? config_setting_get_string(m) : NULL;
                                if (!env_name_ok(n))
                                        add_err(errs, n_errs, m, "not a valid environment variable name");
                                else if (!v)
                                        add_err(errs, n_errs, m, "expected a string");
                                else if (strchr(v, '\n') || strchr(v, '\r'))
                                        add_err(errs, n_errs, m, "line breaks are not allowed");
                                else
                                        strv_push(&ec->env, &n_env, xasprintf("%s=%s", n, v));
                        }
        }

        s = config_setting_get_member(group, "permanent_exit_codes");
        if (s) {
                int type = config_setting_type(s);
                if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
                        add_err(errs, n_errs, s, "expected an array of exit codes, e.g. [ 64, 65, 78 ]");
                else {
                        memset(ec->permanent, 0, sizeof(ec->permanent));
                        for (int i = 0; i < config_setting_length(s); i++) {
                                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                                long long v = -1;
                                if (config_setting_type(e) == CONFIG_TYPE_INT ||
                                    config_setting_type(e) == CONFIG_TYPE_INT64)
                                        v = config_setting_get_int64(e);
                                if (v < 1 || v > 255)
                                        add_err(errs, n_errs, s, "element %d: expected an exit code from 1 to 255",
                                                i + 1);
                                else
                                        ec->permanent[v / 8] |= (uint8_t) (1u << (v % 8));
                        }
                }
        }

        if (*n_errs > errs_before) {
                ec_clear(ec);
                r->caps = 0;
                return -EINVAL;
        }
        r->caps = caps & r->ops->caps;
        return 0;
}

static void ec_done(Responder *r)
{
        ExtCall *ec = r->priv;

        if (!ec)
                return;
        /* Calls in flight own copies of what they need: let them finish
         * and report (the daemon waits for them before leaving the loop). */
        for (Call *c = ec->calls; c; c = c->next)
                c->owner = NULL;
        ec->calls = NULL;
        ec_clear(ec);
}

/* ---- calls ------------------------------------------------------------- */

static void values_for(const Entity *e, const char *vals[_PH_MAX])
{
        const EntityAttrs *a = &e->attrs;

        for (int i = 0; i < _PH_MAX; i++)
                vals[i] = NULL;
        vals[PH_NAME] = a->name;
        vals[PH_ID] = a->ext_id;
        vals[PH_SOURCE] = a->source;
        switch (e->kind) {
        case ENTITY_HOST:
                vals[PH_IP] = e->value;
                vals[PH_MAC] = a->macs ? a->macs[0] : NULL;
                vals[PH_HOSTNAME] = a->hostname;
                break;
        case ENTITY_ACCOUNT:
                vals[PH_ACCOUNT] = e->value;
                break;
        case ENTITY_DESTINATION:
                vals[PH_DESTINATION] = e->value;
                break;
        default:
                break;
        }
}

static char *sanitize(const char *s, size_t len, size_t max)
{
        char *out = xmalloc((len < max ? len : max) + 4);
        size_t n = 0;
        bool space = true;      /* drops leading blanks */

        for (size_t i = 0; i < len && n < max; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20 || c == 0x7f || c == ' ') {
                        if (!space)
                                out[n++] = ' ';
                        space = true;
                        continue;
                }
                out[n++] = (char) c;
                space = false;
        }
        while (n > 0 && out[n - 1] == ' ')
                n--;
        if (len > max && n > 0) {
                memcpy(out + n, "...", 3);
                n += 3;
        }
        out[n] = '\0';
        return out;
}

static void append_env(char ***env, size_t *n, const char *name, const char *value)
{
        char *v;

        if (!value || !*value)
                return;
        v = xasprintf("%s=%s", name, value);
        for (char *p = v + strlen(name) + 1; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        strv_push(env, n, v);
}

static char **env_for(const ExtCall *ec, const char *responder, bool unblock, const Entity *e)
{
        char **env = NULL, *macs = NULL;
        size_t n = 0;

        append_env(&env, &n, "SECRESP_RESPONDER", responder);
        append_env(&env, &n, "SECRESP_ACTION", unblock ? "unblock" : "block");
        append_env(&env, &n, "SECRESP_ENTITY_KIND", kind_name(e->kind));
        append_env(&env, &n, "SECRESP_ENTITY", e->value);
        append_env(&env, &n, "VAR_ENTITY_ID", e->attrs.ext_id);
        if (e->kind == ENTITY_HOST) {
                append_env(&env, &n, "VAR_HOST_NAME", e->attrs.hostname ? e->attrs.hostname : e->attrs.name);
                append_env(&env, &n, "VAR_HOST_IP", e->value);
                for (const char *const *m = e->attrs.macs; m && *m; m++) {
                        char *t = macs ? xasprintf("%s %s", macs, *m) : xstrdup(*m);
                        free(macs);
                        macs = t;
                }
                append_env(&env, &n, "VAR_MACS", macs);
                free(macs);
        }
        for (char *const *p = ec->env; p && *p; p++)
                strv_push(&env, &n, xstrdup(*p));
        if (!env)
                env = xnew(char *, 1);
        return env;
}

/* JSON-ish rendering of an argv for logs. */
static char *argv_string(char *const *argv)
{
        size_t cap = 64, n = 0;
        char *s = xmalloc(cap);

        s[n++] = '[';
        for (size_t i = 0; argv[i]; i++) {
                size_t need = strlen(argv[i]) * 4 + 8;
                if (n + need >= cap)
                        s = xreallocarray(s, cap = (n + need) * 2, 1);
                if (i)
                        s[n++] = ',', s[n++] = ' ';
                s[n++] = '"';
                for (const char *p = argv[i]; *p; p++) {
                        unsigned char c = (unsigned char) *p;
                        if (c == '"' || c == '\\')
                                s[n++] = '\\', s[n++] = (char) c;
                        else if (c < 0x20 || c == 0x7f)
                                n += (size_t) sprintf(s + n, "\\x%02x", c);
                        else
                                s[n++] = (char) c;
                }
                s[n++] = '"';
        }
        s[n++] = ']';
        s[n] = '\0';
        return s;
}

static void call_fail(Call *c, int r, bool transient, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void call_fail(Call *c, int r, bool transient, const char *fmt, ...)
{
        va_list ap;
        char *msg, *joined;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (c->r == 0)
                c->r = r;
        c->transient = c->transient || transient;
        if (c->error) {
                joined = xasprintf("%s; %s", c->error, msg);
                free(c->error);
                free(msg);
                c->error = joined;
        } else
                c->error = msg;
}

static void call_free(Call *c)
{
        for (size_t i = 0; i < c->n_runs; i++) {
                strv_free(c->argvs[i]);
                free(c->labels[i]);
        }
        free(c->argvs);
        free(c->labels);
        strv_free(c->env_common);
        for (size_t i = 0; i < c->n_ok; i++)
                free(c->ok[i]);
        free(c->ok);
        free(c->error);
        free(c->what);
        free(c->responder);
        free(c);
}

static void on_defer_closed(uv_handle_t *h)
{
        Call *c = h->data;
        ResponderResult res = {
                .r = c->r,
                .transient = c->r < 0 && c->transient,
                .elements = c->ok,
                .n_elements = c->n_ok,
                .error = c->r < 0 ? c->error : NULL,
        };

        if (c->r < 0 && !c->error)
                res.error = "failed";
        c->cb(c->userdata, &res);
        call_free(c);
}

static void on_defer(uv_timer_t *t)
{
        uv_close((uv_handle_t *) t, on_defer_closed);
}

static void call_deliver(Call *c)
{
        if (c->owner) {
                if (c->prev)
                        c->prev->next = c->next;
                else
                        c->owner->calls = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                c->owner = NULL;
        }
        (void) uv_timer_start(&c->defer, on_defer, 0, 0);
}

static void call_next(Call *c);

static void on_exec_done(const ExecResult *er, void *userdata)
{
        Call *c = userdata;
        const char *prog = c->argvs[c->cur][0];
        const char *label = c->labels[c->cur];
        _cleanup_free_ char *out = sanitize(er->output, er->output_len, EC_ERROR_OUTPUT_MAX);
        _cleanup_free_ char *tail = out[0] ? xasprintf(": %s", out) : xstrdup("");
        const char *forwhat = c->unblock ? "element " : "";

        c->job = NULL;
        if (er->r == 0 && er->term_signal == 0 && er->exit_status == 0) {
                strv_push(&c->ok, &c->n_ok, xstrdup(label));
                if (c->unblock)
                        log_debug("%s: %s: '%s' succeeded for %s, element '%s'", c->responder, c->key, prog,
                                  c->what, label);
                else
                        log_debug("%s: %s: '%s' succeeded for %s", c->responder, c->key, prog, c->what);
        } else if (er->r == -ETIMEDOUT)
                call_fail(c, -ETIMEDOUT, true, "%s: '%s' timed out after %" PRIu64 "s (%s%s) and was killed%s",
                          c->key, prog, c->timeout_ms / 1000, forwhat, label, tail);
        else if (er->r == -ECANCELED)
                call_fail(c, -ECANCELED, true, "%s: '%s' was cancelled (%s%s)%s", c->key, prog, forwhat, label,
                          tail);
        else if (er->r < 0) {
                int e = -er->r;
                bool transient = !(e == ENOENT || e == EACCES || e == ENOEXEC || e == ENOTDIR ||
                                   e == ELOOP || e == EPERM || e == EISDIR);
                call_fail(c, er->r, transient, "%s: cannot execute '%s': %s", c->key, prog, strerror(e));
        } else if (er->term_signal != 0)
                call_fail(c, -EIO, true, "%s: '%s' was killed by signal %d (%s) (%s%s)%s", c->key, prog,
                          er->term_signal, strsignal(er->term_signal), forwhat, label, tail);
        else {
                bool perm = code_is_permanent(c->permanent, er->exit_status);
                call_fail(c, -EIO, !perm, "%s: '%s' exited with status %d (%s%s)%s", c->key, prog, er->exit_status,
                          forwhat, label, tail);
        }
        c->cur++;
        call_next(c);
}

static void call_next(Call *c)
{
        for (; c->cur < c->n_runs; c->cur++) {
                char **env;
                size_t n_env;
                ExecOptions o;
                int r;

                if (!c->argvs[c->cur])
                        continue;       /* expansion failed: already recorded */
                if (c->r == -ECANCELED)
                        break;
                env = NULL;
                n_env = 0;
                for (char **p = c->env_common; p && *p; p++)
                        strv_push(&env, &n_env, xstrdup(*p));
                if (c->unblock)
                        append_env(&env, &n_env, "SECRESP_ELEMENT", c->labels[c->cur]);
                o = (ExecOptions) {
                        .argv = (const char *const *) c->argvs[c->cur],
                        .env = (const char *const *) env,
                        .timeout_ms = c->timeout_ms,
                        .cb = on_exec_done,
                        .userdata = c,
                };
                if (log_get_max_priority() >= LOG_DEBUG) {
                        _cleanup_free_ char *a = argv_string(c->argvs[c->cur]);
                        log_full(LOG_DEBUG, 0, NULL, NULL, "%s: %s for %s: running %s", c->responder, c->key,
                                 c->what, a);
                }
                r = exec_start(c->defer.loop, &o, &c->job);
                strv_free(env);
                if (r == 0)
                        return;         /* on_exec_done continues */
                call_fail(c, r, false, "%s: cannot run '%s': %s", c->key, c->argvs[c->cur][0], strerror(-r));
        }
        call_deliver(c);
}

static const char *missing_hint(Ph ph)
{
        switch (ph) {
        case PH_MAC:
                return " (the source reported no MAC address)";
        case PH_HOSTNAME:
                return " (the source reported no host name)";
        default:
                return "";
        }
}

/* Expands template tk for one run; NULL after recording a failure. */
static char **expand(Call *c, char *const *tmpl, Tmpl tk, const char **vals)
{
        size_t n = strv_len(tmpl);
        char **argv = xnew(char *, n + 1);

        argv[0] = xstrdup(tmpl[0]);
        for (size_t i = 1; i < n; i++) {
                Ph missing = _PH_MAX;
                int r = tmpl_walk(tmpl[i], tk, vals, &argv[i], &missing, NULL);

                if (r == -ENODATA) {
                        call_fail(c, -ENODATA, false, "%s: placeholder {%s} has no value for %s%s; not run",
                                  c->key, ph_info[missing].name, c->what, missing_hint(missing));
                        strv_free(argv);
                        return NULL;
                }
                if (has_ctrl(argv[i])) {
                        call_fail(c, -EINVAL, false, "%s: argument %zu would contain control characters "
                                  "(from %s data); not run", c->key, i + 1, c->what);
                        strv_free(argv);
                        return NULL;
                }
                /* A whole argument made of entity data must not look like an option. */
                if (argv[i][0] == '-' && tmpl[i][0] == '{' && tmpl[i][1] != '{') {
                        call_fail(c, -EINVAL, false, "%s: argument %zu '%s' would start with '-' (from %s data) "
                                  "and could be taken for an option; not run (write e.g. \"--ip={ip}\")",
                                  c->key, i + 1, argv[i], c->what);
                        strv_free(argv);
                        return NULL;
                }
        }
        return argv;
}

static int ec_start(Responder *r, const Entity *e, bool unblock, const char *const *elements, size_t n,
                    ResponderDone cb, void *userdata)
{
        ExtCall *ec = r->priv;
        Tmpl tk;
        Call *c;
        const char *vals[_PH_MAX];
        _cleanup_free_ char *safe_value = NULL;

        if (!ec || !e || !cb || !e->value || !e->value[0] || !r->loop)
                return -EINVAL;
        switch (e->kind) {
        case ENTITY_HOST:
                tk = unblock ? T_UNBLOCK_HOST : T_BLOCK_HOST;
                break;
        case ENTITY_ACCOUNT:
                tk = unblock ? T_UNBLOCK_ACCOUNT : T_BLOCK_ACCOUNT;
                break;
        case ENTITY_DESTINATION:
                tk = unblock ? T_UNBLOCK_DESTINATION : T_BLOCK_DESTINATION;
                break;
        default:
                return -EOPNOTSUPP;
        }
        if (!ec->argv[tk])
                return -EOPNOTSUPP;
        if (unblock)
                for (size_t i = 0; i < n; i++)
                        if (!elements || !elements[i])
                                return -EINVAL;

        c = xnew(Call, 1);
        (void) uv_timer_init(r->loop, &c->defer);
        c->defer.data = c;
        c->responder = xstrdup(r->name ? r->name : r->ops->module);
        c->key = tmpl_info[tk].key;
        safe_value = sanitize(e->value, strlen(e->value), 128);
        c->what = xasprintf("%s '%s'", kind_name(e->kind), safe_value);
        c->unblock = unblock;
        c->timeout_ms = ec->timeout_ms;
        memcpy(c->permanent, ec->permanent, sizeof(c->permanent));
        c->cb = cb;
        c->userdata = userdata;
        c->env_common = env_for(ec, c->responder, unblock, e);

        values_for(e, vals);
        c->n_runs = unblock ? n : 1;
        c->argvs = xnew(char **, c->n_runs ? c->n_runs : 1);
        c->labels = xnew(char *, c->n_runs ? c->n_runs : 1);
        for (size_t i = 0; i < c->n_runs; i++) {
                c->labels[i] = xstrdup(unblock ? elements[i] : e->value);
                vals[PH_ELEMENT] = unblock ? elements[i] : NULL;
                c->argvs[i] = expand(c, ec->argv[tk], tk, vals);
        }

        c->owner = ec;
        c->next = ec->calls;
        if (ec->calls)
                ec->calls->prev = c;
        ec->calls = c;

        if (r->simulation) {
                for (size_t i = 0; i < c->n_runs; i++) {
                        _cleanup_free_ char *a = NULL;
                        if (!c->argvs[i])
                                continue;
                        a = argv_string(c->argvs[i]);
                        log_full(LOG_INFO, 0, NULL, NULL, "%s: simulation: %s for %s: would run %s", c->responder,
                                 c->key, c->what, a);
                        strv_push(&c->ok, &c->n_ok, xstrdup(c->labels[i]));
                }
                call_deliver(c);
                return 0;
        }
        call_next(c);
        return 0;
}

/* Shutdown: every running command is killed; its call reports -ECANCELED
 * (transient), so the intent stays on disk and resumes at the next start. */
static void ec_cancel_all(Responder *r)
{
        ExtCall *ec = r->priv;

        for (Call *c = ec ? ec->calls : NULL; c; c = c->next) {
                if (!c->r)
                        c->r = -ECANCELED;
                c->transient = true;
                if (c->job)
                        (void) exec_cancel(c->job);
        }
}

static int ec_block(Responder *r, const Entity *e, ResponderDone cb, void *userdata)
{
        return ec_start(r, e, false, NULL, 0, cb, userdata);
}

static int ec_unblock(Responder *r, const Entity *e, const char *const *elements, size_t n, ResponderDone cb,
                      void *userdata)
{
        return ec_start(r, e, true, elements, n, cb, userdata);
}

const ResponderOps external_call_ops = {
        .module = "external_call",
        .client_name = "External Call Client",
        .caps = RESPONDER_CAP_HOST | RESPONDER_CAP_ACCOUNT | RESPONDER_CAP_DESTINATION | RESPONDER_CAP_STATIC_LIST,
        .priv_size = sizeof(ExtCall),
        .configure = ec_configure,
        /* processes, not vendor API sessions: as many as the reconciler ran before limits existed */
        .default_max_concurrent = 32,
        .done = ec_done,
        .block = ec_block,
        .unblock = ec_unblock,
        .cancel_all = ec_cancel_all,
};
