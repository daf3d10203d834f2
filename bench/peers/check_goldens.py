#!/usr/bin/python3
"""Checks a running server's KServe v2 JSON infer answers against goldens.

    bench/peers/check_goldens.py --url http://127.0.0.1:8082 \
        --model text_classifier --goldens build/examples/goldens

Posts every case of GOLDENS/MODEL.json (written by
examples/build_model_repository.py) to URL/v2/models/MODEL/infer and
compares each output: same datatype and shape, integers exactly, floats
within |actual - expected| <= 1e-5 + 1e-4 * |expected| (goldens/README).
Exits 0 when every case matches, 1 with the first difference otherwise.
Standard library only: works against inferd and the peers alike.
"""

import argparse
import json
import sys
import urllib.error
import urllib.request


def post(url: str, body: dict, timeout: float) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def flatten(data) -> list:
    flat = []
    for value in data:
        if isinstance(value, list):
            flat.extend(flatten(value))
        else:
            flat.append(value)
    return flat


def compare(name: str, actual: dict, expected: dict) -> str:
    """Empty when they match, else what differs."""
    if actual.get("datatype") != expected["datatype"]:
        return f"{name}: datatype {actual.get('datatype')} != " \
               f"{expected['datatype']}"
    if actual.get("shape") != expected["shape"]:
        return f"{name}: shape {actual.get('shape')} != {expected['shape']}"
    got, want = flatten(actual.get("data", [])), expected["data"]
    if len(got) != len(want):
        return f"{name}: {len(got)} values, expected {len(want)}"
    floating = expected["datatype"] in ("FP16", "FP32", "FP64")
    for i, (a, e) in enumerate(zip(got, want)):
        if floating:
            if abs(a - e) > 1e-5 + 1e-4 * abs(e):
                return f"{name}[{i}]: {a} != {e}"
        elif a != e:
            return f"{name}[{i}]: {a} != {e}"
    return ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True,
                        help="server base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--model", required=True)
    parser.add_argument("--goldens", default="build/examples/goldens",
                        help="goldens folder (default build/examples/goldens)")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    with open(f"{args.goldens}/{args.model}.json") as f:
        cases = json.load(f)
    url = f"{args.url.rstrip('/')}/v2/models/{args.model}/infer"
    for number, case in enumerate(cases):
        body = {"inputs": [dict(name=name, **tensor)
                           for name, tensor in case["inputs"].items()]}
        try:
            response = post(url, body, args.timeout)
        except (urllib.error.URLError, OSError, ValueError) as e:
            sys.exit(f"{args.model} case {number}: {url}: {e}")
        outputs = {o.get("name"): o for o in response.get("outputs", [])}
        for name, expected in case["outputs"].items():
            if name not in outputs:
                print(f"{args.model} case {number}: output {name} missing: "
                      f"{response}", file=sys.stderr)
                sys.exit(1)
            difference = compare(name, outputs[name], expected)
            if difference:
                print(f"{args.model} case {number}: {difference}",
                      file=sys.stderr)
                sys.exit(1)
    if not args.quiet:
        print(f"{args.model}: {len(cases)} golden cases match at {url}")


if __name__ == "__main__":
    main()
