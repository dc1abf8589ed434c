#!/bin/sh
# SPDX-License-Identifier: MIT
# A responder program that fails before it works (test-vectra-retry.sh):
# counts its calls in $FLAKY_COUNT_FILE, exits $FLAKY_EXIT (default 75,
# EX_TEMPFAIL: transient for external_call) for the first $FLAKY_FAILS
# calls (default 3), then execs $FLAKY_EXEC (the recorder) with its own
# arguments.  Every call appends "N" to the count file in one write, so
# the file says how many calls were made.
#   block_host = [ ".../flaky.sh", "block-host", "{ip}" ];
#   env = { FLAKY_COUNT_FILE = "..."; FLAKY_FAILS = "3"; FLAKY_EXEC = ".../recorder"; ... };
set -u
count_file=${FLAKY_COUNT_FILE:?FLAKY_COUNT_FILE is not set}
echo x >>"$count_file" || exit 70
n=$(wc -l <"$count_file")
if [ "$n" -le "${FLAKY_FAILS:-3}" ]; then
        echo "flaky: call $n fails on purpose" >&2
        exit "${FLAKY_EXIT:-75}"
fi
exec "${FLAKY_EXEC:?FLAKY_EXEC is not set}" "$@"
