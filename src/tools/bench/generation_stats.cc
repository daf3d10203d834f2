#include "tools/bench/generation_stats.h"

#include <algorithm>

#include "common/strings.h"

namespace inferd::bench {
namespace {

int64_t Micros(SteadyTime::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  if (values.size() % 2 == 1) return values[mid];
  const double upper = values[mid];
  const double lower = *std::max_element(values.begin(), values.begin() + mid);
  return (lower + upper) / 2;
}

}  // namespace

GenerationLevel SummarizeGenerationLevel(
    int concurrency, const std::vector<GenerationTrace>& traces,
    int max_tokens) {
  GenerationLevel level;
  level.concurrency = concurrency;
  if (traces.empty()) return level;
  SteadyTime first = traces.front().start;
  SteadyTime last = traces.front().end;
  std::vector<double> stream_rates;
  for (const GenerationTrace& t : traces) {
    first = std::min(first, t.start);
    last = std::max(last, t.end);
    if (!t.ok()) {
      ++level.failed;
      ++level.errors[t.error];
      if (level.first_error_detail.empty()) {
        level.first_error_detail = t.error_detail;
      }
      continue;
    }
    ++level.succeeded;
    const int64_t tokens = t.output_tokens();
    level.output_tokens += tokens;
    if (tokens < max_tokens) ++level.short_requests;
    if (t.prompt_tokens >= 0) {
      level.prompt_tokens += t.prompt_tokens;
      ++level.requests_with_usage;
    }
    level.text_chunks += static_cast<int64_t>(t.text_chunks.size());
    level.e2e.Record(Micros(t.end - t.start));
    if (t.text_chunks.empty()) continue;
    level.ttft.Record(Micros(t.text_chunks.front() - t.start));
    for (size_t i = 1; i < t.text_chunks.size(); ++i) {
      level.itl.Record(Micros(t.text_chunks[i] - t.text_chunks[i - 1]));
    }
    const double decode_seconds =
        std::chrono::duration<double>(t.text_chunks.back() -
                                      t.text_chunks.front())
            .count();
    if (tokens >= 2 && decode_seconds > 0) {
      stream_rates.push_back(static_cast<double>(tokens - 1) / decode_seconds);
    }
  }
  level.elapsed_seconds = std::chrono::duration<double>(last - first).count();
  level.stream_tokens_per_second_p50 = Median(std::move(stream_rates));
  return level;
}

std::string FormatGenerationErrors(const GenerationLevel& level) {
  std::string text;
  for (const auto& [error, count] : level.errors) {
    text += StrCat(text.empty() ? "" : " ", error, ":", count);
  }
  return text.empty() ? "none" : text;
}

}  // namespace inferd::bench
