/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "sources/source.h"

const char *source_result_to_string(SourceResult r)
{
        switch (r) {
        case SOURCE_OK: return "ok";
        case SOURCE_FAILED: return "failed";
        case SOURCE_AUTH_FAILED: return "auth-failed";
        case SOURCE_API_FAILED: return "api-failed";
        case SOURCE_CANCELLED: return "cancelled";
        case SOURCE_SKIPPED: return "outside-window";
        }
        return "?";
}

/* The original scripts' exit codes, for `secrespd --once` under cron. */
int source_result_exit_code(SourceResult r)
{
        switch (r) {
        case SOURCE_OK:
        case SOURCE_SKIPPED:
        case SOURCE_CANCELLED:
                return 0;
        case SOURCE_AUTH_FAILED:
                return 101;
        case SOURCE_API_FAILED:
                return 102;
        default:
                return 100;
        }
}
