#!/usr/bin/env bash
# Configure and build one flavour. Usage: scripts/build.sh [release|asan|tsan|fuzz] [TARGET...]  (default release, all)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
targets=()
for t in "$@"; do targets+=(--target "$t"); done
jobs=${SRSFS_JOBS:-$(nproc)}
case "$flavour" in
  release) dir=build; args=(-DCMAKE_BUILD_TYPE=Release) ;;
  # Sanitizer builds leave LibTorch and the stock codecs out: they are third-party code, and the
  # integer inference that decoding depends on lives in codec/, which is sanitized.
  asan) dir=build-asan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSRSFS_SANITIZE=ON -DSRSFS_WITH_TORCH=OFF -DSRSFS_BUILD_BENCH=OFF) ;;
  tsan) dir=build-tsan; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSRSFS_TSAN=ON -DSRSFS_WITH_TORCH=OFF -DSRSFS_BUILD_BENCH=OFF) ;;
  fuzz) dir=build-fuzz; args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
          -DSRSFS_FUZZ=ON -DSRSFS_WITH_TORCH=OFF -DSRSFS_BUILD_BENCH=OFF -DSRSFS_BUILD_TESTS=OFF)
        [ ${#targets[@]} -gt 0 ] || targets=(--target fuzz_archive --target fuzz_lms_block --target fuzz_paper_block --target fuzz_tiff) ;;
  *) echo "usage: $0 [release|asan|tsan|fuzz]" >&2; exit 2 ;;
esac
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B "$dir" "${gen[@]}" "${args[@]}" >/dev/null
cmake --build "$dir" -j"$jobs" "${targets[@]}"
