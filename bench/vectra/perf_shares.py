#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Shares of secrespd's on-CPU samples by activity, from `perf script -F
comm,ip,sym` with call graphs (bench/vectra/profile.sh).
Usage: perf_shares.py PERF_SCRIPT OWN_SYMBOLS"""
import collections
import sys


def stacks(path):
    """Yields each sample's frames, innermost first."""
    frames, comm = [], None
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if frames and comm == "secrespd":
                    yield frames
                frames, comm = [], None
                continue
            if not line[0].isspace():
                comm = line.split()[0]
                continue
            parts = line.split()
            if len(parts) >= 2:
                frames.append(parts[1].split("+")[0])
    if frames and comm == "secrespd":
        yield frames


def main(script, own_path):
    own = set(open(own_path).read().split())
    cats, selfs, incl = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for fr in stacks(script):
        total += 1
        selfs[fr[0]] += 1
        for f in set(fr):
            if f in own:
                incl[f] += 1
        mine = [f for f in fr if f in own and not f.startswith("sqlite3")]
        if "uv_spawn" in fr:
            k = "uv_spawn (fork, page-table copy, wait for exec)"
        elif any(f.startswith("sqlite3") for f in fr):
            k = "SQLite, called from " + (mine[0] if mine else "?")
        elif any(f.lower().startswith("curl") for f in fr):
            k = "libcurl (HTTP)"
        elif any(f.startswith("cJSON") for f in fr):
            k = "cJSON, called from " + (mine[0] if mine else "?")
        elif any(f in ("malloc", "free", "cfree", "_int_malloc", "_int_free") for f in fr[:3]):
            k = "malloc/free, called from " + (mine[0] if mine else "?")
        else:
            k = "other, in " + (mine[0] if mine else fr[0])
        cats[k] += 1
    if not total:
        print("no samples")
        return 1
    print("secrespd on-CPU samples: %d" % total)
    print("\nby activity (each sample counted once):")
    for k, v in cats.most_common(25):
        print("  %5.1f%%  %s" % (100.0 * v / total, k))
    print("\nsecrespd's own functions, inclusive (top 25):")
    for k, v in incl.most_common(25):
        print("  %5.1f%%  %s" % (100.0 * v / total, k))
    print("\nself time, any library (top 20):")
    for k, v in selfs.most_common(20):
        print("  %5.1f%%  %s" % (100.0 * v / total, k))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
