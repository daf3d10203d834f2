#!/usr/bin/python3
"""Checks every #include "..." in src/ against the layer table of docs/architecture.md.

A source file in src/<layer>/... may include headers of its own layer and of
the layers its table row allows, transitively. Includes of files that are
not one of our layers (absl/, boost/, a generated .pb.h in its layer's
folder...) are not ours to check. Tests (*_test.cc) and fakes (testing/
folders) are exempt. Prints one line per violation, naming the file, the
include and the rule, and exits 1 if there is any.

    scripts/check_layers.py [--root DIR]
"""

import argparse
import os
import re
import sys

ROW = re.compile(r"^\|\s*([a-z_]+)/\s*\|[^|]*\|\s*([^|]*)\|\s*$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')


def read_table(path):
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = ROW.match(line)
            if not m:
                continue
            deps = [d.strip().rstrip("/") for d in m.group(2).split(",")]
            allowed[m.group(1)] = {d for d in deps if re.fullmatch(r"[a-z_]+", d)}
    if not allowed:
        sys.exit("check_layers: no layer table found in %s" % path)
    return allowed


def closure(allowed):
    full = {}
    for layer in allowed:
        seen, todo = set(), list(allowed[layer])
        while todo:
            d = todo.pop()
            if d in seen:
                continue
            seen.add(d)
            todo.extend(allowed.get(d, ()))
        full[layer] = seen | {layer}
    return full


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = p.parse_args()
    table = read_table(os.path.join(args.root, "docs", "architecture.md"))
    reach = closure(table)
    src = os.path.join(args.root, "src")
    violations, checked = [], 0
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        if rel == "." or "testing" in rel.split(os.sep):
            continue
        layer = rel.split(os.sep)[0]
        if layer not in table:
            violations.append("src/%s: folder is not a layer of docs/architecture.md" % rel)
            dirnames[:] = []
            continue
        for name in sorted(filenames):
            if not name.endswith((".h", ".cc")) or name.endswith("_test.cc"):
                continue
            path = os.path.join(dirpath, name)
            checked += 1
            with open(path, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) not in table:
                        continue
                    target = m.group(1)
                    if target not in reach[layer]:
                        violations.append(
                            "src/%s:%d: includes \"%s\": %s/ may include only %s" % (
                                os.path.join(rel, name), number, line.strip().split('"')[1],
                                layer, ", ".join(sorted(table[layer])) or "nothing of ours"))
    for v in violations:
        print(v)
    print("check_layers: %d files checked, %d violations" % (checked, len(violations)))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
