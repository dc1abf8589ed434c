#!/bin/bash
# SPDX-License-Identifier: MIT
# cisco_pxgrid end to end: the real secrespd against
# tests/sim/cisco_pxgrid_sim.py over TLS with a client certificate (its
# key encrypted).  `responder test` while the account waits for approval,
# then approved; block by the session's MAC (getSessionByIpAddress on the
# MnT node, with that node's secret); "already associated"; the ANC secret
# refused mid-run and the control exchange done again; no MAC (permanent);
# 429 and 503 ridden out; unblock, and a MAC no longer associated; a
# certificate of another name refused; the key's password nowhere.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/responders/nac.sh"

plan 28
nac_require
command -v openssl >/dev/null || bail_out "openssl is needed"
sh "$top_srcdir/tests/sim/mkca.sh" "$T/pki" || bail_out "mkca.sh failed"
# client certificates: ours (key encrypted), and one with another name
mkcert() { # name cn [pass]
        local enc=(-nodes)
        [ -n "${3:-}" ] && enc=(-passout "pass:$3")
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "${enc[@]}" \
                -keyout "$T/pki/$1.key" -out "$T/pki/$1.csr" -subj "/CN=$2" 2>/dev/null &&
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' \
                >"$T/pki/$1.ext" &&
        openssl x509 -req -in "$T/pki/$1.csr" -CA "$T/pki/ca.pem" -CAkey "$T/pki/ca.key" -set_serial "0x$RANDOM$RANDOM" \
                -days 2 -extfile "$T/pki/$1.ext" -out "$T/pki/$1.pem" 2>/dev/null
}
mkcert client secresp pxkey-pass || bail_out "cannot make the client certificate"
mkcert intruder intruder || bail_out "cannot make the second client certificate"
chmod 600 "$T"/pki/*.key

NSIM_SCHEME=https
NSIM_CURL=(--cacert "$T/pki/ca.pem" --cert "$T/pki/intruder.pem" --key "$T/pki/intruder.key")
nsim_start cisco_pxgrid --state "$FUNC_DIR/responders/pxgrid-state.json" \
        --tls-cert "$T/pki/server.pem" --tls-key "$T/pki/server.key" --tls-client-ca "$T/pki/ca.pem"
RESP_TYPE=cisco_pxgrid
DAEMON_ENV=("PX_KEY_PASS=pxkey-pass")
common="url = \"$NSIM_URL\"; ca_file = \"$T/pki/ca.pem\"; node_name = \"secresp\";"
RESP_MORE=", { name = \"pxbad\"; type = \"cisco_pxgrid\"; $common
               client_cert = \"$T/pki/intruder.pem\"; client_key = \"$T/pki/intruder.key\"; }"
nconf "$common client_cert = \"$T/pki/client.pem\"; client_key = \"$T/pki/client.key\";
       client_key_password = \"env:PX_KEY_PASS\";"
start_ready "$CONF"

eps() { nsim_state 'sorted(d["endpoints"])' | tr -d ' '; }

# ---- the account waits for approval, then is approved
run ctl -j responder test nac
is "$RUN_RC" 1 "responder test while PENDING: fails"
like "$RUN_ERR$RUN_OUT" "waits for approval" "responder test: says the account waits for approval"
run ctl -j responder test nac
is "$RUN_RC" 0 "responder test once approved: exit 0"
like "$RUN_OUT" "ANC service at https://127.0.0.1:[0-9]+/pxgrid/ise/config/anc, session service at" \
        "responder test: both services found"

# ---- block by the session's MAC
nsim_clear
rblock 10.6.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.6.0.1: succeeded"
is "$(relements 10.6.0.1)" '["AA:BB:CC:00:06:01"]' "db: the session's MAC"
is "$(eps)" '["AA:BB:CC:00:06:01","AA:BB:CC:00:06:02"]' "pxGrid: AA..01 quarantined"
is "$(nsim_reqs | awk '{print $2}' | tr '\n' ';')" \
        "/pxgrid/mnt/sd/getSessionByIpAddress;/pxgrid/ise/config/anc/applyEndpointByMacAddress;" \
        "the services' restBaseUrl, no new control exchange"
is "$(nsim_bodies POST apply)" '{"macAddress":"AA:BB:CC:00:06:01","policyName":"Quarantine"}' "apply body"

# ---- already associated; the secrets are good for one call each
# (pxgrid-state.json): the MnT one is refused on the way
nsim_clear
rblock 10.6.0.2
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "block 10.6.0.2 (already associated): succeeded"
is "$(relements 10.6.0.2)" '["AA:BB:CC:00:06:02"]' "db: its MAC"
is "$(nsim_reqs | awk '{print $2, $3}' | tr '\n' ';')" \
        "/pxgrid/mnt/sd/getSessionByIpAddress 401;/pxgrid/control/AccountActivate 200;/pxgrid/control/ServiceLookup 200;/pxgrid/control/AccessSecret 200;/pxgrid/control/ServiceLookup 200;/pxgrid/control/AccessSecret 200;/pxgrid/mnt/sd/getSessionByIpAddress 200;/pxgrid/ise/config/anc/applyEndpointByMacAddress 200;" \
        "a 401: the control exchange again (new secrets), then the same request"
is "$(nsim_get /__sim/requests | pyj '[r["headers"]["authorization"] for r in d if r["path"].endswith("getSessionByIpAddress")]' | pyj 'd[0] != d[1]')" \
        true "the request was resent with the new secret"

# ---- no MAC at all
rblock 10.6.0.3
is "$(rstate 10.6.0.3)" failed "block 10.6.0.3 (no session): failed at once"
like "$(rcol 10.6.0.3 last_error)" "no MAC address for 10.6.0.3" "db: says why"

# ---- 429 then 503 on apply
nsim_clear
nsim_faults '[{"kind": "rate_limit", "retry_after": "1", "path": "apply", "nth": [1]},
              {"kind": "status", "status": 503, "path": "apply", "nth": [2]}]'
rblock 10.6.0.4
is "$(jget "$RUN_OUT" 'd["succeeded"], d["failed"]' | tr -d ' ')" "[1,0]" "block 10.6.0.4: one call, succeeded"
is "$(nsim_reqs POST apply | awk '{print $3}' | tr '\n' ' ')" "429 503 200 " "apply: 429, 503, 200"
nsim_delete /__sim/faults >/dev/null

# ---- unblock; a MAC no longer associated
nsim_clear
runblock 10.6.0.1
is "$(jget "$RUN_OUT" 'd["succeeded"]')" 1 "unblock 10.6.0.1: succeeded"
is "$(nsim_bodies POST clear | sort -u)" '{"macAddress":"AA:BB:CC:00:06:01"}' "clear body: the stored MAC"
is "$(nsim_count POST getSession)" 0 "unblock: no session lookup"
# ISE rebuilt: no policy on the MAC, our secret unknown, the account
# pending again: the unblock waits for the approval, then succeeds
nsim_post /__sim/reset '{}' >/dev/null
runblock 10.6.0.4
like "$(rcol 10.6.0.4 last_error)" "waits for approval" "unblock 10.6.0.4: first the account waits for approval"
ok "unblock 10.6.0.4 (not associated any more): unblocked on a retry" wait_state 10.6.0.4 unblocked 15

# ---- a certificate of another name
run ctl -j responder test pxbad
is "$RUN_RC" 1 "responder test pxbad: fails"
like "$RUN_ERR$RUN_OUT" "HTTP 403" "responder test pxbad: 403 (certificate CN)"
rblock 10.6.0.5 pxbad
is "$(rstate 10.6.0.5 pxbad)" failed "block on pxbad: failed at once"

is "$(journal_query | grep -c -e pxkey-pass)" 0 "the key's password is in no journal entry"
is "$(ctl -j status | grep -c -e pxkey-pass)" 0 "nor in status"

stop_daemon TERM
is "$DAEMON_RC" 0 "SIGTERM: exit 0"
