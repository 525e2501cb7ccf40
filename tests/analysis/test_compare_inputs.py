"""What `python3 -m analysis compare` accepts: files, folders, Slurm sweep folders
with an index.csv (failed and missing tasks named, the rest analysed), files
that cannot be read and stale partial files left out with one line each, and a
one-line error with a non-zero exit for each input it cannot analyse."""

import shutil
import subprocess

import h5py
import pandas as pd
import pytest

from conftest import ROOT, run_ringsim, table_frame

PYTHON = "/usr/bin/python3"


def compare_cli(*args):
    return subprocess.run([PYTHON, "-m", "analysis", "compare", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def assert_one_line_error(proc, pattern):
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("compare: error: ")
    assert pattern in lines[0], lines[0]


def test_a_path_that_does_not_exist(tmp_path):
    assert_one_line_error(compare_cli(tmp_path / "nope.h5", "--out", tmp_path / "out"),
                          "nope.h5: no such file or folder")


def test_a_file_that_is_not_hdf5(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5\n")
    proc = compare_cli(junk, "--out", tmp_path / "out")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith(f"analysis: cannot read {junk}: not an HDF5 file ("), lines[0]
    assert lines[1] == "compare: error: no readable result file among the inputs (1 could not be read)"


def test_an_hdf5_file_that_is_not_a_ringsim_result(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["title"] = "something else"
        f["data"] = [1, 2, 3]
    assert_one_line_error(compare_cli(other, "--out", tmp_path / "out"), "other.h5: not a ringsim result")


def test_a_schema_version_the_reader_does_not_know(default_result, tmp_path):
    future = tmp_path / "future.h5"
    shutil.copy(default_result, future)
    with h5py.File(future, "a") as f:
        f.attrs["schema_version"] = 99
    assert_one_line_error(compare_cli(future, "--out", tmp_path / "out"), "future.h5: schema version 99")


def test_an_empty_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no results here\n")
    assert_one_line_error(compare_cli(empty, "--out", tmp_path / "out"), "no result files (*.h5)")


def test_unreadable_files_among_good_ones_are_named_and_left_out(default_result, tmp_path):
    """A job that died leaves empty, truncated or garbled files: one line each, no traceback,
    and the readable files are analysed with the exit status of a good analysis."""
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(default_result, folder / "good.h5")
    (folder / "sub" / "text.h5").write_text("truncated")
    (folder / "empty.h5").write_bytes(b"")
    data = default_result.read_bytes()
    (folder / "truncated.h5").write_bytes(data[: len(data) // 3])
    # HDF5's signature, then garbage: the superblock cannot be read.
    (folder / "garbled.h5").write_bytes(data[:8] + bytes(range(256)) * 8)
    proc = compare_cli(folder, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    cannot = [line for line in proc.stderr.splitlines() if line.startswith("analysis: cannot read ")]
    assert len(cannot) == 4, proc.stderr
    for name, why in [("empty.h5", "an empty file"), ("sub/text.h5", "not an HDF5 file"),
                      ("truncated.h5", ""), ("garbled.h5", "")]:
        assert any(line.startswith(f"analysis: cannot read {folder / name}: {why}") for line in cannot), \
            (name, cannot)
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert set(samples.path.map(lambda p: p.rsplit("/", 1)[1])) == {"good.h5"}


def test_a_damaged_ringsim_file_is_left_out_not_a_traceback(default_result, tmp_path):
    """Opens as HDF5, but a part the reader needs is gone (a half-written file)."""
    folder = tmp_path / "damaged"
    folder.mkdir()
    shutil.copy(default_result, folder / "good.h5")
    shutil.copy(default_result, folder / "damaged.h5")
    with h5py.File(folder / "damaged.h5", "a") as f:
        del f["strategies"]["order"]
    proc = compare_cli(folder, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"analysis: cannot read {folder / 'damaged.h5'}: damaged or incomplete HDF5 file" in proc.stderr
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert set(samples.path.map(lambda p: p.rsplit("/", 1)[1])) == {"good.h5"}


def test_a_stale_partial_file_beside_its_complete_one_is_ignored(default_result, tmp_path):
    """A run stopped early, then run again to the end: x.partial.h5 and x.h5. The partial file
    is not a second repetition."""
    folder = tmp_path / "rerun"
    folder.mkdir()
    shutil.copy(default_result, folder / "x.h5")
    shutil.copy(default_result, folder / "x.partial.h5")
    with h5py.File(folder / "x.partial.h5", "a") as f:
        f.attrs["partial"] = 1
    proc = compare_cli(folder, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.splitlines() if "stale partial" in line]
    assert notes == [f"analysis: note: {folder / 'x.partial.h5'}: a stale partial result beside its "
                     f"complete x.h5; ignored"], proc.stderr
    table = pd.read_csv(tmp_path / "out" / "comparison.csv")
    assert table.n.max() == 1  # one repetition, not two
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert set(samples.path.map(lambda p: p.rsplit("/", 1)[1])) == {"x.h5"}
    # Named on the command line together, the same.
    proc = compare_cli(folder / "x.partial.h5", folder / "x.h5", "--out", tmp_path / "out2")
    assert proc.returncode == 0 and "stale partial" in proc.stderr
    assert pd.read_csv(tmp_path / "out2" / "comparison.csv").n.max() == 1


def test_a_partial_file_alone_is_analysed(default_result, tmp_path):
    """Without its complete file, a partial file is what there is: analysed (with the
    partial-run note), not ignored."""
    folder = tmp_path / "stopped"
    folder.mkdir()
    shutil.copy(default_result, folder / "y.partial.h5")
    shutil.copy(default_result, folder / "other.h5")  # x.h5 of another name is no complete file of y
    with h5py.File(folder / "y.partial.h5", "a") as f:
        f.attrs["partial"] = 1
    proc = compare_cli(folder, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "stale partial" not in proc.stderr
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert set(samples.path.map(lambda p: p.rsplit("/", 1)[1])) == {"y.partial.h5", "other.h5"}


def test_a_folder_is_searched_recursively(default_result, tmp_path):
    folder = tmp_path / "nested"
    (folder / "a" / "b").mkdir(parents=True)
    shutil.copy(default_result, folder / "a" / "b" / "one.h5")
    shutil.copy(default_result, folder / "two.h5")
    proc = compare_cli(folder, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert samples.path.map(lambda p: p.rsplit("/", 1)[1]).nunique() == 2
    # The same file twice counts once.
    proc = compare_cli(folder / "two.h5", folder / "two.h5", "--out", tmp_path / "out2")
    assert pd.read_csv(tmp_path / "out2" / "comparison.csv").n.max() == 1


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A partial sweep over cluster sizes: two tasks with results, three without."""
    d = tmp_path_factory.mktemp("sweep")
    (d / "out").mkdir()
    default = str(ROOT / "experiments" / "default.toml")
    for nodes in (4, 6):
        run_ringsim(d / "out" / f"nodes-{nodes}.h5", default, 2, "keys.count=5000", f"cluster.nodes={nodes}")
    # A task that ran out of time leaves a partial result: named as failed, not analysed.
    shutil.copy(d / "out" / "nodes-6.h5", d / "out" / "nodes-8.partial.h5")
    (d / "index.csv").write_text(
        "task,status,file,experiment,nodes,message\n"
        "0,ok,out/nodes-4.h5,default,4,\n"
        "1,ok,out/nodes-6.h5,default,6,\n"
        "2,failed,out/nodes-8.partial.h5,default,8,did not finish\n"
        "3,missing,,default,10,never started\n"
        "4,ok,out/nodes-12.h5,default,12,\n")  # said ok, but the file is not there
    return d


def test_a_partial_sweep_is_analysed_with_the_missing_tasks_named(sweep, tmp_path):
    proc = compare_cli(sweep, "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    for name in ("out/nodes-8.partial.h5 (failed, task 2 (default, nodes 8): did not finish)",
                 "task 3 (default, nodes 10) (missing: never started)",
                 "out/nodes-12.h5 (absent, task 4 (default, nodes 12))"):
        assert name in proc.stderr
        assert name in proc.stdout  # in the notes under the tables
    assert "3 sweep task(s) without a result" in proc.stdout
    samples = pd.read_csv(tmp_path / "out" / "samples.csv")
    assert sorted(samples.path.map(lambda p: p.rsplit("/", 1)[1]).unique()) == ["nodes-4.h5", "nodes-6.h5"]
    table = pd.read_csv(tmp_path / "out" / "comparison.csv")
    # Files differing in `nodes` are a sweep over cluster size: one row per strategy and size.
    assert sorted(table["size"].unique()) == [4, 6]
    assert (table.groupby("label").size() == 2).all()
    assert "| strategy | nodes | events |" in proc.stdout
    with h5py.File(sweep / "out" / "nodes-6.h5", "r") as f:
        ev = table_frame(f["strategies/ring/events"])
    ring6 = table[(table.label == "ring") & (table["size"] == 6)].iloc[0]
    assert ring6.n == 1
    assert ring6.moved_fraction == pytest.approx(ev.keys_moved.sum() / ev.keys_total.sum())
    # The index file itself names the sweep too.
    proc = compare_cli(sweep / "index.csv", "--out", tmp_path / "out2")
    assert proc.returncode == 0 and "nodes-8.partial.h5 (failed" in proc.stderr


def test_a_sweep_without_any_result_is_an_error(tmp_path):
    d = tmp_path / "sweep"
    d.mkdir()
    (d / "index.csv").write_text("file,status\na.h5,failed\nb.h5,missing\n")
    assert_one_line_error(compare_cli(d, "--out", tmp_path / "out"), "the sweep index names 2 tasks, none with")
