// The systemd units (systemd/) pass `systemd-analyze verify`, and `cmake --install` stages binaries, the
// `srsfs` link that `mount -t fuse.srsfs` runs, and the units.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "tests/test_paths.h"

namespace srsfs {
namespace {
namespace fsys = std::filesystem;

struct Outcome {
  int rc = -1;
  std::string out;
};

// Runs `cmd` through the shell; stdout and stderr together.
Outcome run(const std::string& cmd, const fsys::path& log) {
  int st = std::system(fmt::format("{} > '{}' 2>&1", cmd, log.string()).c_str());
  Outcome r;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  return r;
}

std::string read_text(const fsys::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

constexpr const char* kUnits[] = {"srsfs@.service", "srsfs-retrain@.service", "srsfs-retrain@.timer"};

TEST(SystemdUnits, VerifyCleanly) {
  if (std::system("command -v systemd-analyze > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "systemd-analyze is not installed: the units are not verified";
  test::TempDir tmp;
  // verify requires every command to exist: the units name srsfs's binaries by name (systemd finds them in
  // /usr/local/bin or /usr/bin, wherever the install put them); here they point at stand-ins.
  fsys::create_directories(tmp / "bin");
  for (const char* b : {"mount.srsfs", "srsfs-admin", "fusermount3"}) {
    std::ofstream(tmp / "bin" / b) << "#!/bin/sh\nexit 0\n";
    fsys::permissions(tmp / "bin" / b, fsys::perms::owner_all);
  }
  for (const char* unit : kUnits) {
    std::string text = read_text(test::source_dir() / "systemd" / unit);
    ASSERT_FALSE(text.empty()) << "systemd/" << unit << " is missing";
    for (const char* b : {"mount.srsfs", "srsfs-admin", "fusermount3"}) {
      replace_all(text, fmt::format("={} ", b), fmt::format("={} ", (tmp / "bin" / b).string()));
      replace_all(text, fmt::format("=-{} ", b), fmt::format("=-{} ", (tmp / "bin" / b).string()));
    }
    std::ofstream(tmp / unit) << text;
  }
  for (const char* unit : kUnits) {
    Outcome r = run(fmt::format("cd '{}' && systemd-analyze verify ./'{}'", tmp.path().string(), unit), tmp / "log");
    EXPECT_EQ(r.rc, 0) << unit << ":\n" << r.out;
    EXPECT_EQ(r.out.find("nknown"), std::string::npos) << unit << " has settings systemd does not know:\n" << r.out;
  }
}

TEST(SystemdUnits, TheDaemonAvoidsMountNamespaces) {
  // Any of these would mount srsfs inside a namespace the rest of the system never sees.
  const std::string text = read_text(test::source_dir() / "systemd" / "srsfs@.service");
  for (const char* key : {"ProtectSystem=", "ProtectHome=", "PrivateTmp=", "PrivateDevices=", "PrivateMounts=",
                          "ReadWritePaths=", "ReadOnlyPaths=", "InaccessiblePaths=", "TemporaryFileSystem=",
                          "BindPaths=", "ProtectKernelTunables=", "ProtectKernelModules=", "ProtectKernelLogs=",
                          "ProtectControlGroups=", "ProtectProc="})
    EXPECT_EQ(text.find(fmt::format("\n{}", key)), std::string::npos) << key << " in srsfs@.service";
  for (const char* key : {"\nOOMScoreAdjust=-900", "\nRestart=on-failure", "\nExecStop=", "\nKillMode=", " -f "})
    EXPECT_NE(text.find(key), std::string::npos) << key;
}

// Installs the build this test belongs to into a staging directory: with DESTDIR, or with --prefix.
struct Staged {
  fsys::path root;  // where prefix-relative paths start
  Outcome result;
};
Staged stage(const test::TempDir& tmp, bool destdir) {
  const fsys::path build = test::bin_dir().parent_path();
  Staged s;
  if (destdir) {  // into DESTDIR + the configured prefix, as packagers do
    std::string prefix = "/usr/local";
    std::istringstream cache(read_text(build / "CMakeCache.txt"));
    for (std::string line; std::getline(cache, line);)
      if (line.starts_with("CMAKE_INSTALL_PREFIX:")) prefix = line.substr(line.find('=') + 1);
    s.root = tmp / "dest" / fsys::path(prefix).relative_path();
    s.result = run(fmt::format("DESTDIR='{}' cmake --install '{}'", (tmp / "dest").string(), build.string()),
                   tmp / "install.log");
  } else {
    s.root = tmp / "prefix";
    s.result = run(fmt::format("cmake --install '{}' --prefix '{}'", build.string(), s.root.string()), tmp / "install.log");
  }
  return s;
}

void expect_installed(const Staged& s) {
  for (const char* f : {"bin/mount.srsfs", "bin/srsfs-admin", "lib/systemd/system/srsfs@.service",
                        "lib/systemd/system/srsfs-retrain@.service", "lib/systemd/system/srsfs-retrain@.timer"})
    EXPECT_TRUE(fsys::exists(s.root / f)) << f << " not installed:\n" << s.result.out;
  const fsys::path link = s.root / "bin" / "srsfs";
  ASSERT_TRUE(fsys::is_symlink(link)) << "bin/srsfs (what mount.fuse3 runs for -t fuse.srsfs) not installed:\n"
                                      << s.result.out;
  EXPECT_EQ(fsys::read_symlink(link), "mount.srsfs");
}

#define SKIP_UNLESS_BUILT(s)                                                                                    \
  if ((s).result.rc != 0 && (s).result.out.find("cannot find") != std::string::npos)                            \
  GTEST_SKIP() << "not every installed target is built (cmake --build " << test::bin_dir().parent_path().string() \
               << "):\n"                                                                                          \
               << (s).result.out

TEST(Install, DestdirStagesBinariesLinkAndUnits) {
  test::TempDir tmp;
  Staged s = stage(tmp, true);
  SKIP_UNLESS_BUILT(s);
  ASSERT_EQ(s.result.rc, 0) << s.result.out;
  expect_installed(s);
}

// `--prefix` at install time must move the `srsfs` link too (its path is built when installing).
TEST(Install, PrefixStagesBinariesLinkAndUnits) {
  test::TempDir tmp;
  Staged s = stage(tmp, false);
  SKIP_UNLESS_BUILT(s);
  ASSERT_EQ(s.result.rc, 0) << s.result.out;
  expect_installed(s);
}

}  // namespace
}  // namespace srsfs
