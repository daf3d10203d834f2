#!/usr/bin/python3
"""Resident memory of `inferd serve` with a GGUF file, against its bound.

    bench/llm/load_rss.py [--streams 16] [--tokens 128] FILE.gguf [FILE.gguf ...]

For each file, the real binary (build/inferd, or INFERD_BIN) serves it alone
(`--model FILE`); this script reads the process's VmRSS from /proc:
  - after load (the model READY);
  - after one 64-token completion, which reads every weight once;
  - its peak (VmHWM) after STREAMS concurrent completions of TOKENS tokens.
The bound is the file's size + the KV cache (the
inferd_llm_kv_cache_capacity_bytes metric) + 100 MB: weights are used in
place from the mapped file, never copied or dequantized, and the KV cache
is the only other large allocation. Prints a Markdown table (MB = 10^6
bytes).
"""

import argparse
import os
import re
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "e2e"))
from inferd_server import InferdServer  # noqa: E402

SLACK_BYTES = 100 * 10**6


def status_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no %s in /proc/%d/status" % (field, pid))


def complete(server, model, tokens, prompt):
    client = server.new_client(timeout=600)
    try:
        status, body = client.json("POST", "/v1/completions", {
            "model": model, "prompt": prompt, "max_tokens": tokens,
            "temperature": 0, "ignore_eos": True})
    finally:
        client.close()
    if status != 200:
        raise RuntimeError("completion failed: %s %r" % (status, body))


def kv_capacity(server, model):
    status, headers, body = server.request("GET", "/metrics")
    if status != 200:
        raise RuntimeError("/metrics answered %s" % status)
    pattern = r'^inferd_llm_kv_cache_capacity_bytes\{model="%s",[^}]*\} (\S+)$' % re.escape(model)
    match = re.search(pattern, body.decode(), re.M)
    if not match:
        raise RuntimeError("no KV cache capacity for %s in /metrics" % model)
    return int(float(match.group(1)))


def measure(path, streams, tokens):
    model = os.path.basename(path)[:-len(".gguf")]
    with tempfile.TemporaryDirectory() as repo:
        server = InferdServer(repo, extra_args=["--model", path]).start()
        try:
            pid = server.proc.pid
            loaded = status_kb(pid, "VmRSS")
            kv = kv_capacity(server, model)
            complete(server, model, 64, "Once upon a time")
            warm = status_kb(pid, "VmRSS")
            threads = [threading.Thread(target=complete,
                                        args=(server, model, tokens, "Stream %d says" % i))
                       for i in range(streams)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            peak = status_kb(pid, "VmHWM")
        finally:
            server.stop()
    size = os.path.getsize(path)
    return {"file": model, "size": size, "kv": kv, "bound": size + kv + SLACK_BYTES,
            "loaded": loaded, "warm": warm, "peak": peak}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    mb = lambda b: "%.0f" % (b / 1e6)  # noqa: E731
    print("| file | file MB | KV cache MB | bound MB | RSS after load | after one completion "
          "| peak, %d streams x %d tokens | peak within bound |" % (args.streams, args.tokens))
    print("|---|---|---|---|---|---|---|---|")
    for path in args.files:
        r = measure(path, args.streams, args.tokens)
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["file"], mb(r["size"]), mb(r["kv"]), mb(r["bound"]), mb(r["loaded"]),
            mb(r["warm"]), mb(r["peak"]), "yes" if r["peak"] <= r["bound"] else "**no**"),
            flush=True)


if __name__ == "__main__":
    main()
