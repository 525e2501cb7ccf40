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
body { font-family: sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f0f0f0; position: sticky; top: 0; } td:first-child, th:first-child { text-align: left; }
th.sortable { cursor: pointer; } th.sortable::after { content: " \\2195"; color: #999; font-size: 0.8em; }
td.text { text-align: left; }
pre { background: #f7f7f7; padding: 0.7em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1em 0 2.5em; width: 100%; } figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.92em; margin-top: 0.4em; } figcaption code { font-size: 0.95em; }
details { margin: 0.5em 0 1.5em; } summary { cursor: pointer; color: #0645ad; }
nav.toc { background: #f7f7f7; border: 1px solid #ddd; padding: 0.5em 1.5em; display: inline-block; }
nav.toc ul { margin: 0.3em 0; padding-left: 1.2em; }
.note { color: #8a4b00; }
.warn { color: #b00000; font-weight: bold; border: 2px solid #b00000; background: #fff0f0; padding: 0.5em; }
"""

# Click a heading to sort its table (numbers as numbers); the report reads the same without scripts.
SORT_JS = """
document.querySelectorAll('table.sortable').forEach(function (t) {
  t.querySelectorAll('th').forEach(function (th, i) {
    th.classList.add('sortable');
    th.addEventListener('click', function () {
      var rows = Array.from(t.querySelectorAll('tr')).slice(1), up = th.dataset.up !== '1';
      var key = function (r) { var s = r.cells[i] ? r.cells[i].textContent.trim() : '';
                               var x = parseFloat(s.replace(/,/g, '')); return isNaN(x) ? s : x; };
      rows.sort(function (a, b) { var x = key(a), y = key(b);
        if (typeof x === typeof y) { return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1); }
        return (typeof x === 'number' ? -1 : 1) * (up ? 1 : -1); });
      th.dataset.up = up ? '1' : '0';
      rows.forEach(function (r) { t.appendChild(r); });
    });
  });
});
"""
LONG_TABLE = 12  # rows above which a table is folded in a <details> element

# Root attributes shown per input file, in this order: configuration, then environment.
CONFIG = ["experiment_name", "experiment_source", "overrides", "keys_count", "value_bytes", "record_bytes",
          "key_distribution", "zipf_exponent", "nodes", "mapping", "initial_nodes", "replicas", "repetitions", "seed",
          "floor_repeats", "verified", "partial", "events_completed"]
ENVIRONMENT = ["ranks", "hosts", "host_count", "ranks_per_host", "threads_per_host", "oversubscribed", "cpu_model",
               "network_bandwidth", "network_latency", "network_source", "ringsim_version", "git_commit",
               "mpi_version", "hdf5_version", "launcher", "start_time", "wall_seconds", "peak_rss_bytes",
               "compression", "command_line", "resumed_by", "schema_version"]


def _table(headers, rows, summary: str = "", fold: bool = True) -> str:
    """A table; one of more than LONG_TABLE rows is sortable by its headings and folded in a <details>
    element whose summary says how many rows it holds."""
    rows = [list(r) for r in rows]
    long = fold and len(rows) > LONG_TABLE
    out = ["<table class='sortable'>" if long else "<table>",
           "<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in headers) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</table>")
    text = "\n".join(out)
    if long:
        what = html.escape(summary or "the table")
        text = (f"<details><summary>{what}: {len(rows)} rows (click to show; click a heading to sort)</summary>\n"
                f"{text}\n</details>")
    return text


def _anchor(title: str, used: set) -> str:
    base = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-") or "section"
    base = "-".join(filter(None, base.split("-")))
    anchor, i = base, 2
    while anchor in used:
        anchor, i = f"{base}-{i}", i + 1
    used.add(anchor)
    return anchor


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
    parts = []
    names = [str(r.path) for r in runs]
    slurm = sorted({a for r in runs for a in r.attrs if a.startswith("slurm_")})  # written by Slurm jobs
    for title, attrs in (("Configuration", CONFIG), ("Environment", ENVIRONMENT + slurm)):
        rows = [[a] + [_attr_text(a, r.attrs.get(a)) for r in runs] for a in attrs]
        parts += [f"<h3>{title}</h3>", _table(["attribute"] + names, rows, fold=False)]
    texts = collections.OrderedDict()
    for r in runs:
        texts.setdefault(r.attrs.get("experiment_text", ""), []).append(str(r.path))
    parts.append("<h3>Experiment files</h3>")
    for text, files in texts.items():
        parts.append(f"<p>{html.escape(', '.join(files))}:</p><pre>{html.escape(text)}</pre>")
    return "\n".join(parts)


def _figure_html(fig: Path, anchor: str) -> str:
    from .plots import caption_of
    data = base64.b64encode(fig.read_bytes()).decode("ascii")
    caption = caption_of(fig)
    return (f"<figure id='{anchor}'><img src='data:image/png;base64,{data}' alt='{html.escape(fig.stem)}'>"
            f"<figcaption><b>{html.escape(fig.name)}</b>" + (f": {html.escape(caption)}" if caption else "")
            + "</figcaption></figure>")


def write(c: Comparison, runs: list[Run], figures: list[Path], notes: list[str], out: Path,
          command: str) -> Path:
    """report.html in out: a table of contents, the notes, every table (long ones folded and sortable),
    every figure full width with its caption, and each input's configuration and environment."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    used: set = set()
    toc: list[tuple[int, str, str]] = []  # level, anchor, title
    body: list[str] = []

    def heading(level: int, title: str) -> None:
        anchor = _anchor(title, used)
        toc.append((level, anchor, title))
        body.append(f"<a id='{anchor}'></a><h{level}>{html.escape(title)}</h{level}>")

    if c.oversubscribed:
        body.append(f"<p class='warn'>{html.escape(OVERSUBSCRIBED)}. Some host ran more ranks than it has hardware "
                    "threads in " + html.escape(", ".join(c.oversubscribed)) + ": every time, bound ratio and "
                    "timing figure from these files is marked, and none is a per-core cost.</p>")
    if notes:
        heading(2, "Notes")
        body.append("<ul>" + "".join(f"<li class='note'>{html.escape(n)}</li>" for n in notes) + "</ul>")
    if figures:
        heading(2, "Figures")
        for fig in figures:
            anchor = _anchor(fig.stem, used)
            toc.append((3, anchor, fig.name))
            body.append(_figure_html(fig, anchor))
    for s in sections(c):
        heading(2, s.title)
        body += [f"<p>{html.escape(s.intro)}</p>", _table(s.headers, s.rows, s.title)]
    sig = significance_notes(c)
    if sig:
        body.append("<p>" + "<br>".join(html.escape(line) for line in sig) + "</p>")
    docs = metric_docs()
    heading(3, "How each figure of a sample is computed")
    body.append(_table(list(docs.columns), docs.itertuples(index=False), "metric definitions"))
    heading(2, "Inputs: configuration and environment")
    body.append(_runs_html(runs))

    nav = ["<nav class='toc'><b>Contents</b><ul>"]
    depth = 2
    for level, anchor, title in toc:
        while depth < level:
            nav.append("<ul>")
            depth += 1
        while depth > level:
            nav.append("</ul>")
            depth -= 1
        nav.append(f"<li><a href='#{anchor}'>{html.escape(title)}</a></li>")
    nav += ["</ul>"] * (depth - 2) + ["</ul></nav>"]
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>",
             "<title>ringsim: comparison of strategies</title>", f"<style>{CSS}</style></head><body>",
             "<h1>ringsim: comparison of placement strategies</h1>",
             f"<p>Made {now} by <code>{html.escape(command)}</code> from {len(runs)} result file(s).</p>",
             "\n".join(nav), *body, f"<script>{SORT_JS}</script>", "</body></html>"]
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
