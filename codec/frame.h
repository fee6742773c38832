// A 16-bit greyscale frame in host order, row-major, no padding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace srsfs::codec {

struct Frame16 {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint16_t> pixels;  // width * height values

  Frame16() = default;
  Frame16(uint32_t w, uint32_t h) : width(w), height(h), pixels(size_t(w) * h) {}
  uint16_t& at(uint32_t y, uint32_t x) { return pixels[size_t(y) * width + x]; }
  uint16_t at(uint32_t y, uint32_t x) const { return pixels[size_t(y) * width + x]; }
  size_t pixel_count() const { return size_t(width) * height; }
  bool operator==(const Frame16&) const = default;
};

}  // namespace srsfs::codec
