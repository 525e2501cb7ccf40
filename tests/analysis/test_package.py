"""The analysis as an installed package (pyproject.toml): pip installs it, offline, into a venv
that sees Debian's h5py, pandas, matplotlib and scipy, without leaving anything in the checkout;
then `ringsim-compare` and the venv's `python -m analysis compare` work from any folder on a
result file the real ringsim wrote."""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from conftest import ROOT, run_ringsim

SYSTEM_PYTHON = "/usr/bin/python3"


def clean_env():
    """The environment without anything that would let the checkout's analysis/ be imported."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def git_status():
    """What git would show as changed or new in the checkout (None outside a git checkout)."""
    if shutil.which("git") is None:
        return None
    r = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=all"],
                       capture_output=True, text=True)
    return r.stdout.splitlines() if r.returncode == 0 else None


def build_junk():
    """What a setuptools build would leave in the checkout, ignored by git or not (build/ is CMake's)."""
    junk = [p for p in ROOT.glob("*.egg-info")] + [p for p in (ROOT / "analysis").glob("*.egg-info")]
    junk += [p for p in (ROOT / "build").glob("lib")] + [p for p in (ROOT / "build").glob("bdist.*")]
    junk += [p for p in ROOT.glob("dist")]
    return sorted(str(p.relative_to(ROOT)) for p in junk)


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A venv with --system-site-packages and the analysis pip-installed from the checkout."""
    if subprocess.run([SYSTEM_PYTHON, "-c", "import hatchling"], capture_output=True).returncode != 0:
        pytest.fail("the build backend hatchling is missing: install python3-hatchling (scripts/install-deps.sh)")
    before, junk_before = git_status(), build_junk()
    where = tmp_path_factory.mktemp("venv") / "ringsim"
    env = clean_env()
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--system-site-packages", str(where)], check=True, env=env,
                   timeout=120)
    r = subprocess.run([str(where / "bin" / "pip"), "install", "--no-deps", "--no-build-isolation", "--no-index",
                        "--disable-pip-version-check", str(ROOT)],
                       capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path_factory.getbasetemp())
    assert r.returncode == 0, f"pip install failed:\n{r.stdout}\n{r.stderr}"
    after = git_status()
    if before is not None:
        assert after == before, f"pip install left files git sees: {sorted(set(after) - set(before))}"
    assert build_junk() == junk_before, f"pip install left build files in the checkout: {build_junk()}"
    return where


@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("pkg-results") / "default.h5"
    return run_ringsim(out, str(ROOT / "experiments" / "default.toml"), 2, "keys.count=20000")


def test_installed_package_is_the_venvs(venv, tmp_path):
    """The venv imports the installed copy, from a folder that is not the checkout."""
    r = subprocess.run([str(venv / "bin" / "python"), "-c", "import analysis, h5py, pandas; print(analysis.__file__)"],
                       capture_output=True, text=True, env=clean_env(), cwd=tmp_path, check=True)
    where = Path(r.stdout.strip()).resolve()
    assert where.is_relative_to(venv.resolve()), f"analysis imported from {where}, not from the venv {venv}"


def test_ringsim_compare_from_another_folder(venv, result_file, tmp_path):
    """`ringsim-compare FILE` run elsewhere writes the tables, figures and report, like the module."""
    work = tmp_path / "elsewhere"
    work.mkdir()
    r = subprocess.run([str(venv / "bin" / "ringsim-compare"), str(result_file), "--out", "cmp"],
                       capture_output=True, text=True, env=clean_env(), cwd=work, timeout=300)
    assert r.returncode == 0, f"ringsim-compare failed:\n{r.stderr}"
    assert "| strategy |" in r.stdout, r.stdout[:2000]
    out = work / "cmp"
    with (out / "comparison.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    with h5py.File(result_file, "r") as f:
        in_file = {s.decode() for s in f["strategies"]["order"][:]}
    assert {row["label"] for row in rows} == in_file, "comparison.csv does not list the file's strategies"
    assert list(out.glob("*.png")), f"no figures in {out}: {sorted(p.name for p in out.iterdir())}"
    report = (out / "report.html").read_text()
    assert f"ringsim-compare {result_file} --out cmp" in report, "the report does not name its command"
    assert not (work / "results").exists(), "ringsim-compare wrote outside --out"


def test_module_from_the_venvs_python(venv, result_file, tmp_path):
    """`python -m analysis compare` with the venv's python, outside the checkout, and its errors."""
    python = str(venv / "bin" / "python")
    r = subprocess.run([python, "-m", "analysis", "compare", str(result_file), "--out", "m", "--no-plots"],
                       capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=300)
    assert r.returncode == 0, f"python -m analysis compare failed:\n{r.stderr}"
    assert (tmp_path / "m" / "comparison.csv").is_file()
    assert (tmp_path / "m" / "report.html").is_file()
    assert not list((tmp_path / "m").glob("*.png")), "--no-plots wrote figures"
    bad = subprocess.run([str(venv / "bin" / "ringsim-compare"), str(tmp_path / "no-such.h5")],
                         capture_output=True, text=True, env=clean_env(), cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("compare: error: "), bad.stderr


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
