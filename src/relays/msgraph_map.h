/* SPDX-License-Identifier: MIT */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "relays/ctim.h"

/* Microsoft Graph Security relay: everything that is not I/O (relays.md
 * §5, §7, §9; docs/MSGRAPH-ALERTS-V2.md).
 *
 *   - the query of each supported observable type, for the legacy alerts
 *     API (`GET /security/alerts?$filter=...&$top=...`) and for the
 *     current one, advanced hunting (`POST /security/runHuntingQuery`
 *     with a KQL query over AlertEvidence and AlertInfo);
 *   - the CTIM sighting of a legacy alert, and of an advanced-hunting row;
 *   - the TR error of a failed Microsoft call (§7.5, with the fixes of §9).
 *
 * Entities are built with ctim.h, and the limit is ctim_entities_limit()
 * of the CTR_ENTITIES_LIMIT claim (§5): here any limit >= 1 is accepted
 * and capped where Microsoft needs it.
 *
 * Pure: no I/O, no logging, no clock.  The randomness of the transient
 * sighting ids is injected (rnd; NULL: ctim_random_system).  Allocation
 * aborts on OOM.
 *
 * The mappers never trust their input: objects are read as Python's dict
 * reads them (of duplicate keys the last wins, as upstream), a field that
 * is missing, null or of the wrong type counts as absent (§9 rows 24-26),
 * and an alert that cannot give a valid sighting (no time at all) is
 * skipped and counted: never a crash and never a 500.  Returned strings
 * and cJSON trees are owned by the caller. */

/* The observable types the relay looks up (§7.1): exact, case-sensitive
 * names; "IP" is not "ip". */
typedef enum MsgraphObservable {
        MSGRAPH_DOMAIN,
        MSGRAPH_FILE_NAME,
        MSGRAPH_FILE_PATH,
        MSGRAPH_SHA256,
        MSGRAPH_IP,
        MSGRAPH_URL,
        MSGRAPH_HOSTNAME,
        _MSGRAPH_OBSERVABLE_MAX,
        _MSGRAPH_OBSERVABLE_INVALID = -EINVAL,
} MsgraphObservable;

/* "domain", "file_name", "file_path", "sha256", "ip", "url", "hostname";
 * NULL out of range. */
const char *msgraph_observable_to_string(MsgraphObservable t);
/* _MSGRAPH_OBSERVABLE_INVALID for NULL and unsupported types. */
MsgraphObservable msgraph_observable_from_string(const char *s);

/* Which Microsoft API looks the observables up, per relay. */
typedef enum MsgraphApi {
        MSGRAPH_API_LEGACY,             /* "legacy": GET /security/alerts (retired in 2026) */
        MSGRAPH_API_HUNTING,            /* "advanced_hunting" ("hunting" accepted too):
                                         * POST /security/runHuntingQuery (default) */
        _MSGRAPH_API_MAX,
        _MSGRAPH_API_INVALID = -EINVAL,
} MsgraphApi;

#define MSGRAPH_API_DEFAULT MSGRAPH_API_HUNTING
const char *msgraph_api_to_string(MsgraphApi a);
MsgraphApi msgraph_api_from_string(const char *s);

/* --- Client-credentials token (§7.2) ----------------------------------- */

/* Seconds a token is taken to live when the answer has no expires_in. */
#define MSGRAPH_TOKEN_DEFAULT_TTL 300

/* The token request: *ret_url = login_url + "/" + tenant (percent-encoded)
 * + "/oauth2/v2.0/token", *ret_body the x-www-form-urlencoded body with
 * client_id, client_secret, grant_type=client_credentials and scope, each
 * value percent-encoded in full.  POST it (§9 row 19).  The body holds the
 * secret: wipe it after use.  -EINVAL: a NULL argument; -EILSEQ: a value
 * that is not UTF-8. */
int msgraph_token_request(const char *login_url, const char *tenant_id, const char *client_id,
                          const char *client_secret, const char *scope, char **ret_url, char **ret_body);

/* A 2xx answer of the token endpoint: the access_token (a non-empty
 * string without CR/LF, as it goes into a header) and expires_in seconds
 * (a number or a numeric string, clamped to 0..7 days; absent:
 * MSGRAPH_TOKEN_DEFAULT_TTL).  -EBADMSG: not JSON or no usable token. */
int msgraph_token_parse(const char *body, size_t len, char **ret_token, int64_t *ret_expires_in);

/* --- Legacy alerts API (§7.3) ------------------------------------------- */

/* $top is capped here: the legacy API refuses larger values (§7.3). */
#define MSGRAPH_LEGACY_TOP_MAX 1000
/* The health check (§7.4), relative to the configured base URL
 * (https://graph.microsoft.com/v1.0 by default). */
#define MSGRAPH_LEGACY_HEALTH_PATH "/security/alerts?$top=0"

/* The OData $filter expression of §7.3, decoded (as Microsoft reads it),
 * with the value between single quotes and every ' in it doubled (§9
 * row 27).  For url the value is the raw URL: upstream percent-encodes it
 * once more and Microsoft decodes that away, so both compare the raw URL.
 * -EINVAL: t out of range, value NULL or empty; -EILSEQ: value not UTF-8. */
int msgraph_legacy_filter(MsgraphObservable t, const char *value, char **ret);

/* "/security/alerts?$filter=<F>&$top=<top>", relative to the base URL,
 * with F the filter above percent-encoded in full (every byte but the RFC
 * 3986 unreserved characters A-Z a-z 0-9 - . _ ~) and top the limit,
 * capped to MSGRAPH_LEGACY_TOP_MAX.  Errors as msgraph_legacy_filter(),
 * and -EINVAL when limit < 1. */
int msgraph_legacy_alerts_path(MsgraphObservable t, const char *value, int64_t limit, char **ret);

/* The sighting of one legacy alert object (§7.6), for the observable
 * (t, value), with a fresh "transient:sighting-<uuid4>" id.  Departures
 * from upstream, each where upstream answers 500: unknown severity and a
 * non-numeric confidence give "Unknown"; missing keys count as null; a
 * non-string title, description or alert id is left out (not null); a
 * non-string provider becomes "Microsoft Graph Security" where a name is
 * required (source_name, origin); only strings make target observables and
 * relation ends.  -EINVAL: t out of range, value NULL, alert not an
 * object; -EBADMSG: no eventDateTime string (a sighting needs a time). */
int msgraph_legacy_sighting(MsgraphObservable t, const char *value, const cJSON *alert, const CtimRandom *rnd,
                            cJSON **ret);

/* The sightings of a legacy alerts response (its "value" array; missing
 * or not an array counts as empty), in Microsoft's order, at most limit
 * of them (§9 row 28).  Alerts that give no sighting are skipped and
 * counted in *ret_skipped (may be NULL).  Returns a JSON array, possibly
 * empty.  -EINVAL: t out of range, value NULL, limit < 1, response not
 * an object. */
int msgraph_legacy_sightings(MsgraphObservable t, const char *value, const cJSON *response, int64_t limit,
                             const CtimRandom *rnd, cJSON **ret, size_t *ret_skipped);

/* --- Current API: advanced hunting (docs/MSGRAPH-ALERTS-V2.md) ----------- */

#define MSGRAPH_HUNTING_PATH "/security/runHuntingQuery"
/* The health check body for the current API: proves the token, the
 * ThreatHunting.Read.All permission and the tables, returns no row. */
#define MSGRAPH_HUNTING_HEALTH_BODY "{\"Query\":\"AlertEvidence | take 0 | union (AlertInfo | take 0)\"}"
/* Alerts asked for per observable, at most. */
#define MSGRAPH_HUNTING_TAKE_MAX 10000
/* Observables in one query, at most: bounds the text and the work of one
 * query; more make several queries. */
#define MSGRAPH_HUNTING_BATCH_MAX 50
/* Rows advanced hunting returns for one query, at most (D8 of
 * docs/MSGRAPH-ALERTS-V2.md): a query holds no more observables than
 * this over the take, so that every one may fill its take. */
#define MSGRAPH_HUNTING_ROWS_MAX 100000
/* Query text, in bytes, past which no further observable is added. */
#define MSGRAPH_HUNTING_QUERY_MAX (100 * 1024)
/* Where external_references point when the relay has no setting. */
#define MSGRAPH_PORTAL_DEFAULT "https://security.microsoft.com"

/* value as a KQL string literal: between double quotes, with \ " escaped
 * by a backslash and tab and newline written \t and \n.  -EILSEQ: value
 * is not UTF-8 or holds another control character (U+0000-U+001F, U+007F;
 * Kusto documents no escape for them).  -EINVAL: value NULL. */
int msgraph_kql_string_literal(const char *value, char **ret);

/* One observable of a hunting query. */
typedef struct MsgraphHuntingItem {
        MsgraphObservable type;
        const char *value;
} MsgraphHuntingItem;

/* Whether a hunting query can hold the observable: 0; -EINVAL for t out
 * of range or an empty value; -EILSEQ as msgraph_kql_string_literal(). */
int msgraph_hunting_check(MsgraphObservable t, const char *value);

/* The KQL query of items[0..n): for each, the ids of the alerts with a
 * matching AlertEvidence row, tagged with its index (column Obs); the
 * alerts joined to AlertInfo and summarised once; per index, newest first,
 * at most limit rows (capped to MSGRAPH_HUNTING_TAKE_MAX).  Rows come
 * ordered by Obs.  The values only ever appear inside string literals made
 * by msgraph_kql_string_literal().  Errors as msgraph_hunting_check() for
 * any item, and -EINVAL for n == 0 or limit < 1. */
int msgraph_hunting_query(const MsgraphHuntingItem *items, size_t n, int64_t limit, char **ret);

/* How many of items[0..n), from the first, go into one query: at most
 * MSGRAPH_HUNTING_BATCH_MAX and MSGRAPH_HUNTING_ROWS_MAX over the take,
 * and no more once the text passes MSGRAPH_HUNTING_QUERY_MAX; at least 1
 * when n >= 1 (a value too long for the cap alone still gets its query). */
size_t msgraph_hunting_batch(const MsgraphHuntingItem *items, size_t n, int64_t limit);

/* The JSON body of POST /security/runHuntingQuery: {"Query": <query>},
 * plus "Timespan" when timespan is not NULL (an ISO 8601 duration or
 * interval such as "P30D"; Microsoft's default is 30 days).  Errors as
 * msgraph_hunting_query(), and -EINVAL for a timespan that is empty or has
 * characters other than A-Z a-z 0-9 : . / + -. */
int msgraph_hunting_body(const MsgraphHuntingItem *items, size_t n, int64_t limit, const char *timespan,
                         char **ret);

/* How external references to the Defender portal are made: url NULL for
 * none; tenant_id, when not NULL, is added as "?tid=". */
typedef struct MsgraphPortal {
        const char *url;                /* e.g. MSGRAPH_PORTAL_DEFAULT, no trailing '/' needed */
        const char *tenant_id;
} MsgraphPortal;

/* The sighting of one result row of the query above (the mapping of
 * docs/MSGRAPH-ALERTS-V2.md), for the observable (t, value).  portal may
 * be NULL.  The dynamic columns (Devices, Files, Connections) may come as
 * arrays or as strings holding JSON arrays.  -EINVAL: t out of range,
 * value NULL, row not an object; -EBADMSG: no time at all in the row. */
int msgraph_hunting_sighting(MsgraphObservable t, const char *value, const cJSON *row,
                             const MsgraphPortal *portal, const CtimRandom *rnd, cJSON **ret);

/* The sightings of observable number obs of a runHuntingQuery response:
 * the rows of its "results" array (missing or not an array counts as
 * empty) whose Obs is obs (a number, or digits as a string; rows with
 * another or none belong to no one), in Microsoft's order, at most limit,
 * skipped rows counted in *ret_skipped (may be NULL).  Errors as
 * msgraph_legacy_sightings(), and -EINVAL for obs < 0. */
int msgraph_hunting_sightings(MsgraphObservable t, const char *value, int64_t obs, const cJSON *response,
                              int64_t limit, const MsgraphPortal *portal, const CtimRandom *rnd, cJSON **ret,
                              size_t *ret_skipped);

/* --- Errors (§7.5, §9 rows 21-23) ---------------------------------------- */

/* The Microsoft call a response answers: the mapping of 404 differs. */
typedef enum MsgraphCall {
        MSGRAPH_CALL_TOKEN,             /* login.microsoftonline.com .../oauth2/v2.0/token */
        MSGRAPH_CALL_ALERTS,            /* legacy GET /security/alerts: 404 = no alerts */
        MSGRAPH_CALL_HEALTH,            /* legacy health check: 404 = ok */
        MSGRAPH_CALL_HUNTING,           /* POST /security/runHuntingQuery (its health check too) */
        _MSGRAPH_CALL_MAX,
        _MSGRAPH_CALL_INVALID = -EINVAL,
} MsgraphCall;

/* A TR error: {"type": "fatal", "code": code, "message": message}. */
typedef struct MsgraphError {
        const char *code;               /* static: CTIM_CODE_AUTHORIZATION, CTIM_CODE_UNKNOWN, ... */
        char *message;                  /* owned; valid UTF-8, at most MSGRAPH_ERROR_MESSAGE_MAX bytes */
} MsgraphError;

#define MSGRAPH_ERROR_MESSAGE_MAX 1024

/* Frees the message and empties e; accepts NULL. */
void msgraph_error_done(MsgraphError *e);

/* Maps a Microsoft response.  Returns 0 when it is no error for that call
 * (2xx; 404 from the legacy alerts or health call), 1 when it is one, with
 * *ret set: 404 from the token endpoint is "authorization error"
 * "Authorization failed: Specified Tenant ID was not found"; otherwise the
 * table of §7.5 by status (429, 401, 503, 400, 403, 404, anything else
 * "unknown").  Where the message quotes Microsoft, it takes the first of
 * error_description, error.message, error (a string), the body text
 * (blanks trimmed), "HTTP <status>" (empty body); a message is never a
 * reason for a 500 (§9 row 21).  Invalid UTF-8 in it becomes U+FFFD and
 * it is cut at MSGRAPH_ERROR_MESSAGE_MAX bytes.  body may be NULL when
 * len is 0.  -EINVAL: call out of range, status out of 100-999. */
int msgraph_error_from_response(MsgraphCall call, long status, const char *body, size_t len, MsgraphError *ret);

/* TLS verification failed (§7.5): "unknown",
 * "Unable to verify SSL certificate: <reason>", the reason with its first
 * letter upper-cased and the rest lower-cased, as Python's capitalize()
 * (§9 row 23). */
void msgraph_error_tls(const char *reason, MsgraphError *ret);

/* The connection failed or timed out (§7.5, §9 rows 14, 22):
 * "connection error",
 * "Unable to connect Microsoft Graph Security, validate the configured API URL: <url>". */
void msgraph_error_connect(const char *url, MsgraphError *ret);
