// Open directories: opendir, readdir(plus), releasedir.
#include "fs_internal.h"

namespace seglake::mount {

using namespace fsi;

// ---- directories ----

void Fs::OpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto in = Get(ino);
  if (!in) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  if (!in->dir) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  auto h = std::make_unique<DirHandle>();
  {
    std::lock_guard<std::mutex> l(mu_);
    h->path = in->path;
  }
  fi->fh = reinterpret_cast<uint64_t>(h.release());
  fuse_reply_open(req, fi);
}

void Fs::ReleaseDir(fuse_req_t req, fuse_file_info* fi) {
  delete reinterpret_cast<DirHandle*>(fi->fh);
  fuse_reply_err(req, 0);
}

namespace {
// Appends the next page of a directory to h->window (possibly nothing while
// not at the end, when every key of a page is hidden).
Status LoadPage(Engine* engine, Fs::DirHandle* h);
}  // namespace

void Fs::ReadDir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi,
                 bool plus) {
  auto* h = reinterpret_cast<DirHandle*>(fi->fh);
  std::string out(size, '\0');
  size_t used = 0;
  Status failed;
  {
    std::lock_guard<std::mutex> l(h->mu);
    uint64_t i = static_cast<uint64_t>(off);
    auto restart = [&]() {
      h->window.clear();
      h->base = 0;
      h->after.clear();
      h->eof = false;
    };
    if (i == 0 || (i >= 2 && i - 2 < h->base)) restart();
    for (;;) {
      std::string name;
      struct stat st {};
      const DirHandle::Entry* ent = nullptr;
      if (i < 2) {
        name = i == 0 ? "." : "..";
        st.st_ino = i == 0 ? ino : kRoot;
        st.st_mode = S_IFDIR;
      } else {
        uint64_t k = i - 2;
        if (k >= h->base + h->window.size()) {
          if (h->eof) break;
          failed = LoadPage(engine_.get(), h);
          if (!failed.ok()) break;
          continue;
        }
        ent = &h->window[k - h->base];
        name = ent->name;
      }
      size_t room = size - used;
      if (!plus) {
        if (ent) {
          // The known inode's number, else the one a lookup will give (d_ino
          // 0 would hide the entry).
          std::string child = h->path.empty() ? name : h->path + "/" + name;
          std::lock_guard<std::mutex> g(mu_);
          auto known = by_path_.find(child);
          st.st_ino = known != by_path_.end() ? known->second : PathNumber(child);
          st.st_mode = ent->dir ? S_IFDIR : FileType(ent->info.attrs.posix);
        }
        size_t need = fuse_add_direntry(req, out.data() + used, room, name.c_str(), &st,
                                        static_cast<off_t>(i + 1));
        if (need > room) break;
        used += need;
      } else {
        size_t need = fuse_add_direntry_plus(req, nullptr, 0, name.c_str(), nullptr, 0);
        if (need > room) break;
        fuse_entry_param e{};
        if (!ent) {
          e.attr = st;
        } else {
          std::string child = h->path.empty() ? name : h->path + "/" + name;
          Node n;
          n.exists = true;
          n.dir = ent->dir;
          if (ent->dir && !h->path.empty()) {
            auto [bucket, key] = Split(child);
            auto m = engine_->Head(bucket, key + "/");
            if (m) {
              n.has_marker = true;
              n.info = std::move(*m);
            }
          } else {
            n.info = ent->info;
          }
          auto in = Intern(child, ent->dir, true);
          if (!ent->dir) {
            // A file replaced under open handles keeps showing their version
            // here; the follower or the next lookup gives the name a new inode.
            std::lock_guard<std::mutex> g(in->mu);
            (void)KernelViewLocked(*in, &n.info, false);
          }
          e.ino = in->ino;
          e.generation = 1;
          e.attr = Attr(*in, n);
          e.attr_timeout = opt_.attr_timeout;
          // Not cached as a name: this listing may reach the kernel after an
          // unlink or rmdir of the entry in this mount, and a cached entry
          // would then outlive the file. The next path walk looks it up.
          e.entry_timeout = 0;
        }
        fuse_add_direntry_plus(req, out.data() + used, room, name.c_str(), &e,
                               static_cast<off_t>(i + 1));
        used += need;
      }
      ++i;
    }
  }
  // Replied outside the handle's lock: the reply lets the kernel release the
  // directory, which deletes the handle.
  if (!failed.ok() && used == 0) {
    fuse_reply_err(req, Errno(failed));
    return;
  }
  fuse_reply_buf(req, out.data(), used);
}

namespace {
Status LoadPage(Engine* engine, Fs::DirHandle* h) {
  std::vector<Fs::DirHandle::Entry> page;
  auto keep = [&]() {
    for (auto& e : page) h->window.push_back(std::move(e));
    while (h->window.size() > Fs::DirHandle::kWindow) {
      h->window.pop_front();
      ++h->base;
    }
  };
  if (h->path.empty()) {
    auto b = engine->ListBuckets();
    if (!b) return b.error();
    for (const BucketInfo& x : *b) {
      Fs::DirHandle::Entry e;
      e.name = x.name;
      e.dir = true;
      e.info.last_modified_ns = x.created_ns;
      page.push_back(std::move(e));
    }
    keep();
    h->eof = true;
    return Status::OK();
  }
  auto [bucket, key] = Split(h->path);
  ListOptions lo;
  lo.prefix = key.empty() ? std::string() : key + "/";
  lo.delimiter = "/";
  lo.start_after = h->after;
  lo.max_keys = kListPage;
  lo.with_attrs = true;
  auto r = engine->List(bucket, lo);
  if (!r) return r.error();
  // Merge files and directories in key order; a directory hides a file of
  // the same name.
  std::set<std::string> dirs;
  for (const std::string& cp : r->common_prefixes) {
    std::string name = cp.substr(lo.prefix.size(), cp.size() - lo.prefix.size() - 1);
    if (ShowableComponent(name)) dirs.insert(name);
  }
  auto dir_at = dirs.begin();
  for (ObjectInfo& o : r->objects) {
    if (o.key.size() <= lo.prefix.size()) continue;  // this directory's own marker
    std::string name = o.key.substr(lo.prefix.size());
    if (!ShowableComponent(name) || dirs.count(name)) continue;
    if (r->truncated && &o == &r->objects.back()) {
      // Its directory twin may start the next page.
      ListOptions twin;
      twin.prefix = o.key + "/";
      twin.max_keys = 1;
      auto t = engine->List(bucket, twin);
      if (t && !t->objects.empty()) continue;
    }
    while (dir_at != dirs.end() && *dir_at < name) {
      page.push_back(Fs::DirHandle::Entry{*dir_at, true, {}});
      ++dir_at;
    }
    page.push_back(Fs::DirHandle::Entry{name, false, std::move(o)});
  }
  for (; dir_at != dirs.end(); ++dir_at) page.push_back(Fs::DirHandle::Entry{*dir_at, true, {}});
  keep();
  if (r->truncated) {
    h->after = r->next_marker;
  } else {
    h->eof = true;
  }
  return Status::OK();
}
}  // namespace

}  // namespace seglake::mount
