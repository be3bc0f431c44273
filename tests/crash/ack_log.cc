#include "ack_log.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace seglake::testing {

namespace {

std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string tok;
  while (in >> tok) out.push_back(tok);
  return out;
}

uint64_t Num(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

}  // namespace

std::vector<uint64_t> MpuPartSizes(uint64_t size, uint32_t nparts) {
  std::vector<uint64_t> out(nparts, size / nparts);
  out.back() += size % nparts;
  return out;
}

std::string AckLog::Feed(const std::string& line) {
  std::vector<std::string> t = Split(line);
  if (t.empty()) return "";
  if (t[0] == "ready") {
    ready_ = true;
    return "";
  }
  if (t[0] == "done") {
    done_ = true;
    return "";
  }
  if (t[0] == "error") {
    errors_.push_back(line);
    return "";
  }
  if (t[0] == "begin" && t.size() >= 4) {
    AckOp op;
    op.id = Num(t[1]);
    op.begin.assign(t.begin() + 2, t.end());
    if (!ops_.empty() && !ops_.back().acked) {
      return "begin of op " + t[1] + " while op " + std::to_string(ops_.back().id) +
             " is not acked";
    }
    ops_.push_back(std::move(op));
    return "";
  }
  if (t[0] == "ack" && t.size() == 5) {
    if (ops_.empty() || ops_.back().acked || ops_.back().id != Num(t[1])) {
      return "ack without begin: " + line;
    }
    AckOp& op = ops_.back();
    op.acked = true;
    op.version_id = t[2];
    op.etag = t[3];
    op.seq = t[4] == "-" ? 0 : Num(t[4]);
    return "";
  }
  return "malformed line: " + line;
}

std::string DescribeOp(const AckOp& op) {
  std::string s = "op " + std::to_string(op.id);
  for (const auto& t : op.begin) s += " " + t;
  if (op.acked)
    s += " -> acked " + op.version_id + " " + op.etag + " seq " + std::to_string(op.seq);
  return s;
}

std::vector<std::string> OpKeys(const AckOp& op) {
  const auto& b = op.begin;
  if (b[0] == "copy" || b[0] == "ren") return {b[1], b[2]};
  return {b[1]};
}

std::string ApplyOp(const AckOp& op, KeyState& state) {
  const auto& b = op.begin;
  const std::string& kind = b[0];
  KeyContent c;
  std::string key;
  if ((kind == "put" && b.size() == 4) || (kind == "mpu" && b.size() == 5)) {
    key = b[1];
    uint64_t size = Num(b[3]);
    c.data = std::make_shared<const std::string>(GenContent(Num(b[2]), size));
    if (kind == "put") {
      c.etags = {Md5Hex(*c.data)};
    } else {
      uint32_t n = static_cast<uint32_t>(Num(b[4]));
      std::vector<std::string> md5s;
      uint64_t off = 0;
      for (uint64_t s : MpuPartSizes(size, n)) {
        md5s.push_back(Md5Hex(std::string_view(*c.data).substr(off, s)));
        off += s;
      }
      c.etags = {MultipartEtag(md5s)};
      c.parts = n;
    }
  } else if (kind == "del" && b.size() == 2) {
    state.erase(b[1]);
    return "";
  } else if (kind == "ren" && b.size() == 3) {
    auto it = state.find(b[1]);
    if (it == state.end()) return "rename of absent key " + b[1] + " (" + DescribeOp(op) + ")";
    if (b[1] == b[2]) return "";
    KeyContent moved = it->second;
    state.erase(it);
    state[b[2]] = std::move(moved);
    return "";
  } else if (kind == "copy" && b.size() == 5) {
    auto it = state.find(b[1]);
    if (it == state.end()) return "copy from absent key " + b[1] + " (" + DescribeOp(op) + ")";
    key = b[2];
    const KeyContent& src = it->second;
    if (b[3] == "-") {
      c.data = src.data;
      c.etags = {Md5Hex(*c.data)};
      if (src.parts > 0) {
        // A whole copy of a multipart object: S3 gives it the MD5 of its
        // bytes; an engine that copies no data may keep the source ETag.
        for (const auto& e : src.etags) c.etags.push_back(e);
        c.parts = src.parts;
      }
    } else {
      uint64_t first = Num(b[3]), last = Num(b[4]);
      if (last < first || last >= src.data->size()) return "bad copy range in " + DescribeOp(op);
      c.data = std::make_shared<const std::string>(src.data->substr(first, last - first + 1));
      c.etags = {Md5Hex(*c.data)};
    }
  } else {
    return "unknown op " + DescribeOp(op);
  }
  if (op.acked) {
    if (!Has(c.etags, op.etag)) {
      return "acked ETag " + op.etag + " but expected " + Join(c.etags) + " (" + DescribeOp(op) +
             ")";
    }
    c.etags = {op.etag};
  }
  state[key] = std::move(c);
  return "";
}

std::string VerifyKeys(Engine& engine, const std::string& prefix, const KeyState& state,
                       const std::vector<std::string>& extra_keys) {
  std::ostringstream out;
  std::set<std::string> listed, want;
  ListOptions o;
  o.prefix = prefix;
  for (;;) {
    auto r = engine.List(kChildBucket, o);
    if (!r) return "list " + prefix + ": " + r.error().ToString();
    for (const auto& obj : r->objects) listed.insert(obj.key);
    if (!r->truncated) break;
    o.start_after = r->next_marker;
  }
  for (const auto& [k, c] : state) {
    if (k.compare(0, prefix.size(), prefix) == 0) want.insert(k);
  }
  for (const auto& k : listed) {
    if (!want.count(k)) out << "unexpected key " << k << "\n";
  }
  std::set<std::string> check = want;
  check.insert(extra_keys.begin(), extra_keys.end());
  for (const auto& k : check) {
    auto it = state.find(k);
    auto h = engine.Head(kChildBucket, k);
    if (it == state.end()) {
      if (h) out << "key " << k << " exists (etag " << h->etag << "), expected none\n";
      continue;
    }
    if (!h) {
      out << "key " << k << " missing: " << h.error().ToString() << "\n";
      continue;
    }
    if (!listed.count(k) && k.compare(0, prefix.size(), prefix) == 0) {
      out << "key " << k << " not listed\n";
    }
    if (!Has(it->second.etags, h->etag)) {
      out << "key " << k << " etag " << h->etag << ", expected " << Join(it->second.etags) << "\n";
    }
    auto data = engine.ReadAll(kChildBucket, k);
    if (!data) {
      out << "key " << k << " read: " << data.error().ToString() << "\n";
    } else if (*data != *it->second.data) {
      out << "key " << k << " content differs (size " << data->size() << ", expected "
          << it->second.data->size() << ")\n";
    }
  }
  return out.str();
}

void NarrowEtags(Engine& engine, KeyState& state) {
  for (auto& [k, c] : state) {
    if (c.etags.size() <= 1) continue;
    auto h = engine.Head(kChildBucket, k);
    if (h) c.etags = {h->etag};
  }
}

}  // namespace seglake::testing
