#include "pipelines/image/detection.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd::pipelines {
namespace {

float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

float Area(const Box& b) {
  return std::max(0.0f, b.x2 - b.x1) * std::max(0.0f, b.y2 - b.y1);
}

}  // namespace

absl::StatusOr<DetectionLayout> ParseDetectionLayout(std::string_view name) {
  if (name == "boxes_objectness_classes") {
    return DetectionLayout::kBoxesObjectnessClasses;
  }
  if (name == "boxes_classes") return DetectionLayout::kBoxesClasses;
  if (name == "boxes_classes_transposed") {
    return DetectionLayout::kBoxesClassesTransposed;
  }
  return absl::InvalidArgumentError(
      StrCat("output_layout \"", name,
             "\" is not one of boxes_objectness_classes, boxes_classes, "
             "boxes_classes_transposed"));
}

float IoU(const Box& a, const Box& b) {
  const Box overlap{std::max(a.x1, b.x1), std::max(a.y1, b.y1),
                    std::min(a.x2, b.x2), std::min(a.y2, b.y2)};
  const float intersection = Area(overlap);
  const float union_area = Area(a) + Area(b) - intersection;
  return union_area > 0 ? intersection / union_area : 0.0f;
}

absl::StatusOr<std::vector<Detection>> DecodeDetections(
    const float* output, const Shape& shape, const DetectionOptions& options) {
  const bool objectness =
      options.layout == DetectionLayout::kBoxesObjectnessClasses;
  const bool transposed =
      options.layout == DetectionLayout::kBoxesClassesTransposed;
  const int64_t fields_needed = objectness ? 6 : 5;  // at least one class
  if (shape.size() != 2 || shape[transposed ? 0 : 1] < fields_needed) {
    return absl::InvalidArgumentError(
        StrCat("detection output of shape ", ShapeToString(shape),
               " does not fit output_layout ",
               objectness   ? "boxes_objectness_classes [N, 5 + classes]"
               : transposed ? "boxes_classes_transposed [4 + classes, N]"
                            : "boxes_classes [N, 4 + classes]"));
  }
  const int64_t boxes = transposed ? shape[1] : shape[0];
  const int64_t fields = transposed ? shape[0] : shape[1];
  const int64_t first_class = objectness ? 5 : 4;
  // Field f of box i.
  const int64_t box_stride = transposed ? 1 : fields;
  const int64_t field_stride = transposed ? boxes : 1;
  auto at = [&](int64_t i, int64_t f) {
    return output[i * box_stride + f * field_stride];
  };
  auto score_of = [&](float x) {
    return options.apply_sigmoid ? Sigmoid(x) : x;
  };

  std::vector<Detection> candidates;
  for (int64_t i = 0; i < boxes; ++i) {
    const float object = objectness ? score_of(at(i, 4)) : 1.0f;
    if (object < options.score_threshold) continue;  // score <= objectness
    int best = 0;
    float best_score = -INFINITY;
    for (int64_t f = first_class; f < fields; ++f) {
      const float s = at(i, f);
      if (s > best_score) {
        best_score = s;
        best = static_cast<int>(f - first_class);
      }
    }
    const float score = object * score_of(best_score);
    if (!(score >= options.score_threshold)) continue;  // also drops NaN
    const float cx = at(i, 0), cy = at(i, 1);
    const float half_w = at(i, 2) / 2, half_h = at(i, 3) / 2;
    candidates.push_back(
        {{cx - half_w, cy - half_h, cx + half_w, cy + half_h}, score, best});
  }
  std::stable_sort(
      candidates.begin(), candidates.end(),
      [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (candidates.size() > static_cast<size_t>(options.max_candidates)) {
    candidates.resize(options.max_candidates);
  }
  return candidates;
}

std::vector<Detection> NonMaxSuppression(
    const std::vector<Detection>& candidates, float iou_threshold,
    int max_detections) {
  std::vector<Detection> kept;
  for (const Detection& candidate : candidates) {
    if (kept.size() >= static_cast<size_t>(std::max(0, max_detections))) break;
    const bool suppressed =
        std::any_of(kept.begin(), kept.end(), [&](const Detection& k) {
          return k.class_id == candidate.class_id &&
                 IoU(k.box, candidate.box) > iou_threshold;
        });
    if (!suppressed) kept.push_back(candidate);
  }
  return kept;
}

void MapToOriginal(const ImageTransform& transform,
                   std::vector<Detection>* detections) {
  const float width = static_cast<float>(transform.original_width);
  const float height = static_cast<float>(transform.original_height);
  auto map_x = [&](float x) {
    return std::clamp(static_cast<float>(transform.ToOriginalX(x)), 0.0f,
                      width);
  };
  auto map_y = [&](float y) {
    return std::clamp(static_cast<float>(transform.ToOriginalY(y)), 0.0f,
                      height);
  };
  for (Detection& d : *detections) {
    d.box = {map_x(d.box.x1), map_y(d.box.y1), map_x(d.box.x2),
             map_y(d.box.y2)};
  }
}

absl::StatusOr<std::vector<Detection>> PostprocessDetections(
    const float* output, const Shape& shape, const DetectionOptions& options,
    const ImageTransform& transform) {
  INFERD_ASSIGN_OR_RETURN(std::vector<Detection> candidates,
                          DecodeDetections(output, shape, options));
  std::vector<Detection> detections = NonMaxSuppression(
      candidates, options.iou_threshold, options.max_detections);
  MapToOriginal(transform, &detections);
  return detections;
}

}  // namespace inferd::pipelines
