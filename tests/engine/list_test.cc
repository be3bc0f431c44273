#include <set>

#include <boost/test/unit_test.hpp>

#include "engine_fixture.h"

using namespace seglake;
using namespace seglake::testing;

namespace {

// Pages through a listing and returns every key and prefix in order.
std::vector<std::string> ListAll(Engine* e, ListOptions o, uint32_t page, int* pages) {
  std::vector<std::string> out;
  o.max_keys = page;
  *pages = 0;
  for (;;) {
    auto r = e->List("b", o);
    BOOST_REQUIRE(r.has_value());
    ++*pages;
    // Keys and prefixes interleave by order; merge them.
    std::vector<std::string> got;
    for (auto& x : r->objects) got.push_back(x.key);
    for (auto& p : r->common_prefixes) got.push_back(p);
    std::sort(got.begin(), got.end());
    BOOST_TEST(got.size() <= page);
    out.insert(out.end(), got.begin(), got.end());
    if (!r->truncated) break;
    BOOST_REQUIRE(!r->next_marker.empty());
    o.start_after = r->next_marker;
  }
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(listing, EngineFixture)

BOOST_AUTO_TEST_CASE(bytewise_order_prefix_delimiter_and_pages) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  std::vector<std::string> keys = {"a",      "a/b",         "a/c/d", "a/c/e", "A",     "b",
                                   "b/\xff", "caf\xc3\xa9", "cafe",  "z/1",   "z/2/3", "\x01x"};
  for (auto& k : keys) MustPut("b", k, k);
  std::set<std::string> sorted(keys.begin(), keys.end());  // std::string compares bytewise
  int pages = 0;
  for (uint32_t page : {1u, 2u, 5u, 1000u}) {
    auto all = ListAll(e.get(), ListOptions{}, page, &pages);
    BOOST_TEST(all == std::vector<std::string>(sorted.begin(), sorted.end()),
               boost::test_tools::per_element());
  }
  auto d = ListAll(e.get(), LO("", "/"), 2, &pages);
  std::vector<std::string> want = {"\x01x", "A", "a", "a/", "b", "b/", "cafe", "caf\xc3\xa9", "z/"};
  BOOST_TEST(d == want, boost::test_tools::per_element());
  auto p = ListAll(e.get(), LO("a/", "/"), 1, &pages);
  std::vector<std::string> want2 = {"a/b", "a/c/"};
  BOOST_TEST(p == want2, boost::test_tools::per_element());
  BOOST_TEST(pages == 2);
  auto sa = e->List("b", LO("", "", "b"));
  BOOST_REQUIRE(sa.has_value());
  BOOST_TEST(sa->objects.front().key == "b/\xff");
}

BOOST_AUTO_TEST_CASE(listing_past_1000_keys) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  for (int i = 0; i < 2100; ++i) MustPut("b", "k" + std::to_string(i), "");
  int pages = 0;
  auto all = ListAll(e.get(), ListOptions{}, 1000, &pages);
  BOOST_TEST(all.size() == 2100u);
  BOOST_TEST(pages == 3);
  BOOST_TEST(std::is_sorted(all.begin(), all.end()));
}

BOOST_AUTO_TEST_CASE(list_versions_pages_within_a_key) {
  BOOST_REQUIRE(e->CreateBucket("b", "").ok());
  BOOST_REQUIRE(e->SetVersioning("b", Versioning::kEnabled).ok());
  std::vector<std::string> vids;
  for (int i = 0; i < 5; ++i) vids.push_back(MustPut("b", "k", std::to_string(i)).version_id);
  MustPut("b", "m", "x");
  ListVersionsOptions o;
  o.max_keys = 2;
  std::vector<std::pair<std::string, std::string>> seen;
  int latest = 0;
  for (;;) {
    auto r = e->ListVersions("b", o);
    BOOST_REQUIRE(r.has_value());
    for (auto& v : r->versions) {
      seen.emplace_back(v.key, v.version_id);
      latest += v.is_latest;
    }
    if (!r->truncated) break;
    o.key_marker = r->next_key_marker;
    o.version_id_marker = r->next_version_id_marker;
  }
  BOOST_REQUIRE(seen.size() == 6u);
  for (int i = 0; i < 5; ++i)
    BOOST_TEST(seen[static_cast<size_t>(i)].second == vids[static_cast<size_t>(4 - i)]);
  BOOST_TEST(seen[5].first == "m");
  BOOST_TEST(latest == 2);
}

BOOST_AUTO_TEST_SUITE_END()
