// seglake-crash-child DATA_DIR SEED WORKER_ID [NUM_OPS] [--step] [--shared]
//
// Runs random ops on bucket "crash" under its own prefix w<WORKER_ID>/ (put,
// overwrite, delete, copy, multipart, rename, and reads it checks itself) and
// reports each op on stdout with the protocol in ack_log.h. Without NUM_OPS
// (or with a negative one) it runs until killed. --step: after each ack, waits
// for a line on stdin. --shared: also puts to the shared key "shared/x".
// Exit codes: 0 done, 2 usage or open failure, 3 an op failed or a read was
// wrong.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ack_log.h"
#include "model.h"
#include "seglake/engine.h"

namespace seglake::testing {
namespace {

class Child {
 public:
  Child(Engine* engine, uint64_t seed, std::string prefix, bool step, bool shared)
      : engine_(engine), rng_(seed), prefix_(std::move(prefix)), step_(step), shared_(shared) {}

  int Run(long num_ops) {
    if (!LoadKeys()) return 3;
    Line("ready");
    for (long i = 0; num_ops < 0 || i < num_ops; ++i) {
      if (!Step()) return 3;
    }
    Line("done");
    return 0;
  }

 private:
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return hi <= lo ? lo : std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void Line(const std::string& s) {
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  bool Error(const std::string& s) {
    Line("error " + s);
    return false;
  }

  // Learns which keys under the prefix exist (left by earlier runs).
  bool LoadKeys() {
    ListOptions o;
    o.prefix = prefix_;
    for (;;) {
      auto r = engine_->List(kChildBucket, o);
      if (!r) return Error("list: " + r.error().ToString());
      for (const auto& obj : r->objects) known_[obj.key] = nullptr;
      if (!r->truncated) return true;
      o.start_after = r->next_marker;
    }
  }

  std::string RandomKey() { return prefix_ + "k" + std::to_string(Uniform(0, 19)); }
  std::string ExistingKey() {
    if (known_.empty()) return "";
    auto it = known_.begin();
    std::advance(it, static_cast<long>(Uniform(0, known_.size() - 1)));
    return it->first;
  }
  uint64_t RandomSize() {
    double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.05) return 0;
    if (r < 0.85) return Uniform(1, 64 << 10);
    if (r < 0.95) return (1u << 20) + Uniform(0, 4) - 2;
    return Uniform(64 << 10, 2 << 20);
  }

  bool Ack(uint64_t id, const std::string& vid, const std::string& etag, uint64_t seq) {
    Line("ack " + std::to_string(id) + " " + vid + " " + etag + " " +
         (seq ? std::to_string(seq) : "-"));
    if (step_) {
      std::string go;
      if (!std::getline(std::cin, go)) return false;
    }
    return true;
  }

  bool Step() {
    uint64_t id = next_id_++;
    double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (shared_ && r < 0.08) return Put(id, kSharedKey);
    if (r < 0.40) return Put(id, Chance(0.5) && !known_.empty() ? ExistingKey() : RandomKey());
    if (r < 0.50) return Delete(id);
    if (r < 0.62) return Copy(id);
    if (r < 0.72) return Multipart(id);
    if (r < 0.80) return Rename(id);
    return Read();
  }

  bool Put(uint64_t id, const std::string& key) {
    uint64_t seed = rng_(), size = RandomSize();
    Line("begin " + std::to_string(id) + " put " + key + " " + std::to_string(seed) + " " +
         std::to_string(size));
    auto data = std::make_shared<const std::string>(GenContent(seed, size));
    auto r = engine_->Put(kChildBucket, key, *data);
    if (!r) return Error("put " + key + ": " + r.error().ToString());
    if (key != kSharedKey) known_[key] = data;
    return Ack(id, r->version_id, r->etag, r->seq);
  }

  bool Delete(uint64_t id) {
    std::string key = Chance(0.8) ? ExistingKey() : RandomKey();
    if (key.empty()) key = RandomKey();
    Line("begin " + std::to_string(id) + " del " + key);
    auto r = engine_->Delete(kChildBucket, key);
    if (!r) return Error("delete " + key + ": " + r.error().ToString());
    known_.erase(key);
    return Ack(id, "-", "-", 0);
  }

  bool Copy(uint64_t id) {
    std::string src = ExistingKey();
    if (src.empty()) return Put(id, RandomKey());
    std::string dst = RandomKey();
    if (dst == src) dst += "c";
    auto h = engine_->Head(kChildBucket, src);
    if (!h) return Error("head " + src + ": " + h.error().ToString());
    CopyOptions co;
    std::string range = "- -";
    if (h->size > 0 && Chance(0.4)) {
      co.range_first = Uniform(0, h->size - 1);
      co.range_last = Uniform(*co.range_first, h->size - 1);
      range = std::to_string(*co.range_first) + " " + std::to_string(*co.range_last);
    }
    Line("begin " + std::to_string(id) + " copy " + src + " " + dst + " " + range);
    auto r = engine_->Copy(kChildBucket, src, kChildBucket, dst, co);
    if (!r) return Error("copy " + src + " " + dst + ": " + r.error().ToString());
    auto it = known_.find(src);
    Bytes data;
    if (it != known_.end() && it->second) {
      data = co.range_first ? std::make_shared<const std::string>(it->second->substr(
                                  *co.range_first, *co.range_last - *co.range_first + 1))
                            : it->second;
    }
    known_[dst] = data;
    return Ack(id, r->version_id, r->etag, r->seq);
  }

  bool Multipart(uint64_t id) {
    std::string key = Chance(0.5) && !known_.empty() ? ExistingKey() : RandomKey();
    uint32_t nparts = static_cast<uint32_t>(Uniform(1, 4));
    uint64_t size = Uniform(1024 * nparts, 96 << 10), seed = rng_();
    if (Chance(0.1)) size = (1u << 20) + 3;
    Line("begin " + std::to_string(id) + " mpu " + key + " " + std::to_string(seed) + " " +
         std::to_string(size) + " " + std::to_string(nparts));
    auto data = std::make_shared<const std::string>(GenContent(seed, size));
    auto u = engine_->CreateUpload(kChildBucket, key, {});
    if (!u) return Error("create upload " + key + ": " + u.error().ToString());
    std::vector<uint64_t> sizes = MpuPartSizes(size, nparts);
    std::vector<uint64_t> offsets;
    uint64_t off = 0;
    for (uint64_t s : sizes) {
      offsets.push_back(off);
      off += s;
    }
    // Parts in random order.
    std::vector<uint32_t> order;
    for (uint32_t i = 1; i <= nparts; ++i) order.push_back(i);
    std::shuffle(order.begin(), order.end(), rng_);
    std::vector<CompletePart> list(nparts);
    for (uint32_t n : order) {
      auto w = engine_->BeginPart(u->upload_id, n);
      if (!w) return Error("begin part: " + w.error().ToString());
      Status s = (*w)->Append(data->data() + offsets[n - 1], sizes[n - 1]);
      if (!s.ok()) return Error("append part: " + s.ToString());
      auto c = (*w)->Commit();
      if (!c) return Error("commit part: " + c.error().ToString());
      list[n - 1] = CompletePart{n, c->etag};
    }
    auto r = engine_->CompleteUpload(u->upload_id, list);
    if (!r) return Error("complete " + key + ": " + r.error().ToString());
    known_[key] = data;
    return Ack(id, r->version_id, r->etag, r->seq);
  }

  bool Rename(uint64_t id) {
    std::string from = ExistingKey();
    if (from.empty()) return Put(id, RandomKey());
    std::string to = RandomKey();
    Line("begin " + std::to_string(id) + " ren " + from + " " + to);
    Status s = engine_->Rename(kChildBucket, from, to, false, true);
    if (!s.ok()) return Error("rename " + from + " " + to + ": " + s.ToString());
    if (from != to) {
      Bytes data = known_[from];
      known_.erase(from);
      known_[to] = data;
    }
    return Ack(id, "-", "-", 0);
  }

  // Reads a key this process knows the bytes of and checks them.
  bool Read() {
    std::string key = ExistingKey();
    if (key.empty()) return true;
    auto data = engine_->ReadAll(kChildBucket, key);
    if (!data) return Error("read " + key + ": " + data.error().ToString());
    const Bytes& want = known_[key];
    if (want && *data != *want) {
      return Error("read " + key + " returned other bytes (size " + std::to_string(data->size()) +
                   ", expected " + std::to_string(want->size()) + ")");
    }
    return true;
  }

  Engine* engine_;
  std::mt19937_64 rng_;
  std::string prefix_;
  bool step_, shared_;
  uint64_t next_id_ = 1;
  std::map<std::string, Bytes> known_;  // keys that exist; bytes if known
};

}  // namespace
}  // namespace seglake::testing

int main(int argc, char** argv) {
  using namespace seglake;
  std::vector<std::string> pos;
  bool step = false, shared = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--step") == 0) {
      step = true;
    } else if (std::strcmp(argv[i], "--shared") == 0) {
      shared = true;
    } else {
      pos.emplace_back(argv[i]);
    }
  }
  if (pos.size() < 3 || pos.size() > 4) {
    std::fprintf(stderr,
                 "usage: seglake-crash-child DATA_DIR SEED WORKER_ID [NUM_OPS] [--step] "
                 "[--shared]\n");
    return 2;
  }
  Options o;
  o.data_dir = pos[0];
  o.min_part_bytes = 1024;
  auto engine = Engine::Open(o);
  if (!engine) {
    std::printf("error open: %s\n", engine.error().ToString().c_str());
    return 2;
  }
  Status s = (*engine)->CreateBucket(testing::kChildBucket, "us-east-1");
  if (!s.ok() && !s.IsAlreadyExists()) {
    std::printf("error create bucket: %s\n", s.ToString().c_str());
    return 2;
  }
  uint64_t seed = std::strtoull(pos[1].c_str(), nullptr, 0);
  long num_ops = pos.size() == 4 ? std::strtol(pos[3].c_str(), nullptr, 0) : -1;
  testing::Child child(engine->get(), seed, "w" + pos[2] + "/", step, shared);
  int rc = child.Run(num_ops);
  if (rc == 0) {
    s = (*engine)->Close();
    if (!s.ok()) {
      std::printf("error close: %s\n", s.ToString().c_str());
      return 3;
    }
  }
  return rc;
}
