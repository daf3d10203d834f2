"""`digits_image`: the digits CNN served as an image-classification task.

The same weights as `digits` (trained on sklearn's 8x8 digits, white ink on
black, 0..16), with config parameters that let inferd take a PNG/JPEG of a
digit: grayscale, resized to 8 x 8 (area interpolation), scaled by 1/255,
softmax over the logits, labels 0..9.

Test pictures: held-out digits as 32 x 32 grayscale PNGs (each pixel of the
8 x 8 image repeated 4 x 4, value round(v * 255 / 16)); area-resizing them
back to 8 x 8 is exact, so the goldens (PyTorch on the 8 x 8 pixels / 255)
match inferd's tensor exactly.
"""

import json
import os

import numpy as np
import torch

from png_file import write_png

UPSCALE = 4
GOLDEN_COUNT = 6

CONFIG = """name: "digits_image"
platform: "pytorch_libtorch"
max_batch_size: 64
input [
  {
    name: "input"
    data_type: TYPE_FP32
    dims: [ 1, 8, 8 ]
  }
]
output [
  {
    name: "logits"
    data_type: TYPE_FP32
    dims: [ 10 ]
  },
  {
    name: "probabilities"
    data_type: TYPE_FP32
    dims: [ 10 ]
  }
]
instance_group [ { count: 1 kind: KIND_CPU } ]
dynamic_batching {
  max_queue_delay_microseconds: 1000
}
parameters [
  { key: "task" value: { string_value: "image-classification" } },
  { key: "labels" value: { string_value: "labels.txt" } },
  { key: "output" value: { string_value: "logits" } },
  { key: "function_to_apply" value: { string_value: "softmax" } },
  { key: "top_k" value: { string_value: "3" } },
  { key: "image_size" value: { string_value: "8" } },
  { key: "resize_mode" value: { string_value: "stretch" } },
  { key: "interpolation" value: { string_value: "area" } },
  { key: "channel_order" value: { string_value: "GRAY" } },
  { key: "scale" value: { string_value: "0.00392156862745098" } },
  { key: "layout" value: { string_value: "NCHW" } }
]
"""


def build(repository: str, goldens: str, model, x_test: torch.Tensor,
          y_test: torch.Tensor, log=print):
    """Saves model_repository/digits_image and goldens/digits_image*."""
    model_dir = os.path.join(repository, "digits_image")
    os.makedirs(os.path.join(model_dir, "1"), exist_ok=True)
    path = os.path.join(model_dir, "1", "model.pt")
    torch.jit.save(torch.jit.script(model.eval()), path)
    with open(os.path.join(model_dir, "config.pbtxt"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(model_dir, "labels.txt"), "w") as f:
        f.write("\n".join(str(d) for d in range(10)) + "\n")

    loaded = torch.jit.load(path)
    loaded.eval()
    images_dir = os.path.join(goldens, "images")
    os.makedirs(images_dir, exist_ok=True)
    cases = []
    for i in range(GOLDEN_COUNT):
        pixels = np.rint(x_test[i, 0].numpy() * 255.0).astype(np.uint8)
        name = f"digit_{i}_label_{int(y_test[i])}.png"
        write_png(os.path.join(images_dir, name),
                  np.kron(pixels, np.ones((UPSCALE, UPSCALE), np.uint8)))
        tensor = torch.from_numpy(pixels.astype(np.float32) / 255.0)
        with torch.no_grad():
            logits, _ = loaded(tensor.reshape(1, 1, 8, 8))
        probabilities = torch.softmax(logits[0].double(), dim=0)
        top = torch.argsort(-probabilities, stable=True)[:3].tolist()
        cases.append({"image": "images/" + name, "true_label": str(
            int(y_test[i])), "predictions": [
                {"label": str(c), "score": float(probabilities[c])}
                for c in top]})
    with open(os.path.join(goldens, "digits_image_predictions.json"),
              "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    log(f"digits_image: {len(cases)} golden PNGs")
