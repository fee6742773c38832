// Stock lossless codecs from Debian's libraries behind one interface, for side-by-side measurement with
// srsfs. One small adapter per codec (stock_codecs.cpp); every handle is owned RAII-style; errors are
// srsfs::Error. All adapters are single-threaded and code one frame at a time.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "codec/bytes.h"
#include "codec/frame.h"

namespace srsfs::bench {

class StockCodec {
 public:
  virtual ~StockCodec() = default;
  virtual std::string name() const = 0;    // table row label, e.g. "JPEG-LS (CharLS 2.4)"
  virtual std::string method() const = 0;  // what exactly is measured, for the notes under the table
  // `prev` is the previous frame of the sequence (null for the first); only temporal codecs use it.
  virtual Bytes encode(const codec::Frame16& frame, const codec::Frame16* prev) const = 0;
  // `out` arrives with the frame's width and height set and pixels sized; the adapter fills the pixels and
  // throws Errc::corrupt if the stream describes another shape.
  virtual void decode(ByteSpan data, const codec::Frame16* prev, codec::Frame16& out) const = 0;
};

std::unique_ptr<StockCodec> make_jpegls();
std::unique_ptr<StockCodec> make_jpegls_frame_diff();  // JPEG-LS of (frame − previous frame) mod 2^16
std::unique_ptr<StockCodec> make_jpegxl(int effort);
std::unique_ptr<StockCodec> make_jpeg2000();
std::unique_ptr<StockCodec> make_png();
std::unique_ptr<StockCodec> make_zstd(int level);
std::unique_ptr<StockCodec> make_bitshuffle_lz4();
std::unique_ptr<StockCodec> make_bitshuffle_zstd(int level);

// Every adapter whose key is in `keys` (empty = all), in table order. Keys: jpegls, jpegls-diff, jxl3,
// jxl7, j2k, png, zstd3, zstd19, bslz4, bszstd.
std::vector<std::unique_ptr<StockCodec>> make_stock_codecs(const std::vector<std::string>& keys);
std::vector<std::string> stock_codec_keys();

}  // namespace srsfs::bench
