// Issue 11: what the root daemon creates in its store is private whatever the umask, a store others could
// write is refused, and no path someone else plants is ever followed. Also the bounded wait for a store lock
// still held by a daemon that is stopping.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "codec/archive.h"
#include "codec/file_io.h"
#include "fs/private_dir.h"
#include "fs/store.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {

namespace stdfs = std::filesystem;
using test::code_of;
using test::write_scan;

constexpr uid_t kNobody = 65534;

// The daemon's umask (fs/mount_main.cpp), restored after the test.
struct UmaskZero {
  mode_t old = ::umask(0);
  ~UmaskZero() { ::umask(old); }
};

mode_t mode_of(const stdfs::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

void make_dir(const stdfs::path& p, mode_t mode) {
  ASSERT_EQ(::mkdir(p.c_str(), mode), 0) << p;
  ASSERT_EQ(::chmod(p.c_str(), mode), 0) << p;
}

void write_text(const stdfs::path& p, const std::string& s) { std::ofstream(p) << s; }
std::string read_text(const stdfs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The message of the srsfs::Error that fn throws ("" and a test failure if none).
std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no srsfs::Error thrown";
  return "";
}

ByteSpan span_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

#define REQUIRE_ROOT() \
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (chown to another uid)"

TEST(StoreSecurity, EverythingCreatedInAPreMadeStoreIsPrivateUnderUmaskZero) {
  srsfs::test::TempDir t;
  UmaskZero umask0;
  const stdfs::path store = t / "store";
  make_dir(store, 0755);  // what an operator's `mkdir` makes
  {
    auto s = Store::open(store);
    write_scan(*s, "scan_1", 4, 1000, 3);
    // What the compressor makes: spool/ and queue/ with a file each.
    PrivateDir spool = PrivateDir::open(store / "spool");
    UniqueFd a = spool.create_file("scan-1.srs");
    write_all(a.get(), span_of("archive"), "scan-1.srs");
    PrivateDir queue = PrivateDir::open(store / "queue");
    queue.write_file_atomic("0000000000000001", span_of("scan_1"), true);
    queue.subdir("nested").write_file_atomic("x", span_of("y"), false);
  }
  EXPECT_EQ(mode_of(store), 0755u);  // the operator's choice: not writable by others, so accepted as is
  size_t dirs = 0, files = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(store)) {
    if (e.is_directory()) {
      ++dirs;
      EXPECT_EQ(mode_of(e.path()), 0700u) << e.path();
    } else {
      ++files;
      EXPECT_TRUE(e.is_regular_file()) << e.path();
      EXPECT_EQ(mode_of(e.path()), 0600u) << e.path();
    }
  }
  EXPECT_EQ(dirs, 3u);  // spool, queue, queue/nested
  EXPECT_GE(files, 6u);  // store.lock, data.mdb, lock.mdb, the spool file, two queue entries
  EXPECT_TRUE(stdfs::exists(store / "store.lock"));
  EXPECT_TRUE(stdfs::exists(store / "lock.mdb"));
}

TEST(StoreSecurity, AStoreThatDoesNotExistIsCreated0700WithParents0755UnderUmaskZero) {
  srsfs::test::TempDir t;
  UmaskZero umask0;
  const stdfs::path store = t / "var" / "lib" / "srsfs" / "beamline";
  Store::open(store);
  EXPECT_EQ(mode_of(store), 0700u);
  EXPECT_EQ(mode_of(t / "var" / "lib" / "srsfs"), 0755u);
  EXPECT_EQ(mode_of(t / "var"), 0755u);
  for (const char* f : {"store.lock", "data.mdb", "lock.mdb"}) EXPECT_EQ(mode_of(store / f), 0600u) << f;
}

TEST(StoreSecurity, OlderWideStoreFilesAreNarrowedTo0600) {
  srsfs::test::TempDir t;
  const stdfs::path store = t / "store";
  Store::open(store);
  for (const char* f : {"store.lock", "data.mdb", "lock.mdb"}) ASSERT_EQ(::chmod((store / f).c_str(), 0666), 0);
  Store::open(store);
  for (const char* f : {"store.lock", "data.mdb", "lock.mdb"}) EXPECT_EQ(mode_of(store / f), 0600u) << f;
}

TEST(StoreSecurity, AStoreOthersCanWriteIsRefusedNamingItAndTheFix) {
  srsfs::test::TempDir t;
  for (mode_t m : {mode_t(0777), mode_t(0775), mode_t(0757)}) {
    const stdfs::path store = t / fmt::format("store_{:o}", unsigned(m));
    make_dir(store, m);
    std::string msg = message_of([&] { Store::open(store); });
    EXPECT_NE(msg.find(store.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("chmod 700"), std::string::npos) << msg;
    EXPECT_EQ(code_of([&] { Store::open(store); }), Errc::invalid_argument);
    EXPECT_FALSE(stdfs::exists(store / "store.lock")) << "nothing is created in a refused store";
    EXPECT_FALSE(stdfs::exists(store / "data.mdb"));
  }
}

TEST(StoreSecurity, AStoreOwnedByAnotherUserIsRefused) {
  REQUIRE_ROOT();
  srsfs::test::TempDir t;
  const stdfs::path store = t / "store";
  make_dir(store, 0700);
  ASSERT_EQ(::chown(store.c_str(), kNobody, kNobody), 0);
  std::string msg = message_of([&] { Store::open(store); });
  EXPECT_NE(msg.find(store.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("chown root"), std::string::npos) << msg;
  EXPECT_FALSE(stdfs::exists(store / "store.lock"));
}

TEST(StoreSecurity, ParentsMustBeSafeButAStickyOneLikeTmpIsFine) {
  REQUIRE_ROOT();
  srsfs::test::TempDir t;
  // World-writable without the sticky bit: anyone could rename the store away and put their own in its place.
  make_dir(t / "open", 0777);
  make_dir(t / "open" / "store", 0700);
  std::string msg = message_of([&] { check_store_dir_safe(t / "open" / "store"); });
  EXPECT_NE(msg.find((t / "open").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("writable by others"), std::string::npos) << msg;
  // Sticky (as /tmp, the parent of every TempDir here): only an entry's owner may rename it.
  make_dir(t / "sticky", 01777);
  make_dir(t / "sticky" / "store", 0700);
  EXPECT_NO_THROW(check_store_dir_safe(t / "sticky" / "store"));
  EXPECT_NO_THROW(Store::open(t / "sticky" / "store"));
  // A parent owned by another user.
  make_dir(t / "theirs", 0755);
  make_dir(t / "theirs" / "store", 0700);
  ASSERT_EQ(::chown((t / "theirs").c_str(), kNobody, kNobody), 0);
  msg = message_of([&] { check_store_dir_safe(t / "theirs" / "store"); });
  EXPECT_NE(msg.find("chown root"), std::string::npos) << msg;
}

TEST(StoreSecurity, ASymlinkedStoreIsJudgedByItsTargetAndByWhereTheLinkLives) {
  srsfs::test::TempDir t;
  make_dir(t / "disk", 0755);
  make_dir(t / "disk" / "store", 0700);
  stdfs::create_directory_symlink(t / "disk" / "store", t / "store");
  EXPECT_NO_THROW(check_store_dir_safe(t / "store"));
  // The link in a directory anyone may write: anyone could point it elsewhere.
  make_dir(t / "open", 0777);
  stdfs::create_directory_symlink(t / "disk" / "store", t / "open" / "store");
  EXPECT_EQ(code_of([&] { check_store_dir_safe(t / "open" / "store"); }), Errc::invalid_argument);
  // The target wide open.
  make_dir(t / "wide", 0777);
  stdfs::create_directory_symlink(t / "wide", t / "wide_link");
  EXPECT_EQ(code_of([&] { check_store_dir_safe(t / "wide_link"); }), Errc::invalid_argument);
}

TEST(PrivateDirTest, CreateFileNeverFollowsAPlantedSymlink) {
  srsfs::test::TempDir t;
  UmaskZero umask0;
  write_text(t / "victim", "root's data");
  const mode_t victim_mode = mode_of(t / "victim");
  PrivateDir d = PrivateDir::open(t / "spool");
  stdfs::create_symlink(t / "victim", t / "spool" / "scan-1.srs");
  EXPECT_EQ(code_of([&] { d.create_file("scan-1.srs"); }), Errc::io);
  std::string msg = message_of([&] { d.create_file("scan-1.srs"); });
  EXPECT_NE(msg.find((t / "spool" / "scan-1.srs").string()), std::string::npos) << msg;
  EXPECT_EQ(read_text(t / "victim"), "root's data");
  EXPECT_EQ(mode_of(t / "victim"), victim_mode);  // no fchmod reached it either
  EXPECT_TRUE(stdfs::is_symlink(t / "spool" / "scan-1.srs"));
  // A dangling link does not create its target either.
  stdfs::create_symlink(t / "created_through_link", t / "spool" / "dangling");
  EXPECT_EQ(code_of([&] { d.create_file("dangling"); }), Errc::io);
  EXPECT_FALSE(stdfs::exists(t / "created_through_link"));
  // Names that would leave the directory are refused outright.
  EXPECT_EQ(code_of([&] { d.create_file("../escape"); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { d.create_file(".."); }), Errc::invalid_argument);
}

TEST(PrivateDirTest, WriteFileAtomicReplacesAPlantedSymlinkWithoutFollowingIt) {
  srsfs::test::TempDir t;
  UmaskZero umask0;
  write_text(t / "victim", "root's data");
  PrivateDir d = PrivateDir::open(t / "queue");
  stdfs::create_symlink(t / "victim", t / "queue" / "entry");
  d.write_file_atomic("entry", span_of("scan_7"), true);
  EXPECT_EQ(read_text(t / "victim"), "root's data");
  EXPECT_FALSE(stdfs::is_symlink(t / "queue" / "entry"));
  EXPECT_EQ(mode_of(t / "queue" / "entry"), 0600u);
  std::optional<Bytes> back = d.read_file("entry");
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->begin(), back->end()), "scan_7");
  EXPECT_EQ(d.list(), std::vector<std::string>{"entry"});  // no temporary left behind
  d.write_file_atomic("entry", span_of("scan_8"), false);  // over our own file too
  EXPECT_EQ(read_text(t / "queue" / "entry"), "scan_8");
}

TEST(PrivateDirTest, OpenFileRefusesWhatSomeoneElsePlanted) {
  REQUIRE_ROOT();
  srsfs::test::TempDir t;
  write_text(t / "victim", "root's data");
  PrivateDir d = PrivateDir::open(t / "queue");
  EXPECT_FALSE(d.open_file("absent"));
  EXPECT_FALSE(d.read_file("absent"));
  stdfs::create_symlink(t / "victim", t / "queue" / "link");
  EXPECT_EQ(code_of([&] { d.read_file("link"); }), Errc::invalid_argument);
  write_text(t / "queue" / "theirs", "scan_of_their_choice");
  ASSERT_EQ(::chown((t / "queue" / "theirs").c_str(), kNobody, kNobody), 0);
  std::string msg = message_of([&] { d.read_file("theirs"); });
  EXPECT_NE(msg.find("65534"), std::string::npos) << msg;
  ASSERT_EQ(::mkfifo((t / "queue" / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(code_of([&] { d.open_file("fifo"); }), Errc::invalid_argument);  // and does not hang
  ASSERT_EQ(::link((t / "victim").c_str(), (t / "queue" / "hardlink").c_str()), 0);
  EXPECT_EQ(code_of([&] { d.read_file("hardlink"); }), Errc::invalid_argument);
  ASSERT_EQ(::mkdir((t / "queue" / "dir").c_str(), 0700), 0);
  EXPECT_EQ(code_of([&] { d.open_file("dir"); }), Errc::invalid_argument);
  // remove() takes the link away, never its target.
  d.remove("link");
  d.remove("absent");
  EXPECT_FALSE(stdfs::is_symlink(t / "queue" / "link"));
  EXPECT_EQ(read_text(t / "victim"), "root's data");
}

TEST(PrivateDirTest, AWideDirectoryOfOursIsNarrowedAndOneOfSomeoneElseRefused) {
  REQUIRE_ROOT();
  srsfs::test::TempDir t;
  UmaskZero umask0;
  make_dir(t / "spool", 0777);  // as an older version left it
  PrivateDir d = PrivateDir::open(t / "spool");
  EXPECT_EQ(mode_of(t / "spool"), 0700u);
  make_dir(t / "spool" / "sub", 0777);
  PrivateDir sub = d.subdir("sub");
  EXPECT_EQ(mode_of(t / "spool" / "sub"), 0700u);
  EXPECT_EQ(sub.path(), t / "spool" / "sub");
  make_dir(t / "spool" / "theirs", 0700);
  ASSERT_EQ(::chown((t / "spool" / "theirs").c_str(), kNobody, kNobody), 0);
  std::string msg = message_of([&] { d.subdir("theirs"); });
  EXPECT_NE(msg.find((t / "spool" / "theirs").string()), std::string::npos) << msg;
  make_dir(t / "elsewhere", 0700);
  stdfs::create_directory_symlink(t / "elsewhere", t / "spool" / "link");
  msg = message_of([&] { d.subdir("link"); });
  EXPECT_NE(msg.find("symbolic link"), std::string::npos) << msg;
  stdfs::create_directory_symlink(t / "elsewhere", t / "link");
  EXPECT_EQ(code_of([&] { PrivateDir::open(t / "link"); }), Errc::invalid_argument);
  write_text(t / "file", "x");
  EXPECT_EQ(code_of([&] { PrivateDir::open(t / "file"); }), Errc::invalid_argument);
}

TEST(PrivateDirTest, AnArchiveWrittenAndReadBackByDescriptor) {
  srsfs::test::TempDir t;
  PrivateDir spool = PrivateDir::open(t / "spool");
  UniqueFd fd = spool.create_file("scan-1.srs");
  UniqueFd for_reader(::dup(fd.get()));
  ASSERT_TRUE(for_reader);
  codec::ScanManifest m;
  m.blob_count = 1;
  {
    codec::ArchiveWriter w(std::move(fd), spool.path() / "scan-1.srs");
    w.put_model(codec::ScanModel{});
    w.put_blob(0, Bytes{1, 2, 3, 4});
    w.finish(m);
  }
  codec::ArchiveReader r(std::move(for_reader), spool.path() / "scan-1.srs");
  EXPECT_EQ(r.blob(0), (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(r.manifest().blob_count, 1u);
  std::optional<UniqueFd> again = spool.open_file("scan-1.srs");
  ASSERT_TRUE(again);
  codec::ArchiveReader r2(std::move(*again), "scan-1.srs");
  EXPECT_EQ(r2.blob(0), (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(spool.list(), std::vector<std::string>{"scan-1.srs"});
}

TEST(StoreLockWait, ASecondOpenWaitsTheBoundedTimeThenNamesTheHolder) {
  srsfs::test::TempDir t;
  auto first = Store::open(t / "store");
  StoreOptions o;
  o.lock_wait = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  std::string msg = message_of([&] { Store::open(t / "store", o); });
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(300));
  EXPECT_NE(msg.find("already open for writing"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("pid {}", ::getpid())), std::string::npos) << msg;
  EXPECT_NE(msg.find("waited"), std::string::npos) << msg;
  EXPECT_EQ(code_of([&] { Store::open(t / "store"); }), Errc::io);  // no wait asked: at once
}

TEST(StoreLockWait, ASecondOpenSucceedsWhenTheFirstClosesDuringTheWait) {
  srsfs::test::TempDir t;
  auto first = Store::open(t / "store");
  write_scan(*first, "scan_1", 2, 100, 1);
  StoreOptions o;
  o.lock_wait = std::chrono::seconds(60);  // bounded, and far longer than the close below takes
  auto second = std::async(std::launch::async, [&] { return Store::open(t / "store", o); });
  // Give the second open a chance to start waiting (it succeeds whether or not it did).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  first.reset();
  std::unique_ptr<Store> s = second.get();
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->find_scan("scan_1"));
}

}  // namespace
}  // namespace srsfs::fs
