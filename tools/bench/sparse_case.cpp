#include "tools/bench/sparse_case.h"
#include "codec/synth_random.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>

#include <fmt/format.h>

#include "codec/fallback.h"
#include "tools/bench/bitshuffle.h"

namespace srsfs::bench {
namespace {

struct SplitMix {  // deterministic on every platform, unlike std:: distributions
  uint64_t s;
  uint64_t next() {
    return codec::synth::splitmix64(s);
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  uint32_t below(uint32_t n) { return uint32_t(uniform() * n); }
};

using Frame32 = std::vector<uint32_t>;

// Photon clusters: 80 % at uniformly random places, 20 % around six fixed Bragg spots (σ = 6 px). A cluster
// is its centre (1 + geometric counts, mean 2) and 0–3 of its 8 neighbours (1 count each); counts add up.
std::vector<Frame32> generate(const SparseOptions& o) {
  SplitMix rng{o.seed};
  struct Spot { double x, y; };
  std::vector<Spot> spots;
  for (int i = 0; i < 6; ++i) spots.push_back({20 + rng.uniform() * (o.width - 40), 20 + rng.uniform() * (o.height - 40)});
  const uint32_t clusters = uint32_t(o.hit_fraction * o.width * o.height / 2.5);  // ~2.5 pixels per cluster
  std::vector<Frame32> frames;
  for (uint32_t f = 0; f < o.frames; ++f) {
    Frame32 px(size_t(o.width) * o.height, 0);
    for (uint32_t c = 0; c < clusters; ++c) {
      int x, y;
      if (rng.uniform() < 0.8) {
        x = int(rng.below(o.width));
        y = int(rng.below(o.height));
      } else {  // Box–Muller around a spot
        const Spot& s = spots[rng.below(uint32_t(spots.size()))];
        double r = std::sqrt(-2 * std::log(1 - rng.uniform())) * 6, a = 2 * std::numbers::pi * rng.uniform();
        x = std::clamp(int(s.x + r * std::cos(a)), 0, int(o.width) - 1);
        y = std::clamp(int(s.y + r * std::sin(a)), 0, int(o.height) - 1);
      }
      uint32_t counts = 1;
      while (rng.uniform() < 0.5) ++counts;
      px[size_t(y) * o.width + x] += counts;
      uint32_t extra = rng.below(4);
      for (uint32_t e = 0; e < extra; ++e) {
        uint32_t k = rng.below(8);
        int dx = int(k % 3) - 1, dy = int(k / 3) - 1;
        if (dx == 0 && dy == 0) dx = 1;
        int nx = x + dx, ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < int(o.width) && ny < int(o.height)) px[size_t(ny) * o.width + nx] += 1;
      }
    }
    frames.push_back(std::move(px));
  }
  return frames;
}

ByteSpan bytes_of(const Frame32& f) { return {reinterpret_cast<const uint8_t*>(f.data()), f.size() * 4}; }

struct ByteCodec {
  std::string name, method;
  std::function<Bytes(ByteSpan)> encode;
  std::function<Bytes(ByteSpan, size_t)> decode;
};

Row measure(const ByteCodec& c, const std::vector<Frame32>& frames) {
  using Clock = std::chrono::steady_clock;
  Row row;
  row.codec = c.name;
  row.scope = "per frame, uint32";
  row.method = c.method;
  for (const Frame32& f : frames) {
    row.raw_bytes += f.size() * 4;
    row.pixels += f.size();
  }
  try {
    std::vector<Bytes> coded(frames.size()), decoded(frames.size());
    auto t0 = Clock::now();
    for (size_t i = 0; i < frames.size(); ++i) coded[i] = c.encode(bytes_of(frames[i]));
    auto t1 = Clock::now();
    for (size_t i = 0; i < frames.size(); ++i) decoded[i] = c.decode(coded[i], frames[i].size() * 4);
    auto t2 = Clock::now();
    row.encode_s = std::chrono::duration<double>(t1 - t0).count();
    row.decode_s = std::chrono::duration<double>(t2 - t1).count();
    for (size_t i = 0; i < frames.size(); ++i) {
      ByteSpan want = bytes_of(frames[i]);
      if (!std::equal(want.begin(), want.end(), decoded[i].begin(), decoded[i].end()))
        fail(Errc::corrupt, "{}: frame {} does not decode bit-exactly", c.name, i);
      row.compressed_bytes += coded[i].size();
    }
    row.verified = true;
  } catch (const std::exception& e) {
    row.error = e.what();
  }
  return row;
}

}  // namespace

Table run_sparse_case(const SparseOptions& o) {
  std::vector<Frame32> frames = generate(o);
  uint64_t nonzero = 0;
  std::map<uint32_t, uint64_t> hist;
  for (const Frame32& f : frames)
    for (uint32_t v : f) {
      nonzero += v != 0;
      ++hist[v];
    }
  double total = double(frames.size()) * frames[0].size(), h0 = 0;
  for (const auto& [v, n] : hist) h0 -= double(n) / total * std::log2(double(n) / total);

  std::vector<ByteCodec> codecs;
  codecs.push_back({"srsfs fallback", "codec::fallback_compress (the smaller of zstd -9 and 4-byte bitshuffle (blocks of 2048 "
                    "elements) + zstd -9, recompressed at -19 when it shrank 16x or more: what srsfs stores a "
                    "non-16-bit TIFF with) of each frame's raw uint32 pixels; a TIFF's ~200 header bytes not counted",
                    [](ByteSpan b) { return codec::fallback_compress(b); },
                    [](ByteSpan b, size_t n) { return codec::fallback_decompress(b, n); }});
  for (int level : {3, 19})
    codecs.push_back({fmt::format("zstd -{}", level), fmt::format("ZSTD_compress level {} of each frame's raw uint32 pixels", level),
                      [level](ByteSpan b) { return zstd_compress(b, level); },
                      [](ByteSpan b, size_t n) { return zstd_decompress(b, n); }});
  codecs.push_back({"bitshuffle+LZ4", fmt::format("bit transpose of 4-byte elements in blocks of {}, LZ4 per block (the "
                    "Dectris/HDF5 'bslz4' layout)", bitshuffle_block_elems(4)),
                    [](ByteSpan b) { return bitshuffle_lz4(b, 4); },
                    [](ByteSpan b, size_t n) { return bitunshuffle_lz4(b, 4, n); }});
  for (int level : {3, 9, 19})
    codecs.push_back({fmt::format("bitshuffle+zstd -{}", level),
                      fmt::format("bit transpose as above, one ZSTD_compress level {} per frame", level),
                      [level](ByteSpan b) { return bitshuffle_zstd(b, 4, level); },
                      [](ByteSpan b, size_t n) { return bitunshuffle_zstd(b, 4, n); }});
  Table t;
  t.title = "Sparse photon counting (synthetic, Timepix-like uint32)";
  t.pixels_desc = fmt::format(
      "{} frames of {}x{} uint32 generated in srsfs-bench (seed {}): {:.2f} % of pixels non-zero, clusters of 1-4 "
      "pixels, 20 % of them around 6 fixed spots; order-0 entropy of the pixel values {:.3f} bits/px. CR is "
      "relative to the raw 32-bit pixels; bits/px per 32-bit pixel.",
      o.frames, o.width, o.height, o.seed, 100.0 * double(nonzero) / total, h0);
  t.noise_method = "not applicable (no noise model for the generator)";
  for (const ByteCodec& c : codecs) t.rows.push_back(measure(c, frames));
  return t;
}

}  // namespace srsfs::bench
