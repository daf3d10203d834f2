#include "http/http_message.h"

#include <string>

#include "gtest/gtest.h"

namespace inferd {
namespace {

TEST(MethodLabelTest, KnownMethodsKeepTheirNameOthersFold) {
  EXPECT_EQ(MethodLabel("GET"), "GET");
  EXPECT_EQ(MethodLabel("PATCH"), "PATCH");
  EXPECT_EQ(MethodLabel("get"), "other");  // methods are case-sensitive
  EXPECT_EQ(MethodLabel("FOO1234"), "other");
  EXPECT_EQ(MethodLabel(""), "other");
}

TEST(IsJsonTextTest, JsonNdjsonAndEventStreamsAreJsonText) {
  for (const char* type :
       {"application/json", "application/json; charset=utf-8", "Application/JSON",
        "application/problem+json", "application/x-ndjson", "text/event-stream"}) {
    EXPECT_TRUE(IsJsonText(type)) << type;
  }
  for (const char* type : {"application/octet-stream", "text/plain; version=0.0.4",
                           "text/html; charset=utf-8", "image/png", "", "json"}) {
    EXPECT_FALSE(IsJsonText(type)) << type;
  }
}

TEST(RepairUtf8Test, InvalidBytesBecomeReplacementCharacters) {
  const std::string open = R"({"error":"model \"ch)", close = R"(at\" not found"})";
  std::string body = open + "\xFF" + close;
  RepairUtf8(body);
  EXPECT_EQ(body, open + "\xEF\xBF\xBD" + close);
  std::string valid = "{\"text\":\"caf\xC3\xA9\"}";
  RepairUtf8(valid);
  EXPECT_EQ(valid, "{\"text\":\"caf\xC3\xA9\"}");
}

TEST(CancelSignalTest, RegisteredActionRunsOnceOnCancel) {
  CancelSignal signal;
  int runs = 0;
  signal.OnCancel([&] { ++runs; });
  EXPECT_FALSE(signal.cancelled());
  EXPECT_EQ(runs, 0);
  signal.Cancel();
  EXPECT_TRUE(signal.cancelled());
  EXPECT_EQ(runs, 1);
  signal.Cancel();  // a second cancel does nothing
  EXPECT_EQ(runs, 1);
}

TEST(CancelSignalTest, ActionRegisteredAfterCancelRunsAtOnce) {
  CancelSignal signal;
  signal.Cancel();
  int runs = 0;
  signal.OnCancel([&] { ++runs; });
  EXPECT_EQ(runs, 1);
}

TEST(CancelSignalTest, CancelWithoutActionOnlyMarksIt) {
  CancelSignal signal;
  signal.Cancel();
  EXPECT_TRUE(signal.cancelled());
}

TEST(CancelSignalTest, EveryRequestHasItsOwnSignal) {
  HttpRequest a, b;
  ASSERT_NE(a.cancel, nullptr);
  ASSERT_NE(b.cancel, nullptr);
  a.cancel->Cancel();
  EXPECT_TRUE(a.cancel->cancelled());
  EXPECT_FALSE(b.cancel->cancelled());
}

}  // namespace
}  // namespace inferd
