#!/bin/bash
# SPDX-License-Identifier: MIT
# The NAC and endpoint responders' settings, checked by secrespd -n: every
# module accepts a complete group; errors name file:line and the setting,
# hint at the original's names, and never show a secret's value;
# capabilities are checked against what a brain asks (a host-only
# responder cannot take the static destination list).
. "$(dirname "$0")/lib.sh"

plan 23

: >"$T/dst.txt"
check() { # name expected-rc group [top lines]
        local name=$1 rc=$2 group=$3
        shift 3
        {
                echo "state_directory = \"$T/state\"; runtime_directory = \"$T/run\";"
                echo "responders = ( $group );"
                local l
                for l in "$@"; do printf '%s\n' "$l"; done
        } >"$T/$name.conf"
        run env NAC_SECRET=s3cr3t-value "$SECRESPD" -n -c "$T/$name.conf"
        is "$RUN_RC" "$rc" "$name: exit $rc"
}

u='url = "https://x.example.com";'
check ise 0 "{ name = \"ise\"; type = \"cisco_ise\"; $u username = \"a\"; password = \"env:NAC_SECRET\"; csrf = true; }"
check amp 0 "{ name = \"amp\"; type = \"cisco_amp\"; client_id = \"c\"; api_key = \"env:NAC_SECRET\"; }"
check cppm 0 "{ name = \"cppm\"; type = \"clearpass\"; $u client_id = \"c\"; client_secret = \"env:NAC_SECRET\"; }"
check meraki 0 "{ name = \"meraki\"; type = \"meraki\"; api_key = \"env:NAC_SECRET\"; network_ids = [ \"N_1\" ]; }"
check pps 0 "{ name = \"pps\"; type = \"pulse_nac\"; $u username = \"a\"; password = \"env:NAC_SECRET\"; }"
check nbi 0 "{ name = \"nbi\"; type = \"xtreme_networks_nbi\"; $u client_id = \"c\"; client_secret = \"env:NAC_SECRET\"; }"
check px 0 "{ name = \"px\"; type = \"cisco_pxgrid\"; $u node_name = \"n\"; client_cert = \"/etc/x.pem\"; }"

# the original's names get a hint
check var-name 78 "{ name = \"ise\"; type = \"cisco_ise\"; ISE_APPLIANCE_IP = \"x\"; username = \"a\"; password = \"env:NAC_SECRET\"; }"
like "$RUN_ERR" "var-name.conf:2: responders\[0\]\.ISE_APPLIANCE_IP: unknown setting \(the original's ISE_APPLIANCE_IP is 'url' here\)" \
        "ISE_APPLIANCE_IP: points at url"
like "$RUN_ERR" "a cisco_ise responder needs url \(the original's ISE_APPLIANCE_IP\)" "url: required"

check typo 78 "{ name = \"amp\"; type = \"cisco_amp\"; client_id = \"c\"; api_kye = \"env:NAC_SECRET\"; }"
like "$RUN_ERR" "api_kye: unknown setting, did you mean 'api_key'\?" "did-you-mean"

check cppm-grant 78 "{ name = \"cppm\"; type = \"clearpass\"; $u client_id = \"c\"; }"
like "$RUN_ERR" "needs client_secret \(client credentials\), or username and password" "clearpass: a grant is needed"

check amp-code 78 "{ name = \"amp\"; type = \"cisco_amp\"; client_id = \"c\"; api_key = \"env:NAC_SECRET\";
                    unlock_code = \"0123456789012345678901234\"; }"
like "$RUN_ERR" "unlock_code: at most 24 characters" "amp: unlock_code length"

check meraki-range 78 "{ name = \"meraki\"; type = \"meraki\"; api_key = \"env:NAC_SECRET\"; lookback = \"60d\"; }"

check px-path 78 "{ name = \"px\"; type = \"cisco_pxgrid\"; $u node_name = \"n\"; client_cert = \"px.pem\"; }"
like "$RUN_ERR" "client_cert: expected an absolute path" "pxgrid: the certificate is an absolute path"

check secret 78 "{ name = \"pps\"; type = \"pulse_nac\"; $u username = \"a\"; password = \"env:NAC_SECRET\"; bogus = 1; }"
unlike "$RUN_ERR" "s3cr3t-value" "no secret value in the errors"

# a host-only responder cannot take the static destination list
check caps 78 "{ name = \"ise\"; type = \"cisco_ise\"; $u username = \"a\"; password = \"env:NAC_SECRET\"; }" \
        "vectra = ( { name = \"b\"; url = \"https://brain.example.com\"; auth = \"token\"; token = \"env:NAC_SECRET\";
                      responders = [ \"ise\" ]; static_destinations = \"$T/dst.txt\"; } );"
like "$RUN_ERR" "responder 'ise' cannot block destinations" "capabilities checked at config time"
