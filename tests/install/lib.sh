# Sourced by the install tests: installs the build into a fresh temporary
# prefix and gives fail/pass/finish helpers.
# The sourcing script is called as: SCRIPT BUILD_DIR SOURCE_DIR MPIEXEC CMAKE [...]
set -u
build=$(realpath "$1")
src=$(realpath "$2")
mpiexec=$3
cmake=$4
# Outside the build tree: an installed binary there would also search the
# source tree, and the test must show that the installed tree stands alone.
work=$(mktemp -d "${TMPDIR:-/tmp}/ringsim-install-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

failures=0
passes=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; passes=$((passes + 1)); }
finish() {
  echo "$passes passed, $failures failed"
  if [ "$failures" -eq 0 ]; then exit 0; fi
  exit 1
}

if ! "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "FAIL: cmake --install $build --prefix $prefix"
  exit 1
fi
# GNUInstallDirs chooses lib, lib64 or lib/<multiarch>.
cmake_dir=$(dirname "$(find "$prefix" -name ringsimConfig.cmake -print -quit)")

# mpiexec NP ARGS...: sets rc, out, err.
run_mpi() {
  local np=$1
  shift
  timeout 120 "$mpiexec" -q -n "$np" --oversubscribe "$@" >"$work/out.txt" 2>"$work/err.txt"
  rc=$?
  out=$(cat "$work/out.txt")
  err=$(cat "$work/err.txt")
}
