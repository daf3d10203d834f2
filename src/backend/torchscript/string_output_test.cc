#include "backend/torchscript/string_output.h"

#include <ATen/core/List.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

c10::IValue Flat(std::vector<std::string> strings) {
  c10::List<std::string> list;
  for (auto& s : strings) list.push_back(std::move(s));
  return list;
}

Tensor Input(Shape shape) {
  Tensor t;
  t.dtype = DataType::kBytes;
  t.shape = std::move(shape);
  t.strings.assign(ElementCount(t.shape), "");
  return t;
}

TEST(StringOutputTest, FlatListTakesTheBatchAndDeclaredDims) {
  absl::StatusOr<Tensor> out = StringOutput(Flat({"a", "b", "c", "d", "e", "f"}), "o", {-1, 3},
                                            true, {Input({2, 3})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->shape, ElementsAre(2, 3));
  EXPECT_THAT(out->strings, ElementsAre("a", "b", "c", "d", "e", "f"));
}

TEST(StringOutputTest, OneWildcardIsComputed) {
  absl::StatusOr<Tensor> out =
      StringOutput(Flat({"a", "b", "c", "d"}), "o", {-1, -1}, true, {Input({2, 7})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->shape, ElementsAre(2, 2));
  out = StringOutput(Flat({"a", "b", "c"}), "o", {-1}, false, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->shape, ElementsAre(3));
}

TEST(StringOutputTest, SeveralWildcardsTakeTheShapeOfAnInputOfTheSameSize) {
  absl::StatusOr<Tensor> out = StringOutput(Flat({"a", "b", "c", "d", "e", "f"}), "o",
                                            {-1, -1, -1}, true, {Input({1, 2, 3})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->shape, ElementsAre(1, 2, 3));
  out = StringOutput(Flat({"a", "b"}), "o", {-1, -1, -1}, true, {Input({1, 2, 3})});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("return nested lists"));
}

TEST(StringOutputTest, NestedListsGiveTheShape) {
  c10::List<c10::List<std::string>> rows;
  rows.push_back(c10::List<std::string>({"a", "b"}));
  rows.push_back(c10::List<std::string>({"c", "d"}));
  absl::StatusOr<Tensor> out = StringOutput(rows, "o", {-1, 2}, true, {Input({2, 2})});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->shape, ElementsAre(2, 2));
  EXPECT_THAT(out->strings, ElementsAre("a", "b", "c", "d"));
  // Rows that disagree with the request's batch.
  out = StringOutput(rows, "o", {-1, 2}, true, {Input({1, 2})});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("for 1 rows"));
}

TEST(StringOutputTest, RaggedAndWrongAnswersAreInternalErrorsNamingTheOutput) {
  c10::List<c10::List<std::string>> ragged;
  ragged.push_back(c10::List<std::string>({"a", "b"}));
  ragged.push_back(c10::List<std::string>({"c"}));
  absl::StatusOr<Tensor> out = StringOutput(ragged, "words", {-1, -1}, true, {Input({2, 2})});
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("output \"words\": "));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("ragged"));

  out = StringOutput(Flat({"a", "b", "c"}), "words", {-1, 2}, true, {Input({1, 2})});
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("3 strings"));
  out = StringOutput(c10::IValue(int64_t{3}), "words", {-1}, false, {});
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("not List[str]"));
}

}  // namespace
}  // namespace inferd
