#!/bin/bash
# SPDX-License-Identifier: MIT
# Vectra end-to-end: self-protection.  The brain's own address (the
# simulator listens on 127.0.0.1) and the `protect` list are never blocked,
# even when the host carries the block tag; an operator's manual block of a
# protected address is refused.  State: tests/functional/vectra/protect.json.
. "$(dirname "$0")/lib.sh"
. "$FUNC_DIR/vectra/e2e.sh"

plan 6
e2e_require
sim_start "$E2E_DIR/protect.json"
vconf "accounts: { enabled = false; }; detections: { enabled = false; };" 'protect = [ "192.0.2.0/24" ];'
start_ready "$CONF"

ok "the first cycle ran" wait_cycles 1 20
is "$(rec_lines | "$PY" -c 'import json,sys; print(";".join(json.loads(l)[1] for l in sys.stdin))')" \
        "10.0.0.1" "only the ordinary host was blocked"
is "$(dbq "SELECT count(*) FROM blocks b JOIN entities e ON e.id = b.entity_id WHERE e.value IN ('127.0.0.1','192.0.2.53')")" \
        "0" "db: no row for the brain's address or the protected one"
is "$(sim_tags host 2)" '["vectra_host_block"]' "the brain's host: no VAR tags written"
run ctl block host 192.0.2.53
is "$RUN_RC" "1" "secrespctl block of a protected address: refused (exit 1)"
like "$RUN_OUT$RUN_ERR" "protect list" "the refusal says why"
stop_daemon
