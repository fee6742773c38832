// Small whole-frame helpers shared by the adapters and the runners.
#pragma once
#include <cstdint>

#include "codec/bytes.h"
#include "codec/frame.h"

namespace srsfs::bench {

inline ByteSpan pixel_bytes(const codec::Frame16& f) {
  return {reinterpret_cast<const uint8_t*>(f.pixels.data()), f.pixels.size() * 2};
}
inline size_t raw_bytes(const codec::Frame16& f) { return f.pixels.size() * 2; }

// (cur − prev + 32768) mod 2^16 and its inverse (in place).
inline codec::Frame16 frame_diff(const codec::Frame16& cur, const codec::Frame16& prev) {
  codec::Frame16 d(cur.width, cur.height);
  for (size_t i = 0; i < d.pixels.size(); ++i) d.pixels[i] = uint16_t(cur.pixels[i] - prev.pixels[i] + 32768u);
  return d;
}
inline void undo_frame_diff(codec::Frame16& d, const codec::Frame16& prev) {
  for (size_t i = 0; i < d.pixels.size(); ++i) d.pixels[i] = uint16_t(d.pixels[i] - 32768u + prev.pixels[i]);
}

// Copies `bytes` (host-order uint16) into out.pixels; throws Errc::corrupt on a size mismatch.
void copy_pixels(ByteSpan bytes, codec::Frame16& out, const char* what);

}  // namespace srsfs::bench
