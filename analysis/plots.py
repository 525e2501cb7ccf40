"""Figures of a comparison, one PNG each (matplotlib, Agg backend: no display needed).

Every function returns the file it wrote, or None with the reason it wrote none.
With one cluster size a figure shows points (a line needs two sizes).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402

from .compare import MIGRATION, OVERSUBSCRIBED, PHASES, Comparison, oversubscribed  # noqa: E402
from .reader import Run  # noqa: E402

DPI = 100
MAX_PANELS = 9
PHASE_NAMES = {"t_plan": "plan", "t_counts": "counts", "t_pack": "pack", "t_exchange": "exchange",
               "t_apply": "apply"}
MIGRATION_NAME = "migration: critical path (t_migrate)"


def _colors(labels):
    cmap = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20")
    return {label: cmap(i % cmap.N) for i, label in enumerate(labels)}


def _panels(n: int, width: float = 6.4, height: float = 4.4, layout=None):
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, layout=layout)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _warn(fig):
    """Draws the oversubscription warning in red on the title's free second line, and records it in the
    PNG's metadata (key "Warning")."""
    note = getattr(fig, "_ringsim_warning", "")
    if not note:
        return {}
    fig.canvas.draw()
    box = fig._suptitle.get_window_extent()
    fig.text(0.5, box.y0 / fig.bbox.height, note, ha="center", va="bottom", color="#b00000", fontsize=11,
             fontweight="bold")
    return {"Warning": note}


def _save(fig, path: Path, tight: bool = True) -> Path:
    if tight:
        fig.tight_layout()
    metadata = _warn(fig)
    fig.savefig(path, dpi=DPI, metadata=metadata)
    plt.close(fig)
    return path


def _suptitle(fig, title: str, oversub: bool):
    """The figure's title; with oversub, a second line is kept free for the warning that _save draws."""
    width = int(fig.get_figwidth() * 10.5)  # characters that fit at the title's 12 pt
    fig.suptitle(textwrap.fill(title, width) + ("\n " if oversub else ""))
    fig._ringsim_warning = OVERSUBSCRIBED if oversub else ""


def _timing_oversub(c: Comparison, settings) -> bool:
    return any(c.timing_note(s) for s in settings)


def _settings(c: Comparison) -> list[str]:
    return c.settings[:MAX_PANELS]


def _size_label(c: Comparison, setting: str) -> str:
    if c.size_source.get(setting) == "nodes":
        return "cluster size (ring nodes in the run)"
    return "cluster size (active nodes after the event)"


def _panel_title(c: Comparison, setting: str, extra: str = "") -> str:
    """The setting, or the experiment's name when all inputs are one setting."""
    name = setting or ", ".join(dict.fromkeys(c.events[c.events.setting == setting].experiment))
    return f"{name}: {extra}" if extra else name


def _median_text(c: Comparison) -> str:
    """How a bar's height comes from the samples."""
    if not (c.table.n > 1).any():
        return "one repetition"
    over = "repetitions and files" if c.events.file.nunique() > 1 else "repetitions"
    return f"median over {over}, IQR bars"


def _spread(c: Comparison) -> str:
    return " (median, IQR bars)" if (c.table.n > 1).any() else ""


def _legend(ax, **kw):
    """Legend beside the panel, never on the data."""
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kw)


def _size_tick(rows, size) -> str:
    """'4' and under it the events that reached that size, when the strategies agree on them."""
    events = set(rows[rows["size"] == size].events)
    text = next(iter(events)) if len(events) == 1 else ""
    return f"{size}\n{text}" if text and len(text) <= 24 else str(size)


def _by_size(c: Comparison, metric: str, path: Path, title: str, ylabel: str, reference,
             from_zero: bool = False) -> tuple:
    t = c.table
    colors = _colors(list(dict.fromkeys(t.label)))
    settings = _settings(c)
    fig, axes = _panels(len(settings), width=8.0)
    single, mixed = True, False
    for ax, setting in zip(axes, settings):
        rows = t[t.setting == setting]
        sizes = sorted(rows["size"].unique())
        single &= len(sizes) == 1
        # A line joins sizes reached by one kind of event; add and remove events are not one trend.
        kinds = c.events[c.events.setting == setting].kind.nunique()
        mixed |= len(sizes) > 1 and kinds > 1
        style = "o-" if len(sizes) > 1 and kinds == 1 else "o"
        for label, r in rows.groupby("label", sort=False):
            r = r.sort_values("size")
            err = np.vstack([r[metric] - r[metric + "_q1"], r[metric + "_q3"] - r[metric]])
            ax.errorbar(r["size"], r[metric], yerr=err if (r.n > 1).any() else None, fmt=style,
                        color=colors[label], label=label, capsize=3, markersize=5)
        reference(ax, rows, sizes, style == "o-")
        ax.set_xlabel(_size_label(c, setting))
        ax.set_ylabel(ylabel)
        ax.set_xticks(sizes)
        ax.set_xticklabels([_size_tick(rows, size) for size in sizes], fontsize=8)
        if from_zero:  # a time or a fraction from 0: a zoomed axis would make 1 % look like a factor
            top = float(np.nanmax((rows[metric + "_q3"] if (rows.n > 1).any() else rows[metric]).to_numpy()))
            ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        ax.grid(alpha=0.3)
        ax.set_title(_panel_title(c, setting, rows.events.iloc[0] if len(sizes) == 1 else ""), fontsize=10)
        _legend(ax)
    suffix = (" (one cluster size: points)" if single
              else " (points: the sizes come from different event kinds)" if mixed else "")
    _suptitle(fig, title + suffix, False)  # movement and balance: no timing
    return _save(fig, path), None


def moved_fraction(c: Comparison, out: Path):
    def fair_share(ax, rows, sizes, joined):
        ideal = rows.groupby("size").ideal_fraction.median().reindex(sizes)
        label = "fair share (keys_ideal / records)"
        if not joined:
            ax.plot(sizes, ideal.values, "k_", markersize=30, mew=2)
            ax.plot([], [], "k-", lw=2, label=label)  # a legend entry of normal size for the wide markers
        else:
            ax.plot(sizes, ideal.values, "k--", lw=1.5, zorder=5, label=label)
    return _by_size(c, "moved_fraction", out / "moved_fraction_vs_nodes.png",
                    "Fraction of records moved per event, by cluster size" + _spread(c),
                    "moved fraction (records moved / records)", fair_share, from_zero=True)


def disruption(c: Comparison, out: Path):
    def fewest(ax, rows, sizes, joined):
        ax.axhline(1.0, color="k", ls="--", lw=1, label="fewest moves to the new loads (1.0)")
        if rows.disruption.max() > 10:  # modulo-like outliers would flatten the rest
            ax.set_yscale("log")
    return _by_size(c, "disruption", out / "disruption_vs_nodes.png",
                    "Disruption per event: records moved over the fewest moves that reach the strategy's new "
                    "loads (keys_moved / keys_min)" + _spread(c), "disruption (ratio, >= 1)", fewest)


def peak_to_mean(c: Comparison, out: Path):
    def perfect(ax, rows, sizes, joined):
        ax.axhline(1.0, color="k", ls="--", lw=1, label="perfect balance (1.0)")
    return _by_size(c, "load_peak_to_mean", out / "peak_to_mean_vs_nodes.png",
                    "Load balance after each event: fullest node over its fair share" + _spread(c),
                    "peak-to-mean load (ratio)", perfect)


def _network_caption(c: Comparison) -> str:
    assumption = ("full bisection bandwidth, no overlap of messages beyond full duplex, one NIC per node. The "
                  "busiest node's transfer time: a strategy that spreads more traffic over more nodes can tie one "
                  "that moves less (total traffic: bytes moved in the tables)")
    if len(c.networks) == 1:
        return f"Network assumed: {next(iter(c.networks))}; {assumption}."
    per_file = "; ".join(f"{net} ({len(files)} file{'s' if len(files) > 1 else ''})"
                         for net, files in c.networks.items())
    return f"Networks assumed (they differ between files): {per_file}; {assumption}."


def projected_time(c: Comparison, out: Path):
    """t_projected per strategy (one bar per cluster size): the event on a cluster of one node per machine."""
    t = c.table
    settings = _settings(c)
    n_labels = t[t.setting.isin(settings)].groupby("setting").label.nunique().max()
    fig, axes = _panels(len(settings), width=max(8.0, 1.0 * n_labels + 3.5))
    multi = bool((t.n > 1).any())
    for ax, setting in zip(axes, settings):
        rows = t[t.setting == setting]
        labels = list(dict.fromkeys(rows.label))
        sizes = sorted(rows["size"].unique())
        shades = plt.get_cmap("viridis")(np.linspace(0.15, 0.85, len(sizes)))
        x = np.arange(len(labels))
        width = 0.8 / len(sizes)
        for i, size in enumerate(sizes):
            r = rows[rows["size"] == size].set_index("label").reindex(labels)
            med = r.t_projected.to_numpy(dtype=float) * 1e3
            err = (np.vstack([med - r.t_projected_q1.to_numpy(dtype=float) * 1e3,
                              r.t_projected_q3.to_numpy(dtype=float) * 1e3 - med]) if multi else None)
            ax.bar(x - 0.4 + width * (i + 0.5), med, width, yerr=err, capsize=2, color=shades[i],
                   label=_size_tick(rows, size).replace("\n", ": "))
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=30, ha="right")
        ax.set_xlabel("strategy")
        ax.set_ylabel("projected time per event (ms)")
        ax.set_title(_panel_title(c, setting), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        _legend(ax, title=_size_label(c, setting).replace("cluster size ", "cluster size\n"))
    spread = _median_text(c)
    _suptitle(fig, f"Projected migration time per event on a cluster of one node per machine ({spread})",
              _timing_oversub(c, settings))
    fig.text(0.01, 0.005, _network_caption(c), ha="left", va="bottom", fontsize=8, wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, out / "projected_time.png", tight=False), None


def migration_time(c: Comparison, out: Path):
    ev = c.events
    colors = _colors(list(dict.fromkeys(ev.label)))
    settings = _settings(c)
    fig, axes = _panels(len(settings), width=8.0)
    for ax, setting in zip(axes, settings):
        e = ev[ev.setting == setting]
        x = e.keys_moved.to_numpy(dtype=float)
        y = e[MIGRATION].to_numpy(dtype=float) * 1e3
        for label in dict.fromkeys(e.label):
            m = (e.label == label).to_numpy()
            ax.scatter(x[m], y[m], s=18, color=colors[label], label=label, alpha=0.8)
        if (x > 0).all() and x.max() / x.min() > 20:
            ax.set_xscale("log")
        if (y > 0).all() and y.max() / y.min() > 20:
            ax.set_yscale("log")
        ax.set_xlabel("records moved in the event")
        ax.set_ylabel("migration time, critical path t_migrate (ms)")
        ax.set_title(_panel_title(c, setting), fontsize=10)
        ax.grid(alpha=0.3)
        _legend(ax)
    _suptitle(fig, "Migration time (critical path) against records moved, one point per event and repetition",
              _timing_oversub(c, settings))
    return _save(fig, out / "migration_time_vs_keys.png"), None


def phase_breakdown(c: Comparison, out: Path):
    """Each phase's span and the critical path side by side per strategy: the spans are maxima over ranks
    that overlap, so stacking them would claim a migration time that was never measured."""
    ev = c.events
    settings = _settings(c)
    columns = PHASES + [MIGRATION]
    names = {**PHASE_NAMES, MIGRATION: MIGRATION_NAME}
    colors = dict(zip(PHASES, plt.get_cmap("Set2").colors))
    colors[MIGRATION] = "#333333"
    n_labels = ev[ev.setting.isin(settings)].groupby("setting").label.nunique().max()
    fig, axes = _panels(len(settings), width=max(8.0, 1.1 * n_labels + 3.5), height=5.0)
    multi = False
    for ax, setting in zip(axes, settings):
        e = ev[ev.setting == setting]
        per_sample = e.groupby(["label", "file", "repetition"], sort=False)[columns].mean() * 1e3
        labels = list(dict.fromkeys(e.label))
        grouped = per_sample.groupby(level="label", sort=False)
        med = grouped.median().reindex(labels)
        q1, q3 = grouped.quantile(0.25).reindex(labels), grouped.quantile(0.75).reindex(labels)
        n = grouped.size().reindex(labels)
        multi |= bool((n > 1).any())
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
        ax.set_title(_panel_title(c, setting), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        _legend(ax, title="phase spans; critical path")
    spread = _median_text(c)
    _suptitle(fig, f"Each phase's span and the critical path per event ({spread}); the spans overlap, they do not "
                   "add up to the migration time", _timing_oversub(c, settings))
    return _save(fig, out / "phase_breakdown.png"), None


def migration_matrix(c: Comparison, runs: list[Run], out: Path):
    """Heat maps of the first event of the first file (repetition 0), one panel per strategy."""
    run = next((r for r in runs if not r.events.empty), None)
    if run is None:
        return None, "no events to draw a migration matrix of"
    level = "nodes" if all(run.migration(l, "nodes") is not None for l in run.strategies) else "ranks"
    mats, titles = [], []
    for label in run.strategies[:12]:
        m = run.migration(label, level)
        ev = run.events[run.events.label == label].reset_index(drop=True)
        if m is None or ev.empty:
            continue
        row = ev.index[(ev.repetition == 0)][0]
        mats.append(np.asarray(m[row], dtype=float))
        titles.append(label)
        detail = ev.detail[row]
    if not mats:
        return None, f"{run.path}: no migration matrices recorded"
    vmax = max(float(m.max()) for m in mats) or 1.0
    fig, axes = _panels(len(mats), width=4.2, height=3.8, layout="constrained")
    for ax, m, title in zip(axes, mats, titles):
        im = ax.imshow(m, cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{title}: {m.sum():.0f} {'records' if level == 'nodes' else 'bytes'}", fontsize=9)
        ax.set_xlabel(f"to {level[:-1]}")
        ax.set_ylabel(f"from {level[:-1]}")
        if m.shape[0] <= 16:
            ax.set_xticks(range(m.shape[0]))
            ax.set_yticks(range(m.shape[0]))
    unit = "records moved" if level == "nodes" else "bytes sent between ranks"
    fig.colorbar(im, ax=axes, shrink=0.8, label=unit)
    fig.suptitle(f"Migration matrix of event 0 ('{detail}', repetition 0) of {run.path.name}: {unit} "
                 f"from {level[:-1]} (row) to {level[:-1]} (column)", fontsize=10)
    fig.savefig(out / "migration_matrix.png", dpi=DPI)  # colorbar across axes: constrained layout
    plt.close(fig)
    return out / "migration_matrix.png", None


def lock_throughput(c: Comparison, out: Path, oversub: bool = False):
    if c.locks is None:
        return None, "lock throughput: no /locks data in the inputs, figure skipped"
    locks = c.locks
    workloads = list(dict.fromkeys(locks.workload))[:MAX_PANELS]
    colors = _colors(list(dict.fromkeys(locks.algorithm)))
    fig, axes = _panels(len(workloads))
    single = True
    for ax, workload in zip(axes, workloads):
        w = locks[locks.workload == workload]
        multi_stripes = w.stripes.nunique() > 1
        stripe_styles = {s: ["-", "--", ":", "-."][i % 4] for i, s in enumerate(sorted(w.stripes.unique()))}
        for (algorithm, stripes), r in w.groupby(["algorithm", "stripes"], sort=False):
            r = r.sort_values("ranks")
            single &= len(r) == 1
            err = np.vstack([r.acquisitions_per_second - r.acquisitions_per_second_q1,
                             r.acquisitions_per_second_q3 - r.acquisitions_per_second])
            style = {"fmt": "o"} if len(r) == 1 else {"fmt": "o", "linestyle": stripe_styles[stripes]}
            label = f"{algorithm}, {stripes} stripes" if multi_stripes else algorithm
            ax.errorbar(r.ranks, r.acquisitions_per_second, yerr=err if (r.n > 1).any() else None,
                        color=colors[algorithm], capsize=3, label=label, **style)
        ax.set_xlabel("MPI ranks")
        ax.set_ylabel("lock acquisitions per second")
        top = float(np.nanmax(np.maximum(w.acquisitions_per_second, w.acquisitions_per_second_q3)))
        # Throughputs compare as ratios: an axis from 0 keeps 10 % looking like 10 %.
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)
        ax.set_xticks(sorted(w.ranks.unique()))
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.grid(alpha=0.3)
        _legend(ax)
    spread = " (median, IQR bars)" if (locks.n > 1).any() else ""
    _suptitle(fig, "Lock throughput against ranks per algorithm" + spread +
              (" (one rank count: points)" if single else ""), oversub)
    return _save(fig, out / "lock_throughput_vs_ranks.png"), None


def all_figures(c: Comparison, runs: list[Run], out: Path) -> tuple[list[Path], list[str]]:
    """Every figure; returns the files written and a note for each figure skipped."""
    written, notes = [], []
    if len(c.settings) > MAX_PANELS:
        notes.append(f"figures show the first {MAX_PANELS} of {len(c.settings)} settings")
    for make in (moved_fraction, disruption, peak_to_mean, migration_time, phase_breakdown, projected_time):
        path, note = make(c, out)
        written += [path] if path else []
        notes += [note] if note else []
    locks_oversub = any(oversubscribed(r) for r in runs if r.locks is not None and not r.locks.empty)
    for path, note in (migration_matrix(c, runs, out), lock_throughput(c, out, locks_oversub)):
        written += [path] if path else []
        notes += [note] if note else []
    return written, notes
