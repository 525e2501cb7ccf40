#!/usr/bin/python3
"""Compare ringsim's lookup times with reference figures, as a markdown table.

Reads the Google Benchmark JSON written by the `bench` target (default:
results/bench_placement.json; another path may be given as the only argument)
and prints, for every strategy at N = 1000 nodes: our median ns per lookup,
the reference figure and the ratio ours / reference. The reference figures
are ns per lookup at N = 1000 measured on the development machine with the
published reference implementations; strategies without one get a dash.
Standard library only.
"""
import json
import pathlib
import statistics
import sys

# (row label, benchmark case without the min_time suffix, reference ns/lookup)
REFERENCE = [
    ("modulo", "lookup/modulo/1000", 2.8),
    ("anchor (capacity N, no removals)", "lookup/anchor/1000", 4.7),
    ("anchor (capacity 2N, N removed)", "lookup_removed/anchor/2000/50", 21.0),
    ("dx", "lookup/dx/1000", 5.5),
    ("powerch", "lookup/powerch/1000", 6.2),
    ("maglev", "lookup/maglev/1000", 3.1),
    ("jump", "lookup/jump/1000", 59.0),
    ("memento (no removals)", "lookup/memento/1000", 63.0),
    ("memento (2N, half removed)", "lookup_removed/memento/2000/50", 109.0),
    ("ring (100 vnodes)", "lookup/ring_vnodes100/1000", 146.0),
    ("multiprobe (21 probes)", "lookup/multiprobe/1000", 1273.0),
    ("rendezvous", "lookup/rendezvous/1000", 2180.0),
]

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def case_name(run_name):
    """'lookup/ring/1000/min_time:0.100' -> 'lookup/ring/1000'."""
    return "/".join(p for p in run_name.split("/") if ":" not in p)


def medians(path):
    """Median ns per benchmark case (per lookup for lookups): the 'median' aggregate when
    the run had repetitions, else the median over the plain iteration runs."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    aggregated, plain = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = case_name(b.get("run_name", b["name"]))
        # Lookup benchmarks time batches; their ns_per_lookup counter (seconds
        # per lookup) is the figure to compare. Others: real time per iteration.
        if "ns_per_lookup" in b:
            ns = b["ns_per_lookup"] * 1e9
        else:
            ns = b["real_time"] * TO_NS[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                aggregated[name] = ns
        else:
            plain.setdefault(name, []).append(ns)
    out = {name: statistics.median(v) for name, v in plain.items()}
    out.update(aggregated)
    return out


def fmt(x):
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    path = sys.argv[1] if len(sys.argv) > 1 else root / "results" / "bench_placement.json"
    ours = medians(path)
    rows = []
    listed = set()
    for label, case, ref in REFERENCE:
        listed.add(case)
        mine = ours.get(case)
        rows.append((label, "-" if mine is None else fmt(mine), fmt(ref),
                     "-" if mine is None else f"{mine / ref:.2f}"))
    # Every other measured lookup at N = 1000 without removals: no reference.
    for case in sorted(ours):
        parts = case.split("/")
        if len(parts) == 3 and parts[0] == "lookup" and parts[2] == "1000" and case not in listed:
            rows.append((parts[1], fmt(ours[case]), "-", "-"))
    print("| strategy | ns/lookup, N=1000 (median) | reference ns | ours/reference |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
