// The mount mirrors SOURCE: attributes are SOURCE's, and every change made through it lands in SOURCE.
#include <dirent.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include <ctime>
#include <set>

#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

using PassthroughTest = FuseTest;

std::set<std::string> names_in(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

void expect_same_attrs(const stdfs::path& a, const stdfs::path& b) {
  struct stat x {}, y {};
  ASSERT_EQ(::lstat(a.c_str(), &x), 0) << a;
  ASSERT_EQ(::lstat(b.c_str(), &y), 0) << b;
  EXPECT_EQ(x.st_ino, y.st_ino) << b;
  EXPECT_EQ(x.st_mode, y.st_mode) << b;
  EXPECT_EQ(x.st_size, y.st_size) << b;
  EXPECT_EQ(x.st_uid, y.st_uid) << b;
  EXPECT_EQ(x.st_gid, y.st_gid) << b;
  EXPECT_EQ(x.st_nlink, y.st_nlink) << b;
  EXPECT_EQ(x.st_mtim.tv_sec, y.st_mtim.tv_sec) << b;
  EXPECT_EQ(x.st_mtim.tv_nsec, y.st_mtim.tv_nsec) << b;
}

TEST_F(PassthroughTest, TreeIsMirroredWithSourceInodes) {
  auto& f = *mfs;
  stdfs::create_directories(f.s("scan_a/sub"));
  write_file(f.s("scan_a/frame_0.tif"), std::string(10000, 'x'));
  write_file(f.s("scan_a/sub/notes.txt"), "notes");
  write_file(f.s("top.txt"), "top");
  ::chmod(f.s("scan_a/frame_0.tif").c_str(), 0640);
  ::chmod(f.s("top.txt").c_str(), 0755);
  stdfs::create_symlink("frame_0.tif", f.s("scan_a/link"));
  struct timespec t[2] = {{1500000000, 5}, {1500000001, 987654321}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.s("scan_a/frame_0.tif").c_str(), t, 0), 0);

  for (const char* rel : {"scan_a", "scan_a/sub", "scan_a/frame_0.tif", "scan_a/sub/notes.txt", "top.txt",
                          "scan_a/link"})
    expect_same_attrs(f.s(rel), f.m(rel));
  expect_same_attrs(f.source, f.mnt);
  EXPECT_EQ(names_in(f.m("scan_a")), (std::set<std::string>{"frame_0.tif", "sub", "link"}));
  EXPECT_EQ(stdfs::read_symlink(f.m("scan_a/link")), "frame_0.tif");
  EXPECT_EQ(read_file(f.m("scan_a/link")), std::string(10000, 'x'));
  EXPECT_EQ(read_file(f.m("scan_a/sub/notes.txt")), "notes");

  // readdir's d_ino is SOURCE's too.
  DIR* d = ::opendir(f.m("scan_a").c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    struct stat st {};
    ::lstat(f.s("scan_a/" + n).c_str(), &st);
    EXPECT_EQ(de->d_ino, st.st_ino) << n;
  }
  ::closedir(d);
}

TEST_F(PassthroughTest, CreateWriteReadLandInSource) {
  auto& f = *mfs;
  stdfs::create_directory(f.m("scan"));
  EXPECT_TRUE(stdfs::is_directory(f.s("scan")));
  auto data = pattern_bytes(3 << 20, 7);
  int fd = ::open(f.m("scan/frame.tif").c_str(), O_CREAT | O_WRONLY | O_EXCL, 0640);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_EQ(::write(fd, data.data(), data.size()), ssize_t(data.size()));
  ASSERT_EQ(::fsync(fd), 0);
  ASSERT_EQ(::close(fd), 0);
  std::string want(data.begin(), data.end());
  EXPECT_EQ(read_file(f.s("scan/frame.tif")), want);
  EXPECT_EQ(read_file(f.m("scan/frame.tif")), want);
  struct stat st {};
  ASSERT_EQ(::stat(f.s("scan/frame.tif").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_size, off_t(data.size()));

  // pwrite in the middle, append at the end.
  fd = ::open(f.m("scan/frame.tif").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "ABCD", 4, 1000), 4);
  char buf[4];
  ASSERT_EQ(::pread(fd, buf, 4, 1000), 4);
  EXPECT_EQ(std::string(buf, 4), "ABCD");
  ::close(fd);
  fd = ::open(f.m("scan/frame.tif").c_str(), O_WRONLY | O_APPEND);
  ASSERT_EQ(::write(fd, "tail", 4), 4);
  ::close(fd);
  auto src = read_file(f.s("scan/frame.tif"));
  EXPECT_EQ(src.substr(1000, 4), "ABCD");
  EXPECT_EQ(src.substr(src.size() - 4), "tail");
}

TEST_F(PassthroughTest, RenameUnlinkMkdirRmdir) {
  auto& f = *mfs;
  ASSERT_EQ(::mkdir(f.m("d1").c_str(), 0750), 0);
  struct stat st {};
  ASSERT_EQ(::stat(f.s("d1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u & ~0022u);
  write_file(f.m("d1/a"), "A");
  ASSERT_EQ(::rename(f.m("d1/a").c_str(), f.m("d1/b").c_str()), 0);
  EXPECT_FALSE(stdfs::exists(f.s("d1/a")));
  EXPECT_EQ(read_file(f.s("d1/b")), "A");
  ASSERT_EQ(::mkdir(f.m("d2").c_str(), 0755), 0);
  ASSERT_EQ(::rename(f.m("d1/b").c_str(), f.m("d2/c").c_str()), 0);
  EXPECT_EQ(read_file(f.s("d2/c")), "A");
  ASSERT_EQ(::rename(f.m("d2").c_str(), f.m("d3").c_str()), 0);
  EXPECT_EQ(read_file(f.m("d3/c")), "A");
  EXPECT_EQ(errno_of([&] { return ::rmdir(f.m("d3").c_str()); }), ENOTEMPTY);
  ASSERT_EQ(::unlink(f.m("d3/c").c_str()), 0);
  EXPECT_FALSE(stdfs::exists(f.s("d3/c")));
  EXPECT_EQ(errno_of([&] { return ::unlink(f.m("d3/c").c_str()); }), ENOENT);
  ASSERT_EQ(::rmdir(f.m("d3").c_str()), 0);
  ASSERT_EQ(::rmdir(f.m("d1").c_str()), 0);
  EXPECT_FALSE(stdfs::exists(f.s("d3")));
  EXPECT_FALSE(stdfs::exists(f.s("d1")));
}

TEST_F(PassthroughTest, RenameFlags) {
  auto& f = *mfs;
  write_file(f.m("x"), "X");
  write_file(f.m("y"), "Y");
  EXPECT_EQ(errno_of([&] { return ::renameat2(AT_FDCWD, f.m("x").c_str(), AT_FDCWD, f.m("y").c_str(), RENAME_NOREPLACE); }),
            EEXIST);
  ASSERT_EQ(::renameat2(AT_FDCWD, f.m("x").c_str(), AT_FDCWD, f.m("y").c_str(), RENAME_EXCHANGE), 0);
  EXPECT_EQ(read_file(f.s("x")), "Y");
  EXPECT_EQ(read_file(f.s("y")), "X");
  ASSERT_EQ(::renameat2(AT_FDCWD, f.m("x").c_str(), AT_FDCWD, f.m("z").c_str(), RENAME_NOREPLACE), 0);
  EXPECT_EQ(read_file(f.s("z")), "Y");
}

TEST_F(PassthroughTest, TruncateChmodChownUtimens) {
  auto& f = *mfs;
  write_file(f.m("t"), std::string(5000, 'q'));
  ASSERT_EQ(::truncate(f.m("t").c_str(), 100), 0);
  EXPECT_EQ(stdfs::file_size(f.s("t")), 100u);
  int fd = ::open(f.m("t").c_str(), O_RDWR);
  ASSERT_EQ(::ftruncate(fd, 7), 0);
  ::close(fd);
  EXPECT_EQ(stdfs::file_size(f.s("t")), 7u);
  ASSERT_EQ(::chmod(f.m("t").c_str(), 0604), 0);
  struct stat st {};
  ::stat(f.s("t").c_str(), &st);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  ASSERT_EQ(::chown(f.m("t").c_str(), 4321, 8765), 0);
  ::stat(f.s("t").c_str(), &st);
  EXPECT_EQ(st.st_uid, 4321u);
  EXPECT_EQ(st.st_gid, 8765u);
  struct timespec t[2] = {{1400000000, 111}, {1400000005, 222}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.m("t").c_str(), t, 0), 0);
  ::stat(f.s("t").c_str(), &st);
  EXPECT_EQ(st.st_atim.tv_sec, 1400000000);
  EXPECT_EQ(st.st_mtim.tv_sec, 1400000005);
  EXPECT_EQ(st.st_mtim.tv_nsec, 222);
  ASSERT_EQ(::utimensat(AT_FDCWD, f.m("t").c_str(), nullptr, 0), 0);  // "now"
  ::stat(f.s("t").c_str(), &st);
  EXPECT_GT(st.st_mtim.tv_sec, 1600000000);
}

TEST_F(PassthroughTest, SymlinkHardlinkMknod) {
  auto& f = *mfs;
  write_file(f.m("target"), "T");
  ASSERT_EQ(::symlink("target", f.m("sl").c_str()), 0);
  EXPECT_EQ(stdfs::read_symlink(f.s("sl")), "target");
  EXPECT_EQ(read_file(f.m("sl")), "T");
  ASSERT_EQ(::link(f.m("target").c_str(), f.m("hl").c_str()), 0);
  struct stat a {}, b {};
  ::stat(f.m("target").c_str(), &a);
  ::stat(f.m("hl").c_str(), &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(b.st_nlink, 2u);
  ASSERT_EQ(::mkfifo(f.m("fifo").c_str(), 0600), 0);
  ::lstat(f.s("fifo").c_str(), &a);
  EXPECT_TRUE(S_ISFIFO(a.st_mode));
}

TEST_F(PassthroughTest, XattrsPassThrough) {
  auto& f = *mfs;
  write_file(f.m("x"), "x");
  if (::setxattr(f.s("x").c_str(), "user.probe", "1", 1, 0) != 0) GTEST_SKIP() << "SOURCE has no user xattrs";
  ASSERT_EQ(::setxattr(f.m("x").c_str(), "user.color", "blue", 4, 0), 0) << std::strerror(errno);
  char buf[64];
  ASSERT_EQ(::getxattr(f.s("x").c_str(), "user.color", buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf, 4), "blue");
  EXPECT_EQ(::getxattr(f.m("x").c_str(), "user.color", nullptr, 0), 4);
  EXPECT_EQ(errno_of([&] { return ::getxattr(f.m("x").c_str(), "user.color", buf, 2); }), ERANGE);
  ssize_t n = ::listxattr(f.m("x").c_str(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, size_t(n)).find("user.color"), std::string::npos);
  ASSERT_EQ(::removexattr(f.m("x").c_str(), "user.color"), 0);
  EXPECT_EQ(errno_of([&] { return ::getxattr(f.s("x").c_str(), "user.color", buf, sizeof buf); }), ENODATA);
  // The user.srsfs. namespace is the daemon's: not stored in SOURCE.
  EXPECT_EQ(errno_of([&] { return ::setxattr(f.m("x").c_str(), "user.srsfs.other", "1", 1, 0); }), ENOTSUP);
}

TEST_F(PassthroughTest, StatfsIsSources) {
  auto& f = *mfs;
  struct statvfs a {}, b {};
  ASSERT_EQ(::statvfs(f.source.c_str(), &a), 0);
  ASSERT_EQ(::statvfs(f.mnt.c_str(), &b), 0);
  EXPECT_EQ(a.f_blocks, b.f_blocks);
  EXPECT_EQ(a.f_bsize, b.f_bsize);
}

TEST_F(PassthroughTest, ChangesInSourceAreSeen) {
  auto& f = *mfs;
  write_file(f.s("late.txt"), "late");
  EXPECT_EQ(read_file(f.m("late.txt")), "late");
  stdfs::remove(f.s("late.txt"));
  EXPECT_FALSE(stdfs::exists(f.m("late.txt")));
}

// --- utimensat through a symbolic link, as root and as other users, against the same calls on SOURCE's
// own filesystem (POSIX: without AT_SYMLINK_NOFOLLOW the target's times change, with it the link's; explicit
// times need the owner, "now" for both needs write access).

class MultiUserTest : public FuseTest {
 protected:
  MountSpec spec() override {
    MountSpec s;
    s.options = "allow_other,default_permissions";
    return s;
  }
  void SetUp() override {
    FuseTest::SetUp();
    if (IsSkipped()) return;
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as other users";
    // Other users must be able to reach SOURCE, the mountpoint and the plain directory.
    ::chmod(mfs->tmp.path().c_str(), 0755);
    ::chmod(mfs->source.c_str(), 0777);
    plain = mfs->tmp / "plain";
    stdfs::create_directories(plain);
    ::chmod(plain.c_str(), 0777);
  }
  stdfs::path plain;
};

constexpr uid_t kOther = 4242;
constexpr timespec kOld = {500000000, 0};

std::string describe_time(const timespec& t, time_t start) {
  if (t.tv_sec >= start - 5) return "now";
  return fmt::format("{}.{:09}", t.tv_sec, t.tv_nsec);
}

// Runs every case with the call made on access/ and the files prepared and observed in backing/ (the same
// directory for the plain run; SOURCE and the mount for the FUSE run). One line per case.
std::vector<std::string> utimensat_cases(const stdfs::path& backing, const stdfs::path& access) {
  struct Who {
    const char* name;
    uid_t caller, owner;
    mode_t mode;
  };
  const Who whos[] = {{"root", 0, 0, 0644}, {"owner", kOther, kOther, 0644}, {"writer", kOther, 0, 0666},
                      {"reader", kOther, 0, 0644}};
  struct Times {
    const char* name;
    bool null;  // utimensat(..., NULL, ...)
    timespec t[2];
  };
  const Times times[] = {{"explicit", false, {{1000000000, 111}, {1000000001, 222}}},
                         {"now", false, {{0, UTIME_NOW}, {0, UTIME_NOW}}},
                         {"null", true, {{0, 0}, {0, 0}}},
                         {"now+omit", false, {{0, UTIME_NOW}, {0, UTIME_OMIT}}},
                         {"omit+explicit", false, {{0, UTIME_OMIT}, {1000000003, 333}}}};
  const time_t start = ::time(nullptr);
  std::vector<std::string> out;
  for (int flags : {0, AT_SYMLINK_NOFOLLOW}) {
    for (const auto& who : whos) {
      for (const auto& tm : times) {
        auto f = backing / "f", l = backing / "l";
        ::unlink(f.c_str());
        ::unlink(l.c_str());
        write_file(f, "data");
        EXPECT_EQ(::chmod(f.c_str(), who.mode), 0);
        EXPECT_EQ(::symlink("f", l.c_str()), 0);
        EXPECT_EQ(::lchown(f.c_str(), who.owner, who.owner), 0);
        EXPECT_EQ(::lchown(l.c_str(), who.owner, who.owner), 0);
        const timespec old[2] = {kOld, kOld};
        EXPECT_EQ(::utimensat(AT_FDCWD, f.c_str(), old, AT_SYMLINK_NOFOLLOW), 0);
        EXPECT_EQ(::utimensat(AT_FDCWD, l.c_str(), old, AT_SYMLINK_NOFOLLOW), 0);

        std::string path = (access / "l").string();
        const timespec* tp = tm.null ? nullptr : tm.t;
        int rc = as_user(who.caller, [&] { return ::utimensat(AT_FDCWD, path.c_str(), tp, flags) == 0 ? 0 : errno; });
        struct stat fs {}, ls {};
        EXPECT_EQ(::lstat(f.c_str(), &fs), 0);
        EXPECT_EQ(::lstat(l.c_str(), &ls), 0);
        out.push_back(fmt::format("{} {} {}: {} | target {} {} | link {} {}", flags ? "nofollow" : "follow", who.name,
                                  tm.name, rc < 0 ? "child failed" : rc == 0 ? "ok" : std::strerror(rc),
                                  describe_time(fs.st_atim, start), describe_time(fs.st_mtim, start),
                                  describe_time(ls.st_atim, start), describe_time(ls.st_mtim, start)));
      }
    }
  }
  return out;
}

TEST_F(MultiUserTest, UtimensatThroughSymlinkMatchesPlainFilesystem) {
  auto want = utimensat_cases(plain, plain);
  auto got = utimensat_cases(mfs->source, mfs->mnt);
  ASSERT_EQ(got.size(), want.size());
  // The reference itself must show POSIX's rules, or the comparison proves nothing.
  // (The link's atime is left out: following it may update it, as relatime decides.)
  EXPECT_TRUE(want[0].starts_with("follow root explicit: ok | target 1000000000.000000111 1000000001.000000222 | link "))
      << want[0];
  EXPECT_TRUE(want[0].ends_with(" 500000000.000000000")) << want[0];
  EXPECT_TRUE(want[20].starts_with("nofollow root explicit: ok | target 500000000.000000000 500000000.000000000 | "
                                   "link 1000000000.000000111 1000000001.000000222"))
      << want[20];
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i], want[i]);
}

}  // namespace
}  // namespace srsfs::fs::test
