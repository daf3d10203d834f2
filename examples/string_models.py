"""String (BYTES) example and test models.

  simple_string   Triton's string quick-start model: INPUT0 and INPUT1 are
                  BYTES [16] holding decimal integers; OUTPUT0 is their sum
                  and OUTPUT1 their difference, as decimal strings.
                  max_batch_size 8, dynamic batching.
  string_upper    test model: OUTPUT0 = INPUT0 upper-cased, element-wise,
                  dims [-1, -1] (any 2-D shape per row), dynamic batching.
                  The model returns a flat List[str]; the server gives the
                  answer the request's shape.
  string_pairs    test model: INPUT0 BYTES [2] -> OUTPUT0 BYTES [2], the two
                  strings of each row swapped, returned as nested lists
                  (List[List[str]], one list a row), dynamic batching.
  string_split    test model: INPUT0 and OUTPUT0 are BYTES [1]; the model
                  returns the comma-separated parts of each string, so an
                  input with a comma gets an answer that disagrees with the
                  config (a server error, 500, naming model and output).

The models return a flat List[str] in row-major order, as Triton's
TorchScript string models do, except string_pairs (nested lists). build_model_repository.py writes
simple_string into the example repository and all three into the test
repository; the end-to-end tests may also build them into a folder of their
own with `python3 examples/string_models.py --out DIR`.
"""

import argparse
import os
from typing import List, Tuple

import torch


class SimpleString(torch.nn.Module):
    def forward(self, INPUT0: List[str],
                INPUT1: List[str]) -> Tuple[List[str], List[str]]:
        total: List[str] = []
        difference: List[str] = []
        for i in range(len(INPUT0)):
            a = int(INPUT0[i])
            b = int(INPUT1[i])
            total.append(str(a + b))
            difference.append(str(a - b))
        return total, difference


class StringSplit(torch.nn.Module):
    def forward(self, INPUT0: List[str]) -> List[str]:
        parts: List[str] = []
        for s in INPUT0:
            parts.extend(s.split(","))
        return parts


class StringPairs(torch.nn.Module):
    def forward(self, INPUT0: List[str]) -> List[List[str]]:
        rows: List[List[str]] = []
        for i in range(0, len(INPUT0) - 1, 2):
            rows.append([INPUT0[i + 1], INPUT0[i]])
        return rows


class StringUpper(torch.nn.Module):
    def forward(self, INPUT0: List[str]) -> List[str]:
        return [s.upper() for s in INPUT0]


def _tensor(name: str, dims: List[int]) -> str:
    return (f'  {{\n    name: "{name}"\n    data_type: TYPE_STRING\n'
            f'    dims: [ {", ".join(str(d) for d in dims)} ]\n  }}')


def _config(name: str, inputs, outputs, batching: bool = True) -> str:
    lines = [f'name: "{name}"', 'platform: "pytorch_libtorch"',
             "max_batch_size: 8",
             "input [\n" + ",\n".join(_tensor(*t) for t in inputs) + "\n]",
             "output [\n" + ",\n".join(_tensor(*t) for t in outputs) + "\n]"]
    if batching:
        lines.append("dynamic_batching {\n  max_queue_delay_microseconds: 2000\n}")
    return "\n".join(lines) + "\n"


MODELS = {
    "simple_string": (SimpleString, [("INPUT0", [16]), ("INPUT1", [16])],
                      [("OUTPUT0", [16]), ("OUTPUT1", [16])]),
    "string_upper": (StringUpper, [("INPUT0", [-1, -1])],
                     [("OUTPUT0", [-1, -1])]),
    "string_pairs": (StringPairs, [("INPUT0", [2])], [("OUTPUT0", [2])]),
    "string_split": (StringSplit, [("INPUT0", [1])], [("OUTPUT0", [1])]),
}


def write_model(repository: str, name: str) -> str:
    module, inputs, outputs = MODELS[name]
    folder = os.path.join(repository, name)
    os.makedirs(os.path.join(folder, "1"), exist_ok=True)
    with open(os.path.join(folder, "config.pbtxt"), "w") as f:
        f.write(_config(name, inputs, outputs))
    path = os.path.join(folder, "1", "model.pt")
    torch.jit.save(torch.jit.script(module().eval()), path)
    return path


def build(repository: str, names=None) -> List[str]:
    """Writes the named models (all by default) into `repository`."""
    return [write_model(repository, name) for name in (names or MODELS)]


def check(path: str, name: str):
    """Reloads a saved model and checks one answer."""
    model = torch.jit.load(path)
    if name == "simple_string":
        total, difference = model([str(i) for i in range(16)], ["1"] * 16)
        assert total == [str(i + 1) for i in range(16)], total
        assert difference == [str(i - 1) for i in range(16)], difference
    elif name == "string_pairs":
        assert model(["a", "b", "c", "d"]) == [["b", "a"], ["d", "c"]]
    elif name == "string_split":
        assert model(["a,b", "c"]) == ["a", "b", "c"]
    else:
        assert model(["ab", "c"]) == ["AB", "C"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="model repository folder")
    parser.add_argument("names", nargs="*", help="models to write (default: all)")
    args = parser.parse_args()
    for model_name, model_path in zip(args.names or list(MODELS),
                                      build(args.out, args.names or None)):
        check(model_path, model_name)
        print(model_path)
