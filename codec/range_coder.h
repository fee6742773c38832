// Range coder (carry-propagating, LZMA style: 64-bit low, 32-bit range, byte-wise output).
// Frequencies are integers summing to 2^total_bits (total_bits <= 16). Because range >= 2^24 after
// normalisation, the truncation r = range >> total_bits costs < 2^-8 of a bit per symbol.
// The decoder never reads past its input (missing bytes read as zero): a corrupt stream decodes to wrong
// values that block checksums catch, never to a crash or a hang.
#pragma once
#include <cstdint>

#include "codec/bytes.h"

namespace srsfs::codec {

class RangeEncoder {
 public:
  explicit RangeEncoder(Bytes& out) : out_(out) {}
  // Codes the symbol occupying [cum, cum + freq) of [0, 2^total_bits). Requires freq > 0.
  void encode(uint32_t cum, uint32_t freq, unsigned total_bits) {
    uint32_t r = range_ >> total_bits;
    low_ += uint64_t(r) * cum;
    range_ = r * freq;
    normalize();
  }
  // Codes nbits (<= 16) uniformly distributed bits.
  void encode_bits(uint32_t value, unsigned nbits) { encode(value & ((1u << nbits) - 1), 1, nbits); }
  // Codes any 32-bit value as two 16-bit halves.
  void encode_u32(uint32_t v) {
    encode_bits(v >> 16, 16);
    encode_bits(v & 0xffff, 16);
  }
  // Flushes the final state; call once, then the output is complete.
  void finish() {
    for (int i = 0; i < 5; ++i) shift_low();
  }

 private:
  void normalize() {
    while (range_ < (1u << 24)) {
      range_ <<= 8;
      shift_low();
    }
  }
  void shift_low() {
    if (uint32_t(low_) < 0xFF000000u || (low_ >> 32) != 0) {
      uint8_t carry = uint8_t(low_ >> 32);
      uint8_t temp = cache_;
      do {
        out_.push_back(uint8_t(temp + carry));
        temp = 0xFF;
      } while (--cache_size_ != 0);
      cache_ = uint8_t(low_ >> 24);
    }
    ++cache_size_;
    low_ = (low_ & 0x00FFFFFFu) << 8;
  }

  Bytes& out_;
  uint64_t low_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
  uint8_t cache_ = 0;
  uint64_t cache_size_ = 1;
};

class RangeDecoder {
 public:
  explicit RangeDecoder(ByteSpan in) : in_(in) {
    for (int i = 0; i < 5; ++i) code_ = (code_ << 8) | next();
  }
  // First half of decoding a symbol: the position in [0, 2^total_bits) that the stream points at.
  uint32_t decode_freq(unsigned total_bits) {
    r_ = range_ >> total_bits;
    uint32_t v = code_ / r_;
    uint32_t top = (1u << total_bits) - 1;
    return v < top ? v : top;
  }
  // Second half: consume the symbol found to occupy [cum, cum + freq).
  void decode_update(uint32_t cum, uint32_t freq) {
    code_ -= r_ * cum;
    range_ = r_ * freq;
    while (range_ < (1u << 24)) {
      code_ = (code_ << 8) | next();
      range_ <<= 8;
    }
  }
  uint32_t decode_bits(unsigned nbits) {
    uint32_t v = decode_freq(nbits);
    decode_update(v, 1);
    return v;
  }
  uint32_t decode_u32() {
    uint32_t hi = decode_bits(16);
    return (hi << 16) | decode_bits(16);
  }
  // Bytes consumed beyond the input (a sign of truncation or corruption when large).
  size_t overrun() const { return overrun_; }

 private:
  uint32_t next() {
    if (pos_ < in_.size()) return in_[pos_++];
    ++overrun_;
    return 0;
  }
  ByteSpan in_;
  size_t pos_ = 0;
  size_t overrun_ = 0;
  uint32_t code_ = 0;
  uint32_t range_ = 0xFFFFFFFFu;
  uint32_t r_ = 1;
};

}  // namespace srsfs::codec
