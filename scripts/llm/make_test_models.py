#!/usr/bin/python3
"""Builds the tiny GGUF test models of inferd's LLM engine and their goldens.

Run with Debian's /usr/bin/python3 (python3-torch, python3-numpy,
python3-regex) and the fortunes-min text:

    /usr/bin/python3 scripts/llm/make_test_models.py --out tests/data/llm

It trains, on the fortune files, a tiny llama-architecture model with a
SentencePiece-style tokenizer and a tiny qwen2-architecture model (q/k/v
biases, tied embeddings, NeoX RoPE) with a byte-level BPE tokenizer, writes
each in F32, F16, BF16, Q8_0 and Q4_0 with our own GGUF writer, plus one
llama file with llama3-style rope_freqs. For every file a float64 PyTorch
reference forward pass over the *dequantised* weights writes `<file>.golden`:

    prompt <n> <ids...>
    logits <vocab> <last-position logits...>
    greedy <n> <ids...>      (16 greedy tokens after the prompt)

and for each tokenizer `<model>.tokens` lines `<hex utf-8 text> <ids...>`.
Deterministic for a given torch build (fixed seeds, 2 threads).

Its pieces (Config, train, write_model, write_golden) also build the example
chat model, examples/chat_model.py.
"""

import argparse
import glob
import math
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
import tiny_tokenizers as tt  # noqa: E402

FORTUNES = "/usr/share/games/fortunes"
PROMPTS = ["The quick brown fox", "Q: What is the meaning of life?\nA:"]
TOKENIZER_TEXTS = [
    "", " ", "Hello world", " Hello  world ", "don't STOP'S we'll",
    "1234567 apples, 89 pears!", "line one\nline two\n\n\tindented",
    "caf\u00e9 na\u00efve \u00bd \U0001f999 \u043d\u0435\u0449\u043e",
    "What is the meaning of life?", "<s> not special",
]
TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0"]


def load_text():
    parts = []
    for name in ("fortunes", "literature", "riddles"):
        path = os.path.join(FORTUNES, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                parts.append(f.read().replace("\n%\n", "\n\n"))
    if not parts:
        sys.exit(f"no fortune files in {FORTUNES}: apt-get install fortunes-min")
    return "\n".join(parts)


class Config:
    def __init__(self, arch, vocab, dim=64, layers=2, heads=4, kv_heads=2,
                 ffn=128, ctx=128, base=10000.0, eps=1e-5, tied=None,
                 embd_scale=0.5):
        self.arch, self.vocab, self.dim, self.layers = arch, vocab, dim, layers
        self.heads, self.kv_heads, self.ffn, self.ctx = heads, kv_heads, ffn, ctx
        self.base, self.eps = base, eps
        self.head_dim = dim // heads
        self.neox = arch == "qwen2"
        self.bias = arch == "qwen2"
        # Tied: the output projection is token_embd (no output.weight).
        self.tied = arch == "qwen2" if tied is None else tied
        self.embd_scale = embd_scale  # standard deviation of token_embd at init


def init_weights(cfg, gen):
    def w(*shape, scale=None):
        s = scale if scale is not None else 1.0 / math.sqrt(shape[-1])
        return (torch.randn(*shape, generator=gen) * s).requires_grad_()
    p = {"token_embd.weight": w(cfg.vocab, cfg.dim, scale=cfg.embd_scale),
         "output_norm.weight": torch.ones(cfg.dim).requires_grad_()}
    if not cfg.tied:
        p["output.weight"] = w(cfg.vocab, cfg.dim)
    kv = cfg.kv_heads * cfg.head_dim
    for l in range(cfg.layers):
        b = f"blk.{l}."
        p[b + "attn_norm.weight"] = torch.ones(cfg.dim).requires_grad_()
        p[b + "attn_q.weight"] = w(cfg.dim, cfg.dim)
        p[b + "attn_k.weight"] = w(kv, cfg.dim)
        p[b + "attn_v.weight"] = w(kv, cfg.dim)
        p[b + "attn_output.weight"] = w(cfg.dim, cfg.dim)
        if cfg.bias:
            p[b + "attn_q.bias"] = w(cfg.dim, scale=0.1)
            p[b + "attn_k.bias"] = w(kv, scale=0.1)
            p[b + "attn_v.bias"] = w(kv, scale=0.1)
        p[b + "ffn_norm.weight"] = torch.ones(cfg.dim).requires_grad_()
        p[b + "ffn_gate.weight"] = w(cfg.ffn, cfg.dim)
        p[b + "ffn_up.weight"] = w(cfg.ffn, cfg.dim)
        p[b + "ffn_down.weight"] = w(cfg.dim, cfg.ffn)
    return p


def rope_freqs(cfg, factors=None):
    i = torch.arange(0, cfg.head_dim // 2, dtype=torch.float64)
    inv = cfg.base ** (-2.0 * i / cfg.head_dim)
    if factors is not None:
        inv = inv / torch.as_tensor(factors, dtype=torch.float64)
    return inv


def llama3_factors(cfg, factor=8.0, low=1.0, high=4.0, orig_ctx=32):
    out = []
    for f in rope_freqs(cfg).tolist():
        wavelen = 2 * math.pi / f
        if wavelen < orig_ctx / high:
            out.append(1.0)
        elif wavelen > orig_ctx / low:
            out.append(factor)
        else:
            smooth = (orig_ctx / wavelen - low) / (high - low)
            out.append(1.0 / ((1 - smooth) / factor + smooth))
    return out


def apply_rope(x, inv_freq, neox):
    # x: [..., T, H, hd]; position t rotates pair i by t * inv_freq[i].
    T, hd = x.shape[-3], x.shape[-1]
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq[None, :]
    cos = torch.cos(ang).to(x.dtype)[:, None, :]
    sin = torch.sin(ang).to(x.dtype)[:, None, :]
    if neox:
        a, b = x[..., : hd // 2], x[..., hd // 2:]
        return torch.cat([a * cos - b * sin, a * sin + b * cos], dim=-1)
    a, b = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def rmsnorm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w


def forward(p, cfg, tokens, inv_freq):
    """Logits [..., T, vocab] for token ids [..., T] (one sequence or a
    batch of equally long ones); dtype follows the weights."""
    x = p["token_embd.weight"][tokens]
    T = tokens.shape[-1]
    lead = tuple(tokens.shape[:-1])
    group = cfg.heads // cfg.kv_heads
    mask = torch.full((T, T), float("-inf"), dtype=x.dtype).triu(1)
    for l in range(cfg.layers):
        b = f"blk.{l}."
        h = rmsnorm(x, p[b + "attn_norm.weight"], cfg.eps)
        q = h @ p[b + "attn_q.weight"].T
        k = h @ p[b + "attn_k.weight"].T
        v = h @ p[b + "attn_v.weight"].T
        if cfg.bias:
            q = q + p[b + "attn_q.bias"]
            k = k + p[b + "attn_k.bias"]
            v = v + p[b + "attn_v.bias"]
        q = apply_rope(q.view(*lead, T, cfg.heads, cfg.head_dim), inv_freq, cfg.neox)
        k = apply_rope(k.view(*lead, T, cfg.kv_heads, cfg.head_dim), inv_freq, cfg.neox)
        v = v.view(*lead, T, cfg.kv_heads, cfg.head_dim)
        # Each kv head serves `group` query heads (repeat_interleave, but
        # with a cheap backward: a sum instead of an index_add).
        k = k.unsqueeze(-2).expand(*lead, T, cfg.kv_heads, group, cfg.head_dim)
        k = k.reshape(*lead, T, cfg.heads, cfg.head_dim)
        v = v.unsqueeze(-2).expand(*lead, T, cfg.kv_heads, group, cfg.head_dim)
        v = v.reshape(*lead, T, cfg.heads, cfg.head_dim)
        att = torch.einsum("...thd,...shd->...hts", q, k) / math.sqrt(cfg.head_dim)
        att = torch.softmax(att + mask, dim=-1)
        o = torch.einsum("...hts,...shd->...thd", att, v).reshape(*lead, T, cfg.dim)
        x = x + o @ p[b + "attn_output.weight"].T
        h = rmsnorm(x, p[b + "ffn_norm.weight"], cfg.eps)
        g = torch.nn.functional.silu(h @ p[b + "ffn_gate.weight"].T)
        x = x + (g * (h @ p[b + "ffn_up.weight"].T)) @ p[b + "ffn_down.weight"].T
    x = rmsnorm(x, p["output_norm.weight"], cfg.eps)
    out_w = p["token_embd.weight"] if cfg.tied else p["output.weight"]
    return x @ out_w.T


def train(cfg, ids, steps, seed, seq=48, batch=8, lr=3e-3, starts=None,
          batched=False, schedule=False, label=None):
    """AdamW on random windows of `seq` + 1 tokens of `ids`; returns float32
    numpy weights. `starts`: the offsets a window may begin at (default: any);
    `batched`: one forward pass over [batch, seq] instead of one per window
    (faster, rounds differently); `schedule`: warm up over the first 5% of
    the steps, then decay to lr / 10 along a cosine."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    p = init_weights(cfg, gen)
    opt = torch.optim.AdamW(p.values(), lr=lr, weight_decay=0.0)
    data = torch.tensor(ids, dtype=torch.long)
    if starts is not None:
        starts = torch.tensor(starts, dtype=torch.long)
        starts = starts[starts + seq + 1 <= len(data)]
    inv = rope_freqs(cfg)
    warmup = max(1, steps // 20)
    label = label or cfg.arch
    began = time.monotonic()
    for step in range(steps):
        if schedule:
            if step < warmup:
                scale = (step + 1) / warmup
            else:
                done = (step - warmup) / max(1, steps - warmup)
                scale = 0.1 + 0.45 * (1 + math.cos(math.pi * done))
            for group in opt.param_groups:
                group["lr"] = lr * scale
        if starts is None:
            picked = torch.randint(0, len(data) - seq - 1, (batch,), generator=gen)
        else:
            picked = starts[torch.randint(0, len(starts), (batch,), generator=gen)]
        if batched:
            chunks = torch.stack([data[s: s + seq + 1] for s in picked.tolist()])
            logits = forward(p, cfg, chunks[:, :-1], inv)
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, cfg.vocab), chunks[:, 1:].reshape(-1))
        else:
            loss = 0.0
            for s in picked.tolist():
                chunk = data[s: s + seq + 1]
                logits = forward(p, cfg, chunk[:-1], inv)
                loss = loss + torch.nn.functional.cross_entropy(logits, chunk[1:])
            loss = loss / batch
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"  {label} step {step} loss {loss.item():.3f} "
                  f"({time.monotonic() - began:.0f} s)", flush=True)
    return {k: v.detach().numpy().astype(np.float32) for k, v in p.items()}


def write_model(path, cfg, tok, weights, type_name, factors=None,
                overrides=None, chat_template=None):
    """Writes the GGUF; returns the dequantised weights it holds."""
    a = cfg.arch
    w = gw.GgufWriter()
    w.add_str("general.architecture", a)
    w.add_str("general.name", os.path.basename(path))
    w.add_u32(f"{a}.context_length", cfg.ctx)
    w.add_u32(f"{a}.embedding_length", cfg.dim)
    w.add_u32(f"{a}.block_count", cfg.layers)
    w.add_u32(f"{a}.feed_forward_length", cfg.ffn)
    w.add_u32(f"{a}.attention.head_count", cfg.heads)
    w.add_u32(f"{a}.attention.head_count_kv", cfg.kv_heads)
    w.add_f32(f"{a}.attention.layer_norm_rms_epsilon", cfg.eps)
    w.add_f32(f"{a}.rope.freq_base", cfg.base)
    w.add_u32(f"{a}.rope.dimension_count", cfg.head_dim)
    w.add_u32(f"{a}.vocab_size", cfg.vocab)
    if isinstance(tok, tt.SpmTokenizer):
        w.add_str("tokenizer.ggml.model", "llama")
        w.add_str_array("tokenizer.ggml.tokens", tok.tokens)
        w.add_f32_array("tokenizer.ggml.scores", tok.scores)
        w.add_i32_array("tokenizer.ggml.token_type", tok.types)
        w.add_u32("tokenizer.ggml.bos_token_id", tok.bos)
        w.add_u32("tokenizer.ggml.eos_token_id", tok.eos)
        w.add_u32("tokenizer.ggml.unknown_token_id", 0)
        w.add_bool("tokenizer.ggml.add_bos_token", True)
    else:
        w.add_str("tokenizer.ggml.model", "gpt2")
        w.add_str("tokenizer.ggml.pre", "qwen2")
        w.add_str_array("tokenizer.ggml.tokens", tok.tokens)
        w.add_i32_array("tokenizer.ggml.token_type", tok.types)
        w.add_str_array("tokenizer.ggml.merges",
                        [x + " " + y for x, y in tok.merges])
        w.add_u32("tokenizer.ggml.bos_token_id", tok.bos)
        w.add_u32("tokenizer.ggml.eos_token_id", tok.eos)
        w.add_bool("tokenizer.ggml.add_bos_token", False)
    if chat_template is not None:
        w.add_str("tokenizer.chat_template", chat_template)
    type_id = gw.TYPE_NAMES[type_name]
    deq = {}
    for name, value in weights.items():
        if value.ndim == 1:
            data, d = gw.quantize(value, gw.TYPE_F32)
            w.add_tensor(name, gw.TYPE_F32, [value.shape[0]], data)
        else:
            t = type_id
            for suffix, other in (overrides or {}).items():
                if name.endswith(suffix):
                    t = gw.TYPE_NAMES[other]
            data, d = gw.quantize(value, t)
            w.add_tensor(name, t, [value.shape[1], value.shape[0]], data)
        deq[name] = d
    if factors is not None:
        w.add_tensor("rope_freqs.weight", gw.TYPE_F32, [len(factors)],
                     np.asarray(factors, dtype=np.float32).tobytes())
    w.write(path)
    return deq


def write_golden(path, cfg, tok, deq, factors, prompts=PROMPTS, max_new=16,
                 stop_at_eos=False):
    """Float64 reference over the dequantised weights, for each prompt text
    (special tokens in it parsed, as the server does): its ids, the logits
    at its last position and up to `max_new` greedy tokens, ending with the
    EOS when `stop_at_eos` and the model chose it. Returns the greedy ids."""
    p = {k: torch.from_numpy(v.astype(np.float64)) for k, v in deq.items()}
    inv = rope_freqs(cfg, factors)
    add_bos = isinstance(tok, tt.SpmTokenizer)
    lines = []
    answers = []
    with torch.no_grad():
        for text in prompts:
            if isinstance(tok, tt.Gpt2Tokenizer):
                ids = tok.encode(text, add_bos=add_bos, parse_special=True)
            else:
                ids = tok.encode(text, add_bos=add_bos)
            logits = forward(p, cfg, torch.tensor(ids), inv)[-1]
            seq = list(ids)
            for _ in range(max_new):
                nxt = int(forward(p, cfg, torch.tensor(seq), inv)[-1].argmax())
                seq.append(nxt)
                if stop_at_eos and nxt == tok.eos:
                    break
            greedy = seq[len(ids):]
            answers.append(greedy)
            lines.append("prompt %d %s" % (len(ids), " ".join(map(str, ids))))
            lines.append("logits %d %s" % (len(logits), " ".join(
                "%.6g" % v for v in logits.tolist())))
            lines.append("greedy %d %s" % (len(greedy), " ".join(map(str, greedy))))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return answers


def write_tokens(path, tok):
    with open(path, "w") as f:
        for text in TOKENIZER_TEXTS:
            ids = tok.encode(text)
            f.write("%s %s\n" % (text.encode("utf-8").hex() or "-",
                                 " ".join(map(str, ids))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/llm")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--kquant-only", action="store_true",
                    help="only (re)write the K-quant model")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(2)
    text = load_text()
    print(f"corpus: {len(text)} characters")

    models = []
    spm = tt.SpmTokenizer(text, vocab_size=512)
    models.append(("tiny-llama", Config("llama", len(spm.tokens)), spm))
    bpe = tt.Gpt2Tokenizer(text, vocab_size=512)
    models.append(("tiny-qwen2", Config("qwen2", len(bpe.tokens),
                                        base=1000000.0, eps=1e-6), bpe))
    if not args.kquant_only:
        for old in glob.glob(os.path.join(args.out, "tiny-*")):
            os.remove(old)
    for name, cfg, tok in models:
        if args.kquant_only and cfg.arch != "llama":
            continue
        print(f"{name}: vocab {cfg.vocab}")
        write_tokens(os.path.join(args.out, name + ".tokens"), tok)
        if not args.kquant_only:
            ids = tok.encode(text, add_bos=False)
            weights = train(cfg, ids, args.steps, seed=1234)
        for type_name in ([] if args.kquant_only else TYPES):
            path = os.path.join(args.out, f"{name}-{type_name}.gguf")
            deq = write_model(path, cfg, tok, weights, type_name)
            write_golden(path + ".golden", cfg, tok, deq, None)
            print(f"  wrote {path} ({os.path.getsize(path)} bytes)")
        if cfg.arch == "llama":
            # K-quants need rows of 256: a wider one-layer model with random
            # weights, Q4_K with Q6_K output and ffn_down (like Q4_K_M).
            kcfg = Config("llama", cfg.vocab, dim=256, layers=1, heads=4,
                          kv_heads=2, ffn=512)
            gen = torch.Generator().manual_seed(99)
            kw = {k: v.detach().numpy().astype(np.float32)
                  for k, v in init_weights(kcfg, gen).items()}
            path = os.path.join(args.out, f"{name}-q4_k_m.gguf")
            deq = write_model(path, kcfg, tok, kw, "q4_k",
                              overrides={"output.weight": "q6_k",
                                         "ffn_down.weight": "q6_k"})
            write_golden(path + ".golden", kcfg, tok, deq, None)
            print(f"  wrote {path} ({os.path.getsize(path)} bytes)")
            if args.kquant_only:
                continue
            factors = llama3_factors(cfg)
            path = os.path.join(args.out, f"{name}3-f32.gguf")
            deq = write_model(path, cfg, tok, weights, "f32", factors)
            write_golden(path + ".golden", cfg, tok, deq, factors)
            print(f"  wrote {path} (llama3 rope_freqs)")


if __name__ == "__main__":
    main()
