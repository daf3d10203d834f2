#include "scheduling/length_buckets.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;

std::vector<LengthItem> Items(std::vector<int64_t> lengths, int64_t rows = 1) {
  std::vector<LengthItem> items;
  for (int64_t length : lengths) items.push_back({rows, length});
  return items;
}

TEST(SplitByLengthTest, ShortAndLongRunApart) {
  // Four 6-token and four 60-token requests, interleaved: padded together
  // that is 8 x 60 = 480; apart 4 x 6 + 4 x 60 = 264.
  auto groups = SplitByLength(Items({60, 6, 60, 6, 6, 60, 6, 60}));
  EXPECT_THAT(groups, ElementsAre(ElementsAre(1, 3, 4, 6), ElementsAre(0, 2, 5, 7)));
}

TEST(SplitByLengthTest, SimilarLengthsStayTogether) {
  auto groups = SplitByLength(Items({20, 22, 25, 21, 24, 23, 20, 25}));
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_THAT(groups[0], ElementsAre(0, 6, 3, 1, 5, 4, 2, 7));
}

TEST(SplitByLengthTest, SmallBatchesStayWhole) {
  // A cut would leave fewer than min_rows rows on a side.
  EXPECT_EQ(SplitByLength(Items({2, 4, 1})).size(), 1u);
  EXPECT_EQ(SplitByLength(Items({1, 1, 1, 100})).size(), 1u);
  // Rows count, not requests: two requests of four rows each may split.
  EXPECT_EQ(SplitByLength(Items({3, 90}, 4)).size(), 2u);
}

TEST(SplitByLengthTest, AtMostMaxGroups) {
  std::vector<int64_t> lengths;
  for (int64_t length : {4, 16, 64, 256, 1024}) {
    for (int i = 0; i < 4; ++i) lengths.push_back(length);
  }
  EXPECT_EQ(SplitByLength(Items(lengths)).size(), 4u);
  EXPECT_EQ(SplitByLength(Items(lengths), {.max_groups = 2}).size(), 2u);
  EXPECT_EQ(SplitByLength(Items(lengths), {.max_groups = 1}).size(), 1u);
  // Every index once.
  size_t total = 0;
  for (const auto& group : SplitByLength(Items(lengths))) total += group.size();
  EXPECT_EQ(total, lengths.size());
}

TEST(SplitByLengthTest, EmptyAndSingle) {
  EXPECT_TRUE(SplitByLength({}).empty());
  EXPECT_THAT(SplitByLength(Items({7})), ElementsAre(ElementsAre(0)));
}

}  // namespace
}  // namespace inferd
