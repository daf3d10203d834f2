"""`embedder`: a small sentence encoder served as a feature-extraction model.

Data: sentences generated from templates over 16 topics (weather, food,
football, ...), each topic with its own nouns and describing words. Two
sentences about the same topic are a paraphrase-like pair (different
templates and words, same subject). Training is contrastive (InfoNCE with
in-batch negatives, one pair per topic in a batch) on mean-pooled,
L2-normalised states, so that sentences about the same topic end up close in
cosine similarity and sentences about different topics far apart. Held-out
check: the nearest neighbour of a fresh sentence (among one fresh sentence
per topic) is about the same topic.

The model returns the token states (`last_hidden_state` [B, L, 64]); inferd's
feature-extraction pipeline pools them (mean over the attention mask, or the
[CLS] state) and normalises them, as config.pbtxt says.
"""

from typing import Dict, List

import numpy as np
import torch
import torch.nn.functional as F

from tiny_encoder import TinyEncoder, pad_batch
from wordpiece_tokenizer import WordPiece, character_pieces

NAME = "embedder"
DIM = 64
MAX_LENGTH = 64
TRAIN_STEPS = 250
TEMPERATURE = 0.05

# topic: (nouns, describing words)
TOPICS = {
    "weather": (["rain", "sun", "snow", "wind", "storm", "cloud", "sky"],
                ["sunny", "cold", "windy", "rainy", "warm", "cloudy"]),
    "food": (["pizza", "pasta", "soup", "bread", "cheese", "salad", "cake"],
             ["delicious", "tasty", "spicy", "sweet", "fresh", "salty"]),
    "football": (["goal", "match", "striker", "referee", "stadium", "league",
                  "penalty"],
                 ["scored", "kicked", "won", "lost", "defended", "tackled"]),
    "music": (["song", "guitar", "concert", "album", "piano", "band",
               "melody"],
              ["loud", "catchy", "played", "sang", "rehearsed", "tuned"]),
    "computers": (["laptop", "keyboard", "software", "server", "screen",
                   "program", "database"],
                  ["crashed", "compiled", "installed", "rebooted", "fast",
                   "updated"]),
    "travel": (["flight", "airport", "hotel", "passport", "luggage",
                "train", "beach"],
               ["booked", "delayed", "packed", "visited", "abroad",
                "boarded"]),
    "pets": (["dog", "cat", "puppy", "kitten", "leash", "vet", "fur"],
             ["barked", "purred", "fluffy", "playful", "fed", "adopted"]),
    "health": (["doctor", "medicine", "fever", "hospital", "nurse", "pain",
                "cough"],
               ["sick", "healed", "tired", "injured", "treated",
                "recovered"]),
    "money": (["bank", "loan", "salary", "budget", "tax", "savings",
               "price"],
              ["paid", "expensive", "cheap", "borrowed", "invested",
               "saved"]),
    "school": (["teacher", "exam", "homework", "lesson", "student",
                "classroom", "grade"],
               ["studied", "learned", "failed", "passed", "taught",
                "graded"]),
    "garden": (["flower", "tree", "seed", "soil", "lawn", "rose", "vegetable"],
               ["planted", "watered", "bloomed", "grew", "mowed",
                "green"]),
    "cars": (["engine", "tire", "brake", "wheel", "driver", "highway",
              "fuel"],
             ["drove", "parked", "repaired", "crashed", "speeding",
              "honked"]),
    "cooking": (["oven", "recipe", "pan", "knife", "kitchen", "stove",
                 "spoon"],
                ["baked", "fried", "boiled", "chopped", "stirred",
                 "roasted"]),
    "movies": (["film", "actor", "cinema", "scene", "director", "ticket",
                "trailer"],
               ["watched", "filmed", "boring", "thrilling", "starred",
                "released"]),
    "ocean": (["wave", "boat", "fish", "shark", "sail", "tide", "island"],
              ["swam", "sailed", "deep", "salty", "surfed", "drifted"]),
    "space": (["planet", "rocket", "star", "moon", "astronaut", "galaxy",
               "orbit"],
              ["launched", "landed", "distant", "bright", "orbiting",
               "explored"]),
}

TEMPLATES = [
    "the {n} was {a} today",
    "i think the {n} is {a}",
    "we talked about the {n} and the {n}",
    "my {n} {a} again",
    "have you seen the {n} ? it {a}",
    "yesterday the {n} {a} near the {n}",
    "a {a} {n} and a {n}",
    "nobody expected the {n} to be so {a}",
    "{n} , {n} and more {n}",
    "she said the {n} {a} and the {n} {a}",
]

# Common words mixed into training sentences at random positions, so that
# words which say nothing about the topic weigh little in the embedding.
COMMON = ["a", "the", "is", "was", "with", "in", "on", "at", "of", "for",
          "this", "that", "after", "before", "last", "and", "very", "so",
          "really", "our", "my", "it", "to", "today", "we", "they", "again"]

FILLER = sorted({w for t in TEMPLATES for w in t.replace("{n}", " ")
                 .replace("{a}", " ").split()} | set(COMMON))

# Sentences the goldens and the README use.
GOLDEN_SENTENCES = [
    "The sun was warm and the sky was cloudy today.",
    "A cold wind and a storm cloud in the sky",
    "This pizza with fresh cheese is delicious!",
    "The striker scored a penalty in the last match",
    "My laptop crashed after the software was updated",
    "Hello",
]


def sentence(rng: np.random.RandomState, topic: str) -> str:
    nouns, describing = TOPICS[topic]
    template = TEMPLATES[rng.randint(len(TEMPLATES))]
    out = []
    for part in template.split():
        if part == "{n}":
            out.append(nouns[rng.randint(len(nouns))])
        elif part == "{a}":
            out.append(describing[rng.randint(len(describing))])
        else:
            out.append(part)
    for _ in range(rng.randint(3)):
        out.insert(rng.randint(len(out) + 1), COMMON[rng.randint(len(COMMON))])
    return " ".join(out)


def make_tokenizer() -> WordPiece:
    words = sorted({w for nouns, describing in TOPICS.values()
                    for w in nouns + describing} | set(FILLER))
    return WordPiece(words + character_pieces(), lowercase=True)


class Embedder(torch.nn.Module):
    """(input_ids, attention_mask) -> last_hidden_state [B, L, DIM]."""

    def __init__(self, vocab: int):
        super().__init__()
        self.encoder = TinyEncoder(vocab, DIM, 2, 4, 128, MAX_LENGTH)

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids, attention_mask)


def mean_pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.to(states.dtype).unsqueeze(2)
    return (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def encode_batch(model, tokenizer: WordPiece, texts: List[str]):
    ids, mask = pad_batch([tokenizer.encode(t)[0] for t in texts])
    return F.normalize(mean_pool(model(ids, mask), mask), dim=1)


def train(tokenizer: WordPiece, rng: np.random.RandomState):
    torch.manual_seed(0)
    model = Embedder(len(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    topics = sorted(TOPICS)
    labels = torch.arange(len(topics))
    model.train()
    for _ in range(TRAIN_STEPS):
        anchors = encode_batch(model, tokenizer,
                               [sentence(rng, t) for t in topics])
        positives = encode_batch(model, tokenizer,
                                 [sentence(rng, t) for t in topics])
        logits = anchors @ positives.t() / TEMPERATURE
        loss = (F.cross_entropy(logits, labels) +
                F.cross_entropy(logits.t(), labels)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return model


def nearest_topic_accuracy(model, tokenizer, rng, rounds=20) -> float:
    """Fraction of fresh sentences whose nearest neighbour, among one other
    fresh sentence per topic, is about the same topic."""
    topics = sorted(TOPICS)
    hits = 0
    with torch.no_grad():
        for _ in range(rounds):
            queries = encode_batch(model, tokenizer,
                                   [sentence(rng, t) for t in topics])
            keys = encode_batch(model, tokenizer,
                                [sentence(rng, t) for t in topics])
            hits += int((queries @ keys.t()).argmax(dim=1).eq(
                torch.arange(len(topics))).sum())
    return hits / (rounds * len(topics))


def build() -> Dict:
    """Trains the model; returns what build_model_repository.py saves."""
    rng = np.random.RandomState(7)
    tokenizer = make_tokenizer()
    model = train(tokenizer, rng)
    accuracy = nearest_topic_accuracy(model, tokenizer, rng)
    if accuracy < 0.9:
        raise AssertionError(f"embedder: nearest-topic accuracy {accuracy}")
    encoded = [tokenizer.encode(s)[0] for s in GOLDEN_SENTENCES]
    cases = [dict(zip(("input_ids", "attention_mask"), pad_batch(group)))
             for group in (encoded[:1], encoded[1:4])]

    def task_goldens(loaded) -> Dict:
        """Per sentence: ids, mean-pooled normalised, mean-pooled raw and
        [CLS] normalised vectors, from the reloaded TorchScript file run on
        that sentence alone."""
        out = []
        with torch.no_grad():
            for text, ids in zip(GOLDEN_SENTENCES, encoded):
                input_ids, mask = pad_batch([ids])
                states = loaded(input_ids, mask)
                mean = mean_pool(states, mask)[0]
                out.append({
                    "text": text,
                    "input_ids": ids,
                    "mean": mean.tolist(),
                    "mean_normalized": F.normalize(mean, dim=0).tolist(),
                    "cls_normalized": F.normalize(states[0, 0],
                                                  dim=0).tolist(),
                })
        return {"nearest_topic_accuracy": round(accuracy, 4),
                "dimensions": DIM, "sentences": out}

    return {
        "name": NAME,
        "module": model,
        "max_batch_size": 64,
        "inputs": [("input_ids", "INT64", [-1]),
                   ("attention_mask", "INT64", [-1])],
        "outputs": [("last_hidden_state", "FP32", [-1, DIM])],
        "cases": cases,
        "max_queue_delay_us": 2000,
        "parameters": {"task": "feature-extraction",
                       "tokenizer": "tokenizer.json",
                       "max_length": str(MAX_LENGTH),
                       "pooling": "mean",
                       "normalize": "true"},
        "assets": {"tokenizer.json": tokenizer.to_json()},
        "task_goldens": task_goldens,
        "summary": f"nearest-topic accuracy {accuracy:.4f} on held-out "
                   "sentences",
    }
