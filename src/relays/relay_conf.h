/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/secrets.h"

/* The `relays` list of secrespd.conf (man secrespd.conf(5), RELAYS):
 *
 *   relays = (
 *     { name = "spycloud"; type = "spycloud";
 *       mount = "/spycloud";             # or "/" with listen = [ ... ]
 *       #listen = [ "0.0.0.0:9091" ];    # own listeners instead of relay_server.listen
 *       #public_url = "https://relay.example.com";   # the expected "aud"
 *       auth = "rs256";                  # or "hs256" with hs256_secret
 *       #jwks_allowed_hosts = [ "visibility.*.cisco.com" ];
 *       url = "https://api.spycloud.io/enterprise-v2/";
 *       rate_limit = 4; rate_burst = 20; timeout = "30s"; },
 *     { name = "msgraph"; type = "msgraph";     # mount "/msgraph"
 *       api = "advanced_hunting";        # or "legacy" (GET /security/alerts)
 *       #url = "https://graph.microsoft.com/v1.0/";
 *       #login_url = "https://login.microsoftonline.com";
 *       #scope = "https://graph.microsoft.com/.default";
 *       #portal_url = "https://security.microsoft.com";   # "" for none
 *       #timespan = "P30D"; max_connections = 8; timeout = "30s"; }
 *   );
 *
 * Parsed by relay_conf_parse() from conf.c's walker (an OPT_CUSTOM hook). */

typedef struct config_setting_t config_setting_t;

typedef enum RelayType {
        RELAY_SPYCLOUD,
        RELAY_MSGRAPH,
        _RELAY_TYPE_MAX,
        _RELAY_TYPE_INVALID = -1,
} RelayType;

typedef enum RelayAuth {
        RELAY_AUTH_RS256,
        RELAY_AUTH_HS256,
} RelayAuth;

typedef struct RelayConf {
        char *name;
        RelayType type;
        char *mount;                    /* "/spycloud", "/" */
        char **listen;                  /* NULL: relay_server.listen */
        char *public_url;               /* NULL: "http://" + the request's Host */
        RelayAuth auth;
        Secret hs256_secret;
        char **jwks_allowed_hosts;      /* NULL: jwks_default_allowed_hosts */
        char *jwks_url_template;        /* NULL: JWKS_DEFAULT_URL_TEMPLATE */
        char *jwks_ca_file;             /* NULL: the HTTP client's */
        uint64_t jwks_timeout_ms;
        char *url;                      /* upstream API base, ends with '/' */
        char *ca_file;                  /* upstream CA bundle; NULL: http.ca_file */
        uint64_t timeout_ms;            /* per upstream call */
        double rate_limit;              /* upstream calls per second and API key; 0: no limit */
        int64_t rate_burst;             /* calls allowed at once before the limit paces them */
        uint64_t cache_ttl_ms;          /* upstream answers kept per credential and URL; 0: no cache */
        int64_t cache_max;              /* entries at most; the oldest go first */
        /* type "msgraph" only (msgraph.h) */
        int api;                        /* MsgraphApi: MSGRAPH_API_HUNTING (default) or _LEGACY */
        char *login_url;                /* Azure AD authority, no trailing '/' */
        char *scope;                    /* client-credentials scope: <graph host>/.default */
        char *portal_url;               /* Defender portal for external references; NULL: none */
        char *timespan;                 /* runHuntingQuery Timespan; NULL: Microsoft's (30 days) */
        int64_t max_connections;        /* upstream calls in flight at once, per relay */
} RelayConf;

const char *relay_type_to_string(RelayType t);
RelayType relay_type_from_string(const char *s);

/* Parses the `relays` list into *ret (an array of *ret_n, appended to).
 * Problems are appended to *errs as "file:line: relays[i]: message".
 * Returns 0 or -EINVAL (when any problem was found). */
int relay_conf_parse(const config_setting_t *list, const char *fullname, const char *top_file,
                     RelayConf **ret, size_t *ret_n, char ***errs, size_t *n_errs);

void relay_conf_done(RelayConf *c);
void relay_conf_free_array(RelayConf *v, size_t n);
