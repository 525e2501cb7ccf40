#!/usr/bin/python3
"""Helpers of slurm/ringsim.sbatch (Python standard library; h5py for tag and gather).

    ringsim_slurm.py count SWEEP                 number of tasks in a sweep file
    ringsim_slurm.py list SWEEP                  the tasks, one per line: index, experiment, strategy, nodes
    ringsim_slurm.py name SWEEP                  the sweep's name (its `name` field or the file's stem)
    ringsim_slurm.py task SWEEP INDEX            one task as key=value lines (experiment, stem, strategy, nodes, set)
    ringsim_slurm.py derive EXPERIMENT STRATEGY OUT
                                                 writes OUT: the experiment with only that strategy's
                                                 entries; prints extra --set values, one per line
    ringsim_slurm.py tag FILE                    adds the slurm_* root attributes from the environment
    ringsim_slurm.py gather SWEEP DIR            writes DIR/index.csv; exit 1 if a task is not ok
    ringsim_slurm.py pending SWEEP INDEX_CSV     the tasks the index marks failed or missing, one per line
    ringsim_slurm.py ranges N...                 task numbers as a job array's list: 1-3,7
    ringsim_slurm.py supersede DIR TASK          renames a task's earlier result files and record
                                                 (*.superseded) before it runs again

A sweep file (TOML) is the product experiments x strategies x nodes; tasks are
numbered in that order (the experiment varies slowest):

    name = "small"                       # optional, default: the file's stem
    experiments = ["../default.toml"]    # relative to the sweep file
    strategies = ["ring", "jump-swap"]   # labels of the experiments' [[strategies]] entries
    nodes = [4, 8]                       # cluster.nodes of each task (optional: the experiment's)
    set = ["keys.count=1e6"]             # --set overrides for every task (optional)

Errors are one line on stderr, `ringsim_slurm: error: ...`, exit code 2.
"""

import csv
import os
import re
import sys
import tomllib
from pathlib import Path

SWEEP_FIELDS = {"name", "description", "experiments", "strategies", "nodes", "set"}
INDEX_COLUMNS = ["task", "status", "file", "experiment", "strategy", "nodes", "job_id",
                 "array_job_id", "exit_code", "events", "message"]
SLURM_ATTRIBUTES = {  # attribute: (environment variable, integer?)
    "slurm_job_id": ("SLURM_JOB_ID", True),
    "slurm_array_job_id": ("SLURM_ARRAY_JOB_ID", True),
    "slurm_array_task_id": ("SLURM_ARRAY_TASK_ID", True),
    "slurm_job_nodelist": ("SLURM_JOB_NODELIST", False),
    "slurm_job_num_nodes": ("SLURM_JOB_NUM_NODES", True),
    "slurm_ntasks": ("SLURM_NTASKS", True),
    "slurm_ntasks_per_node": ("SLURM_TASKS_PER_NODE", False),
}


class UsageError(Exception):
    pass


def load_sweep(path):
    """(name, tasks) of a sweep file; each task a dict index, experiment (Path), strategy, nodes, set."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"sweep file {path}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"sweep file {path}: not a text (TOML) file: byte {e.object[e.start]:#04x} "
                         f"at offset {e.start} is not UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"sweep file {path}: not TOML: {e}") from None
    unknown = set(data) - SWEEP_FIELDS
    if unknown:
        raise UsageError(f"sweep file {path}: unknown field(s) {', '.join(sorted(unknown))} "
                         f"(expected {', '.join(sorted(SWEEP_FIELDS))})")

    def strings(field, required):
        value = data.get(field)
        if value is None and not required:
            return []
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise UsageError(f"sweep file {path}: {field} must be a non-empty list of strings")
        return value

    experiments = strings("experiments", True)
    strategies = strings("strategies", True)
    overrides = strings("set", False)
    nodes = data.get("nodes", [None])
    if (not isinstance(nodes, list) or not nodes
            or not all(n is None or (isinstance(n, int) and not isinstance(n, bool) and n > 0) for n in nodes)):
        raise UsageError(f"sweep file {path}: nodes must be a non-empty list of positive integers")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise UsageError(f"sweep file {path}: name must be letters, digits, '.', '_' or '-'")
    tasks = []
    for e in experiments:
        experiment = Path(os.path.normpath(path.resolve().parent / e))  # an absolute e stays as it is
        for s in strategies:
            for n in nodes:
                tasks.append({"index": len(tasks), "experiment": experiment, "strategy": s,
                              "nodes": n, "set": overrides})
    return name, tasks


# ---- derive: the experiment with one strategy ----------------------------------------

HEADER = re.compile(r"^\s*\[")
STRATEGY_HEADER = re.compile(r"^\s*\[\[\s*strategies\s*\]\]\s*(#.*)?$")


def split_strategy_blocks(text):
    """(other lines, [strategy block lines]): a block runs from its [[strategies]] header to the next header."""
    other, blocks, current = [], [], None
    for line in text.splitlines(keepends=True):
        if STRATEGY_HEADER.match(line):
            current = [line]
            blocks.append(current)
        elif HEADER.match(line):
            current = None
            other.append(line)
        elif current is not None:
            current.append(line)
        else:
            other.append(line)
    return other, blocks


def derive(experiment, strategy, out):
    experiment = Path(experiment)
    try:
        text = experiment.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"experiment file {experiment}: {e.strerror}") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"experiment file {experiment}: not a text (TOML) file: byte "
                         f"{e.object[e.start]:#04x} at offset {e.start} is not UTF-8") from None
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"experiment file {experiment}: not TOML: {e}") from None
    entries = parsed.get("strategies", [])
    other, blocks = split_strategy_blocks(text)
    if len(blocks) != len(entries):
        raise UsageError(f"experiment file {experiment}: cannot pick strategies out of it "
                         f"(write each as a [[strategies]] table)")
    labels = [e.get("label", e.get("name")) for e in entries]
    chosen = [b for b, label in zip(blocks, labels) if label == strategy]
    if not chosen:
        chosen = [b for b, e in zip(blocks, entries) if e.get("name") == strategy]
    if not chosen:  # not in the experiment: the registry's strategy with its defaults
        chosen = [[f'[[strategies]]\nname = "{strategy}"\n']]
    body = "".join(other)
    if not body.endswith("\n"):
        body += "\n"
    head = f"# derived by slurm/ringsim_slurm.py from {experiment}: strategy {strategy} only\n"
    if "name" not in parsed:  # keep the experiment's name (the file stem) in the result
        head += f'name = "{experiment.stem}"\n'
    derived = head + body + "\n" + "".join("".join(b) for b in chosen)
    tomllib.loads(derived)  # still valid TOML
    Path(out).write_text(derived)
    keys = parsed.get("keys", {})
    key_file = keys.get("file") if isinstance(keys, dict) else None
    if isinstance(key_file, str) and not Path(key_file).is_absolute():
        # A key trace is relative to the experiment file, which the derived file is not next to.
        print(f"keys.file={(experiment.resolve().parent / key_file)}")


# ---- tag: the job's parameters as root attributes ------------------------------------

def tag(path):
    import h5py

    values = {}
    for attr, (var, integer) in SLURM_ATTRIBUTES.items():
        raw = os.environ.get(var, "")
        if attr == "slurm_ntasks_per_node" and os.environ.get("SLURM_NTASKS_PER_NODE"):
            raw = os.environ["SLURM_NTASKS_PER_NODE"]
        if integer:
            values[attr] = int(raw) if re.fullmatch(r"\d+", raw) else -1
        else:
            values[attr] = raw
    with h5py.File(path, "r+") as f:
        if "schema_version" not in f.attrs:
            raise UsageError(f"{path}: not a ringsim result (no schema_version attribute)")
        for attr, value in values.items():
            if isinstance(value, int):
                f.attrs.create(attr, value, dtype="int64")
            else:  # fixed-length UTF-8, like ringsim's own strings
                data = value.encode()
                f.attrs.create(attr, data, dtype=h5py.string_dtype("utf-8", max(1, len(data))))


# ---- gather: the sweep's index ---------------------------------------------------------

def read_record(path):
    record = {}
    try:
        for line in path.read_text(errors="replace").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                record[key] = value
    except OSError:
        return None
    return record


def check_result(path, nodes):
    """(events, problem or ''): is the file a complete ringsim result of this task, tagged?"""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if "schema_version" not in f.attrs:
                return 0, "not a ringsim result (no schema_version)"
            if int(f.attrs.get("partial", 0)) == 1:
                return int(f.attrs.get("events_completed", 0)), "partial result (the run was stopped early)"
            missing = [a for a in SLURM_ATTRIBUTES if a not in f.attrs]
            if missing:
                return 0, f"no {', '.join(missing)} attribute(s)"
            if nodes is not None and int(f.attrs["nodes"]) != nodes:
                return 0, f"nodes = {int(f.attrs['nodes'])}, the sweep asked for {nodes}"
            order = f["strategies"]["order"][:] if "order" in f["strategies"] else f["strategies"].attrs["order"]
            labels = [s.decode() for s in order]
            if not labels:
                return 0, "no strategies"
            rows = [len(f["strategies"][label]["events"]) for label in labels]
            if min(rows) == 0:
                return 0, "a strategy without events"
            return sum(rows), ""
    except (OSError, KeyError, ValueError) as e:
        return 0, f"unreadable: {' '.join(str(e).split())}"


def gather(sweep, folder):
    _, tasks = load_sweep(sweep)
    folder = Path(folder)
    rows, bad = [], []
    for t in tasks:
        i = t["index"]
        record = read_record(folder / "tasks" / f"{i}.status")
        row = {"task": i, "experiment": t["experiment"].stem, "strategy": t["strategy"],
               "nodes": "" if t["nodes"] is None else t["nodes"], "file": "", "job_id": "",
               "array_job_id": "", "exit_code": "", "events": "", "message": ""}
        if record is None:
            row["status"] = "missing"
            row["message"] = "no record: the task never started (cancelled, or the array did not cover it)"
        else:
            for key in ("job_id", "array_job_id", "exit_code", "message"):
                row[key] = record.get(key, "")
            name = record.get("file", "")
            partial = name[:-3] + ".partial.h5" if name.endswith(".h5") else ""
            state = record.get("state", "")
            problem = ""
            if name and (folder / name).is_file():
                row["file"] = name
            elif partial and (folder / partial).is_file():
                row["file"] = partial
            if row["file"]:
                events, problem = check_result(folder / row["file"], t["nodes"])
                row["events"] = events
            if state == "ok" and row["file"] == name and name and not problem:
                row["status"] = "ok"
            else:
                row["status"] = "failed"
                if state == "running":
                    row["message"] = ("did not finish: killed (time limit, cancel or node failure?)"
                                      + (f"; {row['message']}" if row["message"] else ""))
                elif state == "ok":
                    row["message"] = (f"{row['file']}: {problem}" if row["file"]
                                      else "the job ended well but its result file is gone")
                elif row["file"] and problem and not row["message"]:
                    row["message"] = problem
        rows.append(row)
        if row["status"] != "ok":
            bad.append(row)

    tmp = folder / "index.csv.tmp"
    with tmp.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=INDEX_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    tmp.replace(folder / "index.csv")
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "failed", "missing")}
    report = [f"gather: {len(rows)} task(s): {counts['ok']} ok, {counts['failed']} failed, "
              f"{counts['missing']} missing; index {folder / 'index.csv'}"]
    for r in bad:
        job = f", job {r['job_id']}" if r["job_id"] else ""
        report.append(f"gather: {r['status'].upper()} task {r['task']} (experiment {r['experiment']}, "
                      f"strategy {r['strategy']}, nodes {r['nodes'] or 'as in the experiment'}{job}): "
                      f"{r['message'] or 'exit code ' + str(r['exit_code'])}")
    text = "\n".join(report) + "\n"
    (folder / "gather.txt").write_text(text)  # for slurm/sweep.sh --wait
    sys.stdout.write(text)
    return 1 if bad else 0


# ---- resume: which tasks to run again ---------------------------------------------------

def pending(sweep, index):
    """Task numbers that index.csv marks failed or missing (ascending)."""
    _, tasks = load_sweep(sweep)
    index = Path(index)
    try:
        with index.open(newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        raise UsageError(f"{index}: cannot read the sweep index ({e})") from None
    if rows and not {"task", "status"} <= set(rows[0]):
        raise UsageError(f"{index}: no 'task' and 'status' columns: not a sweep index")
    status = {}
    for row in rows:
        task = (row.get("task") or "").strip()
        if not re.fullmatch(r"\d+", task) or int(task) >= len(tasks):
            raise UsageError(f"{index}: task {task!r} is not one of the sweep's {len(tasks)} tasks")
        status[int(task)] = (row.get("status") or "").strip().lower()
    # A task the index does not list never got a record: missing too.
    return [t["index"] for t in tasks if status.get(t["index"], "missing") in ("failed", "missing")]


def ranges(numbers):
    """[1, 2, 3, 7] -> '1-3,7'."""
    numbers = sorted(set(numbers))
    parts, i = [], 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        parts.append(str(numbers[i]) if i == j else f"{numbers[i]}-{numbers[j]}")
        i = j + 1
    return ",".join(parts)


def supersede(folder, task):
    """Renames the files of a task's earlier attempt (its result, its partial result) and its
    status record to *.superseded, so that a sweep folder holds one attempt per task."""
    folder = Path(folder)
    status = folder / "tasks" / f"{task}.status"
    record = read_record(status)
    if record is None:
        return
    name = record.get("file", "")
    moved = []
    candidates = [name, name[:-3] + ".partial.h5"] if name.endswith(".h5") else []
    for n in candidates:
        if n and (folder / n).is_file():
            (folder / n).replace(folder / (n + ".superseded"))
            moved.append(n)
    status.replace(status.with_name(status.name + ".superseded"))
    what = f" and {', '.join(moved)}" if moved else ""
    print(f"ringsim_slurm: task {task}: the earlier attempt's record{what} renamed *.superseded")


def main(argv):
    if len(argv) < 2:
        raise UsageError("usage: see the top of slurm/ringsim_slurm.py")
    cmd, args = argv[1], argv[2:]
    if cmd == "count" and len(args) == 1:
        print(len(load_sweep(args[0])[1]))
    elif cmd == "name" and len(args) == 1:
        print(load_sweep(args[0])[0])
    elif cmd == "list" and len(args) == 1:
        for t in load_sweep(args[0])[1]:
            print(t["index"], t["experiment"], t["strategy"], t["nodes"] or "-", sep="\t")
    elif cmd == "task" and len(args) == 2:
        tasks = load_sweep(args[0])[1]
        if not re.fullmatch(r"\d+", args[1]) or int(args[1]) >= len(tasks):
            raise UsageError(f"sweep file {args[0]}: no task {args[1]} (it has {len(tasks)}: 0-{len(tasks) - 1})")
        t = tasks[int(args[1])]
        print(f"experiment={t['experiment']}")
        print(f"stem={t['experiment'].stem}")
        print(f"strategy={t['strategy']}")
        print(f"nodes={t['nodes'] or ''}")
        for s in t["set"]:
            print(f"set={s}")
    elif cmd == "derive" and len(args) == 3:
        derive(*args)
    elif cmd == "tag" and len(args) == 1:
        tag(args[0])
    elif cmd == "gather" and len(args) == 2:
        return gather(*args)
    elif cmd == "pending" and len(args) == 2:
        for t in pending(*args):
            print(t)
    elif cmd == "ranges" and args and all(re.fullmatch(r"\d+", a) for a in args):
        print(ranges(int(a) for a in args))
    elif cmd == "supersede" and len(args) == 2 and re.fullmatch(r"\d+", args[1]):
        supersede(args[0], int(args[1]))
    else:
        raise UsageError(f"unknown command or wrong arguments: {' '.join(argv[1:])}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except UsageError as e:
        print(f"ringsim_slurm: error: {e}", file=sys.stderr)
        sys.exit(2)
