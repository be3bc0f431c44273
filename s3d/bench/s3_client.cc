#include "bench/s3_client.h"

#include <pugixml.hpp>

#include <chrono>

#include "proto/crypto.h"
#include "proto/uri.h"

namespace seglake::bench {
namespace {

constexpr size_t kKeepErrorBody = 4096;
constexpr size_t kKeepXmlBody = 16 * 1024 * 1024;

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ChildText(const pugi::xml_node& node, const char* name) {
  return node.child(name).text().as_string();
}

}  // namespace

std::string ObjectPath(const std::string& bucket, const std::string& key) {
  return "/" + bucket + "/" + s3::UriEncode(key, true);
}

std::string ErrorFromXml(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return "";
  pugi::xml_node err = doc.child("Error");
  if (!err) return "";
  std::string code = ChildText(err, "Code");
  std::string message = ChildText(err, "Message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

std::string CompleteMultipartXml(const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>";
    for (char c : etags[i]) {
      if (c == '&') {
        xml += "&amp;";
      } else if (c == '<') {
        xml += "&lt;";
      } else {
        xml += c;
      }
    }
    xml += "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  return xml;
}

S3Client::S3Client(const Options& opts)
    : host_header_(opts.endpoint.host_header),
      http_(opts.endpoint.connect_to, opts.endpoint.port, opts.timeout),
      signer_(opts.access_key, opts.secret_key, opts.region) {}

OpResult S3Client::Do(std::string_view method, const std::string& path, const std::string& query,
                      const BodySource* body, std::string_view small_body,
                      std::string_view payload_hash, size_t keep_body,
                      std::string_view content_type) {
  HttpRequest req;
  req.method = method;
  req.target = query.empty() ? path : path + "?" + query;
  req.headers.emplace_back("Host", host_header_);
  req.body = body;
  req.small_body = small_body;
  req.content_type = content_type;
  req.keep_body = keep_body;
  req.keep_body_on_error_only = method == "GET" && keep_body == kKeepErrorBody;
  OpResult r;
  if (!signer_.Sign(method, path, query, payload_hash, UnixNow(), &req.headers)) {
    r.error = "cannot sign " + req.target;
    return r;
  }
  HttpResponse res = http_.Send(req);
  r.status = res.status;
  r.ttfb = res.ttfb;
  r.etag = std::move(res.etag);
  if (res.status == 0) {
    r.error = res.error;
    return r;
  }
  if (res.status < 200 || res.status > 299) {
    std::string detail = ErrorFromXml(res.body);
    r.error = "HTTP " + std::to_string(res.status) + (detail.empty() ? "" : " " + detail);
    return r;
  }
  r.ok = true;
  if (method == "GET") {
    r.bytes = res.body_bytes;
  } else if (body != nullptr) {
    r.bytes = body->length;
  }
  if (keep_body == kKeepXmlBody) {
    pugi::xml_document doc;
    if (!doc.load_buffer(res.body.data(), res.body.size())) {
      r.ok = false;
      r.error = "HTTP " + std::to_string(res.status) + " with a body that is not XML";
      return r;
    }
    pugi::xml_node root = doc.first_child();
    r.upload_id = ChildText(root, "UploadId");
    r.truncated = std::string(ChildText(root, "IsTruncated")) == "true";
    r.next_token = ChildText(root, "NextContinuationToken");
    for (pugi::xml_node c = root.child("Contents"); c; c = c.next_sibling("Contents")) ++r.keys;
    if (method == "GET") r.bytes = res.body_bytes;
    // CompleteMultipartUpload may answer 200 with an Error document.
    if (std::string_view(root.name()) == "Error") {
      r.ok = false;
      r.error = "HTTP " + std::to_string(res.status) + " " + ErrorFromXml(res.body);
    }
  }
  return r;
}

OpResult S3Client::CreateBucket(const std::string& bucket) {
  OpResult r = Do("PUT", "/" + bucket, "", nullptr, "", s3::kEmptySha256Hex, kKeepErrorBody);
  if (!r.ok && r.status == 409 && r.error.find("BucketAlreadyOwnedByYou") != std::string::npos) {
    r.ok = true;
    r.error.clear();
  }
  return r;
}

OpResult S3Client::Put(const std::string& bucket, const std::string& key, const BodySource& body,
                       const std::string& body_sha256) {
  const std::string_view hash = body_sha256.empty() ? kUnsignedPayload : body_sha256;
  if (body.length == 0) {
    return Do("PUT", ObjectPath(bucket, key), "", nullptr, "",
              body_sha256.empty() ? kUnsignedPayload : s3::kEmptySha256Hex, kKeepErrorBody);
  }
  return Do("PUT", ObjectPath(bucket, key), "", &body, "", hash, kKeepErrorBody);
}

OpResult S3Client::Get(const std::string& bucket, const std::string& key, uint64_t expect_size) {
  OpResult r =
      Do("GET", ObjectPath(bucket, key), "", nullptr, "", s3::kEmptySha256Hex, kKeepErrorBody);
  if (r.ok && expect_size != UINT64_MAX && r.bytes != expect_size) {
    r.ok = false;
    r.error = "GET returned " + std::to_string(r.bytes) + " bytes, expected " +
              std::to_string(expect_size);
  }
  return r;
}

OpResult S3Client::Head(const std::string& bucket, const std::string& key) {
  return Do("HEAD", ObjectPath(bucket, key), "", nullptr, "", s3::kEmptySha256Hex, 0);
}

OpResult S3Client::Delete(const std::string& bucket, const std::string& key) {
  return Do("DELETE", ObjectPath(bucket, key), "", nullptr, "", s3::kEmptySha256Hex,
            kKeepErrorBody);
}

OpResult S3Client::ListV2(const std::string& bucket, const std::string& prefix,
                          const std::string& token, int max_keys) {
  std::string query = "list-type=2&max-keys=" + std::to_string(max_keys) +
                      "&prefix=" + s3::UriEncode(prefix, false);
  if (!token.empty()) query += "&continuation-token=" + s3::UriEncode(token, false);
  return Do("GET", "/" + bucket, query, nullptr, "", s3::kEmptySha256Hex, kKeepXmlBody);
}

OpResult S3Client::CreateMultipart(const std::string& bucket, const std::string& key) {
  OpResult r = Do("POST", ObjectPath(bucket, key), "uploads", nullptr, "", s3::kEmptySha256Hex,
                  kKeepXmlBody);
  if (r.ok && r.upload_id.empty()) {
    r.ok = false;
    r.error = "CreateMultipartUpload answered without an UploadId";
  }
  return r;
}

OpResult S3Client::UploadPart(const std::string& bucket, const std::string& key,
                              const std::string& upload_id, int part_number, const BodySource& body,
                              const std::string& body_sha256) {
  const std::string query =
      "partNumber=" + std::to_string(part_number) + "&uploadId=" + s3::UriEncode(upload_id, false);
  const std::string_view hash = body_sha256.empty() ? kUnsignedPayload : body_sha256;
  OpResult r = Do("PUT", ObjectPath(bucket, key), query, &body, "", hash, kKeepErrorBody);
  if (r.ok && r.etag.empty()) {
    r.ok = false;
    r.error = "UploadPart answered without an ETag";
  }
  return r;
}

OpResult S3Client::CompleteMultipart(const std::string& bucket, const std::string& key,
                                     const std::string& upload_id,
                                     const std::vector<std::string>& etags) {
  const std::string xml = CompleteMultipartXml(etags);
  return Do("POST", ObjectPath(bucket, key), "uploadId=" + s3::UriEncode(upload_id, false), nullptr,
            xml, s3::Sha256Hex(xml), kKeepXmlBody, "application/xml");
}

OpResult S3Client::AbortMultipart(const std::string& bucket, const std::string& key,
                                  const std::string& upload_id) {
  return Do("DELETE", ObjectPath(bucket, key), "uploadId=" + s3::UriEncode(upload_id, false),
            nullptr, "", s3::kEmptySha256Hex, kKeepErrorBody);
}

}  // namespace seglake::bench
