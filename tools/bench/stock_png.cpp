// PNG through libpng's simplified API (errors come back as a message, no longjmp through our frames):
// 16-bit linear grey, default zlib level and filter heuristics.
#include <cstring>

#include <png.h>

#include "tools/bench/frame_ops.h"
#include "tools/bench/stock_codecs.h"

namespace srsfs::bench {
namespace {

// Owns a png_image's internal state (freed on every path; a no-op once libpng has released it itself).
class PngImage {
 public:
  PngImage() {
    std::memset(&img_, 0, sizeof img_);
    img_.version = PNG_IMAGE_VERSION;
  }
  ~PngImage() { png_image_free(&img_); }
  PngImage(const PngImage&) = delete;
  PngImage& operator=(const PngImage&) = delete;
  png_image* get() { return &img_; }
  png_image* operator->() { return &img_; }

 private:
  png_image img_;
};

class Png final : public StockCodec {
 public:
  std::string name() const override { return "PNG"; }
  std::string method() const override {
    return fmt::format("libpng {} simplified API, 16-bit grey (PNG_FORMAT_LINEAR_Y), default zlib level and "
                       "filter selection, one file per frame", png_get_libpng_ver(nullptr));
  }

  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override {
    PngImage img;
    img->width = f.width;
    img->height = f.height;
    img->format = PNG_FORMAT_LINEAR_Y;
    png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(*img.get());  // a bound; one write call
    Bytes out(size);
    if (!png_image_write_to_memory(img.get(), out.data(), &size, 0, f.pixels.data(), 0, nullptr))
      fail(Errc::internal, "libpng: writing {}x{} failed: {}", f.width, f.height, img->message);
    out.resize(size);
    return out;
  }

  void decode(ByteSpan data, const codec::Frame16*, codec::Frame16& out) const override {
    PngImage img;
    if (!png_image_begin_read_from_memory(img.get(), data.data(), data.size()))
      fail(Errc::corrupt, "libpng: {}", img->message);
    if (img->width != out.width || img->height != out.height)
      fail(Errc::corrupt, "libpng: image is {}x{}, expected {}x{}", img->width, img->height, out.width, out.height);
    img->format = PNG_FORMAT_LINEAR_Y;
    if (!png_image_finish_read(img.get(), nullptr, out.pixels.data(), 0, nullptr))
      fail(Errc::corrupt, "libpng: {}", img->message);
  }
};

}  // namespace

std::unique_ptr<StockCodec> make_png() { return std::make_unique<Png>(); }

}  // namespace srsfs::bench
