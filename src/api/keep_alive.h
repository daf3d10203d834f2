#pragma once

// Keeps models loaded for as long as Ollama's `keep_alive` asks, and unloads
// them once they have been idle that long.
//
// A request holds a Lease on the model it uses for as long as it runs; when
// the last lease of a model ends, its idle timer starts, and when the timer
// passes without a new lease the keeper unloads the model. Which models are
// timed:
//   - a model loaded on demand (Loaded()) gets `default_duration`, as Ollama
//     unloads what it loaded after 5 minutes;
//   - a model a request names a keep_alive for gets that duration (the last
//     one asked wins), whoever loaded it;
//   - any other model (loaded by the repository at start or through the
//     repository API) is never unloaded by the keeper.
// absl::InfiniteDuration() keeps a model loaded until a request asks for
// less; zero unloads it as soon as its requests end.
//
// The unloading runs on the keeper's own thread (Start()); UnloadExpired()
// does the same work on the caller's thread. Time comes from the Clock, so
// the tests run on a FakeClock and never sleep.
//
// Thread-safe. A Lease must not outlive its KeepAlive.

#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace inferd {

class KeepAlive {
 public:
  struct Options {
    Clock* clock = nullptr;  // not owned; the real clock when null
    // How long a model loaded on demand stays loaded after its last use
    // when no request says otherwise (Ollama's default).
    absl::Duration default_duration = absl::Minutes(5);
    // Unloads model `name`. Runs on the keeper's thread (or the caller of
    // UnloadExpired()) without the keeper's lock held; may block.
    std::function<void(const std::string& name)> unload;
  };

  explicit KeepAlive(Options options);
  // Stops the thread; timers still pending are dropped (nothing unloads).
  ~KeepAlive();
  KeepAlive(const KeepAlive&) = delete;
  KeepAlive& operator=(const KeepAlive&) = delete;

  // Starts the thread that unloads models when their timer passes. Once.
  void Start();

  // A request's hold on a model: no idle timer runs while one is held.
  // Ending it (destroying it) starts the timer when it was the last.
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

   private:
    friend class KeepAlive;
    Lease(KeepAlive* keeper, std::string name, uint64_t entry)
        : keeper_(keeper), name_(std::move(name)), entry_(entry) {}
    KeepAlive* keeper_;
    std::string name_;
    uint64_t entry_;  // the Entry it holds; a forgotten one is not released
  };

  // Holds model `name` for a request. `keep` is the request's keep_alive
  // (nullopt when it gave none): from now on the model's idle time.
  std::shared_ptr<Lease> Hold(const std::string& name, std::optional<absl::Duration> keep);

  // Model `name` was loaded on demand: it is timed with the default
  // duration unless a request already chose one.
  void Loaded(const std::string& name);

  // Stops timing `name` (a request unloaded it). Leases still held on it
  // end without starting a timer.
  void Forget(const std::string& name);

  // When `name` will be unloaded if no request comes: absl::InfiniteFuture()
  // when never. A model in use expires its duration after now.
  absl::Time ExpiresAt(const std::string& name) const;

  // Unloads every model whose timer has passed; returns their names.
  std::vector<std::string> UnloadExpired();

 private:
  struct Entry {
    uint64_t id = 0;
    int leases = 0;
    std::optional<absl::Duration> duration;  // unset: never unloaded by the keeper
    absl::Time deadline = absl::InfiniteFuture();  // valid when idle and timed
  };

  void Release(const std::string& name, uint64_t entry);
  // Removes and returns the name of one model whose deadline passed.
  std::optional<std::string> TakeExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time NextDeadlineLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Loop();

  const Options options_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t changes_ ABSL_GUARDED_BY(mu_) = 0;  // wakes the thread
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace inferd
