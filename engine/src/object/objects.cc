// Bucket and object operations.
#include "meta/codec.h"
#include "object/engine_impl.h"
#include "seglake/checksum.h"

namespace seglake {

using nlohmann::json;

namespace {
Status NoSuch(const char* what, const std::string& name) {
  return Status::NotFound(name).WithDetail(what);
}
Status CheckKey(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  return Status::OK();
}
json CondJson(const WriteConditions& c) {
  json j = json::object();
  if (c.if_none_match_any) j["inm"] = true;
  if (!c.if_match.empty()) {
    std::string m = c.if_match;
    if (m.size() >= 2 && m.front() == '"' && m.back() == '"') m = m.substr(1, m.size() - 2);
    j["im"] = m;
  }
  return j;
}
json Blob(const std::string& s) { return json::binary(std::vector<uint8_t>(s.begin(), s.end())); }
}  // namespace

Status EngineImpl::CreateBucket(const std::string& name, const std::string& region) {
  if (name.empty() || name.find('/') != std::string::npos)
    return Status::InvalidArgument("invalid bucket name").WithDetail("InvalidBucketName");
  auto r = Commit(json{{"t", "mkb"}, {"b", name}, {"r", region}, {"ns", env_->NowNanos()}});
  return r ? Status::OK() : r.error();
}

Status EngineImpl::DeleteBucket(const std::string& name, bool abort_uploads) {
  json op = {{"t", "rmb"}, {"b", name}};
  if (abort_uploads) op["au"] = true;
  auto r = Commit(op);
  return r ? Status::OK() : r.error();
}

Result<BucketInfo> EngineImpl::GetBucket(const std::string& name) {
  auto db = pool_.Get();
  auto b = meta::LoadBucket(db.get(), name);
  if (!b) return Err(b.error());
  if (!*b) return Err(NoSuch("NoSuchBucket", name));
  return **b;
}

Result<std::vector<BucketInfo>> EngineImpl::ListBuckets() {
  auto db = pool_.Get();
  auto st = db->Prepare("SELECT name, region, created_ns, versioning FROM buckets ORDER BY name");
  if (!st) return Err(st.error());
  std::vector<BucketInfo> out;
  for (;;) {
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!*r) break;
    out.push_back(
        BucketInfo{st->Text(0), st->Text(1), st->UInt(2), static_cast<Versioning>(st->Int(3))});
  }
  return out;
}

Status EngineImpl::SetVersioning(const std::string& bucket, Versioning v) {
  auto r = Commit(json{{"t", "ver"}, {"b", bucket}, {"s", static_cast<uint64_t>(v)}});
  return r ? Status::OK() : r.error();
}

Result<std::unique_ptr<ObjectWriter>> EngineImpl::BeginPut(const std::string& bucket,
                                                           const std::string& key,
                                                           const PutOptions& opts) {
  SEGLAKE_TRY(WritableCheck());
  SEGLAKE_TRY(CheckKey(key));
  if (auto b = GetBucket(bucket); !b) return Err(b.error());
  json op = {{"t", "put"}, {"b", bucket}, {"k", key}, {"cond", CondJson(opts.conditions)}};
  op["i"] = json{{"a", meta::AttrsToJson(opts.attrs)}};
  return NewObjectWriter(this, std::move(op), opts.checksums);
}

Status CheckNotDamaged(const meta::VersionRow& v) {
  if (v.info.find("\"dmg\":true") == std::string::npos) return Status::OK();
  return Status::Corruption("version " + v.version_id + " of " + v.bucket + "/" + v.key +
                            " is damaged (found by scrub)");
}

Result<meta::VersionRow> EngineImpl::ReadableVersion(const std::string& bucket,
                                                     const std::string& key,
                                                     const std::string& version_id) {
  auto db = pool_.Get();
  auto b = meta::LoadBucket(db.get(), bucket);
  if (!b) return Err(b.error());
  if (!*b) return Err(NoSuch("NoSuchBucket", bucket));
  auto v = version_id.empty() ? meta::LoadCurrent(db.get(), bucket, key)
                              : meta::LoadVersion(db.get(), bucket, key, version_id);
  if (!v) return Err(v.error());
  if (!*v) return Err(NoSuch(version_id.empty() ? "NoSuchKey" : "NoSuchVersion", key));
  if ((*v)->delete_marker) return Err(NoSuch("DeleteMarker", key));
  return **v;
}

Result<ObjectInfo> EngineImpl::Head(const std::string& bucket, const std::string& key,
                                    const std::string& version_id) {
  auto v = ReadableVersion(bucket, key, version_id);
  if (!v) return Err(v.error());
  ObjectInfo o = meta::ToObjectInfo(*v, true);
  if (version_id.empty()) {
    o.is_latest = true;
  } else {
    auto db = pool_.Get();
    auto latest = meta::LoadLatest(db.get(), bucket, key);
    if (!latest) return Err(latest.error());
    o.is_latest = *latest && (*latest)->id == v->id;
  }
  return o;
}

Result<std::unique_ptr<ObjectReader>> EngineImpl::OpenRead(const std::string& bucket,
                                                           const std::string& key,
                                                           const std::string& version_id) {
  auto lease = HoldReads();
  auto v = ReadableVersion(bucket, key, version_id);
  if (!v) return Err(v.error());
  SEGLAKE_TRY(CheckNotDamaged(*v));
  auto m = Manifest::Decode(v->manifest);
  if (!m) return Err(m.error());
  if (m->size() != v->size) return Err(Status::Corruption("manifest size differs from version"));
  ObjectInfo o = meta::ToObjectInfo(*v, true);
  return NewObjectReader(this, std::move(o), std::move(*m), std::move(lease));
}

Result<DeleteResult> EngineImpl::Delete(const std::string& bucket, const std::string& key,
                                        const std::string& version_id,
                                        const WriteConditions& cond) {
  SEGLAKE_TRY(CheckKey(key));
  json op = {{"t", "del"}, {"b", bucket}, {"k", key}, {"v", version_id}, {"ns", env_->NowNanos()}};
  if (!cond.if_match.empty()) op["cond"] = CondJson(WriteConditions{false, cond.if_match});
  auto r = Commit(op);
  if (!r) return Err(r.error());
  DeleteResult d = r->deleted;
  d.seq = r->seq;
  return d;
}

Result<std::string> EngineImpl::SliceMd5(const Manifest& m, uint64_t size) {
  ObjectInfo none;
  auto reader = NewObjectReader(this, none, m);
  auto h = Hasher::New(HashAlgo::kMd5);
  std::string buf(1 << 20, '\0');
  for (uint64_t off = 0; off < size;) {
    auto n = reader->ReadAt(off, buf.data(), buf.size());
    if (!n) return Err(n.error());
    if (*n == 0) return Err(Status::Corruption("short read while hashing"));
    h->Update(buf.data(), *n);
    off += *n;
  }
  return ToHex(h->Digest());
}

Result<ObjectInfo> EngineImpl::Copy(const std::string& src_bucket, const std::string& src_key,
                                    const std::string& dst_bucket, const std::string& dst_key,
                                    const CopyOptions& opts) {
  SEGLAKE_TRY(WritableCheck());
  SEGLAKE_TRY(CheckKey(dst_key));
  auto lease = HoldReads();  // until the copy commits
  auto v = ReadableVersion(src_bucket, src_key, opts.src_version_id);
  if (!v) return Err(v.error());
  SEGLAKE_TRY(CheckNotDamaged(*v));
  auto m = Manifest::Decode(v->manifest);
  if (!m) return Err(m.error());
  ObjectInfo src = meta::ToObjectInfo(*v, true);
  ObjectInfo dst;
  dst.attrs = opts.replace_attrs ? opts.attrs : src.attrs;
  json op = {{"t", "put"},
             {"b", dst_bucket},
             {"k", dst_key},
             {"ns", env_->NowNanos()},
             {"cond", CondJson(opts.conditions)}};
  if (opts.range_first) {
    uint64_t first = *opts.range_first, last = opts.range_last.value_or(v->size - 1);
    if (first > last || last >= v->size)
      return Err(Status::InvalidArgument("range outside the source").WithDetail("InvalidRange"));
    Manifest slice = m->Slice(first, last - first + 1);
    auto md5 = SliceMd5(slice, slice.size());
    if (!md5) return Err(md5.error());
    op["m"] = Blob(slice.Encode());
    op["size"] = slice.size();
    op["etag"] = *md5;
  } else {
    // A whole copy keeps the source's ETag, parts and checksums: the bytes
    // and their layout are the same.
    dst.checksums = src.checksums;
    dst.parts = src.parts;
    dst.part_sizes = src.part_sizes;
    op["m"] = Blob(v->manifest);
    op["size"] = v->size;
    op["etag"] = v->etag;
  }
  op["i"] = meta::VersionInfoJson(dst);
  auto r = Commit(std::move(op));
  if (!r) return Err(r.error());
  return r->object;
}

Status EngineImpl::Rename(const std::string& bucket, const std::string& from, const std::string& to,
                          bool prefix, bool replace, uint64_t* seq) {
  if (!prefix) {
    SEGLAKE_RETURN_IF_ERROR(CheckKey(from));
    SEGLAKE_RETURN_IF_ERROR(CheckKey(to));
  }
  auto r = Commit(json{{"t", "ren"},
                       {"b", bucket},
                       {"from", from},
                       {"to", to},
                       {"prefix", prefix},
                       {"replace", replace},
                       {"ns", env_->NowNanos()}});
  if (!r) return r.error();
  if (seq) *seq = r->seq;
  return Status::OK();
}

Status EngineImpl::Exchange(const std::string& bucket, const std::string& a, bool a_dir,
                            const std::string& b, bool b_dir, uint64_t* seq) {
  SEGLAKE_RETURN_IF_ERROR(CheckKey(a));
  SEGLAKE_RETURN_IF_ERROR(CheckKey(b));
  auto r = Commit(json{{"t", "xch"},
                       {"b", bucket},
                       {"a", a},
                       {"ad", a_dir},
                       {"bn", b},
                       {"bd", b_dir},
                       {"ns", env_->NowNanos()}});
  if (!r) return r.error();
  if (seq) *seq = r->seq;
  return Status::OK();
}

Status EngineImpl::SetTags(const std::string& bucket, const std::string& key,
                           const std::string& version_id,
                           const std::map<std::string, std::string>& tags) {
  auto r = Commit(json{{"t", "tag"}, {"b", bucket}, {"k", key}, {"v", version_id}, {"tags", tags}});
  return r ? Status::OK() : r.error();
}

Result<uint64_t> EngineImpl::LastSeq() {
  auto db = pool_.Get();
  auto st = db->Prepare("SELECT v FROM kv WHERE k='seq'");
  if (!st) return Err(st.error());
  auto r = st->Step();
  if (!r) return Err(r.error());
  return *r ? st->UInt(0) : 0;
}

Result<std::vector<Change>> EngineImpl::ChangesSince(uint64_t seq, uint32_t limit) {
  auto db = pool_.Get();
  auto st = db->Prepare("SELECT seq, bucket, key FROM changes WHERE seq>? ORDER BY id LIMIT ?");
  if (!st) return Err(st.error());
  st->Bind(1, seq).Bind(2, limit);
  std::vector<Change> out;
  for (;;) {
    auto r = st->Step();
    if (!r) return Err(r.error());
    if (!*r) break;
    out.push_back(Change{st->UInt(0), st->Text(1), st->Blob(2)});
  }
  // One seq can log several changes (a rename): a page never ends inside
  // one, so a follower can resume from the last seq it saw.
  if (out.size() == limit && limit > 0) {
    auto more = db->Prepare("SELECT seq, bucket, key FROM changes WHERE seq=? ORDER BY id");
    if (!more) return Err(more.error());
    uint64_t last = out.back().seq;
    size_t have = 0;
    for (auto it = out.rbegin(); it != out.rend() && it->seq == last; ++it) ++have;
    more->Bind(1, last);
    std::vector<Change> all;
    for (;;) {
      auto r = more->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      all.push_back(Change{more->UInt(0), more->Text(1), more->Blob(2)});
    }
    for (size_t i = have; i < all.size(); ++i) out.push_back(std::move(all[i]));
  }
  return out;
}

Result<EngineStats> EngineImpl::Stats() {
  auto db = pool_.Get();
  EngineStats s;
  struct Q {
    const char* sql;
    uint64_t* out;
  };
  for (Q q : {Q{"SELECT count(*) FROM buckets", &s.buckets},
              Q{"SELECT count(*) FROM current", &s.objects},
              Q{"SELECT count(*) FROM versions WHERE delete_marker=0", &s.versions},
              Q{"SELECT count(*) FROM versions WHERE delete_marker=1", &s.delete_markers},
              Q{"SELECT count(*) FROM uploads", &s.uploads},
              Q{"SELECT coalesce(sum(live_bytes),0) FROM segments", &s.live_bytes},
              Q{"SELECT v FROM kv WHERE k='seq'", &s.last_seq},
              // A manifest's length gives its extent count (manifest/FORMAT.md);
              // length() of a BLOB does not read it.
              Q{"SELECT coalesce(sum((length(manifest) - 20) / 24), 0) FROM versions "
                "WHERE delete_marker=0 AND manifest IS NOT NULL",
                &s.extents},
              Q{"SELECT coalesce(sum(length(manifest) > 20 + 24 * 64), 0) FROM versions "
                "WHERE delete_marker=0 AND manifest IS NOT NULL",
                &s.fragmented_versions}}) {
    auto st = db->Prepare(q.sql);
    if (!st) return Err(st.error());
    auto r = st->Step();
    if (!r) return Err(r.error());
    *q.out = *r ? st->UInt(0) : 0;
  }
  auto names = env_->ListDir(seg_dir_);
  if (!names) return Err(names.error());
  for (const auto& n : *names) {
    uint64_t id;
    if (!segment::ParseFileName(n, &id)) continue;
    auto f = env_->Open(seg_dir_ + "/" + n, OpenOptions{});
    if (!f) continue;
    auto size = (*f)->Size();
    if (size) s.segment_bytes += *size;
    bool sealed = segment::IsSealed(**f);
    ++(sealed ? s.segments_sealed : s.segments_open);
  }
  return s;
}

}  // namespace seglake
