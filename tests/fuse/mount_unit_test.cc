// The mount's pure functions: the key<->path rule, bucket and xattr names,
// and the command line.
#define BOOST_TEST_MODULE mount_unit
#include <boost/test/unit_test.hpp>

#include "args.h"
#include "names.h"

using namespace seglake::mount;

BOOST_AUTO_TEST_CASE(components_and_keys) {
  BOOST_TEST(ShowableComponent("a"));
  BOOST_TEST(ShowableComponent(std::string(255, 'x')));
  BOOST_TEST(!ShowableComponent(std::string(256, 'x')));
  BOOST_TEST(!ShowableComponent(""));
  BOOST_TEST(!ShowableComponent("."));
  BOOST_TEST(!ShowableComponent(".."));
  BOOST_TEST(ShowableComponent("..."));
  BOOST_TEST(!ShowableComponent(std::string("a\0b", 3)));
  BOOST_TEST(ShowableKey("a/b/c"));
  BOOST_TEST(ShowableKey("a/b/"));  // a directory marker
  BOOST_TEST(!ShowableKey("a//b"));
  BOOST_TEST(!ShowableKey("/a"));
  BOOST_TEST(!ShowableKey("a/./b"));
  BOOST_TEST(!ShowableKey("a/../b"));
  BOOST_TEST(!ShowableKey("a/b//"));
  BOOST_TEST(!ShowableKey("/"));
  BOOST_TEST(!ShowableKey(""));
  BOOST_TEST(!ShowableKey("a/" + std::string(256, 'x')));
}

BOOST_AUTO_TEST_CASE(bucket_names) {
  BOOST_TEST(ValidBucketName("my-bucket.1"));
  BOOST_TEST(!ValidBucketName("ab"));
  BOOST_TEST(!ValidBucketName(std::string(64, 'a')));
  BOOST_TEST(!ValidBucketName("Upper"));
  BOOST_TEST(!ValidBucketName("-lead"));
  BOOST_TEST(!ValidBucketName("trail-"));
  BOOST_TEST(!ValidBucketName("a..b"));
  BOOST_TEST(!ValidBucketName("192.168.1.1"));
  BOOST_TEST(!ValidBucketName("under_score"));
}

BOOST_AUTO_TEST_CASE(xattrs) {
  BOOST_TEST(ValidXattrName("color.v2_x-y"));
  BOOST_TEST(!ValidXattrName(""));
  BOOST_TEST(!ValidXattrName("a b"));
  BOOST_TEST(!ValidXattrName("a:b"));
  BOOST_TEST(ValidXattrValue("blue sky"));
  BOOST_TEST(ValidXattrValue("gr\xc3\xbcn"));  // UTF-8
  BOOST_TEST(!ValidXattrValue("a\nb"));        // control character
  BOOST_TEST(!ValidXattrValue("\xff"));        // not UTF-8
  BOOST_TEST(!ValidXattrValue("\xc3"));        // truncated sequence
  BOOST_TEST(!ValidXattrValue("\xc0\x80"));    // overlong
  BOOST_TEST(ReservedXattrName("mode"));
  BOOST_TEST(ReservedXattrName("rdev"));
  BOOST_TEST(!ReservedXattrName("color"));
  BOOST_TEST(UserMetaBytes({{"ab", "cde"}, {"f", ""}}) == 6u);
  BOOST_TEST(kUserMetaBudget + 65 == 2048u);
}

namespace {
bool Parse(std::vector<std::string> argv, Args* a, std::string* err) {
  argv.insert(argv.begin(), "seglake-mount");
  return ParseArgs(argv, a, err);
}
}  // namespace

BOOST_AUTO_TEST_CASE(command_line) {
  Args a;
  std::string err;
  BOOST_REQUIRE(
      Parse({"data", "mnt", "-o", "ro,allow_other,poll_ms=20,dirty_mb=8,noatime,_netdev", "-f"}, &a,
            &err));
  BOOST_TEST(a.mount.data_dir == "data");
  BOOST_TEST(a.mount.mountpoint == "mnt");
  BOOST_TEST(a.mount.read_only);
  BOOST_TEST(a.foreground);
  BOOST_TEST(a.mount.poll_ms == 20);
  BOOST_TEST(a.mount.dirty_bytes == 8ull << 20);
  BOOST_TEST((a.fuse_opts == std::vector<std::string>{"ro", "allow_other"}));

  Args b;
  BOOST_REQUIRE(Parse({"-oentry_timeout=0.5,attr_timeout=2", "d", "m"}, &b, &err));
  BOOST_TEST(b.mount.entry_timeout == 0.5);
  BOOST_TEST(b.mount.attr_timeout == 2.0);

  for (auto bad : std::vector<std::vector<std::string>>{{"d"},
                                                        {"d", "m", "x"},
                                                        {"d", "m", "-o", "bogus"},
                                                        {"d", "m", "-o", "poll_ms=0"},
                                                        {"d", "m", "-o", "poll_ms=abc"},
                                                        {"d", "m", "-o", "entry_timeout=-1"},
                                                        {"d", "m", "-o"},
                                                        {"d", "m", "--frobnicate"}}) {
    Args c;
    std::string e;
    BOOST_TEST(!Parse(bad, &c, &e));
    BOOST_TEST(!e.empty());
  }
  Args d;
  BOOST_REQUIRE(!Parse({"d", "m", "-o", "bogus"}, &d, &err));
  BOOST_TEST(err.find("bogus") != std::string::npos);  // the message names the option
}
