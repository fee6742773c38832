// Names of NAME_MAX bytes and paths at and beyond PATH_MAX, through the mount: every operation gives the
// result it gives on SOURCE's own filesystem, never a wrong path or a dead daemon. SOURCE's absolute paths
// are made longer than the mount's, so an object the user reaches with a path shorter than PATH_MAX has a
// SOURCE path that /proc cannot show.
#include <dirent.h>
#include <limits.h>

#include <set>

#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

class DeepPathTest : public FuseTest {
 protected:
  MountSpec spec() override {
    MountSpec s;
    s.source_name = "source" + std::string(200, 's');
    return s;
  }
};

std::string long_name(char c, size_t n = NAME_MAX) { return std::string(n, c); }

std::set<std::string> names_at(int dirfd) {
  std::set<std::string> out;
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    ADD_FAILURE() << "open a directory: " << std::strerror(errno);
    return out;
  }
  DIR* d = ::fdopendir(fd);
  while (dirent* de = ::readdir(d))
    if (std::strcmp(de->d_name, ".") != 0 && std::strcmp(de->d_name, "..") != 0 && std::strcmp(de->d_name, kDefaultStoreName) != 0)
      out.insert(de->d_name);  // (the store in SOURCE's root is hidden from the mount)
  ::closedir(d);
  return out;
}

std::string read_at(int dirfd, const std::string& name) {
  int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "(open: " + std::string(std::strerror(errno)) + ")";
  std::string out(1 << 16, '\0');
  ssize_t n = ::read(fd, out.data(), out.size());
  ::close(fd);
  out.resize(n < 0 ? 0 : size_t(n));
  return out;
}

// Descends, through the mount, directories of NAME_MAX-byte names until the path is far beyond PATH_MAX;
// at every level creates, writes, renames, lists, links and removes, and checks the results in SOURCE.
TEST_F(DeepPathTest, EveryLevelWorksBeyondPathMax) {
  auto& f = *mfs;
  std::vector<int> mfds{::open(f.mnt.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  std::vector<int> sfds{::open(f.source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  ASSERT_GE(mfds[0], 0);
  ASSERT_GE(sfds[0], 0);
  std::string rel;  // the current level, relative to SOURCE
  const std::string file = long_name('f'), moved = long_name('g'), link = long_name('l'), sub = long_name('t');
  for (int depth = 0; f.mnt.string().size() + rel.size() < PATH_MAX + 2 * NAME_MAX; ++depth) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    int m = mfds.back(), s = sfds.back();
    int fd = ::openat(m, file.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
    ASSERT_GE(fd, 0) << "create: " << std::strerror(errno);
    ASSERT_EQ(::write(fd, "deep", 4), 4);
    ASSERT_EQ(::close(fd), 0);
    EXPECT_EQ(read_at(s, file), "deep");
    EXPECT_EQ(errno_of([&] { return ::mkdirat(m, file.c_str(), 0755); }), EEXIST);
    ASSERT_EQ(::renameat(m, file.c_str(), m, moved.c_str()), 0) << std::strerror(errno);
    EXPECT_EQ(read_at(m, moved), "deep");
    ASSERT_EQ(::symlinkat(moved.c_str(), m, link.c_str()), 0) << std::strerror(errno);
    char target[NAME_MAX + 1];
    EXPECT_EQ(::readlinkat(m, link.c_str(), target, sizeof target), ssize_t(moved.size()));
    EXPECT_EQ(read_at(m, link), "deep");  // followed in the kernel, through the mount
    ASSERT_EQ(::mkdirat(m, sub.c_str(), 0755), 0) << std::strerror(errno);
    std::set<std::string> here{moved, link, sub};
    EXPECT_EQ(names_at(s), here);
    if (depth > 0) here.insert("frame.tif");  // the compressed file added one level up
    EXPECT_EQ(names_at(m), here);
    struct stat ms {}, ss {};
    ASSERT_EQ(::fstatat(m, moved.c_str(), &ms, AT_SYMLINK_NOFOLLOW), 0);
    ASSERT_EQ(::fstatat(s, moved.c_str(), &ss, AT_SYMLINK_NOFOLLOW), 0);
    EXPECT_EQ(ms.st_ino, ss.st_ino);
    EXPECT_EQ(ms.st_size, 4);
    EXPECT_EQ(errno_of([&] { return ::fstatat(m, "missing", &ms, 0); }), ENOENT);
    ASSERT_EQ(::unlinkat(m, link.c_str(), 0), 0) << std::strerror(errno);
    ASSERT_EQ(::unlinkat(m, moved.c_str(), 0), 0) << std::strerror(errno);
    ASSERT_EQ(::unlinkat(m, sub.c_str(), AT_REMOVEDIR), 0) << std::strerror(errno);
    EXPECT_EQ(names_at(s), std::set<std::string>{});
    if (depth > 0) {
      EXPECT_EQ(names_at(m), std::set<std::string>{"frame.tif"});
    }

    // The next level: a compressed file in it is found under its full SOURCE-relative path.
    std::string next = long_name(char('a' + depth % 26));
    ASSERT_EQ(::mkdirat(m, next.c_str(), 0755), 0) << std::strerror(errno);
    rel = rel.empty() ? next : rel + "/" + next;
    f.view.add(rel + "/frame.tif", {'c', 'o', 'm', 'p'}, 900000 + uint64_t(depth));
    mfds.push_back(::openat(m, next.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    sfds.push_back(::openat(s, next.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_GE(mfds.back(), 0) << std::strerror(errno);
    ASSERT_GE(sfds.back(), 0) << std::strerror(errno);
    EXPECT_EQ(read_at(mfds.back(), "frame.tif"), "comp");
    EXPECT_EQ(names_at(mfds.back()), std::set<std::string>{"frame.tif"});
    // A compressed file's name is taken: creating it again is refused.
    EXPECT_EQ(errno_of([&] { return ::mkdirat(mfds.back(), "frame.tif", 0755); }), EEXIST);
  }
  EXPECT_GT(f.source.string().size() + rel.size(), size_t(PATH_MAX) + NAME_MAX);

  // Back up: removing a directory that holds a compressed file is refused; once it is gone, it goes.
  while (mfds.size() > 1) {
    ::close(mfds.back());
    ::close(sfds.back());
    mfds.pop_back();
    sfds.pop_back();
    std::string name = rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
    EXPECT_EQ(errno_of([&] { return ::unlinkat(mfds.back(), name.c_str(), AT_REMOVEDIR); }), ENOTEMPTY);
    {
      std::lock_guard lock(f.view.mu);
      f.view.files.erase(rel + "/frame.tif");
    }
    ASSERT_EQ(::unlinkat(mfds.back(), name.c_str(), AT_REMOVEDIR), 0) << rel.size() << ": " << std::strerror(errno);
    rel = rel.find('/') == std::string::npos ? "" : rel.substr(0, rel.rfind('/'));
  }
  EXPECT_EQ(names_at(mfds[0]), std::set<std::string>{});
  ::close(mfds[0]);
  ::close(sfds[0]);
}

// A file named by an absolute path of PATH_MAX - 1 bytes through the mount, whose SOURCE path is longer.
TEST_F(DeepPathTest, AbsolutePathOfPathMaxMinusOne) {
  auto& f = *mfs;
  std::string dir = f.mnt.string();
  // Directories until what is left for the file's name (after its '/', before the NUL) fits in NAME_MAX.
  while (PATH_MAX - 2 - dir.size() > NAME_MAX) {
    size_t room = PATH_MAX - 2 - dir.size() - 1 - 40;  // leaves at least 40 bytes for the name
    dir += "/" + long_name('d', std::min<size_t>(NAME_MAX, room));
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir.size() << ": " << std::strerror(errno);
  }
  std::string path = dir + "/" + long_name('p', PATH_MAX - 1 - dir.size() - 1);
  ASSERT_EQ(path.size(), size_t(PATH_MAX - 1));
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(::write(fd, "max", 3), 3);
  ::close(fd);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
  std::string src = f.source.string() + path.substr(f.mnt.string().size());
  EXPECT_GT(src.size(), size_t(PATH_MAX));
  EXPECT_EQ(errno_of([&] { return ::stat((path + "x").c_str(), &st); }), ENAMETOOLONG);  // PATH_MAX: the kernel's
  ASSERT_EQ(::unlink(path.c_str()), 0) << std::strerror(errno);
  EXPECT_EQ(errno_of([&] { return ::stat(path.c_str(), &st); }), ENOENT);
  while (dir.size() > f.mnt.string().size()) {
    ASSERT_EQ(::rmdir(dir.c_str()), 0) << std::strerror(errno);
    dir.resize(dir.rfind('/'));
  }
}

}  // namespace
}  // namespace srsfs::fs::test
