#include "commit/committer.h"

namespace seglake {

struct Committer::Request {
  nlohmann::json op;
  Result<meta::ApplyResult> result = Err(Status::IOError("not committed"));
  bool done = false;
  std::condition_variable cv;
};

Committer::Committer(std::unique_ptr<meta::Db> db, segment::SegmentSet* segs, Env* env,
                     uint64_t owner)
    : db_(std::move(db)), segs_(segs), env_(env), owner_(owner) {}

Committer::~Committer() = default;

std::string EncodeLogRecord(uint64_t seq, uint64_t commit_ns, uint64_t owner,
                            const nlohmann::json& op) {
  nlohmann::json j = {{"s", seq}, {"ct", commit_ns}, {"o", owner}, {"op", op}};
  std::vector<uint8_t> v = nlohmann::json::to_cbor(j);
  return std::string(v.begin(), v.end());
}

Status DecodeLogRecord(std::string_view payload, LogRecord* out) {
  nlohmann::json j;
  // from_cbor still throws on some inputs (e.g. an array length past any
  // limit) even when asked not to: a corrupt record must be an error.
  try {
    j = nlohmann::json::from_cbor(payload.begin(), payload.end(), true, false);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("log record is not CBOR: ") + e.what());
  }
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("log record is not CBOR");
  auto s = j.find("s"), ct = j.find("ct"), ow = j.find("o"), o = j.find("op");
  if (s == j.end() || !s->is_number_unsigned() || ct == j.end() || !ct->is_number_unsigned() ||
      ow == j.end() || !ow->is_number_unsigned() || o == j.end() || !o->is_object())
    return Status::Corruption("log record fields missing");
  out->seq = s->get<uint64_t>();
  out->commit_ns = ct->get<uint64_t>();
  out->owner = ow->get<uint64_t>();
  out->op = std::move(*o);
  return Status::OK();
}

Result<meta::ApplyResult> Committer::Commit(nlohmann::json op) {
  Request r;
  r.op = std::move(op);
  std::unique_lock<std::mutex> l(mu_);
  queue_.push_back(&r);
  while (!r.done && queue_.front() != &r) r.cv.wait(l);
  if (r.done) return std::move(r.result);

  // Leader: take everything queued so far.
  std::deque<Request*> batch(queue_.begin(), queue_.end());
  l.unlock();
  RunBatch(batch);
  l.lock();
  for (size_t i = 0; i < batch.size(); ++i) {
    Request* q = queue_.front();
    queue_.pop_front();
    q->done = true;
    if (q != &r) q->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return std::move(r.result);
}

void Committer::RunBatch(const std::deque<Request*>& batch) {
  std::lock_guard<std::mutex> dl(db_mu_);
  meta::Db* db = db_.get();
  auto fail_all = [&](const Status& s) {
    for (Request* q : batch) q->result = Err(s);
  };
  Status f = segs_->failure();
  if (!f.ok()) return fail_all(f);

  // The write lock is taken before reading seq, so seq is global across
  // processes and the log order equals the commit order.
  Status s = db->Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return fail_all(s);
  uint64_t seq = 0;
  {
    auto st = db->Prepare("SELECT v FROM kv WHERE k='seq'");
    auto row = st ? st->Step() : Result<bool>(Err(st.error()));
    if (!row || !*row) {
      (void)db->Exec("ROLLBACK");
      return fail_all(row ? Status::Corruption("kv.seq missing") : row.error());
    }
    seq = st->UInt(0);
  }
  uint64_t now = env_->NowNanos();
  std::vector<std::string> records;
  std::vector<Request*> applied;
  for (Request* q : batch) {
    s = db->Exec("SAVEPOINT op");
    if (!s.ok()) {
      q->result = Err(s);
      continue;
    }
    Result<meta::ApplyResult> res = Err(Status::IOError("apply threw"));
    try {
      res = meta::Apply(db, seq + 1, q->op);
    } catch (const std::exception& e) {
      res = Err(Status::Corruption(std::string("apply: ") + e.what()));
    }
    if (res) {
      s = db->Exec("RELEASE op");
      if (s.ok()) {
        ++seq;
        // Which instance committed each seq: recovery uses it to tell a
        // committed log record from one whose commit failed.
        auto st = db->Prepare("INSERT OR REPLACE INTO commits(seq, owner) VALUES(?, ?)");
        s = st ? st->Bind(1, seq).Bind(2, owner_).Run() : st.error();
        if (!s.ok()) {
          (void)db->Exec("ROLLBACK");
          for (Request* b : batch) b->result = Err(s);
          return;
        }
        records.push_back(EncodeLogRecord(seq, now, owner_, q->op));
        applied.push_back(q);
        res->seq = seq;
        q->result = std::move(res);
        continue;
      }
      res = Err(s);
    }
    (void)db->Exec("ROLLBACK TO op");
    (void)db->Exec("RELEASE op");
    q->result = std::move(res);
  }
  if (applied.empty()) {
    (void)db->Exec("ROLLBACK");
    return;
  }
  auto fail_applied = [&](const Status& e) {
    // Log records of this batch may be on disk: never commit after them, and
    // leave their segment unsealed so that recovery cuts them.
    segs_->ResolveMeta(e);
    (void)db->Exec("ROLLBACK");
    for (Request* q : applied) q->result = Err(e);
  };
  s = segs_->AppendMeta(records);
  // Data before metadata: one sync covers the batch's data and log records.
  if (s.ok()) s = segs_->SyncAll();
  if (!s.ok()) return fail_applied(s);
  {
    auto st = db->Prepare("UPDATE kv SET v=? WHERE k='seq'");
    s = st ? st->Bind(1, seq).Run() : st.error();
  }
  if (s.ok()) s = db->Exec("COMMIT");
  if (!s.ok()) return fail_applied(s);
  segs_->ResolveMeta(Status::OK());
}

}  // namespace seglake
