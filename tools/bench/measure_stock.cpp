#include <chrono>

#include "tools/bench/frame_ops.h"
#include "tools/bench/measure.h"

namespace srsfs::bench {

Row measure_stock(const StockCodec& c, const std::vector<codec::Frame16>& frames) {
  using Clock = std::chrono::steady_clock;
  Row row;
  row.codec = c.name();
  row.scope = "per frame";
  row.method = c.method();
  row.threads = 1;
  for (const auto& f : frames) {
    row.raw_bytes += raw_bytes(f);
    row.pixels += f.pixel_count();
  }
  try {
    std::vector<Bytes> coded(frames.size());
    std::vector<codec::Frame16> decoded;  // allocated outside the timed decode
    decoded.reserve(frames.size());
    for (const auto& f : frames) decoded.emplace_back(f.width, f.height);
    auto t0 = Clock::now();
    for (size_t i = 0; i < frames.size(); ++i) coded[i] = c.encode(frames[i], i ? &frames[i - 1] : nullptr);
    auto t1 = Clock::now();
    for (size_t i = 0; i < frames.size(); ++i) c.decode(coded[i], i ? &decoded[i - 1] : nullptr, decoded[i]);
    auto t2 = Clock::now();
    row.encode_s = std::chrono::duration<double>(t1 - t0).count();
    row.decode_s = std::chrono::duration<double>(t2 - t1).count();
    for (const Bytes& b : coded) row.compressed_bytes += b.size();
    for (size_t i = 0; i < frames.size(); ++i)
      if (decoded[i] != frames[i]) fail(Errc::corrupt, "{}: frame {} does not decode bit-exactly", c.name(), i);
    row.verified = true;
  } catch (const std::exception& e) {
    row.error = e.what();
  }
  return row;
}

}  // namespace srsfs::bench
