#include "codec/scan_encoder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "codec/checksum.h"
#include "codec/error.h"
#include "codec/fallback.h"
#include "codec/file_io.h"
#include "codec/tiff_layout.h"

namespace srsfs::codec {
namespace fs = std::filesystem;

std::vector<std::string> list_scan_files(const fs::path& dir, std::vector<std::string>* left_out) {
  std::vector<std::string> out;
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(dir, ec);
  if (ec) fail(Errc::io, "cannot list {}: {}", dir.string(), ec.message());
  for (const auto& e : it) {
    auto st = e.symlink_status();
    if (fs::is_directory(st)) continue;
    if (!fs::is_regular_file(st) && left_out) {
      left_out->push_back(fs::relative(e.path(), dir).generic_string());
      continue;
    }
    if (!fs::is_regular_file(st))
      fail(Errc::unsupported, "{}: not a regular file (symlinks and special files are not stored)", e.path().string());
    out.push_back(fs::relative(e.path(), dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

class GroupEncoder {
 public:
  GroupEncoder(const EncodeOptions& opts, ScanSink& sink) : opts_(opts), sink_(sink) {}

  // Adds a frame; encodes a full group.
  void add(Frame16 frame, ScanGeometry& geom) {
    group_.push_back(std::move(frame));
    if (group_.size() == geom.group_frames) flush(geom);
  }

  void flush(ScanGeometry& geom) {
    if (group_.empty()) return;
    if (!codec_) start(geom);
    const uint32_t g = next_group_++;
    const uint32_t nf = uint32_t(group_.size());
    std::vector<Bytes> blocks(geom.bands());
    parallel_for(geom.bands(), opts_.params.threads, [&](size_t b) {
      uint32_t r0 = uint32_t(b) * geom.band_rows, nr = geom.rows_in(uint32_t(b));
      std::vector<uint16_t> px(size_t(nf) * nr * geom.width);
      for (uint32_t f = 0; f < nf; ++f)
        std::memcpy(px.data() + size_t(f) * nr * geom.width, group_[f].pixels.data() + size_t(r0) * geom.width,
                    size_t(nr) * geom.width * 2);
      blocks[b] = codec_->encode(BlockView{px.data(), nf, nr, geom.width});
    });
    for (uint32_t b = 0; b < geom.bands(); ++b) sink_.put_block(geom.block_index(g, b), std::move(blocks[b]));
    group_.clear();
  }

  ModelKind kind() const { return kind_; }

 private:
  void start(const ScanGeometry& geom) {
    ScanModel model;
    model.kind = opts_.params.model;
    if (model.kind != ModelKind::lms) {
      if (!opts_.trainer) fail(Errc::unsupported, "model {} needs a trainer (built without LibTorch?)", model_kind_name(model.kind));
      std::vector<const Frame16*> sample;
      for (const auto& f : group_) sample.push_back(&f);
      model = opts_.trainer(sample, opts_.params);
    }
    kind_ = model.kind;
    codec_ = make_block_codec(model);
    sink_.put_model(model);
  }

  const EncodeOptions& opts_;
  ScanSink& sink_;
  std::vector<Frame16> group_;
  std::unique_ptr<BlockCodec> codec_;
  uint32_t next_group_ = 0;
  ModelKind kind_ = ModelKind::lms;
};

}  // namespace

ScanManifest encode_scan_dir(const fs::path& dir, const EncodeOptions& opts, ScanSink& sink) {
  std::vector<std::string> names = list_scan_files(dir, opts.left_out);
  uint64_t total = 0, done = 0;
  for (const auto& n : names) total += uint64_t(fs::file_size(dir / n));

  ScanManifest m;
  m.model = opts.params.model;
  GroupEncoder enc(opts, sink);
  bool have_geom = false;
  std::map<Bytes, uint32_t> layout_ids;
  uint32_t frames = 0;
  for (const auto& name : names) {
    fs::path p = dir / name;
    struct stat st = stat_or_throw(p);
    Bytes data = read_whole_file(p);
    FileEntry f;
    f.path = name;
    f.size = data.size();
    f.mode = st.st_mode & 07777;
    f.mtime_sec = st.st_mtim.tv_sec;
    f.mtime_nsec = st.st_mtim.tv_nsec;
    f.checksum = checksum64(data);
    TiffProbe probe = probe_tiff(data, p.string());
    if (probe.cls == TiffClass::gray16 && !have_geom) {
      m.geom = plan_geometry(probe.frame.width, probe.frame.height, uint32_t(names.size()), opts.params);
      have_geom = true;
    }
    if (probe.cls == TiffClass::gray16 && probe.frame.width == m.geom.width && probe.frame.height == m.geom.height) {
      f.kind = FileKind::frame;
      f.frame_index = frames++;
      Bytes layout = serialize_layout(probe.layout);
      auto [it, added] = layout_ids.emplace(layout, uint32_t(m.layouts.size()));
      if (added) m.layouts.push_back(std::move(layout));
      f.layout_index = it->second;
      enc.add(std::move(probe.frame), m.geom);
    } else {
      f.kind = FileKind::fallback;
      f.blob_index = m.blob_count++;
      sink.put_blob(f.blob_index, fallback_compress(data));
    }
    m.files.push_back(std::move(f));
    done += data.size();
    if (opts.progress) opts.progress(done, total);
  }
  enc.flush(m.geom);
  m.geom.frames = frames;
  if (frames == 0) {
    m.geom = ScanGeometry{0, 0, 0, 1, 1};
    sink.put_model(ScanModel{});  // a scan of fallback files only still has a (trivial) model
  }
  m.model = enc.kind();
  return m;
}

}  // namespace srsfs::codec
