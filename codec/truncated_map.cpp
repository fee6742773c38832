#include "codec/truncated_map.h"

#include <algorithm>
#include <cmath>

#include "codec/error.h"

namespace srsfs::codec {

TruncWindow choose_window(std::span<const uint64_t> hist, double escape_fraction, int32_t max_alphabet) {
  if (hist.size() != kDiffHistSize) fail(Errc::invalid_argument, "choose_window: histogram has {} bins", hist.size());
  if (!(escape_fraction >= 0 && escape_fraction < 1))
    fail(Errc::invalid_argument, "escape fraction {} is not in [0, 1)", escape_fraction);
  max_alphabet = std::clamp(max_alphabet, 2, kMaxPaperAlphabet);
  uint64_t total = 0;
  for (uint64_t c : hist) total += c;
  if (total == 0) return {0, 0};
  uint64_t allowed = uint64_t(std::floor(escape_fraction * double(total)));
  uint64_t keep = total - std::min(allowed, total);
  const int32_t max_width = max_alphabet - 1;  // values in [lo, hi]
  // Two pointers over d: for each lo the smallest hi holding `keep`; remember the narrowest.
  bool found = false;
  int64_t best_lo = 0, best_hi = 0;
  auto better = [&](int64_t lo, int64_t hi) {
    if (!found) return true;
    int64_t w = hi - lo, bw = best_hi - best_lo;
    if (w != bw) return w < bw;
    return std::max(-lo, hi) < std::max(-best_lo, best_hi);
  };
  uint64_t in = 0;
  int64_t hi = -1;
  const int64_t n = int64_t(hist.size());
  for (int64_t lo = 0; lo < n; ++lo) {
    while (in < keep && hi + 1 < n) in += hist[size_t(++hi)];
    if (in < keep) break;
    if (hi - lo + 1 <= max_width && better(lo, hi)) {
      found = true;
      best_lo = lo;
      best_hi = hi;
    }
    in -= hist[size_t(lo)];
  }
  if (!found) {
    // Too wide: the fullest window of the largest width allowed that contains 0.
    uint64_t best = 0;
    int64_t zero = kDiffOffset;
    for (int64_t lo = std::max<int64_t>(0, zero - max_width + 1); lo <= zero; ++lo) {
      int64_t h = std::min(n - 1, lo + max_width - 1);
      uint64_t c = 0;
      for (int64_t i = lo; i <= h; ++i) c += hist[size_t(i)];
      if (!found || c > best) {
        found = true;
        best = c;
        best_lo = lo;
        best_hi = h;
      }
    }
  }
  TruncWindow w{int32_t(best_lo - kDiffOffset), int32_t(best_hi - kDiffOffset)};
  // Hold d = 0; if that makes it too wide, shrink the far side.
  w.lo = std::min(w.lo, 0);
  w.hi = std::max(w.hi, 0);
  while (w.alphabet() > max_alphabet) {
    if (-w.lo > w.hi) ++w.lo; else --w.hi;
  }
  return w;
}

int16_t paper_input_q12(const TruncWindow& w, int32_t symbol) {
  int64_t d = int64_t(symbol) + w.lo;  // the escape symbol reads as hi + 1
  int64_t norm = std::max<int64_t>({-int64_t(w.lo), int64_t(w.hi) + 1, 1});
  int64_t num = d * 4096 * 2;
  int64_t q = num >= 0 ? (num + norm) / (2 * norm) : -((-num + norm) / (2 * norm));
  return int16_t(q);
}

}  // namespace srsfs::codec
