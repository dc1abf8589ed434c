/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "common/log.h"
#include "daemon/secrets.h"

#define SECRESP_DEFAULT_CONFIG SYSCONFDIR "/secresp/secrespd.conf"

typedef struct Responder Responder;
typedef struct RelayConf RelayConf;

/* "and" / "or" of two thresholds, as VAR's (threat, op, certainty) tuples. */
typedef enum ScoreOp { SCORE_AND, SCORE_OR } ScoreOp;

/* VAR's host and account criteria (vectra.md §1.2, §1.4). */
typedef struct VectraEntityConf {
        bool enabled;
        char *block_tag;
        char *unblock_tag;
        char *block_group;
        char *noblock_group;
        int64_t threat, certainty;      /* >= on the API */
        int score_op;                   /* ScoreOp */
        int64_t urgency;                /* v3; 101 disables; -1 = "none": use threat/certainty */
        char **detection_types;         /* NULL-terminated */
        int64_t detection_min_threat, detection_min_certainty;  /* strict > */
        int detection_score_op;
} VectraEntityConf;

/* Destination blocking from detections (vectra.md §1.3). */
typedef struct VectraDetectionConf {
        bool enabled;
        char *block_tag;
        char *unblock_tag;
        char **types;
        int64_t host_threat, host_certainty;
        int host_score_op;
} VectraDetectionConf;

typedef struct VectraConf {
        char *name;
        char *url;
        int api_version;                /* 0 auto, 1 = "2.5", 2 = "3" */
        int auth;                       /* 0 oauth, 1 token (v2.5 only) */
        char *client_id;
        Secret secret_key;
        Secret token;
        uint64_t interval;              /* seconds between cycles (VAR SLEEP_MINUTES) */
        int64_t page_size;
        char *ca_file;
        bool tls_verify;
        bool simulation;
        int64_t max_new_blocks_per_cycle;       /* 0 = no cap */
        bool explicit_unblock;
        bool groom;                     /* VAR's --groom: ask grooming responders every cycle */
        uint64_t block_duration;        /* 0 = until the condition goes */
        char **block_days;
        int64_t block_start_hour, block_end_hour;
        char **responders;              /* names; NULL = every responder */
        char *static_destinations;      /* file of IPs/CIDRs, or NULL */
        VectraEntityConf hosts;
        VectraEntityConf accounts;
        VectraDetectionConf detections;
} VectraConf;

/* Where a source posts what a cycle found (notify_webex.h): a Webex room
 * or person (responders.md §7.1).  Off without a token. */
typedef struct NotifyConf {
        char *webex_url;                /* API base, default https://webexapis.com/v1 */
        Secret webex_token;             /* bot or user token */
        char *webex_room_id;
        char *webex_to;                 /* toPersonEmail, instead of a room */
        char *ca_file;
        bool tls_verify;
        uint64_t timeout;               /* seconds per attempt */
        int64_t max_bytes;              /* per message; longer ones are split */
} NotifyConf;

/* Context for new hosts (responders.md §7.2, §7.3): Umbrella Investigate
 * on the addresses they talked to, Secure Endpoint on the host itself.
 * Each part is off without its credentials. */
typedef struct EnrichConf {
        char *umbrella_url;
        Secret umbrella_token;
        char *amp_url;
        char *amp_client_id;
        Secret amp_api_key;
        int64_t max_peers;              /* peers looked up per host */
        uint64_t cache_ttl;             /* seconds */
        uint64_t timeout;               /* seconds per attempt */
        char *ca_file;
        bool tls_verify;
} EnrichConf;

/* A Secure Network Analytics SMC as a source (sna.md §8). */
typedef struct SnaConf {
        char *name;
        char *url;
        char *username;
        Secret password;
        int64_t tenant_id;              /* 0: the only tenant */
        bool tls_verify;
        char *ca_file;
        uint64_t interval;              /* seconds between cycles */
        char **events;                  /* security event type ids ("16") or names */
        uint64_t time_window;           /* seconds of events per query */
        uint64_t poll_interval;         /* first wait between progress polls */
        uint64_t poll_timeout;          /* a query not complete by then fails the cycle */
        uint64_t session_lifetime;      /* renew the SMC session before it is this old */
        char **inside_networks;         /* NULL: RFC 1918 */
        int inside_from;                /* 0 networks, 1 host_groups, 2 either */
        int sides;                      /* 0 both, 1 source, 2 target */
        int64_t max_hosts;              /* 0: no cap */
        uint64_t host_ttl;              /* 0: hosts stay until unblocked by hand */
        char **responders;              /* names; NULL = every responder that takes hosts */
        bool simulation;
        struct {
                char *tolerance, *min, *max;    /* `secrespctl sna setup` alarm settings */
        } setup;
        NotifyConf notify;
        EnrichConf enrich;
} SnaConf;
/* Umbrella behaviour security (umbrella.md §2.3). */
typedef struct UmbrellaConf {
        bool enabled;
        int api;                        /* 0 "new" (api.umbrella.com), 1 "legacy" */
        char *token_url;                /* defaults follow api */
        char *reports_url;
        char *investigate_url;
        char *org_id;                   /* legacy paths need it */
        Secret key;                     /* default env:umb_reporting_key */
        Secret secret;                  /* default env:umb_reporting_secret */
        Secret investigate_token;       /* legacy static Investigate token; unset: the OAuth token */
        int64_t *categories;            /* default the original's fourteen */
        size_t n_categories;
        char *from, *to;                /* "-30days", "now" */
        int64_t page_limit;
        int64_t identities_limit;
        char *identity_type;            /* "anyconnect"; "" = any */
        int64_t score_very_risky;
        int64_t *group_thresholds;      /* [20, 55] */
        size_t n_group_thresholds;
        char **vpn_groups;              /* NULL: Safe, Problematic, Dangerous */
        int users_from;                 /* 0 "radius", 1 "config" */
        char **users;                   /* users_from = "config": "username:label" */
        int radius_backend;             /* 0 "sqlite", 1 "postgresql" */
        char *radius_database;          /* sqlite file */
        char *radius_conninfo;          /* libpq conninfo without the password */
        Secret radius_password;         /* default env:db_pass when radius_conninfo is set */
        uint64_t whitelist_days;        /* seconds; the users_identity.whitelisted_from window */
        uint64_t interval;
        uint64_t score_ttl;             /* Investigate cache lifetime */
        int64_t max_in_flight;          /* per API (reports, investigate) */
        char **redirect_domains;        /* hosts a report redirect may go to, with the token */
        char *ca_file;
        bool tls_verify;
        bool simulation;
        char **responders;
} UmbrellaConf;

typedef struct Config {
        char *path;
        char *state_directory;
        char *runtime_directory;
        int log_target;                 /* LogTarget */
        int log_level;                  /* syslog priority */
        struct {
                char *socket;
                char *group;
                uint64_t client_timeout;        /* seconds */
        } control;
        struct {
                uint64_t default_expiry;        /* seconds */
                uint64_t sweep_interval;        /* seconds */
        } whitelist;
        struct {
                char *ca_file;
                uint64_t connect_timeout;       /* seconds */
                uint64_t timeout;               /* seconds */
                int64_t max_host_connections;
                int64_t max_total_connections;
                char *proxy;
                char *proxy_user;
                Secret proxy_password;
        } http;
        struct {
                int64_t retry_attempts;         /* fast tries before FAILED */
                int64_t retry_base_ms;
                uint64_t retry_max;             /* seconds */
                uint64_t failed_interval;       /* seconds between slow retries */
        } reconcile;
        VectraConf *vectra;
        size_t n_vectra;
        SnaConf *sna;
        size_t n_sna;
        UmbrellaConf umbrella;
        Responder **responders;
        size_t n_responders;
        char **protect;                 /* never blocked: IPs, CIDRs, host names */
        struct {
                char **listen;                  /* NULL: [ "127.0.0.1:9090" ] */
                int64_t max_body;               /* bytes */
                int64_t max_header_bytes;
                int64_t max_connections;        /* per listener */
                uint64_t idle_timeout;          /* seconds */
                bool metrics;                   /* GET /metrics on every relay listener */
        } relay_server;
        /* VAR's summaries of each cycle (vectra.md §5.2, §5.3): every source's
         * cycle that blocked, unblocked or failed something is reported. */
        struct {
                struct {
                        char *server;           /* NULL: no e-mail */
                        int64_t port;
                        int tls;                /* SummaryMailTls */
                        char *from;
                        char **to;
                        char *user;             /* NULL: no SMTP AUTH */
                        Secret password;
                        char *subject;
                } email;
                struct {
                        char *server;           /* NULL: no syslog */
                        int64_t port;
                        int protocol;           /* 0 tcp, 1 udp */
                        int format;             /* SyslogFormat */
                } syslog;
        } summary;
        RelayConf *relays;              /* relays/relay_conf.h */
        size_t n_relays;
} Config;

/* Error lines, each "file:line: setting: message". */
typedef struct ConfigErrors {
        char **lines;
        size_t n;
} ConfigErrors;

/* Loads and validates the whole file; every problem found is added to
 * errs (not just the first).  -EINVAL when errs is non-empty. */
int config_load(const char *path, Config **ret, ConfigErrors *errs);
Config *config_free(Config *c);
/* The effective configuration in libconfig syntax, secrets masked. */
void config_print(const Config *c, FILE *f);
void config_errors_done(ConfigErrors *e);

Responder *config_find_responder(const Config *c, const char *name);
/* Is the value inside the `protect` list (never blocked)? */
bool config_protects(const Config *c, const char *kind, const char *value);

/* Derived paths: owned strings. */
char *config_database_path(const Config *c);
char *config_socket_path(const Config *c);
