"""Tokenizers for the tiny test models: training and reference encoding.

Two kinds, matching the GGUF tokenizer models the engine supports:
  SpmTokenizer  - "llama": SentencePiece-style BPE with scores and <0xNN> byte
                  fallback; spaces as U+2581 with a space prefix.
  Gpt2Tokenizer - "gpt2": byte-level BPE with merges over words split by the
                  Qwen2 pre-tokenizer pattern, and ChatML's special tokens
                  as control tokens (parsed in text with parse_special).
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


class _Descending:
    """Orders pairs in reverse, so a min-heap pops the largest pair first."""
    __slots__ = ("pair",)

    def __init__(self, pair):
        self.pair = pair

    def __lt__(self, other):
        return self.pair > other.pair


def train_merges(word_counts, n_merges):
    """Classic BPE: repeatedly merge the most frequent adjacent pair (the
    largest pair on ties). Pair counts are updated only for the words a merge
    touches, and a lazy heap finds the most frequent, so a vocabulary of a
    few thousand trains in seconds on a few megabytes of text."""
    words = [list(w) for w in word_counts]
    counts = list(word_counts.values())
    pairs = collections.Counter()
    where = collections.defaultdict(set)  # pair -> words that may hold it
    for i, syms in enumerate(words):
        for p in zip(syms, syms[1:]):
            pairs[p] += counts[i]
            where[p].add(i)
    heap = [(-c, _Descending(p)) for p, c in pairs.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        neg, entry = heapq.heappop(heap)
        (a, b) = pair = entry.pair
        if pairs.get(pair) != -neg:
            continue  # stale: the count changed after this entry was pushed
        merges.append(pair)
        ab = a + b
        changed = set()
        for i in sorted(where.pop(pair)):
            syms, c = words[i], counts[i]
            if len(syms) < 2:
                continue
            for p in zip(syms, syms[1:]):
                pairs[p] -= c
                changed.add(p)
            j = 0
            while j < len(syms) - 1:
                if syms[j] == a and syms[j + 1] == b:
                    syms[j:j + 2] = [ab]
                j += 1
            for p in zip(syms, syms[1:]):
                pairs[p] += c
                changed.add(p)
                where[p].add(i)
        for p in changed:
            if pairs[p] > 0:
                heapq.heappush(heap, (-pairs[p], _Descending(p)))
            else:
                del pairs[p]
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

    def __init__(self, text, vocab_size, eos="<|endoftext|>"):
        """Byte-level BPE trained on `text`; the SPECIALS are control tokens
        at the end of the vocabulary, `eos` the one that ends generation."""
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
        self.eos = self.index[eos]
        self.bos = self.index["<|endoftext|>"]
        self._words = {}

    def _map(self, w):
        return "".join(self.b2u[b] for b in w.encode("utf-8"))

    def _encode_word(self, w):
        ids = self._words.get(w)
        if ids is None:
            def prio(a, b):
                return self.ranks.get(a + " " + b)
            ids = []
            for piece in _merge_loop(list(self._map(w)), prio):
                if piece in self.index:
                    ids.append(self.index[piece])
                else:
                    ids.extend(self.index[c] for c in piece)
            self._words[w] = ids
        return ids

    def encode(self, text, add_bos=False, parse_special=False):
        """Ids of `text`; with `parse_special` the text of a special token
        becomes its id (leftmost, longest first), as the engine does."""
        out = []
        if parse_special:
            specials = sorted(self.SPECIALS, key=len, reverse=True)
            start = i = 0
            while i < len(text):
                hit = next((s for s in specials if text.startswith(s, i)), None)
                if hit is None:
                    i += 1
                    continue
                out.extend(self.encode(text[start:i]))
                out.append(self.index[hit])
                i += len(hit)
                start = i
            return out + self.encode(text[start:])
        for w in QWEN2_PATTERN.findall(text):
            out.extend(self._encode_word(w))
        return out

    def decode(self, ids):
        """The text of `ids`; control tokens decode to nothing."""
        u2b = {u: b for b, u in self.b2u.items()}
        data = bytearray()
        for i in ids:
            if self.types[i] == T_NORMAL:
                data.extend(u2b[c] for c in self.tokens[i])
        return data.decode("utf-8", errors="replace")
