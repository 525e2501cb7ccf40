"""The figures' content, checked through their matplotlib objects on files the real ringsim wrote:
panels, one series per strategy, axis labels and scales, legends beside the data, captions."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, run_ringsim

from analysis import plots
from analysis.compare import OVERSUBSCRIBED, compare
from analysis.reader import load
from analysis.stats import summarize


@pytest.fixture(scope="module")
def files(tmp_path_factory, default_result, replicated_zipf_result):
    d = tmp_path_factory.mktemp("plots")
    exp = ROOT / "experiments"
    return {
        "default": default_result,
        "reps": run_ringsim(d / "default-reps.h5", str(exp / "default.toml"), 2, "keys.count=20000",
                            "run.repetitions=3"),
        "failures": replicated_zipf_result,
        "churn": run_ringsim(d / "churn.h5", str(exp / "churn.toml"), 2, "keys.count=20000"),
        "weighted": run_ringsim(d / "weighted.h5", str(exp / "weighted.toml"), 2, "keys.count=20000"),
        "locks": run_ringsim(d / "locks.h5", str(exp / "locks.toml"), 4, "locks.duration=0.02", "locks.ranks=[2,4]",
                             'locks.algorithms=["spin","mcs"]', 'locks.workloads=["empty","uncontended"]',
                             'locks.reads_workloads=["empty"]'),
    }


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def comparison(*paths):
    runs = [load(p) for p in paths]
    return compare(runs), runs


def data_axes(fig):
    """The panels (colour bars excluded)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def legend_outside(fig, ax):
    """Every legend of the figure lies right of the panels' data area."""
    fig.canvas.draw()
    legends = [a.get_legend() for a in fig.axes if a.get_legend() is not None]
    assert legends, "no legend"
    right = max(a.get_window_extent().x1 for a in data_axes(fig))
    for leg in legends:
        assert leg.get_window_extent().x0 >= right - 1, "legend overlaps a panel"
    return legends


def legend_texts(fig):
    return [t.get_text() for a in fig.axes if a.get_legend() for t in a.get_legend().get_texts()]


def test_moved_fraction_one_panel_per_event_kind_one_series_per_strategy(files):
    c, runs = comparison(files["reps"])
    d = plots.draw_moved_fraction(c)
    axes = data_axes(d.fig)
    kinds = list(dict.fromkeys(c.events.kind))
    assert len(axes) == len(kinds) == 2  # default: add and remove
    labels = list(dict.fromkeys(c.events.label))
    for ax, kind in zip(axes, kinds):
        assert kind in ax.get_title()
        # One errorbar container per strategy; each holds only that kind's sizes (never a line across kinds).
        assert len(ax.containers) == len(labels)
        assert [cont.get_label() for cont in ax.containers] == labels
        sizes = set(c.events[c.events.kind == kind].nodes_after)
        for cont in ax.containers:
            assert len(cont.lines[0].get_xdata()) == len(sizes)
            assert cont.has_yerr  # n = 3: IQR bars
        assert "records moved / records held" in ax.get_ylabel() and "r = 1" in ax.get_ylabel()
        assert ax.get_ylim()[0] == 0
        assert ax.get_xlabel().startswith("cluster size")
    # Equal moves are dodged: the strategies' points of one size sit at distinct x.
    xs = [cont.lines[0].get_xdata()[0] for cont in axes[0].containers]
    assert len(set(xs)) == len(xs)
    assert set(labels) <= set(legend_texts(d.fig))
    legend_outside(d.fig, axes)
    assert "fair share" in d.caption and "Question" in d.caption


def test_one_repetition_draws_no_error_bars_and_says_so(files):
    c, _ = comparison(files["default"])
    d = plots.draw_moved_fraction(c)
    for ax in data_axes(d.fig):
        assert not any(cont.has_yerr for cont in ax.containers)
    assert "one repetition" in d.caption


def test_replicas_in_the_y_label(files):
    c, _ = comparison(files["failures"])
    d = plots.draw_moved_fraction(c)
    assert all("r = 2" in ax.get_ylabel() for ax in data_axes(d.fig))


def test_disruption_separates_near_minimal_strategies_on_a_symlog_axis(files):
    c, _ = comparison(files["reps"])
    d = plots.draw_disruption(c)
    for ax in data_axes(d.fig):
        assert ax.get_yscale() == "symlog"
        assert "keys_min" in ax.get_ylabel() and "%" in ax.get_ylabel()
        ys = {cont.get_label(): cont.lines[0].get_ydata()[0] for cont in ax.containers}
        assert ys["modulo"] > 100  # three times the minimum
        assert ys["ring"] == pytest.approx(0, abs=1e-9)  # minimal by construction
        lo, hi = ax.get_ylim()
        assert lo < 0 and hi > max(ys.values())  # no marker cut in half at either end


def test_timeline_x_is_the_event_index_and_kinds_are_never_joined(files):
    c, _ = comparison(files["churn"])
    d = plots.draw_timeline(c)
    assert d.fig is not None
    ax_m, ax_p, ax_n = d.fig.axes[:3]
    events = sorted(c.events.event.unique())
    assert len(events) >= plots.TIMELINE_EVENTS
    assert ax_n.get_xlabel().startswith("event index")
    for cont in ax_m.containers:
        assert cont.lines[0].get_linestyle() == "None"  # markers only
    # Every strategy has one point per event, split over its kinds' containers.
    per_label = len(ax_m.containers) // c.events.label.nunique()
    xs = np.concatenate([cont.lines[0].get_xdata() for cont in ax_m.containers[:per_label]])
    assert np.round(xs).astype(int).tolist() == sorted(np.round(xs).astype(int).tolist()) or len(xs) == len(events)
    assert len(xs) == len(events)
    texts = legend_texts(d.fig)
    assert set(c.events.label) <= set(texts) and any(t.endswith(" event") for t in texts)
    legend_outside(d.fig, d.fig.axes)


def test_no_timeline_for_a_short_experiment(files):
    c, _ = comparison(files["default"])
    assert plots.draw_timeline(c).fig is None


def test_load_vs_weight_puts_every_node_against_its_weighted_share(files):
    c, runs = comparison(files["weighted"])
    d = plots.draw_load_vs_weight(c, runs)
    assert d.fig is not None
    axes = data_axes(d.fig)
    events = runs[0].events[runs[0].events.label == runs[0].strategies[0]].event.nunique()
    assert len(axes) == 1 + events  # the initial placement and after each event
    ax = axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]
    assert "weight" in ax.get_xlabel() and "weighted fair share" in ax.get_ylabel()
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    assert [ln.get_label() for ln in lines] == runs[0].strategies
    assert all(len(ln.get_xdata()) == 10 for ln in lines)  # 10 active nodes at the start
    ratios = np.concatenate([ln.get_ydata() for ln in lines])
    assert np.median(ratios) == pytest.approx(1.0, abs=0.2)
    assert ax.get_ylim()[0] == 0


def test_no_weight_figure_without_weights(files):
    c, runs = comparison(files["default"])
    assert plots.draw_load_vs_weight(c, runs).fig is None


def test_failures_figure_keys_lost_and_rereplicated_bytes_per_fail_event(files):
    c, runs = comparison(files["failures"])
    d = plots.draw_failures(c)
    axes = data_axes(d.fig)
    assert len(axes) == 2
    fails = c.events[c.events.kind == "fail"]
    labels = list(dict.fromkeys(c.events.label))
    assert axes[0].get_ylabel().startswith("keys lost") and "MB" in axes[1].get_ylabel()
    assert "r = 2" in axes[0].get_title()
    assert len(axes[0].get_xticks()) == fails.event.nunique()
    assert len(axes[0].patches) == len(labels) * fails.event.nunique()
    # The bars are the median keys lost per event over the repetitions.
    first = fails[fails.label == labels[0]].groupby("event").keys_lost.apply(
        lambda v: summarize(v.astype(float).tolist()).median)
    assert [p.get_height() for p in axes[0].patches[:len(first)]] == first.tolist()
    assert any(first > 0)  # two nodes failing at once with r = 2 lose keys
    legend_outside(d.fig, axes)


def test_migration_time_log_axes_survive_an_event_that_moved_nothing(files, tmp_path):
    c, _ = comparison(files["reps"])
    c.events.loc[c.events.index[0], "keys_moved"] = 0  # as after an event that changed no owner
    d = plots.draw_migration_time(c)
    top, bottom = data_axes(d.fig)[:2]
    assert top.get_yscale() == "log" and top.get_xscale() == "symlog"
    assert bottom.get_yscale() == "log"
    assert [t.get_text() for t in bottom.get_xticklabels()] == list(dict.fromkeys(c.events.label))
    assert "ms" in top.get_ylabel() and "ms" in bottom.get_ylabel()
    texts = legend_texts(d.fig)
    for word in ("exchange floor", "exchange model", "projected", "critical path"):
        assert any(word in t for t in texts), word
    # Offsets and scientific offset labels are off: tick labels are plain numbers.
    d.fig.canvas.draw()
    assert bottom.yaxis.get_offset_text().get_text() == ""
    assert plots.save(d, tmp_path).is_file()


def test_migration_matrix_every_strategy_own_log_scale_and_the_chosen_event(files, monkeypatch):
    c, runs = comparison(files["default"])
    d = plots.draw_migration_matrix(c, runs, event=1)
    panels = data_axes(d.fig)
    assert len(panels) == len(runs[0].strategies)
    bars = [ax for ax in d.fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == len(panels)  # one colour scale per strategy
    images = [ax.get_images()[0] for ax in panels]
    assert all(isinstance(im.norm, plots.LogNorm) for im in images)
    assert len({im.norm.vmax for im in images}) > 1  # modulo's scale is not everyone's
    info = runs[0].events[runs[0].events.event == 1].iloc[0]
    assert "Event 1" in d.fig._suptitle.get_text() and info.kind in d.fig._suptitle.get_text()
    for ax, label in zip(panels, runs[0].strategies):
        assert ax.get_title().startswith(label + ":")
    monkeypatch.setenv(plots.EVENT_ENV, "2")
    assert "Event 2" in plots.draw_migration_matrix(c, runs).fig._suptitle.get_text()
    missing = plots.draw_migration_matrix(c, runs, event=99)
    assert missing.fig is None and "no event 99" in missing.note


def test_lock_figure_log_axes_histogram_percentiles_and_fairness(files):
    c, runs = comparison(files["default"], files["locks"])
    d = plots.draw_lock_throughput(c, runs, oversub=True)
    axes = data_axes(d.fig)
    workloads = list(dict.fromkeys(c.locks.workload))
    assert len(axes) == 4 * len(workloads)
    for row in range(len(workloads)):
        ax_t, ax_l, ax_f, ax_c = axes[4 * row:4 * row + 4]
        for ax in (ax_t, ax_l, ax_f, ax_c):
            assert ax.get_xscale() == "log" and ax.xaxis.get_transform().base == 2
            assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4"]
            assert ax.get_yscale() == "log"
        assert "per second" in ax_t.get_ylabel() and "µs" in ax_l.get_ylabel()
        assert "max / min" in ax_f.get_ylabel() and "CV" in ax_c.get_ylabel()
        assert len(ax_t.containers) == c.locks.algorithm.nunique()
        d.fig.canvas.draw()
        assert ax_t.yaxis.get_offset_text().get_text() == ""
    assert "latency_histogram" in d.caption
    assert d.warning == OVERSUBSCRIBED
    # p50 from the merged histogram equals the file's own p50 for a single row (same rule).
    hist = plots._lock_histograms(runs)
    locks = runs[1].locks
    row = locks.iloc[0]
    h = hist[(hist.algorithm == row.algorithm) & (hist.workload == row.workload) & (hist.ranks == row.ranks)]
    assert h.p50.iloc[0] == pytest.approx(row.latency_p50_us)
    assert h.p99.iloc[0] == pytest.approx(row.latency_p99_us)


def test_saved_png_carries_caption_and_warning(files, tmp_path):
    c, runs = comparison(files["reps"])
    written, notes = plots.all_figures(c, runs, tmp_path)
    names = {p.name for p in written}
    assert {"moved_fraction_vs_nodes.png", "disruption_vs_nodes.png", "migration_matrix.png"} <= names
    assert "timeline.png" not in names and "load_vs_weight.png" not in names  # not this experiment's questions
    for p in written:
        with Image.open(p) as im:
            assert len(im.info.get("Description", "")) > 50, p.name
        assert plots.caption_of(p)
    assert any("no /locks data" in n for n in notes)
    assert not any(n.startswith("timeline") for n in notes)


def test_no_clipped_titles(files):
    """Titles and tick labels lie inside the canvas."""
    c, runs = comparison(files["churn"])
    for d in (plots.draw_moved_fraction(c), plots.draw_timeline(c), plots.draw_phase_breakdown(c)):
        fig = d.fig
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        for text in [fig._suptitle] + [ax.title for ax in fig.axes]:
            ext = text.get_window_extent(renderer)
            if text.get_text():
                assert ext.x0 >= box.x0 - 1 and ext.x1 <= box.x1 + 1 and ext.y1 <= box.y1 + 1, text.get_text()


def test_peak_to_mean_marks_what_chance_gives(files):
    """Beside perfect balance, each panel marks the random assignment's expected peak-to-mean at each size,
    the figure from the file's events (so a strategy above it is less even than chance)."""
    c, _ = comparison(files["default"])
    d = plots.draw_peak_to_mean(c)
    for ax in data_axes(d.fig):
        chance = [coll for coll in ax.collections if coll.get_label() == "random assignment (balls into bins)"]
        assert len(chance) == 1, "no random-assignment mark"
        y = chance[0].get_segments()[0][0][1]
        size = int(ax.get_xticklabels()[0].get_text())
        expected = c.events[c.events.nodes_after == size].random_peak_to_mean.median()
        assert y == pytest.approx(expected, rel=1e-6)
        assert y > 1.0
    assert "random assignment" in d.caption
