#include "metrics/metrics_registry.h"

#include <algorithm>
#include <cmath>

#include "common/strings.h"

namespace inferd {
namespace {

void AtomicAdd(std::atomic<double>& target, double amount) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + amount,
                                       std::memory_order_relaxed)) {
  }
}

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

std::string Labels(const std::vector<std::string>& names,
                   const std::vector<std::string>& values,
                   const std::string& extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ",";
    out += names[i] + "=\"" + EscapeLabel(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ",";
    out += extra;
  }
  return out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help,
            const char* type) {
  out += StrCat("# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

void Counter::Increment(double amount) { AtomicAdd(value_, amount); }
void Gauge::Add(double amount) { AtomicAdd(value_, amount); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds),
      buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(double value) {
  const size_t index =
      std::lower_bound(bounds_->begin(), bounds_->end(), value) - bounds_->begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_->size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

uint64_t Histogram::count() const { return CumulativeCounts().back(); }

Family<Counter>* MetricsRegistry::AddCounter(std::string name, std::string help,
                                             std::vector<std::string> labels) {
  absl::MutexLock lock(&mu_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<Family<Counter>>(name, help, labels);
  return slot.get();
}

Family<Gauge>* MetricsRegistry::AddGauge(std::string name, std::string help,
                                         std::vector<std::string> labels) {
  absl::MutexLock lock(&mu_);
  auto& slot = gauges_[name];
  if (!slot) slot = std::make_unique<Family<Gauge>>(name, help, labels);
  return slot.get();
}

Family<Histogram>* MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                 std::vector<std::string> labels,
                                                 std::vector<double> bounds) {
  absl::MutexLock lock(&mu_);
  auto& slot = histograms_[name];
  if (!slot) {
    slot = std::make_unique<Family<Histogram>>(name, help, labels, std::move(bounds));
  }
  return slot.get();
}

void MetricsRegistry::AddCallback(std::string name, std::string help, bool is_counter,
                                  std::function<double()> read) {
  absl::MutexLock lock(&mu_);
  callbacks_.push_back(
      CallbackMetric{std::move(name), std::move(help), is_counter, std::move(read)});
}

void MetricsRegistry::AddScrapeHook(std::function<void()> hook) {
  absl::MutexLock lock(&mu_);
  scrape_hooks_.push_back(std::move(hook));
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::vector<std::function<void()>> hooks;
  {
    absl::MutexLock lock(&mu_);
    hooks = scrape_hooks_;
  }
  for (const auto& hook : hooks) hook();
  // Render each family into a string keyed by name, so the output is in one
  // stable order regardless of kind.
  std::map<std::string, std::string> blocks;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : counters_) {
    std::string out;
    Header(out, name, family->help(), "counter");
    family->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
      out += name + Labels(family->labels(), values) + " " + FormatValue(c.value()) + "\n";
    });
    blocks[name] = std::move(out);
  }
  for (const auto& [name, family] : gauges_) {
    std::string out;
    Header(out, name, family->help(), "gauge");
    family->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
      out += name + Labels(family->labels(), values) + " " + FormatValue(g.value()) + "\n";
    });
    blocks[name] = std::move(out);
  }
  for (const auto& [name, family] : histograms_) {
    std::string out;
    Header(out, name, family->help(), "histogram");
    family->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
      const std::vector<uint64_t> counts = h.CumulativeCounts();
      const auto& bounds = family->bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        const std::string le =
            "le=\"" + (i < bounds.size() ? FormatValue(bounds[i]) : std::string("+Inf")) +
            "\"";
        out += name + "_bucket" + Labels(family->labels(), values, le) + " " +
               std::to_string(counts[i]) + "\n";
      }
      out += name + "_sum" + Labels(family->labels(), values) + " " +
             FormatValue(h.sum()) + "\n";
      out += name + "_count" + Labels(family->labels(), values) + " " +
             std::to_string(counts.back()) + "\n";
    });
    blocks[name] = std::move(out);
  }
  for (const CallbackMetric& metric : callbacks_) {
    std::string out;
    Header(out, metric.name, metric.help, metric.is_counter ? "counter" : "gauge");
    out += metric.name + " " + FormatValue(metric.read()) + "\n";
    blocks[metric.name] = std::move(out);
  }
  std::string text;
  for (const auto& [name, block] : blocks) text += block;
  return text;
}

std::vector<double> MetricsRegistry::LatencyBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10, 30, 60};
}

std::vector<double> MetricsRegistry::BatchSizeBounds() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256};
}

}  // namespace inferd
