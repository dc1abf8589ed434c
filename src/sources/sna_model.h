/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>

/* The SMC's request and answer shapes (sna.md §2–§6): pure parsers and
 * builders, no I/O, no logging.  Parsers return 0, or -EPROTO with a
 * short reason in *ret_why (static text) for an answer that is not what
 * the SMC sends; -ENOMEM never (allocation aborts). */

/* "name=value; Path=/; HttpOnly" -> name, value (both owned).  -EINVAL
 * when the header has no name=value pair. */
int sna_cookie_parse(const char *set_cookie, char **ret_name, char **ret_value);

/* A short, printable error text for a non-2xx answer: "HTTP 400: <the
 * message the SMC gave>" (message, error, errors[0].message, detail), cut
 * at 200 bytes, control characters replaced. */
char *sna_error_text(long status, const char *body, size_t len);

/* "High Total Traffic" and "Total High Traffic" name the same event: the
 * words compared as a set, case-insensitively (sna.md §4.1). */
bool sna_event_name_matches(const char *configured, const char *name);

/* The security-event catalogue (GET .../security-events/templates):
 * resolves each name to its id.  Names not found are returned in
 * *ret_missing (a NULL-terminated vector, NULL when all were found). */
int sna_templates_resolve(const cJSON *body, char *const *names, int64_t **ret_ids, size_t *ret_n,
                          char ***ret_missing, const char **ret_why);
/* The name of a template id, or NULL. */
const char *sna_template_name(const cJSON *body, int64_t id);

/* "2021-01-19T10:00:00Z" (UTC) into buf (at least 21 bytes). */
void sna_time_format(time_t t, char *buf, size_t len);

/* The body of POST .../security-events/queries: the time range and the
 * event types (every direction: no hosts filter). */
char *sna_query_body(time_t from, time_t to, const int64_t *type_ids, size_t n);
/* data.searchJob.id of the create answer. */
int sna_search_job_id(const cJSON *body, char **ret_id, const char **ret_why);

typedef enum SnaJobState {
        SNA_JOB_RUNNING,
        SNA_JOB_COMPLETED,
        SNA_JOB_FAILED,                 /* FAILED, CANCELED, ERROR, ... */
} SnaJobState;

/* data.{percentComplete,status} of a poll answer. */
int sna_query_status(const cJSON *body, double *ret_percent, SnaJobState *ret_state, const char **ret_why);

typedef struct SnaPeer {
        char *ip;
        int64_t *tag_ids;
        size_t n_tag_ids;
} SnaPeer;

typedef struct SnaEvent {
        int64_t id;
        int64_t type;
        SnaPeer source, target;         /* ip NULL when the side is absent or not an address */
        int64_t hit_count;
} SnaEvent;

/* data.results[] of GET .../security-events/results/{id}.  Elements
 * without a usable source and target are skipped, not an error. */
int sna_results_parse(const cJSON *body, SnaEvent **ret, size_t *ret_n, const char **ret_why);
void sna_events_free(SnaEvent *ev, size_t n);

/* GET .../internalHosts/tags ([{id, displayName}], bare or under data). */
int sna_tag_ids_parse(const cJSON *body, int64_t **ret, size_t *ret_n, const char **ret_why);

/* In GET .../tags/ (data[] of {id, name, location?}): the id of the tag
 * with this exact name and location (a tag listed without a location
 * matches any).  0 with *ret_id = 0 when there is none. */
int sna_tag_find(const cJSON *body, const char *name, const char *location, int64_t *ret_id, const char **ret_why);

/* The POST .../tags body: a one-element JSON array, never sendToCta. */
char *sna_tag_new_body(const char *name, const char *location, const char *description, int64_t parent_id,
                       char *const *ranges);

/* From GET .../tags/{id} (data = the whole object): the PUT body, the
 * whole object with `add` merged into ranges (set union, existing order
 * kept) and `remove` taken out, sendToCta dropped.  *ret_changed tells
 * whether ranges changed (no PUT needed otherwise). */
int sna_tag_update_body(const cJSON *body, char *const *add, char *const *remove, char **ret_json,
                        bool *ret_changed, const char **ret_why);
/* Whether data.ranges of a tag answer holds every IP of ips (and none of
 * absent). */
bool sna_tag_has_ranges(const cJSON *body, char *const *ips, char *const *absent);

typedef struct SnaAlarmSetting {
        const char *key;                /* "tolerance", "min", "max" */
        const char *value;              /* strings, as the SMC wants them */
} SnaAlarmSetting;

/* `sna setup` (sna.md §6): from GET .../policy/system/events, the PUT body
 * for event_id (a one-element array: id, policyId from the GET, status
 * ENABLED for source and for target unless NOT_APPLICABLE, only the given
 * keys changed) and a report {event, name, policy_id, before, after,
 * changes:[{key, from, to}]}.  -ENOENT when the event is not in the
 * policy. */
int sna_policy_setup(const cJSON *body, int64_t event_id, const SnaAlarmSetting *settings, size_t n,
                     char **ret_put_body, cJSON **ret_report, const char **ret_why);
