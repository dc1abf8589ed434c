#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One vendor of bench/responders-coalesce.sh: the Vectra simulator in scale
mode (bench/vectra/sim.py) with N hosts, all tagged for blocking; secrespd
blocking them through one firewall responder against its simulator
(tests/sim/fortinet_sim.py or pan_sim.py); the first cycle (by itself, as
in bench/vectra/cycle.py) is the block cycle, then one steady cycle (`run`:
nothing to do).  Prints one JSON object: the cycle's duration, the Vectra
requests, and the firewall's calls by kind, so the coalescing shows (one
group write or one uid-message per batch, not one per host).

Loopback only; every wait is bounded."""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def die(msg):
    print("coalesce.py: " + msg, file=sys.stderr)
    sys.exit(1)


def get(port, path):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open("http://127.0.0.1:%d%s" % (port, path), timeout=120) as r:
        return json.loads(r.read())


def start(cmd, tmp, name, env=None):
    port_file = os.path.join(tmp, name + ".port")
    p = subprocess.Popen(cmd + ["--port-file", port_file, "--log", os.path.join(tmp, name + ".jsonl")],
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, name + ".err"), "w"), env=env)
    deadline = time.monotonic() + 120
    while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
        if time.monotonic() > deadline or p.poll() is not None:
            die("%s did not start (see %s/%s.err)" % (name, tmp, name))
        time.sleep(0.05)
    with open(port_file) as f:
        return p, int(f.read().strip())


def kind_of(vendor, e):
    if vendor == "pan":
        q = {k: v[0] for k, v in e["query"].items()}
        q.update({k: v[0] for k, v in urllib.parse.parse_qs(e["body"]).items()})
        return q.get("type", "?")
    path = re.sub(r"/api/v2/cmdb/firewall/(address6?|addrgrp6?)/[^/?]+", r"\1/NAME", e["path"])
    path = path.replace("/api/v2/cmdb/firewall/", "")
    return "%s %s" % (e["method"], path)


def counts(vendor, log, start_line):
    out, entries = {}, []
    with open(log) as f:
        lines = f.readlines()[start_line:]
    for line in lines:
        if not line.strip():
            continue
        e = json.loads(line)
        k = kind_of(vendor, e)
        out[k] = out.get(k, 0) + 1
        if vendor == "pan" and k == "user-id":
            entries.append(urllib.parse.unquote_plus(e["body"]).count("<entry "))
    return out, entries, len(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--vendor", choices=("fortinet", "pan"), required=True)
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--max-batch", type=int, default=500)
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()
    tmp = a.tmp
    os.makedirs(tmp, exist_ok=True)
    procs = []
    try:
        vp, vport = start([sys.executable, os.path.join(TOP, "bench/vectra/sim.py"), "--api", "2.5",
                           "--scale-hosts", str(a.hosts), "--scale-tagged", str(a.hosts)], tmp, "vectra")
        procs.append(vp)
        script = "fortinet_sim.py" if a.vendor == "fortinet" else "pan_sim.py"
        fp, fport = start([sys.executable, os.path.join(TOP, "tests/sim", script)], tmp, a.vendor)
        procs.append(fp)
        secret = os.path.join(tmp, "secret")
        with open(secret, "w") as f:
            f.write("fgt-token" if a.vendor == "fortinet" else "pan-pass")
        os.chmod(secret, 0o600)
        if a.vendor == "fortinet":
            resp = ('type = "fortinet"; token = "file:%s"; host_group = "Internal-Block"; '
                    'destination_group = "External-Block";' % secret)
        else:
            resp = 'type = "pan"; username = "admin"; password = "file:%s";' % secret
        conf = os.path.join(tmp, "secrespd.conf")
        with open(conf, "w") as f:
            f.write("""state_directory = "%(tmp)s/state";
runtime_directory = "%(tmp)s/run";
log_target = "stderr";
log_level = "info";
control: { client_timeout = "600s"; };
responders = ( { name = "fw"; url = "http://127.0.0.1:%(fport)d"; max_batch = %(mb)d; %(resp)s } );
vectra = ( { name = "b"; url = "http://127.0.0.1:%(vport)d"; api_version = "2.5"; auth = "token";
             token = "env:VT"; page_size = 5000; interval = "1h";
             accounts: { enabled = false; }; detections: { enabled = false; }; } );
""" % {"tmp": tmp, "fport": fport, "vport": vport, "mb": a.max_batch, "resp": resp})
        log_path = os.path.join(tmp, "secrespd.log")
        t0 = time.monotonic()
        dp = subprocess.Popen([os.path.join(a.build, "secrespd"), "-f", "-c", conf],
                              env=dict(os.environ, VT="tok123"), stdout=subprocess.DEVNULL,
                              stderr=open(log_path, "w"))
        procs.append(dp)
        done_re = re.compile(r": cycle (\w+) in (\d+) ms")
        deadline = time.monotonic() + a.max_seconds
        m = None
        while not m:
            with open(log_path, errors="replace") as f:
                m = next((x for x in (done_re.search(line) for line in f) if x), None)
            if m:
                break
            if time.monotonic() > deadline or dp.poll() is not None:
                die("the first cycle did not end within %ss (see %s)" % (a.max_seconds, log_path))
            time.sleep(0.05)
        wall = time.monotonic() - t0
        blocked = int(subprocess.run(["sqlite3", os.path.join(tmp, "state/secresp.db"),
                                      "SELECT count(*) FROM blocks WHERE state = 'blocked'"],
                                     capture_output=True, text=True, timeout=60).stdout.strip() or 0)
        block_calls, entries, seen = counts(a.vendor, os.path.join(tmp, a.vendor + ".jsonl"), 0)
        # the steady cycle: nothing to do, no firewall call
        sock = os.path.join(tmp, "run/control.sock")
        subprocess.run([os.path.join(a.build, "secrespctl"), "-s", sock, "run", "b"], capture_output=True,
                       timeout=a.max_seconds)
        steady_calls, _, _ = counts(a.vendor, os.path.join(tmp, a.vendor + ".jsonl"), seen)
        state = get(fport, "/__sim/state")
        if a.vendor == "fortinet":
            on_fw = len(state["vdoms"]["root"]["addrgrp"]["Internal-Block"]["member"])
        else:
            on_fw = len(state["registered"].get("local/vsys1", {}))
        print(json.dumps({"vendor": a.vendor, "hosts": a.hosts, "max_batch": a.max_batch,
                          "cycle_result": m.group(1), "cycle_ms": int(m.group(2)), "start_to_cycle_end_s": round(wall, 2),
                          "blocked_rows": blocked, "blocked_on_firewall": on_fw,
                          "block_cycle_calls": block_calls, "block_cycle_total": sum(block_calls.values()),
                          "entries_per_uid_message": entries,
                          "steady_cycle_calls": sum(steady_calls.values())}, sort_keys=True))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


if __name__ == "__main__":
    main()
