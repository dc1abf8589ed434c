/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xalloc.h"
#include "engine/summary.h"

static const char *const level_names[_SUMMARY_LEVEL_MAX] = { "Info", "Warning", "Error" };
static const int syslog_pri[_SUMMARY_LEVEL_MAX] = { 14, 12, 11 };     /* user.info, .warning, .err */
static const int cef_severity[_SUMMARY_LEVEL_MAX] = { 2, 5, 8 };

#define CEF_PREFIX "CEF:0|Vectra Networks|X Series|var|Vectra Automated Response|"

const char *summary_level_name(SummaryLevel l)
{
        return l >= 0 && l < _SUMMARY_LEVEL_MAX ? level_names[l] : NULL;
}

void summary_add(Summary *s, SummaryLevel l, const char *fmt, ...)
{
        va_list ap;
        char *line;

        if (l < 0 || l >= _SUMMARY_LEVEL_MAX)
                return;
        va_start(ap, fmt);
        line = xvasprintf(fmt, ap);
        va_end(ap);
        /* one line per message: a vendor's error text may hold newlines */
        for (char *p = line; *p; p++)
                if (*p == '\r' || *p == '\n')
                        *p = ' ';
        s->lines[l] = xreallocarray(s->lines[l], s->n[l] + 1, sizeof(char *));
        s->lines[l][s->n[l]++] = line;
}

bool summary_empty(const Summary *s)
{
        for (int l = 0; l < _SUMMARY_LEVEL_MAX; l++)
                if (s->n[l])
                        return false;
        return true;
}

void summary_done(Summary *s)
{
        for (int l = 0; l < _SUMMARY_LEVEL_MAX; l++) {
                for (size_t i = 0; i < s->n[l]; i++)
                        free(s->lines[l][i]);
                free(s->lines[l]);
        }
        *s = (Summary) { 0 };
}

static char *text(const Summary *s, const char *eol)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                abort();
        for (int l = 0; l < _SUMMARY_LEVEL_MAX; l++) {
                if (!s->n[l])
                        continue;
                fprintf(f, "%s%s", level_names[l], eol);
                for (size_t i = 0; i < s->n[l]; i++)
                        fprintf(f, "%s%s", s->lines[l][i], eol);
        }
        if (fclose(f) != 0)
                abort();
        return buf;
}

char *summary_text(const Summary *s)
{
        return text(s, "\n");
}

char *summary_email(const Summary *s, const char *from, const char *const *to, const char *subject,
                    const char *date)
{
        _cleanup_free_ char *body = text(s, "\r\n");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                abort();
        fprintf(f, "From: %s\r\nTo: ", from);
        for (size_t i = 0; to && to[i]; i++)
                fprintf(f, "%s%s", i ? ", " : "", to[i]);
        fprintf(f, "\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s",
                subject, date, body);
        if (fclose(f) != 0)
                abort();
        return buf;
}

char *summary_syslog(const Summary *s, SummaryLevel l, SyslogFormat f)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m;

        if (l < 0 || l >= _SUMMARY_LEVEL_MAX || !s->n[l])
                return NULL;
        m = open_memstream(&buf, &len);
        if (!m)
                abort();
        fprintf(m, "<%d>", syslog_pri[l]);
        if (f == SYSLOG_FORMAT_CEF)
                fprintf(m, CEF_PREFIX "%d|", cef_severity[l]);
        fprintf(m, "%s: ", level_names[l]);
        for (size_t i = 0; i < s->n[l]; i++)
                fprintf(m, "%s; ", s->lines[l][i]);
        if (fclose(m) != 0)
                abort();
        return buf;
}

char *summary_syslog_test(SyslogFormat f)
{
        return f == SYSLOG_FORMAT_CEF ? xasprintf("<14>" CEF_PREFIX "2|INFO: TEST TEST TEST")
                                      : xstrdup("<14>INFO: TEST TEST TEST");
}
