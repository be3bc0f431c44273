// `seglake mount` and the mount helper form `seglake DATA_DIR MNT -o OPTS`
// (what mount.fuse3 runs for `mount -t fuse.seglake`): the argument handling
// and where seglake-mount is looked for. A copy of the real `seglake` binary
// runs beside a stand-in seglake-mount script that prints its arguments.
#define BOOST_TEST_MODULE cli_mount
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"
#include "util/temp_dir.h"

namespace seglake::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kStandInExit = 7;  // the stand-in's exit status, passed through

std::string SeglakeBinary() {
  const char* dir = std::getenv("SEGLAKE_BIN_DIR");
  BOOST_TEST_REQUIRE(dir != nullptr, "SEGLAKE_BIN_DIR is not set");
  std::string path = std::string(dir) + "/engine/tools/seglake";
  BOOST_TEST_REQUIRE(fs::exists(path), path << " does not exist");
  return path;
}

// Prints how it was called ($0 first), one argument per line.
void WriteStandIn(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path);
  out << "#!/bin/sh\nprintf '%s\\n' \"$0\" \"$@\"\nexit " << kStandInExit << "\n";
  out.close();
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& a : v) s += "[" + a + "]";
  return s;
}

// A scratch dir with bin/seglake (a copy of the real binary), bin/seglake-mount
// (the stand-in), an existing data dir and a mountpoint.
struct Setup {
  TempDir tmp;
  std::string bin_dir = tmp.Sub("bin");
  std::string seglake = bin_dir + "/seglake";
  std::string stand_in = bin_dir + "/seglake-mount";
  std::string data = tmp.Sub("data");
  std::string mnt = tmp.Sub("mnt");

  std::string Sub(const std::string& name) const { return tmp.Sub(name); }

  Setup() {
    fs::create_directories(bin_dir);
    fs::copy_file(SeglakeBinary(), seglake);
    WriteStandIn(stand_in);
    fs::create_directories(data);
    fs::create_directories(mnt);
  }

  RunResult Run(const std::string& program, const std::vector<std::string>& args,
                RunOptions opts = {}) {
    if (!opts.env.contains("SEGLAKE_DATA_DIR")) opts.env["SEGLAKE_DATA_DIR"] = std::nullopt;
    std::vector<std::string> argv = {program};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProgram(argv, opts, tmp.path());
  }

  // Runs bin/seglake; it must have exec'd the stand-in. Returns the
  // stand-in's arguments after $0 and checks $0.
  std::vector<std::string> Exec(const std::vector<std::string>& args, RunOptions opts = {},
                                const std::string& expect_binary = "") {
    RunResult r = Run(seglake, args, std::move(opts));
    BOOST_TEST_REQUIRE(r.exit_code == kStandInExit,
                       "seglake " << Join(args) << " exited " << r.exit_code << ": " << r.err);
    std::vector<std::string> lines = Lines(r.out);
    BOOST_TEST_REQUIRE(!lines.empty());
    BOOST_TEST(lines[0] == (expect_binary.empty() ? stand_in : expect_binary));
    return {lines.begin() + 1, lines.end()};
  }
};

BOOST_AUTO_TEST_CASE(helper_form_as_mount_fuse3_calls_it) {
  Setup s;
  // What mount.fuse3 passes for an fstab line with defaults,_netdev.
  std::vector<std::string> got = s.Exec({s.data, s.mnt, "-o", "rw,_netdev,dev,suid"});
  std::vector<std::string> want = {"-o", "rw,_netdev,dev,suid", s.data, s.mnt};
  BOOST_TEST(got == want, Join(got));
}

BOOST_AUTO_TEST_CASE(helper_form_drops_fstab_only_options) {
  Setup s;
  std::vector<std::string> got =
      s.Exec({s.data, s.mnt, "-o", "x-systemd.automount,ro,comment=backup,allow_other"});
  std::vector<std::string> want = {"-o", "ro,allow_other", s.data, s.mnt};
  BOOST_TEST(got == want, Join(got));
  // Only fstab annotations: no -o at all.
  got = s.Exec({s.data, s.mnt, "-o", "x-systemd.requires=a.service"});
  want = {s.data, s.mnt};
  BOOST_TEST(got == want, Join(got));
}

BOOST_AUTO_TEST_CASE(helper_form_options_after_operands_and_switches) {
  Setup s;
  std::vector<std::string> want = {"-f", "-o", "ro,attr_timeout=2", s.data, s.mnt};
  // An option first means the first argument is not a directory: not the
  // helper form, but unknown command.
  RunResult r = s.Run(s.seglake, {"-f", s.data, s.mnt});
  BOOST_TEST(r.exit_code == 2);
  std::vector<std::string> got = s.Exec({s.data, s.mnt, "-f", "-oro", "-o", "attr_timeout=2"});
  BOOST_TEST(got == want, Join(got));
}

BOOST_AUTO_TEST_CASE(helper_form_passes_a_mountpoint_that_is_no_directory) {
  // mount.fuse3 with drop_privileges passes /dev/fd/N as the mountpoint.
  Setup s;
  std::vector<std::string> got = s.Exec({s.data, "/dev/fd/3", "-o", "rw"});
  std::vector<std::string> want = {"-o", "rw", s.data, "/dev/fd/3"};
  BOOST_TEST(got == want, Join(got));
}

BOOST_AUTO_TEST_CASE(mount_command) {
  Setup s;
  std::vector<std::string> got =
      s.Exec({"mount", s.data, s.mnt, "-o", "ro", "-o", "allow_other", "-f"});
  std::vector<std::string> want = {"-f", "-o", "ro,allow_other", s.data, s.mnt};
  BOOST_TEST(got == want, Join(got));

  got = s.Exec({"mount", "-ds", "--foreground", s.data, s.mnt});
  want = {"-f", "-d", "-s", s.data, s.mnt};
  BOOST_TEST(got == want, Join(got));

  got = s.Exec({"mount", "--", s.data, s.mnt});
  want = {s.data, s.mnt};
  BOOST_TEST(got == want, Join(got));
}

BOOST_AUTO_TEST_CASE(mount_command_data_dir_from_option_or_environment) {
  Setup s;
  std::vector<std::string> want = {s.data, s.mnt};
  std::vector<std::string> got = s.Exec({"--data-dir", s.data, "mount", s.mnt});
  BOOST_TEST(got == want, Join(got));
  got = s.Exec({"mount", s.mnt, "--data-dir=" + s.data});
  BOOST_TEST(got == want, Join(got));
  RunOptions env;
  env.env["SEGLAKE_DATA_DIR"] = s.data;
  got = s.Exec({"mount", s.mnt}, env);
  BOOST_TEST(got == want, Join(got));
  // Two operands win over the environment.
  env.env["SEGLAKE_DATA_DIR"] = "/nonexistent";
  got = s.Exec({"mount", s.data, s.mnt}, env);
  BOOST_TEST(got == want, Join(got));
}

BOOST_AUTO_TEST_CASE(relative_data_dir_is_made_absolute) {
  Setup s;
  std::string rel = fs::relative(s.data, fs::current_path()).string();
  BOOST_TEST_REQUIRE(rel.front() != '/');
  std::vector<std::string> got = s.Exec({"mount", rel + "/", s.mnt});
  std::vector<std::string> want = {fs::weakly_canonical(s.data).string(), s.mnt};
  BOOST_TEST(got.size() == 2u);
  BOOST_TEST(fs::weakly_canonical(got[0]).string() == want[0]);
  BOOST_TEST(got[0].front() == '/');
  BOOST_TEST(got[0].back() != '/');
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_without_running_the_mount) {
  Setup s;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"mount"},
           {"mount", s.data},
           {"mount", s.data, s.mnt, "extra"},
           {"mount", s.data, s.mnt, "-x"},
           {"mount", s.data, s.mnt, "--bogus"},
           {"mount", s.data, s.mnt, "-o"},
           {"mount", s.data, s.mnt, "--foreground=yes"},
           {s.data, s.mnt, "-q"},
           {s.data, s.mnt, "extra"},
           {s.data, s.mnt, "--data-dir", s.data},
           {s.Sub("missing"), s.mnt},
       }) {
    RunResult r = s.Run(s.seglake, args);
    BOOST_TEST(r.exit_code == 2, Join(args) << " exited " << r.exit_code);
    BOOST_TEST(r.out.find(s.stand_in) == std::string::npos, Join(args) << " ran the mount");
    BOOST_TEST(!r.err.empty());
  }
}

BOOST_AUTO_TEST_CASE(helper_form_with_a_missing_data_dir_says_so) {
  Setup s;
  RunResult r = s.Run(s.seglake, {s.Sub("missing"), s.mnt, "-o", "rw"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("no data dir") != std::string::npos, r.err);
  BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(help_prints_usage_and_exits_0) {
  Setup s;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"mount", "--help"}, {"mount", "-h"}, {"--help", "mount"}, {s.data, s.mnt, "-h"}}) {
    RunResult r = s.Run(s.seglake, args);
    BOOST_TEST(r.exit_code == 0, Join(args) << " exited " << r.exit_code);
    BOOST_TEST(r.out.find("usage: seglake mount") != std::string::npos, r.out);
  }
  RunResult r = s.Run(s.seglake, {"--help"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.find("mount DATA_DIR MOUNTPOINT") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_command_name_is_never_the_helper_form) {
  // Even when a directory of that name exists, `seglake status X` is the
  // status command. The data dir here is relative to the working directory,
  // so the check runs through a shell in the scratch dir.
  Setup s;
  fs::create_directories(s.Sub("status"));
  RunResult r =
      s.Run("/bin/sh", {"-c", "cd \"$0\" && exec \"$1\" status mnt", s.tmp.path(), s.seglake});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("data-dir") != std::string::npos, r.err);
  fs::create_directories(s.Sub("mount"));
  r = s.Run("/bin/sh", {"-c", "cd \"$0\" && exec \"$1\" mount mnt", s.tmp.path(), s.seglake});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("missing operand") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(found_through_a_symlink_to_the_binary) {
  Setup s;
  std::string link_dir = s.Sub("links");
  fs::create_directories(link_dir);
  fs::create_symlink(s.seglake, link_dir + "/seglake");
  RunResult r = s.Run(link_dir + "/seglake", {"mount", s.data, s.mnt});
  BOOST_TEST(r.exit_code == kStandInExit, r.err);
  BOOST_TEST(Lines(r.out).at(0) == s.stand_in);
}

BOOST_AUTO_TEST_CASE(build_tree_location_then_path) {
  Setup s;
  // <build>/engine/tools/seglake finds <build>/fuse/seglake-mount.
  std::string tools = s.Sub("build/engine/tools");
  std::string fuse_dir = s.Sub("build/fuse");
  fs::create_directories(tools);
  fs::copy_file(s.seglake, tools + "/seglake");
  WriteStandIn(fuse_dir + "/seglake-mount");
  RunResult r = s.Run(tools + "/seglake", {"mount", s.data, s.mnt});
  BOOST_TEST(r.exit_code == kStandInExit, r.err);
  BOOST_TEST(Lines(r.out).at(0) == fuse_dir + "/seglake-mount");

  // Neither beside it nor in a build tree: PATH.
  std::string alone = s.Sub("alone");
  std::string path_dir = s.Sub("pathdir");
  fs::create_directories(alone);
  fs::copy_file(s.seglake, alone + "/seglake");
  WriteStandIn(path_dir + "/seglake-mount");
  RunOptions opts;
  opts.env["PATH"] = path_dir + ":/usr/bin:/bin";
  r = s.Run(alone + "/seglake", {"mount", s.data, s.mnt}, opts);
  BOOST_TEST(r.exit_code == kStandInExit, r.err);
  BOOST_TEST(Lines(r.out).at(0) == path_dir + "/seglake-mount");

  // Nowhere: exit 2 and a message naming it.
  opts.env["PATH"] = s.Sub("empty");
  r = s.Run(alone + "/seglake", {"mount", s.data, s.mnt}, opts);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("cannot run seglake-mount") != std::string::npos, r.err);
}

}  // namespace
}  // namespace seglake::testing
