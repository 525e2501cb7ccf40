"""Bytes moved beside records moved, and the request load's balance, on files the real ringsim wrote and on
copies of them given what the newer fields would hold (values of per-key sizes: exact bytes_moved and the
root attributes value_size_distribution and value_bytes_total; the processing stage's ops_peak_to_mean and
ops_cv), with known numbers."""

import shutil

import h5py
import matplotlib.pyplot as plt
import numpy as np
import pytest

from conftest import ROOT, as_compound, run_ringsim

from analysis import plots
from analysis.compare import compare
from analysis.reader import load, mean_record_bytes
from analysis.tables import markdown, sections

MEAN_VALUE = 12  # bytes: the copies' mean value size, so a record is 8 + 12 = 20 bytes on average


@pytest.fixture(scope="module")
def hot(tmp_path_factory):
    """hot-keys (zipf 1.1 requests): five strategies, six events."""
    out = tmp_path_factory.mktemp("hot") / "hot.h5"
    return run_ringsim(out, str(ROOT / "experiments" / "hot-keys.toml"), 2, "keys.count=20000")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels_of(f):
    return [s.decode() for s in f["strategies/order"][:]]


def first_event_factors(path):
    """Bytes moved per record moved over the mean record, per strategy: 3 for the strategy that moves the
    fewest records in event 0 (it moves the largest records), 0.1 for the one that moves the most (the
    smallest records), 1 for the others."""
    with h5py.File(path, "r") as f:
        moved = {label: int(f["strategies"][label]["events"]["keys_moved"][0]) for label in labels_of(f)}
    fewest, most = min(moved, key=moved.get), max(moved, key=moved.get)
    assert sorted(moved.values())[0] < sorted(moved.values())[1], "a tie in event 0"
    return {label: 3.0 if label == fewest else 0.1 if label == most else 1.0 for label in moved}, fewest, most


def with_value_sizes(src, dst, factors):
    """A copy of src as a file of values of per-key sizes would be: value_bytes_total of MEAN_VALUE bytes a
    key, and each strategy's bytes_moved its records moved x 20 bytes x its factor."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["value_size_distribution"] = np.bytes_("lognormal")
        f.attrs["value_bytes_total"] = np.uint64(int(f.attrs["keys_count"]) * MEAN_VALUE)
        for label in labels_of(f):
            ev = f["strategies"][label]["events"]
            ev["bytes_moved"][...] = np.round(ev["keys_moved"][:] * 20.0 * factors[label]).astype(np.uint64)
    return dst


@pytest.fixture(scope="module")
def sized(hot, tmp_path_factory):
    """hot with values of per-key sizes: (path, factors, fewest records in event 0, most records in it)."""
    factors, fewest, most = first_event_factors(hot)
    return with_value_sizes(hot, tmp_path_factory.mktemp("sized") / "sized.h5", factors), factors, fewest, most


def with_ops(src, dst, peak):
    """A copy of src with the processing stage's ops columns: ops_peak_to_mean = peak(label, row index)."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        for label in labels_of(f):
            ev = f["strategies"][label]["events"]
            rows = len(ev["event"])
            values = np.array([peak(label, i) for i in range(rows)], dtype=np.float64)
            for name, data in (("ops_peak_to_mean", values), ("ops_cv", values / 10)):
                if name in ev:  # a file of today's schema has them (0 without processing)
                    ev[name][...] = data
                    continue
                d = ev.create_dataset(name, data=data, maxshape=(None,), chunks=True)
                d.attrs["units"] = "1"
    return dst


def test_bytes_share_is_the_bytes_moved_over_the_bytes_held(sized):
    path, factors, _, _ = sized
    run = load(path)
    assert mean_record_bytes(run.attrs) == 20.0  # 8-byte keys, 12-byte values on average, one copy
    ev = run.events
    assert ev.bytes_held.tolist() == (ev.keys_total * 20.0).tolist()
    expected = ev.moved_fraction * ev.label.map(factors)
    assert ev.bytes_fraction.tolist() == pytest.approx(expected.tolist(), rel=1e-6)
    # The comparison's bytes moved fraction is sum bytes moved / sum bytes held over a sample's events.
    c = compare([run])
    for r in c.table.itertuples():
        assert r.bytes_fraction == pytest.approx(factors[r.label] * r.moved_fraction, rel=1e-6), r.label


def test_fixed_sizes_fall_back_to_record_bytes_and_equal_the_moved_fraction(default_result):
    run = load(default_result)
    assert run.attrs.get("value_size_distribution", "fixed") == "fixed"
    assert mean_record_bytes(run.attrs) == run.attrs["record_bytes"]
    assert run.events.bytes_fraction.tolist() == pytest.approx(run.events.moved_fraction.tolist(), rel=1e-12)
    c = compare([run])
    movement = next(s for s in sections(c) if s.title == "Movement and balance")
    assert "bytes moved fraction" not in movement.headers  # it would repeat the moved fraction
    assert "bytes moved fraction equals the moved fraction" in movement.intro
    assert not any("fewest bytes" in n for n in c.notes)
    assert plots.draw_bytes_vs_keys(c).fig is None


def test_a_strategy_that_moves_fewer_records_but_more_bytes_comes_out_that_way(hot, sized, tmp_path):
    path, factors, fewest, most = sized
    c = compare([load(path)])
    # Event 0 (add 12→14) is the only event at 14 nodes: its fewest records are not its fewest bytes.
    g = c.table[c.table["size"] == 14].set_index("label")
    assert g.moved_fraction.idxmin() == fewest
    assert g.bytes_fraction.idxmin() == most
    assert g.bytes_fraction[fewest] == pytest.approx(3 * g.moved_fraction[fewest], rel=1e-6)
    note = next(n for n in c.notes if n.startswith("fewest records moved is not fewest bytes moved"))
    assert f"at 14: {fewest} moves the fewest records, {most} the fewest bytes" in note
    movement = next(s for s in sections(c) if s.title == "Movement and balance")
    i = movement.headers.index("moved fraction")
    assert movement.headers[i + 1] == "bytes moved fraction"
    row = next(r for r in movement.rows if r[0] == fewest and r[1] == "14")
    assert float(row[i + 1]) == pytest.approx(3 * float(row[i]), abs=2e-4)
    # Every strategy's records of one mean size (all factors 1.3): bytes follow records, no such note.
    same = compare([load(with_value_sizes(hot, tmp_path / "same.h5", dict.fromkeys(factors, 1.3)))])
    assert not any("fewest bytes" in n for n in same.notes)


def test_bytes_figure_bars_are_the_shares_and_mark_the_fewest(sized, tmp_path):
    path, factors, fewest, most = sized
    c = compare([load(path)])
    d = plots.draw_bytes_vs_keys(c)
    assert d.fig is not None and d.name == "bytes_vs_keys_moved.png"
    axes = [ax for ax in d.fig.axes if ax.get_ylabel()]
    events = sorted(c.events.event.unique())
    assert len(axes) == len(events) == 6
    labels = list(factors)
    ev = c.events
    differ = 0
    for ax, event in zip(axes, events):
        assert f"event {event}:" in ax.get_title()
        assert "%" in ax.get_ylabel() and ax.get_ylim()[0] == 0
        assert [t.get_text() for t in ax.get_xticklabels()] == labels
        heights = [p.get_height() for p in ax.patches]
        keys, data = heights[:len(labels)], heights[len(labels):]
        e = ev[ev.event == event].set_index("label").loc[labels]
        assert keys == pytest.approx((100 * e.keys_moved / e.keys_total).tolist())
        assert data == pytest.approx((100 * e.bytes_moved / (20.0 * e.keys_total)).tolist())
        # The triangles: over the fewest records' records bar (left of its strategy) and over the fewest
        # bytes' bytes bar (right of it).
        marks = sorted((float(ln.get_xdata()[0]), ln.get_color()) for ln in ax.get_lines() if ln.get_marker() == "v")
        at_keys = labels.index(e.keys_moved.idxmin()) - 0.19
        at_bytes = labels.index(e.bytes_moved.idxmin()) + 0.19
        assert [x for x, _ in marks] == pytest.approx(sorted([at_keys, at_bytes]))
        differ += e.keys_moved.idxmin() != e.bytes_moved.idxmin()
        if event == 0:
            assert at_keys == labels.index(fewest) - 0.19 and at_bytes == labels.index(most) + 0.19
    texts = [t.get_text() for a in d.fig.axes if a.get_legend() for t in a.get_legend().get_texts()]
    assert any("records moved / records held" in t for t in texts)
    assert any("bytes moved / bytes held" in t for t in texts)
    assert "fewest records moved" in texts and "fewest bytes moved" in texts
    assert differ >= 1 and f"{differ} of 6 panels" in d.caption
    path = plots.save(d, tmp_path)
    assert plots.caption_of(path) == d.caption


def test_request_balance_from_the_key_popularity(hot, tmp_path):
    run = load(hot)
    ev = run.events
    assert (ev.request_source == "popularity").all()
    assert ev.request_balance.tolist() == ev.request_peak_to_mean.tolist()
    assert (ev.request_balance > 1).all()
    c = compare([run])
    movement = next(s for s in sections(c) if s.title == "Movement and balance")
    assert "request peak/mean" in movement.headers and "request_peak_to_mean" in movement.intro
    d = plots.draw_request_balance(c)
    ax = next(a for a in d.fig.axes if a.get_ylabel())
    series = {cont.get_label(): cont for cont in ax.containers}
    assert list(series) == run.strategies
    for label, cont in series.items():
        y = cont.lines[0].get_ydata()
        expected = ev[ev.label == label].sort_values("event").request_peak_to_mean.tolist()
        assert list(y) == pytest.approx(expected)  # one repetition: the event's own figure
    ideal = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert ideal and ideal[0].get_ydata()[0] == 1.0
    assert ax.get_ylim()[0] < 1.0 < ax.get_ylim()[1]
    assert "peak-to-mean" in ax.get_ylabel() and "popularity" in ax.get_title()
    assert "request_peak_to_mean" in d.caption


def test_request_balance_prefers_the_measured_operations(hot, tmp_path):
    # memento's processing evens the load (1.2), ring's does not (3.0); the last row had no processing.
    def peak(label, i):
        return 0.0 if i == 5 else (3.0 if label == "ring" else 1.2)
    run = load(with_ops(hot, tmp_path / "ops.h5", peak))
    ev = run.events
    assert (ev.request_source == "ops").all()
    ring = ev[ev.label == "ring"].sort_values("event")
    assert ring.request_balance.tolist()[:5] == [3.0] * 5 and np.isnan(ring.request_balance.iloc[5])
    assert ring.request_balance_cv.tolist()[:5] == pytest.approx([0.3] * 5)
    c = compare([run])
    ring_rows = c.table[c.table.label == "ring"]
    assert ring_rows.request_balance.tolist() == [3.0] * len(ring_rows)  # the mean over rows with processing
    movement = next(s for s in sections(c) if s.title == "Movement and balance")
    assert "ops_peak_to_mean" in movement.intro
    d = plots.draw_request_balance(c)
    ax = next(a for a in d.fig.axes if a.get_ylabel())
    ring_y = next(cont for cont in ax.containers if cont.get_label() == "ring").lines[0].get_ydata()
    assert list(ring_y) == [3.0] * 5  # the event without processing is not drawn
    assert "measured operations" in ax.get_title() and "ops_peak_to_mean" in d.caption
    # ops columns of zeros (a run without processing) fall back to the key popularity.
    zeros = load(with_ops(hot, tmp_path / "zeros.h5", lambda label, i: 0.0))
    assert (zeros.events.request_source == "popularity").all()
    assert zeros.events.request_balance.tolist() == zeros.events.request_peak_to_mean.tolist()


def test_uniform_keys_have_no_request_figure_or_column(default_result, tmp_path):
    c = compare([load(default_result)])
    assert c.table.request_balance.isna().all()
    assert "request peak/mean" not in markdown(c, c.notes)
    written, notes = plots.all_figures(c, [load(default_result)], tmp_path)
    names = {p.name for p in written}
    assert "request_balance.png" not in names and "bytes_vs_keys_moved.png" not in names
    assert not any(n.startswith(("request balance", "bytes vs keys")) for n in notes)  # skipped quietly


def test_old_files_without_the_request_columns_still_compare(hot, tmp_path):
    """A schema 4 file (compound tables) without request_* or ops_* columns: NaN, no figure, no column."""
    old = tmp_path / "v4.h5"
    shutil.copy(hot, old)
    with h5py.File(old, "r+") as f:
        f.attrs["schema_version"] = np.int32(4)
        for label in labels_of(f):
            g = f["strategies"][label]
            for table in ("events", "rank_traffic", "node_traffic"):
                as_compound(g, table, drop=("request_peak_to_mean", "request_cv", "ops_peak_to_mean", "ops_cv"))
    run = load(old)
    for col in ("request_peak_to_mean", "request_cv", "ops_peak_to_mean", "ops_cv", "request_balance"):
        assert run.events[col].isna().all(), col
    assert run.events.bytes_fraction.tolist() == pytest.approx(run.events.moved_fraction.tolist())
    c = compare([run])
    assert "request peak/mean" not in markdown(c, c.notes)
    written, _ = plots.all_figures(c, [run], tmp_path)
    assert "request_balance.png" not in {p.name for p in written}
    assert "moved_fraction_vs_nodes.png" in {p.name for p in written}


def test_compare_writes_both_figures_and_the_csv_columns(sized, tmp_path):
    from analysis.__main__ import main
    import pandas as pd
    assert main(["compare", str(sized[0]), "--out", str(tmp_path / "out")]) == 0
    out = tmp_path / "out"
    for name in ("bytes_vs_keys_moved.png", "request_balance.png"):
        assert (out / name).is_file() and plots.caption_of(out / name), name
    table = pd.read_csv(out / "comparison.csv")
    for col in ("bytes_fraction", "request_balance", "request_balance_cv"):
        assert col in table.columns and table[col].notna().all(), col
    html = (out / "report.html").read_text()
    assert "bytes_vs_keys_moved.png" in html and "request_balance.png" in html
