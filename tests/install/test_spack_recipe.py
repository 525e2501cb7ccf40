"""The Spack recipe (scripts/spack/packages/ringsim/package.py) without Spack.

The recipe is loaded against a small stand-in for Spack's package API that
records its directives (version, variant, depends_on) and implements the
CMakePackage helpers the recipe calls (define, define_from_variant) the way
Spack documents them. Then:

- cmake_args() passes every variant setting to the CMake option it names;
- the recipe's dependencies are exactly what CMakeLists.txt and tests/ find
  (find_package, pkg_check_modules), under Spack's names, with the same
  minimum versions, Boost components and parallel HDF5, and the test and
  benchmark libraries only under their variants. A find_package added to the
  build without a depends_on in the recipe fails here.
"""

import importlib.util
import itertools
import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "scripts" / "spack" / "packages" / "ringsim" / "package.py"

# CMake's package names (find_package) and pkg-config modules (pkg_check_modules)
# as Spack names the packages that provide them. A name missing here fails the
# test with a message saying what to add.
CMAKE_TO_SPACK = {
    "MPI": "mpi",
    "Boost": "boost",
    "HDF5": "hdf5",
    "tomlplusplus": "tomlplusplus",
    "CLI11": "cli11",
    "nlohmann_json": "nlohmann-json",
    "PkgConfig": "pkgconfig",
    "GTest": "googletest",
    "benchmark": "benchmark",
}
PKGCONFIG_TO_SPACK = {"libxxhash": "xxhash", "libzstd": "zstd"}

# Build-system folders whose dependencies the recipe must make conditional.
CONDITION_OF_FOLDER = {"tests/bench": "+benchmarks", "tests": "+tests"}


# --- a stand-in for spack.package -------------------------------------------


class Recorder:
    def __init__(self):
        self.versions = {}
        self.variants = {}
        self.depends = []

    def version(self, name, **kwargs):
        self.versions[name] = kwargs

    def variant(self, name, default=None, description="", when=None, **kwargs):
        self.variants[name] = {"default": default, "when": when, "description": description}

    def depends_on(self, spec, when=None, type=("build", "link")):
        self.depends.append({"spec": spec, "when": when, "type": type})


class FakeMpi:
    mpicc = "/spack/mpi/bin/mpicc"
    mpicxx = "/spack/mpi/bin/mpicxx"


class FakeSpec:
    """A concrete spec: variant values by name; absent means not a variant here."""

    def __init__(self, variants):
        self.variants = variants

    def satisfies(self, constraint):
        m = re.fullmatch(r"([+~])(\w+)", constraint)
        assert m, f"the stand-in spec only answers +name / ~name, not {constraint!r}"
        if m.group(2) not in self.variants:
            return False
        return self.variants[m.group(2)] == (m.group(1) == "+")

    def __contains__(self, constraint):
        return self.satisfies(constraint)

    def __getitem__(self, name):
        assert name == "mpi", f"the recipe asked the spec for {name!r}"
        return FakeMpi()


def cmake_value(value):
    if isinstance(value, bool):
        return "BOOL", "ON" if value else "OFF"
    return "STRING", str(value)


class FakeCMakePackage:
    spec = None

    def define(self, name, value):
        kind, text = cmake_value(value)
        return f"-D{name}:{kind}={text}"

    def define_from_variant(self, name, variant):
        assert variant in self.spec.variants, f"define_from_variant of {variant!r}: no such variant"
        return self.define(name, self.spec.variants[variant])


def load_recipe(with_spack_v1_layout=False):
    """Imports package.py with the stand-in; returns (recorder, package class)."""
    rec = Recorder()
    spack = types.ModuleType("spack")
    package = types.ModuleType("spack.package")
    package.version = rec.version
    package.variant = rec.variant
    package.depends_on = rec.depends_on
    saved = {k: sys.modules.get(k) for k in ("spack", "spack.package", "spack_repo",
                                             "spack_repo.builtin",
                                             "spack_repo.builtin.build_systems",
                                             "spack_repo.builtin.build_systems.cmake")}
    modules = {"spack": spack, "spack.package": package}
    if with_spack_v1_layout:
        # Spack v1.x: CMakePackage is no longer in spack.package.
        cmake = types.ModuleType("spack_repo.builtin.build_systems.cmake")
        cmake.CMakePackage = FakeCMakePackage
        for name in ("spack_repo", "spack_repo.builtin", "spack_repo.builtin.build_systems"):
            modules[name] = types.ModuleType(name)
        modules["spack_repo.builtin.build_systems.cmake"] = cmake
    else:
        package.CMakePackage = FakeCMakePackage
    try:
        sys.modules.update(modules)
        spec = importlib.util.spec_from_file_location("ringsim_spack_recipe", RECIPE)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return rec, mod.Ringsim


def spec_name(spec):
    return re.match(r"[a-z0-9-]+", spec).group(0)


# --- what the build finds ----------------------------------------------------


def strip_comments(text):
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def build_files():
    files = [ROOT / "CMakeLists.txt"]
    for f in sorted((ROOT / "tests").rglob("*")):
        rel = f.relative_to(ROOT).as_posix()
        if rel.startswith("tests/install/consumer/"):
            continue  # a project of its own that finds the installed ringsim
        if f.name == "CMakeLists.txt" or f.suffix == ".cmake":
            files.append(f)
    return files


def condition_of(path):
    rel = path.relative_to(ROOT).as_posix()
    for folder, cond in CONDITION_OF_FOLDER.items():
        if rel.startswith(folder + "/"):
            return cond
    return None


def cmake_dependencies():
    """[(spack name, minimum version or None, Boost components, condition, where)]."""
    found = []
    for f in build_files():
        text = strip_comments(f.read_text())
        where = f.relative_to(ROOT).as_posix()
        for m in re.finditer(r"\bfind_package\s*\(([^)]*)\)", text, re.IGNORECASE):
            args = m.group(1).split()
            name = args[0]
            assert name in CMAKE_TO_SPACK, (
                f"{where}: find_package({name}) has no Spack name: add its dependency to "
                f"scripts/spack/packages/ringsim/package.py and the name to CMAKE_TO_SPACK in "
                f"{Path(__file__).name}")
            version = args[1] if len(args) > 1 and re.fullmatch(r"[0-9.]+", args[1]) else None
            comps = []
            if "COMPONENTS" in args:
                comps = [a for a in args[args.index("COMPONENTS") + 1:] if a.isalnum()]
            found.append((CMAKE_TO_SPACK[name], version, comps if name == "Boost" else [],
                          condition_of(f), where))
        for m in re.finditer(r"\bpkg_check_modules\s*\(([^)]*)\)", text, re.IGNORECASE):
            args = m.group(1).split()[1:]  # after the prefix
            keywords = {"REQUIRED", "QUIET", "NO_CMAKE_PATH", "NO_CMAKE_ENVIRONMENT_PATH",
                        "IMPORTED_TARGET", "GLOBAL"}
            for module in (a for a in args if a not in keywords):
                module = re.split(r"[<>=]", module)[0]
                assert module in PKGCONFIG_TO_SPACK, (
                    f"{where}: pkg_check_modules({module}) has no Spack name: add its dependency "
                    f"to the recipe and the name to PKGCONFIG_TO_SPACK in {Path(__file__).name}")
                found.append((PKGCONFIG_TO_SPACK[module], None, [], condition_of(f), where))
    return found


# --- the tests ---------------------------------------------------------------


@pytest.mark.parametrize("v1_layout", [False, True], ids=["spack-v0-api", "spack-v1-api"])
def test_recipe_loads_and_declares_develop_and_its_variants(v1_layout):
    rec, cls = load_recipe(with_spack_v1_layout=v1_layout)
    assert issubclass(cls, FakeCMakePackage)
    assert rec.versions == {"develop": {"branch": "main"}}
    assert "invalid" in cls.git, "the git URL is a placeholder the user must set"
    assert set(rec.variants) == {"tests", "benchmarks", "sse42"}
    assert rec.variants["tests"]["default"] is False
    assert rec.variants["benchmarks"]["default"] is False
    assert rec.variants["sse42"]["when"] == "target=x86_64:"


SETTINGS = list(itertools.product([False, True], [False, True], [False, True, None]))


@pytest.mark.parametrize("tests,benchmarks,sse42", SETTINGS)
def test_cmake_args_pass_every_variant_to_its_option(tests, benchmarks, sse42):
    _, cls = load_recipe()
    pkg = cls()
    variants = {"tests": tests, "benchmarks": benchmarks}
    if sse42 is not None:  # None: not an x86_64 target, the variant does not exist
        variants["sse42"] = sse42
    pkg.spec = FakeSpec(variants)
    args = pkg.cmake_args()
    on = lambda b: "ON" if b else "OFF"
    assert f"-DRINGSIM_BUILD_TESTS:BOOL={on(tests)}" in args
    assert f"-DRINGSIM_BUILD_BENCHMARKS:BOOL={on(benchmarks)}" in args
    assert f"-DRINGSIM_SSE42:BOOL={on(bool(sse42))}" in args
    assert "-DMPI_CXX_COMPILER:STRING=/spack/mpi/bin/mpicxx" in args


def test_cmake_args_name_only_options_the_build_has():
    _, cls = load_recipe()
    pkg = cls()
    pkg.spec = FakeSpec({"tests": True, "benchmarks": True, "sse42": True})
    cmake = strip_comments((ROOT / "CMakeLists.txt").read_text())
    for arg in pkg.cmake_args():
        name = re.match(r"-D(\w+):", arg).group(1)
        if name.startswith("RINGSIM_"):
            assert re.search(rf"option\(\s*{name}\b", cmake), f"CMakeLists.txt has no option {name}"


def test_recipe_depends_on_exactly_what_the_build_finds():
    rec, _ = load_recipe()
    recipe = {}
    for d in rec.depends:
        recipe.setdefault(spec_name(d["spec"]), []).append(d)
    found = cmake_dependencies()
    assert found, "no find_package call was found: the parser is broken"

    for name, version, comps, cond, where in found:
        assert name in recipe, f"{where} finds {name}, but the recipe has no depends_on({name!r})"
        ds = recipe[name]
        specs = " ".join(d["spec"] for d in ds)
        if version:
            assert f"@{version}:" in specs, f"{where} needs {name} {version}; the recipe says {specs}"
        for c in comps:
            assert f"+{c}" in specs, f"{where} needs Boost's {c}; the recipe says {specs}"
        whens = {d["when"] for d in ds}
        assert whens == {cond}, f"{name} is found by {where}: the recipe needs when={cond}, has {whens}"

    # The other way round: nothing in the recipe that the build does not use
    # (cmake itself is the build tool).
    used = {name for name, *_ in found} | {"cmake"}
    assert set(recipe) == used, f"recipe dependencies the build does not find: {set(recipe) - used}"

    # The build demands parallel HDF5 (HDF5_IS_PARALLEL) and CMake of its minimum.
    assert any("+mpi" in d["spec"] for d in recipe["hdf5"])
    cmake_min = re.search(r"cmake_minimum_required\(VERSION ([0-9.]+)\)",
                          (ROOT / "CMakeLists.txt").read_text()).group(1)
    assert [d["spec"] for d in recipe["cmake"]] == [f"cmake@{cmake_min}:"]
    assert all(d["type"] == "build" for d in recipe["cmake"] + recipe["pkgconfig"])


def test_the_dependency_check_catches_a_new_find_package(tmp_path, monkeypatch):
    # A build that finds one more package than the recipe knows must fail the check.
    fake = tmp_path / "CMakeLists.txt"
    fake.write_text((ROOT / "CMakeLists.txt").read_text() + "\nfind_package(ZLIB REQUIRED)\n")
    monkeypatch.setattr(sys.modules[__name__], "build_files", lambda: [fake])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match=r"find_package\(ZLIB\) has no Spack name"):
        cmake_dependencies()
    monkeypatch.setitem(CMAKE_TO_SPACK, "ZLIB", "zlib-api")
    with pytest.raises(AssertionError, match="the recipe has no depends_on\\('zlib-api'\\)"):
        test_recipe_depends_on_exactly_what_the_build_finds()


def test_repo_yaml_names_the_namespace():
    text = (ROOT / "scripts" / "spack" / "repo.yaml").read_text()
    assert re.search(r"^repo:\s*\n\s+namespace:\s*ringsim\s*$", strip_comments(text), re.MULTILINE)
