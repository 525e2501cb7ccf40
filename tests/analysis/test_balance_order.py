"""Schema 4: the balance statistics and the removal-order metric, from files the real ringsim writes,
and the reader on files of the previous schema (the new columns absent: NaN)."""

import math
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from conftest import ROOT, as_compound, run_ringsim
from analysis.compare import compare
from analysis.reader import BALANCE_COLUMNS, load
from analysis.tables import markdown, sections

PYTHON = "/usr/bin/python3"


def test_balance_columns_are_consistent(default_result):
    run = load(default_result)
    ev = run.events
    for col in BALANCE_COLUMNS:
        assert col in ev.columns
    assert (ev.random_peak_to_mean >= 1).all()
    assert (ev.random_peak_to_mean_se >= 0).all()
    assert ev.load_chi2_p.between(0, 1).all()
    assert (ev.load_chi2 >= 0).all()
    assert (ev.load_chi2_dof == ev.nodes_after - 1).all()
    # Without replicas the statistics count the same records as the loads.
    assert ev.primary_peak_to_mean.tolist() == pytest.approx(ev.load_peak_to_mean.tolist())
    # 20,000 keys on 3 or 4 nodes: plenty per node.
    assert (ev.balance_few_keys == 0).all()
    # The chi-square recomputed from the loads matrix and the shares (equal weights).
    for label in run.strategies:
        loads = run.loads(label).astype(float)
        rows = ev[ev.label == label]
        for i, r in enumerate(rows.itertuples()):
            active = loads[i][loads[i] > 0]
            expected = active.sum() / len(active)
            assert r.load_chi2 == pytest.approx(((active - expected) ** 2 / expected).sum(), rel=1e-9)
    # The same (keys, active count) gives the same random figure in every strategy (it is cached, and
    # deterministic): one value per cluster size.
    assert ev.groupby("nodes_after").random_peak_to_mean.nunique().max() == 1
    # Off by default: -1 in the file, NaN once read.
    with h5py.File(default_result, "r") as f:
        assert f.attrs["order_dependence"] == 0
        assert (f["strategies/ring/events/order_keys_differ"][:] == -1).all()
        assert f["strategies/ring"].attrs["order_dependence"] == "off"
    assert ev.order_keys_differ.isna().all() and ev.order_fraction_differ.isna().all()


def test_few_keys_per_node_are_flagged(tmp_path):
    out = run_ringsim(tmp_path / "few.h5", str(ROOT / "experiments" / "default.toml"), 2, "keys.count=300")
    ev = load(out).events
    # 300 keys on 3 or 4 nodes: below 100 per node on 4 nodes only.
    assert (ev.balance_few_keys == (ev.nodes_after * 100 > 300)).all()
    assert ev.balance_few_keys.any()
    c = compare([load(out)])
    assert any("fewer than 100 keys per active node" in n for n in c.notes)


def _as_schema_3(src, dst):
    """A schema 3 file: the same, with the version 4 columns and attributes removed."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        f.attrs["schema_version"] = np.int32(3)
        del f.attrs["order_dependence"]
        for label in [s.decode() for s in f["strategies/order"][:]]:
            g = f["strategies"][label]
            del g.attrs["order_dependence"]
            for table in ("events", "rank_traffic", "node_traffic"):
                as_compound(g, table, drop=BALANCE_COLUMNS)
    return dst


def test_the_reader_takes_schema_3_with_the_new_columns_nan(default_result, tmp_path):
    new = load(default_result)
    old = load(_as_schema_3(default_result, tmp_path / "v3.h5"))
    assert old.attrs["schema_version"] == 3
    for col in BALANCE_COLUMNS:
        assert col in old.events.columns and old.events[col].isna().all(), col
    # Everything else reads the same.
    for col in ("keys_moved", "keys_min", "load_peak_to_mean", "moved_fraction"):
        assert old.events[col].tolist() == new.events[col].tolist()
    # The comparison runs on it, and on both schemas together, with "-" where a figure is absent.
    c = compare([old])
    assert c.table.random_peak_to_mean.isna().all()
    text = markdown(c, c.notes)
    assert "random peak/mean" in text
    proc = subprocess.run([PYTHON, "-m", "analysis", "compare", str(tmp_path / "v3.h5"), str(default_result),
                           "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "chi-square p" in proc.stdout


def test_tables_show_peak_to_mean_beside_the_random_figure_and_p(default_result):
    c = compare([load(default_result)])
    movement = next(s for s in sections(c) if s.title == "Movement and balance")
    h = movement.headers
    assert h.index("random peak/mean") == h.index("peak/mean load") + 1
    assert h.index("chi-square p") == h.index("random peak/mean") + 1
    balance = next(s for s in sections(c) if s.title.startswith("Balance against chance"))
    assert "keys differing by removal order" in balance.headers
    ring = [r for r in balance.rows if r[0] == "ring"]
    assert ring and all(r[balance.headers.index("keys differing by removal order")] == "-" for r in ring)
    for r in c.table.itertuples():
        assert r.random_peak_to_mean >= 1 and 0 <= r.load_chi2_p <= 1


def test_order_dependence_in_the_file_and_the_tables(tmp_path):
    out = run_ringsim(tmp_path / "order.h5", str(ROOT / "experiments" / "order-dependence.toml"), 2,
                      "keys.count=20000")
    run = load(out)
    assert run.attrs["order_dependence"] == 1
    ev = run.events
    by = {label: g for label, g in ev.groupby("label")}
    for label in ("ring", "rendezvous", "maglev", "modulo", "multiprobe", "bounded", "dx"):
        assert (by[label].order_keys_differ == 0).all(), label
    for label in ("anchor", "memento", "jump-swap"):
        assert (by[label].order_keys_differ > 0).any(), label
        g = by[label]
        assert g.order_fraction_differ.tolist() == pytest.approx((g.order_keys_differ / g.keys_total).tolist())
    # The first event removes five nodes: the shadow differs from there on.
    assert by["anchor"].order_keys_differ.iloc[0] > 0
    assert run.strategy_attrs["anchor"]["order_dependence"] == "on"
    c = compare([run])
    anchor = c.table[c.table.label == "anchor"]
    assert (anchor.order_fraction_differ > 0).all()
    assert math.isnan(c.table[c.table.label == "ring"].t_order.iloc[0]) is False
