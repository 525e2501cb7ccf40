"""The comparison of strategies across result files: samples, medians, tests.

A *sample* is one repetition of one strategy in one file, restricted to the
events of one cluster size. Files of the same setting (same experiment, and the
same keys, ranks, replicas... where those vary between the inputs) are merged:
their repetitions are further samples. Rows of the comparison are
(setting, strategy, cluster size); every figure in a row is the median over its
samples, with the quartiles beside it.

Cluster size is the number of active nodes after each event, unless the files
of a setting differ in their `nodes` attribute (a sweep over cluster sizes):
then it is that attribute, and a sample covers all of the file's events. Every
table (movement, time, failures, tests) keeps settings and cluster sizes apart.

Tests between strategies (the moved fraction) run only where both have at least
MIN_TEST_N samples at a cluster size; their p-values are adjusted by Holm's
method over every pair tested in the comparison (stats.py). With fewer samples
the comparison has no significance columns and says why.

A file without events but with a lock benchmark (/locks/results) contributes
its lock rows only; a comparison of such files alone has empty event tables.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd

from .reader import Run, complete_locks
from .stats import MIN_TEST_N, hodges_lehmann, holm, mann_whitney_u, smallest_p, summarize

ALPHA = 0.05
PHASES = ["t_plan", "t_counts", "t_pack", "t_exchange", "t_apply"]
MIGRATION = "t_migrate"  # the critical path of an event; never a sum of the phases

# Root attributes that split the inputs into settings when they differ between files.
SETTING_ATTRS = [
    ("experiment_name", "{}"),
    ("keys_count", "{} keys"),
    ("value_bytes", "{} B values"),
    ("key_distribution", "{}"),
    ("replicas", "replicas {}"),
    ("ranks", "{} ranks"),
    ("mapping", "{} mapping"),
    ("exchange", "exchange {}"),  # run.exchange: alltoallv or sparse, compared per strategy
    ("initial_nodes", "{} initial nodes"),
    ("zipf_exponent", "zipf s {}"),
]
NO_TEST = f"n < {MIN_TEST_N} repetitions: no test of significance"


@dataclasses.dataclass(frozen=True)
class Metric:
    key: str
    title: str  # column heading
    fmt: str  # how a value prints: "frac", "ratio", "ms", "ns", "bytes", "count"
    doc: str  # how a sample's value is computed


METRICS = [
    Metric("moved_fraction", "moved fraction", "frac", "sum keys_moved / sum (keys_total x replicas) over the events"),
    Metric("bytes_fraction", "bytes moved fraction", "frac",
           "sum bytes_moved / sum bytes held over the events; bytes held = keys_total x replicas x the mean record "
           "bytes (reader.mean_record_bytes): equals the moved fraction when every value has one size"),
    Metric("ideal_fraction", "fair-share fraction", "frac", "sum keys_ideal / sum (keys_total x replicas)"),
    Metric("disruption", "disruption (moved / min)", "ratio",
           "sum keys_moved / sum keys_min: >= 1, 1 is the fewest moves that reach the strategy's new loads"),
    Metric("moved_over_ideal", "moved / fair share", "ratio",
           "sum keys_moved / sum keys_ideal (below 1 when the loads drift from the fair shares)"),
    Metric("load_peak_to_mean", "peak/mean load", "ratio", "load_peak_to_mean, mean over the events"),
    Metric("load_cv", "load CV", "ratio", "load_cv, mean over the events"),
    Metric("request_balance", "request peak/mean", "ratio",
           "request_balance, mean over the events: ops_peak_to_mean (operations per active node in the processing "
           "stage, measured) when the file has it > 0, else request_peak_to_mean (each node's share of the keys' "
           "popularity, zipf keys); - for uniform keys without processing. 1 is even"),
    Metric("request_balance_cv", "request CV", "ratio",
           "request_balance_cv, mean over the events: ops_cv or request_cv, from the same source"),
    Metric("random_peak_to_mean", "random peak/mean", "ratio",
           "random_peak_to_mean, mean over the events: the expected peak/mean of a random assignment of the "
           "same keys to the same nodes and shares (Monte Carlo)"),
    Metric("random_peak_to_mean_se", "random peak/mean se", "ratio",
           "random_peak_to_mean_se, mean over the events: the Monte Carlo standard error"),
    Metric("load_chi2_p", "chi-square p", "p",
           "load_chi2_p, median over the events: upper tail of chi2(active - 1) at the statistic of the "
           "primary counts against the ideal shares"),
    Metric("primary_peak_to_mean", "peak/mean (primaries)", "ratio",
           "primary_peak_to_mean, mean over the events: peak/mean of the replica 0 counts, which the "
           "chi-square and the random figure describe (equals peak/mean load without replicas)"),
    Metric("load_chi2", "chi-square", "ratio", "load_chi2, mean over the events"),
    Metric("few_keys", "few keys", "count",
           "events flagged balance_few_keys (fewer than 100 keys per active node: the balance figures mean little)"),
    Metric("order_fraction_differ", "keys differing by removal order", "frac",
           "order_fraction_differ, the largest over the events (cumulative): keys whose replica 0 owner differs "
           "from a shadow placement that removed each multi-node leave in reverse; - when off or not applicable"),
    Metric("t_balance", "balance stats ms", "ms", "t_balance per event (mean), max over ranks"),
    Metric("t_order", "order shadow ms", "ms", "t_order per event (mean), max over ranks"),
    Metric("t_plan", "plan ms", "ms", "t_plan per event (mean); a phase's span over ranks, max(end) - min(start)"),
    Metric("t_counts", "counts ms", "ms", "t_counts per event (mean), span over ranks"),
    Metric("t_pack", "pack ms", "ms", "t_pack per event (mean), span over ranks"),
    Metric("t_exchange", "exchange ms", "ms", "t_exchange per event (mean), span over ranks"),
    Metric("t_apply", "apply ms", "ms", "t_apply per event (mean), span over ranks"),
    Metric("t_migrate", "migration ms (critical path)", "ms",
           "t_migrate per event (mean): max(end of apply) - min(start of plan), not a sum of phases"),
    Metric("t_projected", "projected ms", "ms",
           "t_projected per event (mean): the event on a cluster of one node per machine (the file's network)"),
    Metric("exchange_over_floor", "exchange / floor", "ratio",
           "sum t_exchange / sum t_exchange_floor_min: >= 1 by construction"),
    Metric("exchange_over_model", "exchange / model", "ratio", "sum t_exchange / sum t_exchange_model"),
    Metric("plan_over_bound", "plan / bound", "ratio", "sum t_plan / sum t_plan_bound"),
    Metric("pack_over_bound", "pack / bound", "ratio", "sum t_pack / sum t_pack_bound"),
    Metric("apply_over_bound", "apply / bound", "ratio", "sum t_apply / sum t_apply_bound"),
    Metric("bytes_moved", "bytes moved", "bytes",
           "bytes_moved per event (mean): the moved records' bytes (keys_moved x record_bytes when every value has "
           "one size), what a cluster of one node per machine sends"),
    Metric("bytes_exchanged", "bytes exchanged", "bytes",
           "bytes_exchanged per event (mean): what crossed ranks in this run (depends on the mapping)"),
    Metric("lookup_ns", "lookup ns", "ns", "lookup_ns of the repetition (strategy attribute)"),
    Metric("state_bytes", "state bytes", "bytes", "state_bytes after the event (mean)"),
    Metric("keys_lost", "keys lost", "count", "sum keys_lost over the fail events"),
]
# Ratios of a phase to a bound measured by a micro-benchmark: a faster path can beat the bound.
BOUND_RATIOS = {
    "exchange_over_model": ("t_exchange", "t_exchange_model"),
    "plan_over_bound": ("t_plan", "t_plan_bound"),
    "pack_over_bound": ("t_pack", "t_pack_bound"),
    "apply_over_bound": ("t_apply", "t_apply_bound"),
}
BOUND_NOTE = "the bound is a micro-benchmark; a ratio below 1 means the phase beat it"
METRIC = {m.key: m for m in METRICS}


def fmt_value(x: float, fmt: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "inf"
    if fmt == "ms":
        return f"{x * 1e3:.3g}"
    if fmt in ("bytes", "count"):
        return f"{x:.0f}" if abs(x) < 1e7 else f"{x:.3g}"
    if fmt == "frac":
        return f"{x:.4f}"
    if fmt == "p":
        return f"{x:.3g}"
    return f"{x:.3g}" if fmt == "ns" else f"{x:.3f}"


def fmt_summary(med: float, q1: float, q3: float, n: int, fmt: str) -> str:
    """"median" for one sample, "median (q1-q3)" for more."""
    text = fmt_value(med, fmt)
    if n > 1 and text not in ("-", "inf"):
        lo, hi = fmt_value(q1, fmt), fmt_value(q3, fmt)
        if lo != hi:  # quartiles equal at this precision: the median says it all
            text += f" ({lo}–{hi})"
    return text


OVERSUBSCRIBED = "oversubscribed: times are not per-core"


def oversubscribed(run: Run) -> bool:
    """The file says some host ran more ranks than it has hardware threads."""
    return bool(int(run.attrs.get("oversubscribed", 0) or 0))


def oversubscription_text(run: Run) -> str:
    """'2 ranks on 1 hardware thread' per host, from the host census."""
    ranks = np.atleast_1d(run.attrs.get("ranks_per_host", []))
    threads = np.atleast_1d(run.attrs.get("threads_per_host", []))
    parts = [f"{int(r)} ranks on {int(t)} hardware thread{'s' if int(t) != 1 else ''}"
             for r, t in zip(ranks, threads) if int(r) > int(t)]
    return "; ".join(parts) if parts else "some host runs more ranks than it has hardware threads"


def network_text(run: Run) -> str:
    """The network t_projected assumes: '1.25 GB/s per node, 2 µs per message (calibration)'."""
    bw, lat = run.attrs.get("network_bandwidth"), run.attrs.get("network_latency")
    if bw is None or lat is None:
        return "network not recorded"
    source = run.attrs.get("network_source") or "?"
    return f"{float(bw) / 1e9:.3g} GB/s per node, {float(lat) * 1e6:.3g} µs per message ({source})"


def _ratio(num: float, den: float) -> float:
    """num / den; 1 when both are 0; NaN (undefined, shown as -) when only den is 0: moves against a bound
    of none, e.g. a fail event whose keys_min is 0. Never an infinity, which no median or figure can carry."""
    if den > 0:
        return num / den
    return 1.0 if num == 0 else math.nan


def _settings(runs: list[Run]) -> list[str]:
    """A name per run ('' when all inputs are one setting): the experiment's name where the
    inputs hold several experiments, and the attributes that differ between runs of one experiment."""
    names = {str(r.attrs.get("experiment_name")) for r in runs}
    varying = [("experiment_name", "{}")] if len(names) > 1 else []
    for attr, fmt in SETTING_ATTRS[1:]:
        if any(len({str(r.attrs.get(attr)) for r in runs if str(r.attrs.get("experiment_name")) == name}) > 1
               for name in names):
            varying.append((attr, fmt))
    return [", ".join(f.format(r.attrs.get(a)) for a, f in varying) for r in runs]


def _event_text(group: pd.DataFrame) -> str:
    kinds = group.drop_duplicates(["kind", "nodes_before", "nodes_after"])
    if len(kinds) > 3:
        return f"{group.event.nunique()} events"
    return ", ".join(f"{k.kind} {k.nodes_before}→{k.nodes_after}" for k in kinds.itertuples())


@dataclasses.dataclass
class Comparison:
    samples: pd.DataFrame  # one row per (setting, label, size, file, repetition)
    table: pd.DataFrame  # one row per (setting, label, size): n, and each metric's median, _q1, _q3
    significance: pd.DataFrame  # one row per strategy pair per (setting, size)
    failures: pd.DataFrame  # one row per (setting, label, fail event): keys lost
    locks: pd.DataFrame | None  # one row per (setting, algorithm, workload, target, ranks, stripes, reads, options)
    events: pd.DataFrame  # all events of all runs, with setting, size, file
    size_source: dict[str, str]  # setting -> "nodes_after" or "nodes"
    alpha: float
    notes: list[str]
    networks: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # network t_projected assumes -> files
    oversubscribed: list[str] = dataclasses.field(default_factory=list)  # files with oversubscribed = 1

    def timing_note(self, setting: str | None = None) -> str:
        """OVERSUBSCRIBED when some file behind the setting (or behind any, for None) is oversubscribed."""
        ev = self.events if setting is None else self.events[self.events.setting == setting]
        return OVERSUBSCRIBED if bool(ev.oversubscribed.any()) else ""

    @property
    def settings(self) -> list[str]:
        return list(dict.fromkeys(self.table.setting))

    @property
    def has_failures(self) -> bool:
        return not self.failures.empty

    @property
    def has_events(self) -> bool:
        """False for a comparison of lock benchmark files only: every event table is empty."""
        return not self.events.empty

    @property
    def tested(self) -> bool:
        """Some pair of strategies had MIN_TEST_N samples each at some size, so significance was tested."""
        return not self.significance.empty

    @property
    def samples_per_row(self) -> tuple[int, int]:
        """The fewest and the most samples behind a row of the table ((0, 0) without events)."""
        if self.table.empty:
            return 0, 0
        return int(self.table.n.min()), int(self.table.n.max())


def _time_ratio(group: pd.DataFrame, num: str, den: str) -> float:
    """sum num / sum den over the sample's events; undefined (nan) when the bound sums to 0."""
    d = float(group[den].sum())
    return float(group[num].sum()) / d if d > 0 else math.nan


def _mean(col: pd.Series) -> float:
    """Mean over the events, ignoring NaN (a column a schema 2 or 3 file lacks is all NaN: nan)."""
    col = col.astype(float).dropna()
    return float(col.mean()) if len(col) else math.nan


def _median(col: pd.Series) -> float:
    col = col.astype(float).dropna()
    return float(col.median()) if len(col) else math.nan


def _max(col: pd.Series) -> float:
    col = col.astype(float).dropna()
    return float(col.max()) if len(col) else math.nan


def _bytes_fraction(group: pd.DataFrame) -> float:
    held = float(group.bytes_held.sum())
    return float(group.bytes_moved.sum()) / held if held > 0 else math.nan


def _samples_of(group: pd.DataFrame, run: Run, label: str, rep: int) -> dict:
    replicas = run.attrs.get("replicas", 1)
    records = float((group.keys_total * replicas).sum())
    moved = float(group.keys_moved.sum())
    lookup = run.strategy_attrs[label].get("lookup_ns")
    lookup = np.atleast_1d(lookup) if lookup is not None else np.array([])
    row = {
        "moved_fraction": moved / records if records else math.nan,
        "bytes_fraction": _bytes_fraction(group),
        "ideal_fraction": float(group.keys_ideal.sum()) / records if records else math.nan,
        "request_balance": _mean(group.request_balance),
        "request_balance_cv": _mean(group.request_balance_cv),
        "disruption": _ratio(moved, float(group.keys_min.sum())),
        "moved_over_ideal": _ratio(moved, float(group.keys_ideal.sum())),
        "load_peak_to_mean": float(group.load_peak_to_mean.mean()),
        "load_cv": float(group.load_cv.mean()),
        "random_peak_to_mean": _mean(group.random_peak_to_mean),
        "random_peak_to_mean_se": _mean(group.random_peak_to_mean_se),
        "load_chi2_p": _median(group.load_chi2_p),
        "primary_peak_to_mean": _mean(group.primary_peak_to_mean),
        "load_chi2": _mean(group.load_chi2),
        "few_keys": float((group.balance_few_keys.fillna(0) > 0).sum())
        if group.balance_few_keys.notna().any() else math.nan,
        "order_fraction_differ": _max(group.order_fraction_differ),
        "t_balance": _mean(group.t_balance),
        "t_order": _mean(group.t_order) if group.order_fraction_differ.notna().any() else math.nan,
        "exchange_over_floor": _time_ratio(group, "t_exchange", "t_exchange_floor_min"),
        "lookup_ns": float(lookup[rep]) if rep < lookup.size else math.nan,
        "state_bytes": float(group.state_bytes.mean()),
        "bytes_moved": float(group.bytes_moved.mean()),
        "bytes_exchanged": float(group.bytes_exchanged.mean()),
        "keys_lost": float(group.keys_lost.sum()),
        "keys_moved": moved,
        "events": len(group),
    }
    for key, (num, den) in BOUND_RATIOS.items():
        row[key] = _time_ratio(group, num, den)
    for phase in PHASES:
        row[phase] = float(group[phase].mean())
    row[MIGRATION] = float(group[MIGRATION].mean())
    row["t_projected"] = float(group.t_projected.mean())
    return row


TABLE_KEYS = ["setting", "label", "strategy", "size", "events", "n", "files"]
SAMPLE_KEYS = ["setting", "label", "strategy", "size", "file", "path", "repetition"]
SIGNIFICANCE_COLUMNS = ["setting", "size", "a", "b", "n_a", "n_b", "median_a", "median_b", "median_diff",
                        "hl_shift", "hl_low", "hl_high", "hl_level", "U", "p", "method", "min_p", "pairs",
                        "p_holm", "significant"]
# comparison.csv's columns from the tests, present only when some pair was tested.
TEST_COLUMNS = ["reference", "shift_vs_reference", "shift_low", "shift_high", "p_holm_vs_reference",
                "not_significant_vs"]
FAILURE_COLUMNS = ["setting", "label", "size", "event", "detail", "replicas", "nodes_before", "nodes_after", "n",
                   "keys_lost", "keys_lost_q1", "keys_lost_q3", "lost_fraction", "lost_fraction_q1",
                   "lost_fraction_q3", "keys_moved", "records_moved", "replicas_created", "bytes_rereplicated",
                   "bytes_moved"]


def _event_frame(run: Run, i: int, setting: str) -> pd.DataFrame:
    ev = run.events.copy()
    ev.insert(0, "file", i)
    ev.insert(0, "setting", setting)
    ev["path"] = str(run.path)
    ev["experiment"] = str(run.attrs.get("experiment_name", run.path.stem))
    ev["nodes_attr"] = int(run.attrs.get("nodes", 0))
    ev["oversubscribed"] = oversubscribed(run)
    ev["mapping"] = str(run.attrs.get("mapping", "?"))
    # The reader's per-event ratios are infinite where only the bound is 0; here they are undefined (NaN),
    # so that no median, mean or figure meets inf - inf (_undefined_notes names them).
    for col in ("disruption", "moved_over_ideal"):
        if col in ev:
            ev[col] = ev[col].astype(float).replace([np.inf, -np.inf], np.nan)
    return ev


def _has_locks(run: Run) -> bool:
    return run.locks is not None and not run.locks.empty


def compare(runs: list[Run], alpha: float = ALPHA) -> Comparison:
    notes: list[str] = []
    with_events = [i for i, r in enumerate(runs) if not r.events.empty]
    # Settings from the files that hold events; lock files are told apart by their own settings (_locks).
    settings = dict(zip(with_events, _settings([runs[i] for i in with_events])))
    frames = []
    for i, run in enumerate(runs):
        if run.events.empty:
            if _has_locks(run):
                notes.append(f"{run.path}: no placement events; its lock benchmark (/locks/results, "
                             f"{len(run.locks)} rows) is in the lock table")
            else:
                notes.append(f"{run.path}: no events recorded and no lock results; left out")
            continue
        if run.attrs.get("partial", 0):
            absent = [label for label in run.strategies if label not in set(run.events.label)]
            notes.append(f"{run.path}: a partial file (partial = 1: the run was stopped early or is still running); "
                         "only its finished events are included"
                         + (f"; strategies without rows yet: {', '.join(absent)}" if absent else ""))
        if oversubscribed(run):
            notes.append(f"{run.path}: {OVERSUBSCRIBED} ({oversubscription_text(run)}); its timing figures are "
                         "marked")
        frames.append(_event_frame(run, i, settings[i]))
    locks = _locks(runs)
    if not frames and locks is None:
        raise ValueError("no events and no lock results (/locks/results) in any input file")
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["setting", "file", "label", "strategy", "repetition", "event", "kind", "detail", "nodes_before",
                 "nodes_after", "path", "experiment", "nodes_attr", "oversubscribed", "mapping", "size"])
    size_source = {}
    for setting, ev in events.groupby("setting", sort=False):
        size_source[setting] = "nodes" if ev.nodes_attr.nunique() > 1 else "nodes_after"
    if frames:
        events["size"] = [row.nodes_attr if size_source[row.setting] == "nodes" else row.nodes_after
                          for row in events[["setting", "nodes_attr", "nodes_after"]].itertuples()]

    rows = []
    keys = ["setting", "label", "size", "file", "repetition"]
    for (setting, label, size, file, rep), group in events.groupby(keys, sort=False):
        row = {"setting": setting, "label": label, "strategy": group.strategy.iloc[0], "size": int(size),
               "file": file, "path": group.path.iloc[0], "repetition": int(rep)}
        row.update(_samples_of(group, runs[file], label, int(rep)))
        rows.append(row)
    samples = pd.DataFrame(rows, columns=None if rows else SAMPLE_KEYS + [m.key for m in METRICS])

    table_rows = []
    for (setting, label, size), group in samples.groupby(["setting", "label", "size"], sort=False):
        evs = events[(events.setting == setting) & (events.label == label) & (events["size"] == size)]
        row = {"setting": setting, "label": label, "strategy": group.strategy.iloc[0], "size": int(size),
               "events": _event_text(evs), "n": len(group), "files": group.file.nunique()}
        for m in METRICS:
            s = summarize(group[m.key].tolist())
            row[m.key], row[m.key + "_q1"], row[m.key + "_q3"] = s.median, s.q1, s.q3
        table_rows.append(row)
    table = pd.DataFrame(table_rows, columns=None if table_rows else TABLE_KEYS + [
        k for m in METRICS for k in (m.key, m.key + "_q1", m.key + "_q3")])
    # Rows in the experiment's strategy order (first appearance), then by size.
    order = {label: i for i, label in enumerate(dict.fromkeys(events.label))}
    setting_order = {s: i for i, s in enumerate(dict.fromkeys(events.setting))}
    table = table.sort_values(by=["setting", "label", "size"],
                              key=lambda c: c.map(setting_order) if c.name == "setting"
                              else c.map(order) if c.name == "label" else c,
                              kind="stable").reset_index(drop=True)

    significance = _significance(samples, alpha)
    if not significance.empty:
        for col, values in zip(TEST_COLUMNS, zip(*(_test_cells(significance, samples, r) for r in table.itertuples()))):
            table[col] = list(values)
        # When even the most extreme samples could not reach significance after Holm's correction, "not
        # significantly different" would read as "the same": name nobody, and the notes say why.
        if min(1.0, float(significance.min_p.min()) * len(significance)) >= alpha:
            table["not_significant_vs"] = ""
            table["test_powerless"] = True
        else:
            table["test_powerless"] = False
    failures = _failures(events, runs)
    notes += _bound_notes(table)
    notes += _balance_notes(table, events)
    notes += _bytes_notes(table)
    notes += _undefined_notes(table, samples)
    notes += _test_notes(table, significance, alpha)
    used = sorted(set(events.file))
    networks: dict[str, list[str]] = {}
    for i in used:
        networks.setdefault(network_text(runs[i]), []).append(str(runs[i].path))
    over = [str(runs[i].path) for i in used if oversubscribed(runs[i])]
    return Comparison(samples, table, significance, failures, locks, events, size_source, alpha, notes,
                      networks, over)


def _rows_text(table: pd.DataFrame, mask) -> str:
    rows = table[mask]
    multi = table.setting.nunique() > 1
    return ", ".join(f"{r.label} at {r.size}" + (f" ({r.setting})" if multi else "") for r in rows.itertuples())


def _bound_notes(table: pd.DataFrame) -> list[str]:
    """Where a phase came out faster than its micro-benchmark bound, and where the file contradicts its
    own construction (an exchange faster than its floor)."""
    notes = []
    for key in BOUND_RATIOS:
        below = table[key] < 1
        if below.any():
            notes.append(f"{METRIC[key].title} below 1 for {_rows_text(table, below)}: {BOUND_NOTE}")
    below = table.exchange_over_floor < 1
    if below.any():
        notes.append(f"exchange / floor below 1 for {_rows_text(table, below)}: the file contradicts its schema "
                     "(t_exchange_floor_min includes the timed exchange, so the ratio is >= 1 by construction)")
    return notes


def _balance_notes(table: pd.DataFrame, events: pd.DataFrame) -> list[str]:
    """Rows whose balance figures rest on too few keys, and strategies for which the removal-order metric
    was asked for but does not apply."""
    notes = []
    few = table.few_keys > 0
    if few.any():
        notes.append(f"fewer than 100 keys per active node for {_rows_text(table, few)}: the chi-square and the "
                     "random peak/mean mean little there")
    if "order_keys_differ" in events and events.order_fraction_differ.notna().any():
        na = [label for label, ev in events.groupby("label", sort=False) if ev.order_fraction_differ.isna().all()]
        if na:
            notes.append(f"removal order: not applicable to {', '.join(na)} (they remove only their last added node)")
    return notes


SAME_SHARE = 1e-9  # relative difference below which two moved fractions are one (ties, rounding)


def fewest(values: dict[str, float]) -> list[str]:
    """The labels with the smallest finite value (several on a tie), in the dict's order."""
    finite = {k: v for k, v in values.items() if v == v and not math.isinf(v)}
    if not finite:
        return []
    low = min(finite.values())
    return [k for k, v in finite.items() if v <= low + SAME_SHARE * max(abs(low), 1e-300)]


def sizes_vary(frame: pd.DataFrame, keys: str = "moved_fraction", data: str = "bytes_fraction") -> bool:
    """Some row's bytes moved fraction differs from its moved fraction: records are not all of one size."""
    both = frame[[keys, data]].astype(float).dropna()
    return bool((abs(both[data] - both[keys]) > SAME_SHARE * both[keys].abs().clip(lower=1e-12)).any())


def _bytes_notes(table: pd.DataFrame) -> list[str]:
    """Where the strategy that moves the fewest records is not the one that moves the fewest bytes (values of
    per-key sizes: a strategy can move fewer but larger records)."""
    if table.empty or not sizes_vary(table):
        return []
    where = []
    multi = table.setting.nunique() > 1
    for (setting, size), g in table.groupby(["setting", "size"], sort=False):
        by_keys = fewest(dict(zip(g.label, g.moved_fraction)))
        by_bytes = fewest(dict(zip(g.label, g.bytes_fraction)))
        if by_keys and by_bytes and not set(by_keys) & set(by_bytes):
            where.append(f"at {size}" + (f" ({setting})" if multi else "") + f": {', '.join(by_keys)} "
                         f"moves the fewest records, {', '.join(by_bytes)} the fewest bytes")
    if not where:
        return []
    return ["fewest records moved is not fewest bytes moved " + "; ".join(where)
            + " (medians; bytes_vs_keys_moved.png shows every event)"]


def _significance(samples: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Every pair of strategies at one (setting, size) with at least MIN_TEST_N finite moved fractions each:
    the Mann-Whitney U test, the Hodges-Lehmann shift a - b with its 95 % interval, and the p-value adjusted
    by Holm's method over all the pairs tested here (the family is the whole comparison)."""
    rows = []
    for (setting, size), group in samples.groupby(["setting", "size"], sort=False):
        labels = list(dict.fromkeys(group.label))
        for a, b in itertools.combinations(labels, 2):
            x = group[group.label == a].moved_fraction.astype(float).to_numpy()
            y = group[group.label == b].moved_fraction.astype(float).to_numpy()
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            if x.size < MIN_TEST_N or y.size < MIN_TEST_N:
                continue
            t = mann_whitney_u(x, y)
            shift = hodges_lehmann(x, y)
            rows.append({"setting": setting, "size": int(size), "a": a, "b": b, "n_a": t.n1, "n_b": t.n2,
                         "median_a": float(np.median(x)), "median_b": float(np.median(y)),
                         "median_diff": float(np.median(x) - np.median(y)), "hl_shift": shift.estimate,
                         "hl_low": shift.low, "hl_high": shift.high, "hl_level": shift.level,
                         "U": t.u, "p": t.p, "method": t.method, "min_p": smallest_p(t.n1, t.n2)})
    sig = pd.DataFrame(rows, columns=SIGNIFICANCE_COLUMNS)
    sig["pairs"] = len(sig)
    sig["p_holm"] = holm(sig.p.to_numpy(dtype=float))
    sig["significant"] = sig.p_holm < alpha
    return sig[SIGNIFICANCE_COLUMNS]


def _test_cells(sig: pd.DataFrame, samples: pd.DataFrame, row) -> tuple:
    """The row's TEST_COLUMNS: the strategy with the fewest moves at its size (the reference, the lowest
    median moved fraction among the tested), the shift of this row's moved fraction over it with the
    interval and the adjusted p, and the strategies it does not differ from significantly."""
    here = sig[(sig.setting == row.setting) & (sig["size"] == row.size)]
    if row.label not in set(here.a) | set(here.b):
        return "", math.nan, math.nan, math.nan, math.nan, ""
    medians = {**dict(zip(here.a, here.median_a)), **dict(zip(here.b, here.median_b))}
    reference = min(medians, key=lambda label: (medians[label], label))
    partners = [r.b if r.a == row.label else r.a for r in here.itertuples()
                if row.label in (r.a, r.b) and not r.significant]
    if reference == row.label:
        return reference, math.nan, math.nan, math.nan, math.nan, " ".join(partners)
    pair = here[((here.a == row.label) & (here.b == reference)) | ((here.a == reference) & (here.b == row.label))].iloc[0]
    if pair["a"] == row.label:
        shift, low, high = pair["hl_shift"], pair["hl_low"], pair["hl_high"]
    else:  # the pair is (reference, row): the shift of row over reference is its negative
        shift, low, high = -pair["hl_shift"], -pair["hl_high"], -pair["hl_low"]
    return reference, float(shift), float(low), float(high), float(pair["p_holm"]), " ".join(partners)


def needed_samples(pairs: int, alpha: float) -> int:
    """The fewest samples per strategy with which a pair, among `pairs` pairs adjusted by Holm, can reach
    significance: the smallest n with pairs x 2 / C(2n, n) < alpha (complete separation, exact test)."""
    n = MIN_TEST_N
    while pairs * smallest_p(n, n) >= alpha:
        n += 1
    return n


def _test_notes(table: pd.DataFrame, sig: pd.DataFrame, alpha: float) -> list[str]:
    """Why there is no test, where it could not run, and when no pair could reach significance at all."""
    if table.empty:
        return []
    if sig.empty:  # said once, by tables.significance_notes
        return []
    notes = []
    if (table.n < MIN_TEST_N).any():
        notes.append(f"{NO_TEST} for {_rows_text(table, table.n < MIN_TEST_N)}")
    best = min(1.0, float(sig.min_p.min()) * len(sig))  # Holm's first step at the smallest attainable p
    if best >= alpha:
        n = int(min(sig.n_a.min(), sig.n_b.min()))
        notes.append(f"with {n} samples per strategy and {len(sig)} pairs tested, the smallest Holm-adjusted p "
                     f"possible is {best:.3g} >= alpha = {alpha}: no difference can be significant; "
                     f"{needed_samples(len(sig), alpha)} repetitions per strategy would allow it")
    return notes


def _undefined_notes(table: pd.DataFrame, samples: pd.DataFrame) -> list[str]:
    """Ratios with a zero bound and moves above it (disruption with keys_min = 0, moved / fair share with
    keys_ideal = 0): undefined, shown as - (NaN in the CSV), not averaged in as infinities."""
    notes = []
    for key, bound in (("disruption", "keys_min"), ("moved_over_ideal", "keys_ideal")):
        if samples.empty or key not in samples:
            continue
        bad = samples[samples[key].isna() & (samples.keys_moved > 0)]
        if bad.empty:
            continue
        where = ", ".join(dict.fromkeys(f"{r.label} at {r.size}" + (f" ({r.setting})" if r.setting else "")
                                         for r in bad.itertuples()))
        notes.append(f"{METRIC[key].title} undefined for {len(bad)} sample(s) ({where}): records moved while "
                     f"{bound} is 0 (e.g. replicas re-created after a failure whose survivors need no other move); "
                     "shown as -, left out of the medians")
    return notes


def _failures(events: pd.DataFrame, runs: list[Run]) -> pd.DataFrame:
    """One row per fail event of a strategy at one cluster size and setting (never pooled across sizes):
    keys lost, and the records the event moved, split into moves (owner changed) and re-created replicas:
    keys_moved = records_moved + replicas_created, which is also the sum of the event's node_traffic."""
    fails = events[events.kind == "fail"] if not events.empty else events
    rows = []
    keys = ["setting", "label", "size", "event", "detail", "nodes_before", "nodes_after"]
    for (setting, label, size, event, detail, before_n, after_n), group in fails.groupby(keys, sort=False):
        # Records before the event are keys_total x replicas; the keys alive before it are the
        # previous row's keys_total, which the lost keys plus those after the event add up to.
        before = (group.keys_total + group.keys_lost).astype(float)
        lost = summarize(group.keys_lost.astype(float).tolist())
        frac = summarize((group.keys_lost / before).tolist())
        med = {col: float(group[col].astype(float).median())
               for col in ("keys_moved", "replicas_created", "bytes_rereplicated", "bytes_moved")}
        rows.append({"setting": setting, "label": label, "size": int(size), "event": int(event), "detail": detail,
                     "replicas": int(runs[group.file.iloc[0]].attrs.get("replicas", 1)),
                     "nodes_before": int(before_n), "nodes_after": int(after_n),
                     "n": lost.n, "keys_lost": lost.median, "keys_lost_q1": lost.q1, "keys_lost_q3": lost.q3,
                     "lost_fraction": frac.median, "lost_fraction_q1": frac.q1, "lost_fraction_q3": frac.q3,
                     "keys_moved": med["keys_moved"],
                     "records_moved": float((group.keys_moved - group.replicas_created).astype(float).median()),
                     "replicas_created": med["replicas_created"], "bytes_rereplicated": med["bytes_rereplicated"],
                     "bytes_moved": med["bytes_moved"]})
    return pd.DataFrame(rows, columns=FAILURE_COLUMNS)


LOCK_FIELDS = ["acquisitions_per_second", "latency_p50_us", "latency_p90_us", "latency_p99_us", "latency_max_us",
               "fairness", "fairness_cv"]
LOCK_KEYS = ["setting", "algorithm", "workload", "target", "ranks", "stripes", "reads", "ranks_per_host",
             "cohort_handoffs"]


def _locks(runs: list[Run]) -> pd.DataFrame | None:
    """One row per lock configuration and setting (the lock files' experiment, and what differs between
    them), median and quartiles over the files and rows that repeat it."""
    with_locks = [r for r in runs if _has_locks(r)]
    if not with_locks:
        return None
    frames = []
    for run, setting in zip(with_locks, _settings(with_locks)):
        lk = complete_locks(run.locks, oversubscribed(run))
        lk.insert(0, "setting", setting)
        frames.append(lk)
    locks = pd.concat(frames, ignore_index=True)
    rows = []
    for key, group in locks.groupby(LOCK_KEYS, sort=False):
        row = dict(zip(LOCK_KEYS, key))
        row["n"] = len(group)
        # A configuration is oversubscribed if any of its rows was; its counters are right if all were.
        row["oversubscribed"] = bool(group["oversubscribed"].any())
        row["counters_ok"] = bool(group["counters_ok"].all())
        row["read_share"] = float(group["read_acquisitions"].sum()) / max(float(group["acquisitions"].sum()), 1.0)
        for field in LOCK_FIELDS:
            s = summarize(group[field].astype(float).tolist())
            row[field], row[field + "_q1"], row[field + "_q3"] = s.median, s.q1, s.q3
        rows.append(row)
    # Rows in the files' order of settings, workloads and algorithms (the experiment's), then by read
    # fraction and ranks.
    out = pd.DataFrame(rows)
    order = {col: {v: i for i, v in enumerate(dict.fromkeys(out[col]))} for col in ("setting", "workload", "algorithm")}
    return out.sort_values(["setting", "workload", "algorithm", "reads", "ranks", "stripes"], kind="stable",
                           ignore_index=True,
                           key=lambda c: c.map(order[c.name]) if c.name in order else c)
