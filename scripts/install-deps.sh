#!/usr/bin/env bash
# Installs everything srsfs needs to build, test and benchmark, from Debian 12's packages.
# Idempotent; run as root (or with sudo available). Usage: scripts/install-deps.sh
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build pkg-config git clang libclang-rt-14-dev
  # the filesystem and its store
  libfuse3-dev fuse3 liblmdb-dev lmdb-utils
  # codec: TIFF layer, training, fallback compression, checksums
  libtiff-dev libtiff-tools libtorch-dev libopenblas0-openmp libzstd-dev libxxhash-dev
  # CLI, logging, JSON
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # stock codecs compared by srsfs-bench (benchmark only)
  libcharls-dev libjxl-dev libopenjp2-7-dev libpng-dev liblz4-dev
  # systemd-analyze verify for the units; getfattr for the demo and operators
  systemd attr
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
