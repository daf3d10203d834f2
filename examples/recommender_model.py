"""`recommender`: a matrix-factorisation movie recommender served as a
generic `classification` model: a user id in, a score per movie out; inferd
returns the top-k movies with their title and genres from items.json.

Data: synthetic but shaped like MovieLens. 300 movies, each with one to three
of 12 genres and a title made deterministically from word lists ("The
Silent Harbor (1987)"). 500 users, each with a liking per genre. A user's
true rating of a movie is 3 + their mean liking of its genres + a small
per-movie and per-user bias, clipped to 1..5; each user rated 30 random
movies (20% of the matrix, with noise). A factorisation
score(u, i) = <P_u, Q_i> + b_u + b_i + mu with 12 factors is fitted with
Adam on the observed ratings; held-out RMSE on other observed ratings is
reported, and the fitted scores must rank each user's truly best movies
high (how many of the true top 10 are in the model's top 50).
"""

import json
from typing import Dict, List

import numpy as np
import torch

NAME = "recommender"
USERS = 500
ITEMS = 300
FACTORS = 12
RATED_PER_USER = 60
TRAIN_STEPS = 400

GENRES = ["Action", "Adventure", "Animation", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Horror", "Romance", "Sci-Fi",
          "Thriller"]
ADJECTIVES = ["Silent", "Last", "Golden", "Hidden", "Broken", "Midnight",
              "Crimson", "Frozen", "Lost", "Electric", "Quiet", "Wild",
              "Distant", "Burning", "Secret", "Iron", "Paper", "Endless"]
NOUNS = ["Harbor", "Kingdom", "Letter", "Garden", "Empire", "River",
         "Machine", "Summer", "Detective", "Planet", "Orchestra", "Frontier",
         "Promise", "Island", "Station", "Witness", "Carnival", "Lighthouse"]


def make_items(rng: np.random.RandomState) -> List[Dict]:
    items, titles = [], set()
    while len(items) < ITEMS:
        title = f"The {ADJECTIVES[rng.randint(len(ADJECTIVES))]} " \
                f"{NOUNS[rng.randint(len(NOUNS))]}"
        if title in titles:
            title += " " + ["II", "III", "Returns", "Reloaded"][
                rng.randint(4)]
        if title in titles:
            continue
        titles.add(title)
        count = 1 + rng.randint(3)
        genres = sorted(rng.choice(len(GENRES), count, replace=False))
        items.append({"id": len(items),
                      "title": f"{title} ({1950 + rng.randint(74)})",
                      "genres": [GENRES[g] for g in genres]})
    return items


def true_ratings(rng, items) -> np.ndarray:
    likes = rng.normal(0, 1.2, (USERS, len(GENRES)))
    membership = np.zeros((ITEMS, len(GENRES)))
    for item in items:
        for g in item["genres"]:
            membership[item["id"], GENRES.index(g)] = 1
    membership /= membership.sum(axis=1, keepdims=True)
    item_bias = rng.normal(0, 0.3, ITEMS)
    user_bias = rng.normal(0, 0.3, USERS)
    ratings = (3 + likes @ membership.T + item_bias[None, :] +
               user_bias[:, None])
    return np.clip(ratings, 1, 5)


class MatrixFactorization(torch.nn.Module):
    """user_id [B, 1] INT64 -> scores [B, ITEMS] FP32 (predicted ratings)."""

    def __init__(self):
        super().__init__()
        self.num_users = USERS
        self.users = torch.nn.Embedding(USERS, FACTORS)
        self.items = torch.nn.Embedding(ITEMS, FACTORS)
        self.user_bias = torch.nn.Embedding(USERS, 1)
        self.item_bias = torch.nn.Parameter(torch.zeros(ITEMS))
        self.mean = torch.nn.Parameter(torch.tensor(3.0))
        for table in (self.users, self.items):
            torch.nn.init.normal_(table.weight, std=0.1)
        torch.nn.init.zeros_(self.user_bias.weight)

    def forward(self, user_id: torch.Tensor) -> torch.Tensor:
        ids = user_id.reshape(-1)
        if bool(((ids < 0) | (ids >= self.num_users)).any()):
            raise ValueError("user_id must lie in [0, " +
                             str(self.num_users) + ")")
        return (self.users(ids) @ self.items.weight.t() +
                self.user_bias(ids) + self.item_bias.unsqueeze(0) +
                self.mean)

    def pair_scores(self, users: torch.Tensor,
                    items: torch.Tensor) -> torch.Tensor:
        return ((self.users(users) * self.items(items)).sum(dim=1) +
                self.user_bias(users).squeeze(1) + self.item_bias[items] +
                self.mean)


def build() -> Dict:
    rng = np.random.RandomState(23)
    items = make_items(rng)
    truth = true_ratings(rng, items)
    users, movies = [], []
    for u in range(USERS):
        for i in rng.choice(ITEMS, RATED_PER_USER, replace=False):
            users.append(u)
            movies.append(i)
    users = torch.tensor(users)
    movies = torch.tensor(movies)
    observed = torch.tensor(
        np.clip(truth[users.numpy(), movies.numpy()] +
                rng.normal(0, 0.3, len(users)), 1, 5), dtype=torch.float32)
    held_out = torch.from_numpy(rng.rand(len(users)) < 0.1)
    train = ~held_out

    torch.manual_seed(0)
    model = MatrixFactorization()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(TRAIN_STEPS):
        predicted = model.pair_scores(users[train], movies[train])
        loss = ((predicted - observed[train]) ** 2).mean() + 0.5 * (
            model.users.weight.pow(2).mean() +
            model.items.weight.pow(2).mean())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        rmse = float(((model.pair_scores(users[held_out], movies[held_out]) -
                       observed[held_out]) ** 2).mean().sqrt())
        scores = model(torch.arange(USERS).reshape(-1, 1)).numpy()
    best_true = np.argsort(-truth, axis=1)[:, :10]
    best_model = np.argsort(-scores, axis=1)[:, :50]
    recall = float(np.mean([len(set(best_true[u]) & set(best_model[u])) / 10
                            for u in range(USERS)]))
    if rmse > 0.6 or recall < 0.8:
        raise AssertionError(f"recommender: rmse {rmse}, recall {recall}")

    golden_users = [0, 7, 42, 499]
    cases = [{"user_id": torch.tensor([[golden_users[0]]])},
             {"user_id": torch.tensor([[u] for u in golden_users[1:]])}]

    def task_goldens(loaded) -> Dict:
        """Per user: every item's score from the reloaded file."""
        with torch.no_grad():
            out = [{"user_id": u,
                    "scores": loaded(torch.tensor([[u]]))[0].tolist()}
                   for u in golden_users]
        return {"held_out_rmse": round(rmse, 4),
                "recall_at_50_of_true_top_10": round(recall, 4),
                "users": out}

    return {
        "name": NAME,
        "module": model,
        "max_batch_size": 64,
        "inputs": [("user_id", "INT64", [1])],
        "outputs": [("scores", "FP32", [ITEMS])],
        "cases": cases,
        "max_queue_delay_us": 0,
        "parameters": {"task": "classification",
                       "labels": "items.json",
                       "top_k": "10",
                       # ids outside fail alone instead of failing the
                       # batch they would share with other requests
                       "input_min": "0",
                       "input_max": str(USERS - 1)},
        "assets": {"items.json": json.dumps(items, indent=1) + "\n"},
        "task_goldens": task_goldens,
        "summary": f"held-out RMSE {rmse:.3f}, recall@50 of the true top 10 "
                   f"{recall:.3f}",
    }
