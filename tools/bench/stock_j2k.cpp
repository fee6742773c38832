// JPEG 2000 lossless through OpenJPEG 2.5: reversible 5/3 wavelet, one quality layer, raw J2K codestream
// (no JP2 boxes), memory streams, one thread.
#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include <openjpeg.h>

#include "tools/bench/frame_ops.h"
#include "tools/bench/stock_codecs.h"

namespace srsfs::bench {
namespace {

struct CodecDel { void operator()(opj_codec_t* c) const { opj_destroy_codec(c); } };
struct StreamDel { void operator()(opj_stream_t* s) const { opj_stream_destroy(s); } };
struct ImageDel { void operator()(opj_image_t* i) const { opj_image_destroy(i); } };
using CodecPtr = std::unique_ptr<opj_codec_t, CodecDel>;
using StreamPtr = std::unique_ptr<opj_stream_t, StreamDel>;
using ImagePtr = std::unique_ptr<opj_image_t, ImageDel>;

// The memory behind a stream: reads come from `in`, writes append to `out`.
struct MemIo {
  ByteSpan in;
  Bytes* out = nullptr;
  size_t pos = 0;
  std::string error;  // last message from OpenJPEG's error handler
};

OPJ_SIZE_T mem_read(void* buf, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<MemIo*>(user);
  if (m->pos >= m->in.size()) return OPJ_SIZE_T(-1);
  n = std::min<OPJ_SIZE_T>(n, m->in.size() - m->pos);
  std::memcpy(buf, m->in.data() + m->pos, n);
  m->pos += n;
  return n;
}
OPJ_SIZE_T mem_write(void* buf, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<MemIo*>(user);
  if (m->out->size() < m->pos + n) m->out->resize(m->pos + n);
  std::memcpy(m->out->data() + m->pos, buf, n);
  m->pos += n;
  return n;
}
size_t io_size(const MemIo& m) { return m.out ? m.out->size() : m.in.size(); }
OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<MemIo*>(user);
  OPJ_OFF_T to = OPJ_OFF_T(m->pos) + n;
  if (to < 0 || (!m->out && size_t(to) > m->in.size())) return -1;
  m->pos = size_t(to);
  return n;
}
OPJ_BOOL mem_seek(OPJ_OFF_T to, void* user) {
  auto* m = static_cast<MemIo*>(user);
  if (to < 0 || (!m->out && size_t(to) > io_size(*m))) return OPJ_FALSE;
  m->pos = size_t(to);
  return OPJ_TRUE;
}
void on_error(const char* msg, void* user) { static_cast<MemIo*>(user)->error = msg; }
void on_quiet(const char*, void*) {}

StreamPtr make_stream(MemIo& io, bool input) {
  StreamPtr s(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, input ? OPJ_TRUE : OPJ_FALSE));
  if (!s) fail(Errc::internal, "OpenJPEG: opj_stream_create failed");
  opj_stream_set_user_data(s.get(), &io, nullptr);
  if (input) opj_stream_set_user_data_length(s.get(), io.in.size());
  opj_stream_set_read_function(s.get(), mem_read);
  opj_stream_set_write_function(s.get(), mem_write);
  opj_stream_set_skip_function(s.get(), mem_skip);
  opj_stream_set_seek_function(s.get(), mem_seek);
  return s;
}

void route_messages(opj_codec_t* c, MemIo& io) {
  opj_set_error_handler(c, on_error, &io);
  opj_set_warning_handler(c, on_quiet, nullptr);
  opj_set_info_handler(c, on_quiet, nullptr);
}

class Jpeg2000 final : public StockCodec {
 public:
  std::string name() const override { return "JPEG 2000"; }
  std::string method() const override {
    return fmt::format("OpenJPEG {}, lossless: reversible 5/3 DWT, RCT off (1 component), 1 layer, up to 6 "
                       "resolutions (fewer for tiny frames), 64x64 code blocks, raw .j2k codestream per frame, 1 thread",
                       opj_version());
  }

  Bytes encode(const codec::Frame16& f, const codec::Frame16*) const override {
    opj_cparameters_t p;
    opj_set_default_encoder_parameters(&p);
    p.tcp_numlayers = 1;
    p.tcp_rates[0] = 0;  // 0 = lossless
    p.cp_disto_alloc = 1;
    p.irreversible = 0;
    // The coarsest resolution must keep at least one pixel.
    p.numresolution = std::min(6, int(std::bit_width(std::min(f.width, f.height))));
    opj_image_cmptparm_t cp{};
    cp.dx = cp.dy = 1;
    cp.w = f.width;
    cp.h = f.height;
    cp.prec = 16;
    cp.sgnd = 0;
    ImagePtr img(opj_image_create(1, &cp, OPJ_CLRSPC_GRAY));
    if (!img) fail(Errc::internal, "OpenJPEG: opj_image_create {}x{} failed", f.width, f.height);
    img->x1 = f.width;
    img->y1 = f.height;
    std::copy(f.pixels.begin(), f.pixels.end(), img->comps[0].data);
    Bytes out;
    MemIo io;
    io.out = &out;
    CodecPtr c(opj_create_compress(OPJ_CODEC_J2K));
    route_messages(c.get(), io);
    StreamPtr s = make_stream(io, false);
    if (!opj_setup_encoder(c.get(), &p, img.get()) || !opj_start_compress(c.get(), img.get(), s.get()) ||
        !opj_encode(c.get(), s.get()) || !opj_end_compress(c.get(), s.get()))
      fail(Errc::internal, "OpenJPEG encode {}x{}: {}", f.width, f.height, io.error);
    return out;
  }

  void decode(ByteSpan data, const codec::Frame16*, codec::Frame16& out) const override {
    MemIo io;
    io.in = data;
    CodecPtr c(opj_create_decompress(OPJ_CODEC_J2K));
    route_messages(c.get(), io);
    opj_dparameters_t p;
    opj_set_default_decoder_parameters(&p);
    StreamPtr s = make_stream(io, true);
    opj_image_t* raw = nullptr;
    bool ok = opj_setup_decoder(c.get(), &p) && opj_read_header(s.get(), c.get(), &raw);
    ImagePtr img(raw);
    if (!ok || !opj_decode(c.get(), s.get(), img.get()) || !opj_end_decompress(c.get(), s.get()))
      fail(Errc::corrupt, "OpenJPEG decode: {}", io.error);
    const opj_image_comp_t& comp = img->comps[0];
    if (img->numcomps != 1 || comp.w != out.width || comp.h != out.height)
      fail(Errc::corrupt, "OpenJPEG: stream is {}x{}x{}, expected {}x{}", comp.w, comp.h, img->numcomps, out.width,
           out.height);
    for (size_t i = 0; i < out.pixels.size(); ++i) out.pixels[i] = uint16_t(comp.data[i]);
  }
};

}  // namespace

std::unique_ptr<StockCodec> make_jpeg2000() { return std::make_unique<Jpeg2000>(); }

}  // namespace srsfs::bench
