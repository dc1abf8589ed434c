#!/bin/bash
# SPDX-License-Identifier: MIT
# Umbrella end-to-end: all users of a cycle are fetched at once, within
# the per-API cap (max_in_flight): 30 users and 60 distinct domains at
# 100 ms a request (behind the regional 302), max_in_flight = 4, give exactly 4 requests in flight
# at the simulator at the peak, never more; the cycle takes a fraction of
# the sequential time.  The users come from the config list.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/umbrella/e2e.sh"

plan 9
u_require
echo '{}' >"$T/empty.json"
usim_start "$T/empty.json" --scale-users 30 --scale-domains 2 --scale-pool 1000 --latency-ms 100
users=
for i in $(seq 0 29); do users="$users\"u$i:vpn-host-$(printf %06d "$i")\", "; done
radius_init
uconf "users_from = \"config\"; users = [ ${users%, } ]; max_in_flight = 4;"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 60
is "$(dbq 'SELECT result FROM cycles ORDER BY id LIMIT 1')" ok "cycle ok"
is "$(usim_count activity)" 60 "30 activity calls, each redirected once"
is "$(usim_count risk)" "$(dbq 'SELECT count(*) FROM umbrella_domain_scores')" "one Investigate call per distinct domain"
# the most requests of one API whose [arrival, answer] intervals overlap
peak() {
        usim_get /__sim/requests | pyj "
(lambda ev: max(__import__('itertools').accumulate(k for _, k in sorted(ev))))(
    [(r['time'], 1) for r in d if r['path'].startswith('$1')] +
    [(r['end'], -1) for r in d if r['path'].startswith('$1')])"
}
is "$(peak /reports/)" 4 "reports: at most 4 requests at once, and 4 reached"
is "$(peak /investigate/)" 4 "Investigate: at most 4 requests at once, and 4 reached"
ms=$(dbq 'SELECT finished_at - started_at FROM cycles ORDER BY id LIMIT 1')
diag "cycle: ${ms}s for about 100 requests of 100 ms (sequential: 10 s, at 4 in flight: 2.5 s)"
cmp_num "$ms" -le 6 "the cycle took at most 6 s (the calls overlapped)"
is "$(dbq 'SELECT count(*) FROM scores')" 30 "30 users scored"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
