"""A BERT-style WordPiece tokenizer for the example models: writes the
Hugging Face tokenizer.json that inferd loads, and encodes text in Python the
same way (ids and character offsets) so that training data and goldens use
the ids inferd will compute.

Scope: what the example models need. The Python encoder handles ASCII text
only (the examples generate ASCII sentences); tokenizer.json is the ordinary
BertNormalizer + BertPreTokenizer + WordPiece + BertProcessing layout, so
inferd's C++ tokenizer handles any text.
"""

import json
import string
from typing import Dict, Iterable, List, Tuple

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID = 0, 1, 2, 3
PREFIX = "##"


class WordPiece:
    """Vocabulary: the special tokens, then `pieces` in the given order.

    `lowercase`: the BertNormalizer lowercases (uncased models)."""

    def __init__(self, pieces: Iterable[str], lowercase: bool):
        self.lowercase = lowercase
        self.vocab: Dict[str, int] = {}
        for token in SPECIAL_TOKENS + list(pieces):
            if token not in self.vocab:
                self.vocab[token] = len(self.vocab)
        self.tokens = {i: t for t, i in self.vocab.items()}

    def __len__(self):
        return len(self.vocab)

    @staticmethod
    def words(text: str) -> List[Tuple[str, int, int]]:
        """BertPreTokenizer on ASCII: whitespace splits, each punctuation
        character is a word of its own. (word, start, end) character spans."""
        out = []
        start = None
        for i, ch in enumerate(text + " "):
            if ch.isspace() or ch in string.punctuation:
                if start is not None:
                    out.append((text[start:i], start, i))
                    start = None
                if ch in string.punctuation:
                    out.append((ch, i, i + 1))
            elif start is None:
                start = i
        return out

    def word_pieces(self, word: str) -> List[Tuple[int, int, int]]:
        """Greedy longest-match-first; (id, start, end) relative to the word.
        A word that cannot be covered is one [UNK]."""
        pieces = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while end > start:
                piece = word[start:end]
                if start > 0:
                    piece = PREFIX + piece
                if piece in self.vocab:
                    found = self.vocab[piece]
                    break
                end -= 1
            if found is None:
                return [(UNK_ID, 0, len(word))]
            pieces.append((found, start, end))
            start = end
        return pieces

    def encode(self, text: str) -> Tuple[List[int], List[Tuple[int, int]]]:
        """[CLS] pieces [SEP]: ids and character offsets ((0, 0) for the
        special tokens), as inferd's tokenizer computes them."""
        if not text.isascii():
            raise ValueError("the Python encoder handles ASCII only: " + text)
        normalized = text.lower() if self.lowercase else text
        ids, offsets = [CLS_ID], [(0, 0)]
        for word, start, _ in self.words(normalized):
            for piece_id, s, e in self.word_pieces(word):
                ids.append(piece_id)
                offsets.append((start + s, start + e))
        ids.append(SEP_ID)
        offsets.append((0, 0))
        return ids, offsets

    def to_json(self) -> str:
        added = [{"id": i, "content": t, "single_word": False,
                  "lstrip": False, "rstrip": False, "normalized": False,
                  "special": True} for i, t in enumerate(SPECIAL_TOKENS)]
        document = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": {"type": "BertNormalizer", "clean_text": True,
                           "handle_chinese_chars": True,
                           "strip_accents": None,
                           "lowercase": self.lowercase},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": {"type": "BertProcessing",
                               "sep": ["[SEP]", SEP_ID],
                               "cls": ["[CLS]", CLS_ID]},
            "decoder": {"type": "WordPiece", "prefix": PREFIX,
                        "cleanup": True},
            "model": {"type": "WordPiece", "unk_token": "[UNK]",
                      "continuing_subword_prefix": PREFIX,
                      "max_input_chars_per_word": 100,
                      "vocab": self.vocab},
        }
        return json.dumps(document, indent=1) + "\n"


def character_pieces() -> List[str]:
    """Every printable ASCII character alone and as a continuation, so that
    no ASCII word becomes [UNK]."""
    chars = [c for c in string.ascii_letters + string.digits +
             string.punctuation]
    return chars + [PREFIX + c for c in chars if c not in string.punctuation]
