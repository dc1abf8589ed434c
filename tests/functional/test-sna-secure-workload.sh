#!/bin/bash
# SNA end-to-end: the secure_workload responder (responders.md §7.4) fed by
# the SNA source.  The simulator recomputes the tetpyclient HMAC signature,
# the body checksum and the timestamp of every request: the hosts found
# are annotated quarantine=yes under the tenant, an operator's unblock
# removes the annotation, `responder test` passes, and a wrong secret is
# refused (so the signature is really checked).
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/sna/e2e.sh"

plan 12
e2e_require
sna_start
side_start csw secure_workload_sim.py --api-key csw-key --api-secret csw-secret
CSW_URL=$SIDE_URL
sna_events '[{"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "10.0.0.5"}, "target": {"ipAddress": "8.8.8.8"}},
             {"securityEventType": 16, "ageMinutes": 5, "source": {"ipAddress": "8.8.4.4"}, "target": {"ipAddress": "192.168.1.20"}}]'
DAEMON_ENV+=("CSW_SECRET=csw-secret" "CSW_BAD=not-the-secret")
csw() {
        cat <<EOS
  { name = "csw"; type = "secure_workload"; url = "$CSW_URL"; api_key = "csw-key";
    api_secret = "env:$1"; tenant = "Default Scope"; },
EOS
}
RESP=csw
sconf 'responders = [ "csw" ];' "$(csw CSW_SECRET) { name = \"csw2\"; type = \"secure_workload\"; url = \"$CSW_URL\"; api_key = \"csw-key\"; api_secret = \"env:CSW_BAD\"; tenant = \"Default Scope\"; }"
start_ready "$CONF"
ok "the first cycle ran" wait_cycles 1 20
_both() { [ "$(hosts_in blocked)" = "10.0.0.5,192.168.1.20" ]; }
ok "db: both hosts blocked on csw" wait_until 10 _both
state() { curl -sS -f "$CSW_URL/__sim/state"; }
is "$(state | pyj 'sorted(d["tags"]["Default Scope"])')" '["10.0.0.5", "192.168.1.20"]' "Secure Workload: both IPs annotated"
is "$(state | pyj 'd["tags"]["Default Scope"]["10.0.0.5"]["quarantine"]')" yes "annotation quarantine=yes"
like "$(state | pyj 'd["tags"]["Default Scope"]["10.0.0.5"]["reason"]')" 'sna:smc1' "the reason names the source"
is "$(state | pyj 'd["rejected"]')" 0 "every signature was valid"
req=$(grep -m1 '"POST"' "$T/csw.jsonl")
like "$(jget "$req" 'd["path"]')" '^/openapi/v1/inventory/tags/Default%20Scope$' "the tenant is escaped in the signed path"

run ctl unblock host 10.0.0.5 --responder csw
is "$RUN_RC" 0 "unblock 10.0.0.5 on csw"
_gone() { [ "$(state | pyj 'sorted(d["tags"]["Default Scope"])')" = '["192.168.1.20"]' ]; }
ok "Secure Workload: the annotation is removed" wait_until 10 _gone

run ctl responder test csw
is "$RUN_RC" 0 "responder test csw: ok"
run ctl responder test csw2
is "$RUN_RC" 1 "responder test with a wrong secret: refused"
stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
