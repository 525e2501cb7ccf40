"""Finds the result files behind the paths given to `analysis compare`.

A path is a result file, a folder (every *.h5 below it), or a Slurm sweep
folder: a folder with an `index.csv` that lists one task per row, with at
least the columns `file` (relative to the folder) and `status` (ok, failed,
missing). Tasks whose file is failed, missing, or absent on disk are named and
left out; the rest are analysed. Result files below a sweep folder that the
index does not list are analysed too; files it names with another status than
ok (say a partial result of a task that ran out of time) are not.

Two kinds of file are left out with one line on stderr each, and the rest
analysed: a file HDF5 cannot open or read (empty, truncated, corrupt):
`analysis: cannot read FILE: ...`; and a stale `<out>.partial.h5` beside its
complete `<out>.h5` (left by an earlier, stopped run; the complete file is the run):
`analysis: note: ...`. Files that read but are not ringsim results, or have a
schema version this reader does not know, still stop the analysis.
"""

from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path

from .reader import NotARingsimResult, Run, UnreadableFile, load

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
    unreadable: list[str] = dataclasses.field(default_factory=list)  # "FILE: why", left out
    notes: list[str] = dataclasses.field(default_factory=list)  # what was left out and why, one line each


PARTIAL = ".partial.h5"


def _complete_of(path: Path) -> Path | None:
    """results/x.partial.h5 -> results/x.h5; None for any other name."""
    if not path.name.endswith(PARTIAL) or path.name == PARTIAL:
        return None
    return path.with_name(path.name[: -len(PARTIAL)] + ".h5")


def _warn(line: str) -> None:
    print(line, file=sys.stderr)


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


def collect(paths, warn=_warn) -> Inputs:
    """Loads every result named by the paths; raises InputError or NotARingsimResult.

    Files that cannot be read, and stale partial files beside their complete ones, are
    left out; `warn` gets one line for each (stderr by default), and Inputs says which."""
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
    runs, unreadable, notes = [], [], []
    for f in unique:
        try:
            runs.append(load(f))
        except UnreadableFile as e:
            text = " ".join(str(e).split())  # one line
            unreadable.append(text)
            notes.append(f"cannot read {text}; left out")
            warn(f"analysis: cannot read {text}")
        except NotARingsimResult as e:
            raise NotARingsimResult(" ".join(str(e).split())) from None  # one line
    # A partial file left from an earlier, stopped run of the same output is not a
    # second repetition: its complete file holds the run.
    complete = {r.path.resolve() for r in runs}
    kept = []
    for r in runs:
        whole = _complete_of(r.path)
        if whole is not None and whole.resolve() in complete:
            notes.append(f"{r.path}: a stale partial result beside its complete {whole.name}; ignored")
            warn(f"analysis: note: {notes[-1]}")
        else:
            kept.append(r)
    if not kept:  # every file was unreadable
        raise InputError(f"no readable result file among the inputs ({len(unreadable)} could not be read)")
    return Inputs(kept, missing, sweeps, unreadable, notes)
