"""Result files read by the generic tools, with no ringsim code: xarray (Debian's python3-xarray and
python3-h5netcdf, no phony_dims) opens every group and gives pandas in one call; every dataset and
column says its units; strings come back as str (xarray for datasets, h5py for attributes); the
matrices have named dimensions with their scales."""

import shutil

import h5py
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from conftest import ROOT, as_compound, run_ringsim
from analysis.reader import load

# HDF5's own dimension-scale bookkeeping (H5DS writes CLASS and NAME as fixed-length strings,
# DIMENSION_LIST and REFERENCE_LIST as references): not ringsim's attributes.
H5DS_ATTRS = {"CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST"}


@pytest.fixture(scope="session")
def full_result(tmp_path_factory):
    """A run in which every group exists: events with failures and replicas, two repetitions, and a
    [locks] table."""
    folder = tmp_path_factory.mktemp("full")
    experiment = folder / "full.toml"
    experiment.write_text((ROOT / "experiments" / "failures-r2.toml").read_text() + """
[locks]
algorithms = ["spin", "mcs"]
workloads = ["empty"]
ranks = [2]
duration = 0.05
""")
    return run_ringsim(folder / "full.h5", str(experiment), 2, "keys.count=5000", "run.repetitions=2")


def groups_with_datasets(path):
    """Every group of the file ("/" for the root) that holds at least one dataset."""
    found = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Group) and any(isinstance(v, h5py.Dataset) for v in obj.values()):
                found.append(name)
        if any(isinstance(v, h5py.Dataset) for v in f.values()):
            found.append("/")
        f.visititems(visit)
    return found


def test_every_group_opens_in_xarray_and_becomes_a_dataframe(full_result):
    groups = groups_with_datasets(full_result)
    # The tables are groups of their own: all of them are among those opened.
    for g in ("strategies", "strategies/ring", "strategies/ring/events", "strategies/ring/rank_traffic",
              "strategies/ring/node_traffic", "locks", "locks/results", "hosts", "ranks", "calibration"):
        assert g in groups, g
    with h5py.File(full_result, "r") as f:
        for g in groups:
            ds = xr.open_dataset(full_result, group=g, engine="h5netcdf")  # no phony_dims: every axis has a scale
            names = [n for n, v in f[g].items() if isinstance(v, h5py.Dataset)]
            assert set(names) <= set(ds.variables), (g, set(names) - set(ds.variables))
            if ds.sizes:
                frame = ds.to_dataframe()
                assert isinstance(frame, pd.DataFrame) and len(frame.columns) > 0, g
            else:  # the root: only the scalar experiment text
                assert isinstance(ds.to_pandas(), pd.Series)
                assert isinstance(ds.experiment_text.item(), str) and "[[strategies]]" in ds.experiment_text.item()
            ds.close()
        events = f["strategies/ring/events"]
        frame = xr.open_dataset(full_result, group="strategies/ring/events", engine="h5netcdf").to_dataframe()
        # One row per event row, one column per field, in the order of the fields, equal to the file's.
        assert list(frame.columns) == list(events)
        assert len(frame) == len(events["event"]) == 2 * 3
        assert frame.index.name == "row" and frame.index.tolist() == list(range(len(frame)))
        assert frame.keys_moved.tolist() == events["keys_moved"][:].tolist()
        assert frame.kind.tolist()[:3] == ["fail", "fail", "add"]
        locks = xr.open_dataset(full_result, group="locks/results", engine="h5netcdf").to_dataframe()
        assert sorted(locks.algorithm) == ["mcs", "spin"]
        traffic = xr.open_dataset(full_result, group="strategies/ring/node_traffic", engine="h5netcdf").to_dataframe()
        assert traffic.index.name == "traffic_row" and list(traffic.columns) == ["row", "from", "to", "records", "bytes"]
        assert traffic.groupby("row").records.sum().tolist() == frame.keys_moved.tolist()


def test_every_dataset_and_column_has_units(full_result):
    seen = []
    with h5py.File(full_result, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                seen.append(name)
                units = obj.attrs.get("units")
                assert isinstance(units, str) and units, f"{name}: units {units!r}"
        f.visititems(visit)
        assert f["strategies/ring/events/t_migrate"].attrs["units"] == "s"
        assert f["strategies/ring/events/bytes_moved"].attrs["units"] == "bytes"
        assert f["strategies/ring/events/load_peak_to_mean"].attrs["units"] == "1"
        assert f["strategies/ring/loads"].attrs["units"] == "records"
    assert "strategies/ring/events/keys_moved" in seen and "locks/results/seconds" in seen


def test_strings_are_str_in_xarray_and_attributes_str_in_h5py(full_result):
    string_columns = 0
    with h5py.File(full_result, "r") as f:
        for g in groups_with_datasets(full_result):
            with xr.open_dataset(full_result, group=g, engine="h5netcdf") as ds:
                for name, d in f[g].items():
                    if isinstance(d, h5py.Dataset) and d.dtype.kind == "S":
                        values = np.atleast_1d(ds[name].values)
                        assert all(isinstance(v, str) for v in values), f"{g}/{name}: {values[:3]!r}"
                        string_columns += 1
        assert string_columns >= 6  # kind, detail, order, hosts/name, locks' algorithm, workload, ...

        def check_attrs(name, obj):
            for key, value in obj.attrs.items():
                if key in H5DS_ATTRS:
                    continue
                v = np.asarray(value)
                assert v.dtype.kind not in "SO" or isinstance(value, str), f"{name or '/'} attribute {key}: {value!r}"
        check_attrs("", f)
        f.visititems(check_attrs)
        assert isinstance(f.attrs["git_commit"], str) and f["strategies/ring"].attrs["strategy"] == "ring"
        # h5py gives a string dataset as bytes unless asked for str (results/README.md says so).
        assert list(f["strategies/order"].asstr()[:])[:2] == ["modulo", "ring"]


def test_matrices_have_named_dimensions_and_scales(full_result):
    with h5py.File(full_result, "r") as f:
        nodes = int(f.attrs["nodes"])
        ranks = int(f.attrs["ranks"])
        rows = len(f["strategies/ring/events/event"])
    ds = xr.open_dataset(full_result, group="strategies/ring", engine="h5netcdf")
    assert ds.loads.dims == ("row", "node")
    assert ds.node.values.tolist() == list(range(nodes))
    assert ds.sizes["row"] == rows and ds.row.values.tolist() == list(range(rows))
    assert ds.initial_loads.dims == ("repetition", "node") and ds.sizes["repetition"] == 2
    # The loads of an event row sum to its records (replicas: 2 per key), matched by the shared row.
    events = xr.open_dataset(full_result, group="strategies/ring/events", engine="h5netcdf")
    assert events.keys_total.dims == ("row",)
    assert (ds.loads.sum("node").values == events.keys_total.values * 2).all()
    locks = xr.open_dataset(full_result, group="locks", engine="h5netcdf")
    assert locks.latency_histogram.dims == ("row", "bucket") and locks.sizes["bucket"] == 3200
    results = xr.open_dataset(full_result, group="locks/results", engine="h5netcdf")
    assert (locks.latency_histogram.sum("bucket").values == results.acquisitions.values).all()
    strategies = xr.open_dataset(full_result, group="strategies", engine="h5netcdf")
    assert strategies.run_order.dims == ("repetition", "position") and strategies.order.dims == ("strategy",)
    assert xr.open_dataset(full_result, group="ranks", engine="h5netcdf").host.dims == ("rank",)
    assert xr.open_dataset(full_result, group="ranks", engine="h5netcdf").sizes["rank"] == ranks
    calibration = xr.open_dataset(full_result, group="calibration", engine="h5netcdf")
    assert calibration.pingpong.dims == ("pingpong_point", "quantity")
    assert calibration.quantity.values.tolist() == ["message_bytes", "seconds"]


def test_the_reader_gives_the_same_frames_for_the_compound_tables_of_version_4(full_result, tmp_path):
    """Users' schema 4 files (one compound dataset per table) still load, into the same DataFrames."""
    old = tmp_path / "v4.h5"
    shutil.copy(full_result, old)
    with h5py.File(old, "r+") as f:
        f.attrs["schema_version"] = np.int32(4)
        for label in f["strategies/order"].asstr()[:]:
            for table in ("events", "rank_traffic", "node_traffic"):
                as_compound(f["strategies"][label], table)
        as_compound(f["locks"], "results")
        assert isinstance(f["strategies/ring/events"], h5py.Dataset)
    a, b = load(full_result), load(old)
    assert b.attrs["schema_version"] == 4
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.locks, b.locks)
    for label in a.strategies:
        for level in ("ranks", "nodes"):
            pd.testing.assert_frame_equal(a.traffic(label, level), b.traffic(label, level))
    assert a.events.kind.map(type).eq(str).all()
