#include "fs/file_xattrs.h"

#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include "codec/error.h"
#include "fs/compressed_view.h"

namespace srsfs::fs {
namespace {

// The attributes may grow between the size query and the read (ERANGE): a few retries, then give up.
constexpr int kSizeRetries = 8;

[[noreturn]] void refused(const std::filesystem::path& p, const char* op, std::string_view name, int err) {
  fail(Errc::io, "{}: {}{}{} failed: {}", p.string(), op, name.empty() ? "" : " ", name, std::strerror(err));
}

// The NUL-separated names of p's attributes; empty when the filesystem does not support xattrs.
// follow: the path is /proc/self/fd/N of an open file, whose magic link must be followed to reach it.
ssize_t list_call(const std::filesystem::path& p, bool follow, char* buf, size_t size) {
  return follow ? ::listxattr(p.c_str(), buf, size) : ::llistxattr(p.c_str(), buf, size);
}
ssize_t get_call(const std::filesystem::path& p, bool follow, const char* name, void* buf, size_t size) {
  return follow ? ::getxattr(p.c_str(), name, buf, size) : ::lgetxattr(p.c_str(), name, buf, size);
}

std::string list_names(const std::filesystem::path& p, bool follow) {
  for (int attempt = 0;; ++attempt) {
    const ssize_t n = list_call(p, follow, nullptr, 0);
    if (n < 0 && errno == ENOTSUP) return {};
    if (n < 0) refused(p, "llistxattr", "", errno);
    if (n == 0) return {};
    std::string buf(size_t(n), '\0');
    const ssize_t m = list_call(p, follow, buf.data(), buf.size());
    if (m >= 0) {
      buf.resize(size_t(m));
      return buf;
    }
    if (errno != ERANGE || attempt == kSizeRetries) refused(p, "llistxattr", "", errno);
  }
}

// The value of one attribute, or nullopt when it vanished since it was listed.
std::optional<std::string> value_of(const std::filesystem::path& p, bool follow, const std::string& name) {
  for (int attempt = 0;; ++attempt) {
    const ssize_t n = get_call(p, follow, name.c_str(), nullptr, 0);
    if (n < 0 && (errno == ENODATA || errno == ENOTSUP)) return std::nullopt;
    if (n < 0) refused(p, "lgetxattr", name, errno);
    std::string buf(size_t(n), '\0');
    const ssize_t m = n == 0 ? 0 : get_call(p, follow, name.c_str(), buf.data(), buf.size());
    if (m >= 0) {
      buf.resize(size_t(m));
      return buf;
    }
    if (errno == ENODATA || errno == ENOTSUP) return std::nullopt;
    if (errno != ERANGE || attempt == kSizeRetries) refused(p, "lgetxattr", name, errno);
  }
}

}  // namespace

size_t user_xattr_bytes(const UserXattrs& xattrs) noexcept {
  size_t n = 0;
  for (const auto& [name, value] : xattrs) n += name.size() + 1 + value.size();
  return n;
}

bool is_kept_user_xattr(std::string_view name) noexcept {
  return name.size() > 5 && name.starts_with("user.") && !name.starts_with(kXattrPrefix);
}

namespace {
UserXattrs read_kept(const std::filesystem::path& p, bool follow, const std::filesystem::path& shown) {
  const std::string names = list_names(p, follow);
  UserXattrs out;
  size_t total = 0;
  for (size_t pos = 0; pos < names.size();) {
    const size_t end = std::min(names.find('\0', pos), names.size());
    std::string name = names.substr(pos, end - pos);
    pos = end + 1;
    if (!is_kept_user_xattr(name)) continue;
    std::optional<std::string> value = value_of(p, follow, name);
    if (!value) continue;
    total += name.size() + 1 + value->size();
    if (total > kMaxUserXattrBytes)
      fail(Errc::invalid_argument,
           "{}: its user.* extended attributes take more than the {} bytes srsfs keeps for a compressed file",
           shown.string(), kMaxUserXattrBytes);
    out.emplace_back(std::move(name), std::move(*value));
  }
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

UserXattrs read_user_xattrs(const std::filesystem::path& p) { return read_kept(p, false, p); }

UserXattrs read_user_xattrs(int fd, const std::filesystem::path& shown) {
  return read_kept(fmt::format("/proc/self/fd/{}", fd), true, shown);
}

}  // namespace srsfs::fs
