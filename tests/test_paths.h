// Where tests find fixtures, the shared real-data corpus and the built executables.
#pragma once
#include <filesystem>
#include <optional>

namespace srsfs::test {

std::filesystem::path source_dir();   // repository root
std::filesystem::path fixtures_dir(); // tests/fixtures
std::filesystem::path bin_dir();      // build/bin
// ../shared/data beside the repository, or $SRSFS_SHARED_DATA; nullopt when absent (tests then skip).
std::optional<std::filesystem::path> shared_data_dir();
// A fresh empty directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

}  // namespace srsfs::test
