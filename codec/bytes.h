// Little-endian serialisation helpers for every srsfs format (archive, store records, TIFF layouts).
// ByteReader never reads past its span: a short or hostile input throws Errc::corrupt.
#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/error.h"

namespace srsfs {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void i64(int64_t v) { put(uint64_t(v), 8); }
  // LEB128 varint: compact for small counts and sizes.
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(uint8_t(v) | 0x80);
      v >>= 7;
    }
    out_.push_back(uint8_t(v));
  }
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // Length-prefixed (varint) byte string.
  void blob(ByteSpan b) {
    varint(b.size());
    bytes(b);
  }
  void str(std::string_view s) { blob({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); }
  size_t size() const { return out_.size(); }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(uint8_t(v >> (8 * i)));
  }
  Bytes& out_;
};

class ByteReader {
 public:
  explicit ByteReader(ByteSpan in, const char* what = "record") : in_(in), what_(what) {}
  uint8_t u8() { return uint8_t(get(1)); }
  uint16_t u16() { return uint16_t(get(2)); }
  uint32_t u32() { return uint32_t(get(4)); }
  uint64_t u64() { return get(8); }
  int64_t i64() { return int64_t(get(8)); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail(Errc::corrupt, "{}: varint longer than 64 bits", what_);
  }
  ByteSpan bytes(size_t n) {
    need(n);
    ByteSpan s = in_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  ByteSpan blob() { return bytes(checked_size(varint())); }
  std::string str() {
    ByteSpan b = blob();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  // A count read from untrusted bytes, bounded by what remains (each element takes >= min_elem bytes).
  size_t count(size_t min_elem = 1) {
    uint64_t n = varint();
    if (min_elem && n > remaining() / min_elem) fail(Errc::corrupt, "{}: count {} exceeds the data", what_, n);
    return size_t(n);
  }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  bool done() const { return pos_ == in_.size(); }
  void expect_done() const {
    if (!done()) fail(Errc::corrupt, "{}: {} trailing bytes", what_, remaining());
  }

 private:
  size_t checked_size(uint64_t n) {
    if (n > remaining()) fail(Errc::corrupt, "{}: length {} exceeds the {} bytes left", what_, n, remaining());
    return size_t(n);
  }
  void need(size_t n) {
    if (n > remaining()) fail(Errc::corrupt, "{}: truncated (need {} bytes, {} left)", what_, n, remaining());
  }
  uint64_t get(int n) {
    need(size_t(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t(in_[pos_ + i]) << (8 * i);
    pos_ += size_t(n);
    return v;
  }
  ByteSpan in_;
  size_t pos_ = 0;
  const char* what_;
};

}  // namespace srsfs
