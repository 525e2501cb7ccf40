"""Finds the result files behind the paths given to `analysis compare`.

A path is a result file, a folder (every *.h5 below it), or a Slurm sweep
folder: a folder with an `index.csv` that lists one task per row, with at
least the columns `file` (relative to the folder) and `status` (ok, failed,
missing). Tasks whose file is failed, missing, or absent on disk are named and
left out; the rest are analysed. Result files below a sweep folder that the
index does not list are analysed too; files it names with another status than
ok (say a partial result of a task that ran out of time) are not.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from .reader import NotARingsimResult, Run, load

INDEX = "index.csv"


class InputError(ValueError):
    """A path cannot be analysed; the message is one line for the user."""


@dataclasses.dataclass
class MissingTask:
    sweep: Path
    file: str  # may be empty: a task that never ran has no file
    status: str  # the index's status, or "absent" when it says ok and there is no file
    task: str = ""  # what else the index says of the task: number, experiment, strategy, nodes
    message: str = ""

    def describe(self) -> str:
        name = str(self.sweep / self.file) if self.file else f"{self.sweep}: task {self.task or '?'}"
        text = f"{name} ({self.status}"
        if self.file and self.task:
            text += f", task {self.task}"
        return text + (f": {self.message})" if self.message else ")")


def _task_text(row: dict) -> str:
    """'3 (default, ring, nodes 8)' from the columns a sweep index may have."""
    context = [row.get(k, "").strip() for k in ("experiment", "strategy")]
    if (row.get("nodes") or "").strip():
        context.append(f"nodes {row['nodes'].strip()}")
    context = [c for c in context if c]
    task = (row.get("task") or "").strip()
    return (task + (f" ({', '.join(context)})" if context else "")).strip()


@dataclasses.dataclass
class Inputs:
    runs: list[Run]
    missing: list[MissingTask]
    sweeps: list[Path]  # folders whose index.csv was read


def _read_index(folder: Path) -> tuple[list[Path], list[MissingTask], set[Path]]:
    index = folder / INDEX
    try:
        with index.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        raise InputError(f"{index}: cannot read the sweep index ({e})") from None
    if rows and not {"file", "status"} <= set(rows[0].keys()):
        raise InputError(f"{index}: a sweep index needs the columns 'file' and 'status'")
    present, missing, named = [], [], set()
    for row in rows:
        row = {k: (v or "") for k, v in row.items() if k is not None}
        name = row.get("file", "").strip()
        status = row.get("status", "").strip().lower()
        task, message = _task_text(row), " ".join(row.get("message", "").split())
        path = folder / name
        if name:
            named.add(path.resolve())
        if status != "ok":
            missing.append(MissingTask(folder, name, status or "no status", task, message))
        elif not name or not path.is_file():
            missing.append(MissingTask(folder, name, "absent", task, message))
        else:
            present.append(path)
    return present, missing, named


def collect(paths) -> Inputs:
    """Loads every result named by the paths; raises InputError or NotARingsimResult."""
    files: list[Path] = []
    missing: list[MissingTask] = []
    sweeps: list[Path] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
        if p.is_dir():
            found = sorted(p.rglob("*.h5"))
            if (p / INDEX).is_file():
                listed, gone, named = _read_index(p)
                sweeps.append(p)
                missing.extend(gone)
                # Files the index names as failed (e.g. a partial result) stay out; unnamed ones come in.
                found = listed + [f for f in found if f.resolve() not in named]
            if not found:
                detail = f" (the sweep index names {len(missing)} tasks, none with a result)" if missing else ""
                raise InputError(f"{p}: no result files (*.h5) in this folder{detail}")
            files.extend(found)
        elif p.name == INDEX:
            listed, gone, _ = _read_index(p.parent)
            sweeps.append(p.parent)
            missing.extend(gone)
            if not listed:
                raise InputError(f"{p}: the sweep index names no task with a result")
            files.extend(listed)
        else:
            files.append(p)
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    runs = []
    for f in unique:
        try:
            runs.append(load(f))
        except NotARingsimResult as e:
            raise NotARingsimResult(" ".join(str(e).split())) from None  # one line
    return Inputs(runs, missing, sweeps)
