// The user extended attributes of a raw file, captured when it is compressed so that the compressed file
// serves them (read-only) from its FileRecord. Only the "user." namespace is kept: security.*, trusted.* and
// system.* (ACLs) belong to the underlying filesystem and are not carried into the store.
#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace srsfs::fs {

// name -> value, sorted by name, names unique.
using UserXattrs = std::vector<std::pair<std::string, std::string>>;

// Bound on one file's kept attributes: the sum over them of name length + 1 + value length. 64 KiB is the
// kernel's limit on one listxattr reply (XATTR_LIST_MAX), so a compressed file's list always fits one reply,
// and it keeps file records small.
inline constexpr size_t kMaxUserXattrBytes = 64 * 1024;

// The bytes `xattrs` counts against kMaxUserXattrBytes.
size_t user_xattr_bytes(const UserXattrs& xattrs) noexcept;

// True for a name the store keeps: "user.<something>", except the daemon's own user.srsfs.* names.
bool is_kept_user_xattr(std::string_view name) noexcept;

// The kept user attributes of `p`, sorted by name. Never follows a symlink (llistxattr/lgetxattr). A
// filesystem without xattr support gives none; a name removed between listing and reading is skipped.
// Throws Errc::io naming the file when the system refuses, and Errc::invalid_argument when the attributes
// exceed kMaxUserXattrBytes.
UserXattrs read_user_xattrs(const std::filesystem::path& p);
// The same for an open file (through /proc/self/fd, so any descriptor will do); `shown` names it in errors.
UserXattrs read_user_xattrs(int fd, const std::filesystem::path& shown);

}  // namespace srsfs::fs
