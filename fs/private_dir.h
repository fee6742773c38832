// Directories and files that only the daemon's user may touch. The daemon runs as root with umask(0) (FUSE
// create modes already carry the caller's umask), so nothing here relies on the umask: every mode is set
// explicitly and then fchmod'ed. Every file is reached relative to a directory descriptor with O_NOFOLLOW,
// and checked for its owner, so a path that another user plants (a symlink to /etc/shadow, a FIFO, a
// hard link, a persisted-queue entry of theirs) is refused instead of followed.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "codec/bytes.h"
#include "codec/file_io.h"

namespace srsfs::fs {

// A directory only the daemon's user may write, held open by descriptor; every file in it is made relative
// to that descriptor with O_NOFOLLOW, so a path planted by someone else is never followed.
//
// A directory of ours that is wider than 0700 (e.g. a 0777 spool/ of an older version) is narrowed to 0700
// with a warning rather than refused: from then on no one else can add to it, and whatever they added before
// is refused by open_file (not ours, not a regular file, or hard-linked) and never followed by remove.
class PrivateDir {
 public:
  // Opens `path` (O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC), creating it with mode 0700 if absent. Refuses with
  // Errc::invalid_argument (srsfs has no Errc::permission) when it is a symlink, not a directory or not
  // owned by geteuid(); narrows anything wider than 0700 to 0700 with fchmod.
  static PrivateDir open(const std::filesystem::path& path);
  // The same for a subdirectory, relative to this one (mkdirat/openat, never by path).
  PrivateDir subdir(const std::string& name) const;
  int fd() const { return fd_.get(); }
  const std::filesystem::path& path() const { return path_; }  // for messages
  // O_CREAT|O_EXCL|O_NOFOLLOW|O_RDWR|O_CLOEXEC, mode 0600 (fchmod'ed). Errc::io naming the file on failure
  // (Errc::no_space for a full disk).
  UniqueFd create_file(const std::string& name) const;
  // Opens an existing regular file of ours read-only (O_NOFOLLOW, and O_NONBLOCK while opening so a planted
  // FIFO cannot hang us); nullopt if absent; throws Errc::invalid_argument if it is a symlink, not a regular
  // file, not owned by geteuid() or has other hard links.
  std::optional<UniqueFd> open_file(const std::string& name) const;
  // Temp file created O_EXCL in this dir, written, fsynced when durable, renameat over `name` (+ dir fsync
  // when durable). A symlink planted at `name` is replaced, never followed.
  void write_file_atomic(const std::string& name, ByteSpan data, bool durable) const;
  // Whole contents of open_file(name), or nullopt if absent.
  std::optional<Bytes> read_file(const std::string& name) const;
  std::vector<std::string> list() const;       // names, without . and ..
  void remove(const std::string& name) const;  // unlinkat; absent is fine; other errors throw
  void fsync() const;

 private:
  PrivateDir(UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  // mkdirat (0700) unless it exists, then open and check: the common part of open() and subdir().
  static PrivateDir open_at(int parent_fd, const std::string& name, std::filesystem::path path);
  std::filesystem::path child(const std::string& name) const { return path_ / name; }
  UniqueFd fd_;
  std::filesystem::path path_;
};

// sshd-style check of a store directory: Errc error with a message naming the path and the fix
// ("chmod 700 DIR" / "chown root DIR") if DIR is not owned by geteuid() or is group/other-writable, or if any
// parent up to / is writable by others without the sticky bit or owned by someone other than root/euid.
// A symlinked DIR is followed (its target is checked, and so are the parents of the link itself).
// Errc::invalid_argument for an unsafe directory, Errc::not_found / Errc::io when it cannot be examined.
void check_store_dir_safe(const std::filesystem::path& dir);

}  // namespace srsfs::fs
