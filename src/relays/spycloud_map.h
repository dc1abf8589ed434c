/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SpyCloud Employee ATO relay, the pure half (relays.md §8): what an
 * observe request makes of SpyCloud's answers.  No I/O, no logging, no
 * clock; randomness (sighting ids) is injected.
 *
 * The caller (the relay on the HTTP client) does, per observe request:
 *
 *   emails = spycloud_observables_emails(body)            §8.1
 *   limit  = ctim_entities_limit(claim CTR_ENTITIES_LIMIT) §5
 *   catalogs = spycloud_catalogs_new()        shared by all the e-mails
 *   result   = spycloud_result_new()
 *   for each e-mail, in order:
 *       GET spycloud_path_breach(email)
 *       spycloud_answer_parse(status, body) → error: stop (fatal)
 *       spycloud_breach_new(json, limit)    → error: stop (fatal)
 *       for each id of spycloud_breach_catalog_ids() not yet
 *       spycloud_catalogs_has(): GET spycloud_path_catalog(id),
 *           spycloud_answer_parse() → error: stop (fatal);
 *           spycloud_catalogs_put(id, json or NULL after a 400)
 *       spycloud_result_add(result, email, breach, catalogs)
 *   body = spycloud_result_response(result, fatal error or NULL)
 *   log spycloud_result_notes()
 *
 * The e-mails may be looked up in parallel, but an e-mail's data is added
 * only when every e-mail before it succeeded: the first fatal error in
 * input order ends the response, with the data of the e-mails before it
 * (upstream test "two e-mails, the second gets a 403").
 *
 * Deliberate differences from upstream (relays.md §9), all in the output
 * only where upstream answered HTTP 500:
 *   - catalogs are fetched once per distinct source_id per request, and only
 *     for the records kept after sorting and the limit (§9 #33);
 *   - one missing-catalog warning per source_id per e-mail (#34);
 *   - indicators deduplicated by id over the whole response (#36);
 *   - severity outside the bands or missing → "Unknown" (#37);
 *   - publish dates: RFC 3339 variants accepted and normalised; a record with
 *     an unusable date is dropped before sorting (a note says so); an
 *     indicator whose catalog date is unusable is left out (#38);
 *   - catalog confidence outside {0, 1, 2, 3, null} or missing → "Unknown";
 *     assets missing or not an object → tags [] (#39);
 *   - 401/403 without a usable message → the reason phrase (#40); other
 *     statuses with a non-JSON body → the body text (#41);
 *   - fields of the wrong JSON type are treated as absent (a note says so)
 *     instead of being copied into CTIM fields that must be strings;
 *   - a record whose source_id is not an integer is dropped (a note);
 *   - records are sorted by the instant their date denotes, newest first,
 *     stable (the same order as upstream's string sort for SpyCloud's own
 *     "YYYY-MM-DDTHH:MM:SSZ" form). */

typedef struct cJSON cJSON;
typedef struct CtimRandom CtimRandom;

#define SPYCLOUD_SCHEMA_VERSION "1.0.17"
#define SPYCLOUD_SOURCE "Spycloud"
#define SPYCLOUD_SIGHTING_TITLE "Reported to Spycloud"
#define SPYCLOUD_RELATION_ORIGIN "Spycloud Breach Module"
#define SPYCLOUD_PORTAL_CATALOG_URL "https://portal.spycloud.com/breach/catalog/"

/* A TR error: code is one of the static CTIM_CODE_* strings, message is
 * owned.  spycloud_error_done() frees the message and zeroes the struct. */
typedef struct SpycloudError {
        const char *code;
        char *message;
} SpycloudError;

void spycloud_error_done(SpycloudError *e);

/* ---- requests ---------------------------------------------------------------- */

/* The e-mails of a validated /observe/observables body (a list of
 * {"type","value"} objects, §2.6): types compared after ASCII lower-casing,
 * only "email" kept, exact duplicates dropped, first-occurrence order,
 * values compared case-sensitively (§8.1).  Entries that are not such
 * objects are skipped.  Returns the count; *ret is an owned NULL-terminated
 * array of owned strings (free each and the array; ret may be NULL). */
size_t spycloud_observables_emails(const cJSON *observables, char ***ret);

/* "breach/data/emails/<email>" with the e-mail percent-encoded except for
 * RFC 3986 unreserved characters and '@' (§9 #32), relative to the API
 * base (https://api.spycloud.io/enterprise-v2/).  Owned. */
char *spycloud_path_breach(const char *email);

/* "breach/catalog/<source_id>".  Owned. */
char *spycloud_path_catalog(int64_t source_id);

/* The X-API-Key header value for key: the key as Latin-1 bytes, as
 * Python's http.client sends it.  -EINVAL when requests would have refused
 * to send it (a character above U+00FF, CR or LF, other control characters,
 * leading whitespace, invalid UTF-8); the relay then answers
 * spycloud_error_unauthorized() (§8.3, 2.0.4 CCTRI-3436). */
int spycloud_api_key_header(const char *key, char **ret);

/* ---- upstream answers (§8.3) ---------------------------------------------------- */

/* spycloud_answer_parse() results besides errors. */
enum {
        SPYCLOUD_ANSWER_BODY = 0,       /* *ret_body holds the parsed JSON */
        SPYCLOUD_ANSWER_EMPTY = 1,      /* 400: upstream's {} ("no data"; health: ok) */
};

/* Classifies one SpyCloud answer, for any call (health, breach, catalog):
 *   status < 400 → SPYCLOUD_ANSWER_BODY with the body parsed (owned by the
 *                  caller); a body that is not JSON → -EBADMSG, "unknown"
 *                  "Unexpected response from Spycloud: the body is not JSON"
 *                  (upstream: HTTP 500; the health call may ignore it);
 *   400 → SPYCLOUD_ANSWER_EMPTY, *ret_body NULL;
 *   401, 403 → -EACCES, "authorization error" "Authorization failed: <msg>",
 *              msg = the body's "message" (a string, or str() of another
 *              non-null value), else "Unauthorized" / "Forbidden";
 *   404 → -ENOENT, "not found" "The Spycloud not found.";
 *   429 → -EAGAIN, "too many requests" "Too many requests have been made to
 *         Spycloud. Please, try again later.";
 *   500 → -EIO, "internal error" "The Spycloud internal error.";
 *   other → -EPROTO, "unknown" with Python's str() of the JSON body
 *           ({'message': 'Bad gateway'}), or the body text with surrounding
 *           whitespace trimmed when it is not JSON; an empty message becomes
 *           "Something went wrong." (TRError).
 * Messages are cut at 1024 bytes (at a UTF-8 boundary, "..." appended).
 * ret_body and ret_error are set only for their outcome. */
int spycloud_answer_parse(long status, const char *body, size_t body_len, cJSON **ret_body,
                          SpycloudError *ret_error);

/* Transport failures, as TR errors:
 *   TLS verification → "unknown" "Unable to verify SSL certificate: <verify
 *   message>" (not capitalised, unlike Graph);
 *   connection failure or timeout → "connection error" "Unable to connect to
 *   Spycloud: <url>" (secresp wording, §9 #42);
 *   a key that cannot be sent → "authorization error" "Authorization
 *   failed: Unauthorized". */
void spycloud_error_tls(const char *verify_message, SpycloudError *ret);
void spycloud_error_connect(const char *url, SpycloudError *ret);
void spycloud_error_unauthorized(SpycloudError *ret);

/* ---- catalogs ------------------------------------------------------------------- */

/* The breach/catalog/<id> answers of one observe request, by source_id. */
typedef struct SpycloudCatalogs SpycloudCatalogs;

SpycloudCatalogs *spycloud_catalogs_new(void);
SpycloudCatalogs *spycloud_catalogs_free(SpycloudCatalogs *c);

/* Records the answer for source_id: body is the parsed body of a
 * SPYCLOUD_ANSWER_BODY answer (copied; the caller keeps it), or NULL after a
 * 400.  The catalog is results[0]; a body without a non-empty results list
 * or whose results[0] is not a non-empty object is an empty catalog (the
 * "SpyCloud did not return results for <id>" warning).  A second put for
 * the same id replaces the first. */
void spycloud_catalogs_put(SpycloudCatalogs *c, int64_t source_id, const cJSON *body);

bool spycloud_catalogs_has(const SpycloudCatalogs *c, int64_t source_id);

/* ---- breach records -------------------------------------------------------------- */

/* The breach/data/emails/<email> answer of one e-mail, checked, sorted and
 * cut to the limit (§8.4 steps 4.2–4.4). */
typedef struct SpycloudBreach SpycloudBreach;

/* body: the parsed body of a SPYCLOUD_ANSWER_BODY answer (copied as
 * needed; the caller keeps it), or NULL after a 400.  limit: from
 * ctim_entities_limit(); below 1 means CTIM_ENTITIES_LIMIT_DEFAULT.
 *   - NULL or a falsy body (null, {}, [], "", 0, false) → no records (as
 *     upstream skips the e-mail);
 *   - another body that is not an object, or a "results" that is present,
 *     not null and not a list → -EBADMSG with "unknown" "Unexpected
 *     response from Spycloud: <what>" in *ret_error;
 *   - "results" absent or null → no records (a note);
 *   - a record that is not an object, has no integer source_id
 *     (|id| ≤ 2^53) or no usable spycloud_publish_date is dropped (a note);
 *   - the rest: sorted newest first (stable), the first limit kept. */
int spycloud_breach_new(const cJSON *body, int64_t limit, SpycloudBreach **ret, SpycloudError *ret_error);
SpycloudBreach *spycloud_breach_free(SpycloudBreach *b);

/* Records kept. */
size_t spycloud_breach_count(const SpycloudBreach *b);

/* The distinct source_ids of the kept records, in the order first met: the
 * catalogs to fetch.  *ret points into b. */
size_t spycloud_breach_catalog_ids(const SpycloudBreach *b, const int64_t **ret);

/* Notes on records dropped or fields ignored, for the caller to log. */
size_t spycloud_breach_notes(const SpycloudBreach *b, const char *const **ret);

/* ---- the response ------------------------------------------------------------------ */

/* The entities and warnings of one observe request. */
typedef struct SpycloudResult SpycloudResult;

SpycloudResult *spycloud_result_new(void);
SpycloudResult *spycloud_result_free(SpycloudResult *r);

/* Adds one e-mail's sightings, indicators and warnings (§8.4 step 4.5,
 * §8.5, §8.6): a sighting per kept record in order; an indicator per
 * catalog first met, unless an indicator with its id is already in r; a
 * warning per empty (or never put) catalog, once per source_id for this
 * e-mail.  rnd: sighting ids (NULL: ctim_random_system).  -EIO when uuid5
 * cannot be computed (no SHA-1), with r unchanged. */
int spycloud_result_add(SpycloudResult *r, const char *email, const SpycloudBreach *b,
                        const SpycloudCatalogs *c, const CtimRandom *rnd);

size_t spycloud_result_sightings(const SpycloudResult *r);
size_t spycloud_result_indicators(const SpycloudResult *r);
size_t spycloud_result_warnings(const SpycloudResult *r);

/* The warnings' messages ("SpyCloud did not return results for 17494"),
 * in order; *ret points into r. */
size_t spycloud_result_warning_messages(const SpycloudResult *r, const char *const **ret);

/* Notes for the log: those of the breaches added (prefixed with the
 * e-mail) and of the catalogs met.  *ret points into r. */
size_t spycloud_result_notes(const SpycloudResult *r, const char *const **ret);

/* The data object: {"sightings": {count, docs}, "indicators": {...}}, each
 * only when non-empty; {} when nothing was found.  A new tree. */
cJSON *spycloud_result_data(const SpycloudResult *r);

/* The /observe/observables response body (§2.1, §2.2, §8.4 step 5), a new
 * tree to print with ctim_json_print(CTIM_JSON_NEWLINE):
 *   fatal NULL → {"data": <data>} plus "errors": [<warnings>] if any;
 *   fatal set  → {"errors": [<fatal>]} plus "data" when it holds anything;
 *               the warnings are dropped (§9 #35). */
cJSON *spycloud_result_response(const SpycloudResult *r, const SpycloudError *fatal);
