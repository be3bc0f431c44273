// An engine on a fresh temp data dir, reopenable.
#pragma once

#include <boost/test/unit_test.hpp>

#include "seglake/engine.h"
#include "util/temp_dir.h"

namespace seglake::testing {

struct EngineFixture {
  TempDir dir;
  Options opts;
  std::unique_ptr<Engine> e;

  EngineFixture() {
    opts.data_dir = dir.Sub("data");
    opts.min_part_bytes = 1024;
    opts.background_thread = false;
    Reopen();
  }
  void Reopen() {
    e.reset();
    auto r = Engine::Open(opts);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
    e = std::move(*r);
  }
  ObjectInfo MustPut(const std::string& b, const std::string& k, const std::string& data) {
    auto r = e->Put(b, k, data);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
    return *r;
  }
  std::string MustRead(const std::string& b, const std::string& k, const std::string& v = "") {
    auto r = e->ReadAll(b, k, v);
    BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
    return *r;
  }
};

inline ListOptions LO(std::string prefix = "", std::string delim = "", std::string after = "") {
  ListOptions o;
  o.prefix = std::move(prefix);
  o.delimiter = std::move(delim);
  o.start_after = std::move(after);
  return o;
}

inline std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

}  // namespace seglake::testing
