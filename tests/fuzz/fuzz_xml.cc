// Fuzzes the XML request parsers, all of them on every input, and checks
// that what the builders write parses back to the same strings.
#include <pugixml.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/tags.h"
#include "proto/xml_list.h"
#include "proto/xml_parse.h"
#include "proto/xml_results.h"
#include "proto/xml_writer.h"

namespace {

using namespace seglake::s3;

void Check(bool ok) {
  if (!ok) std::abort();
}

// Every <Key> text of a document our builders wrote.
std::vector<std::string> KeysOf(const std::string& doc) {
  pugi::xml_document d;
  Check(static_cast<bool>(
      d.load_buffer(doc.data(), doc.size(), pugi::parse_default | pugi::parse_ws_pcdata_single)));
  std::vector<std::string> keys;
  for (pugi::xml_node c : d.document_element().children("Contents")) {
    keys.emplace_back(c.child("Key").text().get());
  }
  return keys;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  if (auto parts = ParseCompleteMultipartUpload(body)) {
    Check(!parts->empty() && parts->size() <= kMaxPartNumber);
    for (size_t i = 0; i < parts->size(); ++i) {
      Check((*parts)[i].part_number >= 1 && (*parts)[i].part_number <= kMaxPartNumber);
      if (i > 0) Check((*parts)[i].part_number > (*parts)[i - 1].part_number);
    }
  }
  (void)ParseCreateBucketConfiguration(body);
  (void)ParseVersioningConfiguration(body);
  (void)ParseTaggingHeader(body);

  if (auto tags = ParseTagging(body)) {
    auto again = ParseTagging(TaggingXmlDoc(*tags));
    Check(again && *again == *tags);
  }

  if (auto del = ParseDeleteRequest(body)) {
    Check(!del->objects.empty() && del->objects.size() <= kMaxDeleteObjects);
    // Delete request -> our writer -> parser: the keys survive.
    XmlWriter w("Delete");
    if (del->quiet) w.Flag("Quiet", true);
    for (const DeleteObjectXml& o : del->objects) {
      w.Open("Object");
      w.Element("Key", o.key);
      if (!o.version_id.empty()) w.Element("VersionId", o.version_id);
      w.Close();
    }
    auto again = ParseDeleteRequest(w.Finish());
    Check(again.has_value() && again->objects.size() == del->objects.size());
    ListObjectsXml list;
    list.bucket = "b";
    for (size_t i = 0; i < del->objects.size(); ++i) {
      Check(again->objects[i].key == del->objects[i].key);
      Check(again->objects[i].version_id == del->objects[i].version_id);
      XmlObject obj;
      obj.key = del->objects[i].key;
      list.objects.push_back(obj);
    }
    // Listings of those keys are well-formed and carry them unchanged.
    const std::vector<std::string> keys = KeysOf(ListObjectsV2XmlDoc(list));
    Check(keys.size() == list.objects.size());
    for (size_t i = 0; i < keys.size(); ++i) Check(keys[i] == list.objects[i].key);
    list.encoding_type = "url";
    Check(KeysOf(ListObjectsV1XmlDoc(list)).size() == list.objects.size());
  }
  return 0;
}
