#include "segment/segment.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "seglake/checksum.h"
#include "segment/segment_format.h"
#include "util/coding.h"

namespace seglake::segment {

std::string FileName(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 ".seg", id);
  return buf;
}

bool ParseFileName(std::string_view name, uint64_t* id) {
  if (name.size() != 20 || name.substr(16) != ".seg") return false;
  uint64_t v = 0;
  for (size_t i = 0; i < 16; ++i) {
    char c = name[i];
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  if (v == 0) return false;
  *id = v;
  return true;
}

std::string EncodeHeader(const SegmentHeader& h) {
  std::string b(kHeaderSize, '\0');
  std::memcpy(b.data(), kHeaderMagic, 8);
  PutFixed32(b.data() + 8, kFormatVersion);
  PutFixed64(b.data() + 16, h.id);
  PutFixed64(b.data() + 24, h.owner);
  PutFixed32(b.data() + 32, Crc32c(b.data(), 32));
  return b;
}

Result<SegmentHeader> DecodeHeader(std::string_view b) {
  if (b.size() < kHeaderSize) return Err(Status::Corruption("segment header truncated"));
  if (std::memcmp(b.data(), kHeaderMagic, 8) != 0)
    return Err(Status::Corruption("bad segment magic"));
  if (GetFixed32(b.data() + 32) != Crc32c(b.data(), 32))
    return Err(Status::Corruption("segment header checksum mismatch"));
  if (GetFixed32(b.data() + 8) != kFormatVersion)
    return Err(Status::NotSupported("unknown segment format version"));
  SegmentHeader h;
  h.id = GetFixed64(b.data() + 16);
  h.owner = GetFixed64(b.data() + 24);
  if (h.id == 0) return Err(Status::Corruption("segment id 0"));
  return h;
}

std::string EncodeFooter(uint64_t records, uint64_t data_bytes,
                         const std::vector<uint64_t>& meta_offsets) {
  std::string b(kFooterFixedSize + 8 * meta_offsets.size(), '\0');
  PutFixed64(b.data(), records);
  PutFixed64(b.data() + 8, data_bytes);
  PutFixed32(b.data() + 16, static_cast<uint32_t>(meta_offsets.size()));
  for (size_t i = 0; i < meta_offsets.size(); ++i)
    PutFixed64(b.data() + kFooterFixedSize + 8 * i, meta_offsets[i]);
  return b;
}

Result<Footer> DecodeFooter(std::string_view p) {
  if (p.size() < kFooterFixedSize) return Err(Status::Corruption("footer truncated"));
  Footer f;
  f.records = GetFixed64(p.data());
  f.data_bytes = GetFixed64(p.data() + 8);
  uint32_t n = GetFixed32(p.data() + 16);
  if (p.size() != kFooterFixedSize + 8ull * n) return Err(Status::Corruption("footer size"));
  f.meta_offsets.resize(n);
  for (uint32_t i = 0; i < n; ++i)
    f.meta_offsets[i] = GetFixed64(p.data() + kFooterFixedSize + 8 * i);
  return f;
}

std::string EncodeTrailer(uint64_t footer_offset) {
  std::string b(kTrailerSize, '\0');
  PutFixed64(b.data(), footer_offset);
  std::memcpy(b.data() + 16, kTrailerMagic, 8);
  PutFixed32(b.data() + 8, Crc32c(b.data(), 8));
  return b;
}

Result<uint64_t> DecodeTrailer(std::string_view b) {
  if (b.size() != kTrailerSize) return Err(Status::Corruption("trailer truncated"));
  if (std::memcmp(b.data() + 16, kTrailerMagic, 8) != 0)
    return Err(Status::Corruption("no trailer"));
  if (GetFixed32(b.data() + 8) != Crc32c(b.data(), 8))
    return Err(Status::Corruption("trailer checksum mismatch"));
  return GetFixed64(b.data());
}

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::Create(Env* env, const std::string& dir,
                                                             const SegmentHeader& h) {
  std::string path = dir + "/" + FileName(h.id);
  auto f = env->Open(path, OpenOptions{.write = true, .create = true, .exclusive = true});
  if (!f) return Err(f.error());
  std::string hdr = EncodeHeader(h);
  if (Status s = (*f)->PWrite(0, hdr.data(), hdr.size()); !s.ok()) {
    // No room for even a header: leave no empty segment behind.
    f->reset();
    if (s.code() == Status::Code::kNoSpace) (void)env->Remove(path);
    return Err(s);
  }
  SEGLAKE_TRY((*f)->Sync());
  SEGLAKE_TRY(env->SyncDir(dir));
  return std::unique_ptr<SegmentWriter>(new SegmentWriter(std::move(*f), h));
}

bool SegmentWriter::Undo(uint64_t size) {
  // Bytes past size_ were never counted, synced or referenced: cutting them
  // rewrites nothing that a reader or the log could depend on.
  if (!file_->Truncate(size).ok()) {
    failed_ = true;
    return false;
  }
  return true;
}

Result<uint64_t> SegmentWriter::Append(record::Type type, std::string_view payload) {
  if (sealed_) return Err(Status::InvalidArgument("append to a sealed segment"));
  if (failed_) return Err(Status::IOError("segment writer failed earlier"));
  uint64_t off = size_.load();
  char hdr[record::kHeaderSize];
  record::EncodeHeader(type, payload, hdr);
  // One write for small records; two for large ones avoid a copy.
  Status s;
  if (payload.size() <= 4096) {
    std::string buf(hdr, sizeof hdr);
    buf.append(payload);
    s = file_->PWrite(off, buf.data(), buf.size());
  } else {
    s = file_->PWrite(off, hdr, sizeof hdr);
    if (s.ok()) s = file_->PWrite(off + sizeof hdr, payload.data(), payload.size());
  }
  if (!s.ok()) {
    // A full disk fails this record only; anything else may have torn the
    // tail: never append after it.
    if (s.code() != Status::Code::kNoSpace || !Undo(off)) failed_ = true;
    return Err(s);
  }
  ++records_;
  if (type == record::Type::kData) data_bytes_ += payload.size();
  if (type == record::Type::kMeta) meta_offsets_.push_back(off);
  size_.store(off + sizeof hdr + payload.size());
  return off + sizeof hdr;
}

Result<std::vector<uint64_t>> SegmentWriter::AppendAll(record::Type type,
                                                       const std::vector<std::string>& payloads) {
  if (sealed_) return Err(Status::InvalidArgument("append to a sealed segment"));
  if (failed_) return Err(Status::IOError("segment writer failed earlier"));
  const uint64_t start = size_.load();
  std::string buf;
  std::vector<uint64_t> offsets;
  for (const std::string& p : payloads) {
    char hdr[record::kHeaderSize];
    record::EncodeHeader(type, p, hdr);
    buf.append(hdr, sizeof hdr);
    offsets.push_back(start + buf.size());
    buf.append(p);
  }
  Status s = file_->PWrite(start, buf.data(), buf.size());
  if (!s.ok()) {
    if (s.code() != Status::Code::kNoSpace || !Undo(start)) failed_ = true;
    return Err(s);
  }
  records_ += payloads.size();
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (type == record::Type::kData) data_bytes_ += payloads[i].size();
    if (type == record::Type::kMeta) meta_offsets_.push_back(offsets[i] - record::kHeaderSize);
  }
  size_.store(start + buf.size());
  return offsets;
}

Status SegmentWriter::Sync() {
  uint64_t target = size_.load();
  if (synced_.load() >= target) return Status::OK();
  Status s = file_->Sync();
  if (!s.ok()) return s;
  uint64_t cur = synced_.load();
  while (cur < target && !synced_.compare_exchange_weak(cur, target)) {
  }
  return Status::OK();
}

Status SegmentWriter::Seal() {
  if (sealed_) return Status::OK();
  if (failed_) return Status::IOError("cannot seal a failed segment");
  std::string footer = EncodeFooter(records_ + 1, data_bytes_, meta_offsets_);
  const uint64_t footer_off = size_.load();
  auto r = Append(record::Type::kFooter, footer);
  if (!r) return r.error();
  std::string trailer = EncodeTrailer(footer_off);
  Status s = file_->PWrite(size_.load(), trailer.data(), trailer.size());
  if (!s.ok()) {
    // Out of space for the trailer: take the footer back too.
    if (s.code() == Status::Code::kNoSpace && Undo(footer_off)) {
      --records_;
      size_.store(footer_off);
      return s;
    }
    failed_ = true;
    return s;
  }
  size_.store(size_.load() + trailer.size());
  s = Sync();
  if (!s.ok()) {
    failed_ = true;
    return s;
  }
  sealed_ = true;
  return Status::OK();
}

namespace {

// Checks for a valid trailer + footer; returns the footer on success.
Result<Footer> ReadSeal(const File& file, uint64_t size, uint64_t* footer_off) {
  if (size < kHeaderSize + record::kHeaderSize + kFooterFixedSize + kTrailerSize)
    return Err(Status::Corruption("too small to be sealed"));
  std::string t(kTrailerSize, '\0');
  auto n = file.PRead(size - kTrailerSize, t.data(), t.size());
  if (!n) return Err(n.error());
  auto off = DecodeTrailer(t);
  if (!off) return Err(off.error());
  if (*off < kHeaderSize || *off + record::kHeaderSize > size - kTrailerSize)
    return Err(Status::Corruption("footer offset out of range"));
  char hb[record::kHeaderSize];
  auto hn = file.PRead(*off, hb, sizeof hb);
  if (!hn) return Err(hn.error());
  auto h = record::DecodeHeader(std::string_view(hb, *hn));
  if (!h) return Err(h.error());
  if (h->type != record::Type::kFooter ||
      *off + record::kHeaderSize + h->length + kTrailerSize != size)
    return Err(Status::Corruption("footer does not end at the trailer"));
  std::string p(h->length, '\0');
  auto pn = file.PRead(*off + record::kHeaderSize, p.data(), p.size());
  if (!pn) return Err(pn.error());
  p.resize(*pn);
  SEGLAKE_TRY(record::VerifyPayload(*h, p));
  *footer_off = *off;
  return DecodeFooter(p);
}

}  // namespace

Result<ScanResult> Scan(const File& file, bool meta_only, const RecordFn& fn) {
  ScanResult res;
  auto size = file.Size();
  if (!size) return Err(size.error());
  res.file_size = *size;
  std::string buf(kHeaderSize, '\0');
  auto n = file.PRead(0, buf.data(), buf.size());
  if (!n) return Err(n.error());
  buf.resize(*n);
  auto hdr = DecodeHeader(buf);
  if (!hdr) return Err(hdr.error());
  res.header = *hdr;

  uint64_t footer_off = 0;
  auto footer = ReadSeal(file, *size, &footer_off);
  res.sealed = footer.has_value();
  std::string payload;
  if (res.sealed && meta_only) {
    for (uint64_t off : footer->meta_offsets) {
      char hb[record::kHeaderSize];
      auto hn = file.PRead(off, hb, sizeof hb);
      if (!hn) return Err(hn.error());
      auto h = record::DecodeHeader(std::string_view(hb, *hn));
      if (!h) return Err(h.error());
      if (h->type != record::Type::kMeta) return Err(Status::Corruption("footer index: not meta"));
      payload.resize(h->length);
      auto pn = file.PRead(off + record::kHeaderSize, payload.data(), payload.size());
      if (!pn) return Err(pn.error());
      if (*pn != h->length) return Err(Status::Corruption("meta record truncated"));
      SEGLAKE_TRY(record::VerifyPayload(*h, payload));
      SEGLAKE_TRY(fn(off + record::kHeaderSize, *h, payload));
    }
    res.records = footer->records;
    res.valid_end = *size;
    return res;
  }

  uint64_t off = kHeaderSize;
  uint64_t end = res.sealed ? footer_off : *size;
  while (off < end) {
    char hb[record::kHeaderSize];
    if (end - off < record::kHeaderSize) {
      res.tail_error = "partial record header";
      break;
    }
    auto hn = file.PRead(off, hb, sizeof hb);
    if (!hn) return Err(hn.error());
    auto h = record::DecodeHeader(std::string_view(hb, *hn));
    if (!h) {
      res.tail_error = h.error().message();
      break;
    }
    if (h->type == record::Type::kFooter) {
      res.tail_error = "footer without a trailer";
      break;
    }
    if (off + record::kHeaderSize + h->length > end) {
      res.tail_error = "record extends past the end";
      break;
    }
    // Data records are read even in a meta-only scan of an unsealed
    // segment: their CRC decides where the valid prefix ends.
    payload.resize(h->length);
    auto pn = file.PRead(off + record::kHeaderSize, payload.data(), payload.size());
    if (!pn) return Err(pn.error());
    Status v = record::VerifyPayload(*h, std::string_view(payload.data(), *pn));
    if (!v.ok()) {
      res.tail_error = v.message();
      break;
    }
    if (fn && (!meta_only || h->type == record::Type::kMeta))
      SEGLAKE_TRY(fn(off + record::kHeaderSize, *h, payload));
    ++res.records;
    off += record::kHeaderSize + h->length;
  }
  res.valid_end = res.sealed ? *size : off;
  if (res.sealed && off != footer_off)
    return Err(Status::Corruption("sealed segment: " + res.tail_error));
  return res;
}

Result<uint64_t> SealedDataEnd(const File& file) {
  auto size = file.Size();
  if (!size) return Err(size.error());
  uint64_t footer_off = 0;
  auto f = ReadSeal(file, *size, &footer_off);
  if (!f) return Err(f.error());
  return footer_off;
}

bool IsSealed(const File& file) {
  auto size = file.Size();
  uint64_t footer_off = 0;
  return size && ReadSeal(file, *size, &footer_off).has_value();
}

Result<ScanResult> RecoverAndSeal(File* file, const CommittedFn& committed) {
  struct Rec {
    uint64_t off;  // of the header
    record::Type type;
    uint32_t length;
  };
  std::vector<Rec> recs;
  uint64_t cut = 0;  // 0: no uncommitted meta record
  auto r = Scan(*file, false, [&](uint64_t off, const record::Header& h, std::string_view p) {
    uint64_t hoff = off - record::kHeaderSize;
    if (cut == 0 && h.type == record::Type::kMeta && committed && !committed(p)) cut = hoff;
    if (cut == 0) recs.push_back(Rec{hoff, h.type, h.length});
    return Status::OK();
  });
  if (!r) return r;
  if (r->sealed) return r;
  uint64_t end = cut != 0 ? cut : r->valid_end;
  std::vector<uint64_t> metas;
  uint64_t data_bytes = 0;
  for (const Rec& rec : recs) {
    if (rec.type == record::Type::kMeta) metas.push_back(rec.off);
    if (rec.type == record::Type::kData) data_bytes += rec.length;
  }
  r->records = recs.size();
  SEGLAKE_TRY(file->Truncate(end));
  std::string footer = EncodeFooter(recs.size() + 1, data_bytes, metas);
  char hdr[record::kHeaderSize];
  record::EncodeHeader(record::Type::kFooter, footer, hdr);
  std::string tail(hdr, sizeof hdr);
  tail += footer;
  tail += EncodeTrailer(end);
  SEGLAKE_TRY(file->PWrite(end, tail.data(), tail.size()));
  SEGLAKE_TRY(file->Sync());
  r->valid_end = end + tail.size();
  r->file_size = r->valid_end;
  return r;
}

}  // namespace seglake::segment
