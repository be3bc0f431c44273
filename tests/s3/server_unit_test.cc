// Unit tests of seglake-s3d's plain functions: the router, flags, the
// request log's redaction and escaping, conditional requests, stored
// headers, the work pool.
#define BOOST_TEST_MODULE s3d_server
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <unistd.h>
#include <array>
#include <atomic>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "proto/cmdline.h"
#include "proto/encoding.h"
#include "server/conditions.h"
#include "server/flags.h"
#include "server/metrics.h"
#include "server/object_headers.h"
#include "server/payload.h"
#include "server/request_log.h"
#include "server/router.h"
#include "server/work_pool.h"

namespace seglake::s3d {
namespace {

Route RouteOf(std::string_view method, std::string_view target, std::string_view host = "",
              bool copy = false, std::string_view domain = "") {
  const size_t q = target.find('?');
  auto params = s3::ParseQuery(q == std::string_view::npos ? "" : target.substr(q + 1));
  BOOST_REQUIRE(params);
  auto r = ResolveRoute(RouteInput{method, target.substr(0, q), host, *params, copy, domain});
  BOOST_REQUIRE(r);
  return *r;
}

}  // namespace

BOOST_AUTO_TEST_CASE(router_operations) {
  struct Case {
    std::string_view method, target;
    bool copy;
    Op op;
  };
  const Case cases[] = {
      {"GET", "/", false, Op::kListBuckets},
      {"PUT", "/b", false, Op::kCreateBucket},
      {"HEAD", "/b", false, Op::kHeadBucket},
      {"DELETE", "/b", false, Op::kDeleteBucket},
      {"GET", "/b?location", false, Op::kGetBucketLocation},
      {"GET", "/b?versioning", false, Op::kGetBucketVersioning},
      {"PUT", "/b?versioning", false, Op::kPutBucketVersioning},
      {"GET", "/b", false, Op::kListObjectsV1},
      {"GET", "/b?list-type=2&prefix=a", false, Op::kListObjectsV2},
      {"GET", "/b?versions", false, Op::kListObjectVersions},
      {"GET", "/b?uploads", false, Op::kListMultipartUploads},
      {"POST", "/b?delete", false, Op::kDeleteObjects},
      {"PUT", "/b/k", false, Op::kPutObject},
      {"PUT", "/b/k", true, Op::kCopyObject},
      {"GET", "/b/k?x-id=GetObject", false, Op::kGetObject},
      {"HEAD", "/b/k?versionId=1", false, Op::kHeadObject},
      {"DELETE", "/b/k", false, Op::kDeleteObject},
      {"GET", "/b/k?tagging", false, Op::kGetObjectTagging},
      {"PUT", "/b/k?tagging", false, Op::kPutObjectTagging},
      {"DELETE", "/b/k?tagging", false, Op::kDeleteObjectTagging},
      {"POST", "/b/k?uploads", false, Op::kCreateMultipartUpload},
      {"PUT", "/b/k?partNumber=1&uploadId=u", false, Op::kUploadPart},
      {"PUT", "/b/k?partNumber=1&uploadId=u", true, Op::kUploadPartCopy},
      {"GET", "/b/k?uploadId=u", false, Op::kListParts},
      {"POST", "/b/k?uploadId=u", false, Op::kCompleteMultipartUpload},
      {"DELETE", "/b/k?uploadId=u", false, Op::kAbortMultipartUpload},
      {"OPTIONS", "/b/k", false, Op::kPreflight},
      // Never a fall-through to another operation:
      {"GET", "/b?acl", false, Op::kNotImplemented},
      {"PUT", "/b/k?acl", false, Op::kNotImplemented},
      {"GET", "/b?policy", false, Op::kNotImplemented},
      {"PUT", "/b?lifecycle", false, Op::kNotImplemented},
      {"GET", "/b?website", false, Op::kNotImplemented},
      {"GET", "/b?tagging", false, Op::kNotImplemented},
      {"GET", "/b/k?torrent", false, Op::kNotImplemented},
      {"POST", "/b/k?restore", false, Op::kNotImplemented},
      {"POST", "/b/k?select&select-type=2", false, Op::kNotImplemented},
      {"GET", "/b?tagging&versioning", false, Op::kNotImplemented},
      {"POST", "/b/k", false, Op::kNotImplemented},
      {"POST", "/b", false, Op::kNotImplemented},
      {"PATCH", "/b/k", false, Op::kNotImplemented},
      {"PUT", "/", false, Op::kNotImplemented},
      {"GET", "/?acl", false, Op::kNotImplemented},
      {"HEAD", "/b?versioning", false, Op::kNotImplemented},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.method << " " << c.target) {
      Route r = RouteOf(c.method, c.target, "", c.copy);
      BOOST_TEST(static_cast<int>(r.op) == static_cast<int>(c.op));
      if (r.op == Op::kNotImplemented) BOOST_TEST(!r.why.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(router_keys_and_hosts) {
  Route r = RouteOf("GET", "/b/a%2F%2Fb/%20x+y%3F");
  BOOST_TEST(r.bucket == "b");
  BOOST_TEST(r.key == "a//b/ x+y?");
  r = RouteOf("GET", "/b//lead");
  BOOST_TEST(r.key == "/lead");
  r = RouteOf("GET", "/b/");
  BOOST_TEST(r.key.empty());
  BOOST_TEST(static_cast<int>(r.op) == static_cast<int>(Op::kListObjectsV1));
  // Virtual-hosted style only for the configured domain.
  r = RouteOf("GET", "/k/x", "bucket.s3.example.com:9000", false, "s3.example.com");
  BOOST_TEST(r.bucket == "bucket");
  BOOST_TEST(r.key == "k/x");
  r = RouteOf("GET", "/k/x", "bucket.other.com", false, "s3.example.com");
  BOOST_TEST(r.bucket == "k");
  r = RouteOf("GET", "/k/x", "bucket.s3.example.com");
  BOOST_TEST(r.bucket == "k");
  r = RouteOf("GET", "/b/k", "s3.example.com", false, "s3.example.com");
  BOOST_TEST(r.bucket == "b");
  auto params = s3::ParseQuery("");
  BOOST_TEST(!ResolveRoute(RouteInput{"GET", "/b/%zz", "", *params, false, ""}));
}

// The config file: keys are flag names, shared keys first, then a section
// per program; the file < the environment < the command line.
BOOST_AUTO_TEST_CASE(config_file_precedence_and_errors) {
  char tmpl[] = "/tmp/seglake-conf-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  BOOST_REQUIRE(fd >= 0);
  const std::string path = tmpl;
  const std::string text =
      "# settings\n"
      "data-dir = /srv/from-file\n"
      "options = allow_other\n"  // the mount's: ignored here, shared section
      "region = eu-north-1\n"
      "\n"
      "[seglake-mount]\n"
      "threads = not-a-number\n"  // another program's section: skipped
      "[seglake-s3d]\n"
      "  listen = \"127.0.0.1:7000\"  \n"
      "--threads=12\n"
      "log-format = json\n";
  BOOST_REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  std::map<std::string, std::string> env = {{"SEGLAKE_CONFIG", path},
                                            {"SEGLAKE_REGION", "ap-south-1"}};
  EnvLookup lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  Config cfg;
  std::string err;
  BOOST_TEST((ParseFlags({"--threads", "3"}, lookup, &cfg, &err, "") == FlagAction::kRun), err);
  BOOST_TEST(cfg.data_dir == "/srv/from-file");  // the file
  BOOST_TEST(cfg.listen_port == 7000);           // the file's own section
  BOOST_TEST(cfg.region == "ap-south-1");        // the environment beats the file
  BOOST_TEST(cfg.threads == 3);                  // the command line beats both
  BOOST_TEST(cfg.log_format == "json");

  // --config beats SEGLAKE_CONFIG; a named file that is missing is an error.
  Config c2;
  BOOST_TEST((ParseFlags({"--config", path + ".missing"}, lookup, &c2, &err, "") ==
              FlagAction::kUsageError));
  BOOST_TEST(err.find("--config") != std::string::npos);
  BOOST_TEST(err.find(".missing") != std::string::npos);
  // The default path is optional.
  Config c3;
  BOOST_TEST((ParseFlags({}, nullptr, &c3, &err, path + ".missing") == FlagAction::kRun));
  // An empty SEGLAKE_CONFIG reads no file, not even the default.
  env["SEGLAKE_CONFIG"] = "";
  Config c4;
  BOOST_TEST((ParseFlags({}, lookup, &c4, &err, path) == FlagAction::kRun));
  BOOST_TEST(c4.data_dir != "/srv/from-file");
  ::unlink(path.c_str());

  // The parser's errors name the line.
  using s3::FlagSpec;
  const std::array<FlagSpec, 3> specs = {
      FlagSpec{"listen", "", true}, FlagSpec{"verbose", "", false}, FlagSpec{"config", "", true}};
  auto parse = [&](std::string_view t, s3::FlagValues* v) {
    err.clear();
    return s3::ParseConfigText(t, "p", specs, v, &err);
  };
  s3::FlagValues v;
  BOOST_TEST(!parse("[p]\nnope = 1\n", &v));
  BOOST_TEST(err == "line 2: 'nope' is not a setting of p");
  BOOST_TEST(parse("nope = 1\n[q]\nnope = 2\n", &v));  // shared or another's: ignored
  BOOST_TEST(!parse("listen\n", &v));
  BOOST_TEST(err.find("line 1: expected key = value") == 0);
  BOOST_TEST(!parse("[p\n", &v));
  BOOST_TEST(!parse("[p]\nverbose = maybe\n", &v));
  BOOST_TEST(err.find("true or false") != std::string::npos);
  BOOST_TEST(!parse("[p]\nconfig = /etc/x\n", &v));  // no nesting
  BOOST_TEST(!parse("listen = a\x01b\n", &v));
  BOOST_TEST(err.find("control character") != std::string::npos);
  v.clear();
  BOOST_TEST(parse("\xEF\xBB\xBF[p]\r\nverbose = on\r\nlisten=:1\r\nlisten = :2\r\n", &v), err);
  BOOST_TEST(v["verbose"] == "1");
  BOOST_TEST(v["listen"] == ":2");  // later lines win
  BOOST_TEST(parse("[p]\nverbose = off\n", &v));
  BOOST_TEST(v.count("verbose") == 0u);
}

BOOST_AUTO_TEST_CASE(flags) {
  std::map<std::string, std::string> env = {{"SEGLAKE_LISTEN", "0.0.0.0:1234"},
                                            {"SEGLAKE_REGION", "eu-west-1"},
                                            {"SEGLAKE_THREADS", "8"}};
  EnvLookup lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  Config cfg;
  std::string err;
  BOOST_TEST((ParseFlags({"--region=us-west-2", "--cors-origin", "https://a, https://b"}, lookup,
                         &cfg, &err) == FlagAction::kRun));
  BOOST_TEST(cfg.listen_host == "0.0.0.0");
  BOOST_TEST(cfg.listen_port == 1234);
  BOOST_TEST(cfg.region == "us-west-2");  // the flag beats the environment
  BOOST_TEST(cfg.threads == 8);
  BOOST_TEST(cfg.cors_origins.size() == 2u);
  BOOST_TEST(cfg.cors_origins[1] == "https://b");
  Config c2;
  BOOST_TEST((ParseFlags({"--nope"}, nullptr, &c2, &err) == FlagAction::kUsageError));
  BOOST_TEST(err.find("--nope") != std::string::npos);
  BOOST_TEST((ParseFlags({"--threads", "0"}, nullptr, &c2, &err) == FlagAction::kUsageError));
  BOOST_TEST(err.find("--threads") != std::string::npos);
  BOOST_TEST((ParseFlags({"--help"}, nullptr, &c2, &err) == FlagAction::kHelp));
  BOOST_TEST((ParseFlags({"--version"}, nullptr, &c2, &err) == FlagAction::kVersion));

  // An empty default config path reads no file.
  BOOST_TEST((ParseFlags({}, nullptr, &c2, &err, "") == FlagAction::kRun));

  std::string host;
  int port = -1;
  BOOST_TEST(ParseListen("[::1]:0", &host, &port));
  BOOST_TEST(host == "::1");
  BOOST_TEST(port == 0);
  BOOST_TEST(ParseListen(":9000", &host, &port));
  BOOST_TEST(host == "0.0.0.0");
  BOOST_TEST(!ParseListen("::1:9000", &host, &port));
  BOOST_TEST(!ParseListen("host:70000", &host, &port));
  BOOST_TEST(!ParseListen("host", &host, &port));
}

BOOST_AUTO_TEST_CASE(metrics_follow_responses) {
  Metrics m;
  m.NoteOperation("R1", "None");
  m.AddBytesIn("R1", 10);
  m.AddBytesIn("R1", 5);
  m.NoteOperation("R1", "PutObject");
  HttpLogEntry e;
  e.request_id = "R1";
  e.status = 200;
  e.bytes = 7;
  e.duration = std::chrono::microseconds(3000);
  m.Finish(e);
  e.request_id = "-";  // answered by the transport alone
  e.status = 400;
  m.Finish(e);
  m.NoteOperation("R2", "GetObject");  // no response yet
  const std::string text = m.Render({{"g", 1}});
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  BOOST_TEST(has("seglake_s3_requests_total{operation=\"PutObject\",status=\"200\"} 1"));
  BOOST_TEST(has("seglake_s3_requests_total{operation=\"None\",status=\"400\"} 1"));
  BOOST_TEST(
      has("seglake_s3_request_duration_seconds_bucket{operation=\"PutObject\",le=\"0.0025\"} 0"));
  BOOST_TEST(
      has("seglake_s3_request_duration_seconds_bucket{operation=\"PutObject\",le=\"0.005\"} 1"));
  BOOST_TEST(
      has("seglake_s3_request_duration_seconds_bucket{operation=\"PutObject\",le=\"+Inf\"} 1"));
  BOOST_TEST(has("seglake_s3_request_duration_seconds_count{operation=\"PutObject\"} 1"));
  BOOST_TEST(has("seglake_s3_request_body_bytes_total{operation=\"PutObject\"} 15"));
  BOOST_TEST(has("seglake_s3_response_body_bytes_total{operation=\"PutObject\"} 7"));
  BOOST_TEST(has("seglake_s3_requests_in_progress 1"));
  BOOST_TEST(has("# TYPE g gauge\ng 1"));
}

BOOST_AUTO_TEST_CASE(flags_secret_and_log_format) {
  std::map<std::string, std::string> env = {{"SEGLAKE_SECRET_KEY_FILE", "/run/secret"},
                                            {"SEGLAKE_LOG_FORMAT", "json"}};
  EnvLookup lookup = [&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  std::string err;
  Config a;
  BOOST_TEST((ParseFlags({"--access-key", "AK"}, lookup, &a, &err) == FlagAction::kRun));
  BOOST_TEST(a.secret_key_file == "/run/secret");
  BOOST_TEST(a.log_format == "json");
  BOOST_TEST(!a.secret_key_in_args);
  Config b;
  BOOST_TEST((ParseFlags({"--access-key", "AK", "--secret-key=S"}, nullptr, &b, &err) ==
              FlagAction::kRun));
  BOOST_TEST(b.secret_key_in_args);
  BOOST_TEST(b.log_format == "text");
  Config c;
  BOOST_TEST((ParseFlags({"--access-key", "AK", "--secret-key", "S"}, lookup, &c, &err) ==
              FlagAction::kUsageError));
  BOOST_TEST(err.find("--secret-key-file") != std::string::npos);
  Config d;
  BOOST_TEST(
      (ParseFlags({"--secret-key-file", "/f"}, nullptr, &d, &err) == FlagAction::kUsageError));
  BOOST_TEST(err.find("--access-key") != std::string::npos);
  Config e;
  BOOST_TEST((ParseFlags({"--log-format", "xml"}, nullptr, &e, &err) == FlagAction::kUsageError));
  BOOST_TEST(err.find("--log-format") != std::string::npos);
  Config f;
  BOOST_TEST((ParseFlags({"--metrics-listen", ":9100"}, nullptr, &f, &err) == FlagAction::kRun));
  BOOST_TEST(f.metrics_host == "0.0.0.0");
  BOOST_TEST(f.metrics_port == 9100);
  BOOST_TEST(a.metrics_host.empty());
  BOOST_TEST((ParseFlags({"--metrics-listen", "x"}, nullptr, &f, &err) == FlagAction::kUsageError));
  BOOST_TEST(err.find("--metrics-listen") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(log_redaction) {
  BOOST_TEST(RedactTarget("/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AK%2F2020&"
                          "X-Amz-Signature=abcdef&x=1") ==
             "/b/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&x=1");
  BOOST_TEST(RedactTarget("/b/k") == "/b/k");
  BOOST_TEST(RedactTarget("/b?uploads") == "/b?uploads");
  HttpLogEntry e;
  e.request_id = "ID";
  e.remote = "1.2.3.4:5";
  e.method = "GET";
  e.target = "/b?x-amz-signature=s";
  e.status = 200;
  e.bytes = 7;
  e.duration = std::chrono::microseconds(1500);
  BOOST_TEST(
      FormatLogLine(e, 0) ==
      "1970-01-01T00:00:00.000Z INFO ID 1.2.3.4:5 GET /b?x-amz-signature=REDACTED 200 7 1.5ms");
  BOOST_TEST(FormatLogLine(e, 0, LogFormat::kJson) ==
             "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"request_id\":\"ID\","
             "\"remote\":\"1.2.3.4:5\",\"method\":\"GET\",\"target\":\"/b?x-amz-signature="
             "REDACTED\",\"status\":200,\"bytes\":7,\"duration_ms\":1.500}");
  e.status = 500;
  BOOST_TEST(FormatLogLine(e, 0).starts_with("1970-01-01T00:00:00.000Z ERROR ID "));
  e.status = 503;
  BOOST_TEST(FormatLogLine(e, 0).starts_with("1970-01-01T00:00:00.000Z WARN ID "));
}

BOOST_AUTO_TEST_CASE(log_events_and_json_strings) {
  BOOST_TEST(JsonString("a\"b\\c") == "\"a\\\"b\\\\c\"");
  BOOST_TEST(JsonString(std::string("\x1b\r\n\0\xc3\xa9\x7f", 7)) ==
             "\"\\u001b\\u000d\\u000a\\u0000\\u00c3\\u00a9\\u007f\"");
  BOOST_TEST(FormatEventLine(LogFormat::kText, LogLevel::kWarn, 0, "a b\nc\x1b") ==
             "1970-01-01T00:00:00.000Z WARN a b\\nc\\x1b");
  BOOST_TEST(FormatEventLine(LogFormat::kJson, LogLevel::kError, 0, "x \"y\"", "RID") ==
             "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"ERROR\",\"msg\":\"x \\\"y\\\"\","
             "\"request_id\":\"RID\"}");
  BOOST_TEST(FormatEventLine(LogFormat::kJson, LogLevel::kInfo, 0, "m") ==
             "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"INFO\",\"msg\":\"m\"}");
}

BOOST_AUTO_TEST_CASE(log_escapes_what_clients_send) {
  BOOST_TEST(EscapeLogField("/b/k?x=1&y=%1B") == "/b/k?x=1&y=%1B");
  BOOST_TEST(EscapeLogField("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  BOOST_TEST(EscapeLogField("a\r\nb\tc") == "a\\r\\nb\\tc");
  BOOST_TEST(EscapeLogField(std::string("a\0b", 3)) == "a\\x00b");
  BOOST_TEST(EscapeLogField("a b\x7f\xff") == "a\\x20b\\x7f\\xff");
  BOOST_TEST(EscapeLogField("back\\slash \"q\"") == "back\\\\slash\\x20\"q\"");
  BOOST_TEST(EscapeLogField("") == "-");
  // A forged line: the CR LF and the fake entry stay inside one field.
  HttpLogEntry e;
  e.request_id = "ID";
  e.remote = "1.2.3.4:5";
  e.method =
      "G\x1b"
      "ET";
  e.target = "/b/k\r\n1970-01-01T00:00:00.000Z X 6.6.6.6:1 DELETE /b/k 204 0 0.1ms";
  e.status = 400;
  const std::string line = FormatLogLine(e, 0);
  BOOST_TEST(line ==
             "1970-01-01T00:00:00.000Z INFO ID 1.2.3.4:5 G\\x1bET "
             "/b/k\\r\\n1970-01-01T00:00:00.000Z\\x20X\\x206.6.6.6:1\\x20DELETE\\x20/b/"
             "k\\x20204\\x200\\x200.1ms 400 0 0.0ms");
  for (char ch : line) BOOST_TEST((ch >= 0x20 && ch < 0x7f));
  // Redaction still sees the raw query.
  e.method = "GET";
  e.target = "/b?X-Amz-Signature=\x1bsecret&a=\x01";
  BOOST_TEST(FormatLogLine(e, 0).find("X-Amz-Signature=REDACTED&a=\\x01") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(preconditions) {
  s3::HeaderMap h;
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kProceed));
  h.emplace("If-Match", "\"abc\"");
  h.emplace("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:10 GMT");
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kProceed));
  h.clear();
  h.emplace("If-Match", "\"x\", \"abc\"");
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kProceed));
  h.clear();
  h.emplace("If-Match", "*");
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kProceed));
  h.clear();
  h.emplace("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:10 GMT");
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kFailed));
  h.clear();
  h.emplace("If-None-Match", "W/\"abc\"");
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kNotModified));
  h.clear();
  h.emplace("If-None-Match", "\"zzz\"");
  h.emplace("If-Modified-Since", "Thu, 01 Jan 1970 00:10:00 GMT");
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kProceed));
  h.clear();
  h.emplace("x-amz-copy-source-if-none-match", "\"abc\"");
  BOOST_TEST(
      (EvaluatePreconditions(h, "x-amz-copy-source-", "abc", 100) == Precondition::kNotModified));
  BOOST_TEST((EvaluatePreconditions(h, "", "abc", 100) == Precondition::kProceed));
  h.clear();
  h.emplace("If-Range", "\"abc\"");
  BOOST_TEST(IfRangeAllows(h, "abc", 100));
  BOOST_TEST(!IfRangeAllows(h, "abd", 100));
}

BOOST_AUTO_TEST_CASE(content_encoding) {
  BOOST_TEST(StoredContentEncoding("aws-chunked") == "");
  BOOST_TEST(StoredContentEncoding("aws-chunked,gzip") == "gzip");
  BOOST_TEST(StoredContentEncoding("gzip, aws-chunked") == "gzip");
  BOOST_TEST(StoredContentEncoding("br") == "br");
  BOOST_TEST(StoredContentEncoding("deflate, gzip") == "deflate, gzip");  // as sent
  BOOST_TEST(StoredContentEncoding("deflate,gzip") == "deflate,gzip");
  BOOST_TEST(StoredContentEncoding("aws-chunked, deflate,gzip") == "deflate, gzip");
}

namespace {
size_t ThreadsOfProcess() {
  size_t n = 0;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  return n;
}
}  // namespace

BOOST_AUTO_TEST_CASE(work_pool_runs_each_index_once) {
  WorkPool pool(3);
  BOOST_TEST(pool.helpers() == 3u);
  for (size_t n : {0u, 1u, 2u, 7u, 1000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.ForEach(n, [&](size_t i) { hits[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) BOOST_TEST(hits[i].load() == 1);
  }
}

BOOST_AUTO_TEST_CASE(work_pool_without_helpers_runs_inline) {
  WorkPool pool(0);
  const auto self = std::this_thread::get_id();
  size_t elsewhere = 0;
  pool.ForEach(50, [&](size_t) { elsewhere += std::this_thread::get_id() != self; });
  BOOST_TEST(elsewhere == 0u);
}

BOOST_AUTO_TEST_CASE(work_pool_bounds_threads_across_callers) {
  WorkPool pool(4);
  const size_t before = ThreadsOfProcess();
  std::atomic<size_t> peak{0};
  std::atomic<size_t> total{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      for (int round = 0; round < 20; ++round) {
        pool.ForEach(64, [&](size_t) {
          total.fetch_add(1);
          size_t now = ThreadsOfProcess();
          size_t p = peak.load();
          while (now > p && !peak.compare_exchange_weak(p, now)) {
          }
        });
      }
    });
  }
  for (auto& t : callers) t.join();
  BOOST_TEST(total.load() == 8u * 20u * 64u);
  // The callers themselves, and not one thread more.
  BOOST_TEST(peak.load() <= before + 8);
}

BOOST_AUTO_TEST_CASE(work_pool_rethrows_and_finishes) {
  WorkPool pool(2);
  std::atomic<size_t> ran{0};
  BOOST_CHECK_THROW(pool.ForEach(20,
                                 [&](size_t i) {
                                   ran.fetch_add(1);
                                   if (i == 3) throw std::runtime_error("boom");
                                 }),
                    std::runtime_error);
  BOOST_TEST(ran.load() == 20u);
  pool.ForEach(5, [&](size_t) { ran.fetch_add(1); });
  BOOST_TEST(ran.load() == 25u);
}

BOOST_AUTO_TEST_CASE(stored_headers_never_carry_control_characters) {
  // The mount stores user.* xattrs as metadata without the S3 checks: a
  // value or name that cannot be a header is left out of the response.
  ObjectInfo o;
  o.etag = "e";
  o.attrs.content_type = "text/html\r\nSet-Cookie: a=b";
  o.attrs.content_disposition = "inline\nX: y";
  o.attrs.cache_control = "no-cache";
  o.attrs.expires = std::string("a\0b", 3);
  o.attrs.user_meta = {{"ok", "v\tw"},     {"empty", ""},          {"crlf", "a\r\nb: c"},
                       {"esc", "\x1b[2J"}, {"bad name", "v"},      {"colon:x", "v"},
                       {"nl\nx", "v"},     {"utf8", "caf\xc3\xa9"}};
  HttpResponse res;
  AddObjectHeaders(o, res);
  BOOST_TEST(*res.FindHeader("Content-Type") == "binary/octet-stream");
  BOOST_TEST(!res.FindHeader("Content-Disposition"));
  BOOST_TEST(!res.FindHeader("Expires"));
  BOOST_TEST(*res.FindHeader("Cache-Control") == "no-cache");
  BOOST_TEST(*res.FindHeader("x-amz-meta-ok") == "v\tw");
  BOOST_TEST(*res.FindHeader("x-amz-meta-empty") == "");
  BOOST_TEST(*res.FindHeader("x-amz-meta-utf8") == "caf\xc3\xa9");
  for (const auto& [name, value] : res.headers) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(s3::IsHttpToken(name));
      BOOST_TEST(!s3::HasControlChars(value));
    }
  }
  BOOST_TEST(res.headers.size() == 8u);  // type, etag, mtime, ranges, cache, ok, empty, utf8
}

}  // namespace seglake::s3d
