"""`analysis compare` on real ringsim files: lock files alone, sweeps over cluster sizes, the parts of a fail
event's keys_moved, no significance claims below five samples, the tests and effect sizes from five on, and
no warning on stderr when a ratio is undefined."""

import os
import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from conftest import ROOT, resize_rows, run_ringsim
from analysis.__main__ import main
from analysis.compare import compare
from analysis.reader import load
from analysis.stats import holm

PYTHON = "/usr/bin/python3"
NO_TEST = "n < 5 repetitions: no test of significance"
TEST_COLUMNS = ["reference", "shift_vs_reference", "shift_low", "shift_high", "p_holm_vs_reference",
                "not_significant_vs"]


@pytest.fixture(scope="module")
def locks_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("locks") / "locks.h5"
    return run_ringsim(out, str(ROOT / "experiments" / "locks.toml"), 2, "locks.duration=0.02",
                       'locks.algorithms=["winlock", "spin", "mcs"]')


@pytest.fixture(scope="module")
def five_reps(tmp_path_factory):
    out = tmp_path_factory.mktemp("reps5") / "default-5.h5"
    return run_ringsim(out, str(ROOT / "experiments" / "default.toml"), 2, "keys.count=20000", "run.repetitions=5")


@pytest.fixture(scope="module")
def failure_sweep(tmp_path_factory):
    """failures-r2 at two cluster sizes, as a sweep over `nodes` writes it: the same timeline, files that
    differ in their `nodes` attribute."""
    d = tmp_path_factory.mktemp("sweep")
    exp = str(ROOT / "experiments" / "failures-r2.toml")
    return [run_ringsim(d / f"failures-r2-n{n}.h5", exp, 2, "keys.count=20000", f"cluster.nodes={n}")
            for n in (16, 24)]


def compare_md(capsys, out, *paths, plots=False):
    args = ["compare", *map(str, paths), "--out", str(out)] + ([] if plots else ["--no-plots"])
    assert main(args) == 0
    return capsys.readouterr().out


def lock_rows(path):
    with h5py.File(path, "r") as f:
        return len(f["locks/row"])


# 1. Lock files alone are analysed; beside other files they are not "left out".

def test_a_locks_only_file_gives_the_lock_table_and_exit_0(locks_result, tmp_path, capsys):
    md = compare_md(capsys, tmp_path, locks_result)
    assert md.startswith("## Lock throughput")
    assert "## Movement and balance" not in md
    locks = pd.read_csv(tmp_path / "locks.csv")
    assert len(locks) == lock_rows(locks_result)  # one row per configuration, n = 1 each
    assert (locks.n == 1).all() and set(locks.algorithm) == {"winlock", "spin", "mcs"}
    assert f"{locks_result}: no placement events; its lock benchmark (/locks/results, {lock_rows(locks_result)} rows)" \
           " is in the lock table" in md
    assert "left out" not in md
    assert not (tmp_path / "comparison.csv").exists() and (tmp_path / "report.html").is_file()


def test_a_locks_only_file_with_figures_exits_0(locks_result, tmp_path):
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(locks_result), "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "## Lock throughput" in proc.stdout


def test_a_locks_file_beside_a_placement_file_is_used_and_not_left_out(locks_result, default_result, tmp_path,
                                                                          capsys):
    md = compare_md(capsys, tmp_path, default_result, locks_result)
    assert "## Movement and balance" in md and "## Lock throughput" in md
    assert "left out" not in md
    assert "no placement events; its lock benchmark" in md
    assert len(pd.read_csv(tmp_path / "locks.csv")) == lock_rows(locks_result)
    # The lock file's experiment does not become a setting of the placement tables.
    assert "setting" not in pd.read_csv(tmp_path / "comparison.csv").setting.dropna().tolist()
    assert pd.read_csv(tmp_path / "comparison.csv").setting.isna().all()


def test_no_events_and_no_locks_is_still_an_error(default_result, tmp_path):
    path = tmp_path / "empty.h5"
    shutil.copy(default_result, path)
    with h5py.File(path, "a") as f:
        for label in f["strategies/order"][:]:
            resize_rows(f["strategies"][label.decode()]["events"], 0)
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(path), "--out", str(tmp_path / "out"),
                           "--no-plots"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "compare: error: no events and no lock results (/locks/results) in any input file"


def test_the_lock_run_summary_says_what_a_locks_only_run_did(tmp_path):
    binary = os.environ.get("RINGSIM_BIN", str(ROOT / "build" / "ringsim"))
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    proc = subprocess.run([os.environ.get("MPIEXEC", "mpirun"), "-q", "-n", "2", "--oversubscribe", binary, "run",
                           str(ROOT / "experiments" / "locks.toml"), "--out", str(tmp_path / "l.h5"), "--force",
                           "--set", "locks.duration=0.01", "--set", 'locks.algorithms=["winlock", "spin", "mcs"]'],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "verification passed after every event" not in out and "wall time" not in out
    assert ("no placement events (the experiment has only a [locks] table): lock benchmark of 3 algorithm(s) x "
            "5 workload(s) x 4 read fraction(s) on the hot lock at 2 rank(s) (2 rank count(s) above the job's 2 "
            "skipped), read fractions above 0 on remote-access only, 0.01 s per run" in out), out


# 2. A sweep over cluster sizes: no table pools sizes.

def test_a_sweep_keeps_cluster_sizes_apart_in_every_table(failure_sweep, tmp_path, capsys):
    md = compare_md(capsys, tmp_path, *failure_sweep)
    failures = pd.read_csv(tmp_path / "failures.csv")
    assert sorted(failures["size"].unique()) == [16, 24]
    assert (failures.n == 1).all()  # one file per size: never a row of two sizes
    for path, size in zip(failure_sweep, (16, 24)):
        run = load(path)
        fails = run.events[run.events.kind == "fail"]
        got = failures[failures["size"] == size]
        assert len(got) == len(fails)
        for e in fails.itertuples():
            r = got[(got.label == e.label) & (got.event == e.event)].iloc[0]
            assert r.keys_lost == e.keys_lost and r.keys_moved == e.keys_moved
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert sorted(table["size"].unique()) == [16, 24] and (table.n == 1).all()
    assert "| strategy | nodes | replicas | event |" in md  # the failures table names the size


# 3. A fail event's keys_moved: moves plus re-created replicas, all in the node matrix.

def test_keys_moved_is_the_node_matrix_and_moves_plus_replicas(replicated_zipf_result, tmp_path, capsys):
    run = load(replicated_zipf_result)
    record_bytes = int(run.attrs["record_bytes"])
    checked = 0
    for label in run.strategies:
        ev = run.events[run.events.label == label].reset_index(drop=True)
        nodes = run.traffic(label, "nodes").groupby("row")[["records", "bytes"]].sum()
        ranks = run.traffic(label, "ranks").groupby("row").bytes.sum()
        for i, e in ev.iterrows():
            records = int(nodes.records.get(i, 0))
            assert records == e.keys_moved, (label, i)  # re-created replicas included
            assert int(nodes.bytes.get(i, 0)) == e.bytes_moved == e.keys_moved * record_bytes
            assert int(ranks.get(i, 0)) == e.bytes_exchanged
            assert e.bytes_rereplicated == e.replicas_created * record_bytes
            if e.kind == "fail":
                assert e.replicas_created > 0 and e.keys_moved > e.replicas_created
                checked += 1
    assert checked > 0
    compare_md(capsys, tmp_path, replicated_zipf_result)
    f = pd.read_csv(tmp_path / "failures.csv")
    assert (f.records_moved + f.replicas_created == f.keys_moved).all()
    doc = (ROOT / "results" / "README.md").read_text()
    assert "keys_moved = records whose owner changed +\nreplicas_created" in doc


# 4. No significance below five samples; tests, Holm and effect sizes from five on.

def test_one_sample_makes_no_claim_of_significance(default_result, tmp_path, capsys):
    md = compare_md(capsys, tmp_path, default_result)
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert not set(TEST_COLUMNS) & set(table.columns)
    assert not (tmp_path / "significance.csv").exists()
    assert NO_TEST in md and "not significantly different" not in md
    assert NO_TEST in (tmp_path / "report.html").read_text().replace("&lt;", "<")


def test_a_stale_significance_file_is_removed(five_reps, default_result, tmp_path, capsys):
    compare_md(capsys, tmp_path, five_reps)
    assert (tmp_path / "significance.csv").is_file()
    compare_md(capsys, tmp_path, default_result)
    assert not (tmp_path / "significance.csv").exists()


def test_five_repetitions_are_tested_with_holm_and_effect_sizes(five_reps, tmp_path, capsys):
    md = compare_md(capsys, tmp_path, five_reps)
    samples = pd.read_csv(tmp_path / "samples.csv")
    sig = pd.read_csv(tmp_path / "significance.csv")
    labels = list(dict.fromkeys(samples.label))
    sizes = sorted(samples["size"].unique())
    assert len(sig) == len(sizes) * len(labels) * (len(labels) - 1) // 2
    assert (sig.pairs == len(sig)).all()
    for r in sig.itertuples():
        x = samples[(samples.label == r.a) & (samples["size"] == r.size)].moved_fraction.to_numpy()
        y = samples[(samples.label == r.b) & (samples["size"] == r.size)].moved_fraction.to_numpy()
        assert len(x) == len(y) == 5
        ref = sps.mannwhitneyu(x, y, alternative="two-sided")
        assert (r.U, r.p) == pytest.approx((ref.statistic, ref.pvalue))
        d = np.sort(np.subtract.outer(x, y).ravel())
        assert r.hl_shift == pytest.approx(np.median(d))
        assert (r.hl_low, r.hl_high) == pytest.approx((d[2], d[-3]))  # k = 3 for 5 against 5
        assert r.median_diff == pytest.approx(np.median(x) - np.median(y))
    assert sig.p_holm.to_numpy() == pytest.approx(holm(sig.p.to_numpy()))
    assert (sig.significant == (sig.p_holm < 0.05)).all()
    # 5 against 5 can reach p = 2/252 at best; Holm over this many pairs puts that above 0.05.
    assert not sig.significant.any()
    assert f"the smallest Holm-adjusted p possible is {min(1, 2 / 252 * len(sig)):.3g} >= alpha = 0.05" in md
    table = pd.read_csv(tmp_path / "comparison.csv", keep_default_na=False, na_values=[""])
    assert set(TEST_COLUMNS) <= set(table.columns)
    for size in sizes:
        rows = table[table["size"] == size]
        fewest = rows.loc[rows.moved_fraction.idxmin()]
        assert (rows.reference == fewest.label).all() or rows.moved_fraction.duplicated().any()
        modulo = rows[rows.label == "modulo"].iloc[0]
        assert modulo.shift_vs_reference > 0 and modulo.shift_low <= modulo.shift_vs_reference <= modulo.shift_high
        # Nothing can be significant, so nobody is named "not significantly different" either: modulo at
        # 0.75 is not "the same" as ring at 0.25 just because 5 samples cannot show the difference.
        assert pd.isna(modulo.not_significant_vs) or modulo.not_significant_vs == ""
    assert "too few samples for any difference to be significant" in md
    assert "Holm" in md and "Hodges-Lehmann" in md and "## Differences in moved fraction between strategies" in md


# 5. An undefined ratio is '-' with a note, and no warning reaches stderr.

def test_undefined_disruption_is_a_dash_with_a_note_and_no_warning(replicated_zipf_result, tmp_path):
    path = tmp_path / "zero-min.h5"
    shutil.copy(replicated_zipf_result, path)
    with h5py.File(path, "a") as f:
        ev = f["strategies/ring/events"]
        fail = int(np.flatnonzero(ev["kind"][:] == b"fail")[0])
        ev["keys_min"][fail] = 0  # a fail event whose only moves are re-created replicas beyond the bound
        size = int(ev["nodes_after"][fail])
    out = tmp_path / "out"
    # Every warning is an error, except two that Debian's matplotlib raises from its own mathtext grammar
    # (pyparsing 3 on matplotlib 3.6) whenever a figure is drawn, whatever it shows.
    library = ["-W", "ignore:warn_name_set_on_empty_Forward", "-W", "ignore:Forward defined here"]
    proc = subprocess.run([PYTHON, "-W", "error", *library, "-m", "analysis", "compare", str(path), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Warning:" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    table = pd.read_csv(out / "comparison.csv")
    ring = table[(table.label == "ring") & (table["size"] == size)].iloc[0]
    assert np.isnan(ring.disruption)
    assert f"disruption (moved / min) undefined for 1 sample(s) (ring at {size})" in proc.stdout
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith(f"| ring | {size} |"))
    assert "inf" not in line and " - |" in line
    c = compare([load(path)])
    assert not np.isinf(c.samples.disruption).any() and not np.isinf(c.events.disruption).any()
