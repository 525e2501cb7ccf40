"""The lock benchmark's output through the analysis, on files the real ringsim wrote: reader-writer mixes,
fairness that follows from the per-rank data, the percentiles of the stored histograms, the oversubscribed
mark, the figures and the report's lock table, and files written before these columns existed."""

import json
import os
import shutil

import h5py
import matplotlib.pyplot as plt
import numpy as np
import pytest

from conftest import ROOT, run_ringsim

from analysis import plots, stats, tables
from analysis.compare import compare
from analysis.reader import load

NEW_COLUMNS = ["reads", "read_acquisitions", "write_acquisitions", "latency_p90_us", "fairness_cv", "oversubscribed",
               "counters_ok", "ranks_per_host", "cohort_handoffs"]


@pytest.fixture(scope="module")
def lock_run(tmp_path_factory):
    """spin and mcs, empty at reads 0, remote-access at reads 0, 0.5 and 1, at 2 and 4 ranks, with --json."""
    d = tmp_path_factory.mktemp("locks")
    os.environ["RINGSIM_JSON"] = str(d / "locks.json")
    try:
        out = run_ringsim(d / "locks.h5", str(ROOT / "experiments" / "locks.toml"), 4, "locks.duration=0.03",
                          "locks.ranks=[2, 4]", 'locks.algorithms=["spin", "mcs"]',
                          'locks.workloads=["empty", "remote-access"]', "locks.reads=[0, 0.5, 1]",
                          'locks.reads_workloads=["remote-access"]')
    finally:
        del os.environ["RINGSIM_JSON"]
    return out, json.loads((d / "locks.json").read_text())


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_rows_follow_the_suite_order_and_count_reads_and_writes(lock_run):
    h5, _ = lock_run
    locks = load(h5).locks
    want = [(a, w, r) for a in ("spin", "mcs") for w, rs in (("empty", [0]), ("remote-access", [0, 0.5, 1]))
            for r in rs]
    for k, block in enumerate((locks[locks.ranks == 2], locks[locks.ranks == 4])):
        assert list(zip(block.algorithm, block.workload, block.reads)) == want, k
    assert (locks.read_acquisitions + locks.write_acquisitions == locks.acquisitions).all()
    assert (locks[locks.reads == 0].read_acquisitions == 0).all()
    assert (locks[locks.reads == 1].write_acquisitions == 0).all()
    half = locks[locks.reads == 0.5]
    assert ((half.read_acquisitions > 0) & (half.write_acquisitions > 0)).all()
    assert locks.counters_ok.all()


def test_fairness_is_max_over_min_and_cv_of_the_per_rank_rates(lock_run):
    h5, doc = lock_run
    import jsonschema
    jsonschema.Draft202012Validator(json.loads((ROOT / "results" / "run.schema.json").read_text())).validate(doc)
    assert len(doc["locks"]) == len(load(h5).locks)
    for row in doc["locks"]:
        acq = np.array(row["per_rank_acquisitions"], dtype=float)
        sec = np.array(row["per_rank_seconds"], dtype=float)
        rate = acq / sec
        assert row["fairness"] == pytest.approx(rate.max() / rate.min(), rel=1e-9)
        assert row["fairness_cv"] == pytest.approx(rate.std() / rate.mean(), rel=1e-9, abs=1e-12)
        assert row["read_acquisitions"] + row["write_acquisitions"] == row["acquisitions"] == acq.sum()
    locks = load(h5).locks
    assert list(locks.fairness) == pytest.approx([r["fairness"] for r in doc["locks"]])
    assert list(locks.fairness_cv) == pytest.approx([r["fairness_cv"] for r in doc["locks"]])
    assert list(locks.oversubscribed) == [r["oversubscribed"] for r in doc["locks"]]


def test_python_reads_ringsims_percentiles_off_the_stored_histograms(lock_run):
    h5, _ = lock_run
    locks = load(h5).locks
    with h5py.File(h5, "r") as f:
        hist = f["locks/latency_histogram"][:]
    for i, r in locks.iterrows():
        assert hist[i].sum() == r.acquisitions
        for q, col in ((0.5, "latency_p50_us"), (0.9, "latency_p90_us"), (0.99, "latency_p99_us")):
            assert stats.histogram_percentile(hist[i], q, r.latency_min_us, r.latency_max_us) == r[col], (i, col)
    # The figure's percentiles are the same rule on the summed histogram: one row each here.
    h = plots._lock_histograms([load(h5)])
    merged = h.merge(locks, on=["algorithm", "workload", "ranks", "stripes", "reads"])
    assert (merged.p90 == merged.latency_p90_us).all() and (merged.p99 == merged.latency_p99_us).all()


def marked_copy(h5, tmp_path):
    """A copy of the run whose 4-rank rows say oversubscribed and whose 2-rank rows do not."""
    out = tmp_path / "marked.h5"
    shutil.copy(h5, out)
    with h5py.File(out, "r+") as f:
        t = f["locks/results"]
        t["oversubscribed"][:] = (t["ranks"][:] == 4).astype(np.uint8)
    return out


def test_oversubscribed_rows_are_hollow_in_the_figures_and_starred_in_the_table(lock_run, tmp_path):
    run = load(marked_copy(lock_run[0], tmp_path))
    c = compare([run])
    assert list(c.locks.oversubscribed) == list(c.locks.ranks == 4)
    d = plots.draw_lock_throughput(c, [run])
    assert d.warning
    hollow = [ln for ax in d.fig.axes for ln in ax.lines if ln.get_markerfacecolor() == "white"]
    assert hollow and all(set(ln.get_xdata()) == {4} for ln in hollow)
    assert "Hollow points: oversubscribed" in d.caption
    section = [s for s in tables.sections(c) if s.title == "Lock throughput"][0]
    col = section.headers.index("ranks")
    assert {row[col] for row in section.rows} == {"2", "4*"}
    assert "oversubscribed" in section.intro


def test_the_lock_table_has_reads_percentiles_and_both_fairness_figures(lock_run):
    c = compare([load(lock_run[0])])
    section = [s for s in tables.sections(c) if s.title == "Lock throughput"][0]
    for h in ("reads", "p50 µs", "p90 µs", "p99 µs", "fairness max/min", "fairness CV"):
        assert h in section.headers, h
    assert len(section.rows) == len(c.locks) == 16
    reads = section.headers.index("reads")
    assert sorted({row[reads] for row in section.rows}) == ["0", "0.5", "1"]


def test_reader_writer_figure_is_throughput_against_read_fraction_at_the_largest_rank_count(lock_run):
    run = load(lock_run[0])
    c = compare([run])
    d = plots.draw_lock_rw_mix(c)
    assert d.fig is not None and d.name == "lock_rw_mix.png"
    ax_t, ax_p = [ax for ax in d.fig.axes]
    assert "4 ranks" in ax_t.get_title() and "remote-access" in ax_t.get_title()
    assert [t.get_text() for t in ax_t.get_xticklabels()] == ["0", "0.5", "1"]
    assert ax_t.get_yscale() == "log" and "per second" in ax_t.get_ylabel()
    assert "read" in ax_t.get_xlabel()
    assert len(ax_t.containers) == 2  # one series per algorithm
    # The plotted points are the comparison's throughput at 4 ranks.
    spin = c.locks[(c.locks.algorithm == "spin") & (c.locks.ranks == 4) & (c.locks.workload == "remote-access")]
    assert sorted(ax_t.containers[0].lines[0].get_ydata()) == sorted(spin.acquisitions_per_second)
    # Without mixes there is nothing to draw: a note, no figure.
    only = c.locks[c.locks.reads == 0].reset_index(drop=True)
    c.locks = only
    none = plots.draw_lock_rw_mix(c)
    assert none.fig is None and "one read fraction" in none.note


def test_files_without_the_new_columns_are_read_with_defaults(lock_run, tmp_path):
    """A schema-5 file written before reader-writer mixes: every acquisition a write, the old fairness kept
    aside (its meaning differed), and the analysis still draws and tabulates it."""
    old = tmp_path / "old.h5"
    shutil.copy(lock_run[0], old)
    with h5py.File(old, "r+") as f:
        t = f["locks/results"]
        for name in NEW_COLUMNS:
            del t[name]
    run = load(old)
    locks = run.locks
    assert (locks.reads == 0).all() and (locks.read_acquisitions == 0).all()
    assert (locks.write_acquisitions == locks.acquisitions).all()
    assert locks.latency_p90_us.isna().all() and locks.fairness_cv.isna().all() and locks.fairness.isna().all()
    assert (locks.fairness_legacy >= 1).all()
    assert locks.counters_ok.all()
    assert list(locks.oversubscribed) == [bool(run.attrs["oversubscribed"])] * len(locks)
    # Rows that differed only by reads now look alike and are summarized together.
    c = compare([run])
    assert len(c.locks) == len({(a, w, r) for a, w, r in zip(locks.algorithm, locks.workload, locks.ranks)})
    assert c.locks.n.max() == 3  # remote-access at reads 0, 0.5 and 1
    assert plots.draw_lock_throughput(c, [run]).fig is not None
    assert plots.draw_lock_rw_mix(c).fig is None
    assert [s for s in tables.sections(c) if s.title == "Lock throughput"]
