#!/usr/bin/python3
"""Compare ringsim's lookup times with reference figures, as a markdown table.

Reads the Google Benchmark JSON written by the `bench` target (default:
results/bench_placement.json; another path may be given as the first
argument) and prints a markdown report (and writes it to every --out=PATH):
  1. the speed targets, as ratios to jump measured in the same run, against
     the same ratios of the authors' reference implementations;
  2. every strategy's median ns per lookup and ratio to jump at N = 10, 1000
     and 100000;
  3. lookups after near-total removal;
  4. our ns per lookup at N = 1000 against absolute reference figures.
Ratios within one run are what to compare: the machine is shared and noisy.
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


# Targets as ratios to jump in the same run (lower is better): (row label, case,
# the jump case it is divided by, the authors' implementation, ringsim before
# this target was set). Measured side by side in one process on the
# development machine with the authors' reference code, fed the same hashes.
JUMP_TARGETS = [
    ("anchor", "lookup/anchor/1000", "lookup/jump/1000", 0.12, 0.20),
    ("powerch", "lookup/powerch/1000", "lookup/jump/1000", 0.09, 0.24),
    ("fliphash", "lookup/fliphash/1000", "lookup/jump/1000", 0.15, 0.27),
    ("binomial", "lookup/binomial/1000", "lookup/jump/1000", 0.06, 0.17),
    ("anchor, half of 2000 removed", "lookup_removed/anchor/2000/50", "lookup/jump/1000", 0.39, 0.59),
    ("memento, half of 2000 removed", "lookup_removed/memento/2000/50", "lookup/jump/1000", 1.59, 2.42),
]

SIZES = ("10", "1000", "100000")


def jump_table(ours):
    """Rows (strategy, then ns and ratio to jump at each N) for every lookup case."""
    names = sorted({c.split("/")[1] for c in ours if c.startswith("lookup/") and c.count("/") == 2})
    rows = []
    for name in names:
        row = [name]
        for n in SIZES:
            mine, jump = ours.get(f"lookup/{name}/{n}"), ours.get(f"lookup/jump/{n}")
            row.append("-" if mine is None else fmt(mine))
            row.append("-" if mine is None or not jump else f"{mine / jump:.2f}")
        rows.append(row)
    return rows


def report(ours):
    """The whole markdown report as a string."""
    out = []
    out.append("## Targets: ns per lookup as a ratio to jump in the same run (lower is better)\n")
    out.append("| case | ringsim | authors' code | ringsim before | at or below the authors' |")
    out.append("|---|---:|---:|---:|:---:|")
    for label, case, base, ref, before in JUMP_TARGETS:
        mine, jump = ours.get(case), ours.get(base)
        if mine is None or not jump:
            out.append(f"| {label} | - | {ref:.2f} | {before:.2f} | not measured |")
            continue
        ratio = mine / jump
        out.append(f"| {label} | {ratio:.2f} | {ref:.2f} | {before:.2f} | "
                   f"{'yes' if ratio <= ref else 'no'} |")
    out.append("")
    out.append("## Every strategy: median ns per lookup, and the ratio to jump at the same N\n")
    out.append("| strategy | ns, N=10 | / jump | ns, N=1000 | / jump | ns, N=100000 | / jump |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in jump_table(ours):
        out.append("| " + " | ".join(r) + " |")
    extra = sorted(c for c in ours if c.startswith("lookup_nearly_empty/"))
    if extra:
        out.append("")
        out.append("## After near-total removal (N initial nodes, the last field stay active)\n")
        out.append("| case | ns per lookup | / jump at N=1000 |")
        out.append("|---|---:|---:|")
        jump = ours.get("lookup/jump/1000")
        for c in extra:
            out.append(f"| {c} | {fmt(ours[c])} | "
                       f"{'-' if not jump else f'{ours[c] / jump:.2f}'} |")
    out.append("")
    out.append("## Against absolute reference figures at N = 1000 (ns, an older machine)\n")
    out.append("| strategy | ns/lookup, N=1000 (median) | reference ns | ours/reference |")
    out.append("|---|---:|---:|---:|")
    for label, case, ref in REFERENCE:
        mine = ours.get(case)
        out.append(f"| {label} | {'-' if mine is None else fmt(mine)} | {fmt(ref)} | "
                   f"{'-' if mine is None else f'{mine / ref:.2f}'} |")
    return "\n".join(out) + "\n"


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    args = [a for a in sys.argv[1:] if not a.startswith("--out=")]
    outs = [a[len("--out="):] for a in sys.argv[1:] if a.startswith("--out=")]
    path = args[0] if args else root / "results" / "bench_placement.json"
    text = report(medians(path))
    print(text, end="")
    for o in outs:
        pathlib.Path(o).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
