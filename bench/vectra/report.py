#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Table and ratios of bench/vectra-cycle.sh from the JSON files of
bench/vectra/cycle.py given as arguments (in the order to print)."""
import json
import sys

# VAR 3.3.3 on this kind of machine (issue 3, "Benchmark")
VAR_BLOCK_0MS_S = 278.0
VAR_BLOCK_0MS_CPU_S = 267.0
VAR_BLOCK_0MS_REQUESTS = 10122
VAR_SMALL_20MS_S = 13.4
TARGET_BLOCK_0MS_S = 5.0
TARGET_LIMIT_RATIO = 1.3
TARGET_RSS_KB = 50 * 1024


def name_of(d):
    s = "%dk/%d @%gms" % (d["hosts"] // 1000, d["tagged"], d["latency_ms"]) if d["hosts"] >= 1000 else \
        "%d/%d @%gms" % (d["hosts"], d["tagged"], d["latency_ms"])
    # runs made before --sim existed used the Python simulator
    return s + " py" if d.get("sim", "py") == "py" else s


def main(paths):
    runs = [json.load(open(p)) for p in paths]
    hdr = ("scenario", "cycle", "wall_s", "cpu_s", "child_s", "rq_wait", "sim_cpu", "peakRSS_MB", "requests",
           "writes", "limit_s", "wall/limit", "reads_s", "calls_s", "writes_s")
    fmt = "%-17s %-8s %7s %6s %7s %7s %7s %10s %8s %6s %7s %10s %7s %7s %8s"
    print(fmt % hdr)
    for d in runs:
        for cyc, c in d["cycles"].items():
            ph = c.get("phases", {})
            lim = c["limit_s"]
            print(fmt % (name_of(d), cyc, "%.2f" % c["wall_s"], "%.2f" % c["cpu_s"], "%.2f" % c["children_cpu_s"],
                         "%.2f" % c["runqueue_wait_s"], "%.2f" % c["sim_cpu_s"], "%.1f" % (c["peak_rss_kb"] / 1024),
                         c["requests"], c["writes"], "%.2f" % lim if lim else "-",
                         "%.2f" % (c["wall_s"] / lim) if lim else "-", "%.2f" % ph.get("reads_s", 0),
                         "%.2f" % ph.get("calls_s", 0), "%.2f" % ph.get("writes_s", 0)))
    print()
    print("columns: wall_s = the cycle's duration (secrespd's own clock); cpu_s = secrespd's utime+stime;")
    print("child_s = CPU of the children it reaped (fork side + recorder); rq_wait = secrespd's time runnable")
    print("but waiting for a CPU (/proc/PID/schedstat); sim_cpu = the simulator's CPU; peakRSS = VmHWM")
    print("(reset before each cycle); requests/writes from /__sim/counts (writes = not GET); limit_s = requests x")
    print("latency / concurrency; reads/calls/writes_s = the phases as the simulator saw them (last read before")
    print("the first write; responder calls with no request in flight; first write to last answer).")
    print()

    def find(hosts, tagged, lat):
        for d in runs:
            if d["hosts"] == hosts and d["tagged"] == tagged and d["latency_ms"] == lat:
                return d
        return None

    verdicts = []

    def check(ok, text):
        verdicts.append(ok)
        print("  [%s] %s" % ("ok" if ok else "MISSED", text))

    d0 = find(50000, 5000, 0)
    d20 = find(50000, 5000, 20)
    small = find(1000, 100, 20)
    any_run = runs[0]
    print("concurrency: %d (Vectra client max_in_flight %d, http.max_host_connections %d): bound by %s" % (
        any_run["concurrency"], any_run["max_in_flight"], any_run["max_host_connections"], any_run["bound_by"]))
    print("most requests at once seen by the simulator: %s" % ", ".join(
        "%s %s=%s" % (name_of(d), k, c.get("phases", {}).get("max_concurrent", "-"))
        for d in runs for k, c in d["cycles"].items()))
    print("load average at start/end of each scenario: %s" % "; ".join(
        "%s %s/%s" % (name_of(d), d["loadavg_start"][0], d.get("loadavg_end", ["?"])[0]) for d in runs))
    print("one `status` after the three cycles: %s" % ", ".join(
        "%s %.0f ms" % (name_of(d), d["status_ms"]) for d in runs if "status_ms" in d))
    print()
    print("ratios and targets:")
    if d0 and "block" in d0["cycles"]:
        b = d0["cycles"]["block"]
        check(b["wall_s"] < TARGET_BLOCK_0MS_S, "block cycle 50k/5000 at 0 ms: %.2f s (target < %.0f s; VAR 3.3.3 "
              "%.0f s: %.1fx faster; CPU %.2f s vs VAR %.0f s; %d requests vs VAR %d)" % (
                  b["wall_s"], TARGET_BLOCK_0MS_S, VAR_BLOCK_0MS_S, VAR_BLOCK_0MS_S / b["wall_s"], b["cpu_s"],
                  VAR_BLOCK_0MS_CPU_S, b["requests"], VAR_BLOCK_0MS_REQUESTS))
    if d20:
        for cyc, c in d20["cycles"].items():
            if not c["limit_s"]:
                continue
            base = d0["cycles"].get(cyc) if d0 else None
            extra = ""
            if base:
                extra = "; (wall - wall at 0 ms) / limit = %.2f" % ((c["wall_s"] - base["wall_s"]) / c["limit_s"])
            lat, conc = d20["latency_ms"] / 1000.0, d20["concurrency"]
            ph = c.get("phases", {})
            reads, writes = c["requests"] - c["writes"], c["writes"]
            parts = []
            if reads > conc and ph.get("reads_s"):
                parts.append("reads %.2f s / %.2f s = %.2f" % (ph["reads_s"], reads * lat / conc,
                                                               ph["reads_s"] / (reads * lat / conc)))
            if writes and ph.get("writes_s"):
                parts.append("writes %.2f s / %.2f s = %.2f" % (ph["writes_s"], writes * lat / conc,
                                                                ph["writes_s"] / (writes * lat / conc)))
            if ph.get("calls_s"):
                parts.append("responder calls %.2f s (no Vectra request in flight)" % ph["calls_s"])
            if parts:
                extra += "\n         by phase: " + "; ".join(parts)
            if writes == 0:
                # nothing but the pages, and pages follow "next" links one
                # after the other: the concurrency limit does not apply; the
                # cost of the latency is the difference from the 0 ms cycle
                seq = c["requests"] * lat
                print("  [info] %s cycle 50k/5000 at 20 ms: %.2f s for %d sequential pages (%d x 20 ms = %.2f s)%s" % (
                    cyc, c["wall_s"], c["requests"], c["requests"], seq,
                    "; (wall - wall at 0 ms) / %.2f s = %.2f" % (seq, (c["wall_s"] - base["wall_s"]) / seq)
                    if base else ""))
                continue
            check(c["wall_s"] <= TARGET_LIMIT_RATIO * c["limit_s"],
                  "%s cycle 50k/5000 at 20 ms: %.2f s for %d requests, limit %d x 20 ms / %d = %.2f s: "
                  "ratio %.2f (target <= %.1f)%s" % (cyc, c["wall_s"], c["requests"], c["requests"],
                                                     d20["concurrency"], c["limit_s"], c["wall_s"] / c["limit_s"],
                                                     TARGET_LIMIT_RATIO, extra))
    for d in runs:
        c = d["cycles"].get("steady")
        if c:
            check(c["writes"] == 0 and c["recorder_calls"] == 0,
                  "steady cycle %s: %d writes, %d responder calls (target: none)" % (
                      name_of(d), c["writes"], c["recorder_calls"]))
    peak = max((c["peak_rss_kb"], name_of(d), k) for d in runs for k, c in d["cycles"].items())
    check(peak[0] < TARGET_RSS_KB, "peak RSS: %.1f MB (%s, %s cycle) (target < 50 MB)" % (
        peak[0] / 1024, peak[1], peak[2]))
    if small and "block" in small["cycles"]:
        b = small["cycles"]["block"]
        print("  [info] block cycle 1000/100 at 20 ms: %.2f s vs VAR 3.3.3 %.1f s: %.1fx faster "
              "(limit %.2f s, ratio %.2f)" % (b["wall_s"], VAR_SMALL_20MS_S, VAR_SMALL_20MS_S / b["wall_s"],
                                             b["limit_s"], b["wall_s"] / b["limit_s"]))
    for d in runs:
        for k, c in d["cycles"].items():
            st = c["status"]
            want = d["tagged"] if k != "steady" else 0
            got = st.get("blocked", 0) + st.get("unblocked", 0)
            if st.get("last_result") != "ok" or got != want or c["recorder_calls"] != want or st.get("failed"):
                print("  [WARN] %s %s cycle: result %s, %d blocked/unblocked, %d recorder calls, %s failed "
                      "(expected %d)" % (name_of(d), k, st.get("last_result"), got, c["recorder_calls"],
                                         st.get("failed"), want))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
