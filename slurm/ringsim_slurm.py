#!/usr/bin/python3
"""Helpers of slurm/ringsim.sbatch (Python standard library; h5py for tag and gather).

    ringsim_slurm.py count SWEEP                 number of tasks in a sweep file
    ringsim_slurm.py list SWEEP                  the tasks, one per line: index, experiment, strategy, nodes
    ringsim_slurm.py name SWEEP                  the sweep's name (its `name` field or the file's stem)
    ringsim_slurm.py task SWEEP INDEX            one task as key=value lines (experiment, stem, strategy, nodes, set)
    ringsim_slurm.py derive EXPERIMENT STRATEGY OUT [--nodes N --scale relative]
                                                 writes OUT: the experiment with only that strategy's
                                                 entries (with --nodes and --scale: its cluster and
                                                 timeline scaled to N nodes); prints extra --set
                                                 values, one per line
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
    nodes = [4, 8]                       # cluster size of each task (optional: the experiment's)
    scale = "relative"                   # how a task's node count applies (the default, the only mode)
    set = ["keys.count=1e6"]             # --set overrides for every task (optional)

scale = "relative": the experiment is re-expressed as fractions of its own
cluster.nodes N0 and laid on the task's N nodes (f = N / N0). cluster.nodes
becomes N. Every active count on the timeline becomes the original's times f,
rounded to the nearest integer (halves up): cluster.initial, each `scale` event's
`to`, and the active count after each add, remove, fail and rejoin, whose count is
the difference of the rounded counts before and after it; a restart's count and
a churn's rate are scaled the same way (churn's steps stay). Node ids map to
blocks: node n becomes nodes n*f .. n*f + f - 1, and so do cluster.weights
(each of those nodes gets node n's weight); ids and weights therefore need N to
be a multiple of N0. With f a whole number the timeline is the original with
every node replaced by f nodes. Keys, replicas and the rest stay as they are.
A timeline that cannot be scaled (no cluster.nodes, ids or weights with N not a
multiple of N0, an event that would change no node, an active count out of
range) is refused with one line naming the experiment and the event; the
scaled experiment is then checked for every strategy by `ringsim run --dry-run`
(slurm/sweep.sh does so before it submits).

Errors are one line on stderr, `ringsim_slurm: error: ...`, exit code 2.
"""

import csv
import os
import re
import sys
import tomllib
from pathlib import Path

SWEEP_FIELDS = {"name", "description", "experiments", "strategies", "nodes", "scale", "set"}
SCALE_MODES = ("relative",)
# --set fields that would undo the scaling of the node-count axis
SCALED_FIELDS = ("cluster.nodes", "cluster.initial", "cluster.weights")
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
    scale = data.get("scale", SCALE_MODES[0])
    if scale not in SCALE_MODES:
        raise UsageError(f"sweep file {path}: scale must be {' or '.join(repr(m) for m in SCALE_MODES)}, "
                         f"got {scale!r}")
    scaled = any(n is not None for n in nodes)
    if scaled:
        for o in overrides:
            if o.split("=", 1)[0].strip() in SCALED_FIELDS:
                raise UsageError(f"sweep file {path}: set {o!r} conflicts with nodes (scale = {scale!r} "
                                 f"derives {', '.join(SCALED_FIELDS)} from each task's node count)")
    tasks = []
    for e in experiments:
        experiment = Path(os.path.normpath(path.resolve().parent / e))  # an absolute e stays as it is
        for s in strategies:
            for n in nodes:
                tasks.append({"index": len(tasks), "experiment": experiment, "strategy": s,
                              "nodes": n, "scale": scale if n is not None else "", "set": overrides})
    return name, tasks


# ---- scale: an experiment's cluster and timeline on another node count ----------------

class ScaleError(UsageError):
    pass


def toml_value(v):
    """A TOML literal for the plain values of [cluster] and [[events]] tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise ScaleError(f"cannot write {v!r} back as TOML")


def toml_table(header, table, comments=()):
    """The table's text; comments go below the header, so that they stay with its section."""
    return (header + "\n" + "".join(f"# {c}\n" for c in comments)
            + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items()))


def scale_experiment(parsed, nodes, where):
    """(cluster table, [event tables], [notes]): the experiment's cluster and timeline on
    `nodes` nodes, re-expressed as fractions of its own cluster.nodes (see the top of
    this file). Raises ScaleError, naming `where`, when the timeline cannot be scaled."""
    cluster = dict(parsed.get("cluster", {}))
    events = [dict(e) for e in parsed.get("events", [])]
    n0 = cluster.get("nodes")
    if not isinstance(n0, int) or isinstance(n0, bool) or n0 < 1:
        raise ScaleError(f"{where}: no cluster.nodes (one node per rank), so there is no cluster size "
                         f"to scale from to nodes = {nodes}; set cluster.nodes in the experiment")
    initial = cluster.get("initial", n0)
    if not isinstance(initial, int) or isinstance(initial, bool) or not 1 <= initial <= n0:
        raise ScaleError(f"{where}: cluster.initial = {initial!r} is not a node count in 1..{n0}")
    whole = nodes % n0 == 0
    factor = nodes // n0

    def at_scale(count):  # an active count at the task's size: nearest, halves up
        return (2 * count * nodes + n0) // (2 * n0)

    def blocks(ids, what):
        if not whole:
            raise ScaleError(f"{where}: {what} names node ids, which scale only to a multiple of "
                             f"cluster.nodes = {n0} (node n becomes nodes n*f .. n*f+f-1); "
                             f"nodes = {nodes} is not one")
        return [n * factor + j for n in ids for j in range(factor)]

    ratio = f"{nodes}/{n0}" if not whole else str(factor)
    notes = [f"scale = \"relative\": cluster.nodes {n0} -> {nodes} (x {ratio}); active counts x {ratio}"
             + (f", node n -> nodes {factor}n .. {factor}n+{factor - 1}" if whole and factor > 1 else "")]
    cluster["nodes"] = nodes
    if "initial" in cluster:
        cluster["initial"] = at_scale(initial)
        if cluster["initial"] < 1:
            raise ScaleError(f"{where}: cluster.initial = {initial} scales to 0 nodes at nodes = {nodes}")
    if "weights" in cluster:
        weights = cluster["weights"]
        if isinstance(weights, list) and len(weights) == n0:  # else ringsim names the problem
            if not whole:
                raise ScaleError(f"{where}: cluster.weights are per node, which scale only to a multiple of "
                                 f"cluster.nodes = {n0}; nodes = {nodes} is not one")
            cluster["weights"] = [weights[i // factor] for i in range(nodes)]

    active = initial
    for i, ev in enumerate(events):
        what = f"events[{i}] (kind = {ev.get('kind', '?')!r})"
        kind = ev.get("kind")
        ids = ev.get("nodes", [ev["node"]] if "node" in ev else None)
        if kind in ("add", "remove", "fail", "rejoin", "restart"):
            if ids is not None:
                if not isinstance(ids, list) or not all(isinstance(n, int) for n in ids):
                    continue  # ringsim names the problem
                ev.pop("node", None)
                ev["nodes"] = blocks(ids, what)
                k = len(ids)
            else:
                k = ev.get("count", 1)
                if not isinstance(k, int) or isinstance(k, bool) or k < 1:
                    continue
            if kind == "restart":
                if "count" in ev:
                    ev["count"] = at_scale(k)
                    if ev["count"] < 1:
                        raise ScaleError(f"{where}: {what}: count = {k} scales to 0 nodes at nodes = {nodes}")
                continue
            before = active
            active += k if kind in ("add", "rejoin") else -k
            if not 1 <= active <= n0:
                raise ScaleError(f"{where}: {what} would leave {active} active node(s) of "
                                 f"cluster.nodes = {n0} in the experiment itself")
            if ids is None:
                scaled = abs(at_scale(active) - at_scale(before))
                if scaled < 1:
                    raise ScaleError(f"{where}: {what}: count = {k} with {before} of cluster.nodes = {n0} "
                                     f"active changes no node at nodes = {nodes} ({at_scale(before)} active "
                                     f"before and after): too few nodes for this timeline")
                ev["count"] = scaled
        elif kind == "churn":
            rate = ev.get("rate", 1)
            if isinstance(rate, int) and not isinstance(rate, bool) and rate >= 1:
                ev["rate"] = at_scale(rate)
                if ev["rate"] < 1:
                    raise ScaleError(f"{where}: {what}: rate = {rate} scales to 0 nodes at nodes = {nodes}")
        elif kind == "scale":
            to = ev.get("to")
            if isinstance(to, int) and not isinstance(to, bool) and to >= 1:
                before, active = active, to
                ev["to"] = at_scale(to)
                if ev["to"] < 1:
                    raise ScaleError(f"{where}: {what}: to = {to} scales to 0 nodes at nodes = {nodes}")
                if at_scale(before) == ev["to"] and before != to:
                    raise ScaleError(f"{where}: {what}: to = {to} from {before} active is the same "
                                     f"{ev['to']} nodes at nodes = {nodes} (too few nodes for this timeline)")
    return cluster, events, notes


# ---- derive: the experiment with one strategy ----------------------------------------

HEADER = re.compile(r"^\s*\[")
STRATEGY_HEADER = re.compile(r"^\s*\[\[\s*strategies\s*\]\]\s*(#.*)?$")
CLUSTER_HEADER = re.compile(r"^\s*\[\s*cluster\s*\]\s*(#.*)?$")
EVENTS_HEADER = re.compile(r"^\s*\[\[\s*events\s*\]\]\s*(#.*)?$")


def split_sections(text):
    """The text as [lines] sections: the lines before the first header, then one per
    header, each running from its header to the next."""
    sections = [[]]
    for line in text.splitlines(keepends=True):
        if HEADER.match(line):
            sections.append([])
        sections[-1].append(line)
    return sections


def split_strategy_blocks(text):
    """(other lines, [strategy block lines]): a block runs from its [[strategies]] header to the next header."""
    other, blocks = [], []
    for section in split_sections(text):
        if section and STRATEGY_HEADER.match(section[0]):
            blocks.append(section)
        else:
            other.extend(section)
    return other, blocks


def scaled_text(text, parsed, nodes, where):
    """The experiment text with its [cluster] table and [[events]] tables rewritten for
    `nodes` nodes (scale_experiment); the original tables are kept as comments."""
    cluster, events, notes = scale_experiment(parsed, nodes, where)
    sections = split_sections(text)
    is_cluster = [bool(s) and CLUSTER_HEADER.match(s[0]) is not None for s in sections]
    is_event = [bool(s) and EVENTS_HEADER.match(s[0]) is not None for s in sections]
    if sum(is_cluster) != 1 or sum(is_event) != len(events):
        raise ScaleError(f"{where}: cannot scale it: write the cluster as one [cluster] table and "
                         f"each event as an [[events]] table")
    out, event = [], 0
    for section, c, e in zip(sections, is_cluster, is_event):
        if not (c or e):
            out.append("".join(section))
            continue
        was = ["was: " + line.rstrip("\n") for line in section[1:] if line.strip()]
        if c:
            out.append(toml_table("[cluster]", cluster, notes + was) + "\n")
        else:
            out.append(toml_table("[[events]]", events[event], was) + "\n")
            event += 1
    return "".join(out)


def derive(experiment, strategy, out, nodes=None, scale=""):
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
    if nodes is not None and scale:
        text = scaled_text(text, parsed, nodes, f"experiment {experiment.stem}")
        parsed = tomllib.loads(text)
        entries = parsed.get("strategies", [])
    other, blocks = split_strategy_blocks(text)
    labels = [e.get("label", e.get("name")) for e in entries]
    chosen = [b for b, label in zip(blocks, labels) if label == strategy]
    if not chosen:
        chosen = [b for b, e in zip(blocks, entries) if e.get("name") == strategy]
    if not chosen:  # not in the experiment: the registry's strategy with its defaults
        chosen = [[f'[[strategies]]\nname = "{strategy}"\n']]
    body = "".join(other)
    if not body.endswith("\n"):
        body += "\n"
    head = f"# derived by slurm/ringsim_slurm.py from {experiment}: strategy {strategy} only"
    head += f", scaled to {nodes} nodes\n" if nodes is not None and scale else "\n"
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
            else:  # variable-length UTF-8, like ringsim's own: h5py reads it back as str
                f.attrs.create(attr, value, dtype=h5py.string_dtype("utf-8"))


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
            # Schema 5: the events table is a group of columns (its rows are
            # those of its `event` column); before, one compound dataset.
            events = [f["strategies"][label]["events"] for label in labels]
            rows = [len(e["event"] if isinstance(e, h5py.Group) else e) for e in events]
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
        print(f"scale={t['scale']}")
        for s in t["set"]:
            print(f"set={s}")
    elif cmd == "derive" and len(args) in (3, 5, 7):
        options = dict(zip(args[3::2], args[4::2]))
        if set(options) - {"--nodes", "--scale"}:
            raise UsageError(f"derive: unknown option(s) {', '.join(sorted(set(options) - {'--nodes', '--scale'}))}")
        nodes = options.get("--nodes")
        scale = options.get("--scale", SCALE_MODES[0] if nodes else "")
        if nodes is not None and not re.fullmatch(r"[1-9]\d*", nodes):
            raise UsageError(f"derive: --nodes {nodes}: not a positive integer")
        if scale and scale not in SCALE_MODES:
            raise UsageError(f"derive: --scale {scale}: expected {', '.join(SCALE_MODES)}")
        derive(*args[:3], nodes=int(nodes) if nodes else None, scale=scale)
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
