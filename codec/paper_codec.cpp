#include "codec/paper_codec.h"

#include <bit>
#include <cmath>

#include "codec/error.h"
#include "codec/lms_codec.h"
#include "codec/paper_escape.h"
#include "codec/range_coder.h"

namespace srsfs::codec {
namespace {

enum class KeyCoding : uint8_t { raw = 0, lms = 1 };

uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }

// Mapped symbols of frames 1..F-1 (row t-1 of the result holds frame t), with the escapes in raster order.
struct Symbols {
  std::vector<uint16_t> sym;
  std::vector<EscapedPixel> esc;
};

Symbols map_block(const PaperNet& net, const BlockView& b) {
  Symbols s;
  const size_t n = b.frame_pixels();
  s.sym.resize(n * (b.frames - 1));
  for (uint32_t t = 1; t < b.frames; ++t) {
    const uint16_t* prev = b.frame(t - 1);
    const uint16_t* cur = b.frame(t);
    uint16_t* out = &s.sym[n * (t - 1)];
    for (size_t p = 0; p < n; ++p) {
      out[p] = net.window.map(int32_t(cur[p]) - int32_t(prev[p]));
      if (out[p] == net.window.escape()) s.esc.push_back({prev[p], cur[p]});
    }
  }
  return s;
}

// Context of pixel p in frame t: symbols of frames t-K .. t-1 (those before frame 1 are the d = 0 symbol).
void gather(const PaperNet& net, const uint16_t* sym, size_t n, uint32_t t, size_t p, uint16_t* ctx) {
  const int K = net.context;
  for (int k = 0; k < K; ++k) {
    int64_t j = int64_t(t) - K + k;
    ctx[k] = j >= 1 ? sym[n * size_t(j - 1) + p] : uint16_t(net.window.zero_symbol());
  }
}

class PaperBlockCodec final : public BlockCodec {
 public:
  explicit PaperBlockCodec(PaperNet net) : net_(std::move(net)) {}

  Bytes encode(const BlockView& b) const override {
    if (b.frames == 0 || b.rows == 0 || b.width == 0)
      fail(Errc::invalid_argument, "paper block: empty block {}x{}x{}", b.frames, b.rows, b.width);
    Bytes out;
    ByteWriter w(out);
    write_header(w, b.frames, b.rows, b.width);
    w.u8(uint8_t(KeyCoding::lms));
    w.blob(encode_lms_block(BlockView{b.px, 1, b.rows, b.width}));
    if (b.frames == 1) return out;

    Symbols s = map_block(net_, b);
    Bytes sym = code_symbols(s.sym, b);
    EscapeCoding ec = net_.escape;
    Bytes esc;
    if (ec == EscapeCoding::smallest) {
      Bytes v = encode_escapes(EscapeCoding::verbatim, s.esc, net_.window);
      Bytes g = encode_escapes(EscapeCoding::gamma, s.esc, net_.window);
      ec = g.size() < v.size() ? EscapeCoding::gamma : EscapeCoding::verbatim;
      esc = std::move(ec == EscapeCoding::gamma ? g : v);
    } else {
      esc = encode_escapes(ec, s.esc, net_.window);
    }
    w.u8(uint8_t(ec));
    w.varint(s.esc.size());
    w.blob(sym);
    w.blob(esc);
    return out;
  }

  void decode(ByteSpan data, const MutableBlockView& o) const override {
    ByteReader r(data, "paper block");
    read_header(r, o.frames, o.rows, o.width);
    const size_t n = o.frame_pixels();
    uint8_t key = r.u8();
    ByteSpan key_bytes = r.blob();
    if (key == uint8_t(KeyCoding::raw)) {
      if (key_bytes.size() != 2 * n) fail(Errc::corrupt, "paper block: raw key frame of {} bytes", key_bytes.size());
      ByteReader kr(key_bytes, "paper key frame");
      for (size_t p = 0; p < n; ++p) o.px[p] = kr.u16();
    } else if (key == uint8_t(KeyCoding::lms)) {
      decode_lms_block(key_bytes, MutableBlockView{o.px, 1, o.rows, o.width});
    } else {
      fail(Errc::corrupt, "paper block: unknown key frame coding {}", key);
    }
    if (o.frames == 1) return r.expect_done();

    uint8_t ec = r.u8();
    if (ec > uint8_t(EscapeCoding::gamma)) fail(Errc::corrupt, "paper block: unknown escape coding {}", ec);
    const size_t total = n * (o.frames - 1);
    uint64_t n_esc = r.varint();
    if (n_esc > total) fail(Errc::corrupt, "paper block: {} escapes in {} pixels", n_esc, total);
    ByteSpan sym_bytes = r.blob();
    ByteSpan esc_bytes = r.blob();
    r.expect_done();

    std::vector<uint16_t> sym(total);
    size_t found = decode_symbols(sym_bytes, sym, o.view());
    if (found != n_esc) fail(Errc::corrupt, "paper block: {} escape symbols, header says {}", found, n_esc);
    // Frame t needs frame t-1 rebuilt first (escapes are coded relative to it): raster order throughout.
    EscapeReader esc(EscapeCoding(ec), esc_bytes, net_.window, found);
    const uint16_t escape = uint16_t(net_.window.escape());
    for (uint32_t t = 1; t < o.frames; ++t) {
      const uint16_t* prev = o.frame(t - 1);
      uint16_t* cur = o.frame(t);
      const uint16_t* s = &sym[n * (t - 1)];
      for (size_t p = 0; p < n; ++p) {
        if (s[p] == escape) {
          cur[p] = esc.next(prev[p]);
          continue;
        }
        int32_t v = int32_t(prev[p]) + net_.window.lo + int32_t(s[p]);
        if (v < 0 || v > 65535) fail(Errc::corrupt, "paper block: pixel decodes to {}", v);
        cur[p] = uint16_t(v);
      }
    }
    esc.finish();
  }

 private:
  void write_header(ByteWriter& w, uint32_t f, uint32_t rows, uint32_t width) const {
    w.u8(kPaperBlockVersion);
    w.u8(uint8_t(net_.kind));
    w.u8(uint8_t(net_.context));
    w.varint(zigzag(net_.window.lo));
    w.varint(zigzag(net_.window.hi));
    w.varint(f);
    w.varint(rows);
    w.varint(width);
  }

  void read_header(ByteReader& r, uint32_t f, uint32_t rows, uint32_t width) const {
    uint8_t v = r.u8();
    if (v != kPaperBlockVersion) fail(Errc::corrupt, "paper block: version {} (this build reads {})", v, kPaperBlockVersion);
    uint8_t kind = r.u8(), k = r.u8();
    uint64_t lo = r.varint(), hi = r.varint();
    if (kind != uint8_t(net_.kind) || k != net_.context || lo != zigzag(net_.window.lo) || hi != zigzag(net_.window.hi))
      fail(Errc::corrupt, "paper block: coded with another model (kind {}, context {})", kind, k);
    uint64_t bf = r.varint(), br = r.varint(), bw = r.varint();
    if (bf != f || br != rows || bw != width || f == 0 || rows == 0 || width == 0)
      fail(Errc::corrupt, "paper block: shape {}x{}x{} stored, {}x{}x{} expected", bf, br, bw, f, rows, width);
  }

  Bytes code_symbols(const std::vector<uint16_t>& sym, const BlockView& b) const {
    PaperPredictor pred(net_);
    Bytes out;
    RangeEncoder enc(out);
    const size_t n = b.frame_pixels();
    std::vector<uint16_t> ctx(size_t(net_.context));
    for (uint32_t t = 1; t < b.frames; ++t)
      for (size_t p = 0; p < n; ++p) {
        gather(net_, sym.data(), n, t, p, ctx.data());
        const uint16_t* f = pred.predict(ctx.data());
        uint16_t s = sym[n * (t - 1) + p];
        uint32_t cum = 0;
        for (uint16_t i = 0; i < s; ++i) cum += f[i];
        enc.encode(cum, f[s], kPaperFreqBits);
      }
    enc.finish();
    return out;
  }

  // Fills `sym`; returns the number of escape symbols.
  size_t decode_symbols(ByteSpan data, std::vector<uint16_t>& sym, const BlockView& b) const {
    PaperPredictor pred(net_);
    RangeDecoder dec(data);
    const size_t n = b.frame_pixels();
    const int A = net_.alphabet();
    const int escape = net_.window.escape();
    std::vector<uint16_t> ctx(size_t(net_.context));
    size_t escapes = 0;
    for (uint32_t t = 1; t < b.frames; ++t) {
      for (size_t p = 0; p < n; ++p) {
        gather(net_, sym.data(), n, t, p, ctx.data());
        const uint16_t* f = pred.predict(ctx.data());
        uint32_t v = dec.decode_freq(kPaperFreqBits);
        uint32_t cum = 0;
        int s = 0;
        while (s < A - 1 && cum + f[s] <= v) cum += f[s++];
        dec.decode_update(cum, f[s]);
        sym[n * (t - 1) + p] = uint16_t(s);
        escapes += s == escape;
      }
      if (dec.overrun() > 2) fail(Errc::corrupt, "paper block: symbol stream truncated");
    }
    return escapes;
  }

  PaperNet net_;
};

}  // namespace

std::unique_ptr<BlockCodec> make_paper_block_codec(const PaperNet& net) {
  validate_paper_net(net, Errc::invalid_argument);
  return std::make_unique<PaperBlockCodec>(net);
}

std::unique_ptr<BlockCodec> make_paper_block_codec(const ScanModel& model) {
  return std::make_unique<PaperBlockCodec>(parse_paper_net(model.params, model.kind));
}

PaperCodeLength paper_ideal_code_length(const PaperNet& net, const BlockView& b) {
  PaperCodeLength r;
  if (b.frames < 2 || b.frame_pixels() == 0) return r;
  Symbols s = map_block(net, b);
  PaperPredictor pred(net);
  const size_t n = b.frame_pixels();
  std::vector<uint16_t> ctx(size_t(net.context));
  for (uint32_t t = 1; t < b.frames; ++t)
    for (size_t p = 0; p < n; ++p) {
      gather(net, s.sym.data(), n, t, p, ctx.data());
      const uint16_t* f = pred.predict(ctx.data());
      r.bits += double(kPaperFreqBits) - std::log2(double(f[s.sym[n * (t - 1) + p]]));
    }
  r.symbols = s.sym.size();
  r.escapes = s.esc.size();
  return r;
}

}  // namespace srsfs::codec
