/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <syslog.h>

/* Structured fields that journald stores as SECRESP_*; any may be NULL. */
typedef struct LogFields {
        const char *source;     /* SECRESP_SOURCE */
        const char *responder;  /* SECRESP_RESPONDER */
        const char *entity;     /* SECRESP_ENTITY */
        const char *kind;       /* SECRESP_KIND */
        const char *action;     /* SECRESP_ACTION */
        const char *result;     /* SECRESP_RESULT */
        const char *user;       /* SECRESP_USER: the operator behind a control request */
} LogFields;

typedef enum LogTarget {
        LOG_TARGET_AUTO,        /* journal when stderr is the journal, else stderr */
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -22,
} LogTarget;

void log_setup(const char *ident, LogTarget target, int max_priority);
int log_get_max_priority(void);
bool log_to_journal(void);
LogTarget log_target_from_string(const char *s);
const char *log_target_to_string(LogTarget t);
int log_priority_from_string(const char *s);
const char *log_priority_to_string(int prio);

/* Returns -err when err < 0 so callers can `return log_errno(...)`. */
int log_full(int prio, int err, const char *message_id, const LogFields *f,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define log_debug(...)   log_full(LOG_DEBUG, 0, NULL, NULL, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, 0, NULL, NULL, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, 0, NULL, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, NULL, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, 0, NULL, NULL, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full(LOG_ERR, (e), NULL, NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full(LOG_WARNING, (e), NULL, NULL, __VA_ARGS__)
#define log_event(prio, id, fields, ...) log_full((prio), 0, (id), (fields), __VA_ARGS__)
