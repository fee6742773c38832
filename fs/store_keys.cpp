#include "fs/store_keys.h"

#include "codec/error.h"

namespace srsfs::fs::keys {

std::string normalize_path(std::string_view path, const char* what, bool allow_root) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) {
    if (allow_root) return {};
    fail(Errc::invalid_argument, "{}: empty path", what);
  }
  if (path.front() == '/') fail(Errc::invalid_argument, "{} '{}': must be relative to the mount source", what, path);
  if (path.find('\0') != std::string_view::npos) fail(Errc::invalid_argument, "{}: path contains a NUL byte", what);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..")
      fail(Errc::invalid_argument, "{} '{}': empty, '.' or '..' component", what, path);
    start = end + 1;
  }
  return std::string(path);
}

std::string file_key(std::string_view p) {
  size_t slash = p.rfind('/');
  std::string k;
  if (slash == std::string_view::npos) {
    k.push_back('\0');
    k.append(p);
  } else {
    k.append(p.substr(0, slash));
    k.push_back('\0');
    k.append(p.substr(slash + 1));
  }
  return k;
}

std::string path_of_file_key(std::string_view key) {
  size_t nul = key.find('\0');
  if (nul == std::string_view::npos) fail(Errc::corrupt, "file key without a directory separator");
  if (nul == 0) return std::string(key.substr(1));
  std::string p(key.substr(0, nul));
  p.push_back('/');
  p.append(key.substr(nul + 1));
  return p;
}

std::string dir_prefix(std::string_view dir) {
  std::string k(dir);
  k.push_back('\0');
  return k;
}

}  // namespace srsfs::fs::keys
