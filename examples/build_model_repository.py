#!/usr/bin/python3
"""Builds the example and test model repositories plus their golden values.

Run with Debian's interpreter, which has python3-torch:

    /usr/bin/python3 examples/build_model_repository.py --out build/examples

Writes, under --out:

  model_repository/  models users serve (Triton layout: NAME/config.pbtxt,
                     NAME/1/model.pt saved with torch.jit.save)
                       simple  Triton quick-start model: sum and difference
                       digits  small CNN trained on the sklearn digits set
  test_repository/   extra models only the end-to-end tests load
                       simple, all_dtypes, index_named, string_length,
                       single_output
  goldens/NAME.json  cases {"inputs": {...}, "outputs": {...}} in KServe v2
                     JSON tensor form, computed by reloading each saved
                     TorchScript file with torch.jit.load
  goldens/digits_accuracy.json  held-out accuracy of the digits model
  goldens/README     how to compare outputs against the goldens

Deterministic: fixed seeds, one intra-op thread, a fixed train/test split.
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
# come out byte-identical on every build.
if os.environ.get("PYTHONHASHSEED") != "0" and __name__ == "__main__":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

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
                 backend: str = "", instance_group: bool = False) -> str:
    """Triton ModelConfig text format. inputs/outputs: (name, dtype, dims)."""
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
                 cases, backend="", instance_group=False):
        self.name = name
        self.module = module
        self.max_batch_size = max_batch_size
        self.inputs = inputs    # [(name, datatype, dims)]
        self.outputs = outputs  # [(name, datatype, dims)]
        self.cases = cases      # [{input name: tensor or List[str]}]
        self.backend = backend
        self.instance_group = instance_group

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
                             spec.outputs, spec.backend, spec.instance_group))
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

    repositories = [
        (model_repository, [simple_spec(), digits_spec(digits_model, x_test)]),
        (test_repository, [simple_spec(), all_dtypes_spec(),
                           index_named_spec(), string_length_spec(),
                           single_output_spec()]),
    ]
    written = {}
    for repository, specs in repositories:
        for spec in specs:
            path = save_model(spec, repository)
            cases = golden_cases(spec, path)
            verify_goldens(spec, path, cases)
            if spec.name in written and written[spec.name] != cases:
                raise AssertionError(f"{spec.name}: goldens differ between "
                                     "repositories")
            written[spec.name] = cases
            write_json(os.path.join(goldens, spec.name + ".json"), cases)
            print(f"{os.path.relpath(path, out)}: {len(cases)} golden cases")

    with open(os.path.join(goldens, "README"), "w") as f:
        f.write(TOLERANCE_NOTE)
    print(f"done in {time.monotonic() - started:.1f} s: {out}")


if __name__ == "__main__":
    main()
