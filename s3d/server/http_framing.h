// Request framing per RFC 9112 on top of Boost.Beast's parser: which request
// heads seglake-s3d accepts, what they say about their body and connection,
// and how an accepted head becomes an HttpRequest. No I/O here: used by
// http_server.cc and by the fuzz target. Only these two and the fuzz target
// include this header (it pulls in Beast).
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

#include "server/http.h"

namespace seglake::s3d::framing {

struct Limits {
  size_t max_header_bytes = 32 << 10;  // request line and headers
  uint64_t max_body_bytes = 6ull << 30;
};

// What an accepted head says about its body and its connection.
struct Head {
  std::optional<uint64_t> content_length;  // absent: none sent, or chunked
  bool chunked = false;
  bool keep_alive = true;
  bool expect_continue = false;  // "Expect: 100-continue"
};

using RequestHeader = boost::beast::http::request_header<>;

// 0 when the head may be served; otherwise the status to answer before
// closing the connection: 400 (malformed or ambiguous framing), 413 (a
// declared body over the limit), 417 (an Expect other than 100-continue),
// 501 (a transfer coding other than chunked), 505 (not HTTP/1.0 or 1.1).
int CheckHead(const RequestHeader& h, const Limits& limits, Head* out);

// The status for an error of Beast's parser while reading a head (431 for
// a head over the budget, else 400); 0 when the error means the peer went
// away or timed out (answer nothing).
int StatusForParseError(const boost::system::error_code& ec);

// Copies the method, target and headers of an accepted head into *req.
void ToRequest(const RequestHeader& h, HttpRequest* req);

// True when a response header value may be sent: no CR, LF, NUL or other
// control byte but HTAB. Names must be RFC 9110 tokens.
bool SafeHeaderValue(std::string_view value);
bool SafeHeaderName(std::string_view name);

// For the fuzz target and tests: parses the head at the start of `bytes`
// with the same parser settings and checks as the server.
struct ParseResult {
  int status = 0;       // 0 accepted, -1 incomplete, else as CheckHead
  size_t consumed = 0;  // bytes of the head when accepted
  Head head;
  HttpRequest request;
};
ParseResult ParseHead(std::string_view bytes, const Limits& limits);

}  // namespace seglake::s3d::framing
