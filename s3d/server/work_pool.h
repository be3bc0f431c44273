// A fixed set of helper threads shared by every request of the process, for
// handlers that fan one request out into many engine calls (DeleteObjects).
// The threads start once; a request never starts one. The calling thread
// always works on its own job too, so a job finishes even when every helper
// is busy with other requests or none could be started: the pool bounds the
// threads, never the progress.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace seglake::s3d {

class WorkPool {
 public:
  // Starts up to `helpers` threads; a thread that cannot be started (the
  // process is out of threads or memory) is simply not there.
  explicit WorkPool(size_t helpers) {
    threads_.reserve(helpers);
    for (size_t i = 0; i < helpers; ++i) {
      try {
        threads_.emplace_back([this] { HelperLoop(); });
      } catch (const std::system_error&) {
        break;
      }
    }
  }
  ~WorkPool() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  size_t helpers() const { return threads_.size(); }

  // Calls fn(i) once for each i in [0, n), on the calling thread and on idle
  // helpers, and returns when all calls have returned. An exception from fn
  // is rethrown here (the first one; the other calls still run).
  void ForEach(size_t n, const std::function<void(size_t)>& fn) {
    if (n == 0) return;
    auto job = std::make_shared<Job>(n, fn);
    const bool share = n > 1 && !threads_.empty();
    if (share) {
      {
        std::lock_guard lock(mu_);
        queue_.push_back(job);
      }
      cv_.notify_all();
    }
    job->Work();
    job->Wait();
    if (share) {
      std::lock_guard lock(mu_);
      std::erase(queue_, job);
    }
    if (job->error) std::rethrow_exception(job->error);
  }

 private:
  struct Job {
    Job(size_t n, const std::function<void(size_t)>& f) : count(n), fn(f) {}

    // Claims indices until none are left. fn is only touched for a claimed
    // index, and ForEach waits for every claimed call, so a helper that
    // comes late never uses fn after ForEach returned.
    void Work() {
      for (size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        try {
          fn(i);
        } catch (...) {
          std::lock_guard lock(mu);
          if (!error) error = std::current_exception();
        }
        std::lock_guard lock(mu);
        if (++done == count) cv.notify_all();
      }
    }
    bool Exhausted() const { return next.load() >= count; }
    void Wait() {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done == count; });
    }

    const size_t count;
    const std::function<void(size_t)>& fn;
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
    std::exception_ptr error;
  };

  void HelperLoop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      std::shared_ptr<Job> job = queue_.front();
      if (job->Exhausted()) {
        queue_.pop_front();  // nothing left to claim; its caller finishes it
        continue;
      }
      lock.unlock();
      job->Work();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;  // last: started after the members they use
};

}  // namespace seglake::s3d
