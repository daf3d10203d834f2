"""The `sentiment` example: a text-classification model (NEGATIVE/POSITIVE)
with its own WordPiece tokenizer, trained on real English text.

Data, all from Debian packages (r-cran-tidytext and its dependency
r-cran-janeaustenr), read with Rscript (no R library is loaded):
  - the Bing Liu opinion lexicon, as tidytext ships it (`sentiments`:
    6,786 English words labelled positive or negative, Hu & Liu, KDD 2004);
  - the six novels of Jane Austen (janeaustenr), split into sentences.
A sentence is labelled by the lexicon: POSITIVE when it holds more positive
than negative lexicon words, NEGATIVE when fewer, dropped when tied (the
tidytext book's approach to Austen). "miss" is left out of the lexicon: in
Austen it is a title, not a complaint. The classes are balanced by
down-sampling, so chance is 50%. The model never sees the lexicon, only the
labelled sentences; its held-out accuracy says how well it learnt the
lexicon's judgement of unseen sentences.

Tokenizer: BERT-style uncased WordPiece (examples/wordpiece_tokenizer.py),
vocabulary = the words that occur at least twice in the training sentences
plus single characters, written as a Hugging Face tokenizer.json. The Python
encoder that makes the training ids and the goldens gives the ids inferd's
C++ tokenizer gives (the e2e test checks input ids too).

Model: TinyEncoder (examples/tiny_encoder.py; one pre-norm transformer
layer over ids + attention mask), mean pooling over real tokens, a linear
head -> logits [B, 2].
"""

import os
import random
import re
import subprocess
import tempfile
from collections import Counter
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from tiny_encoder import TinyEncoder, pad_batch
from wordpiece_tokenizer import WordPiece, character_pieces

NAME = "sentiment"
LABELS = ["NEGATIVE", "POSITIVE"]
DIM = 64
MAX_LENGTH = 128
MAX_WORDS = 40          # longer sentences are left out of the data
PER_CLASS = 7000        # sentences per label after balancing
TEST_FRACTION = 0.2
EPOCHS = 3
BATCH = 64
SEED = 11

TIDYTEXT_DATA = "/usr/lib/R/site-library/tidytext/data/Rdata"
AUSTEN_DATA = "/usr/lib/R/site-library/janeaustenr/data/Rdata"
BOOKS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma",
         "northangerabbey", "persuasion"]

GOLDEN_SENTENCES = [
    "What a wonderful, delightful evening!",
    "It was a dreadful, miserable affair.",
    "She was happy and grateful for his kindness.",
    "He spoke with bitter anger and contempt.",
    "The weather was pleasant.",
    "I fear the worst.",
    "Elizabeth laughed with great delight at the charming scene.",
    "Such cruel and wicked conduct is a disgrace.",
]


def export_data(folder: str) -> Tuple[Dict[str, str], List[str]]:
    """Runs Rscript to write the lexicon (CSV) and the books (text)."""
    books = "; ".join(f'writeLines(a${b}, "{folder}/{b}.txt")'
                      for b in BOOKS)
    script = (f'e <- new.env(); lazyLoad("{TIDYTEXT_DATA}", envir = e); '
              f'write.csv(e$sentiments, "{folder}/lexicon.csv", '
              f'row.names = FALSE); a <- new.env(); '
              f'lazyLoad("{AUSTEN_DATA}", envir = a); {books}')
    try:
        subprocess.run(["Rscript", "--vanilla", "-e", script], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("sentiment: cannot read the Bing lexicon and the "
                         "Austen novels with Rscript (install r-cran-tidytext:"
                         f" scripts/install-deps.sh): {e}")
    lexicon = {}
    with open(os.path.join(folder, "lexicon.csv")) as f:
        next(f)
        for line in f:
            word, label = [x.strip('"') for x in line.strip().split(",")]
            lexicon[word] = label
    lexicon.pop("miss", None)
    texts = []
    for book in BOOKS:
        with open(os.path.join(folder, book + ".txt"), encoding="utf-8") as f:
            texts.append(f.read())
    return lexicon, texts


def sentences(texts: List[str]) -> List[str]:
    """Sentences of the novels: paragraphs joined, split after . ! ?,
    ASCII only, without the emphasis underscores, 4..MAX_WORDS words."""
    out = []
    for text in texts:
        for paragraph in re.split(r"\n\s*\n", text):
            paragraph = " ".join(paragraph.replace("_", "").split())
            for sentence in re.split(r"(?<=[.!?])\s+(?=[\"A-Z])", paragraph):
                words = sentence.split()
                if (4 <= len(words) <= MAX_WORDS and sentence.isascii()
                        and not sentence.isupper()):
                    out.append(sentence)
    return out


def lexicon_label(sentence: str, lexicon: Dict[str, str]):
    score = 0
    for word in re.findall(r"[a-z]+", sentence.lower()):
        label = lexicon.get(word)
        if label == "positive":
            score += 1
        elif label == "negative":
            score -= 1
    if score == 0:
        return None
    return 1 if score > 0 else 0


def make_dataset(rng: random.Random):
    with tempfile.TemporaryDirectory() as folder:
        lexicon, texts = export_data(folder)
    by_label = {0: [], 1: []}
    for sentence in sentences(texts):
        label = lexicon_label(sentence, lexicon)
        if label is not None:
            by_label[label].append(sentence)
    count = min(PER_CLASS, len(by_label[0]), len(by_label[1]))
    data = []
    for label in (0, 1):
        data += [(s, label) for s in rng.sample(by_label[label], count)]
    rng.shuffle(data)
    split = int(len(data) * (1 - TEST_FRACTION))
    return data[:split], data[split:], len(lexicon)


def make_tokenizer(train: List[Tuple[str, int]]) -> WordPiece:
    counts = Counter()
    for sentence, _ in train:
        counts.update(w for w, _, _ in WordPiece.words(sentence.lower()))
    words = sorted(w for w, n in counts.items() if n >= 2)
    return WordPiece(character_pieces() + words, lowercase=True)


class SentimentClassifier(torch.nn.Module):
    """(input_ids [B, L], attention_mask [B, L]) INT64 -> logits [B, 2]."""

    def __init__(self, vocab: int):
        super().__init__()
        self.encoder = TinyEncoder(vocab, DIM, 1, 4, 2 * DIM, MAX_LENGTH)
        self.head = torch.nn.Linear(DIM, len(LABELS))

    def forward(self, input_ids: torch.Tensor,
                attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids, attention_mask)
        weights = (attention_mask != 0).to(states.dtype).unsqueeze(2)
        pooled = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(
            min=1.0)
        return self.head(pooled)


def train(model, encoded: List[Tuple[List[int], int]]):
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(EPOCHS):
        order = torch.randperm(len(encoded), generator=generator).tolist()
        for start in range(0, len(order), BATCH):
            batch = [encoded[i] for i in order[start:start + BATCH]]
            ids, mask = pad_batch([ids for ids, _ in batch])
            labels = torch.tensor([label for _, label in batch])
            loss = F.cross_entropy(model(ids, mask), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()


def accuracy(model, encoded: List[Tuple[List[int], int]]) -> float:
    right = 0
    with torch.no_grad():
        for start in range(0, len(encoded), 256):
            batch = encoded[start:start + 256]
            ids, mask = pad_batch([ids for ids, _ in batch])
            predicted = model(ids, mask).argmax(dim=1)
            right += sum(int(p) == label
                         for p, (_, label) in zip(predicted, batch))
    return right / len(encoded)


def build() -> Dict:
    """Trains the model; returns what build_model_repository.py saves."""
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    train_set, test_set, lexicon_size = make_dataset(rng)
    tokenizer = make_tokenizer(train_set)
    encode = lambda data: [(tokenizer.encode(s)[0], y) for s, y in data]
    train_encoded, test_encoded = encode(train_set), encode(test_set)
    model = SentimentClassifier(len(tokenizer))
    train(model, train_encoded)
    test_accuracy = accuracy(model, test_encoded)
    if test_accuracy < 0.75:
        raise AssertionError(f"sentiment: held-out accuracy {test_accuracy}")
    golden_texts = GOLDEN_SENTENCES + [s for s, _ in test_set[:8]]
    golden_ids = [tokenizer.encode(s)[0] for s in golden_texts]
    cases = [dict(zip(("input_ids", "attention_mask"), pad_batch(group)))
             for group in (golden_ids[:1], golden_ids[1:5])]

    def task_goldens(loaded) -> Dict:
        """Per sentence, run alone through the reloaded TorchScript file:
        its ids, logits, softmax probabilities and best label."""
        out = []
        with torch.no_grad():
            for text, ids in zip(golden_texts, golden_ids):
                logits = loaded(*pad_batch([ids]))[0]
                probabilities = torch.softmax(logits.double(), dim=0)
                best = int(probabilities.argmax())
                out.append({"text": text, "input_ids": ids,
                            "logits": logits.tolist(),
                            "probabilities": probabilities.tolist(),
                            "label": LABELS[best],
                            "score": float(probabilities[best])})
        return {"labels": LABELS, "test_accuracy": round(test_accuracy, 4),
                "test_samples": len(test_set),
                "train_samples": len(train_set),
                "vocabulary": len(tokenizer), "lexicon_words": lexicon_size,
                "sentences": out}

    return {
        "name": NAME,
        "module": model,
        "max_batch_size": 64,
        "inputs": [("input_ids", "INT64", [-1]),
                   ("attention_mask", "INT64", [-1])],
        "outputs": [("logits", "FP32", [len(LABELS)])],
        "cases": cases,
        "max_queue_delay_us": 2000,
        "parameters": {"task": "text-classification",
                       "tokenizer": "tokenizer.json",
                       "max_length": str(MAX_LENGTH),
                       "labels": "labels.txt"},
        "assets": {"tokenizer.json": tokenizer.to_json(),
                   "labels.txt": "\n".join(LABELS) + "\n"},
        "task_goldens": task_goldens,
        "summary": f"held-out accuracy {test_accuracy:.4f} on "
                   f"{len(test_set)} lexicon-labelled Austen sentences "
                   f"(trained on {len(train_set)}, vocabulary "
                   f"{len(tokenizer)})",
    }


if __name__ == "__main__":
    import time
    started = time.monotonic()
    torch.set_num_threads(1)
    built = build()
    print(built["summary"], f"{time.monotonic() - started:.1f} s")
