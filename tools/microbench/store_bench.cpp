// Store write and read MB/s of 1 MiB blocks against plain files with the same bytes, in the same run and on
// the same filesystem ($TMPDIR). Writes are durable in both: store commits sync, the file gets an fsync.
#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "fs/store.h"

namespace {

using srsfs::Bytes;
using srsfs::fs::FileRecord;
using srsfs::fs::Store;

constexpr size_t kBlock = 1 << 20;
constexpr uint32_t kBlocksPerScan = 64;

struct BenchDir {
  std::filesystem::path path;
  BenchDir() {
    std::string t = (std::filesystem::temp_directory_path() / "srsfs-microbench-XXXXXX").string();
    if (!::mkdtemp(t.data())) std::abort();
    path = t;
  }
  ~BenchDir() { std::filesystem::remove_all(path); }
};

Bytes payload() {
  Bytes b(kBlock);
  uint64_t x = 88172645463325252ull;
  for (auto& c : b) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = uint8_t(x);
  }
  return b;
}

uint64_t write_scan(Store& store, const std::string& path, const Bytes& data) {
  auto w = store.begin_scan(path, 0, {});
  for (uint32_t i = 0; i < kBlocksPerScan; ++i) w.put_block(i, data);
  FileRecord f;
  f.path = path + "/frame.tif";
  return w.commit({f}, uint64_t(kBlocksPerScan) * kBlock).id;
}

void BM_StoreWrite(benchmark::State& state) {
  BenchDir dir;
  auto store = Store::open(dir.path / "store");
  Bytes data = payload();
  int n = 0;
  for (auto _ : state) {
    std::string path = "scan" + std::to_string(n++);
    write_scan(*store, path, data);
    state.PauseTiming();
    store->delete_file(path + "/frame.tif");  // keeps the file from growing without bound
    state.ResumeTiming();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kBlocksPerScan * kBlock);
}
BENCHMARK(BM_StoreWrite)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();

void BM_FileWrite(benchmark::State& state) {
  BenchDir dir;
  Bytes data = payload();
  int n = 0;
  for (auto _ : state) {
    auto p = dir.path / ("scan" + std::to_string(n++));
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    for (uint32_t i = 0; i < kBlocksPerScan; ++i)
      if (::write(fd, data.data(), data.size()) != ssize_t(data.size())) state.SkipWithError("write failed");
    ::fsync(fd);
    ::close(fd);
    state.PauseTiming();
    std::filesystem::remove(p);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kBlocksPerScan * kBlock);
}
BENCHMARK(BM_FileWrite)->Unit(benchmark::kMillisecond)->Iterations(10)->UseRealTime();

// Reads (warm page cache in both): store get_block (copy + checksum check) vs pread of 1 MiB.
void BM_StoreRead(benchmark::State& state) {
  BenchDir dir;
  auto store = Store::open(dir.path / "store");
  uint64_t id = write_scan(*store, "scan", payload());
  uint32_t i = 0;
  for (auto _ : state) {
    Bytes b = store->get_block(id, i++ % kBlocksPerScan);
    benchmark::DoNotOptimize(b.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kBlock);
}
BENCHMARK(BM_StoreRead)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_StoreVisit(benchmark::State& state) {  // zero-copy: checksum only
  BenchDir dir;
  auto store = Store::open(dir.path / "store");
  uint64_t id = write_scan(*store, "scan", payload());
  uint32_t i = 0;
  for (auto _ : state) {
    store->visit_block(id, i++ % kBlocksPerScan, [](srsfs::ByteSpan b) { benchmark::DoNotOptimize(b.data()); });
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kBlock);
}
BENCHMARK(BM_StoreVisit)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_FileRead(benchmark::State& state) {
  BenchDir dir;
  Bytes data = payload();
  auto p = dir.path / "scan";
  {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    for (uint32_t i = 0; i < kBlocksPerScan; ++i)
      if (::write(fd, data.data(), data.size()) != ssize_t(data.size())) std::abort();
    ::fsync(fd);
    ::close(fd);
  }
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  Bytes b(kBlock);
  uint32_t i = 0;
  for (auto _ : state) {
    if (::pread(fd, b.data(), kBlock, off_t(i++ % kBlocksPerScan) * off_t(kBlock)) != ssize_t(kBlock))
      state.SkipWithError("pread failed");
    benchmark::DoNotOptimize(b.data());
  }
  ::close(fd);
  state.SetBytesProcessed(int64_t(state.iterations()) * kBlock);
}
BENCHMARK(BM_FileRead)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
