// Decodes a coded scan back into files: a group of frames at a time (bands in parallel), then each file
// rebuilt from its TIFF layout and frame, or from its fallback blob, and checked against its checksum.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "codec/frame.h"
#include "codec/scan_manifest.h"

namespace srsfs::codec {

using BlockFetch = std::function<Bytes(uint32_t index)>;

class ScanDecoder {
 public:
  ScanDecoder(const ScanManifest& manifest, const ScanModel& model);

  // The frames of one group, in order.
  std::vector<Frame16> decode_group(uint32_t group, const BlockFetch& fetch, unsigned threads) const;
  // Copies the rows of frame `frame_in_group` out of a decoded block of `band` into `frame`.
  const BlockCodec& codec() const { return *codec_; }
  const ScanGeometry& geometry() const { return manifest_.geom; }

 private:
  const ScanManifest& manifest_;
  std::unique_ptr<BlockCodec> codec_;
};

// Rebuilds a frame file's bytes from its layout and pixels; throws Errc::corrupt on a checksum mismatch.
Bytes rebuild_frame_file(const ScanManifest& m, const FileEntry& f, const Frame16& frame);
// Rebuilds a fallback file from its blob; throws Errc::corrupt on a checksum mismatch.
Bytes rebuild_fallback_file(const FileEntry& f, ByteSpan blob);

}  // namespace srsfs::codec
