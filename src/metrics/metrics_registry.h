#pragma once

// Prometheus-style metrics: counters, gauges and histograms in labelled
// families, rendered in the Prometheus text exposition format (0.0.4).
//
// Components get the registry injected (no globals). Families are created
// once at wiring time; WithLabels() returns a pointer that stays valid for
// the registry's life, so hot paths keep it and update it lock-free.
// Thread-safe throughout.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace inferd {

class Counter {
 public:
  void Increment(double amount = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double amount);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);

  // Cumulative counts per bound, then +Inf; and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const;

 private:
  const std::vector<double>* bounds_;  // owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds + 1 (+Inf)
  std::atomic<double> sum_{0};
};

// A metric name, help text and label names, with one child per label value
// tuple.
template <typename Metric>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(labels)),
        bounds_(std::move(bounds)) {}

  // The child for these label values (one per label name, in order).
  Metric* WithLabels(const std::vector<std::string>& values) {
    absl::MutexLock lock(&mu_);
    auto& slot = children_[values];
    if (!slot) slot = MakeChild();
    return slot.get();
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labels() const { return labels_; }
  const std::vector<double>& bounds() const { return bounds_; }

  template <typename Fn>
  void ForEach(Fn fn) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [values, metric] : children_) fn(values, *metric);
  }

 private:
  std::unique_ptr<Metric> MakeChild() {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      return std::make_unique<Histogram>(&bounds_);
    } else {
      return std::make_unique<Metric>();
    }
  }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labels_;
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_
      ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  Family<Counter>* AddCounter(std::string name, std::string help,
                              std::vector<std::string> labels = {});
  Family<Gauge>* AddGauge(std::string name, std::string help,
                          std::vector<std::string> labels = {});
  Family<Histogram>* AddHistogram(std::string name, std::string help,
                                  std::vector<std::string> labels,
                                  std::vector<double> bounds);
  // A gauge (or counter, when `is_counter`) read at scrape time.
  void AddCallback(std::string name, std::string help, bool is_counter,
                   std::function<double()> read);

  // Runs before every render, outside the registry's lock, so an owner can
  // refresh labelled gauges from a source it must query (job counts).
  void AddScrapeHook(std::function<void()> hook);

  // The Prometheus text exposition of every metric, families in name order.
  std::string RenderPrometheus() const;

  // Bucket bounds for latencies in seconds: 100 µs .. 60 s.
  static std::vector<double> LatencyBounds();
  // Bucket bounds for batch sizes: 1, 2, 4, ... 256.
  static std::vector<double> BatchSizeBounds();

 private:
  struct CallbackMetric {
    std::string name, help;
    bool is_counter;
    std::function<double()> read;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family<Counter>>> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_
      ABSL_GUARDED_BY(mu_);
  std::vector<CallbackMetric> callbacks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> scrape_hooks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd
