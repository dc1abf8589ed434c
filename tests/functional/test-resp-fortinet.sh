#!/bin/bash
# SPDX-License-Identifier: MIT
# fortinet responder end to end: the real secrespd against
# tests/sim/fortinet_sim.py (FortiOS REST).  Operator blocks and unblocks of
# hosts (IPv4, IPv6) and destinations (a CIDR: VAR's iprange defect), the
# element ids in SQLite, idempotency (already a member, already gone, an
# object removed behind our back), a token rotated mid-run (401, re-read,
# retry), 429 and 5xx retried, a group update coalesced over a batch,
# capabilities checked at config time, `secrespctl responder test`.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/fw1.sh"

plan 52
command -v sqlite3 >/dev/null || skip_all "sqlite3 (the CLI) is needed"
LOG_TARGET=stderr
fsim_start fgt fortinet_sim.py --groups Internal-Block,External-Block --groups6 Internal-Block6
printf 'fgt-token' >"$T/fgt.token"
chmod 600 "$T/fgt.token"

FGT="{ name = \"fgt1\"; type = \"fortinet\"; url = \"$FSIM_URL\"; token = \"file:$T/fgt.token\";
       vdom = \"root\"; host_group = \"Internal-Block\"; destination_group = \"External-Block\";
       host_group6 = \"Internal-Block6\"; timeout = \"10s\"; },
     { name = \"fgt-hosts\"; type = \"fortinet\"; url = \"$FSIM_URL\"; token = \"file:$T/fgt.token\";
       host_group = \"Internal-Block\"; }"

# ---- configuration checks
rconf "$FGT" "vectra = ( { name = \"b1\"; url = \"http://127.0.0.1:9\"; api_version = \"2.5\"; auth = \"token\";
  token = \"env:NOPE\"; responders = [ \"fgt-hosts\" ]; static_destinations = \"$T/static.txt\"; } );"
: >"$T/static.txt"
run env NOPE=x "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 78 "a host-only fortinet responder asked for static destinations: config error"
like "$RUN_ERR" "responder 'fgt-hosts' cannot block destinations" "the error names the responder and the kind"
rconf "{ name = \"f\"; type = \"fortinet\"; url = \"$FSIM_URL\"; token = \"file:$T/fgt.token\";
         INTERNAL_ADDRESS_GROUP = \"x\"; }"
run "$SECRESPD" -n -c "$CONF"
is "$RUN_RC" 78 "bad fortinet settings: config error"
like "$RUN_ERR" "INTERNAL_ADDRESS_GROUP.*host_group" "VAR's name gets a hint to host_group"
rconf "{ name = \"f\"; type = \"fortinet\"; url = \"$FSIM_URL\"; token = \"file:$T/fgt.token\";
         host_group = \"x\"; max_concurrent = 2; }"
run "$SECRESPD" -n -c "$CONF"
like "$RUN_ERR" "max_concurrent = 1" "max_concurrent > 1 refused (groups are read-modify-write)"

rconf "$FGT"
start_ready "$CONF"

# ---- test op: reads, changes nothing
fsim_mark
run ctl responder test fgt1
is "$RUN_RC" 0 "responder test fgt1: ok"
like "$RUN_OUT" "Internal-Block.*External-Block" "responder test names the groups it found"
is "$(fsim_calls | awk '$1 != "GET"' | wc -l)" 0 "responder test: GET only"

# ---- block: IPv4 host, CIDR destination, IPv6 host
run ctl block host 10.0.0.1 --responder fgt1
is "$RUN_RC" 0 "block host 10.0.0.1: ok"
is "$(fsim_state 'd["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"]')" '["10.0.0.1"]' "Internal-Block holds 10.0.0.1"
is "$(fsim_state '[d["vdoms"]["root"]["address"]["10.0.0.1"][k] for k in ("type", "start-ip", "end-ip")]')" \
        '["iprange", "10.0.0.1", "10.0.0.1"]' "address 10.0.0.1: iprange of one address"
is "$(bq 10.0.0.1 fgt1 elements)" '["10.0.0.1"]' "db: element is the object name"
run ctl block destination 2.2.2.0/24 --responder fgt1
is "$RUN_RC" 0 "block destination 2.2.2.0/24: ok"
is "$(fsim_state '[d["vdoms"]["root"]["address"]["2.2.2.0/24"][k] for k in ("type", "subnet")]')" \
        '["ipmask", "2.2.2.0 255.255.255.0"]' "a CIDR is an ipmask with a dotted mask (not VAR's iprange)"
is "$(fsim_state 'd["vdoms"]["root"]["addrgrp"]["External-Block"]["member"]')" '["2.2.2.0/24"]' "External-Block holds the network"
run ctl block host 2001:db8::5 --responder fgt1
is "$RUN_RC" 0 "block host 2001:db8::5: ok"
is "$(fsim_state '[d["vdoms"]["root"]["address6"]["2001:db8::5"]["ip6"], d["vdoms"]["root"]["addrgrp6"]["Internal-Block6"]["member"]]')" \
        '["2001:db8::5/128", ["2001:db8::5"]]' "IPv6: address6 /128 in the addrgrp6"
run ctl block destination 198.51.100.7 --responder fgt-hosts
isnt "$RUN_RC" 0 "a destination on the host-only responder: refused"

# ---- idempotency: already a member
fsim_edit 'v = s["vdoms"]["root"]; v["address"]["10.0.0.9"] = {"name": "10.0.0.9", "type": "ipmask", "subnet": "10.0.0.9 255.255.255.255"}; v["addrgrp"]["Internal-Block"]["member"].append("10.0.0.9")'
fsim_mark
run ctl block host 10.0.0.9 --responder fgt1
is "$RUN_RC" 0 "block of a host already in the group: ok"
is "$(fsim_calls | tr '\n' ';')" "GET /api/v2/cmdb/firewall/addrgrp/Internal-Block 200;" "already a member: one group GET, no create, no PUT"
is "$(bq 10.0.0.9 fgt1 elements)" '["10.0.0.9"]' "db: element recorded for the adopted member"

# ---- idempotency: already gone (object and membership removed by an admin)
fsim_edit 'v = s["vdoms"]["root"]; v["addrgrp"]["Internal-Block"]["member"].remove("10.0.0.9"); del v["address"]["10.0.0.9"]'
fsim_mark
run ctl unblock host 10.0.0.9 --responder fgt1
is "$RUN_RC" 0 "unblock of a host already gone: ok"
is "$(fsim_calls | tr '\n' ';')" \
        "GET /api/v2/cmdb/firewall/addrgrp/Internal-Block 200;DELETE /api/v2/cmdb/firewall/address/10.0.0.9 404;" \
        "already gone: no PUT, the DELETE's 404 is success"
is "$(bq 10.0.0.9 fgt1 state)" unblocked "db: 10.0.0.9 unblocked"

# ---- token rotated mid-run: 401, the file is read again, one retry
fsim_patch '{"token": "fgt-token-2"}'
printf 'fgt-token-2' >"$T/fgt.token"
fsim_mark
run ctl block host 10.0.0.2 --responder fgt1
is "$RUN_RC" 0 "block after a token rotation: ok"
is "$(fsim_calls | sed -n 1,2p | tr '\n' ';')" \
        "GET /api/v2/cmdb/firewall/addrgrp/Internal-Block 401;GET /api/v2/cmdb/firewall/addrgrp/Internal-Block 200;" \
        "401 with the old token, then the new one"
is "$(fsim_state '"10.0.0.2" in d["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"]')" true "10.0.0.2 in the group"

# ---- 429 and 5xx: ridden out by retries
fsim_faults '[{"kind": "rate_limit", "retry_after": "1", "method": "PUT", "path": "addrgrp", "times": 1},
              {"kind": "status", "status": 503, "method": "GET", "path": "/address/", "times": 2}]'
fsim_mark
run ctl block host 10.0.0.3 --responder fgt1
is "$RUN_RC" 0 "block through a 429 and two 503s: ok"
is "$(fsim_count PUT addrgrp)" 2 "PUT retried after the 429"
is "$(fsim_calls '/address/10.0.0.3' | awk '{print $3}' | tr '\n' ' ')" "503 503 404 " "address GET retried after two 503s"
fsim_faults '[{"kind": "status", "status": 500, "method": "POST", "times": 3}]'
run ctl block host 10.0.0.4 --responder fgt1
ok "five 500s on create: the reconciler retries until blocked" wait_bstate 10.0.0.4 fgt1 blocked 20
cmp_num "$(status_resp fgt1 '["calls_failed"]')" -ge 1 "status: calls_failed counted"
like "$(bq 10.0.0.4 fgt1 attempts)" '^[2-9]' "db: more than one attempt"
fsim_faults '[]'

# ---- an admin removed the membership only: unblock still deletes the object
fsim_edit 's["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"].remove("10.0.0.1")'
fsim_mark
run ctl unblock host 10.0.0.1 --responder fgt1
is "$RUN_RC" 0 "unblock of a host no longer in the group: ok"
is "$(fsim_count PUT addrgrp)" 0 "no PUT when nothing changes"
is "$(fsim_state '"10.0.0.1" in d["vdoms"]["root"]["address"]')" false "the object is deleted"

# ---- a destination object used elsewhere (another group): membership removed, object kept
fsim_edit 's["vdoms"]["root"]["addrgrp"]["Other"] = {"name": "Other", "member": ["2.2.2.0/24"]}'
run ctl unblock destination 2.2.2.0/24 --responder fgt1
is "$RUN_RC" 0 "unblock of a network still used by another group: ok"
is "$(fsim_state '[d["vdoms"]["root"]["addrgrp"]["External-Block"]["member"], "2.2.2.0/24" in d["vdoms"]["root"]["address"]]')" \
        '[[], true]' "removed from External-Block, the object stays for the other group"

# ---- coalescing: 20 blocks queued while a batch runs share the next batch's PUT
fsim_faults '[{"kind": "latency", "delay_ms": 300, "method": "PUT"}]'
fsim_mark
pids=()
for i in $(seq 1 20); do
        ctl block host "10.9.0.$i" --responder fgt1 >/dev/null 2>&1 &
        pids+=($!)
done
wait "${pids[@]}"
fsim_faults '[]'
is "$(fsim_state 'len([m for m in d["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"] if m.startswith("10.9.0.")])')" 20 \
        "20 hosts in the group"
cmp_num "$(fsim_count PUT addrgrp)" -le 4 "20 blocks: at most 4 group PUTs (batches), not 20"
is "$(fsim_count POST '/address/$')" 20 "one create per address"
is "$(dbq "SELECT count(*) FROM blocks WHERE responder = 'fgt1' AND state = 'blocked' AND value LIKE '10.9.0.%'" 2>/dev/null ||
      dbq "SELECT count(*) FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE b.responder = 'fgt1' AND b.state = 'blocked' AND e.value LIKE '10.9.0.%'")" \
        20 "db: 20 blocked rows"

# ---- unblock with the group emptied: the batch's PUTs and DELETEs
fsim_mark
pids=()
for i in $(seq 1 20); do
        ctl unblock host "10.9.0.$i" --responder fgt1 >/dev/null 2>&1 &
        pids+=($!)
done
wait "${pids[@]}"
is "$(fsim_state '[m for m in d["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"] if m.startswith("10.9.0.")]')" '[]' \
        "all 20 removed from the group"
is "$(fsim_state 'len([a for a in d["vdoms"]["root"]["address"] if a.startswith("10.9.0.")])')" 0 "and their objects deleted"
calls=$(fsim_calls)
first_delete=$(printf '%s\n' "$calls" | awk '/^DELETE/ { print NR; exit }')
first_put=$(printf '%s\n' "$calls" | awk '/^PUT/ { print NR; exit }')
cmp_num "$first_put" -lt "$first_delete" "the group PUT comes before the DELETEs"

# ---- status and secrets
is "$(status_resp fgt1 '["kind"], d and None' | head -c 0)$(status_resp fgt1 '["kind"]')" fortinet "status: kind fortinet"
is "$(status_resp fgt1 '["queued"] + 0')" 0 "status: nothing queued"
cmp_num "$(status_resp fgt1 '["calls_ok"]')" -ge 10 "status: calls_ok counted"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
nok "the token never appears in the daemon's output" grep -q 'fgt-token' "$DAEMON_ERR" "$DAEMON_OUT"
like "$(grep -c 'using the new value of file:' "$DAEMON_ERR")" '^[1-9]' "the token reload is logged (by reference)"
nok "no Authorization header in the logs" grep -qi 'bearer' "$DAEMON_ERR"
