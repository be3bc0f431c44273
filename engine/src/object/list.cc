// Listings: byte-wise key order, seeking past common prefixes instead of
// scanning them, stable pagination by marker.
#include "object/engine_impl.h"

namespace seglake {

namespace {

// Where a scan resumes: strictly after `key`, or at `key` inclusive.
struct Cursor {
  std::string key;
  bool inclusive = true;
};

// The common prefix of `key` under `prefix` and `delim`, or "" if none.
std::string CommonPrefix(const std::string& key, const std::string& prefix,
                         const std::string& delim) {
  if (delim.empty()) return std::string();
  size_t pos = key.find(delim, prefix.size());
  if (pos == std::string::npos) return std::string();
  return key.substr(0, pos + delim.size());
}

}  // namespace

Result<ListResult> EngineImpl::List(const std::string& bucket, const ListOptions& o) {
  auto db = pool_.Get();
  auto b = meta::LoadBucket(db.get(), bucket);
  if (!b) return Err(b.error());
  if (!*b) return Err(Status::NotFound(bucket).WithDetail("NoSuchBucket"));
  ListResult res;
  if (o.max_keys == 0) return res;
  const std::string end = meta::PrefixEnd(o.prefix);
  Cursor cur{o.prefix, true};
  if (!o.start_after.empty() && o.start_after >= o.prefix) cur = Cursor{o.start_after, false};
  // Entries (keys or prefixes) gathered; one past max tells truncation.
  size_t want = static_cast<size_t>(o.max_keys) + 1;
  size_t count = 0;
  std::string last_entry;
  bool done = false;
  while (!done && count < want) {
    const char* sql =
        cur.inclusive
            ? (end.empty() ? "SELECT vrow, key FROM current WHERE bucket=? AND key>=? ORDER BY key "
                             "LIMIT ?"
                           : "SELECT vrow, key FROM current WHERE bucket=? AND key>=? AND key<? "
                             "ORDER BY key LIMIT ?")
            : (end.empty() ? "SELECT vrow, key FROM current WHERE bucket=? AND key>? ORDER BY key "
                             "LIMIT ?"
                           : "SELECT vrow, key FROM current WHERE bucket=? AND key>? AND key<? "
                             "ORDER BY key LIMIT ?");
    auto st = db->Prepare(sql);
    if (!st) return Err(st.error());
    int i = 3;
    st->BindText(1, bucket).BindBlob(2, cur.key);
    if (!end.empty()) st->BindBlob(i++, end);
    st->Bind(i++, static_cast<int64_t>(std::min<size_t>(want - count, 1000)));
    std::vector<std::pair<int64_t, std::string>> rows;
    for (;;) {
      auto r = st->Step();
      if (!r) return Err(r.error());
      if (!*r) break;
      rows.emplace_back(st->Int(0), st->Blob(1));
    }
    if (rows.empty()) break;
    for (auto& [vrow, key] : rows) {
      std::string cp = CommonPrefix(key, o.prefix, o.delimiter);
      if (!cp.empty()) {
        if (cp > o.start_after || o.start_after.empty()) {
          if (++count <= o.max_keys) {
            res.common_prefixes.push_back(cp);
            last_entry = cp;
          }
        }
        std::string next = meta::PrefixEnd(cp);
        if (next.empty()) done = true;
        cur = Cursor{next, true};
        break;
      }
      if (++count <= o.max_keys) {
        auto v = meta::LoadVersionById(db.get(), vrow);
        if (!v) return Err(v.error());
        if (*v) {
          ObjectInfo oi = meta::ToObjectInfo(**v, o.with_attrs);
          oi.is_latest = true;
          res.objects.push_back(std::move(oi));
        }
        last_entry = key;
      }
      cur = Cursor{key, false};
      if (count >= want) break;
    }
  }
  if (count > o.max_keys) {
    res.truncated = true;
    res.next_marker = last_entry;
  }
  return res;
}

Result<ListVersionsResult> EngineImpl::ListVersions(const std::string& bucket,
                                                    const ListVersionsOptions& o) {
  auto db = pool_.Get();
  auto b = meta::LoadBucket(db.get(), bucket);
  if (!b) return Err(b.error());
  if (!*b) return Err(Status::NotFound(bucket).WithDetail("NoSuchBucket"));
  ListVersionsResult res;
  if (o.max_keys == 0) return res;
  const std::string end = meta::PrefixEnd(o.prefix);
  size_t want = static_cast<size_t>(o.max_keys) + 1;
  size_t count = 0;

  // Versions of the marker key older than the marker version come first.
  std::string key_cursor = o.key_marker;
  bool inclusive = false;
  int64_t id_below = -1;  // continue within key_cursor below this row id
  if (o.key_marker.empty() || o.key_marker < o.prefix) {
    key_cursor = o.prefix;
    inclusive = true;
  } else if (!o.version_id_marker.empty()) {
    auto v = meta::LoadVersion(db.get(), bucket, o.key_marker, o.version_id_marker);
    if (!v) return Err(v.error());
    if (*v) id_below = (*v)->id;
  }
  std::string last_key, last_vid;
  bool done = false;
// No manifest, and the info only when it names a storage class (the one
// field a version listing shows from it).
#define SEGLAKE_VCOLS                                                                  \
  "SELECT id, bucket, key, version_id, seq, delete_marker, size, etag, mtime_ns, '', " \
  "CASE WHEN instr(info, '\"sc\"') > 0 THEN info ELSE '' END FROM "                    \
  "versions WHERE bucket=? AND "
  static const char* const kWithin = SEGLAKE_VCOLS "key=? AND id<? ORDER BY id DESC LIMIT ?";
  static const char* const kKeys[2][2] = {
      {SEGLAKE_VCOLS "key>? ORDER BY key, id DESC LIMIT ?",
       SEGLAKE_VCOLS "key>? AND key<? ORDER BY key, id DESC LIMIT ?"},
      {SEGLAKE_VCOLS "key>=? ORDER BY key, id DESC LIMIT ?",
       SEGLAKE_VCOLS "key>=? AND key<? ORDER BY key, id DESC LIMIT ?"}};
#undef SEGLAKE_VCOLS
  while (!done && count < want) {
    bool within = id_below >= 0;
    size_t limit = std::min<size_t>(want - count, 1000);
    std::vector<meta::VersionRow> rows;
    {
      auto st = db->Prepare(within ? kWithin : kKeys[inclusive ? 1 : 0][end.empty() ? 0 : 1]);
      if (!st) return Err(st.error());
      int i = 3;
      st->BindText(1, bucket).BindBlob(2, key_cursor);
      if (within)
        st->Bind(i++, id_below);
      else if (!end.empty())
        st->BindBlob(i++, end);
      st->Bind(i++, static_cast<int64_t>(limit));
      for (;;) {
        auto r = st->Step();
        if (!r) return Err(r.error());
        if (!*r) break;
        meta::VersionRow row;
        row.id = st->Int(0);
        row.bucket = st->Text(1);
        row.key = st->Blob(2);
        row.version_id = st->Text(3);
        row.seq = st->UInt(4);
        row.delete_marker = st->Int(5) != 0;
        row.size = st->UInt(6);
        row.etag = st->Text(7);
        row.mtime_ns = st->UInt(8);
        row.info = st->Text(10);
        rows.push_back(std::move(row));
      }
    }
    if (rows.empty()) {
      if (!within) break;
      // The rest of key_cursor's versions are listed: go on after it.
      id_below = -1;
      inclusive = false;
      continue;
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      const meta::VersionRow& row = rows[k];
      std::string cp = CommonPrefix(row.key, o.prefix, o.delimiter);
      if (!cp.empty()) {
        if (o.key_marker.empty() || cp > o.key_marker) {
          if (++count <= o.max_keys) {
            res.common_prefixes.push_back(cp);
            last_key = cp;
            last_vid.clear();
          }
        }
        key_cursor = meta::PrefixEnd(cp);
        if (key_cursor.empty()) done = true;
        inclusive = true;
        id_below = -1;
        break;
      }
      // Rows of one key are contiguous, newest first: the first of a key in
      // a key-ordered scan is its latest version.
      bool latest = !within && (k == 0 || rows[k - 1].key != row.key);
      if (++count <= o.max_keys) {
        ObjectInfo oi = meta::ToObjectInfo(row, false);
        oi.is_latest = latest;
        last_key = row.key;
        last_vid = row.version_id;
        res.versions.push_back(std::move(oi));
      }
      key_cursor = row.key;
      id_below = row.id;
      if (count >= want) break;
    }
  }
  if (count > o.max_keys) {
    res.truncated = true;
    res.next_key_marker = last_key;
    res.next_version_id_marker = last_vid;
  }
  return res;
}

}  // namespace seglake
