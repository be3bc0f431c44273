// A minimal streaming XML writer for S3 response documents. Text is escaped
// so that every byte survives a round trip: & < > " ' and all control
// characters (including CR, LF and TAB) become character references, as S3
// writes them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seglake::s3 {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string XmlEscape(std::string_view text);

class XmlWriter {
 public:
  // Writes the XML declaration and opens `root` (with the S3 namespace
  // unless `xmlns` is empty).
  explicit XmlWriter(std::string_view root, std::string_view xmlns = kS3Namespace);

  void Open(std::string_view name);
  void Close();  // closes the innermost open element
  void Element(std::string_view name, std::string_view text);
  void Element(std::string_view name, const char* text) { Element(name, std::string_view(text)); }
  void Element(std::string_view name, const std::string& text) {
    Element(name, std::string_view(text));
  }
  void Element(std::string_view name, uint64_t value);
  void Flag(std::string_view name, bool value);  // "true" or "false"
  // Element only when text is non-empty.
  void Optional(std::string_view name, std::string_view text);
  // Closes everything still open and returns the document.
  std::string Finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

}  // namespace seglake::s3
