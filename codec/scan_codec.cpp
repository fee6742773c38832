#include "codec/scan_codec.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "codec/error.h"

namespace srsfs::codec {

uint32_t ScanGeometry::frames_in(uint32_t group) const {
  return std::min(group_frames, frames - group * group_frames);
}
uint32_t ScanGeometry::rows_in(uint32_t band) const { return std::min(band_rows, height - band * band_rows); }

void ScanGeometry::validate() const {
  if (width == 0 || height == 0 || frames == 0) fail(Errc::corrupt, "scan geometry: empty ({}x{}x{})", width, height, frames);
  if (width > 1u << 20 || height > 1u << 20) fail(Errc::corrupt, "scan geometry: frame {}x{} too large", width, height);
  if (group_frames == 0 || group_frames > 65536 || band_rows == 0 || band_rows > height)
    fail(Errc::corrupt, "scan geometry: bad group {} or band {}", group_frames, band_rows);
}

ScanGeometry plan_geometry(uint32_t width, uint32_t height, uint32_t frames, const CodecParams& p) {
  ScanGeometry g;
  g.width = width;
  g.height = height;
  g.frames = frames;
  if (p.band_rows) {
    g.band_rows = std::min(p.band_rows, height);
  } else {
    // Bands of ~128 K pixels: enough for the predictor's statistics, small enough that a frame's bands
    // decode in parallel on every core. Frames of 128 rows or more get at least 4 bands even when they are
    // narrow, so that a group (the unit of a cold read) never decodes on one core; the predictor's
    // per-band weights lose nothing by it (measured on I13, 160x135: 4 bands of 34 rows code 0.02 points
    // smaller than one band, and decode 2x faster on 2 cores).
    g.band_rows = std::clamp<uint32_t>((1u << 17) / std::max(width, 1u), 32, 512);
    if (height >= 128) g.band_rows = std::min(g.band_rows, (height + 3) / 4);
    g.band_rows = std::min(g.band_rows, height);
  }
  if (p.group_frames) {
    g.group_frames = p.group_frames;
  } else {
    // A key frame costs ~1.5 bits/pixel more than a predicted one, and a group's running mean keeps improving
    // the prediction: long groups pay. A cold random read decodes up to a whole group, so groups hold about
    // 32 Mpx: 16 frames of 2k×2k (the minimum), 64 of 1k×512, 256 (the maximum) of small frames. The minimum
    // stays 16 for large frames too (a cold read of frame 15 of a 6k×6k group decodes 604 Mpx: 46 s on 2
    // cores): groups of 8 would halve that but cost 0.35 CR points on CHESS (40.59 -> 40.94 %; 4 frames:
    // 41.28 %) and 0.04 on a 1k synthetic, measured 2026-12-03 with srsfs-admin pack --group.
    uint64_t frame_px = uint64_t(width) * height;
    g.group_frames = uint32_t(std::clamp<uint64_t>((uint64_t(1) << 25) / std::max<uint64_t>(frame_px, 1), 16, 256));
  }
  g.group_frames = std::max(1u, std::min(g.group_frames, std::max(frames, 1u)));
  g.validate();
  return g;
}

unsigned resolve_threads(unsigned requested) {
  if (requested) return requested;
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}

void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  threads = std::max(1u, std::min<unsigned>(resolve_threads(threads), unsigned(std::min<size_t>(n, 1024))));
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;  // stop handing out work
      }
    }
  };
  if (threads == 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  }
  if (error) std::rethrow_exception(error);
}

std::vector<Bytes> encode_blocks(const ScanGeometry& geom, const BlockCodec& codec, const RowSource& source,
                                 unsigned threads) {
  std::vector<Bytes> blocks(geom.block_count());
  parallel_for(blocks.size(), threads, [&](size_t i) {
    uint32_t group = uint32_t(i) / geom.bands(), band = uint32_t(i) % geom.bands();
    uint32_t nf = geom.frames_in(group), nr = geom.rows_in(band);
    std::vector<uint16_t> px(size_t(nf) * nr * geom.width);
    for (uint32_t f = 0; f < nf; ++f)
      source(group * geom.group_frames + f, band * geom.band_rows, nr, px.data() + size_t(f) * nr * geom.width);
    blocks[i] = codec.encode(BlockView{px.data(), nf, nr, geom.width});
  });
  return blocks;
}

void decode_block(const ScanGeometry& geom, const BlockCodec& codec, uint32_t block_index, ByteSpan data,
                  std::vector<uint16_t>& out, uint32_t frames) {
  if (block_index >= geom.block_count()) fail(Errc::corrupt, "block {} beyond the scan's {}", block_index, geom.block_count());
  uint32_t group = block_index / geom.bands(), band = block_index % geom.bands();
  uint32_t nf = geom.frames_in(group), nr = geom.rows_in(band);
  out.resize(size_t(nf) * nr * geom.width);
  const MutableBlockView view{out.data(), nf, nr, geom.width};
  if (frames < nf) {
    codec.decode_prefix(data, view, frames);
  } else {
    codec.decode(data, view);
  }
}

}  // namespace srsfs::codec
