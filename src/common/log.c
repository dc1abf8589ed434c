/* SPDX-License-Identifier: MIT */
#include "config.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#include "common/log.h"
#include "common/xalloc.h"

static const char *log_ident = "secresp";
static bool journal = false;
static int max_prio = LOG_INFO;

static const char *const prio_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
        [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* JOURNAL_STREAM is "dev:ino" of the stream systemd connected to stderr;
 * only trust it when stderr still is that stream (sd-daemon(3)). */
static bool stderr_is_journal(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(const char *ident, LogTarget target, int max_priority)
{
        if (ident)
                log_ident = ident;
        if (max_priority >= 0)
                max_prio = max_priority;
        switch (target) {
        case LOG_TARGET_JOURNAL:
                journal = true;
                break;
        case LOG_TARGET_STDERR:
                journal = false;
                break;
        default:
                journal = stderr_is_journal();
                break;
        }
}

int log_get_max_priority(void) { return max_prio; }
bool log_to_journal(void) { return journal; }

LogTarget log_target_from_string(const char *s)
{
        if (!strcmp(s, "auto"))
                return LOG_TARGET_AUTO;
        if (!strcmp(s, "journal"))
                return LOG_TARGET_JOURNAL;
        if (!strcmp(s, "stderr"))
                return LOG_TARGET_STDERR;
        return _LOG_TARGET_INVALID;
}

const char *log_target_to_string(LogTarget t)
{
        static const char *const n[] = { "auto", "journal", "stderr" };
        return t >= 0 && t < _LOG_TARGET_MAX ? n[t] : NULL;
}

int log_priority_from_string(const char *s)
{
        for (size_t i = 0; i < sizeof(prio_names) / sizeof(prio_names[0]); i++)
                if (prio_names[i] && !strcmp(s, prio_names[i]))
                        return (int) i;
        if (!strcmp(s, "error"))
                return LOG_ERR;
        return -EINVAL;
}

const char *log_priority_to_string(int prio)
{
        return prio >= 0 && prio <= LOG_DEBUG ? prio_names[prio] : "?";
}

static void add_field(struct iovec *iov, int *n, char **owned, const char *name, const char *value)
{
        if (!value)
                return;
        owned[*n] = xasprintf("%s=%s", name, value);
        iov[*n].iov_base = owned[*n];
        iov[*n].iov_len = strlen(owned[*n]);
        (*n)++;
}

int log_full(int prio, int err, const char *message_id, const LogFields *f, const char *fmt, ...)
{
        int saved_errno = errno;
        char *msg;
        va_list ap;

        if (prio > max_prio)
                return err < 0 ? err : -abs(err);

        va_start(ap, fmt);
        msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (err) {
                char *m = xasprintf("%s: %s", msg, strerror(abs(err)));
                free(msg);
                msg = m;
        }

        if (journal) {
                struct iovec iov[16];
                char *owned[16];
                char prio_s[16];
                int n = 0;

                snprintf(prio_s, sizeof(prio_s), "%d", prio);
                add_field(iov, &n, owned, "MESSAGE", msg);
                add_field(iov, &n, owned, "PRIORITY", prio_s);
                add_field(iov, &n, owned, "SYSLOG_IDENTIFIER", log_ident);
                add_field(iov, &n, owned, "MESSAGE_ID", message_id);
                if (err) {
                        char e[16];
                        snprintf(e, sizeof(e), "%d", abs(err));
                        add_field(iov, &n, owned, "ERRNO", e);
                }
                if (f) {
                        add_field(iov, &n, owned, "SECRESP_SOURCE", f->source);
                        add_field(iov, &n, owned, "SECRESP_RESPONDER", f->responder);
                        add_field(iov, &n, owned, "SECRESP_ENTITY", f->entity);
                        add_field(iov, &n, owned, "SECRESP_KIND", f->kind);
                        add_field(iov, &n, owned, "SECRESP_ACTION", f->action);
                        add_field(iov, &n, owned, "SECRESP_RESULT", f->result);
                        add_field(iov, &n, owned, "SECRESP_USER", f->user);
                }
                (void) sd_journal_sendv(iov, n);
                for (int i = 0; i < n; i++)
                        free(owned[i]);
        } else {
                fprintf(stderr, "%s: %s: %s\n", log_ident, log_priority_to_string(prio), msg);
        }
        free(msg);
        errno = saved_errno;
        return err < 0 ? err : -abs(err);
}
