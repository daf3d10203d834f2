#!/usr/bin/python3
"""Builds the tiny GGUF models of the engine's other architectures and their
float64 goldens: qwen3, gemma2, gemma3, phi3, mistral (llama with a sliding
window) and llama with linear and YaRN RoPE scaling.

    /usr/bin/python3 scripts/llm/make_arch_models.py --out tests/data/llm

Weights are seeded random (no training: the goldens check the arithmetic,
not the text), the tokenizer is the tiny SentencePiece one of
make_test_models.py. The reference forward pass below follows each
architecture's Hugging Face modelling code (not the engine's), in float64 over
the weights as written (dequantised), and writes `<file>.golden` in
make_test_models.py's format: prompt ids, last-position logits, greedy ids.

GGUF stores Gemma's norm weights as 1 + w (llama.cpp's converter adds the
one); the reference applies Hugging Face's x * (1 + w) to w = stored - 1.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
import make_test_models as mtm  # noqa: E402
import tiny_tokenizers as tt  # noqa: E402


class Arch:
    """One tiny model: hyperparameters and the features its family adds."""

    def __init__(self, name, arch, vocab, dim=64, layers=2, heads=4,
                 kv_heads=2, head_dim=16, ffn=96, ctx=64, base=10000.0,
                 eps=1e-5, rope_dims=None, neox=False, bias=False,
                 qk_norm=False, gemma=False, fused=False, tied=False,
                 window=0, swa_pattern=0, attn_cap=0.0, final_cap=0.0,
                 scaling=None, swa_base=None, types=("f32",), embd_scale=1.0,
                 longrope=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.rope_dims = rope_dims or head_dim

    def sliding(self, layer):
        if not self.window:
            return False
        n = self.swa_pattern
        return n == 0 or layer % n < n - 1


def init_weights(a, gen):
    def w(*shape, scale=None):
        s = scale if scale is not None else 1.0 / math.sqrt(shape[-1])
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * s

    def norm(n):  # around 1, so that the weights matter
        return 1.0 + 0.2 * torch.randn(n, generator=gen, dtype=torch.float64)

    q, kv = a.heads * a.head_dim, a.kv_heads * a.head_dim
    p = {"token_embd.weight": w(a.vocab, a.dim, scale=a.embd_scale),
         "output_norm.weight": norm(a.dim)}
    if not a.tied:
        p["output.weight"] = w(a.vocab, a.dim)
    for l in range(a.layers):
        b = f"blk.{l}."
        p[b + "attn_norm.weight"] = norm(a.dim)
        if a.fused:
            p[b + "attn_qkv.weight"] = w(q + 2 * kv, a.dim)
        else:
            p[b + "attn_q.weight"] = w(q, a.dim)
            p[b + "attn_k.weight"] = w(kv, a.dim)
            p[b + "attn_v.weight"] = w(kv, a.dim)
        if a.bias:
            p[b + "attn_q.bias"] = w(q, scale=0.1)
            p[b + "attn_k.bias"] = w(kv, scale=0.1)
            p[b + "attn_v.bias"] = w(kv, scale=0.1)
        if a.qk_norm:
            p[b + "attn_q_norm.weight"] = norm(a.head_dim)
            p[b + "attn_k_norm.weight"] = norm(a.head_dim)
        p[b + "attn_output.weight"] = w(a.dim, q)
        p[b + "ffn_norm.weight"] = norm(a.dim)
        if a.fused:
            p[b + "ffn_up.weight"] = w(2 * a.ffn, a.dim)
        else:
            p[b + "ffn_gate.weight"] = w(a.ffn, a.dim)
            p[b + "ffn_up.weight"] = w(a.ffn, a.dim)
        p[b + "ffn_down.weight"] = w(a.dim, a.ffn)
        if a.gemma:
            p[b + "post_attention_norm.weight"] = norm(a.dim)
            p[b + "post_ffw_norm.weight"] = norm(a.dim)
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
                       ("attention.head_count_kv", a.kv_heads),
                       ("attention.key_length", a.head_dim),
                       ("attention.value_length", a.head_dim),
                       ("rope.dimension_count", a.rope_dims),
                       ("vocab_size", a.vocab)):
        w.add_u32(f"{n}.{key}", value)
    w.add_f32(f"{n}.attention.layer_norm_rms_epsilon", a.eps)
    w.add_f32(f"{n}.rope.freq_base", a.base)
    if a.window:
        w.add_u32(f"{n}.attention.sliding_window", a.window)
    if a.attn_cap:
        w.add_f32(f"{n}.attn_logit_softcapping", a.attn_cap)
    if a.final_cap:
        w.add_f32(f"{n}.final_logit_softcapping", a.final_cap)
    if a.longrope:
        w.add_u32(f"{n}.rope.scaling.original_context_length",
                  a.longrope["original"])
        w.add_f32(f"{n}.rope.scaling.attn_factor", a.longrope["attn"])
        for kind in ("long", "short"):
            w.add_tensor(f"rope_factors_{kind}.weight", gw.TYPE_F32,
                         [len(a.longrope[kind])],
                         np.asarray(a.longrope[kind], np.float32).tobytes())
    if a.scaling:
        w.add_str(f"{n}.rope.scaling.type", a.scaling["type"])
        w.add_f32(f"{n}.rope.scaling.factor", a.scaling["factor"])
        if "original" in a.scaling:
            w.add_u32(f"{n}.rope.scaling.original_context_length",
                      a.scaling["original"])
    w.add_str("tokenizer.ggml.model", "llama")
    w.add_str_array("tokenizer.ggml.tokens", tok.tokens)
    w.add_f32_array("tokenizer.ggml.scores", tok.scores)
    w.add_i32_array("tokenizer.ggml.token_type", tok.types)
    w.add_u32("tokenizer.ggml.bos_token_id", tok.bos)
    w.add_u32("tokenizer.ggml.eos_token_id", tok.eos)
    w.add_u32("tokenizer.ggml.unknown_token_id", 0)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    type_id = gw.TYPE_NAMES[type_name]
    deq = {}
    for name, value in weights.items():
        if value.ndim == 1:
            data, d = gw.quantize(value, gw.TYPE_F32)
            w.add_tensor(name, gw.TYPE_F32, [value.shape[0]], data)
        else:
            data, d = gw.quantize(value, type_id)
            w.add_tensor(name, type_id, [value.shape[1], value.shape[0]], data)
        deq[name] = d
    w.write(path)
    return deq


# ---- Reference forward pass (Hugging Face semantics, float64) ----

def yarn_inv_freq(dims, base, factor, original, beta_fast=32.0, beta_slow=1.0):
    """transformers' _compute_yarn_parameters: (inv_freq, attention factor)."""
    pos = base ** (torch.arange(0, dims, 2, dtype=torch.float64) / dims)
    extra, inter = 1.0 / pos, 1.0 / (factor * pos)

    def corr(rot):
        return (dims * math.log(original / (rot * 2 * math.pi))) / (
            2 * math.log(base))
    low = max(math.floor(corr(beta_fast)), 0)
    high = min(math.ceil(corr(beta_slow)), dims - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dims // 2, dtype=torch.float64) - low) /
            (high - low)).clamp(0, 1)
    extra_factor = 1 - ramp
    inv = inter * (1 - extra_factor) + extra * extra_factor
    return inv, 0.1 * math.log(factor) + 1.0


def rope_params(a, layer):
    """(inv_freq, cos/sin factor) of a layer."""
    dims = a.rope_dims
    if a.swa_base is not None and a.sliding(layer):  # gemma3 local layers
        return a.swa_base ** (-torch.arange(0, dims, 2, dtype=torch.float64)
                              / dims), 1.0
    inv = a.base ** (-torch.arange(0, dims, 2, dtype=torch.float64) / dims)
    if a.longrope:  # long factors: the engine's context exceeds the original
        factors = torch.tensor(np.float32(a.longrope["long"]).tolist(),
                               dtype=torch.float64)
        return inv / factors, float(np.float32(a.longrope["attn"]))
    s = a.scaling
    if s is None:
        return inv, 1.0
    if s["type"] == "linear":
        return inv / s["factor"], 1.0
    return yarn_inv_freq(dims, a.base, s["factor"], s["original"])


def rotate(x, inv, mscale, a):
    """x: [T, H, hd]; rotates the first rope_dims of each head."""
    T = x.shape[0]
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos = (torch.cos(ang) * mscale)[:, None, :]
    sin = (torch.sin(ang) * mscale)[:, None, :]
    r, rest = x[..., : a.rope_dims], x[..., a.rope_dims:]
    if a.neox:  # rotate_half
        h = a.rope_dims // 2
        x1, x2 = r[..., :h], r[..., h:]
        r = torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
    else:  # interleaved pairs (GGUF's llama layout)
        x1, x2 = r[..., 0::2], r[..., 1::2]
        out = torch.empty_like(r)
        out[..., 0::2] = x1 * cos - x2 * sin
        out[..., 1::2] = x1 * sin + x2 * cos
        r = out
    return torch.cat([r, rest], dim=-1)


def rmsnorm(x, w, eps, gemma):
    y = x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps)
    return y * (1.0 + (w - 1.0)) if gemma else y * w


def forward(p, a, ids):
    """Logits [T, vocab] for token ids [T]."""
    T = len(ids)
    x = p["token_embd.weight"][torch.tensor(ids)]
    if a.gemma:
        x = x * math.sqrt(a.dim)
    q_dim, kv_dim = a.heads * a.head_dim, a.kv_heads * a.head_dim
    group = a.heads // a.kv_heads
    scale = 1.0 / math.sqrt(a.head_dim)
    pos = torch.arange(T)
    causal = pos[None, :] <= pos[:, None]
    for l in range(a.layers):
        b = f"blk.{l}."
        h = rmsnorm(x, p[b + "attn_norm.weight"], a.eps, a.gemma)
        if a.fused:
            qkv = h @ p[b + "attn_qkv.weight"].T
            q, k, v = qkv.split([q_dim, kv_dim, kv_dim], dim=-1)
        else:
            q = h @ p[b + "attn_q.weight"].T
            k = h @ p[b + "attn_k.weight"].T
            v = h @ p[b + "attn_v.weight"].T
        if a.bias:
            q = q + p[b + "attn_q.bias"]
            k = k + p[b + "attn_k.bias"]
            v = v + p[b + "attn_v.bias"]
        q = q.view(T, a.heads, a.head_dim)
        k = k.view(T, a.kv_heads, a.head_dim)
        v = v.view(T, a.kv_heads, a.head_dim)
        if a.qk_norm:
            q = rmsnorm(q, p[b + "attn_q_norm.weight"], a.eps, a.gemma)
            k = rmsnorm(k, p[b + "attn_k_norm.weight"], a.eps, a.gemma)
        inv, mscale = rope_params(a, l)
        q, k = rotate(q, inv, mscale, a), rotate(k, inv, mscale, a)
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) * scale
        if a.attn_cap:
            s = torch.tanh(s / a.attn_cap) * a.attn_cap
        allowed = causal
        if a.sliding(l):
            allowed = allowed & (pos[:, None] - pos[None, :] < a.window)
        s = s.masked_fill(~allowed, float("-inf"))
        o = torch.einsum("hts,shd->thd", torch.softmax(s, -1), v)
        o = o.reshape(T, q_dim) @ p[b + "attn_output.weight"].T
        if a.gemma:
            o = rmsnorm(o, p[b + "post_attention_norm.weight"], a.eps, True)
        x = x + o
        h = rmsnorm(x, p[b + "ffn_norm.weight"], a.eps, a.gemma)
        if a.fused:
            g, u = (h @ p[b + "ffn_up.weight"].T).chunk(2, dim=-1)
        else:
            g = h @ p[b + "ffn_gate.weight"].T
            u = h @ p[b + "ffn_up.weight"].T
        if a.gemma:
            g = torch.nn.functional.gelu(g, approximate="tanh")
        else:
            g = torch.nn.functional.silu(g)
        f = (g * u) @ p[b + "ffn_down.weight"].T
        if a.gemma:
            f = rmsnorm(f, p[b + "post_ffw_norm.weight"], a.eps, True)
        x = x + f
    x = rmsnorm(x, p["output_norm.weight"], a.eps, a.gemma)
    out = p["token_embd.weight"] if a.tied else p["output.weight"]
    logits = x @ out.T
    if a.final_cap:
        logits = torch.tanh(logits / a.final_cap) * a.final_cap
    return logits


def write_golden(path, a, deq, prompts, max_new=8):
    p = {k: torch.from_numpy(v.astype(np.float64)) for k, v in deq.items()}
    lines = []
    with torch.no_grad():
        for ids in prompts:
            logits = forward(p, a, ids)[-1]
            seq = list(ids)
            for _ in range(max_new):
                seq.append(int(forward(p, a, seq)[-1].argmax()))
            greedy = seq[len(ids):]
            lines.append("prompt %d %s" % (len(ids), " ".join(map(str, ids))))
            lines.append("logits %d %s" % (len(logits), " ".join(
                "%.9g" % v for v in logits.tolist())))
            lines.append("greedy %d %s" % (len(greedy), " ".join(map(str, greedy))))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def models(vocab):
    return [
        Arch("tiny-qwen3", "qwen3", vocab, head_dim=24, base=1e6, eps=1e-6,
             neox=True, qk_norm=True, tied=True),
        # Windows of 5 and caps near the values' spread, so that both act.
        Arch("tiny-gemma2", "gemma2", vocab, layers=4, head_dim=24, eps=1e-6,
             neox=True, gemma=True, tied=True, window=5, swa_pattern=2,
             attn_cap=1.5, final_cap=2.0, embd_scale=0.125),
        Arch("tiny-gemma3", "gemma3", vocab, layers=6, kv_heads=1, eps=1e-6,
             neox=True, qk_norm=True, gemma=True, tied=True, window=5,
             swa_pattern=6, base=1e6, swa_base=10000.0,
             scaling={"type": "linear", "factor": 8.0}, embd_scale=0.125),
        Arch("tiny-phi3", "phi3", vocab, kv_heads=4, rope_dims=12, neox=True,
             fused=True, window=6, types=("f32", "q8_0")),
        Arch("tiny-mistral", "llama", vocab, window=5),
        Arch("tiny-llama-yarn", "llama", vocab,
             scaling={"type": "yarn", "factor": 4.0, "original": 16}),
        Arch("tiny-llama-linear", "llama", vocab,
             scaling={"type": "linear", "factor": 2.0}),
        # LongRoPE (Phi-3.5 / Phi-4-mini): per-pair divisors and attn_factor
        # sqrt(1 + ln(scale) / ln(original)) as the converter computes it.
        Arch("tiny-phi3-longrope", "phi3", vocab, kv_heads=4, rope_dims=12,
             neox=True, fused=True,
             longrope={"original": 16, "attn": math.sqrt(
                           1 + math.log(4.0) / math.log(16)),
                       "short": [1.0, 1.1, 1.3, 1.7, 2.2, 2.9],
                       "long": [1.0, 1.5, 2.5, 4.0, 6.0, 9.0]}),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/llm")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    tok = tt.SpmTokenizer(mtm.load_text()[:200000], vocab_size=512)
    for i, a in enumerate(models(len(tok.tokens))):
        gen = torch.Generator().manual_seed(4321 + i)
        weights = init_weights(a, gen)
        rng = np.random.default_rng(100 + i)
        prompts = [[tok.bos] + rng.integers(3, a.vocab, size=n).tolist()
                   for n in (22, 6)]
        for type_name in a.types:
            path = os.path.join(args.out, f"{a.name}-{type_name}.gguf")
            deq = write_model(path, a, tok, weights, type_name)
            write_golden(path + ".golden", a, deq, prompts)
            print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
