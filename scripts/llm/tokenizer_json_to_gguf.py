#!/usr/bin/python3
"""Writes a vocabulary-only GGUF from a Hugging Face tokenizer.json, as
llama.cpp's converter would, so that inferd's GGUF tokenizer can be checked
against @huggingface/tokenizers on the same vocabulary (a test tool: the
files are not committed).

    /usr/bin/python3 scripts/llm/tokenizer_json_to_gguf.py tokenizer.json \
        out.gguf --pre qwen2            # byte-level BPE ("gpt2" model)
    /usr/bin/python3 scripts/llm/tokenizer_json_to_gguf.py tokenizer.json \
        out.gguf --spm                  # SentencePiece-style BPE (gemma)

For --spm, tokenizer.json has merges but no piece scores (llama.cpp reads
them from tokenizer.model): a piece scores minus the rank of the first merge
that makes it, the order Hugging Face's converter wrote the merges in.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tokenizer_json")
    ap.add_argument("out")
    ap.add_argument("--pre", default=None)
    ap.add_argument("--spm", action="store_true")
    ap.add_argument("--bos", default=None, help="BOS token text")
    args = ap.parse_args()
    j = json.load(open(args.tokenizer_json, encoding="utf-8"))
    model = j["model"]
    vocab = dict(model["vocab"])
    special = {}
    for t in j.get("added_tokens", []):
        vocab[t["content"]] = t["id"]
        special[t["id"]] = t["special"]
    n = max(vocab.values()) + 1
    tokens = [f"[PAD{i}]" for i in range(n)]
    for text, i in vocab.items():
        tokens[i] = text
    types = [1] * n
    for i, is_special in special.items():
        types[i] = 3 if is_special else 4
    merges = [m if isinstance(m, str) else " ".join(m)
              for m in model.get("merges", [])]
    w = gw.GgufWriter()
    w.add_str("general.architecture", "llama")
    w.add_str_array("tokenizer.ggml.tokens", tokens)
    if args.spm:
        scores = [0.0] * n
        seen = set()
        for rank, m in enumerate(merges):
            a, b = m.split(" ", 1)
            i = vocab.get(a + b)
            if i is not None and i not in seen:
                seen.add(i)
                scores[i] = -float(rank)
        for i, t in enumerate(tokens):
            if len(t) == 6 and t.startswith("<0x") and t.endswith(">"):
                types[i] = 6
            elif i not in seen and len(t) > 1 and types[i] == 1:
                scores[i] = -1e9  # no merge makes it
        w.add_str("tokenizer.ggml.model", "llama")
        w.add_f32_array("tokenizer.ggml.scores", scores)
        w.add_bool("tokenizer.ggml.add_space_prefix", False)
    else:
        w.add_str("tokenizer.ggml.model", "gpt2")
        if args.pre is not None:
            w.add_str("tokenizer.ggml.pre", args.pre)
        w.add_str_array("tokenizer.ggml.merges", merges)
    w.add_i32_array("tokenizer.ggml.token_type", types)
    if args.bos is not None:
        w.add_u32("tokenizer.ggml.bos_token_id", vocab[args.bos])
    w.write(args.out)


if __name__ == "__main__":
    main()
