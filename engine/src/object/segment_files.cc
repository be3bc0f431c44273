#include "object/segment_files.h"

#include "segment/segment.h"

namespace seglake {

Result<std::shared_ptr<File>> SegmentFiles::Get(uint64_t segment) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(segment);
  if (it != files_.end()) return it->second;
  auto f = env_->Open(dir_ + "/" + segment::FileName(segment), OpenOptions{});
  if (!f) {
    if (f.error().IsNotFound())
      return Err(Status::Corruption("segment missing: " + segment::FileName(segment)));
    return Err(f.error());
  }
  std::shared_ptr<File> sp = std::move(*f);
  files_[segment] = sp;
  return sp;
}

void SegmentFiles::Forget(uint64_t segment) {
  std::lock_guard<std::mutex> l(mu_);
  files_.erase(segment);
}

}  // namespace seglake
