// Measurements of the paper modes on the shared real-data corpus (not a pass/fail test): run with
// SRSFS_PAPER_MEASURE=1 build-nn/bin/test_train --gtest_filter='PaperMeasure*'.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "codec/lms_codec.h"
#include "codec/paper_codec.h"
#include "codec/paper_escape.h"
#include "codec/train/paper_train.h"
#include "tests/test_paths.h"

namespace srsfs::codec {
namespace {

namespace fs = std::filesystem;

// Frames of a directory, rows [r0, r0 + rows) of each, at most `max_frames`.
struct Seq {
  uint32_t frames = 0, rows = 0, width = 0;
  std::vector<uint16_t> px;
  BlockView view(uint32_t f0, uint32_t nf) const {
    return {px.data() + size_t(f0) * rows * width, nf, rows, width};
  }
};

Seq load(const fs::path& dir, uint32_t max_frames, uint32_t r0, uint32_t max_rows) {
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".tif") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  Seq s;
  for (const auto& f : files) {
    if (s.frames == max_frames) break;
    TIFF* t = TIFFOpen(f.c_str(), "r");
    if (!t) throw std::runtime_error("cannot open " + f.string());
    uint32_t w = 0, h = 0;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    s.width = w;
    s.rows = std::min(max_rows, h - r0);
    std::vector<uint16_t> line(w);
    for (uint32_t y = r0; y < r0 + s.rows; ++y) {
      TIFFReadScanline(t, line.data(), y);
      s.px.insert(s.px.end(), line.begin(), line.end());
    }
    TIFFClose(t);
    ++s.frames;
  }
  return s;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

void measure(const char* name, const Seq& s, uint32_t train_frames, uint32_t group, int hidden) {
  std::printf("\n== %s: %u frames x %u x %u; train on frames 0..%u, code blocks of %u frames from frame %u\n", name,
              s.frames, s.rows, s.width, train_frames - 1, group, train_frames);
  // flt/int: ideal bits per symbol on eval samples (float vs integer model); all: actual block bytes per pixel
  // (key frame by LMS included); sym: symbol stream per non-key pixel; verb/gam: escape bytes per non-key
  // pixel with verbatim / gamma coding; esc%: share of escaped non-key pixels.
  std::printf("%-5s %7s %7s %8s %8s %8s %8s %7s %7s %7s %8s %8s %7s\n", "kind", "params", "bytes", "flt", "int",
              "all", "sym", "verb", "gam", "esc%", "enc s/Mpx", "dec s/Mpx", "train s");
  for (ModelKind k : {ModelKind::fc, ModelKind::lstm, ModelKind::gru}) {
    PaperTrainOptions o;
    o.kind = k;
    o.hidden = hidden;
    o.threads = 2;
    o.epochs = 6;
    o.max_samples = std::max<size_t>(size_t(s.rows) * s.width, 16384);
    PaperTrainReport rep;
    std::vector<BlockView> eval;
    for (uint32_t f = train_frames; f + 1 < s.frames; f += group) eval.push_back(s.view(f, std::min(group, s.frames - f)));
    PaperNet net = train_paper_net({s.view(0, train_frames)}, o, &rep, eval);
    size_t bytes = 0, px = 0, nonkey = 0, chosen_esc = 0, verb = 0, gam = 0, key = 0, n_esc = 0;
    double enc_t = 0, dec_t = 0;
    auto codec = make_paper_block_codec(net);
    for (const BlockView& b : eval) {
      double t0 = now();
      Bytes e = codec->encode(b);
      double t1 = now();
      std::vector<uint16_t> out(size_t(b.frames) * b.frame_pixels());
      codec->decode(e, {out.data(), b.frames, b.rows, b.width});
      double t2 = now();
      if (!std::equal(out.begin(), out.end(), b.px)) ADD_FAILURE() << "round trip failed";
      enc_t += t1 - t0;
      dec_t += t2 - t1;
      bytes += e.size();
      px += out.size();
      nonkey += size_t(b.frames - 1) * b.frame_pixels();
      key += encode_lms_block(BlockView{b.px, 1, b.rows, b.width}).size();
      std::vector<EscapedPixel> esc;
      for (uint32_t t = 1; t < b.frames; ++t)
        for (size_t p = 0; p < b.frame_pixels(); ++p) {
          int32_t d = int32_t(b.frame(t)[p]) - int32_t(b.frame(t - 1)[p]);
          if (d < rep.window.lo || d > rep.window.hi) esc.push_back({b.frame(t - 1)[p], b.frame(t)[p]});
        }
      n_esc += esc.size();
      size_t v = encode_escapes(EscapeCoding::verbatim, esc, rep.window).size();
      size_t g = encode_escapes(EscapeCoding::gamma, esc, rep.window).size();
      verb += v;
      gam += g;
      chosen_esc += std::min(v, g);
    }
    double mpx = double(px) / 1e6;
    std::printf("%-5s %7zu %7zu %8.3f %8.3f %8.3f %8.3f %7.3f %7.3f %7.3f %8.2f %8.2f %7.1f\n", model_kind_name(k),
                rep.params, rep.param_bytes, rep.float_bits, rep.int_bits, 8.0 * double(bytes) / double(px),
                8.0 * double(bytes - key - chosen_esc) / double(nonkey), 8.0 * double(verb) / double(nonkey),
                8.0 * double(gam) / double(nonkey), 100.0 * double(n_esc) / double(nonkey), enc_t / mpx, dec_t / mpx,
                rep.seconds);
  }
}
TEST(PaperMeasure, SharedCorpus) {
  if (!std::getenv("SRSFS_PAPER_MEASURE")) GTEST_SKIP() << "set SRSFS_PAPER_MEASURE=1";
  auto data = test::shared_data_dir();
  if (!data) GTEST_SKIP() << "no shared data";
  int hidden = std::getenv("SRSFS_PAPER_HIDDEN") ? std::atoi(std::getenv("SRSFS_PAPER_HIDDEN")) : 32;
  measure("dls_i13 projections", load(*data / "dls_i13_24737_a/projections", 46, 0, 1000), 16, 8, hidden);
  measure("dls_k11 projections", load(*data / "dls_k11_diad_18014_a/projections", 400, 0, 1000), 100, 16, hidden);
  measure("chess rows 128..255", load(*data / "chess_id1a3_eiger500k_ti_scan1/frames", 27, 128, 128), 9, 9, hidden);
}

}  // namespace
}  // namespace srsfs::codec
