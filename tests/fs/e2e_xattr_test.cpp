// User xattrs through the built mount.srsfs: set on raw files of a scan, they survive its compression (the
// store keeps them with the file record) and a remount, and are served read-only; files without xattrs are
// unaffected.
#include <sys/xattr.h>

#include <algorithm>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

using namespace std::string_literals;
using XattrE2e = E2eTest;

// The names listxattr gives for p, sorted (SOURCE's filesystem lists in its own order), or nullopt (errno
// set). Asks for the size first, as getfattr does.
std::optional<std::vector<std::string>> list_xattrs(const stdfs::path& p) {
  const ssize_t size = ::listxattr(p.c_str(), nullptr, 0);
  if (size < 0) return std::nullopt;
  std::string buf(size_t(size), '\0');
  const ssize_t n = ::listxattr(p.c_str(), buf.data(), buf.size());
  if (n < 0) return std::nullopt;
  std::vector<std::string> names;
  for (size_t pos = 0; pos < size_t(n);) {
    const size_t end = buf.find('\0', pos);
    names.push_back(buf.substr(pos, end - pos));
    pos = end + 1;
  }
  std::sort(names.begin(), names.end());
  return names;
}

void set_xattr(const stdfs::path& p, const char* name, const std::string& value) {
  ASSERT_EQ(::setxattr(p.c_str(), name, value.data(), value.size(), 0), 0)
      << p << " " << name << ": " << std::strerror(errno);
}

int errno_after(int rc) {
  return rc < 0 ? errno : 0;
}

const std::string kBinary = "bin\0ary\xff"s;

// What a user must see of the scan's attributes, raw or compressed.
void expect_attributes(const stdfs::path& scan, const std::string& when) {
  SCOPED_TRACE(when);
  const stdfs::path frame = scan / "frame_00003.tif", json = scan / "synth.json",
                    plain = scan / "frame_00004.tif";
  EXPECT_EQ(get_xattr(frame, "user.custom"), "frame value");
  EXPECT_EQ(get_xattr(frame, "user.binary"), kBinary);
  EXPECT_EQ(list_xattrs(frame), (std::vector<std::string>{"user.binary", "user.custom"}));
  EXPECT_EQ(get_xattr(json, "user.custom"), "json value");
  EXPECT_EQ(get_xattr(json, "user.second"), "");
  EXPECT_EQ(list_xattrs(json), (std::vector<std::string>{"user.custom", "user.second"}));
  // Absent names, the size query and a too small buffer behave as on any filesystem.
  char small[4];
  EXPECT_EQ(errno_after(int(::getxattr(frame.c_str(), "user.absent", small, sizeof small))), ENODATA);
  EXPECT_EQ(::getxattr(frame.c_str(), "user.custom", nullptr, 0), ssize_t(std::string("frame value").size()));
  EXPECT_EQ(errno_after(int(::getxattr(frame.c_str(), "user.custom", small, sizeof small))), ERANGE);
  // A file without attributes lists none.
  EXPECT_EQ(list_xattrs(plain), std::vector<std::string>{});
  EXPECT_EQ(errno_after(int(::getxattr(plain.c_str(), "user.custom", small, sizeof small))), ENODATA);
}

TEST_F(XattrE2e, UserXattrsSurviveCompressionAndRemountReadOnly) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  const stdfs::path scan = mnt / "scan1";
  codec::write_synth_scan(scan, small_scan());
  set_xattr(scan / "frame_00003.tif", "user.custom", "frame value");
  set_xattr(scan / "frame_00003.tif", "user.binary", kBinary);
  set_xattr(scan / "synth.json", "user.custom", "json value");
  set_xattr(scan / "synth.json", "user.second", "");
  expect_attributes(scan, "raw");
  write_file(scan / ".complete", "");
  TreeView before = snapshot(scan);

  ASSERT_EQ(wait_done(scan), "compressed") << d->log();
  ASSERT_EQ(raw_files(source / "scan1"), std::vector<std::string>{}) << "raw files left in SOURCE";
  expect_same(before, snapshot(scan), "compressed");
  expect_attributes(scan, "compressed");
  // The daemon's own names are still answered, and still not listed.
  EXPECT_EQ(get_xattr(scan / "frame_00003.tif", kXattrState), "compressed");
  // Read-only: neither a new value nor a removal.
  const stdfs::path frame = scan / "frame_00003.tif";
  EXPECT_EQ(errno_after(::setxattr(frame.c_str(), "user.custom", "x", 1, 0)), EROFS);
  EXPECT_EQ(errno_after(::setxattr(frame.c_str(), "user.new", "x", 1, 0)), EROFS);
  EXPECT_EQ(errno_after(::removexattr(frame.c_str(), "user.custom")), EROFS);
  EXPECT_EQ(get_xattr(frame, "user.custom"), "frame value");

  ASSERT_EQ(d->stop(), 0) << d->log();
  {
    auto store_ro = open_store_ro(store);
    auto rec = store_ro->get_file("scan1/frame_00003.tif");
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->xattrs, (FileRecord::Xattrs{{"user.binary", kBinary}, {"user.custom", "frame value"}}));
  }
  d = mount();
  ASSERT_TRUE(d->ok());
  expect_same(before, snapshot(scan), "after remount");
  expect_attributes(scan, "after remount");
  EXPECT_EQ(errno_after(::setxattr(frame.c_str(), "user.custom", "x", 1, 0)), EROFS);
}

}  // namespace
}  // namespace srsfs::fs::e2e
