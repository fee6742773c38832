#include "codec/scan_decoder.h"

#include <cstring>

#include "codec/checksum.h"
#include "codec/error.h"
#include "codec/fallback.h"
#include "codec/tiff_layout.h"

namespace srsfs::codec {

ScanDecoder::ScanDecoder(const ScanManifest& manifest, const ScanModel& model)
    : manifest_(manifest), codec_(make_block_codec(model)) {
  if (model.kind != manifest.model) fail(Errc::corrupt, "scan model kind does not match its manifest");
}

std::vector<Frame16> ScanDecoder::decode_group(uint32_t group, const BlockFetch& fetch, unsigned threads) const {
  const ScanGeometry& g = manifest_.geom;
  if (group >= g.groups()) fail(Errc::invalid_argument, "group {} beyond the scan's {}", group, g.groups());
  const uint32_t nf = g.frames_in(group);
  std::vector<Frame16> frames;
  for (uint32_t f = 0; f < nf; ++f) frames.emplace_back(g.width, g.height);
  parallel_for(g.bands(), threads, [&](size_t b) {
    uint32_t index = g.block_index(group, uint32_t(b));
    std::vector<uint16_t> px;
    Bytes data = fetch(index);
    decode_block(g, *codec_, index, data, px);
    const uint32_t nr = g.rows_in(uint32_t(b));
    const size_t row0 = size_t(b) * g.band_rows;
    for (uint32_t f = 0; f < nf; ++f)
      std::memcpy(frames[f].pixels.data() + row0 * g.width, px.data() + size_t(f) * nr * g.width, size_t(nr) * g.width * 2);
  });
  return frames;
}

Bytes rebuild_frame_file(const ScanManifest& m, const FileEntry& f, const Frame16& frame) {
  if (f.layout_index >= m.layouts.size()) fail(Errc::corrupt, "{}: layout {} missing", f.path, f.layout_index);
  Bytes out;
  try {
    out = rebuild_tiff(parse_layout(m.layouts[f.layout_index]), frame);
  } catch (const Error& e) {
    fail(Errc::corrupt, "{}: cannot rebuild the TIFF: {}", f.path, e.what());
  }
  if (out.size() != f.size || checksum64(out) != f.checksum)
    fail(Errc::corrupt, "{}: decoded bytes do not match the original checksum", f.path);
  return out;
}

Bytes rebuild_fallback_file(const FileEntry& f, ByteSpan blob) {
  Bytes out = fallback_decompress(blob, f.size);
  if (checksum64(out) != f.checksum) fail(Errc::corrupt, "{}: decoded bytes do not match the original checksum", f.path);
  return out;
}

}  // namespace srsfs::codec
