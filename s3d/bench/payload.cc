#include "bench/payload.h"

#include <algorithm>
#include <random>

#include "proto/crypto.h"
#include "proto/encoding.h"

namespace seglake::bench {

Payload::Payload(size_t buffer_size, uint64_t seed) {
  buffer_size = std::max<size_t>(buffer_size, 1);
  std::mt19937_64 rng(seed);
  buf_.resize(buffer_size);
  size_t i = 0;
  for (; i + 8 <= buffer_size; i += 8) {
    const uint64_t r = rng();
    for (int b = 0; b < 8; ++b) buf_[i + b] = static_cast<char>(r >> (8 * b));
  }
  for (; i < buffer_size; ++i) buf_[i] = static_cast<char>(rng());
}

size_t Payload::Start(uint64_t variant) const {
  // An odd multiplier spreads consecutive variants over the buffer.
  return static_cast<size_t>((variant * 0x9E3779B97F4A7C15ull) % buf_.size());
}

BodySource Payload::Body(uint64_t length, uint64_t variant) const {
  BodySource body;
  body.length = length;
  const size_t start = Start(variant);
  const std::string* buf = &buf_;
  body.chunk = [buf, start](uint64_t offset) {
    const size_t pos = static_cast<size_t>((start + offset) % buf->size());
    return std::string_view(*buf).substr(pos);
  };
  return body;
}

std::string Payload::Sha256Hex(uint64_t length, uint64_t variant) const {
  s3::Digest digest(s3::Digest::Kind::kSha256);
  const BodySource body = Body(length, variant);
  uint64_t offset = 0;
  while (offset < length) {
    std::string_view chunk = body.chunk(offset);
    chunk = chunk.substr(0, static_cast<size_t>(std::min<uint64_t>(chunk.size(), length - offset)));
    digest.Update(chunk);
    offset += chunk.size();
  }
  return s3::HexEncode(digest.Final());
}

}  // namespace seglake::bench
