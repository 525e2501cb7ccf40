# Spack recipe for ringsim: an MPI (Boost.MPI) C++20 simulation and benchmark of
# consistent-hashing placement strategies, with results in parallel HDF5.
#
#   spack repo add scripts/spack                      # once, from a ringsim checkout
#   spack install ringsim@develop                     # needs RINGSIM_GIT_URL below set
#   spack develop --path $PWD ringsim@develop         # or: build this checkout in an environment
#   spack dev-build ringsim@develop                   # or: build the checkout in the current folder
#
# Both the Spack v0.x package API (CMakePackage from spack.package) and v1.x
# (build systems in the builtin repository) are served.

from spack.package import *  # noqa: F401,F403

try:  # Spack v1.x: the build systems live in the builtin package repository
    from spack_repo.builtin.build_systems.cmake import CMakePackage
except ImportError:  # Spack v0.x: spack.package gives CMakePackage
    pass

# Where your site keeps ringsim's git repository. This is a placeholder: set it
# to your clone's URL (or use `spack develop` / `spack dev-build` on a checkout,
# which never fetches).
RINGSIM_GIT_URL = "https://git.example.invalid/ringsim.git"


class Ringsim(CMakePackage):
    """What does each rehash strategy cost when nodes change? MPI ranks act as
    the nodes of a consistent-hashing ring; keys are redistributed with
    MPI_Alltoallv after each membership event, verified, and every figure is
    written to one parallel HDF5 file per run."""

    homepage = RINGSIM_GIT_URL
    git = RINGSIM_GIT_URL

    version("develop", branch="main")

    variant("tests", default=False, description="Build the GoogleTest suites (RINGSIM_BUILD_TESTS)")
    variant(
        "benchmarks",
        default=False,
        description="Build the Google Benchmark programs (RINGSIM_BUILD_BENCHMARKS)",
    )
    # CRC-32C, the internal hash of anchor, memento and powerch: one instruction
    # with SSE4.2, a table lookup with the same results without it.
    variant(
        "sse42",
        default=True,
        when="target=x86_64:",
        description="Compile with -msse4.2 for hardware CRC-32C (RINGSIM_SSE42)",
    )

    depends_on("cmake@3.25:", type="build")
    depends_on("pkgconfig", type="build")

    depends_on("mpi")
    depends_on("boost@1.74:+mpi+serialization")
    depends_on("hdf5+mpi")  # parallel HDF5: every rank writes the one result file
    depends_on("tomlplusplus@3:")
    depends_on("cli11@2:")
    depends_on("nlohmann-json@3:")  # header-only: the --json summaries
    depends_on("xxhash")
    depends_on("zstd")  # compressed key traces

    depends_on("googletest", when="+tests")
    depends_on("benchmark", when="+benchmarks")

    def cmake_args(self):
        spec = self.spec
        return [
            self.define_from_variant("RINGSIM_BUILD_TESTS", "tests"),
            self.define_from_variant("RINGSIM_BUILD_BENCHMARKS", "benchmarks"),
            # Off where the variant does not exist (not x86_64).
            self.define("RINGSIM_SSE42", spec.satisfies("+sse42")),
            # The MPI of the spec, not one CMake might find first on the system.
            self.define("MPI_C_COMPILER", spec["mpi"].mpicc),
            self.define("MPI_CXX_COMPILER", spec["mpi"].mpicxx),
        ]
