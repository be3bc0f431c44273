#include "server/http_framing.h"

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "proto/encoding.h"

namespace seglake::s3d::framing {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// 1*DIGIT, at most 19 digits (fits uint64_t): "+5", "0x10", "-1", "1e3",
// " 5", "" are all refused.
std::optional<uint64_t> ParseLength(std::string_view v) {
  v = s3::TrimSpaces(v);
  if (v.empty() || v.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace

int CheckHead(const RequestHeader& h, const Limits& limits, Head* out) {
  *out = Head();
  if (h.version() != 11 && h.version() != 10) return 505;
  const std::string_view target = View(h.target());
  // origin-form only ("*" for OPTIONS): no absolute-form, no authority-form.
  if (target.empty() || (target[0] != '/' && !(target == "*" && h.method() == http::verb::options)))
    return 400;
  if (h.version() == 11 && h.count(http::field::host) != 1) return 400;
  if (h.count(http::field::host) > 1) return 400;

  const size_t lengths = h.count(http::field::content_length);
  const size_t codings = h.count(http::field::transfer_encoding);
  if (lengths > 1 || codings > 1) return 400;
  if (lengths == 1 && codings == 1) return 400;
  if (lengths == 1) {
    auto n = ParseLength(View(h[http::field::content_length]));
    if (!n) return 400;
    if (*n > limits.max_body_bytes) return 413;
    out->content_length = *n;
  }
  if (codings == 1) {
    if (h.version() == 10) return 400;
    if (!s3::EqualsIgnoreCase(s3::TrimSpaces(View(h[http::field::transfer_encoding])), "chunked"))
      return 501;
    out->chunked = true;
  }
  const size_t expects = h.count(http::field::expect);
  if (expects > 1) return 417;
  if (expects == 1) {
    if (!s3::EqualsIgnoreCase(s3::TrimSpaces(View(h[http::field::expect])), "100-continue"))
      return 417;
    // HTTP/1.0 clients never wait for 100 (RFC 9110 10.1.1).
    out->expect_continue = h.version() == 11;
  }
  // HTTP/1.1 keeps the connection unless "close" is listed; 1.0 only when
  // "keep-alive" is.
  bool close = false, keep = false;
  for (auto it = h.find(http::field::connection);
       it != h.end() && it->name() == http::field::connection; ++it) {
    std::string_view v = View(it->value());
    while (!v.empty()) {
      const size_t comma = v.find(',');
      const std::string_view token = s3::TrimSpaces(v.substr(0, comma));
      if (s3::EqualsIgnoreCase(token, "close")) close = true;
      if (s3::EqualsIgnoreCase(token, "keep-alive")) keep = true;
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  out->keep_alive = !close && (h.version() == 11 || keep);
  return 0;
}

int StatusForParseError(const boost::system::error_code& ec) {
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) return 431;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == beast::error::timeout || ec == boost::asio::error::eof ||
      ec == boost::asio::error::operation_aborted || ec == boost::asio::error::connection_reset ||
      ec == boost::asio::error::broken_pipe) {
    return 0;
  }
  if (ec == http::error::body_limit) return 413;
  // Any other error of the HTTP parser is a malformed request.
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) return 400;
  return 0;
}

void ToRequest(const RequestHeader& h, HttpRequest* req) {
  req->method = std::string(View(h.method_string()));
  std::string_view target = View(h.target());
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  const size_t q = target.find('?');
  req->raw_path = std::string(target.substr(0, q));
  req->raw_query.clear();
  if (q != std::string_view::npos) req->raw_query = std::string(target.substr(q + 1));
  req->headers.clear();
  for (const auto& f : h) {
    req->headers.emplace(std::string(View(f.name_string())), std::string(View(f.value())));
  }
}

bool SafeHeaderValue(std::string_view value) {
  for (unsigned char c : value) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

bool SafeHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

ParseResult ParseHead(std::string_view bytes, const Limits& limits) {
  ParseResult r;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.eager(false);
  beast::error_code ec;
  const size_t n = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == http::error::need_more) {
    r.status = bytes.size() >= limits.max_header_bytes ? 431 : -1;
    return r;
  }
  if (ec) {
    r.status = StatusForParseError(ec);
    if (r.status == 0) r.status = 400;
    return r;
  }
  if (!parser.is_header_done()) {
    r.status = -1;
    return r;
  }
  r.status = CheckHead(parser.get().base(), limits, &r.head);
  if (r.status != 0) return r;
  r.consumed = n;
  ToRequest(parser.get().base(), &r.request);
  r.request.has_body = r.head.chunked || r.head.content_length.value_or(0) > 0;
  return r;
}

}  // namespace seglake::s3d::framing
