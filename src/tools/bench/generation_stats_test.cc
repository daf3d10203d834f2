#include "tools/bench/generation_stats.h"

#include <vector>

#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

using std::chrono::milliseconds;

const SteadyTime kT0 = SteadyTime() + std::chrono::hours(1);

// A stream sent at `start_ms` whose text chunks arrive at `first_ms`, then
// every `gap_ms`, `chunks` in all, ending 1 ms after the last chunk.
GenerationTrace Stream(int start_ms, int first_ms, int gap_ms, int chunks,
                       int64_t usage_tokens = -1) {
  GenerationTrace t;
  t.start = kT0 + milliseconds(start_ms);
  for (int i = 0; i < chunks; ++i) {
    t.text_chunks.push_back(kT0 + milliseconds(first_ms + i * gap_ms));
  }
  t.end = t.text_chunks.empty() ? kT0 + milliseconds(first_ms)
                                : t.text_chunks.back() + milliseconds(1);
  t.completion_tokens = usage_tokens;
  if (usage_tokens >= 0) t.prompt_tokens = 128;
  t.finish_reason = "length";
  return t;
}

GenerationTrace Failed(int start_ms, int end_ms, const char* error) {
  GenerationTrace t;
  t.start = kT0 + milliseconds(start_ms);
  t.end = kT0 + milliseconds(end_ms);
  t.error = error;
  t.error_detail = std::string("detail of ") + error;
  return t;
}

TEST(GenerationStatsTest, TtftItlAndThroughputOfTwoStreams) {
  // Two streams of 11 chunks: TTFT 100 and 300 ms, gaps 10 and 30 ms.
  std::vector<GenerationTrace> traces = {Stream(0, 100, 10, 11),
                                         Stream(0, 300, 30, 11)};
  GenerationLevel l = SummarizeGenerationLevel(2, traces, 11);
  EXPECT_EQ(l.concurrency, 2);
  EXPECT_EQ(l.succeeded, 2);
  EXPECT_EQ(l.failed, 0);
  EXPECT_EQ(l.output_tokens, 22);  // no usage: one token per chunk
  EXPECT_EQ(l.text_chunks, 22);
  EXPECT_EQ(l.short_requests, 0);
  EXPECT_EQ(l.ttft.count(), 2);
  EXPECT_EQ(l.ttft.min(), 100000);
  EXPECT_EQ(l.ttft.max(), 300000);
  EXPECT_EQ(l.itl.count(), 20);  // 10 gaps per stream
  EXPECT_EQ(l.itl.min(), 10000);
  EXPECT_EQ(l.itl.max(), 30000);
  EXPECT_NEAR(l.itl.mean(), 20000, 1);
  // The last end is 300 + 10 * 30 + 1 ms after the first send.
  EXPECT_DOUBLE_EQ(l.elapsed_seconds, 0.601);
  EXPECT_NEAR(l.output_tokens_per_second(), 22 / 0.601, 1e-9);
  // Decode speeds 10 / 0.1 s = 100 and 10 / 0.3 s = 33.3: median of two.
  EXPECT_NEAR(l.stream_tokens_per_second_p50, (100.0 + 100.0 / 3) / 2, 1e-9);
  EXPECT_EQ(l.mean_prompt_tokens(), 0);  // no usage
}

TEST(GenerationStatsTest, UsageCountsTokensWhenChunksCarryMoreThanOne) {
  // 5 chunks for 9 tokens (a server that holds back partial characters).
  std::vector<GenerationTrace> traces = {Stream(0, 50, 20, 5, 9),
                                         Stream(0, 50, 20, 5, 9),
                                         Stream(0, 50, 20, 5, 9)};
  GenerationLevel l = SummarizeGenerationLevel(3, traces, 9);
  EXPECT_EQ(l.output_tokens, 27);
  EXPECT_EQ(l.text_chunks, 15);
  EXPECT_EQ(l.itl.count(), 12);
  EXPECT_EQ(l.mean_prompt_tokens(), 128);
  EXPECT_EQ(l.requests_with_usage, 3);
  // (9 - 1) tokens over the 80 ms from the first to the last chunk.
  EXPECT_NEAR(l.stream_tokens_per_second_p50, 100, 1e-9);
}

TEST(GenerationStatsTest, FailuresAreCountedByKindAndLeftOutOfFigures) {
  std::vector<GenerationTrace> traces = {
      Stream(0, 100, 10, 4), Failed(0, 5, "503"), Failed(10, 2000, "timeout"),
      Failed(20, 30, "503")};
  GenerationLevel l = SummarizeGenerationLevel(4, traces, 4);
  EXPECT_EQ(l.succeeded, 1);
  EXPECT_EQ(l.failed, 3);
  EXPECT_EQ(l.requests(), 4);
  EXPECT_EQ(l.errors.at("503"), 2);
  EXPECT_EQ(l.errors.at("timeout"), 1);
  EXPECT_EQ(l.first_error_detail, "detail of 503");
  EXPECT_EQ(l.ttft.count(), 1);
  EXPECT_EQ(l.e2e.count(), 1);
  EXPECT_EQ(l.output_tokens, 4);
  // The wall time still spans every request, failed ones included.
  EXPECT_DOUBLE_EQ(l.elapsed_seconds, 2.0);
  EXPECT_EQ(FormatGenerationErrors(l), "503:2 timeout:1");
}

TEST(GenerationStatsTest, ShortRequestsAndStreamsWithoutEnoughChunks) {
  std::vector<GenerationTrace> traces = {
      Stream(0, 10, 10, 8), Stream(0, 10, 10, 1), Stream(0, 10, 10, 0, 0)};
  GenerationLevel l = SummarizeGenerationLevel(1, traces, 8);
  EXPECT_EQ(l.succeeded, 3);
  EXPECT_EQ(l.short_requests, 2);
  EXPECT_EQ(l.ttft.count(), 2);  // the stream without text has no TTFT
  // Only the 8-chunk stream has a decode speed: 7 tokens in 70 ms.
  EXPECT_NEAR(l.stream_tokens_per_second_p50, 100, 1e-9);
  EXPECT_EQ(FormatGenerationErrors(l), "none");
}

TEST(GenerationStatsTest, MedianOfAnOddNumberOfStreamsIsTheMiddleOne) {
  std::vector<GenerationTrace> traces = {
      Stream(0, 10, 10, 11), Stream(0, 10, 50, 11), Stream(0, 10, 20, 11)};
  GenerationLevel l = SummarizeGenerationLevel(3, traces, 11);
  EXPECT_NEAR(l.stream_tokens_per_second_p50, 50, 1e-9);  // 10 tokens in 200ms
}

TEST(GenerationStatsTest, NoTracesGiveAnEmptyLevel) {
  GenerationLevel l = SummarizeGenerationLevel(8, {}, 16);
  EXPECT_EQ(l.concurrency, 8);
  EXPECT_EQ(l.requests(), 0);
  EXPECT_EQ(l.output_tokens_per_second(), 0);
}

}  // namespace
}  // namespace inferd::bench
