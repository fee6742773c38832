// JPEG XL lossless (modular mode) through libjxl 0.7: 16-bit grey, original profile, bare codestream (no
// container), one thread (no parallel runner), effort given per adapter.
#include <jxl/decode.h>
#include <jxl/decode_cxx.h>
#include <jxl/encode.h>
#include <jxl/encode_cxx.h>
#include <jxl/version.h>

#include "tools/bench/frame_ops.h"
#include "tools/bench/stock_codecs.h"

namespace srsfs::bench {
namespace {

const JxlPixelFormat kGray16{1, JXL_TYPE_UINT16, JXL_NATIVE_ENDIAN, 0};

void check(JxlEncoderStatus s, JxlEncoder* enc, const char* step) {
  if (s != JXL_ENC_SUCCESS) fail(Errc::internal, "libjxl encoder: {} failed (error {})", step, int(JxlEncoderGetError(enc)));
}

class JpegXl final : public StockCodec {
 public:
  explicit JpegXl(int effort) : effort_(effort) {}
  std::string name() const override { return fmt::format("JPEG XL e{}", effort_); }
  std::string method() const override {
    return fmt::format("libjxl {}.{}.{}, lossless modular (JxlEncoderSetFrameLossless), effort {}, 16-bit grey, "
                       "uses_original_profile, bare codestream per frame, no parallel runner (1 thread)",
                       JPEGXL_MAJOR_VERSION, JPEGXL_MINOR_VERSION, JPEGXL_PATCH_VERSION, effort_);
  }

  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override {
    JxlEncoderPtr enc = JxlEncoderMake(nullptr);  // RAII (JxlEncoderDestroy)
    JxlEncoder* e = enc.get();
    check(JxlEncoderUseContainer(e, JXL_FALSE), e, "UseContainer");
    JxlBasicInfo info;
    JxlEncoderInitBasicInfo(&info);
    info.xsize = f.width;
    info.ysize = f.height;
    info.bits_per_sample = 16;
    info.num_color_channels = 1;
    info.uses_original_profile = JXL_TRUE;  // required for lossless
    check(JxlEncoderSetBasicInfo(e, &info), e, "SetBasicInfo");
    JxlColorEncoding colour;
    JxlColorEncodingSetToLinearSRGB(&colour, /*is_gray=*/JXL_TRUE);
    check(JxlEncoderSetColorEncoding(e, &colour), e, "SetColorEncoding");
    JxlEncoderFrameSettings* fs = JxlEncoderFrameSettingsCreate(e, nullptr);  // owned by the encoder
    check(JxlEncoderSetFrameLossless(fs, JXL_TRUE), e, "SetFrameLossless");
    check(JxlEncoderFrameSettingsSetOption(fs, JXL_ENC_FRAME_SETTING_EFFORT, effort_), e, "effort");
    check(JxlEncoderAddImageFrame(fs, &kGray16, f.pixels.data(), raw_bytes(f)), e, "AddImageFrame");
    JxlEncoderCloseInput(e);
    Bytes out(raw_bytes(f) / 2 + 4096);
    uint8_t* next = out.data();
    size_t avail = out.size();
    for (;;) {
      JxlEncoderStatus s = JxlEncoderProcessOutput(e, &next, &avail);
      if (s == JXL_ENC_SUCCESS) break;
      if (s != JXL_ENC_NEED_MORE_OUTPUT) check(s, e, "ProcessOutput");
      size_t used = size_t(next - out.data());
      out.resize(out.size() * 2);
      next = out.data() + used;
      avail = out.size() - used;
    }
    out.resize(size_t(next - out.data()));
    return out;
  }

  void decode(ByteSpan data, const codec::Frame16*, codec::Frame16& out) const override {
    JxlDecoderPtr dec = JxlDecoderMake(nullptr);  // RAII (JxlDecoderDestroy)
    JxlDecoder* d = dec.get();
    if (JxlDecoderSubscribeEvents(d, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE) != JXL_DEC_SUCCESS)
      fail(Errc::internal, "libjxl decoder: SubscribeEvents failed");
    if (JxlDecoderSetInput(d, data.data(), data.size()) != JXL_DEC_SUCCESS)
      fail(Errc::internal, "libjxl decoder: SetInput failed");
    JxlDecoderCloseInput(d);
    for (;;) {
      JxlDecoderStatus s = JxlDecoderProcessInput(d);
      if (s == JXL_DEC_BASIC_INFO) {
        JxlBasicInfo info;
        if (JxlDecoderGetBasicInfo(d, &info) != JXL_DEC_SUCCESS) fail(Errc::corrupt, "libjxl: no basic info");
        if (info.xsize != out.width || info.ysize != out.height || info.num_color_channels != 1)
          fail(Errc::corrupt, "libjxl: stream is {}x{}x{}, expected {}x{}", info.xsize, info.ysize,
               info.num_color_channels, out.width, out.height);
      } else if (s == JXL_DEC_NEED_IMAGE_OUT_BUFFER) {
        if (JxlDecoderSetImageOutBuffer(d, &kGray16, out.pixels.data(), raw_bytes(out)) != JXL_DEC_SUCCESS)
          fail(Errc::corrupt, "libjxl: output buffer rejected for {}x{}", out.width, out.height);
      } else if (s == JXL_DEC_FULL_IMAGE) {
        continue;
      } else if (s == JXL_DEC_SUCCESS) {
        return;
      } else {
        fail(Errc::corrupt, "libjxl decoder: status {} (truncated or invalid codestream)", int(s));
      }
    }
  }

 private:
  int effort_;
};

}  // namespace

std::unique_ptr<StockCodec> make_jpegxl(int effort) { return std::make_unique<JpegXl>(effort); }

}  // namespace srsfs::bench
