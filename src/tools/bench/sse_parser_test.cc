#include "tools/bench/sse_parser.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

std::vector<SseEvent> FeedAll(SseParser& parser,
                              const std::vector<std::string>& pieces) {
  std::vector<SseEvent> events;
  for (const std::string& piece : pieces) {
    absl::Status s = parser.Feed(piece, &events);
    EXPECT_TRUE(s.ok()) << s;
  }
  return events;
}

std::vector<std::string> Data(const std::vector<SseEvent>& events) {
  std::vector<std::string> data;
  for (const SseEvent& e : events) data.push_back(e.data);
  return data;
}

constexpr char kStream[] =
    "data: {\"a\":1}\n\n"
    ": keep-alive comment\n\n"
    "event: usage\r\ndata:{\"b\":2}\r\n\r\n"
    "data: line one\rdata: line two\r\r"
    "data: [DONE]\n\n";

TEST(SseParserTest, ParsesEventsOfEveryLineEnding) {
  SseParser parser;
  std::vector<SseEvent> events = FeedAll(parser, {kStream});
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[1].type, "usage");
  EXPECT_EQ(events[1].data, "{\"b\":2}");  // no space after the colon
  EXPECT_EQ(events[2].type, "message");
  EXPECT_EQ(events[2].data, "line one\nline two");
  EXPECT_EQ(events[3].data, "[DONE]");
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(SseParserTest, SameEventsWhateverTheSplitOfTheBytes) {
  const std::string stream = kStream;
  SseParser whole;
  const std::vector<std::string> expected = Data(FeedAll(whole, {stream}));
  // Every split into two pieces, "\r" | "\n" included.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseParser parser;
    EXPECT_EQ(
        Data(FeedAll(parser, {stream.substr(0, cut), stream.substr(cut)})),
        expected)
        << "split at " << cut;
  }
  // One byte at a time.
  SseParser parser;
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  EXPECT_EQ(Data(FeedAll(parser, bytes)), expected);
}

TEST(SseParserTest, EventsWithoutDataAreNotDispatched) {
  SseParser parser;
  std::vector<SseEvent> events =
      FeedAll(parser, {"event: ping\n\nid: 7\nretry: 10\n\n\n\n"});
  EXPECT_TRUE(events.empty());
}

TEST(SseParserTest, EmptyDataLineIsAnEventWithEmptyData) {
  SseParser parser;
  std::vector<SseEvent> events = FeedAll(parser, {"data\n\ndata:\n\n"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].data, "");
  EXPECT_EQ(events[1].data, "");
}

TEST(SseParserTest, OnlyOneSpaceAfterTheColonIsDropped) {
  SseParser parser;
  std::vector<SseEvent> events = FeedAll(parser, {"data:   x \n\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "  x ");
}

TEST(SseParserTest, TellsWhenABodyEndsMidEvent) {
  SseParser parser;
  std::vector<SseEvent> events = FeedAll(parser, {"data: {\"a\":1}\n"});
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(parser.has_partial_event());
  SseParser mid_line;
  FeedAll(mid_line, {"data: {\"a\""});
  EXPECT_TRUE(mid_line.has_partial_event());
}

TEST(SseParserTest, LlamaServerErrorLineIsAnErrorEvent) {
  SseParser parser;
  std::vector<SseEvent> events = FeedAll(
      parser, {"data: {\"a\":1}\n\nerror: {\"code\":500}\n\ndata: [DONE]\n\n"});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "message");
  EXPECT_EQ(events[1].type, "error");
  EXPECT_EQ(events[1].data, "{\"code\":500}");
  EXPECT_EQ(events[2].type, "message");
  EXPECT_EQ(events[2].data, "[DONE]");
}

TEST(SseParserTest, RefusesAnEventLargerThanTheLimit) {
  SseParser parser(/*max_event_bytes=*/16);
  std::vector<SseEvent> events;
  EXPECT_TRUE(parser.Feed("data: 0123456789\n\n", &events).ok());
  EXPECT_EQ(events.size(), 1u);
  absl::Status s = parser.Feed("data: 0123456789abcdef", &events);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("16 bytes"), std::string::npos) << s;
}

}  // namespace
}  // namespace inferd::bench
