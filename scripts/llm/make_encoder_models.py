#!/usr/bin/python3
"""Builds the tiny GGUF embedding models (encoders: bert, nomic-bert) and
their float64 goldens.

    /usr/bin/python3 scripts/llm/make_encoder_models.py --out tests/data/llm

Weights are seeded random (no training: the goldens check the arithmetic).
The vocabulary is a small WordPiece one (examples/wordpiece_tokenizer.py,
uncased) written the way llama.cpp's converter writes BERT vocabularies:
word-start pieces with a leading U+2581, continuation pieces without "##",
special tokens as they are. The reference forward pass below follows the
Hugging Face modelling code of each architecture (BertModel; nomic-bert's
NomicBertModel: rotary q/k, SwiGLU), not the engine's, in float64 over the
weights as written (dequantised).

`<file>.golden`, per text:
    text <hex of the UTF-8 text>
    ids <n> <token ids, [CLS] ... [SEP], truncated to the context length>
    states <n*dim> <last hidden states, token after token>
    embedding <dim> <the file's pooling (mean or cls), L2-normalised>
"""

import argparse
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples"))
import gguf_writer as gw  # noqa: E402
import wordpiece_tokenizer as wp  # noqa: E402

WORDS = ["the", "a", "cat", "dog", "sat", "on", "mat", "run", "##ning", "##s",
         "quick", "brown", "fox", "jump", "##ed", "over", "lazy", "embed",
         "##ding", "model", "text", "hello", "world", "token", "##ize", "is",
         "are", "what", "how", "to", "make", "good", "bread", "search",
         "query", "document", "cafe"]

TEXTS = [
    "Hello world",
    "The quick brown fox jumped over the lazy dog.",
    "What is a good embedding model?",
    "cats",
    "How to make good bread: a search query, and a document!",
    "Caf\u00e9 RUNNING dogs",
    # Longer than both contexts: truncated to it, [SEP] kept.
    " ".join(["the quick brown fox jumped over the lazy dog"] * 8),
]

GGUF_SPECIAL_TYPE = 3  # control
GGUF_NORMAL_TYPE = 1


class Arch:
    def __init__(self, name, arch, dim=32, layers=2, heads=4, ffn=64, ctx=40,
                 eps=1e-12, pooling=1, base=1000.0, types=("f32",)):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.head_dim = dim // heads
        self.nomic = arch == "nomic-bert"


def phantom(token):
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def init_weights(a, vocab, gen):
    def w(*shape, scale=None):
        s = scale if scale is not None else 1.0 / math.sqrt(shape[-1])
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * s

    def norm(n):
        return 1.0 + 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)

    def bias(n):
        return 0.1 * torch.randn(n, generator=gen, dtype=torch.float64)

    d, f = a.dim, a.ffn
    p = {"token_embd.weight": w(vocab, d, scale=1.0),
         "token_types.weight": w(2, d, scale=0.5),
         "token_embd_norm.weight": norm(d),
         "token_embd_norm.bias": bias(d)}
    if not a.nomic:
        p["position_embd.weight"] = w(a.ctx, d, scale=0.5)
    for l in range(a.layers):
        b = f"blk.{l}."
        if a.nomic:
            p[b + "attn_qkv.weight"] = w(3 * d, d)
        else:
            for n in "qkv":
                p[b + f"attn_{n}.weight"] = w(d, d)
                p[b + f"attn_{n}.bias"] = bias(d)
            p[b + "attn_output.bias"] = bias(d)
            p[b + "ffn_up.bias"] = bias(f)
            p[b + "ffn_down.bias"] = bias(d)
        p[b + "attn_output.weight"] = w(d, d)
        p[b + "attn_output_norm.weight"] = norm(d)
        p[b + "attn_output_norm.bias"] = bias(d)
        p[b + "ffn_up.weight"] = w(f, d)
        if a.nomic:
            p[b + "ffn_gate.weight"] = w(f, d)
        p[b + "ffn_down.weight"] = w(d, f)
        p[b + "layer_output_norm.weight"] = norm(d)
        p[b + "layer_output_norm.bias"] = bias(d)
    return {k: v.numpy().astype(np.float32) for k, v in p.items()}


def write_model(path, a, tok, weights, type_name):
    """Writes the GGUF; returns the dequantised weights it holds."""
    w = gw.GgufWriter()
    n = a.arch
    w.add_str("general.architecture", n)
    w.add_str("general.name", os.path.basename(path))
    for key, value in (("context_length", a.ctx), ("embedding_length", a.dim),
                       ("block_count", a.layers),
                       ("feed_forward_length", a.ffn),
                       ("attention.head_count", a.heads),
                       ("pooling_type", a.pooling)):
        w.add_u32(f"{n}.{key}", value)
    w.add_f32(f"{n}.attention.layer_norm_epsilon", a.eps)
    w.add_bool(f"{n}.attention.causal", False)
    if a.nomic:
        w.add_f32(f"{n}.rope.freq_base", a.base)
    tokens = [tok.tokens[i] for i in range(len(tok))]
    w.add_str("tokenizer.ggml.model", "bert")
    w.add_str_array("tokenizer.ggml.tokens", [phantom(t) for t in tokens])
    w.add_i32_array("tokenizer.ggml.token_type",
                    [GGUF_SPECIAL_TYPE if t in wp.SPECIAL_TOKENS
                     else GGUF_NORMAL_TYPE for t in tokens])
    w.add_u32("tokenizer.ggml.token_type_count", 2)
    w.add_u32("tokenizer.ggml.bos_token_id", wp.CLS_ID)
    w.add_u32("tokenizer.ggml.seperator_token_id", wp.SEP_ID)
    w.add_u32("tokenizer.ggml.unknown_token_id", wp.UNK_ID)
    w.add_u32("tokenizer.ggml.padding_token_id", wp.PAD_ID)
    type_id = gw.TYPE_NAMES[type_name]
    deq = {}
    for name, value in weights.items():
        if value.ndim == 1 or name in ("position_embd.weight",
                                       "token_types.weight"):
            kind = gw.TYPE_F32
        else:
            kind = type_id
        data, d = gw.quantize(value, kind)
        w.add_tensor(name, kind, list(reversed(value.shape)), data)
        deq[name] = d
    w.write(path)
    return deq


# ---- Reference forward pass (Hugging Face semantics, float64) ----

def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def rotate_neox(x, base):
    """x: [T, H, hd]; NomicBert's non-interleaved rotary embedding."""
    T, _, hd = x.shape
    inv = base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


def forward(p, a, ids):
    """Last hidden states [T, dim] of one text."""
    T, d, H, hd = len(ids), a.dim, a.heads, a.head_dim
    x = p["token_embd.weight"][torch.tensor(ids)] + p["token_types.weight"][0]
    if not a.nomic:
        x = x + p["position_embd.weight"][:T]
    x = layer_norm(x, p["token_embd_norm.weight"], p["token_embd_norm.bias"],
                   a.eps)
    for l in range(a.layers):
        b = f"blk.{l}."
        if a.nomic:
            q, k, v = (x @ p[b + "attn_qkv.weight"].T).split(d, dim=-1)
        else:
            q, k, v = (x @ p[b + f"attn_{n}.weight"].T + p[b + f"attn_{n}.bias"]
                       for n in "qkv")
        q, k, v = (t.view(T, H, hd) for t in (q, k, v))
        if a.nomic:
            q, k = rotate_neox(q, a.base), rotate_neox(k, a.base)
        s = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
        o = torch.einsum("hts,shd->thd", torch.softmax(s, -1), v).reshape(T, d)
        o = o @ p[b + "attn_output.weight"].T
        if not a.nomic:
            o = o + p[b + "attn_output.bias"]
        x = layer_norm(x + o, p[b + "attn_output_norm.weight"],
                       p[b + "attn_output_norm.bias"], a.eps)
        if a.nomic:
            h = (x @ p[b + "ffn_up.weight"].T) * torch.nn.functional.silu(
                x @ p[b + "ffn_gate.weight"].T)
            f = h @ p[b + "ffn_down.weight"].T
        else:
            h = torch.nn.functional.gelu(
                x @ p[b + "ffn_up.weight"].T + p[b + "ffn_up.bias"])
            f = h @ p[b + "ffn_down.weight"].T + p[b + "ffn_down.bias"]
        x = layer_norm(x + f, p[b + "layer_output_norm.weight"],
                       p[b + "layer_output_norm.bias"], a.eps)
    return x


def encode(tok, text, ctx):
    """[CLS] pieces [SEP], the pieces truncated so the whole fits ctx."""
    normalized = text.replace("\u00e9", "e")  # BertNormalizer strips accents
    ids, _ = tok.encode(normalized)
    pieces = ids[1:-1][: ctx - 2]
    return [wp.CLS_ID] + pieces + [wp.SEP_ID]


def write_golden(path, a, tok, deq):
    p = {k: torch.from_numpy(v.astype(np.float64)) for k, v in deq.items()}
    lines = []
    with torch.no_grad():
        for text in TEXTS:
            ids = encode(tok, text, a.ctx)
            states = forward(p, a, ids)
            pooled = states[0] if a.pooling == 2 else states.mean(0)
            pooled = pooled / pooled.norm()
            lines.append("text " + text.encode("utf-8").hex())
            lines.append("ids %d %s" % (len(ids), " ".join(map(str, ids))))
            flat = states.reshape(-1).tolist()
            lines.append("states %d %s" % (len(flat), " ".join(
                "%.9g" % v for v in flat)))
            lines.append("embedding %d %s" % (a.dim, " ".join(
                "%.9g" % v for v in pooled.tolist())))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def models():
    return [
        Arch("tiny-bert", "bert", pooling=2, types=("f32", "q8_0")),
        Arch("tiny-nomic-bert", "nomic-bert", ctx=48, pooling=1, eps=1e-5),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/llm")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    # An uncased vocabulary, as BERT's uncased ones are: no upper-case
    # letters (inferd reads "uncased" from that; GGUF has no key for it).
    chars = [c for c in wp.character_pieces() if c == c.lower()]
    tok = wp.WordPiece(WORDS + chars, lowercase=True)
    for i, a in enumerate(models()):
        gen = torch.Generator().manual_seed(9876 + i)
        weights = init_weights(a, len(tok), gen)
        for type_name in a.types:
            path = os.path.join(args.out, f"{a.name}-{type_name}.gguf")
            deq = write_model(path, a, tok, weights, type_name)
            write_golden(path + ".golden", a, tok, deq)
            print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
