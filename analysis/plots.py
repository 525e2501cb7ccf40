"""Figures of a comparison, one PNG each (matplotlib, Agg backend: no display needed).

Every function returns the file it wrote, or None with the reason it wrote none.
With one cluster size a figure shows points (a line needs two sizes).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
import numpy as np  # noqa: E402

from .compare import PHASES, Comparison  # noqa: E402
from .reader import Run  # noqa: E402

DPI = 100
MAX_PANELS = 9
PHASE_NAMES = {"t_plan": "plan", "t_pack": "pack", "t_exchange": "exchange", "t_apply": "apply"}


def _colors(labels):
    cmap = plt.get_cmap("tab10" if len(labels) <= 10 else "tab20")
    return {label: cmap(i % cmap.N) for i, label in enumerate(labels)}


def _panels(n: int, width: float = 6.4, height: float = 4.4):
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


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


def _spread(c: Comparison) -> str:
    return " (median, IQR bars)" if (c.table.n > 1).any() else ""


def _by_size(c: Comparison, metric: str, path: Path, title: str, ylabel: str, reference) -> tuple:
    t = c.table
    colors = _colors(list(dict.fromkeys(t.label)))
    settings = _settings(c)
    fig, axes = _panels(len(settings))
    single = True
    for ax, setting in zip(axes, settings):
        rows = t[t.setting == setting]
        sizes = sorted(rows["size"].unique())
        single &= len(sizes) == 1
        style = "o" if len(sizes) == 1 else "o-"
        for label, r in rows.groupby("label", sort=False):
            r = r.sort_values("size")
            err = np.vstack([r[metric] - r[metric + "_q1"], r[metric + "_q3"] - r[metric]])
            ax.errorbar(r["size"], r[metric], yerr=err if (r.n > 1).any() else None, fmt=style,
                        color=colors[label], label=label, capsize=3, markersize=5)
        reference(ax, rows, sizes)
        ax.set_xlabel(_size_label(c, setting))
        ax.set_ylabel(ylabel)
        ax.set_xticks(sizes)
        ax.grid(alpha=0.3)
        ax.set_title(_panel_title(c, setting, rows.events.iloc[0] if len(sizes) == 1 else ""), fontsize=10)
        ax.legend(fontsize=8, ncol=2)
    suffix = " (one cluster size: points)" if single else ""
    fig.suptitle(title + suffix)
    return _save(fig, path), None


def moved_fraction(c: Comparison, out: Path):
    def optimal(ax, rows, sizes):
        opt = rows.groupby("size").optimal_fraction.median().reindex(sizes)
        if len(sizes) == 1:
            ax.plot(sizes, opt.values, "k_", markersize=30, mew=2, label="optimal (fewest any placement moves)")
        else:
            ax.plot(sizes, opt.values, "k--", lw=1.5, zorder=5, label="optimal (fewest any placement moves)")
    return _by_size(c, "moved_fraction", out / "moved_fraction_vs_nodes.png",
                    "Fraction of keys moved per event, by cluster size" + _spread(c),
                    "moved fraction (keys moved / keys)", optimal)


def peak_to_mean(c: Comparison, out: Path):
    def perfect(ax, rows, sizes):
        ax.axhline(1.0, color="k", ls="--", lw=1, label="perfect balance (1.0)")
    return _by_size(c, "load_peak_to_mean", out / "peak_to_mean_vs_nodes.png",
                    "Load balance after each event: fullest node over the mean" + _spread(c),
                    "peak-to-mean load (keys)", perfect)


def migration_time(c: Comparison, out: Path):
    ev = c.events
    colors = _colors(list(dict.fromkeys(ev.label)))
    settings = _settings(c)
    fig, axes = _panels(len(settings))
    for ax, setting in zip(axes, settings):
        e = ev[ev.setting == setting]
        x = e.keys_moved.to_numpy(dtype=float)
        y = e[PHASES].sum(axis=1).to_numpy() * 1e3
        for label in dict.fromkeys(e.label):
            m = (e.label == label).to_numpy()
            ax.scatter(x[m], y[m], s=18, color=colors[label], label=label, alpha=0.8)
        if (x > 0).all() and x.max() / x.min() > 20:
            ax.set_xscale("log")
        if (y > 0).all() and y.max() / y.min() > 20:
            ax.set_yscale("log")
        ax.set_xlabel("keys moved in the event (records)")
        ax.set_ylabel("migration time: plan + pack + exchange + apply (ms)")
        ax.set_title(_panel_title(c, setting), fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncol=2)
    fig.suptitle("Migration time against keys moved, one point per event and repetition")
    return _save(fig, out / "migration_time_vs_keys.png"), None


def phase_breakdown(c: Comparison, out: Path):
    ev = c.events
    settings = _settings(c)
    fig, axes = _panels(len(settings), width=max(6.4, 0.9 * ev.label.nunique() + 2))
    phase_colors = dict(zip(PHASES, plt.get_cmap("Set2").colors))
    for ax, setting in zip(axes, settings):
        e = ev[ev.setting == setting]
        per_sample = e.groupby(["label", "file", "repetition"], sort=False)[PHASES].mean()
        med = per_sample.groupby(level="label", sort=False).median() * 1e3
        labels = list(dict.fromkeys(e.label))
        med = med.reindex(labels)
        bottom = np.zeros(len(labels))
        for phase in PHASES:
            ax.bar(labels, med[phase].to_numpy(), bottom=bottom, color=phase_colors[phase],
                   label=PHASE_NAMES[phase])
            bottom += med[phase].to_numpy()
        ax.set_ylabel("time per event (ms, max over ranks; median)")
        ax.set_xlabel("strategy")
        ax.tick_params(axis="x", rotation=30)
        ax.set_title(_panel_title(c, setting), fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(title="phase", fontsize=8)
    fig.suptitle("Where migration time goes: phases per event, stacked")
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
    fig, axes = _panels(len(mats), width=4.2, height=3.8)
    for ax, m, title in zip(axes, mats, titles):
        im = ax.imshow(m, cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{title}: {m.sum():.0f} {'keys' if level == 'nodes' else 'bytes'}", fontsize=9)
        ax.set_xlabel(f"to {level[:-1]}")
        ax.set_ylabel(f"from {level[:-1]}")
        if m.shape[0] <= 16:
            ax.set_xticks(range(m.shape[0]))
            ax.set_yticks(range(m.shape[0]))
    unit = "keys moved" if level == "nodes" else "bytes sent"
    fig.colorbar(im, ax=axes, shrink=0.8, label=unit)
    fig.suptitle(f"Migration matrix of event 0 ('{detail}', repetition 0) of {run.path.name}: {unit} "
                 f"from {level[:-1]} (row) to {level[:-1]} (column)", fontsize=10)
    fig.savefig(out / "migration_matrix.png", dpi=DPI)  # colorbar across axes: no tight_layout
    plt.close(fig)
    return out / "migration_matrix.png", None


def lock_throughput(c: Comparison, out: Path):
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
        ax.set_xticks(sorted(w.ranks.unique()))
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Lock throughput against ranks per algorithm (median, IQR bars)" +
                 (" (one rank count: points)" if single else ""))
    return _save(fig, out / "lock_throughput_vs_ranks.png"), None


def all_figures(c: Comparison, runs: list[Run], out: Path) -> tuple[list[Path], list[str]]:
    """Every figure; returns the files written and a note for each figure skipped."""
    written, notes = [], []
    if len(c.settings) > MAX_PANELS:
        notes.append(f"figures show the first {MAX_PANELS} of {len(c.settings)} settings")
    for make in (moved_fraction, peak_to_mean, migration_time, phase_breakdown):
        path, note = make(c, out)
        written += [path] if path else []
        notes += [note] if note else []
    for path, note in (migration_matrix(c, runs, out), lock_throughput(c, out)):
        written += [path] if path else []
        notes += [note] if note else []
    return written, notes
