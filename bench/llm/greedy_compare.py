#!/usr/bin/python3
"""Greedy tokens of inferd and llama.cpp's llama-server on the same GGUF file.

    bench/llm/greedy_compare.py --inferd build/inferd \
        --llama-server llama.cpp/build/bin/llama-server FILE.gguf [FILE.gguf ...]

For each file, each server in turn (one at a time, 2 threads) continues the
same prompt of PROMPT random token ids by TOKENS tokens, greedy, end of
sequence ignored: llama-server through /completion with return_tokens,
inferd through /v1/completions with logprobs (token texts). The files are
those of make_llm_bench_model, whose vocabulary names token i "t<i>" for
i >= 259, so a text maps back to its id. Prints, per file, how many leading
tokens agree and the first divergence.
"""

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.load(resp)


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as resp:
        return resp.status, json.load(resp)


def wait_ready(port, path, proc):
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit("server exited early")
        try:
            if get(port, path)[0] == 200:
                return
        except Exception:
            pass
        time.sleep(0.2)
    sys.exit("server did not become ready")


def piece_id(text):
    m = re.fullmatch(r"t(\d+)", text)
    return int(m.group(1)) if m else text


def llama_tokens(binary, path, prompt, n, threads, log):
    port = free_port()
    proc = subprocess.Popen([binary, "-m", path, "-t", str(threads), "-c", "512", "-np", "1",
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, "/health", proc)
        out = post(port, "/completion", {"prompt": prompt, "n_predict": n, "temperature": 0,
                                         "top_k": 1, "ignore_eos": True, "return_tokens": True,
                                         "cache_prompt": False})
        return list(out["tokens"])
    finally:
        proc.terminate()
        proc.wait()


def inferd_tokens(binary, path, prompt, n, threads, log, workdir):
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--model", path, "--http-port", str(port),
                             "--grpc-port", "0", "--host", "127.0.0.1", "--data-dir", workdir,
                             "--log-level", "warn"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, "/v2/health/ready", proc)
        _, models = get(port, "/v1/models")
        model = models["data"][0]["id"]
        out = post(port, "/v1/completions", {"model": model, "prompt": prompt, "max_tokens": n,
                                             "temperature": 0, "logprobs": 1, "ignore_eos": True})
        return [piece_id(t) for t in out["choices"][0]["logprobs"]["tokens"]]
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inferd", required=True)
    ap.add_argument("--llama-server", required=True)
    ap.add_argument("--prompt-tokens", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    prompt = [1] + [rng.randrange(259, 32000) for _ in range(args.prompt_tokens - 1)]
    print("prompt ids:", prompt)
    print("| file | tokens agreeing (of %d) | first divergence: llama.cpp / inferd |" % args.tokens)
    print("|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        log = open(os.path.join(work, "servers.log"), "w")
        for path in args.files:
            want = llama_tokens(args.llama_server, path, prompt, args.tokens, args.threads, log)
            got = inferd_tokens(args.inferd, path, prompt, args.tokens, args.threads, log,
                                os.path.join(work, "data"))
            same = 0
            while same < min(len(want), len(got)) and want[same] == got[same]:
                same += 1
            where = "none" if same == len(want) == len(got) else "token %d: %s / %s" % (
                same, want[same] if same < len(want) else "-", got[same] if same < len(got) else "-")
            print("| %s | %d | %s |" % (os.path.basename(path), same, where))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
