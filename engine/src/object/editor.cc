// Working copies for in-place edits (the mount's open files). The working
// manifest is a map from file offset to extent; writes collect in one
// contiguous buffer of at most one record, which is appended to this
// process's segment and spliced into the map when a write falls outside it.
#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "meta/codec.h"
#include "object/engine_impl.h"
#include "seglake/checksum.h"

namespace seglake {
namespace {

using json = nlohmann::json;

// At commit, a file that was not written front to back gets its MD5 by
// reading it back when it is at most this large; above, a composite ETag.
constexpr uint64_t kRehashLimit = 64ull << 20;

class EditorImpl final : public FileEditor {
 public:
  EditorImpl(EngineImpl* e, ObjectInfo base, const Manifest& m, std::shared_ptr<void> lease)
      : e_(e), base_(std::move(base)), lease_(std::move(lease)) {
    attrs_ = base_.attrs;
    uint64_t at = 0;
    for (const Extent& x : m.extents()) {
      map_[at] = x;
      at += x.length;
    }
    msize_ = size_ = m.size();
    max_record_ = e_->options().max_record_bytes;
    ResetHashes();
    sequential_ = size_ == 0;
  }

  uint64_t size() const override { return size_; }
  bool dirty() const override { return content_changed_ || attrs_changed_; }
  uint64_t unsaved_bytes() const override { return unsaved_; }
  const ObjectInfo& base() const override { return base_; }
  const ObjectAttrs& attrs() const override { return attrs_; }
  void SetAttrs(const ObjectAttrs& a) override {
    attrs_ = a;
    attrs_changed_ = true;
  }

  Status Write(uint64_t offset, const void* data, size_t n) override {
    if (n == 0) return Status::OK();
    SEGLAKE_RETURN_IF_ERROR(failed_);
    const char* p = static_cast<const char*>(data);
    Hash(offset, p, n);
    content_changed_ = true;
    unsaved_ += n;
    size_ = std::max(size_, offset + n);
    while (n > 0) {
      uint64_t pend = pbuf_off_ + pbuf_.size();
      bool joins = !pbuf_.empty() && offset >= pbuf_off_ && offset <= pend;
      if (joins && offset - pbuf_off_ < max_record_) {
        size_t at = offset - pbuf_off_;
        size_t take = std::min<size_t>(n, max_record_ - at);
        if (at + take > pbuf_.size()) pbuf_.resize(at + take);
        std::memcpy(pbuf_.data() + at, p, take);
        p += take;
        n -= take;
        offset += take;
        if (pbuf_.size() == max_record_) SEGLAKE_RETURN_IF_ERROR(FlushBuffer());
        continue;
      }
      SEGLAKE_RETURN_IF_ERROR(FlushBuffer());
      if (n >= max_record_) {
        // Whole records straight from the caller's buffer.
        SEGLAKE_RETURN_IF_ERROR(AppendRecord(offset, std::string_view(p, max_record_)));
        p += max_record_;
        n -= max_record_;
        offset += max_record_;
        continue;
      }
      pbuf_off_ = offset;
      pbuf_.assign(p, n);
      n = 0;
    }
    return Status::OK();
  }

  Result<size_t> Read(uint64_t offset, void* buf, size_t n) override {
    if (offset >= size_ || n == 0) return size_t{0};
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
    char* out = static_cast<char*>(buf);
    SEGLAKE_TRY(ReadMap(offset, out, n));
    // The buffer holds the newest bytes of its range.
    if (!pbuf_.empty()) {
      uint64_t lo = std::max(offset, pbuf_off_);
      uint64_t hi = std::min(offset + n, pbuf_off_ + pbuf_.size());
      if (lo < hi) std::memcpy(out + (lo - offset), pbuf_.data() + (lo - pbuf_off_), hi - lo);
    }
    return n;
  }

  Status Truncate(uint64_t size) override {
    SEGLAKE_RETURN_IF_ERROR(failed_);
    SEGLAKE_RETURN_IF_ERROR(FlushBuffer());
    if (size == size_) return Status::OK();
    content_changed_ = true;
    if (size == 0) {
      ResetHashes();
      sequential_ = true;
    } else if (size != hashed_) {
      sequential_ = false;
    }
    if (size < msize_) {
      Split(size);
      map_.erase(map_.lower_bound(size), map_.end());
      msize_ = size;
    }
    size_ = size;
    return Status::OK();
  }

  Status PunchHole(uint64_t offset, uint64_t length) override {
    SEGLAKE_RETURN_IF_ERROR(failed_);
    if (offset >= size_ || length == 0) return Status::OK();
    length = std::min(length, size_ - offset);
    SEGLAKE_RETURN_IF_ERROR(FlushBuffer());
    content_changed_ = true;
    sequential_ = false;
    Splice(offset, length, {Extent{0, 0, length}});
    return Status::OK();
  }

  Status CopyFrom(FileEditor* src_base, uint64_t src_offset, uint64_t offset,
                  uint64_t length) override {
    SEGLAKE_RETURN_IF_ERROR(failed_);
    auto* src = static_cast<EditorImpl*>(src_base);
    if (src_offset >= src->size_) return Status::OK();
    length = std::min(length, src->size_ - src_offset);
    if (length == 0) return Status::OK();
    SEGLAKE_RETURN_IF_ERROR(src->FlushBuffer());
    SEGLAKE_RETURN_IF_ERROR(FlushBuffer());
    std::vector<Extent> pieces = src->Slice(src_offset, length);
    content_changed_ = true;
    sequential_ = false;
    unsaved_ += length;
    Splice(offset, length, pieces);
    size_ = std::max(size_, offset + length);
    return Status::OK();
  }

  Result<uint64_t> Seek(uint64_t offset, bool want_data) override {
    if (offset >= size_) return Err(Status::NotFound("offset past the end"));
    SEGLAKE_TRY(FlushBuffer());
    uint64_t at = offset;
    while (at < size_) {
      if (at >= msize_) {  // the unwritten tail is a hole
        if (!want_data) return at;
        break;
      }
      auto it = std::prev(map_.upper_bound(at));
      bool data = !it->second.is_hole();
      if (data == want_data) return at;
      at = it->first + it->second.length;
    }
    if (!want_data) return size_;
    return Err(Status::NotFound("no data past the offset"));
  }

  Result<ObjectInfo> Commit(const std::string& bucket, const std::string& key) override {
    SEGLAKE_TRY(failed_);
    SEGLAKE_TRY(FlushBuffer());
    Manifest m;
    for (const auto& [at, x] : map_) m.Add(x);
    if (m.size() < size_) m.AddHole(size_ - m.size());
    ObjectInfo info;
    info.attrs = attrs_;
    std::string etag;
    if (!content_changed_ && !base_.etag.empty()) {
      etag = base_.etag;
      info.checksums = base_.checksums;
      info.parts = base_.parts;
      info.part_sizes = base_.part_sizes;
    } else if (sequential_ && hashed_ == size_) {
      etag = ToHex(md5_->Digest());
      info.checksums.crc32c = ToBase64(crc32c_->Digest());
    } else if (size_ <= kRehashLimit) {
      auto md5 = Hasher::New(HashAlgo::kMd5);
      auto crc = Hasher::New(HashAlgo::kCrc32c);
      std::string chunk(std::min<uint64_t>(size_, 1u << 20), '\0');
      for (uint64_t at = 0; at < size_;) {
        size_t take = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size_ - at));
        SEGLAKE_TRY(ReadMap(at, chunk.data(), take));
        md5->Update(chunk.data(), take);
        crc->Update(chunk.data(), take);
        at += take;
      }
      etag = ToHex(md5->Digest());
      info.checksums.crc32c = ToBase64(crc->Digest());
    } else {
      // Too large to read back: an ETag of the layout, marked as composite
      // so clients do not take it for an MD5; no full-object checksums.
      etag = ToHex(Md5(m.Encode())) + "-1";
      info.checksums.type = "COMPOSITE";
    }
    std::string enc = m.Encode();
    json op = {{"t", "put"},
               {"b", bucket},
               {"k", key},
               {"cond", json::object()},
               {"m", json::binary(std::vector<uint8_t>(enc.begin(), enc.end()))},
               {"size", size_},
               {"etag", etag},
               {"ns", e_->env()->NowNanos()},
               {"i", meta::VersionInfoJson(info)}};
    auto r = e_->Commit(std::move(op));
    if (!r) return Err(r.error());
    base_ = r->object;
    content_changed_ = attrs_changed_ = false;
    unsaved_ = 0;
    return base_;
  }

 private:
  void ResetHashes() {
    md5_ = Hasher::New(HashAlgo::kMd5);
    crc32c_ = Hasher::New(HashAlgo::kCrc32c);
    hashed_ = 0;
  }

  // Keeps the running MD5 while the file is written front to back.
  void Hash(uint64_t offset, const char* p, size_t n) {
    if (!sequential_) return;
    if (offset == hashed_ && hashed_ == size_) {
      md5_->Update(p, n);
      crc32c_->Update(p, n);
      hashed_ += n;
    } else {
      sequential_ = false;
    }
  }

  // Reads [offset, offset+n) from the map; bytes past it (up to size_) are zeros.
  Status ReadMap(uint64_t offset, char* out, size_t n) {
    size_t done = 0;
    if (offset < msize_) {
      auto it = std::prev(map_.upper_bound(offset));
      while (done < n && it != map_.end()) {
        uint64_t in = offset + done - it->first;
        size_t take = static_cast<size_t>(std::min<uint64_t>(it->second.length - in, n - done));
        SEGLAKE_RETURN_IF_ERROR(
            ReadExtent(e_, it->second, in, out + done, take, base_.bucket + "/" + base_.key));
        done += take;
        ++it;
      }
    }
    if (done < n) std::memset(out + done, 0, n - done);
    return Status::OK();
  }

  Status FlushBuffer() {
    if (pbuf_.empty()) return Status::OK();
    Status s = AppendRecord(pbuf_off_, pbuf_);
    pbuf_.clear();
    return s;
  }

  Status AppendRecord(uint64_t offset, std::string_view bytes) {
    auto ext = e_->segments()->AppendData(bytes);
    if (!ext) {
      failed_ = ext.error();
      return failed_;
    }
    Splice(offset, bytes.size(), {*ext});
    return Status::OK();
  }

  // Ensures an extent starts at `at` (when at is inside the map).
  void Split(uint64_t at) {
    if (at == 0 || at >= msize_) return;
    auto it = std::prev(map_.upper_bound(at));
    if (it->first == at) return;
    Extent left = it->second;
    uint64_t cut = at - it->first;
    Extent right = left;
    left.length = cut;
    right.length -= cut;
    if (!right.is_hole()) right.offset += cut;
    it->second = left;
    map_.emplace(at, right);
  }

  // Replaces [offset, offset+length) with `pieces` (whose lengths sum to
  // length); a gap between the map's end and offset becomes a hole.
  void Splice(uint64_t offset, uint64_t length, const std::vector<Extent>& pieces) {
    if (offset > msize_) {
      map_[msize_] = Extent{0, 0, offset - msize_};
      msize_ = offset;
    }
    Split(offset);
    Split(offset + length);
    map_.erase(map_.lower_bound(offset), map_.lower_bound(offset + length));
    uint64_t at = offset;
    for (const Extent& x : pieces) {
      if (x.length == 0) continue;
      map_[at] = x;
      at += x.length;
    }
    msize_ = std::max(msize_, offset + length);
  }

  // The extents of [offset, offset+length), which must be within msize_ or
  // in the zero tail up to size_.
  std::vector<Extent> Slice(uint64_t offset, uint64_t length) {
    std::vector<Extent> out;
    uint64_t end = offset + length;
    uint64_t at = offset;
    if (at < msize_) {
      auto it = std::prev(map_.upper_bound(at));
      for (; it != map_.end() && at < end; ++it) {
        uint64_t in = at - it->first;
        uint64_t take = std::min(it->second.length - in, end - at);
        Extent x = it->second;
        if (!x.is_hole()) x.offset += in;
        x.length = take;
        out.push_back(x);
        at += take;
      }
    }
    if (at < end) out.push_back(Extent{0, 0, end - at});
    return out;
  }

  EngineImpl* e_;
  ObjectInfo base_;
  ObjectAttrs attrs_;
  std::map<uint64_t, Extent> map_;  // file offset -> extent, contiguous over [0, msize_)
  uint64_t msize_ = 0;              // end of the map; size_ may be larger (zero tail)
  uint64_t size_ = 0;
  uint32_t max_record_;
  std::string pbuf_;  // newest bytes of [pbuf_off_, pbuf_off_ + pbuf_.size())
  uint64_t pbuf_off_ = 0;
  std::unique_ptr<Hasher> md5_, crc32c_;
  uint64_t hashed_ = 0;
  bool sequential_ = false;
  bool content_changed_ = false;
  bool attrs_changed_ = false;
  uint64_t unsaved_ = 0;
  Status failed_;
  std::shared_ptr<void> lease_;  // keeps GC away from the base's segments
};

}  // namespace

Result<std::unique_ptr<FileEditor>> EngineImpl::BeginEdit(const std::string& bucket,
                                                          const std::string& key, bool create,
                                                          const ObjectAttrs& attrs) {
  SEGLAKE_TRY(WritableCheck());
  auto lease = HoldReads();
  auto v = ReadableVersion(bucket, key, "");
  if (v) {
    SEGLAKE_TRY(CheckNotDamaged(*v));
    auto m = Manifest::Decode(v->manifest);
    if (!m) return Err(m.error());
    if (m->size() != v->size) return Err(Status::Corruption("manifest size differs from version"));
    return std::unique_ptr<FileEditor>(
        std::make_unique<EditorImpl>(this, meta::ToObjectInfo(*v, true), *m, lease));
  }
  if (v.error().code() != Status::Code::kNotFound || !create) return Err(v.error());
  if (auto b = GetBucket(bucket); !b) return Err(b.error());
  ObjectInfo base;
  base.bucket = bucket;
  base.key = key;
  base.attrs = attrs;
  auto ed = std::make_unique<EditorImpl>(this, std::move(base), Manifest{}, lease);
  ed->SetAttrs(attrs);
  return std::unique_ptr<FileEditor>(std::move(ed));
}

}  // namespace seglake
