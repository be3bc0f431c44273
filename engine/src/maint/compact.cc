// Compaction (DESIGN.md invariant 3): live bytes of sparsely used segments
// and of fragmented versions are copied into new records; each version's
// manifest is swapped in its own commit, and only if it is unchanged. The
// old bytes stay readable until GC deletes their segment.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "object/engine_impl.h"
#include "seglake/checksum.h"
#include "segment/segment.h"
#include "segment/segment_format.h"

namespace seglake {
namespace {

using json = nlohmann::json;

struct Target {
  std::string bucket, key, version_id, manifest;
  bool fragmented = false;
};

}  // namespace

Result<CompactReport> EngineImpl::Compact(const CompactOptions& opts, const ProgressFn& progress) {
  CompactReport rep;
  uint64_t start = env_->NowNanos();
  if (!opts.dry_run) SEGLAKE_TRY(WritableCheck());
  // Sealed segments whose live share is low (but not zero: GC takes those).
  std::set<uint64_t> sparse;
  {
    std::map<uint64_t, int64_t> live;
    auto db = pool_.Get();
    auto st = db->Prepare("SELECT id, live_bytes FROM segments WHERE condemned_ns = 0");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      live[st->UInt(0)] = st->Int(1);
    }
    for (const auto& [id, bytes] : live) {
      if (bytes <= 0) continue;
      auto f = files_.Get(id);
      if (!f) continue;
      auto end = segment::SealedDataEnd(**f);
      if (!end) continue;  // open segments are still being written
      double share = static_cast<double>(bytes) / static_cast<double>(*end);
      if (share < opts.max_live_ratio) {
        sparse.insert(id);
        ++rep.segments;
        rep.segment_bytes += *end;
      }
    }
  }
  // The versions to rewrite.
  std::vector<Target> targets;
  {
    auto db = pool_.Get();
    auto st = db->Prepare(
        "SELECT bucket, key, version_id, manifest FROM versions WHERE delete_marker = 0 "
        "ORDER BY id");
    if (!st) return Err(st.error());
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      std::string blob = st->Blob(3);
      auto m = Manifest::Decode(blob);
      if (!m) continue;  // fsck reports it
      uint64_t data_extents = 0, data_bytes = 0, moving = 0;
      for (const Extent& x : m->extents()) {
        if (x.is_hole()) continue;
        ++data_extents;
        data_bytes += x.length;
        if (sparse.count(x.segment)) moving += x.length;
      }
      bool frag = opts.defrag_min_extents > 0 && data_extents >= opts.defrag_min_extents &&
                  data_bytes / data_extents < opts.defrag_extent_bytes;
      if (moving == 0 && !frag) continue;
      rep.bytes += frag ? data_bytes : moving;
      if (frag) ++rep.fragmented;
      targets.push_back(Target{st->Text(0), st->Blob(1), st->Text(2), std::move(blob), frag});
    }
  }
  rep.versions = targets.size();
  if (opts.dry_run) {
    rep.elapsed_ns = env_->NowNanos() - start;
    return rep;
  }
  uint64_t total = rep.bytes, done = 0;
  uint32_t max_record = opt_.max_record_bytes;
  std::string run, piece;
  for (const Target& t : targets) {
    auto lease = HoldReads();
    auto m = Manifest::Decode(t.manifest);
    if (!m) continue;
    // Copy each run of moving extents into fresh records of up to one
    // record's size; other extents stay as they are.
    Manifest out;
    run.clear();
    auto flush = [&]() -> Status {
      if (run.empty()) return Status::OK();
      auto ext = segs_->AppendData(run);
      if (!ext) return ext.error();
      out.Add(*ext);
      run.clear();
      return Status::OK();
    };
    for (const Extent& x : m->extents()) {
      bool moves = !x.is_hole() && (t.fragmented || sparse.count(x.segment));
      if (!moves) {
        SEGLAKE_TRY(flush());
        out.Add(x);
        continue;
      }
      for (uint64_t in = 0; in < x.length;) {
        size_t take =
            static_cast<size_t>(std::min<uint64_t>(x.length - in, max_record - run.size()));
        piece.resize(take);
        // Whole-extent reads check the record's CRC: damage is not copied.
        SEGLAKE_TRY(ReadExtent(this, x, in, piece.data(), take, t.bucket + "/" + t.key));
        run += piece;
        in += take;
        if (run.size() == max_record) SEGLAKE_TRY(flush());
      }
      done += x.length;
    }
    SEGLAKE_TRY(flush());
    std::string enc = out.Encode();
    auto r = Commit(json{{"t", "cmp"},
                         {"b", t.bucket},
                         {"k", t.key},
                         {"v", t.version_id},
                         {"old", ToHex(Md5(t.manifest))},
                         {"m", json::binary(std::vector<uint8_t>(enc.begin(), enc.end()))},
                         {"mt", true}});
    if (!r) {
      if (!r.error().IsPreconditionFailed()) return Err(r.error());
      ++rep.skipped;  // overwritten or deleted meanwhile: its bytes are garbage now
    }
    if (progress && !progress(done, total)) break;
    if (opts.max_bytes_per_sec > 0) {
      // Sleep until the rate allows what was done so far.
      uint64_t should_ns = done * 1'000'000'000ull / opts.max_bytes_per_sec;
      uint64_t spent = env_->NowNanos() - start;
      if (should_ns > spent)
        std::this_thread::sleep_for(std::chrono::nanoseconds(should_ns - spent));
    }
  }
  rep.elapsed_ns = env_->NowNanos() - start;
  (void)RecordRun("compact", rep.skipped);
  return rep;
}

}  // namespace seglake
