"""Tokenizers for the tiny test models: training and reference encoding.

Two kinds, matching the GGUF tokenizer models the engine supports:
  SpmTokenizer  - "llama": SentencePiece-style BPE with scores and <0xNN> byte
                  fallback; spaces as U+2581 with a space prefix.
  Gpt2Tokenizer - "gpt2": byte-level BPE with merges over words split by the
                  Qwen2 pre-tokenizer pattern.
The encoders implement the merge order the engine documents (highest score /
lowest rank first, leftmost on ties), so their output is the expected output.
"""

import collections
import heapq

import regex

SPACE = "\u2581"
QWEN2_PATTERN = regex.compile(
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")

T_NORMAL, T_UNKNOWN, T_CONTROL, T_USER, T_UNUSED, T_BYTE = 1, 2, 3, 4, 5, 6


def train_merges(word_counts, n_merges):
    """Classic BPE: repeatedly merge the most frequent adjacent pair."""
    words = [(list(w), c) for w, c in word_counts.items()]
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for syms, c in words:
            for a, b in zip(syms, syms[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append((a, b))
        ab = a + b
        for syms, _ in words:
            i = 0
            while i < len(syms) - 1:
                if syms[i] == a and syms[i + 1] == b:
                    syms[i:i + 2] = [ab]
                i += 1
    return merges


def _merge_loop(symbols, pair_priority):
    """Merges adjacent symbols by priority (smaller first, then leftmost)."""
    n = len(symbols)
    text = list(symbols)
    prev = list(range(-1, n - 1))
    nxt = list(range(1, n + 1))
    nxt[-1] = -1 if n else -1
    alive = [True] * n
    heap = []

    def push(l, r):
        if l < 0 or r < 0:
            return
        p = pair_priority(text[l], text[r])
        if p is not None:
            heapq.heappush(heap, (p, l, r, text[l] + text[r]))

    for i in range(1, n):
        push(i - 1, i)
    while heap:
        p, l, r, merged = heapq.heappop(heap)
        if not alive[l] or not alive[r] or text[l] + text[r] != merged or nxt[l] != r:
            continue
        text[l] = merged
        alive[r] = False
        nxt[l] = nxt[r]
        if nxt[r] >= 0:
            prev[nxt[r]] = l
        push(prev[l], l)
        push(l, nxt[l])
    out = []
    i = 0 if n else -1
    while i != -1:
        out.append(text[i])
        i = nxt[i]
    return out


class SpmTokenizer:
    def __init__(self, text, vocab_size):
        words = collections.Counter()
        for w in text.replace("\n", " ").split(" "):
            if w:
                words[SPACE + w] += 1
        chars = sorted({ch for w in words for ch in w})
        self.tokens = ["<unk>", "<s>", "</s>"]
        self.types = [T_UNKNOWN, T_CONTROL, T_CONTROL]
        self.scores = [0.0, 0.0, 0.0]
        for b in range(256):
            self.tokens.append("<0x%02X>" % b)
            self.types.append(T_BYTE)
            self.scores.append(0.0)
        for i, ch in enumerate(chars):
            self.tokens.append(ch)
            self.types.append(T_NORMAL)
            self.scores.append(-1e4 - i)
        n_merges = vocab_size - len(self.tokens)
        for k, (a, b) in enumerate(train_merges(words, n_merges)):
            if a + b in self.tokens:
                continue
            self.tokens.append(a + b)
            self.types.append(T_NORMAL)
            self.scores.append(-float(k))
        self.index = {}
        for i, t in enumerate(self.tokens):
            self.index.setdefault(t, i)
        self.bos, self.eos = 1, 2

    def encode(self, text, add_bos=False):
        out = [self.bos] if add_bos else []
        if not text:
            return out
        s = SPACE + text.replace(" ", SPACE)

        def prio(a, b):
            i = self.index.get(a + b)
            return None if i is None else -self.scores[i]

        for piece in _merge_loop(list(s), prio):
            if piece in self.index:
                out.append(self.index[piece])
            else:
                out.extend(self.index["<0x%02X>" % b] for b in piece.encode("utf-8"))
        return out


def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class Gpt2Tokenizer:
    SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    def __init__(self, text, vocab_size):
        self.b2u = bytes_to_unicode()
        words = collections.Counter()
        for w in QWEN2_PATTERN.findall(text):
            words[self._map(w)] += 1
        self.tokens = [self.b2u[b] for b in range(256)]
        n_merges = vocab_size - 256 - len(self.SPECIALS)
        self.merges = []
        for a, b in train_merges(words, n_merges):
            if a + b in self.tokens:
                continue
            self.merges.append((a, b))
            self.tokens.append(a + b)
        self.types = [T_NORMAL] * len(self.tokens)
        for s in self.SPECIALS:
            self.tokens.append(s)
            self.types.append(T_CONTROL)
        self.index = {t: i for i, t in enumerate(self.tokens)}
        self.ranks = {a + " " + b: r for r, (a, b) in enumerate(self.merges)}
        self.eos = self.index["<|endoftext|>"]
        self.bos = self.eos

    def _map(self, w):
        return "".join(self.b2u[b] for b in w.encode("utf-8"))

    def encode(self, text, add_bos=False):
        out = []
        for w in QWEN2_PATTERN.findall(text):
            def prio(a, b):
                return self.ranks.get(a + " " + b)
            for piece in _merge_loop(list(self._map(w)), prio):
                if piece in self.index:
                    out.append(self.index[piece])
                else:
                    out.extend(self.index[c] for c in piece)
        return out
