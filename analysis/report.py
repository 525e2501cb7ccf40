"""One self-contained HTML report: the tables, every figure (embedded), and each
input's configuration and environment from its HDF5 attributes."""

from __future__ import annotations

import base64
import collections
import datetime
import html
from pathlib import Path

from .compare import OVERSUBSCRIBED, Comparison
from .reader import Run
from .tables import metric_docs, sections, significance_notes

CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1300px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f0f0f0; } td:first-child, th:first-child { text-align: left; }
td.text { text-align: left; }
pre { background: #f7f7f7; padding: 0.7em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #8a4b00; }
.warn { color: #b00000; font-weight: bold; border: 2px solid #b00000; background: #fff0f0; padding: 0.5em; }
"""

# Root attributes shown per input file, in this order: configuration, then environment.
CONFIG = ["experiment_name", "experiment_source", "overrides", "keys_count", "value_bytes", "record_bytes",
          "key_distribution", "zipf_exponent", "nodes", "mapping", "initial_nodes", "replicas", "repetitions", "seed",
          "floor_repeats", "verified", "partial", "events_completed"]
ENVIRONMENT = ["ranks", "hosts", "host_count", "ranks_per_host", "threads_per_host", "oversubscribed", "cpu_model",
               "network_bandwidth", "network_latency", "network_source", "ringsim_version", "git_commit",
               "mpi_version", "hdf5_version", "launcher", "start_time", "wall_seconds", "peak_rss_bytes",
               "compression", "command_line", "resumed_by", "schema_version"]


def _table(headers, rows) -> str:
    out = ["<table>", "<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in headers) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _attr_text(name: str, value) -> str:
    if value is None:
        return "-"
    if name == "hosts" and isinstance(value, list):
        counts = collections.Counter(value)
        return ", ".join(f"{h} x{n}" if n > 1 else h for h, n in counts.items())
    if name == "peak_rss_bytes":
        values = list(value) if hasattr(value, "__len__") else [value]
        return f"max {max(values) / 2**20:.1f} MiB over {len(values)} ranks"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if hasattr(value, "tolist"):
        return ", ".join(map(str, value.tolist()))
    return str(value)


def _runs_html(runs: list[Run]) -> str:
    parts = ["<h2>Inputs: configuration and environment</h2>"]
    names = [str(r.path) for r in runs]
    slurm = sorted({a for r in runs for a in r.attrs if a.startswith("slurm_")})  # written by Slurm jobs
    for title, attrs in (("Configuration", CONFIG), ("Environment", ENVIRONMENT + slurm)):
        rows = [[a] + [_attr_text(a, r.attrs.get(a)) for r in runs] for a in attrs]
        parts += [f"<h3>{title}</h3>", _table(["attribute"] + names, rows)]
    texts = collections.OrderedDict()
    for r in runs:
        texts.setdefault(r.attrs.get("experiment_text", ""), []).append(str(r.path))
    parts.append("<h3>Experiment files</h3>")
    for text, files in texts.items():
        parts.append(f"<p>{html.escape(', '.join(files))}:</p><pre>{html.escape(text)}</pre>")
    return "\n".join(parts)


def write(c: Comparison, runs: list[Run], figures: list[Path], notes: list[str], out: Path,
          command: str) -> Path:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
             "<title>ringsim: comparison of strategies</title>", f"<style>{CSS}</style></head><body>",
             "<h1>ringsim: comparison of placement strategies</h1>",
             f"<p>Made {now} by <code>{html.escape(command)}</code> from {len(runs)} result file(s).</p>"]
    if c.oversubscribed:
        parts.append(f"<p class='warn'>{html.escape(OVERSUBSCRIBED)}. Some host ran more ranks than it has hardware "
                     "threads in " + html.escape(", ".join(c.oversubscribed)) + ": every time, bound ratio and "
                     "timing figure from these files is marked, and none is a per-core cost.</p>")
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li class='note'>{html.escape(n)}</li>" for n in notes)
                     + "</ul>")
    for s in sections(c):
        parts += [f"<h2>{html.escape(s.title)}</h2>", f"<p>{html.escape(s.intro)}</p>", _table(s.headers, s.rows)]
    sig = significance_notes(c)
    if sig:
        parts.append("<p>" + "<br>".join(html.escape(line) for line in sig) + "</p>")
    docs = metric_docs()
    parts += ["<h3>How each figure of a sample is computed</h3>",
              _table(list(docs.columns), docs.itertuples(index=False))]
    parts.append("<h2>Figures</h2>")
    for fig in figures:
        data = base64.b64encode(fig.read_bytes()).decode("ascii")
        parts.append(f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(fig.stem)}'>"
                     f"<figcaption>{html.escape(fig.name)}</figcaption></figure>")
    parts.append(_runs_html(runs))
    parts.append("</body></html>")
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
