#!/usr/bin/env bash
# The installed Lmod modulefile: `module use PREFIX/share/modulefiles && module
# load ringsim` puts the installed ringsim first on PATH (ahead of another
# ringsim already there) and the prefix on CMAKE_PREFIX_PATH; unload undoes it;
# a moved prefix's module points at the moved tree.
# Usage: test_install_lmod.sh BUILD_DIR SOURCE_DIR MPIEXEC CMAKE
source "$(dirname "$0")/lib.sh"

lmod_init=""
for f in /usr/share/lmod/lmod/init/bash /usr/share/lmod/init/bash /opt/apps/lmod/lmod/init/bash; do
  [ -f "$f" ] && lmod_init=$f && break
done
if [ -z "$lmod_init" ]; then
  echo "SKIP: Lmod is not installed (scripts/install-deps.sh installs Debian's lmod)"
  exit 77
fi
# shellcheck disable=SC1090
source "$lmod_init" >/dev/null

# A decoy ringsim earlier on PATH, as a build tree or an older install would be.
mkdir -p "$work/decoy"
printf '#!/bin/sh\necho decoy\n' >"$work/decoy/ringsim"
chmod +x "$work/decoy/ringsim"
export PATH=$work/decoy:$PATH
unset CMAKE_PREFIX_PATH RINGSIM_ROOT

check_loaded() {  # check_loaded PREFIX WHAT
  local p=$1 what=$2
  if [ "$(command -v ringsim)" != "$p/bin/ringsim" ]; then
    fail "$what: ringsim on PATH is $(command -v ringsim), not $p/bin/ringsim (PATH=$PATH)"
  elif [ "${PATH%%:*}" != "$p/bin" ]; then
    fail "$what: PATH does not start with $p/bin: $PATH"
  elif [ "${CMAKE_PREFIX_PATH%%:*}" != "$p" ]; then
    fail "$what: CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH:-} does not start with $p"
  elif [ "${RINGSIM_ROOT:-}" != "$p" ]; then
    fail "$what: RINGSIM_ROOT=${RINGSIM_ROOT:-} is not $p"
  elif ! ringsim --version | grep -q '^0\.1\.0 '; then
    fail "$what: ringsim --version printed $(ringsim --version 2>&1)"
  else
    pass "$what: $(command -v ringsim) first on PATH, CMAKE_PREFIX_PATH=$CMAKE_PREFIX_PATH"
  fi
}

module use "$prefix/share/modulefiles"
if ! module load ringsim 2>"$work/load.txt"; then
  fail "module load ringsim: $(cat "$work/load.txt")"
fi
check_loaded "$prefix" "module load ringsim"
module avail ringsim 2>&1 | grep -q 'ringsim/0.1.0' || fail "module avail does not list ringsim/0.1.0"
module whatis ringsim 2>&1 | grep -q 'Version: 0.1.0' || fail "module whatis lacks the version"
module help ringsim 2>&1 | grep -qF 'ringsim run scale-out' || fail "module help lacks the usage"

# The module's ringsim runs a bundled experiment by name.
cd "$work" || exit 1
run_mpi 1 ringsim run default --dry-run
grep -qF "ringsim: ok: $prefix/share/ringsim/experiments/default.toml" "$work/out.txt" ||
  fail "ringsim from the module, run default --dry-run: exit $rc: $out $err"

module unload ringsim
if [ "$(command -v ringsim)" = "$work/decoy/ringsim" ] && [ -z "${CMAKE_PREFIX_PATH:-}" ] &&
  [ -z "${RINGSIM_ROOT:-}" ]; then
  pass "module unload ringsim restores PATH and CMAKE_PREFIX_PATH"
else
  fail "after unload: ringsim is $(command -v ringsim), CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH:-}"
fi
module unuse "$prefix/share/modulefiles"

mv "$prefix" "$work/moved"
module use "$work/moved/share/modulefiles"
module load ringsim 2>"$work/load.txt" || fail "module load from the moved prefix: $(cat "$work/load.txt")"
check_loaded "$work/moved" "moved prefix"

finish
