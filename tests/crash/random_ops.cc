#include "random_ops.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <sstream>

namespace seglake::testing {

namespace {

const char* const kComponents[] = {"a", "b", "dir", "x y", "a-b", "\xc3\xa9", "z", "p%2Bq+r"};
const char* const kSpecialKeys[] = {"a//b", "trailing/", "dir/", "a/b/c/d/e", "a", "a/"};
const char* const kContentTypes[] = {"", "text/plain", "application/x-test"};

bool StartsWith(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

std::string Desc(const std::string& b, const std::string& k) { return b + "/" + Printable(k); }

size_t FirstDiff(const std::string& a, const std::string& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return i;
  }
  return n;
}

}  // namespace

RandomOps::RandomOps(Engine* engine, Model* model, uint64_t seed, RandomOpsConfig config)
    : engine_(engine), model_(model), cfg_(std::move(config)), rng_(seed) {}

uint64_t RandomOps::Uniform(uint64_t lo, uint64_t hi) {
  if (hi <= lo) return lo;
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
}

bool RandomOps::Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

void RandomOps::Log(std::string op) {
  history_.push_back("#" + std::to_string(history_.size()) + " " + std::move(op));
}

std::string RandomOps::RecentOps(size_t n) const {
  std::string out;
  size_t start = history_.size() > n ? history_.size() - n : 0;
  for (size_t i = start; i < history_.size(); ++i) out += "  " + history_[i] + "\n";
  return out;
}

RandomOps::Outcome RandomOps::Fail(const std::string& what) {
  error_ = what + (history_.empty() ? "" : " [in op " + history_.back() + "]");
  return Outcome::kMismatch;
}

RandomOps::Outcome RandomOps::Unexpected(const Status& s, Apply apply, Apply alt) {
  switch (s.code()) {
    case Status::Code::kIOError:
    case Status::Code::kNoSpace:
    case Status::Code::kCorruption:
    case Status::Code::kBusy:
      error_ = "engine error: " + s.ToString();
      if (apply) pending_ = [apply](Model& m) { apply(m, kAnyId); };
      if (apply && alt) pending_alt_ = [alt](Model& m) { alt(m, kAnyId); };
      return Outcome::kEngineError;
    default:
      return Fail("unexpected status " + s.ToString() + " detail=" + s.detail());
  }
}

bool RandomOps::CheckNewId(const std::string& b, const std::string& k, const std::string& id,
                           std::string* why) const {
  const auto it = model_->buckets.find(b);
  Versioning v = it == model_->buckets.end() ? Versioning::kUnversioned : it->second.versioning;
  if (v == Versioning::kEnabled) {
    if (id.empty() || id == "null") {
      *why = "versioned bucket returned version id '" + id + "'";
      return false;
    }
    if (model_->Find(b, k, id)) {
      *why = "new version id " + id + " already exists for the key";
      return false;
    }
    return true;
  }
  if (id != "null") {
    *why = "bucket without versioning returned version id '" + id + "'";
    return false;
  }
  return true;
}

std::string RandomOps::PickBucket() {
  auto it = model_->buckets.begin();
  std::advance(it, static_cast<long>(Uniform(0, model_->buckets.size() - 1)));
  return it->first;
}

std::string RandomOps::RandomKeyName() {
  if (Chance(0.04)) return kSpecialKeys[Uniform(0, std::size(kSpecialKeys) - 1)];
  std::string k;
  uint64_t depth = Uniform(1, 3);
  for (uint64_t i = 0; i < depth; ++i) {
    if (i) k += "/";
    k += kComponents[Uniform(0, std::size(kComponents) - 1)];
  }
  return k;
}

std::string RandomOps::PickKey(const std::string& b, double existing) {
  const MBucket* bk = model_->bucket(b);
  if (bk && !bk->keys.empty() && Chance(existing)) {
    auto it = bk->keys.begin();
    std::advance(it, static_cast<long>(Uniform(0, bk->keys.size() - 1)));
    return it->first;
  }
  return RandomKeyName();
}

std::string RandomOps::PickCurrentKey(const std::string& b) {
  std::vector<const std::string*> keys;
  const MBucket* bk = model_->bucket(b);
  if (!bk) return "";
  for (const auto& [k, vs] : bk->keys) {
    if (!vs.empty() && !vs.front().delete_marker) keys.push_back(&k);
  }
  if (keys.empty()) return "";
  return *keys[Uniform(0, keys.size() - 1)];
}

std::string RandomOps::PickUpload() {
  // In creation order, so a seed replays the same choices although upload
  // ids are random.
  std::vector<std::pair<uint64_t, std::string>> ids;
  for (const auto& [id, u] : model_->uploads) {
    auto c = upload_order_.find(id);
    ids.emplace_back(c == upload_order_.end() ? UINT64_MAX : c->second, id);
  }
  std::sort(ids.begin(), ids.end());
  return ids[Uniform(0, ids.size() - 1)].second;
}

uint64_t RandomOps::RandomSize() {
  double r = std::uniform_real_distribution<double>(0, 1)(rng_);
  if (r < 0.05) return 0;
  if (r < 0.85 - cfg_.big_fraction) return Uniform(1, 16 << 10);
  if (r < 1 - cfg_.big_fraction) return Uniform(16 << 10, 128 << 10);
  if (Chance(0.5)) {
    // Around a record boundary.
    uint64_t m = Uniform(1, std::max<uint64_t>(1, cfg_.max_size / cfg_.record_bytes));
    uint64_t s = m * cfg_.record_bytes + Uniform(0, 4) - 2;
    return std::min(s, cfg_.max_size);
  }
  return Uniform(128 << 10, cfg_.max_size);
}

uint64_t RandomOps::RandomPartSize() {
  double r = std::uniform_real_distribution<double>(0, 1)(rng_);
  uint64_t min = cfg_.min_part_bytes;
  if (r < 0.6) return Uniform(min, std::max<uint64_t>(min, 32 << 10));
  if (r < 0.75) return Uniform(0, min - 1);
  if (r < 0.85) return min;
  if (r < 0.85 + cfg_.big_fraction) return cfg_.record_bytes + Uniform(0, 4) - 2;
  return Uniform(32 << 10, 256 << 10);
}

std::string RandomOps::RandomContentType() {
  return kContentTypes[Uniform(0, std::size(kContentTypes) - 1)];
}

Bytes RandomOps::NewContent(uint64_t size) {
  return std::make_shared<const std::string>(GenContent(rng_(), size));
}

Status RandomOps::AppendChunks(ObjectWriter* w, const std::string& data) {
  size_t off = 0;
  if (data.empty() && Chance(0.5)) return w->Append(data.data(), 0);
  while (off < data.size()) {
    size_t chunk =
        Chance(0.1) ? cfg_.record_bytes : Uniform(1, std::max<size_t>(1, data.size() / 2));
    chunk = std::min(chunk, data.size() - off);
    SEGLAKE_RETURN_IF_ERROR(w->Append(data.data() + off, chunk));
    off += chunk;
  }
  return Status::OK();
}

RandomOps::Outcome RandomOps::Setup() {
  for (const auto& [name, v] : cfg_.buckets) {
    Log("create bucket " + name);
    Status s = engine_->CreateBucket(name, "us-east-1");
    if (!s.ok()) return Unexpected(s, nullptr);
    model_->buckets[name].versioning = Versioning::kUnversioned;
    if (v != Versioning::kUnversioned) {
      s = engine_->SetVersioning(name, v);
      if (!s.ok()) return Unexpected(s, nullptr);
      model_->buckets[name].versioning = v;
    }
  }
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::Run(int n) {
  for (int i = 0; i < n; ++i) {
    Outcome o = Step();
    if (o != Outcome::kOk) return o;
  }
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::Step() {
  pending_ = nullptr;
  pending_alt_ = nullptr;
  error_.clear();
  struct Choice {
    int weight;
    Outcome (RandomOps::*fn)();
    bool check;
  };
  static const Choice kChoices[] = {
      {22, &RandomOps::OpPut, false},
      {7, &RandomOps::OpDelete, false},
      {4, &RandomOps::OpDeleteVersion, false},
      {8, &RandomOps::OpCopy, false},
      {3, &RandomOps::OpCreateUpload, false},
      {9, &RandomOps::OpUploadPart, false},
      {2, &RandomOps::OpCopyPart, false},
      {4, &RandomOps::OpComplete, false},
      {1, &RandomOps::OpAbort, false},
      {3, &RandomOps::OpRename, false},
      {1, &RandomOps::OpRenamePrefix, false},
      {1, &RandomOps::OpSetVersioning, false},
      {1, &RandomOps::OpBucketLifecycle, false},
      {1, &RandomOps::OpSeal, false},
      {8, &RandomOps::OpRead, true},
      {3, &RandomOps::OpHead, true},
      {3, &RandomOps::OpList, true},
      {2, &RandomOps::OpListVersions, true},
  };
  int total = 0;
  for (const auto& c : kChoices) total += (cfg_.checks || !c.check) ? c.weight : 0;
  int pick = static_cast<int>(Uniform(0, static_cast<uint64_t>(total - 1)));
  for (const auto& c : kChoices) {
    if (!cfg_.checks && c.check) continue;
    if (pick < c.weight) return (this->*c.fn)();
    pick -= c.weight;
  }
  return Outcome::kOk;
}

// ---- Writes -------------------------------------------------------------

RandomOps::Outcome RandomOps::OpPut() {
  std::string b = PickBucket(), k = PickKey(b, 0.5);
  uint64_t size = RandomSize();
  Bytes data = NewContent(size);
  PutOptions po;
  po.attrs.content_type = RandomContentType();
  const MVersion* cur = model_->Current(b, k);
  bool expect_fail = false;
  std::string cond;
  if (Chance(0.05)) {
    po.conditions.if_none_match_any = true;
    expect_fail = cur != nullptr;
    cond = " if-none-match=*";
  } else if (cur && Chance(0.05)) {
    bool right = Chance(0.5);
    po.conditions.if_match = right ? cur->etag : "0123456789abcdef0123456789abcdef";
    expect_fail = !right;
    cond = " if-match=" + po.conditions.if_match;
  }
  bool streaming = Chance(0.5);
  bool abandon = streaming && !expect_fail && Chance(0.05);
  Log(std::string(abandon ? "abandoned " : "") + "put " + Desc(b, k) +
      " size=" + std::to_string(size) + cond + (streaming ? " (streaming)" : ""));
  MVersion v;
  v.data = data;
  v.etag = Md5Hex(*data);
  v.content_type = po.attrs.content_type;
  Apply apply = [b, k, v](Model& m, const std::string& id) {
    MVersion x = v;
    x.id = id;
    m.AddVersion(b, k, std::move(x));
  };
  Result<ObjectInfo> r;
  if (!streaming) {
    r = engine_->Put(b, k, *data, po);
  } else {
    auto w = engine_->BeginPut(b, k, po);
    if (!w) {
      r = Err(w.error());
    } else {
      Status s = AppendChunks(w->get(), *data);
      if (!s.ok()) {
        r = Err(s);
      } else if ((*w)->size() != size) {
        return Fail("writer size " + std::to_string((*w)->size()));
      } else if ((*w)->Md5Hex() != v.etag) {
        return Fail("writer Md5Hex " + (*w)->Md5Hex() + " expected " + v.etag);
      } else if (abandon) {
        return Outcome::kOk;  // destroyed without Commit: nothing may change
      } else {
        r = (*w)->Commit();
      }
    }
  }
  if (expect_fail) {
    if (r) return Fail("put succeeded despite a failing precondition");
    if (!r.error().IsPreconditionFailed()) return Unexpected(r.error(), nullptr);
    return Outcome::kOk;
  }
  if (!r) return Unexpected(r.error(), apply);
  if (r->etag != v.etag || r->size != size || r->parts != 0 || r->key != k || r->bucket != b) {
    return Fail("put returned etag=" + r->etag + " size=" + std::to_string(r->size) +
                " parts=" + std::to_string(r->parts) + " key=" + Printable(r->key) +
                ", expected etag=" + v.etag);
  }
  std::string why;
  if (!CheckNewId(b, k, r->version_id, &why)) return Fail(why);
  apply(*model_, r->version_id);
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpDelete() {
  std::string b = PickBucket(), k = PickKey(b, 0.85);
  Versioning ver = model_->buckets[b].versioning;
  Log("delete " + Desc(b, k));
  Apply apply = [b, k](Model& m, const std::string& id) { m.DeleteCurrent(b, k, id); };
  auto r = engine_->Delete(b, k);
  if (!r) return Unexpected(r.error(), apply);
  if (ver == Versioning::kUnversioned && r->delete_marker) {
    return Fail("delete in an unversioned bucket made a delete marker");
  }
  if (ver == Versioning::kEnabled) {
    std::string why;
    if (!r->delete_marker) return Fail("delete in a versioned bucket made no delete marker");
    if (!CheckNewId(b, k, r->version_id, &why)) return Fail(why);
  }
  if (ver == Versioning::kSuspended && (!r->delete_marker || r->version_id != "null")) {
    return Fail("delete in a suspended bucket returned marker=" + std::to_string(r->delete_marker) +
                " id=" + r->version_id);
  }
  apply(*model_, r->version_id);
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpDeleteVersion() {
  std::string b = PickBucket();
  MBucket& bk = model_->buckets[b];
  if (bk.keys.empty()) return OpPut();
  auto it = bk.keys.begin();
  std::advance(it, static_cast<long>(Uniform(0, bk.keys.size() - 1)));
  std::string k = it->first;
  std::string vid;
  bool dm = false, exists = true;
  if (bk.versioning == Versioning::kEnabled && Chance(0.05)) {
    vid = "00000000000000000000";  // well-formed, never assigned (seq 0)
    exists = false;
  } else {
    const MVersion& v = it->second[Uniform(0, it->second.size() - 1)];
    vid = v.id;
    dm = v.delete_marker;
  }
  Log("delete version " + Desc(b, k) + " " + vid + (dm ? " (marker)" : ""));
  Apply apply = [b, k, vid](Model& m, const std::string&) { m.DeleteVersion(b, k, vid); };
  auto r = engine_->Delete(b, k, vid);
  if (!r) return Unexpected(r.error(), apply);
  if (r->delete_marker != dm || r->version_id != vid) {
    return Fail("delete version returned marker=" + std::to_string(r->delete_marker) +
                " id=" + r->version_id + (exists ? "" : " (version did not exist)"));
  }
  apply(*model_, vid);
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpCopy() {
  std::string sb = PickBucket(), sk = PickCurrentKey(sb);
  if (sk.empty()) return OpPut();
  MVersion src = *model_->Current(sb, sk);
  CopyOptions co;
  if (Chance(0.3)) {
    std::vector<const MVersion*> vs;
    for (const auto& v : model_->buckets[sb].keys[sk]) {
      if (!v.delete_marker) vs.push_back(&v);
    }
    src = *vs[Uniform(0, vs.size() - 1)];
    co.src_version_id = src.id;
  }
  std::string db = PickBucket(), dk = PickKey(db, 0.4);
  if (db == sb && dk == sk) dk += "-copy";
  Bytes content = src.data;
  bool ranged = false;
  if (src.size() > 0 && Chance(0.4)) {
    uint64_t first = Uniform(0, src.size() - 1);
    uint64_t last = Uniform(first, std::min(src.size() - 1, first + Uniform(0, 3 << 20)));
    co.range_first = first;
    co.range_last = last;
    content = std::make_shared<const std::string>(src.data->substr(first, last - first + 1));
    ranged = true;
  }
  MVersion v;
  v.data = content;
  v.etag = Md5Hex(*content);
  v.content_type = src.content_type;
  if (Chance(0.2)) {
    co.replace_attrs = true;
    co.attrs.content_type = RandomContentType();
    v.content_type = co.attrs.content_type;
  }
  bool mp_whole = !ranged && src.parts > 0;
  if (mp_whole && copy_keeps_multipart_etag_ == 1) {
    v.etag = src.etag;
    v.parts = src.parts;
  }
  Log("copy " + Desc(sb, sk) + (co.src_version_id.empty() ? "" : " v=" + co.src_version_id) +
      " -> " + Desc(db, dk) +
      (ranged ? " range=" + std::to_string(*co.range_first) + "-" + std::to_string(*co.range_last)
              : "") +
      " size=" + std::to_string(content->size()));
  Apply apply = [db, dk, v](Model& m, const std::string& id) {
    MVersion x = v;
    x.id = id;
    m.AddVersion(db, dk, std::move(x));
  };
  auto r = engine_->Copy(sb, sk, db, dk, co);
  if (!r) {
    // Not known yet which ETag the engine gives such a copy: if the failed
    // copy survives a crash, it may have either.
    Apply alt;
    if (mp_whole && copy_keeps_multipart_etag_ == -1) {
      MVersion kept = v;
      kept.etag = src.etag;
      kept.parts = src.parts;
      alt = [db, dk, kept](Model& m, const std::string& id) {
        MVersion x = kept;
        x.id = id;
        m.AddVersion(db, dk, std::move(x));
      };
    }
    return Unexpected(r.error(), apply, alt);
  }
  if (mp_whole && copy_keeps_multipart_etag_ == -1) {
    // S3 gives a whole copy of a multipart object the MD5 of its bytes; an
    // engine that copies no data may keep the source's ETag instead. Accept
    // either, but the same one every time.
    if (r->etag == src.etag && r->parts == src.parts) {
      copy_keeps_multipart_etag_ = 1;
      v.etag = src.etag;
      v.parts = src.parts;
      apply = [db, dk, v](Model& m, const std::string& id) {
        MVersion x = v;
        x.id = id;
        m.AddVersion(db, dk, std::move(x));
      };
    } else {
      copy_keeps_multipart_etag_ = 0;
    }
  }
  if (r->etag != v.etag || r->size != content->size() || r->parts != v.parts) {
    return Fail("copy returned etag=" + r->etag + " size=" + std::to_string(r->size) +
                " parts=" + std::to_string(r->parts) + ", expected etag=" + v.etag +
                " size=" + std::to_string(content->size()) + " parts=" + std::to_string(v.parts));
  }
  std::string why;
  if (!CheckNewId(db, dk, r->version_id, &why)) return Fail(why);
  apply(*model_, r->version_id);
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpCreateUpload() {
  std::string b = PickBucket(), k = PickKey(b, 0.5);
  PutOptions po;
  po.attrs.content_type = RandomContentType();
  std::string ct = po.attrs.content_type;
  Log("create upload " + Desc(b, k));
  Apply apply = [b, k, ct](Model& m, const std::string& id) {
    m.uploads[id] = MUpload{id, b, k, ct, {}};
  };
  auto r = engine_->CreateUpload(b, k, po);
  if (!r) return Unexpected(r.error(), apply);
  if (r->upload_id.empty() || model_->uploads.count(r->upload_id) || r->bucket != b ||
      r->key != k) {
    return Fail("create upload returned id '" + r->upload_id + "' for " + Desc(r->bucket, r->key));
  }
  history_.back() += " -> " + r->upload_id;
  upload_order_[r->upload_id] = upload_order_.size();
  apply(*model_, r->upload_id);
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpUploadPart() {
  if (model_->uploads.empty()) return OpCreateUpload();
  auto it = model_->uploads.find(PickUpload());
  std::string id = it->first;
  uint32_t n = static_cast<uint32_t>(Uniform(1, 8));
  if (!it->second.parts.empty() && Chance(0.2)) {
    auto p = it->second.parts.begin();
    std::advance(p, static_cast<long>(Uniform(0, it->second.parts.size() - 1)));
    n = p->first;
  }
  uint64_t size = RandomPartSize();
  MPart part{NewContent(size), size, ""};
  part.etag = Md5Hex(*part.data);
  Log("upload part " + id + " #" + std::to_string(n) + " size=" + std::to_string(size));
  Apply apply = [id, n, part](Model& m, const std::string&) {
    auto u = m.uploads.find(id);
    if (u != m.uploads.end()) u->second.parts[n] = part;
  };
  auto w = engine_->BeginPart(id, n);
  if (!w) return Unexpected(w.error(), apply);
  Status s = AppendChunks(w->get(), *part.data);
  if (!s.ok()) return Unexpected(s, apply);
  auto r = (*w)->Commit();
  if (!r) return Unexpected(r.error(), apply);
  if (r->etag != part.etag || r->size != size) {
    return Fail("part returned etag=" + r->etag + " size=" + std::to_string(r->size) +
                ", expected " + part.etag);
  }
  apply(*model_, "");
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpCopyPart() {
  if (model_->uploads.empty()) return OpCreateUpload();
  std::string sb = PickBucket(), sk = PickCurrentKey(sb);
  if (sk.empty()) return OpUploadPart();
  const MVersion& src = *model_->Current(sb, sk);
  auto it = model_->uploads.find(PickUpload());
  std::string id = it->first;
  uint32_t n = static_cast<uint32_t>(Uniform(1, 8));
  CopyOptions co;
  Bytes content = src.data;
  if (src.size() > 0 && Chance(0.6)) {
    uint64_t first = Uniform(0, src.size() - 1);
    uint64_t last = Uniform(first, std::min(src.size() - 1, first + Uniform(0, 64 << 10)));
    co.range_first = first;
    co.range_last = last;
    content = std::make_shared<const std::string>(src.data->substr(first, last - first + 1));
  }
  MPart part{content, content->size(), Md5Hex(*content)};
  Log("copy part " + Desc(sb, sk) + " -> " + id + " #" + std::to_string(n) +
      " size=" + std::to_string(part.size));
  Apply apply = [id, n, part](Model& m, const std::string&) {
    auto u = m.uploads.find(id);
    if (u != m.uploads.end()) u->second.parts[n] = part;
  };
  auto r = engine_->CopyPart(id, n, sb, sk, co);
  if (!r) return Unexpected(r.error(), apply);
  if (r->etag != part.etag || r->size != part.size || r->part_number != n) {
    return Fail("copy part returned etag=" + r->etag + " size=" + std::to_string(r->size) +
                " number=" + std::to_string(r->part_number) + ", expected " + part.etag);
  }
  apply(*model_, "");
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpComplete() {
  if (model_->uploads.empty()) return OpCreateUpload();
  auto it = model_->uploads.find(PickUpload());
  const MUpload u = it->second;
  if (u.parts.empty() && Chance(0.7)) return OpUploadPart();
  std::vector<uint32_t> numbers;
  bool subset = Chance(0.15);
  for (const auto& [n, p] : u.parts) {
    if (!subset || Chance(0.6)) numbers.push_back(n);
  }
  if (numbers.empty() && !u.parts.empty()) numbers.push_back(u.parts.begin()->first);
  std::vector<CompletePart> list;
  for (uint32_t n : numbers) {
    std::string etag = u.parts.at(n).etag;
    list.push_back(CompletePart{n, Chance(0.5) ? "\"" + etag + "\"" : etag});
  }
  // Which failures S3 demands (engine details: MalformedXML, InvalidPart,
  // InvalidPartOrder, EntityTooSmall); when several apply, any of them.
  std::set<std::string> expect;
  uint64_t mode = Uniform(0, 99);
  if (list.empty()) {
    expect.insert("MalformedXML");
  } else if (mode < 5) {
    list[Uniform(0, list.size() - 1)].etag = "0123456789abcdef0123456789abcdef";
    expect.insert("InvalidPart");
  } else if (mode < 8) {
    list.push_back(CompletePart{u.parts.rbegin()->first + 1, "0123456789abcdef0123456789abcdef"});
    expect.insert("InvalidPart");
  } else if (mode < 11 && list.size() >= 2) {
    std::swap(list[0], list[1]);
    expect.insert("InvalidPartOrder");
  }
  for (size_t i = 0; i + 1 < list.size(); ++i) {
    auto p = u.parts.find(list[i].part_number);
    if (p != u.parts.end() && p->second.size < cfg_.min_part_bytes) expect.insert("EntityTooSmall");
  }
  std::string expect_detail;
  for (const auto& d : expect) expect_detail += (expect_detail.empty() ? "" : "|") + d;
  std::string content;
  std::vector<std::string> md5s;
  std::vector<uint64_t> sizes;
  if (expect_detail.empty()) {
    for (uint32_t n : numbers) {
      content += *u.parts.at(n).data;
      md5s.push_back(u.parts.at(n).etag);
      sizes.push_back(u.parts.at(n).size);
    }
  }
  std::string nums;
  for (const auto& p : list) nums += " " + std::to_string(p.part_number);
  Log("complete " + u.id + " " + Desc(u.bucket, u.key) + " parts" + nums +
      (expect_detail.empty() ? "" : " (expect " + expect_detail + ")"));
  MVersion v;
  v.data = std::make_shared<const std::string>(std::move(content));
  v.parts = static_cast<uint32_t>(numbers.size());
  v.content_type = u.content_type;
  if (expect_detail.empty()) v.etag = MultipartEtag(md5s);
  std::string id = u.id, b = u.bucket, k = u.key;
  Apply apply = [id, b, k, v](Model& m, const std::string& vid) {
    m.uploads.erase(id);
    MVersion x = v;
    x.id = vid;
    m.AddVersion(b, k, std::move(x));
  };
  auto r = engine_->CompleteUpload(u.id, list);
  if (!expect_detail.empty()) {
    if (r) return Fail("complete succeeded, expected " + expect_detail);
    if (!r.error().IsInvalidArgument() || !expect.count(r.error().detail())) {
      if (!r.error().IsInvalidArgument()) return Unexpected(r.error(), nullptr);
      return Fail("complete failed with detail " + r.error().detail() + ", expected " +
                  expect_detail);
    }
    return Outcome::kOk;
  }
  if (!r) return Unexpected(r.error(), apply);
  if (r->etag != v.etag || r->size != v.size() || r->parts != v.parts || r->part_sizes != sizes) {
    return Fail("complete returned etag=" + r->etag + " size=" + std::to_string(r->size) +
                " parts=" + std::to_string(r->parts) + ", expected " + v.etag +
                " size=" + std::to_string(v.size()));
  }
  std::string why;
  if (!CheckNewId(b, k, r->version_id, &why)) return Fail(why);
  apply(*model_, r->version_id);
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpAbort() {
  if (model_->uploads.empty() || Chance(0.05)) {
    Log("abort of an unknown upload");
    Status s = engine_->AbortUpload("no-such-upload");
    if (s.ok()) return Fail("abort of an unknown upload succeeded");
    if (!s.IsNotFound()) return Unexpected(s, nullptr);
    return Outcome::kOk;
  }
  auto it = model_->uploads.find(PickUpload());
  std::string id = it->first;
  Log("abort " + id);
  Apply apply = [id](Model& m, const std::string&) { m.uploads.erase(id); };
  Status s = engine_->AbortUpload(id);
  if (!s.ok()) return Unexpected(s, apply);
  apply(*model_, "");
  auto g = engine_->GetUpload(id);
  if (g) return Fail("GetUpload finds an aborted upload");
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::ResolveIds(const std::string& b,
                                         const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    auto bi = model_->buckets.find(b);
    if (bi == model_->buckets.end()) continue;
    auto ki = bi->second.keys.find(k);
    std::vector<MVersion>* vs = ki == bi->second.keys.end() ? nullptr : &ki->second;
    std::vector<std::string> ids;
    ListVersionsOptions o;
    o.prefix = k;
    bool done = false;
    while (!done) {
      auto r = engine_->ListVersions(b, o);
      if (!r) return Unexpected(r.error(), nullptr);
      for (const auto& v : r->versions) {
        if (v.key == k) ids.push_back(v.version_id);
        if (v.key > k) done = true;
      }
      if (!r->truncated) break;
      o.key_marker = r->next_key_marker;
      o.version_id_marker = r->next_version_id_marker;
    }
    size_t want = vs ? vs->size() : 0;
    if (ids.size() != want) {
      return Fail("key " + Desc(b, k) + " has " + std::to_string(ids.size()) +
                  " versions, expected " + std::to_string(want));
    }
    for (size_t i = 0; i < want; ++i) {
      if ((*vs)[i].id == kAnyId) {
        (*vs)[i].id = ids[i];
      } else if ((*vs)[i].id != ids[i]) {
        return Fail("key " + Desc(b, k) + " version " + std::to_string(i) + " is " + ids[i] +
                    ", expected " + (*vs)[i].id);
      }
    }
  }
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpRename() {
  std::string b = PickBucket(), from = PickCurrentKey(b);
  if (from.empty()) return OpPut();
  std::string to = PickKey(b, 0.3);
  if (to == from) to += "2";
  bool replace = Chance(0.5);
  bool conflict = !replace && model_->Current(b, to);
  Log("rename " + Desc(b, from) + " -> " + Printable(to) + (replace ? " replace" : "") +
      (conflict ? " (expect AlreadyExists)" : ""));
  Apply apply = [b, from, to](Model& m, const std::string&) {
    const MVersion* cur = m.Current(b, from);
    if (!cur) return;
    MVersion v = *cur;
    m.DeleteCurrent(b, from, kAnyId);
    v.id = kAnyId;
    m.AddVersion(b, to, std::move(v));
  };
  Status s = engine_->Rename(b, from, to, false, replace);
  if (conflict) {
    if (s.ok()) return Fail("rename onto an existing key without replace succeeded");
    if (!s.IsAlreadyExists()) return Unexpected(s, nullptr);
    return Outcome::kOk;
  }
  if (!s.ok()) return Unexpected(s, apply);
  apply(*model_, "");
  return ResolveIds(b, {from, to});
}

RandomOps::Outcome RandomOps::OpRenamePrefix() {
  std::string b = PickBucket(), key = PickCurrentKey(b);
  size_t slash = key.find('/');
  if (key.empty() || slash == std::string::npos) return OpRename();
  std::string from = key.substr(0, slash + 1);
  static const char* const kTargets[] = {"moved/", "dir/", "a/", "b/", "r/s/"};
  std::string to = Chance(0.7) ? std::string(kTargets[Uniform(0, std::size(kTargets) - 1)])
                               : RandomKeyName() + "/";
  if (StartsWith(to, from) || StartsWith(from, to)) return OpRename();
  bool replace = Chance(0.5);
  std::vector<std::string> sources;
  for (const auto& [k, vs] : model_->buckets[b].keys) {
    if (StartsWith(k, from) && !vs.front().delete_marker) sources.push_back(k);
  }
  bool conflict = false;
  for (const auto& k : sources) {
    if (!replace && model_->Current(b, to + k.substr(from.size()))) conflict = true;
  }
  Log("rename prefix " + Desc(b, from) + " -> " + Printable(to) + " (" +
      std::to_string(sources.size()) + " keys)" + (replace ? " replace" : "") +
      (conflict ? " (expect AlreadyExists)" : ""));
  Apply apply = [b, from, to](Model& m, const std::string&) {
    std::vector<std::pair<std::string, MVersion>> moved;
    for (const auto& [k, vs] : m.buckets[b].keys) {
      if (StartsWith(k, from) && !vs.front().delete_marker) moved.emplace_back(k, vs.front());
    }
    for (const auto& [k, v] : moved) m.DeleteCurrent(b, k, kAnyId);
    for (auto& [k, v] : moved) {
      v.id = kAnyId;
      m.AddVersion(b, to + k.substr(from.size()), v);
    }
  };
  Status s = engine_->Rename(b, from, to, true, replace);
  if (conflict) {
    if (s.ok()) return Fail("prefix rename onto existing keys without replace succeeded");
    if (!s.IsAlreadyExists()) return Unexpected(s, nullptr);
    return Outcome::kOk;
  }
  if (!s.ok()) return Unexpected(s, apply);
  apply(*model_, "");
  std::vector<std::string> keys = sources;
  for (const auto& k : sources) keys.push_back(to + k.substr(from.size()));
  return ResolveIds(b, keys);
}

RandomOps::Outcome RandomOps::OpSetVersioning() {
  if (cfg_.buckets.size() < 2) return OpPut();
  // The first configured bucket keeps its versioning for good.
  std::string b = cfg_.buckets[Uniform(1, cfg_.buckets.size() - 1)].first;
  if (!model_->bucket(b)) return OpPut();
  Versioning cur = model_->buckets[b].versioning;
  Versioning v = Chance(0.5) ? Versioning::kEnabled : Versioning::kSuspended;
  if (Chance(0.1)) v = Versioning::kUnversioned;
  bool expect_fail = v == Versioning::kUnversioned && cur != Versioning::kUnversioned;
  Log("set versioning " + b + " " + std::to_string(static_cast<int>(v)) +
      (expect_fail ? " (expect InvalidArgument)" : ""));
  Apply apply = [b, v](Model& m, const std::string&) { m.buckets[b].versioning = v; };
  Status s = engine_->SetVersioning(b, v);
  if (expect_fail) {
    if (s.ok()) return Fail("versioning went back to unversioned");
    if (!s.IsInvalidArgument()) return Unexpected(s, nullptr);
    return Outcome::kOk;
  }
  if (!s.ok()) return Unexpected(s, apply);
  apply(*model_, "");
  auto g = engine_->GetBucket(b);
  if (!g) return Unexpected(g.error(), nullptr);
  if (g->versioning != v) return Fail("GetBucket shows other versioning");
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpBucketLifecycle() {
  const std::string scratch = "scratch";
  if (Chance(0.2)) {
    std::string b = PickBucket();
    Log("create existing bucket " + b);
    Status s = engine_->CreateBucket(b, "us-east-1");
    if (s.ok()) return Fail("creating an existing bucket succeeded");
    if (!s.IsAlreadyExists()) return Unexpected(s, nullptr);
    return Outcome::kOk;
  }
  if (!model_->bucket(scratch)) {
    Log("create bucket " + scratch);
    Apply apply = [scratch](Model& m, const std::string&) { m.buckets[scratch]; };
    Status s = engine_->CreateBucket(scratch, "us-east-1");
    if (!s.ok()) return Unexpected(s, apply);
    apply(*model_, "");
    return Outcome::kOk;
  }
  bool busy = !model_->buckets[scratch].keys.empty();
  for (const auto& [id, u] : model_->uploads) busy = busy || u.bucket == scratch;
  Log("delete bucket " + scratch + (busy ? " (expect NotEmpty)" : ""));
  Apply apply = [scratch](Model& m, const std::string&) { m.buckets.erase(scratch); };
  Status s = engine_->DeleteBucket(scratch);
  if (busy) {
    if (s.ok()) return Fail("deleting a non-empty bucket succeeded");
    if (!s.IsNotEmpty()) return Unexpected(s, nullptr);
    return Outcome::kOk;
  }
  if (!s.ok()) return Unexpected(s, apply);
  apply(*model_, "");
  return Outcome::kOk;
}

RandomOps::Outcome RandomOps::OpSeal() {
  Log("seal active segment");
  Status s = engine_->SealActiveSegment();
  if (!s.ok()) return Unexpected(s, nullptr);
  return Outcome::kOk;
}

// ---- Checks -------------------------------------------------------------

std::string RandomOps::CheckRead(const std::string& b, const std::string& k, const std::string& vid,
                                 const MVersion* expect) {
  std::string where = "read " + Desc(b, k) + (vid.empty() ? "" : " v=" + vid) + ": ";
  auto all = engine_->ReadAll(b, k, vid);
  if (!expect) {
    if (all) return where + "returned " + std::to_string(all->size()) + " bytes, expected none";
    if (!all.error().IsNotFound()) return where + all.error().ToString();
    return "";
  }
  if (!all) return where + all.error().ToString();
  if (*all != *expect->data) {
    return where + "content differs at byte " + std::to_string(FirstDiff(*all, *expect->data)) +
           " (size " + std::to_string(all->size()) + ", expected " +
           std::to_string(expect->size()) + ")";
  }
  auto rd = engine_->OpenRead(b, k, vid);
  if (!rd) return where + "OpenRead: " + rd.error().ToString();
  const ObjectInfo& info = (*rd)->info();
  if (info.etag != expect->etag || info.size != expect->size() || info.version_id != expect->id) {
    return where + "reader info etag=" + info.etag + " size=" + std::to_string(info.size) +
           " id=" + info.version_id + ", expected " + expect->etag + " " + expect->id;
  }
  uint64_t size = expect->size();
  for (int i = 0; i < 3; ++i) {
    uint64_t off;
    if (Chance(0.5) && size > cfg_.record_bytes) {
      off = Uniform(1, size / cfg_.record_bytes) * cfg_.record_bytes + Uniform(0, 6) - 3;
    } else {
      off = Uniform(0, size + 4);
    }
    size_t n = Chance(0.3) ? Uniform(0, 2 << 20) : Uniform(0, 8192);
    std::string buf(n, '\0');
    size_t total = 0;
    while (total < n) {
      auto got = (*rd)->ReadAt(off + total, buf.data() + total, n - total);
      if (!got) return where + "ReadAt: " + got.error().ToString();
      if (*got == 0) break;
      total += *got;
    }
    buf.resize(total);
    std::string want = off >= size ? "" : expect->data->substr(off, n);
    if (buf != want) {
      return where + "ReadAt(" + std::to_string(off) + ", " + std::to_string(n) + ") returned " +
             std::to_string(total) + " bytes, expected " + std::to_string(want.size()) +
             (buf.size() == want.size() ? ", differing at " + std::to_string(FirstDiff(buf, want))
                                        : "");
    }
  }
  return "";
}

RandomOps::Outcome RandomOps::OpRead() {
  std::string b = PickBucket();
  const MBucket& bk = model_->buckets[b];
  if (bk.keys.empty()) return Outcome::kOk;
  auto it = bk.keys.begin();
  std::advance(it, static_cast<long>(Uniform(0, bk.keys.size() - 1)));
  std::string vid;
  const MVersion* expect = nullptr;
  if (Chance(0.5)) {
    expect = model_->Current(b, it->first);
  } else {
    std::vector<const MVersion*> vs;
    for (const auto& v : it->second) {
      if (!v.delete_marker) vs.push_back(&v);
    }
    if (vs.empty()) return Outcome::kOk;
    expect = vs[Uniform(0, vs.size() - 1)];
    vid = expect->id;
  }
  Log("check read " + Desc(b, it->first) + (vid.empty() ? "" : " v=" + vid));
  std::string err = CheckRead(b, it->first, vid, expect);
  return err.empty() ? Outcome::kOk : Fail(err);
}

RandomOps::Outcome RandomOps::OpHead() {
  std::string b = PickBucket(), k = PickKey(b, 0.8);
  Log("check head " + Desc(b, k));
  const MVersion* cur = model_->Current(b, k);
  auto h = engine_->Head(b, k);
  if (!cur) {
    if (h) return Fail("head found a key the model does not have");
    if (!h.error().IsNotFound()) return Unexpected(h.error(), nullptr);
    return Outcome::kOk;
  }
  if (!h) return Unexpected(h.error(), nullptr);
  if (h->etag != cur->etag || h->size != cur->size() || h->version_id != cur->id ||
      h->attrs.content_type != cur->content_type || h->parts != cur->parts || !h->is_latest) {
    return Fail("head returned etag=" + h->etag + " size=" + std::to_string(h->size) +
                " id=" + h->version_id + " ct=" + h->attrs.content_type +
                ", expected etag=" + cur->etag + " size=" + std::to_string(cur->size()) +
                " id=" + cur->id + " ct=" + cur->content_type);
  }
  return Outcome::kOk;
}

std::string RandomOps::CheckListPaged(const std::string& b, const std::string& prefix,
                                      const std::string& delimiter, uint32_t page) {
  std::string where = "list " + b + " prefix='" + Printable(prefix) + "' delimiter='" + delimiter +
                      "' page=" + std::to_string(page) + ": ";
  std::vector<MListEntry> want = model_->ListAll(b, prefix, delimiter), got;
  ListOptions o;
  o.prefix = prefix;
  o.delimiter = delimiter;
  o.max_keys = page;
  for (size_t pages = 0;; ++pages) {
    if (pages > want.size() + 2) return where + "too many pages";
    auto r = engine_->List(b, o);
    if (!r) return where + r.error().ToString();
    std::vector<MListEntry> entries;
    for (const auto& obj : r->objects) entries.push_back({false, obj.key, obj.etag, obj.size});
    for (const auto& p : r->common_prefixes) entries.push_back({true, p, "", 0});
    std::sort(entries.begin(), entries.end(),
              [](const MListEntry& x, const MListEntry& y) { return x.name < y.name; });
    if (entries.size() > page) return where + "page has " + std::to_string(entries.size());
    got.insert(got.end(), entries.begin(), entries.end());
    if (!r->truncated) break;
    if (entries.empty() || r->next_marker.empty()) return where + "truncated empty page";
    if (r->next_marker != entries.back().name) {
      return where + "next_marker '" + Printable(r->next_marker) + "' is not the last entry";
    }
    o.start_after = r->next_marker;
  }
  if (got != want) {
    std::ostringstream s;
    s << where << "got " << got.size() << " entries, expected " << want.size() << ":";
    for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
      std::string g = i < got.size() ? (got[i].is_prefix ? "P " : "K ") + Printable(got[i].name) +
                                           " " + got[i].etag
                                     : "-";
      std::string w = i < want.size() ? (want[i].is_prefix ? "P " : "K ") +
                                            Printable(want[i].name) + " " + want[i].etag
                                      : "-";
      if (g != w) {
        s << " first difference at " << i << ": got " << g << " expected " << w;
        break;
      }
    }
    return s.str();
  }
  return "";
}

std::string RandomOps::CheckListVersionsPaged(const std::string& b, const std::string& prefix,
                                              const std::string& delimiter, uint32_t page) {
  std::string where = "list versions " + b + " prefix='" + Printable(prefix) + "' delimiter='" +
                      delimiter + "' page=" + std::to_string(page) + ": ";
  std::vector<std::string> want_prefixes, got_prefixes;
  std::vector<MVersionEntry> want = model_->ListVersionsAll(b, prefix, delimiter, &want_prefixes);
  std::vector<MVersionEntry> got;
  ListVersionsOptions o;
  o.prefix = prefix;
  o.delimiter = delimiter;
  o.max_keys = page;
  for (size_t pages = 0;; ++pages) {
    if (pages > want.size() + want_prefixes.size() + 2) return where + "too many pages";
    auto r = engine_->ListVersions(b, o);
    if (!r) return where + r.error().ToString();
    if (r->versions.size() + r->common_prefixes.size() > page) return where + "page too big";
    for (const auto& v : r->versions) {
      got.push_back(
          MVersionEntry{v.key, v.version_id, v.delete_marker, v.is_latest, v.etag, v.size});
    }
    got_prefixes.insert(got_prefixes.end(), r->common_prefixes.begin(), r->common_prefixes.end());
    if (!r->truncated) break;
    if (r->versions.empty() && r->common_prefixes.empty()) return where + "truncated empty page";
    o.key_marker = r->next_key_marker;
    o.version_id_marker = r->next_version_id_marker;
  }
  std::sort(got_prefixes.begin(), got_prefixes.end());
  if (got_prefixes != want_prefixes) {
    return where + "got " + std::to_string(got_prefixes.size()) + " prefixes, expected " +
           std::to_string(want_prefixes.size());
  }
  for (size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    auto show = [](const std::vector<MVersionEntry>& l, size_t j) -> std::string {
      if (j >= l.size()) return "-";
      const auto& e = l[j];
      return Printable(e.key) + " " + e.id + (e.delete_marker ? " marker" : "") +
             (e.is_latest ? " latest" : "") + " " + e.etag + " " + std::to_string(e.size);
    };
    std::string g = show(got, i), w = show(want, i);
    bool same = g == w;
    if (!same && i < got.size() && i < want.size() && want[i].id == kAnyId) {
      same = got[i].key == want[i].key;
    }
    if (!same) {
      return where + "entry " + std::to_string(i) + ": got " + g + ", expected " + w;
    }
  }
  return "";
}

std::string RandomOps::CheckUploads(const std::string& b) {
  std::string where = "uploads of " + b + ": ";
  std::map<std::string, const MUpload*> want;
  for (const auto& [id, u] : model_->uploads) {
    if (u.bucket == b) want[id] = &u;
  }
  std::set<std::string> seen;
  ListUploadsOptions o;
  o.max_uploads = 2;
  for (size_t pages = 0;; ++pages) {
    if (pages > want.size() + 2) return where + "too many pages";
    auto r = engine_->ListUploads(b, o);
    if (!r) return where + r.error().ToString();
    for (const auto& u : r->uploads) {
      auto it = want.find(u.upload_id);
      if (it == want.end()) return where + "unexpected upload " + u.upload_id;
      if (!seen.insert(u.upload_id).second) return where + "listed twice: " + u.upload_id;
      if (u.key != it->second->key) return where + "key of " + u.upload_id;
      uint32_t marker = 0;
      std::map<uint32_t, MPart> parts;
      for (size_t pp = 0;; ++pp) {
        if (pp > it->second->parts.size() + 2) return where + "too many part pages";
        auto p = engine_->ListParts(u.upload_id, marker, 2);
        if (!p) return where + p.error().ToString();
        for (const auto& part : p->parts) parts[part.part_number] = {nullptr, part.size, part.etag};
        if (!p->truncated) break;
        marker = p->next_part_number_marker;
      }
      std::string ep, ap;
      for (const auto& [n, p] : it->second->parts) {
        ep += " " + std::to_string(n) + ":" + std::to_string(p.size) + ":" + p.etag;
      }
      for (const auto& [n, p] : parts) {
        ap += " " + std::to_string(n) + ":" + std::to_string(p.size) + ":" + p.etag;
      }
      if (ep != ap) return where + u.upload_id + " parts" + ap + ", expected" + ep;
    }
    if (!r->truncated) break;
    o.key_marker = r->next_key_marker;
    o.upload_id_marker = r->next_upload_id_marker;
  }
  if (seen.size() != want.size()) {
    return where + std::to_string(seen.size()) + " listed, expected " + std::to_string(want.size());
  }
  return "";
}

RandomOps::Outcome RandomOps::OpList() {
  std::string b = PickBucket();
  static const char* const kPrefixes[] = {"", "", "a", "a/", "dir/", "x", "\xc3"};
  static const char* const kDelims[] = {"", "/", "/", "-"};
  std::string prefix = kPrefixes[Uniform(0, std::size(kPrefixes) - 1)];
  std::string delim = kDelims[Uniform(0, std::size(kDelims) - 1)];
  uint32_t page = Chance(0.5) ? static_cast<uint32_t>(Uniform(1, 4)) : 1000;
  if (delim.empty() && Chance(0.3)) {
    // One page from an arbitrary start_after.
    std::string after = RandomKeyName();
    Log("check list " + b + " start_after='" + Printable(after) + "' page=" + std::to_string(page));
    std::vector<MListEntry> want;
    for (const auto& e : model_->ListAll(b, prefix, "")) {
      if (e.name > after) want.push_back(e);
    }
    bool truncated = want.size() > page;
    if (truncated) want.resize(page);
    ListOptions o;
    o.prefix = prefix;
    o.start_after = after;
    o.max_keys = page;
    auto r = engine_->List(b, o);
    if (!r) return Unexpected(r.error(), nullptr);
    std::vector<MListEntry> got;
    for (const auto& obj : r->objects) got.push_back({false, obj.key, obj.etag, obj.size});
    if (got != want || !r->common_prefixes.empty() || r->truncated != truncated) {
      return Fail("list after '" + Printable(after) + "' returned " + std::to_string(got.size()) +
                  " keys truncated=" + std::to_string(r->truncated) + ", expected " +
                  std::to_string(want.size()) + " truncated=" + std::to_string(truncated));
    }
    return Outcome::kOk;
  }
  Log("check list " + b + " prefix='" + Printable(prefix) + "' delimiter='" + delim +
      "' page=" + std::to_string(page));
  std::string err = CheckListPaged(b, prefix, delim, page);
  return err.empty() ? Outcome::kOk : Fail(err);
}

RandomOps::Outcome RandomOps::OpListVersions() {
  std::string b = PickBucket();
  static const char* const kPrefixes[] = {"", "a", "dir/", "b/"};
  std::string prefix = kPrefixes[Uniform(0, std::size(kPrefixes) - 1)];
  std::string delim = Chance(0.5) ? "/" : "";
  uint32_t page = Chance(0.6) ? static_cast<uint32_t>(Uniform(1, 4)) : 1000;
  Log("check list versions " + b + " prefix='" + prefix + "' delimiter='" + delim +
      "' page=" + std::to_string(page));
  std::string err = CheckListVersionsPaged(b, prefix, delim, page);
  if (err.empty()) err = CheckUploads(b);
  return err.empty() ? Outcome::kOk : Fail(err);
}

std::string RandomOps::CheckListings() {
  for (const auto& [b, bk] : model_->buckets) {
    for (const auto& [delim, page] :
         std::vector<std::pair<std::string, uint32_t>>{{"", 3}, {"/", 2}, {"", 1000}}) {
      std::string err = CheckListPaged(b, "", delim, page);
      if (err.empty()) err = CheckListVersionsPaged(b, "", delim, page);
      if (!err.empty()) return err;
    }
    std::string err = CheckUploads(b);
    if (!err.empty()) return err;
  }
  return "";
}

std::string RandomOps::CheckAll(bool with_data) {
  std::string problems;
  auto actual = ReadEngineState(*engine_, with_data, &problems);
  if (!actual) return "reading engine state: " + actual.error().ToString();
  std::string diff = Diff(*model_, *actual);
  return problems + diff;
}

}  // namespace seglake::testing
