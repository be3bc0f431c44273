#include "meta/codec.h"

namespace seglake::meta {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* k) {
  auto it = j.find(k);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

template <typename T>
std::optional<T> Opt(const json& j, const char* k) {
  auto it = j.find(k);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<T>();
}

bool Bool(const json& j, const char* k) {
  auto it = j.find(k);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::map<std::string, std::string> StrMap(const json& j, const char* k) {
  std::map<std::string, std::string> m;
  auto it = j.find(k);
  if (it == j.end() || !it->is_object()) return m;
  for (auto& [key, v] : it->items())
    if (v.is_string()) m[key] = v.get<std::string>();
  return m;
}

void PutIf(json& j, const char* k, const std::string& v) {
  if (!v.empty()) j[k] = v;
}

}  // namespace

json ParseJson(std::string_view text) {
  try {
    return json::parse(text, nullptr, false);
  } catch (const std::exception&) {  // the library can throw despite the flag
    return json(json::value_t::discarded);
  }
}

json AttrsToJson(const ObjectAttrs& a) {
  json j = json::object();
  PutIf(j, "ct", a.content_type);
  PutIf(j, "ce", a.content_encoding);
  PutIf(j, "cd", a.content_disposition);
  PutIf(j, "cl", a.content_language);
  PutIf(j, "cc", a.cache_control);
  PutIf(j, "ex", a.expires);
  PutIf(j, "sc", a.storage_class);
  if (!a.user_meta.empty()) j["um"] = a.user_meta;
  if (!a.tags.empty()) j["tg"] = a.tags;
  const PosixAttrs& p = a.posix;
  if (p.mode) j["mode"] = *p.mode;
  if (p.uid) j["uid"] = *p.uid;
  if (p.gid) j["gid"] = *p.gid;
  if (p.mtime_ns) j["mt"] = *p.mtime_ns;
  if (p.atime_ns) j["at"] = *p.atime_ns;
  if (p.ctime_ns) j["ctm"] = *p.ctime_ns;
  if (p.symlink_target) j["ln"] = *p.symlink_target;
  return j;
}

ObjectAttrs AttrsFromJson(const json& j) {
  ObjectAttrs a;
  if (!j.is_object()) return a;
  a.content_type = Str(j, "ct");
  a.content_encoding = Str(j, "ce");
  a.content_disposition = Str(j, "cd");
  a.content_language = Str(j, "cl");
  a.cache_control = Str(j, "cc");
  a.expires = Str(j, "ex");
  a.storage_class = Str(j, "sc");
  a.user_meta = StrMap(j, "um");
  a.tags = StrMap(j, "tg");
  a.posix.mode = Opt<uint32_t>(j, "mode");
  a.posix.uid = Opt<uint32_t>(j, "uid");
  a.posix.gid = Opt<uint32_t>(j, "gid");
  a.posix.mtime_ns = Opt<int64_t>(j, "mt");
  a.posix.atime_ns = Opt<int64_t>(j, "at");
  a.posix.ctime_ns = Opt<int64_t>(j, "ctm");
  if (j.contains("ln") && j["ln"].is_string()) a.posix.symlink_target = j["ln"].get<std::string>();
  return a;
}

json ChecksumsToJson(const Checksums& c) {
  json j = json::object();
  PutIf(j, "crc32c", c.crc32c);
  PutIf(j, "crc32", c.crc32);
  PutIf(j, "crc64nvme", c.crc64nvme);
  PutIf(j, "sha1", c.sha1);
  PutIf(j, "sha256", c.sha256);
  if (c.type != "FULL_OBJECT") j["type"] = c.type;
  return j;
}

Checksums ChecksumsFromJson(const json& j) {
  Checksums c;
  if (!j.is_object()) return c;
  c.crc32c = Str(j, "crc32c");
  c.crc32 = Str(j, "crc32");
  c.crc64nvme = Str(j, "crc64nvme");
  c.sha1 = Str(j, "sha1");
  c.sha256 = Str(j, "sha256");
  std::string t = Str(j, "type");
  if (!t.empty()) c.type = t;
  return c;
}

json ChecksumSetToJson(const ChecksumSet& c) {
  return json{{"sha256", c.sha256}, {"sha1", c.sha1}, {"crc32", c.crc32}, {"crc64", c.crc64nvme}};
}

ChecksumSet ChecksumSetFromJson(const json& j) {
  ChecksumSet c;
  if (!j.is_object()) return c;
  c.sha256 = Bool(j, "sha256");
  c.sha1 = Bool(j, "sha1");
  c.crc32 = Bool(j, "crc32");
  c.crc64nvme = Bool(j, "crc64");
  return c;
}

json VersionInfoJson(const ObjectInfo& o) {
  json j = json::object();
  j["a"] = AttrsToJson(o.attrs);
  j["c"] = ChecksumsToJson(o.checksums);
  if (o.parts) {
    j["n"] = o.parts;
    j["ps"] = o.part_sizes;
  }
  if (!o.upload_id.empty()) j["u"] = o.upload_id;
  return j;
}

void VersionInfoFromJson(const json& j, ObjectInfo* o) {
  if (!j.is_object()) return;
  if (j.contains("a")) o->attrs = AttrsFromJson(j["a"]);
  if (j.contains("c")) o->checksums = ChecksumsFromJson(j["c"]);
  o->parts = Opt<uint32_t>(j, "n").value_or(0);
  if (j.contains("ps") && j["ps"].is_array())
    for (auto& v : j["ps"])
      if (v.is_number_unsigned()) o->part_sizes.push_back(v.get<uint64_t>());
  o->damaged = j.contains("dmg") && j["dmg"].is_boolean() && j["dmg"].get<bool>();
  o->upload_id = Str(j, "u");
}

}  // namespace seglake::meta
