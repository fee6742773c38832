#include "tools/bench/subset.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace srsfs::bench {

Subset choose_subset(const std::vector<codec::Frame16>& frames, uint64_t max_pixels) {
  Subset s;
  const uint32_t w = frames.at(0).width, h = frames[0].height;
  const uint64_t frame_px = uint64_t(w) * h, n = frames.size();
  uint64_t nf = std::min<uint64_t>(n, std::max<uint64_t>(16, max_pixels / frame_px));
  uint64_t area = std::max<uint64_t>(1, max_pixels / nf);
  s.crop = {0, 0, w, h};
  if (frame_px > area) {  // centre crop with the frame's aspect ratio
    uint32_t ch = uint32_t(std::clamp<double>(std::round(std::sqrt(double(area) * h / w)), 1, h));
    uint32_t cw = uint32_t(std::clamp<uint64_t>(area / ch, 1, w));
    s.crop = {(w - cw) / 2, (h - ch) / 2, cw, ch};
  }
  s.whole = nf == n && s.crop.width == w && s.crop.height == h;
  for (uint64_t f = 0; f < nf; ++f) {
    codec::Frame16 c(s.crop.width, s.crop.height);
    for (uint32_t y = 0; y < s.crop.height; ++y)
      std::copy_n(&frames[f].pixels[size_t(s.crop.y0 + y) * w + s.crop.x0], s.crop.width, &c.pixels[size_t(y) * s.crop.width]);
    s.frames.push_back(std::move(c));
  }
  s.desc = s.whole ? fmt::format("all {} frames", n)
                   : fmt::format("SUBSET: the first {} of {} frames, {}x{} centre crop at ({}, {}) of {}x{} "
                                 "(--paper-max-pixels {})",
                                 nf, n, s.crop.width, s.crop.height, s.crop.x0, s.crop.y0, w, h, max_pixels);
  return s;
}

}  // namespace srsfs::bench
