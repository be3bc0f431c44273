// Multipart uploads: parts are manifests; Complete concatenates them.
#include <cinttypes>
#include <cstdio>
#include <random>

#include "meta/codec.h"
#include "object/engine_impl.h"
#include "seglake/checksum.h"

namespace seglake {

using nlohmann::json;

namespace {
Status NoSuchUpload(const std::string& id) {
  return Status::NotFound(id).WithDetail("NoSuchUpload");
}
Status CheckPartNumber(uint32_t n) {
  if (n < 1 || n > 10000)
    return Status::InvalidArgument("part number must be 1..10000").WithDetail("InvalidArgument");
  return Status::OK();
}
// Upload ids sort by creation time, then random bits.
std::string NewUploadId(uint64_t now_ns) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, now_ns, rng(), rng());
  return buf;
}
}  // namespace

Result<UploadInfo> EngineImpl::CreateUpload(const std::string& bucket, const std::string& key,
                                            const PutOptions& opts) {
  if (key.empty()) return Err(Status::InvalidArgument("empty key"));
  uint64_t now = env_->NowNanos();
  UploadInfo u;
  u.upload_id = NewUploadId(now);
  u.bucket = bucket;
  u.key = key;
  u.initiated_ns = now;
  u.attrs = opts.attrs;
  u.checksums = opts.checksums;
  json info = {{"a", meta::AttrsToJson(opts.attrs)},
               {"cs", meta::ChecksumSetToJson(opts.checksums)}};
  auto r = Commit(
      json{{"t", "mpc"}, {"b", bucket}, {"k", key}, {"u", u.upload_id}, {"ns", now}, {"i", info}});
  if (!r) return Err(r.error());
  return u;
}

Result<UploadInfo> EngineImpl::GetUpload(const std::string& upload_id) {
  auto db = pool_.Get();
  auto u = meta::LoadUpload(db.get(), upload_id);
  if (!u) return Err(u.error());
  if (!*u) return Err(NoSuchUpload(upload_id));
  return **u;
}

Result<std::unique_ptr<ObjectWriter>> EngineImpl::BeginPart(const std::string& upload_id,
                                                            uint32_t part_number) {
  SEGLAKE_TRY(WritableCheck());
  SEGLAKE_TRY(CheckPartNumber(part_number));
  auto u = GetUpload(upload_id);
  if (!u) return Err(u.error());
  json op = {{"t", "mpp"}, {"u", upload_id}, {"n", part_number}};
  return NewObjectWriter(this, std::move(op), u->checksums);
}

Result<PartInfo> EngineImpl::CopyPart(const std::string& upload_id, uint32_t part_number,
                                      const std::string& src_bucket, const std::string& src_key,
                                      const CopyOptions& opts) {
  SEGLAKE_TRY(WritableCheck());
  SEGLAKE_TRY(CheckPartNumber(part_number));
  if (auto u = GetUpload(upload_id); !u) return Err(u.error());
  auto lease = HoldReads();  // until the part commits
  auto v = ReadableVersion(src_bucket, src_key, opts.src_version_id);
  if (!v) return Err(v.error());
  SEGLAKE_TRY(CheckNotDamaged(*v));
  auto m = Manifest::Decode(v->manifest);
  if (!m) return Err(m.error());
  Manifest slice = *m;
  if (opts.range_first) {
    uint64_t first = *opts.range_first, last = opts.range_last.value_or(v->size - 1);
    if (first > last || last >= v->size)
      return Err(Status::InvalidArgument("range outside the source").WithDetail("InvalidRange"));
    slice = m->Slice(first, last - first + 1);
  }
  // The part's ETag is the MD5 of its bytes: read them (no copy is written).
  ObjectInfo none;
  auto reader = NewObjectReader(this, none, slice);
  auto md5 = Hasher::New(HashAlgo::kMd5);
  auto crc = Hasher::New(HashAlgo::kCrc32c);
  std::string buf(1 << 20, '\0');
  for (uint64_t off = 0; off < slice.size();) {
    auto n = reader->ReadAt(off, buf.data(), buf.size());
    if (!n) return Err(n.error());
    if (*n == 0) return Err(Status::Corruption("short read while hashing"));
    md5->Update(buf.data(), *n);
    crc->Update(buf.data(), *n);
    off += *n;
  }
  PartInfo p;
  p.part_number = part_number;
  p.size = slice.size();
  p.etag = ToHex(md5->Digest());
  p.last_modified_ns = env_->NowNanos();
  p.checksums.crc32c = ToBase64(crc->Digest());
  std::string enc = slice.Encode();
  auto r = Commit(json{{"t", "mpp"},
                       {"u", upload_id},
                       {"n", part_number},
                       {"size", p.size},
                       {"etag", p.etag},
                       {"ns", p.last_modified_ns},
                       {"m", json::binary(std::vector<uint8_t>(enc.begin(), enc.end()))},
                       {"c", meta::ChecksumsToJson(p.checksums)}});
  if (!r) return Err(r.error());
  return p;
}

Result<ListPartsResult> EngineImpl::ListParts(const std::string& upload_id, uint32_t marker,
                                              uint32_t max_parts) {
  auto db = pool_.Get();
  auto u = meta::LoadUpload(db.get(), upload_id);
  if (!u) return Err(u.error());
  if (!*u) return Err(NoSuchUpload(upload_id));
  auto st = db->Prepare(
      "SELECT part_number, size, etag, mtime_ns, info FROM parts WHERE "
      "upload_id=? AND part_number>? ORDER BY part_number LIMIT ?");
  if (!st) return Err(st.error());
  st->BindText(1, upload_id).Bind(2, marker).Bind(3, static_cast<int64_t>(max_parts) + 1);
  ListPartsResult res;
  for (;;) {
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!*r) break;
    if (res.parts.size() == max_parts) {
      res.truncated = true;
      break;
    }
    PartInfo p;
    p.part_number = static_cast<uint32_t>(st->Int(0));
    p.size = st->UInt(1);
    p.etag = st->Text(2);
    p.last_modified_ns = st->UInt(3);
    p.checksums = meta::ChecksumsFromJson(meta::ParseJson(st->Text(4)));
    res.parts.push_back(std::move(p));
  }
  if (res.truncated && !res.parts.empty())
    res.next_part_number_marker = res.parts.back().part_number;
  return res;
}

Result<ObjectInfo> EngineImpl::CompleteUpload(const std::string& upload_id,
                                              const std::vector<CompletePart>& parts,
                                              const WriteConditions& conditions) {
  json list = json::array();
  for (const auto& p : parts) list.push_back(json::array({p.part_number, p.etag}));
  json cond = json::object();
  if (conditions.if_none_match_any) cond["inm"] = true;
  if (!conditions.if_match.empty()) cond["im"] = conditions.if_match;
  auto r = Commit(json{{"t", "mpx"},
                       {"u", upload_id},
                       {"parts", list},
                       {"ns", env_->NowNanos()},
                       {"min", opt_.min_part_bytes},
                       {"cond", cond}});
  if (!r) return Err(r.error());
  return r->object;
}

Status EngineImpl::AbortUpload(const std::string& upload_id) {
  auto r = Commit(json{{"t", "mpa"}, {"u", upload_id}});
  return r ? Status::OK() : r.error();
}

Result<ListUploadsResult> EngineImpl::ListUploads(const std::string& bucket,
                                                  const ListUploadsOptions& o) {
  auto db = pool_.Get();
  auto b = meta::LoadBucket(db.get(), bucket);
  if (!b) return Err(b.error());
  if (!*b) return Err(Status::NotFound(bucket).WithDetail("NoSuchBucket"));
  // (key, upload_id) > (key_marker, upload_id_marker), within the prefix.
  std::string end = meta::PrefixEnd(o.prefix);
  auto st = db->Prepare(
      "SELECT upload_id, key, created_ns, info FROM uploads WHERE bucket=? AND key>=? AND "
      "(length(?)=0 OR key<?) AND (key>? OR (key=? AND upload_id>?)) ORDER BY key, upload_id LIMIT "
      "?");
  if (!st) return Err(st.error());
  std::string key_from = o.key_marker;
  std::string uid_from = o.upload_id_marker;
  if (!o.key_marker.empty() && o.upload_id_marker.empty()) uid_from = "\x7f";  // after all ids
  st->BindText(1, bucket).BindBlob(2, o.prefix).BindBlob(3, end).BindBlob(4, end);
  st->BindBlob(5, key_from).BindBlob(6, key_from).BindText(7, uid_from);
  st->Bind(8, static_cast<int64_t>(o.max_uploads) + 1);
  ListUploadsResult res;
  for (;;) {
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!*r) break;
    if (res.uploads.size() == o.max_uploads) {
      res.truncated = true;
      break;
    }
    UploadInfo u;
    u.upload_id = st->Text(0);
    u.bucket = bucket;
    u.key = st->Blob(1);
    u.initiated_ns = st->UInt(2);
    auto j = meta::ParseJson(st->Text(3));
    if (j.is_object() && j.contains("a")) u.attrs = meta::AttrsFromJson(j["a"]);
    res.uploads.push_back(std::move(u));
  }
  if (res.truncated && !res.uploads.empty()) {
    res.next_key_marker = res.uploads.back().key;
    res.next_upload_id_marker = res.uploads.back().upload_id;
  }
  return res;
}

}  // namespace seglake
