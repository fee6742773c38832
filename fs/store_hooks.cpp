#include "fs/store_hooks.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "fs/compressor.h"
#include "fs/mount_status.h"
#include "fs/store_view.h"

namespace srsfs::fs {
namespace {

StoreOptions store_options(const MountOptions& o) {
  StoreOptions s;
  s.lock_wait = std::chrono::seconds(o.lock_wait_s);  // a daemon still stopping may hold it a moment
  return s;
}

// Owns the store for as long as the view lives (the sink is destroyed first, see MountHooks).
class StoreBackend final : public CompressedView {
 public:
  explicit StoreBackend(const MountOptions& o) : store_(Store::open(o.store, store_options(o))) {
    cache::CacheOptions c;
    c.capacity_bytes = size_t(o.cache_size);
    // Read-ahead decodes the bands after the one a reader waits for: one worker a core (the view's work
    // slots bound the decodes of readers and workers together to one a core).
    c.prefetch_threads = std::max(2u, std::thread::hardware_concurrency());
    view_ = std::make_unique<StoreView>(*store_, c, 0, o.source);
  }
  Store& store() { return *store_; }
  StoreView& view() { return *view_; }
  std::optional<CompressedEntry> lookup(const std::string& d, const std::string& n) override { return view_->lookup(d, n); }
  std::vector<CompressedEntry> list(const std::string& d) override { return view_->list(d); }
  size_t read(const std::string& p, uint64_t off, std::span<uint8_t> out) override { return view_->read(p, off, out); }
  std::shared_ptr<const OpenedFile> open(const std::string& p) override { return view_->open(p); }
  size_t read(const OpenedFile& f, uint64_t off, std::span<uint8_t> out) override { return view_->read(f, off, out); }
  void unlink(const std::string& p) override { view_->unlink(p); }
  void rename(const std::string& a, const std::string& b) override { view_->rename(a, b); }
  void rename_dir(const std::string& a, const std::string& b) override { view_->rename_dir(a, b); }
  std::optional<std::string> getxattr(const std::string& p, const std::string& n) override { return view_->getxattr(p, n); }
  std::vector<std::string> listxattr(const std::string& p) override { return view_->listxattr(p); }
  void set_stop_check(std::function<bool()> check) override { view_->set_stop_check(std::move(check)); }
  void stop_reads() override { view_->stop_reads(); }

 private:
  std::unique_ptr<Store> store_;
  std::unique_ptr<StoreView> view_;
};

// The compressor, plus the status document that needs both it and the view.
class StoreSink final : public ScanSink {
 public:
  StoreSink(StoreBackend& backend, CompressorOptions c, std::filesystem::path source)
      : backend_(backend), source_(std::move(source)), comp_(backend.store(), std::move(c)) {}
  Compressor& compressor() { return comp_; }
  void scan_complete(const std::string& d) override { comp_.scan_complete(d); }
  std::string scan_state(const std::string& d) override { return comp_.scan_state(d); }
  std::string status_json(const std::vector<std::string>& writing) override {
    return mount_status_json(backend_.view(), comp_.status(), writing, source_, kStatusMaxBytes);
  }

 private:
  StoreBackend& backend_;
  std::filesystem::path source_;
  Compressor comp_;
};

}  // namespace

MountHooks store_mount_hooks() {
  MountHooks h;
  h.make_view = [](const MountOptions& o) -> std::unique_ptr<CompressedView> { return std::make_unique<StoreBackend>(o); };
  h.make_sink = [](const MountOptions& o, CompressedView& view, KernelCache& kernel,
                   WriteGate& gate) -> std::unique_ptr<ScanSink> {
    auto& backend = dynamic_cast<StoreBackend&>(view);
    CompressorOptions c;
    c.source = o.source;
    c.spool = o.store / "spool";
    c.queue_dir = o.store / "queue";
    c.store_dir = o.store;
    c.complete_marker = o.complete_marker;
    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    c.workers = o.workers ? o.workers : 1;
    c.params.threads = std::max(1u, cores / 2);
    c.gate = &gate;
    c.released = [&kernel](const std::string& dir, const std::string& name) { kernel.name_changed(dir, name); };
    auto sink = std::make_unique<StoreSink>(backend, c, o.source);
    sink->compressor().resume();
    return sink;
  };
  return h;
}

}  // namespace srsfs::fs
