#include "pipelines/task/item_catalog.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

namespace json = boost::json;

TEST(ItemCatalogTest, JsonItemsKeepTheirMetadataAndIds) {
  auto catalog = ItemCatalog::FromJson(
      R"json([{"id": 10, "title": "Heat (1995)", "genres": ["Crime"]},
              {"id": "x7", "title": "Up"}, "plain"])json",
      "items.json");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->size(), 3u);
  EXPECT_EQ(catalog->item(0).at("title").as_string(), "Heat (1995)");
  EXPECT_EQ(catalog->item(2).at("label").as_string(), "plain");
  EXPECT_EQ(catalog->Find(json::value(10)), 0u);
  EXPECT_EQ(catalog->Find(json::value("10")), 0u);  // same id as text
  EXPECT_EQ(catalog->Find(json::value("x7")), 1u);
  EXPECT_EQ(catalog->Find(json::value(11)), std::nullopt);
  EXPECT_EQ(catalog->Find(json::value(1.5)), std::nullopt);
}

TEST(ItemCatalogTest, JsonErrorsNameTheFile) {
  auto bad = ItemCatalog::FromJson("[1]", "items.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("items.json: item 0"));
  EXPECT_FALSE(ItemCatalog::FromJson("{}", "items.json").ok());
  EXPECT_FALSE(ItemCatalog::FromJson("[", "items.json").ok());
}

TEST(ItemCatalogTest, CsvWithQuotesLikeMovieLens) {
  auto catalog = ItemCatalog::FromCsv(
      "movieId,title,genres\r\n"
      "1,Toy Story (1995),Adventure|Animation\r\n"
      "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
      "12,\"Say \"\"Hi\"\"\",Comedy\n",
      "movies.csv");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->size(), 3u);
  EXPECT_EQ(catalog->item(1).at("title").as_string(), "American President, The (1995)");
  EXPECT_EQ(catalog->item(2).at("title").as_string(), "Say \"Hi\"");
  EXPECT_EQ(catalog->Find(json::value(11)), 1u);
}

TEST(ItemCatalogTest, CsvRowWithWrongFieldCountIsAnError) {
  auto bad = ItemCatalog::FromCsv("id,title\n1,a,b\n", "items.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("item 0 has 3 fields"));
  EXPECT_FALSE(ItemCatalog::FromCsv("id,title\n1,\"open\n", "items.csv").ok());
}

TEST(ItemCatalogTest, TopKSortsSkipsExcludedAndBreaksTiesByIndex) {
  const std::vector<float> scores = {0.1f, 0.9f, 0.5f, 0.9f, 0.7f};
  EXPECT_THAT(TopK(scores, 3, {}), ElementsAre(Pair(1u, 0.9f), Pair(3u, 0.9f), Pair(4u, 0.7f)));
  EXPECT_THAT(TopK(scores, 2, {false, true}), ElementsAre(Pair(3u, 0.9f), Pair(4u, 0.7f)));
  EXPECT_EQ(TopK(scores, 10, {true, true}).size(), 3u);
  EXPECT_TRUE(TopK(scores, 0, {}).empty());
}

}  // namespace
}  // namespace inferd::pipelines
