#!/usr/bin/python3
"""Builds the example and test model repositories plus their golden values.

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 examples/build_model_repository.py --out build/examples

Writes, under --out:

  model_repository/  models users serve (Triton layout: NAME/config.pbtxt,
                     NAME/1/model.pt saved with torch.jit.save)
                       simple  Triton quick-start model: sum and difference
                       digits  small CNN trained on the sklearn digits set
                       text_classifier  small transformer encoder over token
                               ids + attention mask (dynamic sequence
                               length, dynamic batching), trained on a
                               synthetic sentiment task
                       embedder  feature-extraction sentence encoder
                               (examples/embedder_model.py)
                       ner     token-classification, B-/I- PER/LOC/ORG
                               (examples/ner_model.py)
                       recommender  matrix factorisation, user id -> movie
                               scores + items.json (examples/recommender_model.py)
                       sentiment  text-classification, NEGATIVE/POSITIVE,
                               trained on lexicon-labelled Austen sentences
                               (examples/sentiment_model.py)
                       simple_string  Triton's string quick-start model: sum
                               and difference of decimal strings
                               (examples/string_models.py)
                       chat    toy GGUF chat model (llama architecture,
                               ChatML template) trained on fortune cookies
                               (examples/chat_model.py; chat/1/model.gguf)
  test_repository/   extra models only the end-to-end tests load
                       simple, all_dtypes, index_named, string_length,
                       single_output, text_classifier, slow
                       (examples/slow_model.py), simple_string,
                       string_upper, string_pairs, string_split
                       (examples/string_models.py)
  goldens/NAME.json  cases {"inputs": {...}, "outputs": {...}} in KServe v2
                     JSON tensor form, computed by reloading each saved
                     TorchScript file with torch.jit.load
  goldens/NAME.task.json  task-level goldens of the task-pipeline models
                     (pooled vectors, token probabilities, item scores)
  goldens/chat.golden, chat.answers.json  the chat model's reference
                     logits and greedy answers (float64 PyTorch)
  goldens/digits_accuracy.json  held-out accuracy of the digits model
  goldens/text_classifier_accuracy.json  held-out accuracy of text_classifier
  goldens/README     how to compare outputs against the goldens

Deterministic: fixed seeds, one intra-op thread (two for the chat model), a
fixed train/test split.
The digits data come from a CSV export of sklearn's bundled data set (sklearn
itself is not installable next to python3-torch on Debian 12):
$INFERD_DEPS_DATA/sklearn/digits.csv.gz, INFERD_DEPS_DATA defaulting to
/var/lib/inferd-deps. Each row: 64 pixels (0..16, 8x8 row-major), then the
label.
"""

import argparse
import gzip
import json
import math
import os
import shutil
import sys
import time
from typing import Dict, List, Tuple

# TorchScript writes a module's constants (Conv2d's in_channels, padding, ...)
# in the iteration order of a Python set of strings, which changes with string
# hash randomization. Re-run under a fixed hash seed so that model.pt files
# come out byte-identical on every build. The same re-run makes OpenMP's idle
# threads sleep instead of spinning, which the chat model's two-thread
# training needs (examples/chat_model.py); libgomp reads it when torch loads.
if (os.environ.get("PYTHONHASHSEED") != "0"
        or "OMP_WAIT_POLICY" not in os.environ) and __name__ == "__main__":
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import digits_image  # noqa: E402  (image-classification example, issue 4)
import string_models  # noqa: E402  (BYTES models: simple_string and test models)
import shapes  # noqa: E402  (object-detection example, issue 4)

import chat_model  # noqa: E402  (examples/chat_model.py: GGUF chat model)
import slow_model  # noqa: E402  (examples/slow_model.py, beside this file)
import failing_model  # noqa: E402  (examples/failing_model.py: job retries)
# Task-pipeline examples (issue 4), each in its own module beside this file:
# build() trains and returns the spec fields plus config parameters, asset
# files and a task_goldens(loaded_model) function.
import embedder_model  # noqa: E402
import ner_model  # noqa: E402
import recommender_model  # noqa: E402
import sentiment_model  # noqa: E402

SEED = 0
TEST_FRACTION = 0.2

TOLERANCE_NOTE = (
    "Tolerance: integer, BOOL and BYTES outputs must match exactly; "
    "float outputs (FP16, FP32, FP64) must satisfy "
    "|actual - expected| <= 1e-5 + 1e-4 * |expected|.\n"
)

# KServe v2 datatype <-> torch dtype <-> Triton config data_type.
KSERVE_DTYPE = {
    torch.bool: "BOOL",
    torch.uint8: "UINT8",
    torch.int8: "INT8",
    torch.int16: "INT16",
    torch.int32: "INT32",
    torch.int64: "INT64",
    torch.float16: "FP16",
    torch.float32: "FP32",
    torch.float64: "FP64",
}
CONFIG_DTYPE = {
    "BOOL": "TYPE_BOOL",
    "UINT8": "TYPE_UINT8",
    "INT8": "TYPE_INT8",
    "INT16": "TYPE_INT16",
    "INT32": "TYPE_INT32",
    "INT64": "TYPE_INT64",
    "FP16": "TYPE_FP16",
    "FP32": "TYPE_FP32",
    "FP64": "TYPE_FP64",
    "BYTES": "TYPE_STRING",
}


# ---------------------------------------------------------------------------
# Models. Each is scripted with torch.jit.script in eval mode.
# ---------------------------------------------------------------------------


class Simple(torch.nn.Module):
    """Triton's quick-start `simple`: OUTPUT0 = a + b, OUTPUT1 = a - b."""

    def forward(self, INPUT0: torch.Tensor,
                INPUT1: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return INPUT0 + INPUT1, INPUT0 - INPUT1


class DigitsCnn(torch.nn.Module):
    """[N,1,8,8] pixels in 0..1 -> (logits [N,10], probabilities [N,10])."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 16, kernel_size=3, padding=1)
        self.conv2 = torch.nn.Conv2d(16, 32, kernel_size=3, padding=1)
        self.fc = torch.nn.Linear(32 * 4 * 4, 10)

    def forward(self,
                input: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        x = F.relu(self.conv1(input))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        logits = self.fc(torch.flatten(x, 1))
        return logits, torch.softmax(logits, dim=1)


class AllDtypes(torch.nn.Module):
    """Identity for every dtype libtorch and KServe v2 share."""

    def forward(self, IN_INT8: torch.Tensor, IN_INT16: torch.Tensor,
                IN_INT32: torch.Tensor, IN_INT64: torch.Tensor,
                IN_UINT8: torch.Tensor, IN_FP16: torch.Tensor,
                IN_FP32: torch.Tensor, IN_FP64: torch.Tensor,
                IN_BOOL: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {
            "OUT_INT8": IN_INT8.clone(),
            "OUT_INT16": IN_INT16.clone(),
            "OUT_INT32": IN_INT32.clone(),
            "OUT_INT64": IN_INT64.clone(),
            "OUT_UINT8": IN_UINT8.clone(),
            "OUT_FP16": IN_FP16.clone(),
            "OUT_FP32": IN_FP32.clone(),
            "OUT_FP64": IN_FP64.clone(),
            "OUT_BOOL": IN_BOOL.clone(),
        }


class IndexNamed(torch.nn.Module):
    """Argument names differ from INPUT__0/INPUT__1: mapped by index."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> List[torch.Tensor]:
        return [x * y, x + y]


class StringLength(torch.nn.Module):
    """Length of each string (TorchScript counts code points)."""

    def forward(self, TEXT: List[str]) -> torch.Tensor:
        lengths: List[int] = [len(s) for s in TEXT]
        return torch.tensor(lengths, dtype=torch.int64)


class SingleOutput(torch.nn.Module):
    """y = x^T * 2, returned as a bare Tensor."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.t() * 2


# text_classifier: sizes of the transformer encoder.
TEXT_VOCAB = 2048
TEXT_DIM = 128
TEXT_LAYERS = 2
TEXT_HEADS = 4
TEXT_FF = 256
TEXT_MAX_LEN = 128


class EncoderLayer(torch.nn.Module):
    """Pre-norm transformer encoder layer: self-attention over the positions
    whose mask is 1, then a GELU feed-forward block."""

    def __init__(self, dim: int, heads: int, ff: int):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.norm1 = torch.nn.LayerNorm(dim)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.norm2 = torch.nn.LayerNorm(dim)
        self.ff1 = torch.nn.Linear(dim, ff)
        self.ff2 = torch.nn.Linear(ff, dim)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        # x [B, L, D]; key_bias [B, 1, 1, L]: 0 for tokens, -1e9 for padding.
        b, length, dim = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, length, 3, self.heads,
                                              self.head_dim)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # [3, B, H, L, Dh]
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale + key_bias
        attended = torch.matmul(torch.softmax(scores, dim=-1), v)
        x = x + self.proj(attended.transpose(1, 2).reshape(b, length, dim))
        return x + self.ff2(F.gelu(self.ff1(self.norm2(x))))


class TextClassifier(torch.nn.Module):
    """(input_ids [B, L] INT64, attention_mask [B, L] INT64) -> logits [B, 2].

    Token and learned position embeddings, TEXT_LAYERS encoder layers, mean
    pooling over the positions whose mask is non-zero, a linear head.
    Sequences are right-padded: position p of every row is embedded as p.
    Padding (mask 0) never changes the logits of a row, whatever its token
    ids: padded keys get a -1e9 attention bias (exp() of it is exactly 0)
    and padded positions are left out of the pooling. A row whose mask is all
    zeros gets the head's bias.
    """

    def __init__(self):
        super().__init__()
        self.vocab_size = TEXT_VOCAB
        self.max_length = TEXT_MAX_LEN
        self.tokens = torch.nn.Embedding(TEXT_VOCAB, TEXT_DIM)
        self.positions = torch.nn.Embedding(TEXT_MAX_LEN, TEXT_DIM)
        self.layers = torch.nn.ModuleList(
            [EncoderLayer(TEXT_DIM, TEXT_HEADS, TEXT_FF)
             for _ in range(TEXT_LAYERS)])
        self.norm = torch.nn.LayerNorm(TEXT_DIM)
        self.head = torch.nn.Linear(TEXT_DIM, 2)

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        if input_ids.dim() != 2 or input_ids.shape != attention_mask.shape:
            raise ValueError("input_ids and attention_mask must both be "
                             "[batch, sequence length] of the same shape")
        length = input_ids.shape[1]
        if length > self.max_length:
            raise ValueError("sequence length " + str(length) +
                             " exceeds the maximum of " +
                             str(self.max_length))
        keep = attention_mask != 0
        # Padding may hold any id; only real tokens must be in the vocabulary.
        ids = torch.where(keep, input_ids, torch.zeros_like(input_ids))
        if bool(((ids < 0) | (ids >= self.vocab_size)).any()):
            raise ValueError("input_ids must lie in [0, " +
                             str(self.vocab_size) + ")")
        positions = torch.arange(length, device=input_ids.device)
        x = self.tokens(ids) + self.positions(positions).unsqueeze(0)
        mask = keep.to(x.dtype)
        key_bias = ((1.0 - mask) * -1e9).unsqueeze(1).unsqueeze(2)
        for layer in self.layers:
            x = layer(x, key_bias)
        x = self.norm(x)
        weights = mask.unsqueeze(2)
        pooled = (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
        return self.head(pooled)


# ---------------------------------------------------------------------------
# config.pbtxt
# ---------------------------------------------------------------------------


def tensor_config(name: str, datatype: str, dims: List[int]) -> str:
    dims_text = ", ".join(str(d) for d in dims)
    return ("  {\n"
            f"    name: \"{name}\"\n"
            f"    data_type: {CONFIG_DTYPE[datatype]}\n"
            f"    dims: [ {dims_text} ]\n"
            "  }")


def model_config(name: str, max_batch_size: int, inputs, outputs,
                 backend: str = "", instance_group: bool = False,
                 max_queue_delay_us: int = 0) -> str:
    """Triton ModelConfig text format. inputs/outputs: (name, dtype, dims).
    max_queue_delay_us > 0 adds a dynamic_batching block with that delay."""
    lines = [f"name: \"{name}\""]
    if backend:
        lines.append(f"backend: \"{backend}\"")
    else:
        lines.append("platform: \"pytorch_libtorch\"")
    lines.append(f"max_batch_size: {max_batch_size}")
    lines.append("input [\n" +
                 ",\n".join(tensor_config(*t) for t in inputs) + "\n]")
    lines.append("output [\n" +
                 ",\n".join(tensor_config(*t) for t in outputs) + "\n]")
    if max_queue_delay_us > 0:
        lines.append("dynamic_batching {\n"
                     f"  max_queue_delay_microseconds: {max_queue_delay_us}\n"
                     "}")
    if instance_group:
        lines.append("instance_group [ { count: 1 kind: KIND_CPU } ]")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Goldens
# ---------------------------------------------------------------------------


def tensor_json(value) -> dict:
    """KServe v2 JSON tensor: datatype, shape, flat row-major data."""
    if isinstance(value, list):  # List[str] -> BYTES
        return {"datatype": "BYTES", "shape": [len(value)],
                "data": list(value)}
    value = value.detach().contiguous()
    data = value.reshape(-1).tolist()
    for x in data:
        if isinstance(x, float) and not math.isfinite(x):
            raise ValueError("golden values must be finite for JSON")
    return {"datatype": KSERVE_DTYPE[value.dtype], "shape": list(value.shape),
            "data": data}


def normalize_outputs(result, output_names: List[str]):
    """Maps a TorchScript result (Tensor, tuple, list or dict) to names."""
    if isinstance(result, dict):
        return {name: result[name] for name in output_names}
    if isinstance(result, torch.Tensor):
        result = (result,)
    if len(result) != len(output_names):
        raise ValueError(f"model returned {len(result)} outputs, config "
                         f"declares {len(output_names)}")
    return dict(zip(output_names, result))


def run_model(model, input_names: List[str], output_names: List[str],
              inputs: Dict[str, object]) -> Dict[str, object]:
    with torch.no_grad():
        result = model(*[inputs[name] for name in input_names])
    return normalize_outputs(result, output_names)


class ModelSpec:
    """One model: its module, config, and the inputs of its golden cases."""

    def __init__(self, name, module, max_batch_size, inputs, outputs,
                 cases, backend="", instance_group=False,
                 max_queue_delay_us=0):
        self.name = name
        self.module = module
        self.max_batch_size = max_batch_size
        self.inputs = inputs    # [(name, datatype, dims)]
        self.outputs = outputs  # [(name, datatype, dims)]
        self.cases = cases      # [{input name: tensor or List[str]}]
        self.backend = backend
        self.instance_group = instance_group
        self.max_queue_delay_us = max_queue_delay_us

    @property
    def input_names(self):
        return [t[0] for t in self.inputs]

    @property
    def output_names(self):
        return [t[0] for t in self.outputs]


def save_model(spec: ModelSpec, repository: str) -> str:
    model_dir = os.path.join(repository, spec.name)
    os.makedirs(os.path.join(model_dir, "1"), exist_ok=True)
    with open(os.path.join(model_dir, "config.pbtxt"), "w") as f:
        f.write(model_config(spec.name, spec.max_batch_size, spec.inputs,
                             spec.outputs, spec.backend, spec.instance_group,
                             spec.max_queue_delay_us))
    path = os.path.join(model_dir, "1", "model.pt")
    scripted = torch.jit.script(spec.module.eval())
    torch.jit.save(scripted, path)
    return path


def check_shape(spec: ModelSpec, kind: str, name: str, datatype: str,
                shape: List[int]):
    """Checks a golden tensor against the config (batch dim when batching)."""
    declared = {t[0]: t for t in (spec.inputs if kind == "input"
                                  else spec.outputs)}[name]
    dims = list(declared[2])
    if spec.max_batch_size > 0:
        if not 1 <= shape[0] <= spec.max_batch_size:
            raise AssertionError(f"{spec.name} {kind} {name}: batch "
                                 f"{shape[0]} outside 1..{spec.max_batch_size}")
        shape = shape[1:]
    if datatype != declared[1]:
        raise AssertionError(f"{spec.name} {kind} {name}: datatype "
                             f"{datatype} != config {declared[1]}")
    if len(shape) != len(dims) or any(d != -1 and d != s
                                       for d, s in zip(dims, shape)):
        raise AssertionError(f"{spec.name} {kind} {name}: shape {shape} does "
                             f"not match config dims {dims}")


def golden_cases(spec: ModelSpec, model_path: str) -> list:
    """Runs the saved file (reloaded) on each case; checks it against config
    and against the in-memory module."""
    loaded = torch.jit.load(model_path)
    loaded.eval()
    cases = []
    for case_inputs in spec.cases:
        outputs = run_model(loaded, spec.input_names, spec.output_names,
                            case_inputs)
        reference = run_model(spec.module, spec.input_names,
                              spec.output_names, case_inputs)
        case = {"inputs": {}, "outputs": {}}
        for name in spec.input_names:
            t = tensor_json(case_inputs[name])
            check_shape(spec, "input", name, t["datatype"], t["shape"])
            case["inputs"][name] = t
        for name in spec.output_names:
            t = tensor_json(outputs[name])
            check_shape(spec, "output", name, t["datatype"], t["shape"])
            if t != tensor_json(reference[name]):
                raise AssertionError(f"{spec.name}: reloaded model output "
                                     f"{name} differs from the module")
            case["outputs"][name] = t
        cases.append(case)
    return cases


def verify_goldens(spec: ModelSpec, model_path: str, cases: list):
    """Reloads the model again and replays the goldens from their JSON."""
    loaded = torch.jit.load(model_path)
    loaded.eval()
    torch_dtype = {v: k for k, v in KSERVE_DTYPE.items()}
    for case in json.loads(json.dumps(cases)):
        inputs = {}
        for name, t in case["inputs"].items():
            if t["datatype"] == "BYTES":
                inputs[name] = list(t["data"])
            else:
                inputs[name] = torch.tensor(
                    t["data"], dtype=torch_dtype[t["datatype"]]).reshape(
                        t["shape"])
        outputs = run_model(loaded, spec.input_names, spec.output_names,
                            inputs)
        for name, expected in case["outputs"].items():
            if tensor_json(outputs[name]) != expected:
                raise AssertionError(f"{spec.name}: golden for {name} does "
                                     "not reproduce")


# ---------------------------------------------------------------------------
# Digits training
# ---------------------------------------------------------------------------


def load_digits() -> Tuple[np.ndarray, np.ndarray]:
    root = os.environ.get("INFERD_DEPS_DATA", "/var/lib/inferd-deps")
    path = os.path.join(root, "sklearn", "digits.csv.gz")
    if not os.path.exists(path):
        sys.exit(f"digits data set not found at {path}; run "
                 "scripts/install-deps.sh or set INFERD_DEPS_DATA")
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 65:
        sys.exit(f"{path}: expected rows of 65 numbers, got {table.shape}")
    images = (table[:, :64] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    labels = table[:, 64].astype(np.int64)
    return images, labels


def train_digits(images: np.ndarray, labels: np.ndarray):
    """Trains on the first 80% (after a seeded shuffle); returns the model,
    the held-out images and labels, and the held-out accuracy."""
    order = np.random.RandomState(SEED).permutation(len(labels))
    n_test = int(round(len(labels) * TEST_FRACTION))
    train_idx, test_idx = order[:-n_test], order[-n_test:]
    x_train = torch.from_numpy(images[train_idx])
    y_train = torch.from_numpy(labels[train_idx])
    x_test = torch.from_numpy(images[test_idx])
    y_test = torch.from_numpy(labels[test_idx])

    torch.manual_seed(SEED)
    model = DigitsCnn()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(SEED)
    model.train()
    for _ in range(15):
        perm = torch.randperm(len(y_train), generator=generator)
        for start in range(0, len(perm), 32):
            batch = perm[start:start + 32]
            optimizer.zero_grad()
            logits, _ = model(x_train[batch])
            F.cross_entropy(logits, y_train[batch]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(x_test)[0].argmax(dim=1)
    accuracy = (predicted == y_test).double().mean().item()
    return model, x_test, y_test, accuracy


# ---------------------------------------------------------------------------
# text_classifier training: a synthetic sentiment task
# ---------------------------------------------------------------------------

# Token ids: 0 is padding, 1..9 unused, POSITIVE and NEGATIVE are the
# sentiment lexicon, every other id is a neutral word. The label is 1
# ("positive") when a sequence holds more positive than negative words, 0 when
# fewer; ties are not generated.
TEXT_POSITIVE = range(10, 60)
TEXT_NEGATIVE = range(60, 110)
TEXT_NEUTRAL = range(110, TEXT_VOCAB)
TEXT_TRAIN_STEPS = 150
TEXT_TRAIN_BATCH = 32
TEXT_TRAIN_LENGTHS = (4, 24)   # short sequences keep training cheap
TEXT_TEST_LENGTHS = (4, 64)    # held out: also longer than any in training
TEXT_TEST_SAMPLES = 500


def text_sequences(rng: np.random.RandomState, count: int,
                   lengths: Tuple[int, int]) -> Tuple[list, np.ndarray]:
    """Sequences of token ids (each leaning positive or negative, 30% of the
    words from the lexicon) and their majority labels."""
    positive = np.array(TEXT_POSITIVE)
    negative = np.array(TEXT_NEGATIVE)
    neutral = np.array(TEXT_NEUTRAL)
    sequences, labels = [], []
    while len(sequences) < count:
        length = rng.randint(lengths[0], lengths[1] + 1)
        lean_positive = 0.7 if rng.randint(2) else 0.3
        sentiment = rng.rand(length) < 0.3
        is_positive = rng.rand(length) < lean_positive
        ids = np.where(sentiment,
                       np.where(is_positive, rng.choice(positive, length),
                                rng.choice(negative, length)),
                       rng.choice(neutral, length))
        margin = int((sentiment & is_positive).sum() -
                     (sentiment & ~is_positive).sum())
        if margin == 0:
            continue
        sequences.append(ids.astype(np.int64))
        labels.append(1 if margin > 0 else 0)
    return sequences, np.array(labels, dtype=np.int64)


def pad_sequences(sequences: list) -> Tuple[torch.Tensor, torch.Tensor]:
    """Right-pads with id 0 to the longest: (input_ids, attention_mask)."""
    length = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), length), dtype=np.int64)
    mask = np.zeros((len(sequences), length), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, :len(sequence)] = sequence
        mask[row, :len(sequence)] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def train_text_classifier():
    """Trains on fresh batches from a seeded generator; returns the model,
    the held-out sequences and the held-out accuracy."""
    rng = np.random.RandomState(SEED + 1)
    count = TEXT_TRAIN_STEPS * TEXT_TRAIN_BATCH
    train_x, train_y = text_sequences(rng, count, TEXT_TRAIN_LENGTHS)
    test_x, test_y = text_sequences(rng, TEXT_TEST_SAMPLES, TEXT_TEST_LENGTHS)

    torch.manual_seed(SEED)
    model = TextClassifier()
    # Small position embeddings: positions past the training lengths stay
    # close to neutral instead of random noise.
    torch.nn.init.normal_(model.positions.weight, std=0.02)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.LambdaLR(  # linear decay to 0
        optimizer, lambda step: 1.0 - step / TEXT_TRAIN_STEPS)
    model.train()
    for step in range(TEXT_TRAIN_STEPS):
        rows = slice(step * TEXT_TRAIN_BATCH, (step + 1) * TEXT_TRAIN_BATCH)
        ids, mask = pad_sequences(train_x[rows])
        optimizer.zero_grad()
        F.cross_entropy(model(ids, mask),
                        torch.from_numpy(train_y[rows])).backward()
        optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([
            model(*pad_sequences(test_x[start:start + 100])).argmax(dim=1)
            for start in range(0, len(test_x), 100)])
    accuracy = (predicted == torch.from_numpy(test_y)).double().mean().item()
    return model, test_x, accuracy


def check_text_classifier(path: str, module: TextClassifier):
    """The saved file handles any sequence length, and padding (mask 0, any
    token id) never changes a row's logits."""
    loaded = torch.jit.load(path)
    loaded.eval()
    rng = np.random.RandomState(SEED + 2)
    tolerance = dict(rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        for length in (3, 17, 64, TEXT_MAX_LEN):
            ids = torch.from_numpy(rng.randint(1, TEXT_VOCAB, (2, length)))
            mask = torch.ones_like(ids)
            logits = loaded(ids, mask)
            if list(logits.shape) != [2, 2] or not torch.equal(
                    logits, module(ids, mask)):
                raise AssertionError(f"text_classifier: length {length} "
                                     "differs after reload")
            # The same rows padded by 9 positions of random ids, mask 0.
            noise = torch.from_numpy(rng.randint(0, TEXT_VOCAB, (2, 9)))
            if length + 9 <= TEXT_MAX_LEN:
                padded = loaded(torch.cat([ids, noise], dim=1),
                                torch.cat([mask, torch.zeros_like(noise)],
                                          dim=1))
                if not torch.allclose(padded, logits, **tolerance):
                    raise AssertionError(f"text_classifier: padding changes "
                                         f"logits at length {length}")
            # Each row alone equals its row in a batch padded to the longest.
            short = ids[1:, :max(1, length // 2)]
            batch_ids = torch.cat([ids[:1], torch.cat(
                [short, noise[:1, :1].expand(1, length - short.shape[1])],
                dim=1)])
            batch_mask = torch.cat([mask[:1], torch.cat(
                [torch.ones_like(short),
                 torch.zeros(1, length - short.shape[1], dtype=torch.int64)],
                dim=1)])
            batched = loaded(batch_ids, batch_mask)
            alone = torch.cat([loaded(ids[:1], mask[:1]),
                               loaded(short, torch.ones_like(short))])
            if not torch.allclose(batched, alone, **tolerance):
                raise AssertionError("text_classifier: batched rows differ "
                                     f"from single rows at length {length}")
        try:
            too_long = torch.zeros(1, TEXT_MAX_LEN + 1, dtype=torch.int64)
            loaded(too_long, torch.ones_like(too_long))
        except Exception as e:  # torch.jit.Error
            if "exceeds the maximum" not in str(e):
                raise
        else:
            raise AssertionError("text_classifier: accepted a sequence "
                                 "longer than its position table")


# ---------------------------------------------------------------------------
# Model specs
# ---------------------------------------------------------------------------


def simple_spec() -> ModelSpec:
    one = {
        "INPUT0": torch.arange(16, dtype=torch.int32).reshape(1, 16),
        "INPUT1": torch.ones(1, 16, dtype=torch.int32),
    }
    g = torch.Generator().manual_seed(SEED)
    three = {
        "INPUT0": torch.randint(-1000, 1000, (3, 16), generator=g,
                                dtype=torch.int32),
        "INPUT1": torch.randint(-1000, 1000, (3, 16), generator=g,
                                dtype=torch.int32),
    }
    io = [("INPUT0", "INT32", [16]), ("INPUT1", "INT32", [16])]
    out = [("OUTPUT0", "INT32", [16]), ("OUTPUT1", "INT32", [16])]
    return ModelSpec("simple", Simple(), 8, io, out, [one, three])


def digits_spec(model, x_test) -> ModelSpec:
    cases = [{"input": x_test[0:1].clone()}, {"input": x_test[1:4].clone()}]
    return ModelSpec("digits", model, 64, [("input", "FP32", [1, 8, 8])],
                     [("logits", "FP32", [10]),
                      ("probabilities", "FP32", [10])],
                     cases, instance_group=True)


def text_classifier_spec(model, test_x) -> ModelSpec:
    """Cases: one held-out sequence, and three padded to the longest."""
    cases = []
    for sequences in (test_x[0:1], test_x[1:4]):
        input_ids, attention_mask = pad_sequences(sequences)
        cases.append({"input_ids": input_ids,
                      "attention_mask": attention_mask})
    return ModelSpec("text_classifier", model, 64,
                     [("input_ids", "INT64", [-1]),
                      ("attention_mask", "INT64", [-1])],
                     [("logits", "FP32", [2])], cases,
                     instance_group=True, max_queue_delay_us=2000)


def all_dtypes_spec() -> ModelSpec:
    types = [("INT8", torch.int8), ("INT16", torch.int16),
             ("INT32", torch.int32), ("INT64", torch.int64),
             ("UINT8", torch.uint8), ("FP16", torch.float16),
             ("FP32", torch.float32), ("FP64", torch.float64),
             ("BOOL", torch.bool)]
    # Case 1: ordinary values. Case 2: each type's extremes. Every float value
    # is exactly representable in its type (FP16 included), so JSON round trips
    # are exact.
    ordinary = {
        "INT8": [-3, 0, 7, 42], "INT16": [-300, 0, 7, 1234],
        "INT32": [-70000, 0, 7, 123456], "INT64": [-5000000000, 0, 7, 1 << 40],
        "UINT8": [0, 1, 128, 200], "FP16": [-1.5, 0.0, 0.25, 1024.0],
        "FP32": [-2.5, 0.0, 0.125, 3.75], "FP64": [-0.5, 0.0, 1.0, 1e300],
        "BOOL": [True, False, True, True],
    }
    extremes = {
        "INT8": [-128, 127], "INT16": [-32768, 32767],
        "INT32": [-2147483648, 2147483647],
        "INT64": [-9223372036854775808, 9223372036854775807],
        "UINT8": [0, 255], "FP16": [-65504.0, 0.0009765625],
        "FP32": [-3.4028234663852886e+38, 1.1754943508222875e-38],
        "FP64": [-1.7976931348623157e+308, 2.2250738585072014e-308],
        "BOOL": [False, True],
    }
    cases = []
    for values in (ordinary, extremes):
        case = {}
        for kserve, dtype in types:
            t = torch.tensor(values[kserve], dtype=dtype)
            assert t.tolist() == values[kserve], kserve  # exactly representable
            case["IN_" + kserve] = t
        cases.append(case)
    return ModelSpec("all_dtypes", AllDtypes(), 0,
                     [("IN_" + k, k, [-1]) for k, _ in types],
                     [("OUT_" + k, k, [-1]) for k, _ in types], cases)


def index_named_spec() -> ModelSpec:
    cases = [
        {"INPUT__0": torch.tensor([[1.0, 2.0, 3.0, 4.0]]),
         "INPUT__1": torch.tensor([[0.5, -1.0, 2.0, 0.0]])},
        {"INPUT__0": torch.tensor([[1.5, -2.0, 0.25, 8.0],
                                   [3.0, 3.0, -3.0, 0.5]]),
         "INPUT__1": torch.tensor([[2.0, 0.5, 4.0, -0.125],
                                   [1.0, -1.0, 10.0, 6.0]])},
    ]
    io = [("INPUT__0", "FP32", [4]), ("INPUT__1", "FP32", [4])]
    out = [("OUTPUT__0", "FP32", [4]), ("OUTPUT__1", "FP32", [4])]
    return ModelSpec("index_named", IndexNamed(), 4, io, out, cases)


def string_length_spec() -> ModelSpec:
    cases = [{"TEXT": ["hello", "", "inferd serves models"]},
             {"TEXT": ["a"]}]
    return ModelSpec("string_length", StringLength(), 0,
                     [("TEXT", "BYTES", [-1])],
                     [("LENGTHS", "INT64", [-1])], cases)


def single_output_spec() -> ModelSpec:
    cases = [{"x": torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, -6.5]])}]
    return ModelSpec("single_output", SingleOutput(), 0,
                     [("x", "FP32", [2, 3])], [("y", "FP32", [3, 2])], cases,
                     backend="pytorch")


# ---------------------------------------------------------------------------
# Task-pipeline models: config parameters and asset files beside config.pbtxt
# ---------------------------------------------------------------------------

TASK_MODELS = (embedder_model, ner_model, recommender_model, sentiment_model)


def task_spec(built: dict) -> ModelSpec:
    return ModelSpec(built["name"], built["module"], built["max_batch_size"],
                     built["inputs"], built["outputs"], built["cases"],
                     instance_group=True,
                     max_queue_delay_us=built["max_queue_delay_us"])


def write_task_files(built: dict, model_path: str, goldens: str):
    """Adds the task parameters to config.pbtxt, writes the assets, and
    goldens/NAME.task.json from the reloaded TorchScript file."""
    model_dir = os.path.dirname(os.path.dirname(model_path))
    entries = ",\n".join(
        f"  {{ key: \"{key}\" value: {{ string_value: \"{value}\" }} }}"
        for key, value in built["parameters"].items())
    with open(os.path.join(model_dir, "config.pbtxt"), "a") as f:
        f.write("parameters [\n" + entries + "\n]\n")
    for filename, text in built["assets"].items():
        with open(os.path.join(model_dir, filename), "w") as f:
            f.write(text)
    loaded = torch.jit.load(model_path)
    loaded.eval()
    write_json(os.path.join(goldens, built["name"] + ".task.json"),
               built["task_goldens"](loaded))


# ---------------------------------------------------------------------------


def write_json(path: str, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True,
                        help="output folder, e.g. build/examples")
    args = parser.parse_args()

    started = time.monotonic()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    np.random.seed(SEED)

    out = args.out
    model_repository = os.path.join(out, "model_repository")
    test_repository = os.path.join(out, "test_repository")
    goldens = os.path.join(out, "goldens")
    for path in (model_repository, test_repository, goldens):
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)

    images, labels = load_digits()
    digits_model, x_test, y_test, accuracy = train_digits(images, labels)
    print(f"digits: held-out test accuracy {accuracy:.4f} "
          f"({len(y_test)} samples)")
    write_json(os.path.join(goldens, "digits_accuracy.json"),
               {"test_accuracy": round(accuracy, 4),
                "test_samples": int(len(y_test))})

    text_model, text_test_x, text_accuracy = train_text_classifier()
    print(f"text_classifier: held-out test accuracy {text_accuracy:.4f} "
          f"({len(text_test_x)} samples)")
    write_json(os.path.join(goldens, "text_classifier_accuracy.json"),
               {"test_accuracy": round(text_accuracy, 4),
                "test_samples": len(text_test_x)})

    task_models = {}
    for module in TASK_MODELS:
        built = module.build()
        task_models[built["name"]] = built
        print(f"{built['name']}: {built['summary']}")

    repositories = [
        (model_repository, [simple_spec(), digits_spec(digits_model, x_test),
                            text_classifier_spec(text_model, text_test_x)] +
         [task_spec(built) for built in task_models.values()]),
        (test_repository, [simple_spec(), all_dtypes_spec(),
                           index_named_spec(), string_length_spec(),
                           single_output_spec(),
                           text_classifier_spec(text_model, text_test_x),
                           slow_model.slow_spec(ModelSpec),
                           failing_model.failing_spec(ModelSpec)]),
    ]
    written = {}
    for repository, specs in repositories:
        for spec in specs:
            path = save_model(spec, repository)
            cases = golden_cases(spec, path)
            verify_goldens(spec, path, cases)
            if spec.name == "text_classifier":
                check_text_classifier(path, spec.module)
            if spec.name in written and written[spec.name] != cases:
                raise AssertionError(f"{spec.name}: goldens differ between "
                                     "repositories")
            written[spec.name] = cases
            write_json(os.path.join(goldens, spec.name + ".json"), cases)
            if spec.name in task_models:
                write_task_files(task_models[spec.name], path, goldens)
            print(f"{os.path.relpath(path, out)}: {len(cases)} golden cases")

    slow_model.write_config(test_repository)
    for repository, names in ((model_repository, ["simple_string"]),
                              (test_repository, list(string_models.MODELS))):
        for name, path in zip(names, string_models.build(repository, names)):
            string_models.check(path, name)
            print(f"{os.path.relpath(path, out)}: checked")
    # Image task examples (issue 4): own modules, own goldens.
    digits_image.build(model_repository, goldens, digits_model, x_test,
                       y_test)
    shapes.build(model_repository, goldens)
    print(f"chat: {chat_model.build(model_repository, goldens)}")

    with open(os.path.join(goldens, "README"), "w") as f:
        f.write(TOLERANCE_NOTE)
    print(f"done in {time.monotonic() - started:.1f} s: {out}")


if __name__ == "__main__":
    main()
