#include "pipelines/image/detection.h"

#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

using ::testing::HasSubstr;

Detection Det(float x1, float y1, float x2, float y2, float score,
              int class_id) {
  return {{x1, y1, x2, y2}, score, class_id};
}

std::vector<float> Scores(const std::vector<Detection>& detections) {
  std::vector<float> scores;
  for (const Detection& d : detections) scores.push_back(d.score);
  return scores;
}

TEST(DetectionTest, IoUOfOverlappingDisjointAndEmptyBoxes) {
  // Overlap 1x1 = 1, union 4 + 4 - 1 = 7.
  EXPECT_FLOAT_EQ(IoU({0, 0, 2, 2}, {1, 1, 3, 3}), 1.0f / 7.0f);
  EXPECT_FLOAT_EQ(IoU({0, 0, 2, 2}, {0, 0, 2, 2}), 1.0f);
  EXPECT_FLOAT_EQ(IoU({0, 0, 1, 1}, {2, 2, 3, 3}), 0.0f);
  EXPECT_FLOAT_EQ(IoU({1, 1, 1, 1}, {1, 1, 1, 1}), 0.0f);
}

TEST(DetectionTest, DecodesObjectnessLayoutWithBestClass) {
  // 3 boxes, 2 classes: rows cx, cy, w, h, obj, c0, c1.
  const std::vector<float> output = {
      10, 20, 4,  6,  0.9f, 0.2f, 0.8f,  // score 0.72, class 1
      50, 50, 10, 10, 0.5f, 0.4f, 0.1f,  // score 0.2: below 0.25
      30, 30, 2,  2,  0.6f, 0.9f, 0.3f,  // score 0.54, class 0
  };
  DetectionOptions options;
  absl::StatusOr<std::vector<Detection>> d =
      DecodeDetections(output.data(), {3, 7}, options);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->size(), 2u);
  EXPECT_FLOAT_EQ((*d)[0].score, 0.72f);
  EXPECT_EQ((*d)[0].class_id, 1);
  EXPECT_FLOAT_EQ((*d)[0].box.x1, 8);
  EXPECT_FLOAT_EQ((*d)[0].box.y1, 17);
  EXPECT_FLOAT_EQ((*d)[0].box.x2, 12);
  EXPECT_FLOAT_EQ((*d)[0].box.y2, 23);
  EXPECT_FLOAT_EQ((*d)[1].score, 0.54f);
  EXPECT_EQ((*d)[1].class_id, 0);
}

TEST(DetectionTest, TransposedLayoutMatchesRowLayout) {
  // 2 boxes, 3 classes, no objectness.
  const std::vector<float> rows = {
      5, 5, 2, 2, 0.1f, 0.7f, 0.2f,  //
      9, 9, 4, 4, 0.3f, 0.3f, 0.9f,
  };
  std::vector<float> columns(14);
  for (int i = 0; i < 2; ++i) {
    for (int f = 0; f < 7; ++f) columns[f * 2 + i] = rows[i * 7 + f];
  }
  DetectionOptions options;
  options.layout = DetectionLayout::kBoxesClasses;
  std::vector<Detection> a =
      DecodeDetections(rows.data(), {2, 7}, options).value();
  options.layout = DetectionLayout::kBoxesClassesTransposed;
  std::vector<Detection> b =
      DecodeDetections(columns.data(), {7, 2}, options).value();
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(a[i].class_id, b[i].class_id);
    EXPECT_FLOAT_EQ(a[i].score, b[i].score);
    EXPECT_FLOAT_EQ(a[i].box.x2, b[i].box.x2);
  }
  EXPECT_EQ(a[0].class_id, 2);  // 0.9 first
  EXPECT_FLOAT_EQ(a[0].box.x1, 7);
}

TEST(DetectionTest, SigmoidTurnsLogitsIntoScores) {
  const std::vector<float> output = {1, 1, 2, 2, 0.0f, std::log(3.0f)};
  DetectionOptions options;
  options.apply_sigmoid = true;
  std::vector<Detection> d =
      DecodeDetections(output.data(), {1, 6}, options).value();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].score, 0.5f * 0.75f);  // sigmoid(0) * sigmoid(ln 3)
}

TEST(DetectionTest, RefusesShapesThatDoNotFitTheLayout) {
  const std::vector<float> output(10);
  DetectionOptions options;
  EXPECT_THAT(
      DecodeDetections(output.data(), {2, 5}, options).status().message(),
      HasSubstr("does not fit output_layout boxes_objectness_classes"));
  EXPECT_FALSE(DecodeDetections(output.data(), {10}, options).ok());
  options.layout = DetectionLayout::kBoxesClassesTransposed;
  EXPECT_FALSE(DecodeDetections(output.data(), {2, 5}, options).ok());
  EXPECT_TRUE(DecodeDetections(output.data(), {5, 2}, options).ok());
  EXPECT_FALSE(ParseDetectionLayout("yolo").ok());
}

TEST(DetectionTest, NmsSuppressesOverlapsWithinAClassOnly) {
  const std::vector<Detection> candidates = {
      Det(0, 0, 10, 10, 0.9f, 0),
      Det(1, 1, 11, 11, 0.8f, 0),  // IoU 81/119 = 0.68 with the first
      Det(1, 1, 11, 11, 0.7f, 1),  // same box, other class: kept
      Det(20, 20, 30, 30, 0.6f, 0),
  };
  std::vector<Detection> kept = NonMaxSuppression(candidates, 0.45f, 100);
  EXPECT_THAT(Scores(kept), testing::ElementsAre(0.9f, 0.7f, 0.6f));
  // A threshold above their IoU keeps both class-0 boxes.
  EXPECT_EQ(NonMaxSuppression(candidates, 0.7f, 100).size(), 4u);
}

TEST(DetectionTest, NmsKeepsBoxesExactlyAtTheThreshold) {
  // IoU exactly 0.5: 2x2 boxes overlapping by 2x1... union 8-... use halves:
  // a = [0,4]x[0,2], b = [0,2]x[0,2]: overlap 4, union 8, IoU 0.5.
  const std::vector<Detection> candidates = {Det(0, 0, 4, 2, 0.9f, 0),
                                             Det(0, 0, 2, 2, 0.8f, 0)};
  EXPECT_EQ(NonMaxSuppression(candidates, 0.5f, 10).size(), 2u);
  EXPECT_EQ(NonMaxSuppression(candidates, 0.49f, 10).size(), 1u);
}

TEST(DetectionTest, NmsStopsAtMaxDetections) {
  std::vector<Detection> candidates;
  for (int i = 0; i < 10; ++i) {
    candidates.push_back(Det(i * 10, 0, i * 10 + 5, 5, 1.0f - i * 0.05f, 0));
  }
  std::vector<Detection> kept = NonMaxSuppression(candidates, 0.45f, 3);
  EXPECT_THAT(Scores(kept), testing::ElementsAre(1.0f, 0.95f, 0.9f));
}

TEST(DetectionTest, MapsLetterboxedBoxesToOriginalAndClips) {
  // A 200 x 100 image letterboxed into 100 x 100: scale 0.5, 25 rows above.
  ImageTransform t;
  t.original_width = 200;
  t.original_height = 100;
  t.scale_x = t.scale_y = 0.5;
  t.offset_y = 25;
  std::vector<Detection> d = {Det(10, 35, 30, 45, 0.9f, 0),
                              Det(-5, 20, 110, 80, 0.8f, 1)};
  MapToOriginal(t, &d);
  EXPECT_FLOAT_EQ(d[0].box.x1, 20);
  EXPECT_FLOAT_EQ(d[0].box.y1, 20);
  EXPECT_FLOAT_EQ(d[0].box.x2, 60);
  EXPECT_FLOAT_EQ(d[0].box.y2, 40);
  // Clipped to 0..200 x 0..100 (it reached into the padding).
  EXPECT_FLOAT_EQ(d[1].box.x1, 0);
  EXPECT_FLOAT_EQ(d[1].box.y1, 0);
  EXPECT_FLOAT_EQ(d[1].box.x2, 200);
  EXPECT_FLOAT_EQ(d[1].box.y2, 100);
}

TEST(DetectionTest, PostprocessRunsTheWholeChain) {
  const std::vector<float> output = {
      20, 20, 10, 10, 0.9f, 0.9f,  // kept
      21, 21, 10, 10, 0.8f, 0.9f,  // suppressed by the first
      60, 60, 10, 10, 0.1f, 0.9f,  // below threshold
  };
  ImageTransform t;
  t.original_width = 40;
  t.original_height = 40;
  t.scale_x = t.scale_y = 2;
  std::vector<Detection> d =
      PostprocessDetections(output.data(), {3, 6}, DetectionOptions(), t)
          .value();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FLOAT_EQ(d[0].box.x1, 7.5f);
  EXPECT_FLOAT_EQ(d[0].box.x2, 12.5f);
  EXPECT_FLOAT_EQ(d[0].score, 0.81f);
}

}  // namespace
}  // namespace inferd::pipelines
