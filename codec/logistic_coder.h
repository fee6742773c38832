// Codes a 16-bit value with a discretised logistic distribution (mean mu, scale s), in integer arithmetic
// shared by encoder and decoder. Large scales code the value's top bits with the distribution and its low
// k bits raw (they are nearly uniform when 2^k <= s/4), which bounds the coding window to ~200 symbols.
// Values far outside the window (probability < 2^-16) take an escape symbol and 16-k raw bits.
#pragma once
#include <cstdint>

#include "codec/range_coder.h"

namespace srsfs::codec {

// mu16: mean in 1/16 grey levels (any int32; clamped to the value range for the window).
// s16: scale in 1/16 grey levels; values below kMinScale16 are raised to it.
inline constexpr int32_t kMinScale16 = 4;

void encode_logistic(RangeEncoder& enc, uint32_t value, int32_t mu16, int32_t s16);
uint32_t decode_logistic(RangeDecoder& dec, int32_t mu16, int32_t s16);

// Ideal code length in bits of `value` under the same quantised distribution (for tests and benchmarks).
double logistic_code_length(uint32_t value, int32_t mu16, int32_t s16);

}  // namespace srsfs::codec
