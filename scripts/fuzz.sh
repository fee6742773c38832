#!/usr/bin/env bash
# Short libFuzzer runs over every decoder of untrusted bytes, starting from the committed corpora
# (tests/fuzz/corpus/*). Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]  (default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
scripts/build.sh fuzz >/dev/null
for target in archive lms_block paper_block tiff; do
  corpus=(tests/fuzz/corpus/$target)
  [ "$target" = tiff ] && corpus+=(tests/fixtures/tiff)        # the TIFF fixtures seed the TIFF fuzzer
  [ "$target" = archive ] && corpus+=(tests/golden)            # and every golden archive the archive fuzzer
  work=$(mktemp -d)
  echo "fuzz_$target: ${secs}s from $(cat <(ls "${corpus[@]}") | wc -l) seed files"
  build-fuzz/bin/fuzz_$target -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=0 "$work" "${corpus[@]}" 2>&1 | grep -E "^Done|==[0-9]+==ERROR|SUMMARY|BINGO" || true
  # A crash leaves crash-* files and a non-zero exit of the fuzzer; fail loudly.
  if ls crash-* leak-* timeout-* oom-* >/dev/null 2>&1; then
    echo "fuzz_$target found a failing input:" crash-* leak-* timeout-* oom-* 2>/dev/null; exit 1
  fi
  rm -rf "$work"
done
