/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The summary of a source's cycle that VAR sent by e-mail and syslog
 * (vectra.md §5.2, §5.3): info, warning and error lines.  Unlike VAR,
 * every section reaches the e-mail, and a summary holds one cycle only.
 * Pure: formatting, no I/O. */

typedef enum SummaryLevel {
        SUMMARY_INFO,
        SUMMARY_WARNING,
        SUMMARY_ERROR,
        _SUMMARY_LEVEL_MAX,
} SummaryLevel;

typedef enum SyslogFormat {
        SYSLOG_FORMAT_CEF,
        SYSLOG_FORMAT_STANDARD,
        _SYSLOG_FORMAT_MAX,
} SyslogFormat;

typedef struct Summary {
        char **lines[_SUMMARY_LEVEL_MAX];
        size_t n[_SUMMARY_LEVEL_MAX];
} Summary;

void summary_add(Summary *s, SummaryLevel l, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool summary_empty(const Summary *s);
void summary_done(Summary *s);

/* "Info\nline\nline\nWarning\n...": every non-empty section in order. */
char *summary_text(const Summary *s);

/* A whole RFC 5322 message with CRLF line ends: From, To, Subject, Date
 * (`date` already formatted as RFC 5322 wants), MIME headers, then the
 * text.  Header values are taken as given: the caller checks them. */
char *summary_email(const Summary *s, const char *from, const char *const *to, const char *subject,
                    const char *date);

/* The syslog message of one non-empty section, VAR's wire format without
 * a header: "<PRI>" (facility user: 14 info, 12 warning, 11 error), then
 * "Info: a; b; " or, in CEF, "CEF:0|Vectra Networks|X Series|var|Vectra
 * Automated Response|<2|5|8>|Info: a; b; ".  NULL for an empty section. */
char *summary_syslog(const Summary *s, SummaryLevel l, SyslogFormat f);

/* VAR's --test_syslog message ("INFO: TEST TEST TEST", CEF severity 2). */
char *summary_syslog_test(SyslogFormat f);

const char *summary_level_name(SummaryLevel l);         /* "Info", "Warning", "Error" */
