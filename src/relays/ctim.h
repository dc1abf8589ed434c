/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CTIM entities as the Threat Response relays emit them (relays.md §2,
 * §7.6, §8.5, §8.6), and the JSON helpers the relays share: UUIDs, time
 * stamps, CTR_ENTITIES_LIMIT, TR error envelopes, and the serialiser that
 * prints JSON the way Flask's jsonify does (§2.5).
 *
 * Pure: no I/O, no logging, no clock.  Randomness is injected (CtimRandom);
 * ctim_random_system is the one implementation that reaches outside
 * (OpenSSL's CSPRNG).
 *
 * Conventions:
 *   - Entities are cJSON trees.  Keys are added in any order: the serialiser
 *     sorts them.  Every tree returned is owned by the caller (cJSON_Delete).
 *   - String arguments are copied.  cJSON arguments are TAKEN: after the call
 *     they belong to the object built (or are freed with it), so build them
 *     fresh, e.g. ctim_sighting_new(&(CtimSighting) { .observables =
 *     ctim_observables_one("email", v), ... }).
 *   - Optional string fields left NULL and optional cJSON fields left NULL are
 *     omitted from the output; an empty list must be passed as an empty
 *     array (cJSON_CreateArray()) when the relay emits "[]".
 *   - Allocation failures abort (as xalloc does).
 *   - Functions that can fail return 0 or a negative errno; ret_ parameters
 *     are set only on success.  Returned char * are owned by the caller. */

typedef struct cJSON cJSON;

/* ---- UUIDs (RFC 4122) ----------------------------------------------------- */

typedef struct CtimUuid {
        uint8_t bytes[16];
} CtimUuid;

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" plus the NUL. */
#define CTIM_UUID_STRING_SIZE 37

/* The namespaces of RFC 4122 appendix C (Python's uuid.NAMESPACE_*). */
extern const CtimUuid CTIM_UUID_NAMESPACE_DNS;   /* 6ba7b810-9dad-11d1-80b4-00c04fd430c8 */
extern const CtimUuid CTIM_UUID_NAMESPACE_URL;   /* 6ba7b811-… */
extern const CtimUuid CTIM_UUID_NAMESPACE_OID;   /* 6ba7b812-… */
extern const CtimUuid CTIM_UUID_NAMESPACE_X500;  /* 6ba7b814-… (SpyCloud indicator ids) */

/* Version 4: the 16 random bytes with the version and variant bits set. */
void ctim_uuid4_from_bytes(const uint8_t random[16], CtimUuid *ret);

/* Version 5 as Python's uuid.uuid5(ns, name): SHA-1 (OpenSSL EVP) over the
 * namespace's 16 bytes followed by the name's bytes (give UTF-8, as Python
 * encodes str), truncated to 16 bytes, version and variant set.
 * -EIO when the digest is unavailable (e.g. a provider without SHA-1). */
int ctim_uuid5(const CtimUuid *ns, const void *name, size_t name_len, CtimUuid *ret);

/* Lower-case canonical text, as Python's str(uuid). */
void ctim_uuid_format(const CtimUuid *u, char ret[CTIM_UUID_STRING_SIZE]);

/* Canonical text, either case; -EINVAL for anything else. */
int ctim_uuid_parse(const char *s, CtimUuid *ret);

/* ---- randomness ------------------------------------------------------------- */

/* Fills buf with n random bytes; must not fail. */
typedef struct CtimRandom {
        void (*fill)(void *userdata, void *buf, size_t n);
        void *userdata;
} CtimRandom;

/* OpenSSL's RAND_bytes(); aborts if the CSPRNG cannot produce bytes. */
extern const CtimRandom ctim_random_system;

/* A random (v4) UUID from rnd (NULL: ctim_random_system). */
void ctim_uuid4(const CtimRandom *rnd, CtimUuid *ret);

/* ---- ids ---------------------------------------------------------------------- */

/* "transient:<type>-<uuid4>" (the relays' get_transient_id() without a base
 * value), e.g. "transient:sighting-1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b".
 * type is a CTIM type name ("sighting", "indicator", "relationship").
 * rnd NULL: ctim_random_system.  Returns an owned string. */
char *ctim_transient_id(const char *type, const CtimRandom *rnd);

/* "transient:<type>-<uuid5(ns, name)>": deterministic, as get_transient_id()
 * with a base value.  SpyCloud indicators:
 *   ctim_transient_id5("indicator", &CTIM_UUID_NAMESPACE_X500, "17551", &id)
 *   → "transient:indicator-5dc84da0-3f5f-5d29-a58f-4c735c6fe393".
 * -EIO as ctim_uuid5(). */
int ctim_transient_id5(const char *type, const CtimUuid *ns, const char *name, char **ret);

/* ---- time stamps -------------------------------------------------------------- */

/* Times are microseconds since 1970-01-01T00:00:00Z (UTC, no leap seconds),
 * within Python's datetime range, years 0001 to 9999. */
#define CTIM_TIME_MIN_USEC INT64_C(-62135596800000000)   /* 0001-01-01T00:00:00Z */
#define CTIM_TIME_MAX_USEC INT64_C(253402300799999999)   /* 9999-12-31T23:59:59.999999Z */

/* Longest form plus the NUL: "9999-12-31T23:59:59.999999Z". */
#define CTIM_TIME_STRING_SIZE 28

typedef enum CtimTimeForm {
        /* "2020-04-16T00:00:00.000000Z": isoformat(timespec='microseconds') + 'Z',
         * what the SpyCloud relay emits */
        CTIM_TIME_MICROSECONDS,
        /* "2020-04-16T00:00:00.000Z": as SecureX re-serialised the snapshots */
        CTIM_TIME_MILLISECONDS,
        /* "2020-04-16T00:00:00Z": SpyCloud's own form */
        CTIM_TIME_SECONDS,
        _CTIM_TIME_FORM_MAX,
} CtimTimeForm;

/* -ERANGE outside [CTIM_TIME_MIN_USEC, CTIM_TIME_MAX_USEC], -EINVAL for an
 * unknown form.  Sub-units are truncated (towards the earlier time). */
int ctim_time_format(int64_t usec, CtimTimeForm form, char ret[CTIM_TIME_STRING_SIZE]);

/* RFC 3339 date-time: "YYYY-MM-DD" "T"|"t"|" " "hh:mm:ss" [ "." 1*DIGIT ]
 * ( "Z" | "z" | ("+"|"-") "hh:mm" ), converted to UTC.  Fraction digits
 * beyond the sixth are dropped.  Calendar-checked (2019-02-29 fails); a leap
 * second (":60") fails as it does in Python's datetime.  -EINVAL when the
 * text is not such a date-time, -ERANGE when it is out of range after the
 * offset is applied. */
int ctim_time_parse(const char *s, int64_t *ret_usec);

/* ctim_time_parse() then ctim_time_format(): "2020-04-16T00:00:00Z" with
 * CTIM_TIME_MICROSECONDS → "2020-04-16T00:00:00.000000Z". */
int ctim_time_normalize(const char *s, CtimTimeForm form, char ret[CTIM_TIME_STRING_SIZE]);

/* ---- CTR_ENTITIES_LIMIT (§5) -------------------------------------------------- */

#define CTIM_ENTITIES_LIMIT_DEFAULT 100

/* The limit from the JWT claim value (NULL when the claim is absent), with
 * Python int() semantics and secresp's fix for null:
 *   absent, null, false, 0, negative, non-finite, a list or an object → 100;
 *   a number → truncated towards zero (20.7 → 20; 0.5 → 0 → 100);
 *   true → 1;
 *   a string → int(str): surrounding whitespace, one sign, decimal digits
 *   with single '_' between them ("1_000" → 1000, " 7 " → 7, "07" → 7);
 *   anything else ("20.7", "0x10", "") → 100.
 * Values above INT64_MAX are clamped to INT64_MAX. */
int64_t ctim_entities_limit(const cJSON *claim);

/* ---- CTIM building blocks ----------------------------------------------------- */

/* {"type": type, "value": value} */
cJSON *ctim_observable_new(const char *type, const char *value);

/* [{"type": type, "value": value}] */
cJSON *ctim_observables_one(const char *type, const char *value);

/* A list of strings; n strings from v. */
cJSON *ctim_string_array(const char *const *v, size_t n);

/* {"start_time": start, "end_time": end}; either may be NULL (omitted).
 * Used for observed_time and valid_time. */
cJSON *ctim_time_range_new(const char *start_time, const char *end_time);

/* A sighting target: {"type": type, "observables": observables (taken; NULL:
 * []), "observed_time": {start, end}}. */
cJSON *ctim_target_new(const char *type, cJSON *observables, const char *start_time, const char *end_time);

/* An observed relation inside a sighting:
 * {"origin": origin, "relation": relation, "source": source, "related": related};
 * source and related are observables (taken). */
cJSON *ctim_relation_new(const char *origin, const char *relation, cJSON *source, cJSON *related);

/* {"source_name": ..., "description": ..., "url": ..., "external_id": ...};
 * NULL fields are omitted (source_name is required by CTIM). */
cJSON *ctim_external_reference_new(const char *source_name, const char *description, const char *url,
                                   const char *external_id);

/* A sighting data table: {"columns": [], "rows": []}. */
cJSON *ctim_table_new(void);
/* Appends {"name": name, "type": type} to the columns. */
void ctim_table_add_column(cJSON *table, const char *name, const char *type);
/* Appends a row (a list, taken) to the rows. */
void ctim_table_add_row(cJSON *table, cJSON *row);

/* ---- entities ------------------------------------------------------------------ */

/* Tri-state for optional booleans. */
typedef enum CtimBool {
        CTIM_BOOL_UNSET = 0,    /* omitted */
        CTIM_FALSE,
        CTIM_TRUE,
} CtimBool;

/* A Sighting.  Required by CTIM: id, schema_version, count, observed_time
 * (start), confidence; "type":"sighting" is added.  Everything else is
 * emitted only when set. */
typedef struct CtimSighting {
        const char *id;                 /* ctim_transient_id("sighting", …) */
        const char *schema_version;     /* Graph "1.0.12", SpyCloud "1.0.17" */
        const char *source;
        const char *source_uri;
        const char *title;
        const char *description;
        const char *short_description;
        const char *confidence;         /* "High", "Medium", "Low", "None", "Unknown", "Info" */
        const char *severity;           /* same vocabulary as confidence */
        const char *sensor;             /* e.g. "endpoint", "network.firewall" */
        const char *timestamp;          /* copied as given */
        const char *observed_start;     /* observed_time.start_time, as given */
        const char *observed_end;       /* observed_time.end_time; NULL: omitted */
        int64_t count;                  /* emitted always; 0 is emitted as 0 */
        CtimBool internal;
        /* taken; NULL: omitted */
        cJSON *observables;             /* list of observables */
        cJSON *targets;                 /* list of ctim_target_new() */
        cJSON *relations;               /* list of ctim_relation_new() */
        cJSON *external_ids;            /* list of strings */
        cJSON *external_references;     /* list of ctim_external_reference_new() */
        cJSON *data;                    /* ctim_table_new() */
} CtimSighting;

/* Builds the sighting and takes the cJSON members of s (also on failure).
 * -EINVAL (and nothing built) when id or schema_version is NULL. */
int ctim_sighting_new(const CtimSighting *s, cJSON **ret);

/* An Indicator.  Required: id, schema_version, producer, valid_time (an
 * object, possibly empty); "type":"indicator" is added. */
typedef struct CtimIndicator {
        const char *id;
        const char *schema_version;
        const char *producer;
        const char *valid_start;        /* valid_time.start_time; NULL: omitted */
        const char *valid_end;          /* valid_time.end_time; NULL: omitted */
        const char *title;
        const char *short_description;
        const char *description;
        const char *confidence;
        const char *severity;
        const char *source;
        const char *source_uri;
        const char *tlp;
        /* taken; NULL: omitted */
        cJSON *external_ids;
        cJSON *external_references;
        cJSON *tags;                    /* list of strings */
} CtimIndicator;

/* As ctim_sighting_new(); -EINVAL when id, schema_version or producer is NULL. */
int ctim_indicator_new(const CtimIndicator *ind, cJSON **ret);

/* A Relationship entity (CTIM "relationship", e.g. "sighting-of",
 * "member-of", "based-on"), linking two entity ids. */
typedef struct CtimRelationship {
        const char *id;                 /* ctim_transient_id("relationship", …) */
        const char *schema_version;
        const char *relationship_type;
        const char *source_ref;         /* id of the source entity */
        const char *target_ref;         /* id of the target entity */
        const char *source;
        const char *source_uri;
        const char *short_description;
        const char *description;
        cJSON *external_ids;            /* taken; NULL: omitted */
        cJSON *external_references;     /* taken; NULL: omitted */
} CtimRelationship;

/* -EINVAL when id, schema_version, relationship_type, source_ref or
 * target_ref is NULL. */
int ctim_relationship_new(const CtimRelationship *rel, cJSON **ret);

/* ---- TR envelopes (§2.1–§2.3) -------------------------------------------------- */

/* Error codes (§2.3). */
#define CTIM_CODE_AUTHORIZATION     "authorization error"
#define CTIM_CODE_INVALID_ARGUMENT  "invalid argument"
#define CTIM_CODE_PERMISSION_DENIED "permission denied"
#define CTIM_CODE_TOO_MANY_REQUESTS "too many requests"
#define CTIM_CODE_UNAVAILABLE       "service unavailable"
#define CTIM_CODE_NOT_FOUND         "not found"
#define CTIM_CODE_INTERNAL          "internal error"
#define CTIM_CODE_UNKNOWN           "unknown"
#define CTIM_CODE_CONNECTION        "connection error"
#define CTIM_CODE_HEALTH_CHECK      "health check failed"

#define CTIM_ERROR_FATAL   "fatal"
#define CTIM_ERROR_WARNING "warning"

/* {"type": type, "code": code, "message": message}; as the relays' TRError,
 * a NULL or empty code becomes "unknown" and a NULL or empty message
 * "Something went wrong.". */
cJSON *ctim_error_new(const char *type, const char *code, const char *message);

/* {"count": n, "docs": docs}; docs (a list) is taken. */
cJSON *ctim_docs_new(cJSON *docs);

/* The observe data object: {"sightings": {count, docs}, "indicators": {…}},
 * each key only when its list is non-empty (§2.1).  Both lists are taken
 * (NULL = empty).  With neither, {}. */
cJSON *ctim_observe_data_new(cJSON *sightings, cJSON *indicators);

/* The response body: {"data": data, "errors": errors}.  data and errors are
 * taken; data NULL → no "data" key; errors NULL or an empty list → no
 * "errors" key.  The relays' rules (§2.2): on success pass the data always
 * (possibly {}) and the warnings; with a fatal error pass the data only when
 * it holds something (cJSON_GetArraySize(data) > 0) and only that error. */
cJSON *ctim_response_new(cJSON *data, cJSON *errors);

/* ---- JSON helpers ---------------------------------------------------------------- */

/* Python truthiness of a parsed JSON value: NULL (absent), null, false, 0,
 * "", [] and {} are false; anything else true. */
bool ctim_json_truthy(const cJSON *v);

/* The member named key, as Python's dict sees a parsed object: with
 * duplicate keys the LAST one wins (cJSON_GetObjectItem returns the first).
 * Case-sensitive; NULL when absent or when o is not an object. */
cJSON *ctim_json_get(const cJSON *o, const char *key);

/* The members of object o as the dict Python's json.loads builds from it:
 * each key once, in the order of its FIRST occurrence, represented by the
 * item of its LAST occurrence (so ->string is the key and the item the
 * value).  *ret is an owned array (free() it, even when 0 is returned);
 * returns the count, 0 when o is not an object. */
size_t ctim_json_members(const cJSON *o, cJSON ***ret);

/* Nesting the printers accept: cJSON parses up to 1000 levels, and a relay
 * wraps upstream values a few levels deeper. */
#define CTIM_JSON_DEPTH_MAX 1100

/* Serialisation flags. */
typedef enum CtimJsonFlags {
        CTIM_JSON_NEWLINE = 1 << 0,     /* append "\n", as jsonify does */
        CTIM_JSON_UTF8    = 1 << 1,     /* keep non-ASCII as UTF-8 instead of \u escapes */
} CtimJsonFlags;

/* Prints v as Flask's jsonify (json.dumps with sort_keys=True,
 * separators=(",", ":"), ensure_ascii=True):
 *   - object keys sorted by code point at every level; of duplicate keys the
 *     last one is printed, at its sorted place (Python's dict semantics);
 *   - list order kept;
 *   - strings escaped as Python does: \" \\ \n \r \t \b \f, other characters
 *     below 0x20 and from 0x7f up as \u and four lower-case hex digits
 *     (surrogate pairs beyond the BMP); '/' is not escaped.  Invalid UTF-8
 *     bytes become \ufffd;
 *   - numbers: integral values with magnitude below 1e16 as integers
 *     ("17551", "-3"), others as Python's float repr ("20.7", "1e+16",
 *     "1.5e-07").  cJSON keeps no int/float distinction, so 5.0 prints "5";
 *   - a non-finite number (cJSON reads 1e999 as infinity) as null, where
 *     Python would print the invalid "Infinity";
 *   - true, false, null.
 * Nesting deeper than CTIM_JSON_DEPTH_MAX fails with -ELOOP, an invalid
 * node (cJSON_Raw, cJSON_Invalid) with -EINVAL.  ret_len may be NULL. */
int ctim_json_print(const cJSON *v, CtimJsonFlags flags, char **ret, size_t *ret_len);

/* Sorts the keys of every object in v in place (stable, by code point), so
 * that cJSON_PrintUnformatted() prints them in jsonify's order.  Duplicate
 * keys are kept (use ctim_json_print() for Python's dict semantics). */
void ctim_json_sort(cJSON *v);

/* Python's str() of a parsed JSON value, as the relays put an upstream body
 * into an error message (SpyCloud §8.3 "any other" status):
 *   str → itself; other values → repr: {'message': 'Bad gateway'},
 *   [1, 'a'], True, False, None, 17551, 20.7.
 * Strings inside containers use Python's repr quoting (single quotes unless
 * the text holds ' and no "), escapes \\ \n \r \t, \xNN for other ASCII
 * controls, DEL and U+0080–U+00A0 and U+00AD; other non-ASCII characters are
 * kept.  Object keys keep their order (Python dicts do); of duplicates the
 * last value is printed at the first key's place.  NULL (absent) is "None".
 * Returns an owned string, or NULL for nesting deeper than
 * CTIM_JSON_DEPTH_MAX. */
char *ctim_json_pystr(const cJSON *v);
