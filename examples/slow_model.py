"""`slow`: a test model whose compute time the request chooses.

Only the end-to-end backpressure tests load it (test_repository). A request
sends LOOPS, the number of 128x128 matrix products to run, and a TAG that
comes back unchanged; ORDER is a counter the module increments on every
execution (the server may run it once while loading), so a test sees in
which order the server ran its requests without measuring any time. One
instance, one request per execution (max_batch_size 1), two priority levels
(default 2) and a queue of at most MAX_QUEUE_SIZE requests per level: a long
request keeps the instance busy while a test fills the queue behind it.

Deterministic: the matrix comes from a fixed seed.
"""

import os
from typing import Tuple

import torch

NAME = "slow"
MATRIX = 128
MAX_QUEUE_SIZE = 4

CONFIG = f"""name: "{NAME}"
platform: "pytorch_libtorch"
max_batch_size: 1
input [
  {{
    name: "LOOPS"
    data_type: TYPE_INT64
    dims: [ 1 ]
  }},
  {{
    name: "TAG"
    data_type: TYPE_INT64
    dims: [ 1 ]
  }}
]
output [
  {{
    name: "TAG_OUT"
    data_type: TYPE_INT64
    dims: [ 1 ]
  }},
  {{
    name: "ORDER"
    data_type: TYPE_INT64
    dims: [ 1 ]
  }},
  {{
    name: "WORK"
    data_type: TYPE_FP32
    dims: [ 1 ]
  }}
]
dynamic_batching {{
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy {{
    max_queue_size: {MAX_QUEUE_SIZE}
    allow_timeout_override: true
  }}
}}
instance_group [ {{ count: 1 kind: KIND_CPU }} ]
"""


class SlowModel(torch.nn.Module):
    """(LOOPS [1,1], TAG [1,1]) -> (TAG_OUT, ORDER, WORK), each [1,1]."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        # Scaled so that repeated products stay bounded (tanh keeps them so).
        self.register_buffer(
            "matrix", torch.randn(MATRIX, MATRIX, generator=g) / MATRIX**0.5)
        self.register_buffer("calls", torch.zeros(1, 1, dtype=torch.int64))

    def forward(self, LOOPS: torch.Tensor, TAG: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.matrix
        for _ in range(int(LOOPS.reshape(-1)[0].item())):
            x = torch.tanh(torch.mm(x, self.matrix))
        self.calls.add_(1)
        # WORK depends on every product, so none of them can be skipped.
        return TAG.clone(), self.calls.clone(), x.sum().reshape(1, 1)


def slow_spec(model_spec_class):
    """The ModelSpec (class passed in by the builder) with one golden case:
    the first execution of a fresh module."""
    case = {"LOOPS": torch.tensor([[3]], dtype=torch.int64),
            "TAG": torch.tensor([[7]], dtype=torch.int64)}
    return model_spec_class(
        NAME, SlowModel(), 1,
        [("LOOPS", "INT64", [1]), ("TAG", "INT64", [1])],
        [("TAG_OUT", "INT64", [1]), ("ORDER", "INT64", [1]),
         ("WORK", "FP32", [1])],
        [case])


def write_config(repository: str):
    """Replaces the generic config.pbtxt the builder wrote with the one
    carrying the priority levels and queue policy."""
    with open(os.path.join(repository, NAME, "config.pbtxt"), "w") as f:
        f.write(CONFIG)
