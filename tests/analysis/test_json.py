"""The --json summaries against their schemas (results/*.schema.json), from the
real ringsim: a small run, `list --json`, and `--json -` on stdout."""

import copy
import json
import os
import subprocess

import h5py
import jsonschema
import pytest

from conftest import ROOT, run_ringsim

RUN_SCHEMA = json.loads((ROOT / "results" / "run.schema.json").read_text())
LIST_SCHEMA = json.loads((ROOT / "results" / "list.schema.json").read_text())
BINARY = os.environ.get("RINGSIM_BIN", str(ROOT / "build" / "ringsim"))


def validate(doc, schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)


@pytest.fixture(scope="session")
def json_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("json")
    os.environ["RINGSIM_JSON"] = str(folder / "run.json")  # run --json FILE, through run_ringsim
    try:
        out = run_ringsim(folder / "run.h5", str(ROOT / "experiments" / "default.toml"), 2, "keys.count=20000")
    finally:
        del os.environ["RINGSIM_JSON"]
    return out, json.loads((folder / "run.json").read_text())


def test_run_json_is_valid_and_agrees_with_the_result_file(json_run):
    h5, doc = json_run
    validate(doc, RUN_SCHEMA)
    assert doc["partial"] is False
    ctx = doc["context"]
    assert ctx["ranks"] == 2 and ctx["result_file"] == str(h5)
    with h5py.File(h5, "r") as f:
        def text(name):
            v = f.attrs[name]
            return v.decode() if isinstance(v, bytes) else str(v)
        assert ctx["versions"]["git_commit"] == text("git_commit")
        assert ctx["versions"]["git_dirty"] == bool(f.attrs["git_dirty"])
        assert ctx["versions"]["hdf5_schema"] == f.attrs["schema_version"]
        assert ctx["versions"]["boost"] == text("boost_version")
        assert ctx["build"]["compiler"] == text("compiler") and ctx["build"]["flags"] == text("compiler_flags")
        assert ctx["os"]["pretty_name"] == text("os_release")
        assert ctx["launcher"] == text("launcher") and ctx["launcher"]
        assert ctx["environment"] == [v for v in f.attrs["environment"].split("\n") if v]
        assert "OMPI_MCA_osc=sm,ucx" in ctx["environment"]
        assert [h["online_cpus"] for h in ctx["hosts"]] == f["hosts/online_cpus"][:].tolist()
        assert [h["mem_total_bytes"] for h in ctx["hosts"]] == f["hosts/mem_total_bytes"][:].tolist()
        labels = [s.decode() for s in f["strategies"]["order"][:]]
        assert [s["label"] for s in doc["strategies"]] == [labels[i] for i in f["strategies/run_order"][0]]
        for s in doc["strategies"]:
            rows = f["strategies"][s["label"]]["events"]  # a group of columns (schema 5)
            assert [e["keys_moved"] for e in s["events"]] == rows["keys_moved"][()].tolist()
            assert [e["bytes_moved"] for e in s["events"]] == rows["bytes_moved"][()].tolist()
    assert doc["run"]["events_completed"] == sum(len(s["events"]) for s in doc["strategies"])
    assert doc["run"]["verification"] == "passed"
    # NaN is null: removal-order figures are not measured in the default run.
    assert all(e["order_fraction_differ"] is None for s in doc["strategies"] for e in s["events"])
    assert {c["label"] for c in doc["comparison"]} == {s["label"] for s in doc["strategies"]}


def test_run_schema_rejects_a_document_missing_a_required_field(json_run):
    _, doc = json_run
    for path in (("partial",), ("context", "versions", "git_commit"), ("strategies", 0, "events", 0, "keys_moved")):
        broken = copy.deepcopy(doc)
        target = broken
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        with pytest.raises(jsonschema.ValidationError):
            validate(broken, RUN_SCHEMA)


def test_list_json_is_valid_and_names_every_strategy():
    text = subprocess.run([BINARY, "list", "--json"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    doc = json.loads(text)
    validate(doc, LIST_SCHEMA)
    human = subprocess.run([BINARY, "list"], check=True, capture_output=True, text=True, timeout=60).stdout
    names = [s["name"] for s in doc["strategies"]]
    assert names == [line for line in human.splitlines() if line and not line.startswith(" ")]
    ring = next(s for s in doc["strategies"] if s["name"] == "ring")
    assert ring["parameters"] == [{"name": "vnodes", "type": "integer", "default": 160,
                                   "meaning": "points per unit of weight"}]
    bounded = next(s for s in doc["strategies"] if s["name"] == "bounded")
    assert {p["name"]: p["type"] for p in bounded["parameters"]} == {"vnodes": "integer", "epsilon": "number"}
    broken = copy.deepcopy(doc)
    del broken["strategies"][0]["parameters"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, LIST_SCHEMA)


def test_json_dash_gives_pure_json_on_stdout(tmp_path):
    mpiexec = os.environ.get("MPIEXEC", "mpirun")
    env = dict(os.environ, OMPI_MCA_rmaps_base_oversubscribe="1")
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    p = subprocess.run([mpiexec, "-q", "-n", "2", "--oversubscribe", BINARY, "run", "--out", str(tmp_path / "s.h5"),
                        "--set", "keys.count=5000", "--set", "run.repetitions=1", "--json", "-"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)  # the whole of stdout, nothing else
    validate(doc, RUN_SCHEMA)
    assert "| experiment default" in p.stderr and "results:" in p.stderr
