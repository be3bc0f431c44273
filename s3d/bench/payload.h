// Request bodies without per-request allocation: one buffer of random bytes,
// generated once per worker, served as a rotating window so that objects of
// any size differ from each other while memory stays at one buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/http_client.h"

namespace seglake::bench {

class Payload {
 public:
  // buffer_size >= 1; seed picks the random bytes.
  Payload(size_t buffer_size, uint64_t seed);

  // `length` bytes for the object variant `variant` (any number; it picks
  // where in the buffer the body starts). The Payload must outlive it.
  BodySource Body(uint64_t length, uint64_t variant) const;

  // Hex SHA-256 of Body(length, variant), computed by streaming it.
  std::string Sha256Hex(uint64_t length, uint64_t variant) const;

 private:
  size_t Start(uint64_t variant) const;
  std::string buf_;
};

}  // namespace seglake::bench
