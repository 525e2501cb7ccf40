#!/usr/bin/env bash
# Installs the Debian 12 packages ringsim needs, skipping those already
# present (idempotent). Uses sudo when not run as root.
set -euo pipefail

packages=(
  cmake g++ make pkg-config git
  openmpi-bin libopenmpi-dev libboost-mpi-dev
  libhdf5-openmpi-dev hdf5-tools
  libgtest-dev libbenchmark-dev
  libtomlplusplus-dev libxxhash-dev libcli11-dev nlohmann-json3-dev
  libzstd-dev zstd  # compressed key traces; zstd: scripts/make-traces.py
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib python3-pytest python3-scipy
  python3-jsonschema
  lmod  # the installed modulefile (share/modulefiles) and its test
  python3-venv python3-pip python3-hatchling
  python3-xarray python3-h5netcdf
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
