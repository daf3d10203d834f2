"""POST /v1/embeddings (OpenAI) on the `embedder` example against PyTorch goldens.

Goldens: goldens/embedder.task.json (examples/embedder_model.py), each
sentence's token ids and its mean-pooled L2-normalised vector computed from
the reloaded TorchScript file.
"""

import base64
import json
import math
import os
import struct
import shutil
import tempfile
import unittest

from .inferd_server import ServerTestCase, examples_dir, model_repository

TOL_ABS = 1e-4
TOL_REL = 1e-3


def task_goldens(model):
    with open(os.path.join(examples_dir(), "goldens", model + ".task.json"), encoding="utf-8") as f:
        return json.load(f)


def task_repository(test_case_class, models):
    """A temporary repository with copies of the example models `models` (links to
    them would lead outside the repository, which the server refuses by default)."""
    path = test_case_class.temp_repository(tempfile.mkdtemp(prefix="inferd_tasks_"))
    for model in models:
        shutil.copytree(os.path.join(model_repository(), model), os.path.join(path, model))
    return path


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


class EmbeddingsTest(ServerTestCase):
    @classmethod
    def repository(cls):
        return task_repository(cls, ["embedder", "ner"])

    @classmethod
    def setUpClass(cls):
        cls.goldens = task_goldens("embedder")
        cls.sentences = cls.goldens["sentences"]
        super().setUpClass()

    def embed(self, body, expected_status=200):
        status, resp = self.server.json("POST", "/v1/embeddings", body)
        self.assertEqual(status, expected_status, resp)
        return resp

    def assertVectorClose(self, got, want, where):
        self.assertEqual(len(got), len(want), where)
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertLessEqual(abs(g - w), TOL_ABS + TOL_REL * abs(w),
                                 "%s: element %d: got %r, want %r" % (where, i, g, w))

    def assertOpenAiError(self, resp, param, *mentions):
        self.assertIn("error", resp)
        error = resp["error"]
        self.assertEqual(sorted(error), ["code", "message", "param", "type"], error)
        self.assertEqual(error["type"], "invalid_request_error")
        self.assertEqual(error["param"], param, error)
        for mention in mentions:
            self.assertIn(mention, error["message"])

    def test_single_string_matches_golden(self):
        golden = self.sentences[0]
        resp = self.embed({"model": "embedder", "input": golden["text"]})
        self.assertEqual(resp["object"], "list")
        self.assertEqual(resp["model"], "embedder")
        self.assertEqual(len(resp["data"]), 1)
        item = resp["data"][0]
        self.assertEqual(item["object"], "embedding")
        self.assertEqual(item["index"], 0)
        self.assertEqual(len(item["embedding"]), self.goldens["dimensions"])
        self.assertVectorClose(item["embedding"], golden["mean_normalized"], golden["text"])
        self.assertAlmostEqual(sum(v * v for v in item["embedding"]), 1.0, places=4)
        tokens = len(golden["input_ids"])
        self.assertEqual(resp["usage"], {"prompt_tokens": tokens, "total_tokens": tokens})

    def test_batch_of_strings_keeps_order_and_counts_tokens(self):
        texts = [s["text"] for s in self.sentences]
        resp = self.embed({"model": "embedder", "input": texts, "user": "e2e"})
        self.assertEqual([d["index"] for d in resp["data"]], list(range(len(texts))))
        for item, golden in zip(resp["data"], self.sentences):
            self.assertVectorClose(item["embedding"], golden["mean_normalized"], golden["text"])
        tokens = sum(len(s["input_ids"]) for s in self.sentences)
        self.assertEqual(resp["usage"]["prompt_tokens"], tokens)
        self.assertEqual(resp["usage"]["total_tokens"], tokens)

    def test_token_id_inputs_equal_text_inputs(self):
        golden = self.sentences[2]
        resp = self.embed({"model": "embedder", "input": golden["input_ids"]})
        self.assertEqual(len(resp["data"]), 1)
        self.assertVectorClose(resp["data"][0]["embedding"], golden["mean_normalized"], "ids")
        lists = [self.sentences[1]["input_ids"], self.sentences[3]["input_ids"]]
        resp = self.embed({"model": "embedder", "input": lists})
        self.assertVectorClose(resp["data"][0]["embedding"], self.sentences[1]["mean_normalized"], "ids 0")
        self.assertVectorClose(resp["data"][1]["embedding"], self.sentences[3]["mean_normalized"], "ids 1")
        self.assertEqual(resp["usage"]["prompt_tokens"], len(lists[0]) + len(lists[1]))

    def test_base64_is_little_endian_float32(self):
        golden = self.sentences[4]
        resp = self.embed({"model": "embedder", "input": [golden["text"]], "encoding_format": "base64"})
        raw = base64.b64decode(resp["data"][0]["embedding"])
        self.assertEqual(len(raw), 4 * self.goldens["dimensions"])
        values = struct.unpack("<%df" % self.goldens["dimensions"], raw)
        self.assertVectorClose(values, golden["mean_normalized"], "base64")

    def test_dimensions_shortens_and_renormalises(self):
        golden = self.sentences[0]
        resp = self.embed({"model": "embedder", "input": golden["text"], "dimensions": 16})
        got = resp["data"][0]["embedding"]
        head = golden["mean_normalized"][:16]
        norm = math.sqrt(sum(v * v for v in head))
        self.assertVectorClose(got, [v / norm for v in head], "dimensions 16")

    def test_embeddings_are_meaningful(self):
        """Two weather sentences are closer to each other than to food or football."""
        texts = [s["text"] for s in self.sentences[:4]]
        data = self.embed({"model": "embedder", "input": texts})["data"]
        vectors = [d["embedding"] for d in data]
        same_topic = cosine(vectors[0], vectors[1])
        self.assertGreater(same_topic, 0.5)
        self.assertGreater(same_topic, cosine(vectors[0], vectors[2]) + 0.3)
        self.assertGreater(same_topic, cosine(vectors[0], vectors[3]) + 0.3)

    def test_validation_errors_name_the_parameter(self):
        cases = [
            ({"input": "a"}, "model"),
            ({"model": "embedder"}, "input"),
            ({"model": "embedder", "input": ""}, "input"),
            ({"model": "embedder", "input": []}, "input"),
            ({"model": "embedder", "input": ["a", 3]}, "input"),
            ({"model": "embedder", "input": [[2, 3], "a"]}, "input"),
            ({"model": "embedder", "input": "a", "encoding_format": "hex"}, "encoding_format"),
            ({"model": "embedder", "input": "a", "dimensions": 0}, "dimensions"),
            ({"model": "embedder", "input": "a", "dimensions": 65}, "dimensions"),
            ({"model": "embedder", "input": "a", "temperature": 0.5}, "temperature"),
            ({"model": "embedder", "input": [2, 100000, 3]}, "input"),
            ({"model": "ner", "input": "a"}, "model"),
        ]
        for body, param in cases:
            with self.subTest(body=body):
                resp = self.embed(body, 400)
                self.assertOpenAiError(resp, param)
        resp = self.embed({"model": "ner", "input": "a"}, 400)
        self.assertOpenAiError(resp, "model", "token-classification", "feature-extraction")
        status, _, data = self.server.request("POST", "/v1/embeddings", b"{not json")
        self.assertEqual(status, 400)
        self.assertIn("message", json.loads(data)["error"])

    def test_unknown_model_is_404(self):
        resp = self.embed({"model": "no_such_model", "input": "a"}, 404)
        self.assertOpenAiError(resp, "model")
        self.assertEqual(resp["error"]["code"], "model_not_found")


if __name__ == "__main__":
    unittest.main()
