#include "fs/store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/lmdb_env.h"
#include "fs/store_keys.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {

using test::block_bytes;
using test::file_record;
using test::write_scan;

using test::code_of;

TEST(StoreRecords, RoundTripEveryRecord) {
  ScanRecord s{7, "a/b", ScanState::compressing, 3, 100, 50, 1700000000, 12, {1, 2, 3}};
  EXPECT_EQ(decode_scan(encode(s)), s);
  FileRecord f = file_record("a/b/x.tif", 4242);
  f.scan_id = 7;
  f.ino = 99;
  EXPECT_EQ(decode_file(f.path, encode(f)), f);
  ModelRecord m{5, {4, 5, 6}, R"({"trained_on":"scan 7"})", 2, 1700000001};
  EXPECT_EQ(decode_model(encode(m)), m);
  Bytes bad = encode(m);
  bad.pop_back();
  EXPECT_EQ(code_of([&] { decode_model(bad); }), Errc::corrupt);
}

TEST(StoreKeys, PathsAndDirectoryKeys) {
  EXPECT_EQ(keys::normalize_path("a/b/", "x"), "a/b");
  EXPECT_EQ(code_of([] { keys::normalize_path("/abs", "x"); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([] { keys::normalize_path("a/../b", "x"); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([] { keys::normalize_path("a//b", "x"); }), Errc::invalid_argument);
  EXPECT_EQ(keys::path_of_file_key(keys::file_key("a/b/c.tif")), "a/b/c.tif");
  EXPECT_EQ(keys::path_of_file_key(keys::file_key("c.tif")), "c.tif");
}

TEST(Store, ScanFilesAndModelsRoundTrip) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  uint64_t model = store->put_model(Bytes{1, 2, 3, 4}, R"({"src":"test"})");
  ScanWriter w = store->begin_scan("beam/scan_001", model, Bytes{42, 43});
  for (uint32_t i = 0; i < 5; ++i) w.put_block(4 - i, block_bytes("s1", 4 - i, 1000 + i));
  FileRecord f = file_record("beam/scan_001/frame_0.tif", 123);
  f.ino = 0;
  ScanRecord rec = w.commit({f, file_record("beam/scan_001/frame_1.tif")}, 5555);
  EXPECT_EQ(rec.state, ScanState::compressed);
  EXPECT_EQ(rec.blocks, 5u);

  auto got = store->get_scan(rec.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, rec);
  EXPECT_EQ(got->codec_header, (Bytes{42, 43}));
  EXPECT_EQ(got->raw_bytes, 5555u);
  EXPECT_EQ(got->model_id, model);
  ASSERT_TRUE(store->find_scan("beam/scan_001"));
  EXPECT_EQ(store->find_scan("beam/scan_001")->id, rec.id);
  EXPECT_FALSE(store->find_scan("beam/scan_002"));
  EXPECT_EQ(store->list_scans().size(), 1u);

  auto file = store->get_file("beam/scan_001/frame_0.tif");
  ASSERT_TRUE(file);
  f.scan_id = rec.id;
  f.ino = file->ino;
  EXPECT_NE(file->ino, 0u);
  EXPECT_EQ(*file, f);
  EXPECT_EQ(store->get_file_by_ino(file->ino)->path, f.path);
  EXPECT_FALSE(store->get_file("beam/scan_001/nope.tif"));

  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(store->get_block(rec.id, i), block_bytes("s1", i, 1000 + (4 - i)));
  EXPECT_EQ(code_of([&] { store->get_block(rec.id, 5); }), Errc::not_found);

  auto m = store->get_model(model);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->params, (Bytes{1, 2, 3, 4}));
  EXPECT_EQ(m->provenance_json, R"({"src":"test"})");
  EXPECT_EQ(m->refcount, 1u);
  EXPECT_EQ(store->list_models().size(), 1u);

  store->set_state(rec.id, ScanState::queued);
  EXPECT_EQ(store->get_scan(rec.id)->state, ScanState::queued);
  EXPECT_TRUE(store->check().ok());

  // Everything survives a reopen.
  store.reset();
  store = Store::open(dir.path());
  EXPECT_EQ(store->get_file("beam/scan_001/frame_1.tif")->scan_id, rec.id);
  EXPECT_EQ(store->get_block(rec.id, 3), block_bytes("s1", 3, 1001));
  auto report = store->check();
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_EQ(report.blocks, 5u);
  EXPECT_EQ(report.files, 2u);
}

TEST(Store, ListDirIsOneLevelAndContiguous) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  write_scan(*store, "d", 1, 10, 3);
  write_scan(*store, "d/sub", 1, 10, 2);
  write_scan(*store, "d.x", 1, 10, 2);  // '.' sorts between '\0' and '/': must not leak into "d"
  write_scan(*store, "c", 1, 10, 1);
  auto d = store->list_dir("d");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].path, "d/f0000.tif");
  EXPECT_EQ(d[2].path, "d/f0002.tif");
  EXPECT_EQ(store->list_dir("d/sub").size(), 2u);
  EXPECT_EQ(store->list_dir("d/").size(), 3u);
  EXPECT_TRUE(store->list_dir("e").empty());
  EXPECT_TRUE(store->list_dir("").empty());
}

TEST(Store, DeleteAndRenameRemoveScanWithLastFile) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  uint64_t model = store->put_model(Bytes{1}, "{}");
  ScanRecord a = write_scan(*store, "a", 3, 100, 2, model);
  ScanRecord b = write_scan(*store, "b", 2, 100, 1, model);
  EXPECT_EQ(store->get_model(model)->refcount, 2u);
  EXPECT_EQ(code_of([&] { store->delete_model(model); }), Errc::invalid_argument);

  uint64_t ino = store->get_file("a/f0000.tif")->ino;
  store->rename_file("a/f0000.tif", "elsewhere/moved.tif");
  EXPECT_FALSE(store->get_file("a/f0000.tif"));
  auto moved = store->get_file("elsewhere/moved.tif");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->ino, ino);
  EXPECT_EQ(store->get_file_by_ino(ino)->path, "elsewhere/moved.tif");
  EXPECT_EQ(store->list_dir("elsewhere").size(), 1u);

  // Renaming onto b's only file replaces it: scan b goes away with its blocks.
  store->rename_file("a/f0001.tif", "b/f0000.tif");
  EXPECT_FALSE(store->get_scan(b.id));
  EXPECT_EQ(code_of([&] { store->get_block(b.id, 0); }), Errc::not_found);
  EXPECT_EQ(store->get_file("b/f0000.tif")->scan_id, a.id);
  EXPECT_EQ(store->get_model(model)->refcount, 1u);

  store->delete_file("elsewhere/moved.tif");
  EXPECT_TRUE(store->get_scan(a.id));
  EXPECT_EQ(code_of([&] { store->delete_file("elsewhere/moved.tif"); }), Errc::not_found);
  store->delete_file("b/f0000.tif");  // a's last file
  EXPECT_FALSE(store->get_scan(a.id));
  EXPECT_FALSE(store->find_scan("a"));
  EXPECT_TRUE(store->blobs().scans().empty());
  EXPECT_EQ(store->get_model(model)->refcount, 0u);
  store->delete_model(model);
  EXPECT_FALSE(store->get_model(model));
  auto report = store->check();
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

TEST(Store, CommitReplacingSwapsScanAndKeepsInodes) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  uint64_t m1 = store->put_model(Bytes{1}, "{}"), m2 = store->put_model(Bytes{2}, "{}");
  ScanRecord old = write_scan(*store, "s", 4, 100, 3, m1);
  uint64_t ino = store->get_file("s/f0001.tif")->ino;
  // A second scan of the same directory must replace, not duplicate.
  EXPECT_EQ(code_of([&] { write_scan(*store, "s", 1, 10, 1); }), Errc::invalid_argument);

  ScanWriter w = store->begin_scan("s", m2, Bytes{5});
  for (uint32_t i = 0; i < 2; ++i) w.put_block(i, block_bytes("new", i, 50));
  ScanRecord neu = w.commit_replacing(old.id, {file_record("s/f0000.tif"), file_record("s/f0001.tif")}, 1);
  EXPECT_FALSE(store->get_scan(old.id));
  EXPECT_EQ(store->find_scan("s")->id, neu.id);
  EXPECT_EQ(store->get_file("s/f0001.tif")->ino, ino);
  EXPECT_EQ(store->get_file("s/f0001.tif")->scan_id, neu.id);
  EXPECT_FALSE(store->get_file("s/f0002.tif"));
  EXPECT_EQ(store->get_model(m1)->refcount, 0u);
  EXPECT_EQ(store->get_model(m2)->refcount, 1u);
  EXPECT_EQ(code_of([&] { store->get_block(old.id, 0); }), Errc::not_found);
  EXPECT_EQ(store->get_block(neu.id, 1), block_bytes("new", 1, 50));
  auto report = store->check();
  EXPECT_TRUE(report.ok()) << report.problems.front();
}

TEST(Store, WriterWithoutCommitLeavesNothing) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  uint64_t id = 0;
  {
    ScanWriter w = store->begin_scan("gone", 0, {});
    id = w.scan_id();
    for (uint32_t i = 0; i < 10; ++i) w.put_block(i, block_bytes("g", i, 4096));
    w.flush();
    EXPECT_EQ(store->blobs().list(id).size(), 10u);
    EXPECT_FALSE(store->check().notes.empty());  // pending, not a problem
    EXPECT_TRUE(store->check().ok());
  }
  EXPECT_TRUE(store->blobs().list(id).empty());
  EXPECT_FALSE(store->get_scan(id));
  auto report = store->check();
  EXPECT_TRUE(report.ok());
  EXPECT_TRUE(report.notes.empty());
}

TEST(Store, RefusesBadCommits) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  EXPECT_EQ(code_of([&] { store->begin_scan("x", 77, {}); }), Errc::not_found);  // no such model
  ScanWriter w = store->begin_scan("x", 0, {});
  w.put_block(0, Bytes{1});
  w.put_block(2, Bytes{1});  // block 1 missing
  EXPECT_EQ(code_of([&] { w.commit({file_record("x/a")}, 1); }), Errc::invalid_argument);
  w.put_block(1, Bytes{1});
  EXPECT_EQ(code_of([&] { w.commit({}, 1); }), Errc::invalid_argument);
  w.commit({file_record("x/a")}, 1);
  EXPECT_EQ(code_of([&] { w.commit({file_record("x/b")}, 1); }), Errc::invalid_argument);
}

TEST(Store, CorruptBlockIsDetected) {
  srsfs::test::TempDir dir;
  uint64_t id = 0;
  {
    auto store = Store::open(dir.path());
    id = write_scan(*store, "c", 3, 5000, 1).id;
  }
  {  // Damage block 1 behind the store's back, straight through LMDB.
    lmdb::Env env(dir.path(), {});
    lmdb::Txn txn(env.get(), false);
    lmdb::Dbi blocks = env.open_dbi(txn, "blocks");
    auto key = keys::block(id, 1);
    ByteSpan k{key.data(), key.size()};
    Bytes v(txn.get(blocks, k)->begin(), txn.get(blocks, k)->end());
    v[100] ^= 0x40;
    txn.put(blocks, k, v);
    txn.commit();
  }
  auto store = Store::open(dir.path());
  EXPECT_EQ(store->get_block(id, 0), block_bytes("c", 0, 5000));
  EXPECT_EQ(code_of([&] { store->get_block(id, 1); }), Errc::corrupt);
  auto report = store->check();
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("block 1 of scan"), std::string::npos) << report.problems[0];
}

TEST(Store, RefusesNewerSchema) {
  srsfs::test::TempDir dir;
  Store::open(dir.path()).reset();
  {
    lmdb::Env env(dir.path(), {});
    lmdb::Txn txn(env.get(), false);
    lmdb::Dbi meta = env.open_dbi(txn, "meta");
    Bytes v;
    ByteWriter(v).u32(kStoreSchemaVersion + 1);
    txn.put(meta, keys::schema, v);
    txn.commit();
  }
  try {
    Store::open(dir.path());
    FAIL() << "opened a newer schema";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("upgrade srsfs"), std::string::npos) << e.what();
  }
}

TEST(Store, OneWriterProcessReadOnlyBeside) {
  srsfs::test::TempDir dir;
  EXPECT_EQ(code_of([&] { Store::open(dir / "missing", {.read_only = true}); }), Errc::not_found);
  auto store = Store::open(dir.path());
  write_scan(*store, "r", 2, 10, 2);
  EXPECT_EQ(code_of([&] { Store::open(dir.path()); }), Errc::io);  // flock held
  // LMDB forbids one process opening an environment twice, so the read-only view comes after the writer.
  store.reset();
  StoreOptions ro;
  ro.read_only = true;
  auto reader = Store::open(dir.path(), ro);
  EXPECT_EQ(reader->list_dir("r").size(), 2u);
  EXPECT_EQ(code_of([&] { reader->put_model(Bytes{}, "{}"); }), Errc::invalid_argument);
  EXPECT_TRUE(reader->check().ok());
}

TEST(Store, MapGrowsFromTinyToHundredsOfMegabytes) {
  srsfs::test::TempDir dir;
  StoreOptions opts;
  opts.initial_map_bytes = 1 << 20;
  opts.write_batch_bytes = 16 << 20;
  auto store = Store::open(dir.path(), opts);
  const size_t block = (1 << 20) + 123;
  std::vector<ScanRecord> scans;
  for (int s = 0; s < 4; ++s) scans.push_back(write_scan(*store, "g" + std::to_string(s), 30, block, 3));  // ~126 MB
  EXPECT_GE(store->map_bytes(), uint64_t(128) << 20);
  for (const ScanRecord& s : scans)
    for (uint32_t i = 0; i < 30; i += 7) EXPECT_EQ(store->get_block(s.id, i), block_bytes(s.path, i, block));
  store.reset();
  store = Store::open(dir.path(), opts);  // reopening with a smaller configured map adopts the file's size
  auto report = store->check();
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.blocks, 120u);
}

}  // namespace
}  // namespace srsfs::fs

namespace srsfs::fs {
namespace {

// Numbers the store invents must not collide with a kept (raw st_ino) number of the same commit or an
// earlier one: a scan of raw files with inodes 5 and 6 plus a file needing a number once failed to commit.
TEST(StoreInodes, AssignedNumbersNeverCollideWithKeptOnes) {
  srsfs::test::TempDir dir;
  auto store = Store::open(dir.path());
  {
    ScanWriter w = store->begin_scan("a", 0, {});
    w.put_block(0, block_bytes("a", 0, 10));
    FileRecord f = file_record("a/x.tif");
    f.ino = 5;
    w.commit({f}, 10);
  }
  ScanWriter w = store->begin_scan("b", 0, {});
  w.put_block(0, block_bytes("b", 0, 10));
  FileRecord needs = file_record("b/needs.tif");
  needs.ino = 0;
  FileRecord kept = file_record("b/kept.tif");
  kept.ino = 6;
  w.commit({needs, kept}, 20);
  EXPECT_EQ(store->get_file("b/kept.tif")->ino, 6u);
  const uint64_t assigned = store->get_file("b/needs.tif")->ino;
  EXPECT_GE(assigned, uint64_t(1) << 62);
  EXPECT_EQ(store->get_file_by_ino(assigned)->path, "b/needs.tif");
  EXPECT_TRUE(store->check().ok());
}

}  // namespace
}  // namespace srsfs::fs

namespace srsfs::fs {
namespace {

// `srsfs-admin retrain` on a live mount: a second process writes beside the daemon that holds the lock. The
// owner here is a forked child (LMDB forbids one process opening an environment twice); it keeps a scan in
// progress, whose pending blocks the second writer must leave alone.
TEST(StoreBeside, SecondWriterProcessWorksBesideTheOwner) {
  srsfs::test::TempDir dir;
  int to_parent[2], to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the daemon's side
    int rc = 1;
    try {
      auto owner = Store::open(dir.path());
      write_scan(*owner, "done", 2, 100, 2);
      ScanWriter pending = owner->begin_scan("in_progress", 0, {});
      pending.put_block(0, block_bytes("p", 0, 100));
      pending.flush();
      char c = 'r';
      if (::write(to_parent[1], &c, 1) == 1 && ::read(to_child[0], &c, 1) == 1) {
        pending.commit({file_record("in_progress/a.tif")}, 100);
        rc = owner->check().ok() && owner->list_models().size() == 1 ? 0 : 2;
      }
    } catch (...) {
      rc = 3;
    }
    ::_exit(rc);
  }
  char c;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  {
    StoreOptions beside;
    beside.beside_daemon = true;
    auto second = Store::open(dir.path(), beside);
    EXPECT_EQ(second->list_dir("done").size(), 2u);
    const uint64_t id = second->put_model(Bytes{1, 2, 3}, R"({"source":"test"})");
    second->set_current_model(id);
    EXPECT_EQ(second->current_model(), id);
  }
  c = 'c';
  ASSERT_EQ(::write(to_child[1], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "owner status " << status;
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) ::close(fd);
  StoreOptions ro;
  ro.read_only = true;
  auto after = Store::open(dir.path(), ro);
  EXPECT_EQ(after->list_dir("in_progress").size(), 1u) << "the owner's pending scan survived the second writer";
  EXPECT_TRUE(after->check().ok());
}

}  // namespace
}  // namespace srsfs::fs
