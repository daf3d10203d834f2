"""A small pre-norm transformer encoder over WordPiece ids, shared by the
`embedder` (feature-extraction) and `ner` (token-classification) examples.

(input_ids [B, L] INT64, attention_mask [B, L] INT64) -> hidden states
[B, L, dim]. Sequences are right-padded; padded keys get a -1e9 attention
bias, so padding never changes the states of real tokens.
"""

import math

import torch
import torch.nn.functional as F


class EncoderLayer(torch.nn.Module):
    def __init__(self, dim: int, heads: int, ff: int):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.norm1 = torch.nn.LayerNorm(dim)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.norm2 = torch.nn.LayerNorm(dim)
        self.ff1 = torch.nn.Linear(dim, ff)
        self.ff2 = torch.nn.Linear(ff, dim)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        b, length, dim = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(b, length, 3, self.heads,
                                              self.head_dim)
        qkv = qkv.permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale + key_bias
        attended = torch.matmul(torch.softmax(scores, dim=-1), v)
        x = x + self.proj(attended.transpose(1, 2).reshape(b, length, dim))
        return x + self.ff2(F.gelu(self.ff1(self.norm2(x))))


class TinyEncoder(torch.nn.Module):
    def __init__(self, vocab: int, dim: int, layers: int, heads: int,
                 ff: int, max_length: int):
        super().__init__()
        self.vocab_size = vocab
        self.max_length = max_length
        self.tokens = torch.nn.Embedding(vocab, dim)
        self.positions = torch.nn.Embedding(max_length, dim)
        torch.nn.init.normal_(self.positions.weight, std=0.02)
        self.layers = torch.nn.ModuleList(
            [EncoderLayer(dim, heads, ff) for _ in range(layers)])
        self.norm = torch.nn.LayerNorm(dim)

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        if input_ids.dim() != 2 or input_ids.shape != attention_mask.shape:
            raise ValueError("input_ids and attention_mask must both be "
                             "[batch, sequence length] of the same shape")
        length = input_ids.shape[1]
        if length > self.max_length:
            raise ValueError("sequence length " + str(length) +
                             " exceeds the maximum of " +
                             str(self.max_length))
        keep = attention_mask != 0
        ids = torch.where(keep, input_ids, torch.zeros_like(input_ids))
        if bool(((ids < 0) | (ids >= self.vocab_size)).any()):
            raise ValueError("input_ids must lie in [0, " +
                             str(self.vocab_size) + ")")
        positions = torch.arange(length, device=input_ids.device)
        x = self.tokens(ids) + self.positions(positions).unsqueeze(0)
        mask = keep.to(x.dtype)
        key_bias = ((1.0 - mask) * -1e9).unsqueeze(1).unsqueeze(2)
        for layer in self.layers:
            x = layer(x, key_bias)
        return self.norm(x)


def pad_batch(sequences):
    """Right-pads id lists with 0: (input_ids, attention_mask) INT64."""
    length = max(len(s) for s in sequences)
    ids = torch.zeros(len(sequences), length, dtype=torch.int64)
    mask = torch.zeros(len(sequences), length, dtype=torch.int64)
    for row, sequence in enumerate(sequences):
        ids[row, :len(sequence)] = torch.tensor(sequence, dtype=torch.int64)
        mask[row, :len(sequence)] = 1
    return ids, mask
