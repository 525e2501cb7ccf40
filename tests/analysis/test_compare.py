"""`python3 -m analysis compare` on result files the real ringsim writes during the test:
the table's figures are the files' figures, repetitions merge into medians and
quartiles, every figure is a valid PNG, and the report carries the tables, the
figures and the runs' configuration."""

import re
import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from conftest import ROOT, resize_rows, run_ringsim, table_frame
from analysis.__main__ import main
from analysis.compare import compare
from analysis.reader import NotARingsimResult, load

PYTHON = "/usr/bin/python3"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURES = ["moved_fraction_vs_nodes.png", "disruption_vs_nodes.png", "peak_to_mean_vs_nodes.png",
           "migration_time_vs_keys.png", "phase_breakdown.png", "projected_time.png", "migration_matrix.png"]
TIMING_FIGURES = ["migration_time_vs_keys.png", "phase_breakdown.png", "projected_time.png"]
PHASES = ["t_plan", "t_counts", "t_pack", "t_exchange", "t_apply"]
BOUNDS = {"exchange_over_model": ("t_exchange", "t_exchange_model"), "plan_over_bound": ("t_plan", "t_plan_bound"),
          "pack_over_bound": ("t_pack", "t_pack_bound"), "apply_over_bound": ("t_apply", "t_apply_bound")}
OVERSUBSCRIBED = "oversubscribed: times are not per-core"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare-inputs")
    default = str(ROOT / "experiments" / "default.toml")
    return {
        "reps": run_ringsim(d / "default-reps.h5", default, 2, "keys.count=20000", "run.repetitions=3"),
        "seed7": run_ringsim(d / "default-seed7.h5", default, 2, "keys.count=20000", "keys.seed=7"),
        "scale": run_ringsim(d / "scale-out.h5", str(ROOT / "experiments" / "scale-out.toml"), 2,
                             "keys.count=20000"),
    }


def run_compare(capsys, out, *paths):
    """In-process run; returns stdout (markdown) and the comparison table from the CSV."""
    assert main(["compare", *map(str, paths), "--out", str(out)]) == 0
    md = capsys.readouterr().out
    return md, pd.read_csv(out / "comparison.csv", keep_default_na=False, na_values=[""])


def file_events(path, label):
    with h5py.File(path, "r") as f:
        g = f["strategies"][label]
        return table_frame(g["events"]), np.asarray(g.attrs["lookup_ns"]), int(f.attrs["replicas"])


def labels_of(path):
    with h5py.File(path, "r") as f:
        return [s.decode() for s in f["strategies"]["order"][:]]


def row(table, label, size):
    r = table[(table.label == label) & (table["size"] == size)]
    assert len(r) == 1, f"{label} at {size}: {len(r)} rows"
    return r.iloc[0]


def test_table_equals_the_file_event_by_event(results, tmp_path, capsys):
    path = results["scale"]
    md, table = run_compare(capsys, tmp_path, path)
    for label in labels_of(path):
        ev, lookup, replicas = file_events(path, label)
        assert replicas == 1
        for e in ev.itertuples():
            r = row(table, label, e.nodes_after)
            assert r.n == 1
            assert r.moved_fraction == pytest.approx(e.keys_moved / e.keys_total, rel=1e-12)
            assert r.ideal_fraction == pytest.approx(e.keys_ideal / e.keys_total, rel=1e-12)
            assert r.disruption == pytest.approx(e.keys_moved / e.keys_min, rel=1e-12)
            assert r.disruption >= 1  # keys_min is a true lower bound
            assert r.moved_over_ideal == pytest.approx(e.keys_moved / e.keys_ideal, rel=1e-12)
            assert r.load_peak_to_mean == pytest.approx(e.load_peak_to_mean, rel=1e-12)
            assert r.load_cv == pytest.approx(e.load_cv, rel=1e-12)
            for phase in PHASES:
                assert r[phase] == pytest.approx(getattr(e, phase), rel=1e-12)
            # Migration time is the critical path the file records, not a sum of per-phase spans.
            assert r.t_migrate == pytest.approx(e.t_migrate, rel=1e-12)
            assert r.t_migrate != pytest.approx(sum(getattr(e, p) for p in PHASES), rel=1e-6)
            assert r.t_projected == pytest.approx(e.t_projected, rel=1e-12)
            assert r.exchange_over_floor == pytest.approx(e.t_exchange / e.t_exchange_floor_min, rel=1e-12)
            assert r.exchange_over_floor >= 1
            for metric, (num, den) in BOUNDS.items():
                assert r[metric] == pytest.approx(getattr(e, num) / getattr(e, den), rel=1e-12), metric
            assert r.bytes_moved == e.bytes_moved and r.bytes_exchanged == e.bytes_exchanged
            assert r.state_bytes == e.state_bytes
            assert r.lookup_ns == pytest.approx(lookup[0], rel=1e-12)
            assert r.keys_lost == 0
            # One sample: the quartiles are the value itself.
            assert r.moved_fraction_q1 == r.moved_fraction_q3 == r.moved_fraction
            # The markdown row shows the same figure.
            frac = f"{e.keys_moved / e.keys_total:.4f}"
            assert re.search(rf"^\| {re.escape(label)} \| {e.nodes_after} \| add {e.nodes_before}→{e.nodes_after} "
                             rf"\| 1 \| {frac} \|", md, re.M), (label, e.nodes_after, frac)
    assert len(table) == len(labels_of(path)) * 4
    assert "n < 5 repetitions: no test of significance" in md


def per_repetition(path, label, size, fn):
    ev, lookup, _ = file_events(path, label)
    ev = ev[ev.nodes_after == size]
    return [fn(ev[ev.repetition == r], lookup[r]) for r in sorted(ev.repetition.unique())]


def moved(ev, _):
    return ev.keys_moved.sum() / ev.keys_total.sum()


def test_repetitions_merge_into_median_and_quartiles(results, tmp_path, capsys):
    path = results["reps"]
    md, table = run_compare(capsys, tmp_path, path)
    for label in labels_of(path):
        for size in (3, 4):
            r = row(table, label, size)
            assert r.n == 3 and r.files == 1
            checks = {
                "moved_fraction": moved,
                "disruption": lambda e, _: e.keys_moved.sum() / e.keys_min.sum(),
                "moved_over_ideal": lambda e, _: e.keys_moved.sum() / e.keys_ideal.sum(),
                "load_peak_to_mean": lambda e, _: e.load_peak_to_mean.mean(),
                "t_exchange": lambda e, _: e.t_exchange.mean(),
                "t_migrate": lambda e, _: e.t_migrate.mean(),
                "t_projected": lambda e, _: e.t_projected.mean(),
                "bytes_exchanged": lambda e, _: e.bytes_exchanged.mean(),
                "exchange_over_floor": lambda e, _: e.t_exchange.sum() / e.t_exchange_floor_min.sum(),
                "pack_over_bound": lambda e, _: e.t_pack.sum() / e.t_pack_bound.sum(),
                "lookup_ns": lambda e, lookup: lookup,
            }
            for metric, fn in checks.items():
                values = per_repetition(path, label, size, fn)
                assert len(values) == 3
                q1, med, q3 = np.percentile(values, [25, 50, 75])
                assert r[metric] == pytest.approx(med, rel=1e-12), (label, size, metric)
                assert r[metric + "_q1"] == pytest.approx(q1, rel=1e-12), (label, size, metric)
                assert r[metric + "_q3"] == pytest.approx(q3, rel=1e-12), (label, size, metric)
            # The migration figure of each repetition is the mean of its events' t_migrate, not of phase sums.
            sums = per_repetition(path, label, size, lambda e, _: e[PHASES].sum(axis=1).mean())
            assert r.t_migrate != pytest.approx(float(np.median(sums)), rel=1e-6)
            assert r.disruption >= 1 and r.exchange_over_floor >= 1
    # Three against three: no test at all, and the tables say why.
    assert "n < 5 repetitions: no test of significance" in md
    assert not (tmp_path / "significance.csv").exists()
    assert "not_significant_vs" not in table.columns and "Holm" not in md


def test_files_of_one_experiment_are_further_repetitions(results, tmp_path, capsys):
    md, table = run_compare(capsys, tmp_path, results["reps"], results["seed7"])
    samples = pd.read_csv(tmp_path / "samples.csv")
    for label in labels_of(results["reps"]):
        for size in (3, 4):
            r = row(table, label, size)
            assert r.n == 4 and r.files == 2
            values = (per_repetition(results["reps"], label, size, moved)
                      + per_repetition(results["seed7"], label, size, moved))
            q1, med, q3 = np.percentile(values, [25, 50, 75])
            assert (r.moved_fraction, r.moved_fraction_q1, r.moved_fraction_q3) == pytest.approx((med, q1, q3))
            s = samples[(samples.label == label) & (samples["size"] == size)]
            assert sorted(s.repetition) == [0, 0, 1, 2]
    # Four against four is still below the five samples a test needs.
    assert not (tmp_path / "significance.csv").exists()
    assert "n < 5 repetitions: no test of significance" in md and "not significantly different from" not in md


def check_png(path):
    assert path.is_file(), f"{path.name} not written"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 1000
    image = imread(str(path))
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert image.std() > 0  # not a blank canvas


def test_every_figure_is_a_png_and_the_report_has_them(results, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(results["scale"]), str(results["reps"]),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("## Movement and balance")
    for name in FIGURES:
        check_png(out / name)
    assert not (out / "lock_throughput_vs_ranks.png").exists()
    assert "no /locks data" in proc.stderr  # the skipped figure is named with its reason
    report = (out / "report.html").read_text()
    assert report.count("data:image/png;base64,") == len(FIGURES)
    for section in ("Movement and balance", "Migration time", "Phases against their bounds", "Traffic and state"):
        assert f"<h2>{section}</h2>" in report
    assert "&gt;= 1 by construction" in report  # exchange / floor is explained as such
    for path in (results["scale"], results["reps"]):
        with h5py.File(path, "r") as f:
            for attr in ("mpi_version", "hdf5_version", "git_commit"):
                assert f.attrs[attr] in report  # string attributes are str
            assert f["hosts/name"][0].decode() in report
            first_line = f["experiment_text"][()].decode().splitlines()[0]
            assert first_line.replace('"', "&quot;").replace("'", "&#x27;") in report
    for name in ("comparison.csv", "samples.csv"):
        assert (out / name).stat().st_size > 0
    assert not (out / "significance.csv").exists()  # 3 repetitions: no test
    assert "n &lt; 5 repetitions: no test of significance" in report


def test_one_cluster_size_still_draws_points(results, tmp_path):
    from analysis import plots
    c = compare([load(results["reps"])])
    c.table = c.table[c.table["size"] == 4]
    path, note = plots.moved_fraction(c, tmp_path)
    assert note is None
    check_png(path)


def test_keys_lost_per_failure_scenario(replicated_zipf_result, tmp_path, capsys):
    md, table = run_compare(capsys, tmp_path, replicated_zipf_result)
    failures = pd.read_csv(tmp_path / "failures.csv")
    assert "## Keys lost per failure scenario" in md
    for label in labels_of(replicated_zipf_result):
        ev, _, replicas = file_events(replicated_zipf_result, label)
        assert replicas == 2
        fails = ev[ev.kind == "fail"]
        assert len(fails) > 0
        got = failures[failures.label == label].sort_values("event")
        assert got.event.tolist() == fails.event.tolist()
        assert got.keys_lost.tolist() == fails.keys_lost.tolist()
        assert got.lost_fraction.tolist() == pytest.approx(
            (fails.keys_lost / (fails.keys_total + fails.keys_lost)).tolist())
        # Moved fraction counts replica records.
        e = ev.iloc[0]
        assert row(table, label, e.nodes_after).moved_fraction == pytest.approx(
            ev[ev.nodes_after == e.nodes_after].keys_moved.sum()
            / (2 * ev[ev.nodes_after == e.nodes_after].keys_total.sum()))


LOCK_DTYPE = np.dtype([("algorithm", "S16"), ("workload", "S16"), ("ranks", "<u4"), ("stripes", "<u4"),
                       ("acquisitions", "<u8"), ("seconds", "<f8"), ("acquisitions_per_second", "<f8"),
                       ("latency_p50_us", "<f8"), ("latency_p99_us", "<f8"), ("latency_max_us", "<f8"),
                       ("fairness", "<f8")])


def test_lock_throughput_table_and_figure(results, tmp_path, capsys):
    """ringsim's runs do not write /locks yet: a real result file gets the documented dataset added."""
    path = tmp_path / "with-locks.h5"
    shutil.copy(results["scale"], path)
    rows = []
    for algorithm, base in (("winlock", 1e4), ("spin", 5e4), ("mcs", 8e4)):
        for ranks in (2, 4):
            for rep in range(3):
                rate = base / ranks + 100 * rep
                rows.append((algorithm.encode(), b"uniform", ranks, 16, int(rate), 1.0, rate, 2.0 + rep, 9.0, 30.0,
                             0.9))
    with h5py.File(path, "a") as f:
        f.create_group("locks").create_dataset("results", data=np.array(rows, dtype=LOCK_DTYPE))
    md, _ = run_compare(capsys, tmp_path / "out", path)
    assert "## Lock throughput" in md
    locks = pd.read_csv(tmp_path / "out" / "locks.csv")
    assert len(locks) == 6
    mcs4 = locks[(locks.algorithm == "mcs") & (locks.ranks == 4)].iloc[0]
    assert mcs4.n == 3
    assert mcs4.acquisitions_per_second == pytest.approx(8e4 / 4 + 100)
    assert (mcs4.acquisitions_per_second_q1, mcs4.acquisitions_per_second_q3) == pytest.approx((2e4 + 50, 2e4 + 150))
    assert mcs4.latency_p50_us == pytest.approx(3.0)
    check_png(tmp_path / "out" / "lock_throughput_vs_ranks.png")


def test_every_row_of_real_files_obeys_its_lower_bounds(results, replicated_zipf_result):
    """keys_min and t_exchange_floor_min are lower bounds by construction, replicas and failures included."""
    for path in [*results.values(), replicated_zipf_result]:
        run = load(path)
        ev = run.events
        assert len(ev) > 0
        assert (ev.disruption >= 1).all(), ev[ev.disruption < 1][["label", "event", "keys_moved", "keys_min"]]
        assert (ev.t_exchange / ev.t_exchange_floor_min >= 1).all()
        assert ((ev.keys_moved == 0) | (ev.keys_min > 0) | (ev.disruption == np.inf)).all()
        c = compare([run])
        assert (c.samples.disruption >= 1).all() and (c.samples.exchange_over_floor >= 1).all()


def png_warning(path):
    from PIL import Image
    with Image.open(path) as im:
        return im.info.get("Warning", "")


def test_oversubscribed_file_marks_every_timing_figure_and_the_report(results, tmp_path):
    """A file that says some host ran more ranks than hardware threads gets the note on its timing figures
    (drawn, and in the PNG's metadata), in the tables and in the report; its movement figures do not."""
    path = tmp_path / "oversubscribed.h5"
    shutil.copy(results["reps"], path)
    with h5py.File(path, "a") as f:
        f.attrs["oversubscribed"] = np.int32(1)
        f["hosts/ranks"][...] = np.array([2], dtype=np.int32)
        f["hosts/threads"][...] = np.array([1], dtype=np.int32)
    out = tmp_path / "out"
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(path), "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for name in FIGURES:
        check_png(out / name)
        expected = OVERSUBSCRIBED if name in TIMING_FIGURES else ""
        assert png_warning(out / name) == expected, name
    assert f"{OVERSUBSCRIBED} (2 ranks on 1 hardware thread)" in proc.stdout
    assert "WARNING, " + OVERSUBSCRIBED in proc.stdout  # in the time tables' introductions
    report = (out / "report.html").read_text()
    assert f"<p class='warn'>{OVERSUBSCRIBED}" in report


def test_a_file_that_is_not_oversubscribed_carries_no_note(results, tmp_path):
    path = results["scale"]
    with h5py.File(path, "r") as f:
        over = bool(f.attrs["oversubscribed"])
    out = tmp_path / "out"
    assert main(["compare", str(path), "--out", str(out)]) == 0
    for name in TIMING_FIGURES:
        assert png_warning(out / name) == (OVERSUBSCRIBED if over else ""), name
    assert ("class='warn'" in (out / "report.html").read_text()) == over


def test_projected_figure_names_the_network_the_file_assumed(results, tmp_path):
    from analysis import plots
    run = load(results["scale"])
    c = compare([run])
    bw, lat = run.attrs["network_bandwidth"], run.attrs["network_latency"]
    text = f"{bw / 1e9:.3g} GB/s per node, {lat * 1e6:.3g} µs per message ({run.attrs['network_source']})"
    assert list(c.networks) == [text]
    assert text in plots._network_caption(c)
    path, note = plots.projected_time(c, tmp_path)
    assert note is None
    check_png(path)


def test_bound_ratios_below_one_are_noted(results, tmp_path, capsys):
    """A phase faster than its micro-benchmark bound is said to have beaten it, in the notes and by a mark."""
    path = tmp_path / "fast-pack.h5"
    shutil.copy(results["scale"], path)
    with h5py.File(path, "a") as f:
        ev = f["strategies/ring/events"]
        ev["t_pack_bound"][...] = ev["t_pack"][:] * 4  # the pack took a quarter of its bound
    md, table = run_compare(capsys, tmp_path / "out", path)
    ring = table[table.label == "ring"]
    assert ring.pack_over_bound.tolist() == pytest.approx([0.25] * len(ring))
    note = next(line for line in md.splitlines() if line.startswith("- pack / bound below 1 for "))
    for size in (20, 24, 28, 32):
        assert f"ring at {size}" in note
    assert note.endswith(": the bound is a micro-benchmark; a ratio below 1 means the phase beat it")
    assert re.search(r"^\| ring \| 20 \|[^\n]*\| 0\.250 † \|", md, re.M)


def test_a_partial_file_leaves_out_the_strategies_without_rows(results, tmp_path, capsys):
    """A run stopped before its last strategies: their groups exist without rows."""
    path = tmp_path / "stopped.partial.h5"
    shutil.copy(results["scale"], path)
    labels = labels_of(path)
    with h5py.File(path, "a") as f:
        f.attrs["partial"] = np.int32(1)
        for label in labels[-2:]:
            g = f["strategies"][label]
            for name in ("events", "row", "loads", "rank_traffic", "node_traffic"):
                resize_rows(g[name], 0)
    run = load(path)
    assert run.strategies == labels
    assert list(dict.fromkeys(run.events.label)) == labels[:-2]
    md, table = run_compare(capsys, tmp_path / "out", path)
    assert set(table.label) == set(labels[:-2])
    assert f"strategies without rows yet: {', '.join(labels[-2:])}" in md


def test_runs_with_the_other_exchange_are_compared_apart_per_strategy(results, tmp_path, capsys):
    """Two runs of one experiment that differ in run.exchange are two settings: each strategy gets a row
    per exchange method, never a pool of both."""
    a, b = tmp_path / "alltoallv.h5", tmp_path / "sparse.h5"
    shutil.copy(results["scale"], a)
    shutil.copy(results["scale"], b)
    with h5py.File(b, "a") as f:
        f.attrs["exchange"] = np.bytes_(b"sparse")
    md, table = run_compare(capsys, tmp_path / "out", a, b)
    assert set(table.setting) == {"exchange alltoallv", "exchange sparse"}
    for label in labels_of(a):
        assert set(table[table.label == label].setting) == {"exchange alltoallv", "exchange sparse"}


def test_counts_of_zero_give_one_and_infinity_without_a_warning(results, tmp_path):
    path = tmp_path / "zeros.h5"
    shutil.copy(results["scale"], path)
    with h5py.File(path, "a") as f:
        ev = f["strategies/ring/events"]
        ev["keys_moved"][0], ev["keys_min"][0], ev["keys_ideal"][0] = 0, 0, 0
        ev["keys_min"][1], ev["keys_ideal"][1] = 0, 0
    proc = subprocess.run([PYTHON, "-W", "error::RuntimeWarning", "-c",
                           "import sys; from analysis.reader import load; r = load(sys.argv[1]); "
                           "e = r.events[r.events.label == 'ring']; "
                           "print(e.disruption.iloc[0], e.disruption.iloc[1], e.moved_over_ideal.iloc[1])", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.split() == ["1.0", "inf", "inf"]
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(path), "--out", str(tmp_path / "out"),
                           "--no-plots"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Warning" not in proc.stderr, proc.stderr


def v1_file(path):
    """A schema version 1 result as ringsim before the stream wrote it (the fields that matter here)."""
    dtype = np.dtype([("repetition", "<u4"), ("event", "<u4"), ("kind", "S8"), ("keys_moved", "<u8"),
                      ("keys_optimal", "<u8"), ("t_plan", "<f8"), ("t_pack", "<f8"), ("t_exchange", "<f8"),
                      ("t_apply", "<f8"), ("t_lower_bound", "<f8")])
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int32(1)
        s = f.create_group("strategies")
        s.attrs["order"] = np.array([b"ring"])
        g = s.create_group("ring")
        g.attrs["strategy"] = b"ring"
        g["events"] = np.array([(0, 0, b"add", 100, 90, 1e-3, 1e-3, 2e-3, 1e-3, 1.5e-3)], dtype=dtype)
    return path


def test_a_version_1_file_is_refused_with_the_reason(tmp_path):
    path = v1_file(tmp_path / "old.h5")
    with pytest.raises(NotARingsimResult, match="schema version 1 is not supported: its keys_optimal is not a lower bound "
                                        "and its phase times are per-phase maxima"):
        load(path)
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(path), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"compare: error: {path}: schema version 1 is not supported: its keys_optimal "
                               "is not a lower bound and its phase times are per-phase maxima")
