#!/usr/bin/env bash
# The main job on an embedded default (README step 1): install, build, then mount a sample beamline
# directory, write a synthetic 2048×2048 tomography scan through the mount, let the background worker
# compress it, read every frame back and compare it byte for byte, print the space saved, unmount.
# Usage: scripts/demo.sh [FRAMES] (default 32)   Needs root (or fuse access) for the mount.
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-32}
scripts/install-deps.sh
scripts/build.sh release srsfs-admin mount.srsfs >/dev/null
bin=$PWD/build/bin

work=$(mktemp -d /tmp/srsfs-demo.XXXXXX)
src=$work/beamline mnt=$work/mnt ref=$work/reference
mkdir -p "$src" "$mnt"
cleanup() { fusermount3 -uz "$mnt" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== mount.srsfs $src $mnt"
"$bin/mount.srsfs" "$src" "$mnt" -o complete_marker=.complete
echo "== the detector writes scan_0001 through the mount ($frames frames of 2048x2048)"
"$bin/srsfs-admin" synth "$mnt/scan_0001" --size 2048 --frames "$frames" --seed 7
"$bin/srsfs-admin" synth "$ref" --size 2048 --frames "$frames" --seed 7 >/dev/null  # the same frames, for comparison
raw_bytes=$(du -sb "$src/scan_0001" | cut -f1)
echo "== scan complete: marker file written; the background worker compresses, verifies, commits, releases"
touch "$mnt/scan_0001/.complete"
for _ in $(seq 1 600); do
  state=$(getfattr --only-values -n user.srsfs.state "$mnt/scan_0001" 2>/dev/null || \
          python3 -c "import os,sys;print(os.getxattr(sys.argv[1],'user.srsfs.state').decode())" "$mnt/scan_0001")
  [ "$state" = compressed ] && break
  case "$state" in failed*) echo "compression failed: $state"; exit 1 ;; esac
  sleep 1
done
echo "   state: $state"
echo "== read back through the mount and compare every file with the original bytes"
n=0
for f in "$ref"/*.tif; do cmp "$f" "$mnt/scan_0001/$(basename "$f")"; n=$((n + 1)); done
echo "   $n frames byte-identical"
left=$(find "$src/scan_0001" -name '*.tif' | wc -l)
store_bytes=$(du -sb "$src/.srsfs" | cut -f1)
echo "   raw frames left in the source directory: $left"
python3 - "$raw_bytes" "$store_bytes" <<'PY'
import sys
raw, stored = int(sys.argv[1]), int(sys.argv[2])
print(f"== space: {raw/1e6:.1f} MB raw -> {stored/1e6:.1f} MB in the store ({100*stored/raw:.1f}%), {100*(1-stored/raw):.1f}% saved")
PY
echo "== unmount"
fusermount3 -u "$mnt"
