"""Figures of a comparison, one PNG each (matplotlib, Agg backend: no display needed).

Each figure answers one question of an experiment. A `draw_*` function builds it and returns a `Drawn`:
the matplotlib Figure (None when the inputs hold nothing to draw, with the reason in `note`), the file
name and a caption (what the figure shows and which question it answers). `save()` writes the PNG with
the caption in its metadata (key "Description"; `caption_of(path)` reads it back, and report.html prints
it under the figure) and, for timing figures of oversubscribed inputs, the warning (key "Warning",
also drawn in red under the title).

Conventions: points of different event kinds are never joined by a line (one panel per event kind);
error bars are interquartile ranges over the samples (repetitions, and files of one setting) and appear
only when a point has more than one sample; legends sit beside the panels; y starts at zero unless the
axis label says otherwise (log scales say so).

`all_figures(c, runs, out, event=None)` draws every figure that applies; the migration matrix shows the
event index `event` (default: the RINGSIM_EVENT environment variable, else the first event).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import textwrap
import tomllib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter  # noqa: E402

from .compare import MIGRATION, OVERSUBSCRIBED, PHASES, Comparison, oversubscribed  # noqa: E402
from .reader import Run  # noqa: E402
from .stats import histogram_percentile, summarize  # noqa: E402

DPI = 110
MAX_PANELS = 18
MATRIX_CELLS = 128  # a migration matrix of more nodes is drawn in blocks of consecutive node ids
PHASE_NAMES = {"t_plan": "plan", "t_counts": "counts", "t_pack": "pack", "t_exchange": "exchange",
               "t_apply": "apply"}
MIGRATION_NAME = "migration: critical path (t_migrate)"
EVENT_ENV = "RINGSIM_EVENT"
TIMELINE_EVENTS = 6  # a timeline figure for settings with at least this many events, of more than one kind


@dataclasses.dataclass
class Drawn:
    name: str  # file name of the PNG
    fig: object | None  # matplotlib Figure, None when there is nothing to draw
    caption: str = ""
    note: str | None = None  # why nothing was drawn, or what was left out
    warning: str = ""  # drawn under the title and stored in the PNG


# ---------------------------------------------------------------- helpers

# Distinct colours for up to 16 strategies (tab10, then six more that differ from it in hue or lightness).
PALETTE = list(plt.get_cmap("tab10").colors) + ["#000000", "#b5a000", "#6b3fa0", "#00a0a0", "#a05000", "#5a7a00"]
MARKERS = "osD^vP*Xhp<>dH8" + "o"  # a marker per strategy too: the figures stay readable in grey


def _colors(labels):
    return {label: PALETTE[i % len(PALETTE)] for i, label in enumerate(labels)}


def _markers(labels):
    return {label: MARKERS[i % len(MARKERS)] for i, label in enumerate(labels)}


def _figure(n: int, width: float = 6.0, height: float = 4.2, cols: int | None = None):
    """n panels in a grid, constrained layout (titles, labels and the legends beside the panels are kept
    inside the canvas)."""
    if cols is None:
        cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols + 2.2, height * rows + 0.9), squeeze=False,
                             layout="constrained")
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def _title(fig, title: str, warning: str = ""):
    """The figure's title; with a warning, a second line is kept free for it (drawn by save())."""
    width = int(fig.get_figwidth() * 10.5)  # characters that fit at 12 pt
    fig.suptitle(textwrap.fill(title, width) + ("\n " if warning else ""), fontsize=12)


def _legend(ax, handles=None, labels=None, **kw):
    """Legend beside the panel (upper left corner just right of the axes), never on the data."""
    if handles is not None:
        kw["handles"] = handles
    if labels is not None:
        kw["labels"] = labels
    return ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kw)


def _legend_right(fig, axes, handles=None, labels=None, **kw):
    """One legend for the figure, beside the top panel of the right-most column."""
    right = max(ax.get_position().x1 for ax in axes)
    top = [ax for ax in axes if abs(ax.get_position().x1 - right) < 1e-6]
    return _legend(top[0] if top else axes[-1], handles, labels, **kw)


def _median_iqr(values) -> tuple[float, float, float, int]:
    v = [float(x) for x in values if x is not None and np.isfinite(x)]
    if not v:
        return math.nan, math.nan, math.nan, 0
    s = summarize(v)
    return s.median, s.q1, s.q3, s.n


def _errorbar(ax, x, med, q1, q3, n, **kw):
    """Points with IQR bars where a point has more than one sample."""
    x, med, q1, q3, n = map(np.asarray, (x, med, q1, q3, n))
    err = np.vstack([med - q1, q3 - med]) if (n > 1).any() else None
    if err is not None:
        err = np.where(n > 1, err, 0.0)
    return ax.errorbar(x, med, yerr=err, capsize=3 if err is not None else 0, markersize=5, **kw)


def _dodge(i: int, count: int, width: float = 0.6) -> float:
    """Horizontal offset of series i of count, so equal values sit side by side, not on top of each other."""
    return 0.0 if count <= 1 else (i - (count - 1) / 2) * width / count


def _spread_text(n_max: int) -> str:
    return ("median over the samples (repetitions and files of one setting), bars from the first to the third "
            "quartile" if n_max > 1 else "one sample per point (one repetition): no spread to show")


@functools.lru_cache(maxsize=256)
def _file_attrs(path: str) -> dict:
    """replicas and the experiment text of a result file, read again from the file (the comparison keeps
    only its events)."""
    import h5py
    with h5py.File(path, "r") as f:
        text = f["experiment_text"][()] if "experiment_text" in f else f.attrs.get("experiment_text", b"")
        return {"replicas": int(f.attrs.get("replicas", 1)),
                "experiment_text": text.decode() if isinstance(text, bytes) else str(text)}


def _replicas(path: str) -> int:
    try:
        return _file_attrs(path)["replicas"]
    except Exception:  # noqa: BLE001  (a file that cannot be reopened: count primaries)
        return 1


def _setting_name(c: Comparison, setting: str) -> str:
    return setting or ", ".join(dict.fromkeys(c.events[c.events.setting == setting].experiment))


def _records_label(c: Comparison, settings) -> str:
    reps = sorted({_replicas(p) for p in c.events[c.events.setting.isin(settings)].path.unique()})
    if reps == [1]:
        return "records = keys (r = 1)"
    return "records = keys × r copies (r = " + ", ".join(map(str, reps)) + ")"


def _per_event(c: Comparison) -> pd.DataFrame:
    """c.events with each event's records (keys_total × replicas) and the sample it belongs to."""
    e = c.events.copy()
    e["replicas"] = [_replicas(p) for p in e.path]
    e["records"] = e.keys_total.astype(float) * e.replicas
    return e


def _size_name(c: Comparison, setting: str) -> str:
    if c.size_source.get(setting) == "nodes":
        return "cluster size (ring nodes in the run)"
    return "cluster size (active nodes after the event)"


def _kind_panels(c: Comparison, metric_fn) -> list[dict]:
    """One panel per (setting, event kind): per strategy and cluster size the median, quartiles and count
    of metric_fn(group of one sample's events of that kind and size)."""
    e = _per_event(c)
    panels = []
    labels = list(dict.fromkeys(e.label))
    for setting in list(dict.fromkeys(e.setting)):
        es = e[e.setting == setting]
        for kind in list(dict.fromkeys(es.kind)):
            ek = es[es.kind == kind]
            rows = []
            for (label, size), g in ek.groupby(["label", "size"], sort=False):
                vals = [metric_fn(s) for _, s in g.groupby(["file", "repetition"], sort=False)]
                med, q1, q3, n = _median_iqr(vals)
                infinite = sum(1 for v in vals if v is not None and np.isinf(v))
                rows.append({"label": label, "size": int(size), "median": med, "q1": q1, "q3": q3, "n": n,
                             "infinite": infinite, "ideal": float(g.keys_ideal.sum() / g.records.sum())
                             if g.records.sum() else math.nan,
                             "random": float(g.random_peak_to_mean.mean())
                             if "random_peak_to_mean" in g and g.random_peak_to_mean.notna().any() else math.nan})
            t = pd.DataFrame(rows)
            t["order"] = t.label.map({lab: i for i, lab in enumerate(labels)})
            panels.append({"setting": setting, "kind": kind, "table": t.sort_values(["order", "size"]),
                           "events": ek})
    return panels


def _kind_title(c: Comparison, p: dict) -> str:
    ek = p["events"]
    moves = ek.drop_duplicates(["nodes_before", "nodes_after"])
    detail = (", ".join(f"{r.nodes_before}→{r.nodes_after}" for r in moves.itertuples())
              if len(moves) <= 3 else f"{ek.event.nunique()} events")
    name = _setting_name(c, p["setting"])
    return textwrap.fill(f"{name}: {p['kind']} events ({detail})", 48)


def _size_axis(ax, c: Comparison, p: dict, sizes):
    """Cluster sizes as evenly spaced categories (a few sizes far apart would crowd a numeric axis)."""
    ax.set_xticks(range(len(sizes)))
    rotate = len(sizes) > 6 or max(len(str(s)) for s in sizes) * len(sizes) > 40
    ax.set_xticklabels([str(s) for s in sizes], rotation=45 if rotate else 0, ha="right" if rotate else "center",
                       fontsize=8)
    ax.set_xlim(-0.6, len(sizes) - 0.4)
    ax.set_xlabel(_size_name(c, p["setting"]) + (" (categories)" if len(sizes) > 1 else ""))


def _draw_by_kind(c: Comparison, name: str, metric_fn, ylabel: str, title: str, caption: str,
                  reference=None, transform=None, yscale: str = "linear", from_zero: bool = True,
                  symlog_thresh: float | None = None) -> Drawn:
    panels = _kind_panels(c, metric_fn)
    note = None
    if len(panels) > MAX_PANELS:
        note = f"{name}: the first {MAX_PANELS} of {len(panels)} (setting, event kind) panels are drawn"
        panels = panels[:MAX_PANELS]
    labels = list(dict.fromkeys(c.events.label))
    colors, marks = _colors(labels), _markers(labels)
    fig, axes = _figure(len(panels), width=5.2, height=3.8)
    n_max, infinite, lines = 0, 0, False
    for ax, p in zip(axes, panels):
        t = p["table"]
        sizes = sorted(t["size"].unique())
        pos = {s: i for i, s in enumerate(sizes)}
        present = [lab for lab in labels if lab in set(t.label)]
        for i, label in enumerate(present):
            r = t[t.label == label].sort_values("size")
            x = np.array([pos[s] for s in r["size"]]) + _dodge(i, len(present))
            med, q1, q3 = (r[k].to_numpy(dtype=float) for k in ("median", "q1", "q3"))
            if transform is not None:
                med, q1, q3 = transform(med), transform(q1), transform(q3)
            n_max = max(n_max, int(r.n.max()))
            infinite += int(r.infinite.sum())
            style = "-" if len(sizes) > 1 else "none"  # one kind per panel: a line follows one trend
            lines |= len(sizes) > 1
            _errorbar(ax, x, med, q1, q3, r.n, fmt=marks[label], linestyle=style, color=colors[label], label=label,
                      lw=1.2)
        if reference is not None:
            reference(ax, t, sizes, pos)
        _size_axis(ax, c, p, sizes)
        ax.set_ylabel(ylabel(p["setting"]) if callable(ylabel) else ylabel)
        if yscale == "symlog":
            ax.set_yscale("symlog", linthresh=symlog_thresh, linscale=0.5)
            finite = t[["median", "q3"]].to_numpy(dtype=float)
            finite = finite[np.isfinite(finite)]
            top = float(finite.max()) if finite.size else 1.0
            # Room above the largest point (a decade is a factor 10) and below 0, so no marker is cut in half.
            ax.set_ylim(-0.4 * symlog_thresh, max(top * 2.5, symlog_thresh * 10))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        elif yscale == "log":
            ax.set_yscale("log")
        elif from_zero:
            ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1e-9))
        ax.grid(alpha=0.3)
        ax.set_title(_kind_title(c, p), fontsize=9)
    handles = [Line2D([], [], color=colors[lab], marker=marks[lab], ls="-" if lines else "none", label=lab)
               for lab in labels]
    handles += [h for h, lab in zip(*axes[0].get_legend_handles_labels()) if lab not in labels]
    _legend_right(fig, axes, handles=handles, title="strategy")
    _title(fig, title)
    text = caption + f" Points: {_spread_text(n_max)}."
    if infinite:
        text += f" {infinite} sample(s) with an infinite value (moves where the minimum is 0) are left out."
    return Drawn(name, fig, text, note)


# ---------------------------------------------------------------- movement and balance

def draw_moved_fraction(c: Comparison) -> Drawn:
    def fraction(g):
        return float(g.keys_moved.sum() / g.records.sum()) if g.records.sum() else math.nan

    def fair_share(ax, t, sizes, pos):
        ideal = t.groupby("size").ideal.median()
        for i, s in enumerate(sizes):
            ax.hlines(ideal[s], pos[s] - 0.4, pos[s] + 0.4, color="k", lw=1.5, ls="--", zorder=5,
                      label="fair share (keys_ideal / records)" if i == 0 else None)
    return _draw_by_kind(
        c, "moved_fraction_vs_nodes.png", fraction,
        lambda setting: f"moved fraction: records moved / records held\n({_records_label(c, [setting])})",
        "How much data does each event move? Fraction of records moved per event, one panel per event kind",
        "Records moved in an event over the records held before it (keys × copies), per strategy, one panel per "
        "experiment and event kind, against the cluster size the events reached; the dashed line is the fair "
        "share (the records a node of the new weight should receive, or those the leaving nodes held). "
        "Question: how much data must each strategy move, and how close is it to the fair share? Strategies "
        "with equal values are set side by side; disruption_vs_nodes.png separates the near-minimal ones.",
        reference=fair_share)


def draw_disruption(c: Comparison) -> Drawn:
    def excess(g):
        moved, least = float(g.keys_moved.sum()), float(g.keys_min.sum())
        if least > 0:
            return 100.0 * (moved / least - 1.0)
        return 0.0 if moved == 0 else math.inf

    def minimum(ax, t, sizes, pos):
        ax.axhline(0.0, color="k", ls="--", lw=1, label="fewest moves (keys_min)")
    return _draw_by_kind(
        c, "disruption_vs_nodes.png", excess,
        "excess moves over the fewest possible (%)\n100 × (keys_moved / keys_min − 1), symlog",
        "Which strategies move more than they must? Moves beyond the fewest that reach the strategy's new "
        "loads, per event kind",
        "Disruption as the records moved beyond keys_min, the fewest moves that reach the strategy's own new "
        "loads, in percent of keys_min (0 = minimal; 100 % = twice the minimum), per strategy and event kind. "
        "The axis is linear below 0.1 % and logarithmic above, so strategies within a fraction of a percent of "
        "the minimum are told apart from each other and from those that move several times more. Question: "
        "does a strategy move only the records its new balance requires?",
        reference=minimum, yscale="symlog", symlog_thresh=0.1)


def draw_peak_to_mean(c: Comparison) -> Drawn:
    def peak(g):
        return float(g.load_peak_to_mean.mean())

    def perfect(ax, t, sizes, pos):
        ax.axhline(1.0, color="k", ls="--", lw=1, label="perfect balance (1.0)")
        # What chance gives: a random assignment of the same keys to the same nodes (schema 4 files).
        chance = t.groupby("size").random.median()
        drawn = False
        for s in sizes:
            if np.isfinite(chance.get(s, math.nan)):
                ax.hlines(chance[s], pos[s] - 0.4, pos[s] + 0.4, color="0.35", lw=1.5, ls=":", zorder=5,
                          label=None if drawn else "random assignment (balls into bins)")
                drawn = True
    d = _draw_by_kind(
        c, "peak_to_mean_vs_nodes.png", peak, "peak-to-mean load (ratio; axis from 1)",
        "How even are the loads after each event? Fullest node over its fair share, per event kind",
        "The fullest active node's records over its (weighted) fair share, divided by the mean of that ratio, "
        "after each event (mean over the events of a kind and size), per strategy. 1.0 is perfect balance; the "
        "dotted line is the expected peak-to-mean of a purely random assignment of the same keys to the same "
        "nodes (balls into bins), so a strategy above it is less even than chance. "
        "Question: how much capacity must be provisioned above the mean for each strategy?",
        reference=perfect, from_zero=False)
    if d.fig is not None:
        for ax in d.fig.axes:
            if ax.get_ylabel():
                ax.set_ylim(bottom=min(0.99, ax.get_ylim()[0]))
    return d


def _event_shares(es: pd.DataFrame) -> pd.DataFrame:
    """Per (event, strategy) of one setting: the median and quartiles over the samples of the share of records
    moved (keys_moved / records held) and of bytes moved (bytes_moved / bytes held)."""
    rows = []
    for (event, label), g in es.groupby(["event", "label"], sort=False):
        keys = (g.keys_moved.astype(float) / g.records).to_numpy(dtype=float)
        data = (g.bytes_moved.astype(float) / g.bytes_held.where(g.bytes_held > 0)).to_numpy(dtype=float)
        k, b = _median_iqr(keys), _median_iqr(data)
        rows.append({"event": int(event), "label": label, "keys": k[0], "keys_q1": k[1], "keys_q3": k[2],
                     "bytes": b[0], "bytes_q1": b[1], "bytes_q3": b[2], "n": max(k[3], b[3])})
    return pd.DataFrame(rows)


def _event_name(info: pd.DataFrame, event: int, short: bool = False) -> str:
    r = info.loc[event]
    if short:
        return f"{event}: {r.kind} {r.nodes_before}→{r.nodes_after}"
    return f"event {event}: {r.detail} ({r.nodes_before}→{r.nodes_after} nodes)"


MARK_COLORS = {"keys": "#08519c", "bytes": "#a63603"}  # the fewest-records and fewest-bytes triangles
KEYS_SHARE = "records moved / records held"
BYTES_SHARE = "bytes moved / bytes held"


def draw_bytes_vs_keys(c: Comparison) -> Drawn:
    """Values of per-key sizes: per event, each strategy's share of records moved beside its share of bytes
    moved, so a strategy that moves fewer but larger records shows. Not drawn when every record has one size
    (the two shares are then equal)."""
    from .compare import fewest, sizes_vary
    name = "bytes_vs_keys_moved.png"
    e = _per_event(c)
    varied = [s for s in dict.fromkeys(e.setting)
              if sizes_vary(e[e.setting == s], "moved_fraction", "bytes_fraction")]
    if not varied:
        return Drawn(name, None, note="bytes vs keys moved: every record has one size in the inputs (bytes moved "
                                      "share = records moved share), figure skipped")
    panels = [(s, ev) for s in varied for ev in sorted(e[e.setting == s].event.unique())]
    note = None
    if len(panels) > MAX_PANELS:
        note = f"bytes vs keys moved: the first {MAX_PANELS} of {len(panels)} (setting, event) panels are drawn"
        panels = panels[:MAX_PANELS]
    labels = list(dict.fromkeys(e.label))
    fig, axes = _figure(len(panels), width=max(4.6, 0.75 * len(labels) + 1.5), height=3.6)
    shares = {s: _event_shares(e[e.setting == s]) for s in varied}
    infos = {s: e[e.setting == s].drop_duplicates("event").set_index("event") for s in varied}
    colors = {"keys": "#9ecae1", "bytes": "#d95f02"}
    n_max, differ = 0, 0
    for ax, (setting, event) in zip(axes, panels):
        t = shares[setting]
        t = t[t.event == event].set_index("label")
        present = [lab for lab in labels if lab in t.index]
        x = np.arange(len(present))
        for j, (col, hatch) in enumerate((("keys", "//"), ("bytes", ""))):
            r = t.loc[present]
            med = 100 * r[col].to_numpy(dtype=float)
            q1, q3 = 100 * r[col + "_q1"].to_numpy(dtype=float), 100 * r[col + "_q3"].to_numpy(dtype=float)
            n = r.n.to_numpy()
            err = np.where(n > 1, np.vstack([med - q1, q3 - med]), 0.0) if (n > 1).any() else None
            ax.bar(x + (j - 0.5) * 0.38, med, 0.38, yerr=err, capsize=2, color=colors[col], hatch=hatch,
                   edgecolor="0.25", lw=0.6)
            n_max = max(n_max, int(n.max()))
        by_keys = fewest(dict(zip(present, t.loc[present, "keys"])))
        by_bytes = fewest(dict(zip(present, t.loc[present, "bytes"])))
        differ += bool(by_keys and by_bytes and not set(by_keys) & set(by_bytes))
        top = float(np.nanmax(100 * t.loc[present, ["keys_q3", "bytes_q3", "keys", "bytes"]].to_numpy(dtype=float)))
        # The fewest records and the fewest bytes of the event: a triangle above the bar.
        for col, best, dx in (("keys", by_keys, -0.19), ("bytes", by_bytes, 0.19)):
            for lab in best:
                y = 100 * np.nanmax(t.loc[lab, [col, col + "_q3"]].to_numpy(dtype=float)) + 0.04 * top
                ax.plot(present.index(lab) + dx, y, marker="v", ls="none", ms=7, color=MARK_COLORS[col],
                        markeredgecolor="k", markeredgewidth=0.5)
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)
        ax.set_xticks(x)
        rotate = len(present) > 5 or max(map(len, present)) > 10
        ax.set_xticklabels(present, rotation=30 if rotate else 0, ha="right" if rotate else "center", fontsize=8)
        ax.set_xlim(-0.6, len(present) - 0.4)
        ax.set_ylabel("moved (% of records or bytes held)")
        ax.grid(axis="y", alpha=0.3)
        head = f"{_setting_name(c, setting)}: " if len(varied) > 1 else ""
        ax.set_title(textwrap.fill(head + _event_name(infos[setting], event), 50), fontsize=9)
    for ax in axes[-min(len(axes), 3):]:
        ax.set_xlabel("strategy")
    handles = [Patch(facecolor=colors["keys"], hatch="//", edgecolor="0.25", label=f"records: {KEYS_SHARE}"),
               Patch(facecolor=colors["bytes"], edgecolor="0.25", label=f"bytes: {BYTES_SHARE}"),
               Line2D([], [], marker="v", ls="none", ms=7, color=MARK_COLORS["keys"], markeredgecolor="k",
                      markeredgewidth=0.5, label="fewest records moved"),
               Line2D([], [], marker="v", ls="none", ms=7, color=MARK_COLORS["bytes"], markeredgecolor="k",
                      markeredgewidth=0.5, label="fewest bytes moved")]
    _legend_right(fig, axes, handles=handles, title="share of the event")
    _title(fig, "Does moving the fewest records mean moving the fewest bytes? Share of records and of bytes "
                "moved per event, per strategy")
    caption = (f"Per event (panels) and strategy: the share of records moved ({KEYS_SHARE}, hatched; records = "
               "keys × copies) beside the share of bytes moved (bytes_moved / bytes held, solid; bytes held = "
               "records × the mean record bytes, from value_bytes_total), in percent. With values of per-key "
               "sizes the two differ: a bytes share above the records share means the strategy moved larger "
               "than average records. A triangle marks the fewest records (blue) and the fewest bytes (brown) of "
               "each event; where they "
               f"name different strategies ({differ} of {len(panels)} panels here), the strategy that moves the "
               f"fewest keys does not move the fewest bytes. Bars: {_spread_text(n_max)}.")
    return Drawn(name, fig, caption, note)


def draw_request_balance(c: Comparison) -> Drawn:
    """Skewed requests: per event, each strategy's request load of the busiest node over the mean (measured
    operations when the file has them, else the keys' popularity), with the even 1 marked."""
    from .reader import REQUEST_SOURCES
    name = "request_balance.png"
    e = _per_event(c)
    if "request_balance" not in e or not e.request_balance.notna().any():
        return Drawn(name, None, note="request balance: no input has skewed requests (request_peak_to_mean and "
                                      "ops_peak_to_mean are 0 or absent), figure skipped")
    chosen = [s for s in dict.fromkeys(e.setting) if e[e.setting == s].request_balance.notna().any()]
    note = None
    if len(chosen) > 6:
        note = f"request balance: the first 6 of {len(chosen)} settings are drawn"
        chosen = chosen[:6]
    labels = list(dict.fromkeys(e.label))
    colors, marks = _colors(labels), _markers(labels)
    width = max(6.0, min(14.0, 0.9 * e[e.setting.isin(chosen)].event.nunique() + 2))
    fig, axes = _figure(len(chosen), width=width, height=4.0, cols=1)
    n_max, top = 0, 1.0
    sources = set()
    for ax, setting in zip(axes, chosen):
        es = e[(e.setting == setting) & e.request_balance.notna()]
        sources |= set(es.request_source)
        events = sorted(es.event.unique())
        pos = {ev: i for i, ev in enumerate(events)}
        info = es.drop_duplicates("event").set_index("event")
        present = [lab for lab in labels if lab in set(es.label)]
        for i, label in enumerate(present):
            stats = [(ev, *_median_iqr(g.request_balance.to_numpy(dtype=float)))
                     for ev, g in es[es.label == label].groupby("event")]
            st = np.array(stats, dtype=float)
            x = np.array([pos[int(ev)] for ev in st[:, 0]]) + _dodge(i, len(present), 0.7)
            n_max = max(n_max, int(st[:, 4].max()))
            top = max(top, float(np.nanmax(st[:, 3])))
            _errorbar(ax, x, st[:, 1], st[:, 2], st[:, 3], st[:, 4], fmt=marks[label], linestyle="none",
                      color=colors[label], label=label)
        ax.axhline(1.0, color="k", ls="--", lw=1, label="even load (1)")
        for k in range(1, len(events), 2):  # every other event shaded: which points belong to one event
            ax.axvspan(k - 0.5, k + 0.5, color="0.93", zorder=0, lw=0)
        ax.set_xticks(range(len(events)))
        many = len(events) > 8
        ax.set_xticklabels([str(ev) if many else textwrap.fill(_event_name(info, ev, short=True), 16)
                            for ev in events], fontsize=8)
        ax.set_xlim(-0.6, len(events) - 0.4)
        ax.set_xlabel("event (index: kind, active nodes before→after)" if not many
                      else "event index (kinds and sizes in the tables)")
        ax.set_ylabel("request load: busiest node / mean\n(peak-to-mean; axis from 0.9)")
        ax.grid(axis="y", alpha=0.3)
        source = " and ".join(dict.fromkeys(("measured operations" if s == "ops" else "key popularity")
                                            for s in es.request_source))
        ax.set_title(textwrap.fill(f"{_setting_name(c, setting)}: request load from {source}", 80), fontsize=9)
    for ax in axes:
        ax.set_ylim(0.9, top * 1.08)
    handles = [Line2D([], [], color=colors[lab], marker=marks[lab], ls="none", label=lab) for lab in labels]
    handles.append(Line2D([], [], color="k", ls="--", lw=1, label="even load (1)"))
    _legend_right(fig, axes, handles=handles, title="strategy")
    _title(fig, "How uneven is the request load? Busiest node's requests over the mean, per event and strategy")
    source_text = " and ".join(REQUEST_SOURCES[s] for s in sorted(sources))
    caption = ("After each event (x, in the experiment's order) and per strategy: the request load of the busiest "
               f"active node over the mean request load, from {source_text}. 1 (dashed) is an even load; with "
               "skewed (zipf) requests a few hot keys make one node the hottest whatever the placement, so the "
               "figure shows which strategies add to that skew and which spread it (a bounded-load strategy "
               "balances records, not requests). Question: how much request capacity must each node have above "
               f"the mean? Points: {_spread_text(n_max)}.")
    return Drawn(name, fig, caption, note)


def draw_timeline(c: Comparison) -> Drawn:
    """Settings whose timeline mixes event kinds over three or more events (churn, rolling restarts):
    every event on its own x position."""
    e = _per_event(c)
    chosen = [s for s in dict.fromkeys(e.setting)
              if e[e.setting == s].event.nunique() >= TIMELINE_EVENTS and e[e.setting == s].kind.nunique() > 1]
    if not chosen:
        return Drawn("timeline.png", None,
                     note=f"timeline: no input mixes event kinds over {TIMELINE_EVENTS} or more events")
    chosen = chosen[:4]
    labels = list(dict.fromkeys(e.label))
    colors = _colors(labels)
    markers = {}
    fig, axes = plt.subplots(3, len(chosen), figsize=(7.5 * len(chosen) + 2.2, 9.5), squeeze=False,
                             layout="constrained", sharex="col")
    n_max = 0
    for col, setting in enumerate(chosen):
        es = e[e.setting == setting]
        events = sorted(es.event.unique())
        info = es.drop_duplicates("event").set_index("event")
        for k in info.kind:
            markers.setdefault(k, "osD^vP*X"[len(markers) % 8])
        ax_m, ax_p, ax_n = axes[:, col]
        present = [lab for lab in labels if lab in set(es.label)]
        for i, label in enumerate(present):
            el = es[es.label == label]
            for kind, ek in el.groupby("kind", sort=False):
                stats = []
                for ev, g in ek.groupby("event"):
                    frac = (g.keys_moved / g.records).to_numpy(dtype=float)
                    stats.append((ev, *_median_iqr(frac), *_median_iqr(g.load_peak_to_mean.to_numpy(float))))
                s = np.array(stats, dtype=float)
                x = s[:, 0] + _dodge(i, len(present), 0.7)
                n_max = max(n_max, int(s[:, 4].max()))
                _errorbar(ax_m, x, s[:, 1], s[:, 2], s[:, 3], s[:, 4], fmt=markers[kind], linestyle="none",
                          color=colors[label])
                _errorbar(ax_p, x, s[:, 5], s[:, 6], s[:, 7], s[:, 8], fmt=markers[kind], linestyle="none",
                          color=colors[label])
        ideal = es.groupby("event").apply(lambda g: g.keys_ideal.sum() / g.records.sum())
        ax_m.hlines(ideal.values, ideal.index - 0.42, ideal.index + 0.42, color="k", ls="--", lw=1.2)
        ax_n.step(info.index, info.nodes_after, where="mid", color="k")
        ax_n.plot(info.index, info.nodes_after, "k.")
        ax_m.set_ylim(bottom=0)
        ax_m.set_ylabel(f"moved fraction\n(records moved / records held;\n{_records_label(c, [setting])})")
        ax_m.set_title(textwrap.fill(f"{_setting_name(c, setting)}: {len(events)} events", 60), fontsize=10)
        ax_p.axhline(1.0, color="k", ls=":", lw=1)
        ax_p.set_ylabel("peak-to-mean load after the event\n(ratio; axis from 1)")
        ax_p.set_ylim(bottom=min(0.99, ax_p.get_ylim()[0]))
        ax_n.set_ylabel("active nodes after the event")
        ax_n.set_ylim(0, info.nodes_after.max() * 1.1)
        ax_n.set_xlabel("event index (in the experiment's order)")
        step = max(1, math.ceil(len(events) / 20))
        ax_n.set_xticks(events[::step])
        for ax in (ax_m, ax_p, ax_n):
            ax.grid(alpha=0.3)
    shown = set(e[e.setting.isin(chosen)].label)
    handles = [Line2D([], [], color=colors[lab], marker="o", ls="none", label=lab)
               for lab in labels if lab in shown]
    handles += [Line2D([], [], color="k", ls="--", label="fair share")]
    handles += [Line2D([], [], color="k", marker=m, ls="none", markerfacecolor="none", label=f"{k} event")
                for k, m in markers.items()]
    _legend(axes[0, -1], handles=handles, title="strategy; event kind")
    _title(fig, "What does each step of a timeline cost? Moved fraction and balance per event, in the order of "
                "the events")
    caption = ("One column per timeline with mixed event kinds (churn, rolling restarts): per event, in the "
               "experiment's order, the fraction of records moved (dashed: the event's fair share), the "
               "peak-to-mean load after it and the active nodes. Marker shape is the event kind; points are not "
               "joined, since consecutive events are of different kinds. Question: does a strategy's cost or "
               f"balance drift as the cluster churns? Points: {_spread_text(n_max)}.")
    return Drawn("timeline.png", fig, caption)


def _weights(run: Run) -> np.ndarray | None:
    text = run.attrs.get("experiment_text") or ""
    try:
        cluster = tomllib.loads(text).get("cluster", {})
    except tomllib.TOMLDecodeError:
        return None
    w = cluster.get("weights")
    n = int(run.attrs.get("nodes", 0))
    if not w or len(w) != n or len(set(w)) < 2:
        return None
    return np.asarray(w, dtype=float)


def draw_load_vs_weight(c: Comparison, runs: list[Run]) -> Drawn:
    """Weighted experiments: each active node's records against its weighted fair share."""
    chosen = [(r, w) for r in runs if not r.events.empty for w in [_weights(r)] if w is not None]
    if not chosen:
        return Drawn("load_vs_weight.png", None, note="load vs weight: no input has unequal node weights")
    run, weights = chosen[0]
    labels = [lab for lab in run.strategies if lab in set(run.events.label)]
    colors = _colors(labels)
    ev0 = run.events[(run.events.label == labels[0]) & (run.events.repetition == 0)].reset_index(drop=True)
    states = [("initial placement", None)] + [(f"after event {r.event}: {r.kind} ({r.nodes_before}→{r.nodes_after})",
                                               i) for i, r in ev0.iterrows()]
    states = states[:6]
    fig, axes = _figure(len(states), width=5.0, height=3.9, cols=min(3, len(states)))
    uniq = sorted(set(weights))
    pos = {w: i for i, w in enumerate(uniq)}
    top = 0.0
    for ax, (title, row) in zip(axes, states):
        for i, label in enumerate(labels):
            loads = run.initial_loads(label)[0] if row is None else run.loads(label)[row]
            loads = np.asarray(loads, dtype=float)
            active = loads > 0
            share = loads[active].sum() * weights[active] / weights[active].sum()
            ratio = loads[active] / share
            x = np.array([pos[w] for w in weights[active]]) + _dodge(i, len(labels), 0.7)
            rng = np.random.default_rng(i)
            ax.plot(x + rng.uniform(-0.03, 0.03, x.size), ratio, "o", color=colors[label], alpha=0.8,
                    markersize=4, label=label)
            top = max(top, float(ratio.max()))
        ax.axhline(1.0, color="k", ls="--", lw=1, label="its weighted share")
        ax.set_xticks(range(len(uniq)))
        ax.set_xticklabels([f"{w:g}" for w in uniq])
        ax.set_xlabel("node weight (from the experiment's cluster.weights)")
        ax.set_ylabel("records held / weighted fair share\n(records × w / W of the active nodes)")
        ax.set_title(textwrap.fill(title, 48), fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes:
        ax.set_ylim(0, max(1.5, top * 1.08))
    _legend_right(fig, axes, title="strategy; one point per node")
    reps = "repetition 0" if int(run.attrs.get("repetitions", 1) or 1) > 1 else "the run"
    _title(fig, f"Does each node get its weighted share? Records per node over its share, {run.path.name}")
    caption = (f"Each active node's records over its weighted fair share (total records × its weight / the active "
               f"weights), per strategy, against the node's weight, in the initial placement and after each event "
               f"({reps} of {run.path.name}). 1.0 (dashed) is exactly the weighted share; a strategy that ignores "
               "weights puts heavy nodes below the line and light ones above. Question: does each strategy honour "
               "the node weights?")
    note = None if len(chosen) == 1 else f"load vs weight: drawn for {run.path.name} only of {len(chosen)} inputs"
    return Drawn("load_vs_weight.png", fig, caption, note)


def draw_failures(c: Comparison) -> Drawn:
    """Keys lost and bytes re-replicated per fail event, per strategy, one row per replication factor."""
    e = _per_event(c)
    fails = e[e.kind == "fail"]
    if fails.empty:
        return Drawn("failures.png", None, note="failures: no fail events in the inputs")
    groups = list(fails.groupby(["replicas", "setting"], sort=True))[:6]
    labels = list(dict.fromkeys(fails.label))
    colors = _colors(labels)
    fig, axes = plt.subplots(len(groups), 2, figsize=(13.5, 3.8 * len(groups) + 0.9), squeeze=False,
                             layout="constrained")
    n_max = 0
    for row, ((replicas, setting), g) in enumerate(groups):
        events = sorted(g.event.unique())
        info = g.drop_duplicates("event").set_index("event")
        present = [lab for lab in labels if lab in set(g.label)]
        width = 0.8 / max(1, len(present))
        for col, (column, scale) in enumerate((("keys_lost", 1.0), ("bytes_rereplicated", 1e-6))):
            ax = axes[row, col]
            for i, label in enumerate(present):
                gl = g[g.label == label]
                st = [_median_iqr(gl[gl.event == ev][column].to_numpy(dtype=float) * scale) for ev in events]
                med, q1, q3, n = (np.array(v, dtype=float) for v in zip(*st))
                n_max = max(n_max, int(np.nanmax(n)))
                x = np.arange(len(events)) - 0.4 + width * (i + 0.5)
                err = np.vstack([med - q1, q3 - med]) if (n > 1).any() else None
                ax.bar(x, med, width, yerr=err, capsize=2, color=colors[label], label=label)
            ax.set_xticks(range(len(events)))
            if len(events) <= 4:
                ax.set_xticklabels([textwrap.fill(f"event {ev}: {info.detail[ev]} ({info.nodes_before[ev]}→"
                                                  f"{info.nodes_after[ev]})", 28) for ev in events], fontsize=8)
            else:  # many fail events (churn): their indices only, the details are in the tables
                ax.set_xticklabels([str(ev) for ev in events], fontsize=8)
            ax.set_ylim(bottom=0)
            ax.grid(axis="y", alpha=0.3)
            ax.set_ylabel("keys lost (no copy left)" if col == 0 else "bytes re-replicated (MB)")
            ax.set_title(textwrap.fill(f"{_setting_name(c, setting)}, r = {replicas}: "
                                       + ("keys lost" if col == 0 else "re-created copies' bytes"), 60), fontsize=9)
            if all(ax.patches[k].get_height() == 0 for k in range(len(ax.patches))):
                ax.set_ylim(0, 1)
                ax.text(0.5, 0.5, "0 for every strategy", transform=ax.transAxes, ha="center", color="gray")
        for ax in axes[row]:
            ax.set_xlabel("fail event" if len(events) <= 4 else "fail event (index in the experiment)")
    _legend(axes[0, 1], handles=[Patch(color=colors[lab], label=lab) for lab in labels], title="strategy")
    _title(fig, "What does a failure cost? Keys lost and bytes re-replicated per fail event, by replication factor")
    caption = ("Per fail event (columns of bars) and strategy: the keys that lost every copy (left) and the bytes "
               "sent to re-create the missing copies of the surviving keys (right, bytes_rereplicated), one row per "
               "replication factor r and experiment. Question: how many keys does each strategy lose when nodes "
               "fail at once, and what does restoring r copies cost on the network? "
               f"Bars: {_spread_text(n_max)}.")
    return Drawn("failures.png", fig, caption)


# ---------------------------------------------------------------- timing

def _timing_warning(c: Comparison, settings) -> str:
    return OVERSUBSCRIBED if any(c.timing_note(s) for s in settings) else ""


def _network_caption(c: Comparison) -> str:
    assumption = ("full bisection bandwidth, no overlap of messages beyond full duplex, one NIC per node. The "
                  "busiest node's transfer time: a strategy that spreads more traffic over more nodes can tie one "
                  "that moves less (total traffic: bytes moved in the tables)")
    if len(c.networks) == 1:
        return f"Network assumed: {next(iter(c.networks))}; {assumption}."
    per_file = "; ".join(f"{net} ({len(files)} file{'s' if len(files) > 1 else ''})"
                         for net, files in c.networks.items())
    return f"Networks assumed (they differ between files): {per_file}; {assumption}."


BOUND_MARKS = [  # column, legend text, marker
    (MIGRATION, "migration time, critical path (t_migrate)", "o"),
    ("t_exchange_floor_min", "bound: exchange floor (bare exchange, fastest repeat)", "v"),
    ("t_exchange_model", "bound: exchange model (alpha-beta)", "_"),
    ("t_projected", "projected on one node per machine ([network])", "s"),
]


def _si(v: float) -> str:
    """200000 as '200k', 2e6 as '2M', 0.05 as '0.05': tick labels without exponents or offsets."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:g}{suffix}"
    return f"{v:g}"


def _log_ticks(ax):
    """Log y with plain numbers (no offset, no 10^k), labels on the decades and, within two decades,
    on 2 and 5 too."""
    lo, hi = ax.get_ylim()
    subs = (1.0, 2.0, 5.0) if hi / max(lo, 1e-300) < 300 else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _si(v)))
    ax.yaxis.set_minor_formatter(NullFormatter())


def draw_migration_time(c: Comparison) -> Drawn:
    """Top row: every event's critical path against the records it moved. Bottom row: per strategy, the
    critical path beside its bounds (median over the events and repetitions, IQR bars)."""
    ev = c.events
    settings = c.settings[:6]
    labels = list(dict.fromkeys(ev.label))
    colors = _colors(labels)
    warning = _timing_warning(c, settings)
    n_labels = ev[ev.setting.isin(settings)].groupby("setting").label.nunique().max()
    width = max(7.0, 0.75 * n_labels + 2.5)
    fig, axes = plt.subplots(2, len(settings), figsize=(width * len(settings) + 2.5, 10.0), squeeze=False,
                             layout="constrained")
    dropped = 0
    for col, setting in enumerate(settings):
        ax, ax_b = axes[:, col]
        e = ev[ev.setting == setting]
        x = e.keys_moved.to_numpy(dtype=float)
        y = e[MIGRATION].to_numpy(dtype=float) * 1e3
        for label in labels:
            m = (e.label == label).to_numpy() & (y > 0)
            if m.any():
                ax.scatter(x[m], y[m], s=20, color=colors[label], alpha=0.8, label=label)
        if (x <= 0).any():  # an event that moved 0 records sits at 0 on a linear stretch below 1
            ax.set_xscale("symlog", linthresh=1.0, linscale=0.4)
            ax.set_xlim(-0.3, x.max() * 2 if x.max() > 0 else 10)
            ax.set_xlabel("records moved in the event (log above 1, 0 at the left)")
        else:
            ax.set_xscale("log")
            ax.set_xlim(x.min() / 1.6, x.max() * 1.6)
            ax.set_xlabel("records moved in the event (log)")
        ax.set_yscale("log")
        _log_ticks(ax)
        ax.set_ylabel("migration time, critical path (ms, log)")
        ax.set_title(textwrap.fill(f"{_setting_name(c, setting)}: every event and repetition", 60), fontsize=10)
        ax.grid(alpha=0.3, which="major")
        present = [lab for lab in labels if lab in set(e.label)]
        for j, (column, text, marker) in enumerate(BOUND_MARKS):
            for i, label in enumerate(present):
                el = e[e.label == label]
                per_sample = el.groupby(["file", "repetition"])[column].mean().to_numpy(dtype=float) * 1e3
                med, q1, q3, n = _median_iqr(per_sample[per_sample > 0])
                dropped += int((per_sample <= 0).sum())
                if not np.isfinite(med):
                    continue
                pos = i + (j - 1.5) * 0.18
                err = [[med - q1], [q3 - med]] if n > 1 else None
                face = colors[label] if j == 0 else "white"
                ax_b.errorbar([pos], [med], yerr=err, fmt=marker, color=colors[label], markerfacecolor=face,
                              markersize=8 if marker != "_" else 14, mew=1.5, capsize=2)
        ax_b.set_yscale("log")
        _log_ticks(ax_b)
        ax_b.set_xticks(range(len(present)))
        ax_b.set_xticklabels(present, rotation=30, ha="right")
        ax_b.set_xlim(-0.6, len(present) - 0.4)
        ax_b.set_xlabel("strategy")
        ax_b.set_ylabel("time per event (ms, log; mean over a\nrepetition's events)")
        ax_b.set_title(textwrap.fill(f"{_setting_name(c, setting)}: critical path and its bounds", 60), fontsize=10)
        ax_b.grid(alpha=0.3, axis="y", which="major")
    _legend(axes[0, -1], handles=[Line2D([], [], color=colors[lab], marker="o", ls="none", label=lab)
                                  for lab in labels], title="strategy")
    _legend(axes[1, -1], handles=[Line2D([], [], color="k", marker=m, ls="none", markersize=8 if m != "_" else 14,
                                         markerfacecolor="k" if j == 0 else "white", label=text)
                                  for j, (_, text, m) in enumerate(BOUND_MARKS)], title="quantity (per strategy)")
    _title(fig, "How long does a migration take, and how far is it from its bounds? Critical path against records "
                "moved, and beside the exchange floor, the exchange model and the projected time", warning)
    caption = ("Top: each event's critical path t_migrate (from the first rank's start of planning to the last "
               "rank's end of apply) against the records it moved, one point per event and repetition, both axes "
               "logarithmic (an event that moved nothing sits at 0 on a linear stretch). Bottom: per strategy, the "
               "critical path (filled) beside the exchange floor (the bare exchange of the same traffic, fastest "
               "repeat), the alpha-beta model of the exchange and the projected time on a cluster of one node per "
               "machine, each the median over the repetitions of the mean per event, IQR bars when there are "
               "several. Question: how far is each strategy's migration from what its traffic must cost? "
               + _network_caption(c)
               + (f" {dropped} zero value(s) (events that moved nothing) are left out of the log axis."
                  if dropped else ""))
    return Drawn("migration_time_vs_keys.png", fig, caption, warning=warning)


def draw_phase_breakdown(c: Comparison) -> Drawn:
    """Each phase's span and the critical path side by side per strategy: the spans are maxima over ranks
    that overlap, so stacking them would claim a migration time that was never measured."""
    ev = c.events
    settings = c.settings[:MAX_PANELS]
    columns = PHASES + [MIGRATION]
    names = {**PHASE_NAMES, MIGRATION: MIGRATION_NAME}
    colors = dict(zip(PHASES, plt.get_cmap("Set2").colors))
    colors[MIGRATION] = "#333333"
    n_labels = ev[ev.setting.isin(settings)].groupby("setting").label.nunique().max()
    warning = _timing_warning(c, settings)
    fig, axes = _figure(len(settings), width=max(6.5, 0.9 * n_labels + 2.5), height=4.6)
    n_max = 0
    for ax, setting in zip(axes, settings):
        e = ev[ev.setting == setting]
        per_sample = e.groupby(["label", "file", "repetition"], sort=False)[columns].mean() * 1e3
        labels = list(dict.fromkeys(e.label))
        grouped = per_sample.groupby(level="label", sort=False)
        med = grouped.median().reindex(labels)
        q1, q3 = grouped.quantile(0.25).reindex(labels), grouped.quantile(0.75).reindex(labels)
        n = grouped.size().reindex(labels)
        n_max = max(n_max, int(n.max()))
        x = np.arange(len(labels))
        width = 0.8 / len(columns)
        for i, col in enumerate(columns):
            pos = x - 0.4 + width * (i + 0.5)
            err = np.vstack([med[col] - q1[col], q3[col] - med[col]]) if (n > 1).any() else None
            style = {"hatch": "//", "edgecolor": "white"} if col == MIGRATION else {}
            ax.bar(pos, med[col].to_numpy(), width, color=colors[col], label=names[col], yerr=err, capsize=2,
                   **style)
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=30, ha="right")
        ax.set_ylabel("time per event (ms, mean over the events)")  # linear: bar lengths on a log axis mislead
        ax.set_xlabel("strategy")
        ax.set_ylim(bottom=0)
        ax.set_title(textwrap.fill(_setting_name(c, setting), 60), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    _legend_right(fig, axes, title="phase spans; critical path")
    _title(fig, "Where does migration time go? Each phase's span and the critical path per event", warning)
    caption = ("Per strategy, the mean per event of each phase's span over ranks (plan, counts, pack, exchange, "
               "apply: last end minus first start) and the critical path t_migrate (hatched). The spans overlap "
               "between ranks, so they do not add up to the critical path. Question: which phase dominates each "
               f"strategy's migration? Bars: {_spread_text(n_max)} (a sample is one repetition's mean).")
    return Drawn("phase_breakdown.png", fig, caption, warning=warning)


def draw_projected_time(c: Comparison) -> Drawn:
    """t_projected per strategy (one bar per cluster size): the event on a cluster of one node per machine."""
    t = c.table
    settings = c.settings[:MAX_PANELS]
    n_labels = t[t.setting.isin(settings)].groupby("setting").label.nunique().max()
    warning = _timing_warning(c, settings)
    fig, axes = _figure(len(settings), width=max(6.5, 0.9 * n_labels + 2.5), height=4.4)
    multi = bool((t.n > 1).any())
    for ax, setting in zip(axes, settings):
        rows = t[t.setting == setting]
        labels = list(dict.fromkeys(rows.label))
        sizes = sorted(rows["size"].unique())
        top = float(np.nanmax(rows.t_projected_q3.to_numpy(dtype=float))) if len(rows) else 0.0
        scale, unit = (1e6, "µs") if top < 1e-4 else (1e3, "ms")  # no column of 0.00xx ms
        shades = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, len(sizes)))
        x = np.arange(len(labels))
        width = 0.8 / len(sizes)
        for i, size in enumerate(sizes):
            r = rows[rows["size"] == size].set_index("label").reindex(labels)
            med = r.t_projected.to_numpy(dtype=float) * scale
            err = (np.vstack([med - r.t_projected_q1.to_numpy(dtype=float) * scale,
                              r.t_projected_q3.to_numpy(dtype=float) * scale - med]) if multi else None)
            events = r.events.dropna()
            text = f"{size}: {events.iloc[0]}" if len(events) and len(str(events.iloc[0])) <= 24 else str(size)
            ax.bar(x - 0.4 + width * (i + 0.5), med, width, yerr=err, capsize=2, color=shades[i], label=text)
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=30, ha="right")
        ax.set_xlabel("strategy")
        ax.set_ylabel(f"projected time per event ({unit})")
        ax.set_ylim(bottom=0)
        ax.set_title(textwrap.fill(_setting_name(c, setting), 60), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        if len(sizes) <= 12:
            _legend(ax, title=_size_name(c, setting).replace("cluster size ", "cluster size\n"))
    _title(fig, "How long would each event take on a real cluster? Projected migration time, one node per machine",
           warning)
    caption = ("The projected time of an event (t_projected: the busiest node's bytes over the network bandwidth "
               "plus a latency per peer, from the exact node-to-node traffic) per strategy and cluster size, mean "
               "over the events of that size. Question: which strategy would migrate fastest on a cluster of one "
               f"node per machine? {_network_caption(c)} Bars: {_spread_text(2 if multi else 1)}.")
    return Drawn("projected_time.png", fig, caption, warning=warning)


# ---------------------------------------------------------------- migration matrix

def _nice(x: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at least x."""
    if x <= 1:
        return 1
    k = 10 ** math.floor(math.log10(x))
    return next(m * k for m in (1, 2, 5, 10) if m * k >= x)


def _event_choice(event):
    if event is not None:
        return int(event)
    value = os.environ.get(EVENT_ENV, "").strip()
    return int(value) if value.lstrip("-").isdigit() else None


def draw_migration_matrix(c: Comparison, runs: list[Run], event: int | None = None) -> Drawn:
    """Heat maps of one event (repetition 0 of the first file that has it), every strategy, each panel on
    its own logarithmic colour scale."""
    event = _event_choice(event)
    run = next((r for r in runs if not r.events.empty and (event is None or (r.events.event == event).any())), None)
    if run is None:
        have = sorted({int(v) for r in runs if not r.events.empty for v in r.events.event.unique()})
        why = (f"no event {event} in the inputs (events: {', '.join(map(str, have))})" if event is not None and have
               else "no events to draw a migration matrix of")
        return Drawn("migration_matrix.png", None, note=f"migration matrix: {why}")
    chosen = int(run.events.event.min()) if event is None else event
    nodes = int(run.attrs.get("nodes", 0))
    level = "nodes" if all(run.traffic(lab, "nodes") is not None for lab in run.strategies) else "ranks"
    n = nodes if level == "nodes" else int(run.attrs.get("ranks", 1))
    group = _nice(math.ceil(n / MATRIX_CELLS))  # ids per cell: a large cluster is drawn in blocks of nodes
    cells = math.ceil(n / group)
    mats = []
    for label in run.strategies:
        ev = run.events[run.events.label == label].reset_index(drop=True)
        rows = ev.index[(ev.repetition == ev.repetition.min()) & (ev.event == chosen)]
        t = run.traffic(label, level)
        if not len(rows) or t is None:
            continue
        row = int(rows[0])
        m = np.zeros((cells, cells))
        sel = t[t["row"].astype(int) == row]
        np.add.at(m, (sel["from"].to_numpy(int) // group, sel["to"].to_numpy(int) // group),
                  sel["records" if level == "nodes" else "bytes"].to_numpy(float))
        mats.append((label, m, ev.iloc[row]))
    if not mats:
        return Drawn("migration_matrix.png", None, note=f"migration matrix: {run.path}: no traffic recorded")
    cols = 1 if len(mats) == 1 else 2 if len(mats) <= 4 else 3 if len(mats) <= 9 else 4
    rows = math.ceil(len(mats) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4.1 * rows + 1.0), squeeze=False, layout="constrained")
    for ax in list(axes.flat)[len(mats):]:
        ax.remove()
    unit = "records" if level == "nodes" else "bytes"
    for ax, (label, m, info) in zip(axes.flat, mats):
        positive = m[m > 0]
        if positive.size:
            # At least a decade per scale: a 10 % difference must not span the whole colour map.
            vmax = float(positive.max())
            vmin = min(float(positive.min()), vmax / 10)
            norm = LogNorm(vmin=vmin, vmax=vmax)
            im = ax.imshow(np.ma.masked_less_equal(m, 0), cmap="viridis", norm=norm, interpolation="nearest")
            bar = fig.colorbar(im, ax=ax, shrink=0.85)
            bar.set_label(f"{unit} sent (log; own scale)", fontsize=8)
            ticks = np.unique(np.round(np.geomspace(vmin, vmax, 4)))
            bar.set_ticks(ticks)
            bar.set_ticklabels([f"{t:,.0f}" for t in ticks])
            bar.ax.tick_params(labelsize=7)
            bar.ax.yaxis.set_minor_formatter(NullFormatter())
        else:
            ax.imshow(np.zeros_like(m), cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
            ax.text(0.5, 0.5, "nothing moved", transform=ax.transAxes, ha="center", va="center", color="gray")
        extra = (f"; keys_moved {int(info.keys_moved):,}" if level == "nodes" and int(info.keys_moved) != m.sum()
                 else "")
        ax.set_title(f"{label}: {m.sum():,.0f} {unit}{extra}", fontsize=9)
        who = level[:-1] if group == 1 else f"{level[:-1]} id (blocks of {group})"
        ax.set_xlabel(f"to {who}")
        ax.set_ylabel(f"from {who}")
        if cells <= 16:
            ax.set_xticks(range(cells))
            ax.set_yticks(range(cells))
        elif group > 1:  # ticks at round node ids, not block numbers
            ids = [v for v in MaxNLocator(5).tick_values(0, n) if 0 <= v < n]
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_ticks([v / group - 0.5 for v in ids])
                axis.set_ticklabels([f"{v:,.0f}" for v in ids], fontsize=7)
    detail = mats[0][2].detail
    kind = mats[0][2].kind
    what = ("records sent between nodes (moved records, and re-created copies sent from a surviving copy)"
            if level == "nodes" else "bytes sent between ranks")
    if group > 1:
        what += f", summed over blocks of {group} consecutive node ids"
    _title(fig, f"Who sends to whom? Event {chosen} ({kind}: {detail}) of {run.path.name}: {what}")
    caption = (f"The traffic of event {chosen} ({kind}: '{detail}', the first repetition) of {run.path.name}, one "
               f"panel per strategy: {what}, from the {level[:-1]} of the row to that of the column; white cells "
               "sent nothing. Each panel has its own logarithmic colour scale, so a strategy that sends little is "
               "as readable as one that sends much; compare totals by the panel titles. Question: does an event "
               "move data only to and from the nodes that changed, or does it reshuffle the whole cluster? "
               f"Another event: set {EVENT_ENV}=INDEX (or pass event=INDEX).")
    return Drawn("migration_matrix.png", fig, caption)


# ---------------------------------------------------------------- locks

LOCK_KEYS_HIST = ["algorithm", "workload", "ranks", "stripes", "reads"]
CV_FLOOR = 1e-3  # a coefficient of variation of 0 (perfectly fair) is drawn here on the log axis


def _lock_histograms(runs: list[Run]) -> pd.DataFrame | None:
    """Per (algorithm, workload, ranks, stripes, reads): the latency histograms of /locks/latency_histogram
    summed over the files' rows, with the exact min and max; None when no file has histograms."""
    import h5py
    rows = []
    for r in runs:
        if r.locks is None or r.locks.empty:
            continue
        try:
            with h5py.File(r.path, "r") as f:
                if "locks/latency_histogram" not in f:
                    continue
                d = f["locks/latency_histogram"]
                hist, attrs = d[:], dict(d.attrs)
        except OSError:
            continue
        min_exp = int(attrs.get("min_exponent", -10))
        sub = int(attrs.get("sub_buckets", 64))
        for i, lk in enumerate(r.locks.itertuples()):
            if i >= len(hist):  # a row whose histogram was not written (a run that died)
                break
            rows.append({"algorithm": lk.algorithm, "workload": lk.workload, "ranks": int(lk.ranks),
                         "stripes": int(lk.stripes), "reads": float(getattr(lk, "reads", 0.0)),
                         "counts": hist[i].astype(np.uint64),
                         "min": float(getattr(lk, "latency_min_us", 0.0)), "max": float(lk.latency_max_us),
                         "min_exponent": min_exp, "sub_buckets": sub})
    if not rows:
        return None
    out = []
    for key, g in pd.DataFrame(rows).groupby(LOCK_KEYS_HIST, sort=False):
        h = np.sum(np.stack(g["counts"].to_list()), axis=0)
        lo, hi = float(np.nanmin(g["min"])) if g["min"].notna().any() else 0.0, float(g["max"].max())
        me, sb = int(g.min_exponent.iloc[0]), int(g.sub_buckets.iloc[0])
        out.append({**dict(zip(LOCK_KEYS_HIST, key)),
                    **{f"p{q}": histogram_percentile(h, q / 100, lo, hi, me, sb) for q in (50, 90, 99)},
                    "max_us": hi})
    return pd.DataFrame(out)


def _lock_points(ax, x, y, q1, q3, n, over, color, ls, marker="o", label=None):
    """A series with IQR bars; its oversubscribed points hollow (the marker's edge only)."""
    x, y, q1, q3, n, over = map(np.asarray, (x, y, q1, q3, n, over))
    if not np.isfinite(y.astype(float)).any():  # e.g. fairness_cv of a file that predates it
        return
    _errorbar(ax, x, y, q1, q3, n, fmt=marker, linestyle=ls, color=color, label=label,
              markerfacecolor=color, markeredgecolor=color)
    if over.any():
        ax.plot(x[over], y[over], marker, color=color, markerfacecolor="white", markeredgewidth=1.5, markersize=6,
                linestyle="none", zorder=3)


def _ranks_axis(ax, all_ranks):
    ax.set_xscale("log", base=2)
    ax.set_xticks(all_ranks)
    ax.set_xticklabels([str(r) for r in all_ranks])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("MPI ranks taking part (log2)")
    ax.grid(alpha=0.3, which="both")


def _baseline_reads(locks: pd.DataFrame) -> pd.DataFrame:
    """Per workload the rows of its smallest read fraction (0, exclusive only, unless the file has none)."""
    low = locks.groupby("workload")["reads"].transform("min")
    return locks[locks.reads == low]


def _oversub_handles(locks: pd.DataFrame) -> list:
    if not locks.oversubscribed.any():
        return []
    return [Line2D([], [], color="k", marker="o", markerfacecolor="white", ls="none",
                   label="hollow: oversubscribed\n(not per-core)")]


def draw_lock_throughput(c: Comparison, runs: list[Run] | None = None, oversub: bool = False) -> Drawn:
    if c.locks is None:
        return Drawn("lock_throughput_vs_ranks.png", None,
                     note="lock throughput: no /locks data in the inputs, figure skipped")
    locks = _baseline_reads(c.locks)
    hist = _lock_histograms(runs or [])
    workloads = list(dict.fromkeys(locks.workload))[:6]
    algorithms = list(dict.fromkeys(c.locks.algorithm))
    colors = _colors(algorithms)
    oversub = oversub or bool(locks.oversubscribed.any())
    warning = OVERSUBSCRIBED if oversub else ""
    fig, axes = plt.subplots(len(workloads), 4, figsize=(19.0, 3.4 * len(workloads) + 1.3), squeeze=False,
                             layout="constrained")
    all_ranks = sorted(locks.ranks.unique())
    styles = {s: ["-", "--", ":", "-."][i % 4] for i, s in enumerate(sorted(locks.stripes.unique()))}
    multi_stripes = len(styles) > 1
    cv_clipped = False
    for row, workload in enumerate(workloads):
        w = locks[locks.workload == workload]
        ax_t, ax_l, ax_f, ax_c = axes[row]
        reads = float(w.reads.iloc[0])
        for (algorithm, stripes), r in w.groupby(["algorithm", "stripes"], sort=False):
            r = r.sort_values("ranks")
            ls = styles[stripes] if len(r) > 1 else "none"
            color = colors[algorithm]
            label = f"{algorithm}, {stripes} stripes" if multi_stripes else algorithm
            over = r.oversubscribed.to_numpy(dtype=bool)
            _lock_points(ax_t, r.ranks, r.acquisitions_per_second, r.acquisitions_per_second_q1,
                         r.acquisitions_per_second_q3, r.n, over, color, ls, label=label)
            _lock_points(ax_f, r.ranks, r.fairness, r.fairness_q1, r.fairness_q3, r.n, over, color, ls)
            cv = r.fairness_cv.to_numpy(dtype=float)
            cv_clipped = cv_clipped or bool((cv < CV_FLOOR).any())
            _lock_points(ax_c, r.ranks, np.maximum(cv, CV_FLOOR), np.maximum(r.fairness_cv_q1, CV_FLOOR),
                         np.maximum(r.fairness_cv_q3, CV_FLOOR), r.n, over, color, ls)
            h = None
            if hist is not None:
                h = hist[(hist.workload == workload) & (hist.algorithm == algorithm) & (hist.stripes == stripes)
                         & (hist.reads == reads)].sort_values("ranks")
            if h is not None and len(h):
                xs, p50, p99 = h.ranks, h.p50, h.p99
            else:
                xs, p50, p99 = r.ranks, r.latency_p50_us, r.latency_p99_us
            hollow = np.isin(np.asarray(xs), r.ranks[r.oversubscribed].to_numpy())
            for ys, marker, line in ((p50, "o", ls), (p99, "^", ":")):
                ys = np.asarray(ys, dtype=float)
                ax_l.plot(xs, ys, marker=marker, ls=line if len(xs) > 1 else "none", color=color,
                          alpha=1.0 if marker == "o" else 0.8)
                if hollow.any():
                    ax_l.plot(np.asarray(xs)[hollow], ys[hollow], marker, color=color, markerfacecolor="white",
                              markeredgewidth=1.5, markersize=6, linestyle="none", zorder=3)
        for ax in (ax_t, ax_l, ax_f, ax_c):
            _ranks_axis(ax, all_ranks)
            ax.set_yscale("log")
        for ax in (ax_t, ax_l):
            _log_ticks(ax)
        ax_t.set_ylabel("acquisitions per second (log)")
        ax_l.set_ylabel("acquire latency (µs, log)")
        ax_f.set_ylabel("fairness: max / min rate\nover ranks (log; 1 = fair)")
        ax_f.axhline(1.0, color="k", ls="--", lw=1)
        lo, hi = ax_f.get_ylim()
        ax_f.set_ylim(0.9, max(hi, 2.0))
        _log_ticks(ax_f)
        ax_c.set_ylabel("fairness: CV of rates\n(stddev / mean, log; 0 = fair)")
        _log_ticks(ax_c)
        mix = "" if reads == 0 else f", reads {reads:g}"
        ax_t.set_title(f"{workload}{mix}: throughput", fontsize=10)
        ax_l.set_title(f"{workload}{mix}: latency p50 (o), p99 (^)", fontsize=10)
        ax_f.set_title(f"{workload}{mix}: fairness max / min", fontsize=10)
        ax_c.set_title(f"{workload}{mix}: fairness CV", fontsize=10)
    handles = [Line2D([], [], color=colors[a], marker="o", label=a) for a in algorithms]
    handles += [Line2D([], [], color="k", marker="o", ls="-", label="p50 latency"),
                Line2D([], [], color="k", marker="^", ls=":", label="p99 latency")]
    handles += _oversub_handles(locks)
    _legend(axes[0, 3], handles=handles, title="lock algorithm")
    _title(fig, "How do the locks scale? Throughput, acquire latency and fairness against ranks, per workload",
           warning)
    source = ("percentiles of the merged latency histograms (/locks/latency_histogram, nearest rank)"
              if hist is not None else "the stored per-row percentiles (the files hold no histograms)")
    n_max = int(locks.n.max())
    caption = ("Per lock workload (rows; exclusive acquisitions only, reads = 0, where the file has them) and "
               "algorithm: acquisitions per second over all ranks, the p50 and p99 time of one acquire "
               f"({source}), and the fairness of the per-rank acquisition rates (acquisitions / that rank's "
               "seconds) as max / min and as coefficient of variation, against the ranks taking part, log2 x and "
               "log y. Question: which lock keeps its throughput and latency as ranks are added, and does it "
               f"starve some ranks? Hollow points: oversubscribed rows (more ranks than hardware threads on a "
               f"host). Points: {_spread_text(n_max)}."
               + (f" A CV of 0 is drawn at {CV_FLOOR:g}." if cv_clipped else ""))
    return Drawn("lock_throughput_vs_ranks.png", fig, caption, warning=warning)


def draw_lock_rw_mix(c: Comparison, oversub: bool = False) -> Drawn:
    """Throughput against the read fraction, per algorithm, at the largest rank count of each workload that
    has more than one read fraction."""
    name = "lock_rw_mix.png"
    if c.locks is None:
        return Drawn(name, None, note="lock reader-writer mix: no /locks data in the inputs, figure skipped")
    locks = c.locks
    panels = []
    for workload in dict.fromkeys(locks.workload):
        w = locks[locks.workload == workload]
        if w.reads.nunique() < 2:
            continue
        ranks = int(w.ranks.max())
        panels.append((workload, ranks, w[w.ranks == ranks]))
    if not panels:
        return Drawn(name, None, note="lock reader-writer mix: one read fraction per workload, figure skipped")
    algorithms = list(dict.fromkeys(locks.algorithm))
    colors = _colors(algorithms)
    markers = _markers(algorithms)
    fig, axes = plt.subplots(2, len(panels), figsize=(6.2 * len(panels) + 2.4, 8.4), squeeze=False,
                             layout="constrained")
    any_over = False
    for col, (workload, ranks, w) in enumerate(panels):
        fractions = sorted(w.reads.unique())
        pos = {f: i for i, f in enumerate(fractions)}
        ax_t, ax_f = axes[0, col], axes[1, col]
        stripes = sorted(w.stripes.unique())
        for i, ((algorithm, st), r) in enumerate(w.groupby(["algorithm", "stripes"], sort=False)):
            r = r.sort_values("reads")
            x = r.reads.map(pos).to_numpy(dtype=float) + _dodge(algorithms.index(algorithm), len(algorithms), 0.3)
            over = r.oversubscribed.to_numpy(dtype=bool)
            any_over = any_over or bool(over.any())
            ls = ["-", "--", ":", "-."][stripes.index(st) % 4]
            _lock_points(ax_t, x, r.acquisitions_per_second, r.acquisitions_per_second_q1,
                         r.acquisitions_per_second_q3, r.n, over, colors[algorithm], ls, marker=markers[algorithm])
            _lock_points(ax_f, x, r.latency_p99_us, r.latency_p99_us_q1, r.latency_p99_us_q3, r.n, over,
                         colors[algorithm], ls, marker=markers[algorithm])
        for ax in (ax_t, ax_f):
            ax.set_xticks(range(len(fractions)))
            ax.set_xticklabels([f"{f:g}" for f in fractions])
            ax.set_xlim(-0.5, len(fractions) - 0.5)
            ax.set_xlabel("fraction of acquisitions taken in shared (read) mode (categories)")
            ax.set_yscale("log")
            _log_ticks(ax)
            ax.grid(alpha=0.3, which="both")
        ax_t.set_ylabel("acquisitions per second (log)")
        ax_f.set_ylabel("acquire latency p99 (µs, log)")
        ax_t.set_title(f"{workload} at {ranks} ranks: throughput", fontsize=10)
        ax_f.set_title(f"{workload} at {ranks} ranks: p99 latency", fontsize=10)
    handles = [Line2D([], [], color=colors[a], marker=markers[a], label=a) for a in algorithms]
    handles += _oversub_handles(locks) if any_over else []
    _legend(axes[0, -1], handles=handles, title="lock algorithm")
    warning = OVERSUBSCRIBED if (oversub or any_over) else ""
    _title(fig, "Do readers share? Throughput and p99 acquire latency vs the read fraction", warning)
    n_max = int(max(int(w.n.max()) for _, _, w in panels))
    caption = ("Per workload with several read fractions (columns), at its largest rank count: acquisitions per "
               "second over all ranks (top) and the p99 time of one acquire (bottom, the stored per-row "
               "percentile) against the fraction of acquisitions taken in shared mode, per lock algorithm. A "
               "reader-writer lock should gain throughput as reads grow; an exclusive lock treats a read as a "
               "write and stays flat. Hollow points: oversubscribed rows. Points: "
               f"{_spread_text(n_max)}.")
    return Drawn(name, fig, caption, warning=warning)


# ---------------------------------------------------------------- saving

def save(d: Drawn, out: Path) -> Path | None:
    """Writes the PNG with its caption (and warning) in the metadata; closes the figure."""
    if d.fig is None:
        return None
    fig = d.fig
    metadata = {"Description": d.caption}
    if d.warning:
        fig.canvas.draw()  # lays the figure out, so the title's place is known
        box = fig._suptitle.get_window_extent()
        fig.text(0.5, box.y0 / fig.bbox.height, d.warning, ha="center", va="bottom", color="#b00000", fontsize=11,
                 fontweight="bold")
        metadata["Warning"] = d.warning
    path = Path(out) / d.name
    fig.savefig(path, dpi=DPI, metadata=metadata)
    plt.close(fig)
    return path


def caption_of(path: Path) -> str:
    """The caption save() stored in a PNG ("" when it has none)."""
    from PIL import Image
    try:
        with Image.open(path) as im:
            return str(im.info.get("Description", ""))
    except OSError:
        return ""


def _saved(d: Drawn, out: Path):
    return save(d, out), d.note


# Draw and save one figure: (path or None, note); the tests call these two.
def moved_fraction(c: Comparison, out: Path):
    return _saved(draw_moved_fraction(c), out)


def projected_time(c: Comparison, out: Path):
    return _saved(draw_projected_time(c), out)


def draw_all(c: Comparison, runs: list[Run], event: int | None = None):
    """Every figure, in the report's order, one at a time (a figure with nothing to draw has fig None and
    a note); save() or plt.close() each before the next is drawn."""
    if not c.events.empty:
        yield draw_moved_fraction(c)
        yield draw_disruption(c)
        yield draw_peak_to_mean(c)
        yield draw_bytes_vs_keys(c)
        yield draw_request_balance(c)
        yield draw_timeline(c)
        yield draw_load_vs_weight(c, runs)
        yield draw_failures(c)
        yield draw_migration_time(c)
        yield draw_phase_breakdown(c)
        yield draw_projected_time(c)
        yield draw_migration_matrix(c, runs, event)
    locks_oversub = any(oversubscribed(r) for r in runs if r.locks is not None and not r.locks.empty)
    yield draw_lock_throughput(c, runs, locks_oversub)
    yield draw_lock_rw_mix(c, locks_oversub)


QUIET_NOTES = ("timeline:", "load vs weight: no input", "failures: no fail", "bytes vs keys moved: every",
               "request balance: no input",
               "lock reader-writer mix:")  # figures that apply to some inputs only


def all_figures(c: Comparison, runs: list[Run], out: Path, event: int | None = None) -> tuple[list[Path], list[str]]:
    """Every figure; returns the files written and a note for each figure skipped (figures that only some
    experiments have are skipped without a note)."""
    written, notes = [], []
    for d in draw_all(c, runs, event):
        path = save(d, out)
        if path is not None:
            written.append(path)
        if d.note and not (path is None and d.note.startswith(QUIET_NOTES)):
            notes.append(d.note)
    return written, notes
