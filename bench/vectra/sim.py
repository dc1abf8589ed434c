#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tests/sim/vectra_sim.py with TCP_NODELAY on its connections, for the
benchmark only (same arguments).

simkit answers with two writes (headers, then body).  With Nagle's
algorithm on the server socket the body waits for the ACK of the headers,
which the client delays by up to 40 ms on Linux: about one request in eight
then takes 40 ms more, a cost of the simulator that no Vectra brain has and
that would swamp what the benchmark measures.  --nagle keeps the
simulator as it is (to show that effect)."""
import os
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(top, "tests", "sim"))

import simkit  # noqa: E402

if "--nagle" in sys.argv:
    sys.argv.remove("--nagle")
else:
    simkit._Handler.disable_nagle_algorithm = True

import vectra_sim  # noqa: E402

sys.exit(vectra_sim.sim.main())
