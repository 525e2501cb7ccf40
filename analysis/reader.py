"""Reads ringsim result files (schema documented in results/README.md).

    from analysis.reader import load
    run = load("results/default.h5")
    run.attrs["ranks"], run.events  # one row per (strategy, event)
    run.loads("ring")               # numpy array [events, nodes]
    run.traffic("ring", "nodes")    # sparse table: row, from, to, records, bytes
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

SCHEMA_VERSIONS = {2, 3, 4, 5}
# Version 5 stores each table (events, rank_traffic, node_traffic, locks/results) as a group of 1-D column
# datasets along a dimension scale, with `units` on every dataset; versions 2 to 4 as compound datasets. The
# reader gives the same DataFrames for both.
# Version 4 adds per-event balance statistics and the removal-order metric (BALANCE_COLUMNS); files of
# versions 2 and 3 are read with those columns NaN.
# Version 3 stores what grows with the job as datasets (/experiment_text, /hosts, /ranks) and the
# traffic as sparse tables (rank_traffic, node_traffic); version 2 had attributes and dense matrices
# (migration_ranks, migration_nodes up to run.node_matrix_max). The figures mean the same in both.
DENSE_MAX = 512  # Run.migration() builds dense [events, n, n] matrices only up to this many ranks/nodes
# Why a version the reader knows of is refused (results/README.md): its figures do not mean what version 2's do.
REFUSED_VERSIONS = {
    1: "its keys_optimal is not a lower bound and its phase times are per-phase maxima, so it cannot be "
       "compared with version 2 figures; rerun the experiment with this ringsim",
}


# Events columns that version 4 added: in older files they are absent and read as NaN.
BALANCE_COLUMNS = ("primary_peak_to_mean", "load_chi2", "load_chi2_dof", "load_chi2_p", "random_peak_to_mean",
                   "random_peak_to_mean_se", "balance_few_keys", "t_balance", "order_keys_differ",
                   "order_fraction_differ", "t_order")


# Events columns that older files may lack, read as NaN: the request load of zipf workloads, and the measured
# operations per node of the processing stage (ops_*; 0 in files whose run had no processing).
OPTIONAL_COLUMNS = ("request_peak_to_mean", "request_cv", "ops_peak_to_mean", "ops_cv")
# Where Run.events.request_balance comes from (its request_source column).
REQUEST_SOURCES = {"ops": "ops_peak_to_mean: the operations each node served in the processing stage, measured",
                   "popularity": "request_peak_to_mean: each node's share of the keys' popularity (zipf keys)"}


class NotARingsimResult(ValueError):
    """The file is not a ringsim result, or has a schema this reader does not know."""


class UnreadableFile(NotARingsimResult):
    """HDF5 cannot open or read the file: empty, truncated, corrupt, or still being written."""


def _text(value):
    """HDF5 fixed-length strings arrive as bytes; numbers and arrays pass through."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.dtype.kind == "S":
        return [v.decode("utf-8") for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _table(obj) -> pd.DataFrame:
    """A table as a DataFrame: a group of column datasets (version 5; its own row scale left out, strings
    as str), or a compound dataset (versions 2 to 4). A column group cut short by a run that died while
    appending a row is read up to its shortest column."""
    if isinstance(obj, h5py.Dataset):
        frame = pd.DataFrame(obj[:])
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].map(_text)
        return frame
    columns = [(name, d) for name, d in obj.items()
               if isinstance(d, h5py.Dataset) and not h5py.h5ds.is_scale(d.id)]
    rows = min((len(d) for _, d in columns), default=0)
    return pd.DataFrame({name: (d.asstr()[:rows] if d.dtype.kind == "S" else d[:rows])
                         for name, d in columns})


def ratio_of_counts(num, den) -> np.ndarray:
    """num / den elementwise, 1.0 where both are 0 and inf where only den is 0 (no numpy warning)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.where(num > 0, np.inf, 1.0)
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclasses.dataclass
class Run:
    """One result file: its attributes, and per strategy its events and arrays."""

    path: Path
    attrs: dict
    strategies: list[str]  # labels, in the experiment's order
    strategy_attrs: dict[str, dict]
    events: pd.DataFrame  # all strategies; columns: label, strategy, and the events fields
    _arrays: dict[tuple[str, str], np.ndarray]
    locks: pd.DataFrame | None = None  # /locks/results, one row per lock benchmark run, if the file has it

    def loads(self, label: str) -> np.ndarray:
        """Keys per node after each event, [events, nodes]."""
        return self._arrays[(label, "loads")]

    def initial_loads(self, label: str) -> np.ndarray:
        return self._arrays[(label, "initial_loads")]

    def traffic(self, label: str, level: str = "ranks") -> pd.DataFrame | None:
        """The sparse traffic table of a strategy: one row per (event row, from, to) with records > 0,
        columns row (index into this strategy's events), from, to, records, bytes; level "ranks" or
        "nodes". None when the file has no such table (a version 2 file without node matrices)."""
        return self._arrays.get((label, level + "_traffic"))

    def migration(self, label: str, level: str = "ranks") -> np.ndarray | None:
        """Bytes between ranks [events, ranks, ranks], or records between nodes
        [events, nodes, nodes] (level="nodes"), dense; None when the table is missing or has more than
        DENSE_MAX ranks or nodes (use traffic() then)."""
        t = self.traffic(label, level)
        n = int(self.attrs.get("ranks" if level == "ranks" else "nodes", 0))
        if t is None or n > DENSE_MAX:
            return None
        events = int((self.events.label == label).sum()) if not self.events.empty else 0
        m = np.zeros((events, n, n), dtype=np.uint64)
        if len(t):
            np.add.at(m, (t["row"].to_numpy(), t["from"].to_numpy(), t["to"].to_numpy()),
                      t["bytes" if level == "ranks" else "records"].to_numpy(dtype=np.uint64))
        return m


def _reason(e: Exception) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text}" if isinstance(e, KeyError) or not text else text


def load(path: str | Path) -> Run:
    """Reads one result file. Raises UnreadableFile when HDF5 cannot open or read it, and
    NotARingsimResult when it reads but is not a ringsim result this reader knows."""
    path = Path(path)
    if not path.is_file():
        raise NotARingsimResult(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        detail = "an empty file" if path.stat().st_size == 0 else "not an HDF5 file"
        raise UnreadableFile(f"{path}: {detail} ({_reason(e)})") from None
    try:
        return _read(path, f)
    except NotARingsimResult:
        raise
    except (OSError, KeyError, ValueError, TypeError, IndexError, RuntimeError) as e:
        # Opens, but a part is damaged or missing (a truncated or half-written file).
        raise UnreadableFile(f"{path}: damaged or incomplete HDF5 file ({_reason(e)})") from None


def _read(path: Path, f: h5py.File) -> Run:
    with f:
        if "schema_version" not in f.attrs or "strategies" not in f:
            raise NotARingsimResult(f"{path}: not a ringsim result (no schema_version or /strategies)")
        version = int(f.attrs["schema_version"])
        if version in REFUSED_VERSIONS:
            raise NotARingsimResult(f"{path}: schema version {version} is not supported: {REFUSED_VERSIONS[version]}")
        if version not in SCHEMA_VERSIONS:
            raise NotARingsimResult(
                f"{path}: schema version {version} is not one this reader knows ({sorted(SCHEMA_VERSIONS)})"
            )
        attrs = {k: _text(v) for k, v in f.attrs.items()}
        if version >= 3:
            attrs["experiment_text"] = _text(f["experiment_text"][()])
            if "hosts" in f:
                attrs["hosts"] = _text(f["hosts"]["name"][:])  # one per host
                attrs["ranks_per_host"] = f["hosts"]["ranks"][:]
                if "threads" in f["hosts"]:
                    attrs["threads_per_host"] = f["hosts"]["threads"][:]
            if "ranks" in f and isinstance(f["ranks"], h5py.Group):
                attrs["host_of_rank"] = f["ranks"]["host"][:]
                if "peak_rss_bytes" in f["ranks"]:
                    attrs["peak_rss_bytes"] = f["ranks"]["peak_rss_bytes"][:]
            labels = _text(f["strategies"]["order"][:])
        else:
            labels = _text(f["strategies"].attrs["order"])
        frames, arrays, sattrs = [], {}, {}
        for label in labels:
            g = f["strategies"][label]
            sattrs[label] = {k: _text(v) for k, v in g.attrs.items()}
            ev = _table(g["events"])
            ev.insert(0, "strategy", sattrs[label]["strategy"])
            ev.insert(0, "label", label)
            if len(ev):  # a strategy that has not run yet (a partial file) has no rows: absent from events
                frames.append(ev)
            for name in ("loads", "initial_loads"):
                if name in g:
                    arrays[(label, name)] = g[name][:]
            for level in ("ranks", "nodes"):
                name = level[:-1] + "_traffic"  # rank_traffic, node_traffic
                if name in g:
                    arrays[(label, level + "_traffic")] = _table(g[name])
                elif "migration_" + level in g:  # version 2: a dense matrix per event
                    arrays[(label, level + "_traffic")] = _sparse(g["migration_" + level][:], level,
                                                                  int(attrs.get("record_bytes", 1)))
        events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        locks = None
        if "locks" in f and "results" in f["locks"]:
            locks = complete_locks(_table(f["locks"]["results"]), bool(int(attrs.get("oversubscribed", 0) or 0)))
    if not events.empty:
        for col in BALANCE_COLUMNS:
            if col not in events.columns:
                events[col] = np.nan
        # -1: the removal-order metric was off or not applicable to the strategy.
        events["order_keys_differ"] = events["order_keys_differ"].astype(float).where(
            events["order_keys_differ"].astype(float) >= 0)
        for col in OPTIONAL_COLUMNS:
            if col not in events.columns:
                events[col] = np.nan
        events["moved_fraction"] = events["keys_moved"] / (events["keys_total"] * attrs.get("replicas", 1))
        events["bytes_held"] = events["keys_total"].astype(float) * attrs.get("replicas", 1) * mean_record_bytes(attrs)
        events["bytes_fraction"] = events["bytes_moved"].astype(float) / events["bytes_held"].where(
            events["bytes_held"] > 0)
        balance, cv, source = request_balance(events)
        events["request_balance"], events["request_balance_cv"], events["request_source"] = balance, cv, source
        events["disruption"] = ratio_of_counts(events["keys_moved"], events["keys_min"])
        events["moved_over_ideal"] = ratio_of_counts(events["keys_moved"], events["keys_ideal"])
    return Run(path, attrs, labels, sattrs, events, arrays, locks)


def mean_record_bytes(attrs: dict) -> float:
    """The mean bytes of one record on the wire. Values of one size: the record_bytes attribute. Values of
    per-key sizes (the file has value_bytes_total, all keys' value bytes): the record's fixed part (key_bytes,
    plus the replica index byte when replicas > 1) plus the mean value, value_bytes_total / keys_count."""
    if "value_bytes_total" in attrs:
        keys = float(attrs.get("keys_count", 0) or 0)
        if keys > 0:
            fixed = float(attrs.get("key_bytes", 8)) + (1.0 if int(attrs.get("replicas", 1)) > 1 else 0.0)
            return fixed + float(attrs["value_bytes_total"]) / keys
    return float(attrs.get("record_bytes", 0) or 0)


def request_balance(events: pd.DataFrame) -> tuple[pd.Series, pd.Series, str]:
    """The request load's peak-to-mean and CV per event, and their source (a REQUEST_SOURCES key, "" for none):
    ops_peak_to_mean and ops_cv when some row has ops_peak_to_mean > 0 (a run with a processing stage),
    else request_peak_to_mean and request_cv when some row has it > 0 (zipf keys), else NaN. Rows of the
    chosen source that hold 0 (an event without processing) are NaN: no figure to show."""
    for prefix, source in (("ops", "ops"), ("request", "popularity")):
        peak = events[prefix + "_peak_to_mean"].astype(float)
        if (peak > 0).any():
            return peak.where(peak > 0), events[prefix + "_cv"].astype(float).where(peak > 0), source
    nothing = pd.Series(np.nan, index=events.index)
    return nothing, nothing.copy(), ""


def complete_locks(locks: pd.DataFrame, file_oversubscribed: bool = False) -> pd.DataFrame:
    """/locks/results with the columns of files that predate reader-writer mixes filled in: reads 0 (every
    acquisition a write), latency_p90_us and fairness_cv NaN, the row's oversubscribed mark from the file's
    verdict, counters_ok true, the lock options at their defaults. Such files' `fairness` had two other
    definitions (max / min acquisitions, or the spread of finish times): it is kept as fairness_legacy and
    `fairness` (max / min of the per-rank acquisition rates) is NaN."""
    locks = locks.copy()
    if "fairness_cv" not in locks:
        if "fairness" in locks:
            locks["fairness_legacy"] = locks["fairness"]
        locks["fairness"] = np.nan
        locks["fairness_cv"] = np.nan
    defaults = {"reads": 0.0, "latency_p90_us": np.nan, "oversubscribed": file_oversubscribed, "counters_ok": True,
                "ranks_per_host": 0, "cohort_handoffs": 16, "latency_min_us": np.nan, "target": ""}
    for col, value in defaults.items():
        if col not in locks:
            locks[col] = value
    if "read_acquisitions" not in locks:
        locks["read_acquisitions"] = 0
    if "write_acquisitions" not in locks:
        locks["write_acquisitions"] = locks["acquisitions"] - locks["read_acquisitions"]
    locks["oversubscribed"] = locks["oversubscribed"].astype(bool)
    locks["counters_ok"] = locks["counters_ok"].astype(bool)
    return locks


def _sparse(dense: np.ndarray, level: str, record_bytes: int) -> pd.DataFrame:
    """A version 2 dense matrix [events, n, n] (bytes between ranks, records between nodes) as a
    version 3 traffic table."""
    row, src, dst = np.nonzero(dense)
    value = dense[row, src, dst].astype(np.uint64)
    records = value // max(record_bytes, 1) if level == "ranks" else value
    return pd.DataFrame({"row": row.astype(np.uint64), "from": src.astype(np.uint32), "to": dst.astype(np.uint32),
                         "records": records, "bytes": value if level == "ranks" else value * record_bytes})


def load_many(paths) -> list[Run]:
    """Every result under the given files and folders (*.h5, recursively)."""
    files = []
    for p in map(Path, paths):
        files.extend(sorted(p.rglob("*.h5")) if p.is_dir() else [p])
    if not files:
        raise NotARingsimResult(f"no result files (*.h5) in {', '.join(map(str, paths))}")
    return [load(p) for p in files]
