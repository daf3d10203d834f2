#pragma once

// Queues requests and forms batches from them: the decision logic of dynamic
// batching, with no threads and no model knowledge, so it is unit-tested on
// plain time values.
//
// Rules (as Triton's dynamic batcher): requests wait in priority order
// (level 1 first), FIFO within a level. A batch is formed from the head of
// the queue out of requests whose compatibility key matches the head's (same
// non-batch shapes), up to max_batch_size rows. It is released at once when
// full or when it reaches the largest preferred size; otherwise when the head
// has waited max_queue_delay, at the largest preferred size that fits (or
// everything compatible when none fits). A request past its deadline is
// dropped (REJECT) or moved behind every other request (DELAY).
// Not thread-safe: the owner serialises calls (scheduling/ holds a mutex).

#include <algorithm>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "batching/batch_policy.h"
#include "common/strings.h"

namespace inferd {

// What the batcher needs to know about a request.
struct BatchItemInfo {
  int64_t rows = 1;               // the request's batch dimension
  std::string compatibility_key;  // equal keys may share a batch
  uint32_t priority_level = 0;    // 0: the default level
  std::optional<absl::Duration> timeout;  // per-request override
};

template <typename T>
class DynamicBatcher {
 public:
  struct Batch {
    std::vector<T> items;
    int64_t rows = 0;
  };

  explicit DynamicBatcher(BatchPolicy policy) : policy_(std::move(policy)) {
    std::sort(policy_.preferred_batch_sizes.begin(), policy_.preferred_batch_sizes.end());
    const size_t levels = std::max<uint32_t>(1, policy_.priority_levels);
    // One queue per level, plus one for DELAYed requests past their deadline.
    queues_.resize(levels + 1);
  }

  // Queues `item`; returns its queue deadline (InfiniteFuture when it has
  // none). ResourceExhausted when the level's queue is full;
  // InvalidArgument for a priority level outside 1..priority_levels.
  absl::StatusOr<absl::Time> Add(T item, const BatchItemInfo& info, absl::Time now) {
    uint32_t level = info.priority_level;
    const uint32_t levels = std::max<uint32_t>(1, policy_.priority_levels);
    if (level == 0) level = policy_.default_priority_level == 0 ? 1 : policy_.default_priority_level;
    if (level < 1 || level > levels) {
      return absl::InvalidArgumentError(
          StrCat("priority ", info.priority_level, " is outside 1..", levels));
    }
    const QueuePolicy& queue_policy = policy_.PolicyFor(policy_.priority_levels ? level : 0);
    std::list<Entry>& queue = queues_[level - 1];
    if (queue_policy.max_queue_size > 0 && queue.size() >= queue_policy.max_queue_size) {
      return absl::ResourceExhaustedError(
          StrCat("queue is full (max_queue_size ", queue_policy.max_queue_size, ")"));
    }
    absl::Duration timeout = queue_policy.default_timeout;
    if (info.timeout && queue_policy.allow_timeout_override) timeout = *info.timeout;
    const absl::Time deadline =
        timeout > absl::ZeroDuration() ? now + timeout : absl::InfiniteFuture();
    Entry entry{std::move(item), info.rows, info.compatibility_key, now, deadline,
                queue_policy.timeout_action};
    queue.push_back(std::move(entry));
    ++size_;
    return deadline;
  }

  // Removes and returns requests whose deadline has passed under REJECT;
  // moves DELAY ones to the back queue.
  std::vector<T> TakeExpired(absl::Time now) {
    std::vector<T> expired;
    for (size_t level = 0; level + 1 < queues_.size(); ++level) {
      for (auto it = queues_[level].begin(); it != queues_[level].end();) {
        if (it->deadline > now) {
          ++it;
          continue;
        }
        if (it->action == QueuePolicy::TimeoutAction::kReject) {
          expired.push_back(std::move(it->item));
          --size_;
        } else {
          it->deadline = absl::InfiniteFuture();
          queues_.back().push_back(std::move(*it));
        }
        it = queues_[level].erase(it);
      }
    }
    return expired;
  }

  // A batch ready to run at `now`, if any; it leaves the queue.
  std::optional<Batch> TakeBatch(absl::Time now) {
    const Entry* head = Head();
    if (head == nullptr) return std::nullopt;
    if (!policy_.batching) return Extract(1, head->key, /*single=*/true);
    const int64_t available = CompatibleRows(head->key);
    const int64_t max = std::max<int64_t>(1, policy_.max_batch_size);
    if (available >= max) return Extract(max, head->key, false);
    if (!policy_.preferred_batch_sizes.empty() &&
        available >= policy_.preferred_batch_sizes.back()) {
      return Extract(policy_.preferred_batch_sizes.back(), head->key, false);
    }
    if (now < head->enqueued + policy_.max_queue_delay) return std::nullopt;
    int64_t target = available;
    for (auto it = policy_.preferred_batch_sizes.rbegin();
         it != policy_.preferred_batch_sizes.rend(); ++it) {
      if (*it <= available) {
        target = *it;
        break;
      }
    }
    return Extract(target, head->key, false);
  }

  // When TakeBatch or TakeExpired may next have something to do without a
  // new Add: the head's delay expiry or the earliest deadline.
  absl::Time NextWakeup() const {
    absl::Time wake = NextDeadline();
    if (const Entry* head = Head(); head != nullptr && policy_.batching) {
      wake = std::min(wake, head->enqueued + policy_.max_queue_delay);
    }
    return wake;
  }

  // The earliest queue deadline (when TakeExpired next has work).
  absl::Time NextDeadline() const {
    absl::Time deadline = absl::InfiniteFuture();
    for (const auto& queue : queues_) {
      for (const Entry& e : queue) deadline = std::min(deadline, e.deadline);
    }
    return deadline;
  }

  // Whether any request can get a queue deadline under this policy.
  bool has_timeouts() const {
    auto timed = [](const QueuePolicy& p) {
      return p.default_timeout > absl::ZeroDuration() || p.allow_timeout_override;
    };
    if (timed(policy_.default_queue_policy)) return true;
    for (const auto& [level, p] : policy_.level_policies) {
      if (timed(p)) return true;
    }
    return false;
  }

  // Removes the first queued item for which `match` is true.
  template <typename Match>
  std::optional<T> Remove(Match match) {
    for (auto& queue : queues_) {
      for (auto it = queue.begin(); it != queue.end(); ++it) {
        if (match(it->item)) {
          T item = std::move(it->item);
          queue.erase(it);
          --size_;
          return item;
        }
      }
    }
    return std::nullopt;
  }

  // Removes everything (shutdown); the caller answers each.
  std::vector<T> TakeAll() {
    std::vector<T> all;
    for (auto& queue : queues_) {
      for (Entry& e : queue) all.push_back(std::move(e.item));
      queue.clear();
    }
    size_ = 0;
    return all;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Entry {
    T item;
    int64_t rows;
    std::string key;
    absl::Time enqueued;
    absl::Time deadline;
    QueuePolicy::TimeoutAction action;
  };

  const Entry* Head() const {
    for (const auto& queue : queues_) {
      if (!queue.empty()) return &queue.front();
    }
    return nullptr;
  }

  int64_t CompatibleRows(const std::string& key) const {
    int64_t rows = 0;
    for (const auto& queue : queues_) {
      for (const Entry& e : queue) {
        if (e.key == key) rows += e.rows;
      }
    }
    return rows;
  }

  // Takes compatible entries in queue order while they fit in `target` rows.
  // The head always goes, even when it alone exceeds the target.
  Batch Extract(int64_t target, std::string key, bool single) {
    Batch batch;
    for (auto& queue : queues_) {
      for (auto it = queue.begin(); it != queue.end();) {
        const bool fits = batch.items.empty() || batch.rows + it->rows <= target;
        if (it->key != key || !fits) {
          ++it;
          continue;
        }
        batch.rows += it->rows;
        batch.items.push_back(std::move(it->item));
        it = queue.erase(it);
        --size_;
        if (single || batch.rows >= target) return batch;
      }
    }
    return batch;
  }

  BatchPolicy policy_;
  std::vector<std::list<Entry>> queues_;
  size_t size_ = 0;
};

}  // namespace inferd
