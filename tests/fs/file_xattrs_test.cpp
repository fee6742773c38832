// User xattrs kept with a compressed file: the FileRecord's optional xattr tail (old records still decode, a
// damaged tail is corrupt), capture from a raw file (read_user_xattrs), and the store and view serving them.
#include "fs/file_xattrs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/store_records.h"
#include "fs/store_view.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {

using test::code_of;
using test::file_record;
using namespace std::string_literals;

// A file record exactly as srsfs wrote it before xattrs were kept (fs/store_records.cpp at 081ea3c).
Bytes old_layout(const FileRecord& r) {
  Bytes out;
  ByteWriter w(out);
  w.u64(r.scan_id);
  w.u64(r.size);
  w.u32(r.mode);
  w.u32(r.uid);
  w.u32(r.gid);
  for (const Timespec* t : {&r.atime, &r.mtime, &r.ctime}) {
    w.i64(t->sec);
    w.i64(t->nsec);
  }
  w.u64(r.ino);
  w.u64(r.checksum);
  w.blob(r.codec_entry);
  return out;
}

FileRecord with_xattrs() {
  FileRecord f = file_record("scan/frame_0.tif", 4242);
  f.scan_id = 3;
  f.ino = 77;
  f.xattrs = {{"user.a", "\0\1"s}, {"user.custom", "hello"}, {"user.empty", ""}};
  return f;
}

TEST(FileRecordXattrs, RecordsWrittenBeforeXattrsDecodeAndStayByteIdentical) {
  FileRecord f = file_record("scan/frame_0.tif", 4242);
  f.scan_id = 3;
  f.ino = 77;
  const Bytes old = old_layout(f);
  FileRecord got = decode_file(f.path, old);
  EXPECT_EQ(got, f);
  EXPECT_TRUE(got.xattrs.empty());
  EXPECT_EQ(encode(f), old) << "a record without xattrs must keep the old encoding";
}

TEST(FileRecordXattrs, RoundTripAndTailLayout) {
  FileRecord f = with_xattrs();
  const Bytes b = encode(f);
  EXPECT_EQ(decode_file(f.path, b), f);
  // The tail follows the old layout: tag 1, varint count, (varint len, name, varint len, value)*.
  const Bytes head = old_layout(f);
  ASSERT_GT(b.size(), head.size());
  EXPECT_TRUE(std::equal(head.begin(), head.end(), b.begin()));
  const std::string tail(b.begin() + std::ptrdiff_t(head.size()), b.end());
  EXPECT_EQ(tail, "\x01\x03"s + "\x06user.a\x02\0\1"s + "\x0buser.custom\x05hello"s + "\x0auser.empty\x00"s);
}

TEST(FileRecordXattrs, DamagedTailIsCorrupt) {
  FileRecord f = with_xattrs();
  const Bytes b = encode(f);
  const size_t head = old_layout(f).size();
  // Every cut inside the tail (a cut at the tail's start is an old record, which is valid).
  for (size_t n = head + 1; n < b.size(); ++n) {
    Bytes cut(b.begin(), b.begin() + std::ptrdiff_t(n));
    EXPECT_EQ(code_of([&] { decode_file(f.path, cut); }), Errc::corrupt) << "cut at " << n;
  }
  auto patched = [&](size_t at, uint8_t v) {
    Bytes c = b;
    c[at] = v;
    return c;
  };
  EXPECT_EQ(code_of([&] { decode_file(f.path, patched(head, 2)); }), Errc::corrupt) << "unknown tail tag";
  EXPECT_EQ(code_of([&] { decode_file(f.path, patched(head + 1, 0)); }), Errc::corrupt)
      << "count 0 / trailing";
  EXPECT_EQ(code_of([&] { decode_file(f.path, patched(head + 1, 0x7f)); }), Errc::corrupt)
      << "count too large";
  EXPECT_EQ(code_of([&] { decode_file(f.path, patched(head + 3, 'x')); }), Errc::corrupt)
      << "not a user.* name";
  Bytes extra = b;
  extra.push_back(0);
  EXPECT_EQ(code_of([&] { decode_file(f.path, extra); }), Errc::corrupt) << "trailing byte";

  // Out of order, repeated or reserved names: refused by the encoder, and corrupt when found on disk.
  for (auto bad : {FileRecord::Xattrs{{"user.b", "1"}, {"user.a", "2"}},
                   FileRecord::Xattrs{{"user.a", "1"}, {"user.a", "2"}},
                   FileRecord::Xattrs{{"user.srsfs.state", "raw"}}, FileRecord::Xattrs{{"trusted.x", "1"}},
                   FileRecord::Xattrs{{"user.", "1"}}, FileRecord::Xattrs{{"user.a\0b"s, "1"}}}) {
    FileRecord r = f;
    r.xattrs = bad;
    EXPECT_EQ(code_of([&] { encode(r); }), Errc::invalid_argument) << bad.front().first;
    Bytes hand = old_layout(r);
    ByteWriter w(hand);
    w.u8(1);
    w.varint(bad.size());
    for (const auto& [n, v] : bad) {
      w.str(n);
      w.str(v);
    }
    EXPECT_EQ(code_of([&] { decode_file(r.path, hand); }), Errc::corrupt) << bad.front().first;
  }
  FileRecord big = f;
  big.xattrs = {{"user.big", std::string(kMaxUserXattrBytes, 'v')}};
  EXPECT_EQ(code_of([&] { encode(big); }), Errc::invalid_argument);
}

TEST(FileRecordXattrs, StoreKeepsThemAcrossRenameAndTheViewServesThem) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  ScanWriter w = store->begin_scan("scan", 0, Bytes{1});
  w.put_block(0, Bytes{1, 2, 3});
  FileRecord f = with_xattrs();
  f.ino = 0;
  FileRecord plain = file_record("scan/frame_1.tif");
  w.commit({f, plain}, 100);
  store->rename_file("scan/frame_0.tif", "scan/renamed.tif");
  auto got = store->get_file("scan/renamed.tif");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->xattrs, f.xattrs);

  StoreView view(*store, cache::CacheOptions{});
  EXPECT_EQ(view.getxattr("scan/renamed.tif", "user.a"), "\0\1"s);
  EXPECT_EQ(view.getxattr("scan/renamed.tif", "user.empty"), "");
  EXPECT_EQ(view.getxattr("scan/renamed.tif", "user.missing"), std::nullopt);
  EXPECT_EQ(view.getxattr("scan/renamed.tif", kXattrState), "compressed");
  EXPECT_EQ(view.listxattr("scan/renamed.tif"),
            (std::vector<std::string>{"user.a", "user.custom", "user.empty"}));
  EXPECT_TRUE(view.listxattr("scan/frame_1.tif").empty());
  EXPECT_EQ(view.getxattr("scan/frame_1.tif", "user.custom"), std::nullopt);
  EXPECT_EQ(view.getxattr("scan", "user.custom"), std::nullopt) << "a scan directory has no kept attributes";
  EXPECT_TRUE(view.listxattr("scan/nothing.tif").empty());
}

class ReadUserXattrs : public ::testing::Test {
 protected:
  void SetUp() override {
    file = tmp / "f";
    ::close(::open(file.c_str(), O_CREAT | O_WRONLY, 0644));
    if (::setxattr(file.c_str(), "user.probe", "1", 1, 0) != 0)
      GTEST_SKIP() << "TMPDIR's filesystem has no user xattrs: " << std::strerror(errno);
    ::removexattr(file.c_str(), "user.probe");
  }
  void set(const char* name, const std::string& value) {
    ASSERT_EQ(::setxattr(file.c_str(), name, value.data(), value.size(), 0), 0)
        << name << ": " << std::strerror(errno);
  }
  srsfs::test::TempDir tmp;
  std::filesystem::path file;
};

TEST_F(ReadUserXattrs, KeepsUserNamesSortedWithoutTheDaemonsOwn) {
  EXPECT_TRUE(read_user_xattrs(file).empty());
  set("user.zeta", "z");
  set("user.alpha", "bin\0ary"s);
  set("user.srsfs.state", "planted");  // the daemon's name, set behind its back in SOURCE
  set("user.none", "");
  EXPECT_EQ(read_user_xattrs(file),
            (UserXattrs{{"user.alpha", "bin\0ary"s}, {"user.none", ""}, {"user.zeta", "z"}}));
}

TEST_F(ReadUserXattrs, NeverFollowsASymlinkAndNamesAMissingFile) {
  set("user.custom", "target's");
  std::filesystem::create_symlink(file, tmp / "link");
  EXPECT_TRUE(read_user_xattrs(tmp / "link").empty());
  try {
    read_user_xattrs(tmp / "missing");
    ADD_FAILURE() << "no error for a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
}

// A file holding two 32 KiB user attributes (their sum is just over the limit), or nullopt where no local
// filesystem can: ext4 without ea_inode keeps one block of xattrs per inode, so tmpfs (/dev/shm) is tried
// too.
class BigXattrFile {
 public:
  explicit BigXattrFile(const std::filesystem::path& dir) {
    for (const std::filesystem::path& d : {dir, std::filesystem::path("/dev/shm")}) {
      std::string tmpl = (d / "srsfs-xattr-XXXXXX").string();
      const int fd = ::mkstemp(tmpl.data());
      if (fd < 0) continue;
      ::close(fd);
      const std::string half(kMaxUserXattrBytes / 2, 'v');
      if (::setxattr(tmpl.c_str(), "user.one", half.data(), half.size(), 0) == 0 &&
          ::setxattr(tmpl.c_str(), "user.two", half.data(), half.size(), 0) == 0) {
        path = tmpl;
        return;
      }
      ::unlink(tmpl.c_str());
    }
  }
  ~BigXattrFile() {
    if (path) ::unlink(path->c_str());
  }
  BigXattrFile(const BigXattrFile&) = delete;
  BigXattrFile& operator=(const BigXattrFile&) = delete;
  std::optional<std::filesystem::path> path;
};

TEST_F(ReadUserXattrs, RefusesMoreThanTheLimit) {
  BigXattrFile big(tmp.path());
  if (!big.path) GTEST_SKIP() << "no filesystem here holds 64 KiB of xattrs on one file";
  try {
    read_user_xattrs(*big.path);
    ADD_FAILURE() << "no error for " << *big.path;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find(big.path->string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace srsfs::fs
