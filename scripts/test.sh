#!/usr/bin/env bash
# The test command (README step 2, .ci/run): install dependencies, build Release and ASan+UBSan, run the
# whole GoogleTest suite under CTest in both, then a short libFuzzer run over each decoder.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
start=$(date +%s)

scripts/build.sh release
echo "== tests: Release"
(cd build && ctest --output-on-failure -j2 --timeout 900)

scripts/build.sh asan
echo "== tests: ASan+UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2 --timeout 900)

if [ -x scripts/fuzz.sh ]; then
  echo "== fuzz: short libFuzzer runs over the decoders"
  scripts/fuzz.sh 20
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
