"""`shapes`: an object-detection example model.

A small YOLO-style single-scale grid detector trained on synthetic pictures
of circles, squares and triangles (several per picture, random sizes,
positions and colours) drawn here with numpy. Exported to TorchScript with
its box decoding inside, so inferd sees the YOLOv5 output layout
boxes_objectness_classes: [N, 256, 5 + 3], rows cx, cy, w, h (input pixels),
objectness, class probabilities.

Served with the object-detection task: letterbox to 128 x 128 (pad 114),
RGB, scale 1/255, NCHW; class-aware NMS in inferd. The goldens run the same
pipeline in Python (letterbox, the model, NMS) on test PNGs whose letterbox
scale is 1 or 1/2, where the resize is exact (OpenCV's 2x downscale is the
rounded mean of each 2 x 2 block), so they reproduce inferd's tensor.

Called from build_model_repository.py; deterministic (fixed seeds, one
thread) and about a minute of training on one core.
"""

import json
import math
import os
import time
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from png_file import bomb_png, write_png

SEED = 4
SIZE = 128          # model input, square
STRIDE = 8          # grid cell in input pixels
GRID = SIZE // STRIDE
ANCHOR = 32.0       # box sizes are predicted as ANCHOR * exp(t)
CLASSES = ["circle", "square", "triangle"]
PAD = 114
TRAIN_IMAGES = 1600
TEST_IMAGES = 200
TRAIN_STEPS = 900
BATCH = 16
SCORE_THRESHOLD = 0.25
IOU_THRESHOLD = 0.45
MAX_DETECTIONS = 100


# ---------------------------------------------------------------------------
# Synthetic pictures
# ---------------------------------------------------------------------------


def draw_picture(rng: np.random.RandomState, width: int, height: int,
                 scale: float = 1.0):
    """An RGB uint8 [height, width, 3] picture with 1..4 shapes, and their
    boxes [(x1, y1, x2, y2, class)] in pixels. Shapes are 14..44 pixels
    (times `scale`), placed without large overlaps."""
    background = rng.randint(0, 256, 3)
    image = np.empty((height, width, 3), np.float32)
    image[:] = background
    image += rng.normal(0, 6, image.shape)  # sensor-ish noise
    boxes = []
    for _ in range(rng.randint(1, 5)):
        for _attempt in range(20):
            kind = rng.randint(len(CLASSES))
            size = rng.uniform(14, 44) * scale
            x1 = rng.uniform(0, width - size)
            y1 = rng.uniform(0, height - size)
            box = (x1, y1, x1 + size, y1 + size)
            if all(iou(box, b[:4]) < 0.05 for b in boxes):
                break
        else:
            continue
        # A colour far from the background in at least one channel.
        while True:
            colour = rng.randint(0, 256, 3)
            if np.abs(colour - background).max() > 80:
                break
        cx, cy, r = x1 + size / 2, y1 + size / 2, size / 2
        # Pixels whose centres may fall inside: only that window is tested.
        left, top = int(x1), int(y1)
        right = min(width, int(math.ceil(x1 + size)) + 1)
        bottom_row = min(height, int(math.ceil(y1 + size)) + 1)
        ys, xs = np.mgrid[top:bottom_row, left:right].astype(np.float32) + 0.5
        if kind == 0:
            mask = (xs - cx) ** 2 + (ys - cy) ** 2 <= r * r
        elif kind == 1:
            mask = (xs >= x1) & (xs <= x1 + size) & (ys >= y1) & \
                (ys <= y1 + size)
        else:  # apex up, base at the bottom edge of the box
            inside_y = (ys >= y1) & (ys <= y1 + size)
            half = (ys - y1) / size * r
            mask = inside_y & (np.abs(xs - cx) <= half)
        image[top:bottom_row, left:right][mask] = colour
        boxes.append((x1, y1, x1 + size, y1 + size, kind))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), boxes


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) \
        - inter
    return inter / union if union > 0 else 0.0


def to_input(image: np.ndarray) -> torch.Tensor:
    """RGB uint8 [128, 128, 3] -> [1, 3, 128, 128] in 0..1 (NCHW)."""
    return torch.from_numpy(image.astype(np.float32) / 255.0).permute(
        2, 0, 1).unsqueeze(0).contiguous()


def letterbox(image: np.ndarray):
    """inferd's letterbox for scale 1 or 1/2: returns the 128 x 128 picture,
    the scale and the (left, top) offset."""
    height, width = image.shape[:2]
    r = min(SIZE / width, SIZE / height)
    if r == 0.5:
        # OpenCV halves 8-bit images with the rounded mean of 2 x 2 blocks.
        blocks = image.astype(np.int32).reshape(height // 2, 2, width // 2, 2,
                                                3).sum(axis=(1, 3))
        image = ((blocks + 2) // 4).astype(np.uint8)
    elif r != 1.0:
        raise ValueError("golden pictures must letterbox at scale 1 or 1/2")
    h, w = image.shape[:2]
    left, top = (SIZE - w) // 2, (SIZE - h) // 2
    out = np.full((SIZE, SIZE, 3), PAD, np.uint8)
    out[top:top + h, left:left + w] = image
    return out, r, left, top


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------


class ShapesDetector(torch.nn.Module):
    """[B, 3, 128, 128] RGB in 0..1 -> [B, 256, 8]: per grid cell cx, cy, w,
    h in input pixels, objectness, 3 class probabilities."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
            torch.nn.BatchNorm2d(8), torch.nn.SiLU(),
            torch.nn.Conv2d(8, 16, 3, stride=2, padding=1),
            torch.nn.BatchNorm2d(16), torch.nn.SiLU(),
            torch.nn.Conv2d(16, 32, 3, stride=2, padding=1),
            torch.nn.BatchNorm2d(32), torch.nn.SiLU(),
            torch.nn.Conv2d(32, 32, 3, padding=1),
            torch.nn.BatchNorm2d(32), torch.nn.SiLU(),
            torch.nn.Conv2d(32, 32, 3, padding=2, dilation=2),
            torch.nn.BatchNorm2d(32), torch.nn.SiLU())
        self.head = torch.nn.Conv2d(32, 5 + len(CLASSES), 1)
        self.cells = GRID * GRID
        self.fields = 5 + len(CLASSES)
        self.stride = float(STRIDE)
        self.anchor = ANCHOR
        gy, gx = torch.meshgrid(torch.arange(GRID), torch.arange(GRID),
                                indexing="ij")
        self.register_buffer("grid", torch.stack([gx, gy], -1).reshape(
            1, GRID * GRID, 2).float())

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """[B, 256, 8] before decoding (logits, offsets)."""
        p = self.head(self.body(x))
        return p.permute(0, 2, 3, 1).reshape(x.shape[0], self.cells,
                                             self.fields)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        p = self.raw(images)
        xy = (torch.sigmoid(p[..., 0:2]) + self.grid) * self.stride
        wh = torch.exp(p[..., 2:4].clamp(max=4.0)) * self.anchor
        objectness = torch.sigmoid(p[..., 4:5])
        classes = torch.softmax(p[..., 5:], dim=-1)
        return torch.cat([xy, wh, objectness, classes], dim=-1)


def targets(boxes_list) -> Tuple[torch.Tensor, torch.Tensor]:
    """Per image and cell: (mask [B, 256], target [B, 256, 5] = tx, ty,
    log(w / ANCHOR), log(h / ANCHOR), class) for the cell holding each
    box centre."""
    mask = torch.zeros(len(boxes_list), GRID * GRID)
    target = torch.zeros(len(boxes_list), GRID * GRID, 5)
    for i, boxes in enumerate(boxes_list):
        for x1, y1, x2, y2, kind in boxes:
            cx, cy = (x1 + x2) / 2 / STRIDE, (y1 + y2) / 2 / STRIDE
            gx, gy = min(int(cx), GRID - 1), min(int(cy), GRID - 1)
            cell = gy * GRID + gx
            mask[i, cell] = 1
            target[i, cell] = torch.tensor(
                [cx - gx, cy - gy, math.log((x2 - x1) / ANCHOR),
                 math.log((y2 - y1) / ANCHOR), kind])
    return mask, target


def loss_of(model: ShapesDetector, images, mask, target) -> torch.Tensor:
    p = model.raw(images)
    objectness = F.binary_cross_entropy_with_logits(p[..., 4], mask,
                                                    reduction="sum")
    positive = mask.bool()
    pp, tt = p[positive], target[positive]
    xy = F.binary_cross_entropy_with_logits(pp[:, 0:2], tt[:, 0:2],
                                            reduction="sum")
    wh = F.mse_loss(pp[:, 2:4], tt[:, 2:4], reduction="sum")
    cls = F.cross_entropy(pp[:, 5:], tt[:, 4].long(), reduction="sum")
    return (objectness + 5 * xy + 5 * wh + cls) / images.shape[0]


def dataset(rng, count: int):
    images, boxes = [], []
    for _ in range(count):
        image, b = draw_picture(rng, SIZE, SIZE)
        images.append(image)
        boxes.append(b)
    tensor = torch.from_numpy(np.stack(images).astype(np.float32) / 255.0)
    return tensor.permute(0, 3, 1, 2).contiguous(), boxes


def train(log) -> Tuple[ShapesDetector, list]:
    rng = np.random.RandomState(SEED)
    x_train, b_train = dataset(rng, TRAIN_IMAGES)
    mask, target = targets(b_train)
    test = [draw_picture(rng, SIZE, SIZE) for _ in range(TEST_IMAGES)]

    torch.manual_seed(SEED)
    model = ShapesDetector()
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-3,
                                  weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=4e-3, total_steps=TRAIN_STEPS, pct_start=0.15)
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    started = time.monotonic()
    step = 0
    while step < TRAIN_STEPS:
        perm = torch.randperm(TRAIN_IMAGES, generator=generator)
        for start in range(0, TRAIN_IMAGES - BATCH + 1, BATCH):
            if step == TRAIN_STEPS:
                break
            idx = perm[start:start + BATCH]
            images = x_train[idx]
            if step % 2 == 1:  # horizontal flips: boxes stay valid
                images = images.flip(3)
                m = mask[idx].reshape(-1, GRID, GRID).flip(2).reshape(
                    -1, GRID * GRID)
                t = target[idx].reshape(-1, GRID, GRID, 5).flip(2).clone()
                t[..., 0] = 1.0 - t[..., 0]
                t = t.reshape(-1, GRID * GRID, 5)
            else:
                m, t = mask[idx], target[idx]
            optimizer.zero_grad()
            loss = loss_of(model, images, m, t)
            loss.backward()
            optimizer.step()
            schedule.step()
            step += 1
            if step % 100 == 0:
                log(f"shapes: step {step} loss {loss.item():.3f} "
                    f"({time.monotonic() - started:.0f} s)")
    model.eval()
    return model, test


# ---------------------------------------------------------------------------
# Post-processing (the same rules as inferd's object-detection task)
# ---------------------------------------------------------------------------


def postprocess(output: torch.Tensor, r: float, left: int, top: int,
                width: int, height: int) -> list:
    """output [256, 8] for one picture -> detections in picture pixels."""
    rows = output.tolist()
    candidates = []
    for row in rows:
        objectness = row[4]
        if objectness < SCORE_THRESHOLD:
            continue
        class_scores = row[5:]
        best = max(range(len(class_scores)), key=lambda c: (class_scores[c],
                                                             -c))
        score = float(np.float32(objectness) * np.float32(class_scores[best]))
        if score < SCORE_THRESHOLD:
            continue
        cx, cy, w, h = row[0:4]
        candidates.append(((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2),
                           score, best))
    candidates.sort(key=lambda c: -c[1])  # stable: ties keep row order
    kept = []
    for box, score, cls in candidates:
        if len(kept) >= MAX_DETECTIONS:
            break
        if all(k[2] != cls or iou(k[0], box) <= IOU_THRESHOLD for k in kept):
            kept.append((box, score, cls))
    detections = []
    for (x1, y1, x2, y2), score, cls in kept:
        def mx(x):
            return min(max((x - left) / r, 0.0), float(width))

        def my(y):
            return min(max((y - top) / r, 0.0), float(height))
        detections.append({"label": CLASSES[cls], "score": score,
                           "box": {"xmin": mx(x1), "ymin": my(y1),
                                   "xmax": mx(x2), "ymax": my(y2)}})
    return detections


def evaluate(model, test) -> dict:
    """Precision and recall at IoU 0.5 (score >= 0.25, after NMS) and
    mAP@0.5 (all-point interpolated AP, mean over the classes)."""
    per_class = {c: [] for c in range(len(CLASSES))}  # (score, is_tp)
    gt_count = [0] * len(CLASSES)
    tp = fp = 0
    with torch.no_grad():
        outputs = model(torch.cat([to_input(im) for im, _ in test]))
    for (image, boxes), output in zip(test, outputs):
        detections = postprocess(output, 1.0, 0, 0, SIZE, SIZE)
        for b in boxes:
            gt_count[b[4]] += 1
        matched = set()
        for d in detections:  # best first
            cls = CLASSES.index(d["label"])
            box = (d["box"]["xmin"], d["box"]["ymin"], d["box"]["xmax"],
                   d["box"]["ymax"])
            best, best_iou = None, 0.5
            for j, b in enumerate(boxes):
                if b[4] == cls and j not in matched and iou(box, b) >= best_iou:
                    best, best_iou = j, iou(box, b)
            hit = best is not None
            if hit:
                matched.add(best)
            per_class[cls].append((d["score"], hit))
            tp += hit
            fp += not hit
    aps = []
    for c in range(len(CLASSES)):
        ranked = sorted(per_class[c], key=lambda s: -s[0])
        hits = np.cumsum([h for _, h in ranked]) if ranked else np.array([])
        precision = hits / np.arange(1, len(ranked) + 1) if ranked else []
        recall = hits / max(gt_count[c], 1) if ranked else []
        # All-point interpolation (VOC 2010+).
        mrec = np.concatenate([[0.0], recall, [1.0]])
        mpre = np.concatenate([[1.0], precision, [0.0]])
        for i in range(len(mpre) - 2, -1, -1):
            mpre[i] = max(mpre[i], mpre[i + 1])
        aps.append(float(np.sum((mrec[1:] - mrec[:-1]) * mpre[1:])))
    total = sum(gt_count)
    return {"test_images": len(test), "test_objects": total,
            "precision": round(tp / max(tp + fp, 1), 4),
            "recall": round(tp / max(total, 1), 4),
            "map50": round(float(np.mean(aps)), 4),
            "ap50_per_class": {CLASSES[c]: round(aps[c], 4)
                               for c in range(len(CLASSES))},
            "score_threshold": SCORE_THRESHOLD,
            "iou_threshold": IOU_THRESHOLD}


# ---------------------------------------------------------------------------
# Repository entry and goldens
# ---------------------------------------------------------------------------

CONFIG = """name: "shapes"
platform: "pytorch_libtorch"
max_batch_size: 16
input [
  {{
    name: "images"
    data_type: TYPE_FP32
    dims: [ 3, {size}, {size} ]
  }}
]
output [
  {{
    name: "detections"
    data_type: TYPE_FP32
    dims: [ {cells}, {fields} ]
  }}
]
instance_group [ {{ count: 1 kind: KIND_CPU }} ]
dynamic_batching {{
  max_queue_delay_microseconds: 2000
}}
parameters [
  {{ key: "task" value: {{ string_value: "object-detection" }} }},
  {{ key: "labels" value: {{ string_value: "labels.txt" }} }},
  {{ key: "image_size" value: {{ string_value: "{size}" }} }},
  {{ key: "resize_mode" value: {{ string_value: "letterbox" }} }},
  {{ key: "pad_value" value: {{ string_value: "{pad}" }} }},
  {{ key: "channel_order" value: {{ string_value: "RGB" }} }},
  {{ key: "scale" value: {{ string_value: "0.00392156862745098" }} }},
  {{ key: "layout" value: {{ string_value: "NCHW" }} }},
  {{ key: "output_layout" value: {{ string_value: "boxes_objectness_classes" }} }},
  {{ key: "score_threshold" value: {{ string_value: "{score}" }} }},
  {{ key: "iou_threshold" value: {{ string_value: "{iou}" }} }},
  {{ key: "max_detections" value: {{ string_value: "{max_det}" }} }}
]
"""

# Golden pictures: (file name, width, height, shape scale). 256 x 192
# letterboxes at 1/2 (boxes map back x2, 16 rows of padding above),
# 128 x 96 at 1 (padding only), 128 x 128 untouched.
GOLDEN_PICTURES = [("shapes_256x192.png", 256, 192, 2.0),
                   ("shapes_128x96.png", 128, 96, 1.0),
                   ("shapes_128x128.png", 128, 128, 1.0)]


def build(repository: str, goldens: str, log=print) -> dict:
    """Trains, saves model_repository/shapes and goldens/shapes_*."""
    started = time.monotonic()
    model, test = train(log)
    metrics = evaluate(model, test)
    metrics["train_seconds"] = round(time.monotonic() - started, 1)
    log(f"shapes: held-out mAP@0.5 {metrics['map50']:.4f}, precision "
        f"{metrics['precision']:.4f}, recall {metrics['recall']:.4f} "
        f"({metrics['test_objects']} objects in {len(test)} pictures)")

    model_dir = os.path.join(repository, "shapes")
    os.makedirs(os.path.join(model_dir, "1"), exist_ok=True)
    path = os.path.join(model_dir, "1", "model.pt")
    torch.jit.save(torch.jit.script(model), path)
    with open(os.path.join(model_dir, "config.pbtxt"), "w") as f:
        f.write(CONFIG.format(size=SIZE, pad=PAD, cells=GRID * GRID,
                              fields=5 + len(CLASSES), score=SCORE_THRESHOLD,
                              iou=IOU_THRESHOLD, max_det=MAX_DETECTIONS))
    with open(os.path.join(model_dir, "labels.txt"), "w") as f:
        f.write("\n".join(CLASSES) + "\n")

    loaded = torch.jit.load(path)
    loaded.eval()
    images_dir = os.path.join(goldens, "images")
    os.makedirs(images_dir, exist_ok=True)
    rng = np.random.RandomState(SEED + 100)
    cases = []
    for name, width, height, scale in GOLDEN_PICTURES:
        picture, boxes = draw_picture(rng, width, height, scale)
        write_png(os.path.join(images_dir, name), picture)
        fitted, r, left, top = letterbox(picture)
        with torch.no_grad():
            output = loaded(to_input(fitted))[0]
        detections = postprocess(output, r, left, top, width, height)
        cases.append({"image": "images/" + name, "width": width,
                      "height": height,
                      "drawn": [{"label": CLASSES[b[4]],
                                 "box": [round(v, 2) for v in b[:4]]}
                                for b in boxes],
                      "detections": detections})
        log(f"shapes: {name}: {len(boxes)} drawn, {len(detections)} detected")
    with open(os.path.join(images_dir, "bomb_100000x100000.png"), "wb") as f:
        f.write(bomb_png(100000, 100000))
    with open(os.path.join(goldens, "shapes_predictions.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    with open(os.path.join(goldens, "shapes_accuracy.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    return metrics


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description="shapes example model")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    build(os.path.join(args.out, "model_repository"),
          os.path.join(args.out, "goldens"))
