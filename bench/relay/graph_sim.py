#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/sim/msgraph_sim.py with TCP_NODELAY on its connections, for the
relay benchmark only (same arguments), as bench/vectra/sim.py does for the
Vectra simulator: simkit writes headers and body separately, and with
Nagle's algorithm the body waits for the client's delayed ACK (40 ms on
Linux), a cost of the simulator that Microsoft Graph does not have.
--nagle keeps the simulator as it is (to show that effect)."""
import os
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(top, "tests", "sim"))

import simkit  # noqa: E402

if "--nagle" in sys.argv:
    sys.argv.remove("--nagle")
else:
    simkit._Handler.disable_nagle_algorithm = True

import msgraph_sim  # noqa: E402

sys.exit(msgraph_sim.sim.main())
