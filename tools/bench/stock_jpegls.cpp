// JPEG-LS (ITU-T T.87) through CharLS 2.4: lossless (NEAR = 0), 16 bits per sample, one component.
#include <charls/charls.h>
#include <fmt/format.h>

#include "tools/bench/frame_ops.h"
#include "tools/bench/stock_codecs.h"

namespace srsfs::bench {
namespace {

Bytes jls_encode(const codec::Frame16& f) {
  try {
    charls::jpegls_encoder enc;  // RAII over charls_jpegls_encoder
    enc.frame_info({f.width, f.height, 16, 1});
    Bytes out(enc.estimated_destination_size());
    enc.destination(out);
    out.resize(enc.encode(f.pixels));
    return out;
  } catch (const charls::jpegls_error& e) {
    fail(Errc::internal, "CharLS encode {}x{}: {}", f.width, f.height, e.what());
  }
}

void jls_decode(ByteSpan data, codec::Frame16& out) {
  try {
    charls::jpegls_decoder dec(data.data(), data.size(), true);
    const charls::frame_info& fi = dec.frame_info();
    if (fi.width != out.width || fi.height != out.height || fi.component_count != 1)
      fail(Errc::corrupt, "CharLS: stream is {}x{}x{}, expected {}x{}", fi.width, fi.height, fi.component_count,
           out.width, out.height);
    dec.decode(out.pixels);
  } catch (const charls::jpegls_error& e) {
    fail(Errc::corrupt, "CharLS decode: {}", e.what());
  }
}

class JpegLs final : public StockCodec {
 public:
  std::string name() const override { return "JPEG-LS"; }
  std::string method() const override {
    return fmt::format("CharLS {}, lossless (NEAR=0), bits_per_sample=16, default thresholds, one .jls "
                       "codestream per frame", charls_get_version_string());
  }
  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override { return jls_encode(f); }
  void decode(ByteSpan d, const codec::Frame16*, codec::Frame16& out) const override { jls_decode(d, out); }
};

// The temporal baseline: the first frame as is, every later one as (frame − previous + 32768) mod 2^16, so
// that small differences of either sign sit near mid-range instead of wrapping to 0/65535.
class JpegLsDiff final : public StockCodec {
 public:
  std::string name() const override { return "JPEG-LS frame diff"; }
  std::string method() const override {
    return "CharLS, lossless, per frame on (frame - previous frame + 32768) mod 65536; the first frame as is. "
           "Decoding frame i needs frame i-1 (sequential access only)";
  }
  Bytes encode(const codec::Frame16& f, const codec::Frame16* prev) const override {
    return jls_encode(prev ? frame_diff(f, *prev) : f);
  }
  void decode(ByteSpan d, const codec::Frame16* prev, codec::Frame16& out) const override {
    jls_decode(d, out);
    if (prev) undo_frame_diff(out, *prev);
  }
};

}  // namespace

std::unique_ptr<StockCodec> make_jpegls() { return std::make_unique<JpegLs>(); }
std::unique_ptr<StockCodec> make_jpegls_frame_diff() { return std::make_unique<JpegLsDiff>(); }

}  // namespace srsfs::bench
