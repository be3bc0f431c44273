// The follower of the data dir's change sequence, which invalidates the
// kernel's caches of keys changed from outside.
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

// ---- following the change sequence ----

void Fs::StartFollower() {
  follower_ = std::thread([this] { Follow(); });
}

void Fs::StopFollower() {
  {
    std::lock_guard<std::mutex> l(follow_mu_);
    stop_ = true;
  }
  follow_cv_.notify_all();
  if (follower_.joinable()) follower_.join();
}

void Fs::Follow() {
  std::unique_lock<std::mutex> l(follow_mu_);
  while (!stop_) {
    follow_cv_.wait_for(l, std::chrono::milliseconds(opt_.poll_ms), [this] { return stop_; });
    if (stop_) break;
    l.unlock();
    for (;;) {
      auto ch = engine_->ChangesSince(seen_seq_, 1000);
      if (!ch || ch->empty()) break;
      Invalidate(*ch);
      seen_seq_ = ch->back().seq;
      if (ch->size() < 1000) break;
    }
    l.lock();
  }
}

// The kernel's view of each changed key is refreshed with inode
// invalidations only (attributes and pages), never by dropping directory
// entries: that waits for the directory's lock, which a process waiting on
// this mount inside the directory holds, so a kill -9 of the mount at that
// moment would leave this thread, and the process, stuck in the kernel.
// Without negative entries (negative_timeout 0, the default) new names need
// no dropping; a removed or renamed file answers ENOENT to the getattr its
// invalidation causes; a file replaced while open for reading is detached
// (its open handles keep their version, and opening it by name again gets
// ESTALE, which makes the kernel look the name up afresh).
void Fs::Invalidate(const std::vector<Change>& changes) {
  std::set<std::pair<fuse_ino_t, std::string>> entries;
  std::set<fuse_ino_t> inodes;
  const bool negative = opt_.negative_timeout > 0;
  std::vector<std::pair<std::string, std::shared_ptr<Inode>>> maybe_detach;
  std::vector<std::pair<std::string, std::shared_ptr<LinkGroup>>> links_changed;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (const Change& c : changes) {
      if (own_seqs_.count(c.seq)) continue;
      if (c.key.empty()) {
        if (negative) entries.emplace(kRoot, c.bucket);
        auto b = by_path_.find(c.bucket);
        if (b != by_path_.end()) inodes.insert(b->second);
        continue;
      }
      std::string key = c.key;
      if (key.back() == '/') key.pop_back();
      std::string cur = c.bucket;
      size_t start = 0;
      for (;;) {
        size_t slash = key.find('/', start);
        bool leaf = slash == std::string::npos;
        std::string part = key.substr(start, leaf ? slash : slash - start);
        if (!ShowableComponent(part)) break;
        auto parent = by_path_.find(cur);
        cur += "/" + part;
        if (leaf) {
          auto g = links_.find(cur);
          if (g != links_.end()) links_changed.emplace_back(cur, g->second);
        }
        auto me = by_path_.find(cur);
        std::shared_ptr<Inode> in = me == by_path_.end() ? nullptr : inodes_[me->second];
        if (!in) {
          // A name the kernel may hold as a negative entry.
          if (negative && parent != by_path_.end()) entries.emplace(parent->second, part);
        } else if (in->dir) {
          if (leaf) inodes.insert(in->ino);  // its marker's attributes
        } else if (leaf) {
          if (in->opens > 0 || opt_.writeback_cache) maybe_detach.emplace_back(cur, in);
          inodes.insert(in->ino);
        } else {
          inodes.insert(in->ino);  // a file that a new key turns into a directory
        }
        if (leaf) break;
        start = slash + 1;
      }
    }
    // Own commits below what was seen need no more remembering.
    uint64_t last = changes.back().seq;
    own_seqs_.erase(own_seqs_.begin(), own_seqs_.upper_bound(last));
  }
  // A file open (and not being written) whose key now holds other bytes
  // keeps the bytes its handles read, as a file replaced by rename does: the
  // name gets a new inode. With -o writeback_cache every file not being
  // written does so, open or not: the kernel then keeps its own idea of a
  // file's size and never takes a new one from getattr, so only a new inode
  // (found at the kernel's next lookup of the name) shows the new size. (A rename or delete, or
  // this mount's own commit seen before it was remembered, leaves the content as the handles know
  // it.)
  // A hard link written or deleted from outside is no longer one of the
  // file's names: it becomes a file of its own (or is gone) and the other
  // names keep the file. (This mount's own copies to its links hold the
  // group's ETag.)
  for (auto& [path, group] : links_changed) {
    auto [bucket, key] = Split(path);
    auto now = engine_->Head(bucket, key);
    std::lock_guard<std::mutex> l(mu_);
    if (now && now->etag == group->etag) continue;
    auto g = links_.find(path);
    if (g != links_.end() && g->second == group) {
      auto i = inodes_.find(group->ino);
      if (i != inodes_.end()) inodes.insert(group->ino);  // its link count
      Unlink1(path);
    }
  }
  for (auto& [path, in] : maybe_detach) {
    auto [bucket, key] = Split(path);
    auto now = engine_->Head(bucket, key);
    if (!now) continue;
    std::lock_guard<std::mutex> g(in->mu);
    if ((in->handles == 0 && !opt_.writeback_cache) || in->detached) continue;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto me = by_path_.find(path);
      if (me == by_path_.end() || me->second != in->ino) continue;
    }
    DetachIfReplaced(*in, *now);
  }
  if (!se_) return;
  for (const auto& [parent, name] : entries)
    fuse_lowlevel_notify_inval_entry(se_, parent, name.c_str(), name.size());
  for (fuse_ino_t ino : inodes) fuse_lowlevel_notify_inval_inode(se_, ino, 0, 0);
}

}  // namespace seglake::mount
