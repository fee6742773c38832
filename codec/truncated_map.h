// The paper's truncated mapping of frame differences to a small alphabet, reversibly.
// A difference d = I_t - I_{t-1} in [lo, hi] maps to symbol d - lo; anything else maps to the escape symbol
// A - 1 = hi - lo + 1 and its true value travels separately (codec/paper_escape.h).
#pragma once
#include <cstdint>
#include <span>

namespace srsfs::codec {

// Largest alphabet a model may have (frequencies are >= 1 out of 2^16, and the softmax is per symbol).
inline constexpr int32_t kMaxPaperAlphabet = 4096;

struct TruncWindow {
  int32_t lo = 0, hi = 0;  // lo <= 0 <= hi, so that d = 0 (the padding symbol) is never an escape
  int32_t alphabet() const { return hi - lo + 2; }
  int32_t escape() const { return hi - lo + 1; }
  int32_t zero_symbol() const { return -lo; }
  uint16_t map(int32_t d) const { return uint16_t(d >= lo && d <= hi ? d - lo : escape()); }
  bool valid() const { return lo <= 0 && hi >= 0 && alphabet() <= kMaxPaperAlphabet; }
};

// Histogram of differences: count[d + 65535] for d in [-65535, 65535].
inline constexpr int32_t kDiffOffset = 65535;
inline constexpr size_t kDiffHistSize = 2 * 65535 + 1;

// The narrowest window holding at least ceil((1 - escape_fraction) * total) differences, widened to hold 0,
// at most max_alphabet - 1 values wide (then the fullest window of that width). Ties go to the window
// closest to 0. Integer arithmetic only given the count `keep`, so the result is reproducible.
TruncWindow choose_window(std::span<const uint64_t> hist, double escape_fraction,
                          int32_t max_alphabet = 1024);

// Q12 network input for each symbol: (d) / norm with norm = max(-lo, hi + 1, 1), the escape symbol as
// d = hi + 1 (so |input| <= 1.0). Shared by the trainer and the integer inference.
int16_t paper_input_q12(const TruncWindow& w, int32_t symbol);

}  // namespace srsfs::codec
