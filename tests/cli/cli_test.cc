// Runs the real `seglake` admin command on a temporary data dir, the way a
// user would, and checks what it stores, prints and exits with.
#define BOOST_TEST_MODULE cli
#include <openssl/evp.h>
#include <signal.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "seglake/engine.h"
#include "subprocess.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

using nlohmann::json;

struct IgnoreSigpipe {
  IgnoreSigpipe() { signal(SIGPIPE, SIG_IGN); }
};
BOOST_TEST_GLOBAL_FIXTURE(IgnoreSigpipe);

std::string SeglakeBinary() {
  const char* dir = std::getenv("SEGLAKE_BIN_DIR");
  BOOST_TEST_REQUIRE(dir != nullptr, "SEGLAKE_BIN_DIR is not set");
  std::string path = std::string(dir) + "/engine/tools/seglake";
  BOOST_TEST_REQUIRE(std::filesystem::exists(path), path << " does not exist");
  return path;
}

std::string Md5Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  BOOST_TEST_REQUIRE(EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr) == 1);
  std::ostringstream hex;
  for (unsigned int i = 0; i < len; ++i) {
    hex << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(md[i]);
  }
  return hex.str();
}

uint64_t Seed() {
  if (const char* s = std::getenv("SEGLAKE_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot open " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  BOOST_TEST_REQUIRE(out.good(), "cannot write " << path);
}

std::string Join(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

// A scratch dir, a data dir inside it, and helpers to run `seglake` on it.
// The user's SEGLAKE_* environment never leaks into the runs.
struct Cli {
  TempDir tmp;
  std::string bin = SeglakeBinary();
  std::string data = tmp.Sub("data");

  RunResult Raw(const std::vector<std::string>& args, RunOptions opts = {}) {
    for (const char* v : {"SEGLAKE_DATA_DIR", "SEGLAKE_JSON"}) {
      if (!opts.env.contains(v)) opts.env[v] = std::nullopt;
    }
    std::vector<std::string> argv = {bin};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, opts, tmp.path());
  }
  // With --data-dir.
  RunResult Run(const std::vector<std::string>& args, RunOptions opts = {}) {
    std::vector<std::string> full = {"--data-dir", data};
    full.insert(full.end(), args.begin(), args.end());
    return Raw(full, std::move(opts));
  }
  // Must succeed; returns standard output.
  std::string Ok(const std::vector<std::string>& args, RunOptions opts = {}) {
    RunResult r = Run(args, std::move(opts));
    BOOST_TEST_REQUIRE(r.exit_code == 0,
                       "seglake " << Join(args) << " exited " << r.exit_code << ": " << r.err);
    return r.out;
  }
  // With --json; must succeed and print one JSON document.
  json Json(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--json"};
    full.insert(full.end(), args.begin(), args.end());
    std::string out = Ok(full);
    json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
    BOOST_TEST_REQUIRE(!j.is_discarded(), "seglake " << Join(full) << " printed non-JSON: " << out);
    return j;
  }
  // Must fail with `code`; returns standard error.
  std::string Fails(int code, const std::vector<std::string>& args, RunOptions opts = {}) {
    RunResult r = Run(args, std::move(opts));
    BOOST_TEST(r.exit_code == code, "seglake " << Join(args) << " exited " << r.exit_code
                                               << " (expected " << code << "); stderr: " << r.err
                                               << "; stdout: " << r.out);
    return r.err;
  }
  std::string File(const std::string& name, const std::string& contents) {
    std::string path = tmp.Sub(name);
    WriteFile(path, contents);
    return path;
  }
};

std::set<std::string> Keys(const json& listing, const char* field) {
  std::set<std::string> keys;
  for (const json& o : listing.at(field)) keys.insert(o.at("key").get<std::string>());
  return keys;
}

std::set<std::string> Strings(const json& array) {
  std::set<std::string> out;
  for (const json& s : array) out.insert(s.get<std::string>());
  return out;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One JSON document printed by a run, whatever its exit code.
json ParseDoc(const RunResult& r) {
  json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  BOOST_TEST_REQUIRE(!j.is_discarded(), "printed non-JSON: " << r.out << "; stderr: " << r.err);
  return j;
}

// The segment file holding the most bytes: the one a large put wrote.
std::string LargestSegment(const std::string& data_dir) {
  std::string best;
  uintmax_t best_size = 0;
  for (const auto& e : std::filesystem::directory_iterator(data_dir + "/segments")) {
    if (e.path().extension() != ".seg") continue;
    if (best.empty() || e.file_size() > best_size) {
      best = e.path().string();
      best_size = e.file_size();
    }
  }
  BOOST_TEST_REQUIRE(!best.empty(), "no segment in " << data_dir);
  return best;
}

// Whether some problem in a fsck or scrub report names bucket/key.
bool NamesKey(const json& report, const std::string& bucket, const std::string& key) {
  for (const json& p : report.at("problems")) {
    if (p.at("bucket") == bucket && p.at("key") == key) return true;
  }
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(usage)

BOOST_AUTO_TEST_CASE(missing_data_dir_names_the_flag) {
  Cli cli;
  RunResult r = cli.Raw({"status"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Contains(r.err, "seglake: status: "), r.err);
  BOOST_TEST(Contains(r.err, "--data-dir"), r.err);
  BOOST_TEST(Contains(r.err, "SEGLAKE_DATA_DIR"), r.err);
}

BOOST_AUTO_TEST_CASE(unknown_command_prints_usage) {
  Cli cli;
  std::string err = cli.Fails(2, {"frobnicate"});
  BOOST_TEST(Contains(err, "frobnicate"), err);
  BOOST_TEST(Contains(err, "usage:"), err);
  RunResult none = cli.Raw({});
  BOOST_TEST(none.exit_code == 2);
  BOOST_TEST(Contains(none.err, "usage:"), none.err);
}

BOOST_AUTO_TEST_CASE(unknown_option_is_named) {
  Cli cli;
  std::string err = cli.Fails(2, {"ls", "b", "--bogus-flag"});
  BOOST_TEST(Contains(err, "seglake: ls: "), err);
  BOOST_TEST(Contains(err, "--bogus-flag"), err);
  err = cli.Fails(2, {"get", "b", "k", "--version-id"});
  BOOST_TEST(Contains(err, "--version-id"), err);
  err = cli.Fails(2, {"mv", "b", "x", "y", "--prefix=z"});  // a switch in mv
  BOOST_TEST(Contains(err, "--prefix"), err);
  err = cli.Fails(2, {"ls", "b", "--page-size", "0"});
  BOOST_TEST(Contains(err, "--page-size"), err);
}

BOOST_AUTO_TEST_CASE(wrong_operand_count) {
  Cli cli;
  std::string err = cli.Fails(2, {"put", "only-bucket"});
  BOOST_TEST(Contains(err, "seglake: put: "), err);
  err = cli.Fails(2, {"bucket"});
  BOOST_TEST(Contains(err, "seglake: bucket: "), err);
  err = cli.Fails(2, {"bucket", "explode", "x"});
  BOOST_TEST(Contains(err, "explode"), err);
  err = cli.Fails(2, {"bucket", "versioning", "x", "sideways"});
  BOOST_TEST(Contains(err, "sideways"), err);
}

BOOST_AUTO_TEST_CASE(help_and_version) {
  Cli cli;
  RunResult help = cli.Raw({"--help"});
  BOOST_TEST(help.exit_code == 0);
  for (const char* word :
       {"status", "bucket", "put", "get", "head", "ls", "rm", "cp", "mv", "rebuild-index", "fsck",
        "scrub", "snapshot", "mpu-gc", "maintenance", "--data-dir", "--json"}) {
    BOOST_TEST(Contains(help.out, word), "--help does not mention " << word);
  }
  RunResult put_help = cli.Raw({"put", "--help"});
  BOOST_TEST(put_help.exit_code == 0);
  BOOST_TEST(Contains(put_help.out, "put BUCKET KEY"), put_help.out);
  RunResult version = cli.Raw({"--version"});
  BOOST_TEST(version.exit_code == 0);
  BOOST_TEST(version.out.rfind("seglake ", 0) == 0, version.out);
}

// Only `bucket create` initializes a data dir: a mistyped --data-dir must not
// quietly become a new, empty one.
BOOST_AUTO_TEST_CASE(only_bucket_create_initializes_a_data_dir) {
  Cli cli;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status"}, {"bucket", "list"}, {"ls", "b"}, {"rebuild-index"}}) {
    std::string err = cli.Fails(2, args);
    BOOST_TEST(Contains(err, cli.data), err);
  }
  BOOST_TEST(!std::filesystem::exists(cli.data));
  // An existing directory that is not a data dir is not initialized either.
  std::filesystem::create_directory(cli.data);
  std::string err = cli.Fails(2, {"put", "b", "k", cli.File("f", "x")});
  BOOST_TEST(Contains(err, "bucket create"), err);
  BOOST_TEST(std::filesystem::is_empty(cli.data));
  // bucket create initializes it.
  cli.Ok({"bucket", "create", "b"});
  BOOST_TEST(std::filesystem::exists(cli.data + "/meta.db"));
  BOOST_TEST(cli.Json({"status"}).at("buckets").get<uint64_t>() == 1u);
}

BOOST_AUTO_TEST_CASE(environment_twins) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  RunOptions env;
  env.env["SEGLAKE_DATA_DIR"] = cli.data;
  env.env["SEGLAKE_JSON"] = "1";
  RunResult r = cli.Raw({"bucket", "list"}, env);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  json j = json::parse(r.out, nullptr, false);
  BOOST_TEST_REQUIRE(!j.is_discarded(), r.out);
  BOOST_TEST(j.at("buckets").size() == 1u);
  env.env["SEGLAKE_JSON"] = "maybe";
  r = cli.Raw({"bucket", "list"}, env);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(Contains(r.err, "SEGLAKE_JSON"), r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(objects)

BOOST_AUTO_TEST_CASE(buckets) {
  Cli cli;
  cli.Ok({"bucket", "create", "alpha", "--region", "eu-west-1"});
  cli.Ok({"bucket", "create", "beta"});
  json list = cli.Json({"bucket", "list"});
  std::set<std::string> names;
  for (const json& b : list.at("buckets")) names.insert(b.at("name").get<std::string>());
  BOOST_TEST((names == std::set<std::string>{"alpha", "beta"}));
  for (const json& b : list.at("buckets")) {
    if (b.at("name") == "alpha") BOOST_TEST(b.at("region").get<std::string>() == "eu-west-1");
  }
  std::string table = cli.Ok({"bucket", "list"});
  BOOST_TEST(Contains(table, "alpha"));
  BOOST_TEST(Contains(table, "beta"));

  std::string err = cli.Fails(1, {"bucket", "create", "alpha"});  // exists
  BOOST_TEST(Contains(err, "seglake: bucket create: "), err);

  cli.Ok({"put", "beta", "k", cli.File("k", "x")});
  err = cli.Fails(1, {"bucket", "delete", "beta"});  // not empty
  BOOST_TEST(Contains(err, "seglake: bucket delete: "), err);
  cli.Ok({"bucket", "delete", "alpha"});
  cli.Fails(1, {"bucket", "delete", "alpha"});
  list = cli.Json({"bucket", "list"});
  BOOST_TEST(list.at("buckets").size() == 1u);
  BOOST_TEST(cli.Json({"status"}).at("buckets").get<uint64_t>() == 1u);
}

BOOST_AUTO_TEST_CASE(put_get_head_ls_rm_mv_rebuild) {
  Cli cli;
  const uint64_t seed = Seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (set SEGLAKE_SEED to repeat)");
  const std::string big = RandomBytes(3 << 20, seed);
  const std::string big_path = cli.File("big.bin", big);
  const std::string big_md5 = Md5Hex(big);

  cli.Ok({"bucket", "create", "photos"});
  json put = cli.Json({"put", "photos", "dir/a.bin", big_path});
  BOOST_TEST(put.at("etag").get<std::string>() == big_md5);
  BOOST_TEST(put.at("size").get<uint64_t>() == big.size());
  // The table form prints the ETag too.
  std::string put_table = cli.Ok({"put", "photos", "dir/a2.bin", big_path});
  BOOST_TEST(Contains(put_table, big_md5), put_table);
  cli.Ok({"rm", "photos", "dir/a2.bin"});

  // get: to a file and to standard output.
  const std::string out_path = cli.tmp.Sub("out.bin");
  cli.Ok({"get", "photos", "dir/a.bin", "-o", out_path});
  BOOST_TEST((ReadFile(out_path) == big), "get -o returned different bytes");
  BOOST_TEST((cli.Ok({"get", "photos", "dir/a.bin"}) == big), "get to stdout differs");
  cli.Ok({"get", "photos", "dir/a.bin", "--output=" + out_path + ".2"});
  BOOST_TEST((ReadFile(out_path + ".2") == big));

  // head shows the MD5 ETag.
  json head = cli.Json({"head", "photos", "dir/a.bin"});
  BOOST_TEST(head.at("etag").get<std::string>() == big_md5);
  BOOST_TEST(head.at("size").get<uint64_t>() == big.size());
  std::string head_table = cli.Ok({"head", "photos", "dir/a.bin"});
  BOOST_TEST(Contains(head_table, big_md5), head_table);

  // More keys; one from standard input.
  RunOptions from_stdin;
  from_stdin.stdin_path = cli.File("b.txt", "bee");
  cli.Ok({"put", "photos", "dir/b.txt", "-"}, from_stdin);
  cli.Ok({"put", "photos", "dir/sub/c.txt", cli.File("c.txt", "sea")});
  cli.Ok({"put", "photos", "top.txt", cli.File("top.txt", "top")});
  BOOST_TEST(cli.Ok({"get", "photos", "dir/b.txt"}) == "bee");
  BOOST_TEST(cli.Json({"head", "photos", "dir/b.txt"}).at("etag").get<std::string>() ==
             Md5Hex("bee"));

  json all = cli.Json({"ls", "photos"});
  BOOST_TEST((Keys(all, "objects") ==
              std::set<std::string>{"dir/a.bin", "dir/b.txt", "dir/sub/c.txt", "top.txt"}));
  json rolled = cli.Json({"ls", "photos", "--prefix", "dir/", "--delimiter", "/"});
  BOOST_TEST((Keys(rolled, "objects") == std::set<std::string>{"dir/a.bin", "dir/b.txt"}));
  BOOST_TEST((Strings(rolled.at("common_prefixes")) == std::set<std::string>{"dir/sub/"}));
  json top = cli.Json({"ls", "photos", "--delimiter=/"});
  BOOST_TEST((Keys(top, "objects") == std::set<std::string>{"top.txt"}));
  BOOST_TEST((Strings(top.at("common_prefixes")) == std::set<std::string>{"dir/"}));
  std::string table = cli.Ok({"ls", "photos", "--prefix", "dir/", "--delimiter", "/"});
  BOOST_TEST(Contains(table, "PRE"), table);
  BOOST_TEST(Contains(table, "dir/sub/"), table);
  BOOST_TEST(Contains(table, "dir/a.bin"), table);
  BOOST_TEST(!Contains(table, "top.txt"), table);
  // Every page is fetched.
  json paged = cli.Json({"ls", "photos", "--page-size", "1"});
  BOOST_TEST((Keys(paged, "objects") == Keys(all, "objects")));
  json paged_rolled = cli.Json({"ls", "photos", "--delimiter", "/", "--page-size", "1"});
  BOOST_TEST((Keys(paged_rolled, "objects") == std::set<std::string>{"top.txt"}));
  BOOST_TEST((Strings(paged_rolled.at("common_prefixes")) == std::set<std::string>{"dir/"}));

  // rm
  cli.Ok({"rm", "photos", "top.txt"});
  std::string err = cli.Fails(1, {"get", "photos", "top.txt"});
  BOOST_TEST(Contains(err, "seglake: get: "), err);
  cli.Fails(1, {"head", "photos", "top.txt"});

  // mv of one key, then of a prefix.
  cli.Ok({"mv", "photos", "dir/b.txt", "dir/moved.txt"});
  BOOST_TEST(cli.Ok({"get", "photos", "dir/moved.txt"}) == "bee");
  cli.Fails(1, {"get", "photos", "dir/b.txt"});
  cli.Ok({"mv", "photos", "dir/sub/", "newdir/", "--prefix"});
  BOOST_TEST((Keys(cli.Json({"ls", "photos", "--prefix", "newdir/"}), "objects") ==
              std::set<std::string>{"newdir/c.txt"}));
  BOOST_TEST(cli.Ok({"get", "photos", "newdir/c.txt"}) == "sea");
  cli.Fails(1, {"mv", "photos", "dir/moved.txt", "dir/a.bin"});  // destination exists
  BOOST_TEST(cli.Ok({"get", "photos", "dir/moved.txt"}) == "bee");

  // cp makes a new key with the same bytes and ETag.
  json cp = cli.Json({"cp", "photos", "dir/a.bin", "photos", "copy.bin"});
  BOOST_TEST(cp.at("etag").get<std::string>() == big_md5);
  BOOST_TEST((cli.Ok({"get", "photos", "copy.bin"}) == big));

  const std::set<std::string> expected = {"copy.bin", "dir/a.bin", "dir/moved.txt", "newdir/c.txt"};
  BOOST_TEST((Keys(cli.Json({"ls", "photos"}), "objects") == expected));
  json status = cli.Json({"status"});
  BOOST_TEST(status.at("buckets").get<uint64_t>() == 1u);
  BOOST_TEST(status.at("objects").get<uint64_t>() == expected.size());
  std::string status_table = cli.Ok({"status"});
  BOOST_TEST(Contains(status_table, "objects"), status_table);

  // The index rebuilt from the segments alone serves the same data.
  cli.Ok({"rebuild-index"});
  BOOST_TEST((cli.Ok({"get", "photos", "dir/a.bin"}) == big), "bytes differ after rebuild-index");
  BOOST_TEST(cli.Json({"head", "photos", "dir/a.bin"}).at("etag").get<std::string>() == big_md5);
  BOOST_TEST((Keys(cli.Json({"ls", "photos"}), "objects") == expected));
  BOOST_TEST(cli.Ok({"get", "photos", "dir/moved.txt"}) == "bee");
  cli.Fails(1, {"get", "photos", "top.txt"});
  BOOST_TEST(cli.Json({"status"}).at("objects").get<uint64_t>() == expected.size());
}

BOOST_AUTO_TEST_CASE(versioning_keeps_every_version) {
  Cli cli;
  cli.Ok({"bucket", "create", "v"});
  BOOST_TEST(cli.Ok({"bucket", "versioning", "v"}) == "unversioned\n");
  cli.Ok({"bucket", "versioning", "v", "enabled"});
  BOOST_TEST(cli.Json({"bucket", "versioning", "v"}).at("versioning") == "enabled");

  json first = cli.Json({"put", "v", "doc", cli.File("one", "first version")});
  json second = cli.Json({"put", "v", "doc", cli.File("two", "second")});
  const std::string v1 = first.at("version_id").get<std::string>();
  const std::string v2 = second.at("version_id").get<std::string>();
  BOOST_TEST(v1 != v2);
  BOOST_TEST(v1 != "null");

  json versions = cli.Json({"ls", "v", "--versions"}).at("versions");
  BOOST_TEST_REQUIRE(versions.size() == 2u, versions.dump());
  int latest = 0;
  std::set<std::string> ids;
  for (const json& ver : versions) {
    BOOST_TEST(ver.at("key") == "doc");
    latest += ver.at("is_latest").get<bool>() ? 1 : 0;
    ids.insert(ver.at("version_id").get<std::string>());
    if (ver.at("is_latest").get<bool>()) BOOST_TEST(ver.at("version_id") == v2);
  }
  BOOST_TEST(latest == 1);
  BOOST_TEST((ids == std::set<std::string>{v1, v2}));
  std::string table = cli.Ok({"ls", "v", "--versions"});
  BOOST_TEST(Contains(table, v1), table);
  BOOST_TEST(Contains(table, v2), table);
  BOOST_TEST(cli.Json({"ls", "v", "--versions", "--page-size", "1"}).at("versions").size() == 2u);

  BOOST_TEST(cli.Ok({"get", "v", "doc"}) == "second");
  BOOST_TEST(cli.Ok({"get", "v", "doc", "--version-id", v1}) == "first version");
  BOOST_TEST(cli.Json({"head", "v", "doc", "--version-id", v1}).at("etag") ==
             Md5Hex("first version"));
  cli.Fails(1, {"get", "v", "doc", "--version-id", "no-such-version"});

  // rm creates a delete marker; removing the marker brings the key back.
  json rm = cli.Json({"rm", "v", "doc"});
  BOOST_TEST(rm.at("delete_marker").get<bool>());
  const std::string marker = rm.at("version_id").get<std::string>();
  cli.Fails(1, {"get", "v", "doc"});
  versions = cli.Json({"ls", "v", "--versions"}).at("versions");
  BOOST_TEST(versions.size() == 3u, versions.dump());
  int markers = 0;
  for (const json& ver : versions) markers += ver.at("delete_marker").get<bool>() ? 1 : 0;
  BOOST_TEST(markers == 1);
  BOOST_TEST(cli.Json({"ls", "v"}).at("objects").empty());
  cli.Ok({"rm", "v", "doc", "--version-id", marker});
  BOOST_TEST(cli.Ok({"get", "v", "doc"}) == "second");
  cli.Ok({"rm", "v", "doc", "--version-id", v2});
  BOOST_TEST(cli.Ok({"get", "v", "doc"}) == "first version");

  cli.Ok({"bucket", "versioning", "v", "suspended"});
  BOOST_TEST(cli.Ok({"bucket", "versioning", "v"}) == "suspended\n");
}

BOOST_AUTO_TEST_CASE(missing_things_exit_1) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  std::string err = cli.Fails(1, {"get", "b", "no-such-key"});
  BOOST_TEST(Contains(err, "seglake: get: "), err);
  cli.Fails(1, {"head", "b", "no-such-key"});
  cli.Fails(1, {"get", "no-such-bucket", "k"});
  cli.Fails(1, {"ls", "no-such-bucket"});
  cli.Fails(1, {"put", "no-such-bucket", "k", cli.File("f", "x")});
  cli.Fails(1, {"cp", "b", "no-such-key", "b", "dst"});
  cli.Fails(1, {"bucket", "versioning", "no-such-bucket"});
  // A failed get -o leaves no file behind.
  cli.Fails(1, {"get", "b", "no-such-key", "-o", cli.tmp.Sub("never")});
  BOOST_TEST(!std::filesystem::exists(cli.tmp.Sub("never")));
  // A local file that cannot be opened is "could not run".
  err = cli.Fails(2, {"put", "b", "k", cli.tmp.Sub("no-such-file")});
  BOOST_TEST(Contains(err, "no-such-file"), err);
  cli.Fails(1, {"get", "b", "k"});  // nothing was stored
}

// The log is the truth: with meta.db gone, the data dir cannot be opened until
// rebuild-index recreates it from the segments.
BOOST_AUTO_TEST_CASE(rebuild_index_after_losing_meta_db) {
  Cli cli;
  const uint64_t seed = Seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (set SEGLAKE_SEED to repeat)");
  const std::string bytes = RandomBytes((1 << 20) + 12345, seed);
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"bucket", "versioning", "b", "enabled"});
  cli.Ok({"put", "b", "one", cli.File("one", "1")});
  cli.Ok({"put", "b", "big", cli.File("big", bytes)});
  cli.Ok({"put", "b", "big", cli.File("big2", "replaced")});
  cli.Ok({"mv", "b", "one", "renamed"});
  cli.Ok({"rm", "b", "renamed"});
  const json before = cli.Json({"ls", "b", "--versions"});
  for (const char* f : {"meta.db", "meta.db-wal", "meta.db-shm"}) {
    std::filesystem::remove(cli.data + "/" + f);
  }
  std::string err = cli.Fails(2, {"ls", "b"});
  BOOST_TEST(Contains(err, "rebuild-index"), err);
  cli.Ok({"rebuild-index"});
  const json after = cli.Json({"ls", "b", "--versions"});
  std::set<std::pair<std::string, std::string>> ids_before, ids_after;
  for (const json& v : before.at("versions"))
    ids_before.emplace(v.at("key").get<std::string>(), v.at("version_id").get<std::string>());
  for (const json& v : after.at("versions"))
    ids_after.emplace(v.at("key").get<std::string>(), v.at("version_id").get<std::string>());
  BOOST_TEST((ids_before == ids_after),
             "versions before: " << before.dump() << "\nafter: " << after.dump());
  BOOST_TEST(cli.Ok({"get", "b", "big"}) == "replaced");
  json old_versions = cli.Json({"ls", "b", "--prefix", "big", "--versions"}).at("versions");
  BOOST_TEST_REQUIRE(old_versions.size() == 2u, old_versions.dump());
  for (const json& v : old_versions) {
    if (v.at("is_latest").get<bool>()) continue;
    BOOST_TEST((cli.Ok({"get", "b", "big", "--version-id",
                        v.at("version_id").get<std::string>()}) == bytes));
  }
  cli.Fails(1, {"get", "b", "renamed"});
  cli.Fails(1, {"get", "b", "one"});
}

// rebuild-index must refuse while another process has the data dir open: a
// `seglake put` still reading its standard input keeps the engine open.
BOOST_AUTO_TEST_CASE(rebuild_index_refuses_while_in_use) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"put", "b", "before", cli.File("before", "kept")});
  PipedChild put({cli.bin, "--data-dir", cli.data, "put", "b", "streamed", "-"}, cli.tmp.path());
  // The put reads its input only after opening the engine: once 2 MiB went
  // into the (much smaller) pipe, the engine is open.
  const std::string chunk = RandomBytes(2 << 20, 7);
  BOOST_TEST_REQUIRE(put.Write(chunk));
  RunResult busy = cli.Run({"rebuild-index"});
  BOOST_TEST(busy.exit_code == 2, "rebuild-index exited " << busy.exit_code << ": " << busy.err);
  BOOST_TEST(Contains(busy.err, "seglake: rebuild-index: "), busy.err);
  BOOST_TEST(Contains(busy.err, "in use"), busy.err);
  RunResult done = put.Finish();
  BOOST_TEST_REQUIRE(done.exit_code == 0, done.err);
  BOOST_TEST((cli.Ok({"get", "b", "streamed"}) == chunk));
  BOOST_TEST(cli.Ok({"get", "b", "before"}) == "kept");
  cli.Ok({"rebuild-index"});
  BOOST_TEST((cli.Ok({"get", "b", "streamed"}) == chunk));
}

BOOST_AUTO_TEST_SUITE_END()

// fsck, scrub, snapshot, mpu-gc and maintenance mode: the engine's
// maintenance operations through the admin command.
BOOST_AUTO_TEST_SUITE(maintenance)

BOOST_AUTO_TEST_CASE(fsck_finds_a_truncated_segment) {
  Cli cli;
  const uint64_t seed = Seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (set SEGLAKE_SEED to repeat)");
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"put", "b", "small", cli.File("small", "kept")});
  cli.Ok({"put", "b", "victim", cli.File("victim", RandomBytes(3 << 20, seed))});

  std::string out = cli.Ok({"fsck"});
  BOOST_TEST(Contains(out, "fsck: "), out);
  BOOST_TEST(Contains(out, "clean"), out);
  json clean = cli.Json({"fsck"});
  BOOST_TEST(clean.at("clean").get<bool>());
  BOOST_TEST(clean.at("problems").empty());
  BOOST_TEST(clean.at("versions").get<uint64_t>() == 2u);
  json status = cli.Json({"status"});
  BOOST_TEST(status.at("last_fsck").at("problems").get<uint64_t>() == 0u);
  BOOST_TEST(status.at("last_scrub").is_null());

  // Cut the segment holding the large object in half: its later extents
  // now lie past the end of the file.
  const std::string seg = LargestSegment(cli.data);
  std::filesystem::resize_file(seg, std::filesystem::file_size(seg) / 2);
  RunResult r = cli.Run({"fsck"});
  BOOST_TEST(r.exit_code == 1, "fsck exited " << r.exit_code << ": " << r.err);
  BOOST_TEST(Contains(r.out, "b/victim"), r.out);
  BOOST_TEST(Contains(r.out, "extent-out-of-bounds"), r.out);
  BOOST_TEST(Contains(r.out, std::filesystem::path(seg).filename().string()), r.out);
  BOOST_TEST(!Contains(r.out, "b/small"), r.out);
  BOOST_TEST(Contains(r.out, "problem"), r.out);

  RunResult rj = cli.Run({"--json", "fsck"});
  BOOST_TEST(rj.exit_code == 1);
  json report = ParseDoc(rj);
  BOOST_TEST(!report.at("clean").get<bool>());
  BOOST_TEST(NamesKey(report, "b", "victim"), report.dump());
  BOOST_TEST(!NamesKey(report, "b", "small"), report.dump());
  for (const json& p : report.at("problems")) {
    BOOST_TEST(p.contains("kind"));
    BOOST_TEST(p.contains("detail"));
  }
  BOOST_TEST(cli.Json({"status"}).at("last_fsck").at("problems").get<uint64_t>() > 0u);
  BOOST_TEST(Contains(cli.Ok({"status"}), "last fsck"));
}

BOOST_AUTO_TEST_CASE(scrub_marks_a_version_over_a_flipped_byte) {
  Cli cli;
  const uint64_t seed = Seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (set SEGLAKE_SEED to repeat)");
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"put", "b", "bystander", cli.File("bystander", "unharmed")});
  cli.Ok({"put", "b", "victim", cli.File("victim", RandomBytes(3 << 20, seed))});
  BOOST_TEST(Contains(cli.Ok({"scrub"}), "clean"));

  // Flip one byte in the middle of the large object's data.
  const std::string seg = LargestSegment(cli.data);
  const uintmax_t at = std::filesystem::file_size(seg) / 2;
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(at));
    f.write(&c, 1);
    BOOST_TEST_REQUIRE(f.good(), "cannot flip a byte of " << seg);
  }

  // --no-mark reports without marking.
  RunResult dry = cli.Run({"--json", "scrub", "--no-mark"});
  BOOST_TEST(dry.exit_code == 1, "scrub exited " << dry.exit_code << ": " << dry.err);
  json dry_report = ParseDoc(dry);
  BOOST_TEST(NamesKey(dry_report, "b", "victim"), dry_report.dump());
  BOOST_TEST(!dry_report.at("marked").get<bool>());
  BOOST_TEST(dry_report.at("bad_records").get<uint64_t>() == 1u);

  RunResult r = cli.Run({"scrub"});
  BOOST_TEST(r.exit_code == 1, "scrub exited " << r.exit_code << ": " << r.err);
  BOOST_TEST(Contains(r.out, "crc-mismatch"), r.out);
  BOOST_TEST(Contains(r.out, "damaged-version  b/victim"), r.out);
  BOOST_TEST(!Contains(r.out, "b/bystander"), r.out);
  BOOST_TEST(Contains(r.out, "1 damaged version"), r.out);

  // The version is marked: reads of it fail and say why; others still read.
  std::string err = cli.Fails(1, {"get", "b", "victim"});
  BOOST_TEST(Contains(err, "seglake: get: "), err);
  BOOST_TEST(Contains(err, "damaged"), err);
  BOOST_TEST(cli.Ok({"get", "b", "bystander"}) == "unharmed");

  RunResult rj = cli.Run({"--json", "scrub"});
  BOOST_TEST(rj.exit_code == 1);
  json report = ParseDoc(rj);
  BOOST_TEST(NamesKey(report, "b", "victim"), report.dump());
  BOOST_TEST(report.at("damaged_versions").get<uint64_t>() == 1u);
  BOOST_TEST(cli.Json({"status"}).at("last_scrub").at("problems").get<uint64_t>() > 0u);
}

BOOST_AUTO_TEST_CASE(snapshot_is_a_readable_data_dir) {
  Cli cli;
  const uint64_t seed = Seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (set SEGLAKE_SEED to repeat)");
  const std::string bytes = RandomBytes((2 << 20) + 777, seed);
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"put", "b", "big", cli.File("big", bytes)});
  cli.Ok({"put", "b", "small", cli.File("small", "tiny")});

  // Taken while another process writes to the data dir.
  PipedChild put({cli.bin, "--data-dir", cli.data, "put", "b", "streamed", "-"}, cli.tmp.path());
  const std::string chunk = RandomBytes(2 << 20, seed + 1);
  BOOST_TEST_REQUIRE(put.Write(chunk));
  const std::string dest = cli.tmp.Sub("snap");
  std::string out = cli.Ok({"snapshot", dest});
  BOOST_TEST(Contains(out, dest), out);
  cli.Ok({"fsck"});  // an open segment of a live writer is no problem
  RunResult done = put.Finish();
  BOOST_TEST_REQUIRE(done.exit_code == 0, done.err);

  auto in_snapshot = [&](const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--data-dir", dest};
    full.insert(full.end(), args.begin(), args.end());
    return cli.Raw(full);
  };
  RunResult got = in_snapshot({"get", "b", "big"});
  BOOST_TEST_REQUIRE(got.exit_code == 0, got.err);
  BOOST_TEST((got.out == bytes), "the snapshot's copy of b/big differs");
  BOOST_TEST(in_snapshot({"get", "b", "small"}).out == "tiny");
  BOOST_TEST(in_snapshot({"get", "b", "streamed"}).exit_code == 1);  // not committed yet
  BOOST_TEST(in_snapshot({"fsck"}).exit_code == 0);
  BOOST_TEST((cli.Ok({"get", "b", "streamed"}) == chunk));

  // An existing destination is refused, naming it.
  std::string err = cli.Fails(2, {"snapshot", dest});
  BOOST_TEST(Contains(err, "seglake: snapshot: "), err);
  BOOST_TEST(Contains(err, dest), err);
  std::filesystem::create_directory(cli.tmp.Sub("empty"));
  err = cli.Fails(2, {"snapshot", cli.tmp.Sub("empty")});
  BOOST_TEST(Contains(err, cli.tmp.Sub("empty")), err);
  cli.Fails(2, {"snapshot"});

  json j = cli.Json({"snapshot", cli.tmp.Sub("snap2")});
  BOOST_TEST(j.at("snapshot").get<std::string>() == cli.tmp.Sub("snap2"));
  RunResult again = cli.Raw({"--data-dir", cli.tmp.Sub("snap2"), "get", "b", "streamed"});
  BOOST_TEST((again.out == chunk));
}

BOOST_AUTO_TEST_CASE(maintenance_mode_refuses_writes) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"put", "b", "before", cli.File("before", "one")});
  BOOST_TEST(cli.Ok({"maintenance", "status"}) == "off\n");
  BOOST_TEST(!cli.Json({"maintenance", "status"}).at("maintenance").get<bool>());

  std::string out = cli.Ok({"maintenance", "on"});
  BOOST_TEST(Contains(out, "on"), out);
  BOOST_TEST(cli.Ok({"maintenance", "status"}) == "on\n");
  BOOST_TEST(cli.Json({"status"}).at("maintenance").get<bool>());
  BOOST_TEST(Contains(cli.Ok({"status"}), "maintenance"));

  std::string err = cli.Fails(1, {"put", "b", "during", cli.File("during", "two")});
  BOOST_TEST(Contains(err, "seglake: put: "), err);
  BOOST_TEST(Contains(err, "maintenance mode"), err);
  BOOST_TEST(Contains(err, "seglake maintenance off"), err);
  cli.Fails(1, {"rm", "b", "before"});
  // Reads and the checks still work.
  BOOST_TEST(cli.Ok({"get", "b", "before"}) == "one");
  cli.Ok({"fsck"});
  cli.Ok({"scrub"});

  json off = cli.Json({"maintenance", "off"});
  BOOST_TEST(!off.at("maintenance").get<bool>());
  cli.Ok({"put", "b", "during", cli.File("during", "two")});
  BOOST_TEST(cli.Ok({"get", "b", "during"}) == "two");
  BOOST_TEST(!cli.Json({"status"}).at("maintenance").get<bool>());

  err = cli.Fails(2, {"maintenance"});
  BOOST_TEST(Contains(err, "seglake: maintenance: "), err);
  err = cli.Fails(2, {"maintenance", "sideways"});
  BOOST_TEST(Contains(err, "sideways"), err);
}

BOOST_AUTO_TEST_CASE(gc_and_compact_reclaim_space_and_keep_data) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  const uint64_t seed = Seed();
  BOOST_TEST_MESSAGE("seed " << seed << " (set SEGLAKE_SEED to repeat)");
  std::vector<std::string> data;
  for (int i = 0; i < 4; ++i) {
    data.push_back(RandomBytes((1 << 20) + 100 * i, seed + i));
    cli.Ok({"put", "b", "k" + std::to_string(i), cli.File("f" + std::to_string(i), data.back())});
  }
  for (int i = 1; i < 4; ++i) cli.Ok({"rm", "b", "k" + std::to_string(i)});
  json before = cli.Json({"status"});
  json plan = cli.Json({"gc", "plan"});
  BOOST_TEST(plan.at("candidates").get<uint64_t>() >= 3u);
  BOOST_TEST(plan.at("deleted").get<uint64_t>() == 0u);
  json run = cli.Json({"gc", "run", "--grace", "0s"});
  BOOST_TEST(run.at("deleted").get<uint64_t>() >= 3u);
  json after = cli.Json({"status"});
  BOOST_TEST(after.at("segment_bytes").get<uint64_t>() + (3u << 20) <=
             before.at("segment_bytes").get<uint64_t>());
  BOOST_TEST((cli.Ok({"get", "b", "k0"}) == data[0]));
  BOOST_TEST(cli.Ok({"fsck"}).find("clean") != std::string::npos);
  // Compaction with every segment counted as sparse rewrites k0; the old
  // copy then goes with gc, and the data stays the same.
  json c = cli.Json({"compact", "run", "--max-live", "1"});
  BOOST_TEST(c.at("versions").get<uint64_t>() == 1u);
  BOOST_TEST(c.at("bytes").get<uint64_t>() == data[0].size());
  BOOST_TEST(cli.Json({"gc", "run", "--grace", "0s"}).at("deleted").get<uint64_t>() >= 1u);
  BOOST_TEST((cli.Ok({"get", "b", "k0"}) == data[0]));
  BOOST_TEST(cli.Ok({"fsck"}).find("clean") != std::string::npos);
  // Bad values are usage errors naming the flag.
  BOOST_TEST(Contains(cli.Fails(2, {"gc", "run", "--grace", "soon"}), "--grace"));
  BOOST_TEST(Contains(cli.Fails(2, {"compact", "run", "--max-live", "2"}), "--max-live"));
  BOOST_TEST(Contains(cli.Fails(2, {"compact", "run", "--rate", "0"}), "--rate"));
  BOOST_TEST(Contains(cli.Fails(2, {"gc"}), "gc plan|run"));
}

BOOST_AUTO_TEST_CASE(keys_show_and_rotate_the_s3_pair) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  std::string err = cli.Fails(2, {"keys", "show"});  // seglake-s3d has not made them yet
  BOOST_TEST(Contains(err, "credentials"), err);
  json first = cli.Json({"keys", "rotate"});
  json shown = cli.Json({"keys", "show"});
  BOOST_TEST(shown.at("access_key") == first.at("access_key"));
  BOOST_TEST(!shown.contains("secret_key"));  // only with --secret
  BOOST_TEST(cli.Json({"keys", "show", "--secret"}).at("secret_key") == first.at("secret_key"));
  json second = cli.Json({"keys", "rotate"});
  BOOST_TEST(second.at("access_key") != first.at("access_key"));
  BOOST_TEST(cli.Json({"keys", "show"}).at("access_key") == second.at("access_key"));
  namespace fs = std::filesystem;
  auto perms = fs::status(cli.data + "/credentials").permissions();
  BOOST_TEST(((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none));
  BOOST_TEST(Contains(cli.Fails(2, {"keys", "list"}), "keys show"));
}

BOOST_AUTO_TEST_CASE(mpu_gc_aborts_old_uploads) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  // The admin command starts no uploads: start two through the engine.
  {
    Options options;
    options.data_dir = cli.data;
    options.create_if_missing = false;
    options.background_thread = false;
    auto engine = Engine::Open(options);
    BOOST_TEST_REQUIRE(engine.has_value(), (engine ? "" : engine.error().ToString()));
    for (const char* key : {"one", "two"}) {
      auto upload = (*engine)->CreateUpload("b", key, {});
      BOOST_TEST_REQUIRE(upload.has_value(), (upload ? "" : upload.error().ToString()));
    }
    BOOST_TEST_REQUIRE((*engine)->Close().ok());
  }
  BOOST_TEST(cli.Json({"status"}).at("uploads").get<uint64_t>() == 2u);

  // Bad or missing durations are usage errors naming the flag.
  for (const char* bad : {"7x", "soon", "-1d", "12", "", "d", "99999999999999999999d"}) {
    std::string err = cli.Fails(2, {"mpu-gc", "--older-than", bad});
    BOOST_TEST(Contains(err, "seglake: mpu-gc: "), err);
    BOOST_TEST(Contains(err, "--older-than"), err);
  }
  std::string err = cli.Fails(2, {"mpu-gc"});
  BOOST_TEST(Contains(err, "--older-than"), err);

  // Too young to go.
  std::string out = cli.Ok({"mpu-gc", "--older-than", "7d"});
  BOOST_TEST(Contains(out, "aborted 0 multipart uploads older than 7d"), out);
  BOOST_TEST(cli.Json({"mpu-gc", "--older-than=12h"}).at("aborted").get<uint64_t>() == 0u);
  BOOST_TEST(cli.Json({"status"}).at("uploads").get<uint64_t>() == 2u);
  // Everything older than now goes.
  json gc = cli.Json({"mpu-gc", "--older-than", "0s"});
  BOOST_TEST(gc.at("aborted").get<uint64_t>() == 2u);
  BOOST_TEST(gc.at("older_than_ns").get<uint64_t>() == 0u);
  BOOST_TEST(cli.Json({"status"}).at("uploads").get<uint64_t>() == 0u);
  BOOST_TEST(Contains(cli.Ok({"mpu-gc", "--older-than", "30m"}), "aborted 0"));
}

BOOST_AUTO_TEST_CASE(status_shows_space_fragmentation_and_runs) {
  Cli cli;
  cli.Ok({"bucket", "create", "b"});
  cli.Ok({"bucket", "versioning", "b", "enabled"});
  cli.Ok({"put", "b", "k", cli.File("k1", "first")});
  cli.Ok({"put", "b", "k", cli.File("k2", std::string((2 << 20) + 5, 'x'))});
  cli.Ok({"rm", "b", "gone"});  // a delete marker
  json s = cli.Json({"status"});
  BOOST_TEST(s.at("objects").get<uint64_t>() == 1u);
  BOOST_TEST(s.at("versions").get<uint64_t>() == 2u);
  BOOST_TEST(s.at("delete_markers").get<uint64_t>() == 1u);
  BOOST_TEST(s.at("uploads").get<uint64_t>() == 0u);
  BOOST_TEST(s.at("dead_bytes").get<uint64_t>() ==
             s.at("segment_bytes").get<uint64_t>() - s.at("live_bytes").get<uint64_t>());
  BOOST_TEST(!s.at("maintenance").get<bool>());
  const json& frag = s.at("fragmentation");
  BOOST_TEST(frag.at("versions").get<uint64_t>() == 2u);
  BOOST_TEST(frag.at("extents").get<uint64_t>() == 4u);  // 1 + 3 records of 1 MiB at most
  BOOST_TEST(frag.at("avg_extents_per_version").get<double>() == 2.0);
  BOOST_TEST(frag.at("versions_over_64_extents").get<uint64_t>() == 0u);
  BOOST_TEST(s.at("last_fsck").is_null());
  BOOST_TEST(s.at("last_scrub").is_null());

  std::string table = cli.Ok({"status"});
  for (const char* row : {"objects", "versions", "delete markers", "open uploads", "live bytes",
                          "dead bytes", "segments open", "segments sealed", "extents/version",
                          "maintenance", "last fsck", "last scrub"}) {
    BOOST_TEST(Contains(table, row), "status does not show " << row << ":\n" << table);
  }
  BOOST_TEST(Contains(table, "2.00 average, 0 versions with > 64 extents"), table);
  BOOST_TEST(Contains(table, "never"), table);
  cli.Ok({"scrub"});
  table = cli.Ok({"status"});
  BOOST_TEST(Contains(table, "clean"), table);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace seglake::testing
