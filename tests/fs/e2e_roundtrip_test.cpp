// The transparent filesystem end to end, through the built mount.srsfs: a scan written through the mount is
// compressed when complete (marker, user.srsfs.compress, idle timeout), its raw frames leave SOURCE, the store
// holds it, and every file reads back byte-identical with unchanged stat, before and after a remount.
#include <sys/xattr.h>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

using RoundTrip = E2eTest;

// The store holds scan, with `files` files in dirs (the scan's directory and its subdirectories).
void expect_in_store(const stdfs::path& store_dir, const std::string& scan, size_t files,
                     std::vector<std::string> dirs = {}) {
  auto store = open_store_ro(store_dir);
  auto rec = store->find_scan(scan);
  ASSERT_TRUE(rec.has_value()) << scan << " is not in the store";
  EXPECT_GT(rec->raw_bytes, rec->stored_bytes);
  if (dirs.empty()) dirs.push_back(scan);
  size_t n = 0;
  for (const auto& d : dirs)
    for (const auto& f : store->list_dir(d)) n += f.scan_id == rec->id;
  EXPECT_EQ(n, files);
}

TEST_F(RoundTrip, MarkerCompressesReadsBackAndSurvivesRemount) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan1", small_scan());
  write_file(mnt / "notes.txt", "a raw file in the root is never part of a scan");
  write_file(mnt / "scan1/.complete", "");
  // Snapshot after the marker: it is part of the scan; still raw (compression may already be running, but
  // nothing is released before the commit, and the bytes and stat are the same either way).
  TreeView before = snapshot(mnt / "scan1");
  ASSERT_EQ(before.size(), 12u + 2u);  // frames, synth.json, .complete
  struct stat cached {};
  ASSERT_EQ(::stat((mnt / "scan1/frame_00003.tif").c_str(), &cached), 0);  // a positive entry in the kernel

  std::string state = wait_done(mnt / "scan1");
  ASSERT_EQ(state, "compressed") << d->log();
  // Right after the release: the name the kernel had cached must give the original bytes.
  EXPECT_TRUE(read_file(mnt / "scan1/frame_00003.tif") == before.at("frame_00003.tif").bytes);

  EXPECT_EQ(raw_files(source / "scan1"), std::vector<std::string>{}) << "raw frames left in SOURCE";
  EXPECT_TRUE(stdfs::exists(source / "notes.txt"));
  expect_in_store(store, "scan1", before.size());
  expect_same(before, snapshot(mnt / "scan1"), "compressed");

  // The daemon's attributes.
  EXPECT_EQ(get_xattr(mnt / "scan1/frame_00000.tif", kXattrState), "compressed");
  EXPECT_EQ(get_xattr(mnt / "scan1/frame_00000.tif", kXattrScan), "scan1");
  EXPECT_EQ(get_xattr(mnt / "scan1", kXattrScan), "scan1");
  double ratio = std::stod(get_xattr(mnt / "scan1/frame_00000.tif", kXattrRatio).value_or("0"));
  EXPECT_GT(ratio, 0.0);
  EXPECT_LT(ratio, 1.0);
  EXPECT_EQ(get_xattr(mnt / "scan1", kXattrRatio), get_xattr(mnt / "scan1/frame_00000.tif", kXattrRatio));
  EXPECT_EQ(get_xattr(mnt / "notes.txt", kXattrState), "raw");
  EXPECT_FALSE(get_xattr(mnt / "notes.txt", kXattrRatio).has_value());
  // Compressed files are read-only.
  EXPECT_LT(::open((mnt / "scan1/frame_00000.tif").c_str(), O_WRONLY), 0);
  EXPECT_EQ(errno, EROFS);

  ASSERT_EQ(d->stop(), 0) << d->log();
  d = mount();
  ASSERT_TRUE(d->ok());
  expect_same(before, snapshot(mnt / "scan1"), "after remount");
  EXPECT_EQ(get_xattr(mnt / "scan1", kXattrState), "compressed");
  EXPECT_EQ(read_file(mnt / "notes.txt"), "a raw file in the root is never part of a scan");
}

TEST_F(RoundTrip, RequestedNestedScanCompressesAndFollowsDirectoryRenames) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  const stdfs::path scan = mnt / "beam/2024/scanA";
  codec::write_synth_scan(scan, small_scan(64, 10, 7));
  stdfs::create_directories(scan / "flats");  // files in a subdirectory of the scan
  write_file(scan / "flats/flat_0.dat", std::string(5000, 'f'));
  TreeView before = snapshot(scan);
  ASSERT_EQ(::setxattr(scan.c_str(), kXattrCompress, "1", 1, 0), 0) << std::strerror(errno);
  ASSERT_EQ(wait_done(scan), "compressed") << d->log();
  EXPECT_EQ(raw_files(source / "beam"), std::vector<std::string>{});
  expect_same(before, snapshot(scan), "compressed");
  expect_in_store(store, "beam/2024/scanA", before.size(), {"beam/2024/scanA", "beam/2024/scanA/flats"});

  // Renaming a directory above the scan moves every compressed file, subdirectories included.
  ASSERT_EQ(::rename((mnt / "beam").c_str(), (mnt / "beam2").c_str()), 0) << std::strerror(errno);
  expect_same(before, snapshot(mnt / "beam2/2024/scanA"), "after renaming beam -> beam2");
  EXPECT_EQ(get_xattr(mnt / "beam2/2024/scanA", kXattrState), "compressed");
  ASSERT_EQ(d->stop(), 0) << d->log();
  d = mount();
  expect_same(before, snapshot(mnt / "beam2/2024/scanA"), "after remount");
}

TEST_F(RoundTrip, IdleTimeoutCompletesAScanWithoutMarker) {
  auto d = mount({"-o", "complete_idle=1,complete_marker="});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "idle_scan", small_scan(64, 8, 3));
  TreeView before = snapshot(mnt / "idle_scan");
  ASSERT_EQ(wait_done(mnt / "idle_scan", 60s), "compressed") << d->log();
  EXPECT_EQ(raw_files(source / "idle_scan"), std::vector<std::string>{});
  expect_same(before, snapshot(mnt / "idle_scan"), "compressed");
}

// Files that are not a plain 16-bit grey TIFF of the scan's geometry go through the fallback.
TEST_F(RoundTrip, OddFilesGoThroughTheFallbackByteIdentical) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  const stdfs::path scan = mnt / "odd";
  codec::write_synth_scan(scan, small_scan(64, 6, 5));
  const stdfs::path fx = srsfs::test::fixtures_dir() / "tiff";
  for (const char* f : {"truncated_pixels.tif", "truncated_header.tif", "tiled.tif", "lzw.tif", "deflate.tif",
                        "odd_3x7.tif", "u8.tif", "bigtiff.tif", "multi_page.tif", "text.tif", "empty.tif"})
    write_file(scan / f, read_file(fx / f));  // through the mount
  auto junk = test::pattern_bytes(100000, 9);
  write_file(scan / "not_a_tiff.bin", std::string(junk.begin(), junk.end()));
  std::string head = read_file(mnt / "odd/frame_00001.tif");
  write_file(scan / "frame_cut.tif", head.substr(0, head.size() / 2));  // a frame cut short
  write_file(scan / ".complete", "");
  TreeView before = snapshot(scan);
  ASSERT_EQ(wait_done(scan), "compressed") << d->log();
  EXPECT_EQ(raw_files(source / "odd"), std::vector<std::string>{});
  expect_same(before, snapshot(scan), "compressed");
  ASSERT_EQ(d->stop(), 0);
  d = mount();
  expect_same(before, snapshot(scan), "after remount");
}

TEST_F(RoundTrip, TheRootStaysRawAndSymlinksInAScanStayRawBesideTheCompressedFiles) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  write_file(mnt / "top.dat", "top");
  ASSERT_EQ(::setxattr(mnt.c_str(), kXattrCompress, "1", 1, 0), 0);
  EXPECT_TRUE(wait_done(mnt).starts_with("failed: the source root is not a scan")) << wait_done(mnt);
  EXPECT_EQ(read_file(source / "top.dat"), "top");
  // A symbolic link in a scan is not stored: it stays raw, and the rest of the scan is compressed.
  stdfs::create_directories(mnt / "odd/sub");
  write_file(mnt / "odd/a.dat", "a");
  stdfs::create_symlink("a.dat", mnt / "odd/link");
  stdfs::create_symlink("../a.dat", mnt / "odd/sub/link2");
  write_file(mnt / "odd/.complete", "");
  EXPECT_EQ(wait_done(mnt / "odd"), "compressed") << d->log();
  EXPECT_FALSE(stdfs::exists(source / "odd/a.dat")) << "the regular file is released";
  EXPECT_TRUE(stdfs::is_symlink(source / "odd/link"));
  EXPECT_TRUE(stdfs::is_symlink(source / "odd/sub/link2"));
  EXPECT_EQ(read_file(mnt / "odd/a.dat"), "a");
  EXPECT_EQ(read_file(mnt / "odd/link"), "a");
  EXPECT_EQ(read_file(mnt / "odd/sub/link2"), "a");
  EXPECT_EQ(stdfs::read_symlink(mnt / "odd/link"), "a.dat");
  EXPECT_NE(d->log().find("2 symlinks or special files"), std::string::npos) << d->log();
  // The store's own directory is not reachable through the mount at all.
  EXPECT_FALSE(stdfs::exists(mnt / kDefaultStoreName));
}

}  // namespace
}  // namespace srsfs::fs::e2e
