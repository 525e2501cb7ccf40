"""A sweep's node-count axis scales the cluster (slurm/ringsim_slurm.py, scale = "relative"):
the experiment's initial cluster and every event become fractions of its cluster.nodes, laid on
the task's node count, or the sweep refuses the experiment with one line saying why. No Slurm,
no ringsim: the expansion alone (tests/slurm/test_sweep_validate.sh checks the scaled files with
`ringsim run --dry-run`, test_slurm.sh runs them).

    /usr/bin/python3 -m unittest discover -s tests/slurm -p 'test_scale.py'
"""

import subprocess
import sys
import tempfile
import tomllib
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "slurm"))

import ringsim_slurm as rs  # noqa: E402

EXPERIMENTS = ROOT / "experiments"


def parsed(name):
    return tomllib.loads((EXPERIMENTS / f"{name}.toml").read_text())


def scaled(name_or_dict, nodes):
    data = parsed(name_or_dict) if isinstance(name_or_dict, str) else name_or_dict
    cluster, events, _ = rs.scale_experiment(data, nodes, "experiment x")
    return cluster, events


def active_fractions(cluster, events):
    """The active count at the start and after each event, as a fraction of cluster.nodes
    (events by count, ids or `to`; restart and churn leave it)."""
    n = cluster["nodes"]
    active = cluster.get("initial", n)
    out = [active / n]
    for ev in events:
        k = len(ev["nodes"]) if "nodes" in ev else (1 if "node" in ev else ev.get("count", 1))
        if ev["kind"] in ("add", "rejoin"):
            active += k
        elif ev["kind"] in ("remove", "fail"):
            active -= k
        elif ev["kind"] == "scale":
            active = ev["to"]
        out.append(active / n)
    return out


class RelativeScale(unittest.TestCase):
    def test_scale_out_keeps_its_fractions_at_every_size(self):
        # 16 of 32 active, then 20, 24, 28, 32: at 64 nodes 32 -> 64, at 256 nodes 128 -> 256.
        original = active_fractions(parsed("scale-out")["cluster"], parsed("scale-out")["events"])
        for nodes in (64, 256, 48):
            cluster, events = scaled("scale-out", nodes)
            self.assertEqual(cluster["nodes"], nodes)
            self.assertEqual(cluster["initial"], nodes // 2)
            self.assertEqual([e["to"] for e in events], [nodes * k // 8 for k in (5, 6, 7, 8)])
            self.assertEqual(active_fractions(cluster, events), original)

    def test_node_ids_map_to_blocks(self):
        # default: 4 nodes, 3 active; add 1, remove node 1, add node 1, remove 1 at random.
        cluster, events = scaled("default", 64)
        self.assertEqual((cluster["nodes"], cluster["initial"]), (64, 48))
        self.assertEqual(events[0], {"kind": "add", "count": 16})
        self.assertEqual(events[1], {"kind": "remove", "nodes": list(range(16, 32))})
        self.assertEqual(events[2], {"kind": "add", "nodes": list(range(16, 32))})
        self.assertEqual(events[3], {"kind": "remove", "count": 16})

    def test_weights_follow_their_nodes(self):
        w = parsed("weighted")["cluster"]["weights"]
        cluster, events = scaled("weighted", 36)
        self.assertEqual(cluster["weights"], [x for x in w for _ in range(3)])
        self.assertEqual(events[1], {"kind": "remove", "nodes": [21, 22, 23]})  # node 7, weight 4
        self.assertTrue(all(cluster["weights"][n] == w[7] for n in events[1]["nodes"]))

    def test_same_size_is_the_experiment_itself(self):
        for name in ("default", "scale-out", "churn", "weighted", "all-strategies", "failures-r2"):
            data = parsed(name)
            cluster, events = scaled(name, data["cluster"]["nodes"])
            expected = [dict(e) for e in data["events"]]
            for e in expected:  # node = n is written as nodes = [n]
                if "node" in e:
                    e["nodes"] = [e.pop("node")]
            self.assertEqual(cluster, data["cluster"], name)
            self.assertEqual(events, expected, name)

    def test_counts_round_to_the_nearest_active_count(self):
        # 3 of 4 active, add 1, remove 1 at 10 nodes: 7.5 -> 8 active, then 10, then 8 (halves up).
        data = {"cluster": {"nodes": 4, "initial": 3},
                "events": [{"kind": "add", "count": 1}, {"kind": "remove", "count": 1}]}
        cluster, events = scaled(data, 10)
        self.assertEqual(cluster["initial"], 8)
        self.assertEqual([e["count"] for e in events], [2, 2])

    def test_churn_scales_its_rate_not_its_steps(self):
        cluster, events = scaled("churn", 96)  # 24 nodes, 16 active, rate 2 -> x4
        self.assertEqual((cluster["nodes"], cluster["initial"], cluster["replicas"]), (96, 64, 2))
        self.assertEqual(events, [{"kind": "churn", "rate": 8, "steps": 10, "mode": "fail"}])


class Refusals(unittest.TestCase):
    def refused(self, data, nodes, *words):
        with self.assertRaises(rs.ScaleError) as cm:
            rs.scale_experiment(parsed(data) if isinstance(data, str) else data, nodes, "experiment x")
        message = str(cm.exception)
        self.assertTrue(message.startswith("experiment x: "), message)
        self.assertNotIn("\n", message)
        for w in words:
            self.assertIn(w, message)

    def test_ids_need_a_multiple(self):
        self.refused("default", 6, "events[1]", "node ids", "multiple of cluster.nodes = 4", "nodes = 6")
        self.refused("all-strategies", 8, "events[2]", "multiple of cluster.nodes = 16")

    def test_weights_need_a_multiple(self):
        self.refused("weighted", 16, "cluster.weights", "multiple of cluster.nodes = 12")

    def test_an_event_that_would_change_no_node(self):
        self.refused("failures-r2", 8, "events[0]", "nodes = 8", "too few nodes")
        self.refused("large-cluster", 64, "events[0]", "nodes = 64")

    def test_no_cluster_size_to_scale_from(self):
        self.refused({"events": [{"kind": "add"}]}, 8, "no cluster.nodes")

    def test_sweep_file_fields(self):
        with tempfile.TemporaryDirectory() as d:
            bad = Path(d, "s.toml")
            bad.write_text('experiments = ["a.toml"]\nstrategies = ["ring"]\nnodes = [8]\nscale = "absolute"\n')
            with self.assertRaisesRegex(rs.UsageError, "scale must be 'relative', got 'absolute'"):
                rs.load_sweep(bad)
            bad.write_text('experiments = ["a.toml"]\nstrategies = ["ring"]\nnodes = [8]\n'
                           'set = ["cluster.initial=4"]\n')
            with self.assertRaisesRegex(rs.UsageError, "set 'cluster.initial=4' conflicts with nodes"):
                rs.load_sweep(bad)
            ok = Path(d, "ok.toml")
            ok.write_text('experiments = ["a.toml"]\nstrategies = ["ring"]\nnodes = [8, 16]\n')
            self.assertEqual([t["scale"] for t in rs.load_sweep(ok)[1]], ["relative", "relative"])
            ok.write_text('experiments = ["a.toml"]\nstrategies = ["ring"]\n')
            self.assertEqual([t["scale"] for t in rs.load_sweep(ok)[1]], [""])  # no axis: nothing to scale


class DerivedFile(unittest.TestCase):
    def derive(self, *args):
        return subprocess.run([sys.executable, str(ROOT / "slurm" / "ringsim_slurm.py"), "derive", *args],
                              capture_output=True, text=True)

    def test_the_derived_file_is_the_scaled_experiment_for_one_strategy(self):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d, "t.toml")
            r = self.derive(str(EXPERIMENTS / "default.toml"), "ring", str(out), "--nodes", "64")
            self.assertEqual(r.returncode, 0, r.stderr)
            text = out.read_text()
            data = tomllib.loads(text)
            self.assertEqual([s["name"] for s in data["strategies"]], ["ring"])
            self.assertEqual(data["cluster"], {"nodes": 64, "initial": 48})
            self.assertEqual(data["events"][1]["nodes"], list(range(16, 32)))
            self.assertEqual(data["name"], "default")
            # The original tables are kept as comments, so the file stored in the result says what it was.
            self.assertIn("# was: node = 1", text)
            self.assertIn('scale = "relative": cluster.nodes 4 -> 64', text)

    def test_a_refusal_is_one_line_naming_the_experiment(self):
        with tempfile.TemporaryDirectory() as d:
            r = self.derive(str(EXPERIMENTS / "default.toml"), "ring", str(Path(d, "t.toml")), "--nodes", "6")
            self.assertEqual(r.returncode, 2)
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
            self.assertRegex(r.stderr, r"^ringsim_slurm: error: experiment default: events\[1\] .* nodes = 6 ")
            self.assertFalse(Path(d, "t.toml").exists())


if __name__ == "__main__":
    unittest.main()
