#include "model.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

namespace seglake::testing {

std::string GenContent(uint64_t seed, size_t n) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  size_t i = 0;
  while (i < n) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    size_t k = std::min<size_t>(8, n - i);
    std::memcpy(out.data() + i, &z, k);
    i += k;
  }
  return out;
}

std::string Md5Raw(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

static std::string Hex(std::string_view raw) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::string Md5Hex(std::string_view data) { return Hex(Md5Raw(data)); }

std::string MultipartEtag(const std::vector<std::string>& part_md5_hex) {
  std::string raw;
  for (const auto& h : part_md5_hex) {
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
      raw.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    }
  }
  return Md5Hex(raw) + "-" + std::to_string(part_md5_hex.size());
}

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

MBucket* Model::bucket(const std::string& b) {
  auto it = buckets.find(b);
  return it == buckets.end() ? nullptr : &it->second;
}

const MVersion* Model::Latest(const std::string& b, const std::string& k) const {
  auto bi = buckets.find(b);
  if (bi == buckets.end()) return nullptr;
  auto ki = bi->second.keys.find(k);
  if (ki == bi->second.keys.end() || ki->second.empty()) return nullptr;
  return &ki->second.front();
}

const MVersion* Model::Current(const std::string& b, const std::string& k) const {
  const MVersion* v = Latest(b, k);
  return v && !v->delete_marker ? v : nullptr;
}

const MVersion* Model::Find(const std::string& b, const std::string& k,
                            const std::string& id) const {
  auto bi = buckets.find(b);
  if (bi == buckets.end()) return nullptr;
  auto ki = bi->second.keys.find(k);
  if (ki == bi->second.keys.end()) return nullptr;
  for (const auto& v : ki->second) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

static void EraseNull(std::vector<MVersion>& vs) {
  vs.erase(std::remove_if(vs.begin(), vs.end(), [](const MVersion& v) { return v.id == "null"; }),
           vs.end());
}

void Model::AddVersion(const std::string& b, const std::string& k, MVersion v) {
  MBucket& bk = buckets[b];
  auto& vs = bk.keys[k];
  if (bk.versioning != Versioning::kEnabled) {
    v.id = "null";
    EraseNull(vs);
  }
  vs.insert(vs.begin(), std::move(v));
}

void Model::DeleteCurrent(const std::string& b, const std::string& k,
                          const std::string& marker_id) {
  MBucket& bk = buckets[b];
  if (bk.versioning == Versioning::kUnversioned) {
    bk.keys.erase(k);
    return;
  }
  MVersion m;
  m.delete_marker = true;
  m.id = marker_id;
  auto& vs = bk.keys[k];
  if (bk.versioning == Versioning::kSuspended) {
    m.id = "null";
    EraseNull(vs);
  }
  vs.insert(vs.begin(), std::move(m));
}

bool Model::DeleteVersion(const std::string& b, const std::string& k, const std::string& id) {
  MBucket* bk = bucket(b);
  if (!bk) return false;
  auto ki = bk->keys.find(k);
  if (ki == bk->keys.end()) return false;
  auto& vs = ki->second;
  auto it = std::find_if(vs.begin(), vs.end(), [&](const MVersion& v) { return v.id == id; });
  if (it == vs.end()) return false;
  vs.erase(it);
  if (vs.empty()) bk->keys.erase(ki);
  return true;
}

// The rolled-up prefix of `key` under prefix/delimiter, or "" if none.
static std::string RollUp(const std::string& key, const std::string& prefix,
                          const std::string& delimiter) {
  if (delimiter.empty()) return "";
  size_t pos = key.find(delimiter, prefix.size());
  if (pos == std::string::npos) return "";
  return key.substr(0, pos + delimiter.size());
}

std::vector<MListEntry> Model::ListAll(const std::string& b, const std::string& prefix,
                                       const std::string& delimiter) const {
  std::vector<MListEntry> out;
  auto bi = buckets.find(b);
  if (bi == buckets.end()) return out;
  for (const auto& [k, vs] : bi->second.keys) {
    if (k.compare(0, prefix.size(), prefix) != 0) continue;
    if (vs.empty() || vs.front().delete_marker) continue;
    std::string p = RollUp(k, prefix, delimiter);
    if (!p.empty()) {
      if (out.empty() || !out.back().is_prefix || out.back().name != p) {
        out.push_back(MListEntry{true, p, "", 0});
      }
      continue;
    }
    out.push_back(MListEntry{false, k, vs.front().etag, vs.front().size()});
  }
  return out;
}

std::vector<MVersionEntry> Model::ListVersionsAll(const std::string& b, const std::string& prefix,
                                                  const std::string& delimiter,
                                                  std::vector<std::string>* prefixes) const {
  std::vector<MVersionEntry> out;
  auto bi = buckets.find(b);
  if (bi == buckets.end()) return out;
  for (const auto& [k, vs] : bi->second.keys) {
    if (k.compare(0, prefix.size(), prefix) != 0) continue;
    std::string p = RollUp(k, prefix, delimiter);
    if (!p.empty()) {
      if (prefixes && (prefixes->empty() || prefixes->back() != p)) prefixes->push_back(p);
      continue;
    }
    for (size_t i = 0; i < vs.size(); ++i) {
      out.push_back(
          MVersionEntry{k, vs[i].id, vs[i].delete_marker, i == 0, vs[i].etag, vs[i].size()});
    }
  }
  return out;
}

size_t Model::VersionCount() const {
  size_t n = 0;
  for (const auto& [b, bk] : buckets) {
    for (const auto& [k, vs] : bk.keys) n += vs.size();
  }
  return n;
}

Result<Model> ReadEngineState(Engine& engine, bool with_data, std::string* problems) {
  Model m;
  auto note = [&](const std::string& s) {
    if (problems) *problems += s + "\n";
  };
  auto buckets = engine.ListBuckets();
  if (!buckets) return Err(buckets.error());
  for (const auto& bi : *buckets) {
    MBucket& mb = m.buckets[bi.name];
    mb.versioning = bi.versioning;
    ListVersionsOptions o;
    o.max_keys = 1000;
    for (;;) {
      auto r = engine.ListVersions(bi.name, o);
      if (!r) return Err(r.error());
      for (const auto& v : r->versions) {
        auto& vs = mb.keys[v.key];
        if (v.is_latest != vs.empty()) {
          note("bucket " + bi.name + " key " + Printable(v.key) + " version " + v.version_id +
               ": is_latest=" + std::to_string(v.is_latest) + " at position " +
               std::to_string(vs.size()));
        }
        MVersion mv;
        mv.id = v.version_id;
        mv.delete_marker = v.delete_marker;
        mv.etag = v.etag;
        mv.parts = v.parts;
        if (!v.delete_marker) {
          auto h = engine.Head(bi.name, v.key, v.version_id);
          if (!h) return Err(h.error());
          mv.content_type = h->attrs.content_type;
          // Listings need not fill `parts`; Head must.
          mv.parts = h->parts;
          if (h->etag != v.etag || h->size != v.size) {
            note("Head and ListVersions disagree on " + Printable(v.key) + " " + v.version_id);
          }
          if (with_data) {
            auto data = engine.ReadAll(bi.name, v.key, v.version_id);
            if (!data) return Err(data.error());
            if (data->size() != v.size) {
              note("size of " + Printable(v.key) + " " + v.version_id + " listed " +
                   std::to_string(v.size) + " read " + std::to_string(data->size()));
            }
            mv.data = std::make_shared<const std::string>(std::move(*data));
          } else {
            mv.size_without_data = v.size;
          }
        }
        vs.push_back(std::move(mv));
      }
      if (!r->truncated) break;
      o.key_marker = r->next_key_marker;
      o.version_id_marker = r->next_version_id_marker;
    }
    ListUploadsOptions uo;
    for (;;) {
      auto r = engine.ListUploads(bi.name, uo);
      if (!r) return Err(r.error());
      for (const auto& u : r->uploads) {
        MUpload mu;
        mu.id = u.upload_id;
        mu.bucket = u.bucket;
        mu.key = u.key;
        mu.content_type = u.attrs.content_type;
        uint32_t marker = 0;
        for (;;) {
          auto p = engine.ListParts(u.upload_id, marker, 1000);
          if (!p) return Err(p.error());
          for (const auto& part : p->parts) {
            mu.parts[part.part_number] = MPart{nullptr, part.size, part.etag};
          }
          if (!p->truncated) break;
          marker = p->next_part_number_marker;
        }
        if (m.uploads.count(mu.id)) note("upload listed twice: " + mu.id);
        m.uploads[mu.id] = std::move(mu);
      }
      if (!r->truncated) break;
      uo.key_marker = r->next_key_marker;
      uo.upload_id_marker = r->next_upload_id_marker;
    }
  }
  return m;
}

namespace {

std::string Describe(const MVersion& v) {
  std::ostringstream o;
  o << v.id << (v.delete_marker ? " (delete marker)" : "");
  if (!v.delete_marker) {
    o << " size=" << v.size() << " etag=" << v.etag;
    if (v.parts) o << " parts=" << v.parts;
    if (!v.content_type.empty()) o << " ct=" << v.content_type;
  }
  return o.str();
}

std::string DescribeList(const std::vector<MVersion>* vs) {
  if (!vs) return "(absent)";
  std::string s = "[";
  for (const auto& v : *vs) s += (s.size() > 1 ? "; " : "") + Describe(v);
  return s + "]";
}

// First byte where a and b differ.
size_t FirstDiff(const std::string& a, const std::string& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return i;
  }
  return n;
}

}  // namespace

std::string Diff(const Model& expected, const Model& actual) {
  std::ostringstream out;
  int notes = 0;
  auto note = [&](const std::string& s) {
    if (notes++ < 20) out << s << "\n";
  };
  std::set<std::string> names;
  for (const auto& [b, _] : expected.buckets) names.insert(b);
  for (const auto& [b, _] : actual.buckets) names.insert(b);
  for (const auto& b : names) {
    auto e = expected.buckets.find(b);
    auto a = actual.buckets.find(b);
    if (e == expected.buckets.end() || a == actual.buckets.end()) {
      note("bucket " + b + (e == expected.buckets.end() ? " unexpected" : " missing"));
      continue;
    }
    if (e->second.versioning != a->second.versioning) {
      note("bucket " + b + " versioning expected " +
           std::to_string(static_cast<int>(e->second.versioning)) + " actual " +
           std::to_string(static_cast<int>(a->second.versioning)));
    }
    std::set<std::string> keys;
    for (const auto& [k, _] : e->second.keys) keys.insert(k);
    for (const auto& [k, _] : a->second.keys) keys.insert(k);
    for (const auto& k : keys) {
      auto ek = e->second.keys.find(k);
      auto ak = a->second.keys.find(k);
      const std::vector<MVersion>* ev = ek == e->second.keys.end() ? nullptr : &ek->second;
      const std::vector<MVersion>* av = ak == a->second.keys.end() ? nullptr : &ak->second;
      std::string where = "bucket " + b + " key " + Printable(k) + ": ";
      if (!ev || !av || ev->size() != av->size()) {
        note(where + "expected " + DescribeList(ev) + " actual " + DescribeList(av));
        continue;
      }
      std::set<std::string> known_ids;
      for (const auto& v : *ev) known_ids.insert(v.id);
      for (size_t i = 0; i < ev->size(); ++i) {
        const MVersion& x = (*ev)[i];
        const MVersion& y = (*av)[i];
        bool id_ok = x.id == kAnyId ? (y.id != "null" && !known_ids.count(y.id)) : x.id == y.id;
        bool same = id_ok && x.delete_marker == y.delete_marker;
        if (same && !x.delete_marker) {
          same = x.size() == y.size() && x.etag == y.etag && x.parts == y.parts &&
                 x.content_type == y.content_type;
          if (same && x.data && y.data && *x.data != *y.data) {
            note(where + "version " + x.id + " content differs at byte " +
                 std::to_string(FirstDiff(*x.data, *y.data)) + " of " + std::to_string(x.size()));
            continue;
          }
        }
        if (!same) {
          note(where + "expected " + DescribeList(ev) + " actual " + DescribeList(av));
          break;
        }
      }
    }
  }
  // Uploads: by id; expected kAnyId uploads match a leftover actual one.
  std::set<std::string> matched;
  for (const auto& [id, eu] : expected.uploads) {
    const MUpload* au = nullptr;
    if (id == kAnyId) {
      for (const auto& [aid, cand] : actual.uploads) {
        if (!expected.uploads.count(aid) && cand.bucket == eu.bucket && cand.key == eu.key) {
          au = &cand;
          break;
        }
      }
    } else {
      auto it = actual.uploads.find(id);
      if (it != actual.uploads.end()) au = &it->second;
    }
    if (!au) {
      note("upload " + id + " for " + eu.bucket + "/" + Printable(eu.key) + " missing");
      continue;
    }
    matched.insert(au->id);
    if (au->bucket != eu.bucket || au->key != eu.key || au->content_type != eu.content_type) {
      note("upload " + id + " expected " + eu.bucket + "/" + Printable(eu.key) +
           " ct=" + eu.content_type + " actual " + au->bucket + "/" + Printable(au->key) +
           " ct=" + au->content_type);
    }
    std::string ep, ap;
    for (const auto& [n, p] : eu.parts) {
      ep += " " + std::to_string(n) + ":" + std::to_string(p.size) + ":" + p.etag;
    }
    for (const auto& [n, p] : au->parts) {
      ap += " " + std::to_string(n) + ":" + std::to_string(p.size) + ":" + p.etag;
    }
    if (ep != ap) note("upload " + id + " parts expected" + ep + " actual" + ap);
  }
  for (const auto& [id, au] : actual.uploads) {
    if (!matched.count(id)) {
      note("unexpected upload " + id + " for " + au.bucket + "/" + Printable(au.key));
    }
  }
  return out.str();
}

void ResolveAnyIds(Model& expected, const Model& actual) {
  for (auto& [b, bk] : expected.buckets) {
    auto ab = actual.buckets.find(b);
    if (ab == actual.buckets.end()) continue;
    for (auto& [k, vs] : bk.keys) {
      auto ak = ab->second.keys.find(k);
      if (ak == ab->second.keys.end()) continue;
      for (size_t i = 0; i < vs.size() && i < ak->second.size(); ++i) {
        if (vs[i].id == kAnyId) vs[i].id = ak->second[i].id;
      }
    }
  }
  auto it = expected.uploads.find(kAnyId);
  if (it == expected.uploads.end()) return;
  for (const auto& [aid, cand] : actual.uploads) {
    if (!expected.uploads.count(aid) && cand.bucket == it->second.bucket &&
        cand.key == it->second.key) {
      MUpload u = it->second;
      u.id = aid;
      expected.uploads.erase(it);
      expected.uploads[aid] = std::move(u);
      return;
    }
  }
}

}  // namespace seglake::testing
