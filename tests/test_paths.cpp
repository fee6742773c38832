#include "tests/test_paths.h"

#include <cstdlib>
#include <string>
#include <system_error>

namespace srsfs::test {

std::filesystem::path source_dir() { return SRSFS_SOURCE_DIR; }
std::filesystem::path fixtures_dir() { return source_dir() / "tests" / "fixtures"; }
std::filesystem::path bin_dir() { return SRSFS_BIN_DIR; }

std::optional<std::filesystem::path> shared_data_dir() {
  std::filesystem::path p;
  if (const char* env = std::getenv("SRSFS_SHARED_DATA")) {
    p = env;
  } else {
    p = source_dir().parent_path() / "shared" / "data";
  }
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return p;
  return std::nullopt;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "srsfs-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace srsfs::test
