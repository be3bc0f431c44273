// meta/env_vfs: SQLite's file data goes through the Env (so FaultEnv reaches
// it), its errors come back as the right Status, and the locks stay real.
#define BOOST_TEST_MODULE engine_meta_vfs
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits>

#include "meta/db.h"
#include "util/fault_env.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

std::unique_ptr<meta::Db> MustOpen(const std::string& path, Env* env, bool create = true) {
  auto db = meta::Db::Open(path, create, 5000, env);
  BOOST_REQUIRE_MESSAGE(db, "open " << path << ": " << (db ? "" : db.error().ToString()));
  return std::move(*db);
}

int64_t Count(meta::Db* db) {
  auto st = db->Prepare("SELECT count(*) FROM t");
  BOOST_REQUIRE(st);
  auto row = st->Step();
  BOOST_REQUIRE(row && *row);
  return st->Int(0);
}

// Arms a fault that never fires, to count calls on one file.
void CountCalls(FaultEnv& env, Fault::Op op, const std::string& suffix) {
  Fault f;
  f.op = op;
  f.nth = std::numeric_limits<uint64_t>::max();
  f.path_suffix = suffix;
  env.Arm(f);
}

BOOST_AUTO_TEST_CASE(file_io_goes_through_the_env) {
  TempDir dir;
  FaultEnv env;
  const std::string path = dir.Sub("t.db");
  auto db = MustOpen(path, &env);
  BOOST_REQUIRE(db->Exec("CREATE TABLE t(x)").ok());
  CountCalls(env, Fault::Op::kPWrite, "/t.db-wal");
  BOOST_REQUIRE(db->Exec("INSERT INTO t VALUES(1)").ok());
  BOOST_CHECK_GT(env.matched_count(), 0u);
  CountCalls(env, Fault::Op::kSync, "/t.db-wal");
  BOOST_REQUIRE(db->Exec("INSERT INTO t VALUES(2)").ok());
  BOOST_CHECK_EQUAL(env.matched_count(), 1u);  // synchronous=FULL: one WAL sync per commit
  CountCalls(env, Fault::Op::kSync, "/t.db");
  BOOST_REQUIRE(db->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  BOOST_CHECK_GT(env.matched_count(), 0u);  // the checkpoint synced the database file
  BOOST_CHECK_EQUAL(Count(db.get()), 2);
  // A missing database is NotFound without create, as with the default VFS.
  auto missing = meta::Db::Open(dir.Sub("none.db"), false, 1000, &env);
  BOOST_REQUIRE(!missing);
  BOOST_CHECK(missing.error().IsNotFound());
}

BOOST_AUTO_TEST_CASE(env_errors_become_sqlite_errors_and_back) {
  TempDir dir;
  FaultEnv env;
  auto db = MustOpen(dir.Sub("t.db"), &env);
  BOOST_REQUIRE(db->Exec("CREATE TABLE t(x)").ok());
  Fault f;
  f.op = Fault::Op::kPWrite;
  f.path_suffix = "/t.db-wal";
  f.status = Status::NoSpace("injected ENOSPC");
  env.Arm(f);
  Status s = db->Exec("INSERT INTO t VALUES(1)");
  BOOST_CHECK_MESSAGE(s.code() == Status::Code::kNoSpace, s.ToString());  // SQLITE_FULL
  f.op = Fault::Op::kSync;
  f.status = Status::IOError("injected EIO");
  env.Arm(f);
  s = db->Exec("INSERT INTO t VALUES(2)");
  BOOST_CHECK_MESSAGE(s.code() == Status::Code::kIOError, s.ToString());  // SQLITE_IOERR_FSYNC
  (void)db->Exec("ROLLBACK");
  BOOST_CHECK_EQUAL(Count(db.get()), 0);
}

// A commit is durable once SQLite returns: a power loss keeps it, and drops
// one whose WAL sync failed.
BOOST_AUTO_TEST_CASE(power_loss_keeps_commits_and_drops_failed_ones) {
  TempDir dir;
  FaultEnv env;
  const std::string path = dir.Sub("t.db");
  auto db = MustOpen(path, &env);
  BOOST_REQUIRE(db->Exec("CREATE TABLE t(x)").ok());
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE(db->Exec("INSERT INTO t VALUES(randomblob(3000))").ok());
  Fault f;
  f.op = Fault::Op::kSync;
  f.path_suffix = "/t.db-wal";
  f.crash = true;
  env.Arm(f);
  BOOST_CHECK(!db->Exec("INSERT INTO t VALUES(randomblob(3000))").ok());
  db.reset();
  BOOST_REQUIRE(env.SimulatePowerLoss().ok());
  db = MustOpen(path, nullptr, false);
  BOOST_CHECK_EQUAL(Count(db.get()), 5);
  auto st = db->Prepare("PRAGMA integrity_check");
  BOOST_REQUIRE(st);
  auto row = st->Step();
  BOOST_REQUIRE(row && *row);
  BOOST_CHECK_EQUAL(st->Text(0), "ok");
}

// True if another process holds a lock on the byte range SQLite's SHARED lock
// uses (fcntl locks are per process: ask from a child).
bool OtherProcessSeesSharedLock(const std::string& path) {
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    int fd = open(path.c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = 0x40000002;  // SHARED_FIRST
    fl.l_len = 510;           // SHARED_SIZE
    if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0) _exit(2);
    _exit(fl.l_type == F_UNLCK ? 0 : 1);
  }
  int status = 0;
  BOOST_REQUIRE(waitpid(pid, &status, 0) == pid);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) != 2);
  return WEXITSTATUS(status) == 1;
}

// POSIX drops every fcntl lock a process holds on a file when it closes any
// descriptor of it: closing one connection's Env file must not take away the
// SHARED lock another connection holds (in WAL mode, for as long as it is
// open), or another process could delete the WAL under it.
BOOST_AUTO_TEST_CASE(closing_one_connection_keeps_the_locks_of_the_others) {
  TempDir dir;
  const std::string path = dir.Sub("t.db");
  auto a = MustOpen(path, Env::Default());
  BOOST_REQUIRE(a->Exec("CREATE TABLE t(x)").ok());
  BOOST_REQUIRE(a->Exec("INSERT INTO t VALUES(1)").ok());
  BOOST_REQUIRE(OtherProcessSeesSharedLock(path));
  for (int i = 0; i < 3; ++i) {
    auto b = MustOpen(path, Env::Default(), false);
    BOOST_CHECK_EQUAL(Count(b.get()), 1);
  }
  BOOST_CHECK_MESSAGE(OtherProcessSeesSharedLock(path),
                      "closing a connection dropped another connection's lock");
  BOOST_CHECK_EQUAL(Count(a.get()), 1);
  a.reset();
  BOOST_CHECK(!OtherProcessSeesSharedLock(path));
}

}  // namespace
}  // namespace seglake::testing
