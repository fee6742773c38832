// Adaptive scale and bias estimation for the logistic coder. A context is (local activity, intensity):
// activity is a weighted sum of the absolute residuals of causal neighbours and of the same pixel in the
// previous frame; intensity buckets the prediction base, since photon noise grows with the signal. Each
// context tracks its mean absolute residual (giving the logistic scale, E|e| = 2 ln 2 · s) and its mean
// signed residual (a bias correction, as in JPEG-LS). All integer, so encoder and decoder agree exactly.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdlib>

namespace srsfs::codec {

class ScaleContexts {
 public:
  static constexpr int kActivityLevels = 32, kIntensityLevels = 11, kMaxCount = 128;

  struct Entry {
    int64_t sum_abs16 = 0;  // sum of |value*16 - mu16|
    int64_t sum_err16 = 0;  // sum of (value*16 - pred16)
    int32_t n = 0;
    // The quotients, computed when the sums change rather than when the context is next used: the
    // divisions then overlap the next pixel's prediction instead of sitting on its critical path.
    int32_t bias = 0, scale = 0;
  };

  // activity8: weighted |residual| sum whose weights add up to 8; base: prediction base grey level.
  static int index(uint32_t activity8, int32_t base) {
    int a = 0;
    if (activity8) {
      int l = int(std::bit_width(activity8));
      int sub = l >= 2 ? int(activity8 >> (l - 2)) & 1 : 0;
      a = std::min(kActivityLevels - 1, 2 * l - 1 + sub);
    }
    int i = std::clamp(int(std::bit_width(uint32_t(std::max(base, 0)) + 1)) - 6, 0, kIntensityLevels - 1);
    return a * kIntensityLevels + i;
  }

  Entry& operator[](int i) { return e_[size_t(i)]; }

  // Logistic scale in 1/16 grey levels; an unseen context starts from the activity itself.
  static int32_t scale16(const Entry& e, uint32_t activity8) {
    if (e.n == 0) return int32_t(std::min<int64_t>(int64_t(activity8) * 2 * 185 / 256 + 8, int64_t(1) << 20));
    return e.scale;
  }
  static int32_t bias16(const Entry& e) { return e.bias; }

  static void update(Entry& e, int32_t err16, int32_t abs_err16) {
    e.sum_abs16 += abs_err16;
    e.sum_err16 += err16;
    if (++e.n == kMaxCount) {  // halve: recent statistics weigh more
      e.sum_abs16 /= 2;
      e.sum_err16 /= 2;
      e.n /= 2;
    }
    e.scale = int32_t(std::min<int64_t>(e.sum_abs16 * 185 / (int64_t(256) * e.n), int64_t(1) << 20));
    e.bias = int32_t(e.sum_err16 / e.n);
  }

 private:
  std::array<Entry, size_t(kActivityLevels) * kIntensityLevels> e_{};
};

}  // namespace srsfs::codec
