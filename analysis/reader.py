"""Reads ringsim result files (schema documented in results/README.md).

    from analysis.reader import load
    run = load("results/default.h5")
    run.attrs["ranks"], run.events  # one row per (strategy, event)
    run.loads("ring")               # numpy array [events, nodes]
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

SCHEMA_VERSIONS = {2}
# Why a version the reader knows of is refused (results/README.md): its figures do not mean what version 2's do.
REFUSED_VERSIONS = {
    1: "its keys_optimal is not a lower bound and its phase times are per-phase maxima, so it cannot be "
       "compared with version 2 figures; rerun the experiment with this ringsim",
}


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

    def migration(self, label: str, level: str = "ranks") -> np.ndarray | None:
        """Bytes between ranks [events, ranks, ranks], or keys between nodes
        [events, nodes, nodes] (level="nodes"; None when the run did not record it)."""
        return self._arrays.get((label, "migration_" + level))


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
        labels = _text(f["strategies"].attrs["order"])
        frames, arrays, sattrs = [], {}, {}
        for label in labels:
            g = f["strategies"][label]
            sattrs[label] = {k: _text(v) for k, v in g.attrs.items()}
            ev = pd.DataFrame(g["events"][:])
            for col in ev.columns:
                if ev[col].dtype == object:
                    ev[col] = ev[col].map(_text)
            ev.insert(0, "strategy", sattrs[label]["strategy"])
            ev.insert(0, "label", label)
            if len(ev):  # a strategy that has not run yet (a partial file) has no rows: absent from events
                frames.append(ev)
            for name in ("loads", "initial_loads", "migration_ranks", "migration_nodes"):
                if name in g:
                    arrays[(label, name)] = g[name][:]
        events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        locks = None
        if "locks" in f and "results" in f["locks"]:
            locks = pd.DataFrame(f["locks"]["results"][:])
            for col in locks.columns:
                if locks[col].dtype == object:
                    locks[col] = locks[col].map(_text)
    if not events.empty:
        events["moved_fraction"] = events["keys_moved"] / (events["keys_total"] * attrs.get("replicas", 1))
        events["disruption"] = ratio_of_counts(events["keys_moved"], events["keys_min"])
        events["moved_over_ideal"] = ratio_of_counts(events["keys_moved"], events["keys_ideal"])
    return Run(path, attrs, labels, sattrs, events, arrays, locks)


def load_many(paths) -> list[Run]:
    """Every result under the given files and folders (*.h5, recursively)."""
    files = []
    for p in map(Path, paths):
        files.extend(sorted(p.rglob("*.h5")) if p.is_dir() else [p])
    if not files:
        raise NotARingsimResult(f"no result files (*.h5) in {', '.join(map(str, paths))}")
    return [load(p) for p in files]
