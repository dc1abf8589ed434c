/* SPDX-License-Identifier: MIT */
#pragma once
#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "daemon/secrets.h"

/* Table-driven reader for a responder's own settings, so that every vendor
 * module reports its errors alike ("file:line: responders[2].url: ...")
 * and rejects unknown settings with a hint.  The settings every responder
 * has (responder_common_setting()) are accepted and left to the daemon.
 *
 *   typedef struct Forti { char *url; Secret token; bool tls_verify; } Forti;
 *   static const RsOpt forti_opts[] = {
 *           { "url", RS_URL, offsetof(Forti, url), .required = true, .var = "FORTI_URL" },
 *           { "token", RS_SECRET, offsetof(Forti, token), .required = true },
 *           { "tls_verify", RS_BOOL, offsetof(Forti, tls_verify), .def = "true" },
 *           {}
 *   };
 *   rsettings_read(group, "fortigate", forti_opts, priv, errs, n_errs);
 */

typedef enum RsType {
        RS_STRING,      /* char * */
        RS_URL,         /* char *, http:// or https://, stored without a trailing '/' */
        RS_PATH,        /* char *, absolute */
        RS_SECRET,      /* Secret, resolved at load time (env:, cred:, file:) */
        RS_INT,         /* int64_t, within min..max */
        RS_BOOL,        /* bool */
        RS_DURATION,    /* uint64_t milliseconds; "30s", "5m" or seconds; min..max in seconds */
        RS_STRINGS,     /* char **, NULL-terminated */
        RS_ENUM,        /* int, index into values[] */
} RsType;

typedef struct RsOpt {
        const char *name;
        RsType type;
        size_t offset;
        long long min, max;             /* RS_INT, RS_DURATION; 0 and 0: no bound */
        bool required;
        const char *def;                /* default, written as in the config file */
        const char *const *values;      /* RS_ENUM, NULL-terminated */
        const char *var;                /* the VAR (or original tool) name it replaces, for hints */
} RsOpt;

/* Reads `group` into `base` by the table (terminated by an entry with a
 * NULL name).  Every problem is appended to *errs; returns 0 or -EINVAL. */
int rsettings_read(const config_setting_t *group, const char *module, const RsOpt *opts, void *base,
                   char ***errs, size_t *n_errs);
/* Frees what rsettings_read stored (secrets are wiped). */
void rsettings_free(const RsOpt *opts, void *base);

/* For module-specific checks: appends "file:line: path: message". */
void rsettings_err(char ***errs, size_t *n_errs, const config_setting_t *s, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
