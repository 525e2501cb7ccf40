"""The comparison as tables: markdown for the terminal and the report, CSV for machines."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from .compare import (BOUND_NOTE, BOUND_RATIOS, LOCK_FIELDS, METRIC, METRICS, NO_TEST, TABLE_KEYS, TEST_COLUMNS,
                      Comparison, fmt_summary, fmt_value, sizes_vary)
from .reader import REQUEST_SOURCES
from .stats import EXACT_CI_MAX, EXACT_MAX, MIN_TEST_N

MOVEMENT = ["moved_fraction", "ideal_fraction", "disruption", "moved_over_ideal", "load_peak_to_mean",
            "random_peak_to_mean", "load_chi2_p", "load_cv"]
BALANCE = ["load_peak_to_mean", "primary_peak_to_mean", "random_peak_to_mean", "random_peak_to_mean_se", "load_chi2",
           "load_chi2_p", "few_keys", "order_fraction_differ", "t_balance", "t_order"]
TIME = ["t_plan", "t_counts", "t_pack", "t_exchange", "t_apply", "t_migrate", "t_projected"]
BOUNDS = ["exchange_over_floor", "exchange_over_model", "plan_over_bound", "pack_over_bound", "apply_over_bound"]
TRAFFIC = ["bytes_moved", "bytes_exchanged", "lookup_ns", "state_bytes"]
BELOW_BOUND = "†"  # marks a bound ratio below 1 in the tables


@dataclasses.dataclass
class Section:
    title: str
    intro: str
    headers: list[str]
    rows: list[list[str]]


def describe_test(alpha: float, pairs: int | None = None) -> str:
    family = f"the {pairs} pairs tested" if pairs is not None else "every pair tested"
    return (f"two-sided Mann-Whitney U test (scipy.stats.mannwhitneyu) on the moved fraction of the samples, for "
            f"each pair of strategies at one cluster size with at least {MIN_TEST_N} samples each; exact when "
            f"both samples have at most {EXACT_MAX} values and no ties, otherwise the normal approximation with "
            f"tie and continuity corrections; p adjusted by Holm's step-down method over {family} in this "
            f"comparison (every setting and cluster size), significant when the adjusted p < alpha = {alpha}. "
            "Effect size: the Hodges-Lehmann shift (the median of all differences between the two strategies' "
            "samples) with its distribution-free 95 % confidence interval (the k-th smallest and largest "
            f"difference, k from the exact distribution of U up to {EXACT_CI_MAX} samples per strategy, from its "
            "normal approximation above), beside the difference of the medians")


def fmt_shift(x: float) -> str:
    """A signed difference of moved fractions: '+0.0021', '-3.2e-05'."""
    if x != x:  # NaN
        return "-"
    return f"{x:+.2g}" if x != 0 and abs(x) < 1e-3 else f"{x:+.4f}"


def _key_columns(c: Comparison, row) -> list[str]:
    cells = [row.setting] if len(c.settings) > 1 else []
    return cells + [row.label, str(row.size)]


def _key_headers(c: Comparison) -> list[str]:
    sizes = {c.size_source[s] for s in c.settings}
    size = "nodes" if sizes == {"nodes"} else "nodes after" if sizes == {"nodes_after"} else "nodes (after)"
    return (["setting"] if len(c.settings) > 1 else []) + ["strategy", size]


def _cell(row, key: str) -> str:
    text = fmt_summary(getattr(row, key), getattr(row, key + "_q1"), getattr(row, key + "_q3"), row.n,
                       METRIC[key].fmt)
    if key in BOUND_RATIOS and getattr(row, key) < 1:
        text += " " + BELOW_BOUND
    return text


def _network_text(c: Comparison) -> str:
    if len(c.networks) == 1:
        return next(iter(c.networks))
    return "; ".join(f"{net} for {', '.join(files)}" for net, files in c.networks.items()) or "network not recorded"


def _oversubscribed_text(c: Comparison) -> str:
    if not c.oversubscribed:
        return ""
    return (f" WARNING, {c.timing_note()}: some host ran more ranks than it has hardware threads in "
            f"{', '.join(c.oversubscribed)}; do not read these times as per-core costs.")


def _test_cells(r) -> list[str]:
    """The two test columns of a movement row: the shift over the fewest-moves strategy, and the strategies
    not significantly different."""
    if not r.reference:
        return [f"- (n < {MIN_TEST_N})", "-"]
    if r.reference == r.label:
        shift = "reference (fewest moves)"
    else:
        shift = (f"{fmt_shift(r.shift_vs_reference)} [{fmt_shift(r.shift_low)}, {fmt_shift(r.shift_high)}] "
                 f"vs {r.reference}, Holm p {r.p_holm_vs_reference:.2g}")
    if getattr(r, "test_powerless", False):
        return [shift, "- (too few samples for any difference to be significant; see the notes)"]
    return [shift, r.not_significant_vs.replace(" ", ", ") or "none"]


def _request_text(c: Comparison) -> str:
    """Which events field the request balance comes from, for the tables' intros."""
    sources = [s for s in dict.fromkeys(c.events.request_source) if s]
    text = " and ".join(REQUEST_SOURCES[s] for s in sources)
    if len(sources) > 1:
        text += " (per file: ops where its processing stage measured them)"
    return "the busiest active node's requests over the mean, from " + text


def _event_sections(c: Comparison) -> list[Section]:
    out = []
    t = c.table
    multi = bool((t.n > 1).any())
    spread = "median (first quartile–third quartile) over n samples" if multi else "one sample per row"
    tested = c.tested

    movement = list(MOVEMENT) + (["keys_lost"] if c.has_failures else [])
    sized = sizes_vary(t)  # records of several sizes: the bytes moved fraction beside the moved fraction
    if sized:
        movement.insert(movement.index("moved_fraction") + 1, "bytes_fraction")
    requests = bool(t.request_balance.notna().any())  # skewed requests: their balance beside the records'
    if requests:
        movement.insert(movement.index("load_peak_to_mean") + 1, "request_balance")
    headers = _key_headers(c) + ["events", "n"] + [METRIC[k].title for k in movement]
    if tested:
        headers += ["moved fraction vs fewest moves: shift [95 % CI]", "not significantly different from"]
    rows = []
    for r in t.itertuples():
        cells = _key_columns(c, r) + [r.events, str(r.n)] + [_cell(r, k) for k in movement]
        if tested:
            cells += _test_cells(r)
        rows.append(cells)
    size_text = ("cluster size is the active nodes after the event" if set(c.size_source.values()) == {"nodes_after"}
                 else "cluster size is the active nodes after the event, or the file's `nodes` where files differ in it")
    intro = (f"One row per strategy and cluster size ({size_text}); {spread}. A sample is one repetition of a "
             "strategy in one file, over the row's events. Moved fraction = keys moved / (keys x replicas); fair-share "
             "fraction = keys_ideal / (keys x replicas); disruption = moved / keys_min, the fewest moves that reach "
             "the strategy's new loads (>= 1, 1 is minimal); moved / fair share = moved / keys_ideal, which can be "
             "below 1 when a strategy's loads drift from the fair shares. Peak/mean load is over the records, "
             "each node's against its fair share; random peak/mean is what a random assignment of the same keys "
             "to the same nodes and shares gives (balls into bins), and chi-square p tests the primary counts "
             "against the shares (small: the strategy is less even than chance, or more, see the next table).")
    if sized:
        intro += (" Bytes moved fraction = bytes moved / bytes held (keys x replicas x the mean record bytes, "
                  "from value_bytes_total): values differ in size here, so the strategy that moves the fewest "
                  "records need not move the fewest bytes (the notes name where it does not).")
    else:
        intro += (" Every record has one size here, so the bytes moved fraction equals the moved fraction "
                  "(comparison.csv: bytes_fraction).")
    if requests:
        intro += f" Request peak/mean: {_request_text(c)}; 1 is even, see request_balance.png."
    if tested:
        intro += (" Last two columns: the Hodges-Lehmann shift of the row's moved fraction over the strategy "
                  "with the fewest moves at its size (positive: the row moves more), its 95 % interval and the "
                  "Holm-adjusted p, and the strategies whose moved fraction does not differ significantly; "
                  f"{describe_test(c.alpha, len(c.significance))}.")
    else:
        intro += f" {NO_TEST}."
    out.append(Section("Movement and balance", intro, headers, rows))
    if tested:
        out.append(_pairs_section(c))

    balance = list(BALANCE) + (["request_balance", "request_balance_cv"] if requests else [])
    headers = _key_headers(c) + [METRIC[k].title for k in balance]
    rows = [_key_columns(c, r) + [_cell(r, k) for k in balance] for r in t.itertuples()]
    intro = ("Balance against chance, per event (results/README.md: the events table): peak/mean of the records and "
             "of the primaries (replica 0: the placement's own choice), the balls-into-bins expectation for the "
             "same keys, nodes and shares with its Monte Carlo standard error, Pearson's chi-square of the primary "
             "counts against the shares and its p (a p near 1 with peak/mean below the random figure: more even "
             "than chance; a p near 0: less even, or more even by far, compare the peak/means), the events with "
             "fewer than 100 keys per active node, the share of keys whose owner differs from a shadow that "
             "removed each multi-node leave in reverse (`[run] order_dependence`; - when off or not applicable), "
             f"and what the balance statistics and the shadow cost per event; {spread}. Files of schema 2 or 3 "
             "have none of these: -."
             + (f" Request peak/mean and CV: {_request_text(c)}." if requests else ""))
    out.append(Section("Balance against chance, and removal order", intro, headers, rows))

    headers = _key_headers(c) + [METRIC[k].title for k in TIME]
    rows = [_key_columns(c, r) + [_cell(r, k) for k in TIME] for r in t.itertuples()]
    intro = ("Time per event. A phase's time (plan, counts, pack, exchange, apply) is its span over ranks, "
             "max(end) - min(start); the spans overlap the waits between phases, so they do not add up to the "
             "migration time, which is the critical path t_migrate = max(end of apply) - min(start of plan), "
             "measured as such. Projected: the same event on a cluster of one node per machine, from the exact "
             f"node-to-node traffic, at {_network_text(c)}; it assumes full bisection bandwidth, no overlap of "
             f"messages beyond full duplex and one NIC per node. {spread[0].upper() + spread[1:]}."
             + _oversubscribed_text(c))
    out.append(Section("Migration time", intro, headers, rows))

    headers = _key_headers(c) + [METRIC[k].title for k in BOUNDS]
    rows = [_key_columns(c, r) + [_cell(r, k) for k in BOUNDS] for r in t.itertuples()]
    intro = ("Each phase against its bound (sum of the phase's times over the sum of the bounds). exchange / floor: "
             "t_exchange over t_exchange_floor_min, the same buffers through a bare MPI_Alltoallv, whose minimum "
             "includes the timed exchange itself, so it is >= 1 by construction. exchange / model: against the "
             "calibrated alpha-beta model; plan / bound: against local records x lookup_ns; pack and apply / bound: "
             f"against bytes / memcpy bandwidth. {BELOW_BOUND} below 1: {BOUND_NOTE}. {spread[0].upper() + spread[1:]}."
             + _oversubscribed_text(c))
    out.append(Section("Phases against their bounds", intro, headers, rows))

    headers = _key_headers(c) + [METRIC[k].title for k in TRAFFIC]
    rows = [_key_columns(c, r) + [_cell(r, k) for k in TRAFFIC] for r in t.itertuples()]
    mappings = ", ".join(dict.fromkeys(c.events.mapping))
    intro = ("Bytes per event: bytes moved = the moved records' bytes (keys moved x record bytes when every "
             "value has one size), what a cluster of one node per machine sends whatever this run's layout; "
             "bytes exchanged = what crossed ranks in this run's MPI_Alltoallv "
             f"(moves between nodes of one rank are local copies; it depends on the node-to-rank mapping, here "
             f"{mappings}). Then ns per lookup measured in the run, and the strategy's lookup state after the "
             f"event; {spread}.")
    out.append(Section("Traffic and state", intro, headers, rows))

    if c.has_failures:
        f = c.failures
        sweep = "nodes" in c.size_source.values()  # cluster size is the file's `nodes`: a column of its own
        headers = (["setting"] if len(c.settings) > 1 else []) + ["strategy"] + (["nodes"] if sweep else []) + [
            "replicas", "event", "active nodes", "n", "keys lost", "lost fraction", "records moved (owner changed)",
            "replicas re-created", "keys_moved (= node matrix)", "re-replicated bytes"]
        rows = []
        for r in f.itertuples():
            cells = [r.setting] if len(c.settings) > 1 else []
            cells += [r.label] + ([str(r.size)] if sweep else [])
            cells += [str(r.replicas), f"{r.event}: {r.detail}", f"{r.nodes_before}→{r.nodes_after}",
                      str(r.n), fmt_summary(r.keys_lost, r.keys_lost_q1, r.keys_lost_q3, r.n, "count"),
                      fmt_summary(r.lost_fraction, r.lost_fraction_q1, r.lost_fraction_q3, r.n, "frac"),
                      fmt_value(r.records_moved, "count"), fmt_value(r.replicas_created, "count"),
                      fmt_value(r.keys_moved, "count"), fmt_value(r.bytes_rereplicated, "bytes")]
            rows.append(cells)
        intro = ("Per fail event, strategy and cluster size (never pooled across sizes or settings): keys whose "
                 "every replica was on a failed node; lost fraction = lost / keys alive before the event. The "
                 "event's keys_moved counts two kinds of record: records whose owner node changed, and replicas "
                 "re-created from a surviving copy (replicas_created); keys_moved = records moved + replicas "
                 "re-created, and the node migration matrix (node_traffic) holds both, so it sums to keys_moved. "
                 "Re-replicated bytes = the re-created replicas' bytes (replicas_created x record bytes when "
                 "every value has one size), part of bytes moved. "
                 + ("Medians over n samples." if (f.n > 1).any() else "One sample per row."))
        out.append(Section("Keys lost per failure scenario", intro, headers, rows))
    return out


def _pairs_section(c: Comparison) -> Section:
    sig = c.significance
    multi = len(c.settings) > 1
    headers = (["setting"] if multi else []) + [_key_headers(c)[-1], "a", "b", "n a", "n b", "median a − b",
                                                 "shift a − b [95 % CI]", "U", "p", "Holm p", "significant"]
    rows = []
    for r in sig.itertuples():
        cells = [r.setting] if multi else []
        level = f" ({100 * r.hl_level:.1f} %)" if r.hl_level == r.hl_level else ""
        cells += [str(r.size), r.a, r.b, str(r.n_a), str(r.n_b), fmt_shift(r.median_diff),
                  f"{fmt_shift(r.hl_shift)} [{fmt_shift(r.hl_low)}, {fmt_shift(r.hl_high)}]{level}",
                  f"{r.U:g}", f"{r.p:.3g}", f"{r.p_holm:.3g}", "yes" if r.significant else "no"]
        rows.append(cells)
    intro = (f"Every pair of strategies tested on the moved fraction: {describe_test(c.alpha, len(sig))}. The "
             "interval's coverage under the test's null distribution is given in brackets (U is discrete, so it "
             "is at least 95 %).")
    return Section("Differences in moved fraction between strategies", intro, headers, rows)


def _lock_section(c: Comparison) -> Section:
    locks = c.locks
    multi = locks.setting.nunique() > 1
    spread = ("median (first quartile–third quartile) over n runs" if (locks.n > 1).any()
              else "one run per row")
    options = (locks.ranks_per_host != 0).any() or (locks.cohort_handoffs != 16).any()
    headers = ((["setting"] if multi else []) + ["algorithm", "workload", "target", "ranks", "stripes", "reads"]
               + (["ranks/host", "hand-offs"] if options else [])
               + ["n", "acquisitions/s", "p50 µs", "p90 µs", "p99 µs", "max µs", "fairness max/min", "fairness CV"])
    rows = []
    for r in locks.itertuples():
        cells = [str(r.setting)] if multi else []
        ranks = f"{r.ranks}*" if r.oversubscribed else str(r.ranks)
        cells += [str(r.algorithm), str(r.workload), str(r.target), ranks, str(r.stripes), f"{r.reads:g}"]
        if options:
            cells += [str(r.ranks_per_host), str(r.cohort_handoffs)]
        cells.append(str(r.n))
        for field, fmt in zip(LOCK_FIELDS, ["ns", "ns", "ns", "ns", "ns", "ratio", "ratio"]):
            cells.append(fmt_summary(getattr(r, field), getattr(r, field + "_q1"), getattr(r, field + "_q3"),
                                     r.n, fmt))
        if not r.counters_ok:
            cells[-1] += " (COUNTERS WRONG)"
        rows.append(cells)
    intro = (f"Lock benchmark runs (/locks/results); {spread}. reads: the fraction of acquisitions taken in shared "
             "mode. Fairness of the per-rank acquisition rates (acquisitions / that rank's seconds): max / min "
             "(1 = fair) and the coefficient of variation, stddev / mean (0 = fair).")
    if locks.oversubscribed.any():
        intro += " * oversubscribed: more ranks than hardware threads on a host, not per-core figures."
    return Section("Lock throughput", intro, headers, rows)


def sections(c: Comparison) -> list[Section]:
    """The event tables (none for lock files alone), then the lock table when there are lock results."""
    out = _event_sections(c) if c.has_events else []
    if c.locks is not None:
        out.append(_lock_section(c))
    return out


def significance_notes(c: Comparison) -> list[str]:
    """What the test found, said in words, or why there is none."""
    if not c.has_events:
        return []
    sig = c.significance
    if sig.empty:
        most = c.samples_per_row[1]
        return [f"Significance: {NO_TEST} (at most {most} sample{'s' if most != 1 else ''} per strategy and "
                f"cluster size). The tables give medians and quartiles only; run with run.repetitions = "
                f"{MIN_TEST_N} or more (or give several files of the experiment) for a test."]
    lines = [f"Significance: {describe_test(c.alpha, len(sig))}."]
    ns = sig[~sig.significant]
    if ns.empty:
        lines.append("Every pair of strategies tested differs significantly in moved fraction.")
    else:
        lines.append(f"{len(ns)} of {len(sig)} strategy pairs tested do not differ significantly in moved fraction "
                     "(per row in the last column of the first table; every pair in the table of differences "
                     "and in significance.csv).")
    return lines


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    def clean(cell: str) -> str:
        return str(cell).replace("|", "\\|")
    lines = ["| " + " | ".join(map(clean, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(map(clean, row)) + " |" for row in rows]
    return "\n".join(lines)


def markdown(c: Comparison, notes: list[str]) -> str:
    parts = []
    for s in sections(c):
        parts += [f"## {s.title}", "", s.intro, "", markdown_table(s.headers, s.rows), ""]
    sig = significance_notes(c)
    if sig:
        parts += ["\n".join(sig), ""]
    if notes:
        parts += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(parts).rstrip("\n") + "\n"


CSV_FILES = ("comparison.csv", "significance.csv", "samples.csv", "failures.csv", "locks.csv")


def write_csv(c: Comparison, out: Path) -> list[Path]:
    """comparison.csv (every metric's median and quartiles; the test columns only when some pair was
    tested) and samples.csv when there are events; significance.csv only when some pair was tested;
    failures.csv and locks.csv when there is such data. A file of these names left in `out` by an
    earlier comparison that this one has no data for is removed, so the folder never mixes two."""
    written = []
    frames = {}
    if c.has_events:
        cols = list(TABLE_KEYS)
        for m in METRICS:
            cols += [m.key, m.key + "_q1", m.key + "_q3"]
        if c.tested:
            cols += TEST_COLUMNS
        frames["comparison.csv"] = c.table[cols]
        frames["samples.csv"] = c.samples
    if c.tested:
        frames["significance.csv"] = c.significance
    if c.has_failures:
        frames["failures.csv"] = c.failures
    if c.locks is not None:
        frames["locks.csv"] = c.locks
    for name in CSV_FILES:
        path = out / name
        if name in frames:
            frames[name].to_csv(path, index=False)
            written.append(path)
        elif path.is_file():
            path.unlink()
    return written


def metric_docs() -> pd.DataFrame:
    return pd.DataFrame([{"column": m.key, "heading": m.title, "per sample": m.doc} for m in METRICS])
