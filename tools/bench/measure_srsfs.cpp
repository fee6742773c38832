#include <chrono>
#include <cstring>
#include <set>

#include "codec/scan_codec.h"
#include "tools/bench/measure.h"

#if defined(SRSFS_WITH_TORCH) && __has_include("codec/train/paper_train.h")
#define SRSFS_BENCH_PAPER 1
#include "codec/paper_codec.h"
#include "codec/train/paper_train.h"
#endif

namespace srsfs::bench {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The paper's training: one run of the scan's first group of frames (as the scan encoder's trainer does),
// at most one frame's worth (2^16) of sampled pixels. Returns the model; `info` says what it cost.
codec::ScanModel train(codec::ModelKind kind, const std::vector<codec::Frame16>& frames, uint32_t group,
                       std::string& info) {
#ifdef SRSFS_BENCH_PAPER
  uint32_t n = std::min<uint32_t>(group, uint32_t(frames.size()));
  std::vector<uint16_t> px;
  for (uint32_t i = 0; i < n; ++i) px.insert(px.end(), frames[i].pixels.begin(), frames[i].pixels.end());
  std::vector<codec::BlockView> runs{codec::BlockView{px.data(), n, frames[0].height, frames[0].width}};
  codec::PaperTrainOptions opt;
  opt.kind = kind;
  codec::PaperTrainReport rep;
  codec::ScanModel model = codec::train_paper_model(runs, opt, &rep);
  info = fmt::format("trained on {} samples from the first {} frames in {:.1f} s (LibTorch, {} threads), K={}, "
                     "hidden {}, window [{}, {}], {} params, model {} B; eval {:.3f} bits/symbol float, {:.3f} int",
                     rep.train_samples, n, rep.seconds, opt.threads, opt.context, opt.hidden, rep.window.lo,
                     rep.window.hi, rep.params, model.params.size(), rep.float_bits, rep.int_bits);
  return model;
#else
  (void)frames;
  (void)group;
  (void)info;
  fail(Errc::unsupported, "{} mode: this srsfs-bench was built without LibTorch training", codec::model_kind_name(kind));
#endif
}

std::unique_ptr<codec::BlockCodec> codec_for(const codec::ScanModel& model) {
  try {
    return codec::make_block_codec(model);
  } catch (const Error& e) {
#ifdef SRSFS_BENCH_PAPER
    // Until make_block_codec dispatches the paper kinds, build their codec directly.
    if (e.code() == Errc::unsupported && model.kind != codec::ModelKind::lms) return codec::make_paper_block_codec(model);
#endif
    throw;
  }
}

}  // namespace

bool paper_modes_available() {
#ifdef SRSFS_BENCH_PAPER
  return true;
#else
  return false;
#endif
}

Row measure_srsfs(codec::ModelKind kind, const std::vector<codec::Frame16>& frames,
                  const std::vector<codec::TiffLayout>* layouts, unsigned threads) {
  Row row;
  row.codec = fmt::format("srsfs {}", codec::model_kind_name(kind));
  row.threads = threads;
  const uint32_t w = frames.at(0).width, h = frames[0].height;
  row.pixels = uint64_t(frames.size()) * w * h;
  row.raw_bytes = 2 * row.pixels;
  try {
    codec::CodecParams params;
    params.model = kind;
    params.threads = threads;
    codec::ScanGeometry geom = codec::plan_geometry(w, h, uint32_t(frames.size()), params);
    row.scope = fmt::format("scan blocks {}f x {}r", geom.group_frames, geom.band_rows);

    auto t0 = Clock::now();
    std::string train_info;
    codec::ScanModel model;
    model.kind = kind;
    if (kind != codec::ModelKind::lms) model = train(kind, frames, geom.group_frames, train_info);
    double train_s = since(t0);
    std::unique_ptr<codec::BlockCodec> bc = codec_for(model);
    codec::RowSource source = [&](uint32_t f, uint32_t row0, uint32_t nrows, uint16_t* out) {
      std::memcpy(out, frames[f].pixels.data() + size_t(row0) * w, size_t(nrows) * w * 2);
    };
    std::vector<Bytes> blocks = codec::encode_blocks(geom, *bc, source, threads);
    row.encode_s = since(t0);

    std::vector<std::vector<uint16_t>> decoded(blocks.size());
    auto t1 = Clock::now();
    codec::parallel_for(blocks.size(), threads, [&](size_t i) {
      codec::decode_block(geom, *bc, uint32_t(i), blocks[i], decoded[i]);
    });
    row.decode_s = since(t1);

    for (uint32_t i = 0; i < geom.block_count(); ++i) {
      uint32_t group = i / geom.bands(), band = i % geom.bands();
      uint32_t nr = geom.rows_in(band);
      for (uint32_t f = 0; f < geom.frames_in(group); ++f) {
        const uint16_t* want = frames[group * geom.group_frames + f].pixels.data() + size_t(band) * geom.band_rows * w;
        if (std::memcmp(decoded[i].data() + size_t(f) * nr * w, want, size_t(nr) * w * 2) != 0)
          fail(Errc::corrupt, "block {} (group {}, band {}) frame {} does not decode bit-exactly", i, group, band, f);
      }
    }
    row.verified = true;

    uint64_t block_bytes = 0, layout_bytes = 0;
    for (const Bytes& b : blocks) block_bytes += b.size();
    if (layouts) {
      // The manifest keeps one copy of each distinct layout record (frames of a scan share one).
      std::set<Bytes> distinct;
      for (const codec::TiffLayout& l : *layouts) distinct.insert(codec::serialize_layout(l));
      for (const Bytes& l : distinct) layout_bytes += l.size();
    }
    uint64_t header = kScanHeaderEstimate + kBlockIndexEstimate * blocks.size() +
                      (layouts ? kFileRecordEstimate * layouts->size() : 0);
    row.compressed_bytes = block_bytes + model.params.size() + layout_bytes + header;
    row.method = fmt::format(
        "{} blocks of {} frames x {} rows (plan_geometry automatic), make_block_codec + encode_blocks on {} threads{}, "
        "decode_block of every block on {} threads, compared bit for bit. Size = blocks {} B + model {} B + "
        "layout records {} B{} + header estimate {} B ({} per scan + {} per block + {} per file for size and "
        "XXH3-64; file names not counted)",
        geom.block_count(), geom.group_frames, geom.band_rows, threads,
        kind == codec::ModelKind::lms ? "" : fmt::format(" (encode time includes {:.1f} s of training: {})", train_s, train_info),
        threads, block_bytes, model.params.size(), layout_bytes,
        layouts ? fmt::format(" (distinct serialize_layout records of {} TIFFs)", layouts->size()) : " (not counted: cropped subset)",
        header, kScanHeaderEstimate, kBlockIndexEstimate, layouts ? kFileRecordEstimate : 0);
  } catch (const std::exception& e) {
    row.error = e.what();
  }
  return row;
}

}  // namespace srsfs::bench
