"""results/README.md is the schema's contract: every name it documents must be
in a file the real ringsim writes, with the documented type, and the reader
must turn it into pandas without custom code."""

import re

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, table_frame
from analysis.reader import NotARingsimResult, load

DOC = (ROOT / "results" / "README.md").read_text()
OPTIONAL_ROOT = {"resumed_by"}  # only in a file continued by --resume


def table_after(heading_regex, with_units=False):
    """Rows (name, type) of the first markdown table after a heading; (name, type, unit) with
    `with_units` (its third column)."""
    m = re.search(heading_regex, DOC, re.M)
    assert m, heading_regex
    rows = []
    for line in DOC[m.end():].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        if cells[0] in ("name", "field") or set(cells[0]) <= set("-"):
            continue
        for name in cells[0].split(","):
            rows.append((name.strip(), cells[1], cells[2]) if with_units else (name.strip(), cells[1]))
    assert len(rows) >= 5, f"{heading_regex}: too few documented names, is the table still there?"
    return rows


def check_type(value_dtype, doc_type, what):
    kind = np.dtype(value_dtype).kind
    if doc_type.startswith("string"):
        assert kind in "SOU", f"{what}: documented {doc_type}, file has {value_dtype}"
    else:
        assert np.dtype(value_dtype) == np.dtype(doc_type), f"{what}: documented {doc_type}, file has {value_dtype}"


@pytest.mark.parametrize("fixture", ["default_result", "replicated_zipf_result"])
def test_every_documented_name_exists_with_its_type(fixture, request):
    path = request.getfixturevalue(fixture)
    with h5py.File(path, "r") as f:
        for name, doc_type in table_after(r"^## Root attributes"):
            if name in OPTIONAL_ROOT and name not in f.attrs:
                continue
            assert name in f.attrs, f"root attribute {name} missing"
            value = f.attrs[name]
            check_type(np.asarray(value).dtype, doc_type.split("[")[0], f"attribute {name}")
        documented_attrs = {n for n, _ in table_after(r"^## Root attributes")}
        assert set(f.attrs) <= documented_attrs, f"undocumented root attributes: {set(f.attrs) - documented_attrs}"
        labels = list(f["strategies"]["order"].asstr()[:])
        assert labels
        # The root datasets, with their documented units.
        for name, doc_type, unit in table_after(r"^## Root datasets", with_units=True):
            if name == "/hosts/threads" and name not in f:
                continue
            assert name in f, f"dataset {name} missing"
            check_type(f[name].dtype, doc_type.split("[")[0].split(" ")[0], name)
            assert f[name].attrs["units"] == unit, name
        for label in labels:
            g = f["strategies"][label]
            for name, doc_type in table_after(r"^### /strategies/<label> attributes"):
                assert name in g.attrs, f"{label}: attribute {name} missing"
                check_type(np.asarray(g.attrs[name]).dtype, doc_type.split("[")[0], f"{label} attribute {name}")
            # A table is a group of columns, each with the documented type and units.
            events = g["events"]
            for name, doc_type, unit in table_after(r"^### /strategies/<label>/events", with_units=True):
                assert name in events, f"{label}: events field {name} missing"
                check_type(events[name].dtype, doc_type.split("(")[0], f"{label} events.{name}")
                assert events[name].attrs["units"] == unit, f"{label} events.{name}"
            documented = {n for n, _ in table_after(r"^### /strategies/<label>/events")}
            assert set(events) <= documented, set(events) - documented
            for name in ("loads", "initial_loads"):
                assert name in g, f"{label}: dataset {name} missing"
                assert g[name].dtype == np.uint64
            for name in ("rank_traffic", "node_traffic"):
                assert name in g, f"{label}: table {name} missing"
                documented = table_after(r"^### /strategies/<label>/rank_traffic", with_units=True)
                assert set(g[name]) - {"traffic_row"} == {n for n, _, _ in documented}, f"{label}: {name} fields"
                for field, doc_type, unit in documented:
                    check_type(g[name][field].dtype, doc_type, f"{label} {name}.{field}")
                    assert g[name][field].attrs["units"] == unit, f"{label} {name}.{field}"
            rows = table_frame(events)
            # The byte figures and the matrices say what the README says they say.
            if f.attrs["record_bytes"] > 0:  # values of one size (else each record's own bytes)
                assert (rows["bytes_moved"] == rows["keys_moved"] * f.attrs["record_bytes"]).all()
            else:
                assert (rows["bytes_moved"] >= rows["keys_moved"] * f.attrs["key_bytes"]).all()
            # The sparse tables: every (event row, from, to) once, and their sums per event row are
            # the records moved (re-created replicas included) and the bytes exchanged.
            for name, total, field in (("node_traffic", rows["keys_moved"], "records"),
                                       ("rank_traffic", rows["bytes_exchanged"], "bytes")):
                t = table_frame(g[name])
                assert not t.duplicated(["row", "from", "to"]).any(), name
                if name == "rank_traffic" or f.attrs["replicas"] == 1:
                    assert (t["from"] != t["to"]).all(), name
                sums = t.groupby("row")[field].sum().reindex(range(len(rows)), fill_value=0)
                assert sums.tolist() == total.tolist(), name
            assert g.attrs["node_traffic_rows"] == len(g["node_traffic/row"])
            assert (rows["keys_moved"] >= rows["keys_min"]).all()
            assert (rows["t_exchange"] >= rows["t_exchange_floor_min"]).all()
        calibration = f["calibration"]
        for name, doc_type in table_after(r"^## /calibration"):
            assert name in calibration.attrs, f"calibration attribute {name} missing"
            check_type(np.asarray(calibration.attrs[name]).dtype, doc_type, f"calibration {name}")
        for name in ("pingpong", "alltoall"):
            assert calibration[name].dtype == np.float64 and calibration[name].shape[1:] == (2,)
        run_order = f["strategies/run_order"]
        assert run_order.dtype == np.uint32 and run_order.shape == (f.attrs["repetitions"], len(labels))
        assert sorted(run_order[0].tolist()) == list(range(len(labels)))


def test_reader_gives_one_row_per_strategy_and_event(default_result):
    run = load(default_result)
    assert run.attrs["schema_version"] == 5
    assert run.strategies[:2] == ["modulo", "ring"]
    n_events = len(run.events[run.events.label == "ring"])
    assert n_events == 4
    assert len(run.events) == n_events * len(run.strategies)
    ring = run.events[run.events.label == "ring"]
    assert (ring.kind.isin(["add", "remove"])).all()
    # Loads agree with the events table and sum to the keys.
    assert run.loads("ring").shape == (4, run.attrs["nodes"])
    assert (run.loads("ring").sum(axis=1) == ring.keys_total.to_numpy()).all()
    # keys_min is a true lower bound: disruption >= 1 on every row; the fair share has no such promise.
    assert (run.events.disruption >= 1.0).all()
    assert run.events.disruption.tolist() == pytest.approx((run.events.keys_moved / run.events.keys_min).tolist())
    assert run.events.moved_over_ideal.tolist() == pytest.approx(
        (run.events.keys_moved / run.events.keys_ideal).tolist())
    assert run.migration("ring", "nodes").sum(axis=(1, 2)).tolist() == ring.keys_moved.tolist()


def test_reader_refuses_what_is_not_a_result(tmp_path):
    with pytest.raises(NotARingsimResult, match="no such file"):
        load(tmp_path / "missing.h5")
    junk = tmp_path / "junk.h5"
    junk.write_text("hello")
    with pytest.raises(NotARingsimResult, match="not an HDF5 file"):
        load(junk)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["title"] = "something else"
    with pytest.raises(NotARingsimResult, match="not a ringsim result"):
        load(other)
    future = tmp_path / "future.h5"
    with h5py.File(future, "w") as f:
        f.attrs["schema_version"] = 99
        f.create_group("strategies")
    with pytest.raises(NotARingsimResult, match=r"schema version 99 is not one this reader knows \(\[2, 3, 4, 5\]\)"):
        load(future)


def test_ratio_of_counts_is_one_for_nothing_over_nothing():
    from analysis.reader import ratio_of_counts
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ratio_of_counts([6, 0, 5, 0], [3, 0, 0, 4]).tolist() == [2.0, 1.0, np.inf, 0.0]


def test_repetitions_are_stacked_with_their_index(tmp_path):
    from conftest import run_ringsim
    out = run_ringsim(tmp_path / "reps.h5", str(ROOT / "experiments" / "default.toml"), 2,
                      "keys.count=5000", "run.repetitions=3")
    run = load(out)
    ring = run.events[run.events.label == "ring"]
    assert ring.repetition.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert run.loads("ring").shape == (12, 4)
    assert run.initial_loads("ring").shape == (3, 4)
    assert len(run.strategy_attrs["ring"]["lookup_ns"]) == 3
    # Different seeds, different key sets: the moves differ between repetitions.
    assert len(set(ring[ring.event == 0].keys_moved)) > 1


def test_lock_benchmark_table_has_every_documented_field(tmp_path):
    from conftest import run_ringsim
    out = run_ringsim(tmp_path / "locks.h5", str(ROOT / "experiments" / "locks.toml"), 2,
                      "locks.duration=0.05", "locks.ranks=[2]", "locks.workloads=[\"empty\", \"work\"]",
                      "locks.algorithms=[\"winlock\", \"spin\", \"mcs\"]", "locks.reads=[0, 0.5]",
                      "locks.reads_workloads=[\"work\"]")
    with h5py.File(out, "r") as f:
        table = f["locks/results"]
        documented = table_after(r"^### /locks/results", with_units=True)
        assert set(table) == {n for n, _, _ in documented}
        for name, doc_type, unit in documented:
            check_type(table[name].dtype, doc_type.split("(")[0], f"locks.{name}")
            assert table[name].attrs["units"] == unit, f"locks.{name}"
        rows = table_frame(table)
        # three algorithms x (empty at reads 0; work at reads 0 and 0.5), one rank count
        assert len(rows) == 3 * 3
        assert sorted(rows["reads"]) == [0.0] * 6 + [0.5] * 3
        assert (rows["read_acquisitions"] + rows["write_acquisitions"] == rows["acquisitions"]).all()
        assert (rows["acquisitions_per_second"] > 0).all()
        assert (rows["latency_p50_us"] <= rows["latency_p99_us"]).all()
        # The stored histograms give back ringsim's own percentiles by the documented rule: C++ and
        # Python compute them one way.
        from analysis import stats
        hist = f["locks/latency_histogram"]
        assert hist.shape == (len(rows), 3200)
        assert hist.attrs["min_exponent"] == -10 and hist.attrs["sub_buckets"] == 64
        for i, r in rows.iterrows():
            assert hist[i].sum() == r["acquisitions"]
            for q, field in ((0.5, "latency_p50_us"), (0.9, "latency_p90_us"), (0.99, "latency_p99_us")):
                assert stats.histogram_percentile(hist[i], q, r["latency_min_us"], r["latency_max_us"]) == r[field]
