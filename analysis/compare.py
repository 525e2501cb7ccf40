"""The comparison of strategies across result files: samples, medians, tests.

A *sample* is one repetition of one strategy in one file, restricted to the
events of one cluster size. Files of the same setting (same experiment, and the
same keys, ranks, replicas... where those vary between the inputs) are merged:
their repetitions are further samples. Rows of the comparison are
(setting, strategy, cluster size); every figure in a row is the median over its
samples, with the quartiles beside it.

Cluster size is the number of active nodes after each event, unless the files
of a setting differ in their `nodes` attribute (a sweep over cluster sizes):
then it is that attribute, and a sample covers all of the file's events.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd

from .reader import Run
from .stats import mann_whitney_u, smallest_p, summarize

ALPHA = 0.05
PHASES = ["t_plan", "t_pack", "t_exchange", "t_apply"]

# Root attributes that split the inputs into settings when they differ between files.
SETTING_ATTRS = [
    ("experiment_name", "{}"),
    ("keys_count", "{} keys"),
    ("value_bytes", "{} B values"),
    ("key_distribution", "{}"),
    ("replicas", "replicas {}"),
    ("ranks", "{} ranks"),
]


@dataclasses.dataclass(frozen=True)
class Metric:
    key: str
    title: str  # column heading
    fmt: str  # how a value prints: "frac", "ratio", "ms", "ns", "bytes", "count"
    doc: str  # how a sample's value is computed


METRICS = [
    Metric("moved_fraction", "moved fraction", "frac", "sum keys_moved / sum (keys_total x replicas) over the events"),
    Metric("optimal_fraction", "optimal fraction", "frac", "sum keys_optimal / sum (keys_total x replicas)"),
    Metric("disruption", "disruption", "ratio", "sum keys_moved / sum keys_optimal (1 is minimal)"),
    Metric("load_peak_to_mean", "peak/mean load", "ratio", "load_peak_to_mean, mean over the events"),
    Metric("load_cv", "load CV", "ratio", "load_cv, mean over the events"),
    Metric("t_plan", "plan ms", "ms", "t_plan per event (mean), max over ranks"),
    Metric("t_pack", "pack ms", "ms", "t_pack per event (mean)"),
    Metric("t_exchange", "exchange ms", "ms", "t_exchange per event (mean)"),
    Metric("t_apply", "apply ms", "ms", "t_apply per event (mean)"),
    Metric("t_migration", "migration ms", "ms", "t_plan + t_pack + t_exchange + t_apply per event (mean)"),
    Metric("exchange_over_lb", "exchange / lower bound", "ratio", "sum t_exchange / sum t_lower_bound"),
    Metric("lookup_ns", "lookup ns", "ns", "lookup_ns of the repetition (strategy attribute)"),
    Metric("state_bytes", "state bytes", "bytes", "state_bytes after the event (mean)"),
    Metric("keys_lost", "keys lost", "count", "sum keys_lost over the fail events"),
]
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
    return f"{x:.3g}" if fmt == "ns" else f"{x:.3f}"


def fmt_summary(med: float, q1: float, q3: float, n: int, fmt: str) -> str:
    """"median" for one sample, "median (q1-q3)" for more."""
    text = fmt_value(med, fmt)
    if n > 1 and text not in ("-", "inf"):
        lo, hi = fmt_value(q1, fmt), fmt_value(q3, fmt)
        if lo != hi:  # quartiles equal at this precision: the median says it all
            text += f" ({lo}–{hi})"
    return text


def _ratio(num: float, den: float) -> float:
    if den > 0:
        return num / den
    return 1.0 if num == 0 else math.inf


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
    locks: pd.DataFrame | None  # one row per (algorithm, workload, ranks, stripes)
    events: pd.DataFrame  # all events of all runs, with setting, size, file
    size_source: dict[str, str]  # setting -> "nodes_after" or "nodes"
    alpha: float
    notes: list[str]

    @property
    def settings(self) -> list[str]:
        return list(dict.fromkeys(self.table.setting))

    @property
    def has_failures(self) -> bool:
        return not self.failures.empty


def _samples_of(group: pd.DataFrame, run: Run, label: str, rep: int) -> dict:
    replicas = run.attrs.get("replicas", 1)
    records = float((group.keys_total * replicas).sum())
    moved = float(group.keys_moved.sum())
    optimal = float(group.keys_optimal.sum())
    lookup = run.strategy_attrs[label].get("lookup_ns")
    lookup = np.atleast_1d(lookup) if lookup is not None else np.array([])
    row = {
        "moved_fraction": moved / records if records else math.nan,
        "optimal_fraction": optimal / records if records else math.nan,
        "disruption": _ratio(moved, optimal),
        "load_peak_to_mean": float(group.load_peak_to_mean.mean()),
        "load_cv": float(group.load_cv.mean()),
        "exchange_over_lb": (float(group.t_exchange.sum()) / float(group.t_lower_bound.sum())
                             if group.t_lower_bound.sum() > 0 else math.nan),
        "lookup_ns": float(lookup[rep]) if rep < lookup.size else math.nan,
        "state_bytes": float(group.state_bytes.mean()),
        "keys_lost": float(group.keys_lost.sum()),
        "keys_moved": moved,
        "events": len(group),
    }
    for phase in PHASES:
        row[phase] = float(group[phase].mean())
    row["t_migration"] = float(group[PHASES].sum(axis=1).mean())
    return row


def compare(runs: list[Run], alpha: float = ALPHA) -> Comparison:
    notes: list[str] = []
    settings = _settings(runs)
    frames = []
    for i, (run, setting) in enumerate(zip(runs, settings)):
        if run.events.empty:
            notes.append(f"{run.path}: no events recorded; left out")
            continue
        if run.attrs.get("partial", 0):
            notes.append(f"{run.path}: a partial run (stopped early); only its completed events are included")
        ev = run.events.copy()
        ev.insert(0, "file", i)
        ev.insert(0, "setting", setting)
        ev["path"] = str(run.path)
        ev["experiment"] = str(run.attrs.get("experiment_name", run.path.stem))
        ev["nodes_attr"] = int(run.attrs.get("nodes", 0))
        frames.append(ev)
    if not frames:
        raise ValueError("no events in any input file")
    events = pd.concat(frames, ignore_index=True)
    size_source = {}
    for setting, ev in events.groupby("setting", sort=False):
        size_source[setting] = "nodes" if ev.nodes_attr.nunique() > 1 else "nodes_after"
    events["size"] = [row.nodes_attr if size_source[row.setting] == "nodes" else row.nodes_after
                      for row in events[["setting", "nodes_attr", "nodes_after"]].itertuples()]

    rows = []
    keys = ["setting", "label", "size", "file", "repetition"]
    for (setting, label, size, file, rep), group in events.groupby(keys, sort=False):
        row = {"setting": setting, "label": label, "strategy": group.strategy.iloc[0], "size": int(size),
               "file": file, "path": group.path.iloc[0], "repetition": int(rep)}
        row.update(_samples_of(group, runs[file], label, int(rep)))
        rows.append(row)
    samples = pd.DataFrame(rows)

    table_rows = []
    for (setting, label, size), group in samples.groupby(["setting", "label", "size"], sort=False):
        evs = events[(events.setting == setting) & (events.label == label) & (events["size"] == size)]
        row = {"setting": setting, "label": label, "strategy": group.strategy.iloc[0], "size": int(size),
               "events": _event_text(evs), "n": len(group), "files": group.file.nunique()}
        for m in METRICS:
            s = summarize(group[m.key].tolist())
            row[m.key], row[m.key + "_q1"], row[m.key + "_q3"] = s.median, s.q1, s.q3
        table_rows.append(row)
    table = pd.DataFrame(table_rows)
    # Rows in the experiment's strategy order (first appearance), then by size.
    order = {label: i for i, label in enumerate(dict.fromkeys(events.label))}
    setting_order = {s: i for i, s in enumerate(dict.fromkeys(events.setting))}
    table = table.sort_values(by=["setting", "label", "size"],
                              key=lambda c: c.map(setting_order) if c.name == "setting"
                              else c.map(order) if c.name == "label" else c,
                              kind="stable").reset_index(drop=True)

    significance = _significance(samples, alpha)
    table["not_significant_vs"] = [
        " ".join(_ns_partners(significance, r.setting, r.size, r.label)) for r in table.itertuples()]
    failures = _failures(events, runs)
    locks = _locks(runs)
    return Comparison(samples, table, significance, failures, locks, events, size_source, alpha, notes)


def _significance(samples: pd.DataFrame, alpha: float) -> pd.DataFrame:
    rows = []
    for (setting, size), group in samples.groupby(["setting", "size"], sort=False):
        labels = list(dict.fromkeys(group.label))
        for a, b in itertools.combinations(labels, 2):
            x = group[group.label == a].moved_fraction.dropna().to_numpy()
            y = group[group.label == b].moved_fraction.dropna().to_numpy()
            if x.size == 0 or y.size == 0:
                continue
            t = mann_whitney_u(x, y)
            rows.append({"setting": setting, "size": int(size), "a": a, "b": b, "n_a": t.n1, "n_b": t.n2,
                         "median_a": float(np.median(x)), "median_b": float(np.median(y)),
                         "U": t.u, "p": t.p, "method": t.method,
                         "min_p": smallest_p(t.n1, t.n2), "significant": t.p < alpha})
    cols = ["setting", "size", "a", "b", "n_a", "n_b", "median_a", "median_b", "U", "p", "method", "min_p",
            "significant"]
    return pd.DataFrame(rows, columns=cols)


def _ns_partners(sig: pd.DataFrame, setting: str, size: int, label: str) -> list[str]:
    s = sig[(sig.setting == setting) & (sig["size"] == size) & ~sig.significant]
    return [r.b if r.a == label else r.a for r in s.itertuples() if label in (r.a, r.b)]


def _failures(events: pd.DataFrame, runs: list[Run]) -> pd.DataFrame:
    fails = events[events.kind == "fail"]
    rows = []
    for (setting, label, event), group in fails.groupby(["setting", "label", "event"], sort=False):
        # Records before the event are keys_total x replicas; the keys alive before it are the
        # previous row's keys_total, which the lost keys plus those after the event add up to.
        before = (group.keys_total + group.keys_lost).astype(float)
        lost = summarize(group.keys_lost.astype(float).tolist())
        frac = summarize((group.keys_lost / before).tolist())
        rows.append({"setting": setting, "label": label, "event": int(event), "detail": group.detail.iloc[0],
                     "replicas": int(runs[group.file.iloc[0]].attrs.get("replicas", 1)),
                     "nodes_before": int(group.nodes_before.iloc[0]), "nodes_after": int(group.nodes_after.iloc[0]),
                     "n": lost.n, "keys_lost": lost.median, "keys_lost_q1": lost.q1, "keys_lost_q3": lost.q3,
                     "lost_fraction": frac.median, "lost_fraction_q1": frac.q1, "lost_fraction_q3": frac.q3,
                     "replicas_created": float(group.replicas_created.median())})
    return pd.DataFrame(rows)


LOCK_FIELDS = ["acquisitions_per_second", "latency_p50_us", "latency_p99_us", "latency_max_us", "fairness"]


def _locks(runs: list[Run]) -> pd.DataFrame | None:
    frames = [r.locks for r in runs if r.locks is not None and not r.locks.empty]
    if not frames:
        return None
    locks = pd.concat(frames, ignore_index=True)
    rows = []
    keys = ["algorithm", "workload", "ranks", "stripes"]
    for key, group in locks.groupby(keys, sort=False):
        row = dict(zip(keys, key))
        row["n"] = len(group)
        for field in LOCK_FIELDS:
            s = summarize(group[field].astype(float).tolist())
            row[field], row[field + "_q1"], row[field + "_q3"] = s.median, s.q1, s.q3
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["workload", "algorithm", "ranks", "stripes"], kind="stable",
                                          ignore_index=True)
