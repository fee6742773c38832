#include "fs/store_hooks.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "fs/compressor.h"
#include "fs/store_view.h"

namespace srsfs::fs {
namespace {

// Owns the store for as long as the view lives (the sink is destroyed first, see MountHooks).
class StoreBackend final : public CompressedView {
 public:
  explicit StoreBackend(const MountOptions& o) : store_(Store::open(o.store)) {
    cache::CacheOptions c;
    c.capacity_bytes = size_t(o.cache_size);
    view_ = std::make_unique<StoreView>(*store_, c);
  }
  Store& store() { return *store_; }
  std::optional<CompressedEntry> lookup(const std::string& d, const std::string& n) override { return view_->lookup(d, n); }
  std::vector<CompressedEntry> list(const std::string& d) override { return view_->list(d); }
  size_t read(const std::string& p, uint64_t off, std::span<uint8_t> out) override { return view_->read(p, off, out); }
  void unlink(const std::string& p) override { view_->unlink(p); }
  void rename(const std::string& a, const std::string& b) override { view_->rename(a, b); }
  void rename_dir(const std::string& a, const std::string& b) override { view_->rename_dir(a, b); }
  std::optional<std::string> getxattr(const std::string& p, const std::string& n) override { return view_->getxattr(p, n); }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreView> view_;
};

}  // namespace

MountHooks store_mount_hooks() {
  MountHooks h;
  h.make_view = [](const MountOptions& o) -> std::unique_ptr<CompressedView> { return std::make_unique<StoreBackend>(o); };
  h.make_sink = [](const MountOptions& o, CompressedView& view) -> std::unique_ptr<ScanSink> {
    auto& backend = dynamic_cast<StoreBackend&>(view);
    CompressorOptions c;
    c.source = o.source;
    c.spool = o.store / "spool";
    c.complete_marker = o.complete_marker;
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    c.workers = o.workers ? o.workers : 1;
    c.params.threads = std::max(1u, cores / 2);
    auto comp = std::make_unique<Compressor>(backend.store(), c);
    comp->resume();
    return comp;
  };
  return h;
}

}  // namespace srsfs::fs
