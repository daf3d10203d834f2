#include "text/encode_options.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::text {
namespace {

using ::testing::ElementsAre;

// An encoding of ids first..first+n-1 for sequence `seq`.
Encoding Seq(int first, int n, int seq = 0) {
  Encoding e;
  for (int i = 0; i < n; ++i) {
    e.ids.push_back(first + i);
    e.type_ids.push_back(0);
    e.tokens.push_back(std::to_string(first + i));
    e.offsets.push_back(Span{static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)});
    e.sequence_ids.push_back(seq);
    e.attention_mask.push_back(1);
    e.special_tokens_mask.push_back(0);
  }
  return e;
}

TEST(TruncateTest, SingleSequenceWithStrideOverflows) {
  TruncationOptions o;
  o.max_length = 5;
  o.stride = 1;
  Encoding a = Seq(0, 8);
  std::vector<Encoding> over;
  ASSERT_TRUE(Truncate(o, /*added_tokens=*/2, &a, nullptr, &over).ok());
  EXPECT_THAT(a.ids, ElementsAre(0, 1, 2));
  ASSERT_EQ(over.size(), 3u);
  EXPECT_THAT(over[0].ids, ElementsAre(2, 3, 4));
  EXPECT_THAT(over[1].ids, ElementsAre(4, 5, 6));
  EXPECT_THAT(over[2].ids, ElementsAre(6, 7));
}

TEST(TruncateTest, LeftDirectionKeepsTheEnd) {
  TruncationOptions o;
  o.max_length = 3;
  o.direction = Side::kLeft;
  Encoding a = Seq(0, 5);
  ASSERT_TRUE(Truncate(o, 0, &a, nullptr, nullptr).ok());
  EXPECT_THAT(a.ids, ElementsAre(2, 3, 4));
}

TEST(TruncateTest, LongestFirstSharesTheCut) {
  TruncationOptions o;
  o.max_length = 7;
  Encoding a = Seq(0, 6), b = Seq(100, 3, 1);
  ASSERT_TRUE(Truncate(o, 1, &a, &b, nullptr).ok());
  EXPECT_EQ(a.size() + b.size(), 6u);
  EXPECT_EQ(b.size(), 3u);  // the short one stays whole
  Encoding c = Seq(0, 6), d = Seq(100, 6, 1);
  ASSERT_TRUE(Truncate(o, 1, &c, &d, nullptr).ok());
  EXPECT_EQ(c.size(), 3u);
  EXPECT_EQ(d.size(), 3u);
}

TEST(TruncateTest, OnlySecondAndErrors) {
  TruncationOptions o;
  o.max_length = 6;
  o.strategy = TruncationOptions::Strategy::kOnlySecond;
  Encoding a = Seq(0, 3), b = Seq(100, 5, 1);
  ASSERT_TRUE(Truncate(o, 0, &a, &b, nullptr).ok());
  EXPECT_EQ(a.size(), 3u);
  EXPECT_THAT(b.ids, ElementsAre(100, 101, 102));
  Encoding c = Seq(0, 9), d = Seq(100, 1, 1);
  EXPECT_FALSE(Truncate(o, 0, &c, &d, nullptr).ok());  // second too short
  Encoding e = Seq(0, 9);
  EXPECT_FALSE(Truncate(o, 0, &e, nullptr, nullptr).ok());  // no pair
  o.strategy = TruncationOptions::Strategy::kLongestFirst;
  o.stride = 6;
  EXPECT_FALSE(Truncate(o, 0, &e, nullptr, nullptr).ok());  // stride >= max
}

TEST(PadTest, BatchLongestLeftAndMultiple) {
  PaddingOptions o;
  o.strategy = PaddingOptions::Strategy::kBatchLongest;
  o.direction = Side::kLeft;
  o.pad_id = 9;
  o.pad_to_multiple_of = 4;
  std::vector<Encoding> batch = {Seq(0, 2), Seq(10, 5)};
  Pad(o, &batch);
  EXPECT_THAT(batch[0].ids, ElementsAre(9, 9, 9, 9, 9, 9, 0, 1));
  EXPECT_THAT(batch[0].attention_mask, ElementsAre(0, 0, 0, 0, 0, 0, 1, 1));
  EXPECT_THAT(batch[1].ids, ElementsAre(9, 9, 9, 10, 11, 12, 13, 14));
  EXPECT_EQ(batch[1].sequence_ids[0], -1);
  EXPECT_EQ(batch[1].special_tokens_mask[0], 1);
}

TEST(PadTest, FixedLength) {
  PaddingOptions o;
  o.strategy = PaddingOptions::Strategy::kFixed;
  o.length = 4;
  std::vector<Encoding> batch = {Seq(0, 2), Seq(10, 6)};
  Pad(o, &batch);
  EXPECT_THAT(batch[0].ids, ElementsAre(0, 1, 0, 0));
  EXPECT_EQ(batch[1].size(), 6u);  // longer ones are left alone
}

}  // namespace
}  // namespace inferd::text
