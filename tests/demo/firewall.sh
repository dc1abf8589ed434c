#!/bin/sh
# The demo's "firewall": what an external_call responder runs.  It gets
# its arguments as argv (never through a shell) and keeps a list of
# blocked addresses, as a real enforcement point would.
# Usage: firewall.sh block|unblock ADDRESS
set -eu
list=${DEMO_FIREWALL_LIST:?}
case "$1" in
block)
        grep -qxF "$2" "$list" 2>/dev/null || echo "$2" >>"$list"
        echo "firewall: blocked $2"
        ;;
unblock)
        if [ -f "$list" ]; then
                grep -vxF "$2" "$list" >"$list.new" || true
                mv "$list.new" "$list"
        fi
        echo "firewall: unblocked $2"
        ;;
*)
        echo "usage: firewall.sh block|unblock ADDRESS" >&2
        exit 64
        ;;
esac
