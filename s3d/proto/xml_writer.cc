#include "proto/xml_writer.h"

namespace seglake::s3 {

std::string XmlEscape(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
          out += "&#x";
          if (u >= 0x10) out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
          out.push_back(';');
        } else {
          out.push_back(c);
        }
      }
    }
  }
  return out;
}

XmlWriter::XmlWriter(std::string_view root, std::string_view xmlns) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  out_.append(root);
  if (!xmlns.empty()) {
    out_ += " xmlns=\"";
    out_ += XmlEscape(xmlns);
    out_.push_back('"');
  }
  out_.push_back('>');
  open_.emplace_back(root);
}

void XmlWriter::Open(std::string_view name) {
  out_.push_back('<');
  out_.append(name);
  out_.push_back('>');
  open_.emplace_back(name);
}

void XmlWriter::Close() {
  if (open_.empty()) return;
  out_ += "</";
  out_ += open_.back();
  out_.push_back('>');
  open_.pop_back();
}

void XmlWriter::Element(std::string_view name, std::string_view text) {
  out_.push_back('<');
  out_.append(name);
  out_.push_back('>');
  out_ += XmlEscape(text);
  out_ += "</";
  out_.append(name);
  out_.push_back('>');
}

void XmlWriter::Element(std::string_view name, uint64_t value) {
  Element(name, std::string_view(std::to_string(value)));
}

void XmlWriter::Flag(std::string_view name, bool value) {
  Element(name, std::string_view(value ? "true" : "false"));
}

void XmlWriter::Optional(std::string_view name, std::string_view text) {
  if (!text.empty()) Element(name, text);
}

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

}  // namespace seglake::s3
