// parse_mount_options: srsfs's -o options, defaults, and everything else passed on to libfuse.
#include "fs/mount_options.h"

#include <algorithm>

#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

MountOptions parse(std::vector<std::string> args) {
  args.insert(args.begin(), "mount.srsfs");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return parse_mount_options(int(args.size()), argv.data());
}

bool has_opt(const MountOptions& o, const std::string& needle) {
  return std::any_of(o.fuse_args.begin(), o.fuse_args.end(),
                     [&](const std::string& a) { return a.find(needle) != std::string::npos; });
}

class OptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stdfs::create_directories(tmp / "src");
    stdfs::create_directories(tmp / "mnt");
    src = stdfs::canonical(tmp / "src").string();
    mnt = stdfs::canonical(tmp / "mnt").string();
  }
  TempDir tmp;
  std::string src, mnt;
};

TEST_F(OptionsTest, Defaults) {
  auto o = parse({src, mnt});
  EXPECT_EQ(o.source, src);
  EXPECT_EQ(o.mountpoint, mnt);
  EXPECT_EQ(o.store, stdfs::path(src) / ".srsfs");
  EXPECT_EQ(o.cache_size, uint64_t(1) << 30);
  EXPECT_EQ(o.workers, 0u);
  EXPECT_EQ(o.complete_idle_s, 0u);
  EXPECT_EQ(o.complete_marker, ".complete");
  EXPECT_FALSE(o.foreground);
  EXPECT_TRUE(o.loop.clone_fd);
  EXPECT_TRUE(has_opt(o, "subtype=srsfs"));
  EXPECT_TRUE(has_opt(o, "fsname=" + src));
}

TEST_F(OptionsTest, SrsfsOptionsAreTakenOthersPassedOn) {
  auto o = parse({src, mnt, "-f", "-o", "store=/var/srs,cache_size=512M,workers=6,complete_idle=90,complete_marker=DONE",
                  "-o", "allow_other,ro,max_threads=20"});
  EXPECT_EQ(o.store, "/var/srs");
  EXPECT_EQ(o.cache_size, uint64_t(512) << 20);
  EXPECT_EQ(o.workers, 6u);
  EXPECT_EQ(o.complete_idle_s, 90u);
  EXPECT_EQ(o.complete_marker, "DONE");
  EXPECT_TRUE(o.foreground);
  EXPECT_EQ(o.loop.max_threads, 20u);
  EXPECT_TRUE(has_opt(o, "allow_other"));
  EXPECT_TRUE(has_opt(o, "ro"));
  EXPECT_TRUE(has_opt(o, "default_permissions"));  // added with allow_other
  EXPECT_FALSE(has_opt(o, "store="));
  EXPECT_FALSE(has_opt(o, "cache_size"));
}

TEST_F(OptionsTest, Sizes) {
  EXPECT_EQ(parse_byte_size("4096"), 4096u);
  EXPECT_EQ(parse_byte_size("64k"), 64u << 10);
  EXPECT_EQ(parse_byte_size("3G"), uint64_t(3) << 30);
  EXPECT_EQ(parse_byte_size("2T"), uint64_t(2) << 40);
  EXPECT_EQ(parse_byte_size("8MB"), uint64_t(8) << 20);
  for (const char* bad : {"", "M", "12Q", "1.5G", "-1", "99999999999999999999", "16777216T"})
    EXPECT_THROW(parse_byte_size(bad), Error) << bad;
}

TEST_F(OptionsTest, ErrorsNameTheProblem) {
  auto message = [&](std::vector<std::string> args) {
    try {
      parse(std::move(args));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message({src}).find("MOUNTPOINT"), std::string::npos);
  EXPECT_NE(message({(tmp / "nope").string(), mnt}).find("nope"), std::string::npos);
  EXPECT_NE(message({src, mnt, "-o", "workers=many"}).find("workers"), std::string::npos);
  EXPECT_NE(message({src, mnt, "-o", "complete_marker=a/b"}).find("complete_marker"), std::string::npos);
}

TEST_F(OptionsTest, HelpNeedsNoPaths) {
  auto o = parse({"--help"});
  EXPECT_TRUE(o.show_help);
  EXPECT_NE(mount_usage("srsfs").find("complete_marker=NAME"), std::string::npos);
}

}  // namespace
}  // namespace srsfs::fs::test
