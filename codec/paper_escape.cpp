#include "codec/paper_escape.h"

#include <bit>

#include "codec/error.h"

namespace srsfs::codec {
namespace {

constexpr unsigned kProbBits = 12;
constexpr int kRate = 5;
constexpr int kMaxLen = 17;  // lengths of v in [1, 65536]

// The shift-5 update keeps P(0) within [31, 4065] (of 4096), so both frequencies stay > 0.
void update(uint16_t& p, int bit) {
  if (bit) p = uint16_t(p - (p >> kRate)); else p = uint16_t(p + (((1u << kProbBits) - p) >> kRate));
}

struct GammaWriter {
  explicit GammaWriter(Bytes& out) : enc(out) {}
  RangeEncoder enc;
  uint16_t side = 2048;
  std::array<std::array<uint16_t, kMaxLen + 1>, 2> unary{}, top{};

  void put(uint16_t& p, int bit) {
    if (bit) enc.encode(p, (1u << kProbBits) - p, kProbBits); else enc.encode(0, p, kProbBits);
    update(p, bit);
  }
  void value(int s, uint32_t v) {  // v >= 1
    int n = std::bit_width(v);
    put(side, s);
    for (int i = 1; i < n; ++i) put(unary[size_t(s)][size_t(i)], 1);
    if (n < kMaxLen) put(unary[size_t(s)][size_t(n)], 0);
    if (n >= 2) put(top[size_t(s)][size_t(n)], int(v >> (n - 2)) & 1);
    if (n >= 3) enc.encode_bits(v & ((1u << (n - 2)) - 1), unsigned(n - 2));
  }
};

}  // namespace

Bytes encode_escapes(EscapeCoding coding, std::span<const EscapedPixel> esc, const TruncWindow& w) {
  Bytes out;
  if (coding == EscapeCoding::verbatim) {
    ByteWriter bw(out);
    for (const auto& e : esc) bw.u16(e.cur);
    return out;
  }
  if (coding != EscapeCoding::gamma) fail(Errc::invalid_argument, "paper escapes: coding {} is not concrete", int(coding));
  if (esc.empty()) return out;
  GammaWriter g(out);
  for (auto& row : g.unary) row.fill(2048);
  for (auto& row : g.top) row.fill(2048);
  for (const auto& e : esc) {
    int32_t d = int32_t(e.cur) - int32_t(e.prev);
    if (d >= w.lo && d <= w.hi) fail(Errc::internal, "paper escapes: difference {} is inside the window", d);
    bool above = d > w.hi;
    g.value(above, uint32_t(above ? d - w.hi : w.lo - d));
  }
  g.enc.finish();
  return out;
}

EscapeReader::EscapeReader(EscapeCoding coding, ByteSpan data, const TruncWindow& w, size_t count)
    : coding_(coding), data_(data), w_(w), count_(count), dec_(coding == EscapeCoding::gamma ? data : ByteSpan{}) {
  if (coding == EscapeCoding::verbatim) {
    if (data.size() != 2 * count)
      fail(Errc::corrupt, "paper block: {} verbatim escape bytes for {} escapes", data.size(), count);
  } else if (coding == EscapeCoding::gamma) {
    if (count == 0 && !data.empty()) fail(Errc::corrupt, "paper block: escape bytes without escapes");
  } else {
    fail(Errc::corrupt, "paper block: unknown escape coding {}", int(coding));
  }
  for (auto& row : unary_) row.fill(Bit{});
  for (auto& row : top_) row.fill(Bit{});
}

int EscapeReader::bit(Bit& b) {
  uint32_t v = dec_.decode_freq(kProbBits);
  int bit = v >= b.p;
  if (bit) dec_.decode_update(b.p, (1u << kProbBits) - b.p); else dec_.decode_update(0, b.p);
  update(b.p, bit);
  return bit;
}

uint16_t EscapeReader::next(uint16_t prev) {
  if (done_ >= count_) fail(Errc::internal, "paper escapes: more than {} read", count_);
  size_t i = done_++;
  if (coding_ == EscapeCoding::verbatim) return uint16_t(data_[2 * i] | (data_[2 * i + 1] << 8));
  int s = bit(side_);
  int n = 1;
  while (n < kMaxLen && bit(unary_[size_t(s)][size_t(n)])) ++n;
  uint32_t v = 1;
  if (n >= 2) v = 2 | uint32_t(bit(top_[size_t(s)][size_t(n)]));
  if (n >= 3) v = (v << (n - 2)) | dec_.decode_bits(unsigned(n - 2));
  int64_t cur = int64_t(prev) + (s ? int64_t(w_.hi) + v : int64_t(w_.lo) - v);
  if (cur < 0 || cur > 65535 || dec_.overrun() > 2) fail(Errc::corrupt, "paper block: corrupt escape value");
  return uint16_t(cur);
}

void EscapeReader::finish() const {
  if (done_ != count_) fail(Errc::internal, "paper escapes: {} of {} read", done_, count_);
}

}  // namespace srsfs::codec
