#pragma once

// Object-detection post-processing for YOLO-style single-tensor outputs:
// decode candidate boxes, keep those above a score threshold, class-aware
// non-maximum suppression, and map the survivors back to the original
// image's coordinates.
//
// Output layouts (per image, the batch dimension removed), chosen by the
// model config parameter `output_layout`:
//
//   boxes_objectness_classes   [N, 5 + C]  rows cx, cy, w, h, objectness,
//                                          C class scores (YOLOv5, YOLOv7);
//                                          score = objectness * class score
//   boxes_classes              [N, 4 + C]  rows cx, cy, w, h, C class scores
//   boxes_classes_transposed   [4 + C, N]  the same, one column per box
//                                          (YOLOv8 / YOLO11 exports)
//
// Boxes are centre x, centre y, width, height in model-input pixels. With
// `apply_sigmoid`, objectness and class scores are logits and go through a
// sigmoid first. Each box keeps only its best class (YOLOv5's default).
// Value types and pure functions; thread-safe.

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "pipelines/image/image_preprocessor.h"
#include "tensor/tensor.h"

namespace inferd::pipelines {

enum class DetectionLayout {
  kBoxesObjectnessClasses,
  kBoxesClasses,
  kBoxesClassesTransposed,
};

// Parses the `output_layout` names above.
absl::StatusOr<DetectionLayout> ParseDetectionLayout(std::string_view name);

// Corners, x1 <= x2 and y1 <= y2.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

struct Detection {
  Box box;
  float score = 0;
  int class_id = 0;
};

// Intersection over union; 0 when both are empty.
float IoU(const Box& a, const Box& b);

struct DetectionOptions {
  DetectionLayout layout = DetectionLayout::kBoxesObjectnessClasses;
  bool apply_sigmoid = false;
  float score_threshold = 0.25f;  // kept when score >= threshold
  float iou_threshold = 0.45f;    // suppressed when IoU > threshold
  int max_detections = 100;       // after NMS, best first
  // Candidates entering NMS (the best by score); bounds its quadratic cost
  // when a model scores every anchor above the threshold.
  int max_candidates = 10000;
};

// Candidates of one image whose score passes the threshold, best first.
// `shape` is the per-image output shape (2 dims, see the layouts).
// InvalidArgument when the shape does not fit the layout.
absl::StatusOr<std::vector<Detection>> DecodeDetections(
    const float* output, const Shape& shape, const DetectionOptions& options);

// Greedy NMS per class over `candidates` sorted best first (ties keep their
// order): a box is dropped when it overlaps a kept box of the same class by
// more than `iou_threshold`. Returns at most `max_detections`.
std::vector<Detection> NonMaxSuppression(
    const std::vector<Detection>& candidates, float iou_threshold,
    int max_detections);

// Moves boxes from model-input to original-image coordinates and clips them
// to the image (0..width, 0..height).
void MapToOriginal(const ImageTransform& transform,
                   std::vector<Detection>* detections);

// DecodeDetections + NonMaxSuppression + MapToOriginal.
absl::StatusOr<std::vector<Detection>> PostprocessDetections(
    const float* output, const Shape& shape, const DetectionOptions& options,
    const ImageTransform& transform);

}  // namespace inferd::pipelines
