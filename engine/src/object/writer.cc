// Streaming writes: bytes are buffered up to one record, appended to this
// process's active segment, hashed on the way, and committed as one op.
#include <string>

#include "meta/codec.h"
#include "object/engine_impl.h"
#include "seglake/checksum.h"

namespace seglake {
namespace {

class WriterImpl final : public ObjectWriter {
 public:
  WriterImpl(EngineImpl* e, nlohmann::json op, const ChecksumSet& sums)
      : e_(e),
        op_(std::move(op)),
        md5_(Hasher::New(HashAlgo::kMd5)),
        crc32c_(Hasher::New(HashAlgo::kCrc32c)) {
    if (sums.sha256) sha256_ = Hasher::New(HashAlgo::kSha256);
    if (sums.sha1) sha1_ = Hasher::New(HashAlgo::kSha1);
    if (sums.crc32) crc32_ = Hasher::New(HashAlgo::kCrc32);
    if (sums.crc64nvme) crc64_ = Hasher::New(HashAlgo::kCrc64Nvme);
    max_record_ = e_->options().max_record_bytes;
  }

  Status Append(const void* data, size_t n) override {
    if (committed_) return Status::InvalidArgument("writer already committed");
    if (!failed_.ok()) return failed_;
    const char* p = static_cast<const char*>(data);
    for (Hasher* h :
         {md5_.get(), crc32c_.get(), sha256_.get(), sha1_.get(), crc32_.get(), crc64_.get()})
      if (h) h->Update(p, n);
    size_ += n;
    while (n > 0) {
      // Whole records straight from the caller's buffer when possible.
      if (buf_.empty() && n >= max_record_) {
        SEGLAKE_RETURN_IF_ERROR(Flush(std::string_view(p, max_record_)));
        p += max_record_;
        n -= max_record_;
        continue;
      }
      size_t take = std::min(n, static_cast<size_t>(max_record_) - buf_.size());
      buf_.append(p, take);
      p += take;
      n -= take;
      if (buf_.size() == max_record_) {
        SEGLAKE_RETURN_IF_ERROR(Flush(buf_));
        buf_.clear();
      }
    }
    return Status::OK();
  }

  uint64_t size() const override { return size_; }
  std::string Md5Hex() const override { return ToHex(md5_->Digest()); }

  Checksums CurrentChecksums() const override {
    Checksums c;
    c.crc32c = ToBase64(crc32c_->Digest());
    if (sha256_) c.sha256 = ToBase64(sha256_->Digest());
    if (sha1_) c.sha1 = ToBase64(sha1_->Digest());
    if (crc32_) c.crc32 = ToBase64(crc32_->Digest());
    if (crc64_) c.crc64nvme = ToBase64(crc64_->Digest());
    return c;
  }

  Result<ObjectInfo> Commit() override {
    if (committed_) return Err(Status::InvalidArgument("writer already committed"));
    if (!failed_.ok()) return Err(failed_);
    if (!buf_.empty()) {
      SEGLAKE_TRY(Flush(buf_));
      buf_.clear();
    }
    committed_ = true;
    std::string m = manifest_.Encode();
    op_["m"] = nlohmann::json::binary(std::vector<uint8_t>(m.begin(), m.end()));
    op_["size"] = size_;
    op_["etag"] = Md5Hex();
    op_["ns"] = e_->env()->NowNanos();
    Checksums sums = CurrentChecksums();
    bool part = op_["t"] == "mpp";
    if (part) {
      op_["c"] = meta::ChecksumsToJson(sums);
    } else {
      ObjectInfo tmp;
      tmp.attrs = meta::AttrsFromJson(op_["i"]["a"]);
      tmp.checksums = sums;
      op_["i"] = meta::VersionInfoJson(tmp);
    }
    auto r = e_->Commit(std::move(op_));
    if (!r) return Err(r.error());
    if (!part) return r->object;
    ObjectInfo o;
    o.size = size_;
    o.etag = Md5Hex();
    o.checksums = sums;
    return o;
  }

 private:
  Status Flush(std::string_view rec) {
    auto ext = e_->segments()->AppendData(rec);
    if (!ext) {
      failed_ = ext.error();
      return failed_;
    }
    manifest_.Add(*ext);
    return Status::OK();
  }

  EngineImpl* e_;
  nlohmann::json op_;
  std::unique_ptr<Hasher> md5_, crc32c_, sha256_, sha1_, crc32_, crc64_;
  uint32_t max_record_;
  std::string buf_;
  Manifest manifest_;
  uint64_t size_ = 0;
  bool committed_ = false;
  Status failed_;
};

}  // namespace

std::unique_ptr<ObjectWriter> NewObjectWriter(EngineImpl* e, nlohmann::json op_template,
                                              const ChecksumSet& sums) {
  return std::make_unique<WriterImpl>(e, std::move(op_template), sums);
}

}  // namespace seglake
