# SPDX-License-Identifier: MIT
"""fwkit: what the firewall simulators of tests/sim (fortinet_sim.py,
pan_sim.py, fortimanager_sim.py) add to simkit: the state can be changed
at run time, so a test can take an object away behind secresp's back or
rotate a credential.

  PUT  /__sim/state         body: the whole new state (JSON object)
  PATCH /__sim/state        body: top-level keys to replace
"""

import json

from simkit import Sim, json_response, error_response


class StateSim(Sim):
    def _control(self, method, path, query_all, body):
        what = path[len("/__sim/"):].strip("/")
        if what == "state" and method in ("PUT", "PATCH"):
            try:
                new = json.loads(body or b"null")
            except ValueError as e:
                return error_response(400, "invalid JSON: %s" % e)
            if not isinstance(new, dict):
                return error_response(400, "the state is a JSON object")
            with self.lock:
                if method == "PUT":
                    self.state.clear()
                self.state.update(new)
            return json_response({"ok": True})
        return super()._control(method, path, query_all, body)
