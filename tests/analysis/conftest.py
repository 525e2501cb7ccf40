"""Fixtures: result files produced by the real ringsim during the test run.

ctest passes the binary and the launcher in RINGSIM_BIN and MPIEXEC; without
them (pytest run by hand) the build/ folder and mpirun on PATH are used.
"""

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def table_frame(table) -> pd.DataFrame:
    """A result table straight from h5py: the column datasets of its group (its own row scale left
    out) as a DataFrame, strings as str."""
    return pd.DataFrame({name: (d.asstr()[:] if d.dtype.kind == "S" else d[:])
                         for name, d in table.items() if not h5py.h5ds.is_scale(d.id)})


def resize_rows(obj, rows: int):
    """Cuts a dataset, or every column of a table group (and its scale), to `rows` rows."""
    for d in (obj.values() if isinstance(obj, h5py.Group) else [obj]):
        d.resize(rows, axis=0)


def as_compound(parent, name: str, drop=()):
    """Replaces the table group `name` of `parent` by one compound dataset of its columns (less `drop`):
    the layout of schema versions 2 to 4."""
    columns = [(n, d) for n, d in parent[name].items() if not h5py.h5ds.is_scale(d.id) and n not in drop]
    rows = np.empty(len(columns[0][1]), dtype=[(n, d.dtype) for n, d in columns])
    for n, d in columns:
        rows[n] = d[:]
    del parent[name]
    parent.create_dataset(name, data=rows, maxshape=(None,), chunks=True)


def run_ringsim(out: Path, experiment: str, ranks: int = 2, *sets: str) -> Path:
    """Runs ringsim on `experiment`; one repetition unless `sets` says otherwise
    (bundled timing experiments ask for 5, which the tests do not need)."""
    if not any(s.startswith("run.repetitions=") for s in sets):
        sets = (*sets, "run.repetitions=1")
    binary = os.environ.get("RINGSIM_BIN", str(ROOT / "build" / "ringsim"))
    mpiexec = os.environ.get("MPIEXEC", "mpirun")
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = [mpiexec, "-q", "-n", str(ranks), "--oversubscribe", binary, "run", experiment, "--out", str(out),
           "--force", "--quiet"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, timeout=300)
    return out


@pytest.fixture(scope="session")
def default_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("results") / "default.h5"
    return run_ringsim(out, str(ROOT / "experiments" / "default.toml"), 2, "keys.count=20000")


@pytest.fixture(scope="session")
def replicated_zipf_result(tmp_path_factory):
    """A run that fills the failure, replication and zipf fields too."""
    out = tmp_path_factory.mktemp("results") / "failures.h5"
    return run_ringsim(out, str(ROOT / "experiments" / "failures-r2.toml"), 3, "keys.count=20000",
                       "keys.distribution=zipf")
