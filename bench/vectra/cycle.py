#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""One scenario of bench/vectra-cycle.sh: the Vectra simulator in scale mode
(--sim c: bench/vectra/scale_sim.c, the default; --sim py:
bench/vectra/sim.py, tests/sim/vectra_sim.py), secrespd blocking its tagged hosts through
external_call (the test recorder), and three cycles measured: block, steady
(nothing to do), unblock.  Prints one JSON object on stdout.

Determinism.  secrespd starts its first cycle by itself 0-2 s after start
(sched.c: stagger + jitter).  That first cycle *is* the block cycle: the
driver never races it with `run`, it waits (bounded) for the cycle's log line
"<source>: cycle ok in N ms" on secrespd's stderr -- reading a file, so the
daemon is not disturbed by polling -- and then reads the cycle's figures once
with `status`.  interval = 1h, so nothing else starts by itself; the steady
and the unblock cycles are one `run` each on the control socket, whose reply
comes when the cycle (write-back included) is done.

Per cycle: wall time (the cycle's own duration_ms; for `run`, the client's
request-to-reply time too), secrespd's CPU time (utime + stime deltas from
/proc/PID/stat), the CPU of the children it reaped (the recorder), its time
waiting for a CPU (/proc/PID/schedstat), peak RSS (VmHWM, reset before each
cycle by writing 5 to /proc/PID/clear_refs), the simulator's CPU, the Vectra
requests per endpoint (/__sim/counts, cleared before each cycle), the most
requests the simulator saw at once, and the phases as the simulator saw them
(reads, then the responder calls with no request, then the writes).

Loopback only; every wait is bounded in count and time."""
import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
MAX_IN_FLIGHT = 16      # VECTRA_DEFAULT_MAX_IN_FLIGHT (src/sources/vectra_api.h); no config key sets it


def die(msg):
    print("cycle.py: " + msg, file=sys.stderr)
    sys.exit(1)


class Sim:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method, path, body=None, timeout=120, auth=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = auth
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with self.opener.open(req, timeout=timeout) as r:
            raw = r.read()
        return json.loads(raw) if raw else None


class Ctl:
    """secrespd's control protocol: 4-byte big-endian length, then JSON."""

    def __init__(self, path):
        self.path = path
        self.seq = 0

    def request(self, cmd, args=None, timeout=900):
        self.seq += 1
        msg = json.dumps({"v": 1, "id": self.seq, "cmd": cmd, "args": args or {}}).encode()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.path)
            s.sendall(struct.pack(">I", len(msg)) + msg)
            (n,) = struct.unpack(">I", self._read(s, 4))
            reply = json.loads(self._read(s, n))
        finally:
            s.close()
        if reply.get("error"):
            die("%s: %s" % (cmd, reply["error"]))
        return reply.get("data", reply)

    @staticmethod
    def _read(s, n):
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                die("the control socket closed")
            buf += chunk
        return buf


def sample(pid):
    """CPU (s), reaped children's CPU (s), run-queue wait (s), VmHWM and VmRSS (kB)."""
    with open("/proc/%d/stat" % pid) as f:
        fl = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fl[11]) + int(fl[12])) / HZ          # utime + stime (fields 14, 15)
    ccpu = (int(fl[13]) + int(fl[14])) / HZ         # cutime + cstime (fields 16, 17)
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            wait = int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        wait = 0.0
    hwm = rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"cpu": cpu, "ccpu": ccpu, "wait": wait, "hwm": hwm, "rss": rss}


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fl = f.read().rsplit(")", 1)[1].split()
    return (int(fl[11]) + int(fl[12])) / HZ


def reset_hwm(pid):
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def line_count(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def phases(reqs):
    """Reads, responder calls (no request), writes, as the simulator saw them."""
    if not reqs:
        return {}
    t0 = min(r["time"] for r in reqs)
    t1 = max(r["end"] for r in reqs)
    writes = [r for r in reqs if r["method"] != "GET"]
    out = {"first_to_last_request_s": t1 - t0, "max_concurrent": max(r.get("concurrent", 0) for r in reqs)}
    if writes:
        w0 = min(r["time"] for r in writes)
        reads_before = [r["end"] for r in reqs if r["method"] == "GET" and r["time"] < w0]
        r1 = max(reads_before) if reads_before else t0
        out.update(reads_s=r1 - t0, calls_s=w0 - r1, writes_s=t1 - w0,
                   writes_mean_concurrent=sum(r.get("concurrent", 0) for r in writes) / len(writes))
    else:
        out.update(reads_s=t1 - t0, calls_s=0.0, writes_s=0.0)
    return out


CYCLE_KEYS = ("last_result", "last_duration_ms", "found", "to_block", "to_unblock", "blocked", "unblocked",
              "failed", "requests")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--hosts", type=int, required=True)
    ap.add_argument("--tagged", type=int, required=True)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--host-connections", type=int, default=8, help="http.max_host_connections")
    ap.add_argument("--page-size", type=int, default=5000)
    ap.add_argument("--recorder", default="", help="the responder command (default: the test suite's recorder)")
    ap.add_argument("--nice", type=int, default=0, help="nice value of the simulator and secrespd")
    ap.add_argument("--max-seconds", type=float, default=600, help="bound of each wait")
    ap.add_argument("--only-block", action="store_true", help="stop after the block cycle")
    ap.add_argument("--nagle", action="store_true", help="simulator without TCP_NODELAY (as tests/sim is)")
    ap.add_argument("--sim", choices=("c", "py"), default="c",
                    help="the simulator: c (bench/vectra/scale_sim.c, default) or py (tests/sim/vectra_sim.py)")
    ap.add_argument("--sim-bin", default="", help="scale_sim already built (--sim c); default: built into --tmp")
    ap.add_argument("--wrap", default="", help="run secrespd under this command, e.g. 'valgrind --tool=callgrind'")
    ap.add_argument("--attach", default="", help="command started with {pid} once secrespd is up and stopped "
                    "(SIGINT) after the block cycle, e.g. 'perf record -g -o F -p {pid}'")
    a = ap.parse_args()

    tmp = a.tmp
    os.makedirs(tmp, exist_ok=True)
    nice = ["nice", "-n", str(a.nice)] if a.nice else []
    procs = []
    conc = min(MAX_IN_FLIGHT, a.host_connections)
    out = {"tmp": tmp, "hosts": a.hosts, "tagged": a.tagged, "latency_ms": a.latency_ms, "nice": a.nice,
           "nagle": a.nagle, "sim": a.sim,
           "max_in_flight": MAX_IN_FLIGHT, "max_host_connections": a.host_connections, "concurrency": conc,
           "bound_by": "http.max_host_connections" if a.host_connections < MAX_IN_FLIGHT else
           "Vectra client max_in_flight", "loadavg_start": open("/proc/loadavg").read().split()[:3],
           "cycles": {}}
    try:
        # -- the simulator
        port_file = os.path.join(tmp, "sim.port")
        if a.sim == "c":
            sim_cmd = [a.sim_bin or build_scale_sim(tmp)]
        else:
            sim_cmd = [sys.executable, os.path.join(HERE, "sim.py")]
        simp = subprocess.Popen(nice + sim_cmd + ["--api", "2.5",
                                                  "--scale-hosts", str(a.hosts), "--scale-tagged", str(a.tagged),
                                                  "--latency-ms", str(a.latency_ms), "--port-file", port_file,
                                                  "--log", os.path.join(tmp, "sim.jsonl")] +
                                (["--nagle"] if a.nagle else []),
                                stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "sim.log"), "w"))
        procs.append(simp)
        deadline = time.monotonic() + 120
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if time.monotonic() > deadline or simp.poll() is not None:
                die("the simulator did not start (see %s/sim.log)" % tmp)
            time.sleep(0.05)
        with open(port_file) as f:
            port = int(f.read().strip())
        sim = Sim(port)

        # -- secrespd's configuration
        recorder = a.recorder or os.path.join(a.build, "tests/functional/recorder")
        rec_file = os.path.join(tmp, "recorder.jsonl")
        conf = os.path.join(tmp, "secrespd.conf")
        with open(conf, "w") as f:
            f.write("""state_directory = "%(tmp)s/state";
runtime_directory = "%(tmp)s/run";
log_target = "stderr";
log_level = "info";
control: { client_timeout = "600s"; };
# At most %(mif)d Vectra requests at once (the API client's compiled-in
# max_in_flight) and at most max_host_connections connections to the brain:
# the smaller one bounds the concurrency.
http: { max_host_connections = %(conn)d; max_total_connections = 64; timeout = "60s"; };
responders = (
  {
    name = "rec";
    type = "external_call";
    block_host = [ "%(rec)s", "block", "{ip}" ];
    unblock_host = [ "%(rec)s", "unblock", "{element}" ];
    env = { RECORDER_FILE = "%(recfile)s"; };
    timeout = "30s";
  }
);
vectra = (
  {
    name = "b";
    url = "http://127.0.0.1:%(port)d";
    api_version = "2.5";
    auth = "token";
    token = "env:VT";
    page_size = %(page)d;
    interval = "1h";
    accounts: { enabled = false; };
    detections: { enabled = false; };
  }
);
""" % {"tmp": tmp, "mif": MAX_IN_FLIGHT, "conn": a.host_connections, "rec": recorder, "recfile": rec_file,
       "port": port, "page": a.page_size})
        sock = os.path.join(tmp, "run/control.sock")
        ctl = Ctl(sock)
        sim.call("DELETE", "/__sim/requests")

        # -- secrespd; its first cycle, by itself, is the block cycle
        cmd = nice + a.wrap.split() + [os.path.join(a.build, "secrespd"), "-f", "-c", conf]
        log_path = os.path.join(tmp, "secrespd.log")
        dp = subprocess.Popen(cmd, env=dict(os.environ, VT="tok123"), stdout=subprocess.DEVNULL,
                              stderr=open(log_path, "w"))
        procs.append(dp)
        pid = dp.pid
        deadline = time.monotonic() + 60
        while not os.path.exists(sock):
            if time.monotonic() > deadline or dp.poll() is not None:
                die("secrespd did not start (see %s)" % log_path)
            time.sleep(0.01)
        attached = None
        if a.attach:
            attached = subprocess.Popen(a.attach.replace("{pid}", str(pid)).split(), stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(tmp, "attach.log"), "w"))
            procs.append(attached)
        s0 = sample(pid)
        sim0 = cpu_of(simp.pid)
        early = sim.call("GET", "/__sim/counts")["total"]
        if early:               # the cycle began before the sample: count from the process start
            s0.update(cpu=0.0, ccpu=0.0, wait=0.0)
        out["startup"] = {"cpu_s": s0["cpu"], "rss_kb": s0["rss"], "cycle_began_before_sample": bool(early)}

        done_re = re.compile(r": cycle (\w+) in (\d+) ms|: cycle failed after")
        deadline = time.monotonic() + a.max_seconds
        while True:
            with open(log_path, errors="replace") as f:
                m = [x for x in (done_re.search(line) for line in f) if x]
            if m:
                break
            if time.monotonic() > deadline or dp.poll() is not None:
                die("the first cycle did not end within %ss (see %s)" % (a.max_seconds, log_path))
            time.sleep(0.05)
        s1 = sample(pid)
        sim1 = cpu_of(simp.pid)
        if attached:
            attached.send_signal(signal.SIGINT)
            attached.wait(timeout=300)
        st = ctl.request("status")["sources"][0]

        def record(name, st, s0, s1, sim_cpu, client_wall=None, rec0=0):
            c = sim.call("GET", "/__sim/counts")
            reqs = sim.call("GET", "/__sim/requests", timeout=300)
            writes = sum(n for ep, n in c["endpoints"].items() if not ep.startswith("GET "))
            wall = st["last_duration_ms"] / 1000.0
            r = {"wall_s": wall, "cpu_s": s1["cpu"] - s0["cpu"], "children_cpu_s": s1["ccpu"] - s0["ccpu"],
                 "runqueue_wait_s": s1["wait"] - s0["wait"], "peak_rss_kb": s1["hwm"], "rss_kb": s1["rss"],
                 "sim_cpu_s": sim_cpu, "requests": c["total"], "writes": writes, "endpoints": c["endpoints"],
                 "statuses": c["status"], "status": {k: st.get(k) for k in CYCLE_KEYS},
                 "recorder_calls": line_count(rec_file) - rec0,
                 "limit_s": c["total"] * a.latency_ms / 1000.0 / conc, "phases": phases(reqs)}
            if client_wall is not None:
                r["client_wall_s"] = client_wall
            out["cycles"][name] = r

        record("block", st, s0, s1, sim1 - sim0)
        out["cycles"]["block"]["how"] = "secrespd's first cycle, by itself; figures from its log line and status"

        def run_cycle(name):
            hwm_reset = reset_hwm(pid)
            sim.call("DELETE", "/__sim/requests")
            rec0 = line_count(rec_file)
            s0, sim0 = sample(pid), cpu_of(simp.pid)
            t0 = time.monotonic()
            reply = ctl.request("run", {"source": "b"}, timeout=a.max_seconds)
            wall = time.monotonic() - t0
            s1, sim1 = sample(pid), cpu_of(simp.pid)
            record(name, reply, s0, s1, sim1 - sim0, wall, rec0)
            out["cycles"][name]["how"] = "`run` on the control socket" + \
                ("" if hwm_reset else "; VmHWM not reset (clear_refs refused): peak since start")

        if a.only_block:
            return finish(out, procs)
        run_cycle("steady")

        # The analyst removes the block tag from every tagged host at once: one
        # PUT /__sim/state of the whole state, every id and every other tag kept.
        t0 = time.monotonic()
        state = sim.call("GET", "/__sim/state", timeout=300)
        n = 0
        for h in state["hosts"]:
            if "vectra_host_block" in h["tags"]:
                h["tags"] = [t for t in h["tags"] if t != "vectra_host_block"]
                n += 1
        sim.call("PUT", "/__sim/state", state, timeout=300)
        del state
        # The PUT dropped the Python simulator's encoded objects; its scale
        # mode encodes them all at start, so do it again by listing every
        # host (scale_sim renders them in the PUT: the listing costs it little).
        path, pages = "/api/v2.5/hosts?page_size=5000", 0
        while path and pages < 1000:
            lst = sim.call("GET", path, timeout=300, auth="Token tok123")
            path = lst["next"][lst["next"].index("/api/"):] if lst.get("next") else None
            pages += 1
        out["untag"] = {"hosts": n, "seconds": time.monotonic() - t0}
        run_cycle("unblock")
        # what one `status` costs once the cycles have filled the tables
        t0 = time.monotonic()
        ctl.request("status")
        out["status_ms"] = (time.monotonic() - t0) * 1000.0
        return finish(out, procs)
    finally:
        stop(procs)


def build_scale_sim(tmp):
    """bench/vectra/scale_sim.c compiled into tmp (as bench/vectra-cycle.sh does)."""
    exe = os.path.join(tmp, "scale_sim")
    subprocess.run(["cc", "-O2", "-o", exe, os.path.join(HERE, "scale_sim.c"), "-lmicrohttpd", "-lcjson",
                    "-lpthread"], check=True, timeout=300)
    return exe


def finish(out, procs):
    """Prints the result; the processes are still up (the daemon's state is checked)."""
    out["recorder_total"] = line_count(os.path.join(out["tmp"], "recorder.jsonl"))
    out["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    out["daemon_alive_at_end"] = len(procs) > 1 and procs[1].poll() is None
    print(json.dumps(out))


def stop(procs):
    for p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


if __name__ == "__main__":
    main()
