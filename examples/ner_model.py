"""`ner`: a token-classification model tagging persons, places and
organisations (B-/I- tags) in synthetic English sentences.

Data: sentences from templates ("{PER} lives in {LOC} .") filled from lists
of first names, surnames, cities and companies, and lowercase filler words
("{PER} {O} to {LOC} .") tagged O. Entities may span several
words ("Anna Schmidt", "New York") and most entity words split into several
WordPiece pieces: the cased vocabulary holds the template words whole but
entity words only as short prefixes and `##` continuations, which exercises
inferd's word grouping (aggregation first/average/max). Every piece of a word
carries the word's tag, continuation pieces the I- form; [CLS]/[SEP] are
left out of the loss.

The model returns per-token logits [B, L, 7]; inferd's token-classification
pipeline turns them into entities with character offsets.
"""

import itertools
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from tiny_encoder import TinyEncoder, pad_batch
from wordpiece_tokenizer import WordPiece, character_pieces

NAME = "ner"
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
MAX_LENGTH = 64
TRAIN_STEPS = 1500  # at 300 the "##i" of "Kenji" was a coin flip between I-PER and I-LOC
BATCH = 32

FIRST_NAMES = ["Anna", "Peter", "Maria", "John", "Sofia", "Liam", "Emma",
               "Noah", "Olivia", "Lucas", "Margarethe", "Henrik", "Fatima",
               "Kenji", "Amara", "Diego", "Ingrid", "Tomasz", "Priya",
               "Oscar", "Chloe", "Mateo", "Hannah", "Yusuf"]
SURNAMES = ["Schmidt", "Johnson", "Garcia", "Novak", "Tanaka", "Okafor",
            "Lindqvist", "Moreau", "Kowalski", "Rossi", "Petrov", "Silva",
            "Brennan", "Haddad", "Larsen", "Nakamura"]
PLACES = ["Paris", "Berlin", "Lisbon", "Hamburg", "Toronto", "Nairobi",
          "Osaka", "Madrid", "Vienna", "Dublin", "Santiago", "Helsinki",
          "New York", "San Diego", "Cape Town", "Buenos Aires", "Rio Grande",
          "Kuala Lumpur", "Oslo", "Prague"]
ORGS = ["Acme Corp", "Globex", "Initech Systems", "Northwind Traders",
        "Umbrella Labs", "Stark Industries", "Wayne Enterprises", "Hooli",
        "Vandelay Imports", "Soylent", "Cyberdyne", "Tyrell Corporation"]

TEMPLATES = [
    "{PER} lives in {LOC} .",
    "{PER} works for {ORG} in {LOC} .",
    "Yesterday {PER} met {PER} at the {ORG} office .",
    "The {ORG} team visited {LOC} last week .",
    "{PER} flew from {LOC} to {LOC} on Monday .",
    "According to {PER} , {ORG} will open a store in {LOC} .",
    "We saw {PER} in {LOC} .",
    "{ORG} hired {PER} as a manager .",
    "Is {PER} still at {ORG} ?",
    "The weather in {LOC} was nice .",
    # {O}: a lowercase word from FILLER_WORDS, tagged O.
    "{PER} {O} to {LOC} .",
    "{PER} {O} {O} {ORG} .",
    "The {O} {O} in {LOC} .",
    "{O} , {PER} {O} {O} {LOC} .",
    "{ORG} {O} {O} {O} .",
]

# Lowercase words the vocabulary does not hold whole: they split into the
# same short pieces as names, so the model learns that such pieces outside
# a capitalised name are O (without them, "moved" in "Kenji moved to Osaka"
# came out as entity pieces).
FILLER_WORDS = """
moved went walked returned arrived travelled called wrote phoned visited
bought sold opened closed built joined left stayed waited worked studied
taught helped asked answered promised decided started finished planned
quickly slowly often never always again early late today tomorrow
yesterday tonight recently finally suddenly probably certainly really
house garden river bridge market station school church office factory
street village harbour hospital library museum theatre kitchen window
letter parcel ticket contract meeting holiday journey dinner breakfast
new old small large busy quiet famous modern ancient beautiful strange
important difficult simple cheap expensive happy tired angry friendly
and but or because although while after before since until with without
about across along around behind between during except inside outside
""".split()

GOLDEN_SENTENCES = [
    "Margarethe Lindqvist works for Initech Systems in Buenos Aires.",
    "Kenji flew from Osaka to Helsinki on Monday.",
    "The weather in Cape Town was nice.",
    "Is Fatima Haddad still at Tyrell Corporation?",
]


def entity_text(rng: np.random.RandomState, kind: str) -> str:
    if kind == "PER":
        first = FIRST_NAMES[rng.randint(len(FIRST_NAMES))]
        if rng.randint(2):
            return first + " " + SURNAMES[rng.randint(len(SURNAMES))]
        return first
    pool = PLACES if kind == "LOC" else ORGS
    return pool[rng.randint(len(pool))]


def sentence(rng: np.random.RandomState) -> Tuple[str, List[Tuple[int, int, str]]]:
    """A sentence and its entities as (start, end, type) character spans."""
    template = TEMPLATES[rng.randint(len(TEMPLATES))]
    text, entities = "", []
    for part in template.split():
        if text and part not in ".,?":
            text += " "
        elif text:
            text += " " if rng.randint(2) else ""  # "Paris ." or "Paris."
        if part == "{O}":
            text += FILLER_WORDS[rng.randint(len(FILLER_WORDS))]
        elif part.startswith("{"):
            kind = part[1:4]
            value = entity_text(rng, kind)
            entities.append((len(text), len(text) + len(value), kind))
            text += value
        else:
            text += part
    return text, entities


def make_tokenizer() -> WordPiece:
    """Template words whole; entity words only as prefixes of up to four
    letters and continuations of up to three, so they split into pieces."""
    template_words = sorted({w for t in TEMPLATES for w in t.split()
                             if not w.startswith("{")})
    entity_words = sorted({w for name in itertools.chain(
        FIRST_NAMES, SURNAMES, PLACES, ORGS) for w in name.split()})
    pieces = set()
    for word in entity_words:
        for n in range(1, 5):
            pieces.add(word[:n])
        for start in range(1, len(word)):
            for n in range(1, 4):
                if start + n <= len(word):
                    pieces.add("##" + word[start:start + n])
    return WordPiece(template_words + sorted(pieces - set(template_words)) +
                     character_pieces(), lowercase=False)


def token_labels(offsets: List[Tuple[int, int]],
                 entities: List[Tuple[int, int, str]]) -> List[int]:
    """Label id per token; -100 for [CLS]/[SEP]. A token inside an entity is
    B- when it starts the entity, I- otherwise."""
    labels = []
    for i, (start, end) in enumerate(offsets):
        if i == 0 or i == len(offsets) - 1:
            labels.append(-100)
            continue
        label = "O"
        for e_start, e_end, kind in entities:
            if e_start <= start and end <= e_end:
                label = ("B-" if start == e_start else "I-") + kind
        labels.append(LABELS.index(label))
    return labels


class Ner(torch.nn.Module):
    """(input_ids, attention_mask) -> logits [B, L, len(LABELS)]."""

    def __init__(self, vocab: int):
        super().__init__()
        self.encoder = TinyEncoder(vocab, 64, 2, 4, 128, MAX_LENGTH)
        self.head = torch.nn.Linear(64, len(LABELS))

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(input_ids, attention_mask))


def batch(tokenizer, rng, count):
    texts, ids, labels = [], [], []
    for _ in range(count):
        text, entities = sentence(rng)
        token_ids, offsets = tokenizer.encode(text)
        texts.append(text)
        ids.append(token_ids)
        labels.append(token_labels(offsets, entities))
    input_ids, mask = pad_batch(ids)
    target = torch.full(input_ids.shape, -100, dtype=torch.int64)
    for row, row_labels in enumerate(labels):
        target[row, :len(row_labels)] = torch.tensor(row_labels)
    return texts, input_ids, mask, target


def train(tokenizer, rng):
    torch.manual_seed(0)
    model = Ner(len(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(TRAIN_STEPS):
        _, ids, mask, target = batch(tokenizer, rng, BATCH)
        logits = model(ids, mask)
        loss = F.cross_entropy(logits.reshape(-1, len(LABELS)),
                               target.reshape(-1), ignore_index=-100)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return model


def token_accuracy(model, tokenizer, rng) -> float:
    with torch.no_grad():
        _, ids, mask, target = batch(tokenizer, rng, 300)
        predicted = model(ids, mask).argmax(dim=2)
    scored = target != -100
    return float((predicted[scored] == target[scored]).double().mean())


def build() -> Dict:
    rng = np.random.RandomState(11)
    tokenizer = make_tokenizer()
    model = train(tokenizer, rng)
    accuracy = token_accuracy(model, tokenizer, rng)
    if accuracy < 0.95:
        raise AssertionError(f"ner: held-out token accuracy {accuracy}")
    encoded = [tokenizer.encode(s) for s in GOLDEN_SENTENCES]
    cases = [dict(zip(("input_ids", "attention_mask"),
                      pad_batch([ids for ids, _ in group])))
             for group in (encoded[:1], encoded[1:])]

    def task_goldens(loaded) -> Dict:
        """Per sentence: tokens with ids, character offsets and softmax
        probabilities over LABELS, from the reloaded file run alone. The
        entities are computed from these by the e2e test's reference
        aggregation (Hugging Face's semantics)."""
        out = []
        with torch.no_grad():
            for text, (ids, offsets) in zip(GOLDEN_SENTENCES, encoded):
                input_ids, mask = pad_batch([ids])
                probabilities = torch.softmax(loaded(input_ids, mask)[0],
                                              dim=1)
                out.append({
                    "text": text,
                    "input_ids": ids,
                    "tokens": [tokenizer.tokens[i] for i in ids],
                    "offsets": [list(o) for o in offsets],
                    "probabilities": probabilities.tolist(),
                })
        return {"labels": LABELS, "token_accuracy": round(accuracy, 4),
                "sentences": out}

    return {
        "name": NAME,
        "module": model,
        "max_batch_size": 32,
        "inputs": [("input_ids", "INT64", [-1]),
                   ("attention_mask", "INT64", [-1])],
        "outputs": [("logits", "FP32", [-1, len(LABELS)])],
        "cases": cases,
        "max_queue_delay_us": 2000,
        "parameters": {"task": "token-classification",
                       "tokenizer": "tokenizer.json",
                       "max_length": str(MAX_LENGTH),
                       "labels": "labels.txt",
                       "aggregation_strategy": "simple"},
        "assets": {"tokenizer.json": tokenizer.to_json(),
                   "labels.txt": "\n".join(LABELS) + "\n"},
        "task_goldens": task_goldens,
        "summary": f"held-out token accuracy {accuracy:.4f}",
    }
