"""POST /v1/models/{m}:predict on the task examples of issue 4 (embedder,
ner, recommender) against PyTorch goldens, and request-parameter errors.

Goldens: goldens/NAME.task.json, written by examples/build_model_repository.py
from the reloaded TorchScript files: the embedder's pooled vectors, the ner
model's per-token probabilities (entities are derived from them here by an
independent Python implementation of Hugging Face's aggregation), the
recommender's score of every item per user.
"""

import json
import os
import unittest

from .inferd_server import ServerTestCase, examples_dir, model_repository
from .test_embeddings import TOL_ABS, TOL_REL, task_goldens, task_repository


def close(got, want):
    return abs(got - want) <= TOL_ABS + TOL_REL * abs(want)


# -- Hugging Face TokenClassificationPipeline aggregation, in Python ---------

def get_tag(label):
    if label.startswith("B-"):
        return "B", label[2:]
    if label.startswith("I-"):
        return "I", label[2:]
    return "I", label


def argmax(values):
    return max(range(len(values)), key=lambda i: values[i])


def reference_entities(sentence, labels, strategy):
    text = sentence["text"]
    pre = []  # non-special tokens
    for i, (token, (start, end), probs) in enumerate(zip(
            sentence["tokens"], sentence["offsets"], sentence["probabilities"])):
        if i == 0 or i == len(sentence["tokens"]) - 1:  # [CLS], [SEP]
            continue
        pre.append({"index": i, "start": start, "end": end, "probs": probs,
                    "subword": token.startswith("##")})
    if strategy in ("none", "simple"):
        scored = []
        for t in pre:
            best = argmax(t["probs"])
            scored.append({"entity": labels[best], "score": t["probs"][best], "index": t["index"],
                           "start": t["start"], "end": t["end"]})
    else:
        words, current = [], []
        for t in pre:
            if current and not t["subword"]:
                words.append(current)
                current = []
            current.append(t)
        if current:
            words.append(current)
        scored = []
        for word in words:
            if strategy == "first":
                probs = word[0]["probs"]
            elif strategy == "max":
                probs = max(word, key=lambda t: max(t["probs"]))["probs"]
            else:
                probs = [sum(t["probs"][k] for t in word) / len(word) for k in range(len(labels))]
            best = argmax(probs)
            scored.append({"entity": labels[best], "score": probs[best],
                           "start": word[0]["start"], "end": word[-1]["end"]})
    if strategy == "none":
        return [dict(e, word=text[e["start"]:e["end"]]) for e in scored if e["entity"] != "O"]
    groups, members = [], []

    def flush():
        if members:
            groups.append({"entity_group": get_tag(members[0]["entity"])[1],
                           "score": sum(m["score"] for m in members) / len(members),
                           "start": members[0]["start"], "end": members[-1]["end"],
                           "word": text[members[0]["start"]:members[-1]["end"]]})
    for e in scored:
        if members:
            bi, tag = get_tag(e["entity"])
            if bi == "B" or tag != get_tag(members[-1]["entity"])[1]:
                flush()
                members = []
        members.append(e)
    flush()
    return [g for g in groups if g["entity_group"] != "O"]


class PredictTasksTest(ServerTestCase):
    @classmethod
    def repository(cls):
        return task_repository(cls, ["embedder", "ner", "recommender"])

    @classmethod
    def setUpClass(cls):
        cls.embedder = task_goldens("embedder")
        cls.ner = task_goldens("ner")
        cls.recommender = task_goldens("recommender")
        with open(os.path.join(model_repository(), "recommender", "items.json"), encoding="utf-8") as f:
            cls.items = json.load(f)
        super().setUpClass()

    def predict(self, model, body, expected_status=200):
        status, resp = self.server.json("POST", "/v1/models/%s:predict" % model, body)
        self.assertEqual(status, expected_status, resp)
        return resp

    # -- feature-extraction --------------------------------------------------

    def test_embedder_vectors_match_goldens(self):
        sentences = self.embedder["sentences"]
        resp = self.predict("embedder", {"instances": [s["text"] for s in sentences]})
        self.assertEqual(resp["model_name"], "embedder")
        self.assertEqual(resp["success_count"], len(sentences))
        for got, golden in zip(resp["predictions"], sentences):
            self.assertEqual(len(got), self.embedder["dimensions"])
            bad = [i for i, (g, w) in enumerate(zip(got, golden["mean_normalized"])) if not close(g, w)]
            self.assertFalse(bad, "%s: first bad element %s" % (golden["text"], bad[:1]))

    def test_embedder_pooling_and_normalize_parameters(self):
        golden = self.embedder["sentences"][1]
        for parameters, key in (({"normalize": False}, "mean"),
                                ({"pooling": "cls"}, "cls_normalized")):
            with self.subTest(parameters=parameters):
                resp = self.predict("embedder", {"instances": [{"text": golden["text"]}],
                                                 "parameters": parameters})
                got = resp["predictions"][0]
                self.assertTrue(all(close(g, w) for g, w in zip(got, golden[key])), key)

    # -- token-classification ------------------------------------------------

    def test_ner_entities_match_reference_aggregation(self):
        labels = self.ner["labels"]
        sentences = self.ner["sentences"]
        for strategy in ("none", "simple", "first", "average", "max"):
            resp = self.predict("ner", {"instances": [s["text"] for s in sentences],
                                        "parameters": {"aggregation_strategy": strategy}})
            for got, sentence in zip(resp["predictions"], sentences):
                want = reference_entities(sentence, labels, strategy)
                where = "%s %r" % (strategy, sentence["text"])
                self.assertEqual(len(got), len(want), "%s: got %r, want %r" % (where, got, want))
                for g, w in zip(got, want):
                    key = "entity" if strategy == "none" else "entity_group"
                    self.assertEqual(g[key], w[key], where)
                    self.assertEqual((g["start"], g["end"], g["word"]),
                                     (w["start"], w["end"], w["word"]), where)
                    self.assertTrue(close(g["score"], w["score"]), "%s: score %r vs %r" % (where, g, w))
                    if strategy == "none":
                        self.assertEqual(g["index"], w["index"], where)

    def test_ner_finds_the_entities_people_would(self):
        # The config's default strategy is "simple".
        text = self.ner["sentences"][0]["text"]
        resp = self.predict("ner", {"instances": [text]})
        found = [(e["entity_group"], e["word"], e["start"], e["end"]) for e in resp["predictions"][0]]
        self.assertEqual(found, [("PER", "Margarethe Lindqvist", 0, 20),
                                 ("ORG", "Initech Systems", 31, 46),
                                 ("LOC", "Buenos Aires", 50, 62)])

    # -- classification (recommender) ----------------------------------------

    def expected_top(self, user, k, exclude=()):
        scores = next(u["scores"] for u in self.recommender["users"] if u["user_id"] == user)
        order = sorted((i for i in range(len(scores)) if self.items[i]["id"] not in exclude),
                       key=lambda i: (-scores[i], i))
        return [(self.items[i], scores[i]) for i in order[:k]]

    def assertTopMatches(self, got, want, where):
        self.assertEqual(len(got), len(want), where)
        for g, (item, score) in zip(got, want):
            self.assertEqual({k: v for k, v in g.items() if k != "score"}, item, where)
            self.assertTrue(close(g["score"], score), "%s: %r vs %r" % (where, g["score"], score))

    def test_recommender_top_k_with_metadata(self):
        users = [u["user_id"] for u in self.recommender["users"]]
        resp = self.predict("recommender", {"instances": users, "parameters": {"top_k": 5}})
        for user, got in zip(users, resp["predictions"]):
            self.assertTopMatches(got, self.expected_top(user, 5), "user %d" % user)
        # The config's default top_k is 10; {"user_id": n} is the same instance.
        resp = self.predict("recommender", {"instances": [{"user_id": users[1]}]})
        self.assertTopMatches(resp["predictions"][0], self.expected_top(users[1], 10), "default")
        self.assertEqual(sorted(resp["predictions"][0][0]), ["genres", "id", "score", "title"])

    def test_recommender_excludes_seen_items(self):
        user = self.recommender["users"][2]["user_id"]
        seen = [item["id"] for item, _ in self.expected_top(user, 3)]
        resp = self.predict("recommender", {"instances": [user],
                                            "parameters": {"top_k": 4, "exclude": seen}})
        got = resp["predictions"][0]
        self.assertFalse({g["id"] for g in got} & set(seen))
        self.assertTopMatches(got, self.expected_top(user, 4, exclude=seen), "exclude")

    def test_bad_instances_fail_alone(self):
        # 500 is past the last user id (the config's input_max is 499).
        resp = self.predict("recommender", {"instances": [0, "zero", 1.5, 7, 500, -3]})
        self.assertEqual(resp["success_count"], 2)
        self.assertEqual(resp["failure_count"], 4)
        self.assertIn("0..499", resp["predictions"][4]["error"])
        for bad in (1, 2, 4, 5):
            self.assertIn("error", resp["predictions"][bad])
            self.assertIn("user_id", resp["predictions"][bad]["error"])
        self.assertTopMatches(resp["predictions"][3], self.expected_top(7, 10), "user 7")

    # -- parameter errors ----------------------------------------------------

    def test_bad_parameters_are_400_naming_the_field(self):
        cases = [
            ("recommender", [1], {"top_k": 0}, "parameters.top_k"),
            ("recommender", [1], {"top_k": 301}, "parameters.top_k"),
            ("recommender", [1], {"exclude": [123456]}, "parameters.exclude"),
            ("recommender", [1], {"exclude": 5}, "parameters.exclude"),
            ("ner", ["Anna lives in Paris."], {"aggregation_strategy": "longest"},
             "parameters.aggregation_strategy"),
            ("ner", ["Anna lives in Paris."], {"top_k": 3}, "parameters.top_k"),
            ("embedder", ["hello"], {"normalize": "yes"}, "parameters.normalize"),
            ("embedder", ["hello"], {"pooling": "max"}, "parameters.pooling"),
        ]
        for model, instances, parameters, field in cases:
            with self.subTest(model=model, parameters=parameters):
                status, headers, body = self.server.request(
                    "POST", "/v1/models/%s:predict" % model,
                    {"instances": instances, "parameters": parameters})
                self.assertError(status, headers, body, 400, field)


if __name__ == "__main__":
    unittest.main()
