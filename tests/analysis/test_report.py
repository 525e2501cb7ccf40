"""report.html: contents, figures with their captions, long tables folded and sortable, no external
assets, and each input's provenance."""

import re
from html.parser import HTMLParser

import h5py
import pytest

from conftest import ROOT, run_ringsim

from analysis import plots, report
from analysis.compare import compare
from analysis.reader import load


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.links, self.srcs, self.stack, self.figures = set(), [], [], [], []
        self.in_caption, self.caption = False, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("img", "script", "link") and (a.get("src") or a.get("href")):
            self.srcs.append(a.get("src") or a.get("href"))
        if tag == "figcaption":
            self.in_caption, self.caption = True, ""

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self.in_caption = False
            self.figures.append(self.caption)

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data


@pytest.fixture(scope="module")
def page(tmp_path_factory, replicated_zipf_result):
    d = tmp_path_factory.mktemp("report")
    churn = run_ringsim(d / "churn.h5", str(ROOT / "experiments" / "churn.toml"), 2, "keys.count=20000")
    runs = [load(churn), load(replicated_zipf_result)]
    c = compare(runs)
    figures, notes = plots.all_figures(c, runs, d)
    path = report.write(c, runs, figures, notes, d, "python3 -m analysis compare test")
    text = path.read_text()
    parsed = Page()
    parsed.feed(text)
    return {"text": text, "page": parsed, "figures": figures, "runs": runs, "paths": [churn, replicated_zipf_result]}


def test_contents_link_to_every_section_and_figure(page):
    text, p = page["text"], page["page"]
    nav = text[text.index("<nav"):text.index("</nav>")]
    internal = [h for h in p.links if h.startswith("#")]
    assert internal and all(h[1:] in p.ids for h in internal)  # no dangling link
    for name in ("Figures", "Movement and balance", "Keys lost per failure scenario",
                 "Inputs: configuration and environment"):
        assert f">{name}</a>" in nav, name
    for fig in page["figures"]:
        assert f">{fig.name}</a>" in nav


def test_every_figure_embedded_with_its_caption(page):
    p = page["page"]
    assert len(p.figures) == len(page["figures"])
    for fig, caption in zip(page["figures"], p.figures):
        assert caption.startswith(fig.name)
        assert plots.caption_of(fig)[:60] in caption  # the caption stored with the PNG
        assert "Question" in caption
    assert {f.name for f in page["figures"]} >= {"timeline.png", "failures.png"}


def test_long_tables_fold_and_sort_short_ones_do_not(page):
    text = page["text"]
    folded = re.findall(r"<details><summary>(.*?)</summary>\s*<table class='sortable'>", text)
    assert folded and all(re.search(r": \d+ rows", s) for s in folded)
    for block in re.findall(r"<details>.*?</details>", text, flags=re.S):
        assert block.count("<tr>") - 1 > report.LONG_TABLE
    # The provenance tables stay open, whatever their length.
    inputs = text[text.rindex("<h2>Inputs: configuration and environment<"):]
    assert "<details>" not in inputs


def test_plain_html_without_external_assets(page):
    assert all(s.startswith("data:") for s in page["page"].srcs)
    assert not re.search(r"(src|href)=['\"]https?:", page["text"])
    assert "<link" not in page["text"]


def test_provenance_of_every_input(page):
    text = page["text"]
    for path in page["paths"]:
        assert str(path) in text
        with h5py.File(path, "r") as f:
            for attr in ("git_commit", "mpi_version", "hdf5_version"):
                assert f.attrs[attr] in text  # string attributes are str
            first = f["experiment_text"][()].decode().splitlines()[0]
            assert first.replace('"', "&quot;").replace("'", "&#x27;") in text
