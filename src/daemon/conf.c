/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/duration.h"
#include "common/addr.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "daemon/conf.h"
#include "daemon/httpd.h"
#include "engine/whitelist.h"
#include "relays/relay_conf.h"
#include "responders/responder.h"

/* Each setting is described once in these tables: its name, type, range
 * and default.  The walker checks types and ranges, rejects unknown names
 * with a hint, and fills Config at the recorded offset, so adding a
 * setting is one table line (plus the man page and etc/ example). */
struct Walk;

typedef enum OptType {
        OPT_STRING,
        OPT_PATH,       /* absolute path */
        OPT_ENUM,       /* stored as the index into values[] */
        OPT_DURATION,   /* seconds; "30s 10m 4h 30d" or an integer */
        OPT_INT,
        OPT_SECRET,
        OPT_BOOL,
        OPT_STRINGS,    /* array of strings -> NULL-terminated char ** */
        OPT_INTS,       /* array of integers in min..max -> int64_t * and a count at count_offset;
                         * the default is written "1,2,3" */
        OPT_GROUP,      /* a nested group; children use the same base */
        OPT_LIST,       /* list of groups -> array of elem_size structs */
        OPT_CUSTOM,     /* parsed by parse() */
} OptType;

typedef struct Opt {
        const char *name;
        OptType type;
        size_t offset;
        int64_t min, max;
        const char *const *values;
        const char *def;
        const struct Opt *group;
        size_t count_offset;    /* OPT_LIST: where the element count goes */
        size_t elem_size;       /* OPT_LIST */
        bool allow_none;        /* OPT_INT: the string "none" gives -1 */
        int (*parse)(struct Walk *w, const config_setting_t *s, const char *fullname);
} Opt;

typedef struct Walk {
        const char *path;       /* top file */
        ConfigErrors *errs;
        Config *cfg;
        void *base;             /* struct that the current table's offsets point into */
} Walk;

static int parse_responders(Walk *w, const config_setting_t *s, const char *fullname);
static int parse_relays(Walk *w, const config_setting_t *s, const char *fullname);

#define OFF(f) offsetof(Config, f)
#define VOFF(f) offsetof(VectraConf, f)
#define SOFF(f) offsetof(SnaConf, f)
#define UOFF(f) offsetof(Config, umbrella.f)

static const char *const log_targets[] = { "auto", "journal", "stderr", NULL };
/* indexes are syslog priorities */
static const char *const log_levels[] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", NULL,
};
static const char *const score_ops[] = { "and", "or", NULL };
static const char *const api_versions[] = { "auto", "2.5", "3", NULL };
static const char *const auth_modes[] = { "oauth", "token", NULL };

static const Opt control_opts[] = {
        { "socket", OPT_PATH, OFF(control.socket) },
        { "group", OPT_STRING, OFF(control.group), .def = "secresp" },
        { "client_timeout", OPT_DURATION, OFF(control.client_timeout), 1, 600, .def = "10s" },
        { NULL },
};

static const Opt whitelist_opts[] = {
        { "default_expiry", OPT_DURATION, OFF(whitelist.default_expiry), 60, 3650 * 86400LL, .def = "30d" },
        { "sweep_interval", OPT_DURATION, OFF(whitelist.sweep_interval), 1, 86400, .def = "1m" },
        { NULL },
};

static const Opt http_opts[] = {
        { "ca_file", OPT_PATH, OFF(http.ca_file) },
        { "connect_timeout", OPT_DURATION, OFF(http.connect_timeout), 1, 300, .def = "10s" },
        { "timeout", OPT_DURATION, OFF(http.timeout), 1, 3600, .def = "60s" },
        { "max_host_connections", OPT_INT, OFF(http.max_host_connections), 1, 256, .def = "8" },
        { "max_total_connections", OPT_INT, OFF(http.max_total_connections), 1, 4096, .def = "64" },
        { "proxy", OPT_STRING, OFF(http.proxy) },
        { "proxy_user", OPT_STRING, OFF(http.proxy_user) },
        { "proxy_password", OPT_SECRET, OFF(http.proxy_password) },
        { NULL },
};

static const Opt relay_server_opts[] = {
        { "listen", OPT_STRINGS, OFF(relay_server.listen) },
        { "max_body", OPT_INT, OFF(relay_server.max_body), 1024, 64 << 20, .def = "1048576" },
        { "max_header_bytes", OPT_INT, OFF(relay_server.max_header_bytes), 4096, 1 << 20, .def = "32768" },
        { "max_connections", OPT_INT, OFF(relay_server.max_connections), 1, 100000, .def = "256" },
        { "idle_timeout", OPT_DURATION, OFF(relay_server.idle_timeout), 1, 3600, .def = "30s" },
        { "metrics", OPT_BOOL, OFF(relay_server.metrics), .def = "true" },
        { NULL },
};

static const Opt reconcile_opts[] = {
        { "retry_attempts", OPT_INT, OFF(reconcile.retry_attempts), 1, 100, .def = "6" },
        { "retry_base_ms", OPT_INT, OFF(reconcile.retry_base_ms), 10, 600000, .def = "2000" },
        { "retry_max", OPT_DURATION, OFF(reconcile.retry_max), 1, 86400, .def = "5m" },
        { "failed_interval", OPT_DURATION, OFF(reconcile.failed_interval), 1, 7 * 86400, .def = "1h" },
        { NULL },
};

/* VAR's defaults (vectra.md §1): 100/100 and urgency 101 switch scoring off. */
#define ENTITY_OPTS(grp, tag, untag)                                                                      \
        { "enabled", OPT_BOOL, VOFF(grp.enabled), .def = "true" },                                      \
        { "block_tag", OPT_STRING, VOFF(grp.block_tag), .def = tag },                                   \
        { "unblock_tag", OPT_STRING, VOFF(grp.unblock_tag), .def = untag },                             \
        { "block_group", OPT_STRING, VOFF(grp.block_group), .def = "Block" },                           \
        { "noblock_group", OPT_STRING, VOFF(grp.noblock_group), .def = "NoBlock" },                     \
        { "threat", OPT_INT, VOFF(grp.threat), 0, 100, .def = "100" },                                  \
        { "certainty", OPT_INT, VOFF(grp.certainty), 0, 100, .def = "100" },                            \
        { "score_op", OPT_ENUM, VOFF(grp.score_op), .values = score_ops, .def = "and" },                \
        { "urgency", OPT_INT, VOFF(grp.urgency), 0, 101, .def = "101", .allow_none = true },            \
        { "detection_types", OPT_STRINGS, VOFF(grp.detection_types) },                                  \
        { "detection_min_threat", OPT_INT, VOFF(grp.detection_min_threat), 0, 100, .def = "100" },      \
        { "detection_min_certainty", OPT_INT, VOFF(grp.detection_min_certainty), 0, 100, .def = "100" }, \
        { "detection_score_op", OPT_ENUM, VOFF(grp.detection_score_op), .values = score_ops, .def = "and" }, \
        { NULL }

static const Opt vectra_host_opts[] = { ENTITY_OPTS(hosts, "vectra_host_block", "vectra_host_unblock") };
static const Opt vectra_account_opts[] = {
        ENTITY_OPTS(accounts, "vectra_account_block", "vectra_account_unblock")
};
static const Opt vectra_detection_opts[] = {
        { "enabled", OPT_BOOL, VOFF(detections.enabled), .def = "true" },
        { "block_tag", OPT_STRING, VOFF(detections.block_tag), .def = "block" },
        { "unblock_tag", OPT_STRING, VOFF(detections.unblock_tag), .def = "unblock" },
        { "types", OPT_STRINGS, VOFF(detections.types) },
        { "host_threat", OPT_INT, VOFF(detections.host_threat), 0, 100, .def = "100" },
        { "host_certainty", OPT_INT, VOFF(detections.host_certainty), 0, 100, .def = "100" },
        { "host_score_op", OPT_ENUM, VOFF(detections.host_score_op), .values = score_ops, .def = "and" },
        { NULL },
};

static const Opt vectra_opts[] = {
        { "name", OPT_STRING, VOFF(name) },
        { "url", OPT_STRING, VOFF(url) },
        { "api_version", OPT_ENUM, VOFF(api_version), .values = api_versions, .def = "auto" },
        { "auth", OPT_ENUM, VOFF(auth), .values = auth_modes, .def = "oauth" },
        { "client_id", OPT_STRING, VOFF(client_id) },
        { "secret_key", OPT_SECRET, VOFF(secret_key) },
        { "token", OPT_SECRET, VOFF(token) },
        { "interval", OPT_DURATION, VOFF(interval), 10, 86400, .def = "5m" },
        { "page_size", OPT_INT, VOFF(page_size), 1, 5000, .def = "500" },
        { "ca_file", OPT_PATH, VOFF(ca_file) },
        { "tls_verify", OPT_BOOL, VOFF(tls_verify), .def = "true" },
        { "simulation", OPT_BOOL, VOFF(simulation), .def = "false" },
        { "max_new_blocks_per_cycle", OPT_INT, VOFF(max_new_blocks_per_cycle), 0, 1000000, .def = "0" },
        { "explicit_unblock", OPT_BOOL, VOFF(explicit_unblock), .def = "false" },
        { "groom", OPT_BOOL, VOFF(groom), .def = "false" },
        { "block_duration", OPT_DURATION, VOFF(block_duration), 0, 3650 * 86400LL, .def = "0" },
        { "block_days", OPT_STRINGS, VOFF(block_days) },
        { "block_start_hour", OPT_INT, VOFF(block_start_hour), 0, 23, .def = "0" },
        { "block_end_hour", OPT_INT, VOFF(block_end_hour), 0, 23, .def = "0" },
        { "responders", OPT_STRINGS, VOFF(responders) },
        { "static_destinations", OPT_PATH, VOFF(static_destinations) },
        { "hosts", OPT_GROUP, .group = vectra_host_opts },
        { "accounts", OPT_GROUP, .group = vectra_account_opts },
        { "detections", OPT_GROUP, .group = vectra_detection_opts },
        { NULL },
};

static const char *const sna_inside_from[] = { "networks", "host_groups", "either", NULL };
static const char *const sna_sides[] = { "both", "source", "target", NULL };

/* sna.md §6: the original setup.py's values */
static const Opt sna_setup_opts[] = {
        { "tolerance", OPT_STRING, SOFF(setup.tolerance), .def = "70" },
        { "min", OPT_STRING, SOFF(setup.min), .def = "100000" },
        { "max", OPT_STRING, SOFF(setup.max), .def = "500000" },
        { NULL },
};

/* A source's notify group (NotifyConf at `base` + offset), responders.md §7.1 */
#define NOTIFY_OPTS(OFFSET)                                                                             \
        { "webex_url", OPT_STRING, OFFSET + offsetof(NotifyConf, webex_url),                            \
          .def = "https://webexapis.com/v1" },                                                          \
        { "webex_token", OPT_SECRET, OFFSET + offsetof(NotifyConf, webex_token) },                      \
        { "webex_room_id", OPT_STRING, OFFSET + offsetof(NotifyConf, webex_room_id) },                  \
        { "webex_to", OPT_STRING, OFFSET + offsetof(NotifyConf, webex_to) },                            \
        { "ca_file", OPT_PATH, OFFSET + offsetof(NotifyConf, ca_file) },                                \
        { "tls_verify", OPT_BOOL, OFFSET + offsetof(NotifyConf, tls_verify), .def = "true" },           \
        { "timeout", OPT_DURATION, OFFSET + offsetof(NotifyConf, timeout), 1, 300, .def = "30s" },      \
        { "max_bytes", OPT_INT, OFFSET + offsetof(NotifyConf, max_bytes), 512, 7439, .def = "7439" },   \
        { NULL }

static const Opt sna_notify_opts[] = { NOTIFY_OPTS(SOFF(notify)) };

#define EOFF(f) (SOFF(enrich) + offsetof(EnrichConf, f))
static const Opt sna_enrich_opts[] = {
        { "umbrella_url", OPT_STRING, EOFF(umbrella_url), .def = "https://investigate.api.umbrella.com" },
        { "umbrella_token", OPT_SECRET, EOFF(umbrella_token) },
        { "amp_url", OPT_STRING, EOFF(amp_url), .def = "https://api.amp.cisco.com" },
        { "amp_client_id", OPT_STRING, EOFF(amp_client_id) },
        { "amp_api_key", OPT_SECRET, EOFF(amp_api_key) },
        { "max_peers", OPT_INT, EOFF(max_peers), 1, 16, .def = "3" },
        { "cache_ttl", OPT_DURATION, EOFF(cache_ttl), 0, 7 * 86400, .def = "1h" },
        { "timeout", OPT_DURATION, EOFF(timeout), 1, 300, .def = "20s" },
        { "ca_file", OPT_PATH, EOFF(ca_file) },
        { "tls_verify", OPT_BOOL, EOFF(tls_verify), .def = "true" },
        { NULL },
};

static const Opt sna_opts[] = {
        { "name", OPT_STRING, SOFF(name) },
        { "url", OPT_STRING, SOFF(url) },
        { "username", OPT_STRING, SOFF(username) },
        { "password", OPT_SECRET, SOFF(password) },
        { "tenant_id", OPT_INT, SOFF(tenant_id), 0, INT32_MAX, .def = "0" },
        { "tls_verify", OPT_BOOL, SOFF(tls_verify), .def = "true" },
        { "ca_file", OPT_PATH, SOFF(ca_file) },
        { "interval", OPT_DURATION, SOFF(interval), 10, 86400, .def = "10m" },
        { "events", OPT_STRINGS, SOFF(events) },
        { "time_window", OPT_DURATION, SOFF(time_window), 60, 7 * 86400, .def = "60m" },
        { "poll_interval", OPT_DURATION, SOFF(poll_interval), 1, 60, .def = "1s" },
        { "poll_timeout", OPT_DURATION, SOFF(poll_timeout), 1, 3600, .def = "2m" },
        { "session_lifetime", OPT_DURATION, SOFF(session_lifetime), 10, 86400, .def = "19m" },
        { "inside_networks", OPT_STRINGS, SOFF(inside_networks) },
        { "inside_from", OPT_ENUM, SOFF(inside_from), .values = sna_inside_from, .def = "networks" },
        { "sides", OPT_ENUM, SOFF(sides), .values = sna_sides, .def = "both" },
        { "max_hosts", OPT_INT, SOFF(max_hosts), 0, 1000000, .def = "0" },
        { "host_ttl", OPT_DURATION, SOFF(host_ttl), 0, 3650 * 86400LL, .def = "0" },
        { "responders", OPT_STRINGS, SOFF(responders) },
        { "simulation", OPT_BOOL, SOFF(simulation), .def = "false" },
        { "setup", OPT_GROUP, .group = sna_setup_opts },
        { "notify", OPT_GROUP, .group = sna_notify_opts },
        { "enrich", OPT_GROUP, .group = sna_enrich_opts },
        { NULL },
};

/* VAR's SEND_EMAIL, SMTP_*, SRC_EMAIL, DST_EMAIL; "try" is VAR's STARTTLS-if-offered */
static const char *const mail_tls_modes[] = { "try", "starttls", "none", "tls", NULL };
static const Opt summary_email_opts[] = {
        { "server", OPT_STRING, OFF(summary.email.server) },
        { "port", OPT_INT, OFF(summary.email.port), 1, 65535, .def = "25" },
        { "tls", OPT_ENUM, OFF(summary.email.tls), .values = mail_tls_modes, .def = "try" },
        { "from", OPT_STRING, OFF(summary.email.from) },
        { "to", OPT_STRINGS, OFF(summary.email.to) },
        { "user", OPT_STRING, OFF(summary.email.user) },
        { "password", OPT_SECRET, OFF(summary.email.password) },
        { "subject", OPT_STRING, OFF(summary.email.subject), .def = "Vectra Automated Response" },
        { NULL },
};

/* VAR's SEND_SYSLOG, SYSLOG_SERVER, SYSLOG_PORT, SYSLOG_PROTO, SYSLOG_FORMAT */
static const char *const syslog_protocols[] = { "tcp", "udp", NULL };
static const char *const syslog_formats[] = { "cef", "standard", NULL };
static const Opt summary_syslog_opts[] = {
        { "server", OPT_STRING, OFF(summary.syslog.server) },
        { "port", OPT_INT, OFF(summary.syslog.port), 1, 65535, .def = "514" },
        { "protocol", OPT_ENUM, OFF(summary.syslog.protocol), .values = syslog_protocols, .def = "tcp" },
        { "format", OPT_ENUM, OFF(summary.syslog.format), .values = syslog_formats, .def = "cef" },
        { NULL },
};

static const Opt summary_opts[] = {
        { "email", OPT_GROUP, .group = summary_email_opts },
        { "syslog", OPT_GROUP, .group = summary_syslog_opts },
        { NULL },
};

static const char *const umbrella_apis[] = { "new", "legacy", NULL };
static const char *const umbrella_user_sources[] = { "radius", "config", NULL };
static const char *const radius_backends[] = { "sqlite", "postgresql", NULL };

/* The original's key names where it had them (umbrella.md §2.3). */
static const Opt umbrella_opts[] = {
        { "enabled", OPT_BOOL, UOFF(enabled), .def = "false" },
        { "api", OPT_ENUM, UOFF(api), .values = umbrella_apis, .def = "new" },
        { "token_url", OPT_STRING, UOFF(token_url) },
        { "reports_url", OPT_STRING, UOFF(reports_url) },
        { "investigate_url", OPT_STRING, UOFF(investigate_url) },
        { "org_id", OPT_STRING, UOFF(org_id) },
        { "key", OPT_SECRET, UOFF(key) },
        { "secret", OPT_SECRET, UOFF(secret) },
        { "investigate_token", OPT_SECRET, UOFF(investigate_token) },
        { "categories", OPT_INTS, UOFF(categories), 1, 100000, .count_offset = UOFF(n_categories),
          .def = "65,62,110,60,106,108,109,150,61,64,66,68,67,63" },
        { "from", OPT_STRING, UOFF(from), .def = "-30days" },
        { "to", OPT_STRING, UOFF(to), .def = "now" },
        { "page_limit", OPT_INT, UOFF(page_limit), 1, 5000, .def = "5000" },
        { "identities_limit", OPT_INT, UOFF(identities_limit), 1, 5000, .def = "1000" },
        { "identity_type", OPT_STRING, UOFF(identity_type), .def = "anyconnect" },
        { "score_very_risky", OPT_INT, UOFF(score_very_risky), 0, 100, .def = "55" },
        { "group_thresholds", OPT_INTS, UOFF(group_thresholds), 0, 100, .count_offset = UOFF(n_group_thresholds),
          .def = "20,55" },
        { "vpn_groups", OPT_STRINGS, UOFF(vpn_groups) },
        { "users_from", OPT_ENUM, UOFF(users_from), .values = umbrella_user_sources, .def = "radius" },
        { "users", OPT_STRINGS, UOFF(users) },
        { "radius_backend", OPT_ENUM, UOFF(radius_backend), .values = radius_backends, .def = "sqlite" },
        { "radius_database", OPT_PATH, UOFF(radius_database) },
        { "radius_conninfo", OPT_STRING, UOFF(radius_conninfo) },
        { "radius_password", OPT_SECRET, UOFF(radius_password) },
        { "whitelist_days", OPT_DURATION, UOFF(whitelist_days), 0, 3650 * 86400LL, .def = "30d" },
        { "interval", OPT_DURATION, UOFF(interval), 10, 7 * 86400, .def = "1h" },
        { "score_ttl", OPT_DURATION, UOFF(score_ttl), 0, 365 * 86400LL, .def = "1d" },
        { "max_in_flight", OPT_INT, UOFF(max_in_flight), 1, 256, .def = "20" },
        { "redirect_domains", OPT_STRINGS, UOFF(redirect_domains) },
        { "ca_file", OPT_PATH, UOFF(ca_file) },
        { "tls_verify", OPT_BOOL, UOFF(tls_verify), .def = "true" },
        { "simulation", OPT_BOOL, UOFF(simulation), .def = "false" },
        { "responders", OPT_STRINGS, UOFF(responders) },
        { NULL },
};

static const Opt root_opts[] = {
        { "state_directory", OPT_PATH, OFF(state_directory) },
        { "runtime_directory", OPT_PATH, OFF(runtime_directory) },
        { "log_target", OPT_ENUM, OFF(log_target), .values = log_targets, .def = "auto" },
        { "log_level", OPT_ENUM, OFF(log_level), .values = log_levels, .def = "info" },
        { "control", OPT_GROUP, .group = control_opts },
        { "whitelist", OPT_GROUP, .group = whitelist_opts },
        { "http", OPT_GROUP, .group = http_opts },
        { "protect", OPT_STRINGS, OFF(protect) },
        { "reconcile", OPT_GROUP, .group = reconcile_opts },
        { "responders", OPT_CUSTOM, .parse = parse_responders },
        { "relay_server", OPT_GROUP, .group = relay_server_opts },
        { "relays", OPT_CUSTOM, .parse = parse_relays },
        { "summary", OPT_GROUP, .group = summary_opts },
        { "vectra", OPT_LIST, OFF(vectra), .count_offset = OFF(n_vectra), .elem_size = sizeof(VectraConf),
          .group = vectra_opts },
        { "sna", OPT_LIST, OFF(sna), .count_offset = OFF(n_sna), .elem_size = sizeof(SnaConf), .group = sna_opts },
        { "umbrella", OPT_GROUP, .group = umbrella_opts },
        { NULL },
};

static void errs_add(ConfigErrors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errs_add(ConfigErrors *e, const char *fmt, ...)
{
        va_list ap;

        e->lines = xreallocarray(e->lines, e->n + 1, sizeof(char *));
        va_start(ap, fmt);
        e->lines[e->n++] = xvasprintf(fmt, ap);
        va_end(ap);
}

void config_errors_done(ConfigErrors *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->lines[i]);
        free(e->lines);
        *e = (ConfigErrors) { 0 };
}

static unsigned edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned *row, r;

        if (la > 64 || lb > 64)
                return 99;
        row = xnew(unsigned, lb + 1);
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        row[j] = best;
                        diag = up;
                }
        }
        r = row[lb];
        free(row);
        return r;
}

static const char *did_you_mean(const Opt *opts, const char *name)
{
        const char *best = NULL;
        unsigned best_d = 3;

        for (const Opt *o = opts; o->name; o++) {
                unsigned d = edit_distance(name, o->name);
                if (d < best_d || (!best && strlen(name) >= 4 && strstr(o->name, name))) {
                        best = o->name;
                        best_d = d;
                }
        }
        return best;
}

static void walk_err(Walk *w, const config_setting_t *s, const char *fullname, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void walk_err(Walk *w, const config_setting_t *s, const char *fullname, const char *fmt, ...)
{
        const char *file = s ? config_setting_source_file(s) : NULL;
        unsigned line = s ? config_setting_source_line(s) : 0;
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        errs_add(w->errs, "%s:%u: %s: %s", file ? file : w->path, line, fullname, msg);
}

static const char *type_name(int t)
{
        switch (t) {
        case CONFIG_TYPE_GROUP: return "a group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64: return "an integer";
        case CONFIG_TYPE_FLOAT: return "a number";
        case CONFIG_TYPE_STRING: return "a string";
        case CONFIG_TYPE_BOOL: return "a boolean";
        case CONFIG_TYPE_ARRAY: return "an array";
        case CONFIG_TYPE_LIST: return "a list";
        default: return "a value";
        }
}

static void *field(Walk *w, const Opt *o)
{
        return (char *) w->base + o->offset;
}

/* Parses one value given as text (defaults) or as a libconfig setting. */
static int set_value(Walk *w, const Opt *o, const config_setting_t *s, const char *text, const char *fullname)
{
        int t = s ? config_setting_type(s) : CONFIG_TYPE_STRING;
        char buf[32];

        switch (o->type) {
        case OPT_STRING:
        case OPT_PATH:
        case OPT_SECRET:
        case OPT_ENUM:
                if (t != CONFIG_TYPE_STRING) {
                        walk_err(w, s, fullname, "expected a string, got %s", type_name(t));
                        return -EINVAL;
                }
                if (s)
                        text = config_setting_get_string(s);
                break;
        case OPT_DURATION:
                if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
                        long long v = config_setting_get_int64(s);
                        if (v < 0) {
                                walk_err(w, s, fullname, "a duration cannot be negative");
                                return -EINVAL;
                        }
                        snprintf(buf, sizeof(buf), "%lld", v);
                        text = buf;
                } else if (t == CONFIG_TYPE_STRING) {
                        if (s)
                                text = config_setting_get_string(s);
                } else {
                        walk_err(w, s, fullname, "expected a duration such as \"30s\", \"10m\", \"4h\" or \"30d\", got %s",
                                 type_name(t));
                        return -EINVAL;
                }
                break;
        case OPT_BOOL:
                if (s) {
                        if (t != CONFIG_TYPE_BOOL) {
                                walk_err(w, s, fullname, "expected true or false, got %s", type_name(t));
                                return -EINVAL;
                        }
                        text = config_setting_get_bool(s) ? "true" : "false";
                }
                break;
        case OPT_INTS:
                if (s && t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
                        walk_err(w, s, fullname, "expected an array of integers [ 1, 2 ], got %s", type_name(t));
                        return -EINVAL;
                }
                break;
        case OPT_STRINGS:
                if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
                        walk_err(w, s, fullname, "expected an array of strings [ \"a\", \"b\" ], got %s",
                                 type_name(t));
                        return -EINVAL;
                }
                break;
        case OPT_INT:
                if (s && o->allow_none && t == CONFIG_TYPE_STRING && !strcmp(config_setting_get_string(s), "none")) {
                        *(int64_t *) field(w, o) = -1;
                        return 0;
                }
                if (s) {
                        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                                walk_err(w, s, fullname, "expected an integer, got %s", type_name(t));
                                return -EINVAL;
                        }
                        snprintf(buf, sizeof(buf), "%lld", config_setting_get_int64(s));
                        text = buf;
                }
                break;
        default:
                return -EINVAL;
        }

        switch (o->type) {
        case OPT_PATH:
                if (text[0] != '/') {
                        walk_err(w, s, fullname, "must be an absolute path, got \"%s\"", text);
                        return -EINVAL;
                }
                __attribute__((fallthrough));
        case OPT_STRING: {
                char **p = field(w, o);
                free(*p);
                *p = xstrdup(text);
                return 0;
        }
        case OPT_SECRET: {
                Secret *p = field(w, o);
                _cleanup_free_ char *why = NULL;
                Secret sec;
                int r = secret_resolve(text, &sec, &why);
                if (r < 0) {
                        /* why names the reference, never a value */
                        walk_err(w, s, fullname, "%s", why);
                        return r;
                }
                secret_done(p);
                *p = sec;
                return 0;
        }
        case OPT_ENUM:
                for (int i = 0; o->values[i]; i++)
                        if (!strcmp(text, o->values[i])) {
                                *(int *) field(w, o) = i;
                                return 0;
                        }
                {
                        _cleanup_free_ char *list = NULL;
                        for (int i = 0; o->values[i]; i++) {
                                char *n = xasprintf("%s%s\"%s\"", list ? list : "", list ? ", " : "", o->values[i]);
                                free(list);
                                list = n;
                        }
                        walk_err(w, s, fullname, "unknown value \"%s\"; expected one of %s", text, list);
                }
                return -EINVAL;
        case OPT_DURATION: {
                uint64_t v;
                char lo[32], hi[32];
                int r = duration_parse(text, &v);
                if (r < 0) {
                        walk_err(w, s, fullname, "invalid duration \"%s\" (use e.g. \"30s\", \"10m\", \"4h\", \"30d\", \"1h30m\")",
                                 text);
                        return r;
                }
                if ((int64_t) v < o->min || (int64_t) v > o->max) {
                        duration_format((uint64_t) o->min, lo, sizeof(lo));
                        duration_format((uint64_t) o->max, hi, sizeof(hi));
                        walk_err(w, s, fullname, "duration \"%s\" is out of range %s..%s", text, lo, hi);
                        return -ERANGE;
                }
                *(uint64_t *) field(w, o) = v;
                return 0;
        }
        case OPT_BOOL:
                *(bool *) field(w, o) = !strcmp(text, "true");
                return 0;
        case OPT_STRINGS: {
                char ***p = field(w, o);
                int n = config_setting_length(s);
                char **v = xnew(char *, (size_t) n + 1);
                for (int i = 0; i < n; i++) {
                        const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                                walk_err(w, e, fullname, "element %d: expected a string, got %s", i + 1,
                                         type_name(config_setting_type(e)));
                                for (int j = 0; j < i; j++)
                                        free(v[j]);
                                free(v);
                                return -EINVAL;
                        }
                        v[i] = xstrdup(config_setting_get_string(e));
                }
                strv_free(*p);
                *p = v;
                return 0;
        }
        case OPT_INTS: {
                int64_t **p = field(w, o);
                size_t *count = (size_t *) ((char *) w->base + o->count_offset);
                _cleanup_free_ int64_t *v = NULL;
                size_t n = 0;

                if (!s) {
                        /* the default, "1,2,3" */
                        _cleanup_free_ char *copy = xstrdup(text);
                        char *save = NULL;
                        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                                v = xreallocarray(v, n + 1, sizeof(int64_t));
                                v[n++] = strtoll(tok, NULL, 10);
                        }
                } else {
                        int len = config_setting_length(s);
                        v = xnew(int64_t, (size_t) len + 1);
                        for (int i = 0; i < len; i++) {
                                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                                int et = config_setting_type(e);
                                long long x;
                                if (et != CONFIG_TYPE_INT && et != CONFIG_TYPE_INT64) {
                                        walk_err(w, e, fullname, "element %d: expected an integer, got %s", i + 1,
                                                 type_name(et));
                                        return -EINVAL;
                                }
                                x = config_setting_get_int64(e);
                                if (x < o->min || x > o->max) {
                                        walk_err(w, e, fullname, "element %d: %lld is out of range %lld..%lld",
                                                 i + 1, x, (long long) o->min, (long long) o->max);
                                        return -ERANGE;
                                }
                                v[n++] = x;
                        }
                }
                free(*p);
                *p = v;
                v = NULL;
                *count = n;
                return 0;
        }
        case OPT_INT: {
                char *end;
                long long v;
                errno = 0;
                v = strtoll(text, &end, 10);
                if (errno || *end) {
                        walk_err(w, s, fullname, "invalid integer \"%s\"", text);
                        return -EINVAL;
                }
                if (v < o->min || v > o->max) {
                        walk_err(w, s, fullname, "%lld is out of range %lld..%lld", v, (long long) o->min,
                                 (long long) o->max);
                        return -ERANGE;
                }
                *(int64_t *) field(w, o) = v;
                return 0;
        }
        default:
                return -EINVAL;
        }
}

static void apply_defaults(Walk *w, const Opt *opts, const char *prefix)
{
        for (const Opt *o = opts; o->name; o++) {
                _cleanup_free_ char *full = xasprintf("%s%s", prefix, o->name);
                if (o->type == OPT_GROUP) {
                        _cleanup_free_ char *p = xasprintf("%s.", full);
                        apply_defaults(w, o->group, p);
                } else if (o->def)
                        (void) set_value(w, o, NULL, o->def, full);
        }
}

static void walk_group(Walk *w, const config_setting_t *g, const Opt *opts, const char *prefix);

/* A list of groups, each filled from the same table into a fresh element. */
static void walk_list(Walk *w, const config_setting_t *s, const Opt *o, const char *full)
{
        void *saved = w->base;
        size_t *count = (size_t *) ((char *) w->base + o->count_offset);
        char **arr = (char **) ((char *) w->base + o->offset);
        int n = config_setting_length(s);

        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
                walk_err(w, s, full, "expected a list of groups ( { ... }, { ... } ), got %s",
                         type_name(config_setting_type(s)));
                return;
        }
        *arr = xcalloc((size_t) n ? (size_t) n : 1, o->elem_size);
        *count = (size_t) n;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                _cleanup_free_ char *p = xasprintf("%s[%d].", full, i);

                w->base = *arr + (size_t) i * o->elem_size;
                apply_defaults(w, o->group, p);
                if (config_setting_type(e) != CONFIG_TYPE_GROUP)
                        walk_err(w, e, full, "element %d: expected a group { ... }, got %s", i + 1,
                                 type_name(config_setting_type(e)));
                else
                        walk_group(w, e, o->group, p);
                w->base = saved;
        }
}

static void walk_group(Walk *w, const config_setting_t *g, const Opt *opts, const char *prefix)
{
        int n = config_setting_length(g);

        for (int i = 0; i < n; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned) i);
                const char *name = config_setting_name(s);
                _cleanup_free_ char *full = xasprintf("%s%s", prefix, name ? name : "?");
                const Opt *o;

                for (o = opts; o->name; o++)
                        if (name && !strcmp(o->name, name))
                                break;
                if (!o->name) {
                        const char *hint = name ? did_you_mean(opts, name) : NULL;
                        if (hint)
                                walk_err(w, s, full, "unknown setting; did you mean '%s%s'?", prefix, hint);
                        else
                                walk_err(w, s, full, "unknown setting");
                        continue;
                }
                switch (o->type) {
                case OPT_GROUP: {
                        _cleanup_free_ char *p = xasprintf("%s.", full);
                        if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
                                walk_err(w, s, full, "expected a group { ... }, got %s",
                                         type_name(config_setting_type(s)));
                                continue;
                        }
                        walk_group(w, s, o->group, p);
                        continue;
                }
                case OPT_LIST:
                        walk_list(w, s, o, full);
                        continue;
                case OPT_CUSTOM:
                        (void) o->parse(w, s, full);
                        continue;
                default:
                        (void) set_value(w, o, s, NULL, full);
                }
        }
}

/* systemd may pass several directories separated by ':'; we use the first. */
static char *env_dir(const char *name, const char *fallback)
{
        const char *e = getenv(name);
        if (e && e[0] == '/')
                return xstrndup(e, strcspn(e, ":"));
        return xstrdup(fallback);
}

/* responders = ( { name = "fw"; type = "external_call"; simulation = false; ... }, ... );
 * name, type and simulation are ours; every other setting of the group
 * belongs to the module, which checks it in its configure() and must
 * accept these three. */
static const char *setting_string(const config_setting_t *g, const char *name)
{
        const config_setting_t *s = config_setting_get_member(g, name);
        return s && config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
}

static bool responder_int(Walk *w, const config_setting_t *g, const char *where, const char *name,
                          long long min, long long max, unsigned *ret)
{
        const config_setting_t *s = config_setting_get_member(g, name);
        long long v;

        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
                walk_err(w, s, where, "%s: expected an integer", name);
                return false;
        }
        v = config_setting_get_int64(s);
        if (v < min || v > max) {
                walk_err(w, s, where, "%s: %lld is out of range %lld..%lld", name, v, min, max);
                return false;
        }
        *ret = (unsigned) v;
        return true;
}

/* The settings every responder has: how hard the reconciler may drive it. */
static void parse_responder_limits(Walk *w, const config_setting_t *g, const char *where, Responder *r)
{
        const config_setting_t *s;

        r->max_concurrent = r->ops->default_max_concurrent ? r->ops->default_max_concurrent : 4;
        r->max_batch = r->ops->default_max_batch ? r->ops->default_max_batch : 1;
        r->rate_limit = 0;
        (void) responder_int(w, g, where, "max_concurrent", 1, 256, &r->max_concurrent);
        if (responder_int(w, g, where, "max_batch", 1, 10000, &r->max_batch) && r->max_batch > 1 &&
            !r->ops->apply_batch)
                walk_err(w, config_setting_get_member(g, "max_batch"), where,
                         "max_batch: %s responders take one call at a time", r->ops->module);
        s = config_setting_get_member(g, "rate_limit");
        if (s) {
                int t = config_setting_type(s);
                double v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s) :
                           t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ? (double) config_setting_get_int64(s) : -1;
                if (v < 0 || v > 100000)
                        walk_err(w, s, where, "rate_limit: expected calls per second, 0 (no limit) to 100000");
                else
                        r->rate_limit = v;
        }
        r->rate_burst = r->rate_limit >= 1 ? (unsigned) r->rate_limit : 1;
        (void) responder_int(w, g, where, "rate_burst", 1, 100000, &r->rate_burst);
}

static int parse_responders(Walk *w, const config_setting_t *list, const char *full)
{
        Config *c = w->cfg;
        int n = config_setting_length(list);

        if (config_setting_type(list) != CONFIG_TYPE_LIST) {
                walk_err(w, list, full, "expected a list of groups ( { ... }, { ... } ), got %s",
                         type_name(config_setting_type(list)));
                return -EINVAL;
        }
        for (int i = 0; i < n; i++) {
                const config_setting_t *g = config_setting_get_elem(list, (unsigned) i);
                _cleanup_free_ char *where = xasprintf("%s[%d]", full, i);
                const config_setting_t *sim;
                const ResponderOps *ops;
                const char *name, *type;
                char **errs = NULL;
                size_t n_errs = 0;
                Responder *r;

                if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                        walk_err(w, g, where, "expected a group { ... }");
                        continue;
                }
                name = setting_string(g, "name");
                type = setting_string(g, "type");
                if (!name || !name[0] || strpbrk(name, ": \t")) {
                        walk_err(w, g, where, "needs a name = \"...\" without spaces or ':'");
                        continue;
                }
                if (config_find_responder(c, name)) {
                        walk_err(w, g, where, "a responder named '%s' is already defined", name);
                        continue;
                }
                if (!type) {
                        walk_err(w, g, where, "responder '%s' needs a type = \"...\" (e.g. \"external_call\")", name);
                        continue;
                }
                ops = responder_find_module(type);
                if (!ops) {
                        walk_err(w, config_setting_get_member(g, "type"), where, "unknown responder type '%s'", type);
                        continue;
                }
                r = xnew(Responder, 1);
                r->ops = ops;
                r->name = xstrdup(name);
                r->caps = ops->caps;
                r->priv = ops->priv_size ? xcalloc(1, ops->priv_size) : NULL;
                sim = config_setting_get_member(g, "simulation");
                if (sim && config_setting_type(sim) != CONFIG_TYPE_BOOL)
                        walk_err(w, sim, where, "simulation: expected true or false");
                r->simulation = sim && config_setting_type(sim) == CONFIG_TYPE_BOOL && config_setting_get_bool(sim);
                parse_responder_limits(w, g, where, r);
                c->responders = xreallocarray(c->responders, c->n_responders + 1, sizeof(Responder *));
                c->responders[c->n_responders++] = r;
                if (ops->configure && ops->configure(r, g, &errs, &n_errs) < 0 && n_errs == 0)
                        walk_err(w, g, where, "responder '%s' is not configured correctly", name);
                for (size_t j = 0; j < n_errs; j++) {
                        errs_add(w->errs, "%s", errs[j]);
                        free(errs[j]);
                }
                free(errs);
        }
        return 0;
}

/* relays = ( { name = "..."; type = "spycloud"; ... }, ... ): relay_conf.c */
static int parse_relays(Walk *w, const config_setting_t *list, const char *full)
{
        Config *c = w->cfg;
        char **errs = NULL;
        size_t n_errs = 0;
        int r;

        r = relay_conf_parse(list, full, w->path, &c->relays, &c->n_relays, &errs, &n_errs);
        for (size_t j = 0; j < n_errs; j++) {
                errs_add(w->errs, "%s", errs[j]);
                free(errs[j]);
        }
        free(errs);
        return r;
}

bool config_protects(const Config *c, const char *kind, const char *value)
{
        AddrNet net, a;

        if (strcmp(kind, "host") && strcmp(kind, "destination"))
                return false;
        if (addr_parse(value, &a) < 0)
                return false;
        for (size_t i = 0; c->protect && c->protect[i]; i++)
                if (addr_parse(c->protect[i], &net) == 0 && addr_contains(&net, &a))
                        return true;
        return false;
}

Responder *config_find_responder(const Config *c, const char *name)
{
        for (size_t i = 0; i < c->n_responders; i++)
                if (!strcmp(c->responders[i]->name, name))
                        return c->responders[i];
        return NULL;
}

static const config_setting_t *lookup_elem(const config_t *cf, const char *list, size_t i, const char *name)
{
        const config_setting_t *l = config_lookup(cf, list), *e;
        if (!l)
                return NULL;
        e = config_setting_get_elem(l, (unsigned) i);
        if (!e || !name)
                return e;
        return config_setting_get_member(e, name) ? config_setting_get_member(e, name) : e;
}

static const char *const day_names[] = {
        "week", "weekday", "weekend", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
        "sunday", NULL,
};

/* VAR's own places for a brain's credentials: environment variables named
 * after the URL as written ("https://brain.example.com_Client_ID"), which
 * VAR's Kubernetes deployments set.  Used only for what the file leaves
 * out; such names cannot be written as env: references. */
static void var_env_secret(const char *url, const char *key, Secret *s)
{
        _cleanup_free_ char *name = xasprintf("%s_%s", url, key);
        const char *v = getenv(name);

        if (s->ref || !v || !v[0])
                return;
        s->ref = xasprintf("env:%s", name);
        s->value = xstrdup(v);
}

static void var_env_secrets(VectraConf *v)
{
        const char *id;
        _cleanup_free_ char *name = NULL;

        if (!v->url)
                return;
        if (!v->client_id) {
                name = xasprintf("%s_Client_ID", v->url);
                id = getenv(name);
                if (id && id[0])
                        v->client_id = xstrdup(id);
        }
        var_env_secret(v->url, "Secret_Key", &v->secret_key);
        var_env_secret(v->url, "Token", &v->token);
}

static void check_vectra(Walk *w, const config_t *cf, size_t i)
{
        VectraConf *v = &w->cfg->vectra[i];
        _cleanup_free_ char *full = xasprintf("vectra[%zu]", i);

        if (!v->name || !v->name[0] || strpbrk(v->name, ": \t/"))
                walk_err(w, lookup_elem(cf, "vectra", i, "name"), full,
                         "needs name = \"...\" (no spaces, ':' or '/'), used in status and the journal");
        for (size_t j = 0; j < i && v->name; j++)
                if (w->cfg->vectra[j].name && !strcmp(w->cfg->vectra[j].name, v->name))
                        walk_err(w, lookup_elem(cf, "vectra", i, "name"), full, "the name '%s' is used twice",
                                 v->name);
        if (!v->url || (strncmp(v->url, "https://", 8) && strncmp(v->url, "http://", 7)))
                walk_err(w, lookup_elem(cf, "vectra", i, "url"), full,
                         "needs url = \"https://brain.example.com\"");
        else if (v->api_version == 0)
                /* VAR's rule: SaaS (v3) iff the URL names portal.vectra.ai */
                v->api_version = strstr(v->url, "portal.vectra.ai") ? 2 : 1;
        var_env_secrets(v);
        if (v->auth == 1 && v->api_version == 2)
                walk_err(w, lookup_elem(cf, "vectra", i, "auth"), full,
                         "auth = \"token\" exists on v2.5 brains only; v3 uses OAuth");
        if (v->auth == 1 && !v->token.ref)
                walk_err(w, lookup_elem(cf, "vectra", i, NULL), full,
                         "auth = \"token\" needs token = \"env:...\" (or VAR's variable %s_Token)",
                         v->url ? v->url : "<url>");
        if (v->auth == 0 && (!v->client_id || !v->secret_key.ref))
                walk_err(w, lookup_elem(cf, "vectra", i, NULL), full,
                         "OAuth needs client_id and secret_key = \"env:...\" (or VAR's variables "
                         "%s_Client_ID and %s_Secret_Key)", v->url ? v->url : "<url>", v->url ? v->url : "<url>");
        for (size_t j = 0; v->block_days && v->block_days[j]; j++) {
                bool ok = false;
                for (size_t k = 0; day_names[k]; k++)
                        ok = ok || !strcmp(v->block_days[j], day_names[k]);
                if (!ok)
                        walk_err(w, lookup_elem(cf, "vectra", i, "block_days"), full,
                                 "block_days: unknown day '%s' (week, weekday, weekend, monday ... sunday)",
                                 v->block_days[j]);
        }
        for (size_t j = 0; v->responders && v->responders[j]; j++)
                if (!config_find_responder(w->cfg, v->responders[j]))
                        walk_err(w, lookup_elem(cf, "vectra", i, "responders"), full,
                                 "responders: no responder named '%s' is defined", v->responders[j]);
        /* a responder that cannot act on a kind this brain blocks is a
         * config error now, not a surprise at the first block */
        for (size_t j = 0; j < w->cfg->n_responders; j++) {
                Responder *r = w->cfg->responders[j];
                if (v->responders && !strv_contains(v->responders, r->name))
                        continue;
                if (v->responders && v->hosts.enabled && !(r->caps & RESPONDER_CAP_HOST) &&
                    !(r->caps & (RESPONDER_CAP_ACCOUNT | RESPONDER_CAP_DESTINATION)))
                        walk_err(w, lookup_elem(cf, "vectra", i, "responders"), full,
                                 "responder '%s' can block nothing this source finds", r->name);
                if (v->responders && v->static_destinations && !(r->caps & RESPONDER_CAP_DESTINATION))
                        walk_err(w, lookup_elem(cf, "vectra", i, "static_destinations"), full,
                                 "responder '%s' cannot block destinations (needed by static_destinations)",
                                 r->name);
        }
        if (v->static_destinations && access(v->static_destinations, R_OK) < 0)
                walk_err(w, lookup_elem(cf, "vectra", i, "static_destinations"), full, "cannot read \"%s\": %s",
                         v->static_destinations, strerror(errno));
}

/* Alarm settings are numbers sent as strings (sna.md §6). */
static bool digits(const char *s)
{
        return s && s[0] && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18;
}

static void check_sna(Walk *w, const config_t *cf, size_t i)
{
        SnaConf *v = &w->cfg->sna[i];
        _cleanup_free_ char *full = xasprintf("sna[%zu]", i);
        const char *setup[] = { v->setup.tolerance, v->setup.min, v->setup.max };

        if (!v->name || !v->name[0] || strpbrk(v->name, ": \t/"))
                walk_err(w, lookup_elem(cf, "sna", i, "name"), full,
                         "needs name = \"...\" (no spaces, ':' or '/'), used in status and the journal");
        for (size_t j = 0; j < i && v->name; j++)
                if (w->cfg->sna[j].name && !strcmp(w->cfg->sna[j].name, v->name))
                        walk_err(w, lookup_elem(cf, "sna", i, "name"), full, "the name '%s' is used twice", v->name);
        if (!v->url || (strncmp(v->url, "https://", 8) && strncmp(v->url, "http://", 7)) || strpbrk(v->url, " ?#"))
                walk_err(w, lookup_elem(cf, "sna", i, "url"), full, "needs url = \"https://smc.example.com\"");
        if (!v->username || !v->username[0])
                walk_err(w, lookup_elem(cf, "sna", i, "username"), full, "needs username = \"...\"");
        if (!v->password.ref)
                walk_err(w, lookup_elem(cf, "sna", i, NULL), full, "needs password = \"env:...\" (or cred:, file:)");
        if (v->events && !v->events[0])
                walk_err(w, lookup_elem(cf, "sna", i, "events"), full, "give at least one event id or name");
        for (size_t j = 0; v->events && v->events[j]; j++)
                if (!v->events[j][0] || strlen(v->events[j]) > 128)
                        walk_err(w, lookup_elem(cf, "sna", i, "events"), full,
                                 "events: element %zu: an id (\"16\") or a name (\"High Total Traffic\")", j + 1);
        for (size_t j = 0; v->inside_networks && v->inside_networks[j]; j++) {
                AddrNet a;
                int k = addr_parse(v->inside_networks[j], &a);
                if (k < 0)
                        walk_err(w, lookup_elem(cf, "sna", i, "inside_networks"), full, "'%s': %s",
                                 v->inside_networks[j], k == -EDOM ?
                                 "network has host bits set below its prefix length" :
                                 "expected an IP address or network (CIDR)");
        }
        if (v->notify.webex_token.ref && !v->notify.webex_room_id && !v->notify.webex_to)
                walk_err(w, lookup_elem(cf, "sna", i, "notify"), full,
                         "notify: webex_token needs webex_room_id (or webex_to, a person's e-mail)");
        if ((v->notify.webex_room_id || v->notify.webex_to) && !v->notify.webex_token.ref)
                walk_err(w, lookup_elem(cf, "sna", i, "notify"), full,
                         "notify: webex_room_id and webex_to need webex_token = \"env:...\"");
        if (v->notify.webex_url && strncmp(v->notify.webex_url, "https://", 8) &&
            strncmp(v->notify.webex_url, "http://", 7))
                walk_err(w, lookup_elem(cf, "sna", i, "notify"), full, "notify: webex_url must be http(s)://...");
        if (!v->enrich.amp_client_id != !v->enrich.amp_api_key.ref)
                walk_err(w, lookup_elem(cf, "sna", i, "enrich"), full,
                         "enrich: amp_client_id and amp_api_key go together");
        if (strncmp(v->enrich.umbrella_url, "http", 4) || strncmp(v->enrich.amp_url, "http", 4))
                walk_err(w, lookup_elem(cf, "sna", i, "enrich"), full, "enrich: URLs must be http(s)://...");
        for (size_t j = 0; j < 3; j++)
                if (!digits(setup[j]))
                        walk_err(w, lookup_elem(cf, "sna", i, "setup"), full,
                                 "setup: tolerance, min and max are whole numbers written as strings (\"70\")");
        for (size_t j = 0; v->responders && v->responders[j]; j++) {
                Responder *r = config_find_responder(w->cfg, v->responders[j]);
                if (!r)
                        walk_err(w, lookup_elem(cf, "sna", i, "responders"), full,
                                 "responders: no responder named '%s' is defined", v->responders[j]);
                else if (!(r->caps & RESPONDER_CAP_HOST))
                        walk_err(w, lookup_elem(cf, "sna", i, "responders"), full,
                                 "responder '%s' cannot act on hosts, which is all this source finds", r->name);
        }
}

/* A secret left unset takes the original's environment variable. */
static void umbrella_default_secret(Walk *w, const config_t *cf, Secret *sec, const char *setting, const char *ref)
{
        _cleanup_free_ char *why = NULL, *full = xasprintf("umbrella.%s", setting);

        if (sec->ref)
                return;
        if (secret_resolve(ref, sec, &why) < 0)
                walk_err(w, config_lookup(cf, "umbrella"), full, "not set, and the default %s: %s", ref, why);
}

static void check_umbrella(Walk *w, const config_t *cf)
{
        UmbrellaConf *u = &w->cfg->umbrella;
        const config_setting_t *g = config_lookup(cf, "umbrella");
        static const char *const def_groups[] = { "Safe", "Problematic", "Dangerous", NULL };
        bool legacy = u->api == 1;

        if (!u->enabled)
                return;
        umbrella_default_secret(w, cf, &u->key, "key", "env:umb_reporting_key");
        umbrella_default_secret(w, cf, &u->secret, "secret", "env:umb_reporting_secret");
        if (legacy && !u->org_id && (!u->reports_url || strstr(u->reports_url, "{organization_id}")))
                walk_err(w, g, "umbrella.org_id", "the legacy API needs org_id (the organization id)");
        if (!u->token_url)
                u->token_url = xstrdup(legacy ? "https://management.api.umbrella.com/auth/v2/oauth2/token" :
                                       "https://api.umbrella.com/auth/v2/token");
        if (!u->reports_url)
                u->reports_url = xstrdup(legacy ? "https://reports.api.umbrella.com/v2/organizations/{organization_id}" :
                                         "https://api.umbrella.com/reports/v2");
        if (!u->investigate_url)
                u->investigate_url = xstrdup(legacy ? "https://investigate.api.umbrella.com/domains/risk-score/" :
                                             "https://api.umbrella.com/investigate/v2/domains/risk-score/");
        {
                const char *urls[] = { u->token_url, u->reports_url, u->investigate_url };
                const char *names[] = { "umbrella.token_url", "umbrella.reports_url", "umbrella.investigate_url" };
                for (size_t i = 0; i < 3; i++)
                        if (strncmp(urls[i], "https://", 8) && strncmp(urls[i], "http://", 7))
                                walk_err(w, config_lookup(cf, names[i]), names[i], "\"%s\" is not an http(s) URL",
                                         urls[i]);
        }
        if (u->n_group_thresholds != 2 || u->group_thresholds[0] > u->group_thresholds[1])
                walk_err(w, config_lookup(cf, "umbrella.group_thresholds"), "umbrella.group_thresholds",
                         "expected two ascending scores [ problematic, dangerous ], e.g. [ 20, 55 ]");
        if (u->n_categories == 0)
                walk_err(w, config_lookup(cf, "umbrella.categories"), "umbrella.categories",
                         "give at least one category id");
        if (!u->vpn_groups)
                for (size_t i = 0; def_groups[i]; i++)
                        u->vpn_groups = strv_push(u->vpn_groups, def_groups[i]);
        if (strv_length(u->vpn_groups) != 3 || !u->vpn_groups[0][0] || !u->vpn_groups[1][0] || !u->vpn_groups[2][0] ||
            !strcmp(u->vpn_groups[0], u->vpn_groups[1]) || !strcmp(u->vpn_groups[1], u->vpn_groups[2]) ||
            !strcmp(u->vpn_groups[0], u->vpn_groups[2]))
                walk_err(w, config_lookup(cf, "umbrella.vpn_groups"), "umbrella.vpn_groups",
                         "expected three distinct names [ safe, problematic, dangerous ]");
        if (u->users_from == 1) {
                if (!u->users || !u->users[0])
                        walk_err(w, g, "umbrella.users", "users_from = \"config\" needs users = [ \"name:label\", ... ]");
                for (size_t i = 0; u->users && u->users[i]; i++) {
                        const char *c = strchr(u->users[i], ':');
                        if (!c || c == u->users[i] || !c[1])
                                walk_err(w, config_lookup(cf, "umbrella.users"), "umbrella.users",
                                         "element %zu: \"%s\" is not \"username:umbrella-label\"", i + 1, u->users[i]);
                }
        } else if (u->radius_backend == 0 && !u->radius_database)
                walk_err(w, g, "umbrella.radius_database",
                         "users_from = \"radius\" needs radius_database = \"/path/to/radius.db\" (FreeRADIUS SQLite)");
        else if (u->radius_backend == 1) {
                if (!u->radius_conninfo)
                        walk_err(w, g, "umbrella.radius_conninfo",
                                 "radius_backend = \"postgresql\" needs radius_conninfo = \"host=... dbname=radius user=...\"");
                if (strstr(u->radius_conninfo ? u->radius_conninfo : "", "password"))
                        walk_err(w, config_lookup(cf, "umbrella.radius_conninfo"), "umbrella.radius_conninfo",
                                 "put the password in radius_password = \"env:db_pass\", not in the conninfo");
                umbrella_default_secret(w, cf, &u->radius_password, "radius_password", "env:db_pass");
        }
        if (!u->redirect_domains)
                u->redirect_domains = strv_push(NULL, "umbrella.com");
        for (size_t j = 0; u->responders && u->responders[j]; j++) {
                Responder *r = config_find_responder(w->cfg, u->responders[j]);
                if (!r)
                        walk_err(w, config_lookup(cf, "umbrella.responders"), "umbrella.responders",
                                 "no responder is named '%s'", u->responders[j]);
                else if (!(r->caps & RESPONDER_CAP_USER))
                        walk_err(w, config_lookup(cf, "umbrella.responders"), "umbrella.responders",
                                 "responder '%s' cannot act on users", r->name);
        }
}

static void check_cross(Walk *w, const config_t *cf)
{
        Config *c = w->cfg;
        const config_setting_t *s;
        struct stat st;

        if (c->http.ca_file && stat(c->http.ca_file, &st) < 0) {
                s = config_lookup(cf, "http.ca_file");
                walk_err(w, s, "http.ca_file", "cannot access \"%s\": %s", c->http.ca_file, strerror(errno));
        }
        if ((c->http.proxy_user || c->http.proxy_password.ref) && !c->http.proxy) {
                s = config_lookup(cf, c->http.proxy_user ? "http.proxy_user" : "http.proxy_password");
                walk_err(w, s, c->http.proxy_user ? "http.proxy_user" : "http.proxy_password",
                         "set without http.proxy");
        }
        if (c->http.max_host_connections > c->http.max_total_connections) {
                s = config_lookup(cf, "http.max_host_connections");
                walk_err(w, s, "http.max_host_connections", "is larger than http.max_total_connections (%lld)",
                         (long long) c->http.max_total_connections);
        }
        for (size_t i = 0; c->protect && c->protect[i]; i++) {
                AddrNet a;
                int k = addr_parse(c->protect[i], &a);
                /* entities are matched by address: a host name here would never match */
                if (k < 0)
                        walk_err(w, config_lookup(cf, "protect"), "protect", "'%s': %s", c->protect[i],
                                 k == -EDOM ? "network has host bits set below its prefix length" :
                                 "expected an IP address or network (CIDR)");
        }
        if ((uint64_t) c->reconcile.retry_base_ms > c->reconcile.retry_max * 1000)
                walk_err(w, config_lookup(cf, "reconcile.retry_max"), "reconcile.retry_max",
                         "is shorter than reconcile.retry_base_ms (%lld ms)", (long long) c->reconcile.retry_base_ms);
        for (size_t i = 0; i < c->n_vectra; i++)
                check_vectra(w, cf, i);
        for (size_t i = 0; i < c->n_sna; i++)
                check_sna(w, cf, i);
        if (c->summary.email.server) {
                if (!c->summary.email.from || !strchr(c->summary.email.from, '@'))
                        walk_err(w, config_lookup(cf, "summary.email"), "summary.email",
                                 "needs from = \"secresp@example.com\" (VAR's SRC_EMAIL)");
                if (!c->summary.email.to || !c->summary.email.to[0])
                        walk_err(w, config_lookup(cf, "summary.email"), "summary.email",
                                 "needs to = [ \"soc@example.com\" ] (VAR's DST_EMAIL)");
                if (!!c->summary.email.user != !!c->summary.email.password.ref)
                        walk_err(w, config_lookup(cf, "summary.email"), "summary.email",
                                 "user and password go together (VAR's SMTP_AUTH)");
                /* the values become mail headers and SMTP commands */
                for (size_t i = 0; c->summary.email.to && c->summary.email.to[i]; i++)
                        if (strpbrk(c->summary.email.to[i], "\r\n<>,") || !strchr(c->summary.email.to[i], '@'))
                                walk_err(w, config_lookup(cf, "summary.email.to"), "summary.email.to",
                                         "'%s' is not an e-mail address", c->summary.email.to[i]);
                if ((c->summary.email.from && strpbrk(c->summary.email.from, "\r\n<>,")) ||
                    (c->summary.email.subject && strpbrk(c->summary.email.subject, "\r\n")))
                        walk_err(w, config_lookup(cf, "summary.email"), "summary.email",
                                 "from and subject are one line each");
        } else if (c->summary.email.from || c->summary.email.to || c->summary.email.user)
                /* addresses without a server: an e-mail that would never go */
                walk_err(w, config_lookup(cf, "summary.email"), "summary.email",
                         "needs server = \"smtp.example.com\" (VAR's SMTP_SERVER)");
        check_umbrella(w, cf);
        for (size_t i = 0; c->relay_server.listen && c->relay_server.listen[i]; i++) {
                struct sockaddr_storage ss;
                socklen_t len;
                if (httpd_parse_listen_address(c->relay_server.listen[i], &ss, &len) < 0)
                        walk_err(w, config_lookup(cf, "relay_server.listen"), "relay_server.listen",
                                 "'%s' is not \"address:port\" (e.g. \"127.0.0.1:9090\", \"[::]:9090\")",
                                 c->relay_server.listen[i]);
        }
        if (c->relay_server.listen && !c->relay_server.listen[0])
                walk_err(w, config_lookup(cf, "relay_server.listen"), "relay_server.listen",
                         "give at least one \"address:port\"");
}

/* libconfig 1.5 exits the process when an @include names a directory or
 * an empty path (its scanner's fatal error), so every include is checked
 * here first: a reload must refuse such a file, not end the daemon. */
static void check_includes(const char *file, const char *dir, unsigned depth, ConfigErrors *errs)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        FILE *f;

        if (depth > 10) {
                errs_add(errs, "%s: @include nested more than 10 deep", file);
                return;
        }
        f = fopen(file, "re");
        if (!f)
                return;         /* libconfig reports it */
        while (getline(&line, &cap, f) > 0) {
                const char *p = line + strspn(line, " \t");
                _cleanup_free_ char *target = NULL, *full = NULL;
                struct stat st;
                size_t n;

                lineno++;
                if (strncmp(p, "@include", 8))
                        continue;
                p += 8 + strspn(p + 8, " \t");
                if (*p != '"')
                        continue;       /* a syntax error libconfig reports */
                n = strcspn(p + 1, "\"");
                target = xstrndup(p + 1, n);
                if (target[0] == '/') {
                        /* libconfig 1.5 prefixes the include directory to every path */
                        errs_add(errs, "%s:%u: @include: \"%s\": give the path relative to %s", file, lineno,
                                 target, dir);
                        continue;
                }
                full = xasprintf("%s/%s", dir, target);
                if (!target[0] || stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
                        errs_add(errs, "%s:%u: @include: \"%s\" is not a readable regular file", file, lineno,
                                 target);
                        continue;
                }
                check_includes(full, dir, depth + 1, errs);
        }
        fclose(f);
}

int config_load(const char *path, Config **ret, ConfigErrors *errs)
{
        _cleanup_free_ char *dir = NULL;
        Config *c;
        config_t cf;
        Walk w;

        config_init(&cf);
        /* @include paths are relative to the main file's directory */
        dir = xstrdup(path);
        {
                /* dirname() may return a static "." instead of editing dir */
                char *d = xstrdup(dirname(dir));
                free(dir);
                dir = d;
        }
        config_set_include_dir(&cf, dir);
        check_includes(path, dir, 0, errs);
        if (errs->n > 0) {
                config_destroy(&cf);
                return -EINVAL;
        }
        if (!config_read_file(&cf, path)) {
                if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
                        errs_add(errs, "%s: cannot read the configuration file: %s", path, strerror(errno));
                else
                        errs_add(errs, "%s:%d: syntax error: %s",
                                 config_error_file(&cf) ? config_error_file(&cf) : path,
                                 config_error_line(&cf), config_error_text(&cf));
                config_destroy(&cf);
                return -EINVAL;
        }

        c = xnew(Config, 1);
        c->path = xstrdup(path);
        w = (Walk) { .path = path, .errs = errs, .cfg = c, .base = c };
        apply_defaults(&w, root_opts, "");
        walk_group(&w, config_root_setting(&cf), root_opts, "");
        if (!c->state_directory)
                c->state_directory = env_dir("STATE_DIRECTORY", LOCALSTATEDIR "/lib/secresp");
        if (!c->runtime_directory)
                c->runtime_directory = env_dir("RUNTIME_DIRECTORY", RUNSTATEDIR "/secresp");
        if (errs->n == 0)
                check_cross(&w, &cf);
        config_destroy(&cf);

        if (errs->n > 0) {
                config_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

static void free_table(void *base, const Opt *opts)
{
        for (const Opt *o = opts; o->name; o++) {
                void *p = (char *) base + o->offset;
                switch (o->type) {
                case OPT_STRING:
                case OPT_PATH:
                        free(*(char **) p);
                        break;
                case OPT_SECRET:
                        secret_done(p);
                        break;
                case OPT_STRINGS:
                        strv_free(*(char ***) p);
                        break;
                case OPT_INTS:
                        free(*(int64_t **) p);
                        break;
                case OPT_GROUP:
                        free_table(base, o->group);
                        break;
                case OPT_LIST: {
                        char *arr = *(char **) p;
                        size_t n = *(size_t *) ((char *) base + o->count_offset);
                        for (size_t i = 0; i < n; i++)
                                free_table(arr + i * o->elem_size, o->group);
                        free(arr);
                        break;
                }
                default:
                        break;
                }
        }
}

Config *config_free(Config *c)
{
        if (!c)
                return NULL;
        free(c->path);
        free_table(c, root_opts);
        for (size_t i = 0; i < c->n_responders; i++) {
                Responder *r = c->responders[i];
                responder_free(r);
        }
        free(c->responders);
        relay_conf_free_array(c->relays, c->n_relays);
        free(c);
        return NULL;
}

char *config_database_path(const Config *c)
{
        return xasprintf("%s/secresp.db", c->state_directory);
}

char *config_socket_path(const Config *c)
{
        return c->control.socket ? xstrdup(c->control.socket) : xasprintf("%s/control.sock", c->runtime_directory);
}

static void print_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        fputc('\\', f);
                fputc(*s, f);
        }
        fputc('"', f);
}

static void print_group(const Config *c, FILE *f, const void *base, const Opt *opts, int depth)
{
        for (const Opt *o = opts; o->name; o++) {
                const void *p = (const char *) base + o->offset;
                char buf[64];

                if ((o->type == OPT_STRING || o->type == OPT_PATH) && !*(char *const *) p) {
                        fprintf(f, "%*s# %s: not set\n", depth * 2, "", o->name);
                        continue;
                }
                if (o->type == OPT_STRINGS && !*(char *const *const *) p) {
                        fprintf(f, "%*s# %s: not set\n", depth * 2, "", o->name);
                        continue;
                }
                if (o->type == OPT_SECRET && !((const Secret *) p)->ref) {
                        fprintf(f, "%*s# %s: not set\n", depth * 2, "", o->name);
                        continue;
                }
                if (o->type == OPT_CUSTOM && o->parse == parse_relays) {
                        for (size_t i = 0; i < c->n_relays; i++)
                                fprintf(f, "%*s# relay \"%s\": type %s, mount \"%s\", auth %s, settings as in the file\n",
                                        depth * 2, "", c->relays[i].name, relay_type_to_string(c->relays[i].type),
                                        c->relays[i].mount, c->relays[i].auth == RELAY_AUTH_HS256 ? "hs256" : "rs256");
                        continue;
                }
                if (o->type == OPT_CUSTOM) {
                        /* module settings are the module's: show what was built */
                        for (size_t i = 0; i < c->n_responders; i++)
                                fprintf(f, "%*s# responder \"%s\": type %s%s, settings as in the file\n", depth * 2,
                                        "", c->responders[i]->name, c->responders[i]->ops->module,
                                        c->responders[i]->simulation ? ", simulation" : "");
                        continue;
                }
                fprintf(f, "%*s%s", depth * 2, "", o->name);
                switch (o->type) {
                case OPT_GROUP:
                        fputs(": {\n", f);
                        print_group(c, f, base, o->group, depth + 1);
                        fprintf(f, "%*s};\n", depth * 2, "");
                        continue;
                case OPT_LIST: {
                        const char *arr = *(char *const *) p;
                        size_t n = *(const size_t *) ((const char *) base + o->count_offset);
                        fputs(" = (\n", f);
                        for (size_t i = 0; i < n; i++) {
                                fprintf(f, "%*s{\n", depth * 2 + 2, "");
                                print_group(c, f, arr + i * o->elem_size, o->group, depth + 2);
                                fprintf(f, "%*s}%s\n", depth * 2 + 2, "", i + 1 < n ? "," : "");
                        }
                        fprintf(f, "%*s);\n", depth * 2, "");
                        continue;
                }
                case OPT_STRING:
                case OPT_PATH:
                        fputs(" = ", f);
                        print_string(f, *(char *const *) p);
                        fputs(";\n", f);
                        continue;
                case OPT_SECRET: {
                        _cleanup_free_ char *m = xasprintf("<secret %s>", ((const Secret *) p)->ref);
                        fputs(" = ", f);
                        print_string(f, m);
                        fputs(";\n", f);
                        continue;
                }
                case OPT_STRINGS: {
                        char *const *v = *(char *const *const *) p;
                        fputs(" = [", f);
                        for (size_t i = 0; v && v[i]; i++) {
                                fputs(i ? ", " : " ", f);
                                print_string(f, v[i]);
                        }
                        fputs(v && v[0] ? " ];\n" : "];\n", f);
                        continue;
                }
                case OPT_INTS: {
                        const int64_t *v = *(int64_t *const *) p;
                        size_t n = *(const size_t *) ((const char *) base + o->count_offset);
                        fputs(" = [", f);
                        for (size_t i = 0; i < n; i++)
                                fprintf(f, "%s%lld", i ? ", " : " ", (long long) v[i]);
                        fputs(n ? " ];\n" : "];\n", f);
                        continue;
                }
                case OPT_BOOL:
                        fprintf(f, " = %s;\n", *(const bool *) p ? "true" : "false");
                        continue;
                case OPT_ENUM:
                        fprintf(f, " = \"%s\";\n", o->values[*(const int *) p]);
                        continue;
                case OPT_DURATION:
                        duration_format(*(const uint64_t *) p, buf, sizeof(buf));
                        fprintf(f, " = \"%s\";\n", buf);
                        continue;
                case OPT_INT:
                        if (o->allow_none && *(const int64_t *) p < 0)
                                fputs(" = \"none\";\n", f);
                        else
                                fprintf(f, " = %lld;\n", (long long) *(const int64_t *) p);
                        continue;
                default:
                        continue;
                }
        }
}

void config_print(const Config *c, FILE *f)
{
        fprintf(f, "# %s, normalised; secrets are shown as their references\n", c->path);
        print_group(c, f, c, root_opts, 0);
}
