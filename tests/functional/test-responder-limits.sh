#!/bin/bash
# SPDX-License-Identifier: MIT
# The settings every responder has, applied by the reconciler: a
# max_concurrent cap (never more calls in flight, and the cap is used),
# a rate_limit token bucket (calls spaced by it), one responder's queue not
# holding back another's; their health in `secrespctl --json status`;
# `secrespctl responder test` on a type without a test; config errors.
. "$(dirname "$0")/lib.sh"

plan 17

journal_require
notify_start

# The "product": each call appends "start MS IP" then "end MS IP".
cat >"$T/slow.sh" <<'SH'
#!/bin/sh
log=$1; ip=$2; pause=$3
ms() { t=$(date +%s%N); echo $((t / 1000000)); }
echo "start $(ms) $ip" >>"$log"
sleep "$pause"
echo "end $(ms) $ip" >>"$log"
SH
chmod +x "$T/slow.sh"

make_conf "$T/limits.conf" "responders = (
  { name = \"capped\"; type = \"external_call\"; max_concurrent = 2;
    block_host = [ \"$T/slow.sh\", \"$T/capped.log\", \"{ip}\", \"0.4\" ];
    unblock_host = [ \"$T/slow.sh\", \"$T/capped.log\", \"{ip}\", \"0\" ]; },
  { name = \"paced\"; type = \"external_call\"; rate_limit = 4; rate_burst = 1;
    block_host = [ \"$T/slow.sh\", \"$T/paced.log\", \"{ip}\", \"0\" ];
    unblock_host = [ \"$T/slow.sh\", \"$T/paced.log\", \"{ip}\", \"0\" ]; }
);"
start_ready "$CONF"

# six blocks at once on the capped responder, and five on the paced one
# (wait for these clients only: journald and the listener are children too)
pids=()
for i in 1 2 3 4 5 6; do
        ctl block host "10.0.0.$i" --responder capped >"$T/b$i.out" 2>&1 &
        pids+=($!)
done
for i in 1 2 3 4 5; do
        ctl block host "10.0.1.$i" --responder paced >"$T/p$i.out" 2>&1 &
        pids+=($!)
done
wait "${pids[@]}"

# overlap OUT LOG : the most calls in flight at once, from start/end lines
overlap() {
        "$PY" - "$1" <<'PY'
import sys
ev = []
for l in open(sys.argv[1]):
    k, ms, ip = l.split()
    ev.append((int(ms), 0 if k == "end" else 1))
cur = best = 0
for _, d in sorted(ev):
    cur += 1 if d else -1
    best = max(best, cur)
print(best)
PY
}
is "$(grep -c '^end' "$T/capped.log")" 6 "capped: six calls ran"
is "$(overlap "$T/capped.log")" 2 "capped: never more than max_concurrent = 2 in flight, and the cap is used"
is "$(sqlite3 -cmd '.timeout 5000' "$DB" "SELECT count(*) FROM blocks WHERE responder = 'capped' AND state = 'blocked'")" 6 \
        "capped: six blocks in place"

span=$("$PY" - "$T/paced.log" <<'PY'
import sys
s = sorted(int(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("start"))
print(s[-1] - s[0])
PY
)
is "$(grep -c '^end' "$T/paced.log")" 5 "paced: five calls ran"
cmp_num "$span" -ge 900 "paced: 5 calls at 4/s with a burst of 1 span >= 0.9 s (got ${span} ms)"
# the paced queue did not wait for the capped one, nor the other way round
first_paced=$(awk '/^start/ { print $2; exit }' "$T/paced.log")
last_capped=$(awk '/^start/ { t = $2 } END { print t }' "$T/capped.log")
cmp_num "$first_paced" -lt "$last_capped" "queues are per responder: paced started before capped's last call"

run ctl --json status
st=$RUN_OUT
is "$(printf '%s' "$st" | pyj '[ (r["name"], r["calls_ok"], r["calls_failed"], r["max_concurrent"], r["queued"], r["running"]) for r in d["responders"] ]')" \
        '[["capped", 6, 0, 2, 0, 0], ["paced", 5, 0, 32, 0, 0]]' "status --json: calls, caps, nothing queued or running"
is "$(printf '%s' "$st" | pyj '[r["rate_limit"] for r in d["responders"]]')" '[0, 4]' "status --json: rate limits"
run ctl status
like "$RUN_OUT" 'NAME +KIND +SIMULATION +LAST-SUCCESS +PENDING +RUNNING +QUEUED' "status: running and queued columns"

run ctl responder test capped
is "$RUN_RC" 1 "responder test on external_call: exit 1"
like "$RUN_ERR" 'has no test.*\(unsupported\)' "responder test: says the type has no test"
run ctl responder test nosuch
like "$RUN_ERR" "no responder named 'nosuch'" "responder test: unknown name"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM, exit 0"

# config errors, all at once, with file and line
make_conf "$T/bad.conf" "responders = (
  { name = \"a\"; type = \"external_call\"; max_batch = 5;
    block_host = [ \"/bin/true\" ]; unblock_host = [ \"/bin/true\" ]; },
  { name = \"b\"; type = \"external_call\"; max_concurrent = 0; rate_limit = -1;
    block_host = [ \"/bin/true\" ]; unblock_host = [ \"/bin/true\" ]; }
);"
run "$SECRESPD" -n -c "$CONF"
# (make_conf writes 6 lines before ours: the group of "a" is on line 7)
is "$RUN_RC" 78 "bad limits: secrespd -n exits 78 (EX_CONFIG)"
like "$RUN_ERR" "bad.conf:7: responders\[0\]: max_batch: external_call responders take one call at a time" \
        "max_batch refused for a one-at-a-time type, with its line"
like "$RUN_ERR" "bad.conf:9: responders\[1\]: max_concurrent: 0 is out of range 1\.\.256" "max_concurrent out of range"
like "$RUN_ERR" "bad.conf:9: responders\[1\]: rate_limit: expected calls per second" "negative rate_limit refused"
