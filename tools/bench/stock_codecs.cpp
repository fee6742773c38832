// The byte-level adapters (zstd, bitshuffle + LZ4 / zstd) and the registry of every stock codec.
#include "tools/bench/stock_codecs.h"

#include <algorithm>
#include <cstring>

#include <fmt/ranges.h>
#include <lz4.h>
#include <zstd.h>

#include "tools/bench/bitshuffle.h"
#include "tools/bench/frame_ops.h"

namespace srsfs::bench {

void copy_pixels(ByteSpan bytes, codec::Frame16& out, const char* what) {
  if (bytes.size() != raw_bytes(out)) fail(Errc::corrupt, "{}: {} bytes, expected {}", what, bytes.size(), raw_bytes(out));
  std::memcpy(out.pixels.data(), bytes.data(), bytes.size());
}

namespace {

class Zstd final : public StockCodec {
 public:
  explicit Zstd(int level) : level_(level) {}
  std::string name() const override { return fmt::format("zstd -{}", level_); }
  std::string method() const override {
    return fmt::format("libzstd {}, ZSTD_compress level {} of each frame's raw little-endian pixels", ZSTD_versionString(), level_);
  }
  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override { return zstd_compress(pixel_bytes(f), level_); }
  void decode(ByteSpan d, const codec::Frame16*, codec::Frame16& out) const override {
    copy_pixels(zstd_decompress(d, raw_bytes(out)), out, "zstd");
  }

 private:
  int level_;
};

class BitshuffleLz4 final : public StockCodec {
 public:
  std::string name() const override { return "bitshuffle+LZ4"; }
  std::string method() const override {
    return fmt::format("bit transpose of 16-bit pixels in blocks of {} elements (own implementation of bitshuffle's "
                       "layout), each block LZ4_compress_default (liblz4 {}) with a 4-byte size, per frame",
                       bitshuffle_block_elems(2), LZ4_versionString());
  }
  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override { return bitshuffle_lz4(pixel_bytes(f), 2); }
  void decode(ByteSpan d, const codec::Frame16*, codec::Frame16& out) const override {
    copy_pixels(bitunshuffle_lz4(d, 2, raw_bytes(out)), out, "bitshuffle+lz4");
  }
};

class BitshuffleZstd final : public StockCodec {
 public:
  explicit BitshuffleZstd(int level) : level_(level) {}
  std::string name() const override { return fmt::format("bitshuffle+zstd -{}", level_); }
  std::string method() const override {
    return fmt::format("bit transpose as above, then one ZSTD_compress level {} over the whole transposed frame", level_);
  }
  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override {
    return bitshuffle_zstd(pixel_bytes(f), 2, level_);
  }
  void decode(ByteSpan d, const codec::Frame16*, codec::Frame16& out) const override {
    copy_pixels(bitunshuffle_zstd(d, 2, raw_bytes(out)), out, "bitshuffle+zstd");
  }

 private:
  int level_;
};

struct Entry {
  const char* key;
  std::unique_ptr<StockCodec> (*make)();
};
const Entry kRegistry[] = {
    {"jpegls", [] { return make_jpegls(); }},
    {"jpegls-diff", [] { return make_jpegls_frame_diff(); }},
    {"jxl3", [] { return make_jpegxl(3); }},
    {"jxl7", [] { return make_jpegxl(7); }},
    {"j2k", [] { return make_jpeg2000(); }},
    {"png", [] { return make_png(); }},
    {"zstd3", [] { return make_zstd(3); }},
    {"zstd19", [] { return make_zstd(19); }},
    {"bslz4", [] { return make_bitshuffle_lz4(); }},
    {"bszstd", [] { return make_bitshuffle_zstd(3); }},
};

}  // namespace

std::unique_ptr<StockCodec> make_zstd(int level) { return std::make_unique<Zstd>(level); }
std::unique_ptr<StockCodec> make_bitshuffle_lz4() { return std::make_unique<BitshuffleLz4>(); }
std::unique_ptr<StockCodec> make_bitshuffle_zstd(int level) { return std::make_unique<BitshuffleZstd>(level); }

std::vector<std::string> stock_codec_keys() {
  std::vector<std::string> keys;
  for (const Entry& e : kRegistry) keys.push_back(e.key);
  return keys;
}

std::vector<std::unique_ptr<StockCodec>> make_stock_codecs(const std::vector<std::string>& keys) {
  for (const std::string& k : keys)
    if (std::none_of(std::begin(kRegistry), std::end(kRegistry), [&](const Entry& e) { return k == e.key; }))
      fail(Errc::invalid_argument, "unknown stock codec '{}' (known: {})", k, fmt::join(stock_codec_keys(), ","));
  std::vector<std::unique_ptr<StockCodec>> out;
  for (const Entry& e : kRegistry)
    if (keys.empty() || std::find(keys.begin(), keys.end(), e.key) != keys.end()) out.push_back(e.make());
  return out;
}

}  // namespace srsfs::bench
