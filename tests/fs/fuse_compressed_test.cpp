// Compressed files (from a fake CompressedView) appear beside raw ones, read back their bytes, are
// read-only (EROFS), and unlink/rename reach the view.
#include <dirent.h>
#include <stdio.h>
#include <sys/xattr.h>

#include <random>
#include <set>

#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

class CompressedTest : public FuseTest {
 protected:
  void SetUp() override {
    FuseTest::SetUp();
    if (!mfs) return;
    stdfs::create_directories(mfs->s("scan"));  // a compressed scan's directory stays in SOURCE
    write_file(mfs->s("scan/raw.tif"), "raw bytes");
    data = pattern_bytes(300000, 42);
    mfs->view.add("scan/frame_0.tif", data, 777001, S_IFREG | 0640);
    mfs->view.add("scan/frame_1.tif", pattern_bytes(1000, 1), 777002);
  }
  std::vector<uint8_t> data;
};

std::set<std::string> names_in(const stdfs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : stdfs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

TEST_F(CompressedTest, ListedWithTheirOriginalStat) {
  auto& f = *mfs;
  EXPECT_EQ(names_in(f.m("scan")), (std::set<std::string>{"raw.tif", "frame_0.tif", "frame_1.tif"}));
  struct stat st {};
  ASSERT_EQ(::stat(f.m("scan/frame_0.tif").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, 777001u);
  EXPECT_EQ(st.st_size, 300000);
  EXPECT_EQ(st.st_mode, mode_t(S_IFREG | 0640));
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  DIR* d = ::opendir(f.m("scan").c_str());
  ASSERT_NE(d, nullptr);
  while (dirent* de = ::readdir(d)) {
    if (std::string(de->d_name) == "frame_1.tif") {
      EXPECT_EQ(de->d_ino, 777002u);
      EXPECT_EQ(de->d_type, DT_REG);
    }
  }
  ::closedir(d);
  // The directory's own attributes are SOURCE's.
  struct stat a {}, b {};
  ::stat(f.s("scan").c_str(), &a);
  ::stat(f.m("scan").c_str(), &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST_F(CompressedTest, ReadsReturnTheOriginalBytesAtAnyOffset) {
  auto& f = *mfs;
  std::string whole = read_file(f.m("scan/frame_0.tif"));
  ASSERT_EQ(whole.size(), data.size());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), whole.begin(), [](uint8_t a, char b) { return a == uint8_t(b); }));
  int fd = ::open(f.m("scan/frame_0.tif").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::mt19937 rng(5);
  std::vector<uint8_t> buf(70000);
  for (int i = 0; i < 200; ++i) {
    size_t off = rng() % (data.size() + 100);
    size_t len = 1 + rng() % buf.size();
    ssize_t n = ::pread(fd, buf.data(), len, off_t(off));
    size_t want = off >= data.size() ? 0 : std::min(len, data.size() - off);
    ASSERT_EQ(n, ssize_t(want)) << "offset " << off << " length " << len;
    EXPECT_EQ(std::memcmp(buf.data(), data.data() + std::min(off, data.size()), want), 0) << off;
  }
  ::close(fd);
}

TEST_F(CompressedTest, WritesFailWithEROFS) {
  auto& f = *mfs;
  std::string p = f.m("scan/frame_0.tif").string();
  EXPECT_EQ(errno_of([&] { return ::open(p.c_str(), O_WRONLY); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::open(p.c_str(), O_RDWR); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::open(p.c_str(), O_RDONLY | O_TRUNC); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::truncate(p.c_str(), 0); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::chmod(p.c_str(), 0600); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::chown(p.c_str(), 1, 1); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::utimensat(AT_FDCWD, p.c_str(), nullptr, 0); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::setxattr(p.c_str(), "user.x", "1", 1, 0); }), EROFS);
  EXPECT_EQ(errno_of([&] { return ::link(p.c_str(), f.m("scan/hard").c_str()); }), EPERM);
  // Creating a name a compressed file holds.
  EXPECT_EQ(errno_of([&] { return ::open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644); }), EEXIST);
  EXPECT_EQ(std::vector<uint8_t>(data), f.view.files["scan/frame_0.tif"].data);  // untouched
}

TEST_F(CompressedTest, UnlinkReachesTheView) {
  auto& f = *mfs;
  ASSERT_EQ(::unlink(f.m("scan/frame_1.tif").c_str()), 0) << std::strerror(errno);
  EXPECT_EQ(f.view.unlinked, std::vector<std::string>{"scan/frame_1.tif"});
  EXPECT_FALSE(stdfs::exists(f.m("scan/frame_1.tif")));
  EXPECT_EQ(errno_of([&] { return ::unlink(f.m("scan/frame_1.tif").c_str()); }), ENOENT);
  EXPECT_TRUE(stdfs::exists(f.s("scan/raw.tif")));
}

TEST_F(CompressedTest, RenameReachesTheViewAndOpenFilesFollow) {
  auto& f = *mfs;
  int fd = ::open(f.m("scan/frame_0.tif").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::rename(f.m("scan/frame_0.tif").c_str(), f.m("scan/renamed.tif").c_str()), 0) << std::strerror(errno);
  stdfs::create_directory(f.m("other"));
  ASSERT_EQ(::rename(f.m("scan/renamed.tif").c_str(), f.m("other/moved.tif").c_str()), 0);
  ASSERT_EQ(f.view.renamed.size(), 2u);
  EXPECT_EQ(f.view.renamed[0], std::make_pair(std::string("scan/frame_0.tif"), std::string("scan/renamed.tif")));
  EXPECT_EQ(f.view.renamed[1], std::make_pair(std::string("scan/renamed.tif"), std::string("other/moved.tif")));
  uint8_t buf[16];
  ASSERT_EQ(::pread(fd, buf, 16, 1000), 16);  // the open file follows its new name
  EXPECT_EQ(std::memcmp(buf, data.data() + 1000, 16), 0);
  ::close(fd);
  EXPECT_EQ(stdfs::file_size(f.m("other/moved.tif")), data.size());
  // NOREPLACE onto a compressed name.
  EXPECT_EQ(errno_of([&] {
              return ::renameat2(AT_FDCWD, f.m("scan/raw.tif").c_str(), AT_FDCWD, f.m("scan/frame_1.tif").c_str(),
                                 RENAME_NOREPLACE);
            }),
            EEXIST);
  // A raw file renamed over a compressed one replaces it.
  ASSERT_EQ(::rename(f.m("scan/raw.tif").c_str(), f.m("scan/frame_1.tif").c_str()), 0);
  EXPECT_EQ(read_file(f.m("scan/frame_1.tif")), "raw bytes");
  EXPECT_EQ(f.view.unlinked, std::vector<std::string>{"scan/frame_1.tif"});
}

TEST_F(CompressedTest, DirectoryRenameMovesCompressedFiles) {
  auto& f = *mfs;
  ASSERT_EQ(::rename(f.m("scan").c_str(), f.m("scan_renamed").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(f.view.dirs_renamed.size(), 1u);
  EXPECT_EQ(f.view.dirs_renamed[0], std::make_pair(std::string("scan"), std::string("scan_renamed")));
  EXPECT_EQ(names_in(f.m("scan_renamed")), (std::set<std::string>{"raw.tif", "frame_0.tif", "frame_1.tif"}));
  EXPECT_EQ(stdfs::file_size(f.m("scan_renamed/frame_0.tif")), data.size());
}

TEST_F(CompressedTest, RmdirRefusedWhileCompressedFilesRemain) {
  auto& f = *mfs;
  stdfs::remove(f.s("scan/raw.tif"));
  EXPECT_EQ(errno_of([&] { return ::rmdir(f.m("scan").c_str()); }), ENOTEMPTY);
  EXPECT_TRUE(stdfs::is_directory(f.s("scan")));
  ASSERT_EQ(::unlink(f.m("scan/frame_0.tif").c_str()), 0);
  ASSERT_EQ(::unlink(f.m("scan/frame_1.tif").c_str()), 0);
  EXPECT_EQ(::rmdir(f.m("scan").c_str()), 0);
}

TEST_F(CompressedTest, RawWinsOnANameClash) {
  auto& f = *mfs;
  write_file(f.s("scan/frame_1.tif"), "still raw");
  EXPECT_EQ(read_file(f.m("scan/frame_1.tif")), "still raw");
  int count = 0;
  for (const auto& e : stdfs::directory_iterator(f.m("scan"))) count += e.path().filename() == "frame_1.tif";
  EXPECT_EQ(count, 1);
  // Deleting it removes both, so the compressed twin does not reappear.
  ASSERT_EQ(::unlink(f.m("scan/frame_1.tif").c_str()), 0);
  EXPECT_FALSE(stdfs::exists(f.m("scan/frame_1.tif")));
}

TEST_F(CompressedTest, AttributesComeFromTheView) {
  auto& f = *mfs;
  char buf[64];
  ssize_t n = ::getxattr(f.m("scan/frame_0.tif").c_str(), "user.srsfs.codec", buf, sizeof buf);
  ASSERT_EQ(n, 10) << std::strerror(errno);
  EXPECT_EQ(std::string(buf, size_t(n)), "fake-codec");
  EXPECT_EQ(errno_of([&] { return ::getxattr(f.m("scan/frame_0.tif").c_str(), "user.other", buf, sizeof buf); }),
            ENODATA);
  EXPECT_EQ(::listxattr(f.m("scan/frame_0.tif").c_str(), buf, sizeof buf), 0);
}

TEST_F(CompressedTest, StoreDirectoryIsHiddenAndUnreachable) {
  auto& f = *mfs;
  write_file(f.store / "data.mdb", "lmdb");
  EXPECT_TRUE(stdfs::exists(f.s(".srsfs/data.mdb")));
  EXPECT_FALSE(names_in(f.mnt).count(".srsfs"));
  struct stat st {};
  EXPECT_EQ(errno_of([&] { return ::stat(f.m(".srsfs").c_str(), &st); }), ENOENT);
  EXPECT_EQ(errno_of([&] { return ::open(f.m(".srsfs/data.mdb").c_str(), O_RDONLY); }), ENOENT);
  EXPECT_EQ(errno_of([&] { return ::mkdir(f.m(".srsfs").c_str(), 0755); }), EPERM);
  EXPECT_EQ(errno_of([&] { return ::open(f.m(".srsfs").c_str(), O_CREAT | O_WRONLY, 0644); }), EPERM);
  EXPECT_EQ(errno_of([&] { return ::rmdir(f.m(".srsfs").c_str()); }), ENOENT);
  EXPECT_EQ(errno_of([&] { return ::rename(f.m("scan").c_str(), f.m(".srsfs").c_str()); }), EPERM);
  EXPECT_EQ(errno_of([&] { return ::symlink("x", f.m(".srsfs").c_str()); }), EPERM);
  EXPECT_TRUE(stdfs::exists(f.s(".srsfs/data.mdb")));
  // Only at SOURCE's top: the same name deeper down is an ordinary directory.
  ASSERT_EQ(::mkdir(f.m("scan/.srsfs").c_str(), 0755), 0);
  EXPECT_TRUE(stdfs::is_directory(f.m("scan/.srsfs")));
}

class StoreOutsideTest : public FuseTest {
  MountSpec spec() override {
    MountSpec s;
    s.store_inside_source = false;
    return s;
  }
};

TEST_F(StoreOutsideTest, NothingHiddenWhenTheStoreIsElsewhere) {
  auto& f = *mfs;
  stdfs::create_directory(f.s(".srsfs"));
  EXPECT_TRUE(stdfs::is_directory(f.m(".srsfs")));
}

}  // namespace
}  // namespace srsfs::fs::test
